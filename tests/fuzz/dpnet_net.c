/* The harness of fuzz_dpnet.c (dpnet_net.h): the three routers and the
 * wires between them, the program reader, the packets the harness
 * builds, and the checks on what the routers hand on. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "dpnet_net.h"
#include "svrmeta.h"

struct dph_keys rk[NR]; /* tests/dpharness.h */
struct crypto_seal_key pkey[NKEY];
struct crypto_pkt_key *ppk[NKEY];
struct dp *R[NR];
static struct dp_out out;
uint64_t now;

/* who is who: the waypoint addresses, per router and peer number */
const char *const names[NR] = {"spoke1", "hub", "spoke2"};
const struct dpnet_peer peers[NR][2] = {
	{{1, "198.51.100.1", "198.51.100.2"}},
	{{0, "198.51.100.2", "198.51.100.1"}, {2, "198.51.100.130", "198.51.100.129"}},
	{{1, "198.51.100.129", "198.51.100.130"}},
};
const int npeers[NR] = {1, 2, 1};

void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	for (int i = 0; i < NR; i++)
		dph_keys_init(&rk[i], 10u * (uint32_t)(i + 1), 0x31 + i);
	for (int i = 0; i < NR; i++)
		for (int p = 0; p < npeers[i]; p++)
			dph_knows(&rk[i], p, &rk[peers[i][p].router]);
	for (int i = 0; i < NKEY; i++) {
		memset(&pkey[i], 0xa0 + i, sizeof(pkey[i]));
		ppk[i] = crypto_pkt_key_new(&pkey[i]);
		if (!ppk[i])
			__builtin_trap();
	}
}

/* router i as it starts: its peers and services, no session */
struct dp *router_new(int i)
{
	static const struct {
		int router, peer;
		const char *name, *prefix;
	} svc[] = {
		{0, 0, "host2-lan", "203.0.113.128/25"}, {0, 0, "host2-v6", "2001:db8:2::/64"},
		{1, 0, "host1-lan", "203.0.113.0/25"},	 {1, 1, "host2-lan", "203.0.113.128/25"},
		{1, 0, "host1-v6", "2001:db8:1::/64"},	 {1, 1, "host2-v6", "2001:db8:2::/64"},
		{2, 0, "host1-lan", "203.0.113.0/25"},	 {2, 0, "host1-v6", "2001:db8:1::/64"},
	};
	static const char *const lans[NR][2] = {
		{"203.0.113.0/25", "2001:db8:1::/64"},
		{"192.0.2.0/24", "2001:db8:9::/64"},
		{"203.0.113.128/25", "2001:db8:2::/64"},
	};
	static uint64_t epoch = 1;
	struct dp *d = dph_router(&rk[i], names[i]);

	if (!d)
		__builtin_trap();
	for (int p = 0; p < npeers[i]; p++)
		dp_add_peer(d, p, names[peers[i][p].router], peers[i][p].theirs, peers[i][p].ours);
	for (size_t j = 0; j < sizeof(svc) / sizeof(svc[0]); j++)
		if (svc[j].router == i)
			dp_add_service(d, svc[j].name, svc[j].prefix, svc[j].peer);
	for (int j = 0; j < 2; j++)
		dp_add_local(d, lans[i][j]);
	dp_add_epochs(d, epoch, 4096); /* svrd's persistent counter: it survives restarts */
	epoch += 4096;
	return d;
}

void network_new(void)
{
	for (int i = 0; i < NR; i++)
		R[i] = router_new(i);
}

void network_free(void)
{
	for (int i = 0; i < NR; i++) {
		dp_free(R[i]);
		R[i] = NULL;
	}
}

/* ---- reading the program ---------------------------------------------------- */

uint8_t g8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

uint16_t g16(struct rd *r)
{
	uint8_t hi = g8(r);

	return (uint16_t)(hi << 8 | g8(r));
}

/* up to n bytes into b (zeros past the end of the input) */
void gbytes(struct rd *r, uint8_t *b, size_t n)
{
	size_t k = n < r->n ? n : r->n;

	memcpy(b, r->p, k);
	memset(b + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

/* ---- packets ------------------------------------------------------------------- */

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IP header in front of the l4 bytes at b + hl; the transport checksum
 * made right (UDP, TCP, ICMPv6) so that what the harness builds passes. */
size_t ip_wrap(uint8_t *b, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
	       size_t l4len)
{
	size_t hl = family == 4 ? 20 : 40, a = family == 4 ? 4 : 16;
	uint8_t *l4 = b + hl;
	uint64_t acc;
	int coff = proto == 17 ? 6 : proto == 6 ? 16 : proto == 58 || proto == 1 ? 2 : -1;

	if (family == 4) {
		memset(b, 0, 20);
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(hl + l4len));
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		put16(b + 10, csum_fold(csum_add(b, 20, 0)));
	} else {
		memset(b, 0, 40);
		b[0] = 0x60;
		put16(b + 4, (uint16_t)l4len);
		b[6] = proto;
		b[7] = 64;
		memcpy(b + 8, src, 16);
		memcpy(b + 24, dst, 16);
	}
	if (proto == 17 && l4len >= 8)
		put16(l4 + 4, (uint16_t)l4len);
	if (coff >= 0 && l4len >= (size_t)coff + 2) {
		put16(l4 + coff, 0);
		acc = 0;
		if (proto != 1) {
			acc = csum_add(src, a, 0);
			acc = csum_add(dst, a, acc);
			acc += proto + (uint32_t)l4len;
		}
		put16(l4 + coff, csum_fold(csum_add(l4, l4len, acc)));
	}
	return hl + l4len;
}

void addr_of(const char *text, int *family, uint8_t a[16])
{
	memset(a, 0, 16);
	*family = inet_pton(AF_INET, text, a) == 1 ? 4 : 6;
	if (*family == 6)
		inet_pton(AF_INET6, text, a);
}

/* The router whose waypoint address a is (family 4), or -1. */
static int router_at(const uint8_t *pkt, size_t len)
{
	static const uint8_t net[3] = {198, 51, 100};

	if (len < 20 || pkt[0] >> 4 != 4 || memcmp(pkt + 16, net, 3) != 0)
		return -1;
	switch (pkt[19]) {
	case 2:
		return 0;
	case 1:
	case 129:
		return 1;
	case 130:
		return 2;
	}
	return -1;
}

/* What went to a LAN: a whole packet, its lengths its own. */
static void check_lan(const uint8_t *p, size_t len)
{
	if (len < 20 || len > DP_MAX_PKT)
		__builtin_trap();
	if (p[0] >> 4 == 4) {
		if (get16(p + 2) != len || (p[0] & 0x0f) != 5)
			__builtin_trap();
		if (p[9] == 17 && (len < 28 || get16(p + 24) != len - 20))
			__builtin_trap();
	} else if (p[0] >> 4 == 6) {
		if (len < 40 || 40u + get16(p + 4) != len)
			__builtin_trap();
		if (p[6] == 17 && (len < 48 || get16(p + 44) != len - 40))
			__builtin_trap();
	} else {
		__builtin_trap();
	}
}

static void check_out(enum dp_verdict v)
{
	if (out.extra_len > DP_EXTRA_MAX || (out.extra_len && out.extra_len < 28))
		__builtin_trap();
	if (v == DP_SEND && (out.len < 20 || out.len > DP_MAX_PKT))
		__builtin_trap();
}

struct mail box[NR];
/* a keyed peer spoke: it holds payload keys, and may have sent any
 * sequence number under them */
bool forged;
/* Re-trigger requests the harness sealed, as a peer of the router holds
 * the key to (op_retrigger), that the router took: at a clock of the
 * fuzzer's choice, up to 30 s ahead, after which a router's own requests
 * on that port are not later than the last one taken there, and dropped
 * as replays (doc/protocol.md, "Re-triggering"). */
struct dpnet_taken taken[64];
int ntaken;

/* Is the datagram at b (len bytes) to router `to` a re-trigger request
 * whose clock is not later than one the harness made that `to` took on
 * its port? */
static bool behind_a_taken_request(int to, const uint8_t *b, size_t len)
{
	struct svr_session_meta m;
	struct svrmeta f;
	const char *why;

	memset(&m, 0, sizeof(m));
	if (len < 28 || svrmeta_session_header(b + 28, len - 28, &m, &f, &why) != 0 || !m.retrigger)
		return false;
	for (int i = 0; i < ntaken; i++)
		if (taken[i].router == to && taken[i].port == get16(b + 22) &&
		    m.time_ms <= taken[i].ms)
			return true;
	return false;
}

/* The uuid of the session router r holds on port towards router to. */
static bool session_on(int r, int to, uint16_t port, uint8_t uuid[16])
{
	struct dp_session_info si;

	for (size_t c = 0; to >= 0 && dp_session_next(R[r], &c, now, &si);)
		if (si.port == port && !strcmp(si.peer, names[to])) {
			memcpy(uuid, si.uuid, 16);
			return true;
		}
	return false;
}

/* The session router r made WAN datagram p (len bytes) in, into uuid. */
static bool made_in(int r, const uint8_t *p, size_t len, uint8_t uuid[16])
{
	return len >= 28 && session_on(r, router_at(p, len), get16(p + 22), uuid);
}

static void keep(int r, enum dp_verdict v)
{
	check_out(v);
	if (out.extra_len) {
		memcpy(box[r].extra, out.extra, out.extra_len);
		box[r].extra_len = out.extra_len;
		box[r].extra_stale = false;
		box[r].extra_in_session = made_in(r, out.extra, out.extra_len, box[r].extra_uuid);
	}
	if (v == DP_SEND) {
		if (router_at(out.pkt, out.len) < 0) {
			check_lan(out.pkt, out.len); /* delivered */
			return;
		}
		memcpy(box[r].pkt, out.pkt, out.len);
		box[r].len = out.len;
		box[r].stale = false;
		box[r].in_session = made_in(r, out.pkt, out.len, box[r].uuid);
	}
}

/* DPNET_TRACE=1 in the environment: what each router made of each packet */
static void trace(const char *where, int r, size_t len, enum dp_verdict v)
{
	static int on = -1;
	static const char *const vn[] = {"pass", "send", "drop", "done"};

	if (on < 0)
		on = getenv("DPNET_TRACE") ? atoi(getenv("DPNET_TRACE")) : 0;
	if (on > 1)
		for (int i = 0; i < NR; i++) {
			struct dp_session_info si;
			char a[64], b[64];

			for (size_t j = 0; dp_session_next(R[i], &j, now, &si);) {
				inet_ntop(si.fwd.family == 6 ? AF_INET6 : AF_INET, si.fwd.src, a,
					  64);
				inet_ntop(si.fwd.family == 6 ? AF_INET6 : AF_INET, si.fwd.dst, b,
					  64);
				fprintf(stderr, "    %s: %s %s:%u -> %s:%u/%u port %u%s%s\n",
					names[i], si.peer, a, si.fwd.sport, b, si.fwd.dport,
					si.fwd.proto, si.port, si.ingress ? " ingress" : "",
					si.transit ? " transit" : "");
			}
		}
	if (on)
		fprintf(stderr, "%s %s %zu: %s%s%s, out %zu, extra %zu\n", names[r], where, len,
			vn[v], v == DP_DROP ? " " : "", v == DP_DROP ? dp_drop_name(out.drop) : "",
			v == DP_SEND ? out.len : 0, out.extra_len);
}

enum dp_verdict wan_in(int r, const uint8_t *p, size_t len)
{
	static int dump = -1;

	if (dump < 0)
		dump = getenv("DPNET_DUMP") != NULL;
	if (dump) { /* DPNET_DUMP=1: the datagrams, in hex */
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, "%02x%s", p[i], i % 32 == 31 ? "\n" : "");
		fprintf(stderr, "\n");
	}
	enum dp_verdict v = dp_wan_in(R[r], p, len, now, &out);

	trace("wan", r, len, v);
	keep(r, v);
	return v;
}

void lan_in(int r, const uint8_t *p, size_t len)
{
	enum dp_verdict v = dp_lan_in(R[r], p, len, now, &out);

	trace("lan", r, len, v);
	keep(r, v);
}

/* Carry router r's last packet (or extra) to where it is addressed,
 * changed as the program says, and on for up to depth hops more. */
void carry(struct rd *rd, int r, bool extra, int depth)
{
	static uint8_t buf[4][DP_MAX_PKT + 512];
	uint8_t *b;
	size_t len = extra ? box[r].extra_len : box[r].len;
	uint8_t how = g8(rd);
	bool clean = !(how & 0x1f) && !(extra ? box[r].extra_stale : box[r].stale);
	bool in_session = extra ? box[r].extra_in_session : box[r].in_session;
	uint8_t uuid[16], theirs[16];
	int to;

	if (!len || depth >= 4)
		return;
	b = buf[depth];
	memcpy(b, extra ? box[r].extra : box[r].pkt, len);
	memcpy(uuid, extra ? box[r].extra_uuid : box[r].uuid, 16);
	if (extra)
		box[r].extra_len = 0;
	else
		box[r].len = 0;
	for (int i = 0; i < (how & 7); i++) {
		size_t at = g16(rd) % len;

		b[at] ^= g8(rd) | 1;
	}
	if (how & 8 && len >= 28) /* no UDP checksum: what a mutant needs to get past it */
		put16(b + 26, 0);
	if (how & 16 && len > 28) /* shorter, the IP length as it was */
		len -= 1 + g8(rd) % (len - 28);
	to = router_at(b, len);
	if (to < 0)
		return;
	/* A packet as a router made it, carried once: never a replay (the
	 * sender used the sequence number before, under the same key), unless
	 * a router restarted since it was made (struct mail), or the window
	 * that dropped it is another session's than the one it was made in: a
	 * router that restarted (or lost the session) opened a new one on a
	 * port where the next router still holds the old one, and the metadata
	 * that would have replaced it there was lost (sent ahead, damaged).
	 * The packets after it cannot be taken there under any check (another
	 * key); the window, checked before the tag, drops them first, as an
	 * ingress router numbers a new session from 1.  The sender, not
	 * acknowledged, sends the metadata again with its next packet.  Or it
	 * is a re-trigger request behind one the harness made (taken). */
	if (wan_in(to, b, len) == DP_DROP && out.drop == DP_DROP_REPLAY && clean && !forged &&
	    !(in_session && session_on(to, r, get16(b + 22), theirs) && memcmp(theirs, uuid, 16)) &&
	    !behind_a_taken_request(to, b, len))
		__builtin_trap();
	if (how & 32) {
		carry(rd, to, true, depth + 1);
		carry(rd, to, false, depth + 1);
	}
}
