/* DOC: NETCONF server
 *
 * svrd serves the opensvr YANG model over NETCONF (RFC 6241) on SSH (RFC
 * 6242) with libnetconf2, when started with --netconf [ADDRESS:]PORT.
 * Users are the configuration's `authority user` entries: an SSH user
 * name, its public keys (`authorized-key`, OpenSSH one-line form) and a
 * role, admin or read-only, the split of the management socket.  Only
 * public-key authentication is offered.  The host key is
 * STATE/netconf/ssh_host_ed25519_key, made at the first start.
 *
 * libnetconf2 blocks (an SSH handshake, a slow client), so it runs in two
 * threads of its own: one accepts sessions, one polls them and parses
 * their RPCs.  Neither touches svrd's state: each operation is a job
 * (struct nc_job) handed to svrd's thread through an eventfd, done there
 * between two events like a management request, while the NETCONF thread
 * waits.  So NETCONF and the shell act on the one shared candidate, lock
 * and history, and svrd's timers never wait for a client.
 *
 * The NETCONF context is a libyang context of its own (opensvr plus the
 * ietf-netconf modules that libnetconf2 needs, from the yang directory's
 * ietf/): data crosses between it and the datastore's as JSON text.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "conductor.h"
#include "datastore.h"
#include "nc_ctx.h"
#include "event.h"
#include "log.h"
#include "netconf.h"
#include "netconf_int.h"

#define NC_ENDPT	"ssh"
#define NC_HOSTKEY	"hostkey"
#define NC_SESSION_BASE (1ull << 40) /* peer ids apart from the socket's */

struct netconf *nc_server;

/* ---- jobs: NETCONF threads -> svrd's thread ------------------------------ */

void nc_job_error(struct nc_job *j, NC_ERR tag, const char *path, const char *fmt, ...)
{
	va_list ap;

	j->tag = tag;
	snprintf(j->path, sizeof(j->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
}

int nc_run(struct netconf *n, struct nc_job *j)
{
	uint64_t one = 1;

	pthread_mutex_lock(&n->mu);
	if (n->stop) {
		pthread_mutex_unlock(&n->mu);
		nc_job_error(j, NC_ERR_RES_DENIED, NULL, "svrd is stopping");
		return -1;
	}
	j->done = false;
	j->next = NULL;
	if (n->tail)
		n->tail->next = j;
	else
		n->head = j;
	n->tail = j;
	if (write(n->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("netconf: cannot wake svrd's thread");
	while (!j->done && !n->stop)
		pthread_cond_wait(&n->cv, &n->mu);
	pthread_mutex_unlock(&n->mu);
	if (!j->done) {
		nc_job_error(j, NC_ERR_RES_DENIED, NULL, "svrd is stopping");
		return -1;
	}
	return 0;
}

/* svrd's thread: every job waiting, in order. */
static void on_jobs(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct netconf *n = arg;
	uint64_t count;

	(void)io;
	(void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("netconf: eventfd");
	for (;;) {
		struct nc_job *j;

		pthread_mutex_lock(&n->mu);
		j = n->head;
		if (j && !(n->head = j->next))
			n->tail = NULL;
		pthread_mutex_unlock(&n->mu);
		if (!j)
			return;
		j->fn(n, j);
		pthread_mutex_lock(&n->mu);
		j->done = true;
		pthread_cond_broadcast(&n->cv);
		pthread_mutex_unlock(&n->mu);
	}
}

static bool stopping(struct netconf *n)
{
	bool s;

	pthread_mutex_lock(&n->mu);
	s = n->stop;
	pthread_mutex_unlock(&n->mu);
	return s;
}

/* ---- users ---------------------------------------------------------------- */

/* svrd's thread: the user's keys and role from the running configuration. */
static void user_lookup(struct netconf *n, struct nc_job *j)
{
	const struct lyd_node *run = ds_running(n->d->ds);
	struct ly_set *set = NULL;
	char *xp = NULL;
	int k = 0;

	if (!run || asprintf(&xp, "/opensvr:authority/user[name='%s']", j->user) < 0)
		return;
	if (!strchr(j->user, '\'') && lyd_find_xpath(run, xp, &set) == LY_SUCCESS &&
	    set->count == 1) {
		const struct lyd_node *u = set->dnodes[0], *c;
		size_t nkeys = 0;

		j->found = true;
		LY_LIST_FOR(lyd_child(u), c)
		nkeys++;
		j->keys = calloc(nkeys + 1, sizeof(*j->keys));
		LY_LIST_FOR(lyd_child(u), c)
		{
			if (strcmp(LYD_NAME(c), "authorized-key") == 0 && j->keys)
				j->keys[k++] = strdup(lyd_get_value(c));
			else if (strcmp(LYD_NAME(c), "role") == 0)
				j->admin = strcmp(lyd_get_value(c), "admin") == 0;
		}
	}
	ly_err_clean((struct ly_ctx *)ds_ctx(n->d->ds), NULL);
	ly_set_free(set, NULL);
	free(xp);
}

static void keys_free(char **keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		free(keys[i]);
	free(keys);
}

/* Does "TYPE BASE64 [COMMENT]" hold key? */
static bool key_matches(const char *line, const ssh_key key)
{
	char type[32], b64[8192];
	ssh_key k = NULL;
	bool same;

	if (sscanf(line, "%31s %8191s", type, b64) != 2 ||
	    ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &k) != SSH_OK)
		return false;
	same = ssh_key_cmp(k, key, SSH_KEY_CMP_PUBLIC) == 0;
	ssh_key_free(k);
	return same;
}

/* libnetconf2's public-key check (the accepting thread): 0 lets in. */
static int pubkey_auth(const struct nc_session *session, ssh_key key, void *arg)
{
	struct netconf *n = arg;
	struct nc_job j = {.fn = user_lookup, .user = nc_session_get_username(session)};
	bool ok = false;

	if (!j.user || nc_run(n, &j) < 0)
		return 1;
	for (size_t i = 0; j.keys && j.keys[i] && !ok; i++)
		ok = key_matches(j.keys[i], key);
	keys_free(j.keys);
	if (!ok)
		log_info("netconf: user %s: public key refused", j.user);
	return ok ? 0 : 1;
}

/* svrd's thread: is j->password j->user's enrolment token? */
static void token_check(struct netconf *n, struct nc_job *j)
{
	j->found = conductor_token_ok(n->d, j->user, j->password);
}

/* libnetconf2's password check (the accepting thread): a password is
 * never an operator's, only a router's enrolment token on a conductor
 * (doc/conductor.md).  0 lets in, for the enrol operation alone. */
static int passwd_auth(const struct nc_session *session, const char *password, void *arg)
{
	struct netconf *n = arg;
	struct nc_job j = {
		.fn = token_check, .user = nc_session_get_username(session), .password = password};

	n->accepting_enrol = false;
	if (!j.user || !password || nc_run(n, &j) < 0 || !j.found)
		return 1;
	n->accepting_enrol = true;
	return 0;
}

int netconf_hostkey_pin(const char *state_dir, uint8_t out[32])
{
	char path[4096];
	ssh_key key = NULL, pub = NULL;
	unsigned char *hash = NULL;
	size_t len = 0;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/netconf/ssh_host_ed25519_key", state_dir);
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) == SSH_OK &&
	    ssh_pki_export_privkey_to_pubkey(key, &pub) == SSH_OK &&
	    ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0 && len == 32) {
		memcpy(out, hash, 32);
		rc = 0;
	}
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(pub);
	ssh_key_free(key);
	return rc;
}

/* ---- sessions ------------------------------------------------------------- */

static void sess_free(void *p)
{
	struct nc_sess *ss = p;

	if (ss)
		lyd_free_siblings(ss->filter);
	free(ss);
}

/* The accepting thread: a session is in; say who it is and poll it. */
/* A call-home session: its certificate's common name must be the
 * conductor's (callhome.c); then it is an admin's. */
static bool conductor_is(struct netconf *n, const char *cn)
{
	char *name = nc_link_conductor(n);
	bool ok = name && cn && !strcmp(name, cn);

	if (!ok)
		log_warnx("netconf: calling home: %s is not the conductor (%s): session dropped",
			  cn ? cn : "(no name)", name ? name : "not enrolled");
	free(name);
	return ok;
}

/* Who the session is: an authority user (its role), a router with its
 * enrolment token, or the conductor called home; false: no one. */
static bool identify(struct netconf *n, struct nc_session *s, bool callhome, struct nc_sess *ss)
{
	struct nc_job j = {.fn = user_lookup, .user = nc_session_get_username(s)};
	bool enrol = !callhome && n->accepting_enrol && nc_session_get_ti(s) == NC_TI_LIBSSH;

	if (!callhome)
		n->accepting_enrol = false;
	if (!j.user)
		return false;
	snprintf(ss->peer.user, sizeof(ss->peer.user), "%s", j.user);
	if (callhome)
		return (ss->peer.admin = ss->conductor = conductor_is(n, j.user));
	if (enrol)
		return (ss->enrol = true); /* a router with its token, not a user */
	if (nc_run(n, &j) < 0 || !j.found) {
		if (!j.found)
			log_info("netconf: %s is no user of the authority: session refused",
				 j.user);
		keys_free(j.keys);
		return false;
	}
	keys_free(j.keys);
	ss->peer.admin = j.admin;
	return true;
}

void nc_session_in(struct netconf *n, struct nc_session *s, bool callhome)
{
	struct nc_sess *ss = calloc(1, sizeof(*ss));

	if (!ss || !identify(n, s, callhome, ss)) {
		free(ss);
		nc_session_free(s, NULL);
		return;
	}
	ss->nc_id = nc_session_get_id(s);
	ss->peer.id = NC_SESSION_BASE + ss->nc_id;
	ss->peer.pid = -1;
	nc_session_set_data(s, ss);
	log_info("netconf: session %u: %s %s (%s)", ss->nc_id,
		 callhome    ? "the conductor"
		 : ss->enrol ? "router"
			     : "user",
		 ss->peer.user,
		 callhome	  ? "called home"
		 : ss->enrol	  ? "enrolment"
		 : ss->peer.admin ? "admin"
				  : "read-only");
	if (nc_ps_add_session(n->ps, s) < 0)
		nc_session_free(s, sess_free);
}

static void *accept_thread(void *arg)
{
	struct netconf *n = arg;

	while (!stopping(n)) {
		struct nc_session *s = NULL;
		NC_MSG_TYPE m = nc_accept(500, &s);

		if (m == NC_MSG_HELLO && s)
			nc_session_in(n, s, false);
		else if (s)
			nc_session_free(s, NULL);
	}
	return NULL;
}

/* The polling thread: a session ended; svrd's thread forgets it. */
static void session_end(struct netconf *n, struct nc_session *s)
{
	struct nc_sess *ss = nc_session_get_data(s);
	struct nc_job j = {.fn = nc_session_gone, .sess = ss};

	pthread_mutex_lock(&n->sessions_mu);
	nc_ps_del_session(n->ps, s);
	pthread_mutex_unlock(&n->sessions_mu);
	if (ss) {
		nc_run(n, &j);
		log_info("netconf: session %u of %s ended", ss->nc_id, ss->peer.user);
	}
	nc_session_free(s, sess_free);
}

static void *poll_thread(void *arg)
{
	struct netconf *n = arg;

	while (!stopping(n)) {
		struct nc_session *s = NULL;
		int r = nc_ps_poll(n->ps, 200, &s);

		if (r & NC_PSPOLL_NOSESSIONS)
			usleep(100 * 1000);
		if ((r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) && s)
			session_end(n, s);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------- */

/* The host key: made once (ed25519), then the same at every start, so
 * clients that know it keep trusting it. */
static int hostkey_path(const char *state_dir, char *path, size_t len, char *err, size_t errlen)
{
	ssh_key key = NULL;
	char dir[2048];

	snprintf(dir, sizeof(dir), "%s/netconf", state_dir);
	if ((size_t)snprintf(path, len, "%s/ssh_host_ed25519_key", dir) >= len) {
		snprintf(err, errlen, "netconf: the state directory's name is too long");
		return -1;
	}
	if (access(path, R_OK) == 0)
		return 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "netconf: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) != SSH_OK) {
		ssh_key_free(key);
		snprintf(err, errlen, "netconf: cannot make the SSH host key %s", path);
		return -1;
	}
	ssh_key_free(key);
	chmod(path, 0600);
	log_info("netconf: made the SSH host key %s", path);
	return 0;
}

static int hostkey_cb(const char *name, void *arg, char **privkey_path, char **privkey_data,
		      NC_SSH_KEY_TYPE *privkey_type)
{
	(void)name;
	(void)privkey_data;
	(void)privkey_type;
	*privkey_path = strdup(arg);
	return *privkey_path ? 0 : 1;
}

/* The NETCONF context (nc_ctx.h); get-schema is ours (netconf_rpc.c):
 * the library keeps a callback it finds set. */
static struct ly_ctx *nc_context(const char *yang_dir, char *err, size_t errlen)
{
	struct ly_ctx *ctx = nc_ctx_new(yang_dir, 0);
	struct lysc_node *gs;

	if (!ctx) {
		snprintf(err, errlen, "netconf: cannot load the YANG modules from %s", yang_dir);
		return NULL;
	}
	gs = (struct lysc_node *)lys_find_path(ctx, NULL, "/ietf-netconf-monitoring:get-schema", 0);
	if (gs)
		nc_set_rpc_callback(gs, nc_rpc_dispatch);
	return ctx;
}

/* "[ADDRESS:]PORT" (an IPv6 address in brackets) */
static int parse_listen(const char *listen, char *addr, size_t len, uint16_t *port)
{
	const char *colon = strrchr(listen, ':');
	const char *p = colon ? colon + 1 : listen;
	char *end;
	unsigned long v = strtoul(p, &end, 10);

	if (!*p || *end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	if (!colon) {
		snprintf(addr, len, "::");
		return 0;
	}
	if (listen[0] == '[' && colon > listen && colon[-1] == ']')
		snprintf(addr, len, "%.*s", (int)(colon - listen - 2), listen + 1);
	else
		snprintf(addr, len, "%.*s", (int)(colon - listen), listen);
	return 0;
}

static int ssh_endpoint(const char *listen, char *key, char *err, size_t errlen)
{
	char addr[128];
	uint16_t port;

	if (parse_listen(listen, addr, sizeof(addr), &port) < 0) {
		snprintf(err, errlen, "--netconf %s: not [ADDRESS:]PORT", listen);
		free(key);
		return -1;
	}
	nc_server_ssh_set_hostkey_clb(hostkey_cb, key, free);
	if (nc_server_add_endpt(NC_ENDPT, NC_TI_LIBSSH) ||
	    nc_server_ssh_endpt_add_hostkey(NC_ENDPT, NC_HOSTKEY, -1) ||
	    /* passwords: only routers' enrolment tokens (passwd_auth) */
	    nc_server_ssh_endpt_set_auth_methods(NC_ENDPT,
						 NC_SSH_AUTH_PUBLICKEY | NC_SSH_AUTH_PASSWORD) ||
	    nc_server_ssh_endpt_set_auth_attempts(NC_ENDPT, 3) ||
	    nc_server_ssh_endpt_set_auth_timeout(NC_ENDPT, 10) ||
	    nc_server_endpt_set_address(NC_ENDPT, addr) ||
	    nc_server_endpt_set_port(NC_ENDPT, port)) {
		snprintf(err, errlen, "netconf: cannot listen on %s port %u", addr, port);
		return -1;
	}
	return 0;
}

static int tls_endpoint(struct netconf *n, const char *listen, char *err, size_t errlen)
{
	char addr[128];
	uint16_t port;

	if (parse_listen(listen, addr, sizeof(addr), &port) < 0) {
		snprintf(err, errlen, "--netconf-tls %s: not [ADDRESS:]PORT", listen);
		return -1;
	}
	return nc_tls_start(n, addr, port, err, errlen);
}

static void nc_log_cb(NC_VERB_LEVEL level, const char *msg)
{
	if (level == NC_VERB_ERROR)
		log_warnx("netconf: %s", msg);
	else if (level == NC_VERB_WARNING)
		log_info("netconf: %s", msg);
}

static void ch_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	(void)diff;
	(void)running;
	nc_callhome_update(arg);
}

/* Call home now, and again whenever the authority changes (its
 * conductor-address list, this node's role). */
static void nc_callhome_follow(struct netconf *n)
{
	static const struct ds_sub sub_template = {
		.name = "netconf-callhome",
		.path = "/opensvr:authority",
		.apply = ch_apply,
	};
	struct ds_sub sub = sub_template;
	struct ds_errs e = {0};

	sub.arg = n;
	if (ds_subscribe(n->d->ds, &sub, &e) < 0)
		log_warnx("netconf: calling home will not follow commits");
	ds_errs_free(&e);
	nc_callhome_update(n);
}

void netconf_callhome_update(struct netconf *n)
{
	if (n)
		nc_callhome_update(n);
}

struct netconf *netconf_start(struct svrd *d, const char *ssh, const char *tls, char *err,
			      size_t errlen)
{
	struct netconf *n = calloc(1, sizeof(*n));
	char path[4096], *key;

	if (!n || nc_server) {
		free(n);
		snprintf(err, errlen, "netconf: one server only");
		return NULL;
	}
	n->d = d;
	n->efd = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_mutex_init(&n->sessions_mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	pthread_cond_init(&n->ncv, NULL);
	nc_server = n;
	nc_set_print_clb(nc_log_cb);
	nc_verbosity(NC_VERB_WARNING);
	if ((ssh && hostkey_path(d->state_dir, path, sizeof(path), err, errlen) < 0) ||
	    !(n->ctx = nc_context(d->yang_dir, err, errlen)))
		goto fail;
	if (nc_server_init(n->ctx) < 0 ||
	    nc_server_set_capab_withdefaults(NC_WD_EXPLICIT, NC_WD_ALL | NC_WD_TRIM) < 0 ||
	    /* RFC 5277: served here (netconf_notif.c), RPCs go on meanwhile */
	    nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0") ||
	    nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0")) {
		snprintf(err, errlen, "netconf: cannot start the NETCONF server");
		goto fail;
	}
	nc_set_global_rpc_clb(nc_rpc_dispatch);
	nc_tls_callbacks(n);
	nc_server_ssh_set_pubkey_auth_clb(pubkey_auth, n, NULL);
	nc_server_ssh_set_passwd_auth_clb(passwd_auth, n, NULL);
	if (ssh && (!(key = strdup(path)) || ssh_endpoint(ssh, key, err, errlen) < 0))
		goto fail;
	if (tls && tls_endpoint(n, tls, err, errlen) < 0)
		goto fail;
	n->ps = nc_ps_new();
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!n->ps || n->efd < 0 || !(n->io = ev_io_add(d->loop, n->efd, EV_READ, on_jobs, n))) {
		snprintf(err, errlen, "netconf: cannot set up its threads");
		goto fail;
	}
	nc_notif_start(n);
	if (pthread_create(&n->accept_thr, NULL, accept_thread, n) != 0 ||
	    pthread_create(&n->poll_thr, NULL, poll_thread, n) != 0 ||
	    pthread_create(&n->notif_thr, NULL, nc_notif_thread, n) != 0) {
		snprintf(err, errlen, "netconf: cannot start its threads");
		fatalx("%s", err); /* some started: no clean way back */
	}
	n->threads = true;
	nc_callhome_follow(n);
	if (ssh)
		log_info("netconf: serving NETCONF over SSH on %s", ssh);
	if (tls)
		log_info("netconf: serving NETCONF over TLS on %s", tls);
	return n;
fail:
	netconf_stop(n);
	return NULL;
}

void netconf_stop(struct netconf *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_broadcast(&n->cv);
	pthread_cond_broadcast(&n->ncv);
	pthread_mutex_unlock(&n->mu);
	if (n->threads) {
		pthread_join(n->accept_thr, NULL);
		pthread_join(n->poll_thr, NULL);
		pthread_join(n->notif_thr, NULL);
	}
	nc_notif_stop(n);
	nc_callhome_stop(n);
	if (n->ps) {
		nc_ps_clear(n->ps, 1, sess_free);
		nc_ps_free(n->ps);
	}
	nc_server_destroy();
	ev_io_del(n->io);
	if (n->efd >= 0)
		close(n->efd);
	ly_ctx_destroy(n->ctx);
	free(n->persist);
	free(n->ch_addresses);
	pthread_cond_destroy(&n->cv);
	pthread_cond_destroy(&n->ncv);
	pthread_mutex_destroy(&n->sessions_mu);
	pthread_mutex_destroy(&n->mu);
	nc_server = NULL;
	free(n);
}
