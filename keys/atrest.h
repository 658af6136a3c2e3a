/*
 * At-rest primitives (crypto-env1.md 4): the keystore key (KSK) split into
 * wrapping keys, per-case data keys (DEK) wrapped under K_dekwrap, prekey
 * secrets wrapped under K_spkwrap, and column blobs bound to table, column,
 * row id, case id and key version.  Pure functions; the store calls them.
 */
#ifndef HOMEWARD_KEYS_ATREST_H
#define HOMEWARD_KEYS_ATREST_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"

#define ATREST_KEY_LEN          32
#define ATREST_WRAPPED_LEN      72      /* nonce(24) || ct(32) || tag(16) */
#define ATREST_COL_FMT          0x01
#define ATREST_COL_OVERHEAD     (1 + 4 + 24 + 16)       /* 45 */
#define ATREST_NAME_MAX         255     /* table / column name length */

/* K_spkwrap = kdf(1, "ENV1SPKW", KSK), K_dekwrap = kdf(1, "ENV1DEKW", KSK).
 * Outputs are caller-owned buffers (use secret memory). */
int atrest_derive_keys(const uint8_t ksk[ATREST_KEY_LEN],
    uint8_t k_spkwrap[ATREST_KEY_LEN], uint8_t k_dekwrap[ATREST_KEY_LEN]);

/* A fresh random DEK into caller's (secret) buffer. */
void atrest_dek_new(uint8_t dek[ATREST_KEY_LEN]);

/* Wrapped DEK: nonce || AEAD(k_dekwrap, DEK, ad = "ENV1 dek wrap v1" ||
 * case_id(16) || key_version(4)).  nonce NULL = random. */
int atrest_dek_wrap(const uint8_t k_dekwrap[ATREST_KEY_LEN],
    const uint8_t case_id[ENV1_ID_LEN], uint32_t key_version,
    const uint8_t dek[ATREST_KEY_LEN], const uint8_t *nonce,
    uint8_t out[ATREST_WRAPPED_LEN]);
int atrest_dek_unwrap(const uint8_t k_dekwrap[ATREST_KEY_LEN],
    const uint8_t case_id[ENV1_ID_LEN], uint32_t key_version,
    const uint8_t in[ATREST_WRAPPED_LEN], uint8_t dek[ATREST_KEY_LEN]);

/* Wrapped SPK secret: nonce || AEAD(k_spkwrap, sk, ad = "ENV1 spk wrap v1"
 * || spk_id(8)). */
int atrest_spk_wrap(const uint8_t k_spkwrap[ATREST_KEY_LEN], uint64_t spk_id,
    const uint8_t sk[ATREST_KEY_LEN], const uint8_t *nonce,
    uint8_t out[ATREST_WRAPPED_LEN]);
int atrest_spk_unwrap(const uint8_t k_spkwrap[ATREST_KEY_LEN], uint64_t spk_id,
    const uint8_t in[ATREST_WRAPPED_LEN], uint8_t sk[ATREST_KEY_LEN]);

/* Which row of which table a column blob belongs to. */
struct atrest_col_ref {
	const char     *table;
	const char     *column;
	uint8_t         row_id[ENV1_ID_LEN];    /* application-generated, random */
	uint8_t         case_id[ENV1_ID_LEN];
	uint32_t        key_version;
};

/* Column blob: fmt(1) || key_version(4) || nonce(24) || ct(len + 16).
 * *out is malloc'ed (ciphertext).  A fresh random nonce on every call. */
int atrest_col_seal(const uint8_t dek[ATREST_KEY_LEN], const struct atrest_col_ref *,
    const uint8_t *pt, size_t len, uint8_t **out, size_t *outlen);
/* The key version a column blob names, so the store can pick the DEK
 * before opening it.  ENV1_R_ATREST when it is no blob of ours. */
int atrest_col_key_version(const uint8_t *blob, size_t bloblen, uint32_t *key_version);
/* *pt is secret_alloc'ed (free with secret_free).  ENV1_R_ATREST on any
 * mismatch: fmt, key version, AD or tag. */
int atrest_col_open(const uint8_t dek[ATREST_KEY_LEN], const struct atrest_col_ref *,
    const uint8_t *blob, size_t bloblen, uint8_t **pt, size_t *ptlen);

#endif
