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
 *
 * Trust (doc/security.md): a certificate that fails validation is never
 * pinned and never yields a key; without a trusted CA its key must be the
 * one pinned for the peer (configured, first seen, or accepted by the
 * operator); a new key a CA vouches for waits for a SALT signed with it.
 * Once both sides hold a peer key, datagrams carry a tag (kex_auth_*,
 * engine/peerpkt.h) and an untagged one can only carry messages that prove
 * themselves; unauthenticated work is rate limited per peer.  Generations
 * and metadata-key indexes come from a counter that never goes back.
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

/* The two counters a key engine draws from (see kex_config.next_number). */
enum kex_number { KEX_NUMBER_GEN = 0, KEX_NUMBER_INDEX = 1 };

struct kex_config {
	const char *pcn;	       /* this router's peering-common-name */
	const struct pki_identity *id; /* this node's certificate and key */
	const struct pki_trust *trust; /* NULL or no CA: self-signed peers */
	enum crypto_kex alg;
	uint64_t retransmit_ms; /* peer-key-retransmit-interval */
	uint64_t timeout_ms;	/* peer-key-timeout */
	/* Without next_number: the first salt generation and metadata key
	 * index, counted in memory (0 starts at 1). */
	uint32_t base;
	/* invalid-certificate-behavior fail-hard: a peer whose certificate
	 * expires or is revoked after it was authenticated loses its keys
	 * (fail-soft keeps them and the verdict raises an alarm), and an
	 * unreadable CRL fails validation.  A certificate that fails
	 * validation is never taken under either behaviour. */
	bool fail_hard;
	/* a trusted CA under validation-mode warn: a certificate no trusted
	 * CA vouches for is pinned on first use, as without a CA */
	bool untrusted_ok;
	/* Generations and metadata-key indexes: each new one is the next
	 * value of a counter that never goes back (svrd: lib/pcounter.h in the
	 * state dir), so no restart or clock step can make a peer take us for
	 * a replay.  0, or -1 when none can be had: then nothing new is made
	 * (fail closed).  NULL: counted in memory from base. */
	int (*next_number)(void *arg, enum kex_number kind, uint32_t *out);
	void *number_arg;
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

/* A message from peer p; authenticated when its datagram carried a valid
 * tag (kex_auth_check).  Bad, stale or replayed messages are dropped
 * (counted); they never change state.  Once a peer key exists, a message
 * from an unauthenticated datagram is taken only if it proves itself (a
 * certificate that validates and matches the pin, a SALT signed with the
 * pinned key, a metadata key sealed with the peer key); acknowledgements
 * need an authenticated datagram.  Work for unauthenticated messages
 * (validating, verifying, answering) is limited per peer: 20 at once, 10 a
 * second; a certificate refused in the last minute is refused again for
 * the price of a hash. */
void kex_input(struct kex_engine *e, int p, const uint8_t *msg, size_t len, bool authenticated,
	       uint64_t now_ms);
/* The wall clock (seconds since the epoch) certificates are judged by;
 * without it, now_ms / 1000 of the calls is taken as wall-clock time. */
void kex_set_wallclock(struct kex_engine *e, int64_t wall_s);
/* A path to peer p came up: send what is unacknowledged now rather than at
 * the next retransmission (the seed's "or upon interface state change"). */
void kex_path_up(struct kex_engine *e, int p, uint64_t now_ms);
/* Send what is due at now_ms. */
void kex_tick(struct kex_engine *e, uint64_t now_ms);
/* When kex_tick next has something to do: a retransmission, or a peer's
 * timeout (out of service).  Before it kex_tick does nothing; a peer not
 * ticked yet is due at once (0); UINT64_MAX when every peer is complete.
 * Input, kex_rekey, kex_regenerate and the other calls may bring it
 * forward: ask again after them. */
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
/* A new metadata key (the next index), sent to every peer; -1 (the key
 * unchanged) when the counter cannot give an index. */
int kex_regenerate(struct kex_engine *e, uint64_t now_ms);
uint32_t kex_local_index(const struct kex_engine *e);

struct kex_peer_state {
	const char *status; /* "CERT_EXCH" ... "MKEY_EXCH_COMP", "OUT_OF_SERVICE" */
	bool cert_rec, cert_ack, salt_rec, salt_ack, key_rec, key_ack;
	uint64_t salt, peer_salt;
	uint32_t key_index, peer_key_index;
	/* metadata keys held: ours that open what this peer sends (the
	 * current and, after a regeneration, the previous), and the peer's */
	unsigned keys_held, peer_keys_held;
	const char *cert_verdict; /* "valid", "expired", ... "none" */
	char cert_detail[160];
	uint64_t dropped;	     /* messages refused */
	uint32_t gen;		     /* our ephemeral generation with this peer */
	int64_t cert_not_after;	     /* of the pinned certificate; 0: none */
	uint64_t key_ms;	     /* when the current peer key was made (0: none) */
	bool chained;		     /* a trusted CA vouches for the pinned certificate */
	char pinned_fp[2 * 32 + 1];  /* the key pin (hex SHA-256), "" none */
	bool pin_configured;	     /* from the configuration */
	bool key_conflict;	     /* a valid certificate with another key came */
	char offered_fp[2 * 32 + 1]; /* ... with this key */
	char refused[32];	     /* the last certificate refused, why */
	char refused_detail[160];
	uint64_t rate_limited;	 /* unauthenticated messages over the limit */
	uint64_t unauth_dropped; /* acknowledgements without a valid tag */
	uint64_t certs_in;	 /* certificates received */
	uint64_t certs_answered; /* ... and answered with ours */
};

void kex_peer_state(const struct kex_engine *e, int p, struct kex_peer_state *out);
const char *kex_peer_pcn(const struct kex_engine *e, int p);

/* Key events: the engine says when the metadata keys the datapath needs
 * change, and the datapath holds them (engine/keyring.h) rather than
 * asking.  Each event gives one slot's new content: our current key
 * (KEX_KEY_OWN), our previous one, still opening what was sealed before
 * the switch-over reached a peer (KEX_KEY_OWN_PREV), or peer p's current
 * key (KEX_KEY_PEER).  have false: the slot is empty now, its key retired
 * (wipe the copy).  Take them after every call that may change keys, as
 * kex_output's messages (kex_input, kex_tick, kex_regenerate, kex_rekey,
 * kex_enforce, kex_set_trust, ...).  A new engine's events say what each
 * of its slots holds: its metadata key, no previous one, and no key for
 * each peer as it is added.  false: none left. */
enum kex_key_slot { KEX_KEY_OWN, KEX_KEY_OWN_PREV, KEX_KEY_PEER };
struct kex_key_event {
	enum kex_key_slot slot;
	int peer; /* KEX_KEY_PEER: whose */
	bool have;
	struct kex_mkey key; /* when have; the taker wipes its copy */
};
bool kex_key_event(struct kex_engine *e, struct kex_key_event *out);
/* Every slot that holds a key gives an event again (a new taker). */
void kex_key_resend(struct kex_engine *e);

/* The peer key (doc/protocol.md): HKDF-SHA-384 with
 *   IKM  the (EC)DH secret of eph and peer_pub,
 *   salt the two 8-byte salts, the one of the peering name that sorts first
 *        (strcmp) first,
 *   info "opensvr peer key v1" NUL | first name | NUL | second name,
 * 80 bytes: the AES-256 key, then the HMAC-SHA-384 key. */
int kex_peer_key(const struct crypto_kex_key *eph, const uint8_t *peer_pub, size_t peer_pub_len,
		 const uint8_t salt[8], const uint8_t peer_salt[8], const char *pcn,
		 const char *peer_pcn, struct crypto_seal_key *out);

/* ---- key pins (trust on first use) ---------------------------------------
 *
 * A certificate no trusted CA vouches for is taken only for the key pinned
 * for the peer: the configured fingerprint, or the first key seen (which
 * svrd persists), or one the operator accepted.  Another key is refused
 * with verdict "key changed" until the operator accepts it.  A CA vouching
 * for a new key replaces a learned pin, never a configured one. */

/* Pin peer p to the SHA-256 of a SubjectPublicKeyInfo (NULL: no pin). */
void kex_set_pin(struct kex_engine *e, int p, const uint8_t fp[32], bool configured);
/* A pin learned (first use, accepted, or a CA's new key) since the last
 * call, for the caller to persist: true with p and fp. */
bool kex_take_learned_pin(struct kex_engine *e, int *p, uint8_t fp[32]);
/* The operator accepts the key peer p was refused for: it becomes the pin
 * and the refused certificate is taken at once.  -1 when none was refused
 * (or the pin is configured: change the configuration instead). */
int kex_accept_key(struct kex_engine *e, int p, uint64_t now_ms);
/* A new trust store (a changed revocation list): pinned certificates are
 * validated again; one that fails keeps its keys under fail-soft (the
 * verdict says why) and loses them under fail-hard. */
void kex_set_trust(struct kex_engine *e, const struct pki_trust *t, int64_t wall_s,
		   uint64_t now_ms);

/* ---- authenticated datagrams ------------------------------------------------
 *
 * Once a peer key exists, every datagram to the peer (BFD and key
 * exchange) carries a tag: HMAC-SHA-384 (truncated to 16 bytes) under a
 * key derived from the peer key, named by the sender's generation of it
 * (doc/protocol.md).  The previous key's tag is accepted for 30 s after a
 * rekey, and is the one sent until the peer shows it holds the new key. */
#define KEX_TAG_LEN 16
enum kex_auth { KEX_AUTH_NONE, KEX_AUTH_OK, KEX_AUTH_BAD };

/* Must peer p's datagrams carry a tag?  Once both sides hold a key (the
 * exchange completed, or the peer tagged with it, or a rekey is under way);
 * until then the peer's untagged datagrams are taken as before. */
bool kex_auth_required(const struct kex_engine *e, int p);
/* The id of the key kex_auth_tag uses now (0: none). */
uint32_t kex_auth_key_id(const struct kex_engine *e, int p, uint64_t now_ms);
/* The tag of a datagram to peer p: false when there is no key yet. */
bool kex_auth_tag(const struct kex_engine *e, int p, const uint8_t *data, size_t len,
		  uint64_t now_ms, uint32_t *key_id, uint8_t tag[KEX_TAG_LEN]);
/* Check a datagram from peer p: NONE when there is no key to check it
 * with, OK, or BAD (a wrong tag, or a key we do not hold). */
enum kex_auth kex_auth_check(struct kex_engine *e, int p, uint32_t key_id, const uint8_t *data,
			     size_t len, const uint8_t tag[KEX_TAG_LEN], uint64_t now_ms);

#endif
