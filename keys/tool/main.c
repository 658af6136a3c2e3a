/*
 * homeward-keys: the agency's key tool.  A command table (name, handler,
 * one-line summary, options, help); the usage text is generated from it.
 * Exit status: 0 success, 1 failure, 2 usage error.  Errors go to stderr
 * prefixed "homeward-keys: ".  Passphrases never come from the command
 * line or the environment (passphrase.h); no secret is ever printed.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/i18n.h"
#include "keys/secret.h"
#include "keys/tool/tool.h"

#define PASS_HELP \
	N_("Passphrases are read from the terminal (echo off; asked twice when a key\n" \
	"file is created), from --passphrase-file FILE (mode 0600; one line, the\n" \
	"trailing newline is dropped) or from --passphrase-fd N (up to the first\n" \
	"newline, so one descriptor can carry several).  Never from the command\n" \
	"line or the environment.  The RIK key file has its own options,\n" \
	"--rik-passphrase-file and --rik-passphrase-fd.\n")

static const struct tool_cmd commands[] = {
	{ "init", cmd_init,
	  N_("create a new agency: RIK, daemon key, DSK certificate, prekeys, TLS key"),
	  "--dir DIR --agency-id ID --name NAME --country CC --time-zone ZONE\n"
	  "       [--endpoint HOST:PORT] [--duty-contact TEXT]\n"
	  "       [--rik-passphrase-file F | --rik-passphrase-fd N]\n"
	  "       [--passphrase-file F | --passphrase-fd N] [--json]",
	  N_("DIR must not exist or be empty; it is created with mode 0700 and holds:\n"
	  "  rik.key      the root identity key (RIK), Argon2id 1 GiB: MOVE IT OFFLINE\n"
	  "  daemon.key   DSK seed and certificate, keystore key, TLS key reference\n"
	  "  tls.key      TLS private key (PEM, 0600); tls.crt its self-signed\n"
	  "               certificate (CN = agency id, one year)\n"
	  "  agency.pub   the signed agency description and DSK certificates (0644)\n"
	  "  prekeys.dat  four prekeys a week apart, secrets wrapped (0600)\n"
	  "The agency id is 1-63 of a-z, 0-9, '-'; the country ISO 3166-1 alpha-2;\n"
	  "the time zone an IANA name (Africa/Abidjan); --endpoint is left out by an\n"
	  "agency behind NAT.  --duty-contact is how partners reach your duty officer\n"
	  "at any hour (a phone, \"+223 20 00 00 00\", and/or a few words; at most 64\n"
	  "bytes, no control characters): their urgent alerts about a person's\n"
	  "arrival quote it.  The DSK certificate (serial 1, MSG|PREKEY) is valid\n"
	  "395 days.  Every file is written to a temporary file, fsynced and\n"
	  "renamed; on failure nothing is left behind.\n") "\n" PASS_HELP },
	{ "contact", cmd_contact,
	  N_("set, change or remove the duty contact partners call (signed by the RIK)"),
	  "--dir DIR --duty-contact TEXT [--rik-key FILE] [--json]\n"
	  "       [--rik-passphrase-file F | --rik-passphrase-fd N]",
	  N_("TEXT is how a partner reaches your duty officer at any hour: a phone\n"
	  "number (E.164, \"+223 20 00 00 00\") and/or a few words, at most 64 bytes\n"
	  "without control characters; staff data, never a referred person's.  An\n"
	  "empty TEXT removes it.  Partners' urgent alerts about a person's arrival\n"
	  "quote it.  The agency info in agency.pub is signed again with the RIK\n"
	  "(--rik-key when it is not DIR/rik.key); the same TEXT changes nothing and\n"
	  "needs no RIK.  Partners learn it from the next exported bundle.\n") },
	{ "fingerprint", cmd_fingerprint,
	  N_("show an agency's fingerprint, and the safety number with a peer"),
	  "(--dir DIR | BUNDLE) [--peer BUNDLE] [--json]",
	  N_("Shows the 40-digit fingerprint operators read to each other, the short\n"
	  "key id (for logs, never for trust) and the QR payload.  With --peer, the\n"
	  "80-digit safety number, which both agencies see identically.\n") },
	{ "export", cmd_export,
	  N_("write the signed peer bundle to send to a partner agency"),
	  "--dir DIR -o FILE [--force] [--json]",
	  N_("agency.pub plus the prekeys that are still usable (not expired, not\n"
	  "revoked, signed by a valid DSK), checked and written atomically (0644).\n"
	  "An existing FILE is replaced only with --force.\n") },
	{ "inspect", cmd_inspect,
	  N_("say what a bundle, key file, prekeys.dat or evidence file holds, or what is wrong"),
	  "FILE [--ask | --passphrase-file F | --passphrase-fd N] [--json]",
	  N_("A bundle: agency, fingerprint, certificates, prekeys, revocations, every\n"
	  "signature checked; a refused bundle names the failing field and exits 1.\n"
	  "A key file: its header (KDF parameters); with a passphrase (--ask prompts)\n"
	  "also the public parts of its contents.  prekeys.dat: ids and validity.\n"
	  "Evidence or a signed message: its fields (verify it with verify-evidence).\n"
	  "A key file readable by group or others is refused.\n") },
	{ "certify", cmd_certify,
	  N_("certify a new daemon signing key (DSK) with the RIK"),
	  "--dir DIR [--rik-key FILE] [--days N] [--json]\n"
	  "       [--rik-passphrase-file F | --rik-passphrase-fd N]\n"
	  "       [--passphrase-file F | --passphrase-fd N]",
	  N_("Makes a new DSK, certifies it (serial = highest + 1, MSG|PREKEY, --days,\n"
	  "default 395), adds the certificate to agency.pub and rewrites daemon.key\n"
	  "(same passphrase, keystore key and TLS key).  --rik-key gives the RIK key\n"
	  "file when it is not DIR/rik.key (it should live offline).  The old DSK\n"
	  "stays valid until revoked.\n") "\n" PASS_HELP },
	{ "revoke", cmd_revoke,
	  N_("revoke a DSK, a prekey or the RIK itself (signed by the RIK)"),
	  "--dir DIR (--dsk KEYHEX | --spk ID | --rik)\n"
	  "       [--reason compromised|superseded|retired] [--rik-key FILE] [--json]\n"
	  "       [--rik-passphrase-file F | --rik-passphrase-fd N]",
	  N_("Appends a RIK-signed revocation to agency.pub; --spk also deletes that\n"
	  "prekey's secret from prekeys.dat.  KEYHEX is the DSK public key as\n"
	  "inspect shows it; ID a prekey id (16 hex digits).  Partners learn of it\n"
	  "from the next exported bundle.\n") },
	{ "rotate-rik", cmd_rotate_rik,
	  N_("hand the agency's identity to a new RIK (partners follow it)"),
	  "--dir DIR [--rik-key FILE] [--new-rik-key FILE] [--days N] [--json]\n"
	  "       [--rik-passphrase-file F | --rik-passphrase-fd N]\n"
	  "       [--new-rik-passphrase-file F | --new-rik-passphrase-fd N]\n"
	  "       [--passphrase-file F | --passphrase-fd N]",
	  N_("Makes a new RIK and signs the transition old -> new with both keys\n"
	  "(PROTOCOL.md 4.4); certifies daemon.key's DSK under the new RIK (--days,\n"
	  "default 395), signs the prekeys again as the new RIK's (same ids and\n"
	  "secrets) and rewrites agency.pub under the new RIK with the transition.\n"
	  "The new RIK goes to --new-rik-key (default: where the old one was); the\n"
	  "old one is kept aside as FILE.retired-KEYID (0600).  Then restart the\n"
	  "daemon and tell partners the new fingerprint out of band.\n") "\n" PASS_HELP },
	{ "rotate-prekeys", cmd_rotate_prekeys,
	  N_("keep N future prekeys a week apart; delete secrets past retention"),
	  "--dir DIR [--ahead N] [--passphrase-file F | --passphrase-fd N] [--json]",
	  N_("Keeps --ahead (default 4) usable prekeys, 7 days apart, each valid 8 days\n"
	  "and retained 21 days more; deletes (and names) the secrets of prekeys\n"
	  "past their retain_until.  Needs the daemon key file's passphrase.  Run\n"
	  "it weekly, then export the bundle again.\n") },
	{ "verify-evidence", cmd_verify_evidence,
	  N_("check a message's evidence and receipt against both agencies' bundles"),
	  "EVIDENCE [RECEIPT] --sender BUNDLE --recipient BUNDLE [--json]",
	  N_("Says who sent what type of message to whom and when, and when it was\n"
	  "received and committed, from the signatures alone; or exactly why the\n"
	  "proof fails.  Exit 0 only when the message and its receipt both verify;\n"
	  "a message without a receipt is authentic but its delivery is not proven\n"
	  "(exit 1).  EVIDENCE is an Evidence (which may carry the receipt) or a\n"
	  "SignedMessage; RECEIPT the receipt's SignedMessage.\n") },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, _("usage: homeward-keys [--version] [--help] COMMAND [options]\n\n"
	    "commands:\n"));
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, _(commands[i].summary));
	fprintf(f, "\n'homeward-keys COMMAND --help' describes a command.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n\n" PASS_HELP);
}

/* Secrets must not end up in a core file. */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	const char *name;
	uint64_t now;
	int i = 1;

	i18n_init();
	harden();
	report_set_sink(tool_report_sink);
	if (secret_init() != 0) {
		tool_warnx(_("cannot initialise libsodium"));
		return TOOL_EXIT_FAIL;
	}
	/* --now MS: hidden, for tests of time-dependent commands only. */
	while (i < argc && strcmp(argv[i], "--now") == 0) {
		if (i + 1 >= argc || opts_number(argv[i + 1], 1, UINT64_MAX / 2,
		    &now) != 0) {
			tool_warnx(_("--now needs a time in milliseconds"));
			return TOOL_EXIT_USAGE;
		}
		tool_set_now(now);
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	name = argv[i];
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("homeward-keys %s\n", HOMEWARD_VERSION);
		return TOOL_EXIT_OK;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return TOOL_EXIT_OK;
	}
	for (size_t c = 0; c < NCOMMANDS; c++)
		if (strcmp(name, commands[c].name) == 0)
			return commands[c].run(&commands[c], argc - i, argv + i);
	tool_warnx(_("unknown command %s"), name[0] == '-' ? "(an option)" : name);
	usage(stderr);
	return TOOL_EXIT_USAGE;
}
