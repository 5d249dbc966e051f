/* SVR metadata blocks; see svrmeta.h. */
#include "config.h"

#include <string.h>

#include "svrmeta.h"

const uint8_t svrmeta_cookie[8] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c};

int svrmeta_next(const uint8_t *sec, size_t len, size_t *off, uint16_t *type, const uint8_t **val,
		 size_t *vlen)
{
	size_t o = *off, tl;

	if (o >= len)
		return 0;
	if (len - o < 4)
		return -1;
	tl = (size_t)sec[o + 2] << 8 | sec[o + 3];
	if (len - o - 4 < tl)
		return -1;
	*type = (uint16_t)(sec[o] << 8 | sec[o + 1]);
	*val = sec + o + 4;
	*vlen = tl;
	*off = o + 4 + tl;
	return 1;
}

int svrmeta_parse(const uint8_t *b, size_t len, struct svrmeta *m)
{
	size_t off = 0, vlen;
	const uint8_t *val;
	uint16_t type;
	int rc;

	if (len < 8 || memcmp(b, svrmeta_cookie, 8) != 0)
		return 1;
	if (len < SVRMETA_HDR || (b[8] >> 4) != 1)
		return -1;
	m->hlen = (size_t)(b[8] & 0x0f) << 8 | b[9];
	m->plen = (size_t)b[10] << 8 | b[11];
	if (m->hlen < SVRMETA_HDR || m->hlen + m->plen > len)
		return -1;
	m->htlv = b + SVRMETA_HDR;
	m->ptlv = b + m->hlen;
	/* the header TLVs must tile the header exactly */
	while ((rc = svrmeta_next(m->htlv, m->hlen - SVRMETA_HDR, &off, &type, &val, &vlen)) == 1)
		;
	return rc;
}

int svrmeta_find(const uint8_t *b, size_t len, uint16_t type, const uint8_t **val, size_t *vlen)
{
	struct svrmeta m;
	size_t off = 0;
	uint16_t t;
	int rc;

	if (svrmeta_parse(b, len, &m) != 0)
		return -1;
	while ((rc = svrmeta_next(m.htlv, m.hlen - SVRMETA_HDR, &off, &t, val, vlen)) == 1)
		if (t == type)
			return 0;
	return rc < 0 ? -1 : 1;
}

void svrmeta_begin(struct svrmeta_writer *w, uint8_t *buf, size_t cap)
{
	w->b = buf;
	w->cap = cap;
	w->len = SVRMETA_HDR;
	w->failed = cap < SVRMETA_HDR;
	if (!w->failed)
		memcpy(buf, svrmeta_cookie, 8);
}

void svrmeta_put(struct svrmeta_writer *w, uint16_t type, const void *val, size_t len)
{
	if (w->failed || len > 0xffff || w->cap - w->len < 4 + len) {
		w->failed = true;
		return;
	}
	w->b[w->len] = (uint8_t)(type >> 8);
	w->b[w->len + 1] = (uint8_t)type;
	w->b[w->len + 2] = (uint8_t)(len >> 8);
	w->b[w->len + 3] = (uint8_t)len;
	if (len)
		memcpy(w->b + w->len + 4, val, len);
	w->len += 4 + len;
}

void svrmeta_put_u32(struct svrmeta_writer *w, uint16_t type, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	svrmeta_put(w, type, be, 4);
}

size_t svrmeta_finish(struct svrmeta_writer *w)
{
	size_t hlen = w->len;

	if (w->failed || hlen > 0x0fff)
		return 0;
	w->b[8] = (uint8_t)(1 << 4 | hlen >> 8);
	w->b[9] = (uint8_t)hlen;
	w->b[10] = w->b[11] = 0; /* no payload TLVs */
	return w->len;
}

/* ---- a session's first packets ------------------------------------------- */

static void put_ctx(struct svrmeta_writer *w, const struct svr_ctx *c)
{
	uint8_t v[37];
	size_t a = c->family == 6 ? 16 : 4;

	memcpy(v, c->src, a);
	memcpy(v + a, c->dst, a);
	v[2 * a] = (uint8_t)(c->sport >> 8);
	v[2 * a + 1] = (uint8_t)c->sport;
	v[2 * a + 2] = (uint8_t)(c->dport >> 8);
	v[2 * a + 3] = (uint8_t)c->dport;
	v[2 * a + 4] = c->proto;
	svrmeta_put(w, c->family == 6 ? SVRMETA_TLV_FWD6 : SVRMETA_TLV_FWD4, v, 2 * a + 5);
}

static void put_str(struct svrmeta_writer *w, uint16_t type, const char *s)
{
	if (*s)
		svrmeta_put(w, type, s, strnlen(s, 63));
}

size_t svrmeta_session_encode(const struct svr_session_meta *m, const struct crypto_seal_key *mk,
			      uint8_t *out, size_t cap)
{
	uint8_t pt[1024], t[8];
	struct svrmeta_writer w, p;
	size_t plen, hlen, sealed;
	ssize_t n;

	/* the payload TLVs, in clear, apart */
	svrmeta_begin(&p, pt, sizeof(pt));
	if (m->fwd.family == 4 || m->fwd.family == 6)
		put_ctx(&p, &m->fwd);
	svrmeta_put(&p, SVRMETA_TLV_UUID, m->uuid, 16);
	put_str(&p, SVRMETA_TLV_SERVICE, m->service);
	put_str(&p, SVRMETA_TLV_SRC_ROUTER, m->src_router);
	put_str(&p, SVRMETA_TLV_DST_ROUTER, m->dst_router);
	if (m->encrypted)
		svrmeta_put(&p, SVRMETA_TLV_ENCRYPTED, NULL, 0);
	if (m->tcp_syn)
		svrmeta_put(&p, SVRMETA_TLV_TCP_SYN, NULL, 0);
	if (m->wrapped_len)
		svrmeta_put(&p, SVRMETA_TLV_PAYLOAD_KEY, m->wrapped_key, m->wrapped_len);
	if (p.failed)
		return 0;
	plen = p.len - SVRMETA_HDR;
	sealed = crypto_sealed_len(plen);
	/* the header, its lengths final before it is sealed over */
	svrmeta_begin(&w, out, cap);
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, m->key_index);
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(m->time_ms >> (56 - 8 * i));
	svrmeta_put(&w, SVRMETA_TLV_TIME, t, 8);
	if (m->no_fwd_meta)
		svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
	if (m->meta_only)
		svrmeta_put(&w, SVRMETA_TLV_META_ONLY, NULL, 0);
	hlen = w.len;
	if (w.failed || hlen > 0x0fff || sealed > 0xffff || cap - hlen < sealed)
		goto fail;
	out[8] = (uint8_t)(1 << 4 | hlen >> 8);
	out[9] = (uint8_t)hlen;
	out[10] = (uint8_t)(sealed >> 8);
	out[11] = (uint8_t)sealed;
	n = crypto_seal(mk, out, hlen, pt + SVRMETA_HDR, plen, out + hlen, cap - hlen);
	if (n != (ssize_t)sealed)
		goto fail;
	crypto_wipe(pt, sizeof(pt));
	return hlen + sealed;
fail:
	crypto_wipe(pt, sizeof(pt));
	return 0;
}

int svrmeta_session_header(const uint8_t *b, size_t len, struct svr_session_meta *m,
			   struct svrmeta *f, const char **why)
{
	const uint8_t *val;
	size_t off = 0, vlen;
	uint16_t type;
	bool have_index = false;
	int rc = svrmeta_parse(b, len, f);

	memset(m, 0, sizeof(*m));
	*why = rc < 0 ? "malformed SVR metadata frame" : NULL;
	if (rc != 0)
		return rc;
	while (svrmeta_next(f->htlv, f->hlen - SVRMETA_HDR, &off, &type, &val, &vlen) == 1) {
		if (type == SVRMETA_TLV_KEY_INDEX) {
			if (vlen != 4 || have_index)
				goto bad;
			m->key_index = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 |
				       (uint32_t)val[2] << 8 | val[3];
			have_index = true;
		} else if (type == SVRMETA_TLV_TIME) {
			if (vlen != 8)
				goto bad;
			for (int i = 0; i < 8; i++)
				m->time_ms = m->time_ms << 8 | val[i];
		} else if (type == SVRMETA_TLV_NO_FWD_META) {
			if (vlen != 0)
				goto bad;
			m->no_fwd_meta = true;
		} else if (type == SVRMETA_TLV_META_ONLY) {
			if (vlen != 0)
				goto bad;
			m->meta_only = true;
		} else if (type == SVRMETA_TLV_RETRIGGER) {
			if (vlen != 0)
				goto bad;
			m->retrigger = true;
		} /* other header TLVs: not ours to read */
	}
	if (f->plen && !have_index) {
		*why = "a sealed payload section without a key index (TLV 16)";
		return -1;
	}
	return 0;
bad:
	*why = "a header TLV of the wrong length or given twice";
	return -1;
}

static int get_ctx(struct svr_ctx *c, int family, const uint8_t *v, size_t len)
{
	size_t a = family == 6 ? 16 : 4;

	if (len != 2 * a + 5 || c->family)
		return -1;
	c->family = family;
	memcpy(c->src, v, a);
	memcpy(c->dst, v + a, a);
	c->sport = (uint16_t)(v[2 * a] << 8 | v[2 * a + 1]);
	c->dport = (uint16_t)(v[2 * a + 2] << 8 | v[2 * a + 3]);
	c->proto = v[2 * a + 4];
	return 0;
}

static int get_str(char *dst, size_t cap, const uint8_t *v, size_t len)
{
	if (*dst || len == 0 || len >= cap || memchr(v, 0, len))
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

int svrmeta_session_open(const uint8_t *b, const struct svrmeta *f,
			 const struct crypto_seal_key *mk, struct svr_session_meta *m,
			 const char **why)
{
	uint8_t pt[1024];
	const uint8_t *val;
	size_t off = 0, vlen;
	uint16_t type;
	bool uuid = false;
	ssize_t n;
	int rc = -1, more;

	*why = "the payload section does not open with the metadata key";
	n = crypto_open(mk, b, f->hlen, f->ptlv, f->plen, pt, sizeof(pt));
	if (n < 0)
		return -1;
	*why = "a payload TLV of the wrong length, given twice, or past the section";
	while ((more = svrmeta_next(pt, (size_t)n, &off, &type, &val, &vlen)) == 1) {
		switch (type) {
		case SVRMETA_TLV_FWD4:
		case SVRMETA_TLV_FWD6:
			if (get_ctx(&m->fwd, type == SVRMETA_TLV_FWD6 ? 6 : 4, val, vlen) < 0)
				goto out;
			break;
		case SVRMETA_TLV_UUID:
			if (vlen != 16 || uuid)
				goto out;
			memcpy(m->uuid, val, 16);
			uuid = true;
			break;
		case SVRMETA_TLV_SERVICE:
			if (get_str(m->service, sizeof(m->service), val, vlen) < 0)
				goto out;
			break;
		case SVRMETA_TLV_SRC_ROUTER:
			if (get_str(m->src_router, sizeof(m->src_router), val, vlen) < 0)
				goto out;
			break;
		case SVRMETA_TLV_DST_ROUTER:
			if (get_str(m->dst_router, sizeof(m->dst_router), val, vlen) < 0)
				goto out;
			break;
		case SVRMETA_TLV_ENCRYPTED:
		case SVRMETA_TLV_TCP_SYN:
			if (vlen != 0)
				goto out;
			*(type == SVRMETA_TLV_ENCRYPTED ? &m->encrypted : &m->tcp_syn) = true;
			break;
		case SVRMETA_TLV_PAYLOAD_KEY:
			if (vlen == 0 || vlen > sizeof(m->wrapped_key) || m->wrapped_len)
				goto out;
			memcpy(m->wrapped_key, val, vlen);
			m->wrapped_len = vlen;
			break;
		default: /* not ours to read */
			break;
		}
	}
	if (more == 0) {
		rc = 0;
		*why = NULL;
	}
out:
	crypto_wipe(pt, sizeof(pt));
	return rc;
}
