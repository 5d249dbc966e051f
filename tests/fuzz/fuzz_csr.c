/* Fuzz the certificate requests the authority's CA takes (engine/pki_ca.h):
 * the input as PEM text, and the same bytes as DER in PEM markers, given
 * to pki_ca_issue by one CA made for the whole run.  Nothing may crash or
 * leak; a request that is issued must give a certificate with the
 * caller's serial that the engine validates for the name the CA gave,
 * whatever the request asked for.  The input is also given to the other
 * readers of PEM text (a conductor's pinned check, a certificate's serial,
 * a certificate and key pair). */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"
#include "pki_ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	((int64_t)1700000000)
#define SERIAL	((uint64_t)0x1234567)
#define PCN	"peer-a"
#define MAX_LEN (1u << 16)

static struct pki_ca *ca;
static struct pki_trust *trust;
static char *ca_pem;
static uint8_t pin[PKI_CA_FP_LEN];

/* One CA and the trust in it, made once: making a key per input would
 * drown the requests' code in key generation. */
static void init(void)
{
	char err[256];

	ca = pki_ca_make("fuzz", NOW - 86400, 3650, err, sizeof(err));
	ca_pem = pki_ca_cert_pem(ca);
	trust = pki_trust_new();
	if (!ca || !ca_pem || !trust || pki_trust_add_ca_pem(trust, ca_pem, err, sizeof(err)) < 0)
		__builtin_trap();
	pki_ca_fingerprint(ca, pin);
}

/* An issued certificate: the serial asked for, valid for PCN only. */
static void check_issued(const char *cert)
{
	BIO *bio = BIO_new_mem_buf(cert, -1);
	X509 *c = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = c ? i2d_X509(c, &der) : -1;
	uint64_t serial = 0;
	enum pki_verdict v;
	char detail[256];
	struct pki_peer *p;

	if (n <= 0 || pki_cert_serial(cert, &serial, NULL) < 0 || serial != SERIAL)
		__builtin_trap();
	p = pki_peer_validate(trust, der, (size_t)n, PCN, NOW, &v, detail, sizeof(detail));
	if (!p || v != PKI_OK)
		__builtin_trap();
	pki_peer_free(p);
	p = pki_peer_validate(trust, der, (size_t)n, "evil", NOW, &v, detail, sizeof(detail));
	if (p || v != PKI_WRONG_NAME)
		__builtin_trap();
	if (pki_chain_pinned(cert, ca_pem, pin, NOW, detail, sizeof(detail)) < 0)
		__builtin_trap();
	OPENSSL_free(der);
	X509_free(c);
	BIO_free(bio);
}

static void try_request(const char *text)
{
	char err[256] = "";
	char *cert = pki_ca_issue(ca, text, PCN, SERIAL, NOW, 30, err, sizeof(err));

	if (cert)
		check_issued(cert);
	else if (!err[0])
		__builtin_trap(); /* a refusal always says why */
	free(cert);
}

/* The input as DER, in the markers of a request. */
static char *as_pem(const uint8_t *data, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *text = NULL, *mem;
	long n;

	if (bio && PEM_write_bio(bio, "CERTIFICATE REQUEST", "", data, (long)size) > 0 &&
	    (n = BIO_get_mem_data(bio, &mem)) > 0 && (text = malloc((size_t)n + 1))) {
		memcpy(text, mem, (size_t)n);
		text[n] = '\0';
	}
	BIO_free(bio);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *der_pem, err[256];
	uint64_t serial;
	int64_t end;

	if (!ca)
		init();
	if (size > MAX_LEN || !(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	try_request(text);
	der_pem = size ? as_pem(data, size) : NULL;
	if (der_pem)
		try_request(der_pem);
	(void)pki_chain_pinned(text, ca_pem, pin, NOW, err, sizeof(err));
	(void)pki_cert_serial(text, &serial, &end);
	(void)pki_cert_matches_key(text, text);
	free(der_pem);
	free(text);
	return 0;
}
