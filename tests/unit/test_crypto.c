/* The crypto wrapper: HKDF against an independent implementation (the
 * openssl command), seal/open under tampering, key agreement and its
 * refusal of bad public values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

Test(crypto, hkdf_sha384_matches_the_openssl_command)
{
	uint8_t ikm[40], salt[24], info[13], out[42];
	char h_ikm[81], h_salt[49], h_info[27], h_out[85], cmd[512], got[128] = "";
	FILE *p;

	for (size_t i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0xa0 + i);
	memcpy(info, "opensvr peer", 13);
	cr_assert_eq(crypto_hkdf_sha384(salt, sizeof(salt), ikm, sizeof(ikm), info, sizeof(info),
					out, sizeof(out)),
		     0);
	hex(ikm, sizeof(ikm), h_ikm);
	hex(salt, sizeof(salt), h_salt);
	hex(info, sizeof(info), h_info);
	hex(out, sizeof(out), h_out);
	snprintf(cmd, sizeof(cmd),
		 "openssl kdf -keylen 42 -kdfopt digest:SHA384 -kdfopt hexkey:%s -kdfopt "
		 "hexsalt:%s -kdfopt hexinfo:%s HKDF 2>/dev/null | tr -d ':\\n' | tr A-F a-f",
		 h_ikm, h_salt, h_info);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(got, sizeof(got), p));
	pclose(p);
	cr_assert_str_eq(got, h_out);
}

static struct crypto_seal_key key(uint8_t seed)
{
	struct crypto_seal_key k;

	memset(k.enc, seed, sizeof(k.enc));
	memset(k.mac, seed ^ 0x5a, sizeof(k.mac));
	return k;
}

Test(crypto, seal_open_round_trip_at_every_block_edge)
{
	struct crypto_seal_key k = key(1);
	uint8_t pt[70], ct[200], back[200];

	for (size_t len = 0; len <= sizeof(pt); len++) {
		ssize_t n, m;

		for (size_t i = 0; i < len; i++)
			pt[i] = (uint8_t)(i + len);
		n = crypto_seal(&k, (const uint8_t *)"hdr", 3, pt, len, ct, sizeof(ct));
		cr_assert_eq(n, (ssize_t)crypto_sealed_len(len), "length for %zu", len);
		m = crypto_open(&k, (const uint8_t *)"hdr", 3, ct, (size_t)n, back, sizeof(back));
		cr_assert_eq(m, (ssize_t)len);
		cr_assert(memcmp(back, pt, len) == 0);
	}
}

Test(crypto, every_flipped_bit_and_every_wrong_input_is_refused)
{
	struct crypto_seal_key k = key(2), other = key(3);
	uint8_t pt[33], ct[200], back[200];
	ssize_t n;

	memset(pt, 0x42, sizeof(pt));
	n = crypto_seal(&k, (const uint8_t *)"A", 1, pt, sizeof(pt), ct, sizeof(ct));
	cr_assert_gt(n, 0);
	for (ssize_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			ct[i] ^= (uint8_t)(1 << bit);
			cr_assert_eq(crypto_open(&k, (const uint8_t *)"A", 1, ct, (size_t)n, back,
						 sizeof(back)),
				     -1, "flipped bit %d of byte %zd accepted", bit, i);
			ct[i] ^= (uint8_t)(1 << bit);
		}
	}
	cr_assert_eq(
		crypto_open(&other, (const uint8_t *)"A", 1, ct, (size_t)n, back, sizeof(back)), -1,
		"wrong key");
	cr_assert_eq(crypto_open(&k, (const uint8_t *)"B", 1, ct, (size_t)n, back, sizeof(back)),
		     -1, "wrong header");
	for (size_t len = 0; len < (size_t)n; len++)
		cr_assert_eq(crypto_open(&k, (const uint8_t *)"A", 1, ct, len, back, sizeof(back)),
			     -1, "truncated to %zu accepted", len);
	cr_assert_eq(crypto_open(&k, (const uint8_t *)"A", 1, ct, (size_t)n, back, sizeof(back)),
		     (ssize_t)sizeof(pt));
}

Test(crypto, seal_uses_a_fresh_iv)
{
	struct crypto_seal_key k = key(4);
	uint8_t a[100], b[100], pt[16] = {0};

	cr_assert_gt(crypto_seal(&k, NULL, 0, pt, sizeof(pt), a, sizeof(a)), 0);
	cr_assert_gt(crypto_seal(&k, NULL, 0, pt, sizeof(pt), b, sizeof(b)), 0);
	cr_assert_neq(memcmp(a, b, CRYPTO_AES_BLOCK), 0);
	cr_assert_eq(crypto_seal(&k, NULL, 0, pt, sizeof(pt), a, 10), -1, "tiny buffer accepted");
}

static void agree(enum crypto_kex alg, size_t publen)
{
	struct crypto_kex_key *a = crypto_kex_generate(alg), *b = crypto_kex_generate(alg);
	uint8_t pa[CRYPTO_KEX_MAX_PUB], pb[CRYPTO_KEX_MAX_PUB], sa[CRYPTO_KEX_MAX_PUB],
		sb[CRYPTO_KEX_MAX_PUB];
	size_t la, lb, na, nb;

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_eq(crypto_kex_public(a, pa, sizeof(pa), &la), 0);
	cr_assert_eq(crypto_kex_public(b, pb, sizeof(pb), &lb), 0);
	cr_assert_eq(la, publen, "%s public value is %zu bytes", crypto_kex_name(alg), la);
	cr_assert_eq(crypto_kex_derive(a, pb, lb, sa, sizeof(sa), &na), 0);
	cr_assert_eq(crypto_kex_derive(b, pa, la, sb, sizeof(sb), &nb), 0);
	cr_assert_eq(na, nb);
	cr_assert(memcmp(sa, sb, na) == 0, "%s: the two sides disagree", crypto_kex_name(alg));
	crypto_kex_free(a);
	crypto_kex_free(b);
}

Test(crypto, x25519_and_ffdhe_agree)
{
	agree(CRYPTO_KEX_X25519, 32);
	agree(CRYPTO_KEX_FFDHE2048, 256);
	agree(CRYPTO_KEX_FFDHE3072, 384);
	agree(CRYPTO_KEX_FFDHE4096, 512);
}

Test(crypto, bad_public_values_are_refused)
{
	struct crypto_kex_key *x = crypto_kex_generate(CRYPTO_KEX_X25519);
	struct crypto_kex_key *d = crypto_kex_generate(CRYPTO_KEX_FFDHE2048);
	uint8_t zero[32] = {0}, one[256] = {0}, big[256], s[512];
	size_t n;

	/* X25519: a low-order point (all zeros), a wrong length */
	cr_assert_eq(crypto_kex_derive(x, zero, sizeof(zero), s, sizeof(s), &n), -1);
	cr_assert_eq(crypto_kex_derive(x, zero, 31, s, sizeof(s), &n), -1);
	/* FFDHE: y = 1, y = 2^2048 - 1 (above p - 1), a wrong length */
	one[255] = 1;
	cr_assert_eq(crypto_kex_derive(d, one, sizeof(one), s, sizeof(s), &n), -1);
	memset(big, 0xff, sizeof(big));
	cr_assert_eq(crypto_kex_derive(d, big, sizeof(big), s, sizeof(s), &n), -1);
	cr_assert_eq(crypto_kex_derive(d, big, 0, s, sizeof(s), &n), -1);
	crypto_kex_free(x);
	crypto_kex_free(d);
	crypto_kex_free(NULL);
}

Test(crypto, equal_and_wipe)
{
	uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8];

	memcpy(b, a, sizeof(a));
	cr_assert(crypto_equal(a, b, sizeof(a)));
	b[7] ^= 1;
	cr_assert_not(crypto_equal(a, b, sizeof(a)));
	crypto_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		cr_assert_eq(a[i], 0);
	crypto_wipe(NULL, 5);
}

/* crypto_seal keeps contexts for the last 8 keys: with 20 keys taking
 * turns, every seal and open must still use its own key, whether its
 * contexts were kept or made again. */
Test(crypto, seal_and_open_stay_right_when_many_keys_take_turns)
{
	struct crypto_seal_key keys[20];
	uint8_t sealed[20][128], pt[64];
	ssize_t n[20];

	for (int i = 0; i < 20; i++) {
		cr_assert_eq(crypto_random(&keys[i], sizeof(keys[i])), 0);
		memset(pt, 'a' + i, sizeof(pt));
		n[i] = crypto_seal(&keys[i], (const uint8_t *)"aad", 3, pt, 40, sealed[i],
				   sizeof(sealed[i]));
		cr_assert_gt(n[i], 0);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 19; i >= 0; i--) {
			uint8_t out[128];

			cr_assert_eq(crypto_open(&keys[i], (const uint8_t *)"aad", 3, sealed[i],
						 (size_t)n[i], out, sizeof(out)),
				     40, "key %d, round %d", i, round);
			memset(pt, 'a' + i, sizeof(pt));
			cr_assert_eq(memcmp(out, pt, 40), 0);
			/* and never under a neighbour's key */
			cr_assert_eq(crypto_open(&keys[(i + 1) % 20], (const uint8_t *)"aad", 3,
						 sealed[i], (size_t)n[i], out, sizeof(out)),
				     -1);
		}
}

/* A retired key leaves the seal-context cache: its contexts and the copy
 * that recognises it are wiped; the other keys' stay. */
Test(crypto, a_forgotten_key_leaves_the_seal_cache)
{
	struct crypto_seal_key k1, k2;
	uint8_t out[128];

	crypto_random(&k1, sizeof(k1));
	crypto_random(&k2, sizeof(k2));
	cr_assert_gt(crypto_seal(&k1, NULL, 0, (const uint8_t *)"x", 1, out, sizeof(out)), 0);
	cr_assert_gt(crypto_seal(&k2, NULL, 0, (const uint8_t *)"y", 1, out, sizeof(out)), 0);
	cr_assert(crypto_seal_cached(&k1));
	crypto_seal_forget(&k1);
	cr_assert_not(crypto_seal_cached(&k1));
	cr_assert(crypto_seal_cached(&k2));
	crypto_seal_forget(NULL);
	/* and it still works, made again when used again */
	cr_assert_gt(crypto_seal(&k1, NULL, 0, (const uint8_t *)"x", 1, out, sizeof(out)), 0);
	cr_assert(crypto_seal_cached(&k1));
}
