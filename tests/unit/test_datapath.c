/* The datapath between two routers, on real packets in byte buffers:
 * routerA and routerB each run a datapath; the test carries what one
 * sends to the other (the WAN) and what comes out to the LANs.  The keys
 * are real (metadata keys sealed and opened with the real crypto); only
 * where they come from is the test's (tests/dpharness.h; svrd takes them
 * from the key engine).  This file: the packet path, and what fails
 * closed; the rest of the "dp" suite is in test_dp_sessions.c and
 * test_dp_meta.c, the hub relay in test_dp_hub.c, their shared part in
 * dptest.h. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "dptest.h"

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
	dph_push(&ka);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "x", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_DROP);
	cr_assert_eq(o1.drop, DP_DROP_NO_KEY);
	ka.have_peer[0] = true;
	dph_push(&ka);
	/* a first packet that arrives a minute late */
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1000 + 60000, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_STALE);
	/* sealed for a metadata key routerB does not hold */
	kb.own_index = 201;
	dph_push(&kb);
	cr_assert_eq(dp_lan_in(A, in, n, 1001, &o1), DP_SEND);
	cr_assert_eq(dp_wan_in(B, o1.pkt, o1.len, 1001, &o2), DP_DROP);
	cr_assert_eq(o2.drop, DP_DROP_UNKNOWN_INDEX);
	kb.own_index = 200;
	dph_push(&kb);
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
