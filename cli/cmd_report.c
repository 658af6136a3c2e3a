/*
 * homeward case report: a printed report of a case (PDF), for the person
 * (her copy: what was shared about her, with whom, when, under which
 * consent, and what was erased, in her language) or for the office's
 * paper file (the timeline, the consents, the decisions and the receipts
 * with the fingerprints that prove them).  homewardd records the read and
 * sends only what the operator's role may read; this file asks, and
 * pdf_person.c or pdf_file.c lays it out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "common/i18n.h"

static const struct option report_opts[] = {
	{ "for", required_argument, NULL, 'F' },
	{ "language", required_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "tz", required_argument, NULL, 'z' },
	{ "force", no_argument, NULL, 'f' },
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct report_args {
	const char     *code, *home, *purpose, *language, *out, *tz;
	int             force, json;
};

static int
report_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct report_args *a)
{
	int c;

	while ((c = cli_getopt(cmd, argc, argv, ":hjo:f", report_opts)) != -1) {
		switch (c) {
		case 'F': a->purpose = optarg; break;
		case 'l': a->language = optarg; break;
		case 'o': a->out = optarg; break;
		case 'z': a->tz = optarg; break;
		case 'f': a->force = 1; break;
		case 'H': a->home = optarg; break;
		case 'j': a->json = 1; break;
		case CLI_OPT_HELP: return CLI_OPT_HELP;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	a->code = argv[optind];
	if (a->purpose == NULL || (strcmp(a->purpose, "person") != 0 &&
	    strcmp(a->purpose, "file") != 0))
		return cli_usage(cmd, _("--for person (her copy) or --for file (the "
		    "office's paper file)"));
	if (a->out == NULL || strcmp(a->out, "-") == 0)
		return cli_usage(cmd, _("-o FILE.pdf: where to write the report"));
	if (a->language == NULL)
		a->language = "en";
	return 0;
}

int
cmd_case_report(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseReport cr = HOMEWARD__CONTROL__CASE_REPORT__INIT;
	Homeward__Control__CaseRef ref;
	struct report_args a;
	struct pdf_lang lang;
	struct cli_answer ans;
	struct pdf_doc *doc;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = report_parse(cmd, argc, argv, &a)) == CLI_OPT_HELP)
		return cli_help(cmd);
	if (rc != 0 || (rc = cli_case_ref(cmd, a.code, a.home, &ref)) != 0)
		return rc;
	/* Before the audited read: a file that cannot be written, a zone or
	 * a language we do not have. */
	if (cli_check_output(a.out, a.force) != 0 || pdf_time_zone(a.tz) != 0 ||
	    pdf_lang_load(&lang, a.language) != 0)
		return CLI_EXIT_FAIL;
	cr.ref = &ref;
	cr.purpose = (char *)a.purpose;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_REPORT;
	req.case_report = &cr;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		goto out;
	doc = strcmp(a.purpose, "person") == 0 ? pdf_person(&lang, &ans) :
	    pdf_file(&lang, &ans);
	if (doc == NULL) {
		cli_warnx(_("homewardd's answer does not describe the case: is it "
		    "older than homeward?"));
		rc = CLI_EXIT_FAIL;
	} else if (pdf_write(doc, a.out) != 0) {
		rc = CLI_EXIT_FAIL;
	} else if (a.json) {
		rc = cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s}", "code",
		    ref.code, "for", a.purpose, "language", a.language, "pdf",
		    a.out, "time_zone", pdf_time_zone_name()));
	} else {
		printf(_("report on case %s for the %s, in '%s', written to %s "
		    "(times in %s)\n"), ref.code, a.purpose, a.language, a.out,
		    pdf_time_zone_name());
	}
	pdf_free(doc);
	cli_answer_free(&ans);
out:
	pdf_lang_free(&lang);
	return rc;
}
