/*
 * An agency directory, as `homeward-keys init --dir DIR` creates it (mode
 * 0700; init refuses a non-empty directory):
 *
 *   rik.key      KEYFILE_RIK: the RIK seed.  Move it offline after init;
 *                certify and revoke take --rik FILE to find it again.
 *   daemon.key   KEYFILE_DAEMON: DSK seed, DSK certificate, KSK and the
 *                TLS key reference "tls.key".
 *   tls.key      the TLS private key, PEM, 0600.
 *   tls.crt      the self-signed TLS certificate, PEM, 0644.
 *   agency.pub   an encoded Bundle (proto/keys.proto): the signed agency
 *                info, every DSK certificate ever issued, revocations and
 *                transitions, but no prekeys; 0644.
 *   prekeys.dat  our prekeys with their wrapped secrets (spkfile.h), 0600.
 *
 * Every write goes through fileio_write_atomic (temporary file, fsync,
 * rename), so an interrupted command leaves the old file or the new one,
 * never a partial one.  These functions report errors themselves
 * ("homeward-keys: DIR/agency.pub: ...") and return 0 or -1.
 */
#ifndef HOMEWARD_KEYS_AGENCYDIR_H
#define HOMEWARD_KEYS_AGENCYDIR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "keys/bundle.h"
#include "keys/envelope.h"
#include "keys/keyfile.h"
#include "keys/spkfile.h"

#define AGENCYDIR_RIK_KEY       "rik.key"
#define AGENCYDIR_DAEMON_KEY    "daemon.key"
#define AGENCYDIR_TLS_KEY       "tls.key"
#define AGENCYDIR_TLS_CRT       "tls.crt"
#define AGENCYDIR_PUB           "agency.pub"
#define AGENCYDIR_PREKEYS       "prekeys.dat"

#define AGENCYDIR_PREKEY_PERIOD (7ull * 24 * 3600 * 1000)    /* a new one weekly */
#define AGENCYDIR_PREKEY_LIFE   (8ull * 24 * 3600 * 1000)    /* not_after - not_before */
#define AGENCYDIR_PREKEY_RETAIN (21ull * 24 * 3600 * 1000)   /* retain_until - not_after */

struct agencydir {
	char                    dir[PATH_MAX];
	struct bundle           pub;            /* agency.pub, verified */
	uint8_t                *info;           /* AgencyInfo exactly as signed */
	size_t                  infolen;
	uint8_t                 info_sig[ENV1_SIG_LEN];
	struct spkfile          spks;           /* prekeys.dat, when loaded */
};

/* Read and verify a bundle file (an export, or an agency.pub). */
int agencydir_read_bundle(const char *path, struct bundle *out);

/* dir "/" name into out; -1 when too long. */
int agencydir_path(const char *dir, const char *name, char out[PATH_MAX]);

/* Load agency.pub (verified with bundle_parse) and, when with_prekeys,
 * prekeys.dat (each statement owned by this agency). */
int agencydir_load(const char *dir, int with_prekeys, struct agencydir *);
void agencydir_free(struct agencydir *);        /* NULL ok */

/* Rewrite agency.pub with one more certificate and/or revocation (either
 * may be NULL); the result is re-parsed and replaces d->pub. */
int agencydir_save_pub(struct agencydir *, const struct stmt_dsk_cert *add_cert,
    const struct stmt_revocation *add_rev);
/* Rewrite prekeys.dat from d->spks. */
int agencydir_save_prekeys(const struct agencydir *);

/* Whether a prekey belongs in an exported bundle at now: not expired, not
 * revoked, signed by a DSK certified here with PREKEY usage, not revoked. */
int agencydir_prekey_publishable(const struct agencydir *, const struct stmt_spk *,
    uint64_t now);
/* The peer bundle: agency.pub plus the publishable prekeys; *out malloc'ed.
 * The result is checked with bundle_parse before it is returned. */
int agencydir_export(const struct agencydir *, uint64_t now, uint8_t **out,
    size_t *outlen);

/* Key file header fields (crypto-env1.md 3.6), readable without a
 * passphrase. */
struct agencydir_keyhdr {
	uint8_t                 version;
	uint8_t                 kdf;
	struct keyfile_params   params;
	uint32_t                ct_len;
};
int agencydir_is_keyfile(const uint8_t *buf, size_t len);
/* 0, or -1 when buf is not a key file header (no message printed). */
int agencydir_keyhdr(const uint8_t *buf, size_t len, struct agencydir_keyhdr *);

/* Read (keyfile_read: private, not a symlink) and open a key file of kind;
 * *params gets its KDF parameters (may be NULL). */
int agencydir_open_key(const char *path, enum keyfile_kind, const char *pass,
    size_t passlen, struct keyfile_contents *out, struct keyfile_params *params);
/* Seal contents and write the key file (0600). */
int agencydir_write_key(const char *path, const struct keyfile_contents *,
    const char *pass, size_t passlen, const struct keyfile_params *, int replace);

/* Open a RIK key file (path NULL: DIR/rik.key) and check that it is this
 * agency's RIK; *rik_sk (64 bytes, seed || pk) is secret_alloc'ed. */
int agencydir_open_rik(const struct agencydir *, const char *path, const char *pass,
    size_t passlen, uint8_t **rik_sk);

/* The daemon's signing identity from its opened key file: the DSK key
 * pair must match the certificate, issued by this agency's RIK.
 * Free with agencydir_identity_free. */
int agencydir_identity(const struct agencydir *, const struct keyfile_contents *,
    struct env1_identity *out);
void agencydir_identity_free(struct env1_identity *);   /* NULL ok */

/* Every prekey of d->spks with its secret unwrapped under the KSK;
 * refuses when any entry fails to unwrap (another agency's daemon.key). */
int agencydir_unwrap_prekeys(const struct agencydir *, const uint8_t ksk[32],
    struct env1_prekey **out, size_t *n);
void agencydir_prekeys_free(struct env1_prekey *, size_t n);

/* A new prekey valid from not_before (LIFE, then RETAIN more), signed by
 * id's DSK, its secret wrapped under the KSK, appended to spks with an
 * spk_id that is random and not already there. */
int agencydir_add_prekey(struct spkfile *spks, const struct env1_identity *id,
    const uint8_t ksk[32], uint64_t not_before, uint64_t *spk_id);

#endif
