/* DOC: JSON
 *
 * A small JSON document model for the management-socket envelope
 * ({"id":..,"op":..,"args":{..}}).  The YANG-modelled payloads inside it are
 * handed to libyang as text; this parser only has to be strict, bounded and
 * safe on hostile input: UTF-8 is validated, nesting is limited to
 * JSON_MAX_DEPTH, and every error names the byte offset.  Objects keep their
 * members in insertion order so printed output is stable (golden tests).
 */
#ifndef SVR_JSON_H
#define SVR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
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
double json_num(const struct json *j);
bool json_bool(const struct json *j);

/* Convenience lookups: default when absent or of another type. */
const char *json_get_str(const struct json *obj, const char *key, const char *def);
int64_t json_get_int(const struct json *obj, const char *key, int64_t def);
bool json_get_bool(const struct json *obj, const char *key, bool def);

struct json *json_new_null(void);
struct json *json_new_bool(bool b);
struct json *json_new_int(int64_t v);
struct json *json_new_num(double v);
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
