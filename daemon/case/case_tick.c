/*
 * The procedure's clock (case.h): a timer raises deadline alerts (the
 * urgent ones about her arrival again every urgent_repeat_ms until a
 * supervisor settles them), confirms erasures a safety hold delayed,
 * erases closed cases after retention, cases whose withdrawal we
 * confirmed, and what a partner that withdrew sent us; erasure waits for
 * the receipts of what is in flight, erasure_wait_ms at most (then it
 * erases and an alert names the partner that never confirmed); and it
 * forgets the ids of control requests after a week.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"

/* How long the ids of control requests carried out are kept. */
#define CASE_REQUEST_KEEP_MS    (7ull * 24 * 3600 * 1000)

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

/* An urgent alert about her arrival is due again: nobody has recorded
 * what became of her since the last one. */
static int
repeat_due(const struct due_walk *w, const struct store_case_thread *t)
{
	return t->outcome == 0 && w->d->cfg.urgent_repeat_ms != 0 &&
	    w->now >= t->alerted_at + w->d->cfg.urgent_repeat_ms;
}

static int
due_cb(const struct store_case_thread *t, void *arg)
{
	struct due_walk        *w = arg;
	const struct flow_state *f = &t->flow;
	int                     rc = 0;

	/* A withdrawal stops the answers' deadlines, never her arrival's. */
	if (!f->withdrawn && f->request == FLOW_REQ_PENDING &&
	    f->request_reply_by != 0 && w->now >= f->request_reply_by &&
	    !(t->alerted & CT_ALERT_REQUEST))
		rc = due_add(w, t, CT_ALERT_REQUEST);
	if (rc == 0 && !f->withdrawn && f->reintegration == FLOW_REINT_PENDING &&
	    f->reint_reply_by != 0 && w->now >= f->reint_reply_by &&
	    !(t->alerted & CT_ALERT_REINT))
		rc = due_add(w, t, CT_ALERT_REINT);
	if (rc == 0 && flow_in_transit(f) && f->scheduled_arrival != 0 &&
	    w->now >= f->scheduled_arrival + w->d->cfg.arrival_grace_ms &&
	    (!(t->alerted & CT_ALERT_ARRIVAL) || repeat_due(w, t)))
		rc = due_add(w, t, CT_ALERT_ARRIVAL);
	if (rc == 0 && f->arrival == FLOW_ARR_NOT_ARRIVED &&
	    (t->alerted & CT_ALERT_NO_SHOW) && repeat_due(w, t))
		rc = due_add(w, t, CT_ALERT_NO_SHOW);
	return rc;
}

/* The alert's words: ids, codes and times only, and how to call the
 * partner (duty: its duty contact, "" when none). */
static void
due_detail(const struct store_case_thread *t, uint32_t bit,
    const struct store_case *c, const char *agency, const char *duty,
    char *detail, size_t len)
{
	char when[40];

	switch (bit) {
	case CT_ALERT_ARRIVAL:
		case_time_text(t->flow.scheduled_arrival, when, sizeof(when));
		snprintf(detail, len, "%sarrival expected %s is not confirmed: the "
		    "person may be missing; call %.64s now%s%.64s%s, then a "
		    "supervisor records what became of her (`homeward case "
		    "outcome %s`)", t->alerted & CT_ALERT_ARRIVAL ?
		    "STILL UNSETTLED: " : "", when, agency, duty[0] ? " (" : "",
		    duty, duty[0] ? ")" : "", c->code);
		break;
	case CT_ALERT_NO_SHOW:
		snprintf(detail, len, "STILL UNSETTLED: %.64s reported that the "
		    "person did not arrive and nobody has recorded what became of "
		    "her; a supervisor records it with `homeward case outcome %s`",
		    agency, c->code);
		break;
	default:
		case_time_text(bit == CT_ALERT_REQUEST ? t->flow.request_reply_by :
		    t->flow.reint_reply_by, when, sizeof(when));
		snprintf(detail, len, "the %s %s %.64s was due %s",
		    bit == CT_ALERT_REQUEST ? "answer to the request for "
		    "assistance" : "answer to the reintegration request",
		    c->role == CASE_ROLE_DESTINATION ? "from" : "to", agency, when);
	}
}

/* Raise one due alert and mark it in the thread (open transaction). */
static int
raise_one(struct daemon *d, const struct due *due, uint64_t now)
{
	const struct store_case_thread *t = &due->ct;
	struct store_case_thread        cur;
	struct store_case               c;
	struct peer                    *p = peers_by_rik(d, t->peer_rik);
	char                            detail[400];
	int                             rc, urgent = due->bit == CT_ALERT_ARRIVAL ||
	                                    due->bit == CT_ALERT_NO_SHOW;

	if ((rc = store_case_get_id(d->store, t->case_id, &c)) != 0)
		return rc;
	/* Her arrival is watched in every case that still exists. */
	if (c.state != CASE_OPEN && c.state != CASE_RESTRICTED &&
	    !(urgent && c.state == CASE_CLOSED))
		return 0;
	due_detail(t, due->bit, &c, p ? p->rec.agency_id : "?",
	    p ? peer_duty_contact(p) : "", detail, sizeof(detail));
	if ((rc = case_alert(d, due->bit == CT_ALERT_ARRIVAL ? "arrival_overdue" :
	    due->bit == CT_ALERT_NO_SHOW ? "no_show" : "reply_overdue", urgent,
	    t->peer_rik, t->thread_id, c.code, detail)) != 0)
		return rc;
	/* Re-read: an earlier item may have changed the row. */
	if ((rc = store_ct_get(d->store, t->thread_id, &cur)) != 0)
		return rc;
	cur.alerted |= due->bit;
	if (urgent)
		cur.alerted_at = now;
	return store_ct_put(d->store, &cur);
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
	for (size_t i = 0; i < w.n && rc == 0; i++)
		rc = raise_one(d, &w.v[i], now);
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

/* Whether erasure has waited long enough for the receipts of what the
 * case still has in flight (v): erasure_wait_ms from when it became due
 * (due_at) or from when the newest of them was queued, the later. */
static int
erase_wait_over(const struct daemon *d, const struct store_unacked *v,
    size_t n, uint64_t due_at, uint64_t now)
{
	uint64_t since = due_at;

	for (size_t i = 0; i < n; i++)
		if (v[i].newest_at > since)
			since = v[i].newest_at;
	return now >= since && now - since >= d->cfg.erasure_wait_ms;
}

/* A partner never confirmed: what waited for its receipts is dropped and
 * each such partner named in an alert, in one transaction, before the
 * keys go (a crash between leaves a case erased at the next tick). */
static int
erase_unconfirmed(struct daemon *d, const struct store_case *c,
    const struct store_unacked *v, size_t n)
{
	char            detail[256];
	struct peer    *p;
	int             rc;

	if ((rc = store_begin(d->store)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		p = peers_by_rik(d, v[i].peer_rik);
		snprintf(detail, sizeof(detail), "partner %s never confirmed %llu "
		    "message(s) of this case (no receipt); erased without its "
		    "confirmation: ask it out of band to erase the case",
		    p != NULL ? p->rec.agency_id : "(removed)",
		    (unsigned long long)v[i].count);
		rc = case_alert(d, "erasure_unconfirmed", 0, v[i].peer_rik, NULL,
		    c->code, detail);
	}
	if (rc == 0)
		rc = store_case_unacked_drop(d->store, c->case_id);
	if (rc == 0)
		rc = store_commit(d->store);
	else
		store_rollback(d->store);
	if (rc == 0)
		audit_anchor_sync(d->store);
	return rc;
}

/* Whether case c may be erased now: nothing waits for a receipt (0), or
 * the wait is over and it was given up (1, erase_unconfirmed); and she is
 * not travelling.  Negative: not now. */
static int
erase_ready(struct daemon *d, const struct store_case *c, uint64_t due_at)
{
	struct store_unacked   *v = NULL;
	size_t                  n = 0;
	char                    why[CASE_WHY_LEN];
	int                     rc;

	/* A withdrawal or confirmation still in flight needs the key to be
	 * sealed or resent: erasure waits for its receipt, erasure_wait_ms
	 * at most.  Nor while she travels: her arrival is still awaited. */
	if ((rc = store_case_unacked_peers(d->store, c->case_id, &v, &n)) != 0)
		return rc;
	if (n > 0 && !erase_wait_over(d, v, n, due_at, clock_now()))
		rc = -EAGAIN;
	else if (case_travelling(d, c, why, sizeof(why)) != 0)
		rc = -EAGAIN;
	else if (n > 0 && (rc = erase_unconfirmed(d, c, v, n)) != 0)
		log_warnx("case %s: erasure not forced (%s); retrying", c->code,
		    strerror(-rc));
	else if (n > 0)
		rc = 1;
	free(v);
	return rc;
}

/* retention: the cases were closed (due retention_ms after closing);
 * else their erasure is due since their withdrawal.  forced: the reason
 * when erasure stopped waiting for a partner's receipt. */
static void
erase_cases(struct daemon *d, struct case_walk *w, const char *reason,
    const char *forced, int retention)
{
	for (size_t i = 0; i < w->n; i++) {
		struct store_case *c = &w->v[i];
		const char *why = reason;
		int rc;

		if ((rc = erase_ready(d, c, retention ? c->closed_at +
		    d->cfg.retention_ms : 0)) < 0)
			continue;
		if (rc == 1)
			why = forced;
		if ((rc = store_case_erase(d->store, c->case_id, CASE_ACTOR_DAEMON,
		    why, clock_now())) != 0) {
			log_warnx("case %s not erased (%s); retrying", c->code,
			    strerror(-rc));
			continue;
		}
		if (audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ERASE, c->code, NULL,
		    why, clock_now()) == 0)
			audit_anchor_sync(d->store);
		log_info("case %s erased: %s", c->code, why);
	}
}

/* Our ErasureConfirmation was receipted; the thread's key is not gone yet. */
static int
erase_due(const struct store_case_thread *t)
{
	return (t->alerted & CT_ERASE_DUE) && !(t->alerted & CT_ERASED);
}

/* One thread of our own case whose partner withdrew: its key goes (what
 * the partner sent, and our copies of what we sent it); the case, its
 * consents and its other threads stay.  Keys first, as store_case_erase. */
static int
erase_thread(struct daemon *d, struct store_case_thread *t)
{
	struct store_case       c;
	char                    reason[96];
	int                     rc;

	if ((rc = store_case_get_id(d->store, t->case_id, &c)) != 0)
		return rc;
	snprintf(reason, sizeof(reason), "the partner withdrew consent; erasure "
	    "confirmed");
	if (memcmp(t->thread_id, t->case_id, ENV1_ID_LEN) != 0 &&
	    (rc = store_case_shred(d->store, t->thread_id, CASE_ACTOR_DAEMON,
	    reason, clock_now())) != 0)
		return rc;
	t->alerted |= CT_ERASED;
	if ((rc = store_ct_put(d->store, t)) != 0)
		return rc;
	if (audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ERASE, c.code, NULL,
	    "what one partner sent was erased: it withdrew consent", clock_now()) == 0)
		audit_anchor_sync(d->store);
	log_info("case %s: the thread with a partner that withdrew is erased",
	    c.code);
	return 0;
}

static void
erase_threads(struct daemon *d)
{
	struct store_case_thread       *v;
	size_t                          n;
	int                             rc;

	if ((rc = case_threads(d, NULL, erase_due, &v, &n)) == 0)
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = erase_thread(d, &v[i]);
	if (rc != 0)
		log_warnx("a withdrawn thread was not erased (%s); retrying",
		    strerror(-rc));
	free(v);
}

/* A partner withdrew and our ErasureConfirmation may wait for its
 * receipt (the erasure follows the receipt). */
static int
confirm_waits(const struct store_case_thread *t)
{
	return t->flow.withdrawn != 0 &&
	    !(t->alerted & (CT_ERASE_DUE | CT_ERASED));
}

/* Our ErasureConfirmation in thread t went unreceipted erasure_wait_ms:
 * erase without its receipt.  A case referred to us goes whole
 * (erase_cases names the partner in an alert and drops the confirmation);
 * of our own case, what the partner sent, after the alert here. */
static int
confirm_give_up(struct daemon *d, struct store_case_thread *t, uint64_t now)
{
	struct store_case       c;
	struct peer            *p;
	uint64_t                count, newest;
	char                    detail[256];
	int                     rc;

	if ((rc = store_thread_unacked(d->store, t->thread_id,
	    ENV1_MSG_ERASURE_CONFIRMATION, &count, &newest)) != 0 || count == 0 ||
	    now < newest || now - newest < d->cfg.erasure_wait_ms)
		return rc;
	if ((rc = store_case_get_id(d->store, t->case_id, &c)) != 0 ||
	    (rc = store_begin(d->store)) != 0)
		return rc;
	if (c.role == CASE_ROLE_ORIGIN)
		rc = store_case_set_state(d->store, c.case_id, CASE_ERASING, now);
	else {
		p = peers_by_rik(d, t->peer_rik);
		snprintf(detail, sizeof(detail), "partner %s never confirmed our "
		    "erasure confirmation (no receipt); what it sent is erased "
		    "anyway: tell it out of band",
		    p != NULL ? p->rec.agency_id : "(removed)");
		t->alerted |= CT_ERASE_DUE;
		if ((rc = case_alert(d, "erasure_unconfirmed", 0, t->peer_rik,
		    NULL, c.code, detail)) == 0 &&
		    (rc = store_thread_unacked_drop(d->store, t->thread_id)) == 0)
			rc = store_ct_put(d->store, t);
	}
	if (rc == 0)
		rc = store_commit(d->store);
	else
		store_rollback(d->store);
	if (rc == 0)
		audit_anchor_sync(d->store);
	return rc;
}

static void
confirms_give_up(struct daemon *d, uint64_t now)
{
	struct store_case_thread       *v = NULL;
	size_t                          n;
	int                             rc;

	if ((rc = case_threads(d, NULL, confirm_waits, &v, &n)) == 0)
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = confirm_give_up(d, &v[i], now);
	if (rc != 0)
		log_warnx("an unconfirmed erasure was not given up (%s); retrying",
		    strerror(-rc));
	free(v);
}

void
case_tick(struct daemon *d)
{
	struct case_walk        w = { NULL, 0, 0 };
	uint64_t                now = clock_now();

	raise_deadlines(d, now);
	deliver_gap_alerts(d);
	case_confirm_after_hold(d);
	confirms_give_up(d, now);
	erase_threads(d);
	if (store_case_each(d->store, CASE_ERASING, case_collect, &w) == 0)
		erase_cases(d, &w, "consent withdrawn; erasure confirmed",
		    "consent withdrawn; erased without the partner's receipt", 0);
	w.n = 0;
	if (now > d->cfg.retention_ms && store_case_each_closed(d->store,
	    now - d->cfg.retention_ms, case_collect, &w) == 0)
		erase_cases(d, &w, "retention after closure ended",
		    "retention after closure ended; erased without a partner's "
		    "receipt", 1);
	free(w.v);
	/* Request ids (ctl_request.c) answer a CLI's retry: a week is plenty. */
	if (now > CASE_REQUEST_KEEP_MS)
		store_request_collect(d->store, now - CASE_REQUEST_KEEP_MS);
	case_alert_notify(d);
}
