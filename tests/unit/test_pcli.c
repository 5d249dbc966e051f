/* The PCLI interpreter's navigation (config-model/pcli.c), on a real
 * datastore: what a line can make svrd do must be bounded by the line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datastore.h"
#include "pcli.h"

static char dir[64];
static struct ds *ds;
static struct pcli_session *ps;

static void setup(void)
{
	const char *top = getenv("top_srcdir");
	char yang[512];
	struct ds_errs e = {0};

	snprintf(yang, sizeof(yang), "%s/config-model/yang", top ? top : ".");
	snprintf(dir, sizeof(dir), "/tmp/svrpcli.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	ds = ds_open(yang, dir, 1795000000000LL, &e);
	cr_assert_not_null(ds, "ds_open: %s", e.n ? e.v[0].msg : "?");
	ds_errs_free(&e);
	ps = pcli_session_new(ds, 1);
}

static void teardown(void)
{
	char cmd[128];

	pcli_session_free(ps);
	ds_close(ds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(pcli, .init = setup, .fini = teardown);

static int line(const char *text, char *msg, size_t len)
{
	struct ds_errs e = {0};
	int rc = pcli_line(ps, text, &e);

	snprintf(msg, len, "%s", e.n ? e.v[0].msg : "");
	ds_errs_free(&e);
	return rc;
}

/* "up N" with a huge N returns at once (it once popped N times, one at a
 * time, past the top: seconds of svrd's one thread for one line), and a
 * count that is not one is refused, naming it. */
Test(pcli, up_with_any_count_is_bounded_by_the_depth)
{
	char msg[256];
	struct timespec a, b;

	cr_assert_eq(line("config", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	cr_assert_eq(line("authority", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	cr_assert_eq(line("router r1", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(line("up 2147483647", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	cr_assert_str_eq(pcli_where(ps), "");
	cr_assert_eq(line("up 66666666666666666666", msg, sizeof(msg)), PCLI_ERROR);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 100,
		     "up took more than 100 ms");
	cr_assert(strstr(msg, "up takes a number of levels, 1 or more: '66666666666666666666'"),
		  "%s", msg);
	cr_assert_eq(line("up x", msg, sizeof(msg)), PCLI_ERROR);
	cr_assert_eq(line("up -1", msg, sizeof(msg)), PCLI_ERROR);
	cr_assert_eq(line("up 0", msg, sizeof(msg)), PCLI_ERROR);
	/* at the top of configuration mode: still in it */
	cr_assert_eq(line("authority", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	cr_assert_eq(line("up 2", msg, sizeof(msg)), PCLI_OK, "%s", msg);
	cr_assert_str_eq(pcli_where(ps), "");
	cr_assert(pcli_in_config(ps), "up left configuration mode");
}
