/* OpenSSL wrapper; see crypto.h. */
#include "config.h"

#include <openssl/crypto.h>

#include "crypto.h"

const char *crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}
