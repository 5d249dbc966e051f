/* DOC: key engine (sans-I/O)
 *
 * The key exchange between this router and its peers, with no clock,
 * socket or file of its own: the caller feeds it received messages and the
 * current time, and takes out the messages to send, the next deadline,
 * and the keys.  That is what lets tests run hours of retransmissions in
 * microseconds and a thousand peers in one process.
 *
 * Per peer, in the seed's order (doc/protocol.md has the bytes):
 *   CERT     my certificate (DER), until CERT_ACK;  the peer's is validated
 *            for its peering-common-name and its key pinned
 *   SALT     a random salt, the (EC)DH algorithm and an ephemeral public
 *            value, signed with the certificate key, until SALT_ACK
 *   peer key = HKDF-SHA-384(DH secret, both salts, both peering names):
 *            AES-256 + HMAC-SHA-384, never sent
 *   MKEY     my metadata key (index, AES-256 key, HMAC-SHA-384 key) sealed
 *            with the peer key, until MKEY_ACK
 * When all six flags (cert, salt, key: received and acknowledged) are set
 * the peer is MKEY_EXCH_COMP.  Unacknowledged messages are sent again every
 * retransmit interval; a peer silent for the timeout is out of service and
 * is tried again every timeout.
 */
#ifndef SVR_KEX_H
#define SVR_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct pki_identity;
struct pki_trust;

enum kex_msg_type {
	KEX_CERT = 1,
	KEX_CERT_ACK = 2,
	KEX_SALT = 3,
	KEX_SALT_ACK = 4,
	KEX_MKEY = 5,
	KEX_MKEY_ACK = 6,
};

struct kex_config {
	const char *pcn;	       /* this router's peering-common-name */
	const struct pki_identity *id; /* this node's certificate and key */
	const struct pki_trust *trust; /* NULL or no CA: self-signed peers */
	enum crypto_kex alg;
	uint64_t retransmit_ms; /* peer-key-retransmit-interval */
	uint64_t timeout_ms;	/* peer-key-timeout */
	/* First salt generation and metadata key index; svrd uses the wall
	 * clock in seconds so that both keep growing across restarts (a peer
	 * takes only newer ones).  0 starts at 1. */
	uint32_t base;
	/* invalid-certificate-behavior fail-hard (else fail-soft: any
	 * certificate whose checkable signatures hold still peers, and the
	 * verdict is there for the alarm) */
	bool fail_hard;
	/* a trusted CA under validation-mode warn: a certificate from a CA
	 * that is not trusted is only reported, even under fail-hard */
	bool untrusted_ok;
};

/* A metadata key: what seals metadata sent to its owner. */
struct kex_mkey {
	uint32_t index;
	struct crypto_seal_key key;
};

struct kex_engine;

struct kex_engine *kex_new(const struct kex_config *cfg, uint64_t now_ms);
void kex_free(struct kex_engine *e);

/* Peers are numbered from 0 in the order they are added. */
int kex_add_peer(struct kex_engine *e, const char *pcn);

/* A message from peer p.  Bad, stale or unauthenticated messages are
 * dropped (counted); they never change state. */
void kex_input(struct kex_engine *e, int p, const uint8_t *msg, size_t len, uint64_t now_ms);
/* The wall clock (seconds since the epoch) certificates are judged by;
 * without it, now_ms / 1000 of the calls is taken as wall-clock time. */
void kex_set_wallclock(struct kex_engine *e, int64_t wall_s);
/* A path to peer p came up: send what is unacknowledged now rather than at
 * the next retransmission (the seed's "or upon interface state change"). */
void kex_path_up(struct kex_engine *e, int p, uint64_t now_ms);
/* Send what is due at now_ms. */
void kex_tick(struct kex_engine *e, uint64_t now_ms);
uint64_t kex_next_deadline(const struct kex_engine *e);

/* The next message to send: its peer and bytes (valid until the next call);
 * false when there is nothing to send. */
bool kex_output(struct kex_engine *e, int *p, const uint8_t **msg, size_t *len);

/* New peer keys with every peer: a fresh salt and ephemeral value each;
 * the peer answers with its own, and the previous key keeps opening
 * messages for 30 s. */
void kex_rekey(struct kex_engine *e, uint64_t now_ms);
/* Apply the certificate behaviour at wall-clock time wall_s: under
 * fail-hard, a peer whose pinned certificate has expired (or is not yet
 * valid) loses its keys and starts over from the certificates; a valid
 * certificate brings it back.  Returns how many peers were dropped. */
int kex_enforce(struct kex_engine *e, int64_t wall_s, uint64_t now_ms);
bool kex_fail_hard(const struct kex_engine *e);
void kex_set_fail_hard(struct kex_engine *e, bool fail_hard);
/* New timers take effect at the next retransmission. */
void kex_set_timers(struct kex_engine *e, uint64_t retransmit_ms, uint64_t timeout_ms);
/* A new key-exchange algorithm: certificates stay, every peer starts again
 * at the salt stage with a fresh value of the new kind.  The old peer keys
 * keep their metadata keys working until the new ones are agreed. */
void kex_set_alg(struct kex_engine *e, enum crypto_kex alg, uint64_t now_ms);
/* A new metadata key (index + 1), sent to every peer. */
void kex_regenerate(struct kex_engine *e, uint64_t now_ms);
uint32_t kex_local_index(const struct kex_engine *e);

struct kex_peer_state {
	const char *status; /* "CERT_EXCH" ... "MKEY_EXCH_COMP", "OUT_OF_SERVICE" */
	bool cert_rec, cert_ack, salt_rec, salt_ack, key_rec, key_ack;
	uint64_t salt, peer_salt;
	uint32_t key_index, peer_key_index;
	const char *cert_verdict; /* "valid", "expired", ... "none" */
	char cert_detail[160];
	uint64_t dropped;	/* messages refused */
	uint32_t gen;		/* our ephemeral generation with this peer */
	int64_t cert_not_after; /* of the pinned certificate; 0: none */
	uint64_t key_ms;	/* when the current peer key was made (0: none) */
};

void kex_peer_state(const struct kex_engine *e, int p, struct kex_peer_state *out);
const char *kex_peer_pcn(const struct kex_engine *e, int p);

/* Payload keys: seal a session key for peer p with p's current metadata
 * key; open one sealed for us (by our key index, the previous one still
 * accepted).  out holds index (4 bytes, big-endian) | sealed key. */
ssize_t kex_wrap(const struct kex_engine *e, int p, const uint8_t *key, size_t len, uint8_t *out,
		 size_t cap);
ssize_t kex_unwrap(const struct kex_engine *e, const uint8_t *in, size_t len, uint8_t *key,
		   size_t cap);

/* The datapath's keys: peer p's current metadata key (to seal metadata
 * for it), and ours of an index (the current or the previous one).  0, or
 * -1 when there is none.  The caller wipes the copy. */
int kex_peer_mkey(const struct kex_engine *e, int p, struct kex_mkey *out);
int kex_own_mkey(const struct kex_engine *e, uint32_t index, struct crypto_seal_key *out);

/* The peer key (doc/protocol.md): HKDF-SHA-384 with
 *   IKM  the (EC)DH secret of eph and peer_pub,
 *   salt the two 8-byte salts, the one of the peering name that sorts first
 *        (strcmp) first,
 *   info "opensvr peer key v1" NUL | first name | NUL | second name,
 * 80 bytes: the AES-256 key, then the HMAC-SHA-384 key. */
int kex_peer_key(const struct crypto_kex_key *eph, const uint8_t *peer_pub, size_t peer_pub_len,
		 const uint8_t salt[8], const uint8_t peer_salt[8], const char *pcn,
		 const char *peer_pcn, struct crypto_seal_key *out);

/* A session's payload key: made by the ingress router, wrapped for the
 * egress router with kex_wrap(), renewed every payload-key-rekey-interval
 * for long sessions. */
struct kex_payload_key {
	struct crypto_seal_key key;
	uint32_t generation;
	uint64_t created_ms;
};

int kex_payload_new(struct kex_payload_key *pk, uint64_t now_ms);
/* Is a new key due?  interval_ms 0 means never (payload-key-rekey-interval never). */
bool kex_payload_due(const struct kex_payload_key *pk, uint64_t now_ms, uint64_t interval_ms);
/* The next key of the session (generation + 1); the old one is wiped. */
int kex_payload_rotate(struct kex_payload_key *pk, uint64_t now_ms);

#endif
