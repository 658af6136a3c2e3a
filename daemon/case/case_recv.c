/*
 * The procedure's receiving side and its clock (case.h): documents that
 * became current in their thread are applied to their case inside the
 * inbound transaction (so a crash never applies one twice or loses one);
 * receipts of ours are audited; a timer raises deadline alerts, erases
 * closed cases after retention and cases whose withdrawal we confirmed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"

/* Alert commands running at once, at most: an alert storm must not fork
 * the machine to death. */
#define ALERT_SPAWN_MAX         8
/* Steps an origin agency answers with (PROTOCOL.md 21.4). */
#define CONSENT_ANSWER_STEPS    ((1u << 2) | (1u << 4) | (1u << 6) | (1u << 7))

static unsigned alert_children;

struct alert_child {
	uv_process_t    proc;
};

static void
alert_child_closed(uv_handle_t *h)
{
	free(h->data);
	alert_children--;
}

static void
alert_child_exit(uv_process_t *proc, int64_t status, int sig)
{
	if (status != 0 || sig != 0)
		log_warnx("alert_command exited with %lld (signal %d)",
		    (long long)status, sig);
	uv_close((uv_handle_t *)proc, alert_child_closed);
}

/* Run alert_command with the alert in its environment; never blocks. */
static void
alert_spawn(struct daemon *d, const char *kind, int urgent, const char *agency,
    const char *case_code, const char *detail)
{
	uv_process_options_t    o;
	struct alert_child     *ch;
	char                    e_kind[64], e_urgent[32], e_peer[96], e_case[96],
	                        e_detail[320], e_agency[96];
	char                   *env[] = { e_kind, e_urgent, e_peer, e_case, e_detail,
	                            e_agency, (char *)"PATH=/usr/bin:/bin", NULL };
	char                   *args[] = { d->cfg.alert_command, NULL };
	int                     rc;

	if (d->cfg.alert_command[0] == '\0' || d->loop == NULL)
		return;
	if (alert_children >= ALERT_SPAWN_MAX) {
		log_warnx("alert_command not run for a %s alert: %u still running",
		    kind, alert_children);
		return;
	}
	snprintf(e_kind, sizeof(e_kind), "HOMEWARD_ALERT_KIND=%s", kind);
	snprintf(e_urgent, sizeof(e_urgent), "HOMEWARD_ALERT_URGENT=%d", urgent);
	snprintf(e_peer, sizeof(e_peer), "HOMEWARD_ALERT_PEER=%s", agency ? agency : "");
	snprintf(e_case, sizeof(e_case), "HOMEWARD_ALERT_CASE=%s",
	    case_code ? case_code : "");
	snprintf(e_detail, sizeof(e_detail), "HOMEWARD_ALERT_DETAIL=%s", detail);
	snprintf(e_agency, sizeof(e_agency), "HOMEWARD_AGENCY=%s", d->keys.agency_id);
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.file = d->cfg.alert_command;
	o.args = args;
	o.env = env;
	o.exit_cb = alert_child_exit;
	o.flags = UV_PROCESS_WINDOWS_HIDE;
	ch->proc.data = ch;
	if ((rc = uv_spawn(d->loop, &ch->proc, &o)) != 0) {
		log_warnx("alert_command %s: %s", d->cfg.alert_command, uv_strerror(rc));
		/* uv_spawn failed: the handle is initialised and must close. */
		alert_children++;
		uv_close((uv_handle_t *)&ch->proc, alert_child_closed);
		return;
	}
	alert_children++;
}

int
case_alert(struct daemon *d, const char *kind, int urgent, const uint8_t *peer_rik,
    const uint8_t *thread_id, const char *case_code, const char *detail)
{
	struct peer    *p = peer_rik != NULL ? peers_by_rik(d, peer_rik) : NULL;
	int             rc;

	rc = store_alert_case(d->store, kind, urgent, peer_rik, thread_id, case_code,
	    detail, clock_now());
	if (rc != 0)
		return rc;
	if ((rc = audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ALERT, case_code,
	    NULL, kind, clock_now())) != 0)
		return rc;
	log_warnx("%salert %s: case %s: %s", urgent ? "URGENT " : "", kind,
	    case_code ? case_code : "-", detail);
	alert_spawn(d, kind, urgent, p != NULL ? p->rec.agency_id : NULL, case_code,
	    detail);
	return 0;
}

/* --- documents received ------------------------------------------------------ */

static int
is_procedure(uint16_t t)
{
	return (t >= ENV1_MSG_ASSISTANCE_REQUEST && t <= ENV1_MSG_FOLLOW_UP_REPORT) ||
	    t == ENV1_MSG_CONSENT_WITHDRAWAL || t == ENV1_MSG_ERASURE_CONFIRMATION;
}

/* A new case, referred to us by p's first document in a thread. */
static int
case_from_request(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const char *code, struct store_case *c,
    struct store_case_thread *ct)
{
	Homeward__Referral__AssistanceRequest  *r = (void *)doc;
	uint8_t                                *prof = NULL;
	size_t                                  plen = 0;
	int                                     rc;

	memset(c, 0, sizeof(*c));
	memcpy(c->case_id, row->thread_id, ENV1_ID_LEN);
	snprintf(c->code, sizeof(c->code), "%s", code);
	snprintf(c->home, sizeof(c->home), "%s", p->rec.agency_id);
	c->role = CASE_ROLE_ORIGIN;
	c->state = CASE_OPEN;
	c->opened_at = clock_now();
	snprintf(c->opened_by, sizeof(c->opened_by), "peer %.58s", p->rec.agency_id);
	if (r->profile != NULL && (rc = case_doc_pack(&r->profile->base, &prof,
	    &plen)) != 0)
		return rc;
	rc = store_case_insert(d->store, c, prof, plen);
	secret_free(prof);
	if (rc != 0)
		return rc;
	memset(ct, 0, sizeof(*ct));
	memcpy(ct->thread_id, row->thread_id, ENV1_ID_LEN);
	memcpy(ct->case_id, c->case_id, ENV1_ID_LEN);
	memcpy(ct->peer_rik, p->rec.rik, ENV1_KEY_LEN);
	return audit_append(d->store, c->opened_by, AUDIT_CASE_OPEN, c->code, NULL,
	    "referred to us", clock_now());
}

/* The consent a partner sent with its document covers our answers to it. */
static int
keep_received_consent(struct daemon *d, struct peer *p, const struct store_case *c,
    const Homeward__Referral__ConsentScope *s)
{
	struct store_consent   *rows = NULL, sc;
	struct consent         *plain = NULL;
	uint8_t                *enc = NULL;
	size_t                  n = 0, enc_len;
	int                     rc;

	if (s->consent_id.len != ENV1_ID_LEN)
		return 0;
	if ((rc = case_consents(d, c->case_id, &rows, &plain, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (memcmp(rows[i].c.id, s->consent_id.data, ENV1_ID_LEN) == 0)
			goto out;       /* known */
	memset(&sc, 0, sizeof(sc));
	memcpy(sc.c.id, s->consent_id.data, ENV1_ID_LEN);
	snprintf(sc.c.recipients[0], sizeof(sc.c.recipients[0]), "%s",
	    p->rec.agency_id);
	sc.c.nrecipients = 1;
	/* It covers our answers to the referring agency, nothing else: a
	 * partner cannot widen what we may send of a case we referred. */
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i] >= 1 && s->steps[i] <= 7)
			sc.c.steps |= 1u << s->steps[i];
	sc.c.steps &= CONSENT_ANSWER_STEPS;
	for (size_t i = 0; i < s->n_categories; i++)
		if (s->categories[i] >= 2 && s->categories[i] <= 7)
			sc.c.categories |= 1u << s->categories[i];
	sc.c.given_at = s->given_at;
	sc.c.expires_at = s->expires_at;
	memcpy(sc.case_id, c->case_id, ENV1_ID_LEN);
	snprintf(sc.recorded_by, sizeof(sc.recorded_by), "peer %.58s", p->rec.agency_id);
	sc.recorded_at = clock_now();
	sc.source = CONSENT_RECEIVED;
	if ((rc = case_doc_pack(&s->base, &enc, &enc_len)) != 0)
		goto out;
	/* An id another case already uses: keep the first, say nothing
	 * more (ids are the sender's; nothing is lost). */
	if ((rc = store_consent_insert(d->store, &sc, enc, enc_len)) == -EEXIST) {
		rc = 0;
		goto out;
	}
	if (rc == 0)
		rc = audit_append(d->store, sc.recorded_by, AUDIT_CONSENT_RECORD, c->code,
		    NULL, "consent received with the partner's document", clock_now());
out:
	secret_free(enc);
	free(rows);
	free(plain);
	return rc;
}

/* A partner withdrew the person's consent: restrict, confirm; the case is
 * erased once our confirmation is receipted (until then its key is what
 * lets us retransmit the confirmation). */
static int
withdrawn_by_partner(struct daemon *d, struct peer *p, const struct store_case *c,
    struct store_case_thread *ct, const struct store_in *row)
{
	Homeward__Referral__ErasureConfirmation e =
	    HOMEWARD__REFERRAL__ERASURE_CONFIRMATION__INIT;
	uint8_t                                 mid[ENV1_ID_LEN];
	int                                     rc;

	if ((rc = case_cancel_held(d, c, CASE_ACTOR_DAEMON, "consent withdrawn")) != 0 ||
	    (rc = store_case_set_state(d->store, c->case_id, CASE_RESTRICTED,
	    clock_now())) != 0)
		return rc;
	e.withdrawal_id.data = (uint8_t *)row->message_id;
	e.withdrawal_id.len = ENV1_ID_LEN;
	e.restricted_at = clock_now();
	e.erased_at = clock_now();
	if ((rc = case_queue_doc(d, c, p, ct, 0, ENV1_MSG_ERASURE_CONFIRMATION,
	    &e.base, NULL, NULL, CASE_ACTOR_DAEMON, mid)) != 0)
		return rc;
	p->seal_pending = 1;
	return audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_CONSENT_WITHDRAW,
	    c->code, row->message_id, "withdrawn by the partner: case restricted, "
	    "erasure confirmation queued", clock_now());
}

/* PROTOCOL.md 21.1: the case's code, and for a step exactly one basis. */
static int
header_problem(uint16_t msg_type, const Homeward__Referral__CaseHeader *hdr,
    const char *code, char *why, size_t whylen)
{
	int step = msg_type >= ENV1_MSG_ASSISTANCE_REQUEST &&
	    msg_type <= ENV1_MSG_FOLLOW_UP_REPORT;

	if (hdr == NULL || hdr->case_code == NULL || strcmp(hdr->case_code, code) != 0) {
		snprintf(why, whylen, "its header does not name case %s", code);
		return -EPROTO;
	}
	if (step && (hdr->consent != NULL) == (hdr->safety != NULL)) {
		snprintf(why, whylen, "a step carries exactly one basis, a consent or "
		    "the safety exception");
		return -EPROTO;
	}
	if (!step && (hdr->consent != NULL || hdr->safety != NULL)) {
		snprintf(why, whylen, "a withdrawal or erasure carries no basis");
		return -EPROTO;
	}
	return 0;
}

/* The case and thread a received document belongs to: its thread's, or
 * a new case for a request for assistance in a new thread.  *refused (with
 * an alert raised) when it starts no case it may start. */
static int
recv_case_of(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const char *code, struct store_case *c,
    struct store_case_thread *ct, int *refused)
{
	char    detail[200];
	int     rc;

	*refused = 0;
	rc = store_ct_get(d->store, row->thread_id, ct);
	if (rc == 0)
		return store_case_get_id(d->store, ct->case_id, c);
	if (rc != -ENOENT)
		return rc;
	*refused = 1;
	if (row->msg_type != ENV1_MSG_ASSISTANCE_REQUEST || !case_code_valid(code)) {
		snprintf(detail, sizeof(detail), "message %s: a case starts with "
		    "a request for assistance carrying a valid case code",
		    log_hex(row->message_id, ENV1_ID_LEN));
		return case_alert(d, "flow", 0, p->rec.rik, row->thread_id, NULL,
		    detail);
	}
	rc = case_from_request(d, p, row, doc, code, c, ct);
	if (rc == -EEXIST) {
		snprintf(detail, sizeof(detail), "message %s: %s already has a "
		    "case %s in another thread", log_hex(row->message_id,
		    ENV1_ID_LEN), p->rec.agency_id, code);
		return case_alert(d, "flow", 0, p->rec.rik, row->thread_id, code,
		    detail);
	}
	*refused = 0;
	return rc;
}

/* The step moves the thread's state on, with its audit record. */
static int
recv_apply(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const struct store_case *c,
    struct store_case_thread *ct)
{
	char    detail[200], actor[STORE_NAME_LEN];
	int     rc;

	flow_apply(&ct->flow, c->role == CASE_ROLE_DESTINATION ? FLOW_ORIGIN :
	    FLOW_DESTINATION, row->msg_type, doc);
	case_rearm(ct, row->msg_type, doc);
	ct->updated_at = clock_now();
	if ((rc = store_ct_put(d->store, ct)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s from %s", case_step_label(row->msg_type,
	    doc), p->rec.agency_id);
	snprintf(actor, sizeof(actor), "peer %.58s", p->rec.agency_id);
	return audit_append(d->store, actor, AUDIT_RECEIVE, c->code,
	    row->message_id, detail, clock_now());
}

/* What an applied document asks of us: keep the consent it cites, say it
 * came under the safety exception, and act on withdrawals, erasures and
 * no-shows. */
static int
recv_react(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const Homeward__Referral__CaseHeader *hdr,
    const struct store_case *c, struct store_case_thread *ct)
{
	char    detail[200];
	int     rc;

	if (hdr != NULL && hdr->consent != NULL && c->role == CASE_ROLE_ORIGIN &&
	    (rc = keep_received_consent(d, p, c, hdr->consent)) != 0)
		return rc;
	if (hdr != NULL && hdr->safety != NULL) {
		snprintf(detail, sizeof(detail), "%s from %s was sent under the "
		    "safety exception, without consent", flow_step_name(row->msg_type),
		    p->rec.agency_id);
		if ((rc = case_alert(d, "safety_exception", 0, p->rec.rik,
		    row->thread_id, c->code, detail)) != 0)
			return rc;
	}
	switch (row->msg_type) {
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		return withdrawn_by_partner(d, p, c, ct, row);
	case ENV1_MSG_ERASURE_CONFIRMATION:
		log_info("case %s: %s confirmed the erasure", c->code, p->rec.agency_id);
		return 0;
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		if (((Homeward__Referral__ArrivalConfirmation *)doc)->outcome !=
		    HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED)
			return 0;
		snprintf(detail, sizeof(detail), "%s reports the person did not "
		    "arrive", p->rec.agency_id);
		return case_alert(d, "no_show", 1, p->rec.rik, row->thread_id,
		    c->code, detail);
	}
	return 0;
}

int
case_on_document(struct daemon *d, struct peer *p, const struct store_in *row,
    const uint8_t *body, size_t len)
{
	Homeward__Referral__CaseHeader *hdr;
	struct store_case_thread        ct;
	struct store_case               c;
	ProtobufCMessage               *doc;
	const char                     *code;
	char                            why[CASE_WHY_LEN], detail[200];
	int                             rc, refused;

	if (!is_procedure(row->msg_type))
		return 0;
	if ((doc = case_doc_unpack(row->msg_type, body, len)) == NULL)
		return case_alert(d, "document", 0, p->rec.rik, row->thread_id, NULL,
		    "a document that does not decode was accepted");
	hdr = *case_doc_header(doc);
	code = hdr != NULL && hdr->case_code != NULL ? hdr->case_code : "";
	if ((rc = recv_case_of(d, p, row, doc, code, &c, &ct, &refused)) != 0 ||
	    refused)
		goto out;
	if ((rc = header_problem(row->msg_type, hdr, c.code, why, sizeof(why))) != 0 ||
	    flow_check(&ct.flow, &(struct flow_config){ d->cfg.require_reintegration },
	    c.role == CASE_ROLE_DESTINATION ? FLOW_ORIGIN : FLOW_DESTINATION,
	    row->msg_type, doc, why, sizeof(why)) != 0) {
		snprintf(detail, sizeof(detail), "message %s refused by the order "
		    "rules: %.150s", log_hex(row->message_id, ENV1_ID_LEN), why);
		rc = case_alert(d, "flow", 0, p->rec.rik, row->thread_id, c.code, detail);
		goto out;
	}
	if ((rc = recv_apply(d, p, row, doc, &c, &ct)) == 0)
		rc = recv_react(d, p, row, doc, hdr, &c, &ct);
out:
	case_doc_free(doc);
	return rc;
}

int
case_on_delivered(struct daemon *d, const struct store_out *acked)
{
	struct store_case_thread        ct;
	struct store_case               c;
	struct peer                    *p;
	char                            detail[128], actor[STORE_NAME_LEN];
	int                             rc;

	if (!is_procedure(acked->msg_type))
		return 0;
	if ((rc = store_ct_get(d->store, acked->thread_id, &ct)) != 0 ||
	    (rc = store_case_get_id(d->store, ct.case_id, &c)) != 0)
		return rc == -ENOENT ? 0 : rc;
	p = peers_by_rik(d, acked->peer_rik);
	snprintf(detail, sizeof(detail), "%s receipted",
	    flow_step_name(acked->msg_type));
	snprintf(actor, sizeof(actor), "peer %.58s", p != NULL ? p->rec.agency_id : "?");
	if ((rc = audit_append(d->store, actor, AUDIT_RECEIPT, c.code,
	    acked->message_id, detail, clock_now())) != 0)
		return rc;
	if (acked->msg_type == ENV1_MSG_ERASURE_CONFIRMATION) {
		d->case_due = 1;
		daemon_wake(d);
		return store_case_set_state(d->store, c.case_id, CASE_ERASING,
		    clock_now());
	}
	return 0;
}

/* --- the clock --------------------------------------------------------------- */

static void
time_utc(uint64_t ms, char *buf, size_t len)
{
	time_t          t = (time_t)(ms / 1000);
	struct tm       tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC",
	    &tm) == 0)
		snprintf(buf, len, "%llu ms", (unsigned long long)ms);
}

struct due {
	struct store_case_thread        ct;
	uint32_t                        bit;
};

struct due_walk {
	struct daemon  *d;
	uint64_t        now;
	struct due     *v;
	size_t          n, cap;
};

static int
due_add(struct due_walk *w, const struct store_case_thread *t, uint32_t bit)
{
	struct due *grown;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		if ((grown = realloc(w->v, w->cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		w->v = grown;
	}
	w->v[w->n].ct = *t;
	w->v[w->n++].bit = bit;
	return 0;
}

static int
due_cb(const struct store_case_thread *t, void *arg)
{
	struct due_walk        *w = arg;
	const struct flow_state *f = &t->flow;
	int                     rc = 0;

	if (f->withdrawn)
		return 0;
	if (f->request == FLOW_REQ_PENDING && f->request_reply_by != 0 &&
	    w->now >= f->request_reply_by && !(t->alerted & CT_ALERT_REQUEST))
		rc = due_add(w, t, CT_ALERT_REQUEST);
	if (rc == 0 && f->reintegration == FLOW_REINT_PENDING &&
	    f->reint_reply_by != 0 && w->now >= f->reint_reply_by &&
	    !(t->alerted & CT_ALERT_REINT))
		rc = due_add(w, t, CT_ALERT_REINT);
	if (rc == 0 && f->departure == FLOW_DEP_FINAL && f->scheduled_arrival != 0 &&
	    f->arrival != FLOW_ARR_MET && f->arrival != FLOW_ARR_NOT_ARRIVED &&
	    w->now >= f->scheduled_arrival + w->d->cfg.arrival_grace_ms &&
	    !(t->alerted & CT_ALERT_ARRIVAL))
		rc = due_add(w, t, CT_ALERT_ARRIVAL);
	return rc;
}

static void
raise_deadlines(struct daemon *d, uint64_t now)
{
	struct due_walk w = { d, now, NULL, 0, 0 };
	int             rc;

	if ((rc = store_ct_each(d->store, NULL, due_cb, &w)) != 0 || w.n == 0)
		goto out;
	if ((rc = store_begin(d->store)) != 0)
		goto out;
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		struct store_case_thread       *t = &w.v[i].ct;
		struct store_case               c;
		struct peer                    *p = peers_by_rik(d, t->peer_rik);
		const char                     *agency = p ? p->rec.agency_id : "?";
		char                            detail[200], when[32];
		uint64_t                        due;

		if ((rc = store_case_get_id(d->store, t->case_id, &c)) != 0)
			break;
		if (c.state != CASE_OPEN && c.state != CASE_RESTRICTED)
			continue;
		due = w.v[i].bit == CT_ALERT_REQUEST ? t->flow.request_reply_by :
		    w.v[i].bit == CT_ALERT_REINT ? t->flow.reint_reply_by :
		    t->flow.scheduled_arrival;
		time_utc(due, when, sizeof(when));
		if (w.v[i].bit == CT_ALERT_ARRIVAL)
			snprintf(detail, sizeof(detail), "arrival scheduled %s is not "
			    "confirmed: the person may be missing; call %s now", when,
			    agency);
		else
			snprintf(detail, sizeof(detail), "the %s %s %s was due %s",
			    w.v[i].bit == CT_ALERT_REQUEST ? "answer to the request for "
			    "assistance" : "answer to the reintegration request",
			    c.role == CASE_ROLE_DESTINATION ? "from" : "to", agency, when);
		rc = case_alert(d, w.v[i].bit == CT_ALERT_ARRIVAL ? "arrival_overdue" :
		    "reply_overdue", w.v[i].bit == CT_ALERT_ARRIVAL, t->peer_rik,
		    t->thread_id, c.code, detail);
		if (rc == 0) {
			/* Re-read: an earlier item may have changed the row. */
			struct store_case_thread cur;

			if ((rc = store_ct_get(d->store, t->thread_id, &cur)) == 0) {
				cur.alerted |= w.v[i].bit;
				rc = store_ct_put(d->store, &cur);
			}
		}
	}
	if (rc == 0)
		rc = store_commit(d->store);
	else
		store_rollback(d->store);
	if (rc == 0)
		audit_anchor_sync(d->store);
out:
	if (rc != 0)
		log_warnx("deadlines not checked (%s); retrying", strerror(-rc));
	free(w.v);
}

struct case_walk {
	struct store_case      *v;
	size_t                  n, cap;
};

static int
case_collect(const struct store_case *c, void *arg)
{
	struct case_walk       *w = arg;
	struct store_case      *grown;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		if ((grown = realloc(w->v, w->cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		w->v = grown;
	}
	w->v[w->n++] = *c;
	return 0;
}

static void
erase_cases(struct daemon *d, struct case_walk *w, const char *reason)
{
	for (size_t i = 0; i < w->n; i++) {
		struct store_case *c = &w->v[i];
		uint64_t unacked = 0;
		int rc;

		/* A withdrawal or confirmation still in flight needs the key to
		 * be sealed or resent: erasure waits for its receipt. */
		if ((rc = store_case_unacked(d->store, c->case_id, &unacked)) != 0 ||
		    unacked > 0)
			continue;
		if ((rc = store_case_erase(d->store, c->case_id, CASE_ACTOR_DAEMON,
		    reason, clock_now())) != 0) {
			log_warnx("case %s not erased (%s); retrying", c->code,
			    strerror(-rc));
			continue;
		}
		if (audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ERASE, c->code, NULL,
		    reason, clock_now()) == 0)
			audit_anchor_sync(d->store);
		log_info("case %s erased: %s", c->code, reason);
	}
}

void
case_tick(struct daemon *d)
{
	struct case_walk        w = { NULL, 0, 0 };
	uint64_t                now = clock_now();

	raise_deadlines(d, now);
	if (store_case_each(d->store, CASE_ERASING, case_collect, &w) == 0)
		erase_cases(d, &w, "consent withdrawn; erasure confirmed");
	w.n = 0;
	if (now > d->cfg.retention_ms && store_case_each_closed(d->store,
	    now - d->cfg.retention_ms, case_collect, &w) == 0)
		erase_cases(d, &w, "retention after closure ended");
	free(w.v);
}
