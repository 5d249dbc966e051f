/* Key engines for tests, fuzz targets and benchmarks: see kexpair.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kexpair.h"

static void die(const char *what, const char *err)
{
	fprintf(stderr, "kexpair: %s: %s\n", what, err);
	abort();
}

struct pki_identity *kexpair_identity(const char *pcn, int64_t now_s, int days)
{
	char err[256];
	struct pki_identity *id = pki_identity_make(NULL, pcn, now_s, days, err, sizeof(err));

	if (!id)
		die(pcn, err);
	return id;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? calloc(1, 65536) : NULL;

	if (buf && fread(buf, 1, 65535, f) == 0) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

struct pki_identity *kexpair_identity_files(const char *crt, const char *key, char *err,
					    size_t errlen)
{
	char *c = slurp(crt), *k = slurp(key);
	struct pki_identity *id = pki_identity_from_pem(c, k, crt, key, err, errlen);

	free(c);
	if (k)
		crypto_wipe(k, strlen(k));
	free(k);
	return id;
}

struct kex_config kexpair_config(const char *pcn, const struct pki_identity *id)
{
	struct kex_config c = {.pcn = pcn,
			       .id = id,
			       .alg = CRYPTO_KEX_X25519,
			       .retransmit_ms = 30000,
			       .timeout_ms = 3600000};

	return c;
}

struct kex_engine *kexpair_engine(const struct kex_config *cfg, const char *peer, uint64_t now)
{
	struct kex_engine *e = kex_new(cfg, now);

	if (!e)
		die(cfg->pcn, "kex_new failed");
	if (kex_add_peer(e, peer) != 0)
		die(cfg->pcn, "kex_add_peer failed");
	return e;
}

bool kexpair_drain(struct kex_engine *from, kexpair_carry_fn *carry, void *arg)
{
	bool moved = false;
	const uint8_t *m;
	size_t n;
	int p;

	while (kex_output(from, &p, &m, &n)) {
		carry(arg, from, p, m, n);
		moved = true;
	}
	return moved;
}

void kexpair_carry_tagged(struct kex_engine *from, int from_p, struct kex_engine *to, int to_p,
			  const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t tag[KEX_TAG_LEN];
	uint32_t id = 0;
	bool tagged = kex_auth_tag(from, from_p, msg, len, now, &id, tag);
	enum kex_auth v = tagged ? kex_auth_check(to, to_p, id, msg, len, tag, now) : KEX_AUTH_NONE;

	kex_input(to, to_p, msg, len, v == KEX_AUTH_OK, now);
}

void kexpair_init(struct kexpair *kp, uint64_t now)
{
	struct kex_config ca, cb;

	kp->now = now;
	kp->ida = kexpair_identity("peer-a", (int64_t)(now / 1000), 365);
	kp->idb = kexpair_identity("peer-b", (int64_t)(now / 1000), 365);
	ca = kexpair_config("peer-a", kp->ida);
	cb = kexpair_config("peer-b", kp->idb);
	kp->a = kexpair_engine(&ca, "peer-b", now);
	kp->b = kexpair_engine(&cb, "peer-a", now);
	kex_tick(kp->a, now);
	kex_tick(kp->b, now);
}

/* To the other engine of the pair, authenticated. */
static void to_other(void *arg, struct kex_engine *from, int p, const uint8_t *msg, size_t len)
{
	struct kexpair *kp = arg;

	(void)p;
	kex_input(from == kp->a ? kp->b : kp->a, 0, msg, len, true, kp->now);
}

void kexpair_settle(struct kexpair *kp)
{
	bool moved = true;

	while (moved) {
		moved = kexpair_drain(kp->a, to_other, kp);
		moved |= kexpair_drain(kp->b, to_other, kp);
	}
}
