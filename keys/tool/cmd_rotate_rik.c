/*
 * homeward-keys rotate-rik: hand the agency's identity to a new root key
 * (PROTOCOL.md 4.4).  Offline, with the old RIK and the daemon key: a new
 * RIK is made, the 217-byte transition old -> new is signed by both, the
 * daemon's DSK is certified again under the new RIK, its prekeys are
 * signed again as the new RIK's (same ids, same secrets: what partners
 * sealed to the old identity still opens), and agency.pub is rewritten
 * under the new RIK carrying the transition, which is what lets partners
 * follow without importing anything.  The old rik.key is kept aside
 * (renamed, 0600): it signed the transition and is the only proof of it.
 *
 * Order of the writes: the old key aside, the new key, agency.pub,
 * prekeys.dat, daemon.key.  Every input is checked and every output
 * built and parsed before the first write, so a refusal leaves the
 * directory untouched; an I/O failure midway is reported with the step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "keys/agencydir.h"
#include "keys/fingerprint.h"
#include "keys/passphrase.h"
#include "keys/secret.h"
#include "keys/tool/tool.h"

#define ROTATE_DAYS_DEFAULT     395
#define ROTATE_DAYS_MAX         800

enum { O_DIR, O_RIK_KEY, O_NEW_RIK_KEY, O_DAYS, O_RIK_FILE, O_RIK_FD,
	O_NEW_FILE, O_NEW_FD, O_PASS_FILE, O_PASS_FD, O_JSON };

static const struct opts_def rotate_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "rik-key", 0, 1, O_RIK_KEY },
	{ "new-rik-key", 0, 1, O_NEW_RIK_KEY },
	{ "days", 0, 1, O_DAYS },
	{ "rik-passphrase-file", 0, 1, O_RIK_FILE },
	{ "rik-passphrase-fd", 0, 1, O_RIK_FD },
	{ "new-rik-passphrase-file", 0, 1, O_NEW_FILE },
	{ "new-rik-passphrase-fd", 0, 1, O_NEW_FD },
	{ "passphrase-file", 0, 1, O_PASS_FILE },
	{ "passphrase-fd", 0, 1, O_PASS_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

struct rotate_args {
	const char             *dir;
	char                    old_key[PATH_MAX];
	char                    new_key[PATH_MAX];
	uint64_t                days;
	struct passphrase_src   rik_src, new_src, src;
	int                     json;
};

/* What is made before anything is written; every pointer owned here. */
struct rotation {
	struct agencydir        d;
	struct keyfile_contents kc;             /* daemon.key */
	struct keyfile_params   params;
	char                   *pass, *rik_pass, *new_pass;
	size_t                  passlen, rik_passlen, new_passlen;
	uint8_t                *old_sk, *new_seed, *new_sk, *dsk_sk;
	uint8_t                 new_pk[ENV1_KEY_LEN];
	struct stmt_transition  tr;
	struct stmt_dsk_cert    cert;
	uint8_t                *pub;            /* the new agency.pub */
	size_t                  publen;
	char                    aside[PATH_MAX];
	unsigned                dropped;        /* prekeys of an older DSK */
};

static int
pass_opt(int c, const char *arg, struct rotate_args *a)
{
	switch (c) {
	case O_RIK_FILE: return passphrase_src_file(&a->rik_src, arg);
	case O_RIK_FD: return passphrase_src_fd(&a->rik_src, arg);
	case O_NEW_FILE: return passphrase_src_file(&a->new_src, arg);
	case O_NEW_FD: return passphrase_src_fd(&a->new_src, arg);
	case O_PASS_FILE: return passphrase_src_file(&a->src, arg);
	default: return passphrase_src_fd(&a->src, arg);
	}
}

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
rotate_parse(const struct tool_cmd *cmd, struct opts *o, struct rotate_args *a)
{
	const char *old = NULL, *nk = NULL;
	int c;

	memset(a, 0, sizeof(*a));
	a->days = ROTATE_DAYS_DEFAULT;
	passphrase_src_init(&a->rik_src);
	passphrase_src_init(&a->new_src);
	passphrase_src_init(&a->src);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case OPTS_HELP: return OPTS_HELP;
		case OPTS_ERROR: return TOOL_EXIT_USAGE;
		case O_DIR: a->dir = o->arg; break;
		case O_RIK_KEY: old = o->arg; break;
		case O_NEW_RIK_KEY: nk = o->arg; break;
		case O_JSON: a->json = 1; break;
		case O_DAYS:
			if (opts_number(o->arg, 1, ROTATE_DAYS_MAX, &a->days) != 0)
				return opts_usage(cmd, _("--days must be 1 to %d"),
				    ROTATE_DAYS_MAX);
			break;
		default:
			if (pass_opt(c, o->arg, a) != 0)
				return TOOL_EXIT_USAGE;
		}
	}
	if (a->dir == NULL)
		return opts_usage(cmd, _("--dir is required"));
	if (o->npos > 0)
		return opts_usage(cmd, _("unexpected argument %s"), o->pos[0]);
	if (old == NULL && agencydir_path(a->dir, AGENCYDIR_RIK_KEY, a->old_key) != 0)
		return opts_usage(cmd, _("--dir is too long"));
	if (old != NULL)
		snprintf(a->old_key, sizeof(a->old_key), "%s", old);
	snprintf(a->new_key, sizeof(a->new_key), "%s", nk != NULL ? nk : a->old_key);
	return 0;
}

/* The passphrases (the new one asked twice on a prompt), then the keys:
 * daemon.key first, the cheaper Argon2id, then the old RIK. */
static int
open_inputs(const struct rotate_args *a, struct rotation *r)
{
	char path[PATH_MAX];

	if (agencydir_load(a->dir, 1, &r->d) != 0 ||
	    agencydir_path(a->dir, AGENCYDIR_DAEMON_KEY, path) != 0)
		return -1;
	if (passphrase_get(&a->src, "daemon key file", 0, &r->pass, &r->passlen) != 0 ||
	    passphrase_get(&a->rik_src, "RIK key file", 0, &r->rik_pass,
	    &r->rik_passlen) != 0 ||
	    passphrase_get(&a->new_src, "new RIK key file", 1, &r->new_pass,
	    &r->new_passlen) != 0)
		return -1;
	if (agencydir_open_key(path, KEYFILE_DAEMON, r->pass, r->passlen, &r->kc,
	    &r->params) != 0)
		return -1;
	if (!r->kc.has_cert) {
		tool_warnx(_("%s holds no certificate: run 'homeward-keys certify' "
		    "first"), path);
		return -1;
	}
	return agencydir_open_rik(&r->d, a->old_key, r->rik_pass, r->rik_passlen,
	    &r->old_sk);
}

/* The new RIK, the transition and the DSK's certificate under it. */
static int
make_keys(const struct rotate_args *a, struct rotation *r, uint64_t now)
{
	uint8_t dsk_pk[ENV1_KEY_LEN];
	uint64_t serial = 0;

	r->new_seed = secret_alloc(32);
	r->new_sk = secret_alloc(64);
	r->dsk_sk = secret_alloc(64);
	if (r->new_seed == NULL || r->new_sk == NULL || r->dsk_sk == NULL) {
		tool_warnx(_("out of secret memory"));
		return -1;
	}
	randombytes_buf(r->new_seed, 32);
	crypto_sign_seed_keypair(r->new_pk, r->new_sk, r->new_seed);
	crypto_sign_seed_keypair(dsk_pk, r->dsk_sk, r->kc.dsk_seed);
	if (memcmp(dsk_pk, r->kc.cert.dsk_pub, ENV1_KEY_LEN) != 0) {
		tool_warnx(_("daemon.key's signing key does not match its certificate"));
		return -1;
	}
	memcpy(r->tr.old_rik, r->d.pub.keys.rik, ENV1_KEY_LEN);
	memcpy(r->tr.new_rik, r->new_pk, ENV1_KEY_LEN);
	r->tr.effective_at = now;
	for (size_t i = 0; i < r->d.pub.keys.ncerts; i++)
		if (r->d.pub.keys.certs[i].serial > serial)
			serial = r->d.pub.keys.certs[i].serial;
	memcpy(r->cert.issuer_rik, r->new_pk, ENV1_KEY_LEN);
	memcpy(r->cert.dsk_pub, dsk_pk, ENV1_KEY_LEN);
	r->cert.serial = serial + 1;
	/* From the old certificate's start: the prekeys this DSK signed
	 * since then must stay valid under the new one (4.5). */
	r->cert.not_before = r->kc.cert.not_before;
	r->cert.not_after = now + a->days * TOOL_DAY_MS;
	r->cert.usage = STMT_USAGE_MSG | STMT_USAGE_PREKEY;
	if (stmt_transition_sign(&r->tr, r->old_sk, r->new_sk) != ENV1_OK ||
	    stmt_cert_sign(&r->cert, r->new_sk) != ENV1_OK) {
		tool_warnx(_("cannot sign the transition"));
		return -1;
	}
	return 0;
}

/* Every prekey signed again as the new RIK's, by the same DSK; one
 * signed by an older DSK cannot be (that DSK is not certified under the
 * new RIK) and is dropped, secret and all. */
static int
resign_prekeys(struct rotation *r)
{
	struct spkfile *f = &r->d.spks;
	size_t w = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct spkfile_entry *e = &f->e[i];

		if (memcmp(e->stmt.signer_dsk, r->cert.dsk_pub, ENV1_KEY_LEN) != 0) {
			sodium_memzero(e, sizeof(*e));
			r->dropped++;
			continue;
		}
		memcpy(e->stmt.owner_rik, r->new_pk, ENV1_KEY_LEN);
		if (stmt_spk_sign(&e->stmt, r->dsk_sk) != ENV1_OK) {
			tool_warnx(_("cannot sign prekey %016llx"),
			    (unsigned long long)e->stmt.spk_id);
			return -1;
		}
		if (w != i)
			f->e[w] = *e;
		w++;
	}
	f->n = w;
	return 0;
}

/* agency.pub under the new RIK: the same agency info (new rik, issued
 * now), the one certificate, no revocation (those of the old RIK cannot
 * be carried: the bundle's statements must chain to its rik) and the
 * transition.  Checked with the prekeys too, as the daemon will export. */
static int
make_pub(struct rotation *r, uint64_t now)
{
	struct agency_info info = r->d.pub.info;
	struct bundle_parts parts;
	struct bundle check;
	struct stmt_spk *pks = NULL;
	uint8_t *infobuf = NULL, sig[ENV1_SIG_LEN], *full = NULL;
	size_t infolen, fulllen;
	char why[BUNDLE_WHY_LEN] = "";
	int e, rc = -1;

	memcpy(info.rik, r->new_pk, ENV1_KEY_LEN);
	info.issued_at = now > info.issued_at ? now : info.issued_at + 1;
	if (bundle_sign_agency(&info, r->new_sk, &infobuf, &infolen, sig) != ENV1_OK) {
		tool_warnx(_("cannot sign the agency info"));
		return -1;
	}
	memset(&parts, 0, sizeof(parts));
	parts.agency_info = infobuf;
	parts.agency_info_len = infolen;
	parts.agency_sig = sig;
	parts.certs = &r->cert;
	parts.ncerts = 1;
	parts.transitions = &r->tr;
	parts.ntransitions = 1;
	if ((pks = calloc(r->d.spks.n + 1, sizeof(*pks))) == NULL)
		goto out;
	for (size_t i = 0; i < r->d.spks.n; i++)
		pks[i] = r->d.spks.e[i].stmt;
	if ((e = bundle_build(r->new_pk, &parts, &r->pub, &r->publen)) != ENV1_OK ||
	    (e = bundle_parse(r->pub, r->publen, &check, why)) != ENV1_OK)
		goto refused;
	bundle_free(&check);
	parts.prekeys = pks;
	parts.nprekeys = r->d.spks.n;
	if ((e = bundle_build(r->new_pk, &parts, &full, &fulllen)) != ENV1_OK ||
	    (e = bundle_parse(full, fulllen, &check, why)) != ENV1_OK)
		goto refused;
	bundle_free(&check);
	rc = 0;
	goto out;
refused:
	tool_warnx(_("the new bundle would be refused: %s"),
	    why[0] ? why : env1_reason_text(e));
out:
	free(full);
	free(pks);
	free(infobuf);
	return rc;
}

/* The old key moved aside next to where it was, named by its key id. */
static int
put_aside(const struct rotate_args *a, struct rotation *r)
{
	char kid[FP_KEYID_BUFLEN];

	fp_key_id(r->tr.old_rik, kid);
	if ((size_t)snprintf(r->aside, sizeof(r->aside), "%s.retired-%s", a->old_key,
	    kid) >= sizeof(r->aside)) {
		tool_warnx(_("%s: path too long"), a->old_key);
		return -1;
	}
	if (access(r->aside, F_OK) == 0) {
		tool_warnx(_("%s already exists: move it away, then run rotate-rik "
		    "again"), r->aside);
		return -1;
	}
	if (rename(a->old_key, r->aside) != 0 || chmod(r->aside, 0600) != 0) {
		tool_warn_errno(errno, _("cannot move %s aside"), a->old_key);
		return -1;
	}
	return 0;
}

static int
write_outputs(const struct rotate_args *a, struct rotation *r)
{
	struct keyfile_contents rik;
	struct keyfile_params params;
	char path[PATH_MAX];
	int e;

	if (put_aside(a, r) != 0)
		return -1;
	memset(&rik, 0, sizeof(rik));
	rik.kind = KEYFILE_RIK;
	rik.rik_seed = r->new_seed;
	keyfile_min_params(KEYFILE_RIK, &params);
	tool_info(_("sealing %s (Argon2id, 1 GiB) ..."), a->new_key);
	if (agencydir_write_key(a->new_key, &rik, r->new_pass, r->new_passlen,
	    &params, 0) != 0) {
		tool_warnx(_("nothing else changed: move %s back to %s"), r->aside,
		    a->old_key);
		return -1;
	}
	if (agencydir_path(a->dir, AGENCYDIR_PUB, path) != 0)
		return -1;
	if ((e = fileio_write_atomic(path, r->pub, r->publen, 0644, 1)) != 0) {
		tool_warn_errno(-e, _("cannot write %s; the old identity is still in "
		    "force (the new RIK in %s is unused)"), path, a->new_key);
		return -1;
	}
	if (agencydir_save_prekeys(&r->d) != 0) {
		tool_warnx(_("agency.pub is rewritten but prekeys.dat is not: the "
		    "daemon will not start; restore the agency directory from its "
		    "backup"));
		return -1;
	}
	r->kc.cert = r->cert;
	if (agencydir_path(a->dir, AGENCYDIR_DAEMON_KEY, path) != 0 ||
	    agencydir_write_key(path, &r->kc, r->pass, r->passlen, &r->params, 1) != 0) {
		tool_warnx(_("daemon.key is not rewritten: the daemon will not start; "
		    "restore the agency directory from its backup"));
		return -1;
	}
	return 0;
}

static int
rotate_output(const struct rotate_args *a, const struct rotation *r)
{
	char fp[FP_DISPLAY_BUFLEN], old[FP_DISPLAY_BUFLEN], kid[FP_KEYID_BUFLEN];

	fp_display(r->new_pk, fp);
	fp_display(r->tr.old_rik, old);
	fp_key_id(r->new_pk, kid);
	if (a->json)
		return tool_json_print(json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
		    "rik", tool_json_hex(r->new_pk, ENV1_KEY_LEN), "fingerprint", fp,
		    "key_id", kid, "previous_fingerprint", old, "rik_key", a->new_key,
		    "previous_rik_key", r->aside, "dsk_serial",
		    (json_int_t)r->cert.serial, "prekeys_dropped",
		    (json_int_t)r->dropped));
	printf(_("new root identity key (RIK) in %s\n"
	    "  fingerprint %s\n  (was %s)\n"
	    "  the old key is kept aside in %s (0600): keep it offline with the new one\n"
	    "  daemon key certified again (serial %llu); %s/%s and %s rewritten\n"),
	    a->new_key, fp, old, r->aside, (unsigned long long)r->cert.serial,
	    a->dir, AGENCYDIR_PUB, AGENCYDIR_PREKEYS);
	if (r->dropped > 0)
		printf(_("  %u prekey(s) of an older signing key dropped\n"), r->dropped);
	printf(_("next:\n"
	    "  1. restart the daemon (systemctl restart homewardd): it announces the\n"
	    "     new identity with the transition; partners follow it on their own\n"
	    "  2. tell every partner the new fingerprint out of band (phone, in\n"
	    "     person) so that they verify it: their daemon asks them to\n"
	    "  3. move %s and %s offline\n"), a->new_key, r->aside);
	return TOOL_EXIT_OK;
}

static void
rotation_free(struct rotation *r)
{
	keyfile_contents_free(&r->kc);
	secret_free(r->pass);
	secret_free(r->rik_pass);
	secret_free(r->new_pass);
	secret_free(r->old_sk);
	secret_free(r->new_seed);
	secret_free(r->new_sk);
	secret_free(r->dsk_sk);
	free(r->pub);
	agencydir_free(&r->d);
}

int
cmd_rotate_rik(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct rotate_args a;
	struct rotation r;
	struct opts o;
	uint64_t now = tool_now();
	int rc = TOOL_EXIT_FAIL, e;

	memset(&r, 0, sizeof(r));
	if (opts_init(&o, cmd, rotate_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	if ((e = rotate_parse(cmd, &o, &a)) != 0) {
		rc = e == OPTS_HELP ? opts_help(cmd) : e;
		goto out;
	}
	tool_set_quiet(a.json);
	if (strcmp(a.new_key, a.old_key) != 0 && access(a.new_key, F_OK) == 0) {
		tool_warnx(_("%s already exists: give another --new-rik-key"), a.new_key);
		goto out;
	}
	if (open_inputs(&a, &r) != 0 || make_keys(&a, &r, now) != 0 ||
	    resign_prekeys(&r) != 0 || make_pub(&r, now) != 0 ||
	    write_outputs(&a, &r) != 0)
		goto out;
	rc = rotate_output(&a, &r);
out:
	rotation_free(&r);
	opts_free(&o);
	return rc;
}
