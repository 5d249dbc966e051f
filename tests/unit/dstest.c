/* The datastore tests' helpers: see dstest.h. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "dstest.h"
#include "pcli.h"

char dir[64];
char yang[512];
struct ds *ds;
struct pcli_session *ps;

void open_ds(int64_t now)
{
	struct ds_errs e = {0};

	ds = ds_open(yang, dir, now, &e);
	cr_assert_not_null(ds, "ds_open: %s", e.n ? e.v[0].msg : "?");
	ds_errs_free(&e);
	ps = pcli_session_new(ds, 1);
}

void close_ds(void)
{
	pcli_session_free(ps);
	ds_close(ds);
	ps = NULL;
	ds = NULL;
}

void setup(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(yang, sizeof(yang), "%s/config-model/yang", top ? top : ".");
	snprintf(dir, sizeof(dir), "/tmp/svrds.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	open_ds(T0);
}

void teardown(void)
{
	char cmd[128];

	close_ds();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(ds, .init = setup, .fini = teardown);

/* Apply PCLI text; returns the number of errors, first one in msg. */
size_t apply(const char *text, char *msg, size_t len)
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

uint32_t commit(const char *comment, uint32_t confirm, int64_t now, char *msg, size_t len)
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

char *running_text(void)
{
	return pcli_print(ds_running(ds), 0);
}

const char *SEED = "config\n"
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

/* Is path in running; "path=value" also compares the leaf's value. */
bool has(const char *spec)
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
