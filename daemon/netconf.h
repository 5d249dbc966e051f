/* The NETCONF server of svrd (netconf.c). */
#ifndef SVR_NETCONF_H
#define SVR_NETCONF_H

#include <stddef.h>

struct svrd;
struct netconf;

/* Serve NETCONF over SSH on ssh and over TLS on tls ("[ADDRESS:]PORT";
 * NULL: not that one): NULL with err set when it cannot (a port taken, the
 * modules cannot be loaded). */
struct netconf *netconf_start(struct svrd *d, const char *ssh, const char *tls, char *err,
			      size_t errlen);
void netconf_stop(struct netconf *n);

#endif
