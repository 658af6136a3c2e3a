/*
 * The erasure journal replayed (store_backup.h): every case and thread
 * its records name is erased again where the databases still hold it,
 * at every start and after a restore.  A restored backup, or an old copy
 * of the state directory put back, thus never brings back a case erased
 * since.  Each step checks first and does only what is missing, so a
 * replay is idempotent and, when nothing is missing, reads only.
 *
 * Calls audit.c (what was erased again is audited) and the store_*.c
 * files below it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon/base/log.h"
#include "daemon/store/audit.h"
#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

#define REPLAY_ACTOR    "homewardd"
#define REPLAY_REASON   "erased again from the erasure journal"

struct replay {
	struct store   *st;
	uint64_t        now;
	unsigned        applied;
};

/* What a failed erasure would have left: the case's unreceipted
 * messages (their keys are going), then the case erased whole. */
static int
replay_case(struct replay *rp, const struct store_erasure *e)
{
	struct store   *st = rp->st;
	struct store_case c;
	int             rc;

	if ((rc = store_case_get_id(st, e->case_id, &c)) == -ENOENT) {
		/* The copy predates the case: at most a stray key is left. */
		if ((rc = store_key_present(st, e->case_id)) <= 0)
			return rc;
		rp->applied++;
		return store_key_shred(st, e->case_id, REPLAY_ACTOR,
		    REPLAY_REASON, rp->now);
	}
	if (rc != 0)
		return rc;
	if (c.state == CASE_ERASED &&
	    (rc = store_case_keys_left(st, e->case_id)) <= 0)
		return rc;
	if ((rc = store_begin(st)) != 0)
		return rc;
	if ((rc = store_case_unacked_drop(st, e->case_id)) != 0) {
		store_rollback(st);
		return rc;
	}
	if ((rc = store_commit(st)) != 0 ||
	    (rc = store_case_erase(st, e->case_id, REPLAY_ACTOR, REPLAY_REASON,
	    rp->now)) != 0)
		return rc;
	rp->applied++;
	log_warnx("case %s erased again: the erasure journal says it was "
	    "erased", c.code);
	if (audit_append(st, REPLAY_ACTOR, AUDIT_ERASE, c.code, NULL,
	    REPLAY_REASON, rp->now) == 0)
		audit_anchor_sync(st);
	return 0;
}

/* One thread's key, and its row marked as erase_thread leaves it. */
static int
replay_thread(struct replay *rp, const struct store_erasure *e)
{
	struct store           *st = rp->st;
	struct store_case_thread ct;
	int                     rc, again = 0;

	if ((rc = store_key_present(st, e->thread_id)) < 0)
		return rc;
	if (rc == 1) {
		if ((rc = store_key_shred(st, e->thread_id, REPLAY_ACTOR,
		    REPLAY_REASON, rp->now)) != 0)
			return rc;
		again = 1;
	}
	if ((rc = store_ct_get(st, e->thread_id, &ct)) == -ENOENT)
		rc = 0;
	else if (rc == 0 && (ct.alerted & CT_ERASED) == 0) {
		ct.alerted |= CT_ERASE_DUE | CT_ERASED;
		if ((rc = store_begin(st)) != 0)
			return rc;
		if ((rc = store_thread_unacked_drop(st, e->thread_id)) != 0 ||
		    (rc = store_ct_put(st, &ct)) != 0) {
			store_rollback(st);
			return rc;
		}
		rc = store_commit(st);
		again = 1;
	}
	if (rc == 0 && again) {
		rp->applied++;
		log_warnx("a thread of a case erased again: the erasure journal "
		    "says it was erased");
	}
	return rc;
}

static int
replay_one(const struct store_erasure *e, void *arg)
{
	struct replay *rp = arg;

	return e->kind == STORE_ERASURE_CASE ? replay_case(rp, e) :
	    replay_thread(rp, e);
}

int
store_erasures_replay(struct store *st, uint64_t now, unsigned *applied)
{
	struct replay   rp;
	unsigned        bad = 0;
	int             rc;

	*applied = 0;
	if (st->journal_fd < 0)
		return -EBADF;
	memset(&rp, 0, sizeof(rp));
	rp.st = st;
	rp.now = now;
	st->journal_quiet = 1;
	rc = store_journal_read_fd(st->journal_fd, replay_one, &rp, &bad);
	st->journal_quiet = 0;
	if (bad > 0)
		log_warnx("store: %u damaged record(s) of the erasure journal "
		    "skipped", bad);
	*applied = rp.applied;
	return rc;
}
