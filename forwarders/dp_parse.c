/* DOC: the datapath's packets: reading and building them
 *
 * pkt_parse reads what the datapath needs of an IP packet (struct pkt):
 * the addresses, the protocol, the ports that make a session's 5-tuple,
 * where the transport message is.  It checks every length it reads
 * against the bytes there are, and says why a packet cannot be carried:
 * malformed, a fragment (IPv4 or IPv6: never reassembled), an IPv6
 * extension header.  The caller decides what that means; from a LAN it
 * is a drop wherever SVR carries traffic (fail closed), never a pass.
 *
 * pkt_build writes an IPv4 or IPv6 header, and a UDP header with its
 * checksum, in front of a body already in place: the datapath seals or
 * opens straight into its output buffer and adds the headers last.
 * pkt_tcp_ready prepares a TCP segment to travel whole: its checksum made
 * here (a capture may show it before checksum offload filled it in), a
 * SYN's MSS clamped to DP_TCP_MSS so that no segment is fragmented on
 * the WAN. */
#include "config.h"

#include "csum.h"
#include "dp_int.h"

/* IPv6 extension headers (RFC 8200 4, and those of later RFCs): a
 * packet with one is not carried (its headers would have to travel and
 * be checked too), so it is dropped, never passed.  ESP (50) and AH (51)
 * are carried like any protocol. */
static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 135 || nh == 139 || nh == 140 ||
	       nh == 253 || nh == 254;
}

/* The IP header: family, addresses, protocol and lengths. */
static enum parsed parse_ip(const uint8_t *b, size_t len, struct pkt *k)
{
	if (len < 20)
		return PARSED_MALFORMED;
	if (b[0] >> 4 == 4) {
		k->family = 4;
		memcpy(k->t.src, b + 12, 4);
		memcpy(k->t.dst, b + 16, 4);
		k->hl = (size_t)(b[0] & 0x0f) * 4;
		k->total = get16(b + 2);
		k->proto = b[9];
		if (k->hl < 20 || k->total < k->hl || k->total > len)
			return PARSED_MALFORMED;
		if ((get16(b + 6) & 0x3fff) != 0)
			return PARSED_FRAGMENT;
	} else if (b[0] >> 4 == 6 && len >= 40) {
		k->family = 6;
		memcpy(k->t.src, b + 8, 16);
		memcpy(k->t.dst, b + 24, 16);
		k->hl = 40;
		k->total = 40 + (size_t)get16(b + 4);
		k->proto = b[6];
		if (k->total > len)
			return PARSED_MALFORMED;
		if (k->proto == 44)
			return PARSED_FRAGMENT;
		if (ipv6_ext(k->proto))
			return PARSED_EXT_HEADER;
	} else {
		return PARSED_MALFORMED;
	}
	return PARSED_OK;
}

/* What SVR carries: UDP and TCP by their ports, ICMP and ICMPv6 echo by
 * the identifier, any other protocol (GRE, ESP, SCTP, ICMP errors, ...)
 * whole, by its addresses and protocol (ports 0). */
enum parsed pkt_parse(const uint8_t *b, size_t len, struct pkt *k)
{
	enum parsed rc;

	memset(k, 0, sizeof(*k));
	rc = parse_ip(b, len, k);
	if (rc != PARSED_OK)
		return rc;
	k->t.family = k->family;
	k->t.proto = k->proto;
	k->l4 = b + k->hl;
	k->l4len = k->total - k->hl;
	switch (k->proto) {
	case IPPROTO_UDP_:
		if (k->l4len < 8 || get16(k->l4 + 4) != k->l4len)
			return PARSED_MALFORMED;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		return PARSED_OK;
	case IPPROTO_TCP_:
		if (k->l4len < 20 || (size_t)(k->l4[12] >> 4) * 4 > k->l4len)
			return PARSED_MALFORMED;
		k->t.sport = get16(k->l4);
		k->t.dport = get16(k->l4 + 2);
		k->syn = (k->l4[13] & 0x12) == 0x02; /* SYN without ACK */
		return PARSED_OK;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMP6_: {
		uint8_t type = k->l4len >= 8 ? k->l4[0] : 0;
		bool echo = k->proto == IPPROTO_ICMP_ ? type == 8 || type == 0
						      : type == 128 || type == 129;

		if (k->l4len < 8)
			return PARSED_MALFORMED;
		/* the echo identifier stands for both ports */
		if (echo && k->family == (k->proto == IPPROTO_ICMP_ ? 4 : 6))
			k->t.sport = k->t.dport = get16(k->l4 + 4);
		return PARSED_OK;
	}
	default:
		return PARSED_OK;
	}
}

/* The UDP checksum of a waypoint datagram (0 in IPv4: none was sent).
 * The tag covers the content; this catches the rest of the header. */
bool pkt_udp_ok(const struct pkt *k)
{
	size_t a = k->family == 6 ? 16 : 4;
	uint64_t acc;

	if (k->family == 4 && get16(k->l4 + 6) == 0)
		return true;
	acc = csum_add(k->t.src, a, 0);
	acc = csum_add(k->t.dst, a, acc);
	acc += IPPROTO_UDP_ + (uint32_t)k->l4len;
	return csum(k->l4, k->l4len, acc) == 0;
}

/* What a packet of a session carries: the datagram's payload for UDP,
 * the whole message otherwise. */
void pkt_inner(const struct pkt *k, const uint8_t **p, size_t *len)
{
	*p = k->proto == IPPROTO_UDP_ ? k->l4 + 8 : k->l4;
	*len = k->proto == IPPROTO_UDP_ ? k->l4len - 8 : k->l4len;
}

/* ---- building ------------------------------------------------------------------- */

static void udp_header(uint8_t *u, int family, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, uint16_t sport, uint16_t dport, size_t body_len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint64_t acc;
	uint16_t c;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + body_len));
	put16(u + 6, 0);
	acc = csum_add(src, alen, 0);
	acc = csum_add(dst, alen, acc);
	acc += proto;
	acc += (uint32_t)(8 + body_len);
	c = csum(u, 8 + body_len, acc);
	put16(u + 6, c ? c : 0xffff);
}

/* An IP header (and, for UDP, a UDP header) in front of body (already at
 * out + header length); returns the packet length. */
size_t pkt_build(uint8_t *out, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 uint8_t ttl, uint16_t sport, uint16_t dport, bool udp, size_t body_len)
{
	size_t hl = family == 4 ? 20 : 40, uh = udp ? 8 : 0, total = hl + uh + body_len;

	if (family == 4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		put16(out + 2, (uint16_t)total);
		out[8] = ttl;
		out[9] = proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		put16(out + 10, csum(out, 20, 0));
	} else {
		memset(out, 0, 40);
		out[0] = 0x60;
		put16(out + 4, (uint16_t)(uh + body_len));
		out[6] = proto;
		out[7] = ttl;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	if (udp)
		udp_header(out + hl, family, src, dst, proto, sport, dport, body_len);
	return total;
}

/* A datagram from our waypoint to peer pr's, on port (both ends). */
size_t pkt_build_wan(uint8_t *out, const struct peer *pr, uint16_t port, size_t body_len)
{
	return pkt_build(out, pr->family, pr->ours, pr->theirs, IPPROTO_UDP_, 64, port, port, true,
			 body_len);
}

/* Lower the MSS option of a SYN (or SYN-ACK) in seg, with the checksum
 * adjusted (RFC 1624); true when it changed. */
static bool clamp_mss(uint8_t *seg, size_t len)
{
	size_t hl = (size_t)(seg[12] >> 4) * 4;

	if (!(seg[13] & 0x02) || hl > len)
		return false;
	for (size_t o = 20; o + 1 < hl;) {
		uint8_t kind = seg[o];

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (seg[o + 1] < 2 || o + seg[o + 1] > hl)
			break;
		if (kind == 2 && seg[o + 1] == 4 && get16(seg + o + 2) > DP_TCP_MSS) {
			uint16_t old = get16(seg + o + 2);
			uint32_t sum = (uint16_t)~get16(seg + 16);

			sum += (uint16_t)~old;
			sum += DP_TCP_MSS;
			put16(seg + o + 2, DP_TCP_MSS);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			put16(seg + 16, (uint16_t)~sum);
			return true;
		}
		o += seg[o + 1];
	}
	return false;
}

/* What packet k carries (body, blen), ready to be sealed: a TCP segment
 * goes whole, its checksum computed here, since a capture (pcap,
 * raw-socket) may show it before the sender's checksum offload filled it
 * in, and a SYN's MSS clamped; it is copied to dp->seg for that.  Any
 * other body is sent as it is. */
const uint8_t *pkt_tcp_ready(struct dp *dp, const struct pkt *k, const uint8_t *body, size_t blen)
{
	size_t a = k->family == 6 ? 16 : 4;
	uint64_t acc;

	if (k->proto != IPPROTO_TCP_ || blen > sizeof(dp->seg))
		return body;
	memcpy(dp->seg, body, blen);
	clamp_mss(dp->seg, blen);
	put16(dp->seg + 16, 0);
	acc = csum_add(k->t.src, a, 0);
	acc = csum_add(k->t.dst, a, acc);
	acc += IPPROTO_TCP_ + (uint32_t)blen;
	put16(dp->seg + 16, csum(dp->seg, blen, acc));
	return dp->seg;
}
