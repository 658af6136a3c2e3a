/*
 * The erasure journal: STATE_DIR/erasures.journal, a file outside both
 * databases to which one record is appended and synced before any case
 * or thread key is destroyed (store_case_erase, store_case_shred).  A
 * backup restored, or an old copy of the state directory put back, may
 * hold a case erased since; the journal, replayed at every start and
 * after a restore (store_erasures.c), erases it again.
 *
 * A record is 64 bytes and holds ids and a time only, never a person's
 * data (homewardd(8), THE ERASURE JOURNAL):
 *
 *   0   4  "HWEJ"
 *   4   1  version (1)
 *   5   1  kind: 1 a case (with all its threads), 2 one thread's key
 *   6   2  zero
 *   8   8  when (ms since the epoch, big-endian)
 *   16 16  case id (kind 1) or zeros
 *   32 16  thread id (kind 2) or zeros
 *   48 16  BLAKE2b-128 of bytes 0..47 (a torn or damaged record is skipped)
 *
 * Calls no other file of the room.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/bytes.h"
#include "daemon/base/log.h"
#include "daemon/store/store_int.h"

#define JOURNAL_MAGIC           "HWEJ"
#define JOURNAL_VERSION         1
#define JOURNAL_CHECK_AT        48
#define JOURNAL_CHECK_LEN       16

void
store_journal_encode(const struct store_erasure *e,
    uint8_t out[STORE_JOURNAL_RECLEN])
{
	memset(out, 0, STORE_JOURNAL_RECLEN);
	memcpy(out, JOURNAL_MAGIC, 4);
	out[4] = JOURNAL_VERSION;
	out[5] = (uint8_t)e->kind;
	be64_put(out + 8, e->at);
	memcpy(out + 16, e->case_id, ENV1_ID_LEN);
	memcpy(out + 32, e->thread_id, ENV1_ID_LEN);
	crypto_generichash(out + JOURNAL_CHECK_AT, JOURNAL_CHECK_LEN, out,
	    JOURNAL_CHECK_AT, NULL, 0);
}

int
store_journal_decode(const uint8_t in[STORE_JOURNAL_RECLEN],
    struct store_erasure *e)
{
	uint8_t check[JOURNAL_CHECK_LEN];

	crypto_generichash(check, sizeof(check), in, JOURNAL_CHECK_AT, NULL, 0);
	if (memcmp(in, JOURNAL_MAGIC, 4) != 0 || in[4] != JOURNAL_VERSION ||
	    (in[5] != STORE_ERASURE_CASE && in[5] != STORE_ERASURE_THREAD) ||
	    sodium_memcmp(check, in + JOURNAL_CHECK_AT, sizeof(check)) != 0)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->kind = in[5];
	e->at = be64_get(in + 8);
	memcpy(e->case_id, in + 16, ENV1_ID_LEN);
	memcpy(e->thread_id, in + 32, ENV1_ID_LEN);
	return 0;
}

static int
journal_path(const char *dir, char out[PATH_MAX])
{
	return (size_t)snprintf(out, PATH_MAX, "%s/" STORE_JOURNAL_NAME, dir) >=
	    PATH_MAX ? -ENAMETOOLONG : 0;
}

int
store_journal_open(const char *dir, int *out)
{
	char            path[PATH_MAX];
	struct stat     sb;
	int             fd, rc, dfd;

	*out = -1;
	if ((rc = journal_path(dir, path)) != 0)
		return rc;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return -errno;
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	(void)fchmod(fd, 0600);
	/* A crash in the middle of an append leaves a torn tail: cut it, so
	 * the records after it stay aligned.  Its erasure never happened
	 * (the record is synced before the keys go). */
	if (sb.st_size % STORE_JOURNAL_RECLEN != 0) {
		log_warnx("store: %s: a torn record at its end cut off", path);
		if (ftruncate(fd, sb.st_size - sb.st_size % STORE_JOURNAL_RECLEN) != 0 ||
		    fsync(fd) != 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	if (sb.st_size == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);       /* the new file's name is durable too */
		close(dfd);
	}
	*out = fd;
	return 0;
}

int
store_journal_append_fd(int fd, const struct store_erasure *e)
{
	uint8_t rec[STORE_JOURNAL_RECLEN];
	ssize_t n;

	store_journal_encode(e, rec);
	if ((n = write(fd, rec, sizeof(rec))) != (ssize_t)sizeof(rec))
		return n < 0 ? -errno : -ENOSPC;
	if (fdatasync(fd) != 0)
		return -errno;
	return 0;
}

int
store_journal_note(struct store *st, int kind,
    const uint8_t case_id[ENV1_ID_LEN], const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t now)
{
	struct store_erasure    e;
	int                     rc;

	/* A replay erases again what a record already names. */
	if (st->journal_quiet)
		return 0;
	if (st->journal_fd < 0)
		return -EBADF;
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.at = now;
	if (case_id != NULL)
		memcpy(e.case_id, case_id, ENV1_ID_LEN);
	if (thread_id != NULL)
		memcpy(e.thread_id, thread_id, ENV1_ID_LEN);
	if ((rc = store_journal_append_fd(st->journal_fd, &e)) != 0)
		log_warnx("store: cannot write the erasure journal (%s): the "
		    "erasure waits until it can", strerror(-rc));
	return rc;
}

int
store_journal_read_fd(int fd, store_journal_cb cb, void *arg, unsigned *bad)
{
	uint8_t                 rec[STORE_JOURNAL_RECLEN];
	struct store_erasure    e;
	off_t                   off = 0;
	ssize_t                 n;
	int                     rc;

	*bad = 0;
	for (;;) {
		if ((n = pread(fd, rec, sizeof(rec), off)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n < (ssize_t)sizeof(rec))
			return 0;               /* the end, or a torn tail */
		off += n;
		if (store_journal_decode(rec, &e) != 0) {
			(*bad)++;
			continue;
		}
		if ((rc = cb(&e, arg)) != 0)
			return rc;
	}
}
