/* Certificates and keys in the forms the NETCONF library takes for TLS
 * (pki.h): a private key as the base64 of its traditional DER, a
 * certificate's fingerprint as RFC 7589's cert-to-name writes it.  Here so
 * that OpenSSL stays behind pki.h. */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pki.h"
#include "pki_int.h"

char *pki_key_der_b64(const char *key_pem, enum pki_key_kind *kind)
{
	EVP_PKEY *k = pki_pem_key(key_pem);
	unsigned char *der = NULL;
	char *out = NULL;
	int len = 0;

	if (!k)
		return NULL;
	if (EVP_PKEY_is_a(k, "EC"))
		*kind = PKI_KEY_EC;
	else if (EVP_PKEY_is_a(k, "RSA"))
		*kind = PKI_KEY_RSA;
	else
		goto out;
	len = i2d_PrivateKey(k, &der);
	if (len > 0 && (out = malloc(4 * (((size_t)len + 2) / 3) + 1)))
		EVP_EncodeBlock((unsigned char *)out, der, len);
out:
	if (der) {
		crypto_wipe(der, (size_t)(len > 0 ? len : 0));
		OPENSSL_free(der);
	}
	EVP_PKEY_free(k);
	return out;
}

int pki_cert_fingerprint_ctn(const char *cert_pem, char *out, size_t len)
{
	BIO *bio = cert_pem ? BIO_new_mem_buf(cert_pem, -1) : NULL;
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t o;

	BIO_free(bio);
	if (!x || !X509_digest(x, EVP_sha256(), md, &mdlen) || len < 3 + 3 * (size_t)mdlen) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	o = (size_t)snprintf(out, len, "04");
	for (unsigned int i = 0; i < mdlen; i++)
		o += (size_t)snprintf(out + o, len - o, ":%02x", md[i]);
	return 0;
}

int pki_crl_signed_by(const char *crl_pem, const char *ca_pem)
{
	BIO *b1 = crl_pem ? BIO_new_mem_buf(crl_pem, -1) : NULL;
	BIO *b2 = ca_pem ? BIO_new_mem_buf(ca_pem, -1) : NULL;
	X509_CRL *crl = b1 ? PEM_read_bio_X509_CRL(b1, NULL, NULL, NULL) : NULL;
	X509 *ca = b2 ? PEM_read_bio_X509(b2, NULL, NULL, NULL) : NULL;
	int ok = crl && ca &&
		 X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) == 0 &&
		 X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;

	X509_CRL_free(crl);
	X509_free(ca);
	BIO_free(b1);
	BIO_free(b2);
	ERR_clear_error();
	return ok ? 0 : -1;
}
