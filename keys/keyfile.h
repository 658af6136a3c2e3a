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
#define KEYFILE_VERSION         0x01
#define KEYFILE_KDF_ARGON2ID13  0x01
#define KEYFILE_SALT_LEN        16
#define KEYFILE_KEY_LEN         32      /* wrap_key, kc */
/* Upper bounds, so an edited file cannot make us allocate or compute
 * without limit (ENV1_R_KEYFILE_FORMAT).  memlimit must also be a multiple
 * of 1024: Argon2id works in KiB and would ignore the rest, so only one
 * encoding of each parameter set is accepted. */
#define KEYFILE_OPS_MAX         64
#define KEYFILE_MEM_MAX         (8ull << 30)    /* 8 GiB */
/* Smallest ciphertext: the tag and the 4-byte KIND record. */
#define KEYFILE_CT_MIN          (ENV1_TAG_LEN + 4)

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

/* The cleartext header: bytes [0, 102) of a key file, all of it the AEAD's
 * associated data. */
struct keyfile_header {
	uint64_t        opslimit;
	uint64_t        memlimit;
	uint8_t         salt[KEYFILE_SALT_LEN];
	uint8_t         nonce[ENV1_NONCE_LEN];
	uint8_t         kc[KEYFILE_KEY_LEN];
	uint32_t        ct_len;
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

/*
 * The steps of keyfile_open, each callable alone (the fuzz target runs the
 * pure ones; tests run the expensive one as rarely as they can).
 *
 * keyfile_parse_header: format (length, magic, version, kdf, maximum
 * parameters, ct_len equal to the bytes that follow: ENV1_R_KEYFILE_FORMAT),
 * then the kind's minimum parameters (ENV1_R_KEYFILE_WEAK).  No KDF.
 */
int keyfile_parse_header(const uint8_t *buf, size_t len, enum keyfile_kind,
    struct keyfile_header *out);
/*
 * keyfile_parse_payload: the decrypted TLV records.  KIND first and equal
 * to kind; exactly the records the kind requires (daemon: DSK_SEED,
 * DSK_CERT whose dsk_pub is the seed's public key, KSK, optional
 * TLS_KEY_REF without NUL bytes; RIK: RIK_SEED), each once, each of its
 * exact length, nothing unknown and nothing after the last record.
 * ENV1_R_KEYFILE_PAYLOAD otherwise, with *out zeroed.
 */
int keyfile_parse_payload(const uint8_t *pt, size_t len, enum keyfile_kind,
    struct keyfile_contents *out);
/* wrap_key = Argon2id(pass, salt, opslimit, memlimit) into a caller's
 * (secret) buffer.  ENV1_R_INVALID_ARG for parameters above the maximums,
 * ENV1_R_NOMEM when Argon2id cannot get its memory. */
int keyfile_derive(const struct keyfile_header *, const char *pass, size_t passlen,
    uint8_t wrap_key[KEYFILE_KEY_LEN]);
/* Everything keyfile_open does after Argon2id, given the wrap key: header,
 * kc (ENV1_R_KEYFILE_PASSPHRASE), AEAD (ENV1_R_KEYFILE_AEAD), payload. */
int keyfile_open_key(const uint8_t *buf, size_t len,
    const uint8_t wrap_key[KEYFILE_KEY_LEN], enum keyfile_kind,
    struct keyfile_contents *out);

/* Read a key file: O_NOFOLLOW, a regular file, not readable by group or
 * others (ENV1_R_KEYFILE_PERMISSIONS, also for a symlink), at most
 * KEYFILE_MAX_LEN (ENV1_R_KEYFILE_FORMAT).  *buf is malloc'ed.  Other
 * failures: ENV1_R_IO with errno set. */
int keyfile_read(const char *path, uint8_t **buf, size_t *len);

/* Write a new file atomically: temporary file created O_EXCL|O_NOFOLLOW
 * mode 0600 in the same directory, fsync, rename, fsync the directory.
 * Refuses to replace an existing file unless replace is set.  ENV1_R_IO
 * with errno set on failure; no partial file is left behind. */
int keyfile_write(const char *path, const uint8_t *buf, size_t len, int replace);

#endif
