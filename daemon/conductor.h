/* The conductor (conductor.c) and a router's enrolment with it
 * (enrolment.c). */
#ifndef SVR_CONDUCTOR_H
#define SVR_CONDUCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svrd;
struct json;
struct conductor;

struct conductor *conductor_start(struct svrd *d);
void conductor_stop(struct conductor *c);
/* This node's peering-common-name, or its router's name. */
const char *conductor_pcn(const struct svrd *d);
/* Is this node the conductor (role conductor in running)? */
bool conductor_role(const struct svrd *d);
/* Does password hold a live enrolment token of router, for this
 * conductor?  (NETCONF SSH password authentication.) */
bool conductor_token_ok(struct svrd *d, const char *router, const char *password);
/* Issue router's certificate for the request csr and spend its token:
 * 0 with *out (certificate, ca-certificate, authority,
 * conductor-address), or -1 with err. */
int conductor_enrol(struct svrd *d, const char *router, const char *csr, struct json **out,
		    char *err, size_t errlen);

/* Routers calling home (conductor_ch.c): take their calls with the
 * conductor's certificate and key and the CA (paths); one router's
 * connection (address, since, last-contact) or NULL when it has none. */
struct conductor_ch;
/* A router's renewed certificate for its request (PEM, malloc'd), or NULL
 * with err: from the conductor's CA, on the caller's thread. */
typedef char *(*conductor_issue_fn)(void *arg, const char *router, const char *pcn, const char *csr,
				    char *err, size_t errlen);
struct conductor_ch *conductor_ch_start(const char *cert, const char *key, const char *ca,
					const char *yang_dir, conductor_issue_fn issue, void *arg);
/* Renew router's certificate at the next look (request
 * certificate-renewal); false when it is not connected. */
bool conductor_ch_renew(struct conductor_ch *ch, const char *router);
/* Take the conductor's certificate and key again from their files (after
 * its own renewal): 0, or -1 keeping the ones in use. */
int conductor_ch_reload(struct conductor_ch *ch);
void conductor_ch_stop(struct conductor_ch *ch);
struct json *conductor_ch_asset(struct conductor_ch *ch, const char *router);
/* The routers in local override (at most max names), for the alarms. */
size_t conductor_ch_overrides(struct conductor_ch *ch, char (*names)[64], size_t max);
/* What the last commit's push left out (local override, or refused in a
 * best-effort commit): [{router, reason}], or NULL; the caller frees. */
struct json *conductor_take_skipped(struct svrd *d);
/* The authority as running has it now and its commit: what a router
 * that calls home is brought to (each its part of it). */
struct lyd_node;
void conductor_ch_set_config(struct conductor_ch *ch, const struct lyd_node *running,
			     uint32_t version);
/* The revocation list routers get (PEM; NULL: none), at the next commit's
 * confirmation and when they call home. */
void conductor_ch_set_crl(struct conductor_ch *ch, const char *crl);

#endif
