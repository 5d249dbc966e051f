/* Strict JSON parser and printer; see json.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
	uint32_t *hidx; /* objects above JSON_HASH_MIN: member index + 1 by name, 0 free */
	size_t hcap;	/* slots of hidx: a power of two, more than twice n */
};

struct parser {
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	size_t depth, values;
	struct json_limits lim;
};

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
static int index_build(struct json *j)
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
static int index_add(struct json *j, size_t i)
{
	if (j->n > UINT32_MAX - 1)
		return -1;
	if (!j->hidx || 2 * j->n >= j->hcap)
		return index_build(j);
	index_put(j->hidx, j->hcap, j->keys[i], i);
	return 0;
}

/* Index of the member called key, or -1. */
static long find_member(const struct json *j, const char *key)
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
	free(j->hidx);
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

/* A member name is refused when it holds a NUL or is already taken; the
 * error names it when it is short and printable. */
static bool member_name_bad(struct parser *ps, const struct json *obj, const char *key, size_t klen)
{
	bool plain = klen <= 32;

	if (strlen(key) != klen) {
		perr(ps, "member name contains NUL");
		return true;
	}
	if (find_member(obj, key) < 0)
		return false;
	for (size_t i = 0; plain && i < klen; i++)
		plain = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\';
	if (plain)
		perr(ps, "duplicate member \"%s\"", key);
	else
		perr(ps, "duplicate member name");
	return true;
}

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *j = jnew(object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	if (!j)
		return NULL;
	if (++ps->depth > ps->lim.max_depth) {
		perr(ps, "nesting deeper than %zu", ps->lim.max_depth);
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
			if (j->n >= ps->lim.max_members) {
				perr(ps, "object has more than %zu members", ps->lim.max_members);
				goto fail;
			}
			key = parse_string_raw(ps, &klen);
			if (!key)
				goto fail;
			if (member_name_bad(ps, j, key, klen)) {
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
		if (object && index_add(j, j->n - 1) < 0) {
			perr(ps, "out of memory");
			goto fail;
		}
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
	if (++ps->values > ps->lim.max_values) {
		perr(ps, "more than %zu values", ps->lim.max_values);
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

static size_t or_default(size_t v, size_t def)
{
	return v ? v : def;
}

struct json *json_parse_limited(const char *text, size_t len, const struct json_limits *lim,
				char *err, size_t errlen)
{
	struct parser ps = {text, text, text + len, err, errlen, 0, 0, {0}};
	struct json *j;

	if (err && errlen)
		err[0] = '\0';
	ps.lim.max_size = or_default(lim ? lim->max_size : 0, JSON_MAX_SIZE);
	ps.lim.max_depth = or_default(lim ? lim->max_depth : 0, JSON_MAX_DEPTH);
	ps.lim.max_members = or_default(lim ? lim->max_members : 0, JSON_MAX_MEMBERS);
	ps.lim.max_values = or_default(lim ? lim->max_values : 0, JSON_MAX_VALUES);
	if (len > ps.lim.max_size) {
		perr(&ps, "JSON text of %zu bytes is larger than the limit of %zu bytes", len,
		     ps.lim.max_size);
		return NULL;
	}
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

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	return json_parse_limited(text, len, NULL, err, errlen);
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
			if (c < 0x20 || c == 0x7f) {
				strbuf_addf(sb, "\\u%04x", c);
			} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
				   (unsigned char)s[i + 1] <= 0x9f) {
				/* U+0080..U+009F, the C1 controls */
				strbuf_addf(sb, "\\u%04x", (unsigned char)s[++i]);
			} else if (c >= 0x80) {
				/* a string made from bytes nobody checked (a
				 * peer's name, say) still prints as valid JSON:
				 * what is not UTF-8 becomes U+FFFD */
				size_t k = utf8_valid_prefix(s + i, n - i);

				if (k == 0)
					strbuf_adds(sb, "\\ufffd");
				else
					strbuf_addn(sb, s + i, k);
				i += k ? k - 1 : 0;
			} else {
				strbuf_addc(sb, (char)c);
			}
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
	long i;

	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	i = find_member(obj, key);
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

	long i;

	if (!obj || obj->type != JSON_OBJECT || !key || !val) {
		json_free(val);
		return -1;
	}
	i = find_member(obj, key);
	if (i >= 0) {
		json_free(obj->items[i]);
		obj->items[i] = val;
		return 0;
	}
	k = strdup(key);
	if (!k || grow(obj, true) < 0) {
		free(k);
		json_free(val);
		return -1;
	}
	obj->keys[obj->n] = k;
	obj->items[obj->n++] = val;
	if (index_add(obj, obj->n - 1) < 0) {
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
	if (!arr || arr->type != JSON_ARRAY || !val || grow(arr, false) < 0) {
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

	if (!obj || obj->type != JSON_OBJECT || !key || (at = find_member(obj, key)) < 0)
		return NULL;
	i = (size_t)at;
	v = obj->items[i];
	free(obj->keys[i]);
	memmove(obj->keys + i, obj->keys + i + 1, (obj->n - i - 1) * sizeof(char *));
	memmove(obj->items + i, obj->items + i + 1, (obj->n - i - 1) * sizeof(struct json *));
	obj->n--;
	/* the members after i moved down: index them again (or scan when
	 * that fails: the index is only ever a shortcut) */
	if (index_build(obj) < 0) {
		free(obj->hidx);
		obj->hidx = NULL;
		obj->hcap = 0;
	}
	return v;
}
