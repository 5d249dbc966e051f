/* Fuzz what arrives on UDP 1280 (engine/peerpkt.h): a BFD control packet,
 * then optionally an SVR metadata block carrying a key-exchange message
 * and the datagram's tag.  Finding the tag trusts nothing, the BFD session
 * and the metadata parser refuse garbage, whatever they return lies inside
 * the datagram, and the replay window only ever moves forward. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bfd.h"
#include "peerpkt.h"
#include "svrmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_session s;
	uint8_t out[BFD_CTRL_LEN];
	struct peerpkt pk;
	static struct peerpkt_replay r;

	bfd_init(&s, 0x1234, 1, 1000);
	peerpkt_find_tag(data, size, &pk);
	if (pk.tagged) {
		if (pk.tag < data || pk.tag + KEX_TAG_LEN != data + size ||
		    pk.signed_len + KEX_TAG_LEN != size)
			__builtin_trap();
		if (peerpkt_fresh(&r, pk.key_id, pk.seq) && peerpkt_fresh(&r, pk.key_id, pk.seq))
			__builtin_trap(); /* the same datagram twice */
	}
	bfd_input(&s, data, size, 1000);
	bfd_tick(&s, 5000, out);
	if (peerpkt_parse(data, size, &pk) == 0 && pk.kmsg &&
	    (pk.kmsg < data || pk.kmsg + pk.klen > data + size))
		__builtin_trap();
	return 0;
}
