/* The datapath harness; see dpharness.h. */
#include "config.h"

#include <string.h>

#include "dpharness.h"
#include "keyring.h"

void dph_keys_init(struct dph_keys *k, uint32_t own_index, int fill)
{
	memset(k, 0, sizeof(*k));
	if (fill < 0)
		crypto_random(&k->own, sizeof(k->own));
	else
		memset(&k->own, fill, sizeof(k->own));
	k->own_index = own_index;
}

/* One slot's key event, as the key engine gives it. */
static void push(struct dp *dp, enum kex_key_slot slot, int peer, bool have, uint32_t index,
		 const struct crypto_seal_key *key)
{
	struct kex_key_event ev = {.slot = slot, .peer = peer, .have = have};

	if (have) {
		ev.key.index = index;
		ev.key.key = *key;
	}
	dp_key_event(dp, &ev);
	crypto_wipe(&ev, sizeof(ev));
}

void dph_knows(struct dph_keys *k, int peer, const struct dph_keys *other)
{
	k->peer[peer] = other->own;
	k->peer_index[peer] = other->own_index;
	k->have_peer[peer] = true;
	if (k->dp)
		push(k->dp, KEX_KEY_PEER, peer, true, other->own_index, &other->own);
}

void dph_push(const struct dph_keys *k)
{
	if (!k->dp)
		return;
	dp_keys_clear(k->dp);
	push(k->dp, KEX_KEY_OWN, -1, true, k->own_index, &k->own);
	for (int p = 0; p < DPH_PEERS; p++)
		if (k->have_peer[p])
			push(k->dp, KEX_KEY_PEER, p, true, k->peer_index[p], &k->peer[p]);
}

struct dp *dph_router(struct dph_keys *k, const char *router)
{
	k->dp = dp_new(router);
	dph_push(k);
	return k->dp;
}

ssize_t dph_wrap_for(const struct crypto_seal_key *k, uint32_t index, const uint8_t *key,
		     size_t len, uint8_t *out, size_t cap)
{
	struct kex_mkey mk = {.index = index, .key = *k};
	ssize_t n = keyring_wrap_with(&mk, key, len, out, cap);

	crypto_wipe(&mk, sizeof(mk));
	return n;
}
