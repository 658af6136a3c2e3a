/* Unit tests: at-rest primitives (keys/atrest.c): wrapping keys from the
 * KSK, wrapped DEKs and SPK secrets, column blobs; the at-rest part of
 * negative test 25 (crypto-env1.md 5): a blob moved to another row,
 * column, case, key version or table does not open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "keys/atrest.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

struct keys {
	uint8_t        *ksk;
	uint8_t        *k_spkwrap;
	uint8_t        *k_dekwrap;
	uint8_t        *dek;
	uint8_t         case_id[ENV1_ID_LEN];
	uint8_t         row_id[ENV1_ID_LEN];
};

static int
setup(void **state)
{
	static struct keys k;

	if (secret_init() != 0)
		return -1;
	k.ksk = secret_alloc(ATREST_KEY_LEN);
	k.k_spkwrap = secret_alloc(ATREST_KEY_LEN);
	k.k_dekwrap = secret_alloc(ATREST_KEY_LEN);
	k.dek = secret_alloc(ATREST_KEY_LEN);
	if (!k.ksk || !k.k_spkwrap || !k.k_dekwrap || !k.dek)
		return -1;
	fixture_bytes("alpha/ksk", k.ksk, ATREST_KEY_LEN);
	fixture_bytes("alpha/dek", k.dek, ATREST_KEY_LEN);
	fixture_bytes("alpha/case", k.case_id, ENV1_ID_LEN);
	fixture_bytes("alpha/row", k.row_id, ENV1_ID_LEN);
	if (atrest_derive_keys(k.ksk, k.k_spkwrap, k.k_dekwrap) != ENV1_OK)
		return -1;
	*state = &k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	secret_free(k->ksk);
	secret_free(k->k_spkwrap);
	secret_free(k->k_dekwrap);
	secret_free(k->dek);
	return 0;
}

static int
all_zero(const uint8_t *p, size_t len)
{
	return sodium_is_zero(p, len);
}

static void
test_derive_keys(void **state)
{
	struct keys *k = *state;
	uint8_t spk[ATREST_KEY_LEN], dek[ATREST_KEY_LEN], other[ATREST_KEY_LEN];

	/* The documented derivation, computed independently. */
	crypto_kdf_derive_from_key(spk, sizeof(spk), 1, "ENV1SPKW", k->ksk);
	crypto_kdf_derive_from_key(dek, sizeof(dek), 1, "ENV1DEKW", k->ksk);
	assert_memory_equal(spk, k->k_spkwrap, ATREST_KEY_LEN);
	assert_memory_equal(dek, k->k_dekwrap, ATREST_KEY_LEN);
	assert_memory_not_equal(k->k_spkwrap, k->k_dekwrap, ATREST_KEY_LEN);
	assert_memory_not_equal(k->k_spkwrap, k->ksk, ATREST_KEY_LEN);

	/* Another KSK, other keys. */
	fixture_bytes("beta/ksk", other, sizeof(other));
	assert_int_equal(atrest_derive_keys(other, spk, dek), ENV1_OK);
	assert_memory_not_equal(spk, k->k_spkwrap, ATREST_KEY_LEN);
	assert_memory_not_equal(dek, k->k_dekwrap, ATREST_KEY_LEN);
}

static void
test_dek_new(void **state)
{
	uint8_t a[ATREST_KEY_LEN], b[ATREST_KEY_LEN];

	(void)state;
	atrest_dek_new(a);
	atrest_dek_new(b);
	assert_false(all_zero(a, sizeof(a)));
	assert_memory_not_equal(a, b, sizeof(a));
}

/* The wrapped DEK is exactly nonce || AEAD(dek, ad = domain || case || kv). */
static void
test_dek_wrap_layout(void **state)
{
	struct keys *k = *state;
	uint8_t nonce[ENV1_NONCE_LEN], w[ATREST_WRAPPED_LEN], ad[36], out[ATREST_KEY_LEN];
	unsigned long long outlen;

	fixture_bytes("alpha/nonce", nonce, sizeof(nonce));
	assert_int_equal(atrest_dek_wrap(k->k_dekwrap, k->case_id, 7, k->dek, nonce, w),
	    ENV1_OK);
	assert_memory_equal(w, nonce, ENV1_NONCE_LEN);
	memcpy(ad, "ENV1 dek wrap v1", 16);
	memcpy(ad + 16, k->case_id, 16);
	be32_put(ad + 32, 7);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &outlen, NULL,
	    w + 24, 48, ad, sizeof(ad), w, k->k_dekwrap), 0);
	assert_int_equal(outlen, ATREST_KEY_LEN);
	assert_memory_equal(out, k->dek, ATREST_KEY_LEN);
}

static void
test_dek_roundtrip_fresh_nonce(void **state)
{
	struct keys *k = *state;
	uint8_t w1[ATREST_WRAPPED_LEN], w2[ATREST_WRAPPED_LEN], out[ATREST_KEY_LEN];

	assert_int_equal(atrest_dek_wrap(k->k_dekwrap, k->case_id, 1, k->dek, NULL, w1),
	    ENV1_OK);
	assert_int_equal(atrest_dek_wrap(k->k_dekwrap, k->case_id, 1, k->dek, NULL, w2),
	    ENV1_OK);
	assert_memory_not_equal(w1, w2, ENV1_NONCE_LEN);
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 1, w1, out), ENV1_OK);
	assert_memory_equal(out, k->dek, ATREST_KEY_LEN);
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 1, w2, out), ENV1_OK);
	assert_memory_equal(out, k->dek, ATREST_KEY_LEN);
}

/* Negative test 25: a wrapped DEK under another case id or key version, or
 * another wrapping key, yields nothing. */
static void
test_dek_unwrap_refusals(void **state)
{
	struct keys *k = *state;
	uint8_t w[ATREST_WRAPPED_LEN], out[ATREST_KEY_LEN], other_case[ENV1_ID_LEN];

	fixture_bytes("beta/case", other_case, sizeof(other_case));
	assert_int_equal(atrest_dek_wrap(k->k_dekwrap, k->case_id, 3, k->dek, NULL, w),
	    ENV1_OK);

	memset(out, 0xaa, sizeof(out));
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, other_case, 3, w, out),
	    ENV1_R_ATREST);
	assert_true(all_zero(out, sizeof(out)));
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 2, w, out),
	    ENV1_R_ATREST);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 4, w, out),
	    ENV1_R_ATREST);
	assert_int_equal(atrest_dek_unwrap(k->k_spkwrap, k->case_id, 3, w, out),
	    ENV1_R_ATREST);
	assert_true(all_zero(out, sizeof(out)));

	for (size_t i = 0; i < sizeof(w); i++) {
		w[i] ^= 0x01;
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 3, w, out),
		    ENV1_R_ATREST);
		assert_true(all_zero(out, sizeof(out)));
		w[i] ^= 0x01;
	}
	assert_int_equal(atrest_dek_unwrap(k->k_dekwrap, k->case_id, 3, w, out), ENV1_OK);
	assert_memory_equal(out, k->dek, ATREST_KEY_LEN);
}

static void
test_spk_wrap(void **state)
{
	struct keys *k = *state;
	uint8_t sk[ATREST_KEY_LEN], nonce[ENV1_NONCE_LEN], w[ATREST_WRAPPED_LEN];
	uint8_t out[ATREST_KEY_LEN], ad[24];
	unsigned long long outlen;

	fixture_bytes("alpha/spk/9", sk, sizeof(sk));
	fixture_bytes("alpha/nonce", nonce, sizeof(nonce));
	assert_int_equal(atrest_spk_wrap(k->k_spkwrap, 9, sk, nonce, w), ENV1_OK);
	assert_memory_equal(w, nonce, ENV1_NONCE_LEN);
	memcpy(ad, "ENV1 spk wrap v1", 16);
	be64_put(ad + 16, 9);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &outlen, NULL,
	    w + 24, 48, ad, sizeof(ad), w, k->k_spkwrap), 0);
	assert_memory_equal(out, sk, sizeof(sk));

	memset(out, 0, sizeof(out));
	assert_int_equal(atrest_spk_unwrap(k->k_spkwrap, 9, w, out), ENV1_OK);
	assert_memory_equal(out, sk, sizeof(sk));
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(atrest_spk_unwrap(k->k_spkwrap, 10, w, out), ENV1_R_ATREST);
	assert_true(all_zero(out, sizeof(out)));
	assert_int_equal(atrest_spk_unwrap(k->k_dekwrap, 9, w, out), ENV1_R_ATREST);
	assert_int_equal(atrest_spk_unwrap(k->k_spkwrap, 9ull << 32, w, out),
	    ENV1_R_ATREST);

	/* A wrapped DEK is no wrapped prekey, even under the same key. */
	assert_int_equal(atrest_dek_wrap(k->k_spkwrap, k->case_id, 9, sk, nonce, w),
	    ENV1_OK);
	assert_int_equal(atrest_spk_unwrap(k->k_spkwrap, 9, w, out), ENV1_R_ATREST);
	assert_true(all_zero(out, sizeof(out)));
}

static void
ref_init(struct atrest_col_ref *r, const struct keys *k)
{
	memset(r, 0, sizeof(*r));
	r->table = "messages";
	r->column = "body";
	memcpy(r->row_id, k->row_id, ENV1_ID_LEN);
	memcpy(r->case_id, k->case_id, ENV1_ID_LEN);
	r->key_version = 2;
}

static void
assert_col_refused(const uint8_t *dek, const struct atrest_col_ref *r,
    const uint8_t *blob, size_t len)
{
	uint8_t *pt = (uint8_t *)"x";
	size_t ptlen = 99;

	assert_int_equal(atrest_col_open(dek, r, blob, len, &pt, &ptlen), ENV1_R_ATREST);
	assert_null(pt);
	assert_int_equal(ptlen, 0);
}

static const char BODY[] = "test document: alpha to beta";

static void
test_col_roundtrip_and_layout(void **state)
{
	struct keys *k = *state;
	struct atrest_col_ref r;
	uint8_t *blob, *blob2, *pt, ad[128];
	size_t len, len2, ptlen, off = 0;
	uint32_t kv;
	uint8_t out[sizeof(BODY)];

	ref_init(&r, k);
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)BODY,
	    sizeof(BODY), &blob, &len), ENV1_OK);
	assert_int_equal(len, ATREST_COL_OVERHEAD + sizeof(BODY));
	assert_int_equal(blob[0], ATREST_COL_FMT);
	assert_int_equal(be32_get(blob + 1), 2);
	assert_int_equal(atrest_col_key_version(blob, len, &kv), ENV1_OK);
	assert_int_equal(kv, 2);

	/* The AD exactly as crypto-env1.md 4.1 spells it. */
	memcpy(ad, "ENV1 db col v1\0\0", 16);
	off = 16;
	ad[off++] = 8;
	memcpy(ad + off, "messages", 8);
	off += 8;
	ad[off++] = 4;
	memcpy(ad + off, "body", 4);
	off += 4;
	memcpy(ad + off, k->row_id, 16);
	off += 16;
	memcpy(ad + off, k->case_id, 16);
	off += 16;
	be32_put(ad + off, 2);
	off += 4;
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL,
	    blob + 29, len - 29, ad, off, blob + 5, k->dek), 0);
	assert_memory_equal(out, BODY, sizeof(BODY));

	assert_int_equal(atrest_col_open(k->dek, &r, blob, len, &pt, &ptlen), ENV1_OK);
	assert_int_equal(ptlen, sizeof(BODY));
	assert_memory_equal(pt, BODY, sizeof(BODY));
	secret_free(pt);

	/* The same value written again gets a fresh nonce. */
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)BODY,
	    sizeof(BODY), &blob2, &len2), ENV1_OK);
	assert_int_equal(len2, len);
	assert_memory_not_equal(blob + 5, blob2 + 5, ENV1_NONCE_LEN);
	assert_memory_not_equal(blob + 29, blob2 + 29, len - 29);
	free(blob);
	free(blob2);
}

/* Negative test 25: a column blob swapped across row, column, case, key
 * version or table fails to open. */
static void
test_col_swaps_refused(void **state)
{
	struct keys *k = *state;
	struct atrest_col_ref r, o;
	uint8_t *blob, *other_dek;
	size_t len;

	ref_init(&r, k);
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)BODY,
	    sizeof(BODY), &blob, &len), ENV1_OK);

	o = r;
	fixture_bytes("alpha/row2", o.row_id, ENV1_ID_LEN);
	assert_col_refused(k->dek, &o, blob, len);
	o = r;
	o.column = "subject";
	assert_col_refused(k->dek, &o, blob, len);
	o = r;
	fixture_bytes("beta/case", o.case_id, ENV1_ID_LEN);
	assert_col_refused(k->dek, &o, blob, len);
	o = r;
	o.table = "receipts";
	assert_col_refused(k->dek, &o, blob, len);
	/* Another key version: refused on the cleartext field, and also when
	 * that field is edited to agree, by the AD. */
	o = r;
	o.key_version = 3;
	assert_col_refused(k->dek, &o, blob, len);
	be32_put(blob + 1, 3);
	assert_col_refused(k->dek, &o, blob, len);
	assert_col_refused(k->dek, &r, blob, len);
	be32_put(blob + 1, 2);
	/* Another case's DEK. */
	other_dek = secret_alloc(ATREST_KEY_LEN);
	assert_non_null(other_dek);
	fixture_bytes("beta/dek", other_dek, ATREST_KEY_LEN);
	assert_col_refused(other_dek, &r, blob, len);
	secret_free(other_dek);
	free(blob);

	/* Length-prefixed names: ("ab", "c") is not ("a", "bc"). */
	o = r;
	o.table = "ab";
	o.column = "c";
	assert_int_equal(atrest_col_seal(k->dek, &o, (const uint8_t *)BODY,
	    sizeof(BODY), &blob, &len), ENV1_OK);
	o.table = "a";
	o.column = "bc";
	assert_col_refused(k->dek, &o, blob, len);
	free(blob);
}

static void
test_col_tamper_truncate_extend(void **state)
{
	struct keys *k = *state;
	struct atrest_col_ref r;
	uint8_t *blob, *big;
	size_t len;
	uint32_t kv;

	ref_init(&r, k);
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)BODY,
	    sizeof(BODY), &blob, &len), ENV1_OK);
	for (size_t i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		assert_col_refused(k->dek, &r, blob, len);
		blob[i] ^= 0x01;
	}
	blob[0] = 0x02;
	assert_col_refused(k->dek, &r, blob, len);
	assert_int_equal(atrest_col_key_version(blob, len, &kv), ENV1_R_ATREST);
	blob[0] = ATREST_COL_FMT;
	for (size_t n = 0; n < len; n++)
		assert_col_refused(k->dek, &r, blob, n);
	assert_col_refused(k->dek, &r, NULL, 0);
	big = malloc(len + 16);
	assert_non_null(big);
	memcpy(big, blob, len);
	memset(big + len, 0, 16);
	for (size_t n = len + 1; n <= len + 16; n++)
		assert_col_refused(k->dek, &r, big, n);
	free(big);
	free(blob);
}

static void
test_col_names(void **state)
{
	struct keys *k = *state;
	struct atrest_col_ref r;
	char name[ATREST_NAME_MAX + 2];
	uint8_t *blob = (uint8_t *)"x", *pt;
	size_t len = 1, ptlen;

	ref_init(&r, k);
	memset(name, 't', sizeof(name) - 1);
	name[ATREST_NAME_MAX] = '\0';                   /* 255: the longest */
	r.table = name;
	r.column = name;
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_OK);
	assert_int_equal(atrest_col_open(k->dek, &r, blob, len, &pt, &ptlen), ENV1_OK);
	assert_int_equal(ptlen, 1);
	secret_free(pt);

	name[ATREST_NAME_MAX] = 't';                    /* 256: refused */
	name[ATREST_NAME_MAX + 1] = '\0';
	r.column = "body";
	pt = (uint8_t *)"x";
	assert_int_equal(atrest_col_open(k->dek, &r, blob, len, &pt, &ptlen),
	    ENV1_R_INVALID_ARG);
	assert_null(pt);
	free(blob);
	blob = (uint8_t *)"x";
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_R_INVALID_ARG);
	assert_null(blob);
	assert_int_equal(len, 0);
	r.table = "messages";
	r.column = name;
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_R_INVALID_ARG);
	r.column = "";
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_R_INVALID_ARG);
	r.column = NULL;
	assert_int_equal(atrest_col_seal(k->dek, &r, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_R_INVALID_ARG);
	assert_int_equal(atrest_col_seal(k->dek, NULL, (const uint8_t *)"a", 1,
	    &blob, &len), ENV1_R_INVALID_ARG);
	r.column = "body";
	assert_int_equal(atrest_col_seal(k->dek, &r, NULL, 1, &blob, &len),
	    ENV1_R_INVALID_ARG);
}

static void
test_col_empty_value(void **state)
{
	struct keys *k = *state;
	struct atrest_col_ref r;
	uint8_t *blob, *pt;
	size_t len, ptlen = 9;

	ref_init(&r, k);
	assert_int_equal(atrest_col_seal(k->dek, &r, NULL, 0, &blob, &len), ENV1_OK);
	assert_int_equal(len, ATREST_COL_OVERHEAD);
	assert_int_equal(atrest_col_open(k->dek, &r, blob, len, &pt, &ptlen), ENV1_OK);
	assert_non_null(pt);
	assert_int_equal(ptlen, 0);
	secret_free(pt);
	blob[len - 1] ^= 0x80;
	assert_col_refused(k->dek, &r, blob, len);
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_keys),
		cmocka_unit_test(test_dek_new),
		cmocka_unit_test(test_dek_wrap_layout),
		cmocka_unit_test(test_dek_roundtrip_fresh_nonce),
		cmocka_unit_test(test_dek_unwrap_refusals),
		cmocka_unit_test(test_spk_wrap),
		cmocka_unit_test(test_col_roundtrip_and_layout),
		cmocka_unit_test(test_col_swaps_refused),
		cmocka_unit_test(test_col_tamper_truncate_extend),
		cmocka_unit_test(test_col_names),
		cmocka_unit_test(test_col_empty_value),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
