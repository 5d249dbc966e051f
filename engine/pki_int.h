/* What pki.c shares with the certificate authority (pki_ca.c): engine/
 * only, as it brings in OpenSSL's types. */
#ifndef SVR_PKI_INT_H
#define SVR_PKI_INT_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A peering name in a SAN URI: urn:ssr:peering:NAME. */
#define SAN_PREFIX "urn:ssr:peering:"

/* The PEM text a memory BIO holds, NUL-terminated (malloc'd), or NULL. */
char *pki_bio_text(BIO *bio);
/* The first certificate or private key in PEM text (NULL: none, or text
 * is NULL). */
X509 *pki_pem_cert(const char *text);
EVP_PKEY *pki_pem_key(const char *text);
/* The allowlist, in two halves: a signature algorithm (no MD5 or SHA-1)
 * and a public key (RSA >= 2048; EC P-256/384/521; Ed25519).  false with
 * the reason in why. */
bool pki_sig_strong(int sig_nid, char *why, size_t len);
bool pki_key_strong(EVP_PKEY *key, char *why, size_t len);
/* Seconds since the epoch (0 when t cannot be read). */
int64_t pki_asn1_seconds(const ASN1_TIME *t);

#endif
