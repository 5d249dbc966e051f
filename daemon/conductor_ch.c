/* The conductor's side of call home (RFC 8071, doc/conductor.md): it
 * listens on TCP 4335 for its routers, as the NETCONF client of each
 * session and its TLS client, presenting the conductor's certificate and
 * trusting the authority's CA alone.  Each router that calls is asked its
 * name (its operational state) and becomes an asset; every few seconds a
 * small get tells whether it is still there (last contact).  All of it in
 * a thread of its own (libnetconf2 blocks); svrd's thread reads the
 * assets under the lock. */
#include "config.h"

#include <libyang/libyang.h>
#include <nc_client.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conductor.h"
#include "conductor_int.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "nc_ctx.h"
#include "pkiconf.h"
#include "svrd.h"

#define CH_PORT	     4335
#define CH_CHECK_MS  5000 /* how often a router is asked whether it is there */
#define CH_WAIT_MS   2000
#define AUTHORITY_CA "authority-ca" /* the CA's name in routers' configuration */

struct conductor_ch {
	char cert[4200], key[4200], ca[4200], yang[4096];
	pthread_t thr;
	pthread_mutex_t mu;  /* the list, stop, the configuration */
	pthread_mutex_t use; /* the sessions: the accepting thread or a push */
	bool stop;
	struct asset *assets;
	struct ly_ctx *ctx;
	char *json;	     /* the authority as running has it, for a router that calls */
	uint32_t version;    /* ... and its commit */
	char *ca_pem;	     /* the authority's CA, pushed as trusted */
	char *crl;	     /* the revocation list, or NULL */
	struct asset **held; /* a push's routers, between prepare and confirm */
	size_t nheld;
};

static int64_t now_s(void)
{
	return (int64_t)(ev_wallclock_ms() / 1000);
}

static void quiet(NC_VERB_LEVEL level, const char *msg)
{
	if (level == NC_VERB_ERROR)
		log_info("conductor: call home: %s", msg);
}

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

#define NAME_FILTER                                                                                \
	"<authority-state xmlns=\"urn:opensvr:yang:opensvr\"><router><name/></router>"             \
	"</authority-state>"

/* The router's name, from its operational state (the reply's <data>). */
static bool router_name(struct nc_session *s, char *out, size_t len)
{
	struct lyd_node *op = NULL, *data = NULL;
	const struct lyd_node_any *any;
	struct ly_set *set = NULL;
	bool ok = false;

	if (ask(s, NAME_FILTER, &op) == 0 && op &&
	    lyd_find_path(op, "data", 1, &data) == LY_SUCCESS && data &&
	    (any = (const struct lyd_node_any *)data)->value_type == LYD_ANYDATA_DATATREE &&
	    any->value.tree &&
	    lyd_find_xpath(any->value.tree, "/opensvr:authority-state/router/name", &set) ==
		    LY_SUCCESS &&
	    set->count > 0) {
		snprintf(out, len, "%s", lyd_get_value(set->dnodes[0]));
		ok = *out != '\0';
	}
	ly_set_free(set, NULL);
	lyd_free_all(op);
	return ok;
}

static void asset_free(struct asset *a)
{
	if (a)
		nc_session_free(a->s, NULL);
	free(a);
}

/* A router called: who it is, then it replaces its earlier session. */
static void arrived(struct conductor_ch *ch, struct nc_session *s)
{
	struct asset *a = calloc(1, sizeof(*a)), **p, *old = NULL;
	const char *host;
	char *json;
	uint32_t version;

	if (!a || !router_name(s, a->router, sizeof(a->router))) {
		log_warnx("conductor: a router called home but did not say its name");
		free(a);
		nc_session_free(s, NULL);
		return;
	}
	a->s = s;
	host = nc_session_get_host(s) ?: "?";
	if (!strncmp(host, "::ffff:", 7) && strchr(host + 7, '.'))
		host += 7; /* an IPv4 address, as it is written */
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->since = a->last = now_s();
	pthread_mutex_lock(&ch->mu);
	json = ch->json ? strdup(ch->json) : NULL;
	version = ch->version;
	pthread_mutex_unlock(&ch->mu);
	if (json) /* whatever it missed while away */
		conductor_sync(ch, a, json, version);
	free(json);
	json = ch_crl(ch);
	if (json)
		conductor_send_crl(a, json);
	free(json);
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
	log_info("conductor: router %s called home from %s", a->router, a->host);
}

/* Is each router still there?  The ones that do not answer go. */
static void check(struct conductor_ch *ch)
{
	struct asset **p = &ch->assets;

	for (;;) {
		struct asset *a, *gone = NULL;
		struct lyd_node *op;
		bool alive;

		pthread_mutex_lock(&ch->mu);
		a = *p;
		pthread_mutex_unlock(&ch->mu);
		if (!a)
			return;
		alive = ask(a->s, NAME_FILTER, &op) == 0;
		lyd_free_all(op);
		pthread_mutex_lock(&ch->mu);
		if (alive) {
			a->last = now_s();
			p = &a->next;
		} else {
			gone = a;
			*p = a->next;
		}
		pthread_mutex_unlock(&ch->mu);
		if (gone) {
			log_info("conductor: router %s is gone (called home from %s)", gone->router,
				 gone->host);
			asset_free(gone);
		}
	}
}

static bool stopping(struct conductor_ch *ch)
{
	bool stop;

	pthread_mutex_lock(&ch->mu);
	stop = ch->stop;
	pthread_mutex_unlock(&ch->mu);
	return stop;
}

/* Whether every router is still there, every few seconds, apart from the
 * accepting (a storm of calls must not keep the assets stale). */
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

static void *ch_thread(void *arg)
{
	struct conductor_ch *ch = arg;
	pthread_t checker;
	bool checking;

	nc_client_init();
	nc_set_print_clb(quiet);
	if (nc_client_tls_ch_set_cert_key_paths(ch->cert, ch->key) ||
	    nc_client_tls_ch_set_trusted_ca_paths(ch->ca, NULL) ||
	    nc_client_tls_ch_add_bind_listen("::", CH_PORT)) {
		log_warnx("conductor: cannot listen for routers calling home (port %d)", CH_PORT);
		nc_client_destroy();
		return NULL;
	}
	log_info("conductor: routers call home on port %d", CH_PORT);
	checking = pthread_create(&checker, NULL, check_thread, ch) == 0;
	while (!stopping(ch)) {
		struct nc_session *s = NULL;

		if (nc_accept_callhome(500, ch->ctx, &s) == 1 && s) {
			pthread_mutex_lock(&ch->use);
			arrived(ch, s);
			pthread_mutex_unlock(&ch->use);
		}
	}
	if (checking)
		pthread_join(checker, NULL);
	nc_client_tls_ch_del_bind("::", CH_PORT);
	nc_client_destroy();
	return NULL;
}

struct conductor_ch *conductor_ch_start(const char *cert, const char *key, const char *ca,
					const char *yang_dir)
{
	struct conductor_ch *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	snprintf(ch->cert, sizeof(ch->cert), "%s", cert);
	snprintf(ch->key, sizeof(ch->key), "%s", key);
	snprintf(ch->ca, sizeof(ch->ca), "%s", ca);
	ch->ca_pem = pkiconf_read_text(ca);
	pthread_mutex_init(&ch->mu, NULL);
	pthread_mutex_init(&ch->use, NULL);
	if (!(ch->ctx = nc_ctx_new(yang_dir, 1)) ||
	    pthread_create(&ch->thr, NULL, ch_thread, ch) != 0) {
		log_warnx("conductor: cannot take routers' calls");
		ly_ctx_destroy(ch->ctx);
		pthread_mutex_destroy(&ch->mu);
		pthread_mutex_destroy(&ch->use);
		free(ch->ca_pem);
		free(ch);
		return NULL;
	}
	return ch;
}

void conductor_ch_stop(struct conductor_ch *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->stop = true;
	pthread_mutex_unlock(&ch->mu);
	pthread_join(ch->thr, NULL);
	while (ch->assets) {
		struct asset *a = ch->assets;

		ch->assets = a->next;
		asset_free(a);
	}
	ly_ctx_destroy(ch->ctx);
	free(ch->json);
	free(ch->ca_pem);
	free(ch->crl);
	free(ch->held);
	pthread_mutex_destroy(&ch->mu);
	pthread_mutex_destroy(&ch->use);
	free(ch);
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
		}
	pthread_mutex_unlock(&ch->mu);
	return o;
}

void conductor_ch_set_config(struct conductor_ch *ch, const char *json, uint32_t version)
{
	char *copy = json ? strdup(json) : NULL;

	if (!ch) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&ch->mu);
	free(ch->json);
	ch->json = copy;
	ch->version = version;
	pthread_mutex_unlock(&ch->mu);
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
	if (keep) { /* until the confirm or the cancel */
		ch->held = p->v;
		ch->nheld = p->n;
		return;
	}
	free(p->v);
	ch->held = NULL;
	ch->nheld = 0;
	pthread_mutex_unlock(&ch->use);
}

char *authority_xml(struct conductor_ch *ch, const char *json)
{
	static const char *const open = "<authority xmlns=\"urn:opensvr:yang:opensvr\">";
	struct lyd_node *t = NULL;
	char *xml = NULL, *out = NULL;
	bool inject;

	if (lyd_parse_data_mem(ch->ctx, json, LYD_JSON, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &t) !=
		    LY_SUCCESS ||
	    lyd_print_mem(&xml, t, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) !=
		    LY_SUCCESS ||
	    !xml || strncmp(xml, open, strlen(open))) {
		ly_err_clean(ch->ctx, NULL);
		lyd_free_all(t);
		free(xml);
		return NULL;
	}
	lyd_free_all(t);
	/* the whole authority replaced: what the conductor does not say goes;
	 * and the authority's CA trusted, so routers validate each other's
	 * certificates against it (no trust on first use) */
	inject = ch->ca_pem && !strstr(xml, "<name>" AUTHORITY_CA "</name>");
	if (asprintf(&out,
		     "<authority xmlns=\"urn:opensvr:yang:opensvr\" "
		     "xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
		     "nc:operation=\"replace\">%s%s%s%s",
		     inject ? "<trusted-ca-certificate><name>" AUTHORITY_CA "</name><content>" : "",
		     inject ? ch->ca_pem : "", inject ? "</content></trusted-ca-certificate>" : "",
		     xml + strlen(open)) < 0)
		out = NULL;
	free(xml);
	return out;
}

void conductor_ch_set_crl(struct conductor_ch *ch, const char *crl)
{
	char *copy = crl ? strdup(crl) : NULL;

	if (!ch) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&ch->mu);
	free(ch->crl);
	ch->crl = copy;
	pthread_mutex_unlock(&ch->mu);
}

char *ch_crl(struct conductor_ch *ch)
{
	char *copy;

	pthread_mutex_lock(&ch->mu);
	copy = ch->crl ? strdup(ch->crl) : NULL;
	pthread_mutex_unlock(&ch->mu);
	return copy;
}
