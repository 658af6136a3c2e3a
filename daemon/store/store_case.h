/*
 * The store's rows of the referral procedure (store.h's conventions: 0 or
 * a negative errno, writes inside the caller's transaction when one is
 * open):
 *
 *   cases         one per case: its code, whose it is, its state; the
 *                 person's profile (sex, age, minor: what the travel rules
 *                 need) encrypted under the case key, and the profile the
 *                 case's documents last stated, likewise.
 *   case_threads  the procedure's state with one partner (daemon/rules/flow.h),
 *                 one per thread; deadline alerts already raised.
 *   consents      the consent records: their scope in clear integers for
 *                 the gate (recipients, steps, categories, expiry), the
 *                 full ConsentScope encrypted under the case key.
 *   held          documents the gate held, waiting for a consent or a
 *                 second supervisor, encrypted under the case key.  A held
 *                 document has no thread position: it takes one when it is
 *                 released, so nothing behind it waits.
 *
 * Keys: a case we opened has its own case key (case_id) and one per
 * thread (thread_id, as every thread); a case referred to us has
 * case_id = its thread id, so one key.  Erasing a case destroys all of
 * them (store_case_erase).
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_CASE_H
#define HOMEWARD_DAEMON_STORE_STORE_CASE_H

#include "daemon/rules/consent.h"
#include "daemon/rules/flow.h"
#include "daemon/store/store.h"

#define STORE_CODE_LEN          64      /* case codes are at most 48 */
#define STORE_NAME_LEN          64      /* operator names, agency ids */
#define STORE_MISSING_LEN       320
#define STORE_LANGUAGE_LEN      36      /* BCP 47 tags, at most 35 */
#define STORE_SHA256_LEN        32

enum store_case_role {
	CASE_ROLE_DESTINATION = 1,      /* we opened it and refer the person */
	CASE_ROLE_ORIGIN = 2,           /* a partner referred it to us */
};

enum store_case_state {
	CASE_OPEN = 1,
	CASE_RESTRICTED = 2,            /* consent withdrawn: nothing more goes out */
	CASE_CLOSED = 3,                /* retention running */
	CASE_ERASED = 4,                /* keys destroyed; only this row remains */
	CASE_ERASING = 5,               /* restricted; erased as soon as our
	                                   ErasureConfirmation is receipted */
};

const char *store_case_state_name(int state);
int store_case_state_parse(const char *);       /* 0 when unknown */

struct store_case {
	uint8_t         case_id[ENV1_ID_LEN];
	char            code[STORE_CODE_LEN];
	char            home[STORE_NAME_LEN];   /* agency id that opened it */
	int             role;
	int             state;
	uint64_t        opened_at;
	uint64_t        closed_at;
	uint64_t        erased_at;
	char            opened_by[STORE_NAME_LEN];
};

/* Insert (creating and committing the case key first); -EEXIST when
 * (home, code) exists.  profile: an encoded referral Profile, may be empty. */
int store_case_insert(struct store *, const struct store_case *,
    const uint8_t *profile, size_t profile_len);
/* By code; home NULL or "" matches any home, and -EEXIST says the code
 * is ambiguous (two homes). */
int store_case_get(struct store *, const char *code, const char *home,
    struct store_case *out);
int store_case_get_id(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    struct store_case *out);
int store_case_set_state(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    int state, uint64_t at);
/* The profile, decrypted (secret memory, secret_free; *len 0 when none). */
int store_case_profile(struct store *, const struct store_case *,
    uint8_t **profile, size_t *len);
/* Replace it (an encoded Profile; len 0: none): case update. */
int store_case_set_profile(struct store *, const struct store_case *,
    const uint8_t *profile, size_t len);
/* The profile the case's documents last stated (doc_profile: the request
 * we sent, or the partner's latest), as store_case_profile; and its
 * replacement.  The travel rules take the more protective of the two. */
int store_case_doc_profile(struct store *, const struct store_case *,
    uint8_t **profile, size_t *len);
int store_case_set_doc_profile(struct store *, const struct store_case *,
    const uint8_t *profile, size_t len);
typedef int (*store_case_cb)(const struct store_case *, void *arg);
/* state 0: every case but erased ones; ordered by opening. */
int store_case_each(struct store *, int state, store_case_cb, void *arg);
/* Closed cases whose closed_at <= before, for retention. */
int store_case_each_closed(struct store *, uint64_t before, store_case_cb, void *arg);
/* Documents of the case's threads not yet receipted (waiting or sealed):
 * erasing now would leave them unsealable and unresendable. */
int store_case_unacked(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    uint64_t *n);

/* What of a case waits for a partner's receipt (store_unacked.c). */
struct store_unacked {
	uint8_t         peer_rik[ENV1_KEY_LEN];
	uint64_t        count;
	uint64_t        newest_at;              /* created_at of the newest */
};

/* Per partner, the case's messages not receipted (*v malloc'ed). */
int store_case_unacked_peers(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    struct store_unacked **v, size_t *n);
/* Drop them (in the open transaction): erasure waited long enough; the
 * case key goes next, and with it what they said. */
int store_case_unacked_drop(struct store *, const uint8_t case_id[ENV1_ID_LEN]);
/* One thread's messages of msg_type not receipted: how many, and when the
 * newest was queued (0 when none). */
int store_thread_unacked(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint64_t *count, uint64_t *newest_at);
/* Drop every message of the thread not receipted (in the open
 * transaction): its key goes next. */
int store_thread_unacked_drop(struct store *, const uint8_t thread_id[ENV1_ID_LEN]);
/* Erase: destroy the case key and every thread key of the case
 * (crypto-shredding), delete its held documents and consent scopes, and
 * mark it erased.  Runs its own transactions: the erasure journal's
 * record first (store_backup.h), then keystore.db, then data.db. */
int store_case_erase(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now);
/* 1 when a key of the case or of one of its threads is still in
 * keystore.db, 0 when none is, or an errno. */
int store_case_keys_left(struct store *, const uint8_t case_id[ENV1_ID_LEN]);

/* --- case threads ------------------------------------------------------ */

#define CT_ALERT_REQUEST        0x1u    /* reply to the request overdue */
#define CT_ALERT_REINT          0x2u    /* reply to the reintegration request overdue */
#define CT_ALERT_ARRIVAL        0x4u    /* arrival not confirmed in time */
#define CT_ALERT_NO_SHOW        0x8u    /* reported not arrived */
/* Not alerts: the partner's data in the thread is to be erased (our
 * ErasureConfirmation was receipted), and was. */
#define CT_ERASE_DUE            0x100u
#define CT_ERASED               0x200u

struct store_case_thread {
	uint8_t         thread_id[ENV1_ID_LEN];
	uint8_t         case_id[ENV1_ID_LEN];
	uint8_t         peer_rik[ENV1_KEY_LEN];
	struct flow_state flow;
	uint32_t        alerted;        /* CT_ALERT_* raised; CT_ERASE_* */
	uint64_t        updated_at;
	/* After a no-show: what a supervisor found (enum case_outcome), who
	 * and when; 0 while nobody has decided. */
	int             outcome;
	char            outcome_by[STORE_NAME_LEN];
	uint64_t        outcome_at;
	uint64_t        alerted_at;     /* the urgent alert last raised, ms */
};

/* Insert or replace by thread_id. */
int store_ct_put(struct store *, const struct store_case_thread *);
int store_ct_get(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    struct store_case_thread *out);
int store_ct_find(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    const uint8_t peer_rik[ENV1_KEY_LEN], struct store_case_thread *out);
typedef int (*store_ct_cb)(const struct store_case_thread *, void *arg);
/* case_id NULL: every thread of every case that is not erased. */
int store_ct_each(struct store *, const uint8_t *case_id, store_ct_cb, void *arg);

/* --- consents ---------------------------------------------------------- */

enum store_consent_source {
	CONSENT_RECORDED = 1,           /* recorded here by an operator */
	CONSENT_RECEIVED = 2,           /* came with a partner's document */
};

struct store_consent {
	struct consent  c;
	uint8_t         case_id[ENV1_ID_LEN];
	char            recorded_by[STORE_NAME_LEN];
	uint64_t        recorded_at;
	int             source;
	int             in_error;       /* revoked: recorded in error, not withdrawn */
	/* The consent notice she was given (control.proto ConsentRecord):
	 * its language and the SHA-256 of its text; has_notice 0: none. */
	char            notice_language[STORE_LANGUAGE_LEN];
	uint8_t         notice_sha256[STORE_SHA256_LEN];
	int             has_notice;
};

/* scope: the encoded ConsentScope, stored encrypted. */
int store_consent_insert(struct store *, const struct store_consent *,
    const uint8_t *scope, size_t scope_len);
/* Every consent of the case (withdrawn ones too), oldest first. */
int store_consent_list(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    struct store_consent **out, size_t *n);
int store_consent_scope(struct store *, const struct store_consent *,
    uint8_t **scope, size_t *len);
/* consent_id NULL: all of the case.  *n: how many were in force.
 * in_error: revoked because it was recorded by mistake (the person did
 * not withdraw it). */
int store_consent_withdraw(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    const uint8_t *consent_id, uint64_t at, int in_error, unsigned *n);

/* --- a thread's messages for a case report (store_report.c) ------------ */

typedef int (*store_msg_id_cb)(const uint8_t message_id[ENV1_ID_LEN], void *arg);
/* The ids of the documents we sent (received 0: outbox) or received
 * (inbox) in the thread, in thread order, receipts left out; cb's
 * non-zero stops (a negative is returned). */
int store_thread_messages(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    int received, store_msg_id_cb cb, void *arg);

/* --- what a withdrawal does to a thread (store_withdraw.c) -------------- */

/* Cancel the thread's documents not sealed yet whose msg_type bit
 * (1u << msg_type, for types below 32) is in cancel, and close the gap:
 * the unsealed documents left are renumbered after the last sealed one,
 * so the partner never waits for a position that will not come (nothing
 * unsealed was ever seen by it).  *n counts the cancelled. */
int store_out_cancel_unsealed(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint32_t cancel, unsigned *n);
/* The newest document of msg_type the partner sent in the thread;
 * -ENOENT when none. */
int store_in_last_of_type(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint8_t message_id[ENV1_ID_LEN]);
/* The same among positions before before_seq. */
int store_in_last_before(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint64_t before_seq, uint8_t message_id[ENV1_ID_LEN]);

/* --- held documents ---------------------------------------------------- */

enum store_held_state {
	HELD_CONSENT = 1,               /* no consent covers it yet */
	HELD_APPROVAL = 2,              /* safety exception: a second supervisor */
	HELD_RELEASED = 3,
	HELD_CANCELLED = 4,             /* consent withdrawn, or the case closed */
	HELD_PARTNER_SAFETY = 5,        /* not a draft: the SafetyException a
	                                   partner's request came under (body),
	                                   the basis of our answers to it */
};

const char *store_held_state_name(int state);

struct store_held {
	uint8_t         held_id[ENV1_ID_LEN];
	uint8_t         case_id[ENV1_ID_LEN];
	uint8_t         peer_rik[ENV1_KEY_LEN];
	uint16_t        msg_type;
	int             state;
	uint32_t        categories;
	char            missing[STORE_MISSING_LEN];
	uint64_t        created_at;
	char            created_by[STORE_NAME_LEN];
	char            approved_by[STORE_NAME_LEN];    /* safety exception: first */
	uint64_t        released_at;
	uint8_t         message_id[ENV1_ID_LEN];        /* once released */
	uint8_t         replaced_by[ENV1_ID_LEN];       /* cancelled for a newer
	                                                   draft; zero: not */
};

/* body: the encoded document (header filled), stored encrypted; safety:
 * the reason for the safety exception, or NULL. */
int store_held_insert(struct store *, const struct store_held *,
    const uint8_t *body, size_t len, const char *safety);
int store_held_get(struct store *, const uint8_t held_id[ENV1_ID_LEN],
    struct store_held *out);
/* Body and safety reason, decrypted (secret_free both; *safety NULL when
 * none). */
int store_held_body(struct store *, const struct store_held *, uint8_t **body,
    size_t *len, char **safety);
/* The reasons of the safety exception's first and second approvals,
 * decrypted (secret_free both; NULL when not given). */
int store_held_reasons(struct store *, const struct store_held *, char **first,
    char **second);
/* state, missing, approved_by, released_at, message_id, replaced_by. */
int store_held_update(struct store *, const struct store_held *);
/* The safety exception's reason, for a document a supervisor moves from
 * HELD_CONSENT to HELD_APPROVAL. */
int store_held_set_safety(struct store *, const struct store_held *,
    const char *safety);
/* An approval's reason (which: 1 first, 2 second), under the case key:
 * it is about the person.  -ENOENT when there is no such row. */
int store_held_set_reason(struct store *, const struct store_held *, int which,
    const char *reason);
typedef int (*store_held_cb)(const struct store_held *, void *arg);
/* case_id NULL: all cases; state 0: held and approval only. Oldest first. */
int store_held_each(struct store *, const uint8_t *case_id, int state,
    store_held_cb, void *arg);

/* --- alerts of the procedure ------------------------------------------- */

struct store_alert {
	int64_t         id;
	uint64_t        at;
	char            kind[32];
	int             urgent;
	uint8_t         peer_rik[ENV1_KEY_LEN];
	int             has_peer;
	uint8_t         message_id[ENV1_ID_LEN];
	int             has_message;
	char            case_code[STORE_CODE_LEN];
	char            detail[512];
	uint64_t        acked_at;
	char            acked_by[STORE_NAME_LEN];
	uint32_t        count;          /* alerts counted in this one */
	uint64_t        last_at;        /* the latest of them */
};

/* An alert of a case (detail: ids, codes and times only). */
int store_alert_case(struct store *, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const char *case_code,
    const char *detail, uint64_t at);
/* The same about one message (message_id may be NULL).  0 for a new
 * alert, 1 when counted into an earlier one (not urgent, same kind, peer
 * and case, within the hour, unacknowledged), or a negative errno. */
int store_alert_case_msg(struct store *, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const uint8_t *message_id,
    const char *case_code, const char *detail, uint64_t at);
typedef int (*store_alert_cb)(const struct store_alert *, void *arg);
/* Newest first; all = 0 leaves out acknowledged ones. */
int store_alert_each(struct store *, int all, unsigned limit, store_alert_cb,
    void *arg);
int store_alert_ack(struct store *, int64_t id, const char *by, uint64_t at);
/* Alerts whose alert_command is due (pending, next attempt <= now), urgent
 * first, then oldest: at most limit into out[]. */
int store_alert_pending(struct store *, uint64_t now, unsigned limit,
    struct store_alert *out, size_t *n);
/* alert_command ran: done, or try again at next_at. */
int store_alert_notified(struct store *, int64_t id, int done, uint64_t next_at);
int store_alert_attempts(struct store *, int64_t id, unsigned *attempts);

#endif
