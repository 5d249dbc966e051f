/* DOC: alarm commands
 *
 * show log (svrd's recent log lines), and
 * show alarms, show alarms id ID (the seed's layouts) from the active
 * alarms of the operational state (YANG data: severities and categories
 * by the model's names, times as date-and-time), and show events from
 * svrd's history of raised and cleared alarms.
 */
#include "config.h"

#include <ctype.h>
#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "svrsh.h"

static void when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* An enumeration as the seed shows it: CRITICAL, CERTIFICATE. */
static const char *upper(const char *v, char *buf, size_t len)
{
	size_t i = 0;

	for (; v && v[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)v[i]);
	buf[len ? i : 0] = '\0';
	return buf;
}

static struct json *fetch_alarms(struct cli_def *cli)
{
	struct svrsh *sh = svrsh_of(cli);

	render_begin(cli);
	return svrsh_call(sh, "get-alarms", NULL);
}

static const char RULE[] =
	"=============== ===================== ============ "
	"==================== ================ "
	"========================================================================";

/* The alarms on a terminal narrower than the seed's table: a line of
 * fields, the message under it, wrapped. */
static void alarms_narrow(struct cli_def *cli, const struct json *list)
{
	char t[32], sev[16], cat[32], rule[256];
	int w = render_width(cli) < (int)sizeof(rule) ? render_width(cli) : (int)sizeof(rule) - 1;

	memset(rule, '=', (size_t)w);
	rule[w] = '\0';
	cli_print(cli, "%s", rule);
	cli_print(cli, "%-16s %-9s %-12s %-20s %s", "ID", "Severity", "Category", "Time", "Source");
	cli_print(cli, "    Message");
	cli_print(cli, "%s", rule);
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *a = json_at(list, i);

		state_time_text(json_get_str(a, "time", ""), t, sizeof(t));
		cli_print(cli, "%-16s %-9s %-12s %-20s %s", json_get_str(a, "id", ""),
			  upper(json_get_str(a, "severity", ""), sev, sizeof(sev)),
			  upper(json_get_str(a, "category", ""), cat, sizeof(cat)), t,
			  json_get_str(a, "source", ""));
		render_wrapped(cli, "    ", json_get_str(a, "message", ""));
	}
	if (!json_len(list))
		cli_print(cli, "No active alarms.");
}

static int cmd_show_alarms(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	const struct json *router, *node, *list;
	struct json *d;
	char t[32], sev[16], cat[32];
	int rc;

	(void)command;
	if (argc == 2 && strcmp(argv[0], "id") == 0)
		return CLI_ERROR; /* handled by "show alarms id" */
	if (argc) {
		cli_error(cli, "%% Error: show alarms [id ID]");
		return CLI_ERROR;
	}
	rc = render_state(cli, "alarm", false, true, &d, &router, &node);
	if (!d)
		return rc;
	list = json_get(router, "alarm");
	if (render_width(cli) && render_width(cli) < (int)strlen(RULE)) {
		alarms_narrow(cli, list);
		pager_end(sh);
		json_free(d);
		return CLI_OK;
	}
	cli_print(cli, "%s", RULE);
	cli_print(cli, "%s", "");
	cli_print(cli, "      %-15s %-17s %-11s %-19s %-15s %s", "ID", "Time", "Severity", "Source",
		  "Category", "Message");
	cli_print(cli, "%s", "");
	cli_print(cli, "%s", RULE);
	cli_print(cli, "%s", "");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *a = json_at(list, i);

		state_time_text(json_get_str(a, "time", ""), t, sizeof(t));
		cli_print(cli, "%-16s %-21s %-11s %-20s %-16s %s", json_get_str(a, "id", ""), t,
			  upper(json_get_str(a, "severity", ""), sev, sizeof(sev)),
			  json_get_str(a, "source", ""),
			  upper(json_get_str(a, "category", ""), cat, sizeof(cat)),
			  json_get_str(a, "message", ""));
	}
	if (!json_len(list))
		cli_print(cli, "No active alarms.");
	pager_end(sh);
	json_free(d);
	return CLI_OK;
}

static void alarm_detail(struct cli_def *cli, const char *id, const struct json *a)
{
	char t[32], rule[93], w[32];

	render_header(cli, "alarms");
	memset(rule, '=', 92);
	rule[92] = '\0';
	cli_print(cli, "%s", rule);
	cli_print(cli, "%s", id);
	cli_print(cli, "%s", rule);
	state_time_text(json_get_str(a, "time", ""), t, sizeof(t));
	cli_print(cli, "Time: %s", t);
	cli_print(cli, "Severity: %s", upper(json_get_str(a, "severity", ""), w, sizeof(w)));
	cli_print(cli, "Source: %s", json_get_str(a, "source", ""));
	cli_print(cli, "Category: %s", upper(json_get_str(a, "category", ""), w, sizeof(w)));
	cli_print(cli, "Process: %s", json_get_str(a, "process", ""));
	cli_print(cli, "Message: %s", json_get_str(a, "message", ""));
	render_footer(cli);
}

static int cmd_show_alarm_id(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	const struct json *router, *node, *list;
	struct json *d;
	bool json = sh->display_json;

	const char *id = cli_get_optarg_value(cli, "alarm-id", NULL);

	(void)command;
	if (argc == 1 && !id)
		id = argv[0];
	if (!id || argc > 1) {
		cli_error(cli, "%% Error: show alarms id ID (NODE:N, see show alarms)");
		return CLI_ERROR;
	}
	sh->display_json = false; /* the one alarm, not the list */
	render_state(cli, "alarm", false, true, &d, &router, &node);
	sh->display_json = json;
	if (!d)
		return CLI_ERROR;
	list = json_get(router, "alarm");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *a = json_at(list, i);

		if (strcmp(json_get_str(a, "id", ""), id) != 0)
			continue;
		if (json)
			print_json(cli, a);
		else
			alarm_detail(cli, id, a);
		json_free(d);
		return CLI_OK;
	}
	json_free(d);
	cli_error(cli, "%% Error: no active alarm %s (show alarms lists them)", id);
	return CLI_ERROR;
}

static int cmd_show_events(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *d, *list;
	char t[32], prefix[160];

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show events takes no argument");
		return CLI_ERROR;
	}
	d = fetch_alarms(cli);
	if (!d)
		return CLI_ERROR;
	list = json_get(d, "events");
	if (sh->display_json) {
		print_json(cli, list);
		json_free(d);
		return CLI_OK;
	}
	render_header(cli, "events");
	cli_print(cli, "%s", "");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *e = json_at(list, i);

		when(json_get_int(e, "time", 0), t, sizeof(t));
		snprintf(prefix, sizeof(prefix), "%s  %-7s  %-16s %-8s  ", t,
			 json_get_str(e, "event", ""), json_get_str(e, "id", ""),
			 json_get_str(e, "severity", ""));
		render_wrapped(cli, prefix, json_get_str(e, "message", ""));
	}
	cli_print(cli, "%s", "");
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

static int complete_alarm_id(struct cli_def *cli, const char *name, const char *word,
			     struct cli_comphelp *ch)
{
	(void)name;
	return state_complete(cli, "alarm", "id", word, ch);
}

/* show log [N]: svrd's last N log lines (50), oldest first. */
static int cmd_show_log(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *args = json_new_object(), *d;
	const struct json *lines;
	char *end;
	long n = 50;

	(void)command;
	if (argc > 1 || (argc == 1 && ((n = strtol(argv[0], &end, 10)) < 1 || *end))) {
		json_free(args);
		cli_error(cli, "%% Error: show log [LINES] (1..500, 50 by default)");
		return CLI_ERROR;
	}
	json_set(args, "lines", json_new_int(n));
	render_begin(cli);
	d = svrsh_call(sh, "get-log", args);
	if (!d)
		return CLI_ERROR;
	lines = json_get(d, "lines");
	if (sh->display_json) {
		print_json(cli, lines);
		json_free(d);
		return CLI_OK;
	}
	render_header(cli, "log");
	for (size_t i = 0; i < json_len(lines); i++) {
		const struct json *l = json_at(lines, i);
		time_t t = (time_t)(json_get_int(l, "time-ms", 0) / 1000);
		struct tm tm;
		char at[32], prefix[64];

		localtime_r(&t, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(prefix, sizeof(prefix), "%s %-8s ", at, json_get_str(l, "level", ""));
		render_wrapped(cli, prefix, json_get_str(l, "message", ""));
	}
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

/* clear events | clear stats: svrd forgets the alarm history, or counts
 * the data plane from zero; what is active stays. */
static int cmd_clear(struct cli_def *cli, const char *command, char **argv, int argc)
{
	const char *what = strrchr(command, ' ') ? strrchr(command, ' ') + 1 : command;
	struct json *args, *d;

	if (argc) {
		cli_error(cli, "%% Error: %s takes no argument, not '%s'", command, argv[0]);
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "what", json_new_str(what));
	d = svrsh_call(svrsh_of(cli), "clear", args);
	if (!d)
		return CLI_ERROR;
	cli_print(cli, "%s",
		  strcmp(what, "events") == 0 ? "Alarm history cleared; the active alarms stay"
					      : "Data plane counters cleared; the sessions stay");
	json_free(d);
	return CLI_OK;
}

static const struct arg_slot log_args[] = {
	{NULL, "lines", "How many of the last lines (50 by default)", ARG_OPTIONAL, NULL},
	{0},
};

struct cli_command *alarm_commands_register(struct svrsh *sh, struct cli_command *show)
{
	struct cli_command *cl;

	struct cli_command *al, *id;

	al = cli_register_command(sh->cli, show, "alarms", cmd_show_alarms, PRIVILEGE_UNPRIVILEGED,
				  MODE_ANY, "Active alarms of this node");
	id = cli_register_command(sh->cli, al, "id", cmd_show_alarm_id, PRIVILEGE_UNPRIVILEGED,
				  MODE_ANY, "One alarm in detail: id NODE:N");
	if (id)
		cli_register_optarg(id, "alarm-id", CLI_CMD_ARGUMENT, PRIVILEGE_UNPRIVILEGED,
				    MODE_ANY, "An active alarm, NODE:N (TAB: the active ones)",
				    complete_alarm_id, NULL, NULL);
	cli_register_command(sh->cli, show, "events", cmd_show_events, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "Alarms raised and cleared, oldest first");
	svrsh_args(cli_register_command(sh->cli, show, "log", cmd_show_log, PRIVILEGE_UNPRIVILEGED,
					MODE_ANY, "svrd's last log lines: [LINES] (50 by default)"),
		   log_args);
	cl = cli_register_command(sh->cli, NULL, "clear", render_needs_more, PRIVILEGE_UNPRIVILEGED,
				  MODE_ANY, "Clear a history, the counters, a session");
	cli_register_command(sh->cli, cl, "events", cmd_clear, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Forget the alarm history (active alarms stay)");
	cli_register_command(sh->cli, cl, "stats", cmd_clear, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Count the data plane from zero (sessions stay)");
	return cl;
}
