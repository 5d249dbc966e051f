/* The datapath; see datapath.h.  Sessions live in one array (indices
 * stay valid when it grows) and are found through three hash tables of
 * index chains, keyed with SipHash under a random key: by the forward
 * 5-tuple, by the reverse one, and by (peer, waypoint port) for what
 * comes from the WAN.  Peers are slots bound to a router's name for as
 * long as a session refers to them; the key engine's numbers map onto
 * them at each commit.  Each slot hands out waypoint ports of its half
 * from a free list, and a table counts sessions by source address. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "datapath.h"
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
	struct dp_keys keys;
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

const char *dp_drop_name(enum dp_drop d)
{
	static const char *const n[DP_DROP_N] = {
		"malformed",
		"no peer key",
		"no session",
		"replay",
		"bad tag",
		"unknown key index",
		"bad metadata",
		"stale first packet",
		"no waypoint port",
		"unsupported",
		"fragment",
		"ipv6 extension header",
		"tcp without syn",
		"foreign destination",
		"source session limit",
		"session table full",
		"no sequence epoch",
	};

	return (unsigned)d < DP_DROP_N ? n[d] : "?";
}

/* ---- configuration -------------------------------------------------------- */

struct dp *dp_new(const struct dp_keys *keys, const char *router)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->keys = *keys;
	snprintf(dp->router, sizeof(dp->router), "%s", router ? router : "");
	dp->by_fwd = malloc(BUCKETS * sizeof(int));
	dp->by_rev = malloc(BUCKETS * sizeof(int));
	dp->by_port = malloc(BUCKETS * sizeof(int));
	dp->by_src = malloc(SRC_BUCKETS * sizeof(int));
	dp->peers = calloc(MAX_PEERS, sizeof(*dp->peers));
	dp->ext_slot = malloc(MAX_PEERS * sizeof(int));
	dp->services = calloc(MAX_SERVICES, sizeof(*dp->services));
	dp->locals = calloc(MAX_LOCALS, sizeof(*dp->locals));
	dp->peer_slot = malloc(PEER_SLOTS * sizeof(int));
	if (!dp->by_fwd || !dp->by_rev || !dp->by_port || !dp->by_src || !dp->peers ||
	    !dp->ext_slot || !dp->services || !dp->locals || !dp->peer_slot ||
	    crypto_random(dp->hkey, sizeof(dp->hkey)) < 0) {
		dp_free(dp);
		return NULL;
	}
	memset(dp->by_fwd, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_rev, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_port, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_src, 0xff, SRC_BUCKETS * sizeof(int));
	memset(dp->ext_slot, 0xff, MAX_PEERS * sizeof(int));
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	/* slots are set up as they are named (slot_for_name): a large
	 * table, left untouched until then */
	dp->free_head = -1;
	dp->src_free = -1;
	dp->lim = (struct dp_limits){DP_DEFAULT_MAX_SESSIONS, DP_DEFAULT_MAX_PER_SOURCE,
				     DP_DEFAULT_UNANSWERED_MS};
	return dp;
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	for (int i = 0; i < dp->ns; i++)
		if (dp->s[i].used) {
			crypto_pkt_key_free(dp->s[i].ck);
			crypto_pkt_key_free(dp->s[i].prev_ck);
			crypto_wipe(&dp->s[i].pk, sizeof(dp->s[i].pk));
		}
	for (int i = 0; dp->peers && i < dp->nslots; i++)
		free(dp->peers[i].ports);
	free(dp->s);
	free(dp->by_fwd);
	free(dp->by_rev);
	free(dp->by_port);
	free(dp->by_src);
	free(dp->srcs);
	free(dp->peers);
	free(dp->ext_slot);
	free(dp->services);
	free(dp->locals);
	free(dp->peer_slot);
	crypto_wipe(dp->hkey, sizeof(dp->hkey));
	free(dp);
}

void dp_reset_config(struct dp *dp)
{
	for (int i = 0; i < dp->nslots; i++) {
		dp->peers[i].used = false;
		dp->peers[i].ext = -1;
	}
	memset(dp->ext_slot, 0xff, MAX_PEERS * sizeof(int));
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	dp->nservices = 0;
	dp->nlocals = 0;
}

static int parse_addr(const char *text, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

static uint32_t hash_addrs(int family, const uint8_t *theirs, const uint8_t *ours)
{
	size_t a = family == 6 ? 16 : 4;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < a; i++)
		h = (h ^ theirs[i]) * 16777619u;
	for (size_t i = 0; i < a; i++)
		h = (h ^ ours[i]) * 16777619u;
	return h & (PEER_SLOTS - 1);
}

static bool peer_is(const struct peer *p, int family, const uint8_t *theirs, const uint8_t *ours)
{
	size_t a = family == 6 ? 16 : 4;

	return p->used && p->family == family && !memcmp(p->theirs, theirs, a) &&
	       !memcmp(p->ours, ours, a);
}

/* The slot of the configured peer whose waypoint pair this is, or -1: a
 * hash, as a hub looks it up for every packet from thousands of peers. */
static int peer_find(const struct dp *dp, int family, const uint8_t *theirs, const uint8_t *ours)
{
	for (uint32_t h = hash_addrs(family, theirs, ours);; h = (h + 1) & (PEER_SLOTS - 1)) {
		int i = dp->peer_slot[h];

		if (i < 0)
			return -1;
		if (peer_is(&dp->peers[i], family, theirs, ours))
			return i;
	}
}

/* The key engine's number of slot i, or -1 when it is not configured. */
static int peer_ext(const struct dp *dp, int i)
{
	return i >= 0 && i < MAX_PEERS && dp->peers[i].used ? dp->peers[i].ext : -1;
}

/* The slot of key-engine number ext, or -1. */
static int slot_of(const struct dp *dp, int ext)
{
	return ext >= 0 && ext < MAX_PEERS ? dp->ext_slot[ext] : -1;
}

/* Both routers of a pair make sessions on the same port range, so each
 * takes its own half: the router whose name sorts first even ports, the
 * other odd ones.  Both ends work it out the same way, and a first packet
 * on a port of our half is not a session the far end may make. */
static unsigned port_parity(const char *router, const char *peer)
{
	return strcmp(router, peer) < 0 ? 0 : 1;
}

/* The slot named name, or a free one for it (a slot no configured peer
 * and no session refers to any more is free); -1 when none is. */
static int slot_for_name(struct dp *dp, const char *name)
{
	int spare = -1;

	for (int i = 0; i < dp->nslots; i++) {
		struct peer *p = &dp->peers[i];

		if (p->named && strcmp(p->name, name) == 0)
			return i;
		if (spare < 0 && !p->used && !p->nsess)
			spare = i;
	}
	if (spare < 0 && dp->nslots < MAX_PEERS)
		spare = dp->nslots++;
	if (spare >= 0) {
		struct peer *p = &dp->peers[spare];

		free(p->ports);
		memset(p, 0, sizeof(*p));
		p->ext = -1;
		p->named = true;
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->parity = port_parity(dp->router, name);
	}
	return spare;
}

static void peer_index(struct dp *dp)
{
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	for (int i = 0; i < dp->nslots; i++) {
		const struct peer *q = &dp->peers[i];
		uint32_t h;

		if (!q->used || peer_find(dp, q->family, q->theirs, q->ours) >= 0)
			continue;
		for (h = hash_addrs(q->family, q->theirs, q->ours); dp->peer_slot[h] >= 0;)
			h = (h + 1) & (PEER_SLOTS - 1);
		dp->peer_slot[h] = i;
	}
}

int dp_add_peer(struct dp *dp, int peer, const char *name, const char *their_addr,
		const char *our_addr)
{
	uint8_t theirs[16], ours[16];
	struct peer *p;
	int f1, f2, i, old;

	if (peer < 0 || peer >= MAX_PEERS || !name || !*name ||
	    parse_addr(their_addr, &f1, theirs) < 0 || parse_addr(our_addr, &f2, ours) < 0 ||
	    f1 != f2 || (i = slot_for_name(dp, name)) < 0)
		return -1;
	old = dp->ext_slot[peer];
	if (old >= 0 && old != i) { /* the number went to another name */
		dp->peers[old].used = false;
		dp->peers[old].ext = -1;
	}
	p = &dp->peers[i];
	if (p->used && p->ext != peer && p->ext >= 0)
		dp->ext_slot[p->ext] = -1;
	p->family = f1;
	memcpy(p->theirs, theirs, 16);
	memcpy(p->ours, ours, 16);
	if (!p->mtu)
		p->mtu = 1500;
	p->used = true;
	p->ext = peer;
	dp->ext_slot[peer] = i;
	/* a peer's addresses may change (svrd gives IPv6 first, then IPv4):
	 * the lookup table is made again, at commit time only */
	peer_index(dp);
	return 0;
}

static void sess_free(struct dp *dp, int i);

void dp_set_peer_identity(struct dp *dp, int peer, const char *identity)
{
	int i = slot_of(dp, peer);
	struct peer *p;

	if (!dp || i < 0 || !identity || !*identity)
		return;
	p = &dp->peers[i];
	if (*p->identity && strcmp(p->identity, identity) != 0)
		for (int j = 0; j < dp->ns; j++) /* another router's keys: they end */
			if (dp->s[j].used && dp->s[j].peer == i) {
				dp->st.sessions_expired += dp->s[j].transit ? 2 : 1;
				sess_free(dp, j);
			}
	snprintf(p->identity, sizeof(p->identity), "%s", identity);
}

void dp_set_wallclock(struct dp *dp, uint64_t now_ms, uint64_t wall_ms)
{
	if (dp)
		dp->wall_offset = (int64_t)(wall_ms - now_ms);
}

/* The metadata clock (TLV 0xF002): milliseconds since the epoch, whatever
 * clock the forwarders time sessions with. */
static uint64_t wall(const struct dp *dp, uint64_t now)
{
	return now + (uint64_t)dp->wall_offset;
}

void dp_set_rekey_interval(struct dp *dp, uint64_t interval_ms)
{
	if (dp)
		dp->rekey_ms = interval_ms;
}

void dp_set_peer_mtu(struct dp *dp, int peer, unsigned mtu)
{
	int i = dp ? slot_of(dp, peer) : -1;

	if (i >= 0 && mtu >= 576)
		dp->peers[i].mtu = mtu;
}

void dp_set_limits(struct dp *dp, const struct dp_limits *l)
{
	if (dp && l && l->max_sessions && l->max_per_source && l->unanswered_ms)
		dp->lim = *l;
}

int dp_add_epochs(struct dp *dp, uint64_t first, uint64_t count)
{
	if (!dp || !first || !count || first < dp->epoch_end || first > EPOCH_MAX ||
	    count > EPOCH_MAX - first + 1)
		return -1;
	if (first == dp->epoch_end && dp->epoch_next < dp->epoch_end) {
		dp->epoch_end += count; /* the next block of the same counter */
		return 0;
	}
	/* what is left of the last block is below this one: given up, so
	 * that epochs are only ever taken in increasing order */
	dp->epoch_next = first;
	dp->epoch_end = first + count;
	return 0;
}

uint64_t dp_epochs_left(const struct dp *dp)
{
	return dp ? dp->epoch_end - dp->epoch_next : 0;
}

/* The next epoch's first sequence number (the one before the first used),
 * or 0 when none is left. */
static uint64_t take_epoch(struct dp *dp)
{
	if (dp->epoch_next >= dp->epoch_end)
		return 0;
	return dp->epoch_next++ << DP_EPOCH_SHIFT;
}

static int parse_prefix(const char *prefix, struct service *s)
{
	char addr[64];
	const char *slash = strchr(prefix, '/');
	size_t alen = slash ? (size_t)(slash - prefix) : strlen(prefix);
	char *end;
	long plen;

	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, prefix, alen);
	addr[alen] = '\0';
	if (parse_addr(addr, &s->family, s->prefix) < 0)
		return -1;
	plen = slash ? strtol(slash + 1, &end, 10) : (s->family == 4 ? 32 : 128);
	if (slash && (end == slash + 1 || *end))
		return -1;
	if (plen < 0 || plen > (s->family == 4 ? 32 : 128))
		return -1;
	s->plen = (int)plen;
	return 0;
}

int dp_add_service(struct dp *dp, const char *name, const char *prefix, int peer)
{
	struct service *s;

	if (dp->nservices == MAX_SERVICES)
		return -1;
	s = &dp->services[dp->nservices];
	if (parse_prefix(prefix, s) < 0)
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->peer = peer;
	dp->nservices++;
	return 0;
}

int dp_add_local(struct dp *dp, const char *prefix)
{
	struct service *s;

	if (!dp || !prefix || dp->nlocals == MAX_LOCALS)
		return -1;
	s = &dp->locals[dp->nlocals];
	if (parse_prefix(prefix, s) < 0)
		return -1;
	s->peer = -1;
	dp->nlocals++;
	return 0;
}

static bool in_prefix(const uint8_t *a, const uint8_t *prefix, int plen)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(a, prefix, (size_t)full) != 0)
		return false;
	return !rest || ((a[full] ^ prefix[full]) & (0xff << (8 - rest))) == 0;
}

/* The longest prefix of list holding dst. */
static const struct service *longest(const struct service *list, int n, int family,
				     const uint8_t *dst)
{
	const struct service *best = NULL;

	for (int i = 0; i < n; i++) {
		const struct service *s = &list[i];

		if (s->family == family && (!best || s->plen > best->plen) &&
		    in_prefix(dst, s->prefix, s->plen))
			best = s;
	}
	return best;
}

/* The longest service prefix holding dst. */
static const struct service *service_for(const struct dp *dp, int family, const uint8_t *dst)
{
	return longest(dp->services, dp->nservices, family, dst);
}

static bool is_local(const struct dp *dp, int family, const uint8_t *dst)
{
	return longest(dp->locals, dp->nlocals, family, dst) != NULL;
}

/* The slot a service's traffic goes to, or -1 (its peer not configured). */
static int service_slot(const struct dp *dp, const struct service *svc)
{
	int i = slot_of(dp, svc->peer);

	return i >= 0 && dp->peers[i].used ? i : -1;
}

/* ---- packets ---------------------------------------------------------------- */

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

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IPv6 extension headers (RFC 8200 4, and those of later RFCs): a
 * packet with one is not carried (its headers would have to travel and
 * be checked too), so it is dropped, never passed.  ESP (50) and AH (51)
 * are carried like any protocol. */
static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 135 || nh == 139 || nh == 140 ||
	       nh == 253 || nh == 254;
}

/* The IP header: family, addresses, protocol and lengths. */
static enum parsed parse_ip(const uint8_t *b, size_t len, struct pkt *k)
{
	if (len < 20)
		return PARSED_MALFORMED;
	if (b[0] >> 4 == 4) {
		k->family = 4;
		memcpy(k->t.src, b + 12, 4);
		memcpy(k->t.dst, b + 16, 4);
		k->hl = (size_t)(b[0] & 0x0f) * 4;
		k->total = get16(b + 2);
		k->proto = b[9];
		if (k->hl < 20 || k->total < k->hl || k->total > len)
			return PARSED_MALFORMED;
		if ((get16(b + 6) & 0x3fff) != 0)
			return PARSED_FRAGMENT;
	} else if (b[0] >> 4 == 6 && len >= 40) {
		k->family = 6;
		memcpy(k->t.src, b + 8, 16);
		memcpy(k->t.dst, b + 24, 16);
		k->hl = 40;
		k->total = 40 + (size_t)get16(b + 4);
		k->proto = b[6];
		if (k->total > len)
			return PARSED_MALFORMED;
		if (k->proto == 44)
			return PARSED_FRAGMENT;
		if (ipv6_ext(k->proto))
			return PARSED_EXT_HEADER;
	} else {
		return PARSED_MALFORMED;
	}
	return PARSED_OK;
}

/* What SVR carries: UDP and TCP by their ports, ICMP and ICMPv6 echo by
 * the identifier, any other protocol (GRE, ESP, SCTP, ICMP errors, ...)
 * whole, by its addresses and protocol (ports 0). */
static enum parsed parse(const uint8_t *b, size_t len, struct pkt *k)
{
	enum parsed rc;

	memset(k, 0, sizeof(*k));
	rc = parse_ip(b, len, k);
	if (rc != PARSED_OK)
		return rc;
	k->t.family = k->family;
	k->t.proto = k->proto;
	k->l4 = b + k->hl;
	k->l4len = k->total - k->hl;
	switch (k->proto) {
	case IPPROTO_UDP_:
		if (k->l4len < 8 || get16(k->l4 + 4) != k->l4len)
			return PARSED_MALFORMED;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		return PARSED_OK;
	case IPPROTO_TCP_:
		if (k->l4len < 20 || (size_t)(k->l4[12] >> 4) * 4 > k->l4len)
			return PARSED_MALFORMED;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		k->syn = (k->l4[13] & 0x12) == 0x02; /* SYN without ACK */
		return PARSED_OK;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMP6_: {
		uint8_t type = k->l4len >= 8 ? k->l4[0] : 0;
		bool echo = k->proto == IPPROTO_ICMP_ ? type == 8 || type == 0
						      : type == 128 || type == 129;

		if (k->l4len < 8)
			return PARSED_MALFORMED;
		/* the echo identifier stands for both ports */
		if (echo && k->family == (k->proto == IPPROTO_ICMP_ ? 4 : 6))
			k->t.sport = k->t.dport = get16(k->l4 + 4);
		return PARSED_OK;
	}
	default:
		return PARSED_OK;
	}
}

/* An IP header (and, for UDP, a UDP header) in front of body (already at
 * out + header length); returns the packet length. */
static size_t build(uint8_t *out, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    uint8_t ttl, uint16_t sport, uint16_t dport, bool udp_header, size_t body_len)
{
	size_t hl = family == 4 ? 20 : 40, uh = udp_header ? 8 : 0, total = hl + uh + body_len;
	size_t alen = family == 4 ? 4 : 16;
	uint64_t acc;

	if (family == 4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		put16(out + 2, (uint16_t)total);
		out[8] = ttl;
		out[9] = proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		put16(out + 10, csum(out, 20, 0));
	} else {
		memset(out, 0, 40);
		out[0] = 0x60;
		put16(out + 4, (uint16_t)(uh + body_len));
		out[6] = proto;
		out[7] = ttl;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	if (udp_header) {
		uint8_t *u = out + hl;
		uint16_t c;

		put16(u, sport);
		put16(u + 2, dport);
		put16(u + 4, (uint16_t)(8 + body_len));
		put16(u + 6, 0);
		acc = csum_add(src, alen, 0);
		acc = csum_add(dst, alen, acc);
		acc += proto;
		acc += (uint32_t)(8 + body_len);
		c = csum(u, 8 + body_len, acc);
		put16(u + 6, c ? c : 0xffff);
	}
	return total;
}

/* ---- the session table ------------------------------------------------------ */

static uint32_t hash_ctx(const struct dp *dp, const struct svr_ctx *c, bool reverse)
{
	size_t a = c->family == 6 ? 16 : 4;
	const uint8_t *x = reverse ? c->dst : c->src, *y = reverse ? c->src : c->dst;
	uint16_t px = reverse ? c->dport : c->sport, py = reverse ? c->sport : c->dport;
	uint8_t b[38];

	b[0] = (uint8_t)c->family;
	b[1] = c->proto;
	put16(b + 2, px);
	put16(b + 4, py);
	memcpy(b + 6, x, a);
	memcpy(b + 6 + a, y, a);
	return (uint32_t)siphash24(dp->hkey, b, 6 + 2 * a) & (BUCKETS - 1);
}

static uint32_t hash_port(const struct dp *dp, int peer, uint16_t port)
{
	uint8_t b[6] = {(uint8_t)(peer >> 24), (uint8_t)(peer >> 16), (uint8_t)(peer >> 8),
			(uint8_t)peer};

	put16(b + 4, port);
	return (uint32_t)siphash24(dp->hkey, b, sizeof(b)) & (BUCKETS - 1);
}

static uint32_t hash_src(const struct dp *dp, int family, const uint8_t *a)
{
	uint8_t b[17] = {(uint8_t)family};

	memcpy(b + 1, a, family == 6 ? 16 : 4);
	return (uint32_t)siphash24(dp->hkey, b, family == 6 ? 17 : 5) & (SRC_BUCKETS - 1);
}

static bool same_ctx(const struct svr_ctx *a, const struct svr_ctx *b, bool reverse)
{
	size_t n = a->family == 6 ? 16 : 4;

	if (a->family != b->family || a->proto != b->proto)
		return false;
	if (!reverse)
		return a->sport == b->sport && a->dport == b->dport && !memcmp(a->src, b->src, n) &&
		       !memcmp(a->dst, b->dst, n);
	return a->sport == b->dport && a->dport == b->sport && !memcmp(a->src, b->dst, n) &&
	       !memcmp(a->dst, b->src, n);
}

/* The session whose forward tuple is t (*reverse false) or whose reverse
 * tuple is t (*reverse true), or -1. */
static int find_flow(struct dp *dp, const struct svr_ctx *t, bool *reverse)
{
	uint32_t h = hash_ctx(dp, t, false);

	for (int i = dp->by_fwd[h]; i >= 0; i = dp->s[i].next_fwd) {
		dp->st.probes++;
		if (same_ctx(&dp->s[i].fwd, t, false)) {
			*reverse = false;
			return i;
		}
	}
	for (int i = dp->by_rev[h]; i >= 0; i = dp->s[i].next_rev) {
		dp->st.probes++;
		if (same_ctx(&dp->s[i].fwd, t, true)) {
			*reverse = true;
			return i;
		}
	}
	return -1;
}

static int find_port(struct dp *dp, int peer, uint16_t port)
{
	for (int i = dp->by_port[hash_port(dp, peer, port)]; i >= 0; i = dp->s[i].next_port) {
		dp->st.probes++;
		if (dp->s[i].peer == peer && dp->s[i].port == port)
			return i;
	}
	return -1;
}

/* The entry counting sessions from address a, or -1. */
static int src_find(const struct dp *dp, int family, const uint8_t *a, uint32_t h)
{
	size_t n = family == 6 ? 16 : 4;

	for (int i = dp->by_src[h]; i >= 0; i = dp->srcs[i].next)
		if (dp->srcs[i].family == family && !memcmp(dp->srcs[i].addr, a, n))
			return i;
	return -1;
}

static uint32_t src_count(const struct dp *dp, int family, const uint8_t *a)
{
	int i = src_find(dp, family, a, hash_src(dp, family, a));

	return i < 0 ? 0 : dp->srcs[i].n;
}

/* One more session from a: 0, or -1 (no memory). */
static int src_add(struct dp *dp, int family, const uint8_t *a)
{
	uint32_t h = hash_src(dp, family, a);
	int i = src_find(dp, family, a, h);

	if (i < 0) {
		if (dp->src_free >= 0) {
			i = dp->src_free;
			dp->src_free = dp->srcs[i].next;
		} else {
			if (dp->nsrcs == dp->src_cap) {
				int nc = dp->src_cap ? dp->src_cap * 2 : 256;
				struct src *n = realloc(dp->srcs, (size_t)nc * sizeof(*n));

				if (!n)
					return -1;
				dp->srcs = n;
				dp->src_cap = nc;
			}
			i = dp->nsrcs++;
		}
		memset(&dp->srcs[i], 0, sizeof(dp->srcs[i]));
		dp->srcs[i].family = (uint8_t)family;
		memcpy(dp->srcs[i].addr, a, family == 6 ? 16 : 4);
		dp->srcs[i].next = dp->by_src[h];
		dp->by_src[h] = i;
	}
	dp->srcs[i].n++;
	return 0;
}

static void src_del(struct dp *dp, int family, const uint8_t *a)
{
	uint32_t h = hash_src(dp, family, a);
	int *pp = &dp->by_src[h];

	while (*pp >= 0) {
		struct src *e = &dp->srcs[*pp];

		if (e->family == family && !memcmp(e->addr, a, family == 6 ? 16 : 4)) {
			int i = *pp;

			if (--e->n)
				return;
			*pp = e->next;
			e->next = dp->src_free;
			dp->src_free = i;
			return;
		}
		pp = &e->next;
	}
}

/* Our half of the ports towards slot peer (port_parity). */
static unsigned port_parity_of(const struct dp *dp, int peer)
{
	return dp->peers[peer].parity;
}

/* A free port of our half towards slot peer: one never used yet, in
 * order, else the oldest given back (a ring: the port just freed is the
 * last to be used again, so late packets of an old session do not meet
 * a new one).  O(1), and nothing is made until it is needed. */
static int alloc_port(struct dp *dp, int peer, uint16_t *port)
{
	struct peer *p = &dp->peers[peer];
	unsigned first = DP_PORT_MIN + ((DP_PORT_MIN & 1u) != p->parity);

	dp->st.port_allocs++;
	if (first + 2 * p->pnew <= DP_PORT_MAX) {
		*port = (uint16_t)(first + 2 * p->pnew++);
		return 0;
	}
	if (!p->pcount)
		return -1;
	*port = p->ports[p->phead];
	p->phead = (p->phead + 1) % HALF_PORTS;
	p->pcount--;
	return 0;
}

static void free_port(struct dp *dp, int peer, uint16_t port)
{
	struct peer *p = &dp->peers[peer];

	if ((port & 1u) != p->parity || p->pcount >= HALF_PORTS)
		return; /* not one of ours: the far end's */
	if (!p->ports && !(p->ports = malloc(HALF_PORTS * sizeof(*p->ports))))
		return; /* out of memory: the port is lost, not given twice */
	p->ports[(p->phead + p->pcount) % HALF_PORTS] = port;
	p->pcount++;
}

static void unlink_chain(int *head, struct sess *s, int idx, size_t link_off)
{
	int *pp = head;

	while (*pp >= 0 && *pp != idx)
		pp = (int *)((char *)&s[*pp] + link_off);
	if (*pp == idx)
		*pp = *(int *)((char *)&s[idx] + link_off);
}

static void sess_free(struct dp *dp, int i)
{
	struct sess *s = &dp->s[i];
	int mate = s->transit ? s->mate : -1;

	unlink_chain(&dp->by_fwd[hash_ctx(dp, &s->fwd, false)], dp->s, i,
		     offsetof(struct sess, next_fwd));
	unlink_chain(&dp->by_rev[hash_ctx(dp, &s->fwd, true)], dp->s, i,
		     offsetof(struct sess, next_rev));
	unlink_chain(&dp->by_port[hash_port(dp, s->peer, s->port)], dp->s, i,
		     offsetof(struct sess, next_port));
	if (s->counted)
		src_del(dp, s->fwd.family, s->fwd.src);
	free_port(dp, s->peer, s->port);
	dp->peers[s->peer].nsess--;
	crypto_pkt_key_free(s->ck);
	crypto_pkt_key_free(s->prev_ck);
	crypto_wipe(s, sizeof(*s));
	s->next_fwd = dp->free_head; /* the free list reuses this link */
	dp->free_head = i;
	dp->live--;
	if (mate >= 0 && dp->s[mate].used) { /* a relayed session goes whole */
		dp->s[mate].transit = false;
		sess_free(dp, mate);
	}
}

/* Room for one more session from the source of fwd: DP_DROP_N, or why
 * not. */
static enum dp_drop room_for(const struct dp *dp, const struct svr_ctx *fwd)
{
	if ((uint32_t)dp->live >= dp->lim.max_sessions)
		return DP_DROP_TABLE_FULL;
	if (src_count(dp, fwd->family, fwd->src) >= dp->lim.max_per_source)
		return DP_DROP_SOURCE_LIMIT;
	return DP_DROP_N;
}

/* The idle timeout of a session: short until the far end answers. */
static uint64_t timeout_of(const struct dp *dp, const struct sess *s)
{
	if (!s->answered)
		return dp->lim.unanswered_ms;
	return s->fwd.proto == IPPROTO_TCP_   ? 1800000
	       : s->fwd.proto == IPPROTO_UDP_ ? 60000
					      : 30000;
}

static void answered(const struct dp *dp, struct sess *s)
{
	if (!s->answered) {
		s->answered = true;
		s->timeout_ms = timeout_of(dp, s);
	}
}

/* A session; lan: found by its 5-tuple too (not a transit leg, which
 * only ever sees the WAN); counted: in its source address's count. */
static int sess_new(struct dp *dp, const struct svr_ctx *fwd, int peer, uint16_t port,
		    const struct crypto_seal_key *pk, uint64_t now, bool lan, bool counted)
{
	struct sess *s;
	int i;

	if (counted && src_add(dp, fwd->family, fwd->src) < 0)
		return -1;
	if (dp->free_head >= 0) {
		i = dp->free_head;
		dp->free_head = dp->s[i].next_fwd;
	} else {
		if (dp->ns == dp->cap) {
			int nc = dp->cap ? dp->cap * 2 : 256;
			struct sess *n = realloc(dp->s, (size_t)nc * sizeof(*n));

			if (!n) {
				if (counted)
					src_del(dp, fwd->family, fwd->src);
				return -1;
			}
			dp->s = n;
			dp->cap = nc;
		}
		i = dp->ns++;
	}
	s = &dp->s[i];
	memset(s, 0, sizeof(*s));
	s->ck = crypto_pkt_key_new(pk);
	if (!s->ck) {
		s->next_fwd = dp->free_head;
		dp->free_head = i;
		if (counted)
			src_del(dp, fwd->family, fwd->src);
		return -1;
	}
	s->used = true;
	s->counted = counted;
	s->fwd = *fwd;
	s->peer = peer;
	s->port = port;
	s->pk = *pk;
	s->last_ms = s->key_ms = now;
	s->timeout_ms = timeout_of(dp, s);
	replay_init(&s->rx);
	s->mate = -1;
	s->next_fwd = s->next_rev = -1;
	if (lan) {
		s->next_fwd = dp->by_fwd[hash_ctx(dp, fwd, false)];
		dp->by_fwd[hash_ctx(dp, fwd, false)] = i;
		s->next_rev = dp->by_rev[hash_ctx(dp, fwd, true)];
		dp->by_rev[hash_ctx(dp, fwd, true)] = i;
	}
	s->next_port = dp->by_port[hash_port(dp, peer, port)];
	dp->by_port[hash_port(dp, peer, port)] = i;
	dp->peers[peer].nsess++;
	dp->live++;
	dp->st.sessions_created++;
	return i;
}

/* The next sequence number of session s, or 0 when it has none left: a
 * session taken from metadata moves to a new epoch when its own runs
 * out (2^DP_EPOCH_SHIFT - 1 packets), and without one it sends nothing. */
static uint64_t next_seq(struct dp *dp, struct sess *s)
{
	if (!s->ingress && ((s->tx_seq + 1) & EPOCH_SEQS) == 0) {
		uint64_t e = take_epoch(dp);

		if (!e)
			return 0;
		s->tx_seq = e;
	}
	return ++s->tx_seq;
}

/* ---- LAN to WAN ---------------------------------------------------------------- */

static enum dp_verdict drop(struct dp *dp, struct dp_out *out, enum dp_drop why)
{
	dp->st.drops[why]++;
	out->drop = why;
	return DP_DROP;
}

/* Lower the MSS option of a SYN (or SYN-ACK) in seg, with the checksum
 * adjusted (RFC 1624); true when it changed. */
static bool clamp_mss(uint8_t *seg, size_t len)
{
	size_t hl = (size_t)(seg[12] >> 4) * 4;

	if (!(seg[13] & 0x02) || hl > len)
		return false;
	for (size_t o = 20; o + 1 < hl;) {
		uint8_t kind = seg[o];

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (seg[o + 1] < 2 || o + seg[o + 1] > hl)
			break;
		if (kind == 2 && seg[o + 1] == 4 && get16(seg + o + 2) > DP_TCP_MSS) {
			uint16_t old = get16(seg + o + 2);
			uint32_t sum = (uint16_t)~get16(seg + 16);

			sum += (uint16_t)~old;
			sum += DP_TCP_MSS;
			put16(seg + o + 2, DP_TCP_MSS);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			put16(seg + 16, (uint16_t)~sum);
			return true;
		}
		o += seg[o + 1];
	}
	return false;
}

/* What a packet of session s carries: the datagram's payload for UDP, the
 * whole message otherwise. */
static void inner(const struct pkt *k, const uint8_t **p, size_t *len)
{
	*p = k->proto == IPPROTO_UDP_ ? k->l4 + 8 : k->l4;
	*len = k->proto == IPPROTO_UDP_ ? k->l4len - 8 : k->l4len;
}

/* The metadata of session s's first packets, for its peer: everything the
 * next router needs, the payload key wrapped for it, the whole sealed
 * with its metadata key.  Its length, or 0 with why. */
static size_t first_meta(struct dp *dp, const struct sess *s, const char *src_router, bool syn,
			 bool meta_only, uint64_t time_ms, uint8_t *frame, enum dp_drop *why)
{
	struct svr_session_meta m;
	struct crypto_seal_key mk;
	size_t mlen;
	ssize_t w;

	memset(&m, 0, sizeof(m));
	int ext = peer_ext(dp, s->peer);

	*why = DP_DROP_NO_KEY;
	if (ext < 0 || dp->keys.peer_mkey(dp->keys.arg, ext, &mk, &m.key_index) < 0)
		return 0;
	m.time_ms = time_ms;
	m.fwd = s->fwd;
	memcpy(m.uuid, s->uuid, 16);
	snprintf(m.service, sizeof(m.service), "%s", s->service);
	snprintf(m.src_router, sizeof(m.src_router), "%s", src_router);
	snprintf(m.dst_router, sizeof(m.dst_router), "%s", dp->peers[s->peer].name);
	m.encrypted = true;
	m.tcp_syn = syn;
	m.meta_only = meta_only;
	w = dp->keys.wrap(dp->keys.arg, ext, (const uint8_t *)&s->pk, sizeof(s->pk), m.wrapped_key,
			  sizeof(m.wrapped_key));
	if (w < 0) {
		crypto_wipe(&mk, sizeof(mk));
		return 0;
	}
	m.wrapped_len = (size_t)w;
	mlen = svrmeta_session_encode(&m, &mk, frame, 1024);
	crypto_wipe(&mk, sizeof(mk));
	crypto_wipe(&m, sizeof(m));
	*why = DP_DROP_MALFORMED;
	return mlen;
}

static size_t wan_hl(const struct peer *pr)
{
	return pr->family == 4 ? 28 : 48;
}

/* A packet of session s with no payload of its own, only the metadata
 * frame already written at out->extra + wan_hl (mlen bytes): sealed like
 * any (an empty payload, the frame as aad) and put in out->extra. */
static int send_extra(struct dp *dp, struct sess *s, uint8_t dir, size_t mlen, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[s->peer];
	size_t hl = wan_hl(pr);
	uint8_t *frame = out->extra + hl;
	uint64_t seq = next_seq(dp, s);
	ssize_t n = seq ? crypto_pkt_seal(s->ck, dir, seq, frame, mlen, (const uint8_t *)"", 0,
					  frame + mlen, sizeof(out->extra) - hl - mlen)
			: -1;

	if (n < 0)
		return -1;
	out->extra_len = build(out->extra, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64,
			       s->port, s->port, true, mlen + (size_t)n);
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->extra_len;
	return 0;
}

/* The egress router's answer to a first packet, sent at once whatever
 * the LAN host does: a flow that never answers (a one-way UDP stream)
 * would otherwise carry metadata on every packet. */
static void send_ack(struct dp *dp, struct sess *s, struct dp_out *out)
{
	struct svrmeta_writer w;

	svrmeta_begin(&w, out->extra + wan_hl(&dp->peers[s->peer]), 64);
	svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
	svrmeta_put(&w, SVRMETA_TLV_META_ONLY, NULL, 0);
	(void)send_extra(dp, s, 1, svrmeta_finish(&w), out);
}

static enum dp_verdict send_wan(struct dp *dp, int si, const struct pkt *k, bool reverse,
				uint64_t now, struct dp_out *out)
{
	struct sess *s = &dp->s[si];
	const struct peer *pr = &dp->peers[s->peer];
	size_t hl = pr->family == 4 ? 28 : 48, mlen = 0, blen;
	uint8_t *frame = out->pkt + hl;
	const uint8_t *body;
	uint64_t seq;
	ssize_t n;

	inner(k, &body, &blen);
	if (k->proto == IPPROTO_TCP_ && blen <= sizeof(dp->seg)) {
		/* A TCP segment goes whole: its checksum computed here, since
		 * a capture (pcap, raw-socket) may show it before the sender's
		 * checksum offload filled it in; a SYN's MSS clamped. */
		size_t a = k->family == 6 ? 16 : 4;
		uint64_t acc;

		memcpy(dp->seg, body, blen);
		clamp_mss(dp->seg, blen);
		put16(dp->seg + 16, 0);
		acc = csum_add(k->t.src, a, 0);
		acc = csum_add(k->t.dst, a, acc);
		acc += IPPROTO_TCP_ + (uint32_t)blen;
		put16(dp->seg + 16, csum(dp->seg, blen, acc));
		body = dp->seg;
	}
	if (!s->acked && s->ingress && !reverse) {
		/* a first packet: everything the egress router needs */
		enum dp_drop why;

		mlen = first_meta(dp, s, dp->router, k->syn, false, wall(dp, now), frame, &why);
		if (!mlen)
			return drop(dp, out, why);
		if (hl + mlen + crypto_pkt_len(blen) > pr->mtu) {
			/* with its metadata it would not fit the path: the metadata
			 * goes ahead on its own, and this packet without it */
			size_t am = first_meta(dp, s, dp->router, k->syn, true, wall(dp, now),
					       out->extra + hl, &why);

			if (!am || send_extra(dp, s, 0, am, out) < 0)
				return drop(dp, out, am ? DP_DROP_MALFORMED : why);
			mlen = 0;
		}
	} else if (!s->acked && !s->ingress && reverse) {
		/* the egress router's answer: "I have it, stop the metadata" */
		struct svrmeta_writer w;

		svrmeta_begin(&w, frame, 64);
		svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
		mlen = svrmeta_finish(&w);
	}
	if (!(seq = next_seq(dp, s)))
		return drop(dp, out, DP_DROP_NO_EPOCH);
	n = crypto_pkt_seal(s->ck, reverse ? 1 : 0, seq, frame, mlen, body, blen, frame + mlen,
			    sizeof(out->pkt) - hl - mlen);
	if (n >= 8 && !mlen && !memcmp(frame, svrmeta_cookie, 8)) {
		/* ciphertext that happens to begin with the cookie (one time in
		 * 2^64): a bare header in front, sealed over like any frame */
		struct svrmeta_writer w;

		svrmeta_begin(&w, frame, 64);
		mlen = svrmeta_finish(&w);
		n = crypto_pkt_seal(s->ck, reverse ? 1 : 0, s->tx_seq, frame, mlen, body, blen,
				    frame + mlen, sizeof(out->pkt) - hl - mlen);
	}
	if (n < 0 || hl + mlen + (size_t)n > DP_MAX_PKT)
		return drop(dp, out, DP_DROP_MALFORMED);
	out->len = build(out->pkt, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64, s->port,
			 s->port, true, mlen + (size_t)n);
	if (reverse)
		answered(dp, s); /* the host behind us answered the far one */
	s->last_ms = now;
	s->pkts_out++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}

/* A LAN packet SVR does not carry (a fragment, an IPv6 extension
 * header, one it cannot read): dropped and counted when it goes where SVR
 * carries traffic (a service prefix, or the far host of a session),
 * never passed in clear there; elsewhere the kernel's. */
static enum dp_verdict not_carried(struct dp *dp, const struct pkt *k, enum parsed rc, size_t len,
				   struct dp_out *out)
{
	if (!k->family ||
	    (!service_for(dp, k->family, k->t.dst) && !src_count(dp, k->family, k->t.dst))) {
		dp->st.passed++;
		return DP_PASS;
	}
	dp->st.lan_in++;
	dp->st.lan_in_bytes += len;
	return drop(dp, out,
		    rc == PARSED_FRAGMENT     ? DP_DROP_FRAGMENT
		    : rc == PARSED_EXT_HEADER ? DP_DROP_EXT_HEADER
					      : DP_DROP_MALFORMED);
}

/* A new session for LAN packet k to service svc: its index, or -1 with
 * the reason in *why.  What one LAN host can make is bounded: TCP only
 * from a SYN, its share of the table, the table's size. */
static int lan_session(struct dp *dp, const struct service *svc, const struct pkt *k, uint64_t now,
		       enum dp_drop *why)
{
	struct crypto_seal_key pk;
	int slot = service_slot(dp, svc), si;
	uint16_t port;

	*why = DP_DROP_NO_KEY;
	if (slot < 0)
		return -1;
	if (k->proto == IPPROTO_TCP_ && !k->syn) {
		*why = DP_DROP_NOT_SYN;
		return -1;
	}
	if ((*why = room_for(dp, &k->t)) != DP_DROP_N)
		return -1;
	*why = DP_DROP_NO_KEY;
	if (dp->keys.peer_mkey(dp->keys.arg, peer_ext(dp, slot), &pk, &(uint32_t){0}) < 0) {
		crypto_wipe(&pk, sizeof(pk));
		return -1;
	}
	*why = DP_DROP_NO_PORT;
	if (alloc_port(dp, slot, &port) < 0) {
		crypto_wipe(&pk, sizeof(pk));
		return -1;
	}
	if (crypto_random(&pk, sizeof(pk)) < 0 ||
	    (si = sess_new(dp, &k->t, slot, port, &pk, now, true, true)) < 0) {
		crypto_wipe(&pk, sizeof(pk));
		free_port(dp, slot, port);
		return -1;
	}
	crypto_wipe(&pk, sizeof(pk));
	dp->s[si].ingress = true;
	crypto_random(dp->s[si].uuid, 16);
	snprintf(dp->s[si].service, sizeof(dp->s[si].service), "%s", svc->name);
	return si;
}

enum dp_verdict dp_lan_in(struct dp *dp, const uint8_t *b, size_t len, uint64_t now,
			  struct dp_out *out)
{
	const struct service *svc;
	bool reverse = false;
	enum dp_drop why;
	struct pkt k;
	enum parsed rc = parse(b, len, &k);
	int si;

	out->extra_len = 0;
	if (rc != PARSED_OK)
		return not_carried(dp, &k, rc, len, out);
	si = find_flow(dp, &k.t, &reverse);
	if (si >= 0 && !dp->peers[dp->s[si].peer].used) {
		/* its peer left the configuration: the session ends with it */
		dp->st.sessions_expired += dp->s[si].transit ? 2 : 1;
		sess_free(dp, si);
		si = -1;
	}
	if (si < 0) {
		svc = service_for(dp, k.family, k.t.dst);
		if (!svc) {
			dp->st.passed++;
			return DP_PASS;
		}
		dp->st.lan_in++;
		dp->st.lan_in_bytes += len;
		if ((si = lan_session(dp, svc, &k, now, &why)) < 0)
			return drop(dp, out, why);
	} else {
		dp->st.lan_in++;
		dp->st.lan_in_bytes += len;
		/* The way the far router sends (from the far host, on our LAN):
		 * not a packet of this session, and sealed it would take the far
		 * router's direction (dir) and our sequence numbers, under the
		 * same key: the IVs of the far router's packets. */
		if (reverse == dp->s[si].ingress)
			return drop(dp, out, DP_DROP_MALFORMED);
	}
	return send_wan(dp, si, &k, reverse, now, out);
}

/* ---- WAN to LAN ------------------------------------------------------------------ */

/* The UDP checksum of a waypoint datagram (0 in IPv4: none was sent).
 * The tag covers the content; this catches the rest of the header. */
static bool udp_ok(const struct pkt *k)
{
	size_t a = k->family == 6 ? 16 : 4;
	uint64_t acc;

	if (k->family == 4 && get16(k->l4 + 6) == 0)
		return true;
	acc = csum_add(k->t.src, a, 0);
	acc = csum_add(k->t.dst, a, acc);
	acc += IPPROTO_UDP_ + (uint32_t)k->l4len;
	return csum(k->l4, k->l4len, acc) == 0;
}

/* The sealed part of a re-trigger request: what it says, and who to. */
#define RETRIGGER_TAG	  "opensvr retrigger v1"
#define RETRIGGER_TAG_LEN (sizeof(RETRIGGER_TAG)) /* with its NUL */

/* A re-trigger frame for port of slot peer at frame (cap bytes): header
 * TLVs 16 (the peer's metadata key index), 0xF002 (our clock) and 0xF004,
 * then a payload section sealed with the peer's metadata key (the header
 * as associated data) holding RETRIGGER_TAG, the port and our name.  Its
 * length, or 0 (no metadata key for the peer yet). */
static size_t retrigger_frame(struct dp *dp, int peer, uint16_t port, uint64_t now, uint8_t *frame,
			      size_t cap)
{
	uint8_t pt[RETRIGGER_TAG_LEN + 2 + 64], tb[8];
	size_t nlen = strlen(dp->router), ptlen = RETRIGGER_TAG_LEN + 2 + nlen, hlen, plen;
	struct crypto_seal_key mk;
	struct svrmeta_writer w;
	uint64_t t = wall(dp, now);
	uint32_t index;
	ssize_t n;

	if (peer_ext(dp, peer) < 0)
		return 0;
	if (dp->keys.peer_mkey(dp->keys.arg, peer_ext(dp, peer), &mk, &index) < 0) {
		crypto_wipe(&mk, sizeof(mk));
		return 0;
	}
	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(t >> (56 - 8 * i));
	svrmeta_begin(&w, frame, cap);
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, index);
	svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	hlen = svrmeta_finish(&w);
	plen = crypto_sealed_len(ptlen);
	memcpy(pt, RETRIGGER_TAG, RETRIGGER_TAG_LEN);
	put16(pt + RETRIGGER_TAG_LEN, port);
	memcpy(pt + RETRIGGER_TAG_LEN + 2, dp->router, nlen);
	n = -1;
	if (hlen && hlen + plen <= cap) {
		put16(frame + 10, (uint16_t)plen);
		n = crypto_seal(&mk, frame, hlen, pt, ptlen, frame + hlen, cap - hlen);
	}
	crypto_wipe(&mk, sizeof(mk));
	return n == (ssize_t)plen ? hlen + plen : 0;
}

/* "I have no session on this port: send its metadata again", to the
 * peer that sent us a packet of it; at most every 200 ms per port. */
static void send_retrigger(struct dp *dp, int peer, uint16_t port, uint64_t now, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[peer];
	uint64_t *last = &dp->retrigger_ms[hash_port(dp, peer, port) & 1023];
	size_t mlen;

	if (*last && now - *last < 200)
		return;
	mlen = retrigger_frame(dp, peer, port, now, out->extra + wan_hl(pr),
			       sizeof(out->extra) - wan_hl(pr));
	if (!mlen)
		return;
	*last = now;
	out->extra_len = build(out->extra, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64, port,
			       port, true, mlen);
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->extra_len;
}

/* Is the re-trigger frame at data (header f, m) one that the router of
 * slot peer made for port, sealed with our metadata key and fresh? */
static bool retrigger_ok(struct dp *dp, int peer, uint16_t port, const uint8_t *data,
			 const struct svrmeta *f, const struct svr_session_meta *m, uint64_t now)
{
	uint8_t pt[RETRIGGER_TAG_LEN + 2 + 64 + CRYPTO_AES_BLOCK];
	const char *name = dp->peers[peer].name;
	size_t nlen = strlen(name);
	struct crypto_seal_key mk;
	ssize_t n;

	if (!f->plen || m->time_ms + META_WINDOW_MS < wall(dp, now) ||
	    m->time_ms > wall(dp, now) + META_WINDOW_MS)
		return false;
	if (dp->keys.own_mkey(dp->keys.arg, m->key_index, &mk) < 0) {
		crypto_wipe(&mk, sizeof(mk));
		return false;
	}
	n = crypto_open(&mk, data, f->hlen, data + f->hlen, f->plen, pt, sizeof(pt));
	crypto_wipe(&mk, sizeof(mk));
	return n == (ssize_t)(RETRIGGER_TAG_LEN + 2 + nlen) &&
	       !memcmp(pt, RETRIGGER_TAG, RETRIGGER_TAG_LEN) &&
	       get16(pt + RETRIGGER_TAG_LEN) == port &&
	       !memcmp(pt + RETRIGGER_TAG_LEN + 2, name, nlen);
}

/* A re-trigger from a peer (see send_retrigger): taken only when it
 * authenticates under our metadata key, names the peer it came from and
 * this port, and is newer than the last one taken for the session (a
 * replayed one does nothing).  Then the ingress router adds metadata
 * again, which the far end must acknowledge under the session's key; a
 * hub checks it the same way and makes its own for the next router. */
static enum dp_verdict take_retrigger(struct dp *dp, int peer, uint16_t port, const uint8_t *data,
				      const struct svrmeta *f, const struct svr_session_meta *m,
				      uint64_t now, struct dp_out *out)
{
	int si = find_port(dp, peer, port);
	struct sess *s;

	if (si < 0)
		return drop(dp, out, DP_DROP_NO_SESSION);
	if (!retrigger_ok(dp, peer, port, data, f, m, now))
		return drop(dp, out, DP_DROP_BAD_METADATA);
	s = &dp->s[si];
	if (m->time_ms <= s->retrigger_ms)
		return drop(dp, out, DP_DROP_REPLAY);
	s->retrigger_ms = m->time_ms;
	if (s->transit) {
		const struct sess *o = &dp->s[s->mate];
		const struct peer *pr = &dp->peers[o->peer];
		size_t mlen = retrigger_frame(dp, o->peer, o->port, now, out->pkt + wan_hl(pr),
					      sizeof(out->pkt) - wan_hl(pr));

		if (!mlen)
			return drop(dp, out, DP_DROP_NO_KEY);
		out->len = build(out->pkt, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64,
				 o->port, o->port, true, mlen);
		dp->st.relayed++;
		dp->st.wan_out++;
		dp->st.wan_out_bytes += out->len;
		return DP_SEND;
	}
	if (s->ingress && s->acked) {
		s->acked = false;
		dp->st.retriggered++;
	}
	return DP_DONE;
}

static int peer_of(const struct dp *dp, const struct pkt *k)
{
	return peer_find(dp, k->family, k->t.src, k->t.dst);
}

/* The payload key TLV 46 carries, opened: 0, or -1. */
static int unwrap_key(struct dp *dp, const struct svr_session_meta *m, struct crypto_seal_key *pk)
{
	uint8_t raw[sizeof(*pk) + 2 * CRYPTO_AES_BLOCK]; /* room for the padding */
	ssize_t n = dp->keys.unwrap(dp->keys.arg, m->wrapped_key, m->wrapped_len, raw, sizeof(raw));

	memcpy(pk, raw, sizeof(*pk));
	crypto_wipe(raw, sizeof(raw));
	if (n == (ssize_t)sizeof(*pk))
		return 0;
	crypto_wipe(pk, sizeof(*pk));
	return -1;
}

/* A first packet for a session we do not have (or a new one on its port).
 * For one we have, *rekey says whether it brings another payload key
 * (in *next_key): the ingress router rotated it. */
static int take_session(struct dp *dp, int peer, uint16_t port, const struct svr_session_meta *m,
			uint64_t now, enum dp_drop *why, struct crypto_seal_key *next_key,
			bool *rekey)
{
	const struct service *svc;
	struct crypto_seal_key pk;
	uint16_t next_port = 0;
	uint64_t tx = 0;
	int si, next, b;

	*rekey = false;
	if ((port & 1u) == port_parity_of(dp, peer)) {
		*why = DP_DROP_BAD_METADATA; /* our half of the ports: not theirs to open */
		return -1;
	}
	si = find_port(dp, peer, port);
	if (si >= 0 && !memcmp(dp->s[si].uuid, m->uuid, 16)) {
		/* a first packet again: we have it, perhaps not its key */
		*rekey = m->time_ms > dp->s[si].key_meta_ms && unwrap_key(dp, m, next_key) == 0 &&
			 !crypto_equal((const uint8_t *)next_key, (const uint8_t *)&dp->s[si].pk,
				       sizeof(*next_key));
		return si;
	}
	if (m->time_ms + META_WINDOW_MS < wall(dp, now) ||
	    m->time_ms > wall(dp, now) + META_WINDOW_MS) {
		*why = DP_DROP_STALE;
		return -1;
	}
	if (m->fwd.family != 4 && m->fwd.family != 6) {
		*why = DP_DROP_BAD_METADATA;
		return -1;
	}
	/* A destination we route to another peer: we are a hub on the way,
	 * and the session has a second leg towards that peer.  Otherwise it
	 * must be ours to deliver: a LAN of ours, a service we serve. */
	svc = service_for(dp, m->fwd.family, m->fwd.dst);
	next = svc ? service_slot(dp, svc) : -1;
	if (next == peer)
		next = -1;
	if (next < 0 && !is_local(dp, m->fwd.family, m->fwd.dst)) {
		*why = DP_DROP_FOREIGN;
		return -1;
	}
	if (unwrap_key(dp, m, &pk) < 0) {
		*why = DP_DROP_UNKNOWN_INDEX;
		return -1;
	}
	if (si >= 0)
		sess_free(dp, si); /* the port went to a new session at the far end */
	*why = room_for(dp, &m->fwd);
	/* The payload key is the ingress router's and outlives this session
	 * when we lose it (a restart, an expiry) and rebuild it from metadata
	 * sent again: our sequence numbers must not start over under it (the
	 * IVs would repeat, and the far end's replay window would drop what we
	 * send), so they start from a new epoch, above any we used before
	 * whatever the clock says.  A hub seals nothing of its own. */
	if (*why == DP_DROP_N && next < 0 && !(tx = take_epoch(dp)))
		*why = DP_DROP_NO_EPOCH;
	if (*why == DP_DROP_N && next >= 0 && alloc_port(dp, next, &next_port) < 0)
		*why = DP_DROP_NO_PORT;
	if (*why != DP_DROP_N) {
		crypto_wipe(&pk, sizeof(pk));
		return -1;
	}
	si = sess_new(dp, &m->fwd, peer, port, &pk, now, next < 0, true);
	b = si >= 0 && next >= 0 ? sess_new(dp, &m->fwd, next, next_port, &pk, now, false, false)
				 : -1;
	crypto_wipe(&pk, sizeof(pk));
	if (next >= 0 && b < 0) {
		free_port(dp, next, next_port);
		if (si >= 0)
			sess_free(dp, si);
		si = -1;
	}
	if (si < 0) {
		*why = DP_DROP_NO_PORT;
		return -1;
	}
	memcpy(dp->s[si].uuid, m->uuid, 16);
	snprintf(dp->s[si].service, sizeof(dp->s[si].service), "%s", m->service);
	dp->s[si].key_meta_ms = m->time_ms;
	dp->s[si].tx_seq = tx;
	if (b >= 0) { /* leg b leaves us as from an ingress router */
		struct sess *x = &dp->s[si], *y = &dp->s[b];

		x->transit = y->transit = true;
		x->mate = b;
		y->mate = si;
		y->ingress = true;
		memcpy(y->uuid, x->uuid, 16);
		memcpy(y->service, x->service, sizeof(y->service));
	}
	return si;
}

/* Session si (and its other leg, at a hub) to a new payload key; the
 * old one stays for packets already on their way.  0 or -1. */
static int sess_rekey(struct dp *dp, int si, const struct crypto_seal_key *pk, uint64_t now)
{
	struct sess *s = &dp->s[si];
	struct crypto_pkt_key *nk = crypto_pkt_key_new(pk);

	if (!nk)
		return -1;
	crypto_pkt_key_free(s->prev_ck);
	s->prev_ck = s->ck;
	s->ck = nk;
	s->pk = *pk;
	s->key_ms = now;
	s->rekeys++;
	return 0;
}

/* A first packet of session si with another payload key: taken when the
 * packet is fresh and authenticates under it.  DP_DROP_N when taken. */
static enum dp_drop take_key(struct dp *dp, int si, const struct svr_session_meta *m,
			     const struct crypto_seal_key *pk, const uint8_t *data, size_t mlen,
			     size_t body, uint64_t now)
{
	struct crypto_pkt_key *nk;
	bool ok;
	int mate = dp->s[si].transit ? dp->s[si].mate : -1;

	if (m->time_ms + META_WINDOW_MS < wall(dp, now) ||
	    m->time_ms > wall(dp, now) + META_WINDOW_MS)
		return DP_DROP_STALE;
	nk = crypto_pkt_key_new(pk);
	ok = nk && crypto_pkt_verify(nk, dp->s[si].ingress ? 1 : 0, data, mlen, data + mlen, body);
	crypto_pkt_key_free(nk);
	if (!ok)
		return DP_DROP_BAD_TAG;
	if (sess_rekey(dp, si, pk, now) < 0 || (mate >= 0 && sess_rekey(dp, mate, pk, now) < 0))
		return DP_DROP_NO_PORT;
	dp->s[si].key_meta_ms = m->time_ms;
	return DP_DROP_N;
}

size_t dp_tick(struct dp *dp, uint64_t now)
{
	size_t n = 0;

	for (int i = 0; i < dp->ns; i++) {
		struct sess *s = &dp->s[i];

		if (!s->used)
			continue;
		/* idle, or its peer (or, at a hub, the other leg's) left the
		 * configuration */
		if (now - s->last_ms >= s->timeout_ms || !dp->peers[s->peer].used ||
		    (s->transit && !dp->peers[dp->s[s->mate].peer].used)) {
			n += s->transit ? 2 : 1; /* a relayed one's legs go together */
			sess_free(dp, i);
			continue;
		}
		if (s->prev_ck && now - s->key_ms >= DP_PREV_KEY_MS) {
			crypto_pkt_key_free(s->prev_ck);
			s->prev_ck = NULL;
		}
		if (s->ingress && !s->transit && dp->rekey_ms && now - s->key_ms >= dp->rekey_ms) {
			/* a new payload key, sent as the first was: metadata again
			 * until the egress router acknowledges it */
			struct crypto_seal_key pk;

			if (crypto_random(&pk, sizeof(pk)) == 0 &&
			    sess_rekey(dp, i, &pk, now) == 0) {
				s->acked = false;
				dp->st.payload_rekeys++;
			}
			crypto_wipe(&pk, sizeof(pk));
		}
	}
	dp->st.sessions_expired += n;
	return n;
}

/* A packet of a session we relay (as a hub): authenticated with the
 * session's key and checked for replay, but never decrypted; sent on to
 * the other leg's peer as it came, except that a first packet's metadata
 * is opened here and sealed again for the next router (the tag, over the
 * metadata, is made again; the ciphertext is the ingress router's). */
static enum dp_verdict relay(struct dp *dp, int si, const uint8_t *data, size_t dlen, size_t mlen,
			     const struct svr_session_meta *m, uint64_t seq, bool payload,
			     uint64_t now, struct dp_out *out)
{
	struct sess *s = &dp->s[si], *o = &dp->s[dp->s[si].mate];
	const struct peer *pr = &dp->peers[o->peer];
	uint8_t dir = s->ingress ? 1 : 0, *frame;
	struct crypto_pkt_key *used;
	size_t hl = pr->family == 4 ? 28 : 48, body = dlen - mlen, nm = mlen;
	enum dp_drop why;

	frame = out->pkt + hl;
	/* the key it was made with: the current one, or the one before a
	 * rotation for a packet already on its way (its tag is made again
	 * with the same key) */
	if (crypto_pkt_verify(s->ck, dir, data, mlen, data + mlen, body))
		used = s->ck;
	else if (s->prev_ck && crypto_pkt_verify(s->prev_ck, dir, data, mlen, data + mlen, body))
		used = s->prev_ck;
	else
		return drop(dp, out, DP_DROP_BAD_TAG);
	replay_update(&s->rx, seq);
	if (m && !dir) {
		/* the ingress router's clock, kept: the egress router orders
		 * payload keys by it */
		nm = first_meta(dp, o, m->src_router, m->tcp_syn, m->meta_only, m->time_ms, frame,
				&why);
		if (!nm)
			return drop(dp, out, why);
	} else {
		memcpy(frame, data, mlen);
	}
	if (hl + nm + body > DP_MAX_PKT)
		return drop(dp, out, DP_DROP_MALFORMED);
	memcpy(frame + nm, data + mlen, body);
	if (m && !dir)
		(void)crypto_pkt_retag(used, dir, frame, nm, frame + nm, body);
	out->len = build(out->pkt, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64, o->port,
			 o->port, true, nm + body);
	if (dir && payload) { /* the far host answered */
		answered(dp, s);
		answered(dp, o);
	}
	s->last_ms = o->last_ms = now;
	s->pkts_in++;
	o->pkts_out++;
	dp->st.relayed++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}

enum dp_verdict dp_wan_in(struct dp *dp, const uint8_t *b, size_t len, uint64_t now,
			  struct dp_out *out)
{
	struct svr_session_meta m;
	const uint8_t *udp, *data;
	size_t dlen, mlen = 0, hl;
	struct svrmeta f;
	enum dp_drop why = DP_DROP_NO_SESSION;
	const char *err;
	struct sess *s;
	bool from_ingress, first, rekey = false;
	struct crypto_seal_key next_key;
	struct pkt k;
	uint16_t port;
	int peer, si, rc;
	uint64_t seq;
	ssize_t n;

	out->extra_len = 0;
	memset(&m, 0, sizeof(m));
	if (parse(b, len, &k) != PARSED_OK || k.proto != IPPROTO_UDP_ || k.t.dport < DP_PORT_MIN ||
	    k.t.dport > DP_PORT_MAX || (peer = peer_of(dp, &k)) < 0) {
		dp->st.passed++;
		return DP_PASS;
	}
	dp->st.wan_in++;
	dp->st.wan_in_bytes += len;
	if (k.t.sport != k.t.dport || !udp_ok(&k))
		return drop(dp, out, DP_DROP_MALFORMED);
	port = k.t.dport;
	udp = k.l4;
	data = udp + 8;
	dlen = k.l4len - 8;
	rc = svrmeta_session_header(data, dlen, &m, &f, &err);
	if (rc < 0)
		return drop(dp, out, DP_DROP_BAD_METADATA);
	if (rc == 0)
		mlen = f.hlen + f.plen;
	first = rc == 0 && f.plen;
	if (rc == 0 && m.retrigger)
		return take_retrigger(dp, peer, port, data, &f, &m, now, out);
	if (first) {
		struct crypto_seal_key mk;

		if (dp->keys.own_mkey(dp->keys.arg, m.key_index, &mk) < 0)
			return drop(dp, out, DP_DROP_UNKNOWN_INDEX);
		rc = svrmeta_session_open(data, &f, &mk, &m, &err);
		crypto_wipe(&mk, sizeof(mk));
		if (rc < 0)
			return drop(dp, out, DP_DROP_BAD_METADATA);
		si = take_session(dp, peer, port, &m, now, &why, &next_key, &rekey);
		crypto_wipe(m.wrapped_key, sizeof(m.wrapped_key));
	} else {
		si = find_port(dp, peer, port);
		if (si < 0) /* we lost it (a restart, an expiry): ask for it again */
			send_retrigger(dp, peer, port, now, out);
	}
	if (si < 0)
		return drop(dp, out, why);
	s = &dp->s[si];
	from_ingress = !s->ingress; /* we are the egress: it comes forward */
	if (!crypto_pkt_seq(data + mlen, dlen - mlen, &seq)) {
		crypto_wipe(&next_key, sizeof(next_key));
		return drop(dp, out, DP_DROP_MALFORMED);
	}
	if (replay_check(&s->rx, seq) != REPLAY_OK) {
		crypto_wipe(&next_key, sizeof(next_key));
		return drop(dp, out, DP_DROP_REPLAY);
	}
	if (rekey) {
		/* the next payload key, taken only from a fresh packet that
		 * authenticates under it: a replayed old first packet cannot
		 * bring an old key back */
		enum dp_drop r = take_key(dp, si, &m, &next_key, data, mlen, dlen - mlen, now);

		crypto_wipe(&next_key, sizeof(next_key));
		if (r != DP_DROP_N)
			return drop(dp, out, r);
	}
	if (s->transit)
		return relay(dp, si, data, dlen, mlen, first ? &m : NULL, seq,
			     !(mlen && m.meta_only), now, out);
	hl = s->fwd.family == 4 ? 20 : 40;
	n = crypto_pkt_open(s->ck, from_ingress ? 0 : 1, data, mlen, data + mlen, dlen - mlen,
			    out->pkt + hl + 8, sizeof(out->pkt) - hl - 8);
	if (n == -1 && s->prev_ck) /* sent before the far end had the new key */
		n = crypto_pkt_open(s->prev_ck, from_ingress ? 0 : 1, data, mlen, data + mlen,
				    dlen - mlen, out->pkt + hl + 8, sizeof(out->pkt) - hl - 8);
	if (n < 0)
		return drop(dp, out, DP_DROP_BAD_TAG);
	replay_update(&s->rx, seq);
	/* the handshake */
	if (s->ingress && mlen && m.no_fwd_meta)
		s->acked = true; /* the egress router has the session */
	if (!s->ingress && !mlen)
		s->acked = true; /* the ingress router stopped sending metadata */
	if (!s->ingress && first) {
		s->acked = false; /* it has not heard us yet: answer, and keep answering */
		send_ack(dp, s, out);
	}
	s->last_ms = now;
	s->pkts_in++;
	if (m.meta_only && n == 0)
		return DP_DONE;
	if (s->ingress)
		answered(dp, s); /* the far host answered ours */
	{
		const uint8_t *src = from_ingress ? s->fwd.src : s->fwd.dst;
		const uint8_t *dst = from_ingress ? s->fwd.dst : s->fwd.src;
		uint16_t sp = from_ingress ? s->fwd.sport : s->fwd.dport;
		uint16_t dpt = from_ingress ? s->fwd.dport : s->fwd.sport;
		bool udp_h = s->fwd.proto == IPPROTO_UDP_;

		if (!udp_h) /* the whole message: one header fewer in front */
			memmove(out->pkt + hl, out->pkt + hl + 8, (size_t)n);
		out->len = build(out->pkt, s->fwd.family, src, dst, s->fwd.proto, 63, sp, dpt,
				 udp_h, (size_t)n);
	}
	dp->st.lan_out++;
	dp->st.lan_out_bytes += out->len;
	return DP_SEND;
}

/* ---- state ------------------------------------------------------------------------- */

const struct dp_stats *dp_stats(const struct dp *dp)
{
	return &dp->st;
}

size_t dp_session_count(const struct dp *dp)
{
	return dp ? (size_t)dp->live : 0;
}

bool dp_session_next(const struct dp *dp, size_t *cursor, uint64_t now,
		     struct dp_session_info *info)
{
	for (size_t j = *cursor; dp && j < (size_t)dp->ns; j++) {
		const struct sess *s = &dp->s[j];

		if (!s->used)
			continue;
		memset(info, 0, sizeof(*info));
		memcpy(info->uuid, s->uuid, 16);
		info->fwd = s->fwd;
		snprintf(info->peer, sizeof(info->peer), "%s", dp->peers[s->peer].name);
		snprintf(info->service, sizeof(info->service), "%s", s->service);
		info->ingress = s->ingress;
		info->handshake_done = s->acked;
		info->transit = s->transit;
		info->rekeys = s->rekeys;
		info->port = s->port;
		info->packets_out = s->pkts_out;
		info->packets_in = s->pkts_in;
		info->idle_ms = now - s->last_ms;
		*cursor = j + 1;
		return true;
	}
	*cursor = dp ? (size_t)dp->ns : 0;
	return false;
}
