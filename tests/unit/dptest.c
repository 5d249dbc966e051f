/* The datapath unit tests' shared part (dptest.h): the "dp" suite's two
 * routers and the packets the tests make. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "dptest.h"

struct dph_keys ka, kb;
struct dp *A, *B;
struct dp_out o1, o2;

/* What svrd does for a router besides its peers and services: the
 * prefixes it delivers to (its LAN), and sequence epochs from a counter
 * that survives restarts (here, this process). */
static uint64_t epoch_counter = 1;

void epochs(struct dp *d, uint64_t n)
{
	cr_assert_eq(dp_add_epochs(d, epoch_counter, n), 0);
	epoch_counter += n;
}

void local(struct dp *d, const char *prefix)
{
	cr_assert_eq(dp_add_local(d, prefix), 0);
	epochs(d, 10000);
}

static void setup(void)
{

	dph_keys_init(&ka, 100, -1);
	dph_keys_init(&kb, 200, -1);
	/* each has the other's metadata key, as the key exchange leaves them */
	dph_knows(&ka, 0, &kb);
	dph_knows(&kb, 0, &ka);
	A = dph_router(&ka, "routerA");
	B = dph_router(&kb, "routerB");
	cr_assert(A && B);
	cr_assert_eq(dp_add_peer(A, 0, "routerB", "198.51.100.2", "198.51.100.1"), 0);
	cr_assert_eq(dp_add_peer(B, 0, "routerA", "198.51.100.1", "198.51.100.2"), 0);
	cr_assert_eq(dp_add_service(A, "hostB-lan", "203.0.113.0/24", 0), 0);
	cr_assert_eq(dp_add_service(B, "hostA-lan", "192.0.2.0/24", 0), 0);
	local(A, "192.0.2.0/24");
	local(A, "2001:db8:a::/64");
	local(B, "203.0.113.0/24");
	local(B, "2001:db8:b::/64");
}

static void teardown(void)
{
	dp_free(A);
	dp_free(B);
}

TestSuite(dp, .init = setup, .fini = teardown);

/* An IPv4 packet: header, then an L4 message (UDP: header made here). */
size_t ip4(uint8_t *out, const char *src, const char *dst, uint8_t proto, uint16_t sport,
	   uint16_t dport, const void *body, size_t blen)
{
	size_t uh = proto == 17 ? 8 : 0, total = 20 + uh + blen;
	uint32_t acc = 0;

	memset(out, 0, 28);
	out[0] = 0x45;
	out[2] = (uint8_t)(total >> 8);
	out[3] = (uint8_t)total;
	out[8] = 64;
	out[9] = proto;
	inet_pton(AF_INET, src, out + 12);
	inet_pton(AF_INET, dst, out + 16);
	if (uh) {
		out[20] = (uint8_t)(sport >> 8);
		out[21] = (uint8_t)sport;
		out[22] = (uint8_t)(dport >> 8);
		out[23] = (uint8_t)dport;
		out[24] = (uint8_t)((8 + blen) >> 8);
		out[25] = (uint8_t)(8 + blen);
	}
	memcpy(out + 20 + uh, body, blen);
	if (uh) {
		uint16_t c;

		acc = (uint32_t)(out[12] << 8 | out[13]) + (uint32_t)(out[14] << 8 | out[15]) +
		      (uint32_t)(out[16] << 8 | out[17]) + (uint32_t)(out[18] << 8 | out[19]) + 17 +
		      (uint32_t)(8 + blen);
		c = csum(out + 20, 8 + blen, acc);
		out[26] = (uint8_t)(c >> 8);
		out[27] = (uint8_t)c;
	}
	return total;
}

bool udp_checksum_ok(const uint8_t *p)
{
	size_t len = (size_t)(p[2] << 8 | p[3]) - 20;
	uint32_t acc = (uint32_t)(p[12] << 8 | p[13]) + (uint32_t)(p[14] << 8 | p[15]) +
		       (uint32_t)(p[16] << 8 | p[17]) + (uint32_t)(p[18] << 8 | p[19]) + 17 +
		       (uint32_t)len;

	return csum(p + 20, len, acc) == 0;
}

void fix_udp_checksum(uint8_t *p)
{
	size_t len = (size_t)(p[2] << 8 | p[3]) - 20;
	uint32_t acc = (uint32_t)(p[12] << 8 | p[13]) + (uint32_t)(p[14] << 8 | p[15]) +
		       (uint32_t)(p[16] << 8 | p[17]) + (uint32_t)(p[18] << 8 | p[19]) + 17 +
		       (uint32_t)len;
	uint16_t c;

	p[26] = p[27] = 0;
	c = csum(p + 20, len, acc);
	p[26] = (uint8_t)(c >> 8);
	p[27] = (uint8_t)c;
}

bool has_cookie(const struct dp_out *o)
{
	return !memcmp(o->pkt + 28, svrmeta_cookie, 8);
}

/* A bare re-trigger frame (TLV 0xF004) from src to dst on port, as
 * anyone who can send from a peer's address can make it. */
size_t forged_retrigger(uint8_t *out, const char *src, const char *dst, uint16_t port)
{
	struct svrmeta_writer w;
	uint8_t frame[64];
	size_t n;

	svrmeta_begin(&w, frame, sizeof(frame));
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, 100);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	n = svrmeta_finish(&w);
	return ip4(out, src, dst, 17, port, port, frame, n);
}
