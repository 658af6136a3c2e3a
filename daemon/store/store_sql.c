/*
 * The store's plumbing, shared by every file of daemon/store/ and calling
 * none of them: the statement cache, SQLite results mapped to store.h's
 * errno values, one-off SQL, and the column readers (store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"

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

int
store_exec(struct store *st, sqlite3 *db, const char *sql, const char *what)
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

int
store_one_row(struct store *st, sqlite3_stmt *s,
    void (*fill)(sqlite3_stmt *, void *), void *out, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		fill(s, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, what);
	}
	sqlite3_reset(s);
	return rc;
}

void
store_bind_blob_or_null(sqlite3_stmt *s, int col, const void *p, size_t len)
{
	if (p != NULL)
		sqlite3_bind_blob(s, col, p, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
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

void
store_col_text(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t != NULL ? (const char *)t : "");
}
