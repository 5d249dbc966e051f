/* The data plane's state for the management operations: sessions, a
 * page at a time, and the datapath's counters (dataplane_int.h). */
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
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "segment.h"
#include "skmconf.h"
#include "sock.h"
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

struct json *dataplane_stats(const struct dataplane *p)
{
	struct json *o = json_new_object(), *drops = json_new_object();
	const struct dp_stats *s;

	json_set(o, "forwarder", json_new_str(p && p->fwd ? p->ops->name : "none"));
	if (!p)
		return o;
	s = dp_stats(p->dp);
	json_set(o, "sessions", json_new_int((int64_t)dp_session_count(p->dp)));
	json_set(o, "sessions-created", json_new_int((int64_t)s->sessions_created));
	json_set(o, "sessions-expired", json_new_int((int64_t)s->sessions_expired));
	json_set(o, "lan-in-packets", json_new_int((int64_t)s->lan_in));
	json_set(o, "lan-in-bytes", json_new_int((int64_t)s->lan_in_bytes));
	json_set(o, "wan-out-packets", json_new_int((int64_t)s->wan_out));
	json_set(o, "wan-out-bytes", json_new_int((int64_t)s->wan_out_bytes));
	json_set(o, "wan-in-packets", json_new_int((int64_t)s->wan_in));
	json_set(o, "wan-in-bytes", json_new_int((int64_t)s->wan_in_bytes));
	json_set(o, "lan-out-packets", json_new_int((int64_t)s->lan_out));
	json_set(o, "lan-out-bytes", json_new_int((int64_t)s->lan_out_bytes));
	json_set(o, "relayed-packets", json_new_int((int64_t)s->relayed));
	json_set(o, "payload-key-rotations", json_new_int((int64_t)s->payload_rekeys));
	json_set(o, "metadata-requested", json_new_int((int64_t)s->retriggered));
	json_set(o, "passed", json_new_int((int64_t)s->passed));
	for (int i = 0; i < DP_DROP_N; i++)
		json_set(drops, dp_drop_name((enum dp_drop)i), json_new_int((int64_t)s->drops[i]));
	json_set(o, "drops", drops);
	return o;
}
