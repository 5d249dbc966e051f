/* DOC: pipes and the pager
 *
 * "| include RE" and "| exclude RE" are libcli's own filters; "| match
 * RE" and "| except RE" are Junos's names for them (POSIX extended
 * expressions, as Junos takes them, not case-sensitive).  "| count",
 * "| no-more" and "| display json" are ours: libcli's count writes past the
 * print callback (so batch output lost it), no-more switches the pager off
 * for one command, and display json makes the show commands print the
 * YANG-modelled data behind them instead of text.  The pager lives in the
 * terminal print callback: it counts lines against the terminal's real size
 * and stops at --More-- (space: a page, Enter: a line, q: the rest is
 * dropped, G: the rest without stopping, /RE: skip to a line that
 * matches).  Batch mode never pages.
 */
#include "config.h"

#include <libcli.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>

#include "svrsh.h"

static int count_filter(struct cli_def *cli, const char *line, void *data)
{
	long *n = data;
	char out[64];

	if (line) {
		(*n)++;
		return CLI_ERROR; /* swallow the line */
	}
	/* End of output: the one line we print, through the print callback. */
	snprintf(out, sizeof(out), "Count: %ld line%s", *n, *n == 1 ? "" : "s");
	free(n);
	if (cli->print_callback)
		cli->print_callback(cli, out);
	return CLI_OK;
}

/* libcli hands a filter its own words, its name first. */
static bool only_name(int argc, char **argv, const char *name)
{
	return argc == 0 || (argc == 1 && strcmp(argv[0], name) == 0);
}

static int count_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
	if (!only_name(argc, argv, "count")) {
		cli_error(cli, "%% Error: count takes no argument");
		return CLI_ERROR;
	}
	filt->filter = count_filter;
	filt->data = calloc(1, sizeof(long));
	return filt->data ? CLI_OK : CLI_ERROR;
}

static int pass_filter(struct cli_def *cli, const char *line, void *data)
{
	(void)data;
	if (!line) {
		struct svrsh *sh = svrsh_of(cli);

		sh->no_more = false;
		sh->display_json = false;
		sh->display_set = false;
	}
	return CLI_OK;
}

static int nomore_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
	if (!only_name(argc, argv, "no-more")) {
		cli_error(cli, "%% Error: no-more takes no argument");
		return CLI_ERROR;
	}
	svrsh_of(cli)->no_more = true;
	filt->filter = pass_filter;
	filt->data = NULL;
	return CLI_OK;
}

struct re_filter {
	regex_t re;
	bool keep; /* match: keep what matches; except: drop it */
};

static int re_filter(struct cli_def *cli, const char *line, void *data)
{
	struct re_filter *f = data;
	bool hit;

	(void)cli;
	if (!line) {
		regfree(&f->re);
		free(f);
		return CLI_OK;
	}
	hit = regexec(&f->re, line, 0, NULL, 0) == 0;
	return hit == f->keep ? CLI_OK : CLI_ERROR;
}

/* match and except: the expression is the words after the filter's name. */
static int re_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt, bool keep)
{
	const char *name = keep ? "match" : "except";
	int first = argc && strcmp(argv[0], name) == 0, rc;
	struct re_filter *f;
	char expr[512] = "", err[160];
	size_t n = 0;

	for (int i = first; i < argc && n < sizeof(expr); i++)
		n += (size_t)snprintf(expr + n, sizeof(expr) - n, "%s%s", i > first ? " " : "",
				      argv[i]);
	if (!*expr) {
		cli_error(cli, "%% Error: %s needs a regular expression (| %s TEXT)", name, name);
		return CLI_ERROR;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return CLI_ERROR;
	if ((rc = regcomp(&f->re, expr, REG_EXTENDED | REG_ICASE | REG_NOSUB)) != 0) {
		regerror(rc, &f->re, err, sizeof(err));
		cli_error(cli, "%% Error: %s: '%s' is not a regular expression: %s", name, expr,
			  err);
		free(f);
		return CLI_ERROR;
	}
	f->keep = keep;
	filt->filter = re_filter;
	filt->data = f;
	return CLI_OK;
}

static int match_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
	return re_init(cli, argc, argv, filt, true);
}

static int except_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
	return re_init(cli, argc, argv, filt, false);
}

static int display_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
	const char *f = argc ? argv[argc - 1] : "";

	if ((strcmp(f, "json") != 0 && strcmp(f, "set") != 0) ||
	    (argc == 2 && strcmp(argv[0], "display") != 0) || argc > 2) {
		cli_error(cli, "%% Error: display: json or set (| display json, | display set)");
		return CLI_ERROR;
	}
	if (strcmp(f, "json") == 0)
		svrsh_of(cli)->display_json = true;
	else
		svrsh_of(cli)->display_set = true;
	filt->filter = pass_filter;
	filt->data = NULL;
	return CLI_OK;
}

static int complete_format(struct cli_def *cli, const char *name, const char *word,
			   struct cli_comphelp *ch)
{
	static const char *const formats[] = {"json", "set"};

	(void)cli;
	(void)name;
	for (size_t i = 0; i < 2; i++)
		if (strncmp(formats[i], word ? word : "", strlen(word ? word : "")) == 0)
			cli_add_comphelp_entry(ch, formats[i]);
	return CLI_OK;
}

void pipes_register(struct svrsh *sh)
{
	struct cli_command *c;

	cli_unregister_filter(sh->cli, "count");
	cli_register_filter(sh->cli, "count", count_init, count_filter, PRIVILEGE_UNPRIVILEGED,
			    MODE_ANY, "Count the lines of output");
	cli_register_filter(sh->cli, "no-more", nomore_init, pass_filter, PRIVILEGE_UNPRIVILEGED,
			    MODE_ANY, "Do not page the output");
	c = cli_register_filter(sh->cli, "match", match_init, re_filter, PRIVILEGE_UNPRIVILEGED,
				MODE_ANY, "Only the lines that match a regular expression (Junos)");
	if (c)
		cli_register_optarg(c, "expression", CLI_CMD_ARGUMENT | CLI_CMD_REMAINDER_OF_LINE,
				    PRIVILEGE_UNPRIVILEGED, MODE_ANY, "Regular expression", NULL,
				    NULL, NULL);
	c = cli_register_filter(sh->cli, "except", except_init, re_filter, PRIVILEGE_UNPRIVILEGED,
				MODE_ANY,
				"The lines that do not match a regular expression (Junos)");
	if (c)
		cli_register_optarg(c, "expression", CLI_CMD_ARGUMENT | CLI_CMD_REMAINDER_OF_LINE,
				    PRIVILEGE_UNPRIVILEGED, MODE_ANY, "Regular expression", NULL,
				    NULL, NULL);
	c = cli_register_filter(sh->cli, "display", display_init, pass_filter,
				PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				"display json: the YANG-modelled data behind the output; display "
				"set: show config as set commands");
	if (c)
		cli_register_optarg(c, "format", CLI_CMD_ARGUMENT, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				    "json, or set (show config)", complete_format, NULL, NULL);
}

/* ---- the pager --------------------------------------------------------- */

int term_cols(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int pager_rows(void)
{
	struct winsize ws;
	int err, rows;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	/* not a window we can ask: what terminfo says this terminal has */
	if (setupterm(NULL, STDOUT_FILENO, &err) == 0) {
		rows = tigetnum("lines");
		del_curterm(cur_term);
		if (rows > 0)
			return rows;
	}
	return 24;
}

void pager_begin(struct svrsh *sh)
{
	sh->pager_lines = 0;
	sh->pager_quit = sh->pager_all = sh->pager_seeking = false;
	sh->pager_rows = sh->batch ? 0 : pager_rows();
}

/* The command's output is over: what follows (help, errors, the next
 * command's first lines) is not paged against it. */
void pager_end(struct svrsh *sh)
{
	sh->pager_rows = 0;
	sh->pager_quit = sh->pager_all = sh->pager_seeking = false;
	/* the expression stays for the next output's "/" Enter */
}

/* Called before each terminal line: false when the line must be dropped. */
/* "/" at --More--: the expression typed after it (Enter ends it, an empty
 * one searches again for the last), compiled into sh->pager_find. */
static void read_search(struct svrsh *sh)
{
	char expr[128];
	size_t n = 0;
	char c;

	dprintf(STDOUT_FILENO, "/");
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\r' && c != '\n') {
		if (c == 3) { /* Ctrl-C: no search */
			n = 0;
			break;
		}
		if ((c == 127 || c == 8) && n) {
			n--;
			dprintf(STDOUT_FILENO, "\b \b");
		} else if (c >= ' ' && n + 1 < sizeof(expr)) {
			expr[n++] = c;
			dprintf(STDOUT_FILENO, "%c", c);
		}
	}
	expr[n] = '\0';
	dprintf(STDOUT_FILENO, "\r%*s\r", (int)n + 1, "");
	if (!n && sh->pager_find)
		return; /* the last expression again */
	if (sh->pager_find) {
		regfree(sh->pager_find);
		free(sh->pager_find);
		sh->pager_find = NULL;
	}
	if (n && (sh->pager_find = malloc(sizeof(regex_t))) &&
	    regcomp(sh->pager_find, expr, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
		free(sh->pager_find);
		sh->pager_find = NULL;
		dprintf(STDOUT_FILENO, "(not a regular expression: %s)\r\n", expr);
	}
}

/* --More--: space a page, Enter a line, q the rest dropped, G the rest
 * without stopping, /RE the lines up to the next that matches skipped. */
static bool pager_ask(struct svrsh *sh)
{
	char c = 0;

	dprintf(STDOUT_FILENO, "--More--");
	while (read(STDIN_FILENO, &c, 1) == 1)
		if (strchr(" \r\nqQG/", c) || c == 3)
			break;
	dprintf(STDOUT_FILENO, "\r        \r");
	if (c == 'q' || c == 'Q' || c == 3) {
		sh->pager_quit = true;
		return false;
	}
	sh->pager_all = c == 'G';
	sh->pager_seeking = c == '/';
	if (c == '/')
		read_search(sh);
	/* space: a whole page more; Enter: one line (counted as this one) */
	sh->pager_lines = c == ' ' ? 0 : sh->pager_rows - 2;
	return true;
}

bool pager_allow(struct svrsh *sh, const char *line)
{
	if (sh->batch || sh->no_more || sh->pager_all || sh->pager_rows <= 2)
		return true;
	if (sh->pager_quit)
		return false;
	if (!sh->pager_seeking && sh->pager_lines >= sh->pager_rows - 1 && !pager_ask(sh))
		return false;
	if (sh->pager_all)
		return true;
	if (sh->pager_seeking) {
		if (!sh->pager_find || !line || regexec(sh->pager_find, line, 0, NULL, 0) != 0)
			return false; /* skipped on the way to a match */
		sh->pager_seeking = false;
		sh->pager_lines = 1;
		dprintf(STDOUT_FILENO, "...skipping\r\n");
		return true;
	}
	sh->pager_lines++;
	return true;
}

void pager_free(struct svrsh *sh)
{
	if (sh && sh->pager_find) {
		regfree(sh->pager_find);
		free(sh->pager_find);
		sh->pager_find = NULL;
	}
}
