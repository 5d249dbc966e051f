/* The alarm store; see alarms.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "log.h"

struct alarm_store {
	char node[64];
	uint32_t round; /* evaluation round (alarm_round_begin) */
	uint32_t next_number;
	struct alarm *v;
	size_t n, cap;
	struct alarm_event *ev; /* ring */
	size_t ev_cap, ev_head, ev_n;
	alarm_listener listener;
	void *listener_arg;
};

struct alarm_store *alarm_store_new(const char *node, size_t history)
{
	struct alarm_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->node, sizeof(s->node), "%s", node ? node : "node");
	s->next_number = 1;
	s->ev_cap = history ? history : 1;
	s->ev = calloc(s->ev_cap, sizeof(*s->ev));
	if (!s->ev) {
		free(s);
		return NULL;
	}
	return s;
}

void alarm_store_free(struct alarm_store *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->ev);
	free(s);
}

const char *alarm_node(const struct alarm_store *s)
{
	return s->node;
}

const char *alarm_severity_name(enum alarm_severity sev)
{
	static const char *const n[] = {"INFO", "MINOR", "MAJOR", "CRITICAL"};

	return (unsigned)sev < 4 ? n[sev] : "?";
}

static void event(struct alarm_store *s, const struct alarm *a, bool raised, int64_t now)
{
	struct alarm_event *e = &s->ev[(s->ev_head + s->ev_n) % s->ev_cap];

	if (s->ev_n == s->ev_cap) {
		e = &s->ev[s->ev_head];
		s->ev_head = (s->ev_head + 1) % s->ev_cap;
	} else {
		s->ev_n++;
	}
	e->time_s = now;
	e->raised = raised;
	e->alarm = *a;
	log_info("alarm %s %s:%u %s %s: %s", raised ? "raised" : "cleared", s->node, a->number,
		 alarm_severity_name(a->severity), a->source, a->message);
	if (s->listener)
		s->listener(s->listener_arg, e);
}

void alarm_set_listener(struct alarm_store *s, alarm_listener fn, void *arg)
{
	if (!s)
		return;
	s->listener = fn;
	s->listener_arg = arg;
}

static struct alarm *find(const struct alarm_store *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return &s->v[i];
	return NULL;
}

const struct alarm *alarm_find(const struct alarm_store *s, const char *key)
{
	return find(s, key);
}

uint32_t alarm_raise(struct alarm_store *s, const char *key, enum alarm_severity sev,
		     const char *source, const char *category, const char *process,
		     const char *message, int64_t now)
{
	struct alarm *a = find(s, key);

	if (a) {
		/* the same condition: one alarm, updated if it changed */
		a->round = s->round;
		if (a->severity == sev && strcmp(a->message, message) == 0)
			return a->number;
		a->severity = sev;
		snprintf(a->message, sizeof(a->message), "%s", message);
		a->time_s = now;
		event(s, a, true, now);
		return a->number;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct alarm *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return 0;
		s->v = nv;
		s->cap = nc;
	}
	a = &s->v[s->n++];
	memset(a, 0, sizeof(*a));
	a->number = s->next_number++;
	a->round = s->round;
	snprintf(a->key, sizeof(a->key), "%s", key);
	a->time_s = now;
	a->severity = sev;
	snprintf(a->source, sizeof(a->source), "%s", source ? source : "");
	snprintf(a->category, sizeof(a->category), "%s", category ? category : "");
	snprintf(a->process, sizeof(a->process), "%s", process ? process : "svrd");
	snprintf(a->message, sizeof(a->message), "%s", message);
	event(s, a, true, now);
	return a->number;
}

bool alarm_clear(struct alarm_store *s, const char *key, int64_t now)
{
	struct alarm *a = find(s, key);

	if (!a)
		return false;
	event(s, a, false, now);
	memmove(a, a + 1, (size_t)(s->v + s->n - a - 1) * sizeof(*a));
	s->n--;
	return true;
}

size_t alarm_count(const struct alarm_store *s)
{
	return s->n;
}

const struct alarm *alarm_at(const struct alarm_store *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}

void alarm_events_clear(struct alarm_store *s)
{
	if (s)
		s->ev_head = s->ev_n = 0;
}

size_t alarm_event_count(const struct alarm_store *s)
{
	return s->ev_n;
}

const struct alarm_event *alarm_event_at(const struct alarm_store *s, size_t i)
{
	return i < s->ev_n ? &s->ev[(s->ev_head + i) % s->ev_cap] : NULL;
}

int alarm_cert_expiry(int64_t not_after, int64_t now)
{
	if (now >= not_after)
		return ALARM_CRITICAL;
	if (not_after - now <= 7 * 86400)
		return ALARM_MAJOR;
	if (not_after - now <= 30 * 86400)
		return ALARM_MINOR;
	return -1;
}

void alarm_round_begin(struct alarm_store *s)
{
	if (s)
		s->round++;
}

void alarm_round_end(struct alarm_store *s, const char *prefix, int64_t now)
{
	size_t i = 0;

	while (s && i < s->n) {
		struct alarm *a = &s->v[i];

		if (a->round != s->round && strncmp(a->key, prefix, strlen(prefix)) == 0) {
			char key[sizeof(a->key)];

			memcpy(key, a->key, sizeof(key));
			alarm_clear(s, key, now); /* moves the rest down */
		} else
			i++;
	}
}
