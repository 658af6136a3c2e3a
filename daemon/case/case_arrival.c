/*
 * Arrivals that end only when a person decides (case.h; seed 004: the
 * beneficiary must be met on arrival).  A no-show, sent or received, and
 * an arrival not confirmed in time raise an urgent alert that repeats
 * every urgent_repeat_ms, and stay on the worklist, until a supervisor
 * records what became of her (case_record_outcome).  The outcome is ours:
 * each agency records its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/case/case_profile.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"

static const char *const outcome_names[] = {
	[CASE_OUTCOME_LOCATED] = "located",
	[CASE_OUTCOME_WITH_AUTHORITIES] = "with_authorities",
	[CASE_OUTCOME_REPORTED_MISSING] = "reported_missing",
	[CASE_OUTCOME_DID_NOT_TRAVEL] = "did_not_travel",
};

const char *
case_outcome_name(int outcome)
{
	if (outcome <= 0 || (size_t)outcome >= sizeof(outcome_names) /
	    sizeof(outcome_names[0]))
		return "";
	return outcome_names[outcome];
}

int
case_outcome_parse(const char *name)
{
	for (size_t i = 1; i < sizeof(outcome_names) / sizeof(outcome_names[0]); i++)
		if (strcmp(name, outcome_names[i]) == 0)
			return (int)i;
	return 0;
}

int
case_safety_hold(const struct store_case_thread *ct)
{
	const struct flow_state *f = &ct->flow;

	if (f->departure != FLOW_DEP_FINAL || f->arrival == FLOW_ARR_MET)
		return 0;
	/* A no-show, or an overdue arrival, holds until a person decides
	 * what became of her. */
	return ct->outcome == 0;
}

struct hold_find {
	int     found;
};

static int
hold_find_cb(const struct store_case_thread *t, void *arg)
{
	struct hold_find *h = arg;

	if (case_safety_hold(t))
		h->found = 1;
	return 0;
}

int
case_travelling(struct daemon *d, const struct store_case *c, char *why,
    size_t whylen)
{
	struct hold_find        h = { 0 };
	int                     rc;

	if ((rc = store_ct_each(d->store, c->case_id, hold_find_cb, &h)) != 0)
		return rc;
	if (!h.found)
		return 0;
	snprintf(why, whylen, _("case %s: she is travelling and her arrival is not "
	    "settled: confirm her arrival, or a supervisor records what became of "
	    "her (`homeward case outcome %s`), before the case is closed"),
	    c->code, c->code);
	return -EPERM;
}

int
case_awaits_outcome(const struct store_case_thread *ct)
{
	if (ct->outcome != 0 || ct->flow.departure != FLOW_DEP_FINAL)
		return 0;
	if (ct->flow.arrival == FLOW_ARR_NOT_ARRIVED)
		return 1;
	/* Overdue: the alert was raised and nothing came since. */
	return (ct->alerted & CT_ALERT_ARRIVAL) && flow_in_transit(&ct->flow);
}

int
case_no_show(struct daemon *d, struct store_case_thread *ct, const char *code,
    const char *detail)
{
	int rc;

	if ((rc = case_alert(d, "no_show", 1, ct->peer_rik, ct->thread_id, code,
	    detail)) != 0)
		return rc;
	ct->alerted |= CT_ALERT_NO_SHOW;
	ct->alerted_at = clock_now();
	ct->outcome = 0;
	return store_ct_put(d->store, ct);
}

struct only_thread {
	struct store_case_thread        ct;
	size_t                          n;
};

static int
only_thread_cb(const struct store_case_thread *t, void *arg)
{
	struct only_thread *o = arg;

	if (o->n++ == 0)
		o->ct = *t;
	return 0;
}

/* The thread of c with the partner named (or the only one). */
static int
outcome_thread(struct daemon *d, const struct store_case *c, const char *agency,
    struct store_case_thread *ct, char *why, size_t whylen)
{
	struct only_thread      o;
	struct peer            *p;
	int                     rc;

	if (agency == NULL || *agency == '\0') {
		memset(&o, 0, sizeof(o));
		if ((rc = store_ct_each(d->store, c->case_id, only_thread_cb, &o)) != 0)
			return rc;
		if (o.n != 1) {
			snprintf(why, whylen, o.n == 0 ? _("case %s has no partner "
			    "agency: name it with --to AGENCY") : _("case %s has more "
			    "than one partner agency: name it with --to AGENCY"),
			    c->code);
			return o.n == 0 ? -ENOENT : -EINVAL;
		}
		*ct = o.ct;
		return 0;
	}
	if ((p = peers_by_agency(d, agency)) == NULL) {
		snprintf(why, whylen, _("no partner %.64s; `homeward peers` lists them"),
		    agency);
		return -ENOENT;
	}
	if ((rc = store_ct_find(d->store, c->case_id, p->rec.rik, ct)) == -ENOENT)
		snprintf(why, whylen, _("case %s has no thread with %.64s"), c->code,
		    agency);
	return rc;
}

int
case_record_outcome(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const char *agency, const char *name,
    char *why, size_t whylen)
{
	struct store_case_thread        ct;
	char                            detail[160];
	int                             outcome, rc;

	/* A person decides: not the daemon's own account. */
	if (!case_may_approve(a)) {
		snprintf(why, whylen, _("only a supervisor (a person, not homewardd's "
		    "own account) records what became of a person who did not "
		    "arrive"));
		return -EACCES;
	}
	if (c->state == CASE_ERASED || c->state == CASE_ERASING) {
		snprintf(why, whylen, _("case %s is %s"), c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	if ((outcome = case_outcome_parse(name ? name : "")) == 0) {
		snprintf(why, whylen, _("the outcome is one of located, "
		    "with_authorities, reported_missing, did_not_travel"));
		return -EINVAL;
	}
	if ((rc = outcome_thread(d, c, agency, &ct, why, whylen)) != 0)
		return rc;
	if (!case_awaits_outcome(&ct)) {
		snprintf(why, whylen, _("case %s awaits no outcome: she was not "
		    "reported missing and her arrival is not overdue%s"), c->code,
		    ct.outcome ? " (an outcome is recorded already)" : "");
		return -EPERM;
	}
	ct.outcome = outcome;
	snprintf(ct.outcome_by, sizeof(ct.outcome_by), "%s", a->name);
	ct.outcome_at = clock_now();
	snprintf(detail, sizeof(detail), "arrival outcome recorded: %s",
	    case_outcome_name(outcome));
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_ct_put(d->store, &ct)) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_OUTCOME, c->code, NULL,
	    detail, ct.outcome_at)) != 0) {
		store_rollback(d->store);
		return rc;
	}
	if ((rc = store_commit(d->store)) != 0)
		return rc;
	audit_anchor_sync(d->store);
	/* A withdrawal held for her safety may now be confirmed. */
	d->case_due = 1;
	daemon_wake(d);
	log_info("case %s: %s", c->code, detail);
	return 0;
}

int
case_handover_check(struct daemon *d, const struct store_case *c,
    uint16_t msg_type, const ProtobufCMessage *doc, char *why, size_t whylen)
{
	const Homeward__Referral__ArrivalConfirmation *ac = (const void *)doc;
	struct case_profile                             rec, docs, rules;
	int                                             rc;

	if (msg_type != ENV1_MSG_ARRIVAL_CONFIRMATION || doc == NULL ||
	    ac->outcome != HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET ||
	    ac->handed_over_to != HOMEWARD__REFERRAL__HANDOVER__HANDOVER_UNSPECIFIED)
		return 0;
	/* The more protective of the case's profile and its documents'. */
	if ((rc = case_profile_get(d, c, &rec, &docs, &rules)) != 0)
		return rc;
	if (case_profile_minor(&rules) != 1)
		return 0;
	snprintf(why, whylen, _("case %s is a minor's: say to whom she was handed "
	    "over on arrival (--handed-over-to parent, family, child-protection "
	    "or shelter)"), c->code);
	return -EPERM;
}
