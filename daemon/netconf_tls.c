/* NETCONF over TLS (RFC 7589), beside SSH (netconf.c): svrd --netconf-tls.
 *
 * svrd presents the node's identity, the certificate it peers with (a
 * configured client-certificate, or its own self-signed one), so TLS
 * needs key management running.  A client presents a certificate that
 * one of the authority's trusted-ca-certificate entries issued; its
 * common name is the user (RFC 7589 cert-to-name, "common-name" mapping
 * for each trusted CA), and that name must be an `authority user`, whose
 * role applies as over SSH.  A certificate no trusted CA issued, or one
 * whose name is no user, gets nowhere.  Routers and their conductor meet
 * this way.
 *
 * The certificates are asked of svrd's thread at each new session (a job),
 * so a renewed identity or a changed CA list holds from the next session;
 * the cert-to-name list follows every commit. */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "datastore.h"
#include "log.h"
#include "model.h"
#include "netconf_int.h"
#include "pki.h"
#include "pkiconf.h"

#define TLS_ENDPT "tls"

/* The first PEM block of text, as the base64 of its DER (what
 * libnetconf2 takes as "data"): the lines between the markers. */
char *pem_body(const char *text)
{
	const char *b = text ? strstr(text, "-----BEGIN ") : NULL;
	const char *s = b ? strchr(b, '\n') : NULL;
	const char *e = s ? strstr(s, "-----END ") : NULL;
	char *out, *o;

	if (!e)
		return NULL;
	out = o = malloc((size_t)(e - s) + 1);
	if (!out)
		return NULL;
	for (const char *p = s + 1; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ')
			*o++ = *p;
	*o = '\0';
	return out;
}

/* The private key of pem as libnetconf2 reads key "data" (traditional
 * DER in base64; PKCS#8 it does not take), with its type. */
static char *key_data(const char *pem, NC_SSH_KEY_TYPE *type)
{
	enum pki_key_kind kind;
	char *b64 = pki_key_der_b64(pem, &kind);

	*type = kind == PKI_KEY_RSA ? NC_SSH_KEY_RSA : NC_SSH_KEY_ECDSA;
	return b64;
}

/* ---- the node's certificate ----------------------------------------------- */

struct ident_job {
	char *cert, *key;
};

static void main_identity(struct netconf *n, struct nc_job *j)
{
	struct ident_job *ij = j->arg;
	char crt[4200], key[4200];

	if (peers_identity_pem(n->d->peers, &ij->cert, &ij->key) == 0)
		return;
	/* key management not running (a router enrolled, its configuration
	 * not come yet): the node's files, which the enrolment wrote */
	snprintf(crt, sizeof(crt), "%s/pki/node.crt", n->d->state_dir);
	snprintf(key, sizeof(key), "%s/pki/node.key", n->d->state_dir);
	ij->cert = pkiconf_read_text(crt);
	ij->key = ij->cert ? pkiconf_read_text(key) : NULL;
	if (!ij->key) {
		free(ij->cert);
		ij->cert = NULL;
	}
}

static int cert_cb(const char *name, void *arg, char **cert_path, char **cert_data,
		   char **privkey_path, char **privkey_data, NC_SSH_KEY_TYPE *privkey_type)
{
	struct netconf *n = arg;
	struct ident_job ij = {0};
	struct nc_job j = {.fn = main_identity, .arg = &ij};

	(void)name;
	(void)cert_path;
	(void)privkey_path;
	if (nc_run(n, &j) < 0 || !ij.cert) {
		log_warnx("netconf: TLS: no node certificate (key management is not running, and "
			  "this node has not enrolled)");
		return 1;
	}
	*cert_data = pem_body(ij.cert);
	*privkey_data = key_data(ij.key, privkey_type);
	free(ij.cert);
	crypto_wipe(ij.key, strlen(ij.key));
	free(ij.key);
	return *cert_data && *privkey_data ? 0 : 1;
}

/* ---- the trusted CAs -------------------------------------------------------- */

/* The trusted CAs' PEM texts in run (a running configuration). */
static size_t trusted_cas(const struct svrd *d, const struct lyd_node *run, const char ***out)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	size_t n = 0;

	*out = NULL;
	model_find_self(run, d->router, d->node, &auth, &me, &node);
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	{
		const char *pem = model_leaf(ca, "content");
		const char **grown = pem ? realloc(*out, (n + 1) * sizeof(**out)) : NULL;

		if (grown) {
			*out = grown;
			(*out)[n++] = pem;
		}
	}
	return n;
}

struct cas_job {
	char **data;
	int count;
};

static void main_cas(struct netconf *n, struct nc_job *j)
{
	struct cas_job *cj = j->arg;
	const char **pems;
	size_t k = trusted_cas(n->d, ds_running(n->d->ds), &pems);

	cj->data = calloc(k + 1, sizeof(*cj->data));
	for (size_t i = 0; cj->data && i < k; i++)
		if ((cj->data[cj->count] = pem_body(pems[i])))
			cj->count++;
	free(pems);
}

static int cas_cb(const char *name, void *arg, char ***cert_paths, int *cert_path_count,
		  char ***cert_data, int *cert_data_count)
{
	struct netconf *n = arg;
	struct cas_job cj = {0};
	struct nc_job j = {.fn = main_cas, .arg = &cj};

	*cert_paths = NULL;
	*cert_path_count = 0;
	if (!strcmp(name, NC_CH_TRUST)) { /* calling home: the conductor's CA alone */
		char *ca = nc_link_ca(n);

		*cert_data = calloc(2, sizeof(**cert_data));
		if (!ca || !*cert_data || !((*cert_data)[0] = pem_body(ca))) {
			free(ca);
			free(*cert_data);
			*cert_data = NULL;
			return 1;
		}
		free(ca);
		*cert_data_count = 1;
		return 0;
	}
	if (nc_run(n, &j) < 0 || !cj.data) {
		free(cj.data);
		return 1;
	}
	*cert_data = cj.data;
	*cert_data_count = cj.count;
	return 0;
}

/* svrd's thread: a client certificate from a trusted CA maps to its
 * common name, for every trusted CA of run. */
static void tls_names(struct netconf *n, const struct lyd_node *run)
{
	const char **pems;
	size_t k;
	char fp[PKI_CTN_FINGERPRINT_LEN];

	if (!n || !n->tls)
		return;
	nc_server_tls_endpt_del_ctn(TLS_ENDPT, -1, NULL, 0, NULL);
	k = trusted_cas(n->d, run, &pems);
	for (size_t i = 0; i < k; i++)
		if (pki_cert_fingerprint_ctn(pems[i], fp, sizeof(fp)) == 0)
			nc_server_tls_endpt_add_ctn(TLS_ENDPT, (uint32_t)i + 1, fp,
						    NC_TLS_CTN_COMMON_NAME, NULL);
	free(pems);
}

static void tls_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	(void)diff;
	tls_names(arg, running);
}

void nc_tls_callbacks(struct netconf *n)
{
	nc_server_tls_set_server_cert_clb(cert_cb, n, NULL);
	nc_server_tls_set_trusted_cert_list_clb(cas_cb, n, NULL);
}

int nc_tls_start(struct netconf *n, const char *addr, uint16_t port, char *err, size_t errlen)
{
	static const struct ds_sub sub_template = {
		.name = "netconf-tls",
		.path = "/opensvr:authority/trusted-ca-certificate",
		.apply = tls_apply,
	};
	struct ds_sub sub = sub_template;
	struct ds_errs e = {0};

	if (nc_server_add_endpt(TLS_ENDPT, NC_TI_OPENSSL) ||
	    nc_server_tls_endpt_set_server_cert(TLS_ENDPT, "node") ||
	    nc_server_tls_endpt_add_trusted_cert_list(TLS_ENDPT, "authority") ||
	    nc_server_endpt_set_address(TLS_ENDPT, addr) ||
	    nc_server_endpt_set_port(TLS_ENDPT, port)) {
		snprintf(err, errlen, "netconf: cannot listen for TLS on %s port %u", addr, port);
		return -1;
	}
	n->tls = true;
	sub.arg = n;
	if (ds_subscribe(n->d->ds, &sub, &e) < 0)
		log_warnx("netconf: TLS: the user names will not follow commits");
	ds_errs_free(&e);
	tls_names(n, ds_running(n->d->ds));
	return 0;
}
