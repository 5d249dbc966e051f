/* The management socket of a real svrd under good and bad input. */
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

TestSuite(mgmt, .init = up, .fini = down);

Test(mgmt, request_gets_reply_with_same_id)
{
	int fd = conn();
	struct json *r;

	send_msg(fd, "{\"id\":\"abc\",\"op\":\"hello\",\"args\":{}}");
	r = recv_msg(fd);
	cr_assert_str_eq(json_get_str(r, "id", ""), "abc");
	cr_assert(json_get_bool(r, "ok", false));
	cr_assert_str_eq(json_get_str(json_get(r, "data"), "node", ""), "node-1");
	cr_assert_str_eq(json_get_str(json_get(r, "data"), "access", ""), "read-write");
	json_free(r);
	close(fd);
}

Test(mgmt, garbage_json_gets_error_and_connection_survives)
{
	int fd = conn();
	struct json *r;

	send_msg(fd, "{this is not json");
	r = recv_msg(fd);
	cr_assert_not_null(r);
	cr_assert_not(json_get_bool(r, "ok", true));
	cr_assert_str_eq(err_code(r), MGMT_E_JSON);
	cr_assert(strstr(json_get_str(json_get(r, "error"), "message", ""), "at byte") != NULL);
	json_free(r);
	send_msg(fd, "{\"id\":2,\"op\":\"hello\"}");
	r = recv_msg(fd);
	cr_assert(json_get_bool(r, "ok", false));
	json_free(r);
	close(fd);
}

Test(mgmt, malformed_requests)
{
	const char *bad[] = {"[1,2]", "{\"id\":1}", "{\"id\":[],\"op\":\"hello\"}",
			     "{\"id\":1,\"op\":\"hello\",\"args\":7}", "\"hello\""};
	int fd = conn();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json *r;

		send_msg(fd, bad[i]);
		r = recv_msg(fd);
		cr_assert_not_null(r, "no reply to %s", bad[i]);
		cr_assert_str_eq(err_code(r), MGMT_E_REQUEST, "for %s", bad[i]);
		json_free(r);
	}
	close(fd);
	assert_serving();
}

Test(mgmt, unknown_operation_is_named)
{
	int fd = conn();
	struct json *r;

	send_msg(fd, "{\"id\":1,\"op\":\"reboot-everything\",\"args\":{}}");
	r = recv_msg(fd);
	cr_assert_str_eq(err_code(r), MGMT_E_UNKNOWN);
	cr_assert(strstr(json_get_str(json_get(r, "error"), "message", ""), "reboot-everything"));
	json_free(r);
	close(fd);
}

Test(mgmt, oversized_frame_gets_error_then_close)
{
	int fd = conn();
	struct json *r;

	send_raw(fd, "\x7f\xff\xff\xff", 4);
	r = recv_msg(fd);
	cr_assert_not_null(r);
	cr_assert_str_eq(err_code(r), MGMT_E_FRAME);
	cr_assert(json_type(json_get(r, "id")) == JSON_NULL);
	json_free(r);
	cr_assert(closed_by_peer(fd));
	close(fd);
	assert_serving();
}

Test(mgmt, zero_length_frame_gets_error_then_close)
{
	int fd = conn();
	struct json *r;

	send_raw(fd, "\0\0\0\0", 4);
	r = recv_msg(fd);
	cr_assert_str_eq(err_code(r), MGMT_E_FRAME);
	json_free(r);
	cr_assert(closed_by_peer(fd));
	close(fd);
}

Test(mgmt, truncated_message_then_hangup_leaves_server_serving)
{
	int fd = conn();
	int other = conn();

	send_raw(fd, "\0\0\0\x40{\"id\":1,\"op\"", 16);
	close(fd);
	close(other);
	assert_serving();
}

Test(mgmt, binary_garbage_in_a_frame)
{
	int fd = conn();
	uint8_t junk[256];
	struct json *r;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	junk[0] = 0;
	junk[1] = 0;
	junk[2] = 0;
	junk[3] = 252;
	send_raw(fd, junk, sizeof(junk));
	r = recv_msg(fd);
	cr_assert_str_eq(err_code(r), MGMT_E_JSON);
	json_free(r);
	close(fd);
	assert_serving();
}

Test(mgmt, too_many_clients_are_refused_not_fatal)
{
	int fds[80];

	for (int i = 0; i < 80; i++)
		fds[i] = sock_unix_connect(d.sock);
	/* The ones past the limit are accepted and closed at once. */
	cr_assert(closed_by_peer(fds[79]));
	for (int i = 0; i < 80; i++)
		close(fds[i]);
	usleep(100000);
	assert_serving();
}

Test(mgmt, pipelined_requests_all_answered_in_order)
{
	int fd = conn();
	char body[64];

	for (int i = 1; i <= 20; i++) {
		snprintf(body, sizeof(body), "{\"id\":%d,\"op\":\"hello\",\"args\":{}}", i);
		send_msg(fd, body);
	}
	for (int i = 1; i <= 20; i++) {
		struct json *r = recv_msg(fd);

		cr_assert_eq(json_get_int(r, "id", 0), i);
		json_free(r);
	}
	close(fd);
}

/* A user outside the admin group reads but cannot change anything. */
Test(mgmt, read_only_users_cannot_write)
{
	struct svrd_proc p;
	char *argv[] = {(char *)prog_path("SVRD", "daemon/svrd"),
			"--foreground",
			"--state-dir",
			NULL,
			"--socket",
			NULL,
			"--group",
			"nogroup",
			"--admin-group",
			"root",
			NULL};
	pid_t pid, child;
	int st;

	if (geteuid() != 0)
		cr_skip_test("needs root to run a client as another user");
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(svrd_start(&p, "R", "n"), 0);
	cr_assert_eq(svrd_stop(&p), 0);
	argv[3] = p.state;
	argv[5] = p.sock;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(p.sock, F_OK) != 0; i++)
		usleep(10000);
	usleep(50000);
	/* The socket and its directory must let "nobody" in for this test. */
	chmod(p.dir, 0755);
	child = fork();
	if (child == 0) {
		struct json *r;
		int fd;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = sock_unix_connect(p.sock);
		if (fd < 0)
			_exit(11);
		send_msg(fd, "{\"id\":1,\"op\":\"hello\",\"args\":{}}");
		r = recv_msg(fd);
		if (strcmp(json_get_str(json_get(r, "data"), "access", ""), "read-only") != 0)
			_exit(12);
		json_free(r);
		send_msg(fd, "{\"id\":2,\"op\":\"get-config\",\"args\":{}}");
		r = recv_msg(fd);
		if (!json_get_bool(r, "ok", false))
			_exit(13);
		json_free(r);
		send_msg(fd, "{\"id\":3,\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/"
			     "name\",\"value\":\"x\"}}");
		r = recv_msg(fd);
		if (strcmp(err_code(r), MGMT_E_DENIED) != 0)
			_exit(14);
		json_free(r);
		/* clear throws history and counters away: a write */
		send_msg(fd, "{\"id\":4,\"op\":\"clear\",\"args\":{\"what\":\"events\"}}");
		r = recv_msg(fd);
		if (strcmp(err_code(r), MGMT_E_DENIED) != 0)
			_exit(15);
		json_free(r);
		/* the log is for reading, within its bounds */
		send_msg(fd, "{\"id\":5,\"op\":\"get-log\",\"args\":{\"lines\":5}}");
		r = recv_msg(fd);
		if (!json_get_bool(r, "ok", false))
			_exit(16);
		json_free(r);
		send_msg(fd, "{\"id\":6,\"op\":\"get-log\",\"args\":{\"lines\":100000}}");
		r = recv_msg(fd);
		if (strcmp(err_code(r), MGMT_E_INVALID) != 0)
			_exit(17);
		json_free(r);
		_exit(0);
	}
	waitpid(child, &st, 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	svrd_cleanup(&p);
	cr_assert(WIFEXITED(st), "client crashed");
	cr_assert_eq(WEXITSTATUS(st), 0, "client step %d failed", WEXITSTATUS(st));
}

static char *candidate_text(int fd)
{
	struct json *r = call(fd, "{\"op\":\"get-config\",\"args\":{\"datastore\":\"candidate\"}}");
	char *t = strdup(json_get_str(json_get(r, "data"), "text", ""));

	json_free(r);
	return t;
}

Test(mgmt, bad_imports_are_named_and_change_nothing)
{
	int fd = conn();
	struct json *r;
	char *before, *after;
	const char *msg;

	json_free(call(fd,
		       "{\"op\":\"edit\",\"args\":{\"path\":\"/opensvr:authority/router[name='a']"
		       "/location\",\"value\":\"here\"}}"));
	before = candidate_text(fd);
	r = call(fd, "{\"op\":\"import\",\"args\":{\"text\":\"{\\\"opensvr:authority\\\": "
		     "{\\\"router\\\": "
		     "[{\\\"name\\\": 5\"}}");
	cr_assert_str_eq(err_code(r), MGMT_E_INVALID);
	json_free(r);
	r = call(fd,
		 "{\"op\":\"import\",\"args\":{\"text\":\"config\\n authority\\n  router b\\n   "
		 "colour blue\\n\"}}");
	msg = json_get_str(json_get(r, "error"), "message", "");
	cr_assert(strstr(msg, "'colour' is not a configuration item") != NULL, "%s", msg);
	cr_assert_str_eq(json_get_str(json_get(r, "error"), "path", ""),
			 "line 4: authority router b");
	json_free(r);
	after = candidate_text(fd);
	cr_assert_str_eq(after, before, "a failed import changed the candidate");
	free(before);
	free(after);
	close(fd);
}

Test(mgmt, configure_exclusive_locks_out_other_sessions)
{
	int a = conn(), b = conn();
	struct json *r;

	r = call(a, "{\"op\":\"cli-config\",\"args\":{\"line\":\"configure exclusive\"}}");
	cr_assert(json_get_bool(r, "ok", false));
	json_free(r);
	r = call(b, "{\"op\":\"cli-config\",\"args\":{\"line\":\"set authority name x\"}}");
	{
		/* it says who holds the lock: the user and their process */
		const char *m = json_get_str(json_get(r, "error"), "message", "");
		char pid[32];

		snprintf(pid, sizeof(pid), "pid %d,", (int)getpid());
		cr_assert(strstr(m, "locked by ") && strstr(m, pid), "%s", m);
	}
	json_free(r);
	r = call(a, "{\"op\":\"cli-config\",\"args\":{\"line\":\"set authority name mine\"}}");
	cr_assert(json_get_bool(r, "ok", false));
	json_free(r);
	/* leaving configuration mode releases the lock */
	json_free(call(a, "{\"op\":\"cli-config\",\"args\":{\"line\":\"exit\"}}"));
	r = call(b, "{\"op\":\"cli-config\",\"args\":{\"line\":\"set authority name yours\"}}");
	cr_assert(json_get_bool(r, "ok", false));
	json_free(r);
	close(a);
	close(b);
}

Test(mgmt, state_and_rpc_are_checked_against_the_model)
{
	int fd = conn();
	struct json *r;

	r = call(fd, "{\"op\":\"get-state\",\"args\":{}}");
	{
		const struct json *st = json_get(json_get(json_get(r, "data"), "state"),
						 "opensvr:authority-state"),
				  *router = json_at(json_get(st, "router"), 0),
				  *node = json_at(json_get(router, "node"), 0);

		cr_assert_str_eq(json_get_str(node, "name", ""), "node-1", "%s", json_print(r));
		/* YANG data: enumerations by name, booleans as booleans */
		cr_assert_str_eq(
			json_get_str(json_get(node, "key-status"), "key-manager-state", ""),
			"inactive");
		cr_assert_str_eq(json_get_str(json_get(node, "forwarding"), "forwarder", ""),
				 "none");
	}
	json_free(r);
	r = call(fd, "{\"op\":\"rpc\",\"args\":{\"name\":\"no-such-rpc\"}}");
	cr_assert_not(json_get_bool(r, "ok", true));
	json_free(r);
	r = call(fd, "{\"op\":\"rpc\",\"args\":{\"name\":\"security-metadata-key-regenerate\","
		     "\"input\":{\"colour\":\"blue\"}}}");
	cr_assert(strstr(json_get_str(json_get(r, "error"), "message", ""), "colour") != NULL);
	json_free(r);
	close(fd);
}
