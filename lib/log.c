/* Logging to stderr or syslog; see log.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum log_dest log_dest = LOG_TO_STDERR;
static int log_verbose;
static const char *log_ident = "opensvr";

void log_init(const char *ident, enum log_dest dest, int verbose)
{
	log_ident = ident ? ident : "opensvr";
	log_dest = dest;
	log_verbose = verbose;
	if (dest == LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* The recent lines, a ring (log_recent_*). */
static struct log_line recent[LOG_RECENT];
static size_t recent_head, recent_n;

static void keep(int pri, const char *msg, const char *suffix)
{
	struct log_line *l = &recent[(recent_head + recent_n) % LOG_RECENT];
	struct timespec ts;

	if (recent_n == LOG_RECENT)
		recent_head = (recent_head + 1) % LOG_RECENT;
	else
		recent_n++;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	l->pri = pri;
	/* cut to fit: a kept line is for reading, the whole one went out */
	{
		size_t n = strnlen(msg, sizeof(l->text) - 1), k;

		memcpy(l->text, msg, n);
		if (suffix && n + 2 < sizeof(l->text)) {
			memcpy(l->text + n, ": ", 2);
			n += 2;
			k = strnlen(suffix, sizeof(l->text) - 1 - n);
			memcpy(l->text + n, suffix, k);
			n += k;
		}
		l->text[n] = '\0';
	}
}

size_t log_recent_count(void)
{
	return recent_n;
}

const struct log_line *log_recent_at(size_t i)
{
	return i < recent_n ? &recent[(recent_head + i) % LOG_RECENT] : NULL;
}

const char *log_level_name(int pri)
{
	return pri <= LOG_CRIT	    ? "critical"
	       : pri <= LOG_ERR	    ? "error"
	       : pri == LOG_WARNING ? "warning"
	       : pri == LOG_DEBUG   ? "debug"
				    : "info";
}

static void vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	keep(pri, msg, suffix);
	if (log_dest == LOG_TO_SYSLOG) {
		if (suffix)
			syslog(pri, "%s: %s", msg, suffix);
		else
			syslog(pri, "%s", msg);
		return;
	}
	/* stderr is shared with the shell in tests: one write per line. */
	if (suffix)
		fprintf(stderr, "%s: %s: %s\n", log_ident, msg, suffix);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
	fflush(stderr);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
