/* PKI: node identities and peer validation; see pki.h. */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki.h"
#include "pki_int.h"

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
	bool crl_unavailable; /* a configured revocation list could not be read */
};

struct pki_peer {
	EVP_PKEY *key;
	int64_t not_after;
	bool chained; /* a trusted CA vouches for it (else pinned on first use) */
	uint8_t fp[PKI_FP_LEN];
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

/* The PEM text a memory BIO holds, NUL-terminated (malloc'd), or NULL.
 * Freeing a memory BIO clears its buffer (BUF_MEM_free), so the text of a
 * private key is left only in the copy, which the caller wipes. */
char *pki_bio_text(BIO *bio)
{
	BUF_MEM *mem = NULL;
	char *text;

	if (BIO_get_mem_ptr(bio, &mem) != 1 || !mem)
		return NULL;
	text = malloc(mem->length + 1);
	if (text) {
		memcpy(text, mem->data, mem->length);
		text[mem->length] = '\0';
	}
	return text;
}

char *pki_identity_cert_pem(const struct pki_identity *id)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = bio && PEM_write_bio_X509(bio, id->cert) == 1 ? pki_bio_text(bio) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return text;
}

char *pki_identity_key_pem(const struct pki_identity *id)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = bio && PEM_write_bio_PrivateKey(bio, id->key, NULL, NULL, 0, NULL, NULL) == 1
			     ? pki_bio_text(bio)
			     : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return text;
}

/* The first PEM block of its kind in text (NULL: none). */
X509 *pki_pem_cert(const char *text)
{
	BIO *bio = text ? BIO_new_mem_buf(text, -1) : NULL;
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return cert;
}

/* An encrypted key is refused, never asked about on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *pki_pem_key(const char *text)
{
	BIO *bio = text ? BIO_new_mem_buf(text, -1) : NULL;
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;

	BIO_free(bio);
	return key;
}

struct pki_identity *pki_identity_from_pem(const char *cert_pem, const char *key_pem,
					   const char *cert_name, const char *key_name, char *err,
					   size_t errlen)
{
	struct pki_identity *id = OPENSSL_zalloc(sizeof(*id));

	if (!id) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(id->cert = pki_pem_cert(cert_pem))) {
		snprintf(err, errlen, "cannot read the certificate %s", cert_name);
		goto fail;
	}
	if (!(id->key = pki_pem_key(key_pem))) {
		snprintf(err, errlen, "cannot read the private key %s", key_name);
		goto fail;
	}
	if (X509_check_private_key(id->cert, id->key) != 1) {
		snprintf(err, errlen, "the key %s does not belong to the certificate %s", key_name,
			 cert_name);
		goto fail;
	}
	if (finish_identity(id) < 0) {
		snprintf(err, errlen, "cannot encode the certificate %s", cert_name);
		goto fail;
	}
	ERR_clear_error();
	return id;
fail:
	ERR_clear_error();
	pki_identity_free(id);
	return NULL;
}

/* A self-signed certificate this close to its end is made again with the
 * same key: peers that pinned the key on first use keep trusting it. */
#define RENEW_S (30 * 86400)

bool pki_identity_renew_due(const struct pki_identity *id, int64_t now_s)
{
	return id->self_signed && pki_asn1_seconds(X509_get0_notAfter(id->cert)) - now_s < RENEW_S;
}

struct pki_identity *pki_identity_make(const struct pki_identity *renew, const char *pcn,
				       int64_t now_s, int days, char *err, size_t errlen)
{
	struct pki_identity *id = OPENSSL_zalloc(sizeof(*id));

	if (!id) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (renew)
		id->key = EVP_PKEY_up_ref(renew->key) == 1 ? renew->key : NULL;
	else
		id->key = EVP_EC_gen("P-256");
	id->cert = id->key ? make_self_signed(id->key, pcn, now_s, days) : NULL;
	if (!id->cert || finish_identity(id) < 0) {
		snprintf(err, errlen, "cannot make a self-signed certificate");
		ERR_clear_error();
		pki_identity_free(id);
		return NULL;
	}
	ERR_clear_error();
	return id;
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

int64_t pki_identity_not_after(const struct pki_identity *id)
{
	return pki_asn1_seconds(X509_get0_notAfter(id->cert));
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
		"valid",      "malformed",	    "expired",	     "not yet valid",
		"revoked",    "untrusted",	    "bad signature", "weak algorithm",
		"wrong name", "revocation unknown", "key changed",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "invalid";
}

/* Does a name entry hold exactly pcn?  Compared by length, so that a
 * CN with an embedded NUL ("peer-b\0.evil") never matches "peer-b". */
static bool entry_is(const ASN1_STRING *str, const char *prefix, const char *pcn)
{
	unsigned char *utf8 = NULL;
	int n = str ? ASN1_STRING_to_UTF8(&utf8, str) : -1;
	size_t pl = strlen(prefix), nl = strlen(pcn);
	bool hit = n >= 0 && (size_t)n == pl + nl && memchr(utf8, '\0', (size_t)n) == NULL &&
		   memcmp(utf8, prefix, pl) == 0 && memcmp(utf8 + pl, pcn, nl) == 0;

	OPENSSL_free(utf8);
	return hit;
}

static bool cert_names(X509 *cert, const char *pcn)
{
	const X509_NAME *subj = X509_get_subject_name(cert);
	GENERAL_NAMES *sans;
	bool hit = false;
	int last = -1;

	/* the most specific CN only, as name checks conventionally do */
	for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;)
		last = i;
	if (last >= 0)
		hit = entry_is(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last)), "", pcn);
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !hit; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_URI)
			hit = entry_is(g->d.uniformResourceIdentifier, SAN_PREFIX, pcn);
	}
	GENERAL_NAMES_free(sans);
	return hit;
}

/* The allowlist: no MD5/SHA-1 signatures; RSA >= 2048; EC P-256/384/521; Ed25519. */
bool pki_sig_strong(int sig_nid, char *why, size_t len)
{
	int md = NID_undef, pk = NID_undef;

	if (!OBJ_find_sigid_algs(sig_nid, &md, &pk)) {
		snprintf(why, len, "unknown signature algorithm");
		return false;
	}
	if (md == NID_md5 || md == NID_sha1 || md == NID_md4 || md == NID_md5_sha1) {
		snprintf(why, len, "signed with %s", OBJ_nid2sn(md));
		return false;
	}
	return true;
}

bool pki_key_strong(EVP_PKEY *key, char *why, size_t len)
{
	char group[64] = "";

	if (!key) {
		snprintf(why, len, "no public key");
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

static bool strong(X509 *cert, char *why, size_t len)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);

	if (!key) {
		snprintf(why, len, "unknown signature algorithm");
		return false;
	}
	return pki_sig_strong(X509_get_signature_nid(cert), why, len) &&
	       pki_key_strong(key, why, len);
}

static void when(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "?");
}

int64_t pki_asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	return ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

/* Does a trusted CA vouch for cert at now?  true, or false with *v. */
static bool chain_ok(const struct pki_trust *t, X509 *cert, time_t now, unsigned flags,
		     enum pki_verdict *v, char *detail, size_t dlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = ctx && X509_STORE_CTX_init(ctx, t->store, cert, NULL) == 1, code;

	if (ok) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

		X509_VERIFY_PARAM_set_time(param, now);
		if (t->ncrls)
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
		return false;
	}
	if (t->crl_unavailable && (flags & PKI_NEED_REVOCATION)) {
		/* fail-hard: a revocation we cannot check is not a pass */
		*v = PKI_REVOCATION_UNKNOWN;
		snprintf(detail, dlen, "a configured revocation list cannot be read");
		return false;
	}
	return true;
}

/* No trusted CA vouches for cert: a self-issued one must verify with its
 * own key; one from a CA we do not know cannot be checked, and is pinned
 * on first use like a self-signed one (PKI_ALLOW_UNCHAINED only). */
static bool unchained_ok(X509 *cert, unsigned flags, enum pki_verdict *v, char *detail, size_t dlen)
{
	if (X509_check_issued(cert, cert) == X509_V_OK) {
		if (X509_verify(cert, X509_get0_pubkey(cert)) == 1)
			return true;
		*v = PKI_BAD_SIGNATURE;
		snprintf(detail, dlen, "the self-signature does not verify");
		return false;
	}
	if (flags & PKI_ALLOW_UNCHAINED)
		return true;
	*v = PKI_UNTRUSTED;
	snprintf(detail, dlen, "issued by a CA that is not configured");
	return false;
}

static struct pki_peer *new_peer(X509 *cert, bool chained)
{
	struct pki_peer *peer = OPENSSL_zalloc(sizeof(*peer));
	unsigned char *spki = NULL;
	unsigned int fl = 0;
	int n;

	if (!peer || !(peer->key = X509_get_pubkey(cert)) ||
	    (n = i2d_PUBKEY(peer->key, &spki)) <= 0 ||
	    EVP_Digest(spki, (size_t)n, peer->fp, &fl, EVP_sha256(), NULL) != 1 ||
	    fl != PKI_FP_LEN) {
		OPENSSL_free(spki);
		pki_peer_free(peer);
		return NULL;
	}
	OPENSSL_free(spki);
	peer->not_after = pki_asn1_seconds(X509_get0_notAfter(cert));
	peer->chained = chained;
	return peer;
}

/* Everything but the chain: form, algorithms, dates, name. */
static bool basics_ok(X509 *cert, const char *pcn, time_t now, enum pki_verdict *v, char *detail,
		      size_t dlen)
{
	char why[160] = "", date[64];

	if (!strong(cert, why, sizeof(why))) {
		*v = PKI_WEAK_ALGORITHM;
		snprintf(detail, dlen, "%s", why);
		return false;
	}
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
		*v = PKI_NOT_YET_VALID;
		when(X509_get0_notBefore(cert), date, sizeof(date));
		snprintf(detail, dlen, "not before %s", date);
		return false;
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		*v = PKI_EXPIRED;
		when(X509_get0_notAfter(cert), date, sizeof(date));
		snprintf(detail, dlen, "not after %s", date);
		return false;
	}
	if (!cert_names(cert, pcn)) {
		*v = PKI_WRONG_NAME;
		snprintf(detail, dlen, "neither CN nor SAN URI is %s", pcn);
		return false;
	}
	return true;
}

struct pki_peer *pki_peer_check(const struct pki_trust *t, const uint8_t *der, size_t len,
				const char *pcn, int64_t now_s, unsigned flags, enum pki_verdict *v,
				char *detail, size_t dlen)
{
	const unsigned char *p = der;
	X509 *cert = len < 1u << 20 ? d2i_X509(NULL, &p, (long)len) : NULL;
	struct pki_peer *peer = NULL;
	time_t now = (time_t)now_s;
	bool chained = false;

	*v = PKI_MALFORMED;
	snprintf(detail, dlen, "not a DER X.509 certificate");
	if (!cert || p != der + len || !basics_ok(cert, pcn, now, v, detail, dlen))
		goto out;
	if (t && t->ncas) {
		chained = chain_ok(t, cert, now, flags, v, detail, dlen);
		/* only "no trusted CA vouches for it" may fall back to a pin;
		 * revoked, expired or forged stays refused */
		if (!chained && !(*v == PKI_UNTRUSTED && (flags & PKI_WARN_CA)))
			goto out;
	}
	if (!chained && !unchained_ok(cert, flags, v, detail, dlen))
		goto out;
	peer = new_peer(cert, chained);
	if (!peer) {
		*v = PKI_MALFORMED;
		snprintf(detail, dlen, "no usable public key");
		goto out;
	}
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
	return pki_peer_check(t, der, len, pcn, now_s, 0, v, detail, dlen);
}

bool pki_peer_chained(const struct pki_peer *p)
{
	return p && p->chained;
}

const uint8_t *pki_peer_fingerprint(const struct pki_peer *p)
{
	return p ? p->fp : NULL;
}

void pki_trust_set_crl_unavailable(struct pki_trust *t, bool unavailable)
{
	if (t)
		t->crl_unavailable = unavailable;
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
