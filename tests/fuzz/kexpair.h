/* Two key engines, peer-a and peer-b, each the other's one peer, with
 * self-signed identities in a temporary folder: what the key-exchange
 * fuzz targets start from (the caller then shuttles their messages). */
#ifndef SVR_FUZZ_KEXPAIR_H
#define SVR_FUZZ_KEXPAIR_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "kex.h"
#include "pki.h"

static struct kex_engine *kexpair_engine(const char *dir, const char *pcn, const char *peer,
					 uint64_t now)
{
	char sub[600], err[256];
	struct kex_config c = {.pcn = pcn,
			       .alg = CRYPTO_KEX_X25519,
			       .retransmit_ms = 30000,
			       .timeout_ms = 3600000};
	struct kex_engine *e;

	snprintf(sub, sizeof(sub), "%s/%s", dir, pcn);
	mkdir(sub, 0700);
	/* the identity lives as long as the process, as the engine does */
	c.id = pki_identity_open(sub, pcn, (int64_t)(now / 1000), 365, err, sizeof(err));
	if (!c.id || !(e = kex_new(&c, now)))
		abort();
	kex_add_peer(e, peer);
	kex_tick(e, now);
	return e;
}

/* a and b at the wall clock's now (returned in *now). */
static void kexpair_new(const char *name, struct kex_engine **a, struct kex_engine **b,
			uint64_t *now)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(dir))
		abort();
	*now = (uint64_t)time(NULL) * 1000;
	*a = kexpair_engine(dir, "peer-a", "peer-b", *now);
	*b = kexpair_engine(dir, "peer-b", "peer-a", *now);
}

#endif
