/* DOC: the datapath's configuration
 *
 * What svrd tells the datapath at each commit (datapath.h): the peers,
 * the services routed to them, the prefixes this router delivers to, and
 * the limits, clocks and sequence epochs it runs with.
 *
 * Peers are slots bound to a router's name for as long as a session
 * refers to them; the key engine's numbers map onto them at each commit
 * (ext_slot), so a commit that renumbers peers keeps each session with
 * its router.  A hub looks the sender of every WAN packet up among
 * thousands of peers, so the slots are also found by their waypoint
 * pair in an open-addressing hash (peer_slot), made again at commit time
 * only.  Services and local prefixes are short lists searched for the
 * longest match: they change at commit time and are read only for a
 * packet without a session. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "dp_int.h"

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

/* ---- peers ------------------------------------------------------------------ */

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
int peer_find(const struct dp *dp, int family, const uint8_t *theirs, const uint8_t *ours)
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
int peer_ext(const struct dp *dp, int i)
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

void dp_set_peer_identity(struct dp *dp, int peer, const char *identity)
{
	int i = dp ? slot_of(dp, peer) : -1;
	struct peer *p;

	if (i < 0 || !identity || !*identity)
		return;
	p = &dp->peers[i];
	if (*p->identity && strcmp(p->identity, identity) != 0)
		for (int j = 0; j < dp->ns; j++) /* another router's keys: they end */
			if (dp->s[j].used && dp->s[j].peer == i)
				sess_end(dp, j);
	snprintf(p->identity, sizeof(p->identity), "%s", identity);
}

void dp_set_peer_mtu(struct dp *dp, int peer, unsigned mtu)
{
	int i = dp ? slot_of(dp, peer) : -1;

	if (i >= 0 && mtu >= 576)
		dp->peers[i].mtu = mtu;
}

/* ---- services and local prefixes ---------------------------------------------- */

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
const struct service *service_for(const struct dp *dp, int family, const uint8_t *dst)
{
	return longest(dp->services, dp->nservices, family, dst);
}

bool is_local(const struct dp *dp, int family, const uint8_t *dst)
{
	return longest(dp->locals, dp->nlocals, family, dst) != NULL;
}

/* The slot a service's traffic goes to, or -1 (its peer not configured). */
int service_slot(const struct dp *dp, const struct service *svc)
{
	int i = slot_of(dp, svc->peer);

	return i >= 0 && dp->peers[i].used ? i : -1;
}

/* ---- limits, clocks, epochs ------------------------------------------------------ */

void dp_set_wallclock(struct dp *dp, uint64_t now_ms, uint64_t wall_ms)
{
	if (dp)
		dp->wall_offset = (int64_t)(wall_ms - now_ms);
}

void dp_set_rekey_interval(struct dp *dp, uint64_t interval_ms)
{
	if (dp)
		dp->rekey_ms = interval_ms;
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
uint64_t take_epoch(struct dp *dp)
{
	if (dp->epoch_next >= dp->epoch_end)
		return 0;
	return dp->epoch_next++ << DP_EPOCH_SHIFT;
}
