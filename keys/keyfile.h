/*
 * ENV1 key files (crypto-env1.md 3.6): Argon2id-wrapped TLV payloads.  One
 * for the daemon (DSK seed and certificate, keystore key, TLS key path) and
 * one for the offline RIK.  The key commitment is checked before the AEAD;
 * KDF parameters below the minimum for the kind are refused before any
 * work.  Files are created with O_EXCL|O_NOFOLLOW, mode 0600, written to a
 * temporary file, fsynced and renamed; refused when others can read them.
 */
#ifndef HOMEWARD_KEYS_KEYFILE_H
#define HOMEWARD_KEYS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"
#include "keys/stmt.h"

#define KEYFILE_HDR_LEN         102
#define KEYFILE_MAX_LEN         65536

enum keyfile_kind {
	KEYFILE_DAEMON = 1,     /* opslimit >= 3, memlimit >= 256 MiB */
	KEYFILE_RIK    = 2,     /* opslimit >= 4, memlimit >= 1 GiB */
};

/* TLV record tags of the payload: tag(1) || len(2, BE) || value. */
enum keyfile_tag {
	KEYFILE_TAG_KIND        = 0x01, /* 1 byte: enum keyfile_kind */
	KEYFILE_TAG_RIK_SEED    = 0x02, /* 32 */
	KEYFILE_TAG_DSK_SEED    = 0x03, /* 32 */
	KEYFILE_TAG_DSK_CERT    = 0x04, /* 171: STMT_CERT_LEN */
	KEYFILE_TAG_KSK         = 0x05, /* 32 */
	KEYFILE_TAG_TLS_KEY_REF = 0x06, /* 1..255: path of the TLS key file */
};

/* The decrypted contents.  Seeds and KSK are secret_alloc'ed (32 bytes) or
 * NULL when absent; keyfile_contents_free wipes them. */
struct keyfile_contents {
	enum keyfile_kind       kind;
	uint8_t                *rik_seed;
	uint8_t                *dsk_seed;
	uint8_t                *ksk;
	int                     has_cert;
	struct stmt_dsk_cert    cert;
	char                    tls_key_ref[256];
};

struct keyfile_params {
	uint64_t        opslimit;
	uint64_t        memlimit;       /* bytes */
};

/* The minimum (and default) parameters for a kind. */
void keyfile_min_params(enum keyfile_kind, struct keyfile_params *out);

void keyfile_contents_free(struct keyfile_contents *);  /* NULL ok */

/*
 * Encrypt contents under passphrase.  salt and nonce are NULL for random
 * (non-NULL only for test vectors).  *out is malloc'ed.  Parameters below
 * the kind's minimum are refused (ENV1_R_KEYFILE_WEAK).
 */
int keyfile_seal(const struct keyfile_contents *, const char *pass, size_t passlen,
    const struct keyfile_params *, const uint8_t *salt, const uint8_t *nonce,
    uint8_t **out, size_t *outlen);

/*
 * Decrypt a key file expected to be of kind.  Order: format, minimum
 * parameters (before any Argon2id work), Argon2id, kc with sodium_memcmp,
 * AEAD, TLV payload (all required records of the kind present).
 * ENV1_OK with *out filled, or a reason and *out zeroed.
 */
int keyfile_open(const uint8_t *buf, size_t len, const char *pass, size_t passlen,
    enum keyfile_kind, struct keyfile_contents *out);

/* Read a key file: O_NOFOLLOW, a regular file, not readable by group or
 * others (ENV1_R_KEYFILE_PERMISSIONS), at most KEYFILE_MAX_LEN.  *buf is
 * malloc'ed. */
int keyfile_read(const char *path, uint8_t **buf, size_t *len);

/* Write a new file atomically: temporary file created O_EXCL|O_NOFOLLOW
 * mode 0600 in the same directory, fsync, rename, fsync the directory.
 * Refuses to replace an existing file unless replace is set.  ENV1_R_IO
 * with errno set on failure; no partial file is left behind. */
int keyfile_write(const char *path, const uint8_t *buf, size_t len, int replace);

#endif
