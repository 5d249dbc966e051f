/* svrd's life cycle and svrsh's batch modes, as real processes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

TestSuite(daemon, .fini = svrd_cleanup_all);

static char *svrsh(void)
{
	return (char *)prog_path("SVRSH", "shell/svrsh");
}

static int file_exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

Test(daemon, refuses_a_second_instance_on_the_same_state_dir)
{
	struct svrd_proc d;
	char *out;
	int st;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	cr_assert_eq(svrd_run(&d, &out, &st), 0);
	cr_assert_neq(st, 0);
	cr_assert(strstr(out, "already runs on this state directory") != NULL, "got: %s", out);
	free(out);
	svrd_cleanup(&d);
}

Test(daemon, sigterm_is_a_clean_shutdown)
{
	struct svrd_proc d;
	char pidfile[400], buf[32] = "";
	FILE *f;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	snprintf(pidfile, sizeof(pidfile), "%s/svrd.pid", d.state);
	f = fopen(pidfile, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_eq(atoi(buf), d.pid);
	cr_assert_eq(svrd_stop(&d), 0);
	cr_assert_not(file_exists(d.state, "svrd.pid"));
	cr_assert_not(file_exists(d.dir, "svrd.sock"));
	svrd_cleanup(&d);
}

Test(daemon, svrsh_without_svrd_says_so_in_one_line)
{
	char *argv[] = {svrsh(), "-c", "show version", NULL};
	char *out;
	int st;

	cr_assert_eq(run_capture(argv, "/tmp/svrtest-nonexistent.sock", NULL, &out, &st), 0);
	cr_assert_neq(st, 0);
	cr_assert(strstr(out, "svrd is not running") != NULL, "got: %s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "more than one line: %s", out);
	free(out);
}

Test(daemon, show_version_with_dash_c)
{
	struct svrd_proc d;
	char *argv[] = {svrsh(), "-c", "show version", NULL};
	char *out;
	int st;

	cr_assert_eq(svrd_start(&d, "RTR_EAST", "east-1"), 0);
	cr_assert_eq(run_capture(argv, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "output: %s", out);
	cr_assert(strstr(out, "Router:             RTR_EAST\n") != NULL, "got: %s", out);
	cr_assert(strstr(out, "Node:               east-1\n") != NULL, "got: %s", out);
	cr_assert(strstr(out, "\u2714 Retrieving version...") != NULL);
	cr_assert(strstr(out, "Completed in ") != NULL);
	free(out);
	svrd_cleanup(&d);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(daemon, batch_file_and_stdin_report_failing_line)
{
	struct svrd_proc d;
	char path[400];
	char *out;
	int st;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	snprintf(path, sizeof(path), "%s/batch.txt", d.dir);
	write_file(path, "# a comment\nshow version\n\nshow nonsense\nshow version\n");

	char *with_f[] = {svrsh(), "-f", path, NULL};
	cr_assert_eq(run_capture(with_f, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert(strstr(out, "line 4 failed") != NULL, "got: %s", out);
	/* Stops at the first failure by default: one show version only. */
	cr_assert_eq(strstr(strstr(out, "Version:") + 1, "Version:"), NULL);
	free(out);

	char *stdin_keep[] = {svrsh(), "--keep-going", NULL};
	cr_assert_eq(run_capture(stdin_keep, d.sock, path, &out, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert(strstr(out, "stdin line 4 failed") != NULL, "got: %s", out);
	cr_assert_not_null(strstr(strstr(out, "Version:") + 1, "Version:"));
	free(out);

	write_file(path, "show version\n");
	char *ok[] = {svrsh(), NULL};
	cr_assert_eq(run_capture(ok, d.sock, path, &out, &st), 0);
	cr_assert_eq(st, 0, "got: %s", out);
	free(out);
	svrd_cleanup(&d);
}

Test(daemon, nul_byte_and_overlong_line_are_rejected)
{
	struct svrd_proc d;
	char path[400];
	char *out;
	int st;
	FILE *f;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	snprintf(path, sizeof(path), "%s/bad.txt", d.dir);
	f = fopen(path, "w");
	fwrite("show\0version\n", 1, 13, f);
	fclose(f);
	char *argv[] = {svrsh(), "-f", path, NULL};
	cr_assert_eq(run_capture(argv, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert(strstr(out, "% Error: line 1 contains a NUL byte") != NULL, "got: %s", out);
	free(out);

	f = fopen(path, "w");
	for (int i = 0; i < 100000; i++)
		fputc('x', f);
	fputc('\n', f);
	fclose(f);
	cr_assert_eq(run_capture(argv, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert(strstr(out, "% Error: line 1 is 100001 bytes long") != NULL, "got: %s", out);
	free(out);
	svrd_cleanup(&d);
}

Test(daemon, daemon_mode_returns_when_serving)
{
	struct svrd_proc d;
	char *argv[8], pidpath[400], buf[32] = "";
	char *out;
	int st;
	FILE *f;

	/* Borrow a fresh directory from svrd_start, then run svrd detached. */
	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	cr_assert_eq(svrd_stop(&d), 0);
	argv[0] = (char *)prog_path("SVRD", "daemon/svrd");
	argv[1] = "--state-dir";
	argv[2] = d.state;
	argv[3] = "--socket";
	argv[4] = d.sock;
	argv[5] = NULL;
	cr_assert_eq(run_capture(argv, NULL, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "got: %s", out);
	free(out);
	char *sh[] = {svrsh(), "-c", "show version", NULL};
	cr_assert_eq(run_capture(sh, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "got: %s", out);
	free(out);
	snprintf(pidpath, sizeof(pidpath), "%s/svrd.pid", d.state);
	f = fopen(pidpath, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	d.pid = atoi(buf);
	cr_assert_gt(d.pid, 1);
	/* Not our child (it may linger as a zombie of init): its last act is
	 * removing the PID file, so wait for that. */
	kill(d.pid, SIGTERM);
	for (int i = 0; i < 500 && file_exists(d.state, "svrd.pid"); i++)
		usleep(10000);
	cr_assert_not(file_exists(d.state, "svrd.pid"), "detached svrd did not stop");
	d.pid = 0;
	svrd_cleanup(&d);
}

Test(daemon, control_bytes_invalid_utf8_and_ambiguity_are_refused)
{
	struct svrd_proc d;
	char path[400];
	char *out;
	int st;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	snprintf(path, sizeof(path), "%s/bad.txt", d.dir);
	write_file(path, "show version\x01\n"
			 "show \xff\xfe\n"
			 "config authority name \"caf\xc3\xa9\"\n"
			 "config authority se x\n"
			 "config authority router a location \"tab\there\"\n"
			 "show config candidate\n");
	char *argv[] = {svrsh(), "--keep-going", "-f", path, NULL};
	cr_assert_eq(run_capture(argv, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert(strstr(out, "% Error: line 1 contains the control character 0x01 at column 13") !=
			  NULL,
		  "got: %s", out);
	cr_assert(strstr(out, "% Error: line 2 is not valid UTF-8") != NULL, "got: %s", out);
	cr_assert(strstr(out, "'se' is ambiguous: security-key-management, service") != NULL,
		  "got: %s", out);
	/* UTF-8 and tabs inside quotes are fine */
	cr_assert(strstr(out, "name    caf\xc3\xa9\n") != NULL, "got: %s", out);
	cr_assert_null(strstr(out, "line 3 failed"), "got: %s", out);
	free(out);
	svrd_cleanup(&d);
}

/* Runs svrd detached on d's state dir with one extra argument (NULL for
 * none); returns its exit status, its output in *out. */
static int svrd_detached(const struct svrd_proc *d, const char *extra, char **out)
{
	char *argv[] = {(char *)prog_path("SVRD", "daemon/svrd"),
			"--state-dir",
			(char *)d->state,
			"--socket",
			(char *)d->sock,
			"--router",
			"R",
			"--node",
			"n",
			(char *)extra,
			NULL};
	int st;

	cr_assert_eq(run_capture(argv, NULL, NULL, out, &st), 0);
	return st;
}

static void stop_detached(struct svrd_proc *d)
{
	char pidpath[400], buf[32] = "";
	FILE *f;
	pid_t pid;

	snprintf(pidpath, sizeof(pidpath), "%s/svrd.pid", d->state);
	f = fopen(pidpath, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	pid = atoi(buf);
	cr_assert_gt(pid, 1);
	kill(pid, SIGTERM);
	for (int i = 0; i < 500 && file_exists(d->state, "svrd.pid"); i++)
		usleep(10000);
	cr_assert_not(file_exists(d->state, "svrd.pid"), "detached svrd did not stop");
}

/* A damaged newest commit used to start svrd on the commit before it, with
 * one warning in the log: an older configuration ran without anyone
 * knowing.  svrd now refuses to start, naming the file; told to, it runs
 * the newest readable commit under a CRITICAL alarm. */
Test(daemon, damaged_newest_commit_stops_the_start_or_raises_an_alarm)
{
	struct svrd_proc d;
	char path[400], *out;
	int st;

	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	snprintf(path, sizeof(path), "%s/batch.txt", d.dir);
	write_file(path, "set authority router R location one\ncommit\n"
			 "set authority router R location two\ncommit\n");
	char *batch[] = {svrsh(), "-f", path, NULL};
	cr_assert_eq(run_capture(batch, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "got: %s", out);
	free(out);
	cr_assert_eq(svrd_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/config/history/00000002.json", d.state);
	write_file(path, "{\"opensvr:authority\":{\"router\":[{\"na");

	/* detached and foreground alike: exit status 1, the reason on stderr
	 * (detached first: one that starts is stopped before the test fails) */
	st = svrd_detached(&d, NULL, &out);
	if (st == 0)
		stop_detached(&d);
	cr_assert_eq(st, 1, "svrd started on an older commit: %s", out);
	free(out);
	cr_assert_eq(svrd_run(&d, &out, &st), 0);
	cr_assert_eq(st, 1, "got: %s", out);
	cr_assert(strstr(out, "commit 2, the newest, is unreadable") != NULL, "got: %s", out);
	cr_assert(strstr(out, "00000002.json") != NULL, "the file is not named: %s", out);
	cr_assert(strstr(out, "--use-last-readable-commit") != NULL, "got: %s", out);
	free(out);
	cr_assert(file_exists(d.state, "config/history/00000002.json"));

	cr_assert_eq(svrd_detached(&d, "--use-last-readable-commit", &out), 0, "got: %s", out);
	free(out);
	char *alarms[] = {svrsh(), "-c", "show alarms", NULL};
	cr_assert_eq(run_capture(alarms, d.sock, NULL, &out, &st), 0);
	cr_assert(strstr(out, "CRITICAL") != NULL, "no critical alarm: %s", out);
	cr_assert(strstr(out, "commit 2 is unreadable, running commit 1 instead") != NULL,
		  "got: %s", out);
	free(out);
	char *running[] = {svrsh(), "-c", "show config running flat", NULL};
	cr_assert_eq(run_capture(running, d.sock, NULL, &out, &st), 0);
	cr_assert(strstr(out, "location one") != NULL, "got: %s", out);
	free(out);
	stop_detached(&d);
	cr_assert(file_exists(d.state, "config/unreadable/00000002.json"));
	svrd_cleanup(&d);
}

/* ---- privileges -------------------------------------------------------- */

#define NET_CAPS "0000000000003000" /* CAP_NET_ADMIN (12) and CAP_NET_RAW (13) */

/* The value of field (with its colon) in /proc/PID/status. */
static char *proc_status(pid_t pid, const char *field)
{
	char path[64], line[256];
	FILE *f;
	char *v = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "no %s", path);
	while (!v && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strndup(
				line + strlen(field) + strspn(line + strlen(field), " \t"),
				strcspn(line + strlen(field) + strspn(line + strlen(field), " \t"),
					"\n"));
	fclose(f);
	cr_assert_not_null(v, "no %s in %s", field, path);
	return v;
}

/* Open path from a child of uid 0 that holds exactly svrd's capabilities:
 * 0 if it could, 1 if refused (EACCES/EPERM), 2 for anything else. */
static int open_with_net_caps(const char *path)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct c[2] = {{0x3000, 0x3000, 0}, {0, 0, 0}};
		int fd;

		if (syscall(SYS_capset, &h, c) < 0)
			_exit(2);
		fd = open(path, O_RDONLY);
		_exit(fd >= 0 ? 0 : errno == EACCES || errno == EPERM ? 1 : 2);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* svrd never dropped root's capabilities: after setup it holds only
 * CAP_NET_ADMIN and CAP_NET_RAW, in every set (ambient too, for the
 * iptables it runs), with no_new_privs, and is not dumpable. */
Test(daemon, svrd_keeps_only_net_admin_and_net_raw_after_setup)
{
	struct svrd_proc d;
	char path[64], *out;
	const char *sets[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
	int st;

	if (geteuid() != 0)
		cr_skip_test("svrd must be started as root to drop root's privileges");
	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		char *v = proc_status(d.pid, sets[i]);

		cr_expect_str_eq(v, NET_CAPS, "%s %s, want " NET_CAPS, sets[i], v);
		free(v);
	}
	out = proc_status(d.pid, "NoNewPrivs:");
	cr_expect_str_eq(out, "1");
	free(out);
	out = proc_status(d.pid, "Uid:");
	cr_expect_eq(strncmp(out, "0", 1), 0, "uid %s", out);
	free(out);
	/* not dumpable: a process of the same uid and the same capabilities
	 * cannot read its memory (nor its environment) */
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)d.pid);
	cr_expect_eq(open_with_net_caps(path), 1, "svrd is dumpable");
	/* and it still works: a commit is written, and svrd stops cleanly */
	char *set[] = {svrsh(), "-c", "set authority router R location here", NULL};
	cr_assert_eq(run_capture(set, d.sock, NULL, &out, &st), 0);
	free(out);
	char *commit[] = {svrsh(), "-c", "commit", NULL};
	cr_assert_eq(run_capture(commit, d.sock, NULL, &out, &st), 0);
	cr_assert_eq(st, 0, "commit: %s", out);
	free(out);
	cr_assert_eq(svrd_stop(&d), 0, "svrd did not stop cleanly");
	cr_assert_not(file_exists(d.dir, "svrd.sock"), "the socket was left behind");
	svrd_cleanup(&d);
}

/* Without CAP_DAC_OVERRIDE after start, a state directory of another user
 * would fail only at the first commit: svrd says so at start. */
Test(daemon, state_dir_of_another_user_is_refused_at_start)
{
	struct svrd_proc d;
	char *out;
	int st;

	if (geteuid() != 0)
		cr_skip_test("only root drops CAP_DAC_OVERRIDE");
	cr_assert_eq(svrd_start(&d, "R", "n"), 0);
	cr_assert_eq(svrd_stop(&d), 0);
	cr_assert_eq(chown(d.state, 65534, 65534), 0);
	cr_assert_eq(chmod(d.state, 0755), 0);
	st = svrd_detached(&d, NULL, &out);
	if (st == 0)
		stop_detached(&d);
	cr_assert_eq(st, 1, "got: %s", out);
	cr_assert(strstr(out, "not writable by root as owner or group") != NULL, "got: %s", out);
	free(out);
	cr_assert_eq(chown(d.state, 0, 0), 0);
	svrd_cleanup(&d);
}
