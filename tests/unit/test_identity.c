/* The node identity's files (daemon/identity.c): the self-signed identity
 * made and saved (key 0600, certificate 0644), loaded again, replaced for
 * a new peering name, renewed with its key near its end; a configured
 * certificate and key read from their files, with the errors that name
 * them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "identity.h"
#include "pki.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/svrid.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(identity, .init = setup, .fini = teardown);

#define NOW ((int64_t)time(NULL))

static bool same_der(const struct pki_identity *a, const struct pki_identity *b)
{
	size_t la, lb;
	const uint8_t *da = pki_identity_der(a, &la), *db = pki_identity_der(b, &lb);

	return la == lb && memcmp(da, db, la) == 0;
}

static unsigned mode_of(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 0777;
}

static bool same_file(const char *name, const char *copy)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s/%s' '%s/%s'", dir, name, dir, copy);
	return system(cmd) == 0;
}

static void copy(const char *name, const char *to)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/%s'", dir, name, dir, to);
	cr_assert_eq(system(cmd), 0);
}

Test(identity, made_saved_and_reloaded)
{
	char err[256];
	struct pki_identity *a = identity_open(dir, "peer-a", NOW, 365, err, sizeof(err));
	struct pki_identity *b;

	cr_assert_not_null(a, "%s", err);
	cr_assert(pki_identity_self_signed(a));
	cr_assert_eq(mode_of("node.key"), 0600, "key mode %o", mode_of("node.key"));
	cr_assert_eq(mode_of("node.crt"), 0644, "certificate mode %o", mode_of("node.crt"));
	b = identity_open(dir, "peer-a", NOW, 365, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b), "reloading made a new certificate");
	pki_identity_free(b);
	/* a new peering name: a new self-signed certificate */
	b = identity_open(dir, "peer-renamed", NOW, 365, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert_not(same_der(a, b));
	cr_assert(pki_identity_names(b, "peer-renamed"));
	pki_identity_free(a);
	a = identity_open(dir, "peer-renamed", NOW, 365, err, sizeof(err));
	cr_assert(same_der(a, b), "the new one was not saved");
	pki_identity_free(a);
	pki_identity_free(b);
}

Test(identity, renewed_with_its_key_thirty_days_before_its_end)
{
	char err[256], detail[256];
	struct pki_identity *a = identity_open(dir, "peer-a", NOW, 40, err, sizeof(err));
	struct pki_identity *b, *c;
	struct pki_peer *pa, *pb;
	enum pki_verdict v;
	const uint8_t *der;
	size_t len;

	cr_assert_not_null(a, "%s", err);
	copy("node.key", "key.before");
	copy("node.crt", "crt.before");
	/* 9 days on: 31 days left, kept */
	b = identity_open(dir, "peer-a", NOW + 9 * 86400, 365, err, sizeof(err));
	cr_assert(same_der(a, b));
	cr_assert(same_file("node.crt", "crt.before"));
	pki_identity_free(b);
	/* 11 days on: 29 left, renewed with the same key and saved */
	b = identity_open(dir, "peer-a", NOW + 11 * 86400, 365, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert_not(same_der(a, b), "not renewed");
	cr_assert_geq(pki_identity_not_after(b), NOW + 375 * 86400);
	cr_assert(same_file("node.key", "key.before"), "the key changed");
	cr_assert_not(same_file("node.crt", "crt.before"));
	cr_assert_eq(mode_of("node.crt"), 0644);
	der = pki_identity_der(a, &len);
	pa = pki_peer_validate(NULL, der, len, "peer-a", NOW, &v, detail, sizeof(detail));
	der = pki_identity_der(b, &len);
	pb = pki_peer_validate(NULL, der, len, "peer-a", NOW + 11 * 86400, &v, detail,
			       sizeof(detail));
	cr_assert_not_null(pb, "%s", detail);
	cr_assert(pki_peer_same_key(pa, pb));
	c = identity_open(dir, "peer-a", NOW + 11 * 86400, 365, err, sizeof(err));
	cr_assert(same_der(b, c), "the renewed certificate was not saved");
	pki_peer_free(pa);
	pki_peer_free(pb);
	pki_identity_free(a);
	pki_identity_free(b);
	pki_identity_free(c);
}

/* The renewed certificate cannot be saved: the old one stays in use (its
 * alarm says it is expiring), its file untouched. */
Test(identity, a_renewal_that_cannot_be_saved_keeps_the_old_certificate)
{
	char err[256], path[128];
	struct pki_identity *a = identity_open(dir, "peer-a", NOW, 20, err, sizeof(err));
	struct pki_identity *b;

	cr_assert_not_null(a, "%s", err);
	copy("node.crt", "crt.before");
	snprintf(path, sizeof(path), "%s/node.crt.tmp", dir);
	cr_assert_eq(mkdir(path, 0700), 0); /* where the new one would be written */
	b = identity_open(dir, "peer-a", NOW, 365, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b));
	cr_assert(same_file("node.crt", "crt.before"));
	pki_identity_free(a);
	pki_identity_free(b);
}

Test(identity, a_state_directory_that_cannot_be_written_is_an_error)
{
	char err[256], path[128];

	snprintf(path, sizeof(path), "%s/none", dir);
	cr_assert_null(identity_open(path, "peer-a", NOW, 365, err, sizeof(err)));
	cr_assert(strstr(err, "cannot save the node certificate in ") == err, "%s", err);
	cr_assert(strstr(err, "No such file or directory") != NULL, "%s", err);
	cr_assert_neq(access(path, F_OK), 0);
}

Test(identity, configured_files_and_the_errors_that_name_them)
{
	char err[256], crt[128], key[128], both[128], none[128], cmd[512];
	struct pki_identity *a = identity_open(dir, "peer-a", NOW, 365, err, sizeof(err)), *b;

	cr_assert_not_null(a, "%s", err);
	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	snprintf(both, sizeof(both), "%s/both.pem", dir);
	snprintf(none, sizeof(none), "%s/none.pem", dir);
	b = identity_load(crt, key, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b));
	pki_identity_free(b);
	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'", key, crt, both);
	cr_assert_eq(system(cmd), 0);
	b = identity_load(both, both, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b));
	pki_identity_free(b);
	cr_assert_null(identity_load(none, key, err, sizeof(err)));
	cr_assert_str_eq(err + strlen(err) - strlen("none.pem"), "none.pem");
	cr_assert(strstr(err, "cannot read the certificate ") == err, "%s", err);
	cr_assert_null(identity_load(crt, none, err, sizeof(err)));
	cr_assert(strstr(err, "cannot read the private key ") == err, "%s", err);
	cr_assert_null(identity_load(key, key, err, sizeof(err)));
	cr_assert(strstr(err, "cannot read the certificate ") == err, "%s", err);
	pki_identity_free(a);
	a = identity_open(dir, "peer-b", NOW, 365, err, sizeof(err)); /* a new key */
	cr_assert_not_null(a, "%s", err);
	snprintf(cmd, sizeof(cmd), "%s/other.crt", dir);
	cr_assert_eq(rename(crt, cmd), 0);
	cr_assert_null(identity_load(cmd, both, err, sizeof(err)));
	cr_assert(strstr(err, "does not belong to the certificate") != NULL, "%s", err);
	pki_identity_free(a);
}

/* Text before the PEM (a chain's description, say) is skipped however
 * long it runs, up to the reader's bound of 1 MiB: a file larger than
 * that is not read at all. */
Test(identity, long_files_are_read_up_to_a_bound)
{
	char err[256], crt[128], big[128], huge[128], cmd[600];
	struct pki_identity *a = identity_open(dir, "peer-a", NOW, 365, err, sizeof(err)), *b;

	cr_assert_not_null(a, "%s", err);
	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	snprintf(big, sizeof(big), "%s/big.pem", dir);
	snprintf(huge, sizeof(huge), "%s/huge.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "{ head -c 100000 /dev/zero | tr '\\0' x; echo; cat '%s' '%s/node.key'; } > '%s'",
		 crt, dir, big);
	cr_assert_eq(system(cmd), 0);
	b = identity_load(big, big, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b));
	pki_identity_free(b);
	snprintf(cmd, sizeof(cmd),
		 "{ head -c 1100000 /dev/zero | tr '\\0' x; echo; cat '%s' '%s/node.key'; } > '%s'",
		 crt, dir, huge);
	cr_assert_eq(system(cmd), 0);
	cr_assert_null(identity_load(huge, huge, err, sizeof(err)));
	cr_assert(strstr(err, "cannot read the certificate ") == err, "%s", err);
	pki_identity_free(a);
}
