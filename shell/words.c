/* DOC: the words of a line, and what may come next
 *
 * Help (?) and completion (TAB) read the whole line again on every key
 * (complete.c), so they need the line's words as svrd's configuration
 * interpreter splits them: blanks separate words, a word that starts
 * with '"' runs to the next unescaped '"' (\" and \\ inside), and an
 * unquoted # starting a word begins a comment.  Each word keeps where it
 * is in the line, so a completion can replace it.
 *
 * struct comp is what may come next at the end of a line: literal words
 * (keywords, list keys, enum values) and placeholders (<text>, <[Enter]>),
 * each with a line of help; or, when nothing fits, an error that says why.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "svrsh.h"

static void word_end(struct svrsh_words *w, struct strbuf *sb, size_t start, size_t end,
		     bool quoted)
{
	w->w[w->n].start = start;
	w->w[w->n].end = end;
	w->w[w->n].quoted = quoted;
	if (!sb->buf)
		strbuf_adds(sb, "");
	w->w[w->n].text = strbuf_steal(sb);
	w->n++;
}

static const char *quoted_word(const char *p, struct strbuf *sb)
{
	p++;
	while (*p && *p != '"') {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		strbuf_addc(sb, *p++);
	}
	return p;
}

int svrsh_split(const char *line, struct svrsh_words *w)
{
	const char *p = line;

	memset(w, 0, sizeof(*w));
	for (;;) {
		struct strbuf sb = STRBUF_INIT;
		size_t start;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#') {
			w->comment = *p == '#';
			w->blank_end = p > line && (p[-1] == ' ' || p[-1] == '\t');
			return 0;
		}
		if (w->n == SVRSH_WORDS_MAX) {
			svrsh_words_free(w);
			return -1;
		}
		start = (size_t)(p - line);
		if (*p == '"') {
			p = quoted_word(p, &sb);
			if (!*p) {
				w->open_quote = true;
				word_end(w, &sb, start, (size_t)(p - line), true);
				return 0;
			}
			p++;
			word_end(w, &sb, start, (size_t)(p - line), true);
			continue;
		}
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			strbuf_addc(&sb, *p++);
		word_end(w, &sb, start, (size_t)(p - line), false);
	}
}

void svrsh_words_free(struct svrsh_words *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		free(w->w[i].text);
	w->n = 0;
}

void comp_add(struct comp *c, const char *word, const char *help, bool literal)
{
	if (!c || !word)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].word, word) == 0)
			return; /* once each (an ancestor's child may repeat) */
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct comp_item *it = realloc(c->items, cap * sizeof(*it));

		if (!it)
			return;
		c->items = it;
		c->cap = cap;
	}
	c->items[c->n].word = strdup(word);
	c->items[c->n].help = strdup(help ? help : "");
	c->items[c->n].literal = literal;
	if (c->items[c->n].word && c->items[c->n].help)
		c->n++;
	else {
		free(c->items[c->n].word);
		free(c->items[c->n].help);
	}
}

void comp_error(struct comp *c, const char *msg)
{
	if (!c || c->error)
		return;
	c->error = strdup(msg);
}

void comp_free(struct comp *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].word);
		free(c->items[i].help);
	}
	free(c->items);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* Edit distance (insertions, deletions, substitutions, transpositions of
 * neighbours) between two short words, capped: what "did you mean"
 * measures. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *comp_nearest(const struct comp *c, const char *word)
{
	const char *best = NULL;
	int bestd = 99;
	size_t wl = strlen(word);
	/* a slip of one key in a short word, two in a longer one */
	int limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;

	for (size_t i = 0; c && i < c->n; i++) {
		int d;

		if (!c->items[i].literal)
			continue;
		d = distance(word, c->items[i].word);
		if (d < bestd) {
			bestd = d;
			best = c->items[i].word;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* The arguments of the shell's commands that read their own words: a
 * small table beside libcli's, for help and completion only. */
#define GRAMMAR_MAX 64
static struct {
	const struct cli_command *cmd;
	const struct arg_slot *slots;
} grammar[GRAMMAR_MAX];
static int ngrammar;

void svrsh_args(const struct cli_command *cmd, const struct arg_slot *slots)
{
	if (!cmd || !slots)
		return;
	for (int i = 0; i < ngrammar; i++)
		if (grammar[i].cmd == cmd) {
			grammar[i].slots = slots;
			return;
		}
	if (ngrammar < GRAMMAR_MAX) {
		grammar[ngrammar].cmd = cmd;
		grammar[ngrammar++].slots = slots;
	}
}

const struct arg_slot *svrsh_args_of(const struct cli_command *cmd)
{
	for (int i = 0; cmd && i < ngrammar; i++)
		if (grammar[i].cmd == cmd)
			return grammar[i].slots;
	return NULL;
}

/* Does word abbreviate full at least as far as min characters? */
static bool abbreviates(const char *word, const char *full, size_t min)
{
	size_t n = strlen(word);

	return n >= min && n <= strlen(full) && strncmp(word, full, n) == 0;
}

char *svrsh_alias(const char *line, bool typing)
{
	struct svrsh_words w;
	char *out = NULL;

	if (svrsh_split(line, &w) < 0)
		return NULL;
	/* Junos's "show | compare [rollback N]" is compare */
	if (w.n >= 3 && !w.w[1].quoted && abbreviates(w.w[0].text, "show", 2) &&
	    strcmp(w.w[1].text, "|") == 0 && !w.w[2].quoted &&
	    abbreviates(w.w[2].text, "compare", 4) && (!typing || w.n > 3 || w.blank_end)) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_adds(&sb, "compare");
		strbuf_adds(&sb, line + w.w[2].end);
		svrsh_words_free(&w);
		return strbuf_steal(&sb);
	}
	/* Junos's "show configuration" is show config ("show conf" already
	 * is: a second command would make it ambiguous) */
	if (w.n >= 2 && (!typing || w.n > 2 || w.blank_end) && !w.w[1].quoted &&
	    abbreviates(w.w[0].text, "show", 2) && abbreviates(w.w[1].text, "configuration", 7)) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addn(&sb, line, w.w[1].start);
		strbuf_adds(&sb, "config");
		strbuf_adds(&sb, line + w.w[1].end);
		out = strbuf_steal(&sb);
	}
	svrsh_words_free(&w);
	return out;
}

bool svrsh_display_set(const char *line, bool *misused)
{
	struct svrsh_words w;
	int bar = -1;
	bool set = false;

	*misused = false;
	if (svrsh_split(line, &w) < 0)
		return false;
	for (int i = 0; i < w.n; i++)
		if (!w.w[i].quoted && strcmp(w.w[i].text, "|") == 0)
			bar = i;
	for (int i = 0; i + 2 < w.n; i++)
		if (!w.w[i].quoted && strcmp(w.w[i].text, "|") == 0 &&
		    abbreviates(w.w[i + 1].text, "display", 1) &&
		    strcmp(w.w[i + 2].text, "set") == 0)
			set = true;
	/* only show config, or show alone (the level, in configuration mode) */
	if (set && bar > 0)
		*misused = !(abbreviates(w.w[0].text, "show", 2) &&
			     (w.w[1].quoted || strcmp(w.w[1].text, "|") == 0 ||
			      abbreviates(w.w[1].text, "config", 4)));
	svrsh_words_free(&w);
	return set;
}
