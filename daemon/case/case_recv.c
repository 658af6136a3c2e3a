/*
 * The procedure's receiving side and its clock (case.h): documents that
 * became current in their thread are applied to their case inside the
 * inbound transaction (so a crash never applies one twice or loses one);
 * receipts of ours are audited.
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
#include "daemon/rules/header.h"
#include "daemon/rules/required.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "proto/refcat.h"

/* Steps an origin agency answers with (PROTOCOL.md 21.4). */
#define CONSENT_ANSWER_STEPS    ((1u << 2) | (1u << 4) | (1u << 6) | (1u << 7))

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

/* --- what the recipient verifies of a partner's header (PROTOCOL.md 21.8) --- */

/* The consents this office recorded for case c that name p: the scopes
 * p's answers may go under (*out malloc'ed). */
static int
verify_sent(struct daemon *d, const struct peer *p, const struct store_case *c,
    struct consent **out, size_t *n)
{
	struct store_consent   *rows = NULL;
	struct consent         *plain = NULL;
	size_t                  all = 0;
	int                     rc;

	*out = NULL;
	*n = 0;
	if (c == NULL)
		return 0;
	if ((rc = case_consents(d, c->case_id, &rows, &plain, &all)) != 0)
		return rc;
	for (size_t i = 0; i < all; i++) {
		int named = 0;

		for (size_t k = 0; k < rows[i].c.nrecipients; k++)
			named |= strncmp(rows[i].c.recipients[k], p->rec.agency_id,
			    CONSENT_RECIPIENT_LEN) == 0;
		if (rows[i].source == CONSENT_RECORDED && named)
			plain[(*n)++] = rows[i].c;
	}
	free(rows);
	*out = plain;
	return 0;
}

/* A document of ours (msg_type 5: decoded into *dn, the caller frees it
 * with case_doc_free) under message id in thread_id: what header_reply
 * needs. */
static int
verify_ours(struct daemon *d, const uint8_t id[ENV1_ID_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], struct header_reply *r,
    ProtobufCMessage **dn)
{
	struct store_out        m;
	uint8_t                 zero[ENV1_ID_LEN] = { 0 }, *body = NULL;
	int                     rc;

	memset(r, 0, sizeof(*r));
	*dn = NULL;
	if ((r->zero = memcmp(id, zero, ENV1_ID_LEN) == 0))
		return 0;
	if ((rc = store_out_get(d->store, id, &m)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (memcmp(m.thread_id, thread_id, ENV1_ID_LEN) != 0)
		return 0;
	r->ours = 1;
	r->msg_type = m.msg_type;
	if (m.msg_type != ENV1_MSG_DEPARTURE_NOTIFICATION)
		return 0;
	if ((rc = store_out_body(d->store, &m, &body)) != 0)
		return rc;
	*dn = case_doc_unpack(m.msg_type, body, (size_t)m.body_len);
	secret_free(body);
	if (*dn != NULL)
		r->kind = ((Homeward__Referral__DepartureNotification *)*dn)->kind;
	return 0;
}

/* The breach, if any, of a document from p in case c (NULL: the request
 * that would open it). */
static int
verify_find(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const Homeward__Referral__CaseHeader *hdr,
    const struct store_case *c, enum header_breach *b, char *why, size_t whylen)
{
	struct header_ctx       ctx;
	struct header_reply     r;
	struct consent         *sent = NULL;
	ProtobufCMessage       *final = NULL;
	int                     rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.msg_type = row->msg_type;
	ctx.answer = c != NULL && c->role == CASE_ROLE_DESTINATION;
	ctx.self = d->keys.agency_id;
	ctx.categories = refcat_of(doc);
	ctx.now = row->created_at;
	if ((rc = verify_sent(d, p, ctx.answer ? c : NULL, &sent, &ctx.nsent)) != 0)
		return rc;
	ctx.sent = sent;
	*b = header_basis_check(&ctx, hdr, why, whylen);
	free(sent);
	if (*b != HEADER_OK || !ctx.answer)
		goto times;
	if ((rc = verify_ours(d, row->in_reply_to, row->thread_id, &r, &final)) != 0)
		return rc;
	*b = header_reply_check(row->msg_type, &r, why, whylen);
times:
	if (*b == HEADER_OK)
		*b = header_time_check(row->msg_type, doc, (const void *)final,
		    row->created_at, why, whylen);
	case_doc_free(final);
	return 0;
}

/* A document that breaks what the sender must check stays receipted (its
 * delivery is proven) but is not applied: *refused, with its alert. */
static int
recv_verify(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const Homeward__Referral__CaseHeader *hdr,
    const struct store_case *c, const char *code, int *refused)
{
	enum header_breach      b = HEADER_OK;
	char                    why[CASE_WHY_LEN], detail[400];
	int                     rc;

	*refused = 0;
	if ((rc = verify_find(d, p, row, doc, hdr, c, &b, why, sizeof(why))) != 0 ||
	    b == HEADER_OK)
		return rc;
	*refused = 1;
	snprintf(detail, sizeof(detail), "message %s not applied: %.140s; ask "
	    "%.64s to send a corrected one (PROTOCOL.md 21.8)",
	    log_hex(row->message_id, ENV1_ID_LEN), why, p->rec.agency_id);
	return case_alert_msg(d, header_breach_kind(b), 0, p->rec.rik,
	    row->thread_id, row->message_id, code, detail);
}

/* A received document's body, from its evidence record (secret memory);
 * *seq its position. */
static ProtobufCMessage *
received_doc(struct daemon *d, const uint8_t id[ENV1_ID_LEN], uint64_t *seq)
{
	Homeward__Keys__SignedMessage  *sm;
	struct store_in                 in;
	ProtobufCMessage               *doc = NULL;
	uint8_t                        *ev = NULL;
	size_t                          evlen = 0;

	if (store_in_get_id(d->store, id, &in) != 0 ||
	    store_in_evidence(d->store, &in, &ev, &evlen) != 0)
		return NULL;
	*seq = in.seq;
	if ((sm = homeward__keys__signed_message__unpack(NULL, evlen, ev)) != NULL) {
		doc = case_doc_unpack(in.msg_type, sm->body.data, sm->body.len);
		sodium_memzero(sm->body.data, sm->body.len);
		homeward__keys__signed_message__free_unpacked(sm, NULL);
	}
	secret_free(ev);
	return doc;
}

/* At the origin, a final departure applied: what changed since the last
 * provisional itinerary is said (informative, by field name only). */
static int
recv_itinerary(struct daemon *d, struct peer *p, const struct store_in *row,
    const ProtobufCMessage *doc, const struct store_case *c)
{
	const Homeward__Referral__DepartureNotification *f = (const void *)doc;
	ProtobufCMessage       *prev = NULL;
	uint8_t                 id[ENV1_ID_LEN];
	uint64_t                seq = row->seq;
	char                    what[200], detail[400];
	int                     rc, changed = 0;

	if (row->msg_type != ENV1_MSG_DEPARTURE_NOTIFICATION ||
	    f->kind != HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)
		return 0;
	/* The newest provisional one: final notices not applied may lie
	 * between (a few are looked at; the rest is not worth a page). */
	for (int tries = 0; prev == NULL && tries < 8; tries++) {
		rc = store_in_last_before(d->store, row->thread_id,
		    ENV1_MSG_DEPARTURE_NOTIFICATION, seq, id);
		if (rc != 0)
			return rc == -ENOENT ? 0 : rc;
		if ((prev = received_doc(d, id, &seq)) == NULL)
			return 0;
		if (((Homeward__Referral__DepartureNotification *)prev)->kind !=
		    HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL) {
			case_doc_free(prev);
			prev = NULL;
		}
	}
	if (prev == NULL)
		return 0;
	(void)header_itinerary_diff((const void *)prev, f, &changed, what,
	    sizeof(what));
	case_doc_free(prev);
	if (!changed)
		return 0;
	snprintf(detail, sizeof(detail), "message %s: the final itinerary from "
	    "%.64s differs from the provisional one (%.150s): read it (`homeward "
	    "document show %s`) before she arrives", log_hex(row->message_id,
	    ENV1_ID_LEN), p->rec.agency_id, what, log_hex(row->message_id,
	    ENV1_ID_LEN));
	return case_alert_msg(d, "itinerary_changed", 0, p->rec.rik, row->thread_id,
	    row->message_id, c->code, detail);
}

/* A document applied that lacks what PROTOCOL.md 21.7 requires of its
 * sender: applied all the same (the sender is answerable for it, and a
 * partial answer still moves the case on), and said, by field name. */
static int
recv_incomplete(struct daemon *d, struct peer *p, const struct store_in *row,
    const ProtobufCMessage *doc, const struct store_case *c)
{
	struct required_gap     gaps[8];
	size_t                  n = 0, off;
	char                    detail[400];

	if (row->msg_type < ENV1_MSG_ASSISTANCE_REQUEST ||
	    row->msg_type > ENV1_MSG_FOLLOW_UP_REPORT ||
	    required_find(row->msg_type, doc, gaps, 8, &n) != 0 || n == 0)
		return 0;
	off = (size_t)snprintf(detail, sizeof(detail), "message %s from %.64s "
	    "was applied but lacks what PROTOCOL.md 21.7 requires (",
	    log_hex(row->message_id, ENV1_ID_LEN), p->rec.agency_id);
	for (size_t i = 0; i < n && i < 8 && off < sizeof(detail); i++)
		off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s%s",
		    i ? ", " : "", gaps[i].field);
	if (off < sizeof(detail))
		snprintf(detail + off, sizeof(detail) - off, "%s): ask it for them",
		    n > 8 ? ", ..." : "");
	return case_alert_msg(d, "incomplete", 0, p->rec.rik, row->thread_id,
	    row->message_id, c->code, detail);
}

/* The case and thread a received document belongs to: its thread's, or
 * a new case for a request for assistance in a new thread.  *refused (with
 * an alert raised) when it starts no case it may start. */
static int
recv_case_of(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const char *code, struct store_case *c,
    struct store_case_thread *ct, int *refused)
{
	char    detail[400], why[CASE_WHY_LEN];
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
		return case_alert_msg(d, "flow", 0, p->rec.rik, row->thread_id,
		    row->message_id, NULL, detail);
	}
	/* Refused before it makes a case: a refused first request must not
	 * leave a case that stops the partner from sending it again. */
	if (header_problem(row->msg_type, *case_doc_header(doc), code, why,
	    sizeof(why)) != 0) {
		snprintf(detail, sizeof(detail), "message %s refused by the order "
		    "rules: %.150s", log_hex(row->message_id, ENV1_ID_LEN), why);
		return case_alert_msg(d, "flow", 0, p->rec.rik, row->thread_id,
		    row->message_id, code, detail);
	}
	if ((rc = recv_verify(d, p, row, doc, *case_doc_header(doc), NULL, code,
	    refused)) != 0 || *refused)
		return rc;
	*refused = 1;
	rc = case_from_request(d, p, row, doc, code, c, ct);
	if (rc == -EEXIST) {
		snprintf(detail, sizeof(detail), "message %s: %s already has a "
		    "case %s in another thread", log_hex(row->message_id,
		    ENV1_ID_LEN), p->rec.agency_id, code);
		return case_alert_msg(d, "flow", 0, p->rec.rik, row->thread_id,
		    row->message_id, code, detail);
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

/* A decline or a request for more information is a decision someone must
 * act on: it raises an alert, and the worklist shows it until then. */
static int
recv_decision(struct daemon *d, struct peer *p, const struct store_in *row,
    const Homeward__Referral__AssistanceConfirmation *ac,
    const struct store_case *c)
{
	char detail[320];

	if (ac->decision == HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE)
		snprintf(detail, sizeof(detail), "message %s: %.64s declined the "
		    "request for assistance; read its reasons (`homeward document "
		    "show %s`), then refer her elsewhere or close the case",
		    log_hex(row->message_id, ENV1_ID_LEN), p->rec.agency_id,
		    log_hex(row->message_id, ENV1_ID_LEN));
	else if (ac->decision ==
	    HOMEWARD__REFERRAL__DECISION__DECISION_MORE_INFORMATION)
		snprintf(detail, sizeof(detail), "message %s: %.64s asks for more "
		    "information before it decides; read what (`homeward document "
		    "show %s`) and send the request for assistance again with it",
		    log_hex(row->message_id, ENV1_ID_LEN), p->rec.agency_id,
		    log_hex(row->message_id, ENV1_ID_LEN));
	else
		return 0;
	return case_alert(d, ac->decision ==
	    HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE ? "declined" :
	    "more_information", 0, p->rec.rik, row->thread_id, c->code, detail);
}

/* What an applied document asks of us: keep the consent it cites, say it
 * came under the safety exception, and act on withdrawals, erasures and
 * no-shows. */
static int
recv_react(struct daemon *d, struct peer *p, const struct store_in *row,
    ProtobufCMessage *doc, const Homeward__Referral__CaseHeader *hdr,
    const struct store_case *c, struct store_case_thread *ct)
{
	char    detail[512];
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
	if ((rc = case_keep_received_safety(d, p, row->msg_type, hdr, c)) != 0)
		return rc;
	/* The partner knows her: its latest request says who travels. */
	if ((rc = case_profile_keep(d, c, row->msg_type, doc)) != 0)
		return rc;
	switch (row->msg_type) {
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		return case_partner_withdrew(d, p, c, ct, row, (const void *)doc);
	case ENV1_MSG_ERASURE_CONFIRMATION:
		log_info("case %s: %s confirmed the erasure", c->code, p->rec.agency_id);
		return 0;
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		return recv_decision(d, p, row, (const void *)doc, c);
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		/* She left while a withdrawal crossed the notice. */
		if (!ct->flow.withdrawn || !case_safety_hold(ct))
			return 0;
		snprintf(detail, sizeof(detail), "message %s: she departed although "
		    "consent was withdrawn in this thread: her arrival is awaited; "
		    "meet her as planned and confirm it; erasure follows it",
		    log_hex(row->message_id, ENV1_ID_LEN));
		return case_alert(d, "withdrawn_in_transit", 1, p->rec.rik,
		    row->thread_id, c->code, detail);
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		if (((Homeward__Referral__ArrivalConfirmation *)doc)->outcome !=
		    HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED)
			return 0;
		snprintf(detail, sizeof(detail), "message %s: %.64s reports the "
		    "person did not arrive: she may be missing; call %.64s now%s%.64s%s, "
		    "then a supervisor records what became of her (`homeward case "
		    "outcome %s`)", log_hex(row->message_id, ENV1_ID_LEN),
		    p->rec.agency_id, p->rec.agency_id,
		    peer_duty_contact(p)[0] ? " (" : "", peer_duty_contact(p),
		    peer_duty_contact(p)[0] ? ")" : "", c->code);
		return case_no_show(d, ct, c->code, detail);
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
		return case_alert_msg(d, "document", 0, p->rec.rik, row->thread_id,
		    row->message_id, NULL, "a document that does not decode was "
		    "accepted");
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
		rc = case_alert_msg(d, "flow", 0, p->rec.rik, row->thread_id,
		    row->message_id, c.code, detail);
		goto out;
	}
	if ((rc = recv_verify(d, p, row, doc, hdr, &c, c.code, &refused)) != 0 ||
	    refused)
		goto out;
	if ((rc = recv_apply(d, p, row, doc, &c, &ct)) == 0 &&
	    (rc = recv_react(d, p, row, doc, hdr, &c, &ct)) == 0 &&
	    (rc = recv_incomplete(d, p, row, doc, &c)) == 0 &&
	    c.role == CASE_ROLE_ORIGIN)
		rc = recv_itinerary(d, p, row, doc, &c);
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
		/* A case referred to us is that partner's thread: all of it
		 * goes.  Of our own case, only what that partner sent. */
		if (c.role == CASE_ROLE_ORIGIN)
			return store_case_set_state(d->store, c.case_id,
			    CASE_ERASING, clock_now());
		ct.alerted |= CT_ERASE_DUE;
		return store_ct_put(d->store, &ct);
	}
	return 0;
}
