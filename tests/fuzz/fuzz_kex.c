/* Fuzz the key-exchange message parser: a router that has completed its
 * exchange with a peer takes arbitrary bytes "from" that peer.  Nothing
 * may crash, and the established keys must survive. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kex.h"
#include "kexpair.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kex_engine *a, *b;
static uint64_t now;

static void shuttle(void)
{
	int p;
	const uint8_t *m;
	size_t n;
	bool moved = true;

	while (moved) {
		moved = false;
		while (kex_output(a, &p, &m, &n)) {
			kex_input(b, 0, m, n, true, now);
			moved = true;
		}
		while (kex_output(b, &p, &m, &n)) {
			kex_input(a, 0, m, n, true, now);
			moved = true;
		}
	}
}

static void setup(void)
{
	kexpair_new("svrfuzzkex", &a, &b, &now);
	shuttle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kex_peer_state s;

	if (!a)
		setup();
	/* an attacker's datagram: no valid tag (the first byte says whether
	 * it claims one: a tag it cannot have makes no difference) */
	kex_input(b, 0, data, size, false, now);
	shuttle();
	kex_peer_state(b, 0, &s);
	/* established state is never lost to garbage */
	if (strcmp(s.status, "MKEY_EXCH_COMP") != 0)
		__builtin_trap();
	return 0;
}
