/*
 * Unit tests: opening ENV1 envelopes, the inner checks (keys/envelope.c,
 * crypto-env1.md 2.7 steps 10 to 14).  Most of these envelopes cannot be
 * made with env1_seal: the harness "knows k_enc" and re-encrypts a chosen
 * plaintext (craft() below derives the keys from a known ephemeral secret
 * as a sender does), so the AEAD passes and the inner check under test is
 * the one that refuses.  Test names carry the number of the negative test
 * of crypto-env1.md section 5.
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
#include "keys/receipt.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

struct world {
	struct fixture_agency   a, b, c, d, e;  /* e is pinned by nobody */
	struct peerkeys         a_sees_b;
	struct fixture_inbox    inbox_b;        /* B pins A (peers[0]) and D */
	struct fixture_inbox    inbox_c;        /* C pins A and B */
	struct env1_open_ctx    ctx_b, ctx_c;
	uint8_t                 eph_sk[32];
	uint8_t                 nonce[24];
	uint8_t                 body[64];
	struct env1_seal_params p;
	struct env1_sealed      s;              /* A -> B */
	uint8_t                *inner;          /* its plaintext, as B sees it */
	size_t                  inner_len;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct env1_opened o;

	assert_non_null(w);
	fixture_agency_make(&w->a, "alpha", FIXTURE_NOW);
	fixture_agency_make(&w->b, "beta", FIXTURE_NOW);
	fixture_agency_make(&w->c, "gamma", FIXTURE_NOW);
	fixture_agency_make(&w->d, "delta", FIXTURE_NOW);
	fixture_agency_make(&w->e, "epsilon", FIXTURE_NOW);
	fixture_peerkeys(&w->b, &w->a_sees_b);
	fixture_inbox_init(&w->inbox_b, &w->b);
	fixture_inbox_pin(&w->inbox_b, &w->a);
	fixture_inbox_pin(&w->inbox_b, &w->d);
	fixture_inbox_init(&w->inbox_c, &w->c);
	fixture_inbox_pin(&w->inbox_c, &w->a);
	fixture_inbox_pin(&w->inbox_c, &w->b);
	fixture_open_ctx(&w->inbox_b, FIXTURE_NOW, &w->ctx_b);
	fixture_open_ctx(&w->inbox_c, FIXTURE_NOW, &w->ctx_c);
	fixture_bytes("inner/eph", w->eph_sk, sizeof(w->eph_sk));
	fixture_bytes("inner/nonce", w->nonce, sizeof(w->nonce));
	fixture_bytes("inner/body", w->body, sizeof(w->body));
	fixture_seal_params(&w->p, "inner", ENV1_MSG_TEST_DOCUMENT, 1, w->body,
	    sizeof(w->body), FIXTURE_NOW);
	w->p.eph_sk = w->eph_sk;
	w->p.nonce = w->nonce;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt,
	    &w->p, FIXTURE_NOW, &w->s), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, w->s.env, w->s.env_len, &o), ENV1_OK);
	w->inner_len = o.inner_len;
	w->inner = malloc(o.inner_len);
	assert_non_null(w->inner);
	memcpy(w->inner, o.inner, o.inner_len);
	env1_opened_free(&o);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	free(w->inner);
	env1_sealed_free(&w->s);
	fixture_inbox_free(&w->inbox_b);
	fixture_inbox_free(&w->inbox_c);
	peerkeys_clear(&w->a_sees_b);
	fixture_agency_free(&w->a);
	fixture_agency_free(&w->b);
	fixture_agency_free(&w->c);
	fixture_agency_free(&w->d);
	fixture_agency_free(&w->e);
	free(w);
	return 0;
}

/*
 * Test-only: an envelope with header hdr (its enc, kc and ct_len are
 * filled in here) and any plaintext, encrypted to spk_pub from the
 * ephemeral secret eph_sk, deriving the keys as 2.5 says.  malloc'ed.
 */
static uint8_t *
craft(uint8_t hdr[206], const uint8_t eph_sk[32], const uint8_t spk_pub[32],
    const uint8_t *inner, size_t inner_len, size_t *len)
{
	crypto_generichash_state st;
	uint8_t ss[32], k_root[32], k_enc[32], *env;

	crypto_scalarmult_base(hdr + 114, eph_sk);
	be32_put(hdr + 202, (uint32_t)(inner_len + 16));
	assert_int_equal(crypto_scalarmult(ss, eph_sk, spk_pub), 0);
	crypto_generichash_init(&st, ss, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/root\0", 10);
	crypto_generichash_update(&st, hdr, 146);
	crypto_generichash_update(&st, spk_pub, 32);
	crypto_generichash_final(&st, k_root, 32);
	crypto_kdf_derive_from_key(k_enc, 32, 1, "ENV1_ENC", k_root);
	crypto_kdf_derive_from_key(hdr + 170, 32, 1, "ENV1_COM", k_root);
	*len = 206 + inner_len + 16;
	env = malloc(*len);
	assert_non_null(env);
	memcpy(env, hdr, 206);
	crypto_aead_xchacha20poly1305_ietf_encrypt(env + 206, NULL, inner,
	    inner_len, hdr, 206, NULL, hdr + 146, k_enc);
	return env;
}

/* TBS hdr_hash for a header whose prefix (enc included) is final. */
static void
set_hdr_hash(uint8_t *inner, const uint8_t hdr[206])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/hdr\0", 9);
	crypto_generichash_update(&st, hdr, 146);
	crypto_generichash_final(&st, inner + 106, 32);
}

static void
resign(uint8_t *inner, const uint8_t *dsk_sk)
{
	crypto_sign_detached(inner + 316, NULL, inner, 316, dsk_sk);
}

/* Re-encrypt a modified copy of A -> B's plaintext in A -> B's header. */
static uint8_t *
rewrap_ab(struct world *w, const uint8_t *inner, size_t inner_len, size_t *len)
{
	uint8_t hdr[206];

	memcpy(hdr, w->s.env, 206);
	return craft(hdr, w->eph_sk, w->b.prekey.stmt.spk_pub, inner, inner_len, len);
}

static void
expect_reject(const struct env1_open_ctx *ctx, const uint8_t *env, size_t len,
    int reason)
{
	struct env1_opened o;

	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(env1_open(ctx, env, len, &o), reason);
	assert_null(o.inner);
	assert_null(o.body);
	for (size_t i = 0; i < sizeof(o); i++)
		assert_int_equal(((uint8_t *)&o)[i], 0);
}

/* Modify A -> B's plaintext with f, re-encrypt, expect reason from B. */
static void
expect_inner_reject(struct world *w, uint8_t *inner, size_t inner_len, int reason)
{
	size_t len;
	uint8_t *env = rewrap_ab(w, inner, inner_len, &len);
	unsigned long before = env1_aead_attempts();

	expect_reject(&w->ctx_b, env, len, reason);
	assert_int_equal(env1_aead_attempts() - before, 1);        /* it decrypted */
	free(env);
}

static uint8_t *
inner_copy(const struct world *w)
{
	uint8_t *p = malloc(w->inner_len + 64);

	assert_non_null(p);
	memcpy(p, w->inner, w->inner_len);
	return p;
}

/* The harness is faithful: unchanged inputs give seal's bytes exactly. */
static void
test_craft_reproduces_seal(void **state)
{
	struct world *w = *state;
	size_t len;
	uint8_t *env = rewrap_ab(w, w->inner, w->inner_len, &len);

	assert_int_equal(len, w->s.env_len);
	assert_memory_equal(env, w->s.env, len);
	free(env);
}

/* 4: body_len in the TBS lies about the plaintext, or exceeds MAX_INLINE. */
static void
test_04_lying_body_len(void **state)
{
	struct world *w = *state;
	static const uint64_t lies[] = { 63, 65, 0, ENV1_MAX_INLINE,
	    ENV1_MAX_INLINE + 1ull, UINT64_MAX };
	uint8_t *in = inner_copy(w);

	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		be64_put(in + 308, lies[i]);
		resign(in, w->a.id.dsk_sk);     /* even signed, it is refused */
		expect_inner_reject(w, in, w->inner_len, ENV1_R_BODY_LEN);
	}
	/* The right TBS, one byte more or less of body. */
	memcpy(in, w->inner, w->inner_len);
	in[w->inner_len] = 0;
	expect_inner_reject(w, in, w->inner_len + 1, ENV1_R_BODY_LEN);
	expect_inner_reject(w, in, w->inner_len - 1, ENV1_R_BODY_LEN);
	free(in);
}

/* 6 (Davis): B re-wraps A's TBS || sig || body to C. */
static void
test_06_surreptitious_forwarding(void **state)
{
	struct world *w = *state;
	uint8_t hdr[206], eph2[32], *env, *in;
	size_t len;

	fixture_bytes("inner/beta-eph", eph2, 32);
	/* Still "from A" (C pins A), now "to C", with C's prekey. */
	memcpy(hdr, w->s.env, 206);
	memcpy(hdr + 72, w->c.rik_pk, 32);
	be64_put(hdr + 104, w->c.prekey.stmt.spk_id);
	env = craft(hdr, eph2, w->c.prekey.stmt.spk_pub, w->inner, w->inner_len, &len);
	expect_reject(&w->ctx_c, env, len, ENV1_R_INNER_MISMATCH);
	free(env);
	/* From B in the header: the TBS still names A as the sender. */
	memcpy(hdr + 40, w->b.rik_pk, 32);
	env = craft(hdr, eph2, w->c.prekey.stmt.spk_pub, w->inner, w->inner_len, &len);
	expect_reject(&w->ctx_c, env, len, ENV1_R_INNER_MISMATCH);
	free(env);
	/* Every named field equal (re-wrapped to B itself, new ephemeral):
	 * hdr_hash ties the signature to the original envelope. */
	memcpy(hdr, w->s.env, 206);
	env = craft(hdr, eph2, w->b.prekey.stmt.spk_pub, w->inner, w->inner_len, &len);
	expect_reject(&w->ctx_b, env, len, ENV1_R_HDR_HASH);
	free(env);
	/* B rewrites the TBS for C as well: A's signature no longer holds. */
	memcpy(hdr + 72, w->c.rik_pk, 32);
	be64_put(hdr + 104, w->c.prekey.stmt.spk_id);
	crypto_scalarmult_base(hdr + 114, eph2);
	in = inner_copy(w);
	memcpy(in + 74, w->c.rik_pk, 32);
	set_hdr_hash(in, hdr);
	env = craft(hdr, eph2, w->c.prekey.stmt.spk_pub, in, w->inner_len, &len);
	expect_reject(&w->ctx_c, env, len, ENV1_R_SIGNATURE);
	free(env);
	free(in);
}

/* Seal with any RIK / DSK combination (an attacker's own code). */
static int
seal_as(struct world *w, const uint8_t rik[32], const uint8_t dsk_pub[32],
    uint8_t *dsk_sk, uint64_t created_at, struct env1_sealed *s)
{
	struct env1_identity id;
	struct env1_seal_params p = w->p;

	memset(&id, 0, sizeof(id));
	memcpy(id.rik_pub, rik, 32);
	memcpy(id.dsk_pub, dsk_pub, 32);
	id.dsk_sk = dsk_sk;
	p.created_at = created_at;
	return env1_seal(&id, &w->a_sees_b, &w->b.prekey.stmt, &p, FIXTURE_NOW, s);
}

static void
expect_sealed_reject(struct world *w, const uint8_t rik[32],
    const uint8_t dsk_pub[32], uint8_t *dsk_sk, uint64_t created_at, int reason)
{
	struct env1_sealed s;

	assert_int_equal(seal_as(w, rik, dsk_pub, dsk_sk, created_at, &s), ENV1_OK);
	expect_reject(&w->ctx_b, s.env, s.env_len, reason);
	env1_sealed_free(&s);
}

/* 7: the header says A; D's certified DSK signed. */
static void
test_07_sender_spoof(void **state)
{
	struct world *w = *state;
	uint8_t *in;

	expect_sealed_reject(w, w->a.rik_pk, w->d.id.dsk_pub, w->d.id.dsk_sk,
	    FIXTURE_NOW, ENV1_R_CERT_UNKNOWN);
	/* The TBS honestly names D: the header and TBS disagree. */
	in = inner_copy(w);
	memcpy(in + 42, w->d.rik_pk, 32);
	memcpy(in + 138, w->d.id.dsk_pub, 32);
	resign(in, w->d.id.dsk_sk);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_INNER_MISMATCH);
	free(in);
}

/* A fresh DSK for tests: sk is 64 bytes of secret memory. */
static uint8_t *
make_dsk(const char *label, uint8_t pk[32])
{
	uint8_t seed[32], *sk = secret_alloc(64);

	assert_non_null(sk);
	fixture_bytes(label, seed, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return sk;
}

static void
make_cert(const struct fixture_agency *issuer, const uint8_t dsk_pub[32],
    uint64_t nb, uint64_t na, uint16_t usage, struct stmt_dsk_cert *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->issuer_rik, issuer->rik_pk, 32);
	memcpy(c->dsk_pub, dsk_pub, 32);
	c->serial = 7;
	c->not_before = nb;
	c->not_after = na;
	c->usage = usage;
	assert_int_equal(stmt_cert_sign(c, issuer->rik_sk), ENV1_OK);
}

/* 8: no certificate; one from a non-pinned RIK; a forged one; no MSG. */
static void
test_08_uncertified_signer(void **state)
{
	struct world *w = *state;
	struct peerkeys *view_a = &w->inbox_b.peers[0];
	struct stmt_dsk_cert c;
	uint8_t pk[32], *sk = make_dsk("inner/alpha-dsk2", pk);
	uint64_t nb = FIXTURE_NOW - FIXTURE_DAY, na = FIXTURE_NOW + FIXTURE_DAY;

	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_UNKNOWN);
	/* Certified by E, whom B has not pinned: never stored under A. */
	make_cert(&w->e, pk, nb, na, STMT_USAGE_MSG, &c);
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_R_STMT_ISSUER);
	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_UNKNOWN);
	expect_sealed_reject(w, w->e.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_UNKNOWN_SENDER);
	/* Claiming A as issuer with a bad signature. */
	make_cert(&w->a, pk, nb, na, STMT_USAGE_MSG, &c);
	c.sig[0] ^= 0x01;
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_R_STMT_SIGNATURE);
	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_UNKNOWN);
	/* A real certificate from A, without MSG usage. */
	make_cert(&w->a, pk, nb, na, STMT_USAGE_PREKEY | STMT_USAGE_RELAY_HOP, &c);
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_OK);
	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_USAGE);
	/* With MSG it would pass: the refusals above were about the cert. */
	make_cert(&w->a, pk, nb, na, STMT_USAGE_MSG, &c);
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_OK);
	{
		struct env1_sealed s;
		struct env1_opened o;

		assert_int_equal(seal_as(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, &s), ENV1_OK);
		assert_int_equal(env1_open(&w->ctx_b, s.env, s.env_len, &o), ENV1_OK);
		env1_opened_free(&o);
		env1_sealed_free(&s);
	}
	secret_free(sk);
}

/* 9: expired / not yet valid at created_at; revoked, even backdated. */
static void
test_09_cert_validity(void **state)
{
	struct world *w = *state;
	struct peerkeys *view_a = &w->inbox_b.peers[0];
	struct stmt_dsk_cert c;
	struct stmt_revocation rv;
	uint8_t pk[32], *sk = make_dsk("inner/alpha-dsk3", pk);
	struct env1_sealed s;

	make_cert(&w->a, pk, FIXTURE_NOW - 10 * FIXTURE_DAY, FIXTURE_NOW - 1, STMT_USAGE_MSG, &c);
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_OK);
	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_VALIDITY);
	secret_free(sk);
	sk = make_dsk("inner/alpha-dsk4", pk);
	make_cert(&w->a, pk, FIXTURE_NOW + 1, FIXTURE_NOW + 100 * FIXTURE_DAY, STMT_USAGE_MSG, &c);
	assert_int_equal(peerkeys_add_cert(view_a, &c), ENV1_OK);
	expect_sealed_reject(w, w->a.rik_pk, pk, sk, FIXTURE_NOW, ENV1_R_CERT_VALIDITY);
	secret_free(sk);

	/* A revokes its DSK: refused from then on, whatever created_at says. */
	assert_int_equal(seal_as(w, w->a.rik_pk, w->a.id.dsk_pub, w->a.id.dsk_sk,
	    FIXTURE_NOW - 2 * FIXTURE_DAY, &s), ENV1_OK);
	{
		struct env1_opened o;

		assert_int_equal(env1_open(&w->ctx_b, s.env, s.env_len, &o), ENV1_OK);
		env1_opened_free(&o);
	}
	memset(&rv, 0, sizeof(rv));
	memcpy(rv.issuer_rik, w->a.rik_pk, 32);
	memcpy(rv.revoked_key, w->a.id.dsk_pub, 32);
	rv.kind = STMT_REVOKE_DSK;
	rv.revoked_at = FIXTURE_NOW - FIXTURE_DAY;
	rv.reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(&rv, w->a.rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(view_a, &rv), ENV1_OK);
	expect_reject(&w->ctx_b, w->s.env, w->s.env_len, ENV1_R_CERT_REVOKED);
	expect_reject(&w->ctx_b, s.env, s.env_len, ENV1_R_CERT_REVOKED);
	env1_sealed_free(&s);
}

/* Little-endian S + L (the group order): the same scalar, non-canonical. */
static void
add_l(uint8_t s[32])
{
	static const uint8_t L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
		0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0x10,
	};
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		carry += (unsigned)s[i] + L[i];
		s[i] = (uint8_t)carry;
		carry >>= 8;
	}
	assert_int_equal(carry, 0);
}

/* Ed25519 encodings: the identity (order 1), an order-4 point (y = 0),
 * a point of order 8, and non-canonical y >= p. */
static const uint8_t ED_IDENTITY[32] = { 1 };
static const uint8_t ED_ORDER4[32] = { 0 };
static const uint8_t ED_ORDER8[32] = {
	0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76,
	0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
	0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
};

static void
noncanonical(uint8_t p[32], uint8_t low)
{
	memset(p, 0xff, 32);
	p[0] = low;             /* 0xee: p + 1 (y = 1); 0xf0: p + 3 */
	p[31] = 0x7f;
}

/* 10: bit flips, S + L, small-order R, zero signature, weak signer keys. */
static void
test_10_signature_edges(void **state)
{
	struct world *w = *state;
	static const size_t flips[] = { 0, 17, 31, 32, 50, 63 };
	const uint8_t *small_r[] = { ED_IDENTITY, ED_ORDER4, ED_ORDER8 };
	uint8_t *in = inner_copy(w), key[32];
	struct stmt_dsk_cert c;
	uint64_t nb = FIXTURE_NOW - FIXTURE_DAY, na = FIXTURE_NOW + FIXTURE_DAY;

	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		in[316 + flips[i]] ^= 0x04;
		expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);
		in[316 + flips[i]] ^= 0x04;
	}
	add_l(in + 316 + 32);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);
	memcpy(in + 316, w->inner + 316, 64);
	for (size_t i = 0; i < 3; i++) {
		memcpy(in + 316, small_r[i], 32);
		expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);
	}
	memset(in + 316, 0, 64);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);

	/* Weak signer keys: first uncertified, then even certified by A.
	 * (R, S) = (identity, 0) "verifies" under the identity key in a
	 * verifier that skips the small-order checks. */
	for (int k = 0; k < 5; k++) {
		if (k < 3)
			memcpy(key, small_r[k], 32);
		else
			noncanonical(key, k == 3 ? 0xee : 0xf0);
		memcpy(in, w->inner, w->inner_len);
		memcpy(in + 138, key, 32);
		memcpy(in + 316, ED_IDENTITY, 32);
		memset(in + 348, 0, 32);
		expect_inner_reject(w, in, w->inner_len, ENV1_R_CERT_UNKNOWN);
		make_cert(&w->a, key, nb, na, STMT_USAGE_MSG, &c);
		assert_int_equal(peerkeys_add_cert(&w->inbox_b.peers[0], &c), ENV1_OK);
		expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);
	}
	free(in);
}

/* 11: DSK signatures from other domains presented as a message. */
static void
test_11_cross_domain(void **state)
{
	struct world *w = *state;
	uint8_t *in = calloc(1, 380), spk[STMT_SPK_LEN], cert[STMT_CERT_LEN];
	uint8_t rb[RECEIPT_BODY_LEN];
	struct receipt r;
	struct stmt_spk s;
	struct stmt_dsk_cert dc;
	uint8_t *msg;

	assert_non_null(in);
	/* A's prekey statement, signed by A's DSK, as TBS || sig. */
	stmt_spk_encode(&w->a.prekey.stmt, spk);
	assert_memory_equal(w->a.prekey.stmt.signer_dsk, w->a.id.dsk_pub, 32);
	memcpy(in, spk, STMT_SPK_BODY_LEN);
	memcpy(in + 316, spk + STMT_SPK_BODY_LEN, 64);
	expect_inner_reject(w, in, 380, ENV1_R_DOMAIN);
	/* A receipt body and a certificate body, signed by A's DSK. */
	memset(&r, 0x11, sizeof(r));
	r.status = RECEIPT_STATUS_STORED;
	receipt_encode(&r, rb);
	memset(in, 0, 380);
	memcpy(in, rb, sizeof(rb));
	crypto_sign_detached(in + 316, NULL, rb, sizeof(rb), w->a.id.dsk_sk);
	expect_inner_reject(w, in, 380, ENV1_R_DOMAIN);
	stmt_cert_encode(&w->a.id.cert, cert);
	memset(in, 0, 380);
	memcpy(in, cert, STMT_CERT_BODY_LEN);
	crypto_sign_detached(in + 316, NULL, cert, STMT_CERT_BODY_LEN, w->a.id.dsk_sk);
	expect_inner_reject(w, in, 380, ENV1_R_DOMAIN);
	free(in);
	/* The right TBS with the prekey statement's signature. */
	in = inner_copy(w);
	memcpy(in + 316, spk + STMT_SPK_BODY_LEN, 64);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);
	free(in);

	/* The reverse: a message TBS || sig offered as other statements. */
	msg = w->inner;
	assert_int_equal(stmt_spk_decode(msg, STMT_SPK_LEN, &s), ENV1_R_MALFORMED);
	assert_int_equal(stmt_spk_decode(msg, 380, &s), ENV1_R_MALFORMED);
	assert_int_equal(stmt_cert_decode(msg, STMT_CERT_LEN, &dc), ENV1_R_MALFORMED);
	assert_int_equal(receipt_decode(msg, RECEIPT_BODY_LEN, &r), ENV1_R_RECEIPT_BODY);
	assert_int_equal(receipt_decode(msg, 316, &r), ENV1_R_RECEIPT_BODY);
	/* Even forced into a prekey statement, the signature is over a TBS. */
	s = w->a.prekey.stmt;
	memcpy(s.sig, msg + 316, 64);
	assert_int_equal(stmt_spk_verify(&s), ENV1_R_STMT_SIGNATURE);
}

static int check_body_calls;
static uint16_t check_body_type;

static int
check_body_refuse(void *arg, uint16_t msg_type, const uint8_t *body, size_t len)
{
	(void)arg;
	(void)body;
	(void)len;
	check_body_calls++;
	check_body_type = msg_type;
	return -1;
}

static const uint8_t *check_body_seen;
static size_t check_body_len;

static int
check_body_accept(void *arg, uint16_t msg_type, const uint8_t *body, size_t len)
{
	(void)arg;
	check_body_calls++;
	check_body_type = msg_type;
	check_body_seen = body;
	check_body_len = len;
	return 0;
}

/* 12: body changed under the original TBS and signature; body of another
 * type than msg_type; and the types this layer knows itself. */
static void
test_12_content_and_type(void **state)
{
	struct world *w = *state;
	uint8_t *in = inner_copy(w);
	struct env1_open_ctx ctx = w->ctx_b;
	struct env1_seal_params p = w->p;
	struct env1_sealed s;
	struct env1_opened o;

	in[380] ^= 0x01;
	expect_inner_reject(w, in, w->inner_len, ENV1_R_CONTENT_HASH);
	fixture_bytes("inner/other-body", in + 380, 64);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_CONTENT_HASH);
	/* The signature is checked first. */
	in[316] ^= 0x01;
	expect_inner_reject(w, in, w->inner_len, ENV1_R_SIGNATURE);

	/* A type this implementation does not know, properly signed. */
	memcpy(in, w->inner, w->inner_len);
	be16_put(in + 170, 0x0999);
	resign(in, w->a.id.dsk_sk);
	expect_inner_reject(w, in, w->inner_len, ENV1_R_MSG_TYPE);
	free(in);

	/* A protobuf document type: the application's parser decides. */
	p.msg_type = ENV1_MSG_FOLLOW_UP_REPORT;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW, &s), ENV1_OK);
	ctx.check_body = check_body_refuse;
	check_body_calls = 0;
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_MSG_TYPE);
	assert_int_equal(check_body_calls, 1);
	assert_int_equal(check_body_type, ENV1_MSG_FOLLOW_UP_REPORT);
	ctx.check_body = check_body_accept;
	check_body_calls = 0;
	assert_int_equal(env1_open(&ctx, s.env, s.env_len, &o), ENV1_OK);
	assert_int_equal(check_body_calls, 1);
	assert_ptr_equal(check_body_seen, o.body);
	assert_int_equal(check_body_len, sizeof(w->body));
	env1_opened_free(&o);
	/* Without a parser the type cannot be checked: fail closed. */
	ctx.check_body = NULL;
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_MSG_TYPE);
	env1_sealed_free(&s);
	/* A test document is opaque: the parser is not asked. */
	ctx.check_body = check_body_refuse;
	check_body_calls = 0;
	assert_int_equal(env1_open(&ctx, w->s.env, w->s.env_len, &o), ENV1_OK);
	assert_int_equal(check_body_calls, 0);
	env1_opened_free(&o);

	/* DELIVERY_RECEIPT bodies are checked here, whatever check_body says. */
	p = w->p;
	p.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW, &s), ENV1_OK);
	ctx.check_body = check_body_accept;
	check_body_calls = 0;
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_MSG_TYPE);
	assert_int_equal(check_body_calls, 0);
	env1_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_craft_reproduces_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_04_lying_body_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_06_surreptitious_forwarding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_07_sender_spoof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_08_uncertified_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_09_cert_validity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_10_signature_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_11_cross_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_content_and_type, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
