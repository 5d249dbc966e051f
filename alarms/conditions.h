/* DOC: the alarm conditions of a router
 *
 * Each function here owns one kind of alarm: given what a subsystem sees
 * now (a path's state, a peer's certificate verdict, the local
 * certificate's expiry) it raises, updates or clears that one alarm, with
 * its key, severity and text decided here and nowhere else.  svrd calls
 * them every second and whenever something changes; the tests call them
 * with a clock of their own, which is how every threshold is checked
 * without waiting a month.
 */
#ifndef SVR_ALARM_CONDITIONS_H
#define SVR_ALARM_CONDITIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "alarms.h"

enum alarm_path_state {
	ALARM_PATH_NEVER_UP,	   /* not up since it was configured: no alarm yet */
	ALARM_PATH_UP,		   /* clears */
	ALARM_PATH_DOWN,	   /* was up, BFD lost it: MAJOR */
	ALARM_PATH_OUT_OF_SERVICE, /* taken down by fail-hard: MAJOR */
};

/* One peer path (peer, interface, far address). */
void alarm_eval_path(struct alarm_store *s, const char *peer, const char *ifname, const char *addr,
		     enum alarm_path_state st, int64_t now);

/* A peer as a whole: CRITICAL when every path that was up is down. */
void alarm_eval_peer_reachable(struct alarm_store *s, const char *peer, bool any_up,
			       bool any_was_up, int64_t now);

/* A peer's certificate: verdict as the key engine names it ("valid",
 * "none", "expired", "not yet valid", "revoked", "wrong name", "untrusted",
 * "bad signature", "weak algorithm", "malformed"), with its detail and
 * the certificate's not-after (0: unknown).  CRITICAL for anything not
 * valid; a valid one raises MINOR 30 days and MAJOR 7 days before it
 * expires, CRITICAL once it has. */
void alarm_eval_peer_cert(struct alarm_store *s, const char *peer, const char *verdict,
			  const char *detail, int64_t not_after, int64_t now);

/* The certificate this router presents (not_after 0: none). */
void alarm_eval_local_cert(struct alarm_store *s, const char *router, int64_t not_after,
			   int64_t now);

/* A configured client-certificate that is not used as configured: problem
 * is NULL (clear) or what is wrong ("cannot read FILE: ...", "expired -
 * refused under validation-mode strict").  MAJOR. */
void alarm_eval_client_cert(struct alarm_store *s, const char *router, const char *problem,
			    int64_t now);

/* A peer that answers BFD but has sent no key exchange message in the
 * time it would have: it does not speak enhanced security key management.
 * CRITICAL while silent, cleared by any key exchange message. */
void alarm_eval_peer_eskm(struct alarm_store *s, const char *peer, bool silent, int64_t now);

/* A peer presented a valid certificate whose key is not the pinned one:
 * CRITICAL until the operator accepts the key or the peer shows the pinned
 * one again.  offered and pinned are hex SHA-256 fingerprints. */
void alarm_eval_peer_key(struct alarm_store *s, const char *peer, bool conflict,
			 const char *offered, const char *pinned, int64_t now);

/* The refused side learns it: a peer whose datagrams keep arriving has not
 * acknowledged this router's certificate for secs seconds (0: it has, or
 * not for long).  It refuses it, most likely; its own alarms say why.
 * MAJOR while it lasts. */
void alarm_eval_peer_refuses_us(struct alarm_store *s, const char *peer, const char *router,
				uint64_t secs, int64_t now);

/* A certificate refused for a peer that has an authenticated one pinned
 * (anyone can send one: the peering is kept): MAJOR, cleared when a valid
 * one is taken. */
void alarm_eval_peer_refused(struct alarm_store *s, const char *peer, const char *refused,
			     const char *detail, bool pinned, int64_t now);

/* Enhanced security key management is configured but cannot run (the node
 * identity or the key counters cannot be loaded): CRITICAL. */
void alarm_eval_key_management(struct alarm_store *s, const char *router, const char *problem,
			       int64_t now);

/* A configured revocation list cannot be read: MAJOR under fail-soft,
 * CRITICAL under fail-hard (CA-issued certificates are refused). */
void alarm_eval_crl(struct alarm_store *s, const char *router, const char *problem, bool fail_hard,
		    int64_t now);

/* The data plane of a node: problem is NULL (it carries what it should,
 * or has nothing to carry: clear) or why it does not ("key management is
 * not running", "forwarder nfqueue cannot open: ...").  guarded: the
 * configuration routes services to peers, and the forwarding guard drops
 * their traffic meanwhile: CRITICAL, that traffic is not carried at all.
 * Otherwise (a hub's relay) MAJOR. */
void alarm_eval_dataplane(struct alarm_store *s, const char *node, const char *problem,
			  bool guarded, int64_t now);

#endif
