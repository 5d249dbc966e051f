/* DOC: crypto wrapper
 *
 * The only door to OpenSSL for the rest of opensvr (with pki.h): nothing
 * outside engine/ includes an OpenSSL header.  Keeping the surface this
 * small is what lets the key engine be audited and fuzzed on its own.
 *
 * What the key hierarchy needs, and nothing more:
 *   - HKDF-SHA-384 (RFC 5869) to turn a (EC)DH secret and both salts into
 *     a peer key;
 *   - "seal"/"open": AES-256-CBC then HMAC-SHA-384 over the header, IV and
 *     ciphertext (encrypt-then-MAC), for the metadata keys a peer key
 *     carries and the payload keys a metadata key carries;
 *   - key agreement: X25519, or finite-field Diffie-Hellman in the RFC 7919
 *     named groups (ffdhe2048/3072/4096), whose public values are checked
 *     with the cheap named-group test instead of a full safe-prime check.
 * Every secret this file hands out lives in caller memory that the caller
 * wipes with crypto_wipe(); opaque keys wipe themselves when freed.
 */
#ifndef SVR_CRYPTO_H
#define SVR_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CRYPTO_SHA384_LEN  48
#define CRYPTO_AES_KEY_LEN 32
#define CRYPTO_AES_BLOCK   16
#define CRYPTO_KEX_MAX_PUB 512 /* ffdhe4096 */

/* The OpenSSL library version in use, e.g. "OpenSSL 3.0.19 1 Jul 2025". */
const char *crypto_version(void);
/* Overwrite secret memory in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);
/* Constant-time comparison; true when equal. */
bool crypto_equal(const void *a, const void *b, size_t len);
int crypto_random(void *buf, size_t len);

int crypto_hkdf_sha384(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
int crypto_sha384(const uint8_t *data, size_t len, uint8_t out[CRYPTO_SHA384_LEN]);
int crypto_hmac_sha384(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		       uint8_t out[CRYPTO_SHA384_LEN]);

/* A sealing key: AES-256 for secrecy, HMAC-SHA-384 for integrity. */
struct crypto_seal_key {
	uint8_t enc[CRYPTO_AES_KEY_LEN];
	uint8_t mac[CRYPTO_SHA384_LEN];
};

/* Bytes a sealed message of pt_len bytes takes: IV, padded ciphertext, tag. */
size_t crypto_sealed_len(size_t pt_len);
/* out = IV | AES-256-CBC(pt, PKCS#7) | HMAC-SHA-384(aad | IV | ciphertext).
 * The IV is random.  Returns the length written, or -1. */
ssize_t crypto_seal(const struct crypto_seal_key *k, const uint8_t *aad, size_t aad_len,
		    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap);
/* The reverse: -1 (and nothing in pt) when the tag does not verify, the
 * length is wrong or the padding is bad. */
ssize_t crypto_open(const struct crypto_seal_key *k, const uint8_t *aad, size_t aad_len,
		    const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap);
/* crypto_seal() and crypto_open() keep the contexts of the last keys they
 * used.  A key that is retired must be forgotten there: its contexts
 * (key schedules, HMAC state) and the copy that recognises it are wiped.
 * crypto_seal_cached() says whether k's are there (for tests). */
void crypto_seal_forget(const struct crypto_seal_key *k);
bool crypto_seal_cached(const struct crypto_seal_key *k);

/* ---- session packets ------------------------------------------------
 *
 * Every packet of a session after the metadata handshake (doc/protocol.md,
 * "Session packets"):
 *
 *   AES-256-CBC(pt, PKCS#7) | seq (8, big-endian) | tag (24)
 *
 * IV = AES-256-ECB(enc, dir | 0^7 | seq): derived, never sent, never drawn
 * from the RNG per packet, unpredictable without the key (NIST SP 800-38A
 * appendix C), and different in the two directions of a session, which
 * share its payload key.  tag = the first 24 bytes of
 * HMAC-SHA-384(mac, aad | dir | ciphertext | seq) (HMAC-SHA-384-192 as in
 * RFC 4868): 40 bytes of overhead on a 1000-byte datagram instead of 64.
 * Contexts are made once per key, so a packet costs no allocation. */
#define CRYPTO_PKT_SEQ 8
#define CRYPTO_PKT_TAG 24

struct crypto_pkt_key;

struct crypto_pkt_key *crypto_pkt_key_new(const struct crypto_seal_key *k);
void crypto_pkt_key_free(struct crypto_pkt_key *k);
/* Bytes a packet of pt_len bytes takes once protected. */
size_t crypto_pkt_len(size_t pt_len);
/* Protect pt as sequence number seq of direction dir (0 forward, 1
 * reverse); out may not overlap pt.  Returns the length written or -1. */
ssize_t crypto_pkt_seal(struct crypto_pkt_key *k, uint8_t dir, uint64_t seq, const uint8_t *aad,
			size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			size_t out_cap);
/* The sequence number a protected packet claims (not yet authenticated:
 * for the replay check before the tag is computed).  false when too short. */
bool crypto_pkt_seq(const uint8_t *in, size_t in_len, uint64_t *seq);
/* Authenticate, then decrypt.  -1 (nothing written) when the length is
 * wrong or the tag does not verify, -2 when the tag verifies but the
 * padding does not (a sender bug, not an attack). */
ssize_t crypto_pkt_open(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
			const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap);
/* For a relay that forwards a packet without reading it (a hub): true
 * when in's tag verifies over aad; nothing is decrypted. */
bool crypto_pkt_verify(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
		       const uint8_t *in, size_t in_len);
/* Recompute the tag of buf (ciphertext, sequence number, tag) in place
 * over new associated data: what a hub does after re-encoding a first
 * packet's metadata for the next peer.  The ciphertext is untouched.
 * 0, or -1 when buf is too short. */
int crypto_pkt_retag(struct crypto_pkt_key *k, uint8_t dir, const uint8_t *aad, size_t aad_len,
		     uint8_t *buf, size_t len);

enum crypto_kex {
	CRYPTO_KEX_X25519,
	CRYPTO_KEX_FFDHE2048,
	CRYPTO_KEX_FFDHE3072,
	CRYPTO_KEX_FFDHE4096,
};

struct crypto_kex_key;

const char *crypto_kex_name(enum crypto_kex alg);
/* An ephemeral key pair. */
struct crypto_kex_key *crypto_kex_generate(enum crypto_kex alg);
void crypto_kex_free(struct crypto_kex_key *k);
/* An X25519 key from its 32 private bytes (test vectors). */
struct crypto_kex_key *crypto_kex_x25519_from_private(const uint8_t priv[32]);
/* The public value to send; *len set.  0 or -1. */
int crypto_kex_public(const struct crypto_kex_key *k, uint8_t *out, size_t cap, size_t *len);
/* The shared secret with the peer's public value, which is checked first
 * (X25519: not a low-order point; FFDHE: 1 < y < p-1 in the named group).
 * 0 with *len set, or -1. */
int crypto_kex_derive(const struct crypto_kex_key *k, const uint8_t *peer, size_t peer_len,
		      uint8_t *secret, size_t cap, size_t *len);

#endif
