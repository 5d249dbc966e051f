/* DOC: the datapath's session table
 *
 * Sessions live in one array (indices stay valid when it grows; a free
 * list reuses the slots of ended ones) and are found through three hash
 * tables of index chains, keyed with SipHash under a random key so that
 * no packet can choose its bucket: by the forward 5-tuple and by the
 * reverse one, for what comes from a LAN, and by (peer, waypoint port)
 * for what comes from the WAN.  A fourth table counts sessions by source
 * address, for max_per_source.
 *
 * Each peer slot hands out waypoint ports of its half (port_parity in
 * dp_config.c): ports never used first, in order, then a ring of those
 * given back, oldest first.  Either way O(1): a LAN host flooding new
 * flows makes no allocation cost more, and a port just freed is the last
 * to be used again, so late packets of an old session do not meet a new
 * one.
 *
 * A session holds its payload key twice: as bytes (pk, wrapped again for
 * the far end when metadata is sent again) and as packet-key contexts
 * (ck), made once; after a rotation the previous contexts stay
 * DP_PREV_KEY_MS for packets already on their way.  dp_tick ends idle
 * sessions and rotates the payload keys of those this router made. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dp_int.h"

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

uint32_t hash_port(const struct dp *dp, int peer, uint16_t port)
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
int sess_find_flow(struct dp *dp, const struct svr_ctx *t, bool *reverse)
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

int sess_find_port(struct dp *dp, int peer, uint16_t port)
{
	for (int i = dp->by_port[hash_port(dp, peer, port)]; i >= 0; i = dp->s[i].next_port) {
		dp->st.probes++;
		if (dp->s[i].peer == peer && dp->s[i].port == port)
			return i;
	}
	return -1;
}

/* ---- sessions by source address -------------------------------------------------- */

/* The entry counting sessions from address a, or -1. */
static int src_find(const struct dp *dp, int family, const uint8_t *a, uint32_t h)
{
	size_t n = family == 6 ? 16 : 4;

	for (int i = dp->by_src[h]; i >= 0; i = dp->srcs[i].next)
		if (dp->srcs[i].family == family && !memcmp(dp->srcs[i].addr, a, n))
			return i;
	return -1;
}

uint32_t src_count(const struct dp *dp, int family, const uint8_t *a)
{
	int i = src_find(dp, family, a, hash_src(dp, family, a));

	return i < 0 ? 0 : dp->srcs[i].n;
}

/* A free entry of the source table: -1 when out of memory. */
static int src_slot(struct dp *dp)
{
	int i = dp->src_free;

	if (i >= 0) {
		dp->src_free = dp->srcs[i].next;
		return i;
	}
	if (dp->nsrcs == dp->src_cap) {
		int nc = dp->src_cap ? dp->src_cap * 2 : 256;
		struct src *n = realloc(dp->srcs, (size_t)nc * sizeof(*n));

		if (!n)
			return -1;
		dp->srcs = n;
		dp->src_cap = nc;
	}
	return dp->nsrcs++;
}

/* One more session from a: 0, or -1 (no memory). */
static int src_add(struct dp *dp, int family, const uint8_t *a)
{
	uint32_t h = hash_src(dp, family, a);
	int i = src_find(dp, family, a, h);

	if (i < 0) {
		if ((i = src_slot(dp)) < 0)
			return -1;
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

/* ---- waypoint ports ------------------------------------------------------------- */

/* A free port of our half towards slot peer: one never used yet, in
 * order, else the oldest given back (a ring: the port just freed is the
 * last to be used again, so late packets of an old session do not meet
 * a new one).  O(1), and nothing is made until it is needed. */
int port_alloc(struct dp *dp, int peer, uint16_t *port)
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

void port_free(struct dp *dp, int peer, uint16_t port)
{
	struct peer *p = &dp->peers[peer];

	if ((port & 1u) != p->parity || p->pcount >= HALF_PORTS)
		return; /* not one of ours: the far end's */
	if (!p->ports && !(p->ports = malloc(HALF_PORTS * sizeof(*p->ports))))
		return; /* out of memory: the port is lost, not given twice */
	p->ports[(p->phead + p->pcount) % HALF_PORTS] = port;
	p->pcount++;
}

/* ---- sessions ------------------------------------------------------------------- */

static void unlink_chain(int *head, struct sess *s, int idx, size_t link_off)
{
	int *pp = head;

	while (*pp >= 0 && *pp != idx)
		pp = (int *)((char *)&s[*pp] + link_off);
	if (*pp == idx)
		*pp = *(int *)((char *)&s[idx] + link_off);
}

void sess_free(struct dp *dp, int i)
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
	port_free(dp, s->peer, s->port);
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

/* Session i ends before its time (its peer left, or changed identity):
 * counted as expired, both legs of a relayed one. */
void sess_end(struct dp *dp, int i)
{
	dp->st.sessions_expired += dp->s[i].transit ? 2 : 1;
	sess_free(dp, i);
}

/* Room for one more session from the source of fwd: DP_DROP_N, or why
 * not. */
enum dp_drop sess_room(const struct dp *dp, const struct svr_ctx *fwd)
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

void sess_answered(const struct dp *dp, struct sess *s)
{
	if (!s->answered) {
		s->answered = true;
		s->timeout_ms = timeout_of(dp, s);
	}
}

/* A free slot of the session array, -1 when out of memory. */
static int sess_slot(struct dp *dp)
{
	int i = dp->free_head;

	if (i >= 0) {
		dp->free_head = dp->s[i].next_fwd;
		return i;
	}
	if (dp->ns == dp->cap) {
		int nc = dp->cap ? dp->cap * 2 : 256;
		struct sess *n = realloc(dp->s, (size_t)nc * sizeof(*n));

		if (!n)
			return -1;
		dp->s = n;
		dp->cap = nc;
	}
	return dp->ns++;
}

/* Session i into the chains: by its 5-tuple when lan, by its port. */
static void sess_link(struct dp *dp, int i, bool lan)
{
	struct sess *s = &dp->s[i];

	s->next_fwd = s->next_rev = -1;
	if (lan) {
		s->next_fwd = dp->by_fwd[hash_ctx(dp, &s->fwd, false)];
		dp->by_fwd[hash_ctx(dp, &s->fwd, false)] = i;
		s->next_rev = dp->by_rev[hash_ctx(dp, &s->fwd, true)];
		dp->by_rev[hash_ctx(dp, &s->fwd, true)] = i;
	}
	s->next_port = dp->by_port[hash_port(dp, s->peer, s->port)];
	dp->by_port[hash_port(dp, s->peer, s->port)] = i;
}

/* A session; lan: found by its 5-tuple too (not a transit leg, which
 * only ever sees the WAN); counted: in its source address's count. */
int sess_new(struct dp *dp, const struct svr_ctx *fwd, int peer, uint16_t port,
	     const struct crypto_seal_key *pk, uint64_t now, bool lan, bool counted)
{
	struct sess *s;
	int i;

	if (counted && src_add(dp, fwd->family, fwd->src) < 0)
		return -1;
	if ((i = sess_slot(dp)) < 0) {
		if (counted)
			src_del(dp, fwd->family, fwd->src);
		return -1;
	}
	s = &dp->s[i];
	memset(s, 0, sizeof(*s));
	s->ck = crypto_pkt_key_new(pk);
	if (!s->ck) {
		s->next_fwd = dp->free_head; /* back on the free list */
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
	sess_link(dp, i, lan);
	dp->peers[peer].nsess++;
	dp->live++;
	dp->st.sessions_created++;
	return i;
}

/* The next sequence number of session s, or 0 when it has none left: a
 * session taken from metadata moves to a new epoch when its own runs
 * out (2^DP_EPOCH_SHIFT - 1 packets), and without one it sends nothing. */
uint64_t sess_next_seq(struct dp *dp, struct sess *s)
{
	if (!s->ingress && ((s->tx_seq + 1) & EPOCH_SEQS) == 0) {
		uint64_t e = take_epoch(dp);

		if (!e)
			return 0;
		s->tx_seq = e;
	}
	return ++s->tx_seq;
}

/* Session si to a new payload key; the old one stays for packets already
 * on their way.  0 or -1. */
int sess_rekey(struct dp *dp, int si, const struct crypto_seal_key *pk, uint64_t now)
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

/* ---- time ---------------------------------------------------------------------- */

/* A new payload key for session i, which we made: sent as the first was,
 * in metadata again until the egress router acknowledges it. */
static void rotate(struct dp *dp, int i, uint64_t now)
{
	struct crypto_seal_key pk;

	if (crypto_random(&pk, sizeof(pk)) == 0 && sess_rekey(dp, i, &pk, now) == 0) {
		dp->s[i].acked = false;
		dp->st.payload_rekeys++;
	}
	crypto_wipe(&pk, sizeof(pk));
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
		if (s->ingress && !s->transit && dp->rekey_ms && now - s->key_ms >= dp->rekey_ms)
			rotate(dp, i, now);
	}
	dp->st.sessions_expired += n;
	return n;
}

/* ---- state ---------------------------------------------------------------------- */

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

bool dp_session_end(struct dp *dp, const uint8_t uuid[16])
{
	for (int i = 0; dp && uuid && i < dp->ns; i++)
		if (dp->s[i].used && memcmp(dp->s[i].uuid, uuid, 16) == 0) {
			sess_end(dp, i);
			return true;
		}
	return false;
}
