/* The datapath harness; see dpharness.h. */
#include "config.h"

#include <string.h>

#include "dpharness.h"

void dph_keys_init(struct dph_keys *k, uint32_t own_index, int fill)
{
	memset(k, 0, sizeof(*k));
	if (fill < 0)
		crypto_random(&k->own, sizeof(k->own));
	else
		memset(&k->own, fill, sizeof(k->own));
	k->own_index = own_index;
}

void dph_knows(struct dph_keys *k, int peer, const struct dph_keys *other)
{
	k->peer[peer] = other->own;
	k->peer_index[peer] = other->own_index;
	k->have_peer[peer] = true;
}

struct dp *dph_router(struct dph_keys *k, const char *router)
{
	struct dp_keys dk = {k, dph_peer_mkey, dph_own_mkey, dph_wrap, dph_unwrap};

	return dp_new(&dk, router);
}

int dph_peer_mkey(void *arg, int peer, struct crypto_seal_key *k, uint32_t *index)
{
	const struct dph_keys *rk = arg;

	if (peer < 0 || peer >= DPH_PEERS || !rk->have_peer[peer])
		return -1;
	*k = rk->peer[peer];
	*index = rk->peer_index[peer];
	return 0;
}

int dph_own_mkey(void *arg, uint32_t index, struct crypto_seal_key *k)
{
	const struct dph_keys *rk = arg;

	if (index != rk->own_index)
		return -1;
	*k = rk->own;
	return 0;
}

/* kex_wrap's format: index (4) | crypto_seal(key, aad = index) */
ssize_t dph_wrap_for(const struct crypto_seal_key *k, uint32_t index, const uint8_t *key,
		     size_t len, uint8_t *out, size_t cap)
{
	ssize_t n;

	if (cap < 4)
		return -1;
	out[0] = (uint8_t)(index >> 24);
	out[1] = (uint8_t)(index >> 16);
	out[2] = (uint8_t)(index >> 8);
	out[3] = (uint8_t)index;
	n = crypto_seal(k, out, 4, key, len, out + 4, cap - 4);
	return n < 0 ? -1 : n + 4;
}

ssize_t dph_wrap(void *arg, int peer, const uint8_t *key, size_t len, uint8_t *out, size_t cap)
{
	const struct dph_keys *rk = arg;

	if (peer < 0 || peer >= DPH_PEERS || !rk->have_peer[peer])
		return -1;
	return dph_wrap_for(&rk->peer[peer], rk->peer_index[peer], key, len, out, cap);
}

ssize_t dph_unwrap(void *arg, const uint8_t *in, size_t len, uint8_t *key, size_t cap)
{
	const struct dph_keys *rk = arg;
	uint32_t index;

	if (len < 4)
		return -1;
	index = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
	if (index != rk->own_index)
		return -1;
	return crypto_open(&rk->own, in, 4, in + 4, len - 4, key, cap);
}
