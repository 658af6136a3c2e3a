/*
 * The procedure's documents: sending a step through the consent gate,
 * listing what it holds, a supervisor's approval under the safety
 * exception, and showing a case's document (audited before it is shown).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/base/log.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"

static void
send_step(struct control_client *cl, const struct case_step_result *res,
    uint16_t msg_type)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__StepResult   sr = HOMEWARD__CONTROL__STEP_RESULT__INIT;

	sr.state = (char *)(res->state == CASE_STEP_QUEUED ? "queued" :
	    res->state == CASE_STEP_HELD ? "held" : "approval");
	if (res->state == CASE_STEP_QUEUED) {
		sr.message_id.data = (uint8_t *)res->message_id;
		sr.message_id.len = ENV1_ID_LEN;
	} else {
		sr.held_id.data = (uint8_t *)res->held_id;
		sr.held_id.len = ENV1_ID_LEN;
	}
	sr.missing = (char *)res->missing;
	sr.msg_type = msg_type;
	sr.peer = (char *)res->peer;
	sr.categories = res->categories;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STEP;
	r.step = &sr;
	control_send(cl, &r);
}

void
ctl_step_send(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__StepSend *req = rq->step_send;
	struct case_step_result res;
	struct store_case       c;
	struct store_held       h;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if (req->msg_type > UINT16_MAX || req->document.len > ENV1_MAX_INLINE) {
		control_result(cl, R(USAGE), _("a step is a type 1-7 and a document of "
		    "at most %u bytes"), ENV1_MAX_INLINE);
		return;
	}
	rc = case_step_send(d, &(struct case_step_request){
	    .actor = a, .c = &c, .peer_agency = req->peer,
	    .msg_type = (uint16_t)req->msg_type, .doc = req->document.data,
	    .doc_len = req->document.len, .waive = req->waive_rules,
	    .nwaive = req->n_waive_rules, .waiver_reason = req->waiver_reason,
	    .safety_reason = req->safety_reason }, &res, why, sizeof(why));
	if (rc != 0) {
		ctl_case_result(cl, rc, why, "send");
		return;
	}
	send_step(cl, &res, (uint16_t)req->msg_type);
	/* The older draft this one replaced, cancelled: the CLI says so. */
	if (res.has_replaced && store_held_get(d->store, res.replaced, &h) == 0 &&
	    ctl_send_held(cl, d, &h, NULL) != 0)
		return;
	if (res.state == CASE_STEP_QUEUED && res.partner_safety)
		/* Not translated: homeward recognises these words (cmd_step.c)
		 * and says them itself. */
		control_result(cl, R(OK), "queued for %s under the partner's safety "
		    "exception: no consent covers it", res.peer);
	else if (res.state == CASE_STEP_QUEUED)
		control_result(cl, R(OK), _("queued for %s"), res.peer);
	else if (res.state == CASE_STEP_HELD)
		control_result(cl, R(OK), _("held: %s"), res.missing);
	else
		control_result(cl, R(OK), _("held for the safety exception: %s"),
		    res.missing);
}

void
ctl_held_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__HeldList *req = rq->held_list;
	struct ctl_walk         w = { cl, d, 0 };
	struct store_case       c;
	const uint8_t          *cid = NULL;
	int                     rc;

	if (req->ref != NULL && req->ref->code != NULL && *req->ref->code != '\0') {
		if (ctl_find_case(cl, d, req->ref, &c) != 0)
			return;
		cid = c.case_id;
	}
	if ((rc = store_held_each(d->store, cid, HELD_CONSENT, ctl_held_send_cb, &w)) == 0)
		rc = store_held_each(d->store, cid, HELD_APPROVAL, ctl_held_send_cb, &w);
	if (w.rc != 0)
		return;
	if (rc != 0)
		ctl_store_result(cl, rc, "held");
	else
		control_result(cl, R(OK), _("ok"));
}

void
ctl_held_show(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *cl = call->c;
	struct daemon                  *d = call->d;
	const Homeward__Control__HeldShow *req = rq->held_show;
	Homeward__Control__HeldInfo     hi = HOMEWARD__CONTROL__HELD_INFO__INIT;
	struct case_held_view           v;
	char                            why[CASE_WHY_LEN] = "";
	int                             rc;

	if (req->held_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), _("a held id is 32 hexadecimal digits"));
		return;
	}
	if ((rc = case_held_show(d, &call->actor, req->held_id.data, &v, why,
	    sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "held show");
		return;
	}
	audit_anchor_sync(d->store);
	hi.document.data = v.body;
	hi.document.len = v.len;
	hi.safety_reason = v.safety != NULL ? v.safety : "";
	hi.first_reason = v.first_reason != NULL ? v.first_reason : "";
	hi.second_reason = v.second_reason != NULL ? v.second_reason : "";
	hi.second_approved_by = v.second_by;
	hi.case_state = (char *)store_case_state_name(v.c.state);
	rc = ctl_send_held(cl, d, &v.h, &hi);
	case_held_view_free(&v);
	if (rc == 0)
		control_result(cl, R(OK), _("ok"));
}

void
ctl_held_cancel(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__HeldCancel *req = rq->held_cancel;
	struct store_held       h;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (req->held_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), _("a held id is 32 hexadecimal digits"));
		return;
	}
	if ((rc = case_held_cancel(d, &call->actor, req->held_id.data, req->reason,
	    why, sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "held cancel");
		return;
	}
	if (store_held_get(d->store, req->held_id.data, &h) == 0 &&
	    ctl_send_held(cl, d, &h, NULL) != 0)
		return;
	control_result(cl, R(OK), _("held document %s cancelled: it will not be "
	    "sent"), log_hex(req->held_id.data, ENV1_ID_LEN));
}

void
ctl_approve(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__Approve *req = rq->approve;
	struct case_step_result res;
	struct store_held       h;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "", hint[128];
	int                     rc, read = 0;

	if (req->held_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), _("a held id is 32 hexadecimal digits"));
		return;
	}
	if ((rc = case_approve(d, a, req->held_id.data, req->reason, &res, why,
	    sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "approve");
		return;
	}
	if (store_held_get(d->store, req->held_id.data, &h) != 0)
		h.msg_type = 0;
	send_step(cl, &res, h.msg_type);
	/* Approving blind is allowed, but said: the read is what counts. */
	if (store_case_get_id(d->store, h.case_id, &c) != 0 ||
	    case_held_was_read(d, &c, h.held_id, a->name, &read) != 0 || read)
		hint[0] = '\0';
	else    /* English: homeward finds " (you approved" (cmd_work.c) */
		snprintf(hint, sizeof(hint), " (you approved without reading it: "
		    "`homeward held show %s` shows the document and the reason)",
		    log_hex(h.held_id, ENV1_ID_LEN));
	if (res.state == CASE_STEP_QUEUED)
		control_result(cl, R(OK), _("second approval: sent under the safety "
		    "exception%s"), hint);
	else
		control_result(cl, R(OK), _("first approval recorded; a second, "
		    "different supervisor must approve%s"), hint);
}

void
ctl_document_show(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *cl = call->c;
	struct daemon                  *d = call->d;
	const struct case_actor        *a = &call->actor;
	const Homeward__Control__DocumentShow *req = rq->document_show;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Document     doc = HOMEWARD__CONTROL__DOCUMENT__INIT;
	struct store_case_thread        ct;
	struct store_case               c;
	struct store_out                m;
	struct store_in                 in;
	const uint8_t                  *thread_id, *peer_rik;
	uint8_t                        *body = NULL;
	size_t                          len = 0;
	int                             rc, out;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), _("a message id is 32 hexadecimal digits"));
		return;
	}
	if (store_out_get(d->store, req->message_id.data, &m) == 0) {
		out = 1;
		thread_id = m.thread_id;
		peer_rik = m.peer_rik;
		doc.msg_type = m.msg_type;
		doc.at = m.created_at;
	} else if (store_in_get_id(d->store, req->message_id.data, &in) == 0) {
		out = 0;
		thread_id = in.thread_id;
		peer_rik = in.sender_rik;
		doc.msg_type = in.msg_type;
		doc.at = in.committed_at;
	} else {
		control_result(cl, R(NOT_FOUND), _("no message %s"),
		    log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (store_ct_get(d->store, thread_id, &ct) != 0 ||
	    store_case_get_id(d->store, ct.case_id, &c) != 0) {
		control_result(cl, R(NOT_FOUND), _("message %s is not a document of a "
		    "case"), log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (!ctl_doc_shown(&c, &ct, doc.msg_type)) {
		ctl_doc_refuse(cl, &c, &ct);
		return;
	}
	rc = ctl_message_body(d, out ? &m : NULL, out ? NULL : &in, &body, &len);
	/* The read is recorded before anything is shown. */
	if (rc == 0 && (rc = audit_append(d->store, a->name, AUDIT_READ, c.code,
	    req->message_id.data, out ? "sent document" : "received document",
	    clock_now())) == 0)
		audit_anchor_sync(d->store);
	if (rc != 0) {
		secret_free(body);
		ctl_store_result(cl, rc, "document");
		return;
	}
	doc.message_id.data = req->message_id.data;
	doc.message_id.len = ENV1_ID_LEN;
	doc.direction = (char *)(out ? "sent" : "received");
	doc.case_code = c.code;
	doc.peer = (char *)ctl_agency_of(d, peer_rik);
	doc.body.data = body;
	doc.body.len = len;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_DOCUMENT;
	r.document = &doc;
	control_send(cl, &r);
	secret_free(body);
	control_result(cl, R(OK), _("ok"));
}
