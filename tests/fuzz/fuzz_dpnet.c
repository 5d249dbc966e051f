/* Fuzz the datapath as a small network: spoke1 - hub - spoke2, each
 * router a datapath with real keys, the harness the wires between them.
 * The input is a program of operations (each: a code, the length of its
 * arguments, them): packets from a LAN (built from a few bytes, or raw);
 * carrying what a router sent to the router it is addressed to (whole, or
 * with bytes changed); packets a keyed peer makes itself (metadata TLVs of
 * the fuzzer's choice sealed with the receiver's metadata key, a payload
 * sealed with a payload key the harness wrapped, at a sequence number of
 * the fuzzer's choice); re-trigger requests sealed as a router seals
 * them, right or subtly wrong; raw WAN datagrams; time passing.  So it reaches
 * what a made-up packet never does (fuzz_dp.c): a session relayed by the
 * hub, metadata that opens, the handshake, rekeys, retriggers, metadata
 * sent ahead.  DPNET_TRACE=1 (2: and the sessions) shows what each router
 * made of each packet, DPNET_DUMP=1 the datagrams.
 *
 * Checked: nothing crashes or trips a sanitizer; whatever a router hands
 * to a LAN is a whole IP packet whose lengths agree with what was
 * returned; whatever goes to the WAN fits its buffer; a packet a router
 * made, carried once and unchanged, is never dropped as a replay (unless
 * a keyed peer of the fuzzer's spoke: it may have used the number; or it
 * was made before a restart, or meets another session than its own where
 * it goes: struct mail).  The routers, the wires and the checks are the
 * harness's: dpnet_net.[ch]. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "dpnet_net.h"
#include "svrmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* host addresses: spoke1's LAN 203.0.113.0/25 and 2001:db8:1::/64,
 * spoke2's 203.0.113.128/25 and 2001:db8:2::/64; the hub's LAN (none of
 * its services) 192.0.2.0/24 */
static void host(int r, int family, uint8_t n, uint8_t a[16])
{
	memset(a, 0, 16);
	if (family == 4) {
		a[0] = r == 1 ? 192 : 203;
		a[2] = r == 1 ? 2 : 113;
		a[3] = (uint8_t)((r == 2 ? 128 : 0) | (n & 0x7f));
		if (!a[3])
			a[3] = 1;
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[5] = (uint8_t)(r == 0 ? 1 : r == 2 ? 2 : 9);
		a[15] = n | 1;
	}
}

/* A LAN packet built from a few bytes: router, family and protocol, the
 * hosts, ports, TCP flags and options, a payload. */
static void op_lan(struct rd *rd)
{
	static uint8_t b[DP_MAX_PKT];
	int r = g8(rd) % NR;
	uint8_t f = g8(rd), sh = g8(rd), dh = g8(rd);
	int family = f & 1 ? 6 : 4;
	int sel = ((f >> 1) & 3) % 3;
	uint8_t proto = sel == 0 ? 17 : sel == 1 ? 6 : family == 4 ? 1 : 58;
	uint8_t src[16], dst[16];
	int far = r == 0 ? 2 : r == 2 ? 0 : (f & 8 ? 2 : 0);
	size_t hl = family == 4 ? 20 : 40, l4, plen;
	uint16_t sp = g16(rd), dpt = g16(rd);
	uint8_t *t = b + hl;

	host(r, family, sh, src);
	host(far, family, dh, dst);
	plen = g16(rd);
	plen = f & 16 ? plen % 9000 : plen % 256;
	if (proto == 17) {
		put16(t, sp);
		put16(t + 2, dpt);
		l4 = 8;
	} else if (proto == 6) {
		uint8_t opt = g8(rd) % 11; /* option words */

		memset(t, 0, 20);
		put16(t, sp);
		put16(t + 2, dpt);
		put16(t + 4, g16(rd)); /* seq */
		t[13] = g8(rd);	       /* flags */
		t[12] = (uint8_t)((5 + opt) << 4);
		put16(t + 14, 65535);
		gbytes(rd, t + 20, (size_t)opt * 4);
		if (opt && f & 32) { /* an MSS option first */
			t[20] = 2;
			t[21] = 4;
			put16(t + 22, 1460);
		}
		l4 = 20 + (size_t)opt * 4;
	} else {
		memset(t, 0, 8);
		t[0] = family == 4 ? (f & 8 ? 0 : 8) : (f & 8 ? 129 : 128);
		put16(t + 4, sp);
		put16(t + 6, dpt);
		l4 = 8;
	}
	if (plen > DP_MAX_PKT - hl - l4)
		plen = DP_MAX_PKT - hl - l4;
	for (size_t i = 0; i < plen; i++)
		t[l4 + i] = (uint8_t)(i * 7 + sh);
	gbytes(rd, t + l4, plen < 16 ? plen : 16);
	lan_in(r, b, ip_wrap(b, family, src, dst, proto, l4 + plen));
	if (f & 64) { /* and on, as it came */
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

/* A raw packet from a LAN */
static void op_lan_raw(struct rd *rd)
{
	static uint8_t b[4096];
	int r = g8(rd) % NR;
	size_t n = g16(rd) % sizeof(b);

	gbytes(rd, b, n);
	lan_in(r, b, n);
}

/* A UDP datagram from peer p of router r to port, payload given: its
 * IP and UDP headers right. */
static enum dp_verdict wan_send(int r, int p, uint16_t port, uint8_t *b, size_t payload)
{
	uint8_t src[16], dst[16];
	int family;

	addr_of(peers[r][p].theirs, &family, src);
	addr_of(peers[r][p].ours, &family, dst);
	put16(b + 20, port);
	put16(b + 22, port);
	return wan_in(r, b, ip_wrap(b, 4, src, dst, 17, 8 + payload));
}

static uint16_t a_port(struct rd *rd)
{
	return (uint16_t)(DP_PORT_MIN + g16(rd) % (DP_PORT_MAX - DP_PORT_MIN + 1));
}

/* A raw WAN datagram from a peer (a retrigger, a bare header, noise) */
static void op_wan_raw(struct rd *rd)
{
	static uint8_t b[4096 + 28];
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd);
	size_t n = g16(rd) % 4096;

	gbytes(rd, b + 28, n);
	wan_send(r, p, port, b, n);
}

/* A packet made by a keyed peer: header TLVs, a payload section sealed
 * with the receiver's metadata key (the usual TLVs, then the fuzzer's),
 * a payload sealed with payload key i. */
static void op_wan_keyed(struct rd *rd)
{
	static uint8_t b[DP_MAX_PKT], pt[1024], body[4096];
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd);
	uint8_t f = g8(rd), f2 = g8(rd), ki = g8(rd) % NKEY;
	uint64_t seq = g16(rd), t;
	int16_t skew = (int16_t)g16(rd);
	uint8_t *frame = b + 28;
	struct svrmeta_writer w, pw;
	size_t hraw = g8(rd) % 64, praw = g8(rd), blen = g16(rd) % sizeof(body), mlen = 0;
	ssize_t n;

	if (f & 1) { /* a metadata frame */
		uint8_t tb[8];

		svrmeta_begin(&w, frame, 1024);
		if (!(f2 & 1))
			svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, f2 & 2 ? 999 : rk[r].own_index);
		t = now + (uint64_t)(int64_t)skew * (f2 & 4 ? 1000 : 1);
		for (int i = 0; i < 8; i++)
			tb[i] = (uint8_t)(t >> (56 - 8 * i));
		if (!(f2 & 8))
			svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
		if (f & 2)
			svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
		if (f & 4)
			svrmeta_put(&w, SVRMETA_TLV_META_ONLY, NULL, 0);
		if (f & 8)
			svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
		if (hraw) { /* the fuzzer's own header TLVs, as they come */
			gbytes(rd, frame + w.len, hraw);
			w.len += hraw;
		}
		svrmeta_finish(&w);
		if (f & 16) { /* a sealed payload section */
			uint8_t wk[256];
			struct svr_ctx c;
			ssize_t wl;
			size_t hlen = w.len, sealed;

			svrmeta_begin(&pw, pt, sizeof(pt));
			if (!(f2 & 16)) { /* the forward context */
				uint8_t v[37], sh = g8(rd), dh = g8(rd);
				int fam = f2 & 32 ? 6 : 4, from = peers[r][p].router;
				int sr = from == 1 ? 2 - r : from, dr = from == 1 ? r : 2 - from;
				size_t a = fam == 6 ? 16 : 4;

				if (f2 & 64) { /* the other way round */
					int x = sr;

					sr = dr;
					dr = x;
				}
				memset(&c, 0, sizeof(c));
				host(sr, fam, sh, c.src);
				host(dr, fam, dh, c.dst);
				memcpy(v, c.src, a);
				memcpy(v + a, c.dst, a);
				put16(v + 2 * a, g16(rd));
				put16(v + 2 * a + 2, g16(rd));
				v[2 * a + 4] = (uint8_t[]){17, 6, 1, 58}[g8(rd) & 3];
				svrmeta_put(&pw, fam == 6 ? SVRMETA_TLV_FWD6 : SVRMETA_TLV_FWD4, v,
					    2 * a + 5);
			}
			if (!(f2 & 128)) {
				uint8_t u[16] = {0};

				u[0] = g8(rd);
				svrmeta_put(&pw, SVRMETA_TLV_UUID, u, 16);
				svrmeta_put(&pw, SVRMETA_TLV_SERVICE, "svc", 3);
				svrmeta_put(&pw, SVRMETA_TLV_ENCRYPTED, NULL, 0);
				wl = dph_wrap_for(&rk[r].own, rk[r].own_index,
						  (const uint8_t *)&pkey[ki], sizeof(pkey[ki]), wk,
						  sizeof(wk));
				if (wl > 0)
					svrmeta_put(&pw, SVRMETA_TLV_PAYLOAD_KEY, wk, (size_t)wl);
			}
			if (praw && pw.cap - pw.len >= praw) {
				gbytes(rd, pt + pw.len, praw);
				pw.len += praw;
			}
			sealed = crypto_sealed_len(pw.len - SVRMETA_HDR);
			if (hlen + sealed <= 1024) {
				frame[10] = (uint8_t)(sealed >> 8);
				frame[11] = (uint8_t)sealed;
				n = crypto_seal(&rk[r].own, frame, hlen, pt + SVRMETA_HDR,
						pw.len - SVRMETA_HDR, frame + hlen, 1024 - hlen);
				if (n > 0)
					w.len = hlen + (size_t)n;
			}
		}
		mlen = w.len;
	}
	gbytes(rd, body, blen < 32 ? blen : 32);
	n = crypto_pkt_seal(ppk[ki], f & 32 ? 1 : 0, seq, frame, mlen, body, blen, frame + mlen,
			    sizeof(b) - 28 - mlen);
	if (n < 0)
		return;
	if (f & 64) { /* a byte changed after sealing */
		size_t at = g16(rd) % (mlen + (size_t)n);

		frame[at] ^= g8(rd) | 1;
	}
	forged = true;
	wan_send(r, p, port, b, mlen + (size_t)n);
	if (f & 128) {
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

/* A re-trigger request from peer p of router r (doc/protocol.md,
 * "Re-triggering"), as its router makes it or not quite: another key
 * index, port, name or clock, a byte changed after sealing. */
static void op_retrigger(struct rd *rd)
{
	static uint8_t b[28 + 512];
	static const char tag[] = "opensvr retrigger v1";
	int r = g8(rd) % NR, p = g8(rd) % npeers[r];
	uint16_t port = a_port(rd), pport;
	uint8_t f = g8(rd), pt[64], tb[8], *frame = b + 28;
	const char *name = names[peers[r][p].router];
	int16_t skew = (int16_t)g16(rd);
	uint64_t t = now + (uint64_t)(int64_t)skew * (f & 1 ? 1000 : 1);
	struct svrmeta_writer w;
	size_t hlen, plen, ptlen, nlen;
	ssize_t n;

	pport = f & 2 ? g16(rd) : port;
	if (f & 4)
		name = names[g8(rd) % NR];
	nlen = strlen(name);
	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(t >> (56 - 8 * i));
	svrmeta_begin(&w, frame, 256);
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, f & 8 ? 999 : rk[r].own_index);
	svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	hlen = svrmeta_finish(&w);
	memcpy(pt, tag, sizeof(tag));
	put16(pt + sizeof(tag), pport);
	memcpy(pt + sizeof(tag) + 2, name, nlen);
	ptlen = sizeof(tag) + 2 + nlen;
	if (f & 16)
		ptlen -= 1 + g8(rd) % ptlen;
	plen = crypto_sealed_len(ptlen);
	put16(frame + 10, (uint16_t)plen);
	n = crypto_seal(&rk[r].own, frame, hlen, pt, ptlen, frame + hlen, 256 - hlen);
	if (n < 0)
		return;
	if (f & 32) {
		size_t at = g16(rd) % (hlen + (size_t)n);

		frame[at] ^= g8(rd) | 1;
	}
	if (wan_send(r, p, port, b, hlen + (size_t)n) != DP_DROP && ntaken < 64) {
		taken[ntaken].router = r;
		taken[ntaken].port = port;
		taken[ntaken++].ms = t;
	}
	if (f & 64) {
		carry(rd, r, true, 0);
		carry(rd, r, false, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd rd = {data, size};
	int ops = 0;

	init_once();
	network_new();
	now = 1700000000000ull;
	for (int i = 0; i < NR; i++)
		box[i].len = box[i].extra_len = 0;
	forged = false;
	ntaken = 0;
	while (rd.n && ops++ < 64) {
		/* an operation: its code, the length of its arguments, them */
		uint8_t op = g8(&rd);
		size_t alen = g16(&rd);
		struct rd a = {rd.p, alen < rd.n ? alen : rd.n};

		rd.p += a.n;
		rd.n -= a.n;
		switch (op % 10) {
		case 0:
		case 1:
			op_lan(&a);
			break;
		case 2: {
			int r = g8(&a) % NR;

			carry(&a, r, op & 16, 0);
			break;
		}
		case 3:
			op_wan_keyed(&a);
			break;
		case 4:
			if (op & 0x80) /* a re-trigger, made as a router makes it */
				op_retrigger(&a);
			else
				op_wan_raw(&a);
			break;
		case 5:
			op_lan_raw(&a);
			break;
		case 6: { /* time passes; or routers restart, their sessions lost */
			uint16_t d = g16(&a);
			uint8_t shift = g8(&a), which = g8(&a); /* 0: every router */

			now += (uint64_t)d << (shift % 16);
			for (int i = 0; i < NR; i++) {
				if (which & 7 && !(which & 1 << i))
					continue;
				if (which & 8) {
					for (int j = 0; j < NR; j++)
						box[j].stale = box[j].extra_stale = true;
					dp_free(R[i]);
					R[i] = router_new(i);
				} else {
					dp_tick(R[i], now);
				}
			}
			break;
		}
		case 7: {
			int r = g8(&a) % NR;

			dp_set_rekey_interval(R[r], g16(&a));
			break;
		}
		case 8: {
			int r = g8(&a) % NR, p = g8(&a) % npeers[r];

			dp_set_peer_mtu(R[r], p, 576 + g16(&a) % 1500);
			break;
		}
		case 9: { /* extra first, then the packet, as a forwarder sends them */
			int r = g8(&a) % NR;

			carry(&a, r, true, 0);
			carry(&a, r, false, 0);
			break;
		}
		}
	}
	network_free();
	return 0;
}
