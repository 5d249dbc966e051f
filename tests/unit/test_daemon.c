/* svrd's life cycle and svrsh's batch modes, as real processes. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
