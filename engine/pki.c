/* PKI helpers; see pki.h. */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "pki.h"

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
