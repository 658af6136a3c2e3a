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
    "INSERT INTO alerts (at, kind, peer_rik, message_id, thread_id, detail, evidence, "
    "notify, last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?1)";

/* Alerts of one kind from one peer about one case (or none), not urgent,
 * while the first is unacknowledged and younger than this, are counted
 * in it: a flood from a partner is one line and one page, not hundreds. */
#define ALERT_AGGREGATE_MS      (3600ull * 1000)

static const char sql_alert_aggregate[] =
    "UPDATE alerts SET count = count + 1, last_at = ?1, detail = ?2, "
    "message_id = COALESCE(?7, message_id) WHERE id = "
    "(SELECT id FROM alerts WHERE kind = ?3 AND peer_rik IS ?4 AND "
    "case_code = ?5 AND urgent = 0 AND acked_at = 0 AND at >= ?6 "
    "ORDER BY id DESC LIMIT 1)";

/* 1 when counted into an earlier alert, 0 when a new row is needed.
 * message_id (may be NULL): the newest message the row speaks of, as its
 * detail does now. */
static int
alert_aggregate(struct store *st, const char *kind, const uint8_t *peer_rik,
    const uint8_t *message_id, const char *case_code, const char *detail,
    uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_alert_aggregate)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_text(s, 2, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (peer_rik != NULL)
		sqlite3_bind_blob(s, 4, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, case_code != NULL ? case_code : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)(at > ALERT_AGGREGATE_MS ?
	    at - ALERT_AGGREGATE_MS : 0));
	if (message_id != NULL)
		sqlite3_bind_blob(s, 7, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "alert aggregate")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0;
}

int
store_alert_add(struct store *st, const char *kind, const uint8_t *peer_rik,
    const uint8_t *message_id, const uint8_t *thread_id, const char *detail,
    const uint8_t *evidence, size_t evidence_len, uint64_t at)
{
	sqlite3_stmt   *s;
	uint8_t         row_id[ENV1_ID_LEN], *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	/* An alert about one message (an equivocation, a gap) stands alone:
	 * its evidence and its message id are what it is. */
	if (message_id == NULL &&
	    (rc = alert_aggregate(st, kind, peer_rik, NULL, NULL, detail, at)) != 0)
		return rc < 0 ? rc : 0;
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
    "urgent, case_code, notify, last_at) VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7, "
    "0, ?1)";

int
store_alert_case(struct store *st, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const char *case_code,
    const char *detail, uint64_t at)
{
	int rc = store_alert_case_msg(st, kind, urgent, peer_rik, thread_id, NULL,
	    case_code, detail, at);

	return rc < 0 ? rc : 0;
}

int
store_alert_case_msg(struct store *st, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const uint8_t *message_id,
    const char *case_code, const char *detail, uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	/* An urgent alert always stands alone: each one must reach someone.
	 * One about a message of the procedure (a partner's document that
	 * breaks a rule) is counted like the others: 500 bad documents are
	 * one line, one page and one audit entry, and the row names the
	 * newest message (`homeward document show`), whose detail it has. */
	if (!urgent && (rc = alert_aggregate(st, kind, peer_rik, message_id,
	    case_code, detail, at)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_alert_case)) == NULL)
		return -EIO;
	alert_bind_head(s, at, kind, peer_rik);
	if (thread_id != NULL)
		sqlite3_bind_blob(s, 4, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, urgent);
	sqlite3_bind_text(s, 7, case_code != NULL ? case_code : "", -1, SQLITE_STATIC);
	if (message_id != NULL)
		sqlite3_bind_blob(s, 8, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "alert");
}

static const char sql_alert_each[] =
    "SELECT id, at, kind, urgent, peer_rik, message_id, case_code, detail, "
    "acked_at, acked_by, count, last_at FROM alerts WHERE ?1 OR acked_at = 0 "
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
		a.count = (uint32_t)sqlite3_column_int64(s, 10);
		a.last_at = (uint64_t)sqlite3_column_int64(s, 11);
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

/* --- alert_command ------------------------------------------------------- */

static const char sql_alert_pending[] =
    "SELECT id, at, kind, urgent, peer_rik, message_id, case_code, detail, "
    "acked_at, acked_by, count, last_at FROM alerts WHERE notify = 0 AND "
    "notify_next_at <= ?1 ORDER BY urgent DESC, id LIMIT ?2";

int
store_alert_pending(struct store *st, uint64_t now, unsigned limit,
    struct store_alert *out, size_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_alert_pending)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < limit) {
		struct store_alert *a = &out[(*n)++];

		memset(a, 0, sizeof(*a));
		a->id = sqlite3_column_int64(s, 0);
		a->at = (uint64_t)sqlite3_column_int64(s, 1);
		store_col_text(s, 2, a->kind, sizeof(a->kind));
		a->urgent = sqlite3_column_int(s, 3);
		if ((a->has_peer = sqlite3_column_bytes(s, 4) == ENV1_KEY_LEN))
			store_col_copy(s, 4, a->peer_rik, ENV1_KEY_LEN);
		if ((a->has_message = sqlite3_column_bytes(s, 5) == ENV1_ID_LEN))
			store_col_copy(s, 5, a->message_id, ENV1_ID_LEN);
		store_col_text(s, 6, a->case_code, sizeof(a->case_code));
		store_col_text(s, 7, a->detail, sizeof(a->detail));
		a->count = (uint32_t)sqlite3_column_int64(s, 10);
		a->last_at = (uint64_t)sqlite3_column_int64(s, 11);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 :
	    store_err(st, st->data, rc, "alerts pending");
}

static const char sql_alert_notified[] =
    "UPDATE alerts SET notify = CASE WHEN ?2 THEN 2 ELSE 0 END, "
    "notify_attempts = notify_attempts + 1, notify_next_at = ?3 WHERE id = ?1";

int
store_alert_notified(struct store *st, int64_t id, int done, uint64_t next_at)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_alert_notified)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, done != 0);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)next_at);
	return store_exec_stmt(st, st->data, s, "alert notified");
}

static const char sql_alert_attempts[] =
    "SELECT notify_attempts FROM alerts WHERE id = ?";

int
store_alert_attempts(struct store *st, int64_t id, unsigned *attempts)
{
	sqlite3_stmt   *s;
	int             rc;

	*attempts = 0;
	if ((s = store_prep(st, st->data, sql_alert_attempts)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*attempts = (unsigned)sqlite3_column_int64(s, 0);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? -ENOENT :
		    store_err(st, st->data, rc, "alert attempts");
	sqlite3_reset(s);
	return rc;
}

static const char sql_alert_quiet[] = "UPDATE alerts SET notify = 2 WHERE notify = 0";

int
store_alert_quiet(struct store *st)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_alert_quiet)) == NULL)
		return -EIO;
	return store_exec_stmt(st, st->data, s, "alerts quiet");
}

/* --- gaps ------------------------------------------------------------------ */

static const char sql_gaps_due[] =
    "SELECT i.sender_rik, i.message_id, i.thread_id, i.seq FROM inbox i "
    "WHERE i.state = 2 AND i.received_at <= ?1 AND i.seq = (SELECT MIN(j.seq) "
    "FROM inbox j WHERE j.thread_id = i.thread_id AND j.state = 2) AND "
    "NOT EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'gap' AND "
    "a.message_id = i.message_id) ORDER BY i.id LIMIT ?2";

int
store_alert_gaps_due(struct store *st, uint64_t before, unsigned limit,
    struct store_gap *out, size_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_gaps_due)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < limit) {
		struct store_gap *g = &out[(*n)++];

		store_col_copy(s, 0, g->sender_rik, ENV1_KEY_LEN);
		store_col_copy(s, 1, g->message_id, ENV1_ID_LEN);
		store_col_copy(s, 2, g->thread_id, ENV1_ID_LEN);
		g->seq = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 :
	    store_err(st, st->data, rc, "gaps");
}
