/* The key-engine unit tests' network (test_kex*.c): a and b, peer-a and
 * peer-b with identities ida and idb, each the other's peer 0, remade for
 * every test of the suite "kex"; now is the clock run() moves. */
#ifndef SVR_KEXTEST_H
#define SVR_KEXTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyring.h"
#include "kex.h"
#include "pki.h"

#define T0 ((uint64_t)time(NULL) * 1000)

extern char dir[64]; /* a temporary folder of the test's own */
extern struct pki_identity *ida, *idb;
extern struct kex_engine *a, *b;
extern uint64_t now;

/* How the network treats the next message: 0 deliver, 1 drop. */
extern int (*policy)(const struct kex_engine *from, const uint8_t *msg, size_t len);
extern int drops_left[8];
/* Policies: drop the first drops_left[type] messages of each type; drop
 * everything b sends. */
int drop_first_of_type(const struct kex_engine *from, const uint8_t *msg, size_t len);
int b_is_silent(const struct kex_engine *from, const uint8_t *msg, size_t len);

/* A self-signed identity for pcn, valid for a year from T0. */
struct pki_identity *identity(const char *pcn);
struct kex_config mkcfg(const char *pcn, const struct pki_identity *id,
			const struct pki_trust *trust, uint32_t base, bool hard, bool warn);
/* b starts again (svrd restarted or reloaded) with identity id, counting
 * its generations and indexes from base. */
void restart_b(const struct pki_identity *id, uint32_t base);
struct kex_engine *engine(const char *pcn, const struct pki_identity *id, const char *peer);
void setup(void);
void teardown(void);
/* One message to the other engine as a datagram would carry it. */
void carry(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t n);
/* Move every queued message across (both ways) until nothing is left. */
void deliver(void);
/* Run the clock for ms, ticking both engines at their deadlines. */
void run(uint64_t ms);
/* Is e's peer MKEY_EXCH_COMP with all six flags? */
bool comp(const struct kex_engine *e);
/* What a datapath holding a's (or b's) keys holds: every key event the
 * engine gave so far taken (engine/keyring.h). */
struct keyring *ring(struct kex_engine *e);
/* A payload key wrapped by a opens at b, and only there. */
void assert_payload_keys_flow(void);

#endif
