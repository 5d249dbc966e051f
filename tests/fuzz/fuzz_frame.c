/* Fuzz the framing decoder: the first byte picks the limit, the rest is fed
 * in chunks whose sizes come from the input itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader r;
	size_t off = 1;

	if (size < 1)
		return 0;
	frame_reader_init(&r, (size_t)data[0] * 4 + 1);
	while (off < size) {
		size_t chunk = (size_t)(data[off] % 17) + 1;
		const uint8_t *msg;
		size_t len;
		enum frame_status st;

		if (chunk > size - off)
			chunk = size - off;
		st = frame_feed(&r, data + off, chunk);
		off += chunk;
		while (st == FRAME_AGAIN && (st = frame_next(&r, &msg, &len)) == FRAME_OK) {
			if (len == 0 || len > r.max)
				__builtin_trap();
			volatile uint8_t sink = msg[len - 1];
			(void)sink;
			st = FRAME_AGAIN;
		}
		if (st != FRAME_AGAIN)
			break;
	}
	frame_reader_reset(&r);
	return 0;
}
