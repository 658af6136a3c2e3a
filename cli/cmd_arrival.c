/*
 * homeward case outcome: a supervisor records what became of a person who
 * did not arrive, which ends the repeated urgent alert.
 */
#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/i18n.h"

static const struct option outcome_opts[] = {
	{ "outcome", required_argument, NULL, 'o' },
	{ "to", required_argument, NULL, 't' },
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_case_outcome(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseOutcome co = HOMEWARD__CONTROL__CASE_OUTCOME__INIT;
	Homeward__Control__CaseRef ref;
	struct cli_answer ans;
	const char *home = NULL;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", outcome_opts)) != -1) {
		switch (c) {
		case 'o': co.outcome = optarg; break;
		case 't': co.peer = optarg; break;
		case 'H': home = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	if (co.outcome == NULL || *co.outcome == '\0')
		return cli_usage(cmd, _("say what became of her: --outcome located, "
		    "with_authorities, reported_missing or did_not_travel"));
	if ((rc = cli_case_ref(cmd, argv[optind], home, &ref)) != 0)
		return rc;
	co.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_OUTCOME;
	req.case_outcome = &co;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json)
		rc = cli_json_print(json_pack("{s:s, s:s, s:s}", "code", ref.code,
		    "outcome", co.outcome, "result", ans.last->result->message));
	else
		printf("%s\n", ans.last->result->message);
	cli_answer_free(&ans);
	return rc;
}
