/* PCLI text format: printer, comparer and line interpreter; see pcli.h. */
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

/* ---- values -------------------------------------------------------------- */

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '"' || *p == '\\' ||
		    (*p == '#' && p == v))
			return true;
	return false;
}

static void add_value(struct strbuf *sb, const char *v)
{
	if (!needs_quotes(v)) {
		strbuf_adds(sb, v);
		return;
	}
	strbuf_addc(sb, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '"');
}

/* ---- printing ------------------------------------------------------------ */

static bool is_generated(const struct lyd_node *n)
{
	struct lyd_node *c;

	if (!n->schema || n->schema->nodetype != LYS_LIST)
		return false;
	LY_LIST_FOR(lyd_child(n), c)
	if (strcmp(c->schema->name, "generated") == 0)
		return strcmp(lyd_get_value(c), "true") == 0;
	return false;
}

static bool printable(const struct lyd_node *n, unsigned flags)
{
	struct lyd_node *c;

	if (!n->schema || !(n->schema->flags & LYS_CONFIG_W))
		return false;
	if (!(flags & PCLI_VERBOSE) && ((n->flags & LYD_DEFAULT) || is_generated(n)))
		return false;
	switch (n->schema->nodetype) {
	case LYS_CONTAINER:
		if (flags & PCLI_VERBOSE)
			return true;
		LY_LIST_FOR(lyd_child(n), c)
		if (printable(c, flags))
			return true;
		return false;
	default:
		return true;
	}
}

static bool is_key(const struct lyd_node *n)
{
	return n->schema && (n->schema->flags & LYS_KEY);
}

/* "router  combo-east" / "address  192.0.2.0/24": the name and what follows */
static void add_keys(struct strbuf *sb, const struct lyd_node *n)
{
	struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
	{
		if (!is_key(c))
			break;
		strbuf_addc(sb, ' ');
		add_value(sb, lyd_get_value(c));
	}
}

static void indent(struct strbuf *sb, int level)
{
	for (int i = 0; i < level; i++)
		strbuf_adds(sb, "    ");
}

static void print_block(struct strbuf *sb, const struct lyd_node *first, int level, unsigned flags);

static void print_node(struct strbuf *sb, const struct lyd_node *n, int level, size_t width,
		       unsigned flags)
{
	const char *name = n->schema->name;

	indent(sb, level);
	switch (n->schema->nodetype) {
	case LYS_LEAF:
	case LYS_LEAFLIST:
		strbuf_addf(sb, "%-*s", (int)width, name);
		add_value(sb, lyd_get_value(n));
		strbuf_addc(sb, '\n');
		break;
	case LYS_LIST: {
		struct strbuf keys = STRBUF_INIT;

		add_keys(&keys, n);
		strbuf_addf(sb, "%-*s%s\n", (int)width, name, strbuf_str(&keys) + 1);
		strbuf_free(&keys);
		print_block(sb, lyd_child(n), level + 1, flags);
		indent(sb, level);
		strbuf_adds(sb, "exit\n");
		break;
	}
	default:
		strbuf_addf(sb, "%s\n", name);
		print_block(sb, lyd_child(n), level + 1, flags);
		indent(sb, level);
		strbuf_adds(sb, "exit\n");
	}
}

static void print_block(struct strbuf *sb, const struct lyd_node *first, int level, unsigned flags)
{
	const struct lyd_node *n;
	size_t width = 0;

	LY_LIST_FOR(first, n)
	if (printable(n, flags) && n->schema->nodetype != LYS_CONTAINER &&
	    strlen(n->schema->name) + 2 > width)
		width = strlen(n->schema->name) + 2;
	LY_LIST_FOR(first, n)
	if (printable(n, flags))
		print_node(sb, n, level, width, flags);
}

/* The words that lead to n: "authority router combo-east location". */
static void node_words(struct strbuf *sb, const struct lyd_node *n)
{
	if (n->parent)
		node_words(sb, lyd_parent(n));
	if (sb->len)
		strbuf_addc(sb, ' ');
	strbuf_adds(sb, n->schema->name);
	if (n->schema->nodetype == LYS_LIST)
		add_keys(sb, n);
}

static void print_flat(struct strbuf *sb, const struct lyd_node *first, unsigned flags)
{
	const struct lyd_node *n;

	LY_LIST_FOR(first, n)
	{
		struct strbuf w = STRBUF_INIT;
		bool leaves = false;
		const struct lyd_node *c;

		if (!printable(n, flags) || is_key(n))
			continue;
		if (n->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			node_words(&w, n);
			strbuf_addf(sb, "config %s ", strbuf_str(&w));
			add_value(sb, lyd_get_value(n));
			strbuf_addc(sb, '\n');
			strbuf_free(&w);
			continue;
		}
		LY_LIST_FOR(lyd_child(n), c)
		if (printable(c, flags) && !is_key(c))
			leaves = true;
		if (!leaves && n->schema->nodetype == LYS_LIST) {
			node_words(&w, n);
			strbuf_addf(sb, "config %s\n", strbuf_str(&w));
		}
		strbuf_free(&w);
		print_flat(sb, lyd_child(n), flags);
	}
}

char *pcli_print(const struct lyd_node *tree, unsigned flags)
{
	struct strbuf sb = STRBUF_INIT;

	if (flags & PCLI_FLAT) {
		print_flat(&sb, tree, flags);
	} else {
		strbuf_adds(&sb, "config\n\n");
		print_block(&sb, tree, 1, flags);
		strbuf_adds(&sb, "exit\n");
	}
	return strbuf_steal(&sb);
}

/* ---- compare ------------------------------------------------------------- */

static const char *diff_op(const struct lyd_node *n, const char *inherited)
{
	struct lyd_meta *m = lyd_find_meta(n->meta, NULL, "yang:operation");

	return m ? lyd_get_meta_value(m) : inherited;
}

static void emit_sets(struct strbuf *out, const struct lyd_node *n)
{
	struct strbuf w = STRBUF_INIT;
	const struct lyd_node *c;
	bool any = false;

	if (n->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
		if (is_key(n))
			return;
		node_words(&w, n);
		strbuf_addf(out, "set %s ", strbuf_str(&w));
		add_value(out, lyd_get_value(n));
		strbuf_addc(out, '\n');
		strbuf_free(&w);
		return;
	}
	LY_LIST_FOR(lyd_child(n), c)
	if (!is_key(c))
		any = true;
	if (!any) {
		node_words(&w, n);
		strbuf_addf(out, "set %s\n", strbuf_str(&w));
		strbuf_free(&w);
	}
	LY_LIST_FOR(lyd_child(n), c)
	emit_sets(out, c);
}

static void walk_diff(struct strbuf *out, const struct lyd_node *n, const char *inherited)
{
	const char *op = diff_op(n, inherited);
	const struct lyd_node *c;

	if (!n->schema || !(n->schema->flags & LYS_CONFIG_W))
		return;
	if (strcmp(op, "delete") == 0) {
		struct strbuf w = STRBUF_INIT;

		node_words(&w, n);
		strbuf_addf(out, "delete %s", strbuf_str(&w));
		if (n->schema->nodetype == LYS_LEAFLIST) {
			strbuf_addc(out, ' ');
			add_value(out, lyd_get_value(n));
		}
		strbuf_adds(out, "\n");
		strbuf_free(&w);
		return;
	}
	if (strcmp(op, "create") == 0 ||
	    (strcmp(op, "replace") == 0 && (n->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)))) {
		emit_sets(out, n);
		return;
	}
	LY_LIST_FOR(lyd_child(n), c)
	walk_diff(out, c, op);
}

/* Remove default nodes and the containers they leave empty: libyang's diff
 * calls a container created when only its default flag changed, and then
 * carries its default leaves along. */
static void strip_defaults(struct lyd_node **first)
{
	struct lyd_node *n = *first, *next;

	for (; n; n = next) {
		next = n->next;
		if (!(n->flags & LYD_DEFAULT) && lyd_child(n)) {
			struct lyd_node *c = lyd_child(n);

			strip_defaults(&c);
		}
		if ((n->flags & LYD_DEFAULT) ||
		    (n->schema->nodetype == LYS_CONTAINER && !(n->schema->flags & LYS_PRESENCE) &&
		     !lyd_child(n))) {
			if (n == *first)
				*first = next;
			lyd_free_tree(n);
		}
	}
}

static struct lyd_node *explicit_copy(const struct lyd_node *tree)
{
	struct lyd_node *dup = NULL;

	if (tree && lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup) ==
			    LY_SUCCESS)
		strip_defaults(&dup);
	return dup;
}

char *pcli_compare(const struct lyd_node *old, const struct lyd_node *new_)
{
	struct lyd_node *diff = NULL, *a = explicit_copy(old), *b = explicit_copy(new_);
	struct strbuf out = STRBUF_INIT;
	const struct lyd_node *n;
	LY_ERR rc = lyd_diff_siblings(a, b, 0, &diff);

	lyd_free_all(a);
	lyd_free_all(b);
	if (rc != LY_SUCCESS)
		return NULL;
	LY_LIST_FOR(diff, n)
	walk_diff(&out, n, "none");
	lyd_free_all(diff);
	if (!out.len)
		strbuf_adds(&out, "# No differences\n");
	return strbuf_steal(&out);
}

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
