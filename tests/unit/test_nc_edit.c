/*
 * NETCONF <edit-config> (config-model/nc_edit.h) and <filter>
 * (config-model/nc_filter.h) on opensvr trees: every operation and its
 * errors, "none", nested operations, all or nothing; subtree filters
 * (containment, selection, content match, namespaces) and XPath filters.
 * Edits are XML as a NETCONF client sends them, parsed as the server
 * does; the target is a validated configuration, with libyang's defaults.
 */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc_edit.h"
#include "nc_filter.h"

static struct ly_ctx *ctx;

static void setup(void)
{
	const char *top = getenv("top_srcdir");
	char dirs[8192];

	if (!top || !*top)
		top = ".";
	snprintf(dirs, sizeof(dirs), "%s/config-model/yang:%s/config-model/yang/ietf", top, top);
	/* Keep the last error for ly_errmsg() instead of printing every expected rejection. */
	ly_log_options(LY_LOSTORE_LAST);
	cr_assert_eq(ly_ctx_new(dirs, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx), LY_SUCCESS,
		     "no YANG directories %s (is top_srcdir set?)", dirs);
	cr_assert_not_null(ly_ctx_load_module(ctx, "opensvr", NULL, NULL), "opensvr: %s",
			   ly_errmsg(ctx));
	cr_assert_not_null(ly_ctx_load_module(ctx, "ietf-netconf", NULL, NULL), "ietf-netconf: %s",
			   ly_errmsg(ctx));
}

static void teardown(void)
{
	ly_ctx_destroy(ctx);
	ctx = NULL;
}

TestSuite(nc_edit, .init = setup, .fini = teardown);
TestSuite(nc_filter, .init = setup, .fini = teardown);

#define SVR_NS "urn:opensvr:yang:opensvr"
#define NC_NS  "urn:ietf:params:xml:ns:netconf:base:1.0"
/* The <config> of an edit-config: the authority, nc: bound for operations. */
#define AUTH(inner) "<authority xmlns=\"" SVR_NS "\" xmlns:nc=\"" NC_NS "\">" inner "</authority>"
#define MERGE	    " nc:operation=\"merge\""
#define REPLACE	    " nc:operation=\"replace\""
#define CREATE	    " nc:operation=\"create\""
#define DELETE	    " nc:operation=\"delete\""
#define REMOVE	    " nc:operation=\"remove\""

#define A	"/opensvr:authority/"
#define R1	A "router[name='r1']"
#define R2	A "router[name='r2']"
#define S1	A "service[name='s1']"
#define REKEY	A "security-key-management/peer-key-rekey-interval"
#define PAYLOAD A "security-key-management/payload-key-rekey-interval"

/* Two routers, a service with one address, one key interval set (the
 * other one is libyang's default). */
#define RUNNING                                                                                    \
	"{\"opensvr:authority\":{\"name\":\"auth\","                                               \
	"\"router\":[{\"name\":\"r1\",\"description\":\"one\"},{\"name\":\"r2\"}],"                \
	"\"service\":[{\"name\":\"s1\",\"address\":[\"198.51.100.0/24\"]}],"                       \
	"\"security-key-management\":{\"peer-key-rekey-interval\":48}}}"

static struct lyd_node *running(void)
{
	struct lyd_node *tree = NULL;

	cr_assert_eq(lyd_parse_data_mem(ctx, RUNNING, LYD_JSON, LYD_PARSE_STRICT,
					LYD_VALIDATE_PRESENT, &tree),
		     LY_SUCCESS, "running: %s", ly_errmsg(ctx));
	return tree;
}

/* An edit as the server reads it: XML, strict, not validated; opaque
 * nodes for what is not a value of its type (an empty leaf to delete). */
static struct lyd_node *parse_edit(const char *xml)
{
	const uint32_t opts = LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_OPAQ;
	struct lyd_node *edit = NULL;

	cr_assert_eq(lyd_parse_data_mem(ctx, xml, LYD_XML, opts, 0, &edit), LY_SUCCESS,
		     "edit %s: %s", xml, ly_errmsg(ctx));
	return edit;
}

static void edit_ok(struct lyd_node **tree, const char *xml, const char *dop)
{
	struct lyd_node *edit = parse_edit(xml);
	struct nc_edit_err err;

	cr_assert_eq(nc_edit_apply(tree, edit, dop, &err), 0, "%s: %s at %s", xml, err.msg,
		     err.path);
	cr_assert_eq(err.tag, NC_EDIT_OK);
	lyd_free_all(edit);
}

static char *print(const struct lyd_node *tree)
{
	char *s = NULL;

	cr_assert_eq(lyd_print_mem(&s, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL),
		     LY_SUCCESS);
	return s ? s : strdup("");
}

static void expect_printed(const struct lyd_node *tree, const char *want)
{
	char *now = print(tree);

	cr_assert_str_eq(now, want, "the tree changed");
	free(now);
}

/* The edit fails with tag at path, and the tree is exactly as it was. */
static void edit_fails(struct lyd_node **tree, const char *xml, const char *dop,
		       enum nc_edit_tag tag, const char *path)
{
	struct lyd_node *edit = parse_edit(xml), *before = *tree;
	char *was = print(*tree);
	struct nc_edit_err err;

	cr_assert_eq(nc_edit_apply(tree, edit, dop, &err), -1, "accepted %s", xml);
	cr_assert_eq(err.tag, tag, "%s: tag %d, wanted %d (%s)", xml, err.tag, tag, err.msg);
	cr_assert_str_eq(err.path, path, "%s", xml);
	cr_assert(err.msg[0], "no message");
	cr_assert_eq(*tree, before, "the tree moved");
	expect_printed(*tree, was);
	free(was);
	lyd_free_all(edit);
}

static struct lyd_node *at(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *node = NULL;

	if (lyd_find_path(tree, path, 0, &node) != LY_SUCCESS)
		return NULL;
	return node;
}

static void expect_value(const struct lyd_node *tree, const char *path, const char *want)
{
	const struct lyd_node *node = at(tree, path);

	cr_assert_not_null(node, "no %s", path);
	cr_assert_str_eq(lyd_get_value(node), want, "%s", path);
}

static void expect_absent(const struct lyd_node *tree, const char *path)
{
	cr_assert_null(at(tree, path), "%s is there", path);
}

static uint32_t count(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;
	uint32_t n;

	if (!tree)
		return 0;
	cr_assert_eq(lyd_find_xpath(tree, xpath, &set), LY_SUCCESS, "%s", xpath);
	n = set->count;
	ly_set_free(set, NULL);
	return n;
}

/* No operation attribute left anywhere in a datastore tree. */
static void expect_no_ops(const struct lyd_node *tree)
{
	const struct lyd_node *top, *n;

	LY_LIST_FOR(tree, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			for (const struct lyd_meta *m = n->meta; m; m = m->next)
				cr_assert_str_neq(m->name, "operation", "operation left on %s",
						  n->schema->name);
			LYD_TREE_DFS_END(top, n);
		}
	}
}

/* --- merge --- */

Test(nc_edit, merge_changes_a_leaf_and_keeps_the_rest)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, AUTH("<router><name>r1</name><description>first</description></router>"),
		NULL);
	expect_value(tree, R1 "/description", "first");
	cr_assert_not_null(at(tree, R2));
	expect_value(tree, A "name", "auth");
	cr_assert_eq(count(tree, A "router"), 2);
	lyd_free_all(tree);
}

Test(nc_edit, merge_creates_a_list_entry_with_its_key)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, AUTH("<router" MERGE "><name>r3</name><location>lab</location></router>"),
		"merge");
	expect_value(tree, A "router[name='r3']/name", "r3");
	expect_value(tree, A "router[name='r3']/location", "lab");
	cr_assert_eq(count(tree, A "router"), 3);
	expect_no_ops(tree);
	lyd_free_all(tree);
}

Test(nc_edit, merge_into_an_empty_datastore)
{
	struct lyd_node *tree = NULL;

	edit_ok(&tree, AUTH("<router><name>r1</name></router>"), NULL);
	cr_assert_not_null(tree);
	expect_value(tree, R1 "/name", "r1");
	lyd_free_all(tree);
}

Test(nc_edit, merge_adds_a_leaf_list_entry_once)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<service><name>s1</name><address>203.0.113.0/24</address>"
		     "<address>198.51.100.0/24</address></service>"),
		NULL);
	cr_assert_eq(count(tree, S1 "/address"), 2);
	cr_assert_not_null(at(tree, S1 "/address[.='203.0.113.0/24']"));
	cr_assert_not_null(at(tree, S1 "/address[.='198.51.100.0/24']"));
	lyd_free_all(tree);
}

/* A value equal to the default, merged, is configured from then on. */
Test(nc_edit, merge_over_a_default_makes_it_explicit)
{
	struct lyd_node *tree = running();

	cr_assert(at(tree, PAYLOAD)->flags & LYD_DEFAULT);
	edit_ok(&tree,
		AUTH("<security-key-management><payload-key-rekey-interval>24"
		     "</payload-key-rekey-interval></security-key-management>"),
		NULL);
	expect_value(tree, PAYLOAD, "24");
	cr_assert_not(at(tree, PAYLOAD)->flags & LYD_DEFAULT);
	lyd_free_all(tree);
}

/* --- replace --- */

Test(nc_edit, replace_swaps_a_list_entry_for_the_edit)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, AUTH("<router" REPLACE "><name>r1</name><location>lab</location></router>"),
		NULL);
	expect_value(tree, R1 "/location", "lab");
	expect_absent(tree, R1 "/description");
	cr_assert_not_null(at(tree, R2));
	expect_no_ops(tree);
	lyd_free_all(tree);
}

Test(nc_edit, default_operation_replace_replaces_the_top)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, AUTH("<router><name>r9</name></router>"), "replace");
	cr_assert_not_null(at(tree, A "router[name='r9']"));
	expect_absent(tree, R1);
	expect_absent(tree, S1);
	expect_absent(tree, A "name");
	lyd_free_all(tree);
}

Test(nc_edit, replace_creates_what_is_missing)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<service" REPLACE "><name>s2</name><address>192.0.2.0/24</address>"
		     "</service>"),
		"none");
	cr_assert_not_null(at(tree, A "service[name='s2']/address[.='192.0.2.0/24']"));
	cr_assert_not_null(at(tree, S1));
	lyd_free_all(tree);
}

/* --- create --- */

Test(nc_edit, create_adds_a_new_entry)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<router" CREATE "><name>r3</name><description>three</description>"
		     "</router>"),
		NULL);
	expect_value(tree, A "router[name='r3']/description", "three");
	expect_no_ops(tree);
	lyd_free_all(tree);
}

Test(nc_edit, create_of_an_existing_entry_is_data_exists)
{
	struct lyd_node *tree = running();

	edit_fails(&tree, AUTH("<router" CREATE "><name>r1</name></router>"), NULL,
		   NC_EDIT_DATA_EXISTS, R1);
	edit_fails(&tree,
		   AUTH("<service><name>s1</name><address" CREATE
			">198.51.100.0/24</address></service>"),
		   NULL, NC_EDIT_DATA_EXISTS, S1 "/address[.='198.51.100.0/24']");
	lyd_free_all(tree);
}

/* A default is not configuration (RFC 6243): create may set it, once. */
Test(nc_edit, create_over_a_default_is_allowed_once)
{
	struct lyd_node *tree = running();
	const char *xml = AUTH("<security-key-management><payload-key-rekey-interval" CREATE
			       ">12</payload-key-rekey-interval></security-key-management>");

	edit_ok(&tree, xml, NULL);
	expect_value(tree, PAYLOAD, "12");
	cr_assert_eq(count(tree, PAYLOAD), 1);
	edit_fails(&tree, xml, NULL, NC_EDIT_DATA_EXISTS, PAYLOAD);
	lyd_free_all(tree);
}

/* --- delete and remove --- */

Test(nc_edit, delete_removes_an_entry)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, AUTH("<router" DELETE "><name>r2</name></router>"), NULL);
	expect_absent(tree, R2);
	cr_assert_not_null(at(tree, R1));
	edit_ok(&tree,
		AUTH("<service><name>s1</name><address" DELETE
		     ">198.51.100.0/24</address></service>"),
		NULL);
	cr_assert_eq(count(tree, S1 "/address"), 0);
	cr_assert_not_null(at(tree, S1));
	lyd_free_all(tree);
}

Test(nc_edit, delete_of_a_missing_node_is_data_missing)
{
	struct lyd_node *tree = running();

	edit_fails(&tree, AUTH("<router" DELETE "><name>r7</name></router>"), NULL,
		   NC_EDIT_DATA_MISSING, A "router[name='r7']");
	edit_fails(&tree, AUTH("<router><name>r2</name><description" DELETE "/></router>"), NULL,
		   NC_EDIT_DATA_MISSING, R2 "/description");
	/* a default is not there to delete */
	edit_fails(&tree,
		   AUTH("<security-key-management><payload-key-rekey-interval" DELETE
			">24</payload-key-rekey-interval></security-key-management>"),
		   NULL, NC_EDIT_DATA_MISSING, PAYLOAD);
	lyd_free_all(tree);
}

Test(nc_edit, delete_of_the_top_container)
{
	struct lyd_node *tree = running();

	edit_ok(&tree, "<authority xmlns=\"" SVR_NS "\" xmlns:nc=\"" NC_NS "\"" DELETE "/>", NULL);
	expect_absent(tree, "/opensvr:authority");
	cr_assert_eq(count(tree, "/opensvr:authority//*"), 0);
	lyd_free_all(tree);
}

Test(nc_edit, remove_is_quiet_about_missing_nodes)
{
	struct lyd_node *tree = running();
	char *was;

	edit_ok(&tree, AUTH("<router" REMOVE "><name>r2</name></router>"), NULL);
	expect_absent(tree, R2);
	was = print(tree);
	edit_ok(&tree, AUTH("<router" REMOVE "><name>r7</name></router>"), NULL);
	expect_printed(tree, was);
	free(was);
	lyd_free_all(tree);
}

/* --- none --- */

Test(nc_edit, none_changes_nothing_without_an_operation)
{
	struct lyd_node *tree = running();
	char *was = print(tree);

	edit_ok(&tree,
		AUTH("<name>other</name><router><name>r1</name><description>x</description>"
		     "</router><router><name>r8</name></router>"),
		"none");
	expect_printed(tree, was);
	free(was);
	lyd_free_all(tree);
}

Test(nc_edit, none_with_an_operation_below_a_missing_node_is_data_missing)
{
	struct lyd_node *tree = running();

	edit_fails(&tree,
		   AUTH("<router><name>r7</name><description" MERGE ">x</description>"
			"</router>"),
		   "none", NC_EDIT_DATA_MISSING, A "router[name='r7']");
	edit_fails(&tree,
		   AUTH("<router><name>r7</name><node><name>n1</name><description" CREATE
			">x</description></node></router>"),
		   "none", NC_EDIT_DATA_MISSING, A "router[name='r7']");
	edit_fails(&tree,
		   AUTH("<router><name>r1</name><node><name>n1</name><description" MERGE
			">x</description></node></router>"),
		   "none", NC_EDIT_DATA_MISSING, R1 "/node[name='n1']");
	/* remove needs nothing to be there */
	edit_ok(&tree, AUTH("<router><name>r7</name><description" REMOVE "/></router>"), "none");
	cr_assert_eq(count(tree, A "router"), 2);
	lyd_free_all(tree);
}

/* --- nested operations, errors --- */

Test(nc_edit, nested_operations_apply_each_at_its_level)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<router><name>r1</name><description" DELETE "/>"
		     "<location" CREATE ">lab</location></router>"
		     "<router" DELETE "><name>r2</name></router>"
		     "<service" REPLACE "><name>s1</name><address>192.0.2.0/24</address></service>"
		     "<security-key-management" MERGE "><peer-key-rekey-interval" REMOVE
		     "/></security-key-management>"),
		"none");
	expect_absent(tree, R1 "/description");
	expect_value(tree, R1 "/location", "lab");
	expect_absent(tree, R2);
	cr_assert_eq(count(tree, S1 "/address"), 1);
	cr_assert_not_null(at(tree, S1 "/address[.='192.0.2.0/24']"));
	expect_absent(tree, REKEY);
	expect_value(tree, A "name", "auth");
	expect_no_ops(tree);
	lyd_free_all(tree);
}

/* Inside a subtree created or replaced, what is marked delete or remove is
 * left out; other operations there change nothing. */
Test(nc_edit, nested_in_a_copy)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<router" REPLACE "><name>r1</name><description" REMOVE ">x</description>"
		     "<location" MERGE ">lab</location></router>"
		     "<router" CREATE "><name>r3</name><peering-key-fingerprint" DELETE "/>"
		     "<description" CREATE ">three</description></router>"),
		NULL);
	expect_absent(tree, R1 "/description");
	expect_value(tree, R1 "/location", "lab");
	expect_absent(tree, A "router[name='r3']/peering-key-fingerprint");
	expect_value(tree, A "router[name='r3']/description", "three");
	expect_no_ops(tree);
	lyd_free_all(tree);
}

/* The first changes succeed, a later one fails: none of them stays. */
Test(nc_edit, all_or_nothing)
{
	struct lyd_node *tree = running();

	edit_fails(&tree,
		   AUTH("<router" DELETE "><name>r2</name></router><name>renamed</name>"
			"<router><name>r1</name><description>new</description></router>"
			"<router" CREATE "><name>r1</name></router>"),
		   NULL, NC_EDIT_DATA_EXISTS, R1);
	cr_assert_not_null(at(tree, R2));
	expect_value(tree, A "name", "auth");
	expect_value(tree, R1 "/description", "one");
	lyd_free_all(tree);
}

/* libyang's XML parser already refuses an operation outside the six: the
 * server answers that with bad-attribute. */
Test(nc_edit, unknown_operation_is_refused_by_the_parser)
{
	struct lyd_node *edit = NULL;

	cr_assert_neq(lyd_parse_data_mem(ctx, AUTH("<name nc:operation=\"bogus\">x</name>"),
					 LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &edit),
		      LY_SUCCESS);
	cr_assert_null(edit);
	cr_assert_not_null(strstr(ly_errmsg(ctx), "Invalid enumeration value \"bogus\""), "%s",
			   ly_errmsg(ctx));
}

/* Where the parser keeps the attribute as written (an opaque node), the
 * edit finds an unknown operation itself: bad-attribute, whatever else the
 * edit would have done; "none" is a default operation, not an attribute. */
Test(nc_edit, unknown_operation_is_bad_attribute)
{
	struct lyd_node *tree = running();

	edit_fails(&tree,
		   AUTH("<router" DELETE "><name>r2</name></router>"
			"<security-key-management>"
			"<peer-key-rekey-interval nc:operation=\"bogus\"/>"
			"</security-key-management>"),
		   NULL, NC_EDIT_BAD_ATTR, REKEY);
	edit_fails(&tree,
		   AUTH("<security-key-management>"
			"<peer-key-rekey-interval nc:operation=\"none\"/>"
			"</security-key-management>"),
		   NULL, NC_EDIT_BAD_ATTR, REKEY);
	lyd_free_all(tree);
}

/* <leaf nc:operation="delete"/>: empty, so not a value of the leaf's type. */
Test(nc_edit, empty_leaf_to_delete)
{
	struct lyd_node *tree = running();

	edit_ok(&tree,
		AUTH("<security-key-management><peer-key-rekey-interval" DELETE
		     "/></security-key-management>"),
		NULL);
	expect_absent(tree, REKEY);
	edit_fails(&tree,
		   AUTH("<security-key-management><peer-key-rekey-interval" DELETE
			"/></security-key-management>"),
		   NULL, NC_EDIT_DATA_MISSING, REKEY);
	edit_ok(&tree,
		AUTH("<security-key-management><peer-key-rekey-interval" REMOVE
		     "/></security-key-management>"),
		NULL);
	/* anything else needs a value */
	edit_fails(&tree,
		   AUTH("<security-key-management><peer-key-rekey-interval/>"
			"</security-key-management>"),
		   NULL, NC_EDIT_INVALID, REKEY);
	lyd_free_all(tree);
}

/* What the schema does not have is refused by a strict parser; without
 * that, the edit refuses it (and any opaque node that is not an empty leaf
 * to delete). */
Test(nc_edit, unknown_elements_are_invalid)
{
	struct lyd_node *tree = running(), *edit = NULL;
	struct nc_edit_err err;

	cr_assert_eq(lyd_parse_data_mem(ctx, AUTH("<bogus" DELETE "/>"), LYD_XML,
					LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, &edit),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_eq(nc_edit_apply(&tree, edit, NULL, &err), -1);
	cr_assert_eq(err.tag, NC_EDIT_INVALID);
	cr_assert_str_eq(err.path, A "bogus");
	cr_assert(strstr(err.msg, "unknown element"), "%s", err.msg);
	lyd_free_all(edit);
	edit_fails(&tree, AUTH("<service><name>s1</name><address>bad</address></service>"), NULL,
		   NC_EDIT_INVALID, S1 "/address");
	lyd_free_all(tree);
}

Test(nc_edit, bad_default_operation_and_keys_and_state)
{
	struct lyd_node *tree = running();
	struct lyd_node *edit = parse_edit(AUTH("<name>x</name>"));
	struct nc_edit_err err;

	cr_assert_eq(nc_edit_apply(&tree, edit, "delete", &err), -1);
	cr_assert_eq(err.tag, NC_EDIT_INVALID);
	cr_assert_eq(nc_edit_apply(&tree, edit, "merge", NULL), 0, "err may be NULL");
	expect_value(tree, A "name", "x");
	lyd_free_all(edit);
	edit_fails(&tree, AUTH("<router><name" DELETE ">r1</name></router>"), NULL, NC_EDIT_INVALID,
		   R1 "/name");
	edit_fails(&tree,
		   "<authority-state xmlns=\"" SVR_NS "\"><router><name>r1</name></router>"
		   "</authority-state>",
		   NULL, NC_EDIT_INVALID, "/opensvr:authority-state");
	lyd_free_all(tree);
}

/* --- subtree filter --- */

static struct lyd_node *subtree(const char *filter)
{
	struct lyd_node *tree = running(), *out = (struct lyd_node *)1;
	char msg[256] = "";

	cr_assert_eq(nc_filter_subtree(ctx, tree, filter, &out, msg, sizeof(msg)), 0, "%s: %s",
		     filter ? filter : "(null)", msg);
	lyd_free_all(tree);
	return out;
}

#define F(inner) "<authority xmlns=\"" SVR_NS "\">" inner "</authority>"

Test(nc_filter, selection_of_a_whole_subtree)
{
	struct lyd_node *out = subtree(F("<service/>"));

	cr_assert_not_null(at(out, S1 "/address[.='198.51.100.0/24']"));
	expect_absent(out, R1);
	expect_absent(out, A "name");
	lyd_free_all(out);

	out = subtree(F(""));
	cr_assert_not_null(at(out, R2));
	cr_assert_not_null(at(out, S1));
	expect_value(out, REKEY, "48");
	lyd_free_all(out);
}

Test(nc_filter, containment_and_selection)
{
	struct lyd_node *out = subtree(F("<router><name/></router>"));

	cr_assert_eq(count(out, A "router"), 2);
	cr_assert_not_null(at(out, R1 "/name"));
	expect_absent(out, R1 "/description");
	expect_absent(out, S1);
	lyd_free_all(out);
}

Test(nc_filter, content_match_selects_a_router_by_name)
{
	struct lyd_node *out = subtree(F("<router><name>r1</name></router>"));

	expect_value(out, R1 "/description", "one");
	cr_assert_eq(count(out, A "router"), 1);
	expect_absent(out, S1);
	lyd_free_all(out);

	/* with a selection sibling: the matching leaves and the selected ones */
	out = subtree(F("<router><name>r1</name><description/></router>"
			"<router><name>r2</name><description/></router>"));
	expect_value(out, R1 "/description", "one");
	cr_assert_not_null(at(out, R2));
	cr_assert_eq(count(out, A "router"), 2);
	lyd_free_all(out);

	cr_assert_null(subtree(F("<router><name>r9</name></router>")));
	cr_assert_null(subtree(F("<name>other</name><router/>")));
}

/* Compared as the type reads it: a prefix with host bits, indentation. */
Test(nc_filter, content_match_by_value_not_by_text)
{
	struct lyd_node *out = subtree(F("<service><address>198.51.100.7/24</address></service>"));

	cr_assert_not_null(at(out, S1 "/address[.='198.51.100.0/24']"));
	lyd_free_all(out);
	out = subtree(F("<router>\n  <name>\n r2 </name>\n</router>"));
	cr_assert_not_null(at(out, R2));
	expect_absent(out, R1);
	lyd_free_all(out);
	out = subtree(F("<security-key-management><peer-key-rekey-interval>048"
			"</peer-key-rekey-interval></security-key-management>"));
	expect_value(out, REKEY, "48");
	lyd_free_all(out);
	cr_assert_null(subtree(F("<service><address>198.51.100.0/25</address></service>")));
}

Test(nc_filter, two_top_elements_give_their_union)
{
	struct lyd_node *out = subtree(F("<router><name>r2</name></router>") F("<service/>"));

	cr_assert_not_null(at(out, R2));
	cr_assert_not_null(at(out, S1));
	expect_absent(out, R1);
	lyd_free_all(out);
}

Test(nc_filter, empty_filter_selects_nothing)
{
	cr_assert_null(subtree(""));
	cr_assert_null(subtree(NULL));
	cr_assert_null(subtree("  \n "));
}

Test(nc_filter, names_not_in_the_schema_select_nothing)
{
	cr_assert_null(subtree(F("<bogus/>")));
	cr_assert_null(subtree("<authority xmlns=\"urn:example:other\"/>"));
	cr_assert_null(subtree("<other xmlns=\"urn:example:other\"><x/></other>"));
	cr_assert_null(subtree(F("<router><bogus>1</bogus></router>")));
}

Test(nc_filter, unreadable_filter_is_an_error)
{
	struct lyd_node *tree = running(), *out = (struct lyd_node *)1;
	char msg[256] = "";

	cr_assert_eq(nc_filter_subtree(ctx, tree, "<authority xmlns=\"" SVR_NS "\">", &out, msg,
				       sizeof(msg)),
		     -1);
	cr_assert_null(out);
	cr_assert(strstr(msg, "subtree filter"), "%s", msg);
	cr_assert_eq(nc_filter_subtree(ctx, tree, "<authority/>", &out, msg, sizeof(msg)), -1);
	cr_assert(strstr(msg, "namespace"), "%s", msg);
	/* refused before libyang's parser, which would crash on the second */
	cr_assert_eq(nc_filter_subtree(ctx, tree, "<y xmlns=\"\"/><y xmlns = ''/>", &out, msg,
				       sizeof(msg)),
		     -1);
	cr_assert(strstr(msg, "empty XML namespace"), "%s", msg);
	cr_assert_eq(nc_filter_subtree(ctx, tree, F("<p:y xmlns:p=\"\"/>"), &out, msg, sizeof(msg)),
		     -1);
	lyd_free_all(tree);
}

Test(nc_filter, empty_data)
{
	struct lyd_node *out = (struct lyd_node *)1;
	char msg[64];

	cr_assert_eq(nc_filter_subtree(ctx, NULL, F(""), &out, msg, sizeof(msg)), 0);
	cr_assert_null(out);
}

/* --- XPath filter --- */

static struct lyd_node *xpath(const char *select)
{
	struct lyd_node *tree = running(), *out = (struct lyd_node *)1;
	char msg[256] = "";

	cr_assert_eq(nc_filter_xpath(tree, select, &out, msg, sizeof(msg)), 0, "%s: %s", select,
		     msg);
	lyd_free_all(tree);
	return out;
}

Test(nc_filter, xpath_selects_nodes_with_ancestors_and_subtrees)
{
	struct lyd_node *out = xpath(R1 "/description");

	expect_value(out, R1 "/description", "one");
	expect_value(out, R1 "/name", "r1");
	expect_absent(out, R2);
	expect_absent(out, A "name");
	lyd_free_all(out);

	out = xpath(A "router | " A "service/address | " A "router[name='r1']/name");
	cr_assert_eq(count(out, A "router"), 2);
	expect_value(out, R1 "/description", "one");
	cr_assert_not_null(at(out, S1 "/address[.='198.51.100.0/24']"));
	expect_absent(out, A "name");
	lyd_free_all(out);

	cr_assert_null(xpath(A "router[name='r9']"));
}

Test(nc_filter, xpath_errors)
{
	struct lyd_node *tree = running(), *out = (struct lyd_node *)1;
	char msg[256] = "";

	cr_assert_eq(nc_filter_xpath(tree, A "router[", &out, msg, sizeof(msg)), -1);
	cr_assert_null(out);
	cr_assert(strstr(msg, "XPath"), "%s", msg);
	cr_assert_eq(nc_filter_xpath(tree, "", &out, msg, sizeof(msg)), -1);
	lyd_free_all(tree);
}
