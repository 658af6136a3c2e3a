/*
 * homeward-keys internals shared by the command files: the command table
 * entry, exit codes, an exact-match option parser (no abbreviations, so a
 * mistyped "--passphrase SECRET" can never be taken for another option),
 * error messages prefixed "homeward-keys: ", time formatting, and JSON
 * output through jansson.  What homeward shares with it (hex, the names of
 * message types) is in common/.
 */
#ifndef HOMEWARD_KEYS_TOOL_TOOL_H
#define HOMEWARD_KEYS_TOOL_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/report.h"

#define TOOL_EXIT_OK            0
#define TOOL_EXIT_FAIL          1
#define TOOL_EXIT_USAGE         2

#define TOOL_DAY_MS             (24ull * 3600 * 1000)

/* One line of the command table (main.c); usage text is generated from it. */
struct tool_cmd {
	const char     *name;
	int           (*run)(const struct tool_cmd *, int argc, char **argv);
	const char     *summary;        /* one line, for the command list */
	const char     *synopsis;       /* options, after the command name */
	const char     *help;           /* paragraphs for `COMMAND --help` */
};

/* --- options (opts.c) --- */

enum {
	OPTS_DONE  = -1,        /* no more options; positionals in o->pos */
	OPTS_HELP  = -2,        /* --help or -h: print the command's help */
	OPTS_ERROR = -3,        /* usage error, already reported */
};

struct opts_def {
	const char     *name;           /* long name without "--" */
	char            letter;         /* short alias, or 0 */
	int             has_arg;
	int             id;             /* returned by opts_next, >= 0 */
};

struct opts {
	const struct tool_cmd  *cmd;
	const struct opts_def  *defs;   /* ends with a NULL name */
	int                     argc;
	char                  **argv;
	int                     i;
	int                     only_pos;
	const char             *arg;    /* value of the option just returned */
	char                  **pos;    /* positional arguments, in order */
	int                     npos;
};

/* argv[0] is the command name.  opts_free releases o->pos. */
int opts_init(struct opts *, const struct tool_cmd *, const struct opts_def *,
    int argc, char **argv);
int opts_next(struct opts *);
void opts_free(struct opts *);
/* Print `usage: homeward-keys CMD SYNOPSIS` and the help text to stdout. */
int opts_help(const struct tool_cmd *);
/* Report a usage error and point at --help; returns TOOL_EXIT_USAGE. */
int opts_usage(const struct tool_cmd *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parse a decimal number in [min, max]; 0 or -1. */
int opts_number(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* --- messages and formatting (output.c) --- */

/* "homeward-keys: " fmt "\n" on stderr; the _errno form appends ": strerror". */
void tool_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_warn_errno(int errnum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tool_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The sink main.c gives common/report.h: problems as tool_warnx, progress
 * as tool_info. */
void tool_report_sink(enum report_level, const char *msg);
/* Whether stderr messages for humans are wanted (off under --json). */
void tool_set_quiet(int quiet);

/* The current time in ms, or the hidden --now value (tests only). */
uint64_t tool_now(void);
void tool_set_now(uint64_t ms);

#define TOOL_TIME_BUFLEN        32      /* "2026-11-22T07:30:00.123Z" */

/* RFC 3339 UTC with milliseconds.  Hex is common/hex.h's. */
void tool_time(uint64_t ms, char out[TOOL_TIME_BUFLEN]);
/* spk ids are shown (spkfile_id_format) and accepted as 16 hex digits. */
int tool_parse_spk_id(const char *s, uint64_t *out);

/* "MSG|PREKEY" into buf. */
const char *tool_usage_name(uint16_t usage, char *buf, size_t len);
const char *tool_revoke_kind_name(uint8_t kind);
const char *tool_revoke_reason_name(uint8_t reason);

/* JSON values for byte strings and times. */
json_t *tool_json_hex(const uint8_t *p, size_t n);
json_t *tool_json_time(uint64_t ms);
/* Print a JSON document (steals the reference) followed by a newline;
 * TOOL_EXIT_OK, or TOOL_EXIT_FAIL when obj is NULL (a failed json_pack). */
int tool_json_print(json_t *obj);

/* --- the commands (cmd_*.c) --- */

int cmd_init(const struct tool_cmd *, int, char **);
int cmd_contact(const struct tool_cmd *, int, char **);
int cmd_fingerprint(const struct tool_cmd *, int, char **);
int cmd_export(const struct tool_cmd *, int, char **);
int cmd_inspect(const struct tool_cmd *, int, char **);
int cmd_certify(const struct tool_cmd *, int, char **);
int cmd_revoke(const struct tool_cmd *, int, char **);
int cmd_rotate_prekeys(const struct tool_cmd *, int, char **);
int cmd_rotate_rik(const struct tool_cmd *, int, char **);
int cmd_verify_evidence(const struct tool_cmd *, int, char **);

#endif
