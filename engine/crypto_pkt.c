/* Session packet protection; see crypto.h ("session packets") and
 * doc/protocol.md.  Everything a packet needs is set up once per key:
 * three cipher contexts and an HMAC context that is re-armed with its own
 * key (EVP_MAC_init with no key keeps the padded key state), so the per
 * packet cost is the cipher and the hash, nothing else.  The algorithms
 * themselves are fetched once per process (algorithms() below), so a new
 * key costs its contexts and key schedules, not a search of OpenSSL's
 * method store. */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#include "crypto.h"

struct crypto_pkt_key {
	EVP_CIPHER_CTX *ecb, *enc, *dec;
	EVP_MAC_CTX *hmac;
};

/* AES-256-ECB, AES-256-CBC and HMAC, fetched on first use and kept for
 * the life of the process (never freed: they hold no secret, and every
 * key's contexts refer to them).  A fetch by name searches OpenSSL's
 * method store under a lock, and EVP_aes_256_cbc() and friends do that
 * again on every init: fetching per key was a third of what a new key
 * cost.  Not thread-safe: the first call must not race another (svrd's
 * data path is one thread; more would call this under
 * CRYPTO_THREAD_run_once). */
static EVP_CIPHER *aes_ecb, *aes_cbc;
static EVP_MAC *hmac_alg;

static bool algorithms(void)
{
	if (!aes_ecb)
		aes_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	if (!aes_cbc)
		aes_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (!hmac_alg)
		hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return aes_ecb && aes_cbc && hmac_alg;
}

void crypto_pkt_key_free(struct crypto_pkt_key *k)
{
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->ecb); /* cleanses the key schedules */
	EVP_CIPHER_CTX_free(k->enc);
	EVP_CIPHER_CTX_free(k->dec);
	EVP_MAC_CTX_free(k->hmac); /* cleanses the HMAC key state */
	OPENSSL_free(k);
}

struct crypto_pkt_key *crypto_pkt_key_new(const struct crypto_seal_key *sk)
{
	struct crypto_pkt_key *k;
	OSSL_PARAM p[2];

	if (!algorithms() || !(k = OPENSSL_zalloc(sizeof(*k)))) {
		ERR_clear_error();
		return NULL;
	}
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA384", 0);
	p[1] = OSSL_PARAM_construct_end();
	k->ecb = EVP_CIPHER_CTX_new();
	k->enc = EVP_CIPHER_CTX_new();
	k->dec = EVP_CIPHER_CTX_new();
	k->hmac = EVP_MAC_CTX_new(hmac_alg);
	if (!k->ecb || !k->enc || !k->dec || !k->hmac ||
	    EVP_EncryptInit_ex(k->ecb, aes_ecb, NULL, sk->enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(k->ecb, 0) != 1 ||
	    EVP_EncryptInit_ex(k->enc, aes_cbc, NULL, sk->enc, NULL) != 1 ||
	    EVP_DecryptInit_ex(k->dec, aes_cbc, NULL, sk->enc, NULL) != 1 ||
	    EVP_MAC_init(k->hmac, sk->mac, sizeof(sk->mac), p) != 1) {
		crypto_pkt_key_free(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

size_t crypto_pkt_len(size_t pt_len)
{
	return (pt_len / CRYPTO_AES_BLOCK + 1) * CRYPTO_AES_BLOCK + CRYPTO_PKT_SEQ + CRYPTO_PKT_TAG;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int iv_of(struct crypto_pkt_key *k, uint8_t dir, const uint8_t seq_be[8],
		 uint8_t iv[CRYPTO_AES_BLOCK])
{
	uint8_t block[CRYPTO_AES_BLOCK] = {dir};
	int n = 0;

	memcpy(block + 8, seq_be, 8);
	return EVP_EncryptUpdate(k->ecb, iv, &n, block, sizeof(block)) == 1 && n == CRYPTO_AES_BLOCK
		       ? 0
		       : -1;
}

/* The tag over aad | dir | ciphertext | sequence number.  The sequence
 * number always follows the ciphertext in the packet, so the two go to
 * the hash in one call: at 64 bytes, every call counts. */
static int tag_of(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
		  const uint8_t *ct_seq, size_t ct_len, uint8_t out[CRYPTO_SHA384_LEN])
{
	size_t n = 0;

	return EVP_MAC_init(k->hmac, NULL, 0, NULL) == 1 &&
			       (!aad_len || EVP_MAC_update(k->hmac, aad, aad_len) == 1) &&
			       EVP_MAC_update(k->hmac, &dir, 1) == 1 &&
			       EVP_MAC_update(k->hmac, ct_seq, ct_len + 8) == 1 &&
			       EVP_MAC_final(k->hmac, out, &n, CRYPTO_SHA384_LEN) == 1 &&
			       n == CRYPTO_SHA384_LEN
		       ? 0
		       : -1;
}

ssize_t crypto_pkt_seal(struct crypto_pkt_key *k, uint8_t dir, uint64_t seq, const uint8_t *aad,
			size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			size_t out_cap)
{
	uint8_t iv[CRYPTO_AES_BLOCK], seq_be[8], tag[CRYPTO_SHA384_LEN];
	size_t total = crypto_pkt_len(pt_len), ct_len = total - CRYPTO_PKT_SEQ - CRYPTO_PKT_TAG;
	int n1 = 0, n2 = 0;

	if (!k || out_cap < total || pt_len > (size_t)INT32_MAX)
		return -1;
	put64(seq_be, seq);
	if (iv_of(k, dir, seq_be, iv) < 0 ||
	    EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(k->enc, out, &n1, pt, (int)pt_len) != 1 ||
	    EVP_EncryptFinal_ex(k->enc, out + n1, &n2) != 1 || (size_t)(n1 + n2) != ct_len)
		return -1;
	memcpy(out + ct_len, seq_be, 8);
	if (tag_of(k, dir, aad, aad_len, out, ct_len, tag) < 0)
		return -1;
	memcpy(out + ct_len + 8, tag, CRYPTO_PKT_TAG);
	return (ssize_t)total;
}

bool crypto_pkt_seq(const uint8_t *in, size_t in_len, uint64_t *seq)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (in_len < CRYPTO_AES_BLOCK + CRYPTO_PKT_SEQ + CRYPTO_PKT_TAG)
		return false;
	p = in + in_len - CRYPTO_PKT_TAG - CRYPTO_PKT_SEQ;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*seq = v;
	return true;
}

ssize_t crypto_pkt_open(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
			const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap)
{
	uint8_t iv[CRYPTO_AES_BLOCK], tag[CRYPTO_SHA384_LEN];
	size_t ct_len;
	const uint8_t *seq_be;
	int n1 = 0, n2 = 0;

	if (!k || in_len < CRYPTO_AES_BLOCK + CRYPTO_PKT_SEQ + CRYPTO_PKT_TAG)
		return -1;
	ct_len = in_len - CRYPTO_PKT_SEQ - CRYPTO_PKT_TAG;
	if (ct_len % CRYPTO_AES_BLOCK != 0 || pt_cap < ct_len)
		return -1;
	seq_be = in + ct_len;
	/* authenticate before decrypting anything: no padding oracle */
	if (tag_of(k, dir, aad, aad_len, in, ct_len, tag) < 0 ||
	    !crypto_equal(tag, in + ct_len + 8, CRYPTO_PKT_TAG))
		return -1;
	if (iv_of(k, dir, seq_be, iv) < 0 ||
	    EVP_DecryptInit_ex(k->dec, NULL, NULL, NULL, iv) != 1 ||
	    EVP_DecryptUpdate(k->dec, pt, &n1, in, (int)ct_len) != 1 ||
	    EVP_DecryptFinal_ex(k->dec, pt + n1, &n2) != 1) {
		ERR_clear_error();
		crypto_wipe(pt, ct_len);
		return -2;
	}
	return n1 + n2;
}

bool crypto_pkt_verify(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
		       const uint8_t *in, size_t in_len)
{
	uint8_t tag[CRYPTO_SHA384_LEN];
	size_t ct_len;

	if (!k || in_len < CRYPTO_AES_BLOCK + CRYPTO_PKT_SEQ + CRYPTO_PKT_TAG)
		return false;
	ct_len = in_len - CRYPTO_PKT_SEQ - CRYPTO_PKT_TAG;
	return ct_len % CRYPTO_AES_BLOCK == 0 &&
	       tag_of(k, dir, aad, aad_len, in, ct_len, tag) == 0 &&
	       crypto_equal(tag, in + ct_len + 8, CRYPTO_PKT_TAG);
}

int crypto_pkt_retag(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
		     uint8_t *buf, size_t len)
{
	uint8_t tag[CRYPTO_SHA384_LEN];
	size_t ct_len;

	if (!k || len < CRYPTO_AES_BLOCK + CRYPTO_PKT_SEQ + CRYPTO_PKT_TAG)
		return -1;
	ct_len = len - CRYPTO_PKT_SEQ - CRYPTO_PKT_TAG;
	if (tag_of(k, dir, aad, aad_len, buf, ct_len, tag) < 0)
		return -1;
	memcpy(buf + ct_len + 8, tag, CRYPTO_PKT_TAG);
	return 0;
}
