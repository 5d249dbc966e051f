/* The conductor's side of call home (RFC 8071, doc/conductor.md): it
 * listens on TCP 4335 for its routers and is the TLS client and NETCONF
 * client of each session, presenting the conductor's certificate and
 * trusting the authority's CA alone (and its revocation list).
 *
 * Who calls is what its certificate says: the common name is a router's
 * peering-common-name, and a certificate the authority's CA did not
 * issue, one revoked, or one for no router of the authority gets
 * nothing.  The TLS handshake is ours (OpenSSL), so the conductor sees
 * the certificate; libnetconf2 then speaks NETCONF on the connection.
 *
 * Threads: one accepts, CH_WORKERS take calls (handshake, hello, the
 * router's state, catching it up), one checks every few seconds that
 * each session is still there (a poll of every socket, TCP keepalive for
 * silent losses) and brings the stragglers up to date.  svrd's thread
 * reads the assets under the lock.  A push (conductor_push.c) holds the
 * sessions (`use`) from prepare to confirm; callers wait meanwhile. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <nc_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conductor.h"
#include "conductor_int.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "nc_ctx.h"
#include "pki_ca.h"
#include "pkiconf.h"
#include "svrd.h"

#define CH_PORT	       4335
#define CH_CHECK_MS    5000  /* how often every session is looked at */
#define CH_RETRY_S     15    /* a router that refused its catch-up is asked again */
#define CH_ASK_S       60    /* each router's state is asked at least this often */
#define CH_WAIT_MS     5000  /* a get's answer */
#define CH_HELLO_MS    10000 /* a caller's TLS handshake */
#define CH_WORKERS     4
#define CH_HELLO_MAX_S 15   /* a NETCONF hello, get-schemas and all */
#define CH_QUEUE       8192 /* calls accepted, not yet taken */
#define CH_BACKLOG     4096

struct conductor_ch {
	char cert[4200], key[4200], ca[4200];
	pthread_t thr, checker, workers[CH_WORKERS];
	int nworkers;
	bool checking;
	pthread_mutex_t mu;  /* the list, stop, the configuration, tls, the queue */
	pthread_cond_t cv;   /* the queue */
	pthread_mutex_t use; /* the sessions: a worker, the checker or a push */
	bool stop;
	int lfd;
	int queue[CH_QUEUE];
	size_t qhead, qlen;
	struct asset *assets;
	struct ly_ctx *ctx;
	SSL_CTX *tls;
	struct cparts *parts; /* the authority as running has it, per router */
	uint32_t version;     /* ... and its commit */
	char *ca_pem;	      /* the authority's CA, pushed as trusted */
	char *crl;	      /* the revocation list, or NULL */
	unsigned crl_gen;     /* bumped at each new list */
	uint64_t *revoked;    /* the serials it revokes, sorted */
	size_t nrevoked;
	struct asset **held;	   /* a push's routers, between prepare and confirm */
	struct cparts *held_parts; /* ... and what they were given */
	size_t nheld;
	struct {
		int fd; /* -1: none, or cut */
		bool busy;
		int64_t deadline; /* monotonic ms */
		char router[64];
	} hello[CH_WORKERS];	  /* hellos under way (watch_hellos) */
	conductor_issue_fn issue; /* renewals: the conductor's CA */
	void *issue_arg;
	struct renewal {
		char router[64];
		int64_t at;
	} * renewed; /* when each router was last renewed (no reissue loop) */
	size_t nrenewed;
};

pthread_rwlock_t conductor_nc_lock = PTHREAD_RWLOCK_INITIALIZER;

static int64_t now_s(void)
{
	return (int64_t)(ev_wallclock_ms() / 1000);
}

static void quiet(NC_VERB_LEVEL level, const char *msg)
{
	if (level == NC_VERB_ERROR)
		log_info("conductor: call home: %s", msg);
}

static bool stopping(struct conductor_ch *ch)
{
	bool stop;

	pthread_mutex_lock(&ch->mu);
	stop = ch->stop;
	pthread_mutex_unlock(&ch->mu);
	return stop;
}

/* ---- TLS ------------------------------------------------------------------ */

/* The conductor's TLS client context: its certificate, the authority's CA
 * alone, and the revocation list when there is one.  NULL on error. */
static SSL_CTX *make_tls(const struct conductor_ch *ch, const char *crl_pem)
{
	SSL_CTX *t = SSL_CTX_new(TLS_client_method());
	X509_STORE *store = t ? SSL_CTX_get_cert_store(t) : NULL;
	BIO *bio = NULL;
	X509_CRL *crl = NULL;

	if (!t || !SSL_CTX_set_min_proto_version(t, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(t, ch->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t, ch->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t) != 1 ||
	    SSL_CTX_load_verify_locations(t, ch->ca, NULL) != 1)
		goto fail;
	if (crl_pem) {
		if (!(bio = BIO_new_mem_buf(crl_pem, -1)) ||
		    !(crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) ||
		    X509_STORE_add_crl(store, crl) != 1)
			goto fail;
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	SSL_CTX_set_verify(t, SSL_VERIFY_PEER, NULL);
	X509_CRL_free(crl);
	BIO_free(bio);
	return t;
fail:
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(bio);
	SSL_CTX_free(t);
	return NULL;
}

/* The TLS handshake on fd (non-blocking), within CH_HELLO_MS. */
static bool handshake(SSL *ssl, int fd)
{
	int64_t end = (int64_t)ev_now_ms() + CH_HELLO_MS;

	for (;;) {
		int rc = SSL_connect(ssl), e = SSL_get_error(ssl, rc);
		struct pollfd p = {.fd = fd};
		int64_t left = end - (int64_t)ev_now_ms();

		if (rc == 1)
			return true;
		if (e == SSL_ERROR_WANT_READ)
			p.events = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			p.events = POLLOUT;
		else
			return false;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
	}
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	return t && ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

/* The common name, serial and dates of the peer's (verified)
 * certificate. */
static bool peer_cert(SSL *ssl, char *out, size_t len, struct asset *a)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int n = cert ? X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out,
						 (int)len)
		     : -1;
	bool ok = n > 0 && SSL_get_verify_result(ssl) == X509_V_OK &&
		  ASN1_INTEGER_get_uint64(&a->serial, X509_get0_serialNumber(cert)) == 1;

	if (ok) {
		a->not_before = asn1_seconds(X509_get0_notBefore(cert));
		a->not_after = asn1_seconds(X509_get0_notAfter(cert));
	}
	X509_free(cert);
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The serials a revocation list (PEM) revokes, sorted; NULL when none. */
static uint64_t *revoked_serials(const char *pem, size_t *n)
{
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509_CRL *crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	STACK_OF(X509_REVOKED) *revs = crl ? X509_CRL_get_REVOKED(crl) : NULL;
	int k = revs ? sk_X509_REVOKED_num(revs) : 0;
	uint64_t *v = k > 0 ? calloc((size_t)k, sizeof(*v)) : NULL;

	*n = 0;
	for (int i = 0; v && i < k; i++)
		if (ASN1_INTEGER_get_uint64(&v[*n], X509_REVOKED_get0_serialNumber(
							    sk_X509_REVOKED_value(revs, i))) == 1)
			(*n)++;
	if (v)
		qsort(v, *n, sizeof(*v), cmp_u64);
	X509_CRL_free(crl);
	BIO_free(bio);
	ERR_clear_error();
	return v;
}

/* ---- a router's state ----------------------------------------------------- */

#define STATE_FILTER                                                                               \
	"<authority-state xmlns=\"urn:opensvr:yang:opensvr\"><router><name/>"                      \
	"<software-version/><conductor-version/><local-override/></router></authority-state>"

/* A get on s: 0 with the reply's data in *op (may be NULL), or -1 when
 * the router does not answer. */
static int ask(struct nc_session *s, const char *filter, struct lyd_node **op)
{
	struct nc_rpc *rpc = nc_rpc_get(filter, NC_WD_UNKNOWN, NC_PARAMTYPE_CONST);
	struct lyd_node *envp = NULL;
	uint64_t id;
	int rc = -1;

	*op = NULL;
	if (rpc && nc_send_rpc(s, rpc, CH_WAIT_MS, &id) == NC_MSG_RPC &&
	    nc_recv_reply(s, rpc, id, CH_WAIT_MS, &envp, op) == NC_MSG_REPLY)
		rc = 0;

	nc_rpc_free(rpc);
	lyd_free_all(envp);
	return rc;
}

/* A leaf of the (one) router in a reply's authority-state, or NULL. */
static const char *state_leaf(const struct lyd_node *tree, const char *leaf)
{
	char path[128];
	struct ly_set *set = NULL;
	const char *v = NULL;

	snprintf(path, sizeof(path), "/opensvr:authority-state/router/%s", leaf);
	if (tree && lyd_find_xpath(tree, path, &set) == LY_SUCCESS && set->count)
		v = lyd_get_value(set->dnodes[0]);
	ly_set_free(set, NULL);
	return v;
}

/* The router's software and the conductor's commit it runs (0: not
 * known to be any), from its operational state.  false: no answer. */
static bool router_state(struct conductor_ch *ch, struct asset *a)
{
	struct lyd_node *op = NULL, *data = NULL, *tree = NULL;
	const struct lyd_node_any *any;
	const char *v;
	bool ok;

	pthread_rwlock_rdlock(&conductor_nc_lock);
	if ((ok = ask(a->s, STATE_FILTER, &op) == 0)) {
		if (op && lyd_find_path(op, "data", 1, &data) == LY_SUCCESS && data &&
		    (any = (const struct lyd_node_any *)data)->value_type == LYD_ANYDATA_DATATREE)
			tree = any->value.tree;
		pthread_mutex_lock(&ch->mu); /* show assets reads them */
		a->version = (v = state_leaf(tree, "conductor-version"))
				     ? (uint32_t)strtoul(v, NULL, 10)
				     : 0;
		snprintf(a->software, sizeof(a->software), "%s",
			 state_leaf(tree, "software-version") ?: "");
		v = state_leaf(tree, "local-override");
		a->override = v && !strcmp(v, "true");
		pthread_mutex_unlock(&ch->mu);
	}
	lyd_free_all(op);
	pthread_rwlock_unlock(&conductor_nc_lock);
	return ok;
}

/* ---- the assets ----------------------------------------------------------- */

static void asset_free(struct asset *a)
{
	if (a && a->s) { /* a <close-session> goes, with the shared context */
		pthread_rwlock_rdlock(&conductor_nc_lock);
		nc_session_free(a->s, NULL);
		pthread_rwlock_unlock(&conductor_nc_lock);
	}
	free(a);
}

static struct cparts *parts_now(struct conductor_ch *ch, uint32_t *version)
{
	struct cparts *p;

	pthread_mutex_lock(&ch->mu);
	p = cparts_ref(ch->parts);
	*version = ch->version;
	pthread_mutex_unlock(&ch->mu);
	return p;
}

/* Bring a up to the configuration now (with `use` held), and the
 * revocation list. */
static void catch_up(struct conductor_ch *ch, struct asset *a)
{
	uint32_t version;
	struct cparts *parts = parts_now(ch, &version);
	char *crl;
	unsigned gen;

	if (parts && version && a->version != version && !a->override) {
		uint32_t was = a->version;

		if (conductor_sync(a, parts, version) == 0)
			log_info("conductor: router %s was behind (at %u): it runs commit %u now",
				 a->router, was, version);
		a->retry_at = now_s() + CH_RETRY_S;
	}
	cparts_free(parts);
	pthread_mutex_lock(&ch->mu);
	crl = ch->crl && a->crl_gen != ch->crl_gen ? strdup(ch->crl) : NULL;
	gen = ch->crl_gen;
	pthread_mutex_unlock(&ch->mu);
	if (crl && conductor_send_crl(a, crl) == 0)
		a->crl_gen = gen;
	free(crl);
}

/* A router called and said who it is: it replaces its earlier session. */
static void arrived(struct conductor_ch *ch, struct asset *a)
{
	struct asset **p, *old = NULL;

	pthread_mutex_lock(&ch->use);
	catch_up(ch, a);
	pthread_mutex_lock(&ch->mu);
	for (p = &ch->assets; *p; p = &(*p)->next)
		if (!strcmp((*p)->router, a->router)) {
			old = *p;
			*p = old->next;
			break;
		}
	a->next = ch->assets;
	ch->assets = a;
	pthread_mutex_unlock(&ch->mu);
	asset_free(old);
	pthread_mutex_unlock(&ch->use);
	log_info("conductor: router %s called home from %s (%s)", a->router, a->host,
		 a->software[0] ? a->software : "software not said");
}

static bool is_revoked(struct conductor_ch *ch, const struct asset *a);
static int hello_begin(struct conductor_ch *ch, int fd, const char *router);
static void hello_end(struct conductor_ch *ch, int slot);

/* A call on fd from host: TLS, who it is, NETCONF, its state. */
static void take_call(struct conductor_ch *ch, int fd, const char *host)
{
	struct asset *a = calloc(1, sizeof(*a));
	struct cparts *parts;
	uint32_t version;
	SSL *ssl = NULL;
	char cn[256] = "";
	const char *router;
	int slot;

	pthread_mutex_lock(&ch->mu);
	ssl = ch->tls ? SSL_new(ch->tls) : NULL;
	pthread_mutex_unlock(&ch->mu);
	if (!a || !ssl || SSL_set_fd(ssl, fd) != 1 || !handshake(ssl, fd) ||
	    !peer_cert(ssl, cn, sizeof(cn), a)) {
		log_info("conductor: a call from %s was refused: %s", host,
			 ssl ? "no valid certificate of the authority" : "out of memory");
		goto drop;
	}
	if (is_revoked(ch, a)) { /* the TLS check has it too, unless that list failed */
		log_info("conductor: a call from %s was refused: %s's certificate is revoked", host,
			 cn);
		goto drop;
	}
	parts = parts_now(ch, &version);
	router = cparts_router_of_pcn(parts, cn);
	if (router)
		snprintf(a->router, sizeof(a->router), "%s", router);
	cparts_free(parts);
	if (!router) {
		log_warnx("conductor: a call from %s was refused: %s is no router of the authority",
			  host, cn);
		goto drop;
	}
	slot = hello_begin(ch, fd, a->router);
	pthread_rwlock_wrlock(&conductor_nc_lock);
	a->s = nc_connect_libssl(ssl, ch->ctx); /* the session owns ssl and fd now */
	pthread_rwlock_unlock(&conductor_nc_lock);
	hello_end(ch, slot);
	if (!a->s) {
		log_warnx("conductor: router %s (%s) did not speak NETCONF", a->router, host);
		goto drop;
	}
	a->fd = fd;
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->since = a->last = now_s();
	a->next_ask = a->since + CH_ASK_S + (int64_t)(a->serial % CH_ASK_S); /* spread */
	if (!router_state(ch, a)) {
		log_warnx("conductor: router %s (%s) did not say its state", a->router, host);
		asset_free(a);
		return;
	}
	arrived(ch, a);
	return;
drop:
	if (ssl)
		SSL_free(ssl);
	close(fd);
	free(a);
}

static void *worker(void *arg)
{
	struct conductor_ch *ch = arg;

	for (;;) {
		int fd;
		char host[INET6_ADDRSTRLEN + 8] = "?";
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		pthread_mutex_lock(&ch->mu);
		while (!ch->stop && !ch->qlen)
			pthread_cond_wait(&ch->cv, &ch->mu);
		if (ch->stop) {
			pthread_mutex_unlock(&ch->mu);
			return NULL;
		}
		fd = ch->queue[ch->qhead];
		ch->qhead = (ch->qhead + 1) % CH_QUEUE;
		ch->qlen--;
		pthread_mutex_unlock(&ch->mu);
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET6) {
				const struct sockaddr_in6 *s6 = (const void *)&ss;

				inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			} else if (ss.ss_family == AF_INET) {
				inet_ntop(
					AF_INET,
					&((const struct sockaddr_in *)(const void *)&ss)->sin_addr,
					host, sizeof(host));
			}
		}
		if (!strncmp(host, "::ffff:", 7) && strchr(host + 7, '.'))
			memmove(host, host + 7, strlen(host + 7) + 1); /* IPv4, as it is written */
		take_call(ch, fd, host);
	}
}

/* ---- the checker ---------------------------------------------------------- */

/* A new certificate for a, due or asked for; tried again in an hour when
 * it fails (with `use` held). */
static void renew(struct conductor_ch *ch, struct asset *a, const struct cparts *parts)
{
	struct renewal *r = NULL;
	char err[512];
	int64_t now = now_s();

	for (size_t i = 0; i < ch->nrenewed && !r; i++)
		if (!strcmp(ch->renewed[i].router, a->router))
			r = &ch->renewed[i];
	if (!a->renew_now && r && now - r->at < 86400) {
		/* renewed today, yet it calls with a certificate due: it did not
		 * take the new one (or lies); no certificate a call */
		a->renew_at = now + 3600;
		log_warnx("conductor: router %s still presents a certificate due for renewal, "
			  "renewed at %lld: not renewed again today",
			  a->router, (long long)r->at);
		return;
	}
	a->renew_now = false;
	if (!ch->issue || conductor_renew(a, cparts_pcn_of(parts, a->router) ?: a->router,
					  ch->issue, ch->issue_arg, err, sizeof(err)) < 0) {
		a->renew_at = now + 3600;
		log_warnx("conductor: router %s's certificate was not renewed: %s", a->router,
			  ch->issue ? err : "no CA");
		return;
	}
	if (!r) {
		struct renewal *v = realloc(ch->renewed, (ch->nrenewed + 1) * sizeof(*v));

		if (!v)
			return;
		ch->renewed = v;
		r = &v[ch->nrenewed++];
		snprintf(r->router, sizeof(r->router), "%s", a->router);
	}
	r->at = now;
}

/* Was a's certificate revoked since it called? */
static bool is_revoked(struct conductor_ch *ch, const struct asset *a)
{
	bool r;

	pthread_mutex_lock(&ch->mu);
	r = ch->revoked &&
	    bsearch(&a->serial, ch->revoked, ch->nrevoked, sizeof(uint64_t), cmp_u64) != NULL;
	pthread_mutex_unlock(&ch->mu);
	return r;
}

/* Is each router still there?  A session whose socket has something to
 * say (the router closed it, or TCP keepalive gave up) is asked; the ones
 * that do not answer go.  Routers behind are caught up, routers no longer
 * in the authority are let go. */
static void check(struct conductor_ch *ch)
{
	uint32_t version;
	struct cparts *parts = parts_now(ch, &version);
	struct asset **p = &ch->assets;
	int64_t now = now_s();
	unsigned gen;

	pthread_mutex_lock(&ch->mu);
	gen = ch->crl_gen;
	pthread_mutex_unlock(&ch->mu);

	for (;;) {
		struct asset *a, *gone = NULL;
		struct pollfd pf;
		bool alive = true, member;

		pthread_mutex_lock(&ch->mu);
		a = *p;
		pthread_mutex_unlock(&ch->mu);
		if (!a)
			break;
		pf = (struct pollfd){.fd = a->fd, .events = POLLIN | POLLRDHUP};
		/* asked when its socket stirs, and once a minute anyway (spread
		 * over the rounds): local override, a change made on the
		 * router, a new software version show within a minute; in local
		 * override, every round (has it ended?) */
		if (a->override || now >= a->next_ask || poll(&pf, 1, 0) > 0) {
			alive = router_state(ch, a);
			a->next_ask = now + CH_ASK_S;
		}
		member = (!parts || cparts_router_of_name(parts, a->router)) && !is_revoked(ch, a);
		if (alive && member && (a->crl_gen != gen || a->version != version) &&
		    now >= a->retry_at)
			catch_up(ch, a);
		if (alive && member && now >= a->renew_at &&
		    (a->renew_now || pki_renewal_due(a->not_before, a->not_after, now)))
			renew(ch, a, parts);
		pthread_mutex_lock(&ch->mu);
		if (alive && member) {
			a->last = now;
			p = &a->next;
		} else {
			gone = a;
			*p = a->next;
		}
		pthread_mutex_unlock(&ch->mu);
		if (gone) {
			log_info("conductor: router %s is %s (called home from %s)", gone->router,
				 member ? "gone" : "no longer in the authority, or revoked",
				 gone->host);
			asset_free(gone);
		}
	}
	cparts_free(parts);
}

static void *check_thread(void *arg)
{
	struct conductor_ch *ch = arg;

	while (!stopping(ch)) {
		for (int i = 0; i < CH_CHECK_MS / 100 && !stopping(ch); i++)
			usleep(100 * 1000);
		pthread_mutex_lock(&ch->use);
		check(ch);
		pthread_mutex_unlock(&ch->use);
	}
	return NULL;
}

/* ---- accepting ------------------------------------------------------------ */

static int listen_on(int port)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1, off = 0;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, CH_BACKLOG) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A silent loss (a cable, a NAT that forgot) shows within a minute or
 * so: TCP keepalive after 30 s idle, every 10 s, 3 tries.  And no Nagle,
 * as on the sockets libnetconf2 opens itself: a message's last small write
 * waiting for the ACK of the one before cost 40 ms per RPC. */
static void keepalive(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* The hellos under way that took too long are cut (shutdown: the
 * worker's read fails at once).  libnetconf2 waits up to 300 s for a
 * get-schema it sends during the hello, while the hello holds the shared
 * context: a router that never answers would stall every session. */
static void watch_hellos(struct conductor_ch *ch)
{
	int64_t now = (int64_t)ev_now_ms();

	pthread_mutex_lock(&ch->mu);
	for (int i = 0; i < CH_WORKERS; i++)
		if (ch->hello[i].fd >= 0 && now >= ch->hello[i].deadline) {
			log_warnx("conductor: router %s took more than %d s to say hello: cut",
				  ch->hello[i].router, CH_HELLO_MAX_S);
			shutdown(ch->hello[i].fd, SHUT_RDWR);
			ch->hello[i].fd = -1;
		}
	pthread_mutex_unlock(&ch->mu);
}

/* A hello under way, watched; the slot, or -1 when none is free. */
static int hello_begin(struct conductor_ch *ch, int fd, const char *router)
{
	int slot = -1;

	pthread_mutex_lock(&ch->mu);
	for (int i = 0; i < CH_WORKERS && slot < 0; i++)
		if (ch->hello[i].fd < 0 && !ch->hello[i].busy)
			slot = i;
	if (slot >= 0) {
		ch->hello[slot].fd = fd;
		ch->hello[slot].busy = true;
		ch->hello[slot].deadline = (int64_t)ev_now_ms() + CH_HELLO_MAX_S * 1000;
		snprintf(ch->hello[slot].router, sizeof(ch->hello[slot].router), "%s", router);
	}
	pthread_mutex_unlock(&ch->mu);
	return slot;
}

static void hello_end(struct conductor_ch *ch, int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->hello[slot].fd = -1;
	ch->hello[slot].busy = false;
	pthread_mutex_unlock(&ch->mu);
}

static void *ch_thread(void *arg)
{
	struct conductor_ch *ch = arg;

	while (!stopping(ch)) {
		struct pollfd pf = {.fd = ch->lfd, .events = POLLIN};
		int fd;

		watch_hellos(ch);
		if (poll(&pf, 1, 500) <= 0)
			continue;
		while ((fd = accept4(ch->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
		       errno == EMFILE || errno == ENFILE) {
			if (fd < 0) { /* out of descriptors: wait rather than spin */
				static int64_t said;

				if (now_s() - said >= 10) {
					log_warnx("conductor: out of file descriptors: calls wait");
					said = now_s();
				}
				usleep(200 * 1000);
				break;
			}
			keepalive(fd);
			pthread_mutex_lock(&ch->mu);
			if (ch->qlen == CH_QUEUE) {
				close(fd); /* a storm beyond what waits: the router calls again */
			} else {
				ch->queue[(ch->qhead + ch->qlen++) % CH_QUEUE] = fd;
				pthread_cond_signal(&ch->cv);
			}
			pthread_mutex_unlock(&ch->mu);
		}
	}
	return NULL;
}

static void ch_free(struct conductor_ch *ch)
{
	while (ch->assets) {
		struct asset *a = ch->assets;

		ch->assets = a->next;
		asset_free(a);
	}
	while (ch->qlen--) {
		close(ch->queue[ch->qhead]);
		ch->qhead = (ch->qhead + 1) % CH_QUEUE;
	}
	if (ch->lfd >= 0)
		close(ch->lfd);
	SSL_CTX_free(ch->tls);
	ly_ctx_destroy(ch->ctx);
	cparts_free(ch->parts);
	free(ch->ca_pem);
	free(ch->crl);
	free(ch->revoked);
	free(ch->renewed);
	cparts_free(ch->held_parts);
	free(ch->held);
	pthread_cond_destroy(&ch->cv);
	pthread_mutex_destroy(&ch->mu);
	pthread_mutex_destroy(&ch->use);
	free(ch);
}

struct conductor_ch *conductor_ch_start(const char *cert, const char *key, const char *ca,
					const char *yang_dir, conductor_issue_fn issue, void *arg)
{
	struct conductor_ch *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->issue = issue;
	ch->issue_arg = arg;
	snprintf(ch->cert, sizeof(ch->cert), "%s", cert);
	snprintf(ch->key, sizeof(ch->key), "%s", key);
	snprintf(ch->ca, sizeof(ch->ca), "%s", ca);
	ch->ca_pem = pkiconf_read_text(ca);
	pthread_mutex_init(&ch->mu, NULL);
	pthread_mutex_init(&ch->use, NULL);
	pthread_cond_init(&ch->cv, NULL);
	ch->lfd = -1;
	for (int i = 0; i < CH_WORKERS; i++)
		ch->hello[i].fd = -1;
	nc_client_init();
	nc_set_print_clb(quiet);
	if (!(ch->tls = make_tls(ch, NULL)) || !(ch->ctx = nc_ctx_new(yang_dir, 1)) ||
	    (ch->lfd = listen_on(CH_PORT)) < 0 || pthread_create(&ch->thr, NULL, ch_thread, ch)) {
		log_warnx("conductor: cannot take routers' calls on port %d (%s)", CH_PORT,
			  ch->tls ? "the port or the model" : "the conductor's certificate");
		ch_free(ch);
		return NULL;
	}
	for (int i = 0; i < CH_WORKERS; i++)
		if (pthread_create(&ch->workers[ch->nworkers], NULL, worker, ch) == 0)
			ch->nworkers++;
	ch->checking = pthread_create(&ch->checker, NULL, check_thread, ch) == 0;
	log_info("conductor: routers call home on port %d", CH_PORT);
	return ch;
}

void conductor_ch_stop(struct conductor_ch *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->stop = true;
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
	pthread_join(ch->thr, NULL);
	for (int i = 0; i < ch->nworkers; i++)
		pthread_join(ch->workers[i], NULL);
	if (ch->checking)
		pthread_join(ch->checker, NULL);
	ch_free(ch);
}

struct json *conductor_ch_asset(struct conductor_ch *ch, const char *router)
{
	struct json *o = NULL;

	if (!ch)
		return NULL;
	pthread_mutex_lock(&ch->mu);
	for (struct asset *a = ch->assets; a; a = a->next)
		if (!strcmp(a->router, router)) {
			o = json_new_object();
			json_set(o, "address", json_new_str(a->host));
			json_set(o, "since", json_new_int(a->since));
			json_set(o, "last-contact", json_new_int(a->last));
			json_set(o, "version", json_new_int(a->version));
			json_set(o, "software-version", json_new_str(a->software));
			json_set(o, "certificate-not-after", json_new_int(a->not_after));
			if (a->override)
				json_set(o, "local-override", json_new_bool(true));
			if (a->refused[0])
				json_set(o, "refused", json_new_str(a->refused));
			break;
		}
	pthread_mutex_unlock(&ch->mu);
	return o;
}

bool conductor_ch_renew(struct conductor_ch *ch, const char *router)
{
	bool found = false;

	if (!ch || !router)
		return false;
	pthread_mutex_lock(&ch->mu);
	for (struct asset *a = ch->assets; a; a = a->next)
		if (!strcmp(a->router, router)) {
			a->renew_now = found = true;
			a->renew_at = 0;
		}
	pthread_mutex_unlock(&ch->mu);
	return found;
}

size_t conductor_ch_overrides(struct conductor_ch *ch, char (*names)[64], size_t max)
{
	size_t n = 0;

	if (!ch)
		return 0;
	pthread_mutex_lock(&ch->mu);
	for (struct asset *a = ch->assets; a && n < max; a = a->next)
		if (a->override)
			snprintf(names[n++], 64, "%s", a->router);
	pthread_mutex_unlock(&ch->mu);
	return n;
}

void conductor_ch_set_config(struct conductor_ch *ch, const struct lyd_node *running,
			     uint32_t version)
{
	struct cparts *parts, *old;

	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	parts = ch->parts && ch->version == version ? ch->parts : NULL;
	pthread_mutex_unlock(&ch->mu);
	if (parts) /* the push put it there already */
		return;
	if (!(parts = cparts_build(running, ch->ca_pem)))
		log_warnx("conductor: the configuration cannot be cut for the routers");
	pthread_mutex_lock(&ch->mu);
	old = ch->parts;
	ch->parts = parts;
	ch->version = version;
	pthread_mutex_unlock(&ch->mu);
	cparts_free(old);
}

int ch_hold(struct conductor_ch *ch, struct push *p)
{
	if (!ch)
		return -1;
	if (p->step != PUSH_PREPARE) { /* what the prepare held */
		if (!ch->held)
			return -1;
		p->v = ch->held;
		p->n = ch->nheld;
		return 0;
	}
	pthread_mutex_lock(&ch->use);
	pthread_mutex_lock(&ch->mu);
	for (struct asset *a = ch->assets; a; a = a->next)
		p->n++;
	p->v = p->n ? calloc(p->n, sizeof(*p->v)) : NULL;
	p->n = 0;
	for (struct asset *a = ch->assets; a && p->v; a = a->next)
		p->v[p->n++] = a;
	pthread_mutex_unlock(&ch->mu);
	if (!p->n) {
		free(p->v);
		p->v = NULL;
		pthread_mutex_unlock(&ch->use);
		return -1;
	}
	return 0;
}

void ch_release(struct conductor_ch *ch, struct push *p, bool keep)
{
	struct cparts *old = NULL;

	if (keep) { /* until the confirm or the cancel */
		ch->held = p->v;
		ch->nheld = p->n;
		ch->held_parts = cparts_ref(p->parts);
		return;
	}
	if (p->step == PUSH_CONFIRM && ch->held_parts) {
		/* what the routers now run is what a caller is brought to,
		 * before anyone else has the sessions: a catch-up in between
		 * would take a router back to the commit before */
		pthread_mutex_lock(&ch->mu);
		old = ch->parts;
		ch->parts = ch->held_parts;
		ch->version = p->version;
		pthread_mutex_unlock(&ch->mu);
	} else {
		old = ch->held_parts;
	}
	ch->held_parts = NULL;
	free(p->v);
	ch->held = NULL;
	ch->nheld = 0;
	pthread_mutex_unlock(&ch->use);
	cparts_free(old);
}

int conductor_ch_reload(struct conductor_ch *ch)
{
	SSL_CTX *tls, *old;
	char *crl;

	if (!ch)
		return -1;
	pthread_mutex_lock(&ch->mu);
	crl = ch->crl ? strdup(ch->crl) : NULL;
	pthread_mutex_unlock(&ch->mu);
	tls = make_tls(ch, crl);
	free(crl);
	if (!tls)
		return -1;
	pthread_mutex_lock(&ch->mu);
	old = ch->tls;
	ch->tls = tls;
	pthread_mutex_unlock(&ch->mu);
	SSL_CTX_free(old);
	return 0;
}

const char *ch_ca_pem(const struct conductor_ch *ch)
{
	return ch ? ch->ca_pem : NULL;
}

void conductor_ch_set_crl(struct conductor_ch *ch, const char *crl)
{
	char *copy = crl ? strdup(crl) : NULL;
	SSL_CTX *tls, *old = NULL;
	uint64_t *revoked;
	size_t nrevoked;
	bool same;

	if (!ch) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&ch->mu);
	/* revocations are for good: no list (it could not be made) never
	 * replaces one */
	same = !crl || (ch->crl && !strcmp(crl, ch->crl));
	pthread_mutex_unlock(&ch->mu);
	if (same) {
		free(copy);
		return;
	}
	/* the conductor refuses revoked routers' calls too */
	if (!(tls = make_tls(ch, crl)))
		log_warnx("conductor: the revocation list cannot be used for routers' calls");
	revoked = revoked_serials(crl, &nrevoked);
	pthread_mutex_lock(&ch->mu);
	free(ch->crl);
	ch->crl = copy;
	ch->crl_gen++;
	free(ch->revoked);
	ch->revoked = revoked;
	ch->nrevoked = nrevoked;
	if (tls) {
		old = ch->tls;
		ch->tls = tls;
	}
	pthread_mutex_unlock(&ch->mu);
	SSL_CTX_free(old);
}

char *ch_crl(struct conductor_ch *ch, unsigned *gen)
{
	char *copy;

	pthread_mutex_lock(&ch->mu);
	copy = ch->crl ? strdup(ch->crl) : NULL;
	*gen = ch->crl_gen;
	pthread_mutex_unlock(&ch->mu);
	return copy;
}
