/* Fuzz the key-exchange message parser: a router that has completed its
 * exchange with a peer takes arbitrary bytes "from" that peer.  Nothing
 * may crash, and the established keys must survive. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "kex.h"
#include "kexpair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kexpair kp;

static void setup(void)
{
	kexpair_init(&kp, (uint64_t)time(NULL) * 1000);
	kexpair_settle(&kp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kex_peer_state s;

	if (!kp.a)
		setup();
	/* an attacker's datagram: no valid tag (the first byte says whether
	 * it claims one: a tag it cannot have makes no difference) */
	kex_input(kp.b, 0, data, size, false, kp.now);
	kexpair_settle(&kp);
	kex_peer_state(kp.b, 0, &s);
	/* established state is never lost to garbage */
	if (strcmp(s.status, "MKEY_EXCH_COMP") != 0)
		__builtin_trap();
	return 0;
}
