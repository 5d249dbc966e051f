/* DOC: the datapath harness shared by the unit tests, the fuzz targets
 * and the benchmark
 *
 * svrd pushes the key engine's key changes into its datapath
 * (dp_key_event); the tests, fuzz targets and benchmarks that run
 * datapaths in one process hold each router's keys in a struct dph_keys
 * and push them the same way.  Sealing, opening and wrapping are the
 * datapath's own (engine/keyring.h): only where the keys come from is the
 * harness's.
 *
 * A router's keys: its own metadata key and index, and for each peer
 * number the peer's (what the key exchange leaves it with).  A peer
 * number without have_peer set has no key yet: the datapath drops what
 * needs one as DP_DROP_NO_KEY.  A test that changes these fields (a key
 * withdrawn, an index moved on, peers renumbered) pushes them again
 * with dph_push, as the engine's key events would. */
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
	struct dp *dp; /* the datapath they are pushed to (dph_router) */
};

/* Zeroed, with our metadata key: random when fill < 0, else every byte
 * fill (a fuzz target wants the same keys every run). */
void dph_keys_init(struct dph_keys *k, uint32_t own_index, int fill);
/* k has the metadata key of the router whose keys are other as its peer
 * number peer, as the key exchange leaves them (pushed when k has a
 * datapath). */
void dph_knows(struct dph_keys *k, int peer, const struct dph_keys *other);
/* A datapath named router holding k's keys (NULL when out of memory);
 * k's keys go to it from now on. */
struct dp *dph_router(struct dph_keys *k, const char *router);
/* k's keys pushed to its datapath again, as they are now: every key it
 * held before forgotten. */
void dph_push(const struct dph_keys *k);
/* A payload key wrapped for the router whose metadata key of that index
 * is k (a fuzz target forges what a peer sends). */
ssize_t dph_wrap_for(const struct crypto_seal_key *k, uint32_t index, const uint8_t *key,
		     size_t len, uint8_t *out, size_t cap);

#endif
