/* Fuzz the framing decoder the way svrd drives it: the first byte picks the
 * limit, the rest is fed in chunks whose sizes come from the input itself;
 * each turn takes up to a few messages (also from the input) and feeds only
 * when frame_ready() says no whole message is waiting.  frame_ready() must
 * agree with frame_next(), and the reader must never hold more than one
 * message and one chunk. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Take up to n messages; the status that stopped the turn. */
static enum frame_status take(struct frame_reader *r, unsigned n)
{
	enum frame_status st = FRAME_AGAIN;

	while (n--) {
		enum frame_status ready = frame_ready(r);
		const uint8_t *msg;
		size_t len;

		st = frame_next(r, &msg, &len);
		if (st != ready)
			__builtin_trap();
		if (st != FRAME_OK)
			return st;
		if (len == 0 || len > r->max)
			__builtin_trap();
		volatile uint8_t sink = msg[len - 1];
		(void)sink;
	}
	return frame_ready(r) == FRAME_OK ? FRAME_AGAIN : frame_ready(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader r;
	size_t off = 1;

	if (size < 1)
		return 0;
	frame_reader_init(&r, (size_t)data[0] * 4 + 1);
	while (off < size) {
		size_t chunk = (size_t)(data[off] % 17) + 1;
		unsigned per_turn = data[off] >> 5;
		enum frame_status st = FRAME_AGAIN;

		if (frame_ready(&r) != FRAME_OK) {
			if (chunk > size - off)
				chunk = size - off;
			st = frame_feed(&r, data + off, chunk);
			off += chunk;
			if (frame_buffered(&r) > r.max + FRAME_HDR_LEN + 17)
				__builtin_trap();
		}
		if (st == FRAME_AGAIN)
			st = take(&r, per_turn ? per_turn : 1);
		if (st != FRAME_AGAIN)
			break;
	}
	frame_reader_reset(&r);
	return 0;
}
