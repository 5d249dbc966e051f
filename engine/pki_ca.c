/* DOC: certificate authority
 *
 * The conductor of an authority signs its routers' certificates, so that a
 * router's identity no longer rests on a key pinned on first use: a peer
 * that trusts the authority's CA (pki_trust_add_ca_pem) validates every
 * router it enrolled, and a revocation list the CA signs withdraws one.
 *
 * The CA is an EC P-256 key with a self-signed certificate made here, or
 * an operator's CA given as PEM (often an intermediate under a company
 * root).  It signs only part of what a node asks: the request's signature
 * must verify (the node holds the key) and its key must pass the allowlist
 * peers apply to certificates (pki.c); the name, usages and dates are the
 * CA's own choice.  The certificate names the peering name the conductor
 * gives, in the CN and in the SAN URI urn:ssr:peering:NAME, is an
 * end-entity certificate for TLS server and client, and is signed with
 * SHA-384.  The request's subject and extension requests are never
 * copied, so no node can ask to become a CA or to be named as another
 * router; the SAN is built as a structure, never from configuration text,
 * so no peering name can smuggle in another entry.
 *
 * The node's side is here too: its key and request, and the enrolment
 * client's check of a conductor, whose CA must be the one an enrolment
 * token pins (a fingerprint given out of band replaces trust on first use).
 *
 * Serial numbers are the caller's counter (the conductor keeps them with
 * the revocations), time is always the caller's, and private keys leave
 * only as PEM text that the caller wipes.
 */
#include "config.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "pki_ca.h"
#include "pki_int.h"

#define BACKDATE_S  300		/* clocks of nodes and conductor disagree a little */
#define DAYS_MAX    (100 * 366) /* longer is a mistake, and near ASN.1's range */
#define NEXT_S_MAX  ((int64_t)10 * 366 * 86400)
#define CSR_PEM_MAX 65536
#define PCN_MAX	    64 /* a CN's upper bound */

struct pki_ca {
	X509 *cert;
	EVP_PKEY *key;
	uint8_t fp[PKI_CA_FP_LEN];
};

/* ---- names, dates, extensions ---------------------------------------------- */

/* A peering name fit for a CN and a SAN URI (an IA5String): printable
 * ASCII, no space. */
static bool pcn_ok(const char *pcn)
{
	size_t n = pcn ? strlen(pcn) : 0;

	if (n == 0 || n > PCN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)pcn[i] <= 0x20 || (unsigned char)pcn[i] >= 0x7f)
			return false;
	return true;
}

static void pcn_error(char *err, size_t errlen)
{
	snprintf(err, errlen, "a peering name is 1 to %d printable ASCII characters, no space",
		 PCN_MAX);
}

/* An authority's name: 1 to 63 characters (UTF-8, counted as such), no
 * control character. */
static bool authority_ok(const char *name)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)name; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		chars += (*p & 0xc0) != 0x80;
	}
	return chars >= 1 && chars <= 63;
}

static bool days_ok(int days)
{
	return days >= 1 && days <= DAYS_MAX;
}

static bool add_entry(X509_NAME *name, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *)value,
					  -1, -1, 0) == 1;
}

static X509_NAME *cn_name(const char *cn)
{
	X509_NAME *name = X509_NAME_new();

	if (name && !add_entry(name, "CN", cn)) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

/* "opensvr authority NAME CA"; a name too long for that CN (64
 * characters) goes in O, under CN "opensvr authority CA". */
static X509_NAME *ca_name(const char *authority)
{
	char cn[300];
	X509_NAME *name;

	snprintf(cn, sizeof(cn), "opensvr authority %s CA", authority);
	name = cn_name(cn);
	if (name)
		return name;
	ERR_clear_error();
	name = X509_NAME_new();
	if (name &&
	    (!add_entry(name, "O", authority) || !add_entry(name, "CN", "opensvr authority CA"))) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

static bool set_dates(X509 *c, int64_t now_s, int days)
{
	time_t now = (time_t)now_s;

	return X509_time_adj_ex(X509_getm_notBefore(c), 0, -BACKDATE_S, &now) &&
	       X509_time_adj_ex(X509_getm_notAfter(c), days, 0, &now);
}

/* A self-signed certificate's serial: 127 random bits, positive. */
static bool random_serial(X509 *c)
{
	uint8_t serial[16];
	BIGNUM *bn;
	bool ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return false;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	return ok;
}

/* An extension from fixed text in OpenSSL's configuration syntax (never
 * text from outside: a name goes through add_san). */
static bool add_ext(X509 *c, X509V3_CTX *ctx, int nid, const char *conf)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, conf);
	bool ok = ext && X509_add_ext(c, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok;
}

/* SAN URI urn:ssr:peering:PCN, built as a structure. */
static bool add_san(X509 *c, const char *pcn)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	char text[sizeof(SAN_PREFIX) + PCN_MAX];
	bool ok = false;

	snprintf(text, sizeof(text), SAN_PREFIX "%s", pcn);
	if (gens && g && uri && ASN1_STRING_set(uri, text, -1) == 1) {
		GENERAL_NAME_set0_value(g, GEN_URI, uri);
		uri = NULL;
		if (sk_GENERAL_NAME_push(gens, g) > 0) {
			g = NULL;
			ok = X509_add1_ext_i2d(c, NID_subject_alt_name, gens, 0, 0) == 1;
		}
	}
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return ok;
}

/* SHA-384, but none for keys that sign with their own algorithm. */
static const EVP_MD *ca_md(EVP_PKEY *key)
{
	int id = EVP_PKEY_get_base_id(key);

	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha384();
}

static char *cert_text(X509 *c)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = bio && PEM_write_bio_X509(bio, c) == 1 ? pki_bio_text(bio) : NULL;

	BIO_free(bio);
	return text;
}

static char *key_text(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1
			     ? pki_bio_text(bio)
			     : NULL;

	BIO_free(bio);
	return text;
}

/* An encrypted key is refused, never asked for on a terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *read_key(const char *text)
{
	BIO *bio = text ? BIO_new_mem_buf(text, -1) : NULL;
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;

	BIO_free(bio);
	return key;
}

/* ---- the CA ----------------------------------------------------------------- */

void pki_ca_free(struct pki_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	OPENSSL_free(ca);
}

static X509 *make_ca_cert(EVP_PKEY *key, const char *authority, int64_t now_s, int days)
{
	X509 *c = X509_new();
	X509_NAME *name = ca_name(authority);
	X509V3_CTX ctx;
	bool ok = c && name && random_serial(c) && X509_set_version(c, 2) &&
		  X509_set_subject_name(c, name) && X509_set_issuer_name(c, name) &&
		  set_dates(c, now_s, days) && X509_set_pubkey(c, key);

	if (ok) {
		X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
		ok = add_ext(c, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(c, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(c, &ctx, NID_subject_key_identifier, "hash") &&
		     X509_sign(c, key, ca_md(key)) > 0;
	}
	X509_NAME_free(name);
	if (!ok) {
		X509_free(c);
		c = NULL;
	}
	return c;
}

static bool set_fingerprint(struct pki_ca *ca)
{
	unsigned int n = 0;

	return X509_digest(ca->cert, EVP_sha256(), ca->fp, &n) == 1 && n == PKI_CA_FP_LEN;
}

struct pki_ca *pki_ca_make(const char *authority, int64_t now_s, int days, char *err, size_t errlen)
{
	struct pki_ca *ca;

	if (!authority_ok(authority)) {
		snprintf(err, errlen,
			 "the authority's name must be 1 to 63 characters, "
			 "none a control character");
		return NULL;
	}
	if (!days_ok(days)) {
		snprintf(err, errlen, "a CA is valid for 1 to %d days, not %d", DAYS_MAX, days);
		return NULL;
	}
	ca = OPENSSL_zalloc(sizeof(*ca));
	if (!ca) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ca->key = EVP_EC_gen("P-256");
	ca->cert = ca->key ? make_ca_cert(ca->key, authority, now_s, days) : NULL;
	if (!ca->cert || !set_fingerprint(ca)) {
		snprintf(err, errlen, "cannot make the CA certificate");
		pki_ca_free(ca);
		ca = NULL;
	}
	ERR_clear_error();
	return ca;
}

/* May cert sign certificates and revocation lists, with strong algorithms? */
static bool can_issue(X509 *cert, char *err, size_t errlen)
{
	uint32_t flags = X509_get_extension_flags(cert), ku = X509_get_key_usage(cert);
	char why[160] = "";

	if (flags & EXFLAG_INVALID) {
		snprintf(err, errlen, "the CA certificate's extensions are malformed");
		return false;
	}
	if (!(flags & EXFLAG_CA)) {
		snprintf(err, errlen, "the certificate is not a CA certificate (no CA:TRUE)");
		return false;
	}
	if (!(ku & KU_KEY_CERT_SIGN) || !(ku & KU_CRL_SIGN)) {
		snprintf(err, errlen, "the CA certificate's key usage lacks %s",
			 !(ku & KU_KEY_CERT_SIGN) ? "keyCertSign" : "cRLSign");
		return false;
	}
	if (!pki_sig_strong(X509_get_signature_nid(cert), why, sizeof(why)) ||
	    !pki_key_strong(X509_get0_pubkey(cert), why, sizeof(why))) {
		snprintf(err, errlen, "the CA certificate is weak: %s", why);
		return false;
	}
	return true;
}

static bool load_ca(struct pki_ca *ca, const char *cert_pem, const char *key_pem, char *err,
		    size_t errlen)
{
	if (!(ca->cert = pki_pem_cert(cert_pem))) {
		snprintf(err, errlen, "cannot read the CA certificate");
		return false;
	}
	if (!can_issue(ca->cert, err, errlen))
		return false;
	if (!(ca->key = read_key(key_pem))) {
		snprintf(err, errlen, "cannot read the CA's private key");
		return false;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(err, errlen, "the private key does not belong to the CA certificate");
		return false;
	}
	if (!set_fingerprint(ca)) {
		snprintf(err, errlen, "cannot encode the CA certificate");
		return false;
	}
	return true;
}

struct pki_ca *pki_ca_from_pem(const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
	struct pki_ca *ca = OPENSSL_zalloc(sizeof(*ca));

	if (!ca) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!load_ca(ca, cert_pem, key_pem, err, errlen)) {
		pki_ca_free(ca);
		ca = NULL;
	}
	ERR_clear_error();
	return ca;
}

char *pki_ca_cert_pem(const struct pki_ca *ca)
{
	char *text = ca ? cert_text(ca->cert) : NULL;

	ERR_clear_error();
	return text;
}

char *pki_ca_key_pem(const struct pki_ca *ca)
{
	char *text = ca ? key_text(ca->key) : NULL;

	ERR_clear_error();
	return text;
}

void pki_ca_fingerprint(const struct pki_ca *ca, uint8_t out[PKI_CA_FP_LEN])
{
	if (ca)
		memcpy(out, ca->fp, PKI_CA_FP_LEN);
	else
		memset(out, 0, PKI_CA_FP_LEN);
}

/* ---- issuing ----------------------------------------------------------------- */

static X509_REQ *read_request(const char *pem, char *err, size_t errlen)
{
	size_t n = pem ? strnlen(pem, CSR_PEM_MAX + 1) : 0;
	BIO *bio;
	X509_REQ *req;

	if (n > CSR_PEM_MAX) {
		snprintf(err, errlen, "the request is longer than %d bytes", CSR_PEM_MAX);
		return NULL;
	}
	bio = n ? BIO_new_mem_buf(pem, (int)n) : NULL;
	req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!req)
		snprintf(err, errlen, "not a certificate request (PEM CERTIFICATE REQUEST)");
	return req;
}

/* Its key strong, its signature made with that key by strong means. */
static bool request_ok(X509_REQ *req, char *err, size_t errlen)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	char why[160] = "";

	if (!pki_key_strong(key, why, sizeof(why))) {
		snprintf(err, errlen, "the request's key is weak: %s", why);
		return false;
	}
	if (!pki_sig_strong(X509_REQ_get_signature_nid(req), why, sizeof(why))) {
		snprintf(err, errlen, "the request's signature is weak: %s", why);
		return false;
	}
	if (X509_REQ_verify(req, key) != 1) {
		snprintf(err, errlen, "the request's signature does not verify");
		return false;
	}
	return true;
}

static bool add_leaf_exts(X509 *c, const struct pki_ca *ca, EVP_PKEY *key, const char *pcn)
{
	bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, ca->cert, c, NULL, NULL, 0);
	return add_ext(c, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(c, &ctx, NID_key_usage,
		       rsa ? "critical,digitalSignature,keyEncipherment"
			   : "critical,digitalSignature") &&
	       add_ext(c, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") &&
	       add_ext(c, &ctx, NID_subject_key_identifier, "hash") &&
	       add_ext(c, &ctx, NID_authority_key_identifier, "keyid,issuer") && add_san(c, pcn);
}

static X509 *make_leaf(const struct pki_ca *ca, EVP_PKEY *key, const char *pcn, uint64_t serial,
		       int64_t now_s, int days)
{
	X509 *c = X509_new();
	X509_NAME *name = cn_name(pcn);
	bool ok = c && name && X509_set_version(c, 2) &&
		  ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial) == 1 &&
		  X509_set_subject_name(c, name) &&
		  X509_set_issuer_name(c, X509_get_subject_name(ca->cert)) &&
		  set_dates(c, now_s, days) && X509_set_pubkey(c, key) &&
		  add_leaf_exts(c, ca, key, pcn) && X509_sign(c, ca->key, ca_md(ca->key)) > 0;

	X509_NAME_free(name);
	if (!ok) {
		X509_free(c);
		c = NULL;
	}
	return c;
}

/* What the caller gives: a CA valid at now_s, a name, a serial, days. */
static bool issue_args_ok(const struct pki_ca *ca, const char *pcn, uint64_t serial, int64_t now_s,
			  int days, char *err, size_t errlen)
{
	time_t now = (time_t)now_s;

	if (!ca)
		snprintf(err, errlen, "no CA");
	else if (!pcn_ok(pcn))
		pcn_error(err, errlen);
	else if (serial == 0)
		snprintf(err, errlen, "serial numbers start at 1");
	else if (!days_ok(days))
		snprintf(err, errlen, "a certificate is valid for 1 to %d days, not %d", DAYS_MAX,
			 days);
	else if (X509_cmp_time(X509_get0_notAfter(ca->cert), &now) < 0)
		snprintf(err, errlen, "the CA certificate has expired");
	else
		return true;
	return false;
}

char *pki_ca_issue(const struct pki_ca *ca, const char *csr_pem, const char *pcn, uint64_t serial,
		   int64_t now_s, int days, char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	X509 *cert = NULL;
	char *text = NULL;

	if (!issue_args_ok(ca, pcn, serial, now_s, days, err, errlen) ||
	    !(req = read_request(csr_pem, err, errlen)) || !request_ok(req, err, errlen))
		goto out;
	cert = make_leaf(ca, X509_REQ_get0_pubkey(req), pcn, serial, now_s, days);
	text = cert ? cert_text(cert) : NULL;
	if (!text)
		snprintf(err, errlen, "cannot make the certificate");
out:
	X509_free(cert);
	X509_REQ_free(req);
	ERR_clear_error();
	return text;
}

/* ---- revocation ---------------------------------------------------------------- */

static bool add_revoked(X509_CRL *crl, uint64_t serial, int64_t when)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)when);
	bool ok = r && s && t && ASN1_INTEGER_set_uint64(s, serial) == 1 &&
		  X509_REVOKED_set_serialNumber(r, s) == 1 &&
		  X509_REVOKED_set_revocationDate(r, t) == 1 && X509_CRL_add0_revoked(crl, r) == 1;

	if (ok)
		r = NULL;
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(s);
	ASN1_TIME_free(t);
	return ok;
}

/* The CRL number and the CA's key identifier. */
static bool add_crl_exts(X509_CRL *crl, const struct pki_ca *ca, uint64_t number)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509_EXTENSION *aki = NULL;
	X509V3_CTX ctx;
	bool ok = num && ASN1_INTEGER_set_uint64(num, number) == 1 &&
		  X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;

	if (ok) {
		X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
		aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid,issuer");
		ok = aki && X509_CRL_add_ext(crl, aki, -1) == 1;
	}
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	return ok;
}

static bool set_crl_dates(X509_CRL *crl, int64_t now_s, int64_t next_s)
{
	ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)now_s);
	ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)(now_s + next_s));
	bool ok = last && next && X509_CRL_set1_lastUpdate(crl, last) == 1 &&
		  X509_CRL_set1_nextUpdate(crl, next) == 1;

	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	return ok;
}

static X509_CRL *make_crl(const struct pki_ca *ca, const uint64_t *serials, const int64_t *times,
			  size_t n, uint64_t number, int64_t now_s, int64_t next_s)
{
	X509_CRL *crl = X509_CRL_new();
	bool ok = crl && X509_CRL_set_version(crl, 1) == 1 &&
		  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) == 1 &&
		  set_crl_dates(crl, now_s, next_s) && add_crl_exts(crl, ca, number);

	for (size_t i = 0; ok && i < n; i++)
		ok = add_revoked(crl, serials[i], times[i]);
	ok = ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, ca->key, ca_md(ca->key)) > 0;
	if (!ok) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	return crl;
}

static bool crl_args_ok(const struct pki_ca *ca, const uint64_t *serials, const int64_t *times,
			size_t n, int64_t now_s, int64_t next_s, char *err, size_t errlen)
{
	if (!ca)
		snprintf(err, errlen, "no CA");
	else if (n && (!serials || !times))
		snprintf(err, errlen, "no serials or no times");
	else if (next_s <= 0 || next_s > NEXT_S_MAX || now_s > INT64_MAX - next_s)
		snprintf(err, errlen, "the next update is 1 second to 10 years away");
	else {
		for (size_t i = 0; i < n; i++)
			if (serials[i] == 0) {
				snprintf(err, errlen, "serial numbers start at 1");
				return false;
			}
		return true;
	}
	return false;
}

char *pki_ca_crl(const struct pki_ca *ca, const uint64_t *serials, const int64_t *times, size_t n,
		 uint64_t number, int64_t now_s, int64_t next_s, char *err, size_t errlen)
{
	X509_CRL *crl;
	BIO *bio;
	char *text = NULL;

	if (!crl_args_ok(ca, serials, times, n, now_s, next_s, err, errlen))
		return NULL;
	crl = make_crl(ca, serials, times, n, number, now_s, next_s);
	bio = crl ? BIO_new(BIO_s_mem()) : NULL;
	if (bio && PEM_write_bio_X509_CRL(bio, crl) == 1)
		text = pki_bio_text(bio);
	if (!text)
		snprintf(err, errlen, "cannot make the revocation list");
	BIO_free(bio);
	X509_CRL_free(crl);
	ERR_clear_error();
	return text;
}

/* ---- the node's side ------------------------------------------------------------ */

static X509_REQ *make_request(EVP_PKEY *key, const char *pcn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = cn_name(pcn);
	bool ok = req && name && X509_REQ_set_version(req, 0) == 1 &&
		  X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
		  X509_REQ_sign(req, key, EVP_sha256()) > 0;

	X509_NAME_free(name);
	if (!ok) {
		X509_REQ_free(req);
		req = NULL;
	}
	return req;
}

static char *request_text(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = bio && PEM_write_bio_X509_REQ(bio, req) == 1 ? pki_bio_text(bio) : NULL;

	BIO_free(bio);
	return text;
}

char *pki_csr_make(const char *pcn, char **key_pem, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	char *csr = NULL, *kt = NULL;

	if (key_pem)
		*key_pem = NULL;
	if (!key_pem || !pcn_ok(pcn)) {
		pcn_error(err, errlen);
		return NULL;
	}
	key = EVP_EC_gen("P-256");
	req = key ? make_request(key, pcn) : NULL;
	csr = req ? request_text(req) : NULL;
	kt = csr ? key_text(key) : NULL;
	if (kt) {
		*key_pem = kt;
	} else {
		free(csr);
		csr = NULL;
		snprintf(err, errlen, "cannot make a key and its certificate request");
	}
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return csr;
}

bool pki_cert_matches_key(const char *cert_pem, const char *key_pem)
{
	X509 *cert = pki_pem_cert(cert_pem);
	EVP_PKEY *key = cert ? read_key(key_pem) : NULL;
	bool hit = key && X509_check_private_key(cert, key) == 1;

	EVP_PKEY_free(key);
	X509_free(cert);
	ERR_clear_error();
	return hit;
}

/* ---- the enrolment client's check ------------------------------------------------ */

static void chain_error(int code, int depth, char *err, size_t errlen)
{
	const char *who = depth ? "the conductor's CA" : "the conductor's certificate";

	if (code == X509_V_ERR_CERT_HAS_EXPIRED)
		snprintf(err, errlen, "%s has expired", who);
	else if (code == X509_V_ERR_CERT_NOT_YET_VALID)
		snprintf(err, errlen, "%s is not yet valid", who);
	else
		snprintf(err, errlen, "the conductor's certificate is not issued by its CA (%s)",
			 X509_verify_cert_error_string(code));
}

/* Is leaf issued by ca (the anchor, even when ca is an intermediate: the
 * pin vouches for it) and within its dates, as is ca, at now_s? */
static bool chain_ok(X509 *leaf, X509 *ca, int64_t now_s, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int code = X509_V_ERR_OUT_OF_MEM, depth = 0;
	bool ok = store && ctx && X509_STORE_add_cert(store, ca) == 1 &&
		  X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1;

	if (ok) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

		X509_VERIFY_PARAM_set_time(param, (time_t)now_s);
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
		ok = X509_verify_cert(ctx) == 1;
		code = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	if (!ok)
		chain_error(code, depth, err, errlen);
	return ok;
}

static bool pin_ok(X509 *ca, const uint8_t *pin)
{
	uint8_t fp[PKI_CA_FP_LEN];
	unsigned int n = 0;

	return pin && X509_digest(ca, EVP_sha256(), fp, &n) == 1 && n == PKI_CA_FP_LEN &&
	       crypto_equal(fp, pin, PKI_CA_FP_LEN);
}

static bool leaf_strong(X509 *leaf, char *err, size_t errlen)
{
	char why[160] = "";

	if (pki_sig_strong(X509_get_signature_nid(leaf), why, sizeof(why)) &&
	    pki_key_strong(X509_get0_pubkey(leaf), why, sizeof(why)))
		return true;
	snprintf(err, errlen, "the conductor's certificate is weak: %s", why);
	return false;
}

int pki_chain_pinned(const char *leaf_pem, const char *ca_pem, const uint8_t pin[PKI_CA_FP_LEN],
		     int64_t now_s, char *err, size_t errlen)
{
	X509 *ca = pki_pem_cert(ca_pem), *leaf = NULL;
	int rc = -1;

	if (!ca)
		snprintf(err, errlen, "the conductor's CA is not a PEM certificate");
	else if (!pin_ok(ca, pin))
		snprintf(err, errlen, "the conductor's CA is not the one the token names");
	else if (!(X509_get_extension_flags(ca) & EXFLAG_CA))
		snprintf(err, errlen, "the conductor's CA is not a CA certificate (no CA:TRUE)");
	else if (!(leaf = pki_pem_cert(leaf_pem)))
		snprintf(err, errlen, "the conductor's certificate is not a PEM certificate");
	else if (leaf_strong(leaf, err, errlen) && chain_ok(leaf, ca, now_s, err, errlen))
		rc = 0;
	X509_free(leaf);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

int pki_cert_dates(const char *cert_pem, int64_t *not_before, int64_t *not_after)
{
	X509 *cert = pki_pem_cert(cert_pem);

	if (!cert) {
		ERR_clear_error();
		return -1;
	}
	*not_before = pki_asn1_seconds(X509_get0_notBefore(cert));
	*not_after = pki_asn1_seconds(X509_get0_notAfter(cert));
	X509_free(cert);
	return 0;
}

bool pki_renewal_due(int64_t not_before, int64_t not_after, int64_t now_s)
{
	return not_after > not_before && now_s >= not_after - (not_after - not_before) / 3;
}

int pki_cert_serial(const char *cert_pem, uint64_t *serial, int64_t *not_after)
{
	X509 *cert = pki_pem_cert(cert_pem);
	uint64_t s = 0;
	int rc = cert && ASN1_INTEGER_get_uint64(&s, X509_get0_serialNumber(cert)) == 1 ? 0 : -1;

	if (rc == 0 && serial)
		*serial = s;
	if (rc == 0 && not_after)
		*not_after = pki_asn1_seconds(X509_get0_notAfter(cert));
	X509_free(cert);
	ERR_clear_error();
	return rc;
}
