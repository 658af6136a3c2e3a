/*
 * Consent on a case: recording one (which releases the documents held
 * for it), listing them (a read of data about the person, audited) and
 * withdrawing them (the partners are told to restrict and erase).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"

void
ctl_consent_record(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__ConsentRecord *req = rq->consent_record;
	struct store_consent   *rows = NULL;
	struct store_case       c;
	struct case_consent_in  in;
	uint8_t                 id[ENV1_ID_LEN];
	char                    why[CASE_WHY_LEN] = "";
	unsigned                released = 0;
	size_t                  n = 0;
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	in.scope = req->scope.data;
	in.scope_len = req->scope.len;
	in.notice = req->notice.data;
	in.notice_len = req->notice.len;
	if ((rc = case_consent_record(d, a, &c, &in, id, &released, why,
	    sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "consent record");
		return;
	}
	if (store_consent_list(d->store, c.case_id, &rows, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (memcmp(rows[i].c.id, id, ENV1_ID_LEN) == 0)
				ctl_send_consent(cl, d, &rows[i], released, 1);
	free(rows);
	control_result(cl, R(OK), _("consent recorded; %u held document(s) released"),
	    released);
}

void
ctl_consent_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__ConsentList *req = rq->consent_list;
	struct store_consent   *rows = NULL;
	struct store_case       c;
	size_t                  n = 0;
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = audit_append(d->store, a->name, AUDIT_READ, c.code, NULL,
	    "consents", clock_now())) != 0 ||
	    (rc = store_consent_list(d->store, c.case_id, &rows, &n)) != 0) {
		ctl_store_result(cl, rc, "consent list");
		return;
	}
	audit_anchor_sync(d->store);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ctl_send_consent(cl, d, &rows[i], 0,
			    (a->roles & CTL_ROLE_WORK) != 0);
	free(rows);
	if (rc == 0)
		control_result(cl, R(OK), _("ok"));
	else if (rc != -EPIPE)
		ctl_store_result(cl, rc, "consent list");
}

void
ctl_consent_withdraw(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const struct case_actor *a = &call->actor;
	const Homeward__Control__ConsentWithdraw *req = rq->consent_withdraw;
	struct store_case       c;
	struct case_withdraw_result res;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if (req->consent_id.len != 0 && req->consent_id.len != ENV1_ID_LEN) {
		control_result(cl, R(USAGE), _("a consent id is 32 hexadecimal digits"));
		return;
	}
	if ((rc = case_consent_withdraw(d, a, &c, req->consent_id.len ?
	    req->consent_id.data : NULL, req->recorded_in_error, &res, why,
	    sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "consent withdraw");
		return;
	}
	control_result(cl, R(OK), _("%u consent(s) %s; %u partner agenc%s told to "
	    "restrict and erase the case; %u queued document(s) cancelled%s%s"),
	    res.withdrawn, req->recorded_in_error ?
	    _("revoked as recorded in error") : _("withdrawn"), res.notified,
	    res.notified == 1 ? "y" : "ies", res.cancelled, res.travelling ?
	    _("; URGENT: she is travelling: her arrival deadline stays armed and "
	    "the partner keeps what it needs to meet her") : "", res.restricted ?
	    _("; the case is restricted (a new consent reopens it)") : "");
}
