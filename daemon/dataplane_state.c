/* The data plane's state for the management operations: sessions, a
 * page at a time (get-sessions), and the forwarding counters in
 * get-state's YANG tree (dataplane_int.h). */
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
#include "ifstate.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "segment.h"
#include "skmconf.h"
#include "sock.h"
#include "state.h"
#include "strbuf.h"
#include "svrd.h"
#include "dataplane_int.h"

static void addr_text(const struct svr_ctx *c, const uint8_t *a, char *out, size_t len)
{
	inet_ntop(c->family == 6 ? AF_INET6 : AF_INET, a, out, (socklen_t)len);
}

static struct json *session_json(const struct dp_session_info *si)
{
	struct json *o = json_new_object();
	char src[64], dst[64], uuid[40];

	addr_text(&si->fwd, si->fwd.src, src, sizeof(src));
	addr_text(&si->fwd, si->fwd.dst, dst, sizeof(dst));
	for (int k = 0; k < 16; k++)
		snprintf(uuid + 2 * k, 3, "%02x", si->uuid[k]);
	json_set(o, "uuid", json_new_str(uuid));
	json_set(o, "source", json_new_str(src));
	json_set(o, "destination", json_new_str(dst));
	json_set(o, "source-port", json_new_int(si->fwd.sport));
	json_set(o, "destination-port", json_new_int(si->fwd.dport));
	json_set(o, "protocol", json_new_int(si->fwd.proto));
	json_set(o, "peer", json_new_str(si->peer));
	json_set(o, "service", json_new_str(si->service));
	json_set(o, "direction",
		 json_new_str(si->transit   ? "transit"
			      : si->ingress ? "ingress"
					    : "egress"));
	json_set(o, "waypoint-port", json_new_int(si->port));
	json_set(o, "handshake",
		 json_new_str(si->transit	   ? "relayed"
			      : si->handshake_done ? "done"
						   : "metadata"));
	json_set(o, "packets-out", json_new_int((int64_t)si->packets_out));
	json_set(o, "packets-in", json_new_int((int64_t)si->packets_in));
	json_set(o, "idle-seconds", json_new_int((int64_t)(si->idle_ms / 1000)));
	json_set(o, "payload-key-rotations", json_new_int(si->rekeys));
	return o;
}

/* A page of the sessions: args "cursor" (0, or "next" of the page
 * before) and "limit" (DATAPLANE_SESSIONS_PAGE by default, at most
 * DATAPLANE_SESSIONS_MAX, so that a reply stays far below a frame's
 * limit).  The reply has "sessions", "total" (all of them now), "more"
 * (how many were not in this page: 0 when it is the last) and "next"
 * (the cursor to ask for them). */
struct json *dataplane_sessions(const struct dataplane *p, const struct json *args)
{
	struct json *o = json_new_object(), *list = json_new_array();
	int64_t limit = json_get_int(args, "limit", DATAPLANE_SESSIONS_PAGE);
	int64_t from = json_get_int(args, "cursor", 0);
	size_t cursor = from > 0 ? (size_t)from : 0, total = p ? dp_session_count(p->dp) : 0;
	size_t shown = 0, skipped = 0;
	struct dp_session_info si;
	uint64_t now = ev_now_ms();

	if (limit <= 0 || limit > DATAPLANE_SESSIONS_MAX)
		limit = limit <= 0 ? DATAPLANE_SESSIONS_PAGE : DATAPLANE_SESSIONS_MAX;
	/* sessions before the cursor: counted for "more", not walked twice */
	for (size_t c = 0; p && cursor && c < cursor && dp_session_next(p->dp, &c, now, &si);)
		if (c <= cursor)
			skipped++;
	while (p && shown < (size_t)limit && dp_session_next(p->dp, &cursor, now, &si)) {
		json_append(list, session_json(&si));
		shown++;
	}
	json_set(o, "sessions", list);
	json_set(o, "total", json_new_int((int64_t)total));
	json_set(o, "more",
		 json_new_int((int64_t)(total > skipped + shown ? total - skipped - shown : 0)));
	json_set(o, "next", json_new_int((int64_t)cursor));
	return o;
}

/* The forwarding container of get-state (state.h): the forwarder, the
 * datapath's counters and drops by reason, the forwarder's own. */
static int fill(void *arg, struct lyd_node *router, struct lyd_node *node)
{
	const struct dataplane *p = arg;
	struct lyd_node *o = st_inner(node, "forwarding"), *d;
	const struct dp_stats *s = dp_stats(p->dp);
	struct fwd_stats f = {0};
	int rc = 0;

	(void)router;
	if (!o)
		return -1;
	rc |= ifstate_fill(node, p->conf.c.lan, p->conf.c.nlan, p->conf.c.wan, p->conf.c.nwan);
	if (p->fwd) {
		p->ops->stats(p->fwd, &f);
		/* since the last clear stats */
		f.rx_packets -= p->fwd_base.rx_packets;
		f.rx_bytes -= p->fwd_base.rx_bytes;
		f.rx_dropped -= p->fwd_base.rx_dropped;
		f.kernel_drops -= p->fwd_base.kernel_drops;
		f.tx_packets -= p->fwd_base.tx_packets;
		f.tx_bytes -= p->fwd_base.tx_bytes;
		f.tx_errors -= p->fwd_base.tx_errors;
	}
	rc |= st_leaf(o, "forwarder", "%s", p->fwd ? p->ops->name : "none");
	rc |= st_u64(o, "sessions", (uint64_t)dp_session_count(p->dp));
	rc |= st_u64(o, "sessions-created", s->sessions_created);
	rc |= st_u64(o, "sessions-expired", s->sessions_expired);
	rc |= st_u64(o, "lan-in-packets", s->lan_in);
	rc |= st_u64(o, "lan-in-bytes", s->lan_in_bytes);
	rc |= st_u64(o, "wan-out-packets", s->wan_out);
	rc |= st_u64(o, "wan-out-bytes", s->wan_out_bytes);
	rc |= st_u64(o, "wan-in-packets", s->wan_in);
	rc |= st_u64(o, "wan-in-bytes", s->wan_in_bytes);
	rc |= st_u64(o, "lan-out-packets", s->lan_out);
	rc |= st_u64(o, "lan-out-bytes", s->lan_out_bytes);
	rc |= st_u64(o, "relayed-packets", s->relayed);
	rc |= st_u64(o, "payload-key-rotations", s->payload_rekeys);
	rc |= st_u64(o, "metadata-requested", s->retriggered);
	rc |= st_u64(o, "passed", s->passed);
	rc |= st_u64(o, "received-packets", f.rx_packets);
	rc |= st_u64(o, "received-bytes", f.rx_bytes);
	rc |= st_u64(o, "unusable-packets", f.rx_dropped);
	rc |= st_u64(o, "kernel-drops", f.kernel_drops);
	rc |= st_u64(o, "sent-packets", f.tx_packets);
	rc |= st_u64(o, "sent-bytes", f.tx_bytes);
	rc |= st_u64(o, "send-errors", f.tx_errors);
	for (int i = 0; i < DP_DROP_N; i++) {
		if (lyd_new_list(o, NULL, "drop", 0, &d, dp_drop_name((enum dp_drop)i)) !=
		    LY_SUCCESS)
			return -1;
		rc |= st_u64(d, "packets", s->drops[i]);
	}
	return rc;
}

void dataplane_clear_stats(struct dataplane *p)
{
	if (!p)
		return;
	dp_stats_clear(p->dp);
	if (p->fwd)
		p->ops->stats(p->fwd, &p->fwd_base);
}

int dataplane_end_session(struct dataplane *p, const char *id, char *why, size_t len)
{
	struct dp_session_info si, hit;
	size_t cursor = 0, n = strlen(id ? id : "");
	int hits = 0;
	char uuid[33];

	if (n < 8 || n > 32 || strspn(id, "0123456789abcdef") != n) {
		snprintf(why, len,
			 "a session is named by its id: 8 to 32 hex digits "
			 "(show sessions), not '%.40s'",
			 id ? id : "");
		return -1;
	}
	while (p && dp_session_next(p->dp, &cursor, ev_now_ms(), &si)) {
		for (int k = 0; k < 16; k++)
			snprintf(uuid + 2 * k, 3, "%02x", si.uuid[k]);
		if (strncmp(uuid, id, n) == 0 && hits++ == 0)
			hit = si;
	}
	if (hits == 0) {
		snprintf(why, len, "no session has the id %s", id);
		return -1;
	}
	if (hits > 1) {
		snprintf(why, len, "%d sessions have an id starting %s: give more of it", hits, id);
		return -1;
	}
	dp_session_end(p->dp, hit.uuid);
	return 0;
}

int dp_register_state(struct dataplane *p)
{
	return svrd_state_register(p->d, fill, p);
}
