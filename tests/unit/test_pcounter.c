#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcounter.h"

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pcounter.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gen", dir);
}

static void teardown(void)
{
	char tmp[160];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
}

TestSuite(pcounter, .init = setup, .fini = teardown);

Test(pcounter, starts_at_one_and_grows)
{
	char err[256];
	struct pcounter *c = pcounter_open(path, 10, err, sizeof(err));
	uint64_t v;

	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(pcounter_reserve(c, 1, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(pcounter_reserve(c, 25, &v), 0); /* past the first ceiling */
	cr_assert_eq(v, 2);
	cr_assert_eq(pcounter_reserve(c, 1, &v), 0);
	cr_assert_eq(v, 27);
	pcounter_close(c);
}

/* A restart (or a crash: the values between the last one handed out and
 * the ceiling are lost, never repeated) never hands out a value again. */
Test(pcounter, never_repeats_across_restarts)
{
	char err[256];
	uint64_t v, high = 0;

	for (int run = 0; run < 5; run++) {
		struct pcounter *c = pcounter_open(path, 4, err, sizeof(err));

		cr_assert_not_null(c, "%s", err);
		for (int i = 0; i < run * 3; i++) {
			cr_assert_eq(pcounter_reserve(c, 1, &v), 0);
			cr_assert_gt(v, high, "value %llu handed out again (high %llu)",
				     (unsigned long long)v, (unsigned long long)high);
			high = v;
		}
		pcounter_close(c); /* no clean shutdown step exists: a crash is the same */
	}
}

Test(pcounter, corrupt_file_is_an_error_not_a_fresh_start)
{
	char err[256] = "";
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("opensvr-counter 1\n12x\n", f);
	fclose(f);
	cr_assert_null(pcounter_open(path, 4, err, sizeof(err)));
	cr_assert(strstr(err, "not a counter file"), "%s", err);
	f = fopen(path, "w");
	fputs("", f);
	fclose(f);
	cr_assert_null(pcounter_open(path, 4, err, sizeof(err)));
}

Test(pcounter, unwritable_is_an_error)
{
	char err[256] = "", bad[200];

	snprintf(bad, sizeof(bad), "%s/missing-folder/gen", dir);
	cr_assert_null(pcounter_open(bad, 4, err, sizeof(err)));
	cr_assert(strstr(err, "cannot write"), "%s", err);
}

Test(pcounter, null_is_harmless)
{
	uint64_t v;

	pcounter_close(NULL);
	cr_assert_eq(pcounter_reserve(NULL, 1, &v), -1);
}
