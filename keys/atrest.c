/*
 * At-rest primitives (crypto-env1.md 4.1, see atrest.h).  Every ciphertext
 * here is XChaCha20-Poly1305 with a fresh random 24-byte nonce and an AD
 * that names exactly where the bytes belong (case and key version for a
 * DEK, prekey id for an SPK secret, table, column, row, case and key
 * version for a column), so a blob copied anywhere else fails to open.
 * Shredding is deleting a wrapped DEK; nothing here needs to know.
 */
#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/atrest.h"
#include "keys/secret.h"

static const uint8_t DOMAIN_DEK[16] = "ENV1 dek wrap v1";
static const uint8_t DOMAIN_SPK[16] = "ENV1 spk wrap v1";
static const uint8_t DOMAIN_COL[16] = "ENV1 db col v1\0\0";

#define DEK_AD_LEN      (16 + ENV1_ID_LEN + 4)
#define SPK_AD_LEN      (16 + 8)
#define COL_AD_MAX      (16 + 1 + ATREST_NAME_MAX + 1 + ATREST_NAME_MAX + \
                            2 * ENV1_ID_LEN + 4)
#define COL_OFF_KV      1
#define COL_OFF_NONCE   5
#define COL_OFF_CT      (COL_OFF_NONCE + ENV1_NONCE_LEN)

int
atrest_derive_keys(const uint8_t ksk[ATREST_KEY_LEN],
    uint8_t k_spkwrap[ATREST_KEY_LEN], uint8_t k_dekwrap[ATREST_KEY_LEN])
{
	if (crypto_kdf_derive_from_key(k_spkwrap, ATREST_KEY_LEN, 1, "ENV1SPKW",
	    ksk) != 0 ||
	    crypto_kdf_derive_from_key(k_dekwrap, ATREST_KEY_LEN, 1, "ENV1DEKW",
	    ksk) != 0) {
		sodium_memzero(k_spkwrap, ATREST_KEY_LEN);
		sodium_memzero(k_dekwrap, ATREST_KEY_LEN);
		return ENV1_R_INVALID_ARG;
	}
	return ENV1_OK;
}

void
atrest_dek_new(uint8_t dek[ATREST_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_keygen(dek);
}

/* out = nonce || AEAD(key, secret, ad); nonce NULL = random. */
static void
wrap(const uint8_t key[ATREST_KEY_LEN], const uint8_t *ad, size_t adlen,
    const uint8_t secret[ATREST_KEY_LEN], const uint8_t *nonce,
    uint8_t out[ATREST_WRAPPED_LEN])
{
	if (nonce != NULL)
		memcpy(out, nonce, ENV1_NONCE_LEN);
	else
		randombytes_buf(out, ENV1_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + ENV1_NONCE_LEN, NULL,
	    secret, ATREST_KEY_LEN, ad, adlen, NULL, out, key);
}

static int
unwrap(const uint8_t key[ATREST_KEY_LEN], const uint8_t *ad, size_t adlen,
    const uint8_t in[ATREST_WRAPPED_LEN], uint8_t secret[ATREST_KEY_LEN])
{
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL,
	    in + ENV1_NONCE_LEN, ATREST_WRAPPED_LEN - ENV1_NONCE_LEN, ad, adlen,
	    in, key) != 0) {
		sodium_memzero(secret, ATREST_KEY_LEN);
		return ENV1_R_ATREST;
	}
	return ENV1_OK;
}

static void
dek_ad(const uint8_t case_id[ENV1_ID_LEN], uint32_t key_version,
    uint8_t ad[DEK_AD_LEN])
{
	memcpy(ad, DOMAIN_DEK, 16);
	memcpy(ad + 16, case_id, ENV1_ID_LEN);
	be32_put(ad + 16 + ENV1_ID_LEN, key_version);
}

int
atrest_dek_wrap(const uint8_t k_dekwrap[ATREST_KEY_LEN],
    const uint8_t case_id[ENV1_ID_LEN], uint32_t key_version,
    const uint8_t dek[ATREST_KEY_LEN], const uint8_t *nonce,
    uint8_t out[ATREST_WRAPPED_LEN])
{
	uint8_t ad[DEK_AD_LEN];

	dek_ad(case_id, key_version, ad);
	wrap(k_dekwrap, ad, sizeof(ad), dek, nonce, out);
	return ENV1_OK;
}

int
atrest_dek_unwrap(const uint8_t k_dekwrap[ATREST_KEY_LEN],
    const uint8_t case_id[ENV1_ID_LEN], uint32_t key_version,
    const uint8_t in[ATREST_WRAPPED_LEN], uint8_t dek[ATREST_KEY_LEN])
{
	uint8_t ad[DEK_AD_LEN];

	dek_ad(case_id, key_version, ad);
	return unwrap(k_dekwrap, ad, sizeof(ad), in, dek);
}

static void
spk_ad(uint64_t spk_id, uint8_t ad[SPK_AD_LEN])
{
	memcpy(ad, DOMAIN_SPK, 16);
	be64_put(ad + 16, spk_id);
}

int
atrest_spk_wrap(const uint8_t k_spkwrap[ATREST_KEY_LEN], uint64_t spk_id,
    const uint8_t sk[ATREST_KEY_LEN], const uint8_t *nonce,
    uint8_t out[ATREST_WRAPPED_LEN])
{
	uint8_t ad[SPK_AD_LEN];

	spk_ad(spk_id, ad);
	wrap(k_spkwrap, ad, sizeof(ad), sk, nonce, out);
	return ENV1_OK;
}

int
atrest_spk_unwrap(const uint8_t k_spkwrap[ATREST_KEY_LEN], uint64_t spk_id,
    const uint8_t in[ATREST_WRAPPED_LEN], uint8_t sk[ATREST_KEY_LEN])
{
	uint8_t ad[SPK_AD_LEN];

	spk_ad(spk_id, ad);
	return unwrap(k_spkwrap, ad, sizeof(ad), in, sk);
}

/*
 * The column AD.  Each name carries its length, so ("ab", "c") and
 * ("a", "bc") are different places.  Names are 1..255 bytes.
 */
static int
col_ad(const struct atrest_col_ref *ref, uint8_t ad[COL_AD_MAX], size_t *adlen)
{
	size_t tlen, clen, off = 0;

	if (ref == NULL || ref->table == NULL || ref->column == NULL)
		return ENV1_R_INVALID_ARG;
	tlen = strnlen(ref->table, ATREST_NAME_MAX + 1);
	clen = strnlen(ref->column, ATREST_NAME_MAX + 1);
	if (tlen == 0 || tlen > ATREST_NAME_MAX ||
	    clen == 0 || clen > ATREST_NAME_MAX)
		return ENV1_R_INVALID_ARG;
	memcpy(ad, DOMAIN_COL, 16);
	off = 16;
	ad[off++] = (uint8_t)tlen;
	memcpy(ad + off, ref->table, tlen);
	off += tlen;
	ad[off++] = (uint8_t)clen;
	memcpy(ad + off, ref->column, clen);
	off += clen;
	memcpy(ad + off, ref->row_id, ENV1_ID_LEN);
	off += ENV1_ID_LEN;
	memcpy(ad + off, ref->case_id, ENV1_ID_LEN);
	off += ENV1_ID_LEN;
	be32_put(ad + off, ref->key_version);
	off += 4;
	*adlen = off;
	return ENV1_OK;
}

int
atrest_col_seal(const uint8_t dek[ATREST_KEY_LEN], const struct atrest_col_ref *ref,
    const uint8_t *pt, size_t len, uint8_t **out, size_t *outlen)
{
	static const uint8_t empty[1];
	uint8_t ad[COL_AD_MAX], *blob;
	size_t adlen;
	int rc;

	if (out == NULL || outlen == NULL)
		return ENV1_R_INVALID_ARG;
	*out = NULL;
	*outlen = 0;
	if ((rc = col_ad(ref, ad, &adlen)) != ENV1_OK)
		return rc;
	if ((pt == NULL && len > 0) ||
	    len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX ||
	    len > SIZE_MAX - ATREST_COL_OVERHEAD)
		return ENV1_R_INVALID_ARG;
	if ((blob = malloc(ATREST_COL_OVERHEAD + len)) == NULL)
		return ENV1_R_NOMEM;
	blob[0] = ATREST_COL_FMT;
	be32_put(blob + COL_OFF_KV, ref->key_version);
	/* Random on every write, updates included: never a nonce twice. */
	randombytes_buf(blob + COL_OFF_NONCE, ENV1_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + COL_OFF_CT, NULL,
	    pt != NULL ? pt : empty, len, ad, adlen, NULL, blob + COL_OFF_NONCE, dek);
	*out = blob;
	*outlen = ATREST_COL_OVERHEAD + len;
	return ENV1_OK;
}

int
atrest_col_key_version(const uint8_t *blob, size_t bloblen, uint32_t *key_version)
{
	*key_version = 0;
	if (blob == NULL || bloblen < ATREST_COL_OVERHEAD || blob[0] != ATREST_COL_FMT)
		return ENV1_R_ATREST;
	*key_version = be32_get(blob + COL_OFF_KV);
	return ENV1_OK;
}

int
atrest_col_open(const uint8_t dek[ATREST_KEY_LEN], const struct atrest_col_ref *ref,
    const uint8_t *blob, size_t bloblen, uint8_t **pt, size_t *ptlen)
{
	uint8_t ad[COL_AD_MAX], *p;
	uint32_t kv;
	size_t adlen, len;
	int rc;

	if (pt == NULL || ptlen == NULL)
		return ENV1_R_INVALID_ARG;
	*pt = NULL;
	*ptlen = 0;
	if ((rc = col_ad(ref, ad, &adlen)) != ENV1_OK)
		return rc;
	/* The cleartext key version must be the one we were asked to use;
	 * the AD binds it again. */
	if (atrest_col_key_version(blob, bloblen, &kv) != ENV1_OK ||
	    kv != ref->key_version)
		return ENV1_R_ATREST;
	len = bloblen - ATREST_COL_OVERHEAD;
	if ((p = secret_alloc(len)) == NULL)
		return ENV1_R_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, NULL, NULL,
	    blob + COL_OFF_CT, bloblen - COL_OFF_CT, ad, adlen,
	    blob + COL_OFF_NONCE, dek) != 0) {
		secret_free(p);
		return ENV1_R_ATREST;
	}
	*pt = p;
	*ptlen = len;
	return ENV1_OK;
}
