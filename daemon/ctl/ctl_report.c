/*
 * homeward case report and consent notice (issue 13): what a report for
 * the person, for the office's paper file, or a consent notice is made
 * of, as ReportEntry frames (control.proto), with the case's consents
 * (ConsentInfo) and, for the file, its timeline (AuditEntry).  The CLI
 * lays them out in the reader's language.
 *
 * An audited read, refused for an erased case.  Of the documents, a
 * report states only procedure data (the step, the partner, when, the
 * receipt and the fingerprints that prove it) and, for caseworkers and
 * supervisors, the categories each carried and the consent it went under
 * (its header): never a field of the person's data.  Auditors read no
 * documents (ctl_int.h): those facts are withheld from them, and so are
 * the consents' scopes, as 'consent list' does.  Whether the document
 * itself may still be opened is ctl_docgate.c's rule, stated per entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/store/audit.h"
#include "keys/fingerprint.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"

typedef Homeward__Control__ReportEntry Entry;
#define ENTRY_INIT      HOMEWARD__CONTROL__REPORT_ENTRY__INIT

enum purpose { FOR_PERSON = 1, FOR_FILE, FOR_NOTICE };

/* One report being made. */
struct report {
	struct control_client  *cl;
	struct daemon          *d;
	struct store_case       c;
	enum purpose            purpose;
	int                     facts;          /* the role may read document facts */
	const struct store_case_thread *ct;     /* the thread being walked */
	const char             *peer;           /* its partner's agency id */
	char                    signer[FP_DISPLAY_BUFLEN];
	int                     rc;
};

static int
send_entry(struct control_client *cl, Entry *e)
{
	Response r = HOMEWARD__CONTROL__RESPONSE__INIT;

	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_REPORT_ENTRY;
	r.report_entry = e;
	return control_send(cl, &r) != 0 ? -EPIPE : 0;
}

static int
send_agency(struct report *rp, const struct agency_info *info, int self)
{
	Entry e = ENTRY_INIT;

	e.kind = "agency";
	e.peer = (char *)info->agency_id;
	e.name = (char *)info->name;
	e.country = (char *)info->country;
	e.time_zone = (char *)info->time_zone;
	e.self = self;
	if (self)
		e.retention_ms = rp->d->cfg.retention_ms;
	return send_entry(rp->cl, &e);
}

static int
send_case(struct report *rp)
{
	Entry e = ENTRY_INIT;

	e.kind = "case";
	e.detail = rp->c.code;
	e.at = rp->c.opened_at;
	e.state = (char *)store_case_state_name(rp->c.state);
	e.role = (char *)(rp->c.role == CASE_ROLE_DESTINATION ? "destination" :
	    "origin");
	return send_entry(rp->cl, &e);
}

/* Every document's field 1 is its CaseHeader (PROTOCOL 21.1). */
static const Homeward__Referral__CaseHeader *
doc_header(const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(Homeward__Referral__CaseHeader *const *)(const void *)
	    ((const char *)m + f->offset);
}

/* The decision a confirmation carries (field 2, an enum of CATEGORY_CASE:
 * AssistanceConfirmation.decision, ArrivalConfirmation.outcome). */
static const char *
doc_decision(const ProtobufCMessage *m, uint16_t msg_type)
{
	const ProtobufCFieldDescriptor *f;
	const ProtobufCEnumValue *v;

	if (msg_type != ENV1_MSG_ASSISTANCE_CONFIRMATION &&
	    msg_type != ENV1_MSG_ARRIVAL_CONFIRMATION)
		return NULL;
	f = protobuf_c_message_descriptor_get_field(m->descriptor, 2);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_ENUM)
		return NULL;
	v = protobuf_c_enum_descriptor_get_value(f->descriptor,
	    *(const int *)(const void *)((const char *)m + f->offset));
	return v != NULL ? v->name : NULL;
}

/* The facts of a document a report states: its categories, the consent
 * or safety exception it went under, a decision.  id and decision are
 * the caller's buffers. */
static void
doc_facts(uint16_t msg_type, const uint8_t *body, size_t len, Entry *e,
    uint8_t id[ENV1_ID_LEN], char *decision, size_t dlen)
{
	const Homeward__Referral__CaseHeader *h;
	ProtobufCMessage *m;
	const char *dn;
	uint32_t mask = 0;

	if (refcat_of_body(msg_type, body, len, &mask) == 0)
		e->categories = mask & REFCAT_PERSONAL;
	if ((m = case_doc_unpack(msg_type, body, len)) == NULL)
		return;
	if ((h = doc_header(m)) != NULL) {
		if (h->consent != NULL && h->consent->consent_id.len == ENV1_ID_LEN) {
			memcpy(id, h->consent->consent_id.data, ENV1_ID_LEN);
			e->consent_id.data = id;
			e->consent_id.len = ENV1_ID_LEN;
		}
		e->safety = h->safety != NULL;
	}
	if ((dn = doc_decision(m, msg_type)) != NULL) {
		snprintf(decision, dlen, "%s", dn);
		e->detail = decision;
	}
	protobuf_c_message_free_unpacked(m, &pbwipe_allocator);
}

static int
nonzero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 1;
	return 0;
}

/* One document of the thread being walked: m (sent) or in (received). */
static int
send_doc(struct report *rp, const struct store_out *m, const struct store_in *in)
{
	Entry           e = ENTRY_INIT;
	uint8_t        *body = NULL, cid[ENV1_ID_LEN];
	const uint8_t  *h_inner = m != NULL ? m->h_inner : in->h_inner;
	const uint8_t  *rid = m != NULL ? m->receipt_id : in->receipt_id;
	char            decision[64];
	size_t          len = 0;
	int             rc;

	e.kind = "document";
	e.msg_type = m != NULL ? m->msg_type : in->msg_type;
	e.direction = (char *)(m != NULL ? "sent" : "received");
	e.peer = (char *)rp->peer;
	e.at = m != NULL ? m->created_at : in->received_at;
	e.receipt_at = m != NULL ? m->delivered_at : in->committed_at;
	e.message_id.data = (uint8_t *)(m != NULL ? m->message_id : in->message_id);
	e.message_id.len = ENV1_ID_LEN;
	if (nonzero(h_inner, ENV1_HASH_LEN)) {
		e.fingerprint.data = (uint8_t *)h_inner;
		e.fingerprint.len = ENV1_HASH_LEN;
	}
	if (nonzero(rid, ENV1_ID_LEN)) {
		e.receipt_id.data = (uint8_t *)rid;
		e.receipt_id.len = ENV1_ID_LEN;
	}
	e.signer_fingerprint = rp->signer;
	e.shown = ctl_doc_shown(&rp->c, rp->ct, e.msg_type);
	/* What the partner sent, and our copies, went with the thread's key. */
	e.withheld = !rp->facts || (rp->ct->alerted & CT_ERASED);
	if (!e.withheld) {
		if ((rc = ctl_message_body(rp->d, m, in, &body, &len)) != 0)
			return rc;
		doc_facts(e.msg_type, body, len, &e, cid, decision,
		    sizeof(decision));
		secret_free(body);
	}
	return send_entry(rp->cl, &e);
}

static int
sent_cb(const uint8_t id[ENV1_ID_LEN], void *arg)
{
	struct report *rp = arg;
	struct store_out m;
	int rc;

	if ((rc = store_out_get(rp->d->store, id, &m)) != 0)
		return rc;
	return send_doc(rp, &m, NULL);
}

static int
received_cb(const uint8_t id[ENV1_ID_LEN], void *arg)
{
	struct report *rp = arg;
	struct store_in in;
	int rc;

	if ((rc = store_in_get_id(rp->d->store, id, &in)) != 0)
		return rc;
	return send_doc(rp, NULL, &in);
}

/* One thread: its partner, where it stands, what went each way. */
static int
thread_cb(const struct store_case_thread *ct, void *arg)
{
	struct report  *rp = arg;
	struct peer    *p = peers_by_rik(rp->d, ct->peer_rik);
	Entry           e = ENTRY_INIT;
	char            summary[256];
	int             rc;

	rp->ct = ct;
	rp->peer = ctl_agency_of(rp->d, ct->peer_rik);
	fp_display(ct->peer_rik, rp->signer);
	if (p != NULL && (rc = send_agency(rp, &p->b.info, 0)) != 0)
		return rc;
	flow_summary(&ct->flow, summary, sizeof(summary));
	e.kind = "thread";
	e.peer = (char *)rp->peer;
	e.detail = summary;
	e.at = ct->updated_at;
	e.withdrawn = ct->flow.withdrawn;
	e.erased = (ct->alerted & CT_ERASED) != 0;
	e.safety_hold = case_safety_hold(ct);
	e.signer_fingerprint = rp->signer;
	if ((rc = send_entry(rp->cl, &e)) != 0 ||
	    (rc = store_thread_messages(rp->d->store, ct->thread_id, 0, sent_cb,
	    rp)) != 0 ||
	    (rc = store_thread_messages(rp->d->store, ct->thread_id, 1,
	    received_cb, rp)) != 0)
		return rc;
	return 0;
}

/* A notice names the agencies it explains: each must be a pinned peer;
 * sent when the case is known (c.state set), else only checked.  0, 1
 * when refused (answered), or a negative errno. */
static int
notice_agencies(struct report *rp, const Homeward__Control__CaseReport *req)
{
	struct peer *p;
	int rc;

	if (req->n_agencies == 0) {
		control_result(rp->cl, R(USAGE), "a notice names the agencies that "
		    "will receive her data (--to)");
		return 1;
	}
	for (size_t i = 0; i < req->n_agencies; i++) {
		if ((p = peers_by_agency(rp->d, req->agencies[i])) == NULL) {
			control_result(rp->cl, R(NOT_FOUND), "agency %.63s is not a "
			    "partner of this office: check --to against 'homeward "
			    "peers', or import its bundle first", req->agencies[i]);
			return 1;
		}
		if (rp->c.state != 0 && (rc = send_agency(rp, &p->b.info, 0)) != 0)
			return rc;
	}
	return 0;
}

static int
report_body(struct report *rp, const Homeward__Control__CaseReport *req)
{
	struct store_consent   *rows = NULL;
	size_t                  n = 0;
	int                     rc;

	if ((rc = send_agency(rp, &rp->d->keys.dir.pub.info, 1)) != 0 ||
	    (rc = send_case(rp)) != 0)
		return rc;
	if (rp->purpose == FOR_NOTICE)
		return notice_agencies(rp, req);
	if ((rc = store_consent_list(rp->d->store, rp->c.case_id, &rows, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ctl_send_consent(rp->cl, rp->d, &rows[i], 0, rp->facts);
	free(rows);
	if (rc == 0)
		rc = store_ct_each(rp->d->store, rp->c.case_id, thread_cb, rp);
	/* The file's timeline is the case's audit trail (ids and codes). */
	if (rc == 0 && rp->purpose == FOR_FILE)
		rc = audit_list(rp->d->store, rp->c.code, 0, CTL_LIST_MAX,
		    ctl_audit_send_cb, rp->cl);
	return rc;
}

static const char *const purpose_names[] = { NULL, "person", "file", "notice" };

void
ctl_case_report(const struct ctl_call *call, const Request *rq)
{
	const Homeward__Control__CaseReport *req = rq->case_report;
	struct report   rp;
	char            detail[64];
	int             rc;

	memset(&rp, 0, sizeof(rp));
	rp.cl = call->c;
	rp.d = call->d;
	for (int i = FOR_PERSON; i <= FOR_NOTICE; i++)
		if (req->purpose != NULL && strcmp(req->purpose, purpose_names[i]) == 0)
			rp.purpose = (enum purpose)i;
	if (rp.purpose == 0) {
		control_result(rp.cl, R(USAGE), "a report is for the person or for "
		    "the file (--for person|file)");
		return;
	}
	rp.facts = (call->actor.roles & CTL_ROLE_WORK) != 0;
	if (rp.purpose != FOR_FILE && !rp.facts) {
		control_result(rp.cl, R(DENIED), "%s states what her consents cover "
		    "and what was sent about her: a caseworker or supervisor makes "
		    "it; an auditor may make the report for the file",
		    rp.purpose == FOR_PERSON ? "her copy" : "a consent notice");
		return;
	}
	/* Nothing is read, nor audited, for a notice to a stranger. */
	if (rp.purpose == FOR_NOTICE && notice_agencies(&rp, req) != 0)
		return;
	if (ctl_find_case(rp.cl, rp.d, req->ref, &rp.c) != 0)
		return;
	if (rp.c.state == CASE_ERASED || rp.c.state == CASE_ERASING) {
		control_result(rp.cl, R(REFUSED), "case %s is erased: nothing of it "
		    "is left to report or explain; its audit trail remains "
		    "('homeward audit list %s')", rp.c.code, rp.c.code);
		return;
	}
	snprintf(detail, sizeof(detail), "%s for the %s",
	    rp.purpose == FOR_NOTICE ? "consent notice" : "case report",
	    rp.purpose == FOR_FILE ? "file" : "person");
	if ((rc = audit_append(rp.d->store, call->actor.name, AUDIT_REPORT,
	    rp.c.code, NULL, detail, clock_now())) != 0) {
		ctl_store_result(rp.cl, rc, "case report");
		return;
	}
	audit_anchor_sync(rp.d->store);
	if ((rc = report_body(&rp, req)) == 0)
		control_result(rp.cl, R(OK), "ok");
	else if (rc > 0 || rc == -EPIPE)
		return;         /* answered, or the client is gone */
	else
		ctl_store_result(rp.cl, rc, "case report");
}
