/* DOC: PKI
 *
 * Certificates behind one small API (with crypto.h, the only place that
 * includes OpenSSL).
 *
 * A node's identity is its certificate and private key: a configured
 * client-certificate, or a self-signed one made at first start (EC P-256,
 * CN and SAN URI urn:ssr:peering:NAME from the router's
 * peering-common-name).  Identities come in and go out as PEM text: the
 * engine reads and writes no file (svrd keeps them: daemon/identity.h).
 *
 * A peer's certificate is validated as DESIGN.md says: it chains to a
 * trusted CA when any is configured (else its key is pinned on first use:
 * kex.c), it is within its dates, not revoked by a configured CRL,
 * signed with an allowed algorithm (no MD5 or SHA-1; RSA of 2048 bits or
 * more; EC P-256, P-384 or P-521; Ed25519), and its CN or SAN URI names
 * the expected peering-common-name.  The result pins the peer's public
 * key: every later key-exchange message must verify with it.  Time is
 * always the caller's (sans-I/O engine, tests with any clock).
 */
#ifndef SVR_PKI_H
#define SVR_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 when pem holds exactly one X.509 certificate that may act as a CA
 * (basicConstraints CA:TRUE); -1 with a reason in err otherwise. */
int pki_check_ca_pem(const char *pem, char *err, size_t errlen);

struct pki_identity;

/* An identity from PEM text: the first certificate in cert_pem and the
 * first private key in key_pem (one text may hold both).  cert_name and
 * key_name say where the texts came from, for err; a NULL text is one
 * that could not be read. */
struct pki_identity *pki_identity_from_pem(const char *cert_pem, const char *key_pem,
					   const char *cert_name, const char *key_name, char *err,
					   size_t errlen);
/* A self-signed identity for peering name pcn, valid from now_s for days:
 * with renew's key when renew is given (peers that pinned the key on
 * first use keep trusting it), else with a new EC P-256 key. */
struct pki_identity *pki_identity_make(const struct pki_identity *renew, const char *pcn,
				       int64_t now_s, int days, char *err, size_t errlen);
/* Is id self-signed and within 30 days of its end at now_s (then it is
 * made again with its key: pki_identity_make)? */
bool pki_identity_renew_due(const struct pki_identity *id, int64_t now_s);
/* Its certificate and its private key as PEM text (malloc'd; NULL when out
 * of memory), to be saved by the caller.  The key's text is a secret:
 * crypto_wipe() it before free(). */
char *pki_identity_cert_pem(const struct pki_identity *id);
char *pki_identity_key_pem(const struct pki_identity *id);
void pki_identity_free(struct pki_identity *id);
/* The certificate in DER, as sent to peers. */
const uint8_t *pki_identity_der(const struct pki_identity *id, size_t *len);
bool pki_identity_self_signed(const struct pki_identity *id);
/* Is the identity's certificate for peering name pcn (CN or SAN URI)? */
bool pki_identity_names(const struct pki_identity *id, const char *pcn);
/* Seconds since the epoch when the identity's certificate expires. */
int64_t pki_identity_not_after(const struct pki_identity *id);
/* What a certificate says, for people and the operational state
 * (pki_info.c): names as RFC 2253 strings, the serial in hexadecimal,
 * validity in seconds since the epoch, the SHA-256 fingerprint of the
 * whole certificate as colon-separated hexadecimal bytes. */
struct pki_cert_info {
	char subject[256], issuer[256], serial[80];
	int64_t not_before, not_after;
	char fingerprint[3 * 32];
};
/* 0, or -1 when der is not a certificate. */
int pki_cert_info(const uint8_t *der, size_t len, struct pki_cert_info *out);
/* Sign data with the identity's key (ECDSA or RSA with SHA-384, or Ed25519). */
int pki_sign(const struct pki_identity *id, const uint8_t *data, size_t len, uint8_t *sig,
	     size_t cap, size_t *siglen);
#define PKI_SIG_MAX 1024

struct pki_trust;

struct pki_trust *pki_trust_new(void);
void pki_trust_free(struct pki_trust *t);
int pki_trust_add_ca_pem(struct pki_trust *t, const char *pem, char *err, size_t errlen);
int pki_trust_add_crl_pem(struct pki_trust *t, const char *pem, char *err, size_t errlen);

enum pki_verdict {
	PKI_OK = 0,
	PKI_MALFORMED,
	PKI_EXPIRED,
	PKI_NOT_YET_VALID,
	PKI_REVOKED,
	PKI_UNTRUSTED,
	PKI_BAD_SIGNATURE,
	PKI_WEAK_ALGORITHM,
	PKI_WRONG_NAME,
	PKI_REVOCATION_UNKNOWN, /* a configured CRL cannot be read (fail-hard) */
	PKI_KEY_CHANGED,	/* valid, but not the key pinned for the peer (kex.c) */
};

const char *pki_verdict_name(enum pki_verdict v);

/* A configured revocation list could not be read: under
 * PKI_NEED_REVOCATION, no CA-issued certificate validates. */
void pki_trust_set_crl_unavailable(struct pki_trust *t, bool unavailable);

struct pki_peer;

#define PKI_FP_LEN 32 /* SHA-256 of the SubjectPublicKeyInfo (a key pin) */

/* Validate a peer's certificate (DER) for peering name pcn at now_s: its
 * form, algorithms, dates and name always; then a trusted CA must vouch for
 * it when any is configured.  Without one (or, with PKI_WARN_CA, when none
 * of the configured CAs vouches for it) it is "unchained": a self-issued
 * certificate must verify with its own key, and one from a CA we do not
 * know is accepted only with PKI_ALLOW_UNCHAINED; the caller then pins its
 * key on first use.  A certificate that fails any check is never returned:
 * NULL with *v and a detail ("expired - not after 2025-01-28 19:07:00 UTC"). */
#define PKI_ALLOW_UNCHAINED 1u /* issuers we do not know: pinned on first use */
#define PKI_WARN_CA	    2u /* a CA under validation-mode warn: unchained allowed */
#define PKI_NEED_REVOCATION 4u /* an unreadable CRL fails validation (fail-hard) */
struct pki_peer *pki_peer_check(const struct pki_trust *t, const uint8_t *der, size_t len,
				const char *pcn, int64_t now_s, unsigned flags, enum pki_verdict *v,
				char *detail, size_t detail_len);
/* pki_peer_check with no flags. */
struct pki_peer *pki_peer_validate(const struct pki_trust *t, const uint8_t *der, size_t len,
				   const char *pcn, int64_t now_s, enum pki_verdict *v,
				   char *detail, size_t detail_len);
void pki_peer_free(struct pki_peer *p);
/* Did a trusted CA vouch for it (else its key is to be pinned)? */
bool pki_peer_chained(const struct pki_peer *p);
/* SHA-256 of its SubjectPublicKeyInfo: PKI_FP_LEN bytes. */
const uint8_t *pki_peer_fingerprint(const struct pki_peer *p);
/* Do two pinned peers hold the same public key? */
bool pki_peer_same_key(const struct pki_peer *a, const struct pki_peer *b);
/* Does sig over data verify with the pinned key? */
bool pki_peer_verify(const struct pki_peer *p, const uint8_t *data, size_t len, const uint8_t *sig,
		     size_t siglen);
/* Seconds since the epoch when the peer's certificate stops being valid. */
int64_t pki_peer_not_after(const struct pki_peer *p);

/* For NETCONF over TLS (pki_tls.c): the private key of key_pem as the
 * base64 of its traditional DER (SEC1 for EC, PKCS#1 for RSA; malloc'd, a
 * secret), with its kind; NULL for another kind of key.  And the SHA-256
 * fingerprint of the certificate in cert_pem as RFC 7589's cert-to-name
 * writes it ("04:ab:..."; out holds 100 bytes): 0 or -1. */
enum pki_key_kind { PKI_KEY_EC, PKI_KEY_RSA };
char *pki_key_der_b64(const char *key_pem, enum pki_key_kind *kind);
#define PKI_CTN_FINGERPRINT_LEN 100
int pki_cert_fingerprint_ctn(const char *cert_pem, char *out, size_t len);
/* 0 when crl_pem is a revocation list that the CA certificate ca_pem
 * issued and signed, else -1 (a router takes its conductor's only). */
int pki_crl_signed_by(const char *crl_pem, const char *ca_pem);

#endif
