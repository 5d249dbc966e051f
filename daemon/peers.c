/* DOC: peer paths
 *
 * svrd's side of the key engine: it turns the running configuration into
 * the engine's peers and paths, owns the UDP sockets (port 1280 on each
 * local address that faces a peer), runs BFD on every path and carries the
 * key-exchange messages after the BFD control packet, in an SVR metadata
 * block (doc/protocol.md).  The engine and BFD are sans-I/O; these files
 * are the only place with sockets and clocks for them: peers.c (the
 * configuration's prepare and apply, the key engine, the one timer),
 * peer_io.c (sockets, paths, datagrams), peer_pins.c (key pins, the key
 * counters), peer_state.c (revocation lists, alarms, state), peer_ops.c
 * (the RPCs they serve), sharing peers_int.h.
 *
 * A commit that changes what the peers are built from (plan_of) builds
 * them anew (peers, paths, sockets, exchange): simple and always right,
 * at the price of a new key exchange; one that changes only timers or the
 * algorithm keeps the keys.  What the new peers need (the node identity,
 * the trust store, the counters) is acquired in prepare, so such a commit
 * fails before anything changes when it cannot be had.  The data plane
 * learns what the peers are from their events (svrd.h, struct peers_view).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarms.h"
#include "conditions.h"
#include "bfd.h"
#include "datastore.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "kex.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "peerpkt.h"
#include "pki.h"
#include "pkiconf.h"
#include "skmconf.h"
#include "sock.h"
#include "svrd.h"
#include "strbuf.h"
#include "svrmeta.h"
#include "peers_int.h"

void pp_teardown(struct peers *ps)
{
	for (int i = 0; i < ps->nsocks; i++) {
		ev_io_del(ps->socks[i].io);
		close(ps->socks[i].fd);
	}
	for (int i = 0; i < ps->npaths; i++) {
		free(ps->paths[i].peer_name);
		free(ps->paths[i].ifname);
	}
	free(ps->socks);
	free(ps->paths);
	ps->socks = NULL;
	ps->paths = NULL;
	ps->nsocks = ps->npaths = 0;
	if (ps->kex)
		pp_keys_gone(ps); /* its keys go with it, wherever they were pushed */
	kex_free(ps->kex);
	ps->kex = NULL;
	pki_identity_free(ps->id);
	ps->id = NULL;
	pki_trust_free(ps->trust);
	ps->trust = NULL;
	free(ps->pcn);
	ps->pcn = NULL;
	free(ps->plan);
	ps->plan = NULL;
	/* the alarms of old peers and paths: the next evaluation clears
	 * those whose subject is gone and keeps those that still hold */
	free(ps->client_cert_problem);
	pp_unwatch_crls(ps);
	ps->client_cert_problem = NULL;
	free(ps->crl_problem);
	ps->crl_problem = NULL;
	free(ps->crl_text);
	ps->crl_text = NULL;
	free(ps->km_problem);
	ps->km_problem = NULL;
	free(ps->slots);
	ps->slots = NULL;
}

/* ---- paths by address --------------------------------------------------- */

/* Everything the peers and paths are built from, as text: when a commit
 * leaves it unchanged, the exchanges and keys stay as they are. */
static char *plan_of(const struct lyd_node *auth, const struct lyd_node *me,
		     const struct lyd_node *mynode, bool eskm)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "eskm %d\npcn %s\n", eskm, model_leaf(me, "peering-common-name") ?: "");
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	strbuf_addf(&sb, "ca %s %s\n", model_leaf(ca, "validation-mode") ?: "",
		    model_leaf(ca, "content") ?: "");
	MODEL_FOR_CHILD(auth, "client-certificate", cc)
	strbuf_addf(&sb, "cc %s %s\n", model_leaf(cc, "file") ?: "",
		    model_leaf(cc, "validation-mode") ?: "");
	/* the lists' URLs: their content changes without a commit, and a new
	 * content validates the pinned certificates again (pp_reload_crls) */
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	strbuf_addf(&sb, "crl %s\n", model_leaf(crl, "url") ?: "");
	MODEL_FOR_CHILD(me, "peer", p)
	strbuf_addf(&sb, "peer %s %s %s\n", model_leaf(p, "name"),
		    model_leaf(p, "router-name") ?: "", model_leaf(p, "peering-common-name") ?: "");
	MODEL_FOR_CHILD(auth, "router", r)
	strbuf_addf(&sb, "fp %s %s\n", model_leaf(r, "name"),
		    model_leaf(r, "peering-key-fingerprint") ?: "");
	MODEL_FOR_CHILD(mynode, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	{
		MODEL_FOR_CHILD(ni, "address", a)
		strbuf_addf(&sb, "addr %s %s\n", model_leaf(ni, "name"),
			    model_leaf(a, "ip-address"));
		MODEL_FOR_CHILD(ni, "neighborhood", nb)
		MODEL_FOR_CHILD(nb, "adjacency", adj)
		strbuf_addf(&sb, "adj %s %s %s\n", model_leaf(ni, "name"),
			    model_leaf(adj, "ip-address"), model_leaf(adj, "peer") ?: "");
	}
	return strbuf_steal(&sb);
}

static void set_timers(struct peers *ps, const struct skm_conf *k)
{
	kex_set_fail_hard(ps->kex, k->fail_hard);
	kex_set_timers(ps->kex, k->retransmit_ms, k->timeout_ms);
	if (k->peer_rekey_ms != ps->mkey_interval_ms) {
		ps->mkey_interval_ms = k->peer_rekey_ms;
		ps->mkey_since_ms = ev_now_ms(); /* a new schedule starts now */
	}
}

/* ---- trust: CAs and revocation lists -------------------------------------- */

/* ---- key pins ------------------------------------------------------------------ */

/* ---- the counters ----------------------------------------------------------- */

/* ---- building from the configuration ------------------------------------------ */

/* What a commit prepared: what the peers will be built from, and, when
 * that changed, every resource the new key engine needs, acquired before
 * anything changes (datastore.h). */
struct peers_next {
	bool prepared;
	bool restart; /* start over with what follows; false: timers only */
	char *plan;
	struct pki_identity *id; /* NULL with km_problem: key management cannot run */
	char *id_problem;	 /* why a configured client-certificate is not used */
	struct pki_trust *trust;
	char *crl_text, *crl_problem;
	char *km_problem;
	struct peers_view view; /* what the peers will be */
	struct skm_conf skm;	/* security-key-management, typed */
};

static void next_free(struct peers_next *n)
{
	free(n->view.v);
	pki_identity_free(n->id);
	pki_trust_free(n->trust);
	free(n->plan);
	free(n->id_problem);
	free(n->crl_text);
	free(n->crl_problem);
	free(n->km_problem);
	memset(n, 0, sizeof(*n));
}

/* A resource cannot be had: an error for the commit (e), or at start
 * (no commit to refuse) the reason key management does not run. */
static int acquire_fail(struct peers_next *n, struct ds_errs *e, const char *what, const char *err)
{
	if (e)
		ds_errs_add(e, false, NULL, "%s: %s", what, err);
	else if (asprintf(&n->km_problem, "%s: %s", what, err) < 0)
		n->km_problem = NULL;
	return -1;
}

/* The node identity, the key counters and the trust store for pcn. */
static int acquire(struct peers *ps, const struct lyd_node *auth, const char *pcn,
		   struct peers_next *n, struct ds_errs *e)
{
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	char dir[4096], err[256];

	n->id = pkiconf_client_identity(auth, ps->d->state_dir, pcn, now, &n->id_problem, e);
	if (e && ds_errs_count(e))
		return -1;
	snprintf(dir, sizeof(dir), "%s/pki", ps->d->state_dir);
	mkdir(dir, 0700);
	if (!n->id && !(n->id = identity_open(dir, pcn, now, 365, err, sizeof(err))))
		return acquire_fail(n, e, "the node identity cannot be loaded or made", err);
	if (pp_open_counters(ps, err, sizeof(err)) < 0) {
		pki_identity_free(n->id);
		n->id = NULL;
		return acquire_fail(n, e, "the key counters cannot be read", err);
	}
	snprintf(dir, sizeof(dir), "%s/" CONDUCTOR_CRL, ps->d->state_dir);
	n->trust = pkiconf_trust(auth, dir, &n->crl_text, &n->crl_problem);
	if (!n->trust) {
		pki_identity_free(n->id);
		n->id = NULL;
		return acquire_fail(n, e, "the trust store cannot be made", "out of memory");
	}
	return 0;
}

/* ---- what the listeners are told ----------------------------------------- */

static void emit(struct peers *ps, enum peers_event ev, const struct peers_view *v)
{
	for (int i = 0; i < ps->nlisteners; i++)
		ps->listeners[i].fn(ps->listeners[i].arg, ev, v);
}

/* Tell the listeners what the peers are now, when it changed (refused
 * peers come and go with certificates, outside any commit). */
void pp_now(struct peers *ps, bool always)
{
	bool changed = always;

	ps->view.keyed = ps->kex != NULL;
	for (int i = 0; i < ps->view.n; i++) {
		bool r = pp_rejected(ps, ps->view.v[i].peer);

		changed |= r != ps->view.v[i].refused;
		ps->view.v[i].refused = r;
	}
	if (changed)
		emit(ps, PEERS_NOW, &ps->view);
}

/* Build the next state from tree (the configuration to be committed, or
 * running at start: e NULL).  0, or -1 with e saying why. */
static int prepare_next(struct peers *ps, const struct lyd_node *tree, struct peers_next *n,
			struct ds_errs *e)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	const char *pcn = NULL;
	bool eskm;

	next_free(n);
	n->prepared = true;
	model_find_self(tree, ps->d->router, ps->d->node, &auth, &me, &mynode);
	if (e)
		pkiconf_check_cas(auth, e);
	if (e && ds_errs_count(e))
		return -1;
	skm_conf_read(ds_ctx(ps->d->ds), auth, &n->skm);
	eskm = auth && n->skm.on;
	if (eskm)
		pcn = model_leaf(me, "peering-common-name");
	n->restart = true;
	if (!me || !mynode || (eskm && !pcn))
		return 0; /* no peers */
	pp_view_of(me, mynode, eskm, &n->view);
	n->plan = plan_of(auth, me, mynode, eskm);
	if (ps->plan && n->plan && strcmp(n->plan, ps->plan) == 0 && (ps->kex || !eskm)) {
		n->restart = false; /* same peers and paths: only timers and the algorithm */
		return 0;
	}
	return eskm ? acquire(ps, auth, pcn, n, e) : 0;
}

/* Key management cannot run: say why (CRITICAL alarm) and run none. */
static void km_fail(struct peers *ps, const char *problem)
{
	free(ps->km_problem);
	ps->km_problem = problem ? strdup(problem) : NULL;
	log_warnx("peer paths: %s", problem ? problem : "key management cannot run");
}

/* Start the key engine with what was prepared (n's resources are taken). */
static bool start_engine(struct peers *ps, const struct lyd_node *auth, const char *pcn,
			 struct peers_next *n)
{
	struct kex_config cfg = {0};

	if (!n->id) {
		km_fail(ps, n->km_problem);
		return false;
	}
	ps->id = n->id;
	ps->trust = n->trust;
	ps->client_cert_problem = n->id_problem;
	ps->crl_text = n->crl_text;
	ps->crl_problem = n->crl_problem;
	n->id = NULL;
	n->trust = NULL;
	n->id_problem = n->crl_text = n->crl_problem = NULL;
	ps->crl_poll_ms = 0;
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	{
		uint64_t every = strtoull(model_leaf_or_default(ds_ctx(ps->d->ds), crl,
								"/opensvr:authority/"
								"certificate-revocation-list/"
								"polling-interval")
						  ?: "3600",
					  NULL, 10) *
				 1000;
		const char *url = model_leaf(crl, "url");

		if (!ps->crl_poll_ms || every < ps->crl_poll_ms)
			ps->crl_poll_ms = every;
		if (url && strncmp(url, "file://", 7) == 0)
			pp_watch_crl(ps, url + 7);
	}
	ps->crl_polled_ms = ev_now_ms();
	ps->pcn = strdup(pcn);
	cfg.pcn = ps->pcn;
	cfg.id = ps->id;
	cfg.trust = ps->trust;
	cfg.alg = n->skm.alg;
	cfg.retransmit_ms = n->skm.retransmit_ms;
	cfg.timeout_ms = n->skm.timeout_ms;
	cfg.fail_hard = n->skm.fail_hard;
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	cfg.untrusted_ok |= strcmp(model_leaf(ca, "validation-mode") ?: "strict", "warn") == 0;
	cfg.next_number = pp_next_number;
	cfg.number_arg = ps;
	ps->kex = kex_new(&cfg, ev_now_ms());
	if (!ps->kex) {
		km_fail(ps, "the key engine cannot start: no metadata-key index");
		return false;
	}
	ps->mkey_interval_ms = UINT64_MAX; /* set_timers starts the schedule */
	set_timers(ps, &n->skm);
	ps->config_changes++;
	ps->active = true;
	return true;
}

/* The peers of the configuration, each with its paths. */
static void add_peers(struct peers *ps, const struct lyd_node *auth, const struct lyd_node *me,
		      const struct lyd_node *mynode, bool eskm)
{
	char *pins = NULL;
	int npeers = 0;

	if (eskm) {
		char path[4200];

		pp_pins_path(ps, path, sizeof(path));
		pins = pkiconf_read_text(path);
	}
	MODEL_FOR_CHILD(me, "peer", p)
	{
		const char *rn = model_leaf(p, "router-name") ?: model_leaf(p, "name");
		const char *ppcn = model_leaf(p, "peering-common-name");
		int idx;

		if (eskm && !ppcn)
			continue;
		/* without key management: BFD only, peers numbered here */
		idx = eskm ? kex_add_peer(ps->kex, ppcn) : npeers++;
		if (eskm)
			pp_pin_peer(ps, auth, pins, rn, ppcn, idx);
		pp_add_paths(ps, mynode, rn, idx);
	}
	free(pins);
	pp_index_paths(ps);
}

/* Swap the prepared state in (it cannot fail: what could, was done in
 * prepare_next). */
static void apply_next(struct peers *ps, const struct lyd_node *running, struct peers_next *n)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	bool eskm;

	model_find_self(running, ps->d->router, ps->d->node, &auth, &me, &mynode);
	free(ps->view.v);
	ps->view = n->view;
	memset(&n->view, 0, sizeof(n->view));
	if (!n->restart) {
		if (ps->kex) {
			set_timers(ps, &n->skm);
			kex_set_alg(ps->kex, n->skm.alg, ev_now_ms());
			pp_flush_kex(ps);
			ps->config_changes++;
		}
		next_free(n);
		return;
	}
	pp_teardown(ps);
	ps->active = false;
	ps->plan = n->plan;
	n->plan = NULL;
	eskm = auth && n->skm.on;
	if (ps->plan &&
	    (!eskm || start_engine(ps, auth, model_leaf(me, "peering-common-name"), n))) {
		add_peers(ps, auth, me, mynode, eskm);
		pp_push_keys(ps); /* the new engine's metadata key */
		log_info("peer paths: %d path(s) on %d socket(s)%s%s", ps->npaths, ps->nsocks,
			 eskm ? " as " : ", without key management", eskm ? ps->pcn : "");
	}
	next_free(n);
}

/* Outside a commit (start, reload): what cannot be had becomes an alarm. */
void pp_rebuild(struct peers *ps, const struct lyd_node *running)
{
	struct peers_next n = {0};

	prepare_next(ps, running, &n, NULL);
	apply_next(ps, running, &n);
	pp_evaluate_alarms(ps); /* what the configuration implies, at once */
	pp_now(ps, true);
	pp_arm(ps);
}

/* ---- the timer ----------------------------------------------------------- */

/* The timer goes off at the next thing due: a BFD packet or detection
 * time, a key-exchange retransmission or timeout, the metadata key's
 * schedule, the revocation lists' polling, and once a second at most for
 * the alarms (and what the key engine does on its own coarse clock). */
void pp_arm(struct peers *ps)
{
	uint64_t now = ev_now_ms(), next = ps->alarms_ms + 1000, d;

	for (int i = 0; i < ps->npaths; i++)
		if ((d = bfd_next_deadline(&ps->paths[i].bfd)) && d < next)
			next = d;
	if (ps->kex && (d = kex_next_deadline(ps->kex)) < next)
		next = d;
	if (ps->kex && ps->mkey_interval_ms && ps->mkey_since_ms + ps->mkey_interval_ms < next)
		next = ps->mkey_since_ms + ps->mkey_interval_ms;
	if (ps->kex && ps->crl_poll_ms && ps->crl_polled_ms + ps->crl_poll_ms < next)
		next = ps->crl_polled_ms + ps->crl_poll_ms;
	ps->due = next;
	ev_timer_arm(ps->timer, next > now ? next - now : 0, 0);
}

/* What a datagram changes is one path's BFD (a Final to send, a new
 * detection time) and the key exchange, whose messages go out at once
 * (flush) and whose later deadlines (retransmissions, timeouts) only move
 * away; the once-a-second floor of pp_arm covers the rest.  So a datagram
 * costs one comparison here, not a walk over every path and peer. */
void pp_arm_sooner(struct peers *ps, uint64_t deadline)
{
	uint64_t now = ev_now_ms();

	if (!deadline || deadline >= ps->due)
		return;
	ps->due = deadline;
	ev_timer_arm(ps->timer, deadline > now ? deadline - now : 0, 0);
}

static void tick(struct peers *ps)
{
	uint64_t now = ev_now_ms();
	uint8_t pkt[BFD_CTRL_LEN];

	for (int i = 0; i < ps->npaths; i++)
		if (bfd_tick(&ps->paths[i].bfd, now, pkt))
			pp_send_path(ps, &ps->paths[i], NULL, 0);
	if (now - ps->alarms_ms >= 1000 && !ps->kex) {
		/* no engine: the alarms still say why (key management down) */
		ps->alarms_ms = now;
		pp_evaluate_alarms(ps);
	}
	if (!ps->kex)
		return;
	if (ps->mkey_interval_ms && now - ps->mkey_since_ms >= ps->mkey_interval_ms) {
		uint32_t index;

		/* peer-key-rekey-interval */
		peers_rekey(ps, &index);
		log_info("peer keys renewed; metadata key rekey index %u", index);
	}
	kex_tick(ps->kex, now);
	pp_flush_kex(ps);
	if (ps->crl_changed || (ps->crl_poll_ms && now - ps->crl_polled_ms >= ps->crl_poll_ms)) {
		ps->crl_changed = false;
		/* a changed list validates the pinned certificates again; an
		 * unchanged one leaves everything as it is */
		ps->crl_polled_ms = now;
		pp_reload_crls(ps);
	}
	if (now - ps->alarms_ms >= 1000) {
		ps->alarms_ms = now;
		/* fail-hard: peers whose certificates ran out lose their keys */
		if (kex_enforce(ps->kex, (int64_t)(ev_wallclock_ms() / 1000), now) > 0) {
			log_warnx("invalid-certificate-behavior fail-hard: peering removed with a "
				  "peer whose certificate expired");
			pp_flush_kex(ps);
		}
		/* paths of refused peers held down, released once valid */
		for (int i = 0; i < ps->npaths; i++)
			bfd_set_admin_down(&ps->paths[i].bfd, pp_rejected(ps, ps->paths[i].peer),
					   now);
		pp_evaluate_alarms(ps);
		pp_now(ps, false); /* a peer refused or taken again */
	}
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	tick(arg);
	pp_arm(arg);
}

/* ---- configuration and state -------------------------------------------- */

static int sub_prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *tree,
		       unsigned flags, struct ds_errs *e)
{
	struct peers *ps = arg;

	(void)diff;
	(void)flags; /* nothing here disturbs what runs: a check acquires too */
	if (!ps->next && !(ps->next = calloc(1, sizeof(*ps->next)))) {
		ds_errs_add(e, false, NULL, "peer paths: out of memory");
		return -1;
	}
	if (prepare_next(ps, tree, ps->next, e) < 0)
		return -1;
	emit(ps, PEERS_NEXT, &ps->next->view);
	return 0;
}

static void sub_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	struct peers *ps = arg;
	struct peers_next none = {0};

	(void)diff;
	apply_next(ps, running, ps->next ? ps->next : &none);
	pp_evaluate_alarms(ps); /* what the configuration implies, at once */
	pp_now(ps, true);
	pp_arm(ps);
}

static void sub_abort(void *arg)
{
	struct peers *ps = arg;

	if (ps->next)
		next_free(ps->next);
}

/* ---- start and stop ------------------------------------------------------------ */

struct peers *peers_start(struct svrd *d)
{
	struct peers *ps = calloc(1, sizeof(*ps));
	struct ds_sub sub = {
		.name = "peers",
		.path = "/opensvr:authority",
		.prepare = sub_prepare,
		.apply = sub_apply,
		.abort = sub_abort,
		.arg = ps,
	};
	struct ds_errs e = {0};

	if (!ps)
		return NULL;
	ps->d = d;
	ps->crl_watch = -1;
	srand((unsigned)(ev_wallclock_ms() ^ (uint64_t)getpid()));
	crypto_random(&ps->hash_key, sizeof(ps->hash_key));
	if (ds_subscribe(d->ds, &sub, &e) < 0)
		log_warnx("peer paths: %s", e.n ? e.v[0].msg : "cannot subscribe");
	ds_errs_free(&e);
	ps->timer = ev_timer_add(d->loop, on_timer, ps);
	pp_register_rpcs(ps);
	if (pp_register_state(ps) < 0)
		log_warnx("peer paths: no room for their state");
	pp_rebuild(ps, ds_running(d->ds));
	return ps;
}

void peers_stop(struct peers *ps)
{
	if (!ps)
		return;
	pp_teardown(ps);
	ev_timer_del(ps->timer);
	pcounter_close(ps->ctr[0]);
	pcounter_close(ps->ctr[1]);
	if (ps->next)
		next_free(ps->next);
	free(ps->next);
	free(ps->view.v);
	free(ps);
}

/* ---- for the data plane ------------------------------------------------- */
