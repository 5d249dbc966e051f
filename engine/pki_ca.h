/* The authority's certificate authority, and the node's side of
 * enrolment: see the DOC block of pki_ca.c.  PEM text in and out; every
 * returned text is malloc'd, and the text of a private key is a secret
 * to crypto_wipe() before free().  Time is always the caller's. */
#ifndef SVR_PKI_CA_H
#define SVR_PKI_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKI_CA_FP_LEN 32 /* SHA-256 of the CA certificate's DER */

struct pki_ca;

/* A new CA for the authority named authority: an EC P-256 key and a
 * self-signed certificate with CN "opensvr authority AUTHORITY CA" (when
 * that is too long for a CN: CN "opensvr authority CA" and O AUTHORITY),
 * basicConstraints critical CA:TRUE, keyUsage critical keyCertSign and
 * cRLSign, a subject key identifier; valid from now_s - 300 for days. */
struct pki_ca *pki_ca_make(const char *authority, int64_t now_s, int days, char *err,
			   size_t errlen);
/* A CA from PEM text: any certificate with CA:TRUE whose key usage allows
 * keyCertSign and cRLSign (an operator's intermediate is fine), with a
 * strong key, and the private key that belongs to it. */
struct pki_ca *pki_ca_from_pem(const char *cert_pem, const char *key_pem, char *err, size_t errlen);
void pki_ca_free(struct pki_ca *ca);
char *pki_ca_cert_pem(const struct pki_ca *ca);
/* A secret: crypto_wipe() it before free(). */
char *pki_ca_key_pem(const struct pki_ca *ca);
/* SHA-256 of the CA certificate's DER (what an enrolment token pins). */
void pki_ca_fingerprint(const struct pki_ca *ca, uint8_t out[PKI_CA_FP_LEN]);

/* A certificate for peering name pcn (1 to 64 printable ASCII characters,
 * no space) from the request in csr_pem.  The request's signature must
 * verify and its key be strong (EC P-256/384/521, RSA of 2048 bits or
 * more, Ed25519); everything else it asks for is ignored.  The certificate
 * has CN pcn and SAN URI urn:ssr:peering:PCN, basicConstraints critical
 * CA:FALSE, keyUsage critical digitalSignature (and keyEncipherment for
 * an RSA key), extendedKeyUsage serverAuth and clientAuth, subject and
 * authority key identifiers, the caller's serial (> 0), validity from
 * now_s - 300 for days; signed with SHA-384 (Ed25519 CA keys: their own
 * algorithm).  The certificate's PEM, or NULL with the reason in err
 * ("the request's signature does not verify", ...). */
char *pki_ca_issue(const struct pki_ca *ca, const char *csr_pem, const char *pcn, uint64_t serial,
		   int64_t now_s, int days, char *err, size_t errlen);
/* A revocation list (PEM) of serials[0..n), revoked at times[i]: issued
 * now_s, next update now_s + next_s, CRL number number. */
char *pki_ca_crl(const struct pki_ca *ca, const uint64_t *serials, const int64_t *times, size_t n,
		 uint64_t number, int64_t now_s, int64_t next_s, char *err, size_t errlen);

/* The node's side: a new EC P-256 key (*key_pem, a secret) and a request
 * (the returned PEM) with CN pcn, signed with SHA-256; NULL with err. */
char *pki_csr_make(const char *pcn, char **key_pem, char *err, size_t errlen);
/* Does the public key of the certificate in cert_pem belong to the
 * private key in key_pem? */
bool pki_cert_matches_key(const char *cert_pem, const char *key_pem);
/* The enrolment client's check of what a conductor presents: ca_pem is a
 * CA certificate whose SHA-256 (DER) is pin (an enrolment token carries
 * it), and leaf_pem is issued by it, strong and within its dates at
 * now_s.  0, or -1 with the reason in err. */
int pki_chain_pinned(const char *leaf_pem, const char *ca_pem, const uint8_t pin[PKI_CA_FP_LEN],
		     int64_t now_s, char *err, size_t errlen);
/* The serial number and notAfter (seconds since the epoch) of the
 * certificate in cert_pem (either pointer may be NULL).  0, or -1 when it
 * is not a certificate or its serial does not fit in 64 bits. */
int pki_cert_serial(const char *cert_pem, uint64_t *serial, int64_t *not_after);
/* Its notBefore and notAfter (seconds since the epoch).  0, or -1. */
int pki_cert_dates(const char *cert_pem, int64_t *not_before, int64_t *not_after);
/* Is a certificate valid from not_before to not_after due for renewal at
 * now_s?  In the last third of its life (122 days before the end of 365),
 * so a router away for months still renews in time; never for dates that
 * make no sense. */
bool pki_renewal_due(int64_t not_before, int64_t not_after, int64_t now_s);

#endif
