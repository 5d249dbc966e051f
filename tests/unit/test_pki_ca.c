/* The authority's CA (engine/pki_ca.h): what it makes, what it issues from
 * a node's request (and what of the request it ignores), what it refuses,
 * its revocation lists, an operator's CA given as PEM (an intermediate
 * too), and the enrolment client's pinned check of a conductor.  Issued
 * certificates are judged by the engine's own validation (pki.h), as
 * peers will judge them.  OpenSSL is used directly here only to look
 * inside certificates and to make requests no honest node sends. */
#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "pki.h"
#include "pki_ca.h"

#define DAY 86400

static int64_t now;

static void setup(void)
{
	now = (int64_t)time(NULL);
}

TestSuite(pki_ca, .init = setup);

/* ---- helpers ----------------------------------------------------------------- */

static void free_secret(char *text)
{
	if (text)
		crypto_wipe(text, strlen(text));
	free(text);
}

static X509 *cert_of(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *c = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	BIO_free(bio);
	cr_assert_not_null(c, "not a certificate: %s", pem);
	return c;
}

static char *bio_string(BIO *bio)
{
	char *data, *text;
	long n = BIO_get_mem_data(bio, &data);

	text = calloc(1, (size_t)n + 1);
	cr_assert_not_null(text);
	memcpy(text, data, (size_t)n);
	BIO_free(bio);
	return text;
}

static char *req_pem(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());

	cr_assert_eq(PEM_write_bio_X509_REQ(bio, req), 1);
	return bio_string(bio);
}

static char *x509_pem(X509 *c)
{
	BIO *bio = BIO_new(BIO_s_mem());

	cr_assert_eq(PEM_write_bio_X509(bio, c), 1);
	return bio_string(bio);
}

static char *key_pem_of(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());

	cr_assert_eq(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	return bio_string(bio);
}

static EVP_PKEY *key_of(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	cr_assert_not_null(k);
	return k;
}

/* A request with CN cn signed with md; with evil, it also asks for
 * CA:TRUE and a SAN naming another router. */
static char *request(EVP_PKEY *key, const char *cn, const EVP_MD *md, bool evil)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	char *pem;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	cr_assert_eq(X509_REQ_set_subject_name(req, name), 1);
	cr_assert_eq(X509_REQ_set_pubkey(req, key), 1);
	if (evil) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509V3_CTX ctx;

		X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
								 "critical,CA:TRUE"));
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
								 "URI:urn:ssr:peering:evil"));
		cr_assert_eq(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	cr_assert_gt(X509_REQ_sign(req, key, md), 0);
	pem = req_pem(req);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return pem;
}

/* The request in pem with one byte of its DER changed (from the end:
 * negative at). */
static char *tampered(const char *pem, int at)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	X509_REQ *req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	cr_assert_gt(n, 0);
	der[at < 0 ? n + at : at] ^= 0x01;
	cr_assert_gt(PEM_write_bio(out, "CERTIFICATE REQUEST", "", der, n), 0);
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(in);
	return bio_string(out);
}

static struct pki_ca *new_ca(const char *authority)
{
	char err[256];
	struct pki_ca *ca = pki_ca_make(authority, now, 3650, err, sizeof(err));

	cr_assert_not_null(ca, "%s", err);
	return ca;
}

/* A certificate from ca for pcn, with a new key (*key, when asked). */
static char *issue(const struct pki_ca *ca, const char *pcn, uint64_t serial, int64_t at, int days,
		   char **key)
{
	char err[256], *k = NULL, *csr = pki_csr_make(pcn, &k, err, sizeof(err)), *cert;

	cr_assert_not_null(csr, "%s", err);
	cert = pki_ca_issue(ca, csr, pcn, serial, at, days, err, sizeof(err));
	cr_assert_not_null(cert, "%s", err);
	free(csr);
	if (key)
		*key = k;
	else
		free_secret(k);
	return cert;
}

static struct pki_trust *trust_of(const char *ca_pem, const char *ca2_pem, const char *crl_pem)
{
	struct pki_trust *t = pki_trust_new();
	char err[256];

	cr_assert_eq(pki_trust_add_ca_pem(t, ca_pem, err, sizeof(err)), 0, "%s", err);
	if (ca2_pem)
		cr_assert_eq(pki_trust_add_ca_pem(t, ca2_pem, err, sizeof(err)), 0, "%s", err);
	if (crl_pem)
		cr_assert_eq(pki_trust_add_crl_pem(t, crl_pem, err, sizeof(err)), 0, "%s", err);
	return t;
}

/* The engine's verdict on cert_pem for pcn at now. */
static enum pki_verdict verdict(const struct pki_trust *t, const char *cert_pem, const char *pcn,
				char *detail, size_t dlen)
{
	X509 *c = cert_of(cert_pem);
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);
	enum pki_verdict v;
	struct pki_peer *p = pki_peer_validate(t, der, (size_t)n, pcn, now, &v, detail, dlen);

	cr_assert_eq(p != NULL, v == PKI_OK);
	if (p)
		cr_assert(pki_peer_chained(p), "valid without the CA");
	pki_peer_free(p);
	OPENSSL_free(der);
	X509_free(c);
	return v;
}

static void expect_refused(const struct pki_ca *ca, const char *csr, const char *why)
{
	char err[256] = "";
	char *cert = pki_ca_issue(ca, csr, "peer-a", 9, now, 30, err, sizeof(err));

	cr_assert_null(cert, "issued for a request that should be refused (%s)", why);
	cr_assert(strstr(err, why) != NULL, "err \"%s\" does not say \"%s\"", err, why);
}

static char *ext_text(X509 *c, int nid)
{
	int i = X509_get_ext_by_NID(c, nid, -1);
	BIO *bio = BIO_new(BIO_s_mem());

	cr_assert_geq(i, 0, "no %s", OBJ_nid2sn(nid));
	cr_assert_eq(X509V3_EXT_print(bio, X509_get_ext(c, i), 0, 0), 1);
	return bio_string(bio);
}

static bool ext_critical(X509 *c, int nid)
{
	int i = X509_get_ext_by_NID(c, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(c, i));
}

/* ---- the CA ------------------------------------------------------------------- */

Test(pki_ca, a_new_ca_is_a_p256_ca_certificate_named_for_its_authority)
{
	struct pki_ca *ca = new_ca("Acme");
	char *pem = pki_ca_cert_pem(ca), *key = pki_ca_key_pem(ca), *text, cn[128];
	X509 *c = cert_of(pem);
	uint8_t fp[PKI_CA_FP_LEN], want[PKI_CA_FP_LEN];
	unsigned int n = 0;
	char group[64] = "";

	cr_assert_not_null(key);
	cr_assert(strstr(key, "-----BEGIN PRIVATE KEY-----") == key);
	X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn, sizeof(cn));
	cr_assert_str_eq(cn, "opensvr authority Acme CA");
	cr_assert_eq(X509_check_issued(c, c), X509_V_OK, "not self-signed");
	cr_assert_eq(X509_check_ca(c), 1);
	cr_assert(ext_critical(c, NID_basic_constraints));
	cr_assert(ext_critical(c, NID_key_usage));
	cr_assert_eq(X509_get_key_usage(c), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	cr_assert_not_null(X509_get0_subject_key_id(c));
	EVP_PKEY_get_utf8_string_param(X509_get0_pubkey(c), "group", group, sizeof(group), NULL);
	cr_assert_str_eq(group, "prime256v1");
	cr_assert_eq(X509_cmp_time(X509_get0_notBefore(c), &(time_t){now - 299}), -1);
	cr_assert_eq(X509_cmp_time(X509_get0_notBefore(c), &(time_t){now - 301}), 1);
	cr_assert_eq(X509_cmp_time(X509_get0_notAfter(c), &(time_t){now + 3650 * DAY + 1}), -1);
	pki_ca_fingerprint(ca, fp);
	cr_assert_eq(X509_digest(c, EVP_sha256(), want, &n), 1);
	cr_assert_arr_eq(fp, want, sizeof(fp), "the fingerprint is not the certificate's SHA-256");
	text = ext_text(c, NID_key_usage);
	cr_assert(strstr(text, "Certificate Sign") && strstr(text, "CRL Sign"), "%s", text);
	free(text);
	X509_free(c);
	free(pem);
	free_secret(key);
	pki_ca_free(ca);
}

Test(pki_ca, bad_authority_names_and_lifetimes_are_refused)
{
	char err[256] = "", long_name[64], longer[80];
	struct pki_ca *ca;
	char *pem;
	X509 *c;

	cr_assert_null(pki_ca_make("", now, 10, err, sizeof(err)));
	cr_assert_null(pki_ca_make(NULL, now, 10, err, sizeof(err)));
	cr_assert_null(pki_ca_make("a\nb", now, 10, err, sizeof(err)));
	cr_assert(strstr(err, "authority") != NULL, "%s", err);
	cr_assert_null(pki_ca_make("Acme", now, 0, err, sizeof(err)));
	cr_assert(strstr(err, "days") != NULL, "%s", err);
	/* 63 characters: too long for the CN, so it goes in O */
	memset(long_name, 'x', 63);
	long_name[63] = '\0';
	ca = pki_ca_make(long_name, now, 10, err, sizeof(err));
	cr_assert_not_null(ca, "%s", err);
	pem = pki_ca_cert_pem(ca);
	c = cert_of(pem);
	cr_assert_geq(
		X509_NAME_get_index_by_NID(X509_get_subject_name(c), NID_organizationName, -1), 0);
	X509_free(c);
	free(pem);
	pki_ca_free(ca);
	/* 64: too long for O as well */
	long_name[62] = '\0';
	snprintf(longer, sizeof(longer), "%s%s", long_name, "yy");
	cr_assert_null(pki_ca_make(longer, now, 10, err, sizeof(err)));
	cr_assert(strstr(err, "63") != NULL, "%s", err);
	pki_ca_free(NULL);
	pki_ca_fingerprint(NULL, (uint8_t[PKI_CA_FP_LEN]){0});
	cr_assert_null(pki_ca_cert_pem(NULL));
	cr_assert_null(pki_ca_key_pem(NULL));
}

/* ---- issuing ------------------------------------------------------------------ */

Test(pki_ca, an_issued_certificate_validates_for_its_name_only)
{
	struct pki_ca *ca = new_ca("Acme"), *other = new_ca("Other");
	char *ca_pem = pki_ca_cert_pem(ca), *other_pem = pki_ca_cert_pem(other), *key;
	char *cert = issue(ca, "peer-a", 1, now, 30, &key), detail[256];
	struct pki_trust *t = trust_of(ca_pem, NULL, NULL),
			 *wrong = trust_of(other_pem, NULL, NULL);

	cr_assert_eq(verdict(t, cert, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	cr_assert_eq(verdict(t, cert, "peer-b", detail, sizeof(detail)), PKI_WRONG_NAME);
	cr_assert_eq(verdict(wrong, cert, "peer-a", detail, sizeof(detail)), PKI_UNTRUSTED);
	cr_assert(pki_cert_matches_key(cert, key));
	pki_trust_free(t);
	pki_trust_free(wrong);
	free(cert);
	free(ca_pem);
	free(other_pem);
	free_secret(key);
	pki_ca_free(ca);
	pki_ca_free(other);
}

/* The request asks for CN evil, CA:TRUE and a SAN naming evil: the
 * certificate is for the name the CA gives, an end-entity one. */
Test(pki_ca, the_name_and_usages_are_the_cas_whatever_the_request_asks)
{
	struct pki_ca *ca = new_ca("Acme");
	char *ca_pem = pki_ca_cert_pem(ca), err[256], detail[256];
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char *csr = request(key, "evil", EVP_sha256(), true);
	char *cert = pki_ca_issue(ca, csr, "peer-a", 42, now, 30, err, sizeof(err));
	struct pki_trust *t = trust_of(ca_pem, NULL, NULL);
	GENERAL_NAMES *sans;
	X509 *c, *cac = cert_of(ca_pem);
	struct pki_cert_info ci;
	unsigned char *der = NULL;
	int n;

	cr_assert_not_null(cert, "%s", err);
	c = cert_of(cert);
	n = i2d_X509(c, &der);
	cr_assert_eq(pki_cert_info(der, (size_t)n, &ci), 0);
	cr_assert_str_eq(ci.subject, "CN=peer-a");
	sans = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	cr_assert_not_null(sans);
	cr_assert_eq(sk_GENERAL_NAME_num(sans), 1);
	cr_assert_eq(sk_GENERAL_NAME_value(sans, 0)->type, GEN_URI);
	cr_assert_str_eq((const char *)ASN1_STRING_get0_data(
				 sk_GENERAL_NAME_value(sans, 0)->d.uniformResourceIdentifier),
			 "urn:ssr:peering:peer-a");
	GENERAL_NAMES_free(sans);
	cr_assert_eq(X509_check_ca(c), 0, "a node got a CA certificate");
	cr_assert_eq(X509_get_extension_flags(c) & EXFLAG_CA, 0, "CA:TRUE for a node");
	cr_assert(ext_critical(c, NID_basic_constraints));
	cr_assert(ext_critical(c, NID_key_usage));
	cr_assert_eq(X509_get_key_usage(c), KU_DIGITAL_SIGNATURE);
	cr_assert_eq(X509_get_extended_key_usage(c), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	cr_assert_not_null(X509_get0_subject_key_id(c));
	cr_assert_eq(
		ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(c), X509_get0_subject_key_id(cac)),
		0, "the authority key identifier is not the CA's");
	cr_assert_eq(X509_get_signature_nid(c), NID_ecdsa_with_SHA384);
	cr_assert_eq(verdict(t, cert, "evil", detail, sizeof(detail)), PKI_WRONG_NAME);
	cr_assert_eq(verdict(t, cert, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	OPENSSL_free(der);
	X509_free(c);
	X509_free(cac);
	pki_trust_free(t);
	EVP_PKEY_free(key);
	free(cert);
	free(csr);
	free(ca_pem);
	pki_ca_free(ca);
}

Test(pki_ca, a_request_whose_signature_does_not_verify_is_refused)
{
	struct pki_ca *ca = new_ca("Acme");
	char err[256], *key, *csr = pki_csr_make("peer-a", &key, err, sizeof(err));
	char *same = tampered(csr, 0), *bad = tampered(csr, -1), *cert;

	cr_assert_not_null(csr, "%s", err);
	/* changing the outer tag would be no request at all; the last byte is the signature's */
	cert = pki_ca_issue(ca, csr, "peer-a", 1, now, 30, err, sizeof(err));
	cr_assert_not_null(cert, "the untouched request: %s", err);
	free(cert);
	expect_refused(ca, bad, "the request's signature does not verify");
	expect_refused(ca, same, "not a certificate request");
	free(same);
	free(bad);
	free(csr);
	free_secret(key);
	pki_ca_free(ca);
}

Test(pki_ca, weak_keys_and_weak_signatures_are_refused)
{
	struct pki_ca *ca = new_ca("Acme");
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024), *rsa2048 = EVP_RSA_gen(2048);
	EVP_PKEY *p224 = EVP_EC_gen("P-224"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *weak = request(rsa1024, "peer-a", EVP_sha256(), false);
	char *sha1 = request(rsa2048, "peer-a", EVP_sha1(), false);
	char *curve = request(p224, "peer-a", EVP_sha256(), false);
	char *good = request(rsa2048, "peer-a", EVP_sha256(), false);
	char *edr = request(ed, "peer-a", NULL, false);
	char err[256], *cert, *ca_pem = pki_ca_cert_pem(ca), detail[256];
	struct pki_trust *t = trust_of(ca_pem, NULL, NULL);
	X509 *c;

	expect_refused(ca, weak, "RSA key of 1024 bits");
	expect_refused(ca, sha1, "SHA1");
	expect_refused(ca, curve, "EC curve");
	cert = pki_ca_issue(ca, good, "peer-a", 3, now, 30, err, sizeof(err));
	cr_assert_not_null(cert, "RSA 2048: %s", err);
	c = cert_of(cert);
	cr_assert_eq(X509_get_key_usage(c), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	cr_assert_eq(verdict(t, cert, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	X509_free(c);
	free(cert);
	cert = pki_ca_issue(ca, edr, "peer-a", 4, now, 30, err, sizeof(err));
	cr_assert_not_null(cert, "Ed25519: %s", err);
	cr_assert_eq(verdict(t, cert, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	free(cert);
	pki_trust_free(t);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(p224);
	EVP_PKEY_free(ed);
	free(weak);
	free(sha1);
	free(curve);
	free(good);
	free(edr);
	free(ca_pem);
	pki_ca_free(ca);
}

Test(pki_ca, garbage_and_bad_arguments_are_refused)
{
	struct pki_ca *ca = new_ca("Acme");
	char err[256] = "", *key, *csr = pki_csr_make("peer-a", &key, err, sizeof(err));
	char *ca_pem = pki_ca_cert_pem(ca), cut[128], long_pcn[66], *cert, *key2 = "x";

	cr_assert_not_null(csr, "%s", err);
	expect_refused(ca, "garbage", "not a certificate request");
	expect_refused(ca, "", "not a certificate request");
	expect_refused(ca, NULL, "not a certificate request");
	expect_refused(ca, ca_pem, "not a certificate request");
	snprintf(cut, sizeof(cut), "%.100s", csr);
	expect_refused(ca, cut, "not a certificate request");
	cr_assert_null(pki_ca_issue(ca, csr, "peer a", 1, now, 30, err, sizeof(err)));
	cr_assert(strstr(err, "peering name") != NULL, "%s", err);
	cr_assert_null(pki_ca_issue(ca, csr, "", 1, now, 30, err, sizeof(err)));
	memset(long_pcn, 'p', 65);
	long_pcn[65] = '\0';
	cr_assert_null(pki_ca_issue(ca, csr, long_pcn, 1, now, 30, err, sizeof(err)));
	long_pcn[64] = '\0';
	cert = pki_ca_issue(ca, csr, long_pcn, 1, now, 30, err, sizeof(err));
	cr_assert_not_null(cert, "64 characters: %s", err);
	free(cert);
	cr_assert_null(pki_ca_issue(ca, csr, "peer-a", 0, now, 30, err, sizeof(err)));
	cr_assert(strstr(err, "serial") != NULL, "%s", err);
	cr_assert_null(pki_ca_issue(ca, csr, "peer-a", 1, now, 0, err, sizeof(err)));
	cr_assert_null(pki_ca_issue(NULL, csr, "peer-a", 1, now, 30, err, sizeof(err)));
	cr_assert_null(pki_ca_issue(ca, csr, "peer-a", 1, now + 3651 * (int64_t)DAY, 30, err,
				    sizeof(err)));
	cr_assert(strstr(err, "expired") != NULL, "%s", err);
	cr_assert_null(pki_csr_make("peer a", &key2, err, sizeof(err)));
	cr_assert_null(key2, "a key without a request");
	free(csr);
	free_secret(key);
	free(ca_pem);
	pki_ca_free(ca);
}

Test(pki_ca, a_certificate_matches_its_own_key_only)
{
	struct pki_ca *ca = new_ca("Acme");
	char *key_a, *key_b, *a = issue(ca, "peer-a", 1, now, 30, &key_a);
	char *b = issue(ca, "peer-b", 2, now, 30, &key_b);

	cr_assert(pki_cert_matches_key(a, key_a));
	cr_assert(pki_cert_matches_key(b, key_b));
	cr_assert_not(pki_cert_matches_key(a, key_b));
	cr_assert_not(pki_cert_matches_key(b, key_a));
	cr_assert_not(pki_cert_matches_key(a, "garbage"));
	cr_assert_not(pki_cert_matches_key("garbage", key_a));
	cr_assert_not(pki_cert_matches_key(NULL, NULL));
	free(a);
	free(b);
	free_secret(key_a);
	free_secret(key_b);
	pki_ca_free(ca);
}

Test(pki_ca, serial_and_end_of_a_certificate)
{
	struct pki_ca *ca = new_ca("Acme");
	char *cert = issue(ca, "peer-a", 0x8123456789abcdefu, now, 30, NULL);
	uint64_t serial = 0;
	int64_t end = 0;

	cr_assert_eq(pki_cert_serial(cert, &serial, &end), 0);
	cr_assert_eq(serial, 0x8123456789abcdefu);
	cr_assert_eq(end, now + 30 * DAY);
	cr_assert_eq(pki_cert_serial(cert, NULL, NULL), 0);
	cr_assert_eq(pki_cert_serial("garbage", &serial, &end), -1);
	cr_assert_eq(pki_cert_serial(NULL, &serial, &end), -1);
	free(cert);
	pki_ca_free(ca);
}

Test(pki_ca, a_certificate_is_renewed_in_the_last_third_of_its_life)
{
	struct pki_ca *ca = new_ca("Acme");
	char *cert = issue(ca, "peer-a", 7, now, 365, NULL);
	int64_t nb = 0, na = 0;

	cr_assert_eq(pki_cert_dates(cert, &nb, &na), 0);
	cr_assert_eq(na, now + 365 * DAY);
	cr_assert(nb <= now && nb > now - 3600, "backdated a little: %lld", (long long)(now - nb));
	cr_assert_not(pki_renewal_due(nb, na, now), "a new certificate is not due");
	cr_assert_not(pki_renewal_due(nb, na, na - 123 * DAY), "two thirds in: not yet");
	cr_assert(pki_renewal_due(nb, na, na - 121 * DAY), "the last third: due");
	cr_assert(pki_renewal_due(nb, na, na + DAY), "expired: due");
	cr_assert_not(pki_renewal_due(na, nb, now), "dates the wrong way round: never");
	cr_assert_not(pki_renewal_due(0, 0, now));
	cr_assert_eq(pki_cert_dates("garbage", &nb, &na), -1);
	cr_assert_eq(pki_cert_dates(NULL, &nb, &na), -1);
	free(cert);
	pki_ca_free(ca);
}

/* ---- revocation ----------------------------------------------------------------- */

Test(pki_ca, a_revoked_certificate_is_refused_and_the_other_valid)
{
	struct pki_ca *ca = new_ca("Acme");
	char *ca_pem = pki_ca_cert_pem(ca), err[256], detail[256];
	char *one = issue(ca, "peer-a", 1, now, 30, NULL),
	     *two = issue(ca, "peer-a", 2, now, 30, NULL);
	uint64_t serials[] = {2};
	int64_t times[] = {now - 10};
	char *crl = pki_ca_crl(ca, serials, times, 1, 7, now - 60, 7 * DAY, err, sizeof(err));
	char *empty = pki_ca_crl(ca, NULL, NULL, 0, 8, now - 60, 7 * DAY, err, sizeof(err));
	struct pki_trust *plain = trust_of(ca_pem, NULL, NULL), *t, *te;
	X509_CRL *x;
	BIO *bio;

	cr_assert_not_null(crl, "%s", err);
	cr_assert_not_null(empty, "%s", err);
	t = trust_of(ca_pem, NULL, crl);
	te = trust_of(ca_pem, NULL, empty);
	cr_assert_eq(verdict(plain, two, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	cr_assert_eq(verdict(t, one, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	cr_assert_eq(verdict(t, two, "peer-a", detail, sizeof(detail)), PKI_REVOKED, "%s", detail);
	cr_assert_eq(verdict(te, two, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	bio = BIO_new_mem_buf(crl, -1);
	x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	cr_assert_not_null(x);
	{
		ASN1_INTEGER *num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);

		cr_assert_not_null(num);
		cr_assert_eq(ASN1_INTEGER_get(num), 7);
		ASN1_INTEGER_free(num);
	}
	cr_assert_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x)), 1);
	/* exactly then: not after it, and after the second before it */
	cr_assert_eq(X509_cmp_time(X509_CRL_get0_nextUpdate(x), &(time_t){now - 60 + 7 * DAY}), -1);
	cr_assert_eq(X509_cmp_time(X509_CRL_get0_nextUpdate(x), &(time_t){now - 61 + 7 * DAY}), 1);
	X509_CRL_free(x);
	BIO_free(bio);
	cr_assert_null(pki_ca_crl(ca, (uint64_t[]){0}, times, 1, 9, now, DAY, err, sizeof(err)));
	cr_assert_null(pki_ca_crl(ca, NULL, NULL, 1, 9, now, DAY, err, sizeof(err)));
	cr_assert_null(pki_ca_crl(ca, serials, times, 1, 9, now, 0, err, sizeof(err)));
	cr_assert_null(pki_ca_crl(NULL, serials, times, 1, 9, now, DAY, err, sizeof(err)));
	pki_trust_free(plain);
	pki_trust_free(t);
	pki_trust_free(te);
	free(crl);
	free(empty);
	free(one);
	free(two);
	free(ca_pem);
	pki_ca_free(ca);
}

/* ---- a CA from PEM ------------------------------------------------------------------ */

Test(pki_ca, a_ca_goes_out_as_pem_and_comes_back_the_same)
{
	struct pki_ca *ca = new_ca("Acme"), *again, *other = new_ca("Other");
	char *crt = pki_ca_cert_pem(ca), *key = pki_ca_key_pem(ca), *okey = pki_ca_key_pem(other);
	char err[256] = "", *crt2, *leaf, *leaf_key, detail[256];
	uint8_t a[PKI_CA_FP_LEN], b[PKI_CA_FP_LEN];
	struct pki_trust *t = trust_of(crt, NULL, NULL);

	again = pki_ca_from_pem(crt, key, err, sizeof(err));
	cr_assert_not_null(again, "%s", err);
	pki_ca_fingerprint(ca, a);
	pki_ca_fingerprint(again, b);
	cr_assert_arr_eq(a, b, sizeof(a));
	crt2 = pki_ca_cert_pem(again);
	cr_assert_str_eq(crt, crt2);
	/* what the reloaded CA issues, its original certificate vouches for */
	leaf = issue(again, "peer-a", 5, now, 30, &leaf_key);
	cr_assert_eq(verdict(t, leaf, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	cr_assert_null(pki_ca_from_pem(crt, okey, err, sizeof(err)));
	cr_assert(strstr(err, "does not belong") != NULL, "%s", err);
	cr_assert_null(pki_ca_from_pem(leaf, leaf_key, err, sizeof(err)));
	cr_assert(strstr(err, "not a CA") != NULL, "%s", err);
	cr_assert_null(pki_ca_from_pem(crt, "garbage", err, sizeof(err)));
	cr_assert_null(pki_ca_from_pem("garbage", key, err, sizeof(err)));
	cr_assert_null(pki_ca_from_pem(NULL, NULL, err, sizeof(err)));
	pki_trust_free(t);
	free(crt);
	free(crt2);
	free(leaf);
	free_secret(key);
	free_secret(okey);
	free_secret(leaf_key);
	pki_ca_free(ca);
	pki_ca_free(again);
	pki_ca_free(other);
}

/* An operator's intermediate, issued by a root: with key usage given, or
 * without keyCertSign (then refused). */
static X509 *intermediate(const struct pki_ca *root, EVP_PKEY *key, const char *usage)
{
	char *root_pem = pki_ca_cert_pem(root), *root_key_pem = pki_ca_key_pem(root);
	X509 *rc = cert_of(root_pem), *c = X509_new();
	EVP_PKEY *rk = key_of(root_key_pem);
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"Operator CA",
				   -1, -1, 0);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 77);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, X509_get_subject_name(rc));
	X509_time_adj_ex(X509_getm_notBefore(c), 0, -60, &(time_t){now});
	X509_time_adj_ex(X509_getm_notAfter(c), 365, 0, &(time_t){now});
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&ctx, rc, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, usage);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	cr_assert_gt(X509_sign(c, rk, EVP_sha384()), 0);
	X509_NAME_free(name);
	EVP_PKEY_free(rk);
	X509_free(rc);
	free(root_pem);
	free_secret(root_key_pem);
	return c;
}

Test(pki_ca, an_intermediate_ca_issues_and_is_pinned)
{
	struct pki_ca *root = new_ca("Root"), *ca;
	EVP_PKEY *key = EVP_EC_gen("P-384");
	X509 *ic = intermediate(root, key, "critical,keyCertSign,cRLSign");
	X509 *nosign = intermediate(root, key, "critical,digitalSignature,cRLSign");
	char *ipem = x509_pem(ic), *nopem = x509_pem(nosign), *kpem = key_pem_of(key);
	char *root_pem = pki_ca_cert_pem(root), err[256] = "", detail[256], *leaf;
	struct pki_trust *t = trust_of(root_pem, ipem, NULL),
			 *root_only = trust_of(root_pem, NULL, NULL);
	uint8_t fp[PKI_CA_FP_LEN];

	cr_assert_null(pki_ca_from_pem(nopem, kpem, err, sizeof(err)));
	cr_assert(strstr(err, "keyCertSign") != NULL, "%s", err);
	ca = pki_ca_from_pem(ipem, kpem, err, sizeof(err));
	cr_assert_not_null(ca, "%s", err);
	leaf = issue(ca, "peer-a", 1, now, 30, NULL);
	cr_assert_eq(verdict(t, leaf, "peer-a", detail, sizeof(detail)), PKI_OK, "%s", detail);
	cr_assert_eq(verdict(root_only, leaf, "peer-a", detail, sizeof(detail)), PKI_UNTRUSTED);
	pki_ca_fingerprint(ca, fp);
	cr_assert_eq(pki_chain_pinned(leaf, ipem, fp, now, err, sizeof(err)), 0, "%s", err);
	pki_ca_fingerprint(root, fp);
	cr_assert_eq(pki_chain_pinned(leaf, root_pem, fp, now, err, sizeof(err)), -1,
		     "the root pinned, no intermediate given");
	pki_trust_free(t);
	pki_trust_free(root_only);
	X509_free(ic);
	X509_free(nosign);
	EVP_PKEY_free(key);
	free(ipem);
	free(nopem);
	free_secret(kpem);
	free(root_pem);
	free(leaf);
	pki_ca_free(ca);
	pki_ca_free(root);
}

/* ---- the enrolment client's check ----------------------------------------------------- */

Test(pki_ca, a_conductor_is_checked_against_the_pinned_ca)
{
	struct pki_ca *ca = new_ca("Acme"), *other = new_ca("Acme");
	char *ca_pem = pki_ca_cert_pem(ca), *other_pem = pki_ca_cert_pem(other), err[256] = "";
	char *leaf = issue(ca, "conductor", 1, now, 30, NULL);
	char *foreign = issue(other, "conductor", 1, now, 30, NULL);
	char *old = issue(ca, "conductor", 2, now - 10 * DAY, 1, NULL);
	uint8_t pin[PKI_CA_FP_LEN], other_pin[PKI_CA_FP_LEN];

	pki_ca_fingerprint(ca, pin);
	pki_ca_fingerprint(other, other_pin);
	cr_assert_eq(pki_chain_pinned(leaf, ca_pem, pin, now, err, sizeof(err)), 0, "%s", err);
	/* a CA of the same name, but not the one the token names */
	cr_assert_eq(pki_chain_pinned(leaf, other_pem, pin, now, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not the one the token names") != NULL, "%s", err);
	pin[31] ^= 1;
	cr_assert_eq(pki_chain_pinned(leaf, ca_pem, pin, now, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not the one the token names") != NULL, "%s", err);
	pin[31] ^= 1;
	/* the other CA's own certificate, pinned: the leaf is not its */
	cr_assert_eq(pki_chain_pinned(leaf, other_pem, other_pin, now, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not issued by its CA") != NULL, "%s", err);
	cr_assert_eq(pki_chain_pinned(foreign, ca_pem, pin, now, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not issued by its CA") != NULL, "%s", err);
	cr_assert_eq(pki_chain_pinned(old, ca_pem, pin, now, err, sizeof(err)), -1);
	cr_assert(strstr(err, "expired") != NULL, "%s", err);
	cr_assert_eq(pki_chain_pinned(leaf, ca_pem, pin, now - DAY, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not yet valid") != NULL, "%s", err);
	/* a leaf is not a CA, even when pinned */
	{
		X509 *c = cert_of(leaf);
		unsigned int n = 0;
		uint8_t lpin[PKI_CA_FP_LEN];

		X509_digest(c, EVP_sha256(), lpin, &n);
		cr_assert_eq(pki_chain_pinned(leaf, leaf, lpin, now, err, sizeof(err)), -1);
		cr_assert(strstr(err, "not a CA") != NULL, "%s", err);
		X509_free(c);
	}
	cr_assert_eq(pki_chain_pinned("garbage", ca_pem, pin, now, err, sizeof(err)), -1);
	cr_assert_eq(pki_chain_pinned(leaf, "garbage", pin, now, err, sizeof(err)), -1);
	cr_assert_eq(pki_chain_pinned(leaf, ca_pem, NULL, now, err, sizeof(err)), -1);
	free(leaf);
	free(foreign);
	free(old);
	free(ca_pem);
	free(other_pem);
	pki_ca_free(ca);
	pki_ca_free(other);
}

Test(pki_ca, a_revocation_list_is_taken_only_from_its_ca)
{
	char err[256];
	struct pki_ca *a = pki_ca_make("alpha", 1800000000, 30, err, sizeof(err));
	struct pki_ca *b = pki_ca_make("beta", 1800000000, 30, err, sizeof(err));
	uint64_t serial = 7;
	int64_t when = 1800000100;
	char *crl, *a_pem, *b_pem;

	cr_assert(a && b, "%s", err);
	crl = pki_ca_crl(a, &serial, &when, 1, 1, 1800000100, 86400, err, sizeof(err));
	a_pem = pki_ca_cert_pem(a);
	b_pem = pki_ca_cert_pem(b);
	cr_assert(crl && a_pem && b_pem, "%s", err);
	cr_assert_eq(pki_crl_signed_by(crl, a_pem), 0, "its own CA's list refused");
	cr_assert_eq(pki_crl_signed_by(crl, b_pem), -1, "another CA's list taken");
	cr_assert_eq(pki_crl_signed_by("not a list", a_pem), -1);
	cr_assert_eq(pki_crl_signed_by(crl, NULL), -1);
	free(crl);
	free(a_pem);
	free(b_pem);
	pki_ca_free(a);
	pki_ca_free(b);
}
