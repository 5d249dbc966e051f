/* Operational state as YANG data (state.h). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "state.h"

int st_leaf(struct lyd_node *parent, const char *name, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	if (!parent)
		return -1;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return lyd_new_term(parent, parent->schema->module, name, v, 0, NULL) == LY_SUCCESS ? 0
											    : -1;
}

int st_u64(struct lyd_node *parent, const char *name, uint64_t v)
{
	return st_leaf(parent, name, "%llu", (unsigned long long)v);
}

int st_bool(struct lyd_node *parent, const char *name, bool v)
{
	return st_leaf(parent, name, "%s", v ? "true" : "false");
}

struct lyd_node *st_inner(struct lyd_node *parent, const char *name)
{
	struct lyd_node *n = NULL;

	if (!parent || lyd_new_inner(parent, parent->schema->module, name, 0, &n) != LY_SUCCESS)
		return NULL;
	return n;
}

int st_seconds_until(struct lyd_node *parent, const char *name, uint64_t due_ms, uint64_t now_ms)
{
	uint64_t s = due_ms > now_ms ? (due_ms - now_ms) / 1000 : 0;

	return st_u64(parent, name, s > UINT32_MAX ? UINT32_MAX : s);
}

int st_time(struct lyd_node *parent, const char *name, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[40];

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	return st_leaf(parent, name, "%s", buf);
}
