/* Unit tests: the daemon's TLS key and self-signed certificate
 * (common/tlscert.c), and the SPKI hash peers are pinned by. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tlscert.h"

static X509 *
parse_crt(const struct tlscert *t)
{
	BIO *b = BIO_new_mem_buf(t->crt_pem, (int)t->crt_len);
	X509 *x;

	assert_non_null(b);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void
test_generate_certificate(void **state)
{
	struct tlscert t;
	X509 *x;
	EVP_PKEY *pub;
	char cn[TLSCERT_CN_MAX + 1];
	int days = -1, secs = -1;

	(void)state;
	assert_int_equal(tlscert_generate("alpha", TLSCERT_DAYS, &t), 0);
	assert_non_null(strstr(t.key_pem, "-----BEGIN PRIVATE KEY-----"));
	assert_int_equal(strlen(t.key_pem), t.key_len);
	assert_non_null(strstr(t.crt_pem, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(strlen(t.crt_pem), t.crt_len);

	x = parse_crt(&t);
	/* CN = agency id, self-issued, version 3, an Ed25519 key. */
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)), 5);
	assert_string_equal(cn, "alpha");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	pub = X509_get0_pubkey(x);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_get_id(pub), EVP_PKEY_ED25519);
	/* The self-signature verifies; an end-entity certificate. */
	assert_int_equal(X509_verify(x, pub), 1);
	assert_int_equal(X509_check_ca(x), 0);
	/* Valid from a day ago (clock skew) for one year from now. */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(days, TLSCERT_DAYS + TLSCERT_BACKDATE / 86400);
	assert_int_equal(secs, 0);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) <= 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
	X509_free(x);
	tlscert_clear(&t);
	assert_null(t.key_pem);
	assert_null(t.crt_pem);
}

static void
test_spki_hash_matches(void **state)
{
	struct tlscert t;
	uint8_t from_crt[32], from_key[32], from_x509[32], manual[32];
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int derlen;
	X509 *x;

	(void)state;
	assert_int_equal(tlscert_generate("beta", 30, &t), 0);
	assert_int_equal(tlscert_crt_spki_sha256(t.crt_pem, t.crt_len, from_crt), 0);
	assert_int_equal(tlscert_key_spki_sha256(t.key_pem, t.key_len, from_key), 0);
	x = parse_crt(&t);
	assert_int_equal(tlscert_spki_sha256(x, from_x509), 0);
	/* Independently: SHA-256 over i2d_PUBKEY of the certificate's key. */
	derlen = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	assert_true(derlen == 44);      /* Ed25519 SPKI: 12-byte prefix + 32 */
	assert_int_equal(EVP_Digest(der, (size_t)derlen, manual, &mdlen,
	    EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	X509_free(x);

	assert_memory_equal(t.spki_sha256, manual, 32);
	assert_memory_equal(from_crt, manual, 32);
	assert_memory_equal(from_key, manual, 32);
	assert_memory_equal(from_x509, manual, 32);
	tlscert_clear(&t);
}

static void
test_two_keys_differ(void **state)
{
	struct tlscert a, b;

	(void)state;
	assert_int_equal(tlscert_generate("alpha", 1, &a), 0);
	assert_int_equal(tlscert_generate("alpha", 1, &b), 0);
	assert_memory_not_equal(a.spki_sha256, b.spki_sha256, 32);
	assert_string_not_equal(a.key_pem, b.key_pem);
	tlscert_clear(&a);
	tlscert_clear(&b);
}

static void
test_bad_arguments(void **state)
{
	char longcn[TLSCERT_CN_MAX + 2];
	struct tlscert t;

	(void)state;
	memset(longcn, 'a', sizeof(longcn) - 1);
	longcn[sizeof(longcn) - 1] = '\0';
	assert_int_equal(tlscert_generate(NULL, 365, &t), -EINVAL);
	assert_null(t.key_pem);
	assert_int_equal(tlscert_generate("", 365, &t), -EINVAL);
	assert_int_equal(tlscert_generate(longcn, 365, &t), -EINVAL);
	assert_int_equal(tlscert_generate("tab\there", 365, &t), -EINVAL);
	assert_int_equal(tlscert_generate("alpha", 0, &t), -EINVAL);
	assert_null(t.key_pem);
	assert_null(t.crt_pem);
	longcn[TLSCERT_CN_MAX] = '\0';  /* exactly the maximum is fine */
	assert_int_equal(tlscert_generate(longcn, 1, &t), 0);
	tlscert_clear(&t);
	tlscert_clear(NULL);
}

static void
test_wrong_inputs_refused(void **state)
{
	static const char garbage[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n";
	struct tlscert t;
	uint8_t out[32];

	(void)state;
	assert_int_equal(tlscert_generate("alpha", 1, &t), 0);
	/* A key is not a certificate and the reverse. */
	assert_int_equal(tlscert_crt_spki_sha256(t.key_pem, t.key_len, out), -EINVAL);
	assert_int_equal(tlscert_key_spki_sha256(t.crt_pem, t.crt_len, out), -EINVAL);
	assert_int_equal(tlscert_crt_spki_sha256(garbage, sizeof(garbage) - 1, out),
	    -EINVAL);
	assert_int_equal(tlscert_crt_spki_sha256(t.crt_pem, 0, out), -EINVAL);
	assert_int_equal(tlscert_key_spki_sha256(NULL, 10, out), -EINVAL);
	/* A truncated certificate does not parse. */
	assert_int_equal(tlscert_crt_spki_sha256(t.crt_pem, t.crt_len / 2, out),
	    -EINVAL);
	assert_int_equal(tlscert_spki_sha256(NULL, out), -EINVAL);
	tlscert_clear(&t);
}

/* A renewal keeps the key (the SPKI pin) and starts a new validity; only
 * an Ed25519 key is renewed. */
static void
test_renew_keeps_key(void **state)
{
	struct tlscert t;
	uint8_t spki[TLSCERT_SPKI_HASH_LEN];
	uint64_t was, now_after;
	char *crt, *ec_pem;
	size_t len;
	EVP_PKEY *ec;
	BIO *b;

	(void)state;
	assert_int_equal(tlscert_generate("alpha", 2, &t), 0);
	assert_int_equal(tlscert_crt_not_after(t.crt_pem, t.crt_len, &was), 0);
	assert_int_equal(tlscert_renew(t.key_pem, t.key_len, "alpha", 365, &crt,
	    &len), 0);
	assert_int_equal(tlscert_crt_spki_sha256(crt, len, spki), 0);
	assert_memory_equal(spki, t.spki_sha256, sizeof(spki));
	assert_int_equal(tlscert_crt_not_after(crt, len, &now_after), 0);
	assert_true(now_after >= was + 362ull * 86400000);
	free(crt);
	assert_int_equal(tlscert_renew(t.key_pem, t.key_len, "", 365, &crt, &len),
	    -EINVAL);
	assert_null(crt);
	assert_int_equal(tlscert_renew("junk", 4, "alpha", 365, &crt, &len), -EINVAL);
	assert_int_equal(tlscert_crt_not_after("junk", 4, &was), -EINVAL);
	assert_int_equal(was, 0);
	/* Another key type is not ours to renew. */
	assert_non_null(ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_non_null(b = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PrivateKey(b, ec, NULL, NULL, 0, NULL, NULL), 1);
	len = (size_t)BIO_get_mem_data(b, &ec_pem);
	assert_int_equal(tlscert_renew(ec_pem, len, "alpha", 365, &crt, &len),
	    -EINVAL);
	BIO_free(b);
	EVP_PKEY_free(ec);
	tlscert_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_certificate),
		cmocka_unit_test(test_spki_hash_matches),
		cmocka_unit_test(test_two_keys_differ),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_wrong_inputs_refused),
		cmocka_unit_test(test_renew_keeps_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
