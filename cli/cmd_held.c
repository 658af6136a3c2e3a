/*
 * homeward held show and held cancel: one held document read before an
 * operator decides about it (the document as 'document show' prints it,
 * JSON of common/docjson.h; what is missing; for the safety exception its
 * reason and the approvals with theirs), and cancelled when it must never
 * go.  homewardd records the read: it is case data.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/docjson.h"
#include "common/i18n.h"

static const struct option show_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option cancel_opts[] = {
	{ "reason", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define REASON_MAX      4096

/* The held document as JSON: 0 with *out, or -1 (reported). */
static int
held_doc_json(const Homeward__Control__HeldInfo *h, json_t **out)
{
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *m;
	char tb[16];

	*out = NULL;
	if ((desc = refnames_doc_descriptor(h->msg_type)) == NULL ||
	    (m = protobuf_c_message_unpack(desc, NULL, h->document.len,
	    h->document.data)) == NULL) {
		cli_warnx(_("the held %s does not decode (%zu bytes)"),
		    cli_msg_type_name(h->msg_type, tb, sizeof(tb)), h->document.len);
		return -1;
	}
	*out = docjson_from_pb(m, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	if (*out == NULL) {
		cli_warnx(_("cannot show the held %s as JSON (a text field is not "
		    "UTF-8)"), cli_msg_type_name(h->msg_type, tb, sizeof(tb)));
		return -1;
	}
	return 0;
}

/* The row's words (refview.c's line), then what `held show` adds. */
static int
show_print(const Homeward__Control__HeldInfo *h, json_t *doc)
{
	char id[CLI_ID_BUFLEN];

	cli_held_line(h);
	cli_kv(_("case state"), "%s", h->case_state);
	if (h->safety_reason[0] != '\0')
		cli_kv(_("safety reason"), "%s", h->safety_reason);
	if (h->approved_by[0] != '\0')
		cli_kv(_("1st approval"), "%s: %s", h->approved_by,
		    h->first_reason[0] != '\0' ? h->first_reason : _("(no reason kept)"));
	if (h->second_approved_by[0] != '\0')
		cli_kv(_("2nd approval"), "%s: %s", h->second_approved_by,
		    h->second_reason[0] != '\0' ? h->second_reason :
		    _("(no reason kept)"));
	if (strcmp(h->state, "approval") == 0)
		printf(_("a supervisor approves it with 'homeward approve %s --reason "
		    "TEXT'\n"), cli_hex(h->held_id, id));
	printf("\n");
	return cli_json_print(doc);
}

int
cmd_held_show(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__HeldShow hs = HOMEWARD__CONTROL__HELD_SHOW__INIT;
	const Homeward__Control__Response *r;
	const Homeward__Control__HeldInfo *h;
	struct cli_answer ans;
	uint8_t id[16];
	json_t *doc = NULL, *j;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", show_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one held id"));
	if (cli_parse_id(argv[optind], id) != 0)
		return cli_usage(cmd, _("a held id is 32 hex digits ('homeward held')"));
	hs.held_id.data = id;
	hs.held_id.len = sizeof(id);
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_HELD_SHOW;
	req.held_show = &hs;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	if ((r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_HELD)) ==
	    NULL) {
		cli_warnx(_("homewardd answered without the held document"));
		goto out;
	}
	h = r->held;
	if (held_doc_json(h, &doc) != 0)
		goto out;
	if (!json) {
		rc = show_print(h, doc);
		goto out;
	}
	if ((j = cli_held_json(h)) != NULL) {
		json_object_set_new(j, "case_state", json_string(h->case_state));
		json_object_set_new(j, "safety_reason", cli_json_str(h->safety_reason));
		json_object_set_new(j, "first_reason", cli_json_str(h->first_reason));
		json_object_set_new(j, "second_approved_by",
		    cli_json_str(h->second_approved_by));
		json_object_set_new(j, "second_reason", cli_json_str(h->second_reason));
		json_object_set_new(j, "document", doc);
	} else
		json_decref(doc);
	rc = cli_json_print(j);
out:
	cli_answer_free(&ans);
	return rc;
}

int
cmd_held_cancel(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__HeldCancel hc = HOMEWARD__CONTROL__HELD_CANCEL__INIT;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	const char *reason = NULL;
	uint8_t id[16];
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", cancel_opts)) != -1) {
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
		return cli_usage(cmd, _("a held id is 32 hex digits ('homeward held')"));
	if (reason != NULL && (reason[0] == '\0' || strlen(reason) > REASON_MAX))
		return cli_usage(cmd, _("--reason is 1 to %d bytes"), REASON_MAX);
	hc.held_id.data = id;
	hc.held_id.len = sizeof(id);
	if (reason != NULL)
		hc.reason = (char *)reason;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_HELD_CANCEL;
	req.held_cancel = &hc;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_HELD);
	if (json)
		rc = cli_json_print(r != NULL ? cli_held_json(r->held) :
		    json_pack("{s:s}", "state", "cancelled"));
	else
		printf("%s\n", ans.last->result->message);
	cli_answer_free(&ans);
	return rc;
}
