/* Fuzz NETCONF <edit-config> and subtree filters (config-model/nc_edit.h,
 * nc_filter.h) on a small validated configuration.  The input is a flags
 * byte (how the edit is parsed, the default operation), the XML of the
 * edit, a NUL byte and the XML of a subtree filter.  Whatever the edit,
 * nc_edit_apply must never crash or leak, must leave the tree exactly as
 * it was when it fails, and when it succeeds must leave no operation
 * attribute and (from an edit without any) no second instance of any node
 * in it; the filter then runs on the result. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "nc_edit.h"
#include "nc_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Defaults included, so that create and delete meet LYD_DEFAULT nodes. */
static const char running_json[] =
	"{\"opensvr:authority\":{\"name\":\"auth\","
	"\"router\":[{\"name\":\"r1\",\"description\":\"one\",\"node\":[{\"name\":\"n1\"}]},"
	"{\"name\":\"r2\"}],"
	"\"service\":[{\"name\":\"s1\",\"address\":[\"198.51.100.0/24\",\"192.0.2.0/24\"]}],"
	"\"security-key-management\":{\"peer-key-rekey-interval\":48}}}";

static struct ly_ctx *ctx;
static struct lyd_node *running;

/* Parsing and compiling the modules is most of the cost of a run and
 * depends on nothing in the input: one context, one configuration, made
 * at the first run. */
static void init(void)
{
	if (ctx)
		return;
	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(SOURCE_YANG_DIR ":" SOURCE_YANG_DIR "/ietf", LY_CTX_DISABLE_SEARCHDIR_CWD,
		       &ctx) != LY_SUCCESS ||
	    !ly_ctx_load_module(ctx, "opensvr", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "ietf-netconf", NULL, NULL) ||
	    lyd_parse_data_mem(ctx, running_json, LYD_JSON, LYD_PARSE_STRICT, LYD_VALIDATE_PRESENT,
			       &running) != LY_SUCCESS)
		abort();
}

static char *print(const struct lyd_node *tree)
{
	char *s = NULL;

	if (lyd_print_mem(&s, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL) !=
	    LY_SUCCESS)
		abort();
	return s ? s : strdup("");
}

/* The one instance of its schema node (leaf, container), of its keys
 * (list entry) or of its value (leaf-list entry) among its siblings. */
static bool unique(const struct lyd_node *n)
{
	const struct lyd_node *first = lyd_first_sibling(n);
	struct lyd_node *match = NULL;

	if (n->schema->nodetype & (LYS_LIST | LYS_LEAFLIST)) {
		if (n->schema->flags & LYS_KEYLESS)
			return true;
		lyd_find_sibling_first(first, n, &match);
	} else {
		lyd_find_sibling_val(first, n->schema, NULL, 0, &match);
	}
	return match == n;
}

/* Whether a node (of the schema) has a second instance among its siblings. */
static bool has_dups(const struct lyd_node *tree)
{
	const struct lyd_node *top, *n;

	LY_LIST_FOR(tree, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			if (n->schema && !unique(n))
				return true;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return false;
}

/* Only data of the schema, and no operation left.  No duplicates either,
 * unless the edit had them: a subtree replaced or created is copied as it
 * is, and validating the result is what refuses it. */
static void check_result(const struct lyd_node *tree, bool dups_allowed)
{
	const struct lyd_node *top, *n;

	LY_LIST_FOR(tree, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			if (!n->schema)
				__builtin_trap();
			for (const struct lyd_meta *m = n->meta; m; m = m->next)
				if (strcmp(m->name, "operation") == 0)
					__builtin_trap();
			LYD_TREE_DFS_END(top, n);
		}
	}
	if (!dups_allowed && has_dups(tree))
		__builtin_trap();
}

/* Returns whether the edit had duplicates (then so may the result). */
static bool edit(struct lyd_node **tree, const char *xml, uint8_t flags)
{
	static const char *const dops[] = {NULL, "merge", "replace", "none"};
	uint32_t opts = LYD_PARSE_ONLY;
	const char *dop = flags & 0x10 ? "delete" : dops[(flags >> 2) & 3];
	struct lyd_node *e = NULL, *before = *tree;
	struct nc_edit_err err;
	char *was;
	bool dups;

	/* opaque nodes only with strict parsing: libyang 2.1 crashes on an
	 * element of an empty namespace otherwise (see nc_filter.c) */
	if (flags & 1)
		opts |= LYD_PARSE_OPAQ | LYD_PARSE_STRICT;
	if (flags & 2)
		opts |= LYD_PARSE_STRICT;
	if (lyd_parse_data_mem(ctx, xml, LYD_XML, opts, 0, &e) != LY_SUCCESS) {
		lyd_free_all(e);
		return false;
	}
	dups = has_dups(e);
	was = print(*tree);
	if (nc_edit_apply(tree, e, dop, &err) == 0) {
		if (err.tag != NC_EDIT_OK)
			__builtin_trap();
		check_result(*tree, dups);
	} else {
		char *now = print(*tree);

		/* all or nothing, and a reason */
		if (*tree != before || strcmp(was, now) != 0 || err.tag == NC_EDIT_OK ||
		    !err.msg[0])
			__builtin_trap();
		free(now);
	}
	free(was);
	lyd_free_all(e);
	return dups;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	struct lyd_node *tree = NULL, *out = NULL;
	char *xml, *filter, msg[256];
	bool dups;
	size_t n;

	if (!size)
		return 0;
	init();
	/* the edit, then the filter up to the next NUL byte */
	xml = strndup((const char *)data + 1, size - 1);
	nul = memchr(data + 1, 0, size - 1);
	n = nul ? (size_t)(nul - data) + 1 : size;
	filter = strndup((const char *)data + n, size - n);
	if (!xml || !filter ||
	    lyd_dup_siblings(running, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &tree) !=
		    LY_SUCCESS)
		abort();

	dups = edit(&tree, xml, data[0]);
	if (nc_filter_subtree(ctx, tree, filter, &out, msg, sizeof(msg)) == 0)
		check_result(out, dups);
	else if (out || !msg[0])
		__builtin_trap();

	lyd_free_all(out);
	lyd_free_all(tree);
	free(xml);
	free(filter);
	return 0;
}
