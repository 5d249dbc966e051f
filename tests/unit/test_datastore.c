/* The configuration datastore: commit, callbacks, rollback, compare,
 * commit confirmed (with a clock the test controls), validation rules and
 * generated peers. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "pcli.h"

static char dir[64];
static char yang[512];
static struct ds *ds;
static struct pcli_session *ps;

#define T0 1795000000000LL /* a fixed wall clock, in ms */

static void open_ds(int64_t now)
{
	struct ds_errs e = {0};

	ds = ds_open(yang, dir, now, &e);
	cr_assert_not_null(ds, "ds_open: %s", e.n ? e.v[0].msg : "?");
	ds_errs_free(&e);
	ps = pcli_session_new(ds, 1);
}

static void close_ds(void)
{
	pcli_session_free(ps);
	ds_close(ds);
	ps = NULL;
	ds = NULL;
}

static void setup(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(yang, sizeof(yang), "%s/config-model/yang", top ? top : ".");
	snprintf(dir, sizeof(dir), "/tmp/svrds.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	open_ds(T0);
}

static void teardown(void)
{
	char cmd[128];

	close_ds();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(ds, .init = setup, .fini = teardown);

/* Apply PCLI text; returns the number of errors, first one in msg. */
static size_t apply(const char *text, char *msg, size_t len)
{
	struct ds_errs e = {0};
	size_t n;

	pcli_reset(ps);
	pcli_apply_text(ps, text, &e);
	n = ds_errs_count(&e);
	if (msg)
		snprintf(msg, len, "%s%s%s", n && e.v[0].path ? e.v[0].path : "",
			 n && e.v[0].path ? ": " : "", n ? e.v[0].msg : "");
	ds_errs_free(&e);
	return n;
}

static uint32_t commit(const char *comment, uint32_t confirm, int64_t now, char *msg, size_t len)
{
	struct ds_errs e = {0};
	uint32_t n = 0;
	int rc = ds_commit(ds, 1, "tester", comment, confirm, now, &n, &e);

	if (msg)
		snprintf(msg, len, "%s%s%s", e.n && e.v[0].path ? e.v[0].path : "",
			 e.n && e.v[0].path ? ": " : "", e.n ? e.v[0].msg : "");
	ds_errs_free(&e);
	return rc == 0 ? n : 0;
}

static char *running_text(void)
{
	return pcli_print(ds_running(ds), 0);
}

static const char *SEED = "config\n"
			  "    authority\n"
			  "        enhanced-security-key-management  true\n"
			  "\t\t\n"
			  "        router                  RTR_EAST_CONDUCTOR\n"
			  "            name                RTR_EAST_CONDUCTOR\n"
			  "\n"
			  "            node                conductor-east-1\n"
			  "                name            conductor-east-1\n"
			  "            exit\n"
			  "        exit\n"
			  "\n"
			  "        router                   combo-east\n"
			  "            name                 combo-east\n"
			  "            peering-common-name  second-fake-alias-2\n"
			  "            location             usa\n"
			  "            description          \"router 1\"\n"
			  "            inter-node-security  internal\n"
			  "\n"
			  "        router                   combo-west\n"
			  "            name                 combo-west\n"
			  "            peering-common-name  second-fake-alias-3\n"
			  "            location             usa\n"
			  "            inter-node-security  internal\n";

Test(ds, seed_sample_configuration_commits)
{
	char msg[512];
	char *text;

	cr_assert_eq(apply(SEED, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(commit("seed", 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	text = running_text();
	cr_assert(strstr(text, "description          \"router 1\"") != NULL, "%s", text);
	cr_assert(strstr(text, "node  conductor-east-1") != NULL, "%s", text);
	free(text);
}

Test(ds, out_of_range_is_named_and_changes_nothing)
{
	char msg[512];

	cr_assert_eq(apply("config authority security-key-management "
			   "peer-key-retransmit-interval 4\n",
			   msg, sizeof(msg)),
		     1);
	cr_assert_str_eq(msg, "line 1: authority security-key-management "
			      "peer-key-retransmit-interval: 4 is out of range 5..3600");
	cr_assert_not(ds_candidate_changed(ds));
	cr_assert_eq(apply("config authority security-key-management payload-key-rekey-interval "
			   "sometimes\n",
			   msg, sizeof(msg)),
		     1);
	cr_assert(strstr(msg, "expected 1..720 or never") != NULL, "%s", msg);
}

Test(ds, duplicate_peering_common_name_fails_commit)
{
	char msg[512];

	cr_assert_eq(apply("config authority router a peering-common-name same\n"
			   "config authority router b peering-common-name same\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "authority router b peering-common-name: 'same' is already the "
			      "peering-common-name of router a; each router needs its own");
	cr_assert_null(ds_running(ds) ? NULL : NULL);
	{
		const struct ds_commit *h;

		cr_assert_eq(ds_history(ds, &h), 0, "a failed commit was recorded");
	}
}

static const char *MESH = "config\n"
			  " authority\n"
			  "  enhanced-security-key-management true\n"
			  "  router hub\n"
			  "   peering-common-name hub-pcn\n"
			  "   node hub-1\n"
			  "    device-interface wan\n"
			  "     network-interface wan1\n"
			  "      address 198.51.100.1\n"
			  "       prefix-length 24\n"
			  "      exit\n"
			  "      neighborhood lab\n"
			  "       topology hub\n"
			  "  router spoke1\n"
			  "   peering-common-name spoke1-pcn\n"
			  "   node spoke1-1\n"
			  "    device-interface wan\n"
			  "     network-interface wan0\n"
			  "      address 198.51.100.2\n"
			  "       prefix-length 24\n"
			  "      exit\n"
			  "      neighborhood lab\n"
			  "       topology spoke\n"
			  "  router spoke2\n"
			  "   peering-common-name spoke2-pcn\n"
			  "   node spoke2-1\n"
			  "    device-interface wan\n"
			  "     network-interface wan0\n"
			  "      address 198.51.100.3\n"
			  "       prefix-length 24\n"
			  "      exit\n"
			  "      neighborhood lab\n"
			  "       topology spoke\n";

/* Is path in running; "path=value" also compares the leaf's value. */
static bool has(const char *spec)
{
	struct lyd_node *m = NULL;
	char path[1024];
	const char *eq = strrchr(spec, '=');
	bool with_value = eq && !strchr(eq, ']');

	snprintf(path, sizeof(path), "%.*s", with_value ? (int)(eq - spec) : (int)strlen(spec),
		 spec);
	if (lyd_find_path(ds_running(ds), path, 0, &m) != LY_SUCCESS || !m)
		return false;
	return !with_value || strcmp(lyd_get_value(m), eq + 1) == 0;
}

Test(ds, peers_generated_from_neighborhoods)
{
	char msg[512];
	char *verbose, *plain;

	cr_assert_eq(apply(MESH, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	/* hub peers both spokes; spokes peer the hub but not each other */
	cr_assert(has("/opensvr:authority/router[name='hub']/peer[name='spoke1']"));
	cr_assert(has("/opensvr:authority/router[name='hub']/peer[name='spoke2']"));
	cr_assert(has("/opensvr:authority/router[name='spoke1']/peer[name='hub']"));
	cr_assert_not(has("/opensvr:authority/router[name='spoke1']/peer[name='spoke2']"));
	cr_assert(has("/opensvr:authority/router[name='spoke1']/peer[name='hub']/"
		      "peering-common-name=hub-pcn"));
	/* adjacency from the peer's address in the same neighborhood */
	cr_assert(has("/opensvr:authority/router[name='spoke1']/node[name='spoke1-1']/"
		      "device-interface[name='wan']/network-interface[name='wan0']/"
		      "neighborhood[name='lab']/adjacency[ip-address='198.51.100.1']/"
		      "peer=hub"));
	verbose = pcli_print(ds_running(ds), PCLI_VERBOSE);
	plain = pcli_print(ds_running(ds), 0);
	cr_assert(strstr(verbose, "generated            true") != NULL, "%s", verbose);
	cr_assert_null(strstr(plain, "generated"), "%s", plain);
	cr_assert_null(strstr(plain, "peer  "), "%s", plain);
	free(verbose);
	free(plain);
}

Test(ds, configured_peers_suppress_generation_and_are_checked)
{
	char msg[512];

	cr_assert_eq(apply(MESH, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(apply("config authority router spoke1 peer ghost router-name ghost\n", msg,
			   sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg,
			 "authority router spoke1 peer ghost: router 'ghost' is not configured");
}

Test(ds, eskm_requires_peering_common_name_on_peering_routers)
{
	char msg[512];

	cr_assert_eq(apply(MESH, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(
		apply("delete authority router spoke2 peering-common-name\n", msg, sizeof(msg)), 0,
		"%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "authority router") != NULL, "%s", msg);
	cr_assert(strstr(msg, "required") != NULL, "%s", msg);
	/* with enhanced security off, the same configuration is fine */
	cr_assert_eq(apply("config authority enhanced-security-key-management false\n", msg,
			   sizeof(msg)),
		     0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
}

struct calls {
	char log[256];
	int fail_prepare; /* index of the subscriber that refuses, or -1 */
};

static struct calls calls;

static int sub_prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *running,
		       unsigned flags, struct ds_errs *e)
{
	intptr_t i = (intptr_t)arg;

	(void)diff;
	(void)running;
	snprintf(calls.log + strlen(calls.log), sizeof(calls.log) - strlen(calls.log), "%s%d ",
		 flags & DS_PREPARE_CHECK ? "c" : "p", (int)i);
	if (i == calls.fail_prepare) {
		ds_errs_add(e, false, NULL, "subscriber %d refuses", (int)i);
		return -1;
	}
	return 0;
}

static void sub_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	(void)diff;
	(void)running;
	snprintf(calls.log + strlen(calls.log), sizeof(calls.log) - strlen(calls.log), "a%d ",
		 (int)(intptr_t)arg);
}

static void sub_abort(void *arg)
{
	snprintf(calls.log + strlen(calls.log), sizeof(calls.log) - strlen(calls.log), "x%d ",
		 (int)(intptr_t)arg);
}

static const char *const sub_names[] = {"s0", "s1", "s2", "s3"};

static int subscribe_after(const char *path, intptr_t i, const char *const *after, char *msg,
			   size_t len)
{
	struct ds_sub s = {
		.name = sub_names[i],
		.path = path,
		.after = after,
		.prepare = sub_prepare,
		.apply = sub_apply,
		.abort = sub_abort,
		.arg = (void *)i,
	};
	struct ds_errs e = {0};
	int rc = ds_subscribe(ds, &s, &e);

	snprintf(msg, len, "%s", e.n ? e.v[0].msg : "");
	ds_errs_free(&e);
	return rc;
}

static void subscribe(const char *path, intptr_t i)
{
	char msg[256];

	cr_assert_eq(subscribe_after(path, i, NULL, msg, sizeof(msg)), 0, "%s", msg);
}

Test(ds, callbacks_run_in_order_only_for_changed_paths)
{
	char msg[512];
	struct ds_sub bad = {.name = "bad", .path = "/opensvr:authority/no-such-thing"};
	struct ds_errs e = {0};

	subscribe("/opensvr:authority/security-key-management", 0);
	subscribe("/opensvr:authority/router", 1);
	subscribe("/opensvr:authority/service", 2);
	cr_assert_eq(ds_subscribe(ds, &bad, &e), -1, "a path outside the schema was accepted");
	ds_errs_free(&e);
	calls.fail_prepare = -1;
	apply("config authority router r1 location here\n"
	      "config authority security-key-management peer-key-timeout 100\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert_str_eq(calls.log, "p0 p1 a0 a1 ");

	/* The second refuses: the first is aborted, nothing is applied or saved. */
	calls.log[0] = '\0';
	calls.fail_prepare = 1;
	apply("config authority router r1 location there\n"
	      "config authority security-key-management peer-key-timeout 200\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "subscriber 1 refuses");
	cr_assert_str_eq(calls.log, "p0 p1 x1 x0 ");
	cr_assert(has("/opensvr:authority/router[name='r1']/location=here"));
}

/* Dependencies: a subscriber registers after those it runs after (or is
 * refused), a change to one touches those that come after it, and they
 * prepare and apply in that order and abort in the reverse. */
Test(ds, subscribers_run_in_the_order_of_their_dependencies)
{
	static const char *const after_s0[] = {"s0", NULL}, *const after_s3[] = {"s3", NULL};
	char msg[512];

	cr_assert_eq(subscribe_after("/opensvr:authority/service", 1, after_s3, msg, sizeof(msg)),
		     -1, "a subscriber ran after one not registered");
	cr_assert(strstr(msg, "s1 runs after s3, which is not registered") != NULL, "%s", msg);
	subscribe("/opensvr:authority/router", 0);
	cr_assert_eq(subscribe_after("/opensvr:authority/service", 1, after_s0, msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(subscribe_after("/opensvr:authority/router", 0, NULL, msg, sizeof(msg)), -1,
		     "a name registered twice");
	subscribe("/opensvr:authority/security-key-management", 2);
	/* the first commit makes the authority: it touches everyone */
	calls.fail_prepare = -1;
	apply("config authority router r0\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert_str_eq(calls.log, "p0 p1 p2 a0 a1 a2 ");

	/* a router changes: s1 (after s0) is touched too, s2 is not */
	calls.log[0] = '\0';
	apply("config authority router r1 location here\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 2, "%s", msg);
	cr_assert_str_eq(calls.log, "p0 p1 a0 a1 ");

	/* validate runs the checks, then aborts: nothing applied */
	calls.log[0] = '\0';
	apply("config authority router r1 location there\n", NULL, 0);
	{
		struct ds_errs e = {0};

		cr_assert_eq(ds_validate(ds, &e), 0);
		ds_errs_free(&e);
	}
	cr_assert_str_eq(calls.log, "c0 c1 x1 x0 ");

	/* the later one refuses: both abort, newest first, nothing applied */
	calls.log[0] = '\0';
	calls.fail_prepare = 1;
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "subscriber 1 refuses");
	cr_assert_str_eq(calls.log, "p0 p1 x1 x0 ");
	cr_assert(has("/opensvr:authority/router[name='r1']/location=here"));
}

Test(ds, rollback_loads_an_old_commit)
{
	char msg[512];
	char *one, *now;

	apply("config authority router r1 location one\n", NULL, 0);
	cr_assert_eq(commit("first", 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	one = running_text();
	apply("config authority router r1 location two\nconfig authority router r2\n", NULL, 0);
	cr_assert_eq(commit("second", 0, T0 + 1000, msg, sizeof(msg)), 2, "%s", msg);
	{
		struct ds_errs e = {0};

		cr_assert_eq(ds_rollback(ds, 1, 1, &e), 0);
		cr_assert_eq(ds_rollback(ds, 1, 99, &e), -1,
			     "rolled back to a commit that never was");
		ds_errs_free(&e);
	}
	cr_assert_eq(commit("back", 0, T0 + 2000, msg, sizeof(msg)), 3, "%s", msg);
	now = running_text();
	cr_assert_str_eq(now, one);
	free(one);
	free(now);
}

Test(ds, compare_output_applied_to_old_yields_new)
{
	char msg[512];
	char *cmp, *old_text, *want;
	struct lyd_node *old = NULL;

	cr_assert_eq(apply(MESH, msg, sizeof(msg)), 0, "%s", msg);
	apply("config authority service web address 203.0.113.0/24\n"
	      "config authority router hub description \"the hub\"\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	old_text = running_text();
	apply("delete authority router spoke2\n"
	      "config authority router hub description \"still \\\"the\\\" hub\"\n"
	      "config authority service web address 2001:db8::/32\n"
	      "config authority service web address 203.0.113.0/24\n"
	      "delete authority service web address 203.0.113.0/24\n"
	      "config authority security-key-management peer-key-timeout 600\n",
	      NULL, 0);
	cmp = pcli_compare(ds_running(ds), ds_candidate(ds));
	cr_assert(strstr(cmp, "delete authority router spoke2\n") != NULL, "%s", cmp);
	/* the candidate as the target, then back to old, then apply the commands */
	want = pcli_print(ds_candidate(ds), 0);
	lyd_dup_siblings(ds_running(ds), NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &old);
	{
		struct ds_errs e = {0};

		cr_assert_eq(ds_replace_candidate(ds, 1, old, &e), 0);
		ds_errs_free(&e);
	}
	cr_assert_eq(apply(cmp, msg, sizeof(msg)), 0, "%s\n%s", msg, cmp);
	{
		char *got = pcli_print(ds_candidate(ds), 0);

		cr_assert_str_eq(got, want, "compare was:\n%s", cmp);
		free(got);
	}
	free(cmp);
	free(want);
	free(old_text);
	cmp = pcli_compare(ds_running(ds), ds_running(ds));
	cr_assert_str_eq(cmp, "# No differences\n");
	free(cmp);
}

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

Test(ds, exclusive_lock_keeps_other_sessions_out)
{
	struct ds_errs e = {0};

	cr_assert_eq(ds_lock(ds, 7, &e), 0);
	cr_assert_eq(ds_set(ds, 8, "/opensvr:authority/name", "x", &e), -1);
	cr_assert(strstr(e.v[0].msg, "locked") != NULL);
	ds_errs_free(&e);
	cr_assert_eq(ds_set(ds, 7, "/opensvr:authority/name", "x", &e), 0);
	ds_unlock(ds, 7);
	cr_assert_eq(ds_set(ds, 8, "/opensvr:authority/name", "y", &e), 0);
	ds_errs_free(&e);
}

Test(ds, multi_line_quoted_value)
{
	char msg[512];
	struct lyd_node *m = NULL;

	cr_assert_eq(apply("config\n authority\n  router r\n   description \"line one\nline "
			   "two\"\n   location x\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(lyd_find_path(ds_candidate(ds),
				   "/opensvr:authority/router[name='r']/description", 0, &m),
		     LY_SUCCESS);
	cr_assert_str_eq(lyd_get_value(m), "line one\nline two");
	cr_assert_eq(
		apply("config authority router r description \"never closed\n", msg, sizeof(msg)),
		1);
	cr_assert(strstr(msg, "never closed") != NULL || strstr(msg, "quoted") != NULL, "%s", msg);
}

Test(ds, references_to_routers_and_services_must_exist)
{
	char msg[512];

	cr_assert_eq(apply("config authority service web address 203.0.113.0/24\n"
			   "config authority router a service-route r1 service-name web\n"
			   "config authority router a service-route r1 peer ghost\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "authority router a service-route r1 peer: router 'ghost' is not "
			      "configured");
	apply("config authority router a service-route r1 peer a\n"
	      "config authority router a service-route r2 service-name nothing\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "a route to a missing service");
	cr_assert(strstr(msg, "service-name") != NULL, "%s", msg);
	apply("delete authority router a service-route r2\n"
	      "config authority router a node n device-interface d network-interface i "
	      "neighborhood nb adjacency 198.51.100.9 peer phantom\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "router 'phantom' is not configured") != NULL, "%s", msg);
}

/* Revocation lists are read from local files only: any other scheme was
 * accepted and never fetched, which turned revocation off in silence. */
Test(ds, crl_url_other_than_file_is_refused_at_commit)
{
	char msg[512];

	cr_assert_eq(apply("config authority router r location one\n", msg, sizeof(msg)), 0, "%s",
		     msg);
	cr_assert_eq(commit("one", 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert_eq(apply("config authority certificate-revocation-list "
			   "http://crl.example.com/ca.crl\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "an http:// CRL was committed");
	cr_assert_str_eq(msg, "authority certificate-revocation-list http://crl.example.com/ca.crl "
			      "url: the scheme 'http' is not supported: svrd reads revocation "
			      "lists from local files only; fetch the list to a file and use "
			      "file:///path/to/crl.pem");
	cr_assert_not(has("/opensvr:authority/certificate-revocation-list"), "running changed");
	cr_assert(has("/opensvr:authority/router[name='r']/location=one"));

	cr_assert_eq(apply("delete authority certificate-revocation-list "
			   "http://crl.example.com/ca.crl\n"
			   "config authority certificate-revocation-list FILE:///etc/crl.pem\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "FILE:// was committed");
	cr_assert(strstr(msg, "the scheme 'FILE' is not supported") != NULL, "%s", msg);

	cr_assert_eq(apply("delete authority certificate-revocation-list FILE:///etc/crl.pem\n"
			   "config authority certificate-revocation-list file://crlhost/ca.crl\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "file://HOST/ was committed");
	cr_assert(strstr(msg, "file:///path/to/crl.pem (no host)") != NULL, "%s", msg);

	cr_assert_eq(apply("delete authority certificate-revocation-list file://crlhost/ca.crl\n"
			   "config authority certificate-revocation-list "
			   "file:///etc/opensvr/ca.crl\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit("crl", 0, T0, msg, sizeof(msg)), 2, "%s", msg);
	cr_assert(has("/opensvr:authority/certificate-revocation-list[url='file:///etc/opensvr/"
		      "ca.crl']"));
}

/* The engine runs the authority's algorithm for every peer: a different
 * per-router override was accepted and ignored. */
Test(ds, key_exchange_algorithm_override_must_match_the_authority)
{
	char msg[512];

	apply("config authority router r key-exchange-algorithm-override ecdh-x25519\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "a differing override committed");
	cr_assert_str_eq(msg, "authority router r key-exchange-algorithm-override: 'ecdh-x25519' "
			      "differs from the authority's key-exchange-algorithm "
			      "'diffie-hellman': per-router algorithms are not supported yet (both "
			      "ends of a peering must use the same algorithm); delete the override "
			      "or change security-key-management key-exchange-algorithm");
	{
		const struct ds_commit *h;

		cr_assert_eq(ds_history(ds, &h), 0, "a refused commit was recorded");
	}
	/* the same algorithm as the authority's: existing configurations load */
	apply("config authority security-key-management key-exchange-algorithm ecdh-x25519\n", NULL,
	      0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
	cr_assert(has("/opensvr:authority/router[name='r']/"
		      "key-exchange-algorithm-override=ecdh-x25519"));
	apply("config authority router r key-exchange-algorithm-override diffie-hellman\n", NULL,
	      0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "'diffie-hellman' differs from the authority's "
			      "key-exchange-algorithm 'ecdh-x25519'") != NULL,
		  "%s", msg);
	/* the default algorithm, named explicitly */
	apply("config authority security-key-management key-exchange-algorithm diffie-hellman\n",
	      NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 2, "%s", msg);
}

/* ---- a damaged newest commit ------------------------------------------- */

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
