/* JSON's private header: the document as its three files see it (json.h
 * is the API).
 *
 *   json.c        the document: building, reading and changing values,
 *                 member names indexed by a keyed hash
 *   json_parse.c  the parser, strict and bounded (struct json_limits)
 *   json_print.c  the printers, compact and indented
 */
#ifndef SVR_JSON_INT_H
#define SVR_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct json {
	enum json_type type;
	bool is_int;
	bool b;
	int64_t i;
	double d;
	char *s;
	size_t n, cap;
	struct json **items;
	char **keys;
	uint32_t *hidx; /* objects above JSON_HASH_MIN: member index + 1 by name, 0 free */
	size_t hcap;	/* slots of hidx: a power of two, more than twice n */
};

/* A value of type t, empty. */
struct json *jx_new(enum json_type t);
/* Room for one more item (and its name, keyed). */
int jx_grow(struct json *j, bool keyed);
/* Index of the member called key, or -1. */
long jx_find(const struct json *j, const char *key);
/* Member i (the last) was just added: index it. */
int jx_index_add(struct json *j, size_t i);
/* Index every member of j, or drop the index of an object small enough to
 * scan. */
int jx_index_build(struct json *j);

#endif
