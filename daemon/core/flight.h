/*
 * What is in flight to one peer on its live connection (PROTOCOL.md 9.4):
 * every outbox message sent on it and not yet acknowledged, with where its
 * last copy stands (still in our queue, or written out and when), so that
 *
 *   - a message is never queued twice: a copy is sent again only after the
 *     previous one was written out (libuv's write completion), and only
 *     once its delay, counted from that moment, has passed;
 *   - the bytes sent and not yet acknowledged (and not yet presumed lost)
 *     stay under a window that starts small, grows with each timely
 *     receipt up to the configured cap, and halves on a timeout;
 *   - the delay follows the measured round trip (receipt time minus write
 *     time of a message sent once), never below retry_min_ms; a timeout
 *     doubles it for new messages too until a sample comes (Karn: when
 *     one envelope takes longer than the first delay to cross the line,
 *     every one would otherwise go twice and no sample would ever come);
 *   - a receipt we re-send for duplicates: its second copy at once (a
 *     peer's retransmission), later ones at most once per
 *     FLIGHT_RERECEIPT_MS and never while the last copy is still queued.
 *
 * A plain table owned by struct peer: it calls nothing in the daemon.  It
 * is emptied when the peer's connection changes (a new connection resends
 * everything unacknowledged in order).
 */
#ifndef HOMEWARD_DAEMON_CORE_FLIGHT_H
#define HOMEWARD_DAEMON_CORE_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"

#define FLIGHT_WINDOW_MIN       (16u << 10)     /* the window never shrinks below */
#define FLIGHT_RERECEIPT_MS     1000            /* one re-sent receipt per id per */
#define FLIGHT_RR               64              /* receipt ids remembered */

/* One message sent on the connection and not acknowledged. */
struct flight_ent {
	int64_t         rowid;                  /* its outbox row */
	uint8_t         id[ENV1_ID_LEN];
	uint32_t        len;                    /* envelope bytes */
	uint32_t        copies;                 /* handed to the connection */
	uint64_t        mark;                   /* conn_flushed() after the last copy */
	uint64_t        written_at;             /* 0: the last copy is still queued */
	uint64_t        due_at;                 /* written_at + delay */
	int             recorded;               /* the store has this transmission */
};

/* A receipt of ours sent recently (for the duplicate rate limit). */
struct flight_rr {
	uint8_t         id[ENV1_ID_LEN];        /* the receipt's message id */
	uint64_t        at;
	uint64_t        mark;                   /* UINT64_MAX: not handed over yet */
	unsigned        copies;                 /* sent on this link */
};

struct flight {
	struct flight_ent *v;                   /* sorted by rowid */
	size_t          n, cap;
	size_t          unwritten;              /* entries whose copy is queued */
	uint64_t        written;                /* the connection's written bytes */
	uint64_t        retry_min, retry_max;   /* ms, from the configuration */
	uint64_t        window_max;             /* bytes, from the configuration */
	uint64_t        window;                 /* bytes now */
	uint64_t        srtt, rttvar;           /* ms; srtt 0: no sample yet */
	unsigned        backoff;                /* timeouts since the last sample */
	int             unrecorded;             /* written copies the store lacks */
	struct flight_rr rr[FLIGHT_RR];
	unsigned        rr_next;
	/* Counters since the daemon started (log and status). */
	uint64_t        copies, bytes, timeouts;
};

/* Settings (retry_min_ms, retry_max_ms, the window cap in bytes); the
 * table starts empty.  flight_free releases it. */
void flight_init(struct flight *, uint64_t retry_min, uint64_t retry_max,
    uint64_t window_max);
void flight_free(struct flight *);
/* A new connection: forget every entry and the receipts sent; keep the
 * round-trip estimate, restart the window. */
void flight_reset(struct flight *);

struct flight_ent *flight_find(struct flight *, int64_t rowid);
/* A copy of row (id, len) was handed over; mark is conn_flushed() after
 * it.  The entry (new or updated), or NULL when out of memory. */
struct flight_ent *flight_sent(struct flight *, int64_t rowid,
    const uint8_t id[ENV1_ID_LEN], size_t len, uint64_t mark);
/* The connection wrote its first `written` bytes by now: the copies they
 * hold are out, their delay starts.  The number of entries that changed. */
size_t flight_written(struct flight *, uint64_t written, uint64_t now);
/* Its receipt arrived: the entry goes; a message sent once gives a round
 * trip sample and grows the window.  0, or -ENOENT when not in flight. */
int flight_acked(struct flight *, int64_t rowid, uint64_t now);
/* The bytes that count against the window at now: copies queued, and
 * copies written whose delay has not passed. */
uint64_t flight_bytes(const struct flight *, uint64_t now);
/* Whether len more bytes may be sent now. */
int flight_room(const struct flight *, size_t len, uint64_t now);
/* An entry is due again (its delay passed): a timeout, the window halves. */
void flight_timeout(struct flight *);

/* Duplicates: whether the stored receipt id may be re-sent now (and it is
 * noted as pending if so); flight_rr_sent records a receipt handed over. */
int flight_rr_allow(struct flight *, const uint8_t id[ENV1_ID_LEN], uint64_t now);
void flight_rr_sent(struct flight *, const uint8_t id[ENV1_ID_LEN], uint64_t now,
    uint64_t mark);

#endif
