/* DOC: the certificates of the configuration
 *
 * What a configuration says about certificates, made into the key
 * engine's objects: the node's identity (a configured client-certificate
 * or the node's own self-signed one), and the trust store (the trusted
 * CAs, the revocation lists as they read now).  A commit calls these
 * from the peers' prepare step with an error list: what cannot be used
 * (a CA that is not a certificate, a client-certificate that cannot be
 * loaded, under validation-mode strict) fails the commit there, naming
 * the cause, before anything changes.  At start, and when the
 * certificates are read again outside a commit, there is no commit to
 * refuse: the same findings become problems for the alarms, and the
 * node's self-signed identity stands in.
 */
#ifndef SVR_PKICONF_H
#define SVR_PKICONF_H

#include <stdint.h>

struct ds_errs;
struct lyd_node;
struct pki_identity;
struct pki_trust;

/* The trusted CAs' content (errors, or warnings under validation-mode
 * warn, in e). */
void pkiconf_check_cas(const struct lyd_node *auth, struct ds_errs *e);

/* The identity the configured client-certificates give us (relative file
 * names from state_dir), or NULL: then the self-signed one.  One that
 * names pcn and is in date wins; failing that, a flawed one under
 * validation-mode warn is presented all the same.  *problem says what is
 * wrong with what was configured (NULL: nothing), for the alarm.  With e,
 * one that cannot be loaded at all is an error under strict (a warning
 * under warn). */
struct pki_identity *pkiconf_client_identity(const struct lyd_node *auth, const char *state_dir,
					     const char *pcn, int64_t now_s, char **problem,
					     struct ds_errs *e);

/* The trust store: the CAs, and the revocation lists as they read now
 * (with conductor_crl, a file that may not be there, the conductor's)
 * (*text: what they said, to notice a change; a list that cannot be read
 * is a *problem for the alarm and marks revocation unavailable, never a
 * silent pass).  NULL when out of memory. */
struct pki_trust *pkiconf_trust(const struct lyd_node *auth, const char *conductor_crl, char **text,
				char **problem);
/* Where an enrolled router keeps its conductor's revocation list. */
#define CONDUCTOR_CRL "conductor-crl.pem"

/* A file's text (16 MiB at most), or NULL. */
char *pkiconf_read_text(const char *path);

#endif
