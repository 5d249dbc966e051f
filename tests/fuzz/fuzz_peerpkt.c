/* Fuzz what arrives on UDP 1280: a BFD control packet, then optionally an
 * SVR metadata block carrying a key-exchange message.  The BFD session and
 * the metadata parser must refuse garbage without crashing, and whatever
 * the parser returns must lie inside the datagram. */
#include <stddef.h>
#include <stdint.h>

#include "bfd.h"
#include "svrmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_session s;
	uint8_t out[BFD_CTRL_LEN];
	const uint8_t *val = NULL;
	size_t vlen = 0;

	bfd_init(&s, 0x1234, 1, 1000);
	bfd_input(&s, data, size, 1000);
	bfd_tick(&s, 5000, out);
	if (size > BFD_CTRL_LEN && svrmeta_find(data + BFD_CTRL_LEN, size - BFD_CTRL_LEN,
						SVRMETA_TLV_KEX, &val, &vlen) == 0) {
		if (val < data || val + vlen > data + size)
			__builtin_trap();
	}
	return 0;
}
