/*
 * homeward consent: record the person's informed consent for a case (to
 * whom, for which steps, which categories of data, until when, how it was
 * given), list a case's consents, and withdraw them.  The daemon releases
 * a held message once a consent covers it, and sends a withdrawal to every
 * agency that received data of the case.  A signed consent form stays with
 * the agency: only the SHA-256 of its scan is recorded, computed here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/i18n.h"
#include "common/fileio.h"
#include "proto/notice.h"

static const struct option record_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "steps", required_argument, NULL, 's' },
	{ "categories", required_argument, NULL, 'c' },
	{ "expires", required_argument, NULL, 'e' },
	{ "given", required_argument, NULL, 'g' },
	{ "method", required_argument, NULL, 'm' },
	{ "language", required_argument, NULL, 'l' },
	{ "form", required_argument, NULL, 'f' },
	{ "notice", required_argument, NULL, 'n' },
	{ "guardian", no_argument, NULL, 'G' },
	{ "child-consulted", no_argument, NULL, 'C' },
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option ref_opts[] = {
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define RECIPIENTS_MAX  32
#define LANGUAGE_MAX    35      /* BCP 47 tags in practice */

/* What the options ask for, parsed before any file is read. */
struct record_args {
	const char     *code;
	const char     *home;
	char           *to_buf;                 /* owns the strings in to[] */
	char           *to[RECIPIENTS_MAX];
	size_t          n_to;
	uint32_t        steps;
	uint32_t        categories;
	uint64_t        expires;
	uint64_t        given;
	Homeward__Referral__ConsentMethod method;
	const char     *language;
	const char     *form;
	const char     *notice;                 /* consent notice --text */
	int             guardian;
	int             child_consulted;
	int             json;
};

/* A, B, ... into a->to: 0, or -1 (not agency ids, a repeat, too many). */
static int
recipients_parse(const char *list, struct record_args *a)
{
	char *p, *save = NULL;

	free(a->to_buf);
	a->n_to = 0;
	if ((a->to_buf = strdup(list)) == NULL)
		return -1;
	for (p = strtok_r(a->to_buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (a->n_to == RECIPIENTS_MAX || cli_check_agency(p) != 0)
			return -1;
		for (size_t i = 0; i < a->n_to; i++)
			if (strcmp(a->to[i], p) == 0)
				return -1;
		a->to[a->n_to++] = p;
	}
	return a->n_to > 0 && list[strlen(list) - 1] != ',' && list[0] != ',' &&
	    strstr(list, ",,") == NULL ? 0 : -1;
}

/* A BCP 47 tag, loosely: letters, digits and '-', starting with a letter. */
static int
language_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > LANGUAGE_MAX || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") == n;
}

/* --steps, --categories and --method into a, and the options against
 * each other and the clock: 0, or CLI_EXIT_USAGE (reported). */
static int
record_check(const struct cli_cmd *cmd, const char *steps, const char *cats,
    const char *method, struct record_args *a)
{
	uint64_t now = (uint64_t)time(NULL) * 1000;

	if (refnames_steps_parse(steps, &a->steps) != 0)
		return cli_usage(cmd, _("--steps is 'all' or a list of 1-7 or request, "
		    "confirmation, reintegration, reintegration-confirmation, "
		    "departure, arrival, follow-up"));
	if (refnames_categories_parse(cats, &a->categories) != 0)
		return cli_usage(cmd, _("--categories is 'all' or a list of identity, "
		    "profile, health, security, travel, reintegration"));
	if (refnames_method_parse(method, &a->method) != 0)
		return cli_usage(cmd, _("--method is written, oral or "
		    "oral-interpreted"));
	if (a->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN &&
	    a->form == NULL)
		return cli_usage(cmd, _("a written consent needs --form FILE, the "
		    "scan of the signed form"));
	if (a->method != HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN &&
	    a->form != NULL)
		return cli_usage(cmd, _("--form is for --method written"));
	if (a->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED &&
	    a->language == NULL)
		return cli_usage(cmd, _("--method oral-interpreted needs --language, "
		    "the interpreter's language"));
	if (a->language != NULL && !language_ok(a->language))
		return cli_usage(cmd, _("--language is a BCP 47 tag such as fr or "
		    "bm-Latn"));
	if (a->child_consulted && !a->guardian)
		return cli_usage(cmd, _("--child-consulted goes with --guardian"));
	if (a->expires != 0 && a->expires <= now)
		return cli_usage(cmd, _("--expires is in the past"));
	if (a->given > now)
		return cli_usage(cmd, _("--given is in the future"));
	if (a->expires != 0 && a->given != 0 && a->expires <= a->given)
		return cli_usage(cmd, _("--expires is before --given"));
	return 0;
}

/* Returns 0, CLI_EXIT_USAGE (reported) or CLI_OPT_HELP; a->to_buf is
 * the caller's to free either way. */
static int
record_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct record_args *a)
{
	const char *steps = NULL, *cats = NULL, *method = NULL;
	int c, have_to = 0;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", record_opts)) != -1) {
		switch (c) {
		case 't':
			if (recipients_parse(optarg, a) != 0)
				return cli_usage(cmd, _("--to is one or more agency ids, "
				    "separated by commas (at most %d)"), RECIPIENTS_MAX);
			have_to = 1;
			break;
		case 's': steps = optarg; break;
		case 'c': cats = optarg; break;
		case 'e':
			if (cli_parse_time(optarg, &a->expires) != 0)
				return cli_usage(cmd, _("--expires is a time such as "
				    "2027-06-01T00:00:00Z"));
			break;
		case 'g':
			if (cli_parse_time(optarg, &a->given) != 0)
				return cli_usage(cmd, _("--given is a time such as "
				    "2026-12-01T07:30:00Z"));
			break;
		case 'm': method = optarg; break;
		case 'l': a->language = optarg; break;
		case 'f': a->form = optarg; break;
		case 'n': a->notice = optarg; break;
		case 'G': a->guardian = 1; break;
		case 'C': a->child_consulted = 1; break;
		case 'H': a->home = optarg; break;
		case 'j': a->json = 1; break;
		case CLI_OPT_HELP: return CLI_OPT_HELP;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	a->code = argv[optind];
	if (!have_to || steps == NULL || cats == NULL || method == NULL)
		return cli_usage(cmd, _("--to, --steps, --categories and --method "
		    "are required"));
	return record_check(cmd, steps, cats, method, a);
}

/* SHA-256 of the file at path, read in pieces: a scan may be large. */
static int
form_hash(const char *path, uint8_t out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state st;
	struct stat sb;
	uint8_t buf[65536];
	ssize_t k;
	int fd, rc = -1;

	if (sodium_init() < 0) {
		cli_warnx(_("libsodium cannot start"));
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_warn_errno(errno, _("cannot read the consent form %s"), path);
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		cli_warnx(_("%s: the consent form must be a regular file"), path);
		goto out;
	}
	if (sb.st_size == 0) {
		cli_warnx(_("%s is empty: give the scan of the signed form"), path);
		goto out;
	}
	crypto_hash_sha256_init(&st);
	for (;;) {
		k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cli_warn_errno(errno, _("cannot read the consent form %s"), path);
			goto out;
		}
		if (k == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)k);
	}
	crypto_hash_sha256_final(&st, out);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* --- consent record --- */

static int
record_output(const struct cli_answer *ans, const struct record_args *a)
{
	const Homeward__Control__Response *r;
	char id[CLI_ID_BUFLEN];
	uint32_t n;

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT);
	if (a->json)
		return cli_json_print(json_pack("{s:s, s:o}", "code", a->code,
		    "consent", r != NULL ? cli_consent_json(r->consent) :
		    json_null()));
	if (r == NULL) {
		printf(_("consent recorded for case %s\n"), a->code);
		cli_warnx(_("homewardd did not say which consent it recorded "
		    "(see 'homeward consent list %s')"), a->code);
		return CLI_EXIT_OK;
	}
	n = r->consent->released;
	printf(_("consent %s recorded for case %s\n"),
	    cli_hex(r->consent->consent_id, id), a->code);
	printf(ngettext("released %u held message%s\n",
	    "released %u held messages%s\n", n), n,
	    n > 0 ? _(" (queued for sending now)") : "");
	return CLI_EXIT_OK;
}

int
cmd_consent_record(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__ConsentRecord cr = HOMEWARD__CONTROL__CONSENT_RECORD__INIT;
	Homeward__Referral__ConsentScope sc = HOMEWARD__REFERRAL__CONSENT_SCOPE__INIT;
	Homeward__Referral__Step steps[REFNAMES_STEP_MAX];
	Homeward__Referral__DataCategory cats[32];
	Homeward__Control__CaseRef ref;
	struct record_args a;
	struct cli_answer ans;
	uint8_t hash[crypto_hash_sha256_BYTES], *enc = NULL, *notice = NULL;
	size_t notice_len = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = record_parse(cmd, argc, argv, &a)) == CLI_OPT_HELP) {
		rc = cli_help(cmd);
		goto out;
	}
	if (rc != 0 || (rc = cli_case_ref(cmd, a.code, a.home, &ref)) != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	/* The notice's text goes whole: homewardd checks its scope and
	 * records its language and SHA-256 (proto/notice.h). */
	if (a.notice != NULL && (rc = fileio_read(a.notice, NOTICE_MAX_BYTES, 0,
	    &notice, &notice_len)) != 0) {
		cli_warn_errno(-rc, _("cannot read the consent notice %s (the text "
		    "file 'homeward consent notice --text' wrote)"), a.notice);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (a.form != NULL) {
		if (form_hash(a.form, hash) != 0)
			goto out;
		sc.form_hash.data = hash;
		sc.form_hash.len = sizeof(hash);
	}
	sc.recipients = a.to;
	sc.n_recipients = a.n_to;
	for (uint32_t s = 1; s <= REFNAMES_STEP_MAX; s++)
		if (a.steps & (1u << s))
			steps[sc.n_steps++] = (Homeward__Referral__Step)s;
	sc.steps = steps;
	for (uint32_t k = 0; k < 32; k++)
		if (a.categories & (1u << k))
			cats[sc.n_categories++] = (Homeward__Referral__DataCategory)k;
	sc.categories = cats;
	sc.given_at = a.given;
	sc.expires_at = a.expires;
	sc.method = a.method;
	if (a.language != NULL)
		sc.language = (char *)a.language;
	sc.by_guardian = a.guardian;
	sc.child_consulted = a.child_consulted;
	if ((enc = malloc(homeward__referral__consent_scope__get_packed_size(&sc) +
	    1)) == NULL) {
		cli_warnx(_("out of memory"));
		goto out;
	}
	cr.ref = &ref;
	cr.scope.data = enc;
	cr.scope.len = homeward__referral__consent_scope__pack(&sc, enc);
	cr.notice.data = notice;
	cr.notice.len = notice_len;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_RECORD;
	req.consent_record = &cr;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		goto out;
	rc = record_output(&ans, &a);
	cli_answer_free(&ans);
out:
	free(notice);
	free(enc);
	free(a.to_buf);
	return rc;
}

/* --- consent list --- */

int
cmd_consent_list(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__ConsentList cl = HOMEWARD__CONTROL__CONSENT_LIST__INIT;
	Homeward__Control__CaseRef ref;
	struct cli_answer ans;
	const char *home = NULL;
	json_t *arr;
	size_t shown = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", ref_opts)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	if ((rc = cli_case_ref(cmd, argv[optind], home, &ref)) != 0)
		return rc;
	cl.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_LIST;
	req.consent_list = &cl;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
					json_array_append_new(arr,
					    cli_consent_json(ans.data[i]->consent));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:s, s:o}",
		    "code", ref.code, "consents", arr));
		goto out;
	}
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
			continue;
		if (shown++ > 0)
			printf("\n");
		cli_consent_print(ans.data[i]->consent);
	}
	if (shown == 0)
		printf(_("no consent recorded for case %s (record one with "
		    "'homeward consent record %s ...')\n"), ref.code, ref.code);
out:
	cli_answer_free(&ans);
	return rc;
}

/* --- consent withdraw --- */

static const struct option withdraw_opts[] = {
	{ "home", required_argument, NULL, 'H' },
	{ "recorded-in-error", no_argument, NULL, 'E' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_consent_withdraw(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__ConsentWithdraw cw =
	    HOMEWARD__CONTROL__CONSENT_WITHDRAW__INIT;
	Homeward__Control__CaseRef ref;
	struct cli_answer ans;
	char id[CLI_ID_BUFLEN];
	const char *home = NULL;
	uint8_t cid[16];
	json_t *arr;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", withdraw_opts)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'E': cw.recorded_in_error = 1; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(cmd, _("give a case code and, optionally, one "
		    "consent id"));
	if (cw.recorded_in_error && argc - optind != 2)
		return cli_usage(cmd, _("--recorded-in-error revokes one consent: give "
		    "its id (see 'homeward consent list')"));
	if ((rc = cli_case_ref(cmd, argv[optind], home, &ref)) != 0)
		return rc;
	if (argc - optind == 2) {
		if (cli_parse_id(argv[optind + 1], cid) != 0)
			return cli_usage(cmd, _("a consent id is 32 hex digits"));
		cw.consent_id.data = cid;
		cw.consent_id.len = sizeof(cid);
	}
	cw.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_WITHDRAW;
	req.consent_withdraw = &cw;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		if ((arr = json_array()) != NULL)
			for (size_t i = 0; i < ans.n; i++)
				if (ans.data[i]->kind_case ==
				    HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
					json_array_append_new(arr,
					    cli_consent_json(ans.data[i]->consent));
		rc = cli_json_print(arr == NULL ? NULL : json_pack("{s:s, s:o, s:s}",
		    "code", ref.code, "withdrawn", arr, "result",
		    ans.last->result->message));
		goto out;
	}
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
			continue;
		/* TRANSLATORS: "revoked" or "withdrew", then the consent id. */
		printf(_("%s consent %s\n"), cw.recorded_in_error ? _("revoked") :
		    _("withdrew"), cli_hex(ans.data[i]->consent->consent_id, id));
	}
	/* The daemon says what it did: how many, and whom it told. */
	printf(_("case %s: %s\nheld messages no consent covers are cancelled "
	    "(follow with 'homeward case show %s')\n"), ref.code,
	    ans.last->result->message, ref.code);
out:
	cli_answer_free(&ans);
	return rc;
}
