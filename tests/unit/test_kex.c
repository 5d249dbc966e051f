/* The key engine on an in-memory network with a clock the test runs:
 * the happy path, loss of each message type, a silent peer, tampered and
 * replayed messages, a wrong name, metadata-key regeneration, and payload
 * keys wrapped and unwrapped across it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kex.h"
#include "kexpair.h"
#include "kextest.h"
#include "pki.h"

Test(kex, happy_path_reaches_mkey_exch_comp)
{
	struct kex_peer_state sa, sb;

	run(1000);
	cr_assert(comp(a) && comp(b));
	kex_peer_state(a, 0, &sa);
	kex_peer_state(b, 0, &sb);
	cr_assert_eq(sa.peer_key_index, sb.key_index);
	cr_assert_eq(sb.peer_key_index, sa.key_index);
	cr_assert_eq(sa.salt, sb.peer_salt);
	cr_assert_eq(sb.salt, sa.peer_salt);
	cr_assert_neq(sa.salt, sb.salt);
	cr_assert_str_eq(sa.cert_verdict, "valid");
	cr_assert_eq(sa.dropped, 0);
	assert_payload_keys_flow();
}

Test(kex, each_lost_message_type_is_retransmitted)
{
	for (int type = KEX_CERT; type <= KEX_MKEY_ACK; type++) {
		teardown();
		setup();
		policy = drop_first_of_type;
		drops_left[type] = 2;
		run(1000);
		cr_assert_not(comp(a) && comp(b), "type %d: complete without its messages", type);
		run(3 * 30000);
		cr_assert(comp(a) && comp(b), "type %d lost twice: not recovered", type);
		cr_assert_eq(drops_left[type], 0);
		assert_payload_keys_flow();
	}
}

Test(kex, silent_peer_goes_out_of_service_and_comes_back)
{
	struct kex_peer_state s;

	policy = b_is_silent;
	run(3600000 + 1000);
	kex_peer_state(a, 0, &s);
	cr_assert_str_eq(s.status, "OUT_OF_SERVICE");
	policy = NULL;
	run(3600000 + 1000); /* retried every timeout */
	cr_assert(comp(a) && comp(b));
	kex_peer_state(a, 0, &s);
	cr_assert_str_eq(s.status, "MKEY_EXCH_COMP");
}

/* a ticked at t: how many messages it sends (they go nowhere). */
static int sends_of_a(uint64_t t)
{
	const uint8_t *m;
	size_t len;
	int p, n = 0;

	kex_tick(a, t);
	while (kex_output(a, &p, &m, &len))
		n++;
	return n;
}

/* What the daemon's one timer stands on: the engine acts at its next
 * deadline and not before (the first attempt at once, a retransmission
 * every interval, out of service at the timeout and retried every
 * timeout), and has none while its peers are complete, until a new
 * metadata key is to be acknowledged. */
Test(kex, the_next_deadline_is_when_tick_next_acts)
{
	struct kex_peer_state s;
	uint64_t d, t0 = now;

	cr_assert_leq(kex_next_deadline(a), now, "a new peer is not due at once");
	cr_assert_eq(sends_of_a(now), 1, "the first CERT");
	for (d = kex_next_deadline(a); d < t0 + 3600000; d = kex_next_deadline(a)) {
		cr_assert_eq(d % 30000, t0 % 30000, "not the retransmit interval");
		cr_assert_eq(sends_of_a(d - 1), 0, "sent before its deadline");
		cr_assert_eq(sends_of_a(d), 1, "nothing sent at its deadline");
	}
	cr_assert_eq(d, t0 + 3600000, "the timeout is not a deadline");
	cr_assert_eq(sends_of_a(d - 1), 0);
	cr_assert_eq(sends_of_a(d), 1);
	kex_peer_state(a, 0, &s);
	cr_assert_str_eq(s.status, "OUT_OF_SERVICE");
	cr_assert_eq(kex_next_deadline(a), d + 3600000, "not retried every timeout");
	now = d;
	run(31000);
	cr_assert(comp(a) && comp(b));
	cr_assert_eq(kex_next_deadline(a), UINT64_MAX, "a deadline with nothing to do");
	cr_assert_eq(kex_next_deadline(b), UINT64_MAX);
	cr_assert_eq(kex_regenerate(a, now), 0);
	cr_assert_eq(kex_next_deadline(a), now + 30000, "a new key without a retransmission");
	deliver();
	cr_assert_eq(kex_next_deadline(a), UINT64_MAX);
}

static uint8_t recorded[64][4096];
static size_t recorded_len[64];
static int nrecorded;

static int record(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	if (from == a && nrecorded < 64 && len <= sizeof(recorded[0])) {
		memcpy(recorded[nrecorded], msg, len);
		recorded_len[nrecorded++] = len;
	}
	return 0;
}

static void tamper_with_everything(bool fail_hard)
{
	struct kex_peer_state before, after;
	uint8_t m[4096];

	kex_set_fail_hard(a, fail_hard);
	kex_set_fail_hard(b, fail_hard);
	nrecorded = 0;
	policy = record;
	run(1000);
	policy = NULL;
	cr_assert(comp(b));
	cr_assert_gt(nrecorded, 3);
	kex_peer_state(b, 0, &before);
	for (int i = 0; i < nrecorded; i++) {
		size_t len = recorded_len[i];

		/* a flipped bit in every byte (sampled bits) */
		for (size_t k = 0; k < len; k++) {
			memcpy(m, recorded[i], len);
			m[k] ^= (uint8_t)(1 << (k % 8));
			kex_input(b, 0, m, len, false, now);
		}
		/* every truncation */
		for (size_t k = 0; k < len; k++)
			kex_input(b, 0, recorded[i], k, false, now);
		/* the message again (a replay) */
		kex_input(b, 0, recorded[i], len, false, now);
	}
	deliver();
	kex_peer_state(b, 0, &after);
	cr_assert(comp(b) && comp(a));
	cr_assert_eq(after.peer_key_index, before.peer_key_index);
	cr_assert_eq(after.peer_salt, before.peer_salt);
	cr_assert_gt(after.dropped, before.dropped);
	cr_assert_str_eq(after.cert_verdict, "valid");
	assert_payload_keys_flow();
}

Test(kex, tampered_truncated_and_replayed_messages_change_nothing)
{
	tamper_with_everything(false);
}

Test(kex, tampered_messages_change_nothing_under_fail_hard)
{
	tamper_with_everything(true);
}

Test(kex, wrong_name_is_never_acknowledged_under_fail_hard)
{
	struct kex_peer_state s;
	struct pki_identity *evil = identity("not-peer-b");

	kex_free(b);
	b = engine("peer-b", evil, "peer-a");
	kex_set_fail_hard(a, true);
	run(100000);
	kex_peer_state(a, 0, &s);
	cr_assert_not(s.cert_rec);
	cr_assert_str_eq(s.cert_verdict, "wrong name");
	cr_assert(strstr(s.cert_detail, "peer-b") != NULL, "%s", s.cert_detail);
	kex_peer_state(b, 0, &s);
	cr_assert_not(s.cert_ack);
	kex_free(b);
	b = engine("peer-b", idb, "peer-a");
	pki_identity_free(evil);
}

Test(kex, regenerate_moves_the_index_and_keeps_the_old_one_for_a_while)
{
	struct kex_peer_state s;
	uint8_t key[16] = {7}, wrapped[200], back[64];
	ssize_t n;

	run(1000);
	cr_assert(comp(a) && comp(b));
	kex_peer_state(b, 0, &s);
	cr_assert_eq(s.keys_held, 1, "b holds only its first key");
	cr_assert_eq(s.peer_keys_held, 1, "b holds a's key");
	/* a key wrapped for b with b's index 1 ... */
	n = keyring_wrap(ring(a), 0, key, sizeof(key), wrapped, sizeof(wrapped));
	kex_regenerate(b, now);
	cr_assert_eq(kex_local_index(b), 2);
	kex_peer_state(b, 0, &s);
	cr_assert_eq(s.keys_held, 2, "b's previous key opens what was sealed before");
	run(30000);
	kex_peer_state(a, 0, &s);
	cr_assert_eq(s.peer_key_index, 2, "a did not learn b's new index");
	cr_assert_eq(s.peer_keys_held, 1);
	cr_assert(comp(a) && comp(b));
	/* ... still opens at b after the switch-over */
	cr_assert_eq(keyring_unwrap(ring(b), wrapped, (size_t)n, back, sizeof(back)),
		     (ssize_t)sizeof(key));
	assert_payload_keys_flow();
}

/* A metadata key that is retired (two regenerations later) leaves the
 * seal-context cache, at its owner and at its peer. */
Test(kex, a_retired_metadata_key_leaves_the_seal_cache)
{
	struct crypto_seal_key old;
	uint8_t key[16] = {7}, wrapped[200], back[64];
	ssize_t n;

	run(1000);
	cr_assert(comp(a) && comp(b));
	cr_assert_not_null(keyring_own(ring(b), kex_local_index(b)));
	old = *keyring_own(ring(b), kex_local_index(b));
	n = keyring_wrap(ring(a), 0, key, sizeof(key), wrapped, sizeof(wrapped));
	cr_assert_eq(keyring_unwrap(ring(b), wrapped, (size_t)n, back, sizeof(back)),
		     (ssize_t)sizeof(key));
	cr_assert(crypto_seal_cached(&old));
	kex_regenerate(b, now);
	run(30000);
	kex_regenerate(b, now);
	run(30000);
	cr_assert(comp(a) && comp(b));
	cr_assert_not(crypto_seal_cached(&old), "a retired metadata key is still cached");
	crypto_wipe(&old, sizeof(old));
	assert_payload_keys_flow();
}

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

/* The vector of doc/protocol.md: RFC 7748's X25519 keys, fixed salts and
 * names; the expected bytes were computed by an independent HKDF. */
Test(kex, peer_key_test_vector)
{
	uint8_t alice[32], bob[32], alice_pub[32], bob_pub[32], want_enc[32], want_mac[48];
	uint8_t salt_a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t salt_b[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
	struct crypto_kex_key *ka, *kb;
	struct crypto_seal_key pa, pb;
	size_t n;

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", alice);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", bob);
	unhex("1113b981cfe073f77336372bd517982ce8681ab8c1bb8c795ea2ab914aa90fae", want_enc);
	unhex("69c2d2b577f1bf62374b16ed133264ba9017b20fbb320b371c00cf89450eabd2fbf94fa6d51b7526157"
	      "1d05a99c480f6",
	      want_mac);
	ka = crypto_kex_x25519_from_private(alice);
	kb = crypto_kex_x25519_from_private(bob);
	cr_assert(ka && kb);
	cr_assert_eq(crypto_kex_public(ka, alice_pub, sizeof(alice_pub), &n), 0);
	cr_assert_eq(crypto_kex_public(kb, bob_pub, sizeof(bob_pub), &n), 0);
	cr_assert_eq(
		kex_peer_key(ka, bob_pub, 32, salt_a, salt_b, "routerA.lab", "routerB.lab", &pa),
		0);
	cr_assert_eq(
		kex_peer_key(kb, alice_pub, 32, salt_b, salt_a, "routerB.lab", "routerA.lab", &pb),
		0);
	cr_assert(memcmp(&pa, &pb, sizeof(pa)) == 0, "the two sides derive different keys");
	cr_assert(memcmp(pa.enc, want_enc, 32) == 0, "AES key differs from the vector");
	cr_assert(memcmp(pa.mac, want_mac, 48) == 0, "HMAC key differs from the vector");
	crypto_kex_free(ka);
	crypto_kex_free(kb);
}

static uint32_t gen_of(const struct kex_engine *e)
{
	struct kex_peer_state s;

	kex_peer_state(e, 0, &s);
	return s.gen;
}

Test(kex, rekey_makes_new_salts_on_both_sides)
{
	struct kex_peer_state before, after;

	run(1000);
	kex_peer_state(a, 0, &before);
	kex_rekey(a, now);
	run(1000);
	cr_assert(comp(a) && comp(b));
	kex_peer_state(a, 0, &after);
	cr_assert_eq(gen_of(a), 2);
	cr_assert_eq(gen_of(b), 2, "b did not answer the rekey with a fresh value");
	cr_assert_neq(after.salt, before.salt);
	cr_assert_neq(after.peer_salt, before.peer_salt);
	assert_payload_keys_flow();
	/* the new peer key carries a new metadata key */
	kex_regenerate(a, now);
	run(1000);
	kex_peer_state(b, 0, &after);
	cr_assert_eq(after.peer_key_index, 2);
}

Test(kex, simultaneous_rekey_from_both_sides)
{
	run(1000);
	kex_rekey(a, now);
	kex_rekey(b, now);
	run(1000);
	cr_assert(comp(a) && comp(b));
	cr_assert_eq(gen_of(a), 2);
	cr_assert_eq(gen_of(b), 2, "both sides rekeyed once, not twice");
	kex_regenerate(b, now);
	run(1000);
	assert_payload_keys_flow();
	{
		struct kex_peer_state s;

		kex_peer_state(a, 0, &s);
		cr_assert_eq(s.peer_key_index, 2);
	}
}

Test(kex, regenerate_during_a_rekey_with_losses)
{
	run(1000);
	policy = drop_first_of_type;
	drops_left[KEX_SALT] = 1;
	drops_left[KEX_MKEY] = 1;
	kex_rekey(a, now);
	kex_regenerate(b, now);
	run(2 * 30000 + 1000);
	cr_assert(comp(a) && comp(b));
	{
		struct kex_peer_state s;

		kex_peer_state(a, 0, &s);
		cr_assert_eq(s.peer_key_index, 2);
	}
	assert_payload_keys_flow();
}

/* 30 days with a rekey every hour (alternating sides), a new metadata key
 * every 6 hours, and payload keys wrapped and unwrapped every 10 minutes in
 * both directions: not one may fail. */
Test(kex, thirty_days_of_hourly_rekeys_without_a_gap, .timeout = 120)
{
	uint8_t key[32], w[256], back[64];
	int failures = 0;

	run(1000);
	for (int hour = 0; hour < 30 * 24; hour++) {
		kex_rekey(hour % 2 ? b : a, now);
		if (hour % 6 == 5)
			kex_regenerate(hour % 12 == 5 ? a : b, now);
		for (int tenth = 0; tenth < 6; tenth++) {
			for (int way = 0; way < 2; way++) {
				struct kex_engine *from = way ? b : a, *to = way ? a : b;
				ssize_t n;

				key[0] = (uint8_t)hour;
				key[1] = (uint8_t)tenth;
				n = keyring_wrap(ring(from), 0, key, sizeof(key), w, sizeof(w));
				if (n < 0 ||
				    keyring_unwrap(ring(to), w, (size_t)n, back, sizeof(back)) !=
					    (ssize_t)sizeof(key) ||
				    memcmp(back, key, sizeof(key)) != 0)
					failures++;
			}
			run(600000);
		}
	}
	cr_assert_eq(failures, 0, "%d payload keys failed", failures);
	cr_assert(comp(a) && comp(b));
	cr_assert_eq(gen_of(a) + gen_of(b), 2 + 2 * 30 * 24, "a rekey was lost or doubled");
}

Test(kex, changing_the_algorithm_restarts_at_the_salt_stage)
{
	struct kex_peer_state s;

	run(1000);
	kex_set_alg(a, CRYPTO_KEX_FFDHE2048, now);
	run(1000);
	kex_peer_state(a, 0, &s);
	cr_assert(s.cert_rec && s.cert_ack, "the certificates were exchanged again");
	cr_assert_not(comp(a), "complete with only one side on the new algorithm");
	/* metadata keys agreed before keep working meanwhile */
	assert_payload_keys_flow();
	kex_set_alg(b, CRYPTO_KEX_FFDHE2048, now);
	run(31000);
	cr_assert(comp(a) && comp(b));
	kex_regenerate(a, now);
	run(1000);
	kex_peer_state(b, 0, &s);
	cr_assert_eq(s.peer_key_index, 2, "the new peer key does not carry metadata keys");
	assert_payload_keys_flow();
}

Test(kex, reordered_messages_still_complete)
{
	/* hold a's messages back and deliver them newest first */
	nrecorded = 0;
	policy = record;
	kex_tick(a, now);
	kex_tick(b, now);
	{
		int p;
		const uint8_t *m;
		size_t len;

		while (kex_output(a, &p, &m, &len))
			record(a, m, len);
		while (kex_output(b, &p, &m, &len))
			kex_input(a, 0, m, len, false, now);
	}
	policy = NULL;
	for (int i = nrecorded - 1; i >= 0; i--)
		kex_input(b, 0, recorded[i], recorded_len[i], false, now);
	run(3 * 30000);
	cr_assert(comp(a) && comp(b));
	assert_payload_keys_flow();
}

static int b_salt_lost(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	(void)len;
	return from == b && msg[1] == KEX_SALT;
}

/* b restarts in the middle of the exchange: it had acknowledged a's SALT,
 * but its own was lost, so a holds no peer key yet.  The new b never saw
 * a's SALT: a must send it again instead of taking the old b's
 * acknowledgement for the new one's, or each side waits for the other. */
Test(kex, a_peer_restarted_between_the_salts_gets_ours_again)
{
	struct kex_peer_state s;

	policy = b_salt_lost;
	run(1000);
	kex_peer_state(a, 0, &s);
	cr_assert(s.salt_ack && !s.salt_rec, "not between the salts");
	policy = NULL;
	restart_b(idb, 1000);
	run(3 * 30000);
	cr_assert(comp(a) && comp(b), "a and b each wait for the other's SALT");
	assert_payload_keys_flow();
}

Test(kex, a_restarted_peer_is_taken_back_in_one_round)
{
	struct kex_config c = mkcfg("peer-b", idb, NULL, 1000, false, false);
	struct kex_peer_state s;

	run(1000);
	cr_assert(comp(a) && comp(b));
	/* b restarts: a new engine, newer generations and index (its clock moved on) */
	kex_free(b);
	b = kex_new(&c, now);
	kex_add_peer(b, "peer-a");
	run(2000); /* well inside one retransmit interval */
	cr_assert(comp(a) && comp(b), "not complete again without waiting for retransmissions");
	kex_peer_state(a, 0, &s);
	cr_assert_eq(s.peer_key_index, 1000);
	assert_payload_keys_flow();
}

/* Generations and indexes from a counter that survives restarts (svrd's
 * lib/pcounter): b restarted with its clock set back a day peers again at
 * once, and a takes its new metadata key (with the clock-based numbers of
 * before, a took b's new SALTs for replays). */
static uint32_t persisted[2];

static int counter(void *arg, enum kex_number kind, uint32_t *out)
{
	(void)arg;
	*out = ++persisted[kind];
	return 0;
}

static struct pki_identity *older_identity(const char *pcn)
{
	return kexpair_identity(pcn, (int64_t)(T0 / 1000) - 2 * 86400, 365);
}

Test(kex, a_peer_restarted_with_its_clock_set_back_peers_again_at_once)
{
	/* certificates made two days ago: valid by either clock */
	struct pki_identity *oa = older_identity("peer-a"), *ob = older_identity("peer-b");
	struct kex_config cb = {.pcn = "peer-b",
				.id = ob,
				.alg = CRYPTO_KEX_X25519,
				.retransmit_ms = 30000,
				.timeout_ms = 3600000,
				.next_number = counter};
	struct kex_peer_state s1, s2;
	int64_t wall = (int64_t)(T0 / 1000);

	persisted[0] = persisted[1] = 0;
	kex_free(a);
	kex_free(b);
	a = engine("peer-a", oa, "peer-b");
	b = kex_new(&cb, now);
	kex_add_peer(b, "peer-a");
	kex_set_wallclock(a, wall);
	kex_set_wallclock(b, wall);
	run(1000);
	cr_assert(comp(a) && comp(b));
	for (int i = 0; i < 5; i++) { /* a few rekeys move the numbers on */
		kex_rekey(b, now);
		kex_regenerate(b, now);
		run(31000);
	}
	kex_peer_state(a, 0, &s1);
	kex_free(b);
	b = kex_new(&cb, now); /* same counters, clock a day back */
	kex_add_peer(b, "peer-a");
	kex_set_wallclock(b, wall - 86400 + 3600);
	run(2000);
	cr_assert(comp(a) && comp(b), "not peered again at once");
	kex_peer_state(a, 0, &s2);
	cr_assert_gt(s2.peer_key_index, s1.peer_key_index, "a kept b's old metadata key");
	assert_payload_keys_flow();
	kex_free(a);
	kex_free(b);
	a = b = NULL;
	pki_identity_free(oa);
	pki_identity_free(ob);
}

Test(kex, no_counter_no_new_key)
{
	struct kex_config c = {.pcn = "peer-b",
			       .id = idb,
			       .alg = CRYPTO_KEX_X25519,
			       .retransmit_ms = 30000,
			       .timeout_ms = 3600000,
			       .next_number = counter};

	persisted[1] = UINT32_MAX; /* the index counter is exhausted */
	cr_assert_null(kex_new(&c, now), "a metadata key without a fresh index");
	persisted[1] = 0;
}

/* b restarts twice within a second: the second incarnation gets a's
 * certificate at once too (a hard "one answer a second" left it waiting
 * for its retransmission, 30 s). */
Test(kex, a_peer_that_restarts_twice_in_a_second_is_answered_both_times)
{
	run(1000);
	cr_assert(comp(a) && comp(b));
	for (int i = 0; i < 2; i++) {
		restart_b(idb, 100 + 100 * (uint32_t)i);
		run(i == 0 ? 300 : 2000);
	}
	cr_assert(comp(a) && comp(b), "the second incarnation was not answered");
	assert_payload_keys_flow();
}
