/* DOC: alarms and events
 *
 * The alarm store of a node.  Subsystems raise an alarm for a condition
 * (named by a key such as "cert-expiry:local" or "path-down:routerB:wan0:
 * 198.51.100.2") and clear it when the condition goes away: raising the same
 * key again updates that alarm instead of adding one, so a condition is
 * never two alarms.  Ids are NODE:N with N counting up.  Every raise and
 * clear is also an event, kept in a bounded history (the oldest go first),
 * and a syslog line.  Alarms are not saved: after a restart each subsystem
 * evaluates its conditions again and raises what still holds.  Time is the
 * caller's (seconds since the epoch), so tests run any clock.
 */
#ifndef SVR_ALARMS_H
#define SVR_ALARMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alarm_severity { ALARM_INFO, ALARM_MINOR, ALARM_MAJOR, ALARM_CRITICAL };

struct alarm {
	uint32_t number;
	char key[160];
	int64_t time_s;
	enum alarm_severity severity;
	char source[64];
	char category[32];
	char process[32];
	char message[256];
	uint32_t round; /* the evaluation round that last raised it */
};

struct alarm_event {
	int64_t time_s;
	bool raised; /* false: cleared */
	struct alarm alarm;
};

struct alarm_store;

struct alarm_store *alarm_store_new(const char *node, size_t event_history);
void alarm_store_free(struct alarm_store *s);
const char *alarm_node(const struct alarm_store *s);

/* Raise (or update) the alarm of key; returns its number. */
uint32_t alarm_raise(struct alarm_store *s, const char *key, enum alarm_severity sev,
		     const char *source, const char *category, const char *process,
		     const char *message, int64_t now_s);
/* Clear the alarm of key; false when there was none. */
bool alarm_clear(struct alarm_store *s, const char *key, int64_t now_s);

/* Evaluation rounds: a subsystem that re-evaluates all its conditions at
 * once begins a round, raises what holds, and ends the round for its key
 * prefix, which clears every alarm of that prefix not raised in the round
 * (conditions whose subject is gone: a peer removed from the
 * configuration).  Alarms that still hold keep their id and time. */
void alarm_round_begin(struct alarm_store *s);
void alarm_round_end(struct alarm_store *s, const char *prefix, int64_t now_s);

size_t alarm_count(const struct alarm_store *s);
const struct alarm *alarm_at(const struct alarm_store *s, size_t i); /* by number */
const struct alarm *alarm_find(const struct alarm_store *s, const char *key);
size_t alarm_event_count(const struct alarm_store *s);
/* Forget the history (clear events); the active alarms stay. */
void alarm_events_clear(struct alarm_store *s);
const struct alarm_event *alarm_event_at(const struct alarm_store *s, size_t i); /* oldest first */

const char *alarm_severity_name(enum alarm_severity sev);

/* fn hears every event as it is recorded (NETCONF notifications); one
 * listener, NULL for none. */
typedef void (*alarm_listener)(void *arg, const struct alarm_event *ev);
void alarm_set_listener(struct alarm_store *s, alarm_listener fn, void *arg);

/* The alarm a certificate calls for at now_s: -1 none, else the severity
 * (MINOR within 30 days of not_after, MAJOR within 7, CRITICAL after). */
int alarm_cert_expiry(int64_t not_after_s, int64_t now_s);

#endif
