/* Growable string buffer; see strbuf.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static int reserve(struct strbuf *sb, size_t extra)
{
	size_t want;
	char *nb;

	if (sb->oom)
		return -1;
	if (sb->len + extra + 1 <= sb->cap)
		return 0;
	want = sb->cap ? sb->cap : 64;
	while (want < sb->len + extra + 1)
		want *= 2;
	nb = realloc(sb->buf, want);
	if (!nb) {
		sb->oom = true;
		return -1;
	}
	sb->buf = nb;
	sb->cap = want;
	return 0;
}

void strbuf_addn(struct strbuf *sb, const char *s, size_t n)
{
	if (reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_addn(sb, s, strlen(s));
}

void strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_addn(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

const char *strbuf_str(struct strbuf *sb)
{
	return sb->buf && !sb->oom ? sb->buf : "";
}

char *strbuf_steal(struct strbuf *sb)
{
	char *s;

	if (sb->oom) {
		strbuf_free(sb);
		return NULL;
	}
	s = sb->buf ? sb->buf : strdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}
