/*
 * homeward peers: the partner agencies.  Import is where trust is made: the
 * bundle is checked here, its fingerprint shown, and the operator must
 * confirm the fingerprint the partner read out over another channel before
 * the daemon is asked to pin it (and the daemon checks it again).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/fileio.h"
#include "common/i18n.h"
#include "keys/bundle.h"
#include "keys/fingerprint.h"

static const struct option list_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option import_opts[] = {
	{ "fingerprint", required_argument, NULL, 'f' },
	{ "endpoint", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define PROMPT_MAX      256

/* --- views of a peer --- */

/* The columns of peers list, padded by their width on a terminal. */
static void
list_heading(void)
{
	const char *h[] = { _("AGENCY"), _("COUNTRY"), _("STATE"),
	    _("VERIFIED"), _("PREKEYS"), _("UNACKED"), _("LAST SEEN"),
	    _("DUTY CONTACT") };

	printf("%-*s %-*s %-*s %-*s %*s %*s  %-*s  %s\n", cli_colw(20, h[0]),
	    h[0], cli_colw(7, h[1]), h[1], cli_colw(12, h[2]), h[2],
	    cli_colw(8, h[3]), h[3], cli_colw(7, h[4]), h[4], cli_colw(7, h[5]),
	    h[5], cli_colw(24, h[6]), h[6], h[7]);
}

static const char *
peer_state(const Homeward__Control__PeerInfo *p)
{
	if (p->suspended)
		return _("suspended");
	return p->connected ? _("connected") : _("disconnected");
}

json_t *
cli_peer_json(const Homeward__Control__PeerInfo *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:b, "
	    "s:o, s:o, s:I, s:I, s:o, s:o, s:o}",
	    "agency_id", p->agency_id,
	    "name", p->name,
	    "country", p->country,
	    "time_zone", p->time_zone,
	    "endpoint", p->endpoint,
	    "duty_contact", p->duty_contact,
	    "fingerprint", p->fingerprint,
	    "rik", cli_json_hex(p->rik),
	    "verified", (int)p->verified,
	    "suspended", (int)p->suspended,
	    "connected", (int)p->connected,
	    "imported_at", cli_json_time(p->imported_at),
	    "last_seen_at", cli_json_time(p->last_seen_at),
	    "outbox_unacked", (json_int_t)p->outbox_unacked,
	    "valid_prekeys", (json_int_t)p->valid_prekeys,
	    "unreachable_since", cli_json_time(p->unreachable_since),
	    "dsk_not_after", cli_json_time(p->dsk_not_after),
	    "prekey_not_after", cli_json_time(p->prekey_not_after));
}

void
cli_peer_print(const Homeward__Control__PeerInfo *p)
{
	char t[CLI_TIME_BUFLEN];

	cli_kv(_("agency"), "%s", p->agency_id);
	cli_kv(_("name"), "%s", p->name);
	cli_kv(_("country"), "%s", p->country);
	cli_kv(_("time zone"), "%s", p->time_zone);
	cli_kv(_("endpoint"), "%s", p->endpoint[0] != '\0' ? p->endpoint :
	    _("none (it connects to us)"));
	cli_kv(_("duty contact"), "%s", p->duty_contact[0] != '\0' ? p->duty_contact :
	    _("none (ask the partner to add one: homeward-keys contact)"));
	cli_kv(_("fingerprint"), "%s%s", p->fingerprint,
	    p->verified ? _(" (verified)") : _(" (NOT verified)"));
	cli_kv(_("state"), "%s", peer_state(p));
	cli_kv(_("prekeys"), _("%u usable"), p->valid_prekeys);
	cli_kv(_("unacked"), "%llu", (unsigned long long)p->outbox_unacked);
	cli_time(p->imported_at, t);
	cli_kv(_("imported"), "%s", p->imported_at != 0 ? t : "-");
	cli_time(p->last_seen_at, t);
	cli_kv(_("last seen"), "%s", p->last_seen_at != 0 ? t : _("never"));
	if (p->unreachable_since != 0) {
		cli_time(p->unreachable_since, t);
		cli_kv(_("unreachable"), _("since %s"), t);
	}
	cli_time(p->dsk_not_after, t);
	cli_kv(_("signing cert"), "%s", p->dsk_not_after != 0 ? t :
	    _("none valid (nothing it sends verifies)"));
}

/* --- peers list --- */

static int
list_output(const struct cli_answer *ans, int json)
{
	char t[CLI_TIME_BUFLEN];
	json_t *arr;
	size_t shown = 0;

	if (json) {
		if ((arr = json_array()) == NULL)
			return cli_json_print(NULL);
		for (size_t i = 0; i < ans->n; i++)
			if (ans->data[i]->kind_case ==
			    HOMEWARD__CONTROL__RESPONSE__KIND_PEER)
				json_array_append_new(arr,
				    cli_peer_json(ans->data[i]->peer));
		return cli_json_print(json_pack("{s:o}", "peers", arr));
	}
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__PeerInfo *p;

		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_PEER)
			continue;
		p = ans->data[i]->peer;
		if (shown++ == 0)
			list_heading();
		cli_time(p->last_seen_at, t);
		printf("%-20s %-7s %-*s %-8s %7u %7llu  %-24s  %s\n",
		    p->agency_id, p->country, cli_colw(12, peer_state(p)),
		    peer_state(p),
		    p->verified ? _("yes") : _("NO"), p->valid_prekeys,
		    (unsigned long long)p->outbox_unacked,
		    p->last_seen_at != 0 ? t : _("never"),
		    p->duty_contact[0] != '\0' ? p->duty_contact : "-");
	}
	if (shown == 0)
		printf(_("no peers (import one with 'homeward peers import FILE')\n"));
	return CLI_EXIT_OK;
}

int
cmd_peers_list(const struct cli_cmd *cmd, const struct cli_env *env, int argc,
    char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__PeersList pl = HOMEWARD__CONTROL__PEERS_LIST__INIT;
	struct cli_answer ans;
	int c, json = 0, rc;

	while ((c = cli_getopt(cmd, argc, argv, ":hj", list_opts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("no arguments expected"));
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEERS_LIST;
	req.peers_list = &pl;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	rc = list_output(&ans, json);
	cli_answer_free(&ans);
	return rc;
}

/* --- peers import --- */

static json_t *
bundle_json(const struct bundle *b, const char *fp, const char *endpoint)
{
	ProtobufCBinaryData rik = { ENV1_KEY_LEN, (uint8_t *)b->info.rik };

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
	    "agency_id", b->info.agency_id,
	    "name", b->info.name,
	    "country", b->info.country,
	    "time_zone", b->info.time_zone,
	    "endpoint", endpoint,
	    "duty_contact", b->info.duty_contact,
	    "fingerprint", fp,
	    "rik", cli_json_hex(rik));
}

static void
bundle_print(FILE *f, const char *path, const struct bundle *b, const char *fp,
    const char *endpoint)
{
	fprintf(f, _("%-16s %s (all signatures verify)\n"), "bundle", path);
	fprintf(f, "%-16s %s\n", _("agency"), b->info.agency_id);
	fprintf(f, "%-16s %s\n", _("name"), b->info.name);
	fprintf(f, "%-16s %s\n", _("country"), b->info.country);
	fprintf(f, "%-16s %s\n", _("time zone"), b->info.time_zone);
	fprintf(f, "%-16s %s%s\n", _("endpoint"), endpoint[0] != '\0' ?
	    endpoint : _("none (it connects to us)"),
	    strcmp(endpoint, b->info.endpoint) != 0 ? " (given with --endpoint)" : "");
	fprintf(f, "%-16s %s\n", _("duty contact"),
	    b->info.duty_contact[0] != '\0' ? b->info.duty_contact : _("none"));
	fprintf(f, "%-16s %s\n", _("fingerprint"), fp);
}

/*
 * Ask on the terminal, not stdin: the confirmation must come from the
 * person at the keyboard, even when the output is piped.  0 when the
 * operator confirmed fp, -1 (reported) otherwise.
 */
static int
confirm_on_tty(const char *path, const struct bundle *b, const char *fp,
    const char *endpoint, int show)
{
	char line[PROMPT_MAX], typed[FP_DISPLAY_BUFLEN];
	FILE *tty;
	int fd, rc = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    (tty = fdopen(fd, "r+")) == NULL) {
		if (fd >= 0)
			close(fd);
		cli_warnx(_("no terminal to confirm the fingerprint on: give "
		    "--fingerprint \"NNNNN ...\" as the partner agency read it out"));
		return -1;
	}
	if (show)
		bundle_print(tty, path, b, fp, endpoint);
	fprintf(tty, _("\nAsk %s to read you their fingerprint (by phone or in person,\n"
	    "not by the channel the bundle came through).  Type it here, or type\n"
	    "yes if it matches the fingerprint above: "), b->info.agency_id);
	fflush(tty);
	if (fgets(line, sizeof(line), tty) == NULL) {
		cli_warnx(_("import cancelled"));
		goto out;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "yes") == 0) {
		rc = 0;
		goto out;
	}
	if (line[0] == '\0' || strcmp(line, "no") == 0) {
		cli_warnx(_("import cancelled"));
		goto out;
	}
	if (cli_parse_fingerprint(line, typed, sizeof(typed)) != 0) {
		cli_warnx(_("that is not a fingerprint (40 digits): import cancelled"));
		goto out;
	}
	if (strcmp(typed, fp) != 0) {
		cli_warnx(_("FINGERPRINT MISMATCH: the bundle is not the one %s "
		    "exported, or was altered: do not import it"), b->info.agency_id);
		goto out;
	}
	rc = 0;
out:
	fclose(tty);
	return rc;
}

/* The bundle file at path, read and checked: its bytes (sent to the daemon
 * as they are) and what they say.  0, or -1 (reported). */
static int
read_bundle(const char *path, uint8_t **buf, size_t *len, struct bundle *b)
{
	char why[BUNDLE_WHY_LEN];
	int r;

	if ((r = fileio_read(path, BUNDLE_MAX_LEN, 0, buf, len)) != 0) {
		if (r == -EFBIG)
			cli_warnx(_("%s: larger than any bundle (%d bytes)"), path,
			    BUNDLE_MAX_LEN);
		else
			cli_warn_errno(-r, _("cannot read %s"), path);
		return -1;
	}
	if ((r = bundle_parse(*buf, *len, b, why)) != ENV1_OK) {
		cli_warnx(_("%s: bundle refused: %s"), path,
		    why[0] != '\0' ? why : env1_reason_text(r));
		free(*buf);
		*buf = NULL;
		*len = 0;
		return -1;
	}
	return 0;
}

/* The fingerprint given with --fingerprint (given, else NULL) or the one
 * the operator confirms on the terminal is the bundle's: 0, or -1
 * (reported). */
static int
fingerprint_confirmed(const char *path, const struct bundle *b, const char *fp,
    const char *given, const char *endpoint, int json)
{
	if (given == NULL)
		return confirm_on_tty(path, b, fp, endpoint, json);
	if (strcmp(given, fp) != 0) {
		cli_warnx(_("FINGERPRINT MISMATCH: --fingerprint is not this "
		    "bundle's: do not import it"));
		return -1;
	}
	return 0;
}

static int
import_output(const struct cli_answer *ans, const struct bundle *b,
    const char *fp, const char *endpoint, int json)
{
	const Homeward__Control__Response *r;
	json_t *j;

	r = cli_answer_find(ans, HOMEWARD__CONTROL__RESPONSE__KIND_PEER);
	if (json) {
		j = json_pack("{s:o, s:o}", "bundle", bundle_json(b, fp, endpoint),
		    "peer", r != NULL ? cli_peer_json(r->peer) : json_null());
		return cli_json_print(j);
	}
	printf(_("imported %s, fingerprint confirmed\n"), b->info.agency_id);
	if (r != NULL) {
		printf("\n");
		cli_peer_print(r->peer);
	}
	return CLI_EXIT_OK;
}

int
cmd_peers_import(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__PeerImport pi = HOMEWARD__CONTROL__PEER_IMPORT__INIT;
	struct cli_answer ans;
	struct bundle b;
	char fp[FP_DISPLAY_BUFLEN], given[FP_DISPLAY_BUFLEN];
	const char *path, *gfp = NULL, *endpoint = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int c, json = 0, rc = CLI_EXIT_FAIL;

	memset(&b, 0, sizeof(b));
	while ((c = cli_getopt(cmd, argc, argv, ":hj", import_opts)) != -1) {
		switch (c) {
		case 'f': gfp = optarg; break;
		case 'e': endpoint = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one bundle file"));
	path = argv[optind];
	if (gfp != NULL && cli_parse_fingerprint(gfp, given, sizeof(given)) != 0)
		return cli_usage(cmd, _("a fingerprint is 40 digits"));
	if (endpoint != NULL && (endpoint[0] == '\0' || strchr(endpoint, ':') == NULL))
		return cli_usage(cmd, _("--endpoint is HOST:PORT"));

	if (read_bundle(path, &buf, &len, &b) != 0)
		goto out;
	fp_display(b.info.rik, fp);
	if (endpoint == NULL)
		endpoint = b.info.endpoint;
	if (!json)
		bundle_print(stdout, path, &b, fp, endpoint);
	fflush(stdout);
	if (fingerprint_confirmed(path, &b, fp, gfp != NULL ? given : NULL,
	    endpoint, json) != 0)
		goto out;

	pi.bundle.data = buf;
	pi.bundle.len = len;
	pi.fingerprint = fp;
	pi.endpoint = endpoint == b.info.endpoint ? "" : (char *)endpoint;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEER_IMPORT;
	req.peer_import = &pi;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		goto out;
	if (!json)
		printf("\n");
	rc = import_output(&ans, &b, fp, endpoint, json);
	cli_answer_free(&ans);
out:
	bundle_free(&b);
	free(buf);
	return rc;
}

/* --- verify, suspend, resume, remove --- */

static const struct {
	const char                              *name;
	Homeward__Control__PeerAction__Action    action;
	const char                              *done;
} actions[] = {
	/* TRANSLATORS: printed after the agency id ("sn-dakar verified"). */
	{ "verify", HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_VERIFY, N_("verified") },
	{ "suspend", HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_SUSPEND, N_("suspended") },
	{ "resume", HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_RESUME, N_("resumed") },
	{ "remove", HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_REMOVE, N_("removed") },
};

int
cmd_peers_action(const struct cli_cmd *cmd, const struct cli_env *env,
    int argc, char **argv)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__PeerAction pa = HOMEWARD__CONTROL__PEER_ACTION__INIT;
	const Homeward__Control__Response *r;
	struct cli_answer ans;
	char given[FP_DISPLAY_BUFLEN];
	const char *agency, *gfp = NULL;
	size_t a;
	int c, json = 0, rc;

	for (a = 0; strcmp(actions[a].name, cmd->sub) != 0; a++)
		if (a + 1 == sizeof(actions) / sizeof(actions[0]))
			return cli_usage(cmd, _("no such action"));
	while ((c = cli_getopt(cmd, argc, argv, ":hj", import_opts)) != -1) {
		switch (c) {
		case 'f': gfp = optarg; break;
		case 'j': json = 1; break;
		case CLI_OPT_HELP: return cli_help(cmd);
		case 'e': return cli_usage(cmd, _("--endpoint is for import only"));
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, _("give one agency id"));
	agency = argv[optind];
	if (cli_check_agency(agency) != 0)
		return cli_usage(cmd, _("an agency id is 1-63 of a-z, 0-9 and '-'"));
	if (actions[a].action == HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_VERIFY) {
		if (gfp == NULL)
			return cli_usage(cmd, _("--fingerprint is required"));
		if (cli_parse_fingerprint(gfp, given, sizeof(given)) != 0)
			return cli_usage(cmd, _("a fingerprint is 40 digits"));
		pa.fingerprint = given;
	} else if (gfp != NULL) {
		return cli_usage(cmd, _("--fingerprint is for verify only"));
	}

	pa.agency_id = (char *)agency;
	pa.action = actions[a].action;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEER_ACTION;
	req.peer_action = &pa;
	if ((rc = cli_call(env, &req, &ans)) != CLI_EXIT_OK)
		return rc;
	r = cli_answer_find(&ans, HOMEWARD__CONTROL__RESPONSE__KIND_PEER);
	if (json) {
		rc = cli_json_print(json_pack("{s:s, s:s, s:o}", "agency_id", agency,
		    "action", actions[a].name,
		    "peer", r != NULL ? cli_peer_json(r->peer) : json_null()));
	} else {
		printf("%s %s\n", agency, _(actions[a].done));
		if (r != NULL) {
			printf("\n");
			cli_peer_print(r->peer);
		}
	}
	cli_answer_free(&ans);
	return rc;
}
