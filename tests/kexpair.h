/* Key engines for tests, fuzz targets and benchmarks: self-signed
 * identities made in memory (no files), the one configuration they share,
 * and the carrying of messages between engines.  A pair (peer-a and
 * peer-b, each the other's peer 0) is what the unit tests and the fuzz
 * targets start from; the benchmark builds a hub and its spokes from the
 * same pieces.  The functions abort when the engine cannot be set up:
 * nothing that follows would mean anything. */
#ifndef SVR_TESTS_KEXPAIR_H
#define SVR_TESTS_KEXPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kex.h"
#include "pki.h"

/* A self-signed identity for pcn, valid from now_s for days. */
struct pki_identity *kexpair_identity(const char *pcn, int64_t now_s, int days);
/* An identity from a PEM certificate file and key file; NULL with err. */
struct pki_identity *kexpair_identity_files(const char *crt, const char *key, char *err,
					    size_t errlen);
/* X25519, retransmission every 30 s, a peer out of service after an hour. */
struct kex_config kexpair_config(const char *pcn, const struct pki_identity *id);
/* An engine with cfg and one peer, peer (its peer 0). */
struct kex_engine *kexpair_engine(const struct kex_config *cfg, const char *peer, uint64_t now);

/* Carry a message from's output holds for its peer p. */
typedef void kexpair_carry_fn(void *arg, struct kex_engine *from, int p, const uint8_t *msg,
			      size_t len);
/* Every message in from's output, each through carry: true when any. */
bool kexpair_drain(struct kex_engine *from, kexpair_carry_fn *carry, void *arg);
/* One message as a datagram carries it between peer from_p of from and
 * peer to_p of to: tagged by the sender once it holds a peer key, the tag
 * checked by the receiver before the message. */
void kexpair_carry_tagged(struct kex_engine *from, int from_p, struct kex_engine *to, int to_p,
			  const uint8_t *msg, size_t len, uint64_t now);

struct kexpair {
	struct pki_identity *ida, *idb;
	struct kex_engine *a, *b; /* peer-a and peer-b */
	uint64_t now;
};

/* peer-a and peer-b, their certificates valid from now for a year, each
 * ticked once at now (their first messages queued); a fuzz target keeps
 * them for the whole run. */
void kexpair_init(struct kexpair *kp, uint64_t now);
/* Carry a's and b's messages to each other, as authenticated datagrams,
 * until none is left. */
void kexpair_settle(struct kexpair *kp);

#endif
