/* The SVR metadata codec: the public frame (cookie, version, lengths,
 * TLVs), the guard header for payloads that begin with the cookie, and a
 * session's first-packet metadata with its payload section sealed by the
 * receiver's metadata key (doc/protocol.md "Session metadata"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "svrmeta.h"

static struct crypto_seal_key mkey(uint8_t x)
{
	struct crypto_seal_key k;

	memset(k.enc, x, sizeof(k.enc));
	memset(k.mac, x + 1, sizeof(k.mac));
	return k;
}

static struct svr_session_meta sample(int family)
{
	struct svr_session_meta m;

	memset(&m, 0, sizeof(m));
	m.key_index = 0x01020304;
	m.time_ms = 1795727568123ull;
	m.fwd.family = family;
	if (family == 4) {
		memcpy(m.fwd.src, (uint8_t[]){192, 0, 2, 10}, 4);
		memcpy(m.fwd.dst, (uint8_t[]){203, 0, 113, 10}, 4);
	} else {
		memcpy(m.fwd.src, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0xa, [15] = 0x10}, 16);
		memcpy(m.fwd.dst, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0xb, [15] = 0x10}, 16);
	}
	m.fwd.sport = 40000;
	m.fwd.dport = 5201;
	m.fwd.proto = 6;
	for (int i = 0; i < 16; i++)
		m.uuid[i] = (uint8_t)(0xa0 + i);
	snprintf(m.service, sizeof(m.service), "hostB-lan");
	snprintf(m.src_router, sizeof(m.src_router), "routerA");
	snprintf(m.dst_router, sizeof(m.dst_router), "routerB");
	m.encrypted = true;
	m.tcp_syn = true;
	m.wrapped_len = 164;
	for (size_t i = 0; i < m.wrapped_len; i++)
		m.wrapped_key[i] = (uint8_t)i;
	return m;
}

static void same(const struct svr_session_meta *a, const struct svr_session_meta *b)
{
	cr_assert_eq(a->key_index, b->key_index);
	cr_assert_eq(a->time_ms, b->time_ms);
	cr_assert_eq(a->no_fwd_meta, b->no_fwd_meta);
	cr_assert_eq(a->fwd.family, b->fwd.family);
	cr_assert_eq(memcmp(a->fwd.src, b->fwd.src, 16), 0);
	cr_assert_eq(memcmp(a->fwd.dst, b->fwd.dst, 16), 0);
	cr_assert_eq(a->fwd.sport, b->fwd.sport);
	cr_assert_eq(a->fwd.dport, b->fwd.dport);
	cr_assert_eq(a->fwd.proto, b->fwd.proto);
	cr_assert_eq(memcmp(a->uuid, b->uuid, 16), 0);
	cr_assert_str_eq(a->service, b->service);
	cr_assert_str_eq(a->src_router, b->src_router);
	cr_assert_str_eq(a->dst_router, b->dst_router);
	cr_assert_eq(a->encrypted, b->encrypted);
	cr_assert_eq(a->tcp_syn, b->tcp_syn);
	cr_assert_eq(a->wrapped_len, b->wrapped_len);
	cr_assert_eq(memcmp(a->wrapped_key, b->wrapped_key, a->wrapped_len), 0);
}

Test(svrmeta, session_metadata_round_trips_ipv4_and_ipv6)
{
	struct crypto_seal_key k = mkey(7);

	for (int family = 4; family <= 6; family += 2) {
		struct svr_session_meta m = sample(family), got;
		uint8_t buf[2048];
		struct svrmeta f;
		const char *why;
		size_t n = svrmeta_session_encode(&m, &k, buf, sizeof(buf));

		cr_assert_gt(n, 0);
		cr_assert_eq(svrmeta_session_header(buf, n, &got, &f, &why), 0, "%s", why);
		cr_assert_eq(f.hlen + f.plen, n);
		cr_assert_eq(got.key_index, 0x01020304);
		cr_assert_eq(svrmeta_session_open(buf, &f, &k, &got, &why), 0, "%s", why);
		same(&m, &got);
	}
}

Test(svrmeta, the_header_in_the_public_layout)
{
	struct svr_session_meta m = sample(4);
	struct crypto_seal_key k = mkey(7);
	uint8_t buf[2048];
	size_t n = svrmeta_session_encode(&m, &k, buf, sizeof(buf)), hlen, plen;
	/* cookie, version 1 | header length 12 + 8 + 12 = 32, payload length,
	 * TLV 16 = 01020304, TLV 0xf002 = the time in ms */
	static const uint8_t head[] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c,
				       0x10, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x04,
				       0x01, 0x02, 0x03, 0x04, 0xf0, 0x02, 0x00, 0x08,
				       0x00, 0x00, 0x01, 0xa2, 0x19, 0xb4, 0x2c, 0xfb};

	hlen = (size_t)(buf[8] & 0x0f) << 8 | buf[9];
	plen = (size_t)buf[10] << 8 | buf[11];
	cr_assert_eq(hlen, 32);
	cr_assert_eq(hlen + plen, n);
	cr_assert_eq(memcmp(buf, head, 10), 0);
	cr_assert_eq(memcmp(buf + 12, head + 12, sizeof(head) - 12), 0);
	/* sealed: IV, whole blocks, a 48-byte tag; no name in clear */
	cr_assert_eq((plen - 16 - 48) % 16, 0);
	cr_assert_null(memmem(buf, n, "routerA", 7), "a router name in clear");
	cr_assert_null(memmem(buf, n, "hostB-lan", 9), "the service name in clear");
}

Test(svrmeta, any_change_or_another_key_is_refused)
{
	struct svr_session_meta m = sample(4), got;
	struct crypto_seal_key k = mkey(7), other = mkey(9);
	uint8_t buf[2048], bad[2048];
	struct svrmeta f;
	const char *why;
	size_t n = svrmeta_session_encode(&m, &k, buf, sizeof(buf));

	cr_assert_eq(svrmeta_session_header(buf, n, &got, &f, &why), 0);
	cr_assert_eq(svrmeta_session_open(buf, &f, &other, &got, &why), -1);
	cr_assert_str_eq(why, "the payload section does not open with the metadata key");
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, buf, n);
		bad[i] ^= 0x20;
		if (svrmeta_session_header(bad, n, &got, &f, &why) != 0)
			continue; /* the frame itself no longer parses */
		cr_assert_eq(svrmeta_session_open(bad, &f, &k, &got, &why), -1,
			     "byte %zu changed and still opened", i);
	}
}

Test(svrmeta, frames_that_do_not_parse)
{
	struct svrmeta f;
	uint8_t b[64];

	cr_assert_eq(svrmeta_parse((const uint8_t *)"hello", 5, &f), 1, "no cookie: no metadata");
	memcpy(b, svrmeta_cookie, 8);
	cr_assert_eq(svrmeta_parse(b, 8, &f), -1, "cookie, then nothing");
	b[8] = 0x20; /* version 2 */
	b[9] = 12;
	b[10] = b[11] = 0;
	cr_assert_eq(svrmeta_parse(b, 12, &f), -1);
	b[8] = 0x10;
	b[9] = 11; /* shorter than the base header */
	cr_assert_eq(svrmeta_parse(b, 12, &f), -1);
	b[9] = 16; /* one TLV header of 4 bytes ... */
	memcpy(b + 12, (uint8_t[]){0, 16, 0, 4}, 4);
	cr_assert_eq(svrmeta_parse(b, 16, &f), -1, "... whose value runs past the header");
	b[9] = 20;
	memcpy(b + 16, (uint8_t[]){1, 2, 3, 4}, 4);
	cr_assert_eq(svrmeta_parse(b, 20, &f), 0);
	b[11] = 1; /* a payload section past the end */
	cr_assert_eq(svrmeta_parse(b, 20, &f), -1);
}

Test(svrmeta, a_payload_that_begins_with_the_cookie_gets_a_bare_header)
{
	uint8_t pkt[64], payload[20];
	struct svrmeta_writer w;
	struct svrmeta f;
	size_t n;

	memcpy(payload, svrmeta_cookie, 8);
	memset(payload + 8, 'x', 12);
	svrmeta_begin(&w, pkt, sizeof(pkt));
	n = svrmeta_finish(&w);
	cr_assert_eq(n, 12);
	memcpy(pkt + n, payload, sizeof(payload));
	cr_assert_eq(svrmeta_parse(pkt, n + sizeof(payload), &f), 0);
	cr_assert_eq(f.hlen, 12);
	cr_assert_eq(f.plen, 0);
	cr_assert_eq(memcmp(pkt + f.hlen + f.plen, payload, sizeof(payload)), 0,
		     "the original payload is not where the frame says");
}

Test(svrmeta, writer_overflow_and_the_handshake_ack)
{
	struct svr_session_meta m = sample(6), got;
	struct crypto_seal_key k = mkey(1);
	uint8_t small[100], buf[2048];
	struct svrmeta f;
	const char *why;
	size_t n;

	cr_assert_eq(svrmeta_session_encode(&m, &k, small, sizeof(small)), 0);
	/* a reverse packet's "stop adding metadata": header only */
	{
		struct svrmeta_writer w;

		svrmeta_begin(&w, buf, sizeof(buf));
		svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
		n = svrmeta_finish(&w);
	}
	cr_assert_eq(n, 16);
	cr_assert_eq(svrmeta_session_header(buf, n, &got, &f, &why), 0, "%s", why);
	cr_assert(got.no_fwd_meta);
	cr_assert_eq(f.plen, 0);
	/* a sealed section with no key index to open it with */
	buf[11] = 4;
	memset(buf + 16, 0, 4);
	cr_assert_eq(svrmeta_session_header(buf, n + 4, &got, &f, &why), -1);
	cr_assert(strstr(why, "TLV 16") != NULL, "%s", why);
}
