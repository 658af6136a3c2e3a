/*
 * The daemon's side of the control protocol (proto/control.proto): one
 * handler per request, each checking the operator's role first and ending
 * with exactly one result.  Errors say what to do next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/store/store_case.h"
#include "daemon/core/core.h"
#include "daemon/base/log.h"
#include "keys/fingerprint.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"

#define LIST_DEFAULT    100
#define LIST_MAX        10000

typedef Homeward__Control__Request  Request;
typedef Homeward__Control__Response Response;

int
ctl_store_result(struct control_client *c, int rc, const char *what)
{
	if (rc == -ENOSPC)
		return control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_STORE,
		    "%s: the disk is full; nothing was changed. Free space and retry",
		    what);
	return control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_STORE,
	    "%s: the store failed (%s); nothing was changed. See the daemon's log",
	    what, strerror(-rc));
}

int
ctl_need_role(struct control_client *c, struct daemon *d, uid_t uid, unsigned roles,
    const char *what)
{
	if ((config_roles(&d->cfg, uid) & roles) != 0)
		return 0;
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED,
	    "%s needs the role %s; ask an administrator to add you under [roles] "
	    "in %s", what, roles & ROLE_SUPERVISOR ? (roles & ROLE_CASEWORKER ?
	    "caseworker or supervisor" : roles & ROLE_AUDITOR ? "supervisor or "
	    "auditor" : "supervisor") : "auditor", d->cfg.path);
	return -1;
}

/* --- status and peers ------------------------------------------------------ */

static void
do_status(struct control_client *c, struct daemon *d)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Status       s = HOMEWARD__CONTROL__STATUS__INIT;
	struct store_counts             n;
	char                            listen[128] = "";
	int                             rc;

	if ((rc = store_counts(d->store, &n)) != 0) {
		ctl_store_result(c, rc, "status");
		return;
	}
	s.agency_id = d->keys.agency_id;
	s.fingerprint = d->keys.fingerprint;
	s.software = (char *)"homewardd " HOMEWARD_VERSION;
	s.started_at = d->started_at;
	s.now = clock_now();
	s.peers_total = (uint32_t)d->npeers;
	for (size_t i = 0; i < d->npeers; i++)
		s.peers_connected += peer_is_connected(d->peers[i]);
	s.outbox_unacked = n.out_unacked;
	s.outbox_waiting = n.out_waiting;
	s.oldest_unacked_at = n.oldest_unacked_at;
	if (n.oldest_unacked_at != 0) {
		s.oldest_unacked_id.data = n.oldest_unacked_id;
		s.oldest_unacked_id.len = ENV1_ID_LEN;
	}
	s.inbox_total = n.in_total;
	s.inbox_gap_held = n.in_gap_held;
	s.alerts = n.alerts;
	if (d->listener != NULL)
		snprintf(listen, sizeof(listen), "%s:%u", d->cfg.listen_host,
		    conn_listener_port(d->listener));
	s.listen = listen;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
	r.status = &s;
	control_send(c, &r);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
}

static void
do_peers_list(struct control_client *c, struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer                    *p = d->peers[i];
		Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
		Homeward__Control__PeerInfo     pi = HOMEWARD__CONTROL__PEER_INFO__INIT;
		char                            fp[FP_DISPLAY_BUFLEN];
		const struct stmt_spk          *spk;
		uint64_t                        unacked = 0, now = clock_now();

		fp_display(p->rec.rik, fp);
		store_peer_unacked(d->store, p->rec.rik, &unacked);
		pi.agency_id = p->rec.agency_id;
		pi.name = p->b.info.name;
		pi.country = p->b.info.country;
		pi.time_zone = p->b.info.time_zone;
		pi.endpoint = p->endpoint;
		pi.fingerprint = fp;
		pi.rik.data = p->rec.rik;
		pi.rik.len = ENV1_KEY_LEN;
		pi.verified = p->rec.verified;
		pi.suspended = p->rec.suspended || p->b.keys.suspended;
		pi.connected = peer_is_connected(p);
		pi.imported_at = p->rec.imported_at;
		pi.last_seen_at = p->rec.last_seen_at;
		pi.outbox_unacked = unacked;
		for (size_t k = 0; k < p->b.keys.nprekeys; k++) {
			spk = &p->b.keys.prekeys[k];
			if (peerkeys_validate_prekey(&p->b.keys, spk, now) == ENV1_OK)
				pi.valid_prekeys++;
		}
		r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_PEER;
		r.peer = &pi;
		if (control_send(c, &r) != 0)
			break;
	}
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
}

static void
do_peer_import(struct control_client *c, struct daemon *d,
    const Homeward__Control__PeerImport *req)
{
	struct bundle           b;
	struct store_peer       row;
	struct peer            *existing;
	char                    why[BUNDLE_WHY_LEN], fp[FP_DISPLAY_BUFLEN];
	char                    host[256];
	uint16_t                port;
	int                     rc;

	if (bundle_parse(req->bundle.data, req->bundle.len, &b, why) != ENV1_OK) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "bundle refused: %s", why);
		return;
	}
	fp_display(b.keys.rik, fp);
	if (req->fingerprint == NULL || strcmp(req->fingerprint, fp) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "the confirmed fingerprint is not this bundle's (%s): compare it "
		    "with the partner again, out of band", fp);
		goto out;
	}
	if (sodium_memcmp(b.keys.rik, d->keys.id.rik_pub, ENV1_KEY_LEN) == 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "this is our own agency's bundle");
		goto out;
	}
	if (req->endpoint != NULL && req->endpoint[0] != '\0' &&
	    (config_split_hostport(req->endpoint, host, sizeof(host), &port) != 0 ||
	    port == 0)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "endpoint must be host:port");
		goto out;
	}
	if ((existing = peers_by_agency(d, b.info.agency_id)) != NULL &&
	    memcmp(existing->rec.rik, b.keys.rik, ENV1_KEY_LEN) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "agency %s is already pinned to another identity; a new root key "
		    "needs a transition, or remove the peer first", b.info.agency_id);
		goto out;
	}
	if (peers_spki_owner(d, b.info.tls_spki_sha256, b.keys.rik) != NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "this bundle's TLS key is pinned for another peer: refused");
		goto out;
	}
	/* Re-importing a known agency (same root key) updates its bundle: it
	 * keeps the operator's state and every revocation already held. */
	existing = peers_by_rik(d, b.keys.rik);
	if (existing != NULL && !peer_bundle_keeps_revocations(&existing->b, &b)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "this bundle of %s lacks a revocation already recorded: it is "
		    "older than what we hold, or was altered", b.info.agency_id);
		goto out;
	}
	memset(&row, 0, sizeof(row));
	if (existing != NULL) {
		row = existing->rec;
		row.bundle = NULL;
		row.bundle_len = 0;
	}
	memcpy(row.rik, b.keys.rik, ENV1_KEY_LEN);
	snprintf(row.agency_id, sizeof(row.agency_id), "%s", b.info.agency_id);
	if (req->endpoint != NULL && req->endpoint[0] != '\0')
		snprintf(row.endpoint, sizeof(row.endpoint), "%s", req->endpoint);
	row.verified = 1;
	row.imported_at = clock_now();
	row.bundle = req->bundle.data;
	row.bundle_len = req->bundle.len;
	if ((rc = store_peer_put(d->store, &row)) != 0) {
		ctl_store_result(c, rc, "peer import");
		goto out;
	}
	if ((rc = peers_load(d)) != 0) {
		ctl_store_result(c, rc, "peer directory reload");
		goto out;
	}
	log_info("peer %s imported (fingerprint verified by the operator)",
	    b.info.agency_id);
	peers_dial_all(d);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK,
	    "peer %s imported", b.info.agency_id);
out:
	bundle_free(&b);
}

static void
do_peer_action(struct control_client *c, struct daemon *d,
    const Homeward__Control__PeerAction *req)
{
	struct peer            *p;
	struct store_peer       row;
	char                    fp[FP_DISPLAY_BUFLEN];
	uint64_t                unacked = 0;
	int                     rc;

	if (req->agency_id == NULL || (p = peers_by_agency(d, req->agency_id)) == NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    "no peer %s; `homeward peers` lists them",
		    req->agency_id ? req->agency_id : "");
		return;
	}
	row = p->rec;
	switch (req->action) {
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_VERIFY:
		fp_display(p->rec.rik, fp);
		if (req->fingerprint == NULL || strcmp(req->fingerprint, fp) != 0) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
			    "the confirmed fingerprint does not match %s's", p->rec.agency_id);
			return;
		}
		row.verified = 1;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_SUSPEND:
		row.suspended = 1;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_RESUME:
		row.suspended = 0;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_REMOVE:
		if (store_peer_unacked(d->store, p->rec.rik, &unacked) == 0 && unacked) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
			    "%s has %llu message(s) without a receipt; suspend it instead",
			    p->rec.agency_id, (unsigned long long)unacked);
			return;
		}
		rc = store_peer_delete(d->store, p->rec.rik);
		goto reload;
	default:
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "unknown peer action");
		return;
	}
	rc = store_peer_put(d->store, &row);
reload:
	if (rc != 0) {
		ctl_store_result(c, rc, "peer update");
		return;
	}
	if ((rc = peers_load(d)) != 0) {
		ctl_store_result(c, rc, "peer directory reload");
		return;
	}
	peers_dial_all(d);
	log_info("peer %s: operator action %d", req->agency_id, (int)req->action);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
}

/* --- messages ---------------------------------------------------------------- */

struct list_walk {
	struct control_client  *c;
	struct daemon          *d;
	const char             *state;
	int                     failed;
};

static const char *
agency_of(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN])
{
	struct peer *p = peers_by_rik(d, rik);

	return p != NULL ? p->rec.agency_id : "(removed)";
}

static void
fill_out(Homeward__Control__MessageInfo *mi, struct daemon *d,
    const struct store_out *m)
{
	mi->message_id.data = (uint8_t *)m->message_id;
	mi->message_id.len = ENV1_ID_LEN;
	mi->direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;
	mi->peer = (char *)agency_of(d, m->peer_rik);
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
	mi->peer = (char *)agency_of(d, m->sender_rik);
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
	struct list_walk               *w = arg;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;

	fill_out(&mi, w->d, m);
	return send_info(w->c, &mi) == 0 ? 0 : 1;
}

static int
list_in_cb(const struct store_in *m, void *arg)
{
	struct list_walk               *w = arg;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;

	fill_in(&mi, w->d, m);
	return send_info(w->c, &mi) == 0 ? 0 : 1;
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

static void
do_list(struct control_client *c, struct daemon *d,
    const Homeward__Control__MessageList *req)
{
	struct list_walk        w = { c, d, NULL, 0 };
	const uint8_t          *rik = NULL;
	unsigned                limit = req->limit ? req->limit : LIST_DEFAULT;
	int                     out, state, rc;

	out = req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	if (parse_state(out, req->state, &state) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "unknown state %s; %s", req->state, out ?
		    "outbox states: waiting, sealed, delivered, receipt" :
		    "inbox states: accepted, gap_held");
		return;
	}
	if (req->peer != NULL && req->peer[0] != '\0') {
		struct peer *p = peers_by_agency(d, req->peer);

		if (p == NULL) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
			    "no peer %s", req->peer);
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
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
}

static void
do_show(struct control_client *c, struct daemon *d, uid_t uid,
    const Homeward__Control__MessageShow *req)
{
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	struct store_out                m;
	struct store_in                 in;
	uint8_t                        *body = NULL, *ev = NULL;
	size_t                          evlen = 0;
	int                             found = 0, rc;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "a message id is 32 hexadecimal digits");
		return;
	}
	if (req->with_body && ctl_need_role(c, d, uid, ROLE_CASEWORKER | ROLE_SUPERVISOR,
	    "reading a document") != 0)
		return;
	if (req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN &&
	    store_out_get(d->store, req->message_id.data, &m) == 0) {
		fill_out(&mi, d, &m);
		found = 1;
		if (req->with_body) {
			if ((rc = store_out_body(d->store, &m, &body)) != 0)
				goto fail;
			mi.body.data = body;
			mi.body.len = (size_t)m.body_len;
		}
	} else if (req->direction != HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT &&
	    store_in_get_id(d->store, req->message_id.data, &in) == 0) {
		fill_in(&mi, d, &in);
		found = 1;
		if (req->with_body) {
			Homeward__Keys__SignedMessage *sm;

			if ((rc = store_in_evidence(d->store, &in, &ev, &evlen)) != 0)
				goto fail;
			sm = homeward__keys__signed_message__unpack(NULL, evlen, ev);
			if (sm == NULL || sm->body.len != in.body_len ||
			    (body = secret_dup(sm->body.data, sm->body.len)) == NULL) {
				if (sm != NULL) {
					sodium_memzero(sm->body.data, sm->body.len);
					homeward__keys__signed_message__free_unpacked(sm, NULL);
				}
				rc = -EBADMSG;
				goto fail;
			}
			sodium_memzero(sm->body.data, sm->body.len);
			homeward__keys__signed_message__free_unpacked(sm, NULL);
			mi.body.data = body;
			mi.body.len = (size_t)in.body_len;
		}
	}
	if (!found) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    "no message %s", log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (req->with_body) {
		char who[STORE_NAME_LEN];

		config_user_name(&d->cfg, uid, who, sizeof(who));
		if ((rc = audit_append(d->store, who, AUDIT_READ, "",
		    req->message_id.data, "message body", clock_now())) != 0)
			goto fail;
		audit_anchor_sync(d->store);
		log_info("operator uid %u read the document of message %s",
		    (unsigned)uid, log_hex(req->message_id.data, ENV1_ID_LEN));
	}
	send_info(c, &mi);
	secret_free(body);
	secret_free(ev);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
	return;
fail:
	secret_free(body);
	secret_free(ev);
	ctl_store_result(c, rc, "show");
}

static void
do_evidence(struct control_client *c, struct daemon *d,
    const Homeward__Control__EvidenceExport *req)
{
	Response        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	uint8_t        *ev;
	size_t          len;
	int             rc;

	if (req->message_id.len != ENV1_ID_LEN) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "a message id is 32 hexadecimal digits");
		return;
	}
	rc = deliver_evidence(d, req->message_id.data, &ev, &len);
	if (rc == -ENOENT) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    "no message %s", log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (rc == -EAGAIN) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "message %s is not sealed yet: no evidence exists",
		    log_hex(req->message_id.data, ENV1_ID_LEN));
		return;
	}
	if (rc != 0) {
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
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "the evidence of message %s (%zu bytes) does not fit one control "
		    "frame; this version cannot export it", log_hex(req->message_id.data,
		    ENV1_ID_LEN), len);
		return;
	}
	log_info("evidence of message %s exported",
	    log_hex(req->message_id.data, ENV1_ID_LEN));
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "ok");
}

static void
do_send(struct control_client *c, struct daemon *d,
    const Homeward__Control__SendDocument *req)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__MessageInfo  mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	static const uint8_t            zero[ENV1_ID_LEN];
	uint8_t                         id[ENV1_ID_LEN], tid[ENV1_ID_LEN];
	struct peer                    *p;
	int                             rc;

	if (req->peer == NULL || (p = peers_by_agency(d, req->peer)) == NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    "no peer %s; `homeward peers` lists them", req->peer ? req->peer : "");
		return;
	}
	/* Until the procedure's documents exist only opaque test documents
	 * travel: nothing here may carry personal data unchecked by consent. */
	if (req->msg_type != ENV1_MSG_TEST_DOCUMENT) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "send carries only opaque test documents (type 0x7f00); the "
		    "procedure's documents go with `homeward request send` and the "
		    "other step commands, through the consent gate");
		return;
	}
	/* Opaque bytes are classified by nothing: off unless a test system
	 * says otherwise. */
	if (!d->cfg.test_documents) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "test documents are off: they bypass the consent gate. Set "
		    "test_documents = yes in [daemon] of %s on a test system only",
		    d->cfg.path);
		return;
	}
	if ((req->thread_id.len != 0 && req->thread_id.len != ENV1_ID_LEN) ||
	    (req->in_reply_to.len != 0 && req->in_reply_to.len != ENV1_ID_LEN)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "thread and reply-to ids are 32 hexadecimal digits");
		return;
	}
	if (req->body.len > ENV1_MAX_INLINE) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "a document is at most %u bytes", ENV1_MAX_INLINE);
		return;
	}
	rc = deliver_submit(d, p, (uint16_t)req->msg_type, req->body.data, req->body.len,
	    req->thread_id.len ? req->thread_id.data : zero,
	    req->in_reply_to.len ? req->in_reply_to.data : zero, id, tid);
	if (rc == -EPERM) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    "peer %s is suspended or unverified, or the thread is another "
		    "peer's", p->rec.agency_id);
		return;
	}
	if (rc == -ENOENT) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    "no such thread");
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
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "queued");
}

void
ctl_handle(struct control_client *c, uid_t uid, const Request *req, void *arg)
{
	struct daemon  *d = arg;
	enum log_level  lvl;

	if (config_roles(&d->cfg, uid) == ROLE_NONE) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED,
		    "uid %u has no role in %s", (unsigned)uid, d->cfg.path);
		return;
	}
	switch (req->kind_case) {
	case HOMEWARD__CONTROL__REQUEST__KIND_STATUS:
		do_status(c, d);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEERS_LIST:
		do_peers_list(c, d);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_IMPORT:
		if (ctl_need_role(c, d, uid, ROLE_SUPERVISOR, "importing a peer") == 0)
			do_peer_import(c, d, req->peer_import);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_ACTION:
		if (ctl_need_role(c, d, uid, ROLE_SUPERVISOR, "changing a peer") == 0)
			do_peer_action(c, d, req->peer_action);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_LIST:
		do_list(c, d, req->message_list);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_SHOW:
		do_show(c, d, uid, req->message_show);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_EVIDENCE_EXPORT:
		if (ctl_need_role(c, d, uid, ROLE_SUPERVISOR | ROLE_AUDITOR,
		    "exporting evidence") == 0)
			do_evidence(c, d, req->evidence_export);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_SEND:
		if (ctl_need_role(c, d, uid, ROLE_CASEWORKER | ROLE_SUPERVISOR,
		    "sending") == 0)
			do_send(c, d, req->send);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL:
		if (ctl_need_role(c, d, uid, ROLE_SUPERVISOR, "changing the log level") != 0)
			break;
		if (req->log_level->level == NULL ||
		    log_level_parse(req->log_level->level, &lvl) != 0) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
			    "log level must be warn, info or debug");
			break;
		}
		log_setlevel(lvl);
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK,
		    "log level %s", req->log_level->level);
		break;
	default:
		if (ctl_case_handle(c, d, uid, req) == 0)
			break;
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    "unknown request; is homeward newer than homewardd?");
		break;
	}
}
