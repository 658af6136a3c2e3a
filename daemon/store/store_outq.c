/*
 * Outbox queries of the sending pace (core/flight.h, deliver_out.c): the
 * unacknowledged messages of one thread past a row, so that a receipt of
 * ours never overtakes an earlier position of its thread that has not
 * gone out on the current connection yet (PROTOCOL.md 9.4).
 */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/store/store.h"
#include "daemon/store/store_int.h"

static const char sql_out_thread_unacked[] =
    "SELECT id, message_id FROM outbox WHERE peer_rik = ? AND thread_id = ? "
    "AND state = 1 AND id > ? ORDER BY id";

int
store_out_thread_unacked(struct store *st, const uint8_t peer_rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], int64_t after, store_outq_cb cb,
    void *arg)
{
	sqlite3_stmt   *s;
	uint8_t         id[ENV1_ID_LEN];
	int             rc, crc = 0;

	if ((s = store_prep(st, st->data, sql_out_thread_unacked)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != ENV1_ID_LEN)
			continue;
		memcpy(id, sqlite3_column_blob(s, 1), ENV1_ID_LEN);
		if ((crc = cb(sqlite3_column_int64(s, 0), id, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "outbox thread");
	sqlite3_reset(s);
	return crc < 0 ? crc : 0;
}
