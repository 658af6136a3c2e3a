/* Unit tests: the log's line format (daemon/base/log.c): under systemd's
 * journal (JOURNAL_STREAM names standard error) a line is its syslog
 * priority and the message; elsewhere a UTC time, the ident and the
 * level; below the level nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/base/log.h"

/* Standard error into a fresh temporary file; its fd. */
static int
capture(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/test_log.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	return fd;
}

static void
read_back(int fd, const char *path, char *buf, size_t len)
{
	ssize_t n;

	fflush(stderr);
	n = pread(fd, buf, len - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
}

static void
test_journal_lines(void **state)
{
	char            path[256], env[64], buf[512];
	struct stat     sb;
	int             saved = dup(STDERR_FILENO), fd;

	(void)state;
	fd = capture(path, sizeof(path));
	assert_int_equal(fstat(STDERR_FILENO, &sb), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init(0, LOG_LEVEL_INFO, "test_log");
	log_warnx("peer %s: %d frames", "sn-dakar", 3);
	log_info("listening");
	log_debug("not shown at info");
	read_back(fd, path, buf, sizeof(buf));
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_string_equal(buf, "<4>peer sn-dakar: 3 frames\n<6>listening\n");
	unsetenv("JOURNAL_STREAM");
}

static void
test_plain_lines(void **state)
{
	char    path[256], buf[512];
	int     saved = dup(STDERR_FILENO), fd;

	(void)state;
	fd = capture(path, sizeof(path));
	/* Another stream than stderr: not the journal. */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init(0, LOG_LEVEL_WARN, "test_log");
	log_warnx("disk reserve reached");
	log_info("not shown at warn");
	read_back(fd, path, buf, sizeof(buf));
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	/* 2026-12-06T15:01:44.123Z test_log[warn]: disk reserve reached */
	assert_int_equal(strlen(buf), 24 + strlen(" test_log[warn]: disk reserve reached\n"));
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[23], 'Z');
	assert_string_equal(buf + 24, " test_log[warn]: disk reserve reached\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_lines),
		cmocka_unit_test(test_plain_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
