/* Unit tests: homewardd's configuration file (daemon/config.c): defaults,
 * every section, and errors that name the file and the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/base/config.h"

static char path[64];

static int
setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/homeward-conf-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char minimal[] =
    "[agency]\n"
    "dir = /tmp/agency\n"
    "passphrase_file = /tmp/pass\n"
    "[daemon]\n"
    "state_dir = /tmp/state\n";

static void
test_minimal_defaults(void **state)
{
	struct config   c;
	char            err[CONFIG_ERR_LEN];

	(void)state;
	write_conf(minimal);
	assert_int_equal(config_load(path, &c, err), 0);
	assert_string_equal(c.agency_dir, "/tmp/agency");
	assert_string_equal(c.state_dir, "/tmp/state");
	assert_int_equal(c.passphrase_fd, -1);
	assert_string_equal(c.listen_host, "");
	assert_int_equal(c.retry_min_ms, 2000);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	config_free(&c);
}

static void
test_everything(void **state)
{
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[1024];
	struct passwd  *pw = getpwuid(getuid());

	(void)state;
	assert_non_null(pw);
	snprintf(text, sizeof(text),
	    "; comment\n"
	    "[agency]\ndir = /a\npassphrase_fd = 3\n"
	    "[daemon]\nstate_dir = /s\ncontrol_socket = /s/c.sock\n"
	    "listen = [::1]:7400\nlog = syslog\nlog_level = debug\n"
	    "[delivery]\nretry_min_ms = 100\nretry_max_ms = 900\n"
	    "[roles]\n%s = caseworker, auditor\n"
	    "[peers]\nbeta = 192.0.2.7:7401\n", pw->pw_name);
	write_conf(text);
	assert_int_equal(config_load(path, &c, err), 0);
	assert_int_equal(c.passphrase_fd, 3);
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 7400);
	assert_int_equal(c.log_syslog, 1);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.retry_min_ms, 100);
	assert_int_equal(c.nusers, 1);
	assert_int_equal(c.users[0].roles, ROLE_CASEWORKER | ROLE_AUDITOR);
	assert_string_equal(config_endpoint(&c, "beta"), "192.0.2.7:7401");
	assert_null(config_endpoint(&c, "gamma"));
	/* The daemon's own uid holds every role. */
	assert_int_equal(config_roles(&c, geteuid()), ROLE_ALL);
	assert_int_equal(config_roles(&c, 65534 == geteuid() ? 65533 : 65534), 0);
	config_free(&c);
}

struct bad {
	const char     *text;
	const char     *want;   /* substring of the error */
};

static void
test_errors_name_file_and_line(void **state)
{
	static const struct bad bad[] = {
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "listen = nocolon\n", ":6: listen must be host:port" },
		{ "[agency]\ndir = /a\nbogus = 1\n", ":3: unknown key bogus in [agency]" },
		{ "[nosuch]\nx = 1\n", ":2: unknown section [nosuch]" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[delivery]\nretry_min_ms = -5\n", ":7: retry_min_ms must be" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[roles]\nroot = janitor\n", ":7: role of root must be" },
		{ "[agency]\ndir = /a\n[daemon]\nstate_dir = /s\n",
		  "exactly one of passphrase_file and passphrase_fd" },
		{ "[agency]\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n",
		  "[agency] dir is required" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[delivery]\nretry_min_ms = 900\nretry_max_ms = 100\n",
		  "a minimum is above its maximum" },
		{ "[agency\n", ":1: syntax error" },
	};
	struct config   c;
	char            err[CONFIG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i].text);
		assert_int_equal(config_load(path, &c, err), -1);
		if (strstr(err, bad[i].want) == NULL || strncmp(err, path,
		    strlen(path)) != 0)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].want);
	}
	assert_int_equal(config_load("/nonexistent/homewardd.conf", &c, err), -1);
	assert_non_null(strstr(err, "No such file"));
}

static void
test_hostport(void **state)
{
	char            host[64];
	uint16_t        port;

	(void)state;
	assert_int_equal(config_split_hostport("127.0.0.1:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 80);
	assert_int_equal(config_split_hostport("name.example:7400", host, sizeof(host),
	    &port), 0);
	assert_int_equal(config_split_hostport("[fe80::1]:9", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(config_split_hostport("::1:80", host, sizeof(host), &port), -1);
	assert_int_equal(config_split_hostport("h:65536", host, sizeof(host), &port), -1);
	assert_int_equal(config_split_hostport("h:", host, sizeof(host), &port), -1);
	assert_int_equal(config_split_hostport(":80", host, sizeof(host), &port), -1);
	assert_int_equal(config_split_hostport("h:8x", host, sizeof(host), &port), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, setup, teardown),
		cmocka_unit_test(test_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
