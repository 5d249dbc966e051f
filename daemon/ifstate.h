/* The kernel's view of an interface, for the operational state (ifstate.c). */
#ifndef SVR_IFSTATE_H
#define SVR_IFSTATE_H

struct lyd_node;

/* An interface entry named name (role "lan" or "wan") under node: link
 * state, MTU, addresses.  0, or -1 when it does not fit the model. */
int ifstate_fill(struct lyd_node *node, const char *name, const char *role);

#endif
