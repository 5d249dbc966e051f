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
	const char *tmp = getenv("TMPDIR");
	char dir[512], da[600], db[600], err[256];
	struct pki_identity *ia, *ib;
	struct kex_config ca = {.pcn = "peer-a",
				.alg = CRYPTO_KEX_X25519,
				.retransmit_ms = 30000,
				.timeout_ms = 3600000};
	struct kex_config cb = ca;

	snprintf(dir, sizeof(dir), "%s/svrfuzzkex.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(da, sizeof(da), "%s/a", dir);
	snprintf(db, sizeof(db), "%s/b", dir);
	mkdir(da, 0700);
	mkdir(db, 0700);
	now = (uint64_t)time(NULL) * 1000;
	ia = pki_identity_open(da, "peer-a", (int64_t)(now / 1000), 365, err, sizeof(err));
	ib = pki_identity_open(db, "peer-b", (int64_t)(now / 1000), 365, err, sizeof(err));
	if (!ia || !ib)
		abort();
	ca.id = ia;
	cb.pcn = "peer-b";
	cb.id = ib;
	a = kex_new(&ca, now);
	b = kex_new(&cb, now);
	kex_add_peer(a, "peer-b");
	kex_add_peer(b, "peer-a");
	kex_tick(a, now);
	kex_tick(b, now);
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
