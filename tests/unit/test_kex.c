/* The key engine on an in-memory network with a clock the test runs:
 * the happy path, loss of each message type, a silent peer, tampered and
 * replayed messages, a wrong name, metadata-key regeneration, and payload
 * keys wrapped and unwrapped across it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kex.h"
#include "kexpair.h"
#include "pki.h"

static char dir[64];
static struct pki_identity *ida, *idb;
static struct kex_engine *a, *b;
static uint64_t now;

#define T0 ((uint64_t)time(NULL) * 1000)

/* How the network treats the next message: 0 deliver, 1 drop. */
static int (*policy)(const struct kex_engine *from, const uint8_t *msg, size_t len);
static int drops_left[8];

static int drop_first_of_type(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	(void)from;
	(void)len;
	if (drops_left[msg[1]] > 0) {
		drops_left[msg[1]]--;
		return 1;
	}
	return 0;
}

static int b_is_silent(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	return from == b;
}

static struct pki_identity *identity(const char *pcn)
{
	return kexpair_identity(pcn, (int64_t)(T0 / 1000), 365);
}

static struct kex_config mkcfg(const char *pcn, const struct pki_identity *id,
			       const struct pki_trust *trust, uint32_t base, bool hard, bool warn)
{
	struct kex_config c = kexpair_config(pcn, id);

	c.trust = trust;
	c.base = base;
	c.fail_hard = hard;
	c.untrusted_ok = warn;
	return c;
}

/* b starts again (svrd restarted or reloaded) with identity id, counting
 * its generations and indexes from base. */
static void restart_b(const struct pki_identity *id, uint32_t base)
{
	struct kex_config c = mkcfg("peer-b", id, NULL, base, false, false);

	kex_free(b);
	b = kex_new(&c, now);
	cr_assert_not_null(b);
	kex_add_peer(b, "peer-a");
}

static struct kex_engine *engine(const char *pcn, const struct pki_identity *id, const char *peer)
{
	struct kex_config c = kexpair_config(pcn, id);

	return kexpair_engine(&c, peer, now);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/svrkex.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	now = T0;
	policy = NULL;
	memset(drops_left, 0, sizeof(drops_left));
	ida = identity("peer-a");
	idb = identity("peer-b");
	a = engine("peer-a", ida, "peer-b");
	b = engine("peer-b", idb, "peer-a");
}

static void teardown(void)
{
	char cmd[128];

	kex_free(a);
	kex_free(b);
	pki_identity_free(ida);
	pki_identity_free(idb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(kex, .init = setup, .fini = teardown);

/* One message to the other engine as a datagram would carry it (tagged),
 * unless the network's policy drops it. */
static void carry(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t n)
{
	(void)arg;
	(void)p;
	if (!policy || !policy(from, m, n))
		kexpair_carry_tagged(from, 0, from == a ? b : a, 0, m, n, now);
}

/* Move every queued message across (both ways) until nothing is left. */
static void deliver(void)
{
	bool moved = true;

	while (moved) {
		moved = kexpair_drain(a, carry, NULL);
		moved |= kexpair_drain(b, carry, NULL);
	}
}

/* Run the clock for ms, ticking both engines at their deadlines. */
static void run(uint64_t ms)
{
	uint64_t end = now + ms;

	for (;;) {
		uint64_t next = kex_next_deadline(a);

		if (kex_next_deadline(b) < next)
			next = kex_next_deadline(b);
		if (next < now)
			next = now;
		kex_tick(a, now);
		kex_tick(b, now);
		deliver();
		if (next >= end || next == UINT64_MAX) {
			now = end;
			kex_tick(a, now);
			kex_tick(b, now);
			deliver();
			return;
		}
		now = next > now ? next : now + 1;
	}
}

static bool comp(const struct kex_engine *e)
{
	struct kex_peer_state s;

	kex_peer_state(e, 0, &s);
	return strcmp(s.status, "MKEY_EXCH_COMP") == 0 && s.cert_rec && s.cert_ack && s.salt_rec &&
	       s.salt_ack && s.key_rec && s.key_ack;
}

static void assert_payload_keys_flow(void)
{
	uint8_t key[32], wrapped[256], back[64];
	ssize_t n, m;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13);
	n = kex_wrap(a, 0, key, sizeof(key), wrapped, sizeof(wrapped));
	cr_assert_gt(n, 0);
	m = kex_unwrap(b, wrapped, (size_t)n, back, sizeof(back));
	cr_assert_eq(m, (ssize_t)sizeof(key));
	cr_assert(memcmp(key, back, sizeof(key)) == 0);
	cr_assert_eq(kex_unwrap(a, wrapped, (size_t)n, back, sizeof(back)), -1,
		     "a key for b opened at a");
}

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
	/* a key wrapped for b with b's index 1 ... */
	n = kex_wrap(a, 0, key, sizeof(key), wrapped, sizeof(wrapped));
	kex_regenerate(b, now);
	cr_assert_eq(kex_local_index(b), 2);
	run(30000);
	kex_peer_state(a, 0, &s);
	cr_assert_eq(s.peer_key_index, 2, "a did not learn b's new index");
	cr_assert(comp(a) && comp(b));
	/* ... still opens at b after the switch-over */
	cr_assert_eq(kex_unwrap(b, wrapped, (size_t)n, back, sizeof(back)), (ssize_t)sizeof(key));
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
	cr_assert_eq(kex_own_mkey(b, kex_local_index(b), &old), 0);
	n = kex_wrap(a, 0, key, sizeof(key), wrapped, sizeof(wrapped));
	cr_assert_eq(kex_unwrap(b, wrapped, (size_t)n, back, sizeof(back)), (ssize_t)sizeof(key));
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
				n = kex_wrap(from, 0, key, sizeof(key), w, sizeof(w));
				if (n < 0 ||
				    kex_unwrap(to, w, (size_t)n, back, sizeof(back)) !=
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

/* b's certificate is valid for one day from T0 (identity("peer-b") uses 365:
 * make a short one here). */
static struct pki_identity *short_identity(const char *pcn, int days)
{
	return kexpair_identity(pcn, (int64_t)(T0 / 1000), days);
}

static void use_behaviour(bool hard, struct pki_identity *bid)
{
	struct kex_config ca = mkcfg("peer-a", ida, NULL, 0, hard, false);
	struct kex_config cb = mkcfg("peer-b", bid, NULL, 0, hard, false);

	kex_free(a);
	kex_free(b);
	a = kex_new(&ca, now);
	b = kex_new(&cb, now);
	kex_add_peer(a, "peer-b");
	kex_add_peer(b, "peer-a");
}

static void assert_never_taken(const char *verdict)
{
	struct kex_peer_state s;
	uint8_t key[16] = {1}, w[128];

	kex_peer_state(a, 0, &s);
	cr_assert_not(comp(a), "peered with a certificate that is %s", verdict);
	cr_assert_not(s.cert_rec, "pinned a certificate that is %s", verdict);
	cr_assert_str_eq(s.cert_verdict, verdict);
	cr_assert_eq(kex_wrap(a, 0, key, sizeof(key), w, sizeof(w)), -1, "a metadata key from it");
	cr_assert_eq(kex_peer_mkey(b, 0, &(struct kex_mkey){0}), -1,
		     "the peer obtained our metadata key");
}

Test(kex, an_expired_certificate_is_never_taken_under_either_behaviour)
{
	for (int hard = 0; hard <= 1; hard++) {
		struct pki_identity *bid = short_identity("peer-b", 1);

		use_behaviour(hard, bid);
		kex_set_wallclock(a, (int64_t)(T0 / 1000) + 2 * 86400); /* b's has expired */
		run(100000);
		assert_never_taken("expired");
		pki_identity_free(bid);
	}
}

Test(kex, a_misnamed_certificate_is_never_taken_under_either_behaviour)
{
	for (int hard = 0; hard <= 1; hard++) {
		struct pki_identity *bid = short_identity("peer-x", 365);
		struct kex_peer_state s;

		use_behaviour(hard, bid);
		run(100000);
		assert_never_taken("wrong name");
		kex_peer_state(a, 0, &s);
		cr_assert(strstr(s.cert_detail, "peer-b") != NULL, "%s", s.cert_detail);
		pki_identity_free(bid);
	}
}

/* The one difference between the behaviours: a peer authenticated before,
 * whose certificate expires while in use. */
Test(kex, an_expiring_certificate_keeps_its_keys_under_fail_soft_only)
{
	for (int hard = 0; hard <= 1; hard++) {
		struct pki_identity *bid = short_identity("peer-b", 1);
		struct kex_peer_state s;
		uint8_t key[16] = {1}, w[128];

		use_behaviour(hard, bid);
		run(1000);
		cr_assert(comp(a) && comp(b));
		cr_assert_eq(kex_enforce(a, (int64_t)(T0 / 1000) + 36 * 3600, now), hard);
		kex_peer_state(a, 0, &s);
		cr_assert_str_eq(s.cert_verdict, "expired");
		if (hard) {
			cr_assert_not(comp(a));
			cr_assert_eq(kex_wrap(a, 0, key, sizeof(key), w, sizeof(w)), -1,
				     "keys kept under fail-hard");
		} else {
			cr_assert(comp(a), "fail-soft dropped an authenticated peer");
			assert_payload_keys_flow();
		}
		pki_identity_free(bid);
	}
}

Test(kex, fail_hard_takes_the_peer_back_with_its_renewed_certificate)
{
	struct pki_identity *bid = short_identity("peer-b", 1), *renewed;
	char err[256];
	int64_t later = (int64_t)(T0 / 1000) + 36 * 3600;

	use_behaviour(true, bid);
	run(1000);
	cr_assert_eq(kex_enforce(a, later, now), 1);
	run(31000);
	cr_assert_not(comp(a), "an expired certificate was taken again under fail-hard");
	/* b's self-signed certificate is renewed with the same key (svrd
	 * does so when it is due): a takes it back by itself, its pin
	 * unchanged */
	cr_assert(pki_identity_renew_due(bid, later));
	renewed = pki_identity_make(bid, "peer-b", later, 365, err, sizeof(err));
	cr_assert_not_null(renewed, "%s", err);
	restart_b(renewed, 5000);
	kex_set_wallclock(a, later);
	kex_set_wallclock(b, later);
	run(31000);
	cr_assert(comp(a) && comp(b), "not restored with the renewed certificate");
	assert_payload_keys_flow();
	pki_identity_free(renewed);
	pki_identity_free(bid);
}

static struct pki_trust *trust_ca(const char *name)
{
	char path[300], err[256];
	FILE *f;
	char pem[8192];
	size_t n;
	struct pki_trust *t = pki_trust_new();

	snprintf(path, sizeof(path), "%s/certs/%s", dir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	fclose(f);
	cr_assert_eq(pki_trust_add_ca_pem(t, pem, err, sizeof(err)), 0, "%s", err);
	return t;
}

Test(kex, a_certificate_from_an_untrusted_ca_is_refused_unless_the_ca_says_warn)
{
	char cmd[600], crt[300], key[300], err[256];
	const char *top = getenv("top_srcdir");
	struct pki_identity *bid;
	struct pki_trust *t;
	struct kex_peer_state s;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/certs && %s/tests/unit/mkcerts.sh %s/certs", dir,
		 top ? top : ".", dir);
	cr_assert_eq(system(cmd), 0, "mkcerts.sh failed");
	snprintf(crt, sizeof(crt), "%s/certs/untrusted.pem", dir);
	snprintf(key, sizeof(key), "%s/certs/untrusted.key", dir);
	bid = kexpair_identity_files(crt, key, err, sizeof(err));
	cr_assert_not_null(bid, "%s", err);
	t = trust_ca("ca.pem"); /* b's certificate is from ca2 */
	for (int hard = 0; hard <= 1; hard++) {
		kex_free(a);
		kex_free(b);
		a = kex_new(&(struct kex_config){.pcn = "peer-a",
						 .id = ida,
						 .trust = t,
						 .alg = CRYPTO_KEX_X25519,
						 .retransmit_ms = 30000,
						 .timeout_ms = 3600000,
						 .fail_hard = hard},
			    now);
		b = engine("peer-b", bid, "peer-a");
		kex_add_peer(a, "peer-b");
		kex_set_wallclock(a, (int64_t)time(NULL));
		kex_set_wallclock(b, (int64_t)time(NULL));
		run(5000);
		assert_never_taken("untrusted");
	}
	/* validation-mode warn: pinned on first use, as without a CA */
	kex_free(a);
	a = kex_new(&(struct kex_config){.pcn = "peer-a",
					 .id = ida,
					 .trust = t,
					 .alg = CRYPTO_KEX_X25519,
					 .retransmit_ms = 30000,
					 .timeout_ms = 3600000,
					 .base = 7000,
					 .fail_hard = true,
					 .untrusted_ok = true},
		    now);
	kex_add_peer(a, "peer-b");
	kex_set_wallclock(a, (int64_t)time(NULL));
	run(31000);
	kex_peer_state(a, 0, &s);
	cr_assert(comp(a) && comp(b), "untrusted not pinned with a warn CA");
	cr_assert_not(s.chained);
	cr_assert_eq(strlen(s.pinned_fp), 64);
	assert_payload_keys_flow();
	pki_trust_free(t);
	pki_identity_free(bid);
}

/* An established peer restarts presenting an invalid certificate, or
 * someone sends one from its address: refused, and the authenticated
 * peering is neither replaced nor taken down, under either behaviour. */
Test(kex, an_invalid_certificate_never_takes_down_an_established_peering)
{
	for (int hard = 0; hard <= 1; hard++) {
		struct pki_identity *good = short_identity("peer-b", 365);
		struct pki_identity *wrong = short_identity("peer-x", 365);
		struct kex_engine *liar;
		struct kex_peer_state s;
		const uint8_t *m;
		size_t n;
		int p;

		use_behaviour(hard, good);
		run(1000);
		cr_assert(comp(a) && comp(b));
		liar = engine("peer-b", wrong, "peer-a");
		kex_tick(liar, now);
		while (kex_output(liar, &p, &m, &n))
			kex_input(a, 0, m, n, false, now);
		kex_peer_state(a, 0, &s);
		cr_assert_str_eq(s.cert_verdict, "valid");
		cr_assert_str_eq(s.refused, "wrong name");
		cr_assert(s.cert_rec, "the authenticated certificate was unpinned");
		run(60000);
		cr_assert(comp(a) && comp(b), "the peering did not survive (hard %d)", hard);
		assert_payload_keys_flow();
		kex_free(liar);
		pki_identity_free(good);
		pki_identity_free(wrong);
	}
}

/* Trust on first use: b comes back with another key (a new identity):
 * refused, alarm material in the state, until the operator accepts it. */
Test(kex, a_changed_key_is_refused_until_the_operator_accepts_it)
{
	struct pki_identity *other = short_identity("peer-b", 365);
	struct kex_peer_state s;
	uint8_t fp[32];
	int p;
	char first[65];

	run(1000);
	cr_assert(comp(a) && comp(b));
	cr_assert(kex_take_learned_pin(a, &p, fp), "the first key was not offered for saving");
	cr_assert_not(kex_take_learned_pin(a, &p, fp));
	kex_peer_state(a, 0, &s);
	snprintf(first, sizeof(first), "%s", s.pinned_fp);
	cr_assert_eq(kex_accept_key(a, 0, now), -1, "nothing to accept yet");
	restart_b(other, 9000);
	run(100000);
	kex_peer_state(a, 0, &s);
	cr_assert(s.key_conflict);
	cr_assert_str_eq(s.pinned_fp, first, "the pin moved by itself");
	cr_assert_neq(strcmp(s.offered_fp, first), 0);
	cr_assert_not(comp(b), "b completed with a key a never accepted");
	cr_assert_eq(kex_peer_mkey(b, 0, &(struct kex_mkey){0}), -1, "b obtained a's metadata key");
	cr_assert_eq(kex_accept_key(a, 0, now), 0);
	cr_assert(kex_take_learned_pin(a, &p, fp), "the accepted key was not offered for saving");
	run(31000);
	kex_peer_state(a, 0, &s);
	cr_assert_not(s.key_conflict);
	cr_assert_neq(strcmp(s.pinned_fp, first), 0);
	cr_assert(comp(a) && comp(b), "not peered after the operator accepted the key");
	assert_payload_keys_flow();
	pki_identity_free(other);
}

Test(kex, a_configured_fingerprint_admits_no_other_key)
{
	uint8_t wrong[32];
	struct kex_peer_state s;

	memset(wrong, 0xab, sizeof(wrong));
	kex_set_pin(a, 0, wrong, true);
	run(100000);
	kex_peer_state(a, 0, &s);
	cr_assert_not(comp(a));
	cr_assert_str_eq(s.cert_verdict, "key changed");
	cr_assert(s.pin_configured);
	cr_assert_eq(kex_accept_key(a, 0, now), -1, "a configured pin overruled from the shell");
}

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

/* The peer restarts presenting an invalid certificate (refused), then
 * restarts again with its good one: taken back at once. */
Test(kex, a_peer_back_with_its_good_certificate_after_a_refused_one)
{
	struct pki_identity *wrong = short_identity("peer-x", 365);

	run(1000);
	cr_assert(comp(a) && comp(b));
	restart_b(wrong, 100);
	run(100000);
	cr_assert_not(comp(b));
	restart_b(idb, 200);
	run(5000);
	cr_assert(comp(a) && comp(b), "not taken back with the good certificate");
	assert_payload_keys_flow();
	pki_identity_free(wrong);
}

/* The datagram codec (engine/peerpkt.h) between two keyed engines: a's
 * datagrams are tagged and b takes them; any byte changed, a truncation, a
 * replay or a tag under a key b does not hold is refused. */
#include "peerpkt.h"

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

/* The lab's certificate lifecycle, in the engine: b starts self-signed,
 * moves to a CA-signed certificate (a new key, held pending until b signs
 * with it), restarts presenting a certificate from a CA a does not trust
 * (refused), then restarts with its CA-signed one again: taken back at
 * once. */
Test(kex, a_ca_signed_peer_back_after_a_refused_certificate)
{
	char cmd[600], crt[300], key[300], err[256];
	const char *top = getenv("top_srcdir");
	struct pki_identity *good, *bad;
	struct pki_trust *t;
	struct kex_config ca, cb;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/certs && %s/tests/unit/mkcerts.sh %s/certs", dir,
		 top ? top : ".", dir);
	cr_assert_eq(system(cmd), 0, "mkcerts.sh failed");
	snprintf(crt, sizeof(crt), "%s/certs/good.pem", dir);
	snprintf(key, sizeof(key), "%s/certs/good.key", dir);
	good = kexpair_identity_files(crt, key, err, sizeof(err));
	cr_assert_not_null(good, "%s", err);
	snprintf(crt, sizeof(crt), "%s/certs/untrusted.pem", dir);
	snprintf(key, sizeof(key), "%s/certs/untrusted.key", dir);
	bad = kexpair_identity_files(crt, key, err, sizeof(err));
	cr_assert_not_null(bad, "%s", err);
	t = trust_ca("ca.pem");
	ca = mkcfg("peer-a", ida, t, 0, false, false);
	kex_free(a);
	a = kex_new(&ca, now);
	kex_add_peer(a, "peer-b");
	kex_set_wallclock(a, (int64_t)time(NULL));
	kex_set_wallclock(b, (int64_t)time(NULL));
	/* b self-signed: refused by a's strict CA; so start b on good */
	cb = mkcfg("peer-b", good, NULL, 100, false, false);
	kex_free(b);
	b = kex_new(&cb, now);
	kex_add_peer(b, "peer-a");
	kex_set_wallclock(b, (int64_t)time(NULL));
	run(5000);
	cr_assert(comp(a) && comp(b), "not peered with the CA-signed certificate");
	for (int round = 0; round < 3; round++) {
		cb = mkcfg("peer-b", bad, NULL, 200 + 100 * (uint32_t)round, false, false);
		kex_free(b);
		b = kex_new(&cb, now);
		kex_add_peer(b, "peer-a");
		kex_set_wallclock(b, (int64_t)time(NULL));
		run(1500);
		cr_assert_not(comp(b));
		cb = mkcfg("peer-b", good, NULL, 250 + 100 * (uint32_t)round, false, false);
		kex_free(b);
		b = kex_new(&cb, now);
		kex_add_peer(b, "peer-a");
		kex_set_wallclock(b, (int64_t)time(NULL));
		run(5000);
		cr_assert(comp(a) && comp(b), "round %d: not taken back with the good certificate",
			  round);
	}
	assert_payload_keys_flow();
	pki_trust_free(t);
	pki_identity_free(good);
	pki_identity_free(bad);
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

/* With a trusted CA, an attacker's self-signed certificate carrying the
 * peer's name (and so any key it likes) is refused under either
 * behaviour, and never yields a key or our metadata key. */
Test(kex, a_self_signed_certificate_is_refused_when_a_ca_is_trusted)
{
	char cmd[600];
	const char *top = getenv("top_srcdir");
	struct pki_trust *t;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/certs && %s/tests/unit/mkcerts.sh %s/certs", dir,
		 top ? top : ".", dir);
	cr_assert_eq(system(cmd), 0, "mkcerts.sh failed");
	t = trust_ca("ca.pem");
	for (int hard = 0; hard <= 1; hard++) {
		struct kex_config ca = mkcfg("peer-a", ida, t, 0, hard, false);

		kex_free(a);
		a = kex_new(&ca, now);
		kex_add_peer(a, "peer-b");
		restart_b(idb, 100 + 100 * (uint32_t)hard); /* self-signed peer-b */
		run(100000);
		assert_never_taken("untrusted");
	}
	pki_trust_free(t);
}

/* Under fail-hard, a revocation list that revokes the peer's certificate
 * ends the peering; when the list no longer does (the revocation undone),
 * the peer is judged afresh and taken back by itself (it was held down
 * for good: the far side, still keyed, never offered its certificate). */
Test(kex, a_revocation_undone_takes_the_peer_back_under_fail_hard)
{
	char cmd[600], crt[300], key[300], err[256], path[300], pem[8192];
	const char *top = getenv("top_srcdir");
	struct pki_identity *rid;
	struct pki_trust *plain, *revoking;
	struct kex_config ca, cb;
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/certs && %s/tests/unit/mkcerts.sh %s/certs", dir,
		 top ? top : ".", dir);
	cr_assert_eq(system(cmd), 0, "mkcerts.sh failed");
	snprintf(crt, sizeof(crt), "%s/certs/revoked.pem", dir);
	snprintf(key, sizeof(key), "%s/certs/revoked.key", dir);
	rid = kexpair_identity_files(crt, key, err, sizeof(err));
	cr_assert_not_null(rid, "%s", err);
	plain = trust_ca("ca.pem");
	revoking = trust_ca("ca.pem");
	snprintf(path, sizeof(path), "%s/certs/crl.pem", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	fclose(f);
	cr_assert_eq(pki_trust_add_crl_pem(revoking, pem, err, sizeof(err)), 0, "%s", err);
	ca = mkcfg("peer-a", ida, plain, 0, true, false);
	kex_free(a);
	a = kex_new(&ca, now);
	kex_add_peer(a, "peer-b");
	cb = mkcfg("peer-b", rid, NULL, 100, true, false);
	kex_free(b);
	b = kex_new(&cb, now);
	kex_add_peer(b, "peer-a");
	kex_set_wallclock(a, (int64_t)time(NULL));
	kex_set_wallclock(b, (int64_t)time(NULL));
	run(5000);
	cr_assert(comp(a) && comp(b), "not peered before the revocation");

	kex_set_trust(a, revoking, (int64_t)time(NULL), now);
	run(5000);
	cr_assert_not(comp(a), "a revoked peer kept its keys under fail-hard");
	cr_assert_lt(kex_wrap(a, 0, (const uint8_t *)"k", 1, (uint8_t[256]){0}, 256), 0);

	kex_set_trust(a, plain, (int64_t)time(NULL), now);
	run(5000);
	cr_assert(comp(a) && comp(b), "not taken back once the revocation was undone");
	assert_payload_keys_flow();
	pki_trust_free(plain);
	pki_trust_free(revoking);
	pki_identity_free(rid);
}
