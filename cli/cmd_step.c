/*
 * homeward's step commands: one handler for every document of the
 * procedure an operator sends (request send, request accept, departure
 * plan, arrival confirm, ...).  The command table row says which document
 * and what the verb sets in it (a decision, a departure kind, an arrival
 * outcome); the document comes from a JSON file (common/docjson.h), options
 * fill or override its fields, and the encoded document goes to homewardd
 * in a StepSend.  The daemon fills the CaseHeader and checks order, travel
 * rules and consent: it queues the message, holds it (saying what is
 * missing), or refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/docjson.h"
#include "common/fileio.h"
#include "common/i18n.h"
#include "common/limits.h"
#include "common/msgtype.h"

static const struct option step_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "home", required_argument, NULL, 'H' },
	{ "file", required_argument, NULL, 'f' },
	{ "reply-by", required_argument, NULL, 'r' },
	{ "reason", required_argument, NULL, 'R' },
	{ "met-by-agency", required_argument, NULL, 'A' },
	{ "met-by-contact", required_argument, NULL, 'c' },
	{ "met-by", required_argument, NULL, 'M' },
	{ "at", required_argument, NULL, 'a' },
	{ "next-steps", required_argument, NULL, 'n' },
	{ "expected", required_argument, NULL, 'e' },
	{ "handed-over-to", required_argument, NULL, 'O' },
	{ "waive", required_argument, NULL, 'w' },
	{ "waiver-reason", required_argument, NULL, 'W' },
	{ "safety-reason", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Which of the document's own options a step takes. */
#define OPT_FILE        0x01    /* --file, optional */
#define OPT_FILE_NEEDED 0x02    /* --file, required */
#define OPT_REPLY_BY    0x04
#define OPT_DECISION    0x08    /* --reason, --met-by-agency, --met-by-contact */
#define OPT_ARRIVED     0x10    /* --at, --met-by, --met-by-agency */
#define OPT_NEXT_STEPS  0x20
#define OPT_EXPECTED    0x40    /* --expected: a delay's new arrival, required */
#define OPT_HANDOVER    0x80    /* --handed-over-to: a minor met on arrival */

#define DOC_JSON_MAX    (4u << 20)      /* a document's JSON, before encoding */
#define TEXT_MAX        4096            /* one option's text */
#define RULES_MAX       16
#define RULE_NAME_MAX   64

static const struct step_kind {
	uint32_t        msg_type;
	int             variant;
	unsigned        opts;
} kinds[] = {
	{ ENV1_MSG_ASSISTANCE_REQUEST, 0, OPT_FILE_NEEDED | OPT_REPLY_BY },
	{ ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  HOMEWARD__REFERRAL__DECISION__DECISION_ACCEPT, OPT_FILE | OPT_DECISION },
	{ ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE, OPT_FILE | OPT_DECISION },
	{ ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  HOMEWARD__REFERRAL__DECISION__DECISION_MORE_INFORMATION,
	  OPT_FILE | OPT_DECISION },
	{ ENV1_MSG_REINTEGRATION_REQUEST, 0, OPT_FILE_NEEDED | OPT_REPLY_BY },
	{ ENV1_MSG_REINTEGRATION_CONFIRMATION, 0, OPT_FILE_NEEDED },
	{ ENV1_MSG_DEPARTURE_NOTIFICATION,
	  HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL, OPT_FILE_NEEDED },
	{ ENV1_MSG_DEPARTURE_NOTIFICATION,
	  HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL, OPT_FILE_NEEDED },
	{ ENV1_MSG_ARRIVAL_CONFIRMATION,
	  HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET,
	  OPT_FILE | OPT_ARRIVED | OPT_NEXT_STEPS | OPT_HANDOVER },
	{ ENV1_MSG_ARRIVAL_CONFIRMATION,
	  HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED,
	  OPT_FILE | OPT_NEXT_STEPS },
	{ ENV1_MSG_ARRIVAL_CONFIRMATION,
	  HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED,
	  OPT_FILE | OPT_NEXT_STEPS | OPT_EXPECTED },
	{ ENV1_MSG_FOLLOW_UP_REPORT, 0, OPT_FILE_NEEDED },
};

/* What the options ask for; parsed before any file is read. */
struct step_args {
	const struct step_kind *kind;
	const char     *code;
	const char     *home;
	const char     *to;
	const char     *file;
	uint64_t        reply_by;
	const char     *reason;
	const char     *met_agency;
	const char     *met_contact;
	const char     *met_by;
	uint64_t        at;
	const char     *next_steps;
	uint64_t        expected;
	int             handover;               /* Homeward__Referral__Handover */
	char           *waive_buf;              /* owns the strings in waive[] */
	char           *waive[RULES_MAX];
	size_t          n_waive;
	const char     *waiver_reason;
	const char     *safety_reason;
	int             json;
};

/* RULE[,RULE...]: names of travel rules, 1-64 of a-z, 0-9, '_', '-'. */
static int
rules_parse(const char *list, struct step_args *a)
{
	char *p, *save = NULL;
	size_t n;

	free(a->waive_buf);
	a->n_waive = 0;
	if (list[0] == '\0' || list[0] == ',' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,") != NULL || (a->waive_buf = strdup(list)) == NULL)
		return -1;
	for (p = strtok_r(a->waive_buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		n = strlen(p);
		if (a->n_waive == RULES_MAX || n > RULE_NAME_MAX ||
		    strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
			return -1;
		a->waive[a->n_waive++] = p;
	}
	return 0;
}

/* Free text of an option: not empty, not huge. */
static int
text_ok(const char *s)
{
	return s[0] != '\0' && strlen(s) <= TEXT_MAX;
}

/* The option o (its letter in step_opts) is allowed for this step. */
static int
allowed(const struct step_kind *k, int o)
{
	switch (o) {
	case 'f':
		return (k->opts & (OPT_FILE | OPT_FILE_NEEDED)) != 0;
	case 'r':
		return (k->opts & OPT_REPLY_BY) != 0;
	case 'R':
	case 'c':
		return (k->opts & OPT_DECISION) != 0;
	case 'A':
		return (k->opts & (OPT_DECISION | OPT_ARRIVED)) != 0;
	case 'M':
	case 'a':
		return (k->opts & OPT_ARRIVED) != 0;
	case 'n':
		return (k->opts & OPT_NEXT_STEPS) != 0;
	case 'e':
		return (k->opts & OPT_EXPECTED) != 0;
	case 'O':
		return (k->opts & OPT_HANDOVER) != 0;
	default:
		return 1;
	}
}

/* --handed-over-to: 0 when unknown. */
static int
handover_parse(const char *v)
{
	static const struct {
		const char     *name;
		int             value;
	} names[] = {
		{ "parent", HOMEWARD__REFERRAL__HANDOVER__HANDOVER_PARENT_OR_GUARDIAN },
		{ "family", HOMEWARD__REFERRAL__HANDOVER__HANDOVER_OTHER_FAMILY },
		{ "child-protection",
		  HOMEWARD__REFERRAL__HANDOVER__HANDOVER_CHILD_PROTECTION },
		{ "shelter", HOMEWARD__REFERRAL__HANDOVER__HANDOVER_SHELTER },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0)
			return names[i].value;
	return 0;
}

static const char *
opt_name(int o)
{
	for (size_t i = 0; step_opts[i].name != NULL; i++)
		if (step_opts[i].val == o)
			return step_opts[i].name;
	return "?";
}

/* The options against each other and the clock: 0, or CLI_EXIT_USAGE
 * (reported). */
static int
step_check(const struct cli_cmd *cmd, const struct step_args *a)
{
	const char *texts[7];

	if ((a->kind->opts & OPT_FILE_NEEDED) != 0 && a->file == NULL)
		return cli_usage(cmd, _("--file is required: the document as JSON"));
	if ((a->n_waive > 0) != (a->waiver_reason != NULL))
		return cli_usage(cmd, _("--waive and --waiver-reason go together"));
	if ((a->kind->opts & OPT_EXPECTED) != 0 && a->expected == 0 &&
	    a->file == NULL)
		return cli_usage(cmd, _("--expected is required: when she is now "
		    "expected to arrive"));
	texts[0] = a->reason;
	texts[1] = a->met_agency;
	texts[2] = a->met_contact;
	texts[3] = a->met_by;
	texts[4] = a->next_steps;
	texts[5] = a->waiver_reason;
	texts[6] = a->safety_reason;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i] != NULL && !text_ok(texts[i]))
			return cli_usage(cmd, _("the text of an option is 1 to %d bytes"),
			    TEXT_MAX);
	if (a->at > (uint64_t)time(NULL) * 1000 + 3600000)
		return cli_usage(cmd, _("--at is in the future"));
	return 0;
}

/* Returns 0, CLI_EXIT_USAGE (reported) or CLI_OPT_HELP; a->waive_buf is
 * the caller's to free either way. */
static int
step_parse(const struct cli_cmd *cmd, int argc, char **argv,
    struct step_args *a)
{
	int c;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].msg_type == cmd->msg_type &&
		    kinds[i].variant == cmd->variant)
			a->kind = &kinds[i];
	if (a->kind == NULL)
		return cli_usage(cmd, _("no such step"));
	while ((c = cli_getopt(cmd, argc, argv, ":hj", step_opts)) != -1) {
		if (c >= 0 && !allowed(a->kind, c))
			return cli_usage(cmd, _("--%s is not an option of this step"),
			    opt_name(c));
		switch (c) {
		case 't':
			if (cli_check_agency(optarg) != 0)
				return cli_usage(cmd, _("--to is an agency id: 1-63 of "
				    "a-z, 0-9 and '-'"));
			a->to = optarg;
			break;
		case 'H': a->home = optarg; break;
		case 'f': a->file = optarg; break;
		case 'r':
			if (cli_parse_time(optarg, &a->reply_by) != 0)
				return cli_usage(cmd, _("--reply-by is a time such as "
				    "2026-12-08T12:00:00Z"));
			break;
		case 'a':
			if (cli_parse_time(optarg, &a->at) != 0)
				return cli_usage(cmd, _("--at is a time such as "
				    "2026-12-01T07:30:00Z"));
			break;
		case 'R': a->reason = optarg; break;
		case 'A': a->met_agency = optarg; break;
		case 'c': a->met_contact = optarg; break;
		case 'M': a->met_by = optarg; break;
		case 'n': a->next_steps = optarg; break;
		case 'e':
			if (cli_parse_time(optarg, &a->expected) != 0)
				return cli_usage(cmd, _("--expected is a time such as "
				    "2026-12-01T17:30:00Z"));
			break;
		case 'O':
			if ((a->handover = handover_parse(optarg)) == 0)
				return cli_usage(cmd, _("--handed-over-to is parent, "
				    "family, child-protection or shelter"));
			break;
		case 'w':
			if (rules_parse(optarg, a) != 0)
				return cli_usage(cmd, _("--waive is one or more travel "
				    "rule names separated by commas (at most %d)"),
				    RULES_MAX);
			break;
		case 'W': a->waiver_reason = optarg; break;
		case 'S': a->safety_reason = optarg; break;
		case 'j': a->json = 1; break;
		case CLI_OPT_HELP: return CLI_OPT_HELP;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one case code"));
	a->code = argv[optind];
	return step_check(cmd, a);
}

/* --- the document --- */

/* Replace a string field of an unpacked message (protobuf-c's allocator
 * is malloc): 0 or -1. */
static int
set_str(char **field, const char *v)
{
	char *d;

	if ((d = strdup(v)) == NULL)
		return -1;
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = d;
	return 0;
}

/* The JSON file as an unpacked message of d: 0, or -1 (reported). */
static int
doc_load(const char *path, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out)
{
	json_error_t jerr;
	json_t *obj = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[256];
	int r, rc = -1;

	*out = NULL;
	if ((r = fileio_read(path, DOC_JSON_MAX, 0, &buf, &len)) != 0) {
		if (r == -EFBIG)
			cli_warnx(_("%s is larger than any document (%u bytes)"), path,
			    DOC_JSON_MAX);
		else
			cli_warn_errno(-r, _("cannot read %s"), path);
		goto out;
	}
	/* jansson's message quotes the text near the error: the file is
	 * case data, so only the position is shown. */
	if ((obj = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		cli_warnx(_("%s: not valid JSON (line %d, column %d)"), path,
		    jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(obj)) {
		cli_warnx(_("%s: a document is a JSON object ({ ... })"), path);
		goto out;
	}
	if ((r = docjson_to_pb(obj, d, out, why, sizeof(why))) != 0) {
		if (r == -ENOMEM)
			cli_warnx(_("out of memory"));
		else
			cli_warnx(_("%s: %s (the fields are those of %s in "
			    "proto/referral.proto)"), path, why, d->short_name);
		goto out;
	}
	rc = 0;
out:
	json_decref(obj);
	free(buf);
	return rc;
}

/* An empty message of d, for steps whose options say everything. */
static ProtobufCMessage *
doc_empty(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m;

	if ((m = malloc(d->sizeof_message)) == NULL)
		return NULL;
	protobuf_c_message_init(d, m);
	return m;
}

/* Fields the daemon or a supervisor fills, which a document file must leave
 * out: 0, or -1 (reported). */
static int
doc_check_filled(const char *path, const ProtobufCMessage *m)
{
	const Homeward__Referral__DepartureNotification *dn;
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	    "header");
	if (f != NULL && *(void *const *)((const char *)m + f->offset) != NULL) {
		cli_warnx(_("%s: leave out \"header\": homewardd fills it (the case, "
		    "the consent, the safety exception)"), path);
		return -1;
	}
	if (m->descriptor == &homeward__referral__departure_notification__descriptor) {
		dn = (const Homeward__Referral__DepartureNotification *)m;
		if (dn->n_rules_waived > 0 || dn->waiver_reason[0] != '\0' ||
		    dn->waived_by[0] != '\0') {
			cli_warnx(_("%s: leave out rules_waived, waiver_reason and "
			    "waived_by: give --waive and --waiver-reason, and homewardd "
			    "records who waived"), path);
			return -1;
		}
	}
	return 0;
}

/* The verb's value against the file's: the file may leave it out or agree. */
static int
doc_variant(const char *path, const char *field, int *have, int want)
{
	if (*have != 0 && *have != want) {
		cli_warnx(_("%s: its \"%s\" contradicts the command: leave it out"),
		    path, field);
		return -1;
	}
	*have = want;
	return 0;
}

static int
meeting_set(Homeward__Referral__AssistanceConfirmation *ac,
    const struct step_args *a)
{
	Homeward__Referral__MeetingAgency *ma;

	if (a->met_agency == NULL && a->met_contact == NULL)
		return 0;
	if (ac->meeting_agency == NULL) {
		if ((ma = malloc(sizeof(*ma))) == NULL)
			return -1;
		homeward__referral__meeting_agency__init(ma);
		ac->meeting_agency = ma;
	}
	ma = ac->meeting_agency;
	if (a->met_agency != NULL && set_str(&ma->agency_id, a->met_agency) != 0)
		return -1;
	if (a->met_contact != NULL && set_str(&ma->contact, a->met_contact) != 0)
		return -1;
	return 0;
}

/* What the verb and the options set in the document: 0, or -1 (reported). */
static int
doc_apply(ProtobufCMessage *m, const struct step_args *a, const char *path)
{
	int v = a->kind->variant;

	switch (a->kind->msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST: {
		Homeward__Referral__AssistanceRequest *ar = (void *)m;

		if (a->reply_by != 0)
			ar->reply_by = a->reply_by;
		return 0;
	}
	case ENV1_MSG_ASSISTANCE_CONFIRMATION: {
		Homeward__Referral__AssistanceConfirmation *ac = (void *)m;
		int d = (int)ac->decision;

		if (doc_variant(path, "decision", &d, v) != 0)
			return -1;
		ac->decision = (Homeward__Referral__Decision)d;
		if ((a->reason != NULL && set_str(&ac->reasons, a->reason) != 0) ||
		    meeting_set(ac, a) != 0)
			goto nomem;
		return 0;
	}
	case ENV1_MSG_REINTEGRATION_REQUEST: {
		Homeward__Referral__ReintegrationRequest *rr = (void *)m;

		if (a->reply_by != 0)
			rr->reply_by = a->reply_by;
		return 0;
	}
	case ENV1_MSG_DEPARTURE_NOTIFICATION: {
		Homeward__Referral__DepartureNotification *dn = (void *)m;
		int k = (int)dn->kind;

		if (doc_variant(path, "kind", &k, v) != 0)
			return -1;
		dn->kind = (Homeward__Referral__DepartureKind)k;
		return 0;
	}
	case ENV1_MSG_ARRIVAL_CONFIRMATION: {
		Homeward__Referral__ArrivalConfirmation *ac = (void *)m;
		int o = (int)ac->outcome;

		if (doc_variant(path, "outcome", &o, v) != 0)
			return -1;
		ac->outcome = (Homeward__Referral__ArrivalOutcome)o;
		if (a->at != 0)
			ac->arrived_at = a->at;
		if (a->expected != 0)
			ac->expected_at = a->expected;
		if (a->handover != 0)
			ac->handed_over_to = (Homeward__Referral__Handover)a->handover;
		/* Met now, unless the file or --at says when. */
		if (v == HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET &&
		    ac->arrived_at == 0)
			ac->arrived_at = (uint64_t)time(NULL) * 1000;
		if ((a->met_by != NULL && set_str(&ac->met_by, a->met_by) != 0) ||
		    (a->met_agency != NULL &&
		    set_str(&ac->met_by_agency, a->met_agency) != 0) ||
		    (a->next_steps != NULL &&
		    set_str(&ac->next_steps, a->next_steps) != 0))
			goto nomem;
		return 0;
	}
	default:
		return 0;
	}
nomem:
	cli_warnx(_("out of memory"));
	return -1;
}

/* The encoded document in *out (malloc'ed): 0, or -1 (reported). */
static int
doc_build(const struct step_args *a, uint8_t **out, size_t *outlen)
{
	const ProtobufCMessageDescriptor *d;
	const char *path = a->file != NULL ? a->file : _("the document");
	ProtobufCMessage *m = NULL;
	size_t n;
	int rc = -1;

	*out = NULL;
	if ((d = refnames_doc_descriptor(a->kind->msg_type)) == NULL) {
		cli_warnx(_("no document for message type 0x%04x"), a->kind->msg_type);
		return -1;
	}
	if (a->file != NULL) {
		if (doc_load(a->file, d, &m) != 0)
			return -1;
		if (doc_check_filled(a->file, m) != 0)
			goto out;
	} else if ((m = doc_empty(d)) == NULL) {
		cli_warnx(_("out of memory"));
		return -1;
	}
	if (doc_apply(m, a, path) != 0)
		goto out;
	if ((n = protobuf_c_message_get_packed_size(m)) > ENV1_MAX_INLINE) {
		cli_warnx(_("%s: %zu bytes encoded, more than the %u a message can "
		    "carry"), path, n, ENV1_MAX_INLINE);
		goto out;
	}
	if ((*out = malloc(n + 1)) == NULL) {
		cli_warnx(_("out of memory"));
		goto out;
	}
	*outlen = protobuf_c_message_pack(m, *out);
	rc = 0;
out:
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* --- the answer --- */

static int
step_output(const struct cli_answer *ans, const struct step_args *a)
{
	const Homeward__Control__Result *res = ans->last->result;
	const Homeward__Control__Response *r;
	const Homeward__Control__StepResult *sr;
	char id[CLI_ID_BUFLEN];
	int ok, refused, partner;
	json_t *j;

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_STEP);
	sr = r != NULL ? r->step : NULL;
	/* The older held draft this one replaced, and a basis other than a
	 * consent, said by homewardd. */
	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_HELD);
	partner = strstr(res->message, "under the partner's safety exception") !=
	    NULL;
	ok = res->code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK;
	refused = !ok || (sr != NULL && strcmp(sr->state, "refused") == 0);
	if (a->json) {
		j = sr != NULL ? cli_step_json(sr) : json_pack("{s:s}", "state",
		    refused ? "refused" : "accepted");
		if (j != NULL && r != NULL)
			json_object_set_new(j, "replaces", cli_json_hex(r->held->held_id));
		if (j != NULL && partner)
			json_object_set_new(j, "basis", json_string("partner safety "
			    "exception"));
		if (j != NULL && refused) {
			json_object_set_new(j, "result", json_string(
			    control_result_name(res->code)));
			json_object_set_new(j, "message", cli_json_str(res->message));
		}
		if (cli_json_print(j) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	} else if (sr != NULL) {
		cli_step_print(sr);
		if (partner)
			printf(_("sent under the partner's safety exception: no consent "
			    "covers it\n"));
		if (r != NULL)
			printf(_("replaces held document %s (cancelled)\n"),
			    cli_hex(r->held->held_id, id));
	} else if (ok) {
		printf(_("accepted by homewardd (see 'homeward case show %s')\n"),
		    a->code);
	}
	if (!ok)
		return cli_result_report(ans);
	return refused ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int
cmd_step(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StepSend ss = HOMEWARD__CONTROL__STEP_SEND__INIT;
	Homeward__Control__CaseRef ref;
	struct step_args a;
	struct cli_answer ans;
	uint8_t *doc = NULL;
	size_t len = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = step_parse(cmd, argc, argv, &a)) == CLI_OPT_HELP) {
		rc = cli_help(cmd);
		goto out;
	}
	if (rc != 0 || (rc = cli_case_ref(cmd, a.code, a.home, &ref)) != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	if (doc_build(&a, &doc, &len) != 0)
		goto out;
	ss.ref = &ref;
	if (a.to != NULL)
		ss.peer = (char *)a.to;
	ss.msg_type = a.kind->msg_type;
	ss.document.data = doc;
	ss.document.len = len;
	ss.waive_rules = a.waive;
	ss.n_waive_rules = a.n_waive;
	if (a.waiver_reason != NULL)
		ss.waiver_reason = (char *)a.waiver_reason;
	if (a.safety_reason != NULL)
		ss.safety_reason = (char *)a.safety_reason;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STEP_SEND;
	req.step_send = &ss;
	if ((rc = cli_call_any(env, &req, &ans)) != CLI_EXIT_OK)
		goto out;
	rc = step_output(&ans, &a);
	cli_answer_free(&ans);
out:
	free(doc);
	free(a.waive_buf);
	return rc;
}
