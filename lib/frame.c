/* Length-prefixed framing; see frame.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"

void frame_reader_init(struct frame_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max ? max : FRAME_MAX_DEFAULT;
}

void frame_reader_reset(struct frame_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	frame_reader_init(r, r->max);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void frame_header(uint8_t hdr[FRAME_HDR_LEN], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/* Check the header at the read position before buffering a body behind it. */
static enum frame_status check_header(const struct frame_reader *r)
{
	uint32_t n;

	if (r->len - r->used < FRAME_HDR_LEN)
		return FRAME_AGAIN;
	n = get_be32(r->buf + r->used);
	if (n == 0)
		return FRAME_EMPTY;
	if (n > r->max)
		return FRAME_TOO_BIG;
	return FRAME_OK;
}

enum frame_status frame_feed(struct frame_reader *r, const void *data, size_t len)
{
	enum frame_status st;

	if (r->used) {
		memmove(r->buf, r->buf + r->used, r->len - r->used);
		r->len -= r->used;
		r->used = 0;
	}
	/* A reader that drains after every feed never holds more than one
	 * maximal message plus one read; refuse to grow past twice that. */
	if (len > 2 * (r->max + FRAME_HDR_LEN) - r->len)
		return FRAME_TOO_BIG;
	if (len > r->cap - r->len) {
		size_t want = r->cap ? r->cap * 2 : 256;
		uint8_t *nb;

		if (want < r->len + len)
			want = r->len + len;
		nb = realloc(r->buf, want);
		if (!nb)
			return FRAME_NOMEM;
		r->buf = nb;
		r->cap = want;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	st = check_header(r);
	return st == FRAME_OK ? FRAME_AGAIN : st;
}

enum frame_status frame_ready(const struct frame_reader *r)
{
	enum frame_status st = check_header(r);

	if (st != FRAME_OK)
		return st;
	if (r->len - r->used - FRAME_HDR_LEN < get_be32(r->buf + r->used))
		return FRAME_AGAIN;
	return FRAME_OK;
}

size_t frame_buffered(const struct frame_reader *r)
{
	return r->len - r->used;
}

enum frame_status frame_next(struct frame_reader *r, const uint8_t **msg, size_t *len)
{
	enum frame_status st = check_header(r);
	uint32_t n;

	if (st != FRAME_OK)
		return st;
	n = get_be32(r->buf + r->used);
	if (r->len - r->used - FRAME_HDR_LEN < n)
		return FRAME_AGAIN;
	*msg = r->buf + r->used + FRAME_HDR_LEN;
	*len = n;
	r->used += FRAME_HDR_LEN + n;
	return FRAME_OK;
}

const char *frame_strerror(enum frame_status st)
{
	switch (st) {
	case FRAME_OK:
		return "ok";
	case FRAME_AGAIN:
		return "incomplete message";
	case FRAME_TOO_BIG:
		return "message larger than the limit";
	case FRAME_EMPTY:
		return "empty message";
	case FRAME_NOMEM:
		return "out of memory";
	}
	return "unknown framing error";
}
