/*
 * Atomic whole-file writes and careful whole-file reads (see fileio.h).
 * Everything after the directory is opened goes through the directory's
 * descriptor (openat, renameat), so a directory renamed or swapped for a
 * symlink half-way cannot redirect the temporary file or the rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"

#define TMP_TRIES       8

/*
 * Split path into its directory (copied into dir) and its last component.
 * A path ending in '/', ".", ".." or an empty path names no file to create.
 */
static int
split_path(const char *path, char *dir, size_t dirsz, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t dlen;

	if (slash == NULL) {
		*base = path;
		dlen = 0;
	} else {
		*base = slash + 1;
		/* "/name" lives in "/", not in "". */
		dlen = slash == path ? 1 : (size_t)(slash - path);
	}
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return -EINVAL;
	if (dlen == 0) {
		memcpy(dir, ".", 2);
		return 0;
	}
	if (dlen >= dirsz)
		return -ENAMETOOLONG;
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	return 0;
}

/*
 * Create a fresh temporary file next to base.  O_EXCL|O_NOFOLLOW: if the
 * name is taken (by anything, a planted symlink included) try another
 * random name rather than open it.
 */
static int
make_temp(int dfd, const char *base, mode_t mode, char *tmp, size_t tmpsz)
{
	for (int i = 0; i < TMP_TRIES; i++) {
		unsigned long long r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return errno != 0 ? -errno : -EIO;
		/* The random part keeps the name unique; a long base is cut. */
		if (snprintf(tmp, tmpsz, ".%.200s.tmp-%016llx", base, r) >= (int)tmpsz)
			return -ENAMETOOLONG;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode & 0777);
		if (fd != -1)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Move tmp to base only if base does not exist, in one step: renameat2
 * with RENAME_NOREPLACE, or where the filesystem lacks it, a hard link
 * (which fails with EEXIST just the same) and removing the temporary name.
 */
static int
install_noreplace(int dfd, const char *tmp, const char *base)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
#endif
	if (linkat(dfd, tmp, dfd, base, 0) == -1)
		return -errno;
	if (unlinkat(dfd, tmp, 0) == -1)
		return -errno;
	return 0;
}

int
fileio_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, int replace)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *base;
	struct stat st;
	int dfd = -1, fd = -1, tmp_made = 0, rc;

	if (path == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if ((rc = split_path(path, dir, sizeof(dir), &base)) != 0)
		return rc;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		rc = -errno;
		goto out;
	}
	/* An early answer only; install_noreplace is what guarantees it. */
	if (!replace && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = -EEXIST;
		goto out;
	}
	if ((fd = make_temp(dfd, base, mode, tmp, sizeof(tmp))) < 0) {
		rc = fd;
		fd = -1;
		goto out;
	}
	tmp_made = 1;
	/* open() applied the umask; the caller asked for exactly mode. */
	if (fchmod(fd, mode & 07777) == -1) {
		rc = -errno;
		goto out;
	}
	if ((rc = write_all(fd, buf, len)) != 0)
		goto out;
	if (fsync(fd) == -1) {
		rc = -errno;
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc == -1) {
		rc = -errno;
		goto out;
	}
	if (replace)
		rc = renameat(dfd, tmp, dfd, base) == -1 ? -errno : 0;
	else
		rc = install_noreplace(dfd, tmp, base);
	if (rc != 0)
		goto out;
	tmp_made = 0;
	/* Make the new directory entry itself durable. */
	rc = fsync(dfd) == -1 ? -errno : 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp_made)
		unlinkat(dfd, tmp, 0);
	if (dfd != -1)
		close(dfd);
	return rc;
}

/* What fstat says of the open file: a regular file, no larger than max,
 * and with secret_check ours or root's and nobody else's (as smtpd's
 * check_file_secrecy).  0 with *size, or a negative errno. */
static int
check_open_file(int fd, size_t max, int secret_check, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (secret_check && ((st.st_mode & 077) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0)))
		return -EPERM;
	if (st.st_size < 0 || (uintmax_t)st.st_size > max)
		return -EFBIG;
	*size = (size_t)st.st_size;
	return 0;
}

/* Up to size bytes into p, fewer when the file shrank since fstat: 0 with
 * *got, or a negative errno (-EAGAIN when it grew, being written under
 * us). */
static int
read_whole(int fd, uint8_t *p, size_t size, size_t *got)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = read(fd, p + off, size - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;          /* shrank since fstat: take what is there */
		off += (size_t)n;
	}
	if (off == size) {
		uint8_t extra;
		ssize_t n;

		/* Grew since fstat: being written under us, so refuse. */
		while ((n = read(fd, &extra, 1)) < 0 && errno == EINTR)
			;
		if (n != 0)
			return n < 0 ? -errno : -EAGAIN;
	}
	*got = off;
	return 0;
}

int
fileio_read(const char *path, size_t max, int secret_check,
    uint8_t **buf, size_t *len)
{
	uint8_t *p = NULL;
	size_t size = 0, off = 0;
	int fd = -1, rc;

	if (buf == NULL || len == NULL)
		return -EINVAL;
	*buf = NULL;
	*len = 0;
	if (path == NULL)
		return -EINVAL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat
	 * gets the chance to refuse it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		return -errno;
	if ((rc = check_open_file(fd, max, secret_check, &size)) != 0)
		goto out;
	if ((p = malloc(size > 0 ? size : 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = read_whole(fd, p, size, &off)) != 0)
		goto out;
	*buf = p;
	*len = off;
	p = NULL;
	rc = 0;
out:
	if (p != NULL) {
		explicit_bzero(p, size);
		free(p);
	}
	close(fd);
	return rc;
}
