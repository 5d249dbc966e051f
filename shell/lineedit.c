/* DOC: the line editor
 *
 * svrsh edits lines at the terminal itself rather than through libcli's
 * loop, so that every key does what an operator of a router expects:
 *
 *   ?          help for the word at the cursor, from the whole line
 *              (complete.c); never inserted, never runs anything, except
 *              inside an open quote or after Ctrl-V, where it is a '?'
 *   TAB        complete the word, or list what fits
 *   Ctrl-C     discard the line (and a quoted value being continued)
 *   Ctrl-D     on an empty line: leave; else delete the character
 *   Ctrl-V     the next key as it is
 *   Ctrl-A/E/B/F, arrows, Home, End: move; Ctrl-K/U/W: cut; Ctrl-P/N,
 *   up, down: history; Ctrl-L: redraw
 *
 * A line may hold LINEEDIT_MAX bytes.  Keys past that are refused with
 * a bell, and a line that overflowed (a paste) is refused whole at Enter:
 * never cut and run.  A line that opens a quote continues on the next
 * lines (prompt "> ") until it closes; the whole value then goes to svrd
 * at once, so Ctrl-C in between leaves nothing behind.  Lines wrap over
 * several terminal rows; the editor keeps track of the row it is on.
 */
#include "config.h"

#include <libcli.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sock.h"
#include "strbuf.h"
#include "svrsh.h"

/* Help lists at most this many items (and how many more there are). */
#define HELP_SHOWN 40

struct ed {
	char buf[LINEEDIT_MAX + 1];
	size_t len, pos;
	bool overflow;
	const char *prompt;
	int crow;	    /* the cursor's row, counted from the prompt's */
	int hist;	    /* the history entry shown (-1: the line being typed) */
	char *draft;	    /* the line being typed, while the history is shown */
	struct strbuf more; /* lines of a quoted value, before this one */
};

static void out(const char *s, size_t n)
{
	sock_write_all(STDOUT_FILENO, s, n);
}

static void outs(const char *s)
{
	out(s, strlen(s));
}

/* Columns of text: one per character (UTF-8 continuation bytes take
 * none). */
static size_t cols_of(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Draw the prompt and the line again, the cursor where it belongs; fresh:
 * on a new line (the cursor at its start), else over the line drawn
 * before. */
static void draw(struct ed *e, bool fresh)
{
	struct strbuf o = STRBUF_INIT;
	size_t cols = (size_t)term_cols(), pcols = cols_of(e->prompt, strlen(e->prompt));
	size_t endcol = pcols + cols_of(e->buf, e->len), curcol = pcols + cols_of(e->buf, e->pos);
	int erow, crow;

	if (!fresh && e->crow > 0)
		strbuf_addf(&o, "\x1b[%dA", e->crow);
	if (!fresh)
		strbuf_adds(&o, "\r\x1b[J");
	strbuf_adds(&o, e->prompt);
	strbuf_addn(&o, e->buf, e->len);
	/* at the last column the terminal waits to wrap: make it wrap */
	if (endcol && endcol % cols == 0)
		strbuf_adds(&o, "\r\n");
	erow = (int)(endcol / cols);
	crow = (int)(curcol / cols);
	if (e->pos < e->len) {
		if (erow > crow)
			strbuf_addf(&o, "\x1b[%dA", erow - crow);
		strbuf_adds(&o, "\r");
		if (curcol % cols)
			strbuf_addf(&o, "\x1b[%zuC", curcol % cols);
	}
	e->crow = crow;
	out(strbuf_str(&o), o.len);
	strbuf_free(&o);
}

static void refresh(struct ed *e)
{
	draw(e, false);
}

/* A fresh prompt on a new line, the line as it is. */
static void redraw(struct ed *e)
{
	draw(e, true);
}

static void bell(void)
{
	outs("\a");
}

static void insert(struct ed *e, const char *s, size_t n)
{
	size_t cols = (size_t)term_cols();

	if (e->len + n > LINEEDIT_MAX) {
		e->overflow = true;
		bell();
		return;
	}
	memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos);
	memcpy(e->buf + e->pos, s, n);
	e->len += n;
	e->pos += n;
	e->buf[e->len] = '\0';
	/* typing at the end: the characters alone, unless a row fills */
	if (e->pos == e->len &&
	    (cols_of(e->prompt, strlen(e->prompt)) + cols_of(e->buf, e->len)) % cols != 0 &&
	    (cols_of(e->prompt, strlen(e->prompt)) + cols_of(e->buf, e->len)) / cols ==
		    (size_t)e->crow) {
		out(s, n);
		return;
	}
	refresh(e);
}

static void cut(struct ed *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	if (e->pos > to)
		e->pos -= to - from;
	else if (e->pos > from)
		e->pos = from;
	e->buf[e->len] = '\0';
	refresh(e);
}

static size_t char_before(const struct ed *e, size_t p)
{
	while (p > 0 && ((unsigned char)e->buf[--p] & 0xc0) == 0x80)
		;
	return p;
}

static size_t char_after(const struct ed *e, size_t p)
{
	if (p < e->len)
		p++;
	while (p < e->len && ((unsigned char)e->buf[p] & 0xc0) == 0x80)
		p++;
	return p;
}

static void set_line(struct ed *e, const char *s)
{
	snprintf(e->buf, sizeof(e->buf), "%s", s ? s : "");
	e->len = e->pos = strlen(e->buf);
	refresh(e);
}

static int hist_count(const struct cli_def *cli)
{
	int n = 0;

	while (n < MAX_HISTORY && cli->history[n])
		n++;
	return n;
}

static void hist_add(struct cli_def *cli, const char *line)
{
	int n = hist_count(cli);

	if (!*line || (n && strcmp(cli->history[n - 1], line) == 0))
		return;
	if (n == MAX_HISTORY) {
		free(cli->history[0]);
		memmove(cli->history, cli->history + 1, (MAX_HISTORY - 1) * sizeof(char *));
		n--;
	}
	cli->history[n] = strdup(line);
}

static void hist_move(struct svrsh *sh, struct ed *e, int dir)
{
	int n = hist_count(sh->cli), to = (e->hist < 0 ? n : e->hist) + dir;

	if (to < 0 || to > n || (e->hist < 0 && dir > 0)) {
		bell();
		return;
	}
	if (e->hist < 0) {
		free(e->draft);
		e->draft = strdup(e->buf);
	}
	e->hist = to == n ? -1 : to;
	set_line(e, to == n ? e->draft : sh->cli->history[to]);
}

/* ---- ? and TAB ---- */

static void print_items(const struct comp *c)
{
	size_t wmax = 0, cols = (size_t)term_cols();
	struct strbuf o = STRBUF_INIT;

	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->items[i].word) > wmax)
			wmax = strlen(c->items[i].word);
	if (wmax > 28)
		wmax = 28;
	strbuf_adds(&o, "Possible completions:\r\n");
	for (size_t i = 0; i < c->n; i++) {
		if (i == HELP_SHOWN && c->n > HELP_SHOWN + 5) {
			/* a list of a thousand routers is no help on one screen */
			strbuf_addf(&o,
				    "  ... and %zu more: type the start of one, then ? or TAB\r\n",
				    c->n - i);
			break;
		}
		char *w = svrsh_clean(c->items[i].word), *h = svrsh_clean(c->items[i].help);
		int room = (int)cols - (int)wmax - 5;

		strbuf_addf(&o, "  %-*s", (int)wmax, w ? w : "");
		if (h && *h && room > 10)
			strbuf_addf(&o, "  %.*s", room, h);
		strbuf_adds(&o, "\r\n");
		free(w);
		free(h);
	}
	out(strbuf_str(&o), o.len);
	strbuf_free(&o);
}

static void print_error(const char *msg)
{
	char *m = svrsh_clean(msg);

	outs("% Error: ");
	outs(m ? m : "");
	outs("\r\n");
	free(m);
}

static void help(struct svrsh *sh, struct ed *e)
{
	struct comp c;
	char save = e->buf[e->pos];

	e->buf[e->pos] = '\0';
	complete_line(sh, e->buf, &c);
	e->buf[e->pos] = save;
	outs("?\r\n");
	if (c.error)
		print_error(c.error);
	else if (!c.n)
		print_error(*c.partial ? "nothing here starts so" : "nothing may follow here");
	else {
		complete_sort(&c);
		print_items(&c);
	}
	comp_free(&c);
	redraw(e);
}

/* The longest start every literal item shares. */
static size_t common_len(const struct comp *c)
{
	size_t n = SIZE_MAX;
	const char *first = NULL;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = 0;

		if (!c->items[i].literal)
			continue;
		if (!first) {
			first = c->items[i].word;
			n = strlen(first);
			continue;
		}
		while (k < n && first[k] == c->items[i].word[k])
			k++;
		n = k;
	}
	return first ? n : 0;
}

static const char *common_word(const struct comp *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->items[i].literal)
			return c->items[i].word;
	return NULL;
}

static size_t literals(const struct comp *c, bool *free_value)
{
	size_t n = 0;

	*free_value = false;
	for (size_t i = 0; i < c->n; i++) {
		if (c->items[i].literal)
			n++;
		else if (c->items[i].word[0] == '<' && strcmp(c->items[i].word, "<[Enter]>"))
			*free_value = true;
	}
	return n;
}

/* A completed word as it goes on the line: quoted when it must be. */
static void insert_word(struct ed *e, const struct comp *c, const char *w, size_t n, bool whole)
{
	struct strbuf sb = STRBUF_INIT;
	bool q = strpbrk(w, " \t\"\\#") && n == strlen(w);
	size_t typed = strlen(c->partial);

	if (!q && typed <= n && strncmp(w, c->partial, typed) == 0) {
		/* the rest of what was typed */
		strbuf_addn(&sb, w + typed, n - typed);
	} else if (q) {
		cut(e, c->partial_start, e->pos); /* replaced whole, quoted */
		strbuf_addc(&sb, '"');
		for (size_t i = 0; i < n; i++) {
			if (w[i] == '"' || w[i] == '\\')
				strbuf_addc(&sb, '\\');
			strbuf_addc(&sb, w[i]);
		}
		strbuf_addc(&sb, '"');
	} else {
		cut(e, c->partial_start, e->pos);
		strbuf_addn(&sb, w, n);
	}
	if (whole)
		strbuf_addc(&sb, ' ');
	insert(e, strbuf_str(&sb), sb.len);
	strbuf_free(&sb);
}

static void tab(struct svrsh *sh, struct ed *e, bool again)
{
	struct comp c;
	char save = e->buf[e->pos];
	bool free_value;
	size_t lits;

	e->buf[e->pos] = '\0';
	complete_line(sh, e->buf, &c);
	e->buf[e->pos] = save;
	lits = literals(&c, &free_value);
	if (c.error || c.quoted || (!lits && !again)) {
		bell();
	} else if (lits == 1 && (!free_value || *c.partial)) {
		insert_word(e, &c, common_word(&c), strlen(common_word(&c)), true);
	} else if (lits && common_len(&c) > strlen(c.partial)) {
		insert_word(e, &c, common_word(&c), common_len(&c), false);
	} else if (c.n) {
		outs("\r\n");
		complete_sort(&c);
		print_items(&c);
		redraw(e);
	} else {
		bell();
	}
	comp_free(&c);
}

/* ---- keys ---- */

enum key_result { KEY_GO, KEY_LINE, KEY_QUIT };

/* An escape sequence: arrows, Home, End, Delete. */
static int escape_key(void)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	char s[3] = {0};

	if (poll(&p, 1, 50) <= 0 || read(STDIN_FILENO, &s[0], 1) != 1 ||
	    (s[0] != '[' && s[0] != 'O') || poll(&p, 1, 50) <= 0 ||
	    read(STDIN_FILENO, &s[1], 1) != 1)
		return 0;
	if (s[1] >= '0' && s[1] <= '9') {
		if (poll(&p, 1, 50) <= 0 || read(STDIN_FILENO, &s[2], 1) != 1 || s[2] != '~')
			return 0;
		return s[1] == '3' ? 'D' | 0x100 : s[1] == '1' || s[1] == '7' ? 'H' : 'F';
	}
	return s[1];
}

static void move_to(struct ed *e, size_t p)
{
	e->pos = p;
	refresh(e);
}

static void word_left_cut(struct ed *e)
{
	size_t p = e->pos;

	while (p > 0 && e->buf[p - 1] == ' ')
		p--;
	while (p > 0 && e->buf[p - 1] != ' ')
		p--;
	cut(e, p, e->pos);
}

static void discard(struct ed *e)
{
	outs("^C\r\n");
	e->len = e->pos = 0;
	e->buf[0] = '\0';
	e->overflow = false;
	e->hist = -1;
	strbuf_reset(&e->more);
}

static enum key_result edit_key(struct svrsh *sh, struct ed *e, unsigned char c, bool *again)
{
	bool was_tab = *again;

	*again = false;
	switch (c) {
	case '\r':
	case '\n':
		return KEY_LINE;
	case 3: /* Ctrl-C */
		discard(e);
		e->prompt = svrsh_prompt(sh);
		redraw(e);
		return KEY_GO;
	case 4: /* Ctrl-D */
		if (e->len == 0 && !e->more.len)
			return KEY_QUIT;
		if (e->pos < e->len)
			cut(e, e->pos, char_after(e, e->pos));
		return KEY_GO;
	case '\t':
		tab(sh, e, was_tab);
		*again = true;
		return KEY_GO;
	case 1:
		move_to(e, 0);
		return KEY_GO;
	case 5:
		move_to(e, e->len);
		return KEY_GO;
	case 2:
		move_to(e, char_before(e, e->pos));
		return KEY_GO;
	case 6:
		move_to(e, char_after(e, e->pos));
		return KEY_GO;
	case 11:
		cut(e, e->pos, e->len);
		return KEY_GO;
	case 21:
		cut(e, 0, e->pos);
		return KEY_GO;
	case 23:
		word_left_cut(e);
		return KEY_GO;
	case 12:
		outs("\x1b[H\x1b[2J");
		redraw(e);
		return KEY_GO;
	case 16:
		hist_move(sh, e, -1);
		return KEY_GO;
	case 14:
		hist_move(sh, e, 1);
		return KEY_GO;
	case 8:
	case 127:
		if (e->pos)
			cut(e, char_before(e, e->pos), e->pos);
		return KEY_GO;
	case 22: { /* Ctrl-V: the next key as it is */
		char k;

		if (read(STDIN_FILENO, &k, 1) == 1 && (unsigned char)k >= 0x20 && k != 127)
			insert(e, &k, 1);
		else
			bell();
		return KEY_GO;
	}
	case 27:
		switch (escape_key()) {
		case 'A':
			hist_move(sh, e, -1);
			break;
		case 'B':
			hist_move(sh, e, 1);
			break;
		case 'C':
			move_to(e, char_after(e, e->pos));
			break;
		case 'D':
			move_to(e, char_before(e, e->pos));
			break;
		case 'H':
			move_to(e, 0);
			break;
		case 'F':
			move_to(e, e->len);
			break;
		case 'D' | 0x100:
			if (e->pos < e->len)
				cut(e, e->pos, char_after(e, e->pos));
			break;
		default:
			break;
		}
		return KEY_GO;
	case '?': {
		struct svrsh_words w;
		char save = e->buf[e->pos];
		bool quoted;

		e->buf[e->pos] = '\0';
		quoted = svrsh_split(e->buf, &w) == 0 && w.open_quote;
		svrsh_words_free(&w);
		e->buf[e->pos] = save;
		if (quoted || e->more.len)
			insert(e, "?", 1);
		else
			help(sh, e);
		return KEY_GO;
	}
	default:
		if (c < 0x20)
			bell();
		else
			insert(e, (const char *)&c, 1);
		return KEY_GO;
	}
}

/* Enter: the whole text to run (lines of a quoted value joined with
 * '\n'), or NULL while a quote is open or when the line was refused. */
static char *line_done(struct svrsh *sh, struct ed *e)
{
	struct svrsh_words w;
	bool open;
	char *text;

	if (e->pos != e->len) {
		e->pos = e->len;
		refresh(e);
	}
	outs("\r\n");
	if (e->overflow) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "%% Error: the line is longer than %d bytes; it was not run\r\n",
			 LINEEDIT_MAX);
		outs(msg);
		e->len = e->pos = 0;
		e->buf[0] = '\0';
		e->overflow = false;
		strbuf_reset(&e->more);
		return NULL;
	}
	strbuf_addn(&e->more, e->buf, e->len);
	open = svrsh_split(strbuf_str(&e->more), &w) == 0 && w.open_quote;
	svrsh_words_free(&w);
	e->len = e->pos = 0;
	e->buf[0] = '\0';
	e->hist = -1;
	if (open) {
		strbuf_addc(&e->more, '\n');
		return NULL;
	}
	text = strbuf_steal(&e->more);
	hist_add(sh->cli, text ? text : "");
	return text;
}

/* Wait for a key.  While a commit confirmed is pending, look once a
 * second after its deadline: when svrd has rolled it back, say so at once
 * (above the line being typed, which is drawn again).  false: no key
 * yet. */
static bool key_or_rollback(struct svrsh *sh, struct ed *e)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	struct timespec ts;
	int64_t before = sh->last_commit;

	if (!sh->confirm_deadline || poll(&p, 1, 1000) != 0)
		return true;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < sh->confirm_deadline)
		return false;
	outs("\r\x1b[J");
	svrsh_refresh_status(sh);
	if (sh->last_commit != before) {
		e->prompt = svrsh_prompt(sh);
		redraw(e);
	} else {
		refresh(e);
	}
	return false;
}

int lineedit_loop(struct svrsh *sh, int (*run)(struct svrsh *sh, const char *text))
{
	struct ed e = {.hist = -1, .more = STRBUF_INIT};
	bool again = false;
	int rc = 0;

	e.prompt = svrsh_prompt(sh);
	redraw(&e);
	for (;;) {
		unsigned char c;
		enum key_result k;
		char *text;

		if (!key_or_rollback(sh, &e))
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1)
			break;
		k = edit_key(sh, &e, c, &again);
		if (k == KEY_QUIT) {
			outs("\r\n");
			break;
		}
		if (k != KEY_LINE)
			continue;
		text = line_done(sh, &e);
		if (text) {
			int r = run(sh, text);

			free(text);
			if (r == CLI_QUIT)
				break;
		}
		/* another session may have changed the candidate (the prompt's
		 * '*'), or svrd rolled a commit back: ask before each prompt */
		if (!e.more.len)
			svrsh_refresh_status(sh);
		e.prompt = e.more.len ? "> " : svrsh_prompt(sh);
		redraw(&e);
	}
	free(e.draft);
	strbuf_free(&e.more);
	return rc;
}
