/* BFD sessions talking to each other with a test clock. */
#include <criterion/criterion.h>
#include <string.h>

#include "bfd.h"

static struct bfd_session a, b;
static uint64_t now;
static bool a_silent;

static void run(uint64_t ms)
{
	uint64_t end = now + ms;
	uint8_t pkt[BFD_CTRL_LEN];

	while (now <= end) {
		if (bfd_tick(&a, now, pkt) && !a_silent)
			bfd_input(&b, pkt, sizeof(pkt), now);
		if (bfd_tick(&b, now, pkt))
			bfd_input(&a, pkt, sizeof(pkt), now);
		now += 10;
	}
}

static void setup(void)
{
	now = 1000;
	a_silent = false;
	bfd_init(&a, 0x1111, 1, now);
	bfd_init(&b, 0x2222, 2, now);
}

TestSuite(bfd, .init = setup);

Test(bfd, two_sessions_come_up_with_each_others_discriminators)
{
	run(3000);
	cr_assert_eq(a.state, BFD_UP);
	cr_assert_eq(b.state, BFD_UP);
	cr_assert_eq(a.remote_disc, 0x2222);
	cr_assert_eq(b.remote_disc, 0x1111);
	cr_assert_eq(bfd_detection_ms(&a), 3000);
}

Test(bfd, silence_takes_the_path_down_within_the_detection_time)
{
	uint64_t t0;

	run(3000);
	cr_assert_eq(b.state, BFD_UP);
	a_silent = true;
	t0 = now;
	while (b.state == BFD_UP && now < t0 + 10000)
		run(10);
	cr_assert_eq(b.state, BFD_DOWN);
	cr_assert_leq(now - t0, 3000 + 20, "down after %lu ms", (unsigned long)(now - t0));
	cr_assert_geq(now - t0, 2000);
	a_silent = false;
	run(4000);
	cr_assert_eq(b.state, BFD_UP, "did not come back");
}

Test(bfd, transmissions_are_jittered_between_75_and_100_percent)
{
	uint8_t pkt[BFD_CTRL_LEN];
	uint64_t last = 0, min = UINT64_MAX, max = 0;

	run(3000);
	for (int i = 0; i < 200; i++) {
		while (!bfd_tick(&a, now, pkt))
			now++;
		if (last) {
			min = now - last < min ? now - last : min;
			max = now - last > max ? now - last : max;
		}
		last = now;
	}
	cr_assert_geq(min, 750);
	cr_assert_leq(max, 1000);
	cr_assert_lt(min + 50, max, "no jitter");
}

Test(bfd, invalid_packets_are_dropped)
{
	uint8_t pkt[BFD_CTRL_LEN];
	struct bfd_session before;

	run(3000);
	bfd_encode(&b, pkt);
	before = a;
	pkt[0] = 2 << 5; /* version 2 */
	cr_assert_not(bfd_input(&a, pkt, sizeof(pkt), now));
	bfd_encode(&b, pkt);
	pkt[2] = 0; /* multiplier 0 */
	cr_assert_not(bfd_input(&a, pkt, sizeof(pkt), now));
	bfd_encode(&b, pkt);
	pkt[11] ^= 1; /* your discriminator is not ours */
	cr_assert_not(bfd_input(&a, pkt, sizeof(pkt), now));
	bfd_encode(&b, pkt);
	cr_assert_not(bfd_input(&a, pkt, 23, now)); /* truncated */
	pkt[3] = 40;				    /* length beyond the packet */
	cr_assert_not(bfd_input(&a, pkt, sizeof(pkt), now));
	cr_assert_eq(a.state, before.state);
	cr_assert_eq(a.dropped, before.dropped + 5);
}

Test(bfd, admin_down_takes_both_ends_down_and_release_brings_them_back)
{
	uint8_t pkt[BFD_CTRL_LEN];
	uint64_t t0;

	run(3000);
	cr_assert_eq(b.state, BFD_UP);
	bfd_set_admin_down(&a, true, now);
	cr_assert_eq(a.state, BFD_ADMIN_DOWN);
	cr_assert(bfd_tick(&a, now, pkt), "the peer is not told at once");
	cr_assert_eq(pkt[0] & 0x1f, 7, "diag is not 7 (administratively down)");
	cr_assert_eq(pkt[1] >> 6, BFD_ADMIN_DOWN);
	bfd_input(&b, pkt, sizeof(pkt), now);
	cr_assert_eq(b.state, BFD_DOWN);
	/* held down: packets keep going out (once a second), nothing comes up */
	t0 = now;
	run(5000);
	cr_assert_eq(a.state, BFD_ADMIN_DOWN);
	cr_assert_eq(b.state, BFD_DOWN);
	cr_assert_gt(a.next_tx_ms, t0, "AdminDown stopped transmitting");
	bfd_set_admin_down(&a, true, now); /* idempotent */
	cr_assert_eq(a.state, BFD_ADMIN_DOWN);
	bfd_set_admin_down(&a, false, now);
	cr_assert_eq(a.state, BFD_DOWN);
	run(4000);
	cr_assert_eq(a.state, BFD_UP);
	cr_assert_eq(b.state, BFD_UP);
}

static uint64_t earliest(uint64_t x, uint64_t y)
{
	return x < y ? x : y;
}

/* One step of a clock that jumps from deadline to deadline: just before
 * the next one, ticking does nothing; at it, a session sends or its
 * detection time runs out. */
static void step_to_deadline(void)
{
	uint64_t d = earliest(bfd_next_deadline(&a), bfd_next_deadline(&b));
	struct bfd_session sa = a, sb = b;
	uint8_t pkt[BFD_CTRL_LEN];
	bool acted = false;

	cr_assert_geq(d, now, "a deadline in the past");
	if (d > now) {
		cr_assert_not(bfd_tick(&a, d - 1, pkt), "a sent before its deadline");
		cr_assert_not(bfd_tick(&b, d - 1, pkt), "b sent before its deadline");
		cr_assert(a.state == sa.state && b.state == sb.state, "a change before a deadline");
	}
	now = d;
	if (bfd_tick(&a, now, pkt)) {
		acted = true;
		if (!a_silent)
			bfd_input(&b, pkt, sizeof(pkt), now);
	}
	if (bfd_tick(&b, now, pkt)) {
		acted = true;
		bfd_input(&a, pkt, sizeof(pkt), now);
	}
	acted |= a.state != sa.state || b.state != sb.state;
	cr_assert(acted, "nothing happened at the deadline %lu", (unsigned long)d);
}

/* What the daemon's one timer stands on: driven by their deadlines alone,
 * the sessions come up, and silence takes b down exactly at its
 * detection deadline. */
Test(bfd, the_next_deadline_is_when_tick_next_acts)
{
	uint64_t detect;

	cr_assert_eq(bfd_next_deadline(&a), now, "a new session sends at once");
	for (int i = 0; i < 20; i++)
		step_to_deadline();
	cr_assert_eq(a.state, BFD_UP);
	cr_assert_eq(b.state, BFD_UP);
	cr_assert_leq(bfd_next_deadline(&b), now + 1000, "an interval over a second");
	a_silent = true;
	detect = b.detect_deadline_ms;
	cr_assert_gt(detect, now);
	while (b.state == BFD_UP)
		step_to_deadline();
	cr_assert_eq(now, detect, "down at %lu, not at its detection deadline %lu",
		     (unsigned long)now, (unsigned long)detect);
	cr_assert_eq(bfd_next_deadline(&b), b.next_tx_ms, "a detection deadline without a peer");
	a_silent = false;
	for (int i = 0; i < 20; i++)
		step_to_deadline();
	cr_assert_eq(b.state, BFD_UP, "did not come back");
}
