/*
 * homeward document show: one document of a case, sent or received,
 * decoded by its message type and printed as JSON (common/docjson.h), the
 * form an operator also writes documents in.  The daemon records the read:
 * it is case data.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* The body as JSON: 0 with *out (NULL when msg_type has no document of the
 * procedure), or -1 (reported). */
static int
body_json(const Homeward__Control__Document *d, json_t **out)
{
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *m;
	char tb[16];

	*out = NULL;
	if ((desc = refnames_doc_descriptor(d->msg_type)) == NULL)
		return 0;
	m = protobuf_c_message_unpack(desc, NULL, d->body.len, d->body.data);
	if (m == NULL) {
		cli_warnx(_("the stored %s does not decode (%zu bytes)"),
		    cli_msg_type_name(d->msg_type, tb, sizeof(tb)), d->body.len);
		return -1;
	}
	*out = docjson_from_pb(m, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	if (*out == NULL) {
		cli_warnx(_("cannot show the %s as JSON (a text field is not UTF-8)"),
		    cli_msg_type_name(d->msg_type, tb, sizeof(tb)));
		return -1;
	}
	return 0;
}

/* d as JSON or as text; body (the document as JSON, or NULL) is
 * consumed. */
static int
show_output(const Homeward__Control__Document *d, json_t *body, int json)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN], tb[16];

	if (json)
		return cli_json_print(json_pack("{s:o, s:I, s:s, s:s, s:s, s:s, s:o, "
		    "s:I, s:o}",
		    "message_id", cli_json_hex(d->message_id),
		    "msg_type", (json_int_t)d->msg_type,
		    "msg_type_name", cli_msg_type_name(d->msg_type, tb, sizeof(tb)),
		    "direction", d->direction,
		    "case_code", d->case_code,
		    "peer", d->peer,
		    "at", cli_json_rfc3339(d->at),
		    "body_len", (json_int_t)d->body.len,
		    "document", body != NULL ? body : json_null()));
	cli_kv(_("message"), "%s", cli_hex(d->message_id, id));
	cli_kv(_("type"), "%s (0x%04x)", cli_msg_type_name(d->msg_type, tb,
	    sizeof(tb)), d->msg_type);
	cli_kv(_("case"), "%s", d->case_code);
	cli_kv(strcmp(d->direction, "received") == 0 ? "from" : "to", "%s (%s)",
	    d->peer, d->direction);
	cli_localtime(d->at, t);
	cli_kv(_("at"), "%s", t);
	printf("\n");
	if (body == NULL) {
		printf(_("(not a document of the procedure: %zu bytes)\n"), d->body.len);
		return CLI_EXIT_OK;
	}
	return cli_json_print(body);
}

int
cmd_document_show(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__DocumentShow ds = HOMEWARD__CONTROL__DOCUMENT_SHOW__INIT;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	uint8_t mid[16];
	json_t *body = NULL;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", show_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one message id"));
	if (cli_parse_id(argv[optind], mid) != 0)
		return cli_usage(cmd, _("a message id is 32 hex digits"));
	ds.message_id.data = mid;
	ds.message_id.len = sizeof(mid);
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_DOCUMENT_SHOW;
	req.document_show = &ds;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_DOCUMENT)) ==
	    NULL) {
		cli_warnx(_("homewardd answered without the document"));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (body_json(r->document, &body) != 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = show_output(r->document, body, json);
out:
	cli_answer_free(&ans);
	return rc;
}
