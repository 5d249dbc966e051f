/* Fuzz the datapath's parsers: whatever arrives from a LAN or the WAN.
 * The first byte picks where: even, the rest is a packet from routerA's
 * LAN; odd, a packet from routerB's WAN.  Nothing may crash, and a WAN
 * packet the fuzzer made can never be delivered (it has no key). */
#include <string.h>

#include "datapath.h"
#include "dpharness.h"
#include "segment.h"

static void check_segment(const uint8_t *pkt, size_t len, void *arg)
{
	(void)arg;
	if (len < 40 || (pkt[0] >> 4 != 4 && pkt[0] >> 4 != 6))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* both routers hold the same metadata key, index 7 (tests/dpharness.h) */
static struct dph_keys keys;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp *a, *b;
	static struct dp_out out;

	if (!a) {
		dph_keys_init(&keys, 7, 0x5a);
		dph_knows(&keys, 0, &keys);
		a = dph_router(&keys, "routerA");
		b = dph_router(&keys, "routerB");
		dp_add_peer(a, 0, "routerB", "198.51.100.2", "198.51.100.1");
		dp_add_peer(b, 0, "routerA", "198.51.100.1", "198.51.100.2");
		dp_add_service(a, "all", "0.0.0.0/0", 0);
		dp_add_service(a, "all6", "::/0", 0);
		dp_add_local(b, "0.0.0.0/0");
		dp_add_local(b, "::/0");
		dp_add_epochs(b, 1, 1u << 30);
	}
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		/* a capture's super-packet first: each segment must be a packet */
		if (data[0] & 2)
			tcp_segment(data + 1, size - 1, 1 + data[0] % 200, check_segment, NULL);
		if (dp_lan_in(a, data + 1, size - 1, 1000, &out) == DP_SEND && out.len < 28)
			__builtin_trap();
	} else if (dp_wan_in(b, data + 1, size - 1, 1000, &out) == DP_SEND) {
		__builtin_trap(); /* a made-up packet was delivered */
	}
	dp_tick(a, 1000 + 3600000); /* keep the table small */
	return 0;
}
