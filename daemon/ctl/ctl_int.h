/*
 * What the files of the control room share: the call every handler
 * answers, the handlers (one file per subject), and the helpers beneath
 * them.  Calls go one way only:
 *
 *   ctl.c  ->  ctl_request.c, and
 *   ctl.c  ->  ctl_daemon.c ctl_msgs.c ctl_case.c ctl_consent.c
 *              ctl_step.c ctl_alert.c ctl_backup.c ctl_report.c  ->
 *              ctl_docgate.c  ->  ctl_reply.c
 *              ->  ctl_result.c
 *
 * (ctl.c and every handler file may call ctl_result.c directly.)
 */
#ifndef HOMEWARD_DAEMON_CTL_INT_H
#define HOMEWARD_DAEMON_CTL_INT_H

#include <sys/types.h>

#include "daemon/base/lang.h"
#include "daemon/case/case.h"
#include "daemon/core/core.h"
#include "daemon/ctl/ctl.h"

struct audit_entry;

/* Rows a listing sends when the request names no limit, and at most. */
#define CTL_LIST_DEFAULT        100
#define CTL_LIST_MAX            10000
/* Who works cases; who may read them (auditors: never documents). */
#define CTL_ROLE_WORK           (ROLE_CASEWORKER | ROLE_SUPERVISOR)
#define CTL_ROLE_READ           (ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_AUDITOR)

#define R(x)    HOMEWARD__CONTROL__RESULT_CODE__RESULT_##x

/* An alert's text for the listing (ctl_alert_text.c): detail itself in
 * English, else the kind said in the request's language then detail,
 * in buf. */
const char *ctl_alert_text(const char *kind, const char *detail, char *buf,
    size_t len);

typedef Homeward__Control__Request  Request;
typedef Homeward__Control__Response Response;

/* One request being answered: who asked, on which connection.  ctl.c
 * fills it after the role check; actor is the caller as the procedure
 * and the audit log name it. */
struct ctl_call {
	struct control_client  *c;
	struct daemon          *d;
	uid_t                   uid;
	struct case_actor       actor;
};

/* A handler: answers with control_send (data) and ends with exactly one
 * control_result.  The caller's role is already checked. */
typedef void ctl_handler(const struct ctl_call *, const Request *);

/* A store walk that sends one response per row; rc is the first send's
 * failure (then the client is gone and no result is due). */
struct ctl_walk {
	struct control_client  *cl;
	struct daemon          *d;
	int                     rc;
};

/* --- request ids (ctl_request.c) ----------------------------------------- */

/* Before the handler: 0 to run it (a new request id is armed in the store
 * for its commits); -1 when answered already: a request id carried out
 * before (answered with what it did), or a bad one. */
int ctl_request_begin(const struct ctl_call *, const Request *);
/* After the handler: the request id no longer armed. */
void ctl_request_end(const struct ctl_call *, const Request *);

/* --- results (ctl_result.c) ------------------------------------------------ */

/* A store failure as a result: "WHAT: the disk is full; nothing was
 * changed" and the like.  Returns control_result's value. */
int ctl_store_result(struct control_client *, int rc, const char *what);
/* 0 when uid holds one of roles; else answers RESULT_DENIED and -1. */
int ctl_need_role(struct control_client *, struct daemon *, uid_t uid,
    unsigned roles, const char *what);
/* case.h's errors as results: rc and its explanation why; a store failure
 * is named after what. */
void ctl_case_result(struct control_client *, int rc, const char *why,
    const char *what);
/* The case ref names into out; else answers and -1. */
int ctl_find_case(struct control_client *, struct daemon *,
    const Homeward__Control__CaseRef *ref, struct store_case *out);
/* The agency id of a peer's root key, or "(removed)". */
const char *ctl_agency_of(struct daemon *, const uint8_t rik[ENV1_KEY_LEN]);
/* The body of a sent message m (from the outbox) or of a received one in
 * (from its evidence record, whose length must be the ledger's), in
 * secret memory (secret_free); -EBADMSG when the evidence is broken. */
int ctl_message_body(struct daemon *, const struct store_out *m,
    const struct store_in *in, uint8_t **body, size_t *len);

/* --- documents that may be shown (ctl_docgate.c) ----------------------------- */

/* Whether a document of msg_type in thread ct of case c may be shown. */
int ctl_doc_shown(const struct store_case *c,
    const struct store_case_thread *ct, uint32_t msg_type);
/* Answers RESULT_REFUSED for a document ctl_doc_shown refused. */
void ctl_doc_refuse(struct control_client *, const struct store_case *c,
    const struct store_case_thread *ct);
/* A message's document about to be shown: 0 with code its case's code,
 * or "" when the thread is no case's (a test document); else answered
 * (refused, or a store failure) and -1. */
int ctl_doc_gate(struct control_client *, struct daemon *,
    const uint8_t message_id[ENV1_ID_LEN], const uint8_t thread_id[ENV1_ID_LEN],
    uint32_t msg_type, char code[STORE_CODE_LEN]);

/* --- records several handlers send (ctl_reply.c) -------------------------- */

/* A consent record; with_scope 0 is an auditor's view, without the scope.
 * 0, -EPIPE when the client is gone, or a store error. */
int ctl_send_consent(struct control_client *, struct daemon *,
    const struct store_consent *, unsigned released, int with_scope);
/* A held document; shown: what `held show` adds (fields 20 and up), or
 * NULL.  0, or -EPIPE when the client is gone. */
int ctl_send_held(struct control_client *, struct daemon *,
    const struct store_held *, const Homeward__Control__HeldInfo *shown);
/* store_held_each callbacks: arg is a struct ctl_walk. */
int ctl_held_send_cb(const struct store_held *, void *arg);
/* audit_list callback: arg is the struct control_client. */
int ctl_audit_send_cb(const struct audit_entry *, void *arg);

/* --- the handlers ------------------------------------------------------------ */

/* ctl_daemon.c: the daemon and its peers */
ctl_handler ctl_status, ctl_peers_list, ctl_peer_import, ctl_peer_action,
    ctl_log_level;
/* ctl_msgs.c: messages in the outbox and inbox */
ctl_handler ctl_message_list, ctl_message_show, ctl_evidence_export,
    ctl_send_document;
/* ctl_case.c: cases */
ctl_handler ctl_case_open, ctl_case_list, ctl_case_show, ctl_case_close,
    ctl_case_update;
/* ctl_arrival.c */
ctl_handler ctl_case_outcome;
/* ctl_consent.c: consent */
ctl_handler ctl_consent_record, ctl_consent_list, ctl_consent_withdraw;
/* ctl_step.c: the procedure's documents: steps, held, approvals */
ctl_handler ctl_step_send, ctl_held_list, ctl_held_show, ctl_held_cancel,
    ctl_approve, ctl_document_show;
/* ctl_report.c: case reports and what a consent notice is made of */
ctl_handler ctl_case_report;
/* ctl_alert.c: alerts, the audit log, the worklist */
ctl_handler ctl_alert_list, ctl_alert_ack, ctl_audit_verify, ctl_audit_list,
    ctl_worklist;
/* ctl_backup.c: a backup of both databases, sent as it is made */
ctl_handler ctl_backup;

#endif
