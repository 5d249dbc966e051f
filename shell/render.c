/* DOC: output rendering
 *
 * Only the shell writes text for people.  Every show command uses the frame
 * of the seed's outputs: a date line, "✔ Retrieving WHAT...", the body,
 * "Completed in N.NN seconds".  Values that change from run to run (dates,
 * durations, PIDs, versions of system libraries) are exactly the ones
 * tests/golden/normalise.sed rewrites; keep that file in step with this one.
 *
 * Strings in svrd's replies are not all the operator's own: service and
 * router names come in SVR metadata from other routers, certificate names
 * from peers, alarm messages quote both.  svrsh_clean() (clean.c) makes every
 * character a terminal would act on visible instead: the C0 controls but TAB
 * (ESC included), DEL and bytes that are not UTF-8 become \xHH, the C1
 * controls and the bidirectional overrides become \uHHHH.  The shell's two
 * print callbacks (terminal and batch) pass every line through it, so the
 * table and detail renderers, errors and "| display json" alike can print
 * nothing that moves the cursor, retitles the window or reorders the line.
 */
#include "config.h"

#include <ctype.h>
#include <libcli.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"
#include "strbuf.h"
#include "svrsh.h"
#include "utf8.h"

void render_begin(struct cli_def *cli)
{
	svrsh_of(cli)->cmd_start_ms = ev_now_ms();
	pager_begin(svrsh_of(cli));
}

void render_date(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

void render_header(struct cli_def *cli, const char *what)
{
	char date[64];

	render_date(date, sizeof(date));
	cli_print(cli, "%s", date);
	cli_print(cli, "\u2714 Retrieving %s...", what);
}

void render_footer(struct cli_def *cli)
{
	struct svrsh *sh = svrsh_of(cli);
	uint64_t ms = ev_now_ms() - sh->cmd_start_ms;

	cli_print(cli, "Completed in %.2f seconds", (double)ms / 1000.0);
	pager_end(sh);
}

void render_banner(struct cli_def *cli, const char *title)
{
	char rule[128];
	size_t n = strlen(title) + 2;

	if (n >= sizeof(rule))
		n = sizeof(rule) - 1;
	memset(rule, '=', n);
	rule[n] = '\0';
	cli_print(cli, "%s", rule);
	cli_print(cli, " %s", title);
	cli_print(cli, "%s", rule);
}

int render_width(struct cli_def *cli)
{
	return svrsh_of(cli)->batch ? 0 : term_cols();
}

/* Where text of at most room columns breaks: after the last blank, or
 * else the last colon, within room; else at room (a long word). */
static size_t break_at(const char *text, size_t room)
{
	size_t cut = 0;

	for (size_t i = 0; i < room && text[i]; i++)
		if (text[i] == ' ' || (text[i] == ':' && !cut))
			cut = i + 1;
	for (size_t i = 0; i < room && text[i]; i++)
		if (text[i] == ' ')
			cut = i + 1;
	return cut ? cut : room;
}

void render_wrapped(struct cli_def *cli, const char *prefix, const char *text)
{
	int width = render_width(cli);
	size_t indent = strlen(prefix), len = strlen(text);

	if (!width || indent + len <= (size_t)width) {
		cli_print(cli, "%s%s", prefix, text);
		return;
	}
	if (indent > (size_t)width / 2) {
		/* little room beside the prefix: the text under it */
		cli_print(cli, "%s", prefix);
		render_wrapped(cli, "    ", text);
		return;
	}
	for (bool first = true; *text; first = false) {
		size_t room = (size_t)width - indent,
		       n = strlen(text) <= room ? strlen(text) : break_at(text, room);

		cli_print(cli, "%*s%.*s", first ? 0 : (int)indent, first ? prefix : "", (int)n,
			  text);
		text += n;
		while (*text == ' ')
			text++;
	}
}

/* "  Label:<pad>value" with values aligned at column 22, as the seed's
 * show peers security; a value too long for the terminal wraps under
 * itself. */
void render_field(struct cli_def *cli, const char *label, const char *fmt, ...)
{
	char value[512], key[64], prefix[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "%s:", label);
	snprintf(prefix, sizeof(prefix), "  %-20s", key);
	render_wrapped(cli, prefix, value);
}

void render_duration(char *buf, int len, int64_t s)
{
	if (s < 0)
		s = 0;
	snprintf(buf, (size_t)len, "%lld hrs %lld min %lld sec", (long long)(s / 3600),
		 (long long)(s / 60 % 60), (long long)(s % 60));
}

int render_state(struct cli_def *cli, const char *part, bool of_node, bool list, struct json **out,
		 const struct json **router, const struct json **node)
{
	struct svrsh *sh = svrsh_of(cli);
	const struct json *top;

	*out = NULL;
	*router = *node = NULL;
	render_begin(cli);
	*out = svrsh_call(sh, "get-state", NULL);
	if (!*out)
		return CLI_ERROR;
	top = json_get(json_get(*out, "state"), "opensvr:authority-state");
	*router = json_at(json_get(top, "router"), 0);
	*node = json_at(json_get(*router, "node"), 0);
	if (sh->display_json) {
		const struct json *v = json_get(of_node ? *node : *router, part);
		struct json *none = v ? NULL : list ? json_new_array() : json_new_object();

		print_json(cli, v ? v : none); /* the part as the model has it */
		json_free(none);
		json_free(*out);
		*out = NULL;
	}
	return CLI_OK;
}

int state_complete_peer(struct cli_def *cli, const char *name, const char *word,
			struct cli_comphelp *ch)
{
	(void)name;
	return state_complete(cli, "security-association", "peer-name", word, ch);
}

void state_time_text(const char *dt, char *buf, size_t len)
{
	snprintf(buf, len, "%.10s %.8s", dt ? dt : "", dt && strlen(dt) > 11 ? dt + 11 : "");
}

uint64_t state_u64(const struct json *o, const char *key, uint64_t def)
{
	const struct json *v = json_get(o, key);
	const char *s = json_str(v);
	char *end;
	uint64_t n;

	if (json_is_int(v))
		return (uint64_t)json_int(v);
	if (!s || !*s)
		return def;
	n = strtoull(s, &end, 10);
	return *end ? def : n;
}

bool state_bool(const struct json *o, const char *key)
{
	return json_get_bool(o, key, false);
}

const char *state_words(const char *value, char *buf, size_t len)
{
	bool start = true;
	size_t i = 0;

	for (; value && *value && i + 1 < len; value++, i++) {
		buf[i] = *value == '-' ? ' '
			 : start       ? (char)toupper((unsigned char)*value)
				       : *value;
		start = *value == '-';
	}
	buf[len ? i : 0] = '\0';
	return buf;
}

int render_fetch(struct cli_def *cli, const char *op, struct json **out)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *data;

	*out = NULL;
	render_begin(cli);
	data = svrsh_call(sh, op, NULL);
	if (!data)
		return CLI_ERROR;
	if (sh->display_json) {
		print_json(cli, data);
		json_free(data);
		return CLI_OK;
	}
	*out = data;
	return CLI_OK;
}

/* Text line by line: filters and the pager apply. */
void print_text(struct cli_def *cli, const char *text)
{
	const char *p = text;

	pager_begin(svrsh_of(cli));
	while (*p) {
		size_t n = strcspn(p, "\n");

		cli_print(cli, "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	pager_end(svrsh_of(cli));
}

void print_json(struct cli_def *cli, const struct json *data)
{
	char *text = json_print_pretty(data);

	print_text(cli, text ? text : "{}");
	free(text);
}

/* The command of full name words ("show security") in cli's tree. */
static struct cli_command *command_named(struct cli_def *cli, const char *words)
{
	struct cli_command *c = cli->commands, *hit = NULL;
	const char *w = words;

	while (*w) {
		size_t n = strcspn(w, " ");

		for (hit = NULL; c; c = c->next)
			if (strlen(c->command) == n && strncmp(c->command, w, n) == 0)
				break;
		if (!(hit = c))
			return NULL;
		w += n + strspn(w + n, " ");
		c = hit->children;
	}
	return hit;
}

int render_needs_more(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct cli_command *c = command_named(cli, command);
	struct strbuf sb = STRBUF_INIT;

	if (argc) {
		cli_error(cli, "%% Error: unknown command \"%s %s\"", command, argv[0]);
		return CLI_ERROR;
	}
	for (struct cli_command *k = c ? c->children : NULL; k; k = k->next)
		if ((k->mode == MODE_ANY || k->mode == cli->mode) &&
		    k->command_type != CLI_FILTER_COMMAND)
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", k->command);
	cli_error(cli, "%% Error: %s needs one of: %s", command,
		  sb.len ? strbuf_str(&sb) : "(nothing here)");
	strbuf_free(&sb);
	return CLI_ERROR;
}

int state_complete(struct cli_def *cli, const char *list, const char *key, const char *word,
		   struct cli_comphelp *ch)
{
	struct json *d = svrsh_call_quiet(svrsh_of(cli), "get-state", NULL);
	const struct json *top = json_get(json_get(d, "state"), "opensvr:authority-state");
	const struct json *items = json_get(json_at(json_get(top, "router"), 0), list);
	size_t wl = word ? strlen(word) : 0;

	for (size_t i = 0; i < json_len(items); i++) {
		const char *v = json_get_str(json_at(items, i), key, NULL);

		/* once each (a peer has several paths); nothing a terminal acts on */
		if (v && strncmp(v, word ? word : "", wl) == 0 && svrsh_is_clean(v)) {
			bool seen = false;

			for (int k = 0; k < ch->num_entries && !seen; k++)
				seen = strcmp(ch->entries[k], v) == 0;
			if (!seen)
				cli_add_comphelp_entry(ch, v);
		}
	}
	json_free(d);
	return CLI_OK;
}
