/* svrd internals shared by the daemon's files. */
#ifndef SVR_SVRD_H
#define SVR_SVRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

struct ds;
struct ds_errs;
struct ev_loop;
struct ev_timer;
struct json;
struct mgmt_server;
struct netconf;
struct pcli_session;

/* A YANG RPC of the model, served by the subsystem that registered it
 * (svrd_rpc_register).  Its input has been checked against the model; it
 * returns 0 with *output set (NULL: an empty reply), or -1 with an error
 * in e (naming what is wrong). */
typedef int (*svrd_rpc_fn)(void *arg, const struct json *input, struct json **output,
			   struct ds_errs *e);
#define SVRD_MAX_RPCS 16
struct svrd_rpc {
	const char *name;
	svrd_rpc_fn fn;
	void *arg;
};
/* The fillers of the operational state (state.h), in registration order. */
#define SVRD_MAX_STATE 8
struct svrd_state {
	svrd_state_fn fn;
	void *arg;
};

struct svrd {
	struct ev_loop *loop;
	struct svrd_rpc rpcs[SVRD_MAX_RPCS];
	int nrpcs;
	struct svrd_state states[SVRD_MAX_STATE];
	int nstates;
	struct mgmt_server *mgmt;
	struct netconf *netconf; /* NULL unless --netconf */
	struct conductor *conductor;
	bool commit_best_effort; /* during a commit: the conductor's push is best effort */
	char *state_dir;
	char *socket_path;
	char *router;
	char *node;
	char *yang_dir;
	struct ds *ds;
	struct ev_timer *tick;
	struct peers *peers;
	struct dataplane *dataplane;
	struct alarm_store *alarms;
	gid_t sock_gid;	 /* group of the management socket; -1 when no such group */
	gid_t admin_gid; /* members may change things; -1 when no such group */
	uint64_t start_ms;
	int pid_fd;
};

/* A management connection: its identity (from SO_PEERCRED) and session
 * state (the configuration level of its shell, its lock). */
struct mgmt_peer {
	uint64_t id;
	struct pcli_session *pcli;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[64];
	bool admin; /* may use write operations */
};

struct mgmt_op {
	const char *name;
	bool write; /* needs admin rights */
	/* Returns 0 with *data set (or left NULL for an empty object), or -1
	 * with *error set to a complete error reply's "error" object. */
	int (*fn)(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		  struct json **data, struct json **error);
};

const struct mgmt_op *mgmt_op_find(const char *name);
/* The active alarms in get-state's tree (ops.c). */
int alarms_register_state(struct svrd *d);
/* Serve the model's RPC name (without the module prefix) with fn: 0, or
 * -1 when the model has no such RPC, it is taken, or the table is full. */
int svrd_rpc_register(struct svrd *d, const char *name, svrd_rpc_fn fn, void *arg);
/* Add fn to the fillers of get-state's authority-state: 0, or -1 when
 * the table is full. */
int svrd_state_register(struct svrd *d, svrd_state_fn fn, void *arg);
const struct mgmt_op *config_op_find(const char *name);
const struct mgmt_op *model_op_find(const char *name);
/* The conductor's operations (conductor.c) and a router's enrolment
 * (enrolment.c); enrolment_forget wipes a pending key at exit. */
const struct mgmt_op *conductor_op_find(const char *name);
const struct mgmt_op *enrolment_op_find(const char *name);
void enrolment_forget(void);
void enrolment_start(struct svrd *d);
/* A string of what the enrolment left (STATE/conductor-link.json: key
 * "ca-certificate", "conductor-name", ...; malloc'd), or NULL. */
char *enrolment_link(const struct svrd *d, const char *key);
/* Since when local override is on (seconds), 0 when off (enrolment.c). */
int64_t enrolment_local_override(const struct svrd *d);
/* Finish an operation: errors make the reply an error, warnings ride in
 * data (config_ops.c). */
int config_finish(struct ds_errs *e, struct json **data, struct json **error);
/* A connection ends: free its session state, release its lock. */
void config_session_end(struct svrd *d, struct mgmt_peer *peer);
/* ds_errs as the "error" object of a reply (NULL if there are no errors). */
struct json *config_errors_json(const struct ds_errs *e);

struct mgmt_server *mgmt_server_start(struct svrd *d, char *err, size_t errlen);
void mgmt_server_stop(struct mgmt_server *s);
/* The management server's counters and limits, for get-version. */
struct json *mgmt_server_stats(const struct mgmt_server *s);

/* peers.c: peer paths (BFD + key exchange) */
struct peers;
struct peers *peers_start(struct svrd *d);
void peers_stop(struct peers *ps);
int peers_regenerate(struct peers *ps, uint32_t *index);
/* New peer keys with every peer (peer-key-rekey-interval, or an operator),
 * then a new metadata key: 0, or -1 when key management is not running. */
int peers_rekey(struct peers *ps, uint32_t *index);
/* reload local certificates: read this node's certificate again and start
 * every exchange over with it. */
int peers_reload(struct peers *ps);
/* The operator accepts the key peer (a router name) was refused for
 * (trust on first use): it is pinned and persisted; fp gets its hex
 * fingerprint.  -1 when no key was refused for that peer. */
int peers_accept_key(struct peers *ps, const char *peer, char *fp, size_t fplen);

/* What the peers are, for the subsystems that act on them (the data
 * plane), which learn it from events rather than by asking: PEERS_NEXT
 * from the peers' prepare step (what a commit would make them; the
 * listener's own prepare, which runs after, builds on it, and its abort
 * forgets it), PEERS_NOW once it holds (a commit applied) and whenever it
 * changes outside a commit (the certificates read again, a revocation
 * list, a peer refused or accepted). */
struct peer_view {
	int peer;	       /* the key engine's number */
	char name[64];	       /* its router name */
	char identity[128];    /* its peering common name ("" without key management) */
	char dst[64], src[64]; /* its waypoint and ours: an IPv4 path's, else IPv6 ("": none) */
	bool refused;	       /* fail-hard holds it down: nothing is carried with it */
};
struct peers_view {
	bool keyed; /* key management runs */
	int n;
	struct peer_view *v;
};
enum peers_event { PEERS_NEXT, PEERS_NOW };
typedef void (*peers_listener)(void *arg, enum peers_event ev, const struct peers_view *view);
/* 0, or -1 when there are too many listeners. */
int peers_listen(struct peers *ps, peers_listener fn, void *arg);
/* The view as it is now (for a listener that starts late). */
const struct peers_view *peers_view(const struct peers *ps);
/* The metadata keys, pushed down as the key engine changes them (kex.h's
 * key events) to whatever holds them for the packets (the data plane);
 * ev NULL: forget every key (key management stopped, or started over
 * with a new engine, whose keys follow).  A listener is given every key
 * held now when it registers.  0, or -1 when there are too many. */
struct kex_key_event;
typedef void (*peers_key_listener)(void *arg, const struct kex_key_event *ev);
int peers_listen_keys(struct peers *ps, peers_key_listener fn, void *arg);
/* The node's identity as PEM text, its certificate and its private key
 * (malloc'd; the caller wipes the key): 0, or -1 without one (key
 * management not running). */
int peers_identity_pem(const struct peers *ps, char **cert, char **key);
/* Read the revocation lists again now (the conductor sent one). */
void peers_reload_crls(struct peers *ps);

/* dataplane.c: the datapath and its forwarder */
struct dataplane;
struct dataplane *dataplane_start(struct svrd *d);
void dataplane_stop(struct dataplane *dp);
/* get-sessions: a page of them (args "cursor", "limit"), with "total",
 * "more" and "next" (dataplane.c). */
#define DATAPLANE_SESSIONS_PAGE 5000
#define DATAPLANE_SESSIONS_MAX	5000
struct json *dataplane_sessions(const struct dataplane *dp, const struct json *args);
/* clear stats: the data plane's counters from zero (sessions untouched). */
void dataplane_clear_stats(struct dataplane *dp);
/* End the one session whose id starts with id (8 to 32 hex digits): 0, or
 * -1 with why (no such session, several, not an id). */
int dataplane_end_session(struct dataplane *dp, const char *id, char *why, size_t len);

int pidfile_acquire(const char *path, char *err, size_t errlen);
/* Written after daemonising, when the PID is final. */
int pidfile_write(int fd);
void pidfile_release(int fd, const char *path);

/* privs.c: after setup, keep only CAP_NET_ADMIN and CAP_NET_RAW (also as
 * ambient capabilities, for the iptables svrd runs), with no_new_privs
 * and not dumpable; 0, or -1 with err set. */
int privs_drop(char *err, size_t errlen);

#endif
