/*
 * homeward internals shared by the command files: the command table entry
 * and exit codes (main.c), option parsing with getopt_long (opts.c), the
 * request/answer exchange with homewardd (client.c), and text and JSON
 * output (output.c).  Commands parse their arguments into a Request, send
 * it, and print the answer; errors go to stderr prefixed "homeward: ".
 */
#ifndef HOMEWARD_CLI_CLI_H
#define HOMEWARD_CLI_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/control.h"

#define CLI_EXIT_OK             0
#define CLI_EXIT_FAIL           1
#define CLI_EXIT_USAGE          2
/* The request was sent and its answer lost, twice: it may have been
 * carried out (homeward(1), EXIT STATUS). */
#define CLI_EXIT_UNKNOWN        3

#define CLI_SOCKET_DEFAULT      "/run/homeward/control.sock"
#define CLI_SOCKET_ENV          "HOMEWARD_SOCKET"
/* Safety net only: homewardd answers a request at once or not at all. */
#define CLI_ANSWER_TIMEOUT_S    60
/* How long the one retry after a lost answer waits for the socket. */
#define CLI_RETRY_WAIT_S        10
/* More data frames than any answer has (a listing is at most 10000). */
#define CLI_MAX_RESPONSES       20000

/* What every command gets besides its arguments. */
struct cli_env {
	const char     *socket;         /* homewardd's control socket */
};

/* One line of the command table (main.c); usage text is generated from it.
 * "peers import" is group "peers", sub "import"; a one-word command has no
 * sub.  The group's default runs when no subcommand is given. */
struct cli_cmd {
	const char     *group;
	const char     *sub;
	int             is_default;     /* 1: the group's default; 2: also
	                                   when the next word is an argument */
	int           (*run)(const struct cli_cmd *, const struct cli_env *,
	                    int argc, char **argv);
	/* The step commands of the referral procedure share one handler
	 * (cmd_step.c): the document they send and what the verb sets in it
	 * (a Decision, DepartureKind or ArrivalOutcome); 0 elsewhere. */
	uint32_t        msg_type;
	int             variant;
	const char     *summary;        /* one line, for the command list */
	const char     *synopsis;       /* arguments, after the command name */
	const char     *help;           /* paragraphs for --help */
};

/* --- options (opts.c) --- */

#define CLI_OPT_HELP            (-2)    /* --help or -h */
#define CLI_OPT_ERROR           (-3)    /* usage error, already reported */

/* getopt_long over argv (argv[0] is the command word), with --help and -h
 * handled and errors reported against the command's synopsis.  Returns an
 * option's val, -1 at the end (positionals are argv[optind..argc)),
 * CLI_OPT_HELP or CLI_OPT_ERROR.  The first call on a new argv resets
 * getopt. */
int cli_getopt(const struct cli_cmd *, int argc, char **argv,
    const char *shortopts, const struct option *longopts);
/* The command's full name, "peers import". */
const char *cli_cmd_name(const struct cli_cmd *, char *buf, size_t len);
/* Print the command's usage and help to stdout: CLI_EXIT_OK. */
int cli_help(const struct cli_cmd *);
/* Report a usage error and point at --help: CLI_EXIT_USAGE. */
int cli_usage(const struct cli_cmd *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parsers: 0 or -1. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Decimal or 0x hex, 1 .. 0xffff. */
int cli_parse_msg_type(const char *s, uint32_t *out);
/* Exactly 32 hex digits (a message or thread id). */
int cli_parse_id(const char *s, uint8_t out[16]);
/* 1-63 of a-z, 0-9, '-'. */
int cli_check_agency(const char *s);
/* 40 digits, any spaces or dashes between them, into the display form
 * "12345 67890 ..." (FP_DISPLAY_BUFLEN). */
int cli_parse_fingerprint(const char *s, char *out, size_t outlen);
/* A CaseRef of CODE and --home (NULL: none), pointing into them: 0, or
 * CLI_EXIT_USAGE (reported). */
int cli_case_ref(const struct cli_cmd *, const char *code, const char *home,
    Homeward__Control__CaseRef *ref);
/* An RFC 3339 time ("2026-12-01T07:30:00Z", "2026-12-01T09:30:00+02:00")
 * or ms since the epoch. */
int cli_parse_time(const char *s, uint64_t *ms);
/* Before asking the daemon for data to write to path: -1 (reported) when
 * path exists and force is not set, so that no audited read of case data
 * is made for a file that cannot be written.  The write checks again. */
int cli_check_output(const char *path, int force);

/* --- talking to homewardd (client.c) --- */

/* The data Responses of one answer, in order, and its final Result. */
struct cli_answer {
	Homeward__Control__Response   **data;
	size_t                          n;
	Homeward__Control__Response    *last;  /* holds the Result */
};

/*
 * Connect to env->socket, send req, read Responses until the Result.
 * CLI_EXIT_OK with *ans filled when the Result is RESULT_OK; otherwise
 * CLI_EXIT_FAIL after saying why on stderr (the daemon's message, or what
 * to do when it cannot be reached), or CLI_EXIT_UNKNOWN when a request
 * that changes something was sent and no answer came, even to the retry.  Free *ans with cli_answer_free.
 */
int cli_call(const struct cli_env *, Homeward__Control__Request *req,
    struct cli_answer *ans);
/* The same, except that an answer whose Result is not RESULT_OK is kept
 * and nothing said about it: CLI_EXIT_OK whenever an answer came, for
 * commands that show what came with a refusal (ans->last->result). */
int cli_call_any(const struct cli_env *, Homeward__Control__Request *req,
    struct cli_answer *ans);
/* Say why the answer's Result is not RESULT_OK, on stderr:
 * CLI_EXIT_OK or CLI_EXIT_FAIL. */
int cli_result_report(const struct cli_answer *);
/* Set by cli_getopt on --json: requests then ask homewardd for English
 * (client.c), so that JSON output is the same in every language. */
extern int cli_json_output;
void cli_answer_free(struct cli_answer *);
/* The first data Response of this kind, or NULL. */
const Homeward__Control__Response *cli_answer_find(const struct cli_answer *,
    Homeward__Control__Response__KindCase kind);

/* --- output (output.c) --- */

void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn_errno(int errnum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define CLI_TIME_BUFLEN         32      /* "2026-11-22T07:30:00.123Z" */
#define CLI_ID_BUFLEN           65      /* up to 32 bytes in hex */

/* ISO 8601 UTC with milliseconds. */
void cli_time(uint64_t ms, char out[CLI_TIME_BUFLEN]);
/* "3d 4h", "2h 13m", "5m 2s", "45s". */
void cli_duration(uint64_t ms, char *out, size_t len);
/* Lower-case hex of up to 32 bytes; "-" when empty. */
const char *cli_hex(ProtobufCBinaryData b, char out[CLI_ID_BUFLEN]);
/* "TEST_DOCUMENT", ... or "0x1234". */
const char *cli_msg_type_name(uint32_t type, char *buf, size_t len);
/* "key   value" lines of the detail views. */
/* The printf width that pads s to width columns on a terminal ("%-*s"):
 * a translated heading has more bytes than columns. */
int cli_colw(int width, const char *s);
void cli_kv(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The referral procedure's commands print times for people in the local
 * time zone, "2026-12-01 07:30" ("-" for 0), and in JSON as RFC 3339 UTC
 * strings (null for 0). */
/* "2026-12-06 09:30 WAT": every time shown says its zone. */
#define CLI_LOCALTIME_BUFLEN    40
void cli_localtime(uint64_t ms, char out[CLI_LOCALTIME_BUFLEN]);
json_t *cli_json_rfc3339(uint64_t ms);
/* The names of a mask's bits (refnames.h) as a JSON array. */
json_t *cli_json_mask(uint32_t mask, const char *(*name)(uint32_t));
/* A string, null when empty. */
json_t *cli_json_str(const char *s);

/* JSON: ids as lower-case hex (null when empty), times as ms integers
 * (null when 0: never, none). */
json_t *cli_json_hex(ProtobufCBinaryData b);
json_t *cli_json_time(uint64_t ms);
/* Print one JSON document (steals the reference): CLI_EXIT_OK, or
 * CLI_EXIT_FAIL when obj is NULL (a failed json_pack). */
int cli_json_print(json_t *obj);

/* --- shared views of the daemon's records (cmd_peers.c, cmd_messages.c) --- */

json_t *cli_peer_json(const Homeward__Control__PeerInfo *);
void cli_peer_print(const Homeward__Control__PeerInfo *);
json_t *cli_message_json(const Homeward__Control__MessageInfo *);
void cli_message_print(const Homeward__Control__MessageInfo *);

/* --- shared views of the referral procedure (refview.c) --- */

json_t *cli_case_json(const Homeward__Control__CaseInfo *);
void cli_case_print(const Homeward__Control__CaseInfo *);
json_t *cli_consent_json(const Homeward__Control__ConsentInfo *);
void cli_consent_print(const Homeward__Control__ConsentInfo *);
json_t *cli_held_json(const Homeward__Control__HeldInfo *);
void cli_held_line(const Homeward__Control__HeldInfo *);
json_t *cli_audit_json(const Homeward__Control__AuditEntry *);
/* Column widths of the audit entries of an answer, so that one listing
 * lines up whatever the names of actors and actions. */
struct cli_audit_cols {
	int             actor;
	int             action;
};
void cli_audit_cols(const struct cli_answer *, struct cli_audit_cols *);
void cli_audit_line(const Homeward__Control__AuditEntry *, int with_case,
    const struct cli_audit_cols *);
json_t *cli_step_json(const Homeward__Control__StepResult *);
void cli_step_print(const Homeward__Control__StepResult *);

/* --- the commands (cmd_*.c) --- */

int cmd_status(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_check(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_log_level(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_peers_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_peers_import(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_peers_action(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_messages_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_messages_show(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_evidence_export(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_send(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_open(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_show(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_close(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_outcome(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_update(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_consent_record(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_consent_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_consent_withdraw(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_consent_notice(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_case_report(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_step(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_held(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_approve(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_held_show(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_held_cancel(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_worklist(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_alerts_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_alerts_ack(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_audit_verify(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_backup(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_audit_list(const struct cli_cmd *, const struct cli_env *, int, char **);
int cmd_document_show(const struct cli_cmd *, const struct cli_env *, int, char **);

#endif
