/* A guard for a bug of libnetconf2 2.0.24, the version Debian 12 ships
 * (fixed upstream in 2.1.11): when a TLS session's NETCONF hello fails,
 * nc_connect_libssl sets the session's TLS handle to NULL and frees the
 * session, which calls SSL_get_fd(NULL) and, once the hello was through,
 * SSL_shutdown(NULL).  OpenSSL 3.0 checks neither: svrd would fall to any
 * router that completes TLS with a valid certificate and then says
 * nothing, or garbage (tests/e2e/conductor-enrol.sh does both).
 *
 * svrd defines both functions; libnetconf2's calls bind to these (the
 * executable comes first in symbol lookup), which answer NULL as OpenSSL
 * would for a handle that is gone, and hand everything else to OpenSSL's
 * own.  Nothing else changes. */
#include "config.h"

#include <dlfcn.h>
#include <openssl/ssl.h>

/* OpenSSL's own name (loaded once; a race loads the same value). */
static void *real(const char *name, void **slot)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

int SSL_get_fd(const SSL *s)
{
	static void *slot;
	int (*f)(const SSL *);

	if (!s || !(*(void **)&f = real("SSL_get_fd", &slot)))
		return -1;
	return f(s);
}

int SSL_shutdown(SSL *s)
{
	static void *slot;
	int (*f)(SSL *);

	if (!s || !(*(void **)&f = real("SSL_shutdown", &slot)))
		return -1;
	return f(s);
}
