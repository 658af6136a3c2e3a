/*
 * A case's messages that no receipt has confirmed, for erasure (store_case.h):
 * erasure waits for their receipts, but not forever (case_tick.c): how
 * long each partner has kept it waiting, and, once the wait is over,
 * dropping them with the case.  Calls only store_sql.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

#define UNACKED_WHERE \
    "state IN (0, 1) AND thread_id IN " \
    "(SELECT thread_id FROM case_threads WHERE case_id = ?)"

static const char sql_unacked_peers[] =
    "SELECT peer_rik, count(*), max(created_at) FROM outbox WHERE "
    UNACKED_WHERE " GROUP BY peer_rik ORDER BY peer_rik";

int
store_case_unacked_peers(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    struct store_unacked **out, size_t *count)
{
	struct store_unacked   *v = NULL, *grown;
	sqlite3_stmt           *s;
	size_t                  n = 0, cap = 0;
	int                     rc;

	*out = NULL;
	*count = 0;
	if ((s = store_prep(st, st->data, sql_unacked_peers)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 2;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_reset(s);
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		store_col_copy(s, 0, v[n].peer_rik, ENV1_KEY_LEN);
		v[n].count = (uint64_t)sqlite3_column_int64(s, 1);
		v[n++].newest_at = (uint64_t)sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(st, st->data, rc, "case unacked peers");
	}
	*out = v;
	*count = n;
	return 0;
}

static const char sql_unacked_drop[] =
    "DELETE FROM outbox WHERE " UNACKED_WHERE;

int
store_case_unacked_drop(struct store *st, const uint8_t case_id[ENV1_ID_LEN])
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_unacked_drop)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "drop unacked");
}

static const char sql_thread_unacked[] =
    "SELECT count(*), coalesce(max(created_at), 0) FROM outbox WHERE "
    "state IN (0, 1) AND thread_id = ? AND msg_type = ?";

int
store_thread_unacked(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint64_t *count, uint64_t *newest_at)
{
	sqlite3_stmt   *s;
	int             rc;

	*count = *newest_at = 0;
	if ((s = store_prep(st, st->data, sql_thread_unacked)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, msg_type);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*count = (uint64_t)sqlite3_column_int64(s, 0);
		*newest_at = (uint64_t)sqlite3_column_int64(s, 1);
		rc = 0;
	} else
		rc = store_err(st, st->data, rc, "thread unacked");
	sqlite3_reset(s);
	return rc;
}

static const char sql_thread_unacked_drop[] =
    "DELETE FROM outbox WHERE state IN (0, 1) AND thread_id = ?";

int
store_thread_unacked_drop(struct store *st, const uint8_t thread_id[ENV1_ID_LEN])
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_thread_unacked_drop)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "drop thread unacked");
}
