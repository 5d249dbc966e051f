/* DOC: the conductor
 *
 * A node whose configuration says `role conductor` manages the
 * authority (doc/conductor.md).  This part is enrolment:
 *
 * - the authority's certificate authority, made at first use in
 *   STATE/conductor/ca.crt and ca.key (or put there by the operator: an
 *   intermediate of their own);
 * - enrolment tokens: `request enrolment-token ROUTER` makes one for a
 *   router of the authority, good once and for 24 hours, replacing any
 *   earlier one for that router.  Its secret is kept only as a SHA-384,
 *   in STATE/conductor/tokens.json; its pin is the SHA-256 of this
 *   node's SSH host key (the NETCONF server's), so the conductor must
 *   serve NETCONF over SSH;
 * - the enrol operation: a router's SSH session that authenticated with
 *   the router's name and its token (netconf.c asks conductor_token_ok)
 *   sends a certificate request; the conductor issues the certificate
 *   for the router's peering-common-name (CN and SAN URI), spends the
 *   token and answers with the certificate, the CA and where to call home.
 *   Every certificate issued is recorded in STATE/conductor/issued.json
 *   (router, serial, end), for revocation.
 *
 * All of it runs on svrd's thread.  Files are written whole and renamed,
 * so a crash leaves the old state or the new one.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libyang/libyang.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alarms.h"
#include "conductor.h"
#include "conductor_int.h"
#include "crypto.h"
#include "datastore.h"
#include "enrol_token.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "model.h"
#include "netconf.h"
#include "pki_ca.h"
#include "pkiconf.h"
#include "svrd.h"

#define TOKEN_LIFE_S  (24 * 3600)
#define CERT_DAYS     365
#define CA_DAYS	      3650
#define CONDUCTOR_DIR "conductor"

struct conductor {
	struct svrd *d;
	struct pki_ca *ca;
	struct conductor_ch *ch; /* routers calling home (conductor_ch.c) */
	struct json *skipped;	 /* what the last push left out */
	pthread_mutex_t ca_mu;	 /* the CA and issued.json: svrd's thread and renewals */
	struct ev_timer *alarms; /* routers in local override, on the alarms */
	struct ev_timer *hourly; /* the revocation list and its own certificate renewed */
};

/* ---- the role and the files ----------------------------------------------- */

/* Is this node the conductor in the running configuration? */
bool conductor_role(const struct svrd *d)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	const char *role;

	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	role = node ? model_leaf(node, "role") : NULL;
	return role && strcmp(role, "conductor") == 0;
}

static void path_of(const struct svrd *d, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/" CONDUCTOR_DIR "/%s", d->state_dir, name);
}

static const char *authority_name(const struct svrd *d)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;

	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	return auth && model_leaf(auth, "name") ? model_leaf(auth, "name") : "authority";
}

/* The authority's CA: loaded, or made and saved at first use. */
static struct pki_ca *ca_of(struct conductor *c, char *err, size_t errlen)
{
	char crt[4096], key[4096], dir[4096];
	char *cert_pem, *key_pem;

	if (c->ca)
		return c->ca;
	path_of(c->d, "ca.crt", crt, sizeof(crt));
	path_of(c->d, "ca.key", key, sizeof(key));
	cert_pem = pkiconf_read_text(crt);
	key_pem = pkiconf_read_text(key);
	if (cert_pem || key_pem) {
		c->ca = pki_ca_from_pem(cert_pem, key_pem, err, errlen);
	} else {
		snprintf(dir, sizeof(dir), "%s/" CONDUCTOR_DIR, c->d->state_dir);
		mkdir(dir, 0700);
		c->ca = pki_ca_make(authority_name(c->d), (int64_t)(ev_wallclock_ms() / 1000),
				    CA_DAYS, err, errlen);
		free(cert_pem);
		free(key_pem);
		cert_pem = c->ca ? pki_ca_cert_pem(c->ca) : NULL;
		key_pem = c->ca ? pki_ca_key_pem(c->ca) : NULL;
		if (c->ca &&
		    (!cert_pem || !key_pem || identity_write_text(key, 0600, key_pem) < 0 ||
		     identity_write_text(crt, 0644, cert_pem) < 0)) {
			snprintf(err, errlen, "cannot save the authority's CA in %s: %s", dir,
				 strerror(errno));
			pki_ca_free(c->ca);
			c->ca = NULL;
		} else if (c->ca) {
			log_info("conductor: made the authority's CA (%s)", crt);
		}
	}
	free(cert_pem);
	if (key_pem)
		crypto_wipe(key_pem, strlen(key_pem));
	free(key_pem);
	return c->ca;
}

static struct json *load_json(const struct svrd *d, const char *name)
{
	char path[4096], err[128];
	char *text;
	struct json *j;

	path_of(d, name, path, sizeof(path));
	text = pkiconf_read_text(path);
	j = text ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
	if (text && !j)
		log_warnx("conductor: %s cannot be read: %s", path, err);
	free(text);
	return j ? j : json_new_object();
}

static int save_json(const struct svrd *d, const char *name, const struct json *j)
{
	char path[4096], dir[4096];
	char *text = json_print_pretty(j);
	int rc;

	snprintf(dir, sizeof(dir), "%s/" CONDUCTOR_DIR, d->state_dir);
	mkdir(dir, 0700);
	path_of(d, name, path, sizeof(path));
	rc = text ? identity_write_text(path, 0600, text) : -1;
	free(text);
	return rc;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* This node's peering-common-name (what the conductor's certificate
 * carries), or its router's name. */
const char *conductor_pcn(const struct svrd *d)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	const char *pcn;

	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	pcn = me ? model_leaf(me, "peering-common-name") : NULL;
	return pcn ? pcn : d->router;
}

/* A router of the authority, or NULL. */
static const struct lyd_node *router_of(const struct svrd *d, const char *name)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;

	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	MODEL_FOR_CHILD(auth, "router", r)
	if (strcmp(model_leaf(r, "name"), name) == 0)
		return r;
	return NULL;
}

/* ---- tokens --------------------------------------------------------------- */

static struct conductor *the(const struct svrd *d)
{
	return d->conductor;
}

/* request enrolment-token ROUTER */
static int op_token(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		    struct json **data, struct json **error)
{
	const char *router = json_get_str(args, "router", NULL);
	struct enrol_token t = {0};
	uint8_t h[CRYPTO_SHA384_LEN];
	char text[ENROL_TOKEN_MAX], hx[2 * CRYPTO_SHA384_LEN + 1], err[256];
	struct json *store, *list, *it;
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);

	(void)peer;
	if (!conductor_role(d)) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"this node is not the conductor: only a node with role "
					"conductor makes enrolment tokens");
		return -1;
	}
	if (!router || !router_of(d, router)) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"no router %s in the authority: configure it first",
					router ? router : "(none)");
		return -1;
	}
	if (netconf_hostkey_pin(d->state_dir, t.pin) < 0) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"routers enrol over NETCONF SSH, which this svrd does not "
					"serve: start it with --netconf");
		return -1;
	}
	if (!ca_of(the(d), err, sizeof(err))) {
		*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "the authority's CA: %s", err);
		return -1;
	}
	snprintf(t.router, sizeof(t.router), "%s", router);
	if (crypto_random(t.secret, sizeof(t.secret)) < 0 ||
	    enrol_token_format(&t, text, sizeof(text)) < 0 ||
	    crypto_sha384(t.secret, sizeof(t.secret), h) < 0) {
		crypto_wipe(&t, sizeof(t));
		*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "cannot make a token");
		return -1;
	}
	hex(h, sizeof(h), hx);
	store = load_json(d, "tokens.json");
	list = json_take(store, router);
	json_free(list); /* one live token per router: the new one */
	it = json_new_object();
	json_set(it, "sha384", json_new_str(hx));
	json_set(it, "expires", json_new_int(now + TOKEN_LIFE_S));
	json_set(store, router, it);
	if (save_json(d, "tokens.json", store) < 0) {
		json_free(store);
		crypto_wipe(&t, sizeof(t));
		crypto_wipe(text, sizeof(text));
		*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "cannot save the token: %s",
					strerror(errno));
		return -1;
	}
	json_free(store);
	log_info("conductor: enrolment token made for router %s", router);
	*data = json_new_object();
	json_set(*data, "router", json_new_str(router));
	json_set(*data, "token", json_new_str(text));
	json_set(*data, "expires", json_new_int(now + TOKEN_LIFE_S));
	crypto_wipe(&t, sizeof(t));
	crypto_wipe(text, sizeof(text));
	return 0;
}

bool conductor_token_ok(struct svrd *d, const char *router, const char *password)
{
	struct enrol_token t;
	uint8_t pin[ENROL_PIN_LEN], h[CRYPTO_SHA384_LEN];
	char why[128], hx[2 * CRYPTO_SHA384_LEN + 1];
	struct json *store;
	const struct json *it;
	bool ok = false;

	if (!router || !password || !conductor_role(d) ||
	    enrol_token_parse(password, &t, why, sizeof(why)) < 0)
		return false;
	store = load_json(d, "tokens.json");
	it = json_get(store, router);
	if (strcmp(t.router, router) == 0 && it &&
	    json_get_int(it, "expires", 0) > (int64_t)(ev_wallclock_ms() / 1000) &&
	    netconf_hostkey_pin(d->state_dir, pin) == 0 && crypto_equal(pin, t.pin, sizeof(pin)) &&
	    crypto_sha384(t.secret, sizeof(t.secret), h) == 0) {
		hex(h, sizeof(h), hx);
		ok = strlen(json_get_str(it, "sha384", "")) == strlen(hx) &&
		     crypto_equal(json_get_str(it, "sha384", ""), hx, strlen(hx));
	}
	json_free(store);
	crypto_wipe(&t, sizeof(t));
	if (!ok)
		log_info("conductor: router %s: enrolment token refused", router);
	return ok;
}

/* ---- enrol ---------------------------------------------------------------- */

static uint64_t next_serial(struct json *issued)
{
	uint64_t s = (uint64_t)json_get_int(issued, "next-serial", 1);

	json_set(issued, "next-serial", json_new_int((int64_t)s + 1));
	return s;
}

static void record(struct json *issued, const char *router, uint64_t serial, int64_t not_after)
{
	struct json *list = json_take(issued, "certificates"), *it = json_new_object();

	if (!list)
		list = json_new_array();
	json_set(it, "router", json_new_str(router));
	json_set(it, "serial", json_new_int((int64_t)serial));
	json_set(it, "not-after", json_new_int(not_after));
	json_append(list, it);
	json_set(issued, "certificates", list);
}

int conductor_enrol(struct svrd *d, const char *router, const char *csr, struct json **out,
		    char *err, size_t errlen)
{
	const struct lyd_node *r = router_of(d, router);
	const char *pcn = r ? model_leaf(r, "peering-common-name") : NULL;
	struct pki_ca *ca = ca_of(the(d), err, errlen);
	struct json *issued, *tokens, *addrs;
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000), not_after = 0;
	uint64_t serial, check;
	char *cert, *ca_pem;

	if (!r || !pcn) {
		snprintf(err, errlen,
			 r ? "router %s has no peering-common-name in the authority"
			   : "no router %s in the authority",
			 router);
		return -1;
	}
	if (!ca)
		return -1;
	tokens = load_json(d, "tokens.json");
	if (!json_get(tokens, router)) {
		/* two sessions opened with one token: the first spent it */
		snprintf(err, errlen, "the enrolment token of router %s is spent", router);
		json_free(tokens);
		return -1;
	}
	pthread_mutex_lock(&the(d)->ca_mu);
	issued = load_json(d, "issued.json");
	serial = next_serial(issued);
	cert = pki_ca_issue(ca, csr, pcn, serial, now, CERT_DAYS, err, errlen);
	if (!cert || pki_cert_serial(cert, &check, &not_after) < 0) {
		pthread_mutex_unlock(&the(d)->ca_mu);
		free(cert);
		json_free(issued);
		json_free(tokens);
		return -1;
	}
	record(issued, router, serial, not_after);
	json_free(json_take(tokens, router)); /* spent */
	if (save_json(d, "issued.json", issued) < 0 || save_json(d, "tokens.json", tokens) < 0) {
		pthread_mutex_unlock(&the(d)->ca_mu);
		snprintf(err, errlen, "cannot record the certificate: %s", strerror(errno));
		json_free(issued);
		json_free(tokens);
		free(cert);
		return -1;
	}
	pthread_mutex_unlock(&the(d)->ca_mu);
	json_free(issued);
	json_free(tokens);
	ca_pem = pki_ca_cert_pem(ca);
	*out = json_new_object();
	json_set(*out, "certificate", json_new_str(cert));
	json_set(*out, "ca-certificate", json_new_str(ca_pem ? ca_pem : ""));
	json_set(*out, "authority", json_new_str(authority_name(d)));
	addrs = json_new_array();
	{
		const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;

		model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
		MODEL_FOR_CHILD(auth, "conductor-address", a)
		json_append(addrs, json_new_str(lyd_get_value(a)));
	}
	json_set(*out, "conductor-address", addrs);
	json_set(*out, "conductor-name", json_new_str(conductor_pcn(d)));
	log_info("conductor: router %s enrolled: certificate %llu for %s", router,
		 (unsigned long long)serial, pcn);
	free(cert);
	free(ca_pem);
	return 0;
}

/* A renewal (conductor_ch.c's thread): router's new certificate for its
 * request csr, recorded like an enrolment's.  The CA is loaded by then
 * (the conductor's own certificate needed it). */
static char *issue_renewal(void *arg, const char *router, const char *pcn, const char *csr,
			   char *err, size_t errlen)
{
	struct conductor *c = arg;
	struct json *issued;
	uint64_t serial, check;
	int64_t not_after = 0;
	char *cert = NULL;

	pthread_mutex_lock(&c->ca_mu);
	if (!c->ca) {
		snprintf(err, errlen, "the authority's CA is not loaded");
	} else {
		issued = load_json(c->d, "issued.json");
		serial = next_serial(issued);
		cert = pki_ca_issue(c->ca, csr, pcn, serial, (int64_t)(ev_wallclock_ms() / 1000),
				    CERT_DAYS, err, errlen);
		if (cert && pki_cert_serial(cert, &check, &not_after) == 0) {
			record(issued, router, serial, not_after);
			if (save_json(c->d, "issued.json", issued) < 0) {
				snprintf(err, errlen, "cannot record the certificate: %s",
					 strerror(errno));
				free(cert);
				cert = NULL;
			}
		}
		json_free(issued);
	}
	pthread_mutex_unlock(&c->ca_mu);
	return cert;
}

/* ---- start and stop ------------------------------------------------------- */

/* Do the certificate and key files hold a pair? */
static bool identity_pair(const char *crt, const char *key)
{
	char *cpem = pkiconf_read_text(crt), *kpem = pkiconf_read_text(key);
	bool ok = cpem && kpem && pki_cert_matches_key(cpem, kpem);

	free(cpem);
	if (kpem)
		crypto_wipe(kpem, strlen(kpem));
	free(kpem);
	return ok;
}

/* The conductor's own certificate, from its CA, for the routers'
 * calls (STATE/conductor/conductor.crt and .key): made when there is no
 * pair there (none yet, or a renewal cut short: the key is written
 * first), or anew when renew says so. */
static int own_identity(struct conductor *c, char *crt, char *key, size_t len, bool renew)
{
	struct pki_ca *ca;
	struct json *issued;
	char err[256], *csr, *kpem = NULL, *cert = NULL;
	int rc = -1;

	path_of(c->d, "conductor.crt", crt, len);
	path_of(c->d, "conductor.key", key, len);
	if (!renew && identity_pair(crt, key))
		return 0;
	if (!(ca = ca_of(c, err, sizeof(err))) ||
	    !(csr = pki_csr_make(conductor_pcn(c->d), &kpem, err, sizeof(err)))) {
		log_warnx("conductor: its own certificate cannot be made: %s", err);
		return -1;
	}
	pthread_mutex_lock(&c->ca_mu); /* a router's renewal may be issuing */
	issued = load_json(c->d, "issued.json");
	cert = pki_ca_issue(ca, csr, conductor_pcn(c->d), next_serial(issued),
			    (int64_t)(ev_wallclock_ms() / 1000), CERT_DAYS, err, sizeof(err));
	if (cert && save_json(c->d, "issued.json", issued) == 0 &&
	    identity_write_text(key, 0600, kpem) == 0 && identity_write_text(crt, 0644, cert) == 0)
		rc = 0;
	pthread_mutex_unlock(&c->ca_mu);
	if (rc < 0)
		log_warnx("conductor: its own certificate cannot be saved: %s",
			  cert ? strerror(errno) : err);
	json_free(issued);
	free(csr);
	free(cert);
	crypto_wipe(kpem, strlen(kpem));
	free(kpem);
	return rc;
}

static void keep_config(struct conductor *c, const struct lyd_node *running);
static char *revocations(struct conductor *c, const struct lyd_node *tree);

/* Take the routers' calls once this node is the conductor. */
static void follow(struct conductor *c)
{
	char crt[4200], key[4200], ca[4200];

	if (c->ch || !conductor_role(c->d) || own_identity(c, crt, key, sizeof(crt), false) < 0)
		return;
	path_of(c->d, "ca.crt", ca, sizeof(ca));
	c->ch = conductor_ch_start(crt, key, ca, c->d->yang_dir, issue_renewal, c);
	keep_config(c, ds_running(c->d->ds));
	{
		char *crl = revocations(c, ds_running(c->d->ds));

		conductor_ch_set_crl(c->ch, crl);
		free(crl);
	}
}

/* Is this node the conductor in tree? */
static bool role_in(const struct svrd *d, const struct lyd_node *tree)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	const char *role;

	model_find_self(tree, d->router, d->node, &auth, &me, &node);
	role = node ? model_leaf(node, "role") : NULL;
	return role && !strcmp(role, "conductor");
}

static uint32_t newest(const struct svrd *d)
{
	const struct ds_commit *h;

	return ds_history(d->ds, &h) ? h[0].number : 0;
}

/* What a router that calls home gets: its part of running's authority. */
static void keep_config(struct conductor *c, const struct lyd_node *running)
{
	conductor_ch_set_config(c->ch, running, newest(c->d));
}

/* Is router in tree's authority? */
static bool router_in(const struct svrd *d, const struct lyd_node *tree, const char *router)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;

	model_find_self(tree, d->router, d->node, &auth, &me, &node);
	MODEL_FOR_CHILD(auth, "router", r)
	if (!strcmp(model_leaf(r, "name"), router))
		return true;
	return false;
}

/* Was the file at path written within 3 days of now? */
static bool fresh(const char *path, int64_t now)
{
	struct stat st;

	return stat(path, &st) == 0 && now - (int64_t)st.st_mtime < 3 * 86400;
}

/* Revoke the certificates of routers no longer in tree (issued.json),
 * and the revocation list of every certificate revoked: its PEM
 * (malloc'd, saved as STATE/conductor/authority.crl), or NULL when none
 * is. */
static char *revocations_locked(struct conductor *c, const struct lyd_node *tree);

static char *revocations(struct conductor *c, const struct lyd_node *tree)
{
	char *crl;

	pthread_mutex_lock(&c->ca_mu);
	crl = revocations_locked(c, tree);
	pthread_mutex_unlock(&c->ca_mu);
	return crl;
}

static char *revocations_locked(struct conductor *c, const struct lyd_node *tree)
{
	struct json *issued = load_json(c->d, "issued.json");
	struct json *certs = json_get(issued, "certificates");
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	size_t n = 0, k = json_len(certs);
	uint64_t *serials = calloc(k + 1, sizeof(*serials));
	int64_t *times = calloc(k + 1, sizeof(*times));
	char err[256], path[4200], *crl = NULL;
	struct pki_ca *ca = ca_of(c, err, sizeof(err));
	bool changed = false;

	for (size_t i = 0; i < k && serials && times; i++) {
		struct json *it = json_at(certs, i);
		const char *r = json_get_str(it, "router", "");

		if (!json_get(it, "revoked") && strcmp(r, c->d->router) &&
		    !router_in(c->d, tree, r)) {
			json_set(it, "revoked", json_new_int(now));
			changed = true;
			log_info("conductor: router %s is gone from the authority: its "
				 "certificate %lld is revoked",
				 r, (long long)json_get_int(it, "serial", 0));
		}
		if (json_get(it, "revoked")) {
			serials[n] = (uint64_t)json_get_int(it, "serial", 0);
			times[n++] = json_get_int(it, "revoked", now);
		}
	}
	path_of(c->d, "authority.crl", path, sizeof(path));
	if (n && !changed && fresh(path, now) && (crl = pkiconf_read_text(path))) {
		/* nothing new: the list as it is, signed once rather than at every
		 * commit, while well within its 7 days */
	} else if (n && ca) {
		int64_t number = json_get_int(issued, "crl-number", 0) + 1;

		json_set(issued, "crl-number", json_new_int(number));
		crl = pki_ca_crl(ca, serials, times, n, (uint64_t)number, now, 7 * 86400, err,
				 sizeof(err));
		if (!crl || identity_write_text(path, 0644, crl) < 0)
			log_warnx("conductor: the revocation list cannot be made or saved: %s",
				  crl ? strerror(errno) : err);
		changed = true;
	}
	if (changed && save_json(c->d, "issued.json", issued) < 0)
		log_warnx("conductor: cannot record the revocations: %s", strerror(errno));
	json_free(issued);
	free(serials);
	free(times);
	return crl;
}

/* The commit, before it is made: every router that called home takes it
 * confirmed, or none does (conductor_push.c). */
static int push_prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *tree,
			unsigned flags, struct ds_errs *e)
{
	struct conductor *c = arg;
	char err[768];
	int rc;

	(void)diff;
	json_free(c->skipped);
	c->skipped = NULL;
	if (!c->ch || !role_in(c->d, tree))
		return 0;
	rc = conductor_push(c->ch, PUSH_PREPARE, tree, 0,
			    (flags & DS_PREPARE_CHECK ? PUSH_CHECK : 0) |
				    (c->d->commit_best_effort ? PUSH_BEST_EFFORT : 0),
			    &c->skipped, err, sizeof(err));
	if (rc < 0)
		ds_errs_add(e, false, NULL, "%s", err);
	return rc;
}

static void push_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	struct conductor *c = arg;
	char err[768];

	(void)diff;
	if (c->ch && role_in(c->d, running)) {
		char *crl = revocations(c, running);

		conductor_ch_set_crl(c->ch, crl);
		free(crl);
	}
	conductor_push(c->ch, PUSH_CONFIRM, NULL, newest(c->d), 0, NULL, err, sizeof(err));
	follow(c);
	keep_config(c, running);
}

static void push_abort(void *arg)
{
	struct conductor *c = arg;
	char err[768];

	conductor_push(c->ch, PUSH_CANCEL, NULL, 0, 0, NULL, err, sizeof(err));
}

/* show assets: every router of the authority, called home or not. */
static int op_assets(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		     struct json **data, struct json **error)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	struct json *list = json_new_array();

	(void)peer;
	(void)args;
	if (!conductor_role(d)) {
		json_free(list);
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"this node is not the conductor: assets are the "
					"conductor's");
		return -1;
	}
	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *name = model_leaf(r, "name");
		struct json *it, *nodes, *a;

		if (r == me)
			continue;
		it = json_new_object();
		nodes = json_new_array();
		a = conductor_ch_asset(the(d)->ch, name);
		MODEL_FOR_CHILD(r, "node", nd)
		json_append(nodes, json_new_str(model_leaf(nd, "name")));
		json_set(it, "router", json_new_str(name));
		json_set(it, "nodes", nodes);
		json_set(it, "state", json_new_str(a ? "connected" : "disconnected"));
		if (a)
			json_set(it, "connection", a);
		json_append(list, it);
	}
	*data = json_new_object();
	json_set(*data, "assets", list);
	json_set(*data, "current-version", json_new_int(newest(d)));
	return 0;
}

struct json *conductor_take_skipped(struct svrd *d)
{
	struct json *s = d && the(d) ? the(d)->skipped : NULL;

	if (s)
		the(d)->skipped = NULL;
	return s;
}

#define OVERRIDE_ALARM "local-override:"
#define OVERRIDE_MAX   4096

/* An alarm for each router in local override (SSR raises it on the
 * conductor), cleared when it ends or the router goes. */
static void override_alarms(struct ev_timer *t, void *arg)
{
	struct conductor *c = arg;
	static char names[OVERRIDE_MAX][64];
	size_t n = conductor_ch_overrides(c->ch, names, OVERRIDE_MAX);
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);

	(void)t;
	if (!c->d->alarms)
		return;
	alarm_round_begin(c->d->alarms);
	for (size_t i = 0; i < n; i++) {
		char key[128], msg[256];

		snprintf(key, sizeof(key), OVERRIDE_ALARM "%s", names[i]);
		snprintf(msg, sizeof(msg),
			 "router %s is in local override: the conductor's changes are held aside",
			 names[i]);
		alarm_raise(c->d->alarms, key, ALARM_MINOR, names[i], "CONFIG", "conductor", msg,
			    now);
	}
	alarm_round_end(c->d->alarms, OVERRIDE_ALARM, now);
}

/* request certificate-renewal ROUTER */
static int op_renew(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		    struct json **data, struct json **error)
{
	const char *router = json_get_str(args, "router", NULL);

	(void)peer;
	if (!conductor_role(d) || !the(d)->ch) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"this node is not the conductor: certificates are renewed "
					"by the conductor");
		return -1;
	}
	if (!router || !conductor_ch_renew(the(d)->ch, router)) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"router %s has not called home: it is renewed when it does "
					"(show assets)",
					router ? router : "?");
		return -1;
	}
	*data = json_new_object();
	return 0;
}

/* Every hour: the revocation list signed again once it is 3 days old
 * (valid for 7; routers get the new one within seconds), and the
 * conductor's own certificate renewed in the last third of its life. */
static void hourly(struct ev_timer *t, void *arg)
{
	struct conductor *c = arg;
	char crt[4200], key[4200], *pem, *crl;
	int64_t nb = 0, na = 0, now = (int64_t)(ev_wallclock_ms() / 1000);

	(void)t;
	if (!c->ch || !conductor_role(c->d))
		return;
	crl = revocations(c, ds_running(c->d->ds));
	conductor_ch_set_crl(c->ch, crl);
	free(crl);
	path_of(c->d, "conductor.crt", crt, sizeof(crt));
	pem = pkiconf_read_text(crt);
	if (pem && pki_cert_dates(pem, &nb, &na) == 0 && pki_renewal_due(nb, na, now)) {
		/* key, then certificate, written whole: a renewal cut short
		 * leaves a pair that does not match, made anew at the next
		 * start (own_identity) */
		if (own_identity(c, crt, key, sizeof(crt), true) == 0 &&
		    conductor_ch_reload(c->ch) == 0)
			log_info("conductor: its own certificate was renewed");
		else
			log_warnx("conductor: its own certificate could not be renewed");
	}
	free(pem);
}

static const struct mgmt_op conductor_ops[] = {
	{"certificate-renewal", true, op_renew},
	{"enrolment-token", true, op_token},
	{"get-assets", false, op_assets},
};

const struct mgmt_op *conductor_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(conductor_ops) / sizeof(conductor_ops[0]); i++)
		if (strcmp(conductor_ops[i].name, name) == 0)
			return &conductor_ops[i];
	return NULL;
}

struct conductor *conductor_start(struct svrd *d)
{
	static const struct ds_sub sub_template = {
		.name = "conductor",
		.path = "/opensvr:authority",
		.prepare = push_prepare,
		.apply = push_apply,
		.abort = push_abort,
	};
	struct conductor *c = calloc(1, sizeof(*c));
	struct ds_sub sub = sub_template;
	struct ds_errs e = {0};

	if (!c)
		return NULL;
	c->d = d;
	d->conductor = c;
	pthread_mutex_init(&c->ca_mu, NULL);
	sub.arg = c;
	if (ds_subscribe(d->ds, &sub, &e) < 0)
		log_warnx("conductor: the role will not follow commits");
	if ((c->alarms = ev_timer_add(d->loop, override_alarms, c)))
		ev_timer_arm(c->alarms, 2000, 2000);
	if ((c->hourly = ev_timer_add(d->loop, hourly, c)))
		ev_timer_arm(c->hourly, 3600 * 1000, 3600 * 1000);
	ds_errs_free(&e);
	follow(c);
	return c;
}

void conductor_stop(struct conductor *c)
{
	if (!c)
		return;
	ev_timer_del(c->alarms);
	ev_timer_del(c->hourly);
	conductor_ch_stop(c->ch);
	pki_ca_free(c->ca);
	json_free(c->skipped);
	pthread_mutex_destroy(&c->ca_mu);
	free(c);
}
