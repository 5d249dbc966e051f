/* Strict JSON parser and printer; see json.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"
#include "utf8.h"

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
};

struct parser {
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	int depth;
};

static struct json *jnew(enum json_type t)
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
	free(j->s);
	free(j);
}

static void perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *ps, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (!ps->err || ps->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s at byte %zu", msg, (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int grow(struct json *j, bool keyed)
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

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *parse_string_raw(struct parser *ps, size_t *outlen)
{
	struct strbuf sb = STRBUF_INIT;

	ps->p++; /* opening quote */
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c < 0x20) {
			perr(ps, "control character in string");
			goto fail;
		}
		if (c == '\\') {
			unsigned cp, lo;

			if (ps->end - ps->p < 2) {
				perr(ps, "truncated escape");
				goto fail;
			}
			ps->p++;
			switch (*ps->p) {
			case '"':
				strbuf_addc(&sb, '"');
				break;
			case '\\':
				strbuf_addc(&sb, '\\');
				break;
			case '/':
				strbuf_addc(&sb, '/');
				break;
			case 'b':
				strbuf_addc(&sb, '\b');
				break;
			case 'f':
				strbuf_addc(&sb, '\f');
				break;
			case 'n':
				strbuf_addc(&sb, '\n');
				break;
			case 'r':
				strbuf_addc(&sb, '\r');
				break;
			case 't':
				strbuf_addc(&sb, '\t');
				break;
			case 'u':
				if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp) < 0) {
					perr(ps, "bad \\u escape");
					goto fail;
				}
				ps->p += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (ps->end - ps->p < 7 || ps->p[1] != '\\' ||
					    ps->p[2] != 'u' || hex4(ps->p + 3, &lo) < 0 ||
					    lo < 0xDC00 || lo > 0xDFFF) {
						perr(ps, "unpaired surrogate");
						goto fail;
					}
					ps->p += 6;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					perr(ps, "unpaired surrogate");
					goto fail;
				}
				if (cp == 0) {
					perr(ps, "NUL in string");
					goto fail;
				}
				utf8_encode(&sb, cp);
				break;
			default:
				perr(ps, "bad escape");
				goto fail;
			}
			ps->p++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_valid_prefix(ps->p, (size_t)(ps->end - ps->p));

			if (n == 0) {
				perr(ps, "invalid UTF-8");
				goto fail;
			}
			strbuf_addn(&sb, ps->p, n);
			ps->p += n;
			continue;
		}
		strbuf_addc(&sb, (char)c);
		ps->p++;
	}
	if (ps->p >= ps->end) {
		perr(ps, "unterminated string");
		goto fail;
	}
	ps->p++;
	if (sb.oom) {
		perr(ps, "out of memory");
		goto fail;
	}
	*outlen = sb.len;
	return strbuf_steal(&sb);
fail:
	strbuf_free(&sb);
	return NULL;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	char buf[64];
	bool integral = true;
	struct json *j;
	size_t n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
		perr(ps, "bad number");
		return NULL;
	}
	if (*ps->p == '0')
		ps->p++;
	else
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		integral = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			perr(ps, "bad number");
			return NULL;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			perr(ps, "bad number");
			return NULL;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = (size_t)(ps->p - s);
	if (n >= sizeof(buf)) {
		perr(ps, "number too long");
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	j = jnew(JSON_NUMBER);
	if (!j)
		return NULL;
	j->d = strtod(buf, NULL);
	if (integral) {
		errno = 0;
		j->i = strtoll(buf, NULL, 10);
		j->is_int = errno == 0;
	}
	return j;
}

static int expect_word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0) {
		perr(ps, "unexpected character");
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *j = jnew(object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	if (!j)
		return NULL;
	if (++ps->depth > JSON_MAX_DEPTH) {
		perr(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
		goto fail;
	}
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		size_t klen;
		struct json *v;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				perr(ps, "expected member name");
				goto fail;
			}
			key = parse_string_raw(ps, &klen);
			if (!key)
				goto fail;
			if (strlen(key) != klen || json_get(j, key)) {
				perr(ps, "bad or duplicate member name");
				free(key);
				goto fail;
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				perr(ps, "expected ':'");
				free(key);
				goto fail;
			}
			ps->p++;
		}
		v = parse_value(ps);
		if (!v || grow(j, object) < 0) {
			json_free(v);
			free(key);
			goto fail;
		}
		if (object)
			j->keys[j->n] = key;
		j->items[j->n++] = v;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		perr(ps, "expected ',' or '%c'", close);
		goto fail;
	}
	ps->depth--;
	return j;
fail:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		perr(ps, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		j = jnew(JSON_STRING);
		if (j && !(j->s = parse_string_raw(ps, &j->n))) {
			free(j);
			return NULL;
		}
		return j;
	case 't':
		if (expect_word(ps, "true") < 0)
			return NULL;
		return json_new_bool(true);
	case 'f':
		if (expect_word(ps, "false") < 0)
			return NULL;
		return json_new_bool(false);
	case 'n':
		if (expect_word(ps, "null") < 0)
			return NULL;
		return jnew(JSON_NULL);
	default:
		return parse_number(ps);
	}
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = {text, text, text + len, err, errlen, 0};
	struct json *j;

	if (err && errlen)
		err[0] = '\0';
	j = parse_value(&ps);
	if (!j) {
		perr(&ps, "invalid JSON");
		return NULL;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		perr(&ps, "trailing data");
		json_free(j);
		return NULL;
	}
	return j;
}

static void print_string(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_addc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			strbuf_adds(sb, "\\\"");
			break;
		case '\\':
			strbuf_adds(sb, "\\\\");
			break;
		case '\n':
			strbuf_adds(sb, "\\n");
			break;
		case '\r':
			strbuf_adds(sb, "\\r");
			break;
		case '\t':
			strbuf_adds(sb, "\\t");
			break;
		default:
			if (c < 0x20)
				strbuf_addf(sb, "\\u%04x", c);
			else
				strbuf_addc(sb, (char)c);
		}
	}
	strbuf_addc(sb, '"');
}

/* A fraction must read back as a fraction: -0e3 prints "-0.0", not "-0",
 * which would come back as the integer 0. */
static void print_double(struct strbuf *sb, double d)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.17g", d);
	strbuf_adds(sb, buf);
	if (!strpbrk(buf, ".e"))
		strbuf_adds(sb, ".0");
}

static void print_value(struct strbuf *sb, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		strbuf_adds(sb, "null");
		break;
	case JSON_BOOL:
		strbuf_adds(sb, j->b ? "true" : "false");
		break;
	case JSON_NUMBER:
		if (j->is_int)
			strbuf_addf(sb, "%lld", (long long)j->i);
		else if (isfinite(j->d))
			print_double(sb, j->d);
		else
			strbuf_adds(sb, "null");
		break;
	case JSON_STRING:
		print_string(sb, j->s, j->n);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		strbuf_addc(sb, j->type == JSON_OBJECT ? '{' : '[');
		for (size_t i = 0; i < j->n; i++) {
			if (i)
				strbuf_addc(sb, ',');
			if (j->type == JSON_OBJECT) {
				print_string(sb, j->keys[i], strlen(j->keys[i]));
				strbuf_addc(sb, ':');
			}
			print_value(sb, j->items[i]);
		}
		strbuf_addc(sb, j->type == JSON_OBJECT ? '}' : ']');
		break;
	}
}

static void print_pretty(struct strbuf *sb, const struct json *j, int depth)
{
	if ((j->type != JSON_ARRAY && j->type != JSON_OBJECT) || j->n == 0) {
		print_value(sb, j);
		return;
	}
	strbuf_addc(sb, j->type == JSON_OBJECT ? '{' : '[');
	for (size_t i = 0; i < j->n; i++) {
		strbuf_addf(sb, "%s\n%*s", i ? "," : "", (depth + 1) * 2, "");
		if (j->type == JSON_OBJECT) {
			print_string(sb, j->keys[i], strlen(j->keys[i]));
			strbuf_adds(sb, ": ");
		}
		print_pretty(sb, j->items[i], depth + 1);
	}
	strbuf_addf(sb, "\n%*s%c", depth * 2, "", j->type == JSON_OBJECT ? '}' : ']');
}

char *json_print_pretty(const struct json *j)
{
	struct strbuf sb = STRBUF_INIT;

	if (!j)
		return NULL;
	print_pretty(&sb, j, 0);
	return strbuf_steal(&sb);
}

char *json_print(const struct json *j)
{
	struct strbuf sb = STRBUF_INIT;

	if (!j)
		return NULL;
	print_value(&sb, j);
	if (sb.oom) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

enum json_type json_type(const struct json *j)
{
	return j ? j->type : JSON_NULL;
}

struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
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

double json_num(const struct json *j)
{
	return j && j->type == JSON_NUMBER ? j->d : 0.0;
}

bool json_bool(const struct json *j)
{
	return j && j->type == JSON_BOOL && j->b;
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
	return jnew(JSON_NULL);
}

struct json *json_new_bool(bool b)
{
	struct json *j = jnew(JSON_BOOL);

	if (j)
		j->b = b;
	return j;
}

struct json *json_new_int(int64_t v)
{
	struct json *j = jnew(JSON_NUMBER);

	if (j) {
		j->i = v;
		j->d = (double)v;
		j->is_int = true;
	}
	return j;
}

struct json *json_new_num(double v)
{
	struct json *j = jnew(JSON_NUMBER);

	if (j)
		j->d = v;
	return j;
}

struct json *json_new_strn(const char *s, size_t n)
{
	struct json *j = jnew(JSON_STRING);

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
	return jnew(JSON_ARRAY);
}

struct json *json_new_object(void)
{
	return jnew(JSON_OBJECT);
}

int json_set(struct json *obj, const char *key, struct json *val)
{
	char *k;

	if (!obj || obj->type != JSON_OBJECT || !key || !val) {
		json_free(val);
		return -1;
	}
	for (size_t i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) == 0) {
			json_free(obj->items[i]);
			obj->items[i] = val;
			return 0;
		}
	}
	k = strdup(key);
	if (!k || grow(obj, true) < 0) {
		free(k);
		json_free(val);
		return -1;
	}
	obj->keys[obj->n] = k;
	obj->items[obj->n++] = val;
	return 0;
}

int json_append(struct json *arr, struct json *val)
{
	if (!arr || arr->type != JSON_ARRAY || !val || grow(arr, false) < 0) {
		json_free(val);
		return -1;
	}
	arr->items[arr->n++] = val;
	return 0;
}

struct json *json_take(struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	for (size_t i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) == 0) {
			struct json *v = obj->items[i];

			free(obj->keys[i]);
			memmove(obj->keys + i, obj->keys + i + 1,
				(obj->n - i - 1) * sizeof(char *));
			memmove(obj->items + i, obj->items + i + 1,
				(obj->n - i - 1) * sizeof(struct json *));
			obj->n--;
			return v;
		}
	}
	return NULL;
}
