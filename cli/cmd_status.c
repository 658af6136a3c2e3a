/*
 * homeward status and log-level: the daemon's state at a glance (what an
 * operator checks first: is it connected, is anything stuck in the outbox,
 * are there alerts), and its log verbosity.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/i18n.h"

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static json_t *
status_json(const Homeward__Control__Status *s)
{
	json_t *j, *age;

	age = s->oldest_unacked_at != 0 && s->now >= s->oldest_unacked_at ?
	    json_integer((json_int_t)(s->now - s->oldest_unacked_at)) : json_null();
	j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:o, "
	    "s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:I}",
	    "agency_id", s->agency_id,
	    "fingerprint", s->fingerprint,
	    "software", s->software,
	    "started_at", cli_json_time(s->started_at),
	    "now", cli_json_time(s->now),
	    "listen", s->listen,
	    "peers_total", (json_int_t)s->peers_total,
	    "peers_connected", (json_int_t)s->peers_connected,
	    "outbox_unacked", (json_int_t)s->outbox_unacked,
	    "outbox_waiting", (json_int_t)s->outbox_waiting,
	    "oldest_unacked_id", cli_json_hex(s->oldest_unacked_id),
	    "oldest_unacked_at", cli_json_time(s->oldest_unacked_at),
	    "oldest_unacked_age_ms", age,
	    "inbox_total", (json_int_t)s->inbox_total,
	    "inbox_gap_held", (json_int_t)s->inbox_gap_held,
	    "alerts", (json_int_t)s->alerts,
	    "open_alerts", (json_int_t)s->open_alerts,
	    "urgent_alerts", (json_int_t)s->urgent_alerts,
	    "oldest_urgent_at", cli_json_time(s->oldest_urgent_at),
	    "tls_not_after", cli_json_time(s->tls_not_after),
	    "dsk_not_after", cli_json_time(s->dsk_not_after),
	    "data_bytes", (json_int_t)s->data_bytes,
	    "data_max_bytes", (json_int_t)s->data_max_bytes,
	    "disk_free_bytes", (json_int_t)s->disk_free_bytes);
	return j;
}

static void
status_print(const Homeward__Control__Status *s)
{
	char t[CLI_TIME_BUFLEN], d[32], id[CLI_ID_BUFLEN];

	cli_kv(_("agency"), "%s", s->agency_id);
	cli_kv(_("fingerprint"), "%s", s->fingerprint);
	cli_kv(_("software"), "%s", s->software);
	cli_time(s->started_at, t);
	cli_duration(s->now > s->started_at ? s->now - s->started_at : 0, d,
	    sizeof(d));
	cli_kv(_("started"), _("%s (up %s)"), t, d);
	cli_kv(_("listening"), "%s", s->listen[0] != '\0' ? s->listen :
	    _("no (outbound connections only)"));
	cli_kv(_("peers"), _("%u connected of %u"), s->peers_connected, s->peers_total);
	cli_kv(_("outbox"), _("%llu unacknowledged, %llu waiting for a prekey"),
	    (unsigned long long)s->outbox_unacked,
	    (unsigned long long)s->outbox_waiting);
	if (s->oldest_unacked_at != 0) {
		cli_time(s->oldest_unacked_at, t);
		cli_duration(s->now > s->oldest_unacked_at ?
		    s->now - s->oldest_unacked_at : 0, d, sizeof(d));
		cli_kv(_("oldest unacked"), _("%s, created %s (%s ago)"),
		    cli_hex(s->oldest_unacked_id, id), t, d);
	} else {
		cli_kv(_("oldest unacked"), _("none"));
	}
	cli_kv(_("inbox"), _("%llu messages, %llu held back by a gap"),
	    (unsigned long long)s->inbox_total,
	    (unsigned long long)s->inbox_gap_held);
	cli_kv(_("alerts"), _("%llu open, %llu of them urgent%s"),
	    (unsigned long long)s->open_alerts,
	    (unsigned long long)s->urgent_alerts,
	    s->urgent_alerts > 0 ? _(" (homeward alerts)") : "");
	cli_time(s->tls_not_after, t);
	cli_kv(_("tls certificate"), _("expires %s"), s->tls_not_after != 0 ? t : _("(unreadable)"));
	cli_time(s->dsk_not_after, t);
	cli_kv(_("signing key"), _("certificate expires %s"), s->dsk_not_after != 0 ? t :
	    _("(unknown)"));
	if (s->data_max_bytes != 0)
		cli_kv(_("data.db"), _("%llu MB of %llu MB (max_data_mb), %llu MB free "
		    "on its disk"), (unsigned long long)(s->data_bytes >> 20),
		    (unsigned long long)(s->data_max_bytes >> 20),
		    (unsigned long long)(s->disk_free_bytes >> 20));
	else
		cli_kv(_("data.db"), _("%llu MB, %llu MB free on its disk"),
		    (unsigned long long)(s->data_bytes >> 20),
		    (unsigned long long)(s->disk_free_bytes >> 20));
}

int
cmd_status(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", json_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("no arguments expected"));

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_STATUS)) ==
	    NULL) {
		cli_warnx(_("homewardd answered without its status"));
		rc = CLI_EXIT_FAIL;
	} else if (json) {
		rc = cli_json_print(status_json(r->status));
	} else {
		status_print(r->status);
	}
	cli_answer_free(&ans);
	return rc;
}

int
cmd_log_level(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SetLogLevel ll = HOMEWARD__CONTROL__SET_LOG_LEVEL__INIT;
	struct cli_answer ans;
	const char *level;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", json_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one level"));
	level = argv[optind];
	if (strcmp(level, "warn") != 0 && strcmp(level, "info") != 0 &&
	    strcmp(level, "debug") != 0)
		return cli_usage(cmd, _("the level is warn, info or debug"));

	ll.level = (char *)level;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL;
	req.log_level = &ll;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json)
		rc = cli_json_print(json_pack("{s:s}", "level", level));
	else
		printf(_("log level %s\n"), level);
	cli_answer_free(&ans);
	return rc;
}
