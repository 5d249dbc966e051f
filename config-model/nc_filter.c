/* DOC: NETCONF filters
 *
 * The part of a data tree a <get>, <get-config> or <get-data> asked for
 * (RFC 6241 section 6): a subtree filter, an XML pattern of the data, or an
 * XPath filter, an expression that selects nodes.  Both give a new tree:
 * the selected nodes with their whole subtrees and their ancestors (list
 * entries with their keys), so the answer is shaped like the data.
 *
 * A subtree filter is read by libyang's XML parser without validation and
 * with opaque nodes allowed: an element the schema does not know, or a leaf
 * whose text is not a value of its type (an empty <name/> selecting a key,
 * say), stays as an opaque node instead of failing the parse.  Each filter
 * element is then a name, a namespace, a text and children, whichever way
 * it was parsed, and the filter and the data are walked together.  Per RFC
 * 6241 6.2, at each level of the filter:
 *
 *   - an element matches a data node of the same name and namespace; one
 *     of a namespace the context does not know matches nothing
 *   - content match nodes (leaves with text) must all find a data sibling
 *     with that value, or nothing at that level is selected; when there is
 *     nothing else at the level, the whole data node holding them is
 *   - selection nodes (empty elements) select the whole matching subtree,
 *     and content match nodes select their matching leaves
 *   - containment nodes (elements with children) apply their children to
 *     the children of every matching data node
 *
 * An empty filter selects nothing (RFC 6241 6.4.2).  One that declares an
 * empty namespace is refused before parsing (see declares_empty_ns).
 * Attribute match expressions (6.2.2) are not supported: attributes are
 * ignored.
 *
 * The XPath expression is evaluated by libyang on the data, in libyang's
 * form: module names as prefixes (/opensvr:authority/router).
 */
#include "config.h"

#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc_filter.h"

enum fkind { F_CONTAINMENT, F_SELECTION, F_CONTENT };

struct sel {
	struct lyd_node *out;
	char *msg;
	size_t msglen;
};

__attribute__((format(printf, 3, 4))) static int say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msglen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The selected node, its subtree and its ancestors, into out. */
static int add(struct lyd_node **out, const struct lyd_node *node, char *msg, size_t msglen)
{
	struct lyd_node *dup = NULL, *top;
	uint32_t opts = LYD_DUP_WITH_PARENTS | LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS;
	const char *why;

	/* a list's key: its entry, keys only (libyang copies an entry's keys
	 * with it; the key copied again would be a second key leaf, which a
	 * merge then frees under the entry still printing it) */
	if (node->schema && (node->schema->flags & LYS_KEY) && lyd_parent(node)) {
		node = lyd_parent(node);
		opts = LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS;
	}
	if (lyd_dup_single(node, NULL, opts, &dup) == LY_SUCCESS) {
		for (top = dup; lyd_parent(top); top = lyd_parent(top))
			;
		/* with DESTRUCT libyang frees what it could not merge */
		if (lyd_merge_siblings(out, top, LYD_MERGE_DESTRUCT | LYD_MERGE_WITH_FLAGS) ==
		    LY_SUCCESS)
			return 0;
	}
	why = ly_errmsg(LYD_CTX(node));
	return say(msg, msglen, "cannot copy the selected data: %s", why ? why : "no memory");
}

/* --- subtree filter: one filter element, whether parsed or opaque --- */

static const char *f_name(const struct lyd_node *f)
{
	return f->schema ? f->schema->name : ((const struct lyd_node_opaq *)f)->name.name;
}

static const char *f_ns(const struct lyd_node *f)
{
	const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)f;

	if (f->schema)
		return f->schema->module->ns;
	return o->format == LY_VALUE_XML ? o->name.module_ns : NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's text without the indentation around it; "" for an inner node. */
static const char *f_text(const struct lyd_node *f, size_t *len)
{
	const char *v;

	if (f->schema)
		v = f->schema->nodetype & LYD_NODE_TERM ? lyd_get_value(f) : "";
	else
		v = ((const struct lyd_node_opaq *)f)->value;
	if (!v)
		v = "";
	while (is_space(*v))
		v++;
	*len = strlen(v);
	while (*len && is_space(v[*len - 1]))
		(*len)--;
	return v;
}

static enum fkind f_kind(const struct lyd_node *f)
{
	size_t len;

	if (lyd_child(f))
		return F_CONTAINMENT;
	f_text(f, &len);
	return len ? F_CONTENT : F_SELECTION;
}

static bool same_node(const struct lyd_node *f, const struct lyd_node *d)
{
	const char *ns = f_ns(f);

	return d->schema && ns && strcmp(d->schema->name, f_name(f)) == 0 &&
	       strcmp(d->schema->module->ns, ns) == 0;
}

/* A content match: the data leaf has the filter's value.  A parsed filter
 * leaf has the canonical value; the text of an opaque one is compared as
 * the data's type reads it ("024" is 24), and one the type refuses matches
 * nothing, quietly: it is a filter, not an error. */
static bool value_matches(const struct lyd_node *f, const struct lyd_node *d)
{
	const char *dv, *fv;
	uint32_t quiet = 0;
	size_t len;
	LY_ERR rc;

	if (!(d->schema->nodetype & LYD_NODE_TERM))
		return false;
	dv = lyd_get_value(d);
	if (f->schema == d->schema)
		return strcmp(dv, lyd_get_value(f)) == 0;
	fv = f_text(f, &len);
	if (strlen(dv) == len && memcmp(dv, fv, len) == 0)
		return true;
	ly_temp_log_options(&quiet);
	rc = lyd_value_compare((const struct lyd_node_term *)d, fv, len);
	ly_temp_log_options(NULL);
	return rc == LY_SUCCESS;
}

static bool content_found(const struct lyd_node *f, const struct lyd_node *dfirst)
{
	const struct lyd_node *d;

	LY_LIST_FOR(dfirst, d)
	{
		if (same_node(f, d) && value_matches(f, d))
			return true;
	}
	return false;
}

static int level(struct sel *s, const struct lyd_node *ffirst, const struct lyd_node *d);

/* One filter element against the data siblings. */
static int one(struct sel *s, const struct lyd_node *f, const struct lyd_node *dfirst)
{
	enum fkind kind = f_kind(f);
	const struct lyd_node *d;
	int rc = 0;

	LY_LIST_FOR(dfirst, d)
	{
		if (!same_node(f, d))
			continue;
		if (kind == F_SELECTION || (kind == F_CONTENT && value_matches(f, d)))
			rc = add(&s->out, d, s->msg, s->msglen);
		else if (kind == F_CONTAINMENT && (d->schema->nodetype & LYD_NODE_INNER))
			rc = level(s, lyd_child(f), d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A containment node's children against the data node it matched. */
static int level(struct sel *s, const struct lyd_node *ffirst, const struct lyd_node *d)
{
	bool only_content = true;
	const struct lyd_node *f;

	LY_LIST_FOR(ffirst, f)
	{
		if (f_kind(f) != F_CONTENT)
			only_content = false;
		else if (!content_found(f, lyd_child(d)))
			return 0;
	}
	if (only_content)
		return add(&s->out, d, s->msg, s->msglen);
	LY_LIST_FOR(ffirst, f)
	{
		if (one(s, f, lyd_child(d)) < 0)
			return -1;
	}
	return 0;
}

/* Whether the XML declares an empty namespace (xmlns="" or xmlns:p="").
 * libyang 2.1's parser, allowing opaque nodes, dereferences the missing
 * namespace of such an element when a sibling of the same name follows it,
 * so the filter is refused before libyang sees it; libyang refuses an
 * element with no namespace at all anyway.  Text that merely looks like
 * one is refused too: a filter has no reason to contain it. */
static bool declares_empty_ns(const char *xml)
{
	for (const char *p = strstr(xml, "xmlns"); p; p = strstr(p + 1, "xmlns")) {
		const char *q = p + 5;

		if (*q == ':')
			while (*q && !is_space(*q) && *q != '=' && *q != '>')
				q++;
		while (is_space(*q))
			q++;
		if (*q++ != '=')
			continue;
		while (is_space(*q))
			q++;
		if ((*q == '"' || *q == '\'') && q[1] == *q)
			return true;
	}
	return false;
}

int nc_filter_subtree(const struct ly_ctx *ctx, const struct lyd_node *data, const char *filter,
		      struct lyd_node **out, char *msg, size_t msglen)
{
	struct sel s = {.msg = msg, .msglen = msglen};
	struct lyd_node *ftree = NULL;
	const struct lyd_node *f;
	const char *why;

	*out = NULL;
	if (!filter || !*filter)
		return 0;
	if (declares_empty_ns(filter))
		return say(msg, msglen, "cannot read the subtree filter: an empty XML namespace");
	if (lyd_parse_data_mem(ctx, filter, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, &ftree) !=
	    LY_SUCCESS) {
		why = ly_errmsg(ctx);
		lyd_free_all(ftree);
		return say(msg, msglen, "cannot read the subtree filter: %s",
			   why ? why : "not XML");
	}
	/* the top elements are alternatives: the answer is their union */
	LY_LIST_FOR(ftree, f)
	{
		if (one(&s, f, data ? lyd_first_sibling(data) : NULL) < 0) {
			lyd_free_all(ftree);
			lyd_free_all(s.out);
			return -1;
		}
	}
	lyd_free_all(ftree);
	*out = s.out;
	return 0;
}

/* --- XPath filter --- */

static bool is_ancestor(const struct lyd_node *a, const struct lyd_node *n)
{
	for (const struct lyd_node *p = lyd_parent(n); p; p = lyd_parent(p))
		if (p == a)
			return true;
	return false;
}

int nc_filter_xpath(const struct lyd_node *data, const char *select, struct lyd_node **out,
		    char *msg, size_t msglen)
{
	const struct lyd_node *kept = NULL;
	struct ly_set *set = NULL;
	const char *why;

	*out = NULL;
	if (!select || !*select)
		return say(msg, msglen, "the XPath filter has no select expression");
	if (!data)
		return 0;
	if (lyd_find_xpath(data, select, &set) != LY_SUCCESS) {
		why = ly_errmsg(LYD_CTX(data));
		return say(msg, msglen, "invalid XPath filter \"%s\": %s", select,
			   why ? why : "cannot evaluate");
	}
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];

		/* libyang gives the set in document order: a node inside the
		 * last one copied came with it (in any other order the copy
		 * would only merge into what is there) */
		if (kept && is_ancestor(kept, n))
			continue;
		if (add(out, n, msg, msglen) < 0) {
			ly_set_free(set, NULL);
			lyd_free_all(*out);
			*out = NULL;
			return -1;
		}
		kept = n;
	}
	ly_set_free(set, NULL);
	return 0;
}
