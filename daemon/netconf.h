/* The NETCONF server of svrd (netconf.c). */
#ifndef SVR_NETCONF_H
#define SVR_NETCONF_H

#include <stddef.h>
#include <stdint.h>

struct svrd;
struct netconf;

/* Serve NETCONF over SSH on ssh and over TLS on tls ("[ADDRESS:]PORT";
 * NULL: not that one): NULL with err set when it cannot (a port taken, the
 * modules cannot be loaded). */
struct netconf *netconf_start(struct svrd *d, const char *ssh, const char *tls, char *err,
			      size_t errlen);
void netconf_stop(struct netconf *n);
/* Call home again where the configuration and the enrolment say (after
 * an enrolment; commits are followed by themselves).  NULL: nothing. */
void netconf_callhome_update(struct netconf *n);
/* The SHA-256 of the SSH host key's public key (what an enrolment token
 * pins): 0, or -1 when there is none (NETCONF over SSH not served). */
int netconf_hostkey_pin(const char *state_dir, uint8_t out[32]);

#endif
