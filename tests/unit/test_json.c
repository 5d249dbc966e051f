#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "json.h"

static struct json *parse(const char *s)
{
	char err[128];

	return json_parse(s, strlen(s), err, sizeof(err));
}

static void roundtrip(const char *in, const char *want)
{
	struct json *j = parse(in);
	char *out;

	cr_assert_not_null(j, "failed to parse %s", in);
	out = json_print(j);
	cr_assert_str_eq(out, want);
	free(out);
	json_free(j);
}

Test(json, scalars)
{
	roundtrip("null", "null");
	roundtrip(" true ", "true");
	roundtrip("false", "false");
	roundtrip("-12", "-12");
	roundtrip("0", "0");
	roundtrip("9223372036854775807", "9223372036854775807");
	roundtrip("1.5", "1.5");
	roundtrip("\"a\\\"b\\\\c\\n\"", "\"a\\\"b\\\\c\\n\"");
}

Test(json, containers_keep_order)
{
	roundtrip("{ \"b\" : 1, \"a\" : [1, 2, {}], \"c\": {\"d\": null} }",
		  "{\"b\":1,\"a\":[1,2,{}],\"c\":{\"d\":null}}");
}

Test(json, unicode_escapes)
{
	struct json *j = parse("\"\\u00e9\\ud83d\\ude00\"");

	cr_assert_not_null(j);
	cr_assert_str_eq(json_str(j), "\xc3\xa9\xf0\x9f\x98\x80");
	json_free(j);
}

Test(json, rejects_bad_input_with_offset)
{
	const char *bad[] = {
		"",
		"{",
		"[1,]",
		"{\"a\"}",
		"{\"a\":1,}",
		"tru",
		"01",
		"1.",
		"-",
		"\"abc",
		"\"\\x\"",
		"\"\\ud800\"",
		"\"\\u0000\"",
		"\"\xff\"",
		"\"\xc0\xaf\"",
		"1 2",
		"{\"a\":1,\"a\":2}",
		"\"tab\there\"",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json *j = json_parse(bad[i], strlen(bad[i]), err, sizeof(err));

		cr_assert_null(j, "accepted %s", bad[i]);
		cr_assert(strstr(err, "at byte") != NULL, "error without offset: %s", err);
	}
}

Test(json, depth_limit)
{
	char deep[JSON_MAX_DEPTH * 2 + 3];
	char err[128];
	size_t n = 0;

	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	struct json *ok = json_parse(deep, n, err, sizeof(err));

	cr_assert_not_null(ok);
	json_free(ok);
	memmove(deep + 1, deep, n);
	deep[0] = '[';
	deep[n + 1] = ']';
	cr_assert_null(json_parse(deep, n + 2, err, sizeof(err)));
	cr_assert(strstr(err, "nesting") != NULL);
}

Test(json, build_lookup_take)
{
	struct json *o = json_new_object();
	struct json *t;
	char *s;

	json_set(o, "n", json_new_int(7));
	json_set(o, "s", json_new_str("x\"y"));
	json_set(o, "b", json_new_bool(true));
	json_set(o, "n", json_new_int(8));
	cr_assert_eq(json_get_int(o, "n", 0), 8);
	cr_assert_str_eq(json_get_str(o, "s", ""), "x\"y");
	cr_assert(json_get_bool(o, "b", false));
	cr_assert_eq(json_get_int(o, "missing", 42), 42);
	t = json_take(o, "s");
	cr_assert_str_eq(json_str(t), "x\"y");
	json_free(t);
	s = json_print(o);
	cr_assert_str_eq(s, "{\"n\":8,\"b\":true}");
	free(s);
	json_free(o);
	json_free(NULL);
}

Test(json, fractions_stay_fractions)
{
	roundtrip("-0e3", "-0.0");
	roundtrip("2e2", "200.0");
	roundtrip("[1.0]", "[1.0]");
}

/* "{"k0":0,"k1":0,...}" with n members, the last one named dup when given. */
static char *object_text(size_t n, const char *dup, size_t *len)
{
	size_t cap = n * 24 + 64, used = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	s[used++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (dup && i == n - 1)
			used += (size_t)snprintf(s + used, cap - used, "\"%s\":0", dup);
		else
			used += (size_t)snprintf(s + used, cap - used, "\"k%zu\":%zu", i, i);
		if (i + 1 < n)
			s[used++] = ',';
	}
	s[used++] = '}';
	s[used] = '\0';
	*len = used;
	return s;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The duplicate-member check is a hash lookup: 60,000 members take
 * milliseconds (a scan of the members before each one took seconds). */
Test(json, large_object_parses_in_linear_time)
{
	size_t len;
	char *text = object_text(60000, NULL, &len);
	char err[128];
	double t0 = cpu_seconds();
	struct json *j = json_parse(text, len, err, sizeof(err));
	double spent = cpu_seconds() - t0;

	cr_assert_not_null(j, "%s", err);
	cr_assert_eq(json_len(j), 60000);
	cr_assert_eq(json_get_int(j, "k0", -1), 0);
	cr_assert_eq(json_get_int(j, "k59999", -1), 59999);
	cr_assert_eq(json_get_int(j, "k60000", -1), -1);
	cr_assert_lt(spent, 1.0, "60,000 members took %.2f s of CPU", spent);
	json_free(j);
	free(text);
}

Test(json, duplicate_in_a_large_object_is_refused)
{
	size_t len;
	char *text = object_text(5000, "k1234", &len);
	char err[128];

	cr_assert_null(json_parse(text, len, err, sizeof(err)));
	cr_assert(strstr(err, "duplicate member \"k1234\"") != NULL, "%s", err);
	free(text);
}

Test(json, limits_are_named_when_passed)
{
	struct json_limits lim = {.max_members = 100};
	size_t len;
	char *text = object_text(100, NULL, &len);
	char err[128];
	struct json *j = json_parse_limited(text, len, &lim, err, sizeof(err));

	cr_assert_not_null(j, "%s", err);
	json_free(j);
	free(text);
	text = object_text(101, NULL, &len);
	cr_assert_null(json_parse_limited(text, len, &lim, err, sizeof(err)));
	cr_assert(strstr(err, "more than 100 members") != NULL, "%s", err);
	free(text);

	lim = (struct json_limits){.max_size = 10};
	cr_assert_null(json_parse_limited("[1,2,3,4,5]", 11, &lim, err, sizeof(err)));
	cr_assert(strstr(err, "11 bytes") != NULL && strstr(err, "limit of 10") != NULL, "%s", err);
	j = json_parse_limited("[1,2,3,4]", 9, &lim, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	json_free(j);

	lim = (struct json_limits){.max_values = 4};
	cr_assert_null(json_parse_limited("[1,2,3,4]", 9, &lim, err, sizeof(err)));
	cr_assert(strstr(err, "more than 4 values") != NULL, "%s", err);
	j = json_parse_limited("[1,2,3]", 7, &lim, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	json_free(j);

	lim = (struct json_limits){.max_depth = 2};
	cr_assert_null(json_parse_limited("[[[]]]", 6, &lim, err, sizeof(err)));
	cr_assert(strstr(err, "nesting deeper than 2") != NULL, "%s", err);
	j = json_parse_limited("[[]]", 4, &lim, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	json_free(j);
}

/* Members set, replaced and taken keep the lookup index right, small and
 * large. */
Test(json, lookups_stay_right_through_set_and_take)
{
	struct json *o = json_new_object();
	char key[32];

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		cr_assert_eq(json_set(o, key, json_new_int(i)), 0);
	}
	cr_assert_eq(json_set(o, "m7", json_new_int(-7)), 0);
	cr_assert_eq(json_len(o), 3000);
	cr_assert_eq(json_get_int(o, "m7", 0), -7);
	for (int i = 0; i < 3000; i += 2) {
		struct json *t;

		snprintf(key, sizeof(key), "m%d", i);
		t = json_take(o, key);
		cr_assert_not_null(t, "%s", key);
		json_free(t);
	}
	cr_assert_eq(json_len(o), 1500);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		if (i % 2)
			cr_assert_eq(json_get_int(o, key, -1), i == 7 ? -7 : i, "%s", key);
		else
			cr_assert_null(json_get(o, key), "%s", key);
	}
	cr_assert_str_eq(json_key_at(o, 0), "m1");
	cr_assert_str_eq(json_key_at(o, 1499), "m2999");
	json_free(o);
}

/* DEL and the C1 controls are printed escaped, like the C0 ones, so no
 * printed document carries a byte a terminal acts on. */
Test(json, printer_escapes_every_control_character)
{
	struct json *j = json_new_str("a\x1b[2Jb\x7f c\xc2\x9b"
				      "31m d\xc2\xa0");
	char *s = json_print(j);

	cr_assert_str_eq(s, "\"a\\u001b[2Jb\\u007f c\\u009b31m d\xc2\xa0\"");
	json_free(j);
	j = json_parse(s, strlen(s), NULL, 0);
	cr_assert_str_eq(json_str(j), "a\x1b[2Jb\x7f c\xc2\x9b"
				      "31m d\xc2\xa0");
	json_free(j);
	free(s);
}

/* A string built from unchecked bytes still prints as JSON that parses. */
Test(json, printer_replaces_bytes_that_are_not_utf8)
{
	struct json *j = json_new_str("a\xff b\xc3 c\xe2\x82");
	char *s = json_print(j);
	struct json *k = json_parse(s, strlen(s), NULL, 0);

	cr_assert_str_eq(s, "\"a\\ufffd b\\ufffd c\\ufffd\\ufffd\"");
	cr_assert_not_null(k);
	json_free(j);
	json_free(k);
	free(s);
}
