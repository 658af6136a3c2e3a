/* Unit tests: opening the store (daemon/store/store.c, store_schema.c) on
 * real SQLite files.  A fresh directory gets both databases at the newest
 * schema, in WAL mode, mode 0600; an existing file at an older version is
 * migrated with its rows kept; a migration that fails is undone whole and
 * named; a newer schema, a file that is not a database, a symbolic link, a
 * directory in a database's place, a path too long, a missing or
 * read-only directory are refused with -EIO, -EPROTONOSUPPORT or
 * -ENAMETOOLONG and a cause naming the file, and leave the files as they
 * were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_case.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "open") != 0)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct storefix *fx = *state;

	chmod(fx->dir, 0700);
	storefix_remove(fx);
	return 0;
}

/* store_open must fail with rc and a cause holding want. */
static void
expect_refused(struct storefix *fx, int rc, const char *want)
{
	char *cause = NULL;

	assert_int_equal(storefix_reopen(fx, &cause), rc);
	assert_null(fx->st);
	if (cause == NULL || strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause ? cause : "(none)", want);
	free(cause);
}

/* The newest schema of each file. */
#define DATA_VERSION    7
#define KEYS_VERSION    2

static long long
version(struct storefix *fx, const char *db)
{
	return storefix_int(fx, db, "PRAGMA user_version");
}

static void
test_fresh_directory(void **state)
{
	struct storefix        *fx = *state;
	struct stat             sb;
	const char             *dbs[] = { "data.db", "keystore.db" };

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(version(fx, dbs[i]), i == 0 ? DATA_VERSION :
		    KEYS_VERSION);
		assert_int_equal(storefix_int(fx, dbs[i], "SELECT count(*) FROM "
		    "pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
		assert_int_equal(stat(storefix_path(fx, dbs[i]), &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	assert_int_equal(storefix_int(fx, "keystore.db", "SELECT count(*) FROM "
	    "audit_head WHERE seq = 0"), 1);
	/* Opened again: nothing migrates twice. */
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(version(fx, "data.db"), DATA_VERSION);
	assert_int_equal(storefix_int(fx, "keystore.db", "SELECT count(*) FROM "
	    "audit_head"), 1);
}

/* Back to what migration 1 made: the tables, columns and row of
 * migration 2 removed and the version set to 1. */
static const char data_v1[] =
    /* migration 6 */
    "ALTER TABLE peers DROP COLUMN resync; DROP TABLE instance;"
    /* migration 5 */
    "DROP INDEX threads_by_peer; DROP INDEX alerts_by_peer;"
    "DROP INDEX cases_by_opener; ALTER TABLE peers DROP COLUMN quota_from;"
    /* migration 4 */
    "DROP TABLE requests;"
    /* migration 3 */
    "DROP INDEX alerts_pending; ALTER TABLE alerts DROP COLUMN notify;"
    "ALTER TABLE alerts DROP COLUMN notify_attempts;"
    "ALTER TABLE alerts DROP COLUMN notify_next_at;"
    "ALTER TABLE alerts DROP COLUMN count; ALTER TABLE alerts DROP COLUMN last_at;"
    /* migration 2 */
    "DROP TABLE cases; DROP TABLE case_threads; DROP TABLE consents;"
    "DROP TABLE held; DROP TABLE audit;"
    "ALTER TABLE alerts DROP COLUMN urgent; ALTER TABLE alerts DROP COLUMN case_code;"
    "ALTER TABLE alerts DROP COLUMN acked_at; ALTER TABLE alerts DROP COLUMN acked_by;"
    "PRAGMA user_version = 1;";
static const char keys_v1[] = "DROP TABLE audit_head; PRAGMA user_version = 1;";

/* Files named *.pre-migration in the store's directory. */
static int
count_copies(struct storefix *fx)
{
	DIR *dp;
	struct dirent *e;
	int n = 0;

	assert_non_null(dp = opendir(fx->dir));
	while ((e = readdir(dp)) != NULL)
		n += strstr(e->d_name, ".pre-migration") != NULL;
	closedir(dp);
	return n;
}

/* Both databases were copied as the older homewardd left them before
 * their schema changed (mode 0600); a week later the next start deletes
 * the copies. */
static void
premigration_copies_kept_then_pruned(struct storefix *fx)
{
	static const char *copies[] = { "data.db.v1.pre-migration",
	    "keystore.db.v1.pre-migration" };
	struct timespec old[2];
	struct stat sb;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(stat(storefix_path(fx, copies[i]), &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		assert_int_equal(version(fx, copies[i]), 1);
	}
	assert_int_equal(storefix_int(fx, copies[0], "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(access(storefix_path(fx, "data.db.v1.pre-migration.tmp"),
	    F_OK), -1);
	/* Opened again within the week: kept, and no new copy. */
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(stat(storefix_path(fx, copies[0]), &sb), 0);
	assert_int_equal(count_copies(fx), 2);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 8 * 86400;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(utimensat(AT_FDCWD, storefix_path(fx, copies[i]),
		    old, 0), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(access(storefix_path(fx, copies[i]), F_OK), -1);
}

static void
test_older_files_migrated(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m, got;
	struct store_peer       p, *v;
	struct store_case       c, back;
	uint8_t                 tid[ENV1_ID_LEN], *body;
	size_t                  n;
	static uint8_t          bundle[] = { 7, 7 };

	memset(&p, 0, sizeof(p));
	memcpy(p.rik, fx->peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "beta");
	p.bundle = bundle;
	p.bundle_len = sizeof(bundle);
	assert_int_equal(store_peer_put(fx->st, &p), 0);
	storefix_thread(fx, tid);
	storefix_out(fx, tid, "written by the older homewardd", &m);
	storefix_close(fx);
	assert_int_equal(storefix_sql(fx, "data.db", data_v1), 0);
	assert_int_equal(storefix_sql(fx, "keystore.db", keys_v1), 0);

	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(version(fx, "data.db"), DATA_VERSION);
	assert_int_equal(version(fx, "keystore.db"), KEYS_VERSION);
	assert_int_equal(storefix_int(fx, "keystore.db", "SELECT count(*) FROM "
	    "audit_head WHERE seq = 0"), 1);
	premigration_copies_kept_then_pruned(fx);
	/* What was there is still there and still decrypts. */
	assert_int_equal(store_peer_list(fx->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].agency_id, "beta");
	store_peer_list_free(v, n);
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), 0);
	assert_memory_equal(body, "written by the older homewardd", got.body_len);
	secret_free(body);
	/* And what migration 2 adds works. */
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	strcpy(c.code, "CI-MIG-1");
	strcpy(c.home, "ci-abidjan");
	c.role = CASE_ROLE_DESTINATION;
	c.state = CASE_OPEN;
	assert_int_equal(store_case_insert(fx->st, &c, NULL, 0), 0);
	assert_int_equal(store_case_get(fx->st, "CI-MIG-1", NULL, &back), 0);
	assert_int_equal(store_alert_case(fx->st, "reply_overdue", 1, NULL, NULL,
	    "CI-MIG-1", "overdue", 5), 0);
}

/* The schema of main before issue 11 (version 3): what its homewardd
 * wrote is still there after migrations 4 and 5, and it was copied first. */
static void
test_v3_migrated(void **state)
{
	struct storefix        *fx = *state;
	struct store_case       c, back;

	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	strcpy(c.code, "CI-V3-1");
	strcpy(c.home, "ci-abidjan");
	c.role = CASE_ROLE_DESTINATION;
	c.state = CASE_OPEN;
	assert_int_equal(store_case_insert(fx->st, &c, NULL, 0), 0);
	assert_int_equal(store_alert_case(fx->st, "reply_overdue", 1, NULL, NULL,
	    "CI-V3-1", "overdue", 5), 0);
	storefix_close(fx);
	assert_int_equal(storefix_sql(fx, "data.db",
	    "ALTER TABLE peers DROP COLUMN resync; DROP TABLE instance;"
	    "DROP INDEX threads_by_peer; DROP INDEX alerts_by_peer;"
	    "DROP INDEX cases_by_opener; ALTER TABLE peers DROP COLUMN quota_from;"
	    "DROP TABLE requests; ALTER TABLE consents DROP COLUMN notice_language;"
	    "ALTER TABLE consents DROP COLUMN notice_sha256;"
	    "PRAGMA user_version = 3;"), 0);

	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(version(fx, "data.db"), DATA_VERSION);
	assert_int_equal(version(fx, "data.db.v3.pre-migration"), 3);
	assert_int_equal(storefix_int(fx, "data.db", "SELECT count(*) FROM requests"), 0);
	assert_int_equal(store_case_get(fx->st, "CI-V3-1", NULL, &back), 0);
	assert_int_equal(back.state, CASE_OPEN);
	assert_int_equal(storefix_int(fx, "data.db", "SELECT count(*) FROM alerts "
	    "WHERE urgent = 1 AND case_code = 'CI-V3-1'"), 1);
}

static void
test_failed_migration_undone(void **state)
{
	struct storefix *fx = *state;

	storefix_close(fx);
	/* An older file that already has a table of that name (an operator's
	 * experiment): migration 2 cannot create it. */
	assert_int_equal(storefix_sql(fx, "data.db", data_v1), 0);
	assert_int_equal(storefix_sql(fx, "data.db", "CREATE TABLE held (x)"), 0);
	expect_refused(fx, -EIO, "data.db: migration 2 failed");
	/* Nothing of migration 2 stayed: still version 1, no cases table, no
	 * new column in alerts. */
	assert_int_equal(version(fx, "data.db"), 1);
	assert_int_equal(storefix_int(fx, "data.db", "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'cases'"), 0);
	assert_int_equal(storefix_int(fx, "data.db", "SELECT count(*) FROM "
	    "pragma_table_info('alerts') WHERE name = 'urgent'"), 0);
	/* keystore.db was not touched either (it migrates after data.db). */
	assert_int_equal(version(fx, "keystore.db"), KEYS_VERSION);
	/* With the obstacle gone, the same files open and migrate. */
	assert_int_equal(storefix_sql(fx, "data.db", "DROP TABLE held"), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(version(fx, "data.db"), DATA_VERSION);
}

static void
test_newer_schema_refused(void **state)
{
	struct storefix *fx = *state;

	storefix_close(fx);
	assert_int_equal(storefix_sql(fx, "keystore.db", "PRAGMA user_version = 3"), 0);
	expect_refused(fx, -EPROTONOSUPPORT, "keystore.db: schema version 3 is "
	    "newer than this homewardd (2): upgrade homewardd");
	assert_int_equal(version(fx, "keystore.db"), 3);
	assert_int_equal(version(fx, "data.db"), DATA_VERSION);
	assert_int_equal(storefix_sql(fx, "data.db", "PRAGMA user_version = 8"), 0);
	expect_refused(fx, -EPROTONOSUPPORT, "data.db: schema version 8 is newer");
	assert_int_equal(version(fx, "data.db"), 8);
}

/* The whole file, to show that a refused open left it alone. */
static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE   *f = fopen(path, "rb");
	size_t  n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void
test_not_a_database(void **state)
{
	struct storefix        *fx = *state;
	static const char       junk[] = "this is a synthetic text file, not a "
	    "database; it is 4096 bytes of nothing ...";
	uint8_t                 before[8192], after[8192];
	char                    path[128];
	size_t                  n;

	storefix_close(fx);
	/* keystore.db replaced: data.db opens, keystore.db is refused. */
	snprintf(path, sizeof(path), "%s", storefix_path(fx, "keystore.db"));
	memset(before, '.', sizeof(before));
	memcpy(before, junk, sizeof(junk) - 1);
	write_file(path, before, 4096);
	expect_refused(fx, -EIO, "keystore.db: cannot set its pragmas");
	n = slurp(path, after, sizeof(after));
	assert_int_equal(n, 4096);
	assert_memory_equal(after, before, n);
	/* data.db replaced too: refused first, and left as it was. */
	snprintf(path, sizeof(path), "%s", storefix_path(fx, "data.db"));
	write_file(path, before, 4096);
	expect_refused(fx, -EIO, "data.db: cannot set its pragmas");
	assert_int_equal(slurp(path, after, sizeof(after)), 4096);
	assert_memory_equal(after, before, 4096);
}

static void
test_link_or_directory_in_place(void **state)
{
	struct storefix        *fx = *state;
	char                    target[128], path[128];
	uint8_t                 before[4096], after[4096];
	size_t                  n;

	storefix_close(fx);
	/* data.db a symbolic link to another file: not followed. */
	snprintf(target, sizeof(target), "%s", storefix_path(fx, "elsewhere.db"));
	snprintf(path, sizeof(path), "%s", storefix_path(fx, "data.db"));
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	n = slurp(target, before, sizeof(before));
	expect_refused(fx, -EIO, path);
	assert_int_equal(slurp(target, after, sizeof(after)), n);
	assert_memory_equal(after, before, n);
	/* data.db a directory. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused(fx, -EIO, path);
	assert_int_equal(rmdir(path), 0);
	/* Back in place, it opens again. */
	assert_int_equal(rename(target, path), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
}

static void
test_bad_directory(void **state)
{
	struct storefix        *fx = *state;
	struct store           *st = (struct store *)1;
	char                    dir[PATH_MAX + 8], *cause = NULL;

	(void)fx;
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	assert_int_equal(store_open(dir, fx->ksk, &st, &cause), -ENAMETOOLONG);
	assert_null(st);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "path too long"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_open("/nonexistent/homeward-state", fx->ksk, &st,
	    &cause), -EIO);
	assert_null(st);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent/homeward-state/data.db: "));
	free(cause);
	/* Nothing was created on the way. */
	assert_int_equal(access("/nonexistent", F_OK), -1);
}

/* In a child without the right to write dir (root drops to nobody, which
 * the permission bits then bind): 0 when store_open refused as it should
 * and created nothing, else the line that failed. */
static int
open_read_only(const char *dir, const uint8_t *ksk, int fresh)
{
	struct store   *st = NULL;
	char           *cause = NULL, path[128];

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return __LINE__;
	if (store_open(dir, ksk, &st, &cause) != -EIO || st != NULL)
		return __LINE__;
	if (cause == NULL || strstr(cause, fresh ? "data.db: " :
	    "data.db: cannot set its pragmas") == NULL)
		return __LINE__;
	free(cause);
	snprintf(path, sizeof(path), "%s/data.db-wal", dir);
	if (access(path, F_OK) == 0)
		return __LINE__;
	snprintf(path, sizeof(path), "%s/data.db", dir);
	if (fresh && access(path, F_OK) == 0)
		return __LINE__;
	return 0;
}

static void
run_read_only(struct storefix *fx, int fresh)
{
	pid_t   pid;
	int     status;

	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		exit(open_read_only(fx->dir, fx->ksk, fresh));  /* exit: gcov counts */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("read-only %s directory: the check at line %d failed",
		    fresh ? "empty" : "existing", WEXITSTATUS(status));
}

static void
test_read_only_directory(void **state)
{
	struct storefix        *fx = *state;
	struct stat             before, after;
	char                    path[128];

	/* An empty state directory nobody may write. */
	storefix_close(fx);
	snprintf(path, sizeof(path), "%s", storefix_path(fx, "data.db"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(storefix_path(fx, "keystore.db")), 0);
	assert_int_equal(chmod(fx->dir, 0555), 0);
	run_read_only(fx, 1);
	/* Existing databases the daemon's user owns, in a directory it may
	 * not write: WAL mode needs its -wal and -shm files next to them. */
	assert_int_equal(chmod(fx->dir, 0700), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	storefix_close(fx);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(chown(storefix_path(fx, "keystore.db"), 65534,
		    65534), 0);
	}
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(chmod(fx->dir, 0555), 0);
	run_read_only(fx, 0);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtime, before.st_mtime);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_files_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v3_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_or_directory_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_directory, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_open");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
