/* NETCONF subtree and XPath filters (RFC 6241 section 6); see nc_filter.c. */
#ifndef SVR_NC_FILTER_H
#define SVR_NC_FILTER_H

#include <stddef.h>

struct ly_ctx;
struct lyd_node;

/* The part of data (siblings, may be NULL) that the subtree filter selects.  filter is the
 * filter's content as an XML string (what is inside <filter type="subtree">, possibly several
 * top elements; NULL or empty selects nothing, RFC 6241 6.4.2).  *out gets a new tree (NULL
 * when nothing is selected).  0, or -1 with msg (a clear message) when the filter cannot be
 * read. */
int nc_filter_subtree(const struct ly_ctx *ctx, const struct lyd_node *data, const char *filter,
		      struct lyd_node **out, char *msg, size_t msglen);

/* Same for an XPath filter (the select expression): every node the expression selects, with
 * its ancestors and its whole subtree. */
int nc_filter_xpath(const struct lyd_node *data, const char *select, struct lyd_node **out,
		    char *msg, size_t msglen);

#endif
