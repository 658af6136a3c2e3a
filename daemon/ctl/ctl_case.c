/*
 * Cases: opening one, listing them, showing one (the case, its consents,
 * held documents and timeline, recorded in the audit log first),
 * correcting its profile and closing it.  Roles: caseworkers and
 * supervisors open and correct; supervisors close; auditors list and
 * show, without the consents' scopes or the profile's values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/case/case_profile.h"
#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"

/* How much of the person's profile a CaseInfo carries: listings none;
 * case show and case update all of it to caseworkers and supervisors,
 * to auditors only that there is one (need to know). */
enum info_profile {
	INFO_NO_PROFILE,
	INFO_PROFILE_EXISTS,
	INFO_PROFILE,
};

struct case_info {
	Homeward__Control__CaseInfo     ci;
	Homeward__Control__CaseThread   t[16];
	Homeward__Control__CaseThread  *tp[16];
	char                            summary[16][160];
	uint8_t                         tid[16][ENV1_ID_LEN];
	char                            outcome_by[16][STORE_NAME_LEN];
	struct daemon                  *d;
};

static int
fill_profile(struct daemon *d, const struct store_case *c, enum info_profile how,
    Homeward__Control__CaseInfo *ci)
{
	struct case_profile     rec, docs, rules;
	const char             *sex;
	char                    why[CASE_WHY_LEN];
	int                     rc;

	if (how == INFO_NO_PROFILE)
		return 0;
	if ((rc = case_profile_get(d, c, &rec, &docs, &rules)) != 0)
		return rc;
	ci->profile_recorded = rec.stated;
	if (how != INFO_PROFILE) {
		ci->profile_withheld = 1;
		return 0;
	}
	ci->sex = (char *)((sex = case_profile_sex_name(rec.sex)) != NULL ? sex : "");
	ci->age = rec.age;
	ci->minor = case_profile_minor(&rec) == 1;
	ci->travel_minor = case_profile_minor(&rules) == 1;
	ci->travel_sex = (char *)((sex = case_profile_sex_name(rules.sex)) != NULL ?
	    sex : "");
	ci->documents_differ = docs.stated && case_profile_compare(&rec, &docs,
	    c->code, why, sizeof(why)) != 0;
	return 0;
}

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
	t->peer = (char *)ctl_agency_of(x->d, ct->peer_rik);
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
	t->safety_hold = case_safety_hold(ct);
	t->outcome = (char *)case_outcome_name(ct->outcome);
	memcpy(x->outcome_by[i], ct->outcome_by, sizeof(x->outcome_by[i]));
	t->outcome_by = x->outcome_by[i];
	t->outcome_at = ct->outcome_at;
	t->erased = (ct->alerted & CT_ERASED) != 0;
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
fill_case_info(struct daemon *d, const struct store_case *c,
    enum info_profile how, struct case_info *x)
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
	    (rc = store_consent_list(d->store, c->case_id, &rows, &n)) != 0 ||
	    (rc = fill_profile(d, c, how, &x->ci)) != 0) {
		free(rows);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (rows[i].c.withdrawn_at == 0 &&
		    (rows[i].c.expires_at == 0 || now < rows[i].c.expires_at))
			x->ci.consents++;
	free(rows);
	return 0;
}

static int
send_case(struct control_client *cl, struct daemon *d, const struct store_case *c,
    enum info_profile how)
{
	Response                r = HOMEWARD__CONTROL__RESPONSE__INIT;
	struct case_info       *x;
	int                     rc;

	if ((x = malloc(sizeof(*x))) == NULL)
		return -ENOMEM;
	if ((rc = fill_case_info(d, c, how, x)) == 0) {
		r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO;
		r.case_info = &x->ci;
		rc = control_send(cl, &r) != 0 ? -EPIPE : 0;
	}
	free(x);
	return rc;
}

void
ctl_case_open(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__CaseOpen *req = rq->case_open;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	rc = case_open(d, a, req->code, req->profile.data, req->profile.len, &c, why,
	    sizeof(why));
	if (rc != 0) {
		ctl_case_result(cl, rc, why, "case open");
		return;
	}
	send_case(cl, d, &c, INFO_NO_PROFILE);
	control_result(cl, R(OK), _("case %s opened"), c.code);
}

static int
case_list_cb(const struct store_case *c, void *arg)
{
	struct ctl_walk *w = arg;

	return (w->rc = send_case(w->cl, w->d, c, INFO_NO_PROFILE)) != 0 ? -1 : 0;
}

void
ctl_case_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__CaseList *req = rq->case_list;
	struct ctl_walk         w = { cl, d, 0 };
	int                     state = 0, rc;

	if (req->state != NULL && *req->state != '\0' &&
	    (state = store_case_state_parse(req->state)) == 0) {
		control_result(cl, R(USAGE), _("a case state is open, restricted, "
		    "closed, erasing or erased"));
		return;
	}
	rc = store_case_each(d->store, state, case_list_cb, &w);
	if (rc != 0 && w.rc == 0) {
		ctl_store_result(cl, rc, "case list");
		return;
	}
	control_result(cl, R(OK), _("ok"));
}

void
ctl_case_show(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__CaseShow *req = rq->case_show;
	struct ctl_walk         w = { cl, d, 0 };
	struct store_case       c;
	struct store_consent   *rows = NULL;
	size_t                  n = 0;
	int                     rc, work = (a->roles & CTL_ROLE_WORK) != 0;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	/* Consent records describe the person (guardian, language): a
	 * read of case data, recorded before anything is sent. */
	if ((rc = audit_append(d->store, a->name, AUDIT_READ, c.code, NULL,
	    work ? "case, profile, consents and timeline" :
	    "case, consents and timeline", clock_now())) != 0)
		goto fail;
	audit_anchor_sync(d->store);
	if ((rc = send_case(cl, d, &c, work ? INFO_PROFILE :
	    INFO_PROFILE_EXISTS)) != 0)
		goto fail;
	if (c.state != CASE_ERASED) {
		if ((rc = store_consent_list(d->store, c.case_id, &rows, &n)) != 0)
			goto fail;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = ctl_send_consent(cl, d, &rows[i], 0, work);
		free(rows);
		if (rc != 0)
			goto fail;
		if ((rc = store_held_each(d->store, c.case_id, HELD_CONSENT,
		    ctl_held_send_cb, &w)) != 0 || (rc = store_held_each(d->store,
		    c.case_id, HELD_APPROVAL, ctl_held_send_cb, &w)) != 0)
			goto fail;
	}
	/* The timeline is the case's audit trail: ids and codes only. */
	if ((rc = audit_list(d->store, c.code, 0, CTL_LIST_MAX, ctl_audit_send_cb, cl)) != 0)
		goto fail;
	control_result(cl, R(OK), _("ok"));
	return;
fail:
	if (rc == -EPIPE || w.rc != 0)
		return;
	ctl_store_result(cl, rc, "case show");
}

void
ctl_case_close(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__CaseClose *req = rq->case_close;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = case_close(d, a, &c, why, sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "case close");
		return;
	}
	control_result(cl, R(OK), _("case %s closed; it is erased when retention ends"),
	    c.code);
}

void
ctl_case_update(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__CaseUpdate *req = rq->case_update;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "", note[CASE_WHY_LEN] = "";
	char                    names[32];
	unsigned                fields, changed;
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = case_profile_fields(req->fields, req->n_fields, &fields, why,
	    sizeof(why))) != 0 || (rc = case_update(d, &call->actor, &c,
	    req->profile.data, req->profile.len, fields, &changed, note,
	    sizeof(note), why, sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "case update");
		return;
	}
	/* The case as it now stands; the change stands even if it cannot be
	 * shown. */
	if (send_case(cl, d, &c, INFO_PROFILE) == -EPIPE)
		return;
	if (changed == 0) {
		control_result(cl, R(OK), _("case %s says that already; nothing "
		    "changed"), c.code);
		return;
	}
	case_profile_fields_format(changed, names, sizeof(names));
	control_result(cl, R(OK), _("case %s corrected: %s%s%s"), c.code, names,
	    note[0] != '\0' ? "; " : "", note);
}
