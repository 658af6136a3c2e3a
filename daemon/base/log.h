/*
 * The daemon's one logging API (smtpd log.c style): stderr with a time
 * stamp in the foreground, syslog otherwise; verbosity changeable at run
 * time.  Messages name case codes and message ids, never personal data.
 */
#ifndef HOMEWARD_DAEMON_BASE_LOG_H
#define HOMEWARD_DAEMON_BASE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN  = 0,
	LOG_LEVEL_INFO  = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* to_syslog 0: stderr.  ident names the program in syslog and on stderr. */
void log_init(int to_syslog, enum log_level level, const char *ident);
void log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* Parse "warn", "info" or "debug"; -1 otherwise. */
int log_level_parse(const char *s, enum log_level *out);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant or a failed setup: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Hex of up to 32 bytes into a static rotating buffer, for ids in logs
 * (message ids, thread ids, key prefixes).  Not thread-safe: loop only. */
const char *log_hex(const void *p, unsigned len);

#endif
