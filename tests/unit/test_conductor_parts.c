/* Each router's part of the authority (daemon/conductor_parts.c): what a
 * router gets is the authority's own settings, itself whole, and the
 * routers it names without their lists that name others; routers are
 * found by name and by the peering-common-name of their certificate. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor_int.h"

static struct ly_ctx *ctx;
static struct lyd_node *tree;

/* hub-and-spoke: hub, spoke1, spoke2 (peers generated as a commit would:
 * each spoke names the hub, the hub both spokes); spoke2 also has a
 * service route through far, a router it does not peer with; lone peers
 * with no one. */
static const char AUTH[] =
	"{\"opensvr:authority\":{\"name\":\"lab\","
	"\"service\":[{\"name\":\"web\",\"address\":[\"203.0.113.0/24\"]}],"
	"\"router\":["
	"{\"name\":\"hub\",\"peering-common-name\":\"hub.lab\","
	" \"peer\":[{\"name\":\"spoke1\",\"router-name\":\"spoke1\",\"generated\":true},"
	"          {\"name\":\"spoke2\",\"router-name\":\"spoke2\",\"generated\":true}]},"
	"{\"name\":\"spoke1\",\"peering-common-name\":\"spoke1.lab\","
	" \"peer\":[{\"name\":\"hub\",\"router-name\":\"hub\",\"generated\":true}]},"
	"{\"name\":\"spoke2\",\"peering-common-name\":\"spoke2.lab\","
	" \"peer\":[{\"name\":\"hub\",\"router-name\":\"hub\",\"generated\":true}],"
	" \"service-route\":[{\"name\":\"via-far\",\"service-name\":\"web\",\"peer\":\"far\"}]},"
	"{\"name\":\"far\"},"
	"{\"name\":\"lone\",\"peering-common-name\":\"lone.lab\"}"
	"]}}";

static void setup(void)
{
	const char *top = getenv("top_srcdir");
	char dirs[8192];

	if (!top || !*top)
		top = ".";
	snprintf(dirs, sizeof(dirs), "%s/config-model/yang:%s/config-model/yang/ietf", top, top);
	ly_log_options(LY_LOSTORE_LAST);
	cr_assert_eq(ly_ctx_new(dirs, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx), LY_SUCCESS,
		     "no YANG directories %s (is top_srcdir set?)", dirs);
	cr_assert_not_null(ly_ctx_load_module(ctx, "opensvr", NULL, NULL), "%s", ly_errmsg(ctx));
	cr_assert_eq(lyd_parse_data_mem(ctx, AUTH, LYD_JSON, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0,
					&tree),
		     LY_SUCCESS, "%s", ly_errmsg(ctx));
}

static void teardown(void)
{
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
}

TestSuite(cparts, .init = setup, .fini = teardown);

static bool holds(const char *xml, const char *router)
{
	char key[96];

	snprintf(key, sizeof(key), "<router><name>%s</name>", router);
	if (strstr(xml, key))
		return true;
	snprintf(key, sizeof(key), "<router xmlns=\"urn:opensvr:yang:opensvr\"><name>%s</name>",
		 router);
	return strstr(xml, key) != NULL;
}

Test(cparts, a_spoke_gets_itself_and_its_hub_not_the_other_spoke)
{
	struct cparts *p = cparts_build(tree, "CA-PEM");
	char *x = cparts_xml(p, "spoke1");

	cr_assert_not_null(x);
	cr_assert(holds(x, "spoke1") && holds(x, "hub"), "%s", x);
	cr_assert(!holds(x, "spoke2") && !holds(x, "far") && !holds(x, "lone"), "%s", x);
	/* the authority's own settings, the whole replaced, the CA trusted */
	cr_assert(strstr(x, "<name>web</name>") && strstr(x, "nc:operation=\"replace\"") &&
			  strstr(x, "<name>authority-ca</name><content>CA-PEM</content>"),
		  "%s", x);
	/* the hub as a peer sees it: not its own peers (which name spoke2) */
	cr_assert_null(strstr(x, "<router-name>spoke2</router-name>"), "%s", x);
	cr_assert_not_null(strstr(x, "<router-name>hub</router-name>"), "spoke1's own peer: %s", x);
	free(x);
	cparts_free(p);
}

Test(cparts, the_hub_gets_both_spokes_and_a_service_route_its_peer)
{
	struct cparts *p = cparts_build(tree, NULL);
	char *hub = cparts_xml(p, "hub"), *s2 = cparts_xml(p, "spoke2"), *lone;

	cr_assert(holds(hub, "spoke1") && holds(hub, "spoke2") && !holds(hub, "far"), "%s", hub);
	cr_assert_null(strstr(hub, "authority-ca"), "no CA given, none injected: %s", hub);
	/* spoke2 as the hub sees it: without its service route through far */
	cr_assert_null(strstr(hub, "via-far"), "%s", hub);
	cr_assert(holds(s2, "far") && holds(s2, "hub") && strstr(s2, "via-far"), "%s", s2);
	lone = cparts_xml(p, "lone");
	cr_assert(holds(lone, "lone") && !holds(lone, "hub"), "%s", lone);
	free(hub);
	free(s2);
	free(lone);
	cparts_free(p);
}

Test(cparts, routers_are_found_by_name_and_certificate_name)
{
	struct cparts *p = cparts_build(tree, NULL);

	cr_assert_eq(cparts_count(p), 5);
	cr_assert_str_eq(cparts_router_of_pcn(p, "spoke2.lab"), "spoke2");
	cr_assert_null(cparts_router_of_pcn(p, "far"), "no pcn: no certificate names it");
	cr_assert_str_eq(cparts_pcn_of(p, "far"), "far", "its name stands for it");
	cr_assert_null(cparts_router_of_pcn(p, "spoke2"), "a name is not a pcn of another");
	cr_assert_null(cparts_router_of_pcn(p, "ghost.lab"));
	cr_assert_str_eq(cparts_router_of_name(p, "lone"), "lone");
	cr_assert_null(cparts_router_of_name(p, "ghost"));
	cr_assert_null(cparts_xml(p, "ghost"), "no part for a router not in the authority");
	cr_assert_null(cparts_router_of_pcn(NULL, "hub.lab"));
	cr_assert_null(cparts_xml(NULL, "hub"));
	cparts_free(NULL);
	cr_assert_eq(cparts_ref(NULL), NULL);
	/* shared: the last reference frees */
	cr_assert_eq(cparts_ref(p), p);
	cparts_free(p);
	cr_assert_str_eq(cparts_router_of_name(p, "hub"), "hub");
	cparts_free(p);
}

Test(cparts, no_authority_no_parts)
{
	cr_assert_null(cparts_build(NULL, NULL));
}
