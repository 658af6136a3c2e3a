/*
 * The table of what is in flight to one peer (flight.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/core/flight.h"

void
flight_init(struct flight *f, uint64_t retry_min, uint64_t retry_max,
    uint64_t window_max)
{
	memset(f, 0, sizeof(*f));
	f->retry_min = retry_min > 0 ? retry_min : 1;
	f->retry_max = retry_max > f->retry_min ? retry_max : f->retry_min;
	f->window_max = window_max > FLIGHT_WINDOW_MIN ? window_max : FLIGHT_WINDOW_MIN;
	f->window = FLIGHT_WINDOW_MIN;
}

void
flight_free(struct flight *f)
{
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

void
flight_reset(struct flight *f)
{
	f->n = 0;
	f->unwritten = 0;
	f->written = 0;
	f->unrecorded = 0;
	f->window = FLIGHT_WINDOW_MIN;
	memset(f->rr, 0, sizeof(f->rr));
	f->rr_next = 0;
}

/* The index of rowid, or where it would go. */
static size_t
flight_pos(const struct flight *f, int64_t rowid)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->v[mid].rowid < rowid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct flight_ent *
flight_find(struct flight *f, int64_t rowid)
{
	size_t i = flight_pos(f, rowid);

	return i < f->n && f->v[i].rowid == rowid ? &f->v[i] : NULL;
}

struct flight_ent *
flight_sent(struct flight *f, int64_t rowid, const uint8_t id[ENV1_ID_LEN],
    size_t len, uint64_t mark)
{
	size_t                  i = flight_pos(f, rowid);
	struct flight_ent      *e;

	if (i == f->n || f->v[i].rowid != rowid) {
		if (f->n == f->cap) {
			size_t ncap = f->cap ? f->cap * 2 : 64;
			struct flight_ent *nv = realloc(f->v, ncap * sizeof(*nv));

			if (nv == NULL)
				return NULL;
			f->v = nv;
			f->cap = ncap;
		}
		/* Mostly appended: rows go out in insertion order. */
		memmove(&f->v[i + 1], &f->v[i], (f->n - i) * sizeof(*f->v));
		f->n++;
		e = &f->v[i];
		memset(e, 0, sizeof(*e));
		e->rowid = rowid;
		memcpy(e->id, id, ENV1_ID_LEN);
	} else {
		e = &f->v[i];
	}
	if (e->copies == 0 || e->written_at != 0)
		f->unwritten++;
	e->len = (uint32_t)len;
	e->copies++;
	e->mark = mark;
	e->written_at = 0;
	e->due_at = 0;
	e->recorded = 0;
	f->copies++;
	f->bytes += len;
	return e;
}

/* The delay after the n-th copy was written: from the measured round trip
 * (twice srtt + 4 rttvar, so that the jitter's lower half still waits for
 * a receipt as late as the slow ones seen) or retry_min, doubling with
 * each copy, capped, times a uniform jitter in [1/2, 1]. */
static uint64_t
flight_delay(const struct flight *f, uint32_t copies)
{
	uint64_t        base = f->retry_min, cap = f->retry_max;
	unsigned        shift = (copies > 0 ? copies - 1 : 0) + f->backoff;

	if (f->srtt > 0 && 2 * (f->srtt + 4 * f->rttvar) > base)
		base = 2 * (f->srtt + 4 * f->rttvar);
	if (cap < base)
		cap = base;
	if (shift > 20)
		shift = 20;
	base <<= shift;
	if (base > cap)
		base = cap;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2 + 1));
}

size_t
flight_written(struct flight *f, uint64_t written, uint64_t now)
{
	size_t changed = 0;

	f->written = written;
	if (f->unwritten == 0)
		return 0;
	for (size_t i = 0; i < f->n; i++) {
		struct flight_ent *e = &f->v[i];

		if (e->written_at != 0 || e->mark > written)
			continue;
		e->written_at = now > 0 ? now : 1;
		e->due_at = e->written_at + flight_delay(f, e->copies);
		f->unwritten--;
		changed++;
	}
	if (changed > 0)
		f->unrecorded = 1;
	return changed;
}

int
flight_acked(struct flight *f, int64_t rowid, uint64_t now)
{
	size_t          i = flight_pos(f, rowid);
	struct flight_ent *e;

	if (i == f->n || f->v[i].rowid != rowid)
		return -ENOENT;
	e = &f->v[i];
	if (e->written_at == 0)
		f->unwritten--;
	/* Karn: a message sent more than once gives no sample. */
	if (e->copies == 1 && e->written_at != 0 && now >= e->written_at) {
		uint64_t rtt = now - e->written_at, dev;

		if (rtt == 0)
			rtt = 1;
		if (f->srtt == 0) {
			f->srtt = rtt;
			f->rttvar = rtt / 2;
		} else {
			dev = rtt > f->srtt ? rtt - f->srtt : f->srtt - rtt;
			f->rttvar = (3 * f->rttvar + dev) / 4;
			f->srtt = (7 * f->srtt + rtt) / 8;
		}
		f->backoff = 0;
		f->window += e->len;
		if (f->window > f->window_max)
			f->window = f->window_max;
	}
	memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
	f->n--;
	return 0;
}

uint64_t
flight_bytes(const struct flight *f, uint64_t now)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].written_at == 0 || f->v[i].due_at > now)
			sum += f->v[i].len;
	return sum;
}

int
flight_room(const struct flight *f, size_t len, uint64_t now)
{
	uint64_t used = flight_bytes(f, now);

	/* One message always fits, however large: nothing else is out. */
	return used == 0 || used + len <= f->window;
}

void
flight_timeout(struct flight *f)
{
	f->timeouts++;
	if (f->backoff < 8)
		f->backoff++;
	f->window /= 2;
	if (f->window < FLIGHT_WINDOW_MIN)
		f->window = FLIGHT_WINDOW_MIN;
}

static struct flight_rr *
rr_find(struct flight *f, const uint8_t id[ENV1_ID_LEN])
{
	for (unsigned i = 0; i < FLIGHT_RR; i++)
		if (f->rr[i].at != 0 && memcmp(f->rr[i].id, id, ENV1_ID_LEN) == 0)
			return &f->rr[i];
	return NULL;
}

static struct flight_rr *
rr_new(struct flight *f, const uint8_t id[ENV1_ID_LEN])
{
	struct flight_rr *r = &f->rr[f->rr_next];

	f->rr_next = (f->rr_next + 1) % FLIGHT_RR;
	memcpy(r->id, id, ENV1_ID_LEN);
	return r;
}

int
flight_rr_allow(struct flight *f, const uint8_t id[ENV1_ID_LEN], uint64_t now)
{
	struct flight_rr *r = rr_find(f, id);

	if (r == NULL) {
		r = rr_new(f, id);
		r->copies = 0;
	} else if (r->copies >= 2) {
		if (r->mark == UINT64_MAX || r->mark > f->written)
			return 0;       /* the last copy is still queued */
		if (now < r->at + FLIGHT_RERECEIPT_MS)
			return 0;
	}
	/* Counted now: duplicates in one batch ask before any is sent. */
	r->at = now > 0 ? now : 1;
	r->mark = UINT64_MAX;
	r->copies++;
	return 1;
}

void
flight_rr_sent(struct flight *f, const uint8_t id[ENV1_ID_LEN], uint64_t now,
    uint64_t mark)
{
	struct flight_rr *r = rr_find(f, id);

	if (r == NULL) {
		r = rr_new(f, id);
		r->copies = 0;
	}
	if (r->mark != UINT64_MAX || r->copies == 0)
		r->copies++;    /* not counted by flight_rr_allow */
	r->at = now > 0 ? now : 1;
	r->mark = mark;
}
