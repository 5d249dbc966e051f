/* Fuzz the authenticated peer-path datagram the way svrd takes it
 * (daemon/peers.c on_datagram), against a router whose peering is
 * established (MKEY_EXCH_COMP with real keys):
 *
 *   first byte even: the rest is a datagram from anyone (an off-path
 *     spoofer using the peer's address).  It cannot carry a valid tag, so
 *     whatever it holds, the peering must stay complete.
 *   first byte odd: the rest is a BFD packet and a key-exchange message
 *     the real peer tags with its real key (a peer sending garbage, or a
 *     compromised one).  Nothing may crash; the state may change.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "bfd.h"
#include "kex.h"
#include "kexpair.h"
#include "peerpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kexpair kp;
static struct kex_engine *a, *b;
static struct peerpkt_replay rx;
static uint64_t now;

/* b's side of on_datagram: the tag first, then the message. */
static void take(const uint8_t *d, size_t len)
{
	struct peerpkt pk;
	enum kex_auth auth = KEX_AUTH_NONE;

	peerpkt_find_tag(d, len, &pk);
	if (kex_auth_required(b, 0) && pk.tagged)
		auth = kex_auth_check(b, 0, pk.key_id, d, pk.signed_len, pk.tag, now);
	if (auth == KEX_AUTH_OK && !peerpkt_fresh(&rx, pk.key_id, pk.seq))
		return;
	if (peerpkt_parse(d, len, &pk) < 0 || !pk.kmsg)
		return;
	kex_input(b, 0, pk.kmsg, pk.klen, auth == KEX_AUTH_OK, now);
}

static uint32_t seq;

static void send_a(const uint8_t *kmsg, size_t klen)
{
	uint8_t buf[PEERPKT_MAX], bfd[BFD_CTRL_LEN] = {0x20, 0xc0, 3, BFD_CTRL_LEN};
	size_t n = peerpkt_encode(buf, sizeof(buf), bfd, kmsg, klen, a, 0, ++seq, now);

	if (n)
		take(buf, n);
}

/* a's messages in datagrams tagged as a does; b's to a as svrd's would be. */
static void carry(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t n)
{
	(void)arg;
	(void)p;
	if (from == a)
		send_a(m, n);
	else
		kexpair_carry_tagged(b, 0, a, 0, m, n, now);
}

static void shuttle(void)
{
	bool moved = true;

	while (moved) {
		moved = kexpair_drain(a, carry, NULL);
		moved |= kexpair_drain(b, carry, NULL);
	}
}

static void setup(void)
{
	kexpair_init(&kp, (uint64_t)time(NULL) * 1000);
	a = kp.a;
	b = kp.b;
	now = kp.now;
	shuttle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kex_peer_state s;

	if (!a)
		setup();
	if (size < 1)
		return 0;
	now += 10;
	if (data[0] & 1) {
		/* BFD (24 bytes) then the message, tagged by the real peer */
		if (size > 1 + BFD_CTRL_LEN)
			send_a(data + 1 + BFD_CTRL_LEN, size - 1 - BFD_CTRL_LEN);
		shuttle();
		return 0;
	}
	take(data + 1, size - 1);
	shuttle();
	kex_peer_state(b, 0, &s);
	if (strcmp(s.status, "MKEY_EXCH_COMP") != 0)
		__builtin_trap(); /* an untagged datagram took the peering down */
	return 0;
}
