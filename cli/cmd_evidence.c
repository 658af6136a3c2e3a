/*
 * homeward evidence export: the proof that a message was sent and
 * received, as one file a third party checks with `homeward-keys
 * verify-evidence` against both agencies' bundles.  A supervisor's file
 * holds the signed document, so it is written with mode 0600 like any
 * case data; an auditor's leaves the document out (PROTOCOL.md 15).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/fileio.h"
#include "common/i18n.h"
#include "proto/keys.pb-c.h"
#include "proto/pbwipe.h"

static const struct option export_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'F' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Whether the daemon left the document out of the evidence. */
static int
withheld(const ProtobufCBinaryData *ev)
{
	Homeward__Keys__Evidence *e;
	int w;

	/* It may hold the document: decoded with the wiping allocator. */
	if ((e = homeward__keys__evidence__unpack(&pbwipe_allocator, ev->len,
	    ev->data)) == NULL)
		return 0;
	w = e->message != NULL && e->message->body_withheld;
	homeward__keys__evidence__free_unpacked(e, &pbwipe_allocator);
	return w;
}

int
cmd_evidence_export(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__EvidenceExport ee = HOMEWARD__CONTROL__EVIDENCE_EXPORT__INIT;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	ProtobufCBinaryData idb;
	char idhex[CLI_ID_BUFLEN];
	uint8_t id[16];
	const char *out = NULL;
	int c, json = 0, force = 0, rc, w, nobody;

	while ((c = cli_getopt(cmd, argc, argv, ":ho:j", export_opts)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'F': force = 1; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one message id"));
	if (cli_parse_id(argv[optind], id) != 0)
		return cli_usage(cmd, _("a message id is 32 hex digits"));
	if (out == NULL || strcmp(out, "-") == 0)
		return cli_usage(cmd, _("-o FILE is required (a file, not '-')"));

	if (cli_check_output(out, force) != 0)
		return CLI_EXIT_FAIL;

	ee.message_id.data = id;
	ee.message_id.len = sizeof(id);
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_EVIDENCE_EXPORT;
	req.evidence_export = &ee;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE)) ==
	    NULL || r->evidence.len == 0) {
		cli_warnx(_("homewardd answered without the evidence"));
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	if ((w = fileio_write_atomic(out, r->evidence.data, r->evidence.len, 0600,
	    force)) != 0) {
		if (w == -EEXIST)
			cli_warnx(_("%s exists: use --force to replace it"), out);
		else
			cli_warn_errno(-w, _("cannot write %s"), out);
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	idb.data = id;
	idb.len = sizeof(id);
	nobody = withheld(&r->evidence);
	if (json) {
		rc = cli_json_print(json_pack("{s:s, s:o, s:I, s:b}", "file", out,
		    "message_id", cli_json_hex(idb), "bytes",
		    (json_int_t)r->evidence.len, "document_included", !nobody));
	} else {
		printf(_("wrote %s: evidence for message %s (%zu bytes%s)\n"), out,
		    cli_hex(idb, idhex), r->evidence.len, nobody ? _(", without the "
		    "document: its signed content hash stands for it") : "");
		printf(_("check it with: homeward-keys verify-evidence %s "
		    "--sender SENDER.bundle --recipient RECIPIENT.bundle\n"), out);
	}
done:
	cli_answer_free(&ans);
	return rc;
}
