/* Call home (RFC 8071): an enrolled router connects out to its conductor,
 * so routers behind NAT and on dynamic addresses are managed
 * (doc/conductor.md).
 *
 * The router is the NETCONF server and the TLS server of the session; the
 * conductor, the client, presents its certificate, which must chain to the
 * CA the enrolment brought (STATE/conductor-link.json, never the
 * authority's trusted-ca-certificate list: a router's certificate is
 * issued by the same CA) and name the conductor: a common name other than
 * the conductor's is dropped, so another enrolled router cannot pose as
 * the conductor.  The conductor's session is an admin's.
 *
 * libnetconf2 keeps the connection (one thread of its own, tries the
 * addresses in order, again and again); svrd says where: the authority's
 * conductor-address list, or the one the enrolment gave, on TCP 4335. */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor.h"
#include "datastore.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "netconf_int.h"
#include "pki.h"
#include "pkiconf.h"
#include "strbuf.h"

#define CH_CLIENT "conductor"
#define CH_PORT	  4335

char *nc_link_ca(struct netconf *n)
{
	return enrolment_link(n->d, "ca-certificate");
}

char *nc_link_conductor(struct netconf *n)
{
	return enrolment_link(n->d, "conductor-name");
}

/* The enrolment's record, or NULL. */
static struct json *link_of(const struct netconf *n)
{
	char path[4096], err[128];
	char *text;
	struct json *j;

	snprintf(path, sizeof(path), "%s/conductor-link.json", n->d->state_dir);
	text = pkiconf_read_text(path);
	j = text ? json_parse(text, strlen(text), err, sizeof(err)) : NULL;
	free(text);
	return j;
}

/* Where to call home: the authority's conductor-address list, or the
 * enrolment's; "" when this node is the conductor or not enrolled. */
static char *addresses(struct netconf *n)
{
	const struct lyd_node *auth = NULL, *me = NULL, *node = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct json *l;

	if (conductor_role(n->d) || !(l = link_of(n)))
		return strdup("");
	model_find_self(ds_running(n->d->ds), n->d->router, n->d->node, &auth, &me, &node);
	MODEL_FOR_CHILD(auth, "conductor-address", a)
	strbuf_addf(&sb, "%s%s", sb.len ? " " : "", lyd_get_value(a));
	if (!sb.len) {
		const struct json *list = json_get(l, "conductor-address");

		for (size_t i = 0; i < json_len(list); i++)
			if (json_str(json_at(list, i)))
				strbuf_addf(&sb, "%s%s", sb.len ? " " : "",
					    json_str(json_at(list, i)));
	}
	json_free(l);
	return sb.len ? strbuf_steal(&sb) : strdup("");
}

/* libnetconf2's call-home thread: the conductor is in. */
static int ch_session(const char *client, struct nc_session *s)
{
	(void)client;
	if (!nc_server)
		return 1;
	nc_session_in(nc_server, s, true);
	return 0; /* nc_session_in keeps it or frees it */
}

/* One endpoint per address, TLS with the node's certificate, the
 * conductor's CA the only one trusted, its common name the user. */
static int endpoints(struct netconf *n, const char *list, const char *ca)
{
	char fp[PKI_CTN_FINGERPRINT_LEN], *copy = strdup(list), *save = NULL;
	int k = 0;

	if (!copy || pki_cert_fingerprint_ctn(ca, fp, sizeof(fp)) < 0) {
		free(copy);
		return -1;
	}
	for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", k++);
		if (nc_server_ch_client_add_endpt(CH_CLIENT, name, NC_TI_OPENSSL) ||
		    nc_server_ch_client_endpt_set_address(CH_CLIENT, name, a) ||
		    nc_server_ch_client_endpt_set_port(CH_CLIENT, name, CH_PORT) ||
		    nc_server_tls_ch_client_endpt_set_server_cert(CH_CLIENT, name, "node") ||
		    nc_server_tls_ch_client_endpt_add_trusted_cert_list(CH_CLIENT, name,
									NC_CH_TRUST) ||
		    nc_server_tls_ch_client_endpt_add_ctn(CH_CLIENT, name, 1, fp,
							  NC_TLS_CTN_COMMON_NAME, NULL)) {
			free(copy);
			return -1;
		}
	}
	free(copy);
	(void)n;
	return 0;
}

void nc_callhome_stop(struct netconf *n)
{
	if (n->ch_addresses && *n->ch_addresses)
		nc_server_ch_del_client(CH_CLIENT);
	free(n->ch_addresses);
	n->ch_addresses = NULL;
}

void nc_callhome_update(struct netconf *n)
{
	char *want = addresses(n), *ca;

	if (!want || (n->ch_addresses && !strcmp(want, n->ch_addresses))) {
		free(want);
		return;
	}
	nc_callhome_stop(n);
	n->ch_addresses = want;
	if (!*want)
		return;
	ca = nc_link_ca(n);
	if (!ca || nc_server_ch_add_client(CH_CLIENT) ||
	    nc_server_ch_client_set_conn_type(CH_CLIENT, NC_CH_PERSIST) ||
	    endpoints(n, want, ca) < 0 || nc_connect_ch_client_dispatch(CH_CLIENT, ch_session)) {
		log_warnx("netconf: cannot call home to %s", want);
		nc_server_ch_del_client(CH_CLIENT);
		*n->ch_addresses = '\0';
	} else {
		log_info("netconf: calling home to the conductor at %s (port %d)", want, CH_PORT);
	}
	free(ca);
}
