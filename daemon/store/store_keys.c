/*
 * What keystore.db keeps (store.h): the case keys (their cache, creating
 * them, sealing and opening column blobs under them, crypto-shredding) and
 * our prekey secrets.  Every deletion here goes through the shredding
 * path, so a destroyed key survives in neither the file nor its WAL.
 * The audit anchor, the other row of keystore.db, is store_audit.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

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

/* The wrapped key of case_id as keystore.db has it: 1 found, 0 none, or a
 * negative errno. */
static int
dek_read(struct store *st, const uint8_t case_id[ENV1_ID_LEN], uint32_t *version,
    uint8_t wrapped[ATREST_WRAPPED_LEN])
{
	sqlite3_stmt   *s;
	int             rc, found = 0;

	if ((s = store_prep(st, st->keys, sql_dek_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == ATREST_WRAPPED_LEN) {
		*version = (uint32_t)sqlite3_column_int64(s, 0);
		memcpy(wrapped, sqlite3_column_blob(s, 1), ATREST_WRAPPED_LEN);
		found = 1;
	} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		found = store_err(st, st->keys, rc, "case key");
	}
	sqlite3_reset(s);
	return found;
}

/* A key made inside a data.db transaction is noted, so that a rollback
 * of its rows takes it out of keystore.db too (store_keys_undo).  A note
 * that cannot be kept leaves the key to the sweep at the next start. */
static void
newkey_note(struct store *st, const uint8_t case_id[ENV1_ID_LEN])
{
	if (!st->in_tx)
		return;
	if (st->nnew == st->capnew) {
		size_t ncap = st->capnew ? st->capnew * 2 : 64;
		void *nv = realloc(st->newkeys, ncap * sizeof(*st->newkeys));

		if (nv == NULL)
			return;
		st->newkeys = nv;
		st->capnew = ncap;
	}
	memcpy(st->newkeys[st->nnew++], case_id, ENV1_ID_LEN);
}

/* A new key for case_id into dek, wrapped and committed in keystore.db. */
static int
dek_create(struct store *st, const uint8_t case_id[ENV1_ID_LEN], uint32_t version,
    uint8_t *dek)
{
	sqlite3_stmt   *s;
	uint8_t         wrapped[ATREST_WRAPPED_LEN];
	int             rc;

	atrest_dek_new(dek);
	if (atrest_dek_wrap(st->k_dekwrap, case_id, version, dek, NULL,
	    wrapped) != ENV1_OK)
		return -EIO;
	if ((s = store_prep(st, st->keys, sql_dek_put)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, version);
	sqlite3_bind_blob(s, 3, wrapped, ATREST_WRAPPED_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->keys, s, "case key insert")) == 0)
		newkey_note(st, case_id);
	return rc;
}

/* The case key, from the cache, the keystore, or (create) made and
 * committed now. */
static int
case_dek(struct store *st, const uint8_t case_id[ENV1_ID_LEN], int create,
    struct store_dek **out)
{
	struct store_dek       *d;
	uint8_t                 wrapped[ATREST_WRAPPED_LEN];
	uint32_t                version = 0;
	int                     rc, found;

	if ((d = dek_slot(st, case_id)) != NULL) {
		d->used = ++st->clock;
		*out = d;
		return 0;
	}
	if ((found = dek_read(st, case_id, &version, wrapped)) < 0)
		return found;
	if (!found && !create)
		return -ENOENT;
	d = dek_victim(st);
	if ((d->dek = secret_alloc(ATREST_KEY_LEN)) == NULL)
		return -ENOMEM;
	if (!found) {
		version = STORE_KEY_VERSION;
		rc = dek_create(st, case_id, version, d->dek);
	} else if (atrest_dek_unwrap(st->k_dekwrap, case_id, version, wrapped,
	    d->dek) != ENV1_OK) {
		log_warnx("store: case key of %s does not unwrap",
		    log_hex(case_id, ENV1_ID_LEN));
		rc = -EBADMSG;
	} else {
		rc = 0;
	}
	if (rc != 0) {
		secret_free(d->dek);
		d->dek = NULL;
		return rc;
	}
	memcpy(d->case_id, case_id, ENV1_ID_LEN);
	d->key_version = version;
	d->used = ++st->clock;
	*out = d;
	return 0;
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

	if ((rc = store_exec(st, st->keys, "COMMIT", "keystore commit")) != 0) {
		store_exec(st, st->keys, "ROLLBACK", "keystore rollback");
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
	int rc;

	/* Journal first: a key destroyed must stay destroyed whatever copy
	 * of keystore.db comes back later. */
	if ((rc = store_journal_note(st, STORE_ERASURE_THREAD, NULL, case_id,
	    now)) != 0)
		return rc;
	return store_key_shred(st, case_id, operator_name, reason, now);
}

static const char sql_dek_present[] =
    "SELECT 1 FROM case_keys WHERE case_id = ?";

int
store_key_present(struct store *st, const uint8_t id[ENV1_ID_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->keys, sql_dek_present)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(st, st->keys, rc, "key present");
}

int
store_key_shred(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now)
{
	struct store_dek       *d;
	sqlite3_stmt           *s;
	int                     rc;

	if ((rc = store_exec(st, st->keys, "BEGIN IMMEDIATE", "shred")) != 0)
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
	log_info("store: key of case or thread %s shredded",
	    log_hex(case_id, ENV1_ID_LEN));
	return 0;
fail:
	store_exec(st, st->keys, "ROLLBACK", "shred rollback");
	return rc;
}

/* --- keys without rows ----------------------------------------------------- */

/* Nothing was ever kept under these keys (their rows did not commit):
 * a plain delete, no shredding checkpoint, drops them. */
static void
dek_drop(struct store *st, const uint8_t case_id[ENV1_ID_LEN])
{
	struct store_dek       *d;
	sqlite3_stmt           *s;

	if ((d = dek_slot(st, case_id)) != NULL) {
		secret_free(d->dek);
		d->dek = NULL;
	}
	if ((s = store_prep(st, st->keys, sql_dek_del)) == NULL)
		return;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if (store_exec_stmt(st, st->keys, s, "case key undo") != 0)
		log_warnx("store: case key %s outlives its rows; it goes at the "
		    "next start", log_hex(case_id, ENV1_ID_LEN));
}

void
store_keys_undo(struct store *st, size_t from)
{
	for (size_t i = from; i < st->nnew; i++)
		dek_drop(st, st->newkeys[i]);
	if (from < st->nnew)
		st->nnew = from;
	if (from == 0)
		st->nnew_sp = 0;
}

void
store_keys_done(struct store *st)
{
	st->nnew = st->nnew_sp = 0;
}

static const char sql_keys_all[] = "SELECT case_id FROM case_keys";
static const char sql_key_used[] =
    "SELECT 1 FROM threads WHERE thread_id = ?1 UNION ALL "
    "SELECT 1 FROM cases WHERE case_id = ?1 LIMIT 1";

/* 1 when data.db has the thread or case of case_id, 0 if not. */
static int
key_used(struct store *st, const void *case_id, int len)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_key_used)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, len, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "key use");
}

int
store_keys_collect(struct store *st, unsigned *n)
{
	sqlite3_stmt   *s;
	int             rc, used;

	*n = 0;
	if ((rc = store_exec(st, st->keys, "BEGIN IMMEDIATE", "key sweep")) != 0)
		return rc;
	if ((s = store_prep(st, st->keys, sql_keys_all)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	/* Collected first, deleted after: no delete under a live cursor. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != ENV1_ID_LEN)
			continue;
		if ((used = key_used(st, sqlite3_column_blob(s, 0), ENV1_ID_LEN)) < 0) {
			sqlite3_reset(s);
			rc = used;
			goto fail;
		}
		if (!used) {
			/* Noted as if made in a transaction (none is open at
			 * start): store_keys_undo then drops them all. */
			st->in_tx = 1;
			newkey_note(st, sqlite3_column_blob(s, 0));
			st->in_tx = 0;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = store_err(st, st->keys, rc, "key sweep");
		goto fail;
	}
	*n = (unsigned)st->nnew;
	store_keys_undo(st, 0);
	return keystore_shred_commit(st);
fail:
	store_keys_done(st);
	store_exec(st, st->keys, "ROLLBACK", "key sweep rollback");
	return rc;
}

/* --- prekey secrets ------------------------------------------------------ */

/* A prekey already held keeps its secret; only its statement may change,
 * and only for the same secret: after a RIK transition, rotate-rik signs
 * the same prekeys again as the new RIK's (PROTOCOL.md 4.4). */
static const char sql_spk_put[] =
    "INSERT INTO spk_secrets (spk_id, wrapped_sk, statement, retain_until) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (spk_id) DO UPDATE SET "
    "statement = excluded.statement WHERE spk_secrets.wrapped_sk = excluded.wrapped_sk";
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
	if ((rc = store_exec(st, st->keys, "BEGIN IMMEDIATE", "prekey expiry")) != 0)
		return rc;
	if ((s = store_prep(st, st->keys, sql_spk_expire)) == NULL) {
		store_exec(st, st->keys, "ROLLBACK", "prekey expiry");
		return -EIO;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	if ((rc = store_exec_stmt(st, st->keys, s, "prekey expiry")) != 0) {
		store_exec(st, st->keys, "ROLLBACK", "prekey expiry");
		return rc;
	}
	*deleted = (unsigned)sqlite3_changes(st->keys);
	return keystore_shred_commit(st);
}
