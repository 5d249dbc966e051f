/* The NETCONF server's parts (netconf.c, netconf_rpc.c): see netconf.c. */
#ifndef SVR_NETCONF_INT_H
#define SVR_NETCONF_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nc_server.h>

#include "svrd.h"

/* A NETCONF session as svrd knows it: a management peer of its own, so
 * the shell's rules (shared candidate, lock, admin or read-only) hold. */
struct nc_sess {
	struct mgmt_peer peer;
	uint32_t nc_id;		 /* the NETCONF session-id */
	struct lyd_node *filter; /* its subscription's subtree filter, or NULL */
	bool enrol;		 /* a router with its enrolment token: enrol only */
	bool conductor;		 /* the conductor, called home */
};

struct nc_notif;

#define NC_KEY_SLOTS 257 /* our metadata key, then the peers' (key_heard) */

/* Work done on svrd's thread for a NETCONF thread, which waits: fn runs
 * there with the datastore to itself.  A reply is an error when tag is
 * set (path and msg say where and what), data otherwise. */
struct nc_job {
	void (*fn)(struct netconf *n, struct nc_job *j);
	struct nc_sess *sess;
	const struct lyd_node *rpc; /* in the NETCONF context */
	struct lyd_node *data;	    /* out: in the NETCONF context */
	NC_ERR tag;		    /* out: NC_ERR_UNKNOWN (0) for none */
	char path[512];
	char msg[1024];
	const char *user;     /* authentication: whose keys */
	const char *password; /* ... or an enrolment token */
	char **keys;	      /* out: authorized-key values, NULL-terminated */
	const char *app_tag;  /* out, with tag: the error-app-tag, or NULL */
	bool admin;	      /* out: the user's role */
	bool found;	      /* out: the user is in the configuration */
	void *arg;	      /* the operation's own */
	bool done;
	struct nc_job *next;
};

struct netconf {
	struct svrd *d;
	struct ly_ctx *ctx; /* the NETCONF context: opensvr and ietf-netconf */
	struct nc_pollsession *ps;
	pthread_t accept_thr, poll_thr, notif_thr;
	bool threads;
	bool tls;		     /* a TLS endpoint too (netconf_tls.c) */
	char *ch_addresses;	     /* where it calls home now ("": nowhere; callhome.c) */
	pthread_mutex_t mu;	     /* the job and notification queues, stop */
	pthread_cond_t cv, ncv;	     /* a job done; a notification queued */
	pthread_mutex_t sessions_mu; /* a session is not freed while notified */
	struct nc_job *head, *tail;
	struct nc_notif *nq_head, *nq_tail; /* notifications to send */
	size_t nq_len;
	uint64_t nq_dropped;
	uint32_t key_index[NC_KEY_SLOTS]; /* the last notified, per slot */
	bool stop;
	int efd;
	struct ev_io *io;
	/* the accepting thread only: the session being accepted authenticated
	 * with an enrolment token (for session_new) */
	bool accepting_enrol;
	/* svrd's thread only: the pending commit confirmed made over NETCONF */
	uint64_t confirm_peer;	  /* its session (0: none, or not NETCONF's) */
	char *persist;		  /* its persist token, or NULL */
	int64_t confirm_deadline; /* ... and its deadline, which names it */
};

/* Run j->fn on svrd's thread and wait: 0, or -1 when svrd is stopping
 * (j->tag and j->msg say so). */
int nc_run(struct netconf *n, struct nc_job *j);
void nc_job_error(struct nc_job *j, NC_ERR tag, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Notifications (netconf_notif.c): start hearing alarms and keys, stop,
 * and the sending thread. */
int nc_notif_start(struct netconf *n);
void nc_notif_stop(struct netconf *n);
void *nc_notif_thread(void *arg);

/* The TLS certificate callbacks (every TLS session, call home too), and
 * the TLS endpoint on addr and port (netconf_tls.c): 0, or -1 with err.
 * pem_body: the first PEM block of text as base64 DER (malloc'd). */
void nc_tls_callbacks(struct netconf *n);
char *pem_body(const char *text);

/* Call home (callhome.c): the trusted list's name for the conductor's CA;
 * what the enrolment left (STATE/conductor-link.json): the conductor's CA
 * and name (malloc'd, NULL when not enrolled); follow the configuration
 * (svrd's thread); a call-home session comes in. */
#define NC_CH_TRUST "conductor"
char *nc_link_ca(struct netconf *n);
char *nc_link_conductor(struct netconf *n);
void nc_callhome_update(struct netconf *n);
void nc_callhome_stop(struct netconf *n);
/* in netconf.c: a session in, from the accepting thread or call home */
void nc_session_in(struct netconf *n, struct nc_session *s, bool callhome);

int nc_tls_start(struct netconf *n, const char *addr, uint16_t port, char *err, size_t errlen);

/* The RPC callback for every operation (netconf_rpc.c). */
struct nc_server_reply *nc_rpc_dispatch(struct lyd_node *rpc, struct nc_session *session);
/* svrd's thread: a NETCONF session ended (its lock, its commit confirmed). */
void nc_session_gone(struct netconf *n, struct nc_job *j);
/* The one server of this process, for the callbacks libnetconf2 calls
 * without a user pointer. */
extern struct netconf *nc_server;

#endif
