/*
 * homeward-keys rotate-prekeys: keep --ahead N (default 4) usable prekeys
 * a week apart (crypto-env1.md 3.3: a partner with a stale bundle still
 * holds a valid one), and delete the secrets of prekeys past retain_until,
 * which is what bounds the forward-secrecy window.  New prekeys are signed
 * by the DSK in daemon.key and wrapped under its KSK; prekeys signed by a
 * revoked DSK no longer count (senders refuse them) but their secrets are
 * kept until retain_until for messages already in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"

#define ROTATE_AHEAD_DEFAULT    4
#define ROTATE_AHEAD_MAX        16      /* bundles cap prekeys at 64 */

enum { O_DIR, O_AHEAD, O_PASS_FILE, O_PASS_FD, O_JSON };

static const struct opts_def rotate_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "ahead", 0, 1, O_AHEAD },
	{ "passphrase-file", 0, 1, O_PASS_FILE },
	{ "passphrase-fd", 0, 1, O_PASS_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

/* The daemon's DSK may sign prekeys: in agency.pub, PREKEY usage, valid
 * now, not revoked. */
static int
check_signer(const struct agencydir *d, const struct env1_identity *id, uint64_t now)
{
	const struct peerkeys *k = &d->pub.keys;
	int listed = 0;

	for (size_t i = 0; i < k->ncerts; i++)
		listed |= stmt_cert_equal(&k->certs[i], &id->cert);
	if (!listed) {
		tool_warnx("the certificate in daemon.key is not in %s/%s", d->dir,
		    AGENCYDIR_PUB);
		return -1;
	}
	if (peerkeys_is_revoked(k, id->dsk_pub, STMT_REVOKE_DSK)) {
		tool_warnx("the daemon's DSK is revoked: run 'homeward-keys certify'");
		return -1;
	}
	if ((id->cert.usage & STMT_USAGE_PREKEY) == 0 ||
	    !stmt_cert_valid_at(&id->cert, now)) {
		tool_warnx("the daemon's DSK certificate may not sign prekeys now: "
		    "run 'homeward-keys certify'");
		return -1;
	}
	return 0;
}

int
cmd_rotate_prekeys(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct passphrase_src src;
	struct keyfile_contents kc;
	struct env1_identity id;
	struct env1_prekey *pks = NULL;
	struct agencydir d;
	struct opts o;
	char path[PATH_MAX], sid[17], t[2][TOOL_TIME_BUFLEN];
	const char *dir = NULL;
	char *pass = NULL;
	size_t passlen = 0, npks = 0, usable = 0;
	uint64_t ahead = ROTATE_AHEAD_DEFAULT, now, last_nb = 0, spk_id;
	int c, json = 0, changed = 0, rc = TOOL_EXIT_FAIL;
	json_t *deleted = json_array(), *added = json_array();

	memset(&d, 0, sizeof(d));
	memset(&kc, 0, sizeof(kc));
	memset(&id, 0, sizeof(id));
	passphrase_src_init(&src);
	if (opts_init(&o, cmd, rotate_opts, argc, argv) != 0)
		goto out;
	while ((c = opts_next(&o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: dir = o.arg; break;
		case O_AHEAD:
			if (opts_number(o.arg, 1, ROTATE_AHEAD_MAX, &ahead) != 0) {
				rc = opts_usage(cmd, "--ahead: 1 to %d", ROTATE_AHEAD_MAX);
				goto out;
			}
			break;
		case O_PASS_FILE:
		case O_PASS_FD:
			if ((c == O_PASS_FILE ? passphrase_src_file(&src, o.arg) :
			    passphrase_src_fd(&src, o.arg)) != 0) {
				rc = opts_usage(cmd, "bad passphrase source");
				goto out;
			}
			break;
		case O_JSON: json = 1; break;
		case OPTS_HELP: rc = opts_help(cmd); goto out;
		default: rc = TOOL_EXIT_USAGE; goto out;
		}
	}
	if (dir == NULL || o.npos > 0) {
		rc = opts_usage(cmd, "--dir is required");
		goto out;
	}
	tool_set_quiet(json);
	now = tool_now();
	if (agencydir_load(dir, 1, &d) != 0 ||
	    agencydir_path(dir, AGENCYDIR_DAEMON_KEY, path) != 0 ||
	    passphrase_get(&src, "daemon key file", 0, &pass, &passlen) != 0 ||
	    agencydir_open_key(path, KEYFILE_DAEMON, pass, passlen, &kc, NULL) != 0 ||
	    agencydir_identity(&d, &kc, &id) != 0 || check_signer(&d, &id, now) != 0)
		goto out;
	/* Every stored secret must open with this KSK before anything changes. */
	if (kc.ksk == NULL || agencydir_unwrap_prekeys(&d, kc.ksk, &pks, &npks) != 0)
		goto out;
	agencydir_prekeys_free(pks, npks);

	for (size_t i = d.spks.n; i-- > 0; ) {
		const struct stmt_spk *s = &d.spks.e[i].stmt;

		if (now <= s->retain_until)
			continue;
		spkfile_id_format(s->spk_id, sid);
		tool_time(s->retain_until, t[0]);
		json_array_append_new(deleted, json_string(sid));
		if (!json)
			printf("deleted prekey %s: retained until %s\n", sid, t[0]);
		spkfile_remove(&d.spks, i);
		changed = 1;
	}
	for (size_t i = 0; i < d.spks.n; i++) {
		const struct stmt_spk *s = &d.spks.e[i].stmt;

		if (!agencydir_prekey_publishable(&d, s, now))
			continue;
		usable++;
		if (s->not_before > last_nb)
			last_nb = s->not_before;
	}
	while (usable < ahead) {
		uint64_t nb = last_nb == 0 || last_nb + AGENCYDIR_PREKEY_PERIOD < now ?
		    now : last_nb + AGENCYDIR_PREKEY_PERIOD;

		if (agencydir_add_prekey(&d.spks, &id, kc.ksk, nb, &spk_id) != 0)
			goto out;
		spkfile_id_format(spk_id, sid);
		tool_time(nb, t[0]);
		tool_time(nb + AGENCYDIR_PREKEY_LIFE, t[1]);
		json_array_append_new(added, json_string(sid));
		if (!json)
			printf("added prekey %s: %s .. %s\n", sid, t[0], t[1]);
		last_nb = nb;
		usable++;
		changed = 1;
	}
	if (changed && agencydir_save_prekeys(&d) != 0)
		goto out;
	if (json) {
		rc = tool_json_print(json_pack("{s:O, s:O, s:i, s:i}", "deleted",
		    deleted, "added", added, "usable", (int)usable,
		    "stored", (int)d.spks.n));
		goto out;
	}
	printf("%zu usable prekey(s), %zu stored in %s/%s\n", usable, d.spks.n, dir,
	    AGENCYDIR_PREKEYS);
	if (json_array_size(added) > 0)
		printf("export the bundle again and send it to partners\n");
	rc = TOOL_EXIT_OK;
out:
	json_decref(deleted);
	json_decref(added);
	agencydir_identity_free(&id);
	keyfile_contents_free(&kc);
	secret_free(pass);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}
