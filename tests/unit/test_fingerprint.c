/*
 * Unit tests: fingerprints (keys/fingerprint.c).  The known answers were
 * computed independently of libsodium, with Python's hashlib:
 *
 *   import hashlib, base64
 *   fp = lambda k: hashlib.blake2b(b"ENV1 fingerprint v1\0" + k,
 *                                  digest_size=64).digest()
 *   digits = lambda k: "".join("%05d" % (int.from_bytes(fp(k)[5*j:5*j+5],
 *                                  "big") % 100000) for j in range(8))
 *   key id: fp(k)[:8].hex()
 *   qr:     "env1-rik:" + base64.urlsafe_b64encode(k).rstrip(b"=")
 *   safety: "".join(sorted([digits(a), digits(b)])) in groups of 5
 *
 * with k = bytes(range(32)) ("seq") and k = b"\xff" * 32 ("ff").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/fingerprint.h"
#include "tests/lib/fixture.h"

static uint8_t rik_seq[32];
static uint8_t rik_ff[32];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		rik_seq[i] = (uint8_t)i;
	memset(rik_ff, 0xff, sizeof(rik_ff));
	return 0;
}

static void
test_compute_known_answer(void **state)
{
	static const char want[] =
	    "c431d613b2d3ed8bab95a773fdc2e13f74ddcee3ec053a5004541666003b02b9"
	    "8575248af6e86eac985a06a7d334595ff3606901b97b2c9fb784ae4e9d468215";
	uint8_t fp[FP_LEN];
	char hex[2 * FP_LEN + 1];

	(void)state;
	fp_compute(rik_seq, fp);
	sodium_bin2hex(hex, sizeof(hex), fp, sizeof(fp));
	assert_string_equal(hex, want);
}

static void
test_display_known_answers(void **state)
{
	char out[FP_DISPLAY_BUFLEN];

	(void)state;
	memset(out, 'x', sizeof(out));
	fp_display(rik_seq, out);
	/* Leading zeros kept: the first group is 03346, not 3346. */
	assert_string_equal(out, "03346 53077 48769 33123 89508 36347 65828 14668");
	assert_int_equal(strlen(out), FP_DISPLAY_BUFLEN - 1);
	fp_display(rik_ff, out);
	assert_string_equal(out, "24567 02846 69165 53888 82053 38185 96549 73825");
}

static void
test_key_id_known_answers(void **state)
{
	char out[FP_KEYID_BUFLEN];

	(void)state;
	fp_key_id(rik_seq, out);
	assert_string_equal(out, "c431d613b2d3ed8b");
	fp_key_id(rik_ff, out);
	assert_string_equal(out, "2156071177e44e8b");
}

static void
test_qr_known_answers(void **state)
{
	char out[FP_QR_BUFLEN];

	(void)state;
	fp_qr(rik_seq, out);
	assert_string_equal(out, "env1-rik:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
	/* URL-safe alphabet ('_' not '/') and no '=' padding. */
	fp_qr(rik_ff, out);
	assert_string_equal(out, "env1-rik:__________________________________________8");
}

static void
test_safety_number_known_answer_and_symmetry(void **state)
{
	static const char want[] =
	    "03346 53077 48769 33123 89508 36347 65828 14668 "
	    "24567 02846 69165 53888 82053 38185 96549 73825";
	char ab[FP_SAFETY_BUFLEN], ba[FP_SAFETY_BUFLEN];

	(void)state;
	fp_safety_number(rik_seq, rik_ff, ab);
	fp_safety_number(rik_ff, rik_seq, ba);
	assert_string_equal(ab, want);
	assert_string_equal(ba, want);
	assert_int_equal(strlen(ab), FP_SAFETY_BUFLEN - 1);
}

static void
test_safety_number_symmetric_for_fixtures(void **state)
{
	struct fixture_agency a, b;
	char ab[FP_SAFETY_BUFLEN], ba[FP_SAFETY_BUFLEN];
	char da[FP_DISPLAY_BUFLEN], db[FP_DISPLAY_BUFLEN];

	(void)state;
	fixture_agency_make(&a, "alpha", FIXTURE_NOW);
	fixture_agency_make(&b, "beta", FIXTURE_NOW);
	fp_safety_number(a.rik_pk, b.rik_pk, ab);
	fp_safety_number(b.rik_pk, a.rik_pk, ba);
	assert_string_equal(ab, ba);
	/* Made of both displays, the smaller one first. */
	fp_display(a.rik_pk, da);
	fp_display(b.rik_pk, db);
	if (strcmp(da, db) <= 0) {
		assert_memory_equal(ab, da, strlen(da));
		assert_string_equal(ab + strlen(da) + 1, db);
	} else {
		assert_memory_equal(ab, db, strlen(db));
		assert_string_equal(ab + strlen(db) + 1, da);
	}
	assert_int_equal(ab[strlen(da)], ' ');
	/* Different keys, different fingerprints. */
	assert_string_not_equal(da, db);
	fixture_agency_free(&a);
	fixture_agency_free(&b);
}

static void
test_one_bit_changes_everything(void **state)
{
	uint8_t k[32];
	char d0[FP_DISPLAY_BUFLEN], d1[FP_DISPLAY_BUFLEN];
	char i0[FP_KEYID_BUFLEN], i1[FP_KEYID_BUFLEN];

	(void)state;
	memcpy(k, rik_seq, sizeof(k));
	fp_display(k, d0);
	fp_key_id(k, i0);
	k[31] ^= 0x80;
	fp_display(k, d1);
	fp_key_id(k, i1);
	assert_string_not_equal(d0, d1);
	assert_string_not_equal(i0, i1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_known_answer),
		cmocka_unit_test(test_display_known_answers),
		cmocka_unit_test(test_key_id_known_answers),
		cmocka_unit_test(test_qr_known_answers),
		cmocka_unit_test(test_safety_number_known_answer_and_symmetry),
		cmocka_unit_test(test_safety_number_symmetric_for_fixtures),
		cmocka_unit_test(test_one_bit_changes_everything),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
