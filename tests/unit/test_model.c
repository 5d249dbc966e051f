/*
 * The YANG model (config-model/yang/opensvr.yang) checked through libyang itself:
 * descriptions, ranges, defaults and enumerations here; references, addresses and
 * the seed's configurations in test_model_refs.c. The datastore, the shell and the
 * daemon all trust these rules, so each one is pinned here rather than rediscovered
 * through svrsh.
 */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modeltest.h"

Test(model, module_identity)
{
	cr_assert_str_eq(mod->name, "opensvr");
	cr_assert_str_eq(mod->ns, "urn:opensvr:yang:opensvr");
	cr_assert_str_eq(mod->prefix, "svr");
	cr_assert_str_eq(mod->revision, "2026-11-26");
	cr_assert(mod->implemented);
}

struct dsc_check {
	int nodes;
	char missing[1024];
};

static void note_missing(struct dsc_check *c, const struct lysc_node *node, const char *what)
{
	char *path = lysc_path(node, LYSC_PATH_LOG, NULL, 0);
	size_t len = strlen(c->missing);

	snprintf(c->missing + len, sizeof(c->missing) - len, " %s%s", path ? path : "?", what);
	free(path);
}

/* The shell's '?' help prints these, so an enum value without one is a bug too. */
static void check_type_dsc(struct dsc_check *c, const struct lysc_node *node,
			   const struct lysc_type *type)
{
	LY_ARRAY_COUNT_TYPE i;

	if (type->basetype == LY_TYPE_ENUM) {
		const struct lysc_type_enum *e = (const struct lysc_type_enum *)type;

		LY_ARRAY_FOR(e->enums, i)
		{
			if (!e->enums[i].dsc || !*e->enums[i].dsc)
				note_missing(c, node, " (an enum)");
		}
	} else if (type->basetype == LY_TYPE_UNION) {
		const struct lysc_type_union *u = (const struct lysc_type_union *)type;

		LY_ARRAY_FOR(u->types, i)
		{
			check_type_dsc(c, node, u->types[i]);
		}
	}
}

static LY_ERR check_dsc(struct lysc_node *node, void *data, ly_bool *dfs_continue)
{
	struct dsc_check *c = data;

	*dfs_continue = 0;
	/* RPC input and output are implicit statements that cannot carry a description. */
	if (node->nodetype & (LYS_INPUT | LYS_OUTPUT))
		return LY_SUCCESS;
	c->nodes++;
	if (!node->dsc || !*node->dsc)
		note_missing(c, node, "");
	if (node->nodetype & LYD_NODE_TERM)
		check_type_dsc(c, node, ((struct lysc_node_leaf *)node)->type);
	return LY_SUCCESS;
}

Test(model, every_node_and_enum_has_a_description)
{
	struct dsc_check c = {0};

	cr_assert_eq(lysc_module_dfs_full(mod, check_dsc, &c), LY_SUCCESS);
	cr_assert_gt(c.nodes, 100, "walked only %d nodes", c.nodes);
	cr_assert_str_empty(c.missing, "no description:%s", c.missing);
}

Test(model, intervals_carry_units)
{
	static const struct {
		const char *path;
		const char *units;
	} want[] = {
		{SKM_PATH "payload-key-rekey-interval", "hours"},
		{SKM_PATH "peer-key-rekey-interval", "hours"},
		{SKM_PATH "peer-key-retransmit-interval", "seconds"},
		{SKM_PATH "peer-key-timeout", "seconds"},
		{SKM_PATH "dh-key-size", "bits"},
		{"/opensvr:authority/certificate-revocation-list/polling-interval", "seconds"},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct lysc_node *node = lys_find_path(ctx, NULL, want[i].path, 0);

		cr_assert_not_null(node, "no schema node %s", want[i].path);
		cr_assert_str_eq(((const struct lysc_node_leaf *)node)->units, want[i].units, "%s",
				 want[i].path);
	}
}

static void rekey_interval_edges(const char *leaf)
{
	char path[256];
	struct lyd_node *tree;

	bad("no matching subtype", SKM("%s", "0"), leaf);
	bad("no matching subtype", SKM("%s", "721"), leaf);
	bad("no matching subtype", SKM("%s", "-1"), leaf);
	bad("no matching subtype", SKM("%s", "\"sometimes\""), leaf);
	bad("no matching subtype", SKM("%s", "\"Never\""), leaf);
	ok(SKM("%s", "1"), leaf);
	ok(SKM("%s", "720"), leaf);

	snprintf(path, sizeof(path), SKM_PATH "%s", leaf);
	tree = load(SKM("%s", "\"never\""), leaf);
	expect_value(tree, path, "never");
	lyd_free_all(tree);
}

Test(model, payload_key_rekey_interval_edges)
{
	rekey_interval_edges("payload-key-rekey-interval");
}

Test(model, peer_key_rekey_interval_edges)
{
	rekey_interval_edges("peer-key-rekey-interval");
}

/*
 * RFC 7951 JSON: the number member of the union must be a JSON number. A quoted
 * "24" matches neither member, so whoever writes JSON must not quote it.
 */
Test(model, rekey_interval_number_must_not_be_quoted_in_json)
{
	bad("no matching subtype", SKM("payload-key-rekey-interval", "\"24\""));
}

static LY_DATA_TYPE realtype_at(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *node = NULL;
	const struct lyd_value *v;

	cr_assert_eq(lyd_find_path(tree, path, 0, &node), LY_SUCCESS, "no %s", path);
	v = &((struct lyd_node_term *)node)->value;
	cr_assert_eq(v->realtype->basetype, LY_TYPE_UNION);
	return v->subvalue->value.realtype->basetype;
}

/* The key engine reads hours as a number and "never" as the enum, never as text. */
Test(model, rekey_interval_keeps_number_and_never_apart)
{
	struct lyd_node *tree = load("{\"opensvr:authority\":{\"security-key-management\":{"
				     "\"payload-key-rekey-interval\":\"never\"}}}");

	cr_assert_eq(realtype_at(tree, SKM_PATH "payload-key-rekey-interval"), LY_TYPE_ENUM);
	/* The default, written by libyang from the schema text, is still a number. */
	cr_assert_eq(realtype_at(tree, SKM_PATH "peer-key-rekey-interval"), LY_TYPE_UINT16);
	lyd_free_all(tree);
}

/* The shell builds values from words with lyd_new_path(); no JSON typing there. */
Test(model, rekey_interval_from_words)
{
	struct lyd_node *tree = NULL, *node = NULL;

	cr_assert_eq(lyd_new_path(NULL, ctx, SKM_PATH "payload-key-rekey-interval", "48", 0, &tree),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_eq(lyd_new_path(tree, ctx, SKM_PATH "peer-key-rekey-interval", "never", 0, NULL),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_neq(lyd_new_path(tree, ctx, SKM_PATH "peer-key-timeout", "4", 0, &node),
		      LY_SUCCESS);
	cr_assert_neq(lyd_new_path(tree, ctx, SKM_PATH "payload-key-rekey-interval", "721",
				   LYD_NEW_PATH_UPDATE, &node),
		      LY_SUCCESS);
	cr_assert_eq(realtype_at(tree, SKM_PATH "payload-key-rekey-interval"), LY_TYPE_UINT16);
	expect_value(tree, SKM_PATH "payload-key-rekey-interval", "48");
	cr_assert_eq(realtype_at(tree, SKM_PATH "peer-key-rekey-interval"), LY_TYPE_ENUM);
	lyd_free_all(tree);
}

Test(model, peer_key_retransmit_interval_edges)
{
	bad("out of the allowed range", SKM("peer-key-retransmit-interval", "4"));
	ok(SKM("peer-key-retransmit-interval", "5"));
	ok(SKM("peer-key-retransmit-interval", "3600"));
	bad("out of the allowed range", SKM("peer-key-retransmit-interval", "3601"));
}

/* 5 s (one retransmission at the shortest interval) to one day. */
Test(model, peer_key_timeout_edges)
{
	bad("out of the allowed range", SKM("peer-key-timeout", "4"));
	ok(SKM("peer-key-timeout", "5"));
	ok(SKM("peer-key-timeout", "86400"));
	bad("out of the allowed range", SKM("peer-key-timeout", "86401"));
	bad("out of the allowed range", SKM("peer-key-timeout", "0"));
}

#define CRL(url, interval)                                                                         \
	"{\"opensvr:authority\":{\"certificate-revocation-list\":[{\"url\":\"" url                 \
	"\",\"polling-interval\":" interval "}]}}"

Test(model, crl_polling_interval_edges)
{
	bad("out of the allowed range", CRL("file:///path/to/crl.pem", "59"));
	ok(CRL("file:///path/to/crl.pem", "60"));
	ok(CRL("file:///path/to/crl.pem", "604800"));
	bad("out of the allowed range", CRL("file:///path/to/crl.pem", "604801"));
}

/* The schema only wants a scheme, so a stored configuration with an http://
 * list still loads; the model's rules refuse every scheme but file:/// at
 * commit (test_datastore: crl_url_other_than_file_is_refused_at_commit). */
Test(model, crl_url_needs_a_scheme)
{
	struct lyd_node *tree;

	ok(CRL("http://crl.example.com/ca.crl", "3600"));
	bad("starts with a scheme", CRL("crl.pem", "3600"));
	bad("starts with a scheme", CRL("/path/to/crl.pem", "3600"));

	tree = load("{\"opensvr:authority\":{\"certificate-revocation-list\":["
		    "{\"url\":\"file:///path/to/crl.pem\"}]}}");
	expect_value(
		tree,
		"/opensvr:authority/certificate-revocation-list[url='file:///path/to/crl.pem']/"
		"polling-interval",
		"3600");
	lyd_free_all(tree);
}

Test(model, defaults_of_an_empty_authority)
{
	static const struct {
		const char *leaf;
		const char *value;
	} want[] = {
		{SKM_PATH "payload-key-rekey-interval", "24"},
		{SKM_PATH "peer-key-rekey-interval", "24"},
		{SKM_PATH "peer-key-retransmit-interval", "30"},
		{SKM_PATH "peer-key-timeout", "3600"},
		{SKM_PATH "invalid-certificate-behavior", "fail-soft"},
		{SKM_PATH "key-exchange-algorithm", "diffie-hellman"},
		{SKM_PATH "dh-key-size", "4096"},
		{"/opensvr:authority/enhanced-security-key-management", "false"},
	};
	struct lyd_node *tree = load("{\"opensvr:authority\":{}}");

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		expect_value(tree, want[i].leaf, want[i].value);
		cr_assert(is_implicit_at(tree, want[i].leaf), "%s not marked default",
			  want[i].leaf);
	}
	cr_assert_null(value_at(tree, "/opensvr:authority/name"));
	lyd_free_all(tree);
}

/* A value typed equal to the default is the operator's, not libyang's. */
Test(model, explicit_value_equal_to_default_is_not_default)
{
	struct lyd_node *tree = load(SKM("peer-key-timeout", "3600")), *node = NULL;

	expect_value(tree, SKM_PATH "peer-key-timeout", "3600");
	cr_assert_not(is_implicit_at(tree, SKM_PATH "peer-key-timeout"));
	cr_assert_eq(lyd_find_path(tree, SKM_PATH "peer-key-timeout", 0, &node), LY_SUCCESS);
	cr_assert(lyd_is_default(node), "lyd_is_default() compares values");
	cr_assert(is_implicit_at(tree, SKM_PATH "peer-key-retransmit-interval"));
	lyd_free_all(tree);
}

/* LYD_VALIDATE_PRESENT only completes modules that have data: no data, no defaults. */
Test(model, empty_document_stays_empty)
{
	struct lyd_node *tree;

	cr_assert_eq(parse("{}", &tree), LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_null(tree);

	/* Validating the module itself, by contrast, brings its defaults in. */
	cr_assert_eq(lyd_validate_module(&tree, mod, 0, NULL), LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_not_null(tree);
	expect_value(tree, SKM_PATH "peer-key-retransmit-interval", "30");
	lyd_free_all(tree);
}

Test(model, node_and_interface_defaults)
{
	struct lyd_node *tree =
		load(IFACE("\"neighborhood\":[{\"name\":\"internet\",\"adjacency\":["
			   "{\"ip-address\":\"203.0.113.2\",\"peer\":\"r2\"}]}]"));
	const char *node = "/opensvr:authority/router[name='r1']/node[name='n1']/";

	char path[512];

	snprintf(path, sizeof(path), "%sforwarder", node);
	expect_value(tree, path, "nfqueue");
	snprintf(path, sizeof(path), "%sforwarder-options/nfqueue-queue", node);
	expect_value(tree, path, "0");
	snprintf(path, sizeof(path), "%sforwarder-options/fail-open", node);
	expect_value(tree, path, "false");
	expect_value(tree, IFACE_PATH "neighborhood[name='internet']/topology", "mesh");
	expect_value(tree,
		     IFACE_PATH "neighborhood[name='internet']/adjacency[ip-address='203.0.113.2']/"
				"generated",
		     "false");
	lyd_free_all(tree);
}

#define NODE(inner)                                                                                \
	"{\"opensvr:authority\":{\"router\":[{\"name\":\"r1\",\"node\":[{\"name\":\"n1\"," inner   \
	"}]}]}}"

Test(model, forwarder_values)
{
	ok(NODE("\"forwarder\":\"nfqueue\""));
	ok(NODE("\"forwarder\":\"pcap\""));
	ok(NODE("\"forwarder\":\"raw-socket\""));
	bad("Invalid enumeration value", NODE("\"forwarder\":\"dpdk\""));
	bad("Invalid enumeration value", NODE("\"forwarder\":\"raw_socket\""));
	bad("Invalid enumeration value", NODE("\"forwarder\":\"\""));
	ok(NODE("\"forwarder-options\":{\"nfqueue-queue\":65535,\"fail-open\":false}"));
	/* fail closed: no packet passes in clear while svrd cannot take it */
	bad("fail-open true is refused", NODE("\"forwarder-options\":{\"fail-open\":true}"));
	bad("out of type uint16 min/max bounds",
	    NODE("\"forwarder-options\":{\"nfqueue-queue\":65536}"));
	/* JSON typing again: a quoted "true" is a string, not a boolean. */
	bad("non-boolean-encoded", NODE("\"forwarder-options\":{\"fail-open\":\"true\"}"));
	bad("boolean", NODE("\"forwarder-options\":{\"fail-open\":1}"));
}

Test(model, topology_values)
{
	ok(IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"mesh\"}]"));
	ok(IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"hub\"}]"));
	ok(IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"spoke\"}]"));
	bad("Invalid enumeration value",
	    IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"star\"}]"));
	bad("Invalid enumeration value",
	    IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"Hub\"}]"));
}

#define CA_MODE(mode)                                                                              \
	"{\"opensvr:authority\":{\"trusted-ca-certificate\":[{\"name\":\"ca\","                    \
	"\"content\":\"x\",\"validation-mode\":\"" mode "\"}]}}"

#define CLIENT_MODE(mode)                                                                          \
	"{\"opensvr:authority\":{\"client-certificate\":[{\"name\":\"mine\","                      \
	"\"file\":\"router.pem\",\"validation-mode\":\"" mode "\"}]}}"

Test(model, validation_mode_values)
{
	static const char *const modes_ok[] = {"strict", "warn"};
	static const char *const modes_bad[] = {"lax", "none", "Strict"};
	struct lyd_node *tree;

	for (size_t i = 0; i < sizeof(modes_ok) / sizeof(modes_ok[0]); i++) {
		ok(CA_MODE("%s"), modes_ok[i]);
		ok(CLIENT_MODE("%s"), modes_ok[i]);
	}
	for (size_t i = 0; i < sizeof(modes_bad) / sizeof(modes_bad[0]); i++) {
		bad("Invalid enumeration value", CA_MODE("%s"), modes_bad[i]);
		bad("Invalid enumeration value", CLIENT_MODE("%s"), modes_bad[i]);
	}

	tree = load("{\"opensvr:authority\":{"
		    "\"trusted-ca-certificate\":[{\"name\":\"ca\",\"content\":\"x\"}],"
		    "\"client-certificate\":[{\"name\":\"mine\",\"file\":\"router.pem\"}]}}");
	expect_value(tree, "/opensvr:authority/trusted-ca-certificate[name='ca']/validation-mode",
		     "strict");
	expect_value(tree, "/opensvr:authority/client-certificate[name='mine']/validation-mode",
		     "strict");
	lyd_free_all(tree);
}

Test(model, invalid_certificate_behavior_values)
{
	ok(SKM("invalid-certificate-behavior", "\"fail-soft\""));
	ok(SKM("invalid-certificate-behavior", "\"fail-hard\""));
	bad("Invalid enumeration value", SKM("invalid-certificate-behavior", "\"fail-open\""));
	bad("Invalid enumeration value", SKM("invalid-certificate-behavior", "\"soft\""));
}

Test(model, key_exchange_algorithm_values)
{
	ok(SKM("key-exchange-algorithm", "\"diffie-hellman\""));
	ok(SKM("key-exchange-algorithm", "\"ecdh-x25519\""));
	bad("Invalid enumeration value", SKM("key-exchange-algorithm", "\"rsa\""));
	ok(ROUTER("\"key-exchange-algorithm-override\":\"ecdh-x25519\""));
	ok(ROUTER("\"key-exchange-algorithm-override\":\"diffie-hellman\""));
	bad("Invalid enumeration value", ROUTER("\"key-exchange-algorithm-override\":\"x448\""));
}

Test(model, key_exchange_algorithm_override_has_no_default)
{
	struct lyd_node *tree = load(ROUTER("\"location\":\"usa\""));

	cr_assert_null(value_at(tree, ROUTER_PATH "key-exchange-algorithm-override"));
	lyd_free_all(tree);
}

Test(model, dh_key_size_values)
{
	ok(SKM("dh-key-size", "2048"));
	ok(SKM("dh-key-size", "3072"));
	ok(SKM("dh-key-size", "4096"));
	bad("out of the allowed range", SKM("dh-key-size", "1024"));
	bad("out of the allowed range", SKM("dh-key-size", "2049"));
	bad("out of the allowed range", SKM("dh-key-size", "8192"));
}

/*
 * libyang 2.1.30 treats the two cases differently: the default disappears quietly
 * when the condition is false, but a value the operator typed is an error.
 */
Test(model, dh_key_size_only_with_diffie_hellman)
{
	struct lyd_node *tree;

	tree = load("{\"opensvr:authority\":{\"security-key-management\":{"
		    "\"key-exchange-algorithm\":\"diffie-hellman\",\"dh-key-size\":3072}}}");
	expect_value(tree, SKM_PATH "dh-key-size", "3072");
	lyd_free_all(tree);

	tree = load(SKM("key-exchange-algorithm", "\"ecdh-x25519\""));
	cr_assert_null(value_at(tree, SKM_PATH "dh-key-size"));
	lyd_free_all(tree);

	bad("When condition", "{\"opensvr:authority\":{\"security-key-management\":{"
			      "\"key-exchange-algorithm\":\"ecdh-x25519\",\"dh-key-size\":4096}}}");
}

/* The condition reads the authority's algorithm; a router override does not remove it. */
Test(model, dh_key_size_ignores_router_override)
{
	struct lyd_node *tree = load(ROUTER("\"key-exchange-algorithm-override\":\"ecdh-x25519\""));

	expect_value(tree, SKM_PATH "dh-key-size", "4096");
	lyd_free_all(tree);
}
