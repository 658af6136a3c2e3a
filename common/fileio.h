/*
 * Whole-file I/O for files that must never be seen half-written or read
 * through a symlink: key files, the keys tool's outputs, the daemon's state
 * files.  A write goes to a fresh temporary file in the same directory,
 * which is fsynced and renamed over the target, then the directory is
 * fsynced; a read refuses symlinks, non-regular files, oversized files and,
 * for secrets, files that group or others may access.
 */
#ifndef HOMEWARD_COMMON_FILEIO_H
#define HOMEWARD_COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Write len bytes of buf to path atomically with exactly this mode (the
 * umask does not apply).  Without replace, an existing path is refused
 * with -EEXIST and left untouched.  0 or -errno.  On failure no temporary
 * file remains and path is untouched, except when only the final directory
 * fsync failed: path then already holds the complete new contents.
 */
int fileio_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, int replace);

/*
 * Read the whole of path into *buf (malloc'ed, free with free(); never
 * NULL on success, even for an empty file).  Refused: a symlink (-ELOOP),
 * anything but a regular file (-EINVAL), more than max bytes (-EFBIG), and
 * with secret_check a file that group or others may access in any way, or
 * that belongs to a user other than us or root (-EPERM).  0 or -errno;
 * on failure *buf is NULL and *len 0.
 */
int fileio_read(const char *path, size_t max, int secret_check,
    uint8_t **buf, size_t *len);

#endif
