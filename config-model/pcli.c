/* The PCLI line interpreter: sessions, their levels, the words of a line
 * walked down the schema into datastore edits (pcli.h; the printer and
 * the comparer are pcli_print.c and pcli_compare.c). */
#include "config.h"

#include <errno.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore.h"
#include "model.h"
#include "pcli.h"
#include "strbuf.h"

#define PCLI_DEPTH  16
#define PCLI_TOKENS 128

/* ---- the line interpreter ------------------------------------------------ */

struct level {
	const struct lysc_node *sn;
	char *path;
	char *words;
	char *label; /* for the prompt: "authority", "router[name=combo-east]" */
};

struct pcli_session {
	struct ds *ds;
	uint64_t id;
	bool config;
	int depth;
	struct level lv[PCLI_DEPTH];
	struct strbuf pending; /* a quoted value spanning lines */
	char *resolved;	       /* WALK_RESOLVE: the data path found */
};

struct pcli_session *pcli_session_new(struct ds *ds, uint64_t session_id)
{
	struct pcli_session *s = calloc(1, sizeof(*s));

	if (s) {
		s->ds = ds;
		s->id = session_id;
	}
	return s;
}

static void pop(struct pcli_session *s)
{
	if (s->depth <= 0)
		return;
	s->depth--;
	free(s->lv[s->depth].path);
	free(s->lv[s->depth].words);
	free(s->lv[s->depth].label);
}

/* "up [N]": N levels up (1 by default), no further than the top.  The
 * count is checked, and the loop ends at the top: "up 2147483647" once
 * kept svrd busy for seconds, one pop at a time. */
static int go_up(struct pcli_session *s, const char *count, struct ds_errs *e)
{
	long k = 1;

	if (count) {
		char *end;

		errno = 0;
		k = strtol(count, &end, 10);
		if (errno || end == count || *end || k < 1) {
			ds_errs_add(e, false, NULL, "up takes a number of levels, 1 or more: '%s'",
				    count);
			return -1;
		}
	}
	while (k-- > 0 && s->depth)
		pop(s);
	return 0;
}

void pcli_reset(struct pcli_session *s)
{
	while (s->depth)
		pop(s);
	s->config = false;
	strbuf_free(&s->pending);
}

void pcli_session_free(struct pcli_session *s)
{
	if (!s)
		return;
	pcli_reset(s);
	free(s->resolved);
	free(s);
}

bool pcli_in_config(const struct pcli_session *s)
{
	return s->config;
}

const char *pcli_where(const struct pcli_session *s)
{
	return s->depth ? s->lv[s->depth - 1].words : "";
}

const char *pcli_label(const struct pcli_session *s)
{
	return s->depth ? s->lv[s->depth - 1].label : "config";
}

char *pcli_schema_path(const struct pcli_session *s)
{
	return s->depth ? lysc_path(s->lv[s->depth - 1].sn, LYSC_PATH_DATA, NULL, 0) : strdup("");
}

const char *pcli_path(const struct pcli_session *s)
{
	return s->depth ? s->lv[s->depth - 1].path : "";
}

struct tokens {
	char *v[PCLI_TOKENS];
	int n;
	bool open_quote;
};

static void tokens_free(struct tokens *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->v[i]);
	t->n = 0;
}

/* Split a line into words; "..." may hold blanks, \" and \\ and newlines.
 * An unquoted # starting a word begins a comment. */
static int tokenize(const char *line, struct tokens *t, struct ds_errs *e)
{
	const char *p = line;

	memset(t, 0, sizeof(*t));
	for (;;) {
		struct strbuf w = STRBUF_INIT;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return 0;
		if (t->n == PCLI_TOKENS) {
			ds_errs_add(e, false, NULL, "too many words on one line (at most %d)",
				    PCLI_TOKENS);
			tokens_free(t);
			return -1;
		}
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				strbuf_addc(&w, *p++);
			}
			if (!*p) {
				strbuf_free(&w);
				tokens_free(t);
				t->open_quote = true;
				return 0;
			}
			p++;
			if (!w.buf)
				strbuf_adds(&w, "");
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				strbuf_addc(&w, *p++);
		}
		t->v[t->n++] = strbuf_steal(&w);
	}
}

static const struct lys_module *module(const struct pcli_session *s)
{
	return ly_ctx_get_module_implemented(ds_ctx(s->ds), "opensvr");
}

/* The configuration child of parent called name, or the only one whose
 * name starts with it (operators abbreviate).  NULL when there is none, or
 * when the abbreviation fits several: then amb lists them. */
static const struct lysc_node *find_child_amb(const struct pcli_session *s,
					      const struct lysc_node *parent, const char *name,
					      struct strbuf *amb)
{
	const struct lys_module *mod = module(s);
	const struct lysc_node *sn = NULL, *it = NULL, *hit = NULL;
	size_t len = strlen(name);
	int hits = 0;

	while ((it = lys_getnext(it, parent, parent ? NULL : mod->compiled, 0))) {
		if (!(it->flags & LYS_CONFIG_W))
			continue; /* state, not configuration */
		if (strcmp(it->name, name) == 0)
			return it;
		if (strncmp(it->name, name, len) == 0) {
			if (amb)
				strbuf_addf(amb, "%s%s", hits ? ", " : "", it->name);
			hit = it;
			hits++;
		}
	}
	if (hits == 1)
		sn = hit;
	else if (amb && hits == 0)
		strbuf_reset(amb);
	return sn;
}

/* Does the level below parent know this word (an ambiguous abbreviation
 * counts: the walk then reports it)? */
static bool knows(const struct pcli_session *s, const struct lysc_node *parent, const char *name)
{
	struct strbuf amb = STRBUF_INIT;
	bool known = find_child_amb(s, parent, name, &amb) || amb.len;

	strbuf_free(&amb);
	return known;
}

static void add_predicate(struct strbuf *path, const char *key, const char *v)
{
	char q = strchr(v, '\'') ? '"' : '\'';

	strbuf_addf(path, "[%s=%c%s%c]", key, q, v, q);
}

enum walk_mode { WALK_SET, WALK_DELETE, WALK_RESOLVE };

/* Apply words w[0..n) below level (sn, path, words).  Returns 0 done, 1 the
 * first word is unknown here, -1 error.  With enter, a line that ends on a
 * container or list entry makes it the new current level. */
static int walk(struct pcli_session *s, const struct level *at, char **w, int n,
		enum walk_mode mode, bool enter, struct ds_errs *e)
{
	struct strbuf path = STRBUF_INIT, words = STRBUF_INIT, label = STRBUF_INIT;
	const struct lysc_node *parent = at ? at->sn : NULL;
	int i = 0, rc = -1;

	strbuf_adds(&path, at ? at->path : "");
	strbuf_adds(&words, at ? at->words : "");
	while (i < n) {
		struct strbuf amb = STRBUF_INIT;
		const struct lysc_node *sn = find_child_amb(s, parent, w[i], &amb);
		const char *where = words.len ? strbuf_str(&words) : "the top level";

		if (!sn && amb.len) {
			ds_errs_add(e, false, words.len ? strbuf_str(&words) : NULL,
				    "'%s' is ambiguous: %s", w[i], strbuf_str(&amb));
			strbuf_free(&amb);
			goto out;
		}
		strbuf_free(&amb);
		if (!sn) {
			if (i == 0) {
				rc = 1;
				goto out;
			}
			ds_errs_add(e, false, strbuf_str(&words),
				    "'%s' is not a configuration item of %s", w[i], where);
			goto out;
		}
		if (!parent || sn->module != parent->module)
			strbuf_addf(&path, "/%s:%s", sn->module->name, sn->name);
		else
			strbuf_addf(&path, "/%s", sn->name);
		strbuf_addf(&words, "%s%s", words.len ? " " : "", sn->name);
		strbuf_reset(&label);
		strbuf_adds(&label, sn->name);
		i++;
		if (sn->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			struct strbuf desc = STRBUF_INIT;

			if (mode == WALK_RESOLVE) {
				if (i < n) {
					ds_errs_add(e, false, strbuf_str(&words),
						    "unexpected '%s' after %s", w[i], sn->name);
					goto out;
				}
				s->resolved = strbuf_steal(&path);
				rc = 0;
				goto out;
			}
			if (mode == WALK_DELETE) {
				if (sn->nodetype == LYS_LEAFLIST && i < n)
					add_predicate(&path, ".", w[i++]);
				if (i < n) {
					ds_errs_add(e, false, strbuf_str(&words),
						    "unexpected '%s' after %s", w[i], sn->name);
					goto out;
				}
				rc = ds_delete(s->ds, s->id, strbuf_str(&path), e);
				goto out;
			}
			if (i >= n) {
				model_describe_type(((const struct lysc_node_leaf *)sn)->type,
						    &desc);
				ds_errs_add(e, false, strbuf_str(&words),
					    "missing value: expected %s", strbuf_str(&desc));
				strbuf_free(&desc);
				goto out;
			}
			if (sn->nodetype == LYS_LEAF && i + 1 < n) {
				ds_errs_add(e, false, strbuf_str(&words),
					    "unexpected '%s' after the value (quote values with "
					    "blanks)",
					    w[i + 1]);
				goto out;
			}
			for (rc = 0; i < n && rc == 0; i++)
				rc = ds_set(s->ds, s->id, strbuf_str(&path), w[i], e);
			goto out;
		}
		if (sn->nodetype == LYS_LIST) {
			const struct lysc_node *k;

			for (k = lysc_node_child(sn); k && (k->flags & LYS_KEY); k = k->next) {
				if (i >= n) {
					ds_errs_add(e, false, strbuf_str(&words),
						    "missing %s: which %s?", k->name, sn->name);
					goto out;
				}
				{
					/* the key is a value too: say what it must be */
					struct strbuf kp = STRBUF_INIT;
					int bad;

					strbuf_addf(&kp, "%s/%s", strbuf_str(&path), k->name);
					bad = mode == WALK_SET &&
					      model_check_value(ds_ctx(s->ds), strbuf_str(&kp),
								w[i], e) < 0;
					strbuf_free(&kp);
					if (bad)
						goto out;
				}
				add_predicate(&path, k->name, w[i]);
				strbuf_addf(&label, "[%s=%s]", k->name, w[i]);
				strbuf_addc(&words, ' ');
				strbuf_adds(&words, w[i]);
				i++;
			}
		}
		parent = sn;
		if (i == n) {
			if (mode == WALK_RESOLVE) {
				s->resolved = strbuf_steal(&path);
				rc = 0;
				goto out;
			}
			if (mode == WALK_DELETE) {
				rc = ds_delete(s->ds, s->id, strbuf_str(&path), e);
				goto out;
			}
			if (sn->nodetype == LYS_LIST &&
			    ds_set(s->ds, s->id, strbuf_str(&path), NULL, e) < 0)
				goto out;
			if (enter) {
				if (s->depth == PCLI_DEPTH) {
					ds_errs_add(e, false, NULL,
						    "configuration nested too deep");
					goto out;
				}
				s->lv[s->depth].sn = sn;
				s->lv[s->depth].path = strbuf_steal(&path);
				s->lv[s->depth].words = strbuf_steal(&words);
				s->lv[s->depth].label = strbuf_steal(&label);
				s->depth++;
			}
			rc = 0;
			goto out;
		}
	}
	rc = 0;
out:
	strbuf_free(&path);
	strbuf_free(&words);
	strbuf_free(&label);
	return rc;
}

/* A one-liner from the top: "config|set|delete WORDS". */
static int one_liner(struct pcli_session *s, char **w, int n, enum walk_mode mode,
		     struct ds_errs *e)
{
	int rc;

	if (mode == WALK_DELETE && n > 0 && strcmp(w[n - 1], "force") == 0)
		n--;
	if (n == 0) {
		ds_errs_add(e, false, NULL, "what should be %s?",
			    mode == WALK_DELETE ? "deleted" : "set");
		return -1;
	}
	rc = walk(s, NULL, w, n, mode, false, e);
	if (rc == 1)
		ds_errs_add(e, false, NULL, "'%s' is not a configuration item of the top level",
			    w[0]);
	return rc ? -1 : 0;
}

static int nested(struct pcli_session *s, char **w, int n, struct ds_errs *e)
{
	int d;

	/* A word unknown at this level closes levels until one knows it, as
	 * in the seed's examples that leave out some "exit" lines. */
	for (d = s->depth; d >= 0; d--)
		if (knows(s, d ? s->lv[d - 1].sn : NULL, w[0]))
			break;
	if (d < 0) {
		ds_errs_add(e, false, s->depth ? pcli_where(s) : NULL,
			    "'%s' is not a configuration item here or above", w[0]);
		return -1;
	}
	while (s->depth > d)
		pop(s);
	return walk(s, d ? &s->lv[d - 1] : NULL, w, n, WALK_SET, true, e) ? -1 : 0;
}

enum pcli_result pcli_line(struct pcli_session *s, const char *line, struct ds_errs *e)
{
	struct tokens t;
	enum pcli_result res = PCLI_OK;
	char **w;
	int n;

	if (s->pending.len) {
		strbuf_adds(&s->pending, line);
		line = strbuf_str(&s->pending);
	}
	if (tokenize(line, &t, e) < 0) {
		strbuf_free(&s->pending);
		return PCLI_ERROR;
	}
	if (t.open_quote) {
		if (!s->pending.len)
			strbuf_adds(&s->pending, line);
		strbuf_addc(&s->pending, '\n');
		return PCLI_MORE;
	}
	w = t.v;
	n = t.n;
	if (n == 0)
		goto out;
	if (strcmp(w[0], "config") == 0 || strcmp(w[0], "configure") == 0) {
		if (n == 1) {
			while (s->depth)
				pop(s);
			s->config = true;
		} else {
			res = one_liner(s, w + 1, n - 1, WALK_SET, e) ? PCLI_ERROR : PCLI_OK;
		}
	} else if (strcmp(w[0], "set") == 0) {
		res = one_liner(s, w + 1, n - 1, WALK_SET, e) ? PCLI_ERROR : PCLI_OK;
	} else if (strcmp(w[0], "delete") == 0) {
		res = one_liner(s, w + 1, n - 1, WALK_DELETE, e) ? PCLI_ERROR : PCLI_OK;
	} else if (!s->config) {
		res = PCLI_NOT_CONFIG;
	} else if (strcmp(w[0], "exit") == 0 && n == 1) {
		if (s->depth)
			pop(s);
		else
			s->config = false;
	} else if (strcmp(w[0], "top") == 0 && n == 1) {
		while (s->depth)
			pop(s);
	} else if (strcmp(w[0], "up") == 0 && n <= 2) {
		res = go_up(s, n == 2 ? w[1] : NULL, e) ? PCLI_ERROR : PCLI_OK;
	} else {
		res = nested(s, w, n, e) ? PCLI_ERROR : PCLI_OK;
	}
out:
	tokens_free(&t);
	strbuf_free(&s->pending);
	return res;
}

char *pcli_resolve(struct ds *ds, const char *words, struct ds_errs *e)
{
	struct pcli_session *s = pcli_session_new(ds, 0);
	struct tokens t;
	char *path = NULL;

	if (!s)
		return NULL;
	if (tokenize(words, &t, e) == 0 && !t.open_quote && t.n > 0) {
		int rc = walk(s, NULL, t.v, t.n, WALK_RESOLVE, false, e);

		if (rc == 1)
			ds_errs_add(e, false, NULL,
				    "'%s' is not a configuration item of the top level", t.v[0]);
		path = s->resolved;
		s->resolved = NULL;
	}
	tokens_free(&t);
	pcli_session_free(s);
	return path;
}

int pcli_apply_text(struct pcli_session *s, const char *text, struct ds_errs *e)
{
	const char *p = text;
	long lineno = 0, start = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		struct ds_errs le = {0};
		enum pcli_result r;

		lineno++;
		if (!s->pending.len)
			start = lineno;
		r = pcli_line(s, line, &le);
		free(line);
		if (r == PCLI_NOT_CONFIG)
			ds_errs_add(&le, false, NULL, "not a configuration line");
		for (size_t i = 0; i < le.n; i++) {
			char where[600];

			snprintf(where, sizeof(where), "line %ld%s%s", start,
				 le.v[i].path ? ": " : "", le.v[i].path ? le.v[i].path : "");
			ds_errs_add(e, le.v[i].warning, where, "%s", le.v[i].msg);
		}
		ds_errs_free(&le);
		if (r == PCLI_ERROR || r == PCLI_NOT_CONFIG)
			return -1;
		p += len + (nl ? 1 : 0);
	}
	if (s->pending.len) {
		char where[32];

		snprintf(where, sizeof(where), "line %ld", start);
		ds_errs_add(e, false, where, "a quoted value is never closed");
		strbuf_free(&s->pending);
		return -1;
	}
	return 0;
}
