/* DOC: SVR metadata blocks (the part the peer paths use)
 *
 * The public SVR metadata frame: cookie 4C 48 DB C6 DD F6 67 0C, 4 bits of
 * version (1), 12 bits of header length (12 + header TLVs), 2 bytes of
 * payload-TLV length, then TLVs of type (2) | length (2) | value.  The peer
 * paths put one key-exchange message in header TLV SVRMETA_TLV_KEX after
 * the BFD control packet.  The full session codec (forward contexts,
 * payload keys) comes with the data plane.
 */
#ifndef SVR_SVRMETA_H
#define SVR_SVRMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto.h"

#define SVRMETA_HDR	12
#define SVRMETA_TLV_KEX 0xf001 /* ours, private range: a key-exchange message */

extern const uint8_t svrmeta_cookie[8];

/* ---- the frame ---------------------------------------------------------- */

struct svrmeta {
	size_t hlen;	     /* 12 + header TLVs */
	size_t plen;	     /* payload-TLV section */
	const uint8_t *htlv; /* header TLVs (hlen - 12 bytes) */
	const uint8_t *ptlv; /* payload section (plen bytes; maybe encrypted) */
};

/* Parse the frame at b: 0 (m filled; the original payload starts at
 * b + hlen + plen), 1 when b does not start with the cookie (no metadata),
 * -1 when it does but the rest is malformed (version, lengths, or header
 * TLVs that do not tile the header exactly). */
int svrmeta_parse(const uint8_t *b, size_t len, struct svrmeta *m);
/* The next TLV of a section at *off: 1 (type, val, vlen set, *off moved),
 * 0 at the end, -1 when a TLV runs past the section. */
int svrmeta_next(const uint8_t *sec, size_t len, size_t *off, uint16_t *type, const uint8_t **val,
		 size_t *vlen);

/* Writing a frame: header TLVs (we send no payload TLVs).  Any overflow
 * makes svrmeta_finish() return 0. */
struct svrmeta_writer {
	uint8_t *b;
	size_t cap, len;
	bool failed;
};
void svrmeta_begin(struct svrmeta_writer *w, uint8_t *buf, size_t cap);
void svrmeta_put(struct svrmeta_writer *w, uint16_t type, const void *val, size_t len);
void svrmeta_put_u32(struct svrmeta_writer *w, uint16_t type, uint32_t v);
size_t svrmeta_finish(struct svrmeta_writer *w);

/* ---- a session's first packets (doc/protocol.md "Session metadata") ----- */

#define SVRMETA_TLV_FWD4	2
#define SVRMETA_TLV_FWD6	3
#define SVRMETA_TLV_UUID	6
#define SVRMETA_TLV_SERVICE	10
#define SVRMETA_TLV_ENCRYPTED	11
#define SVRMETA_TLV_TCP_SYN	12
#define SVRMETA_TLV_SRC_ROUTER	14
#define SVRMETA_TLV_KEY_INDEX	16
#define SVRMETA_TLV_DST_ROUTER	17
#define SVRMETA_TLV_NO_FWD_META 18
#define SVRMETA_TLV_PAYLOAD_KEY 46
#define SVRMETA_TLV_TIME	0xf002 /* ours: sender's clock, ms since the epoch */
#define SVRMETA_TLV_META_ONLY	0xf003 /* ours: a first packet with no payload of its own */
#define SVRMETA_TLV_RETRIGGER	0xf004 /* ours: "I have no such session: send metadata again" */

struct svr_ctx {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t proto;
};

struct svr_session_meta {
	/* header: in clear, authenticated */
	uint32_t key_index; /* the receiver's metadata key that sealed the rest */
	uint64_t time_ms;   /* for the replay check of first packets */
	bool no_fwd_meta;   /* reverse packets: "stop adding metadata" */
	bool meta_only;	    /* the metadata went ahead of a packet too large to carry it */
	bool retrigger;	    /* the receiver lost the session: metadata again, please */
	/* payload section: sealed with the receiver's metadata key */
	struct svr_ctx fwd; /* family 0: absent */
	uint8_t uuid[16];
	char service[64], src_router[64], dst_router[64];
	bool encrypted, tcp_syn;
	uint8_t wrapped_key[256]; /* TLV 46: keyring_wrap() output */
	size_t wrapped_len;
};

/* The metadata of a first packet, its payload section sealed with mk
 * (crypto_seal, the header as associated data).  Returns the length, or 0. */
size_t svrmeta_session_encode(const struct svr_session_meta *m, const struct crypto_seal_key *mk,
			      uint8_t *out, size_t cap);
/* Parse a frame's header TLVs into m (key_index, time_ms, no_fwd_meta):
 * 0, 1 (no metadata), -1 (malformed, why says what). */
int svrmeta_session_header(const uint8_t *b, size_t len, struct svr_session_meta *m,
			   struct svrmeta *f, const char **why);
/* Open the payload section with mk (the key named by m->key_index) and
 * read it into m: 0, or -1 (why says what: tag, TLV, length). */
int svrmeta_session_open(const uint8_t *b, const struct svrmeta *f,
			 const struct crypto_seal_key *mk, struct svr_session_meta *m,
			 const char **why);

/* The first header TLV of type in the block at b: 0 with val and vlen set,
 * -1 when the block is malformed, 1 when it is well formed without one. */
int svrmeta_find(const uint8_t *b, size_t len, uint16_t type, const uint8_t **val, size_t *vlen);

#endif
