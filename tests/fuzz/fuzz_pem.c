/* Fuzz the PEM text the engine takes (engine/pki.h): a node identity from
 * a certificate and a key (the input up to its first NUL is the
 * certificate's text, the rest the key's; without a NUL one text holds
 * both, as a configured client-certificate file may), and the same text
 * as a trusted CA and as a revocation list; the same bytes as a DER
 * certificate to describe (pki_cert_info), and the certificate of an
 * identity that loads.  Nothing may crash, an identity that loads must
 * give PEM back that loads as the same one, and its certificate must be
 * described, with text that ends within its fields. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An identity's PEM, loaded again, is the same certificate. */
static void round_trip(const struct pki_identity *id)
{
	char *crt = pki_identity_cert_pem(id), *key = pki_identity_key_pem(id), err[256];
	struct pki_identity *again =
		crt && key ? pki_identity_from_pem(crt, key, "c", "k", err, sizeof(err)) : NULL;
	size_t la, lb;
	const uint8_t *da = pki_identity_der(id, &la), *db;

	if (!again)
		__builtin_trap();
	db = pki_identity_der(again, &lb);
	if (la != lb || memcmp(da, db, la) != 0)
		__builtin_trap();
	pki_identity_free(again);
	free(crt);
	if (key)
		crypto_wipe(key, strlen(key));
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *key, err[256];
	struct pki_identity *id;
	struct pki_trust *t;
	struct pki_cert_info ci;
	size_t dl;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	key = memchr(text, '\0', size) ? text + strlen(text) + 1 : text;
	(void)pki_cert_info(data, size, &ci);
	id = pki_identity_from_pem(text, key, "c", "k", err, sizeof(err));
	if (id) {
		const uint8_t *der = pki_identity_der(id, &dl);

		if (pki_cert_info(der, dl, &ci) < 0 || !memchr(ci.subject, 0, sizeof(ci.subject)) ||
		    !memchr(ci.issuer, 0, sizeof(ci.issuer)) ||
		    !memchr(ci.fingerprint, 0, sizeof(ci.fingerprint)) ||
		    strlen(ci.fingerprint) != sizeof(ci.fingerprint) - 1)
			__builtin_trap();
		round_trip(id);
		(void)pki_identity_names(id, "peer-a");
		(void)pki_identity_renew_due(id, 0);
		pki_identity_free(id);
	}
	(void)pki_check_ca_pem(text, err, sizeof(err));
	t = pki_trust_new();
	if (t) {
		(void)pki_trust_add_ca_pem(t, text, err, sizeof(err));
		(void)pki_trust_add_crl_pem(t, text, err, sizeof(err));
		pki_trust_free(t);
	}
	free(text);
	return 0;
}
