/* OpenSSL wrapper; see crypto.h. */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#include "crypto.h"

struct crypto_kex_key {
	enum crypto_kex alg;
	EVP_PKEY *pkey;
};

const char *crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int crypto_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

int crypto_hkdf_sha384(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5], *q = p;
	int rc = -1;

	if (!ctx)
		goto out;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA384", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(ctx, out, out_len, p) == 1 ? 0 : -1;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	ERR_clear_error();
	return rc;
}

int crypto_sha384(const uint8_t *data, size_t len, uint8_t out[CRYPTO_SHA384_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(data, len, out, &n, EVP_sha384(), NULL) == 1 ? 0 : -1;
}

int crypto_hmac_sha384(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		       uint8_t out[CRYPTO_SHA384_LEN])
{
	unsigned int n = 0;

	return HMAC(EVP_sha384(), key, (int)key_len, data, len, out, &n) && n == CRYPTO_SHA384_LEN
		       ? 0
		       : -1;
}

size_t crypto_sealed_len(size_t pt_len)
{
	return CRYPTO_AES_BLOCK + (pt_len / CRYPTO_AES_BLOCK + 1) * CRYPTO_AES_BLOCK +
	       CRYPTO_SHA384_LEN;
}

/* Contexts for the keys crypto_seal() and crypto_open() saw last.  They
 * are used with few keys, over and over: a router's metadata keys and its
 * peers' (every first packet of every session seals with one, its payload
 * key is wrapped with one), until the next rekey.  Making an AES and an
 * HMAC context for every call was half of what a new session cost
 * (BENCHMARKS.md); with them kept, a call costs the cipher and the hash.
 * Each slot keeps a copy of its key to recognise it, wiped with the
 * contexts when the slot is taken for another key, and when the key is
 * retired (crypto_seal_forget(), which the key engine calls for every
 * key it replaces or drops): a key that is gone is gone from here too.  Not thread-safe: svrd
 * seals and opens on one thread. */
#define SEAL_SLOTS 8

struct seal_slot {
	bool used;
	uint64_t last; /* for least recently used */
	struct crypto_seal_key key;
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MAC_CTX *mac;
};

static struct seal_slot seal_slots[SEAL_SLOTS];
static uint64_t seal_clock;

static void slot_clear(struct seal_slot *s)
{
	EVP_CIPHER_CTX_free(s->enc); /* the frees cleanse the key schedules */
	EVP_CIPHER_CTX_free(s->dec);
	EVP_MAC_CTX_free(s->mac);
	crypto_wipe(s, sizeof(*s));
}

/* The slot holding k's contexts, or NULL. */
static struct seal_slot *slot_of(const struct crypto_seal_key *k)
{
	for (int i = 0; k && i < SEAL_SLOTS; i++)
		if (seal_slots[i].used && crypto_equal(&seal_slots[i].key, k, sizeof(*k)))
			return &seal_slots[i];
	return NULL;
}

/* The slot holding k's contexts, made when it has none; NULL on error. */
static struct seal_slot *slot_for(const struct crypto_seal_key *k)
{
	static EVP_CIPHER *cbc;
	static EVP_MAC *hmac;
	struct seal_slot *s = slot_of(k);
	OSSL_PARAM p[2];

	if (s) {
		s->last = ++seal_clock;
		return s;
	}
	if (!cbc)
		cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (!hmac)
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!cbc || !hmac)
		return NULL;
	for (int i = 0; i < SEAL_SLOTS; i++)
		if (!s || !seal_slots[i].used || (s->used && seal_slots[i].last < s->last))
			s = &seal_slots[i];
	slot_clear(s);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA384", 0);
	p[1] = OSSL_PARAM_construct_end();
	s->enc = EVP_CIPHER_CTX_new();
	s->dec = EVP_CIPHER_CTX_new();
	s->mac = EVP_MAC_CTX_new(hmac);
	if (!s->enc || !s->dec || !s->mac ||
	    EVP_EncryptInit_ex(s->enc, cbc, NULL, k->enc, NULL) != 1 ||
	    EVP_DecryptInit_ex(s->dec, cbc, NULL, k->enc, NULL) != 1 ||
	    EVP_MAC_init(s->mac, k->mac, sizeof(k->mac), p) != 1) {
		slot_clear(s);
		ERR_clear_error();
		return NULL;
	}
	s->key = *k;
	s->used = true;
	s->last = ++seal_clock;
	return s;
}

void crypto_seal_forget(const struct crypto_seal_key *k)
{
	struct seal_slot *s = slot_of(k);

	if (s)
		slot_clear(s);
}

bool crypto_seal_cached(const struct crypto_seal_key *k)
{
	return slot_of(k) != NULL;
}

/* HMAC-SHA-384 over aad | body (the context re-armed with its key). */
static int tag(struct seal_slot *s, const uint8_t *aad, size_t aad_len, const uint8_t *body,
	       size_t body_len, uint8_t out[CRYPTO_SHA384_LEN])
{
	size_t n = 0;

	return EVP_MAC_init(s->mac, NULL, 0, NULL) == 1 &&
			       (!aad_len || EVP_MAC_update(s->mac, aad, aad_len) == 1) &&
			       EVP_MAC_update(s->mac, body, body_len) == 1 &&
			       EVP_MAC_final(s->mac, out, &n, CRYPTO_SHA384_LEN) == 1 &&
			       n == CRYPTO_SHA384_LEN
		       ? 0
		       : -1;
}

ssize_t crypto_seal(const struct crypto_seal_key *k, const uint8_t *aad, size_t aad_len,
		    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap)
{
	size_t need = crypto_sealed_len(pt_len);
	struct seal_slot *s;
	int n1 = 0, n2 = 0;

	if (out_cap < need || pt_len > INT32_MAX)
		return -1;
	if (crypto_random(out, CRYPTO_AES_BLOCK) < 0 || !(s = slot_for(k)))
		return -1;
	if (EVP_EncryptInit_ex(s->enc, NULL, NULL, NULL, out) == 1 &&
	    EVP_EncryptUpdate(s->enc, out + CRYPTO_AES_BLOCK, &n1, pt, (int)pt_len) == 1 &&
	    EVP_EncryptFinal_ex(s->enc, out + CRYPTO_AES_BLOCK + n1, &n2) == 1 &&
	    tag(s, aad, aad_len, out, CRYPTO_AES_BLOCK + (size_t)(n1 + n2),
		out + CRYPTO_AES_BLOCK + n1 + n2) == 0)
		return (ssize_t)(CRYPTO_AES_BLOCK + (size_t)(n1 + n2) + CRYPTO_SHA384_LEN);
	ERR_clear_error();
	return -1;
}

ssize_t crypto_open(const struct crypto_seal_key *k, const uint8_t *aad, size_t aad_len,
		    const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap)
{
	uint8_t want[CRYPTO_SHA384_LEN];
	struct seal_slot *s;
	size_t body;
	int n1 = 0, n2 = 0;
	ssize_t rc = -1;

	if (in_len < 2 * CRYPTO_AES_BLOCK + CRYPTO_SHA384_LEN ||
	    (in_len - CRYPTO_SHA384_LEN) % CRYPTO_AES_BLOCK != 0 || !(s = slot_for(k)))
		return -1;
	body = in_len - CRYPTO_SHA384_LEN;
	/* Authenticate before decrypting anything (no padding oracle). */
	if (tag(s, aad, aad_len, in, body, want) < 0 ||
	    !crypto_equal(want, in + body, sizeof(want)))
		return -1;
	if (pt_cap < body - CRYPTO_AES_BLOCK)
		return -1;
	if (EVP_DecryptInit_ex(s->dec, NULL, NULL, NULL, in) == 1 &&
	    EVP_DecryptUpdate(s->dec, pt, &n1, in + CRYPTO_AES_BLOCK,
			      (int)(body - CRYPTO_AES_BLOCK)) == 1 &&
	    EVP_DecryptFinal_ex(s->dec, pt + n1, &n2) == 1)
		rc = n1 + n2;
	ERR_clear_error();
	if (rc < 0)
		crypto_wipe(pt, pt_cap < body ? pt_cap : body);
	return rc;
}

const char *crypto_kex_name(enum crypto_kex alg)
{
	switch (alg) {
	case CRYPTO_KEX_X25519:
		return "X25519";
	case CRYPTO_KEX_FFDHE2048:
		return "ffdhe2048";
	case CRYPTO_KEX_FFDHE3072:
		return "ffdhe3072";
	case CRYPTO_KEX_FFDHE4096:
		return "ffdhe4096";
	}
	return "?";
}

struct crypto_kex_key *crypto_kex_generate(enum crypto_kex alg)
{
	struct crypto_kex_key *k = OPENSSL_zalloc(sizeof(*k));
	EVP_PKEY_CTX *ctx = NULL;

	if (!k)
		return NULL;
	k->alg = alg;
	if (alg == CRYPTO_KEX_X25519) {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k->pkey) != 1)
			goto fail;
	} else {
		OSSL_PARAM p[2];

		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							(char *)crypto_kex_name(alg), 0);
		p[1] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_params(ctx, p) != 1 || EVP_PKEY_keygen(ctx, &k->pkey) != 1)
			goto fail;
	}
	EVP_PKEY_CTX_free(ctx);
	return k;
fail:
	EVP_PKEY_CTX_free(ctx);
	crypto_kex_free(k);
	ERR_clear_error();
	return NULL;
}

struct crypto_kex_key *crypto_kex_x25519_from_private(const uint8_t priv[32])
{
	struct crypto_kex_key *k = OPENSSL_zalloc(sizeof(*k));

	if (!k)
		return NULL;
	k->alg = CRYPTO_KEX_X25519;
	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	if (!k->pkey) {
		OPENSSL_free(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

void crypto_kex_free(struct crypto_kex_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL wipes private key material on free */
	OPENSSL_free(k);
}

int crypto_kex_public(const struct crypto_kex_key *k, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0,
					    &n) != 1 ||
	    n > cap ||
	    EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, cap,
					    &n) != 1) {
		ERR_clear_error();
		return -1;
	}
	*len = n;
	return 0;
}

/* The peer's public value as a key of our group. */
static EVP_PKEY *peer_key(const struct crypto_kex_key *k, const uint8_t *peer, size_t len)
{
	EVP_PKEY *pk = NULL;

	if (k->alg == CRYPTO_KEX_X25519) {
		if (len != 32)
			return NULL;
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, len);
	}
	pk = EVP_PKEY_new();
	if (!pk || EVP_PKEY_copy_parameters(pk, k->pkey) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pk, peer, len) != 1) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

int crypto_kex_derive(const struct crypto_kex_key *k, const uint8_t *peer, size_t peer_len,
		      uint8_t *secret, size_t cap, size_t *len)
{
	EVP_PKEY *pk = peer_key(k, peer, peer_len);
	EVP_PKEY_CTX *ctx = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL) : NULL;
	EVP_PKEY_CTX *chk = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL) : NULL;
	size_t n = cap;
	int rc = -1;

	/* FFDHE: the partial check (range, named group) is enough for the
	 * RFC 7919 safe primes and costs a fraction of the full one. */
	if (!chk || (k->alg != CRYPTO_KEX_X25519 && EVP_PKEY_public_check_quick(chk) != 1))
		goto out;
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) != 1 || EVP_PKEY_derive(ctx, secret, &n) != 1)
		goto out;
	/* X25519 with a low-order point gives all zeros */
	if (k->alg == CRYPTO_KEX_X25519) {
		uint8_t zero[32] = {0};

		if (n == 32 && crypto_equal(secret, zero, 32)) {
			crypto_wipe(secret, n);
			goto out;
		}
	}
	*len = n;
	rc = 0;
out:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}
