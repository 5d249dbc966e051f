/* The alarm store and the certificate thresholds, with a clock the test sets. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alarms.h"

#define DAY 86400
#define T0  1800000000

Test(alarms, raise_twice_is_one_alarm_and_clear_removes_it)
{
	struct alarm_store *s = alarm_store_new("combo-east-1", 100);
	uint32_t a, b, c;

	a = alarm_raise(s, "path-down:B:wan0", ALARM_MAJOR, "B", "PEER", "svrd", "down", T0);
	b = alarm_raise(s, "path-down:B:wan0", ALARM_MAJOR, "B", "PEER", "svrd", "down", T0 + 5);
	cr_assert_eq(a, b);
	cr_assert_eq(alarm_count(s), 1);
	cr_assert_eq(alarm_event_count(s), 1, "a repeated raise made an event");
	c = alarm_raise(s, "cert:local", ALARM_MINOR, "combo-east", "CERTIFICATE", "svrd", "x", T0);
	cr_assert_eq(c, a + 1);
	/* a worse severity updates the same alarm, with an event */
	cr_assert_eq(alarm_raise(s, "cert:local", ALARM_MAJOR, "combo-east", "CERTIFICATE", "svrd",
				 "x", T0 + 1),
		     c);
	cr_assert_eq(alarm_find(s, "cert:local")->severity, ALARM_MAJOR);
	cr_assert_eq(alarm_event_count(s), 3);
	cr_assert(alarm_clear(s, "path-down:B:wan0", T0 + 9));
	cr_assert_not(alarm_clear(s, "path-down:B:wan0", T0 + 9), "cleared twice");
	cr_assert_eq(alarm_count(s), 1);
	cr_assert_eq(alarm_event_count(s), 4);
	cr_assert_not(alarm_event_at(s, 3)->raised);
	/* numbers are never reused */
	cr_assert_eq(alarm_raise(s, "path-down:B:wan0", ALARM_MAJOR, "B", "PEER", "svrd", "down",
				 T0 + 10),
		     c + 1);
	alarm_store_free(s);
}

Test(alarms, event_history_is_bounded_oldest_first)
{
	struct alarm_store *s = alarm_store_new("n", 3);
	char key[16];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		alarm_raise(s, key, ALARM_INFO, "s", "c", "p", "m", T0 + i);
	}
	cr_assert_eq(alarm_event_count(s), 3);
	cr_assert_str_eq(alarm_event_at(s, 0)->alarm.key, "k2");
	cr_assert_str_eq(alarm_event_at(s, 2)->alarm.key, "k4");
	alarm_clear_prefix(s, "k", T0 + 9);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(alarms, certificate_thresholds)
{
	int64_t na = T0 + 100 * DAY;

	cr_assert_eq(alarm_cert_expiry(na, na - 31 * DAY), -1);
	cr_assert_eq(alarm_cert_expiry(na, na - 30 * DAY - 1), -1);
	cr_assert_eq(alarm_cert_expiry(na, na - 30 * DAY), ALARM_MINOR);
	cr_assert_eq(alarm_cert_expiry(na, na - 7 * DAY - 1), ALARM_MINOR);
	cr_assert_eq(alarm_cert_expiry(na, na - 7 * DAY), ALARM_MAJOR);
	cr_assert_eq(alarm_cert_expiry(na, na - 1), ALARM_MAJOR);
	cr_assert_eq(alarm_cert_expiry(na, na), ALARM_CRITICAL);
	cr_assert_eq(alarm_cert_expiry(na, na + DAY), ALARM_CRITICAL);
}
