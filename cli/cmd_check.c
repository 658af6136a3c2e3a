/*
 * homeward check: one answer for a monitoring system (Nagios, Icinga,
 * Zabbix, a cron job), with the monitoring-plugins exit codes: 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  It asks the daemon for its status
 * and its partners and judges: partners unreachable too long, messages
 * unacknowledged too long, open urgent alerts, certificates about to
 * expire (ours and the partners'), partners we cannot seal to, and disk
 * and data.db room.  One line first, then one line per finding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CHECK_OK        0
#define CHECK_WARNING   1
#define CHECK_CRITICAL  2
#define CHECK_UNKNOWN   3

#define MS_MIN          (60ull * 1000)
#define MS_HOUR         (60 * MS_MIN)
#define MS_DAY          (24 * MS_HOUR)
#define MB              (1024ull * 1024)

static const struct option check_opts[] = {
	{ "unreachable", required_argument, NULL, 'u' },
	{ "unacked", required_argument, NULL, 'a' },
	{ "expiry", required_argument, NULL, 'e' },
	{ "disk", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Warning and critical bounds of one figure. */
struct bounds {
	uint64_t        warn, crit;
};

struct check {
	struct bounds   unreachable;    /* ms a partner may be unreachable */
	struct bounds   unacked;        /* ms a message may wait for its receipt */
	struct bounds   expiry;         /* ms a certificate must still have */
	struct bounds   disk;           /* bytes free on the state's file system */
	int             state;
	json_t         *findings;
	char            first[256];     /* the worst finding, for the first line */
};

/* "90m", "12h", "30d", "45s": ms; 0 or -1. */
static int
parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t unit;

	if (end == s || s[0] == '-')
		return -1;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = MS_MIN; break;
	case 'h': unit = MS_HOUR; break;
	case 'd': unit = MS_DAY; break;
	default: return -1;
	}
	if (end[1] != '\0' || v > UINT64_MAX / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

/* "WARN,CRIT" of durations (or of megabytes when mb); 0 or -1. */
static int
parse_bounds(const char *s, int mb, struct bounds *b)
{
	char buf[64], *comma;
	uint64_t w, c;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((comma = strchr(buf, ',')) == NULL)
		return -1;
	*comma = '\0';
	if (mb) {
		if (cli_parse_u64(buf, 0, UINT64_MAX / MB, &w) != 0 ||
		    cli_parse_u64(comma + 1, 0, UINT64_MAX / MB, &c) != 0)
			return -1;
		w *= MB;
		c *= MB;
	} else if (parse_duration(buf, &w) != 0 ||
	    parse_duration(comma + 1, &c) != 0) {
		return -1;
	}
	b->warn = w;
	b->crit = c;
	return 0;
}

static void
finding(struct check *k, int level, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
finding(struct check *k, int level, const char *what, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(k->findings, json_pack("{s:s, s:s, s:s}",
	    "level", level == CHECK_CRITICAL ? "critical" : "warning",
	    "what", what, "text", text));
	if (level > k->state || k->first[0] == '\0') {
		snprintf(k->first, sizeof(k->first), "%s", text);
		if (level > k->state)
			k->state = level;
	}
}

/* A figure that must stay under its bounds (ages) or over them (room). */
static int
level_over(uint64_t v, const struct bounds *b)
{
	return v >= b->crit ? CHECK_CRITICAL : v >= b->warn ? CHECK_WARNING : CHECK_OK;
}

static int
level_under(uint64_t v, const struct bounds *b)
{
	return v <= b->crit ? CHECK_CRITICAL : v <= b->warn ? CHECK_WARNING : CHECK_OK;
}

static void
check_expiry(struct check *k, const char *whose, uint64_t not_after, uint64_t now)
{
	char d[32];
	int level;

	if (not_after == 0)
		return;
	level = not_after <= now ? CHECK_CRITICAL :
	    level_under(not_after - now, &k->expiry);
	if (level == CHECK_OK)
		return;
	cli_duration(not_after > now ? not_after - now : now - not_after, d,
	    sizeof(d));
	finding(k, level, "expiry", not_after > now ? "%s expires in %s" :
	    "%s expired %s ago", whose, d);
}

static void
check_status(struct check *k, const Homeward__Control__Status *s)
{
	char d[32];
	int level;

	if (s->urgent_alerts > 0) {
		cli_duration(s->now > s->oldest_urgent_at ? s->now - s->oldest_urgent_at :
		    0, d, sizeof(d));
		finding(k, CHECK_CRITICAL, "urgent_alerts", "%llu urgent alert(s) open, "
		    "the oldest for %s: homeward alerts", (unsigned long long)s->urgent_alerts, d);
	}
	if (s->oldest_unacked_at != 0 && s->now > s->oldest_unacked_at &&
	    (level = level_over(s->now - s->oldest_unacked_at, &k->unacked)) != CHECK_OK) {
		cli_duration(s->now - s->oldest_unacked_at, d, sizeof(d));
		finding(k, level, "unacked", "a message has waited %s for its receipt: "
		    "homeward outbox", d);
	}
	check_expiry(k, "our TLS certificate", s->tls_not_after, s->now);
	check_expiry(k, "our signing key's certificate", s->dsk_not_after, s->now);
	if ((level = level_under(s->disk_free_bytes, &k->disk)) != CHECK_OK)
		finding(k, level, "disk", "%llu MB left on the state directory's "
		    "file system", (unsigned long long)(s->disk_free_bytes / MB));
	if (s->data_max_bytes != 0 && s->data_bytes >= s->data_max_bytes / 10 * 9)
		finding(k, s->data_bytes >= s->data_max_bytes / 100 * 98 ?
		    CHECK_CRITICAL : CHECK_WARNING, "data", "data.db holds %llu of its "
		    "%llu MB (max_data_mb)", (unsigned long long)(s->data_bytes / MB),
		    (unsigned long long)(s->data_max_bytes / MB));
}

static void
check_peer(struct check *k, const Homeward__Control__PeerInfo *p, uint64_t now)
{
	char d[32], whose[128];
	int level;

	if (p->suspended || !p->verified)
		return;         /* an operator's decision, not a fault */
	if (!p->connected && p->unreachable_since != 0 && now > p->unreachable_since &&
	    (level = level_over(now - p->unreachable_since, &k->unreachable)) != CHECK_OK) {
		cli_duration(now - p->unreachable_since, d, sizeof(d));
		finding(k, level, "unreachable", "%s unreachable for %s", p->agency_id, d);
	}
	snprintf(whose, sizeof(whose), "%s's signing certificate", p->agency_id);
	if (p->dsk_not_after == 0)
		finding(k, CHECK_CRITICAL, "expiry", "%s has no valid signing "
		    "certificate: nothing it sends verifies", p->agency_id);
	else
		check_expiry(k, whose, p->dsk_not_after, now);
	if (p->valid_prekeys == 0)
		finding(k, CHECK_WARNING, "prekeys", "%s has no usable prekey: "
		    "messages to it wait", p->agency_id);
}

static const char *
state_name(int state)
{
	static const char *names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	return names[state];
}

/* One request; its answer in *ans, or CHECK_UNKNOWN (said on stderr). */
static int
ask(const struct cli_env *env, Homeward__Control__Request *req,
    struct cli_answer *ans)
{
	if (cli_call(env, req, ans) != CLI_EXIT_OK) {
		printf("HOMEWARD UNKNOWN - homewardd did not answer\n");
		return CHECK_UNKNOWN;
	}
	return CHECK_OK;
}

static int
check_run(struct check *k, const struct cli_env *env,
    const Homeward__Control__Status **s, struct cli_answer *st,
    struct cli_answer *peers)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	Homeward__Control__PeersList pl = HOMEWARD__CONTROL__PEERS_LIST__INIT;
	const Homeward__Control__Response *r;

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	if (ask(env, &req, st) != CHECK_OK)
		return CHECK_UNKNOWN;
	if ((r = cli_answer_find(st, HOMEWARD__CONTROL__RESPONSE__KIND_STATUS)) == NULL) {
		printf("HOMEWARD UNKNOWN - homewardd answered without its status\n");
		return CHECK_UNKNOWN;
	}
	*s = r->status;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEERS_LIST;
	req.peers_list = &pl;
	if (ask(env, &req, peers) != CHECK_OK)
		return CHECK_UNKNOWN;
	check_status(k, *s);
	for (size_t i = 0; i < peers->n; i++)
		if (peers->data[i]->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_PEER)
			check_peer(k, peers->data[i]->peer, (*s)->now);
	return CHECK_OK;
}

static void
check_print(const struct check *k, const Homeward__Control__Status *s)
{
	size_t i;
	json_t *f;

	printf("HOMEWARD %s - %s | urgent_alerts=%llu outbox_unacked=%llu "
	    "disk_free=%lluMB\n", state_name(k->state),
	    k->state == CHECK_OK ? "all partners reachable, nothing overdue" : k->first,
	    (unsigned long long)s->urgent_alerts,
	    (unsigned long long)s->outbox_unacked,
	    (unsigned long long)(s->disk_free_bytes / MB));
	json_array_foreach(k->findings, i, f)
		printf("%s: %s\n", json_string_value(json_object_get(f, "level")),
		    json_string_value(json_object_get(f, "text")));
}

int
cmd_check(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	struct check k = {
		{ MS_HOUR, MS_DAY }, { MS_HOUR, MS_DAY }, { 30 * MS_DAY, 7 * MS_DAY },
		{ 1024 * MB, 256 * MB }, CHECK_OK, NULL, ""
	};
	const Homeward__Control__Status *s = NULL;
	struct cli_answer st = { 0 }, peers = { 0 };
	int c, json = 0, rc, bad = 0;

	while ((c = cli_getopt(cmd, argc, argv, ":hju:a:e:d:", check_opts)) != -1) {
		switch (c) {
		case 'u': bad |= parse_bounds(optarg, 0, &k.unreachable); break;
		case 'a': bad |= parse_bounds(optarg, 0, &k.unacked); break;
		case 'e': bad |= parse_bounds(optarg, 0, &k.expiry); break;
		case 'd': bad |= parse_bounds(optarg, 1, &k.disk); break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CHECK_UNKNOWN;
		}
	}
	if (bad || optind < argc) {
		cli_usage(cmd, bad ? "bounds are WARN,CRIT: durations like 1h,24h "
		    "(--disk: megabytes like 1024,256)" : "no arguments expected");
		return CHECK_UNKNOWN;
	}
	if ((k.findings = json_array()) == NULL)
		return CHECK_UNKNOWN;
	if ((rc = check_run(&k, env, &s, &st, &peers)) == CHECK_OK) {
		rc = k.state;
		if (!json)
			check_print(&k, s);
		else if (cli_json_print(json_pack("{s:s, s:i, s:O}", "state",
		    state_name(k.state), "exit", k.state, "findings", k.findings)) !=
		    CLI_EXIT_OK)
			rc = CHECK_UNKNOWN;
	}
	json_decref(k.findings);
	cli_answer_free(&st);
	cli_answer_free(&peers);
	return rc;
}
