/*
 * Held documents (store_case.h): what the gate keeps back until a consent
 * covers it or a second supervisor approves it.  The body and the reason
 * for a safety exception are column blobs under the case key; state,
 * categories and what is missing stay in clear for the listings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

const char *
store_held_state_name(int state)
{
	switch (state) {
	case HELD_CONSENT:      return "held";
	case HELD_APPROVAL:     return "approval";
	case HELD_RELEASED:     return "released";
	case HELD_CANCELLED:    return "cancelled";
	case HELD_PARTNER_SAFETY: return "partner_safety";
	}
	return "unknown";
}

#define HELD_COLS "held_id, case_id, peer_rik, msg_type, state, categories, " \
	"missing, created_at, created_by, approved_by, released_at, message_id, " \
	"replaced_by"

static void
held_fill(sqlite3_stmt *s, void *arg)
{
	struct store_held *h = arg;

	memset(h, 0, sizeof(*h));
	store_col_copy(s, 0, h->held_id, ENV1_ID_LEN);
	store_col_copy(s, 1, h->case_id, ENV1_ID_LEN);
	store_col_copy(s, 2, h->peer_rik, ENV1_KEY_LEN);
	h->msg_type = (uint16_t)sqlite3_column_int(s, 3);
	h->state = sqlite3_column_int(s, 4);
	h->categories = (uint32_t)sqlite3_column_int64(s, 5);
	store_col_text(s, 6, h->missing, sizeof(h->missing));
	h->created_at = (uint64_t)sqlite3_column_int64(s, 7);
	store_col_text(s, 8, h->created_by, sizeof(h->created_by));
	store_col_text(s, 9, h->approved_by, sizeof(h->approved_by));
	h->released_at = (uint64_t)sqlite3_column_int64(s, 10);
	store_col_copy(s, 11, h->message_id, ENV1_ID_LEN);
	store_col_copy(s, 12, h->replaced_by, ENV1_ID_LEN);
}

static const char sql_held_insert[] =
    "INSERT INTO held (" HELD_COLS ", body, safety) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)";

int
store_held_insert(struct store *st, const struct store_held *h,
    const uint8_t *body, size_t len, const char *safety)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL, *sblob = NULL;
	size_t          bloblen = 0, sbloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "held", "body", h->held_id, h->case_id, 0,
	    body, len, &blob, &bloblen)) != 0)
		return rc;
	if (safety != NULL && (rc = store_seal_col(st, "held", "safety", h->held_id,
	    h->case_id, 0, (const uint8_t *)safety, strlen(safety), &sblob,
	    &sbloblen)) != 0)
		goto out;
	if ((s = store_prep(st, st->data, sql_held_insert)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_blob(s, 1, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, h->peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, h->msg_type);
	sqlite3_bind_int(s, 5, h->state);
	sqlite3_bind_int64(s, 6, h->categories);
	sqlite3_bind_text(s, 7, h->missing, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)h->created_at);
	sqlite3_bind_text(s, 9, h->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, h->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, blob, (int)bloblen, SQLITE_STATIC);
	store_bind_blob_or_null(s, 12, sblob, sbloblen);
	rc = store_exec_stmt(st, st->data, s, "held insert");
out:
	free(blob);
	free(sblob);
	return rc;
}

static const char sql_held_get[] = "SELECT " HELD_COLS " FROM held WHERE held_id = ?";

int
store_held_get(struct store *st, const uint8_t held_id[ENV1_ID_LEN],
    struct store_held *out)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_held_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, held_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_one_row(st, s, held_fill, out, "held");
}

/* Column col of row s, sealed under the case key, as a C string in secret
 * memory (*out NULL when the column is NULL). */
static int
held_open_text(struct store *st, const struct store_held *h, sqlite3_stmt *s,
    int col, const char *column, char **out)
{
	uint8_t        *pt = NULL;
	size_t          len = 0;
	int             rc;

	*out = NULL;
	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return 0;
	if ((rc = store_open_col(st, "held", column, h->held_id, h->case_id,
	    sqlite3_column_blob(s, col), (size_t)sqlite3_column_bytes(s, col), &pt,
	    &len)) != 0)
		return rc;
	/* As a C string, in secret memory like the body. */
	if ((*out = secret_alloc(len + 1)) == NULL) {
		secret_free(pt);
		return -ENOMEM;
	}
	memcpy(*out, pt, len);
	(*out)[len] = '\0';
	secret_free(pt);
	return 0;
}

static const char sql_held_body[] = "SELECT body, safety FROM held WHERE held_id = ?";

int
store_held_body(struct store *st, const struct store_held *h, uint8_t **body,
    size_t *len, char **safety)
{
	sqlite3_stmt   *s;
	int             rc;

	*body = NULL;
	*len = 0;
	*safety = NULL;
	if ((s = store_prep(st, st->data, sql_held_body)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "held body");
		goto out;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_BLOB) {
		rc = -ENOENT;           /* erased */
		goto out;
	}
	if ((rc = store_open_col(st, "held", "body", h->held_id, h->case_id,
	    sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), body,
	    len)) != 0)
		goto out;
	rc = held_open_text(st, h, s, 1, "safety", safety);
out:
	sqlite3_reset(s);
	if (rc != 0) {
		secret_free(*body);
		*body = NULL;
		*len = 0;
	}
	return rc;
}

static const char sql_held_reasons[] =
    "SELECT first_reason, second_reason FROM held WHERE held_id = ?";

int
store_held_reasons(struct store *st, const struct store_held *h, char **first,
    char **second)
{
	sqlite3_stmt   *s;
	int             rc;

	*first = *second = NULL;
	if ((s = store_prep(st, st->data, sql_held_reasons)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc,
		    "held reasons");
	else if ((rc = held_open_text(st, h, s, 0, "first_reason", first)) == 0)
		rc = held_open_text(st, h, s, 1, "second_reason", second);
	sqlite3_reset(s);
	if (rc != 0) {
		secret_free(*first);
		*first = NULL;
	}
	return rc;
}

static const char sql_held_update[] =
    "UPDATE held SET state = ?, missing = ?, approved_by = ?, released_at = ?, "
    "message_id = ?, replaced_by = ? WHERE held_id = ?";

int
store_held_update(struct store *st, const struct store_held *h)
{
	static const uint8_t    zero[ENV1_ID_LEN];
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_held_update)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, h->state);
	sqlite3_bind_text(s, 2, h->missing, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, h->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)h->released_at);
	if (memcmp(h->message_id, zero, ENV1_ID_LEN) != 0)
		sqlite3_bind_blob(s, 5, h->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	if (memcmp(h->replaced_by, zero, ENV1_ID_LEN) != 0)
		sqlite3_bind_blob(s, 6, h->replaced_by, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_blob(s, 7, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "held update")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}
/* The columns a sealed text may go to, with their UPDATE. */
static const struct {
	const char     *column;
	const char     *sql;
} held_texts[] = {
	{ "safety", "UPDATE held SET safety = ? WHERE held_id = ?" },
	{ "first_reason", "UPDATE held SET first_reason = ? WHERE held_id = ?" },
	{ "second_reason", "UPDATE held SET second_reason = ? WHERE held_id = ?" },
};

/* Seal text under the case key into the column held_texts[i]. */
static int
held_set_text(struct store *st, const struct store_held *h, size_t i,
    const char *text)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "held", held_texts[i].column, h->held_id,
	    h->case_id, 0, (const uint8_t *)text, strlen(text), &blob,
	    &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, held_texts[i].sql)) == NULL) {
		free(blob);
		return -EIO;
	}
	sqlite3_bind_blob(s, 1, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, held_texts[i].column);
	free(blob);
	if (rc == 0 && sqlite3_changes(st->data) == 0)
		rc = -ENOENT;
	return rc;
}

int
store_held_set_safety(struct store *st, const struct store_held *h,
    const char *safety)
{
	return held_set_text(st, h, 0, safety);
}

int
store_held_set_reason(struct store *st, const struct store_held *h, int which,
    const char *reason)
{
	if (which != 1 && which != 2)
		return -EINVAL;
	return held_set_text(st, h, (size_t)which, reason);
}

static const char sql_held_each[] =
    "SELECT " HELD_COLS " FROM held WHERE (?1 IS NULL OR case_id = ?1) AND "
    "((?2 = 0 AND state IN (1, 2)) OR state = ?2) ORDER BY id";

int
store_held_each(struct store *st, const uint8_t *case_id, int state,
    store_held_cb cb, void *arg)
{
	struct store_held       h;
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_held_each)) == NULL)
		return -EIO;
	store_bind_blob_or_null(s, 1, case_id, ENV1_ID_LEN);
	sqlite3_bind_int(s, 2, state);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		held_fill(s, &h);
		if ((rc = cb(&h, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "held");
}
