/* security-key-management, typed (see skmconf.h). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "skmconf.h"

#define SKM "/opensvr:authority/security-key-management/"

static const char *skm_leaf(const struct ly_ctx *ctx, const struct lyd_node *skm, const char *path)
{
	return model_leaf_or_default(ctx, skm, path) ?: "";
}

/* hours, or "never" (0) */
static uint64_t hours_ms(const char *v)
{
	return strcmp(v, "never") == 0 ? 0 : strtoull(v, NULL, 10) * 3600000ull;
}

static enum crypto_kex alg_of(const char *alg, const char *size)
{
	if (strcmp(alg, "ecdh-x25519") == 0)
		return CRYPTO_KEX_X25519;
	if (strcmp(size, "2048") == 0)
		return CRYPTO_KEX_FFDHE2048;
	if (strcmp(size, "3072") == 0)
		return CRYPTO_KEX_FFDHE3072;
	return CRYPTO_KEX_FFDHE4096;
}

void skm_conf_read(const struct ly_ctx *ctx, const struct lyd_node *auth, struct skm_conf *c)
{
	const struct lyd_node *skm = NULL;

	MODEL_FOR_CHILD(auth, "security-key-management", sk)
	skm = sk;
	c->on = strcmp(model_leaf_or_default(ctx, auth,
					     "/opensvr:authority/enhanced-security-key-management")
			       ?: "",
		       "true") == 0;
	c->fail_hard =
		strcmp(skm_leaf(ctx, skm, SKM "invalid-certificate-behavior"), "fail-hard") == 0;
	c->alg = alg_of(skm_leaf(ctx, skm, SKM "key-exchange-algorithm"),
			skm_leaf(ctx, skm, SKM "dh-key-size"));
	c->retransmit_ms =
		strtoull(skm_leaf(ctx, skm, SKM "peer-key-retransmit-interval"), NULL, 10) * 1000;
	c->timeout_ms = strtoull(skm_leaf(ctx, skm, SKM "peer-key-timeout"), NULL, 10) * 1000;
	c->peer_rekey_ms = hours_ms(skm_leaf(ctx, skm, SKM "peer-key-rekey-interval"));
	c->payload_rekey_ms = hours_ms(skm_leaf(ctx, skm, SKM "payload-key-rekey-interval"));
}
