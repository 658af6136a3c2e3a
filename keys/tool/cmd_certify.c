/*
 * homeward-keys certify and revoke: the two operations that need the RIK.
 * certify makes a new DSK, certifies it (serial = highest + 1), adds the
 * certificate to agency.pub and rewrites daemon.key with it (same KSK and
 * TLS key).  revoke appends a RIK-signed revocation of a DSK, a prekey or
 * the RIK itself to agency.pub (and drops a revoked prekey's secret).
 * agency.pub is written before daemon.key: a certificate nobody uses is
 * harmless, a key nobody can verify is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/hex.h"
#include "common/i18n.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"

#define CERTIFY_DAYS_DEFAULT    395
#define CERTIFY_DAYS_MAX        800

enum { O_DIR, O_RIK_KEY, O_DAYS, O_RIK_FILE, O_RIK_FD, O_PASS_FILE, O_PASS_FD,
	O_DSK, O_SPK, O_RIK, O_REASON, O_JSON };

static const struct opts_def certify_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "rik-key", 0, 1, O_RIK_KEY },
	{ "days", 0, 1, O_DAYS },
	{ "rik-passphrase-file", 0, 1, O_RIK_FILE },
	{ "rik-passphrase-fd", 0, 1, O_RIK_FD },
	{ "passphrase-file", 0, 1, O_PASS_FILE },
	{ "passphrase-fd", 0, 1, O_PASS_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

static const struct opts_def revoke_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "rik-key", 0, 1, O_RIK_KEY },
	{ "rik-passphrase-file", 0, 1, O_RIK_FILE },
	{ "rik-passphrase-fd", 0, 1, O_RIK_FD },
	{ "dsk", 0, 1, O_DSK },
	{ "spk", 0, 1, O_SPK },
	{ "rik", 0, 0, O_RIK },
	{ "reason", 0, 1, O_REASON },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

/* The passphrase source options shared by both commands. */
static int
pass_opt(int c, const char *arg, struct passphrase_src *rik, struct passphrase_src *dmn)
{
	switch (c) {
	case O_RIK_FILE: return passphrase_src_file(rik, arg);
	case O_RIK_FD: return passphrase_src_fd(rik, arg);
	case O_PASS_FILE: return passphrase_src_file(dmn, arg);
	default: return passphrase_src_fd(dmn, arg);
	}
}

static int
new_dsk(const struct agencydir *d, const uint8_t *rik_sk, uint64_t days,
    uint8_t *seed, struct stmt_dsk_cert *c)
{
	uint8_t *sk;
	uint64_t serial = 0, now = tool_now();

	if ((sk = secret_alloc(64)) == NULL) {
		tool_warnx(_("out of secret memory"));
		return -1;
	}
	for (size_t i = 0; i < d->pub.keys.ncerts; i++)
		if (d->pub.keys.certs[i].serial > serial)
			serial = d->pub.keys.certs[i].serial;
	randombytes_buf(seed, 32);
	memset(c, 0, sizeof(*c));
	crypto_sign_seed_keypair(c->dsk_pub, sk, seed);
	secret_free(sk);
	memcpy(c->issuer_rik, d->pub.keys.rik, ENV1_KEY_LEN);
	c->serial = serial + 1;
	c->not_before = now;
	c->not_after = now + days * TOOL_DAY_MS;
	c->usage = STMT_USAGE_MSG | STMT_USAGE_PREKEY;
	if (stmt_cert_sign(c, rik_sk) != ENV1_OK) {
		tool_warnx(_("cannot sign the certificate"));
		return -1;
	}
	return 0;
}

/* What certify's options ask for. */
struct certify_args {
	const char             *dir;
	const char             *rik_key;
	uint64_t                days;
	struct passphrase_src   rik_src, src;
	int                     json;
};

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
certify_parse(const struct tool_cmd *cmd, struct opts *o, struct certify_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->days = CERTIFY_DAYS_DEFAULT;
	passphrase_src_init(&a->rik_src);
	passphrase_src_init(&a->src);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: a->dir = o->arg; break;
		case O_RIK_KEY: a->rik_key = o->arg; break;
		case O_JSON: a->json = 1; break;
		case O_DAYS:
			if (opts_number(o->arg, 1, CERTIFY_DAYS_MAX, &a->days) != 0)
				return opts_usage(cmd, _("--days: 1 to %d"),
				    CERTIFY_DAYS_MAX);
			break;
		case O_RIK_FILE:
		case O_RIK_FD:
		case O_PASS_FILE:
		case O_PASS_FD:
			if (pass_opt(c, o->arg, &a->rik_src, &a->src) != 0)
				return opts_usage(cmd, _("bad passphrase source"));
			break;
		case OPTS_HELP: return OPTS_HELP;
		default: return TOOL_EXIT_USAGE;
		}
	}
	if (a->dir == NULL || o->npos > 0)
		return opts_usage(cmd, _("--dir is required"));
	return 0;
}

/* daemon.key rewritten with the new DSK seed and its certificate (same KSK
 * and TLS key).  kc keeps its old seed, which it owns; seed stays the
 * caller's. */
static int
rewrite_key(const char *path, struct keyfile_contents *kc,
    const struct keyfile_params *params, uint8_t *seed,
    const struct stmt_dsk_cert *cert, const char *pass, size_t passlen)
{
	struct keyfile_params p = *params, min;
	uint8_t *old_seed = kc->dsk_seed;
	int r;

	/* Never weaker than the minimum, never weaker than before. */
	keyfile_min_params(KEYFILE_DAEMON, &min);
	if (p.opslimit < min.opslimit)
		p.opslimit = min.opslimit;
	if (p.memlimit < min.memlimit)
		p.memlimit = min.memlimit;
	kc->dsk_seed = seed;
	kc->cert = *cert;
	kc->has_cert = 1;
	r = agencydir_write_key(path, kc, pass, passlen, &p, 1);
	kc->dsk_seed = old_seed;
	if (r != 0) {
		tool_warnx(_("agency.pub already lists the new certificate (serial %llu); "
		    "revoke it, the key is lost"), (unsigned long long)cert->serial);
		return -1;
	}
	return 0;
}

static int
certify_output(const char *dir, const char *path, const struct stmt_dsk_cert *cert,
    const struct stmt_dsk_cert *old, int json)
{
	char until[TOOL_TIME_BUFLEN], hex[HEX_BUFLEN(32)], oldhex[HEX_BUFLEN(32)];

	hex_encode(cert->dsk_pub, 32, hex);
	hex_encode(old->dsk_pub, 32, oldhex);
	tool_time(cert->not_after, until);
	if (json)
		return tool_json_print(json_pack("{s:s, s:I, s:s, s:s, s:s}", "dsk",
		    hex, "serial", (json_int_t)cert->serial, "not_after", until,
		    "usage", "MSG|PREKEY", "previous_dsk", oldhex));
	printf(_("certified DSK %s\n  serial %llu, valid until %s, usage MSG|PREKEY\n"
	    "  %s rewritten; %s/%s updated\n"), hex, (unsigned long long)cert->serial,
	    until, path, dir, AGENCYDIR_PUB);
	printf(_("next: restart the daemon, run 'rotate-prekeys' and 'export', send the "
	    "bundle to partners,\nthen revoke the old DSK:\n"
	    "  homeward-keys revoke --dir %s --dsk %s --reason superseded\n"),
	    dir, oldhex);
	return TOOL_EXIT_OK;
}

int
cmd_certify(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct certify_args a;
	struct keyfile_contents kc;
	struct keyfile_params params;
	struct stmt_dsk_cert cert, old;
	struct agencydir d;
	struct opts o;
	char path[PATH_MAX];
	char *pass = NULL, *rik_pass = NULL;
	size_t passlen = 0, rik_passlen = 0;
	uint8_t *rik_sk = NULL, *seed = NULL;
	int r, rc = TOOL_EXIT_FAIL;

	memset(&d, 0, sizeof(d));
	memset(&kc, 0, sizeof(kc));
	if (opts_init(&o, cmd, certify_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	if ((r = certify_parse(cmd, &o, &a)) != 0) {
		rc = r == OPTS_HELP ? opts_help(cmd) : r;
		goto out;
	}
	tool_set_quiet(a.json);
	if (agencydir_load(a.dir, 0, &d) != 0 ||
	    agencydir_path(a.dir, AGENCYDIR_DAEMON_KEY, path) != 0)
		goto out;
	/* Both passphrases first, then the cheaper key file: a wrong daemon
	 * passphrase is found before the 1 GiB Argon2id of the RIK. */
	if (passphrase_get(&a.src, "daemon key file", 0, &pass, &passlen) != 0 ||
	    passphrase_get(&a.rik_src, "RIK key file", 0, &rik_pass, &rik_passlen) != 0)
		goto out;
	if (agencydir_open_key(path, KEYFILE_DAEMON, pass, passlen, &kc, &params) != 0)
		goto out;
	if (agencydir_open_rik(&d, a.rik_key, rik_pass, rik_passlen, &rik_sk) != 0)
		goto out;
	if ((seed = secret_alloc(32)) == NULL) {
		tool_warnx(_("out of secret memory"));
		goto out;
	}
	if (new_dsk(&d, rik_sk, a.days, seed, &cert) != 0)
		goto out;
	if (agencydir_save_pub(&d, &cert, NULL) != 0)
		goto out;
	old = kc.cert;
	if (rewrite_key(path, &kc, &params, seed, &cert, pass, passlen) != 0)
		goto out;
	rc = certify_output(a.dir, path, &cert, &old, a.json);
out:
	keyfile_contents_free(&kc);
	secret_free(seed);
	secret_free(rik_sk);
	secret_free(pass);
	secret_free(rik_pass);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}

static int
parse_reason(const char *s, uint8_t *out)
{
	static const char *names[] = { "unspecified", "compromised", "superseded",
	    "retired" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	return -1;
}

/* Whether some certificate other than except is still usable at now. */
static int
usable_dsk_left(const struct peerkeys *k, const uint8_t *except, uint64_t now)
{
	for (size_t i = 0; i < k->ncerts; i++)
		if (memcmp(k->certs[i].dsk_pub, except, ENV1_KEY_LEN) != 0 &&
		    stmt_cert_valid_at(&k->certs[i], now) &&
		    !peerkeys_is_revoked(k, k->certs[i].dsk_pub, STMT_REVOKE_DSK))
			return 1;
	return 0;
}

/* What revoke's options ask for: one of --dsk, --spk, --rik. */
struct revoke_args {
	const char             *dir;
	const char             *rik_key;
	const char             *dsk;
	uint8_t                 dsk_pub[ENV1_KEY_LEN];
	const char             *spk;
	uint64_t                spk_id;
	int                     rik;
	uint8_t                 reason;
	struct passphrase_src   rik_src;
	int                     json;
};

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
revoke_parse(const struct tool_cmd *cmd, struct opts *o, struct revoke_args *a)
{
	struct passphrase_src unused;
	int c;

	memset(a, 0, sizeof(*a));
	a->reason = STMT_REASON_UNSPECIFIED;
	passphrase_src_init(&a->rik_src);
	passphrase_src_init(&unused);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: a->dir = o->arg; break;
		case O_RIK_KEY: a->rik_key = o->arg; break;
		case O_DSK: a->dsk = o->arg; break;
		case O_SPK: a->spk = o->arg; break;
		case O_RIK: a->rik = 1; break;
		case O_JSON: a->json = 1; break;
		case O_REASON:
			if (parse_reason(o->arg, &a->reason) != 0)
				return opts_usage(cmd, _("--reason: compromised, "
				    "superseded, retired or unspecified"));
			break;
		case O_RIK_FILE:
		case O_RIK_FD:
			if (pass_opt(c, o->arg, &a->rik_src, &unused) != 0)
				return opts_usage(cmd, _("bad passphrase source"));
			break;
		case OPTS_HELP: return OPTS_HELP;
		default: return TOOL_EXIT_USAGE;
		}
	}
	if (a->dir == NULL || o->npos > 0 ||
	    (a->dsk != NULL) + (a->spk != NULL) + a->rik != 1)
		return opts_usage(cmd, _("--dir and one of --dsk, --spk, --rik are "
		    "required"));
	if (a->dsk != NULL && hex_decode(a->dsk, a->dsk_pub, ENV1_KEY_LEN) != 0)
		return opts_usage(cmd, _("--dsk: the DSK public key, 64 hex digits"));
	if (a->spk != NULL && tool_parse_spk_id(a->spk, &a->spk_id) != 0)
		return opts_usage(cmd, _("--spk: a prekey id, 16 hex digits"));
	return 0;
}

/* The key a revokes, into rev (issuer, kind, key) and, for a prekey, its
 * place in d->spks into *spk_index; 0, or -1 (reported): not there, or
 * already revoked. */
static int
revoke_target(const struct agencydir *d, const struct revoke_args *a,
    struct stmt_revocation *rev, long *spk_index)
{
	memcpy(rev->issuer_rik, d->pub.keys.rik, ENV1_KEY_LEN);
	if (a->dsk != NULL) {
		int found = 0;

		rev->kind = STMT_REVOKE_DSK;
		memcpy(rev->revoked_key, a->dsk_pub, ENV1_KEY_LEN);
		for (size_t i = 0; i < d->pub.keys.ncerts; i++)
			found |= memcmp(d->pub.keys.certs[i].dsk_pub, rev->revoked_key,
			    ENV1_KEY_LEN) == 0;
		if (!found) {
			tool_warnx(_("%s/%s has no certificate for DSK %s"), a->dir,
			    AGENCYDIR_PUB, a->dsk);
			return -1;
		}
	} else if (a->spk != NULL) {
		rev->kind = STMT_REVOKE_SPK;
		if ((*spk_index = spkfile_find(&d->spks, a->spk_id)) < 0) {
			tool_warnx(_("%s/%s has no prekey %s"), a->dir, AGENCYDIR_PREKEYS,
			    a->spk);
			return -1;
		}
		memcpy(rev->revoked_key, d->spks.e[*spk_index].stmt.spk_pub,
		    ENV1_KEY_LEN);
	} else {
		rev->kind = STMT_REVOKE_RIK;
		memcpy(rev->revoked_key, d->pub.keys.rik, ENV1_KEY_LEN);
	}
	if (peerkeys_is_revoked(&d->pub.keys, rev->revoked_key, rev->kind)) {
		tool_warnx(_("already revoked"));
		return -1;
	}
	return 0;
}

static int
revoke_output(const struct revoke_args *a, const struct stmt_revocation *rev,
    int prekey_deleted, int left)
{
	char hex[HEX_BUFLEN(32)], id[17];

	hex_encode(rev->revoked_key, 32, hex);
	spkfile_id_format(a->spk_id, id);
	if (a->json)
		return tool_json_print(json_pack("{s:s, s:s, s:s, s:b, s:b}",
		    "kind", tool_revoke_kind_name(rev->kind), "key", hex,
		    "reason", tool_revoke_reason_name(a->reason),
		    "prekey_secret_deleted", prekey_deleted, "usable_dsk_left", left));
	printf(_("revoked %s %s (%s); %s/%s updated\n"), tool_revoke_kind_name(rev->kind),
	    hex, tool_revoke_reason_name(a->reason), a->dir, AGENCYDIR_PUB);
	if (prekey_deleted)
		printf(_("deleted the secret of prekey %s from %s/%s\n"), id, a->dir,
		    AGENCYDIR_PREKEYS);
	if (!left)
		printf(_("warning: no usable DSK is left: run 'homeward-keys certify'\n"));
	if (rev->kind == STMT_REVOKE_RIK)
		printf(_("warning: this agency's identity is revoked; partners suspend it "
		    "until a new RIK is verified out of band\n"));
	printf(_("send the new bundle to partners: homeward-keys export --dir %s -o FILE\n"),
	    a->dir);
	return TOOL_EXIT_OK;
}

int
cmd_revoke(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct revoke_args a;
	struct stmt_revocation rev;
	struct agencydir d;
	struct opts o;
	char *rik_pass = NULL;
	size_t rik_passlen = 0;
	uint8_t *rik_sk = NULL;
	long spk_index = -1;
	int r, left, rc = TOOL_EXIT_FAIL;

	memset(&d, 0, sizeof(d));
	memset(&rev, 0, sizeof(rev));
	if (opts_init(&o, cmd, revoke_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	if ((r = revoke_parse(cmd, &o, &a)) != 0) {
		rc = r == OPTS_HELP ? opts_help(cmd) : r;
		goto out;
	}
	tool_set_quiet(a.json);
	if (agencydir_load(a.dir, a.spk != NULL, &d) != 0 ||
	    revoke_target(&d, &a, &rev, &spk_index) != 0)
		goto out;
	if (passphrase_get(&a.rik_src, "RIK key file", 0, &rik_pass, &rik_passlen) != 0 ||
	    agencydir_open_rik(&d, a.rik_key, rik_pass, rik_passlen, &rik_sk) != 0)
		goto out;
	rev.revoked_at = tool_now();
	rev.reason = a.reason;
	if (stmt_revocation_sign(&rev, rik_sk) != ENV1_OK) {
		tool_warnx(_("cannot sign the revocation"));
		goto out;
	}
	if (agencydir_save_pub(&d, NULL, &rev) != 0)
		goto out;
	if (spk_index >= 0) {
		spkfile_remove(&d.spks, (size_t)spk_index);
		if (agencydir_save_prekeys(&d) != 0)
			goto out;
	}
	left = rev.kind != STMT_REVOKE_DSK ||
	    usable_dsk_left(&d.pub.keys, rev.revoked_key, tool_now());
	rc = revoke_output(&a, &rev, spk_index >= 0, left);
out:
	secret_free(rik_sk);
	secret_free(rik_pass);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}
