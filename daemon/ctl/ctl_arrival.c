/*
 * What became of a person who did not arrive (ctl.h): a supervisor
 * records it, which ends the repeated urgent alert and her safety hold.
 */
#include <stdio.h>

#include "daemon/case/case.h"
#include "daemon/ctl/ctl_int.h"

void
ctl_case_outcome(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *cl = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__CaseOutcome *req = rq->case_outcome;
	struct store_case       c;
	char                    why[CASE_WHY_LEN] = "";
	int                     rc;

	if (ctl_find_case(cl, d, req->ref, &c) != 0)
		return;
	if ((rc = case_record_outcome(d, &call->actor, &c, req->peer, req->outcome,
	    why, sizeof(why))) != 0) {
		ctl_case_result(cl, rc, why, "case outcome");
		return;
	}
	control_result(cl, R(OK), _("case %s: outcome %s recorded; the urgent alert "
	    "stops repeating%s"), c.code, req->outcome, c.state == CASE_RESTRICTED ?
	    _("; the partner's withdrawal is now carried out") : "");
}
