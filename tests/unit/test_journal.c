/* Unit tests: the erasure journal (daemon/store/store_journal.c) and its
 * replay (store_erasures.c) on real files: a record round-trips and any
 * changed byte is refused; a damaged record is skipped and a torn tail cut;
 * an erasure writes its record first; an old copy of the databases put
 * back is erased again by the replay, and a second replay does nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

struct ctx {
	char            dir[64];
	uint8_t         ksk[ATREST_KEY_LEN];
	struct store   *st;
};

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static void
reopen(struct ctx *c)
{
	char *cause = NULL;

	store_close(c->st);
	c->st = NULL;
	if (store_open(c->dir, c->ksk, &c->st, &cause) != 0)
		fail_msg("store_open: %s", cause ? cause : "?");
}

static int
setup(void **state)
{
	static struct ctx c;

	memset(&c, 0, sizeof(c));
	snprintf(c.dir, sizeof(c.dir), "/tmp/homeward-journal-XXXXXX");
	if (mkdtemp(c.dir) == NULL)
		return -1;
	randombytes_buf(c.ksk, sizeof(c.ksk));
	reopen(&c);
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	store_close(c->st);
	nftw(c->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
sample(struct store_erasure *e, int kind, uint64_t at)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->at = at;
	randombytes_buf(kind == STORE_ERASURE_CASE ? e->case_id : e->thread_id,
	    ENV1_ID_LEN);
}

static void
test_record(void **state)
{
	struct store_erasure    e, got;
	uint8_t                 rec[STORE_JOURNAL_RECLEN];

	(void)state;
	sample(&e, STORE_ERASURE_CASE, 1765000000123ull);
	store_journal_encode(&e, rec);
	assert_memory_equal(rec, "HWEJ\001\001\000\000", 8);
	assert_int_equal(store_journal_decode(rec, &got), 0);
	assert_memory_equal(&got, &e, sizeof(e));
	for (size_t i = 0; i < sizeof(rec); i++) {
		rec[i] ^= 0x20;
		assert_int_equal(store_journal_decode(rec, &got), -EBADMSG);
		rec[i] ^= 0x20;
	}
}

static int
collect(const struct store_erasure *e, void *arg)
{
	struct store_erasure **p = arg;

	*(*p)++ = *e;
	return 0;
}

static void
test_file(void **state)
{
	struct ctx             *c = *state;
	struct store_erasure    e[4], got[8], *p = got;
	struct stat             sb;
	char                    path[128];
	uint8_t                 junk[STORE_JOURNAL_RECLEN];
	unsigned                bad;
	int                     fd;

	memset(junk, 'x', sizeof(junk));
	snprintf(path, sizeof(path), "%s/" STORE_JOURNAL_NAME, c->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(store_journal_open(c->dir, &fd), 0);
	for (int i = 0; i < 4; i++) {
		sample(&e[i], i % 2 ? STORE_ERASURE_THREAD : STORE_ERASURE_CASE, i);
		if (i == 2)     /* a damaged record between */
			assert_int_equal(write(fd, junk, sizeof(junk)),
			    (ssize_t)sizeof(junk));
		assert_int_equal(store_journal_append_fd(fd, &e[i]), 0);
	}
	assert_int_equal(write(fd, "torn", 4), 4);      /* a crash mid-append */
	close(fd);
	assert_int_equal(store_journal_open(c->dir, &fd), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size % STORE_JOURNAL_RECLEN, 0);
	assert_int_equal(store_journal_read_fd(fd, collect, &p, &bad), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(p - got, 4);
	assert_memory_equal(got, e, sizeof(e));
	close(fd);
}

static void
copy_file(const char *from, const char *to)
{
	char    buf[8192];
	ssize_t n;
	int     in, out;

	assert_true((in = open(from, O_RDONLY)) >= 0);
	assert_true((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* Both databases as files (the store closed), to or from dir/old-NAME. */
static void
swap_dbs(struct ctx *c, int back)
{
	static const char *const names[] = { "data.db", "keystore.db" };
	char cur[128], old[128];

	for (int i = 0; i < 2; i++) {
		snprintf(cur, sizeof(cur), "%s/%s", c->dir, names[i]);
		snprintf(old, sizeof(old), "%s/old-%s", c->dir, names[i]);
		if (back) {
			copy_file(old, cur);
			strcat(cur, "-wal");
			(void)unlink(cur);
		} else
			copy_file(cur, old);
	}
}

static void
test_replay(void **state)
{
	struct ctx             *c = *state;
	struct store_case       a, b, got;
	unsigned                n;

	memset(&a, 0, sizeof(a));
	randombytes_buf(a.case_id, ENV1_ID_LEN);
	snprintf(a.code, sizeof(a.code), "CI-J-1");
	snprintf(a.home, sizeof(a.home), "ci-abidjan");
	a.role = CASE_ROLE_DESTINATION;
	a.state = CASE_OPEN;
	a.opened_at = 1000;
	b = a;
	randombytes_buf(b.case_id, ENV1_ID_LEN);
	snprintf(b.code, sizeof(b.code), "CI-J-2");
	assert_int_equal(store_case_insert(c->st, &a, NULL, 0), 0);
	assert_int_equal(store_case_insert(c->st, &b, NULL, 0), 0);
	store_close(c->st);
	c->st = NULL;
	swap_dbs(c, 0);                 /* the old copy: both cases whole */
	reopen(c);
	/* A case erased whole, and one key shredded alone (as a thread's). */
	assert_int_equal(store_case_erase(c->st, a.case_id, "alice", "test", 2000), 0);
	assert_int_equal(store_case_shred(c->st, b.case_id, "alice", "test", 2001), 0);
	assert_int_equal(store_erasures_replay(c->st, 3000, &n), 0);
	assert_int_equal(n, 0);         /* nothing left to do */
	store_close(c->st);
	c->st = NULL;
	swap_dbs(c, 1);                 /* the old copy put back */
	reopen(c);
	assert_int_equal(store_case_get_id(c->st, a.case_id, &got), 0);
	assert_int_equal(got.state, CASE_OPEN);
	assert_int_equal(store_key_present(c->st, b.case_id), 1);
	assert_int_equal(store_erasures_replay(c->st, 3000, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_case_get_id(c->st, a.case_id, &got), 0);
	assert_int_equal(got.state, CASE_ERASED);
	assert_int_equal(store_case_keys_left(c->st, a.case_id), 0);
	assert_int_equal(store_key_present(c->st, b.case_id), 0);
	/* Idempotent, and the replay wrote no record of its own. */
	assert_int_equal(store_erasures_replay(c->st, 4000, &n), 0);
	assert_int_equal(n, 0);
	{
		struct stat sb;
		char path[128];

		snprintf(path, sizeof(path), "%s/" STORE_JOURNAL_NAME, c->dir);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, 2 * STORE_JOURNAL_RECLEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
