/*
 * Rows of the peer directory and of the thread chains (store.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/store_int.h"

void
store_peer_clear(struct store_peer *p)
{
	if (p == NULL)
		return;
	free(p->bundle);
	p->bundle = NULL;
	p->bundle_len = 0;
}

static const char sql_peer_owner[] = "SELECT rik FROM peers WHERE agency_id = ?";
static const char sql_peer_put[] =
    "INSERT INTO peers (rik, agency_id, endpoint, verified, suspended, imported_at, "
    "last_seen_at, bundle) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (rik) DO UPDATE SET agency_id = excluded.agency_id, "
    "endpoint = excluded.endpoint, verified = excluded.verified, "
    "suspended = excluded.suspended, imported_at = excluded.imported_at, "
    "last_seen_at = excluded.last_seen_at, bundle = excluded.bundle, "
    /* A resumed peer's quotas count from now (store_quota.c): the
     * operator lifted the suspension knowing what it had sent. */
    "quota_from = CASE WHEN peers.suspended <> 0 AND excluded.suspended = 0 "
    "THEN CAST(strftime('%s','now') AS INTEGER) * 1000 ELSE peers.quota_from END";

int
store_peer_put(struct store *st, const struct store_peer *p)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_peer_owner)) == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, p->agency_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (sqlite3_column_bytes(s, 0) != ENV1_KEY_LEN ||
	    memcmp(sqlite3_column_blob(s, 0), p->rik, ENV1_KEY_LEN) != 0)) {
		sqlite3_reset(s);
		return -EEXIST;
	}
	sqlite3_reset(s);
	if ((s = store_prep(st, st->data, sql_peer_put)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, p->rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, p->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, p->verified);
	sqlite3_bind_int(s, 5, p->suspended);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)p->imported_at);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)p->last_seen_at);
	sqlite3_bind_blob(s, 8, p->bundle, (int)p->bundle_len, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "peer put");
}

static const char sql_peer_del[] = "DELETE FROM peers WHERE rik = ?";

int
store_peer_delete(struct store *st, const uint8_t rik[ENV1_KEY_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_peer_del)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "peer delete")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

static const char sql_peer_has[] = "SELECT 1 FROM peers WHERE rik = ?";
static const char sql_peer_rekey[] =
    "UPDATE peers SET rik = ?2, bundle = ?3 WHERE rik = ?1";
/* Every other row that names a peer by its RIK.  An internal peer id
 * would spare this, at the price of a migration of every table and every
 * query; a RIK changes once in years, so the rows move instead, in one
 * transaction. */
static const char *const sql_rekey_rows[] = {
	"UPDATE threads SET peer_rik = ?2 WHERE peer_rik = ?1",
	"UPDATE outbox SET peer_rik = ?2 WHERE peer_rik = ?1",
	"UPDATE inbox SET sender_rik = ?2 WHERE sender_rik = ?1",
	"UPDATE alerts SET peer_rik = ?2 WHERE peer_rik = ?1",
	"UPDATE case_threads SET peer_rik = ?2 WHERE peer_rik = ?1",
	"UPDATE held SET peer_rik = ?2 WHERE peer_rik = ?1",
};

static int
rekey_exec(struct store *st, const char *sql, const uint8_t *old_rik,
    const uint8_t *new_rik, const uint8_t *bundle, size_t bundle_len)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, old_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, new_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	if (bundle != NULL)
		sqlite3_bind_blob(s, 3, bundle, (int)bundle_len, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "peer rekey");
}

int
store_peer_rekey(struct store *st, const uint8_t old_rik[ENV1_KEY_LEN],
    const uint8_t new_rik[ENV1_KEY_LEN], const uint8_t *bundle, size_t bundle_len)
{
	sqlite3_stmt   *s;
	int             rc;

	if (!store_in_tx(st) || bundle == NULL || bundle_len == 0)
		return -EINVAL;
	if ((s = store_prep(st, st->data, sql_peer_has)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, new_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return -EEXIST;
	if ((rc = rekey_exec(st, sql_peer_rekey, old_rik, new_rik, bundle,
	    bundle_len)) != 0)
		return rc;
	if (sqlite3_changes(st->data) != 1)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(sql_rekey_rows) / sizeof(sql_rekey_rows[0]); i++)
		if ((rc = rekey_exec(st, sql_rekey_rows[i], old_rik, new_rik, NULL,
		    0)) != 0)
			return rc;
	return 0;
}

static const char sql_peer_list[] =
    "SELECT rik, agency_id, endpoint, verified, suspended, imported_at, "
    "last_seen_at, bundle, quota_from FROM peers ORDER BY agency_id";

void
store_peer_list_free(struct store_peer *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_peer_clear(&v[i]);
	free(v);
}

int
store_peer_list(struct store *st, struct store_peer **out, size_t *n)
{
	struct store_peer      *v = NULL, *nv, *p;
	sqlite3_stmt           *s;
	size_t                  cnt = 0;
	int                     rc;

	*out = NULL;
	*n = 0;
	if ((s = store_prep(st, st->data, sql_peer_list)) == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *txt;
		int blen = sqlite3_column_bytes(s, 7);

		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		v = nv;
		p = &v[cnt];
		memset(p, 0, sizeof(*p));
		cnt++;
		store_col_copy(s, 0, p->rik, ENV1_KEY_LEN);
		if ((txt = sqlite3_column_text(s, 1)) != NULL)
			snprintf(p->agency_id, sizeof(p->agency_id), "%s", txt);
		if ((txt = sqlite3_column_text(s, 2)) != NULL)
			snprintf(p->endpoint, sizeof(p->endpoint), "%s", txt);
		p->verified = sqlite3_column_int(s, 3);
		p->suspended = sqlite3_column_int(s, 4);
		p->imported_at = (uint64_t)sqlite3_column_int64(s, 5);
		p->last_seen_at = (uint64_t)sqlite3_column_int64(s, 6);
		p->quota_from = (uint64_t)sqlite3_column_int64(s, 8);
		if (blen <= 0 || (p->bundle = malloc((size_t)blen)) == NULL) {
			rc = blen <= 0 ? -EBADMSG : -ENOMEM;
			goto fail;
		}
		memcpy(p->bundle, sqlite3_column_blob(s, 7), (size_t)blen);
		p->bundle_len = (size_t)blen;
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(st, st->data, rc, "peer list");
		goto fail;
	}
	sqlite3_reset(s);
	*out = v;
	*n = cnt;
	return 0;
fail:
	sqlite3_reset(s);
	store_peer_list_free(v, cnt);
	return rc;
}

static const char sql_peer_unacked[] =
    "SELECT count(*) FROM outbox WHERE peer_rik = ? AND state IN (0, 1) "
    "AND msg_type <> 256";

int
store_peer_unacked(struct store *st, const uint8_t rik[ENV1_KEY_LEN], uint64_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_peer_unacked)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_err(st, st->data, rc, "peer unacked");
	sqlite3_reset(s);
	return rc;
}

/* --- threads ------------------------------------------------------------ */

static const char sql_thread_get[] =
    "SELECT peer_rik, out_seq, sealed_seq, out_last_h_inner, in_seq, "
    "in_last_h_inner FROM threads WHERE thread_id = ?";

int
store_thread_get(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    struct store_thread *t)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_thread_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memcpy(t->thread_id, thread_id, ENV1_ID_LEN);
		store_col_copy(s, 0, t->peer_rik, ENV1_KEY_LEN);
		t->out_seq = (uint64_t)sqlite3_column_int64(s, 1);
		t->sealed_seq = (uint64_t)sqlite3_column_int64(s, 2);
		store_col_copy(s, 3, t->out_last_h_inner, ENV1_HASH_LEN);
		t->in_seq = (uint64_t)sqlite3_column_int64(s, 4);
		store_col_copy(s, 5, t->in_last_h_inner, ENV1_HASH_LEN);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "thread");
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_thread_create[] =
    "INSERT INTO threads (thread_id, peer_rik, out_last_h_inner, in_last_h_inner, "
    "created_at) VALUES (?, ?, zeroblob(32), zeroblob(32), ?)";

int
store_thread_create(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    const uint8_t peer_rik[ENV1_KEY_LEN], uint64_t now)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen;
	int             rc;

	/* Make (and commit) the case key first: a probe seal creates it. */
	if ((rc = store_seal_col(st, "threads", "key", thread_id, thread_id, 1,
	    (const uint8_t *)"", 0, &blob, &bloblen)) != 0)
		return rc;
	free(blob);
	if ((s = store_prep(st, st->data, sql_thread_create)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return store_exec_stmt(st, st->data, s, "thread create");
}

static const char sql_thread_put[] =
    "UPDATE threads SET out_seq = ?, sealed_seq = ?, out_last_h_inner = ?, "
    "in_seq = ?, in_last_h_inner = ? WHERE thread_id = ?";

int
store_thread_put(struct store *st, const struct store_thread *t)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_thread_put)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)t->out_seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)t->sealed_seq);
	sqlite3_bind_blob(s, 3, t->out_last_h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t->in_seq);
	sqlite3_bind_blob(s, 5, t->in_last_h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, t->thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "thread put")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

static const char sql_thread_put_in[] =
    "UPDATE threads SET in_seq = ?, in_last_h_inner = ? WHERE thread_id = ?";

int
store_thread_put_in(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t in_seq, const uint8_t in_last_h_inner[ENV1_HASH_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_thread_put_in)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)in_seq);
	sqlite3_bind_blob(s, 2, in_last_h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "thread put in")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}
