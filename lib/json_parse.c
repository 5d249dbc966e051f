/* The JSON parser: strict, bounded, linear in the text (json.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_int.h"
#include "strbuf.h"
#include "utf8.h"

struct parser {
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	size_t depth, values;
	struct json_limits lim;
};

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
	j = jx_new(JSON_NUMBER);
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
	if (jx_find(obj, key) < 0)
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
	struct json *j = jx_new(object ? JSON_OBJECT : JSON_ARRAY);
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
		if (!v || jx_grow(j, object) < 0) {
			json_free(v);
			free(key);
			goto fail;
		}
		if (object)
			j->keys[j->n] = key;
		j->items[j->n++] = v;
		if (object && jx_index_add(j, j->n - 1) < 0) {
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
		j = jx_new(JSON_STRING);
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
		return jx_new(JSON_NULL);
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
