/* Peer paths: the revocation lists (polled, and file:// ones watched so a
 * replaced list is read at once) and the alarms of the peers and paths
 * (their operational state: peer_yang.c). */
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

/* How long a peer's path must be up, with nothing from its key exchange,
 * before we say it does not speak it: our certificate goes out the moment
 * a path comes up and a peer that speaks it answers at once. */
#define ESKM_SILENCE_MS 10000
/* Our certificate not acknowledged for this long while the peer's
 * datagrams arrive: it refuses it. */
#define REFUSED_US_MS 12000

void pp_unwatch_crls(struct peers *ps)
{
	ev_io_del(ps->crl_io);
	ps->crl_io = NULL;
	if (ps->crl_watch > 0)
		close(ps->crl_watch);
	ps->crl_watch = -1;
	for (int i = 0; i < ps->ncrl_files; i++)
		free(ps->crl_files[i]);
	free(ps->crl_files);
	ps->crl_files = NULL;
	ps->ncrl_files = 0;
}

static void on_crl_dir(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct peers *ps = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)io;
	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			for (int i = 0; e->len && i < ps->ncrl_files; i++) {
				const char *base = strrchr(ps->crl_files[i], '/');

				if (base && strcmp(base + 1, e->name) == 0)
					ps->crl_changed = true;
			}
			p += sizeof(*e) + e->len;
		}
	if (ps->crl_changed)
		pp_arm_sooner(ps, ev_now_ms()); /* read it at once */
}

/* Watch the folder of a file:// revocation list for the file being
 * written or replaced (editors and openssl write a new file and rename). */
void pp_watch_crl(struct peers *ps, const char *file)
{
	char dir[4096], **nf;
	char *slash;

	if (ps->crl_watch < 0) {
		ps->crl_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ps->crl_watch < 0)
			return;
		ps->crl_io = ev_io_add(ps->d->loop, ps->crl_watch, EV_READ, on_crl_dir, ps);
	}
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	nf = realloc(ps->crl_files, (size_t)(ps->ncrl_files + 1) * sizeof(*nf));
	if (!nf)
		return;
	ps->crl_files = nf;
	nf[ps->ncrl_files] = strdup(file);
	if (nf[ps->ncrl_files])
		ps->ncrl_files++;
	inotify_add_watch(ps->crl_watch, *dir ? dir : "/",
			  IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
}

/* The revocation lists again (polled, or a file changed): a new content
 * validates the pinned certificates again, keys kept unless fail-hard
 * says otherwise; nothing is rebuilt. */
void peers_reload_crls(struct peers *ps)
{
	if (ps)
		pp_reload_crls(ps);
}

void pp_reload_crls(struct peers *ps)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	struct pki_trust *t;
	char *text = NULL, *problem = NULL;

	if (!ps->kex)
		return;
	model_find_self(ds_running(ps->d->ds), ps->d->router, ps->d->node, &auth, &me, &mynode);
	{
		char crl[4200];

		snprintf(crl, sizeof(crl), "%s/" CONDUCTOR_CRL, ps->d->state_dir);
		t = pkiconf_trust(auth, crl, &text, &problem);
	}
	if (!t || (text && ps->crl_text && strcmp(text, ps->crl_text) == 0 &&
		   !problem == !ps->crl_problem)) {
		pki_trust_free(t);
		free(text);
		free(problem);
		return;
	}
	kex_set_trust(ps->kex, t, (int64_t)(ev_wallclock_ms() / 1000), ev_now_ms());
	pki_trust_free(ps->trust);
	ps->trust = t;
	free(ps->crl_text);
	ps->crl_text = text;
	free(ps->crl_problem);
	ps->crl_problem = problem;
	log_info("certificate revocation lists read again: pinned certificates validated again");
	pp_flush_kex(ps);
	pp_now(ps, false);
}

/* Peer p's certificate was refused under fail-hard: its paths are held
 * administratively down until a valid one comes in. */
bool pp_rejected(const struct peers *ps, int peer)
{
	struct kex_peer_state s;

	if (!ps->kex || !kex_fail_hard(ps->kex))
		return false;
	kex_peer_state(ps->kex, peer, &s);
	return !s.cert_rec && strcmp(s.cert_verdict, "valid") != 0 &&
	       strcmp(s.cert_verdict, "none") != 0;
}

void pp_peer_health(const struct peers *ps, int i, uint64_t mono, struct peer_health *h)
{
	const struct path *p = &ps->paths[i];
	bool heard = false, long_up = false, bare = false;

	memset(h, 0, sizeof(*h));
	for (int k = i; k < ps->npaths && ps->paths[k].peer == p->peer; k++) {
		const struct path *q = &ps->paths[k];

		h->any_up |= q->bfd.state == BFD_UP;
		h->any_was |= q->was_up;
		heard |= q->kex_heard;
		long_up |= q->bfd.state == BFD_UP && mono - q->bfd.up_since_ms >= ESKM_SILENCE_MS;
		/* keyed, and the peer has been sending bare BFD (no tag, no
		 * key exchange) for as long: it stopped speaking it */
		bare |= q->bfd.state != BFD_UP && q->unauth_since && !q->unauth_kex &&
			mono - q->unauth_since >= ESKM_SILENCE_MS && mono - q->unauth_last < 3000;
	}
	h->silent = ps->kex && ((long_up && !heard) || bare);
	h->refused = pp_rejected(ps, p->peer);
	h->refuses_us = ps->kex && !h->silent && p->unacked_since &&
			mono - p->unacked_since >= REFUSED_US_MS;
}

/* How long (ms) the peer of path i has left our certificate without an
 * acknowledgement while its datagrams keep arriving; 0 once it acks.
 * Called once a second (the alarms' round), which is what "keep
 * arriving" is measured against. */
static uint64_t unacked_for(struct peers *ps, int i, const struct kex_peer_state *s, uint64_t mono)
{
	struct path *p = &ps->paths[i];
	uint64_t rx = 0;
	bool heard;

	for (int k = i; k < ps->npaths && ps->paths[k].peer == p->peer; k++)
		rx += ps->paths[k].nrx;
	heard = rx != p->rx_seen;
	p->rx_seen = rx;
	if (s->cert_ack) {
		p->unacked_since = 0;
		return 0;
	}
	if (heard && !p->unacked_since)
		p->unacked_since = mono;
	return p->unacked_since ? mono - p->unacked_since : 0;
}

/* Raise or clear the alarms of what the paths and peers show now. */
void pp_evaluate_alarms(struct peers *ps)
{
	struct alarm_store *as = ps->d->alarms;
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	uint64_t mono = ev_now_ms();

	if (!as)
		return;
	alarm_round_begin(as);
	for (int i = 0; i < ps->npaths; i++) {
		struct path *p = &ps->paths[i];
		enum alarm_path_state st = ALARM_PATH_NEVER_UP;

		if (p->bfd.state == BFD_UP) {
			p->was_up = true;
			st = ALARM_PATH_UP;
		} else if (p->bfd.state == BFD_ADMIN_DOWN) {
			st = ALARM_PATH_OUT_OF_SERVICE;
		} else if (p->was_up) {
			st = ALARM_PATH_DOWN;
		}
		alarm_eval_path(as, p->peer_name, p->ifname, p->dst_text, st, now);
	}
	for (int i = 0; i < ps->npaths; i++) {
		struct path *p = &ps->paths[i];
		struct kex_peer_state s;
		struct peer_health h;

		if (i > 0 && ps->paths[i - 1].peer == p->peer)
			continue; /* once per peer */
		pp_peer_health(ps, i, mono, &h);
		alarm_eval_peer_reachable(as, p->peer_name, h.any_up, h.any_was, now);
		if (!ps->kex)
			continue;
		alarm_eval_peer_eskm(as, p->peer_name, h.silent, now);
		kex_peer_state(ps->kex, p->peer, &s);
		alarm_eval_peer_cert(as, p->peer_name, s.cert_verdict, s.cert_detail,
				     s.cert_not_after, now);
		alarm_eval_peer_key(as, p->peer_name, s.key_conflict, s.offered_fp, s.pinned_fp,
				    now);
		alarm_eval_peer_refused(as, p->peer_name, s.refused, s.refused_detail,
					s.cert_not_after != 0, now);
		{
			/* normally acknowledged within a retransmission or two */
			uint64_t u = unacked_for(ps, i, &s, mono);

			/* a peer that does not speak key management acknowledges
			 * nothing: its own alarm says that */
			alarm_eval_peer_refuses_us(as, p->peer_name, ps->d->router,
						   u >= REFUSED_US_MS && !h.silent ? u / 1000 : 0,
						   now);
		}
	}
	alarm_eval_key_management(as, ps->d->router, ps->km_problem, now);
	alarm_eval_crl(as, ps->d->router, ps->crl_problem, kex_fail_hard(ps->kex), now);
	alarm_eval_local_cert(as, ps->d->router, ps->id ? pki_identity_not_after(ps->id) : 0, now);
	alarm_eval_client_cert(as, ps->d->router, ps->client_cert_problem, now);
	/* peers and paths no longer configured */
	alarm_round_end(as, "path-down:", now);
	alarm_round_end(as, "peer-", now);
}
