/*
 * Submissions that may arrive twice (control.proto Request.request_id).
 * The CLI gives each submission a random id and sends it again, with the
 * same id, when the connection was lost before the answer: the daemon may
 * have committed it and died before answering.  ctl.c asks here before
 * the handler runs: an id already carried out is answered from what it
 * committed (the same message and held ids; store_request.c recorded them
 * in the same transaction), and nothing is committed again; a new id is
 * armed in the store for the handler's commits.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/ctl/ctl_int.h"

#define K(x)    HOMEWARD__CONTROL__REQUEST__KIND_##x

/* A message the request queued, as the handler of its kind answers it:
 * a StepResult for a step, else a MessageInfo. */
static int
replay_out(struct control_client *cl, struct daemon *d, uint32_t kind,
    const uint8_t id[ENV1_ID_LEN])
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__StepResult   sr = HOMEWARD__CONTROL__STEP_RESULT__INIT;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	struct store_out                m;

	if (store_out_get(d->store, id, &m) != 0)
		return 0;       /* collected since: the result names it */
	if (kind == K(STEP_SEND)) {
		sr.state = "queued";
		sr.message_id.data = m.message_id;
		sr.message_id.len = ENV1_ID_LEN;
		sr.msg_type = m.msg_type;
		sr.peer = (char *)ctl_agency_of(d, m.peer_rik);
		r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STEP;
		r.step = &sr;
	} else {
		mi.message_id.data = m.message_id;
		mi.message_id.len = ENV1_ID_LEN;
		mi.thread_id.data = m.thread_id;
		mi.thread_id.len = ENV1_ID_LEN;
		mi.direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;
		mi.peer = (char *)ctl_agency_of(d, m.peer_rik);
		mi.msg_type = m.msg_type;
		mi.state = (char *)store_out_state_name(m.state);
		mi.created_at = m.created_at;
		mi.body_len = m.body_len;
		r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE;
		r.message = &mi;
	}
	return control_send(cl, &r);
}

/* A document the request held: a StepResult for a step, else a HeldInfo. */
static int
replay_held(struct control_client *cl, struct daemon *d, uint32_t kind,
    const uint8_t id[ENV1_ID_LEN])
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__StepResult   sr = HOMEWARD__CONTROL__STEP_RESULT__INIT;
	struct store_held               h;

	if (store_held_get(d->store, id, &h) != 0)
		return 0;
	if (kind != K(STEP_SEND))
		return ctl_send_held(cl, d, &h, NULL);
	sr.state = h.state == HELD_APPROVAL ? "approval" : "held";
	sr.held_id.data = h.held_id;
	sr.held_id.len = ENV1_ID_LEN;
	sr.missing = h.missing;
	sr.msg_type = h.msg_type;
	sr.peer = (char *)ctl_agency_of(d, h.peer_rik);
	sr.categories = h.categories;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STEP;
	r.step = &sr;
	return control_send(cl, &r);
}

static void
replay(struct control_client *cl, struct daemon *d, const struct store_request *sr)
{
	char    at[32];
	time_t  t = (time_t)(sr->at / 1000);
	struct tm tm;

	for (size_t i = 0; i < sr->nout; i++)
		if (replay_out(cl, d, sr->kind, sr->out_ids + i * ENV1_ID_LEN) != 0)
			return;
	for (size_t i = 0; i < sr->nheld; i++)
		if (replay_held(cl, d, sr->kind, sr->held_ids + i * ENV1_ID_LEN) != 0)
			return;
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	control_result(cl, R(OK), _("already done at %s (the answer was lost): "
	    "%zu message(s) queued, %zu document(s) held, nothing sent again"),
	    at, sr->nout, sr->nheld);
}

int
ctl_request_begin(const struct ctl_call *call, const Request *req)
{
	struct store_request    sr;
	int                     rc;

	if (req->request_id.len == 0)
		return 0;
	if (req->request_id.len != STORE_REQUEST_ID_LEN) {
		control_result(call->c, R(USAGE), _("a request id is %d bytes; is "
		    "homeward another version than homewardd?"), STORE_REQUEST_ID_LEN);
		return -1;
	}
	rc = store_request_get(call->d->store, req->request_id.data, &sr);
	if (rc == -ENOENT) {
		store_request_arm(call->d->store, req->request_id.data,
		    (uint32_t)req->kind_case, clock_now());
		return 0;
	}
	if (rc != 0) {
		ctl_store_result(call->c, rc, "looking up the request id");
		return -1;
	}
	if (sr.kind != (uint32_t)req->kind_case)
		control_result(call->c, R(USAGE), _("request id %s was used for "
		    "another request: run the command again (a new id)"),
		    log_hex(req->request_id.data, STORE_REQUEST_ID_LEN));
	else {
		log_info("request %s carried out before: answered again, nothing "
		    "committed", log_hex(req->request_id.data, STORE_REQUEST_ID_LEN));
		replay(call->c, call->d, &sr);
	}
	store_request_clear(&sr);
	return -1;
}

void
ctl_request_end(const struct ctl_call *call, const Request *req)
{
	if (req->request_id.len != 0)
		store_request_disarm(call->d->store);
}
