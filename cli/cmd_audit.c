/*
 * homeward alerts and audit: the alerts the daemon raised (overdue
 * answers, an arrival not confirmed, a partner's equivocation) and their
 * acknowledgement, and the hash-chained audit log: checking its chain and
 * reading it.  A broken chain is exit 1, so that a script watching the log
 * notices.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/i18n.h"

static const struct option alerts_opts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option list_opts[] = {
	{ "home", required_argument, NULL, 'H' },
	{ "after", required_argument, NULL, 'A' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define LIMIT_MAX       10000

/* --- alerts --- */

static json_t *
alert_json(const Homeward__Control__AlertInfo *a)
{
	return json_pack("{s:I, s:o, s:s, s:b, s:o, s:o, s:o, s:s, s:o, s:o, s:I, "
	    "s:o}",
	    "id", (json_int_t)a->id,
	    "at", cli_json_rfc3339(a->at),
	    "kind", a->kind,
	    "urgent", (int)a->urgent,
	    "peer", cli_json_str(a->peer),
	    "case_code", cli_json_str(a->case_code),
	    "message_id", cli_json_hex(a->message_id),
	    "detail", a->detail,
	    "acked_at", cli_json_rfc3339(a->acked_at),
	    "acked_by", cli_json_str(a->acked_by),
	    "count", (json_int_t)(a->count ? a->count : 1),
	    "last_at", cli_json_rfc3339(a->last_at));
}

static void
alert_line(const Homeward__Control__AlertInfo *a)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN];

	cli_localtime(a->at, t);
	printf("%6llu  %s  %s%s", (unsigned long long)a->id, t,
	    a->urgent ? _("URGENT ") : "", a->kind);
	if (a->case_code[0] != '\0')
		printf(_("  case %s"), a->case_code);
	if (a->peer[0] != '\0')
		printf("  %s", a->peer);
	printf("  %s", a->detail);
	if (a->count > 1) {
		cli_localtime(a->last_at, t);
		printf(_("  (%u of them, the latest %s)"), a->count, t);
	}
	if (a->message_id.len > 0)
		printf("  %s", cli_hex(a->message_id, id));
	if (a->acked_at != 0) {
		cli_localtime(a->acked_at, t);
		printf(_("  (acknowledged %s by %s)"), t, a->acked_by);
	}
	printf("\n");
}

int
cmd_alerts_list(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__AlertList al = HOMEWARD__CONTROL__ALERT_LIST__INIT;
	struct cli_answer ans;
	uint64_t limit = 0;
	json_t *arr;
	size_t shown = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", alerts_opts)) != -1) {
		switch (c) {
		case 'a': al.all = 1; break;
		case 'n':
			if (cli_parse_u64(optarg, 1, LIMIT_MAX, &limit) != 0)
				return cli_usage(cmd, _("--limit is 1 to %d"), LIMIT_MAX);
			break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("no arguments expected"));
	al.limit = (uint32_t)limit;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_ALERT_LIST;
	req.alert_list = &al;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_ALERT)
					json_array_append_new(arr,
					    alert_json(ans.data[i]->alert));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:o}", "alerts",
		    arr));
		goto out;
	}
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_ALERT)
			continue;
		shown++;
		alert_line(ans.data[i]->alert);
	}
	if (shown == 0)
		printf("%s\n", al.all ? _("no alerts") : _("no unacknowledged alerts"));
	else if (!al.all)
		printf(_("(acknowledge one with 'homeward alerts ack ID')\n"));
out:
	cli_answer_free(&ans);
	return rc;
}

int
cmd_alerts_ack(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__AlertAck aa = HOMEWARD__CONTROL__ALERT_ACK__INIT;
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
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one alert id"));
	if (cli_parse_u64(argv[optind], 1, UINT64_MAX, &aa.id) != 0)
		return cli_usage(cmd, _("an alert id is a number (see 'homeward "
		    "alerts')"));
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_ALERT_ACK;
	req.alert_ack = &aa;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_ALERT);
	if (json)
		rc = cli_json_print(json_pack("{s:I, s:o}", "id", (json_int_t)aa.id,
		    "alert", r != NULL ? alert_json(r->alert) : json_null()));
	else
		printf(_("acknowledged alert %llu\n"), (unsigned long long)aa.id);
	cli_answer_free(&ans);
	return rc;
}

/* --- audit --- */

int
cmd_audit_verify(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__AuditVerify av = HOMEWARD__CONTROL__AUDIT_VERIFY__INIT;
	const Homeward__Control__AuditReport *rep;
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
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_AUDIT_VERIFY;
	req.audit_verify = &av;
	/* A broken chain comes as a report and a refusal: show the report. */
	if ((rc = cli_call_any(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT_REPORT);
	if (r == NULL) {
		if ((rc = cli_result_report(&ans)) == CLI_EXIT_OK) {
			cli_warnx(_("homewardd answered without its report on the "
			    "audit log"));
			rc = CLI_EXIT_FAIL;
		}
		goto out;
	}
	rep = r->audit_report;
	if (json) {
		rc = cli_json_print(json_pack("{s:b, s:I, s:o, s:o}",
		    "intact", (int)rep->intact,
		    "checked", (json_int_t)rep->checked,
		    "first_bad", rep->intact ? json_null() :
		    json_integer((json_int_t)rep->first_bad),
		    "why", cli_json_str(rep->why)));
	} else if (rep->intact) {
		printf(ngettext("audit log intact: %llu entry checked\n",
		    "audit log intact: %llu entries checked\n", rep->checked),
		    (unsigned long long)rep->checked);
	} else {
		printf(ngettext("audit log BROKEN at seq %llu: %s (%llu entry "
		    "checked)\n", "audit log BROKEN at seq %llu: %s (%llu entries "
		    "checked)\n", rep->checked), (unsigned long long)rep->first_bad,
		    rep->why[0] != '\0' ? rep->why : _("no reason given"),
		    (unsigned long long)rep->checked);
	}
	if (rep->intact) {
		if (cli_result_report(&ans) != CLI_EXIT_OK)
			rc = CLI_EXIT_FAIL;
		goto out;
	}
	cli_warnx(_("the audit log was altered or damaged from seq %llu on: keep "
	    "the store as it is and report it to whoever answers for this "
	    "agency's security"), (unsigned long long)rep->first_bad);
	rc = CLI_EXIT_FAIL;
out:
	cli_answer_free(&ans);
	return rc;
}

/* The columns of audit list, padded by their width on a terminal. */
static void
audit_heading(const struct cli_audit_cols *cols)
{
	const char *h[] = { _("SEQ"), _("AT"), _("CASE"), _("ACTOR"),
	    _("ACTION"), _("DETAIL") };

	printf("%*s  %-*s  %-*s %-*s  %-*s  %s\n", cli_colw(6, h[0]), h[0],
	    cli_colw(16, h[1]), h[1], cli_colw(16, h[2]), h[2],
	    cli_colw(cols->actor, h[3]), h[3], cli_colw(cols->action, h[4]),
	    h[4], h[5]);
}

int
cmd_audit_list(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__AuditList al = HOMEWARD__CONTROL__AUDIT_LIST__INIT;
	Homeward__Control__CaseRef ref = HOMEWARD__CONTROL__CASE_REF__INIT;
	struct cli_audit_cols cols;
	struct cli_answer ans;
	const char *home = NULL;
	uint64_t limit = 0;
	json_t *arr;
	size_t shown = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", list_opts)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'A':
			if (cli_parse_u64(optarg, 0, UINT64_MAX, &al.after) != 0)
				return cli_usage(cmd, _("--after is a sequence number"));
			break;
		case 'n':
			if (cli_parse_u64(optarg, 1, LIMIT_MAX, &limit) != 0)
				return cli_usage(cmd, _("--limit is 1 to %d"), LIMIT_MAX);
			break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_usage(cmd, _("give at most one case code"));
	if (argc - optind == 1 &&
	    (rc = cli_case_ref(cmd, argv[optind], home, &ref)) != 0)
		return rc;
	if (argc - optind == 0 && home != NULL)
		return cli_usage(cmd, _("--home goes with a case code"));
	al.ref = &ref;
	al.limit = (uint32_t)limit;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_AUDIT_LIST;
	req.audit_list = &al;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
					json_array_append_new(arr,
					    cli_audit_json(ans.data[i]->audit));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:o}", "audit",
		    arr));
		goto out;
	}
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
			continue;
		if (shown++ == 0) {
			cli_audit_cols(&ans, &cols);
			audit_heading(&cols);
		}
		cli_audit_line(ans.data[i]->audit, 1, &cols);
	}
	if (shown == 0)
		printf(_("no audit entries\n"));
out:
	cli_answer_free(&ans);
	return rc;
}
