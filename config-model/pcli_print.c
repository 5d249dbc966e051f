/* The PCLI printer: a tree as operators read it, nested or flat (pcli.h). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcli.h"
#include "pcli_int.h"
#include "strbuf.h"

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

void pcli_add_value(struct strbuf *sb, const char *v)
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

bool pcli_is_key(const struct lyd_node *n)
{
	return n->schema && (n->schema->flags & LYS_KEY);
}

/* "router  combo-east" / "address  192.0.2.0/24": the name and what follows */
static void add_keys(struct strbuf *sb, const struct lyd_node *n)
{
	struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
	{
		if (!pcli_is_key(c))
			break;
		strbuf_addc(sb, ' ');
		pcli_add_value(sb, lyd_get_value(c));
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
		pcli_add_value(sb, lyd_get_value(n));
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
void pcli_node_words(struct strbuf *sb, const struct lyd_node *n)
{
	if (n->parent)
		pcli_node_words(sb, lyd_parent(n));
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

		if (!printable(n, flags) || pcli_is_key(n))
			continue;
		if (n->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			pcli_node_words(&w, n);
			strbuf_addf(sb, "config %s ", strbuf_str(&w));
			pcli_add_value(sb, lyd_get_value(n));
			strbuf_addc(sb, '\n');
			strbuf_free(&w);
			continue;
		}
		LY_LIST_FOR(lyd_child(n), c)
		if (printable(c, flags) && !pcli_is_key(c))
			leaves = true;
		if (!leaves && n->schema->nodetype == LYS_LIST) {
			pcli_node_words(&w, n);
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
