/*
 * homeward: the operator's CLI to homewardd.  A command table (group,
 * subcommand, handler, one-line summary, synopsis, help); the usage text is
 * generated from it (wg.c, bgpctl).  Global options come before the
 * command; every command has --help and --json.  Exit status: 0 success,
 * 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define FP_HELP \
	"FP is the 40-digit fingerprint as the partner agency read it out (spaces\n" \
	"between the groups are optional; quote it).\n"

#define LIST_HELP \
	"--peer limits the list to one partner agency, --state to one state\n" \
	"(outbox: waiting, sealed, delivered; inbox: accepted, gap_held),\n" \
	"--limit to N messages (default 100, at most 10000), newest first.\n"

#define SHOW_HELP \
	"ID is the message id, 32 hex digits.  With --body the document is\n" \
	"fetched too (the daemon records this read of case data) and written to\n" \
	"FILE (mode 0600, atomically; an existing FILE only with --force), or to\n" \
	"standard output with '-' and nothing else printed.\n"

static const struct cli_cmd commands[] = {
	{ "status", NULL, 0, cmd_status,
	  "show the daemon: agency, peers, queues, alerts",
	  "[--json]",
	  "Our agency and fingerprint, how many peers are connected, what the\n"
	  "outbox holds (unacknowledged, waiting for a prekey, the oldest\n"
	  "unacknowledged message and its age), the inbox (total, held back by a\n"
	  "gap in a thread) and the number of alerts.\n" },
	{ "peers", "list", 1, cmd_peers_list,
	  "list the partner agencies",
	  "[--json]",
	  "One line per peer: agency, country, connected, suspended or\n"
	  "disconnected, whether its fingerprint was verified, usable prekeys,\n"
	  "unacknowledged messages to it and when it was last seen.\n" },
	{ "peers", "import", 0, cmd_peers_import,
	  "import a partner agency's bundle after confirming its fingerprint",
	  "FILE [--fingerprint FP] [--endpoint HOST:PORT] [--json]",
	  "FILE is the bundle the partner made with 'homeward-keys export'.  It is\n"
	  "checked here first and its agency, endpoint and fingerprint shown.\n"
	  "Then, unless --fingerprint is given, you are asked on the terminal to\n"
	  "type the fingerprint the partner read to you out of band (phone, in\n"
	  "person), or 'yes' if it matches the one shown.  A mismatch refuses the\n"
	  "import: do not import a bundle whose fingerprint you have not\n"
	  "confirmed.  --endpoint overrides the bundle's HOST:PORT.\n\n" FP_HELP },
	{ "peers", "verify", 0, cmd_peers_action,
	  "record that a peer's fingerprint was confirmed out of band",
	  "AGENCY --fingerprint FP [--json]",
	  "The daemon compares FP with the peer's pinned key and marks the peer\n"
	  "verified; a mismatch is refused.\n\n" FP_HELP },
	{ "peers", "suspend", 0, cmd_peers_action,
	  "stop sending to a peer and refuse its envelopes",
	  "AGENCY [--json]", "" },
	{ "peers", "resume", 0, cmd_peers_action,
	  "undo suspend",
	  "AGENCY [--json]", "" },
	{ "peers", "remove", 0, cmd_peers_action,
	  "forget a peer that has no messages in flight",
	  "AGENCY [--json]", "" },
	{ "outbox", "list", 1, cmd_messages_list,
	  "list the messages we sent or are sending",
	  "[--peer AGENCY] [--state STATE] [--limit N] [--json]", LIST_HELP },
	{ "outbox", "show", 0, cmd_messages_show,
	  "show one sent message, optionally its document",
	  "ID [--body FILE|-] [--force] [--json]", SHOW_HELP },
	{ "inbox", "list", 1, cmd_messages_list,
	  "list the messages we received",
	  "[--peer AGENCY] [--state STATE] [--limit N] [--json]", LIST_HELP },
	{ "inbox", "show", 0, cmd_messages_show,
	  "show one received message, optionally its document",
	  "ID [--body FILE|-] [--force] [--json]", SHOW_HELP },
	{ "evidence", "export", 0, cmd_evidence_export,
	  "write a message's evidence of delivery for a third party",
	  "ID -o FILE [--force] [--json]",
	  "Writes the signed message and its signed receipt (an Evidence) to FILE\n"
	  "(mode 0600, atomically; an existing FILE only with --force).  Anyone\n"
	  "holding both agencies' bundles can check it:\n"
	  "  homeward-keys verify-evidence FILE --sender A.bundle --recipient B.bundle\n" },
	{ "send", NULL, 0, cmd_send,
	  "queue a document for a partner agency",
	  "--to AGENCY --type TYPE --file FILE [--thread ID] [--reply-to ID] [--json]",
	  "TYPE is the message type, decimal or 0x hex (0x7f00 is the test\n"
	  "document, never personal data).  FILE holds the encoded document, at\n"
	  "most 1 MiB.  Without --thread the message starts a new thread;\n"
	  "--reply-to names the message it answers (both 32 hex digits).  Prints\n"
	  "the queued message's id and thread id.\n" },
	{ "log-level", NULL, 0, cmd_log_level,
	  "change the daemon's log verbosity",
	  "warn|info|debug [--json]", "" },
};

#define NCOMMANDS       (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	char name[48];

	fprintf(f, "usage: homeward [-s PATH] COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cli_cmd *c = &commands[i];

		if (c->is_default)
			snprintf(name, sizeof(name), "%s [%s]", c->group, c->sub);
		else
			cli_cmd_name(c, name, sizeof(name));
		fprintf(f, "  %-18s %s\n", name, c->summary);
	}
	fprintf(f, "\noptions:\n"
	    "  -s, --socket PATH  homewardd's control socket (default $%s,\n"
	    "                     else %s)\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         this text\n\n"
	    "Every command takes --json and --help ('homeward peers import --help').\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n",
	    CLI_SOCKET_ENV, CLI_SOCKET_DEFAULT);
}

/* The help of every subcommand of a group ("homeward peers --help"). */
static int
group_help(const char *group)
{
	int first = 1;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].group, group) != 0)
			continue;
		if (!first)
			printf("\n");
		first = 0;
		cli_help(&commands[i]);
	}
	return CLI_EXIT_OK;
}

/*
 * argv[0] is the command's first word.  A group's subcommand is the next
 * word; no word, or an option, runs the group's default ("peers --json" is
 * "peers list --json").  The command sees argv from its last word on.
 */
static int
dispatch(const struct cli_env *env, int argc, char **argv)
{
	const char *group = argv[0], *sub = argc > 1 ? argv[1] : NULL;
	const struct cli_cmd *def = NULL;
	int known = 0;

	if (sub != NULL && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].group, group) == 0 &&
			    commands[i].sub != NULL)
				return group_help(group);
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cli_cmd *c = &commands[i];

		if (strcmp(c->group, group) != 0)
			continue;
		known = 1;
		if (c->sub == NULL)
			return c->run(c, env, argc, argv);
		if (sub != NULL && strcmp(c->sub, sub) == 0)
			return c->run(c, env, argc - 1, argv + 1);
		if (c->is_default)
			def = c;
	}
	if (def != NULL && (sub == NULL || sub[0] == '-'))
		return def->run(def, env, argc, argv);
	if (known && sub == NULL)
		cli_warnx("%s: which one? (see 'homeward %s --help')", group, group);
	else if (known)
		cli_warnx("%s: unknown subcommand %s (see 'homeward %s --help')",
		    group, sub[0] == '-' ? "(an option)" : sub, group);
	else {
		cli_warnx("unknown command %s",
		    group[0] == '-' ? "(an option)" : group);
		usage(stderr);
	}
	return CLI_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_env env;
	int c;

	env.socket = getenv(CLI_SOCKET_ENV);
	if (env.socket == NULL || env.socket[0] == '\0')
		env.socket = CLI_SOCKET_DEFAULT;
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			env.socket = optarg;
			break;
		case 'V':
			printf("homeward %s\n", HOMEWARD_VERSION);
			return CLI_EXIT_OK;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case ':':
			cli_warnx("%s needs a value", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			cli_warnx("unknown option %s", argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		/* "help peers import" is "peers import --help". */
		for (size_t i = 0; i < NCOMMANDS; i++) {
			const struct cli_cmd *k = &commands[i];

			if (strcmp(k->group, argv[optind + 1]) != 0)
				continue;
			if (k->sub == NULL)
				return cli_help(k);
			if (optind + 2 < argc && strcmp(k->sub, argv[optind + 2]) == 0)
				return cli_help(k);
		}
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].group, argv[optind + 1]) == 0)
				return group_help(argv[optind + 1]);
		cli_warnx("unknown command %s", argv[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "version") == 0) {
		printf("homeward %s\n", HOMEWARD_VERSION);
		return CLI_EXIT_OK;
	}
	return dispatch(&env, argc - optind, argv + optind);
}
