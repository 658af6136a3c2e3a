/*
 * What the store's files share and nothing else may see: the connection
 * handles, the statement cache, the case-key cache, the helpers that turn
 * SQLite results into the errno values of store.h (store_sql.c, which
 * calls no other file of the room), the migrations run at open
 * (store_schema.c) and the column blobs under case keys (store_keys.c).
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_INT_H
#define HOMEWARD_DAEMON_STORE_STORE_INT_H

#include <sqlite3.h>

#include "daemon/store/store.h"
#include "daemon/store/store_backup.h"

#define STORE_STMT_CACHE        96
#define STORE_DEK_CACHE         32
#define STORE_KEY_VERSION       1
#define STORE_AUDIT_KEY_LEN     32
#define STORE_AUDIT_KDF_CTX     "HWAUDIT1"      /* kdf(1, ctx, KSK) */
#define STORE_BACKUP_KDF_CTX    "HWBACKUP"      /* kdf(1, ctx, KSK): backups */

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

/* Rowids one transaction of an armed request inserted (store_request.c). */
struct store_req_rows {
	sqlite3_int64          *v;
	size_t                  n, cap;
	int                     lost;           /* out of memory: not all noted */
};

/* The control request being carried out, if any (store_request_arm). */
struct store_req {
	int                     armed;
	int                     changed;        /* the open transaction wrote data */
	uint8_t                 id[STORE_REQUEST_ID_LEN];
	uint32_t                kind;
	uint64_t                at;
	struct store_req_rows   out, held;
};

struct store {
	sqlite3                *data;
	sqlite3                *keys;
	int                     in_tx;
	uint8_t                *k_spkwrap;     /* secret */
	uint8_t                *k_dekwrap;     /* secret */
	uint8_t                *k_audit;       /* secret: audit log MAC key */
	uint8_t                *k_backup;      /* secret: backup file key */
	char                   *dir;           /* the state directory */
	int                     journal_fd;    /* erasures.journal; -1: none */
	int                     journal_quiet; /* replaying it: append nothing */
	struct store_stmt       stmts[STORE_STMT_CACHE];
	size_t                  nstmts;
	struct store_dek        deks[STORE_DEK_CACHE];
	uint64_t                clock;
	struct store_req        req;
	/* Case keys made during the open data.db transaction, in order:
	 * keystore.db commits them at once, so a rollback of data.db takes
	 * them out again (store_keys_undo); nnew_sp: those before the
	 * savepoint. */
	uint8_t               (*newkeys)[ENV1_ID_LEN];
	size_t                  nnew, capnew, nnew_sp;
};

/* --- store_sql.c: the plumbing every file uses ------------------------- */

/* The cached, reset statement for sql on db; NULL (logged) on failure. */
sqlite3_stmt *store_prep(struct store *, sqlite3 *db, const char *sql);
/* Map an SQLite result code to store.h's errno values, logging what. */
int store_err(struct store *, sqlite3 *db, int rc, const char *what);
/* Step a statement that returns no rows; 0 or an errno. */
int store_exec_stmt(struct store *, sqlite3 *db, sqlite3_stmt *, const char *what);
/* Run uncached SQL (pragmas, BEGIN, COMMIT, migrations); 0 or an errno. */
int store_exec(struct store *, sqlite3 *db, const char *sql, const char *what);
/* Step a data.db statement expected to yield one row, filled by fill;
 * -ENOENT when there is none. */
int store_one_row(struct store *, sqlite3_stmt *,
    void (*fill)(sqlite3_stmt *, void *), void *out, const char *what);

/* Copy a blob column of exactly len bytes (zero-fill when NULL). */
/* p's len bytes bound to col (static: p outlives the step), or NULL. */
void store_bind_blob_or_null(sqlite3_stmt *, int col, const void *p,
    size_t len);
void store_col_copy(sqlite3_stmt *, int col, void *dst, size_t len);
/* Copy a text column, truncated to len - 1 ("" when NULL). */
void store_col_text(sqlite3_stmt *, int col, char *dst, size_t len);

/* --- store_request.c -------------------------------------------------- */

/* Just before COMMIT of data.db: the armed request's row, with the ids of
 * what this transaction inserted (nothing when none is armed or the
 * transaction wrote only the audit log).  0 or an errno. */
int store_request_commit(struct store *);
/* After a rollback: forget what the transaction inserted. */
void store_request_rolled_back(struct store *);

/* --- store_schema.c ---------------------------------------------------- */

/* Bring data.db and keystore.db to the newest schema version; *cause
 * malloc'ed on error. */
int store_migrate(struct store *, const char *dir, char **cause);

/* --- store_copy.c: copies of the databases ------------------------------- */

/* How long the copies taken before a migration are kept (7 days). */
#define STORE_PREMIGRATE_KEEP_MS        (7ull * 86400000)

/* An online copy of src into a new file at path (mode 0600, written aside
 * and renamed); 0 or a negative errno, nothing left behind on failure. */
int store_copy_db(sqlite3 *src, const char *path);
/* Copies of both databases, as they are, into dir/NAME.vN.pre-migration
 * before their schema is upgraded; 0 or a negative errno with *cause. */
int store_premigrate_copy(struct store *, const char *dir, int data_v,
    int keys_v, char **cause);
/* Delete the copies older than STORE_PREMIGRATE_KEEP_MS. */
void store_premigrate_prune(const char *dir, uint64_t now_ms);

/* --- store_journal.c: the erasure journal (calls no file of the room) --- */

#define STORE_JOURNAL_NAME      "erasures.journal"
#define STORE_JOURNAL_RECLEN    64

/* Open (creating, mode 0600) dir/erasures.journal for appending; a torn
 * record at its end is cut off.  0 or a negative errno. */
int store_journal_open(const char *dir, int *fd);
void store_journal_encode(const struct store_erasure *,
    uint8_t out[STORE_JOURNAL_RECLEN]);
/* -EBADMSG: not a record (torn, damaged, another version). */
int store_journal_decode(const uint8_t in[STORE_JOURNAL_RECLEN],
    struct store_erasure *);
/* Append one record and fdatasync it. */
int store_journal_append_fd(int fd, const struct store_erasure *);
/* Before an erasure of kind (STORE_ERASURE_*) is committed: its record,
 * synced.  The erasure must not go ahead unless this returned 0.  Nothing
 * is written while the journal is being replayed. */
int store_journal_note(struct store *, int kind,
    const uint8_t case_id[ENV1_ID_LEN], const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t now);

/* --- store_keys.c ------------------------------------------------------ */

/* Destroy one case or thread key (store_case_shred without its journal
 * record: the caller wrote one). */
int store_key_shred(struct store *, const uint8_t id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now);
/* 1 when keystore.db holds a key for id, 0 when not, or an errno. */
int store_key_present(struct store *, const uint8_t id[ENV1_ID_LEN]);

/* Column blobs under the case key of case_id (created when create). */
int store_seal_col(struct store *, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    int create, const uint8_t *pt, size_t len, uint8_t **blob, size_t *bloblen);
int store_open_col(struct store *, const char *table, const char *column,
    const uint8_t row_id[ENV1_ID_LEN], const uint8_t case_id[ENV1_ID_LEN],
    const void *blob, size_t bloblen, uint8_t **pt, size_t *ptlen);

/* The keys made since the first from of newkeys are deleted (their rows
 * were rolled back); from 0 also ends the list. */
void store_keys_undo(struct store *, size_t from);
/* The transaction committed: its keys are the rows' now. */
void store_keys_done(struct store *);
/* Keys of keystore.db without their thread or case in data.db (a crash
 * between the two commits): deleted, *n of them. */
int store_keys_collect(struct store *, unsigned *n);

#endif
