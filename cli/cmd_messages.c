/*
 * homeward outbox and inbox: listing messages and showing one.  Listings
 * and details carry metadata only (ids, types, states, times); the
 * document itself is fetched only with --body, which the daemon records as
 * a read of case data, and is written to a file of mode 0600 or to
 * standard output, never mixed with other output.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/fileio.h"
#include "common/i18n.h"

static const struct option list_opts[] = {
	{ "peer", required_argument, NULL, 'p' },
	{ "state", required_argument, NULL, 'S' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option show_opts[] = {
	{ "body", required_argument, NULL, 'b' },
	{ "force", no_argument, NULL, 'F' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define LIST_LIMIT_MAX  10000

static Homeward__Control__Direction
direction_of(const struct cli_cmd *cmd)
{
	return strcmp(cmd->group, "outbox") == 0 ?
	    HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT :
	    HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
}

static const char *
direction_name(Homeward__Control__Direction d)
{
	switch (d) {
	case HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT:
		return "out";
	case HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN:
		return "in";
	default:
		break;
	}
	return "unknown";
}

/* --- views of a message --- */

/* The columns of outbox and inbox list, padded by their width on a
 * terminal. */
static void
list_heading(int out)
{
	const char *h[] = { _("MESSAGE"), out ? _("TO") : _("FROM"), _("TYPE"),
	    _("STATE"), _("CREATED") };

	printf("%-*s  %-*s %-*s %-*s %-*s%s\n", cli_colw(32, h[0]), h[0],
	    cli_colw(16, h[1]), h[1], cli_colw(26, h[2]), h[2],
	    cli_colw(10, h[3]), h[3], cli_colw(24, h[4]), h[4],
	    out ? _(" ATTEMPTS") : "");
}

json_t *
cli_message_json(const Homeward__Control__MessageInfo *m)
{
	char tb[16];

	return json_pack("{s:o, s:s, s:s, s:o, s:I, s:I, s:s, s:s, s:o, s:o, "
	    "s:I, s:o, s:I, s:o, s:o}",
	    "message_id", cli_json_hex(m->message_id),
	    "direction", direction_name(m->direction),
	    "peer", m->peer,
	    "thread_id", cli_json_hex(m->thread_id),
	    "seq", (json_int_t)m->seq,
	    "msg_type", (json_int_t)m->msg_type,
	    "msg_type_name", cli_msg_type_name(m->msg_type, tb, sizeof(tb)),
	    "state", m->state,
	    "created_at", cli_json_time(m->created_at),
	    "sent_at", cli_json_time(m->sent_at),
	    "attempts", (json_int_t)m->attempts,
	    "delivered_at", cli_json_time(m->delivered_at),
	    "body_len", (json_int_t)m->body_len,
	    "h_inner", cli_json_hex(m->h_inner),
	    "in_reply_to", cli_json_hex(m->in_reply_to));
}

void
cli_message_print(const Homeward__Control__MessageInfo *m)
{
	char t[CLI_TIME_BUFLEN], id[CLI_ID_BUFLEN], tb[16];
	int out = m->direction == HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;

	cli_kv(_("message"), "%s", cli_hex(m->message_id, id));
	cli_kv(out ? _("to") : _("from"), "%s", m->peer);
	cli_kv(_("thread"), "%s", cli_hex(m->thread_id, id));
	cli_kv(_("seq"), "%llu", (unsigned long long)m->seq);
	cli_kv(_("type"), "%s (0x%04x)", cli_msg_type_name(m->msg_type, tb,
	    sizeof(tb)), m->msg_type);
	cli_kv(_("state"), "%s", m->state);
	cli_time(m->created_at, t);
	cli_kv(_("created"), "%s", t);
	if (out) {
		cli_time(m->sent_at, t);
		cli_kv(_("sent"), ngettext("%s (%u attempt)", "%s (%u attempts)",
		    m->attempts), m->sent_at != 0 ? t : _("never"), m->attempts);
	}
	cli_time(m->delivered_at, t);
	cli_kv(out ? _("delivered") : _("committed"), "%s",
	    m->delivered_at != 0 ? t : _("not yet"));
	cli_kv(_("body"), _("%llu bytes"), (unsigned long long)m->body_len);
	cli_kv(_("h_inner"), "%s", cli_hex(m->h_inner, id));
	if (m->in_reply_to.len > 0)
		cli_kv(_("in reply to"), "%s", cli_hex(m->in_reply_to, id));
}

/* --- list --- */

static int
list_output(const struct cli_answer *ans, Homeward__Control__Direction dir,
    int json)
{
	char t[CLI_TIME_BUFLEN], id[CLI_ID_BUFLEN], tb[16];
	json_t *arr;
	size_t shown = 0;
	int out = dir == HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT;

	if (json) {
		if ((arr = json_array()) == NULL)
			return cli_json_print(NULL);
		for (size_t i = 0; i < ans->n; i++)
			if (ans->data[i]->kind_case ==
			    HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE)
				json_array_append_new(arr,
				    cli_message_json(ans->data[i]->message));
		return cli_json_print(json_pack("{s:s, s:o}", "direction",
		    direction_name(dir), "messages", arr));
	}
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__MessageInfo *m;

		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE)
			continue;
		m = ans->data[i]->message;
		if (shown++ == 0)
			list_heading(out);
		cli_time(m->created_at, t);
		printf("%-32s  %-16s %-26s %-10s %-24s", cli_hex(m->message_id, id),
		    m->peer, cli_msg_type_name(m->msg_type, tb, sizeof(tb)),
		    m->state, t);
		if (out)
			printf(" %8u", m->attempts);
		printf("\n");
	}
	if (shown == 0)
		printf(_("no messages\n"));
	return CLI_EXIT_OK;
}

int
cmd_messages_list(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__MessageList ml = HOMEWARD__CONTROL__MESSAGE_LIST__INIT;
	struct cli_answer ans;
	uint64_t limit = 0;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", list_opts)) != -1) {
		switch (c) {
		case 'p':
			if (cli_check_agency(optarg) != 0)
				return cli_usage(cmd, _("an agency id is 1-63 of a-z, "
				    "0-9 and '-'"));
			ml.peer = optarg;
			break;
		case 'S':
			ml.state = optarg;
			break;
		case 'n':
			if (cli_parse_u64(optarg, 1, LIST_LIMIT_MAX, &limit) != 0)
				return cli_usage(cmd, _("--limit is 1 to %d"),
				    LIST_LIMIT_MAX);
			break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("no arguments expected"));
	ml.direction = direction_of(cmd);
	ml.limit = (uint32_t)limit;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_LIST;
	req.message_list = &ml;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	rc = list_output(&ans, ml.direction, json);
	cli_answer_free(&ans);
	return rc;
}

/* --- show --- */

/* The document to a file (0600: it is case data) or to stdout. */
static int
write_body(const char *path, ProtobufCBinaryData body, int force)
{
	int r;

	if (strcmp(path, "-") == 0) {
		if (body.len > 0 && fwrite(body.data, 1, body.len, stdout) != body.len) {
			cli_warn_errno(errno, _("cannot write the document to stdout"));
			return -1;
		}
		return fflush(stdout) == 0 ? 0 : -1;
	}
	if ((r = fileio_write_atomic(path, body.data, body.len, 0600, force)) != 0) {
		if (r == -EEXIST)
			cli_warnx(_("%s exists: use --force to replace it"), path);
		else
			cli_warn_errno(-r, _("cannot write %s"), path);
		return -1;
	}
	return 0;
}

int
cmd_messages_show(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__MessageShow ms = HOMEWARD__CONTROL__MESSAGE_SHOW__INIT;
	const Homeward__Control__Response *r;
	const Homeward__Control__MessageInfo *m;
	struct cli_answer ans;
	uint8_t id[16];
	const char *body = NULL;
	int c, json = 0, force = 0, rc;
	json_t *j;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", show_opts)) != -1) {
		switch (c) {
		case 'b': body = optarg; break;
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
	if (body != NULL && strcmp(body, "-") == 0 && json)
		return cli_usage(cmd, _("--body - writes only the document: no --json"));

	if (body != NULL && cli_check_output(body, force) != 0)
		return CLI_EXIT_FAIL;

	ms.direction = direction_of(cmd);
	ms.message_id.data = id;
	ms.message_id.len = sizeof(id);
	ms.with_body = body != NULL;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_SHOW;
	req.message_show = &ms;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE)) ==
	    NULL) {
		cli_warnx(_("homewardd answered without the message"));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	m = r->message;
	if (body != NULL && write_body(body, m->body, force) != 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (body != NULL && strcmp(body, "-") == 0)
		goto out;
	if (json) {
		j = cli_message_json(m);
		if (j != NULL && body != NULL)
			json_object_set_new(j, "body_file", json_string(body));
		rc = cli_json_print(j);
		goto out;
	}
	cli_message_print(m);
	if (body != NULL)
		cli_kv(_("written to"), "%s", body);
out:
	cli_answer_free(&ans);
	return rc;
}
