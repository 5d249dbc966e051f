/* PKI: node identities and peer validation; see pki.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pki.h"

#define SAN_PREFIX "urn:ssr:peering:"

struct pki_identity {
	X509 *cert;
	EVP_PKEY *key;
	uint8_t *der;
	size_t der_len;
	bool self_signed;
};

struct pki_trust {
	X509_STORE *store;
	size_t ncas, ncrls;
};

struct pki_peer {
	EVP_PKEY *key;
	int64_t not_after;
};

int pki_check_ca_pem(const char *pem, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = NULL, *extra = NULL;
	int rc = -1;

	if (!bio) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!cert) {
		snprintf(err, errlen, "not a PEM X.509 certificate");
		goto out;
	}
	extra = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (extra) {
		snprintf(err, errlen, "more than one certificate; give each CA its own entry");
		goto out;
	}
	if (X509_check_ca(cert) < 1) {
		snprintf(err, errlen, "the certificate is not a CA certificate (no CA:TRUE)");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_free(extra);
	X509_free(cert);
	BIO_free(bio);
	return rc;
}

/* ---- identity ------------------------------------------------------------- */

static int finish_identity(struct pki_identity *id)
{
	unsigned char *p = NULL;
	int n = i2d_X509(id->cert, &p);

	if (n <= 0)
		return -1;
	id->der = p;
	id->der_len = (size_t)n;
	id->self_signed = X509_check_issued(id->cert, id->cert) == X509_V_OK;
	return 0;
}

void pki_identity_free(struct pki_identity *id)
{
	if (!id)
		return;
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
	OPENSSL_free(id->der);
	OPENSSL_free(id);
}

static bool cert_names(X509 *cert, const char *pcn);

static X509 *make_self_signed(EVP_PKEY *key, const char *pcn, int64_t now_s, int days)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	char san[256];
	int ok = 0;

	if (!c || !name || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) || !X509_set_version(c, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)pcn, -1,
					-1, 0) ||
	    !X509_set_subject_name(c, name) || !X509_set_issuer_name(c, name) ||
	    !X509_time_adj_ex(X509_getm_notBefore(c), 0, -300, (time_t *)&now_s) ||
	    !X509_time_adj_ex(X509_getm_notAfter(c), days, 0, (time_t *)&now_s) ||
	    !X509_set_pubkey(c, key))
		goto out;
	X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
	snprintf(san, sizeof(san), "URI:" SAN_PREFIX "%s", pcn);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	if (!ext || !X509_add_ext(c, ext, -1)) {
		X509_EXTENSION_free(ext);
		goto out;
	}
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	if (!ext || !X509_add_ext(c, ext, -1)) {
		X509_EXTENSION_free(ext);
		goto out;
	}
	X509_EXTENSION_free(ext);
	ok = X509_sign(c, key, EVP_sha384()) > 0;
out:
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(c);
		c = NULL;
	}
	return c;
}

static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
	char tmp[4096];
	int fd;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	ok = cert ? PEM_write_X509(f, cert)
		  : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static struct pki_identity *read_pair(const char *cert_file, const char *key_file, char *err,
				      size_t errlen)
{
	struct pki_identity *id = OPENSSL_zalloc(sizeof(*id));
	FILE *f;

	if (!id)
		return NULL;
	f = fopen(cert_file, "re");
	if (!f || !(id->cert = PEM_read_X509(f, NULL, NULL, NULL))) {
		snprintf(err, errlen, "cannot read the certificate %s", cert_file);
		goto fail;
	}
	fclose(f);
	f = fopen(key_file, "re");
	if (!f || !(id->key = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
		snprintf(err, errlen, "cannot read the private key %s", key_file);
		goto fail;
	}
	fclose(f);
	f = NULL;
	if (X509_check_private_key(id->cert, id->key) != 1) {
		snprintf(err, errlen, "the key %s does not belong to the certificate %s", key_file,
			 cert_file);
		goto fail;
	}
	if (finish_identity(id) < 0)
		goto fail;
	ERR_clear_error();
	return id;
fail:
	if (f)
		fclose(f);
	ERR_clear_error();
	pki_identity_free(id);
	return NULL;
}

struct pki_identity *pki_identity_load(const char *cert_file, const char *key_file, char *err,
				       size_t errlen)
{
	return read_pair(cert_file, key_file, err, errlen);
}

struct pki_identity *pki_identity_open(const char *dir, const char *pcn, int64_t now_s, int days,
				       char *err, size_t errlen)
{
	char crt[4096], key[4096];
	struct pki_identity *id;
	char ignore[256];

	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	id = read_pair(crt, key, ignore, sizeof(ignore));
	if (id && id->self_signed && !cert_names(id->cert, pcn)) {
		pki_identity_free(id); /* made for another peering name */
		id = NULL;
	}
	if (id)
		return id;
	id = OPENSSL_zalloc(sizeof(*id));
	if (!id)
		return NULL;
	id->key = EVP_EC_gen("P-256");
	id->cert = id->key ? make_self_signed(id->key, pcn, now_s, days) : NULL;
	if (!id->cert || finish_identity(id) < 0) {
		snprintf(err, errlen, "cannot make a self-signed certificate");
		goto fail;
	}
	if (write_pem(key, 0600, NULL, id->key) < 0 || write_pem(crt, 0644, id->cert, NULL) < 0) {
		snprintf(err, errlen, "cannot save the node certificate in %s: %s", dir,
			 strerror(errno));
		goto fail;
	}
	ERR_clear_error();
	return id;
fail:
	ERR_clear_error();
	pki_identity_free(id);
	return NULL;
}

const uint8_t *pki_identity_der(const struct pki_identity *id, size_t *len)
{
	*len = id->der_len;
	return id->der;
}

bool pki_identity_self_signed(const struct pki_identity *id)
{
	return id->self_signed;
}

static int64_t asn1_seconds(const ASN1_TIME *t);

int64_t pki_identity_not_after(const struct pki_identity *id)
{
	return asn1_seconds(X509_get0_notAfter(id->cert));
}

bool pki_identity_names(const struct pki_identity *id, const char *pcn)
{
	return cert_names(id->cert, pcn);
}

static const EVP_MD *sig_md(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha384();
}

int pki_sign(const struct pki_identity *id, const uint8_t *data, size_t len, uint8_t *sig,
	     size_t cap, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = cap;
	int rc = -1;

	if (ctx && EVP_DigestSignInit(ctx, NULL, sig_md(id->key), NULL, id->key) == 1 &&
	    EVP_DigestSign(ctx, sig, &n, data, len) == 1) {
		*siglen = n;
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* ---- trust ---------------------------------------------------------------- */

struct pki_trust *pki_trust_new(void)
{
	struct pki_trust *t = OPENSSL_zalloc(sizeof(*t));

	if (t && !(t->store = X509_STORE_new())) {
		OPENSSL_free(t);
		t = NULL;
	}
	return t;
}

void pki_trust_free(struct pki_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	OPENSSL_free(t);
}

size_t pki_trust_ca_count(const struct pki_trust *t)
{
	return t ? t->ncas : 0;
}

int pki_trust_add_ca_pem(struct pki_trust *t, const char *pem, char *err, size_t errlen)
{
	BIO *bio;
	X509 *c;
	int rc = -1;

	if (pki_check_ca_pem(pem, err, errlen) < 0)
		return -1;
	bio = BIO_new_mem_buf(pem, -1);
	c = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (c && X509_STORE_add_cert(t->store, c) == 1) {
		t->ncas++;
		rc = 0;
	} else {
		snprintf(err, errlen, "cannot add the CA certificate");
	}
	X509_free(c);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int pki_trust_add_crl_pem(struct pki_trust *t, const char *pem, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_CRL *crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	int rc = -1;

	if (crl && X509_STORE_add_crl(t->store, crl) == 1) {
		t->ncrls++;
		rc = 0;
	} else {
		snprintf(err, errlen, "not a PEM certificate revocation list");
	}
	X509_CRL_free(crl);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* ---- peers ---------------------------------------------------------------- */

const char *pki_verdict_name(enum pki_verdict v)
{
	static const char *const names[] = {
		"valid",     "malformed",     "expired",	"not yet valid", "revoked",
		"untrusted", "bad signature", "weak algorithm", "wrong name",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "invalid";
}

static bool cert_names(X509 *cert, const char *pcn)
{
	char cn[256];
	GENERAL_NAMES *sans;
	bool hit = false;

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) >
		    0 &&
	    strcmp(cn, pcn) == 0)
		return true;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !hit; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_URI) {
			const char *u =
				(const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
			size_t ul = (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier);

			hit = ul == strlen(SAN_PREFIX) + strlen(pcn) &&
			      strncmp(u, SAN_PREFIX, strlen(SAN_PREFIX)) == 0 &&
			      memcmp(u + strlen(SAN_PREFIX), pcn, strlen(pcn)) == 0;
		}
	}
	GENERAL_NAMES_free(sans);
	return hit;
}

/* The allowlist: no MD5/SHA-1 signatures; RSA >= 2048; EC P-256/384/521; Ed25519. */
static bool strong(X509 *cert, char *why, size_t len)
{
	int md = NID_undef, pk = NID_undef;
	EVP_PKEY *key = X509_get0_pubkey(cert);
	char group[64] = "";

	if (!key || !OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md, &pk)) {
		snprintf(why, len, "unknown signature algorithm");
		return false;
	}
	if (md == NID_md5 || md == NID_sha1 || md == NID_md4 || md == NID_md5_sha1) {
		snprintf(why, len, "signed with %s", OBJ_nid2sn(md));
		return false;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(key) < 2048) {
			snprintf(why, len, "RSA key of %d bits (at least 2048)",
				 EVP_PKEY_get_bits(key));
			return false;
		}
		return true;
	case EVP_PKEY_EC:
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					       sizeof(group), NULL);
		if (strcmp(group, "prime256v1") && strcmp(group, "secp384r1") &&
		    strcmp(group, "secp521r1")) {
			snprintf(why, len, "EC curve %s (P-256, P-384 or P-521)", group);
			return false;
		}
		return true;
	case EVP_PKEY_ED25519:
		return true;
	default:
		snprintf(why, len, "key type %s", OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
		return false;
	}
}

static void when(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "?");
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	return ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

static struct pki_peer *validate(const struct pki_trust *t, const uint8_t *der, size_t len,
				 const char *pcn, int64_t now_s, bool strict, enum pki_verdict *v,
				 char *detail, size_t dlen)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	struct pki_peer *peer = NULL;
	time_t now = (time_t)now_s;
	char why[160] = "", date[64];

	*v = PKI_MALFORMED;
	snprintf(detail, dlen, "not a DER X.509 certificate");
	if (!cert || p != der + len)
		goto out;
	if (!strong(cert, why, sizeof(why))) {
		*v = PKI_WEAK_ALGORITHM;
		snprintf(detail, dlen, "%s", why);
		goto out;
	}
	if (strict && X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
		*v = PKI_NOT_YET_VALID;
		when(X509_get0_notBefore(cert), date, sizeof(date));
		snprintf(detail, dlen, "not before %s", date);
		goto out;
	}
	if (strict && X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		*v = PKI_EXPIRED;
		when(X509_get0_notAfter(cert), date, sizeof(date));
		snprintf(detail, dlen, "not after %s", date);
		goto out;
	}
	if (!cert_names(cert, pcn)) {
		*v = PKI_WRONG_NAME;
		snprintf(detail, dlen, "neither CN nor SAN URI is %s", pcn);
		goto out;
	}
	if (t && t->ncas) {
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		int ok = ctx && X509_STORE_CTX_init(ctx, t->store, cert, NULL) == 1, code;

		if (ok) {
			X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

			X509_VERIFY_PARAM_set_time(param, now);
			if (!strict)
				X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
			else if (t->ncrls)
				X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
			ok = X509_verify_cert(ctx) == 1;
		}
		code = ctx ? X509_STORE_CTX_get_error(ctx) : X509_V_ERR_OUT_OF_MEM;
		X509_STORE_CTX_free(ctx);
		if (!ok) {
			*v = code == X509_V_ERR_CERT_REVOKED		 ? PKI_REVOKED
			     : code == X509_V_ERR_CERT_HAS_EXPIRED	 ? PKI_EXPIRED
			     : code == X509_V_ERR_CERT_NOT_YET_VALID	 ? PKI_NOT_YET_VALID
			     : code == X509_V_ERR_CERT_SIGNATURE_FAILURE ? PKI_BAD_SIGNATURE
									 : PKI_UNTRUSTED;
			snprintf(detail, dlen, "%s", X509_verify_cert_error_string(code));
			goto out;
		}
	} else {
		/* No CA configured: a self-signed certificate that verifies. */
		if (X509_check_issued(cert, cert) != X509_V_OK) {
			*v = PKI_UNTRUSTED;
			snprintf(detail, dlen, "issued by a CA that is not configured");
			goto out;
		}
		if (X509_verify(cert, X509_get0_pubkey(cert)) != 1) {
			*v = PKI_BAD_SIGNATURE;
			snprintf(detail, dlen, "the self-signature does not verify");
			goto out;
		}
	}
	peer = OPENSSL_zalloc(sizeof(*peer));
	if (!peer)
		goto out;
	peer->key = X509_get_pubkey(cert);
	peer->not_after = asn1_seconds(X509_get0_notAfter(cert));
	*v = PKI_OK;
	snprintf(detail, dlen, "valid");
out:
	X509_free(cert);
	ERR_clear_error();
	return peer;
}

struct pki_peer *pki_peer_validate(const struct pki_trust *t, const uint8_t *der, size_t len,
				   const char *pcn, int64_t now_s, enum pki_verdict *v,
				   char *detail, size_t dlen)
{
	return validate(t, der, len, pcn, now_s, true, v, detail, dlen);
}

/* Does every signature on cert that can be checked hold: its own when it
 * is self-issued, a trusted CA's when one issued it?  (One from a CA we do
 * not know cannot be checked: that is "untrusted", not tampering.) */
static bool signature_intact(const struct pki_trust *t, X509 *cert)
{
	if (X509_check_issued(cert, cert) == X509_V_OK)
		return X509_verify(cert, X509_get0_pubkey(cert)) == 1;
	if (t && t->ncas) {
		STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);

		for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
			X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

			if (ca && X509_check_issued(ca, cert) == X509_V_OK)
				return X509_verify(cert, X509_get0_pubkey(ca)) == 1;
		}
	}
	return true;
}

struct pki_peer *pki_peer_validate_soft(const struct pki_trust *t, const uint8_t *der, size_t len,
					const char *pcn, int64_t now_s, enum pki_verdict *v,
					char *detail, size_t dlen)
{
	struct pki_peer *p = validate(t, der, len, pcn, now_s, true, v, detail, dlen);
	const unsigned char *q = der;
	X509 *cert;

	if (p || *v == PKI_MALFORMED || *v == PKI_BAD_SIGNATURE)
		return p;
	/* Out of date, revoked, misnamed, weak or from a CA we do not trust:
	 * pinned all the same (the verdict says what is wrong, for the
	 * alarm), unless a signature we can check is broken, which is
	 * tampering, not a certificate problem. */
	cert = d2i_X509(NULL, &q, (long)len);
	if (cert && signature_intact(t, cert)) {
		p = OPENSSL_zalloc(sizeof(*p));
		if (p) {
			p->key = X509_get_pubkey(cert);
			p->not_after = asn1_seconds(X509_get0_notAfter(cert));
		}
		if (p && !p->key) {
			OPENSSL_free(p);
			p = NULL;
		}
	} else if (cert) {
		*v = PKI_BAD_SIGNATURE;
		snprintf(detail, dlen, "the certificate's signature does not verify");
	}
	X509_free(cert);
	ERR_clear_error();
	return p;
}

bool pki_peer_same_key(const struct pki_peer *a, const struct pki_peer *b)
{
	return a && b && EVP_PKEY_eq(a->key, b->key) == 1;
}

void pki_peer_free(struct pki_peer *p)
{
	if (!p)
		return;
	EVP_PKEY_free(p->key);
	OPENSSL_free(p);
}

bool pki_peer_verify(const struct pki_peer *p, const uint8_t *data, size_t len, const uint8_t *sig,
		     size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, sig_md(p->key), NULL, p->key) == 1 &&
		  EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int64_t pki_peer_not_after(const struct pki_peer *p)
{
	return p->not_after;
}
