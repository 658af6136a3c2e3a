/*
 * Loading and saving an agency directory (see agencydir.h).  agency.pub is
 * always rebuilt from its verified parts with bundle_build and re-parsed
 * before it is written, so the tool never writes a bundle it would itself
 * refuse.  The AgencyInfo bytes are carried over exactly as signed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "common/fileio.h"
#include "keys/atrest.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "common/report.h"
#include "common/strnum.h"
#include "proto/keys.pb-c.h"

static const uint8_t KEYFILE_MAGIC[8] = "ENV1KEY\0";

int
agencydir_path(const char *dir, const char *name, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		reportx("%s: path too long", dir);
		return -1;
	}
	return 0;
}

int
agencydir_read_bundle(const char *path, struct bundle *out)
{
	char why[BUNDLE_WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = fileio_read(path, BUNDLE_MAX_LEN, 0, &buf, &len)) != 0) {
		report_errno(-r, "cannot read %s", path);
		return -1;
	}
	r = bundle_parse(buf, len, out, why);
	free(buf);
	if (r != ENV1_OK) {
		reportx("%s: bundle refused: %s", path,
		    why[0] ? why : env1_reason_text(r));
		return -1;
	}
	return 0;
}

/* The AgencyInfo bytes and signature as found in an encoded Bundle. */
static int
raw_info(const uint8_t *buf, size_t len, struct agencydir *d)
{
	Homeward__Keys__Bundle *b;
	int rc = -1;

	if ((b = homeward__keys__bundle__unpack(NULL, len, buf)) == NULL)
		return -1;
	if (b->agency_sig.len == ENV1_SIG_LEN && b->agency_info.len > 0 &&
	    (d->info = malloc(b->agency_info.len)) != NULL) {
		memcpy(d->info, b->agency_info.data, b->agency_info.len);
		d->infolen = b->agency_info.len;
		memcpy(d->info_sig, b->agency_sig.data, ENV1_SIG_LEN);
		rc = 0;
	}
	homeward__keys__bundle__free_unpacked(b, NULL);
	return rc;
}

static int
load_prekeys(struct agencydir *d)
{
	char path[PATH_MAX], why[SPKFILE_WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (agencydir_path(d->dir, AGENCYDIR_PREKEYS, path) != 0)
		return -1;
	if ((r = fileio_read(path, SPKFILE_MAX_LEN, 1, &buf, &len)) != 0) {
		if (r == -EPERM)
			reportx("%s: refused: group or others may access it, or "
			    "another user owns it (chmod 600 it)", path);
		else
			report_errno(-r, "cannot read %s", path);
		return -1;
	}
	r = spkfile_decode(buf, len, &d->spks, why);
	free(buf);
	if (r != ENV1_OK) {
		reportx("%s: %s", path, why[0] ? why : env1_reason_text(r));
		return -1;
	}
	for (size_t i = 0; i < d->spks.n; i++) {
		if (memcmp(d->spks.e[i].stmt.owner_rik, d->pub.keys.rik,
		    ENV1_KEY_LEN) != 0) {
			reportx("%s: entry %zu: owner_rik is not this agency's RIK",
			    path, i);
			return -1;
		}
	}
	return 0;
}

int
agencydir_load(const char *dir, int with_prekeys, struct agencydir *d)
{
	char path[PATH_MAX], why[BUNDLE_WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	memset(d, 0, sizeof(*d));
	if (strlen(dir) >= sizeof(d->dir)) {
		reportx("%s: path too long", dir);
		return -1;
	}
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	if (agencydir_path(dir, AGENCYDIR_PUB, path) != 0)
		return -1;
	if ((r = fileio_read(path, BUNDLE_MAX_LEN, 0, &buf, &len)) != 0) {
		report_errno(-r, "cannot read %s", path);
		goto fail;
	}
	if ((r = bundle_parse(buf, len, &d->pub, why)) != ENV1_OK) {
		reportx("%s: %s", path, why[0] ? why : env1_reason_text(r));
		goto fail;
	}
	if (raw_info(buf, len, d) != 0) {
		reportx("%s: cannot extract agency_info", path);
		goto fail;
	}
	free(buf);
	buf = NULL;
	if (with_prekeys && load_prekeys(d) != 0)
		goto fail;
	return 0;
fail:
	free(buf);
	agencydir_free(d);
	return -1;
}

void
agencydir_free(struct agencydir *d)
{
	if (d == NULL)
		return;
	bundle_free(&d->pub);
	free(d->info);
	spkfile_free(&d->spks);
	memset(d, 0, sizeof(*d));
}

/* Encode d's public parts plus extras into a Bundle and check it parses. */
static int
build(const struct agencydir *d, const struct stmt_dsk_cert *add_cert,
    const struct stmt_revocation *add_rev, const struct stmt_spk *prekeys,
    size_t nprekeys, uint8_t **out, size_t *outlen, struct bundle *parsed)
{
	const struct peerkeys *k = &d->pub.keys;
	struct stmt_dsk_cert *certs = NULL;
	struct stmt_revocation *revs = NULL;
	struct bundle_parts parts;
	struct bundle check;
	char why[BUNDLE_WHY_LEN];
	int r, rc = -1;

	*out = NULL;
	*outlen = 0;
	certs = calloc(k->ncerts + 1, sizeof(*certs));
	revs = calloc(k->nrevocations + 1, sizeof(*revs));
	if (certs == NULL || revs == NULL) {
		reportx("out of memory");
		goto out;
	}
	if (k->ncerts > 0)
		memcpy(certs, k->certs, k->ncerts * sizeof(*certs));
	if (k->nrevocations > 0)
		memcpy(revs, k->revocations, k->nrevocations * sizeof(*revs));
	memset(&parts, 0, sizeof(parts));
	parts.agency_info = d->info;
	parts.agency_info_len = d->infolen;
	parts.agency_sig = d->info_sig;
	parts.certs = certs;
	parts.ncerts = k->ncerts;
	if (add_cert != NULL)
		certs[parts.ncerts++] = *add_cert;
	parts.revocations = revs;
	parts.nrevocations = k->nrevocations;
	if (add_rev != NULL)
		revs[parts.nrevocations++] = *add_rev;
	parts.prekeys = prekeys;
	parts.nprekeys = nprekeys;
	parts.transitions = d->pub.transitions;
	parts.ntransitions = d->pub.ntransitions;
	if ((r = bundle_build(k->rik, &parts, out, outlen)) != ENV1_OK) {
		reportx("cannot build the bundle: %s", env1_reason_text(r));
		goto out;
	}
	if ((r = bundle_parse(*out, *outlen, &check, why)) != ENV1_OK) {
		reportx("the new bundle would be refused: %s",
		    why[0] ? why : env1_reason_text(r));
		goto out;
	}
	if (parsed != NULL)
		*parsed = check;
	else
		bundle_free(&check);
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	free(certs);
	free(revs);
	return rc;
}

int
agencydir_save_pub(struct agencydir *d, const struct stmt_dsk_cert *add_cert,
    const struct stmt_revocation *add_rev)
{
	char path[PATH_MAX];
	struct bundle parsed;
	uint8_t *buf;
	size_t len;
	int r;

	if (agencydir_path(d->dir, AGENCYDIR_PUB, path) != 0)
		return -1;
	if (build(d, add_cert, add_rev, NULL, 0, &buf, &len, &parsed) != 0)
		return -1;
	r = fileio_write_atomic(path, buf, len, 0644, 1);
	free(buf);
	if (r != 0) {
		report_errno(-r, "cannot write %s", path);
		bundle_free(&parsed);
		return -1;
	}
	bundle_free(&d->pub);
	d->pub = parsed;
	return 0;
}

int
agencydir_save_prekeys(const struct agencydir *d)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int r;

	if (agencydir_path(d->dir, AGENCYDIR_PREKEYS, path) != 0)
		return -1;
	if ((r = spkfile_encode(&d->spks, &buf, &len)) != ENV1_OK) {
		reportx("%s: %s", path, env1_reason_text(r));
		return -1;
	}
	r = fileio_write_atomic(path, buf, len, 0600, 1);
	free(buf);
	if (r != 0) {
		report_errno(-r, "cannot write %s", path);
		return -1;
	}
	return 0;
}

int
agencydir_prekey_publishable(const struct agencydir *d, const struct stmt_spk *s,
    uint64_t now)
{
	const struct peerkeys *k = &d->pub.keys;
	int signer_ok = 0;

	if (s->not_after < now + ENV1_PREKEY_MARGIN_MS ||
	    peerkeys_is_revoked(k, s->spk_pub, STMT_REVOKE_SPK) ||
	    peerkeys_is_revoked(k, s->signer_dsk, STMT_REVOKE_DSK) ||
	    stmt_spk_verify(s) != ENV1_OK)
		return 0;
	for (size_t i = 0; i < k->ncerts; i++)
		if (memcmp(k->certs[i].dsk_pub, s->signer_dsk, ENV1_KEY_LEN) == 0 &&
		    (k->certs[i].usage & STMT_USAGE_PREKEY) != 0)
			signer_ok = 1;
	return signer_ok;
}

int
agencydir_export(const struct agencydir *d, uint64_t now, uint8_t **out,
    size_t *outlen)
{
	struct stmt_spk *pks = NULL;
	size_t n = 0;
	int rc;

	if (d->spks.n > 0 && (pks = calloc(d->spks.n, sizeof(*pks))) == NULL) {
		reportx("out of memory");
		return -1;
	}
	for (size_t i = 0; i < d->spks.n; i++)
		if (agencydir_prekey_publishable(d, &d->spks.e[i].stmt, now))
			pks[n++] = d->spks.e[i].stmt;
	rc = build(d, NULL, NULL, pks, n, out, outlen, NULL);
	free(pks);
	return rc;
}

int
agencydir_is_keyfile(const uint8_t *buf, size_t len)
{
	return len >= sizeof(KEYFILE_MAGIC) &&
	    memcmp(buf, KEYFILE_MAGIC, sizeof(KEYFILE_MAGIC)) == 0;
}

int
agencydir_keyhdr(const uint8_t *buf, size_t len, struct agencydir_keyhdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len < KEYFILE_HDR_LEN || !agencydir_is_keyfile(buf, len))
		return -1;
	h->version = buf[8];
	h->kdf = buf[9];
	h->params.opslimit = be64_get(buf + 10);
	h->params.memlimit = be64_get(buf + 18);
	h->ct_len = be32_get(buf + 98);
	return 0;
}

static void
key_error(const char *path, int r)
{
	if (r == ENV1_R_KEYFILE_PASSPHRASE)
		reportx("%s: wrong passphrase", path);
	else if (r == ENV1_R_KEYFILE_PERMISSIONS)
		reportx("%s: refused: readable by group or others, or a symlink "
		    "(chmod 600 it)", path);
	else if (r == ENV1_R_IO)
		report_errno(errno, "cannot read %s", path);
	else
		reportx("%s: %s", path, env1_reason_text(r));
}

int
agencydir_open_key(const char *path, enum keyfile_kind kind, const char *pass,
    size_t passlen, struct keyfile_contents *out, struct keyfile_params *params)
{
	struct agencydir_keyhdr h;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = keyfile_read(path, &buf, &len)) != ENV1_OK) {
		key_error(path, r);
		return -1;
	}
	if (params != NULL && agencydir_keyhdr(buf, len, &h) == 0)
		*params = h.params;
	r = keyfile_open(buf, len, pass, passlen, kind, out);
	free(buf);
	if (r != ENV1_OK) {
		key_error(path, r);
		return -1;
	}
	return 0;
}

int
agencydir_write_key(const char *path, const struct keyfile_contents *c,
    const char *pass, size_t passlen, const struct keyfile_params *params,
    int replace)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = keyfile_seal(c, pass, passlen, params, NULL, NULL, &buf,
	    &len)) != ENV1_OK) {
		reportx("%s: cannot seal the key file: %s", path,
		    env1_reason_text(r));
		return -1;
	}
	r = fileio_write_atomic(path, buf, len, 0600, replace);
	free(buf);
	if (r != 0) {
		report_errno(-r, "cannot write %s", path);
		return -1;
	}
	return 0;
}

int
agencydir_open_rik(const struct agencydir *d, const char *path, const char *pass,
    size_t passlen, uint8_t **rik_sk)
{
	struct keyfile_contents kc;
	char def[PATH_MAX];
	uint8_t pk[ENV1_KEY_LEN], *sk;

	*rik_sk = NULL;
	if (path == NULL) {
		if (agencydir_path(d->dir, AGENCYDIR_RIK_KEY, def) != 0)
			return -1;
		path = def;
	}
	report_info("opening %s (Argon2id, 1 GiB) ...", path);
	if (agencydir_open_key(path, KEYFILE_RIK, pass, passlen, &kc, NULL) != 0)
		return -1;
	if ((sk = secret_alloc(64)) == NULL) {
		reportx("out of secret memory");
		keyfile_contents_free(&kc);
		return -1;
	}
	crypto_sign_seed_keypair(pk, sk, kc.rik_seed);
	keyfile_contents_free(&kc);
	if (memcmp(pk, d->pub.keys.rik, ENV1_KEY_LEN) != 0) {
		reportx("%s is not the RIK of the agency in %s", path, d->dir);
		secret_free(sk);
		return -1;
	}
	*rik_sk = sk;
	return 0;
}

int
agencydir_identity(const struct agencydir *d, const struct keyfile_contents *c,
    struct env1_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (c->kind != KEYFILE_DAEMON || c->dsk_seed == NULL || !c->has_cert) {
		reportx("the daemon key file lacks its DSK or certificate");
		return -1;
	}
	if ((id->dsk_sk = secret_alloc(64)) == NULL) {
		reportx("out of secret memory");
		return -1;
	}
	crypto_sign_seed_keypair(id->dsk_pub, id->dsk_sk, c->dsk_seed);
	if (memcmp(c->cert.dsk_pub, id->dsk_pub, ENV1_KEY_LEN) != 0 ||
	    memcmp(c->cert.issuer_rik, d->pub.keys.rik, ENV1_KEY_LEN) != 0 ||
	    stmt_cert_verify(&c->cert) != ENV1_OK) {
		reportx("the daemon key file's certificate does not match its "
		    "key or this agency's RIK");
		agencydir_identity_free(id);
		return -1;
	}
	memcpy(id->rik_pub, d->pub.keys.rik, ENV1_KEY_LEN);
	id->cert = c->cert;
	return 0;
}

void
agencydir_identity_free(struct env1_identity *id)
{
	if (id == NULL)
		return;
	secret_free(id->dsk_sk);
	memset(id, 0, sizeof(*id));
}

void
agencydir_prekeys_free(struct env1_prekey *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		secret_free(p[i].sk);
	free(p);
}

int
agencydir_unwrap_prekeys(const struct agencydir *d, const uint8_t ksk[32],
    struct env1_prekey **out, size_t *n)
{
	struct env1_prekey *p = NULL;
	uint8_t *k = NULL;
	int rc = -1;

	*out = NULL;
	*n = 0;
	/* Both wrapping keys come out of one derivation; only k[0..32) is used. */
	if ((k = secret_alloc(2 * ATREST_KEY_LEN)) == NULL ||
	    (d->spks.n > 0 && (p = calloc(d->spks.n, sizeof(*p))) == NULL)) {
		reportx("out of memory");
		goto out;
	}
	if (atrest_derive_keys(ksk, k, k + ATREST_KEY_LEN) != ENV1_OK) {
		reportx("cannot derive the prekey wrapping key");
		goto out;
	}
	for (size_t i = 0; i < d->spks.n; i++) {
		const struct spkfile_entry *e = &d->spks.e[i];
		uint8_t pub[ENV1_KEY_LEN];

		p[i].stmt = e->stmt;
		if ((p[i].sk = secret_alloc(ATREST_KEY_LEN)) == NULL) {
			reportx("out of secret memory");
			goto out;
		}
		if (atrest_spk_unwrap(k, e->stmt.spk_id, e->wrapped, p[i].sk) !=
		    ENV1_OK || crypto_scalarmult_base(pub, p[i].sk) != 0 ||
		    memcmp(pub, e->stmt.spk_pub, ENV1_KEY_LEN) != 0) {
			char id[17];

			spkfile_id_format(e->stmt.spk_id, id);
			reportx("%s/%s: prekey %s does not open with this daemon "
			    "key file", d->dir, AGENCYDIR_PREKEYS, id);
			goto out;
		}
	}
	*out = p;
	*n = d->spks.n;
	p = NULL;
	rc = 0;
out:
	agencydir_prekeys_free(p, d->spks.n);    /* calloc'ed: unset sk are NULL */
	secret_free(k);
	return rc;
}

int
agencydir_add_prekey(struct spkfile *spks, const struct env1_identity *id,
    const uint8_t ksk[32], uint64_t not_before, uint64_t *spk_id)
{
	struct spkfile_entry e;
	uint8_t *k, *sk;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	k = secret_alloc(2 * ATREST_KEY_LEN);
	sk = secret_alloc(ATREST_KEY_LEN);
	if (k == NULL || sk == NULL) {
		reportx("out of secret memory");
		goto out;
	}
	do {
		randombytes_buf(&e.stmt.spk_id, sizeof(e.stmt.spk_id));
	} while (e.stmt.spk_id == 0 || spkfile_find(spks, e.stmt.spk_id) >= 0);
	randombytes_buf(sk, ATREST_KEY_LEN);
	e.stmt.suite = ENV1_SUITE_X25519;
	memcpy(e.stmt.owner_rik, id->rik_pub, ENV1_KEY_LEN);
	memcpy(e.stmt.signer_dsk, id->dsk_pub, ENV1_KEY_LEN);
	e.stmt.not_before = not_before;
	e.stmt.not_after = not_before + AGENCYDIR_PREKEY_LIFE;
	e.stmt.retain_until = e.stmt.not_after + AGENCYDIR_PREKEY_RETAIN;
	if (crypto_scalarmult_base(e.stmt.spk_pub, sk) != 0 ||
	    stmt_spk_sign(&e.stmt, id->dsk_sk) != ENV1_OK ||
	    atrest_derive_keys(ksk, k, k + ATREST_KEY_LEN) != ENV1_OK ||
	    atrest_spk_wrap(k, e.stmt.spk_id, sk, NULL, e.wrapped) != ENV1_OK) {
		reportx("cannot make a prekey");
		goto out;
	}
	if (spkfile_add(spks, &e) != ENV1_OK) {
		reportx("too many prekeys");
		goto out;
	}
	if (spk_id != NULL)
		*spk_id = e.stmt.spk_id;
	rc = 0;
out:
	secret_free(k);
	secret_free(sk);
	return rc;
}
