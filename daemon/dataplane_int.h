/* The data plane's private header: what daemon/dataplane.c, dp_conf.c
 * (its configuration, typed) and dataplane_state.c (its state for the
 * shell) share.  The public interface is in svrd.h. */
#ifndef SVR_DATAPLANE_INT_H
#define SVR_DATAPLANE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "datapath.h"
#include "fwd.h"
#include "svrd.h"

struct ly_ctx;
struct lyd_node;

/* A service routed to a peer: its prefixes go to that peer. */
struct route {
	char svc[64], prefix[64], peer[64];
};

/* What the data plane takes from the configuration, read once per commit
 * (conf_read); the peers come from the peers' events, not from here. */
struct dp_conf {
	const char *problem; /* why it carries nothing (NULL: it may) */
	char forwarder[32];
	struct fwd_config c;	 /* interfaces, waypoints, queue (prefixes: see fwd_config_of) */
	struct fwd_config guard; /* what the forwarding guard is asked for */
	char (*locals)[96];	 /* where sessions from peers may end */
	int nlocals;
	struct route *routes;
	int nroutes;
	uint64_t rekey_ms;
	struct dp_limits limits;
	char missing[64]; /* an interface that is not here */
};

/* What a commit prepared (dataplane.c's prepare_next). */
struct dp_next {
	bool prepared;
	bool same; /* the forwarder stays as it is */
	struct dp_conf conf;
	struct fwd_config c; /* what the forwarder is opened with */
	char *plan;
	const struct fwd_ops *ops;
	struct fwd *fwd; /* opened by prepare */
	char err[256];	 /* why it could not open (outside a commit) */
};

struct dataplane {
	struct svrd *d;
	struct dp *dp;
	const struct fwd_ops *ops;
	struct fwd *fwd;
	struct ev_io *ios[FWD_MAX_FDS];
	int nios;
	struct ev_timer *timer;
	char *plan;		     /* what the forwarder was opened with */
	struct fwd_config running_c; /* ... in full */
	bool guarded;		     /* the forwarding guard drops what is not carried */
	struct dp_conf conf;	     /* the configuration applied */
	struct dp_next next;	     /* what a commit prepared */
	struct peers_view view;	     /* the peers, as their events said */
	struct peers_view next_view; /* ... as a commit would make them */
	bool have_next_view;
	char *guard;	  /* what the forwarding guard was installed with */
	bool stale_guard; /* one from before, which the configuration does not ask for */
	char forwarder[32];
	struct dp_out out;
	unsigned ticks;
	uint64_t send_errors;	 /* the forwarder's tx_errors at the last report */
	struct pcounter *epochs; /* STATE/dp-epoch: the datapath's sequence epochs */
	bool epoch_alarm;
	struct fwd_stats fwd_base; /* the forwarder's counters at the last clear stats */
};

/* dp_conf.c: what the data plane takes from a configuration tree, for
 * this router and node (defaults from the schema); c is freed with
 * dpconf_free. */
void dpconf_read(const struct ly_ctx *ctx, const char *router, const char *node,
		 const struct lyd_node *tree, struct dp_conf *c);
void dpconf_free(struct dp_conf *c);
/* dataplane_state.c: the forwarding state filled in get-state's tree. */
int dp_register_state(struct dataplane *p);

#endif
