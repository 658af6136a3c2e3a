/*
 * What one partner takes of the store, for the quotas of [quotas] (the
 * core decides what a breach does), the room data.db has left under its
 * cap, keystore.db's own cap, and a partner's suspension.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store/store_int.h"

static const char sql_use_bytes[] =
    "SELECT COALESCE(SUM(length(evidence)), 0) FROM inbox WHERE sender_rik = ? "
    "AND received_at >= ?";
/* The threads the partner opened: made when its first message came (an
 * inbox row received then), not the ones we opened with it. */
static const char sql_use_threads[] =
    "SELECT COUNT(*) FROM threads t WHERE t.peer_rik = ?1 AND t.created_at >= ?2 "
    "AND EXISTS (SELECT 1 FROM inbox i WHERE i.thread_id = t.thread_id AND "
    "i.received_at = t.created_at)";
static const char sql_use_cases[] =
    "SELECT COUNT(*) FROM cases WHERE opened_by = ? AND opened_at >= ?";
/* The alerts its messages raised (they name one), not those our own
 * clock raises about its cases (deadlines). */
static const char sql_use_alerts[] =
    "SELECT COALESCE(SUM(count), 0) FROM alerts WHERE peer_rik = ? AND "
    "last_at >= ? AND message_id IS NOT NULL";

/* One number from sql, with a key (blob, or text when len is 0) and a
 * time bound. */
static int
use_one(struct store *st, const char *sql, const void *key, size_t len,
    uint64_t since, uint64_t *out)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	if (len > 0)
		sqlite3_bind_blob(s, 1, key, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_err(st, st->data, rc, "quota use");
	}
	sqlite3_reset(s);
	return rc;
}

int
store_peer_use(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const char *opened_by, uint64_t now, uint64_t from, unsigned what,
    struct store_use *u)
{
	uint64_t        day = now > 86400000ull ? now - 86400000ull : 0;
	uint64_t        hour = now > 3600000ull ? now - 3600000ull : 0;
	int             rc = 0;

	memset(u, 0, sizeof(*u));
	day = day > from ? day : from;
	hour = hour > from ? hour : from;
	if ((what & STORE_USE_BYTES) && (rc = use_one(st, sql_use_bytes, rik,
	    ENV1_KEY_LEN, from, &u->bytes)) != 0)
		return rc;
	if ((what & STORE_USE_THREADS) && (rc = use_one(st, sql_use_threads, rik,
	    ENV1_KEY_LEN, day, &u->threads_day)) != 0)
		return rc;
	if ((what & STORE_USE_CASES) && (rc = use_one(st, sql_use_cases, opened_by,
	    0, day, &u->cases_day)) != 0)
		return rc;
	if ((what & STORE_USE_ALERTS) && (rc = use_one(st, sql_use_alerts, rik,
	    ENV1_KEY_LEN, hour, &u->alerts_hour)) != 0)
		return rc;
	return 0;
}

/* A pragma's number on db. */
static uint64_t
pragma_u64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt   *s;
	uint64_t        v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

void
store_data_room(struct store *st, uint64_t *used, uint64_t *max)
{
	uint64_t        page = pragma_u64(st->data, "PRAGMA page_size");
	uint64_t        pages = pragma_u64(st->data, "PRAGMA page_count");
	uint64_t        freep = pragma_u64(st->data, "PRAGMA freelist_count");

	*used = (pages > freep ? pages - freep : 0) * page;
	*max = pragma_u64(st->data, "PRAGMA max_page_count") * page;
}

int
store_set_max_keys_mb(struct store *st, uint64_t mb)
{
	uint64_t        page = pragma_u64(st->keys, "PRAGMA page_size"), pages;
	char            sql[64];

	if (page == 0)
		page = 4096;
	pages = mb == 0 ? 0xfffffffeu : mb * 1024 * 1024 / page;
	if (pages > 0xfffffffeu)
		pages = 0xfffffffeu;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %llu",
	    (unsigned long long)pages);
	return store_exec(st, st->keys, sql, "keystore max_page_count");
}

static const char sql_peer_suspend[] = "UPDATE peers SET suspended = 1 WHERE rik = ?";

int
store_peer_suspend(struct store *st, const uint8_t rik[ENV1_KEY_LEN])
{
	sqlite3_stmt   *s;

	if ((s = store_prep(st, st->data, sql_peer_suspend)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "peer suspend");
}
