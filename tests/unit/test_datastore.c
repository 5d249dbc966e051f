/* The configuration datastore: commit, callbacks and their order,
 * rollback, compare, locks, validation rules and generated peers
 * (persistence, commit confirmed and damaged state directories:
 * test_ds_store.c). */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "dstest.h"
#include "pcli.h"

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

Test(ds, exclusive_lock_keeps_other_sessions_out)
{
	struct ds_errs e = {0};

	cr_assert_eq(ds_lock(ds, 7, "alice, pid 42", &e), 0);
	cr_assert_eq(ds_set(ds, 8, "/opensvr:authority/name", "x", &e), -1);
	cr_assert(strstr(e.v[0].msg, "locked by alice, pid 42") != NULL, "%s", e.v[0].msg);
	ds_errs_free(&e);
	cr_assert_eq(ds_lock(ds, 8, NULL, &e), -1, "a second lock");
	cr_assert(strstr(e.v[0].msg, "alice, pid 42") != NULL, "%s", e.v[0].msg);
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
