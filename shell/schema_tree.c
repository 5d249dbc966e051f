/* DOC: the configuration schema in the shell
 *
 * svrsh reads the model from svrd ("get-schema"), so the shell and the
 * model cannot disagree.  A walk follows a line's words through it, as
 * svrd's interpreter does: a container's or list's children, from the
 * current level (where the first word may also be an ancestor's child:
 * typing "router b" inside router a closes a's level, as PCLI does) or
 * from the top (set, delete); a list's key values; a leaf's value.  Words
 * abbreviate, and so do the values of leaves whose every value is an
 * enum (closed).  Help and completion (complete.c) ask the walk what may
 * come next: children with the first sentence of their description, the
 * configured entries of a list (from the candidate), enum values, a
 * value's type with its units and default.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "strbuf.h"
#include "svrsh.h"

#define MAX_NODES 512

struct snode {
	const struct json *j; /* in the schema document */
	const char *name, *kind, *path;
	struct snode *parent;
};

static struct json *schema_doc;
static struct snode nodes[MAX_NODES];
static int nnodes;

static struct snode *add_nodes(const struct json *list, struct snode *parent)
{
	for (size_t i = 0; i < json_len(list) && nnodes < MAX_NODES; i++) {
		const struct json *j = json_at(list, i);
		struct snode *n = &nodes[nnodes++];

		n->j = j;
		n->name = json_get_str(j, "name", "?");
		n->kind = json_get_str(j, "kind", "");
		n->path = json_get_str(j, "path", "");
		n->parent = parent;
		if (strcmp(n->kind, "list") == 0 || strcmp(n->kind, "container") == 0)
			add_nodes(json_get(j, "children"), n);
	}
	return NULL;
}

static struct snode *by_path(const char *path)
{
	for (int i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].path, path) == 0)
			return &nodes[i];
	return NULL;
}

/* The first sentence of a description, for one-line help. */
static void first_sentence(const char *dsc, char *buf, size_t len)
{
	size_t n = 0;

	while (*dsc == ' ' || *dsc == '\n')
		dsc++;
	for (; *dsc && n + 1 < len; dsc++) {
		char c = *dsc == '\n' ? ' ' : *dsc;

		if (c == ' ' && n && buf[n - 1] == ' ')
			continue;
		buf[n++] = c;
		if (c == '.' && (dsc[1] == ' ' || dsc[1] == '\n' || !dsc[1]))
			break;
	}
	buf[n] = '\0';
}

static void value_help(const struct snode *n, char *buf, size_t len)
{
	const char *units = json_get_str(n->j, "units", NULL);
	const char *dflt = json_get_str(n->j, "default", NULL);

	snprintf(buf, len, "%s%s%s%s%s%s", json_get_str(n->j, "type", "value"), units ? " " : "",
		 units ? units : "", dflt ? " (default " : "", dflt ? dflt : "", dflt ? ")" : "");
}

static bool in_chain(const struct snode *n, const struct snode *lvl)
{
	for (;; lvl = lvl->parent) {
		if (n->parent == lvl)
			return true;
		if (!lvl)
			return false;
	}
}

void schema_walk_begin(const struct svrsh *sh, bool from_top, struct schema_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->at = from_top ? NULL : sh->level_node;
	w->first = true;
	w->want = WALK_NODE;
}

static bool fits_here(const struct snode *n, const struct schema_walk *w)
{
	return w->first ? in_chain(n, w->at) : n->parent == w->at;
}

/* The node word names where the walk is: an exact name, nearest level
 * first, else the one name it abbreviates.  NULL with why otherwise. */
static const struct snode *find_node(const struct schema_walk *w, const char *word, char *why,
				     size_t len)
{
	const struct snode *hit = NULL;
	struct strbuf amb = STRBUF_INIT;
	size_t wl = strlen(word);
	int hits = 0;

	for (const struct snode *lvl = w->at;; lvl = lvl->parent) {
		for (int i = 0; i < nnodes; i++)
			if (nodes[i].parent == lvl && strcmp(nodes[i].name, word) == 0)
				return &nodes[i];
		if (!lvl || !w->first)
			break;
	}
	for (int i = 0; i < nnodes; i++) {
		if (!fits_here(&nodes[i], w) || strncmp(nodes[i].name, word, wl) != 0 ||
		    (hit && strcmp(hit->name, nodes[i].name) == 0))
			continue;
		strbuf_addf(&amb, "%s%s", hits ? ", " : "", nodes[i].name);
		hit = &nodes[i];
		hits++;
	}
	if (hits == 1) {
		strbuf_free(&amb);
		return hit;
	}
	if (hits > 1)
		snprintf(why, len, "'%s' is ambiguous: %s", word, strbuf_str(&amb));
	else
		snprintf(why, len, "'%s' is not a configuration item %s", word,
			 w->at ? "here" : "at the top");
	strbuf_free(&amb);
	return NULL;
}

/* A closed leaf's value: the enum value word is or abbreviates. */
static int closed_value(struct schema_walk *w, const char *word, char *why, size_t len,
			const char **full)
{
	const struct json *en = json_get(w->node->j, "enums");
	const char *hit = NULL;
	int hits = 0;

	for (size_t i = 0; i < json_len(en); i++) {
		const char *e = json_str(json_at(en, i));

		if (e && strcmp(e, word) == 0)
			return 0;
		if (e && *word && strncmp(e, word, strlen(word)) == 0) {
			hit = e;
			hits++;
		}
	}
	if (hits == 1) {
		*full = hit;
		return 0;
	}
	snprintf(why, len, "'%s' is %s %s: %s", word, hits ? "ambiguous for" : "not a value of",
		 w->node->name, json_get_str(w->node->j, "type", "?"));
	return -1;
}

int schema_walk_word(struct schema_walk *w, const char *word, char *why, size_t len,
		     const char **full)
{
	const struct snode *n;

	*full = NULL;
	switch (w->want) {
	case WALK_KEY:
		if (++w->key == (int)json_len(json_get(w->node->j, "keys"))) {
			w->at = w->node;
			w->want = WALK_NODE;
		}
		return 0;
	case WALK_VALUE:
		if (json_get_bool(w->node->j, "closed", false) &&
		    closed_value(w, word, why, len, full) < 0)
			return -1;
		w->want = WALK_END;
		return 0;
	case WALK_END:
		snprintf(why, len, "nothing follows the value of %s, not '%s'", w->node->name,
			 word);
		return -1;
	case WALK_NODE:
		break;
	}
	if (!(n = find_node(w, word, why, len)))
		return -1;
	*full = strcmp(n->name, word) ? n->name : NULL;
	w->node = n;
	w->first = false;
	w->named = true;
	if (strcmp(n->kind, "container") == 0) {
		w->at = n;
	} else if (strcmp(n->kind, "list") == 0) {
		w->key = 0;
		w->want = json_len(json_get(n->j, "keys")) ? WALK_KEY : WALK_NODE;
		if (w->want == WALK_NODE)
			w->at = n;
	} else {
		w->want = WALK_VALUE;
	}
	return 0;
}

bool schema_walk_wants_text(const struct schema_walk *w)
{
	return w->want == WALK_VALUE && json_get_bool(w->node->j, "multiline", false);
}

static const struct snode *key_leaf(const struct snode *list, int k)
{
	const char *name = json_str(json_at(json_get(list->j, "keys"), (size_t)k));

	for (int i = 0; name && i < nnodes; i++)
		if (nodes[i].parent == list && strcmp(nodes[i].name, name) == 0)
			return &nodes[i];
	return NULL;
}

/* The entries of list (from the candidate) starting with prefix. */
static void list_keys(struct svrsh *sh, const struct snode *list, const char *prefix,
		      struct comp *c)
{
	struct json *args = json_new_object(), *data, *keys;
	size_t pl = strlen(prefix);

	json_set(args, "schema-path", json_new_str(list->path));
	data = svrsh_call_quiet(sh, "list-keys", args);
	keys = json_get(data, "keys");
	for (size_t i = 0; i < json_len(keys); i++) {
		const char *k = json_str(json_at(keys, i));

		/* printed as they are: only what a terminal does not act on */
		if (k && strncmp(k, prefix, pl) == 0 && svrsh_is_clean(k))
			comp_add(c, k, "(configured)", true);
	}
	json_free(data);
}

static void value_next(const struct snode *n, const char *prefix, struct comp *c)
{
	const struct json *en = json_get(n->j, "enums");
	const char *dflt = json_get_str(n->j, "default", NULL);
	char help[256], ph[96];

	for (size_t i = 0; i < json_len(en); i++) {
		const char *e = json_str(json_at(en, i));

		if (e && strncmp(e, prefix, strlen(prefix)) == 0)
			comp_add(c, e, dflt && strcmp(dflt, e) == 0 ? "(default)" : "", true);
	}
	if (json_get_bool(n->j, "closed", false))
		return;
	value_help(n, help, sizeof(help));
	snprintf(ph, sizeof(ph), "<%s>", n->name);
	comp_add(c, ph, help, false);
}

void schema_walk_next(struct svrsh *sh, const struct schema_walk *w, const char *prefix,
		      struct comp *c)
{
	size_t pl = strlen(prefix);
	char help[256];

	switch (w->want) {
	case WALK_NODE:
		for (int i = 0; i < nnodes; i++) {
			if (!fits_here(&nodes[i], w) || strncmp(nodes[i].name, prefix, pl) != 0)
				continue;
			first_sentence(json_get_str(nodes[i].j, "description", ""), help,
				       sizeof(help));
			comp_add(c, nodes[i].name, help, true);
		}
		break;
	case WALK_KEY: {
		const struct snode *k = key_leaf(w->node, w->key);

		list_keys(sh, w->node, prefix, c);
		if (k)
			value_next(k, prefix, c);
		break;
	}
	case WALK_VALUE:
		value_next(w->node, prefix, c);
		break;
	case WALK_END:
		break;
	}
}

void schema_tree_use(struct json *doc)
{
	json_free(schema_doc);
	schema_doc = doc;
	nnodes = 0;
	add_nodes(json_get(schema_doc, "nodes"), NULL);
}

int schema_tree_load(struct svrsh *sh)
{
	struct json *data = svrsh_call(sh, "get-schema", NULL);

	if (!data)
		return -1;
	schema_tree_use(data);
	return 0;
}

/* Configuration words starting with prefix that the current level knows
 * (its children and its ancestors'), into out (comma separated, once
 * each); returns 1 when prefix is one of them exactly. */
int schema_tree_names(const struct svrsh *sh, const char *prefix, struct strbuf *out)
{
	size_t len = strlen(prefix);
	int exact = 0;

	for (int i = 0; i < nnodes; i++) {
		bool seen = false;

		if (strncmp(nodes[i].name, prefix, len) != 0 ||
		    !in_chain(&nodes[i], sh->level_node))
			continue;
		if (strcmp(nodes[i].name, prefix) == 0)
			exact = 1;
		for (int k = 0; k < i && !seen; k++)
			seen = strcmp(nodes[k].name, nodes[i].name) == 0;
		if (!seen)
			strbuf_addf(out, "%s%s", out->len ? ", " : "", nodes[i].name);
	}
	return exact;
}

void schema_tree_free(void)
{
	json_free(schema_doc);
	schema_doc = NULL;
	nnodes = 0;
}

/* Follow svrd's idea of where this session is. */
void schema_tree_set_level(struct svrsh *sh, const char *schema_path)
{
	struct snode *n = schema_path && *schema_path ? by_path(schema_path) : NULL;

	sh->level_node = n;
	cli_set_configmode(sh->cli, sh->config_mode ? MODE_CONFIG : MODE_EXEC, NULL);
	cli_set_modestring(sh->cli, "");
}
