/*
 * The alerts table: alerts of the messages (store.h: equivocation, thread
 * order, gaps, with their evidence under the case key when the case has
 * one) and of the procedure (store_case.h: deadlines, urgent ones), the
 * operator's listing, and acknowledging them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

/* Both inserts begin with (at, kind, peer_rik); peer_rik may be NULL. */
static void
alert_bind_head(sqlite3_stmt *s, uint64_t at, const char *kind,
    const uint8_t *peer_rik)
{
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	if (peer_rik != NULL)
		sqlite3_bind_blob(s, 3, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
}

static const char sql_alert_add[] =
    "INSERT INTO alerts (at, kind, peer_rik, message_id, thread_id, detail, evidence) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";

int
store_alert_add(struct store *st, const char *kind, const uint8_t *peer_rik,
    const uint8_t *message_id, const uint8_t *thread_id, const char *detail,
    const uint8_t *evidence, size_t evidence_len, uint64_t at)
{
	sqlite3_stmt   *s;
	uint8_t         row_id[ENV1_ID_LEN], *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	if (evidence != NULL && thread_id != NULL) {
		randombytes_buf(row_id, sizeof(row_id));
		rc = store_seal_col(st, "alerts", "evidence", row_id, thread_id, 0,
		    evidence, evidence_len, &blob, &bloblen);
		if (rc != 0 && rc != -ENOENT && rc != -EBADMSG)
			return rc;
		if (rc != 0) {
			/* No key for that case: keep it as it came (signed,
			 * public header material and ciphertext only). */
			blob = NULL;
		}
	}
	if ((s = store_prep(st, st->data, sql_alert_add)) == NULL) {
		free(blob);
		return -EIO;
	}
	alert_bind_head(s, at, kind, peer_rik);
	if (message_id != NULL)
		sqlite3_bind_blob(s, 4, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	if (thread_id != NULL)
		sqlite3_bind_blob(s, 5, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, detail, -1, SQLITE_STATIC);
	if (blob != NULL)
		sqlite3_bind_blob(s, 7, blob, (int)bloblen, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "alert");
	free(blob);
	return rc;
}

static const char sql_alert_case[] =
    "INSERT INTO alerts (at, kind, peer_rik, message_id, thread_id, detail, "
    "urgent, case_code) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)";

int
store_alert_case(struct store *st, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const char *case_code,
    const char *detail, uint64_t at)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_alert_case)) == NULL)
		return -EIO;
	alert_bind_head(s, at, kind, peer_rik);
	if (thread_id != NULL)
		sqlite3_bind_blob(s, 4, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, urgent);
	sqlite3_bind_text(s, 7, case_code != NULL ? case_code : "", -1, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "alert");
}

static const char sql_alert_each[] =
    "SELECT id, at, kind, urgent, peer_rik, message_id, case_code, detail, "
    "acked_at, acked_by FROM alerts WHERE ?1 OR acked_at = 0 "
    "ORDER BY id DESC LIMIT ?2";

int
store_alert_each(struct store *st, int all, unsigned limit, store_alert_cb cb,
    void *arg)
{
	struct store_alert      a;
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_alert_each)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, all != 0);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		a.at = (uint64_t)sqlite3_column_int64(s, 1);
		store_col_text(s, 2, a.kind, sizeof(a.kind));
		a.urgent = sqlite3_column_int(s, 3);
		if ((a.has_peer = sqlite3_column_bytes(s, 4) == ENV1_KEY_LEN))
			store_col_copy(s, 4, a.peer_rik, ENV1_KEY_LEN);
		if ((a.has_message = sqlite3_column_bytes(s, 5) == ENV1_ID_LEN))
			store_col_copy(s, 5, a.message_id, ENV1_ID_LEN);
		store_col_text(s, 6, a.case_code, sizeof(a.case_code));
		store_col_text(s, 7, a.detail, sizeof(a.detail));
		a.acked_at = (uint64_t)sqlite3_column_int64(s, 8);
		store_col_text(s, 9, a.acked_by, sizeof(a.acked_by));
		if ((rc = cb(&a, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "alerts");
}

static const char sql_alert_ack[] =
    "UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at = 0";

int
store_alert_ack(struct store *st, int64_t id, const char *by, uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_alert_ack)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, id);
	if ((rc = store_exec_stmt(st, st->data, s, "alert ack")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}
