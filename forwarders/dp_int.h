/* DOC: the datapath's files and what they share (private to forwarders/)
 *
 * The datapath's internals, shared by its files and by nothing else
 * (datapath.h is the interface).  The datapath is split by concern, each
 * file readable on its own:
 *
 *   datapath.c    the packet path: dp_lan_in and dp_wan_in dispatch a
 *                 packet through the steps below; a datapath made and freed
 *   dp_config.c   what svrd tells it: peers (slots bound to a router's
 *                 name), services, local prefixes, limits, epochs, clocks
 *   dp_session.c  the session table: its hash chains, the count by source
 *                 address, the waypoint ports of each peer, payload keys;
 *                 the tick (idle sessions, due rotations); listing them
 *   dp_parse.c    reading a packet (struct pkt) and building one
 *   dp_meta.c     the metadata handshake: first packets sealed and opened,
 *                 the payload key wrapped, rotated keys, re-triggers
 *   dp_relay.c    the hub: a session relayed WAN to WAN as two legs
 *
 * struct dp is one value, passed everywhere: no file keeps state of its
 * own, so the datapath stays sans-I/O and a test can make as many as it
 * likes. */
#ifndef SVR_DP_INT_H
#define SVR_DP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "datapath.h"
#include "keyring.h"
#include "replay.h"
#include "siphash.h"

/* Table sizes.  A fuzz build (DP_SMALL_TABLES) makes them small: the same
 * code, a datapath cheap enough to make for every input, and hash chains
 * that collide more often. */
#ifdef DP_SMALL_TABLES
#define BUCKETS	     256
#define SRC_BUCKETS  64
#define MAX_PEERS    16
#define MAX_SERVICES 64
#define MAX_LOCALS   16
#else
#define BUCKETS	     65536 /* per table, a power of two */
#define SRC_BUCKETS  16384 /* sources: fewer than sessions */
#define MAX_PEERS    4096
#define MAX_SERVICES 4096
#define MAX_LOCALS   1024
#endif
#define PEER_SLOTS     (2 * MAX_PEERS) /* open addressing */
#define META_WINDOW_MS 30000	       /* a first packet's clock may be this far off */
/* the ports of one half (the even ones: one more than the odd) */
#define HALF_PORTS ((DP_PORT_MAX - DP_PORT_MIN) / 2 + 1)
#define EPOCH_MAX  ((1ull << (64 - DP_EPOCH_SHIFT)) - 1)
#define EPOCH_SEQS ((1ull << DP_EPOCH_SHIFT) - 1) /* sequence numbers in one */

#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_ICMP6_ 58

/* A peer router, by its name: a slot of the table that stays its own as
 * long as sessions refer to it, whatever number a commit gives it. */
struct peer {
	bool used;  /* configured now (ext is its number) */
	bool named; /* the slot holds a router's name */
	int ext;    /* the key engine's number for it, -1 */
	char name[64], identity[128];
	int family;
	unsigned mtu;
	uint8_t theirs[16], ours[16];
	int nsess;	 /* sessions with it */
	unsigned parity; /* our half of the waypoint ports towards it */
	uint32_t pnew;	 /* ports of our half handed out once at least */
	uint16_t *ports; /* ports of our half given back, a ring (made on first use) */
	uint32_t phead, pcount;
};

struct service {
	char name[64];
	int family, plen, peer;
	uint8_t prefix[16];
};

struct sess {
	bool used, ingress, acked;
	bool transit;  /* one leg of a session this router relays (a hub) */
	bool answered; /* the far end answered: the protocol's timeout, not the short one */
	bool counted;  /* in the count of its source address */
	int mate;      /* a transit leg's other leg */
	struct svr_ctx fwd;
	int peer; /* its peer's slot */
	uint16_t port;
	uint8_t uuid[16];
	char service[64];
	struct crypto_seal_key pk;
	struct crypto_pkt_key *ck;
	struct crypto_pkt_key *prev_ck; /* the key before a rotation, for a while */
	uint64_t key_ms;		/* when ck came */
	uint32_t rekeys;
	uint64_t key_meta_ms;  /* the clock of the metadata that brought ck */
	uint64_t retrigger_ms; /* the clock of the last re-trigger taken */
	uint64_t tx_seq, last_ms, timeout_ms, pkts_out, pkts_in;
	struct replay rx;
	int next_fwd, next_rev, next_port; /* hash chains; -1 ends */
};

/* sessions by source address */
struct src {
	uint8_t family, addr[16];
	uint32_t n;
	int next;
};

struct dp {
	struct keyring *keys; /* pushed by svrd (dp_key_event) */
	char router[64];
	uint8_t hkey[SIPHASH_KEY];
	struct peer *peers; /* MAX_PEERS slots */
	int nslots;	    /* slots ever named: the loops over them stop there */
	int *ext_slot;	    /* the slot of each key-engine number, -1 */
	int *peer_slot;	    /* slots by (their address, ours); -1 empty */
	struct service *services, *locals;
	int nservices, nlocals;
	struct sess *s;
	int ns, cap, free_head, live;
	int *by_fwd, *by_rev, *by_port;
	struct src *srcs;
	int *by_src, nsrcs, src_cap, src_free;
	struct dp_limits lim;
	uint64_t epoch_next, epoch_end; /* epochs not handed out yet */
	uint64_t rekey_ms;
	int64_t wall_offset;	     /* the wall clock minus the clock we are given, ms */
	uint64_t retrigger_ms[1024]; /* when we last asked, by (peer, port) hash */
	struct dp_stats st;
	uint8_t seg[DP_MAX_PKT]; /* a TCP segment being prepared */
};

/* A packet as dp_parse.c reads it. */
struct pkt {
	int family;	  /* 0: not even the addresses could be read */
	size_t hl, total; /* IP header length, whole packet */
	uint8_t proto;
	const uint8_t *l4;
	size_t l4len;
	struct svr_ctx t;
	bool syn;
};

enum parsed {
	PARSED_OK = 0,
	PARSED_MALFORMED = -1,
	PARSED_FRAGMENT = -2,
	PARSED_EXT_HEADER = -3,
};

/* A datagram from the WAN on its way through dp_wan_in: what each step
 * found, for the next. */
struct wan_pkt {
	struct pkt k;
	int peer; /* the slot it came from */
	uint16_t port;
	const uint8_t *data; /* the UDP payload: metadata frame, then the sealed part */
	size_t dlen, mlen;   /* its length; the metadata frame's (0: none) */
	struct svrmeta f;
	struct svr_session_meta m;
	bool first;			 /* it carries metadata sealed for us */
	bool rekey;			 /* ... bringing another payload key, next_key */
	struct crypto_seal_key next_key; /* wiped before dp_wan_in returns */
	uint64_t seq;
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline enum dp_verdict drop(struct dp *dp, struct dp_out *out, enum dp_drop why)
{
	dp->st.drops[why]++;
	out->drop = why;
	return DP_DROP;
}

/* The metadata clock (TLV 0xF002): milliseconds since the epoch, whatever
 * clock the forwarders time sessions with. */
static inline uint64_t wall(const struct dp *dp, uint64_t now)
{
	return now + (uint64_t)dp->wall_offset;
}

/* Whether a metadata clock is within META_WINDOW_MS of ours. */
static inline bool fresh(const struct dp *dp, uint64_t time_ms, uint64_t now)
{
	return time_ms + META_WINDOW_MS >= wall(dp, now) &&
	       time_ms <= wall(dp, now) + META_WINDOW_MS;
}

/* The IP and UDP headers of a datagram towards peer pr. */
static inline size_t wan_hl(const struct peer *pr)
{
	return pr->family == 4 ? 28 : 48;
}

/* ---- dp_config.c ------------------------------------------------------------ */

int peer_find(const struct dp *dp, int family, const uint8_t *theirs, const uint8_t *ours);
int peer_ext(const struct dp *dp, int slot);

/* The current metadata key of the peer in slot, NULL when it has none. */
static inline const struct kex_mkey *peer_mkey(const struct dp *dp, int slot)
{
	return keyring_peer(dp->keys, peer_ext(dp, slot));
}
const struct service *service_for(const struct dp *dp, int family, const uint8_t *dst);
int service_slot(const struct dp *dp, const struct service *svc);
bool is_local(const struct dp *dp, int family, const uint8_t *dst);
uint64_t take_epoch(struct dp *dp);

/* ---- dp_session.c ----------------------------------------------------------- */

uint32_t hash_port(const struct dp *dp, int peer, uint16_t port);
int sess_find_flow(struct dp *dp, const struct svr_ctx *t, bool *reverse);
int sess_find_port(struct dp *dp, int peer, uint16_t port);
uint32_t src_count(const struct dp *dp, int family, const uint8_t *a);
int port_alloc(struct dp *dp, int peer, uint16_t *port);
void port_free(struct dp *dp, int peer, uint16_t port);
int sess_new(struct dp *dp, const struct svr_ctx *fwd, int peer, uint16_t port,
	     const struct crypto_seal_key *pk, uint64_t now, bool lan, bool counted);
void sess_free(struct dp *dp, int i);
void sess_end(struct dp *dp, int i);
enum dp_drop sess_room(const struct dp *dp, const struct svr_ctx *fwd);
void sess_answered(const struct dp *dp, struct sess *s);
uint64_t sess_next_seq(struct dp *dp, struct sess *s);
int sess_rekey(struct dp *dp, int si, const struct crypto_seal_key *pk, uint64_t now);

/* ---- dp_parse.c ------------------------------------------------------------- */

enum parsed pkt_parse(const uint8_t *b, size_t len, struct pkt *k);
size_t pkt_build(uint8_t *out, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 uint8_t ttl, uint16_t sport, uint16_t dport, bool udp_header, size_t body_len);
size_t pkt_build_wan(uint8_t *out, const struct peer *pr, uint16_t port, size_t body_len);
void pkt_inner(const struct pkt *k, const uint8_t **p, size_t *len);
const uint8_t *pkt_tcp_ready(struct dp *dp, const struct pkt *k, const uint8_t *body, size_t blen);
bool pkt_udp_ok(const struct pkt *k);

/* ---- dp_meta.c -------------------------------------------------------------- */

size_t meta_first(struct dp *dp, const struct sess *s, const char *src_router, bool syn,
		  bool meta_only, uint64_t time_ms, uint8_t *frame, enum dp_drop *why);
int meta_send_extra(struct dp *dp, struct sess *s, uint8_t dir, size_t mlen, struct dp_out *out);
enum dp_drop meta_for_first(struct dp *dp, struct sess *s, bool syn, size_t sealed_len,
			    uint64_t now, uint8_t *frame, size_t *mlen, struct dp_out *out);
size_t meta_have_it(uint8_t *frame);
void meta_handshake(struct dp *dp, struct sess *s, const struct wan_pkt *w, struct dp_out *out);
size_t meta_retrigger_frame(struct dp *dp, int peer, uint16_t port, uint64_t now, uint8_t *frame,
			    size_t cap);
void meta_send_retrigger(struct dp *dp, int peer, uint16_t port, uint64_t now, struct dp_out *out);
enum dp_verdict meta_take_retrigger(struct dp *dp, const struct wan_pkt *w, uint64_t now,
				    struct dp_out *out);
int meta_take_session(struct dp *dp, struct wan_pkt *w, uint64_t now, enum dp_drop *why);
enum dp_drop meta_take_key(struct dp *dp, int si, const struct wan_pkt *w, uint64_t now);

/* ---- dp_relay.c ------------------------------------------------------------- */

int relay_legs(struct dp *dp, int si, int next, uint16_t next_port,
	       const struct crypto_seal_key *pk, uint64_t now);
enum dp_verdict relay_retrigger(struct dp *dp, const struct sess *s, uint64_t now,
				struct dp_out *out);
enum dp_verdict relay(struct dp *dp, int si, const struct wan_pkt *w, uint64_t now,
		      struct dp_out *out);

#endif
