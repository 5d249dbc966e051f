/* DOC: security-key-management, typed
 *
 * authority enhanced-security-key-management and security-key-management,
 * read once from a configuration tree into the values the key engine and
 * the data plane use.  Defaults come from the schema (model.h's
 * model_leaf_or_default), never from copies in code.
 */
#ifndef SVR_SKMCONF_H
#define SVR_SKMCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"

struct ly_ctx;
struct lyd_node;

struct skm_conf {
	bool on;	     /* enhanced-security-key-management */
	bool fail_hard;	     /* invalid-certificate-behavior */
	enum crypto_kex alg; /* key-exchange-algorithm, dh-key-size */
	uint64_t retransmit_ms, timeout_ms;
	uint64_t peer_rekey_ms;	   /* peer-key-rekey-interval; 0: never */
	uint64_t payload_rekey_ms; /* payload-key-rekey-interval; 0: never */
};

/* From auth (the authority node, or NULL: all defaults). */
void skm_conf_read(const struct ly_ctx *ctx, const struct lyd_node *auth, struct skm_conf *c);

#endif
