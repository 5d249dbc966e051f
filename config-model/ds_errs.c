/* Errors and warnings naming configuration paths; see ds_errs.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_errs.h"

void ds_errs_add(struct ds_errs *e, bool warning, const char *path, const char *fmt, ...)
{
	struct ds_err *nv;
	char msg[1024];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	e->v = nv;
	e->v[e->n].path = path ? strdup(path) : NULL;
	e->v[e->n].msg = strdup(msg);
	e->v[e->n].warning = warning;
	e->n++;
}

size_t ds_errs_count(const struct ds_errs *e)
{
	size_t n = 0;

	for (size_t i = 0; e && i < e->n; i++)
		n += !e->v[i].warning;
	return n;
}

void ds_errs_free(struct ds_errs *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].msg);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

void ds_path_words(const char *path, char *buf, size_t len)
{
	size_t o = 0;
	const char *p = path;

	if (!len)
		return;
	while (*p && o + 1 < len) {
		if (*p == '/') {
			p++;
			if (o)
				buf[o++] = ' ';
			/* drop a module prefix */
			const char *colon = strchr(p, ':');
			const char *next = strpbrk(p, "/[");

			if (colon && (!next || colon < next))
				p = colon + 1;
			continue;
		}
		if (*p == '[') {
			/* [name='x'] -> " x" */
			const char *q = strchr(p, '=');
			const char *end = strchr(p, ']');

			if (!q || !end)
				break;
			q++;
			if (*q == '\'' || *q == '"')
				q++;
			if (o + 1 < len)
				buf[o++] = ' ';
			while (q < end && *q != '\'' && *q != '"' && o + 1 < len)
				buf[o++] = *q++;
			p = end + 1;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
}
