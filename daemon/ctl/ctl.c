/*
 * The daemon's side of the control protocol (proto/control.proto): the
 * dispatch.  Every request goes the same way: a uid with no role at all
 * is refused, the request's kind is looked up in the table below, the
 * route's roles are checked, a request id seen before is answered from
 * what it did (ctl_request.c), and otherwise its handler answers, ending with exactly
 * one result.  Errors say what to do next.
 */
#include <stddef.h>
#include <stdio.h>

#include "daemon/ctl/ctl_int.h"

/* A route's roles when any role will do: ctl_handle has already refused
 * a uid without one. */
#define ANY_ROLE        ROLE_ALL

/* One kind of request: the roles of which the operator needs one, the
 * words of the denial ("WHAT needs the role ...", translated when the
 * denial is written), the handler. */
struct ctl_route {
	Homeward__Control__Request__KindCase    kind;
	unsigned                                roles;
	const char                             *what;
	ctl_handler                            *handler;
};

#define K(x)    HOMEWARD__CONTROL__REQUEST__KIND_##x

static const struct ctl_route routes[] = {
	/* the daemon and its peers (ctl_daemon.c) */
	{ K(STATUS),            ANY_ROLE,
	    NULL, ctl_status },
	{ K(PEERS_LIST),        ANY_ROLE,
	    NULL, ctl_peers_list },
	{ K(PEER_IMPORT),       ROLE_SUPERVISOR,
	    N_("importing a peer"), ctl_peer_import },
	{ K(PEER_ACTION),       ROLE_SUPERVISOR,
	    N_("changing a peer"), ctl_peer_action },
	{ K(LOG_LEVEL),         ROLE_SUPERVISOR,
	    N_("changing the log level"), ctl_log_level },
	/* messages (ctl_msgs.c); showing a document checks its own role */
	{ K(MESSAGE_LIST),      ANY_ROLE,
	    NULL, ctl_message_list },
	{ K(MESSAGE_SHOW),      ANY_ROLE,
	    NULL, ctl_message_show },
	{ K(EVIDENCE_EXPORT),   ROLE_SUPERVISOR | ROLE_AUDITOR,
	    N_("exporting evidence"), ctl_evidence_export },
	{ K(SEND),              CTL_ROLE_WORK,
	    N_("sending"), ctl_send_document },
	/* cases (ctl_case.c) */
	{ K(CASE_OPEN),         CTL_ROLE_WORK,
	    N_("opening a case"), ctl_case_open },
	{ K(CASE_LIST),         CTL_ROLE_READ,
	    N_("listing cases"), ctl_case_list },
	{ K(CASE_SHOW),         CTL_ROLE_READ,
	    N_("showing a case"), ctl_case_show },
	{ K(CASE_CLOSE),        ROLE_SUPERVISOR,
	    N_("closing a case"), ctl_case_close },
	{ K(CASE_UPDATE),       CTL_ROLE_WORK,
	    N_("correcting a case"), ctl_case_update },
	/* arrivals (ctl_arrival.c) */
	{ K(CASE_OUTCOME),      ROLE_SUPERVISOR,
	    N_("recording what became of a person who did not arrive"),
	    ctl_case_outcome },
	/* consent (ctl_consent.c) */
	{ K(CONSENT_RECORD),    CTL_ROLE_WORK,
	    N_("recording consent"), ctl_consent_record },
	{ K(CONSENT_LIST),      CTL_ROLE_READ,
	    N_("listing consents"), ctl_consent_list },
	{ K(CONSENT_WITHDRAW),  CTL_ROLE_WORK,
	    N_("withdrawing consent"), ctl_consent_withdraw },
	/* the procedure's documents (ctl_step.c) */
	{ K(STEP_SEND),         CTL_ROLE_WORK,
	    N_("sending a document"), ctl_step_send },
	{ K(HELD_LIST),         CTL_ROLE_READ,
	    N_("listing held documents"), ctl_held_list },
	{ K(HELD_SHOW),         CTL_ROLE_WORK,
	    N_("reading a held document (case data: need to know)"), ctl_held_show },
	{ K(HELD_CANCEL),       CTL_ROLE_WORK,
	    N_("cancelling a held document"), ctl_held_cancel },
	{ K(APPROVE),           ROLE_SUPERVISOR,
	    N_("approving"), ctl_approve },
	{ K(DOCUMENT_SHOW),     CTL_ROLE_WORK,
	    N_("reading a document"), ctl_document_show },
	/* reports and consent notices (ctl_report.c): it checks the purpose's
	 * role itself (her copy and a notice: caseworkers, supervisors) */
	{ K(CASE_REPORT),       CTL_ROLE_READ,
	    N_("making a case report"), ctl_case_report },
	/* alerts, the audit log, the worklist (ctl_alert.c) */
	{ K(ALERT_LIST),        CTL_ROLE_READ,
	    N_("listing alerts"), ctl_alert_list },
	{ K(ALERT_ACK),         CTL_ROLE_WORK,
	    N_("acknowledging an alert"), ctl_alert_ack },
	{ K(AUDIT_VERIFY),      ROLE_SUPERVISOR | ROLE_AUDITOR,
	    N_("verifying the audit log"), ctl_audit_verify },
	{ K(AUDIT_LIST),        ROLE_SUPERVISOR | ROLE_AUDITOR,
	    N_("reading the audit log"), ctl_audit_list },
	{ K(WORKLIST),          CTL_ROLE_READ,
	    N_("the worklist"), ctl_worklist },
	/* backups (ctl_backup.c) */
	{ K(BACKUP),            ROLE_SUPERVISOR,
	    N_("a backup of the databases"), ctl_backup },
};

#undef K

int
ctl_admit(uid_t uid, void *arg, char *why, size_t whylen)
{
	struct daemon *d = arg;

	if (config_roles(&d->cfg, uid) != ROLE_NONE)
		return 0;
	snprintf(why, whylen, _("uid %u has no role in %s"), (unsigned)uid,
	    d->cfg.path);
	return -1;
}

void
ctl_handle(struct control_client *c, uid_t uid, const Request *req, void *arg)
{
	struct daemon          *d = arg;
	const struct ctl_route *rt = NULL;
	struct ctl_call         call;

	if (config_roles(&d->cfg, uid) == ROLE_NONE) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED,
		    _("uid %u has no role in %s"), (unsigned)uid, d->cfg.path);
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].kind == req->kind_case) {
			rt = &routes[i];
			break;
		}
	if (rt == NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("unknown request; is homeward newer than homewardd?"));
		return;
	}
	if (rt->roles != ANY_ROLE &&
	    ctl_need_role(c, d, uid, rt->roles, _(rt->what)) != 0)
		return;
	call.c = c;
	call.d = d;
	call.uid = uid;
	call.actor.uid = uid;
	call.actor.roles = config_roles(&d->cfg, uid);
	config_user_name(&d->cfg, uid, call.actor.name,
	    sizeof(call.actor.name));
	/* A submission sent again after a lost answer is answered from what
	 * it did the first time (ctl_request.c). */
	if (ctl_request_begin(&call, req) != 0)
		return;
	rt->handler(&call, req);
	ctl_request_end(&call, req);
}
