/* DOC: JSON
 *
 * A small JSON document model for the management-socket envelope
 * ({"id":..,"op":..,"args":{..}}).  The YANG-modelled payloads inside it are
 * handed to libyang as text; this parser only has to be strict, bounded and
 * safe on hostile input (a read-only user of the management socket writes
 * it): UTF-8 is validated, and every error names what is wrong and the byte
 * offset.  Work is linear in the text: an object of more than JSON_HASH_MIN
 * members indexes their names in a hash table keyed with a per-process
 * random key (SipHash), so neither the duplicate check nor json_get() scans
 * the members and no choice of names makes them collide.  Limits (struct
 * json_limits; json_parse() uses the defaults below, svrd's management
 * server stricter ones) bound the text, the nesting, the members of one
 * object and the values of a document, so the memory a document costs is
 * bounded too.  Objects keep their members in insertion order so printed
 * output is stable (golden tests).  The printer escapes every control
 * character (C0, DEL, C1), so printed JSON never carries a byte that a
 * terminal acts on, and prints bytes that are not UTF-8 as U+FFFD, so what
 * it prints always parses.
 */
#ifndef SVR_JSON_H
#define SVR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default limits of json_parse(); a zero field of struct json_limits means
 * its default. */
#define JSON_MAX_SIZE	 (64u * 1024 * 1024) /* bytes of text */
#define JSON_MAX_DEPTH	 64		     /* nested arrays and objects */
#define JSON_MAX_MEMBERS 65536		     /* members of one object */
#define JSON_MAX_VALUES	 (4u * 1024 * 1024)  /* values in one document */
/* Objects with more members than this index them by hash. */
#define JSON_HASH_MIN 8

struct json_limits {
	size_t max_size;
	size_t max_depth;
	size_t max_members;
	size_t max_values;
};

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

/* Parse len bytes of text.  NULL on error, with err set to what is wrong
 * and where ("... at byte N"). */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
struct json *json_parse_limited(const char *text, size_t len, const struct json_limits *lim,
				char *err, size_t errlen);
void json_free(struct json *j);
char *json_print(const struct json *j);	       /* compact; caller frees */
char *json_print_pretty(const struct json *j); /* indented by two; caller frees */

enum json_type json_type(const struct json *j);
struct json *json_get(const struct json *obj, const char *key);
size_t json_len(const struct json *j); /* array elements or object members */
struct json *json_at(const struct json *j, size_t i);
const char *json_key_at(const struct json *obj, size_t i);
const char *json_str(const struct json *j); /* NULL unless a string */
bool json_is_int(const struct json *j);
int64_t json_int(const struct json *j);

/* Convenience lookups: default when absent or of another type. */
const char *json_get_str(const struct json *obj, const char *key, const char *def);
int64_t json_get_int(const struct json *obj, const char *key, int64_t def);
bool json_get_bool(const struct json *obj, const char *key, bool def);

struct json *json_new_null(void);
struct json *json_new_bool(bool b);
struct json *json_new_int(int64_t v);
struct json *json_new_str(const char *s);
struct json *json_new_strn(const char *s, size_t n);
struct json *json_new_array(void);
struct json *json_new_object(void);
/* Take ownership of val (freed on failure); replaces an existing key. */
int json_set(struct json *obj, const char *key, struct json *val);
int json_append(struct json *arr, struct json *val);
/* Detach and return a member, or NULL. */
struct json *json_take(struct json *obj, const char *key);

#endif
