/* The data plane's configuration, typed (dataplane_int.h): read once per
 * commit from the tree, without the peers (they come from their events):
 * the forwarder and its interfaces, the LAN prefixes and next-hop services
 * where sessions from peers may end, the services routed to peers, the
 * rekey interval, dataplane-limits and the forwarding guard wanted. */
#include "config.h"

#include <arpa/inet.h>
#include <libyang/libyang.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "conditions.h"
#include "datapath.h"
#include "datastore.h"
#include "event.h"
#include "fwd.h"
#include "json.h"
#include "kex.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "segment.h"
#include "skmconf.h"
#include "sock.h"
#include "strbuf.h"
#include "svrd.h"
#include "dataplane_int.h"

static void add_if(char list[][16], int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i], name) == 0)
			return;
	if (*n < FWD_MAX_IFS)
		snprintf(list[(*n)++], 16, "%s", name);
}

/* A LAN address as its prefix (ADDRESS/LEN); false without one. */
static bool lan_prefix(const struct lyd_node *a, char *out, size_t cap)
{
	const char *ip = model_leaf(a, "ip-address"), *len = model_leaf(a, "prefix-length");

	if (!ip)
		return false;
	return snprintf(out, cap, "%s/%s", ip, len ? len : (strchr(ip, ':') ? "128" : "32")) <
	       (int)cap;
}

/* The forwarding guard the configuration asks for: with key management
 * on, this node's LAN interfaces and the prefixes of the services routed
 * to a peer, as configured (whether that peer has a path or a key yet
 * does not matter: the guard is for when it has not).  Installed at start
 * and when it changes; removed by a commit that leaves nothing to guard,
 * never at start (a guard from before stays until the operator acts).
 * g gets no LAN or no prefix when the configuration asks for none. */
static void guard_wanted(const struct lyd_node *auth, const struct lyd_node *me,
			 const struct lyd_node *mynode, bool eskm, struct fwd_config *g)
{
	memset(g, 0, sizeof(*g));
	if (!auth || !mynode || !eskm)
		return;
	MODEL_FOR_CHILD(mynode, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	{
		bool wan = false;

		MODEL_FOR_CHILD(ni, "neighborhood", nb)
		wan = true;
		if (wan)
			continue;
		add_if(g->lan, &g->nlan, model_leaf(ni, "name"));
		MODEL_FOR_CHILD(ni, "address", a) /* the router's own packets from here */
		if (g->nlocals < FWD_MAX_PREFIXES && lan_prefix(a, g->locals[g->nlocals], 64))
			g->nlocals++;
	}
	MODEL_FOR_CHILD(me, "service-route", sr)
	{
		const char *svc = model_leaf(sr, "service-name");

		if (!svc || !model_leaf(sr, "peer"))
			continue;
		MODEL_FOR_CHILD(auth, "service", s)
		if (strcmp(model_leaf(s, "name"), svc) == 0)
			MODEL_FOR_CHILD(s, "address", a)
		if (g->nprefixes < FWD_MAX_PREFIXES)
			snprintf(g->prefixes[g->nprefixes++], 64, "%s", lyd_get_value(a));
	}
}

void dpconf_free(struct dp_conf *c)
{
	free(c->locals);
	free(c->routes);
	memset(c, 0, sizeof(*c));
}

static void add_local(struct dp_conf *c, const char *prefix)
{
	char(*nl)[96] = realloc(c->locals, (size_t)(c->nlocals + 1) * sizeof(*nl));

	if (!nl)
		return;
	c->locals = nl;
	snprintf(nl[c->nlocals++], sizeof(nl[0]), "%s", prefix);
}

static void add_route(struct dp_conf *c, const char *svc, const char *prefix, const char *peer)
{
	struct route *nr = realloc(c->routes, (size_t)(c->nroutes + 1) * sizeof(*nr));

	if (!nr)
		return;
	c->routes = nr;
	nr += c->nroutes++;
	snprintf(nr->svc, sizeof(nr->svc), "%s", svc);
	snprintf(nr->prefix, sizeof(nr->prefix), "%s", prefix);
	snprintf(nr->peer, sizeof(nr->peer), "%s", peer);
}

/* A LAN interface's subnets: where sessions from peers may end. */
static void read_lan_prefixes(struct dp_conf *c, const struct lyd_node *ni)
{
	MODEL_FOR_CHILD(ni, "address", a)
	{
		char prefix[96];

		if (lan_prefix(a, prefix, sizeof(prefix)))
			add_local(c, prefix);
	}
}

/* Services routed to a peer (routes), and those this router serves
 * itself, routed to a next hop (sessions from peers may end there). */
static void read_services(struct dp_conf *c, const struct lyd_node *auth, const struct lyd_node *me)
{
	MODEL_FOR_CHILD(me, "service-route", sr)
	{
		const char *svc = model_leaf(sr, "service-name"), *to = model_leaf(sr, "peer");
		bool next_hop = model_leaf(sr, "next-hop") != NULL;

		if (!svc || (!to && !next_hop))
			continue;
		MODEL_FOR_CHILD(auth, "service", s)
		if (strcmp(model_leaf(s, "name"), svc) == 0)
			MODEL_FOR_CHILD(s, "address", a)
			{
				if (to)
					add_route(c, svc, lyd_get_value(a), to);
				else
					add_local(c, lyd_get_value(a));
			}
	}
}

/* The interfaces: with a neighborhood, WAN; without, LAN. */
static void read_interfaces(struct dp_conf *c, const struct lyd_node *mynode)
{
	MODEL_FOR_CHILD(mynode, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	{
		bool wan = false;

		MODEL_FOR_CHILD(ni, "neighborhood", nb)
		wan = true;
		if (wan) {
			add_if(c->c.wan, &c->c.nwan, model_leaf(ni, "name"));
			MODEL_FOR_CHILD(ni, "address", a)
			if (c->c.nwaypoints < FWD_MAX_IFS)
				snprintf(c->c.waypoints[c->c.nwaypoints++], 64, "%s",
					 model_leaf(a, "ip-address"));
		} else {
			add_if(c->c.lan, &c->c.nlan, model_leaf(ni, "name"));
			read_lan_prefixes(c, ni);
		}
	}
	for (int i = 0; i < c->c.nlan; i++)
		if (!if_nametoindex(c->c.lan[i]))
			snprintf(c->missing, sizeof(c->missing), "%s", c->c.lan[i]);
	for (int i = 0; i < c->c.nwan; i++)
		if (!if_nametoindex(c->c.wan[i]))
			snprintf(c->missing, sizeof(c->missing), "%s", c->c.wan[i]);
}

/* authority dataplane-limits (the tree has the schema's defaults) */
static void read_limits(struct dp_conf *c, const struct lyd_node *auth)
{
	c->limits = (struct dp_limits){DP_DEFAULT_MAX_SESSIONS, DP_DEFAULT_MAX_PER_SOURCE,
				       DP_DEFAULT_UNANSWERED_MS};
	MODEL_FOR_CHILD(auth, "dataplane-limits", sl)
	{
		const char *v;

		if ((v = model_leaf(sl, "max-sessions")))
			c->limits.max_sessions = (uint32_t)strtoul(v, NULL, 10);
		if ((v = model_leaf(sl, "max-sessions-per-source")))
			c->limits.max_per_source = (uint32_t)strtoul(v, NULL, 10);
		if ((v = model_leaf(sl, "unanswered-timeout")))
			c->limits.unanswered_ms = (uint64_t)strtoul(v, NULL, 10) * 1000;
	}
}

void dpconf_read(const struct ly_ctx *ctx, const char *router, const char *node,
		 const struct lyd_node *tree, struct dp_conf *c)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	struct skm_conf k;

	memset(c, 0, sizeof(*c));
	model_find_self(tree, router, node, &auth, &me, &mynode);
	skm_conf_read(ctx, auth, &k);
	guard_wanted(auth, me, mynode, k.on, &c->guard);
	snprintf(c->forwarder, sizeof(c->forwarder), "%s",
		 model_leaf_or_default(ctx, mynode, "/opensvr:authority/router/node/forwarder")
			 ?: "nfqueue");
	if (!mynode || !k.on) {
		c->problem = "key management is not running";
		return;
	}
	c->rekey_ms = k.payload_rekey_ms;
	read_limits(c, auth);
	MODEL_FOR_CHILD(mynode, "forwarder-options", fo)
	c->c.queue =
		(uint16_t)atoi(model_leaf(fo, "nfqueue-queue") ?: "0"); /* the schema says 0 too */
	read_interfaces(c, mynode);
	read_services(c, auth, me);
}
