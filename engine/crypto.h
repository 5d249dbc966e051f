/* DOC: crypto wrapper
 *
 * The only door to OpenSSL for the rest of opensvr (with pki.h): nothing
 * outside engine/ includes an OpenSSL header.  Keeping the surface this
 * small is what lets the key engine be audited and fuzzed on its own.
 */
#ifndef SVR_CRYPTO_H
#define SVR_CRYPTO_H

#include <stddef.h>

/* The OpenSSL library version in use, e.g. "OpenSSL 3.0.19 1 Jul 2025". */
const char *crypto_version(void);
/* Overwrite secret memory in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);

#endif
