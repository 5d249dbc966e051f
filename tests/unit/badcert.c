/* Hand-made certificates for attacks on the name check: OpenSSL is used
 * directly here because no command-line tool writes a NUL into a name. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "badcert.h"

static int add_san(X509 *c, const char *name, size_t len)
{
	static const char prefix[] = "urn:ssr:peering:";
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	unsigned char buf[256];
	int rc;

	memcpy(buf, prefix, sizeof(prefix) - 1);
	memcpy(buf + sizeof(prefix) - 1, name, len);
	ASN1_STRING_set(uri, buf, (int)(sizeof(prefix) - 1 + len));
	GENERAL_NAME_set0_value(g, GEN_URI, uri);
	sk_GENERAL_NAME_push(gens, g);
	rc = X509_add1_ext_i2d(c, NID_subject_alt_name, gens, 0, 0);
	GENERAL_NAMES_free(gens);
	return rc;
}

uint8_t *badcert_self_signed(const char *name, size_t len, bool san, size_t *der_len)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL, *out = NULL;
	int dl;

	if (!key || !c || !n || len > 200)
		goto out;
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_gmtime_adj(X509_getm_notBefore(c), -60);
	X509_gmtime_adj(X509_getm_notAfter(c), 30L * 86400);
	X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
				   (const unsigned char *)(san ? "x" : name), san ? 1 : (int)len,
				   -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, n);
	X509_set_pubkey(c, key);
	if ((san && add_san(c, name, len) != 1) || X509_sign(c, key, EVP_sha256()) <= 0)
		goto out;
	dl = i2d_X509(c, &der);
	if (dl > 0 && (out = malloc((size_t)dl))) {
		memcpy(out, der, (size_t)dl);
		*der_len = (size_t)dl;
	}
out:
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(c);
	EVP_PKEY_free(key);
	return out;
}
