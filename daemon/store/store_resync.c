/*
 * Re-synchronisation after a restore (store_resync.h, PROTOCOL.md 9.5):
 * the flag per peer, the instance nonce, and the rows both sides read and
 * change.  Every update names the peer: what one partner says can only
 * touch that partner's rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "daemon/base/log.h"
#include "daemon/store/store.h"
#include "daemon/store/store_int.h"
#include "daemon/store/store_resync.h"

#define INSTANCE_LEN    16

int
store_resync_mark_all(struct store *st)
{
	return store_exec(st, st->data, "UPDATE peers SET resync = 1", "resync mark");
}

static const char sql_pending[] = "SELECT resync FROM peers WHERE rik = ?";

int
store_resync_pending(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    int *pending)
{
	sqlite3_stmt   *s;
	int             rc;

	*pending = 0;
	if ((s = store_prep(st, st->data, sql_pending)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*pending = sqlite3_column_int(s, 0) != 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_err(st, st->data, rc, "resync pending");
	sqlite3_reset(s);
	return rc;
}

static const char sql_clear[] = "UPDATE peers SET resync = 0 WHERE rik = ?";

int
store_resync_clear(struct store *st, const uint8_t rik[ENV1_KEY_LEN])
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_clear)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "resync clear");
}

/* --- the instance nonce ------------------------------------------------- */

static const char sql_inst_get[] = "SELECT nonce FROM instance WHERE id = 1";
static const char sql_inst_put[] =
    "INSERT OR REPLACE INTO instance (id, nonce) VALUES (1, ?)";

/* The file's nonce: 1 read, 0 absent, negative on error. */
static int
instance_file_read(const char *path, uint8_t n[INSTANCE_LEN])
{
	int     fd, got;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -errno;
	got = (int)read(fd, n, INSTANCE_LEN);
	close(fd);
	return got == INSTANCE_LEN ? 1 : 0;
}

static int
instance_file_write(const char *dir, const char *path, const uint8_t n[INSTANCE_LEN])
{
	char    tmp[4096];
	int     fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, STORE_INSTANCE_FILE) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -errno;
	ok = write(fd, n, INSTANCE_LEN) == INSTANCE_LEN && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int
store_resync_instance(struct store *st, const char *dir, int *restored)
{
	sqlite3_stmt   *s;
	char            path[4096];
	uint8_t         in_db[INSTANCE_LEN], in_file[INSTANCE_LEN], fresh[INSTANCE_LEN];
	int             have_db = 0, have_file, rc;

	*restored = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, STORE_INSTANCE_FILE) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((s = store_prep(st, st->data, sql_inst_get)) == NULL)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == INSTANCE_LEN) {
		memcpy(in_db, sqlite3_column_blob(s, 0), INSTANCE_LEN);
		have_db = 1;
	}
	sqlite3_reset(s);
	if ((have_file = instance_file_read(path, in_file)) < 0)
		return have_file;
	if (have_db && have_file && sodium_memcmp(in_db, in_file, INSTANCE_LEN) != 0) {
		if ((rc = store_resync_mark_all(st)) != 0)
			return rc;
		*restored = 1;
	}
	/* A fresh nonce for this run: data.db first, then the file.  A crash
	 * between the two costs one needless resync, never a missed one. */
	randombytes_buf(fresh, INSTANCE_LEN);
	if ((s = store_prep(st, st->data, sql_inst_put)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, fresh, INSTANCE_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "instance")) != 0)
		return rc;
	return instance_file_write(dir, path, fresh);
}

/* --- the restored side -------------------------------------------------- */

static const char sql_claims[] =
    "SELECT thread_id, sealed_seq, in_seq FROM threads WHERE peer_rik = ?1 "
    "AND (?2 IS NULL OR thread_id > ?2) ORDER BY thread_id LIMIT ?3";

int
store_resync_claims(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t *after, struct store_resync_claim *v, size_t max, size_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_claims)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	store_bind_blob_or_null(s, 2, after, ENV1_ID_LEN);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != ENV1_ID_LEN)
			continue;
		memcpy(v[*n].thread_id, sqlite3_column_blob(s, 0), ENV1_ID_LEN);
		v[*n].sent_seq = (uint64_t)sqlite3_column_int64(s, 1);
		v[*n].received_seq = (uint64_t)sqlite3_column_int64(s, 2);
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "resync claims");
	sqlite3_reset(s);
	return rc;
}

static const char sql_row_state[] =
    "SELECT state FROM outbox WHERE message_id = ? AND peer_rik = ? AND thread_id = ?";
/* The partner's receipt may have come already (it re-sends them before
 * its state): its id is then in our ledger. */
static const char sql_mark_held[] =
    "UPDATE outbox SET state = 2, h_env = ?1, h_inner = ?2, delivered_at = ?3, "
    "receipt_id = (SELECT i.message_id FROM inbox i WHERE i.sender_rik = ?5 AND "
    "i.thread_id = ?6 AND i.in_reply_to = ?4 AND i.msg_type = 256) "
    "WHERE message_id = ?4 AND peer_rik = ?5 AND thread_id = ?6 AND state = 0";

int
store_resync_mark_held(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], const struct store_resync_held *h,
    uint64_t at, int *found)
{
	sqlite3_stmt   *s;
	int             rc, state = -1;

	*found = 0;
	if ((s = store_prep(st, st->data, sql_row_state)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		state = sqlite3_column_int(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_err(st, st->data, rc, "resync row");
	sqlite3_reset(s);
	if (rc != 0 || state < 0)
		return rc;
	if (state != OUT_WAITING) {
		*found = 2;
		return 0;
	}
	if ((s = store_prep(st, st->data, sql_mark_held)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h->h_env, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h->h_inner, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)at);
	sqlite3_bind_blob(s, 4, h->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "resync mark held")) == 0)
		*found = 1;
	return rc;
}

/* The waiting rows move above seq, keeping their order: first to negative
 * positions (UNIQUE (thread_id, seq) holds at every step), then back. */
static const char sql_renumber[] =
    "UPDATE outbox SET seq = -(?1 + r.rn) FROM (SELECT id, row_number() OVER "
    "(ORDER BY seq) AS rn FROM outbox WHERE thread_id = ?2 AND peer_rik = ?3 "
    "AND state = 0) AS r WHERE outbox.id = r.id";
static const char sql_unnegate[] =
    "UPDATE outbox SET seq = -seq WHERE thread_id = ? AND seq < 0";
static const char sql_forward[] =
    "UPDATE threads SET sealed_seq = ?1, out_last_h_inner = ?2, out_seq = ?1 + "
    "(SELECT COUNT(*) FROM outbox WHERE thread_id = ?3 AND state = 0) "
    "WHERE thread_id = ?3 AND peer_rik = ?4 AND sealed_seq < ?1";

int
store_resync_forward(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t seq,
    const uint8_t h[ENV1_HASH_LEN], uint64_t now)
{
	struct store_thread     t;
	sqlite3_stmt           *s;
	int                     rc;

	rc = store_thread_get(st, thread_id, &t);
	if (rc == -ENOENT)
		rc = store_thread_create(st, thread_id, rik, now);
	else if (rc == 0 && memcmp(t.peer_rik, rik, ENV1_KEY_LEN) != 0)
		return -EPERM;
	if (rc != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_renumber)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(s, 2, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "resync renumber")) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_unnegate)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "resync renumber")) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_forward)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(s, 2, h, ENV1_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "resync forward");
}

static const char sql_case_code[] =
    "SELECT c.code FROM case_threads t JOIN cases c ON c.case_id = t.case_id "
    "WHERE t.thread_id = ?";

int
store_resync_case_code(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    char *code, size_t len)
{
	sqlite3_stmt   *s;
	int             rc;

	code[0] = '\0';
	if ((s = store_prep(st, st->data, sql_case_code)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		store_col_text(s, 0, code, len);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_err(st, st->data, rc, "resync case");
	sqlite3_reset(s);
	return rc;
}

/* --- the answering side ------------------------------------------------- */

static const char sql_threads[] =
    "SELECT thread_id, sealed_seq, in_seq, in_last_h_inner FROM threads "
    "WHERE peer_rik = ?1 AND (?2 IS NULL OR thread_id > ?2) AND "
    "(?3 IS NULL OR thread_id <= ?3) ORDER BY thread_id LIMIT ?4";

int
store_resync_threads(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t *after, const uint8_t *upto, struct store_resync_thread *v,
    size_t max, size_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_threads)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	store_bind_blob_or_null(s, 2, after, ENV1_ID_LEN);
	store_bind_blob_or_null(s, 3, upto, ENV1_ID_LEN);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != ENV1_ID_LEN)
			continue;
		memcpy(v[*n].thread_id, sqlite3_column_blob(s, 0), ENV1_ID_LEN);
		v[*n].own_seq = (uint64_t)sqlite3_column_int64(s, 1);
		v[*n].in_seq = (uint64_t)sqlite3_column_int64(s, 2);
		store_col_copy(s, 3, v[*n].in_last_h_inner, ENV1_HASH_LEN);
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "resync threads");
	sqlite3_reset(s);
	return rc;
}

static const char sql_held[] =
    "SELECT message_id, msg_type, h_env, h_inner FROM inbox WHERE sender_rik = ? "
    "AND thread_id = ? AND seq > ? AND state = 1 ORDER BY seq LIMIT ?";

int
store_resync_held_list(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from,
    struct store_resync_held *v, size_t max, size_t *n, int *more)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	*more = 0;
	if ((s = store_prep(st, st->data, sql_held)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == max) {
			*more = 1;
			continue;
		}
		store_col_copy(s, 0, v[*n].message_id, ENV1_ID_LEN);
		v[*n].msg_type = (uint16_t)sqlite3_column_int(s, 1);
		store_col_copy(s, 2, v[*n].h_env, ENV1_HASH_LEN);
		store_col_copy(s, 3, v[*n].h_inner, ENV1_HASH_LEN);
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "resync held");
	sqlite3_reset(s);
	return rc;
}

static const char sql_requeue[] =
    "UPDATE outbox SET state = 1, next_attempt_at = 0 WHERE peer_rik = ? AND "
    "thread_id = ? AND seq > ? AND state = 2 AND msg_type <> 256 AND "
    "envelope IS NOT NULL";

int
store_resync_requeue(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from, uint64_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_requeue)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
	if ((rc = store_exec_stmt(st, st->data, s, "resync requeue")) == 0)
		*n = (uint64_t)sqlite3_changes(st->data);
	return rc;
}

static const char sql_receipts[] =
    "SELECT message_id FROM outbox WHERE peer_rik = ? AND thread_id = ? AND "
    "seq > ? AND state = 3 ORDER BY seq LIMIT ?";

int
store_resync_receipts(struct store *st, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from,
    uint8_t (*ids)[ENV1_ID_LEN], size_t max, size_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	*n = 0;
	if ((s = store_prep(st, st->data, sql_receipts)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		store_col_copy(s, 0, ids[(*n)++], ENV1_ID_LEN);
	rc = rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "resync receipts");
	sqlite3_reset(s);
	return rc;
}
