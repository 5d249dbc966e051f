/* DOC: management server
 *
 * Accepts clients on the management socket, reassembles framed requests,
 * checks them, and dispatches them to the operation table (ops.c).  Every
 * connection has its own reader and output queue, so a slow, broken or
 * hostile client only ever costs its own connection: framing errors get a
 * final error reply and a close, malformed requests get an error reply, and
 * a client that stops reading is dropped once its queue passes a limit.
 * The caller's identity comes from SO_PEERCRED, never from the request.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "sock.h"
#include "svrd.h"

#define MGMT_MAX_CONNS 64
#define MGMT_MAX_OUTQ  (32u * 1024 * 1024)
#define MGMT_REQ_MAX   (1u * 1024 * 1024)

struct mgmt_conn {
	struct mgmt_server *srv;
	struct ev_io *io;
	int fd;
	struct frame_reader rd;
	uint8_t *out;
	size_t out_len, out_off;
	bool closing; /* flush what is queued, then close */
	struct mgmt_peer peer;
	struct mgmt_conn *next;
};

struct mgmt_server {
	struct svrd *d;
	int fd;
	struct ev_io *io;
	struct mgmt_conn *conns;
	int nconns;
	uint64_t next_id;
};

static void conn_free(struct mgmt_conn *c)
{
	struct mgmt_conn **pp;

	if (!c)
		return;
	for (pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->srv->nconns--;
	config_session_end(c->srv->d, &c->peer);
	ev_io_del(c->io);
	close(c->fd);
	frame_reader_reset(&c->rd);
	free(c->out);
	free(c);
}

static void conn_update_events(struct mgmt_conn *c)
{
	unsigned ev = c->closing ? 0 : EV_READ;

	if (c->out_len > c->out_off)
		ev |= EV_WRITE;
	ev_io_set(c->io, ev);
}

/* Returns -1 when the connection was freed. */
static int conn_flush(struct mgmt_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_free(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			conn_free(c);
			return -1;
		}
	}
	conn_update_events(c);
	return 0;
}

static int conn_queue(struct mgmt_conn *c, struct json *msg)
{
	size_t len = 0;
	uint8_t *wire = mgmt_encode(msg, &len);
	uint8_t *nb;

	json_free(msg);
	if (!wire || c->out_len + len > MGMT_MAX_OUTQ) {
		log_warnx("management client pid %ld is not reading its replies; dropping it",
			  (long)c->peer.pid);
		free(wire);
		conn_free(c);
		return -1;
	}
	nb = realloc(c->out, c->out_len + len);
	if (!nb) {
		free(wire);
		conn_free(c);
		return -1;
	}
	memcpy(nb + c->out_len, wire, len);
	c->out = nb;
	c->out_len += len;
	free(wire);
	return conn_flush(c);
}

static struct json *handle_request(struct mgmt_conn *c, const uint8_t *msg, size_t len)
{
	char err[160];
	struct json *req = json_parse((const char *)msg, len, err, sizeof(err));
	struct json *id, *args, *data = NULL, *error = NULL, *reply;
	const struct mgmt_op *op;
	const char *name;

	if (!req)
		return mgmt_reply_error(NULL, MGMT_E_JSON, NULL, "request is not valid JSON: %s",
					err);
	id = json_get(req, "id");
	name = json_get_str(req, "op", NULL);
	args = json_get(req, "args");
	if (json_type(req) != JSON_OBJECT || !name || (id && !json_is_int(id) && !json_str(id)) ||
	    (args && json_type(args) != JSON_OBJECT)) {
		reply = mgmt_reply_error(id, MGMT_E_REQUEST, NULL,
					 "request must be an object with a string \"op\", an "
					 "integer or string \"id\" and an object \"args\"");
		goto out;
	}
	op = mgmt_op_find(name);
	if (!op) {
		reply = mgmt_reply_error(id, MGMT_E_UNKNOWN, NULL, "unknown operation \"%s\"",
					 name);
		goto out;
	}
	if (op->write && !c->peer.admin) {
		reply = mgmt_reply_error(id, MGMT_E_DENIED, NULL,
					 "user %s may not use \"%s\" (read-only access)",
					 c->peer.user, name);
		goto out;
	}
	if (op->fn(c->srv->d, &c->peer, args, &data, &error) < 0) {
		reply = mgmt_reply_fail(
			id,
			error ? error : mgmt_error_obj(MGMT_E_INTERNAL, NULL, "operation failed"));
		json_free(data);
		goto out;
	}
	reply = mgmt_reply_ok(id, data);
out:
	json_free(req);
	return reply;
}

static void conn_read(struct mgmt_conn *c)
{
	uint8_t buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	enum frame_status st;
	const uint8_t *msg;
	size_t len;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	st = frame_feed(&c->rd, buf, (size_t)n);
	while (st == FRAME_AGAIN && (st = frame_next(&c->rd, &msg, &len)) == FRAME_OK) {
		if (conn_queue(c, handle_request(c, msg, len)) < 0)
			return;
		st = FRAME_AGAIN;
	}
	if (st != FRAME_AGAIN) {
		/* The stream has lost its framing: answer once and hang up. */
		log_warnx("management client pid %ld: %s; closing", (long)c->peer.pid,
			  frame_strerror(st));
		c->closing = true;
		conn_queue(c, mgmt_reply_error(NULL, MGMT_E_FRAME, NULL, "%s (limit %zu bytes)",
					       frame_strerror(st), c->rd.max));
	}
}

static void conn_cb(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct mgmt_conn *c = arg;

	(void)io;
	(void)fd;
	if ((events & EV_WRITE) && conn_flush(c) < 0)
		return;
	if ((events & EV_READ) && !c->closing)
		conn_read(c);
}

static bool user_in_group(uid_t uid, gid_t pgid, const char *user, gid_t gid)
{
	gid_t groups[256];
	int n = 256;

	if (uid == 0)
		return true;
	if (gid == (gid_t)-1)
		return false;
	if (pgid == gid)
		return true;
	if (getgrouplist(user, pgid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void peer_identify(struct mgmt_server *s, int fd, struct mgmt_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		p->pid = cred.pid;
		p->uid = cred.uid;
		p->gid = cred.gid;
	}
	pw = p->uid != (uid_t)-1 ? getpwuid(p->uid) : NULL;
	if (pw)
		snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	else
		snprintf(p->user, sizeof(p->user), "uid%ld", (long)p->uid);
	p->admin = user_in_group(p->uid, p->gid, p->user, s->d->admin_gid);
}

static void accept_cb(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct mgmt_server *s = arg;
	struct mgmt_conn *c;
	int cfd;

	(void)io;
	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (s->nconns >= MGMT_MAX_CONNS) {
			log_warnx("management socket: %d clients already connected; refusing one",
				  s->nconns);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		frame_reader_init(&c->rd, MGMT_REQ_MAX);
		peer_identify(s, cfd, &c->peer);
		c->peer.id = ++s->next_id;
		c->io = ev_io_add(s->d->loop, cfd, EV_READ, conn_cb, c);
		if (!c->io) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		log_debug("management client pid %ld user %s connected", (long)c->peer.pid,
			  c->peer.user);
	}
}

struct mgmt_server *mgmt_server_start(struct svrd *d, char *err, size_t errlen)
{
	struct mgmt_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->d = d;
	s->fd = sock_unix_listen(d->socket_path, 0660, d->sock_gid);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", d->socket_path,
			 errno == EADDRINUSE ? "another svrd is serving it" : strerror(errno));
		free(s);
		return NULL;
	}
	s->io = ev_io_add(d->loop, s->fd, EV_READ, accept_cb, s);
	if (!s->io) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

void mgmt_server_stop(struct mgmt_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	ev_io_del(s->io);
	close(s->fd);
	unlink(s->d->socket_path);
	free(s);
}
