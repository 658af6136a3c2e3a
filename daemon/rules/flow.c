/*
 * The order rules of the referral procedure for one thread (see flow.h).
 *
 * Every refusal says which step is missing, in the words an operator
 * uses ("step 2 (assistance confirmation) is missing: ..."), because the
 * operator is the one who must act on it.  When several steps are
 * missing the earliest is named: that is the one to do next.
 *
 * Interpretations of design.md section 2:
 * - A second reintegration request is allowed once the first was
 *   confirmed (a revised plan); never while one is pending.
 * - Several provisional departure notifications may precede the final
 *   one (a revised itinerary); none after it.  A final notification after
 *   a final one starts a new journey and is allowed only when the last
 *   arrival confirmation said not arrived or delayed.  A final
 *   notification must carry legs with an arrival time: the alert for a
 *   person who may be missing depends on it.
 * - Arrival confirmations may follow one another (delayed, then met)
 *   until one says met.  A delayed one says when she is now expected: it
 *   moves the arrival deadline, so nobody is told she may be missing for
 *   a delay both agencies know.
 * - A withdrawal stops the deadlines of answers (no document can answer
 *   them any more, so they could only raise stale alerts), but never the
 *   arrival of a person on her way (seed 002 8.4: her safety first):
 *   while a final departure's arrival is not confirmed as met, the
 *   deadline stays armed and arrival confirmations still apply
 *   (PROTOCOL.md 21.5).  The erasure confirmation comes from the agency
 *   that received the withdrawal, once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "daemon/base/log.h"
#include "daemon/rules/flow.h"
#include "keys/env1.h"
#include "proto/referral.pb-c.h"

#define SENDER_EITHER   0

struct doc_rule {
	uint16_t        type;
	int             sender;         /* enum flow_role, or SENDER_EITHER */
	const char     *name;           /* the step, as an operator says it */
	const char     *a_name;         /* with its article, for sentences */
	const ProtobufCMessageDescriptor *desc;
	int             apply_needs_doc;
};

static const struct doc_rule doc_rules[] = {
	{ ENV1_MSG_ASSISTANCE_REQUEST, FLOW_DESTINATION,
	    "request for assistance", "a request for assistance",
	    &homeward__referral__assistance_request__descriptor, 1 },
	{ ENV1_MSG_ASSISTANCE_CONFIRMATION, FLOW_ORIGIN,
	    "assistance confirmation", "an assistance confirmation",
	    &homeward__referral__assistance_confirmation__descriptor, 1 },
	{ ENV1_MSG_REINTEGRATION_REQUEST, FLOW_DESTINATION,
	    "reintegration request", "a reintegration request",
	    &homeward__referral__reintegration_request__descriptor, 1 },
	{ ENV1_MSG_REINTEGRATION_CONFIRMATION, FLOW_ORIGIN,
	    "reintegration confirmation", "a reintegration confirmation",
	    &homeward__referral__reintegration_confirmation__descriptor, 0 },
	{ ENV1_MSG_DEPARTURE_NOTIFICATION, FLOW_DESTINATION,
	    "departure notification", "a departure notification",
	    &homeward__referral__departure_notification__descriptor, 1 },
	{ ENV1_MSG_ARRIVAL_CONFIRMATION, FLOW_ORIGIN,
	    "arrival confirmation", "an arrival confirmation",
	    &homeward__referral__arrival_confirmation__descriptor, 1 },
	{ ENV1_MSG_FOLLOW_UP_REPORT, FLOW_ORIGIN,
	    "follow-up report", "a follow-up report",
	    &homeward__referral__follow_up_report__descriptor, 0 },
	{ ENV1_MSG_CONSENT_WITHDRAWAL, SENDER_EITHER,
	    "consent withdrawal", "a consent withdrawal",
	    &homeward__referral__consent_withdrawal__descriptor, 0 },
	{ ENV1_MSG_ERASURE_CONFIRMATION, SENDER_EITHER,
	    "erasure confirmation", "an erasure confirmation",
	    &homeward__referral__erasure_confirmation__descriptor, 0 },
};

static const struct doc_rule *
rule_find(uint16_t msg_type)
{
	for (size_t i = 0; i < sizeof(doc_rules) / sizeof(doc_rules[0]); i++)
		if (doc_rules[i].type == msg_type)
			return &doc_rules[i];
	return NULL;
}

const char *
flow_step_name(uint16_t msg_type)
{
	const struct doc_rule *r = rule_find(msg_type);

	return r != NULL ? r->name : "unknown document";
}

static const char *
role_name(int role)
{
	return role == FLOW_DESTINATION ? "destination" : "origin";
}

int
flow_in_transit(const struct flow_state *st)
{
	return st->departure == FLOW_DEP_FINAL &&
	    (st->arrival == FLOW_ARR_NONE || st->arrival == FLOW_ARR_DELAYED);
}

int
flow_awaits_met(const struct flow_state *st)
{
	return st->departure == FLOW_DEP_FINAL && st->arrival != FLOW_ARR_MET;
}

/* She may have left before the other agency's withdrawal reached the
 * destination (they cross): the final departure still applies, so that
 * her arrival is awaited (PROTOCOL.md 21.3, 21.5).  Only the agency that
 * did not withdraw sends one. */
static int
final_after_withdrawal(const struct flow_state *st, enum flow_role sender,
    const ProtobufCMessage *doc)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;

	return doc != NULL && sender == FLOW_DESTINATION &&
	    st->withdrawn == FLOW_ORIGIN &&
	    doc->descriptor == &homeward__referral__departure_notification__descriptor &&
	    dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL;
}

static int
refuse(int rc, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
refuse(int rc, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
state_valid(const struct flow_state *st)
{
	return st->request >= FLOW_REQ_NONE && st->request <= FLOW_REQ_MORE_INFO &&
	    st->reintegration >= FLOW_REINT_NONE &&
	    st->reintegration <= FLOW_REINT_CONFIRMED &&
	    st->departure >= FLOW_DEP_NONE && st->departure <= FLOW_DEP_FINAL &&
	    st->arrival >= FLOW_ARR_NONE && st->arrival <= FLOW_ARR_DELAYED &&
	    st->withdrawn >= 0 && st->withdrawn <= FLOW_ORIGIN &&
	    (st->erasure_confirmed == 0 || st->erasure_confirmed == 1);
}

/* Steps 3, 5, 6 and 7 all rest on an accepted request for assistance. */
static int
need_accepted(const struct flow_state *st, const char *what, char *why,
    size_t whylen)
{
	switch (st->request) {
	case FLOW_REQ_ACCEPTED:
		return 0;
	case FLOW_REQ_NONE:
		return refuse(-EPROTO, why, whylen, _("step 1 (request for "
		    "assistance) is missing: %s needs an accepted request for "
		    "assistance"), what);
	case FLOW_REQ_PENDING:
		return refuse(-EPROTO, why, whylen, _("step 2 (assistance "
		    "confirmation) is missing: %s needs an accepted request "
		    "for assistance"), what);
	case FLOW_REQ_DECLINED:
		return refuse(-EPROTO, why, whylen, _("step 2 (assistance "
		    "confirmation) declined the request: %s needs an accepted "
		    "request for assistance"), what);
	default:
		return refuse(-EPROTO, why, whylen, _("step 2 (assistance "
		    "confirmation) asked for more information: %s needs an "
		    "accepted request for assistance; send the request again"),
		    what);
	}
}

static int
check_assistance_request(const struct flow_state *st, char *why, size_t whylen)
{
	if (st->request == FLOW_REQ_PENDING)
		return refuse(-EPROTO, why, whylen, _("step 2 (assistance "
		    "confirmation) is missing: the request for assistance sent "
		    "earlier is still unanswered"));
	if (st->request == FLOW_REQ_ACCEPTED)
		return refuse(-EPROTO, why, whylen, _("the request for "
		    "assistance was already accepted (step 2): a new one is not "
		    "needed"));
	return 0;
}

static int
check_assistance_confirmation(const struct flow_state *st,
    const Homeward__Referral__AssistanceConfirmation *doc, char *why,
    size_t whylen)
{
	static const char *answered[] = {
		[FLOW_REQ_ACCEPTED] = "accepted",
		[FLOW_REQ_DECLINED] = "declined",
		[FLOW_REQ_MORE_INFO] = "more information requested",
	};

	if (st->request == FLOW_REQ_NONE)
		return refuse(-EPROTO, why, whylen, _("step 1 (request for "
		    "assistance) is missing: an assistance confirmation answers "
		    "a pending request for assistance"));
	if (st->request != FLOW_REQ_PENDING)
		return refuse(-EPROTO, why, whylen, _("step 1 (request for "
		    "assistance) is missing: the last request for assistance "
		    "was already answered (%s)"), answered[st->request]);
	if (doc != NULL &&
	    doc->decision != HOMEWARD__REFERRAL__DECISION__DECISION_ACCEPT &&
	    doc->decision != HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE &&
	    doc->decision != HOMEWARD__REFERRAL__DECISION__DECISION_MORE_INFORMATION)
		return refuse(-EPROTO, why, whylen, _("an assistance "
		    "confirmation must accept, decline or ask for more "
		    "information"));
	return 0;
}

static int
check_reintegration_request(const struct flow_state *st, char *why,
    size_t whylen)
{
	int rc;

	if ((rc = need_accepted(st, "a reintegration request", why,
	    whylen)) != 0)
		return rc;
	if (st->reintegration == FLOW_REINT_PENDING)
		return refuse(-EPROTO, why, whylen, _("step 4 (reintegration "
		    "confirmation) is missing: the reintegration request sent "
		    "earlier is still unanswered"));
	return 0;
}

static int
check_reintegration_confirmation(const struct flow_state *st, char *why,
    size_t whylen)
{
	if (st->reintegration == FLOW_REINT_NONE)
		return refuse(-EPROTO, why, whylen, _("step 3 (reintegration "
		    "request) is missing: a reintegration confirmation answers "
		    "a pending reintegration request"));
	if (st->reintegration == FLOW_REINT_CONFIRMED)
		return refuse(-EPROTO, why, whylen, _("step 3 (reintegration "
		    "request) is missing: the last reintegration request was "
		    "already confirmed"));
	return 0;
}

/* The last leg's arrival: the latest, whatever order the legs are in. */
static uint64_t
last_arrival(const Homeward__Referral__DepartureNotification *doc)
{
	uint64_t t = 0;

	for (size_t i = 0; i < doc->n_legs; i++)
		if (doc->legs[i] != NULL && doc->legs[i]->arrival > t)
			t = doc->legs[i]->arrival;
	return t;
}

static int
check_departure(const struct flow_state *st, const struct flow_config *cfg,
    const Homeward__Referral__DepartureNotification *doc, char *why,
    size_t whylen)
{
	int rc, kind;

	if ((rc = need_accepted(st, "a departure notification", why,
	    whylen)) != 0)
		return rc;
	if (cfg != NULL && cfg->require_reintegration) {
		if (st->reintegration == FLOW_REINT_NONE)
			return refuse(-EPROTO, why, whylen, _("step 3 "
			    "(reintegration request) is missing: a departure "
			    "notification needs a confirmed reintegration (this "
			    "agency requires one)"));
		if (st->reintegration == FLOW_REINT_PENDING)
			return refuse(-EPROTO, why, whylen, _("step 4 "
			    "(reintegration confirmation) is missing: a departure "
			    "notification needs a confirmed reintegration (this "
			    "agency requires one)"));
	}
	if (doc != NULL)
		kind = doc->kind;
	else    /* the kind that could go, if any */
		kind = st->departure == FLOW_DEP_FINAL ?
		    HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL :
		    HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL;

	if (kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL) {
		if (st->departure == FLOW_DEP_FINAL)
			return refuse(-EPROTO, why, whylen, _("the final "
			    "departure notification (step 5) was already sent: "
			    "advance notice comes before departure"));
		return 0;
	}
	if (kind != HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)
		return refuse(-EPROTO, why, whylen, _("a departure notification "
		    "must be provisional (advance notice) or final (departed)"));
	if (st->departure == FLOW_DEP_NONE)
		return refuse(-EPROTO, why, whylen, _("step 5 (provisional "
		    "departure notification) is missing: a final departure "
		    "notification needs advance notice first"));
	if (st->departure == FLOW_DEP_FINAL && st->arrival == FLOW_ARR_NONE)
		return refuse(-EPROTO, why, whylen, _("step 6 (arrival "
		    "confirmation) is missing: a final departure notification "
		    "was already sent and its arrival is not confirmed"));
	if (st->departure == FLOW_DEP_FINAL && st->arrival == FLOW_ARR_MET)
		return refuse(-EPROTO, why, whylen, _("the person arrived and "
		    "was met (step 6): there is no new departure"));
	if (doc != NULL && last_arrival(doc) == 0)
		return refuse(-EPROTO, why, whylen, _("a final departure "
		    "notification needs its legs with their arrival times"));
	return 0;
}

/* Steps 6 and 7 answer a final departure notification. */
static int
need_departed(const struct flow_state *st, const char *what, char *why,
    size_t whylen)
{
	int rc;

	if ((rc = need_accepted(st, what, why, whylen)) != 0)
		return rc;
	if (st->departure == FLOW_DEP_NONE)
		return refuse(-EPROTO, why, whylen, _("step 5 (departure "
		    "notification) is missing: %s needs a final departure "
		    "notification"), what);
	if (st->departure == FLOW_DEP_PROVISIONAL)
		return refuse(-EPROTO, why, whylen, _("step 5 (final departure "
		    "notification) is missing: %s needs a final departure "
		    "notification; only advance notice was given"), what);
	return 0;
}

static int
check_arrival(const struct flow_state *st,
    const Homeward__Referral__ArrivalConfirmation *doc, char *why,
    size_t whylen)
{
	int rc;

	if ((rc = need_departed(st, "an arrival confirmation", why,
	    whylen)) != 0)
		return rc;
	if (st->arrival == FLOW_ARR_MET)
		return refuse(-EPROTO, why, whylen, _("the arrival was already "
		    "confirmed as met (step 6): there is nothing more to confirm"));
	if (doc != NULL &&
	    doc->outcome != HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET &&
	    doc->outcome != HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED &&
	    doc->outcome != HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED)
		return refuse(-EPROTO, why, whylen, _("an arrival confirmation "
		    "must say met, not arrived or delayed"));
	if (doc != NULL &&
	    doc->outcome == HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED &&
	    doc->expected_at == 0)
		return refuse(-EPROTO, why, whylen, _("a delayed arrival "
		    "confirmation says when the person is now expected "
		    "(expected_at)"));
	/* A unit or year typo must not move her deadline out of sight. */
	if (doc != NULL &&
	    doc->outcome == HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED &&
	    st->scheduled_arrival != 0 &&
	    doc->expected_at > st->scheduled_arrival + FLOW_DELAY_MAX_MS)
		return refuse(-EPROTO, why, whylen, _("a delayed arrival is expected "
		    "at most %u days after the arrival it delays"),
		    (unsigned)(FLOW_DELAY_MAX_MS / 86400000));
	return 0;
}

static int
check_follow_up(const struct flow_state *st, char *why, size_t whylen)
{
	int rc;

	if ((rc = need_departed(st, "a follow-up report", why, whylen)) != 0)
		return rc;
	if (st->arrival == FLOW_ARR_NONE)
		return refuse(-EPROTO, why, whylen, _("step 6 (arrival "
		    "confirmation) is missing: a follow-up report needs the "
		    "person's arrival confirmed as met"));
	if (st->arrival != FLOW_ARR_MET)
		return refuse(-EPROTO, why, whylen, _("step 6 (arrival "
		    "confirmation) is missing: a follow-up report needs the "
		    "person's arrival confirmed as met; the last confirmation "
		    "said %s"), st->arrival == FLOW_ARR_DELAYED ? "delayed" :
		    "not arrived");
	return 0;
}

static int
check_erasure(const struct flow_state *st, enum flow_role sender, char *why,
    size_t whylen)
{
	if (st->withdrawn == 0)
		return refuse(-EPROTO, why, whylen, _("no consent withdrawal to "
		    "answer: an erasure confirmation answers a consent "
		    "withdrawal"));
	if (st->withdrawn == (int)sender)
		return refuse(-EPROTO, why, whylen, _("the erasure confirmation "
		    "comes from the agency that received the withdrawal, not "
		    "from the %s agency that sent it"), role_name(sender));
	if (st->erasure_confirmed)
		return refuse(-EPROTO, why, whylen, _("the erasure was already "
		    "confirmed"));
	return 0;
}

int
flow_check(const struct flow_state *st, const struct flow_config *cfg,
    enum flow_role sender, uint16_t msg_type, const ProtobufCMessage *doc,
    char *why, size_t whylen)
{
	const struct doc_rule *r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (sender != FLOW_DESTINATION && sender != FLOW_ORIGIN)
		return refuse(-EINVAL, why, whylen, _("the sender's role %d is "
		    "neither destination nor origin"), (int)sender);
	if (!state_valid(st))
		return refuse(-EINVAL, why, whylen, _("the thread's stored state "
		    "is not valid (%d %d %d %d %d %d)"), st->request,
		    st->reintegration, st->departure, st->arrival,
		    st->withdrawn, st->erasure_confirmed);
	if ((r = rule_find(msg_type)) == NULL)
		return refuse(-EPROTO, why, whylen, _("document type 0x%04x is "
		    "not a step of the referral procedure"), msg_type);
	if (r->sender != SENDER_EITHER && r->sender != (int)sender)
		return refuse(-EPROTO, why, whylen, _("%s is sent by the %s "
		    "agency, not by the %s"), r->a_name, role_name(r->sender),
		    role_name(sender));
	if (doc != NULL && doc->descriptor != r->desc)
		return refuse(-EPROTO, why, whylen, _("the document is not %s"),
		    r->a_name);
	if (st->withdrawn && msg_type != ENV1_MSG_ERASURE_CONFIRMATION &&
	    !(msg_type == ENV1_MSG_ARRIVAL_CONFIRMATION && flow_awaits_met(st)) &&
	    !final_after_withdrawal(st, sender, doc))
		return refuse(-EPROTO, why, whylen, _("consent was withdrawn: "
		    "the thread is restricted"));

	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		return check_assistance_request(st, why, whylen);
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		return check_assistance_confirmation(st,
		    (const Homeward__Referral__AssistanceConfirmation *)doc,
		    why, whylen);
	case ENV1_MSG_REINTEGRATION_REQUEST:
		return check_reintegration_request(st, why, whylen);
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		return check_reintegration_confirmation(st, why, whylen);
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		return check_departure(st, cfg,
		    (const Homeward__Referral__DepartureNotification *)doc,
		    why, whylen);
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		return check_arrival(st,
		    (const Homeward__Referral__ArrivalConfirmation *)doc,
		    why, whylen);
	case ENV1_MSG_FOLLOW_UP_REPORT:
		return check_follow_up(st, why, whylen);
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		return 0;       /* only "not already withdrawn", above */
	default:
		return check_erasure(st, sender, why, whylen);
	}
}

static void
apply_decision(struct flow_state *st,
    const Homeward__Referral__AssistanceConfirmation *acnf)
{
	switch (acnf->decision) {
	case HOMEWARD__REFERRAL__DECISION__DECISION_ACCEPT:
		st->request = FLOW_REQ_ACCEPTED;
		break;
	case HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE:
		st->request = FLOW_REQ_DECLINED;
		break;
	case HOMEWARD__REFERRAL__DECISION__DECISION_MORE_INFORMATION:
		st->request = FLOW_REQ_MORE_INFO;
		break;
	default:
		fatalx("flow_apply: assistance confirmation without a decision");
	}
	st->request_reply_by = 0;
}

static void
apply_departure(struct flow_state *st,
    const Homeward__Referral__DepartureNotification *dep)
{
	if (dep->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL) {
		st->departure = FLOW_DEP_PROVISIONAL;
	} else if (dep->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL) {
		/* A new journey: its arrival is awaited afresh. */
		st->departure = FLOW_DEP_FINAL;
		st->arrival = FLOW_ARR_NONE;
		st->scheduled_arrival = last_arrival(dep);
	} else
		fatalx("flow_apply: departure notification of kind %d",
		    (int)dep->kind);
}

static void
apply_arrival(struct flow_state *st,
    const Homeward__Referral__ArrivalConfirmation *arr)
{
	switch (arr->outcome) {
	case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET:
		st->arrival = FLOW_ARR_MET;
		st->scheduled_arrival = 0;
		break;
	case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED:
		/* Answered: the alert is now the operators' case. */
		st->arrival = FLOW_ARR_NOT_ARRIVED;
		st->scheduled_arrival = 0;
		break;
	case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED:
		/* Still on the way: keep watching, from the new time on. */
		st->arrival = FLOW_ARR_DELAYED;
		if (arr->expected_at != 0)
			st->scheduled_arrival = arr->expected_at;
		break;
	default:
		fatalx("flow_apply: arrival confirmation without an outcome");
	}
}

void
flow_apply(struct flow_state *st, enum flow_role sender, uint16_t msg_type,
    const ProtobufCMessage *doc)
{
	const struct doc_rule *r;

	if ((r = rule_find(msg_type)) == NULL)
		fatalx("flow_apply: unknown document type 0x%04x", msg_type);
	if (doc != NULL && doc->descriptor != r->desc)
		fatalx("flow_apply: the document is not %s", r->a_name);
	if (doc == NULL && r->apply_needs_doc)
		fatalx("flow_apply: %s without its document", r->a_name);

	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		st->request = FLOW_REQ_PENDING;
		st->request_reply_by =
		    ((const Homeward__Referral__AssistanceRequest *)doc)->reply_by;
		break;
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		apply_decision(st, (const void *)doc);
		break;
	case ENV1_MSG_REINTEGRATION_REQUEST:
		st->reintegration = FLOW_REINT_PENDING;
		st->reint_reply_by =
		    ((const Homeward__Referral__ReintegrationRequest *)doc)->reply_by;
		break;
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		st->reintegration = FLOW_REINT_CONFIRMED;
		st->reint_reply_by = 0;
		break;
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		apply_departure(st, (const void *)doc);
		break;
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		apply_arrival(st, (const void *)doc);
		break;
	case ENV1_MSG_FOLLOW_UP_REPORT:
		if (st->followups < UINT32_MAX)
			st->followups++;
		break;
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		st->withdrawn = (int)sender;
		st->request_reply_by = 0;
		st->reint_reply_by = 0;
		/* A person on her way is still awaited: never disarm that. */
		if (!flow_in_transit(st))
			st->scheduled_arrival = 0;
		break;
	default:
		st->erasure_confirmed = 1;
		break;
	}
}

struct line {
	char           *buf;
	size_t          len, pos;
	int             truncated;
};

static void
line_add(struct line *l, const char *part)
{
	int n;

	if (l->truncated)
		return;
	n = snprintf(l->buf + l->pos, l->len - l->pos, "%s%s",
	    l->pos > 0 ? "; " : "", part);
	if (n < 0 || (size_t)n >= l->len - l->pos) {
		l->truncated = 1;
		return;
	}
	l->pos += (size_t)n;
}

int
flow_summary(const struct flow_state *st, char *buf, size_t len)
{
	static const char *request[] = {
		"no request yet", "request pending", "request accepted",
		"request declined", "more information requested",
	};
	static const char *reint[] = {
		NULL, "reintegration pending", "reintegration confirmed",
	};
	static const char *departure[] = {
		NULL, "provisional departure notified", "departed",
	};
	static const char *arrival[] = {
		NULL, "met on arrival", "not arrived", "arrival delayed",
	};
	struct line l = { buf, len, 0, 0 };
	char n[48];

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!state_valid(st)) {
		line_add(&l, "invalid state");
		return l.truncated ? -ENOSPC : 0;
	}
	line_add(&l, request[st->request]);
	if (reint[st->reintegration] != NULL)
		line_add(&l, reint[st->reintegration]);
	if (departure[st->departure] != NULL)
		line_add(&l, departure[st->departure]);
	if (arrival[st->arrival] != NULL)
		line_add(&l, arrival[st->arrival]);
	if (st->followups > 0) {
		(void)snprintf(n, sizeof(n), "%u follow-up report%s",
		    (unsigned)st->followups, st->followups == 1 ? "" : "s");
		line_add(&l, n);
	}
	if (st->withdrawn) {
		(void)snprintf(n, sizeof(n), "consent withdrawn by the %s",
		    role_name(st->withdrawn));
		line_add(&l, n);
		line_add(&l, "thread restricted");
		line_add(&l, st->erasure_confirmed ? "erasure confirmed" :
		    "erasure awaited");
	}
	return l.truncated ? -ENOSPC : 0;
}
