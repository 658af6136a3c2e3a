/*
 * The sending pace (PROTOCOL.md 9.4): what of the outbox goes on a peer's
 * link, when, and how much at a time.  On a new link every unacknowledged
 * message goes once, in row order (the flush, which new documents join
 * at the back); a message is sent again only after its last copy was
 * written out and its delay, counted from that moment, passed without a
 * receipt; and the bytes in flight stay under the window (flight.h).  A
 * slow link therefore carries each message about once, and the local
 * queue never holds two copies of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"

/* Envelope bytes of a message whose body is body_len (section 5). */
static size_t
env_len_of(const struct store_out *m)
{
	return ENV1_OVERHEAD + (size_t)m->body_len;
}

/* Hand one copy of outbox row m to p's link and note it in flight.
 * 0, -ENOBUFS / -ENOTCONN (stop sending), or a store error for this row
 * (unreadable: logged by the store, skipped). */
static int
send_copy(struct daemon *d, struct peer *p, const struct store_out *m)
{
	struct flight_ent      *e;
	uint8_t                *env;
	size_t                  len;
	int                     rc;

	if ((rc = store_out_envelope(d->store, m, &env, &len)) != 0)
		return rc == -ENOBUFS || rc == -ENOTCONN ? -EIO : rc;
	rc = peer_send_envelope(p, env, len);
	free(env);
	if (rc != 0)
		return rc;
	/* Out of memory: sent once, untracked; the next link sends it again. */
	if ((e = flight_sent(&p->fl, m->rowid, m->message_id, len,
	    peer_send_mark(p))) != NULL)
		log_debug("peer %s: message %s copy %u queued (%zu bytes)",
		    p->rec.agency_id, log_hex(m->message_id, ENV1_ID_LEN),
		    e->copies, len);
	return 0;
}

struct page {
	struct store_out *v;
	size_t          n, cap;
};

static int
page_collect(const struct store_out *m, void *arg)
{
	struct page *pg = arg;

	if (pg->n == pg->cap) {
		size_t ncap = pg->cap ? pg->cap * 2 : 64;
		struct store_out *nv = realloc(pg->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return 1;
		pg->v = nv;
		pg->cap = ncap;
	}
	pg->v[pg->n++] = *m;
	return 0;
}

/*
 * The flush: the next page of p's unacknowledged rows past flush_cursor
 * that have not gone on this link, in row order (per thread: position
 * order), while the window has room.  Stops at a full window
 * (window_full: a receipt or the timer reopens it) or a full queue
 * (blocked: on_drain).  Returns the number sent.
 */
size_t
deliver_flush_page(struct daemon *d, struct peer *p)
{
	struct page     pg = { NULL, 0, 0 };
	uint64_t        now = clock_now();
	int64_t         cursor = p->flush_cursor;
	size_t          sent = 0, i;
	int             rc;

	rc = store_out_each_unacked(d->store, p->rec.rik, 0, &cursor,
	    DAEMON_FLUSH_PAGE, page_collect, &pg);
	if (rc != 0) {
		free(pg.v);
		return 0;
	}
	for (i = 0; i < pg.n; i++) {
		const struct store_out *m = &pg.v[i];

		if (flight_find(&p->fl, m->rowid) == NULL) {
			if (!flight_room(&p->fl, env_len_of(m), now)) {
				p->window_full = 1;
				break;
			}
			rc = send_copy(d, p, m);
			if (rc == -ENOBUFS || rc == -ENOTCONN)
				break;
			if (rc == 0)
				sent++;
		}
		p->flush_cursor = m->rowid;
	}
	if (i == pg.n && pg.n < DAEMON_FLUSH_PAGE)
		p->flushing = 0;
	free(pg.v);
	return sent;
}

struct thread_walk {
	struct daemon  *d;
	struct peer    *p;
	int             rc;
};

static int
thread_walk_cb(int64_t rowid, const uint8_t id[ENV1_ID_LEN], void *arg)
{
	struct thread_walk     *w = arg;
	struct store_out        m;

	if (flight_find(&w->p->fl, rowid) != NULL)
		return 0;
	if ((w->rc = store_out_get(w->d->store, id, &m)) != 0)
		return -1;
	w->rc = send_copy(w->d, w->p, &m);
	return w->rc == -ENOBUFS || w->rc == -ENOTCONN ? -1 : 0;
}

/* Before a receipt of ours in thread_id goes: the thread's earlier
 * positions that have not gone on this link (the flush is behind), over
 * the window if need be, since the receipt may not wait for it.  0 when
 * the receipt may follow. */
int
deliver_thread_first(struct daemon *d, struct peer *p,
    const uint8_t thread_id[ENV1_ID_LEN])
{
	struct thread_walk w = { d, p, 0 };
	int rc;

	rc = store_out_thread_unacked(d->store, p->rec.rik, thread_id,
	    p->flush_cursor, thread_walk_cb, &w);
	if (w.rc == -ENOBUFS || w.rc == -ENOTCONN)
		return w.rc;
	return rc == 0 || rc == -1 ? 0 : rc;
}

/*
 * The timer: every message on p's link whose last copy was written out
 * and whose delay passed is sent again (a timeout: the window halves),
 * oldest row first, as the window allows.  A row no longer unacknowledged
 * (acknowledged meanwhile, erased) leaves the table.
 */
void
deliver_retransmit(struct daemon *d, struct peer *p)
{
	uint64_t        now = clock_now();
	int64_t        *due = NULL;
	size_t          ndue = 0, sent = 0;

	for (size_t i = 0; i < p->fl.n; i++)
		if (p->fl.v[i].written_at != 0 && p->fl.v[i].due_at <= now)
			ndue++;
	if (ndue == 0 || (due = calloc(ndue, sizeof(*due))) == NULL)
		return;
	ndue = 0;
	for (size_t i = 0; i < p->fl.n; i++)
		if (p->fl.v[i].written_at != 0 && p->fl.v[i].due_at <= now)
			due[ndue++] = p->fl.v[i].rowid;
	flight_timeout(&p->fl);
	for (size_t k = 0; k < ndue; k++) {
		struct flight_ent      *e = flight_find(&p->fl, due[k]);
		struct store_out        m;
		uint8_t                 id[ENV1_ID_LEN];
		int                     rc;

		if (e == NULL)
			continue;
		memcpy(id, e->id, ENV1_ID_LEN);
		if (!flight_room(&p->fl, e->len, now)) {
			p->window_full = 1;
			break;
		}
		if (store_out_get(d->store, id, &m) != 0 || m.state != OUT_SEALED) {
			flight_acked(&p->fl, due[k], 0);
			continue;
		}
		rc = send_copy(d, p, &m);
		if (rc == -ENOBUFS || rc == -ENOTCONN)
			break;
		if (rc == 0)
			sent++;
	}
	free(due);
	if (sent > 0)
		log_info("peer %s: %zu message(s) retransmitted", p->rec.agency_id, sent);
}

/* The copies written out since the last call, into the outbox (attempts,
 * sent_at, next_attempt_at), in one transaction for all peers. */
void
deliver_record_written(struct daemon *d)
{
	int rc = 0, any = 0;

	for (size_t i = 0; i < d->npeers && !any; i++)
		any = d->peers[i]->fl.unrecorded;
	if (!any || store_begin(d->store) != 0)
		return;
	for (size_t i = 0; i < d->npeers && rc == 0; i++) {
		struct flight *f = &d->peers[i]->fl;

		for (size_t k = 0; k < f->n && rc == 0; k++) {
			struct flight_ent *e = &f->v[k];

			if (e->written_at == 0 || e->recorded)
				continue;
			rc = store_out_transmitted(d->store, e->id, e->written_at,
			    e->due_at);
			if (rc == -ENOENT)
				rc = 0;
			e->recorded = 1;
		}
		f->unrecorded = 0;
	}
	if (rc == 0)
		rc = store_commit(d->store);
	else
		store_rollback(d->store);
	if (rc != 0)
		log_warnx("transmissions not recorded (%s); the outbox shows "
		    "fewer attempts", strerror(-rc));
}

/* The receipt for acked (a row of p's) committed: it leaves the flight,
 * and the window may have room again. */
void
deliver_acked(struct peer *p, const struct store_out *acked)
{
	if (flight_acked(&p->fl, acked->rowid, clock_now()) == 0)
		p->window_full = 0;
}

/* What this link was sent may not count (an inbound batch rolled back
 * after receipts took rows out of the flight): walk the outbox again; the
 * rows still in flight are skipped. */
void
deliver_rewalk(struct peer *p)
{
	p->flush_cursor = 0;
	p->flushing = 1;
	p->window_full = 0;
}

void
deliver_peer_up(struct daemon *d, struct peer *p)
{
	flight_reset(&p->fl);
	p->flushing = 1;
	p->flush_cursor = 0;
	p->window_full = 0;
	p->seal_pending = 1;
	daemon_wake(d);
}
