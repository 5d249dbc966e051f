/* DOC: model operations
 *
 * The management operations on the model itself rather than on the
 * configuration: the schema for a shell's command tree (get-schema), the
 * keys of a list (list-keys), the operational state (get-state) and the
 * model's RPCs, each served by the subsystem that registered it
 * (svrd_rpc_register).  doc/management-api.md documents them.
 */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "model.h"
#include "pcli.h"
#include "strbuf.h"
#include "svrd.h"

int svrd_state_register(struct svrd *d, svrd_state_fn fn, void *arg)
{
	if (d->nstates == SVRD_MAX_STATE)
		return -1;
	d->states[d->nstates].fn = fn;
	d->states[d->nstates++].arg = arg;
	return 0;
}

/* authority-state for this router and node, filled by every registered
 * filler and validated against the model; NULL with err set. */
static struct lyd_node *build_state(struct svrd *d, char *err, size_t errlen)
{
	const struct ly_ctx *ctx = ds_ctx(d->ds);
	const struct lys_module *mod = ly_ctx_get_module_implemented(ctx, "opensvr");
	struct lyd_node *top = NULL, *router = NULL, *node = NULL;
	const struct ly_err_item *it;

	if (!mod || lyd_new_inner(NULL, mod, "authority-state", 0, &top) != LY_SUCCESS ||
	    lyd_new_list(top, NULL, "router", 0, &router, d->router) != LY_SUCCESS ||
	    lyd_new_list(router, NULL, "node", 0, &node, d->node) != LY_SUCCESS) {
		snprintf(err, errlen, "router or node name is not a valid YANG name");
		goto fail;
	}
	for (int i = 0; i < d->nstates; i++)
		if (d->states[i].fn(d->states[i].arg, router, node) < 0) {
			it = ly_err_last(ctx);
			snprintf(err, errlen, "state does not fit the model: %s",
				 it ? it->msg : "a value out of its type");
			goto fail;
		}
	if (lyd_validate_all(&top, NULL, LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS) {
		it = ly_err_last(ctx);
		snprintf(err, errlen, "state does not validate: %s", it ? it->msg : "?");
		goto fail;
	}
	return top;
fail:
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	lyd_free_all(top);
	return NULL;
}

/* Operational state, YANG data (state.h): "state" is the
 * authority-state as libyang prints it in JSON (RFC 7951). */
static int op_get_state(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			struct json **data, struct json **error)
{
	char err[512], *text = NULL;
	struct lyd_node *state = build_state(d, err, sizeof(err));
	struct json *parsed = NULL;

	(void)peer;
	(void)args;
	if (state && lyd_print_mem(&text, state, LYD_JSON, LYD_PRINT_WITHSIBLINGS) == LY_SUCCESS)
		parsed = json_parse(text, strlen(text), err, sizeof(err)); /* our own text */
	lyd_free_all(state);
	free(text);
	if (!parsed) {
		log_warnx("get-state: %s", err);
		*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "%s", err);
		return -1;
	}
	*data = json_new_object();
	json_set(*data, "state", parsed);
	return 0;
}

int svrd_rpc_register(struct svrd *d, const char *name, svrd_rpc_fn fn, void *arg)
{
	char path[128];

	snprintf(path, sizeof(path), "/opensvr:%s", name);
	if (d->nrpcs == SVRD_MAX_RPCS || !lys_find_path(ds_ctx(d->ds), NULL, path, 0)) {
		ly_err_clean((struct ly_ctx *)ds_ctx(d->ds), NULL);
		return -1;
	}
	for (int i = 0; i < d->nrpcs; i++)
		if (strcmp(d->rpcs[i].name, name) == 0)
			return -1;
	d->rpcs[d->nrpcs].name = name;
	d->rpcs[d->nrpcs].fn = fn;
	d->rpcs[d->nrpcs++].arg = arg;
	return 0;
}

static const struct svrd_rpc *rpc_find(const struct svrd *d, const char *name)
{
	for (int i = 0; i < d->nrpcs; i++)
		if (strcmp(d->rpcs[i].name, name) == 0)
			return &d->rpcs[i];
	return NULL;
}

/* A YANG RPC: the input is checked against the model before anything
 * runs; then the subsystem that registered it serves it. */
static int op_rpc(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		  struct json **data, struct json **error)
{
	const char *name = json_get_str(args, "name", NULL);
	const struct json *input = json_get(args, "input");
	struct ds_errs e = {0};
	struct lyd_node *tree = NULL, *op = NULL;
	struct ly_in *in = NULL;
	char *inj = input ? json_print(input) : NULL, *req;
	size_t len;
	const struct svrd_rpc *rpc;

	(void)peer;
	if (!name || strchr(name, '"') || strchr(name, ':')) {
		free(inj);
		*error = mgmt_error_obj(MGMT_E_REQUEST, NULL, "rpc needs a \"name\"");
		return -1;
	}
	len = strlen(name) + (inj ? strlen(inj) : 2) + 32;
	req = malloc(len);
	snprintf(req, len, "{\"opensvr:%s\":%s}", name, inj ? inj : "{}");
	free(inj);
	if (ly_in_new_memory(req, &in) != LY_SUCCESS ||
	    lyd_parse_op(ds_ctx(d->ds), NULL, in, LYD_JSON, LYD_TYPE_RPC_YANG, &tree, &op) !=
		    LY_SUCCESS) {
		struct ly_err_item *it = ly_err_first(ds_ctx(d->ds));

		ds_errs_add(&e, false, name, "%s", it ? it->msg : "not an RPC of the model");
		ly_err_clean((struct ly_ctx *)ds_ctx(d->ds), NULL);
	} else if (!(rpc = rpc_find(d, name))) {
		ds_errs_add(&e, false, name,
			    "not available yet: no subsystem of this svrd implements it");
	} else if (rpc->fn(rpc->arg, input, data, &e) == 0 && !*data) {
		*data = json_new_object();
	}
	ly_in_free(in, 0);
	free(req);
	lyd_free_all(tree);
	return config_finish(&e, data, error);
}

/* The configuration schema for a shell's command tree: every config node
 * with its kind, help, keys, the values a leaf takes and its default. */
static struct json *schema_json(const struct lysc_node *parent, const struct lys_module *mod)
{
	struct json *list = json_new_array();
	const struct lysc_node *sn = NULL;

	while ((sn = lys_getnext(sn, parent, parent ? NULL : mod->compiled, 0))) {
		struct json *o;
		char *path;

		if (!(sn->flags & LYS_CONFIG_W))
			continue;
		o = json_new_object();
		json_set(o, "name", json_new_str(sn->name));
		json_set(o, "description", json_new_str(sn->dsc ? sn->dsc : ""));
		path = lysc_path(sn, LYSC_PATH_DATA, NULL, 0);
		json_set(o, "path", json_new_str(path ? path : ""));
		free(path);
		switch (sn->nodetype) {
		case LYS_CONTAINER:
			json_set(o, "kind", json_new_str("container"));
			json_set(o, "children", schema_json(sn, mod));
			break;
		case LYS_LIST: {
			struct json *keys = json_new_array();
			const struct lysc_node *k;

			for (k = lysc_node_child(sn); k && (k->flags & LYS_KEY); k = k->next)
				json_append(keys, json_new_str(k->name));
			json_set(o, "kind", json_new_str("list"));
			json_set(o, "keys", keys);
			json_set(o, "children", schema_json(sn, mod));
			break;
		}
		case LYS_LEAF:
		case LYS_LEAFLIST: {
			const struct lysc_node_leaf *l = (const struct lysc_node_leaf *)sn;
			struct strbuf t = STRBUF_INIT;
			struct json *enums = json_new_array();
			const struct lysc_type *ty = l->type;

			model_describe_type(ty, &t);
			json_set(o, "kind",
				 json_new_str(sn->nodetype == LYS_LEAF ? "leaf" : "leaf-list"));
			json_set(o, "type", json_new_str(strbuf_str(&t)));
			strbuf_free(&t);
			if (l->units)
				json_set(o, "units", json_new_str(l->units));
			if (sn->nodetype == LYS_LEAF && l->dflt)
				json_set(o, "default",
					 json_new_str(lyd_value_get_canonical(sn->module->ctx,
									      l->dflt)));
			if (sn->flags & LYS_KEY)
				json_set(o, "key", json_new_bool(true));
			/* enum names, also inside unions ("never") */
			{
				const struct lysc_type *types[16];
				size_t nt = 0;

				if (ty->basetype == LY_TYPE_UNION) {
					const struct lysc_type_union *u = (const void *)ty;
					LY_ARRAY_COUNT_TYPE i;

					LY_ARRAY_FOR(u->types, i)
					if (nt < 16)
						types[nt++] = u->types[i];
				} else {
					types[nt++] = ty;
				}
				bool closed = true;

				for (size_t i = 0; i < nt; i++) {
					closed = closed && (types[i]->basetype == LY_TYPE_ENUM ||
							    types[i]->basetype == LY_TYPE_BOOL);
					if (types[i]->basetype == LY_TYPE_ENUM) {
						const struct lysc_type_enum *en =
							(const void *)types[i];
						LY_ARRAY_COUNT_TYPE k;

						LY_ARRAY_FOR(en->enums, k)
						json_append(enums, json_new_str(en->enums[k].name));
					} else if (types[i]->basetype == LY_TYPE_BOOL) {
						json_append(enums, json_new_str("true"));
						json_append(enums, json_new_str("false"));
					}
				}
				/* every value is one of enums: the shell may expand
				 * an abbreviated one */
				if (closed)
					json_set(o, "closed", json_new_bool(true));
			}
			json_set(o, "enums", enums);
			/* PEM text is typed over several lines */
			if (strcmp(sn->name, "content") == 0)
				json_set(o, "multiline", json_new_bool(true));
			break;
		}
		default:
			json_set(o, "kind", json_new_str("other"));
		}
		json_append(list, o);
	}
	return list;
}

static int op_get_schema(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			 struct json **data, struct json **error)
{
	(void)peer;
	(void)args;
	(void)error;
	*data = json_new_object();
	json_set(*data, "nodes",
		 schema_json(NULL, ly_ctx_get_module_implemented(ds_ctx(d->ds), "opensvr")));
	return 0;
}

/* list-keys names its list by a schema path: '/', then node names
 * separated by '/', each a YANG identifier optionally prefixed by its
 * module ("/opensvr:authority/router").  Nothing else reaches libyang's
 * XPath engine: no predicates, functions, wildcards, axes or unions, so the
 * work is one walk over the list's entries, and at most LIST_KEYS_MAX keys
 * come back. */
#define LIST_KEYS_PATH_MAX 512
#define LIST_KEYS_MAX	   10000

static struct json *schema_path_error(const char *sp)
{
	size_t at;
	const char *why;

	if (strlen(sp) > LIST_KEYS_PATH_MAX)
		return mgmt_error_obj(MGMT_E_REQUEST, NULL,
				      "list-keys takes a schema path no longer than %d characters",
				      LIST_KEYS_PATH_MAX);
	why = mgmt_schema_path_fault(sp, &at);
	if (!why)
		return NULL;
	return mgmt_error_obj(
		MGMT_E_REQUEST, NULL,
		"list-keys takes a schema path (node names separated by '/', each "
		"optionally prefixed by its module, as in /opensvr:authority/router), "
		"not an expression: %s (character %zu)",
		why, at);
}

/* The schema node of a checked path; the first node may leave out the
 * module (opensvr). */
static const struct lysc_node *schema_list(struct svrd *d, const char *sp, char *full, size_t len,
					   struct json **error)
{
	const struct lysc_node *sn;
	size_t n = strcspn(sp + 1, "/");

	if (memchr(sp + 1, ':', n))
		snprintf(full, len, "%s", sp);
	else
		snprintf(full, len, "/opensvr:%s", sp + 1);
	sn = lys_find_path(ds_ctx(d->ds), NULL, full, 0);
	ly_err_clean((struct ly_ctx *)ds_ctx(d->ds), NULL);
	if (!sn) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"list-keys: no such list in the model (schema path %s)",
					full);
		return NULL;
	}
	if (sn->nodetype != LYS_LIST) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"list-keys: %s is a %s, not a list (schema path)", full,
					lys_nodetype2str(sn->nodetype));
		return NULL;
	}
	return sn;
}

/* Existing entries of a list, for completion: the list is named by its
 * schema path; entries under the session's current level when that level
 * is inside the list's parent, else all of them. */
static int op_list_keys(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			struct json **data, struct json **error)
{
	const char *sp = json_get_str(args, "schema-path", NULL);
	const char *level = peer->pcli ? pcli_path(peer->pcli) : "";
	struct json *keys;
	struct ly_set *set = NULL;
	struct strbuf xpath = STRBUF_INIT;
	char full[LIST_KEYS_PATH_MAX + 16];
	const char *name;
	bool truncated = false;

	if (!sp || !*sp) {
		*error = mgmt_error_obj(MGMT_E_REQUEST, NULL, "list-keys needs a \"schema-path\"");
		return -1;
	}
	if ((*error = schema_path_error(sp)) || !schema_list(d, sp, full, sizeof(full), error))
		return -1;
	sp = full;
	name = strrchr(sp, '/') + 1;
	if (strchr(name, ':'))
		name = strchr(name, ':') + 1;
	{
		/* the list's parent is the current level: its entries there */
		char *lsp = peer->pcli ? pcli_schema_path(peer->pcli) : NULL;
		size_t plen = (size_t)(strrchr(sp, '/') - sp);

		if (lsp && *lsp && strlen(lsp) == plen && strncmp(lsp, sp, plen) == 0)
			strbuf_addf(&xpath, "%s/%s", level, name);
		else
			strbuf_adds(&xpath, sp);
		free(lsp);
	}
	keys = json_new_array();
	if (ds_candidate(d->ds) && !xpath.oom &&
	    lyd_find_xpath(ds_candidate(d->ds), strbuf_str(&xpath), &set) == LY_SUCCESS) {
		for (uint32_t i = 0; i < set->count; i++) {
			struct lyd_node *k = lyd_child(set->dnodes[i]);

			if (json_len(keys) == LIST_KEYS_MAX) {
				truncated = true;
				break;
			}
			if (k && (k->schema->flags & LYS_KEY))
				json_append(keys, json_new_str(lyd_get_value(k)));
		}
	}
	ly_err_clean((struct ly_ctx *)ds_ctx(d->ds), NULL);
	ly_set_free(set, NULL);
	strbuf_free(&xpath);
	*data = json_new_object();
	json_set(*data, "keys", keys);
	if (truncated)
		json_set(*data, "truncated", json_new_bool(true));
	return 0;
}

static const struct mgmt_op model_ops[] = {
	{"get-schema", false, op_get_schema},
	{"list-keys", false, op_list_keys},
	{"get-state", false, op_get_state},
	{"rpc", true, op_rpc},
};

const struct mgmt_op *model_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(model_ops) / sizeof(model_ops[0]); i++)
		if (strcmp(model_ops[i].name, name) == 0)
			return &model_ops[i];
	return conductor_op_find(name) ?: enrolment_op_find(name);
}
