/*
 * Backups of the store and the erasure journal (homewardd(8), BACKUP AND
 * RESTORE):
 *
 *   store_backup.c    a consistent copy of data.db and keystore.db taken
 *                     while the daemon runs, encrypted under K_backup =
 *                     KDF("HWBACKUP", 1, KSK) into one file; its restore
 *                     with the daemon stopped
 *   store_erasures.c  the erasure journal replayed: every case and thread
 *                     it names erased again, so that no restored or copied
 *                     database brings an erased case back
 *   store_journal.c   the journal's file (erasures.journal): one record
 *                     appended and synced before any erasure
 *
 * These are local files, not protocol: only this agency's daemon.key
 * opens a backup.
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_BACKUP_H
#define HOMEWARD_DAEMON_STORE_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"

#define STORE_BACKUP_KEY_LEN    32
#define STORE_BACKUP_SHA_LEN    32
/* Plaintext bytes per encrypted piece of a backup file: each piece, with
 * its length and tag, is one control frame, far below FRAME_CONTROL_MAX. */
#define STORE_BACKUP_PIECE      65536

/* --- the erasure journal -------------------------------------------------- */

#define STORE_ERASURE_CASE      1       /* a case, with every thread of it */
#define STORE_ERASURE_THREAD    2       /* one thread's key */

/* One record: ids and a time, never a person's data. */
struct store_erasure {
	int             kind;                   /* STORE_ERASURE_* */
	uint64_t        at;                     /* ms */
	uint8_t         case_id[ENV1_ID_LEN];   /* CASE: the case; else zeros */
	uint8_t         thread_id[ENV1_ID_LEN]; /* THREAD: the thread; else zeros */
};

/* The callback returns 0 to go on, anything else to stop (returned). */
typedef int (*store_journal_cb)(const struct store_erasure *, void *arg);
/* Every well-formed record of the journal open on fd, in order; *bad
 * counts the damaged ones skipped.  0 or a negative errno. */
int store_journal_read_fd(int fd, store_journal_cb, void *arg, unsigned *bad);

/* Erase again every case and thread the journal names that the databases
 * still hold (not marked erased, or a key left); idempotent, and cheap
 * when nothing is left: run at every start and after a restore.
 * *applied counts the erasures carried out again.  0 or an errno. */
int store_erasures_replay(struct store *, uint64_t now, unsigned *applied);

/* --- backup ---------------------------------------------------------------- */

/* Where the bytes of a backup file go, in order; nonzero stops it. */
typedef int (*store_backup_sink)(const uint8_t *, size_t, void *arg);

struct store_backup_info {
	uint64_t        bytes;                  /* the file's length */
	uint8_t         sha256[STORE_BACKUP_SHA_LEN];   /* of the whole file */
	uint64_t        data_len;               /* data.db in it */
	uint64_t        keys_len;               /* keystore.db in it */
};

/* Copy both databases at this one moment (SQLite's online backup, into
 * temporary files of mode 0600 in the state directory), encrypt them into
 * a backup file given to sink piece by piece, and remove the copies
 * (overwritten first) whatever happens.  0 or a negative errno. */
int store_backup(struct store *, uint64_t now, store_backup_sink, void *arg,
    struct store_backup_info *);
/* Remove temporary copies a crash left in dir (called at start). */
void store_backup_clean(const char *dir);

/* With the daemon stopped: decrypt file with K_backup from ksk, check it
 * whole (a damaged or cut file changes nothing), then put both databases
 * in place in dir, the replaced ones kept as NAME.pre-restore.  The
 * caller then opens the store, replays the journal and marks every peer
 * for resync.  0 or a negative errno with *cause (malloc'ed) saying what
 * to do. */
int store_restore(const char *dir, const uint8_t ksk[ATREST_KEY_LEN],
    const char *file, struct store_backup_info *, char **cause);

#endif
