/* Software TCP segmentation; see segment.h. */
#include "config.h"

#include <stdbool.h>
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

/* What the segments of a super-packet share: its headers. */
struct super {
	size_t hl, thl, total, alen; /* IP header, TCP header, whole, address bytes */
	const uint8_t *src, *dst;
	bool v4;
	uint16_t id; /* IPv4: the first segment's identifier */
	uint32_t seq;
};

/* The headers of TCP packet pkt into s; 0 when it is not one that can
 * be split (not TCP, a fragment, an IPv6 extension header, lengths that
 * do not agree). */
static int read_super(const uint8_t *pkt, size_t len, struct super *s)
{
	memset(s, 0, sizeof(*s));
	s->v4 = pkt[0] >> 4 == 4;
	if (s->v4) {
		s->hl = (size_t)(pkt[0] & 0x0f) * 4;
		s->total = get16(pkt + 2);
		if (s->hl < 20 || pkt[9] != 6 || (get16(pkt + 6) & 0x3fff) != 0)
			return 0;
		s->id = get16(pkt + 4);
		s->src = pkt + 12;
		s->dst = pkt + 16;
		s->alen = 4;
	} else if (pkt[0] >> 4 == 6) {
		s->hl = 40;
		s->total = 40 + (size_t)get16(pkt + 4);
		if (pkt[6] != 6) /* TCP right after the header: no extension headers */
			return 0;
		s->src = pkt + 8;
		s->dst = pkt + 24;
		s->alen = 16;
	} else {
		return 0;
	}
	if (s->total > len || s->total < s->hl + 20)
		return 0;
	s->thl = (size_t)(pkt[s->hl + 12] >> 4) * 4;
	if (s->thl < 20 || s->hl + s->thl > s->total)
		return 0;
	s->seq = (uint32_t)get16(pkt + s->hl + 4) << 16 | get16(pkt + s->hl + 6);
	return 1;
}

/* Segment n of super-packet pkt (chunk bytes of its payload from off,
 * of payload in all) into seg: its length. */
static size_t make_segment(uint8_t *seg, const uint8_t *pkt, const struct super *s, size_t n,
			   size_t off, size_t chunk, size_t payload)
{
	size_t hl = s->hl, thl = s->thl, slen = hl + thl + chunk;
	uint8_t *t = seg + hl;
	uint32_t sq = s->seq + (uint32_t)off;
	uint64_t acc;

	memcpy(seg, pkt, hl + thl);
	memcpy(seg + hl + thl, pkt + hl + thl + off, chunk);
	if (s->v4) {
		put16(seg + 2, (uint16_t)slen);
		put16(seg + 4, (uint16_t)(s->id + n));
		put16(seg + 10, 0);
		put16(seg + 10, csum(seg, hl, 0));
	} else {
		put16(seg + 4, (uint16_t)(thl + chunk));
	}
	put16(t + 4, (uint16_t)(sq >> 16));
	put16(t + 6, (uint16_t)sq);
	if (off + chunk < payload)
		t[13] &= (uint8_t)~0x09; /* FIN and PSH: the last segment's */
	if (off)
		t[13] &= (uint8_t)~0x80; /* CWR: the first's */
	put16(t + 16, 0);
	acc = csum_add(s->src, s->alen, 0);
	acc = csum_add(s->dst, s->alen, acc);
	acc += 6 + (uint32_t)(thl + chunk);
	put16(t + 16, csum(t, thl + chunk, acc));
	return slen;
}

size_t tcp_segment(const uint8_t *pkt, size_t len, size_t mss, seg_emit emit, void *arg)
{
	static uint8_t seg[65536];
	struct super s;
	size_t payload, n = 0;

	if (!pkt || len < 40 || !mss || !read_super(pkt, len, &s))
		return 0;
	payload = s.total - s.hl - s.thl;
	if (payload <= mss)
		return 0;
	for (size_t off = 0; off < payload; off += mss, n++) {
		size_t chunk = payload - off < mss ? payload - off : mss;

		emit(seg, make_segment(seg, pkt, &s, n, off, chunk, payload), arg);
	}
	return n;
}
