/* DOC: operational state, as YANG data
 *
 * get-state answers with the model's authority-state for this node,
 * built by the subsystems that hold it: each registers a filler
 * (svrd_state_register) that adds its part under the router's and the
 * node's entries (the peers: key-status, peer-path, security-association;
 * the identity: local-certificate; the data plane: forwarding; the alarm
 * store: alarm).  The tree is validated against the model before it
 * leaves svrd, so what a client reads is YANG data: booleans as booleans,
 * enumerations by their names, 64-bit counters as RFC 7951 strings, and
 * a leaf with nothing to say (a schedule set to never) absent rather
 * than -1.  Words for people are the shell's (shell/).
 *
 * The helpers add one node each under parent (a node of the opensvr
 * module) and return 0, or -1 when the value does not fit the model's
 * type (a bug, which get-state reports rather than hides).
 */
#ifndef SVR_STATE_H
#define SVR_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct lyd_node;

/* A filler: add what the subsystem knows under router (authority-state's
 * entry for this router) and node (this node's entry).  0, or -1. */
typedef int (*svrd_state_fn)(void *arg, struct lyd_node *router, struct lyd_node *node);

int st_leaf(struct lyd_node *parent, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int st_u64(struct lyd_node *parent, const char *name, uint64_t v);
int st_bool(struct lyd_node *parent, const char *name, bool v);
/* A container (NULL on error). */
struct lyd_node *st_inner(struct lyd_node *parent, const char *name);
/* Seconds from now_ms until due_ms (0 when past), as a uint32 leaf. */
int st_seconds_until(struct lyd_node *parent, const char *name, uint64_t due_ms, uint64_t now_ms);
/* A date-and-time leaf from seconds since the epoch (UTC). */
int st_time(struct lyd_node *parent, const char *name, int64_t t);

#endif
