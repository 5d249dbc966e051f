/* PKI: node identities (made, given as PEM and taken back, renewed with
 * their key, loaded from a configured certificate and key), signatures against the pinned key, and
 * peer validation: the happy paths and every rejection DESIGN.md lists. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "badcert.h"
#include "pki.h"

static char dir[64];
static char certs[128];
static bool have_certs;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/svrpki.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(certs, sizeof(certs), "%s/certs", dir);
	have_certs = false;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(pki, .init = setup, .fini = teardown);

static void make_certs(void)
{
	char cmd[512];
	const char *top = getenv("top_srcdir");

	if (have_certs)
		return;
	mkdir(certs, 0700);
	snprintf(cmd, sizeof(cmd), "%s/tests/unit/mkcerts.sh %s", top ? top : ".", certs);
	cr_assert_eq(system(cmd), 0, "mkcerts.sh failed");
	have_certs = true;
}

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", certs, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "missing %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

#define NOW ((int64_t)time(NULL))

/* Its certificate's DER, compared with another's. */
static bool same_der(const struct pki_identity *a, const struct pki_identity *b)
{
	size_t la, lb;
	const uint8_t *da = pki_identity_der(a, &la), *db = pki_identity_der(b, &lb);

	return la == lb && memcmp(da, db, la) == 0;
}

Test(pki, identity_is_made_and_given_back_as_pem)
{
	char err[256];
	struct pki_identity *a = pki_identity_make(NULL, "peer-a", NOW, 365, err, sizeof(err));
	struct pki_identity *b, *c;
	char *crt, *key;

	cr_assert_not_null(a, "%s", err);
	cr_assert(pki_identity_self_signed(a));
	cr_assert(pki_identity_names(a, "peer-a"));
	cr_assert_not(pki_identity_names(a, "peer-b"));
	cr_assert_geq(pki_identity_not_after(a), NOW + 364 * 86400);
	crt = pki_identity_cert_pem(a);
	key = pki_identity_key_pem(a);
	cr_assert_not_null(crt);
	cr_assert_not_null(key);
	cr_assert(strstr(crt, "-----BEGIN CERTIFICATE-----") == crt, "%s", crt);
	cr_assert(strstr(key, "-----BEGIN PRIVATE KEY-----") == key, "not PKCS#8");
	b = pki_identity_from_pem(crt, key, "node.crt", "node.key", err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	cr_assert(same_der(a, b), "the PEM gave another certificate");
	cr_assert(pki_identity_self_signed(b));
	/* a new identity: a new certificate */
	c = pki_identity_make(NULL, "peer-a", NOW, 365, err, sizeof(err));
	cr_assert_not(same_der(a, c));
	free(crt);
	free(key);
	pki_identity_free(a);
	pki_identity_free(b);
	pki_identity_free(c);
}

/* Made again with the same key 30 days before its end: a peer that pinned
 * the key on first use keeps trusting the new certificate. */
/* What the operational state shows of a certificate: its names, serial,
 * validity and fingerprint, from the DER; anything else is refused. */
Test(pki, a_certificate_is_described_from_its_der)
{
	char err[256];
	struct pki_identity *a = pki_identity_make(NULL, "peer-a", NOW, 365, err, sizeof(err));
	struct pki_cert_info ci;
	const uint8_t *der;
	size_t len;

	cr_assert_not_null(a, "%s", err);
	der = pki_identity_der(a, &len);
	cr_assert_eq(pki_cert_info(der, len, &ci), 0);
	cr_assert(strstr(ci.subject, "CN=peer-a"), "subject %s", ci.subject);
	cr_assert_str_eq(ci.subject, ci.issuer, "a self-signed certificate");
	cr_assert_neq(ci.serial[0], '\0');
	cr_assert_leq(ci.not_before, NOW);
	cr_assert_eq(ci.not_after, pki_identity_not_after(a));
	cr_assert_eq(strlen(ci.fingerprint), 95, "%s", ci.fingerprint);
	cr_assert_eq(ci.fingerprint[2], ':');
	cr_assert_eq(pki_cert_info(der, len - 1, &ci), -1, "a cut certificate described");
	cr_assert_eq(pki_cert_info((const uint8_t *)"not a certificate", 17, &ci), -1);
	cr_assert_eq(pki_cert_info(NULL, 0, &ci), -1);
	pki_identity_free(a);
}

Test(pki, a_renewed_identity_keeps_its_key)
{
	char err[256], detail[256];
	struct pki_identity *old = pki_identity_make(NULL, "peer-b", NOW, 60, err, sizeof(err));
	struct pki_identity *fresh, *other;
	struct pki_peer *po, *pf, *px;
	enum pki_verdict v;
	const uint8_t *der;
	size_t len;

	cr_assert_not_null(old, "%s", err);
	cr_assert_not(pki_identity_renew_due(old, NOW));
	cr_assert_not(pki_identity_renew_due(old, NOW + 29 * 86400), "60 days - 29 > 30");
	cr_assert(pki_identity_renew_due(old, NOW + 31 * 86400));
	fresh = pki_identity_make(old, "peer-b", NOW + 31 * 86400, 365, err, sizeof(err));
	cr_assert_not_null(fresh, "%s", err);
	cr_assert_not(same_der(old, fresh));
	cr_assert_not(pki_identity_renew_due(fresh, NOW + 31 * 86400));
	der = pki_identity_der(old, &len);
	po = pki_peer_validate(NULL, der, len, "peer-b", NOW, &v, detail, sizeof(detail));
	der = pki_identity_der(fresh, &len);
	pf = pki_peer_validate(NULL, der, len, "peer-b", NOW + 31 * 86400, &v, detail,
			       sizeof(detail));
	cr_assert_not_null(po);
	cr_assert_not_null(pf, "%s", detail);
	cr_assert(pki_peer_same_key(po, pf), "the renewed certificate has another key");
	other = pki_identity_make(NULL, "peer-b", NOW, 60, err, sizeof(err));
	der = pki_identity_der(other, &len);
	px = pki_peer_validate(NULL, der, len, "peer-b", NOW, &v, detail, sizeof(detail));
	cr_assert_not(pki_peer_same_key(po, px), "the check above can fail");
	pki_peer_free(po);
	pki_peer_free(pf);
	pki_peer_free(px);
	pki_identity_free(old);
	pki_identity_free(fresh);
	pki_identity_free(other);
}

/* A configured identity is never renewed: its CA would have to do it. */
Test(pki, a_ca_signed_identity_is_never_due_for_renewal)
{
	char *crt, *key, err[256];
	struct pki_identity *id;

	make_certs();
	crt = slurp("good.pem", NULL);
	key = slurp("good.key", NULL);
	id = pki_identity_from_pem(crt, key, "good.pem", "good.key", err, sizeof(err));
	cr_assert_not_null(id, "%s", err);
	cr_assert_not(pki_identity_renew_due(id, pki_identity_not_after(id)));
	pki_identity_free(id);
	free(crt);
	free(key);
}

Test(pki, self_signed_peer_is_validated_pinned_and_verifies)
{
	char err[256], detail[256];
	struct pki_identity *b;
	struct pki_peer *p;
	enum pki_verdict v;
	const uint8_t *der;
	size_t len, siglen;
	uint8_t sig[PKI_SIG_MAX], msg[] = "salt and ephemeral key";

	b = pki_identity_make(NULL, "peer-b", NOW, 365, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	der = pki_identity_der(b, &len);
	p = pki_peer_validate(NULL, der, len, "peer-b", NOW, &v, detail, sizeof(detail));
	cr_assert_not_null(p, "%s: %s", pki_verdict_name(v), detail);
	cr_assert_eq(pki_sign(b, msg, sizeof(msg), sig, sizeof(sig), &siglen), 0);
	cr_assert(pki_peer_verify(p, msg, sizeof(msg), sig, siglen));
	msg[0] ^= 1;
	cr_assert_not(pki_peer_verify(p, msg, sizeof(msg), sig, siglen), "tampered data verified");
	msg[0] ^= 1;
	sig[siglen - 1] ^= 1;
	cr_assert_not(pki_peer_verify(p, msg, sizeof(msg), sig, siglen), "tampered signature");
	pki_peer_free(p);
	pki_identity_free(b);
}

static enum pki_verdict check(const struct pki_trust *t, const uint8_t *der, size_t len,
			      const char *pcn, int64_t now, char *detail)
{
	enum pki_verdict v;
	struct pki_peer *p = pki_peer_validate(t, der, len, pcn, now, &v, detail, 256);

	cr_assert_eq(p != NULL, v == PKI_OK);
	pki_peer_free(p);
	return v;
}

Test(pki, dates_and_name_of_a_self_signed_peer)
{
	char err[256], detail[256];
	struct pki_identity *b;
	const uint8_t *der;
	size_t len;

	b = pki_identity_make(NULL, "peer-b", NOW, 30, err, sizeof(err));
	der = pki_identity_der(b, &len);
	cr_assert_eq(check(NULL, der, len, "peer-b", NOW, detail), PKI_OK);
	cr_assert_eq(check(NULL, der, len, "peer-c", NOW, detail), PKI_WRONG_NAME);
	cr_assert_eq(check(NULL, der, len, "peer-b", NOW + 31 * 86400, detail), PKI_EXPIRED);
	cr_assert(strstr(detail, "not after") != NULL, "%s", detail);
	cr_assert_eq(check(NULL, der, len, "peer-b", NOW - 86400, detail), PKI_NOT_YET_VALID);
	cr_assert_eq(check(NULL, der, len - 1, "peer-b", NOW, detail), PKI_MALFORMED);
	cr_assert_eq(check(NULL, (const uint8_t *)"garbage", 7, "peer-b", NOW, detail),
		     PKI_MALFORMED);
	pki_identity_free(b);
}

static struct pki_trust *trust(bool crl)
{
	struct pki_trust *t = pki_trust_new();
	char err[256], *pem = slurp("ca.pem", NULL);

	cr_assert_eq(pki_trust_add_ca_pem(t, pem, err, sizeof(err)), 0, "%s", err);
	free(pem);
	if (crl) {
		pem = slurp("crl.pem", NULL);
		cr_assert_eq(pki_trust_add_crl_pem(t, pem, err, sizeof(err)), 0, "%s", err);
		free(pem);
	}
	return t;
}

static enum pki_verdict check_file(const struct pki_trust *t, const char *name, char *detail)
{
	size_t len;
	uint8_t *der = (uint8_t *)slurp(name, &len);
	enum pki_verdict v = check(t, der, len, "peer-b", NOW, detail);

	free(der);
	return v;
}

Test(pki, ca_signed_peers_and_every_rejection)
{
	struct pki_trust *t, *tc;
	char detail[256];

	make_certs();
	t = trust(false);
	tc = trust(true);
	cr_assert_eq(check_file(t, "good.der", detail), PKI_OK, "%s", detail);
	cr_assert_eq(check_file(tc, "good.der", detail), PKI_OK, "with CRL: %s", detail);
	cr_assert_eq(check_file(t, "san.der", detail), PKI_OK, "SAN URI: %s", detail);
	cr_assert_eq(check_file(t, "revoked.der", detail), PKI_OK, "no CRL configured: valid");
	cr_assert_eq(check_file(tc, "revoked.der", detail), PKI_REVOKED, "%s", detail);
	cr_assert_eq(check_file(t, "untrusted.der", detail), PKI_UNTRUSTED, "%s", detail);
	cr_assert_eq(check_file(NULL, "good.der", detail), PKI_UNTRUSTED,
		     "a CA-signed certificate without the CA configured");
	cr_assert_eq(check_file(t, "sha1.der", detail), PKI_WEAK_ALGORITHM, "%s", detail);
	cr_assert(strstr(detail, "SHA1") != NULL || strstr(detail, "sha1") != NULL, "%s", detail);
	cr_assert_eq(check_file(NULL, "rsa1024.der", detail), PKI_WEAK_ALGORITHM, "%s", detail);
	cr_assert(strstr(detail, "1024") != NULL, "%s", detail);
	pki_trust_free(t);
	pki_trust_free(tc);
}

Test(pki, configured_identity_loads_and_mismatched_key_is_refused)
{
	char *crt, *key, *other, err[256];
	struct pki_identity *id;

	make_certs();
	crt = slurp("good.pem", NULL);
	key = slurp("good.key", NULL);
	other = slurp("san.key", NULL);
	id = pki_identity_from_pem(crt, key, "good.pem", "good.key", err, sizeof(err));
	cr_assert_not_null(id, "%s", err);
	cr_assert_not(pki_identity_self_signed(id));
	pki_identity_free(id);
	cr_assert_null(pki_identity_from_pem(crt, other, "good.pem", "san.key", err, sizeof(err)));
	cr_assert_str_eq(err, "the key san.key does not belong to the certificate good.pem");
	cr_assert_null(pki_identity_from_pem(NULL, key, "a.pem", "good.key", err, sizeof(err)));
	cr_assert_str_eq(err, "cannot read the certificate a.pem");
	cr_assert_null(pki_identity_from_pem(key, key, "k.pem", "good.key", err, sizeof(err)));
	cr_assert_str_eq(err, "cannot read the certificate k.pem");
	cr_assert_null(pki_identity_from_pem(crt, NULL, "good.pem", "b.key", err, sizeof(err)));
	cr_assert_str_eq(err, "cannot read the private key b.key");
	cr_assert_null(pki_identity_from_pem(crt, crt, "good.pem", "c.key", err, sizeof(err)));
	cr_assert_str_eq(err, "cannot read the private key c.key");
	free(crt);
	free(key);
	free(other);
}

Test(pki, one_pem_text_with_certificate_and_key)
{
	char *crt, *key, *both, err[256];
	struct pki_identity *id;

	make_certs();
	crt = slurp("good.pem", NULL);
	key = slurp("good.key", NULL);
	both = malloc(strlen(crt) + strlen(key) + 1);
	strcpy(both, crt);
	strcat(both, key);
	id = pki_identity_from_pem(both, both, "both.pem", "both.pem", err, sizeof(err));
	cr_assert_not_null(id, "%s", err);
	cr_assert(pki_identity_names(id, "peer-b"));
	cr_assert_not(pki_identity_names(id, "peer-c"));
	pki_identity_free(id);
	/* the key first: the certificate is still found */
	strcpy(both, key);
	strcat(both, crt);
	id = pki_identity_from_pem(both, both, "both.pem", "both.pem", err, sizeof(err));
	cr_assert_not_null(id, "%s", err);
	pki_identity_free(id);
	free(both);
	free(crt);
	free(key);
}

static bool pins(const struct pki_trust *t, const uint8_t *der, size_t len, const char *pcn,
		 int64_t now, unsigned flags, enum pki_verdict *v)
{
	char detail[256];
	struct pki_peer *p = pki_peer_check(t, der, len, pcn, now, flags, v, detail, 256);
	bool pinned = p != NULL;

	cr_assert_eq(pinned, *v == PKI_OK, "verdict %s with a peer %d", pki_verdict_name(*v),
		     pinned);
	pki_peer_free(p);
	return pinned;
}

static bool pins_file(const struct pki_trust *t, const char *name, unsigned flags,
		      enum pki_verdict *v)
{
	size_t len;
	uint8_t *der = (uint8_t *)slurp(name, &len);
	bool pinned = pins(t, der, len, "peer-b", NOW, flags, v);

	free(der);
	return pinned;
}

static const unsigned every_flags[] = {
	0,
	PKI_ALLOW_UNCHAINED,
	PKI_ALLOW_UNCHAINED | PKI_WARN_CA,
	PKI_ALLOW_UNCHAINED | PKI_WARN_CA | PKI_NEED_REVOCATION,
};

/* Whatever the behaviour and the CA's validation-mode, a certificate that
 * fails a check never comes back as a peer to pin. */
Test(pki, no_invalid_certificate_is_ever_accepted_under_any_flags)
{
	struct pki_trust *t, *tc;
	enum pki_verdict v;
	char err[256];
	struct pki_identity *b;
	const uint8_t *der;
	uint8_t *bad;
	size_t len;

	make_certs();
	t = trust(false);
	tc = trust(true);
	b = pki_identity_make(NULL, "peer-b", NOW, 30, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	der = pki_identity_der(b, &len);
	bad = malloc(len);
	memcpy(bad, der, len);
	bad[len - 1] ^= 0x55;
	for (size_t i = 0; i < sizeof(every_flags) / sizeof(every_flags[0]); i++) {
		unsigned f = every_flags[i];

		cr_assert_not(pins_file(tc, "revoked.der", f, &v), "flags %u", f);
		cr_assert_eq(v, PKI_REVOKED);
		cr_assert_not(pins_file(t, "sha1.der", f, &v));
		cr_assert_eq(v, PKI_WEAK_ALGORITHM);
		cr_assert_not(pins_file(NULL, "rsa1024.der", f, &v));
		cr_assert_not(pins(NULL, der, len, "peer-c", NOW, f, &v));
		cr_assert_eq(v, PKI_WRONG_NAME);
		cr_assert_not(pins(NULL, der, len, "peer-b", NOW + 31 * 86400, f, &v));
		cr_assert_eq(v, PKI_EXPIRED);
		cr_assert_not(pins(NULL, der, len, "peer-b", NOW - 86400, f, &v));
		cr_assert_eq(v, PKI_NOT_YET_VALID);
		cr_assert_not(pins(NULL, bad, len, "peer-b", NOW, f, &v),
			      "a broken self-signature");
		cr_assert_eq(v, PKI_BAD_SIGNATURE);
		cr_assert_not(pins(NULL, der, len - 1, "peer-b", NOW, f, &v));
		cr_assert_eq(v, PKI_MALFORMED);
		cr_assert(pins(NULL, der, len, "peer-b", NOW, f, &v), "the valid one, flags %u", f);
		cr_assert(pins_file(tc, "good.der", f, &v));
	}
	free(bad);
	pki_identity_free(b);
	pki_trust_free(t);
	pki_trust_free(tc);
}

/* A certificate no trusted CA vouches for is refused while a CA in strict
 * mode is configured; without a CA, or with one under validation-mode warn,
 * it comes back unchained, for the key engine to pin on first use. */
Test(pki, unchained_certificates_are_only_for_pinning)
{
	struct pki_trust *t;
	enum pki_verdict v;
	char detail[256];
	size_t len, glen;
	uint8_t *der = NULL, *gder = NULL;
	struct pki_peer *p, *g;

	make_certs();
	t = trust(false);
	der = (uint8_t *)slurp("untrusted.der", &len);
	gder = (uint8_t *)slurp("good.der", &glen);
	cr_assert_null(pki_peer_check(t, der, len, "peer-b", NOW, PKI_ALLOW_UNCHAINED, &v, detail,
				      sizeof(detail)),
		       "a strict CA's verdict overruled");
	cr_assert_eq(v, PKI_UNTRUSTED);
	p = pki_peer_check(t, der, len, "peer-b", NOW, PKI_ALLOW_UNCHAINED | PKI_WARN_CA, &v,
			   detail, sizeof(detail));
	cr_assert_not_null(p, "%s", detail);
	cr_assert_not(pki_peer_chained(p));
	g = pki_peer_check(t, gder, glen, "peer-b", NOW, 0, &v, detail, sizeof(detail));
	cr_assert_not_null(g, "%s", detail);
	cr_assert(pki_peer_chained(g));
	cr_assert(memcmp(pki_peer_fingerprint(p), pki_peer_fingerprint(g), PKI_FP_LEN) != 0,
		  "two keys, one fingerprint");
	pki_peer_free(p);
	p = pki_peer_check(NULL, gder, glen, "peer-b", NOW, PKI_ALLOW_UNCHAINED, &v, detail,
			   sizeof(detail));
	cr_assert_not_null(p, "%s", detail);
	cr_assert_not(pki_peer_chained(p), "no CA configured, yet chained");
	cr_assert(memcmp(pki_peer_fingerprint(p), pki_peer_fingerprint(g), PKI_FP_LEN) == 0,
		  "one key, two fingerprints");
	cr_assert_null(
		pki_peer_check(NULL, gder, glen, "peer-b", NOW, 0, &v, detail, sizeof(detail)));
	pki_peer_free(p);
	pki_peer_free(g);
	free(der);
	free(gder);
	pki_trust_free(t);
}

Test(pki, an_unreadable_crl_fails_ca_validation_only_when_revocation_is_needed)
{
	struct pki_trust *t;
	enum pki_verdict v;

	make_certs();
	t = trust(false);
	pki_trust_set_crl_unavailable(t, true);
	cr_assert(pins_file(t, "good.der", PKI_ALLOW_UNCHAINED, &v), "fail-soft");
	cr_assert_not(pins_file(t, "good.der", PKI_ALLOW_UNCHAINED | PKI_NEED_REVOCATION, &v));
	cr_assert_eq(v, PKI_REVOCATION_UNKNOWN);
	pki_trust_set_crl_unavailable(t, false);
	cr_assert(pins_file(t, "good.der", PKI_NEED_REVOCATION, &v));
	pki_trust_free(t);
	pki_trust_set_crl_unavailable(NULL, true);
}

/* A CN of "peer-b\0.attacker" is not "peer-b" (a C string compare stops at
 * the NUL); nor is such a SAN URI. */
Test(pki, an_embedded_nul_in_a_name_never_matches)
{
	static const char name[] = "peer-b\0.attacker";
	enum pki_verdict v;
	size_t len;
	uint8_t *der;

	der = badcert_self_signed(name, sizeof(name) - 1, false, &len);
	cr_assert_not_null(der);
	cr_assert_not(pins(NULL, der, len, "peer-b", NOW, PKI_ALLOW_UNCHAINED, &v));
	cr_assert_eq(v, PKI_WRONG_NAME, "%s", pki_verdict_name(v));
	free(der);
	der = badcert_self_signed(name, sizeof(name) - 1, true, &len);
	cr_assert_not_null(der);
	cr_assert_not(pins(NULL, der, len, "peer-b", NOW, PKI_ALLOW_UNCHAINED, &v));
	cr_assert_eq(v, PKI_WRONG_NAME, "%s", pki_verdict_name(v));
	free(der);
	/* the same helper with a clean name: the check above can fail */
	der = badcert_self_signed("peer-b", 6, true, &len);
	cr_assert(pins(NULL, der, len, "peer-b", NOW, PKI_ALLOW_UNCHAINED, &v), "%s",
		  pki_verdict_name(v));
	free(der);
}

Test(pki, tampered_copies_are_never_a_valid_self_signed_certificate)
{
	enum pki_verdict v;
	char err[256];
	struct pki_identity *b;
	const uint8_t *der;
	uint8_t *bad;
	size_t len, pinned = 0;

	b = pki_identity_make(NULL, "peer-b", NOW, 30, err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	der = pki_identity_der(b, &len);
	bad = malloc(len);
	/* one flipped bit anywhere (the name and dates included) */
	for (size_t k = 0; k < len; k++) {
		memcpy(bad, der, len);
		bad[k] ^= (uint8_t)(1 << (k % 8));
		/* without the ALLOW_UNCHAINED of pinning: a self-issued copy
		 * must verify, and a changed issuer is a CA we do not know */
		if (pins(NULL, bad, len, "peer-b", NOW, 0, &v))
			pinned++;
	}
	cr_assert_leq(pinned, 16, "%zu of %zu tampered copies accepted", pinned, len);
	free(bad);
	pki_identity_free(b);
}
