/*
 * homeward held, approve and worklist: what is waiting for an operator.
 * Held messages wait for a consent or, under the safety exception, for two
 * different supervisors; the worklist gathers everything that needs a
 * person (held, awaiting approval, sent without a receipt, unanswered,
 * overdue) with its due time in the operator's local time.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/i18n.h"

static const struct option held_opts[] = {
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option approve_opts[] = {
	{ "reason", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define REASON_MAX      4096

/* --- held --- */

int
cmd_held(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__HeldList hl = HOMEWARD__CONTROL__HELD_LIST__INIT;
	Homeward__Control__CaseRef ref = HOMEWARD__CONTROL__CASE_REF__INIT;
	struct cli_answer ans;
	const char *home = NULL;
	json_t *arr;
	size_t shown = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", held_opts)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
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
	hl.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_HELD_LIST;
	req.held_list = &hl;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_HELD)
					json_array_append_new(arr,
					    cli_held_json(ans.data[i]->held));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:o}", "held",
		    arr));
		goto out;
	}
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_HELD)
			continue;
		shown++;
		cli_held_line(ans.data[i]->held);
	}
	if (shown == 0)
		printf(_("no held messages\n"));
out:
	cli_answer_free(&ans);
	return rc;
}

/* --- approve --- */

static void
approve_print(const struct cli_answer *ans, const char *idhex)
{
	const Homeward__Control__Response *h, *s;
	const char *hint;
	char id[CLI_ID_BUFLEN];

	h = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_HELD);
	s = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_STEP);
	if (s != NULL) {
		cli_step_print(s->step);
	} else if (h != NULL && strcmp(h->held->state, "released") == 0) {
		printf(_("released: message %s\n"), cli_hex(h->held->message_id, id));
	} else if (h != NULL && strcmp(h->held->state, "approval") == 0) {
		printf(_("approved: held id %s now needs a second, different "
		    "supervisor\n"), idhex);
	} else {
		/* TRANSLATORS: "approved: held id ID is STATE", the state a
		 * code word (released, cancelled ...), not translated. */
		printf(_("approved: held id %s%s%s\n"), idhex, h != NULL ? _(" is ") : "",
		    h != NULL ? h->held->state : "");
	}
	/* An approval given without reading the document: homewardd says
	 * how to read it. */
	if ((hint = strstr(ans->last->result->message, " (you approved")) != NULL)
		printf("%.*s\n", (int)strlen(hint + 2) - 1, hint + 2);
}

int
cmd_approve(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__Approve ap = HOMEWARD__CONTROL__APPROVE__INIT;
	const Homeward__Control__Response *h, *s;
	struct cli_answer ans;
	const char *reason = NULL;
	uint8_t id[16];
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", approve_opts)) != -1) {
		switch (c) {
		case 'R': reason = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one held id"));
	if (cli_parse_id(argv[optind], id) != 0)
		return cli_usage(cmd, _("a held id is 32 hex digits"));
	if (reason == NULL || reason[0] == '\0' || strlen(reason) > REASON_MAX)
		return cli_usage(cmd, _("--reason is required (1 to %d bytes): why "
		    "safety is at issue"), REASON_MAX);
	ap.held_id.data = id;
	ap.held_id.len = sizeof(id);
	ap.reason = (char *)reason;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_APPROVE;
	req.approve = &ap;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		h = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_HELD);
		s = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_STEP);
		rc = cli_json_print(json_pack("{s:o, s:o, s:o}",
		    "held_id", cli_json_hex(ap.held_id),
		    "held", h != NULL ? cli_held_json(h->held) : json_null(),
		    "step", s != NULL ? cli_step_json(s->step) : json_null()));
	} else {
		approve_print(&ans, argv[optind]);
	}
	cli_answer_free(&ans);
	return rc;
}

/* --- worklist --- */

/* The sections, in the order an operator works through them; a kind the
 * daemon adds later lands in the last. */
static const struct {
	const char     *kinds[2];
	const char     *heading;
} sections[] = {
	{ { "no_show", NULL }, N_("URGENT: did not arrive, outcome not recorded") },
	{ { "held", NULL }, N_("Held for consent") },
	{ { "approval", NULL }, N_("Awaiting a second supervisor") },
	{ { "queued", NULL }, N_("Queued (no receipt yet)") },
	{ { "unanswered", NULL }, N_("Unanswered") },
	{ { "overdue", "arrival_overdue" }, N_("Overdue") },
	{ { "declined", "more_information" }, N_("Answered: decide what next") },
	{ { NULL, NULL }, N_("Other") },
};

#define NSECTIONS       (sizeof(sections) / sizeof(sections[0]))

static size_t
section_of(const char *kind)
{
	for (size_t s = 0; s + 1 < NSECTIONS; s++)
		for (size_t k = 0; k < 2; k++)
			if (sections[s].kinds[k] != NULL &&
			    strcmp(sections[s].kinds[k], kind) == 0)
				return s;
	return NSECTIONS - 1;
}

static json_t *
work_json(const Homeward__Control__WorkItem *w)
{
	char tb[16];

	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:s}",
	    "kind", w->kind,
	    "case_code", w->case_code,
	    "case_home", w->case_home,
	    "peer", w->peer,
	    "msg_type", (json_int_t)w->msg_type,
	    "msg_type_name", cli_msg_type_name(w->msg_type, tb, sizeof(tb)),
	    "due", cli_json_rfc3339(w->due),
	    "id", cli_json_hex(w->id),
	    "what", w->what);
}

static void
work_line(const Homeward__Control__WorkItem *w)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN], tb[16];

	printf("  %-16s %-12s %-26s %s%s", w->case_code, w->peer[0] != '\0' ?
	    w->peer : "-", cli_msg_type_name(w->msg_type, tb, sizeof(tb)),
	    strcmp(w->kind, "arrival_overdue") == 0 ||
	    strcmp(w->kind, "no_show") == 0 ? _("URGENT: ") : "", w->what);
	if (w->due != 0) {
		cli_localtime(w->due, t);
		printf(_(", due %s"), t);
	}
	printf("  %s\n", cli_hex(w->id, id));
}

int
cmd_worklist(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__Worklist wl = HOMEWARD__CONTROL__WORKLIST__INIT;
	struct cli_answer ans;
	json_t *arr;
	size_t n, total = 0;
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
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_WORKLIST;
	req.worklist = &wl;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_WORK)
					json_array_append_new(arr,
					    work_json(ans.data[i]->work));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:o}", "work",
		    arr));
		goto out;
	}
	for (size_t s = 0; s < NSECTIONS; s++) {
		n = 0;
		for (size_t i = 0; i < ans.n; i++) {
			const Homeward__Control__Response *r = ans.data[i];

			if (r->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_WORK ||
			    section_of(r->work->kind) != s)
				continue;
			if (n++ == 0)
				printf("%s%s:\n", total > 0 ? "\n" : "",
				    _(sections[s].heading));
			work_line(r->work);
		}
		total += n;
	}
	if (total == 0)
		printf(_("nothing waiting\n"));
out:
	cli_answer_free(&ans);
	return rc;
}
