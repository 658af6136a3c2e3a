/* Unit tests: atomic writes and careful reads (common/fileio.c).  Each case
 * gets a fresh temporary directory and checks that no temporary file is
 * ever left in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fileio.h"

struct dir {
	char    path[64];
	char    file[128];          /* path/"target" */
};

static int
setup(void **state)
{
	static struct dir d;

	snprintf(d.path, sizeof(d.path), "/tmp/homeward-fileio-XXXXXX");
	if (mkdtemp(d.path) == NULL)
		return -1;
	snprintf(d.file, sizeof(d.file), "%s/target", d.path);
	*state = &d;
	return 0;
}

static int
rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int
teardown(void **state)
{
	struct dir *d = *state;

	chmod(d->path, 0700);
	return nftw(d->path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Entries in the directory other than . and ..; names the first one. */
static int
entries(const char *path, char *first, size_t firstsz)
{
	DIR *dp = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(dp);
	if (first != NULL && firstsz > 0)
		first[0] = '\0';
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n++ == 0 && first != NULL)
			snprintf(first, firstsz, "%s", de->d_name);
	}
	closedir(dp);
	return n;
}

static void
assert_contents(const char *path, const char *want)
{
	uint8_t *buf;
	size_t len;

	assert_int_equal(fileio_read(path, 4096, 0, &buf, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	free(buf);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
write_plain(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_write_read_roundtrip(void **state)
{
	struct dir *d = *state;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;
	char name[256];

	assert_int_equal(fileio_write_atomic(d->file, "alpha", 5, 0600, 0), 0);
	assert_int_equal(mode_of(d->file), 0600);
	assert_int_equal(entries(d->path, name, sizeof(name)), 1);
	assert_string_equal(name, "target");
	assert_int_equal(fileio_read(d->file, 5, 1, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "alpha", 5);
	free(buf);
}

static void
test_mode_exact_despite_umask(void **state)
{
	struct dir *d = *state;
	mode_t old = umask(077);

	assert_int_equal(fileio_write_atomic(d->file, "beta", 4, 0644, 0), 0);
	umask(old);
	assert_int_equal(mode_of(d->file), 0644);
	/* And the reverse: a permissive umask cannot widen 0600. */
	old = umask(0);
	assert_int_equal(fileio_write_atomic(d->file, "beta", 4, 0600, 1), 0);
	umask(old);
	assert_int_equal(mode_of(d->file), 0600);
}

static void
test_noreplace_refuses_existing(void **state)
{
	struct dir *d = *state;

	assert_int_equal(fileio_write_atomic(d->file, "alpha", 5, 0600, 0), 0);
	assert_int_equal(fileio_write_atomic(d->file, "beta", 4, 0600, 0), -EEXIST);
	assert_contents(d->file, "alpha");
	assert_int_equal(entries(d->path, NULL, 0), 1);
	/* Even a dangling symlink is an existing name. */
	assert_int_equal(unlink(d->file), 0);
	assert_int_equal(symlink("/nonexistent-homeward", d->file), 0);
	assert_int_equal(fileio_write_atomic(d->file, "beta", 4, 0600, 0), -EEXIST);
	assert_int_equal(entries(d->path, NULL, 0), 1);
}

static void
test_replace(void **state)
{
	struct dir *d = *state;

	write_plain(d->file, "alpha", 0644);
	assert_int_equal(fileio_write_atomic(d->file, "gamma", 5, 0600, 1), 0);
	assert_contents(d->file, "gamma");
	assert_int_equal(mode_of(d->file), 0600);
	assert_int_equal(entries(d->path, NULL, 0), 1);
	/* A symlink at the target is replaced, never followed. */
	assert_int_equal(unlink(d->file), 0);
	assert_int_equal(symlink("/nonexistent-homeward", d->file), 0);
	assert_int_equal(fileio_write_atomic(d->file, "delta", 5, 0600, 1), 0);
	assert_contents(d->file, "delta");
	assert_int_equal(access("/nonexistent-homeward", F_OK), -1);
}

/* The rename itself fails after the temporary file was written: the
 * temporary file is gone and the target untouched. */
static void
test_failed_rename_leaves_nothing(void **state)
{
	struct dir *d = *state;
	char name[256];
	struct stat st;

	assert_int_equal(mkdir(d->file, 0700), 0);
	assert_int_equal(fileio_write_atomic(d->file, "alpha", 5, 0600, 1), -EISDIR);
	assert_int_equal(entries(d->path, name, sizeof(name)), 1);
	assert_string_equal(name, "target");
	assert_int_equal(stat(d->file, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(entries(d->file, NULL, 0), 0);
}

static void
test_readonly_dir(void **state)
{
	struct dir *d = *state;

	/* root ignores directory permissions: nothing to observe then. */
	if (geteuid() == 0)
		skip();
	assert_int_equal(chmod(d->path, 0500), 0);
	assert_int_equal(fileio_write_atomic(d->file, "alpha", 5, 0600, 1), -EACCES);
	assert_int_equal(chmod(d->path, 0700), 0);
	assert_int_equal(entries(d->path, NULL, 0), 0);
}

static void
test_bad_paths(void **state)
{
	struct dir *d = *state;
	char p[192];

	assert_int_equal(fileio_write_atomic("", "a", 1, 0600, 0), -EINVAL);
	snprintf(p, sizeof(p), "%s/", d->path);
	assert_int_equal(fileio_write_atomic(p, "a", 1, 0600, 0), -EINVAL);
	snprintf(p, sizeof(p), "%s/..", d->path);
	assert_int_equal(fileio_write_atomic(p, "a", 1, 0600, 1), -EINVAL);
	assert_int_equal(fileio_write_atomic(".", "a", 1, 0600, 1), -EINVAL);
	assert_int_equal(fileio_write_atomic(d->file, NULL, 1, 0600, 0), -EINVAL);
	snprintf(p, sizeof(p), "%s/missing/target", d->path);
	assert_int_equal(fileio_write_atomic(p, "a", 1, 0600, 0), -ENOENT);
	assert_int_equal(entries(d->path, NULL, 0), 0);
}

static void
test_relative_path(void **state)
{
	struct dir *d = *state;
	char cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(d->path), 0);
	assert_int_equal(fileio_write_atomic("plain", "alpha", 5, 0600, 0), 0);
	assert_contents("plain", "alpha");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(entries(d->path, NULL, 0), 1);
}

static void
test_empty_file(void **state)
{
	struct dir *d = *state;
	uint8_t *buf;
	size_t len = 7;

	assert_int_equal(fileio_write_atomic(d->file, NULL, 0, 0600, 0), 0);
	assert_int_equal(fileio_read(d->file, 0, 1, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	free(buf);
}

static void
test_read_symlink_refused(void **state)
{
	struct dir *d = *state;
	char link[192];
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	assert_int_equal(fileio_write_atomic(d->file, "alpha", 5, 0600, 0), 0);
	snprintf(link, sizeof(link), "%s/link", d->path);
	assert_int_equal(symlink(d->file, link), 0);
	assert_int_equal(fileio_read(link, 4096, 1, &buf, &len), -ELOOP);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(fileio_read(link, 4096, 0, &buf, &len), -ELOOP);
	assert_null(buf);
}

static void
test_read_permissions(void **state)
{
	struct dir *d = *state;
	static const mode_t refused[] = { 0644, 0640, 0604, 0601, 0610, 0700 | 070 };
	uint8_t *buf;
	size_t len;

	write_plain(d->file, "alpha", 0600);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(chmod(d->file, refused[i]), 0);
		buf = (uint8_t *)"x";
		assert_int_equal(fileio_read(d->file, 4096, 1, &buf, &len), -EPERM);
		assert_null(buf);
		assert_int_equal(len, 0);
		/* Without the secrecy check the same file reads. */
		assert_int_equal(fileio_read(d->file, 4096, 0, &buf, &len), 0);
		free(buf);
	}
	assert_int_equal(chmod(d->file, 0400), 0);
	assert_int_equal(fileio_read(d->file, 4096, 1, &buf, &len), 0);
	free(buf);
}

static void
test_read_foreign_owner(void **state)
{
	struct dir *d = *state;
	uint8_t *buf;
	size_t len;

	/* Only root can give a file away. */
	if (geteuid() != 0)
		skip();
	write_plain(d->file, "alpha", 0600);
	assert_int_equal(chown(d->file, 54321, 54321), 0);
	assert_int_equal(fileio_read(d->file, 4096, 1, &buf, &len), -EPERM);
	assert_null(buf);
	assert_int_equal(fileio_read(d->file, 4096, 0, &buf, &len), 0);
	free(buf);
}

static void
test_read_too_big(void **state)
{
	struct dir *d = *state;
	uint8_t *buf;
	size_t len;

	write_plain(d->file, "alpha-beta", 0600);
	assert_int_equal(fileio_read(d->file, 9, 1, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(fileio_read(d->file, 10, 1, &buf, &len), 0);
	assert_int_equal(len, 10);
	free(buf);
}

static void
test_read_not_regular(void **state)
{
	struct dir *d = *state;
	char fifo[192];
	uint8_t *buf;
	size_t len;

	assert_int_equal(fileio_read(d->path, 4096, 0, &buf, &len), -EINVAL);
	assert_null(buf);
	/* A FIFO without a writer: refused, not waited on. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", d->path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fileio_read(fifo, 4096, 1, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(fileio_read(d->file, 4096, 1, &buf, &len), -ENOENT);
	assert_int_equal(fileio_read(NULL, 4096, 1, &buf, &len), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_read_roundtrip),
		T(test_mode_exact_despite_umask),
		T(test_noreplace_refuses_existing),
		T(test_replace),
		T(test_failed_rename_leaves_nothing),
		T(test_readonly_dir),
		T(test_bad_paths),
		T(test_relative_path),
		T(test_empty_file),
		T(test_read_symlink_refused),
		T(test_read_permissions),
		T(test_read_foreign_owner),
		T(test_read_too_big),
		T(test_read_not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
