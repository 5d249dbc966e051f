/* The PCLI interpreter's navigation (config-model/pcli.c), on a real
 * datastore: what a line can make svrd do must be bounded by the line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datastore.h"
#include "dstest.h"
#include "pcli.h"

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
