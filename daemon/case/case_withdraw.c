/*
 * A partner's withdrawal of consent, and the safety hold (PROTOCOL.md
 * 21.5; case.h).
 *
 * A partner's withdrawal restricts that partner's thread only: our case,
 * our consents and our threads with other partners stay, because erasing
 * our own record is a supervisor's decision (or retention's), never a
 * partner's.  What the partner sent us in that thread is erased (its
 * thread key destroyed) once our ErasureConfirmation is receipted; a case
 * a partner referred to us is that one thread, so the whole case goes.
 *
 * Her safety first (seed 002 8.4): while she is on her way (a final
 * departure whose arrival is neither met nor, after a no-show, settled by
 * a supervisor) the thread is in safety hold: the arrival deadline stays
 * armed, the travel data stays readable, arrival confirmations still go
 * and come, an urgent alert tells the operators, and the erasure and its
 * confirmation wait until the hold ends (case_tick).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"

int
case_withdrawn_by_partner(const struct store_case *c,
    const struct store_case_thread *ct)
{
	int partner = c->role == CASE_ROLE_DESTINATION ? FLOW_ORIGIN :
	    FLOW_DESTINATION;

	return ct->flow.withdrawn == partner;
}

/* Held documents of the case for this partner only (open transaction). */
static int
cancel_held_for(struct daemon *d, const struct store_case *c,
    const uint8_t peer_rik[ENV1_KEY_LEN], const char *why)
{
	struct store_held      *v;
	size_t                  n;
	int                     rc;

	if ((rc = case_held_list(d, c->case_id, 0, &v, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (memcmp(v[i].peer_rik, peer_rik, ENV1_KEY_LEN) != 0)
			continue;
		v[i].state = HELD_CANCELLED;
		snprintf(v[i].missing, sizeof(v[i].missing), "%s", why);
		if ((rc = store_held_update(d->store, &v[i])) == 0)
			rc = audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_CANCEL,
			    c->code, NULL, why, clock_now());
	}
	free(v);
	return rc;
}

int
case_confirm_erasure(struct daemon *d, const struct store_case *c, struct peer *p,
    struct store_case_thread *ct, const uint8_t withdrawal_id[ENV1_ID_LEN])
{
	Homeward__Referral__ErasureConfirmation e =
	    HOMEWARD__REFERRAL__ERASURE_CONFIRMATION__INIT;
	uint8_t                                 mid[ENV1_ID_LEN];
	unsigned                                n;
	int                                     rc;

	/* A case referred to us is the partner's: the consents it sent with
	 * it are no longer in force for anything. */
	if (c->role == CASE_ROLE_ORIGIN &&
	    (rc = store_consent_withdraw(d->store, c->case_id, NULL, clock_now(), 0,
	    &n)) != 0)
		return rc;
	e.withdrawal_id.data = (uint8_t *)withdrawal_id;
	e.withdrawal_id.len = ENV1_ID_LEN;
	e.restricted_at = clock_now();
	e.erased_at = clock_now();
	if ((rc = case_queue_doc(d, c, p, ct, 0, ENV1_MSG_ERASURE_CONFIRMATION,
	    &e.base, NULL, NULL, CASE_ACTOR_DAEMON, mid)) != 0)
		return rc;
	p->seal_pending = 1;
	return audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_CONSENT_WITHDRAW,
	    c->code, withdrawal_id, "erasure confirmation queued: the thread is "
	    "erased when it is receipted", clock_now());
}

int
case_partner_withdrew(struct daemon *d, struct peer *p, const struct store_case *c,
    struct store_case_thread *ct, const struct store_in *row,
    const Homeward__Referral__ConsentWithdrawal *w)
{
	const char     *in_error = w->reason ==
	    HOMEWARD__REFERRAL__WITHDRAWAL_REASON__WITHDRAWAL_RECORDED_IN_ERROR ?
	    " (recorded in error)" : "";
	char            detail[400], when[40];
	unsigned        cancelled;
	int             rc;

	if ((rc = cancel_held_for(d, c, p->rec.rik, "cancelled: the partner's "
	    "consent was withdrawn")) != 0)
		return rc;
	/* Nothing more goes in this thread, not even what waits to be
	 * sealed; while she travels, her departure and arrival documents. */
	if ((rc = store_out_cancel_unsealed(d->store, ct->thread_id,
	    case_safety_hold(ct) ? CASE_STEPS_ALL & ~CASE_STEPS_TRAVEL :
	    CASE_STEPS_ALL, &cancelled)) != 0)
		return rc;
	/* A case referred to us is that one thread: nothing more goes out. */
	if (c->role == CASE_ROLE_ORIGIN && c->state == CASE_OPEN &&
	    (rc = store_case_set_state(d->store, c->case_id, CASE_RESTRICTED,
	    clock_now())) != 0)
		return rc;
	if (case_safety_hold(ct)) {
		case_time_text(ct->flow.scheduled_arrival, when, sizeof(when));
		snprintf(detail, sizeof(detail), "message %s: %.64s withdrew consent%s "
		    "while she is travelling: the arrival deadline (%s) stays "
		    "armed; meet her as planned and confirm her arrival; erasure "
		    "follows it", log_hex(row->message_id, ENV1_ID_LEN),
		    p->rec.agency_id, in_error, when);
		if ((rc = case_alert(d, "withdrawn_in_transit", 1, p->rec.rik,
		    row->thread_id, c->code, detail)) != 0)
			return rc;
		return audit_append(d->store, CASE_ACTOR_DAEMON,
		    AUDIT_CONSENT_WITHDRAW, c->code, row->message_id, "withdrawn by "
		    "the partner while she is travelling: thread restricted, "
		    "erasure after her arrival", clock_now());
	}
	snprintf(detail, sizeof(detail), "message %s: %.64s withdrew consent%s: the "
	    "thread with it is restricted and erased; nothing more goes to it "
	    "in this case", log_hex(row->message_id, ENV1_ID_LEN),
	    p->rec.agency_id, in_error);
	if ((rc = case_alert(d, "consent_withdrawn", 0, p->rec.rik, row->thread_id,
	    c->code, detail)) != 0)
		return rc;
	return case_confirm_erasure(d, c, p, ct, row->message_id);
}

/* --- after the hold ------------------------------------------------------ */

/* A withdrawal whose erasure waited for her arrival, which is settled. */
static int
hold_ended(const struct store_case_thread *t)
{
	return t->flow.withdrawn != 0 && !t->flow.erasure_confirmed &&
	    !case_safety_hold(t);
}

/* One thread whose hold ended: confirm the erasure (open transaction). */
static int
confirm_one(struct daemon *d, struct store_case_thread *ct)
{
	struct store_case       c;
	struct peer            *p;
	uint8_t                 wid[ENV1_ID_LEN];
	int                     rc;

	if ((rc = store_case_get_id(d->store, ct->case_id, &c)) != 0)
		return rc;
	if (!case_withdrawn_by_partner(&c, ct) ||
	    (p = peers_by_rik(d, ct->peer_rik)) == NULL)
		return 0;
	if ((rc = store_in_last_of_type(d->store, ct->thread_id,
	    ENV1_MSG_CONSENT_WITHDRAWAL, wid)) != 0)
		return rc == -ENOENT ? 0 : rc;
	log_info("case %s: her arrival is settled; erasing what %s sent",
	    c.code, p->rec.agency_id);
	return case_confirm_erasure(d, &c, p, ct, wid);
}

void
case_confirm_after_hold(struct daemon *d)
{
	struct store_case_thread       *v;
	size_t                          n;
	int                             rc;

	if ((rc = case_threads(d, NULL, hold_ended, &v, &n)) != 0 || n == 0)
		goto out;
	if ((rc = store_begin(d->store)) != 0)
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = confirm_one(d, &v[i]);
	if (rc == 0 && (rc = store_commit(d->store)) == 0) {
		audit_anchor_sync(d->store);
		daemon_wake(d);
	} else if (rc != 0)
		store_rollback(d->store);
out:
	if (rc != 0)
		log_warnx("erasure after a safety hold not confirmed (%s); retrying",
		    strerror(-rc));
	free(v);
}
