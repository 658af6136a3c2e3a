/*
 * homeward backup -o FILE: an encrypted copy of both of homewardd's
 * databases, taken while it runs (homewardd(8), BACKUP AND RESTORE).
 * FILE is created new (never replaced), mode 0600, written from the
 * daemon's backup_chunk frames, checked against the length and SHA-256
 * the daemon's Result names, and synced; on any failure it is removed, so
 * no partial backup is ever left to be mistaken for a good one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "common/i18n.h"

#define SHA_LEN         crypto_hash_sha256_BYTES

static const struct option backup_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The file being written, removed if the operator interrupts. */
static const char *volatile writing;

static void
on_signal(int sig)
{
	(void)sig;
	if (writing != NULL)
		(void)unlink(writing);
	_exit(CLI_EXIT_FAIL);
}

static void
catch_signals(void (*h)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

static void
hex(const uint8_t *b, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Every backup_chunk of the answer into fd; *bytes and sha of them. */
static int
write_chunks(int fd, const struct cli_answer *ans, uint64_t *bytes,
    char sha[2 * SHA_LEN + 1])
{
	crypto_hash_sha256_state        st;
	uint8_t                         md[SHA_LEN];
	const ProtobufCBinaryData      *b;
	ssize_t                         n;

	crypto_hash_sha256_init(&st);
	*bytes = 0;
	for (size_t i = 0; i < ans->n; i++) {
		if (ans->data[i]->kind_case !=
		    HOMEWARD__CONTROL__RESPONSE__KIND_BACKUP_CHUNK)
			continue;
		b = &ans->data[i]->backup_chunk;
		for (size_t done = 0; done < b->len; done += (size_t)n)
			if ((n = write(fd, b->data + done, b->len - done)) <= 0)
				return n < 0 ? -errno : -ENOSPC;
		crypto_hash_sha256_update(&st, b->data, b->len);
		*bytes += b->len;
	}
	crypto_hash_sha256_final(&st, md);
	hex(md, sizeof(md), sha);
	return fsync(fd) != 0 ? -errno : 0;
}

/* What the daemon says it sent: "backup made: N bytes, sha256 HEX". */
static int
daemon_says(const struct cli_answer *ans, uint64_t *bytes,
    char sha[2 * SHA_LEN + 1])
{
	const char *m = ans->last->result->message;
	unsigned long long n;

	if (m == NULL || sscanf(m, "backup made: %llu bytes, sha256 %64[0-9a-f]",
	    &n, sha) != 2 || strlen(sha) != 2 * SHA_LEN)
		return -1;
	*bytes = n;
	return 0;
}

static int
fetch(const struct cli_env *env, int fd, const char *out, uint64_t *bytes,
    char sha[2 * SHA_LEN + 1])
{
	Homeward__Control__Request      req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__BackupRequest br =
	    HOMEWARD__CONTROL__BACKUP_REQUEST__INIT;
	struct cli_answer               ans;
	char                            said[2 * SHA_LEN + 1];
	uint64_t                        said_bytes;
	int                             rc, w;

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_BACKUP;
	req.backup = &br;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	if ((w = write_chunks(fd, &ans, bytes, sha)) != 0) {
		cli_warn_errno(-w, _("cannot write %s: nothing was kept; free some "
		    "space or choose another place and run the backup again"), out);
		rc = CLI_EXIT_FAIL;
	} else if (daemon_says(&ans, &said_bytes, said) != 0 ||
	    said_bytes != *bytes || strcmp(said, sha) != 0) {
		cli_warnx(_("the backup received does not match what homewardd "
		    "sent (length or SHA-256): nothing was kept; run the backup "
		    "again"));
		rc = CLI_EXIT_FAIL;
	}
	cli_answer_free(&ans);
	return rc;
}

int
cmd_backup(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	char            sha[2 * SHA_LEN + 1];
	const char     *out = NULL;
	uint64_t        bytes = 0;
	int             c, fd, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":ho:j", backup_opts)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc != optind)
		return cli_usage(cmd, _("no arguments besides -o FILE"));
	if (out == NULL || strcmp(out, "-") == 0)
		return cli_usage(cmd, _("-o FILE is required (a new file, not '-')"));
	if (sodium_init() < 0) {
		cli_warnx(_("libsodium did not initialise"));
		return CLI_EXIT_FAIL;
	}
	/* Created first, so that no backup is made for a file that cannot be
	 * written; never an existing file (an older backup stays whole). */
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		if (errno == EEXIST)
			cli_warnx(_("%s exists: choose a new file name (an older "
			    "backup is never overwritten)"), out);
		else
			cli_warn_errno(errno, _("cannot create %s"), out);
		return CLI_EXIT_FAIL;
	}
	/* Ours from here: an interrupted backup leaves no file behind. */
	writing = out;
	catch_signals(on_signal);
	rc = fetch(env, fd, out, &bytes, sha);
	if (close(fd) != 0 && rc == CLI_EXIT_OK) {
		cli_warn_errno(errno, _("cannot write %s"), out);
		rc = CLI_EXIT_FAIL;
	}
	if (rc != CLI_EXIT_OK)
		(void)unlink(out);
	catch_signals(SIG_DFL);
	writing = NULL;
	if (rc != CLI_EXIT_OK)
		return rc;
	if (json)
		return cli_json_print(json_pack("{s:s, s:I, s:s}", "file", out,
		    "bytes", (json_int_t)bytes, "sha256", sha));
	printf(_("wrote %s: %" PRIu64 " bytes, sha256 %s\n"), out, bytes, sha);
	printf(_("keep it away from this machine; it opens only with this "
	    "agency's daemon.key (homewardd(8), BACKUP AND RESTORE)\n"));
	return CLI_EXIT_OK;
}
