/* The YANG model tests' helpers: see modeltest.h. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modeltest.h"

struct ly_ctx *ctx;
const struct lys_module *mod;

void setup(void)
{
	const char *top = getenv("top_srcdir");
	char dir[4096];

	if (!top || !*top)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/config-model/yang", top);

	/* Keep the last error for ly_errmsg() instead of printing every expected rejection. */
	ly_log_options(LY_LOSTORE_LAST);
	cr_assert_eq(ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx), LY_SUCCESS,
		     "no YANG directory %s (is top_srcdir set?)", dir);
	mod = ly_ctx_load_module(ctx, "opensvr", NULL, NULL);
	cr_assert_not_null(mod, "cannot load opensvr from %s: %s", dir, ly_errmsg(ctx));
}

void teardown(void)
{
	ly_ctx_destroy(ctx);
	ctx = NULL;
	mod = NULL;
}

TestSuite(model, .init = setup, .fini = teardown);

/* The options the datastore uses for configuration: unknown members are errors. */
LY_ERR parse_opts(const char *json, uint32_t parse_opts, struct lyd_node **tree)
{
	*tree = NULL;
	return lyd_parse_data_mem(ctx, json, LYD_JSON, parse_opts, LYD_VALIDATE_PRESENT, tree);
}

LY_ERR parse(const char *json, struct lyd_node **tree)
{
	return parse_opts(json, LYD_PARSE_STRICT, tree);
}

void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	cr_assert(n >= 0 && (size_t)n < len, "test JSON too long");
}

/* Parses and returns the tree, failing the test with libyang's message otherwise. */
__attribute__((format(printf, 1, 2))) struct lyd_node *load(const char *fmt, ...)
{
	struct lyd_node *tree;
	char json[8192];
	va_list ap;
	LY_ERR rc;

	va_start(ap, fmt);
	vformat(json, sizeof(json), fmt, ap);
	va_end(ap);
	rc = parse(json, &tree);
	cr_assert_eq(rc, LY_SUCCESS, "rejected %s: %s", json, ly_errmsg(ctx));
	return tree;
}

__attribute__((format(printf, 1, 2))) void ok(const char *fmt, ...)
{
	struct lyd_node *tree;
	char json[8192];
	va_list ap;
	LY_ERR rc;

	va_start(ap, fmt);
	vformat(json, sizeof(json), fmt, ap);
	va_end(ap);
	rc = parse(json, &tree);
	cr_assert_eq(rc, LY_SUCCESS, "rejected %s: %s", json, ly_errmsg(ctx));
	lyd_free_all(tree);
}

/* Rejection must be for the expected reason, or a typo in the test would pass. */
__attribute__((format(printf, 2, 3))) void bad(const char *why, const char *fmt, ...)
{
	struct lyd_node *tree;
	const char *msg;
	char json[8192];
	va_list ap;
	LY_ERR rc;

	va_start(ap, fmt);
	vformat(json, sizeof(json), fmt, ap);
	va_end(ap);
	rc = parse(json, &tree);
	lyd_free_all(tree);
	cr_assert_neq(rc, LY_SUCCESS, "accepted %s", json);
	msg = ly_errmsg(ctx);
	cr_assert(msg && strstr(msg, why), "rejected %s with \"%s\", wanted \"%s\"", json,
		  msg ? msg : "(none)", why);
}

/* The value at PATH, or NULL when there is no such node. */
const char *value_at(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *node = NULL;

	if (lyd_find_path(tree, path, 0, &node) != LY_SUCCESS)
		return NULL;
	return lyd_get_value(node);
}

/*
 * Whether libyang added the node from the schema's default. lyd_is_default() would
 * not do: it compares values, so it is true for a value typed equal to the default.
 */
int is_implicit_at(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *node = NULL;

	cr_assert_eq(lyd_find_path(tree, path, 0, &node), LY_SUCCESS, "no %s", path);
	return (node->flags & LYD_DEFAULT) != 0;
}

void expect_value(const struct lyd_node *tree, const char *path, const char *want)
{
	const char *got = value_at(tree, path);

	cr_assert_not_null(got, "no %s", path);
	cr_assert_str_eq(got, want, "%s", path);
}
