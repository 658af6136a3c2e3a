/*
 * What each document must say (see required.h): one small function per
 * step lists what its document leaves out, in the order of its fields,
 * and required_check turns the list into one sentence for the operator.
 * The words say what is missing as a caseworker would; the field names in
 * parentheses say where to write it in the document (referral.proto's
 * names, as the JSON documents use them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "common/msgtype.h"
#include "daemon/rules/required.h"
#include "proto/refcat.h"
#include "proto/referral.pb-c.h"

#define GAPS_SHOWN      10      /* named in a refusal; the rest counted */

#define DECISION(x)     HOMEWARD__REFERRAL__DECISION__DECISION_##x
#define OUTCOME(x)      HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_##x

/* What is missing, in the operator's words; gaps that share one are
 * named together. */
static const char W_SCENARIO[] = "how the person came to be referred";
static const char W_PROFILE[] = "the person's profile";
static const char W_NEEDS[] = "what assistance is needed";
static const char W_DECISION[] = "its decision";
static const char W_MEETING[] = "the qualified agency that will meet the "
    "person on arrival, and whom to contact there";
static const char W_REASONS[] = "why the request is declined";
static const char W_INFO[] = "what information is needed";
static const char W_WANTED[] = "the reintegration assistance wanted";
static const char W_ANSWER[] = "the services committed or the items declined";
static const char W_ITEM[] = "what each service or item is";
static const char W_KIND[] = "whether it is advance notice or the departure";
static const char W_LEGS[] = "the itinerary";
static const char W_LEG[] = "each leg's mode, places and times";
static const char W_PLACE[] = "where the person arrives";
static const char W_MET_BY[] = "who meets the person on arrival";
static const char W_OUTCOME[] = "the outcome";
static const char W_ARRIVED[] = "when the person arrived and which agency "
    "met them";
static const char W_STATUS[] = "the reintegration status";

struct gaps {
	struct required_gap *out;
	size_t          max;
	size_t          n;
};

static void gap(struct gaps *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
gap(struct gaps *g, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (g->n < g->max) {
		g->out[g->n].what = what;
		va_start(ap, fmt);
		(void)vsnprintf(g->out[g->n].field, sizeof(g->out[g->n].field),
		    fmt, ap);
		va_end(ap);
	}
	g->n++;
}

/* A string that says something: not NULL, not empty, not only blanks. */
static int
said(const char *s)
{
	return s != NULL && s[strspn(s, " \t\r\n")] != '\0';
}

static int
any_said(char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (said(v[i]))
			return 1;
	return 0;
}

static void
assistance_request(const Homeward__Referral__AssistanceRequest *r,
    struct gaps *g)
{
	const Homeward__Referral__Profile *p = r->profile;

	if (r->scenario == 0)
		gap(g, W_SCENARIO, "scenario");
	if (p == NULL || p->sex == 0)
		gap(g, W_PROFILE, "profile.sex");
	if (p == NULL || (p->age == 0 && p->age_band == 0))
		gap(g, W_PROFILE, "profile.age or age_band");
	if (r->n_needs == 0)
		gap(g, W_NEEDS, "needs");
}

static void
assistance_confirmation(const Homeward__Referral__AssistanceConfirmation *c,
    struct gaps *g)
{
	const Homeward__Referral__MeetingAgency *m = c->meeting_agency;

	switch ((int)c->decision) {
	case DECISION(ACCEPT):
		if (m == NULL || !said(m->agency_id))
			gap(g, W_MEETING, "meeting_agency.agency_id");
		if (m == NULL || !said(m->contact))
			gap(g, W_MEETING, "meeting_agency.contact");
		break;
	case DECISION(DECLINE):
		if (!said(c->reasons))
			gap(g, W_REASONS, "reasons");
		break;
	case DECISION(MORE_INFORMATION):
		if (!any_said(c->information_needed, c->n_information_needed))
			gap(g, W_INFO, "information_needed");
		break;
	default:
		gap(g, W_DECISION, "decision");
		break;
	}
}

static void
reintegration_confirmation(const Homeward__Referral__ReintegrationConfirmation *c,
    struct gaps *g)
{
	if (c->n_committed == 0 && c->n_declined == 0)
		gap(g, W_ANSWER, "committed or declined");
	for (size_t i = 0; i < c->n_committed; i++)
		if (c->committed[i] == NULL || c->committed[i]->kind == 0)
			gap(g, W_ITEM, "kind of committed %zu", i + 1);
	for (size_t i = 0; i < c->n_declined; i++)
		if (c->declined[i] == NULL || c->declined[i]->kind == 0)
			gap(g, W_ITEM, "kind of declined %zu", i + 1);
}

/* Legs are counted from 1, as the travel rules' findings count them. */
static void
leg(const Homeward__Referral__TravelLeg *l, size_t i, struct gaps *g)
{
	if (l == NULL || l->mode == 0)
		gap(g, W_LEG, "mode of leg %zu", i);
	if (l == NULL || !said(l->from_place))
		gap(g, W_LEG, "from_place of leg %zu", i);
	if (l == NULL || !said(l->to_place))
		gap(g, W_LEG, "to_place of leg %zu", i);
	if (l == NULL || l->departure == 0)
		gap(g, W_LEG, "departure of leg %zu", i);
	if (l == NULL || l->arrival == 0)
		gap(g, W_LEG, "arrival of leg %zu", i);
}

static void
departure(const Homeward__Referral__DepartureNotification *d, struct gaps *g)
{
	const Homeward__Referral__MeetingAgency *m = d->met_by;

	if (d->kind == 0)
		gap(g, W_KIND, "kind");
	if (d->n_legs == 0)
		gap(g, W_LEGS, "legs");
	for (size_t i = 0; i < d->n_legs; i++)
		leg(d->legs[i], i + 1, g);
	if (!said(d->arrival_place))
		gap(g, W_PLACE, "arrival_place");
	/* Someone named; whether it is a qualified agency is the travel
	 * rule met_by's question, which a supervisor may waive. */
	if (m == NULL || (!said(m->agency_id) && !said(m->name) &&
	    !said(m->contact)))
		gap(g, W_MET_BY, "met_by");
}

static void
arrival(const Homeward__Referral__ArrivalConfirmation *a, struct gaps *g)
{
	if (a->outcome == 0) {
		gap(g, W_OUTCOME, "outcome");
		return;
	}
	if ((int)a->outcome != OUTCOME(MET))
		return;
	if (a->arrived_at == 0)
		gap(g, W_ARRIVED, "arrived_at");
	if (!said(a->met_by_agency))
		gap(g, W_ARRIVED, "met_by_agency");
}

int
required_find(uint16_t msg_type, const ProtobufCMessage *doc,
    struct required_gap *out, size_t max, size_t *n)
{
	struct gaps g = { out, max, 0 };

	if (doc == NULL || n == NULL || (out == NULL && max > 0) ||
	    msg_type < ENV1_MSG_ASSISTANCE_REQUEST ||
	    msg_type > ENV1_MSG_FOLLOW_UP_REPORT ||
	    doc->descriptor != refcat_descriptor(msg_type))
		return -EINVAL;
	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		assistance_request((const void *)doc, &g);
		break;
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		assistance_confirmation((const void *)doc, &g);
		break;
	case ENV1_MSG_REINTEGRATION_REQUEST:
		if (((const Homeward__Referral__ReintegrationRequest *)
		    (const void *)doc)->n_wanted == 0)
			gap(&g, W_WANTED, "wanted");
		break;
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		reintegration_confirmation((const void *)doc, &g);
		break;
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		departure((const void *)doc, &g);
		break;
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		arrival((const void *)doc, &g);
		break;
	default:
		if (((const Homeward__Referral__FollowUpReport *)
		    (const void *)doc)->status == 0)
			gap(&g, W_STATUS, "status");
		break;
	}
	*n = g.n;
	return 0;
}

/* The document as the operator knows it, with what the verb chose. */
static const char *
subject(uint16_t msg_type, const ProtobufCMessage *doc)
{
	const Homeward__Referral__AssistanceConfirmation *ac = (const void *)doc;
	const Homeward__Referral__ArrivalConfirmation *av = (const void *)doc;

	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		return "a request for assistance";
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		if ((int)ac->decision == DECISION(ACCEPT))
			return "an assistance confirmation that accepts";
		if ((int)ac->decision == DECISION(DECLINE))
			return "an assistance confirmation that declines";
		if ((int)ac->decision == DECISION(MORE_INFORMATION))
			return "an assistance confirmation that asks for more "
			    "information";
		return "an assistance confirmation";
	case ENV1_MSG_REINTEGRATION_REQUEST:
		return "a reintegration request";
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		return "a reintegration confirmation";
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		return "a departure notification";
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		if ((int)av->outcome == OUTCOME(MET))
			return "an arrival confirmation that the person was met";
		return "an arrival confirmation";
	default:
		return "a follow-up report";
	}
}

/* Appends to why at *off; snprintf's count past the end is harmless, the
 * buffer stays terminated. */
static void
say(char *why, size_t whylen, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(char *why, size_t whylen, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*off >= whylen)
		return;
	va_start(ap, fmt);
	k = vsnprintf(why + *off, whylen - *off, fmt, ap);
	va_end(ap);
	if (k > 0)
		*off += (size_t)k;
}

int
required_check(uint16_t msg_type, const ProtobufCMessage *doc, char *why,
    size_t whylen)
{
	struct required_gap     g[GAPS_SHOWN];
	size_t                  n = 0, shown, off = 0, groups = 0, left;
	int                     rc;

	if (why == NULL || whylen == 0)
		return -EINVAL;
	why[0] = '\0';
	if ((rc = required_find(msg_type, doc, g, GAPS_SHOWN, &n)) != 0) {
		snprintf(why, whylen, _("the document is not a step of the "
		    "procedure"));
		return rc;
	}
	if (n == 0)
		return 0;
	shown = n < GAPS_SHOWN ? n : GAPS_SHOWN;
	/* Groups of gaps that share their words: how many, for the "and". */
	for (size_t i = 0; i < shown; i++)
		groups += i == 0 || g[i].what != g[i - 1].what;
	left = groups + (n > shown);
	say(why, whylen, &off, "%s must say ", subject(msg_type, doc));
	for (size_t i = 0; i < shown; i++) {
		if (i > 0 && g[i].what == g[i - 1].what) {
			say(why, whylen, &off, ", %s", g[i].field);
			continue;
		}
		if (i > 0)
			say(why, whylen, &off, ")%s", --left == 1 ? " and " : ", ");
		say(why, whylen, &off, "%s (%s", g[i].what, g[i].field);
	}
	say(why, whylen, &off, ")");
	if (n > shown)
		say(why, whylen, &off, " and %zu more", n - shown);
	say(why, whylen, &off, ": add %s to the document",
	    n == 1 ? "it" : "them");
	return -EPERM;
}
