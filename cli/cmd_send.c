/*
 * homeward send: queue a document for a partner agency.  The daemon seals
 * and sends it when it can; this prints the new message's id and thread id
 * so the operator can follow it (outbox show) and reply in the thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/fileio.h"
#include "common/i18n.h"
#include "common/limits.h"

static const struct option send_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "type", required_argument, NULL, 'T' },
	{ "file", required_argument, NULL, 'f' },
	{ "thread", required_argument, NULL, 'r' },
	{ "reply-to", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the options ask for; parsed before anything is read or sent.
 * parse() returns 0, CLI_EXIT_USAGE (reported) or CLI_OPT_HELP. */
struct send_args {
	const char     *to;
	uint32_t        type;
	const char     *file;
	uint8_t         thread[16];
	int             has_thread;
	uint8_t         reply_to[16];
	int             has_reply_to;
	int             json;
};

static int
parse(const struct cli_cmd *cmd, int argc, char **argv, struct send_args *a)
{
	const char *type = NULL;
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = cli_getopt(cmd, argc, argv, ":hj", send_opts)) != -1) {
		switch (c) {
		case 't': a->to = optarg; break;
		case 'T': type = optarg; break;
		case 'f': a->file = optarg; break;
		case 'r':
			if (cli_parse_id(optarg, a->thread) != 0)
				return cli_usage(cmd, _("a thread id is 32 hex digits"));
			a->has_thread = 1;
			break;
		case 'R':
			if (cli_parse_id(optarg, a->reply_to) != 0)
				return cli_usage(cmd, _("a message id is 32 hex digits"));
			a->has_reply_to = 1;
			break;
		case 'j': a->json = 1; break;
		case CLI_OPT_HELP: return CLI_OPT_HELP;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("unexpected argument %s"), argv[optind]);
	if (a->to == NULL || type == NULL || a->file == NULL)
		return cli_usage(cmd, _("--to, --type and --file are required"));
	if (cli_check_agency(a->to) != 0)
		return cli_usage(cmd, _("an agency id is 1-63 of a-z, 0-9 and '-'"));
	if (cli_parse_msg_type(type, &a->type) != 0)
		return cli_usage(cmd, _("--type is 1 to 65535, decimal or 0x hex"));
	return 0;
}

static int
output(const struct cli_answer *ans, const struct send_args *a)
{
	const Homeward__Control__Response *r;
	char id[CLI_ID_BUFLEN], th[CLI_ID_BUFLEN];

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE);
	if (r == NULL) {
		cli_warnx(_("homewardd queued the message but did not say its id "
		    "(see 'homeward outbox list --peer %s')"), a->to);
		return a->json ? cli_json_print(json_pack("{s:n, s:n, s:s}",
		    "message_id", "thread_id", "peer", a->to)) : CLI_EXIT_OK;
	}
	if (a->json)
		return cli_json_print(cli_message_json(r->message));
	cli_kv(_("queued"), "%s", cli_hex(r->message->message_id, id));
	cli_kv(_("thread"), "%s", cli_hex(r->message->thread_id, th));
	cli_kv(_("to"), "%s", r->message->peer[0] != '\0' ? r->message->peer : a->to);
	cli_kv(_("state"), "%s", r->message->state);
	return CLI_EXIT_OK;
}

int
cmd_send(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SendDocument sd = HOMEWARD__CONTROL__SEND_DOCUMENT__INIT;
	struct cli_answer ans;
	struct send_args a;
	uint8_t *body = NULL;
	size_t len = 0;
	int r, rc;

	if ((rc = parse(cmd, argc, argv, &a)) == CLI_OPT_HELP)
		return cli_help(cmd);
	if (rc != 0)
		return rc;
	if ((r = fileio_read(a.file, ENV1_MAX_INLINE, 0, &body, &len)) != 0) {
		if (r == -EFBIG)
			cli_warnx(_("%s is larger than the %u bytes a message can carry"),
			    a.file, ENV1_MAX_INLINE);
		else
			cli_warn_errno(-r, _("cannot read %s"), a.file);
		return CLI_EXIT_FAIL;
	}
	sd.peer = (char *)a.to;
	sd.msg_type = a.type;
	sd.body.data = body;
	sd.body.len = len;
	if (a.has_thread) {
		sd.thread_id.data = a.thread;
		sd.thread_id.len = sizeof(a.thread);
	}
	if (a.has_reply_to) {
		sd.in_reply_to.data = a.reply_to;
		sd.in_reply_to.len = sizeof(a.reply_to);
	}
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_SEND;
	req.send = &sd;
	if ((rc = cli_call(env, &req, &ans)) == CLI_EXIT_OK) {
		rc = output(&ans, &a);
		cli_answer_free(&ans);
	}
	free(body);
	return rc;
}
