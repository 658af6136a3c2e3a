/*
 * Rows of the outbox and the inbox (the receiver's ledger), and the
 * operator's counts (store.h).  Bodies, envelopes and evidence are column
 * blobs under the case key of their thread; everything a query filters on
 * is cleartext.  Alerts are store_alerts.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

const char *
store_out_state_name(int state)
{
	switch (state) {
	case OUT_WAITING:       return "waiting";
	case OUT_SEALED:        return "sealed";
	case OUT_DELIVERED:     return "delivered";
	case OUT_RECEIPT:       return "receipt";
	default:                return "unknown";
	}
}

const char *
store_in_state_name(int state)
{
	switch (state) {
	case IN_ACCEPTED:       return "accepted";
	case IN_GAP_HELD:       return "gap_held";
	default:                return "unknown";
	}
}

/* --- outbox -------------------------------------------------------------- */

#define OUT_COLS "message_id, peer_rik, thread_id, seq, msg_type, in_reply_to, " \
    "content_salt, body_len, created_at, state, h_env, h_inner, attempts, sent_at, " \
    "next_attempt_at, delivered_at, receipt_id, row_id, id"

static void
out_row(sqlite3_stmt *s, struct store_out *m)
{
	memset(m, 0, sizeof(*m));
	store_col_copy(s, 0, m->message_id, ENV1_ID_LEN);
	store_col_copy(s, 1, m->peer_rik, ENV1_KEY_LEN);
	store_col_copy(s, 2, m->thread_id, ENV1_ID_LEN);
	m->seq = (uint64_t)sqlite3_column_int64(s, 3);
	m->msg_type = (uint16_t)sqlite3_column_int(s, 4);
	store_col_copy(s, 5, m->in_reply_to, ENV1_ID_LEN);
	store_col_copy(s, 6, m->content_salt, ENV1_HASH_LEN);
	m->body_len = (uint64_t)sqlite3_column_int64(s, 7);
	m->created_at = (uint64_t)sqlite3_column_int64(s, 8);
	m->state = sqlite3_column_int(s, 9);
	store_col_copy(s, 10, m->h_env, ENV1_HASH_LEN);
	store_col_copy(s, 11, m->h_inner, ENV1_HASH_LEN);
	m->attempts = (uint32_t)sqlite3_column_int64(s, 12);
	m->sent_at = (uint64_t)sqlite3_column_int64(s, 13);
	m->next_attempt_at = (uint64_t)sqlite3_column_int64(s, 14);
	m->delivered_at = (uint64_t)sqlite3_column_int64(s, 15);
	store_col_copy(s, 16, m->receipt_id, ENV1_ID_LEN);
	m->rowid = sqlite3_column_int64(s, 18);
}

/* One row by a unique key, or -ENOENT. */
static int
out_one(struct store *st, sqlite3_stmt *s, struct store_out *m, uint8_t *row_id)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		out_row(s, m);
		if (row_id != NULL)
			store_col_copy(s, 17, row_id, ENV1_ID_LEN);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "outbox");
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_out_insert[] =
    "INSERT INTO outbox (message_id, row_id, peer_rik, thread_id, seq, msg_type, "
    "in_reply_to, content_salt, body_len, body, created_at, state) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)";

int
store_out_insert(struct store *st, struct store_out *m, const uint8_t *body)
{
	struct store_thread     t;
	sqlite3_stmt           *s;
	uint8_t                 row_id[ENV1_ID_LEN], *blob = NULL;
	size_t                  bloblen;
	int                     rc;

	if ((rc = store_thread_get(st, m->thread_id, &t)) != 0)
		return rc;
	m->seq = t.out_seq + 1;
	m->state = OUT_WAITING;
	randombytes_buf(row_id, sizeof(row_id));
	if ((rc = store_seal_col(st, "outbox", "body", row_id, m->thread_id, 0, body,
	    m->body_len, &blob, &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_out_insert)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_blob(s, 1, m->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, row_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, m->peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, m->thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)m->seq);
	sqlite3_bind_int(s, 6, m->msg_type);
	sqlite3_bind_blob(s, 7, m->in_reply_to, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, m->content_salt, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)m->body_len);
	sqlite3_bind_blob(s, 10, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)m->created_at);
	if ((rc = store_exec_stmt(st, st->data, s, "outbox insert")) != 0)
		goto out;
	t.out_seq = m->seq;
	rc = store_thread_put(st, &t);
out:
	free(blob);
	return rc;
}

static const char sql_out_get[] = "SELECT " OUT_COLS " FROM outbox WHERE message_id = ?";

int
store_out_get(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    struct store_out *m)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_out_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return out_one(st, s, m, NULL);
}

static const char sql_out_h_inner[] = "SELECT " OUT_COLS " FROM outbox WHERE h_inner = ?";

int
store_out_find_h_inner(struct store *st, const uint8_t h_inner[ENV1_HASH_LEN],
    struct store_out *m)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_out_h_inner)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	return out_one(st, s, m, NULL);
}

/* A blob column of the outbox row of message_id, decrypted. */
static const char sql_out_blob_body[] =
    "SELECT row_id, thread_id, body FROM outbox WHERE message_id = ?";
static const char sql_out_blob_env[] =
    "SELECT row_id, thread_id, envelope FROM outbox WHERE message_id = ?";
static const char sql_out_blob_signed[] =
    "SELECT row_id, thread_id, signed FROM outbox WHERE message_id = ?";

static int
out_blob(struct store *st, const char *sql, const char *column,
    const uint8_t message_id[ENV1_ID_LEN], uint8_t **pt, size_t *ptlen)
{
	sqlite3_stmt   *s;
	uint8_t         row_id[ENV1_ID_LEN], thread_id[ENV1_ID_LEN];
	int             rc;

	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, column);
		goto out;
	}
	if (sqlite3_column_type(s, 2) == SQLITE_NULL) {
		rc = -ENOENT;
		goto out;
	}
	store_col_copy(s, 0, row_id, ENV1_ID_LEN);
	store_col_copy(s, 1, thread_id, ENV1_ID_LEN);
	rc = store_open_col(st, "outbox", column, row_id, thread_id,
	    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), pt, ptlen);
out:
	sqlite3_reset(s);
	return rc;
}

int
store_out_body(struct store *st, const struct store_out *m, uint8_t **body)
{
	size_t  len;
	int     rc;

	if ((rc = out_blob(st, sql_out_blob_body, "body", m->message_id, body,
	    &len)) != 0)
		return rc;
	if (len != m->body_len) {
		secret_free(*body);
		*body = NULL;
		return -EBADMSG;
	}
	return 0;
}

int
store_out_envelope(struct store *st, const struct store_out *m, uint8_t **env,
    size_t *len)
{
	uint8_t        *pt;
	int             rc;

	if ((rc = out_blob(st, sql_out_blob_env, "envelope", m->message_id, &pt,
	    len)) != 0)
		return rc;
	/* The envelope is ciphertext already: hand it out in ordinary memory. */
	if ((*env = malloc(*len)) == NULL) {
		secret_free(pt);
		return -ENOMEM;
	}
	memcpy(*env, pt, *len);
	secret_free(pt);
	return 0;
}

int
store_out_signed(struct store *st, const struct store_out *m,
    uint8_t tbs[ENV1_TBS_LEN], uint8_t sig[ENV1_SIG_LEN])
{
	uint8_t        *pt;
	size_t          len;
	int             rc;

	if ((rc = out_blob(st, sql_out_blob_signed, "signed", m->message_id, &pt,
	    &len)) != 0)
		return rc;
	if (len != ENV1_TBS_LEN + ENV1_SIG_LEN) {
		secret_free(pt);
		return -EBADMSG;
	}
	memcpy(tbs, pt, ENV1_TBS_LEN);
	memcpy(sig, pt + ENV1_TBS_LEN, ENV1_SIG_LEN);
	secret_free(pt);
	return 0;
}

static const char sql_out_sealed[] =
    "UPDATE outbox SET state = ?, envelope = ?, signed = ?, h_env = ?, h_inner = ? "
    "WHERE message_id = ?";
static const char sql_out_rowid[] =
    "SELECT row_id, thread_id, seq, msg_type FROM outbox WHERE message_id = ?";

/* What sealing a message needs of its row: the ids its blobs are bound
 * to, its position and its type. */
static int
out_seal_ref(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    uint8_t row_id[ENV1_ID_LEN], uint8_t thread_id[ENV1_ID_LEN], uint64_t *seq,
    int *msg_type)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_out_rowid)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "outbox");
		sqlite3_reset(s);
		return rc;
	}
	store_col_copy(s, 0, row_id, ENV1_ID_LEN);
	store_col_copy(s, 1, thread_id, ENV1_ID_LEN);
	*seq = (uint64_t)sqlite3_column_int64(s, 2);
	*msg_type = sqlite3_column_int(s, 3);
	sqlite3_reset(s);
	return 0;
}

int
store_out_sealed(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    const uint8_t *env, size_t env_len, const uint8_t h_env[ENV1_HASH_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN], const uint8_t tbs[ENV1_TBS_LEN],
    const uint8_t sig[ENV1_SIG_LEN])
{
	struct store_thread     t;
	sqlite3_stmt           *s;
	uint8_t                 row_id[ENV1_ID_LEN], thread_id[ENV1_ID_LEN];
	uint8_t                 tbs_sig[ENV1_TBS_LEN + ENV1_SIG_LEN];
	uint8_t                *eblob = NULL, *sblob = NULL;
	size_t                  elen, slen;
	uint64_t                seq = 0;
	int                     rc, msg_type = 0;

	if ((rc = out_seal_ref(st, message_id, row_id, thread_id, &seq,
	    &msg_type)) != 0)
		return rc;
	memcpy(tbs_sig, tbs, ENV1_TBS_LEN);
	memcpy(tbs_sig + ENV1_TBS_LEN, sig, ENV1_SIG_LEN);
	if ((rc = store_seal_col(st, "outbox", "envelope", row_id, thread_id, 0, env,
	    env_len, &eblob, &elen)) != 0 ||
	    (rc = store_seal_col(st, "outbox", "signed", row_id, thread_id, 0, tbs_sig,
	    sizeof(tbs_sig), &sblob, &slen)) != 0)
		goto out;
	if ((s = store_prep(st, st->data, sql_out_sealed)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_int(s, 1, msg_type == ENV1_MSG_DELIVERY_RECEIPT ? OUT_RECEIPT :
	    OUT_SEALED);
	sqlite3_bind_blob(s, 2, eblob, (int)elen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, sblob, (int)slen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, h_env, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "outbox sealed")) != 0)
		goto out;
	if ((rc = store_thread_get(st, thread_id, &t)) != 0)
		goto out;
	t.sealed_seq = seq;
	memcpy(t.out_last_h_inner, h_inner, ENV1_HASH_LEN);
	rc = store_thread_put(st, &t);
out:
	free(eblob);
	free(sblob);
	return rc;
}

static const char sql_out_transmitted[] =
    "UPDATE outbox SET attempts = attempts + 1, sent_at = ?, next_attempt_at = ? "
    "WHERE message_id = ?";

int
store_out_transmitted(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    uint64_t sent_at, uint64_t next_attempt_at)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_out_transmitted)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)sent_at);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)next_attempt_at);
	sqlite3_bind_blob(s, 3, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "outbox transmitted");
}

/* A row a resync marked delivered (store_resync.h) waits for its
 * receipt's id as well. */
static const char sql_out_delivered[] =
    "UPDATE outbox SET state = 2, delivered_at = ?, receipt_id = ? "
    "WHERE message_id = ? AND (state = 1 OR (state = 2 AND receipt_id IS NULL))";

int
store_out_delivered(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    const uint8_t receipt_id[ENV1_ID_LEN], uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_out_delivered)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_blob(s, 2, receipt_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "outbox delivered")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

static const char sql_out_unacked[] =
    "SELECT " OUT_COLS " FROM outbox WHERE peer_rik = ? AND state = 1 AND id > ? "
    "AND (? = 0 OR next_attempt_at <= ?) ORDER BY id LIMIT ?";

int
store_out_each_unacked(struct store *st, const uint8_t peer_rik[ENV1_KEY_LEN],
    uint64_t due_before, int64_t *cursor, unsigned limit, store_out_cb cb, void *arg)
{
	struct store_out        m;
	sqlite3_stmt           *s;
	int                     rc, crc = 0;

	if ((s = store_prep(st, st->data, sql_out_unacked)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, *cursor);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)due_before);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)due_before);
	sqlite3_bind_int(s, 5, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out_row(s, &m);
		*cursor = m.rowid;
		if ((crc = cb(&m, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "outbox unacked");
	sqlite3_reset(s);
	return crc < 0 ? crc : 0;
}

static const char sql_out_waiting[] =
    "SELECT " OUT_COLS " FROM outbox WHERE peer_rik = ? AND state = 0 "
    "ORDER BY thread_id, seq";

int
store_out_each_waiting(struct store *st, const uint8_t peer_rik[ENV1_KEY_LEN],
    store_out_cb cb, void *arg)
{
	struct store_out       *v = NULL, *nv;
	sqlite3_stmt           *s;
	size_t                  n = 0;
	int                     rc, crc = 0;

	/* Collect first: the callback seals, which writes the same table. */
	if ((s = store_prep(st, st->data, sql_out_waiting)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			crc = -ENOMEM;
			break;
		}
		v = nv;
		out_row(s, &v[n++]);
	}
	if (crc == 0 && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "outbox waiting");
	sqlite3_reset(s);
	for (size_t i = 0; crc == 0 && i < n; i++)
		if ((crc = cb(&v[i], arg)) > 0)
			crc = 0, i = n;
	free(v);
	return crc < 0 ? crc : 0;
}

/* The filters both listings share: ?1 peer (NULL: all), ?2 state (-1:
 * all), ?3 before (0: no bound), ?4 limit. */
static void
list_bind(sqlite3_stmt *s, const uint8_t *peer_rik, int state, uint64_t before,
    unsigned limit)
{
	if (peer_rik != NULL)
		sqlite3_bind_blob(s, 1, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, state);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)before);
	sqlite3_bind_int(s, 4, (int)limit);
}

static const char sql_out_list[] =
    "SELECT " OUT_COLS " FROM outbox WHERE (?1 IS NULL OR peer_rik = ?1) "
    "AND (?2 < 0 OR state = ?2) AND (?3 = 0 OR created_at < ?3) "
    "ORDER BY created_at DESC, id DESC LIMIT ?4";

int
store_out_list(struct store *st, const uint8_t *peer_rik, int state, uint64_t before,
    unsigned limit, store_out_cb cb, void *arg)
{
	struct store_out        m;
	sqlite3_stmt           *s;
	int                     rc, crc = 0;

	if ((s = store_prep(st, st->data, sql_out_list)) == NULL)
		return -EIO;
	list_bind(s, peer_rik, state, before, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out_row(s, &m);
		if ((crc = cb(&m, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "outbox list");
	sqlite3_reset(s);
	return crc < 0 ? crc : 0;
}

/* --- inbox --------------------------------------------------------------- */

#define IN_COLS "sender_rik, message_id, thread_id, seq, msg_type, h_env, h_inner, " \
    "prev_hash, in_reply_to, semantic, state, created_at, received_at, committed_at, " \
    "body_len, receipt_id, row_id, evidence"

static void
in_row(sqlite3_stmt *s, struct store_in *m)
{
	memset(m, 0, sizeof(*m));
	store_col_copy(s, 0, m->sender_rik, ENV1_KEY_LEN);
	store_col_copy(s, 1, m->message_id, ENV1_ID_LEN);
	store_col_copy(s, 2, m->thread_id, ENV1_ID_LEN);
	m->seq = (uint64_t)sqlite3_column_int64(s, 3);
	m->msg_type = (uint16_t)sqlite3_column_int(s, 4);
	store_col_copy(s, 5, m->h_env, ENV1_HASH_LEN);
	store_col_copy(s, 6, m->h_inner, ENV1_HASH_LEN);
	store_col_copy(s, 7, m->prev_hash, ENV1_HASH_LEN);
	store_col_copy(s, 8, m->in_reply_to, ENV1_ID_LEN);
	store_col_copy(s, 9, m->semantic, ENV1_HASH_LEN);
	m->state = sqlite3_column_int(s, 10);
	m->created_at = (uint64_t)sqlite3_column_int64(s, 11);
	m->received_at = (uint64_t)sqlite3_column_int64(s, 12);
	m->committed_at = (uint64_t)sqlite3_column_int64(s, 13);
	m->body_len = (uint64_t)sqlite3_column_int64(s, 14);
	store_col_copy(s, 15, m->receipt_id, ENV1_ID_LEN);
}

static int
in_one(struct store *st, sqlite3_stmt *s, struct store_in *m)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		in_row(s, m);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "inbox");
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_in_get[] =
    "SELECT " IN_COLS " FROM inbox WHERE sender_rik = ? AND message_id = ?";

int
store_in_get(struct store *st, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], struct store_in *m)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_in_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, sender_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return in_one(st, s, m);
}

static const char sql_in_get_id[] =
    "SELECT " IN_COLS " FROM inbox WHERE message_id = ? LIMIT 1";

int
store_in_get_id(struct store *st, const uint8_t message_id[ENV1_ID_LEN],
    struct store_in *m)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_in_get_id)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return in_one(st, s, m);
}

static const char sql_in_insert[] =
    "INSERT INTO inbox (sender_rik, message_id, row_id, thread_id, seq, msg_type, "
    "h_env, h_inner, prev_hash, in_reply_to, semantic, state, created_at, "
    "received_at, committed_at, body_len, evidence, receipt_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_in_insert(struct store *st, const struct store_in *m, const uint8_t *evidence,
    size_t evidence_len)
{
	sqlite3_stmt   *s;
	uint8_t         row_id[ENV1_ID_LEN], *blob = NULL;
	size_t          bloblen;
	int             rc;

	randombytes_buf(row_id, sizeof(row_id));
	if ((rc = store_seal_col(st, "inbox", "evidence", row_id, m->thread_id, 0,
	    evidence, evidence_len, &blob, &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_in_insert)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_blob(s, 1, m->sender_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, m->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, row_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, m->thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)m->seq);
	sqlite3_bind_int(s, 6, m->msg_type);
	sqlite3_bind_blob(s, 7, m->h_env, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, m->h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, m->prev_hash, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, m->in_reply_to, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, m->semantic, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 12, m->state);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)m->created_at);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)m->received_at);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)m->committed_at);
	sqlite3_bind_int64(s, 16, (sqlite3_int64)m->body_len);
	sqlite3_bind_blob(s, 17, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 18, m->receipt_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "inbox insert");
out:
	free(blob);
	return rc;
}

static const char sql_in_state[] =
    "UPDATE inbox SET state = ? WHERE sender_rik = ? AND message_id = ?";

int
store_in_set_state(struct store *st, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], int state)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_in_state)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_blob(s, 2, sender_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "inbox state");
}

static const char sql_in_committed[] =
    "UPDATE inbox SET committed_at = ? WHERE sender_rik = ? AND message_id = ?";

int
store_in_set_committed(struct store *st, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], uint64_t at)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_in_committed)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_blob(s, 2, sender_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, message_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "inbox committed");
}

static const char sql_in_held[] =
    "SELECT " IN_COLS " FROM inbox WHERE thread_id = ? AND state = 2 AND seq = ? "
    "LIMIT 1";

int
store_in_held_at(struct store *st, const uint8_t thread_id[ENV1_ID_LEN], uint64_t seq,
    struct store_in *m)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_in_held)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	return in_one(st, s, m);
}

static const char sql_in_evidence[] =
    "SELECT row_id, evidence FROM inbox WHERE sender_rik = ? AND message_id = ?";

int
store_in_evidence(struct store *st, const struct store_in *m, uint8_t **ev,
    size_t *len)
{
	sqlite3_stmt   *s;
	uint8_t         row_id[ENV1_ID_LEN];
	int             rc;

	if ((s = store_prep(st, st->data, sql_in_evidence)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, m->sender_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, m->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "evidence");
		goto out;
	}
	store_col_copy(s, 0, row_id, ENV1_ID_LEN);
	rc = store_open_col(st, "inbox", "evidence", row_id, m->thread_id,
	    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), ev, len);
out:
	sqlite3_reset(s);
	return rc;
}

static const char sql_in_list[] =
    "SELECT " IN_COLS " FROM inbox WHERE (?1 IS NULL OR sender_rik = ?1) "
    "AND msg_type <> 256 "
    "AND (?2 < 0 OR state = ?2) AND (?3 = 0 OR received_at < ?3) "
    "ORDER BY received_at DESC, id DESC LIMIT ?4";

int
store_in_list(struct store *st, const uint8_t *peer_rik, int state, uint64_t before,
    unsigned limit, store_in_cb cb, void *arg)
{
	struct store_in         m;
	sqlite3_stmt           *s;
	int                     rc, crc = 0;

	if ((s = store_prep(st, st->data, sql_in_list)) == NULL)
		return -EIO;
	list_bind(s, peer_rik, state, before, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		in_row(s, &m);
		if ((crc = cb(&m, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "inbox list");
	sqlite3_reset(s);
	return crc < 0 ? crc : 0;
}

/* --- counts ------------------------------------------------------------- */

/* Each of these is answered from a partial index (migration 1). */
static const char sql_counts_out[] =
    "SELECT count(*), coalesce(sum(state = 0), 0) FROM outbox "
    "WHERE state IN (0, 1) AND msg_type <> 256";
static const char sql_oldest_out[] =
    "SELECT created_at, message_id FROM outbox WHERE state IN (0, 1) "
    "AND msg_type <> 256 ORDER BY created_at LIMIT 1";
static const char sql_counts_in[] =
    "SELECT count(*), coalesce(sum(state = 2), 0) FROM inbox WHERE msg_type <> 256";
static const char sql_counts_alerts[] = "SELECT count(*) FROM alerts";

static int
count_query(struct store *st, const char *sql, uint64_t *a, uint64_t *b,
    uint8_t *id)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*a = (uint64_t)sqlite3_column_int64(s, 0);
		if (id != NULL)
			store_col_copy(s, 1, id, ENV1_ID_LEN);
		else if (b != NULL)
			*b = (uint64_t)sqlite3_column_int64(s, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "counts");
	}
	sqlite3_reset(s);
	return rc;
}

int
store_counts(struct store *st, struct store_counts *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = count_query(st, sql_counts_out, &c->out_unacked, &c->out_waiting,
	    NULL)) != 0 ||
	    (rc = count_query(st, sql_oldest_out, &c->oldest_unacked_at, NULL,
	    c->oldest_unacked_id)) != 0 ||
	    (rc = count_query(st, sql_counts_in, &c->in_total, &c->in_gap_held,
	    NULL)) != 0 ||
	    (rc = count_query(st, sql_counts_alerts, &c->alerts, NULL, NULL)) != 0)
		return rc;
	return 0;
}
