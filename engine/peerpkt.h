/* DOC: peer-path datagrams (UDP 1280)
 *
 * One datagram: a BFD control packet (RFC 5880, 24 bytes), then an SVR
 * metadata block whose header TLVs are at most a key-exchange message
 * (0xF001) and, always last, the datagram's tag (0xF005):
 *
 *   key id (4) | sequence (4) | HMAC-SHA-384-128 (16)
 *
 * The tag covers every byte before its own 16 (BFD, metadata header, the
 * TLVs, key id and sequence) under the datagram key of the peer key named
 * by key id (kex.h, "authenticated datagrams").  A sender that holds no
 * peer key yet sends no tag.  The receiver finds the tag at a fixed place
 * (the last 28 bytes) and checks it before it parses anything else;
 * sequence numbers, per path and key, refuse a replayed datagram.
 * doc/protocol.md has the bytes.
 */
#ifndef SVR_PEERPKT_H
#define SVR_PEERPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfd.h"
#include "kex.h"
#include "svrmeta.h"

#define SVRMETA_TLV_AUTH 0xf005 /* ours: the datagram's tag */
#define PEERPKT_TAG_TLV	 (4 + 4 + 4 + KEX_TAG_LEN)
#define PEERPKT_KMSG_MAX 4000
#define PEERPKT_MAX	 (BFD_CTRL_LEN + SVRMETA_HDR + 4 + PEERPKT_KMSG_MAX + PEERPKT_TAG_TLV)

/* A datagram to peer p: bfd, then kmsg (may be NULL), tagged when the
 * engine holds a key with p.  Its length, or 0 when it does not fit. */
size_t peerpkt_encode(uint8_t *out, size_t cap, const uint8_t bfd[BFD_CTRL_LEN],
		      const uint8_t *kmsg, size_t klen, const struct kex_engine *kex, int p,
		      uint32_t seq, uint64_t now_ms);

struct peerpkt {
	bool tagged;
	uint32_t key_id, seq;
	const uint8_t *tag;
	size_t signed_len;   /* the bytes the tag covers */
	const uint8_t *kmsg; /* peerpkt_parse: the key-exchange message, or NULL */
	size_t klen;
};

/* Where the tag would be, trusting nothing (no parsing): 0. */
void peerpkt_find_tag(const uint8_t *b, size_t len, struct peerpkt *out);
/* After the tag was judged: the key-exchange message, if any.  0, or -1
 * when the metadata block is malformed. */
int peerpkt_parse(const uint8_t *b, size_t len, struct peerpkt *out);

/* Replay defence for one path: the highest sequence number seen under the
 * last two key ids. */
struct peerpkt_replay {
	uint32_t id[2], seq[2];
	bool used[2];
};

/* true (and remembered) when seq is new for key_id. */
bool peerpkt_fresh(struct peerpkt_replay *r, uint32_t key_id, uint32_t seq);

#endif
