/*
 * Unit tests: opening ENV1 envelopes, the outer checks (keys/envelope.c,
 * crypto-env1.md 2.7 steps 1 to 9): parsing with exact lengths, recipient,
 * sender, time window, replay fast path, prekeys, X25519 points, key
 * commitment and the AEAD.  Test names carry the number of the negative
 * test of crypto-env1.md section 5 they show.  Every rejection asserts the
 * reason and that no plaintext came back; checks that must happen before
 * the AEAD assert that the AEAD was not attempted.
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
	struct fixture_agency   a, b, c, d;
	struct peerkeys         a_sees_b, a_sees_c;
	struct fixture_inbox    inbox_b;        /* B pins A (peers[0]) and D */
	struct fixture_inbox    inbox_c;        /* C pins A and B */
	struct env1_open_ctx    ctx_b, ctx_c;   /* at FIXTURE_NOW */
	uint8_t                 eph_sk[32];
	uint8_t                 nonce[24];
	uint8_t                 body[64];
	struct env1_seal_params p;
	struct env1_sealed      s;              /* A -> B with p */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	fixture_agency_make(&w->a, "alpha", FIXTURE_NOW);
	fixture_agency_make(&w->b, "beta", FIXTURE_NOW);
	fixture_agency_make(&w->c, "gamma", FIXTURE_NOW);
	fixture_agency_make(&w->d, "delta", FIXTURE_NOW);
	fixture_peerkeys(&w->b, &w->a_sees_b);
	fixture_peerkeys(&w->c, &w->a_sees_c);
	fixture_inbox_init(&w->inbox_b, &w->b);
	fixture_inbox_pin(&w->inbox_b, &w->a);
	fixture_inbox_pin(&w->inbox_b, &w->d);
	fixture_inbox_init(&w->inbox_c, &w->c);
	fixture_inbox_pin(&w->inbox_c, &w->a);
	fixture_inbox_pin(&w->inbox_c, &w->b);
	fixture_open_ctx(&w->inbox_b, FIXTURE_NOW, &w->ctx_b);
	fixture_open_ctx(&w->inbox_c, FIXTURE_NOW, &w->ctx_c);
	fixture_bytes("open/eph", w->eph_sk, sizeof(w->eph_sk));
	fixture_bytes("open/nonce", w->nonce, sizeof(w->nonce));
	fixture_bytes("open/body", w->body, sizeof(w->body));
	fixture_seal_params(&w->p, "open", ENV1_MSG_TEST_DOCUMENT, 1, w->body,
	    sizeof(w->body), FIXTURE_NOW);
	w->p.eph_sk = w->eph_sk;
	w->p.nonce = w->nonce;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt,
	    &w->p, FIXTURE_NOW, &w->s), ENV1_OK);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	env1_sealed_free(&w->s);
	fixture_inbox_free(&w->inbox_b);
	fixture_inbox_free(&w->inbox_c);
	peerkeys_clear(&w->a_sees_b);
	peerkeys_clear(&w->a_sees_c);
	fixture_agency_free(&w->a);
	fixture_agency_free(&w->b);
	fixture_agency_free(&w->c);
	fixture_agency_free(&w->d);
	free(w);
	return 0;
}

/* A private copy of exactly len bytes, so ASan sees any overread. */
static uint8_t *
dup_env(const uint8_t *env, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	if (len > 0)
		memcpy(p, env, len);
	return p;
}

/* Refused with reason, *out all zero, and the AEAD run aead_runs times. */
static void
expect_reject(const struct env1_open_ctx *ctx, const uint8_t *env, size_t len,
    int reason, unsigned long aead_runs)
{
	struct env1_opened o;
	unsigned long before = env1_aead_attempts();

	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(env1_open(ctx, env, len, &o), reason);
	assert_int_equal(env1_aead_attempts() - before, aead_runs);
	assert_null(o.inner);
	assert_null(o.body);
	for (size_t i = 0; i < sizeof(o); i++)
		assert_int_equal(((uint8_t *)&o)[i], 0);
}

static void
expect_open(const struct env1_open_ctx *ctx, const uint8_t *env, size_t len)
{
	struct env1_opened o;

	assert_int_equal(env1_open(ctx, env, len, &o), ENV1_OK);
	assert_non_null(o.inner);
	env1_opened_free(&o);
}

/* The key schedule of 2.5, as an attacker or a harness would compute it. */
static void
derive(const uint8_t ss[32], const uint8_t *prefix, const uint8_t spk_pub[32],
    uint8_t k_enc[32], uint8_t kc[32])
{
	crypto_generichash_state st;
	uint8_t k_root[32];

	crypto_generichash_init(&st, ss, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/root\0", 10);
	crypto_generichash_update(&st, prefix, 146);
	crypto_generichash_update(&st, spk_pub, 32);
	crypto_generichash_final(&st, k_root, 32);
	crypto_kdf_derive_from_key(k_enc, 32, 1, "ENV1_ENC", k_root);
	crypto_kdf_derive_from_key(kc, 32, 1, "ENV1_COM", k_root);
}

static void
test_open_ok(void **state)
{
	struct world *w = *state;
	struct env1_opened o;
	unsigned long before = env1_aead_attempts();

	assert_int_equal(env1_open(&w->ctx_b, w->s.env, w->s.env_len, &o), ENV1_OK);
	assert_int_equal(env1_aead_attempts() - before, 1);
	assert_memory_equal(o.body, w->body, sizeof(w->body));
	assert_int_equal(o.hdr.ct_len, w->s.env_len - 206);
	assert_memory_equal(o.hdr.sender_rik, w->a.rik_pk, 32);
	env1_opened_free(&o);
	assert_null(o.inner);
	assert_int_equal(o.body_len, 0);
}

/* 1: a bit flipped in every byte of ct, tag included. */
static void
test_01_ct_bit_flips(void **state)
{
	struct world *w = *state;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	for (size_t i = 206; i < w->s.env_len; i++) {
		env[i] ^= (uint8_t)(1u << (i % 8));
		expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_AEAD, 1);
		env[i] ^= (uint8_t)(1u << (i % 8));
	}
	expect_open(&w->ctx_b, env, w->s.env_len);
	free(env);
}

/* 2: each header field, with the step that must catch it. */
static void
test_02_header_fields(void **state)
{
	struct world *w = *state;
	static const struct {
		const char     *field;
		size_t          off;
		uint8_t         xor;
		int             reason;
		unsigned long   aead;
	} cases[] = {
		{ "magic", 0, 0x01, ENV1_R_MAGIC, 0 },
		{ "version", 4, 0x01, ENV1_R_VERSION, 0 },
		{ "suite", 5, 0x02, ENV1_R_SUITE, 0 },
		{ "flags", 7, 0x01, ENV1_R_FLAGS, 0 },
		{ "message_id", 15, 0x40, ENV1_R_KEY_COMMITMENT, 0 },
		{ "created_at", 31, 0x01, ENV1_R_KEY_COMMITMENT, 0 },
		{ "expires_at", 33, 0x01, ENV1_R_KEY_COMMITMENT, 0 },
		{ "sender_rik", 41, 0x01, ENV1_R_UNKNOWN_SENDER, 0 },
		{ "recipient_rik", 100, 0x01, ENV1_R_WRONG_RECIPIENT, 0 },
		{ "spk_id", 111, 0x01, ENV1_R_UNKNOWN_PREKEY, 0 },
		{ "enc_len", 113, 0x01, ENV1_R_ENC_LEN, 0 },
		{ "enc", 114, 0x01, ENV1_R_KEY_COMMITMENT, 0 },
		{ "nonce", 150, 0x80, ENV1_R_AEAD, 1 },
		{ "kc", 170, 0x01, ENV1_R_KEY_COMMITMENT, 0 },
		{ "ct_len", 205, 0x01, ENV1_R_CT_LEN, 0 },
	};
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("header field %s\n", cases[i].field);
		env[cases[i].off] ^= cases[i].xor;
		expect_reject(&w->ctx_b, env, w->s.env_len, cases[i].reason,
		    cases[i].aead);
		env[cases[i].off] ^= cases[i].xor;
	}
	/* sender_rik rewritten to another pinned peer: the KDF catches it. */
	memcpy(env + 40, w->d.rik_pk, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_KEY_COMMITMENT, 0);
	free(env);
}

/* 2, exhaustively: no header bit flip gets past the AEAD, and only the
 * nonce (authenticated as AD, not committed) reaches the AEAD at all. */
static void
test_02_every_header_bit(void **state)
{
	struct world *w = *state;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	for (size_t i = 0; i < 206; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			struct env1_opened o;
			unsigned long before = env1_aead_attempts();
			int r;

			env[i] ^= (uint8_t)(1u << bit);
			r = env1_open(&w->ctx_b, env, w->s.env_len, &o);
			env[i] ^= (uint8_t)(1u << bit);
			assert_int_not_equal(r, ENV1_OK);
			assert_true(r >= ENV1_R_TRUNCATED && r <= ENV1_R_AEAD);
			assert_null(o.inner);
			if (i >= 146 && i < 170) {
				assert_int_equal(r, ENV1_R_AEAD);
				assert_int_equal(env1_aead_attempts() - before, 1);
			} else {
				assert_int_equal(env1_aead_attempts(), before);
			}
		}
	}
	free(env);
}

/* 3: every prefix, and up to 64 trailing bytes. */
static void
test_03_truncation_extension(void **state)
{
	struct world *w = *state;
	size_t n = w->s.env_len;

	for (size_t len = 0; len < n; len++) {
		uint8_t *env = dup_env(w->s.env, len);

		expect_reject(&w->ctx_b, env, len,
		    len < 206 ? ENV1_R_TRUNCATED : ENV1_R_CT_LEN, 0);
		free(env);
	}
	for (size_t extra = 1; extra <= 64; extra++) {
		uint8_t *env = malloc(n + extra);

		assert_non_null(env);
		memcpy(env, w->s.env, n);
		memset(env + n, (int)extra, extra);
		expect_reject(&w->ctx_b, env, n + extra, ENV1_R_CT_LEN, 0);
		free(env);
	}
	expect_reject(&w->ctx_b, NULL, 0, ENV1_R_TRUNCATED, 0);
}

/* 4, the outer lengths: ct_len lying or over the limit, enc_len wrong,
 * a ct too short to hold TBS || sig || tag. */
static void
test_04_lying_outer_lengths(void **state)
{
	struct world *w = *state;
	size_t n = w->s.env_len;
	uint8_t *env = dup_env(w->s.env, n);
	uint8_t *big;
	static const uint16_t enc_lens[] = { 0, 31, 33, 1120, 0xffff };
	static const uint32_t ct_lens[] = { 0, 395, 396, 0x7fffffff, 0xffffffff };

	for (size_t i = 0; i < sizeof(ct_lens) / sizeof(ct_lens[0]); i++) {
		be32_put(env + 202, ct_lens[i]);
		expect_reject(&w->ctx_b, env, n, ENV1_R_CT_LEN, 0);
	}
	be32_put(env + 202, (uint32_t)(n - 206 + 1));
	expect_reject(&w->ctx_b, env, n, ENV1_R_CT_LEN, 0);
	be32_put(env + 202, (uint32_t)(n - 206));
	for (size_t i = 0; i < sizeof(enc_lens) / sizeof(enc_lens[0]); i++) {
		be16_put(env + 112, enc_lens[i]);
		expect_reject(&w->ctx_b, env, n, ENV1_R_ENC_LEN, 0);
	}
	free(env);

	/* A record that really is that long, one byte over the limit. */
	big = calloc(1, 206 + ENV1_CT_MAX + 1);
	assert_non_null(big);
	memcpy(big, w->s.env, 206);
	be32_put(big + 202, ENV1_CT_MAX + 1);
	expect_reject(&w->ctx_b, big, 206 + ENV1_CT_MAX + 1, ENV1_R_CT_LEN, 0);
	free(big);

	/* ct_len agrees with the record but cannot hold the inner layout. */
	env = dup_env(w->s.env, 206 + 395);
	be32_put(env + 202, 395);
	expect_reject(&w->ctx_b, env, 206 + 395, ENV1_R_TRUNCATED, 0);
	free(env);
}

/* 5: addressed to B, delivered to C; and recipient_rik rewritten to C. */
static void
test_05_wrong_recipient(void **state)
{
	struct world *w = *state;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	expect_reject(&w->ctx_c, env, w->s.env_len, ENV1_R_WRONG_RECIPIENT, 0);
	/* C has a prekey with the same id: the KDF input differs all the same. */
	assert_int_equal(w->c.prekey.stmt.spk_id, w->b.prekey.stmt.spk_id);
	memcpy(env + 72, w->c.rik_pk, 32);
	expect_reject(&w->ctx_c, env, w->s.env_len, ENV1_R_KEY_COMMITMENT, 0);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_WRONG_RECIPIENT, 0);
	/* Checked before the sender: an unpinned sender to someone else. */
	memcpy(env + 40, w->c.rik_pk, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_WRONG_RECIPIENT, 0);
	free(env);
}

/* After a RIK transition: B's previous RIK is accepted as the recipient
 * while the daemon gives it (ctx.old_rik), and only then. */
static void
test_05_old_rik(void **state)
{
	struct world *w = *state;
	struct env1_open_ctx ctx = w->ctx_b;
	uint8_t other[32];

	memset(other, 0x5a, sizeof(other));
	ctx.own_rik = other;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_WRONG_RECIPIENT, 0);
	ctx.old_rik = w->c.rik_pk;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_WRONG_RECIPIENT, 0);
	ctx.old_rik = w->b.rik_pk;
	expect_open(&ctx, w->s.env, w->s.env_len);
}

/* 24 at this layer: sender not pinned, or pinned but suspended. */
static void
test_24_unpinned_or_suspended_sender(void **state)
{
	struct world *w = *state;
	struct fixture_inbox only_d;
	struct env1_open_ctx ctx;
	struct stmt_revocation rv;

	fixture_inbox_init(&only_d, &w->b);
	fixture_inbox_pin(&only_d, &w->d);
	fixture_open_ctx(&only_d, FIXTURE_NOW, &ctx);
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_UNKNOWN_SENDER, 0);
	fixture_inbox_free(&only_d);

	w->inbox_b.peers[0].suspended = 1;
	expect_reject(&w->ctx_b, w->s.env, w->s.env_len, ENV1_R_SENDER_SUSPENDED, 0);
	w->inbox_b.peers[0].suspended = 0;
	expect_open(&w->ctx_b, w->s.env, w->s.env_len);

	/* A's RIK revokes itself (the kill switch). */
	memset(&rv, 0, sizeof(rv));
	memcpy(rv.issuer_rik, w->a.rik_pk, 32);
	memcpy(rv.revoked_key, w->a.rik_pk, 32);
	rv.kind = STMT_REVOKE_RIK;
	rv.revoked_at = FIXTURE_NOW;
	rv.reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(&rv, w->a.rik_sk), ENV1_OK);
	assert_int_equal(peerkeys_add_revocation(&w->inbox_b.peers[0], &rv), ENV1_OK);
	expect_reject(&w->ctx_b, w->s.env, w->s.env_len, ENV1_R_SENDER_SUSPENDED, 0);
}

static int
seal_ab_at(struct world *w, uint64_t created_at, uint64_t expires_at,
    struct env1_sealed *s)
{
	struct env1_seal_params p = w->p;

	p.created_at = created_at;
	p.expires_at = expires_at;
	return env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW, s);
}

/* 16: created_at beyond the skew, older than MAX_AGE; expires_at passed. */
static void
test_16_time_window(void **state)
{
	struct world *w = *state;
	struct env1_open_ctx ctx = w->ctx_b;
	struct env1_sealed s;

	assert_int_equal(seal_ab_at(w, FIXTURE_NOW + ENV1_SKEW_MS + 1, 0, &s), ENV1_OK);
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_FROM_FUTURE, 0);
	env1_sealed_free(&s);
	assert_int_equal(seal_ab_at(w, FIXTURE_NOW + ENV1_SKEW_MS, 0, &s), ENV1_OK);
	expect_open(&ctx, s.env, s.env_len);
	env1_sealed_free(&s);

	ctx.now = FIXTURE_NOW + ENV1_MAX_AGE_MS + 1;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_TOO_OLD, 0);
	ctx.now = FIXTURE_NOW + ENV1_MAX_AGE_MS;
	expect_open(&ctx, w->s.env, w->s.env_len);
	/* A per-peer MAX_AGE. */
	w->inbox_b.peers[0].max_age_ms = FIXTURE_DAY;
	ctx.now = FIXTURE_NOW + FIXTURE_DAY + 1;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_TOO_OLD, 0);
	ctx.now = FIXTURE_NOW + FIXTURE_DAY;
	expect_open(&ctx, w->s.env, w->s.env_len);
	w->inbox_b.peers[0].max_age_ms = 0;

	assert_int_equal(seal_ab_at(w, FIXTURE_NOW, FIXTURE_NOW + 3600000, &s), ENV1_OK);
	ctx.now = FIXTURE_NOW + 3600001;
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_EXPIRED, 0);
	ctx.now = FIXTURE_NOW + 3600000;
	expect_open(&ctx, s.env, s.env_len);
	env1_sealed_free(&s);

	/* The window comes before the prekey lookup. */
	w->inbox_b.prekey_deleted = 1;
	ctx.now = FIXTURE_NOW + ENV1_MAX_AGE_MS + 1;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_TOO_OLD, 0);
}

static struct env1_prekey other_suite;

static const struct env1_prekey *
find_other_suite(void *arg, uint64_t spk_id)
{
	(void)arg;
	return spk_id == other_suite.stmt.spk_id ? &other_suite : NULL;
}

/* 17: a deleted, unknown, expired or other-suite prekey. */
static void
test_17_prekeys(void **state)
{
	struct world *w = *state;
	struct env1_open_ctx ctx = w->ctx_b;
	struct env1_sealed s;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	w->inbox_b.prekey_deleted = 1;
	expect_reject(&ctx, env, w->s.env_len, ENV1_R_UNKNOWN_PREKEY, 0);
	w->inbox_b.prekey_deleted = 0;
	be64_put(env + 104, 0x1234567890abcdefull);
	expect_reject(&ctx, env, w->s.env_len, ENV1_R_UNKNOWN_PREKEY, 0);
	free(env);

	/* The same secret, advertised as another suite. */
	other_suite = w->b.prekey;
	other_suite.stmt.suite = ENV1_SUITE_XWING;
	ctx.find_prekey = find_other_suite;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_UNKNOWN_PREKEY, 0);
	other_suite.stmt.suite = ENV1_SUITE_X25519;
	expect_open(&ctx, w->s.env, w->s.env_len);
	memset(&other_suite, 0, sizeof(other_suite));

	/* A prekey retained one day past not_after; open after that. */
	fixture_agency_prekey(&w->b, 7, FIXTURE_NOW - FIXTURE_DAY,
	    FIXTURE_NOW + 7 * FIXTURE_DAY, FIXTURE_NOW + 8 * FIXTURE_DAY);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &w->p,
	    FIXTURE_NOW, &s), ENV1_OK);
	ctx = w->ctx_b;
	ctx.now = FIXTURE_NOW + 8 * FIXTURE_DAY + 1;
	expect_reject(&ctx, s.env, s.env_len, ENV1_R_PREKEY_EXPIRED, 0);
	ctx.now = FIXTURE_NOW + 8 * FIXTURE_DAY;
	expect_open(&ctx, s.env, s.env_len);
	/* The old envelope names a prekey that is gone. */
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_UNKNOWN_PREKEY, 0);
	env1_sealed_free(&s);
}

/* 19: small-order u-coordinates (RFC 7748; libsodium's list) and zero. */
static void
test_19_low_order_enc(void **state)
{
	struct world *w = *state;
	static const uint8_t points[][32] = {
		{ 0 },
		{ 1 },
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
		{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
		  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
		  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
	};
	uint8_t *env = dup_env(w->s.env, w->s.env_len);
	uint8_t pt[32];

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		for (int hi = 0; hi < 2; hi++) {
			memcpy(env + 114, points[i], 32);
			env[114 + 31] |= (uint8_t)(hi << 7);
			expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_BAD_POINT, 0);
		}
	}
	/* p - 1, p and p + 1, with and without the ignored top bit. */
	for (int k = 0; k < 3; k++) {
		for (int hi = 0; hi < 2; hi++) {
			memset(pt, 0xff, 32);
			pt[0] = (uint8_t)(0xec + k);
			pt[31] = (uint8_t)(0x7f | (hi << 7));
			memcpy(env + 114, pt, 32);
			expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_BAD_POINT, 0);
		}
	}
	free(env);
}

/* 20: version, suite, flags, the peer's min_suite, and a header edited
 * with kc recomputed by someone without the shared secret. */
static void
test_20_downgrade(void **state)
{
	struct world *w = *state;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);
	uint8_t guess[32], k_enc[32], kc[32], eph[32], ss[32];
	static const uint8_t versions[] = { 0x00, 0x02, 0xff };
	static const uint8_t suites[] = { 0x00, 0x02, 0x03, 0xff };
	static const uint16_t flags[] = { 0x0001, 0x0100, 0x8000, 0xffff };

	for (size_t i = 0; i < sizeof(versions); i++) {
		env[4] = versions[i];
		expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_VERSION, 0);
	}
	env[4] = ENV1_VERSION;
	for (size_t i = 0; i < sizeof(suites); i++) {
		env[5] = suites[i];
		expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_SUITE, 0);
	}
	env[5] = ENV1_SUITE_X25519;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		be16_put(env + 6, flags[i]);
		expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_FLAGS, 0);
	}
	be16_put(env + 6, 0);

	/* The peer has moved to suite 2: suite 1 from it is a downgrade. */
	w->inbox_b.peers[0].min_suite = ENV1_SUITE_XWING;
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_SUITE, 0);
	w->inbox_b.peers[0].min_suite = ENV1_SUITE_X25519;
	expect_open(&w->ctx_b, env, w->s.env_len);

	/* Suite flipped, kc recomputed from a guess (no ss): refused. */
	crypto_generichash(guess, 32, env + 114, 32, NULL, 0);
	env[5] = ENV1_SUITE_XWING;
	derive(guess, env, w->b.prekey.stmt.spk_pub, k_enc, kc);
	memcpy(env + 170, kc, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_SUITE, 0);
	/* The same on a field the parser cannot judge: the commitment can. */
	env[5] = ENV1_SUITE_X25519;
	be64_put(env + 32, FIXTURE_NOW + FIXTURE_DAY);
	derive(guess, env, w->b.prekey.stmt.spk_pub, k_enc, kc);
	memcpy(env + 170, kc, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_KEY_COMMITMENT, 0);
	/* An attacker's own ephemeral gives a correct kc for the edited
	 * header, but the ciphertext was not made under it: the AEAD. */
	fixture_bytes("open/attacker-eph", eph, 32);
	crypto_scalarmult_base(env + 114, eph);
	assert_int_equal(crypto_scalarmult(ss, eph, w->b.prekey.stmt.spk_pub), 0);
	derive(ss, env, w->b.prekey.stmt.spk_pub, k_enc, kc);
	memcpy(env + 170, kc, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_AEAD, 1);
	free(env);
}

/* 21: a tampered kc never reaches the AEAD. */
static void
test_21_kc_before_aead(void **state)
{
	struct world *w = *state;
	uint8_t *env = dup_env(w->s.env, w->s.env_len);

	for (size_t i = 170; i < 202; i++) {
		env[i] ^= 0x20;
		expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_KEY_COMMITMENT, 0);
		env[i] ^= 0x20;
	}
	memset(env + 170, 0, 32);
	expect_reject(&w->ctx_b, env, w->s.env_len, ENV1_R_KEY_COMMITMENT, 0);
	free(env);
}

static struct {
	uint8_t         sender[32];
	uint8_t         message_id[16];
	uint8_t         h_env[32];
	int             calls;
} ledger;

static int
is_replay(void *arg, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], const uint8_t h_env[ENV1_HASH_LEN])
{
	(void)arg;
	ledger.calls++;
	return memcmp(sender_rik, ledger.sender, 32) == 0 &&
	    memcmp(message_id, ledger.message_id, 16) == 0 &&
	    memcmp(h_env, ledger.h_env, 32) == 0;
}

/* Step 5: a byte-identical replay stops before any key is used; a
 * retransmission (new envelope, same message) goes on to the ledger. */
static void
test_replay_fast_path(void **state)
{
	struct world *w = *state;
	struct env1_open_ctx ctx = w->ctx_b;
	struct env1_seal_params p = w->p;
	struct env1_sealed s;

	memcpy(ledger.sender, w->a.rik_pk, 32);
	memcpy(ledger.message_id, w->p.message_id, 16);
	memcpy(ledger.h_env, w->s.h_env, 32);
	ledger.calls = 0;
	ctx.is_replay = is_replay;
	w->inbox_b.prekey_deleted = 1;  /* not even looked up */
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_DUPLICATE, 0);
	assert_int_equal(ledger.calls, 1);
	w->inbox_b.prekey_deleted = 0;

	p.eph_sk = NULL;
	p.nonce = NULL;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW, &s), ENV1_OK);
	expect_open(&ctx, s.env, s.env_len);
	assert_int_equal(ledger.calls, 2);
	env1_sealed_free(&s);
	/* Only after the cheaper checks: a stale replay is just too old. */
	ctx.now = FIXTURE_NOW + ENV1_MAX_AGE_MS + 1;
	expect_reject(&ctx, w->s.env, w->s.env_len, ENV1_R_TOO_OLD, 0);
	assert_int_equal(ledger.calls, 2);
}

static void
test_header_parse(void **state)
{
	struct world *w = *state;
	struct env1_header h;

	assert_int_equal(env1_header_parse(w->s.env, w->s.env_len, &h), ENV1_OK);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.suite, 1);
	assert_int_equal(h.enc_len, 32);
	assert_int_equal(h.created_at, FIXTURE_NOW);
	assert_memory_equal(h.recipient_rik, w->b.rik_pk, 32);
	assert_memory_equal(h.nonce, w->nonce, 24);
	assert_memory_equal(h.kc, w->s.env + 170, 32);
	memset(&h, 0x5a, sizeof(h));
	assert_int_equal(env1_header_parse(w->s.env, 7, &h), ENV1_R_TRUNCATED);
	for (size_t i = 0; i < sizeof(h); i++)
		assert_int_equal(((uint8_t *)&h)[i], 0);
	assert_int_equal(env1_header_parse(w->s.env, 205, &h), ENV1_R_TRUNCATED);
	assert_int_equal(env1_header_parse(NULL, 10, &h), ENV1_R_INVALID_ARG);
	assert_int_equal(env1_open(&w->ctx_b, w->s.env, w->s.env_len, NULL),
	    ENV1_R_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_01_ct_bit_flips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_02_header_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_02_every_header_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_03_truncation_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_04_lying_outer_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_05_wrong_recipient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_05_old_rik, setup, teardown),
		cmocka_unit_test_setup_teardown(test_24_unpinned_or_suspended_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_16_time_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_17_prekeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_19_low_order_enc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_20_downgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_21_kc_before_aead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_parse, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
