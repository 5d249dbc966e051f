/* DOC: management protocol
 *
 * svrd and its clients (svrsh, scripts, tests) exchange framed JSON
 * (frame.h) over a UNIX stream socket.  A request is
 *     {"id": N, "op": "NAME", "args": {...}}
 * and every request gets exactly one reply with the same id:
 *     {"id": N, "ok": true, "data": {...}}
 *     {"id": N, "ok": false, "error": {"code": "...", "message": "...", "path": "..."}}
 * A message that cannot be framed gets an error reply with id null and the
 * connection is closed; a framed message that is not a valid request gets an
 * error reply and the connection stays usable.  doc/management-api.md is the
 * reference.  This file holds what both ends share: encoding helpers and a
 * small blocking client.
 */
#ifndef SVR_MGMT_H
#define SVR_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json;

#define MGMT_DEFAULT_SOCKET "/run/opensvr/svrd.sock"
#define MGMT_SOCKET_ENV	    "OPENSVR_SOCKET"
#define MGMT_TIMEOUT_MS	    30000

/* Error codes carried in error.code. */
#define MGMT_E_FRAME	"bad-frame"
#define MGMT_E_JSON	"bad-json"
#define MGMT_E_REQUEST	"bad-request"
#define MGMT_E_UNKNOWN	"unknown-operation"
#define MGMT_E_DENIED	"access-denied"
#define MGMT_E_INTERNAL "internal-error"
#define MGMT_E_INVALID	"invalid-value"
#define MGMT_E_LIMIT	"limit-exceeded"

struct json *mgmt_reply_ok(const struct json *id, struct json *data);
struct json *mgmt_error_obj(const char *code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Takes ownership of error. */
struct json *mgmt_reply_fail(const struct json *id, struct json *error);
struct json *mgmt_reply_error(const struct json *id, const char *code, const char *path,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Serialise msg with its frame header; caller frees; *len set. */
uint8_t *mgmt_encode(const struct json *msg, size_t *len);

/* A schema path names a node of the model, never an XPath expression:
 * '/', then node names separated by '/', each a YANG identifier optionally
 * prefixed by its module ("/opensvr:authority/router").  Returns NULL when
 * sp is one, else what is wrong with it, with *at the 1-based character. */
const char *mgmt_schema_path_fault(const char *sp, size_t *at);

/* Path of the socket: explicit, else $OPENSVR_SOCKET, else the default. */
const char *mgmt_socket_path(const char *explicit_path);

struct mgmt_client;

struct mgmt_client *mgmt_connect(const char *path, char *err, size_t errlen);
void mgmt_close(struct mgmt_client *c);
/* Send op(args) and wait for the reply.  Returns the whole reply object, or
 * NULL with err set when the transport failed. */
struct json *mgmt_call(struct mgmt_client *c, const char *op, const struct json *args, char *err,
		       size_t errlen);

#endif
