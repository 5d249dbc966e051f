/* The YANG model (config-model/yang/opensvr.yang) through libyang, part
 * two: references between routers and services, addresses and prefixes,
 * names, certificate content, the seed's configuration and state, the
 * RPCs (test_model.c has the types, ranges and defaults). */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modeltest.h"

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
