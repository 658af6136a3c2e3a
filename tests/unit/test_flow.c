/* Unit tests: the order rules of the referral procedure (daemon/rules/flow.c).
 * A table of named cases with the words the operator reads; then every
 * valid state, role, document type and content class against a model of
 * the rules written out independently here; then whole procedures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/rules/flow.h"
#include "keys/env1.h"
#include "proto/referral.pb-c.h"

#define ARR     ENV1_MSG_ASSISTANCE_REQUEST
#define ACF     ENV1_MSG_ASSISTANCE_CONFIRMATION
#define RRQ     ENV1_MSG_REINTEGRATION_REQUEST
#define RCF     ENV1_MSG_REINTEGRATION_CONFIRMATION
#define DEP     ENV1_MSG_DEPARTURE_NOTIFICATION
#define ARC     ENV1_MSG_ARRIVAL_CONFIRMATION
#define FUP     ENV1_MSG_FOLLOW_UP_REPORT
#define WDR     ENV1_MSG_CONSENT_WITHDRAWAL
#define ERA     ENV1_MSG_ERASURE_CONFIRMATION

#define D       FLOW_DESTINATION
#define O       FLOW_ORIGIN

#define REPLY_BY_REQ    1700000100000ull
#define REPLY_BY_REINT  1700000200000ull
#define LEG1_ARRIVAL    1700000905000ull
#define LEG2_ARRIVAL    1700000909000ull        /* the last leg */
#define DELAYED_TO      1700000999000ull        /* a delay's new arrival */

static Homeward__Referral__AssistanceRequest areq =
    HOMEWARD__REFERRAL__ASSISTANCE_REQUEST__INIT;
static Homeward__Referral__AssistanceConfirmation acnf[4] = {
	HOMEWARD__REFERRAL__ASSISTANCE_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ASSISTANCE_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ASSISTANCE_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ASSISTANCE_CONFIRMATION__INIT,
};
static Homeward__Referral__ReintegrationRequest rreq =
    HOMEWARD__REFERRAL__REINTEGRATION_REQUEST__INIT;
static Homeward__Referral__ReintegrationConfirmation rcnf =
    HOMEWARD__REFERRAL__REINTEGRATION_CONFIRMATION__INIT;
static Homeward__Referral__TravelLeg legs[2] = {
	HOMEWARD__REFERRAL__TRAVEL_LEG__INIT,
	HOMEWARD__REFERRAL__TRAVEL_LEG__INIT,
};
static Homeward__Referral__TravelLeg *legp[2] = { &legs[0], &legs[1] };
static Homeward__Referral__DepartureNotification dep_unspec =
    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
static Homeward__Referral__DepartureNotification dep_prov =
    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
static Homeward__Referral__DepartureNotification dep_final =
    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
static Homeward__Referral__DepartureNotification dep_final_nolegs =
    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
static Homeward__Referral__ArrivalConfirmation arr_delayed_untimed =
    HOMEWARD__REFERRAL__ARRIVAL_CONFIRMATION__INIT;
static Homeward__Referral__ArrivalConfirmation arr[4] = {
	HOMEWARD__REFERRAL__ARRIVAL_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ARRIVAL_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ARRIVAL_CONFIRMATION__INIT,
	HOMEWARD__REFERRAL__ARRIVAL_CONFIRMATION__INIT,
};
static Homeward__Referral__FollowUpReport fup =
    HOMEWARD__REFERRAL__FOLLOW_UP_REPORT__INIT;
static Homeward__Referral__ConsentWithdrawal wdr =
    HOMEWARD__REFERRAL__CONSENT_WITHDRAWAL__INIT;
static Homeward__Referral__ErasureConfirmation era =
    HOMEWARD__REFERRAL__ERASURE_CONFIRMATION__INIT;

static void
docs_init(void)
{
	areq.reply_by = REPLY_BY_REQ;
	for (int i = 0; i < 4; i++) {
		acnf[i].decision = (Homeward__Referral__Decision)i;
		arr[i].outcome = (Homeward__Referral__ArrivalOutcome)i;
	}
	arr[3].expected_at = DELAYED_TO;
	arr_delayed_untimed.outcome =
	    HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED;
	rreq.reply_by = REPLY_BY_REINT;
	/* Out of order on purpose: the last leg is the latest arrival. */
	legs[0].arrival = LEG2_ARRIVAL;
	legs[1].arrival = LEG1_ARRIVAL;
	dep_prov.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL;
	dep_prov.n_legs = 2;
	dep_prov.legs = legp;
	dep_final = dep_prov;
	dep_final.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL;
	dep_final_nolegs = dep_final;
	dep_final_nolegs.n_legs = 0;
	dep_final_nolegs.legs = NULL;
}

/* Every content class of every document, and "only the type" (NULL). */
enum cls { C_NONE, C_OK, C_ACCEPT, C_DECLINE, C_MORE, C_UNSPEC, C_PROV,
	C_FINAL, C_FINAL_NOLEGS, C_MET, C_NOT_ARRIVED, C_DELAYED,
	C_DELAYED_UNTIMED };

struct variant {
	uint16_t                type;
	enum cls                cls;
	const ProtobufCMessage *doc;
};

#define V(t, c, d)      { t, c, (const ProtobufCMessage *)(d) }
static const struct variant variants[] = {
	V(ARR, C_NONE, NULL), V(ARR, C_OK, &areq),
	V(ACF, C_NONE, NULL), V(ACF, C_UNSPEC, &acnf[0]),
	V(ACF, C_ACCEPT, &acnf[1]), V(ACF, C_DECLINE, &acnf[2]),
	V(ACF, C_MORE, &acnf[3]),
	V(RRQ, C_NONE, NULL), V(RRQ, C_OK, &rreq),
	V(RCF, C_NONE, NULL), V(RCF, C_OK, &rcnf),
	V(DEP, C_NONE, NULL), V(DEP, C_UNSPEC, &dep_unspec),
	V(DEP, C_PROV, &dep_prov), V(DEP, C_FINAL, &dep_final),
	V(DEP, C_FINAL_NOLEGS, &dep_final_nolegs),
	V(ARC, C_NONE, NULL), V(ARC, C_UNSPEC, &arr[0]),
	V(ARC, C_MET, &arr[1]), V(ARC, C_NOT_ARRIVED, &arr[2]),
	V(ARC, C_DELAYED, &arr[3]), V(ARC, C_DELAYED_UNTIMED, &arr_delayed_untimed),
	V(FUP, C_NONE, NULL), V(FUP, C_OK, &fup),
	V(WDR, C_NONE, NULL), V(WDR, C_OK, &wdr),
	V(ERA, C_NONE, NULL), V(ERA, C_OK, &era),
	/* Not documents of the procedure. */
	V(0x0000, C_NONE, NULL), V(0x0008, C_NONE, NULL),
	V(ENV1_MSG_DELIVERY_RECEIPT, C_NONE, NULL),
	V(ENV1_MSG_TEST_DOCUMENT, C_NONE, NULL), V(0xffff, C_NONE, NULL),
};
#define NVARIANTS       (sizeof(variants) / sizeof(variants[0]))

static const struct variant *
variant(uint16_t type, enum cls cls)
{
	for (size_t i = 0; i < NVARIANTS; i++)
		if (variants[i].type == type && variants[i].cls == cls)
			return &variants[i];
	fail_msg("no variant %#x/%d", type, (int)cls);
	return NULL;
}

/*
 * The model.  OK, or the step the refusal must name (1..7), or OTHER: a
 * refusal that names no missing step (wrong role, bad content, done).
 */
#define OK      0
#define OTHER   (-1)
#define WITHDRAWN_ERR (-2)

static int
model_request(const struct flow_state *s)
{
	if (s->request == FLOW_REQ_ACCEPTED)
		return OK;
	return s->request == FLOW_REQ_NONE ? 1 : 2;
}

static int
model(const struct flow_state *s, int require_reint, int sender,
    const struct variant *v)
{
	static const int role[] = { [ARR] = D, [ACF] = O, [RRQ] = D, [RCF] = O,
		[DEP] = D, [ARC] = O, [FUP] = O };
	int r, kind;

	if (v->type >= ARR && v->type <= FUP) {
		if (role[v->type] != sender)
			return OTHER;
	} else if (v->type != WDR && v->type != ERA)
		return OTHER;
	/* After a withdrawal: the erasure, and the arrival of a person who
	 * departed and was not met yet (her safety first). */
	if (s->withdrawn && v->type != ERA && !(v->type == ARC &&
	    s->departure == FLOW_DEP_FINAL && s->arrival != FLOW_ARR_MET) &&
	    !(v->type == DEP && (v->cls == C_FINAL || v->cls == C_FINAL_NOLEGS) &&
	    sender == D &&
	    s->withdrawn == O))
		return WITHDRAWN_ERR;
	switch (v->type) {
	case ARR:
		if (s->request == FLOW_REQ_PENDING)
			return 2;
		return s->request == FLOW_REQ_ACCEPTED ? OTHER : OK;
	case ACF:
		if (s->request != FLOW_REQ_PENDING)
			return 1;
		return v->cls == C_UNSPEC ? OTHER : OK;
	case RRQ:
		if ((r = model_request(s)) != OK)
			return r;
		return s->reintegration == FLOW_REINT_PENDING ? 4 : OK;
	case RCF:
		return s->reintegration == FLOW_REINT_PENDING ? OK : 3;
	case DEP:
		if ((r = model_request(s)) != OK)
			return r;
		if (require_reint && s->reintegration != FLOW_REINT_CONFIRMED)
			return s->reintegration == FLOW_REINT_NONE ? 3 : 4;
		kind = v->cls;
		if (kind == C_NONE)
			kind = s->departure == FLOW_DEP_FINAL ? C_FINAL : C_PROV;
		if (kind == C_UNSPEC)
			return OTHER;
		if (kind == C_PROV)
			return s->departure == FLOW_DEP_FINAL ? OTHER : OK;
		if (s->departure == FLOW_DEP_NONE)
			return 5;
		if (s->departure == FLOW_DEP_FINAL && s->arrival == FLOW_ARR_NONE)
			return 6;
		if (s->departure == FLOW_DEP_FINAL && s->arrival == FLOW_ARR_MET)
			return OTHER;
		return kind == C_FINAL_NOLEGS ? OTHER : OK;
	case ARC:
	case FUP:
		if ((r = model_request(s)) != OK)
			return r;
		if (s->departure != FLOW_DEP_FINAL)
			return 5;
		if (v->type == FUP)
			return s->arrival == FLOW_ARR_MET ? OK : 6;
		if (s->arrival == FLOW_ARR_MET || v->cls == C_UNSPEC ||
		    v->cls == C_DELAYED_UNTIMED)
			return OTHER;
		if (v->cls == C_DELAYED && s->scheduled_arrival != 0 &&
		    DELAYED_TO > s->scheduled_arrival + FLOW_DELAY_MAX_MS)
			return OTHER;
		return OK;
	case WDR:
		return OK;
	default:
		if (!s->withdrawn || s->withdrawn == sender ||
		    s->erasure_confirmed)
			return OTHER;
		return OK;
	}
}

/* What applying v to s must give. */
static void
model_apply(struct flow_state *s, int sender, const struct variant *v)
{
	switch (v->type) {
	case ARR:
		s->request = FLOW_REQ_PENDING;
		s->request_reply_by = REPLY_BY_REQ;
		break;
	case ACF:
		s->request = v->cls == C_ACCEPT ? FLOW_REQ_ACCEPTED :
		    v->cls == C_DECLINE ? FLOW_REQ_DECLINED : FLOW_REQ_MORE_INFO;
		s->request_reply_by = 0;
		break;
	case RRQ:
		s->reintegration = FLOW_REINT_PENDING;
		s->reint_reply_by = REPLY_BY_REINT;
		break;
	case RCF:
		s->reintegration = FLOW_REINT_CONFIRMED;
		s->reint_reply_by = 0;
		break;
	case DEP:
		if (v->cls == C_PROV) {
			s->departure = FLOW_DEP_PROVISIONAL;
		} else {
			s->departure = FLOW_DEP_FINAL;
			s->arrival = FLOW_ARR_NONE;
			s->scheduled_arrival = LEG2_ARRIVAL;
		}
		break;
	case ARC:
		s->arrival = v->cls == C_MET ? FLOW_ARR_MET :
		    v->cls == C_DELAYED ? FLOW_ARR_DELAYED : FLOW_ARR_NOT_ARRIVED;
		if (v->cls != C_DELAYED)
			s->scheduled_arrival = 0;
		else
			s->scheduled_arrival = DELAYED_TO;
		break;
	case FUP:
		s->followups++;
		break;
	case WDR:
		s->withdrawn = sender;
		s->request_reply_by = s->reint_reply_by = 0;
		if (!(s->departure == FLOW_DEP_FINAL && (s->arrival ==
		    FLOW_ARR_NONE || s->arrival == FLOW_ARR_DELAYED)))
			s->scheduled_arrival = 0;
		break;
	default:
		s->erasure_confirmed = 1;
	}
}

static int
state_equal(const struct flow_state *a, const struct flow_state *b)
{
	return a->request == b->request && a->reintegration == b->reintegration &&
	    a->departure == b->departure && a->arrival == b->arrival &&
	    a->withdrawn == b->withdrawn &&
	    a->erasure_confirmed == b->erasure_confirmed &&
	    a->request_reply_by == b->request_reply_by &&
	    a->reint_reply_by == b->reint_reply_by &&
	    a->scheduled_arrival == b->scheduled_arrival &&
	    a->followups == b->followups;
}

/* Every valid state x configuration x role x document class. */
static void
test_exhaustive(void **state)
{
	struct flow_state s, got, want;
	struct flow_config cfg;
	char why[512], pat[32];
	unsigned checked = 0, accepted = 0;
	int rc, m;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (s.request = 0; s.request <= FLOW_REQ_MORE_INFO; s.request++)
	for (s.reintegration = 0; s.reintegration <= 2; s.reintegration++)
	for (s.departure = 0; s.departure <= 2; s.departure++)
	for (s.arrival = 0; s.arrival <= 3; s.arrival++)
	for (s.withdrawn = 0; s.withdrawn <= 2; s.withdrawn++)
	for (s.erasure_confirmed = 0; s.erasure_confirmed <= 1; s.erasure_confirmed++)
	for (cfg.require_reintegration = 0; cfg.require_reintegration <= 1;
	    cfg.require_reintegration++)
	for (int sender = D; sender <= O; sender++)
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];

		s.request_reply_by = 11;
		s.reint_reply_by = 22;
		s.scheduled_arrival = 33;
		s.followups = 2;
		memset(why, 'x', sizeof(why));
		rc = flow_check(&s, &cfg, (enum flow_role)sender, v->type,
		    v->doc, why, sizeof(why));
		m = model(&s, cfg.require_reintegration, sender, v);
		checked++;
		if ((rc == 0) != (m == OK))
			fail_msg("state %d%d%d%d w%d e%d cfg %d sender %d type "
			    "%#x class %d: rc %d, model %d (%s)", s.request,
			    s.reintegration, s.departure, s.arrival, s.withdrawn,
			    s.erasure_confirmed, cfg.require_reintegration,
			    sender, v->type, (int)v->cls, rc, m, why);
		if (rc != 0) {
			assert_int_equal(rc, -EPROTO);
			assert_true(why[0] != '\0' && strlen(why) < sizeof(why));
			if (m > 0) {
				snprintf(pat, sizeof(pat), "step %d (", m);
				if (strncmp(why, pat, strlen(pat)) != 0)
					fail_msg("type %#x: \"%s\" does not begin "
					    "with \"%s\"", v->type, why, pat);
			}
			if (m == WITHDRAWN_ERR)
				assert_string_equal(why, "consent was "
				    "withdrawn: the thread is restricted");
			continue;
		}
		assert_string_equal(why, "");
		if (v->doc == NULL && v->type != RCF && v->type != FUP &&
		    v->type != WDR && v->type != ERA)
			continue;       /* the content decides: nothing to apply */
		accepted++;
		got = want = s;
		flow_apply(&got, (enum flow_role)sender, v->type, v->doc);
		model_apply(&want, sender, v);
		if (!state_equal(&got, &want))
			fail_msg("apply type %#x class %d to %d%d%d%d: got "
			    "%d%d%d%d", v->type, (int)v->cls, s.request,
			    s.reintegration, s.departure, s.arrival, got.request,
			    got.reintegration, got.departure, got.arrival);
	}
	/* Each class was met: accepted and refused alike. */
	assert_int_equal(checked, 5 * 3 * 3 * 4 * 3 * 2 * 2 * 2 * NVARIANTS);
	assert_true(accepted > 1000);
}

#define ST(rq, ri, dp, ar, wd) \
	{ .request = (rq), .reintegration = (ri), .departure = (dp), \
	  .arrival = (ar), .withdrawn = (wd) }

/* Named cases with the exact words of the refusal (a prefix of it). */
static void
test_table(void **state)
{
	static const struct {
		struct flow_state s;
		int             require_reint;
		int             sender;
		uint16_t        type;
		enum cls        cls;
		const char     *want;           /* NULL: accepted */
	} rows[] = {
		{ ST(0, 0, 0, 0, 0), 0, D, ARR, C_OK, NULL },
		{ ST(0, 0, 0, 0, 0), 0, O, ARR, C_OK, "a request for assistance "
		    "is sent by the destination agency, not by the origin" },
		{ ST(1, 0, 0, 0, 0), 0, D, ARR, C_OK, "step 2 (assistance "
		    "confirmation) is missing: the request for assistance sent "
		    "earlier is still unanswered" },
		{ ST(2, 0, 0, 0, 0), 0, D, ARR, C_OK, "the request for "
		    "assistance was already accepted" },
		{ ST(3, 0, 0, 0, 0), 0, D, ARR, C_OK, NULL },   /* declined */
		{ ST(4, 0, 0, 0, 0), 0, D, ARR, C_OK, NULL },   /* more info */
		{ ST(0, 0, 0, 0, 0), 0, O, ACF, C_ACCEPT, "step 1 (request for "
		    "assistance) is missing: an assistance confirmation answers "
		    "a pending request for assistance" },
		{ ST(2, 0, 0, 0, 0), 0, O, ACF, C_DECLINE, "step 1 (request for "
		    "assistance) is missing: the last request for assistance "
		    "was already answered (accepted)" },
		{ ST(1, 0, 0, 0, 0), 0, D, ACF, C_ACCEPT, "an assistance "
		    "confirmation is sent by the origin agency" },
		{ ST(1, 0, 0, 0, 0), 0, O, ACF, C_UNSPEC, "an assistance "
		    "confirmation must accept, decline or ask for more "
		    "information" },
		{ ST(0, 0, 0, 0, 0), 0, D, RRQ, C_OK, "step 1 (request for "
		    "assistance) is missing: a reintegration request needs an "
		    "accepted request for assistance" },
		{ ST(1, 0, 0, 0, 0), 0, D, RRQ, C_OK, "step 2 (assistance "
		    "confirmation) is missing: a reintegration request needs an "
		    "accepted request for assistance" },
		{ ST(3, 0, 0, 0, 0), 0, D, RRQ, C_OK, "step 2 (assistance "
		    "confirmation) declined the request" },
		{ ST(4, 0, 0, 0, 0), 0, D, RRQ, C_OK, "step 2 (assistance "
		    "confirmation) asked for more information" },
		{ ST(2, 1, 0, 0, 0), 0, D, RRQ, C_OK, "step 4 (reintegration "
		    "confirmation) is missing" },
		{ ST(2, 2, 0, 0, 0), 0, D, RRQ, C_OK, NULL },   /* revised plan */
		{ ST(2, 0, 0, 0, 0), 0, O, RCF, C_OK, "step 3 (reintegration "
		    "request) is missing" },
		{ ST(2, 0, 0, 0, 0), 0, D, DEP, C_PROV, NULL },
		{ ST(2, 0, 0, 0, 0), 1, D, DEP, C_PROV, "step 3 (reintegration "
		    "request) is missing: a departure notification needs a "
		    "confirmed reintegration" },
		{ ST(2, 1, 0, 0, 0), 1, D, DEP, C_PROV, "step 4 (reintegration "
		    "confirmation) is missing" },
		{ ST(2, 2, 0, 0, 0), 1, D, DEP, C_PROV, NULL },
		{ ST(1, 0, 0, 0, 0), 0, D, DEP, C_PROV, "step 2 (assistance "
		    "confirmation) is missing: a departure notification needs" },
		{ ST(2, 0, 0, 0, 0), 0, D, DEP, C_FINAL, "step 5 (provisional "
		    "departure notification) is missing: a final departure "
		    "notification needs advance notice first" },
		{ ST(2, 0, 0, 0, 0), 0, D, DEP, C_UNSPEC, "a departure "
		    "notification must be provisional" },
		{ ST(2, 0, 1, 0, 0), 0, D, DEP, C_PROV, NULL },  /* revised */
		{ ST(2, 0, 1, 0, 0), 0, D, DEP, C_FINAL, NULL },
		{ ST(2, 0, 1, 0, 0), 0, D, DEP, C_FINAL_NOLEGS, "a final "
		    "departure notification needs its legs" },
		{ ST(2, 0, 2, 0, 0), 0, D, DEP, C_PROV, "the final departure "
		    "notification (step 5) was already sent" },
		{ ST(2, 0, 2, 0, 0), 0, D, DEP, C_FINAL, "step 6 (arrival "
		    "confirmation) is missing" },
		{ ST(2, 0, 2, 1, 0), 0, D, DEP, C_FINAL, "the person arrived "
		    "and was met" },
		{ ST(2, 0, 2, 2, 0), 0, D, DEP, C_FINAL, NULL }, /* new journey */
		{ ST(2, 0, 2, 3, 0), 0, D, DEP, C_FINAL, NULL },
		{ ST(2, 0, 1, 0, 0), 0, O, ARC, C_MET, "step 5 (final "
		    "departure notification) is missing: an arrival confirmation "
		    "needs a final departure notification; only advance notice "
		    "was given" },
		{ ST(2, 0, 0, 0, 0), 0, O, ARC, C_MET, "step 5 (departure "
		    "notification) is missing" },
		{ ST(2, 0, 2, 0, 0), 0, O, ARC, C_UNSPEC, "an arrival "
		    "confirmation must say met, not arrived or delayed" },
		{ ST(2, 0, 2, 3, 0), 0, O, ARC, C_MET, NULL },
		{ ST(2, 0, 2, 1, 0), 0, O, ARC, C_DELAYED, "the arrival was "
		    "already confirmed as met" },
		{ ST(2, 0, 2, 3, 0), 0, O, FUP, C_OK, "step 6 (arrival "
		    "confirmation) is missing: a follow-up report needs the "
		    "person's arrival confirmed as met; the last confirmation "
		    "said delayed" },
		{ ST(0, 0, 0, 0, 0), 0, O, FUP, C_OK, "step 1 (request for "
		    "assistance) is missing" },
		{ ST(2, 0, 2, 1, 0), 0, D, FUP, C_OK, "a follow-up report is "
		    "sent by the origin agency, not by the destination" },
		{ ST(2, 0, 2, 1, 0), 0, O, FUP, C_OK, NULL },
		{ ST(0, 0, 0, 0, 0), 0, O, WDR, C_OK, NULL },
		{ ST(2, 0, 0, 0, D), 0, O, WDR, C_OK, "consent was withdrawn" },
		{ ST(2, 0, 0, 0, D), 0, O, FUP, C_OK, "consent was withdrawn: "
		    "the thread is restricted" },
		/* She is on her way: her arrival is still confirmed. */
		{ ST(2, 0, 2, 0, D), 0, O, ARC, C_MET, NULL },
		{ ST(2, 0, 2, 3, O), 0, O, ARC, C_NOT_ARRIVED, NULL },
		{ ST(2, 0, 2, 2, D), 0, O, ARC, C_MET, NULL },
		{ ST(2, 0, 2, 1, D), 0, O, ARC, C_MET, "consent was withdrawn" },
		{ ST(2, 0, 1, 0, D), 0, O, ARC, C_MET, "consent was withdrawn" },
		{ ST(2, 0, 2, 0, 0), 0, O, ARC, C_DELAYED_UNTIMED, "a delayed "
		    "arrival confirmation says when the person is now expected" },
		{ ST(0, 0, 0, 0, 0), 0, O, ERA, C_OK, "no consent withdrawal to "
		    "answer" },
		{ ST(2, 0, 0, 0, D), 0, O, ERA, C_OK, NULL },
		{ ST(2, 0, 0, 0, D), 0, D, ERA, C_OK, "the erasure confirmation "
		    "comes from the agency that received the withdrawal, not "
		    "from the destination agency that sent it" },
		{ ST(0, 0, 0, 0, 0), 0, D, ENV1_MSG_TEST_DOCUMENT, C_NONE,
		    "document type 0x7f00 is not a step of the referral "
		    "procedure" },
	};
	struct flow_config cfg;
	char why[512];
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cfg.require_reintegration = rows[i].require_reint;
		rc = flow_check(&rows[i].s, &cfg, (enum flow_role)rows[i].sender,
		    rows[i].type, variant(rows[i].type, rows[i].cls)->doc, why,
		    sizeof(why));
		if (rows[i].want == NULL && rc != 0)
			fail_msg("row %zu: refused: %s", i, why);
		if (rows[i].want != NULL && (rc != -EPROTO ||
		    strncmp(why, rows[i].want, strlen(rows[i].want)) != 0))
			fail_msg("row %zu: rc %d \"%s\", want \"%s\"", i, rc, why,
			    rows[i].want);
	}
}

/* Check, then apply, one document; the check must accept it. */
static void
step(struct flow_state *s, const struct flow_config *cfg, int sender,
    uint16_t type, enum cls cls)
{
	const struct variant *v = variant(type, cls);
	char why[512];

	if (flow_check(s, cfg, (enum flow_role)sender, type, v->doc, why,
	    sizeof(why)) != 0)
		fail_msg("type %#x class %d refused: %s", type, (int)cls, why);
	flow_apply(s, (enum flow_role)sender, type, v->doc);
}

static void
test_happy_path(void **state)
{
	struct flow_config cfg = { .require_reintegration = 1 };
	struct flow_state s;
	char line[256];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "no request yet");
	step(&s, &cfg, D, ARR, C_OK);
	assert_int_equal(s.request_reply_by, REPLY_BY_REQ);
	step(&s, &cfg, O, ACF, C_ACCEPT);
	assert_int_equal(s.request_reply_by, 0);
	step(&s, &cfg, D, RRQ, C_OK);
	assert_int_equal(s.reint_reply_by, REPLY_BY_REINT);
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "request accepted; reintegration pending");
	step(&s, &cfg, O, RCF, C_OK);
	assert_int_equal(s.reint_reply_by, 0);
	step(&s, &cfg, D, DEP, C_PROV);
	assert_int_equal(s.scheduled_arrival, 0);
	step(&s, &cfg, D, DEP, C_FINAL);
	assert_int_equal(s.scheduled_arrival, LEG2_ARRIVAL);
	step(&s, &cfg, O, ARC, C_DELAYED);
	assert_int_equal(s.scheduled_arrival, DELAYED_TO);
	step(&s, &cfg, O, ARC, C_MET);
	assert_int_equal(s.scheduled_arrival, 0);
	step(&s, &cfg, O, FUP, C_OK);
	step(&s, &cfg, O, FUP, C_OK);
	assert_int_equal(s.followups, 2);
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "request accepted; reintegration confirmed; "
	    "departed; met on arrival; 2 follow-up reports");

	step(&s, &cfg, O, WDR, C_OK);
	assert_int_equal(s.withdrawn, O);
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "request accepted; reintegration confirmed; "
	    "departed; met on arrival; 2 follow-up reports; consent withdrawn "
	    "by the origin; thread restricted; erasure awaited");
	step(&s, &cfg, D, ERA, C_OK);
	assert_int_equal(s.erasure_confirmed, 1);
	/* After the erasure, nothing at all. */
	for (size_t i = 0; i < NVARIANTS; i++)
		for (int sender = D; sender <= O; sender++)
			assert_int_equal(flow_check(&s, &cfg,
			    (enum flow_role)sender, variants[i].type,
			    variants[i].doc, NULL, 0), -EPROTO);
}

/* More information, declined, not arrived: each allows a second try. */
static void
test_resends(void **state)
{
	struct flow_config cfg = { 0 };
	struct flow_state s;
	char line[256];

	(void)state;
	memset(&s, 0, sizeof(s));
	step(&s, &cfg, D, ARR, C_OK);
	step(&s, &cfg, O, ACF, C_MORE);
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "more information requested");
	step(&s, &cfg, D, ARR, C_OK);
	step(&s, &cfg, O, ACF, C_DECLINE);
	step(&s, &cfg, D, ARR, C_OK);
	assert_int_equal(s.request, FLOW_REQ_PENDING);
	step(&s, &cfg, O, ACF, C_ACCEPT);
	/* No reintegration required here: straight to the journey. */
	step(&s, &cfg, D, DEP, C_PROV);
	step(&s, &cfg, D, DEP, C_FINAL);
	step(&s, &cfg, O, ARC, C_NOT_ARRIVED);
	assert_int_equal(s.scheduled_arrival, 0);
	assert_int_equal(flow_summary(&s, line, sizeof(line)), 0);
	assert_string_equal(line, "request accepted; departed; not arrived");
	/* A new journey: its arrival is awaited afresh. */
	step(&s, &cfg, D, DEP, C_FINAL);
	assert_int_equal(s.arrival, FLOW_ARR_NONE);
	assert_int_equal(s.scheduled_arrival, LEG2_ARRIVAL);
	step(&s, &cfg, O, ARC, C_MET);
	step(&s, &cfg, D, WDR, C_OK);
	assert_int_equal(s.withdrawn, D);
	assert_int_equal(s.scheduled_arrival, 0);
	step(&s, &cfg, O, ERA, C_OK);
}

static void
test_bad_input(void **state)
{
	struct flow_config cfg = { 0 };
	struct flow_state s, bad;
	char why[512], tiny[8];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.request = FLOW_REQ_PENDING;
	/* A document of another type than msg_type. */
	assert_int_equal(flow_check(&s, &cfg, O, ACF,
	    (const ProtobufCMessage *)&areq, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "the document is not an assistance confirmation");
	/* Roles and stored values no enum has. */
	assert_int_equal(flow_check(&s, &cfg, (enum flow_role)0, ACF, NULL,
	    why, sizeof(why)), -EINVAL);
	assert_int_equal(flow_check(&s, &cfg, (enum flow_role)3, ACF, NULL,
	    why, sizeof(why)), -EINVAL);
	int *fields[] = { &bad.request, &bad.reintegration, &bad.departure,
		&bad.arrival, &bad.withdrawn, &bad.erasure_confirmed };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (int val = -1; val <= 5; val += 6) {
			bad = s;
			*fields[i] = val;
			assert_int_equal(flow_check(&bad, &cfg, O, ACF, NULL, why,
			    sizeof(why)), -EINVAL);
			assert_non_null(strstr(why, "not valid"));
			assert_int_equal(flow_summary(&bad, why, sizeof(why)), 0);
			assert_string_equal(why, "invalid state");
		}
	}
	/* A short buffer is truncated and terminated; none at all is fine. */
	s.request = FLOW_REQ_NONE;
	assert_int_equal(flow_check(&s, &cfg, O, ACF, NULL, tiny,
	    sizeof(tiny)), -EPROTO);
	assert_string_equal(tiny, "step 1 ");
	assert_int_equal(flow_check(&s, &cfg, O, ACF, NULL, NULL, 0), -EPROTO);
	assert_int_equal(flow_summary(&s, tiny, sizeof(tiny)), -ENOSPC);
	assert_string_equal(tiny, "no requ");
	assert_int_equal(flow_summary(&s, tiny, 0), -ENOSPC);
}

static void
test_step_names(void **state)
{
	static const char *want[] = { NULL, "request for assistance",
		"assistance confirmation", "reintegration request",
		"reintegration confirmation", "departure notification",
		"arrival confirmation", "follow-up report" };

	(void)state;
	for (uint16_t t = 1; t <= 7; t++)
		assert_string_equal(flow_step_name(t), want[t]);
	assert_string_equal(flow_step_name(WDR), "consent withdrawal");
	assert_string_equal(flow_step_name(ERA), "erasure confirmation");
	assert_string_equal(flow_step_name(0), "unknown document");
	assert_string_equal(flow_step_name(ENV1_MSG_DELIVERY_RECEIPT),
	    "unknown document");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_resends),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_step_names),
	};

	docs_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
