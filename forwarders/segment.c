/* Software TCP segmentation; see segment.h. */
#include "config.h"

#include <string.h>

#include "csum.h"
#include "segment.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t tcp_segment(const uint8_t *pkt, size_t len, size_t mss, seg_emit emit, void *arg)
{
	static uint8_t seg[65536];
	size_t hl, total, thl, payload, n = 0, alen;
	const uint8_t *src, *dst;
	uint32_t seq;
	uint16_t id = 0;
	int v4;

	if (!pkt || len < 40 || !mss)
		return 0;
	v4 = pkt[0] >> 4 == 4;
	if (v4) {
		hl = (size_t)(pkt[0] & 0x0f) * 4;
		total = get16(pkt + 2);
		if (hl < 20 || pkt[9] != 6 || (get16(pkt + 6) & 0x3fff) != 0)
			return 0;
		id = get16(pkt + 4);
		src = pkt + 12;
		dst = pkt + 16;
		alen = 4;
	} else if (pkt[0] >> 4 == 6) {
		hl = 40;
		total = 40 + (size_t)get16(pkt + 4);
		if (pkt[6] != 6) /* TCP right after the header: no extension headers */
			return 0;
		src = pkt + 8;
		dst = pkt + 24;
		alen = 16;
	} else {
		return 0;
	}
	if (total > len || total < hl + 20)
		return 0;
	thl = (size_t)(pkt[hl + 12] >> 4) * 4;
	if (thl < 20 || hl + thl > total)
		return 0;
	payload = total - hl - thl;
	if (payload <= mss)
		return 0;
	seq = (uint32_t)get16(pkt + hl + 4) << 16 | get16(pkt + hl + 6);
	for (size_t off = 0; off < payload; off += mss, n++) {
		size_t chunk = payload - off < mss ? payload - off : mss, slen = hl + thl + chunk;
		uint8_t *t = seg + hl;
		uint32_t s = seq + (uint32_t)off;
		uint64_t acc;

		memcpy(seg, pkt, hl + thl);
		memcpy(seg + hl + thl, pkt + hl + thl + off, chunk);
		if (v4) {
			put16(seg + 2, (uint16_t)slen);
			put16(seg + 4, (uint16_t)(id + n));
			put16(seg + 10, 0);
			put16(seg + 10, csum(seg, hl, 0));
		} else {
			put16(seg + 4, (uint16_t)(thl + chunk));
		}
		put16(t + 4, (uint16_t)(s >> 16));
		put16(t + 6, (uint16_t)s);
		if (off + chunk < payload)
			t[13] &= (uint8_t)~0x09; /* FIN and PSH: the last segment's */
		if (off)
			t[13] &= (uint8_t)~0x80; /* CWR: the first's */
		put16(t + 16, 0);
		acc = csum_add(src, alen, 0);
		acc = csum_add(dst, alen, acc);
		acc += 6 + (uint32_t)(thl + chunk);
		put16(t + 16, csum(t, thl + chunk, acc));
		emit(seg, slen, arg);
	}
	return n;
}
