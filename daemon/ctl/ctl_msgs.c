/*
 * Messages in the outbox and inbox: listing them, showing one (its
 * document only to caseworkers and supervisors, and recorded in the audit
 * log first), exporting a message's evidence bundle, and sending an
 * opaque test document.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/base/log.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"

static void
fill_out(Homeward__Control__MessageInfo *mi, struct daemon *d,
    const struct store_out *m)
{
	mi->message_id.data = (uint8_t *)m->message_id;
	mi->message_id.len = ENV1_ID_LEN;
	mi->direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;
	mi->peer = (char *)ctl_agency_of(d, m->peer_rik);
	mi->thread_id.data = (uint8_t *)m->thread_id;
	mi->thread_id.len = ENV1_ID_LEN;
	mi->seq = m->seq;
	mi->msg_type = m->msg_type;
	mi->state = (char *)store_out_state_name(m->state);
	mi->created_at = m->created_at;
	mi->sent_at = m->sent_at;
	mi->attempts = m->attempts;
	mi->delivered_at = m->delivered_at;
	mi->body_len = m->body_len;
	if (m->state != OUT_WAITING) {
		mi->h_inner.data = (uint8_t *)m->h_inner;
		mi->h_inner.len = ENV1_HASH_LEN;
	}
	mi->in_reply_to.data = (uint8_t *)m->in_reply_to;
	mi->in_reply_to.len = ENV1_ID_LEN;
}

static void
fill_in(Homeward__Control__MessageInfo *mi, struct daemon *d,
    const struct store_in *m)
{
	mi->message_id.data = (uint8_t *)m->message_id;
	mi->message_id.len = ENV1_ID_LEN;
	mi->direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
	mi->peer = (char *)ctl_agency_of(d, m->sender_rik);
	mi->thread_id.data = (uint8_t *)m->thread_id;
	mi->thread_id.len = ENV1_ID_LEN;
	mi->seq = m->seq;
	mi->msg_type = m->msg_type;
	mi->state = (char *)store_in_state_name(m->state);
	mi->created_at = m->created_at;
	mi->delivered_at = m->committed_at;
	mi->body_len = m->body_len;
	mi->h_inner.data = (uint8_t *)m->h_inner;
	mi->h_inner.len = ENV1_HASH_LEN;
	mi->in_reply_to.data = (uint8_t *)m->in_reply_to;
	mi->in_reply_to.len = ENV1_ID_LEN;
}

static int
send_info(struct control_client *c, Homeward__Control__MessageInfo *mi)
{
	Response r = HOMEWARD__CONTROL__RESPONSE__INIT;

	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE;
	r.message = mi;
	return control_send(c, &r);
}

static int
list_out_cb(const struct store_out *m, void *arg)
{
	struct ctl_walk                *w = arg;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;

	fill_out(&mi, w->d, m);
	return send_info(w->cl, &mi) == 0 ? 0 : 1;
}

static int
list_in_cb(const struct store_in *m, void *arg)
{
	struct ctl_walk                *w = arg;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;

	fill_in(&mi, w->d, m);
	return send_info(w->cl, &mi) == 0 ? 0 : 1;
}

static int
parse_state(int out, const char *s, int *state)
{
	static const int outs[] = { OUT_WAITING, OUT_SEALED, OUT_DELIVERED, OUT_RECEIPT };
	static const int ins[] = { IN_ACCEPTED, IN_GAP_HELD };

	*state = -1;
	if (s == NULL || *s == '\0')
		return 0;
	if (out) {
		for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
			if (strcmp(s, store_out_state_name(outs[i])) == 0)
				return *state = outs[i], 0;
	} else {
		for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
			if (strcmp(s, store_in_state_name(ins[i])) == 0)
				return *state = ins[i], 0;
	}
	return -1;
}

void
ctl_message_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *c = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__MessageList *req = rq->message_list;
	struct ctl_walk         w = { c, d, 0 };
	const uint8_t          *rik = NULL;
	unsigned                limit = req->limit ? req->limit : CTL_LIST_DEFAULT;
	int                     out, state, rc;

	out = req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
	if (limit > CTL_LIST_MAX)
		limit = CTL_LIST_MAX;
	if (parse_state(out, req->state, &state) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("unknown state %s; %s"), req->state, out ?
		    "outbox states: waiting, sealed, delivered, receipt" :
		    "inbox states: accepted, gap_held");
		return;
	}
	if (req->peer != NULL && req->peer[0] != '\0') {
		struct peer *p = peers_by_agency(d, req->peer);

		if (p == NULL) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
			    _("no peer %s"), req->peer);
			return;
		}
		rik = p->rec.rik;
	}
	rc = out ? store_out_list(d->store, rik, state, req->before, limit,
	    list_out_cb, &w) : store_in_list(d->store, rik, state, req->before,
	    limit, list_in_cb, &w);
	if (rc != 0) {
		ctl_store_result(c, rc, "list");
		return;
	}
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("ok"));
}

void
ctl_message_show(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *c = call->c;
	struct daemon                  *d = call->d;
	uid_t                           uid = call->uid;
	const Homeward__Control__MessageShow *req = rq->message_show;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	struct store_out                m;
	struct store_in                 in;
	uint8_t                        *body = NULL;
	char                            code[STORE_CODE_LEN] = "";
	int                             found = 0, rc;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("a message id is 32 hexadecimal digits"));
		return;
	}
	if (req->with_body && ctl_need_role(c, d, uid, CTL_ROLE_WORK,
	    "reading a document") != 0)
		return;
	if (req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN &&
	    store_out_get(d->store, req->message_id.data, &m) == 0) {
		fill_out(&mi, d, &m);
		found = 1;
		if (req->with_body && (ctl_doc_gate(c, d, m.message_id, m.thread_id,
		    m.msg_type, code) != 0))
			return;
		if (req->with_body && (rc = ctl_message_body(d, &m, NULL, &body,
		    &mi.body.len)) != 0)
			goto fail;
	} else if (req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT &&
	    store_in_get_id(d->store, req->message_id.data, &in) == 0) {
		fill_in(&mi, d, &in);
		found = 1;
		if (req->with_body && (ctl_doc_gate(c, d, in.message_id, in.thread_id,
		    in.msg_type, code) != 0))
			return;
		if (req->with_body && (rc = ctl_message_body(d, NULL, &in, &body,
		    &mi.body.len)) != 0)
			goto fail;
	}
	if (!found) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    _("no message %s"), log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (req->with_body) {
		char who[STORE_NAME_LEN];

		config_user_name(&d->cfg, uid, who, sizeof(who));
		/* Under its case's code, so that the case's audit shows it. */
		if ((rc = audit_append(d->store, who, AUDIT_READ, code,
		    req->message_id.data, "message body", clock_now())) != 0)
			goto fail;
		audit_anchor_sync(d->store);
		log_info("operator uid %u read the document of message %s",
		    (unsigned)uid, log_hex(req->message_id.data, ENV1_ID_LEN));
	}
	mi.body.data = body;
	send_info(c, &mi);
	secret_free(body);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("ok"));
	return;
fail:
	secret_free(body);
	ctl_store_result(c, rc, "show");
}

/* The thread and type of a message, for ctl_doc_gate; -ENOENT. */
static int
message_of(struct daemon *d, const uint8_t id[ENV1_ID_LEN],
    uint8_t thread_id[ENV1_ID_LEN], uint32_t *msg_type)
{
	struct store_out m;
	struct store_in in;

	if (store_out_get(d->store, id, &m) == 0) {
		memcpy(thread_id, m.thread_id, ENV1_ID_LEN);
		*msg_type = m.msg_type;
		return 0;
	}
	if (store_in_get_id(d->store, id, &in) == 0) {
		memcpy(thread_id, in.thread_id, ENV1_ID_LEN);
		*msg_type = in.msg_type;
		return 0;
	}
	return -ENOENT;
}

/* Evidence holds the signed document: a read like `document show`, under
 * the same rule and audited under the case's code.  An auditor's has no
 * body: the signed content hash keeps delivery provable. */
void
ctl_evidence_export(const struct ctl_call *call, const Request *rq)
{
	struct control_client *c = call->c;
	struct daemon  *d = call->d;
	const Homeward__Control__EvidenceExport *req = rq->evidence_export;
	const uint8_t  *id = req->message_id.data;
	Response        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	uint8_t         tid[ENV1_ID_LEN], *ev = NULL;
	char            code[STORE_CODE_LEN];
	uint32_t        type;
	size_t          len = 0;
	int             rc, body = (call->actor.roles & ROLE_SUPERVISOR) != 0;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(c, R(USAGE), _("a message id is 32 hexadecimal digits"));
		return;
	}
	if (message_of(d, id, tid, &type) != 0) {
		control_result(c, R(NOT_FOUND), _("no message %s"),
		    log_hex(id, ENV1_ID_LEN));
		return;
	}
	if (ctl_doc_gate(c, d, id, tid, type, code) != 0)
		return;
	rc = body ? deliver_evidence(d, id, &ev, &len) :
	    deliver_evidence_withheld(d, id, &ev, &len);
	if (rc == -EAGAIN) {
		control_result(c, R(REFUSED), _("message %s is not sealed yet: no "
		    "evidence exists; export it once `homeward outbox` shows it "
		    "sealed"), log_hex(id, ENV1_ID_LEN));
		return;
	}
	/* The read is recorded before anything is shown. */
	if (rc == 0 && (rc = audit_append(d->store, call->actor.name, AUDIT_READ,
	    code, id, body ? "evidence exported, with the document" :
	    "evidence exported, without the document", clock_now())) == 0)
		audit_anchor_sync(d->store);
	if (rc != 0) {
		if (ev != NULL)
			sodium_memzero(ev, len);
		free(ev);
		ctl_store_result(c, rc, "evidence export");
		return;
	}
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE;
	r.evidence.data = ev;
	r.evidence.len = len;
	rc = control_send(c, &r);
	sodium_memzero(ev, len);
	free(ev);
	if (rc != 0) {
		control_result(c, R(REFUSED), _("the evidence of message %s (%zu "
		    "bytes) does not fit one control frame; this version cannot "
		    "export it"), log_hex(id, ENV1_ID_LEN), len);
		return;
	}
	log_info("evidence of message %s exported %s the document",
	    log_hex(id, ENV1_ID_LEN), body ? "with" : "without");
	control_result(c, R(OK), "%s", body ? _("ok") : _("ok: without the "
	    "document (an auditor's evidence)"));
}

/* Whether a test document may go as asked: only opaque test documents,
 * only on a test system, ids of the right length, within the size limit.
 * Answers the refusal itself and returns -1. */
static int
send_check(struct control_client *c, struct daemon *d,
    const Homeward__Control__SendDocument *req)
{
	/* Until the procedure's documents exist only opaque test documents
	 * travel: nothing here may carry personal data unchecked by consent. */
	if (req->msg_type != ENV1_MSG_TEST_DOCUMENT) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("send carries only opaque test documents (type 0x7f00); the "
		    "procedure's documents go with `homeward request send` and the "
		    "other step commands, through the consent gate"));
		return -1;
	}
	/* Opaque bytes are classified by nothing: off unless a test system
	 * says otherwise. */
	if (!d->cfg.test_documents) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("test documents are off: they bypass the consent gate. Set "
		    "test_documents = yes in [daemon] of %s on a test system only"),
		    d->cfg.path);
		return -1;
	}
	if ((req->thread_id.len != 0 && req->thread_id.len != ENV1_ID_LEN) ||
	    (req->in_reply_to.len != 0 && req->in_reply_to.len != ENV1_ID_LEN)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("thread and reply-to ids are 32 hexadecimal digits"));
		return -1;
	}
	if (req->body.len > ENV1_MAX_INLINE) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("a document is at most %u bytes"), ENV1_MAX_INLINE);
		return -1;
	}
	return 0;
}

void
ctl_send_document(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *c = call->c;
	struct daemon                  *d = call->d;
	const Homeward__Control__SendDocument *req = rq->send;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	static const uint8_t            zero[ENV1_ID_LEN];
	uint8_t                         id[ENV1_ID_LEN], tid[ENV1_ID_LEN];
	struct peer                    *p;
	int                             rc;

	if (req->peer == NULL || (p = peers_by_agency(d, req->peer)) == NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    _("no peer %s; `homeward peers` lists them"),
		    req->peer ? req->peer : "");
		return;
	}
	if (send_check(c, d, req) != 0)
		return;
	rc = deliver_submit(d, p, (uint16_t)req->msg_type, req->body.data, req->body.len,
	    req->thread_id.len ? req->thread_id.data : zero,
	    req->in_reply_to.len ? req->in_reply_to.data : zero, id, tid);
	if (rc == -EPERM) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("peer %s is suspended or unverified, or the thread is another "
		    "peer's"), p->rec.agency_id);
		return;
	}
	if (rc == -ENOENT) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    _("no such thread"));
		return;
	}
	if (rc != 0) {
		ctl_store_result(c, rc, "send");
		return;
	}
	mi.message_id.data = id;
	mi.message_id.len = ENV1_ID_LEN;
	mi.thread_id.data = tid;
	mi.thread_id.len = ENV1_ID_LEN;
	mi.direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;
	mi.peer = p->rec.agency_id;
	mi.msg_type = req->msg_type;
	mi.body_len = req->body.len;
	{
		struct store_out m;

		mi.state = (char *)(store_out_get(d->store, id, &m) == 0 ?
		    store_out_state_name(m.state) : "waiting");
	}
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE;
	r.message = &mi;
	control_send(c, &r);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("queued"));
}
