/*
 * The YANG model (config-model/yang/opensvr.yang) checked through libyang itself:
 * ranges, defaults, enumerations, references and the seed's configurations. The
 * datastore, the shell and the daemon all trust these rules, so each one is pinned
 * here rather than rediscovered through svrsh.
 */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ly_ctx *ctx;
static const struct lys_module *mod;

static void setup(void)
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

static void teardown(void)
{
	ly_ctx_destroy(ctx);
	ctx = NULL;
	mod = NULL;
}

TestSuite(model, .init = setup, .fini = teardown);

/* The options the datastore uses for configuration: unknown members are errors. */
static LY_ERR parse_opts(const char *json, uint32_t parse_opts, struct lyd_node **tree)
{
	*tree = NULL;
	return lyd_parse_data_mem(ctx, json, LYD_JSON, parse_opts, LYD_VALIDATE_PRESENT, tree);
}

static LY_ERR parse(const char *json, struct lyd_node **tree)
{
	return parse_opts(json, LYD_PARSE_STRICT, tree);
}

static void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	cr_assert(n >= 0 && (size_t)n < len, "test JSON too long");
}

/* Parses and returns the tree, failing the test with libyang's message otherwise. */
__attribute__((format(printf, 1, 2))) static struct lyd_node *load(const char *fmt, ...)
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

__attribute__((format(printf, 1, 2))) static void ok(const char *fmt, ...)
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
__attribute__((format(printf, 2, 3))) static void bad(const char *why, const char *fmt, ...)
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
static const char *value_at(const struct lyd_node *tree, const char *path)
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
static int is_implicit_at(const struct lyd_node *tree, const char *path)
{
	struct lyd_node *node = NULL;

	cr_assert_eq(lyd_find_path(tree, path, 0, &node), LY_SUCCESS, "no %s", path);
	return (node->flags & LYD_DEFAULT) != 0;
}

static void expect_value(const struct lyd_node *tree, const char *path, const char *want)
{
	const char *got = value_at(tree, path);

	cr_assert_not_null(got, "no %s", path);
	cr_assert_str_eq(got, want, "%s", path);
}

#define SKM(leaf, value)                                                                           \
	"{\"opensvr:authority\":{\"security-key-management\":{\"" leaf "\":" value "}}}"

#define SKM_PATH "/opensvr:authority/security-key-management/"

/* One network interface deep inside one router, for interface-level leaves. */
#define IFACE(inner)                                                                               \
	"{\"opensvr:authority\":{\"router\":[{\"name\":\"r1\",\"node\":[{\"name\":\"n1\","         \
	"\"device-interface\":[{\"name\":\"eth0\",\"network-interface\":[{\"name\":\"wan\"," inner \
	"}]}]}]}]}}"

#define IFACE_PATH                                                                                 \
	"/opensvr:authority/router[name='r1']/node[name='n1']/device-interface[name='eth0']/"      \
	"network-interface[name='wan']/"

#define ROUTER(inner) "{\"opensvr:authority\":{\"router\":[{\"name\":\"r1\"," inner "}]}}"

#define ROUTER_PATH "/opensvr:authority/router[name='r1']/"

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

#define SERVICES "\"service\":[{\"name\":\"web\",\"address\":[\"198.51.100.0/24\"]}]"

Test(model, service_route_needs_an_existing_service)
{
	struct lyd_node *tree;

	tree = load("{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
		    "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
		    "\"peer\":\"r2\"}]}]}}");
	expect_value(tree, ROUTER_PATH "service-route[name='to-web']/service-name", "web");
	lyd_free_all(tree);

	bad("Invalid leafref value \"mail\"",
	    "{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	    "\"service-route\":[{\"name\":\"to-mail\",\"service-name\":\"mail\","
	    "\"peer\":\"r2\"}]}]}}");
	bad("Invalid leafref value",
	    ROUTER("\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\"}]"));
	bad("Mandatory node \"service-name\"",
	    "{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	    "\"service-route\":[{\"name\":\"to-web\",\"peer\":\"r2\"}]}]}}");
}

/* Router names are plain names: the daemon, not libyang, checks they exist. */
Test(model, router_references_are_not_leafrefs)
{
	ok("{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	   "\"peer\":[{\"name\":\"p\",\"router-name\":\"nowhere\"}],"
	   "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
	   "\"peer\":\"nowhere\"}]}]}}");
	ok(IFACE("\"neighborhood\":[{\"name\":\"a\",\"adjacency\":["
		 "{\"ip-address\":\"192.0.2.2\",\"peer\":\"nowhere\"}]}]"));
}

Test(model, service_route_is_peer_or_next_hop)
{
	ok("{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	   "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
	   "\"next-hop\":\"192.0.2.1\"}]}]}}");
	ok("{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	   "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
	   "\"next-hop\":\"2001:db8::1\"}]}]}}");
	bad("Data for both cases",
	    "{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	    "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
	    "\"peer\":\"r2\",\"next-hop\":\"192.0.2.1\"}]}]}}");
	bad("Invalid union value",
	    "{\"opensvr:authority\":{" SERVICES ",\"router\":[{\"name\":\"r1\","
	    "\"service-route\":[{\"name\":\"to-web\",\"service-name\":\"web\","
	    "\"next-hop\":\"r2\"}]}]}}");
}

#define ADDRESS(ip, len)                                                                           \
	IFACE("\"address\":[{\"ip-address\":\"" ip "\",\"prefix-length\":" len "}]")

Test(model, interface_addresses)
{
	ok(ADDRESS("192.0.2.1", "24"));
	ok(ADDRESS("203.0.113.254", "32"));
	ok(ADDRESS("2001:db8::1", "64"));
	ok(ADDRESS("2001:db8:0:1::2", "128"));
	ok(ADDRESS("::ffff:198.51.100.7", "96"));

	bad("Invalid union value", ADDRESS("192.0.2.256", "24"));
	bad("Invalid union value", ADDRESS("192.0.2", "24"));
	bad("Invalid union value", ADDRESS("192.0.2.1/24", "24"));
	bad("Invalid union value", ADDRESS("2001:db8::g", "64"));
	bad("Invalid union value", ADDRESS("2001:db8:::1", "64"));
	bad("Invalid union value", ADDRESS("combo-east", "24"));
	/* Interface addresses never carry a zone. */
	bad("Invalid union value", ADDRESS("2001:db8::1%%eth0", "64"));
}

Test(model, ipv6_addresses_are_stored_canonically)
{
	struct lyd_node *tree = load(ADDRESS("2001:DB8:0:0::0:1", "64"));

	expect_value(tree, IFACE_PATH "address[ip-address='2001:db8::1']/ip-address",
		     "2001:db8::1");
	lyd_free_all(tree);
}

Test(model, prefix_length_fits_the_family)
{
	ok(ADDRESS("192.0.2.1", "0"));
	ok(ADDRESS("192.0.2.1", "32"));
	bad("The prefix length of an IPv4 address is 0..32", ADDRESS("192.0.2.1", "33"));
	ok(ADDRESS("2001:db8::1", "128"));
	bad("out of the allowed range", ADDRESS("2001:db8::1", "129"));
	bad("Mandatory node \"prefix-length\"",
	    IFACE("\"address\":[{\"ip-address\":\"192.0.2.1\"}]"));
}

Test(model, gateways)
{
	ok(IFACE("\"address\":[{\"ip-address\":\"192.0.2.10\",\"prefix-length\":24,"
		 "\"gateway\":\"192.0.2.1\"}]"));
	ok(IFACE("\"address\":[{\"ip-address\":\"2001:db8::10\",\"prefix-length\":64,"
		 "\"gateway\":\"2001:db8::1\"}]"));
	bad("Invalid union value",
	    IFACE("\"address\":[{\"ip-address\":\"192.0.2.10\",\"prefix-length\":24,"
		  "\"gateway\":\"192.0.2.0/24\"}]"));
}

#define SERVICE(prefix)                                                                            \
	"{\"opensvr:authority\":{\"service\":[{\"name\":\"s\",\"address\":[\"" prefix "\"]}]}}"

Test(model, service_prefixes)
{
	ok(SERVICE("192.0.2.0/24"));
	ok(SERVICE("198.51.100.7/32"));
	ok(SERVICE("0.0.0.0/0"));
	ok(SERVICE("2001:db8::/32"));
	ok(SERVICE("2001:db8:1::/128"));
	ok("{\"opensvr:authority\":{\"service\":[{\"name\":\"s\",\"address\":["
	   "\"192.0.2.0/24\",\"203.0.113.0/25\",\"2001:db8::/48\"]}]}}");

	bad("Invalid union value", SERVICE("192.0.2.0/33"));
	bad("Invalid union value", SERVICE("192.0.2.0"));
	bad("Invalid union value", SERVICE("192.0.2.0/"));
	bad("Invalid union value", SERVICE("192.0.2.0/-1"));
	bad("Invalid union value", SERVICE("192.0.256.0/24"));
	bad("Invalid union value", SERVICE("2001:db8::/129"));
	bad("Invalid union value", SERVICE("2001:db8::"));
	bad("Invalid union value", SERVICE("2001:db8::x/32"));
}

/* ietf-inet-types semantics: a prefix keeps only its network bits. */
Test(model, prefixes_lose_host_bits)
{
	struct lyd_node *tree =
		load("{\"opensvr:authority\":{\"service\":[{\"name\":\"s\",\"address\":["
		     "\"192.0.2.77/24\",\"2001:DB8:0:0:1::/32\"]}]}}");
	struct lyd_node *svc = NULL, *child;
	int n = 0;

	cr_assert_eq(lyd_find_path(tree, "/opensvr:authority/service[name='s']", 0, &svc),
		     LY_SUCCESS);
	LY_LIST_FOR(lyd_child(svc), child)
	{
		if (strcmp(child->schema->name, "address"))
			continue;
		cr_assert_str_eq(lyd_get_value(child), n ? "2001:db8::/32" : "192.0.2.0/24");
		n++;
	}
	cr_assert_eq(n, 2);
	lyd_free_all(tree);
}

Test(model, object_names)
{
	char long_name[80];

	ok(ROUTER("\"node\":[{\"name\":\"RTR_EAST_CONDUCTOR\"}]"));
	ok(ROUTER("\"node\":[{\"name\":\"combo-east-1\"}]"));
	ok(ROUTER("\"node\":[{\"name\":\"n1.lab\"}]"));
	ok(ROUTER("\"node\":[{\"name\":\"0node\"}]"));

	bad("contains only letters", ROUTER("\"node\":[{\"name\":\"combo east\"}]"));
	bad("starts with a letter or digit", ROUTER("\"node\":[{\"name\":\"-n1\"}]"));
	bad("contains only letters", ROUTER("\"node\":[{\"name\":\"node:1\"}]"));
	bad("1 to 63 characters", ROUTER("\"node\":[{\"name\":\"\"}]"));

	memset(long_name, 'n', 63);
	long_name[63] = '\0';
	ok(ROUTER("\"node\":[{\"name\":\"%s\"}]"), long_name);
	strcat(long_name, "n");
	bad("1 to 63 characters", ROUTER("\"node\":[{\"name\":\"%s\"}]"), long_name);
}

Test(model, peering_common_name)
{
	char cn[80];

	memset(cn, 'c', 64);
	cn[64] = '\0';
	ok(ROUTER("\"peering-common-name\":\"%s\""), cn);
	strcat(cn, "c");
	bad("Unsatisfied length", ROUTER("\"peering-common-name\":\"%s\""), cn);
	bad("Unsatisfied length", ROUTER("\"peering-common-name\":\"\""));
}

Test(model, peer_entries_repeat_other_routers_names)
{
	/* Uniqueness of peering-common-name is a datastore rule (it names both
	 * routers); test_datastore.c checks it. */
	/* A router's peer entries repeat other routers' names; that is their job. */
	ok("{\"opensvr:authority\":{\"router\":["
	   "{\"name\":\"combo-east\",\"peering-common-name\":\"alias-east\","
	   "\"peer\":[{\"name\":\"west\",\"router-name\":\"combo-west\","
	   "\"peering-common-name\":\"alias-west\"}]},"
	   "{\"name\":\"combo-west\",\"peering-common-name\":\"alias-west\"}]}}");
}

Test(model, adjacency_and_peer_entries)
{
	struct lyd_node *tree;

	bad("Mandatory node \"peer\"", IFACE("\"neighborhood\":[{\"name\":\"a\",\"adjacency\":["
					     "{\"ip-address\":\"192.0.2.2\"}]}]"));
	tree = load(IFACE("\"neighborhood\":[{\"name\":\"a\",\"topology\":\"spoke\","
			  "\"adjacency\":[{\"ip-address\":\"2001:db8::2\",\"peer\":\"hub\","
			  "\"generated\":true}]}]"));
	expect_value(tree,
		     IFACE_PATH
		     "neighborhood[name='a']/adjacency[ip-address='2001:db8::2']/generated",
		     "true");
	lyd_free_all(tree);

	tree = load(ROUTER("\"peer\":[{\"name\":\"combo-west\"}]"));
	expect_value(tree, ROUTER_PATH "peer[name='combo-west']/generated", "false");
	lyd_free_all(tree);
}

static const char pem[] = "-----BEGIN CERTIFICATE-----\\n"
			  "MIIBszCCAVmgAwIBAgIUYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowCgYIKoZI\\n"
			  "-----END CERTIFICATE-----\\n";

Test(model, ca_certificate_content_keeps_its_lines)
{
	struct lyd_node *tree;
	const char *content;

	tree = load("{\"opensvr:authority\":{\"trusted-ca-certificate\":["
		    "{\"name\":\"lab-root\",\"content\":\"%s\"}]}}",
		    pem);
	content = value_at(tree,
			   "/opensvr:authority/trusted-ca-certificate[name='lab-root']/content");
	cr_assert_not_null(content);
	cr_assert_str_eq(content,
			 "-----BEGIN CERTIFICATE-----\n"
			 "MIIBszCCAVmgAwIBAgIUYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowCgYIKoZI\n"
			 "-----END CERTIFICATE-----\n");
	lyd_free_all(tree);

	bad("Mandatory node \"content\"",
	    "{\"opensvr:authority\":{\"trusted-ca-certificate\":[{\"name\":\"lab-root\"}]}}");
	bad("Mandatory node \"file\"",
	    "{\"opensvr:authority\":{\"client-certificate\":[{\"name\":\"mine\"}]}}");
}

Test(model, unknown_members_are_rejected)
{
	bad("Node \"rekey-interval\" not found",
	    "{\"opensvr:authority\":{\"security-key-management\":{\"rekey-interval\":24}}}");
	bad("Node \"hostname\" not found", ROUTER("\"hostname\":\"r1\""));
}

/*
 * The seed's "Sample Default Configuration" and "Default Configuration Example",
 * merged, as the JSON the shell sends for them.
 */
static const char seed_sample[] =
	"{\"opensvr:authority\":{"
	"\"enhanced-security-key-management\":true,"
	"\"security-key-management\":{"
	"\"payload-key-rekey-interval\":24,"
	"\"peer-key-rekey-interval\":24,"
	"\"peer-key-retransmit-interval\":30,"
	"\"peer-key-timeout\":3600,"
	"\"invalid-certificate-behavior\":\"fail-soft\"},"
	"\"router\":["
	"{\"name\":\"RTR_EAST_CONDUCTOR\",\"node\":[{\"name\":\"conductor-east-1\"}]},"
	"{\"name\":\"combo-east\",\"peering-common-name\":\"second-fake-alias-2\","
	"\"location\":\"usa\",\"description\":\"router 1\",\"inter-node-security\":\"internal\"},"
	"{\"name\":\"combo-west\",\"peering-common-name\":\"second-fake-alias-3\","
	"\"location\":\"usa\",\"inter-node-security\":\"internal\"}]}}";

Test(model, seed_sample_configuration)
{
	struct lyd_node *tree = load("%s", seed_sample);

	expect_value(tree, "/opensvr:authority/enhanced-security-key-management", "true");
	expect_value(tree, SKM_PATH "peer-key-timeout", "3600");
	expect_value(tree, SKM_PATH "dh-key-size", "4096");
	expect_value(tree, "/opensvr:authority/router[name='RTR_EAST_CONDUCTOR']/name",
		     "RTR_EAST_CONDUCTOR");
	expect_value(tree,
		     "/opensvr:authority/router[name='RTR_EAST_CONDUCTOR']/"
		     "node[name='conductor-east-1']/forwarder",
		     "nfqueue");
	expect_value(tree, "/opensvr:authority/router[name='combo-east']/peering-common-name",
		     "second-fake-alias-2");
	expect_value(tree, "/opensvr:authority/router[name='combo-east']/description", "router 1");
	expect_value(tree, "/opensvr:authority/router[name='combo-east']/inter-node-security",
		     "internal");
	expect_value(tree, "/opensvr:authority/router[name='combo-west']/location", "usa");
	cr_assert_null(value_at(tree, "/opensvr:authority/router[name='combo-west']/description"));
	lyd_free_all(tree);
}

/* What the datastore writes to disk must read back as the same tree. */
Test(model, seed_sample_round_trip)
{
	struct lyd_node *tree = load("%s", seed_sample), *again = NULL;
	char *text = NULL;

	cr_assert_eq(lyd_print_mem(&text, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS), LY_SUCCESS);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "\"peer-key-timeout\": 3600"), "%s", text);
	/* Implicit defaults are not printed: the file holds only what operators set. */
	cr_assert_null(strstr(text, "dh-key-size"), "%s", text);
	cr_assert_eq(parse(text, &again), LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_eq(lyd_compare_siblings(tree, again, LYD_COMPARE_FULL_RECURSION), LY_SUCCESS);
	free(text);
	lyd_free_all(again);
	lyd_free_all(tree);
}

/* The state the daemon reports for the seed's 'show' commands (documentation addresses). */
static const char seed_state[] =
	"{\"opensvr:authority-state\":{\"router\":[{\"name\":\"RTR_EAST_COMBO\","
	"\"node\":[{\"name\":\"combo-east-1\",\"key-status\":{"
	"\"key-manager-state\":\"active-leader\",\"rekey-index\":189000,"
	"\"last-rekey\":1224,\"next-rekey\":3776,\"key-change-count\":5,"
	"\"config-key-change-count\":2,\"key-change-error\":\"key error\","
	"\"config-key-change-error\":\"config error\",\"metadata-rekey-index\":199000,"
	"\"metadata-last-rekey\":1225,\"metadata-next-rekey\":3777}}],"
	"\"peer-path\":[{\"peer\":\"branch\",\"node\":\"combo-east-1\","
	"\"network-interface\":\"intf11\",\"destination\":\"192.0.2.5\",\"status\":\"up\","
	"\"security-status\":\"MKEY_EXCH_COMP\",\"salt\":\"3565600980\","
	"\"peer-salt\":\"1668479739\",\"key-index\":5,\"peer-key-index\":253,"
	"\"cert-rec\":true,\"cert-ack\":true,\"salt-rec\":true,\"salt-ack\":true,"
	"\"key-rec\":true,\"key-ack\":true}],"
	"\"security-association\":[{\"peer-name\":\"Hub1\",\"peer-id\":\"0200019a8f31\","
	"\"state\":\"up\",\"peer-certificate\":\"valid\",\"public-key\":\"valid\","
	"\"local-salt\":\"13288465416658465802\",\"remote-salt\":\"5527224484187953091\","
	"\"peer-key-rekey-in\":72176,\"peer-rekey-count\":5,"
	"\"metadata-key-rekey-in\":7992,\"local-metadata-key-index\":12,"
	"\"remote-metadata-key-index\":13}],"
	"\"alarm\":[{\"id\":\"combo-east-1:13\",\"time\":\"2025-01-28T19:12:21Z\","
	"\"severity\":\"critical\",\"source\":\"RTR_WEST_COMBO\",\"category\":\"peer\","
	"\"process\":\"stateMonitor\",\"message\":\"Peer RTR_WEST_COMBO certificate is "
	"invalid: expired - testing-detail\"}]}]}}";

Test(model, seed_state)
{
	struct lyd_node *tree = load("%s", seed_state);
	const char *r = "/opensvr:authority-state/router[name='RTR_EAST_COMBO']/";
	char path[512];

	snprintf(path, sizeof(path),
		 "%speer-path[peer='branch'][node='combo-east-1'][network-interface='intf11']"
		 "[destination='192.0.2.5']/security-status",
		 r);
	expect_value(tree, path, "MKEY_EXCH_COMP");
	snprintf(path, sizeof(path), "%snode[name='combo-east-1']/key-status/metadata-rekey-index",
		 r);
	expect_value(tree, path, "199000");
	snprintf(path, sizeof(path), "%salarm[id='combo-east-1:13']/severity", r);
	expect_value(tree, path, "critical");
	lyd_free_all(tree);
}

/* RFC 7951: 64-bit integers are JSON strings; a bare number is refused. */
Test(model, state_salts_are_quoted_64_bit)
{
	bad("num64", "{\"opensvr:authority-state\":{\"router\":[{\"name\":\"r1\",\"peer-path\":["
		     "{\"peer\":\"p\",\"node\":\"n1\",\"network-interface\":\"wan\","
		     "\"destination\":\"192.0.2.5\",\"salt\":3565600980}]}]}}");
	bad("Invalid enumeration value",
	    "{\"opensvr:authority-state\":{\"router\":[{\"name\":\"r1\",\"alarm\":["
	    "{\"id\":\"n1:1\",\"severity\":\"catastrophic\"}]}]}}");
}

/* Configuration edits are parsed without state, so a stray state subtree is refused. */
Test(model, state_is_not_configuration)
{
	struct lyd_node *tree;

	cr_assert_neq(parse_opts(seed_state, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, &tree),
		      LY_SUCCESS);
	lyd_free_all(tree);
	cr_assert_eq(parse_opts(seed_sample, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, &tree),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	lyd_free_all(tree);
	cr_assert_not(lys_find_path(ctx, NULL, "/opensvr:authority-state", 0)->flags &
		      LYS_CONFIG_W);
}

static LY_ERR parse_rpc(const char *json)
{
	struct lyd_node *tree = NULL, *op = NULL;
	struct ly_in *in = NULL;
	LY_ERR rc;

	cr_assert_eq(ly_in_new_memory(json, &in), LY_SUCCESS);
	rc = lyd_parse_op(ctx, NULL, in, LYD_JSON, LYD_TYPE_RPC_YANG, &tree, &op);
	if (rc == LY_SUCCESS)
		cr_assert_not_null(op);
	lyd_free_all(tree);
	ly_in_free(in, 0);
	return rc;
}

Test(model, rpcs)
{
	cr_assert_eq(parse_rpc("{\"opensvr:security-metadata-key-regenerate\":{}}"), LY_SUCCESS,
		     "%s", ly_errmsg(ctx));
	cr_assert_eq(parse_rpc("{\"opensvr:security-metadata-key-regenerate\":{"
			       "\"router\":\"combo-east\",\"node\":\"combo-east-1\"}}"),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_neq(parse_rpc("{\"opensvr:security-metadata-key-regenerate\":{"
				"\"router\":\"combo east\"}}"),
		      LY_SUCCESS);
	cr_assert_neq(parse_rpc("{\"opensvr:security-metadata-key-regenerate\":{"
				"\"index\":7}}"),
		      LY_SUCCESS);
	cr_assert_eq(parse_rpc("{\"opensvr:reload-local-certificates\":{}}"), LY_SUCCESS, "%s",
		     ly_errmsg(ctx));
	cr_assert_eq(parse_rpc("{\"opensvr:reload-local-certificates\":{\"node\":\"n1\"}}"),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
	cr_assert_neq(parse_rpc("{\"opensvr:regenerate-everything\":{}}"), LY_SUCCESS);
}
