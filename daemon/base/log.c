/*
 * Logging for homewardd: see log.h.  Everything goes through log_vlog, so
 * the format and the destination are decided in one place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon/base/log.h"

static int              log_to_syslog;
static int              log_to_journal;         /* stderr is systemd's journal */
static enum log_level   log_level = LOG_LEVEL_INFO;
static const char      *log_ident = "homewardd";

/*
 * systemd names the stream it connected standard error to in
 * JOURNAL_STREAM ("DEV:INODE", systemd.exec(5)); when stderr is still that
 * stream, each line starts with its syslog priority ("<4>", sd-daemon(3))
 * and carries no time of its own: the journal stamps it, and
 * `journalctl -p warning` then finds the warnings.
 */
static int
log_stderr_is_journal(void)
{
	const char         *env = getenv("JOURNAL_STREAM");
	struct stat         sb;
	unsigned long long  dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &sb) != 0)
		return 0;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(int to_syslog, enum log_level level, const char *ident)
{
	log_to_syslog = to_syslog;
	log_level = level;
	log_ident = ident;
	log_to_journal = log_stderr_is_journal();
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(enum log_level level)
{
	log_level = level;
}

enum log_level
log_getlevel(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	if (strcmp(s, "warn") == 0)
		*out = LOG_LEVEL_WARN;
	else if (strcmp(s, "info") == 0)
		*out = LOG_LEVEL_INFO;
	else if (strcmp(s, "debug") == 0)
		*out = LOG_LEVEL_DEBUG;
	else
		return -1;
	return 0;
}

static void
log_vlog(int prio, const char *fmt, va_list ap, int with_errno)
{
	char    msg[1024];
	int     saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t  n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_to_syslog) {
		syslog(prio, "%s", msg);
	} else if (log_to_journal) {
		fprintf(stderr, "<%d>%s\n", prio, msg);
	} else {
		struct timespec ts;
		struct tm       tm;
		char            when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", when, ts.tv_nsec / 1000000,
		    log_ident, prio == LOG_ERR ? "error" : prio == LOG_WARNING ?
		    "warn" : prio == LOG_INFO ? "info" : "debug", msg);
	}
	errno = saved;
}

#define LOG_BODY(prio, level, with_errno) do {          \
	va_list ap;                                     \
	if (log_level < (level))                        \
		return;                                 \
	va_start(ap, fmt);                              \
	log_vlog((prio), fmt, ap, (with_errno));        \
	va_end(ap);                                     \
} while (0)

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, LOG_LEVEL_WARN, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, LOG_LEVEL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

const char *
log_hex(const void *p, unsigned len)
{
	static char     bufs[4][65];
	static unsigned next;
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	char           *out = bufs[next++ % 4];

	if (len > 32)
		len = 32;
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}
