/* Management protocol helpers and blocking client; see mgmt.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "json.h"
#include "mgmt.h"
#include "sock.h"
#include "strbuf.h"

/* ---- schema paths ---------------------------------------------------- */

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

const char *mgmt_schema_path_fault(const char *sp, size_t *at)
{
	const char *p = sp;

	*at = 1;
	if (*p != '/')
		return "it must start with '/'";
	while (*p == '/') {
		bool prefixed = false;

		p++;
		for (;;) {
			*at = (size_t)(p - sp) + 1;
			if (!ident_start(*p))
				return *p == '/' || !*p ? "a node name is missing"
				       : strchr("[]()*|@.:", *p) || (*p >= '0' && *p <= '9') ||
						       *p == '-'
					       ? "only node names are allowed (no predicates, "
						 "functions, wildcards or axes)"
					       : "a node name has a character a YANG name cannot "
						 "have";
			while (ident_char(*p))
				p++;
			if (*p != ':' || prefixed)
				break;
			prefixed = true;
			p++;
		}
	}
	*at = (size_t)(p - sp) + 1;
	if (*p)
		return *p == ':' ? "a node name has two module prefixes"
				 : "only node names are allowed (no predicates, functions, "
				   "wildcards or axes)";
	return NULL;
}

/* ---- the client ------------------------------------------------------ */

struct mgmt_client {
	int fd;
	int64_t next_id;
	struct frame_reader rd;
};

static struct json *copy_id(const struct json *id)
{
	if (json_is_int(id))
		return json_new_int(json_int(id));
	if (json_str(id))
		return json_new_str(json_str(id));
	return json_new_null();
}

struct json *mgmt_reply_ok(const struct json *id, struct json *data)
{
	struct json *m = json_new_object();

	json_set(m, "id", copy_id(id));
	json_set(m, "ok", json_new_bool(true));
	json_set(m, "data", data ? data : json_new_object());
	return m;
}

static struct json *verror_obj(const char *code, const char *path, const char *fmt, va_list ap)
{
	struct json *e = json_new_object();
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_set(e, "code", json_new_str(code));
	json_set(e, "message", json_new_str(msg));
	if (path)
		json_set(e, "path", json_new_str(path));
	return e;
}

struct json *mgmt_error_obj(const char *code, const char *path, const char *fmt, ...)
{
	struct json *e;
	va_list ap;

	va_start(ap, fmt);
	e = verror_obj(code, path, fmt, ap);
	va_end(ap);
	return e;
}

struct json *mgmt_reply_fail(const struct json *id, struct json *error)
{
	struct json *m = json_new_object();

	json_set(m, "id", copy_id(id));
	json_set(m, "ok", json_new_bool(false));
	json_set(m, "error", error);
	return m;
}

struct json *mgmt_reply_error(const struct json *id, const char *code, const char *path,
			      const char *fmt, ...)
{
	struct json *m;
	va_list ap;

	va_start(ap, fmt);
	m = mgmt_reply_fail(id, verror_obj(code, path, fmt, ap));
	va_end(ap);
	return m;
}

uint8_t *mgmt_encode(const struct json *msg, size_t *len)
{
	char *body = json_print(msg);
	size_t n;
	uint8_t *out;

	if (!body)
		return NULL;
	n = strlen(body);
	out = malloc(FRAME_HDR_LEN + n);
	if (out) {
		frame_header(out, (uint32_t)n);
		memcpy(out + FRAME_HDR_LEN, body, n);
		*len = FRAME_HDR_LEN + n;
	}
	free(body);
	return out;
}

const char *mgmt_socket_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && *explicit_path)
		return explicit_path;
	env = getenv(MGMT_SOCKET_ENV);
	if (env && *env)
		return env;
	return MGMT_DEFAULT_SOCKET;
}

struct mgmt_client *mgmt_connect(const char *path, char *err, size_t errlen)
{
	struct mgmt_client *c;
	int fd = sock_unix_connect(path);

	if (fd < 0) {
		snprintf(err, errlen, "cannot reach svrd at %s: %s", path,
			 errno == ENOENT || errno == ECONNREFUSED ? "svrd is not running"
								  : strerror(errno));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->next_id = 1;
	frame_reader_init(&c->rd, FRAME_MAX_DEFAULT);
	return c;
}

void mgmt_close(struct mgmt_client *c)
{
	if (!c)
		return;
	close(c->fd);
	frame_reader_reset(&c->rd);
	free(c);
}

static struct json *read_reply(struct mgmt_client *c, int64_t id, char *err, size_t errlen)
{
	uint64_t deadline = ev_now_ms() + MGMT_TIMEOUT_MS;
	uint8_t buf[65536];

	for (;;) {
		const uint8_t *msg;
		size_t len;
		enum frame_status st = frame_next(&c->rd, &msg, &len);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		uint64_t now;
		ssize_t n;

		if (st == FRAME_OK) {
			struct json *r = json_parse((const char *)msg, len, err, errlen);

			if (!r)
				return NULL;
			if (json_get_int(r, "id", -1) == id)
				return r;
			json_free(r); /* a reply to an abandoned request */
			continue;
		}
		if (st != FRAME_AGAIN) {
			snprintf(err, errlen, "bad reply from svrd: %s", frame_strerror(st));
			return NULL;
		}
		now = ev_now_ms();
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) == 0) {
			snprintf(err, errlen, "svrd did not answer within %d s",
				 MGMT_TIMEOUT_MS / 1000);
			return NULL;
		}
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "svrd closed the connection");
			return NULL;
		}
		st = frame_feed(&c->rd, buf, (size_t)n);
		if (st != FRAME_AGAIN) {
			snprintf(err, errlen, "bad reply from svrd: %s", frame_strerror(st));
			return NULL;
		}
	}
}

struct json *mgmt_call(struct mgmt_client *c, const char *op, const struct json *args, char *err,
		       size_t errlen)
{
	int64_t id = c->next_id++;
	struct json *opj = json_new_str(op);
	char *ops = json_print(opj), *argss = args ? json_print(args) : NULL;
	struct strbuf sb = STRBUF_INIT;
	uint8_t hdr[FRAME_HDR_LEN];
	int rc;

	json_free(opj);
	strbuf_addf(&sb, "{\"id\":%lld,\"op\":%s,\"args\":%s}", (long long)id, ops ? ops : "\"\"",
		    argss ? argss : "{}");
	free(ops);
	free(argss);
	if (sb.oom || sb.len > UINT32_MAX) {
		strbuf_free(&sb);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	frame_header(hdr, (uint32_t)sb.len);
	rc = sock_write_all(c->fd, hdr, sizeof(hdr));
	if (rc == 0)
		rc = sock_write_all(c->fd, sb.buf, sb.len);
	strbuf_free(&sb);
	if (rc < 0) {
		snprintf(err, errlen, "cannot send to svrd: %s", strerror(errno));
		return NULL;
	}
	return read_reply(c, id, err, errlen);
}
