/*
 * ENV1 envelopes from the specification's own words (see rawenv.h).  This
 * file deliberately shares no code with keys/envelope.c: the vectors are
 * only worth something if two readings of docs/PROTOCOL.md agree.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "tests/lib/rawenv.h"

static const uint8_t TBS_DOMAIN[16] = "ENV1 message sig";

/* Labels with their NUL, as section 6 writes them. */
static const uint8_t L_HDR[9] = "ENV1/hdr\0";
static const uint8_t L_ROOT[10] = "ENV1/root\0";
static const uint8_t L_INNER[11] = "ENV1/inner\0";
static const uint8_t L_ENV[9] = "ENV1/env\0";

/* Ed25519 group order L, little-endian. */
static const uint8_t ED_L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
	0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
/* A point of order 8 (libsodium's small-order list). */
static const uint8_t ED_ORDER8[32] = {
	0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76,
	0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
	0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
};

void
raw_header_encode(const struct env1_header *h, uint8_t b[ENV1_HDR_LEN])
{
	memcpy(b, "ENV1", 4);
	b[4] = h->version;
	b[5] = h->suite;
	be16_put(b + 6, h->flags);
	memcpy(b + 8, h->message_id, 16);
	be64_put(b + 24, h->created_at);
	be64_put(b + 32, h->expires_at);
	memcpy(b + 40, h->sender_rik, 32);
	memcpy(b + 72, h->recipient_rik, 32);
	be64_put(b + 104, h->spk_id);
	be16_put(b + 112, h->enc_len);
	memcpy(b + 114, h->enc, 32);
	memcpy(b + 146, h->nonce, 24);
	memcpy(b + 170, h->kc, 32);
	be32_put(b + 202, h->ct_len);
}

void
raw_tbs_encode(const struct env1_tbs *t, const uint8_t *domain,
    uint8_t b[ENV1_TBS_LEN])
{
	memcpy(b, domain != NULL ? domain : TBS_DOMAIN, 16);
	b[16] = t->version;
	b[17] = t->suite;
	memcpy(b + 18, t->message_id, 16);
	be64_put(b + 34, t->created_at);
	memcpy(b + 42, t->sender_rik, 32);
	memcpy(b + 74, t->recipient_rik, 32);
	memcpy(b + 106, t->hdr_hash, 32);
	memcpy(b + 138, t->signer_dsk, 32);
	be16_put(b + 170, t->msg_type);
	memcpy(b + 172, t->thread_id, 16);
	be64_put(b + 188, t->seq);
	memcpy(b + 196, t->prev_hash, 32);
	memcpy(b + 228, t->in_reply_to, 16);
	memcpy(b + 244, t->content_salt, 32);
	memcpy(b + 276, t->content_hash, 32);
	be64_put(b + 308, t->body_len);
}

/* BLAKE2b-256(label || a || b). */
static void
labelled_hash(const uint8_t *label, size_t llen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, label, llen);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, 32);
}

void
raw_key_schedule(const uint8_t ss[32], const uint8_t hdr[ENV1_HDR_LEN],
    const uint8_t spk_pub[ENV1_KEY_LEN], uint8_t k_root[32], uint8_t k_enc[32],
    uint8_t kc[32])
{
	uint8_t in[sizeof(L_ROOT) + ENV1_HDR_PREFIX_LEN + ENV1_KEY_LEN];
	uint8_t salt[16] = { 1 }, personal[16] = { 0 };

	/* One contiguous input, 188 bytes, to match the text literally. */
	memcpy(in, L_ROOT, sizeof(L_ROOT));
	memcpy(in + sizeof(L_ROOT), hdr, ENV1_HDR_PREFIX_LEN);
	memcpy(in + sizeof(L_ROOT) + ENV1_HDR_PREFIX_LEN, spk_pub, ENV1_KEY_LEN);
	crypto_generichash(k_root, 32, in, sizeof(in), ss, 32);
	/* KDF(ctx, 1, k_root) written out as section 1 defines it:
	 * BLAKE2b keyed with k_root, salt u64le(1) || 0^8, personal ctx || 0^8. */
	memcpy(personal, "ENV1_ENC", 8);
	crypto_generichash_blake2b_salt_personal(k_enc, 32, NULL, 0, k_root, 32,
	    salt, personal);
	memcpy(personal, "ENV1_COM", 8);
	crypto_generichash_blake2b_salt_personal(kc, 32, NULL, 0, k_root, 32,
	    salt, personal);
}

/* 256-bit little-endian a + b, into out (no overflow for S < L). */
static void
add256(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		carry += (unsigned)a[i] + b[i];
		out[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

static void
spoil_sig(uint8_t sig[64], enum raw_sig_mode mode)
{
	uint8_t s[32];

	switch (mode) {
	case RAW_SIG_FLIP:
		sig[40] ^= 0x01;
		break;
	case RAW_SIG_S_PLUS_L:
		add256(sig + 32, ED_L, s);
		memcpy(sig + 32, s, 32);
		break;
	case RAW_SIG_SMALL_R:
		memcpy(sig, ED_ORDER8, 32);
		break;
	case RAW_SIG_ZERO:
		memset(sig, 0, 64);
		break;
	case RAW_SIG_GOOD:
		break;
	}
}

int
raw_seal(struct raw_env *r)
{
	const uint8_t *sb = r->sealed_body != NULL ? r->sealed_body : r->body;
	size_t sblen = r->sealed_body != NULL ? r->sealed_body_len : r->body_len;
	uint8_t kc[32], *inner;
	size_t inner_len = ENV1_INNER_OVERHEAD + sblen;

	r->env = NULL;
	if (crypto_scalarmult_base(r->h.enc, r->eph_sk) != 0)
		return -1;
	r->h.ct_len = (uint32_t)(inner_len + ENV1_TAG_LEN);
	raw_header_encode(&r->h, r->hdr);

	labelled_hash(L_HDR, sizeof(L_HDR), r->hdr, ENV1_HDR_PREFIX_LEN, NULL, 0,
	    r->hdr_hash);
	crypto_generichash(r->content_hash, 32, r->body, r->body_len,
	    r->t.content_salt, 32);
	if (!(r->keep & RAW_KEEP_INNER)) {
		if (!(r->keep & RAW_KEEP_HDR_HASH))
			memcpy(r->t.hdr_hash, r->hdr_hash, 32);
		if (!(r->keep & RAW_KEEP_CONTENT_HASH))
			memcpy(r->t.content_hash, r->content_hash, 32);
		if (!(r->keep & RAW_KEEP_BODY_LEN))
			r->t.body_len = r->body_len;
		raw_tbs_encode(&r->t, r->domain, r->tbs);
		if (r->signer_sk != NULL)
			crypto_sign_detached(r->sig, NULL, r->tbs, ENV1_TBS_LEN,
			    r->signer_sk);
		spoil_sig(r->sig, r->sig_mode);
	}

	if (crypto_scalarmult(r->ss, r->eph_sk, r->spk_pub) != 0)
		return -1;
	raw_key_schedule(r->ss, r->hdr, r->spk_pub, r->k_root, r->k_enc, kc);
	if (!(r->keep & RAW_KEEP_KC))
		memcpy(r->h.kc, kc, 32);
	raw_header_encode(&r->h, r->hdr);

	r->env_len = ENV1_HDR_LEN + inner_len + ENV1_TAG_LEN;
	inner = malloc(inner_len);
	r->env = malloc(r->env_len);
	if (inner == NULL || r->env == NULL) {
		free(inner);
		raw_free(r);
		return -1;
	}
	memcpy(inner, r->tbs, ENV1_TBS_LEN);
	memcpy(inner + ENV1_TBS_LEN, r->sig, ENV1_SIG_LEN);
	if (sblen > 0)
		memcpy(inner + ENV1_INNER_OVERHEAD, sb, sblen);
	memcpy(r->env, r->hdr, ENV1_HDR_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(r->env + ENV1_HDR_LEN, NULL,
	    inner, inner_len, r->hdr, ENV1_HDR_LEN, NULL, r->h.nonce, r->k_enc);
	free(inner);

	labelled_hash(L_ENV, sizeof(L_ENV), r->env, r->env_len, NULL, 0, r->h_env);
	labelled_hash(L_INNER, sizeof(L_INNER), r->tbs, ENV1_TBS_LEN, r->sig,
	    ENV1_SIG_LEN, r->h_inner);
	return 0;
}

void
raw_free(struct raw_env *r)
{
	if (r == NULL)
		return;
	free(r->env);
	r->env = NULL;
	r->env_len = 0;
}
