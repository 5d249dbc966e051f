/* DOC: svrsh
 *
 * The operator's shell.  It holds nothing durable: every command becomes a
 * request to svrd over the management socket.  Interactive use runs the
 * shell's own line editor (lineedit.c) on the terminal in raw mode; batch
 * use (-c, -f, or a standard input that is not a terminal) sends its lines
 * the same way (run_line: the shell's commands to libcli's table,
 * configuration lines to svrd), prints no prompt (unless --echo) and asks
 * no question, and the exit status says whether every command succeeded.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libcli.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "json.h"
#include "mgmt.h"
#include "sock.h"
#include "strbuf.h"
#include "svrsh.h"
#include "utf8.h"

#define BATCH_LINE_MAX (CLI_MAX_LINE_LENGTH - 1)

/* libcli reports its own parse errors in its own words; say them the way
 * every other svrsh error is said. */
static const char *translate(const char *line, char *buf, size_t len)
{
	static const struct {
		const char *prefix, *say;
	} map[] = {
		{"Invalid command ", "% Error: unknown command "},
		{"Ambiguous command ", "% Error: ambiguous command "},
		{"Incomplete command", "% Error: incomplete command"},
		{"Missing required argument ", "% Error: missing value for "},
		{"Extra arguments on command line", "% Error: extra arguments on command line"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].prefix);

		if (strncmp(line, map[i].prefix, n) == 0) {
			snprintf(buf, len, "%s%s", map[i].say, line + n);
			return buf;
		}
	}
	return line;
}

/* Both print callbacks print lines as svrsh_clean() leaves them: what
 * svrd sends may quote other routers. */
static void print_batch(struct cli_def *cli, const char *line)
{
	char buf[CLI_MAX_LINE_LENGTH + 64];
	char *clean = svrsh_clean(line);

	(void)cli;
	fputs(translate(clean ? clean : "", buf, sizeof(buf)), stdout);
	fputc('\n', stdout);
	free(clean);
}

/* The terminal is raw (no output processing): end lines with CR LF. */
static void print_tty(struct cli_def *cli, const char *line)
{
	char buf[CLI_MAX_LINE_LENGTH + 64];
	char *clean = svrsh_clean(line);
	const char *out = translate(clean ? clean : "", buf, sizeof(buf));

	if (pager_allow(svrsh_of(cli), line) &&
	    sock_write_all(STDOUT_FILENO, out, strlen(out)) == 0)
		sock_write_all(STDOUT_FILENO, "\r\n", 2);
	free(clean);
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Refuse what cannot be a command before it reaches libcli or svrd: NUL
 * and other control bytes, invalid UTF-8, lines past libcli's limit. */
static bool line_ok(const char *line, size_t n, long lineno)
{
	size_t len = n;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (strlen(line) != n) {
		printf("%% Error: line %ld contains a NUL byte\n", lineno);
		return false;
	}
	if (n > BATCH_LINE_MAX) {
		printf("%% Error: line %ld is %zu bytes long; the limit is %d\n", lineno, n,
		       BATCH_LINE_MAX);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			printf("%% Error: line %ld contains the control character 0x%02x at column "
			       "%zu\n",
			       lineno, c, i + 1);
			return false;
		}
	}
	if (!utf8_valid(line, len)) {
		printf("%% Error: line %ld is not valid UTF-8\n", lineno);
		return false;
	}
	return true;
}

/* Is the first word of cmd an abbreviation of several commands of the
 * current mode?  (libcli would pick one of them.) */
static bool shell_ambiguous(struct svrsh *sh, const char *cmd, char *cands, size_t len)
{
	size_t n = strcspn(cmd, " \t"), used = 0;
	int hits = 0;
	void *first = NULL;
	bool same = true;

	cands[0] = '\0';
	for (struct cli_command *c = sh->cli->commands; c; c = c->next) {
		if ((c->mode != MODE_ANY && c->mode != sh->cli->mode) ||
		    c->command_type == CLI_FILTER_COMMAND || c->privilege > sh->cli->privilege)
			continue;
		if (strlen(c->command) == n && strncmp(c->command, cmd, n) == 0)
			return false; /* exact */
		if (strncmp(c->command, cmd, n) != 0)
			continue;
		/* aliases (config, configure) are one command */
		if (hits && (void *)c->callback != first)
			same = false;
		first = (void *)c->callback;
		if (used + strlen(c->command) + 3 < len)
			used += (size_t)snprintf(cands + used, len - used, "%s%s", hits ? ", " : "",
						 c->command);
		hits++;
	}
	return hits > 1 && !same;
}

static void tty_puts(const char *s)
{
	sock_write_all(STDOUT_FILENO, s, strlen(s));
}

/* A value typed over several lines, ended by Ctrl-D (NULL: Ctrl-C). */
static char *typed_text(void)
{
	struct strbuf sb = STRBUF_INIT;
	char c;

	tty_puts("Enter the text; end it with Ctrl-D on a line of its own.\r\n");
	while (read(STDIN_FILENO, &c, 1) == 1) {
		if (c == 4)
			break;
		if (c == 3) { /* Ctrl-C: give up */
			strbuf_free(&sb);
			tty_puts("^C\r\n");
			return NULL;
		}
		if (c == '\r')
			c = '\n';
		if (c == 127 || c == 8) {
			if (sb.len && sb.buf[sb.len - 1] != '\n') {
				sb.buf[--sb.len] = '\0';
				tty_puts("\b \b");
			}
			continue;
		}
		strbuf_addc(&sb, c);
		if (c == '\n')
			tty_puts("\r\n");
		else
			sock_write_all(STDOUT_FILENO, &c, 1);
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_steal(&sb);
}

/* A line that names a leaf typed over several lines (PEM) and no value:
 * at the terminal, the value is typed now.  The line with it, or NULL
 * when the operator gave up (Ctrl-C). */
static char *with_text(struct svrsh *sh, const char *cmd)
{
	struct strbuf l = STRBUF_INIT;
	struct comp c;
	char *text;

	strbuf_addf(&l, "%s ", cmd);
	complete_line(sh, strbuf_str(&l), &c);
	strbuf_free(&l);
	if (!c.wants_text || c.error) {
		comp_free(&c);
		return strdup(cmd);
	}
	comp_free(&c);
	if (!(text = typed_text()))
		return NULL;
	strbuf_addf(&l, "%s \"", cmd);
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addc(&l, '\\');
		strbuf_addc(&l, *p);
	}
	strbuf_addc(&l, '"');
	free(text);
	return strbuf_steal(&l);
}

static int run_words(struct svrsh *sh, const char *cmd)
{
	char cands[512];
	enum line_kind kind = svrsh_classify(sh, cmd, cands, sizeof(cands));
	bool misused;
	int rc;

	if (svrsh_display_set(cmd, &misused) && misused) {
		cli_print(sh->cli, "%% Error: | display set is for show config");
		return CLI_ERROR;
	}
	if (kind == LINE_AMBIGUOUS ||
	    (kind == LINE_SHELL && shell_ambiguous(sh, cmd, cands, sizeof(cands)))) {
		cli_print(sh->cli, "%% Error: '%.*s' is ambiguous: %s", (int)strcspn(cmd, " \t"),
			  cmd, cands);
		return CLI_ERROR;
	}
	/* at a terminal, delete asks first (cmd_delete) */
	if (kind == LINE_CONFIG && !sh->batch && strncmp(cmd, "delete", 6) == 0 &&
	    (cmd[6] == ' ' || cmd[6] == '\t'))
		kind = LINE_SHELL;
	if (kind == LINE_CONFIG) {
		char *line = sh->batch ? strdup(cmd) : with_text(sh, cmd);

		rc = line ? svrsh_config_line(sh, line) : CLI_ERROR;
		free(line);
	} else {
		rc = cli_run_command(sh->cli, cmd);
		/* only a configuration line continues (1); anything else not
		 * OK or quit failed */
		if (rc != CLI_OK && rc != CLI_QUIT)
			rc = CLI_ERROR;
	}
	if (rc != CLI_OK && rc != CLI_QUIT && rc != 1) {
		char *hint = complete_suggest(sh, cmd);

		if (hint)
			cli_print(sh->cli, "%% %c%s", hint[0] - 'a' + 'A', hint + 1);
		free(hint);
	}
	return rc;
}

/* Carry out one command line, batch or interactive: CLI_OK, CLI_ERROR,
 * CLI_QUIT, or 1 when it opened a quoted value that continues. */
static int run_line(struct svrsh *sh, const char *cmd)
{
	char *alias = svrsh_alias(cmd, false);
	int rc;

	rc = run_words(sh, alias ? alias : cmd);
	free(alias);
	return rc;
}

/* Run one batch line; returns 0, -1 for a failed command, 1 to stop (quit),
 * 2 when the line opened a quoted value that continues. */
static int batch_line(struct svrsh *sh, char *line, const char *where, long lineno)
{
	const char *cmd;
	int rc;

	rstrip(line);
	cmd = skip_blanks(line);
	if (*cmd == '\0' || *cmd == '#' || *cmd == '!')
		return 0;
	if (sh->echo) {
		printf("%s%s\n", svrsh_prompt(sh), cmd);
		fflush(stdout);
	}
	rc = run_line(sh, cmd);
	if (rc == 1)
		return 2; /* a quoted value continues on the next lines */
	fflush(stdout);
	if (rc == CLI_QUIT)
		return 1;
	if (rc != CLI_OK) {
		fprintf(stderr, "svrsh: %s line %ld failed: %s\n", where, lineno, cmd);
		fflush(stderr);
		return -1;
	}
	return 0;
}

/* Does the shared candidate differ from running?  (false when svrd
 * cannot say) */
static bool candidate_changed(struct svrsh *sh)
{
	struct json *st = svrsh_call_quiet(sh, "config-status", NULL);
	bool changed = json_get_bool(st, "candidate-changed", false);

	json_free(st);
	return changed;
}

/* All or nothing: a batch that stops at a failed line leaves the
 * candidate as it found it.  When it found it changed (someone's edits
 * not committed yet), they are not ours to throw away: say so. */
static void batch_undo(struct svrsh *sh, bool was_changed, const char *where, long lineno)
{
	struct json *d;

	if (!candidate_changed(sh))
		return;
	if (was_changed) {
		printf("%% Error: %s stopped at line %ld; the candidate had changes before it, so "
		       "its earlier lines stay in it (show config candidate, compare)\n",
		       where, lineno);
		return;
	}
	d = svrsh_call(sh, "discard", NULL);
	if (d)
		printf("%% %s stopped at line %ld: the candidate is back as it was before it\n",
		       where, lineno);
	json_free(d);
	svrsh_refresh_status(sh);
}

static int run_batch(struct svrsh *sh, FILE *in, const char *where)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int failed = 0;
	bool more = false, was_changed = candidate_changed(sh);

	while ((n = getline(&line, &cap, in)) >= 0) {
		int rc;

		lineno++;
		if (!line_ok(line, (size_t)n, lineno)) {
			fprintf(stderr, "svrsh: %s line %ld failed\n", where, lineno);
			rc = -1;
		} else if (more) {
			/* inside a multi-line quoted value: pass the line as it is */
			line[strcspn(line, "\n")] = '\0';
			rc = svrsh_config_line(sh, line);
			more = rc == 1;
			rc = rc == 1 ? 0 : rc == CLI_OK ? 0 : -1;
			if (rc < 0)
				fprintf(stderr, "svrsh: %s line %ld failed\n", where, lineno);
		} else {
			rc = batch_line(sh, line, where, lineno);
			more = rc == 2;
			if (more)
				rc = 0;
		}
		if (rc > 0)
			break;
		if (rc < 0) {
			failed++;
			if (!sh->keep_going)
				break;
		}
	}
	if (ferror(in)) {
		printf("%% Error: cannot read %s: %s\n", where, strerror(errno));
		failed++;
	}
	if (more) {
		printf("%% Error: the quoted value opened before line %ld is never closed\n",
		       lineno);
		fflush(stdout);
		fprintf(stderr, "svrsh: %s line %ld failed\n", where, lineno);
		failed++;
	}
	if (failed && !sh->keep_going)
		batch_undo(sh, was_changed, where, lineno);
	free(line);
	fflush(stdout);
	return failed ? 1 : 0;
}

/* One -c command: 0, -1 failed, 1 quit. */
static int run_command(struct svrsh *sh, const char *cmd, int i)
{
	char *line = strdup(cmd);
	int rc = -1;

	if (line && line_ok(line, strlen(line), i))
		rc = batch_line(sh, line, "command", i);
	free(line);
	if (rc == 2) {
		/* a -c command is one line: nothing can close its quote */
		printf("%% Error: command %d opens a quoted value that it never closes\n", i);
		fprintf(stderr, "svrsh: command %d failed: %s\n", i, cmd);
		rc = -1;
	}
	return rc;
}

/* -c, as often as given: the commands in order, as the lines of a file. */
static int run_commands(struct svrsh *sh, char **cmds, int n)
{
	int failed = 0;
	bool was_changed = n > 1 && candidate_changed(sh);

	for (int i = 0; i < n; i++) {
		int rc = run_command(sh, cmds[i], i + 1);

		if (rc > 0)
			break;
		if (rc < 0) {
			failed++;
			if (sh->keep_going)
				continue;
			if (n > 1)
				batch_undo(sh, was_changed, "the commands", i + 1);
			break;
		}
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

/* A line typed at the terminal (a quoted value's lines joined with '\n'):
 * its first line as a command, the rest as the value's lines. */
static int interactive_line(struct svrsh *sh, const char *text)
{
	char *copy = strdup(text ? text : ""), *nl, *line;
	int rc;

	if (!copy)
		return CLI_OK;
	nl = strchr(copy, '\n');
	if (nl)
		*nl = '\0';
	line = (char *)skip_blanks(copy);
	rstrip(line);
	if (!*line || *line == '#' || *line == '!') {
		free(copy);
		return CLI_OK;
	}
	rc = run_line(sh, line);
	for (char *p = nl ? nl + 1 : NULL; rc == 1 && p;) {
		char *next = strchr(p, '\n');

		if (next)
			*next = '\0';
		rc = svrsh_config_line(sh, p);
		p = next ? next + 1 : NULL;
	}
	free(copy);
	return rc == CLI_QUIT ? CLI_QUIT : CLI_OK;
}

static int run_interactive(struct svrsh *sh)
{
	if (tty_raw_begin(STDIN_FILENO) < 0) {
		perror("svrsh: terminal");
		return 1;
	}
	cli_print_callback(sh->cli, print_tty);
	svrsh_refresh_status(sh);
	lineedit_loop(sh, interactive_line);
	tty_raw_end();
	/* the shared candidate outlives the session: say what is left in it */
	svrsh_refresh_status(sh);
	if (sh->changed)
		printf("The candidate still has uncommitted changes; they stay in svrd for the "
		       "next session (compare config shows them)\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: svrsh [--socket PATH] [-c COMMAND | -f FILE] [--echo] [--keep-going]\n"
		   "\n"
		   "  -c, --command CMD  run CMD and exit; several run in order\n"
		   "  -f, --file FILE    run the commands of FILE (- for standard input)\n"
		   "  -e, --echo         print each batch command after its prompt\n"
		   "  -k, --keep-going   batch: run the remaining commands after a failure\n"
		   "  -S, --socket PATH  svrd's management socket (default $" MGMT_SOCKET_ENV
		   " or " MGMT_DEFAULT_SOCKET ")\n"
		   "  -V, --version      print the version and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"command", required_argument, NULL, 'c'}, {"file", required_argument, NULL, 'f'},
		{"echo", no_argument, NULL, 'e'},	   {"keep-going", no_argument, NULL, 'k'},
		{"socket", required_argument, NULL, 'S'},  {"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	struct svrsh sh = {.last_commit = -1};
	const char *file = NULL, *sockopt = NULL;
	char **commands = calloc((size_t)argc + 1, sizeof(char *));
	int ncommands = 0;
	struct passwd *pw;
	char err[512];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:f:ekS:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			commands[ncommands++] = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'e':
			sh.echo = true;
			break;
		case 'k':
			sh.keep_going = true;
			break;
		case 'S':
			sockopt = optarg;
			break;
		case 'V':
			printf("svrsh (opensvr) %s\n", PACKAGE_VERSION);
			free(commands);
			return 0;
		case 'h':
			usage(stdout);
			free(commands);
			return 0;
		default:
			usage(stderr);
			free(commands);
			return 2;
		}
	}
	if (!commands || optind != argc || (ncommands && file)) {
		usage(stderr);
		free(commands);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sh.socket_path = strdup(mgmt_socket_path(sockopt));
	pw = getpwuid(getuid());
	sh.user = strdup(pw ? pw->pw_name : "unknown");
	sh.batch = ncommands || file || !isatty(STDIN_FILENO);

	if (svrsh_connect(&sh, err, sizeof(err)) < 0) {
		fprintf(stderr, "svrsh: %s\n", err);
		rc = 1;
		goto out;
	}
	sh.cli = cli_init();
	/* libcli's privilege levels are not ours: svrd decides what a user
	 * may do, so its "enable" would only pretend */
	cli_unregister_command(sh.cli, "enable");
	cli_set_context(sh.cli, &sh);
	svrsh_update_prompt(&sh);
	commands_register(&sh);
	pipes_register(&sh);
	/* The configuration model, for help, completion and abbreviated
	 * values. */
	if (schema_tree_load(&sh) < 0) {
		rc = 1;
		goto out;
	}

	if (sh.batch) {
		cli_print_callback(sh.cli, print_batch);
		if (ncommands) {
			rc = run_commands(&sh, commands, ncommands);
		} else if (file && strcmp(file, "-") != 0) {
			FILE *in = fopen(file, "r");

			if (!in) {
				fprintf(stderr, "svrsh: cannot open %s: %s\n", file,
					strerror(errno));
				rc = 1;
			} else {
				rc = run_batch(&sh, in, file);
				fclose(in);
			}
		} else {
			rc = run_batch(&sh, stdin, "stdin");
		}
	} else {
		rc = run_interactive(&sh);
	}
	cli_done(sh.cli);
	schema_tree_free();
out:
	mgmt_close(sh.mc);
	free(sh.socket_path);
	free(sh.user);
	free(commands);
	pager_free(&sh);
	free(sh.router);
	free(sh.node);
	free(sh.level);
	return rc;
}
