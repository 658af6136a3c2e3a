/* Unit tests: homewardd's configuration file (daemon/base/config.c):
 * defaults, every section and key with good values, every key's bad values
 * (numbers out of range, bad booleans, unknown keys and sections, bad
 * addresses, roles for unknown users, durations, travel rules), each error
 * naming the file and the line, and a refused file leaving nothing
 * allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grp.h>
#include <limits.h>
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
	assert_string_equal(c.metrics_file, "");        /* none */
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
	    "metrics_file = /var/lib/node/homeward.prom\n"
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
	assert_string_equal(c.metrics_file, "/var/lib/node/homeward.prom");
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

/* A configuration that loads, then one more section and line: that line
 * is line 7 of the file, and every error must say so. */
static const char prefix[] =
    "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n";

struct bad_line {
	const char     *section;
	const char     *line;
	const char     *want;   /* the message after "FILE:7: " */
};

static void
expect_refused(const char *text, const char *want)
{
	struct config   c;
	char            err[CONFIG_ERR_LEN], head[PATH_MAX + 8];

	write_conf(text);
	memset(&c, 0x5a, sizeof(c));
	if (config_load(path, &c, err) != -1)
		fail_msg("accepted: %s", text);
	/* "FILE:LINE: why" exactly, from the start. */
	snprintf(head, sizeof(head), "%s:", path);
	if (strncmp(err, head, strlen(head)) != 0 || strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\" (for %s)", err, want, text);
	/* Nothing is left allocated for the caller to free. */
	assert_null(c.users);
	assert_null(c.endpoints);
	assert_null(c.partners);
	assert_int_equal(c.nusers, 0);
	assert_int_equal(c.nendpoints, 0);
	assert_int_equal(c.npartners, 0);
}

static void
test_bad_value_of_every_key(void **state)
{
	static const struct bad_line bad[] = {
		/* [agency] */
		{ "agency", "dir =", "7: bad value for dir" },
		{ "agency", "passphrase_file =", "7: bad value for passphrase_file" },
		{ "agency", "passphrase_fd = -1", "7: bad value for passphrase_fd" },
		{ "agency", "passphrase_fd = 1024", "7: bad value for passphrase_fd" },
		{ "agency", "passphrase_fd = 3x", "7: bad value for passphrase_fd" },
		{ "agency", "passphrase_fd =", "7: bad value for passphrase_fd" },
		{ "agency", "rik = /x", "7: unknown key rik in [agency]" },
		/* [daemon] */
		{ "daemon", "state_dir =", "7: bad value for state_dir" },
		{ "daemon", "control_socket =", "7: bad value for control_socket" },
		{ "daemon", "metrics_file = node/homeward.prom",
		  "7: metrics_file must be an absolute path" },
		{ "daemon", "control_group = hw-no-such-group",
		  "7: no such group: hw-no-such-group" },
		{ "daemon", "listen = 7400", "7: listen must be host:port" },
		{ "daemon", "listen = :7400", "7: listen must be host:port" },
		{ "daemon", "listen = 127.0.0.1:", "7: listen must be host:port" },
		{ "daemon", "listen = 127.0.0.1:65536", "7: listen must be host:port" },
		{ "daemon", "listen = 127.0.0.1:74x", "7: listen must be host:port" },
		{ "daemon", "listen = ::1:7400", "7: listen must be host:port" },
		{ "daemon", "listen = [::1]7400", "7: listen must be host:port" },
		{ "daemon", "listen = [::1:7400", "7: listen must be host:port" },
		{ "daemon", "listen = []:7400", "7: listen must be host:port" },
		{ "daemon", "log = journald", "7: bad value for log" },
		{ "daemon", "log_level = verbose", "7: bad value for log_level" },
		{ "daemon", "max_data_mb = 0", "7: max_data_mb must be a number of "
		  "megabytes from 1" },
		{ "daemon", "max_data_mb = 16777217", "7: max_data_mb must be" },
		{ "daemon", "max_data_mb = -5", "7: max_data_mb must be" },
		{ "daemon", "max_data_mb = 10M", "7: max_data_mb must be" },
		{ "daemon", "test_documents = maybe", "7: test_documents must be yes or no" },
		{ "daemon", "test_documents = YES", "7: test_documents must be yes or no" },
		{ "daemon", "pidfile = /run/x", "7: unknown key pidfile in [daemon]" },
		/* [delivery] (each duration is also checked by the next test) */
		{ "delivery", "retry_ms = 5", "7: unknown key retry_ms in [delivery]" },
		/* [procedure] */
		{ "procedure", "retention_ms = 0", "7: retention_ms must be a positive "
		  "number of milliseconds, at most 100 years" },
		{ "procedure", "retention_ms = 3153600000001", "7: retention_ms must be" },
		{ "procedure", "require_reintegration = sometimes",
		  "7: require_reintegration must be yes or no" },
		{ "procedure", "alert_command = bin/page",
		  "7: alert_command must be an absolute path" },
		{ "procedure", "alert_command =", "7: alert_command must be an absolute path" },
		{ "procedure", "reply_days = 7", "7: unknown key reply_days in [procedure]" },
		{ "procedure", "case_code_pattern = ^CI-[0-9",
		  "7: case_code_pattern is not a POSIX extended regular expression: " },
		/* [travel] */
		{ "travel", "earliest_hour = 25", "7: earliest_hour must be an hour, 0-24" },
		{ "travel", "latest_hour = -1", "7: latest_hour must be an hour, 0-24" },
		{ "travel", "latest_hour = 9am", "7: latest_hour must be an hour, 0-24" },
		{ "travel", "max_transits = 17", "7: max_transits must be 0-16" },
		{ "travel", "max_transits = many", "7: max_transits must be 0-16" },
		{ "travel", "weekend = fri,someday", "7: weekend must list days as "
		  "sun,mon,tue,wed,thu,fri,sat" },
		{ "travel", "weekend = saturday", "7: weekend must list days" },
		{ "travel", "weekend =", "7: weekend must list days" },
		{ "travel", "weekend = sun,mon,tue,wed,thu,fri,sat,sun,mon,tue,wed,thu,"
		  "fri,sat,sun,mon,tue", "7: weekend must list days" },
		{ "travel", "min_notice_ms = 0", "7: min_notice_ms must be a positive "
		  "number of milliseconds" },
		{ "travel", "min_notice_ms = 2592000001", "7: min_notice_ms must be" },
		{ "travel", "night = yes", "7: unknown key night in [travel]" },
		{ "travel", "holidays = 2027-02-30", "7: holidays: \"2027-02-30\" is "
		  "not a date; write YYYY-MM-DD, separated by commas" },
		{ "travel", "holidays = 2026-02-29", "7: holidays: \"2026-02-29\"" },
		{ "travel", "holidays = 2100-02-29", "7: holidays: \"2100-02-29\"" },
		{ "travel", "holidays = 2027-01-01,2027-1-2", "7: holidays: \"2027-1-2\"" },
		{ "travel", "holidays = 27-01-01", "7: holidays: \"27-01-01\"" },
		{ "travel", "holidays = 2027-13-01", "7: holidays: \"2027-13-01\"" },
		{ "travel", "holidays = 2027-04-31", "7: holidays: \"2027-04-31\"" },
		{ "travel", "holidays = 2027-01-00", "7: holidays: \"2027-01-00\"" },
		{ "travel", "holidays = 1969-12-31", "7: holidays: \"1969-12-31\"" },
		{ "travel", "holidays = 2027-01-01x", "7: holidays: \"2027-01-01x\"" },
		{ "travel", "holidays = +027-01-01", "7: holidays: \"+027-01-01\"" },
		{ "travel", "holidays = 2027/01/01", "7: holidays: \"2027/01/01\"" },
		{ "travel", "holidays = new year", "7: holidays: \"new\"" },
		/* [travel "AGENCY"]: the same keys, and the section's name */
		{ "travel \"ml-bamako\"", "holidays = 2027-02-30",
		  "7: holidays: \"2027-02-30\" is not a date" },
		{ "travel \"ml-bamako\"", "earliest_hour = 25",
		  "7: earliest_hour must be an hour, 0-24" },
		{ "travel \"ml-bamako\"", "weekend = someday", "7: weekend must list days" },
		{ "travel \"ml-bamako\"", "min_notice_ms = 0", "7: min_notice_ms must be" },
		{ "travel \"ml-bamako\"", "max_transits = 17", "7: max_transits must be 0-16" },
		{ "travel \"ml-bamako\"", "night = yes",
		  "7: unknown key night in [travel \"ml-bamako\"]" },
		{ "travel \"ML-Bamako\"", "weekend = fri", "7: section [travel "
		  "\"ML-Bamako\"]: an agency id is 1 to 63 of a-z, 0-9 and '-'" },
		{ "travel \"\"", "weekend = fri", "7: section [travel \"\"]: an agency id" },
		{ "travel \"ml bamako\"", "weekend = fri", "7: section [travel "
		  "\"ml bamako\"]: an agency id" },
		{ "travel ml-bamako", "weekend = fri", "7: unknown section [travel "
		  "ml-bamako]; a partner's travel rules go in [travel \"AGENCY\"]" },
		{ "travel.ml-bamako", "weekend = fri", "7: unknown section "
		  "[travel.ml-bamako]; a partner's" },
		{ "travel \"ml-bamako", "weekend = fri", "7: unknown section "
		  "[travel \"ml-bamako]; a partner's" },
		/* libinih cuts a section's name at 49 bytes: an id of 41 would
		 * lose its end (and could name another agency). */
		{ "travel \"a-partner-agency-with-an-id-of-41-letters\"", "weekend = fri",
		  "7: section [travel \"a-partner-agency-with-an-id-of-41-letters...]: "
		  "an agency id in a section name has at most 40 characters" },
		{ "travels", "weekend = fri", "7: unknown section [travels]" },
		/* [roles] */
		{ "roles", "hw-no-such-user = caseworker", "7: no such user: hw-no-such-user" },
		{ "roles", "0 = caseworker", "7: no such user: 0" },
		{ "roles", "4294967295 = caseworker", "7: no such user: 4294967295" },
		{ "roles", "12x = caseworker", "7: no such user: 12x" },
		{ "roles", "root = janitor", "7: role of root must be caseworker, "
		  "supervisor or auditor (comma-separated)" },
		{ "roles", "root = caseworker, janitor", "7: role of root must be" },
		{ "roles", "root =", "7: role of root must be" },
		{ "roles", "root = ,", "7: role of root must be" },
		{ "roles", "root = caseworker caseworker caseworker caseworker caseworker "
		  "caseworker caseworker caseworker caseworker caseworker caseworker "
		  "caseworker caseworker", "7: role of root must be" },
		/* [peers] */
		{ "peers", "beta = 192.0.2.7", "7: endpoint of beta must be host:port" },
		{ "peers", "beta = 192.0.2.7:0", "7: endpoint of beta must be host:port" },
		{ "peers", "beta =", "7: endpoint of beta must be host:port" },
		{ "peers", "an-agency-id-of-more-than-sixty-four-characters-which-is-too-"
		  "long = 192.0.2.7:7400", "7: agency id or endpoint too long" },
		/* sections */
		{ "daemons", "state_dir = /s", "7: unknown section [daemons]" },
		{ "Daemon", "state_dir = /s", "7: unknown section [Daemon]" },
		/* not key = value at all */
		{ "daemon", "state_dir", "7: syntax error" },
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[%s]\n%s\n", prefix, bad[i].section,
		    bad[i].line);
		expect_refused(text, bad[i].want);
	}
}

struct ms_field {
	const char     *section;
	const char     *key;
	size_t          off;
};

/* Every duration: 1 ms to 30 days, nothing else. */
static void
test_durations_bounds(void **state)
{
	static const struct ms_field keys[] = {
		{ "delivery", "retry_min_ms", offsetof(struct config, retry_min_ms) },
		{ "delivery", "retry_max_ms", offsetof(struct config, retry_max_ms) },
		{ "delivery", "dial_min_ms", offsetof(struct config, dial_min_ms) },
		{ "delivery", "dial_max_ms", offsetof(struct config, dial_max_ms) },
		{ "delivery", "heartbeat_ms", offsetof(struct config, heartbeat_ms) },
		{ "delivery", "idle_timeout_ms", offsetof(struct config, idle_timeout_ms) },
		{ "delivery", "gap_alert_ms", offsetof(struct config, gap_alert_ms) },
		{ "delivery", "prekey_check_ms", offsetof(struct config, prekey_check_ms) },
		{ "procedure", "reply_ms", offsetof(struct config, reply_ms) },
		{ "procedure", "arrival_grace_ms", offsetof(struct config, arrival_grace_ms) },
		{ "procedure", "deadline_check_ms", offsetof(struct config, deadline_check_ms) },
		{ "procedure", "erasure_wait_ms", offsetof(struct config, erasure_wait_ms) },
		{ "travel", "min_notice_ms", offsetof(struct config, travel.min_notice_ms) },
	};
	static const char *const bad[] = {
		"0", "2592000001", "-1", "1.5", "10s", "", " ", "18446744073709551616",
	};
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[512], want[128];
	uint64_t        v;

	(void)state;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			snprintf(text, sizeof(text), "%s[%s]\n%s = %s\n", prefix,
			    keys[k].section, keys[k].key, bad[b]);
			snprintf(want, sizeof(want), "7: %s must be a positive number "
			    "of milliseconds", keys[k].key);
			expect_refused(text, want);
		}
		/* Both ends of the range are taken as written.  (A minimum at 30
		 * days is above its default maximum, so the maximum comes too.) */
		snprintf(text, sizeof(text), "%s[delivery]\nretry_max_ms = 2592000000\n"
		    "dial_max_ms = 2592000000\n[%s]\n%s = 2592000000\n", prefix,
		    keys[k].section, keys[k].key);
		write_conf(text);
		if (config_load(path, &c, err) != 0)
			fail_msg("%s = 30 days refused: %s", keys[k].key, err);
		memcpy(&v, (const char *)&c + keys[k].off, sizeof(v));
		assert_int_equal(v, 2592000000ull);
		config_free(&c);
		snprintf(text, sizeof(text), "%s[delivery]\nretry_min_ms = 1\n"
		    "dial_min_ms = 1\n[%s]\n%s = 1\n", prefix, keys[k].section,
		    keys[k].key);
		write_conf(text);
		if (config_load(path, &c, err) != 0)
			fail_msg("%s = 1 refused: %s", keys[k].key, err);
		memcpy(&v, (const char *)&c + keys[k].off, sizeof(v));
		assert_int_equal(v, 1);
		config_free(&c);
	}
}

static void
test_whole_file_checks(void **state)
{
	static const struct bad whole[] = {
		{ "[agency]\ndir = /a\npassphrase_file = /p\n",
		  "[daemon] state_dir is required" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\npassphrase_fd = 3\n"
		  "[daemon]\nstate_dir = /s\n",
		  "[agency] needs exactly one of passphrase_file and passphrase_fd" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[delivery]\ndial_min_ms = 70000\n",
		  "[delivery] a minimum is above its maximum" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[delivery]\nretry_max_ms = 1000\n",
		  "[delivery] a minimum is above its maximum" },
		/* Roles collected before a bad line are freed with the refusal. */
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[roles]\n0 = caseworker\n", ":7: no such user: 0" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[roles]\nroot = auditor\n[peers]\nbeta = 192.0.2.7:7401\n"
		  "gamma = nowhere\n", ":10: endpoint of gamma must be host:port" },
		/* Hours that leave no time for an arrival, in [travel] or in a
		 * partner's section once it has inherited what it left out. */
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[travel]\nearliest_hour = 15\n", "[travel] earliest_hour 15 is "
		  "not before latest_hour 15: no arrival could be planned; set "
		  "latest_hour above earliest_hour" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "[travel \"ml-bamako\"]\nearliest_hour = 12\n[travel]\n"
		  "latest_hour = 10\nearliest_hour = 8\n", "[travel \"ml-bamako\"] "
		  "earliest_hour 12 is not before latest_hour 10" },
	};
	struct config   c;
	char            err[CONFIG_ERR_LEN], longpath[PATH_MAX + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		expect_refused(whole[i].text, whole[i].want);
	/* A path longer than PATH_MAX is refused before any file is opened. */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(config_load(longpath, &c, err), -1);
	assert_string_equal(err, "configuration path too long");
	/* A file that cannot be read names itself and the reason. */
	assert_int_equal(config_load("/nonexistent/homewardd.conf", &c, err), -1);
	assert_string_equal(err, "/nonexistent/homewardd.conf: No such file or directory");
}

/*
 * A bad line that is not the last of the file: libinih reads on after an
 * error and reports the first error's line, so the message must be that
 * line's too, not a later line's nor "syntax error" (a later good line
 * once cleared it).
 */
static void
test_error_not_on_last_line(void **state)
{
	static const struct bad later[] = {
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "max_data_mb = 0\nlog_level = info\n",
		  ":6: max_data_mb must be a number of megabytes from 1" },
		{ "[agency]\ndir = /a\npassphrase_file = /p\n[daemon]\nstate_dir = /s\n"
		  "log = loud\nlog_level = loud\n", ":6: bad value for log" },
		{ "[nosuch]\nx = 1\n[agency]\ndir = /a\n", ":2: unknown section [nosuch]" },
	};
	struct config   c;
	char            err[CONFIG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		write_conf(later[i].text);
		assert_int_equal(config_load(path, &c, err), -1);
		/* The message of that line, whole: it ends the error. */
		if (strlen(err) < strlen(later[i].want) || strcmp(err + strlen(err) -
		    strlen(later[i].want), later[i].want) != 0)
			fail_msg("case %zu: \"%s\" does not end in \"%s\"", i, err,
			    later[i].want);
	}
}

static void
test_good_values(void **state)
{
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[1024];
	struct group   *gr = getgrgid(getgid());
	uid_t           other = geteuid() == 4242 ? 4243 : 4242;

	(void)state;
	assert_non_null(gr);
	snprintf(text, sizeof(text), "%s"
	    "control_group = %s\nlog = stderr\nlog_level = warn\n"
	    "max_data_mb = 1\ntest_documents = 1\nlisten = localhost:1\n"
	    "[procedure]\nreply_ms = 1000\nretention_ms = 3456000000\n"
	    "require_reintegration = true\nalert_command = /usr/local/bin/page\n"
	    "urgent_repeat_ms = 60000\ncase_code_pattern = ^CI-[0-9]{4}-[0-9]{4}$\n"
	    "[travel]\nearliest_hour = 0\nlatest_hour = 24\nweekend = Fri, SAT\n"
	    "max_transits = 0\n"
	    "[roles]\n%u = caseworker\n%u = supervisor,auditor\n"
	    "[peers]\nbeta = [2001:db8::7]:7401\ngamma = gamma.example:1\n",
	    prefix, gr->gr_name, (unsigned)other, (unsigned)other);
	write_conf(text);
	if (config_load(path, &c, err) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(c.control_group, getgid());
	assert_int_equal(c.log_syslog, 0);
	assert_int_equal(c.log_level, LOG_LEVEL_WARN);
	assert_int_equal(c.max_data_mb, 1);
	assert_int_equal(c.test_documents, 1);
	assert_string_equal(c.listen_host, "localhost");
	assert_int_equal(c.listen_port, 1);
	assert_int_equal(c.reply_ms, 1000);
	/* Retention may run past the 30-day cap of other durations. */
	assert_int_equal(c.retention_ms, 3456000000ull);
	assert_int_equal(c.require_reintegration, 1);
	assert_string_equal(c.alert_command, "/usr/local/bin/page");
	assert_int_equal(c.urgent_repeat_ms, 60000);
	assert_string_equal(c.case_code_pattern, "^CI-[0-9]{4}-[0-9]{4}$");
	assert_int_equal(c.travel.earliest_hour, 0);
	assert_int_equal(c.travel.latest_hour, 24);
	assert_int_equal(c.travel.weekend, (1u << 5) | (1u << 6));
	assert_int_equal(c.travel.max_transits, 0);
	/* A bare uid holds the roles of all its lines. */
	assert_int_equal(c.nusers, 2);
	assert_int_equal(config_roles(&c, other), ROLE_ALL);
	assert_string_equal(config_endpoint(&c, "beta"), "[2001:db8::7]:7401");
	assert_string_equal(config_endpoint(&c, "gamma"), "gamma.example:1");
	config_free(&c);
	config_free(&c);        /* twice, and NULL: both harmless */
	config_free(NULL);

	/* The other spellings of the booleans, and their defaults. */
	snprintf(text, sizeof(text), "%s" "test_documents = false\n"
	    "[procedure]\nrequire_reintegration = 0\n", prefix);
	write_conf(text);
	assert_int_equal(config_load(path, &c, err), 0);
	assert_int_equal(c.test_documents, 0);
	assert_int_equal(c.require_reintegration, 0);
	assert_int_equal(c.travel.weekend, (1u << 0) | (1u << 6));
	assert_int_equal(c.travel.min_notice_ms, 72ull * 3600 * 1000);
	assert_int_equal(c.max_data_mb, 0);
	config_free(&c);
}

/*
 * [travel "AGENCY"]: each key it gives, the rest from [travel] wherever
 * that section stands in the file; holidays as a whole list, over several
 * lines, duplicates once, 64 at most.
 */
static void
test_travel_partners(void **state)
{
	const struct config_travel *t;
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[4096];
	size_t          off;

	(void)state;
	snprintf(text, sizeof(text), "%s"
	    "[travel \"ml-bamako\"]\nholidays = 2027-01-20,\n  2027-03-26\n"
	    "holidays = 2028-02-29, 2027-01-20\n"
	    "[travel \"sn-dakar\"]\nearliest_hour = 8\nweekend = sun\n"
	    "max_transits = 2\n"
	    "[travel \"ci-abidjan\"]\nholidays =\n"
	    "[travel \"a-partner-agency-with-an-id-of-40-letter\"]\nlatest_hour = 11\n"
	    "[travel]\nweekend = Fri, SAT\nholidays = 2027-01-01 2027-05-01\n"
	    "min_notice_ms = 1000\n"
	    "[travel \"ml-bamako\"]\nlatest_hour = 12\n", prefix);
	write_conf(text);
	if (config_load(path, &c, err) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(c.npartners, 4);
	/* [travel] itself. */
	assert_int_equal(c.travel.weekend, (1u << 5) | (1u << 6));
	assert_int_equal(c.travel.nholidays, 2);
	assert_int_equal(c.travel.holidays[0], 20270101);
	assert_int_equal(c.travel.holidays[1], 20270501);
	assert_ptr_equal(config_travel_for(&c, "gh-accra"), &c.travel);
	assert_ptr_equal(config_travel_for(&c, NULL), &c.travel);
	assert_ptr_equal(config_travel_for(&c, "ml"), &c.travel);
	/* Its own holidays (the two sections are one), the rest inherited. */
	t = config_travel_for(&c, "ml-bamako");
	assert_string_equal(t->agency_id, "ml-bamako");
	assert_int_equal(t->nholidays, 3);
	assert_int_equal(t->holidays[0], 20270120);
	assert_int_equal(t->holidays[1], 20270326);
	assert_int_equal(t->holidays[2], 20280229);
	assert_int_equal(t->earliest_hour, 6);
	assert_int_equal(t->latest_hour, 12);
	assert_int_equal(t->weekend, (1u << 5) | (1u << 6));
	assert_int_equal(t->max_transits, 1);
	assert_int_equal(t->min_notice_ms, 1000);
	/* Its own working week, [travel]'s holidays. */
	t = config_travel_for(&c, "sn-dakar");
	assert_int_equal(t->earliest_hour, 8);
	assert_int_equal(t->latest_hour, 15);
	assert_int_equal(t->weekend, 1u << 0);
	assert_int_equal(t->max_transits, 2);
	assert_int_equal(t->nholidays, 2);
	assert_int_equal(t->holidays[1], 20270501);
	/* An empty list: none of [travel]'s holidays. */
	t = config_travel_for(&c, "ci-abidjan");
	assert_int_equal(t->nholidays, 0);
	assert_int_equal(t->weekend, (1u << 5) | (1u << 6));
	/* The longest id a section name holds. */
	t = config_travel_for(&c, "a-partner-agency-with-an-id-of-40-letter");
	assert_int_equal(t->latest_hour, 11);
	config_free(&c);
	assert_null(c.partners);
	assert_int_equal(c.npartners, 0);

	/* 64 dates over several lines; a 65th is refused on its line. */
	off = (size_t)snprintf(text, sizeof(text), "%s[travel \"ml-bamako\"]\n",
	    prefix);
	for (int i = 0; i < 64; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s"
		    "2027-%02d-%02d", i % 8 == 0 ? "\nholidays = " : ",",
		    i / 8 + 1, i % 8 + 1);
	snprintf(text + off, sizeof(text) - off, "\n");
	write_conf(text);
	if (config_load(path, &c, err) != 0)
		fail_msg("64 holidays refused: %s", err);
	t = config_travel_for(&c, "ml-bamako");
	assert_int_equal(t->nholidays, 64);
	assert_int_equal(t->holidays[63], 20270808);
	config_free(&c);
	snprintf(text + off, sizeof(text) - off, "\nholidays = 2027-12-24\n");
	expect_refused(text, ":16: holidays: more than 64 dates in [travel "
	    "\"ml-bamako\"]; list only the coming ones");

	/* A line longer than libinih reads is cut: the error says why. */
	off = (size_t)snprintf(text, sizeof(text), "%s[travel]\nholidays = ",
	    prefix);
	for (int i = 0; i < 20; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s2027-01-%02d",
		    i > 0 ? "," : "", i + 1);
	snprintf(text + off, sizeof(text) - off, "\n");
	expect_refused(text, ":7: holidays: \"2\" is not a date; write YYYY-MM-DD, "
	    "separated by commas (a line holds 199 characters: go on with "
	    "another holidays line)");
}

static void
test_user_names(void **state)
{
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[512], name[64];
	struct passwd  *me = getpwuid(geteuid());
	uid_t           unnamed = 3999999;

	(void)state;
	assert_non_null(me);
	/* An account without a name in this system's database. */
	while (getpwuid(unnamed) != NULL)
		unnamed++;
	snprintf(text, sizeof(text), "%s[roles]\n%u = auditor\n", prefix,
	    (unsigned)unnamed);
	write_conf(text);
	assert_int_equal(config_load(path, &c, err), 0);
	/* The [roles] name first ... */
	config_user_name(&c, unnamed, name, sizeof(name));
	snprintf(text, sizeof(text), "%u", (unsigned)unnamed);
	assert_string_equal(name, text);
	assert_int_equal(config_roles(&c, unnamed), ROLE_AUDITOR);
	/* ... then the account's ... */
	config_user_name(&c, geteuid(), name, sizeof(name));
	assert_string_equal(name, me->pw_name);
	/* ... then the bare number, and no roles. */
	config_user_name(&c, unnamed + 1, name, sizeof(name));
	snprintf(text, sizeof(text), "uid %u", (unsigned)(unnamed + 1));
	if (getpwuid(unnamed + 1) == NULL)
		assert_string_equal(name, text);
	assert_int_equal(config_roles(&c, unnamed + 1), 0);
	config_free(&c);
}

/* The caps on strangers ([daemon]): 0 until main.c derives them. */
static void
test_strangers_keys(void **state)
{
	static const struct bad_line bad[] = {
		{ "daemon", "max_unidentified = 0", "7: max_unidentified must be a "
		  "number of connections from 1" },
		{ "daemon", "max_unidentified = 1048577", "7: max_unidentified must be" },
		{ "daemon", "max_unidentified_per_address = x",
		  "7: max_unidentified_per_address must be" },
		{ "daemon", "identify_timeout_ms = 99",
		  "7: identify_timeout_ms must be from 100 to 3600000 ms" },
		{ "daemon", "unidentified_log_ms = 3600001",
		  "7: unidentified_log_ms must be from 100" },
	};
	struct config   c;
	char            err[CONFIG_ERR_LEN], text[512];

	(void)state;
	write_conf(minimal);
	assert_int_equal(config_load(path, &c, err), 0);
	assert_int_equal(c.max_unidentified, 0);
	assert_int_equal(c.max_unidentified_per_address, 0);
	assert_int_equal(c.identify_timeout_ms, 10000);
	assert_int_equal(c.unidentified_log_ms, 60000);
	config_free(&c);
	snprintf(text, sizeof(text), "%smax_unidentified = 300\n"
	    "max_unidentified_per_address = 7\nidentify_timeout_ms = 2500\n"
	    "unidentified_log_ms = 1000\n", minimal);
	write_conf(text);
	if (config_load(path, &c, err) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(c.max_unidentified, 300);
	assert_int_equal(c.max_unidentified_per_address, 7);
	assert_int_equal(c.identify_timeout_ms, 2500);
	assert_int_equal(c.unidentified_log_ms, 1000);
	config_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[%s]\n%s\n", prefix, bad[i].section,
		    bad[i].line);
		expect_refused(text, bad[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, setup, teardown),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test_setup_teardown(test_bad_value_of_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_file_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_not_on_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_travel_partners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strangers_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
