/*
 * homeward case: open a case under its code, list cases, show one with
 * everything the daemon holds about it (its threads with each partner, its
 * consents, its held messages and its timeline from the audit log),
 * correct its profile, and close it.  A case is named by its code, never
 * by the person: the only personal data asked for here is what the travel
 * rules need (sex, age, minor), sent to the daemon as a
 * homeward.referral.Profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/i18n.h"

static const struct option open_opts[] = {
	{ "sex", required_argument, NULL, 'x' },
	{ "age", required_argument, NULL, 'a' },
	{ "minor", no_argument, NULL, 'm' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option update_opts[] = {
	{ "sex", required_argument, NULL, 'x' },
	{ "age", required_argument, NULL, 'a' },
	{ "minor", no_argument, NULL, 'm' },
	{ "adult", no_argument, NULL, 'A' },
	{ "home", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option list_opts[] = {
	{ "state", required_argument, NULL, 'S' },
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

#define AGE_MAX         120
#define ADULT_AGE       18

/* Which profile options were given. */
#define GIVEN_SEX       0x1u
#define GIVEN_AGE       0x2u
#define GIVEN_MINOR     0x4u
#define GIVEN_ADULT     0x8u

static Homeward__Referral__AgeBand
age_band(uint32_t age)
{
	if (age < 12)
		return HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_UNDER_12;
	if (age < 18)
		return HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_12_TO_17;
	if (age < 25)
		return HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_18_TO_24;
	if (age < 40)
		return HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_25_TO_39;
	return HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_40_AND_OVER;
}

/* The columns of case list, padded by their width on a terminal. */
static void
case_list_heading(void)
{
	/* TRANSLATORS: the column headings of 'homeward case list': short,
	 * capitals where the script has them. */
	const char *h[] = { _("CASE"), _("HOME"), _("ROLE"), _("STATE"),
	    _("OPENED"), _("HELD"), _("PARTNERS") };

	printf("%-*s %-*s %-*s %-*s %-*s %*s  %s\n", cli_colw(20, h[0]), h[0],
	    cli_colw(16, h[1]), h[1], cli_colw(11, h[2]), h[2],
	    cli_colw(10, h[3]), h[3], cli_colw(16, h[4]), h[4],
	    cli_colw(4, h[5]), h[5], h[6]);
}

/* The one CaseInfo of an answer, or NULL (reported). */
static const Homeward__Control__CaseInfo *
answer_case(const struct cli_answer *ans)
{
	const Homeward__Control__Response *r;

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO);
	if (r == NULL) {
		cli_warnx(_("homewardd answered without the case"));
		return NULL;
	}
	return r->case_info;
}

/* --- the profile: what case show and case update print --- */

static json_t *
profile_json(const Homeward__Control__CaseInfo *c)
{
	if (c->profile_withheld || !c->profile_recorded)
		return json_pack("{s:b, s:b}", "recorded", c->profile_recorded,
		    "withheld", c->profile_withheld);
	return json_pack("{s:b, s:b, s:o, s:o, s:b, s:{s:b, s:o}, s:b}",
	    "recorded", 1, "withheld", 0,
	    "sex", cli_json_str(c->sex),
	    "age", c->age > 0 ? json_integer(c->age) : json_null(),
	    "minor", c->minor,
	    "travel", "minor", c->travel_minor, "sex", cli_json_str(c->travel_sex),
	    "documents_differ", c->documents_differ);
}

/* The case, with its profile added. */
static json_t *
case_json(const Homeward__Control__CaseInfo *c)
{
	json_t *o = cli_case_json(c);

	if (o != NULL && json_object_set_new(o, "profile", profile_json(c)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void
profile_print(const Homeward__Control__CaseInfo *c)
{
	char age[24] = "";

	if (c->profile_withheld) {
		cli_kv(_("profile"), "%s", c->profile_recorded ? _("recorded (not shown "
		    "to your role)") : _("none recorded"));
		return;
	}
	if (!c->profile_recorded) {
		cli_kv(_("profile"), _("none recorded (the travel rules need it: "
		    "'homeward case update %s --sex ... --age ...')"), c->code);
		return;
	}
	if (c->age > 0)
		snprintf(age, sizeof(age), _("age %u, "), c->age);
	/* TRANSLATORS: a label of the case view; what follows it, the sex,
	 * stays as recorded (female, male, other). */
	cli_kv(_("profile"), "%s%s%s%s", *c->sex != '\0' ? c->sex :
	    _("sex not stated"), ", ", age, c->minor ? _("a minor") :
	    c->age > 0 ? _("an adult") : _("not known to be a minor"));
	cli_kv(_("travel rules"), "%s%s%s%s", c->travel_minor ?
	    _("a minor: escorted") : _("no escort required"), c->travel_minor &&
	    strcmp(c->travel_sex, "female") == 0 ? _(", by a female escort") : "",
	    c->documents_differ ? _(" (the latest request for assistance states "
	    "another profile: the more protective of the two applies)") : "",
	    !c->documents_differ && c->travel_minor != c->minor ? _(" (as the "
	    "latest request for assistance states)") : "");
}

/* --sex, --age, --minor and --adult into p; fields: which were given.
 * 0, or CLI_EXIT_USAGE (reported). */
static int
profile_opt(const struct cli_cmd *cmd, int c, Homeward__Referral__Profile *p,
    unsigned *given)
{
	uint64_t age;

	switch (c) {
	case 'x':
		if (refnames_sex_parse(optarg, &p->sex) != 0)
			return cli_usage(cmd, _("--sex is female, male or other"));
		*given |= GIVEN_SEX;
		return 0;
	case 'a':
		if (cli_parse_u64(optarg, 1, AGE_MAX, &age) != 0)
			return cli_usage(cmd, _("--age is 1 to %d years (leave it "
			    "out when not known)"), AGE_MAX);
		p->age = (uint32_t)age;
		*given |= GIVEN_AGE;
		return 0;
	case 'm':
		*given |= GIVEN_MINOR;
		return 0;
	case 'A':
		*given |= GIVEN_ADULT;
		return 0;
	}
	return CLI_EXIT_USAGE;
}

/* The options agree with one another; the age sets the band and, unless
 * told otherwise, whether the person is a minor. */
static int
profile_finish(const struct cli_cmd *cmd, Homeward__Referral__Profile *p,
    unsigned given)
{
	if ((given & GIVEN_MINOR) && (given & GIVEN_ADULT))
		return cli_usage(cmd, _("--minor and --adult contradict each other"));
	if ((given & GIVEN_MINOR) && p->age >= ADULT_AGE)
		return cli_usage(cmd, _("--minor and --age %u contradict each other"),
		    p->age);
	if ((given & GIVEN_ADULT) && p->age > 0 && p->age < ADULT_AGE)
		return cli_usage(cmd, _("--adult and --age %u contradict each other"),
		    p->age);
	if (p->age > 0)
		p->age_band = age_band(p->age);
	p->minor = (given & GIVEN_MINOR) || (p->age > 0 && p->age < ADULT_AGE);
	return 0;
}

/* The encoded profile (malloc'ed) into *data. */
static int
profile_pack(const Homeward__Referral__Profile *p, ProtobufCBinaryData *data)
{
	if ((data->data = malloc(homeward__referral__profile__get_packed_size(p) +
	    1)) == NULL) {
		cli_warnx(_("out of memory"));
		return CLI_EXIT_FAIL;
	}
	data->len = homeward__referral__profile__pack(p, data->data);
	return 0;
}

/* --- case open --- */

static int
open_output(const struct cli_answer *ans, const char *code, int minor, int json)
{
	const Homeward__Control__Response *r;
	const Homeward__Control__CaseInfo *ci;

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO);
	ci = r != NULL ? r->case_info : NULL;
	if (json)
		return cli_json_print(json_pack("{s:s, s:o}", "code", code, "case",
		    ci != NULL ? cli_case_json(ci) : json_null()));
	printf(_("opened case %s%s\n"), code, minor ?
	    _(" (a minor: travels escorted)") : "");
	if (ci != NULL) {
		printf("\n");
		cli_case_print(ci);
	}
	printf(_("\nnext: record the person's consent with 'homeward consent "
	    "record %s ...'\n"), code);
	return CLI_EXIT_OK;
}

int
cmd_case_open(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseOpen co = HOMEWARD__CONTROL__CASE_OPEN__INIT;
	Homeward__Referral__Profile p = HOMEWARD__REFERRAL__PROFILE__INIT;
	Homeward__Control__CaseRef ref;
	struct cli_answer ans;
	unsigned given = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", open_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
		default:
			if ((rc = profile_opt(cmd, c, &p, &given)) != 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	if ((rc = cli_case_ref(cmd, argv[optind], NULL, &ref)) != 0)
		return rc;
	/* The travel rules depend on these: a minor travels escorted, a girl
	 * by a female escort. */
	if ((rc = profile_finish(cmd, &p, given)) != 0 ||
	    (rc = profile_pack(&p, &co.profile)) != 0)
		return rc;
	co.code = ref.code;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_OPEN;
	req.case_open = &co;
	rc = cli_call(env, &req, &ans);
	free(co.profile.data);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_output(&ans, co.code, p.minor, json);
	cli_answer_free(&ans);
	return rc;
}

/* --- case update --- */

int
cmd_case_update(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseUpdate cu = HOMEWARD__CONTROL__CASE_UPDATE__INIT;
	Homeward__Referral__Profile p = HOMEWARD__REFERRAL__PROFILE__INIT;
	Homeward__Control__CaseRef ref;
	const Homeward__Control__CaseInfo *ci;
	struct cli_answer ans;
	char *fields[3];
	const char *home = NULL;
	unsigned given = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", update_opts)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
		default:
			if ((rc = profile_opt(cmd, c, &p, &given)) != 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	if (given == 0)
		return cli_usage(cmd, _("say what changes: --sex, --age, --minor or "
		    "--adult"));
	if ((rc = cli_case_ref(cmd, argv[optind], home, &ref)) != 0 ||
	    (rc = profile_finish(cmd, &p, given)) != 0)
		return rc;
	if (given & GIVEN_SEX)
		fields[cu.n_fields++] = "sex";
	if (given & GIVEN_AGE)
		fields[cu.n_fields++] = "age";
	/* A new age says whether she is a minor unless --minor or --adult
	 * says it: the daemon derives it. */
	if (given & (GIVEN_MINOR | GIVEN_ADULT))
		fields[cu.n_fields++] = "minor";
	cu.fields = fields;
	cu.ref = &ref;
	if ((rc = profile_pack(&p, &cu.profile)) != 0)
		return rc;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_UPDATE;
	req.case_update = &cu;
	rc = cli_call(env, &req, &ans);
	free(cu.profile.data);
	if (rc != CLI_EXIT_OK)
		return rc;
	ci = answer_case(&ans);
	if (json)
		rc = cli_json_print(json_pack("{s:s, s:s, s:o}", "code", ref.code,
		    "result", ans.last->result->message,
		    "case", ci != NULL ? case_json(ci) : json_null()));
	else {
		printf("%s\n", ans.last->result->message);
		if (ci != NULL) {
			printf("\n");
			profile_print(ci);
		}
	}
	cli_answer_free(&ans);
	return rc;
}

/* --- case list --- */

static int
list_output(const struct cli_answer *ans, int json)
{
	char t[CLI_LOCALTIME_BUFLEN];
	json_t *arr;
	size_t shown = 0;

	if (json) {
		if ((arr = json_array()) == NULL)
			return cli_json_print(NULL);
		for (size_t i = 0; i < ans->n; i++)
			if (ans->data[i]->kind_case ==
			    HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO)
				json_array_append_new(arr,
				    cli_case_json(ans->data[i]->case_info));
		return cli_json_print(json_pack("{s:o}", "cases", arr));
	}
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__CaseInfo *c;

		if (ans->data[i]->kind_case !=
		    HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO)
			continue;
		c = ans->data[i]->case_info;
		if (shown++ == 0)
			case_list_heading();
		cli_localtime(c->opened_at, t);
		printf("%-20s %-16s %-11s %-10s %-16s %4u  ", c->code, c->home,
		    c->role, c->state, t, c->held);
		for (size_t k = 0; k < c->n_threads; k++)
			printf("%s%s", k > 0 ? "," : "", c->threads[k]->peer);
		printf("%s\n", c->n_threads == 0 ? "-" : "");
	}
	if (shown == 0)
		printf(_("no cases\n"));
	return CLI_EXIT_OK;
}

int
cmd_case_list(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	static const char *const states[] = { "open", "restricted", "closed",
	    "erased" };
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseList cl = HOMEWARD__CONTROL__CASE_LIST__INIT;
	struct cli_answer ans;
	int c, json = 0, rc, ok;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", list_opts)) != -1) {
		switch (c) {
		case 'S':
			ok = 0;
			for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
				ok |= strcmp(optarg, states[i]) == 0;
			if (!ok)
				return cli_usage(cmd, _("--state is open, restricted, "
				    "closed or erased"));
			cl.state = optarg;
			break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("no arguments expected"));
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_LIST;
	req.case_list = &cl;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	rc = list_output(&ans, json);
	cli_answer_free(&ans);
	return rc;
}

/* --- case show --- */

static int
show_json(const struct cli_answer *ans, const Homeward__Control__CaseInfo *ci)
{
	json_t *consents, *held, *timeline;

	consents = json_array();
	held = json_array();
	timeline = json_array();
	if (consents == NULL || held == NULL || timeline == NULL) {
		json_decref(consents);
		json_decref(held);
		json_decref(timeline);
		return cli_json_print(NULL);
	}
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__Response *r = ans->data[i];

		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
			json_array_append_new(consents, cli_consent_json(r->consent));
		else if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_HELD)
			json_array_append_new(held, cli_held_json(r->held));
		else if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
			json_array_append_new(timeline, cli_audit_json(r->audit));
	}
	return cli_json_print(json_pack("{s:o, s:o, s:o, s:o}", "case",
	    case_json(ci), "consents", consents, "held", held,
	    "timeline", timeline));
}

/* The records of one kind under a heading; "none" when there are none. */
static void
show_section(const struct cli_answer *ans, const char *heading,
    Homeward__Control__Response__KindCase kind)
{
	struct cli_audit_cols cols;
	size_t shown = 0;

	cli_audit_cols(ans, &cols);
	printf("\n%s:\n", _(heading));
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__Response *r = ans->data[i];

		if (r->kind_case != kind)
			continue;
		shown++;
		if (kind == HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
			cli_consent_print(r->consent);
		else if (kind == HOMEWARD__CONTROL__RESPONSE__KIND_HELD)
			cli_held_line(r->held);
		else
			cli_audit_line(r->audit, 0, &cols);
	}
	if (shown == 0)
		printf(_("none\n"));
}

int
cmd_case_show(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseShow cs = HOMEWARD__CONTROL__CASE_SHOW__INIT;
	Homeward__Control__CaseRef ref;
	const Homeward__Control__CaseInfo *ci;
	struct cli_answer ans;
	const char *home = NULL;
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
	cs.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_SHOW;
	req.case_show = &cs;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((ci = answer_case(&ans)) == NULL) {
		rc = CLI_EXIT_FAIL;
	} else if (json) {
		rc = show_json(&ans, ci);
	} else {
		cli_case_print(ci);
		profile_print(ci);
		show_section(&ans, N_("consents"),
		    HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT);
		show_section(&ans, N_("held messages"),
		    HOMEWARD__CONTROL__RESPONSE__KIND_HELD);
		show_section(&ans, N_("timeline"),
		    HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT);
	}
	cli_answer_free(&ans);
	return rc;
}

/* --- case close --- */

int
cmd_case_close(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__CaseClose cc = HOMEWARD__CONTROL__CASE_CLOSE__INIT;
	Homeward__Control__CaseRef ref;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	char t[CLI_LOCALTIME_BUFLEN];
	const char *home = NULL;
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
	cc.ref = &ref;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_CASE_CLOSE;
	req.case_close = &cc;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_CASE_INFO);
	if (json) {
		rc = cli_json_print(json_pack("{s:s, s:o}", "code", ref.code, "case",
		    r != NULL ? cli_case_json(r->case_info) : json_null()));
	} else {
		printf(_("closed case %s\n"), ref.code);
		if (r != NULL && r->case_info->erase_after != 0) {
			cli_localtime(r->case_info->erase_after, t);
			printf(_("its data is erased after %s (the retention period)\n"),
			    t);
		}
	}
	cli_answer_free(&ans);
	return rc;
}
