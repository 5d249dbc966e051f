/* The datapath between two routers, on real packets in byte buffers:
 * routerA and routerB each run a datapath; the test carries what one
 * sends to the other (the WAN) and what comes out to the LANs.  The keys
 * are real (metadata keys sealed and opened with the real crypto); only
 * where they come from is the test's (tests/dpharness.h; svrd takes them
 * from the key engine). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "datapath.h"
#include "dpharness.h"

static struct dph_keys ka, kb;
static struct dp *A, *B;
static struct dp_out o1, o2;

/* What svrd does for a router besides its peers and services: the
 * prefixes it delivers to (its LAN), and sequence epochs from a counter
 * that survives restarts (here, this process). */
static uint64_t epoch_counter = 1;

static void epochs(struct dp *d, uint64_t n)
{
	cr_assert_eq(dp_add_epochs(d, epoch_counter, n), 0);
	epoch_counter += n;
}

static void local(struct dp *d, const char *prefix)
{
	cr_assert_eq(dp_add_local(d, prefix), 0);
	epochs(d, 10000);
}

static void setup(void)
{

	dph_keys_init(&ka, 100, -1);
	dph_keys_init(&kb, 200, -1);
	/* each has the other's metadata key, as the key exchange leaves them */
	dph_knows(&ka, 0, &kb);
	dph_knows(&kb, 0, &ka);
	A = dph_router(&ka, "routerA");
	B = dph_router(&kb, "routerB");
	cr_assert(A && B);
	cr_assert_eq(dp_add_peer(A, 0, "routerB", "198.51.100.2", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	cr_assert_eq(dp_add_service(A, "hostB-lan", "203.0.113.0/24", 0), 0);
	cr_assert_eq(dp_add_service(B, "hostA-lan", "192.0.2.0/24", 0), 0);
	local(A, "192.0.2.0/24");
	local(A, "2001:db8:a::/64");
	local(B, "203.0.113.0/24");
	local(B, "2001:db8:b::/64");
}

static void teardown(void)
{
	dp_free(A);
	dp_free(B);
}

TestSuite(dp, .init = setup, .fini = teardown);

/* An IPv4 packet: header, then an L4 message (UDP: header made here). */
static size_t ip4(uint8_t *out, const char *src, const char *dst, uint8_t proto, uint16_t sport,
		  uint16_t dport, const void *body, size_t blen)
{
	size_t uh = proto == 17 ? 8 : 0, total = 20 + uh + blen;
	uint32_t acc = 0;

	memset(out, 0, 28);
	out[0] = 0x45;
	out[2] = (uint8_t)(total >> 8);
	out[3] = (uint8_t)total;
	out[8] = 64;
	out[9] = proto;
	inet_pton(AF_INET, src, out + 12);
	inet_pton(AF_INET, dst, out + 16);
	if (uh) {
		out[20] = (uint8_t)(sport >> 8);
		out[21] = (uint8_t)sport;
		out[22] = (uint8_t)(dport >> 8);
		out[23] = (uint8_t)dport;
		out[24] = (uint8_t)((8 + blen) >> 8);
		out[25] = (uint8_t)(8 + blen);
	}
	memcpy(out + 20 + uh, body, blen);
	if (uh) {
		uint16_t c;

		acc = (uint32_t)(out[12] << 8 | out[13]) + (uint32_t)(out[14] << 8 | out[15]) +
		      (uint32_t)(out[16] << 8 | out[17]) + (uint32_t)(out[18] << 8 | out[19]) + 17 +
		      (uint32_t)(8 + blen);
		c = csum(out + 20, 8 + blen, acc);
		out[26] = (uint8_t)(c >> 8);
		out[27] = (uint8_t)c;
	}
	return total;
}

static bool udp_checksum_ok(const uint8_t *p)
{
	size_t len = (size_t)(p[2] << 8 | p[3]) - 20;
	uint32_t acc = (uint32_t)(p[12] << 8 | p[13]) + (uint32_t)(p[14] << 8 | p[15]) +
		       (uint32_t)(p[16] << 8 | p[17]) + (uint32_t)(p[18] << 8 | p[19]) + 17 +
		       (uint32_t)len;

	return csum(p + 20, len, acc) == 0;
}

static void fix_udp_checksum(uint8_t *p)
{
	size_t len = (size_t)(p[2] << 8 | p[3]) - 20;
	uint32_t acc = (uint32_t)(p[12] << 8 | p[13]) + (uint32_t)(p[14] << 8 | p[15]) +
		       (uint32_t)(p[16] << 8 | p[17]) + (uint32_t)(p[18] << 8 | p[19]) + 17 +
		       (uint32_t)len;
	uint16_t c;

	p[26] = p[27] = 0;
	c = csum(p + 20, len, acc);
	p[26] = (uint8_t)(c >> 8);
	p[27] = (uint8_t)c;
}

static bool has_cookie(const struct dp_out *o)
{
	return !memcmp(o->pkt + 28, svrmeta_cookie, 8);
}

#define MARKER "opensvr-marker-7f3a9c"

Test(dp, udp_both_ways_with_the_metadata_handshake)
{
	uint8_t in[2000], back[2000];
	size_t n, nb;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, MARKER " forward", 29);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	/* on the WAN: routerA to routerB, UDP between waypoint ports, metadata
	 * first, and nothing of the payload in clear */
	cr_assert_eq(o1.pkt[9], 17);
	cr_assert_eq(memcmp(o1.pkt + 12, (uint8_t[]){198, 51, 100, 1}, 4), 0);
	cr_assert_eq(memcmp(o1.pkt + 16, (uint8_t[]){198, 51, 100, 2}, 4), 0);
	cr_assert_geq(o1.pkt[20] << 8 | o1.pkt[21], DP_PORT_MIN);
	cr_assert(has_cookie(&o1), "the first packet carries no metadata");
	cr_assert_null(memmem(o1.pkt, o1.len, MARKER, strlen(MARKER)), "plaintext on the WAN");
	cr_assert(udp_checksum_ok(o1.pkt));
	/* routerB gives hostB the original */
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_SEND, "dropped: %s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 12, in + 12, 8), 0, "addresses not restored");
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0, "ports or payload not restored");
	cr_assert(udp_checksum_ok(o2.pkt));
	cr_assert_eq(csum(o2.pkt, 20, 0), 0, "IPv4 header checksum");
	cr_assert_eq(dp_session_count(B), 1);
	/* hostB answers: the same session back, routerB says "stop the metadata" */
	nb = ip4(back, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, MARKER " reverse", 29);
	cr_assert_eq(dp_lan_in(B, back, nb, 1002, &o2), DP_SEND);
	cr_assert(has_cookie(&o2));
	cr_assert_eq(dp_session_count(B), 1, "the reply made a session of its own");
	cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1003, &o1), DP_SEND);
	cr_assert_eq(memcmp(o1.pkt + 20, back + 20, nb - 20), 0);
	/* handshake done on routerA: no more metadata forward */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "second", 6);
	cr_assert_eq(dp_lan_in(A, in, n, 1004, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1), "metadata after the handshake");
	/* 6 bytes: 16 of ciphertext, 8 of sequence number, 24 of tag */
	cr_assert_eq(o1.len, 28 + 16 + 8 + 24);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1005, &o2), DP_SEND);
	/* ... and on routerB once that packet came: none back either */
	cr_assert_eq(dp_lan_in(B, back, nb, 1006, &o2), DP_SEND);
	cr_assert_not(has_cookie(&o2));
	cr_assert_eq(dp_stats(A)->sessions_created, 1);
	cr_assert_eq(dp_stats(B)->sessions_created, 1);
}

/* routerB loses the session (a restart) and rebuilds it from the metadata
 * routerA sends again, with the same payload key: its sequence numbers must
 * not start over under it (the IVs would repeat, and routerA's replay
 * window would drop its acknowledgement and its answers). */
Test(dp, the_egress_router_restarts)
{
	static uint8_t before[sizeof(o2.pkt)];
	uint8_t in[200], back[200];
	size_t n, nb, blen = 0;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "fwd", 3);
	nb = ip4(back, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "rev", 3);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 1000, &o1), DP_DONE);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(dp_lan_in(B, back, nb, 1001, &o2), DP_SEND);
		if (!i) {
			memcpy(before, o2.pkt, o2.len);
			blen = o2.len;
		}
		cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1001, &o1), DP_SEND);
	}
	dp_free(B);
	B = dph_router(&kb, "routerB");
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	cr_assert_eq(dp_add_service(B, "hostA-lan", "192.0.2.0/24", 0), 0);
	local(B, "203.0.113.0/24");
	/* no session there: routerB asks for the metadata again */
	cr_assert_eq(dp_lan_in(A, in, n, 2000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 2000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_NO_SESSION);
	cr_assert_gt(o2.extra_len, 0);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 2000, &o1), DP_DONE);
	cr_assert_eq(dp_lan_in(A, in, n, 2001, &o1), DP_SEND);
	cr_assert(has_cookie(&o1));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 2001, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 2001, &o1), DP_DONE,
		     "the acknowledgement dropped: %s", dp_drop_name(o1.drop));
	cr_assert_eq(dp_lan_in(B, back, nb, 2002, &o2), DP_SEND);
	cr_assert(o2.len != blen || memcmp(o2.pkt + 28, before + 28, blen - 28) != 0,
		  "the same ciphertext as before the restart: key and IV used again");
	cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 2002, &o1), DP_SEND, "the answer dropped: %s",
		     dp_drop_name(o1.drop));
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_REPLAY], 0);
}

/* Routers up for different times: the clocks their forwarders time
 * sessions with (monotonic) are far apart, their wall clocks agree, and
 * first packets carry the wall clock (TLV 0xF002). */
Test(dp, routers_up_for_different_times)
{
	uint8_t in[200];
	size_t n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	uint64_t wall = 1795727568123ull;

	dp_set_wallclock(A, 5000, wall);	  /* up for 5 s */
	dp_set_wallclock(B, 86400000, wall + 20); /* up for a day */
	cr_assert_eq(dp_lan_in(A, in, n, 5000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 86400020, &o2), DP_SEND, "dropped: %s",
		     dp_drop_name(o2.drop));
}

/* A packet on routerA's LAN with the addresses and ports of hostB's
 * answers is not one of the session's: sealed, it would use routerB's
 * direction with routerA's sequence numbers, under the same key (the IV of
 * one of routerB's packets). */
Test(dp, a_lan_packet_the_far_way_round_is_dropped)
{
	uint8_t in[200], back[200];
	size_t n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "fwd", 3);
	size_t nb = ip4(back, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "rev", 3);

	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_lan_in(A, back, nb, 1001, &o1), DP_DROP);
	cr_assert_eq(dp_lan_in(B, in, n, 1001, &o2), DP_DROP);
	cr_assert_eq(dp_lan_in(B, back, nb, 1002, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1002, &o1), DP_SEND);
}

Test(dp, overhead_of_a_1000_byte_datagram_after_the_handshake)
{
	static uint8_t in[2000], body[1400];
	size_t n;

	memset(body, 'z', sizeof(body));
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40001, 9, body, 1000);
	dp_lan_in(A, in, n, 1000, &o1);
	dp_wan_in(B, o1.pkt, o1.len, 1000, &o2);
	n = ip4(in, "203.0.113.2", "192.0.2.2", 17, 9, 40001, body, 1000);
	dp_lan_in(B, in, n, 1000, &o2);
	dp_wan_in(A, o2.pkt, o2.len, 1000, &o1);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40001, 9, body, 1000);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	/* the same IP and UDP headers, 40 bytes more */
	cr_assert_eq(o1.len - n, 40, "%zu bytes added", o1.len - n);
	/* and 1400 bytes stay under a 1500-byte WAN */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40001, 9, body, 1400 - 28);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_leq(o1.len, 1500);
}

Test(dp, replays_and_every_changed_byte_are_dropped)
{
	uint8_t in[200], bad[sizeof(o1.pkt)];
	size_t n, delivered = 0;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_REPLAY);
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	for (size_t i = 20; i < o1.len; i++) { /* past the outer IP header */
		memcpy(bad, o1.pkt, o1.len);
		bad[i] ^= 0x01;
		if (dp_wan_in(B, bad, o1.len, 1001, &o2) == DP_SEND)
			delivered++;
		cr_assert_eq(o2.drop, DP_DROP_MALFORMED, "byte %zu: the UDP checksum", i);
		/* the same change with a checksum that matches it: the tag */
		if (i != 26 && i != 27) {
			fix_udp_checksum(bad);
			if (dp_wan_in(B, bad, o1.len, 1001, &o2) == DP_SEND)
				delivered++;
		}
	}
	cr_assert_eq(delivered, 0, "a changed packet was delivered");
	/* the protected payload (16 + 8 + 24 bytes) fails its tag; the
	 * metadata before it (a first packet) fails to open */
	cr_assert_geq(dp_stats(B)->drops[DP_DROP_BAD_TAG], 48);
	cr_assert_geq(dp_stats(B)->drops[DP_DROP_BAD_METADATA], 100);
	/* the untouched one still goes through once */
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_SEND);
}

Test(dp, tcp_whole_with_the_syn_flag_and_icmp_echo)
{
	uint8_t seg[40] = {0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff},
		echo[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	uint8_t in[200];
	size_t n;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 6, 0, 0, seg, 20);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(o2.len, n);
	cr_assert_eq(o2.pkt[9], 6);
	/* the segment as it was, its checksum computed on the way (the
	 * sender left it to offload: 0 here) */
	cr_assert_eq(memcmp(o2.pkt + 20, seg, 16), 0, "the TCP segment changed on the way");
	cr_assert_eq(memcmp(o2.pkt + 38, seg + 18, 2), 0);
	{
		uint32_t acc =
			(192 << 8 | 0) + (2 << 8 | 2) + (203 << 8 | 0) + (113 << 8 | 2) + 6 + 20;

		cr_assert_eq(csum(o2.pkt + 20, 20, acc), 0, "TCP checksum not valid");
	}
	n = ip4(in, "192.0.2.2", "203.0.113.2", 1, 0, 0, echo, sizeof(echo));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(memcmp(o2.pkt + 20, echo, sizeof(echo)), 0);
	/* the reply finds the echo's session */
	echo[0] = 0;
	n = ip4(in, "203.0.113.2", "192.0.2.2", 1, 0, 0, echo, sizeof(echo));
	cr_assert_eq(dp_lan_in(B, in, n, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_session_count(A), 2);
	/* an ICMP error to a service is carried too, whole, never passed */
	echo[0] = 3;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 1, 0, 0, echo, sizeof(echo));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(memcmp(o2.pkt + 20, echo, sizeof(echo)), 0);
}

Test(dp, a_payload_that_begins_with_the_cookie_survives)
{
	uint8_t body[40], in[200];
	size_t n;

	memcpy(body, svrmeta_cookie, 8);
	memset(body + 8, 'c', sizeof(body) - 8);
	for (int i = 0; i < 3; i++) {
		n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 53, body, sizeof(body));
		cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
		cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
		cr_assert_eq(memcmp(o2.pkt + 28, body, sizeof(body)), 0);
		n = ip4(in, "203.0.113.2", "192.0.2.2", 17, 53, 40000, body, sizeof(body));
		cr_assert_eq(dp_lan_in(B, in, n, 1000, &o2), DP_SEND);
		cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1000, &o1), DP_SEND);
		cr_assert_eq(memcmp(o1.pkt + 28, body, sizeof(body)), 0);
	}
}

Test(dp, no_keys_unknown_flows_stale_and_expired_sessions)
{
	uint8_t in[200];
	size_t n;

	/* not a service: the kernel's */
	n = ip4(in, "192.0.2.2", "198.51.100.9", 17, 1, 2, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_PASS);
	/* a service, but no metadata key from the peer yet: dropped, never in clear */
	ka.have_peer[0] = false;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_DROP);
	cr_assert_eq(o1.drop, DP_DROP_NO_KEY);
	ka.have_peer[0] = true;
	/* a first packet that arrives a minute late */
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000 + 60000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_STALE);
	/* sealed for a metadata key routerB does not hold */
	kb.own_index = 201;
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_UNKNOWN_INDEX);
	kb.own_index = 200;
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_SEND);
	/* hostB answers: idle UDP sessions go after a minute */
	n = ip4(in, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "y", 1);
	cr_assert_eq(dp_lan_in(B, in, n, 1001, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, 1001, &o1), DP_SEND);
	cr_assert_eq(dp_tick(A, 1001 + 59000), 0);
	cr_assert_eq(dp_tick(A, 1001 + 61000), 1);
	cr_assert_eq(dp_session_count(A), 0);
	cr_assert_eq(dp_tick(B, 1001 + 61000), 1);
	/* one nobody answers goes after DP_DEFAULT_UNANSWERED_MS */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40001, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 70000, &o1), DP_SEND);
	cr_assert_eq(dp_tick(A, 70000 + DP_DEFAULT_UNANSWERED_MS - 1), 0);
	cr_assert_eq(dp_tick(A, 70000 + DP_DEFAULT_UNANSWERED_MS), 1);
	/* a packet for a session routerB no longer has */
	n = ip4(in, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "x", 1);
	cr_assert_eq(dp_lan_in(B, in, n, 70000, &o2), DP_SEND); /* a new session from B */
	cr_assert_str_eq(dp_drop_name(DP_DROP_NO_SESSION), "no session");
}

Test(dp, ipv6_end_to_end)
{
	uint8_t in[200] = {0x60}, *u = in + 40;
	const char *msg = MARKER " v6";
	size_t blen = strlen(msg), n = 40 + 8 + blen;

	cr_assert_eq(dp_add_peer(A, 0, "routerB", "2001:db8:ff::2", "2001:db8:ff::1"), 0);
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "2001:db8:ff::1", "2001:db8:ff::2"), 0);
	cr_assert_eq(dp_add_service(A, "hostB-v6", "2001:db8:b::/64", 0), 0);
	in[4] = (uint8_t)((8 + blen) >> 8);
	in[5] = (uint8_t)(8 + blen);
	in[6] = 17;
	in[7] = 64;
	inet_pton(AF_INET6, "2001:db8:a::2", in + 8);
	inet_pton(AF_INET6, "2001:db8:b::2", in + 24);
	u[0] = 0x9c;
	u[2] = 0x14;
	u[5] = (uint8_t)(8 + blen);
	memcpy(u + 8, msg, blen);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(o1.pkt[0] >> 4, 6);
	cr_assert_null(memmem(o1.pkt, o1.len, MARKER, strlen(MARKER)));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 8, in + 8, 32), 0);
	cr_assert_eq(memcmp(o2.pkt + 48, msg, blen), 0);
}

Test(dp, a_thousand_concurrent_sessions)
{
	uint8_t in[200];
	char src[32];
	size_t n;

	for (int i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 2 + i % 200);
		n = ip4(in, src, "203.0.113.2", 17, (uint16_t)(20000 + i), 5201, "s", 1);
		cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
		cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
		cr_assert_eq(memcmp(o2.pkt + 12, in + 12, 8), 0);
	}
	cr_assert_eq(dp_session_count(A), 1000);
	cr_assert_eq(dp_session_count(B), 1000);
	/* every waypoint port different */
	{
		static bool seen[65536];
		struct dp_session_info si;

		for (size_t c = 0; dp_session_next(A, &c, 1000, &si);) {
			cr_assert_not(seen[si.port], "port %u twice", si.port);
			seen[si.port] = true;
			cr_assert_str_eq(si.peer, "routerB");
			cr_assert_str_eq(si.service, "hostB-lan");
		}
	}
}

Test(dp, syn_mss_is_clamped_so_segments_fit_the_wan)
{
	/* a SYN offering MSS 1460, with a valid checksum */
	uint8_t seg[24] = {0x9c, 0x41, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0,	   0,
			   0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 0x05, 0xb4};
	uint8_t in[200];
	uint32_t acc;
	uint16_t c;
	size_t n;

	acc = (192 << 8 | 0) + (2 << 8 | 2) + (203 << 8 | 0) + (113 << 8 | 2) + 6 + sizeof(seg);
	c = csum(seg, sizeof(seg), acc);
	seg[16] = (uint8_t)(c >> 8);
	seg[17] = (uint8_t)c;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 6, 0, 0, seg, sizeof(seg));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(o2.pkt[20 + 22] << 8 | o2.pkt[20 + 23], 1340, "MSS not clamped");
	cr_assert_eq(csum(o2.pkt + 20, sizeof(seg), acc), 0, "TCP checksum wrong after the clamp");
}

/* ---- multi-hop: spoke1 - hub - spoke2 ------------------------------------ */

static struct dph_keys k1, kh, k2;
static struct dp *S1, *H, *S2;

static void hub_setup(void)
{

	dph_keys_init(&k1, 10, -1);
	dph_keys_init(&k2, 20, -1);
	dph_keys_init(&kh, 30, -1);
	dph_knows(&k1, 0, &kh); /* the spokes' peer 0 is the hub */
	dph_knows(&k2, 0, &kh);
	dph_knows(&kh, 0, &k1); /* the hub's peer 0 is spoke1, 1 is spoke2 */
	dph_knows(&kh, 1, &k2);
	S1 = dph_router(&k1, "spoke1");
	H = dph_router(&kh, "hub");
	S2 = dph_router(&k2, "spoke2");
	cr_assert(S1 && H && S2);
	cr_assert_eq(dp_add_peer(S1, 0, "hub", "198.51.100.1", "198.51.100.2"), 0);
	cr_assert_eq(dp_add_peer(H, 0, "spoke1", "198.51.100.2", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_peer(H, 1, "spoke2", "198.51.100.130", "198.51.100.129"), 0);
	cr_assert_eq(dp_add_peer(S2, 0, "hub", "198.51.100.129", "198.51.100.130"), 0);
	cr_assert_eq(dp_add_service(S1, "host2-lan", "203.0.113.128/25", 0), 0);
	cr_assert_eq(dp_add_service(H, "host1-lan", "203.0.113.0/25", 0), 0);
	cr_assert_eq(dp_add_service(H, "host2-lan", "203.0.113.128/25", 1), 0);
	cr_assert_eq(dp_add_service(S2, "host1-lan", "203.0.113.0/25", 0), 0);
	local(S1, "203.0.113.0/25");
	local(S1, "2001:db8:1::/64");
	local(S2, "203.0.113.128/25");
	local(S2, "2001:db8:2::/64");
	epochs(H, 10000);
}

static void hub_teardown(void)
{
	dp_free(S1);
	dp_free(H);
	dp_free(S2);
}

TestSuite(hub, .init = hub_setup, .fini = hub_teardown);

static bool from_to(const struct dp_out *o, const char *src, const char *dst)
{
	uint8_t a[4], b[4];

	inet_pton(AF_INET, src, a);
	inet_pton(AF_INET, dst, b);
	return !memcmp(o->pkt + 12, a, 4) && !memcmp(o->pkt + 16, b, 4);
}

/* host1 -> host2 and back through the hub, n round trips; the hub's
 * outputs must never hold the marker. */
static void hub_round_trip(uint64_t now, bool expect_meta)
{
	uint8_t in[200], back[200];
	struct dp_out hop;
	size_t n, nb;

	n = ip4(in, "203.0.113.2", "203.0.113.130", 17, 40000, 5201, MARKER " fwd", 25);
	cr_assert_eq(dp_lan_in(S1, in, n, now, &o1), DP_SEND);
	cr_assert(from_to(&o1, "198.51.100.2", "198.51.100.1"), "spoke1 does not send to the hub");
	cr_assert_eq(has_cookie(&o1), expect_meta);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, now, &hop), DP_SEND, "hub dropped: %s",
		     dp_drop_name(hop.drop));
	cr_assert(from_to(&hop, "198.51.100.129", "198.51.100.130"), "the hub does not relay");
	cr_assert_eq(has_cookie(&hop), expect_meta);
	cr_assert_null(memmem(hop.pkt, hop.len, MARKER, strlen(MARKER)), "plaintext at the hub");
	cr_assert(udp_checksum_ok(hop.pkt));
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, now, &o2), DP_SEND, "spoke2 dropped: %s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 12, in + 12, n - 12), 0, "not the original at host2");
	nb = ip4(back, "203.0.113.130", "203.0.113.2", 17, 5201, 40000, MARKER " rev", 25);
	cr_assert_eq(dp_lan_in(S2, back, nb, now, &o2), DP_SEND);
	cr_assert(from_to(&o2, "198.51.100.130", "198.51.100.129"));
	cr_assert_eq(dp_wan_in(H, o2.pkt, o2.len, now, &hop), DP_SEND, "hub dropped: %s",
		     dp_drop_name(hop.drop));
	cr_assert(from_to(&hop, "198.51.100.1", "198.51.100.2"));
	cr_assert_null(memmem(hop.pkt, hop.len, MARKER, strlen(MARKER)), "plaintext at the hub");
	cr_assert_eq(dp_wan_in(S1, hop.pkt, hop.len, now, &o1), DP_SEND, "spoke1 dropped: %s",
		     dp_drop_name(o1.drop));
	cr_assert_eq(memcmp(o1.pkt + 12, back + 12, nb - 12), 0, "not the original at host1");
}

Test(hub, spoke_to_spoke_through_the_hub_which_cannot_read_it)
{
	struct dp_session_info si;

	hub_round_trip(1000, true);
	/* the handshake crossed the hub: no metadata either way any more */
	hub_round_trip(1001, false);
	hub_round_trip(1002, false);
	cr_assert_eq(dp_session_count(S1), 1);
	cr_assert_eq(dp_session_count(S2), 1);
	cr_assert_eq(dp_session_count(H), 2, "a relayed session is two legs");
	for (size_t c = 0; dp_session_next(H, &c, 1002, &si);) {
		cr_assert(si.transit);
		cr_assert_str_eq(si.service, "host2-lan");
	}
	cr_assert_eq(dp_stats(H)->relayed, 6);
	cr_assert_eq(dp_stats(H)->lan_out, 0, "the hub delivered something itself");
	/* spoke2 saw the session come from the hub, made by spoke1 */
	cr_assert(dp_session_next(S2, &(size_t){0}, 1002, &si));
	cr_assert_str_eq(si.peer, "hub");
	cr_assert_not(si.ingress);
}

Test(hub, the_hub_drops_tampered_and_replayed_packets)
{
	uint8_t in[200], saved[DP_MAX_PKT];
	struct dp_out hop;
	size_t n, len;

	hub_round_trip(1000, true);
	n = ip4(in, "203.0.113.2", "203.0.113.130", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(S1, in, n, 1001, &o1), DP_SEND);
	memcpy(saved, o1.pkt, o1.len);
	len = o1.len;
	o1.pkt[len - 30] ^= 1; /* the sequence number */
	fix_udp_checksum(o1.pkt);
	cr_assert_eq(dp_wan_in(H, o1.pkt, len, 1001, &hop), DP_DROP);
	cr_assert_eq(hop.drop, DP_DROP_BAD_TAG);
	cr_assert_eq(dp_wan_in(H, saved, len, 1001, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(H, saved, len, 1001, &hop), DP_DROP);
	cr_assert_eq(hop.drop, DP_DROP_REPLAY);
}

Test(hub, both_legs_expire_together)
{
	hub_round_trip(1000, true);
	cr_assert_eq(dp_tick(H, 1000 + 59000), 0);
	cr_assert_eq(dp_tick(H, 1000 + 61000), 2);
	cr_assert_eq(dp_session_count(H), 0);
}

Test(hub, an_ipv6_session_over_ipv4_waypoints)
{
	uint8_t in[200] = {0x60}, *u = in + 40;
	const char *msg = MARKER " v6";
	size_t blen = strlen(msg), n = 40 + 8 + blen;
	struct dp_out hop;

	cr_assert_eq(dp_add_service(S1, "host2-v6", "2001:db8:2::/64", 0), 0);
	cr_assert_eq(dp_add_service(H, "host2-v6", "2001:db8:2::/64", 1), 0);
	in[4] = (uint8_t)((8 + blen) >> 8);
	in[5] = (uint8_t)(8 + blen);
	in[6] = 17;
	in[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::2", in + 8);
	inet_pton(AF_INET6, "2001:db8:2::2", in + 24);
	u[0] = 0x9c;
	u[2] = 0x14;
	u[5] = (uint8_t)(8 + blen);
	memcpy(u + 8, msg, blen);
	cr_assert_eq(dp_lan_in(S1, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(o1.pkt[0] >> 4, 4, "the waypoints are IPv4");
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_SEND);
	cr_assert_eq(o2.pkt[0] >> 4, 6);
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 8, in + 8, 36), 0, "addresses or ports not restored");
	cr_assert_eq(memcmp(o2.pkt + 48, msg, blen), 0);
}

Test(dp, sessions_opened_from_both_ends_at_once_never_share_a_port)
{
	uint8_t in[200];
	size_t n;
	struct dp_out fa, fb;

	/* each end makes a session before it sees the other's */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "a", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &fa), DP_SEND);
	n = ip4(in, "203.0.113.2", "192.0.2.2", 17, 40001, 5202, "b", 1);
	cr_assert_eq(dp_lan_in(B, in, n, 1000, &fb), DP_SEND);
	cr_assert_neq(fa.pkt[20] << 8 | fa.pkt[21], fb.pkt[20] << 8 | fb.pkt[21]);
	cr_assert_eq(dp_wan_in(B, fa.pkt, fa.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, fb.pkt, fb.len, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_session_count(A), 2, "a session was lost to the other's");
	cr_assert_eq(dp_session_count(B), 2);
}

Test(dp, a_one_way_flow_is_acknowledged_and_stops_carrying_metadata)
{
	uint8_t in[200];
	struct dp_out ack;
	size_t n;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "one way", 7);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert(has_cookie(&o1));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	/* hostB never answers; routerB answers for it */
	cr_assert_gt(o2.extra_len, 28, "no acknowledgement from the egress router");
	memcpy(ack.pkt, o2.extra, o2.extra_len);
	cr_assert_eq(dp_wan_in(A, ack.pkt, o2.extra_len, 1001, &o1), DP_DONE, "%s",
		     dp_drop_name(o1.drop));
	cr_assert_eq(dp_stats(A)->lan_out, 0, "the acknowledgement reached hostA");
	cr_assert_eq(dp_lan_in(A, in, n, 1002, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1), "metadata after the acknowledgement");
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1002, &o2), DP_SEND);
	cr_assert_eq(o2.extra_len, 0, "acknowledged a packet without metadata");
}

Test(dp, a_first_packet_too_large_for_its_metadata_sends_it_ahead)
{
	static uint8_t in[2000], body[1400];
	struct dp_out ahead;
	size_t n;

	memset(body, 'q', sizeof(body));
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40002, 9, body, 1400);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_gt(o1.extra_len, 0, "the metadata did not go ahead");
	cr_assert_leq(o1.extra_len, 1500);
	cr_assert_eq(o1.len, n + 40, "the 1400-byte datagram carries more than 40 bytes");
	cr_assert_not(has_cookie(&o1));
	memcpy(ahead.pkt, o1.extra, o1.extra_len);
	cr_assert(!memcmp(ahead.pkt + 28, svrmeta_cookie, 8));
	cr_assert_eq(dp_wan_in(B, ahead.pkt, o1.extra_len, 1000, &o2), DP_DONE, "%s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(dp_session_count(B), 1);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
	/* a smaller path MTU: a 1000-byte first packet goes the same way */
	dp_set_peer_mtu(A, 0, 1280);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40003, 9, body, 1000);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_gt(o1.extra_len, 0);
	cr_assert_leq(o1.len, 1280);
}

Test(hub, metadata_sent_ahead_crosses_the_hub)
{
	static uint8_t in[2000], body[1400];
	struct dp_out hop, ahead;
	size_t n;

	hub_round_trip(1000, true);
	memset(body, 'q', sizeof(body));
	n = ip4(in, "203.0.113.3", "203.0.113.130", 17, 40000, 9, body, 1400);
	cr_assert_eq(dp_lan_in(S1, in, n, 1000, &o1), DP_SEND);
	cr_assert_gt(o1.extra_len, 0);
	memcpy(ahead.pkt, o1.extra, o1.extra_len);
	cr_assert_eq(dp_wan_in(H, ahead.pkt, o1.extra_len, 1000, &hop), DP_SEND, "%s",
		     dp_drop_name(hop.drop));
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_DONE, "%s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1000, &hop), DP_SEND);
	cr_assert_leq(hop.len, 1500);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_SEND, "%s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
}

Test(dp, payload_keys_rotate_under_traffic_without_a_drop)
{
	static uint8_t late_fwd[DP_MAX_PKT], late_rev[DP_MAX_PKT], first[DP_MAX_PKT],
		late2[DP_MAX_PKT];
	uint8_t in[200], back[200];
	size_t n, nb, lf, lr, fl, l2;
	uint64_t t = 1000;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, MARKER, strlen(MARKER));
	nb = ip4(back, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "back", 4);
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	memcpy(first, o1.pkt, o1.len); /* the first packet, to replay later */
	fl = o1.len;
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, t, &o1), DP_DONE);
	/* in flight when the key changes: one packet each way under the old key */
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	memcpy(late_fwd, o1.pkt, o1.len);
	lf = o1.len;
	cr_assert_eq(dp_lan_in(B, back, nb, t, &o2), DP_SEND);
	memcpy(late_rev, o2.pkt, o2.len);
	lr = o2.len;
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	memcpy(late2, o1.pkt, o1.len); /* one that comes far too late */
	l2 = o1.len;
	dp_set_rekey_interval(A, 10000);
	t += 10000;
	dp_tick(A, t);
	cr_assert_eq(dp_stats(A)->payload_rekeys, 1);
	/* the next packets carry the new key in metadata, until acknowledged */
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert(has_cookie(&o1), "a new key without metadata");
	cr_assert_null(memmem(o1.pkt, o1.len, MARKER, strlen(MARKER)));
	cr_assert_eq(dp_wan_in(A, late_rev, lr, t, &o2), DP_SEND, "the old key's reply: %s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	cr_assert_gt(o2.extra_len, 0);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, t, &o1), DP_DONE);
	cr_assert_eq(dp_wan_in(B, late_fwd, lf, t, &o2), DP_SEND, "the old key's packet: %s",
		     dp_drop_name(o2.drop));
	/* both ends on the new key, both ways */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
		cr_assert_not(has_cookie(&o1));
		cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND);
		cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
		cr_assert_eq(dp_lan_in(B, back, nb, t, &o2), DP_SEND);
		cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, t, &o1), DP_SEND, "%s",
			     dp_drop_name(o1.drop));
	}
	for (int d = 0; d < DP_DROP_N; d++) {
		cr_assert_eq(dp_stats(A)->drops[d], 0, "routerA dropped: %s", dp_drop_name(d));
		cr_assert_eq(dp_stats(B)->drops[d], 0, "routerB dropped: %s", dp_drop_name(d));
	}
	/* an old first packet replayed cannot bring the old key back */
	cr_assert_eq(dp_wan_in(B, first, fl, t, &o2), DP_DROP);
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	/* a minute after the rotation, the old key is gone */
	t += DP_PREV_KEY_MS / 2;
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND);
	t += DP_PREV_KEY_MS / 2;
	dp_tick(A, t);
	dp_tick(B, t);
	cr_assert_eq(dp_wan_in(B, late2, l2, t, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_BAD_TAG);
}

Test(hub, a_rotated_payload_key_crosses_the_hub)
{
	uint8_t in[200];
	struct dp_out hop;
	size_t n;

	hub_round_trip(1000, true);
	hub_round_trip(1001, false);
	dp_set_rekey_interval(S1, 1000);
	dp_tick(S1, 2001);
	n = ip4(in, "203.0.113.2", "203.0.113.130", 17, 40000, 5201, MARKER, strlen(MARKER));
	cr_assert_eq(dp_lan_in(S1, in, n, 2001, &o1), DP_SEND);
	cr_assert(has_cookie(&o1));
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 2001, &hop), DP_SEND, "%s",
		     dp_drop_name(hop.drop));
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 2001, &o2), DP_SEND, "%s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
	/* spoke2's acknowledgement, under the new key, back through the hub */
	cr_assert_eq(dp_wan_in(H, o2.extra, o2.extra_len, 2001, &hop), DP_SEND, "%s",
		     dp_drop_name(hop.drop));
	cr_assert_eq(dp_wan_in(S1, hop.pkt, hop.len, 2001, &o1), DP_DONE, "%s",
		     dp_drop_name(o1.drop));
	hub_round_trip(2002, false);
}

Test(dp, an_egress_router_that_lost_the_session_gets_its_metadata_again)
{
	uint8_t in[200];
	struct dp_out rt;
	size_t n, rl;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 1000, &o1), DP_DONE);
	/* routerB restarts: a datapath with no sessions */
	dp_free(B);
	B = dph_router(&kb, "routerB");
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	local(B, "203.0.113.0/24");
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_NO_SESSION);
	cr_assert_gt(o2.extra_len, 28, "no request for the metadata");
	memcpy(rt.pkt, o2.extra, o2.extra_len);
	rl = o2.extra_len;
	/* asked once per 200 ms, not once per packet */
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1002, &o2), DP_DROP);
	cr_assert_eq(o2.extra_len, 0);
	cr_assert_eq(dp_wan_in(A, rt.pkt, rl, 1002, &o1), DP_DONE, "%s", dp_drop_name(o1.drop));
	cr_assert_eq(dp_stats(A)->retriggered, 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1003, &o1), DP_SEND);
	cr_assert(has_cookie(&o1), "no metadata after the request");
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1003, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
}

Test(hub, a_first_packet_of_the_old_key_still_crosses_after_a_rotation)
{
	static uint8_t late[DP_MAX_PKT];
	uint8_t in[200];
	struct dp_out hop;
	size_t n, ll;

	n = ip4(in, "203.0.113.2", "203.0.113.130", 17, 40000, 5201, MARKER, strlen(MARKER));
	cr_assert_eq(dp_lan_in(S1, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_SEND);
	/* not acknowledged yet: the next packet carries metadata too, and is late */
	cr_assert_eq(dp_lan_in(S1, in, n, 1001, &o1), DP_SEND);
	cr_assert(has_cookie(&o1));
	memcpy(late, o1.pkt, o1.len);
	ll = o1.len;
	dp_set_rekey_interval(S1, 1000);
	dp_tick(S1, 2001);
	cr_assert_eq(dp_lan_in(S1, in, n, 2001, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 2001, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 2001, &o2), DP_SEND, "%s",
		     dp_drop_name(o2.drop));
	/* the late one, made with the old key, after both ends moved on */
	cr_assert_eq(dp_wan_in(H, late, ll, 2002, &hop), DP_SEND, "hub: %s",
		     dp_drop_name(hop.drop));
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 2002, &o2), DP_SEND, "spoke2: %s",
		     dp_drop_name(o2.drop));
	cr_assert_eq(memcmp(o2.pkt + 20, in + 20, n - 20), 0);
}

/* ---- failing closed: what a LAN host sends to a service prefix ---------- */

/* Never passed to the kernel, never on the WAN in clear: carried by SVR
 * (the marker only inside the ciphertext) or dropped and counted. */
static void never_in_clear(struct dp *d, const uint8_t *pkt, size_t len, const char *what)
{
	enum dp_verdict v = dp_lan_in(d, pkt, len, 1000, &o1);

	cr_assert_neq(v, DP_PASS, "%s passed in clear", what);
	if (v == DP_SEND)
		cr_assert_null(memmem(o1.pkt, o1.len, MARKER, strlen(MARKER)), "%s in clear", what);
	if (o1.extra_len)
		cr_assert_null(memmem(o1.extra, o1.extra_len, MARKER, strlen(MARKER)),
			       "%s in clear", what);
}

Test(dp, a_fragmented_ping_is_never_passed_in_clear)
{
	uint8_t echo[64] = {8, 0, 0, 0, 0x12, 0x34, 0, 1}, in[200];
	size_t n;

	memcpy(echo + 8, MARKER, strlen(MARKER));
	/* the first fragment (more fragments), then the second (offset 8) */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 1, 0, 0, echo, 32);
	in[6] = 0x20;
	never_in_clear(A, in, n, "a first fragment");
	n = ip4(in, "192.0.2.2", "203.0.113.2", 1, 0, 0, echo + 8, 32);
	in[7] = 1;
	never_in_clear(A, in, n, "a last fragment");
	cr_assert_eq(dp_stats(A)->passed, 0);
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_FRAGMENT], 2, "fragments not counted");
}

Test(dp, an_ipv6_packet_with_an_extension_header_is_never_passed_in_clear)
{
	uint8_t in[200] = {0x60}, *h = in + 40;
	size_t blen = strlen(MARKER), n = 40 + 8 + 8 + blen;

	cr_assert_eq(dp_add_peer(A, 0, "routerB", "2001:db8:ff::2", "2001:db8:ff::1"), 0);
	cr_assert_eq(dp_add_service(A, "hostB-v6", "2001:db8:b::/64", 0), 0);
	in[5] = (uint8_t)(8 + 8 + blen);
	in[6] = 0; /* hop-by-hop options, then UDP */
	in[7] = 64;
	inet_pton(AF_INET6, "2001:db8:a::2", in + 8);
	inet_pton(AF_INET6, "2001:db8:b::2", in + 24);
	h[0] = 17;
	h[2] = 1; /* PadN, 4 bytes */
	h[3] = 4;
	h[8] = 0x9c;
	h[10] = 0x14;
	h[13] = (uint8_t)(8 + blen);
	memcpy(h + 16, MARKER, blen);
	never_in_clear(A, in, n, "an extension header");
	in[6] = 44; /* a fragment header */
	never_in_clear(A, in, n, "an IPv6 fragment");
	cr_assert_eq(dp_stats(A)->passed, 0);
}

Test(dp, gre_and_other_protocols_are_carried_never_in_clear)
{
	uint8_t gre[64] = {0, 0, 0x08, 0}, in[200];
	size_t n;

	memcpy(gre + 4, MARKER, strlen(MARKER));
	n = ip4(in, "192.0.2.2", "203.0.113.2", 47, 0, 0, gre, 4 + strlen(MARKER));
	never_in_clear(A, in, n, "GRE");
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	cr_assert_eq(o2.len, n);
	cr_assert_eq(memcmp(o2.pkt + 9, in + 9, 1), 0, "not GRE at hostB");
	cr_assert_eq(memcmp(o2.pkt + 12, in + 12, n - 12), 0, "not the original at hostB");
	/* ESP, SCTP, an ICMP error: none in clear */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 50, 0, 0, gre, 4 + strlen(MARKER));
	never_in_clear(A, in, n, "ESP");
	n = ip4(in, "192.0.2.2", "203.0.113.2", 132, 0, 0, gre, 4 + strlen(MARKER));
	never_in_clear(A, in, n, "SCTP");
	gre[0] = 3;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 1, 0, 0, gre, 4 + strlen(MARKER));
	never_in_clear(A, in, n, "an ICMP error");
	cr_assert_eq(dp_stats(A)->passed, 0);
}

/* ---- sessions stay with their router ------------------------------------ */

/* routerA peers with routerB (number 0) and routerC (number 1); a commit
 * renumbers them (the key engine's numbers change with it).  The live
 * session to routerB goes on with routerB or ends: never a packet of it to
 * routerC, and nothing routerC can open. */
Test(dp, a_commit_that_renumbers_peers_keeps_sessions_with_their_router)
{
	static struct dph_keys kc;
	uint8_t in[200], rb[4] = {198, 51, 100, 2}, rc[4] = {198, 51, 100, 3};
	struct dp *C;
	size_t n;

	dph_keys_init(&kc, 300, -1);
	dph_knows(&kc, 0, &ka);
	dph_knows(&ka, 1, &kc);
	C = dph_router(&kc, "routerC");
	cr_assert(C);
	cr_assert_eq(dp_add_peer(C, 0, "routerA", "198.51.100.1", "198.51.100.3"), 0);
	local(C, "203.0.113.0/24");
	cr_assert_eq(dp_add_peer(A, 1, "routerC", "198.51.100.3", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_service(A, "hostC-lan", "192.0.2.128/25", 1), 0);
	/* a session to routerB, not acknowledged yet: it carries metadata */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, MARKER, strlen(MARKER));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(memcmp(o1.pkt + 16, rb, 4), 0);
	/* the commit: routerC is 0 now, routerB 1 */
	dp_reset_config(A);
	cr_assert_eq(dp_add_peer(A, 0, "routerC", "198.51.100.3", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_peer(A, 1, "routerB", "198.51.100.2", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_service(A, "hostB-lan", "203.0.113.0/24", 1), 0);
	cr_assert_eq(dp_add_service(A, "hostC-lan", "192.0.2.128/25", 0), 0);
	cr_assert_eq(dp_add_local(A, "192.0.2.0/25"), 0);
	{
		struct crypto_seal_key k = ka.peer[0];
		uint32_t i = ka.peer_index[0];

		ka.peer[0] = ka.peer[1];
		ka.peer_index[0] = ka.peer_index[1];
		ka.peer[1] = k;
		ka.peer_index[1] = i;
	}
	for (int i = 0; i < 3; i++) {
		enum dp_verdict v = dp_lan_in(A, in, n, 1001 + i, &o1);

		if (v != DP_SEND)
			continue;
		cr_assert_neq(memcmp(o1.pkt + 16, rc, 4), 0, "the session went to routerC");
		cr_assert_eq(memcmp(o1.pkt + 16, rb, 4), 0, "the session went elsewhere");
		/* routerC, given it anyway, cannot open it */
		memcpy(o1.pkt + 16, rc, 4);
		memcpy(o1.pkt + 12, (uint8_t[]){198, 51, 100, 1}, 4);
		fix_udp_checksum(o1.pkt);
		cr_assert_neq(dp_wan_in(C, o1.pkt, o1.len, 1001 + i, &o2), DP_SEND,
			      "routerC opened routerB's session");
	}
	cr_assert_eq(dp_stats(C)->lan_out, 0);
	dp_free(C);
}

/* ---- an egress router delivers only to its own ---------------------------- */

/* routerA (or whoever holds routerB's metadata key: any peer of routerB)
 * names a destination that is none of routerB's LANs or services:
 * routerB's management network, say.  Dropped and counted, nothing
 * delivered. */
Test(dp, a_first_packet_for_a_foreign_destination_is_dropped)
{
	uint8_t in[200];
	size_t n;

	cr_assert_eq(dp_add_service(A, "elsewhere", "198.51.100.128/25", 0), 0);
	n = ip4(in, "192.0.2.2", "198.51.100.200", 17, 40000, 22, MARKER, strlen(MARKER));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_FOREIGN);
	cr_assert_eq(dp_stats(B)->drops[DP_DROP_FOREIGN], 1);
	cr_assert_eq(dp_stats(B)->lan_out, 0);
	cr_assert_eq(dp_session_count(B), 0);
	cr_assert_str_eq(dp_drop_name(DP_DROP_FOREIGN), "foreign destination");
	/* its own LAN still works */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 22, MARKER, strlen(MARKER));
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
}

/* ---- session table limits ---------------------------------------------------- */

/* One LAN host opens 100,000 flows: it gets its share of sessions and
 * no more, the rest is dropped and counted at a flat cost (no port scan,
 * no long hash chain), and another host still opens sessions. */
Test(dp, a_lan_host_flooding_new_flows_cannot_take_the_table)
{
	uint8_t in[200];
	uint64_t probes, allocs;
	size_t n;
	char dst[32];

	for (int i = 0; i < 100000; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", 1 + i % 250);
		n = ip4(in, "192.0.2.66", dst, 17, (uint16_t)(1024 + i / 250), 53, "f", 1);
		(void)dp_lan_in(A, in, n, 1000, &o1);
	}
	cr_assert_eq(dp_session_count(A), DP_DEFAULT_MAX_PER_SOURCE);
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_SOURCE_LIMIT], 100000 - DP_DEFAULT_MAX_PER_SOURCE);
	cr_assert_eq(dp_stats(A)->passed, 0);
	/* per packet: a port only for a session made, a few chain links */
	cr_assert_eq(dp_stats(A)->port_allocs, DP_DEFAULT_MAX_PER_SOURCE);
	cr_assert_lt(dp_stats(A)->probes, 3 * 100000, "hash chains grew: %llu links",
		     (unsigned long long)dp_stats(A)->probes);
	/* another host, another flow: a session */
	probes = dp_stats(A)->probes;
	allocs = dp_stats(A)->port_allocs;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "legit", 5);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND, "%s", dp_drop_name(o1.drop));
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_leq(dp_stats(A)->probes - probes, 4);
	cr_assert_eq(dp_stats(A)->port_allocs - allocs, 1);
	/* unanswered, the flood's sessions go after DP_DEFAULT_UNANSWERED_MS */
	cr_assert_eq(dp_tick(A, 1000 + DP_DEFAULT_UNANSWERED_MS), DP_DEFAULT_MAX_PER_SOURCE + 1);
}

/* With the limits raised, the flood takes every waypoint port of its
 * half towards routerB: then each further new flow fails at once (the
 * free list is empty; nothing is scanned), and the ports come back when
 * the sessions go. */
Test(dp, when_the_ports_run_out_a_new_flow_costs_no_scan)
{
	struct dp_limits l = {1000000, 1000000, 20000};
	uint8_t in[200];
	uint64_t probes;
	size_t n, made;
	char src[32];

	dp_set_limits(A, &l);
	for (int i = 0; i < 30000; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 1 + i % 250);
		n = ip4(in, src, "203.0.113.2", 17, (uint16_t)(1024 + i / 250), 53, "f", 1);
		(void)dp_lan_in(A, in, n, 1000, &o1);
	}
	made = dp_session_count(A);
	cr_assert_eq(made, (DP_PORT_MAX - DP_PORT_MIN) / 2 + 1, "%zu sessions", made);
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_NO_PORT], 30000 - made);
	probes = dp_stats(A)->probes;
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_DROP);
	cr_assert_eq(o1.drop, DP_DROP_NO_PORT);
	cr_assert_leq(dp_stats(A)->probes - probes, 4);
	cr_assert_eq(dp_tick(A, 1000 + 20000), made);
	cr_assert_eq(dp_lan_in(A, in, n, 21000, &o1), DP_SEND);
}

/* A TCP segment that is not a SYN makes no session (a SYN flood's
 * half-open sessions go after the short timeout); a SYN does. */
Test(dp, tcp_sessions_only_from_a_syn)
{
	uint8_t ack[20] = {0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff},
		syn[20] = {0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};
	uint8_t in[200];
	size_t n;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 6, 0, 0, ack, 20);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_DROP);
	cr_assert_eq(o1.drop, DP_DROP_NOT_SYN);
	cr_assert_eq(dp_session_count(A), 0);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 6, 0, 0, syn, 20);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	/* no SYN-ACK: half-open, gone after the short timeout on both */
	cr_assert_eq(dp_tick(A, 1000 + DP_DEFAULT_UNANSWERED_MS), 1);
	cr_assert_eq(dp_tick(B, 1000 + DP_DEFAULT_UNANSWERED_MS), 1);
}

Test(dp, the_global_limit_holds)
{
	struct dp_limits l = {10, 1000, 20000};
	uint8_t in[200];
	size_t n;

	dp_set_limits(A, &l);
	for (int i = 0; i < 20; i++) {
		n = ip4(in, "192.0.2.2", "203.0.113.2", 17, (uint16_t)(1024 + i), 53, "f", 1);
		(void)dp_lan_in(A, in, n, 1000, &o1);
	}
	cr_assert_eq(dp_session_count(A), 10);
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_TABLE_FULL], 10);
}

/* SipHash-2-4's reference vector (the paper's appendix A). */
#include "siphash.h"

Test(dp, siphash_reference_vector)
{
	uint8_t key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	cr_assert_eq(siphash24(key, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
}

/* ---- re-trigger requests --------------------------------------------------- */

static uint16_t wan_port(const struct dp_out *o)
{
	return (uint16_t)(o->pkt[20] << 8 | o->pkt[21]);
}

/* A bare re-trigger frame (TLV 0xF004) from src to dst on port, as
 * anyone who can send from a peer's address can make it. */
static size_t forged_retrigger(uint8_t *out, const char *src, const char *dst, uint16_t port)
{
	struct svrmeta_writer w;
	uint8_t frame[64];
	size_t n;

	svrmeta_begin(&w, frame, sizeof(frame));
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, 100);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	n = svrmeta_finish(&w);
	return ip4(out, src, dst, 17, port, port, frame, n);
}

Test(dp, a_forged_retrigger_is_dropped)
{
	uint8_t in[200], forged[200];
	size_t n, fl;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 1000, &o1), DP_DONE);
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1));
	fl = forged_retrigger(forged, "198.51.100.2", "198.51.100.1", wan_port(&o1));
	cr_assert_eq(dp_wan_in(A, forged, fl, 1002, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_BAD_METADATA);
	cr_assert_eq(dp_stats(A)->retriggered, 0);
	cr_assert_eq(dp_lan_in(A, in, n, 1003, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1), "a forged re-trigger brought the metadata back");
}

/* routerB restarts and asks for the metadata: the request authenticates
 * and works once; the same request again does nothing. */
Test(dp, a_replayed_retrigger_does_nothing)
{
	uint8_t in[200], rt[200];
	size_t n, rl;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 1000, &o1), DP_DONE);
	dp_free(B);
	B = dph_router(&kb, "routerB");
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	local(B, "203.0.113.0/24");
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_DROP);
	cr_assert_gt(o2.extra_len, 28);
	memcpy(rt, o2.extra, o2.extra_len);
	rl = o2.extra_len;
	cr_assert_eq(dp_wan_in(A, rt, rl, 1002, &o1), DP_DONE, "%s", dp_drop_name(o1.drop));
	cr_assert_eq(dp_stats(A)->retriggered, 1);
	/* acknowledged again, then the old request replayed */
	cr_assert_eq(dp_lan_in(A, in, n, 1003, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1003, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, 1003, &o1), DP_DONE);
	cr_assert_eq(dp_wan_in(A, rt, rl, 1004, &o1), DP_DROP);
	cr_assert_eq(o1.drop, DP_DROP_REPLAY);
	cr_assert_eq(dp_stats(A)->retriggered, 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1005, &o1), DP_SEND);
	cr_assert_not(has_cookie(&o1));
}

/* The hub checks a re-trigger before it relays it: a forged one from
 * spoke2's address is dropped, and spoke1 gets nothing. */
Test(hub, the_hub_does_not_relay_a_forged_retrigger)
{
	uint8_t forged[200];
	struct dp_out hop;
	size_t fl;
	uint64_t relayed;

	hub_round_trip(1000, true);
	hub_round_trip(1001, false);
	relayed = dp_stats(H)->relayed;
	/* on the port of the hub's leg to spoke2 */
	{
		struct dp_session_info si;
		uint16_t port = 0;

		for (size_t c = 0; dp_session_next(H, &c, 1001, &si);)
			if (!strcmp(si.peer, "spoke2"))
				port = si.port;
		cr_assert_neq(port, 0);
		fl = forged_retrigger(forged, "198.51.100.130", "198.51.100.129", port);
	}
	cr_assert_neq(dp_wan_in(H, forged, fl, 1002, &hop), DP_SEND, "the hub relayed it");
	cr_assert_eq(hop.drop, DP_DROP_BAD_METADATA);
	cr_assert_eq(dp_stats(H)->relayed, relayed);
}

/* spoke2 restarts: a datapath with no sessions, as hub_setup makes it */
static void spoke2_restarts(void)
{
	dp_free(S2);
	S2 = dph_router(&k2, "spoke2");
	cr_assert(S2);
	cr_assert_eq(dp_add_peer(S2, 0, "hub", "198.51.100.129", "198.51.100.130"), 0);
	cr_assert_eq(dp_add_service(S2, "host1-lan", "203.0.113.0/25", 0), 0);
	local(S2, "203.0.113.128/25");
	local(S2, "2001:db8:2::/64");
}

/* In one millisecond the hub relays spoke2's request (it restarted) to
 * spoke1, then a new flow from spoke2 takes the port at the hub, so
 * spoke1's next packet of the old flow finds no session there.  A second
 * request on that port would carry the clock of the first, and spoke1
 * would drop it as a replay: the hub asks at most every 200 ms per port,
 * its own requests and those it relays alike, and spoke1 takes the next. */
Test(hub, the_hub_asks_once_per_port_whether_it_relays_or_lost_the_session)
{
	uint8_t fwd[200], rev[200], other[200];
	struct dp_out hop;
	size_t nf, nr, no;

	/* host2 -> host1: spoke2 the ingress, spoke1 the egress */
	nf = ip4(fwd, "203.0.113.130", "203.0.113.2", 17, 5201, 40000, "x", 1);
	nr = ip4(rev, "203.0.113.2", "203.0.113.130", 17, 40000, 5201, "y", 1);
	cr_assert_eq(dp_lan_in(S2, fwd, nf, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o2.pkt, o2.len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S1, hop.pkt, hop.len, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.extra, o1.extra_len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_DONE);
	spoke2_restarts();
	/* spoke1 answers; spoke2 asks for the metadata, the hub asks spoke1 */
	cr_assert_eq(dp_lan_in(S1, rev, nr, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_wan_in(S2, hop.pkt, hop.len, 1000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_NO_SESSION);
	cr_assert_eq(dp_wan_in(H, o2.extra, o2.extra_len, 1000, &hop), DP_SEND, "%s",
		     dp_drop_name(hop.drop));
	cr_assert_eq(dp_wan_in(S1, hop.pkt, hop.len, 1000, &o1), DP_DONE, "%s",
		     dp_drop_name(o1.drop));
	/* a new flow from spoke2 takes the same port: the hub's old legs go */
	no = ip4(other, "203.0.113.131", "203.0.113.3", 17, 6000, 7000, "z", 1);
	cr_assert_eq(dp_lan_in(S2, other, no, 1000, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o2.pkt, o2.len, 1000, &hop), DP_SEND);
	cr_assert_eq(dp_lan_in(S1, rev, nr, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1000, &hop), DP_DROP);
	cr_assert_eq(hop.drop, DP_DROP_NO_SESSION);
	cr_assert_eq(hop.extra_len, 0, "the hub asked on the port again in the same millisecond");
	/* 200 ms on it asks again, and spoke1 takes the request */
	cr_assert_eq(dp_lan_in(S1, rev, nr, 1200, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(H, o1.pkt, o1.len, 1200, &hop), DP_DROP);
	cr_assert_gt(hop.extra_len, 28, "the hub did not ask again");
	cr_assert_eq(dp_wan_in(S1, hop.extra, hop.extra_len, 1200, &o1), DP_DONE, "%s",
		     dp_drop_name(o1.drop));
}

/* ---- sequence numbers across restarts ----------------------------------------- */

static uint64_t seq_of(const struct dp_out *o)
{
	uint64_t v = 0;

	for (size_t i = o->len - 32; i < o->len - 24; i++)
		v = v << 8 | o->pkt[i];
	return v;
}

/* routerB answers a session under routerA's payload key, restarts with
 * its clock set back, takes the session again from the metadata and
 * answers again: every sequence number above every one before (so none
 * repeats, and no IV), and routerA takes them all. */
Test(dp, a_router_restarted_with_its_clock_set_back_never_repeats_a_sequence_number)
{
	uint8_t in[200], back[200];
	uint64_t top = 0, t = 100000;
	size_t n, nb;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "fwd", 3);
	nb = ip4(back, "203.0.113.2", "192.0.2.2", 17, 5201, 40000, "rev", 3);
	dp_set_wallclock(A, t, 1795727568123ull);
	dp_set_wallclock(B, t, 1795727568123ull);
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, t, &o2), DP_SEND);
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, t, &o1), DP_DONE);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(dp_lan_in(B, back, nb, t, &o2), DP_SEND);
		cr_assert_gt(seq_of(&o2), top);
		top = seq_of(&o2);
		cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, t, &o1), DP_SEND);
	}
	/* the restart: the wall clock 25 s behind (within the metadata's
	 * window, so the session is taken again), epochs from the counter */
	dp_free(B);
	B = dph_router(&kb, "routerB");
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	local(B, "203.0.113.0/24");
	dp_set_wallclock(B, 5, 1795727568123ull - 25000);
	t += 10;
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 5, &o2), DP_DROP); /* asks again */
	cr_assert_eq(dp_wan_in(A, o2.extra, o2.extra_len, t, &o1), DP_DONE, "%s",
		     dp_drop_name(o1.drop));
	cr_assert_eq(dp_lan_in(A, in, n, t, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 6, &o2), DP_SEND, "%s", dp_drop_name(o2.drop));
	cr_assert_gt(o2.extra_len, 0);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(dp_lan_in(B, back, nb, 7, &o2), DP_SEND);
		cr_assert_gt(seq_of(&o2), top, "a sequence number at or below one sent before");
		top = seq_of(&o2);
		cr_assert_eq(dp_wan_in(A, o2.pkt, o2.len, t, &o1), DP_SEND, "%s",
			     dp_drop_name(o1.drop));
	}
	cr_assert_eq(dp_stats(A)->drops[DP_DROP_REPLAY], 0);
}

/* Without epochs (svrd could not reserve any), a session from a peer is
 * dropped, never numbered from a clock. */
Test(dp, without_epochs_sessions_from_peers_are_dropped)
{
	uint8_t in[200];
	size_t n;

	dp_free(B);
	B = dph_router(&kb, "routerB");
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	cr_assert_eq(dp_add_local(B, "203.0.113.0/24"), 0);
	cr_assert_eq(dp_epochs_left(B), 0);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_NO_EPOCH);
	/* a block below one given before is refused; the next one is taken */
	cr_assert_eq(dp_add_epochs(B, 50, 10), 0);
	cr_assert_eq(dp_add_epochs(B, 10, 10), -1);
	cr_assert_eq(dp_add_epochs(B, 60, 10), 0);
	cr_assert_eq(dp_epochs_left(B), 20);
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_SEND);
	cr_assert_eq(dp_epochs_left(B), 19);
}

/* get-sessions walks the table once with a cursor, page by page. */
Test(dp, sessions_page_by_page_with_a_cursor)
{
	static bool seen[65536];
	struct dp_session_info si;
	uint8_t in[200];
	size_t n, c = 0, total = 0;

	for (int i = 0; i < 50; i++) {
		n = ip4(in, "192.0.2.2", "203.0.113.2", 17, (uint16_t)(30000 + i), 53, "s", 1);
		cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	}
	for (int page = 0; page < 100; page++) {
		size_t k = 0;

		while (k < 7 && dp_session_next(A, &c, 1000, &si)) {
			cr_assert_not(seen[si.fwd.sport]);
			seen[si.fwd.sport] = true;
			k++;
		}
		total += k;
		if (k < 7)
			break;
	}
	cr_assert_eq(total, 50);
	cr_assert_not(dp_session_next(A, &c, 1000, &si));
}

/* A peer whose identity in the key engine changes under the same name
 * (another peering common name): its sessions end, their keys were
 * another router's; the same identity again keeps them. */
Test(dp, a_new_identity_under_the_same_name_ends_the_sessions)
{
	uint8_t in[200];
	size_t n;

	dp_set_peer_identity(A, 0, "routerB.lab");
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	dp_reset_config(A);
	cr_assert_eq(dp_add_peer(A, 0, "routerB", "198.51.100.2", "198.51.100.1"), 0);
	dp_set_peer_identity(A, 0, "routerB.lab");
	cr_assert_eq(dp_session_count(A), 1);
	dp_reset_config(A);
	cr_assert_eq(dp_add_peer(A, 0, "routerB", "198.51.100.2", "198.51.100.1"), 0);
	dp_set_peer_identity(A, 0, "impostor.lab");
	cr_assert_eq(dp_session_count(A), 0);
}

/* A peer that leaves the configuration takes its sessions with it. */
Test(dp, a_peer_removed_by_a_commit_ends_its_sessions)
{
	uint8_t in[200];
	size_t n;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	dp_reset_config(A);
	cr_assert_eq(dp_add_service(A, "hostB-lan", "203.0.113.0/24", 0), 0);
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_DROP, "sent to a peer that is gone");
	cr_assert_eq(o1.drop, DP_DROP_NO_KEY);
	cr_assert_eq(dp_session_count(A), 0);
}
