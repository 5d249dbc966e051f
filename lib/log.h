/* DOC: logging
 *
 * One logging API for every program and library of opensvr, after OpenBSD's
 * log.c: log_warn() appends strerror(errno), log_warnx() does not, fatal() and
 * fatalx() log and exit.  Messages go to syslog (daemon facility) once svrd has
 * detached, and to stderr in the foreground and in tests.  Every function is
 * printf-checked by the compiler.  The last LOG_RECENT lines are also
 * kept in memory, for svrsh's show log (svrd's get-log): a router whose
 * syslog nobody reads still tells its operator what happened.
 */
#ifndef SVR_LOG_H
#define SVR_LOG_H

#include <stdarg.h>

#define SVR_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum log_dest {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
};

void log_init(const char *ident, enum log_dest dest, int verbose);
void log_warn(const char *fmt, ...) SVR_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) SVR_PRINTF(1, 2);
void log_info(const char *fmt, ...) SVR_PRINTF(1, 2);
void log_debug(const char *fmt, ...) SVR_PRINTF(1, 2);
_Noreturn void fatal(const char *fmt, ...) SVR_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) SVR_PRINTF(1, 2);

#include <stddef.h>
#include <stdint.h>

#define LOG_RECENT 500
struct log_line {
	int64_t time_ms; /* wall clock, ms since the epoch */
	int pri;	 /* syslog priority */
	char text[300];
};
/* The kept lines, oldest first (NULL past the end). */
size_t log_recent_count(void);
const struct log_line *log_recent_at(size_t i);
/* "critical", "error", "warning", "info", "debug" */
const char *log_level_name(int pri);

#endif
