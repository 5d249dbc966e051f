#include <criterion/criterion.h>
#include <string.h>

#include "frame.h"

static void put(struct frame_reader *r, uint32_t n, const char *body)
{
	uint8_t hdr[FRAME_HDR_LEN];

	frame_header(hdr, n);
	cr_assert_eq(frame_feed(r, hdr, sizeof(hdr)), FRAME_AGAIN);
	if (body)
		cr_assert_eq(frame_feed(r, body, strlen(body)), FRAME_AGAIN);
}

Test(frame, header_is_big_endian)
{
	uint8_t h[4];

	frame_header(h, 0x01020304);
	cr_assert(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4);
}

Test(frame, one_message)
{
	struct frame_reader r;
	const uint8_t *m;
	size_t n;

	frame_reader_init(&r, 100);
	put(&r, 5, "hello");
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_OK);
	cr_assert_eq(n, 5);
	cr_assert(memcmp(m, "hello", 5) == 0);
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_AGAIN);
	frame_reader_reset(&r);
}

Test(frame, byte_by_byte_and_back_to_back)
{
	struct frame_reader r;
	uint8_t wire[] = {0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 'c'};
	const uint8_t *m;
	size_t n;
	int got = 0;

	frame_reader_init(&r, 100);
	for (size_t i = 0; i < sizeof(wire); i++) {
		cr_assert_eq(frame_feed(&r, wire + i, 1), FRAME_AGAIN);
		while (frame_next(&r, &m, &n) == FRAME_OK) {
			if (got == 0)
				cr_assert(n == 2 && m[0] == 'a' && m[1] == 'b');
			else
				cr_assert(n == 1 && m[0] == 'c');
			got++;
		}
	}
	cr_assert_eq(got, 2);
	frame_reader_reset(&r);
}

Test(frame, truncated_message_waits)
{
	struct frame_reader r;
	const uint8_t *m;
	size_t n;

	frame_reader_init(&r, 100);
	put(&r, 10, "abc");
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_AGAIN);
	frame_reader_reset(&r);
}

Test(frame, limit_edges)
{
	struct frame_reader r;
	uint8_t hdr[4];
	const uint8_t *m;
	size_t n;
	char body[17];

	frame_reader_init(&r, 16);
	memset(body, 'x', 16);
	body[16] = '\0';
	put(&r, 16, body); /* exactly the limit: accepted */
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_OK);
	cr_assert_eq(n, 16);
	frame_header(hdr, 17); /* one above: refused from the header alone */
	cr_assert_eq(frame_feed(&r, hdr, 4), FRAME_TOO_BIG);
	frame_reader_reset(&r);
}

Test(frame, zero_length_is_an_error)
{
	struct frame_reader r;
	uint8_t hdr[4];

	frame_reader_init(&r, 16);
	frame_header(hdr, 0);
	cr_assert_eq(frame_feed(&r, hdr, 4), FRAME_EMPTY);
	frame_reader_reset(&r);
}

Test(frame, undrained_reader_refuses_to_grow)
{
	struct frame_reader r;
	char junk[64];

	memset(junk, 0, sizeof(junk));
	frame_reader_init(&r, 8);
	/* 2 * (8 + 4) = 24 bytes at most may be buffered. */
	cr_assert_eq(frame_feed(&r, "\0\0\0\x08", 4), FRAME_AGAIN);
	cr_assert_neq(frame_feed(&r, junk, sizeof(junk)), FRAME_AGAIN);
	frame_reader_reset(&r);
}

Test(frame, strerror_names_each_status)
{
	cr_assert_str_eq(frame_strerror(FRAME_TOO_BIG), "message larger than the limit");
	cr_assert_str_eq(frame_strerror(FRAME_EMPTY), "empty message");
}

/* frame_ready() says what frame_next() would, and takes nothing. */
Test(frame, ready_peeks_without_taking)
{
	struct frame_reader r;
	const uint8_t *m;
	size_t n;

	frame_reader_init(&r, 100);
	cr_assert_eq(frame_ready(&r), FRAME_AGAIN);
	put(&r, 5, "hel");
	cr_assert_eq(frame_ready(&r), FRAME_AGAIN);
	cr_assert_eq(frame_feed(&r, "lo", 2), FRAME_AGAIN);
	put(&r, 2, "ab");
	cr_assert_eq(frame_buffered(&r), 2 * FRAME_HDR_LEN + 7);
	cr_assert_eq(frame_ready(&r), FRAME_OK);
	cr_assert_eq(frame_ready(&r), FRAME_OK);
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_OK);
	cr_assert(n == 5 && memcmp(m, "hello", 5) == 0);
	cr_assert_eq(frame_ready(&r), FRAME_OK);
	cr_assert_eq(frame_next(&r, &m, &n), FRAME_OK);
	cr_assert(n == 2 && memcmp(m, "ab", 2) == 0);
	cr_assert_eq(frame_ready(&r), FRAME_AGAIN);
	cr_assert_eq(frame_buffered(&r), 0);
	cr_assert_eq(frame_feed(&r, "\0\0\0\0", 4), FRAME_EMPTY);
	cr_assert_eq(frame_ready(&r), FRAME_EMPTY);
	frame_reader_reset(&r);
}
