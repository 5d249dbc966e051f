/* What svrsh prints of svrd's data (issue 12): escapes from a fake svrd
 * are shown, never obeyed. */
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

/* ---- what svrsh prints of svrd's data (issue 12) ------------------------
 *
 * A stand-in svrd answers svrsh with sessions, alarms and peers whose names
 * carry terminal escapes, as a peer router can put them in SVR metadata or
 * its certificate.  Whatever svrsh prints, nothing reaches the terminal that
 * it would act on: ESC, BEL, CR, DEL, C1 controls, bidi overrides and
 * invalid UTF-8 come out as visible text. */

#define EVIL_SERVICE "web\x1b]0;owned\x07\x1b[2J\r"
#define EVIL_PEER                                                                                  \
	"rtr\xc2\x9b"                                                                              \
	"31m\x7f\xe2\x80\xae"
#define EVIL_ALARM "peer \x1b[1;31mcritical\x1b[0m \xff"

static struct json *fake_state(void)
{
	struct json *out = json_new_object(), *st = json_new_object(), *top = json_new_object();
	struct json *routers = json_new_array(), *r = json_new_object();
	struct json *paths = json_new_array(), *p = json_new_object();
	struct json *sas = json_new_array(), *sa = json_new_object();

	json_set(p, "peer", json_new_str(EVIL_PEER));
	json_set(p, "node", json_new_str("node-1"));
	json_set(p, "network-interface", json_new_str(EVIL_SERVICE));
	json_set(p, "destination", json_new_str("198.51.100.2"));
	json_set(p, "status", json_new_str("up"));
	json_set(p, "security-status", json_new_str(EVIL_ALARM));
	json_append(paths, p);
	json_set(sa, "peer-name", json_new_str(EVIL_PEER));
	json_set(sa, "peer-id", json_new_str(EVIL_SERVICE));
	json_set(sa, "peer-certificate", json_new_str(EVIL_ALARM));
	json_append(sas, sa);
	{
		struct json *alarms = json_new_array(), *a = json_new_object();

		json_set(a, "id", json_new_str("node-1:1"));
		json_set(a, "time", json_new_str("2026-12-01T20:00:00+00:00"));
		json_set(a, "severity", json_new_str("critical"));
		json_set(a, "source", json_new_str(EVIL_PEER));
		json_set(a, "category", json_new_str("peer"));
		json_set(a, "message", json_new_str(EVIL_ALARM));
		json_append(alarms, a);
		json_set(r, "alarm", alarms);
	}
	json_set(r, "name", json_new_str("RTR_FAKE"));
	json_set(r, "peer-path", paths);
	json_set(r, "security-association", sas);
	json_append(routers, r);
	json_set(top, "router", routers);
	json_set(st, "opensvr:authority-state", top);
	json_set(out, "state", st);
	return out;
}

static struct json *fake_data(const char *op)
{
	struct json *out = json_new_object(), *list = json_new_array(), *o = json_new_object();

	if (strcmp(op, "hello") == 0) {
		json_set(out, "router", json_new_str("RTR_FAKE"));
		json_set(out, "node", json_new_str("node\x1b[5m-1"));
		json_set(out, "user", json_new_str("root"));
		json_set(out, "access", json_new_str("read-write"));
	} else if (strcmp(op, "get-sessions") == 0) {
		json_set(o, "direction", json_new_str("ingress"));
		json_set(o, "protocol", json_new_int(17));
		json_set(o, "source", json_new_str("192.0.2.1"));
		json_set(o, "destination", json_new_str("203.0.113.2"));
		json_set(o, "peer", json_new_str(EVIL_PEER));
		json_set(o, "service", json_new_str(EVIL_SERVICE));
		json_set(o, "handshake", json_new_str("done"));
		json_append(list, o);
		o = NULL;
		json_set(out, "sessions", list);
		list = NULL;
		json_set(out, "stats", json_new_object());
	} else if (strcmp(op, "get-alarms") == 0) {
		json_set(o, "id", json_new_str("node-1:1"));
		json_set(o, "event", json_new_str("raised"));
		json_set(o, "severity", json_new_str("CRITICAL"));
		json_set(o, "source", json_new_str(EVIL_PEER));
		json_set(o, "category", json_new_str("PEER"));
		json_set(o, "message", json_new_str(EVIL_ALARM));
		json_append(list, o);
		o = NULL;
		json_set(out, "events", list);
		list = NULL;
	} else if (strcmp(op, "get-state") == 0) {
		/* a peer's name in its paths and its association, as svrd's YANG
		 * data carries it */
		json_free(list);
		json_free(o);
		return fake_state();
	} else if (strcmp(op, "get-schema") == 0) {
		json_set(out, "nodes", list);
		list = NULL;
	}
	json_free(list);
	json_free(o);
	return out;
}

/* Serve connections one after another until killed. */
static void fake_svrd(const char *path)
{
	int lfd = sock_unix_listen(path, 0600, (gid_t)-1);

	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct json *req;

		if (fd < 0)
			_exit(1);
		while ((req = c_recv(fd, 10000))) {
			struct json *reply = mgmt_reply_ok(json_get(req, "id"),
							   fake_data(json_get_str(req, "op", "")));
			size_t len;
			uint8_t *wire = mgmt_encode(reply, &len);

			if (sock_write_all(fd, wire, len) < 0)
				break;
			free(wire);
			json_free(reply);
			json_free(req);
		}
		close(fd);
	}
}

static char fake_dir[64], fake_sock[128];
static pid_t fake_pid;

static void fake_up(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/svrtest.XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir));
	snprintf(fake_sock, sizeof(fake_sock), "%s/fake.sock", fake_dir);
	fake_pid = fork();
	if (fake_pid == 0)
		fake_svrd(fake_sock);
	for (int i = 0; i < 500 && access(fake_sock, F_OK) != 0; i++)
		usleep(10000);
}

static void fake_down(void)
{
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	unlink(fake_sock);
	rmdir(fake_dir);
}

static char *svrsh_output(const char *cmd)
{
	char *argv[] = {(char *)prog_path("SVRSH", "shell/svrsh"), "-c", (char *)cmd, NULL};
	char *out = NULL;
	int st;

	cr_assert_eq(run_capture(argv, fake_sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "svrsh -c '%s' failed: %s", cmd, out);
	return out;
}

/* No byte a terminal acts on: C0 but TAB and LF, DEL, C1 (as UTF-8 or raw),
 * no bidi override, and valid UTF-8 throughout. */
static void assert_harmless(const char *out, const char *cmd)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t',
			  "'%s' printed the control byte 0x%02x at %zu", cmd, *p,
			  (size_t)(p - (const unsigned char *)out));
		cr_assert(*p != 0x7f, "'%s' printed DEL", cmd);
		cr_assert(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f),
			  "'%s' printed a C1 control", cmd);
		cr_assert(!(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae),
			  "'%s' printed a right-to-left override", cmd);
	}
	cr_assert(utf8_valid(out, strlen(out)), "'%s' printed invalid UTF-8", cmd);
}

TestSuite(svrsh_render, .init = fake_up, .fini = fake_down, .timeout = 60);

Test(svrsh_render, escapes_in_a_peers_service_name_are_shown_not_obeyed)
{
	char *out = svrsh_output("show sessions");

	assert_harmless(out, "show sessions");
	cr_assert(strstr(out, "web\\x1b]0;owned\\x07\\x1b[2J\\x0d"), "%s", out);
	cr_assert(strstr(out, "rtr\\u009b31m\\x7f\\u202e"), "%s", out);
	free(out);
}

Test(svrsh_render, escapes_in_alarms_are_shown_not_obeyed)
{
	char *out = svrsh_output("show alarms");

	assert_harmless(out, "show alarms");
	/* svrd prints what is not UTF-8 as U+FFFD, so the reply still parses */
	cr_assert(strstr(out, "peer \\x1b[1;31mcritical\\x1b[0m \xef\xbf\xbd"), "%s", out);
	free(out);
	out = svrsh_output("show alarms | display json");
	assert_harmless(out, "show alarms | display json");
	cr_assert(strstr(out, "\\u001b[1;31mcritical"), "%s", out);
	free(out);
	out = svrsh_output("show events");
	assert_harmless(out, "show events");
	cr_assert(strstr(out, "peer \\x1b[1;31mcritical\\x1b[0m \xef\xbf\xbd"), "%s", out);
	free(out);
}

Test(svrsh_render, escapes_in_a_peers_names_in_the_state_are_shown_not_obeyed)
{
	static const char *const views[] = {
		"show peers security",
		"show security security-associations",
		"show state",
	};

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char *out = svrsh_output(views[i]);

		assert_harmless(out, views[i]);
		cr_assert(strstr(out, "rtr\\u009b31m\\x7f\\u202e") || strstr(out, "\\u009b"),
			  "'%s' did not show the peer: %s", views[i], out);
		free(out);
	}
}

Test(svrsh_render, escapes_in_svrds_names_stay_out_of_the_prompt)
{
	char *argv[] = {(char *)prog_path("SVRSH", "shell/svrsh"), "--echo", "-c", "show sessions",
			NULL};
	char *out = NULL;
	int st;

	cr_assert_eq(run_capture(argv, fake_sock, NULL, &out, &st), 0);
	assert_harmless(out, "--echo show sessions");
	cr_assert(strstr(out, "node\\x1b[5m-1.RTR_FAKE"), "%s", out);
	free(out);
}
