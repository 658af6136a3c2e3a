/*
 * The audit log's rows (store_audit.h): the audit table of data.db and its
 * anchor, audit_head of keystore.db.  Rows are read strictly: a column of
 * the wrong type or size is reported as malformed rather than coerced, so
 * that an edit cannot hide behind a conversion (a NUL in a text, a text
 * longer than its field, an integer stored as text).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/store/store_int.h"

const uint8_t *
store_audit_key(const struct store *st)
{
	return st->k_audit;
}

static const char sql_audit_tail[] =
    "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1";

int
store_audit_tail(struct store *st, uint64_t *seq, uint8_t mac[AUDIT_MAC_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	*seq = 0;
	memset(mac, 0, AUDIT_MAC_LEN);
	if ((s = store_prep(st, st->data, sql_audit_tail)) == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
		store_col_copy(s, 1, mac, AUDIT_MAC_LEN);
		rc = 0;
	} else
		rc = store_err(st, st->data, rc, "audit tail");
	sqlite3_reset(s);
	return rc;
}

static const char sql_audit_mac_at[] = "SELECT mac FROM audit WHERE seq = ?";

int
store_audit_mac_at(struct store *st, uint64_t seq, uint8_t mac[AUDIT_MAC_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	memset(mac, 0, AUDIT_MAC_LEN);
	if ((s = store_prep(st, st->data, sql_audit_mac_at)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_col_copy(s, 0, mac, AUDIT_MAC_LEN);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = store_err(st, st->data, rc, "audit entry");
	sqlite3_reset(s);
	return rc;
}

static const char sql_audit_insert[] =
    "INSERT INTO audit (seq, at, actor, action, case_code, message_id, detail, "
    "prev, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_audit_insert(struct store *st, const struct audit_entry *e,
    const uint8_t prev[AUDIT_MAC_LEN])
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_audit_insert)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)e->at);
	sqlite3_bind_text(s, 3, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->case_code, -1, SQLITE_STATIC);
	if (e->has_message_id)
		sqlite3_bind_blob(s, 6, e->message_id, AUDIT_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, prev, AUDIT_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, e->mac, AUDIT_MAC_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "audit insert");
}

/* A text column into a field of size bytes; 1 when it does not fit as it
 * is (not a text, too long, or holding a NUL that would cut it short). */
static int
text_col(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char    *p;
	size_t                  n;
	int                     bad;

	dst[0] = '\0';
	if (sqlite3_column_type(s, col) != SQLITE_TEXT)
		return 1;
	p = sqlite3_column_text(s, col);
	n = (size_t)sqlite3_column_bytes(s, col);
	if (p == NULL)
		return 1;
	bad = n >= size || memchr(p, '\0', n) != NULL;
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return bad;
}

/* A blob column of exactly len bytes; 1 otherwise (dst zeroed). */
static int
blob_col(sqlite3_stmt *s, int col, uint8_t *dst, size_t len)
{
	if (sqlite3_column_type(s, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(s, col) != len) {
		memset(dst, 0, len);
		return 1;
	}
	memcpy(dst, sqlite3_column_blob(s, col), len);
	return 0;
}

static int
row_decode(sqlite3_stmt *s, struct audit_entry *e, uint8_t prev[AUDIT_MAC_LEN])
{
	int bad = 0;

	memset(e, 0, sizeof(*e));
	bad |= sqlite3_column_type(s, 0) != SQLITE_INTEGER;
	e->seq = (uint64_t)sqlite3_column_int64(s, 0);
	bad |= sqlite3_column_type(s, 1) != SQLITE_INTEGER;
	e->at = (uint64_t)sqlite3_column_int64(s, 1);
	bad |= text_col(s, 2, e->actor, sizeof(e->actor));
	bad |= text_col(s, 3, e->action, sizeof(e->action));
	bad |= text_col(s, 4, e->case_code, sizeof(e->case_code));
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		bad |= blob_col(s, 5, e->message_id, AUDIT_ID_LEN);
		e->has_message_id = 1;
	}
	bad |= text_col(s, 6, e->detail, sizeof(e->detail));
	bad |= blob_col(s, 7, prev, AUDIT_MAC_LEN);
	bad |= blob_col(s, 8, e->mac, AUDIT_MAC_LEN);
	return bad;
}

#define AUDIT_COLS "seq, at, actor, action, case_code, message_id, detail, prev, mac"
static const char sql_audit_each[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?";
static const char sql_audit_each_case[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE case_code = ? AND seq > ? "
    "ORDER BY seq LIMIT ?";

int
store_audit_each(struct store *st, const char *case_code, uint64_t after,
    unsigned limit, store_audit_cb cb, void *arg)
{
	struct audit_entry      e;
	uint8_t                 prev[AUDIT_MAC_LEN];
	sqlite3_stmt           *s;
	int                     rc, i = 1, bad, stop = 0;

	s = store_prep(st, st->data, case_code != NULL ? sql_audit_each_case :
	    sql_audit_each);
	if (s == NULL)
		return -EIO;
	if (case_code != NULL)
		sqlite3_bind_text(s, i++, case_code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i++, after > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)after);
	sqlite3_bind_int64(s, i, limit == 0 ? -1 : (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		bad = row_decode(s, &e, prev);
		if ((stop = cb(&e, prev, bad, arg)) != 0)
			break;
	}
	if (stop != 0)
		rc = stop < 0 ? stop : 0;
	else
		rc = store_err(st, st->data, rc, "audit list");
	sqlite3_reset(s);
	return rc;
}

static const char sql_anchor_get[] = "SELECT seq, mac FROM audit_head WHERE id = 1";
static const char sql_anchor_put[] =
    "UPDATE audit_head SET seq = ?1, mac = ?2 WHERE id = 1 AND seq < ?1";

int
store_audit_anchor_get(struct store *st, uint64_t *seq, uint8_t mac[AUDIT_MAC_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	*seq = 0;
	memset(mac, 0, AUDIT_MAC_LEN);
	if ((s = store_prep(st, st->keys, sql_anchor_get)) == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
		store_col_copy(s, 1, mac, AUDIT_MAC_LEN);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = store_err(st, st->keys, rc, "audit anchor");
	sqlite3_reset(s);
	return rc;
}

int
store_audit_anchor_put(struct store *st, uint64_t seq,
    const uint8_t mac[AUDIT_MAC_LEN], int *moved)
{
	sqlite3_stmt   *s;
	int             rc;

	*moved = 0;
	if ((s = store_prep(st, st->keys, sql_anchor_put)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(s, 2, mac, AUDIT_MAC_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->keys, s, "audit anchor")) != 0)
		return rc;
	*moved = sqlite3_changes(st->keys) > 0;
	return 0;
}
