/* The Internet checksum (RFC 1071), eight bytes at a time.
 *
 * The data plane sums every packet once or twice (a UDP datagram it
 * restores, a TCP segment a capture saw before checksum offload, an IPv6
 * waypoint datagram), and two bytes at a time that showed at the top of
 * svrd's own profile.  The one's complement sum does not care about byte
 * order or about the width of the words it adds (RFC 1071 2(B), 2(C)):
 * 64-bit loads are summed as 32-bit halves in host order, folded, and
 * swapped to network order once. */
#ifndef SVR_CSUM_H
#define SVR_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* acc plus the sum of len bytes at p, as big-endian 16-bit words. */
static inline uint64_t csum_add(const uint8_t *p, size_t len, uint64_t acc)
{
	uint64_t s = 0;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (s & 0xff) << 8 | s >> 8;
#endif
	acc += s;
	for (; len > 1; p += 2, len -= 2)
		acc += (uint64_t)(p[0] << 8 | p[1]);
	if (len)
		acc += (uint64_t)p[0] << 8;
	return acc;
}

/* The checksum field for a sum: folded to 16 bits and complemented. */
static inline uint16_t csum_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* The checksum of len bytes at p on top of acc (a pseudo-header's sum):
 * what goes in the field, or 0 over a whole message whose field is right. */
static inline uint16_t csum(const uint8_t *p, size_t len, uint64_t acc)
{
	return csum_fold(csum_add(p, len, acc));
}

#endif
