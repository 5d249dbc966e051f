/* Fuzz the SVR metadata parser as a receiving router runs it on the first
 * packets of a session: the frame, the header TLVs, then the payload
 * section opened with a metadata key.  Whatever parses must lie inside the
 * input; a section the fuzzer made cannot open (it has no key).  When the
 * first byte is 0xff the rest seeds a session metadata that is encoded and
 * must decode to the same values. */
#include <stdint.h>
#include <string.h>

#include "svrmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct crypto_seal_key key(void)
{
	struct crypto_seal_key k;

	memset(k.enc, 0x33, sizeof(k.enc));
	memset(k.mac, 0x44, sizeof(k.mac));
	return k;
}

static void round_trip(const uint8_t *d, size_t n)
{
	struct crypto_seal_key k = key();
	struct svr_session_meta m, got;
	static uint8_t buf[4096];
	struct svrmeta f;
	const char *why;
	size_t len;

	memset(&m, 0, sizeof(m));
	if (n < 40)
		return;
	memcpy(&m.key_index, d, 4);
	memcpy(&m.time_ms, d + 4, 8);
	m.fwd.family = d[12] & 1 ? 6 : 4;
	memcpy(m.fwd.src, d + 13, 16);
	memcpy(m.uuid, d + 24, 16);
	m.encrypted = d[12] & 2;
	m.tcp_syn = d[12] & 4;
	m.no_fwd_meta = d[12] & 8;
	m.wrapped_len = n - 40 > sizeof(m.wrapped_key) ? sizeof(m.wrapped_key) : n - 40;
	memcpy(m.wrapped_key, d + 40, m.wrapped_len);
	len = svrmeta_session_encode(&m, &k, buf, sizeof(buf));
	if (!len || svrmeta_session_header(buf, len, &got, &f, &why) != 0 ||
	    svrmeta_session_open(buf, &f, &k, &got, &why) != 0 || got.key_index != m.key_index ||
	    got.time_ms != m.time_ms || got.wrapped_len != m.wrapped_len ||
	    memcmp(got.wrapped_key, m.wrapped_key, m.wrapped_len) != 0 ||
	    memcmp(got.fwd.src, m.fwd.src, m.fwd.family == 6 ? 16 : 4) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_seal_key k = key();
	struct svr_session_meta m;
	struct svrmeta f;
	const char *why;
	size_t off = 0, vlen;
	const uint8_t *val;
	uint16_t type;

	if (size > 0 && data[0] == 0xff) {
		round_trip(data + 1, size - 1);
		return 0;
	}
	if (svrmeta_session_header(data, size, &m, &f, &why) != 0)
		return 0;
	if (f.hlen + f.plen > size || f.htlv != data + SVRMETA_HDR || f.ptlv != data + f.hlen)
		__builtin_trap();
	while (svrmeta_next(f.ptlv, f.plen, &off, &type, &val, &vlen) == 1)
		if (val < f.ptlv || val + vlen > f.ptlv + f.plen)
			__builtin_trap();
	if (f.plen && svrmeta_session_open(data, &f, &k, &m, &why) == 0)
		__builtin_trap(); /* the fuzzer forged a sealed section */
	return 0;
}
