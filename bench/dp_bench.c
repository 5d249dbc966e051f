/* DOC: data plane benchmark: new sessions per second, memory per session
 *
 * What a router pays for a flow it has not seen before, measured on the
 * sans-I/O datapath (forwarders/datapath.h) with two routers in one
 * process, their keys real (engine crypto) and only their source the
 * benchmark's, as in the unit tests (tests/dpharness.h):
 *
 *   - ingress: the first packet of a new UDP 5-tuple from the LAN
 *     (dp_lan_in): a session, a waypoint port, a payload key of its own,
 *     the key wrapped for the peer (TLV 46), the metadata sealed for it,
 *     the payload sealed;
 *   - egress: that first packet from the WAN (dp_wan_in): the metadata
 *     opened, the payload key unwrapped, a session, the payload opened,
 *     the "I have the session" answer sealed for the ingress router;
 *   - the round: both, one flow after the other, as a new flow costs the
 *     two routers together.
 *
 * Memory per session is the growth of the heap (bytes the allocator has
 * handed out, mmapped blocks included) and of the resident set while
 * SESSIONS sessions are made and kept, divided by SESSIONS, separately
 * for the ingress and the egress router.  An empty router's fixed tables
 * are made before the count starts.  The page faults per session count
 * the first touches of that memory: each is a page the kernel zeroes,
 * part of what a new session costs while the table grows.
 *
 * The reference, measured in the same run on the same routers: packets
 * per second of an established session (handshake done, no metadata) for
 * the same 100-byte UDP payload, in each direction and as a round.  Their
 * ratio says how many ordinary packets one new session costs, which is
 * what matters when a burst of new flows (a scan, a flash crowd) meets
 * the forwarder.  Last, the parts a new session is made of are timed on
 * their own, to show where the time and the memory go.
 *
 * Every rate is the median of BLOCKS equal blocks of its run, so that a
 * burst of other work on a shared machine moves one block, not the
 * figure.
 *
 * dp-bench flood measures what a LAN host flooding new flows costs the
 * others: legitimate new sessions per second (the round) from ten hosts,
 * without and with ten new flows from one host before each legitimate
 * one, on routers with the default session limits (runs interleaved).
 *
 * usage: dp-bench [SESSIONS]   (a multiple of 10; default 100000)
 *        dp-bench flood
 */
#include "config.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto.h"
#include "csum.h"
#include "datapath.h"
#include "dpharness.h"
#include "keyring.h"
#include "svrmeta.h"

#define NPEERS	     8 /* a peer has 24,576 waypoint ports of its parity: 100,000 sessions need 5 */
#define MAX_SESSIONS (NPEERS * 24000)
#define PAYLOAD	     100 /* bytes of UDP payload in every packet */
#define IN_SLOT	     (28 + PAYLOAD)
#define WAN_SLOT     1024 /* room for a first packet as it crosses the WAN */
#define EST_PKTS     300000
#define PARTS_N	     50000
#define BLOCKS	     10 /* each rate: the median of this many blocks */
#define NOW_MS	     1000000

/* the routers' metadata keys (tests/dpharness.h): routerA holds routerB's
 * for each of its NPEERS peers, routerB routerA's */
static struct dph_keys ka, kb;
static struct dp_out out, back;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes the allocator has handed out (small blocks and mmapped ones). */
static double heap_bytes(void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
#else
	return 0;
#endif
}

static double rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return (double)kib * 1024;
}

/* Page faults so far: first touches of memory, each a page the kernel
 * zeroes. */
static double faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_minflt + (double)ru.ru_majflt;
}

/* ---- keys: where svrd would ask the key engine -------------------------- */

#if NPEERS > DPH_PEERS
#error "the harness holds keys for DPH_PEERS peers"
#endif

static void keys(void)
{
	dph_keys_init(&ka, 100, -1);
	dph_keys_init(&kb, 200, -1);
	for (int i = 0; i < NPEERS; i++) {
		dph_knows(&ka, i, &kb);
		dph_knows(&kb, i, &ka);
	}
}

/* routerA (ingress) with NPEERS peers, each behind its own service
 * 203.0.113.(32 i)/27; routerB (egress) answers on NPEERS addresses, one
 * per peer of routerA. */
static void routers(struct dp **a, struct dp **b)
{
	char theirs[32], name[32], svc[32], peer_a[32];

	*a = dph_router(&ka, "routerA");
	*b = dph_router(&kb, "routerB");
	if (!*a || !*b)
		exit(1);
	for (int i = 0; i < NPEERS; i++) {
		snprintf(theirs, sizeof(theirs), "198.51.100.%d", 10 + i);
		snprintf(name, sizeof(name), "routerB%d", i);
		snprintf(svc, sizeof(svc), "203.0.113.%d/27", 32 * i);
		/* routerB sees routerA through NPEERS waypoints: as many peers
		 * to it, each a name of its own (a datapath binds sessions to
		 * a peer's name, and a name has one waypoint) */
		snprintf(peer_a, sizeof(peer_a), "routerA%d", i);
		if (dp_add_peer(*a, i, name, theirs, "198.51.100.1") < 0 ||
		    dp_add_service(*a, name, svc, i) < 0 ||
		    dp_add_peer(*b, i, peer_a, "198.51.100.1", theirs) < 0) {
			fprintf(stderr, "dp-bench: configuration refused\n");
			exit(1);
		}
	}
	/* room for every session the benchmark makes, which come from few
	 * sources; routerB delivers to routerA's services' prefixes */
	{
		struct dp_limits l = {4 * MAX_SESSIONS, 4 * MAX_SESSIONS, DP_DEFAULT_UNANSWERED_MS};

		dp_set_limits(*a, &l);
		dp_set_limits(*b, &l);
	}
	if (dp_add_local(*b, "203.0.113.0/24") < 0 || dp_add_epochs(*b, 1, 1u << 30) < 0) {
		fprintf(stderr, "dp-bench: configuration refused\n");
		exit(1);
	}
}

/* An IPv4 UDP packet of PAYLOAD bytes. */
static size_t udp4(uint8_t *o, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		   uint16_t dport)
{
	size_t total = 28 + PAYLOAD;
	uint32_t acc;
	uint16_t c;

	memset(o, 0, total);
	o[0] = 0x45;
	o[2] = (uint8_t)(total >> 8);
	o[3] = (uint8_t)total;
	o[8] = 64;
	o[9] = 17;
	memcpy(o + 12, src, 4);
	memcpy(o + 16, dst, 4);
	o[20] = (uint8_t)(sport >> 8);
	o[21] = (uint8_t)sport;
	o[22] = (uint8_t)(dport >> 8);
	o[23] = (uint8_t)dport;
	o[24] = (uint8_t)((8 + PAYLOAD) >> 8);
	o[25] = (uint8_t)(8 + PAYLOAD);
	for (int i = 0; i < PAYLOAD; i++)
		o[28 + i] = (uint8_t)('a' + i % 26);
	acc = (uint32_t)(o[12] << 8 | o[13]) + (uint32_t)(o[14] << 8 | o[15]) +
	      (uint32_t)(o[16] << 8 | o[17]) + (uint32_t)(o[18] << 8 | o[19]) + 17 + 8 + PAYLOAD;
	c = csum(o + 20, 8 + PAYLOAD, acc);
	o[26] = (uint8_t)(c >> 8);
	o[27] = (uint8_t)c;
	return total;
}

/* The first packet of flow k: 192.168.h.l:sport to 203.0.113.(32 (k mod
 * NPEERS) + 1):5201, a distinct 5-tuple for every k, the peers in turn. */
static size_t flow_pkt(uint8_t *o, size_t k)
{
	size_t host = k / 50000;
	uint8_t src[4] = {192, 168, (uint8_t)(host >> 8), (uint8_t)host};
	uint8_t dst[4] = {203, 0, 113, (uint8_t)(32 * (k % NPEERS) + 1)};

	return udp4(o, src, dst, (uint16_t)(10000 + k % 50000), 5201);
}

static void fail(const char *what, size_t k, const struct dp_out *o)
{
	fprintf(stderr, "dp-bench: %s %zu: %s\n", what, k, dp_drop_name(o->drop));
	exit(1);
}

/* ---- timing: rates in blocks, the median kept ------------------------------ */

struct rate {
	double r[BLOCKS];
	int n;
	double t0;
};

static void block_start(struct rate *rt)
{
	rt->t0 = now_s();
}

static void block_end(struct rate *rt, size_t count)
{
	rt->r[rt->n++] = (double)count / (now_s() - rt->t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Operations per second: the median of the blocks. */
static double median(const struct rate *rt)
{
	double v[BLOCKS];

	memcpy(v, rt->r, sizeof(v));
	qsort(v, (size_t)rt->n, sizeof(double), cmp_double);
	return rt->n % 2 ? v[rt->n / 2] : (v[rt->n / 2 - 1] + v[rt->n / 2]) / 2;
}

/* ---- the parts of a session, one at a time -------------------------------- */

enum part {
	P_RNG,
	P_KEY_NEW,
	P_KEY_FREE,
	P_WRAP,
	P_UNWRAP,
	P_META_SEAL,
	P_META_OPEN,
	P_PKT_SEAL,
	P_PKT_OPEN,
	P_N
};

static const char *const part_name[P_N] = {
	"payload key and session id (RNG, 96 bytes)",
	"crypto_pkt_key_new (packet contexts)",
	"crypto_pkt_key_free",
	"wrap the payload key (crypto_seal, 80 bytes)",
	"unwrap it (crypto_open)",
	"seal the metadata (svrmeta_session_encode)",
	"open it (svrmeta_session_header + _open)",
	"seal a 100-byte packet (crypto_pkt_seal)",
	"open it (crypto_pkt_open)",
};

static struct {
	struct crypto_seal_key pk;
	struct crypto_pkt_key *keys[PARTS_N];
	struct svr_session_meta m, m2;
	uint8_t wrapped[256], meta[1024], pkt[256], pt[2048];
	size_t wlen, mlen, plen;
	struct kex_mkey to_b; /* routerB's metadata key, as routerA holds it */
	struct keyring *b;    /* routerB's keys, as its datapath holds them */
} ps;

/* One operation of a part, the i-th; 0 or -1.  Each part leaves what
 * the next one opens. */
static int part_op(enum part op, size_t i)
{
	struct svrmeta f;
	const char *why;
	ssize_t n;

	switch (op) {
	case P_RNG:
		return crypto_random(&ps.pk, sizeof(ps.pk)) < 0 ? -1 : crypto_random(ps.pt, 16);
	case P_KEY_NEW:
		return (ps.keys[i] = crypto_pkt_key_new(&ps.pk)) ? 0 : -1;
	case P_KEY_FREE:
		crypto_pkt_key_free(ps.keys[i]);
		return 0;
	case P_WRAP:
		n = keyring_wrap_with(&ps.to_b, (const uint8_t *)&ps.pk, sizeof(ps.pk), ps.wrapped,
				      sizeof(ps.wrapped));
		ps.wlen = n < 0 ? 0 : (size_t)n;
		return n < 0 ? -1 : 0;
	case P_UNWRAP:
		return keyring_unwrap(ps.b, ps.wrapped, ps.wlen, ps.pt, sizeof(ps.pt)) ==
				       (ssize_t)sizeof(ps.pk)
			       ? 0
			       : -1;
	case P_META_SEAL:
		memcpy(ps.m.wrapped_key, ps.wrapped, ps.wlen);
		ps.m.wrapped_len = ps.wlen;
		ps.mlen = svrmeta_session_encode(&ps.m, &kb.own, ps.meta, sizeof(ps.meta));
		return ps.mlen ? 0 : -1;
	case P_META_OPEN:
		return svrmeta_session_header(ps.meta, ps.mlen, &ps.m2, &f, &why) == 0 &&
				       svrmeta_session_open(ps.meta, &f, &kb.own, &ps.m2, &why) == 0
			       ? 0
			       : -1;
	case P_PKT_SEAL:
		n = crypto_pkt_seal(ps.keys[0], 0, i + 1, NULL, 0, ps.pt, PAYLOAD, ps.pkt,
				    sizeof(ps.pkt));
		ps.plen = n < 0 ? 0 : (size_t)n;
		return n < 0 ? -1 : 0;
	case P_PKT_OPEN:
		return crypto_pkt_open(ps.keys[0], 0, NULL, 0, ps.pkt, ps.plen, ps.pt,
				       sizeof(ps.pt)) == PAYLOAD
			       ? 0
			       : -1;
	case P_N:
		break;
	}
	return -1;
}

/* Microseconds per operation of each part, and heap bytes per packet key. */
static void parts(double us[P_N], double *key_bytes)
{
	size_t bs = PARTS_N / BLOCKS;
	double h = 0;

	crypto_random(&ps.pk, sizeof(ps.pk));
	memset(ps.pt, 'x', sizeof(ps.pt));
	ps.to_b = (struct kex_mkey){kb.own_index, kb.own};
	ps.b = keyring_new();
	if (!ps.b ||
	    keyring_take(ps.b, &(struct kex_key_event){KEX_KEY_OWN, -1, true, ps.to_b}) < 0)
		exit(1);
	ps.m.key_index = kb.own_index;
	ps.m.time_ms = NOW_MS;
	ps.m.fwd.family = 4;
	ps.m.fwd.proto = 17;
	ps.m.fwd.sport = 10000;
	ps.m.fwd.dport = 5201;
	snprintf(ps.m.service, sizeof(ps.m.service), "routerB0");
	snprintf(ps.m.src_router, sizeof(ps.m.src_router), "routerA");
	snprintf(ps.m.dst_router, sizeof(ps.m.dst_router), "routerB0");
	ps.m.encrypted = true;
	for (int op = 0; op < P_N; op++) {
		struct rate rt = {.n = 0};

		if (op == P_PKT_SEAL && !(ps.keys[0] = crypto_pkt_key_new(&ps.pk)))
			exit(1);
		if (op == P_KEY_NEW)
			h = heap_bytes();
		for (size_t b = 0; b < BLOCKS; b++) {
			block_start(&rt);
			for (size_t i = b * bs; i < (b + 1) * bs; i++)
				if (part_op((enum part)op, i) < 0) {
					fprintf(stderr, "dp-bench: %s failed\n", part_name[op]);
					exit(1);
				}
			block_end(&rt, bs);
		}
		if (op == P_KEY_NEW)
			*key_bytes = (heap_bytes() - h) / PARTS_N;
		us[op] = 1e6 / median(&rt);
	}
	crypto_pkt_key_free(ps.keys[0]);
	crypto_wipe(&ps, sizeof(ps));
}

/* ---- main ------------------------------------------------------------------- */

static const uint8_t *wan_pkt(const uint8_t *slots, size_t slot, size_t k, uint16_t *len)
{
	memcpy(len, slots + k * slot, 2);
	return slots + k * slot + 2;
}

static void wan_keep(uint8_t *slots, size_t slot, size_t k, const struct dp_out *o)
{
	uint16_t len = (uint16_t)o->len;

	if (o->len > slot - 2)
		fail("packet too long for its slot", k, o);
	memcpy(slots + k * slot, &len, 2);
	memcpy(slots + k * slot + 2, o->pkt, o->len);
}

/* ---- a LAN host flooding new flows ------------------------------------------ */

#define FLOOD_LEGIT 20000 /* legitimate new flows, from ten hosts */
#define FLOOD_RATIO 10	  /* flood packets per legitimate one, from one host */

/* Legitimate flow k: one of ten hosts of 192.0.2.0/24, a port of its own. */
static size_t legit_pkt(uint8_t *o, size_t k)
{
	uint8_t src[4] = {192, 0, 2, (uint8_t)(10 + k % 10)};
	uint8_t dst[4] = {203, 0, 113, (uint8_t)(32 * (k % NPEERS) + 1)};

	return udp4(o, src, dst, (uint16_t)(10000 + k / 10), 5201);
}

/* Flood packet k: 192.0.2.66, a new 5-tuple every time. */
static size_t flood_pkt(uint8_t *o, size_t k)
{
	uint8_t src[4] = {192, 0, 2, 66};
	uint8_t dst[4] = {203, 0, 113, (uint8_t)(32 * (k % NPEERS) + 2)};

	return udp4(o, src, dst, (uint16_t)(1024 + k % 60000), (uint16_t)(1 + k / 60000));
}

/* One first packet through both routers, as the round does; true when
 * routerB delivered it. */
static bool round_trip(struct dp *a, struct dp *b, const uint8_t *pkt)
{
	return dp_lan_in(a, pkt, IN_SLOT, NOW_MS, &out) == DP_SEND &&
	       dp_wan_in(b, out.pkt, out.len, NOW_MS, &back) == DP_SEND;
}

/* Legitimate new sessions per second (the round, median of the blocks),
 * with FLOOD_RATIO flood packets before each legitimate one when flood,
 * on routers with the default limits, the flood starting with them. */
static double flood_run(bool flood, size_t *opened, size_t *flood_sessions)
{
	static uint8_t pkt[IN_SLOT];
	struct dp_limits l = {DP_DEFAULT_MAX_SESSIONS, DP_DEFAULT_MAX_PER_SOURCE,
			      DP_DEFAULT_UNANSWERED_MS};
	struct rate rt = {.n = 0};
	size_t bs = FLOOD_LEGIT / BLOCKS, fk = 0;
	struct dp *a, *b;

	routers(&a, &b);
	dp_set_limits(a, &l);
	dp_set_limits(b, &l);
	*opened = 0;
	for (size_t blk = 0; blk < BLOCKS; blk++) {
		block_start(&rt);
		for (size_t k = blk * bs; k < (blk + 1) * bs; k++) {
			for (int f = 0; flood && f < FLOOD_RATIO; f++) {
				flood_pkt(pkt, fk++);
				(void)round_trip(a, b, pkt);
			}
			legit_pkt(pkt, k);
			*opened += round_trip(a, b, pkt);
		}
		block_end(&rt, bs);
	}
	*flood_sessions = dp_session_count(a) - *opened;
	dp_free(a);
	dp_free(b);
	return median(&rt);
}

/* dp-bench flood: legitimate new sessions per second with and without a
 * concurrent flood of new flows from one LAN host, runs interleaved. */
static int flood_bench(void)
{
	double with[2], without[2];
	size_t opened, fs;

	for (int i = 0; i < 2; i++) {
		without[i] = flood_run(false, &opened, &fs);
		if (opened != FLOOD_LEGIT)
			return fprintf(stderr, "dp-bench: %zu legitimate flows opened\n", opened),
			       1;
		with[i] = flood_run(true, &opened, &fs);
		if (opened != FLOOD_LEGIT)
			return fprintf(stderr, "dp-bench: under the flood, %zu of %d opened\n",
				       opened, FLOOD_LEGIT),
			       1;
	}
	printf("legitimate new sessions, %d from ten hosts, both routers (the round):\n",
	       FLOOD_LEGIT);
	printf("  without a flood:                 %8.0f /s  %8.0f /s\n", without[0], without[1]);
	printf("  with %d flood packets each:      %8.0f /s  %8.0f /s\n", FLOOD_RATIO, with[0],
	       with[1]);
	printf("  flood: %d new flows from one host, %zu of them sessions (the per-source limit)\n",
	       FLOOD_LEGIT * FLOOD_RATIO, fs);
	printf("  ratio (without / with):          %8.2f  %8.2f\n", without[0] / with[0],
	       without[1] / with[1]);
	return 0;
}

int main(int argc, char **argv)
{
	size_t nsess = argc > 1 ? (size_t)atol(argv[1]) : 100000, est = EST_PKTS, bs, es;
	uint8_t *in, *wan, *est_wan, reply[IN_SLOT];
	double h0, h1, h2, r0, r1, r2, f0, f1, f2, h_empty, t_start = now_s(), us[P_N],
							    key_bytes = 0;
	struct rate ing = {.n = 0}, eg = {.n = 0}, rnd = {.n = 0};
	struct rate e_ing = {.n = 0}, e_eg = {.n = 0}, e_rnd = {.n = 0};
	struct dp_session_info info;
	struct dp *A, *B;
	uint16_t len;

	keys();
	if (argc == 2 && strcmp(argv[1], "flood") == 0)
		return flood_bench();
	if (argc > 2 || nsess < 1000 || nsess > MAX_SESSIONS || nsess % BLOCKS) {
		fprintf(stderr,
			"usage: dp-bench [SESSIONS]   (a multiple of %d, 1000 to %d, default "
			"100000)\n",
			BLOCKS, MAX_SESSIONS);
		return 2;
	}
	bs = nsess / BLOCKS;
	es = est / BLOCKS;
	in = malloc(nsess * IN_SLOT);
	wan = malloc(nsess * WAN_SLOT);
	est_wan = malloc(est * 256);
	if (!in || !wan || !est_wan)
		return 1;
	/* made and touched before any count starts */
	for (size_t k = 0; k < nsess; k++)
		flow_pkt(in + k * IN_SLOT, k);
	memset(wan, 0, nsess * WAN_SLOT);
	memset(est_wan, 0, est * 256);

	/* warm-up: OpenSSL's first fetches, the allocator's first arenas */
	routers(&A, &B);
	for (size_t k = 0; k < 2000 && k < nsess; k++)
		if (dp_lan_in(A, in + k * IN_SLOT, IN_SLOT, NOW_MS, &out) != DP_SEND ||
		    dp_wan_in(B, out.pkt, out.len, NOW_MS, &back) != DP_SEND)
			fail("warm-up flow", k, &out);
	dp_free(A);
	dp_free(B);

	/* 1. ingress, then egress, each router's memory apart */
	h0 = heap_bytes();
	routers(&A, &B);
	h_empty = (heap_bytes() - h0) / 2;
	h0 = heap_bytes();
	r0 = rss_bytes();
	f0 = faults();
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&ing);
		for (size_t k = b * bs; k < (b + 1) * bs; k++) {
			if (dp_lan_in(A, in + k * IN_SLOT, IN_SLOT, NOW_MS, &out) != DP_SEND)
				fail("ingress flow", k, &out);
			wan_keep(wan, WAN_SLOT, k, &out);
		}
		block_end(&ing, bs);
	}
	h1 = heap_bytes();
	r1 = rss_bytes();
	f1 = faults();
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&eg);
		for (size_t k = b * bs; k < (b + 1) * bs; k++) {
			const uint8_t *w = wan_pkt(wan, WAN_SLOT, k, &len);

			if (dp_wan_in(B, w, len, NOW_MS, &back) != DP_SEND)
				fail("egress flow", k, &back);
		}
		block_end(&eg, bs);
	}
	h2 = heap_bytes();
	r2 = rss_bytes();
	f2 = faults();
	if (dp_session_count(A) != nsess || dp_session_count(B) != nsess) {
		fprintf(stderr, "dp-bench: %zu and %zu sessions, not %zu\n", dp_session_count(A),
			dp_session_count(B), nsess);
		return 1;
	}
	dp_free(A);
	dp_free(B);

	/* 2. the round: each new flow through both routers */
	routers(&A, &B);
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&rnd);
		for (size_t k = b * bs; k < (b + 1) * bs; k++)
			if (dp_lan_in(A, in + k * IN_SLOT, IN_SLOT, NOW_MS, &out) != DP_SEND ||
			    dp_wan_in(B, out.pkt, out.len, NOW_MS, &back) != DP_SEND)
				fail("round flow", k, &out);
		block_end(&rnd, bs);
	}

	/* 3. the reference: flow 0 established among all the others
	 * (routerB's reply tells routerA to stop the metadata, routerA's next
	 * packet tells routerB), then the same packet again and again */
	udp4(reply, in + 16, in + 12, 5201, (uint16_t)(in[20] << 8 | in[21]));
	if (dp_lan_in(B, reply, IN_SLOT, NOW_MS, &out) != DP_SEND ||
	    dp_wan_in(A, out.pkt, out.len, NOW_MS, &back) != DP_SEND ||
	    dp_lan_in(A, in, IN_SLOT, NOW_MS, &out) != DP_SEND ||
	    dp_wan_in(B, out.pkt, out.len, NOW_MS, &back) != DP_SEND ||
	    !dp_session_next(A, &(size_t){0}, NOW_MS, &info) || !info.handshake_done ||
	    !dp_session_next(B, &(size_t){0}, NOW_MS, &info) || !info.handshake_done) {
		fprintf(stderr, "dp-bench: the handshake of flow 0 did not complete\n");
		return 1;
	}
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&e_ing);
		for (size_t k = 0; k < es; k++)
			if (dp_lan_in(A, in, IN_SLOT, NOW_MS, &out) != DP_SEND)
				fail("established ingress packet", k, &out);
		block_end(&e_ing, es);
	}
	for (size_t k = 0; k < est; k++) {
		if (dp_lan_in(A, in, IN_SLOT, NOW_MS, &out) != DP_SEND)
			fail("established packet", k, &out);
		wan_keep(est_wan, 256, k, &out);
	}
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&e_eg);
		for (size_t k = b * es; k < (b + 1) * es; k++) {
			const uint8_t *w = wan_pkt(est_wan, 256, k, &len);

			if (dp_wan_in(B, w, len, NOW_MS, &back) != DP_SEND)
				fail("established egress packet", k, &back);
		}
		block_end(&e_eg, es);
	}
	for (size_t b = 0; b < BLOCKS; b++) {
		block_start(&e_rnd);
		for (size_t k = 0; k < es; k++)
			if (dp_lan_in(A, in, IN_SLOT, NOW_MS, &out) != DP_SEND ||
			    dp_wan_in(B, out.pkt, out.len, NOW_MS, &back) != DP_SEND)
				fail("established round packet", k, &out);
		block_end(&e_rnd, es);
	}
	dp_free(A);
	dp_free(B);

	/* 4. the parts */
	parts(us, &key_bytes);

	printf("dp-bench: %zu sessions, %d peers, UDP over IPv4, %d-byte payload, %s\n", nsess,
	       NPEERS, PAYLOAD, crypto_version());
	printf("rates: the median of %d blocks\n", BLOCKS);
	printf("\n%-36s %12s %12s %12s\n", "", "ingress", "egress", "round");
	printf("%-36s %12.0f %12.0f %12.0f\n", "new sessions/s", median(&ing), median(&eg),
	       median(&rnd));
	printf("%-36s %12.2f %12.2f %12.2f\n", "  us per new session", 1e6 / median(&ing),
	       1e6 / median(&eg), 1e6 / median(&rnd));
	printf("%-36s %12.0f %12.0f %12.0f\n", "established packets/s (reference)", median(&e_ing),
	       median(&e_eg), median(&e_rnd));
	printf("%-36s %12.1f %12.1f %12.1f\n", "  ratio established / new",
	       median(&e_ing) / median(&ing), median(&e_eg) / median(&eg),
	       median(&e_rnd) / median(&rnd));
	printf("%-36s %12.0f %12.0f\n", "heap bytes per session", (h1 - h0) / (double)nsess,
	       (h2 - h1) / (double)nsess);
	printf("%-36s %12.0f %12.0f\n", "resident bytes per session", (r1 - r0) / (double)nsess,
	       (r2 - r1) / (double)nsess);
	printf("%-36s %12.2f %12.2f\n", "page faults per session", (f1 - f0) / (double)nsess,
	       (f2 - f1) / (double)nsess);
	printf("%-36s %12.0f\n", "heap bytes of an empty router", h_empty);
	printf("\n%-48s %10s\n", "part of a new session", "us");
	for (int i = 0; i < P_N; i++)
		printf("%-48s %10.2f\n", part_name[i], us[i]);
	printf("heap bytes per packet key (crypto_pkt_key_new): %.0f\n", key_bytes);
	printf("\nwall time %.1f s\n", now_s() - t_start);
	free(in);
	free(wan);
	free(est_wan);
	return 0;
}
