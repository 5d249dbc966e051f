/* A router's side of enrolment (doc/conductor.md).  svrsh's `enrol`
 * does the talking with the conductor; svrd keeps the key:
 *
 * - certificate-request: svrd makes a new key (EC P-256) and answers with
 *   a certificate request for it; the key stays in svrd's memory only,
 *   and a second request replaces it;
 * - certificate-install: the certificate the conductor issued, which must
 *   be for that key and chain to the CA that came with it, becomes the
 *   node's identity (STATE/pki/node.key, then node.crt, each written whole
 *   and renamed), the CA and the conductor's addresses are kept in
 *   STATE/conductor-link.json, and the certificates are read again.
 *
 * The CA and addresses are trusted because they came over the SSH session
 * whose host key the token pinned (svrsh checked it). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libyang/libyang.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alarms.h"
#include "conductor.h"
#include "crypto.h"
#include "datastore.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "log.h"
#include "mgmt.h"
#include "model.h"
#include "netconf.h"
#include "pki.h"
#include "pki_ca.h"
#include "pkiconf.h"
#include "state.h"
#include "svrd.h"

static char *pending_key; /* the key of the last certificate request */

static void forget_key(void)
{
	if (pending_key)
		crypto_wipe(pending_key, strlen(pending_key));
	free(pending_key);
	pending_key = NULL;
}

static const char *my_pcn(const struct svrd *d)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	const char *pcn;

	model_find_self(ds_running(d->ds), d->router, d->node, &auth, &me, &node);
	pcn = me ? model_leaf(me, "peering-common-name") : NULL;
	return pcn ? pcn : d->router;
}

/* A new key, kept in memory until a certificate for it comes (it replaces
 * any earlier one), and {"certificate-request": PEM} for it; NULL with
 * err. */
static struct json *new_request(const struct svrd *d, char *err, size_t errlen)
{
	char *key = NULL, *csr = pki_csr_make(my_pcn(d), &key, err, errlen);
	struct json *out;

	if (!csr)
		return NULL;
	forget_key();
	pending_key = key;
	out = json_new_object();
	json_set(out, "certificate-request", json_new_str(csr));
	free(csr);
	return out;
}

static int op_request(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	const char *router = json_get_str(args, "router", NULL);
	char err[256];

	(void)peer;
	if (router && strcmp(router, d->router) != 0) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"the token is for router %s; this is router %s", router,
					d->router);
		return -1;
	}
	if (!(*data = new_request(d, err, sizeof(err)))) {
		*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "certificate request: %s", err);
		return -1;
	}
	return 0;
}

/* The SHA-256 of the certificate in pem, from its cert-to-name form. */
static int cert_sha256(const char *pem, uint8_t out[32])
{
	char fp[PKI_CTN_FINGERPRINT_LEN];

	if (pki_cert_fingerprint_ctn(pem, fp, sizeof(fp)) < 0 || strlen(fp) != 2 + 32 * 3)
		return -1;
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)strtoul((char[]){fp[3 + 3 * i], fp[4 + 3 * i], 0}, NULL, 16);
	return 0;
}

static int save_link(const struct svrd *d, const struct json *args)
{
	struct json *link = json_new_object();
	const struct json *addrs = json_get(args, "conductor-address");
	struct json *list = json_new_array();
	char path[4096], *text;
	int rc;

	for (size_t i = 0; i < json_len(addrs); i++)
		if (json_str(json_at(addrs, i)))
			json_append(list, json_new_str(json_str(json_at(addrs, i))));
	json_set(link, "authority", json_new_str(json_get_str(args, "authority", "")));
	json_set(link, "ca-certificate", json_new_str(json_get_str(args, "ca-certificate", "")));
	json_set(link, "conductor-address", list);
	json_set(link, "conductor-name", json_new_str(json_get_str(args, "conductor-name", "")));
	json_set(link, "enrolled", json_new_int((int64_t)(ev_wallclock_ms() / 1000)));
	text = json_print_pretty(link);
	json_free(link);
	snprintf(path, sizeof(path), "%s/conductor-link.json", d->state_dir);
	rc = text ? identity_write_text(path, 0644, text) : -1;
	free(text);
	return rc;
}

static int install_fail(struct json **error, const char *fmt, const char *what)
{
	*error = mgmt_error_obj(MGMT_E_INVALID, NULL, fmt, what);
	return -1;
}

/* The certificate the conductor issued for the pending key becomes the
 * node's identity: it must be for that key and chain to ca.  With link
 * (an enrolment), the enrolment record is written too.  0, or -1 with
 * err. */
static int install(struct svrd *d, const char *cert, const char *ca, const struct json *link,
		   uint64_t *serial, int64_t *not_after, char *err, size_t errlen)
{
	uint8_t pin[32];
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	char why[256], crt[4200], key[4200], dir[4096];

	if (!pending_key) {
		snprintf(err, errlen, "no certificate request is pending");
		return -1;
	}
	if (!cert || !ca || !pki_cert_matches_key(cert, pending_key)) {
		snprintf(err, errlen, "the certificate is not for the key of the last request");
		return -1;
	}
	if (cert_sha256(ca, pin) < 0 ||
	    pki_chain_pinned(cert, ca, pin, now, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the certificate does not chain to its CA: %s", why);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/pki", d->state_dir);
	mkdir(dir, 0700);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	/* the key first: a certificate never names a key that is not there */
	if (identity_write_text(key, 0600, pending_key) < 0 ||
	    identity_write_text(crt, 0644, cert) < 0 || (link && save_link(d, link) < 0)) {
		snprintf(err, errlen, "cannot save the node's identity: %s", strerror(errno));
		return -1;
	}
	forget_key();
	pki_cert_serial(cert, serial, not_after);
	log_info("enrolment: the node's certificate is now the authority's (serial %llu)",
		 (unsigned long long)*serial);
	peers_reload(d->peers);
	return 0;
}

static int op_install(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	uint64_t serial = 0;
	int64_t not_after = 0;
	char err[512];

	(void)peer;
	if (install(d, json_get_str(args, "certificate", NULL),
		    json_get_str(args, "ca-certificate", NULL), args, &serial, &not_after, err,
		    sizeof(err)) < 0)
		return install_fail(error, "%s", err);
	netconf_callhome_update(d->netconf);
	*data = json_new_object();
	json_set(*data, "serial", json_new_int((int64_t)serial));
	json_set(*data, "not-after", json_new_int(not_after));
	return 0;
}

/* ---- renewal, from the conductor ----------------------------------------- */

/* renew-certificate-request: a new key, and a request for it. */
static int rpc_renew_request(void *arg, const struct json *input, struct json **out,
			     struct ds_errs *e)
{
	struct svrd *d = arg;
	char err[256], *ca = enrolment_link(d, "ca-certificate");

	(void)input;
	if (!ca) {
		ds_errs_add(e, false, "renew-certificate-request",
			    "this node has not enrolled with a conductor");
		return -1;
	}
	free(ca);
	if (!(*out = new_request(d, err, sizeof(err)))) {
		ds_errs_add(e, false, "renew-certificate-request", "%s", err);
		return -1;
	}
	return 0;
}

/* renew-certificate-install: the new certificate, which must chain to the
 * CA the enrolment brought (the only one a renewal may come from). */
static int rpc_renew_install(void *arg, const struct json *input, struct json **out,
			     struct ds_errs *e)
{
	struct svrd *d = arg;
	char err[512], *ca = enrolment_link(d, "ca-certificate");
	uint64_t serial = 0;
	int64_t not_after = 0;
	int rc = -1;

	if (!ca)
		ds_errs_add(e, false, "renew-certificate-install",
			    "this node has not enrolled with a conductor");
	else if (install(d, json_get_str(input, "certificate", NULL), ca, NULL, &serial, &not_after,
			 err, sizeof(err)) < 0)
		ds_errs_add(e, false, "renew-certificate-install", "%s", err);
	else
		rc = 0;
	free(ca);
	if (rc == 0) {
		*out = json_new_object();
		json_set(*out, "serial", json_new_int((int64_t)serial));
		json_set(*out, "not-after", json_new_int(not_after));
	}
	return rc;
}

/* ---- local override ----------------------------------------------------- */

#define OVERRIDE_FILE "local-override.json"
#define OVERRIDE_KEY  "local-override"

int64_t enrolment_local_override(const struct svrd *d)
{
	char path[4200], err[64], *text;
	struct json *o;
	int64_t since;

	snprintf(path, sizeof(path), "%s/" OVERRIDE_FILE, d->state_dir);
	if (!(text = pkiconf_read_text(path)))
		return 0;
	/* present is on, even unreadable: the operator asked for it */
	o = json_parse(text, strlen(text), err, sizeof(err));
	since = json_get_int(o, "since", 1);
	json_free(o);
	free(text);
	return since > 0 ? since : 1;
}

/* The router's own alarm while it is on (raised again after a restart). */
static void override_alarm(struct svrd *d, int64_t since)
{
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);

	if (since)
		alarm_raise(d->alarms, OVERRIDE_KEY, ALARM_MINOR, d->router, "CONFIG", "svrd",
			    "local override is on: the conductor's configuration changes are held "
			    "aside (set config local-override disabled)",
			    now);
	else
		alarm_clear(d->alarms, OVERRIDE_KEY, now);
}

/* set config local-override [enabled|disabled]: local edits kept, the
 * conductor's changes held aside (its commits refused, with the app tag
 * its push knows) until it is off; then the conductor brings the router
 * back to its configuration. */
static int op_override(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		       struct json **data, struct json **error)
{
	bool on = json_get_bool(args, "enabled", true);
	int64_t was = enrolment_local_override(d), now = (int64_t)(ev_wallclock_ms() / 1000);
	char path[4200];

	snprintf(path, sizeof(path), "%s/" OVERRIDE_FILE, d->state_dir);
	if (conductor_role(d)) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"this node is the conductor: local override is a router's");
		return -1;
	}
	if (on && !was) {
		struct json *o = json_new_object();
		char *text;
		int rc;

		json_set(o, "since", json_new_int(now));
		json_set(o, "user", json_new_str(peer->user));
		text = json_print(o);
		rc = text ? identity_write_text(path, 0644, text) : -1;
		free(text);
		json_free(o);
		if (rc < 0) {
			*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "cannot save it in %s: %s",
						path, strerror(errno));
			return -1;
		}
		log_info("enrolment: local override on (%s): the conductor's changes are held "
			 "aside",
			 peer->user);
	} else if (!on && was) {
		if (unlink(path) < 0 && errno != ENOENT) {
			*error = mgmt_error_obj(MGMT_E_INTERNAL, NULL, "cannot remove %s: %s", path,
						strerror(errno));
			return -1;
		}
		log_info("enrolment: local override off (%s): the conductor's configuration "
			 "applies again",
			 peer->user);
	}
	override_alarm(d, on ? (was ? was : now) : 0);
	*data = json_new_object();
	json_set(*data, "enabled", json_new_bool(on));
	json_set(*data, "since", json_new_int(on ? (was ? was : now) : 0));
	{
		char *link = enrolment_link(d, "conductor-name");

		json_set(*data, "enrolled", json_new_bool(link != NULL));
		free(link);
	}
	return 0;
}

static const struct mgmt_op enrolment_ops[] = {
	{"certificate-request", true, op_request},
	{"certificate-install", true, op_install},
	{"local-override", true, op_override},
};

const struct mgmt_op *enrolment_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(enrolment_ops) / sizeof(enrolment_ops[0]); i++)
		if (strcmp(enrolment_ops[i].name, name) == 0)
			return &enrolment_ops[i];
	return NULL;
}

void enrolment_forget(void)
{
	forget_key();
}

char *enrolment_link(const struct svrd *d, const char *key)
{
	char path[4200], err[128], *text, *out = NULL;
	struct json *l;

	snprintf(path, sizeof(path), "%s/conductor-link.json", d->state_dir);
	text = pkiconf_read_text(path);
	l = text ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
	if (l && *json_get_str(l, key, ""))
		out = strdup(json_get_str(l, key, ""));
	json_free(l);
	free(text);
	return out;
}

/* install-revocation-list, from the conductor over its call-home session
 * (an admin's): kept whole in STATE/conductor-crl.pem and read at once. */
static int rpc_install_crl(void *arg, const struct json *input, struct json **out,
			   struct ds_errs *e)
{
	struct svrd *d = arg;
	const char *pem = input ? json_get_str(input, "content", NULL) : NULL;
	struct pki_trust *t = pki_trust_new();
	char err[256], path[4200];
	int rc = -1;

	char *ca = enrolment_link(d, "ca-certificate");

	(void)out;
	snprintf(path, sizeof(path), "%s/" CONDUCTOR_CRL, d->state_dir);
	if (!pem || !t || pki_trust_add_crl_pem(t, pem, err, sizeof(err)) < 0)
		ds_errs_add(e, false, "install-revocation-list", "not a revocation list: %s",
			    pem && t ? err : "none given");
	else if (!ca || pki_crl_signed_by(pem, ca) < 0)
		ds_errs_add(e, false, "install-revocation-list",
			    ca ? "the revocation list is not the authority CA's (this node's "
				 "enrolment names it)"
			       : "this node has not enrolled with a conductor");
	else if (identity_write_text(path, 0644, pem) < 0)
		ds_errs_add(e, false, "install-revocation-list", "cannot save it: %s",
			    strerror(errno));
	else
		rc = 0;
	pki_trust_free(t);
	free(ca);
	if (rc == 0) {
		log_info("enrolment: the conductor's revocation list is in place");
		peers_reload_crls(d->peers);
	}
	return rc;
}

/* ---- the conductor's commit this router runs ------------------------------ */

#define VERSION_FILE "conductor-version.json"

/* record-conductor-version, from the conductor after the router confirmed its
 * commit: {version, the running commit's number}, so a change made here
 * later (a new number) makes the mark stale by itself. */
static int rpc_conductor_version(void *arg, const struct json *input, struct json **out,
				 struct ds_errs *e)
{
	struct svrd *d = arg;
	const struct ds_commit *h = NULL;
	struct json *mark = json_new_object();
	char path[4200], *text;
	int rc = -1;

	(void)out;
	snprintf(path, sizeof(path), "%s/" VERSION_FILE, d->state_dir);
	json_set(mark, "version", json_new_int(json_get_int(input, "version", 0)));
	json_set(mark, "commit", json_new_int(ds_history(d->ds, &h) ? h[0].number : 0));
	text = json_print(mark);
	if (!text || identity_write_text(path, 0644, text) < 0)
		ds_errs_add(e, false, "record-conductor-version", "cannot save it: %s",
			    strerror(errno));
	else
		rc = 0;
	free(text);
	json_free(mark);
	return rc;
}

/* authority-state router software-version, and conductor-version while
 * the running configuration is still the one the conductor marked. */
static int version_fill(void *arg, struct lyd_node *router, struct lyd_node *node)
{
	struct svrd *d = arg;
	const struct ds_commit *h = NULL;
	char path[4200], err[64], *text;
	struct json *mark;
	int rc = st_leaf(router, "software-version", "%s", PACKAGE_VERSION);

	(void)node;
	snprintf(path, sizeof(path), "%s/" VERSION_FILE, d->state_dir);
	text = pkiconf_read_text(path);
	mark = text ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
	if (mark && ds_history(d->ds, &h) &&
	    json_get_int(mark, "commit", -1) == (int64_t)h[0].number)
		rc |= st_leaf(router, "conductor-version", "%lld",
			      (long long)json_get_int(mark, "version", 0));
	if (enrolment_local_override(d))
		rc |= st_leaf(router, "local-override", "true");
	json_free(mark);
	free(text);
	return rc;
}

void enrolment_start(struct svrd *d)
{
	override_alarm(d, enrolment_local_override(d));
	if (svrd_rpc_register(d, "renew-certificate-request", rpc_renew_request, d) < 0 ||
	    svrd_rpc_register(d, "renew-certificate-install", rpc_renew_install, d) < 0)
		log_warnx("enrolment: the conductor cannot renew this node's certificate");
	if (svrd_rpc_register(d, "record-conductor-version", rpc_conductor_version, d) < 0 ||
	    svrd_state_register(d, version_fill, d) < 0)
		log_warnx("enrolment: the conductor's commit cannot be recorded");
	if (svrd_rpc_register(d, "install-revocation-list", rpc_install_crl, d) < 0)
		log_warnx("enrolment: the conductor cannot send revocation lists");
}
