/*
 * homeward-keys init: create a new agency directory (agencydir.h): a RIK,
 * a DSK certified by it (serial 1, MSG|PREKEY, 395 days), a keystore key,
 * four prekeys a week apart, a TLS key with its self-signed certificate,
 * and the signed agency.pub.  Key files use the minimum Argon2id
 * parameters of their kind.  The files are written into a fresh sibling
 * directory (DIR.init-XXXXXX, mode 0700) which is then renamed onto DIR:
 * DIR is either absent or empty, or complete; on a failure nothing is left
 * behind.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "common/tlscert.h"
#include "keys/fingerprint.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"

#define INIT_DSK_DAYS           395
#define INIT_PREKEYS            4
#define ZONEINFO                "/usr/share/zoneinfo"

enum { O_DIR, O_ID, O_NAME, O_COUNTRY, O_ZONE, O_ENDPOINT, O_CONTACT,
	O_RIK_FILE, O_RIK_FD, O_PASS_FILE, O_PASS_FD, O_JSON };

static const struct opts_def init_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "agency-id", 0, 1, O_ID },
	{ "name", 0, 1, O_NAME },
	{ "country", 0, 1, O_COUNTRY },
	{ "time-zone", 0, 1, O_ZONE },
	{ "endpoint", 0, 1, O_ENDPOINT },
	{ "duty-contact", 0, 1, O_CONTACT },
	{ "rik-passphrase-file", 0, 1, O_RIK_FILE },
	{ "rik-passphrase-fd", 0, 1, O_RIK_FD },
	{ "passphrase-file", 0, 1, O_PASS_FILE },
	{ "passphrase-fd", 0, 1, O_PASS_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

/* Everything init makes; secrets in secret memory, freed in one place. */
struct init_state {
	const char             *dir;            /* as given */
	char                    tmp[PATH_MAX];  /* where the files are written */
	int                     made_tmp;
	const char             *written[6];
	size_t                  nwritten;
	char                   *rik_pass, *pass;
	size_t                  rik_passlen, passlen;
	uint8_t                *rik_seed, *rik_sk, *dsk_seed, *ksk;
	struct env1_identity    id;
	struct tlscert          tls;
	struct agency_info      info;
	uint8_t                *infobuf, *pub;
	size_t                  infolen, publen;
	uint8_t                 info_sig[ENV1_SIG_LEN];
	struct spkfile          spks;
};

static int
check_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 127)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return 0;
}

static int
check_country(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
	    s[1] <= 'Z' ? 0 : -1;
}

/* An IANA zone name that exists as a regular file under ZONEINFO. */
static int
check_zone(const char *s)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '/' || strstr(s, "..") != NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("/_+-", s[i]) != NULL))
			return -1;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, s);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return 0;
}

/* host:port, host a DNS name, an IPv4 address or [IPv6]; port 1..65535. */
static int
check_endpoint(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;
	size_t hostlen;

	if (colon == NULL || strlen(s) > 255 ||
	    opts_number(colon + 1, 1, 65535, &port) != 0)
		return -1;
	hostlen = (size_t)(colon - s);
	if (hostlen == 0)
		return -1;
	if (s[0] == '[')
		return hostlen > 2 && s[hostlen - 1] == ']' ? 0 : -1;
	for (size_t i = 0; i < hostlen; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return -1;
	return 0;
}

/* DIR must not exist (we make it 0700) or be an empty directory. */
static int
check_dir(const char *dir, int *exists)
{
	struct dirent *de;
	struct stat st;
	DIR *dp;

	*exists = 0;
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		tool_warn_errno(errno, "%s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		tool_warnx(_("%s exists and is not a directory: refused"), dir);
		return -1;
	}
	if ((dp = opendir(dir)) == NULL) {
		tool_warn_errno(errno, "%s", dir);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(dp);
			tool_warnx(_("%s is not empty: refusing to create an agency there"),
			    dir);
			return -1;
		}
	}
	closedir(dp);
	*exists = 1;
	return 0;
}

static int
make_keys(struct init_state *s, uint64_t now)
{
	struct stmt_dsk_cert *c = &s->id.cert;

	s->rik_seed = secret_alloc(32);
	s->rik_sk = secret_alloc(64);
	s->dsk_seed = secret_alloc(32);
	s->ksk = secret_alloc(32);
	s->id.dsk_sk = secret_alloc(64);
	if (!s->rik_seed || !s->rik_sk || !s->dsk_seed || !s->ksk || !s->id.dsk_sk) {
		tool_warnx(_("out of secret memory"));
		return -1;
	}
	randombytes_buf(s->rik_seed, 32);
	randombytes_buf(s->dsk_seed, 32);
	randombytes_buf(s->ksk, 32);
	crypto_sign_seed_keypair(s->id.rik_pub, s->rik_sk, s->rik_seed);
	crypto_sign_seed_keypair(s->id.dsk_pub, s->id.dsk_sk, s->dsk_seed);

	memcpy(c->issuer_rik, s->id.rik_pub, ENV1_KEY_LEN);
	memcpy(c->dsk_pub, s->id.dsk_pub, ENV1_KEY_LEN);
	c->serial = 1;
	c->not_before = now;
	c->not_after = now + INIT_DSK_DAYS * TOOL_DAY_MS;
	c->usage = STMT_USAGE_MSG | STMT_USAGE_PREKEY;
	if (stmt_cert_sign(c, s->rik_sk) != ENV1_OK) {
		tool_warnx(_("cannot sign the DSK certificate"));
		return -1;
	}
	for (uint64_t i = 0; i < INIT_PREKEYS; i++)
		if (agencydir_add_prekey(&s->spks, &s->id, s->ksk,
		    now + i * AGENCYDIR_PREKEY_PERIOD, NULL) != 0)
			return -1;
	return 0;
}

static int
make_public(struct init_state *s, const char *agency_id, uint64_t now)
{
	struct bundle_parts parts;
	struct bundle check;
	char why[BUNDLE_WHY_LEN];
	int r;

	if ((r = tlscert_generate(agency_id, TLSCERT_DAYS, &s->tls)) != 0) {
		tool_warn_errno(-r, _("cannot make the TLS key and certificate"));
		return -1;
	}
	memcpy(s->info.rik, s->id.rik_pub, ENV1_KEY_LEN);
	memcpy(s->info.tls_spki_sha256, s->tls.spki_sha256, 32);
	s->info.issued_at = now;
	if ((r = bundle_sign_agency(&s->info, s->rik_sk, &s->infobuf, &s->infolen,
	    s->info_sig)) != ENV1_OK) {
		tool_warnx(_("cannot sign the agency info: %s"), env1_reason_text(r));
		return -1;
	}
	memset(&parts, 0, sizeof(parts));
	parts.agency_info = s->infobuf;
	parts.agency_info_len = s->infolen;
	parts.agency_sig = s->info_sig;
	parts.certs = &s->id.cert;
	parts.ncerts = 1;
	if ((r = bundle_build(s->id.rik_pub, &parts, &s->pub, &s->publen)) != ENV1_OK) {
		tool_warnx(_("cannot build agency.pub: %s"), env1_reason_text(r));
		return -1;
	}
	if ((r = bundle_parse(s->pub, s->publen, &check, why)) != ENV1_OK) {
		tool_warnx(_("the new agency.pub would be refused: %s"),
		    why[0] ? why : env1_reason_text(r));
		return -1;
	}
	bundle_free(&check);
	return 0;
}

/* Write one file and remember it, so a later failure can remove it. */
static int
put(struct init_state *s, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	char path[PATH_MAX];
	int r;

	if (agencydir_path(s->tmp, name, path) != 0)
		return -1;
	if ((r = fileio_write_atomic(path, buf, len, mode, 0)) != 0) {
		tool_warn_errno(-r, _("cannot write %s"), path);
		return -1;
	}
	s->written[s->nwritten++] = name;
	return 0;
}

static int
put_key(struct init_state *s, const char *name, const struct keyfile_contents *c,
    const char *pass, size_t passlen)
{
	struct keyfile_params params;
	char path[PATH_MAX];

	keyfile_min_params(c->kind, &params);
	if (agencydir_path(s->tmp, name, path) != 0 ||
	    agencydir_write_key(path, c, pass, passlen, &params, 0) != 0)
		return -1;
	s->written[s->nwritten++] = name;
	return 0;
}

static int
write_all(struct init_state *s)
{
	struct keyfile_contents daemon, rik;
	uint8_t *pk = NULL;
	size_t pklen = 0;
	int r;

	memset(&daemon, 0, sizeof(daemon));
	daemon.kind = KEYFILE_DAEMON;
	daemon.dsk_seed = s->dsk_seed;
	daemon.ksk = s->ksk;
	daemon.has_cert = 1;
	daemon.cert = s->id.cert;
	snprintf(daemon.tls_key_ref, sizeof(daemon.tls_key_ref), "%s",
	    AGENCYDIR_TLS_KEY);
	memset(&rik, 0, sizeof(rik));
	rik.kind = KEYFILE_RIK;
	rik.rik_seed = s->rik_seed;

	if ((r = spkfile_encode(&s->spks, &pk, &pklen)) != ENV1_OK) {
		tool_warnx(_("cannot encode prekeys.dat: %s"), env1_reason_text(r));
		return -1;
	}
	r = put(s, AGENCYDIR_TLS_KEY, s->tls.key_pem, s->tls.key_len, 0600) ||
	    put(s, AGENCYDIR_TLS_CRT, s->tls.crt_pem, s->tls.crt_len, 0644) ||
	    put(s, AGENCYDIR_PUB, s->pub, s->publen, 0644) ||
	    put(s, AGENCYDIR_PREKEYS, pk, pklen, 0600);
	free(pk);
	if (r != 0)
		return -1;
	tool_info(_("sealing %s (Argon2id, 256 MiB) ..."), AGENCYDIR_DAEMON_KEY);
	if (put_key(s, AGENCYDIR_DAEMON_KEY, &daemon, s->pass, s->passlen) != 0)
		return -1;
	tool_info(_("sealing %s (Argon2id, 1 GiB) ..."), AGENCYDIR_RIK_KEY);
	return put_key(s, AGENCYDIR_RIK_KEY, &rik, s->rik_pass, s->rik_passlen);
}

/* A sibling of DIR, so that the final rename stays on one file system. */
static int
make_tmp(struct init_state *s)
{
	size_t n = strlen(s->dir);

	while (n > 1 && s->dir[n - 1] == '/')
		n--;
	if (snprintf(s->tmp, sizeof(s->tmp), "%.*s.init-XXXXXX", (int)n, s->dir) >=
	    (int)sizeof(s->tmp)) {
		tool_warnx(_("%s: path too long"), s->dir);
		return -1;
	}
	if (mkdtemp(s->tmp) == NULL) {          /* mode 0700 */
		tool_warn_errno(errno, _("cannot create a directory next to %s"), s->dir);
		return -1;
	}
	s->made_tmp = 1;
	return 0;
}

/* Rename the finished directory onto DIR (an empty DIR is replaced) and
 * make the rename durable. */
static int
publish(struct init_state *s, int exists)
{
	char parent[PATH_MAX], *slash;
	int fd;

	if (rename(s->tmp, s->dir) != 0) {
		tool_warn_errno(errno, exists ? _("cannot replace the empty directory %s") :
		    _("cannot create %s"), s->dir);
		return -1;
	}
	s->made_tmp = 0;
	snprintf(parent, sizeof(parent), "%s", s->tmp);
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) != 0)
			tool_warn_errno(errno, _("fsync %s"), parent);
		close(fd);
	}
	return 0;
}

static void
undo(struct init_state *s)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < s->nwritten; i++)
		if (agencydir_path(s->tmp, s->written[i], path) == 0)
			unlink(path);
	if (s->made_tmp)
		rmdir(s->tmp);
}

static void
state_free(struct init_state *s)
{
	secret_free(s->rik_pass);
	secret_free(s->pass);
	secret_free(s->rik_seed);
	secret_free(s->rik_sk);
	secret_free(s->dsk_seed);
	secret_free(s->ksk);
	secret_free(s->id.dsk_sk);
	tlscert_clear(&s->tls);
	free(s->infobuf);
	free(s->pub);
	spkfile_free(&s->spks);
}

static int
summary(const struct init_state *s, int json)
{
	char fp[FP_DISPLAY_BUFLEN], kid[FP_KEYID_BUFLEN], qr[FP_QR_BUFLEN];
	char until[TOOL_TIME_BUFLEN], spki[HEX_BUFLEN(32)];
	const char *d = s->dir;

	fp_display(s->id.rik_pub, fp);
	fp_key_id(s->id.rik_pub, kid);
	fp_qr(s->id.rik_pub, qr);
	tool_time(s->id.cert.not_after, until);
	hex_encode(s->tls.spki_sha256, 32, spki);
	if (json)
		return tool_json_print(json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:I, s:s}, s:i, s:s, s:s}",
		    "agency_id", s->info.agency_id, "duty_contact",
		    s->info.duty_contact, "dir", d, "fingerprint", fp,
		    "key_id", kid, "qr", qr,
		    "rik", tool_json_hex(s->id.rik_pub, ENV1_KEY_LEN),
		    "dsk_cert", "serial", (json_int_t)s->id.cert.serial,
		    "not_after", until, "prekeys", (int)s->spks.n,
		    "tls_spki_sha256", spki,
		    "move_offline", AGENCYDIR_RIK_KEY));
	printf(_("created agency %s in %s\n\n"), s->info.agency_id, d);
	printf(_("  fingerprint  %s\n  key id       %s\n  qr           %s\n"),
	    fp, kid, qr);
	printf(_("  duty contact %s\n\n"), s->info.duty_contact[0] ?
	    s->info.duty_contact : _("none (partners' urgent alerts cannot say "
	    "how to call you: add one with 'homeward-keys contact')"));
	printf(_("  %s/%-12s root identity key (RIK), passphrase-protected\n"), d,
	    AGENCYDIR_RIK_KEY);
	printf(_("  %s/%-12s daemon key file: DSK certificate serial 1, valid until %s\n"),
	    d, AGENCYDIR_DAEMON_KEY, until);
	printf(_("  %s/%-12s TLS private key\n"), d, AGENCYDIR_TLS_KEY);
	printf(_("  %s/%-12s TLS certificate, SPKI SHA-256 %s\n"), d, AGENCYDIR_TLS_CRT,
	    spki);
	printf(_("  %s/%-12s the signed public description of the agency\n"), d,
	    AGENCYDIR_PUB);
	printf(_("  %s/%-12s %zu prekeys, 7 days apart\n\n"), d, AGENCYDIR_PREKEYS,
	    s->spks.n);
	printf(_("Move %s/%s offline now (removable media in a safe): it is only\n"
	    "needed to certify a new daemon key or to revoke one (--rik-key FILE).\n"
	    "Read the fingerprint to each partner agency out of band; send them\n"
	    "the bundle from 'homeward-keys export --dir %s -o FILE'.\n"),
	    d, AGENCYDIR_RIK_KEY, d);
	return TOOL_EXIT_OK;
}

/* What the options ask for. */
struct init_args {
	const char             *dir, *id, *name, *country, *zone, *endpoint;
	const char             *contact;
	struct passphrase_src   rik_src, src;
	int                     json;
};

/* The agency's description: 0, or TOOL_EXIT_USAGE (reported). */
static int
init_check(const struct tool_cmd *cmd, const struct init_args *a)
{
	const char *p;

	if (bundle_agency_id_problem(a->id) != NULL)
		return opts_usage(cmd, _("agency id: 1 to 63 of a-z, 0-9 and '-'"));
	if (check_name(a->name) != 0)
		return opts_usage(cmd, _("name: 1 to 127 bytes, no control characters"));
	if (check_country(a->country) != 0)
		return opts_usage(cmd, _("country: two upper-case letters (ISO 3166-1)"));
	if (check_zone(a->zone) != 0)
		return opts_usage(cmd, _("time zone %s: not an IANA zone under %s"),
		    a->zone, ZONEINFO);
	if (a->endpoint[0] != '\0' && check_endpoint(a->endpoint) != 0)
		return opts_usage(cmd, _("endpoint: host:port"));
	if ((p = bundle_duty_contact_problem(a->contact)) != NULL)
		return opts_usage(cmd, _("duty contact: %s; give a phone number and/or "
		    "a few words, e.g. \"+223 20 00 00 00\""), p);
	return 0;
}

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
init_parse(const struct tool_cmd *cmd, struct opts *o, struct init_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->endpoint = "";
	a->contact = "";
	passphrase_src_init(&a->rik_src);
	passphrase_src_init(&a->src);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: a->dir = o->arg; break;
		case O_ID: a->id = o->arg; break;
		case O_NAME: a->name = o->arg; break;
		case O_COUNTRY: a->country = o->arg; break;
		case O_ZONE: a->zone = o->arg; break;
		case O_ENDPOINT: a->endpoint = o->arg; break;
		case O_CONTACT: a->contact = o->arg; break;
		case O_JSON: a->json = 1; break;
		case O_RIK_FILE:
		case O_RIK_FD:
		case O_PASS_FILE:
		case O_PASS_FD:
			if ((c == O_RIK_FILE ? passphrase_src_file(&a->rik_src, o->arg) :
			    c == O_RIK_FD ? passphrase_src_fd(&a->rik_src, o->arg) :
			    c == O_PASS_FILE ? passphrase_src_file(&a->src, o->arg) :
			    passphrase_src_fd(&a->src, o->arg)) != 0)
				return opts_usage(cmd, _("bad passphrase source"));
			break;
		case OPTS_HELP: return OPTS_HELP;
		default: return TOOL_EXIT_USAGE;
		}
	}
	if (o->npos > 0)
		return opts_usage(cmd, _("unexpected argument %s"), o->pos[0]);
	if (a->dir == NULL || a->id == NULL || a->name == NULL ||
	    a->country == NULL || a->zone == NULL)
		return opts_usage(cmd, _("--dir, --agency-id, --name, --country and "
		    "--time-zone are required"));
	return init_check(cmd, a);
}

int
cmd_init(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct init_args a;
	struct init_state s;
	struct opts o;
	int r, exists, rc = TOOL_EXIT_FAIL;
	uint64_t now;

	memset(&s, 0, sizeof(s));
	if (opts_init(&o, cmd, init_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	if ((r = init_parse(cmd, &o, &a)) != 0) {
		rc = r == OPTS_HELP ? opts_help(cmd) : r;
		goto out;
	}
	s.dir = a.dir;
	tool_set_quiet(a.json);
	snprintf(s.info.agency_id, sizeof(s.info.agency_id), "%s", a.id);
	snprintf(s.info.name, sizeof(s.info.name), "%s", a.name);
	snprintf(s.info.country, sizeof(s.info.country), "%s", a.country);
	snprintf(s.info.time_zone, sizeof(s.info.time_zone), "%s", a.zone);
	snprintf(s.info.endpoint, sizeof(s.info.endpoint), "%s", a.endpoint);
	snprintf(s.info.duty_contact, sizeof(s.info.duty_contact), "%s", a.contact);

	if (check_dir(s.dir, &exists) != 0)
		goto out;
	if (passphrase_get(&a.rik_src, "RIK key file", 1, &s.rik_pass,
	    &s.rik_passlen) != 0 ||
	    passphrase_get(&a.src, "daemon key file", 1, &s.pass, &s.passlen) != 0)
		goto out;
	if (s.passlen == s.rik_passlen && sodium_memcmp(s.pass, s.rik_pass,
	    s.passlen) == 0)
		tool_info(_("warning: the RIK and daemon key files share a passphrase"));

	if (make_tmp(&s) != 0)
		goto out;
	now = tool_now();
	if (make_keys(&s, now) != 0 || make_public(&s, a.id, now) != 0 ||
	    write_all(&s) != 0 || publish(&s, exists) != 0) {
		undo(&s);
		goto out;
	}
	rc = summary(&s, a.json);
out:
	state_free(&s);
	opts_free(&o);
	return rc;
}
