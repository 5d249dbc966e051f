/* JSON documents: building, reading and changing values (json.h,
 * json_int.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "json_int.h"

/* ---- member names by hash --------------------------------------------- */

/* SipHash-1-3 with a key drawn once per process: member names come from
 * whoever wrote the document, and without a secret key they could be chosen
 * to collide. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t siphash13(const uint64_t k[2], const unsigned char *p, size_t len)
{
	uint64_t v[4] = {k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL,
			 k[0] ^ 0x6c7967656e657261ULL, k[1] ^ 0x7465646279746573ULL};
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | p[i + (size_t)j];
		v[3] ^= m;
		sipround(v);
		v[0] ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v[3] ^= b;
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t name_hash(const char *name)
{
	static uint64_t key[2];
	static bool keyed;

	if (!keyed) {
		if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
			/* no entropy yet (early boot): still unknown to a client */
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			key[0] ^= (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^
				  (uint64_t)(uintptr_t)&ts;
			key[1] ^= (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)key;
		}
		keyed = true;
	}
	return siphash13(key, (const unsigned char *)name, strlen(name));
}

static void index_put(uint32_t *t, size_t cap, const char *name, size_t i)
{
	size_t slot = (size_t)name_hash(name) & (cap - 1);

	while (t[slot])
		slot = (slot + 1) & (cap - 1);
	t[slot] = (uint32_t)(i + 1);
}

/* Index every member of j, or drop the index of an object small enough to
 * scan. */
int jx_index_build(struct json *j)
{
	size_t cap = 16;
	uint32_t *t;

	if (j->n <= JSON_HASH_MIN) {
		free(j->hidx);
		j->hidx = NULL;
		j->hcap = 0;
		return 0;
	}
	while (cap <= 2 * j->n)
		cap *= 2;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < j->n; i++)
		index_put(t, cap, j->keys[i], i);
	free(j->hidx);
	j->hidx = t;
	j->hcap = cap;
	return 0;
}

/* Member i (the last) was just added. */
int jx_index_add(struct json *j, size_t i)
{
	if (j->n > UINT32_MAX - 1)
		return -1;
	if (!j->hidx || 2 * j->n >= j->hcap)
		return jx_index_build(j);
	index_put(j->hidx, j->hcap, j->keys[i], i);
	return 0;
}

/* Index of the member called key, or -1. */
long jx_find(const struct json *j, const char *key)
{
	size_t slot;

	if (!j->hidx) {
		for (size_t i = 0; i < j->n; i++)
			if (strcmp(j->keys[i], key) == 0)
				return (long)i;
		return -1;
	}
	slot = (size_t)name_hash(key) & (j->hcap - 1);
	while (j->hidx[slot]) {
		size_t i = j->hidx[slot] - 1;

		if (strcmp(j->keys[i], key) == 0)
			return (long)i;
		slot = (slot + 1) & (j->hcap - 1);
	}
	return -1;
}

/* ---- the document ------------------------------------------------------ */

struct json *jx_new(enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = t;
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; j->items && i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->hidx);
	free(j->s);
	free(j);
}

int jx_grow(struct json *j, bool keyed)
{
	size_t ncap;
	struct json **ni;

	if (j->n < j->cap)
		return 0;
	ncap = j->cap ? j->cap * 2 : 4;
	ni = realloc(j->items, ncap * sizeof(*ni));
	if (!ni)
		return -1;
	j->items = ni;
	if (keyed) {
		char **nk = realloc(j->keys, ncap * sizeof(*nk));

		if (!nk)
			return -1;
		j->keys = nk;
	}
	j->cap = ncap;
	return 0;
}

enum json_type json_type(const struct json *j)
{
	return j ? j->type : JSON_NULL;
}

struct json *json_get(const struct json *obj, const char *key)
{
	long i;

	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	i = jx_find(obj, key);
	return i < 0 ? NULL : obj->items[i];
}

size_t json_len(const struct json *j)
{
	return j && (j->type == JSON_ARRAY || j->type == JSON_OBJECT) ? j->n : 0;
}

struct json *json_at(const struct json *j, size_t i)
{
	return i < json_len(j) ? j->items[i] : NULL;
}

const char *json_key_at(const struct json *obj, size_t i)
{
	return obj && obj->type == JSON_OBJECT && i < obj->n ? obj->keys[i] : NULL;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->s : NULL;
}

bool json_is_int(const struct json *j)
{
	return j && j->type == JSON_NUMBER && j->is_int;
}

int64_t json_int(const struct json *j)
{
	return json_is_int(j) ? j->i : 0;
}

const char *json_get_str(const struct json *obj, const char *key, const char *def)
{
	const char *s = json_str(json_get(obj, key));

	return s ? s : def;
}

int64_t json_get_int(const struct json *obj, const char *key, int64_t def)
{
	struct json *v = json_get(obj, key);

	return json_is_int(v) ? v->i : def;
}

bool json_get_bool(const struct json *obj, const char *key, bool def)
{
	struct json *v = json_get(obj, key);

	return v && v->type == JSON_BOOL ? v->b : def;
}

struct json *json_new_null(void)
{
	return jx_new(JSON_NULL);
}

struct json *json_new_bool(bool b)
{
	struct json *j = jx_new(JSON_BOOL);

	if (j)
		j->b = b;
	return j;
}

struct json *json_new_int(int64_t v)
{
	struct json *j = jx_new(JSON_NUMBER);

	if (j) {
		j->i = v;
		j->d = (double)v;
		j->is_int = true;
	}
	return j;
}

struct json *json_new_strn(const char *s, size_t n)
{
	struct json *j = jx_new(JSON_STRING);

	if (!j)
		return NULL;
	j->s = malloc(n + 1);
	if (!j->s) {
		free(j);
		return NULL;
	}
	memcpy(j->s, s, n);
	j->s[n] = '\0';
	j->n = n;
	return j;
}

struct json *json_new_str(const char *s)
{
	return json_new_strn(s ? s : "", s ? strlen(s) : 0);
}

struct json *json_new_array(void)
{
	return jx_new(JSON_ARRAY);
}

struct json *json_new_object(void)
{
	return jx_new(JSON_OBJECT);
}

int json_set(struct json *obj, const char *key, struct json *val)
{
	char *k;

	long i;

	if (!obj || obj->type != JSON_OBJECT || !key || !val) {
		json_free(val);
		return -1;
	}
	i = jx_find(obj, key);
	if (i >= 0) {
		json_free(obj->items[i]);
		obj->items[i] = val;
		return 0;
	}
	k = strdup(key);
	if (!k || jx_grow(obj, true) < 0) {
		free(k);
		json_free(val);
		return -1;
	}
	obj->keys[obj->n] = k;
	obj->items[obj->n++] = val;
	if (jx_index_add(obj, obj->n - 1) < 0) {
		/* keep the object as it was */
		obj->n--;
		free(k);
		json_free(val);
		return -1;
	}
	return 0;
}

int json_append(struct json *arr, struct json *val)
{
	if (!arr || arr->type != JSON_ARRAY || !val || jx_grow(arr, false) < 0) {
		json_free(val);
		return -1;
	}
	arr->items[arr->n++] = val;
	return 0;
}

struct json *json_take(struct json *obj, const char *key)
{
	struct json *v;
	size_t i;
	long at;

	if (!obj || obj->type != JSON_OBJECT || !key || (at = jx_find(obj, key)) < 0)
		return NULL;
	i = (size_t)at;
	v = obj->items[i];
	free(obj->keys[i]);
	memmove(obj->keys + i, obj->keys + i + 1, (obj->n - i - 1) * sizeof(char *));
	memmove(obj->items + i, obj->items + i + 1, (obj->n - i - 1) * sizeof(struct json *));
	obj->n--;
	/* the members after i moved down: index them again (or scan when
	 * that fails: the index is only ever a shortcut) */
	if (jx_index_build(obj) < 0) {
		free(obj->hidx);
		obj->hidx = NULL;
		obj->hcap = 0;
	}
	return v;
}
