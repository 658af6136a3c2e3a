/*
 * The store's life: opening both databases, migrations, transactions, the
 * statement cache, case keys and their shredding, prekey secrets
 * (store.h).  Rows of data.db are in store_msgs.c and store_peers.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

/* Numbered migrations: migration i brings user_version from i to i + 1.
 * Never edit one that has shipped; append. */
static const char *const data_migrations[] = {
	/* 1: peers, threads, outbox, inbox (ledger), alerts */
	"CREATE TABLE peers ("
	"  rik BLOB PRIMARY KEY,"
	"  agency_id TEXT NOT NULL UNIQUE,"
	"  endpoint TEXT NOT NULL DEFAULT '',"
	"  verified INTEGER NOT NULL,"
	"  suspended INTEGER NOT NULL DEFAULT 0,"
	"  imported_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL DEFAULT 0,"
	"  bundle BLOB NOT NULL);"
	"CREATE TABLE threads ("
	"  thread_id BLOB PRIMARY KEY,"
	"  peer_rik BLOB NOT NULL,"
	"  out_seq INTEGER NOT NULL DEFAULT 0,"
	"  sealed_seq INTEGER NOT NULL DEFAULT 0,"
	"  out_last_h_inner BLOB NOT NULL,"
	"  in_seq INTEGER NOT NULL DEFAULT 0,"
	"  in_last_h_inner BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id BLOB NOT NULL UNIQUE,"
	"  row_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  thread_id BLOB NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  in_reply_to BLOB NOT NULL,"
	"  content_salt BLOB NOT NULL,"
	"  body_len INTEGER NOT NULL,"
	"  body BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  envelope BLOB,"
	"  signed BLOB,"
	"  h_env BLOB,"
	"  h_inner BLOB,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  sent_at INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  delivered_at INTEGER NOT NULL DEFAULT 0,"
	"  receipt_id BLOB,"
	"  UNIQUE (thread_id, seq));"
	"CREATE INDEX outbox_by_peer ON outbox (peer_rik, state, id);"
	"CREATE INDEX outbox_by_h_inner ON outbox (h_inner);"
	"CREATE INDEX outbox_by_created ON outbox (created_at);"
	/* Partial indexes keep status cheap on a store of millions: only
	 * what is in flight, and documents (not receipts) for the counts. */
	"CREATE INDEX outbox_unacked ON outbox (created_at, state, msg_type, message_id) "
	"  WHERE state IN (0, 1) AND msg_type <> 256;"
	"CREATE TABLE inbox ("
	"  id INTEGER PRIMARY KEY,"
	"  sender_rik BLOB NOT NULL,"
	"  message_id BLOB NOT NULL,"
	"  row_id BLOB NOT NULL,"
	"  thread_id BLOB NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  h_env BLOB NOT NULL,"
	"  h_inner BLOB NOT NULL,"
	"  prev_hash BLOB NOT NULL,"
	"  in_reply_to BLOB NOT NULL,"
	"  semantic BLOB NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  committed_at INTEGER NOT NULL,"
	"  body_len INTEGER NOT NULL,"
	"  evidence BLOB NOT NULL,"
	"  receipt_id BLOB NOT NULL,"
	"  UNIQUE (sender_rik, message_id));"
	"CREATE INDEX inbox_by_id ON inbox (message_id);"
	"CREATE INDEX inbox_held ON inbox (thread_id, state, seq);"
	"CREATE INDEX inbox_by_created ON inbox (received_at);"
	"CREATE INDEX inbox_documents ON inbox (state, msg_type) WHERE msg_type <> 256;"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  peer_rik BLOB,"
	"  message_id BLOB,"
	"  thread_id BLOB,"
	"  detail TEXT NOT NULL,"
	"  evidence BLOB);",
	/* 2: the referral procedure (store_case.h) */
	"CREATE TABLE cases ("
	"  case_id BLOB PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  home TEXT NOT NULL,"
	"  role INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  opened_at INTEGER NOT NULL,"
	"  closed_at INTEGER NOT NULL DEFAULT 0,"
	"  erased_at INTEGER NOT NULL DEFAULT 0,"
	"  opened_by TEXT NOT NULL,"
	"  profile BLOB,"
	"  UNIQUE (home, code));"
	"CREATE INDEX cases_by_code ON cases (code);"
	"CREATE TABLE case_threads ("
	"  thread_id BLOB PRIMARY KEY,"
	"  case_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  request INTEGER NOT NULL, reintegration INTEGER NOT NULL,"
	"  departure INTEGER NOT NULL, arrival INTEGER NOT NULL,"
	"  withdrawn INTEGER NOT NULL, erasure_confirmed INTEGER NOT NULL,"
	"  request_reply_by INTEGER NOT NULL, reint_reply_by INTEGER NOT NULL,"
	"  scheduled_arrival INTEGER NOT NULL, followups INTEGER NOT NULL,"
	"  alerted INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (case_id, peer_rik));"
	"CREATE TABLE consents ("
	"  consent_id BLOB PRIMARY KEY,"
	"  case_id BLOB NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  steps INTEGER NOT NULL,"
	"  categories INTEGER NOT NULL,"
	"  given_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  withdrawn_at INTEGER NOT NULL DEFAULT 0,"
	"  recorded_by TEXT NOT NULL,"
	"  recorded_at INTEGER NOT NULL,"
	"  source INTEGER NOT NULL,"
	"  scope BLOB);"
	"CREATE INDEX consents_by_case ON consents (case_id);"
	"CREATE TABLE held ("
	"  id INTEGER PRIMARY KEY,"
	"  held_id BLOB NOT NULL UNIQUE,"
	"  case_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  categories INTEGER NOT NULL,"
	"  missing TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  approved_by TEXT NOT NULL DEFAULT '',"
	"  released_at INTEGER NOT NULL DEFAULT 0,"
	"  message_id BLOB,"
	"  body BLOB,"
	"  safety BLOB);"
	"CREATE INDEX held_by_case ON held (case_id, state);"
	"ALTER TABLE alerts ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN case_code TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE alerts ADD COLUMN acked_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN acked_by TEXT NOT NULL DEFAULT '';"
	/* and the audit log (daemon/audit.h): append-only, each row's mac
	 * keyed from the KSK and chained to the previous row's. */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  case_code TEXT NOT NULL DEFAULT '',"
	"  message_id BLOB,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  prev BLOB NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE INDEX audit_by_case ON audit (case_code, seq);",
};

static const char *const keys_migrations[] = {
	/* 1: crypto-env1.md 4.1 */
	"CREATE TABLE case_keys ("
	"  case_id BLOB PRIMARY KEY,"
	"  key_version INTEGER NOT NULL,"
	"  wrapped_dek BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE spk_secrets ("
	"  spk_id INTEGER PRIMARY KEY,"
	"  wrapped_sk BLOB NOT NULL,"
	"  statement BLOB NOT NULL,"
	"  retain_until INTEGER NOT NULL);"
	"CREATE TABLE shred_log ("
	"  case_id BLOB NOT NULL,"
	"  shredded_at INTEGER NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  reason TEXT NOT NULL);",
	/* 2: audit log anchor: the seq and mac of the newest audit entry
	 * known committed, kept apart from data.db so that deleting the log's
	 * tail there is seen.  One row. */
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL,"
	"  mac BLOB NOT NULL);"
	"INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, zeroblob(32));",
};

int
store_err(struct store *st, sqlite3 *db, int rc, const char *what)
{
	(void)st;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		log_warnx("store: %s: disk or database full", what);
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		log_warnx("store: %s: %s", what, db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		return -EIO;
	}
}

sqlite3_stmt *
store_prep(struct store *st, sqlite3 *db, const char *sql)
{
	struct store_stmt *s;
	int rc;

	for (size_t i = 0; i < st->nstmts; i++) {
		s = &st->stmts[i];
		if (s->sql == sql && s->db == db) {
			sqlite3_reset(s->stmt);
			sqlite3_clear_bindings(s->stmt);
			return s->stmt;
		}
	}
	if (st->nstmts == STORE_STMT_CACHE)
		fatalx("store: statement cache full");
	s = &st->stmts[st->nstmts];
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("store: prepare: %s", sqlite3_errmsg(db));
		return NULL;
	}
	s->sql = sql;
	s->db = db;
	st->nstmts++;
	return s->stmt;
}

int
store_exec_stmt(struct store *st, sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	rc = rc == SQLITE_DONE ? 0 : store_err(st, db, rc, what);
	sqlite3_reset(s);
	return rc;
}

void
store_col_copy(sqlite3_stmt *s, int col, void *dst, size_t len)
{
	const void *p = sqlite3_column_blob(s, col);

	if (p != NULL && (size_t)sqlite3_column_bytes(s, col) == len)
		memcpy(dst, p, len);
	else
		memset(dst, 0, len);
}

static int
exec(struct store *st, sqlite3 *db, const char *sql, const char *what)
{
	char   *msg = NULL;
	int     rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		rc = store_err(st, db, rc, what);
		if (msg != NULL)
			log_debug("store: %s: %s", what, msg);
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt   *s;
	int             rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Bring db to the newest version, one transaction per migration. */
static int
migrate(struct store *st, sqlite3 *db, const char *const *steps, int nsteps,
    const char *name, char **cause)
{
	char    sql[64];
	int     v, rc;

	if ((rc = user_version(db, &v)) != 0) {
		if (asprintf(cause, "%s: cannot read its schema version", name) < 0)
			*cause = NULL;
		return rc;
	}
	if (v > nsteps) {
		if (asprintf(cause, "%s: schema version %d is newer than this "
		    "homewardd (%d): upgrade homewardd", name, v, nsteps) < 0)
			*cause = NULL;
		return -EPROTONOSUPPORT;
	}
	for (; v < nsteps; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec(st, db, "BEGIN IMMEDIATE", "migrate")) != 0 ||
		    (rc = exec(st, db, steps[v], "migrate")) != 0 ||
		    (rc = exec(st, db, sql, "migrate")) != 0 ||
		    (rc = exec(st, db, "COMMIT", "migrate")) != 0) {
			exec(st, db, "ROLLBACK", "migrate");
			if (asprintf(cause, "%s: migration %d failed", name, v + 1) < 0)
				*cause = NULL;
			return rc;
		}
		log_info("store: %s migrated to schema version %d", name, v + 1);
	}
	return 0;
}

static int
open_db(struct store *st, const char *dir, const char *name, int secure,
    sqlite3 **out, char **cause)
{
	char    path[PATH_MAX];
	int     rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		if (asprintf(cause, "%s: path too long", dir) < 0)
			*cause = NULL;
		return -ENAMETOOLONG;
	}
	rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (asprintf(cause, "%s: %s", path, *out != NULL ?
		    sqlite3_errmsg(*out) : sqlite3_errstr(rc)) < 0)
			*cause = NULL;
		sqlite3_close(*out);
		*out = NULL;
		return -EIO;
	}
	sqlite3_busy_timeout(*out, 5000);
	sqlite3_extended_result_codes(*out, 1);
	/* synchronous=FULL: in WAL mode NORMAL would lose the last commits on
	 * power loss, and a receipt promises durability. */
	if ((rc = exec(st, *out, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA foreign_keys = ON;", name)) != 0 ||
	    (secure && (rc = exec(st, *out, "PRAGMA secure_delete = ON", name)) != 0)) {
		if (asprintf(cause, "%s: cannot set its pragmas", path) < 0)
			*cause = NULL;
		return rc;
	}
	chmod(path, 0600);
	return 0;
}

int
store_open(const char *dir, const uint8_t ksk[ATREST_KEY_LEN], struct store **out,
    char **cause)
{
	struct store   *st;
	int             rc;

	*out = NULL;
	*cause = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	st->k_spkwrap = secret_alloc(ATREST_KEY_LEN);
	st->k_dekwrap = secret_alloc(ATREST_KEY_LEN);
	st->k_audit = secret_alloc(STORE_AUDIT_KEY_LEN);
	/* The audit MAC key has its own label: whoever holds data.db alone
	 * can neither forge an entry nor re-hash an edited chain. */
	if (st->k_spkwrap == NULL || st->k_dekwrap == NULL || st->k_audit == NULL ||
	    atrest_derive_keys(ksk, st->k_spkwrap, st->k_dekwrap) != ENV1_OK ||
	    crypto_kdf_derive_from_key(st->k_audit, STORE_AUDIT_KEY_LEN, 1,
	    STORE_AUDIT_KDF_CTX, ksk) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = open_db(st, dir, "data.db", 0, &st->data, cause)) != 0 ||
	    (rc = open_db(st, dir, "keystore.db", 1, &st->keys, cause)) != 0 ||
	    (rc = migrate(st, st->data, data_migrations,
	    (int)(sizeof(data_migrations) / sizeof(data_migrations[0])),
	    "data.db", cause)) != 0 ||
	    (rc = migrate(st, st->keys, keys_migrations,
	    (int)(sizeof(keys_migrations) / sizeof(keys_migrations[0])),
	    "keystore.db", cause)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	for (size_t i = 0; i < STORE_DEK_CACHE; i++)
		secret_free(st->deks[i].dek);
	sqlite3_close(st->data);
	sqlite3_close(st->keys);
	secret_free(st->k_spkwrap);
	secret_free(st->k_dekwrap);
	secret_free(st->k_audit);
	free(st);
}

int
store_set_max_pages(struct store *st, uint32_t pages)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %u", pages);
	return exec(st, st->data, sql, "max_page_count");
}

int
store_set_max_mb(struct store *st, uint64_t mb)
{
	sqlite3_stmt   *s;
	uint64_t        page = 4096, pages;

	if (sqlite3_prepare_v2(st->data, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			page = (uint64_t)sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	pages = mb == 0 ? 0xfffffffeu : mb * 1024 * 1024 / page;
	if (pages > 0xfffffffeu)
		pages = 0xfffffffeu;
	return store_set_max_pages(st, (uint32_t)pages);
}

int
store_begin(struct store *st)
{
	int rc;

	if (st->in_tx)
		fatalx("store: nested transaction");
	if ((rc = exec(st, st->data, "BEGIN IMMEDIATE", "begin")) == 0)
		st->in_tx = 1;
	return rc;
}

int
store_commit(struct store *st)
{
	int rc = exec(st, st->data, "COMMIT", "commit");

	if (rc != 0)
		store_rollback(st);
	st->in_tx = 0;
	return rc;
}

void
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->data) == 0)
		exec(st, st->data, "ROLLBACK", "rollback");
	st->in_tx = 0;
}

int
store_savepoint(struct store *st)
{
	return exec(st, st->data, "SAVEPOINT item", "savepoint");
}

int
store_savepoint_release(struct store *st)
{
	return exec(st, st->data, "RELEASE item", "release");
}

void
store_savepoint_rollback(struct store *st)
{
	exec(st, st->data, "ROLLBACK TO item", "rollback to");
	exec(st, st->data, "RELEASE item", "release");
}

int
store_in_tx(const struct store *st)
{
	return st->in_tx;
}

/* --- case keys ----------------------------------------------------------- */

static struct store_dek *
dek_slot(struct store *st, const uint8_t case_id[ENV1_ID_LEN])
{
	for (size_t i = 0; i < STORE_DEK_CACHE; i++)
		if (st->deks[i].dek != NULL &&
		    memcmp(st->deks[i].case_id, case_id, ENV1_ID_LEN) == 0)
			return &st->deks[i];
	return NULL;
}

static struct store_dek *
dek_victim(struct store *st)
{
	struct store_dek *v = &st->deks[0];

	for (size_t i = 0; i < STORE_DEK_CACHE; i++) {
		if (st->deks[i].dek == NULL)
			return &st->deks[i];
		if (st->deks[i].used < v->used)
			v = &st->deks[i];
	}
	secret_free(v->dek);
	v->dek = NULL;
	return v;
}

static const char sql_dek_get[] =
    "SELECT key_version, wrapped_dek FROM case_keys WHERE case_id = ?";
static const char sql_dek_put[] =
    "INSERT INTO case_keys (case_id, key_version, wrapped_dek, created_at) "
    "VALUES (?, ?, ?, strftime('%s','now') * 1000)";

/* The case key, from the cache, the keystore, or (create) made and
 * committed now. */
static int
case_dek(struct store *st, const uint8_t case_id[ENV1_ID_LEN], int create,
    struct store_dek **out)
{
	struct store_dek       *d;
	sqlite3_stmt           *s;
	uint8_t                 wrapped[ATREST_WRAPPED_LEN];
	uint32_t                version = 0;
	int                     rc, found = 0;

	if ((d = dek_slot(st, case_id)) != NULL) {
		d->used = ++st->clock;
		*out = d;
		return 0;
	}
	if ((s = store_prep(st, st->keys, sql_dek_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == ATREST_WRAPPED_LEN) {
		version = (uint32_t)sqlite3_column_int64(s, 0);
		memcpy(wrapped, sqlite3_column_blob(s, 1), ATREST_WRAPPED_LEN);
		found = 1;
	} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = store_err(st, st->keys, rc, "case key");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	if (!found && !create)
		return -ENOENT;
	d = dek_victim(st);
	if ((d->dek = secret_alloc(ATREST_KEY_LEN)) == NULL)
		return -ENOMEM;
	if (found) {
		if (atrest_dek_unwrap(st->k_dekwrap, case_id, version, wrapped,
		    d->dek) != ENV1_OK) {
			log_warnx("store: case key of %s does not unwrap",
			    log_hex(case_id, ENV1_ID_LEN));
			rc = -EBADMSG;
			goto fail;
		}
	} else {
		version = STORE_KEY_VERSION;
		atrest_dek_new(d->dek);
		if (atrest_dek_wrap(st->k_dekwrap, case_id, version, d->dek, NULL,
		    wrapped) != ENV1_OK) {
			rc = -EIO;
			goto fail;
		}
		if ((s = store_prep(st, st->keys, sql_dek_put)) == NULL) {
			rc = -EIO;
			goto fail;
		}
		sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, version);
		sqlite3_bind_blob(s, 3, wrapped, ATREST_WRAPPED_LEN, SQLITE_STATIC);
		if ((rc = store_exec_stmt(st, st->keys, s, "case key insert")) != 0)
			goto fail;
	}
	memcpy(d->case_id, case_id, ENV1_ID_LEN);
	d->key_version = version;
	d->used = ++st->clock;
	*out = d;
	return 0;
fail:
	secret_free(d->dek);
	d->dek = NULL;
	return rc;
}

int
store_seal_col(struct store *st, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    int create, const uint8_t *pt, size_t len, uint8_t **blob, size_t *bloblen)
{
	struct atrest_col_ref   ref;
	struct store_dek       *d;
	int                     rc;

	if ((rc = case_dek(st, case_id, create, &d)) != 0)
		return rc;
	ref.table = table;
	ref.column = column;
	memcpy(ref.row_id, row_id, ENV1_ID_LEN);
	memcpy(ref.case_id, case_id, ENV1_ID_LEN);
	ref.key_version = d->key_version;
	return atrest_col_seal(d->dek, &ref, pt, len, blob, bloblen) == ENV1_OK ?
	    0 : -ENOMEM;
}

int
store_open_col(struct store *st, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    const void *blob, size_t bloblen, uint8_t **pt, size_t *ptlen)
{
	struct atrest_col_ref   ref;
	struct store_dek       *d;
	int                     rc;

	if ((rc = case_dek(st, case_id, 0, &d)) != 0)
		return rc == -ENOENT ? -EBADMSG : rc;
	ref.table = table;
	ref.column = column;
	memcpy(ref.row_id, row_id, ENV1_ID_LEN);
	memcpy(ref.case_id, case_id, ENV1_ID_LEN);
	ref.key_version = d->key_version;
	if (atrest_col_open(d->dek, &ref, blob, bloblen, pt, ptlen) != ENV1_OK) {
		log_warnx("store: %s.%s of case %s does not decrypt", table, column,
		    log_hex(case_id, ENV1_ID_LEN));
		return -EBADMSG;
	}
	return 0;
}

/* Delete rows from keystore.db so that neither the file nor its WAL keeps
 * them: secure_delete overwrites the freed cells, and the checkpoint with
 * TRUNCATE copies the overwritten pages home and empties the WAL. */
static int
keystore_shred_commit(struct store *st)
{
	int rc, logsz = 0, ckpt = 0;

	if ((rc = exec(st, st->keys, "COMMIT", "keystore commit")) != 0) {
		exec(st, st->keys, "ROLLBACK", "keystore rollback");
		return rc;
	}
	rc = sqlite3_wal_checkpoint_v2(st->keys, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    &logsz, &ckpt);
	if (rc != SQLITE_OK)
		return store_err(st, st->keys, rc, "keystore checkpoint");
	return 0;
}

static const char sql_dek_del[] = "DELETE FROM case_keys WHERE case_id = ?";
static const char sql_shred_log[] =
    "INSERT INTO shred_log (case_id, shredded_at, operator, reason) VALUES (?, ?, ?, ?)";

int
store_case_shred(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now)
{
	struct store_dek       *d;
	sqlite3_stmt           *s;
	int                     rc;

	if ((rc = exec(st, st->keys, "BEGIN IMMEDIATE", "shred")) != 0)
		return rc;
	if ((s = store_prep(st, st->keys, sql_dek_del)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->keys, s, "shred")) != 0)
		goto fail;
	if ((s = store_prep(st, st->keys, sql_shred_log)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_text(s, 3, operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->keys, s, "shred log")) != 0)
		goto fail;
	/* Forget the cached key first: once the delete is committed the case
	 * is erased, whatever the checkpoint then says. */
	if ((d = dek_slot(st, case_id)) != NULL) {
		secret_free(d->dek);
		d->dek = NULL;
	}
	if ((rc = keystore_shred_commit(st)) != 0)
		return rc;
	log_info("store: case %s shredded", log_hex(case_id, ENV1_ID_LEN));
	return 0;
fail:
	exec(st, st->keys, "ROLLBACK", "shred rollback");
	return rc;
}

/* --- prekey secrets ------------------------------------------------------ */

static const char sql_spk_put[] =
    "INSERT OR IGNORE INTO spk_secrets (spk_id, wrapped_sk, statement, retain_until) "
    "VALUES (?, ?, ?, ?)";
static const char sql_spk_list[] =
    "SELECT wrapped_sk, statement FROM spk_secrets ORDER BY spk_id";
static const char sql_spk_expire[] = "DELETE FROM spk_secrets WHERE retain_until < ?";

int
store_spk_put(struct store *st, const struct store_spk *k)
{
	uint8_t         stmt[STMT_SPK_LEN];
	sqlite3_stmt   *s;

	stmt_spk_encode(&k->stmt, stmt);
	if ((s = store_prep(st, st->keys, sql_spk_put)) == NULL)
		return -EIO;
	/* spk_id is a random u64: stored as its two's-complement i64. */
	sqlite3_bind_int64(s, 1, (sqlite3_int64)k->stmt.spk_id);
	sqlite3_bind_blob(s, 2, k->wrapped, ATREST_WRAPPED_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, stmt, STMT_SPK_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)k->stmt.retain_until);
	return store_exec_stmt(st, st->keys, s, "prekey insert");
}

int
store_spk_list(struct store *st, struct store_spk **out, size_t *n)
{
	struct store_spk       *v = NULL, *nv;
	sqlite3_stmt           *s;
	size_t                  cnt = 0;
	int                     rc;

	*out = NULL;
	*n = 0;
	if ((s = store_prep(st, st->keys, sql_spk_list)) == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != ATREST_WRAPPED_LEN ||
		    sqlite3_column_bytes(s, 1) != STMT_SPK_LEN) {
			rc = -EBADMSG;
			goto fail;
		}
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		v = nv;
		memcpy(v[cnt].wrapped, sqlite3_column_blob(s, 0), ATREST_WRAPPED_LEN);
		if (stmt_spk_decode(sqlite3_column_blob(s, 1), STMT_SPK_LEN,
		    &v[cnt].stmt) != ENV1_OK) {
			rc = -EBADMSG;
			goto fail;
		}
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(st, st->keys, rc, "prekey list");
		goto fail;
	}
	sqlite3_reset(s);
	*out = v;
	*n = cnt;
	return 0;
fail:
	sqlite3_reset(s);
	if (v != NULL)
		sodium_memzero(v, cnt * sizeof(*v));
	free(v);
	return rc;
}

int
store_spk_unwrap(struct store *st, const struct store_spk *k, uint8_t *sk)
{
	return atrest_spk_unwrap(st->k_spkwrap, k->stmt.spk_id, k->wrapped, sk) ==
	    ENV1_OK ? 0 : -EBADMSG;
}

int
store_spk_wrap(struct store *st, uint64_t spk_id, const uint8_t *sk,
    uint8_t wrapped[ATREST_WRAPPED_LEN])
{
	return atrest_spk_wrap(st->k_spkwrap, spk_id, sk, NULL, wrapped) == ENV1_OK ?
	    0 : -EIO;
}

int
store_spk_expire(struct store *st, uint64_t now, unsigned *deleted)
{
	sqlite3_stmt   *s;
	int             rc;

	*deleted = 0;
	if ((rc = exec(st, st->keys, "BEGIN IMMEDIATE", "prekey expiry")) != 0)
		return rc;
	if ((s = store_prep(st, st->keys, sql_spk_expire)) == NULL) {
		exec(st, st->keys, "ROLLBACK", "prekey expiry");
		return -EIO;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	if ((rc = store_exec_stmt(st, st->keys, s, "prekey expiry")) != 0) {
		exec(st, st->keys, "ROLLBACK", "prekey expiry");
		return rc;
	}
	*deleted = (unsigned)sqlite3_changes(st->keys);
	return keystore_shred_commit(st);
}
