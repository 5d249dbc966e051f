/* Fuzz the receive path of session packets: replay check, tag, decrypt,
 * window update, as the datapath runs them.  The first byte picks a mode:
 *   even: the rest is a packet off the wire (it must never open: the
 *         fuzzer cannot forge a tag, and nothing may crash or leak);
 *   odd:  the rest is a plaintext that is sealed, then changed in one
 *         byte chosen by the input: the untouched packet must open to the
 *         same plaintext exactly once (a second time is a replay), the
 *         changed one never. */
#include <stdint.h>
#include <string.h>

#include "crypto.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct crypto_pkt_key *key(void)
{
	static struct crypto_pkt_key *k;

	if (!k) {
		struct crypto_seal_key sk;

		memset(sk.enc, 0x11, sizeof(sk.enc));
		memset(sk.mac, 0x22, sizeof(sk.mac));
		k = crypto_pkt_key_new(&sk);
	}
	return k;
}

/* what the datapath does with a packet: 1 delivered, 0 dropped */
static int receive(struct replay *r, const uint8_t *in, size_t len, uint8_t *pt, size_t cap,
		   ssize_t *n)
{
	uint64_t seq;

	if (!crypto_pkt_seq(in, len, &seq) || replay_check(r, seq) != REPLAY_OK)
		return 0;
	*n = crypto_pkt_open(key(), 0, NULL, 0, in, len, pt, cap);
	if (*n < 0)
		return 0;
	if (replay_update(r, seq) != REPLAY_OK)
		__builtin_trap(); /* checked a moment ago */
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[4096 + 64], bad[4096 + 64], pt[4096 + 64];
	struct replay r;
	ssize_t n = 0, len;
	size_t at;
	uint64_t seq;

	if (size < 1 || size > 4096)
		return 0;
	replay_init(&r);
	if (!(data[0] & 1)) {
		if (receive(&r, data + 1, size - 1, pt, sizeof(pt), &n))
			__builtin_trap(); /* a forged packet opened */
		return 0;
	}
	seq = size > 9 ? (uint64_t)data[1] << 8 | data[2] : 1;
	len = crypto_pkt_seal(key(), 0, seq ? seq : 1, NULL, 0, data + 1, size - 1, pkt,
			      sizeof(pkt));
	if (len < 0)
		__builtin_trap();
	at = (size_t)data[size - 1] * 31 % (size_t)len;
	memcpy(bad, pkt, (size_t)len);
	bad[at] ^= (uint8_t)(data[size / 2] | 1);
	if (receive(&r, bad, (size_t)len, pt, sizeof(pt), &n))
		__builtin_trap(); /* a changed packet opened */
	if (!receive(&r, pkt, (size_t)len, pt, sizeof(pt), &n) || (size_t)n != size - 1 ||
	    memcmp(pt, data + 1, size - 1) != 0)
		__builtin_trap(); /* the packet did not come back as it was */
	if (receive(&r, pkt, (size_t)len, pt, sizeof(pt), &n))
		__builtin_trap(); /* a replay was delivered */
	return 0;
}
