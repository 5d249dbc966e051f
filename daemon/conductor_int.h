/* The conductor's parts that share its routers' sessions: conductor_ch.c
 * (call home, the assets) and conductor_push.c (the commit pushed). */
#ifndef SVR_CONDUCTOR_INT_H
#define SVR_CONDUCTOR_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct nc_session;

enum pending { PENDING_NONE, PENDING_EDIT, PENDING_CONFIRM };

/* A router that called home. */
struct asset {
	char router[64];
	char host[64];
	int64_t since, last; /* wall-clock seconds */
	struct nc_session *s;
	uint32_t version;     /* the conductor's commit it runs (0: none yet) */
	enum pending pending; /* what a push left on it */
	struct asset *next;
};

enum push_step { PUSH_PREPARE, PUSH_CONFIRM, PUSH_CANCEL };

/* One push: the routers (a snapshot of the assets) and how it went. */
struct push {
	enum push_step step;
	bool check_only;
	uint32_t version;
	char *xml; /* the authority, replaced whole */
	char *crl; /* the revocation list, sent with the confirmation */
	struct asset **v;
	size_t n, next;
	pthread_mutex_t mu;
	int failures;
	char failed_router[64], failed_msg[512];
};

struct conductor_ch;

/* The assets, for a push: from PUSH_PREPARE until the following
 * PUSH_CONFIRM or PUSH_CANCEL, the accepting thread leaves the sessions
 * alone and none goes.  -1: no router (nothing to do). */
int ch_hold(struct conductor_ch *ch, struct push *p);
void ch_release(struct conductor_ch *ch, struct push *p, bool keep);
/* The authority of json (the datastore's JSON) as the XML an edit-config
 * replaces it with (malloc'd), or NULL. */
char *authority_xml(struct conductor_ch *ch, const char *json);

/* conductor_push.c: a step on every held router (see there); 0, or -1
 * with err naming the router that refused.  And one router's catching up
 * when it calls home. */
int conductor_push(struct conductor_ch *ch, enum push_step what, const char *json, uint32_t version,
		   bool check_only, char *err, size_t errlen);
int conductor_sync(struct conductor_ch *ch, struct asset *a, const char *json, uint32_t version);
/* The revocation list to one router (install-revocation-list); and a copy
 * of the one routers get now (conductor_ch.c), or NULL. */
int conductor_send_crl(struct asset *a, const char *crl);
char *ch_crl(struct conductor_ch *ch);

#endif
