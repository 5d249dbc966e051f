/* NETCONF notifications (RFC 5277): what svrd's thread hears (alarms
 * raised and cleared, metadata keys that change) becomes a notification
 * of the opensvr model, queued; a thread of its own sends each one to the
 * sessions that subscribed with create-subscription and whose filter
 * selects it.  A client that does not read holds up only that thread
 * (each send waits at most a second), never svrd's.
 *
 * Only the NETCONF stream, without replay: a subscription starts now. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarms.h"
#include "event.h"
#include "kex.h"
#include "log.h"
#include "netconf_int.h"

#define NOTIF_QUEUE_MAX 1024 /* queued beyond this, the oldest go */

struct nc_notif {
	struct lyd_node *tree;
	char time[32];
	struct nc_notif *next;
};

static void rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* svrd's thread: queue tree (taken) for the sender. */
static void enqueue(struct netconf *n, struct lyd_node *tree, int64_t when)
{
	struct nc_notif *q = calloc(1, sizeof(*q));

	if (!q) {
		lyd_free_all(tree);
		return;
	}
	q->tree = tree;
	rfc3339(when, q->time, sizeof(q->time));
	pthread_mutex_lock(&n->mu);
	if (n->nq_len == NOTIF_QUEUE_MAX) {
		struct nc_notif *old = n->nq_head;

		n->nq_head = old->next;
		n->nq_len--;
		n->nq_dropped++;
		lyd_free_all(old->tree);
		free(old);
	}
	if (n->nq_tail && n->nq_head)
		n->nq_tail->next = q;
	else
		n->nq_head = q;
	n->nq_tail = q;
	n->nq_len++;
	pthread_cond_broadcast(&n->ncv);
	pthread_mutex_unlock(&n->mu);
}

static struct lyd_node *notif_new(struct netconf *n, const char *name)
{
	const struct lys_module *mod = ly_ctx_get_module_implemented(n->ctx, "opensvr");
	struct lyd_node *t = NULL;

	if (!mod || lyd_new_inner(NULL, mod, name, 0, &t) != LY_SUCCESS)
		return NULL;
	return t;
}

static void alarm_heard(void *arg, const struct alarm_event *ev)
{
	static const char *const sev[] = {"info", "minor", "major", "critical"};
	struct netconf *n = arg;
	struct lyd_node *t = notif_new(n, "alarm-event");
	char id[128];

	if (!t)
		return;
	snprintf(id, sizeof(id), "%s:%u", alarm_node(n->d->alarms), ev->alarm.number);
	if (lyd_new_term(t, NULL, "id", id, 0, NULL) ||
	    lyd_new_term(t, NULL, "event", ev->raised ? "raised" : "cleared", 0, NULL) ||
	    lyd_new_term(t, NULL, "severity", sev[(unsigned)ev->alarm.severity & 3u], 0, NULL) ||
	    lyd_new_term(t, NULL, "source", ev->alarm.source, 0, NULL) ||
	    lyd_new_term(t, NULL, "category", ev->alarm.category, 0, NULL) ||
	    lyd_new_term(t, NULL, "message", ev->alarm.message, 0, NULL)) {
		lyd_free_all(t);
		return;
	}
	enqueue(n, t, ev->time_s);
}

/* The router name of the key engine's peer p, or NULL. */
static const char *peer_name(struct netconf *n, int p)
{
	const struct peers_view *v = peers_view(n->d->peers);

	for (int i = 0; v && i < v->n; i++)
		if (v->v[i].peer == p)
			return v->v[i].name;
	return NULL;
}

/* A slot's key again (a resend to a new taker) is not news. */
static bool key_news(struct netconf *n, const struct kex_key_event *ev)
{
	int slot = ev->slot == KEX_KEY_OWN ? 0 : 1 + ev->peer;

	if (slot < 0 || slot >= NC_KEY_SLOTS)
		return true;
	if (n->key_index[slot] == ev->key.index)
		return false;
	n->key_index[slot] = ev->key.index;
	return true;
}

static void key_heard(void *arg, const struct kex_key_event *ev)
{
	struct netconf *n = arg;
	struct lyd_node *t;
	const char *peer = NULL;
	char index[16];

	if (!ev || !ev->have || ev->slot == KEX_KEY_OWN_PREV || !key_news(n, ev))
		return;
	if (ev->slot == KEX_KEY_PEER && !(peer = peer_name(n, ev->peer)))
		return;
	if (!(t = notif_new(n, "key-event")))
		return;
	snprintf(index, sizeof(index), "%u", ev->key.index);
	if (lyd_new_term(t, NULL, "event",
			 peer ? "peer-metadata-key-received" : "metadata-key-regenerated", 0,
			 NULL) ||
	    (peer && lyd_new_term(t, NULL, "peer", peer, 0, NULL)) ||
	    lyd_new_term(t, NULL, "key-index", index, 0, NULL)) {
		lyd_free_all(t);
		return;
	}
	enqueue(n, t, (int64_t)(ev_wallclock_ms() / 1000));
}

int nc_notif_start(struct netconf *n)
{
	alarm_set_listener(n->d->alarms, alarm_heard, n);
	if (n->d->peers && peers_listen_keys(n->d->peers, key_heard, n) < 0)
		log_warnx("netconf: key events will not be notified (too many listeners)");
	return 0;
}

void nc_notif_stop(struct netconf *n)
{
	alarm_set_listener(n->d->alarms, NULL, NULL);
	while (n->nq_head) {
		struct nc_notif *q = n->nq_head;

		n->nq_head = q->next;
		lyd_free_all(q->tree);
		free(q);
	}
	n->nq_tail = NULL;
}

/* ---- the sending thread --------------------------------------------------- */

/* A filter node's name, namespace and text (libyang reads a filter of
 * notifications as opaque nodes: a notification is no data node). */
static const char *f_name(const struct lyd_node *f)
{
	return f->schema ? f->schema->name : ((const struct lyd_node_opaq *)f)->name.name;
}

static const char *f_ns(const struct lyd_node *f)
{
	return f->schema ? f->schema->module->ns
			 : ((const struct lyd_node_opaq *)f)->name.module_ns;
}

static const char *f_text(const struct lyd_node *f)
{
	const char *v = f->schema
				? ((f->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(f) : NULL)
				: ((const struct lyd_node_opaq *)f)->value;

	while (v && (*v == ' ' || *v == '\n' || *v == '\t' || *v == '\r'))
		v++;
	return v && *v ? v : NULL;
}

/* Does one top element of a subtree filter select the notification? Its
 * name and namespace must be the notification's, and each child with text
 * (a content match node) must equal the notification's leaf of that name;
 * children without text select, which changes nothing here (a
 * notification is sent whole). */
static bool filter_selects(const struct lyd_node *f, const struct lyd_node *notif)
{
	const struct lyd_node *c, *l;

	if (strcmp(f_name(f), notif->schema->name) ||
	    (f_ns(f) && strcmp(f_ns(f), notif->schema->module->ns)))
		return false;
	LY_LIST_FOR(lyd_child(f), c)
	{
		const char *want = f_text(c);
		bool found = false;

		if (!want)
			continue;
		LY_LIST_FOR(lyd_child(notif), l)
		if (!strcmp(LYD_NAME(l), f_name(c)) && !strcmp(lyd_get_value(l), want))
			found = true;
		if (!found)
			return false;
	}
	return true;
}

static bool selected(const struct nc_sess *ss, const struct lyd_node *notif)
{
	const struct lyd_node *f;

	if (!ss->filter)
		return true;
	LY_LIST_FOR(ss->filter, f)
	if (filter_selects(f, notif))
		return true;
	return false;
}

static void send_all(struct netconf *n, struct nc_notif *q)
{
	struct nc_server_notif *notif = nc_server_notif_new(q->tree, q->time, NC_PARAMTYPE_CONST);

	if (!notif)
		return;
	pthread_mutex_lock(&n->sessions_mu);
	for (uint16_t i = 0; i < nc_ps_session_count(n->ps); i++) {
		struct nc_session *s = nc_ps_get_session(n->ps, i);
		struct nc_sess *ss = s ? nc_session_get_data(s) : NULL;

		if (ss && nc_session_get_notif_status(s) && selected(ss, q->tree) &&
		    nc_server_notif_send(s, notif, 1000) != NC_MSG_NOTIF)
			log_info("netconf: session %u: a notification could not be sent",
				 ss->nc_id);
	}
	pthread_mutex_unlock(&n->sessions_mu);
	nc_server_notif_free(notif);
}

void *nc_notif_thread(void *arg)
{
	struct netconf *n = arg;

	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		struct nc_notif *q = n->nq_head;

		if (!q) {
			pthread_cond_wait(&n->ncv, &n->mu);
			continue;
		}
		if (!(n->nq_head = q->next))
			n->nq_tail = NULL;
		n->nq_len--;
		pthread_mutex_unlock(&n->mu);
		send_all(n, q);
		lyd_free_all(q->tree);
		free(q);
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}
