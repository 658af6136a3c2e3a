/*
 * The control requests of the referral procedure (control.proto, "The
 * referral procedure"): each checks the operator's role, calls case.h or
 * the store, and ends with exactly one result.  Roles: caseworkers and
 * supervisors work cases; supervisors also close, approve and waive;
 * auditors read the audit log and listings, never documents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/case/case.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/base/log.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"

#define LIST_DEFAULT    100
#define LIST_MAX        10000
#define ROLE_WORK       (ROLE_CASEWORKER | ROLE_SUPERVISOR)
#define ROLE_READ       (ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_AUDITOR)

typedef Homeward__Control__Request  Request;
typedef Homeward__Control__Response Response;

#define R(x)    HOMEWARD__CONTROL__RESULT_CODE__RESULT_##x

static void
actor_of(struct daemon *d, uid_t uid, struct case_actor *a)
{
	a->uid = uid;
	a->roles = config_roles(&d->cfg, uid);
	config_user_name(&d->cfg, uid, a->name, sizeof(a->name));
}

/* case.h's errors as results. */
static void
case_result(struct control_client *c, int rc, const char *why, const char *what)
{
	switch (rc) {
	case -EINVAL:
	case -EMSGSIZE:
		control_result(c, R(USAGE), "%s", why);
		break;
	case -ENOENT:
		control_result(c, R(NOT_FOUND), "%s", why);
		break;
	case -EACCES:
		control_result(c, R(DENIED), "%s", why);
		break;
	case -EEXIST:
	case -EPERM:
		control_result(c, R(REFUSED), "%s", why);
		break;
	default:
		ctl_store_result(c, rc, what);
		break;
	}
}

static int
find_case(struct control_client *c, struct daemon *d,
    const Homeward__Control__CaseRef *ref, struct store_case *out)
{
	char why[CASE_WHY_LEN];
	int  rc;

	if (ref == NULL || ref->code == NULL) {
		control_result(c, R(USAGE), "name the case by its code");
		return -1;
	}
	if ((rc = case_find(d, ref->code, ref->home, out, why, sizeof(why))) != 0) {
		case_result(c, rc, why, "case");
		return -1;
	}
	return 0;
}

static const char *
agency_of(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN])
{
	struct peer *p = peers_by_rik(d, rik);

	return p != NULL ? p->rec.agency_id : "(removed)";
}

/* --- cases ------------------------------------------------------------------ */

struct case_info {
	Homeward__Control__CaseInfo     ci;
	Homeward__Control__CaseThread   t[16];
	Homeward__Control__CaseThread  *tp[16];
	char                            summary[16][160];
	uint8_t                         tid[16][ENV1_ID_LEN];
	struct daemon                  *d;
};

static int
thread_cb(const struct store_case_thread *ct, void *arg)
{
	struct case_info                *x = arg;
	Homeward__Control__CaseThread   *t;
	size_t                           i = x->ci.n_threads;

	if (i >= sizeof(x->t) / sizeof(x->t[0]))
		return 1;
	t = &x->t[i];
	homeward__control__case_thread__init(t);
	t->peer = (char *)agency_of(x->d, ct->peer_rik);
	memcpy(x->tid[i], ct->thread_id, ENV1_ID_LEN);
	t->thread_id.data = x->tid[i];
	t->thread_id.len = ENV1_ID_LEN;
	flow_summary(&ct->flow, x->summary[i], sizeof(x->summary[i]));
	t->summary = x->summary[i];
	t->request_reply_by = ct->flow.request == FLOW_REQ_PENDING ?
	    ct->flow.request_reply_by : 0;
	t->reint_reply_by = ct->flow.reintegration == FLOW_REINT_PENDING ?
	    ct->flow.reint_reply_by : 0;
	t->scheduled_arrival = ct->flow.scheduled_arrival;
	t->withdrawn = ct->flow.withdrawn;
	t->erasure_confirmed = ct->flow.erasure_confirmed;
	t->request = (uint32_t)ct->flow.request;
	t->reintegration = (uint32_t)ct->flow.reintegration;
	t->departure = (uint32_t)ct->flow.departure;
	t->arrival = (uint32_t)ct->flow.arrival;
	x->tp[i] = t;
	x->ci.n_threads = i + 1;
	return 0;
}

static int
held_count_cb(const struct store_held *h, void *arg)
{
	(void)h;
	(*(uint32_t *)arg)++;
	return 0;
}

static int
fill_case_info(struct daemon *d, const struct store_case *c, struct case_info *x)
{
	struct store_consent   *rows = NULL;
	size_t                  n = 0;
	uint64_t                now = clock_now();
	int                     rc;

	memset(x, 0, sizeof(*x));
	x->d = d;
	homeward__control__case_info__init(&x->ci);
	x->ci.code = (char *)c->code;
	x->ci.home = (char *)c->home;
	x->ci.role = (char *)(c->role == CASE_ROLE_DESTINATION ? "destination" :
	    "origin");
	x->ci.state = (char *)store_case_state_name(c->state);
	x->ci.opened_at = c->opened_at;
	x->ci.closed_at = c->closed_at;
	if (c->state == CASE_CLOSED)
		x->ci.erase_after = c->closed_at + d->cfg.retention_ms;
	x->ci.threads = x->tp;
	if ((rc = store_ct_each(d->store, c->case_id, thread_cb, x)) != 0 ||
	    (rc = store_held_each(d->store, c->case_id, 0, held_count_cb,
	    &x->ci.held)) != 0 ||
	    (rc = store_consent_list(d->store, c->case_id, &rows, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (rows[i].c.withdrawn_at == 0 &&
		    (rows[i].c.expires_at == 0 || now < rows[i].c.expires_at))
			x->ci.consents++;
	free(rows);
	return 0;
}

static int
send_case(struct control_client *cl, struct daemon *d, const struct store_case *c)
{
	Response                r = HOMEWARD__CONTROL__RESPONSE__INIT;
	struct case_info       *x;
	int                     rc;

	if ((x = malloc(sizeof(*x))) == NULL)
		return -ENOMEM;
	if ((rc = fill_case_info(d, c, x)) == 0) {
		r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO;
		r.case_info = &x->ci;
		rc = control_send(cl, &r) != 0 ? -EPIPE : 0;
	}
	free(x);
	return rc;
}

static void
do_case_open(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__CaseOpen *req)
{
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	rc = case_open(d, a, req->code, req->profile.data, req->profile.len, &c, why,
	    sizeof(why));
	if (rc != 0) {
		case_result(cl, rc, why, "case open");
		return;
	}
	send_case(cl, d, &c);
	control_result(cl, R(OK), "case %s opened", c.code);
}

struct list_walk {
	struct control_client  *cl;
	struct daemon          *d;
	int                     rc;
};

static int
case_list_cb(const struct store_case *c, void *arg)
{
	struct list_walk *w = arg;

	return (w->rc = send_case(w->cl, w->d, c)) != 0 ? -1 : 0;
}

static void
do_case_list(struct control_client *cl, struct daemon *d,
    const Homeward__Control__CaseList *req)
{
	struct list_walk        w = { cl, d, 0 };
	int                     state = 0, rc;

	if (req->state != NULL && *req->state != '\0' &&
	    (state = store_case_state_parse(req->state)) == 0) {
		control_result(cl, R(USAGE), "a case state is open, restricted, "
		    "closed, erasing or erased");
		return;
	}
	rc = store_case_each(d->store, state, case_list_cb, &w);
	if (rc != 0 && w.rc == 0) {
		ctl_store_result(cl, rc, "case list");
		return;
	}
	control_result(cl, R(OK), "ok");
}

/* with_scope 0: an auditor's view, the record without the scope (who
 * gave it, guardian, language: data about the person). */
static int
send_consent(struct control_client *cl, struct daemon *d,
    const struct store_consent *sc, unsigned released, int with_scope)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__ConsentInfo  ci = HOMEWARD__CONTROL__CONSENT_INFO__INIT;
	uint8_t                        *scope = NULL;
	size_t                          len = 0;
	int                             rc;

	if (with_scope && (rc = store_consent_scope(d->store, sc, &scope,
	    &len)) != 0 && rc != -ENOENT)
		return rc;
	ci.consent_id.data = (uint8_t *)sc->c.id;
	ci.consent_id.len = ENV1_ID_LEN;
	ci.scope.data = scope;
	ci.scope.len = len;
	ci.recorded_by = (char *)sc->recorded_by;
	ci.recorded_at = sc->recorded_at;
	ci.withdrawn_at = sc->c.withdrawn_at;
	ci.source = (char *)(sc->source == CONSENT_RECEIVED ? "received" : "recorded");
	ci.released = released;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT;
	r.consent = &ci;
	rc = control_send(cl, &r) != 0 ? -EPIPE : 0;
	secret_free(scope);
	return rc;
}

static int
send_held(struct control_client *cl, struct daemon *d, const struct store_held *h)
{
	static const uint8_t            zero[ENV1_ID_LEN];
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__HeldInfo     hi = HOMEWARD__CONTROL__HELD_INFO__INIT;
	struct store_case               c;

	if (store_case_get_id(d->store, h->case_id, &c) != 0)
		memset(&c, 0, sizeof(c));
	hi.held_id.data = (uint8_t *)h->held_id;
	hi.held_id.len = ENV1_ID_LEN;
	hi.case_code = c.code;
	hi.case_home = c.home;
	hi.peer = (char *)agency_of(d, h->peer_rik);
	hi.msg_type = h->msg_type;
	hi.state = (char *)store_held_state_name(h->state);
	hi.missing = (char *)h->missing;
	hi.created_at = h->created_at;
	hi.created_by = (char *)h->created_by;
	hi.categories = h->categories;
	hi.approved_by = (char *)h->approved_by;
	if (memcmp(h->message_id, zero, ENV1_ID_LEN) != 0) {
		hi.message_id.data = (uint8_t *)h->message_id;
		hi.message_id.len = ENV1_ID_LEN;
	}
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_HELD;
	r.held = &hi;
	return control_send(cl, &r) != 0 ? -EPIPE : 0;
}

static int
held_send_cb(const struct store_held *h, void *arg)
{
	struct list_walk *w = arg;

	return (w->rc = send_held(w->cl, w->d, h)) != 0 ? -1 : 0;
}

static int
send_audit(struct control_client *cl, const struct audit_entry *e)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__AuditEntry   ae = HOMEWARD__CONTROL__AUDIT_ENTRY__INIT;

	ae.seq = e->seq;
	ae.at = e->at;
	ae.actor = (char *)e->actor;
	ae.action = (char *)e->action;
	ae.case_code = (char *)e->case_code;
	if (e->has_message_id) {
		ae.message_id.data = (uint8_t *)e->message_id;
		ae.message_id.len = ENV1_ID_LEN;
	}
	ae.detail = (char *)e->detail;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT;
	r.audit = &ae;
	return control_send(cl, &r) != 0 ? -1 : 0;
}

static int
audit_send_cb(const struct audit_entry *e, void *arg)
{
	return send_audit(arg, e);
}

static void
do_case_show(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__CaseShow *req)
{
	struct list_walk        w = { cl, d, 0 };
	struct store_case       c;
	struct store_consent   *rows = NULL;
	size_t                  n = 0;
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	/* Consent records describe the person (guardian, language): a
	 * read of case data, recorded before anything is sent. */
	if ((rc = audit_append(d->store, a->name, AUDIT_READ, c.code, NULL,
	    "case, consents and timeline", clock_now())) != 0)
		goto fail;
	audit_anchor_sync(d->store);
	if ((rc = send_case(cl, d, &c)) != 0)
		goto fail;
	if (c.state != CASE_ERASED) {
		if ((rc = store_consent_list(d->store, c.case_id, &rows, &n)) != 0)
			goto fail;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = send_consent(cl, d, &rows[i], 0,
			    (a->roles & ROLE_WORK) != 0);
		free(rows);
		if (rc != 0)
			goto fail;
		if ((rc = store_held_each(d->store, c.case_id, HELD_CONSENT,
		    held_send_cb, &w)) != 0 || (rc = store_held_each(d->store,
		    c.case_id, HELD_APPROVAL, held_send_cb, &w)) != 0)
			goto fail;
	}
	/* The timeline is the case's audit trail: ids and codes only. */
	if ((rc = audit_list(d->store, c.code, 0, LIST_MAX, audit_send_cb, cl)) != 0)
		goto fail;
	control_result(cl, R(OK), "ok");
	return;
fail:
	if (rc == -EPIPE || w.rc != 0)
		return;
	ctl_store_result(cl, rc, "case show");
}

static void
do_case_close(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__CaseClose *req)
{
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = case_close(d, a, &c, why, sizeof(why))) != 0) {
		case_result(cl, rc, why, "case close");
		return;
	}
	control_result(cl, R(OK), "case %s closed; it is erased when retention ends",
	    c.code);
}

/* --- consent ---------------------------------------------------------------- */

static void
do_consent_record(struct control_client *cl, struct daemon *d,
    const struct case_actor *a, const Homeward__Control__ConsentRecord *req)
{
	struct store_consent   *rows = NULL;
	struct store_case       c;
	uint8_t                 id[ENV1_ID_LEN];
	char                    why[CASE_WHY_LEN] = "";
	unsigned                released = 0;
	size_t                  n = 0;
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = case_consent_record(d, a, &c, req->scope.data, req->scope.len, id,
	    &released, why, sizeof(why))) != 0) {
		case_result(cl, rc, why, "consent record");
		return;
	}
	if (store_consent_list(d->store, c.case_id, &rows, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (memcmp(rows[i].c.id, id, ENV1_ID_LEN) == 0)
				send_consent(cl, d, &rows[i], released, 1);
	free(rows);
	control_result(cl, R(OK), "consent recorded; %u held document(s) released",
	    released);
}

static void
do_consent_list(struct control_client *cl, struct daemon *d,
    const struct case_actor *a, const Homeward__Control__ConsentList *req)
{
	struct store_consent   *rows = NULL;
	struct store_case       c;
	size_t                  n = 0;
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = audit_append(d->store, a->name, AUDIT_READ, c.code, NULL,
	    "consents", clock_now())) != 0 ||
	    (rc = store_consent_list(d->store, c.case_id, &rows, &n)) != 0) {
		ctl_store_result(cl, rc, "consent list");
		return;
	}
	audit_anchor_sync(d->store);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = send_consent(cl, d, &rows[i], 0,
			    (a->roles & ROLE_WORK) != 0);
	free(rows);
	if (rc == 0)
		control_result(cl, R(OK), "ok");
	else if (rc != -EPIPE)
		ctl_store_result(cl, rc, "consent list");
}

static void
do_consent_withdraw(struct control_client *cl, struct daemon *d,
    const struct case_actor *a, const Homeward__Control__ConsentWithdraw *req)
{
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	unsigned                withdrawn, notified;
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	if (req->consent_id.len != 0 && req->consent_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), "a consent id is 32 hexadecimal digits");
		return;
	}
	if ((rc = case_consent_withdraw(d, a, &c, req->consent_id.len ?
	    req->consent_id.data : NULL, &withdrawn, &notified, why,
	    sizeof(why))) != 0) {
		case_result(cl, rc, why, "consent withdraw");
		return;
	}
	control_result(cl, R(OK), "%u consent(s) withdrawn; %u partner agenc%s told "
	    "to restrict and erase the case", withdrawn, notified,
	    notified == 1 ? "y" : "ies");
}

/* --- steps, held, approvals ---------------------------------------------------- */

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

static void
do_step_send(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__StepSend *req)
{
	struct case_step_result res;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (find_case(cl, d, req->ref, &c) != 0)
		return;
	if (req->msg_type > UINT16_MAX || req->document.len > ENV1_MAX_INLINE) {
		control_result(cl, R(USAGE), "a step is a type 1-7 and a document of "
		    "at most %u bytes", ENV1_MAX_INLINE);
		return;
	}
	rc = case_step_send(d, &(struct case_step_request){
	    .actor = a, .c = &c, .peer_agency = req->peer,
	    .msg_type = (uint16_t)req->msg_type, .doc = req->document.data,
	    .doc_len = req->document.len, .waive = req->waive_rules,
	    .nwaive = req->n_waive_rules, .waiver_reason = req->waiver_reason,
	    .safety_reason = req->safety_reason }, &res, why, sizeof(why));
	if (rc != 0) {
		case_result(cl, rc, why, "send");
		return;
	}
	send_step(cl, &res, (uint16_t)req->msg_type);
	if (res.state == CASE_STEP_QUEUED)
		control_result(cl, R(OK), "queued for %s", res.peer);
	else if (res.state == CASE_STEP_HELD)
		control_result(cl, R(OK), "held: %s", res.missing);
	else
		control_result(cl, R(OK), "held for the safety exception: %s",
		    res.missing);
}

static void
do_held_list(struct control_client *cl, struct daemon *d,
    const Homeward__Control__HeldList *req)
{
	struct list_walk        w = { cl, d, 0 };
	struct store_case       c;
	const uint8_t          *cid = NULL;
	int                     rc;

	if (req->ref != NULL && req->ref->code != NULL && *req->ref->code != '\0') {
		if (find_case(cl, d, req->ref, &c) != 0)
			return;
		cid = c.case_id;
	}
	if ((rc = store_held_each(d->store, cid, HELD_CONSENT, held_send_cb, &w)) == 0)
		rc = store_held_each(d->store, cid, HELD_APPROVAL, held_send_cb, &w);
	if (w.rc != 0)
		return;
	if (rc != 0)
		ctl_store_result(cl, rc, "held");
	else
		control_result(cl, R(OK), "ok");
}

static void
do_approve(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__Approve *req)
{
	struct case_step_result res;
	struct store_held       h;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (req->held_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), "a held id is 32 hexadecimal digits");
		return;
	}
	if ((rc = case_approve(d, a, req->held_id.data, req->reason, &res, why,
	    sizeof(why))) != 0) {
		case_result(cl, rc, why, "approve");
		return;
	}
	if (store_held_get(d->store, req->held_id.data, &h) != 0)
		h.msg_type = 0;
	send_step(cl, &res, h.msg_type);
	if (res.state == CASE_STEP_QUEUED)
		control_result(cl, R(OK), "second approval: sent under the safety "
		    "exception");
	else
		control_result(cl, R(OK), "first approval recorded; a second, "
		    "different supervisor must approve");
}

/* --- alerts and audit ------------------------------------------------------------ */

static int
alert_cb(const struct store_alert *al, void *arg)
{
	struct list_walk               *w = arg;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__AlertInfo    ai = HOMEWARD__CONTROL__ALERT_INFO__INIT;

	ai.id = (uint64_t)al->id;
	ai.at = al->at;
	ai.kind = (char *)al->kind;
	ai.urgent = al->urgent;
	ai.peer = (char *)(al->has_peer ? agency_of(w->d, al->peer_rik) : "");
	ai.case_code = (char *)al->case_code;
	if (al->has_message) {
		ai.message_id.data = (uint8_t *)al->message_id;
		ai.message_id.len = ENV1_ID_LEN;
	}
	ai.detail = (char *)al->detail;
	ai.acked_at = al->acked_at;
	ai.acked_by = (char *)al->acked_by;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_ALERT;
	r.alert = &ai;
	return (w->rc = control_send(w->cl, &r)) != 0 ? -1 : 0;
}

static void
do_alert_list(struct control_client *cl, struct daemon *d,
    const Homeward__Control__AlertList *req)
{
	struct list_walk        w = { cl, d, 0 };
	unsigned                limit = req->limit ? req->limit : LIST_DEFAULT;
	int                     rc;

	if (limit > LIST_MAX)
		limit = LIST_MAX;
	rc = store_alert_each(d->store, req->all, limit, alert_cb, &w);
	if (w.rc != 0)
		return;
	if (rc != 0)
		ctl_store_result(cl, rc, "alerts");
	else
		control_result(cl, R(OK), "ok");
}

static void
do_alert_ack(struct control_client *cl, struct daemon *d, const struct case_actor *a,
    const Homeward__Control__AlertAck *req)
{
	int rc;

	if (req->id == 0 || req->id > INT64_MAX) {
		control_result(cl, R(USAGE), "name the alert by its number");
		return;
	}
	rc = store_alert_ack(d->store, (int64_t)req->id, a->name, clock_now());
	if (rc == -ENOENT) {
		control_result(cl, R(NOT_FOUND), "no unacknowledged alert %llu; "
		    "`homeward alerts` lists them", (unsigned long long)req->id);
		return;
	}
	if (rc == 0)
		rc = audit_append(d->store, a->name, AUDIT_ALERT_ACK, "", NULL,
		    "alert acknowledged", clock_now());
	if (rc != 0) {
		ctl_store_result(cl, rc, "alert ack");
		return;
	}
	audit_anchor_sync(d->store);
	control_result(cl, R(OK), "alert %llu acknowledged",
	    (unsigned long long)req->id);
}

static void
do_audit_verify(struct control_client *cl, struct daemon *d)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__AuditReport  ar = HOMEWARD__CONTROL__AUDIT_REPORT__INIT;
	uint64_t                        checked = 0, first_bad = 0;
	const char                     *why = "";
	int                             rc;

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
		control_result(cl, R(OK), "the audit log is intact: %llu entries",
		    (unsigned long long)checked);
	else
		control_result(cl, R(REFUSED), "the audit log is broken at entry %llu: "
		    "%s", (unsigned long long)first_bad, ar.why);
}

static void
do_audit_list(struct control_client *cl, struct daemon *d,
    const Homeward__Control__AuditList *req)
{
	const char     *code = NULL;
	unsigned        limit = req->limit ? req->limit : LIST_DEFAULT;
	int             rc;

	if (req->ref != NULL && req->ref->code != NULL && *req->ref->code != '\0')
		code = req->ref->code;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	if ((rc = audit_list(d->store, code, req->after, limit, audit_send_cb,
	    cl)) != 0) {
		ctl_store_result(cl, rc, "audit list");
		return;
	}
	control_result(cl, R(OK), "ok");
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
	struct list_walk       *w = arg;
	struct store_case       c;

	if (store_case_get_id(w->d->store, h->case_id, &c) != 0)
		return 0;
	return send_work(w->cl, h->state == HELD_APPROVAL ? "approval" : "held",
	    c.code, c.home, agency_of(w->d, h->peer_rik), h->msg_type, 0,
	    h->held_id, h->missing);
}

static int
work_out_cb(const struct store_out *m, void *arg)
{
	struct list_walk                *w = arg;
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
	return send_work(w->cl, "queued", c.code, c.home, agency_of(w->d, m->peer_rik),
	    m->msg_type, 0, m->message_id, m->state == OUT_WAITING ?
	    "waiting for the partner's prekey" : "sent, no receipt yet");
}

static int
work_ct_cb(const struct store_case_thread *ct, void *arg)
{
	struct list_walk        *w = arg;
	const struct flow_state *f = &ct->flow;
	struct store_case        c;
	uint64_t                 now = clock_now(), due;
	const char              *peer = agency_of(w->d, ct->peer_rik);
	int                      rc = 0, ours;

	if (f->withdrawn || store_case_get_id(w->d->store, ct->case_id, &c) != 0 ||
	    (c.state != CASE_OPEN && c.state != CASE_RESTRICTED))
		return 0;
	/* Who owes the answer: the partner (we referred), or we. */
	ours = c.role == CASE_ROLE_ORIGIN;
	if (f->request == FLOW_REQ_PENDING)
		rc = send_work(w->cl, now >= f->request_reply_by ? "overdue" :
		    "unanswered", c.code, c.home, peer, ENV1_MSG_ASSISTANCE_REQUEST,
		    f->request_reply_by, NULL, ours ? "we must answer the request "
		    "for assistance" : "the request for assistance awaits its answer");
	if (rc == 0 && f->reintegration == FLOW_REINT_PENDING)
		rc = send_work(w->cl, now >= f->reint_reply_by ? "overdue" :
		    "unanswered", c.code, c.home, peer, ENV1_MSG_REINTEGRATION_REQUEST,
		    f->reint_reply_by, NULL, ours ? "we must confirm the reintegration "
		    "request" : "the reintegration request awaits its confirmation");
	if (rc == 0 && f->departure == FLOW_DEP_FINAL && f->scheduled_arrival != 0 &&
	    f->arrival != FLOW_ARR_MET && f->arrival != FLOW_ARR_NOT_ARRIVED) {
		due = f->scheduled_arrival + w->d->cfg.arrival_grace_ms;
		rc = send_work(w->cl, now >= due ? "arrival_overdue" : "unanswered",
		    c.code, c.home, peer, ENV1_MSG_DEPARTURE_NOTIFICATION, due, NULL,
		    ours ? "meet the person and confirm the arrival" :
		    "the arrival awaits its confirmation");
	}
	return rc;
}

static void
do_worklist(struct control_client *cl, struct daemon *d)
{
	struct list_walk        w = { cl, d, 0 };
	int                     rc;

	if ((rc = store_held_each(d->store, NULL, HELD_CONSENT, work_held_cb, &w)) == 0 &&
	    (rc = store_held_each(d->store, NULL, HELD_APPROVAL, work_held_cb, &w)) == 0 &&
	    (rc = store_out_list(d->store, NULL, OUT_WAITING, 0, LIST_MAX,
	    work_out_cb, &w)) == 0 &&
	    (rc = store_out_list(d->store, NULL, OUT_SEALED, 0, LIST_MAX,
	    work_out_cb, &w)) == 0)
		rc = store_ct_each(d->store, NULL, work_ct_cb, &w);
	if (rc != 0)
		ctl_store_result(cl, rc, "worklist");
	else
		control_result(cl, R(OK), "ok");
}

/* --- documents ---------------------------------------------------------------------- */

static void
do_document_show(struct control_client *cl, struct daemon *d,
    const struct case_actor *a, const Homeward__Control__DocumentShow *req)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Document     doc = HOMEWARD__CONTROL__DOCUMENT__INIT;
	struct store_case_thread        ct;
	struct store_case               c;
	struct store_out                m;
	struct store_in                 in;
	const uint8_t                  *thread_id, *peer_rik;
	uint8_t                        *body = NULL, *ev = NULL;
	size_t                          len = 0, evlen = 0;
	int                             rc, out;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), "a message id is 32 hexadecimal digits");
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
		control_result(cl, R(NOT_FOUND), "no message %s",
		    log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (store_ct_get(d->store, thread_id, &ct) != 0 ||
	    store_case_get_id(d->store, ct.case_id, &c) != 0) {
		control_result(cl, R(NOT_FOUND), "message %s is not a document of a "
		    "case", log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (c.state != CASE_OPEN && c.state != CASE_CLOSED) {
		control_result(cl, R(REFUSED), "case %s is %s: its documents are no "
		    "longer shown", c.code, store_case_state_name(c.state));
		return;
	}
	if (out) {
		rc = store_out_body(d->store, &m, &body);
		len = (size_t)m.body_len;
	} else if ((rc = store_in_evidence(d->store, &in, &ev, &evlen)) == 0) {
		Homeward__Keys__SignedMessage *sm;

		sm = homeward__keys__signed_message__unpack(NULL, evlen, ev);
		if (sm == NULL || (body = secret_dup(sm->body.data, sm->body.len)) == NULL)
			rc = -EBADMSG;
		else
			len = sm->body.len;
		if (sm != NULL) {
			sodium_memzero(sm->body.data, sm->body.len);
			homeward__keys__signed_message__free_unpacked(sm, NULL);
		}
	}
	/* The read is recorded before anything is shown. */
	if (rc == 0 && (rc = audit_append(d->store, a->name, AUDIT_READ, c.code,
	    req->message_id.data, out ? "sent document" : "received document",
	    clock_now())) == 0)
		audit_anchor_sync(d->store);
	if (rc != 0) {
		secret_free(body);
		secret_free(ev);
		ctl_store_result(cl, rc, "document");
		return;
	}
	doc.message_id.data = req->message_id.data;
	doc.message_id.len = ENV1_ID_LEN;
	doc.direction = (char *)(out ? "sent" : "received");
	doc.case_code = c.code;
	doc.peer = (char *)agency_of(d, peer_rik);
	doc.body.data = body;
	doc.body.len = len;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_DOCUMENT;
	r.document = &doc;
	control_send(cl, &r);
	secret_free(body);
	secret_free(ev);
	control_result(cl, R(OK), "ok");
}

int
ctl_case_handle(struct control_client *cl, struct daemon *d, uid_t uid,
    const Request *req)
{
	struct case_actor a;

	actor_of(d, uid, &a);
	switch (req->kind_case) {
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_OPEN:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "opening a case") == 0)
			do_case_open(cl, d, &a, req->case_open);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_LIST:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "listing cases") == 0)
			do_case_list(cl, d, req->case_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_SHOW:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "showing a case") == 0)
			do_case_show(cl, d, &a, req->case_show);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_CLOSE:
		if (ctl_need_role(cl, d, uid, ROLE_SUPERVISOR, "closing a case") == 0)
			do_case_close(cl, d, &a, req->case_close);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_RECORD:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "recording consent") == 0)
			do_consent_record(cl, d, &a, req->consent_record);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_LIST:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "listing consents") == 0)
			do_consent_list(cl, d, &a, req->consent_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_WITHDRAW:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "withdrawing consent") == 0)
			do_consent_withdraw(cl, d, &a, req->consent_withdraw);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_STEP_SEND:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "sending a document") == 0)
			do_step_send(cl, d, &a, req->step_send);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_HELD_LIST:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "listing held documents") == 0)
			do_held_list(cl, d, req->held_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_APPROVE:
		if (ctl_need_role(cl, d, uid, ROLE_SUPERVISOR, "approving") == 0)
			do_approve(cl, d, &a, req->approve);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_ALERT_LIST:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "listing alerts") == 0)
			do_alert_list(cl, d, req->alert_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_ALERT_ACK:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "acknowledging an alert") == 0)
			do_alert_ack(cl, d, &a, req->alert_ack);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_AUDIT_VERIFY:
		if (ctl_need_role(cl, d, uid, ROLE_SUPERVISOR | ROLE_AUDITOR,
		    "verifying the audit log") == 0)
			do_audit_verify(cl, d);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_AUDIT_LIST:
		if (ctl_need_role(cl, d, uid, ROLE_SUPERVISOR | ROLE_AUDITOR,
		    "reading the audit log") == 0)
			do_audit_list(cl, d, req->audit_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_WORKLIST:
		if (ctl_need_role(cl, d, uid, ROLE_READ, "the worklist") == 0)
			do_worklist(cl, d);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_DOCUMENT_SHOW:
		if (ctl_need_role(cl, d, uid, ROLE_WORK, "reading a document") == 0)
			do_document_show(cl, d, &a, req->document_show);
		break;
	default:
		return -1;
	}
	return 0;
}
