/*
 * Reporting for shared code (report.h): format one line, hand it to the
 * program's sink.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/report.h"

#define REPORT_LINE_MAX 1024

static void
default_sink(enum report_level level, const char *msg)
{
	if (level == REPORT_PROBLEM)
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

static report_sink *sink = default_sink;

void
report_set_sink(report_sink *s)
{
	sink = s != NULL ? s : default_sink;
}

static void
vreport(enum report_level level, int errnum, const char *fmt, va_list ap)
{
	char    line[REPORT_LINE_MAX];
	int     n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n >= 0 && errnum != 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(errnum));
	sink(level, line);
}

void
reportx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(REPORT_PROBLEM, 0, fmt, ap);
	va_end(ap);
}

void
report_errno(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(REPORT_PROBLEM, errnum, fmt, ap);
	va_end(ap);
}

void
report_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(REPORT_PROGRESS, 0, fmt, ap);
	va_end(ap);
}
