/* DOC: the datapath harness shared by the unit tests, the fuzz targets
 * and the benchmark
 *
 * The datapath asks for its keys through struct dp_keys; svrd maps that
 * onto the key engine, and the tests, fuzz targets and benchmarks that
 * run datapaths in one process map it onto this: each router's metadata
 * keys held in a struct dph_keys, sealed and opened with the engine's
 * real crypto, wrapped payload keys in kex_wrap's format (the receiver's
 * key index, 4 bytes, then crypto_seal of the key with the index as
 * associated data).  Only where the keys come from is the harness's.
 *
 * A router's keys: its own metadata key and index, and for each peer
 * number the peer's (what the key exchange leaves it with).  A peer
 * number without have_peer set has no key yet: the datapath drops what
 * needs one as DP_DROP_NO_KEY.  Tests change these fields as they go (a
 * key withdrawn, an index moved on, peers renumbered). */
#ifndef SVR_DPHARNESS_H
#define SVR_DPHARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "datapath.h"

#define DPH_PEERS 8

struct dph_keys {
	struct crypto_seal_key own, peer[DPH_PEERS]; /* our metadata key, the peers' */
	uint32_t own_index, peer_index[DPH_PEERS];
	bool have_peer[DPH_PEERS];
};

/* Zeroed, with our metadata key: random when fill < 0, else every byte
 * fill (a fuzz target wants the same keys every run). */
void dph_keys_init(struct dph_keys *k, uint32_t own_index, int fill);
/* k has the metadata key of the router whose keys are other as its peer
 * number peer, as the key exchange leaves them. */
void dph_knows(struct dph_keys *k, int peer, const struct dph_keys *other);
/* A datapath named router whose keys are k's (NULL when out of memory). */
struct dp *dph_router(struct dph_keys *k, const char *router);

/* The struct dp_keys callbacks, arg a struct dph_keys. */
int dph_peer_mkey(void *arg, int peer, struct crypto_seal_key *k, uint32_t *index);
int dph_own_mkey(void *arg, uint32_t index, struct crypto_seal_key *k);
ssize_t dph_wrap(void *arg, int peer, const uint8_t *key, size_t len, uint8_t *out, size_t cap);
ssize_t dph_unwrap(void *arg, const uint8_t *in, size_t len, uint8_t *key, size_t cap);
/* A payload key wrapped as dph_wrap does, for the router whose metadata
 * key of that index is k (a fuzz target forges what a peer sends). */
ssize_t dph_wrap_for(const struct crypto_seal_key *k, uint32_t index, const uint8_t *key,
		     size_t len, uint8_t *out, size_t cap);

#endif
