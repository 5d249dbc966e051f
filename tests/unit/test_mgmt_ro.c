/* The management socket against a read-only user (issue 12): huge
 * objects, schema paths, exports, clients that do not read. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "json.h"
#include "mgmt.h"
#include "mgmttest.h"
#include "proc.h"
#include "sock.h"
#include "utf8.h"

/* ---- a read-only user (issue 12) ---------------------------------------
 *
 * svrd whose socket lets "nobody" in (socket group nogroup) and whose only
 * admin is root; the attacks run in a child as nobody.  Children report
 * with their exit status (a step number), never with Criterion asserts. */

#define NOBODY 65534

static struct svrd_proc ro;
static pid_t ro_pid, ro_child;

static void ro_up(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0)
		return; /* each test skips */
	cr_assert_eq(svrd_start(&ro, "RTR_RO", "node-1"), 0, "svrd did not start");
	cr_assert_eq(svrd_stop(&ro), 0);
	cr_assert_eq(chmod(ro.dir, 0755), 0);
	ro_pid = fork();
	if (ro_pid == 0) {
		char log[400];
		int fd = open("/dev/null", O_RDWR), logfd;

		snprintf(log, sizeof(log), "%s/svrd.log", ro.dir);
		logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execl(prog_path("SVRD", "daemon/svrd"), "svrd", "--foreground", "--state-dir",
		      ro.state, "--socket", ro.sock, "--router", "RTR_RO", "--node", "node-1",
		      "--group", "nogroup", "--admin-group", "root", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		int fd = sock_unix_connect(ro.sock);

		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	cr_assert_fail("svrd with a read-only group did not come up");
}

static void ro_down(void)
{
	if (ro_child > 0) {
		kill(ro_child, SIGKILL);
		waitpid(ro_child, NULL, 0);
		ro_child = 0;
	}
	if (ro_pid > 0) {
		int st = 0;

		kill(ro_pid, SIGTERM);
		waitpid(ro_pid, &st, 0);
		ro_pid = 0;
		/* after the attacks: a clean exit (no leak under the sanitizers) */
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "svrd did not exit cleanly: %#x",
			  st);
	}
	svrd_cleanup(&ro);
	svrd_cleanup_all();
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to run a client as another user");
}

/* Run fn(arg) in a child as nobody; its pid (reap with child_status). */
static pid_t spawn_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(99);
		_exit(fn(arg));
	}
	ro_child = pid;
	return pid;
}

static int child_status(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	ro_child = 0;
	cr_assert(WIFEXITED(st), "the client as nobody died of signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

static int as_nobody(int (*fn)(void *), void *arg)
{
	return child_status(spawn_nobody(fn, arg));
}

/* Child side: no asserts. */
static int c_send(int fd, const char *body, size_t len)
{
	uint8_t hdr[4];

	frame_header(hdr, (uint32_t)len);
	return sock_write_all(fd, hdr, 4) == 0 && sock_write_all(fd, body, len) == 0 ? 0 : -1;
}

static struct json *c_call(int fd, const char *body)
{
	return c_send(fd, body, strlen(body)) == 0 ? c_recv(fd, 10000) : NULL;
}

static const char *err_msg(const struct json *reply)
{
	return json_get_str(json_get(reply, "error"), "message", "");
}

/* {"id":ID,"op":"hello","args":{"x":{"k0":0,...}}}: just under 1 MiB,
 * about 90,000 members in one object. */
static char *big_object_request(int id, size_t *len)
{
	size_t cap = 1024 * 1024, used;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	used = (size_t)snprintf(s, cap, "{\"id\":%d,\"op\":\"hello\",\"args\":{\"x\":{", id);
	for (unsigned i = 0; used + 32 < cap; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s\"k%u\":0", i ? "," : "", i);
	used += (size_t)snprintf(s + used, cap - used, "}}}");
	*len = used;
	return s;
}

/* Sends two ~1 MiB objects, says so on the pipe, then checks the replies:
 * refused, naming the limit, each within 10 s. */
static int big_object_attacker(void *arg)
{
	int *ready = arg;
	int fd = sock_unix_connect(ro.sock);

	if (fd < 0)
		return 10;
	for (int id = 1; id <= 2; id++) {
		size_t len;
		char *req = big_object_request(id, &len);

		if (!req || c_send(fd, req, len) < 0)
			return 11;
		free(req);
	}
	if (write(ready[1], "x", 1) != 1)
		return 12;
	for (int id = 1; id <= 2; id++) {
		struct json *r = c_recv(fd, 10000);

		if (!r)
			return 20 + id;
		if (json_get_int(r, "id", -1) != -1 || strcmp(err_code(r), MGMT_E_JSON) != 0 ||
		    !strstr(err_msg(r), "more than 1024 members"))
			return 30 + id;
		json_free(r);
	}
	close(fd);
	return 0;
}

TestSuite(mgmt_ro, .init = ro_up, .fini = ro_down, .timeout = 120);

/* A read-only user's 1 MiB JSON object (one request took 25 s of svrd's
 * only thread): refused at once, and another client is answered while the
 * attack is under way. */
Test(mgmt_ro, a_huge_object_does_not_stall_svrd)
{
	int ready[2], fd, rc;
	struct pollfd pfd;
	struct json *r;
	uint64_t t0;
	pid_t pid;

	need_root();
	cr_assert_eq(pipe(ready), 0);
	pid = spawn_nobody(big_object_attacker, ready);
	pfd = (struct pollfd){ready[0], POLLIN, 0};
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "svrd did not take 2 MiB of requests within 10 s");
	fd = sock_unix_connect(ro.sock);
	cr_assert_geq(fd, 0);
	t0 = ev_now_ms();
	send_msg(fd, "{\"id\":7,\"op\":\"hello\",\"args\":{}}");
	r = c_recv(fd, 2000);
	cr_assert_not_null(r, "svrd did not answer another client within 2 s during the attack");
	cr_assert(json_get_bool(r, "ok", false));
	json_free(r);
	cr_log_info("hello answered in %llu ms during the attack",
		    (unsigned long long)(ev_now_ms() - t0));
	close(fd);
	rc = child_status(pid);
	cr_assert_eq(rc, 0, "attacker step %d failed", rc);
	close(ready[0]);
	close(ready[1]);
}

/* list-keys takes a schema path, never an XPath expression: one expression
 * stalled svrd for 10 s.  Each is refused with a message that says so. */
static int list_keys_prober(void *arg)
{
	static const char *const bad[] = {
		"//*",
		"/opensvr:authority/router[name='a']",
		"count(//*)",
		"/opensvr:authority/*",
		"/opensvr:authority/router | //*",
		"/opensvr:authority/../authority/router",
		"/opensvr:authority//router",
		"/opensvr:authority/router/ancestor::*",
		"/opensvr:authority/router/node[position()<1000]",
		"opensvr:authority/router",
		"/opensvr:authority/router/",
		"/opensvr:authority/ router",
		"/1bad:authority/router",
	};
	int fd = sock_unix_connect(ro.sock);
	struct json *args = json_new_object(), *r;
	char *body;

	(void)arg;
	if (fd < 0)
		return 10;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_set(args, "schema-path", json_new_str(bad[i]));
		body = json_print(args);
		{
			char req[1024];

			snprintf(req, sizeof(req), "{\"op\":\"list-keys\",\"args\":%s}", body);
			r = c_call(fd, req);
		}
		free(body);
		if (!r)
			return 20;
		if (json_get_bool(r, "ok", true) || !strstr(err_msg(r), "schema path")) {
			fprintf(stderr, "list-keys %s: %s\n", bad[i], err_msg(r));
			return 30 + (int)i;
		}
		json_free(r);
	}
	/* a path as long as a page: refused by its length */
	{
		char req[8192];
		size_t n = (size_t)snprintf(req, sizeof(req),
					    "{\"op\":\"list-keys\",\"args\":{\"schema-path\":\"");

		while (n < 4000)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "/opensvr:authority");
		snprintf(req + n, sizeof(req) - n, "\"}}");
		r = c_call(fd, req);
		if (!r || json_get_bool(r, "ok", true) || !strstr(err_msg(r), "longer than"))
			return 50;
		json_free(r);
	}
	/* a schema path that is not a list, and one the model does not have */
	r = c_call(fd, "{\"op\":\"list-keys\",\"args\":{\"schema-path\":\"/opensvr:authority\"}}");
	if (!r || json_get_bool(r, "ok", true) || !strstr(err_msg(r), "not a list"))
		return 60;
	json_free(r);
	r = c_call(fd, "{\"op\":\"list-keys\",\"args\":{\"schema-path\":"
		       "\"/opensvr:authority/colour\"}}");
	if (!r || json_get_bool(r, "ok", true) || !strstr(err_msg(r), "no such list"))
		return 61;
	json_free(r);
	/* what svrsh asks for completion still works */
	r = c_call(fd, "{\"op\":\"list-keys\",\"args\":{\"schema-path\":"
		       "\"/opensvr:authority/router\"}}");
	if (!r || !json_get_bool(r, "ok", false))
		return 70;
	if (json_len(json_get(json_get(r, "data"), "keys")) != 2)
		return 71;
	json_free(r);
	json_free(args);
	close(fd);
	return 0;
}

Test(mgmt_ro, list_keys_takes_only_schema_paths)
{
	int fd, rc;

	need_root();
	fd = conn_to(ro.sock);
	json_free(call(fd, "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			   "router[name='a']/location\",\"value\":\"here\"}}"));
	json_free(call(fd, "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			   "router[name='b']/location\",\"value\":\"there\"}}"));
	close(fd);
	rc = as_nobody(list_keys_prober, NULL);
	cr_assert_eq(rc, 0, "list-keys step %d failed", rc);
}

/* export writes files: a write operation, so a read-only user cannot fill
 * the state filesystem with it. */
static int export_prober(void *arg)
{
	int fd = sock_unix_connect(ro.sock);
	struct json *r;

	(void)arg;
	if (fd < 0)
		return 10;
	r = c_call(fd, "{\"op\":\"export\",\"args\":{\"name\":\"mine\"}}");
	if (!r || strcmp(err_code(r), MGMT_E_DENIED) != 0)
		return 11;
	json_free(r);
	close(fd);
	return 0;
}

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	cr_assert_not_null(f, "cannot read %s", path);
	cr_assert_gt(fread(buf, 1, 65535, f), 0);
	fclose(f);
	return buf;
}

Test(mgmt_ro, export_is_for_admins_and_never_overwrites)
{
	int fd, rc;
	struct json *r;
	char path[512], *text;
	const char *msg;

	need_root();
	rc = as_nobody(export_prober, NULL);
	cr_assert_eq(rc, 0, "read-only export step %d failed", rc);
	snprintf(path, sizeof(path), "%s/exports/mine", ro.state);
	cr_assert_neq(access(path, F_OK), 0, "a read-only user wrote %s", path);

	fd = conn_to(ro.sock);
	json_free(call(fd, "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			   "router[name='a']/location\",\"value\":\"first\"}}"));
	r = call(fd, "{\"op\":\"export\",\"args\":{\"datastore\":\"candidate\","
		     "\"name\":\"saved\"}}");
	cr_assert(json_get_bool(r, "ok", false), "%s", err_msg(r));
	json_free(r);
	json_free(call(fd, "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			   "router[name='a']/location\",\"value\":\"second\"}}"));
	r = call(fd, "{\"op\":\"export\",\"args\":{\"datastore\":\"candidate\","
		     "\"name\":\"saved\"}}");
	cr_assert_not(json_get_bool(r, "ok", true), "an export was overwritten");
	msg = err_msg(r);
	cr_assert(strstr(msg, "saved") && strstr(msg, "already exists"), "%s", msg);
	json_free(r);
	snprintf(path, sizeof(path), "%s/exports/saved", ro.state);
	text = slurp_file(path);
	cr_assert(strstr(text, "first") && !strstr(text, "second"), "the export changed: %s", text);
	free(text);
	close(fd);
}

/* There is a cap on the number of exports too. */
Test(mgmt_ro, exports_are_limited_in_number)
{
	int fd;
	struct json *r = NULL;
	char req[128];
	int n;

	need_root();
	fd = conn_to(ro.sock);
	for (n = 0; n < 2000; n++) {
		snprintf(req, sizeof(req), "{\"op\":\"export\",\"args\":{\"name\":\"e%d\"}}", n);
		r = call(fd, req);
		if (!json_get_bool(r, "ok", false))
			break;
		json_free(r);
		r = NULL;
	}
	cr_assert_not_null(r, "2000 exports were all written");
	cr_assert(strstr(err_msg(r), "exports") && strstr(err_msg(r), "limit"), "%s", err_msg(r));
	cr_log_info("export %d refused: %s", n, err_msg(r));
	json_free(r);
	close(fd);
}

/* A client that sends requests and never reads its replies: svrd stops
 * reading from it (its writes block) instead of queueing replies without
 * end or dropping it, and once it reads it gets every reply, in order. */
static int pipelining_prober(void *arg)
{
	int fd = sock_unix_connect(ro.sock);
	uint8_t chunk[64 * 1024];
	size_t ends[4096], clen = 0, total = 0, off = 0;
	int per = 0;
	long expect;

	(void)arg;
	if (fd < 0)
		return 10;
	/* one chunk of back-to-back hellos, sent again and again */
	for (;;) {
		char req[128];
		int n = snprintf(req, sizeof(req), "{\"id\":%d,\"op\":\"hello\",\"args\":{}}",
				 100000 + per);

		if (clen + 4 + (size_t)n > sizeof(chunk) || per == 4096)
			break;
		frame_header(chunk + clen, (uint32_t)n);
		memcpy(chunk + clen + 4, req, (size_t)n);
		clen += 4 + (size_t)n;
		ends[per++] = clen;
	}
	for (;;) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		ssize_t k = send(fd, chunk + off, clen - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k > 0) {
			off += (size_t)k;
			if (off == clen) {
				total += clen;
				off = 0;
			}
			if (total > 64u * 1024 * 1024)
				return 12; /* svrd read 64 MiB of requests nobody reads replies to
					    */
			continue;
		}
		if (k < 0 && errno != EAGAIN)
			return 11; /* svrd hung up */
		/* svrd has stopped reading when it leaves us blocked for a second */
		if (poll(&pfd, 1, 1000) == 0)
			break;
	}
	expect = (long)(total / clen) * per;
	for (int i = 0; i < per && ends[i] <= off; i++)
		expect++;
	for (long i = 0; i < expect; i++) {
		struct json *r = c_recv(fd, 10000);

		if (!r)
			return 20;
		if (json_get_int(r, "id", -1) != 100000 + i % per || !json_get_bool(r, "ok", false))
			return 21;
		json_free(r);
	}
	close(fd);
	return 0;
}

Test(mgmt_ro, a_client_that_does_not_read_is_paused_and_loses_nothing)
{
	int rc;

	need_root();
	rc = as_nobody(pipelining_prober, NULL);
	cr_assert_eq(rc, 0, "pipelining step %d failed", rc);
}

/* Replies queued for clients that do not read are capped across all
 * clients: 50 read-only connections each ask for a ~1.8 MB configuration
 * and never read it.  svrd drops the stalest of them rather than hold
 * 90 MB, and still answers the admin. */
#define CAP_CONNS 50

static int queue_filler(void *arg)
{
	static const char req[] =
		"{\"id\":1,\"op\":\"get-config\",\"args\":{\"datastore\":\"candidate\"}}";
	int *pipes = arg; /* ready: [0..1], go: [2..3] */
	int fds[CAP_CONNS], dropped = 0;
	char c;

	/* failures are 200 and up; otherwise the number of clients dropped */
	for (int i = 0; i < CAP_CONNS; i++) {
		fds[i] = sock_unix_connect(ro.sock);
		if (fds[i] < 0)
			return 210;
		if (c_send(fds[i], req, strlen(req)) < 0)
			return 211;
	}
	if (write(pipes[1], "x", 1) != 1 || read(pipes[2], &c, 1) != 1)
		return 212;
	/* A connection svrd dropped ends before its reply does. */
	for (int i = 0; i < CAP_CONNS; i++) {
		struct json *r = c_recv(fds[i], 10000);

		if (!r)
			dropped++;
		else if (!json_get_bool(r, "ok", false))
			return 213;
		json_free(r);
		close(fds[i]);
	}
	return dropped;
}

static struct json *stats_of(int fd)
{
	struct json *r = call(fd, "{\"op\":\"get-version\",\"args\":{}}");
	struct json *m = json_take(json_get(r, "data"), "management");

	json_free(r);
	return m;
}

Test(mgmt_ro, replies_queued_for_clients_that_do_not_read_are_capped)
{
	int pipes[4], fd, rc;
	struct pollfd pfd;
	struct json *r, *m = NULL;
	char *big = malloc(920 * 1024), *req = malloc(1024 * 1024);
	int64_t before;
	pid_t pid;

	need_root();
	memset(big, 'x', 900 * 1024);
	big[900 * 1024] = '\0';
	fd = conn_to(ro.sock);
	for (int i = 0; i < 2; i++) {
		snprintf(req, 1024 * 1024,
			 "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			 "router[name='r%d']/description\",\"value\":\"%s\"}}",
			 i, big);
		r = call(fd, req);
		cr_assert(json_get_bool(r, "ok", false), "%s", err_msg(r));
		json_free(r);
	}
	m = stats_of(fd);
	before = json_get_int(m, "requests", 0);
	json_free(m);
	m = NULL;
	cr_assert_eq(pipe(pipes), 0);
	cr_assert_eq(pipe(pipes + 2), 0);
	pid = spawn_nobody(queue_filler, pipes);
	pfd = (struct pollfd){pipes[0], POLLIN, 0};
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "the read-only clients did not get going");
	/* svrd has handled the 50 requests when its counter says so */
	for (int i = 0; i < 500; i++) {
		json_free(m);
		m = stats_of(fd);
		if (json_get_int(m, "requests", 0) >= before + 1 + i + CAP_CONNS)
			break;
	}
	/* the admin is still served, the whole configuration */
	r = call(fd, "{\"op\":\"get-config\",\"args\":{\"datastore\":\"candidate\"}}");
	cr_assert(json_get_bool(r, "ok", false), "%s", err_msg(r));
	cr_assert_gt(strlen(json_get_str(json_get(r, "data"), "text", "")), 1800 * 1024);
	json_free(r);
	cr_assert_eq(write(pipes[3], "x", 1), 1);
	rc = child_status(pid);
	cr_assert_lt(rc, 200, "a read-only client failed at step %d", rc);
	cr_assert_geq(rc, 1, "no client that did not read was dropped");
	cr_log_info("%d of %d clients that did not read were dropped", rc, CAP_CONNS);
	cr_assert_not_null(m, "get-version has no management counters");
	cr_log_info("queued %lld bytes for %lld clients, %lld dropped",
		    (long long)json_get_int(m, "queued-output-bytes", -1),
		    (long long)json_get_int(m, "clients", -1),
		    (long long)json_get_int(m, "clients-dropped", -1));
	cr_assert_leq(json_get_int(m, "queued-output-bytes", INT64_MAX),
		      json_get_int(m, "queued-output-limit", 0));
	cr_assert_leq(json_get_int(m, "queued-output-limit", INT64_MAX), 64 * 1024 * 1024);
	cr_assert_geq(json_get_int(m, "clients-dropped", 0), 1);
	json_free(m);
	for (int i = 0; i < 4; i++)
		close(pipes[i]);
	close(fd);
	free(big);
	free(req);
}
