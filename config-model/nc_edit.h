/* NETCONF <edit-config> applied to a data tree (RFC 6241 section 7.2); see nc_edit.c. */
#ifndef SVR_NC_EDIT_H
#define SVR_NC_EDIT_H

struct lyd_node;

/* What went wrong, as the <rpc-error> error-tag the server answers with. */
enum nc_edit_tag {
	NC_EDIT_OK = 0,
	NC_EDIT_DATA_EXISTS,  /* create of a node that exists */
	NC_EDIT_DATA_MISSING, /* delete of a node that does not, or "none" with no level */
	NC_EDIT_BAD_ATTR,     /* an operation attribute with an unknown value */
	NC_EDIT_INVALID,      /* anything else */
};

struct nc_edit_err {
	enum nc_edit_tag tag;
	char path[512]; /* data path of the offending node, lyd_path() form ("" if none) */
	char msg[512];
};

/* Apply edit (a data tree of the same libyang context as *target, possibly with
 * "ietf-netconf:operation" metadata on any node) to the tree *target (siblings of the
 * top level, may be NULL = empty; it is modified in place, top may change).
 * default_op is "merge", "replace" or "none" (NULL = merge).  All or nothing: on
 * error *target is left exactly as it was, and -1 is returned with err filled
 * (err may be NULL); 0 on success.  The result is not validated: the caller does. */
int nc_edit_apply(struct lyd_node **target, const struct lyd_node *edit, const char *default_op,
		  struct nc_edit_err *err);

#endif
