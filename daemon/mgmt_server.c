/* DOC: management server
 *
 * Accepts clients on the management socket, reassembles framed requests,
 * checks them, and dispatches them to the operation table (ops.c).  The
 * caller's identity comes from SO_PEERCRED, never from the request.  Any
 * local user in the socket's group may connect, read-only users included, so
 * what one client can make svrd do is bounded, and one client never holds up
 * the others:
 *
 * - Input: a connection's socket is read only while no whole request of it
 *   is waiting, so svrd buffers at most one partial request (MGMT_REQ_MAX)
 *   and one read per client; requests are parsed with MGMT_REQ_LIMITS.
 * - Work: each turn of the event loop handles at most MGMT_TURN_REQUESTS
 *   requests per connection; what is left waits for the next turn (the
 *   resume timer), after every other client's turn.
 * - Output: a connection's next request is handled only once its previous
 *   reply has gone into the socket, so a client that does not read stops
 *   being served (its own writes then block) instead of growing a queue: it
 *   holds at most one reply.  A reply above MGMT_REPLY_MAX (what clients
 *   accept) becomes an error.  Replies queued across all clients are capped
 *   at MGMT_OUTQ_TOTAL_MAX: a reply that would pass it first drops the
 *   clients that have drained least recently, which are the ones not reading.
 *
 * Framing errors get a final error reply and a close; malformed requests get
 * an error reply and the connection stays usable.  Counters (get-version's
 * "management") show the queue, the limit and the clients dropped.
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

#define MGMT_MAX_CONNS	     64
#define MGMT_REQ_MAX	     (1u * 1024 * 1024)
#define MGMT_TURN_REQUESTS   8
#define MGMT_REPLY_MAX	     FRAME_MAX_DEFAULT
#define MGMT_OUTQ_TOTAL_MAX  (32u * 1024 * 1024)
#define MGMT_REQ_MAX_DEPTH   32
#define MGMT_REQ_MAX_MEMBERS 1024
#define MGMT_REQ_MAX_VALUES  65536

static const struct json_limits req_limits = {
	.max_size = MGMT_REQ_MAX,
	.max_depth = MGMT_REQ_MAX_DEPTH,
	.max_members = MGMT_REQ_MAX_MEMBERS,
	.max_values = MGMT_REQ_MAX_VALUES,
};

struct mgmt_conn {
	struct mgmt_server *srv;
	struct ev_io *io;
	int fd;
	struct frame_reader rd;
	uint8_t *out;
	size_t out_len, out_off;
	uint64_t drained_ms; /* last time its queue shrank or was empty */
	bool closing;	     /* flush what is queued, then close */
	bool resume;	     /* has requests left for the next turn */
	struct mgmt_peer peer;
	struct mgmt_conn *next;
};

struct mgmt_server {
	struct svrd *d;
	int fd;
	struct ev_io *io;
	struct ev_timer *resume; /* the next turn of connections with work left */
	struct mgmt_conn *conns;
	int nconns;
	uint64_t next_id;
	size_t queued; /* reply bytes queued across all connections */
	uint64_t requests, dropped;
};

static size_t conn_pending(const struct mgmt_conn *c)
{
	return c->out_len - c->out_off;
}

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
	c->srv->queued -= conn_pending(c);
	config_session_end(c->srv->d, &c->peer);
	ev_io_del(c->io);
	close(c->fd);
	frame_reader_reset(&c->rd);
	free(c->out);
	free(c);
}

/* Read only when no whole request is waiting and no reply is queued. */
static bool conn_wants_input(const struct mgmt_conn *c)
{
	return !c->closing && !conn_pending(c) && frame_ready(&c->rd) == FRAME_AGAIN;
}

static bool conn_has_work(const struct mgmt_conn *c)
{
	return !c->closing && !conn_pending(c) && frame_ready(&c->rd) != FRAME_AGAIN;
}

static void conn_update_events(struct mgmt_conn *c)
{
	unsigned ev = conn_wants_input(c) ? EV_READ : 0;

	if (conn_pending(c))
		ev |= EV_WRITE;
	ev_io_set(c->io, ev);
	if (conn_has_work(c) && !c->resume) {
		c->resume = true;
		ev_timer_arm(c->srv->resume, 0, 0);
	}
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
		c->srv->queued -= (size_t)n;
		c->drained_ms = ev_now_ms();
	}
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
		c->out_off = c->out_len = 0;
		if (c->closing) {
			conn_free(c);
			return -1;
		}
	}
	conn_update_events(c);
	return 0;
}

/* The connection, other than c, that has drained least recently. */
static struct mgmt_conn *stalest(struct mgmt_server *s, const struct mgmt_conn *c)
{
	struct mgmt_conn *best = NULL;

	for (struct mgmt_conn *o = s->conns; o; o = o->next) {
		if (o == c || !conn_pending(o))
			continue;
		if (!best || o->drained_ms < best->drained_ms ||
		    (o->drained_ms == best->drained_ms && conn_pending(o) > conn_pending(best)))
			best = o;
	}
	return best;
}

/* Make room for len more bytes under the global cap.  -1 when even dropping
 * every other client's replies is not enough. */
static int make_room(struct mgmt_conn *c, size_t len)
{
	struct mgmt_server *s = c->srv;
	struct mgmt_conn *o;

	while (s->queued + len > MGMT_OUTQ_TOTAL_MAX && (o = stalest(s, c))) {
		log_warnx("management replies queued for clients reached %zu bytes (limit %u); "
			  "dropping client pid %ld user %s, which has %zu bytes not read",
			  s->queued + len, MGMT_OUTQ_TOTAL_MAX, (long)o->peer.pid, o->peer.user,
			  conn_pending(o));
		s->dropped++;
		conn_free(o);
	}
	return s->queued + len > MGMT_OUTQ_TOTAL_MAX ? -1 : 0;
}

/* A reply larger than clients accept is replaced by an error saying so. */
static uint8_t *encode_reply(struct json *msg, size_t *len)
{
	uint8_t *wire = mgmt_encode(msg, len);
	struct json *e;

	if (!wire || *len - FRAME_HDR_LEN <= MGMT_REPLY_MAX)
		return wire;
	free(wire);
	e = mgmt_reply_error(json_get(msg, "id"), MGMT_E_LIMIT, NULL,
			     "the reply is %zu bytes, above the protocol's limit of %u bytes",
			     *len - FRAME_HDR_LEN, MGMT_REPLY_MAX);
	wire = mgmt_encode(e, len);
	json_free(e);
	return wire;
}

static int conn_queue(struct mgmt_conn *c, struct json *msg)
{
	size_t len = 0;
	uint8_t *wire = encode_reply(msg, &len);
	uint8_t *nb;

	json_free(msg);
	if (!wire || make_room(c, len) < 0) {
		log_warnx("management client pid %ld: no room for a reply of %zu bytes; "
			  "dropping it",
			  (long)c->peer.pid, len);
		c->srv->dropped++;
		free(wire);
		conn_free(c);
		return -1;
	}
	if (!c->out) {
		/* the usual case: the reply becomes the queue */
		c->out = wire;
		c->out_len = len;
		c->out_off = 0;
		c->drained_ms = ev_now_ms();
	} else {
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
	}
	c->srv->queued += len;
	return conn_flush(c);
}

static struct json *handle_request(struct mgmt_conn *c, const uint8_t *msg, size_t len)
{
	char err[160];
	struct json *req =
		json_parse_limited((const char *)msg, len, &req_limits, err, sizeof(err));
	struct json *id, *args, *data = NULL, *error = NULL, *reply;
	const struct mgmt_op *op;
	const char *name;

	c->srv->requests++;
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

/* The stream has lost its framing: answer once and hang up. */
static void conn_frame_error(struct mgmt_conn *c, enum frame_status st)
{
	log_warnx("management client pid %ld: %s; closing", (long)c->peer.pid, frame_strerror(st));
	c->closing = true;
	conn_queue(c, mgmt_reply_error(NULL, MGMT_E_FRAME, NULL, "%s (limit %zu bytes)",
				       frame_strerror(st), c->rd.max));
}

/* Handle this turn's share of c's waiting requests: one at a time, each
 * only once the reply before it has gone out.  -1 when c was freed. */
static int conn_work(struct mgmt_conn *c)
{
	for (int i = 0; i < MGMT_TURN_REQUESTS && conn_has_work(c); i++) {
		const uint8_t *msg;
		size_t len;
		enum frame_status st = frame_next(&c->rd, &msg, &len);

		if (st != FRAME_OK) {
			conn_frame_error(c, st);
			return -1;
		}
		if (conn_queue(c, handle_request(c, msg, len)) < 0)
			return -1;
	}
	conn_update_events(c);
	return 0;
}

static void conn_read(struct mgmt_conn *c)
{
	uint8_t buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	enum frame_status st;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	st = frame_feed(&c->rd, buf, (size_t)n);
	if (st != FRAME_AGAIN) {
		conn_frame_error(c, st);
		return;
	}
	conn_work(c);
}

static void conn_cb(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct mgmt_conn *c = arg;

	(void)io;
	(void)fd;
	/* A hang-up reports readable even while reading is off: flushing or
	 * working then meets the closed socket and frees the connection. */
	if ((events & (EV_WRITE | EV_READ)) && conn_pending(c) && conn_flush(c) < 0)
		return;
	if (!(events & EV_READ))
		return;
	if (conn_wants_input(c))
		conn_read(c);
	else if (conn_has_work(c))
		conn_work(c);
}

/* The next turn for every connection that had requests left over. */
static void resume_cb(struct ev_timer *t, void *arg)
{
	struct mgmt_server *s = arg;
	uint64_t ids[MGMT_MAX_CONNS];
	int n = 0;

	(void)t;
	for (struct mgmt_conn *c = s->conns; c && n < MGMT_MAX_CONNS; c = c->next) {
		if (c->resume) {
			c->resume = false;
			ids[n++] = c->peer.id;
		}
	}
	/* by id: a connection's work may drop others (make_room) */
	for (int i = 0; i < n; i++) {
		for (struct mgmt_conn *c = s->conns; c; c = c->next) {
			if (c->peer.id == ids[i]) {
				if (conn_has_work(c))
					conn_work(c);
				else
					conn_update_events(c);
				break;
			}
		}
	}
}

struct json *mgmt_server_stats(const struct mgmt_server *s)
{
	struct json *o = json_new_object();

	json_set(o, "clients", json_new_int(s ? s->nconns : 0));
	json_set(o, "client-limit", json_new_int(MGMT_MAX_CONNS));
	json_set(o, "requests", json_new_int(s ? (int64_t)s->requests : 0));
	json_set(o, "queued-output-bytes", json_new_int(s ? (int64_t)s->queued : 0));
	json_set(o, "queued-output-limit", json_new_int(MGMT_OUTQ_TOTAL_MAX));
	json_set(o, "clients-dropped", json_new_int(s ? (int64_t)s->dropped : 0));
	return o;
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
		c->drained_ms = ev_now_ms();
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
	s->resume = ev_timer_add(d->loop, resume_cb, s);
	if (!s->io || !s->resume) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		ev_io_del(s->io);
		ev_timer_del(s->resume);
		close(s->fd);
		unlink(d->socket_path);
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
	ev_timer_del(s->resume);
	ev_io_del(s->io);
	close(s->fd);
	unlink(s->d->socket_path);
	free(s);
}
