/* The hub relay (the "hub" suite): spoke1 - hub - spoke2, the hub
 * relaying sessions it cannot read, with the metadata, rotated keys and
 * re-trigger requests crossing it.  The packets are dptest.h's. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "dptest.h"

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
