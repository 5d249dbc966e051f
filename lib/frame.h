/* DOC: message framing
 *
 * Management-socket messages are a 4-byte big-endian length followed by that
 * many bytes of UTF-8 JSON.  The length counts the body only; zero is
 * invalid and anything above the reader's limit (FRAME_MAX_DEFAULT unless set)
 * is refused before a byte of it is buffered, so a peer cannot make svrd
 * allocate more than the limit.  The decoder is incremental and never blocks:
 * feed it whatever read() returned and pull complete messages out.  A reader
 * that feeds only when frame_ready() says no message is waiting holds at
 * most one partial message and one read: that is how svrd bounds what a
 * client can make it buffer.
 */
#ifndef SVR_FRAME_H
#define SVR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN	  4
#define FRAME_MAX_DEFAULT (4u * 1024 * 1024)

enum frame_status {
	FRAME_OK = 1,	    /* a message is ready */
	FRAME_AGAIN = 0,    /* need more bytes */
	FRAME_TOO_BIG = -1, /* declared length above the limit */
	FRAME_EMPTY = -2,   /* declared length zero */
	FRAME_NOMEM = -3,
};

struct frame_reader {
	uint8_t *buf;
	size_t len; /* bytes buffered */
	size_t cap;
	size_t used; /* bytes of buf already handed out and consumed */
	size_t max;  /* largest body accepted */
};

void frame_reader_init(struct frame_reader *r, size_t max);
void frame_reader_reset(struct frame_reader *r);
/* Append received bytes; may refuse with FRAME_TOO_BIG before buffering them. */
enum frame_status frame_feed(struct frame_reader *r, const void *data, size_t len);
/* Next complete message, valid until the next feed/next call. */
enum frame_status frame_next(struct frame_reader *r, const uint8_t **msg, size_t *len);
/* What frame_next() would return, without taking the message: FRAME_OK when
 * a whole message is buffered, FRAME_AGAIN when more bytes are needed, or
 * the framing error the next header holds. */
enum frame_status frame_ready(const struct frame_reader *r);
/* Bytes buffered and not yet handed out. */
size_t frame_buffered(const struct frame_reader *r);
const char *frame_strerror(enum frame_status st);

/* Header for a body of len bytes. */
void frame_header(uint8_t hdr[FRAME_HDR_LEN], uint32_t len);

#endif
