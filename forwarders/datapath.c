/* The datapath; see datapath.h.  Sessions live in one array (indices
 * stay valid when it grows) and are found through three hash tables of
 * index chains: by the forward 5-tuple, by the reverse one, and by (peer,
 * waypoint port) for what comes from the WAN. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "datapath.h"
#include "replay.h"

#define BUCKETS	       65536 /* per table, a power of two */
#define META_WINDOW_MS 30000 /* a first packet's clock may be this far off */
#define MAX_PEERS      4096
#define MAX_SERVICES   4096
/* 65536 sequence numbers per millisecond of a session's life */
#define DP_SEQ_CLOCK_SHIFT 16

#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_ICMP6_ 58

struct peer {
	bool used;
	char name[64];
	int family;
	unsigned mtu;
	uint8_t theirs[16], ours[16];
};

struct service {
	char name[64];
	int family, plen, peer;
	uint8_t prefix[16];
};

struct sess {
	bool used, ingress, acked;
	bool transit; /* one leg of a session this router relays (a hub) */
	int mate;     /* a transit leg's other leg */
	struct svr_ctx fwd;
	int peer;
	uint16_t port;
	uint8_t uuid[16];
	char service[64];
	struct crypto_seal_key pk;
	struct crypto_pkt_key *ck;
	struct crypto_pkt_key *prev_ck; /* the key before a rotation, for a while */
	uint64_t key_ms;		/* when ck came */
	uint32_t rekeys;
	uint64_t key_meta_ms; /* the clock of the metadata that brought ck */
	uint64_t tx_seq, last_ms, timeout_ms, pkts_out, pkts_in;
	struct replay rx;
	int next_fwd, next_rev, next_port; /* hash chains; -1 ends */
};

#define PEER_SLOTS 8192 /* open addressing, twice MAX_PEERS */

struct dp {
	struct dp_keys keys;
	char router[64];
	struct peer *peers;
	int npeers;
	int *peer_slot; /* peer numbers by (their address, ours); -1 empty */
	struct service *services;
	int nservices;
	struct sess *s;
	int ns, cap, free_head, live;
	int *by_fwd, *by_rev, *by_port;
	uint16_t next_port;
	uint64_t rekey_ms;
	int64_t wall_offset;	     /* the wall clock minus the clock we are given, ms */
	uint64_t retrigger_ms[1024]; /* when we last asked, by (peer, port) hash */
	struct dp_stats st;
	uint8_t seg[DP_MAX_PKT]; /* a TCP segment being prepared */
};

const char *dp_drop_name(enum dp_drop d)
{
	static const char *const n[DP_DROP_N] = {
		"malformed",	    "no peer key",	 "no session",	 "replay",
		"bad tag",	    "unknown key index", "bad metadata", "stale first packet",
		"no waypoint port", "unsupported",
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
	dp->peers = calloc(MAX_PEERS, sizeof(*dp->peers));
	dp->services = calloc(MAX_SERVICES, sizeof(*dp->services));
	dp->peer_slot = malloc(PEER_SLOTS * sizeof(int));
	if (!dp->by_fwd || !dp->by_rev || !dp->by_port || !dp->peers || !dp->services ||
	    !dp->peer_slot) {
		dp_free(dp);
		return NULL;
	}
	memset(dp->by_fwd, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_rev, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_port, 0xff, BUCKETS * sizeof(int));
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	dp->free_head = -1;
	dp->next_port = DP_PORT_MIN;
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
	free(dp->s);
	free(dp->by_fwd);
	free(dp->by_rev);
	free(dp->by_port);
	free(dp->peers);
	free(dp->services);
	free(dp->peer_slot);
	free(dp);
}

void dp_reset_config(struct dp *dp)
{
	memset(dp->peers, 0, MAX_PEERS * sizeof(*dp->peers));
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	dp->npeers = 0;
	dp->nservices = 0;
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

/* The peer whose waypoint pair this is, or -1: a hash, as a hub looks it
 * up for every packet from thousands of peers. */
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

int dp_add_peer(struct dp *dp, int peer, const char *name, const char *their_addr,
		const char *our_addr)
{
	struct peer *p;
	int f1, f2;

	if (peer < 0 || peer >= MAX_PEERS)
		return -1;
	p = &dp->peers[peer];
	if (parse_addr(their_addr, &f1, p->theirs) < 0 || parse_addr(our_addr, &f2, p->ours) < 0 ||
	    f1 != f2)
		return -1;
	p->family = f1;
	if (!p->mtu)
		p->mtu = 1500;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->used = true;
	if (peer >= dp->npeers)
		dp->npeers = peer + 1;
	/* a peer's addresses may change (svrd gives IPv6 first, then IPv4):
	 * the lookup table is made again, at commit time only */
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	for (int i = 0; i < dp->npeers; i++) {
		const struct peer *q = &dp->peers[i];
		uint32_t h;

		if (!q->used || peer_find(dp, q->family, q->theirs, q->ours) >= 0)
			continue;
		for (h = hash_addrs(q->family, q->theirs, q->ours); dp->peer_slot[h] >= 0;)
			h = (h + 1) & (PEER_SLOTS - 1);
		dp->peer_slot[h] = i;
	}
	return 0;
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
	if (dp && peer >= 0 && peer < MAX_PEERS && mtu >= 576)
		dp->peers[peer].mtu = mtu;
}

int dp_add_service(struct dp *dp, const char *name, const char *prefix, int peer)
{
	struct service *s;
	char addr[64];
	const char *slash = strchr(prefix, '/');
	size_t alen = slash ? (size_t)(slash - prefix) : strlen(prefix);

	if (dp->nservices == MAX_SERVICES || alen >= sizeof(addr))
		return -1;
	s = &dp->services[dp->nservices];
	memcpy(addr, prefix, alen);
	addr[alen] = '\0';
	if (parse_addr(addr, &s->family, s->prefix) < 0)
		return -1;
	s->plen = slash ? atoi(slash + 1) : (s->family == 4 ? 32 : 128);
	if (s->plen < 0 || s->plen > (s->family == 4 ? 32 : 128))
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->peer = peer;
	dp->nservices++;
	return 0;
}

static bool in_prefix(const uint8_t *a, const uint8_t *prefix, int plen)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(a, prefix, (size_t)full) != 0)
		return false;
	return !rest || ((a[full] ^ prefix[full]) & (0xff << (8 - rest))) == 0;
}

/* The longest service prefix holding dst. */
static const struct service *service_for(const struct dp *dp, int family, const uint8_t *dst)
{
	const struct service *best = NULL;

	for (int i = 0; i < dp->nservices; i++) {
		const struct service *s = &dp->services[i];

		if (s->family == family && (!best || s->plen > best->plen) &&
		    in_prefix(dst, s->prefix, s->plen))
			best = s;
	}
	return best;
}

/* ---- packets ---------------------------------------------------------------- */

struct pkt {
	int family;
	size_t hl, total; /* IP header length, whole packet */
	uint8_t proto;
	const uint8_t *l4;
	size_t l4len;
	struct svr_ctx t;
	bool syn;
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

/* 0, or -1 malformed, -2 not carried (fragments, extension headers,
 * protocols other than UDP, TCP and ICMP echo). */
static int parse(const uint8_t *b, size_t len, struct pkt *k)
{
	memset(k, 0, sizeof(*k));
	if (len < 20)
		return -1;
	if (b[0] >> 4 == 4) {
		k->family = 4;
		k->hl = (size_t)(b[0] & 0x0f) * 4;
		k->total = get16(b + 2);
		if (k->hl < 20 || k->total < k->hl || k->total > len)
			return -1;
		if ((get16(b + 6) & 0x3fff) != 0)
			return -2; /* a fragment */
		k->proto = b[9];
		memcpy(k->t.src, b + 12, 4);
		memcpy(k->t.dst, b + 16, 4);
	} else if (b[0] >> 4 == 6) {
		if (len < 40)
			return -1;
		k->family = 6;
		k->hl = 40;
		k->total = 40 + (size_t)get16(b + 4);
		if (k->total > len)
			return -1;
		k->proto = b[6];
		memcpy(k->t.src, b + 8, 16);
		memcpy(k->t.dst, b + 24, 16);
	} else {
		return -1;
	}
	k->t.family = k->family;
	k->t.proto = k->proto;
	k->l4 = b + k->hl;
	k->l4len = k->total - k->hl;
	switch (k->proto) {
	case IPPROTO_UDP_:
		if (k->l4len < 8 || get16(k->l4 + 4) != k->l4len)
			return -1;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		return 0;
	case IPPROTO_TCP_:
		if (k->l4len < 20 || (size_t)(k->l4[12] >> 4) * 4 > k->l4len)
			return -1;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		k->syn = (k->l4[13] & 0x12) == 0x02; /* SYN without ACK */
		return 0;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMP6_: {
		uint8_t type = k->l4len >= 8 ? k->l4[0] : 0;
		bool echo = k->proto == IPPROTO_ICMP_ ? type == 8 || type == 0
						      : type == 128 || type == 129;

		if (k->l4len < 8)
			return -1;
		if (!echo || k->family != (k->proto == IPPROTO_ICMP_ ? 4 : 6))
			return -2;
		/* the echo identifier stands for both ports */
		k->t.sport = k->t.dport = get16(k->l4 + 4);
		return 0;
	}
	default:
		return -2;
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

static uint32_t hash_ctx(const struct svr_ctx *c, bool reverse)
{
	size_t a = c->family == 6 ? 16 : 4;
	const uint8_t *x = reverse ? c->dst : c->src, *y = reverse ? c->src : c->dst;
	uint16_t px = reverse ? c->dport : c->sport, py = reverse ? c->sport : c->dport;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < a; i++)
		h = (h ^ x[i]) * 16777619u;
	for (size_t i = 0; i < a; i++)
		h = (h ^ y[i]) * 16777619u;
	h = (h ^ px) * 16777619u;
	h = (h ^ py) * 16777619u;
	h = (h ^ c->proto) * 16777619u;
	return h & (BUCKETS - 1);
}

static uint32_t hash_port(int peer, uint16_t port)
{
	return ((uint32_t)peer * 2654435761u ^ port) & (BUCKETS - 1);
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
static int find_flow(const struct dp *dp, const struct svr_ctx *t, bool *reverse)
{
	for (int i = dp->by_fwd[hash_ctx(t, false)]; i >= 0; i = dp->s[i].next_fwd)
		if (same_ctx(&dp->s[i].fwd, t, false)) {
			*reverse = false;
			return i;
		}
	for (int i = dp->by_rev[hash_ctx(t, false)]; i >= 0; i = dp->s[i].next_rev)
		if (same_ctx(&dp->s[i].fwd, t, true)) {
			*reverse = true;
			return i;
		}
	return -1;
}

static int find_port(const struct dp *dp, int peer, uint16_t port)
{
	for (int i = dp->by_port[hash_port(peer, port)]; i >= 0; i = dp->s[i].next_port)
		if (dp->s[i].peer == peer && dp->s[i].port == port)
			return i;
	return -1;
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

	unlink_chain(&dp->by_fwd[hash_ctx(&s->fwd, false)], dp->s, i,
		     offsetof(struct sess, next_fwd));
	unlink_chain(&dp->by_rev[hash_ctx(&s->fwd, true)], dp->s, i,
		     offsetof(struct sess, next_rev));
	unlink_chain(&dp->by_port[hash_port(s->peer, s->port)], dp->s, i,
		     offsetof(struct sess, next_port));
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

/* A session; lan: found by its 5-tuple too (not a transit leg, which
 * only ever sees the WAN). */
static int sess_new(struct dp *dp, const struct svr_ctx *fwd, int peer, uint16_t port,
		    const struct crypto_seal_key *pk, uint64_t now, bool lan)
{
	struct sess *s;
	int i;

	if (dp->free_head >= 0) {
		i = dp->free_head;
		dp->free_head = dp->s[i].next_fwd;
	} else {
		if (dp->ns == dp->cap) {
			int nc = dp->cap ? dp->cap * 2 : 256;
			struct sess *n = realloc(dp->s, (size_t)nc * sizeof(*n));

			if (!n)
				return -1;
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
		return -1;
	}
	s->used = true;
	s->fwd = *fwd;
	s->peer = peer;
	s->port = port;
	s->pk = *pk;
	s->last_ms = s->key_ms = now;
	s->timeout_ms = fwd->proto == IPPROTO_TCP_   ? 1800000
			: fwd->proto == IPPROTO_UDP_ ? 60000
						     : 30000;
	replay_init(&s->rx);
	s->mate = -1;
	s->next_fwd = s->next_rev = -1;
	if (lan) {
		s->next_fwd = dp->by_fwd[hash_ctx(fwd, false)];
		dp->by_fwd[hash_ctx(fwd, false)] = i;
		s->next_rev = dp->by_rev[hash_ctx(fwd, true)];
		dp->by_rev[hash_ctx(fwd, true)] = i;
	}
	s->next_port = dp->by_port[hash_port(peer, port)];
	dp->by_port[hash_port(peer, port)] = i;
	dp->live++;
	dp->st.sessions_created++;
	return i;
}

/* Both routers of a pair make sessions on the same port range, so each
 * takes its own half: the router whose name sorts first even ports, the
 * other odd ones.  Both ends work it out the same way, and a first packet
 * on a port of our half is not a session the far end may make. */
static unsigned port_parity(const struct dp *dp, int peer)
{
	return strcmp(dp->router, dp->peers[peer].name) < 0 ? 0 : 1;
}

static int alloc_port(struct dp *dp, int peer, uint16_t *port)
{
	unsigned parity = port_parity(dp, peer);

	for (int tries = 0; tries <= DP_PORT_MAX - DP_PORT_MIN; tries++) {
		uint16_t p = dp->next_port;

		dp->next_port = p >= DP_PORT_MAX ? DP_PORT_MIN : (uint16_t)(p + 1);
		if ((p & 1u) == parity && find_port(dp, peer, p) < 0) {
			*port = p;
			return 0;
		}
	}
	return -1;
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
	*why = DP_DROP_NO_KEY;
	if (dp->keys.peer_mkey(dp->keys.arg, s->peer, &mk, &m.key_index) < 0)
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
	w = dp->keys.wrap(dp->keys.arg, s->peer, (const uint8_t *)&s->pk, sizeof(s->pk),
			  m.wrapped_key, sizeof(m.wrapped_key));
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
	ssize_t n = crypto_pkt_seal(s->ck, dir, ++s->tx_seq, frame, mlen, (const uint8_t *)"", 0,
				    frame + mlen, sizeof(out->extra) - hl - mlen);

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
	n = crypto_pkt_seal(s->ck, reverse ? 1 : 0, ++s->tx_seq, frame, mlen, body, blen,
			    frame + mlen, sizeof(out->pkt) - hl - mlen);
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
	s->last_ms = now;
	s->pkts_out++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}

enum dp_verdict dp_lan_in(struct dp *dp, const uint8_t *b, size_t len, uint64_t now,
			  struct dp_out *out)
{
	const struct service *svc;
	struct crypto_seal_key pk;
	bool reverse = false;
	struct pkt k;
	uint16_t port;
	int rc = parse(b, len, &k), si;

	out->extra_len = 0;
	if (rc < 0) {
		dp->st.passed++;
		return DP_PASS; /* not ours to judge: the kernel decides */
	}
	si = find_flow(dp, &k.t, &reverse);
	if (si < 0) {
		svc = service_for(dp, k.family, k.t.dst);
		if (!svc) {
			dp->st.passed++;
			return DP_PASS;
		}
		dp->st.lan_in++;
		dp->st.lan_in_bytes += len;
		if (svc->peer < 0 || svc->peer >= dp->npeers || !dp->peers[svc->peer].used)
			return drop(dp, out, DP_DROP_NO_KEY);
		if (dp->keys.peer_mkey(dp->keys.arg, svc->peer, &pk, &(uint32_t){0}) < 0)
			return drop(dp, out, DP_DROP_NO_KEY);
		if (alloc_port(dp, svc->peer, &port) < 0)
			return drop(dp, out, DP_DROP_NO_PORT);
		if (crypto_random(&pk, sizeof(pk)) < 0 ||
		    (si = sess_new(dp, &k.t, svc->peer, port, &pk, now, true)) < 0) {
			crypto_wipe(&pk, sizeof(pk));
			return drop(dp, out, DP_DROP_NO_PORT);
		}
		crypto_wipe(&pk, sizeof(pk));
		dp->s[si].ingress = true;
		crypto_random(dp->s[si].uuid, 16);
		snprintf(dp->s[si].service, sizeof(dp->s[si].service), "%s", svc->name);
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

/* "I have no session on this port: send its metadata again", to the
 * peer that sent us a packet of it; at most every 200 ms per port. */
static void send_retrigger(struct dp *dp, int peer, uint16_t port, uint64_t now, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[peer];
	uint64_t *last = &dp->retrigger_ms[hash_port(peer, port) & 1023];
	struct svrmeta_writer w;
	size_t mlen;

	if (*last && now - *last < 200)
		return;
	*last = now;
	svrmeta_begin(&w, out->extra + wan_hl(pr), 64);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	mlen = svrmeta_finish(&w);
	out->extra_len = build(out->extra, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64, port,
			       port, true, mlen);
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->extra_len;
}

/* A retrigger from a peer (see send_retrigger).  It cannot be
 * authenticated (the sender lost the key with the session), so all it
 * does is make us add metadata again, which the far end must then
 * acknowledge under the session's key; a hub passes it on. */
static enum dp_verdict take_retrigger(struct dp *dp, int peer, uint16_t port, const uint8_t *frame,
				      size_t mlen, struct dp_out *out)
{
	int si = find_port(dp, peer, port);
	struct sess *s;

	if (si < 0)
		return drop(dp, out, DP_DROP_NO_SESSION);
	s = &dp->s[si];
	if (s->transit) {
		const struct sess *o = &dp->s[s->mate];
		const struct peer *pr = &dp->peers[o->peer];

		memcpy(out->pkt + wan_hl(pr), frame, mlen);
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
	int si, next = -1, b;

	*rekey = false;
	if ((port & 1u) == port_parity(dp, peer)) {
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
	 * and the session has a second leg towards that peer. */
	svc = service_for(dp, m->fwd.family, m->fwd.dst);
	if (svc && svc->peer != peer && svc->peer >= 0 && svc->peer < dp->npeers &&
	    dp->peers[svc->peer].used) {
		next = svc->peer;
		if (alloc_port(dp, next, &next_port) < 0) {
			*why = DP_DROP_NO_PORT;
			return -1;
		}
	}
	if (unwrap_key(dp, m, &pk) < 0) {
		*why = DP_DROP_UNKNOWN_INDEX;
		return -1;
	}
	if (si >= 0)
		sess_free(dp, si); /* the port went to a new session at the far end */
	si = sess_new(dp, &m->fwd, peer, port, &pk, now, next < 0);
	b = si >= 0 && next >= 0 ? sess_new(dp, &m->fwd, next, next_port, &pk, now, false) : -1;
	crypto_wipe(&pk, sizeof(pk));
	if (si >= 0 && next >= 0 && b < 0) {
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
	/* The payload key is the ingress router's and outlives this session
	 * when we lose it (a restart, an expiry) and rebuild it from metadata
	 * sent again: our sequence numbers must not start over under it (the
	 * IVs would repeat, and the far end's replay window would drop what we
	 * send), so they start from our clock, above any we sent before. */
	dp->s[si].tx_seq = wall(dp, now) << DP_SEQ_CLOCK_SHIFT;
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
		if (now - s->last_ms >= s->timeout_ms) {
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
			     const struct svr_session_meta *m, uint64_t seq, uint64_t now,
			     struct dp_out *out)
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
	if (parse(b, len, &k) < 0 || k.proto != IPPROTO_UDP_ || k.t.dport < DP_PORT_MIN ||
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
	if (rc == 0 && !f.plen && m.retrigger)
		return take_retrigger(dp, peer, port, data, mlen, out);
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
		return relay(dp, si, data, dlen, mlen, first ? &m : NULL, seq, now, out);
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

bool dp_session_at(const struct dp *dp, size_t i, uint64_t now, struct dp_session_info *info)
{
	size_t seen = 0;

	for (int j = 0; j < dp->ns; j++) {
		const struct sess *s = &dp->s[j];

		if (!s->used || seen++ != i)
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
		return true;
	}
	return false;
}
