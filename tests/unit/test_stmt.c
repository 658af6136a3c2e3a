/* Unit tests: signed statements (keys/stmt.c) and pinned peer records
 * (keys/peerkeys.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/peerkeys.h"
#include "keys/stmt.h"
#include "tests/lib/fixture.h"

static int
setup(void **state)
{
	static struct fixture_agency a;

	fixture_agency_make(&a, "alpha", FIXTURE_NOW);
	*state = &a;
	return 0;
}

static int
teardown(void **state)
{
	fixture_agency_free(*state);
	return 0;
}

static void
test_cert_roundtrip(void **state)
{
	struct fixture_agency *a = *state;
	uint8_t buf[STMT_CERT_LEN];
	struct stmt_dsk_cert c;

	stmt_cert_encode(&a->id.cert, buf);
	assert_memory_equal(buf, "ENV1 dsk cert v1", 16);
	assert_int_equal(stmt_cert_decode(buf, sizeof(buf), &c), ENV1_OK);
	assert_true(stmt_cert_equal(&c, &a->id.cert));
	assert_int_equal(stmt_cert_verify(&c), ENV1_OK);
	assert_int_equal(stmt_cert_decode(buf, sizeof(buf) - 1, &c), ENV1_R_MALFORMED);
	buf[16] = 2;
	assert_int_equal(stmt_cert_decode(buf, sizeof(buf), &c), ENV1_R_MALFORMED);
}

static void
test_cert_tamper_each_byte(void **state)
{
	struct fixture_agency *a = *state;
	uint8_t buf[STMT_CERT_LEN];

	stmt_cert_encode(&a->id.cert, buf);
	for (size_t i = 0; i < sizeof(buf); i++) {
		struct stmt_dsk_cert c;

		buf[i] ^= 0x01;
		/* Either the layout or the signature refuses every flip. */
		if (stmt_cert_decode(buf, sizeof(buf), &c) == ENV1_OK)
			assert_int_not_equal(stmt_cert_verify(&c), ENV1_OK);
		buf[i] ^= 0x01;
	}
}

static void
test_spk_roundtrip_and_suite(void **state)
{
	struct fixture_agency *a = *state;
	uint8_t buf[STMT_SPK_LEN];
	struct stmt_spk s;

	stmt_spk_encode(&a->prekey.stmt, buf);
	assert_int_equal(stmt_spk_decode(buf, sizeof(buf), &s), ENV1_OK);
	assert_true(stmt_spk_equal(&s, &a->prekey.stmt));
	assert_int_equal(stmt_spk_verify(&s), ENV1_OK);
	buf[17] = ENV1_SUITE_XWING;
	assert_int_equal(stmt_spk_decode(buf, sizeof(buf), &s), ENV1_R_SUITE);
	buf[17] = 7;
	assert_int_equal(stmt_spk_decode(buf, sizeof(buf), &s), ENV1_R_SUITE);
}

static void
test_cross_domain_refused(void **state)
{
	struct fixture_agency *a = *state;
	uint8_t cert[STMT_CERT_LEN], spk[STMT_SPK_LEN];
	struct stmt_dsk_cert c;
	struct stmt_spk s;
	struct stmt_revocation r;

	stmt_cert_encode(&a->id.cert, cert);
	stmt_spk_encode(&a->prekey.stmt, spk);
	assert_int_equal(stmt_spk_decode(cert, sizeof(cert), &s), ENV1_R_MALFORMED);
	assert_int_equal(stmt_cert_decode(spk, sizeof(spk), &c), ENV1_R_MALFORMED);
	assert_int_equal(stmt_revocation_decode(cert, STMT_REVOCATION_LEN, &r),
	    ENV1_R_MALFORMED);
}

static void
test_revocation_and_transition(void **state)
{
	struct fixture_agency *a = *state;
	struct fixture_agency b;
	struct stmt_revocation r, r2;
	struct stmt_transition t, t2;
	uint8_t buf[STMT_TRANSITION_LEN];

	fixture_agency_make(&b, "alpha-next", FIXTURE_NOW);
	memset(&r, 0, sizeof(r));
	memcpy(r.issuer_rik, a->rik_pk, 32);
	memcpy(r.revoked_key, a->id.dsk_pub, 32);
	r.kind = STMT_REVOKE_DSK;
	r.revoked_at = FIXTURE_NOW;
	r.reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(&r, a->rik_sk), ENV1_OK);
	stmt_revocation_encode(&r, buf);
	assert_int_equal(stmt_revocation_decode(buf, STMT_REVOCATION_LEN, &r2), ENV1_OK);
	assert_int_equal(stmt_revocation_verify(&r2), ENV1_OK);

	memset(&t, 0, sizeof(t));
	memcpy(t.old_rik, a->rik_pk, 32);
	memcpy(t.new_rik, b.rik_pk, 32);
	t.effective_at = FIXTURE_NOW;
	assert_int_equal(stmt_transition_sign(&t, a->rik_sk, b.rik_sk), ENV1_OK);
	stmt_transition_encode(&t, buf);
	assert_int_equal(stmt_transition_decode(buf, sizeof(buf), &t2), ENV1_OK);
	assert_int_equal(stmt_transition_verify(&t2), ENV1_OK);
	/* Signed by the old key only: both signatures are required. */
	assert_int_equal(stmt_transition_sign(&t, a->rik_sk, a->rik_sk), ENV1_OK);
	assert_int_equal(stmt_transition_verify(&t), ENV1_R_STMT_SIGNATURE);
	fixture_agency_free(&b);
}

static void
test_peerkeys_add_and_check(void **state)
{
	struct fixture_agency *a = *state;
	struct fixture_agency d;
	struct peerkeys p;
	struct stmt_dsk_cert c;
	struct stmt_spk s;
	const struct stmt_spk *chosen;

	fixture_agency_make(&d, "delta", FIXTURE_NOW);
	fixture_peerkeys(a, &p);
	assert_int_equal(peerkeys_check_signer(&p, a->id.dsk_pub, STMT_USAGE_MSG,
	    FIXTURE_NOW), ENV1_OK);
	assert_int_equal(peerkeys_check_signer(&p, d.id.dsk_pub, STMT_USAGE_MSG,
	    FIXTURE_NOW), ENV1_R_CERT_UNKNOWN);
	assert_int_equal(peerkeys_check_signer(&p, a->id.dsk_pub, STMT_USAGE_RELAY_HOP,
	    FIXTURE_NOW), ENV1_R_CERT_USAGE);
	assert_int_equal(peerkeys_check_signer(&p, a->id.dsk_pub, STMT_USAGE_MSG,
	    FIXTURE_NOW + 400 * FIXTURE_DAY), ENV1_R_CERT_VALIDITY);
	/* A certificate issued by another RIK, or with a bad signature. */
	assert_int_equal(peerkeys_add_cert(&p, &d.id.cert), ENV1_R_STMT_ISSUER);
	c = a->id.cert;
	c.sig[5] ^= 1;
	assert_int_equal(peerkeys_add_cert(&p, &c), ENV1_R_STMT_SIGNATURE);
	/* A prekey of another agency, or with a bad signature. */
	assert_int_equal(peerkeys_add_prekey(&p, &d.prekey.stmt), ENV1_R_PREKEY_OWNER);
	s = a->prekey.stmt;
	s.sig[0] ^= 1;
	assert_int_equal(peerkeys_validate_prekey(&p, &s, FIXTURE_NOW), ENV1_R_STMT_SIGNATURE);
	assert_int_equal(peerkeys_choose_prekey(&p, FIXTURE_NOW, &chosen), ENV1_OK);
	assert_int_equal(chosen->spk_id, a->prekey.stmt.spk_id);
	/* Expired (inside the last hour) and not yet valid. */
	assert_int_equal(peerkeys_validate_prekey(&p, &a->prekey.stmt,
	    a->prekey.stmt.not_after - 1000), ENV1_R_PREKEY_VALIDITY);
	assert_int_equal(peerkeys_validate_prekey(&p, &a->prekey.stmt,
	    a->prekey.stmt.not_before - 1), ENV1_R_PREKEY_VALIDITY);
	peerkeys_clear(&p);
	fixture_agency_free(&d);
}

static void
test_peerkeys_prekey_usage_and_point(void **state)
{
	struct fixture_agency *a = *state;
	struct peerkeys p;
	struct stmt_dsk_cert c;
	struct stmt_spk s;

	/* A DSK certified for MSG only may not sign prekeys. */
	peerkeys_init(&p, a->rik_pk);
	c = a->id.cert;
	c.usage = STMT_USAGE_MSG;
	assert_int_equal(stmt_cert_sign(&c, a->rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_cert(&p, &c), ENV1_OK);
	assert_int_equal(peerkeys_add_prekey(&p, &a->prekey.stmt), ENV1_R_PREKEY_USAGE);
	peerkeys_clear(&p);

	/* A low-order spk_pub (the all-zero point), properly signed. */
	fixture_peerkeys(a, &p);
	s = a->prekey.stmt;
	memset(s.spk_pub, 0, sizeof(s.spk_pub));
	s.spk_id = 99;
	assert_int_equal(stmt_spk_sign(&s, a->id.dsk_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_prekey(&p, &s), ENV1_R_PREKEY_POINT);
	assert_int_equal(peerkeys_validate_prekey(&p, &s, FIXTURE_NOW), ENV1_R_PREKEY_POINT);
	peerkeys_clear(&p);
}

static void
test_peerkeys_revocations(void **state)
{
	struct fixture_agency *a = *state;
	struct peerkeys p;
	struct stmt_revocation r;
	const struct stmt_spk *chosen;

	fixture_peerkeys(a, &p);
	memset(&r, 0, sizeof(r));
	memcpy(r.issuer_rik, a->rik_pk, 32);
	memcpy(r.revoked_key, a->prekey.stmt.spk_pub, 32);
	r.kind = STMT_REVOKE_SPK;
	r.revoked_at = FIXTURE_NOW;
	assert_int_equal(stmt_revocation_sign(&r, a->rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(&p, &r), ENV1_OK);
	assert_int_equal(peerkeys_choose_prekey(&p, FIXTURE_NOW, &chosen), ENV1_R_NO_PREKEY);

	memcpy(r.revoked_key, a->id.dsk_pub, 32);
	r.kind = STMT_REVOKE_DSK;
	r.revoked_at = FIXTURE_NOW + FIXTURE_DAY;   /* backdating cannot escape it */
	assert_int_equal(stmt_revocation_sign(&r, a->rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(&p, &r), ENV1_OK);
	assert_int_equal(peerkeys_check_signer(&p, a->id.dsk_pub, STMT_USAGE_MSG,
	    FIXTURE_NOW - FIXTURE_DAY), ENV1_R_CERT_REVOKED);
	assert_false(p.suspended);

	memcpy(r.revoked_key, a->rik_pk, 32);
	r.kind = STMT_REVOKE_RIK;
	assert_int_equal(stmt_revocation_sign(&r, a->rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(&p, &r), ENV1_OK);
	assert_true(p.suspended);
	peerkeys_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_roundtrip),
		cmocka_unit_test(test_cert_tamper_each_byte),
		cmocka_unit_test(test_spk_roundtrip_and_suite),
		cmocka_unit_test(test_cross_domain_refused),
		cmocka_unit_test(test_revocation_and_transition),
		cmocka_unit_test(test_peerkeys_add_and_check),
		cmocka_unit_test(test_peerkeys_prekey_usage_and_point),
		cmocka_unit_test(test_peerkeys_revocations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
