/* DOC: logging
 *
 * One logging API for every program and library of opensvr, after OpenBSD's
 * log.c: log_warn() appends strerror(errno), log_warnx() does not, fatal() and
 * fatalx() log and exit.  Messages go to syslog (daemon facility) once svrd has
 * detached, and to stderr in the foreground and in tests.  Every function is
 * printf-checked by the compiler.
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

#endif
