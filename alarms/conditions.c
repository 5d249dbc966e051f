/* The alarm conditions of a router; see conditions.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conditions.h"

#define KEY(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)

static void utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void alarm_eval_path(struct alarm_store *s, const char *peer, const char *ifname, const char *addr,
		     enum alarm_path_state st, int64_t now)
{
	char key[160], msg[256];

	KEY(key, "path-down:%s:%s:%s", peer, ifname, addr);
	if (st == ALARM_PATH_UP || st == ALARM_PATH_NEVER_UP) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg), "Peer path to %s via %s (%s) is %s", peer, ifname, addr,
		 st == ALARM_PATH_DOWN ? "down" : "out of service: peer certificate rejected");
	alarm_raise(s, key, ALARM_MAJOR, peer, "PEER", "svrd", msg, now);
}

void alarm_eval_peer_reachable(struct alarm_store *s, const char *peer, bool any_up,
			       bool any_was_up, int64_t now)
{
	char key[160], msg[256];

	KEY(key, "peer-unreachable:%s", peer);
	if (any_up || !any_was_up) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg), "Peer %s is not reachable: all paths are down", peer);
	alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
}

static bool is(const char *v, const char *name)
{
	return strcmp(v, name) == 0;
}

void alarm_eval_peer_cert(struct alarm_store *s, const char *peer, const char *verdict,
			  const char *detail, int64_t not_after, int64_t now)
{
	char key[160], msg[256], when[40];
	const char *v = verdict ? verdict : "none";
	int level;

	KEY(key, "peer-cert:%s", peer);
	if (!detail || !*detail)
		detail = "no detail";
	if (is(v, "wrong name") || is(v, "untrusted") || is(v, "bad signature") ||
	    is(v, "malformed")) {
		snprintf(msg, sizeof(msg), "Unable to authenticate peer %s: %s - %s", peer, v,
			 detail);
		alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
	} else if (is(v, "revoked")) {
		snprintf(msg, sizeof(msg), "Peer %s certificate is revoked - %s", peer, detail);
		alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
	} else if (!is(v, "valid") && !is(v, "none")) {
		snprintf(msg, sizeof(msg), "Peer %s certificate is invalid: %s - %s", peer, v,
			 detail);
		alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
	} else if (not_after && (level = alarm_cert_expiry(not_after, now)) >= 0) {
		/* valid when it was received; expiring, or expired, since */
		utc(not_after, when, sizeof(when));
		if (level == ALARM_CRITICAL)
			snprintf(msg, sizeof(msg),
				 "Peer %s certificate is invalid: expired - not after %s", peer,
				 when);
		else
			snprintf(msg, sizeof(msg), "Peer %s certificate expires on %s", peer, when);
		alarm_raise(s, key, (enum alarm_severity)level, peer, "PEER", "svrd", msg, now);
	} else {
		alarm_clear(s, key, now);
	}
}

void alarm_eval_local_cert(struct alarm_store *s, const char *router, int64_t not_after,
			   int64_t now)
{
	int level = not_after ? alarm_cert_expiry(not_after, now) : -1;
	char msg[256], when[40];

	if (level < 0) {
		alarm_clear(s, "local-cert", now);
		return;
	}
	utc(not_after, when, sizeof(when));
	snprintf(msg, sizeof(msg), "Local certificate of %s %s %s", router,
		 level == ALARM_CRITICAL ? "expired on" : "expires on", when);
	alarm_raise(s, "local-cert", (enum alarm_severity)level, router, "CERTIFICATE", "svrd", msg,
		    now);
}

void alarm_eval_client_cert(struct alarm_store *s, const char *router, const char *problem,
			    int64_t now)
{
	char msg[256];

	if (!problem) {
		alarm_clear(s, "client-cert", now);
		return;
	}
	snprintf(msg, sizeof(msg), "Client certificate of %s: %s", router, problem);
	alarm_raise(s, "client-cert", ALARM_MAJOR, router, "CERTIFICATE", "svrd", msg, now);
}

void alarm_eval_peer_eskm(struct alarm_store *s, const char *peer, bool silent, int64_t now)
{
	char key[160], msg[256];

	KEY(key, "peer-eskm:%s", peer);
	if (!silent) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "Peering with %s failed: the peer does not speak enhanced security key "
		 "management",
		 peer);
	alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
}

void alarm_eval_peer_refuses_us(struct alarm_store *s, const char *peer, const char *router,
				uint64_t secs, int64_t now)
{
	char key[160], msg[400];

	KEY(key, "peer-refuses-us:%s", peer);
	if (!secs) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "Peer %s has not accepted the certificate of %s although its datagrams "
		 "arrive: it refuses it, most likely (its alarms say why); nothing is carried "
		 "with it",
		 peer, router);
	alarm_raise(s, key, ALARM_MAJOR, peer, "PEER", "svrd", msg, now);
}

void alarm_eval_peer_key(struct alarm_store *s, const char *peer, bool conflict,
			 const char *offered, const char *pinned, int64_t now)
{
	char key[160], msg[400];

	KEY(key, "peer-key:%s", peer);
	if (!conflict) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "Peer %s presented a key that is not the one pinned (SHA-256 %.16s..., pinned "
		 "%.16s...): refused; if its key really changed, accept it with 'security "
		 "peer-key accept %s'",
		 peer, offered ? offered : "?", pinned && *pinned ? pinned : "?", peer);
	alarm_raise(s, key, ALARM_CRITICAL, peer, "PEER", "svrd", msg, now);
}

void alarm_eval_peer_refused(struct alarm_store *s, const char *peer, const char *refused,
			     const char *detail, bool pinned, int64_t now)
{
	char key[160], msg[320];

	KEY(key, "peer-refused:%s", peer);
	if (!pinned || !refused || !*refused || is(refused, "key changed")) {
		alarm_clear(s, key, now);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "A certificate for peer %s was refused (%s - %s); the keys of the one "
		 "authenticated before are kept",
		 peer, refused, detail && *detail ? detail : "no detail");
	alarm_raise(s, key, ALARM_MAJOR, peer, "PEER", "svrd", msg, now);
}

void alarm_eval_key_management(struct alarm_store *s, const char *router, const char *problem,
			       int64_t now)
{
	char msg[320];

	if (!problem) {
		alarm_clear(s, "key-management", now);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "Key management is not running on %s: %s; no peer is keyed and traffic to "
		 "services is not carried",
		 router, problem);
	alarm_raise(s, "key-management", ALARM_CRITICAL, router, "CERTIFICATE", "svrd", msg, now);
}

void alarm_eval_crl(struct alarm_store *s, const char *router, const char *problem, bool fail_hard,
		    int64_t now)
{
	char msg[320];

	if (!problem) {
		alarm_clear(s, "crl", now);
		return;
	}
	snprintf(msg, sizeof(msg), "Certificate revocation list: %s; %s", problem,
		 fail_hard ? "CA-issued peer certificates are refused (fail-hard)"
			   : "revocation is not checked (fail-soft)");
	alarm_raise(s, "crl", fail_hard ? ALARM_CRITICAL : ALARM_MAJOR, router, "CERTIFICATE",
		    "svrd", msg, now);
}

void alarm_eval_dataplane(struct alarm_store *s, const char *node, const char *problem,
			  bool guarded, int64_t now)
{
	char msg[256];

	if (!problem) {
		alarm_clear(s, "dataplane", now);
		return;
	}
	if (guarded)
		snprintf(msg, sizeof(msg),
			 "Traffic to service prefixes is not carried (the forwarding guard drops "
			 "it): %s",
			 problem);
	else
		snprintf(msg, sizeof(msg), "Data plane is not running: %s", problem);
	alarm_raise(s, "dataplane", guarded ? ALARM_CRITICAL : ALARM_MAJOR, node, "DATAPLANE",
		    "svrd", msg, now);
}
