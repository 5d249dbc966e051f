/* Each router's part of the authority (doc/conductor.md): what the
 * conductor pushes to one router is the authority without the routers it
 * has nothing to do with.  Router R gets
 *
 * - everything at the authority's level (tenants, services, security key
 *   management, trusted CAs, users, the conductor's addresses), with the
 *   authority's CA added as trusted;
 * - its own entry, whole;
 * - each router R names (its peers, generated from the neighborhoods or
 *   configured; its adjacencies' and service routes' peers), without
 *   those routers' own peers, adjacencies and service routes, which name
 *   routers R does not get.
 *
 * Why: the whole authority to every router is routers squared (5,000
 * routers of 500 bytes each is 2.5 MB, 5,000 times, at every commit),
 * and a router needs to know only its peers.  The parts are printed once
 * per configuration (each router's entry twice: whole, and as a peer sees
 * it) and put together per router, so the cost is the size of the
 * authority plus the peerings, on svrd's thread.  Routers are found by
 * name, or by the peering-common-name their certificate carries (only
 * routers that have one: the conductor issues certificates to no other,
 * and a name must not stand for another router's peering-common-name). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor_int.h"
#include "model.h"
#include "strbuf.h"

#define AUTHORITY_CA "authority-ca" /* the CA's name in routers' configuration */

struct cpart {
	char *name, *pcn;
	char *whole, *as_peer; /* printed XML */
	size_t *peers, npeers; /* indexes of the routers it names */
};

struct cparts {
	int refs;
	char *common; /* the authority's own children, printed */
	struct cpart *r;
	size_t n;
	size_t *by_name, *by_pcn; /* indexes, sorted (by_pcn: routers with one) */
	size_t npcn;
};

static const struct cparts *sort_ctx; /* qsort has no argument; svrd's thread only */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(sort_ctx->r[*(const size_t *)a].name, sort_ctx->r[*(const size_t *)b].name);
}

static int cmp_pcn(const void *a, const void *b)
{
	return strcmp(sort_ctx->r[*(const size_t *)a].pcn, sort_ctx->r[*(const size_t *)b].pcn);
}

/* The index of the router whose name (pcn: peering-common-name) is key,
 * or -1. */
static long find(const struct cparts *p, const char *key, bool pcn)
{
	const size_t *v = pcn ? p->by_pcn : p->by_name;
	size_t lo = 0, hi = pcn ? p->npcn : p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, pcn ? p->r[v[mid]].pcn : p->r[v[mid]].name);

		if (c == 0)
			return (long)v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static char *print_node(const struct lyd_node *n)
{
	char *xml = NULL;

	if (lyd_print_mem(&xml, n, LYD_XML, LYD_PRINT_SHRINK) != LY_SUCCESS) {
		free(xml);
		return NULL;
	}
	return xml ? xml : strdup("");
}

/* Router r as its peers see it: without the lists that name other
 * routers (peer, service-route, adjacency). */
static char *print_as_peer(const struct lyd_node *r)
{
	struct lyd_node *copy = NULL, *next;
	char *xml;

	if (lyd_dup_single(r, NULL, LYD_DUP_RECURSIVE, &copy) != LY_SUCCESS)
		return NULL;
	for (struct lyd_node *c = lyd_child(copy); c; c = next) {
		next = c->next;
		if (c->schema &&
		    (!strcmp(c->schema->name, "peer") || !strcmp(c->schema->name, "service-route")))
			lyd_free_tree(c);
	}
	MODEL_FOR_CHILD(copy, "node", nd)
	MODEL_FOR_CHILD(nd, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	MODEL_FOR_CHILD(ni, "neighborhood", nb)
	{
		for (struct lyd_node *c = lyd_child(nb); c; c = next) {
			next = c->next;
			if (c->schema && !strcmp(c->schema->name, "adjacency"))
				lyd_free_tree(c);
		}
	}
	xml = print_node(copy);
	lyd_free_tree(copy);
	return xml;
}

static void add_peer(struct cparts *p, struct cpart *me, const char *name, size_t *seen,
		     size_t stamp)
{
	long i = name ? find(p, name, false) : -1;

	if (i < 0 || &p->r[i] == me || seen[i] == stamp)
		return;
	seen[i] = stamp;
	me->peers[me->npeers++] = (size_t)i;
}

/* The routers r names, as indexes (once each). */
static int name_peers(struct cparts *p, size_t k, const struct lyd_node *r, size_t *seen)
{
	struct cpart *me = &p->r[k];
	size_t cap = 0;

	MODEL_FOR_CHILD(r, "peer", x)
	cap++;
	MODEL_FOR_CHILD(r, "service-route", x)
	cap++;
	MODEL_FOR_CHILD(r, "node", nd)
	MODEL_FOR_CHILD(nd, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	MODEL_FOR_CHILD(ni, "neighborhood", nb)
	MODEL_FOR_CHILD(nb, "adjacency", x)
	cap++;
	if (cap && !(me->peers = calloc(cap, sizeof(*me->peers))))
		return -1;
	MODEL_FOR_CHILD(r, "peer", x)
	add_peer(p, me, model_leaf(x, "router-name") ?: model_leaf(x, "name"), seen, k + 1);
	MODEL_FOR_CHILD(r, "service-route", x)
	add_peer(p, me, model_leaf(x, "peer"), seen, k + 1);
	MODEL_FOR_CHILD(r, "node", nd)
	MODEL_FOR_CHILD(nd, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	MODEL_FOR_CHILD(ni, "neighborhood", nb)
	MODEL_FOR_CHILD(nb, "adjacency", x)
	add_peer(p, me, model_leaf(x, "peer"), seen, k + 1);
	return 0;
}

/* The authority's own children, and its CA as trusted (so routers
 * validate each other's certificates against it: no trust on first use). */
static char *print_common(const struct lyd_node *auth, const char *ca_pem)
{
	struct strbuf b = STRBUF_INIT;
	bool ca_named = false;

	for (const struct lyd_node *c = lyd_child(auth); c; c = c->next) {
		char *xml;

		if (!c->schema || !strcmp(c->schema->name, "router"))
			continue;
		if (!strcmp(c->schema->name, "trusted-ca-certificate") &&
		    !strcmp(model_leaf(c, "name") ?: "", AUTHORITY_CA))
			ca_named = true;
		if (!(xml = print_node(c))) {
			strbuf_free(&b);
			return NULL;
		}
		strbuf_adds(&b, xml);
		free(xml);
	}
	if (ca_pem && !ca_named)
		strbuf_addf(&b,
			    "<trusted-ca-certificate><name>" AUTHORITY_CA "</name><content>%s"
			    "</content></trusted-ca-certificate>",
			    ca_pem);
	return strbuf_steal(&b);
}

struct cparts *cparts_build(const struct lyd_node *tree, const char *ca_pem)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	struct cparts *p = calloc(1, sizeof(*p));
	size_t *seen = NULL, k = 0;

	model_find_self(tree, "", "", &auth, &me, &node);
	if (!p || !auth)
		goto fail;
	p->refs = 1;
	MODEL_FOR_CHILD(auth, "router", r)
	p->n++;
	p->r = calloc(p->n + 1, sizeof(*p->r));
	p->by_name = calloc(p->n + 1, sizeof(size_t));
	p->by_pcn = calloc(p->n + 1, sizeof(size_t));
	seen = calloc(p->n + 1, sizeof(size_t));
	if (!p->r || !p->by_name || !p->by_pcn || !seen ||
	    !(p->common = print_common(auth, ca_pem)))
		goto fail;
	MODEL_FOR_CHILD(auth, "router", r)
	{
		struct cpart *c = &p->r[k];
		const char *pcn = model_leaf(r, "peering-common-name");

		c->name = strdup(model_leaf(r, "name") ?: "");
		c->pcn = strdup(pcn ? pcn : c->name ? c->name : "");
		c->whole = print_node(r);
		c->as_peer = print_as_peer(r);
		if (!c->name || !c->pcn || !c->whole || !c->as_peer)
			goto fail;
		p->by_name[k] = k;
		if (pcn) /* certificates are issued only to routers with one */
			p->by_pcn[p->npcn++] = k;
		k++;
	}
	sort_ctx = p;
	qsort(p->by_name, p->n, sizeof(size_t), cmp_name);
	qsort(p->by_pcn, p->npcn, sizeof(size_t), cmp_pcn);
	sort_ctx = NULL;
	k = 0;
	MODEL_FOR_CHILD(auth, "router", r)
	if (name_peers(p, k++, r, seen) < 0)
		goto fail;
	free(seen);
	return p;
fail:
	free(seen);
	cparts_free(p);
	return NULL;
}

struct cparts *cparts_ref(struct cparts *p)
{
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void cparts_free(struct cparts *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; p->r && i < p->n; i++) {
		free(p->r[i].name);
		free(p->r[i].pcn);
		free(p->r[i].whole);
		free(p->r[i].as_peer);
		free(p->r[i].peers);
	}
	free(p->r);
	free(p->by_name);
	free(p->by_pcn);
	free(p->common);
	free(p);
}

const char *cparts_router_of_pcn(const struct cparts *p, const char *pcn)
{
	long i = p && pcn ? find(p, pcn, true) : -1;

	return i < 0 ? NULL : p->r[i].name;
}

const char *cparts_router_of_name(const struct cparts *p, const char *name)
{
	long i = p && name ? find(p, name, false) : -1;

	return i < 0 ? NULL : p->r[i].name;
}

const char *cparts_pcn_of(const struct cparts *p, const char *name)
{
	long i = p && name ? find(p, name, false) : -1;

	return i < 0 ? NULL : p->r[i].pcn;
}

size_t cparts_count(const struct cparts *p)
{
	return p ? p->n : 0;
}

char *cparts_xml(const struct cparts *p, const char *router)
{
	long i = p && router ? find(p, router, false) : -1;
	const struct cpart *c;
	struct strbuf b = STRBUF_INIT;

	if (i < 0)
		return NULL;
	c = &p->r[i];
	/* the whole authority replaced: what the conductor does not say goes */
	strbuf_adds(&b, "<authority xmlns=\"urn:opensvr:yang:opensvr\" "
			"xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
			"nc:operation=\"replace\">");
	strbuf_adds(&b, p->common);
	strbuf_adds(&b, c->whole);
	for (size_t k = 0; k < c->npeers; k++)
		strbuf_adds(&b, p->r[c->peers[k]].as_peer);
	strbuf_adds(&b, "</authority>");
	return strbuf_steal(&b);
}
