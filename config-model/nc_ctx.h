/* The libyang context of svrd's NETCONF, server and client side alike
 * (nc_ctx.c). */
#ifndef SVR_NC_CTX_H
#define SVR_NC_CTX_H

struct ly_ctx;

/* opensvr from yang_dir and, from yang_dir/ietf, ietf-netconf with the
 * features svrd serves, with-defaults, monitoring, notifications and, for
 * a client (client true), ietf-netconf-nmda, which libnetconf2's client
 * loads for a server with yang-library 1.1; NULL when they cannot be
 * loaded.  Server and client contexts agree, so a client never has to ask
 * the server for a module. */
struct ly_ctx *nc_ctx_new(const char *yang_dir, int client);

#endif
