/* Fuzz the datapath as a small network: spoke1 - hub - spoke2, each
 * router a datapath with real keys, the harness the wires between them.
 * The input is a program of operations (each: a code, the length of its
 * arguments, them): packets from a LAN (built from a few bytes, or raw);
 * carrying what a router sent to the router it is addressed to (whole, or
 * with bytes changed); packets a keyed peer makes itself (metadata TLVs of
 * the fuzzer's choice sealed with the receiver's metadata key, a payload
 * sealed with a payload key the harness wrapped, at a sequence number of
 * the fuzzer's choice); re-trigger requests sealed as a router seals
 * them, right or subtly wrong; raw WAN datagrams; time passing.  So it reaches
 * what a made-up packet never does (fuzz_dp.c): a session relayed by the
 * hub, metadata that opens, the handshake, rekeys, retriggers, metadata
 * sent ahead.  DPNET_TRACE=1 (2: and the sessions) shows what each router
 * made of each packet, DPNET_DUMP=1 the datagrams.
 *
 * Checked: nothing crashes or trips a sanitizer; whatever a router hands
 * to a LAN is a whole IP packet whose lengths agree with what was
 * returned; whatever goes to the WAN fits its buffer; a packet a router
 * made, carried once and unchanged, is never dropped as a replay (unless
 * a keyed peer of the fuzzer's spoke: it may have used the number; or it
 * was made before a restart, or meets another session than its own where
 * it goes: struct mail). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "datapath.h"
#include "dpharness.h"
#include "svrmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR   3 /* spoke1, hub, spoke2 */
#define NKEY 4 /* payload keys a keyed peer may use */

static struct dph_keys rk[NR]; /* tests/dpharness.h */
static struct crypto_seal_key pkey[NKEY];
static struct crypto_pkt_key *ppk[NKEY];
static struct dp *R[NR];
static struct dp_out out;
static uint64_t now;

/* who is who: the waypoint addresses, per router and peer number */
static const char *const names[NR] = {"spoke1", "hub", "spoke2"};
static const struct {
	int router; /* the router at the far end */
	const char *theirs, *ours;
} peers[NR][2] = {
	{{1, "198.51.100.1", "198.51.100.2"}},
	{{0, "198.51.100.2", "198.51.100.1"}, {2, "198.51.100.130", "198.51.100.129"}},
	{{1, "198.51.100.129", "198.51.100.130"}},
};
static const int npeers[NR] = {1, 2, 1};

static void init_once(void)
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
static struct dp *router_new(int i)
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

static void network_new(void)
{
	for (int i = 0; i < NR; i++)
		R[i] = router_new(i);
}

static void network_free(void)
{
	for (int i = 0; i < NR; i++) {
		dp_free(R[i]);
		R[i] = NULL;
	}
}

/* ---- reading the program ---------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t g8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t g16(struct rd *r)
{
	uint8_t hi = g8(r);

	return (uint16_t)(hi << 8 | g8(r));
}

/* up to n bytes into b (zeros past the end of the input) */
static void gbytes(struct rd *r, uint8_t *b, size_t n)
{
	size_t k = n < r->n ? n : r->n;

	memcpy(b, r->p, k);
	memset(b + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

/* ---- packets ------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
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
static size_t ip_wrap(uint8_t *b, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
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

static void addr_of(const char *text, int *family, uint8_t a[16])
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

/* the last thing each router sent, to carry on */
struct mail {
	uint8_t pkt[DP_MAX_PKT + 512], extra[DP_EXTRA_MAX];
	size_t len, extra_len;
	/* made before a router restarted: the session it belongs to may be
	 * gone where it goes, and its port given to a new one there, whose
	 * replay window it may well fall behind */
	bool stale, extra_stale;
	/* the session it was made in: the sender's on its port towards the
	 * router it goes to (none for a re-trigger request from a router that
	 * lost the session) */
	uint8_t uuid[16], extra_uuid[16];
	bool in_session, extra_in_session;
};
static struct mail box[NR];
/* a keyed peer spoke: it holds payload keys, and may have sent any
 * sequence number under them */
static bool forged;
/* Re-trigger requests the harness sealed, as a peer of the router holds
 * the key to (op_retrigger), that the router took: at a clock of the
 * fuzzer's choice, up to 30 s ahead, after which a router's own requests
 * on that port are not later than the last one taken there, and dropped
 * as replays (doc/protocol.md, "Re-triggering"). */
static struct {
	int router;
	uint16_t port;
	uint64_t ms;
} taken[64];
static int ntaken;

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

static enum dp_verdict wan_in(int r, const uint8_t *p, size_t len)
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

static void lan_in(int r, const uint8_t *p, size_t len)
{
	enum dp_verdict v = dp_lan_in(R[r], p, len, now, &out);

	trace("lan", r, len, v);
	keep(r, v);
}

/* Carry router r's last packet (or extra) to where it is addressed,
 * changed as the program says, and on for up to depth hops more. */
static void carry(struct rd *rd, int r, bool extra, int depth)
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

/* host addresses: spoke1's LAN 203.0.113.0/25 and 2001:db8:1::/64,
 * spoke2's 203.0.113.128/25 and 2001:db8:2::/64; the hub's LAN (none of
 * its services) 192.0.2.0/24 */
static void host(int r, int family, uint8_t n, uint8_t a[16])
{
	memset(a, 0, 16);
	if (family == 4) {
		a[0] = r == 1 ? 192 : 203;
		a[2] = r == 1 ? 2 : 113;
		a[3] = (uint8_t)((r == 2 ? 128 : 0) | (n & 0x7f));
		if (!a[3])
			a[3] = 1;
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[5] = (uint8_t)(r == 0 ? 1 : r == 2 ? 2 : 9);
		a[15] = n | 1;
	}
}

/* A LAN packet built from a few bytes: router, family and protocol, the
 * hosts, ports, TCP flags and options, a payload. */
static void op_lan(struct rd *rd)
{
	static uint8_t b[DP_MAX_PKT];
	int r = g8(rd) % NR;
	uint8_t f = g8(rd), sh = g8(rd), dh = g8(rd);
	int family = f & 1 ? 6 : 4;
	int sel = ((f >> 1) & 3) % 3;
	uint8_t proto = sel == 0 ? 17 : sel == 1 ? 6 : family == 4 ? 1 : 58;
	uint8_t src[16], dst[16];
	int far = r == 0 ? 2 : r == 2 ? 0 : (f & 8 ? 2 : 0);
	size_t hl = family == 4 ? 20 : 40, l4, plen;
	uint16_t sp = g16(rd), dpt = g16(rd);
	uint8_t *t = b + hl;

	host(r, family, sh, src);
	host(far, family, dh, dst);
	plen = g16(rd);
	plen = f & 16 ? plen % 9000 : plen % 256;
	if (proto == 17) {
		put16(t, sp);
		put16(t + 2, dpt);
		l4 = 8;
	} else if (proto == 6) {
		uint8_t opt = g8(rd) % 11; /* option words */

		memset(t, 0, 20);
		put16(t, sp);
		put16(t + 2, dpt);
		put16(t + 4, g16(rd)); /* seq */
		t[13] = g8(rd);	       /* flags */
		t[12] = (uint8_t)((5 + opt) << 4);
		put16(t + 14, 65535);
		gbytes(rd, t + 20, (size_t)opt * 4);
		if (opt && f & 32) { /* an MSS option first */
			t[20] = 2;
			t[21] = 4;
			put16(t + 22, 1460);
		}
		l4 = 20 + (size_t)opt * 4;
	} else {
		memset(t, 0, 8);
		t[0] = family == 4 ? (f & 8 ? 0 : 8) : (f & 8 ? 129 : 128);
		put16(t + 4, sp);
		put16(t + 6, dpt);
		l4 = 8;
	}
	if (plen > DP_MAX_PKT - hl - l4)
		plen = DP_MAX_PKT - hl - l4;
	for (size_t i = 0; i < plen; i++)
		t[l4 + i] = (uint8_t)(i * 7 + sh);
	gbytes(rd, t + l4, plen < 16 ? plen : 16);
	lan_in(r, b, ip_wrap(b, family, src, dst, proto, l4 + plen));
	if (f & 64) { /* and on, as it came */
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

/* A raw packet from a LAN */
static void op_lan_raw(struct rd *rd)
{
	static uint8_t b[4096];
	int r = g8(rd) % NR;
	size_t n = g16(rd) % sizeof(b);

	gbytes(rd, b, n);
	lan_in(r, b, n);
}

/* A UDP datagram from peer p of router r to port, payload given: its
 * IP and UDP headers right. */
static enum dp_verdict wan_send(int r, int p, uint16_t port, uint8_t *b, size_t payload)
{
	uint8_t src[16], dst[16];
	int family;

	addr_of(peers[r][p].theirs, &family, src);
	addr_of(peers[r][p].ours, &family, dst);
	put16(b + 20, port);
	put16(b + 22, port);
	return wan_in(r, b, ip_wrap(b, 4, src, dst, 17, 8 + payload));
}

static uint16_t a_port(struct rd *rd)
{
	return (uint16_t)(DP_PORT_MIN + g16(rd) % (DP_PORT_MAX - DP_PORT_MIN + 1));
}

/* A raw WAN datagram from a peer (a retrigger, a bare header, noise) */
static void op_wan_raw(struct rd *rd)
{
	static uint8_t b[4096 + 28];
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd);
	size_t n = g16(rd) % 4096;

	gbytes(rd, b + 28, n);
	wan_send(r, p, port, b, n);
}

/* A packet made by a keyed peer: header TLVs, a payload section sealed
 * with the receiver's metadata key (the usual TLVs, then the fuzzer's),
 * a payload sealed with payload key i. */
static void op_wan_keyed(struct rd *rd)
{
	static uint8_t b[DP_MAX_PKT], pt[1024], body[4096];
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd);
	uint8_t f = g8(rd), f2 = g8(rd), ki = g8(rd) % NKEY;
	uint64_t seq = g16(rd), t;
	int16_t skew = (int16_t)g16(rd);
	uint8_t *frame = b + 28;
	struct svrmeta_writer w, pw;
	size_t hraw = g8(rd) % 64, praw = g8(rd), blen = g16(rd) % sizeof(body), mlen = 0;
	ssize_t n;

	if (f & 1) { /* a metadata frame */
		uint8_t tb[8];

		svrmeta_begin(&w, frame, 1024);
		if (!(f2 & 1))
			svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, f2 & 2 ? 999 : rk[r].own_index);
		t = now + (uint64_t)(int64_t)skew * (f2 & 4 ? 1000 : 1);
		for (int i = 0; i < 8; i++)
			tb[i] = (uint8_t)(t >> (56 - 8 * i));
		if (!(f2 & 8))
			svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
		if (f & 2)
			svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
		if (f & 4)
			svrmeta_put(&w, SVRMETA_TLV_META_ONLY, NULL, 0);
		if (f & 8)
			svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
		if (hraw) { /* the fuzzer's own header TLVs, as they come */
			gbytes(rd, frame + w.len, hraw);
			w.len += hraw;
		}
		svrmeta_finish(&w);
		if (f & 16) { /* a sealed payload section */
			uint8_t wk[256];
			struct svr_ctx c;
			ssize_t wl;
			size_t hlen = w.len, sealed;

			svrmeta_begin(&pw, pt, sizeof(pt));
			if (!(f2 & 16)) { /* the forward context */
				uint8_t v[37], sh = g8(rd), dh = g8(rd);
				int fam = f2 & 32 ? 6 : 4, from = peers[r][p].router;
				int sr = from == 1 ? 2 - r : from, dr = from == 1 ? r : 2 - from;
				size_t a = fam == 6 ? 16 : 4;

				if (f2 & 64) { /* the other way round */
					int x = sr;

					sr = dr;
					dr = x;
				}
				memset(&c, 0, sizeof(c));
				host(sr, fam, sh, c.src);
				host(dr, fam, dh, c.dst);
				memcpy(v, c.src, a);
				memcpy(v + a, c.dst, a);
				put16(v + 2 * a, g16(rd));
				put16(v + 2 * a + 2, g16(rd));
				v[2 * a + 4] = (uint8_t[]){17, 6, 1, 58}[g8(rd) & 3];
				svrmeta_put(&pw, fam == 6 ? SVRMETA_TLV_FWD6 : SVRMETA_TLV_FWD4, v,
					    2 * a + 5);
			}
			if (!(f2 & 128)) {
				uint8_t u[16] = {0};

				u[0] = g8(rd);
				svrmeta_put(&pw, SVRMETA_TLV_UUID, u, 16);
				svrmeta_put(&pw, SVRMETA_TLV_SERVICE, "svc", 3);
				svrmeta_put(&pw, SVRMETA_TLV_ENCRYPTED, NULL, 0);
				wl = dph_wrap_for(&rk[r].own, rk[r].own_index,
						  (const uint8_t *)&pkey[ki], sizeof(pkey[ki]), wk,
						  sizeof(wk));
				if (wl > 0)
					svrmeta_put(&pw, SVRMETA_TLV_PAYLOAD_KEY, wk, (size_t)wl);
			}
			if (praw && pw.cap - pw.len >= praw) {
				gbytes(rd, pt + pw.len, praw);
				pw.len += praw;
			}
			sealed = crypto_sealed_len(pw.len - SVRMETA_HDR);
			if (hlen + sealed <= 1024) {
				frame[10] = (uint8_t)(sealed >> 8);
				frame[11] = (uint8_t)sealed;
				n = crypto_seal(&rk[r].own, frame, hlen, pt + SVRMETA_HDR,
						pw.len - SVRMETA_HDR, frame + hlen, 1024 - hlen);
				if (n > 0)
					w.len = hlen + (size_t)n;
			}
		}
		mlen = w.len;
	}
	gbytes(rd, body, blen < 32 ? blen : 32);
	n = crypto_pkt_seal(ppk[ki], f & 32 ? 1 : 0, seq, frame, mlen, body, blen, frame + mlen,
			    sizeof(b) - 28 - mlen);
	if (n < 0)
		return;
	if (f & 64) { /* a byte changed after sealing */
		size_t at = g16(rd) % (mlen + (size_t)n);

		frame[at] ^= g8(rd) | 1;
	}
	forged = true;
	wan_send(r, p, port, b, mlen + (size_t)n);
	if (f & 128) {
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

/* A re-trigger request from peer p of router r (doc/protocol.md,
 * "Re-triggering"), as its router makes it or not quite: another key
 * index, port, name or clock, a byte changed after sealing. */
static void op_retrigger(struct rd *rd)
{
	static uint8_t b[28 + 512];
	static const char tag[] = "opensvr retrigger v1";
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd), pport;
	uint8_t f = g8(rd), pt[64], tb[8], *frame = b + 28;
	const char *name = names[peers[r][p].router];
	int16_t skew = (int16_t)g16(rd);
	uint64_t t = now + (uint64_t)(int64_t)skew * (f & 1 ? 1000 : 1);
	struct svrmeta_writer w;
	size_t hlen, plen, ptlen, nlen;
	ssize_t n;

	pport = f & 2 ? g16(rd) : port;
	if (f & 4)
		name = names[g8(rd) % NR];
	nlen = strlen(name);
	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(t >> (56 - 8 * i));
	svrmeta_begin(&w, frame, 256);
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, f & 8 ? 999 : rk[r].own_index);
	svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	hlen = svrmeta_finish(&w);
	memcpy(pt, tag, sizeof(tag));
	put16(pt + sizeof(tag), pport);
	memcpy(pt + sizeof(tag) + 2, name, nlen);
	ptlen = sizeof(tag) + 2 + nlen;
	if (f & 16)
		ptlen -= 1 + g8(rd) % ptlen;
	plen = crypto_sealed_len(ptlen);
	put16(frame + 10, (uint16_t)plen);
	n = crypto_seal(&rk[r].own, frame, hlen, pt, ptlen, frame + hlen, 256 - hlen);
	if (n < 0)
		return;
	if (f & 32) {
		size_t at = g16(rd) % (hlen + (size_t)n);

		frame[at] ^= g8(rd) | 1;
	}
	if (wan_send(r, p, port, b, hlen + (size_t)n) != DP_DROP && ntaken < 64) {
		taken[ntaken].router = r;
		taken[ntaken].port = port;
		taken[ntaken++].ms = t;
	}
	if (f & 64) {
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd rd = {data, size};
	int ops = 0;

	init_once();
	network_new();
	now = 1700000000000ull;
	for (int i = 0; i < NR; i++)
		box[i].len = box[i].extra_len = 0;
	forged = false;
	ntaken = 0;
	while (rd.n && ops++ < 64) {
		/* an operation: its code, the length of its arguments, them */
		uint8_t op = g8(&rd);
		size_t alen = g16(&rd);
		struct rd a = {rd.p, alen < rd.n ? alen : rd.n};

		rd.p += a.n;
		rd.n -= a.n;
		switch (op % 10) {
		case 0:
		case 1:
			op_lan(&a);
			break;
		case 2: {
			int r = g8(&a) % NR;

			carry(&a, r, op & 16, 0);
			break;
		}
		case 3:
			op_wan_keyed(&a);
			break;
		case 4:
			if (op & 0x80) /* a re-trigger, made as a router makes it */
				op_retrigger(&a);
			else
				op_wan_raw(&a);
			break;
		case 5:
			op_lan_raw(&a);
			break;
		case 6: { /* time passes; or routers restart, their sessions lost */
			uint16_t d = g16(&a);
			uint8_t shift = g8(&a), which = g8(&a); /* 0: every router */

			now += (uint64_t)d << (shift % 16);
			for (int i = 0; i < NR; i++) {
				if (which & 7 && !(which & 1 << i))
					continue;
				if (which & 8) {
					for (int j = 0; j < NR; j++)
						box[j].stale = box[j].extra_stale = true;
					dp_free(R[i]);
					R[i] = router_new(i);
				} else {
					dp_tick(R[i], now);
				}
			}
			break;
		}
		case 7: {
			int r = g8(&a) % NR;

			dp_set_rekey_interval(R[r], g16(&a));
			break;
		}
		case 8: {
			int r = g8(&a) % NR, p = g8(&a) % npeers[r];

			dp_set_peer_mtu(R[r], p, 576 + g16(&a) % 1500);
			break;
		}
		case 9: { /* extra first, then the packet, as a forwarder sends them */
			int r = g8(&a) % NR;

			carry(&a, r, true, 0);
			carry(&a, r, false, 0);
			break;
		}
		}
	}
	network_free();
	return 0;
}
