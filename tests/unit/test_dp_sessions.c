/* The datapath's sessions and their limits (the "dp" suite, dptest.h):
 * opened from both ends, kept with their router across a commit, the
 * session table's limits and hash, sequence numbers across restarts,
 * epochs, paging, and a peer's identity or configuration ending them. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "dptest.h"
#include "siphash.h"

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
		dph_push(&ka);
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

Test(dp, siphash_reference_vector)
{
	uint8_t key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	cr_assert_eq(siphash24(key, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
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

/* An operator ends one session by its UUID ("clear session"): it goes,
 * counted as expired, the others stay, and its flow's next packet opens a
 * new session under a new UUID.  An unknown UUID ends nothing. */
Test(dp, a_session_ended_by_its_uuid_goes_alone)
{
	struct dp_session_info si, other;
	uint8_t in[200], gone[16], none[16] = {0};
	size_t n, c = 0;

	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40000, 5201, "a", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, 40001, 5201, "b", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 1000, &o1), DP_SEND);
	cr_assert(dp_session_next(A, &c, 1000, &si));
	cr_assert(dp_session_next(A, &c, 1000, &other));
	memcpy(gone, si.uuid, 16);
	cr_assert_not(dp_session_end(A, none), "a UUID no session has ended one");
	cr_assert_eq(dp_session_count(A), 2);
	cr_assert(dp_session_end(A, gone));
	cr_assert_eq(dp_session_count(A), 1);
	cr_assert_eq(dp_stats(A)->sessions_expired, 1);
	c = 0;
	cr_assert(dp_session_next(A, &c, 1000, &si));
	cr_assert_eq(memcmp(si.uuid, other.uuid, 16), 0, "the other session went too");
	cr_assert_not(dp_session_end(A, gone), "the same session ended twice");
	/* the ended flow's next packet: a new session, a new UUID */
	n = ip4(in, "192.0.2.2", "203.0.113.2", 17, si.fwd.sport == 40000 ? 40001 : 40000, 5201,
		"c", 1);
	cr_assert_eq(dp_lan_in(A, in, n, 2000, &o1), DP_SEND);
	cr_assert_eq(dp_session_count(A), 2);
	for (c = 0; dp_session_next(A, &c, 2000, &si);)
		cr_assert_neq(memcmp(si.uuid, gone, 16), 0, "a UUID came back");
}
