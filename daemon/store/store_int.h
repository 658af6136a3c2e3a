/*
 * What the store's files share and nothing else may see: the connection
 * handles, the statement cache, the case-key cache and the helpers that
 * turn SQLite results into the errno values of store.h.
 */
#ifndef HOMEWARD_DAEMON_STORE_INT_H
#define HOMEWARD_DAEMON_STORE_INT_H

#include <sqlite3.h>

#include "daemon/store/store.h"

#define STORE_STMT_CACHE        96
#define STORE_DEK_CACHE         32
#define STORE_KEY_VERSION       1
#define STORE_AUDIT_KEY_LEN     32
#define STORE_AUDIT_KDF_CTX     "HWAUDIT1"      /* kdf(1, ctx, KSK) */

struct store_stmt {
	const char     *sql;            /* a string literal: cached by address */
	sqlite3        *db;
	sqlite3_stmt   *stmt;
};

struct store_dek {
	uint8_t         case_id[ENV1_ID_LEN];
	uint32_t        key_version;
	uint8_t        *dek;            /* secret_alloc'ed; NULL: slot free */
	uint64_t        used;           /* LRU clock */
};

struct store {
	sqlite3                *data;
	sqlite3                *keys;
	int                     in_tx;
	uint8_t                *k_spkwrap;     /* secret */
	uint8_t                *k_dekwrap;     /* secret */
	uint8_t                *k_audit;       /* secret: audit log MAC key */
	struct store_stmt       stmts[STORE_STMT_CACHE];
	size_t                  nstmts;
	struct store_dek        deks[STORE_DEK_CACHE];
	uint64_t                clock;
};

/* The cached, reset statement for sql on db; NULL (logged) on failure. */
sqlite3_stmt *store_prep(struct store *, sqlite3 *db, const char *sql);
/* Map an SQLite result code to store.h's errno values, logging what. */
int store_err(struct store *, sqlite3 *db, int rc, const char *what);
/* Step a statement that returns no rows; 0 or an errno. */
int store_exec_stmt(struct store *, sqlite3 *db, sqlite3_stmt *, const char *what);

/* Column blobs under the case key of case_id (created when create). */
int store_seal_col(struct store *, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    int create, const uint8_t *pt, size_t len, uint8_t **blob, size_t *bloblen);
int store_open_col(struct store *, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    const void *blob, size_t bloblen, uint8_t **pt, size_t *ptlen);

/* Copy a blob column of exactly len bytes (zero-fill when NULL). */
void store_col_copy(sqlite3_stmt *, int col, void *dst, size_t len);

#endif
