/* The datapath's metadata and re-trigger requests (the "dp" suite,
 * dptest.h): acknowledgements, metadata sent ahead of a large first
 * packet, payload keys rotating, and an egress router asking for the
 * metadata again, forged and replayed requests included. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "dptest.h"

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

/* ---- re-trigger requests --------------------------------------------------- */

static uint16_t wan_port(const struct dp_out *o)
{
	return (uint16_t)(o->pkt[20] << 8 | o->pkt[21]);
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
