/* The peer paths' private header: what daemon/peers.c and its
 * companions (peer_io.c, peer_pins.c, peer_state.c, peer_ops.c) share.
 * The public interface is in svrd.h. */
#ifndef SVR_PEERS_INT_H
#define SVR_PEERS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bfd.h"
#include "kex.h"
#include "peerpkt.h"
#include "svrd.h"

struct lyd_node;
struct peers_next;

#define MAX_PATHS  4096
#define HASH_SLOTS 8192 /* twice MAX_PATHS: open addressing stays short */
#define RX_BUDGET  64	/* datagrams per socket per turn of the event loop */
#define CTR_STEP   64	/* counter values reserved on disk at a time */

struct path {
	int peer;	 /* engine peer index */
	char *peer_name; /* the peer's router name */
	char *ifname;	 /* our network interface */
	int sock;	 /* index in socks */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	char dst_text[64];
	struct bfd_session bfd;
	bool was_up; /* BFD has been up on this path */
	/* a peer's first path: since when its datagrams arrive while our
	 * certificate is not acknowledged (0: it is), and the count of
	 * datagrams from it seen at the last look */
	uint64_t unacked_since, rx_seen;
	bool kex_heard;		  /* a key exchange message came in on this path ... */
	uint32_t peer_disc;	  /* ... since the peer's BFD session had this discriminator */
	struct peerpkt_replay rx; /* authenticated datagrams seen */
	uint32_t tx_seq;
	uint64_t unauth, replayed; /* datagrams not taken: no valid tag, seen before */
	uint64_t nrx, ntx;	   /* datagrams received and sent */
	/* untagged datagrams since the last tagged one: a peer that lost its
	 * keys, or stopped speaking key management, or a spoofer */
	uint64_t unauth_since, unauth_last;
	bool unauth_kex; /* ... one of them carried a key-exchange message */
};

struct lsock {
	int fd;
	struct ev_io *io;
	char addr[64];
};

struct peers {
	struct svrd *d;
	struct kex_engine *kex;
	struct pki_identity *id;
	struct pki_trust *trust;
	char *pcn;
	struct path *paths;
	int npaths;
	struct lsock *socks;
	int nsocks;
	struct ev_timer *timer;
	uint64_t tx_errors;
	/* the metadata key's schedule (peer-key-rekey-interval; 0: never) */
	uint64_t mkey_interval_ms;
	uint64_t mkey_since_ms;
	uint32_t mkey_changes;	 /* rotations and regenerations */
	uint32_t config_changes; /* rebuilds from the configuration */
	bool active;
	char *plan;			     /* what the peers and paths were built from */
	uint64_t alarms_ms;		     /* last evaluation */
	uint64_t crl_poll_ms, crl_polled_ms; /* the revocation lists' polling */
	char *client_cert_problem;	     /* why a client-certificate is not used */
	/* file:// revocation lists are also watched: a replaced list is read
	 * at once instead of at the next poll */
	int crl_watch;
	struct ev_io *crl_io;
	char **crl_files;
	int ncrl_files;
	bool crl_changed;
	char *crl_problem; /* a configured list that cannot be read */
	char *crl_text;	   /* what the lists said when last read */
	/* generations and metadata-key indexes never go back (lib/pcounter.h) */
	struct pcounter *ctr[2];
	char *km_problem; /* why key management cannot run, for the alarm */
	/* paths by (socket, far address): a keyed hash, so that datagrams
	 * from any address cost one short probe */
	int16_t *slots;
	uint64_t hash_key;
	uint64_t due;		 /* when the timer goes off (pp_arm) */
	struct peers_next *next; /* what a commit prepared */
	struct peers_view view;	 /* what the listeners were told */
	struct {
		peers_listener fn;
		void *arg;
	} listeners[4];
	int nlisteners;
	struct {
		peers_key_listener fn;
		void *arg;
	} key_listeners[4];
	int nkey_listeners;
};

/* peers.c: configuration, the key engine, the timer */
void pp_now(struct peers *ps, bool always);
void pp_arm(struct peers *ps);
/* The timer brought forward to deadline when it is earlier (0: none). */
void pp_arm_sooner(struct peers *ps, uint64_t deadline);
void pp_rebuild(struct peers *ps, const struct lyd_node *running);
void pp_teardown(struct peers *ps);

/* peer_ops.c: the key listeners told what the engine's key events say
 * (pp_flush_kex takes them with its messages); ev NULL: forget all. */
void pp_push_keys(struct peers *ps);

/* peer_state.c: how a peer is, from its paths (first path i), which
 * its alarms and its security association both say: a path up now or
 * once, silent (BFD up for long with no key exchange, or bare BFD while
 * keyed: it does not speak key management), refused under fail-hard. */
struct peer_health {
	bool any_up, any_was, silent, refused;
	bool refuses_us; /* it has not accepted our certificate for long */
};
void pp_peer_health(const struct peers *ps, int i, uint64_t mono, struct peer_health *h);

/* peer_yang.c: their operational state, filled in get-state's tree */
int pp_register_state(struct peers *ps);
void pp_keys_gone(struct peers *ps);

/* peer_io.c: sockets, paths and datagrams */
void pp_add_paths(struct peers *ps, const struct lyd_node *node, const char *peer_name, int peer);
void pp_flush_kex(struct peers *ps);
void pp_index_paths(struct peers *ps);
void pp_send_path(struct peers *ps, struct path *p, const uint8_t *kmsg, size_t klen);
void pp_view_of(const struct lyd_node *me, const struct lyd_node *mynode, bool eskm,
		struct peers_view *v);

/* peer_pins.c: key pins and the key counters */
int pp_next_number(void *arg, enum kex_number kind, uint32_t *out);
int pp_open_counters(struct peers *ps, char *err, size_t errlen);
void pp_pin_peer(struct peers *ps, const struct lyd_node *auth, const char *pins, const char *rn,
		 const char *ppcn, int idx);
void pp_pins_path(const struct peers *ps, char *buf, size_t len);
void pp_save_learned_pins(struct peers *ps);

/* peer_state.c: revocation lists, alarms and state */
bool pp_rejected(const struct peers *ps, int peer);
void pp_evaluate_alarms(struct peers *ps);
void pp_reload_crls(struct peers *ps);
void pp_unwatch_crls(struct peers *ps);
void pp_watch_crl(struct peers *ps, const char *file);

/* peer_ops.c: the RPCs and what other subsystems ask */
void pp_register_rpcs(struct peers *ps);

#endif
