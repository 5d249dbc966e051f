/* Enrolment tokens (lib/enrol_token.h): what the conductor prints parses
 * back to the same router, pin and secret, and every damaged token is
 * refused with a reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "enrol_token.h"

static struct enrol_token sample(const char *router)
{
	struct enrol_token t;

	memset(&t, 0, sizeof(t));
	snprintf(t.router, sizeof(t.router), "%s", router);
	for (int i = 0; i < ENROL_PIN_LEN; i++)
		t.pin[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < ENROL_SECRET_LEN; i++)
		t.secret[i] = (uint8_t)(255 - i);
	return t;
}

Test(enrol_token, formats_and_parses_back)
{
	const char *names[] = {"spoke1", "hub.lab", "a", "R-2_x.y"};
	char text[ENROL_TOKEN_MAX], why[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct enrol_token t = sample(names[i]), back;

		cr_assert_eq(enrol_token_format(&t, text, sizeof(text)), 0);
		cr_assert(strncmp(text, "svr1.", 5) == 0);
		cr_assert_eq(enrol_token_parse(text, &back, why, sizeof(why)), 0, "%s: %s", text,
			     why);
		cr_assert_str_eq(back.router, names[i]);
		cr_assert(memcmp(back.pin, t.pin, sizeof(t.pin)) == 0);
		cr_assert(memcmp(back.secret, t.secret, sizeof(t.secret)) == 0);
	}
}

Test(enrol_token, blanks_around_are_fine)
{
	struct enrol_token t = sample("spoke2"), back;
	char text[ENROL_TOKEN_MAX], padded[ENROL_TOKEN_MAX + 8], why[128];

	enrol_token_format(&t, text, sizeof(text));
	snprintf(padded, sizeof(padded), "  %s \r\n", text);
	cr_assert_eq(enrol_token_parse(padded, &back, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(back.router, "spoke2");
}

static void refused(const char *text, const char *reason)
{
	struct enrol_token t;
	char why[128] = "";

	cr_assert_eq(enrol_token_parse(text, &t, why, sizeof(why)), -1, "took %s", text);
	cr_assert(strstr(why, reason), "%s: said '%s', not '%s'", text, why, reason);
}

Test(enrol_token, damaged_tokens_are_refused_with_a_reason)
{
	struct enrol_token t = sample("spoke1");
	char good[ENROL_TOKEN_MAX], bad[ENROL_TOKEN_MAX + 8];
	size_t n;

	enrol_token_format(&t, good, sizeof(good));
	n = strlen(good);
	refused("", "not an opensvr enrolment token");
	refused("svr2.spoke1.x.y", "not an opensvr enrolment token");
	refused("svr1.spoke1.abc.def", "cut short");
	snprintf(bad, sizeof(bad), "%.*s", (int)(n - 1), good); /* a character short */
	refused(bad, "cut short");
	snprintf(bad, sizeof(bad), "%s", good);
	bad[n - 3] = '*';
	refused(bad, "characters a token never has");
	snprintf(bad, sizeof(bad), "%s", good);
	bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A'; /* the last character's spare bits */
	if (strchr("AQgw", bad[n - 1]) == NULL)
		refused(bad, "characters a token never has");
	snprintf(bad, sizeof(bad), "svr1.-x%s", good + 11); /* a name starting with '-' */
	refused(bad, "not a router name");
	snprintf(bad, sizeof(bad), "svr1.%s", good + 12); /* no name at all */
	refused(bad, "cut short");
}

Test(enrol_token, only_object_names_are_formatted)
{
	struct enrol_token t = sample("bad name");
	char text[ENROL_TOKEN_MAX];

	cr_assert_eq(enrol_token_format(&t, text, sizeof(text)), -1);
	t = sample("ok");
	cr_assert_eq(enrol_token_format(&t, text, 10), -1, "formatted into too small a buffer");
}
