#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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
