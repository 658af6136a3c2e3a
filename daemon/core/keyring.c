/*
 * The daemon's own keys (keyring.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "daemon/base/log.h"
#include "daemon/core/keyring.h"
#include "keys/secret.h"

static int
fail_cause(char **cause, const char *fmt, const char *arg)
{
	if (asprintf(cause, fmt, arg) < 0)
		*cause = NULL;
	return -1;
}

/*
 * Argon2id in a child process: it needs 256 MiB or more, and a daemon that
 * touched them once would carry that peak (and the freed pages) for its
 * whole life.  The child derives the 32-byte wrap key, writes it to a pipe
 * and exits; its memory goes with it.  0, or a reason.
 */
static int
derive_in_child(const struct keyfile_header *h, const char *pass, size_t passlen,
    uint8_t wrap_key[KEYFILE_KEY_LEN])
{
	int     fds[2], status, r = ENV1_R_IO;
	pid_t   pid;
	size_t  got = 0;

	if (pipe(fds) != 0)
		return ENV1_R_IO;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return ENV1_R_IO;
	}
	if (pid == 0) {
		uint8_t *key = secret_alloc(KEYFILE_KEY_LEN);

		close(fds[0]);
		r = key == NULL ? ENV1_R_NOMEM : keyfile_derive(h, pass, passlen, key);
		if (r == ENV1_OK && write(fds[1], key, KEYFILE_KEY_LEN) != KEYFILE_KEY_LEN)
			r = ENV1_R_IO;
		secret_free(key);
		_exit(r == ENV1_OK ? 0 : 1);
	}
	close(fds[1]);
	while (got < KEYFILE_KEY_LEN) {
		ssize_t n = read(fds[0], wrap_key + got, KEYFILE_KEY_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == KEYFILE_KEY_LEN && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		r = ENV1_OK;
	else
		sodium_memzero(wrap_key, KEYFILE_KEY_LEN);
	return r;
}

/* The daemon key file, opened with the Argon2id step in a child. */
static int
open_daemon_key(const char *path, const char *pass, size_t passlen,
    struct keyfile_contents *kc, char **cause)
{
	struct keyfile_header   h;
	uint8_t                *buf = NULL, *wrap = NULL;
	size_t                  len;
	int                     r;

	if ((r = keyfile_read(path, &buf, &len)) != ENV1_OK)
		goto out;
	if ((r = keyfile_parse_header(buf, len, KEYFILE_DAEMON, &h)) != ENV1_OK)
		goto out;
	if ((wrap = secret_alloc(KEYFILE_KEY_LEN)) == NULL) {
		r = ENV1_R_NOMEM;
		goto out;
	}
	if ((r = derive_in_child(&h, pass, passlen, wrap)) != ENV1_OK)
		goto out;
	r = keyfile_open_key(buf, len, wrap, KEYFILE_DAEMON, kc);
out:
	if (r != ENV1_OK && asprintf(cause, "%s: %s", path, env1_reason_text(r)) < 0)
		*cause = NULL;
	secret_free(wrap);
	free(buf);
	return r == ENV1_OK ? 0 : -1;
}

int
keyring_load(struct keyring *k, const char *dir, const char *pass, size_t passlen,
    char **cause)
{
	struct keyfile_contents kc;
	char                    path[PATH_MAX];

	memset(k, 0, sizeof(*k));
	memset(&kc, 0, sizeof(kc));
	*cause = NULL;
	if (agencydir_load(dir, 1, &k->dir) != 0)
		return fail_cause(cause, "%s: cannot load the agency directory", dir);
	if (agencydir_path(dir, AGENCYDIR_DAEMON_KEY, path) != 0) {
		fail_cause(cause, "%s: path too long", dir);
		goto fail;
	}
	if (open_daemon_key(path, pass, passlen, &kc, cause) != 0)
		goto fail;
	if (agencydir_identity(&k->dir, &kc, &k->id) != 0) {
		fail_cause(cause, "%s: the daemon key is not certified by this agency",
		    path);
		goto fail;
	}
	if ((k->ksk = secret_dup(kc.ksk, ATREST_KEY_LEN)) == NULL) {
		fail_cause(cause, "%s", "out of secret memory");
		goto fail;
	}
	keyfile_contents_free(&kc);
	snprintf(k->agency_id, sizeof(k->agency_id), "%s", k->dir.pub.info.agency_id);
	fp_display(k->id.rik_pub, k->fingerprint);
	return 0;
fail:
	keyfile_contents_free(&kc);
	keyring_free(k);
	return -1;
}

static void
prekeys_free(struct keyring *k)
{
	agencydir_prekeys_free(k->prekeys, k->nprekeys);
	k->prekeys = NULL;
	k->nprekeys = 0;
}

void
keyring_free(struct keyring *k)
{
	if (k == NULL)
		return;
	prekeys_free(k);
	free(k->bundle);
	agencydir_identity_free(&k->id);
	agencydir_free(&k->dir);
	secret_free(k->ksk);
	memset(k, 0, sizeof(*k));
}

const struct stmt_transition *
keyring_transition(const struct keyring *k)
{
	/* agency.pub as rotate-rik writes it carries one, to our RIK
	 * (bundle_parse checked new_rik == rik and both signatures). */
	return k->dir.pub.ntransitions > 0 ?
	    &k->dir.pub.transitions[k->dir.pub.ntransitions - 1] : NULL;
}

const uint8_t *
keyring_old_rik(const struct keyring *k, uint64_t now)
{
	const struct stmt_transition *t = keyring_transition(k);

	if (t == NULL || now > t->effective_at + ENV1_MAX_AGE_MS)
		return NULL;
	return t->old_rik;
}

const struct env1_prekey *
keyring_find_prekey(const struct keyring *k, uint64_t spk_id)
{
	for (size_t i = 0; i < k->nprekeys; i++)
		if (k->prekeys[i].stmt.spk_id == spk_id)
			return &k->prekeys[i];
	return NULL;
}

/* A new prekey from not_before, signed by our DSK, stored in the keystore. */
static int
make_prekey(struct keyring *k, struct store *st, uint64_t not_before,
    const struct store_spk *have, size_t nhave)
{
	struct store_spk        e;
	uint8_t                *sk;
	int                     rc = -EIO;
	int                     dup;

	memset(&e, 0, sizeof(e));
	if ((sk = secret_alloc(ATREST_KEY_LEN)) == NULL)
		return -ENOMEM;
	do {
		randombytes_buf(&e.stmt.spk_id, sizeof(e.stmt.spk_id));
		dup = e.stmt.spk_id == 0;
		for (size_t i = 0; i < nhave && !dup; i++)
			dup = have[i].stmt.spk_id == e.stmt.spk_id;
	} while (dup);
	randombytes_buf(sk, ATREST_KEY_LEN);
	e.stmt.suite = ENV1_SUITE_X25519;
	memcpy(e.stmt.owner_rik, k->id.rik_pub, ENV1_KEY_LEN);
	memcpy(e.stmt.signer_dsk, k->id.dsk_pub, ENV1_KEY_LEN);
	e.stmt.not_before = not_before;
	e.stmt.not_after = not_before + AGENCYDIR_PREKEY_LIFE;
	e.stmt.retain_until = e.stmt.not_after + AGENCYDIR_PREKEY_RETAIN;
	if (crypto_scalarmult_base(e.stmt.spk_pub, sk) != 0 ||
	    stmt_spk_sign(&e.stmt, k->id.dsk_sk) != ENV1_OK ||
	    store_spk_wrap(st, e.stmt.spk_id, sk, e.wrapped) != 0)
		goto out;
	rc = store_spk_put(st, &e);
	if (rc == 0)
		log_info("prekeys: new prekey %016llx from %llu",
		    (unsigned long long)e.stmt.spk_id, (unsigned long long)not_before);
out:
	secret_free(sk);
	return rc;
}

/* Whether a keystore prekey is ours under the RIK we have now: after a
 * RIK transition, those rotate-rik could not sign again (an older DSK's)
 * keep their secrets for what was sealed to them, but are no longer
 * published nor written to prekeys.dat (whose statements must be owned
 * by agency.pub's RIK). */
static int
own_prekey(const struct keyring *k, const struct store_spk *e)
{
	return memcmp(e->stmt.owner_rik, k->id.rik_pub, ENV1_KEY_LEN) == 0;
}

static size_t
own_prekeys(const struct keyring *k, const struct store_spk *v, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += own_prekey(k, &v[i]);
	return c;
}

/* prekeys.dat := what the keystore holds, so that a secret destroyed there
 * is destroyed here too. */
static int
rewrite_prekeys_dat(struct keyring *k, const struct store_spk *v, size_t n)
{
	struct spkfile  f;
	int             rc = 0;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct spkfile_entry e;

		if (!own_prekey(k, &v[i]))
			continue;
		e.stmt = v[i].stmt;
		memcpy(e.wrapped, v[i].wrapped, ATREST_WRAPPED_LEN);
		rc = spkfile_add(&f, &e) == ENV1_OK ? 0 : -ENOMEM;
	}
	if (rc == 0) {
		/* Swap in, save, and swap back if the file could not be
		 * written: the next sync tries again (k->dir.spks differs). */
		struct spkfile old = k->dir.spks;

		k->dir.spks = f;
		if (agencydir_save_prekeys(&k->dir) == 0) {
			spkfile_free(&old);
			return 0;
		}
		k->dir.spks = old;
		rc = -EIO;
	}
	spkfile_free(&f);
	return rc;
}

static int
load_secrets(struct keyring *k, struct store *st, const struct store_spk *v, size_t n)
{
	struct env1_prekey *p;

	prekeys_free(k);
	if (n == 0)
		return 0;
	if ((p = calloc(n, sizeof(*p))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p[i].stmt = v[i].stmt;
		if ((p[i].sk = secret_alloc(ATREST_KEY_LEN)) == NULL ||
		    store_spk_unwrap(st, &v[i], p[i].sk) != 0) {
			agencydir_prekeys_free(p, n);
			log_warnx("prekeys: prekey %016llx does not unwrap under this "
			    "daemon key", (unsigned long long)v[i].stmt.spk_id);
			return -EBADMSG;
		}
	}
	k->prekeys = p;
	k->nprekeys = n;
	return 0;
}

int
keyring_sync_prekeys(struct keyring *k, struct store *st, uint64_t now, int *changed)
{
	struct store_spk       *v = NULL;
	size_t                  n = 0;
	uint64_t                newest = 0, horizon;
	unsigned                deleted = 0;
	int                     rc, made = 0;
	uint8_t                *bundle = NULL;
	size_t                  bundle_len;

	*changed = 0;
	/* Import what homeward-keys wrote (init, rotate-prekeys). */
	for (size_t i = 0; i < k->dir.spks.n; i++) {
		struct store_spk e;

		e.stmt = k->dir.spks.e[i].stmt;
		memcpy(e.wrapped, k->dir.spks.e[i].wrapped, ATREST_WRAPPED_LEN);
		if (e.stmt.retain_until < now)
			continue;
		if ((rc = store_spk_put(st, &e)) != 0)
			return rc;
	}
	if ((rc = store_spk_expire(st, now, &deleted)) != 0)
		return rc;
	if (deleted > 0)
		log_info("prekeys: %u expired prekey secret(s) deleted", deleted);
	if ((rc = store_spk_list(st, &v, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (own_prekey(k, &v[i]) && v[i].stmt.not_before > newest)
			newest = v[i].stmt.not_before;
	/* Cover now .. now + AHEAD periods with staggered not_before. */
	horizon = now + (KEYRING_PREKEYS_AHEAD - 1) * AGENCYDIR_PREKEY_PERIOD;
	while (newest + AGENCYDIR_PREKEY_LIFE <= now + 3600 * 1000ull || newest < horizon) {
		uint64_t nb = newest == 0 || newest + AGENCYDIR_PREKEY_LIFE <=
		    now + 3600 * 1000ull ? now : newest + AGENCYDIR_PREKEY_PERIOD;

		/* A prekey must start while its signer's certificate is
		 * valid (PROTOCOL.md 4.5): none past it, however near the
		 * expiry (the expiry alerts say to certify a new key). */
		if (nb > k->id.cert.not_after) {
			log_warnx("prekeys: none made from %llu: the signing key's "
			    "certificate expires before (homeward-keys certify)",
			    (unsigned long long)nb);
			break;
		}
		if ((rc = make_prekey(k, st, nb, v, n)) != 0)
			goto out;
		newest = nb;
		made++;
	}
	if (made > 0) {
		free(v);
		v = NULL;
		if ((rc = store_spk_list(st, &v, &n)) != 0)
			goto out;
	}
	/* The secrets in memory follow the keystore first: a secret deleted
	 * there must not stay usable here, whatever happens to the file. */
	if ((rc = load_secrets(k, st, v, n)) != 0)
		goto out;
	if ((made > 0 || deleted > 0 || own_prekeys(k, v, n) != k->dir.spks.n) &&
	    rewrite_prekeys_dat(k, v, n) != 0)
		log_warnx("prekeys: %s/%s not rewritten; will retry", k->dir.dir,
		    AGENCYDIR_PREKEYS);
	if (agencydir_export(&k->dir, now, &bundle, &bundle_len) != 0) {
		rc = -EIO;
		goto out;
	}
	if (k->bundle == NULL || bundle_len != k->bundle_len ||
	    memcmp(bundle, k->bundle, bundle_len) != 0)
		*changed = 1;
	free(k->bundle);
	k->bundle = bundle;
	k->bundle_len = bundle_len;
	rc = 0;
out:
	if (v != NULL)
		sodium_memzero(v, n * sizeof(*v));
	free(v);
	return rc;
}

uint64_t
keyring_tls_not_after(const struct keyring *k)
{
	char            path[PATH_MAX];
	uint8_t        *pem;
	size_t          len;
	uint64_t        ms = 0;

	if (agencydir_path(k->dir.dir, AGENCYDIR_TLS_CRT, path) != 0 ||
	    fileio_read(path, 65536, 0, &pem, &len) != 0)
		return 0;
	(void)tlscert_crt_not_after((const char *)pem, len, &ms);
	free(pem);
	return ms;
}

int
keyring_tls_renew(const struct keyring *k, uint64_t now, uint64_t ahead_ms)
{
	char            crt[PATH_MAX], key[PATH_MAX], *pem = NULL;
	uint8_t        *secret = NULL;
	size_t          slen = 0, plen = 0;
	uint64_t        not_after = keyring_tls_not_after(k);
	int             rc;

	if (not_after != 0 && not_after > now + ahead_ms)
		return 0;
	if (agencydir_path(k->dir.dir, AGENCYDIR_TLS_CRT, crt) != 0 ||
	    agencydir_path(k->dir.dir, AGENCYDIR_TLS_KEY, key) != 0)
		return -ENAMETOOLONG;
	if ((rc = fileio_read(key, 65536, 1, &secret, &slen)) != 0)
		return rc;
	rc = tlscert_renew((const char *)secret, slen, k->agency_id, TLSCERT_DAYS,
	    &pem, &plen);
	sodium_memzero(secret, slen);
	free(secret);
	if (rc == 0)
		rc = fileio_write_atomic(crt, pem, plen, 0644, 1);
	free(pem);
	return rc == 0 ? 1 : rc;
}
