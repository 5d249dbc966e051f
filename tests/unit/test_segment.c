/* Software TCP segmentation (forwarders/segment.c) on real packets: what
 * a capture gives for a sender's 64 KB super-packet must come out as the
 * segments the sender's NIC would have sent. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "csum.h"
#include "segment.h"

static uint8_t got[64][2000];
static size_t got_len[64], ngot;

static void take(const uint8_t *pkt, size_t len, void *arg)
{
	(void)arg;
	cr_assert_lt(ngot, 64);
	cr_assert_leq(len, sizeof(got[0]));
	memcpy(got[ngot], pkt, len);
	got_len[ngot++] = len;
}

static uint32_t pseudo(const uint8_t *src, const uint8_t *dst, size_t alen, size_t l4len)
{
	uint32_t acc = 6 + (uint32_t)l4len;

	for (size_t i = 0; i < alen; i += 2)
		acc += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	return acc;
}

/* A TCP packet: v4 or v6 header, a 32-byte TCP header (options), payload
 * bytes 0, 1, 2, ... (mod 251), the flags given. */
static size_t make(uint8_t *b, int family, size_t payload, uint8_t flags)
{
	size_t hl = family == 4 ? 20 : 40, thl = 32, total = hl + thl + payload;
	uint8_t *t = b + hl;

	memset(b, 0, hl + thl);
	if (family == 4) {
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[4] = 0x12;
		b[5] = 0x34;
		b[6] = 0x40; /* DF */
		b[8] = 64;
		b[9] = 6;
		inet_pton(AF_INET, "192.0.2.2", b + 12);
		inet_pton(AF_INET, "203.0.113.2", b + 16);
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)((thl + payload) >> 8);
		b[5] = (uint8_t)(thl + payload);
		b[6] = 6;
		b[7] = 64;
		inet_pton(AF_INET6, "2001:db8:a::2", b + 8);
		inet_pton(AF_INET6, "2001:db8:b::2", b + 24);
	}
	t[0] = 0x9c;
	t[1] = 0x40;
	t[2] = 0x14;
	t[3] = 0x51;
	t[4] = 0xff; /* a sequence number that wraps on the way */
	t[5] = 0xff;
	t[6] = 0xf0;
	t[7] = 0x00;
	t[12] = 0x80; /* 32 bytes */
	t[13] = flags;
	t[20] = 1; /* NOP NOP timestamp */
	t[21] = 1;
	t[22] = 8;
	t[23] = 10;
	for (size_t i = 0; i < payload; i++)
		b[hl + thl + i] = (uint8_t)(i % 251);
	return total;
}

static void check(int family, size_t payload, size_t mss, uint8_t flags)
{
	static uint8_t big[70000];
	size_t len = make(big, family, payload, flags), hl = family == 4 ? 20 : 40, off = 0;
	size_t alen = family == 4 ? 4 : 16, want = (payload + mss - 1) / mss;
	const uint8_t *src = big + (family == 4 ? 12 : 8), *dst = src + alen;

	ngot = 0;
	cr_assert_eq(tcp_segment(big, len, mss, take, NULL), want);
	cr_assert_eq(ngot, want);
	for (size_t i = 0; i < ngot; i++) {
		const uint8_t *p = got[i], *t = p + hl;
		size_t chunk = got_len[i] - hl - 32;
		uint32_t seq =
			(uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];

		cr_assert_eq(chunk, i + 1 < ngot ? mss : payload - off, "segment %zu: %zu bytes", i,
			     chunk);
		cr_assert_eq(seq, 0xfffff000u + (uint32_t)off, "segment %zu: sequence number", i);
		cr_assert_eq(memcmp(p + hl + 32, big + hl + 32 + off, chunk), 0);
		cr_assert_eq(memcmp(t + 20, big + hl + 20, 12), 0, "options not copied");
		cr_assert_eq(t[13] & 0x09, i + 1 == ngot ? (flags & 0x09) : 0, "FIN/PSH");
		cr_assert_eq(t[13] & 0x80, i == 0 ? (flags & 0x80) : 0, "CWR");
		cr_assert_eq(t[13] & 0x10, flags & 0x10, "ACK");
		if (family == 4) {
			cr_assert_eq((size_t)(p[2] << 8 | p[3]), got_len[i]);
			cr_assert_eq(p[4] << 8 | p[5], 0x1234 + (int)i, "IPv4 identifier");
			cr_assert_eq(csum(p, 20, 0), 0, "IPv4 header checksum");
		} else {
			cr_assert_eq((size_t)(p[4] << 8 | p[5]), got_len[i] - 40);
		}
		cr_assert_eq(csum(t, got_len[i] - hl, pseudo(src, dst, alen, got_len[i] - hl)), 0,
			     "segment %zu: TCP checksum", i);
		off += chunk;
	}
	cr_assert_eq(off, payload);
}

Test(segment, an_ipv4_super_packet_becomes_segments)
{
	check(4, 5000, 1340, 0x10 | 0x08 | 0x01 | 0x80); /* ACK PSH FIN CWR */
	check(4, 65000, 1340, 0x10);
	check(4, 1341, 1340, 0x18);
}

Test(segment, an_ipv6_super_packet_becomes_segments)
{
	check(6, 4000, 1340, 0x18);
}

Test(segment, what_needs_no_splitting_is_left_alone)
{
	static uint8_t b[70000];
	size_t len = make(b, 4, 1340, 0x10);

	ngot = 0;
	cr_assert_eq(tcp_segment(b, len, 1340, take, NULL), 0, "a segment that fits");
	len = make(b, 4, 5000, 0x10);
	b[9] = 17;
	cr_assert_eq(tcp_segment(b, len, 1340, take, NULL), 0, "UDP");
	b[9] = 6;
	b[6] = 0x20; /* more fragments */
	cr_assert_eq(tcp_segment(b, len, 1340, take, NULL), 0, "a fragment");
	b[6] = 0x40;
	cr_assert_eq(tcp_segment(b, len - 1, 1340, take, NULL), 0, "shorter than it says");
	b[20 + 12] = 0xf0; /* a TCP header longer than the packet allows */
	cr_assert_eq(tcp_segment(b, 60, 1340, take, NULL), 0);
	cr_assert_eq(tcp_segment(NULL, 0, 1340, take, NULL), 0);
	cr_assert_eq(ngot, 0);
}

/* The eight-bytes-at-a-time sum against the two-bytes-at-a-time one of
 * RFC 1071, at every length and alignment that matters. */

Test(segment, the_fast_checksum_equals_rfc_1071s)
{
	static uint8_t buf[3000];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	memset(buf + 2000, 0xff, 1000); /* long runs of carries */
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += len < 80 ? 1 : 97) {
			uint32_t slow = 0x1234;

			for (size_t i = 0; i + 1 < len; i += 2)
				slow += (uint32_t)(buf[off + i] << 8 | buf[off + i + 1]);
			if (len & 1)
				slow += (uint32_t)buf[off + len - 1] << 8;
			while (slow >> 16)
				slow = (slow & 0xffff) + (slow >> 16);
			cr_assert_eq(csum_fold(csum_add(buf + off, len, 0x1234)), (uint16_t)~slow,
				     "offset %zu, %zu bytes", off, len);
		}
}
