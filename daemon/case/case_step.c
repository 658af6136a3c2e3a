/*
 * Sending a step (case_step_send in case.h): the document goes through
 * the order rules (rules/flow.c), the travel rules for departures
 * (rules/travel.c) and the consent gate (case_out.c), then into the
 * outbox, or into the held table with what is missing.  The case's state,
 * the audit record and the outbox row commit in one transaction; sealing
 * follows the commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/rules/header.h"
#include "daemon/rules/required.h"
#include "daemon/rules/travel.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"

struct only_peer {
	uint8_t         rik[ENV1_KEY_LEN];
	size_t          n;
};

static int
only_peer_cb(const struct store_case_thread *t, void *arg)
{
	struct only_peer *o = arg;

	memcpy(o->rik, t->peer_rik, ENV1_KEY_LEN);
	o->n++;
	return 0;
}

static struct peer *
resolve_peer(struct daemon *d, const struct store_case *c, const char *agency,
    char *why, size_t whylen)
{
	struct only_peer        o = { { 0 }, 0 };
	struct peer            *p;

	if (agency != NULL && *agency != '\0') {
		if ((p = peers_by_agency(d, agency)) == NULL)
			snprintf(why, whylen, _("no peer %s; `homeward peers` lists them"),
			    agency);
		return p;
	}
	if (c->role == CASE_ROLE_ORIGIN) {
		if ((p = peers_by_agency(d, c->home)) == NULL)
			snprintf(why, whylen, _("the agency of case %s, %s, is no longer "
			    "a peer"), c->code, c->home);
		return p;
	}
	if (store_ct_each(d->store, c->case_id, only_peer_cb, &o) != 0 || o.n != 1) {
		snprintf(why, whylen, o.n == 0 ? _("case %s has no partner agency: "
		    "name the recipient with --to AGENCY") : _("case %s has more than "
		    "one partner agency: name the recipient with --to AGENCY"), c->code);
		return NULL;
	}
	if ((p = peers_by_rik(d, o.rik)) == NULL)
		snprintf(why, whylen, _("the partner of case %s is no longer a peer"),
		    c->code);
	return p;
}

/* Defaults the operator may leave out: reply-by on requests. */
static void
fill_defaults(struct daemon *d, uint16_t msg_type, ProtobufCMessage *doc)
{
	uint64_t by = clock_now() + d->cfg.reply_ms;

	if (msg_type == ENV1_MSG_ASSISTANCE_REQUEST) {
		Homeward__Referral__AssistanceRequest *r = (void *)doc;

		if (r->reply_by == 0)
			r->reply_by = by;
	} else if (msg_type == ENV1_MSG_REINTEGRATION_REQUEST) {
		Homeward__Referral__ReintegrationRequest *r = (void *)doc;

		if (r->reply_by == 0)
			r->reply_by = by;
	}
}

static int
waived(char *const *waive, size_t nwaive, const char *rule)
{
	for (size_t i = 0; i < nwaive; i++)
		if (strcmp(waive[i], rule) == 0)
			return 1;
	return 0;
}

/* Seed 004's travel rules for a departure; broken rules not waived by a
 * supervisor refuse it. */
static int
check_travel(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const struct peer *p,
    const struct store_case_thread *ct, Homeward__Referral__DepartureNotification *dn,
    char *const *waive, size_t nwaive, const char *waiver_reason, char *why,
    size_t whylen)
{
	const struct config_travel     *tp;
	struct travel_finding           f[16];
	struct travel_policy            pol;
	struct travel_ctx               tc;
	size_t                          n = 0, off = 0, refused = 0;
	int                             rc;

	for (size_t i = 0; i < nwaive; i++)
		if (travel_rule_parse(waive[i]) == 0) {
			snprintf(why, whylen, _("unknown travel rule %s"), waive[i]);
			return -EINVAL;
		}
	if (nwaive > 0 && ((a->roles & ROLE_SUPERVISOR) == 0 ||
	    waiver_reason == NULL || *waiver_reason == '\0')) {
		snprintf(why, whylen, _("waiving a travel rule needs a supervisor and "
		    "a reason (--waiver-reason)"));
		return (a->roles & ROLE_SUPERVISOR) == 0 ? -EACCES : -EINVAL;
	}
	/* The receiving partner's rules: its [travel "AGENCY"], else [travel]. */
	tp = config_travel_for(&d->cfg, p->rec.agency_id);
	travel_policy_default(&pol);
	pol.earliest_hour = tp->earliest_hour;
	pol.latest_hour = tp->latest_hour;
	pol.weekend_days = tp->weekend;
	pol.max_transits = tp->max_transits;
	pol.min_notice_ms = tp->min_notice_ms;
	pol.holidays = tp->holidays;
	pol.nholidays = tp->nholidays;
	memset(&tc, 0, sizeof(tc));
	tc.policy = &pol;
	/* The more protective of the case's profile and its documents'. */
	if ((rc = case_profile_travel(d, c, &tc.person)) != 0)
		return rc;
	tc.receiving_zone = p->b.info.time_zone;
	tc.provisional_sent = ct->flow.departure >= FLOW_DEP_PROVISIONAL;
	tc.now = clock_now();
	if ((rc = travel_check(dn, &tc, f, sizeof(f) / sizeof(f[0]), &n)) != 0) {
		snprintf(why, whylen, _("the travel plan could not be checked"));
		return -EINVAL;
	}
	if (n > sizeof(f) / sizeof(f[0]))
		n = sizeof(f) / sizeof(f[0]);
	why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (waived(waive, nwaive, travel_rule_name(f[i].rule)))
			continue;
		if (refused++ == 0)
			off += (size_t)snprintf(why, whylen, _("the travel plan breaks "
			    "the rules: "));
		if (off < whylen)
			off += (size_t)snprintf(why + off, whylen - off, "%s%s (%s)",
			    refused > 1 ? "; " : "", f[i].detail,
			    travel_rule_name(f[i].rule));
	}
	if (refused > 0) {
		if (off < whylen)
			snprintf(why + off, whylen - off, ". Change the plan, or a "
			    "supervisor accepts the risk with --waive RULE "
			    "--waiver-reason TEXT");
		return -EPERM;
	}
	if (nwaive > 0) {
		/* The waiver travels with the notice: the partner sees it. */
		dn->rules_waived = (char **)waive;
		dn->n_rules_waived = nwaive;
		dn->waiver_reason = (char *)waiver_reason;
		dn->waived_by = (char *)a->name;
	}
	return 0;
}

/* A step on its way: what case_step_send works with between its stages.
 * doc and the scope are ours; waive points at the caller's strings. */
struct step {
	ProtobufCMessage                       *doc;
	Homeward__Referral__CaseHeader        **slot;
	struct peer                            *p;
	struct store_case_thread                ct;
	int                                     is_new;
	struct consent_verdict                  v;
	Homeward__Referral__ConsentScope       *scope;
	uint8_t                                *scope_raw;
	size_t                                  scope_len;
	char                                  **saved_waive;
	Homeward__Referral__SafetyException    *psafety;  /* the partner's */
};

/* What can be said before the document is opened. */
static int
step_check_request(struct daemon *d, const struct case_step_request *rq,
    struct step *s, char *why, size_t whylen)
{
	const struct store_case *c = rq->c;

	if (rq->msg_type < ENV1_MSG_ASSISTANCE_REQUEST ||
	    rq->msg_type > ENV1_MSG_FOLLOW_UP_REPORT) {
		snprintf(why, whylen, _("steps are types 1-7; withdrawals and erasure "
		    "confirmations are sent by the daemon"));
		return -EINVAL;
	}
	/* Her arrival is still confirmed after a withdrawal (the order rules
	 * and the gate allow it only while she travels). */
	if (c->state != CASE_OPEN && !(c->state == CASE_RESTRICTED &&
	    rq->msg_type == ENV1_MSG_ARRIVAL_CONFIRMATION)) {
		snprintf(why, whylen, _("case %s is %s: nothing more is sent"), c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	if ((s->p = resolve_peer(d, c, rq->peer_agency, why, whylen)) == NULL)
		return -ENOENT;
	if (!peer_active(s->p)) {
		snprintf(why, whylen, _("peer %s is suspended or unverified"),
		    s->p->rec.agency_id);
		return -EPERM;
	}
	return 0;
}

/* Decode the operator's document and learn what kinds of data it holds. */
static int
step_open_document(const struct case_step_request *rq, struct step *s,
    struct case_step_result *res, char *why, size_t whylen)
{
	if ((s->doc = case_doc_unpack(rq->msg_type, rq->doc, rq->doc_len)) == NULL ||
	    refcat_of_body(rq->msg_type, rq->doc, rq->doc_len,
	    &res->categories) != 0) {
		snprintf(why, whylen, _("the document does not decode as a %s"),
		    flow_step_name(rq->msg_type));
		return -EINVAL;
	}
	s->slot = case_doc_header(s->doc);
	if (*s->slot != NULL) {
		snprintf(why, whylen, _("leave the document's header empty: the daemon "
		    "fills it"));
		return -EINVAL;
	}
	return 0;
}

/* The thread, the order rules and, for a departure, the travel rules. */
/* The times a partner verifies (PROTOCOL.md 21.8) are the sender's to
 * keep: a final notice once she departed, an arrival once she arrived. */
static int
step_check_times(uint16_t msg_type, const ProtobufCMessage *doc, char *why,
    size_t whylen)
{
	char t[CASE_WHY_LEN];

	if (header_time_check(msg_type, doc, NULL, clock_now(), t, sizeof(t)) ==
	    HEADER_OK)
		return 0;
	snprintf(why, whylen, _("%.300s: %s"), t, msg_type ==
	    ENV1_MSG_DEPARTURE_NOTIFICATION ? "send the final notice once she "
	    "has departed (until then, `homeward departure plan`)" :
	    "give the time she arrived (--at)");
	return -EPERM;
}

static int
step_check_rules(struct daemon *d, const struct case_step_request *rq,
    struct step *s, char *why, size_t whylen)
{
	const struct store_case *c = rq->c;
	int                      rc;

	if ((rc = case_thread_for(d, c, s->p, &s->ct, &s->is_new)) != 0) {
		if (rc == -ENOENT)
			snprintf(why, whylen, _("case %s has no thread with %s"), c->code,
			    s->p->rec.agency_id);
		return rc;
	}
	/* After a withdrawal only her journey still goes: the arrival
	 * confirmation, and a final departure that crosses the partner's
	 * withdrawal (the order rules say when). */
	if (s->ct.flow.withdrawn &&
	    rq->msg_type != ENV1_MSG_ARRIVAL_CONFIRMATION &&
	    !(rq->msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION &&
	    ((Homeward__Referral__DepartureNotification *)s->doc)->kind ==
	    HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)) {
		snprintf(why, whylen, _("consent for %s was withdrawn in case %s: "
		    "nothing more goes to it"), s->p->rec.agency_id, c->code);
		return -EPERM;
	}
	fill_defaults(d, rq->msg_type, s->doc);
	if (flow_check(&s->ct.flow, &(struct flow_config){ d->cfg.require_reintegration },
	    c->role == CASE_ROLE_DESTINATION ? FLOW_DESTINATION : FLOW_ORIGIN,
	    rq->msg_type, s->doc, why, whylen) != 0)
		return -EPERM;
	if (rq->msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION) {
		Homeward__Referral__DepartureNotification *dn = (void *)s->doc;

		if (dn->n_rules_waived > 0 || *dn->waiver_reason != '\0' ||
		    *dn->waived_by != '\0') {
			snprintf(why, whylen, _("waivers are given with --waive and "
			    "--waiver-reason, not in the document"));
			return -EINVAL;
		}
		s->saved_waive = dn->rules_waived;
		if (required_check(rq->msg_type, s->doc, why, whylen) != 0 ||
		    step_check_times(rq->msg_type, s->doc, why, whylen) != 0)
			return -EPERM;
		return check_travel(d, rq->actor, c, s->p, &s->ct, dn, rq->waive,
		    rq->nwaive, rq->waiver_reason, why, whylen);
	}
	if (rq->nwaive > 0) {
		snprintf(why, whylen, _("travel rules apply to departures only"));
		return -EINVAL;
	}
	/* What the document must say (21.7), once its form is right. */
	if (required_check(rq->msg_type, s->doc, why, whylen) != 0)
		return -EPERM;
	if (step_check_times(rq->msg_type, s->doc, why, whylen) != 0)
		return -EPERM;
	return case_handover_check(d, c, rq->msg_type, s->doc, why, whylen);
}

/* No consent covers it: keep it, with its header (case code) but no basis
 * yet and no thread position, so nothing behind it waits.  In the open
 * transaction. */
static int
step_hold(struct daemon *d, const struct case_step_request *rq, struct step *s,
    struct case_step_result *res)
{
	Homeward__Referral__CaseHeader  hdr = HOMEWARD__REFERRAL__CASE_HEADER__INIT;
	const struct case_actor        *a = rq->actor;
	struct store_held               h;
	char                            detail[STORE_MISSING_LEN + 48];
	uint8_t                        *body = NULL;
	size_t                          body_len = 0;
	int                             rc = 0;

	if (s->is_new && (rc = store_ct_put(d->store, &s->ct)) == 0)
		rc = store_thread_create(d->store, s->ct.thread_id, s->p->rec.rik,
		    clock_now());
	hdr.case_code = (char *)rq->c->code;
	*s->slot = &hdr;
	if (rc == 0)
		rc = case_doc_pack(s->doc, &body, &body_len);
	*s->slot = NULL;
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, rq->c->case_id, ENV1_ID_LEN);
	memcpy(h.peer_rik, s->p->rec.rik, ENV1_KEY_LEN);
	h.msg_type = rq->msg_type;
	h.categories = res->categories;
	h.created_at = clock_now();
	snprintf(h.created_by, sizeof(h.created_by), "%s", a->name);
	if (rq->safety_reason != NULL && *rq->safety_reason != '\0') {
		h.state = HELD_APPROVAL;
		snprintf(h.missing, sizeof(h.missing), "safety exception: "
		    "two different supervisors must approve (`homeward "
		    "approve`)");
		if (case_may_approve(a))
			snprintf(h.approved_by, sizeof(h.approved_by), "%s", a->name);
	} else {
		h.state = HELD_CONSENT;
		snprintf(h.missing, sizeof(h.missing), "%s", res->missing);
	}
	snprintf(res->missing, sizeof(res->missing), "%s", h.missing);
	if (rc == 0)
		rc = store_held_insert(d->store, &h, body, body_len,
		    h.state == HELD_APPROVAL ? rq->safety_reason : NULL);
	if (rc == 0 && h.approved_by[0] != '\0')      /* the first approval's */
		rc = store_held_set_reason(d->store, &h, 1, rq->safety_reason);
	snprintf(detail, sizeof(detail), "held %s: %s", log_hex(h.held_id,
	    ENV1_ID_LEN), h.state == HELD_APPROVAL ? "for the safety exception" :
	    h.missing);
	if (rc == 0)
		rc = audit_append(d->store, a->name, h.state == HELD_APPROVAL ?
		    AUDIT_HOLD_APPROVAL : AUDIT_HOLD, rq->c->code, NULL, detail,
		    clock_now());
	/* Stored and audited in English; the answer in the operator's. */
	if (lang_active() && h.state == HELD_APPROVAL)
		snprintf(res->missing, sizeof(res->missing), _("safety exception: "
		    "two different supervisors must approve (`homeward approve`)"));
	else if (lang_active())
		case_gate_say(s->p, rq->msg_type, res->categories, &s->v,
		    res->missing, sizeof(res->missing));
	memcpy(res->held_id, h.held_id, ENV1_ID_LEN);
	res->state = h.state == HELD_APPROVAL ? CASE_STEP_APPROVAL : CASE_STEP_HELD;
	secret_free(body);
	return rc;
}

/* Queued or held, with the waiver's audit record: one transaction. */
static int
step_commit(struct daemon *d, const struct case_step_request *rq, struct step *s,
    struct case_step_result *res)
{
	int rc;

	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if (rq->nwaive > 0 && (rc = audit_append(d->store, rq->actor->name,
	    AUDIT_OVERRIDE, rq->c->code, NULL, "travel rules waived by a supervisor",
	    clock_now())) != 0) {
		store_rollback(d->store);
		return rc;
	}
	if (s->v.covered || s->psafety != NULL) {
		rc = case_queue_doc(d, rq->c, s->p, &s->ct, s->is_new, rq->msg_type,
		    s->doc, s->scope, s->psafety, rq->actor->name, res->message_id);
		res->state = CASE_STEP_QUEUED;
		res->partner_safety = s->psafety != NULL;
	} else
		rc = step_hold(d, rq, s, res);
	if (rc == 0)            /* the newest draft replaces older held ones */
		rc = case_held_supersede(d, rq->c, s->p->rec.rik, rq->msg_type, res,
		    rq->actor->name, res);
	if (rc == 0)
		rc = case_profile_keep(d, rq->c, rq->msg_type, s->doc);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	return store_commit(d->store);
}

static void
step_free(const struct case_step_request *rq, struct step *s)
{
	if (s->doc != NULL && rq->msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION) {
		/* The waiver pointed at the caller's strings: not ours to free. */
		Homeward__Referral__DepartureNotification *dn = (void *)s->doc;

		if (rq->nwaive > 0 && dn->rules_waived == (char **)rq->waive) {
			dn->rules_waived = s->saved_waive;
			dn->n_rules_waived = 0;
			dn->waiver_reason = (char *)protobuf_c_empty_string;
			dn->waived_by = (char *)protobuf_c_empty_string;
		}
	}
	if (s->scope != NULL)
		homeward__referral__consent_scope__free_unpacked(s->scope,
		    &pbwipe_allocator);
	secret_free(s->scope_raw);
	if (s->psafety != NULL)
		homeward__referral__safety_exception__free_unpacked(s->psafety,
		    &pbwipe_allocator);
	case_doc_free(s->doc);
}

int
case_step_send(struct daemon *d, const struct case_step_request *rq,
    struct case_step_result *res, char *why, size_t whylen)
{
	struct step     s;
	int             rc;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	if ((rc = step_check_request(d, rq, &s, why, whylen)) != 0 ||
	    (rc = step_open_document(rq, &s, res, why, whylen)) != 0 ||
	    (rc = case_profile_check(d, rq->c, rq->msg_type, s.doc, why,
	    whylen)) != 0)
		goto out;
	snprintf(res->peer, sizeof(res->peer), "%s", s.p->rec.agency_id);
	if ((rc = step_check_rules(d, rq, &s, why, whylen)) != 0)
		goto out;
	if ((rc = case_gate(d, rq->c, s.p, rq->msg_type, res->categories, &s.v,
	    res->missing, sizeof(res->missing), &s.scope_raw, &s.scope_len)) != 0)
		goto out;
	/* No consent: an answer may go under the partner's safety exception. */
	if (!s.v.covered && (rc = case_partner_safety(d, rq->c, s.p, rq->msg_type,
	    &s.psafety)) != 0)
		goto out;
	if (s.v.covered && (s.scope = homeward__referral__consent_scope__unpack(
	    &pbwipe_allocator, s.scope_len, s.scope_raw)) == NULL) {
		rc = -EBADMSG;
		goto out;
	}
	if ((rc = step_commit(d, rq, &s, res)) != 0)
		goto out;
	audit_anchor_sync(d->store);
	if (res->state == CASE_STEP_QUEUED)
		deliver_kick(d, s.p);
	log_info("case %s: %s to %s %s", rq->c->code, flow_step_name(rq->msg_type),
	    s.p->rec.agency_id, res->state == CASE_STEP_QUEUED ? "queued" : "held");
out:
	step_free(rq, &s);
	return rc;
}
