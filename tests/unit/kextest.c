/* The key-engine unit tests' network: two engines, peer-a and peer-b,
 * exchanging messages over an in-memory network with a clock the test
 * runs, and a policy that may drop what it carries (see kextest.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyring.h"
#include "kex.h"
#include "kexpair.h"
#include "kextest.h"
#include "pki.h"

char dir[64];
struct pki_identity *ida, *idb;
struct kex_engine *a, *b;
uint64_t now;
static struct keyring *ring_a, *ring_b;

struct keyring *ring(struct kex_engine *e)
{
	struct keyring *r = e == a ? ring_a : e == b ? ring_b : NULL;
	struct kex_key_event ev;

	cr_assert_not_null(r, "not a or b");
	while (kex_key_event(e, &ev))
		cr_assert_eq(keyring_take(r, &ev), 0);
	return r;
}

/* How the network treats the next message: 0 deliver, 1 drop. */
int (*policy)(const struct kex_engine *from, const uint8_t *msg, size_t len);
int drops_left[8];

int drop_first_of_type(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	(void)from;
	(void)len;
	if (drops_left[msg[1]] > 0) {
		drops_left[msg[1]]--;
		return 1;
	}
	return 0;
}

int b_is_silent(const struct kex_engine *from, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	return from == b;
}

struct pki_identity *identity(const char *pcn)
{
	return kexpair_identity(pcn, (int64_t)(T0 / 1000), 365);
}

struct kex_config mkcfg(const char *pcn, const struct pki_identity *id,
			const struct pki_trust *trust, uint32_t base, bool hard, bool warn)
{
	struct kex_config c = kexpair_config(pcn, id);

	c.trust = trust;
	c.base = base;
	c.fail_hard = hard;
	c.untrusted_ok = warn;
	return c;
}

/* b starts again (svrd restarted or reloaded) with identity id, counting
 * its generations and indexes from base. */
void restart_b(const struct pki_identity *id, uint32_t base)
{
	struct kex_config c = mkcfg("peer-b", id, NULL, base, false, false);

	kex_free(b);
	b = kex_new(&c, now);
	cr_assert_not_null(b);
	kex_add_peer(b, "peer-a");
}

struct kex_engine *engine(const char *pcn, const struct pki_identity *id, const char *peer)
{
	struct kex_config c = kexpair_config(pcn, id);

	return kexpair_engine(&c, peer, now);
}

void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/svrkex.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	now = T0;
	policy = NULL;
	memset(drops_left, 0, sizeof(drops_left));
	ida = identity("peer-a");
	idb = identity("peer-b");
	a = engine("peer-a", ida, "peer-b");
	b = engine("peer-b", idb, "peer-a");
	ring_a = keyring_new();
	ring_b = keyring_new();
	cr_assert(ring_a && ring_b);
}

void teardown(void)
{
	char cmd[128];

	kex_free(a);
	kex_free(b);
	keyring_free(ring_a);
	keyring_free(ring_b);
	pki_identity_free(ida);
	pki_identity_free(idb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(kex, .init = setup, .fini = teardown);

/* One message to the other engine as a datagram would carry it (tagged),
 * unless the network's policy drops it. */
void carry(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t n)
{
	(void)arg;
	(void)p;
	if (!policy || !policy(from, m, n))
		kexpair_carry_tagged(from, 0, from == a ? b : a, 0, m, n, now);
}

/* Move every queued message across (both ways) until nothing is left. */
void deliver(void)
{
	bool moved = true;

	while (moved) {
		moved = kexpair_drain(a, carry, NULL);
		moved |= kexpair_drain(b, carry, NULL);
	}
}

/* Run the clock for ms, ticking both engines at their deadlines. */
void run(uint64_t ms)
{
	uint64_t end = now + ms;

	for (;;) {
		uint64_t next = kex_next_deadline(a);

		if (kex_next_deadline(b) < next)
			next = kex_next_deadline(b);
		if (next < now)
			next = now;
		kex_tick(a, now);
		kex_tick(b, now);
		deliver();
		if (next >= end || next == UINT64_MAX) {
			now = end;
			kex_tick(a, now);
			kex_tick(b, now);
			deliver();
			return;
		}
		now = next > now ? next : now + 1;
	}
}

bool comp(const struct kex_engine *e)
{
	struct kex_peer_state s;

	kex_peer_state(e, 0, &s);
	return strcmp(s.status, "MKEY_EXCH_COMP") == 0 && s.cert_rec && s.cert_ack && s.salt_rec &&
	       s.salt_ack && s.key_rec && s.key_ack;
}

void assert_payload_keys_flow(void)
{
	uint8_t key[32], wrapped[256], back[64];
	ssize_t n, m;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13);
	n = keyring_wrap(ring(a), 0, key, sizeof(key), wrapped, sizeof(wrapped));
	cr_assert_gt(n, 0);
	m = keyring_unwrap(ring(b), wrapped, (size_t)n, back, sizeof(back));
	cr_assert_eq(m, (ssize_t)sizeof(key));
	cr_assert(memcmp(key, back, sizeof(key)) == 0);
	cr_assert_eq(keyring_unwrap(ring(a), wrapped, (size_t)n, back, sizeof(back)), -1,
		     "a key for b opened at a");
}
