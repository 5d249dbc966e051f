/* The key engine and certificates: expired, misnamed, expiring and
 * renewed ones under either behaviour, CAs trusted or not, pins learned,
 * configured and accepted, revocations made and undone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kex.h"
#include "kexpair.h"
#include "kextest.h"
#include "pki.h"

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
	cr_assert_eq(keyring_wrap(ring(a), 0, key, sizeof(key), w, sizeof(w)), -1,
		     "a metadata key from it");
	cr_assert_null(keyring_peer(ring(b), 0), "the peer obtained our metadata key");
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
			cr_assert_eq(keyring_wrap(ring(a), 0, key, sizeof(key), w, sizeof(w)), -1,
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
	cr_assert_null(keyring_peer(ring(b), 0), "b obtained a's metadata key");
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
static void revocation_undone(bool b_rekeyed)
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
	if (b_rekeyed) {
		/* a's last SALT answered b's: it names b's generation */
		kex_rekey(b, now);
		run(5000);
		cr_assert(comp(a) && comp(b), "not peered after b's rekey");
	}

	kex_set_trust(a, revoking, (int64_t)time(NULL), now);
	run(5000);
	cr_assert_not(comp(a), "a revoked peer kept its keys under fail-hard");
	cr_assert_lt(keyring_wrap(ring(a), 0, (const uint8_t *)"k", 1, (uint8_t[256]){0}, 256), 0);

	kex_set_trust(a, plain, (int64_t)time(NULL), now);
	run(5000);
	cr_assert(comp(a) && comp(b), "not taken back once the revocation was undone");
	assert_payload_keys_flow();
	pki_trust_free(plain);
	pki_trust_free(revoking);
	pki_identity_free(rid);
}

Test(kex, a_revocation_undone_takes_the_peer_back_under_fail_hard)
{
	revocation_undone(false);
}

/* The same when a's last SALT was its answer to a rekey of b's: a's first
 * SALT after the revocation must not claim to answer b's (it answers
 * nothing), or b, still keyed, takes it for the answer and sends no SALT
 * of its own, and a, whose keys are gone, waits for one for good. */
Test(kex, a_revocation_undone_after_the_peer_rekeyed_takes_it_back_under_fail_hard)
{
	revocation_undone(true);
}
