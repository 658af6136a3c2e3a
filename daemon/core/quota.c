/*
 * What one partner may make us store (homewardd.conf(5) [quotas], the
 * reserve of [daemon]): asked for each opened envelope before anything is
 * written for it, in the inbound transaction.  Above max_data_mb less the
 * reserve nothing new from any partner is stored (nor refused: the senders
 * retransmit), so the operator's work and the audit log still have room.
 * A partner over one of its own quotas is suspended, once, with one urgent
 * alert naming it and the quota: a pinned partner turned hostile (or
 * broken) can fill neither the disk nor the alert pager, and the others'
 * messages keep flowing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"
#include "daemon/store/audit.h"
#include "daemon/store/store_case.h"

#define QUOTA_ACTOR     "homewardd"
#define QUOTA_CACHE     64

/* What each partner's ledger rows take, counted once from the store and
 * then kept up as rows are added: summing them for every envelope would
 * cost a scan of the partner's whole ledger each time.  Keyed by RIK and
 * quota_from (a resumed partner counts afresh); forgotten when a batch
 * is rolled back (quota_forget), since what was added then is gone. */
static struct quota_bytes {
	uint8_t         rik[ENV1_KEY_LEN];
	uint64_t        from;
	uint64_t        bytes;
	int             used;
}                       cache[QUOTA_CACHE];
static size_t           cache_next;

static struct quota_bytes *
cache_find(const struct peer *p)
{
	for (size_t i = 0; i < QUOTA_CACHE; i++)
		if (cache[i].used && cache[i].from == p->rec.quota_from &&
		    memcmp(cache[i].rik, p->rec.rik, ENV1_KEY_LEN) == 0)
			return &cache[i];
	return NULL;
}

void
quota_forget(void)
{
	memset(cache, 0, sizeof(cache));
}

void
quota_stored(const struct peer *p, size_t len)
{
	struct quota_bytes *c = p != NULL ? cache_find(p) : NULL;

	if (c != NULL)
		c->bytes += len;
}

/* The bytes of p's ledger rows: cached, or counted now. */
static int
quota_bytes(struct daemon *d, const struct peer *p, uint64_t *bytes)
{
	struct quota_bytes     *c;
	struct store_use        u;
	int                     rc;

	if ((c = cache_find(p)) == NULL) {
		if ((rc = store_peer_use(d->store, p->rec.rik, "", clock_now(),
		    p->rec.quota_from, STORE_USE_BYTES, &u)) != 0)
			return rc;
		c = &cache[cache_next++ % QUOTA_CACHE];
		memcpy(c->rik, p->rec.rik, ENV1_KEY_LEN);
		c->from = p->rec.quota_from;
		c->bytes = u.bytes;
		c->used = 1;
	}
	*bytes = c->bytes;
	return 0;
}

/* data.db has room for len more bytes above the reserve. */
static int
quota_room(struct daemon *d, size_t len)
{
	uint64_t        used, max, reserve = d->cfg.reserve_kb * 1024;

	if (d->cfg.max_data_mb == 0)
		return 1;
	store_data_room(d->store, &used, &max);
	return max > reserve && used + len <= max - reserve;
}

/* p breached quota key (its limit): suspended, in the open transaction,
 * with its urgent alert and audit entry. */
static int
quota_breach(struct daemon *d, struct peer *p, const char *key, uint64_t limit)
{
	char            detail[600];
	uint64_t        now = clock_now();
	int             rc;

	snprintf(detail, sizeof(detail), "peer %.64s suspended: it reached its "
	    "quota %s = %llu ([quotas] of homewardd.conf); nothing more from it "
	    "is stored (it keeps what it sent and resends it once resumed). "
	    "Call %.64s to learn why, then `homeward peers resume %.64s`, or "
	    "raise %s", p->rec.agency_id, key, (unsigned long long)limit,
	    p->rec.agency_id, p->rec.agency_id, key);
	if ((rc = store_peer_suspend(d->store, p->rec.rik)) != 0 ||
	    (rc = store_alert_case(d->store, "quota", 1, p->rec.rik, NULL, "",
	    detail, now)) != 0 ||
	    (rc = audit_append(d->store, QUOTA_ACTOR, AUDIT_PEER_QUOTA, NULL, NULL,
	    detail, now)) != 0)
		return rc;
	p->rec.suspended = 1;
	log_warnx("URGENT alert quota: %s", detail);
	d->case_due = 1;        /* the alert_command runs */
	daemon_wake(d);
	return 0;
}

int
quota_admit(struct daemon *d, struct peer *p, const struct env1_opened *o,
    size_t len, enum quota_verdict *v)
{
	struct store_thread     t;
	struct store_use        u;
	char                    by[80];
	unsigned                what = 0;
	uint64_t                bytes = 0;
	int                     rc, is_receipt;

	*v = QUOTA_ADMIT;
	/* A receipt for one of ours is small and proves a delivery: it is
	 * bounded by our own outbox, not by the partner. */
	if (!(is_receipt = o->tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT)) {
		if (!quota_room(d, len)) {
			*v = QUOTA_FULL;
			return 0;
		}
		if (d->cfg.quota_peer_kb != 0 && (rc = quota_bytes(d, p, &bytes)) != 0)
			return rc;
	}
	rc = store_thread_get(d->store, o->tbs.thread_id, &t);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	/* Only what a quota is set for is counted: each count is a query. */
	if (d->cfg.quota_alerts_hour != 0)
		what |= STORE_USE_ALERTS;
	if (rc == -ENOENT && d->cfg.quota_threads_day != 0)
		what |= STORE_USE_THREADS;
	if (rc == -ENOENT && d->cfg.quota_cases_day != 0 &&
	    o->tbs.msg_type == ENV1_MSG_ASSISTANCE_REQUEST)
		what |= STORE_USE_CASES;
	snprintf(by, sizeof(by), "peer %.58s", p->rec.agency_id);
	if ((rc = store_peer_use(d->store, p->rec.rik, by, clock_now(),
	    p->rec.quota_from, what, &u)) != 0)
		return rc;
	*v = QUOTA_BREACH;
	if (!is_receipt && d->cfg.quota_peer_kb != 0 &&
	    bytes + len > d->cfg.quota_peer_kb * 1024)
		return quota_breach(d, p, "peer_kb", d->cfg.quota_peer_kb);
	if ((what & STORE_USE_THREADS) && d->cfg.quota_threads_day != 0 &&
	    u.threads_day >= d->cfg.quota_threads_day)
		return quota_breach(d, p, "new_threads_per_day",
		    d->cfg.quota_threads_day);
	if ((what & STORE_USE_CASES) && d->cfg.quota_cases_day != 0 &&
	    u.cases_day >= d->cfg.quota_cases_day)
		return quota_breach(d, p, "new_cases_per_day", d->cfg.quota_cases_day);
	if ((what & STORE_USE_ALERTS) && u.alerts_hour >= d->cfg.quota_alerts_hour)
		return quota_breach(d, p, "alerts_per_hour", d->cfg.quota_alerts_hour);
	*v = QUOTA_ADMIT;
	return 0;
}
