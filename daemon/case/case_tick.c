/*
 * The procedure's clock (case.h): a timer raises deadline alerts, erases
 * closed cases after retention, and cases whose withdrawal we confirmed.
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
