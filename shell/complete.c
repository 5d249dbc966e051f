/* DOC: help and completion
 *
 * ? and TAB read the whole line again, every time, up to the cursor, and
 * say what may come next there: the shell's commands and their words
 * (libcli's tree, the arguments each command registered with svrsh_args
 * or as libcli optargs, the filters after a '|'), or a configuration path
 * (from the top after set and delete, from the current level otherwise)
 * walked through the schema (schema_tree.c).  Nothing here changes
 * anything or runs a command: the worst a list-keys or get-state call can
 * do is take a moment.
 *
 * A word that fits nothing stops the walk with an error naming it and,
 * when a known word is a slip or two away, "did you mean".
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "svrsh.h"

#define SLOTS_MAX 32

/* How a configuration path is read: from the level, or from the top
 * after set, delete or show config. */
enum cw { CW_LEVEL, CW_SET, CW_DELETE, CW_SHOW };

struct walk {
	struct svrsh *sh;
	const struct svrsh_words *w;
	struct comp *c;
	const char *prefix; /* the word being typed */
};

static bool visible(const struct svrsh *sh, const struct cli_command *c, bool filter)
{
	return (c->mode == MODE_ANY || c->mode == sh->cli->mode) &&
	       c->privilege <= sh->cli->privilege &&
	       (c->command_type == CLI_FILTER_COMMAND) == filter;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void error_near(struct walk *x, const char *what, const char *word, const struct comp *near)
{
	char msg[512];
	const char *n = comp_nearest(near, word);

	snprintf(msg, sizeof(msg), "%s%s%s%s", what, n ? "; did you mean '" : "", n ? n : "",
		 n ? "'?" : "");
	comp_error(x->c, msg);
}

static void cmd_names(const struct svrsh *sh, const struct cli_command *list, bool filter,
		      const char *prefix, struct comp *c)
{
	for (const struct cli_command *k = list; k; k = k->next)
		if (visible(sh, k, filter) && starts(k->command, prefix))
			comp_add(c, k->command, k->help, true);
}

/* The command of list that word names, exactly or as the only one (or
 * aliases of one: config, configure) it abbreviates. */
static const struct cli_command *find_cmd(const struct svrsh *sh, const struct cli_command *list,
					  bool filter, const char *word, bool *ambiguous)
{
	const struct cli_command *hit = NULL;

	*ambiguous = false;
	for (const struct cli_command *k = list; k; k = k->next)
		if (visible(sh, k, filter) && strcmp(k->command, word) == 0)
			return k;
	for (const struct cli_command *k = list; k; k = k->next) {
		if (!visible(sh, k, filter) || !starts(k->command, word))
			continue;
		if (hit && hit->callback != k->callback)
			*ambiguous = true;
		if (!hit)
			hit = k;
	}
	return *ambiguous ? NULL : hit;
}

static void config_walk(struct walk *x, int i, int k, enum cw how);

/* ---- arguments: slots ---- */

struct args {
	struct arg_slot s[SLOTS_MAX];
	int n, next, pending; /* pending: a keyword's value comes next (-1: none) */
	unsigned used;
	int rest; /* words taken by a rest-of-line value, -1: none yet */
	int rest_slot;
};

static void args_of(const struct cli_command *cmd, struct args *a)
{
	const struct arg_slot *g = svrsh_args_of(cmd);

	memset(a, 0, sizeof(*a));
	a->pending = -1;
	a->rest = -1;
	for (; g && (g->word || g->value) && a->n < SLOTS_MAX; g++)
		a->s[a->n++] = *g;
	for (const struct cli_optarg *o = cmd->optargs; o && a->n < SLOTS_MAX; o = o->next) {
		struct arg_slot *s = &a->s[a->n++];

		memset(s, 0, sizeof(*s));
		s->help = o->help;
		s->complete = o->get_completions;
		if (o->flags & CLI_CMD_OPTIONAL_FLAG) {
			s->word = o->name;
			s->flags = ARG_OPTIONAL;
			continue;
		}
		s->value = o->name;
		s->flags = (o->flags & CLI_CMD_OPTIONAL_ARGUMENT ? ARG_OPTIONAL : 0) |
			   (o->flags & CLI_CMD_REMAINDER_OF_LINE ? ARG_REST : 0);
	}
}

/* Does word name one of a slot's keywords ("a|b")?  2 exactly, 1 as an
 * abbreviation, 0 not. */
static int keyword_fit(const char *kw, const char *word)
{
	int fit = 0;

	while (kw && *kw) {
		size_t n = strcspn(kw, "|");

		if (n == strlen(word) && strncmp(kw, word, n) == 0)
			return 2;
		if (*word && strlen(word) < n && strncmp(kw, word, strlen(word)) == 0)
			fit = 1;
		kw += n + (kw[n] == '|');
	}
	return fit;
}

/* The slots that may come next: unused ones from next up to and
 * including the first required one.  Calls f on each; stops when it
 * returns true and returns that slot's index, else -1. */
static int window(const struct args *a, bool (*f)(const struct args *, int, const void *),
		  const void *arg)
{
	for (int i = a->next; i < a->n; i++) {
		if (a->used & (1u << i))
			continue;
		if (f(a, i, arg))
			return i;
		if (!(a->s[i].flags & ARG_OPTIONAL))
			break;
	}
	return -1;
}

static bool exact_kw(const struct args *a, int i, const void *w)
{
	return keyword_fit(a->s[i].word, w) == 2;
}

static bool abbrev_kw(const struct args *a, int i, const void *w)
{
	return keyword_fit(a->s[i].word, w) == 1;
}

static bool any_value(const struct args *a, int i, const void *w)
{
	(void)w;
	return !a->s[i].word;
}

static void take(struct args *a, int i)
{
	a->used |= 1u << i;
	if (!(a->s[i].flags & ARG_OPTIONAL))
		a->next = i + 1;
	if (a->s[i].word && a->s[i].value)
		a->pending = i;
	else if (!a->s[i].word && (a->s[i].flags & ARG_REST))
		a->rest = 1, a->rest_slot = i;
}

static int args_word(struct args *a, const char *word)
{
	int i;

	if (a->rest >= 0) {
		a->rest++;
		return 0;
	}
	if (a->pending >= 0) {
		if (a->s[a->pending].flags & ARG_REST)
			a->rest = 1, a->rest_slot = a->pending;
		a->pending = -1;
		return 0;
	}
	if ((i = window(a, exact_kw, word)) < 0 && (i = window(a, abbrev_kw, word)) < 0 &&
	    (i = window(a, any_value, word)) < 0)
		return -1;
	if (a->s[i].flags & ARG_PATH)
		return 1; /* the rest is a path: the schema's to walk */
	take(a, i);
	return 0;
}

static void slot_values(struct walk *x, const struct arg_slot *s)
{
	char ph[96];

	if (s->flags & ARG_PATH) {
		struct schema_walk sw;

		schema_walk_begin(x->sh, true, &sw);
		schema_walk_next(x->sh, &sw, x->prefix, x->c);
		return;
	}
	snprintf(ph, sizeof(ph), "<%s>", s->value ? s->value : "value");
	if (s->value && s->value[0] == '<')
		snprintf(ph, sizeof(ph), "%s", s->value);
	comp_add(x->c, ph, s->help, false);
	if (s->complete) {
		struct cli_comphelp ch = {0};

		s->complete(x->sh->cli, s->value, x->prefix, &ch);
		for (int i = 0; i < ch.num_entries; i++)
			if (starts(ch.entries[i], x->prefix) && svrsh_is_clean(ch.entries[i]))
				comp_add(x->c, ch.entries[i], "", true);
		cli_free_comphelp(&ch);
	}
}

static void slot_words(struct walk *x, const struct arg_slot *s)
{
	char one[64];

	for (const char *kw = s->word; *kw;) {
		size_t n = strcspn(kw, "|");

		snprintf(one, sizeof(one), "%.*s", (int)n, kw);
		if (starts(one, x->prefix))
			comp_add(x->c, one, s->help, true);
		kw += n + (kw[n] == '|');
	}
}

/* What may come next among the slots; true when the command may run. */
static bool args_next(struct walk *x, const struct args *a)
{
	if (a->rest >= 0 || a->pending >= 0) {
		slot_values(x, &a->s[a->rest >= 0 ? a->rest_slot : a->pending]);
		return a->rest >= 0;
	}
	for (int i = a->next; i < a->n; i++) {
		if (a->used & (1u << i))
			continue;
		if (a->s[i].word)
			slot_words(x, &a->s[i]);
		else
			slot_values(x, &a->s[i]);
		if (!(a->s[i].flags & ARG_OPTIONAL))
			return false;
	}
	return true;
}

/* ---- configuration paths ---- */

static void config_walk(struct walk *x, int i, int k, enum cw how)
{
	bool from_top = how != CW_LEVEL, is_delete = how == CW_DELETE;
	struct schema_walk sw;
	bool forced = false, enter;
	char why[320];
	const char *full;

	schema_walk_begin(x->sh, from_top, &sw);
	for (; i < k; i++) {
		const char *word = x->w->w[i].text;

		if (is_delete && !forced && sw.named && strcmp(word, "force") == 0) {
			forced = true;
			continue;
		}
		if (forced || schema_walk_word(&sw, word, why, sizeof(why), &full) < 0) {
			struct comp near = {0};

			if (forced)
				snprintf(why, sizeof(why), "nothing follows force, not '%s'", word);
			else
				schema_walk_next(x->sh, &sw, "", &near);
			error_near(x, why, word, &near);
			comp_free(&near);
			return;
		}
	}
	if (forced) {
		comp_add(x->c, "<[Enter]>", "Execute this command", false);
		return;
	}
	schema_walk_next(x->sh, &sw, x->prefix, x->c);
	x->c->wants_text =
		(how == CW_LEVEL || how == CW_SET) && !*x->prefix && schema_walk_wants_text(&sw);
	enter = sw.named && (sw.want == WALK_NODE || sw.want == WALK_END ||
			     ((is_delete || how == CW_SHOW) && sw.want != WALK_KEY) ||
			     (!from_top && schema_walk_wants_text(&sw)));
	if (how == CW_SHOW && enter && !*x->prefix)
		comp_add(x->c, "|",
			 "Pipe through a filter (match, except, count, display, no-more)", false);
	if (is_delete && sw.named && sw.want != WALK_KEY && starts("force", x->prefix))
		comp_add(x->c, "force", "Delete without asking", true);
	if (enter)
		comp_add(x->c, "<[Enter]>",
			 !from_top && sw.want == WALK_NODE ? "Go to this level"
							   : "Execute this command",
			 false);
}

/* ---- the shell's commands ---- */

static void shell_walk(struct walk *x, int i, int k);

static void filter_walk(struct walk *x, int i, int k)
{
	const struct cli_command *f = NULL;
	struct args a;
	bool amb;

	if (i == k) {
		cmd_names(x->sh, x->sh->cli->commands, true, x->prefix, x->c);
		return;
	}
	if (!(f = find_cmd(x->sh, x->sh->cli->commands, true, x->w->w[i].text, &amb))) {
		struct comp near = {0};
		char msg[160];

		cmd_names(x->sh, x->sh->cli->commands, true, "", &near);
		snprintf(msg, sizeof(msg), "'%s' is %s filter", x->w->w[i].text,
			 amb ? "an ambiguous" : "not a");
		error_near(x, msg, x->w->w[i].text, &near);
		comp_free(&near);
		return;
	}
	args_of(f, &a);
	for (i++; i < k; i++)
		if (args_word(&a, x->w->w[i].text) < 0) {
			char msg[160];

			snprintf(msg, sizeof(msg), "'%s' is not valid after %s", x->w->w[i].text,
				 f->command);
			comp_error(x->c, msg);
			return;
		}
	if (args_next(x, &a))
		comp_add(x->c, "<[Enter]>", "Execute this command", false);
}

static bool prints(const struct cli_command *top)
{
	return strcmp(top->command, "show") == 0 || strcmp(top->command, "compare") == 0;
}

static void unknown_cmd(struct walk *x, const struct cli_command *list, const char *word, bool amb)
{
	struct comp near = {0};
	char msg[200];

	cmd_names(x->sh, list, false, amb ? word : "", &near);
	if (amb) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t j = 0; j < near.n; j++)
			strbuf_addf(&sb, "%s%s", j ? ", " : "", near.items[j].word);
		snprintf(msg, sizeof(msg), "'%s' is ambiguous: %s", word, strbuf_str(&sb));
		comp_error(x->c, msg);
		strbuf_free(&sb);
	} else {
		snprintf(msg, sizeof(msg), "unknown command '%s'", word);
		error_near(x, msg, word, &near);
	}
	comp_free(&near);
}

/* A command's arguments from word i; then what may come next. */
static void cmd_args(struct walk *x, const struct cli_command *top, const struct cli_command *cmd,
		     int i, int k)
{
	struct args a;
	bool run;

	args_of(cmd, &a);
	for (; i < k; i++) {
		int r = args_word(&a, x->w->w[i].text);

		if (r == 1) {
			config_walk(x, i, k, CW_SHOW);
			return;
		}
		if (r < 0) {
			struct comp near = {0};
			char msg[200];
			struct walk nx = *x;

			nx.c = &near;
			nx.prefix = "";
			args_next(&nx, &a);
			snprintf(msg, sizeof(msg), "'%s' is not valid after %s", x->w->w[i].text,
				 cmd->full_command_name ? cmd->full_command_name : cmd->command);
			error_near(x, msg, x->w->w[i].text, &near);
			comp_free(&near);
			return;
		}
	}
	run = args_next(x, &a) && cmd->callback != render_needs_more;
	if (run)
		comp_add(x->c, "<[Enter]>", "Execute this command", false);
	if (run && prints(top) && !*x->prefix)
		comp_add(x->c, "|",
			 "Pipe through a filter (match, except, count, display, no-more)", false);
}

static void shell_walk(struct walk *x, int i, int k)
{
	const struct cli_command *cmd = NULL, *top = NULL;
	bool amb;

	for (int j = i; j < k; j++)
		if (!x->w->w[j].quoted && strcmp(x->w->w[j].text, "|") == 0) {
			filter_walk(x, j + 1, k);
			return;
		}
	if (i == k) {
		cmd_names(x->sh, x->sh->cli->commands, false, x->prefix, x->c);
		return;
	}
	top = cmd = find_cmd(x->sh, x->sh->cli->commands, false, x->w->w[i].text, &amb);
	if (!cmd) {
		unknown_cmd(x, x->sh->cli->commands, x->w->w[i].text, amb);
		return;
	}
	if (strcmp(cmd->command, "do") == 0 || strcmp(cmd->command, "run") == 0) {
		shell_walk(x, i + 1, k);
		return;
	}
	if (strcmp(cmd->command, "config") == 0 || strcmp(cmd->command, "configure") == 0) {
		/* "config authority ..." is a configuration line (as show
		 * config flat prints them); else configure [exclusive] */
		if (i + 1 < k && strcmp(x->w->w[i + 1].text, "exclusive") != 0) {
			config_walk(x, i + 1, k, CW_SET);
			return;
		}
		if (i + 1 == k) {
			struct schema_walk sw;

			schema_walk_begin(x->sh, true, &sw);
			schema_walk_next(x->sh, &sw, x->prefix, x->c);
		}
	}
	if (strcmp(cmd->command, "set") == 0 || strcmp(cmd->command, "delete") == 0) {
		config_walk(x, i + 1, k, strcmp(cmd->command, "delete") == 0 ? CW_DELETE : CW_SET);
		return;
	}
	for (i++; i < k && cmd->children; i++) {
		const struct cli_command *sub =
			find_cmd(x->sh, cmd->children, false, x->w->w[i].text, &amb);

		if (!sub) {
			if (amb || (!cmd->optargs && !svrsh_args_of(cmd))) {
				unknown_cmd(x, cmd->children, x->w->w[i].text, amb);
				return;
			}
			break;
		}
		cmd = sub;
	}
	if (i == k || !cmd->children)
		cmd_names(x->sh, cmd->children, false, x->prefix, x->c);
	cmd_args(x, top, cmd, i, k);
}

/* Where the words from the first go: the shell's commands or the
 * configuration (as svrsh_classify sends a line). */
static void line_walk(struct walk *x, int k)
{
	char cands[512];
	const char *first = x->w->w[0].text;
	enum line_kind kind;

	if (k == 0) {
		cmd_names(x->sh, x->sh->cli->commands, false, x->prefix, x->c);
		if (x->sh->config_mode) {
			struct schema_walk sw;

			schema_walk_begin(x->sh, false, &sw);
			schema_walk_next(x->sh, &sw, x->prefix, x->c);
		}
		return;
	}
	kind = svrsh_classify(x->sh, first, cands, sizeof(cands));
	if (kind == LINE_AMBIGUOUS) {
		char msg[600];

		snprintf(msg, sizeof(msg), "'%s' is ambiguous: %s", first, cands);
		comp_error(x->c, msg);
	} else if (kind == LINE_CONFIG && x->sh->config_mode && strcmp(first, "set") != 0 &&
		   strcmp(first, "delete") != 0) {
		config_walk(x, 0, k, CW_LEVEL);
	} else {
		shell_walk(x, 0, k);
	}
}

static void complete_words(struct walk *x, const char *line);

void complete_line(struct svrsh *sh, const char *typed, struct comp *c)
{
	struct walk x = {sh, NULL, c, ""};
	char *alias = svrsh_alias(typed, true);
	const char *line = alias ? alias : typed;

	memset(c, 0, sizeof(*c));
	complete_words(&x, line);
	/* where the word being typed starts in what was typed */
	c->partial_start += strlen(typed) - strlen(line);
	free(alias);
}

static void complete_words(struct walk *x, const char *line)
{
	struct svrsh_words w;
	struct comp *c = x->c;
	int k;

	x->w = &w;
	if (svrsh_split(line, &w) < 0) {
		comp_error(c, "too many words on one line");
		return;
	}
	if (w.comment) {
		comp_error(c, "the rest of the line is a comment (#)");
		svrsh_words_free(&w);
		return;
	}
	k = w.n;
	c->partial_start = strlen(line);
	if (w.n && (w.open_quote || !w.blank_end)) {
		k = w.n - 1;
		snprintf(c->partial, sizeof(c->partial), "%s", w.w[k].text);
		c->partial_start = w.w[k].start;
		c->quoted = w.w[k].quoted;
	}
	x->prefix = c->partial;
	line_walk(x, k);
	svrsh_words_free(&w);
}

static int item_rank(const struct comp_item *it)
{
	if (strcmp(it->word, "<[Enter]>") == 0)
		return 0;
	if (strcmp(it->word, "|") == 0)
		return 3;
	return it->literal ? 2 : 1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct comp_item *x = a, *y = b;
	int d = item_rank(x) - item_rank(y);

	return d ? d : strcmp(x->word, y->word);
}

void complete_sort(struct comp *c)
{
	if (c && c->n > 1)
		qsort(c->items, c->n, sizeof(c->items[0]), item_cmp);
}

char *complete_suggest(struct svrsh *sh, const char *line)
{
	struct strbuf l = STRBUF_INIT;
	struct comp c;
	const char *dym;
	char *out = NULL;

	strbuf_addf(&l, "%s ", line);
	complete_line(sh, strbuf_str(&l), &c);
	dym = c.error ? strstr(c.error, "did you mean") : NULL;
	if (dym)
		out = strdup(dym);
	comp_free(&c);
	strbuf_free(&l);
	return out;
}
