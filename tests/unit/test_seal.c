/*
 * Unit tests: sealing ENV1 envelopes (keys/envelope.c, crypto-env1.md 2.3
 * to 2.6).  The byte layout is rebuilt here independently from the text
 * of the specification and compared with env1_seal's output; round trips
 * through env1_open; determinism; the sender-side prekey checks (negative
 * test 18); the semantic digest used by the daemon's ledger (13, 14).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "keys/envelope.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

struct world {
	struct fixture_agency   a, b, c;
	struct peerkeys         a_sees_b;       /* A's pinned view of B */
	struct fixture_inbox    inbox_b;        /* B pins A */
	struct env1_open_ctx    ctx_b;          /* B at FIXTURE_NOW */
	uint8_t                 eph_sk[32];
	uint8_t                 nonce[24];
	uint8_t                 body[100];
	struct env1_seal_params p;              /* A -> B, deterministic */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	fixture_agency_make(&w->a, "alpha", FIXTURE_NOW);
	fixture_agency_make(&w->b, "beta", FIXTURE_NOW);
	fixture_agency_make(&w->c, "gamma", FIXTURE_NOW);
	fixture_peerkeys(&w->b, &w->a_sees_b);
	fixture_inbox_init(&w->inbox_b, &w->b);
	fixture_inbox_pin(&w->inbox_b, &w->a);
	fixture_open_ctx(&w->inbox_b, FIXTURE_NOW, &w->ctx_b);
	fixture_bytes("seal/eph", w->eph_sk, sizeof(w->eph_sk));
	fixture_bytes("seal/nonce", w->nonce, sizeof(w->nonce));
	fixture_bytes("seal/body", w->body, sizeof(w->body));
	fixture_seal_params(&w->p, "seal", ENV1_MSG_TEST_DOCUMENT, 1, w->body,
	    sizeof(w->body), FIXTURE_NOW);
	w->p.eph_sk = w->eph_sk;
	w->p.nonce = w->nonce;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	fixture_inbox_free(&w->inbox_b);
	peerkeys_clear(&w->a_sees_b);
	fixture_agency_free(&w->a);
	fixture_agency_free(&w->b);
	fixture_agency_free(&w->c);
	free(w);
	return 0;
}

static int
seal_ab(struct world *w, const struct env1_seal_params *p, struct env1_sealed *s)
{
	return env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, p,
	    FIXTURE_NOW, s);
}

static int
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* A refused seal leaves *out exactly as it was and allocates nothing. */
static void
expect_seal_refused(struct world *w, const struct stmt_spk *spk,
    const struct env1_seal_params *p, uint64_t now, int reason)
{
	struct env1_sealed s;

	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, spk, p, now, &s), reason);
	for (size_t i = 0; i < sizeof(s); i++)
		assert_int_equal(((uint8_t *)&s)[i], 0x5a);
}

/*
 * The envelope of 2.3-2.6 rebuilt from the text alone: labels with their
 * NUL ("ENV1/hdr\0" is 9 bytes), big-endian integers, keyed BLAKE2b for
 * k_root, crypto_kdf subkey 1 for k_enc and kc, AD = the whole header.
 */
static void
test_layout_matches_spec(void **state)
{
	struct world *w = *state;
	const struct env1_seal_params *p = &w->p;
	struct env1_sealed s;
	crypto_generichash_state st;
	uint8_t hdr[206], tbs[316], inner[380 + sizeof(w->body)], ss[32];
	uint8_t k_root[32], k_enc[32], kc[32], hh[32], ch[32], sig[64], h[32];
	uint8_t *ct;
	size_t ct_len = 380 + sizeof(w->body) + 16;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "ENV1", 4);
	hdr[4] = 1;
	hdr[5] = 1;
	memcpy(hdr + 8, p->message_id, 16);
	be64_put(hdr + 24, p->created_at);
	be64_put(hdr + 32, 0);
	memcpy(hdr + 40, w->a.rik_pk, 32);
	memcpy(hdr + 72, w->b.rik_pk, 32);
	be64_put(hdr + 104, w->b.prekey.stmt.spk_id);
	be16_put(hdr + 112, 32);
	crypto_scalarmult_base(hdr + 114, w->eph_sk);
	memcpy(hdr + 146, w->nonce, 24);
	assert_int_equal(crypto_scalarmult(ss, w->eph_sk,
	    w->b.prekey.stmt.spk_pub), 0);
	crypto_generichash_init(&st, ss, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/root\0", 10);
	crypto_generichash_update(&st, hdr, 146);
	crypto_generichash_update(&st, w->b.prekey.stmt.spk_pub, 32);
	crypto_generichash_final(&st, k_root, 32);
	crypto_kdf_derive_from_key(k_enc, 32, 1, "ENV1_ENC", k_root);
	crypto_kdf_derive_from_key(kc, 32, 1, "ENV1_COM", k_root);
	memcpy(hdr + 170, kc, 32);
	be32_put(hdr + 202, (uint32_t)ct_len);

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/hdr\0", 9);
	crypto_generichash_update(&st, hdr, 146);
	crypto_generichash_final(&st, hh, 32);
	crypto_generichash(ch, 32, w->body, sizeof(w->body), p->content_salt, 32);
	memcpy(tbs, "ENV1 message sig", 16);
	tbs[16] = 1;
	tbs[17] = 1;
	memcpy(tbs + 18, p->message_id, 16);
	be64_put(tbs + 34, p->created_at);
	memcpy(tbs + 42, w->a.rik_pk, 32);
	memcpy(tbs + 74, w->b.rik_pk, 32);
	memcpy(tbs + 106, hh, 32);
	memcpy(tbs + 138, w->a.id.dsk_pub, 32);
	be16_put(tbs + 170, p->msg_type);
	memcpy(tbs + 172, p->thread_id, 16);
	be64_put(tbs + 188, p->seq);
	memcpy(tbs + 196, p->prev_hash, 32);
	memcpy(tbs + 228, p->in_reply_to, 16);
	memcpy(tbs + 244, p->content_salt, 32);
	memcpy(tbs + 276, ch, 32);
	be64_put(tbs + 308, sizeof(w->body));
	crypto_sign_detached(sig, NULL, tbs, 316, w->a.id.dsk_sk);
	memcpy(inner, tbs, 316);
	memcpy(inner + 316, sig, 64);
	memcpy(inner + 380, w->body, sizeof(w->body));
	ct = malloc(ct_len);
	assert_non_null(ct);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, inner, sizeof(inner),
	    hdr, 206, NULL, w->nonce, k_enc);

	assert_int_equal(seal_ab(w, p, &s), ENV1_OK);
	assert_int_equal(s.env_len, 206 + ct_len);
	assert_int_equal(s.env_len, ENV1_OVERHEAD + sizeof(w->body));
	assert_memory_equal(s.env, hdr, 206);
	assert_memory_equal(s.env + 206, ct, ct_len);
	assert_memory_equal(s.tbs, tbs, 316);
	assert_memory_equal(s.sig, sig, 64);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/env\0", 9);
	crypto_generichash_update(&st, s.env, s.env_len);
	crypto_generichash_final(&st, h, 32);
	assert_memory_equal(s.h_env, h, 32);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/inner\0", 11);
	crypto_generichash_update(&st, tbs, 316);
	crypto_generichash_update(&st, sig, 64);
	crypto_generichash_final(&st, h, 32);
	assert_memory_equal(s.h_inner, h, 32);
	free(ct);
	env1_sealed_free(&s);
}

static void
test_roundtrip_sizes(void **state)
{
	struct world *w = *state;
	static const size_t sizes[] = { 0, 1, 379, 1000, 65536, ENV1_MAX_INLINE };
	uint8_t *big = malloc(ENV1_MAX_INLINE);

	assert_non_null(big);
	fixture_bytes("seal/big", big, ENV1_MAX_INLINE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct env1_seal_params p = w->p;
		struct env1_sealed s;
		struct env1_opened o;
		uint8_t digest[32];

		p.body = sizes[i] > 0 ? big : NULL;
		p.body_len = sizes[i];
		p.eph_sk = NULL;        /* random, as in production */
		p.nonce = NULL;
		assert_int_equal(seal_ab(w, &p, &s), ENV1_OK);
		assert_int_equal(s.env_len, ENV1_OVERHEAD + sizes[i]);
		assert_int_equal(env1_open(&w->ctx_b, s.env, s.env_len, &o), ENV1_OK);
		assert_int_equal(o.body_len, sizes[i]);
		assert_int_equal(o.inner_len, 380 + sizes[i]);
		assert_ptr_equal(o.body, o.inner + 380);
		if (sizes[i] > 0)
			assert_memory_equal(o.body, big, sizes[i]);
		assert_memory_equal(o.inner, s.tbs, 316);
		assert_memory_equal(o.inner + 316, s.sig, 64);
		assert_memory_equal(o.h_env, s.h_env, 32);
		assert_memory_equal(o.h_inner, s.h_inner, 32);
		assert_memory_equal(o.hdr.message_id, p.message_id, 16);
		assert_memory_equal(o.tbs.sender_rik, w->a.rik_pk, 32);
		assert_memory_equal(o.tbs.signer_dsk, w->a.id.dsk_pub, 32);
		assert_int_equal(o.tbs.body_len, sizes[i]);
		assert_int_equal(o.tbs.seq, 1);
		env1_semantic_digest(&o.tbs, digest);
		assert_memory_equal(o.semantic, digest, 32);
		env1_opened_free(&o);
		assert_null(o.inner);
		env1_sealed_free(&s);
		assert_null(s.env);
	}
	free(big);
}

static void
test_refuses_bad_params(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p = w->p;
	uint8_t *big = calloc(1, ENV1_MAX_INLINE + 1);

	assert_non_null(big);
	p.body = big;
	p.body_len = ENV1_MAX_INLINE + 1;
	expect_seal_refused(w, &w->b.prekey.stmt, &p, FIXTURE_NOW, ENV1_R_BODY_LEN);
	p = w->p;
	p.seq = 0;
	expect_seal_refused(w, &w->b.prekey.stmt, &p, FIXTURE_NOW, ENV1_R_INVALID_ARG);
	p = w->p;
	p.msg_type = 0x0008;
	expect_seal_refused(w, &w->b.prekey.stmt, &p, FIXTURE_NOW, ENV1_R_MSG_TYPE);
	p.msg_type = 0;
	expect_seal_refused(w, &w->b.prekey.stmt, &p, FIXTURE_NOW, ENV1_R_MSG_TYPE);
	p = w->p;
	p.body = NULL;
	expect_seal_refused(w, &w->b.prekey.stmt, &p, FIXTURE_NOW, ENV1_R_INVALID_ARG);
	free(big);
}

static void
test_deterministic(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p = w->p;
	struct env1_sealed s1, s2, s3;

	assert_int_equal(seal_ab(w, &p, &s1), ENV1_OK);
	assert_int_equal(seal_ab(w, &p, &s2), ENV1_OK);
	assert_int_equal(s1.env_len, s2.env_len);
	assert_memory_equal(s1.env, s2.env, s1.env_len);
	assert_memory_equal(s1.h_env, s2.h_env, 32);
	/* Random ephemeral and nonce: a different envelope, same signed
	 * message apart from hdr_hash. */
	p.eph_sk = NULL;
	p.nonce = NULL;
	assert_int_equal(seal_ab(w, &p, &s3), ENV1_OK);
	assert_memory_not_equal(s1.env + 114, s3.env + 114, 32);
	assert_memory_not_equal(s1.env + 146, s3.env + 146, 24);
	assert_memory_not_equal(s1.h_env, s3.h_env, 32);
	assert_memory_equal(s1.tbs, s3.tbs, 106);
	assert_memory_not_equal(s1.tbs + 106, s3.tbs + 106, 32);
	assert_memory_equal(s1.tbs + 138, s3.tbs + 138, 316 - 138);
	env1_sealed_free(&s1);
	env1_sealed_free(&s2);
	env1_sealed_free(&s3);
	env1_sealed_free(NULL);
	env1_opened_free(NULL);
}

/* expires_at is stored as given; 0 stays 0 (MAX_AGE applies). */
static void
test_expires_at_verbatim(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p = w->p;
	struct env1_sealed s;
	struct env1_header h;

	assert_int_equal(seal_ab(w, &p, &s), ENV1_OK);
	assert_int_equal(env1_header_parse(s.env, s.env_len, &h), ENV1_OK);
	assert_int_equal(h.expires_at, 0);
	assert_int_equal(h.created_at, FIXTURE_NOW);
	env1_sealed_free(&s);
	p.expires_at = FIXTURE_NOW + 3600000;
	assert_int_equal(seal_ab(w, &p, &s), ENV1_OK);
	assert_int_equal(env1_header_parse(s.env, s.env_len, &h), ENV1_OK);
	assert_int_equal(h.expires_at, FIXTURE_NOW + 3600000);
	assert_int_equal(h.ct_len, s.env_len - 206);
	assert_int_equal(h.spk_id, w->b.prekey.stmt.spk_id);
	env1_sealed_free(&s);
}

/* Re-sign a prekey statement of B's after editing it. */
static void
resign_spk(struct world *w, struct stmt_spk *s, const uint8_t *dsk_sk)
{
	assert_int_equal(stmt_spk_sign(s, dsk_sk != NULL ? dsk_sk : w->b.id.dsk_sk),
	    ENV1_OK);
}

/* Negative test 18: seal refuses every prekey it cannot vouch for. */
static void
test_18_prekey_refusals(void **state)
{
	struct world *w = *state;
	struct stmt_spk s;
	struct stmt_dsk_cert cert;
	uint8_t pk[32], sk[64], seed[32];
	static const uint8_t order8[32] = {
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
	};

	/* The unmodified prekey is accepted: each refusal below is its own. */
	s = w->b.prekey.stmt;
	{
		struct env1_sealed ok;

		assert_int_equal(seal_ab(w, &w->p, &ok), ENV1_OK);
		env1_sealed_free(&ok);
	}
	/* A bad signature. */
	s.sig[10] ^= 0x01;
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_STMT_SIGNATURE);
	/* Owned by another agency (signed properly by B's DSK). */
	s = w->b.prekey.stmt;
	memcpy(s.owner_rik, w->c.rik_pk, 32);
	resign_spk(w, &s, NULL);
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_PREKEY_OWNER);
	/* Outside [not_before, not_after - 1 h]. */
	s = w->b.prekey.stmt;
	expect_seal_refused(w, &s, &w->p, s.not_after - ENV1_PREKEY_MARGIN_MS + 1,
	    ENV1_R_PREKEY_VALIDITY);
	expect_seal_refused(w, &s, &w->p, s.not_after + 1, ENV1_R_PREKEY_VALIDITY);
	expect_seal_refused(w, &s, &w->p, s.not_before - 1, ENV1_R_PREKEY_VALIDITY);
	s.not_before = FIXTURE_NOW + FIXTURE_DAY;
	resign_spk(w, &s, NULL);
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_PREKEY_VALIDITY);
	/* A low-order X25519 public key. */
	s = w->b.prekey.stmt;
	memcpy(s.spk_pub, order8, 32);
	resign_spk(w, &s, NULL);
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_PREKEY_POINT);
	/* Signed by a DSK of B's certified for MSG only. */
	fixture_bytes("beta/dsk-msg-only", seed, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	memset(&cert, 0, sizeof(cert));
	memcpy(cert.issuer_rik, w->b.rik_pk, 32);
	memcpy(cert.dsk_pub, pk, 32);
	cert.serial = 2;
	cert.not_before = FIXTURE_NOW - FIXTURE_DAY;
	cert.not_after = FIXTURE_NOW + 300 * FIXTURE_DAY;
	cert.usage = STMT_USAGE_MSG;
	assert_int_equal(stmt_cert_sign(&cert, w->b.rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_cert(&w->a_sees_b, &cert), ENV1_OK);
	s = w->b.prekey.stmt;
	memcpy(s.signer_dsk, pk, 32);
	resign_spk(w, &s, sk);
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_PREKEY_USAGE);
	/* Signed by a DSK nobody certified. */
	fixture_bytes("beta/dsk-uncertified", seed, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(s.signer_dsk, pk, 32);
	resign_spk(w, &s, sk);
	expect_seal_refused(w, &s, &w->p, FIXTURE_NOW, ENV1_R_PREKEY_USAGE);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed, sizeof(seed));
}

/* A prekey revoked by its owner, and a peer that requires suite 2. */
static void
test_18_revoked_prekey_and_min_suite(void **state)
{
	struct world *w = *state;
	struct stmt_revocation rv;

	w->a_sees_b.min_suite = ENV1_SUITE_XWING;
	expect_seal_refused(w, &w->b.prekey.stmt, &w->p, FIXTURE_NOW, ENV1_R_SUITE);
	w->a_sees_b.min_suite = ENV1_SUITE_X25519;

	memset(&rv, 0, sizeof(rv));
	memcpy(rv.issuer_rik, w->b.rik_pk, 32);
	memcpy(rv.revoked_key, w->b.prekey.stmt.spk_pub, 32);
	rv.kind = STMT_REVOKE_SPK;
	rv.revoked_at = FIXTURE_NOW - 1;
	rv.reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(&rv, w->b.rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(&w->a_sees_b, &rv), ENV1_OK);
	expect_seal_refused(w, &w->b.prekey.stmt, &w->p, FIXTURE_NOW,
	    ENV1_R_PREKEY_REVOKED);
}

/*
 * 13/14 belong to the daemon's ledger; what this layer owes it is a
 * digest that is equal for a retransmission (same message, new envelope:
 * new ephemeral, nonce, created_at, prekey) and differs when a semantic
 * field changes.
 */
static void
test_semantic_digest(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p = w->p;
	struct env1_sealed s1, s2;
	struct env1_opened o1, o2;
	struct env1_tbs t;
	uint8_t d[32];

	assert_int_equal(seal_ab(w, &p, &s1), ENV1_OK);
	p.eph_sk = NULL;
	p.nonce = NULL;
	p.created_at = FIXTURE_NOW + 60000;
	assert_int_equal(seal_ab(w, &p, &s2), ENV1_OK);
	fixture_open_ctx(&w->inbox_b, FIXTURE_NOW + 60000, &w->ctx_b);
	assert_int_equal(env1_open(&w->ctx_b, s1.env, s1.env_len, &o1), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, s2.env, s2.env_len, &o2), ENV1_OK);
	assert_memory_not_equal(o1.h_env, o2.h_env, 32);
	assert_memory_not_equal(o1.h_inner, o2.h_inner, 32);
	assert_memory_equal(o1.semantic, o2.semantic, 32);

	/* Each semantic field changes the digest; the envelope-bound fields
	 * do not. */
	t = o1.tbs;
	t.seq++;
	env1_semantic_digest(&t, d);
	assert_memory_not_equal(d, o1.semantic, 32);
	t = o1.tbs;
	t.content_hash[0] ^= 1;
	env1_semantic_digest(&t, d);
	assert_memory_not_equal(d, o1.semantic, 32);
	t = o1.tbs;
	t.msg_type = ENV1_MSG_FOLLOW_UP_REPORT;
	env1_semantic_digest(&t, d);
	assert_memory_not_equal(d, o1.semantic, 32);
	t = o1.tbs;
	t.prev_hash[31] ^= 1;
	env1_semantic_digest(&t, d);
	assert_memory_not_equal(d, o1.semantic, 32);
	t = o1.tbs;
	t.body_len++;
	env1_semantic_digest(&t, d);
	assert_memory_not_equal(d, o1.semantic, 32);
	t = o1.tbs;
	t.created_at++;
	t.hdr_hash[0] ^= 1;
	env1_semantic_digest(&t, d);
	assert_memory_equal(d, o1.semantic, 32);
	env1_opened_free(&o1);
	env1_opened_free(&o2);
	env1_sealed_free(&s2);

	/* Sealed with another seq or content: a different digest. */
	p = w->p;
	p.seq = 2;
	assert_int_equal(seal_ab(w, &p, &s2), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, s2.env, s2.env_len, &o2), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, s1.env, s1.env_len, &o1), ENV1_OK);
	assert_memory_not_equal(o1.semantic, o2.semantic, 32);
	env1_opened_free(&o2);
	env1_sealed_free(&s2);
	p = w->p;
	p.body_len--;
	assert_int_equal(seal_ab(w, &p, &s2), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, s2.env, s2.env_len, &o2), ENV1_OK);
	assert_memory_not_equal(o1.semantic, o2.semantic, 32);
	env1_opened_free(&o1);
	env1_opened_free(&o2);
	env1_sealed_free(&s1);
	env1_sealed_free(&s2);
}

static void
test_tbs_codec(void **state)
{
	struct world *w = *state;
	struct env1_sealed s;
	struct env1_tbs t;
	uint8_t b[316];

	assert_int_equal(seal_ab(w, &w->p, &s), ENV1_OK);
	assert_int_equal(env1_tbs_decode(s.tbs, &t), ENV1_OK);
	assert_int_equal(t.msg_type, ENV1_MSG_TEST_DOCUMENT);
	assert_int_equal(t.body_len, sizeof(w->body));
	assert_memory_equal(t.thread_id, w->p.thread_id, 16);
	env1_tbs_encode(&t, b);
	assert_memory_equal(b, s.tbs, 316);
	b[15] ^= 0x01;
	assert_int_equal(env1_tbs_decode(b, &t), ENV1_R_DOMAIN);
	assert_true(all_zero(&t, sizeof(t)));
	env1_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_matches_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expires_at_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_18_prekey_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_18_revoked_prekey_and_min_suite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_semantic_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tbs_codec, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
