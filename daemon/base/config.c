/*
 * Configuration parsing for homewardd (config.h), on libinih: this file
 * only maps sections and keys onto struct config and checks values.
 */
#include <errno.h>
#include <regex.h>
#include <grp.h>
#include <ini.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strnum.h"
#include "daemon/base/config.h"
#include "daemon/base/config_travel.h"

/* What a handler says is wrong, before "FILE:LINE: " is put in front. */
#define CONFIG_WHY_LEN  256

struct parse_state {
	struct config  *cfg;
	char           *err;
	int             line;
};

static int
set_str(char *dst, size_t dstlen, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= dstlen)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* A duration: 1 ms to 30 days. */
static int
parse_ms(const char *v, uint64_t *out)
{
	return strnum_u64(v, 1, 30ull * 24 * 3600 * 1000, out);
}

int
config_split_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char     *colon, *h = s;
	size_t          hl;
	char           *end;
	unsigned long   p;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen || colon[1] == '\0')
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int
parse_role(const char *v, unsigned *roles)
{
	char    buf[128], *tok, *save;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	*roles = 0;
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "caseworker") == 0)
			*roles |= ROLE_CASEWORKER;
		else if (strcmp(tok, "supervisor") == 0)
			*roles |= ROLE_SUPERVISOR;
		else if (strcmp(tok, "auditor") == 0)
			*roles |= ROLE_AUDITOR;
		else
			return -1;
	}
	return *roles != 0 ? 0 : -1;
}

static int
add_user(struct parse_state *st, const char *name, const char *value)
{
	struct config          *cfg = st->cfg;
	struct config_user     *u;
	struct passwd          *pw;
	unsigned                roles;
	uint64_t                uid = 0;

	if (parse_role(value, &roles) != 0) {
		snprintf(st->err, CONFIG_WHY_LEN, "role of %s must be caseworker, "
		    "supervisor or auditor (comma-separated)", name);
		return -1;
	}
	/* A user name, or a bare uid for an account without one (test
	 * machines, containers). */
	if ((pw = getpwnam(name)) == NULL && (strspn(name, "0123456789") !=
	    strlen(name) || strnum_u64(name, 1, UINT32_MAX - 1, &uid) != 0)) {
		snprintf(st->err, CONFIG_WHY_LEN, "no such user: %s", name);
		return -1;
	}
	if (strlen(name) >= sizeof(u->name)) {
		snprintf(st->err, CONFIG_WHY_LEN, "user name too long");
		return -1;
	}
	u = realloc(cfg->users, (cfg->nusers + 1) * sizeof(*u));
	if (u == NULL) {
		snprintf(st->err, CONFIG_WHY_LEN, "out of memory");
		return -1;
	}
	cfg->users = u;
	u += cfg->nusers++;
	u->uid = pw != NULL ? pw->pw_uid : (uid_t)uid;
	strcpy(u->name, name);
	u->roles = roles;
	if (config_uid_is_daemon(u->uid))
		log_warnx("%s: [roles] names %s, homewardd's own account: it "
		    "is not a person and never counts as a supervisor (it cannot "
		    "approve the safety exception); name the operators' own users",
		    st->cfg->path, name);
	return 0;
}

static int
add_endpoint(struct parse_state *st, const char *agency, const char *value)
{
	struct config          *cfg = st->cfg;
	struct config_endpoint *e;
	char                    host[256];
	uint16_t                port;

	if (config_split_hostport(value, host, sizeof(host), &port) != 0 || port == 0) {
		snprintf(st->err, CONFIG_WHY_LEN, "endpoint of %s must be host:port", agency);
		return -1;
	}
	e = realloc(cfg->endpoints, (cfg->nendpoints + 1) * sizeof(*e));
	if (e == NULL) {
		snprintf(st->err, CONFIG_WHY_LEN, "out of memory");
		return -1;
	}
	cfg->endpoints = e;
	e += cfg->nendpoints++;
	if (set_str(e->agency_id, sizeof(e->agency_id), agency) != 0 ||
	    set_str(e->endpoint, sizeof(e->endpoint), value) != 0) {
		snprintf(st->err, CONFIG_WHY_LEN, "agency id or endpoint too long");
		cfg->nendpoints--;
		return -1;
	}
	return 0;
}

static int parse_bool(const char *, int *);

struct ms_key {
	const char     *name;
	size_t          off;
};

static const struct ms_key ms_keys[] = {
	{ "retry_min_ms",       offsetof(struct config, retry_min_ms) },
	{ "retry_max_ms",       offsetof(struct config, retry_max_ms) },
	{ "dial_min_ms",        offsetof(struct config, dial_min_ms) },
	{ "dial_max_ms",        offsetof(struct config, dial_max_ms) },
	{ "heartbeat_ms",       offsetof(struct config, heartbeat_ms) },
	{ "idle_timeout_ms",    offsetof(struct config, idle_timeout_ms) },
	{ "gap_alert_ms",       offsetof(struct config, gap_alert_ms) },
	{ "prekey_check_ms",    offsetof(struct config, prekey_check_ms) },
};

/* The keys on strangers (config.h): 1 handled, 0 not one of them, -1
 * a bad value. */
static int
handle_strangers(struct parse_state *st, const char *name, const char *value)
{
	struct config  *cfg = st->cfg;
	uint64_t        n;

	if (strcmp(name, "max_unidentified") == 0 ||
	    strcmp(name, "max_unidentified_per_address") == 0) {
		if (strnum_u64(value, 1, 1u << 20, &n) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be a number of "
			    "connections from 1 (omit it to derive it from the "
			    "descriptor limit)", name);
			return -1;
		}
		if (strcmp(name, "max_unidentified") == 0)
			cfg->max_unidentified = (unsigned)n;
		else
			cfg->max_unidentified_per_address = (unsigned)n;
		return 1;
	}
	if (strcmp(name, "identify_timeout_ms") == 0 ||
	    strcmp(name, "unidentified_log_ms") == 0) {
		if (strnum_u64(value, 100, 3600000, &n) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be from 100 to "
			    "3600000 ms", name);
			return -1;
		}
		*(strcmp(name, "identify_timeout_ms") == 0 ? &cfg->identify_timeout_ms :
		    &cfg->unidentified_log_ms) = n;
		return 1;
	}
	return 0;
}

static int
handle_daemon(struct parse_state *st, const char *name, const char *value)
{
	struct config *cfg = st->cfg;
	int rc;

	if ((rc = handle_strangers(st, name, value)) != 0)
		return rc > 0 ? 0 : -1;

	if (strcmp(name, "state_dir") == 0)
		return set_str(cfg->state_dir, sizeof(cfg->state_dir), value);
	if (strcmp(name, "control_socket") == 0)
		return set_str(cfg->control_socket, sizeof(cfg->control_socket), value);
	if (strcmp(name, "metrics_file") == 0) {
		/* Empty: no metrics file. */
		if (value[0] == '\0') {
			cfg->metrics_file[0] = '\0';
			return 0;
		}
		if (value[0] != '/') {
			snprintf(st->err, CONFIG_WHY_LEN, "metrics_file must be an "
			    "absolute path (or empty: none)");
			return -1;
		}
		return set_str(cfg->metrics_file, sizeof(cfg->metrics_file), value);
	}
	if (strcmp(name, "control_group") == 0) {
		struct group *g = getgrnam(value);
		if (g == NULL) {
			snprintf(st->err, CONFIG_WHY_LEN, "no such group: %s", value);
			return -1;
		}
		cfg->control_group = g->gr_gid;
		return 0;
	}
	if (strcmp(name, "listen") == 0) {
		if (config_split_hostport(value, cfg->listen_host,
		    sizeof(cfg->listen_host), &cfg->listen_port) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "listen must be host:port");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "log") == 0) {
		if (strcmp(value, "stderr") == 0)
			cfg->log_syslog = 0;
		else if (strcmp(value, "syslog") == 0)
			cfg->log_syslog = 1;
		else
			return -1;
		return 0;
	}
	if (strcmp(name, "log_level") == 0)
		return log_level_parse(value, &cfg->log_level);
	if (strcmp(name, "max_data_mb") == 0) {
		uint64_t mb;

		if (strnum_u64(value, 1, 1ull << 24, &mb) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "max_data_mb must be a "
			    "number of megabytes from 1");
			return -1;
		}
		cfg->max_data_mb = mb;
		return 0;
	}
	if (strcmp(name, "max_keys_mb") == 0) {
		if (strnum_u64(value, 1, 1ull << 24, &cfg->max_keys_mb) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "max_keys_mb must be a "
			    "number of megabytes from 1");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "reserve_kb") == 0) {
		if (strnum_u64(value, 0, 1ull << 34, &cfg->reserve_kb) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "reserve_kb must be a "
			    "number of kilobytes");
			return -1;
		}
		cfg->reserve_set = 1;
		return 0;
	}
	if (strcmp(name, "test_documents") == 0) {
		if (parse_bool(value, &cfg->test_documents) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be yes or no", name);
			return -1;
		}
		return 0;
	}
	snprintf(st->err, CONFIG_WHY_LEN, "unknown key %s in [daemon]", name);
	return -1;
}

/* [quotas]: what one partner may make us store and raise (0: no quota). */
static int
handle_quotas(struct parse_state *st, const char *name, const char *value)
{
	struct config  *cfg = st->cfg;
	uint64_t       *v;

	if (strcmp(name, "peer_kb") == 0)
		v = &cfg->quota_peer_kb;
	else if (strcmp(name, "new_threads_per_day") == 0)
		v = &cfg->quota_threads_day;
	else if (strcmp(name, "new_cases_per_day") == 0)
		v = &cfg->quota_cases_day;
	else if (strcmp(name, "alerts_per_hour") == 0)
		v = &cfg->quota_alerts_hour;
	else {
		snprintf(st->err, CONFIG_WHY_LEN, "unknown key %s in [quotas]", name);
		return -1;
	}
	if (strnum_u64(value, 0, 1ull << 40, v) != 0) {
		snprintf(st->err, CONFIG_WHY_LEN, "%s must be a number (0: no "
		    "quota)", name);
		return -1;
	}
	return 0;
}

static int
handle_agency(struct parse_state *st, const char *name, const char *value)
{
	struct config *cfg = st->cfg;

	if (strcmp(name, "dir") == 0)
		return set_str(cfg->agency_dir, sizeof(cfg->agency_dir), value);
	if (strcmp(name, "passphrase_file") == 0)
		return set_str(cfg->passphrase_file, sizeof(cfg->passphrase_file), value);
	if (strcmp(name, "passphrase_fd") == 0) {
		char *end;
		long fd = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || fd < 0 || fd > 1023)
			return -1;
		cfg->passphrase_fd = (int)fd;
		return 0;
	}
	snprintf(st->err, CONFIG_WHY_LEN, "unknown key %s in [agency]", name);
	return -1;
}

static int
handle_delivery(struct parse_state *st, const char *name, const char *value)
{
	if (strcmp(name, "inflight_kb") == 0) {
		if (strnum_u64(value, 16, 1ull << 20, &st->cfg->inflight_kb) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "inflight_kb must be a "
			    "number of KiB from 16 to 1048576");
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(ms_keys) / sizeof(ms_keys[0]); i++) {
		if (strcmp(name, ms_keys[i].name) != 0)
			continue;
		if (parse_ms(value, (uint64_t *)((char *)st->cfg + ms_keys[i].off)) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be a positive number "
			    "of milliseconds", name);
			return -1;
		}
		return 0;
	}
	snprintf(st->err, CONFIG_WHY_LEN, "unknown key %s in [delivery]", name);
	return -1;
}

/* case_code_pattern: a POSIX extended regular expression, checked here
 * so that a typo stops the daemon at start, not at the first case. */
static int
parse_code_pattern(struct parse_state *st, const char *value)
{
	regex_t re;
	char    msg[128];
	int     rc;

	if ((rc = regcomp(&re, value, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		snprintf(st->err, CONFIG_WHY_LEN, "case_code_pattern is not a POSIX "
		    "extended regular expression: %s", msg);
		return -1;
	}
	regfree(&re);
	if (set_str(st->cfg->case_code_pattern, sizeof(st->cfg->case_code_pattern),
	    value) != 0) {
		snprintf(st->err, CONFIG_WHY_LEN, "case_code_pattern is longer than "
		    "%zu characters", sizeof(st->cfg->case_code_pattern) - 1);
		return -1;
	}
	return 0;
}

static const struct ms_key procedure_ms_keys[] = {
	{ "reply_ms",           offsetof(struct config, reply_ms) },
	{ "arrival_grace_ms",   offsetof(struct config, arrival_grace_ms) },
	{ "urgent_repeat_ms",   offsetof(struct config, urgent_repeat_ms) },
	{ "deadline_check_ms",  offsetof(struct config, deadline_check_ms) },
	{ "erasure_wait_ms",    offsetof(struct config, erasure_wait_ms) },
};

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
handle_procedure(struct parse_state *st, const char *name, const char *value)
{
	struct config *cfg = st->cfg;

	if (strcmp(name, "retention_ms") == 0) {
		/* Retention runs to years, past every other duration's cap. */
		if (strnum_u64(value, 1, 100ull * 365 * 24 * 3600 * 1000,
		    &cfg->retention_ms) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "retention_ms must be a "
			    "positive number of milliseconds, at most 100 years");
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(procedure_ms_keys) /
	    sizeof(procedure_ms_keys[0]); i++) {
		if (strcmp(name, procedure_ms_keys[i].name) != 0)
			continue;
		if (parse_ms(value, (uint64_t *)((char *)cfg +
		    procedure_ms_keys[i].off)) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be a positive "
			    "number of milliseconds", name);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "require_notice") == 0) {
		if (parse_bool(value, &cfg->require_notice) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be yes or no", name);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "require_reintegration") == 0) {
		if (parse_bool(value, &cfg->require_reintegration) != 0) {
			snprintf(st->err, CONFIG_WHY_LEN, "%s must be yes or no", name);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "alert_command") == 0) {
		if (value[0] != '/') {
			snprintf(st->err, CONFIG_WHY_LEN, "alert_command must be an "
			    "absolute path");
			return -1;
		}
		return set_str(cfg->alert_command, sizeof(cfg->alert_command), value);
	}
	if (strcmp(name, "case_code_pattern") == 0)
		return parse_code_pattern(st, value);
	snprintf(st->err, CONFIG_WHY_LEN, "unknown key %s in [procedure]", name);
	return -1;
}

/* libinih calls this for every name = value; 0 stops with that line. */
static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state     *st = user;
	int                     rc;

	/* libinih reads on after an error and reports the first one's line:
	 * keep that line's words, and take nothing more from the file. */
	if (st->err[0] != '\0')
		return 0;
	if (strcmp(section, "agency") == 0)
		rc = handle_agency(st, name, value);
	else if (strcmp(section, "daemon") == 0)
		rc = handle_daemon(st, name, value);
	else if (strcmp(section, "delivery") == 0)
		rc = handle_delivery(st, name, value);
	else if (strcmp(section, "procedure") == 0)
		rc = handle_procedure(st, name, value);
	else if (strcmp(section, "quotas") == 0)
		rc = handle_quotas(st, name, value);
	else if (config_travel_section(section))
		rc = config_travel_entry(st->cfg, section, name, value, st->err,
		    CONFIG_WHY_LEN);
	else if (strcmp(section, "roles") == 0)
		rc = add_user(st, name, value);
	else if (strcmp(section, "peers") == 0)
		rc = add_endpoint(st, name, value);
	else {
		snprintf(st->err, CONFIG_WHY_LEN, "unknown section [%s]", section);
		rc = -1;
	}
	if (rc != 0 && st->err[0] == '\0')
		snprintf(st->err, CONFIG_WHY_LEN, "bad value for %s", name);
	return rc == 0;
}

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->passphrase_fd = -1;
	cfg->control_group = (gid_t)-1;
	cfg->log_level = LOG_LEVEL_INFO;
	strcpy(cfg->control_socket, "/run/homeward/control.sock");
	cfg->retry_min_ms = 2000;
	cfg->retry_max_ms = 300000;
	cfg->dial_min_ms = 500;
	cfg->dial_max_ms = 60000;
	cfg->heartbeat_ms = 15000;
	cfg->idle_timeout_ms = 45000;
	cfg->identify_timeout_ms = 10000;
	cfg->unidentified_log_ms = 60000;
	cfg->gap_alert_ms = 3600000;
	cfg->prekey_check_ms = 3600000;
	cfg->inflight_kb = 128;
	cfg->reply_ms = 7ull * 24 * 3600 * 1000;
	cfg->arrival_grace_ms = 2ull * 3600 * 1000;
	cfg->urgent_repeat_ms = 4ull * 3600 * 1000;
	cfg->deadline_check_ms = 60000;
	cfg->retention_ms = 365ull * 24 * 3600 * 1000;
	cfg->erasure_wait_ms = 30ull * 24 * 3600 * 1000;
	cfg->max_keys_mb = 256;
	cfg->quota_peer_kb = 1024 * 1024;
	cfg->quota_threads_day = 2000;
	cfg->quota_cases_day = 200;
	cfg->quota_alerts_hour = 200;
	config_travel_defaults(&cfg->travel);
}

int
config_load(const char *path, struct config *out, char err[CONFIG_ERR_LEN])
{
	struct parse_state      st;
	char                    why[CONFIG_WHY_LEN];
	FILE                   *f;
	int                     line;

	config_defaults(out);
	if (set_str(out->path, sizeof(out->path), path) != 0) {
		snprintf(err, CONFIG_ERR_LEN, "configuration path too long");
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	st.cfg = out;
	st.err = why;
	why[0] = '\0';
	line = ini_parse_file(f, on_entry, &st);
	fclose(f);
	if (line != 0) {
		snprintf(err, CONFIG_ERR_LEN, "%s:%d: %s", path, line,
		    why[0] != '\0' ? why : "syntax error");
		goto fail;
	}
	if (out->agency_dir[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "%s: [agency] dir is required", path);
		goto fail;
	}
	if (out->state_dir[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "%s: [daemon] state_dir is required", path);
		goto fail;
	}
	if ((out->passphrase_file[0] != '\0') == (out->passphrase_fd >= 0)) {
		snprintf(err, CONFIG_ERR_LEN, "%s: [agency] needs exactly one of "
		    "passphrase_file and passphrase_fd", path);
		goto fail;
	}
	if (out->retry_min_ms > out->retry_max_ms || out->dial_min_ms > out->dial_max_ms) {
		snprintf(err, CONFIG_ERR_LEN, "%s: [delivery] a minimum is above its "
		    "maximum", path);
		goto fail;
	}
	if (config_travel_finish(out, why, sizeof(why)) != 0) {
		snprintf(err, CONFIG_ERR_LEN, "%s: %s", path, why);
		goto fail;
	}
	if (!out->reserve_set)
		out->reserve_kb = out->max_data_mb * 1024 / 16;
	if (out->max_data_mb != 0 && out->reserve_kb >= out->max_data_mb * 1024) {
		snprintf(err, CONFIG_ERR_LEN, "%s: [daemon] reserve_kb must be below "
		    "max_data_mb (in kilobytes)", path);
		goto fail;
	}
	return 0;
fail:
	config_free(out);
	return -1;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->users);
	free(cfg->endpoints);
	free(cfg->partners);
	cfg->users = NULL;
	cfg->endpoints = NULL;
	cfg->partners = NULL;
	cfg->nusers = cfg->nendpoints = cfg->npartners = 0;
}

unsigned
config_roles(const struct config *cfg, uid_t uid)
{
	unsigned roles = 0;

	if (uid == geteuid())
		return ROLE_ALL;
	for (size_t i = 0; i < cfg->nusers; i++)
		if (cfg->users[i].uid == uid)
			roles |= cfg->users[i].roles;
	return roles;
}

int
config_uid_is_daemon(uid_t uid)
{
	return uid == geteuid();
}

void
config_user_name(const struct config *cfg, uid_t uid, char *buf, size_t len)
{
	struct passwd *pw;

	for (size_t i = 0; i < cfg->nusers; i++)
		if (cfg->users[i].uid == uid) {
			snprintf(buf, len, "%s", cfg->users[i].name);
			return;
		}
	if ((pw = getpwuid(uid)) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

const char *
config_endpoint(const struct config *cfg, const char *agency_id)
{
	for (size_t i = 0; i < cfg->nendpoints; i++)
		if (strcmp(cfg->endpoints[i].agency_id, agency_id) == 0)
			return cfg->endpoints[i].endpoint;
	return NULL;
}
