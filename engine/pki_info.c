/* What a certificate says (pki.h's pki_cert_info): from its DER, so it
 * needs nothing of pki.c's internals. */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pki.h"

/* A name as one RFC 2253 line, cut to fit. */
static void name_text(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int k = 0;

	out[0] = '\0';
	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0)
		k = BIO_read(b, out, (int)len - 1);
	out[k > 0 ? k : 0] = '\0';
	BIO_free(b);
}

static int64_t seconds(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void serial_text(const ASN1_INTEGER *s, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, len, "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
}

int pki_cert_info(const uint8_t *der, size_t len, struct pki_cert_info *out)
{
	const unsigned char *p = der;
	X509 *c = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	memset(out, 0, sizeof(*out));
	if (!c || p != der + len) {
		X509_free(c);
		ERR_clear_error();
		return -1;
	}
	name_text(X509_get_subject_name(c), out->subject, sizeof(out->subject));
	name_text(X509_get_issuer_name(c), out->issuer, sizeof(out->issuer));
	serial_text(X509_get0_serialNumber(c), out->serial, sizeof(out->serial));
	out->not_before = seconds(X509_get0_notBefore(c));
	out->not_after = seconds(X509_get0_notAfter(c));
	if (X509_digest(c, EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0, o = 0; i < mdlen && i < 32; i++, o = 3 * i - 1)
			snprintf(out->fingerprint + o, sizeof(out->fingerprint) - o,
				 i ? ":%02X" : "%02X", md[i]);
	X509_free(c);
	ERR_clear_error();
	return 0;
}
