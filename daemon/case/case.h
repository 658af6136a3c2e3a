/*
 * The case room (daemon/case/): the referral procedure in the daemon:
 * cases, the consent gate applied, the order and travel rules, held
 * documents, withdrawals and erasure, deadlines and alerts.  The rules
 * themselves are pure (rules/: flow, consent, travel; proto/refcat.h);
 * this is where they meet the store, the outbox and the audit log.
 *
 *   case.c          cases: codes, finding, opening, updating, closing
 *   case_code.c     the codes this office gives its cases (case_code_pattern)
 *   case_profile.c  the person's profile: the case's, its documents', the
 *                   more protective of the two (case_profile.h)
 *   case_doc.c      documents: decoding, the header slot, packing
 *   case_out.c      the way out: the gate, the thread, queueing a document
 *   case_held.c     held documents: listing, cancelling, releasing
 *   case_step.c     sending a step through the rules and the gate
 *   case_consent.c  consent records; a new one reopens a restricted case
 *   case_revoke.c   our withdrawal, or a consent revoked as recorded in error
 *   case_approve.c  the safety exception: two supervisors approve
 *   case_recv.c     documents received (inside the inbound transaction),
 *                   receipts of ours
 *   case_withdraw.c a partner's withdrawal; erasure after the safety hold
 *   case_arrival.c  the safety hold, no-shows, outcomes a supervisor records
 *   case_tick.c     the clock: deadlines (repeated while she is missing),
 *                   retention, erasure
 *   case_alert.c    alerts: stored, audited, passed to alert_command
 *
 * May call: core/ (the outbox, peers), store/, rules/, base/, and keys/
 * proto/ common/.  Never ctl/.  core/ reaches case_recv.c only through
 * struct deliver_events, which main.c points here.  Inside the room the
 * calls go one way: case_tick.c -> case_recv.c -> case_withdraw.c ->
 * case.c -> case_held.c -> case_out.c -> case_doc.c -> case_arrival.c ->
 * case_alert.c, and case_step.c, case_consent.c, case_revoke.c and
 * case_approve.c enter that line too.  case_profile.c and case_code.c
 * call no other file of the room (any may call them).
 *
 * Functions return 0 or a negative errno, and fill `why` (for the
 * operator; ids and codes only) on every error but a store failure:
 *   -EINVAL  the request is malformed        -ENOENT  no such case or item
 *   -EEXIST  exists already, or ambiguous    -EACCES  the role does not allow it
 *   -EPERM   refused by a rule (order, travel, restriction, approvals)
 *   -ENOSPC, -EIO, -EBADMSG: the store failed; nothing was changed.
 */
#ifndef HOMEWARD_DAEMON_CASE_CASE_H
#define HOMEWARD_DAEMON_CASE_CASE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "daemon/store/store_case.h"

struct daemon;
struct peer;

#define CASE_WHY_LEN            512
#define CASE_CODE_MAX           48

/* Who asks: from SO_PEERCRED and [roles]. */
struct case_actor {
	uid_t           uid;
	unsigned        roles;          /* enum config_role bits */
	char            name[STORE_NAME_LEN];
};

/* The daemon itself, and a partner agency, as audit actors. */
#define CASE_ACTOR_DAEMON       "homewardd"

enum case_step_state {
	CASE_STEP_QUEUED = 1,           /* in the outbox: it goes */
	CASE_STEP_HELD = 2,             /* no consent covers it */
	CASE_STEP_APPROVAL = 3,         /* safety exception: a second supervisor */
};

struct case_step_result {
	int             state;
	uint8_t         message_id[ENV1_ID_LEN];        /* queued */
	uint8_t         held_id[ENV1_ID_LEN];           /* held, approval */
	char            missing[STORE_MISSING_LEN];
	uint32_t        categories;
	char            peer[STORE_NAME_LEN];
	/* Held or queued: the older held draft of the same step to the
	 * same partner it replaced (cancelled), if any. */
	int             has_replaced;
	uint8_t         replaced[ENV1_ID_LEN];
	/* Queued at the origin with no consent: under the safety exception
	 * the partner's request came with. */
	int             partner_safety;
};

/* A case code: 1-48 of letters, digits, '-', '_', '.', '/'. */
int case_code_valid(const char *code);
/* A code this office may give a case it opens: its case_code_pattern, or
 * at least one digit (case_code.c); -EINVAL with why. */
int case_code_allowed(const struct daemon *, const char *code, char *why,
    size_t whylen);
/* By code (home NULL or "": ours, or the only one). */
int case_find(struct daemon *, const char *code, const char *home,
    struct store_case *out, char *why, size_t whylen);

int case_open(struct daemon *, const struct case_actor *, const char *code,
    const uint8_t *profile, size_t profile_len, struct store_case *out,
    char *why, size_t whylen);
/* Closing cancels held documents; retention then erases it. */
int case_close(struct daemon *, const struct case_actor *,
    const struct store_case *, char *why, size_t whylen);

/* A step the operator sends (control.proto StepSend). */
struct case_step_request {
	const struct case_actor *actor;
	const struct store_case *c;
	const char              *peer_agency;   /* NULL or "": the case's only partner */
	uint16_t                 msg_type;      /* 1-7 */
	const uint8_t           *doc;           /* the encoded document, header empty */
	size_t                   doc_len;
	/* Travel rules a supervisor accepts to break, with the reason. */
	char *const             *waive;
	size_t                   nwaive;
	const char              *waiver_reason;
	/* Set: ask for the safety exception when no consent covers it. */
	const char              *safety_reason;
};

/* Send a document of a step: queued, held for consent, or held for the
 * safety exception's second supervisor (res says which). */
int case_step_send(struct daemon *, const struct case_step_request *,
    struct case_step_result *res, char *why, size_t whylen);

/* Release what the case's consents now cover (after a consent is
 * recorded); *released counts them.  In the caller's transaction. */
int case_release_held(struct daemon *, const struct store_case *,
    const char *actor, unsigned *released);

/* case_consent.c, case_approve.c */
/* scope: an encoded ConsentScope; consent_id and given_at filled when
 * empty.  Releases what it covers, in the same transaction. */
/* notice: the text of the consent notice she was given (proto/notice.h),
 * or none (len 0): checked against the scope, its language and SHA-256
 * recorded with the consent; required when the configuration says
 * require_notice. */
struct case_consent_in {
	const uint8_t  *scope;
	size_t          scope_len;
	const uint8_t  *notice;
	size_t          notice_len;
};
int case_consent_record(struct daemon *, const struct case_actor *,
    const struct store_case *, const struct case_consent_in *,
    uint8_t consent_id[ENV1_ID_LEN], unsigned *released, char *why,
    size_t whylen);
struct case_withdraw_result {
	unsigned        withdrawn;      /* consents that were in force */
	unsigned        notified;       /* partners sent a ConsentWithdrawal */
	unsigned        cancelled;      /* queued documents cancelled unsealed */
	unsigned        travelling;     /* threads where she is on her way */
	int             restricted;     /* the case is now restricted */
};
/* consent_id NULL: every consent of the case; in_error: revoked because
 * it was recorded by mistake (not the person's withdrawal: the case is not
 * restricted).  Held documents no consent in force covers any more are
 * cancelled, and every partner that received data of the case and is
 * named by no consent in force is sent a ConsentWithdrawal (case_revoke.c). */
int case_consent_withdraw(struct daemon *, const struct case_actor *,
    const struct store_case *, const uint8_t *consent_id, int in_error,
    struct case_withdraw_result *, char *why, size_t whylen);
/* A supervisor approves a document held for the safety exception: the
 * first approval is recorded, a second by another supervisor sends it.
 * A document held for consent becomes a safety-exception request when a
 * supervisor approves it with a reason (that approval is the first). */
int case_approve(struct daemon *, const struct case_actor *,
    const uint8_t held_id[ENV1_ID_LEN], const char *reason,
    struct case_step_result *res, char *why, size_t whylen);

/* case_arrival.c: what became of a person who did not arrive (or whose
 * arrival is overdue), as a supervisor records it. */
enum case_outcome {
	CASE_OUTCOME_LOCATED = 1,               /* found safe */
	CASE_OUTCOME_WITH_AUTHORITIES = 2,      /* handed to, or found by, the authorities */
	CASE_OUTCOME_REPORTED_MISSING = 3,      /* reported missing to the police */
	CASE_OUTCOME_DID_NOT_TRAVEL = 4,        /* never left */
};
const char *case_outcome_name(int outcome);     /* "" for 0 */
int case_outcome_parse(const char *);           /* 0 when unknown */
/* A no-show or an overdue arrival nobody has settled yet. */
int case_awaits_outcome(const struct store_case_thread *);
/* agency NULL or "": the case's only partner. */
int case_record_outcome(struct daemon *, const struct case_actor *,
    const struct store_case *, const char *agency, const char *outcome,
    char *why, size_t whylen);
/* She departed and her arrival is not settled: met, or after a no-show
 * an outcome recorded by a supervisor (the safety hold of PROTOCOL.md
 * 21.5). */
int case_safety_hold(const struct store_case_thread *);

/* case_held.c: a held document as `held show` shows it, after the read
 * is audited: the row, its case, the document (header: the case code)
 * and the reasons, in secret memory; case_held_view_free frees them. */
struct case_held_view {
	struct store_held       h;
	struct store_case       c;
	uint8_t                *body;
	size_t                  len;
	char                   *safety;                 /* NULL: none */
	char                   *first_reason;
	char                   *second_reason;
	char                    second_by[STORE_NAME_LEN];
};
int case_held_show(struct daemon *, const struct case_actor *,
    const uint8_t held_id[ENV1_ID_LEN], struct case_held_view *, char *why,
    size_t whylen);
void case_held_view_free(struct case_held_view *);
/* Whether actor (NULL: anyone) read the held document (`held show`),
 * from the case's audit trail. */
int case_held_was_read(struct daemon *, const struct store_case *,
    const uint8_t held_id[ENV1_ID_LEN], const char *actor, int *was_read);
/* Cancel one held document (caseworkers and supervisors); reason may be
 * NULL: the audit log keeps only its hash. */
int case_held_cancel(struct daemon *, const struct case_actor *,
    const uint8_t held_id[ENV1_ID_LEN], const char *reason, char *why,
    size_t whylen);

/* case_recv.c, case_tick.c, case_alert.c: called through deliver_events */
/* A document became current in its thread (in order). */
int case_on_document(struct daemon *, struct peer *, const struct store_in *,
    const uint8_t *body, size_t len);
/* A receipt for one of our documents was stored. */
int case_on_delivered(struct daemon *, const struct store_out *acked);
/* Deadlines, retention and pending erasures; run by a timer. */
void case_tick(struct daemon *);
/* Run alert_command for the alerts waiting for it (case_tick). */
void case_alert_notify(struct daemon *);
/* Raise an alert: stored, logged, and passed to alert_command. */
int case_alert(struct daemon *, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const char *case_code,
    const char *detail);
/* The same about one message of a partner (message_id may be NULL). */
int case_alert_msg(struct daemon *, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const uint8_t *message_id,
    const char *case_code, const char *detail);

/* The document of msg_type decoded, or NULL (protobuf_c_message_free_unpacked). */
ProtobufCMessage *case_doc_unpack(uint16_t msg_type, const uint8_t *body, size_t len);

#endif
