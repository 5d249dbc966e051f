/* The conductor's parts that share its routers' sessions: conductor_ch.c
 * (call home, the assets), conductor_push.c (the commit pushed) and
 * conductor_parts.c (each router's part of the authority). */
#ifndef SVR_CONDUCTOR_INT_H
#define SVR_CONDUCTOR_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conductor.h"

struct nc_session;
struct lyd_node;

/* Each router's part of the authority (conductor_parts.c), built from a
 * configuration tree on svrd's thread and read-only after: shared by
 * reference (cparts_ref; cparts_free drops one). */
struct cparts;
struct cparts *cparts_build(const struct lyd_node *tree, const char *ca_pem);
struct cparts *cparts_ref(struct cparts *p);
void cparts_free(struct cparts *p);
/* What router gets (malloc'd XML: the authority replaced), or NULL when
 * it is no router of the authority. */
char *cparts_xml(const struct cparts *p, const char *router);
/* The router whose peering-common-name (its name when it has none) is
 * pcn; the router named name.  NULL: none. */
const char *cparts_router_of_pcn(const struct cparts *p, const char *pcn);
const char *cparts_router_of_name(const struct cparts *p, const char *name);
size_t cparts_count(const struct cparts *p);
/* Router name's peering-common-name (its name when it has none). */
const char *cparts_pcn_of(const struct cparts *p, const char *name);

/* The conductor's NETCONF sessions share one libyang context, and a new
 * session's hello may load modules into it and change its features
 * (libnetconf2 does, from what the router advertises): a hello holds this
 * exclusively; every RPC holds it shared, with the trees of its reply,
 * until they are freed. */
extern pthread_rwlock_t conductor_nc_lock;

enum pending { PENDING_NONE, PENDING_EDIT, PENDING_CONFIRM };

/* A router that called home. */
struct asset {
	char router[64];
	char host[64];
	char software[32];
	int64_t since, last; /* wall-clock seconds */
	int64_t retry_at;    /* when a refused catch-up is tried again */
	int64_t next_ask;    /* when its state is asked again */
	struct nc_session *s;
	int fd;			       /* its socket (the session's) */
	uint32_t version;	       /* the conductor's commit it runs (0: none known) */
	uint64_t serial;	       /* its certificate's */
	unsigned crl_gen;	       /* the revocation list it has */
	bool override;		       /* in local override: the conductor's changes held aside */
	int64_t not_before, not_after; /* its certificate's, as it presented it */
	bool renew_now;		       /* the operator asked for a new certificate */
	int64_t renew_at;	       /* a failed renewal is tried again then */
	char refused[512];	       /* why it did not take the last change, or "" */
	enum pending pending;	       /* what a push left on it */
	struct asset *next;
};

enum push_step { PUSH_PREPARE, PUSH_CONFIRM, PUSH_CANCEL };

/* One push: the routers (a snapshot of the assets) and how it went. */
struct push {
	enum push_step step;
	bool check_only, best_effort;
	uint32_t version;
	struct cparts *parts; /* what each router gets */
	char *crl;	      /* the revocation list, sent with the confirmation */
	unsigned crl_gen;
	struct asset **v;
	size_t n, next;
	pthread_mutex_t mu;
	struct json *skipped; /* [{router, reason}] that did not take it */
	int failures;
	char failed_router[64], failed_msg[512];
};

struct conductor_ch;

/* The assets, for a push: from PUSH_PREPARE until the following
 * PUSH_CONFIRM or PUSH_CANCEL, no one else uses the sessions and none
 * goes.  -1: no router (nothing to do). */
int ch_hold(struct conductor_ch *ch, struct push *p);
void ch_release(struct conductor_ch *ch, struct push *p, bool keep);
/* The authority's CA (PEM), pushed as trusted. */
const char *ch_ca_pem(const struct conductor_ch *ch);
/* A copy of the revocation list routers get now, and its generation;
 * NULL when there is none. */
char *ch_crl(struct conductor_ch *ch, unsigned *gen);

/* conductor_push.c: a step on every held router (see there); 0, or -1
 * with err naming the router that refused.  One router's catching up
 * (sync: 0, -2 when it holds changes aside in local override, -1), and
 * the revocation list sent to it.  A push skips routers in local override
 * and, best effort, the ones that refuse; *skipped lists them. */
#define PUSH_CHECK	 0x1u /* validate only (commit check) */
#define PUSH_BEST_EFFORT 0x2u /* a router that refuses is left out of sync */
struct json;
int conductor_push(struct conductor_ch *ch, enum push_step what, const struct lyd_node *tree,
		   uint32_t version, unsigned flags, struct json **skipped, char *err,
		   size_t errlen);
int conductor_sync(struct asset *a, const struct cparts *parts, uint32_t version);
int conductor_send_crl(struct asset *a, const char *crl);
/* A new certificate for a: the router makes a key and a request, issue
 * (the conductor's CA) answers it, the router installs it.  0, or -1 with
 * err. */
int conductor_renew(struct asset *a, const char *pcn, conductor_issue_fn issue, void *arg,
		    char *err, size_t errlen);

#endif
