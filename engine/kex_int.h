/* The key engine's private header: its state and what its files share
 * (kex.h is the API).
 *
 *   kex.c       the engine and its peers: the state machine that the
 *               received messages, the clock and the operator drive
 *   kex_msg.c   the messages: their header, the queue of what is to be
 *               sent, the SALT and MKEY bodies, the per-peer budget for
 *               unauthenticated work
 *   kex_cert.c  certificates: validation of a peer's, refusals and their
 *               cache, key pins, the certificate behaviour (fail-hard or
 *               fail-soft), a new trust store
 *   kex_keys.c  the keys: the peer key's derivation, the metadata keys
 *               handed out, the tags of authenticated datagrams
 */
#ifndef SVR_KEX_INT_H
#define SVR_KEX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "kex.h"
#include "pki.h"

#define HDR	      8 /* version, type, length (2), generation (4) */
#define KEX_VERSION   1
#define SALT_LEN      8
#define SALT_FIXED    (SALT_LEN + 4 + 1) /* salt, echo, algorithm */
#define MKEY_PT_LEN   (4 + CRYPTO_AES_KEY_LEN + CRYPTO_SHA384_LEN)
#define MSG_MAX	      8192
#define KEX_SWITCH_MS 30000 /* the old peer key is accepted this long */
/* Unauthenticated work (a certificate to validate, a signature to verify,
 * a certificate or salt sent in answer) costs a token of the peer's
 * bucket: 20 at once, then 10 a second (GCRA: a theoretical arrival time
 * that runs ahead of the clock by at most BURST). */
#define COST_MS	      100
#define BURST_MS      2000
#define VERDICT_CACHE 4	    /* refused certificates remembered per peer ... */
#define VERDICT_MS    60000 /* ... this long (wall clock) */
#define AUTH_LABEL    "opensvr path auth v1"

struct out_msg {
	int peer;
	size_t len;
	uint8_t *buf;
};

/* A certificate refused lately: the same bytes again cost one hash. */
struct verdict_entry {
	uint8_t hash[CRYPTO_SHA384_LEN];
	char verdict[32];
	char detail[160];
	int64_t wall_s; /* 0: empty */
};

struct kex_peer {
	char *pcn;
	struct pki_peer *pinned; /* the certificate the current keys rest on */
	uint8_t *pinned_der;	 /* kept to validate it again (a new CRL) */
	size_t pinned_der_len;
	char verdict[32];
	char detail[160];
	uint8_t cert_hash[CRYPTO_SHA384_LEN]; /* of the certificate we acked */
	/* the key pin: configured, persisted from a first use, or accepted by
	 * the operator; a certificate with another key is refused */
	uint8_t pin[PKI_FP_LEN];
	bool have_pin, pin_configured, pin_learned;
	/* the last certificate refused for its key (for the operator to accept) */
	uint8_t offered[PKI_FP_LEN];
	uint8_t *offered_der;
	size_t offered_len;
	bool key_conflict;
	/* the last certificate refused for being invalid, while another is pinned */
	char refused[32];
	char refused_detail[160];
	/* a valid certificate with a new key: it replaces the pinned one only
	 * once a SALT signed with its key comes in */
	struct pki_peer *pending;
	uint8_t *pending_der;
	size_t pending_der_len;
	struct verdict_entry cache[VERDICT_CACHE];
	uint64_t tat;		 /* the bucket's theoretical arrival time */
	uint64_t rate_limited;	 /* unauthenticated messages not handled */
	uint64_t unauth_dropped; /* what only an authenticated datagram may do */
	uint64_t certs_in, certs_answered;
	bool cert_rec, cert_ack, salt_rec, salt_ack, key_rec, key_ack;
	/* our ephemeral for this peer */
	struct crypto_kex_key *eph;
	uint32_t gen;
	uint8_t salt[SALT_LEN];
	uint32_t salt_echo; /* the peer generation our SALT answers, 0: none */
	/* the peer's */
	uint32_t peer_gen;
	uint8_t peer_salt[SALT_LEN];
	uint8_t peer_pub[CRYPTO_KEX_MAX_PUB];
	size_t peer_pub_len;
	bool have_key;
	uint64_t key_ms;
	struct crypto_seal_key peer_key;
	uint32_t key_gen, key_peer_gen; /* the ephemerals the peer key was made of */
	/* the key before the last rekey, still accepted for KEX_SWITCH_MS */
	struct crypto_seal_key prev_key;
	uint32_t prev_gen, prev_peer_gen;
	uint64_t prev_until;
	/* datagram authentication keys, from the peer keys above */
	/* [0] for what we send, [1] for what the peer sends: a datagram
	 * reflected back to its sender never verifies */
	uint8_t auth[2][CRYPTO_SHA384_LEN], prev_auth[2][CRYPTO_SHA384_LEN];
	bool auth_heard; /* the peer has shown it holds the current key */
	struct kex_mkey peer_mkey;
	bool mkey_changed;   /* since the last key event for it (kex_key_event) */
	uint32_t mkey_under; /* the peer generation of the key peer_mkey came under */
	/* timers */
	uint64_t next_send;  /* retransmission of what is unacknowledged */
	uint64_t last_heard; /* last valid message */
	bool out_of_service;
	bool started;
	uint64_t dropped;
};

struct kex_engine {
	struct kex_config cfg;
	char *pcn;
	struct kex_mkey mkey, prev_mkey;
	bool have_prev;
	/* key events not taken yet (kex_key_event): ours changed, and how
	 * many peers' changed (each marked mkey_changed) */
	bool own_changed, prev_changed;
	int peers_changed;
	struct kex_peer *peers;
	int npeers;
	struct out_msg *q;
	size_t qn, qcap, qhead;
	uint8_t *last_out;
	int64_t wall_s;	     /* 0: take now_ms as wall-clock time */
	uint64_t now;	     /* of the input being handled */
	bool auth_in;	     /* ... and whether its datagram was authenticated */
	uint32_t counter[2]; /* without cfg.next_number: generations, indexes */
	uint64_t no_number;  /* new keys not made: the counter could not advance */
};

/* Big-endian fields of the messages. */
static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- kex.c ---- */

/* Must the peer's datagrams carry a tag? (see kex.c) */
bool kx_peer_keyed(const struct kex_peer *pr, uint64_t now);
/* Forget the keys and the certificate they rest on (not the key pin). */
void kx_reset_peer(struct kex_engine *e, struct kex_peer *pr);
/* The keys made with the peer, not the certificate: a new one came. */
void kx_reset_keys(struct kex_engine *e, struct kex_peer *pr);
/* The peer's metadata key came or went: a key event is due. */
static inline void kx_mkey_changed(struct kex_engine *e, struct kex_peer *pr)
{
	if (!pr->mkey_changed)
		e->peers_changed++;
	pr->mkey_changed = true;
}
/* Our ephemeral and salt for the peer, made once per generation. */
void kx_start_salt(struct kex_engine *e, struct kex_peer *pr);

/* ---- kex_msg.c ---- */

/* A message of type for peer p, with generation gen, onto the queue. */
void kx_queue(struct kex_engine *e, int p, uint8_t type, uint32_t gen, const uint8_t *body,
	      size_t blen);
void kx_send_salt(struct kex_engine *e, int p);
void kx_send_mkey(struct kex_engine *e, int p);
/* Send whatever this peer has not acknowledged yet. */
void kx_send_pending(struct kex_engine *e, int p);
/* May the peer's unauthenticated message cost us work now? */
bool kx_bucket_take(struct kex_peer *pr, uint64_t now);
/* What the signature of a SALT covers, into buf (0: too long). */
size_t kx_salt_signed(const char *from, const char *to, uint32_t gen, const uint8_t *fixed,
		      const uint8_t *pub, size_t publen, uint8_t *buf, size_t cap);

/* ---- kex_keys.c ---- */

/* The peer key from our ephemeral and the peer's public value. */
int kx_derive(struct kex_engine *e, struct kex_peer *pr);

/* ---- kex_cert.c ---- */

/* A CERT from peer p (is_reply: an answer to ours, not to be answered). */
void kx_on_cert(struct kex_engine *e, int p, const uint8_t *der, size_t len, uint64_t now,
		bool is_reply);
/* The pending certificate replaces the pinned one (see kex_cert.c). */
void kx_promote(struct kex_engine *e, struct kex_peer *pr);
/* A key pin in hex. */
void kx_hexfp(const uint8_t *fp, char *out, size_t cap);
/* *der becomes a copy of from (NULL, 0: nothing). */
void kx_set_der(uint8_t **der, size_t *len, const uint8_t *from, size_t flen);

#endif
