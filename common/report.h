/*
 * Problems and progress reported by code that more than one program runs
 * (keys/agencydir.c, keys/passphrase.c, keys/spkfile.c: homeward-keys,
 * homewardd and the test tools all read agency directories).  The code
 * says what happened; each program says where it goes: homeward-keys to
 * stderr as "homeward-keys: ...", homewardd to its log.  Until a program
 * sets a sink, problems go to stderr prefixed with the program's name and
 * progress goes to stderr as it is.
 */
#ifndef HOMEWARD_COMMON_REPORT_H
#define HOMEWARD_COMMON_REPORT_H

enum report_level {
	REPORT_PROBLEM,         /* something failed: the operator must know */
	REPORT_PROGRESS,        /* what a long step is doing */
};

/* msg is one line without its newline. */
typedef void report_sink(enum report_level, const char *msg);

/* NULL: back to the default. */
void report_set_sink(report_sink *);

void reportx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* reportx with ": strerror(errnum)" appended. */
void report_errno(int errnum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
