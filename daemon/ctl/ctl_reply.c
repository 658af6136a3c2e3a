/*
 * Records that handlers of different subjects send alike: a consent
 * (showing a case, recording and listing consent), a held document
 * (showing a case, listing held documents) and an audit entry (a case's
 * timeline, reading the audit log).  Below the handlers; calls only
 * ctl_result.c.
 */
#include <errno.h>
#include <string.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"
#include "keys/secret.h"

/* with_scope 0: an auditor's view, the record without the scope (who
 * gave it, guardian, language: data about the person). */
int
ctl_send_consent(struct control_client *cl, struct daemon *d,
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
	ci.in_error = sc->in_error;
	ci.source = (char *)(sc->source == CONSENT_RECEIVED ? "received" : "recorded");
	ci.released = released;
	/* What she was told: no data about her, shown to every role. */
	ci.notice_language = (char *)sc->notice_language;
	if (sc->has_notice) {
		ci.notice_sha256.data = (uint8_t *)sc->notice_sha256;
		ci.notice_sha256.len = STORE_SHA256_LEN;
	}
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT;
	r.consent = &ci;
	rc = control_send(cl, &r) != 0 ? -EPIPE : 0;
	secret_free(scope);
	return rc;
}

int
ctl_send_held(struct control_client *cl, struct daemon *d,
    const struct store_held *h, const Homeward__Control__HeldInfo *shown)
{
	static const uint8_t            zero[ENV1_ID_LEN];
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__HeldInfo     hi = HOMEWARD__CONTROL__HELD_INFO__INIT;
	struct store_case               c;

	if (shown != NULL)
		hi = *shown;

	if (store_case_get_id(d->store, h->case_id, &c) != 0)
		memset(&c, 0, sizeof(c));
	hi.held_id.data = (uint8_t *)h->held_id;
	hi.held_id.len = ENV1_ID_LEN;
	hi.case_code = c.code;
	hi.case_home = c.home;
	hi.peer = (char *)ctl_agency_of(d, h->peer_rik);
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
	if (memcmp(h->replaced_by, zero, ENV1_ID_LEN) != 0) {
		hi.replaced_by.data = (uint8_t *)h->replaced_by;
		hi.replaced_by.len = ENV1_ID_LEN;
	}
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_HELD;
	r.held = &hi;
	return control_send(cl, &r) != 0 ? -EPIPE : 0;
}

int
ctl_held_send_cb(const struct store_held *h, void *arg)
{
	struct ctl_walk *w = arg;

	return (w->rc = ctl_send_held(w->cl, w->d, h, NULL)) != 0 ? -1 : 0;
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

int
ctl_audit_send_cb(const struct audit_entry *e, void *arg)
{
	return send_audit(arg, e);
}
