/*
 * homeward consent notice: the notice she is given before she consents
 * (seed 002 6.4.1, 8.4), in her language, as PDF and as text, made from
 * exactly the scope 'consent record' will record.  The text starts with
 * that scope in a block homewardd reads back (proto/notice.h): 'consent
 * record --notice FILE' sends the text, and the daemon refuses a consent
 * whose notice explains another scope, and records the notice's language
 * and SHA-256 with it.  The daemon tells which agencies the scope names
 * (name, country from their pinned bundles) and how long cases are kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "cli/refnames.h"
#include "common/fileio.h"
#include "common/i18n.h"
#include "proto/notice.h"

static const struct option notice_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "steps", required_argument, NULL, 's' },
	{ "categories", required_argument, NULL, 'c' },
	{ "language", required_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "text", required_argument, NULL, 'T' },
	{ "tz", required_argument, NULL, 'z' },
	{ "force", no_argument, NULL, 'f' },
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct notice_args {
	const char             *code, *home, *language, *pdf, *text, *tz;
	int                     force, json;
	struct notice_head      head;
	char                   *to[NOTICE_MAX_RECIPIENTS];
};

static int
to_parse(const char *list, struct notice_args *a)
{
	char buf[NOTICE_MAX_RECIPIENTS * NOTICE_AGENCY_LEN], *p, *save = NULL;

	if (strlen(list) >= sizeof(buf) || list[0] == ',' ||
	    list[strlen(list) - 1] == ',' || strstr(list, ",,") != NULL)
		return -1;
	memcpy(buf, list, strlen(list) + 1);
	for (p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (a->head.nto == NOTICE_MAX_RECIPIENTS || cli_check_agency(p) != 0)
			return -1;
		for (size_t i = 0; i < a->head.nto; i++)
			if (strcmp(a->head.to[i], p) == 0)
				return -1;
		snprintf(a->head.to[a->head.nto], NOTICE_AGENCY_LEN, "%s", p);
		a->to[a->head.nto] = a->head.to[a->head.nto];
		a->head.nto++;
	}
	return a->head.nto > 0 ? 0 : -1;
}

static int
notice_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct notice_args *a)
{
	const char *steps = NULL, *cats = NULL;
	int c;

	while ((c = cli_getopt(cmd, argc, argv, ":hjo:f", notice_opts)) != -1) {
		switch (c) {
		case 't':
			if (to_parse(optarg, a) != 0)
				return cli_usage(cmd, _("--to is one or more agency ids, "
				    "separated by commas (at most %d)"),
				    NOTICE_MAX_RECIPIENTS);
			break;
		case 's': steps = optarg; break;
		case 'c': cats = optarg; break;
		case 'l': a->language = optarg; break;
		case 'o': a->pdf = optarg; break;
		case 'T': a->text = optarg; break;
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
	if (a->head.nto == 0 || steps == NULL || cats == NULL || a->language == NULL)
		return cli_usage(cmd, _("--to, --steps, --categories and --language "
		    "are required: the same --to, --steps and --categories as the "
		    "consent you will record"));
	if (a->pdf == NULL && a->text == NULL)
		return cli_usage(cmd, _("say where to write the notice: -o FILE.pdf "
		    "(to print) and --text FILE.txt (to record with 'consent record "
		    "--notice')"));
	if (refnames_steps_parse(steps, &a->head.steps) != 0)
		return cli_usage(cmd, _("--steps is 'all' or a list of 1-7 or request, "
		    "confirmation, reintegration, reintegration-confirmation, "
		    "departure, arrival, follow-up"));
	if (refnames_categories_parse(cats, &a->head.categories) != 0)
		return cli_usage(cmd, _("--categories is 'all' or a list of identity, "
		    "profile, health, security, travel, reintegration"));
	if (strlen(a->language) >= NOTICE_LANGUAGE_LEN ||
	    strspn(a->language, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") != strlen(a->language) || strlen(a->language) < 2)
		return cli_usage(cmd, _("--language is a language tag such as fr, ar "
		    "or pt-BR"));
	snprintf(a->head.language, sizeof(a->head.language), "%s", a->language);
	return 0;
}

/* The scope block, the prose, and the SHA-256 of the text: written. */
static int
notice_write(const struct notice_args *a, const struct pdf_lang *lang,
    const struct cli_answer *ans, char sha_hex[65])
{
	struct pdf_notice_scope sc = { a->head.code, a->to, a->head.nto,
	    a->head.steps, a->head.categories };
	uint8_t sha[crypto_hash_sha256_BYTES];
	struct pdf_doc *doc;
	char head[2048], *text = NULL;
	size_t len = 0;
	int rc = -1, n;

	if ((n = notice_head_format(&a->head, head, sizeof(head))) < 0) {
		cli_warnx(_("the notice's scope does not fit in a notice"));
		return -1;
	}
	if ((doc = pdf_notice(lang, ans, &sc)) == NULL) {
		cli_warnx(_("homewardd did not describe this agency: is it older "
		    "than homeward?"));
		return -1;
	}
	if (pdf_text(doc, head, &text, &len) != 0)
		goto out;
	crypto_hash_sha256(sha, (const uint8_t *)text, len);
	sodium_bin2hex(sha_hex, 65, sha, sizeof(sha));
	if (a->text != NULL && (rc = fileio_write_atomic(a->text, text, len, 0600,
	    1)) != 0) {
		cli_warn_errno(-rc, _("cannot write %s"), a->text);
		rc = -1;
		goto out;
	}
	rc = 0;
	if (a->pdf != NULL) {
		/* The office's part: the scope as recorded and the text's hash,
		 * so that the paper copy and the record can be matched. */
		pdf_add(doc, PDF_HEADING, "%s", pdf_tr(lang, T_("For the office")));
		pdf_add(doc, PDF_SMALL, "%.*s", n - 2, head);
		pdf_add(doc, PDF_SMALL, "%s: %s", pdf_tr(lang, T_("SHA-256 of the "
		    "text notice")), sha_hex);
		rc = pdf_write(doc, a->pdf);
	}
out:
	free(text);
	pdf_free(doc);
	return rc;
}

static int
notice_output(const struct notice_args *a, const char *sha_hex)
{
	if (a->json)
		return cli_json_print(json_pack("{s:s, s:s, s:o, s:o, s:s}",
		    "code", a->code, "language", a->language,
		    "pdf", cli_json_str(a->pdf != NULL ? a->pdf : ""),
		    "text", cli_json_str(a->text != NULL ? a->text : ""),
		    "sha256", sha_hex));
	printf(_("consent notice for case %s in '%s' written to %s%s%s\n"),
	    a->code, a->language, a->pdf != NULL ? a->pdf : a->text,
	    a->pdf != NULL && a->text != NULL ? _(" and ") : "",
	    a->pdf != NULL && a->text != NULL ? a->text : "");
	printf(_("text SHA-256 %s\n"), sha_hex);
	if (a->text != NULL)
		printf(_("next: explain it to her; when she agrees, record the "
		    "consent with the same --to, --steps and --categories and "
		    "--notice %s\n"), a->text);
	else
		printf(_("to record it with her consent, make it again with --text "
		    "FILE.txt as well\n"));
	return CLI_EXIT_OK;
}

int
cmd_consent_notice(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseReport cr = HOMEWARD__CONTROL__CASE_REPORT__INIT;
	Homeward__Control__CaseRef ref;
	struct notice_args a;
	struct pdf_lang lang;
	struct cli_answer ans;
	char sha_hex[65];
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = notice_parse(cmd, argc, argv, &a)) == CLI_OPT_HELP)
		return cli_help(cmd);
	if (rc != 0 || (rc = cli_case_ref(cmd, a.code, a.home, &ref)) != 0)
		return rc;
	snprintf(a.head.code, sizeof(a.head.code), "%s", a.code);
	if ((a.pdf != NULL && cli_check_output(a.pdf, a.force) != 0) ||
	    (a.text != NULL && cli_check_output(a.text, a.force) != 0) ||
	    pdf_time_zone(a.tz) != 0 || pdf_lang_load(&lang, a.language) != 0)
		return CLI_EXIT_FAIL;
	cr.ref = &ref;
	cr.purpose = "notice";
	cr.agencies = a.to;
	cr.n_agencies = a.head.nto;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_REPORT;
	req.case_report = &cr;
	if ((rc = cli_call(env, &req, &ans)) == CLI_EXIT_OK) {
		rc = notice_write(&a, &lang, &ans, sha_hex) == 0 ?
		    notice_output(&a, sha_hex) : CLI_EXIT_FAIL;
		cli_answer_free(&ans);
	}
	pdf_lang_free(&lang);
	return rc;
}
