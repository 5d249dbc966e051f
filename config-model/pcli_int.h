/* What the PCLI printer and comparer share (pcli.h is the API). */
#ifndef SVR_PCLI_INT_H
#define SVR_PCLI_INT_H

#include <stdbool.h>

struct lyd_node;
struct strbuf;

/* A value, in double quotes (\" and \\ escaped) when it needs them. */
void pcli_add_value(struct strbuf *sb, const char *v);
/* Is n a key leaf of its list entry? */
bool pcli_is_key(const struct lyd_node *n);
/* The words that name n from the top ("authority router x"). */
void pcli_node_words(struct strbuf *sb, const struct lyd_node *n);

#endif
