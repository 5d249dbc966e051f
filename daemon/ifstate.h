/* The kernel's view of an interface, for the operational state (ifstate.c). */
#ifndef SVR_IFSTATE_H
#define SVR_IFSTATE_H

struct lyd_node;

/* An interface entry under node for each LAN and WAN interface: link
 * state, MTU, addresses.  0, or -1 when one does not fit the model. */
int ifstate_fill(struct lyd_node *node, const char (*lan)[16], int nlan, const char (*wan)[16],
		 int nwan);

#endif
