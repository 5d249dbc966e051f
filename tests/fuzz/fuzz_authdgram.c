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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bfd.h"
#include "kex.h"
#include "peerpkt.h"
#include "kexpair.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void shuttle(void)
{
	int p;
	const uint8_t *m;
	size_t n;
	bool moved = true;

	while (moved) {
		moved = false;
		while (kex_output(a, &p, &m, &n)) {
			send_a(m, n);
			moved = true;
		}
		while (kex_output(b, &p, &m, &n)) {
			uint8_t tag[KEX_TAG_LEN];
			uint32_t id;
			bool t = kex_auth_tag(b, 0, m, n, now, &id, tag);

			kex_input(a, 0, m, n,
				  t && kex_auth_check(a, 0, id, m, n, tag, now) == KEX_AUTH_OK,
				  now);
			moved = true;
		}
	}
}

static void setup(void)
{
	kexpair_new("svrfuzzdg", &a, &b, &now);
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
