/* DOC: the data plane of svrd
 *
 * Wires the datapath (forwarders/datapath.h) to the configuration, the
 * key engine and a forwarder.  It is the "dataplane" subscriber, run
 * after "peers": its prepare reads the configuration once (dp_conf.c) and
 * opens the node's forwarder when what it depends on changed (the
 * forwarder's name and options, the LAN and WAN interfaces, the service
 * prefixes, the waypoint addresses), so a forwarder that cannot open
 * fails the commit; its apply tells the datapath the services and the
 * peers, which it learns from the peers' events (PEERS_NEXT in a commit,
 * PEERS_NOW after it and whenever they change: a refused peer leaves the
 * datapath).  Its state for the shell is in dataplane_state.c.
 * It also gives the datapath the prefixes sessions from peers may end in
 * (the LAN interfaces' subnets, the services routed to a next hop), each
 * peer's identity in the key engine (its peering common name), the
 * limits of authority dataplane-limits, and sequence epochs from the
 * persistent counter STATE/dp-epoch (topped up every second; without
 * them, sessions from peers are dropped and a CRITICAL alarm says why).
 *
 * It runs only where it has work and a place to do it: enhanced security
 * key management on, a WAN interface (one with a neighborhood), a service
 * routed to a peer or a LAN interface where sessions end, and every
 * interface it would watch present in this network namespace.  A hub
 * needs no LAN: sessions between two of its peers are relayed WAN to WAN.
 *
 * It fails closed.  As soon as the configuration routes a service to a
 * peer with key management on, the forwarding guard (fwd.h) drops what
 * the LAN sends to that service's prefixes unless the forwarder takes it;
 * the guard goes before the forwarder opens, stays while it is closed,
 * failed or svrd is stopped, and only a commit that leaves nothing to
 * guard removes it (or `svrd --clear-forwarding-guard`, svrd stopped).
 * Whenever guarded traffic is not carried (key management not running,
 * no WAN, an interface missing, a forwarder that cannot open) a CRITICAL
 * alarm says why; it clears once the forwarder carries it again.
 */
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

/* Sequence epochs are handed to the datapath EPOCH_BLOCK at a time (one
 * per session it takes from metadata, and one per 2^20 of its packets),
 * and again when fewer than half are left; the counter's file is written
 * once every EPOCH_STEP. */
#define EPOCH_BLOCK 65536
#define EPOCH_STEP  (16 * EPOCH_BLOCK)

/* ---- keys, from the key engine ------------------------------------------- */

/* The key engine's key changes, held by the datapath (ev NULL: all gone). */
static void on_keys(void *arg, const struct kex_key_event *ev)
{
	struct dataplane *p = arg;

	if (!ev)
		dp_keys_clear(p->dp);
	else if (dp_key_event(p->dp, ev) < 0)
		log_warnx("data plane: a key for peer %d could not be taken", ev->peer);
}

/* ---- packets ---------------------------------------------------------------- */

/* Send what the datapath made of a packet; its verdict. */
static enum dp_verdict forward(struct dataplane *p, const uint8_t *pkt, size_t len,
			       enum fwd_side side, uint64_t now)
{
	enum dp_verdict v = side == FWD_LAN ? dp_lan_in(p->dp, pkt, len, now, &p->out)
					    : dp_wan_in(p->dp, pkt, len, now, &p->out);

	if (p->out.extra_len)
		p->ops->send(p->fwd, p->out.extra, p->out.extra_len);
	if (v == DP_SEND)
		p->ops->send(p->fwd, p->out.pkt, p->out.len);
	return v;
}

static void forward_segment(const uint8_t *pkt, size_t len, void *arg)
{
	struct dataplane *p = arg;

	if (forward(p, pkt, len, FWD_LAN, ev_now_ms()) == DP_PASS)
		p->ops->send(p->fwd, pkt, len);
}

static void on_readable(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct dataplane *p = arg;
	struct fwd_pkt pkts[FWD_BURST];
	uint64_t now = ev_now_ms();
	int n;

	(void)io;
	(void)fd;
	(void)events;
	if (!p->fwd)
		return;
	/* A few bursts, then back to the loop: under a flood, BFD, the key
	 * exchange and the management socket still get their turn (the
	 * descriptor stays readable, so we come back at once). */
	for (int burst = 0; burst < 8 && (n = p->ops->rx_burst(p->fwd, pkts, FWD_BURST)) > 0;
	     burst++) {
		for (int i = 0; i < n; i++) {
			enum dp_verdict v;

			/* a TCP super-packet from a capture: its segments, each
			 * on its own (segment.h) */
			if (pkts[i].side == FWD_LAN && pkts[i].len > DP_TCP_MSS + 120 &&
			    tcp_segment(pkts[i].data, pkts[i].len, DP_TCP_MSS, forward_segment, p))
				v = DP_DONE;
			else
				v = forward(p, pkts[i].data, pkts[i].len, pkts[i].side, now);
			p->ops->done(p->fwd, &pkts[i], v == DP_PASS);
		}
		if (p->ops->flush)
			p->ops->flush(p->fwd);
		if (n < FWD_BURST)
			break;
	}
}

static void epoch_alarm(struct dataplane *p, const char *problem)
{
	char msg[256];
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);

	if (!p->d->alarms || (bool)problem == p->epoch_alarm)
		return;
	p->epoch_alarm = problem != NULL;
	if (!problem) {
		alarm_clear(p->d->alarms, "dp-epoch", now);
		return;
	}
	snprintf(msg, sizeof(msg), "Sessions from peers cannot be taken: no sequence epochs (%s)",
		 problem);
	alarm_raise(p->d->alarms, "dp-epoch", ALARM_CRITICAL, p->d->node, "DATAPLANE", "svrd", msg,
		    now);
}

/* Keep the datapath's sequence epochs topped up from the persistent
 * counter.  Without it (the state directory unwritable), sessions from
 * peers are dropped, never numbered from a clock: fail closed. */
static void refill_epochs(struct dataplane *p)
{
	char err[256];
	uint64_t first;

	if (dp_epochs_left(p->dp) >= EPOCH_BLOCK / 2)
		return;
	if (!p->epochs) {
		char path[4096];

		if ((size_t)snprintf(path, sizeof(path), "%s/dp-epoch", p->d->state_dir) >=
		    sizeof(path))
			snprintf(err, sizeof(err), "state directory path too long");
		else
			p->epochs = pcounter_open(path, EPOCH_STEP, err, sizeof(err));
		if (!p->epochs) {
			log_warnx("data plane: sequence epochs: %s", err);
			epoch_alarm(p, err);
			return;
		}
	}
	if (pcounter_reserve(p->epochs, EPOCH_BLOCK, &first) < 0 ||
	    dp_add_epochs(p->dp, first, EPOCH_BLOCK) < 0) {
		log_warnx("data plane: cannot reserve sequence epochs");
		epoch_alarm(p, "cannot reserve sequence epochs in the state directory");
		return;
	}
	epoch_alarm(p, NULL);
}

static void peer_mtus(struct dataplane *p);

static void on_timer(struct ev_timer *t, void *arg)
{
	struct dataplane *p = arg;

	(void)t;
	refill_epochs(p);
	dp_set_wallclock(p->dp, ev_now_ms(), ev_wallclock_ms());
	dp_tick(p->dp, ev_now_ms());
	if (p->fwd) { /* once a second at most: a flood must not flood the log */
		struct fwd_stats st;

		p->ops->stats(p->fwd, &st);
		if (st.tx_errors > p->send_errors)
			log_warnx("data plane: %llu packet(s) could not be sent",
				  (unsigned long long)(st.tx_errors - p->send_errors));
		p->send_errors = st.tx_errors;
	}
	if (p->fwd && ++p->ticks % 10 == 0)
		peer_mtus(p); /* a path's MTU can shrink (ICMP "packet too big") */
}

/* Close the forwarder; what it was opened with stays (reopen_running). */
static void stop_fwd(struct dataplane *p)
{
	for (int i = 0; i < p->nios; i++)
		ev_io_del(p->ios[i]);
	p->nios = 0;
	if (p->fwd) {
		struct fwd_stats st;

		p->ops->stats(p->fwd, &st);
		p->ops->close(p->fwd);
		log_info("data plane: forwarder %s closed: %llu packet(s) in, %llu sent, %llu not "
			 "taken, %llu lost by the kernel, %llu could not be sent",
			 p->ops->name, (unsigned long long)st.rx_packets,
			 (unsigned long long)st.tx_packets, (unsigned long long)st.rx_dropped,
			 (unsigned long long)st.kernel_drops, (unsigned long long)st.tx_errors);
	}
	p->fwd = NULL;
	p->send_errors = 0;
	memset(&p->fwd_base, 0, sizeof(p->fwd_base)); /* the next one counts from 0 */
}

static void close_fwd(struct dataplane *p)
{
	stop_fwd(p);
	free(p->plan);
	p->plan = NULL;
}

/* Why the data plane does not carry traffic (NULL: it does, or has
 * none); CRITICAL when the guard drops it meanwhile. */
static void fwd_alarm(struct dataplane *p, const char *problem, bool guarded)
{
	if (p->d->alarms)
		alarm_eval_dataplane(p->d->alarms, p->d->node, problem, guarded,
				     (int64_t)(ev_wallclock_ms() / 1000));
}

/* The forwarder could not start: the alarm says which and why. */
static void fwd_down_alarm(struct dataplane *p, const char *why, bool guarded)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "forwarder %s is not running: %s", p->forwarder, why);
	fwd_alarm(p, msg, guarded);
}

/* Put that guard in place (see above); the number of prefixes it guards. */
static int guard_update(struct dataplane *p, const struct fwd_config *want, bool commit)
{
	struct fwd_config g = *want;
	struct strbuf plan = STRBUF_INIT;
	char err[256];
	int n;

	if (g.nlan && g.nprefixes) {
		for (int i = 0; i < g.nlan; i++)
			strbuf_addf(&plan, " lan %s", g.lan[i]);
		for (int i = 0; i < g.nprefixes; i++)
			strbuf_addf(&plan, " pfx %s", g.prefixes[i]);
		for (int i = 0; i < g.nlocals; i++)
			strbuf_addf(&plan, " src %s", g.locals[i]);
		if (p->guard && plan.buf && strcmp(p->guard, plan.buf) == 0) {
			strbuf_free(&plan);
			return g.nprefixes;
		}
		free(p->guard);
		p->guard = NULL; /* tried again at the next commit when it fails */
		if (fwd_guard_install(&g, err, sizeof(err)) < 0) {
			log_warnx("data plane: forwarding guard: %s", err);
		} else {
			log_info("data plane: forwarding guard drops what %d LAN interface(s) send "
				 "to %d service prefix(es) unless SVR carries it",
				 g.nlan, g.nprefixes);
			p->guard = strbuf_steal(&plan);
		}
		strbuf_free(&plan);
		p->stale_guard = !p->guard; /* half there, perhaps: a commit removes it */
		return g.nprefixes;
	}
	strbuf_free(&plan);
	if (!commit) { /* at start: what the kernel has stays */
		p->stale_guard = p->stale_guard || fwd_guard_present();
		if (p->stale_guard)
			log_warnx("data plane: a forwarding guard from before drops traffic to "
				  "service prefixes, and the configuration asks for none: a commit "
				  "or svrd --clear-forwarding-guard removes it");
		return 0;
	}
	if (p->guard || p->stale_guard) {
		if ((n = fwd_guard_remove()) < 0)
			log_warnx("data plane: cannot remove the forwarding guard");
		else if (n > 0)
			log_info("data plane: forwarding guard removed: the configuration has no "
				 "service routed to a peer from a LAN with key management on");
	}
	free(p->guard);
	p->guard = NULL;
	p->stale_guard = false;
	return 0;
}

/* ---- the configuration, typed --------------------------------------------------- */

/* ---- the peers, from their events ------------------------------------------------- */

static void view_copy(struct peers_view *to, const struct peers_view *from)
{
	struct peer_view *v = from && from->n ? malloc((size_t)from->n * sizeof(*v)) : NULL;

	free(to->v);
	memset(to, 0, sizeof(*to));
	if (!from)
		return;
	to->keyed = from->keyed;
	if (v) {
		memcpy(v, from->v, (size_t)from->n * sizeof(*v));
		to->v = v;
		to->n = from->n;
	}
}

/* The peer called name, with a path (the data plane's waypoint), or NULL. */
static const struct peer_view *view_find(const struct peers_view *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (*v->v[i].dst && strcmp(v->v[i].name, name) == 0)
			return &v->v[i];
	return NULL;
}

/* Each peer's path MTU, as the kernel knows it. */
static void peer_mtus(struct dataplane *p)
{
	int mtu;

	for (int i = 0; i < p->view.n; i++)
		if (*p->view.v[i].dst && (mtu = sock_path_mtu(p->view.v[i].dst)) > 0)
			dp_set_peer_mtu(p->dp, p->view.v[i].peer, (unsigned)mtu);
}

/* The forwarder's configuration: the prefixes of the services routed to a
 * peer with a path; *plan says all of it, to notice a change. */
static void fwd_config_of(const struct dp_conf *conf, const struct peers_view *v,
			  struct fwd_config *c, struct strbuf *plan)
{
	*c = conf->c;
	for (int i = 0; i < conf->nroutes; i++)
		if (view_find(v, conf->routes[i].peer) && c->nprefixes < FWD_MAX_PREFIXES)
			snprintf(c->prefixes[c->nprefixes++], 64, "%s", conf->routes[i].prefix);
	strbuf_addf(plan, "%s q%u", conf->forwarder, c->queue);
	for (int i = 0; i < c->nlan; i++)
		strbuf_addf(plan, " lan %s", c->lan[i]);
	for (int i = 0; i < c->nwan; i++)
		strbuf_addf(plan, " wan %s", c->wan[i]);
	for (int i = 0; i < c->nprefixes; i++)
		strbuf_addf(plan, " pfx %s", c->prefixes[i]);
	for (int i = 0; i < c->nwaypoints; i++)
		strbuf_addf(plan, " wp %s", c->waypoints[i]);
	for (int i = 0; i < conf->nlocals && c->nlocals < FWD_MAX_PREFIXES; i++) {
		snprintf(c->locals[c->nlocals++], 64, "%s", conf->locals[i]);
		strbuf_addf(plan, " local %s", conf->locals[i]);
	}
}

/* Tell the datapath the configuration and the peers.  A refused peer
 * (fail-hard) is left out: its sessions end and its services' packets
 * are dropped (they still name it), never passed in clear. */
static void dp_install(struct dataplane *p, const struct dp_conf *conf, const struct peers_view *v)
{
	dp_reset_config(p->dp);
	dp_set_rekey_interval(p->dp, conf->rekey_ms);
	dp_set_limits(p->dp, &conf->limits);
	for (int i = 0; i < conf->nlocals; i++)
		if (dp_add_local(p->dp, conf->locals[i]) < 0)
			log_warnx("data plane: LAN prefix %s not taken", conf->locals[i]);
	for (int i = 0; i < v->n; i++)
		if (*v->v[i].dst && !v->v[i].refused &&
		    dp_add_peer(p->dp, v->v[i].peer, v->v[i].name, v->v[i].dst, v->v[i].src) == 0)
			dp_set_peer_identity(p->dp, v->v[i].peer, v->v[i].identity);
	peer_mtus(p);
	for (int i = 0; i < conf->nroutes; i++) {
		const struct peer_view *pv = view_find(v, conf->routes[i].peer);

		if (pv)
			dp_add_service(p->dp, conf->routes[i].svc, conf->routes[i].prefix,
				       pv->peer);
	}
}

static void on_peers(void *arg, enum peers_event ev, const struct peers_view *v)
{
	struct dataplane *p = arg;

	if (ev == PEERS_NEXT) {
		view_copy(&p->next_view, v);
		p->have_next_view = true;
		return;
	}
	view_copy(&p->view, v);
	if (!p->next.prepared) /* outside a commit; in one, apply installs it */
		dp_install(p, &p->conf, &p->view);
}

/* ---- the forwarder ------------------------------------------------------------------ */

static void watch_fwd(struct dataplane *p)
{
	int fds[FWD_MAX_FDS], nf = p->ops->fds(p->fwd, fds, FWD_MAX_FDS);

	for (int i = 0; i < nf; i++)
		p->ios[p->nios++] = ev_io_add(p->d->loop, fds[i], EV_READ, on_readable, p);
}

/* Open the forwarder fname with c; NULL with err set. */
static struct fwd *fwd_open(const char *fname, const struct fwd_config *c,
			    const struct fwd_ops **ops, char *err, size_t errlen)
{
	*ops = fwd_find(fname);
	if (!*ops) {
		snprintf(err, errlen, "unknown forwarder");
		return NULL;
	}
	return (*ops)->open(c, err, errlen);
}

/* The forwarder that ran before a prepare closed it, opened again (a
 * commit that failed); an alarm when even that fails. */
static void reopen_running(struct dataplane *p)
{
	char err[256] = "";

	if (!p->plan || p->fwd)
		return;
	p->fwd = fwd_open(p->forwarder, &p->running_c, &p->ops, err, sizeof(err));
	if (!p->fwd) {
		log_warnx("data plane: forwarder %s: %s", p->forwarder, err);
		fwd_down_alarm(p, err, p->guarded);
		free(p->plan);
		p->plan = NULL;
		return;
	}
	watch_fwd(p);
}

/* ---- prepare, apply, abort ----------------------------------------------------------- */

/* What tree needs, with the forwarder opened when it changed: 0, or -1
 * with e saying why (the forwarder that ran is running again).  With
 * DS_PREPARE_CHECK, nothing is opened or closed. */
static int prepare_next(struct dataplane *p, const struct lyd_node *tree,
			const struct peers_view *v, unsigned flags, struct ds_errs *e)
{
	struct dp_next *n = &p->next;
	struct strbuf plan = STRBUF_INIT;
	char err[256] = "";

	dpconf_read(ds_ctx(p->d->ds), p->d->router, p->d->node, tree, &n->conf);
	n->prepared = true;
	if (!v->keyed && !n->conf.problem)
		n->conf.problem = "key management is not running";
	fwd_config_of(&n->conf, v, &n->c, &plan);
	if (!n->conf.problem && (!n->c.nwan || (!n->c.nprefixes && !n->c.nlan)))
		n->conf.problem =
			"no WAN interface (a network-interface with a neighborhood) to carry it";
	n->plan = strbuf_steal(&plan);
	strbuf_free(&plan);
	if (n->conf.problem || *n->conf.missing || (flags & DS_PREPARE_CHECK))
		return 0;
	if (p->plan && n->plan && strcmp(p->plan, n->plan) == 0 && p->fwd) {
		n->same = true; /* the same forwarder, the same rules */
		return 0;
	}
	stop_fwd(p);
	n->fwd = fwd_open(n->conf.forwarder, &n->c, &n->ops, err, sizeof(err));
	if (n->fwd)
		return 0;
	if (e)
		ds_errs_add(e, false, NULL, "forwarder %s cannot open: %s", n->conf.forwarder,
			    *err ? err : "unknown");
	else
		snprintf(n->err, sizeof(n->err), "%s", *err ? err : "unknown forwarder");
	reopen_running(p);
	return -1;
}

static void next_free(struct dataplane *p)
{
	struct dp_next *n = &p->next;

	if (n->fwd)
		n->ops->close(n->fwd);
	dpconf_free(&n->conf);
	free(n->plan);
	memset(n, 0, sizeof(*n));
	free(p->next_view.v);
	memset(&p->next_view, 0, sizeof(p->next_view));
	p->have_next_view = false;
}

/* The forwarder as prepared: the one opened, or none and an alarm. */
static void apply_fwd(struct dataplane *p, struct dp_next *n, bool guarded, int nguarded)
{
	const struct dp_conf *c = &p->conf;

	if (n->same)
		return;
	close_fwd(p);
	if (c->problem) {
		fwd_alarm(p, guarded ? c->problem : NULL, guarded);
		return;
	}
	if (!n->fwd) {
		char why[96];

		snprintf(why, sizeof(why), "no interface %s here", c->missing);
		if (!*c->missing)
			log_warnx("data plane: forwarder %s: %s", c->forwarder, n->err);
		fwd_down_alarm(p, *c->missing ? why : n->err, guarded);
		return;
	}
	p->fwd = n->fwd;
	p->ops = n->ops;
	p->running_c = n->c;
	n->fwd = NULL;
	p->plan = n->plan;
	n->plan = NULL;
	watch_fwd(p);
	/* a service routed to a peer with no path: the guard drops it */
	fwd_alarm(p,
		  n->c.nprefixes < nguarded ? "a service is routed to a peer with no path" : NULL,
		  guarded);
	log_info("data plane: forwarder %s on %d LAN and %d WAN interface(s), %d prefix(es)",
		 c->forwarder, n->c.nlan, n->c.nwan, n->c.nprefixes);
}

/* Swap the prepared state in; it cannot fail (a forwarder that could not
 * open at start, outside a commit, becomes an alarm). */
static void apply_next(struct dataplane *p, bool commit)
{
	struct dp_next *n = &p->next;
	int nguarded;

	dpconf_free(&p->conf);
	p->conf = n->conf;
	memset(&n->conf, 0, sizeof(n->conf));
	snprintf(p->forwarder, sizeof(p->forwarder), "%s", p->conf.forwarder);
	nguarded = guard_update(p, &p->conf.guard, commit);
	p->guarded = nguarded > 0;
	apply_fwd(p, n, p->guarded, nguarded);
	next_free(p);
	dp_install(p, &p->conf, &p->view);
}

static int sub_prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *tree,
		       unsigned flags, struct ds_errs *e)
{
	struct dataplane *p = arg;

	(void)diff;
	/* the peers prepared first (they come before us) and said what they
	 * will be; a commit they did not touch leaves them as they are */
	return prepare_next(p, tree, p->have_next_view ? &p->next_view : &p->view, flags, e);
}

static void sub_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	(void)diff;
	(void)running;
	apply_next(arg, true);
}

static void sub_abort(void *arg)
{
	struct dataplane *p = arg;
	bool closed = p->next.fwd != NULL;

	next_free(p);
	if (closed)
		reopen_running(p);
}

struct dataplane *dataplane_start(struct svrd *d)
{
	static const char *const after[] = {"peers", NULL};
	struct dataplane *p = calloc(1, sizeof(*p));
	struct ds_sub sub = {
		.name = "dataplane",
		.path = "/opensvr:authority",
		.after = after,
		.prepare = sub_prepare,
		.apply = sub_apply,
		.abort = sub_abort,
		.arg = p,
	};
	struct ds_errs e = {0};

	if (!p)
		return NULL;
	p->d = d;
	p->dp = dp_new(d->router);
	if (!p->dp) {
		free(p);
		return NULL;
	}
	dp_set_wallclock(p->dp, ev_now_ms(), ev_wallclock_ms());
	refill_epochs(p);
	if (ds_subscribe(d->ds, &sub, &e) < 0 || peers_listen(d->peers, on_peers, p) < 0 ||
	    peers_listen_keys(d->peers, on_keys, p) < 0 || dp_register_state(p) < 0)
		log_warnx("data plane: %s", e.n ? e.v[0].msg : "cannot subscribe");
	ds_errs_free(&e);
	p->timer = ev_timer_add(d->loop, on_timer, p);
	ev_timer_arm(p->timer, 1000, 1000);
	view_copy(&p->view, peers_view(d->peers));
	prepare_next(p, ds_running(d->ds), &p->view, 0, NULL);
	apply_next(p, false);
	return p;
}

void dataplane_stop(struct dataplane *p)
{
	if (!p)
		return;
	close_fwd(p); /* the forwarding guard stays: svrd stopped carries nothing */
	ev_timer_del(p->timer);
	next_free(p);
	dpconf_free(&p->conf);
	free(p->view.v);
	dp_free(p->dp);
	free(p->guard);
	pcounter_close(p->epochs);
	free(p);
}

/* ---- state ----------------------------------------------------------------------- */
