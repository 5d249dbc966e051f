/* DOC: PKI
 *
 * Certificate handling behind one small API (with crypto.h, the only place
 * that includes OpenSSL).  For now: checks the configuration model needs.
 */
#ifndef SVR_PKI_H
#define SVR_PKI_H

#include <stddef.h>

/* 0 when pem holds exactly one X.509 certificate that may act as a CA
 * (basicConstraints CA:TRUE); -1 with a reason in err otherwise. */
int pki_check_ca_pem(const char *pem, char *err, size_t errlen);

#endif
