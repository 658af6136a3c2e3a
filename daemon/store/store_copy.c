/*
 * Copies of the databases: SQLite's online backup of one database into a
 * new file (written aside, synced, renamed), and the copies taken before a
 * schema migration (and those a restore keeps, store_backup.c), kept
 * STORE_PREMIGRATE_KEEP_MS and then deleted.
 *
 * Why they are deleted: keystore.db holds the keys of the cases; a copy
 * would bring back a case erased after it was taken.  A copy exists to
 * undo an upgrade gone wrong, which shows within days, not to keep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"

#define PREMIGRATE_SUFFIX       ".pre-migration"
#define PRERESTORE_SUFFIX       ".pre-restore"  /* store_backup.c's */

int
store_copy_db(sqlite3 *src, const char *path)
{
	char            tmp[PATH_MAX];
	sqlite3        *dst = NULL;
	sqlite3_backup *b;
	int             fd, rc = -EIO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* Created here first, so the copy is never readable by others. */
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -errno;
	close(fd);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) != NULL) {
		int step = sqlite3_backup_step(b, -1);

		if (sqlite3_backup_finish(b) == SQLITE_OK && step == SQLITE_DONE)
			rc = 0;
	}
	if (rc == 0 && sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK)
		rc = -EIO;
out:
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = -EIO;
	if (rc == 0 && ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

/* dir/name.vN.pre-migration */
static int
premigrate_path(const char *dir, const char *name, int version, char *out,
    size_t len)
{
	return (size_t)snprintf(out, len, "%s/%s.v%d" PREMIGRATE_SUFFIX, dir, name,
	    version) >= len ? -ENAMETOOLONG : 0;
}

int
store_premigrate_copy(struct store *st, const char *dir, int data_v, int keys_v,
    char **cause)
{
	char    path[2][PATH_MAX];
	int     rc;

	if ((rc = premigrate_path(dir, "data.db", data_v, path[0],
	    sizeof(path[0]))) != 0 ||
	    (rc = premigrate_path(dir, "keystore.db", keys_v, path[1],
	    sizeof(path[1]))) != 0 ||
	    (rc = store_copy_db(st->data, path[0])) != 0 ||
	    (rc = store_copy_db(st->keys, path[1])) != 0) {
		(void)unlink(path[0]);
		if (asprintf(cause, "cannot copy the databases before upgrading "
		    "their schema (%s): free some space in %s and start again; "
		    "nothing was changed", strerror(-rc), dir) < 0)
			*cause = NULL;
		return rc;
	}
	log_warnx("store: data.db and keystore.db copied to %s and %s before "
	    "upgrading their schema; the copies are deleted after %d days",
	    path[0], path[1], (int)(STORE_PREMIGRATE_KEEP_MS / 86400000));
	return 0;
}

/* Whether name is a copy kept before a migration or a restore. */
static int
is_kept_copy(const char *name)
{
	static const char *const sfx[] = { PREMIGRATE_SUFFIX, PRERESTORE_SUFFIX,
	    PRERESTORE_SUFFIX "-wal" };
	size_t n = strlen(name), sl;

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (n > (sl = strlen(sfx[i])) && strcmp(name + n - sl, sfx[i]) == 0)
			return 1;
	return 0;
}

void
store_premigrate_prune(const char *dir, uint64_t now_ms)
{
	DIR            *dp;
	struct dirent  *e;
	struct stat     sb;
	char            path[PATH_MAX];

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (!is_kept_copy(e->d_name) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    sizeof(path) || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if ((uint64_t)sb.st_mtime * 1000 + STORE_PREMIGRATE_KEEP_MS > now_ms)
			continue;
		if (unlink(path) == 0)
			log_info("store: %s deleted (older than %d days)", path,
			    (int)(STORE_PREMIGRATE_KEEP_MS / 86400000));
	}
	closedir(dp);
}
