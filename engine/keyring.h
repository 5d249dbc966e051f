/* DOC: the keyring: the metadata keys a datapath holds
 *
 * The key engine says when the metadata keys change (kex_key_event); a
 * keyring takes those events and holds what a datapath needs: our current
 * and previous keys, by index, to open metadata and payload keys sealed
 * for us, and each peer's current key, to seal for it.  The engine pushes,
 * the keyring holds: nothing on the packet path calls back into svrd or
 * the engine, so a datapath on worker threads can take its own copy.
 *
 * Payload keys travel wrapped in the metadata (TLV 46): the receiver's
 * key index (4 bytes, big-endian), then crypto_seal of the key with those
 * 4 bytes as associated data (doc/protocol.md).
 *
 * Keys are wiped when replaced, retired or cleared. */
#ifndef SVR_KEYRING_H
#define SVR_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kex.h"

/* The most peers a keyring holds keys for (numbers 0 ..). */
#define KEYRING_MAX_PEERS 65536

struct keyring;

struct keyring *keyring_new(void);
void keyring_free(struct keyring *r);
/* Take one key event: 0, or -1 (a peer number out of range, no memory;
 * the slot is then empty, never stale). */
int keyring_take(struct keyring *r, const struct kex_key_event *ev);
/* Forget every key (key management stopped, or the engine was replaced). */
void keyring_clear(struct keyring *r);
/* Peer p's current key, NULL when it has none. */
const struct kex_mkey *keyring_peer(const struct keyring *r, int p);
/* Ours of that index (the current or the previous), NULL when neither. */
const struct crypto_seal_key *keyring_own(const struct keyring *r, uint32_t index);

/* A payload key wrapped for peer p (with its current key), into out: its
 * length, or -1 when p has no key or cap is too small. */
ssize_t keyring_wrap(const struct keyring *r, int p, const uint8_t *key, size_t len, uint8_t *out,
		     size_t cap);
/* The same with a given metadata key (what a test forges as a peer). */
ssize_t keyring_wrap_with(const struct kex_mkey *k, const uint8_t *key, size_t len, uint8_t *out,
			  size_t cap);
/* A payload key wrapped for us, opened: its length, or -1 (not ours, not
 * authentic). */
ssize_t keyring_unwrap(const struct keyring *r, const uint8_t *in, size_t len, uint8_t *key,
		       size_t cap);

#endif
