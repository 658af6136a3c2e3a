/*
 * libFuzzer target for the envelope decoders (keys/envelope.c,
 * keys/receipt.c).  Every input is tried four ways:
 *   - as an envelope record, through env1_open, for a recipient ("beta")
 *     that pins one sender ("alpha");
 *   - as a plaintext TBS || sig || body, encrypted under a fixed alpha ->
 *     beta header with the key the harness knows, then opened: this is
 *     how fuzzing reaches the checks after the AEAD (steps 10 to 14);
 *   - through the keyless decoders env1_header_parse, env1_tbs_decode and
 *     receipt_decode.
 * The fixtures are built once, deterministically, here (fuzz binaries do
 * not link tests/lib).  Seeds in tests/fuzz/corpus/fuzz_open/ are valid
 * envelopes and a valid plaintext for these fixtures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/envelope.h"
#include "keys/receipt.h"
#include "keys/secret.h"

#define FUZZ_NOW        1767225600000ull        /* 2026-01-01, ms */
#define FUZZ_DAY        (24ull * 3600 * 1000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct agency {
	uint8_t                 rik_pk[32];
	uint8_t                *rik_sk;
	struct env1_identity    id;
	struct env1_prekey      prekey;
};

static struct {
	int                     ready;
	struct agency           alpha, beta;
	struct peerkeys         beta_sees_alpha, alpha_sees_beta;
	struct env1_open_ctx    ctx;
	uint8_t                 eph_sk[32];
	uint8_t                 nonce[24];
	uint8_t                 body[40];
	struct env1_seal_params params;
	struct env1_sealed      tmpl;           /* the template envelope */
	uint8_t                 k_enc[32];      /* known to the harness */
} fx;

static void
need(int ok)
{
	if (!ok)
		abort();
}

static void
fuzz_bytes(const char *label, uint8_t *out, size_t len)
{
	crypto_generichash(out, len, (const uint8_t *)label, strlen(label),
	    (const uint8_t *)"homeward fuzz fixture", 21);
}

static void
agency_make(struct agency *a, const char *name)
{
	struct stmt_dsk_cert *c = &a->id.cert;
	struct stmt_spk *s = &a->prekey.stmt;
	uint8_t seed[32];
	char label[64];

	need((a->rik_sk = secret_alloc(64)) != NULL);
	need((a->id.dsk_sk = secret_alloc(64)) != NULL);
	need((a->prekey.sk = secret_alloc(32)) != NULL);
	snprintf(label, sizeof(label), "%s/rik", name);
	fuzz_bytes(label, seed, 32);
	crypto_sign_seed_keypair(a->rik_pk, a->rik_sk, seed);
	snprintf(label, sizeof(label), "%s/dsk", name);
	fuzz_bytes(label, seed, 32);
	crypto_sign_seed_keypair(a->id.dsk_pub, a->id.dsk_sk, seed);
	memcpy(a->id.rik_pub, a->rik_pk, 32);
	memcpy(c->issuer_rik, a->rik_pk, 32);
	memcpy(c->dsk_pub, a->id.dsk_pub, 32);
	c->serial = 1;
	c->not_before = FUZZ_NOW - 30 * FUZZ_DAY;
	c->not_after = FUZZ_NOW + 335 * FUZZ_DAY;
	c->usage = STMT_USAGE_MSG | STMT_USAGE_PREKEY;
	need(stmt_cert_sign(c, a->rik_sk) == ENV1_OK);
	snprintf(label, sizeof(label), "%s/spk", name);
	fuzz_bytes(label, a->prekey.sk, 32);
	s->suite = ENV1_SUITE_X25519;
	memcpy(s->owner_rik, a->rik_pk, 32);
	memcpy(s->signer_dsk, a->id.dsk_pub, 32);
	s->spk_id = 1;
	s->not_before = FUZZ_NOW - FUZZ_DAY;
	s->not_after = FUZZ_NOW + 7 * FUZZ_DAY;
	s->retain_until = FUZZ_NOW + 28 * FUZZ_DAY;
	crypto_scalarmult_base(s->spk_pub, a->prekey.sk);
	need(stmt_spk_sign(s, a->id.dsk_sk) == ENV1_OK);
	sodium_memzero(seed, sizeof(seed));
}

static void
view_of(const struct agency *a, struct peerkeys *p)
{
	peerkeys_init(p, a->rik_pk);
	need(peerkeys_add_cert(p, &a->id.cert) == ENV1_OK);
	need(peerkeys_add_prekey(p, &a->prekey.stmt) == ENV1_OK);
}

static const struct peerkeys *
find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	(void)arg;
	return memcmp(rik, fx.alpha.rik_pk, 32) == 0 ? &fx.beta_sees_alpha : NULL;
}

static const struct env1_prekey *
find_prekey(void *arg, uint64_t spk_id)
{
	(void)arg;
	return spk_id == fx.beta.prekey.stmt.spk_id ? &fx.beta.prekey : NULL;
}

/* Stands in for the application's protobuf parser. */
static int
check_body(void *arg, uint16_t msg_type, const uint8_t *body, size_t len)
{
	(void)arg;
	(void)msg_type;
	return len > 0 && body[0] == 0xff ? -1 : 0;
}

/* k_enc of the template header, derived as a sender does (2.5). */
static void
template_key(void)
{
	crypto_generichash_state st;
	uint8_t ss[32], k_root[32];

	need(crypto_scalarmult(ss, fx.eph_sk, fx.beta.prekey.stmt.spk_pub) == 0);
	crypto_generichash_init(&st, ss, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ENV1/root\0", 10);
	crypto_generichash_update(&st, fx.tmpl.env, ENV1_HDR_PREFIX_LEN);
	crypto_generichash_update(&st, fx.beta.prekey.stmt.spk_pub, 32);
	crypto_generichash_final(&st, k_root, 32);
	crypto_kdf_derive_from_key(fx.k_enc, 32, 1, "ENV1_ENC", k_root);
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(k_root, sizeof(k_root));
}

static void
fuzz_setup(void)
{
	struct env1_seal_params *p = &fx.params;

	if (fx.ready)
		return;
	need(secret_init() == 0);
	agency_make(&fx.alpha, "alpha");
	agency_make(&fx.beta, "beta");
	view_of(&fx.alpha, &fx.beta_sees_alpha);
	view_of(&fx.beta, &fx.alpha_sees_beta);
	fx.ctx.own_rik = fx.beta.rik_pk;
	fx.ctx.now = FUZZ_NOW;
	fx.ctx.find_peer = find_peer;
	fx.ctx.find_prekey = find_prekey;
	fx.ctx.check_body = check_body;

	fuzz_bytes("template/eph", fx.eph_sk, sizeof(fx.eph_sk));
	fuzz_bytes("template/nonce", fx.nonce, sizeof(fx.nonce));
	fuzz_bytes("template/body", fx.body, sizeof(fx.body));
	fx.body[0] = 0x0a;
	fuzz_bytes("template/message_id", p->message_id, sizeof(p->message_id));
	fuzz_bytes("template/thread_id", p->thread_id, sizeof(p->thread_id));
	fuzz_bytes("template/content_salt", p->content_salt, sizeof(p->content_salt));
	p->created_at = FUZZ_NOW;
	p->msg_type = ENV1_MSG_TEST_DOCUMENT;
	p->seq = 1;
	p->body = fx.body;
	p->body_len = sizeof(fx.body);
	p->eph_sk = fx.eph_sk;
	p->nonce = fx.nonce;
	need(env1_seal(&fx.alpha.id, &fx.alpha_sees_beta, &fx.beta.prekey.stmt, p,
	    FUZZ_NOW, &fx.tmpl) == ENV1_OK);
	template_key();
	fx.ready = 1;
}

/* Encrypt data as the plaintext of the template header, then open it. */
static int
open_as_inner(const uint8_t *data, size_t size, struct env1_opened *o)
{
	uint8_t *env;
	int r;

	if (size < ENV1_INNER_OVERHEAD || size > ENV1_MAX_INLINE + ENV1_INNER_OVERHEAD)
		return ENV1_R_TRUNCATED;
	if ((env = malloc(ENV1_HDR_LEN + size + ENV1_TAG_LEN)) == NULL)
		return ENV1_R_NOMEM;
	memcpy(env, fx.tmpl.env, ENV1_HDR_LEN);
	be32_put(env + ENV1_HDR_LEN - 4, (uint32_t)(size + ENV1_TAG_LEN));
	crypto_aead_xchacha20poly1305_ietf_encrypt(env + ENV1_HDR_LEN, NULL, data,
	    size, env, ENV1_HDR_LEN, NULL, fx.nonce, fx.k_enc);
	r = env1_open(&fx.ctx, env, ENV1_HDR_LEN + size + ENV1_TAG_LEN, o);
	free(env);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env1_opened o;
	struct env1_header h;
	struct env1_tbs t;
	struct receipt rc;

	fuzz_setup();
	if (env1_open(&fx.ctx, data, size, &o) == ENV1_OK) {
		need(o.body_len == size - ENV1_OVERHEAD);
		env1_opened_free(&o);
	} else {
		need(o.inner == NULL && o.body == NULL);
	}
	if (open_as_inner(data, size, &o) == ENV1_OK) {
		need(o.body_len == size - ENV1_INNER_OVERHEAD);
		need(memcmp(o.body, data + ENV1_INNER_OVERHEAD, o.body_len) == 0);
		env1_opened_free(&o);
	} else {
		need(o.inner == NULL && o.body == NULL);
	}
	if (env1_header_parse(data, size, &h) == ENV1_OK)
		need(h.ct_len == size - ENV1_HDR_LEN);
	if (size >= ENV1_TBS_LEN)
		(void)env1_tbs_decode(data, &t);
	if (receipt_decode(data, size, &rc) == ENV1_OK)
		need(size == RECEIPT_BODY_LEN);
	return 0;
}
