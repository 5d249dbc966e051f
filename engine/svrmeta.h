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

#include <stddef.h>
#include <stdint.h>

#define SVRMETA_HDR	12
#define SVRMETA_TLV_KEX 0xf001 /* ours, private range: a key-exchange message */

extern const uint8_t svrmeta_cookie[8];

/* A block with one header TLV; returns its length or 0 if it does not fit. */
size_t svrmeta_encode1(uint8_t *out, size_t cap, uint16_t type, const uint8_t *val, size_t len);
/* The first header TLV of type in the block at b: 0 with val and vlen set,
 * -1 when the block is malformed, 1 when it is well formed without one. */
int svrmeta_find(const uint8_t *b, size_t len, uint16_t type, const uint8_t **val, size_t *vlen);

#endif
