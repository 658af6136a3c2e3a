/* Unit tests: backup files (daemon/store/store_backup.c) on real SQLite
 * files: a backup restores into an empty state directory and the case in
 * it is there; a file with any byte changed, cut anywhere, grown by one
 * byte, or opened with another keystore key is refused, and nothing is
 * written into the state directory; no temporary file is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/store/store_backup.h"
#include "daemon/store/store_case.h"

struct buf {
	uint8_t        *b;
	size_t          len, cap;
};

struct ctx {
	char            base[64], src[96], dst[96], file[96];
	uint8_t         ksk[ATREST_KEY_LEN];
	struct buf      out;
};

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int
sink(const uint8_t *b, size_t len, void *arg)
{
	struct buf *o = arg;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		if ((o->b = realloc(o->b, o->cap)) == NULL)
			return -1;
	}
	memcpy(o->b + o->len, b, len);
	o->len += len;
	return 0;
}

static void
put_file(const char *path, const uint8_t *b, size_t len)
{
	int fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/* How many entries dir has besides . and .. */
static int
entries(const char *dir)
{
	DIR *dp;
	struct dirent *e;
	int n = 0;

	assert_non_null(dp = opendir(dir));
	while ((e = readdir(dp)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dp);
	return n;
}

static int
setup(void **state)
{
	static struct ctx       c;
	struct store           *st = NULL;
	struct store_case       k;
	struct store_backup_info info;
	char                   *cause = NULL;

	memset(&c, 0, sizeof(c));
	snprintf(c.base, sizeof(c.base), "/tmp/homeward-backup-XXXXXX");
	if (mkdtemp(c.base) == NULL)
		return -1;
	snprintf(c.src, sizeof(c.src), "%s/src", c.base);
	snprintf(c.dst, sizeof(c.dst), "%s/dst", c.base);
	snprintf(c.file, sizeof(c.file), "%s/file.hwbak", c.base);
	mkdir(c.src, 0700);
	mkdir(c.dst, 0700);
	randombytes_buf(c.ksk, sizeof(c.ksk));
	if (store_open(c.src, c.ksk, &st, &cause) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	randombytes_buf(k.case_id, ENV1_ID_LEN);
	snprintf(k.code, sizeof(k.code), "CI-B-1");
	snprintf(k.home, sizeof(k.home), "ci-abidjan");
	k.role = CASE_ROLE_DESTINATION;
	k.state = CASE_OPEN;
	k.opened_at = 1000;
	if (store_case_insert(st, &k, (const uint8_t *)"prof", 4) != 0 ||
	    store_backup(st, 5000, sink, &c.out, &info) != 0 ||
	    info.bytes != c.out.len)
		return -1;
	store_close(st);
	if (entries(c.src) != 3)        /* the 2 databases and the journal */
		return -1;
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	free(c->out.b);
	nftw(c->base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Restoring b into the empty dst must fail with rc and leave it empty. */
static void
refused(struct ctx *c, const uint8_t *b, size_t len, const uint8_t *ksk, int rc)
{
	struct store_backup_info info;
	char *cause = NULL;

	put_file(c->file, b, len);
	assert_int_equal(store_restore(c->dst, ksk, c->file, &info, &cause), rc);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "nothing was changed"));
	free(cause);
	assert_int_equal(entries(c->dst), 0);
}

static void
test_roundtrip(void **state)
{
	struct ctx             *c = *state;
	struct store_backup_info info;
	struct store           *st = NULL;
	struct store_case       got;
	char                   *cause = NULL;

	put_file(c->file, c->out.b, c->out.len);
	assert_int_equal(store_restore(c->dst, c->ksk, c->file, &info, &cause), 0);
	assert_int_equal(info.bytes, c->out.len);
	assert_int_equal(entries(c->dst), 2);
	assert_int_equal(store_open(c->dst, c->ksk, &st, &cause), 0);
	assert_int_equal(store_case_get(st, "CI-B-1", NULL, &got), 0);
	store_close(st);
}

static void
test_damage(void **state)
{
	struct ctx     *c = *state;
	uint8_t        *b, other[ATREST_KEY_LEN];
	size_t          len = c->out.len;

	assert_non_null(b = malloc(len + 1));
	memcpy(b, c->out.b, len);
	/* Every byte of the header and the index, then a sample of the rest. */
	for (size_t i = 0; i < len; i += i < 128 ? 1 : 997) {
		b[i] ^= 0x01;
		put_file(c->file, b, len);
		{
			struct store_backup_info info;
			char *cause = NULL;

			assert_true(store_restore(c->dst, c->ksk, c->file, &info,
			    &cause) < 0);
			free(cause);
			assert_int_equal(entries(c->dst), 0);
		}
		b[i] ^= 0x01;
	}
	for (size_t cut = 0; cut < len; cut += cut < 128 ? 1 : 4093)
		refused(c, b, cut, c->ksk, cut < 36 ? -ENOEXEC : -EBADMSG);
	refused(c, b, len - 1, c->ksk, -EBADMSG);
	b[len] = 0;
	refused(c, b, len + 1, c->ksk, -EBADMSG);
	randombytes_buf(other, sizeof(other));
	refused(c, b, len, other, -EKEYREJECTED);
	memcpy(b, "HWBACKUP\0\0\0\2", 12);
	refused(c, b, len, c->ksk, -EPROTONOSUPPORT);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
