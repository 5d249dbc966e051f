/* DOC: NETCONF edit-config
 *
 * The <config> of an <edit-config> (RFC 6241 section 7.2) applied to a data
 * tree: the candidate or running configuration, as the NETCONF server holds
 * it.  The edit is a data tree of the same libyang context; any node may
 * carry the "operation" attribute of ietf-netconf, which libyang parses into
 * metadata (the module declares it as an annotation, and libyang adds that
 * annotation itself when the module is loaded).  Its type has five values
 * ("none" is only a default operation), and libyang's XML parser refuses
 * any other on a node of the schema.  A node the parser kept opaque (it
 * allows them) keeps the attribute as written, so the check here is not
 * idle: an empty leaf to delete, <mtu nc:operation="delete"/>, is not a
 * value of its type, and is the one opaque node an edit may have.
 *
 * Each edit node has an effective operation, its own or its parent's (at
 * the top, the default operation), and is matched to the target node of the
 * same schema node (list entries by their keys, leaf-list entries by
 * value):
 *
 *   merge    leaves take the edit's value; containers and list entries are
 *            created if missing, then their children merged; leaf-list
 *            entries are created if missing
 *   replace  the target node goes and a copy of the edit's subtree comes
 *   create   the same, but the node must not exist (data-exists)
 *   delete   the node goes, and must exist (data-missing)
 *   remove   the node goes if it exists
 *   none     nothing here; a missing node is an error (data-missing) only
 *            when an operation below it needs it as a parent
 *
 * A node libyang added from a schema default (LYD_DEFAULT) does not exist
 * for create and delete, as in RFC 6243: what the client did not configure
 * is not there.  Copies of edit subtrees lose their operation attributes,
 * which mean nothing in a datastore, and the nodes in them marked delete or
 * remove (what a created or replaced subtree is not to have).  A list key
 * takes no operation but merge: it names its entry.
 *
 * All or nothing: the edit works on a copy of the target, which replaces it
 * only when every node applied; an error leaves the caller's tree as it was.
 * Nothing is validated here: the caller validates the result as for any
 * other change.
 */
#include "config.h"

#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc_edit.h"

#define NC_NS "urn:ietf:params:xml:ns:netconf:base:1.0"

/* OP_NONE is only a default operation: the attribute's type has the other five. */
enum op { OP_MERGE, OP_REPLACE, OP_CREATE, OP_DELETE, OP_REMOVE, OP_NONE, OP_BAD };

static const char *const op_names[] = {"merge", "replace", "create", "delete", "remove", "none"};

struct edit {
	struct lyd_node *top; /* first top-level sibling of the working copy */
	struct nc_edit_err *err;
};

static enum op op_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(s, op_names[i]) == 0)
			return (enum op)i;
	return OP_BAD;
}

static bool is_op_meta(const struct lyd_meta *m)
{
	return m->annotation && strcmp(m->name, "operation") == 0 &&
	       strcmp(m->annotation->module->name, "ietf-netconf") == 0;
}

/* The value of the node's own operation attribute, or NULL.  An opaque
 * node (one libyang could not parse against the schema) keeps its
 * attributes as they were written. */
static const char *op_attr(const struct lyd_node *n)
{
	if (!n->schema) {
		const struct lyd_attr *a = ((const struct lyd_node_opaq *)n)->attr;

		for (; a; a = a->next)
			if (a->format == LY_VALUE_XML && a->name.module_ns &&
			    strcmp(a->name.module_ns, NC_NS) == 0 &&
			    strcmp(a->name.name, "operation") == 0)
				return a->value ? a->value : "";
		return NULL;
	}
	for (const struct lyd_meta *m = n->meta; m; m = m->next)
		if (is_op_meta(m))
			return lyd_get_meta_value(m);
	return NULL;
}

/* The node's own operation, or the one it inherits. */
static enum op op_of(const struct lyd_node *n, enum op inherited)
{
	const char *v = op_attr(n);
	enum op op;

	if (!v)
		return inherited;
	op = op_parse(v);
	return op == OP_NONE ? OP_BAD : op;
}

/* The schema node of an edit node.  An opaque one is looked up by name:
 * a leaf to delete is often written empty (<mtu nc:operation="delete"/>),
 * which is not a value of its type, so a parser allowing opaque nodes
 * keeps it as one. */
static const struct lysc_node *schema_of(const struct lyd_node *n)
{
	const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)n;
	const struct lyd_node *parent = lyd_parent(n);
	const struct lys_module *mod;

	if (n->schema)
		return n->schema;
	if ((parent && !parent->schema) || o->format != LY_VALUE_XML || !o->name.module_ns)
		return NULL;
	mod = ly_ctx_get_module_implemented_ns(o->ctx, o->name.module_ns);
	if (!mod)
		return NULL;
	return lys_find_child(parent ? parent->schema : NULL, mod, o->name.name, 0,
			      LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST | LYS_ANYDATA, 0);
}

__attribute__((format(printf, 4, 5))) static int
fail(struct edit *ed, enum nc_edit_tag tag, const struct lyd_node *at, const char *fmt, ...)
{
	char *path = at ? lyd_path(at, LYD_PATH_STD, NULL, 0) : NULL;
	va_list ap;

	ed->err->tag = tag;
	snprintf(ed->err->path, sizeof(ed->err->path), "%s", path ? path : "");
	free(path);
	va_start(ap, fmt);
	vsnprintf(ed->err->msg, sizeof(ed->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* libyang said no (out of memory, or a tree it would not take). */
static int fail_ly(struct edit *ed, const struct lyd_node *at)
{
	const char *msg = ly_errmsg(LYD_CTX(at));

	return fail(ed, NC_EDIT_INVALID, at, "%s", msg ? msg : "cannot apply the edit");
}

static const char *name_of(const struct lyd_node *n)
{
	return n->schema ? n->schema->name : ((const struct lyd_node_opaq *)n)->name.name;
}

/* An opaque node is only good as an empty leaf to delete or remove. */
static int check_opaque(struct edit *ed, const struct lyd_node *n, const struct lysc_node *sn)
{
	const char *v = ((const struct lyd_node_opaq *)n)->value;
	enum op op = op_of(n, OP_MERGE);

	if (!sn)
		return fail(ed, NC_EDIT_INVALID, n, "unknown element \"%s\"", name_of(n));
	if (op == OP_BAD)
		return 0; /* the caller reports it */
	if (sn->nodetype != LYS_LEAF || lyd_child(n) || (op != OP_DELETE && op != OP_REMOVE))
		return fail(ed, NC_EDIT_INVALID, n, "invalid value \"%s\" of \"%s\"", v ? v : "",
			    name_of(n));
	return 0;
}

static int check_node(struct edit *ed, const struct lyd_node *n)
{
	const struct lysc_node *sn = schema_of(n);
	const char *v = op_attr(n);

	if (!n->schema && check_opaque(ed, n, sn) < 0)
		return -1;
	if (sn->nodetype & (LYS_RPC | LYS_ACTION | LYS_NOTIF))
		return fail(ed, NC_EDIT_INVALID, n, "\"%s\" is not configuration", name_of(n));
	if (sn->flags & LYS_CONFIG_R)
		return fail(ed, NC_EDIT_INVALID, n, "\"%s\" is state data, not configuration",
			    name_of(n));
	if (v && op_of(n, OP_MERGE) == OP_BAD)
		return fail(ed, NC_EDIT_BAD_ATTR, n, "unknown operation \"%s\"", v);
	/* the key names the entry; it cannot change on its own */
	if (lysc_is_key(sn) && op_of(n, OP_MERGE) != OP_MERGE)
		return fail(ed, NC_EDIT_INVALID, n, "operation \"%s\" on the key of a list entry",
			    v);
	return 0;
}

/* Before anything changes: every node is configuration of the schema and
 * every operation is known, so errors that need no target are found
 * whatever the order of the edit. */
static int check_edit(struct edit *ed, const struct lyd_node *edit)
{
	const struct lyd_node *top, *n;

	LY_LIST_FOR(edit, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			if (check_node(ed, n) < 0)
				return -1;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return 0;
}

/* An edit subtree made datastore content: without its operation
 * attributes, which mean nothing there, and without the nodes whose
 * operation says they are not to be there (delete and remove, in a subtree
 * created or replaced; an opaque node is only ever one of those). */
static void clean_copy(struct lyd_node *node)
{
	struct lyd_node *c, *next;
	struct lyd_meta *m, *mnext;

	LY_LIST_FOR_SAFE(lyd_child(node), next, c)
	{
		enum op op = op_of(c, OP_MERGE);

		if (!c->schema || op == OP_DELETE || op == OP_REMOVE)
			lyd_free_tree(c);
		else
			clean_copy(c);
	}
	for (m = node->meta; m; m = mnext) {
		mnext = m->next;
		if (is_op_meta(m))
			lyd_free_meta_single(m);
	}
}

/* The target node an edit node is about.  A list or leaf-list entry is
 * matched by its keys or value; any other node by its schema node alone
 * (lyd_find_sibling_first would compare a leaf's value too). */
static struct lyd_node *find(struct edit *ed, struct lyd_node *parent, const struct lyd_node *e)
{
	struct lyd_node *siblings = parent ? lyd_child(parent) : ed->top, *match = NULL;
	const struct lysc_node *sn = schema_of(e);
	LY_ERR rc;

	if (e->schema && (sn->nodetype & (LYS_LIST | LYS_LEAFLIST)))
		rc = lyd_find_sibling_first(siblings, e, &match);
	else
		rc = lyd_find_sibling_val(siblings, sn, NULL, 0, &match);
	return rc == LY_SUCCESS ? match : NULL;
}

/* Whether the node is really there: a default libyang added is not. */
static bool exists(const struct lyd_node *match)
{
	return match && !(match->flags & LYD_DEFAULT);
}

static void drop(struct edit *ed, struct lyd_node *match)
{
	if (!match)
		return;
	if (match == ed->top)
		ed->top = match->next;
	lyd_free_tree(match);
}

static int insert(struct edit *ed, struct lyd_node *parent, struct lyd_node *node,
		  const struct lyd_node *e)
{
	LY_ERR rc;

	clean_copy(node);
	if (parent)
		rc = lyd_insert_child(parent, node);
	else
		rc = lyd_insert_sibling(ed->top, node, &ed->top);
	if (rc != LY_SUCCESS) {
		lyd_free_tree(node);
		return fail_ly(ed, e);
	}
	return 0;
}

/* A copy of the edit's node, with its subtree or (a list entry) only its keys. */
static int insert_copy(struct edit *ed, struct lyd_node *parent, const struct lyd_node *e,
		       bool subtree, struct lyd_node **made)
{
	struct lyd_node *copy = NULL;

	if (lyd_dup_single(e, NULL, subtree ? LYD_DUP_RECURSIVE : 0, &copy) != LY_SUCCESS)
		return fail_ly(ed, e);
	if (insert(ed, parent, copy, e) < 0)
		return -1;
	if (made)
		*made = copy;
	return 0;
}

static int apply(struct edit *ed, struct lyd_node *parent, const struct lyd_node *e,
		 enum op inherited);

/* The edit's children applied under the target node that matches it. */
static int descend(struct edit *ed, struct lyd_node *match, const struct lyd_node *e, enum op op)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(e), c)
	{
		/* matched already, by the entry's keys */
		if (lysc_is_key(c->schema))
			continue;
		if (apply(ed, match, c, op) < 0)
			return -1;
	}
	return 0;
}

/* Whether an operation below e needs e in the target (under "none"). */
static bool needs_level(const struct lyd_node *e)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(e), c)
	{
		enum op op = op_of(c, OP_NONE);

		if (lysc_is_key(c->schema) || op == OP_REMOVE)
			continue;
		if (op != OP_NONE || needs_level(c))
			return true;
	}
	return false;
}

static int merge(struct edit *ed, struct lyd_node *parent, const struct lyd_node *e,
		 struct lyd_node *match)
{
	LY_ERR rc;

	switch (e->schema->nodetype) {
	case LYS_LEAF:
		if (!exists(match))
			break;
		rc = lyd_change_term(match, lyd_get_value(e));
		/* LY_EEXIST and LY_ENOT: the value was already that */
		if (rc != LY_SUCCESS && rc != LY_EEXIST && rc != LY_ENOT)
			return fail_ly(ed, e);
		return 0;
	case LYS_LEAFLIST:
		if (exists(match))
			return 0;
		break;
	case LYS_CONTAINER:
	case LYS_LIST:
		if (!match && insert_copy(ed, parent, e, false, &match) < 0)
			return -1;
		return descend(ed, match, e, OP_MERGE);
	default: /* anydata, anyxml: the value is the whole subtree */
		break;
	}
	drop(ed, match);
	return insert_copy(ed, parent, e, true, NULL);
}

static int apply(struct edit *ed, struct lyd_node *parent, const struct lyd_node *e,
		 enum op inherited)
{
	enum op op = op_of(e, inherited);
	struct lyd_node *match = find(ed, parent, e);

	switch (op) {
	case OP_MERGE:
		return merge(ed, parent, e, match);
	case OP_CREATE:
		if (exists(match))
			return fail(ed, NC_EDIT_DATA_EXISTS, e, "\"%s\" already exists",
				    name_of(e));
		/* a default in its place goes, as for replace */
		drop(ed, match);
		return insert_copy(ed, parent, e, true, NULL);
	case OP_REPLACE:
		drop(ed, match);
		return insert_copy(ed, parent, e, true, NULL);
	case OP_DELETE:
		if (!exists(match))
			return fail(ed, NC_EDIT_DATA_MISSING, e, "\"%s\" does not exist",
				    name_of(e));
		drop(ed, match);
		return 0;
	case OP_REMOVE:
		drop(ed, match);
		return 0;
	case OP_NONE:
		if (match)
			return descend(ed, match, e, OP_NONE);
		if (needs_level(e))
			return fail(ed, NC_EDIT_DATA_MISSING, e,
				    "\"%s\" does not exist (operation none: the edit below it "
				    "needs it)",
				    name_of(e));
		return 0;
	default:
		/* check_edit found these first */
		return fail(ed, NC_EDIT_BAD_ATTR, e, "unknown operation");
	}
}

static int start(struct edit *ed, struct lyd_node *target, const struct lyd_node *edit,
		 const char *default_op, enum op *dop)
{
	*dop = default_op ? op_parse(default_op) : OP_MERGE;
	if (*dop != OP_MERGE && *dop != OP_REPLACE && *dop != OP_NONE)
		return fail(ed, NC_EDIT_INVALID, NULL, "unknown default-operation \"%s\"",
			    default_op);
	if (edit && edit->parent)
		return fail(ed, NC_EDIT_INVALID, edit, "the edit is not a top-level tree");
	if (edit && target && LYD_CTX(edit) != LYD_CTX(target))
		return fail(ed, NC_EDIT_INVALID, NULL, "the edit is of another YANG context");
	if (check_edit(ed, edit) < 0)
		return -1;
	ed->top = NULL;
	if (target &&
	    lyd_dup_siblings(lyd_first_sibling(target), NULL,
			     LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &ed->top) != LY_SUCCESS)
		return fail_ly(ed, target);
	return 0;
}

int nc_edit_apply(struct lyd_node **target, const struct lyd_node *edit, const char *default_op,
		  struct nc_edit_err *err)
{
	struct nc_edit_err scratch;
	struct edit ed = {.err = err ? err : &scratch};
	const struct lyd_node *e;
	enum op dop;

	memset(ed.err, 0, sizeof(*ed.err));
	if (start(&ed, *target, edit, default_op, &dop) < 0)
		return -1;
	LY_LIST_FOR(edit, e)
	{
		if (apply(&ed, NULL, e, dop) < 0) {
			lyd_free_siblings(ed.top);
			return -1;
		}
	}
	lyd_free_siblings(*target ? lyd_first_sibling(*target) : NULL);
	*target = ed.top;
	return 0;
}
