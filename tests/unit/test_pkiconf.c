/* The certificates of the configuration (daemon/pkiconf.c), checked where
 * svrd checks them: in a subscriber's prepare step, so that a commit
 * naming a CA that is not one, or a client certificate that cannot be
 * loaded, fails with the cause and leaves running as it was.  The
 * subscriber here does what the peers' prepare does with them. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "dstest.h"
#include "model.h"
#include "pcli.h"
#include "pki.h"
#include "pkiconf.h"

static int prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *tree,
		   unsigned flags, struct ds_errs *e)
{
	const struct lyd_node *auth = NULL;
	struct pki_identity *id;
	char *problem = NULL;

	(void)arg;
	(void)diff;
	(void)flags;
	for (const struct lyd_node *n = tree; n; n = n->next)
		if (n->schema && strcmp(n->schema->name, "authority") == 0)
			auth = n;
	pkiconf_check_cas(auth, e);
	id = pkiconf_client_identity(auth, dir, "test", T0 / 1000, &problem, e);
	pki_identity_free(id);
	free(problem);
	return ds_errs_count(e) ? -1 : 0;
}

/* The datastore of dstest.c, with the subscriber above. */
static void setup_certificates(void)
{
	struct ds_errs e = {0};
	struct ds_sub sub = {
		.name = "certificates", .path = "/opensvr:authority", .prepare = prepare};

	setup();
	cr_assert_eq(ds_subscribe(ds, &sub, &e), 0);
	ds_errs_free(&e);
}

TestSuite(pkiconf, .init = setup_certificates, .fini = teardown);

static char *make_cert(const char *extra)
{
	char cmd[1024], path[128];
	FILE *f;
	char *pem;
	long n;

	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s/key.pem -out %s -days 30 -subj /CN=test %s >/dev/null 2>&1",
		 dir, path, extra);
	cr_assert_eq(system(cmd), 0, "openssl failed: %s", cmd);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	pem = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(pem, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return pem;
}

/* Is a client-certificate in running? */
static bool has_cc(void)
{
	struct lyd_node *m = NULL;

	return lyd_find_path(ds_running(ds), "/opensvr:authority/client-certificate[name='mine']",
			     0, &m) == LY_SUCCESS &&
	       m;
}

Test(pkiconf, trusted_ca_content_must_be_a_ca_certificate)
{
	char msg[512];

	cr_assert_eq(apply("config authority trusted-ca-certificate ca1 content \"not a pem\"\n",
			   msg, sizeof(msg)),
		     0, "%s", msg);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "authority trusted-ca-certificate ca1 content: not a PEM X.509 "
			      "certificate");
	/* validation-mode warn: a warning, and the commit goes through */
	cr_assert_eq(apply("config authority trusted-ca-certificate ca1 validation-mode warn\n",
			   msg, sizeof(msg)),
		     0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "%s", msg);
}

Test(pkiconf, client_certificate_file_must_be_readable)
{
	char msg[512];

	apply("config authority client-certificate mine file /nonexistent/cert.pem\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "authority client-certificate mine file: cannot read the "
			      "certificate /nonexistent/cert.pem");
	cr_assert_not(has_cc(), "running changed");
	apply("config authority client-certificate mine validation-mode warn\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "warn mode still failed: %s", msg);
}

Test(pkiconf, client_certificate_relative_file_is_taken_from_the_state_directory)
{
	char msg[512], path[256], cmd[600];
	FILE *f;

	apply("config authority client-certificate mine file local.pem\n", NULL, 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0);
	snprintf(path, sizeof(path), "%s/local.pem", dir);
	cr_assert(strstr(msg, path) != NULL, "%s", msg);
	/* there, but not a certificate and key: it cannot be loaded */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "an unloadable file was committed");
	cr_assert(strstr(msg, "cannot read the certificate") != NULL, "%s", msg);
	cr_assert_not(has_cc(), "running changed");
	/* a certificate and its key: taken */
	free(make_cert(""));
	snprintf(cmd, sizeof(cmd), "cat %s/cert.pem %s/key.pem > %s", dir, dir, path);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "not found in %s: %s", dir, msg);
	cr_assert(has_cc());
}

static int set_ca(const char *pem)
{
	struct ds_errs e = {0};
	int rc = ds_set(ds, 1, "/opensvr:authority/trusted-ca-certificate[name='lab']/content", pem,
			&e);

	ds_errs_free(&e);
	return rc;
}

Test(pkiconf, trusted_ca_accepts_a_ca_and_refuses_a_leaf)
{
	char msg[512];
	char *ca = make_cert("-addext basicConstraints=critical,CA:TRUE");
	char *leafcert = make_cert("-addext basicConstraints=critical,CA:FALSE");

	cr_assert_eq(set_ca(ca), 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 1, "a CA was refused: %s", msg);
	cr_assert_eq(set_ca(leafcert), 0);
	cr_assert_eq(commit(NULL, 0, T0, msg, sizeof(msg)), 0, "a leaf certificate was accepted");
	cr_assert(strstr(msg, "not a CA certificate") != NULL, "%s", msg);
	free(ca);
	free(leafcert);
}
