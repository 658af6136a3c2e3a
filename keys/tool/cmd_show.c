/*
 * homeward-keys fingerprint and export: what an operator reads to a
 * partner over the phone (the 40-digit fingerprint, and the 80-digit
 * safety number both sides read alike), and the signed bundle sent to
 * them (agency.pub plus the prekeys still worth using).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/i18n.h"
#include "keys/fingerprint.h"
#include "keys/agencydir.h"
#include "keys/tool/tool.h"

enum { O_DIR, O_PEER, O_JSON, O_OUT, O_FORCE };

static const struct opts_def fp_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "peer", 0, 1, O_PEER },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

static const struct opts_def export_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "output", 'o', 1, O_OUT },
	{ "force", 0, 0, O_FORCE },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

/* The agency's bundle: from --dir's agency.pub, or from a bundle file. */
static int
load_own(const char *dir, const char *file, struct bundle *out)
{
	struct agencydir d;

	if (file != NULL)
		return agencydir_read_bundle(file, out);
	if (agencydir_load(dir, 0, &d) != 0)
		return -1;
	*out = d.pub;                   /* ownership moves to *out */
	memset(&d.pub, 0, sizeof(d.pub));
	agencydir_free(&d);
	return 0;
}

int
cmd_fingerprint(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct bundle own, peer;
	struct opts o;
	char fp[FP_DISPLAY_BUFLEN], kid[FP_KEYID_BUFLEN], qr[FP_QR_BUFLEN];
	char safety[FP_SAFETY_BUFLEN];
	const char *dir = NULL, *peerfile = NULL, *file = NULL;
	int c, json = 0, rc = TOOL_EXIT_FAIL;
	json_t *j;

	memset(&own, 0, sizeof(own));
	memset(&peer, 0, sizeof(peer));
	if (opts_init(&o, cmd, fp_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	while ((c = opts_next(&o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: dir = o.arg; break;
		case O_PEER: peerfile = o.arg; break;
		case O_JSON: json = 1; break;
		case OPTS_HELP: rc = opts_help(cmd); goto out;
		default: rc = TOOL_EXIT_USAGE; goto out;
		}
	}
	if (o.npos > 1 || (o.npos == 1) == (dir != NULL)) {
		rc = opts_usage(cmd, _("give --dir DIR or one bundle file"));
		goto out;
	}
	file = o.npos == 1 ? o.pos[0] : NULL;
	if (load_own(dir, file, &own) != 0)
		goto out;
	if (peerfile != NULL && agencydir_read_bundle(peerfile, &peer) != 0)
		goto out;

	fp_display(own.keys.rik, fp);
	fp_key_id(own.keys.rik, kid);
	fp_qr(own.keys.rik, qr);
	if (peerfile != NULL)
		fp_safety_number(own.keys.rik, peer.keys.rik, safety);
	if (json) {
		j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "agency_id",
		    own.info.agency_id, "fingerprint", fp, "key_id", kid, "qr", qr,
		    "rik", tool_json_hex(own.keys.rik, ENV1_KEY_LEN));
		if (j != NULL && peerfile != NULL)
			json_object_set_new(j, "peer", json_pack("{s:s, s:s}",
			    "agency_id", peer.info.agency_id, "safety_number", safety));
		rc = tool_json_print(j);
		goto out;
	}
	printf(_("agency         %s (%s, %s)\n"), own.info.agency_id, own.info.name,
	    own.info.country);
	printf(_("fingerprint    %s\n"), fp);
	printf(_("key id         %s\n"), kid);
	printf(_("qr             %s\n"), qr);
	if (peerfile != NULL)
		printf(_("safety number  %s\n               (with %s; both sides read "
		    "the same number)\n"), safety, peer.info.agency_id);
	rc = TOOL_EXIT_OK;
out:
	bundle_free(&own);
	bundle_free(&peer);
	opts_free(&o);
	return rc;
}

int
cmd_export(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct agencydir d;
	struct bundle check;
	struct opts o;
	char why[BUNDLE_WHY_LEN];
	const char *dir = NULL, *outpath = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int c, r, force = 0, json = 0, rc = TOOL_EXIT_FAIL;

	memset(&d, 0, sizeof(d));
	memset(&check, 0, sizeof(check));
	if (opts_init(&o, cmd, export_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	while ((c = opts_next(&o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: dir = o.arg; break;
		case O_OUT: outpath = o.arg; break;
		case O_FORCE: force = 1; break;
		case O_JSON: json = 1; break;
		case OPTS_HELP: rc = opts_help(cmd); goto out;
		default: rc = TOOL_EXIT_USAGE; goto out;
		}
	}
	if (dir == NULL || outpath == NULL || o.npos > 0) {
		rc = opts_usage(cmd, _("--dir and -o are required"));
		goto out;
	}
	if (agencydir_load(dir, 1, &d) != 0 ||
	    agencydir_export(&d, tool_now(), &buf, &len) != 0)
		goto out;
	if ((r = fileio_write_atomic(outpath, buf, len, 0644, force)) != 0) {
		if (r == -EEXIST)
			tool_warnx(_("%s exists: use --force to replace it"), outpath);
		else
			tool_warn_errno(-r, _("cannot write %s"), outpath);
		goto out;
	}
	if (bundle_parse(buf, len, &check, why) != ENV1_OK) {
		tool_warnx("%s: %s", outpath, why);     /* agencydir_export checked it */
		goto out;
	}
	if (json) {
		rc = tool_json_print(json_pack("{s:s, s:s, s:i, s:i, s:i}", "file",
		    outpath, "agency_id", check.info.agency_id,
		    "certificates", (int)check.keys.ncerts,
		    "prekeys", (int)check.keys.nprekeys,
		    "revocations", (int)check.keys.nrevocations));
		goto out;
	}
	tool_info(_("wrote %s: agency %s, %zu certificate(s), %zu prekey(s), "
		    "%zu revocation(s)"), outpath, check.info.agency_id,
		    check.keys.ncerts, check.keys.nprekeys, check.keys.nrevocations);
	if (check.keys.nprekeys == 0)
		tool_info(_("warning: no usable prekey: partners cannot send to this "
		    "agency (run rotate-prekeys)"));
	rc = TOOL_EXIT_OK;
out:
	free(buf);
	bundle_free(&check);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}
