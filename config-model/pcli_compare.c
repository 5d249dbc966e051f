/* The PCLI comparer: the set and delete commands that turn one tree into
 * another (pcli.h). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcli.h"
#include "pcli_int.h"
#include "strbuf.h"

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
		if (pcli_is_key(n))
			return;
		pcli_node_words(&w, n);
		strbuf_addf(out, "set %s ", strbuf_str(&w));
		pcli_add_value(out, lyd_get_value(n));
		strbuf_addc(out, '\n');
		strbuf_free(&w);
		return;
	}
	LY_LIST_FOR(lyd_child(n), c)
	if (!pcli_is_key(c))
		any = true;
	if (!any) {
		pcli_node_words(&w, n);
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

		pcli_node_words(&w, n);
		strbuf_addf(out, "delete %s", strbuf_str(&w));
		if (n->schema->nodetype == LYS_LEAFLIST) {
			strbuf_addc(out, ' ');
			pcli_add_value(out, lyd_get_value(n));
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
