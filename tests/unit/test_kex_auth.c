/* The key engine against unauthenticated input: a flood of spoofed
 * datagrams within a CPU bound, and the tags of authenticated datagrams
 * (any change or replay refused). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kex.h"
#include "kexpair.h"
#include "kextest.h"
#include "peerpkt.h"
#include "pki.h"

/* An off-path attacker floods a's port with datagrams from b's address:
 * copies of b's certificate, certificates of its own for peer-b, replayed
 * SALTs, forged acknowledgements, garbage.  The peering stays as it was,
 * and the work it costs is bounded (each distinct certificate would cost
 * a validation of a few ms without the rate limit). */
Test(kex, ten_thousand_spoofed_datagrams_change_nothing_within_a_cpu_bound, .timeout = 60)
{
	struct pki_identity *fake[4];
	uint8_t salts[8][600], acks[3][16], junk[64];
	size_t salt_len[8] = {0};
	int nsalts = 0;
	const uint8_t *m;
	size_t n, blen;
	int p;
	clock_t t0;
	double cpu;
	struct kex_peer_state before, after;
	const uint8_t *bder = pki_identity_der(idb, &blen);

	for (int i = 0; i < 4; i++)
		fake[i] = identity("peer-b");
	run(1000);
	/* record b's SALTs over a rekey, for replay */
	kex_rekey(b, now);
	while (kex_output(b, &p, &m, &n)) {
		if (m[1] == 3 && nsalts < 8 && n <= sizeof(salts[0])) {
			memcpy(salts[nsalts], m, n);
			salt_len[nsalts++] = n;
		}
		kexpair_carry_tagged(b, 0, a, 0, m, n, now);
	}
	run(60000);
	cr_assert(comp(a) && comp(b));
	cr_assert_gt(nsalts, 0);
	kex_peer_state(a, 0, &before);
	for (int k = 0; k < 3; k++) { /* CERT_ACK, SALT_ACK, MKEY_ACK with a's current values */
		memset(acks[k], 0, sizeof(acks[k]));
		acks[k][0] = 1;
		acks[k][1] = (uint8_t)(2 + 2 * k);
	}
	t0 = clock();
	for (int i = 0; i < 10000; i++) {
		uint8_t msg[4096];
		size_t len;

		now++; /* 10,000 a second */
		switch (i % 5) {
		case 0:
			len = 8 + blen;
			msg[0] = 1, msg[1] = 1, msg[2] = (uint8_t)(blen >> 8),
			msg[3] = (uint8_t)blen;
			memset(msg + 4, 0, 4);
			memcpy(msg + 8, bder, blen);
			break;
		case 1: {
			size_t fl;
			const uint8_t *fd = pki_identity_der(fake[i % 4], &fl);

			len = 8 + fl;
			msg[0] = 1, msg[1] = 1, msg[2] = (uint8_t)(fl >> 8), msg[3] = (uint8_t)fl;
			memset(msg + 4, 0, 4);
			memcpy(msg + 8, fd, fl);
			msg[8 + fl - 1] ^= (uint8_t)(i >> 3); /* a different one each time */
			break;
		}
		case 2:
			len = salt_len[i % nsalts];
			memcpy(msg, salts[i % nsalts], len);
			break;
		case 3:
			len = 8;
			memcpy(msg, acks[i % 3], 8);
			msg[4] = (uint8_t)(i >> 24), msg[5] = (uint8_t)(i >> 16);
			msg[6] = (uint8_t)(i >> 8), msg[7] = (uint8_t)i;
			break;
		default:
			for (size_t k = 0; k < sizeof(junk); k++)
				junk[k] = (uint8_t)(i * 31 + k);
			len = sizeof(junk);
			memcpy(msg, junk, len);
		}
		kex_input(a, 0, msg, len, false, now);
		while (kex_output(a, &p, &m, &n))
			kexpair_carry_tagged(a, 0, b, 0, m, n,
					     now); /* a's answers reach the real b */
		while (kex_output(b, &p, &m, &n))
			kexpair_carry_tagged(b, 0, a, 0, m, n, now);
	}
	cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	kex_peer_state(a, 0, &after);
	cr_assert(comp(a) && comp(b), "the peering changed");
	cr_assert_eq(after.gen, before.gen, "a rekeyed");
	cr_assert_eq(after.peer_key_index, before.peer_key_index);
	cr_assert_str_eq(after.cert_verdict, "valid");
	cr_assert_gt(after.rate_limited, 0, "nothing was rate limited");
	cr_assert_lt(cpu, 3.0, "10,000 spoofed datagrams cost %.2f s of CPU", cpu);
	assert_payload_keys_flow();
	for (int i = 0; i < 4; i++)
		pki_identity_free(fake[i]);
}

/* The datagram codec (engine/peerpkt.h) between two keyed engines: a's
 * datagrams are tagged and b takes them; any byte changed, a truncation, a
 * replay or a tag under a key b does not hold is refused. */
static enum kex_auth judge(const uint8_t *d, size_t len, struct peerpkt_replay *rx)
{
	struct peerpkt pk;
	enum kex_auth v;

	peerpkt_find_tag(d, len, &pk);
	if (!pk.tagged)
		return KEX_AUTH_NONE;
	v = kex_auth_check(b, 0, pk.key_id, d, pk.signed_len, pk.tag, now);
	if (v == KEX_AUTH_OK && !peerpkt_fresh(rx, pk.key_id, pk.seq))
		return KEX_AUTH_BAD;
	return v;
}

Test(kex, datagrams_are_tagged_and_any_change_or_replay_is_refused)
{
	uint8_t bfd[BFD_CTRL_LEN] = {0x20, 0xc0, 3, 24}, d[PEERPKT_MAX], bad[PEERPKT_MAX];
	const uint8_t msg[] = {1, 2, 0, 0, 0, 0, 0, 0};
	struct peerpkt_replay rx = {0};
	struct peerpkt pk;
	size_t n, bare;

	bare = peerpkt_encode(d, sizeof(d), bfd, NULL, 0, a, 0, 1, now);
	cr_assert_eq(bare, BFD_CTRL_LEN, "tagged before any key");
	run(1000);
	cr_assert(comp(a) && comp(b) && kex_auth_required(b, 0));
	n = peerpkt_encode(d, sizeof(d), bfd, msg, sizeof(msg), a, 0, 7, now);
	cr_assert_eq(n, BFD_CTRL_LEN + SVRMETA_HDR + 4 + sizeof(msg) + PEERPKT_TAG_TLV);
	cr_assert_eq(peerpkt_parse(d, n, &pk), 0);
	cr_assert_eq(pk.klen, sizeof(msg));
	cr_assert(memcmp(pk.kmsg, msg, sizeof(msg)) == 0);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct peerpkt_replay fresh = {0};

			memcpy(bad, d, n);
			bad[i] ^= (uint8_t)(1 << bit);
			cr_assert_neq(judge(bad, n, &fresh), KEX_AUTH_OK, "byte %zu bit %d", i,
				      bit);
		}
	for (size_t cut = 1; cut < n; cut++) {
		struct peerpkt_replay fresh = {0};

		cr_assert_neq(judge(d, n - cut, &fresh), KEX_AUTH_OK, "cut %zu", cut);
	}
	cr_assert_eq(judge(d, n, &rx), KEX_AUTH_OK);
	cr_assert_eq(judge(d, n, &rx), KEX_AUTH_BAD, "a replay taken");
	n = peerpkt_encode(d, sizeof(d), bfd, NULL, 0, a, 0, 8, now);
	cr_assert_eq(judge(d, n, &rx), KEX_AUTH_OK, "a bare BFD packet, tagged");
	n = peerpkt_encode(d, sizeof(d), bfd, NULL, 0, a, 0, 6, now);
	cr_assert_eq(judge(d, n, &rx), KEX_AUTH_BAD, "an older sequence number taken");
	/* b's own datagram reflected back to it: the two directions have keys
	 * of their own */
	n = peerpkt_encode(d, sizeof(d), bfd, msg, sizeof(msg), b, 0, 9, now);
	cr_assert_neq(judge(d, n, &rx), KEX_AUTH_OK, "b took a datagram tagged with its own key");
}
