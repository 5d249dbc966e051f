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
	alarm_store_free(s);
}

static int heard;
static char last_key[160];
static bool last_raised;

static void listen_cb(void *arg, const struct alarm_event *ev)
{
	cr_assert_eq(arg, &heard);
	heard++;
	snprintf(last_key, sizeof(last_key), "%s", ev->alarm.key);
	last_raised = ev->raised;
}

Test(alarms, the_listener_hears_every_event_and_only_events)
{
	struct alarm_store *s = alarm_store_new("n", 10);

	alarm_set_listener(s, listen_cb, &heard);
	alarm_raise(s, "k", ALARM_MAJOR, "s", "c", "p", "m", T0);
	cr_assert_eq(heard, 1);
	cr_assert(last_raised && strcmp(last_key, "k") == 0);
	alarm_raise(s, "k", ALARM_MAJOR, "s", "c", "p", "m", T0 + 1);
	cr_assert_eq(heard, 1, "a repeated raise is not an event");
	alarm_clear(s, "k", T0 + 2);
	cr_assert_eq(heard, 2);
	cr_assert_not(last_raised);
	alarm_set_listener(s, NULL, NULL);
	alarm_raise(s, "k2", ALARM_MINOR, "s", "c", "p", "m", T0 + 3);
	cr_assert_eq(heard, 2, "heard after the listener was removed");
	alarm_set_listener(NULL, listen_cb, NULL); /* accepts NULL */
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

/* ---- every alarm condition, driven by a clock the test owns ------------ */

#include "conditions.h"

static const struct alarm *only(struct alarm_store *s)
{
	cr_assert_eq(alarm_count(s), 1, "%zu alarms, want one", alarm_count(s));
	return alarm_at(s, 0);
}

Test(conditions, local_certificate_30_days_7_days_expired_then_replaced)
{
	struct alarm_store *s = alarm_store_new("combo-east-1", 100);
	int64_t na = 1900000000; /* 2030-03-17 17:46:40 UTC */

	for (int64_t t = na - 60 * DAY; t < na - 30 * DAY; t += DAY) {
		alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, t);
		cr_assert_eq(alarm_count(s), 0, "raised %lld s before expiry", (long long)(na - t));
	}
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, na - 30 * DAY);
	cr_assert_eq(only(s)->severity, ALARM_MINOR);
	cr_assert_str_eq(only(s)->message,
			 "Local certificate of RTR_EAST_COMBO expires on 2030-03-17 17:46:40 UTC");
	cr_assert_str_eq(only(s)->category, "CERTIFICATE");
	/* every second of the next three weeks: the same one alarm */
	for (int64_t t = na - 30 * DAY; t < na - 7 * DAY; t += 3600)
		alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, t);
	cr_assert_eq(only(s)->severity, ALARM_MINOR);
	cr_assert_eq(alarm_event_count(s), 1, "re-evaluating made events");
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, na - 7 * DAY);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	cr_assert_eq(only(s)->number, 1, "a worse severity is the same alarm");
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, na - 1);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", na, na);
	cr_assert_eq(only(s)->severity, ALARM_CRITICAL);
	cr_assert_str_eq(only(s)->message,
			 "Local certificate of RTR_EAST_COMBO expired on 2030-03-17 17:46:40 UTC");
	/* replaced by one valid for a year: cleared, with an event */
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", na + 365 * DAY, na + 60);
	cr_assert_eq(alarm_count(s), 0);
	cr_assert_eq(alarm_event_count(s), 4);
	cr_assert_not(alarm_event_at(s, 3)->raised);
	cr_assert_eq(alarm_event_at(s, 3)->time_s, na + 60);
	/* no certificate at all (peering off): nothing to say */
	alarm_eval_local_cert(s, "RTR_EAST_COMBO", 0, na + 60);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(conditions, peer_certificate_expiring_while_in_use)
{
	struct alarm_store *s = alarm_store_new("n", 100);
	int64_t na = 1900000000;

	alarm_eval_peer_cert(s, "RTR_WEST_COMBO", "valid", "valid", na, na - 31 * DAY);
	cr_assert_eq(alarm_count(s), 0);
	alarm_eval_peer_cert(s, "RTR_WEST_COMBO", "valid", "valid", na, na - 30 * DAY);
	cr_assert_eq(only(s)->severity, ALARM_MINOR);
	cr_assert_str_eq(only(s)->message,
			 "Peer RTR_WEST_COMBO certificate expires on 2030-03-17 17:46:40 UTC");
	cr_assert_str_eq(only(s)->source, "RTR_WEST_COMBO");
	cr_assert_str_eq(only(s)->category, "PEER");
	alarm_eval_peer_cert(s, "RTR_WEST_COMBO", "valid", "valid", na, na - 7 * DAY);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	alarm_eval_peer_cert(s, "RTR_WEST_COMBO", "valid", "valid", na, na);
	cr_assert_eq(only(s)->severity, ALARM_CRITICAL);
	cr_assert_str_eq(only(s)->message, "Peer RTR_WEST_COMBO certificate is invalid: expired - "
					   "not after 2030-03-17 17:46:40 UTC");
	/* the peer presents a new one */
	alarm_eval_peer_cert(s, "RTR_WEST_COMBO", "valid", "valid", na + 365 * DAY, na + 5);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(conditions, peer_certificate_verdicts)
{
	static const struct {
		const char *verdict, *message;
	} c[] = {
		{"expired", "Peer B certificate is invalid: expired - testing-detail"},
		{"not yet valid", "Peer B certificate is invalid: not yet valid - testing-detail"},
		{"weak algorithm",
		 "Peer B certificate is invalid: weak algorithm - testing-detail"},
		{"revoked", "Peer B certificate is revoked - testing-detail"},
		{"wrong name", "Unable to authenticate peer B: wrong name - testing-detail"},
		{"untrusted", "Unable to authenticate peer B: untrusted - testing-detail"},
		{"bad signature", "Unable to authenticate peer B: bad signature - testing-detail"},
		{"malformed", "Unable to authenticate peer B: malformed - testing-detail"},
	};
	struct alarm_store *s = alarm_store_new("n", 100);

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		alarm_eval_peer_cert(s, "B", c[i].verdict, "testing-detail", T0 + 90 * DAY, T0);
		alarm_eval_peer_cert(s, "B", c[i].verdict, "testing-detail", T0 + 90 * DAY, T0 + 1);
		cr_assert_eq(only(s)->severity, ALARM_CRITICAL, "%s", c[i].verdict);
		cr_assert_str_eq(only(s)->message, c[i].message);
		cr_assert_eq(only(s)->number, 1, "one condition, one alarm across verdicts");
		/* resolved: the peer presents a valid certificate */
		alarm_eval_peer_cert(s, "B", "valid", "valid", T0 + 90 * DAY, T0 + 2);
		cr_assert_eq(alarm_count(s), 0, "%s not cleared", c[i].verdict);
		alarm_store_free(s);
		s = alarm_store_new("n", 100);
	}
	/* "none" (no certificate yet) raises nothing */
	alarm_eval_peer_cert(s, "B", "none", "", 0, T0);
	alarm_eval_peer_cert(s, "B", NULL, NULL, 0, T0);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(conditions, paths_and_reachability)
{
	struct alarm_store *s = alarm_store_new("n", 100);

	alarm_eval_path(s, "B", "wan0", "198.51.100.2", ALARM_PATH_NEVER_UP, T0);
	alarm_eval_peer_reachable(s, "B", false, false, T0);
	cr_assert_eq(alarm_count(s), 0, "a path never up is not an alarm yet");
	alarm_eval_path(s, "B", "wan0", "198.51.100.2", ALARM_PATH_DOWN, T0 + 1);
	alarm_eval_path(s, "B", "wan0", "198.51.100.2", ALARM_PATH_DOWN, T0 + 2);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	cr_assert_str_eq(only(s)->message, "Peer path to B via wan0 (198.51.100.2) is down");
	alarm_eval_path(s, "B", "wan0", "2001:db8:ff::2", ALARM_PATH_DOWN, T0 + 2);
	cr_assert_eq(alarm_count(s), 2, "two paths, two alarms");
	alarm_eval_peer_reachable(s, "B", false, true, T0 + 2);
	cr_assert_eq(alarm_count(s), 3);
	cr_assert_eq(alarm_find(s, "peer-unreachable:B")->severity, ALARM_CRITICAL);
	cr_assert_str_eq(alarm_find(s, "peer-unreachable:B")->message,
			 "Peer B is not reachable: all paths are down");
	/* one path back: reachable again, that path's alarm cleared */
	alarm_eval_path(s, "B", "wan0", "198.51.100.2", ALARM_PATH_UP, T0 + 3);
	alarm_eval_peer_reachable(s, "B", true, true, T0 + 3);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	cr_assert_str_eq(only(s)->message, "Peer path to B via wan0 (2001:db8:ff::2) is down");
	/* fail-hard took it out of service: the same alarm, saying why */
	alarm_eval_path(s, "B", "wan0", "2001:db8:ff::2", ALARM_PATH_OUT_OF_SERVICE, T0 + 4);
	cr_assert_str_eq(only(s)->message, "Peer path to B via wan0 (2001:db8:ff::2) is out of "
					   "service: peer certificate rejected");
	alarm_eval_path(s, "B", "wan0", "2001:db8:ff::2", ALARM_PATH_UP, T0 + 5);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(conditions, peer_without_key_management_and_client_certificate)
{
	struct alarm_store *s = alarm_store_new("n", 100);

	alarm_eval_peer_eskm(s, "B", false, T0);
	cr_assert_eq(alarm_count(s), 0);
	alarm_eval_peer_eskm(s, "B", true, T0 + 10);
	alarm_eval_peer_eskm(s, "B", true, T0 + 11);
	cr_assert_eq(only(s)->severity, ALARM_CRITICAL);
	cr_assert_str_eq(only(s)->message, "Peering with B failed: the peer does not speak "
					   "enhanced security key management");
	alarm_eval_peer_eskm(s, "B", false, T0 + 12);
	cr_assert_eq(alarm_count(s), 0);

	alarm_eval_client_cert(s, "A", "cannot read /x.pem: No such file or directory", T0);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	cr_assert_str_eq(only(s)->message,
			 "Client certificate of A: cannot read /x.pem: No such file or directory");
	alarm_eval_client_cert(s, "A", NULL, T0 + 1);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(conditions, data_plane_not_carrying_guarded_traffic_is_critical)
{
	struct alarm_store *s = alarm_store_new("n", 100);

	alarm_eval_dataplane(s, "A-1", NULL, true, T0);
	cr_assert_eq(alarm_count(s), 0);
	alarm_eval_dataplane(s, "A-1", "key management is not running (see the log)", true, T0);
	cr_assert_eq(only(s)->severity, ALARM_CRITICAL);
	cr_assert_str_eq(only(s)->source, "A-1");
	cr_assert_str_eq(only(s)->message,
			 "Traffic to service prefixes is not carried (the forwarding guard drops "
			 "it): key management is not running (see the log)");
	/* another reason: the same alarm, saying the new one */
	alarm_eval_dataplane(s, "A-1", "forwarder pcap is not running: no interface lan9 here",
			     true, T0 + 1);
	cr_assert_eq(alarm_count(s), 1);
	cr_assert_str_eq(only(s)->message,
			 "Traffic to service prefixes is not carried (the forwarding guard drops "
			 "it): forwarder pcap is not running: no interface lan9 here");
	/* nothing guarded (a hub's relay): MAJOR */
	alarm_eval_dataplane(s, "A-1", "forwarder pcap is not running: no interface wan9 here",
			     false, T0 + 2);
	cr_assert_eq(only(s)->severity, ALARM_MAJOR);
	cr_assert_str_eq(only(s)->message,
			 "Data plane is not running: forwarder pcap is not running: no interface "
			 "wan9 here");
	alarm_eval_dataplane(s, "A-1", NULL, true, T0 + 3);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}

Test(alarms, a_round_keeps_what_still_holds_and_clears_what_is_gone)
{
	struct alarm_store *s = alarm_store_new("n", 100);

	alarm_round_begin(s);
	alarm_raise(s, "peer-cert:B", ALARM_CRITICAL, "B", "PEER", "svrd", "b", T0);
	alarm_raise(s, "peer-cert:C", ALARM_CRITICAL, "C", "PEER", "svrd", "c", T0);
	alarm_raise(s, "local-cert", ALARM_MINOR, "A", "CERTIFICATE", "svrd", "l", T0);
	alarm_round_end(s, "peer-", T0);
	cr_assert_eq(alarm_count(s), 3);
	/* peer C is no longer configured: only B is evaluated */
	alarm_round_begin(s);
	alarm_raise(s, "peer-cert:B", ALARM_CRITICAL, "B", "PEER", "svrd", "b", T0 + 1);
	alarm_round_end(s, "peer-", T0 + 1);
	cr_assert_eq(alarm_count(s), 2);
	cr_assert_not_null(alarm_find(s, "peer-cert:B"));
	cr_assert_eq(alarm_find(s, "peer-cert:B")->number, 1, "B's alarm was raised anew");
	cr_assert_eq(alarm_find(s, "peer-cert:B")->time_s, T0, "B's alarm time moved");
	cr_assert_null(alarm_find(s, "peer-cert:C"));
	cr_assert_not_null(alarm_find(s, "local-cert"), "another prefix was swept");
	cr_assert_eq(alarm_event_count(s), 4);
	alarm_store_free(s);
}

/* The trust alarms of issue 12: a refused key (CRITICAL, naming the
 * command), a refused certificate while another is pinned (MAJOR), key
 * management not running (CRITICAL), an unreadable CRL (MAJOR under
 * fail-soft, CRITICAL under fail-hard); each cleared when its cause goes. */
Test(conditions, trust_alarms_raise_and_clear)
{
	struct alarm_store *s = alarm_store_new("n", 100);
	const struct alarm *a;

	alarm_eval_peer_key(s, "B", true, "aaaa", "bbbb", 10);
	a = alarm_find(s, "peer-key:B");
	cr_assert_not_null(a);
	cr_assert_eq(a->severity, ALARM_CRITICAL);
	cr_assert(strstr(a->message, "security peer-key accept B") != NULL, "%s", a->message);
	alarm_eval_peer_key(s, "B", false, NULL, NULL, 11);
	cr_assert_null(alarm_find(s, "peer-key:B"));

	alarm_eval_peer_refused(s, "B", "wrong name", "CN is X", true, 12);
	a = alarm_find(s, "peer-refused:B");
	cr_assert_not_null(a);
	cr_assert_eq(a->severity, ALARM_MAJOR);
	cr_assert(strstr(a->message, "refused (wrong name - CN is X)") != NULL, "%s", a->message);
	alarm_eval_peer_refused(s, "B", "wrong name", "CN is X", false, 13);
	cr_assert_null(alarm_find(s, "peer-refused:B"),
		       "nothing pinned: the certificate alarm says it");
	alarm_eval_peer_refused(s, "B", "key changed", "x", true, 14);
	cr_assert_null(alarm_find(s, "peer-refused:B"), "a changed key has its own alarm");

	alarm_eval_key_management(s, "R", "the node identity cannot be loaded: no key", 15);
	a = alarm_find(s, "key-management");
	cr_assert_not_null(a);
	cr_assert_eq(a->severity, ALARM_CRITICAL);
	alarm_eval_key_management(s, "R", NULL, 16);
	cr_assert_null(alarm_find(s, "key-management"));

	alarm_eval_crl(s, "R", "file:///x cannot be read", false, 17);
	cr_assert_eq(alarm_find(s, "crl")->severity, ALARM_MAJOR);
	alarm_eval_crl(s, "R", "file:///x cannot be read", true, 18);
	cr_assert_eq(alarm_find(s, "crl")->severity, ALARM_CRITICAL);
	cr_assert(strstr(alarm_find(s, "crl")->message, "refused (fail-hard)") != NULL);
	alarm_eval_crl(s, "R", NULL, false, 19);
	cr_assert_eq(alarm_count(s), 0);
	alarm_store_free(s);
}
