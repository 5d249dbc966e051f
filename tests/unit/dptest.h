/* What the datapath's unit tests share (test_datapath.c, the packet
 * path; test_dp_sessions.c, sessions and their limits; test_dp_meta.c,
 * metadata and re-trigger requests; test_dp_hub.c, the hub relay): the
 * "dp" suite's two routers, routerA and routerB, and the packets the
 * tests make.  The keys come from the datapath harness (tests/dpharness.h);
 * the "hub" suite's three routers are test_dp_hub.c's. */
#ifndef SVR_DPTEST_H
#define SVR_DPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath.h"
#include "dpharness.h"

/* the "dp" suite's routers (made afresh for every test) and the outputs
 * the tests pass between them */
extern struct dph_keys ka, kb;
extern struct dp *A, *B;
extern struct dp_out o1, o2;

#define MARKER "opensvr-marker-7f3a9c"

void epochs(struct dp *d, uint64_t n);
void local(struct dp *d, const char *prefix);
size_t ip4(uint8_t *out, const char *src, const char *dst, uint8_t proto, uint16_t sport,
	   uint16_t dport, const void *body, size_t blen);
bool udp_checksum_ok(const uint8_t *p);
void fix_udp_checksum(uint8_t *p);
bool has_cookie(const struct dp_out *o);
size_t forged_retrigger(uint8_t *out, const char *src, const char *dst, uint16_t port);

#endif
