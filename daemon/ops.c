/* DOC: management operations
 *
 * The table of operations svrd serves on its management socket.  Each entry
 * says whether it changes state (and so needs a member of the admin group)
 * and returns data as JSON or an error object; it never prints.  The shell
 * renders the data; automation reads it as is.  doc/management-api.md lists
 * every operation with its arguments and reply.
 */
#include "config.h"

#include <ctype.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "alarms.h"
#include "crypto.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "svrd.h"

static struct json *identity(const struct svrd *d)
{
	struct json *o = json_new_object();

	json_set(o, "router", json_new_str(d->router));
	json_set(o, "node", json_new_str(d->node));
	return o;
}

/* "hello": who am I talking to, and who does svrd think I am. */
static int op_hello(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		    struct json **data, struct json **error)
{
	struct json *o = identity(d);

	(void)args;
	(void)error;
	json_set(o, "version", json_new_str(PACKAGE_VERSION));
	json_set(o, "user", json_new_str(peer->user));
	json_set(o, "access", json_new_str(peer->admin ? "read-write" : "read-only"));
	*data = o;
	return 0;
}

static int op_version(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	struct json *o = identity(d);
	struct utsname un;

	(void)peer;
	(void)args;
	(void)error;
	json_set(o, "version", json_new_str(PACKAGE_VERSION));
	json_set(o, "pid", json_new_int((int64_t)getpid()));
	json_set(o, "uptime-ms", json_new_int((int64_t)(ev_now_ms() - d->start_ms)));
	json_set(o, "openssl", json_new_str(crypto_version()));
	json_set(o, "libyang", json_new_str(LIBYANG_VERSION));
	if (uname(&un) == 0)
		json_set(o, "kernel", json_new_str(un.release));
	json_set(o, "management", mgmt_server_stats(d->mgmt));
	*data = o;
	return 0;
}

static struct json *alarm_json(const struct alarm_store *as, const struct alarm *a)
{
	struct json *o = json_new_object();
	char id[96];

	snprintf(id, sizeof(id), "%s:%u", alarm_node(as), a->number);
	json_set(o, "id", json_new_str(id));
	json_set(o, "time", json_new_int(a->time_s));
	json_set(o, "severity", json_new_str(alarm_severity_name(a->severity)));
	json_set(o, "source", json_new_str(a->source));
	json_set(o, "category", json_new_str(a->category));
	json_set(o, "process", json_new_str(a->process));
	json_set(o, "message", json_new_str(a->message));
	return o;
}

/* An alarm's category as the model's enumeration. */
static const char *category(const char *c)
{
	static const char *const map[][2] = {
		{"PEER", "peer"},	    {"CERTIFICATE", "certificate"},
		{"DATAPLANE", "dataplane"}, {"CONFIG", "configuration"},
		{"INTERFACE", "interface"}, {"KEY-MANAGEMENT", "key-management"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(c, map[i][0]) == 0)
			return map[i][1];
	return "system";
}

/* The active alarms in get-state's tree (state.h). */
static int alarm_fill(void *arg, struct lyd_node *router, struct lyd_node *node)
{
	const struct alarm_store *as = arg;
	int rc = 0;

	(void)node;
	for (size_t i = 0; i < alarm_count(as); i++) {
		const struct alarm *a = alarm_at(as, i);
		struct lyd_node *o = NULL;
		char id[96], sev[16];

		snprintf(id, sizeof(id), "%s:%u", alarm_node(as), a->number);
		snprintf(sev, sizeof(sev), "%s", alarm_severity_name(a->severity));
		for (char *c = sev; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (lyd_new_list(router, NULL, "alarm", 0, &o, id) != LY_SUCCESS)
			return -1;
		rc |= st_time(o, "time", a->time_s);
		rc |= st_leaf(o, "severity", "%s", sev);
		rc |= st_leaf(o, "source", "%s", a->source);
		rc |= st_leaf(o, "category", "%s", category(a->category));
		rc |= st_leaf(o, "process", "%s", a->process);
		rc |= st_leaf(o, "message", "%s", a->message);
	}
	return rc;
}

int alarms_register_state(struct svrd *d)
{
	return d->alarms ? svrd_state_register(d, alarm_fill, d->alarms) : -1;
}

static int op_get_alarms(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			 struct json **data, struct json **error)
{
	struct json *ev = json_new_array();

	(void)peer;
	(void)args;
	(void)error;
	for (size_t i = 0; d->alarms && i < alarm_event_count(d->alarms); i++) {
		const struct alarm_event *e = alarm_event_at(d->alarms, i);
		struct json *o = alarm_json(d->alarms, &e->alarm);

		json_set(o, "event", json_new_str(e->raised ? "raised" : "cleared"));
		json_set(o, "time", json_new_int(e->time_s));
		json_append(ev, o);
	}
	*data = json_new_object();
	json_set(*data, "events", ev);
	return 0;
}

/* svrd's recent log lines (lib/log.h), oldest first: the last "lines"
 * (50 by default, at most all that are kept). */
static int op_get_log(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	int64_t want = json_get_int(args, "lines", 50);
	size_t n = log_recent_count(), from;
	struct json *list = json_new_array();

	(void)d;
	(void)peer;
	if (want < 1 || want > LOG_RECENT) {
		json_free(list);
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL, "lines takes 1..%d, not %lld",
					LOG_RECENT, (long long)want);
		return -1;
	}
	from = n > (size_t)want ? n - (size_t)want : 0;
	for (size_t i = from; i < n; i++) {
		const struct log_line *l = log_recent_at(i);
		struct json *o = json_new_object();

		json_set(o, "time-ms", json_new_int(l->time_ms));
		json_set(o, "level", json_new_str(log_level_name(l->pri)));
		json_set(o, "message", json_new_str(l->text));
		json_append(list, o);
	}
	*data = json_new_object();
	json_set(*data, "lines", list);
	json_set(*data, "kept", json_new_int((int64_t)n));
	return 0;
}

/* clear: the alarm history ("events") or the data plane's counters
 * ("stats"); what is active (alarms, sessions) stays. */
static int op_clear(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		    struct json **data, struct json **error)
{
	const char *what = json_get_str(args, "what", "");

	if (strcmp(what, "events") == 0) {
		alarm_events_clear(d->alarms);
	} else if (strcmp(what, "stats") == 0) {
		dataplane_clear_stats(d->dataplane);
	} else if (strcmp(what, "session") == 0) {
		char why[160];
		const char *id = json_get_str(args, "id", "");

		if (dataplane_end_session(d->dataplane, id, why, sizeof(why)) < 0) {
			*error = mgmt_error_obj(MGMT_E_INVALID, NULL, "%s", why);
			return -1;
		}
		log_info("%s cleared session %s", peer->user, id);
		*data = json_new_object();
		return 0;
	} else {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"clear takes \"what\": events, stats or session, not '%s'",
					what);
		return -1;
	}
	log_info("%s cleared %s", peer->user, what);
	*data = json_new_object();
	return 0;
}

static int op_get_sessions(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			   struct json **data, struct json **error)
{
	(void)peer;
	(void)error;
	*data = dataplane_sessions(d->dataplane, args);
	return 0;
}

static const struct mgmt_op ops[] = {
	{"get-sessions", false, op_get_sessions},
	{"get-alarms", false, op_get_alarms},
	{"get-log", false, op_get_log},
	{"clear", true, op_clear},
	{"hello", false, op_hello},
	{"get-version", false, op_version},
};

const struct mgmt_op *mgmt_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return config_op_find(name);
}
