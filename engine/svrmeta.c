/* SVR metadata blocks; see svrmeta.h. */
#include "config.h"

#include <string.h>

#include "svrmeta.h"

const uint8_t svrmeta_cookie[8] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c};

size_t svrmeta_encode1(uint8_t *out, size_t cap, uint16_t type, const uint8_t *val, size_t len)
{
	size_t hlen = SVRMETA_HDR + 4 + len;

	if (hlen > 0x0fff || hlen > cap || len > 0xffff)
		return 0;
	memcpy(out, svrmeta_cookie, 8);
	out[8] = (uint8_t)(1 << 4 | (hlen >> 8));
	out[9] = (uint8_t)hlen;
	out[10] = out[11] = 0; /* no payload TLVs */
	out[12] = (uint8_t)(type >> 8);
	out[13] = (uint8_t)type;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	if (len)
		memcpy(out + 16, val, len);
	return hlen;
}

int svrmeta_find(const uint8_t *b, size_t len, uint16_t type, const uint8_t **val, size_t *vlen)
{
	size_t hlen, plen, off;

	if (len < SVRMETA_HDR || memcmp(b, svrmeta_cookie, 8) != 0 || (b[8] >> 4) != 1)
		return -1;
	hlen = (size_t)(b[8] & 0x0f) << 8 | b[9];
	plen = (size_t)b[10] << 8 | b[11];
	if (hlen < SVRMETA_HDR || hlen + plen > len)
		return -1;
	for (off = SVRMETA_HDR; off < hlen;) {
		uint16_t t;
		size_t tl;

		if (off + 4 > hlen)
			return -1;
		t = (uint16_t)(b[off] << 8 | b[off + 1]);
		tl = (size_t)b[off + 2] << 8 | b[off + 3];
		if (off + 4 + tl > hlen)
			return -1;
		if (t == type) {
			*val = b + off + 4;
			*vlen = tl;
			return 0;
		}
		off += 4 + tl;
	}
	return 1;
}
