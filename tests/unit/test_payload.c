/* Session packet protection (engine/crypto_pkt.c) and the replay window
 * (forwarders/replay.c): the test vector of doc/protocol.md, round trips,
 * tampering with every byte, and the window's edges. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "replay.h"

static struct crypto_seal_key vector_key(void)
{
	struct crypto_seal_key k;

	for (int i = 0; i < 32; i++)
		k.enc[i] = (uint8_t)i;
	for (int i = 0; i < 48; i++)
		k.mac[i] = (uint8_t)(0x40 + i);
	return k;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* doc/protocol.md, "Session packets": computed independently with the
 * openssl command (tests/unit/payload-vector.sh does it again). */
#define VECTOR_PT "opensvr payload test vector"
#define VECTOR_PKT                                                                                 \
	"2df2d0451cda3f83d47eabcf36539c7247a6999d910597bad528af9f951be83a"                         \
	"0000000000000001"                                                                         \
	"c05ea1e3c249c8132e4763c489d4cc3482d49a8e5ffd9a43"

Test(pkt, test_vector)
{
	struct crypto_seal_key sk = vector_key();
	struct crypto_pkt_key *k = crypto_pkt_key_new(&sk);
	uint8_t out[128], pt[128];
	char h[300];
	ssize_t n;

	cr_assert_not_null(k);
	n = crypto_pkt_seal(k, 0, 1, NULL, 0, (const uint8_t *)VECTOR_PT, strlen(VECTOR_PT), out,
			    sizeof(out));
	cr_assert_eq(n, 32 + 8 + 24);
	cr_assert_eq((size_t)n, crypto_pkt_len(strlen(VECTOR_PT)));
	hex(out, (size_t)n, h);
	cr_assert_str_eq(h, VECTOR_PKT);
	n = crypto_pkt_open(k, 0, NULL, 0, out, 64, pt, sizeof(pt));
	cr_assert_eq(n, (ssize_t)strlen(VECTOR_PT));
	cr_assert_eq(memcmp(pt, VECTOR_PT, (size_t)n), 0);
	crypto_pkt_key_free(k);
}

Test(pkt, round_trips_at_every_length_and_overhead)
{
	struct crypto_seal_key sk = vector_key();
	struct crypto_pkt_key *k = crypto_pkt_key_new(&sk);
	static uint8_t pt[1600], out[1700], back[1700];
	uint64_t seq;

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (size_t len = 0; len <= 1500; len++) {
		ssize_t n = crypto_pkt_seal(k, (uint8_t)(len & 1), len + 1, (const uint8_t *)"aad",
					    3, pt, len, out, sizeof(out));

		cr_assert_eq((size_t)n, crypto_pkt_len(len));
		cr_assert(crypto_pkt_seq(out, (size_t)n, &seq));
		cr_assert_eq(seq, len + 1);
		cr_assert_eq(crypto_pkt_open(k, (uint8_t)(len & 1), (const uint8_t *)"aad", 3, out,
					     (size_t)n, back, sizeof(back)),
			     (ssize_t)len, "length %zu", len);
		cr_assert_eq(memcmp(back, pt, len), 0);
	}
	/* the overhead the issue bounds: 40 bytes on a 1000-byte datagram */
	cr_assert_eq(crypto_pkt_len(1000) - 1000, 40);
	cr_assert_leq(crypto_pkt_len(1400) - 1400, 48);
	crypto_pkt_key_free(k);
}

Test(pkt, every_tampered_byte_and_the_wrong_direction_or_aad_fail)
{
	struct crypto_seal_key sk = vector_key(), other = vector_key();
	struct crypto_pkt_key *k = crypto_pkt_key_new(&sk), *k2;
	uint8_t pt[100], out[200], bad[200], back[200];
	ssize_t n;

	memset(pt, 'x', sizeof(pt));
	n = crypto_pkt_seal(k, 0, 42, NULL, 0, pt, sizeof(pt), out, sizeof(out));
	for (ssize_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, out, (size_t)n);
			bad[i] ^= (uint8_t)(1 << bit);
			cr_assert_eq(
				crypto_pkt_open(k, 0, NULL, 0, bad, (size_t)n, back, sizeof(back)),
				-1, "byte %zd bit %d", i, bit);
		}
	for (ssize_t len = 0; len < n; len++)
		cr_assert_eq(crypto_pkt_open(k, 0, NULL, 0, out, (size_t)len, back, sizeof(back)),
			     -1, "truncated to %zd", len);
	cr_assert_eq(crypto_pkt_open(k, 1, NULL, 0, out, (size_t)n, back, sizeof(back)), -1,
		     "a forward packet reflected as a reverse one");
	cr_assert_eq(
		crypto_pkt_open(k, 0, (const uint8_t *)"x", 1, out, (size_t)n, back, sizeof(back)),
		-1, "other associated data");
	other.mac[0] ^= 1;
	k2 = crypto_pkt_key_new(&other);
	cr_assert_eq(crypto_pkt_open(k2, 0, NULL, 0, out, (size_t)n, back, sizeof(back)), -1);
	cr_assert_eq(crypto_pkt_open(k, 0, NULL, 0, out, (size_t)n, back, 10), -1, "short buffer");
	cr_assert_eq(crypto_pkt_open(k, 0, NULL, 0, out, (size_t)n, back, sizeof(back)), 100);
	crypto_pkt_key_free(k);
	crypto_pkt_key_free(k2);
	crypto_pkt_key_free(NULL);
}

Test(pkt, the_two_directions_never_share_an_iv)
{
	struct crypto_seal_key sk = vector_key();
	struct crypto_pkt_key *k = crypto_pkt_key_new(&sk);
	uint8_t pt[16] = {0}, a[64], b[64];

	/* same key, same sequence number, same plaintext: different blocks */
	crypto_pkt_seal(k, 0, 7, NULL, 0, pt, sizeof(pt), a, sizeof(a));
	crypto_pkt_seal(k, 1, 7, NULL, 0, pt, sizeof(pt), b, sizeof(b));
	cr_assert_neq(memcmp(a, b, 16), 0);
	crypto_pkt_seal(k, 0, 8, NULL, 0, pt, sizeof(pt), b, sizeof(b));
	cr_assert_neq(memcmp(a, b, 16), 0);
	crypto_pkt_key_free(k);
}

/* ---- the replay window ---------------------------------------------- */

static struct replay r;

Test(replay, in_order_duplicate_and_zero)
{
	replay_init(&r);
	cr_assert_eq(replay_update(&r, 0), REPLAY_ZERO);
	for (uint64_t s = 1; s <= 100000; s++)
		cr_assert_eq(replay_update(&r, s), REPLAY_OK, "%lu", (unsigned long)s);
	cr_assert_eq(replay_update(&r, 100000), REPLAY_DUPLICATE);
	cr_assert_eq(replay_update(&r, 99999), REPLAY_DUPLICATE);
	cr_assert_eq(replay_check(&r, 100001), REPLAY_OK);
	cr_assert_eq(r.top, 100000, "check moved the window");
}

Test(replay, reordered_within_the_window_and_too_old_at_its_edge)
{
	replay_init(&r);
	cr_assert_eq(replay_update(&r, 20000), REPLAY_OK);
	/* the oldest number the window holds, and the one below it */
	cr_assert_eq(replay_update(&r, 20000 - REPLAY_WINDOW + 1), REPLAY_OK);
	cr_assert_eq(replay_update(&r, 20000 - REPLAY_WINDOW + 1), REPLAY_DUPLICATE);
	cr_assert_eq(replay_update(&r, 20000 - REPLAY_WINDOW), REPLAY_TOO_OLD);
	cr_assert_geq(REPLAY_WINDOW, 8192);
	/* every number below the top, in reverse: each once */
	for (uint64_t s = 19999; s > 20000 - REPLAY_WINDOW + 1; s--)
		cr_assert_eq(replay_update(&r, s), REPLAY_OK, "%lu", (unsigned long)s);
	for (uint64_t s = 20000 - REPLAY_WINDOW + 1; s <= 20000; s++)
		cr_assert_eq(replay_check(&r, s), REPLAY_DUPLICATE, "%lu", (unsigned long)s);
}

Test(replay, jumps_clear_exactly_what_the_window_leaves)
{
	replay_init(&r);
	for (uint64_t s = 1; s <= 64 * 10; s++)
		replay_update(&r, s);
	/* a jump of less than the window: old numbers still known */
	cr_assert_eq(replay_update(&r, 5000), REPLAY_OK);
	cr_assert_eq(replay_check(&r, 640), REPLAY_DUPLICATE);
	cr_assert_eq(replay_check(&r, 641), REPLAY_OK);
	cr_assert_eq(replay_check(&r, 4999), REPLAY_OK);
	/* the ring wraps many times over: words reused are clean */
	for (uint64_t s = 5001; s <= 5000 + 10 * 64 * REPLAY_WORDS; s += 3)
		cr_assert_eq(replay_update(&r, s), REPLAY_OK, "%lu", (unsigned long)s);
	for (uint64_t s = r.top - REPLAY_WINDOW + 1; s <= r.top; s++)
		cr_assert_eq(replay_check(&r, s),
			     (r.top - s) % 3 == 0 ? REPLAY_DUPLICATE : REPLAY_OK, "%lu",
			     (unsigned long)s);
	/* a jump beyond the whole window forgets everything below */
	cr_assert_eq(replay_update(&r, r.top + 10 * REPLAY_WINDOW), REPLAY_OK);
	cr_assert_eq(replay_check(&r, r.top - 1), REPLAY_OK);
	cr_assert_eq(replay_check(&r, r.top - REPLAY_WINDOW), REPLAY_TOO_OLD);
	/* the largest numbers */
	replay_init(&r);
	cr_assert_eq(replay_update(&r, UINT64_MAX), REPLAY_OK);
	cr_assert_eq(replay_update(&r, UINT64_MAX), REPLAY_DUPLICATE);
	cr_assert_eq(replay_update(&r, UINT64_MAX - 1), REPLAY_OK);
	cr_assert_str_eq(replay_verdict_name(REPLAY_TOO_OLD), "too old");
}
