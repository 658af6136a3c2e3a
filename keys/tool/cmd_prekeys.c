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

#include "common/i18n.h"
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
		tool_warnx(_("the certificate in daemon.key is not in %s/%s"), d->dir,
		    AGENCYDIR_PUB);
		return -1;
	}
	if (peerkeys_is_revoked(k, id->dsk_pub, STMT_REVOKE_DSK)) {
		tool_warnx(_("the daemon's DSK is revoked: run 'homeward-keys certify'"));
		return -1;
	}
	if ((id->cert.usage & STMT_USAGE_PREKEY) == 0 ||
	    !stmt_cert_valid_at(&id->cert, now)) {
		tool_warnx(_("the daemon's DSK certificate may not sign prekeys now: "
		    "run 'homeward-keys certify'"));
		return -1;
	}
	return 0;
}

/* What the options ask for. */
struct rotate_args {
	const char             *dir;
	uint64_t                ahead;
	struct passphrase_src   src;
	int                     json;
};

/* What one rotation did, as it goes (printed at once unless json). */
struct rotation {
	json_t         *deleted, *added;        /* prekey ids */
	size_t          usable;
	int             changed;
	int             json;
};

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
rotate_parse(const struct tool_cmd *cmd, struct opts *o, struct rotate_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->ahead = ROTATE_AHEAD_DEFAULT;
	passphrase_src_init(&a->src);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: a->dir = o->arg; break;
		case O_AHEAD:
			if (opts_number(o->arg, 1, ROTATE_AHEAD_MAX, &a->ahead) != 0)
				return opts_usage(cmd, _("--ahead: 1 to %d"),
				    ROTATE_AHEAD_MAX);
			break;
		case O_PASS_FILE:
		case O_PASS_FD:
			if ((c == O_PASS_FILE ? passphrase_src_file(&a->src, o->arg) :
			    passphrase_src_fd(&a->src, o->arg)) != 0)
				return opts_usage(cmd, _("bad passphrase source"));
			break;
		case O_JSON: a->json = 1; break;
		case OPTS_HELP: return OPTS_HELP;
		default: return TOOL_EXIT_USAGE;
		}
	}
	if (a->dir == NULL || o->npos > 0)
		return opts_usage(cmd, _("--dir is required"));
	return 0;
}

/* The secrets of prekeys past retain_until go. */
static void
delete_expired(struct agencydir *d, uint64_t now, struct rotation *rot)
{
	char sid[17], t[TOOL_TIME_BUFLEN];

	for (size_t i = d->spks.n; i-- > 0; ) {
		const struct stmt_spk *s = &d->spks.e[i].stmt;

		if (now <= s->retain_until)
			continue;
		spkfile_id_format(s->spk_id, sid);
		tool_time(s->retain_until, t);
		json_array_append_new(rot->deleted, json_string(sid));
		if (!rot->json)
			printf(_("deleted prekey %s: retained until %s\n"), sid, t);
		spkfile_remove(&d->spks, i);
		rot->changed = 1;
	}
}

/* New prekeys a week apart after the last usable one, until ahead are
 * usable; 0, or -1 (reported). */
static int
top_up(struct agencydir *d, const struct env1_identity *id, const uint8_t *ksk,
    uint64_t now, uint64_t ahead, struct rotation *rot)
{
	char sid[17], t[2][TOOL_TIME_BUFLEN];
	uint64_t last_nb = 0, spk_id;

	for (size_t i = 0; i < d->spks.n; i++) {
		const struct stmt_spk *s = &d->spks.e[i].stmt;

		if (!agencydir_prekey_publishable(d, s, now))
			continue;
		rot->usable++;
		if (s->not_before > last_nb)
			last_nb = s->not_before;
	}
	while (rot->usable < ahead) {
		uint64_t nb = last_nb == 0 || last_nb + AGENCYDIR_PREKEY_PERIOD < now ?
		    now : last_nb + AGENCYDIR_PREKEY_PERIOD;

		if (agencydir_add_prekey(&d->spks, id, ksk, nb, &spk_id) != 0)
			return -1;
		spkfile_id_format(spk_id, sid);
		tool_time(nb, t[0]);
		tool_time(nb + AGENCYDIR_PREKEY_LIFE, t[1]);
		json_array_append_new(rot->added, json_string(sid));
		if (!rot->json)
			printf(_("added prekey %s: %s .. %s\n"), sid, t[0], t[1]);
		last_nb = nb;
		rot->usable++;
		rot->changed = 1;
	}
	return 0;
}

static int
rotate_output(const char *dir, const struct agencydir *d,
    const struct rotation *rot)
{
	if (rot->json)
		return tool_json_print(json_pack("{s:O, s:O, s:i, s:i}", "deleted",
		    rot->deleted, "added", rot->added, "usable", (int)rot->usable,
		    "stored", (int)d->spks.n));
	printf(_("%zu usable prekey(s), %zu stored in %s/%s\n"), rot->usable,
	    d->spks.n, dir, AGENCYDIR_PREKEYS);
	if (json_array_size(rot->added) > 0)
		printf(_("export the bundle again and send it to partners\n"));
	return TOOL_EXIT_OK;
}

int
cmd_rotate_prekeys(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct rotate_args a;
	struct rotation rot;
	struct keyfile_contents kc;
	struct env1_identity id;
	struct env1_prekey *pks = NULL;
	struct agencydir d;
	struct opts o;
	char path[PATH_MAX];
	char *pass = NULL;
	size_t passlen = 0, npks = 0;
	uint64_t now;
	int r, rc = TOOL_EXIT_FAIL;

	memset(&rot, 0, sizeof(rot));
	rot.deleted = json_array();
	rot.added = json_array();
	memset(&d, 0, sizeof(d));
	memset(&kc, 0, sizeof(kc));
	memset(&id, 0, sizeof(id));
	if (opts_init(&o, cmd, rotate_opts, argc, argv) != 0)
		goto out;
	if ((r = rotate_parse(cmd, &o, &a)) != 0) {
		rc = r == OPTS_HELP ? opts_help(cmd) : r;
		goto out;
	}
	rot.json = a.json;
	tool_set_quiet(a.json);
	now = tool_now();
	if (agencydir_load(a.dir, 1, &d) != 0 ||
	    agencydir_path(a.dir, AGENCYDIR_DAEMON_KEY, path) != 0 ||
	    passphrase_get(&a.src, "daemon key file", 0, &pass, &passlen) != 0 ||
	    agencydir_open_key(path, KEYFILE_DAEMON, pass, passlen, &kc, NULL) != 0 ||
	    agencydir_identity(&d, &kc, &id) != 0 || check_signer(&d, &id, now) != 0)
		goto out;
	/* Every stored secret must open with this KSK before anything changes. */
	if (kc.ksk == NULL || agencydir_unwrap_prekeys(&d, kc.ksk, &pks, &npks) != 0)
		goto out;
	agencydir_prekeys_free(pks, npks);

	delete_expired(&d, now, &rot);
	if (top_up(&d, &id, kc.ksk, now, a.ahead, &rot) != 0)
		goto out;
	if (rot.changed && agencydir_save_prekeys(&d) != 0)
		goto out;
	rc = rotate_output(a.dir, &d, &rot);
out:
	json_decref(rot.deleted);
	json_decref(rot.added);
	agencydir_identity_free(&id);
	keyfile_contents_free(&kc);
	secret_free(pass);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}
