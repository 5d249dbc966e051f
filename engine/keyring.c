/* The keyring (keyring.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyring.h"

struct slot {
	bool have;
	struct kex_mkey k;
};

struct keyring {
	struct slot own, prev;
	struct slot *peers;
	int npeers; /* slots allocated */
};

struct keyring *keyring_new(void)
{
	return calloc(1, sizeof(struct keyring));
}

static void slot_set(struct slot *s, bool have, const struct kex_mkey *k)
{
	crypto_wipe(s, sizeof(*s));
	if (have) {
		s->k = *k;
		s->have = true;
	}
}

void keyring_clear(struct keyring *r)
{
	if (!r)
		return;
	crypto_wipe(&r->own, sizeof(r->own));
	crypto_wipe(&r->prev, sizeof(r->prev));
	if (r->peers)
		crypto_wipe(r->peers, (size_t)r->npeers * sizeof(*r->peers));
}

void keyring_free(struct keyring *r)
{
	if (!r)
		return;
	keyring_clear(r);
	free(r->peers);
	free(r);
}

/* Room for peer p's slot. */
static struct slot *peer_slot(struct keyring *r, int p)
{
	struct slot *v;
	int n;

	if (p < 0 || p >= KEYRING_MAX_PEERS)
		return NULL;
	if (p < r->npeers)
		return &r->peers[p];
	n = r->npeers ? r->npeers : 16;
	while (n <= p)
		n *= 2;
	/* a new block rather than realloc: the old one is wiped, not left
	 * behind in the heap with keys in it */
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return NULL;
	if (r->peers) {
		memcpy(v, r->peers, (size_t)r->npeers * sizeof(*v));
		crypto_wipe(r->peers, (size_t)r->npeers * sizeof(*v));
		free(r->peers);
	}
	r->peers = v;
	r->npeers = n;
	return &r->peers[p];
}

int keyring_take(struct keyring *r, const struct kex_key_event *ev)
{
	struct slot *s;

	if (!r || !ev)
		return -1;
	switch (ev->slot) {
	case KEX_KEY_OWN:
		slot_set(&r->own, ev->have, &ev->key);
		return 0;
	case KEX_KEY_OWN_PREV:
		slot_set(&r->prev, ev->have, &ev->key);
		return 0;
	case KEX_KEY_PEER:
		s = peer_slot(r, ev->peer);
		if (!s) {
			if (ev->peer >= 0 && ev->peer < r->npeers)
				slot_set(&r->peers[ev->peer], false, NULL);
			return -1;
		}
		slot_set(s, ev->have, &ev->key);
		return 0;
	}
	return -1;
}

const struct kex_mkey *keyring_peer(const struct keyring *r, int p)
{
	if (!r || p < 0 || p >= r->npeers || !r->peers[p].have)
		return NULL;
	return &r->peers[p].k;
}

const struct crypto_seal_key *keyring_own(const struct keyring *r, uint32_t index)
{
	if (!r)
		return NULL;
	if (r->own.have && r->own.k.index == index)
		return &r->own.k.key;
	if (r->prev.have && r->prev.k.index == index)
		return &r->prev.k.key; /* sealed before our switch-over reached the sender */
	return NULL;
}

ssize_t keyring_wrap_with(const struct kex_mkey *k, const uint8_t *key, size_t len, uint8_t *out,
			  size_t cap)
{
	ssize_t n;

	if (!k || cap < 4)
		return -1;
	out[0] = (uint8_t)(k->index >> 24);
	out[1] = (uint8_t)(k->index >> 16);
	out[2] = (uint8_t)(k->index >> 8);
	out[3] = (uint8_t)k->index;
	n = crypto_seal(&k->key, out, 4, key, len, out + 4, cap - 4);
	return n < 0 ? -1 : n + 4;
}

ssize_t keyring_wrap(const struct keyring *r, int p, const uint8_t *key, size_t len, uint8_t *out,
		     size_t cap)
{
	return keyring_wrap_with(keyring_peer(r, p), key, len, out, cap);
}

ssize_t keyring_unwrap(const struct keyring *r, const uint8_t *in, size_t len, uint8_t *key,
		       size_t cap)
{
	const struct crypto_seal_key *k;

	if (len < 4)
		return -1;
	k = keyring_own(r, (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 |
				   in[3]);
	return k ? crypto_open(k, in, 4, in + 4, len - 4, key, cap) : -1;
}
