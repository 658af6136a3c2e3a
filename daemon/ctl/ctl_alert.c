/*
 * What needs attention and what happened: alerts (listing,
 * acknowledging), the audit log (verifying its chain, reading it) and
 * the worklist (held documents, queued steps, answers due or overdue).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"

/* --- alerts and audit ------------------------------------------------------------ */

static int
alert_cb(const struct store_alert *al, void *arg)
{
	struct ctl_walk                *w = arg;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__AlertInfo    ai = HOMEWARD__CONTROL__ALERT_INFO__INIT;
	char                            text[1024];

	ai.id = (uint64_t)al->id;
	ai.at = al->at;
	ai.kind = (char *)al->kind;
	ai.urgent = al->urgent;
	ai.peer = (char *)(al->has_peer ? ctl_agency_of(w->d, al->peer_rik) : "");
	ai.case_code = (char *)al->case_code;
	if (al->has_message) {
		ai.message_id.data = (uint8_t *)al->message_id;
		ai.message_id.len = ENV1_ID_LEN;
	}
	ai.detail = (char *)ctl_alert_text(al->kind, al->detail, text,
	    sizeof(text));
	ai.acked_at = al->acked_at;
	ai.acked_by = (char *)al->acked_by;
	ai.count = al->count;
	ai.last_at = al->last_at;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_ALERT;
	r.alert = &ai;
	return (w->rc = control_send(w->cl, &r)) != 0 ? -1 : 0;
}

void
ctl_alert_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__AlertList *req = rq->alert_list;
	struct ctl_walk         w = { cl, d, 0 };
	unsigned                limit = req->limit ? req->limit : CTL_LIST_DEFAULT;
	int                     rc;

	if (limit > CTL_LIST_MAX)
		limit = CTL_LIST_MAX;
	rc = store_alert_each(d->store, req->all, limit, alert_cb, &w);
	if (w.rc != 0)
		return;
	if (rc != 0)
		ctl_store_result(cl, rc, "alerts");
	else
		control_result(cl, R(OK), _("ok"));
}

static int
alert_find_cb(const struct store_alert *al, void *arg)
{
	struct store_alert *want = arg;

	if (al->id != want->id)
		return 0;
	*want = *al;
	return 1;
}

void
ctl_alert_ack(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__AlertAck *req = rq->alert_ack;
	struct store_alert      al;
	char                    detail[96];
	int                     rc;

	if (req->id == 0 || req->id > INT64_MAX) {
		control_result(cl, R(USAGE), _("name the alert by its number"));
		return;
	}
	/* Which alert was acknowledged, for the audit entry: its number and
	 * kind (ids and codes only, as every audit detail). */
	memset(&al, 0, sizeof(al));
	al.id = (int64_t)req->id;
	if ((rc = store_alert_each(d->store, 0, INT32_MAX, alert_find_cb,
	    &al)) != 0) {
		ctl_store_result(cl, rc, "alert ack");
		return;
	}
	snprintf(detail, sizeof(detail), "alert %llu (%s) acknowledged",
	    (unsigned long long)req->id, al.kind[0] != '\0' ? al.kind : "unknown");
	rc = store_alert_ack(d->store, (int64_t)req->id, a->name, clock_now());
	if (rc == -ENOENT) {
		control_result(cl, R(NOT_FOUND), _("no unacknowledged alert %llu; "
		    "`homeward alerts` lists them"), (unsigned long long)req->id);
		return;
	}
	if (rc == 0)
		rc = audit_append(d->store, a->name, AUDIT_ALERT_ACK, al.case_code,
		    al.has_message ? al.message_id : NULL, detail, clock_now());
	if (rc != 0) {
		ctl_store_result(cl, rc, "alert ack");
		return;
	}
	audit_anchor_sync(d->store);
	control_result(cl, R(OK), _("alert %llu acknowledged"),
	    (unsigned long long)req->id);
}

void
ctl_audit_verify(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *cl = call->c;
	struct daemon                  *d = call->d;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__AuditReport  ar = HOMEWARD__CONTROL__AUDIT_REPORT__INIT;
	uint64_t                        checked = 0, first_bad = 0;
	const char                     *why = "";
	int                             rc;

	(void)rq;
	rc = audit_verify(d->store, &checked, &first_bad, &why);
	if (rc != 0 && rc != -EBADMSG) {
		ctl_store_result(cl, rc, "audit verify");
		return;
	}
	ar.intact = rc == 0;
	ar.checked = checked;
	ar.first_bad = first_bad;
	ar.why = (char *)(why != NULL ? why : "");
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT_REPORT;
	r.audit_report = &ar;
	control_send(cl, &r);
	if (rc == 0)
		control_result(cl, R(OK), _("the audit log is intact: %llu entries"),
		    (unsigned long long)checked);
	else
		control_result(cl, R(REFUSED), _("the audit log is broken at entry %llu: "
		    "%s"), (unsigned long long)first_bad, ar.why);
}

void
ctl_audit_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client *cl = call->c;
	struct daemon  *d = call->d;
	const Homeward__Control__AuditList *req = rq->audit_list;
	const char     *code = NULL;
	unsigned        limit = req->limit ? req->limit : CTL_LIST_DEFAULT;
	int             rc;

	if (req->ref != NULL && req->ref->code != NULL && *req->ref->code != '\0')
		code = req->ref->code;
	if (limit > CTL_LIST_MAX)
		limit = CTL_LIST_MAX;
	if ((rc = audit_list(d->store, code, req->after, limit, ctl_audit_send_cb,
	    cl)) != 0) {
		ctl_store_result(cl, rc, "audit list");
		return;
	}
	control_result(cl, R(OK), _("ok"));
}

/* --- the worklist ------------------------------------------------------------------ */

static int
send_work(struct control_client *cl, const char *kind, const char *code,
    const char *home, const char *peer, uint16_t msg_type, uint64_t due,
    const uint8_t *id, const char *what)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__WorkItem     wi = HOMEWARD__CONTROL__WORK_ITEM__INIT;

	wi.kind = (char *)kind;
	wi.case_code = (char *)code;
	wi.case_home = (char *)home;
	wi.peer = (char *)peer;
	wi.msg_type = msg_type;
	wi.due = due;
	if (id != NULL) {
		wi.id.data = (uint8_t *)id;
		wi.id.len = ENV1_ID_LEN;
	}
	wi.what = (char *)what;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_WORK;
	r.work = &wi;
	return control_send(cl, &r) != 0 ? -1 : 0;
}

static int
work_held_cb(const struct store_held *h, void *arg)
{
	struct ctl_walk        *w = arg;
	struct store_case       c;

	if (store_case_get_id(w->d->store, h->case_id, &c) != 0)
		return 0;
	return send_work(w->cl, h->state == HELD_APPROVAL ? "approval" : "held",
	    c.code, c.home, ctl_agency_of(w->d, h->peer_rik), h->msg_type, 0,
	    h->held_id, h->missing);
}

static int
work_out_cb(const struct store_out *m, void *arg)
{
	struct ctl_walk                 *w = arg;
	struct store_case_thread         ct;
	struct store_case                c;

	if (m->msg_type < ENV1_MSG_ASSISTANCE_REQUEST ||
	    (m->msg_type > ENV1_MSG_FOLLOW_UP_REPORT &&
	    m->msg_type != ENV1_MSG_CONSENT_WITHDRAWAL &&
	    m->msg_type != ENV1_MSG_ERASURE_CONFIRMATION))
		return 0;
	if (store_ct_get(w->d->store, m->thread_id, &ct) != 0 ||
	    store_case_get_id(w->d->store, ct.case_id, &c) != 0)
		return 0;
	return send_work(w->cl, "queued", c.code, c.home, ctl_agency_of(w->d, m->peer_rik),
	    m->msg_type, 0, m->message_id, m->state == OUT_WAITING ?
	    _("waiting for the partner's prekey") : _("sent, no receipt yet"));
}

/* Her arrival, while it is not settled: awaited, overdue, or a no-show
 * until a supervisor records what became of her. */
static int
work_arrival(struct ctl_walk *w, const struct store_case_thread *ct,
    const struct store_case *c, const char *peer, uint64_t now)
{
	const struct flow_state *f = &ct->flow;
	const struct peer       *pp = peers_by_rik(w->d, ct->peer_rik);
	const char              *duty = pp != NULL ? peer_duty_contact(pp) : "";
	char                     what[400];
	uint64_t                 due;
	int                      ours = c->role == CASE_ROLE_ORIGIN;

	if (f->arrival == FLOW_ARR_NOT_ARRIVED && ct->outcome == 0) {
		snprintf(what, sizeof(what), _("she did not arrive: a supervisor "
		    "records what became of her (homeward case outcome %s "
		    "--outcome ...)"), c->code);
		return send_work(w->cl, "no_show", c->code, c->home, peer,
		    ENV1_MSG_ARRIVAL_CONFIRMATION, 0, NULL, what);
	}
	if (!flow_in_transit(f) || f->scheduled_arrival == 0)
		return 0;
	due = f->scheduled_arrival + w->d->cfg.arrival_grace_ms;
	if (now >= due && ct->outcome == 0)
		snprintf(what, sizeof(what), _("her arrival is overdue: call %s%s%.64s%s; "
		    "if she is missing a supervisor records what became of her "
		    "(homeward case outcome %s)%s"), peer, duty[0] ? " (" : "", duty,
		    duty[0] ? ")" : "", c->code, f->withdrawn ?
		    _("; consent was withdrawn while she travels") : "");
	else if (now >= due)
		return 0;
	else
		snprintf(what, sizeof(what), "%s%s", ours ? _("meet the person and "
		    "confirm the arrival") : _("the arrival awaits its confirmation"),
		    f->withdrawn ? _("; consent was withdrawn while she travels: "
		    "her arrival is still awaited") : "");
	return send_work(w->cl, now >= due ? "arrival_overdue" : "unanswered",
	    c->code, c->home, peer, ENV1_MSG_DEPARTURE_NOTIFICATION, due, NULL, what);
}

/* A partner's decision someone must act on (we referred her). */
static int
work_decision(struct ctl_walk *w, const struct store_case_thread *ct,
    const struct store_case *c, const char *peer)
{
	if (c->role != CASE_ROLE_DESTINATION || ct->flow.withdrawn ||
	    c->state != CASE_OPEN)
		return 0;
	if (ct->flow.request == FLOW_REQ_DECLINED)
		return send_work(w->cl, "declined", c->code, c->home, peer,
		    ENV1_MSG_ASSISTANCE_CONFIRMATION, 0, NULL, _("the partner declined "
		    "the request for assistance: read its reasons, then refer her "
		    "elsewhere or close the case"));
	if (ct->flow.request == FLOW_REQ_MORE_INFO)
		return send_work(w->cl, "more_information", c->code, c->home, peer,
		    ENV1_MSG_ASSISTANCE_CONFIRMATION, 0, NULL, _("the partner asks for "
		    "more information: send the request for assistance again with it"));
	return 0;
}

static int
work_ct_cb(const struct store_case_thread *ct, void *arg)
{
	struct ctl_walk         *w = arg;
	const struct flow_state *f = &ct->flow;
	struct store_case        c;
	uint64_t                 now = clock_now();
	const char              *peer = ctl_agency_of(w->d, ct->peer_rik);
	int                      rc = 0, ours;

	if (store_case_get_id(w->d->store, ct->case_id, &c) != 0 ||
	    c.state == CASE_ERASED || c.state == CASE_ERASING)
		return 0;
	/* Her arrival is watched whatever became of the case or consent. */
	if ((rc = work_arrival(w, ct, &c, peer, now)) != 0 ||
	    (rc = work_decision(w, ct, &c, peer)) != 0)
		return rc;
	if (f->withdrawn || (c.state != CASE_OPEN && c.state != CASE_RESTRICTED))
		return 0;
	/* Who owes the answer: the partner (we referred), or we. */
	ours = c.role == CASE_ROLE_ORIGIN;
	if (f->request == FLOW_REQ_PENDING)
		rc = send_work(w->cl, now >= f->request_reply_by ? "overdue" :
		    "unanswered", c.code, c.home, peer, ENV1_MSG_ASSISTANCE_REQUEST,
		    f->request_reply_by, NULL, ours ? _("we must answer the request "
		    "for assistance") : _("the request for assistance awaits its answer"));
	if (rc == 0 && f->reintegration == FLOW_REINT_PENDING)
		rc = send_work(w->cl, now >= f->reint_reply_by ? "overdue" :
		    "unanswered", c.code, c.home, peer, ENV1_MSG_REINTEGRATION_REQUEST,
		    f->reint_reply_by, NULL, ours ? _("we must confirm the reintegration "
		    "request") : _("the reintegration request awaits its confirmation"));
	return rc;
}

void
ctl_worklist(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	struct ctl_walk         w = { cl, d, 0 };
	int                     rc;

	(void)rq;
	if ((rc = store_held_each(d->store, NULL, HELD_CONSENT, work_held_cb, &w)) == 0 &&
	    (rc = store_held_each(d->store, NULL, HELD_APPROVAL, work_held_cb, &w)) == 0 &&
	    (rc = store_out_list(d->store, NULL, OUT_WAITING, 0, CTL_LIST_MAX,
	    work_out_cb, &w)) == 0 &&
	    (rc = store_out_list(d->store, NULL, OUT_SEALED, 0, CTL_LIST_MAX,
	    work_out_cb, &w)) == 0)
		rc = store_ct_each(d->store, NULL, work_ct_cb, &w);
	if (rc != 0)
		ctl_store_result(cl, rc, "worklist");
	else
		control_result(cl, R(OK), _("ok"));
}
