/* DOC: configuration lines
 *
 * Where a line goes (the shell's own commands, or svrd's configuration
 * interpreter) and how a configuration line is carried out: svrd keeps
 * the session's level and edits the shared candidate, and its reply says
 * where we are now, which is all the prompt needs.  A value that
 * abbreviates one of its leaf's enum values goes to svrd whole.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"
#include "svrsh.h"

/* Words that are commands of the shell, never configuration. */
static const char *const shell_words[] = {
	"show",	  "compare", "validate", "commit", "rollback", "restore",
	"export", "import",  "quit",	 "logout", "history",  "help",
	"do",	  "where",   "security", "reload", "run",      "clear",
};

/* "set config local-override ...": the router's mode, not configuration. */
static bool is_local_override(const char *line)
{
	static const char *const words[] = {"set", "config", "local-override"};

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, words[i], n) || (line[n] && line[n] != ' ' && line[n] != '\t'))
			return false;
		line += n;
	}
	return true;
}

/* Where a batch line goes: the shell's own commands, or svrd's
 * configuration interpreter.  Exact words decide; an abbreviation goes
 * where it fits, and one that fits both a shell command and a
 * configuration item is an error naming them all (cands). */
enum line_kind svrsh_classify(struct svrsh *sh, const char *line, char *cands, size_t len)
{
	struct strbuf shell = STRBUF_INIT, cfg = STRBUF_INIT;
	char first[64];
	size_t n;
	enum line_kind kind;

	cands[0] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (is_local_override(line))
		return LINE_SHELL; /* an operational command in SSR's words (cmd_set) */
	n = strcspn(line, " \t");
	if (n == 0 || n >= sizeof(first))
		return sh->config_mode && n > 0 ? LINE_CONFIG : LINE_SHELL;
	memcpy(first, line, n);
	first[n] = '\0';
	for (size_t i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++) {
		if (strcmp(first, shell_words[i]) == 0)
			return LINE_SHELL;
		if (strncmp(first, shell_words[i], n) == 0)
			strbuf_addf(&shell, "%s%s", shell.len ? ", " : "", shell_words[i]);
	}
	if (!sh->config_mode) {
		strbuf_free(&shell);
		return strcmp(first, "config") == 0 || strcmp(first, "configure") == 0 ||
				       strcmp(first, "set") == 0 || strcmp(first, "delete") == 0
			       ? LINE_CONFIG
			       : LINE_SHELL;
	}
	if (schema_tree_names(sh, first, &cfg) == 1) {
		kind = LINE_CONFIG; /* an exact configuration word */
	} else if (shell.len && cfg.len) {
		snprintf(cands, len, "%s, %s", strbuf_str(&shell), strbuf_str(&cfg));
		kind = LINE_AMBIGUOUS;
	} else {
		kind = shell.len ? LINE_SHELL : LINE_CONFIG;
	}
	strbuf_free(&shell);
	strbuf_free(&cfg);
	return kind;
}

static void update_state(struct svrsh *sh, const struct json *data)
{
	const char *level = json_get_str(data, "level", NULL);
	bool was_config = sh->config_mode;

	sh->changed = json_get_bool(data, "candidate-changed", sh->changed);
	if (json_get(data, "config-mode"))
		sh->config_mode = json_get_bool(data, "config-mode", false);
	if (was_config && !sh->config_mode && sh->changed && !sh->batch)
		/* at a terminal, leaving changes behind is worth a word; a batch
		 * goes on to commit them or not as its file says */
		cli_print(sh->cli, "The candidate has uncommitted changes: commit them, or "
				   "restore config running to drop them");
	if (level) {
		free(sh->level);
		sh->level = strdup(level);
	}
	if (json_get(data, "config-mode"))
		schema_tree_set_level(sh, json_get_str(data, "schema-path", ""));
	svrsh_update_prompt(sh);
}

/* A commit svrd made itself since the last look (an automatic rollback
 * of a commit confirmed in time): at a terminal, said at once. */
static void note_commits(struct svrsh *sh, const struct json *st)
{
	const struct json *c = json_get(st, "last-commit");
	int64_t n = json_get_int(c, "number", 0);

	if (sh->last_commit >= 0 && n > sh->last_commit && !sh->batch &&
	    strcmp(json_get_str(c, "user", ""), "svrd") == 0)
		cli_print(sh->cli, "%% Notice: %s; the configuration is commit %lld now",
			  json_get_str(c, "comment", "svrd committed"), (long long)n);
	sh->last_commit = n;
}

/* Ask svrd where this session is and whether the candidate changed. */
void svrsh_refresh_status(struct svrsh *sh)
{
	struct json *st = svrsh_call_quiet(sh, "config-status", NULL);

	if (st) {
		update_state(sh, st);
		note_commits(sh, st);
		sh->confirm_deadline = json_get_int(st, "confirm-deadline-ms", 0);
	}
	json_free(st);
}

/* line with the enum values it abbreviates written whole ("fail-h" is
 * fail-hard), as the schema walk finds them (malloc'd; NULL: as it is).
 * Only unquoted values of closed leaves: anything else goes to svrd as
 * typed, and svrd says what is wrong with it. */
static char *expand_values(struct svrsh *sh, const char *line)
{
	struct svrsh_words w;
	struct schema_walk sw;
	struct strbuf out = STRBUF_INIT;
	size_t done = 0;
	int i = 0;
	char why[256];
	const char *full;
	char *r = NULL;

	if (svrsh_split(line, &w) < 0)
		return NULL;
	if (w.n && (strcmp(w.w[0].text, "set") == 0 || strcmp(w.w[0].text, "delete") == 0))
		i = 1;
	schema_walk_begin(sh, i == 1, &sw);
	for (; i < w.n && !w.open_quote; i++) {
		enum walk_want was = sw.want;

		if (schema_walk_word(&sw, w.w[i].text, why, sizeof(why), &full) < 0)
			break;
		if (full && was == WALK_VALUE && !w.w[i].quoted) {
			strbuf_addn(&out, line + done, w.w[i].start - done);
			strbuf_adds(&out, full);
			done = w.w[i].end;
		}
	}
	if (done) {
		strbuf_adds(&out, line + done);
		r = strbuf_steal(&out);
	}
	strbuf_free(&out);
	svrsh_words_free(&w);
	return r;
}

/* Where "up N" goes: N levels up the hierarchy of where (a container is a
 * level, a list entry with its keys is one), as the length of where's
 * text that stays; 0 is the top. */
static size_t up_target(struct svrsh *sh, const char *where, long n)
{
	struct svrsh_words w;
	struct schema_walk sw;
	size_t ends[SVRSH_WORDS_MAX];
	int levels = 0;
	char why[256];
	const char *full;

	if (svrsh_split(where, &w) < 0)
		return 0;
	schema_walk_begin(sh, true, &sw);
	for (int i = 0; i < w.n; i++) {
		if (schema_walk_word(&sw, w.w[i].text, why, sizeof(why), &full) < 0)
			break;
		if (sw.want == WALK_NODE)
			ends[levels++] = w.w[i].end;
	}
	svrsh_words_free(&w);
	return levels - n > 0 ? ends[levels - n - 1] : 0;
}

/* "up [N]": up the hierarchy, not back along the lines that got here
 * ("authority router west" in one line is three levels from the top, so
 * up goes to router west's parent, authority).  svrd's session keeps the
 * level: the shell sends "top", then the words of the level to go to. */
static int level_up(struct svrsh *sh, const char *line)
{
	struct svrsh_words w;
	struct json *st;
	char *end = NULL;
	long n = 1;
	size_t keep;
	int rc = CLI_OK;

	if (svrsh_split(line, &w) < 0 || w.n > 2 || w.open_quote ||
	    (w.n == 2 && ((n = strtol(w.w[1].text, &end, 10)) < 1 || *end))) {
		svrsh_words_free(&w);
		cli_print(sh->cli, "%% Error: up takes a number of levels, 1 or more");
		return CLI_ERROR;
	}
	svrsh_words_free(&w);
	if (!(st = svrsh_call(sh, "config-status", NULL)))
		return CLI_ERROR;
	keep = up_target(sh, json_get_str(st, "where", ""), n);
	if (svrsh_config_line(sh, "top") != CLI_OK)
		rc = CLI_ERROR;
	else if (keep) {
		char *target = strndup(json_get_str(st, "where", ""), keep);

		rc = target ? svrsh_config_line(sh, target) : CLI_ERROR;
		free(target);
	}
	json_free(st);
	return rc;
}

static bool is_up(const char *line)
{
	line += strspn(line, " \t");
	return strncmp(line, "up", 2) == 0 && (!line[2] || line[2] == ' ' || line[2] == '\t');
}

/* Returns CLI_OK, CLI_ERROR, or 1 when the line opened a quoted value that
 * continues on the next line. */
int svrsh_config_line(struct svrsh *sh, const char *line)
{
	struct json *args, *data;
	char *whole;
	int rc = CLI_OK;

	if (sh->config_mode && is_up(line))
		return level_up(sh, line);
	args = json_new_object();
	whole = expand_values(sh, line);

	json_set(args, "line", json_new_str(whole ? whole : line));
	free(whole);
	data = svrsh_call(sh, "cli-config", args);
	if (!data) {
		/* The error left the level as it was; refresh the prompt's '*'. */
		svrsh_refresh_status(sh);
		return CLI_ERROR;
	}
	if (strcmp(json_get_str(data, "result", ""), "more") == 0)
		rc = 1;
	update_state(sh, data);
	json_free(data);
	return rc;
}

const char *svrsh_keyword(const char *arg, const char *const *choices, bool *ambiguous)
{
	const char *hit = NULL;
	size_t n = strlen(arg);
	int hits = 0;

	*ambiguous = false;
	for (int i = 0; choices[i]; i++) {
		if (strcmp(choices[i], arg) == 0)
			return choices[i]; /* exact beats any abbreviation */
		if (n && strncmp(choices[i], arg, n) == 0) {
			hit = choices[i];
			hits++;
		}
	}
	*ambiguous = hits > 1;
	return hits == 1 ? hit : NULL;
}
