/*
 * Our side of a withdrawal (case.h, PROTOCOL.md 21.5): the person
 * withdraws her consent, or a consent recorded by mistake is revoked
 * ("recorded in error", which is not her withdrawal: the case stays open
 * for a correct consent).  Either way, held documents no consent in force
 * covers any more are cancelled, so are documents awaiting a second
 * supervisor for a partner no consent names, and every partner that
 * received data of the case and is no longer named by a consent in force
 * is sent a ConsentWithdrawal, after its documents not sealed yet are
 * cancelled (store_out_cancel_unsealed keeps the thread's order whole).
 *
 * Her safety first: in a thread where she is on her way (case_safety_hold)
 * the departure and arrival documents still go, the arrival deadline stays
 * armed, and an urgent alert says so.
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


struct revoke {
	struct daemon                  *d;
	const struct case_actor        *a;
	const struct store_case        *c;
	const uint8_t                  *consent_id;
	int                             in_error;
	uint64_t                        now;
	struct store_consent           *rows;
	struct consent                 *plain;
	size_t                          n;
	struct case_withdraw_result    *res;
};

static int
in_force(const struct consent *c, uint64_t now)
{
	return c->withdrawn_at == 0 && (c->expires_at == 0 || now < c->expires_at);
}

static int
named_in_force(const struct revoke *r, const char *agency)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!in_force(&r->plain[i], r->now))
			continue;
		for (size_t k = 0; k < r->plain[i].nrecipients; k++)
			if (strcmp(r->plain[i].recipients[k], agency) == 0)
				return 1;
	}
	return 0;
}

/* Held documents no consent in force covers, and safety exceptions
 * awaiting approval for a partner no consent names, are cancelled (open
 * transaction). */
static int
cancel_held(struct revoke *r)
{
	struct store_held      *hv = NULL;
	struct peer            *p;
	size_t                  nh = 0;
	int                     rc;

	if ((rc = case_held_list(r->d, r->c->case_id, 0, &hv, &nh)) != 0)
		return rc;
	for (size_t i = 0; i < nh && rc == 0; i++) {
		struct consent_verdict  v;
		struct consent_need     need;
		char                    agency[STORE_NAME_LEN] = "";

		if ((p = peers_by_rik(r->d, hv[i].peer_rik)) != NULL)
			snprintf(agency, sizeof(agency), "%s", p->rec.agency_id);
		if (hv[i].state == HELD_APPROVAL) {
			if (agency[0] != '\0' && named_in_force(r, agency))
				continue;
		} else {
			need.recipient = agency;
			need.step = hv[i].msg_type;
			need.categories = hv[i].categories;
			need.now = r->now;
			consent_decide(r->plain, r->n, &need, &v);
			if (v.covered)
				continue;
		}
		hv[i].state = HELD_CANCELLED;
		snprintf(hv[i].missing, sizeof(hv[i].missing), "cancelled: consent %s",
		    r->in_error ? "revoked (recorded in error)" : "withdrawn");
		if ((rc = store_held_update(r->d->store, &hv[i])) == 0) {
			char detail[200];

			snprintf(detail, sizeof(detail), "held document %s %.120s",
			    log_hex(hv[i].held_id, ENV1_ID_LEN), hv[i].missing);
			rc = audit_append(r->d->store, r->a->name, AUDIT_CANCEL,
			    r->c->code, NULL, detail, r->now);
		}
	}
	free(hv);
	return rc;
}

/* Tell one partner (open transaction). */
static int
send_withdrawal(struct revoke *r, struct peer *p, struct store_case_thread *ct)
{
	Homeward__Referral__ConsentWithdrawal   w =
	    HOMEWARD__REFERRAL__CONSENT_WITHDRAWAL__INIT;
	uint8_t                                 mid[ENV1_ID_LEN];

	w.withdrawn_at = r->now;
	if (r->consent_id != NULL) {
		w.consent_id.data = (uint8_t *)r->consent_id;
		w.consent_id.len = ENV1_ID_LEN;
	}
	if (r->in_error)
		w.reason = HOMEWARD__REFERRAL__WITHDRAWAL_REASON__WITHDRAWAL_RECORDED_IN_ERROR;
	/* No personal data: it needs no consent, and goes even to a
	 * suspended peer's queue (it leaves when the peer is back). */
	return case_queue_doc(r->d, r->c, p, ct, 0, ENV1_MSG_CONSENT_WITHDRAWAL,
	    &w.base, NULL, NULL, r->a->name, mid);
}

/* She is on her way to p: say so, urgently (open transaction). */
static int
alert_travelling(struct revoke *r, struct peer *p,
    const struct store_case_thread *ct)
{
	char detail[400], when[40];

	case_time_text(ct->flow.scheduled_arrival, when, sizeof(when));
	snprintf(detail, sizeof(detail), "consent %s while she is travelling to "
	    "%.64s: the arrival deadline (%s) stays armed and the partner keeps "
	    "what it needs to meet her; make sure her arrival is confirmed",
	    r->in_error ? "revoked (recorded in error)" : "withdrawn",
	    p->rec.agency_id, when);
	return case_alert(r->d, "withdrawn_in_transit", 1, p->rec.rik,
	    ct->thread_id, r->c->code, detail);
}

/* One thread: unless its partner is still named by a consent in force,
 * cancel what is not sealed yet and send the withdrawal (open
 * transaction). */
static int
revoke_thread(struct revoke *r, struct store_case_thread *ct)
{
	struct store_thread     t;
	struct peer            *p;
	unsigned                cancelled = 0;
	int                     rc, hold = case_safety_hold(ct);

	if (ct->flow.withdrawn)
		return 0;
	if ((p = peers_by_rik(r->d, ct->peer_rik)) == NULL)
		return case_alert(r->d, "withdrawal_not_sent", 1, ct->peer_rik,
		    ct->thread_id, r->c->code, "consent was withdrawn, but a partner "
		    "that received data of this case is no longer a peer: tell it "
		    "by other means to erase what it received");
	if (named_in_force(r, p->rec.agency_id))
		return 0;
	if ((rc = store_out_cancel_unsealed(r->d->store, ct->thread_id,
	    hold ? CASE_STEPS_ALL & ~CASE_STEPS_TRAVEL : CASE_STEPS_ALL, &cancelled)) != 0)
		return rc;
	r->res->cancelled += cancelled;
	/* Nothing sealed ever went to it (and nothing is left to go): there
	 * is nothing to erase there, and a withdrawal would open a thread
	 * it never heard of. */
	if ((rc = store_thread_get(r->d->store, ct->thread_id, &t)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (t.sealed_seq == 0 && t.out_seq == 0)
		return 0;
	if (hold) {
		r->res->travelling++;
		if ((rc = alert_travelling(r, p, ct)) != 0)
			return rc;
	}
	if ((rc = send_withdrawal(r, p, ct)) != 0)
		return rc;
	r->res->notified++;
	p->seal_pending = 1;
	return 0;
}

static int
revoke_threads(struct revoke *r)
{
	struct store_case_thread       *v;
	size_t                          n;
	int                             rc;

	if ((rc = case_threads(r->d, r->c->case_id, NULL, &v, &n)) == 0)
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = revoke_thread(r, &v[i]);
	free(v);
	return rc;
}

/* Everything in the open transaction; detail says what was done. */
static int
revoke_in_tx(struct revoke *r, char *detail, size_t detaillen, char *why,
    size_t whylen)
{
	int rc, any = 0;

	if ((rc = store_consent_withdraw(r->d->store, r->c->case_id, r->consent_id,
	    r->now, r->in_error, &r->res->withdrawn)) != 0)
		return rc;
	if (r->res->withdrawn == 0) {
		snprintf(why, whylen, _("case %s has no such consent in force; "
		    "`homeward consent list %s` shows its consents"), r->c->code,
		    r->c->code);
		return -ENOENT;
	}
	if ((rc = case_consents(r->d, r->c->case_id, &r->rows, &r->plain,
	    &r->n)) != 0)
		return rc;
	for (size_t i = 0; i < r->n; i++)
		any |= in_force(&r->plain[i], r->now);
	if ((rc = cancel_held(r)) != 0 || (rc = revoke_threads(r)) != 0)
		return rc;
	/* Her withdrawal restricts the case; a mistake does not. */
	r->res->restricted = !any && !r->in_error;
	if (r->res->restricted && (rc = store_case_set_state(r->d->store,
	    r->c->case_id, CASE_RESTRICTED, r->now)) != 0)
		return rc;
	snprintf(detail, detaillen, "%u consent(s) %s; %u partner(s) told to "
	    "erase; %u queued document(s) cancelled%s%s", r->res->withdrawn,
	    r->in_error ? "revoked: recorded in error" : "withdrawn by the person",
	    r->res->notified, r->res->cancelled, r->res->travelling ?
	    "; she is travelling: arrival deadline kept" : "",
	    r->res->restricted ? "; case restricted" : "");
	return audit_append(r->d->store, r->a->name, AUDIT_CONSENT_WITHDRAW,
	    r->c->code, NULL, detail, r->now);
}

int
case_consent_withdraw(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const uint8_t *consent_id, int in_error,
    struct case_withdraw_result *res, char *why, size_t whylen)
{
	struct revoke   r = { d, a, c, consent_id, in_error, clock_now(), NULL,
	                    NULL, 0, res };
	char            detail[256];
	int             rc;

	memset(res, 0, sizeof(*res));
	if (c->state == CASE_ERASED || c->state == CASE_ERASING) {
		snprintf(why, whylen, _("case %s is %s: it has no consent left"),
		    c->code, store_case_state_name(c->state));
		return -EPERM;
	}
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = revoke_in_tx(&r, detail, sizeof(detail), why, whylen)) != 0) {
		store_rollback(d->store);
		memset(res, 0, sizeof(*res));
	} else if ((rc = store_commit(d->store)) == 0) {
		audit_anchor_sync(d->store);
		daemon_wake(d);
		log_info("case %s: %s", c->code, detail);
	}
	free(r.rows);
	free(r.plain);
	return rc;
}
