/* DOC: the opensvr model's own rules
 *
 * What libyang cannot express, or expresses badly for an operator:
 * readable value errors ("4 is out of range 5..3600"), peers and
 * adjacencies generated from neighborhoods, and the cross-field rules
 * (unique peering-common-name, references between routers, certificates).
 * All of it works on libyang trees and reports through ds_errs.
 */
#ifndef SVR_MODEL_H
#define SVR_MODEL_H

#include <stdbool.h>

struct ds_errs;
struct ly_ctx;
struct lyd_node;
struct lysc_node;
struct lysc_type;
struct strbuf;

/* libyang's message, in fewer words where we know better. */
const char *model_rephrase(const char *msg);
/* Check value for the leaf at data path; on failure add an error that says
 * what would be accepted. */
int model_check_value(const struct ly_ctx *ctx, const char *path, const char *value,
		      struct ds_errs *e);
/* "1..720 or never", "fail-soft | fail-hard", "an IPv4 or IPv6 address" */
void model_describe_type(const struct lysc_type *type, struct strbuf *sb);
/* "expected " before a type description, or "" when it is a sentence. */
const char *model_expected_prefix(const char *description);
/* The schema node of a data path (predicates ignored), or NULL. */
const struct lysc_node *model_schema_of(const struct ly_ctx *ctx, const char *path);

/* Replace generated peers and adjacencies by the ones the neighborhoods
 * imply now. */
void model_generate(const struct ly_ctx *ctx, struct lyd_node **tree);
/* ---- reading the data tree ---- */
/* The value of n's child leaf called name, or NULL. */
const char *model_leaf(const struct lyd_node *n, const char *name);
/* The leaf at schema path ("/opensvr:authority/security-key-management/
 * peer-key-timeout") in parent (the node of its parent path, which may be
 * NULL): its value, else the schema's default, else NULL.  Defaults are
 * read from the schema, never copied into code. */
const char *model_leaf_or_default(const struct ly_ctx *ctx, const struct lyd_node *parent,
				  const char *path);
/* Every child of parent (which may be NULL) called nm. */
#define MODEL_FOR_CHILD(parent, nm, var)                                                           \
	for (struct lyd_node *var = lyd_child(parent); var; var = var->next)                       \
		if (var->schema && strcmp(var->schema->name, (nm)) == 0)
/* In a configuration tree: the authority, this router and this node of it
 * (each NULL where absent). */
void model_find_self(const struct lyd_node *tree, const char *router, const char *node,
		     const struct lyd_node **auth, const struct lyd_node **me,
		     const struct lyd_node **mynode);

/* Cross-field rules; errors and warnings go to e.  What needs more than
 * the tree (certificates, files, interfaces) is checked by the subsystem
 * that uses it, in its prepare step (datastore.h). */
void model_validate(const struct ly_ctx *ctx, const struct lyd_node *tree, struct ds_errs *e);

#endif
