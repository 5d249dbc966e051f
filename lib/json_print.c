/* The JSON printers, compact and indented (json.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "json_int.h"
#include "strbuf.h"
#include "utf8.h"

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
