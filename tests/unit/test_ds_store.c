/* The datastore's files: commit confirmed (with a clock the test
 * controls) across restarts and crashes, the history kept, unfinished and
 * damaged commits. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "dstest.h"
#include "pcli.h"

Test(ds, commit_confirmed_rolls_back_when_not_confirmed)
{
	char msg[512];

	apply("config authority router r1 location safe\n", NULL, 0);
	cr_assert_eq(commit("good", 0, T0, msg, sizeof(msg)), 1);
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 2, T0 + 1000, msg, sizeof(msg)), 2);
	cr_assert_eq(ds_confirm_deadline(ds), T0 + 1000 + 120000);
	{
		struct ds_errs e = {0};

		cr_assert_eq(ds_tick(ds, T0 + 1000 + 119999, &e), 0, "rolled back early");
		cr_assert_eq(ds_tick(ds, T0 + 1000 + 120000, &e), 1, "did not roll back");
		ds_errs_free(&e);
	}
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"));
	cr_assert_eq(ds_confirm_deadline(ds), 0);
	{
		const struct ds_commit *h;

		cr_assert_eq(ds_history(ds, &h), 3);
		cr_assert(strstr(h[0].comment, "not confirmed") != NULL);
	}
}

Test(ds, commit_confirmed_in_seconds_and_cancelled)
{
	char msg[512];
	struct ds_errs e = {0};
	uint32_t n = 0;

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	cr_assert_eq(ds_cancel_confirmed(ds, T0, NULL, &e), -1, "cancelled with none pending");
	cr_assert(e.n == 1 && strstr(e.v[0].msg, "no commit confirmed is pending"));
	ds_errs_free(&e);
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(ds_commit_seconds(ds, 1, "nc", "try", 90, T0 + 1000, &n, &e), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(ds_confirm_deadline(ds), T0 + 1000 + 90000, "the deadline is in seconds");
	{
		const struct ds_commit *h;

		ds_history(ds, &h);
		cr_assert_eq(h[0].confirm_minutes, 2, "the history rounds up to minutes");
	}
	cr_assert_eq(ds_cancel_confirmed(ds, T0 + 2000, "was cancelled (test)", &e), 0);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"), "not rolled back");
	cr_assert_eq(ds_confirm_deadline(ds), 0);
	{
		const struct ds_commit *h;

		cr_assert_eq(ds_history(ds, &h), 3);
		cr_assert_str_eq(h[0].comment, "rollback: commit 2 was cancelled (test)");
	}
	cr_assert_eq(ds_tick(ds, T0 + 3600000, &e), 0, "rolled back twice");
	ds_errs_free(&e);
}

Test(ds, confirming_commit_keeps_the_change)
{
	char msg[512];
	struct ds_errs e = {0};

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 5, T0, msg, sizeof(msg)), 2);
	cr_assert_eq(commit("ok", 0, T0 + 1000, msg, sizeof(msg)), 0, "nothing new to commit");
	cr_assert_eq(ds_confirm_deadline(ds), 0);
	cr_assert_eq(ds_tick(ds, T0 + 3600000, &e), 0);
	ds_errs_free(&e);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=risky"));
}

Test(ds, commit_confirmed_survives_a_restart)
{
	char msg[512];

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 1, T0, msg, sizeof(msg)), 2);
	close_ds();
	/* svrd comes back before the deadline: still pending */
	open_ds(T0 + 30000);
	cr_assert_eq(ds_confirm_deadline(ds), T0 + 60000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=risky"));
	close_ds();
	/* ... and after it: rolled back at start */
	open_ds(T0 + 61000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"));
	cr_assert_eq(ds_confirm_deadline(ds), 0);
}

Test(ds, history_keeps_at_least_fifty_and_survives_restart)
{
	char msg[512], line[128];
	const struct ds_commit *h;
	size_t n;

	for (int i = 1; i <= 60; i++) {
		snprintf(line, sizeof(line), "config authority router r location loc%d\n", i);
		apply(line, NULL, 0);
		snprintf(line, sizeof(line), "change %d", i);
		cr_assert_eq(commit(line, 0, T0 + i, msg, sizeof(msg)), (uint32_t)i, "%s", msg);
	}
	close_ds();
	open_ds(T0 + 100);
	n = ds_history(ds, &h);
	cr_assert_geq(n, 50);
	cr_assert_eq(h[0].number, 60);
	cr_assert_str_eq(h[0].comment, "change 60");
	cr_assert_str_eq(h[0].user, "tester");
	cr_assert_eq(h[0].time_ms, T0 + 60);
	cr_assert(has("/opensvr:authority/router[name='r']/location=loc60"));
}

Test(ds, unfinished_commit_is_discarded_at_start)
{
	char msg[512], path[256];
	FILE *f;

	apply("config authority router r location one\n", NULL, 0);
	commit("one", 0, T0, msg, sizeof(msg));
	close_ds();
	/* a crash after the configuration file of commit 2 but before its meta */
	snprintf(path, sizeof(path), "%s/config/history/00000002.json", dir);
	f = fopen(path, "w");
	fputs("{\"opensvr:authority\":{\"router\":[{\"name\":\"r\",\"location\":\"two\"}]}}", f);
	fclose(f);
	open_ds(T0);
	cr_assert(has("/opensvr:authority/router[name='r']/location=one"));
	cr_assert_neq(access(path, F_OK), 0, "the unfinished commit was left behind");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	cr_assert_not_null(f, "cannot read %s", path);
	cr_assert_geq(fread(buf, 1, 65535, f), 0);
	fclose(f);
	return buf;
}

/* Two commits, location one then two; svrd stopped. */
static void two_commits(void)
{
	char msg[512];

	cr_assert_eq(apply("config authority router r location one\n", msg, sizeof(msg)), 0, "%s",
		     msg);
	cr_assert_eq(commit("one", 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert_eq(apply("config authority router r location two\n", msg, sizeof(msg)), 0, "%s",
		     msg);
	cr_assert_eq(commit("two", 0, T0 + 1, msg, sizeof(msg)), 2, "%s", msg);
	close_ds();
}

/* Open without a test assertion on success; returns the datastore or NULL
 * and the first error in msg. */
static struct ds *try_open(unsigned flags, char *msg, size_t len)
{
	struct ds_errs e = {0};
	struct ds *d = ds_open_flags(yang, dir, T0 + 10, flags, &e);

	snprintf(msg, len, "%s", e.n ? e.v[e.n - 1].msg : "");
	for (size_t i = 0; i < e.n; i++)
		if (!e.v[i].warning)
			snprintf(msg, len, "%s", e.v[i].msg);
	ds_errs_free(&e);
	return d;
}

Test(ds, damaged_newest_commit_refuses_to_open)
{
	char msg[1024], path[256], *text;
	const char *damage[] = {"{\"opensvr:authority\":{\"router\":[{\"name\":\"r\",\"loca", "",
				"{\"opensvr:authority\":{\"no-such-leaf\":1}}"};

	two_commits();
	snprintf(path, sizeof(path), "%s/config/history/00000002.json", dir);
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		write_text(path, damage[i]);
		cr_assert_null(try_open(0, msg, sizeof(msg)),
			       "opened with commit 2 damaged (%zu): an older configuration runs",
			       i);
		cr_assert(strstr(msg, "commit 2, the newest, is unreadable") != NULL, "%s", msg);
		cr_assert(strstr(msg, "the newest readable commit is 1") != NULL, "%s", msg);
		/* nothing is touched */
		text = read_text(path);
		cr_assert_str_eq(text, damage[i]);
		free(text);
	}
	cr_assert(strstr(msg, "no-such-leaf") != NULL, "the reason is not given: %s", msg);
	write_text(path, "");
	try_open(0, msg, sizeof(msg));
	cr_assert(strstr(msg, "00000002.json is empty") != NULL, "%s", msg);

	/* the commit record damaged rather than the configuration */
	write_text(path, "{}");
	snprintf(path, sizeof(path), "%s/config/history/00000002.meta", dir);
	write_text(path, "{\"number\":2,\"us");
	cr_assert_null(try_open(0, msg, sizeof(msg)), "opened with commit 2's record damaged");
	cr_assert(strstr(msg, "00000002.meta cannot be read") != NULL, "%s", msg);
}

Test(ds, damaged_newest_commit_with_last_readable_is_set_aside_and_said)
{
	char msg[1024], path[256], aside[256], *text;
	const char *bad = "{\"opensvr:authority\":{\"router\":[{\"name\":\"r\",\"loca";
	const struct ds_commit *h;

	two_commits();
	snprintf(path, sizeof(path), "%s/config/history/00000002.json", dir);
	write_text(path, bad);
	ds = try_open(DS_OPEN_LAST_READABLE, msg, sizeof(msg));
	cr_assert_not_null(ds, "%s", msg);
	ps = pcli_session_new(ds, 1);
	cr_assert(has("/opensvr:authority/router[name='r']/location=one"));
	cr_assert_not_null(ds_unreadable(ds));
	cr_assert(strstr(ds_unreadable(ds), "commit 2 is unreadable, running commit 1 instead") !=
			  NULL,
		  "%s", ds_unreadable(ds));
	cr_assert(strstr(ds_unreadable(ds), "/config/unreadable") != NULL, "%s", ds_unreadable(ds));
	cr_assert_eq(ds_history(ds, &h), 1);
	cr_assert_eq(h[0].number, 1);
	/* kept for the operator, out of the history */
	cr_assert_neq(access(path, F_OK), 0);
	snprintf(aside, sizeof(aside), "%s/config/unreadable/00000002.json", dir);
	text = read_text(aside);
	cr_assert_str_eq(text, bad);
	free(text);
	snprintf(aside, sizeof(aside), "%s/config/unreadable/00000002.meta", dir);
	cr_assert_eq(access(aside, F_OK), 0);
	/* the next commit takes a new number: 2 stays the damaged one */
	apply("config authority router r location three\n", NULL, 0);
	cr_assert_eq(commit("three", 0, T0 + 20, msg, sizeof(msg)), 3, "%s", msg);
	close_ds();
	/* reopening is clean, and runs the new commit */
	ds = try_open(0, msg, sizeof(msg));
	cr_assert_not_null(ds, "%s", msg);
	ps = pcli_session_new(ds, 1);
	cr_assert_null(ds_unreadable(ds));
	cr_assert(has("/opensvr:authority/router[name='r']/location=three"));
	cr_assert_eq(ds_history(ds, &h), 2);
	cr_assert_eq(h[0].number, 3);
	close_ds();
	/* a second damage of the same number never overwrites the first */
	snprintf(path, sizeof(path), "%s/config/history/00000003.json", dir);
	write_text(path, "second damage");
	snprintf(aside, sizeof(aside), "%s/config/unreadable/00000003.json", dir);
	write_text(aside, "older file");
	ds = try_open(DS_OPEN_LAST_READABLE, msg, sizeof(msg));
	cr_assert_not_null(ds, "%s", msg);
	ps = pcli_session_new(ds, 1);
	text = read_text(aside);
	cr_assert_str_eq(text, "older file");
	free(text);
	snprintf(aside, sizeof(aside), "%s/config/unreadable/00000003.json.1", dir);
	text = read_text(aside);
	cr_assert_str_eq(text, "second damage");
	free(text);
	cr_assert(has("/opensvr:authority/router[name='r']/location=one"));
}

/* A damaged commit that is not the newest stays where it is: running is
 * the newest, and only a rollback to it reports the damage. */
Test(ds, damaged_older_commit_does_not_stop_the_start)
{
	char msg[1024], path[256];

	two_commits();
	snprintf(path, sizeof(path), "%s/config/history/00000001.json", dir);
	write_text(path, "garbage");
	ds = try_open(0, msg, sizeof(msg));
	cr_assert_not_null(ds, "%s", msg);
	ps = pcli_session_new(ds, 1);
	cr_assert(has("/opensvr:authority/router[name='r']/location=two"));
	cr_assert_eq(access(path, F_OK), 0);
}

/* ---- commit confirmed across a crash ----------------------------------- */

/* A crash between the commit record and confirm.json left the commit
 * confirmed without its pending state: it became permanent. */
Test(ds, crash_after_a_commit_confirmed_record_still_rolls_back)
{
	char msg[512], path[256];

	apply("config authority router r1 location safe\n", NULL, 0);
	cr_assert_eq(commit("good", 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 1, T0, msg, sizeof(msg)), 2, "%s", msg);
	close_ds();
	/* the state a crash right after the commit record leaves: whatever
	 * the datastore writes besides the history is not there yet */
	snprintf(path, sizeof(path), "%s/config/confirm.json", dir);
	unlink(path);
	open_ds(T0 + 30000);
	cr_assert_eq(ds_confirm_deadline(ds), T0 + 60000, "the commit is no longer pending");
	cr_assert(has("/opensvr:authority/router[name='r1']/location=risky"));
	close_ds();
	unlink(path);
	open_ds(T0 + 61000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"),
		  "an unconfirmed commit survived its deadline");
	cr_assert_eq(ds_confirm_deadline(ds), 0);
}

Test(ds, confirmation_survives_a_restart)
{
	char msg[512], path[256];

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 1, T0, msg, sizeof(msg)), 2, "%s", msg);
	cr_assert_eq(commit("ok", 0, T0 + 1000, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(ds_confirm_deadline(ds), 0);
	close_ds();
	open_ds(T0 + 61000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=risky"),
		  "a confirmed commit was rolled back after a restart");
	cr_assert_eq(ds_confirm_deadline(ds), 0);
	close_ds();
	/* a damaged confirmation is no confirmation: the rollback wins */
	snprintf(path, sizeof(path), "%s/config/confirm.json", dir);
	write_text(path, "{\"confirm");
	open_ds(T0 + 62000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"));
}

/* A confirmed commit on top of a pending one goes back to the state
 * before the first, after a restart too. */
Test(ds, stacked_commit_confirmed_rolls_back_to_before_the_first_after_a_restart)
{
	char msg[512];

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 1, T0, msg, sizeof(msg)), 2, "%s", msg);
	apply("config authority router r1 location riskier\n", NULL, 0);
	cr_assert_eq(commit("try again", 1, T0 + 1000, msg, sizeof(msg)), 3, "%s", msg);
	close_ds();
	open_ds(T0 + 1000 + 61000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=safe"));
}

/* A plain commit on top of a pending one confirms it, across a restart. */
Test(ds, plain_commit_on_a_pending_one_confirms_it_after_a_restart)
{
	char msg[512];

	apply("config authority router r1 location safe\n", NULL, 0);
	commit("good", 0, T0, msg, sizeof(msg));
	apply("config authority router r1 location risky\n", NULL, 0);
	cr_assert_eq(commit("try", 1, T0, msg, sizeof(msg)), 2, "%s", msg);
	apply("config authority router r1 description kept\n", NULL, 0);
	cr_assert_eq(commit("keep", 0, T0 + 1000, msg, sizeof(msg)), 3, "%s", msg);
	close_ds();
	open_ds(T0 + 1000 + 61000);
	cr_assert(has("/opensvr:authority/router[name='r1']/location=risky"));
	cr_assert_eq(ds_confirm_deadline(ds), 0);
}
