/*
 * Which documents may be shown, by every request that shows one (document
 * show, outbox and inbox show --body, evidence export): a document of a
 * case only while its case and thread allow it, and every read audited
 * under the case's code.  One rule, so that no request is a side door.
 */
#include <errno.h>
#include <string.h>

#include "daemon/ctl/ctl_int.h"
#include "daemon/base/log.h"

/* Documents of a withdrawn thread or a restricted case are no longer
 * shown, except, while she travels, what is needed to meet her (seed 002
 * 8.4): the departure and arrival documents. */
int
ctl_doc_shown(const struct store_case *c, const struct store_case_thread *ct,
    uint32_t msg_type)
{
	int travel = msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION ||
	    msg_type == ENV1_MSG_ARRIVAL_CONFIRMATION;

	if (ct->alerted & CT_ERASED)
		return 0;
	if (c->state != CASE_OPEN && c->state != CASE_CLOSED &&
	    c->state != CASE_RESTRICTED)
		return 0;
	if (c->state != CASE_RESTRICTED && !ct->flow.withdrawn)
		return 1;
	return travel && case_safety_hold(ct);
}

void
ctl_doc_refuse(struct control_client *cl, const struct store_case *c,
    const struct store_case_thread *ct)
{
	control_result(cl, R(REFUSED), _("case %s is %s: its documents are no "
	    "longer shown%s"), c->code, ct->flow.withdrawn && c->state ==
	    CASE_OPEN ? _("open, but consent was withdrawn in this thread") :
	    store_case_state_name(c->state), case_safety_hold(ct) ? _(" (while "
	    "she travels, only her departure and arrival documents are)") : "");
}

int
ctl_doc_gate(struct control_client *cl, struct daemon *d,
    const uint8_t message_id[ENV1_ID_LEN], const uint8_t thread_id[ENV1_ID_LEN],
    uint32_t msg_type, char code[STORE_CODE_LEN])
{
	struct store_case_thread ct;
	struct store_case c;
	int rc;

	code[0] = '\0';
	if ((rc = store_ct_get(d->store, thread_id, &ct)) == -ENOENT)
		return 0;               /* no case's: a test document */
	if (rc == 0 && (rc = store_case_get_id(d->store, ct.case_id, &c)) ==
	    -ENOENT) {
		/* Its thread was a case's: nothing says it may be shown. */
		control_result(cl, R(REFUSED), _("message %s belongs to a case that "
		    "no longer exists: its document is not shown"),
		    log_hex(message_id, ENV1_ID_LEN));
		return -1;
	}
	if (rc != 0) {
		ctl_store_result(cl, rc, "document");
		return -1;
	}
	if (!ctl_doc_shown(&c, &ct, msg_type)) {
		ctl_doc_refuse(cl, &c, &ct);
		return -1;
	}
	memcpy(code, c.code, STORE_CODE_LEN);
	return 0;
}
