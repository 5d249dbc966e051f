/* The key engine's key events (kex.h): every change of a metadata key the
 * datapath needs is pushed, once, and what a keyring makes of them is
 * what the engine holds. */
#include <criterion/criterion.h>
#include <string.h>

#include "keyring.h"
#include "kex.h"
#include "kextest.h"

#define MAX_EVENTS 16

/* The events e has for its takers now. */
static int events(struct kex_engine *e, struct kex_key_event *ev)
{
	int n = 0;

	while (n < MAX_EVENTS && kex_key_event(e, &ev[n]))
		n++;
	cr_assert_lt(n, MAX_EVENTS, "events without end");
	return n;
}

static const struct kex_key_event *find(const struct kex_key_event *ev, int n,
					enum kex_key_slot slot)
{
	for (int i = 0; i < n; i++)
		if (ev[i].slot == slot)
			return &ev[i];
	return NULL;
}

/* A new engine says what each slot holds: its key, no previous one, no
 * key from its peer; and nothing more until something changes. */
Test(kex, a_new_engine_gives_its_key_and_empty_slots)
{
	struct kex_key_event ev[MAX_EVENTS];
	const struct kex_key_event *own, *prev, *peer;
	int n = events(a, ev);

	cr_assert_eq(n, 3);
	own = find(ev, n, KEX_KEY_OWN);
	prev = find(ev, n, KEX_KEY_OWN_PREV);
	peer = find(ev, n, KEX_KEY_PEER);
	cr_assert(own && own->have && own->key.index == kex_local_index(a));
	cr_assert(prev && !prev->have);
	cr_assert(peer && !peer->have && peer->peer == 0);
	cr_assert_eq(events(a, ev), 0, "the same events twice");
}

/* The exchange gives a b's metadata key: one event, with the key b holds
 * (b's own, as b's events gave it). */
Test(kex, the_peer_key_comes_as_one_event_with_the_peers_key)
{
	struct kex_key_event ev[MAX_EVENTS];
	const struct crypto_seal_key *bk;
	int n;

	events(a, ev);
	run(1000);
	cr_assert(comp(a) && comp(b));
	n = events(a, ev);
	cr_assert_eq(n, 1);
	cr_assert_eq(ev[0].slot, KEX_KEY_PEER);
	cr_assert(ev[0].have);
	cr_assert_eq(ev[0].key.index, kex_local_index(b));
	bk = keyring_own(ring(b), kex_local_index(b));
	cr_assert_not_null(bk);
	cr_assert_eq(memcmp(&ev[0].key.key, bk, sizeof(*bk)), 0, "not the key b holds");
	run(60000);
	cr_assert_eq(events(a, ev), 0, "an event without a change");
}

/* Regenerating moves our key to the previous slot; the next one retires
 * it: the keyring holds two at most, and the peer's slot follows. */
Test(kex, regenerating_pushes_the_new_key_and_retires_the_one_before)
{
	struct kex_key_event ev[MAX_EVENTS];
	uint32_t first;
	int n;

	run(1000);
	cr_assert(comp(a) && comp(b));
	ring(a);
	first = kex_local_index(b);
	cr_assert_not_null(keyring_own(ring(b), first));
	kex_regenerate(b, now);
	n = events(b, ev);
	cr_assert_eq(n, 2);
	cr_assert(find(ev, n, KEX_KEY_OWN)->key.index == first + 1);
	cr_assert(find(ev, n, KEX_KEY_OWN_PREV)->have);
	cr_assert_eq(find(ev, n, KEX_KEY_OWN_PREV)->key.index, first);
	run(30000);
	cr_assert_eq(keyring_peer(ring(a), 0)->index, first + 1, "a holds b's old key");
	kex_regenerate(b, now);
	run(30000);
	cr_assert_not_null(keyring_own(ring(b), first + 1));
	cr_assert_not_null(keyring_own(ring(b), first + 2));
	cr_assert_null(keyring_own(ring(b), first), "a retired key still opens");
	assert_payload_keys_flow();
}

/* A taker that starts late asks for everything again. */
Test(kex, resend_gives_every_key_held_again)
{
	struct kex_key_event ev[MAX_EVENTS];
	int n;

	run(1000);
	cr_assert(comp(a) && comp(b));
	events(a, ev);
	kex_key_resend(a);
	n = events(a, ev);
	cr_assert_eq(n, 3);
	cr_assert(find(ev, n, KEX_KEY_OWN)->have);
	cr_assert(find(ev, n, KEX_KEY_PEER)->have);
}

/* A peer out of range, or no memory, leaves the slot empty: never a key
 * the engine no longer holds. */
Test(kex, a_keyring_refuses_peers_out_of_range)
{
	struct keyring *r = keyring_new();
	struct kex_key_event ev = {.slot = KEX_KEY_PEER, .peer = 3, .have = true};

	cr_assert_not_null(r);
	ev.key.index = 9;
	cr_assert_eq(keyring_take(r, &ev), 0);
	cr_assert_eq(keyring_peer(r, 3)->index, 9);
	ev.peer = KEYRING_MAX_PEERS;
	cr_assert_eq(keyring_take(r, &ev), -1);
	ev.peer = -1;
	cr_assert_eq(keyring_take(r, &ev), -1);
	cr_assert_null(keyring_peer(r, -1));
	cr_assert_null(keyring_peer(r, 100000));
	ev.peer = 3;
	ev.have = false;
	cr_assert_eq(keyring_take(r, &ev), 0);
	cr_assert_null(keyring_peer(r, 3), "a retired peer key kept");
	keyring_clear(r);
	keyring_free(r);
	keyring_free(NULL);
}
