/* DOC: configuration commands of the shell
 *
 * Configuration lines (config, LEAF VALUE, list entries, exit, set,
 * delete) go to svrd, which keeps this session's current level and edits
 * the shared candidate; the reply says where we are now, which is all the
 * prompt needs.  The transaction commands (show config, compare, validate,
 * commit, rollback, restore, export, import) are ordinary commands in every
 * mode.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "strbuf.h"
#include "svrsh.h"

/* The flat configuration ("config authority ...") as Junos's | display
 * set shows it: set commands, which svrsh takes back as they are. */
static char *as_set(const char *flat)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = flat; *p;) {
		size_t n = strcspn(p, "\n");

		if (strncmp(p, "config ", 7) == 0) {
			strbuf_adds(&sb, "set ");
			strbuf_addn(&sb, p + 7, n - 7);
		} else {
			strbuf_addn(&sb, p, n);
		}
		p += n;
		if (*p == '\n')
			strbuf_addc(&sb, *p++);
	}
	return strbuf_steal(&sb);
}

/* Call op and print the reply's text: show config, compare. */
static int call_print_text(struct cli_def *cli, const char *op, struct json *args)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *data = svrsh_call(sh, op, args);
	char *set;

	if (!data)
		return CLI_ERROR;
	set = sh->display_set ? as_set(json_get_str(data, "text", "")) : NULL;
	sh->display_set = false;
	print_text(cli, set ? set : json_get_str(data, "text", ""));
	free(set);
	json_free(data);
	return CLI_OK;
}

static int cmd_show_config(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *args = json_new_object();
	const char *ds = "running";
	struct strbuf path = STRBUF_INIT;

	(void)command;
	for (int i = 0; i < argc; i++) {
		static const char *const words[] = {"running", "candidate", "verbose",
						    "flat",    "json",	    NULL};
		bool amb;
		const char *w = svrsh_keyword(argv[i], words, &amb);

		if (amb) {
			cli_error(cli,
				  "%% Error: show config: '%s' is ambiguous (running, candidate, "
				  "verbose, flat, json)",
				  argv[i]);
			json_free(args);
			strbuf_free(&path);
			return CLI_ERROR;
		}
		if (w && (strcmp(w, "running") == 0 || strcmp(w, "candidate") == 0))
			ds = w;
		else if (w && strcmp(w, "verbose") == 0)
			json_set(args, "verbose", json_new_bool(true));
		else if (w && strcmp(w, "flat") == 0)
			json_set(args, "format", json_new_str("flat"));
		else if (w && strcmp(w, "json") == 0)
			json_set(args, "format", json_new_str("json"));
		else if (i == 0) {
			cli_error(cli,
				  "%% Error: show config: running, candidate or history, not '%s'",
				  argv[i]);
			json_free(args);
			strbuf_free(&path);
			return CLI_ERROR;
		} else
			strbuf_addf(&path, "%s%s", path.len ? " " : "", argv[i]);
	}
	if (path.len)
		json_set(args, "path", json_new_str(strbuf_str(&path)));
	strbuf_free(&path);
	json_set(args, "datastore", json_new_str(ds));
	if (sh->display_json)
		json_set(args, "format", json_new_str("json"));
	if (sh->display_set)
		json_set(args, "format", json_new_str("flat"));
	return call_print_text(cli, "get-config", args);
}

static int cmd_show_history(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *data, *list;

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show config history takes no argument");
		return CLI_ERROR;
	}
	render_begin(cli);
	data = svrsh_call(sh, "history", NULL);
	if (!data)
		return CLI_ERROR;
	list = json_get(data, "commits");
	if (sh->display_json) {
		print_json(cli, data);
		json_free(data);
		return CLI_OK;
	}
	render_header(cli, "commit history");
	cli_print(cli, "%s", "");
	cli_print(cli, "%-8s %-16s %-20s %s", "Commit", "User", "Time", "Comment");
	cli_print(cli, "%-8s %-16s %-20s %s", "======", "====", "====", "=======");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *c = json_at(list, i);
		time_t t = (time_t)(json_get_int(c, "time-ms", 0) / 1000);
		struct tm tm;
		char when[32], comment[300];

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(comment, sizeof(comment), "%s%s", json_get_str(c, "comment", ""),
			 json_get_int(c, "confirm-minutes", 0) ? " (commit confirmed)" : "");
		cli_print(cli, "%-8lld %-16s %-20s %s", (long long)json_get_int(c, "number", 0),
			  json_get_str(c, "user", ""), when, comment);
	}
	cli_print(cli, "%s", "");
	render_footer(cli);
	json_free(data);
	return CLI_OK;
}

static int simple_call(struct cli_def *cli, const char *op, struct json *args, const char *done)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *data = svrsh_call(sh, op, args);

	if (!data)
		return CLI_ERROR;
	if (done)
		cli_print(cli, "%s", done);
	json_free(data);
	svrsh_refresh_status(sh);
	return CLI_OK;
}

static int cmd_validate(struct cli_def *cli, const char *command, char **argv, int argc)
{
	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: validate takes no argument");
		return CLI_ERROR;
	}
	return simple_call(cli, "validate", NULL, "Candidate configuration validated");
}

/* When a pending commit confirmed rolls back (wall-clock ms), 0: none. */
static int64_t confirm_deadline(struct svrsh *sh)
{
	struct json *st = svrsh_call_quiet(sh, "config-status", NULL);
	int64_t dl = json_get_int(st, "confirm-deadline-ms", 0);

	json_free(st);
	return dl;
}

/* What a commit did: a new commit (that rolls back at its deadline unless
 * confirmed), the confirmation of a pending one, or nothing. */
static void commit_said(struct cli_def *cli, int64_t number, int64_t deadline, int64_t pending)
{
	char at[64];
	time_t t = (time_t)(deadline / 1000);
	struct tm tm;

	if (number && deadline) {
		localtime_r(&t, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %Z", &tm);
		cli_print(cli,
			  "Configuration committed (commit %lld); it rolls back at %s unless "
			  "another commit confirms it before",
			  (long long)number, at);
	} else if (number) {
		cli_print(cli, "Configuration committed (commit %lld)%s", (long long)number,
			  pending ? "; the pending commit confirmed is confirmed with it" : "");
	} else if (pending && !deadline) {
		cli_print(cli, "Commit confirmed: the configuration stays, no rollback is pending");
	} else if (!deadline) {
		cli_print(cli, "No changes to commit");
	}
}

static int cmd_commit(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *args = json_new_object(), *data;
	bool force = false, check = false;
	struct strbuf comment = STRBUF_INIT;
	int64_t pending;

	(void)command;
	for (int i = 0; i < argc; i++) {
		static const char *const words[] = {"force",   "check",	      "confirmed",
						    "comment", "best-effort", NULL};
		bool amb;
		const char *w = svrsh_keyword(argv[i], words, &amb);

		if (amb) {
			cli_error(cli,
				  "%% Error: commit: '%s' is ambiguous (check, confirmed, comment)",
				  argv[i]);
			goto fail;
		}
		if (w && strcmp(w, "force") == 0) {
			force = true;
		} else if (w && strcmp(w, "best-effort") == 0) {
			json_set(args, "best-effort", json_new_bool(true));
		} else if (w && strcmp(w, "check") == 0) {
			check = true;
		} else if (w && strcmp(w, "confirmed") == 0 && i + 1 < argc) {
			char *end;
			long m = strtol(argv[++i], &end, 10);

			if (*end || m < 1 || m > 65535) {
				cli_error(cli,
					  "%% Error: commit confirmed: '%s' is not 1..65535 "
					  "minutes",
					  argv[i]);
				goto fail;
			}
			json_set(args, "confirmed", json_new_int(m));
		} else if (w && strcmp(w, "comment") == 0 && i + 1 < argc) {
			/* the rest of the line is the comment */
			for (i++; i < argc; i++)
				strbuf_addf(&comment, "%s%s", comment.len ? " " : "", argv[i]);
		} else {
			cli_error(cli,
				  "%% Error: commit: unexpected '%s' (force, check, best-effort, "
				  "comment TEXT, confirmed MINUTES)",
				  argv[i]);
			goto fail;
		}
	}
	if (check) {
		json_free(args);
		strbuf_free(&comment);
		return simple_call(cli, "validate", NULL, "Candidate configuration validated");
	}
	if (!force && !svrsh_confirm(sh, "Are you sure you want to commit the candidate config?")) {
		cli_print(cli, "Commit aborted");
		goto fail_quiet;
	}
	json_set(args, "comment", json_new_str(strbuf_str(&comment)));
	strbuf_free(&comment);
	pending = confirm_deadline(sh);
	data = svrsh_call(sh, "commit", args);
	if (!data)
		return CLI_ERROR;
	commit_said(cli, json_get_int(data, "number", 0),
		    json_get_int(data, "confirm-deadline-ms", 0), pending);
	{
		const struct json *left = json_get(data, "out-of-sync");

		for (size_t i = 0; i < json_len(left); i++)
			cli_print(cli, "Router %s did not take it, out of sync: %s",
				  json_get_str(json_at(left, i), "router", "?"),
				  json_get_str(json_at(left, i), "reason", "?"));
	}
	json_free(data);
	svrsh_refresh_status(sh);
	return CLI_OK;
fail:
	json_free(args);
	strbuf_free(&comment);
	return CLI_ERROR;
fail_quiet:
	json_free(args);
	strbuf_free(&comment);
	return CLI_OK;
}

static int cmd_compare(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args = json_new_object();
	int i = 0;

	(void)command;
	if (argc > 0 && strcmp(argv[0], "config") == 0)
		i = 1;
	/* Junos's "compare rollback N": commit N (our numbers, as rollback
	 * takes them) against the candidate */
	if (argc - i == 2 && strcmp(argv[i], "rollback") == 0) {
		json_set(args, "old", json_new_str(argv[i + 1]));
		return call_print_text(cli, "compare", args);
	}
	if (argc - i > 2) {
		cli_error(cli, "%% Error: compare config [OLD] [NEW], or compare rollback N");
		json_free(args);
		return CLI_ERROR;
	}
	if (i < argc)
		json_set(args, "old", json_new_str(argv[i]));
	if (i + 1 < argc)
		json_set(args, "new", json_new_str(argv[i + 1]));
	return call_print_text(cli, "compare", args);
}

static int cmd_rollback(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args;
	char *end;
	long n;

	(void)command;
	if (argc == 1 && strcmp(argv[0], "0") == 0) {
		/* Junos counts back from now; these are the history's numbers */
		cli_error(cli, "%% Error: rollback takes a commit number from show config history "
			       "(1 is the first commit, not the last); to drop uncommitted changes "
			       "as Junos's rollback 0 does: restore config running");
		return CLI_ERROR;
	}
	if (argc != 1 || (n = strtol(argv[0], &end, 10)) <= 0 || *end) {
		cli_error(cli, "%% Error: rollback needs a commit number (show config history)");
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "number", json_new_int(n));
	return simple_call(
		cli, "rollback", args,
		"Commit loaded into the candidate; review with compare config, then commit");
}

static int cmd_restore(struct cli_def *cli, const char *command, char **argv, int argc)
{
	(void)command;
	if (argc != 2 || strcmp(argv[0], "config") != 0 || strcmp(argv[1], "running") != 0) {
		cli_error(cli, "%% Error: restore config running");
		return CLI_ERROR;
	}
	return simple_call(cli, "discard", NULL, "Candidate configuration restored from running");
}

static int cmd_export(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args;

	(void)command;
	if (argc < 3 || argc > 4 || strcmp(argv[0], "config") != 0 ||
	    (strcmp(argv[1], "running") != 0 && strcmp(argv[1], "candidate") != 0) ||
	    (argc == 4 && strcmp(argv[3], "json") != 0)) {
		cli_error(cli, "%% Error: export config running|candidate NAME [json]");
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "datastore", json_new_str(argv[1]));
	json_set(args, "name", json_new_str(argv[2]));
	if (argc == 4)
		json_set(args, "format", json_new_str("json"));
	return simple_call(cli, "export", args, "Configuration exported");
}

static int cmd_import(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args;

	(void)command;
	if (argc != 2 || strcmp(argv[0], "config") != 0) {
		cli_error(cli, "%% Error: import config NAME");
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "name", json_new_str(argv[1]));
	return simple_call(cli, "import", args,
			   "Configuration imported into the candidate; commit to apply it");
}

/* Forward "WORD args..." to svrd as a configuration line. */
static int forward(struct cli_def *cli, const char *word, char **argv, int argc)
{
	struct strbuf line = STRBUF_INIT;
	int rc;

	strbuf_adds(&line, word);
	for (int i = 0; i < argc; i++) {
		bool q = !*argv[i] || strpbrk(argv[i], " \t\"\\#\n");

		strbuf_addc(&line, ' ');
		if (q)
			strbuf_addc(&line, '"');
		for (const char *p = argv[i]; *p; p++) {
			if (q && (*p == '"' || *p == '\\'))
				strbuf_addc(&line, '\\');
			strbuf_addc(&line, *p);
		}
		if (q)
			strbuf_addc(&line, '"');
	}
	rc = svrsh_config_line(svrsh_of(cli), strbuf_str(&line));
	strbuf_free(&line);
	return rc == CLI_OK ? CLI_OK : CLI_ERROR;
}

static int cmd_configure(struct cli_def *cli, const char *command, char **argv, int argc)
{
	(void)command;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "exclusive") != 0)) {
		cli_error(cli, "%% Error: configure [exclusive]");
		return CLI_ERROR;
	}
	return forward(cli, "configure", argv, argc);
}

/* set config local-override [enabled|disabled] (SSR's words): on a router
 * managed by a conductor, keep local changes and hold the conductor's
 * aside, or let the conductor's configuration apply again. */
static int local_override(struct cli_def *cli, char **argv, int argc)
{
	struct json *args = json_new_object(), *data;
	bool on = argc == 0 || strcmp(argv[0], "enabled") == 0;

	if (argc > 1 || (argc == 1 && !on && strcmp(argv[0], "disabled") != 0)) {
		json_free(args);
		cli_error(cli, "%% Error: set config local-override [enabled|disabled], not '%s'",
			  argv[argc > 1 ? 1 : 0]);
		return CLI_ERROR;
	}
	json_set(args, "enabled", json_new_bool(on));
	if (!(data = svrsh_call(svrsh_of(cli), "local-override", args)))
		return CLI_ERROR;
	if (on)
		cli_print(cli,
			  "Local override is on: local changes are kept and the conductor's are "
			  "held aside%s",
			  json_get_bool(data, "enrolled", false)
				  ? ""
				  : " (this router has not enrolled with a conductor)");
	else
		cli_print(cli,
			  "Local override is off: the conductor's configuration applies "
			  "again (local changes are replaced when it next reaches this router)");
	json_free(data);
	return CLI_OK;
}

static int cmd_set(struct cli_def *cli, const char *command, char **argv, int argc)
{
	(void)command;
	if (argc >= 2 && !strcmp(argv[0], "config") && !strcmp(argv[1], "local-override"))
		return local_override(cli, argv + 2, argc - 2);
	return forward(cli, "set", argv, argc);
}

/* Is there something at the words of a delete in the candidate?  (true
 * when svrd cannot say: the delete itself will) */
static bool delete_target_exists(struct svrsh *sh, char **argv, int argc)
{
	struct json *args = json_new_object(), *d;
	struct strbuf path = STRBUF_INIT;

	for (int i = 0; i < argc; i++)
		strbuf_addf(&path, "%s%s", i ? " " : "", argv[i]);
	json_set(args, "datastore", json_new_str("candidate"));
	json_set(args, "path", json_new_str(strbuf_str(&path)));
	strbuf_free(&path);
	d = svrsh_call_quiet(sh, "get-config", args);
	json_free(d);
	return d != NULL;
}

static int cmd_delete(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);

	(void)command;
	/* a whole entry goes only when the operator says so; nothing there
	 * is said by svrd's error at once, without the question */
	if (argc >= 2 && strcmp(argv[argc - 1], "force") != 0 && !sh->batch &&
	    delete_target_exists(sh, argv, argc) &&
	    !svrsh_confirm(sh, "Are you sure you want to delete it?")) {
		cli_print(cli, "Delete aborted");
		return CLI_OK;
	}
	return forward(cli, "delete", argv, argc);
}

static int cmd_exit(struct cli_def *cli, const char *command, char **argv, int argc)
{
	(void)command;
	if (!svrsh_of(cli)->config_mode)
		return CLI_QUIT;
	return forward(cli, "exit", argv, argc);
}

static int cmd_level(struct cli_def *cli, const char *command, char **argv, int argc)
{
	if (!svrsh_of(cli)->config_mode) {
		cli_error(cli, "%% Error: %s works in configuration mode", command);
		return CLI_ERROR;
	}
	return forward(cli, command, argv, argc);
}

int config_show_level(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *st, *args;
	const char *where;
	int rc;

	if (argc) {
		/* as libcli says it of any other unknown command */
		struct strbuf line = STRBUF_INIT;

		strbuf_adds(&line, command);
		for (int i = 0; i < argc; i++)
			strbuf_addf(&line, " %s", argv[i]);
		cli_error(cli, "%% Error: unknown command \"%s\"", strbuf_str(&line));
		strbuf_free(&line);
		return CLI_ERROR;
	}
	if (!sh->config_mode) {
		cli_error(cli, "%% Error: %s what? (show ? lists what it shows)", command);
		return CLI_ERROR;
	}
	st = svrsh_call(sh, "config-status", NULL);
	if (!st)
		return CLI_ERROR;
	where = json_get_str(st, "where", "");
	args = json_new_object();
	json_set(args, "datastore", json_new_str("candidate"));
	if (*where)
		json_set(args, "path", json_new_str(where));
	if (sh->display_json)
		json_set(args, "format", json_new_str("json"));
	if (sh->display_set)
		json_set(args, "format", json_new_str("flat"));
	rc = call_print_text(cli, "get-config", args);
	json_free(st);
	return rc;
}

static int cmd_where(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *st = svrsh_call(svrsh_of(cli), "config-status", NULL);
	const char *where = json_get_str(st, "where", "");

	(void)command;
	(void)argv;
	(void)argc;
	if (!st)
		return CLI_ERROR;
	cli_print(cli, "config%s%s", *where ? " " : "", where);
	json_free(st);
	return CLI_OK;
}

static int cmd_do(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct strbuf line = STRBUF_INIT;
	int rc;

	for (int i = 0; i < argc; i++)
		strbuf_addf(&line, "%s%s", i ? " " : "", argv[i]);
	if (!line.len) {
		cli_error(cli, "%% Error: %s COMMAND: which operational command?", command);
		return CLI_ERROR;
	}
	rc = cli_run_command(cli, strbuf_str(&line));
	strbuf_free(&line);
	return rc;
}

/* What follows each command, for ? and TAB (complete.c). */
static const struct arg_slot configure_args[] = {
	{"exclusive", NULL, "Lock the candidate: only you change it until you leave", ARG_OPTIONAL,
	 NULL},
	{0},
};
static const struct arg_slot show_config_args[] = {
	{"running|candidate", NULL, "Which configuration (running by default)", ARG_OPTIONAL, NULL},
	{"verbose", NULL, "With the default values", ARG_OPTIONAL, NULL},
	{"flat", NULL, "As set commands, one per line", ARG_OPTIONAL, NULL},
	{"json", NULL, "As YANG data in JSON (RFC 7951)", ARG_OPTIONAL, NULL},
	{NULL, "path", "Only this part of the configuration", ARG_OPTIONAL | ARG_PATH, NULL},
	{0},
};
static const struct arg_slot compare_args[] = {
	{"config", NULL, "The configuration", ARG_OPTIONAL, NULL},
	{"rollback", "number",
	 "Commit N (show config history's number, as rollback takes it) against the candidate",
	 ARG_OPTIONAL, NULL},
	{NULL, "old", "running, candidate, or a commit number (running by default)", ARG_OPTIONAL,
	 NULL},
	{NULL, "new", "running, candidate, or a commit number (candidate by default)", ARG_OPTIONAL,
	 NULL},
	{0},
};
static const struct arg_slot commit_args[] = {
	{"force", NULL, "Commit without the question, and with warnings", ARG_OPTIONAL, NULL},
	{"check", NULL, "Only validate the candidate", ARG_OPTIONAL, NULL},
	{"best-effort", NULL,
	 "On the conductor: routers that refuse are left out of sync, not failing the commit",
	 ARG_OPTIONAL, NULL},
	{"confirmed", "minutes", "Roll back unless confirmed within 1..65535 minutes", ARG_OPTIONAL,
	 NULL},
	{"comment", "text", "A note for the commit history (the rest of the line)",
	 ARG_OPTIONAL | ARG_REST, NULL},
	{0},
};
static const struct arg_slot rollback_args[] = {
	{NULL, "number", "A commit number from show config history", 0, NULL},
	{0},
};
static const struct arg_slot restore_args[] = {
	{"config", NULL, "The configuration", 0, NULL},
	{"running", NULL, "Drop uncommitted changes: the candidate is running again", 0, NULL},
	{0},
};
static const struct arg_slot export_args[] = {
	{"config", NULL, "The configuration", 0, NULL},
	{"running|candidate", NULL, "Which configuration", 0, NULL},
	{NULL, "name", "A file name in svrd's export folder", 0, NULL},
	{"json", NULL, "As YANG data in JSON (RFC 7951)", ARG_OPTIONAL, NULL},
	{0},
};
static const struct arg_slot import_args[] = {
	{"config", NULL, "The configuration", 0, NULL},
	{NULL, "name", "A file in svrd's export folder", 0, NULL},
	{0},
};
static const struct arg_slot up_args[] = {
	{NULL, "levels", "How many levels up (1 by default)", ARG_OPTIONAL, NULL},
	{0},
};

/* The top-level commands of this family, in the order help lists them. */
static const struct {
	const char *name;
	int (*cb)(struct cli_def *, const char *, char **, int);
	int mode;
	const char *help;
	const struct arg_slot *args;
} top_commands[] = {
	{"configure", cmd_configure, MODE_EXEC, "Enter configuration mode: configure [exclusive]",
	 configure_args},
	{"config", cmd_configure, MODE_EXEC, "Enter configuration mode (as configure)",
	 configure_args},
	{"set", cmd_set, MODE_ANY, "set PATH VALUE: change one value, from the top", NULL},
	{"delete", cmd_delete, MODE_ANY,
	 "delete PATH [force]: remove a value or an entry, from the top", NULL},
	{"exit", cmd_exit, MODE_ANY,
	 "Go up one level (at the top: leave configuration mode, or the shell)", NULL},
	{"up", cmd_level, MODE_CONFIG, "Go up N levels", up_args},
	{"top", cmd_level, MODE_CONFIG, "Go to the top of the configuration", NULL},
	{"where", cmd_where, MODE_CONFIG, "Print the current level as a command", NULL},
	/* complete.c reads what follows do and run as an operational line */
	{"do", cmd_do, MODE_CONFIG,
	 "do COMMAND: run an operational command from configuration mode", NULL},
	{"run", cmd_do, MODE_CONFIG, "run COMMAND: as do (Junos's name)", NULL},
	{"compare", cmd_compare, MODE_ANY,
	 "compare config [OLD] [NEW]: commands turning OLD into NEW", compare_args},
	{"validate", cmd_validate, MODE_ANY, "Validate the candidate configuration", NULL},
	{"commit", cmd_commit, MODE_ANY,
	 "Commit the candidate: [force] [check] [confirmed MINUTES] [comment TEXT]", commit_args},
	{"rollback", cmd_rollback, MODE_ANY, "Load commit N into the candidate", rollback_args},
	{"restore", cmd_restore, MODE_ANY, "restore config running: discard uncommitted changes",
	 restore_args},
	{"export", cmd_export, MODE_ANY, "export config running|candidate NAME [json]",
	 export_args},
	{"import", cmd_import, MODE_ANY, "import config NAME: load an export into the candidate",
	 import_args},
};

struct cli_command *config_commands_register(struct svrsh *sh, struct cli_command *show)
{
	struct cli_def *cli = sh->cli;
	struct cli_command *c;

	/* libcli's own exit leaves the shell; ours goes up a level first */
	cli_unregister_command(cli, "exit");
	for (size_t i = 0; i < sizeof(top_commands) / sizeof(top_commands[0]); i++)
		svrsh_args(cli_register_command(cli, NULL, top_commands[i].name, top_commands[i].cb,
						PRIVILEGE_UNPRIVILEGED, top_commands[i].mode,
						top_commands[i].help),
			   top_commands[i].args);
	c = cli_register_command(cli, show, "config", cmd_show_config, PRIVILEGE_UNPRIVILEGED,
				 MODE_ANY, "Configuration: running | candidate [verbose] [flat]");
	svrsh_args(c, show_config_args);
	cli_register_command(cli, c, "history", cmd_show_history, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "The commit log: number, user, time, comment");
	return c;
}
