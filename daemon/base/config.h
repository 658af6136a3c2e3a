/*
 * homewardd's configuration file, parsed with libinih.  Every error names
 * the file and the line.  The file says where the agency's keys and the
 * daemon's state live, where it listens, who may use the control socket
 * and with which role, and the delivery timings.
 *
 *   [agency]
 *   dir = /var/lib/homeward/agency        ; made by homeward-keys init
 *   passphrase_file = /etc/homeward/pass  ; or passphrase_fd = 3
 *   [daemon]
 *   state_dir = /var/lib/homeward/state   ; data.db, keystore.db
 *   control_socket = /run/homeward/control.sock
 *   control_group = homeward              ; optional
 *   metrics_file = /var/lib/prometheus/node-exporter/homeward.prom
 *                                         ; optional: figures for node exporter
 *   listen = 0.0.0.0:7400                 ; omit: dial out only
 *   log = stderr | syslog
 *   log_level = warn | info | debug
 *   max_data_mb = 4096                    ; cap on data.db; full: new messages refused
 *   reserve_kb = 262144                   ; of it, kept for operator and audit writes
 *                                         ; (default max_data_mb / 16)
 *   max_keys_mb = 256                     ; cap on keystore.db
 *   test_documents = no                   ; yes: `homeward send` of opaque test
 *                                         ; documents (test systems only: they
 *                                         ; bypass the consent gate)
 *   [delivery]                            ; all optional, milliseconds
 *   retry_min_ms, retry_max_ms, dial_min_ms, dial_max_ms, heartbeat_ms,
 *   idle_timeout_ms, gap_alert_ms, prekey_check_ms
 *   inflight_kb = 128                     ; KiB sent and unacknowledged per peer
 *   [procedure]                           ; the referral procedure, all optional
 *   reply_ms = 604800000                  ; reply-by when a request names none (7 days)
 *   arrival_grace_ms = 7200000            ; arrival unconfirmed this long after schedule: urgent alert
 *   urgent_repeat_ms = 14400000           ; a missing person's alert repeats this often until a supervisor records an outcome
 *   deadline_check_ms = 60000             ; how often deadlines and retention are checked
 *   retention_ms = 31536000000            ; closed cases are erased after this (365 days)
 *   erasure_wait_ms = 2592000000          ; erasure waits this long at most for a partner's receipts (30 days)
 *   require_reintegration = no            ; departure needs a confirmed reintegration request
 *   require_notice = no                   ; consent record needs --notice (the notice she was given)
 *   alert_command = /usr/local/bin/page   ; run for every alert (HOMEWARD_ALERT_* in its environment)
 *   case_code_pattern = ^CI-[0-9]{4}-[0-9]{4}$ ; the codes of the cases we open (POSIX ERE)
 *   [travel]                              ; seed 004's travel rules, all optional
 *   earliest_hour = 6                     ; arrivals from this local hour ...
 *   latest_hour = 15                      ; ... to before this one
 *   weekend = sat,sun                     ; days that are not working days
 *   max_transits = 1
 *   min_notice_ms = 259200000             ; advance notice before the first departure (72 h)
 *   holidays = 2027-01-01,2027-05-01      ; public holidays, every partner (none)
 *   [travel "ml-bamako"]                  ; arrivals at one partner: any key of
 *   weekend = sat,sun                     ; [travel]; those left out come from
 *   holidays = 2027-01-01,2027-01-20      ; [travel] (holidays as a whole list)
 *   [quotas]                              ; per partner; a breach suspends it
 *   peer_kb = 1048576                     ; what its messages take in data.db
 *   new_threads_per_day = 2000
 *   new_cases_per_day = 200
 *   alerts_per_hour = 200                 ; 0 for any key: no quota
 *   [roles]
 *   alice = supervisor                    ; caseworker, supervisor, auditor
 *   [peers]
 *   agency-b = 192.0.2.7:7400             ; endpoint override for a peer
 */
#ifndef HOMEWARD_DAEMON_BASE_CONFIG_H
#define HOMEWARD_DAEMON_BASE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/base/log.h"

#define CONFIG_DEFAULT_PATH     "/etc/homeward/homewardd.conf"
#define CONFIG_ERR_LEN          512

enum config_role {
	ROLE_NONE       = 0,
	ROLE_CASEWORKER = 1 << 0,
	ROLE_SUPERVISOR = 1 << 1,
	ROLE_AUDITOR    = 1 << 2,
	ROLE_ALL        = ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_AUDITOR,
};

struct config_user {
	uid_t           uid;
	char            name[64];
	unsigned        roles;          /* enum config_role bits */
};

struct config_endpoint {
	char            agency_id[64];
	char            endpoint[256];
};

/* Which keys a travel section gives (struct config_travel's set). */
enum config_travel_key {
	CONFIG_TRAVEL_EARLIEST  = 1 << 0,
	CONFIG_TRAVEL_LATEST    = 1 << 1,
	CONFIG_TRAVEL_WEEKEND   = 1 << 2,
	CONFIG_TRAVEL_TRANSITS  = 1 << 3,
	CONFIG_TRAVEL_NOTICE    = 1 << 4,
	CONFIG_TRAVEL_HOLIDAYS  = 1 << 5,
};

#define CONFIG_HOLIDAYS_MAX     64      /* = TRAVEL_HOLIDAYS_MAX (rules/) */
#define CONFIG_AGENCY_ID_LEN    64

/* The travel rules for arrivals at one partner agency ([travel "AGENCY"])
 * or at every partner ([travel]).  After config_load a partner's section
 * holds [travel]'s value for every key it left out. */
struct config_travel {
	char            agency_id[CONFIG_AGENCY_ID_LEN];        /* empty: [travel] */
	unsigned        set;                    /* enum config_travel_key bits */
	unsigned        earliest_hour;
	unsigned        latest_hour;
	uint8_t         weekend;                /* bit per tm_wday */
	unsigned        max_transits;
	uint64_t        min_notice_ms;
	uint32_t        holidays[CONFIG_HOLIDAYS_MAX];  /* YYYYMMDD, as given */
	size_t          nholidays;
};

struct config {
	char            path[PATH_MAX];
	char            agency_dir[PATH_MAX];
	char            passphrase_file[PATH_MAX];
	int             passphrase_fd;          /* -1: none */
	char            state_dir[PATH_MAX];
	char            control_socket[PATH_MAX];
	gid_t           control_group;          /* (gid_t)-1: unchanged */
	char            metrics_file[PATH_MAX]; /* empty: none (core/metrics.c) */
	char            listen_host[64];        /* empty: no listener */
	uint16_t        listen_port;
	int             log_syslog;
	enum log_level  log_level;
	uint64_t        max_data_mb;            /* 0: no cap but the disk's */
	int             test_documents;         /* `send` of opaque 0x7f00 allowed */
	uint64_t        max_keys_mb;            /* cap on keystore.db */
	uint64_t        reserve_kb;             /* of max_data_mb, kept for the
	                                           operator and the audit log */
	int             reserve_set;            /* reserve_kb given; else 1/16 */

	/* [quotas]: per partner; a breach suspends it (0: no quota). */
	uint64_t        quota_peer_kb;          /* its stored messages */
	uint64_t        quota_threads_day;      /* new threads a day */
	uint64_t        quota_cases_day;        /* new cases a day */
	uint64_t        quota_alerts_hour;      /* alerts it raises an hour */

	/* Strangers on the listener (daemon/net/admit.c); 0: derived from
	 * the descriptor limit at start (main.c). */
	unsigned        max_unidentified;
	unsigned        max_unidentified_per_address;
	uint64_t        identify_timeout_ms;    /* accept to pinned key accepted */
	uint64_t        unidentified_log_ms;    /* summary interval */

	uint64_t        retry_min_ms;
	uint64_t        retry_max_ms;
	uint64_t        dial_min_ms;
	uint64_t        dial_max_ms;
	uint64_t        heartbeat_ms;
	uint64_t        idle_timeout_ms;
	uint64_t        gap_alert_ms;
	uint64_t        prekey_check_ms;
	uint64_t        inflight_kb;            /* unacknowledged bytes per peer, KiB */

	uint64_t        reply_ms;
	uint64_t        arrival_grace_ms;
	uint64_t        urgent_repeat_ms;
	uint64_t        deadline_check_ms;
	uint64_t        retention_ms;
	uint64_t        erasure_wait_ms;        /* for a partner's receipts, at most */
	int             require_reintegration;
	/* A consent is recorded only with the notice she was given (consent
	 * record --notice); no (the default) keeps offices that record
	 * consent on paper working. */
	int             require_notice;
	char            alert_command[PATH_MAX];        /* empty: none */
	/* POSIX ERE the codes of the cases we open match; empty: at least
	 * one digit (daemon/case/case_code.c). */
	char            case_code_pattern[256];

	struct config_travel    travel;                 /* [travel] */
	struct config_travel   *partners;               /* [travel "AGENCY"] */
	size_t                  npartners;

	struct config_user     *users;
	size_t                  nusers;
	struct config_endpoint *endpoints;
	size_t                  nendpoints;
};

/* Parse path into *out (defaults first).  0, or -1 with err saying
 * "FILE:LINE: what is wrong" (or "FILE: ..." for a missing file or a
 * missing required key). */
int config_load(const char *path, struct config *out, char err[CONFIG_ERR_LEN]);
void config_free(struct config *);      /* NULL ok */

/* Roles of a Unix user; the daemon's own uid holds every role, to run
 * the daemon, but is not a person: it never counts as a supervisor of
 * the safety exception (config_uid_is_daemon), and a [roles] line naming
 * it is warned about when the file is read. */
unsigned config_roles(const struct config *, uid_t uid);
int config_uid_is_daemon(uid_t uid);
/* The operator's name for audit records and approvals: the [roles] name,
 * else the account's, else "uid N". */
void config_user_name(const struct config *, uid_t uid, char *buf, size_t len);
/* The travel rules for arrivals at agency_id: its own section, else
 * [travel].  Never NULL. */
const struct config_travel *config_travel_for(const struct config *,
    const char *agency_id);
/* The configured endpoint for agency_id, or NULL. */
const char *config_endpoint(const struct config *, const char *agency_id);

/* "host:port" (IPv4, name, or [IPv6]:port) into host and port. */
int config_split_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
