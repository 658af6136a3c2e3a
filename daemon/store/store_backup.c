/*
 * Backup files (store_backup.h; the format in homewardd(8), BACKUP FILE
 * FORMAT).  Local, not protocol: only this agency's daemon.key opens one.
 *
 *   "HWBACKUP" (8) | u32 version = 1 | secretstream header (24)
 *   then pieces: u32 length | crypto_secretstream_xchacha20poly1305 message
 *
 * under K_backup = KDF("HWBACKUP", 1, KSK).  The first piece (the 36 bytes
 * above as its additional data) is the index: u64 created_at | u8 parts
 * (2) | for each part u8 kind (1 data.db, 2 keystore.db) | u64 length.
 * The parts' bytes follow in that order, at most STORE_BACKUP_PIECE per
 * piece, and an empty piece tagged FINAL ends the file.  A piece that does
 * not authenticate, a missing FINAL, or bytes after it: refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/bytes.h"
#include "daemon/base/log.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

#define BK_MAGIC        "HWBACKUP"
#define BK_VERSION      1
#define BK_HDR_LEN      (8 + 4 + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define BK_ABYTES       crypto_secretstream_xchacha20poly1305_ABYTES
#define BK_INDEX_LEN    (8 + 1 + 2 * (1 + 8))
#define BK_PIECE_MAX    (4 + STORE_BACKUP_PIECE + BK_ABYTES)
#define BK_PARTS        2

static const char *const bk_names[BK_PARTS] = { "data.db", "keystore.db" };

/* dir/.backup-NAME: the copies taken for one backup. */
static int
copy_path(const char *dir, int part, char out[PATH_MAX])
{
	return (size_t)snprintf(out, PATH_MAX, "%s/.backup-%s", dir,
	    bk_names[part]) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* dir/NAME.restore: a restored database before it is renamed into place. */
static int
restore_path(const char *dir, int part, char out[PATH_MAX])
{
	return (size_t)snprintf(out, PATH_MAX, "%s/%s.restore", dir,
	    bk_names[part]) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Overwritten, then removed: a plain copy of keystore.db holds the keys
 * of cases that may be erased later. */
static void
wipe_unlink(const char *path)
{
	static const uint8_t    zero[65536];
	struct stat             sb;
	off_t                   left;
	ssize_t                 n;
	int                     fd;

	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			for (left = sb.st_size; left > 0; left -= n)
				if ((n = write(fd, zero, left < (off_t)sizeof(zero) ?
				    (size_t)left : sizeof(zero))) <= 0)
					break;
			(void)fsync(fd);
		}
		close(fd);
	}
	(void)unlink(path);
}

void
store_backup_clean(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; i < BK_PARTS; i++) {
		if (copy_path(dir, i, path) == 0) {
			wipe_unlink(path);
			if (strlen(path) + 4 < sizeof(path)) {
				strcat(path, ".tmp");
				wipe_unlink(path);
			}
		}
		if (restore_path(dir, i, path) == 0)
			wipe_unlink(path);
	}
}

/* --- writing ---------------------------------------------------------------- */

struct bk_writer {
	crypto_secretstream_xchacha20poly1305_state     ss;
	crypto_hash_sha256_state                        sha;
	store_backup_sink                               sink;
	void                                           *arg;
	uint64_t                                        bytes;
	uint8_t                                        *pt;    /* a piece in clear */
	uint8_t                                        *out;   /* a piece sealed */
};

static int
bk_emit(struct bk_writer *w, const uint8_t *b, size_t len)
{
	crypto_hash_sha256_update(&w->sha, b, len);
	w->bytes += len;
	return w->sink(b, len, w->arg) != 0 ? -EPIPE : 0;
}

static int
bk_push(struct bk_writer *w, const uint8_t *pt, size_t len, const uint8_t *ad,
    size_t adlen, uint8_t tag)
{
	unsigned long long clen;

	crypto_secretstream_xchacha20poly1305_push(&w->ss, w->out + 4, &clen, pt,
	    len, ad, adlen, tag);
	be32_put(w->out, (uint32_t)clen);
	return bk_emit(w, w->out, 4 + (size_t)clen);
}

/* One database copy, piece by piece. */
static int
bk_push_file(struct bk_writer *w, const char *path, uint64_t len)
{
	ssize_t n;
	int     fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	while (rc == 0 && len > 0) {
		n = read(fd, w->pt, len < STORE_BACKUP_PIECE ? (size_t)len :
		    STORE_BACKUP_PIECE);
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;     /* shorter than it was */
			break;
		}
		len -= (uint64_t)n;
		rc = bk_push(w, w->pt, (size_t)n, NULL, 0,
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	}
	sodium_memzero(w->pt, STORE_BACKUP_PIECE);
	close(fd);
	return rc;
}

static int
bk_write(struct store *st, struct bk_writer *w, const char path[BK_PARTS][PATH_MAX],
    const uint64_t len[BK_PARTS], uint64_t now)
{
	uint8_t hdr[BK_HDR_LEN], idx[BK_INDEX_LEN], *p;
	int     rc;

	memcpy(hdr, BK_MAGIC, 8);
	be32_put(hdr + 8, BK_VERSION);
	crypto_secretstream_xchacha20poly1305_init_push(&w->ss, hdr + 12,
	    st->k_backup);
	if ((rc = bk_emit(w, hdr, sizeof(hdr))) != 0)
		return rc;
	be64_put(idx, now);
	idx[8] = BK_PARTS;
	for (int i = 0; i < BK_PARTS; i++) {
		p = idx + 9 + i * 9;
		p[0] = (uint8_t)(i + 1);
		be64_put(p + 1, len[i]);
	}
	if ((rc = bk_push(w, idx, sizeof(idx), hdr, sizeof(hdr),
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) != 0)
		return rc;
	for (int i = 0; i < BK_PARTS && rc == 0; i++)
		rc = bk_push_file(w, path[i], len[i]);
	if (rc == 0)
		rc = bk_push(w, NULL, 0, NULL, 0,
		    crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	return rc;
}

int
store_backup(struct store *st, uint64_t now, store_backup_sink sink, void *arg,
    struct store_backup_info *info)
{
	char            path[BK_PARTS][PATH_MAX];
	uint64_t        len[BK_PARTS];
	struct stat     sb;
	struct bk_writer w;
	int             rc = 0;

	memset(info, 0, sizeof(*info));
	memset(&w, 0, sizeof(w));
	store_backup_clean(st->dir);
	for (int i = 0; i < BK_PARTS && rc == 0; i++)
		rc = copy_path(st->dir, i, path[i]);
	if (rc != 0)
		return rc;
	/* Both copies in this one call of the loop's single thread: no
	 * transaction commits between them, so they agree. */
	if ((rc = store_copy_db(st->data, path[0])) != 0 ||
	    (rc = store_copy_db(st->keys, path[1])) != 0)
		goto out;
	for (int i = 0; i < BK_PARTS; i++) {
		if (stat(path[i], &sb) != 0) {
			rc = -errno;
			goto out;
		}
		len[i] = (uint64_t)sb.st_size;
	}
	w.sink = sink;
	w.arg = arg;
	crypto_hash_sha256_init(&w.sha);
	if ((w.pt = malloc(STORE_BACKUP_PIECE)) == NULL ||
	    (w.out = malloc(BK_PIECE_MAX)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = bk_write(st, &w, (const char (*)[PATH_MAX])path, len, now)) != 0)
		goto out;
	crypto_hash_sha256_final(&w.sha, info->sha256);
	info->bytes = w.bytes;
	info->data_len = len[0];
	info->keys_len = len[1];
out:
	sodium_memzero(&w.ss, sizeof(w.ss));
	free(w.pt);
	free(w.out);
	store_backup_clean(st->dir);
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

struct bk_reader {
	crypto_secretstream_xchacha20poly1305_state     ss;
	int                                             fd;
	uint64_t                                        off;    /* bytes read */
	uint8_t                                        *in;    /* a sealed piece */
	uint8_t                                        *pt;    /* a piece in clear */
};

/* Exactly len bytes: 1, 0 at a clean end (nothing read), -EBADMSG when
 * cut in the middle, or an errno. */
static int
bk_read(struct bk_reader *r, uint8_t *b, size_t len)
{
	size_t  got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(r->fd, b + got, len - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return got == 0 ? 0 : -EBADMSG;
		got += (size_t)n;
	}
	r->off += len;
	return 1;
}

/* The next piece into r->pt: 0, -EBADMSG (cut short, a length out of
 * bounds), -EACCES (it does not authenticate: damaged, or not under this
 * key), or an errno. */
static int
bk_pull(struct bk_reader *r, size_t *ptlen, uint8_t *tag, const uint8_t *ad,
    size_t adlen)
{
	unsigned long long      n;
	uint32_t                clen;
	int                     rc;

	if ((rc = bk_read(r, r->in, 4)) <= 0)
		return rc == 0 ? -EBADMSG : rc;
	clen = be32_get(r->in);
	if (clen < BK_ABYTES || clen > STORE_BACKUP_PIECE + BK_ABYTES)
		return -EBADMSG;
	if ((rc = bk_read(r, r->in, clen)) <= 0)
		return rc == 0 ? -EBADMSG : rc;
	if (crypto_secretstream_xchacha20poly1305_pull(&r->ss, r->pt, &n, tag,
	    r->in, clen, ad, adlen) != 0)
		return -EACCES;
	*ptlen = (size_t)n;
	return 0;
}

/* Write the restored bytes into the parts, in order. */
static int
bk_spill(const uint8_t *b, size_t len, const int fd[BK_PARTS],
    uint64_t left[BK_PARTS])
{
	size_t  k;
	ssize_t n;

	for (int i = 0; i < BK_PARTS && len > 0; i++) {
		k = left[i] < len ? (size_t)left[i] : len;
		for (size_t done = 0; done < k; done += (size_t)n)
			if ((n = write(fd[i], b + done, k - done)) <= 0)
				return n < 0 ? -errno : -ENOSPC;
		left[i] -= k;
		b += k;
		len -= k;
	}
	return len > 0 ? -EBADMSG : 0;          /* more than the index said */
}

/* The header and the index: the parts' lengths.  -ENOEXEC: not a backup
 * file; -EPROTONOSUPPORT: a newer version; -EKEYREJECTED: its first piece
 * does not open under this key. */
static int
bk_open(struct bk_reader *r, const uint8_t *key, uint64_t len[BK_PARTS],
    uint64_t *created)
{
	uint8_t hdr[BK_HDR_LEN], tag;
	size_t  n;
	int     rc;

	if ((rc = bk_read(r, hdr, sizeof(hdr))) <= 0)
		return rc == 0 || rc == -EBADMSG ? -ENOEXEC : rc;
	if (memcmp(hdr, BK_MAGIC, 8) != 0)
		return -ENOEXEC;
	if (be32_get(hdr + 8) != BK_VERSION)
		return -EPROTONOSUPPORT;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->ss, hdr + 12,
	    key) != 0)
		return -EKEYREJECTED;
	/* The first piece is the first under the key: when it does not
	 * authenticate, the key is the likelier culprit. */
	if ((rc = bk_pull(r, &n, &tag, hdr, sizeof(hdr))) != 0)
		return rc == -EACCES ? -EKEYREJECTED : rc;
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE ||
	    n != BK_INDEX_LEN || r->pt[8] != BK_PARTS)
		return -EBADMSG;
	*created = be64_get(r->pt);
	for (int i = 0; i < BK_PARTS; i++) {
		if (r->pt[9 + i * 9] != i + 1)
			return -EBADMSG;
		len[i] = be64_get(r->pt + 10 + i * 9);
	}
	return 0;
}

/* Every piece after the index into the parts' files, up to FINAL and the
 * file's end exactly. */
static int
bk_body(struct bk_reader *r, const int fd[BK_PARTS], const uint64_t len[BK_PARTS])
{
	uint64_t        left[BK_PARTS];
	uint8_t         tag, extra;
	size_t          n;
	int             rc;

	memcpy(left, len, sizeof(left));
	for (;;) {
		if ((rc = bk_pull(r, &n, &tag, NULL, 0)) != 0)
			return rc == -EACCES ? -EBADMSG : rc;
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
			break;
		if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
			return -EBADMSG;
		if ((rc = bk_spill(r->pt, n, fd, left)) != 0)
			return rc;
	}
	if (n != 0 || left[0] != 0 || left[1] != 0)
		return -EBADMSG;
	if ((rc = bk_read(r, &extra, 1)) != 0)
		return rc > 0 ? -EBADMSG : rc;  /* bytes after the end */
	for (int i = 0; i < BK_PARTS; i++)
		if (fsync(fd[i]) != 0)
			return -errno;
	return 0;
}

/* SQLite's own check of a restored file: "ok". */
static int
bk_db_check(const char *path)
{
	sqlite3         *db = NULL;
	sqlite3_stmt    *s = NULL;
	int             rc = -EBADMSG;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0)
		rc = 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* Decrypt file into dir/NAME.restore, both checked whole. */
static int
bk_extract(const uint8_t *key, const char *file,
    char tmp[BK_PARTS][PATH_MAX], struct store_backup_info *info)
{
	struct bk_reader        r;
	uint64_t                len[BK_PARTS], created;
	int                     fd[BK_PARTS] = { -1, -1 }, rc;

	memset(&r, 0, sizeof(r));
	if ((r.fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((r.in = malloc(BK_PIECE_MAX)) == NULL ||
	    (r.pt = malloc(STORE_BACKUP_PIECE)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = bk_open(&r, key, len, &created)) != 0)
		goto out;
	for (int i = 0; i < BK_PARTS; i++) {
		(void)unlink(tmp[i]);
		if ((fd[i] = open(tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if ((rc = bk_body(&r, fd, len)) != 0)
		goto out;
	for (int i = 0; i < BK_PARTS && rc == 0; i++)
		rc = bk_db_check(tmp[i]) != 0 ? -EUCLEAN : 0;
	info->bytes = r.off;
	info->data_len = len[0];
	info->keys_len = len[1];
out:
	for (int i = 0; i < BK_PARTS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	if (r.pt != NULL)
		sodium_memzero(r.pt, STORE_BACKUP_PIECE);
	sodium_memzero(&r.ss, sizeof(r.ss));
	free(r.in);
	free(r.pt);
	close(r.fd);
	return rc;
}

/* A database SQLite cannot copy (the damage a restore is for) is kept
 * as it was found: renamed, its WAL with it. */
static int
bk_keep_as_found(const char *cur, const char *pre)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 16];

	if (rename(cur, pre) != 0)
		return -errno;
	snprintf(from, sizeof(from), "%s-wal", cur);
	snprintf(to, sizeof(to), "%s-wal", pre);
	if (rename(from, to) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The database at dir/NAME, if any, copied to dir/NAME.pre-restore (its
 * WAL with it), then the restored file renamed in its place. */
static int
bk_install(const char *dir, int part, const char *tmp)
{
	char            cur[PATH_MAX], pre[PATH_MAX], side[PATH_MAX + 8];
	sqlite3        *db = NULL;
	int             rc = 0;

	if ((size_t)snprintf(cur, sizeof(cur), "%s/%s", dir, bk_names[part]) >=
	    sizeof(cur) || (size_t)snprintf(pre, sizeof(pre), "%s.pre-restore",
	    cur) >= sizeof(pre))
		return -ENAMETOOLONG;
	if (access(cur, F_OK) == 0) {
		if (sqlite3_open_v2(cur, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
			rc = -EIO;
		else
			rc = store_copy_db(db, pre);
		if (sqlite3_close(db) != SQLITE_OK && rc == 0)
			rc = -EIO;
		if (rc != 0) {
			log_warnx("store: %s cannot be copied; kept as it was, "
			    "as %s", cur, pre);
			if ((rc = bk_keep_as_found(cur, pre)) != 0)
				return rc;
		}
	}
	/* The old WAL must not be replayed into the restored file. */
	snprintf(side, sizeof(side), "%s-wal", cur);
	(void)unlink(side);
	snprintf(side, sizeof(side), "%s-shm", cur);
	(void)unlink(side);
	return rename(tmp, cur) != 0 ? -errno : 0;
}

static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static char *
bk_cause(int rc, const char *file, const char *dir)
{
	char *s = NULL;
	int   r;

	switch (rc) {
	case -ENOEXEC:
		r = asprintf(&s, "%s is not a homeward backup file; nothing was "
		    "changed", file);
		break;
	case -EPROTONOSUPPORT:
		r = asprintf(&s, "%s was made by a newer homewardd; restore it "
		    "with that version; nothing was changed", file);
		break;
	case -EKEYREJECTED:
		r = asprintf(&s, "%s does not open with this agency's daemon.key "
		    "(another agency's backup, another daemon.key, or a damaged "
		    "file); nothing was changed", file);
		break;
	case -EBADMSG:
		r = asprintf(&s, "%s is damaged or was cut short; nothing was "
		    "changed: restore another copy of the backup", file);
		break;
	case -EUCLEAN:
		r = asprintf(&s, "a database in %s fails SQLite's check; nothing "
		    "was changed: restore another copy of the backup", file);
		break;
	default:
		r = asprintf(&s, "cannot restore %s into %s (%s); nothing was "
		    "changed: check the path and the free space", file, dir,
		    strerror(-rc));
	}
	return r < 0 ? NULL : s;
}

int
store_restore(const char *dir, const uint8_t ksk[ATREST_KEY_LEN],
    const char *file, struct store_backup_info *info, char **cause)
{
	char            tmp[BK_PARTS][PATH_MAX];
	uint8_t        *key;
	int             rc = 0, placed = 0;

	*cause = NULL;
	memset(info, 0, sizeof(*info));
	for (int i = 0; i < BK_PARTS && rc == 0; i++)
		rc = restore_path(dir, i, tmp[i]);
	if (rc != 0 || (key = secret_alloc(STORE_BACKUP_KEY_LEN)) == NULL) {
		*cause = bk_cause(rc != 0 ? rc : -ENOMEM, file, dir);
		return rc != 0 ? rc : -ENOMEM;
	}
	if (crypto_kdf_derive_from_key(key, STORE_BACKUP_KEY_LEN, 1,
	    STORE_BACKUP_KDF_CTX, ksk) != 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = bk_extract(key, file, tmp, info);
	secret_free(key);
	if (rc != 0) {
		*cause = bk_cause(rc, file, dir);
		goto out;
	}
	for (int i = 0; i < BK_PARTS && rc == 0; i++)
		if ((rc = bk_install(dir, i, tmp[i])) == 0)
			placed++;
	if (rc == 0)
		rc = sync_dir(dir);
	if (rc != 0 && asprintf(cause, "the restore of %s stopped (%s) after "
	    "%d of 2 databases: free some space in %s and run it again", file,
	    strerror(-rc), placed, dir) < 0)
		*cause = NULL;
out:
	store_backup_clean(dir);
	return rc;
}
