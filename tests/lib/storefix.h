/*
 * A daemon store (daemon/store/) in a temporary directory, for the unit
 * tests of the store: opened with a random keystore key, reopened, and
 * edited behind its back with SQL on its own connection, the way damage,
 * an operator's hand or a full disk would reach the files.  Everything
 * here aborts on failure (tests only); nothing uses cmocka, so any test
 * binary may link it.
 */
#ifndef HOMEWARD_TESTS_STOREFIX_H
#define HOMEWARD_TESTS_STOREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"

struct storefix {
	char            dir[64];
	uint8_t         ksk[ATREST_KEY_LEN];
	struct store   *st;                    /* NULL while closed */
	uint8_t         peer[ENV1_KEY_LEN];     /* a random peer RIK */
};

/* mkdtemp under /tmp (tag names it) and store_open; 0 or -1. */
int storefix_open(struct storefix *, const char *tag);
/* Close (when open) and open again with the same key: store_open's
 * result, its cause (malloc'ed, or NULL) in *cause when cause != NULL. */
int storefix_reopen(struct storefix *, char **cause);
void storefix_close(struct storefix *);
/* Close and remove the directory with everything in it. */
void storefix_remove(struct storefix *);
/* The path of a file of the directory ("data.db"), in a static buffer. */
const char *storefix_path(const struct storefix *, const char *name);

/* SQL on dir/db through a connection of its own: SQLite's result code. */
int storefix_sql(const struct storefix *, const char *db, const char *sql);
/* The first column of the first row as an integer; -1 when no row. */
long long storefix_int(const struct storefix *, const char *db, const char *sql);
/* Flip one bit in the middle of a blob column of the rows of table that
 * match where (SQL), as damage on disk would: how many rows changed. */
int storefix_flip(const struct storefix *, const char *db, const char *table,
    const char *column, const char *where);

/* Replace table by a view of one row with the same columns, each of which
 * fails when it is read (an integer overflow): statements on it prepare,
 * and every step that looks at a row fails, as on a damaged page. */
void storefix_poison(const struct storefix *, const char *db, const char *table);

/* A thread with fx->peer, committed; a waiting outbox message on it. */
void storefix_thread(struct storefix *, uint8_t thread_id[ENV1_ID_LEN]);
void storefix_out(struct storefix *, const uint8_t thread_id[ENV1_ID_LEN],
    const char *body, struct store_out *m);
/* Seal a waiting message with made-up envelope (a header and a little
 * ciphertext: STOREFIX_ENV_LEN bytes), hashes, TBS and signature
 * (committed). */
#define STOREFIX_ENV_LEN        (ENV1_HDR_LEN + 64)
void storefix_seal(struct storefix *, const struct store_out *m);
/* A ledger row from fx->peer on the thread, with its evidence (committed). */
void storefix_in(struct storefix *, const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t seq, int state, const char *evidence, struct store_in *m);

/* Whether the bytes appear anywhere in the file (0 when it is absent). */
int storefix_file_has(const char *path, const void *needle, size_t n);

#endif
