/*
 * The store's life (store.h): opening data.db and keystore.db with their
 * pragmas, the migrations run at open (store_schema.c), closing, the size
 * limit of data.db, and the transactions and savepoints on it.  Rows are
 * the other store_*.c files'; keystore.db's keys are store_keys.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

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
	if ((rc = store_exec(st, *out, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA foreign_keys = ON;", name)) != 0 ||
	    (secure && (rc = store_exec(st, *out, "PRAGMA secure_delete = ON", name)) != 0)) {
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
	unsigned        orphans = 0;
	int             rc;

	*out = NULL;
	*cause = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	st->journal_fd = -1;
	st->k_spkwrap = secret_alloc(ATREST_KEY_LEN);
	st->k_dekwrap = secret_alloc(ATREST_KEY_LEN);
	st->k_audit = secret_alloc(STORE_AUDIT_KEY_LEN);
	st->k_backup = secret_alloc(STORE_BACKUP_KEY_LEN);
	/* The audit MAC key has its own label: whoever holds data.db alone
	 * can neither forge an entry nor re-hash an edited chain. */
	if (st->k_spkwrap == NULL || st->k_dekwrap == NULL || st->k_audit == NULL ||
	    st->k_backup == NULL || (st->dir = strdup(dir)) == NULL ||
	    atrest_derive_keys(ksk, st->k_spkwrap, st->k_dekwrap) != ENV1_OK ||
	    crypto_kdf_derive_from_key(st->k_audit, STORE_AUDIT_KEY_LEN, 1,
	    STORE_AUDIT_KDF_CTX, ksk) != 0 ||
	    crypto_kdf_derive_from_key(st->k_backup, STORE_BACKUP_KEY_LEN, 1,
	    STORE_BACKUP_KDF_CTX, ksk) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = open_db(st, dir, "data.db", 0, &st->data, cause)) != 0 ||
	    (rc = open_db(st, dir, "keystore.db", 1, &st->keys, cause)) != 0 ||
	    (rc = store_migrate(st, dir, cause)) != 0)
		goto fail;
	/* Before anything can erase: no erasure goes unrecorded. */
	if ((rc = store_journal_open(dir, &st->journal_fd)) != 0) {
		if (asprintf(cause, "%s/" STORE_JOURNAL_NAME ": %s", dir,
		    strerror(-rc)) < 0)
			*cause = NULL;
		goto fail;
	}
	store_premigrate_prune(dir, clock_now());
	/* Not fatal: a damaged file is reported by what reads it, and
	 * nothing is deleted unless both files answered. */
	if (store_keys_collect(st, &orphans) != 0)
		log_warnx("store: case keys without rows not collected");
	else if (orphans > 0)
		log_info("store: %u case key(s) without rows (a crash between the "
		    "commits of keystore.db and data.db) deleted", orphans);
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
	store_request_disarm(st);
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	for (size_t i = 0; i < STORE_DEK_CACHE; i++)
		secret_free(st->deks[i].dek);
	free(st->newkeys);
	sqlite3_close(st->data);
	sqlite3_close(st->keys);
	secret_free(st->k_spkwrap);
	secret_free(st->k_dekwrap);
	secret_free(st->k_audit);
	secret_free(st->k_backup);
	if (st->journal_fd >= 0)
		close(st->journal_fd);
	free(st->dir);
	free(st);
}

int
store_set_max_pages(struct store *st, uint32_t pages)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %u", pages);
	return store_exec(st, st->data, sql, "max_page_count");
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
	if ((rc = store_exec(st, st->data, "BEGIN IMMEDIATE", "begin")) == 0)
		st->in_tx = 1;
	return rc;
}

int
store_commit(struct store *st)
{
	int rc;

	/* The request id goes in the same transaction as what it did. */
	if ((rc = store_request_commit(st)) == 0)
		rc = store_exec(st, st->data, "COMMIT", "commit");
	if (rc != 0)
		store_rollback(st);
	else
		store_keys_done(st);
	st->in_tx = 0;
	return rc;
}

void
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->data) == 0)
		store_exec(st, st->data, "ROLLBACK", "rollback");
	store_request_rolled_back(st);
	store_keys_undo(st, 0);
	st->in_tx = 0;
}

int
store_savepoint(struct store *st)
{
	st->nnew_sp = st->nnew;
	return store_exec(st, st->data, "SAVEPOINT item", "savepoint");
}

int
store_savepoint_release(struct store *st)
{
	return store_exec(st, st->data, "RELEASE item", "release");
}

void
store_savepoint_rollback(struct store *st)
{
	store_exec(st, st->data, "ROLLBACK TO item", "rollback to");
	store_exec(st, st->data, "RELEASE item", "release");
	store_keys_undo(st, st->nnew_sp);
}

int
store_in_tx(const struct store *st)
{
	return st->in_tx;
}

int
store_tx_alive(const struct store *st)
{
	return st->in_tx && sqlite3_get_autocommit(st->data) == 0;
}
