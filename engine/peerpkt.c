/* Peer-path datagrams: the bytes of UDP 1280; see peerpkt.h. */
#include "config.h"

#include <string.h>

#include "peerpkt.h"

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t peerpkt_encode(uint8_t *out, size_t cap, const uint8_t bfd[BFD_CTRL_LEN],
		      const uint8_t *kmsg, size_t klen, const struct kex_engine *kex, int p,
		      uint32_t seq, uint64_t now)
{
	size_t n = BFD_CTRL_LEN, hlen;
	uint32_t id = kex_auth_key_id(kex, p, now);
	bool tagged = id != 0; /* a key to tag with: we hold one */

	hlen = SVRMETA_HDR + (kmsg ? 4 + klen : 0) + (tagged ? PEERPKT_TAG_TLV : 0);
	if (klen > PEERPKT_KMSG_MAX || n + hlen > cap || hlen > 0x0fff)
		return 0;
	memcpy(out, bfd, BFD_CTRL_LEN);
	if (!kmsg && !tagged)
		return n; /* a bare BFD packet, as before any key */
	memcpy(out + n, svrmeta_cookie, 8);
	out[n + 8] = (uint8_t)(1 << 4 | (hlen >> 8));
	out[n + 9] = (uint8_t)hlen;
	out[n + 10] = out[n + 11] = 0; /* no payload TLVs */
	n += SVRMETA_HDR;
	if (kmsg) {
		put16(out + n, SVRMETA_TLV_KEX);
		put16(out + n + 2, (uint32_t)klen);
		memcpy(out + n + 4, kmsg, klen);
		n += 4 + klen;
	}
	if (!tagged)
		return n;
	put16(out + n, SVRMETA_TLV_AUTH);
	put16(out + n + 2, PEERPKT_TAG_TLV - 4);
	put32(out + n + 4, id);
	put32(out + n + 8, seq);
	/* the tag over everything before it, key id and sequence included */
	if (!kex_auth_tag(kex, p, out, n + 12, now, &id, out + n + 12))
		return 0;
	return n + PEERPKT_TAG_TLV;
}

void peerpkt_find_tag(const uint8_t *b, size_t len, struct peerpkt *out)
{
	const uint8_t *t;

	memset(out, 0, sizeof(*out));
	if (len < BFD_CTRL_LEN + SVRMETA_HDR + PEERPKT_TAG_TLV)
		return;
	t = b + len - PEERPKT_TAG_TLV;
	if (t[0] != (SVRMETA_TLV_AUTH >> 8) || t[1] != (SVRMETA_TLV_AUTH & 0xff) || t[2] != 0 ||
	    t[3] != PEERPKT_TAG_TLV - 4)
		return;
	out->tagged = true;
	out->key_id = get32(t + 4);
	out->seq = get32(t + 8);
	out->tag = t + 12;
	out->signed_len = len - KEX_TAG_LEN;
}

int peerpkt_parse(const uint8_t *b, size_t len, struct peerpkt *out)
{
	int rc;

	out->kmsg = NULL;
	out->klen = 0;
	if (len <= BFD_CTRL_LEN)
		return 0;
	rc = svrmeta_find(b + BFD_CTRL_LEN, len - BFD_CTRL_LEN, SVRMETA_TLV_KEX, &out->kmsg,
			  &out->klen);
	if (rc < 0) {
		out->kmsg = NULL;
		out->klen = 0;
		return -1;
	}
	if (rc > 0) {
		out->kmsg = NULL;
		out->klen = 0;
	}
	return 0;
}

bool peerpkt_fresh(struct peerpkt_replay *r, uint32_t key_id, uint32_t seq)
{
	int slot = -1;

	for (int i = 0; i < 2; i++)
		if (r->used[i] && r->id[i] == key_id)
			slot = i;
	if (slot >= 0) {
		if (seq <= r->seq[slot])
			return false;
		r->seq[slot] = seq;
		return true;
	}
	/* a new key: it takes the place of the older of the two */
	slot = !r->used[0] ? 0 : !r->used[1] ? 1 : r->id[0] < r->id[1] ? 0 : 1;
	r->used[slot] = true;
	r->id[slot] = key_id;
	r->seq[slot] = seq;
	return true;
}
