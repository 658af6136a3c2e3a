/*
 * What case.c, case_consent.c and case_recv.c share and nothing else
 * uses: documents with their header, held documents, the gate, and
 * queueing a document in a case's thread.
 */
#ifndef HOMEWARD_DAEMON_CASE_CASE_INT_H
#define HOMEWARD_DAEMON_CASE_CASE_INT_H

#include "daemon/base/config.h"
#include "daemon/base/lang.h"
#include "daemon/case/case.h"
#include "daemon/case/case_profile.h"    /* the profile a step states */
#include "proto/referral.pb-c.h"

/* The document's CaseHeader slot (field 1 of every document). */
Homeward__Referral__CaseHeader **case_doc_header(ProtobufCMessage *);
/* Pack into secret memory (secret_free); -EMSGSIZE over ENV1_MAX_INLINE. */
int case_doc_pack(const ProtobufCMessage *, uint8_t **out, size_t *len);
void case_doc_free(ProtobufCMessage *);         /* NULL ok */

/* Held documents of a case in state (0: held and approval); *out malloc'ed. */
int case_held_list(struct daemon *, const uint8_t case_id[ENV1_ID_LEN], int state,
    struct store_held **out, size_t *n);
/* Cancel everything the case holds (open transaction). */
int case_cancel_held(struct daemon *, const struct store_case *, const char *actor,
    const char *why);

/* a may approve the safety exception, or decide what became of a person:
 * a supervisor, and not homewardd's own uid.  homewardd's own account is
 * not a person: whoever runs the CLI as it would otherwise be a second
 * supervisor under any name. */
static inline int
case_may_approve(const struct case_actor *a)
{
	return (a->roles & ROLE_SUPERVISOR) != 0 && !config_uid_is_daemon(a->uid);
}
/* At the origin: keep the SafetyException a partner's request for
 * assistance came under (open transaction; nothing for other documents),
 * and find it again for an answer of msg_type to p no consent covers
 * (*out NULL when there is none; free with pbwipe_allocator). */
int case_keep_received_safety(struct daemon *, const struct peer *,
    uint16_t msg_type, const Homeward__Referral__CaseHeader *,
    const struct store_case *);
int case_partner_safety(struct daemon *, const struct store_case *,
    const struct peer *, uint16_t msg_type,
    Homeward__Referral__SafetyException **out);
/* The first 8 bytes of a reason's SHA-256 in hex, all the audit log keeps
 * of an approval's or a cancellation's reason: audit rows outlive the
 * case's erasure and must hold no personal data. */
#define CASE_REASON_TAG_LEN     17
void case_reason_tag(const char *reason, char out[CASE_REASON_TAG_LEN]);
/* A newer draft (newer: held, or queued) of msg_type to peer_rik cancels
 * the case's older live held drafts of that step as replaced by it, each
 * audited; res (may be NULL) learns the one it replaced.  In the open
 * transaction. */
int case_held_supersede(struct daemon *, const struct store_case *,
    const uint8_t peer_rik[ENV1_KEY_LEN], uint16_t msg_type,
    const struct case_step_result *newer, const char *actor,
    struct case_step_result *res);

/* "departure notification (final)": the step as the timeline says it. */
const char *case_step_label(uint16_t msg_type, const ProtobufCMessage *doc);

/* After flow_apply: a new reply-by or arrival deadline re-arms its alert. */
void case_rearm(struct store_case_thread *, uint16_t msg_type,
    const ProtobufCMessage *doc);

/* The case's consents: rows, and the plain array the gate reads. */
int case_consents(struct daemon *, const uint8_t case_id[ENV1_ID_LEN],
    struct store_consent **rows, struct consent **plain, size_t *n);
/* The gate for one document; covered: *scope = the consent's encoded
 * ConsentScope (secret_free); else missing says what lacks. */
int case_gate(struct daemon *, const struct store_case *, const struct peer *,
    uint16_t msg_type, uint32_t categories, struct consent_verdict *,
    char *missing, size_t missinglen, uint8_t **scope, size_t *scope_len);
/* What case_gate's missing says (in English, as it is kept), in the
 * request's language, for an answer. */
void case_gate_say(const struct peer *, uint16_t msg_type, uint32_t categories,
    const struct consent_verdict *, char *out, size_t outlen);

/* The threads of a case (case_id NULL: of every case not erased) that
 * keep accepts (keep NULL: all), copied into *out (malloc'ed, the
 * caller's to free even when empty): a list to change while no walk over
 * the table is open. */
int case_threads(struct daemon *, const uint8_t *case_id,
    int (*keep)(const struct store_case_thread *),
    struct store_case_thread **out, size_t *n);
/* The case's thread with p; a new one (not stored yet) for a case we
 * referred, -ENOENT otherwise. */
int case_thread_for(struct daemon *, const struct store_case *, const struct peer *,
    struct store_case_thread *, int *is_new);
/* Header on, pack, queue, advance the thread's state, audit: in the open
 * transaction. */
int case_queue_doc(struct daemon *, const struct store_case *, struct peer *,
    struct store_case_thread *, int new_thread, uint16_t msg_type,
    ProtobufCMessage *doc, Homeward__Referral__ConsentScope *scope,
    Homeward__Referral__SafetyException *safety, const char *actor,
    uint8_t message_id[ENV1_ID_LEN]);
/* Send one held document (open transaction); *sent = 0 when its peer is
 * away (it stays held) or the order rules now refuse it (cancelled). */
int case_release_one(struct daemon *, const struct store_case *,
    struct store_held *, Homeward__Referral__ConsentScope *,
    Homeward__Referral__SafetyException *, const char *actor, int *sent);

/* The step documents a withdrawal cancels before they are sealed, and
 * those that still go while she travels. */
#define CASE_STEPS_ALL          0xfeu           /* bits 1-7 */
#define CASE_STEPS_TRAVEL       ((1u << ENV1_MSG_DEPARTURE_NOTIFICATION) | \
	                         (1u << ENV1_MSG_ARRIVAL_CONFIRMATION))

/* case_withdraw.c: a partner's withdrawal and the safety hold. */
/* The partner, not we, withdrew consent in ct. */
int case_withdrawn_by_partner(const struct store_case *,
    const struct store_case_thread *);
/* The partner's ConsentWithdrawal w became current in ct (inbound
 * transaction): restrict, alert, confirm the erasure or hold it. */
int case_partner_withdrew(struct daemon *, struct peer *, const struct store_case *,
    struct store_case_thread *, const struct store_in *,
    const Homeward__Referral__ConsentWithdrawal *w);
/* Queue our ErasureConfirmation of withdrawal_id (open transaction). */
int case_confirm_erasure(struct daemon *, const struct store_case *, struct peer *,
    struct store_case_thread *, const uint8_t withdrawal_id[ENV1_ID_LEN]);
/* Threads whose safety hold ended: confirm the erasure now (case_tick). */
void case_confirm_after_hold(struct daemon *);

/* case_arrival.c: the urgent no-show alert, repeated until an outcome is
 * recorded (open transaction; ct stored). */
int case_no_show(struct daemon *, struct store_case_thread *, const char *code,
    const char *detail);

/* -EPERM (why) while a thread of the case is in safety hold: closing it
 * would drop her arrival. */
int case_travelling(struct daemon *, const struct store_case *, char *why,
    size_t whylen);
/* A minor met on arrival is handed over to someone: an arrival
 * confirmation (MET) of a minor's case must say to whom (-EPERM, why). */
int case_handover_check(struct daemon *, const struct store_case *,
    uint16_t msg_type, const ProtobufCMessage *doc, char *why, size_t whylen);

/* "2026-12-06 07:31 UTC". */
void case_time_text(uint64_t ms, char *buf, size_t len);

#endif
