/*
 * ENV1 suite-1 envelopes (crypto-env1.md 2.3 to 2.7): the header and TBS
 * layouts, the derived hashes, the key schedule, seal and open.
 *
 * Seal signs the fixed TBS, then encrypts TBS || sig || body with the
 * whole header as associated data; open runs the checks of 2.7 in that
 * order, cheapest and non-secret first, and releases plaintext only when
 * every check up to the content hash has passed.  The ledger step (15)
 * and everything after it belong to the daemon.
 *
 * Interpretations of the text (to be carried into docs/PROTOCOL.md):
 * - expires_at is stored as the caller gives it; 0 means "created_at +
 *   MAX_AGE", which the recipient enforces through MAX_AGE (step 4), so
 *   seal never rewrites it.
 * - Step 1 order: under 8 bytes is "truncated"; then magic, version,
 *   suite, flags; then under a full header is "truncated"; enc_len;
 *   ct_len other than the bytes that follow, or above ENV1_CT_MAX, is
 *   "bad_ct_len"; a ct_len that matches but is under 396 is "truncated".
 * - The semantic digest (step 15) is BLAKE2b-256("ENV1/semantic\0" ||
 *   TBS[170..316)): msg_type through body_len, which are contiguous.
 * - Step 3: a peer is refused as suspended when its record says so or
 *   when it holds a revocation of the peer's own RIK; suite < min_suite
 *   is "bad_suite", checked there because it needs the peer.
 * - Step 11 runs domain, then the header/TBS field equality, then
 *   hdr_hash; the TBS is plaintext, so all of it is compared with
 *   sodium_memcmp.
 * - Seal refuses a body over ENV1_MAX_INLINE with "bad_body_len", seq 0
 *   with "invalid_argument" and an unknown msg_type with "msg_type", all
 *   before the prekey is validated; it does not look inside the body.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/envelope.h"
#include "keys/receipt.h"
#include "keys/secret.h"

/* Header offsets, suite 1 (E = 32). */
#define HDR_VERSION     4
#define HDR_SUITE       5
#define HDR_FLAGS       6
#define HDR_MESSAGE_ID  8
#define HDR_CREATED_AT  24
#define HDR_EXPIRES_AT  32
#define HDR_SENDER      40
#define HDR_RECIPIENT   72
#define HDR_SPK_ID      104
#define HDR_ENC_LEN     112
#define HDR_ENC         114
#define HDR_NONCE       146
#define HDR_KC          170
#define HDR_CT_LEN      202

/* TBS offsets. */
#define TBS_VERSION     16
#define TBS_SUITE       17
#define TBS_MESSAGE_ID  18
#define TBS_CREATED_AT  34
#define TBS_SENDER      42
#define TBS_RECIPIENT   74
#define TBS_HDR_HASH    106
#define TBS_SIGNER      138
#define TBS_MSG_TYPE    170
#define TBS_THREAD_ID   172
#define TBS_SEQ         188
#define TBS_PREV_HASH   196
#define TBS_IN_REPLY_TO 228
#define TBS_SALT        244
#define TBS_CONTENT     276
#define TBS_BODY_LEN    308

_Static_assert(HDR_ENC + ENV1_ENC_LEN_SUITE1 == ENV1_HDR_PREFIX_LEN, "hdr_prefix");
_Static_assert(HDR_CT_LEN + 4 == ENV1_HDR_LEN, "header length");
_Static_assert(TBS_BODY_LEN + 8 == ENV1_TBS_LEN, "TBS length");
/* The inner/outer equality check compares these runs byte for byte. */
_Static_assert(TBS_CREATED_AT - TBS_MESSAGE_ID == HDR_CREATED_AT - HDR_MESSAGE_ID,
    "message_id || created_at contiguous in both");
_Static_assert(TBS_RECIPIENT - TBS_SENDER == HDR_RECIPIENT - HDR_SENDER,
    "sender || recipient contiguous in both");

static const uint8_t MAGIC[4] = "ENV1";
static const uint8_t DOMAIN_TBS[16] = "ENV1 message sig";
/* Hash labels: ASCII with the terminating NUL, which is part of the input. */
static const uint8_t LABEL_HDR[] = "ENV1/hdr";              /* 9 with NUL */
static const uint8_t LABEL_ROOT[] = "ENV1/root";            /* 10 */
static const uint8_t LABEL_INNER[] = "ENV1/inner";          /* 11 */
static const uint8_t LABEL_ENV[] = "ENV1/env";              /* 9 */
static const uint8_t LABEL_SEMANTIC[] = "ENV1/semantic";    /* 14 */

/* Test hook (negative test 21); relaxed: a counter, not a synchronisation. */
static atomic_ulong aead_attempts;

unsigned long
env1_aead_attempts(void)
{
	return atomic_load_explicit(&aead_attempts, memory_order_relaxed);
}

/* --- Layouts --- */

static void
header_encode(const struct env1_header *h, uint8_t b[ENV1_HDR_LEN])
{
	memcpy(b, MAGIC, 4);
	b[HDR_VERSION] = h->version;
	b[HDR_SUITE] = h->suite;
	be16_put(b + HDR_FLAGS, h->flags);
	memcpy(b + HDR_MESSAGE_ID, h->message_id, ENV1_ID_LEN);
	be64_put(b + HDR_CREATED_AT, h->created_at);
	be64_put(b + HDR_EXPIRES_AT, h->expires_at);
	memcpy(b + HDR_SENDER, h->sender_rik, ENV1_KEY_LEN);
	memcpy(b + HDR_RECIPIENT, h->recipient_rik, ENV1_KEY_LEN);
	be64_put(b + HDR_SPK_ID, h->spk_id);
	be16_put(b + HDR_ENC_LEN, h->enc_len);
	memcpy(b + HDR_ENC, h->enc, ENV1_ENC_LEN_SUITE1);
	memcpy(b + HDR_NONCE, h->nonce, ENV1_NONCE_LEN);
	memcpy(b + HDR_KC, h->kc, ENV1_HASH_LEN);
	be32_put(b + HDR_CT_LEN, h->ct_len);
}

/* Step 1 up to enc_len, and the fields: everything but ct_len. */
static int
header_fields(const uint8_t *b, size_t len, struct env1_header *out)
{
	/* The fixed fields first, so a short record of another kind is
	 * reported as what it is. */
	if (len < HDR_MESSAGE_ID)
		return ENV1_R_TRUNCATED;
	if (memcmp(b, MAGIC, 4) != 0)
		return ENV1_R_MAGIC;
	if (b[HDR_VERSION] != ENV1_VERSION)
		return ENV1_R_VERSION;
	/* Only suite 1 exists here; a peer's min_suite is checked in open
	 * once the peer is known. */
	if (b[HDR_SUITE] != ENV1_SUITE_X25519)
		return ENV1_R_SUITE;
	if (be16_get(b + HDR_FLAGS) != 0)
		return ENV1_R_FLAGS;
	if (len < ENV1_HDR_LEN)
		return ENV1_R_TRUNCATED;
	if (be16_get(b + HDR_ENC_LEN) != ENV1_ENC_LEN_SUITE1)
		return ENV1_R_ENC_LEN;

	out->version = b[HDR_VERSION];
	out->suite = b[HDR_SUITE];
	out->flags = 0;
	memcpy(out->message_id, b + HDR_MESSAGE_ID, ENV1_ID_LEN);
	out->created_at = be64_get(b + HDR_CREATED_AT);
	out->expires_at = be64_get(b + HDR_EXPIRES_AT);
	memcpy(out->sender_rik, b + HDR_SENDER, ENV1_KEY_LEN);
	memcpy(out->recipient_rik, b + HDR_RECIPIENT, ENV1_KEY_LEN);
	out->spk_id = be64_get(b + HDR_SPK_ID);
	out->enc_len = ENV1_ENC_LEN_SUITE1;
	memcpy(out->enc, b + HDR_ENC, ENV1_ENC_LEN_SUITE1);
	memcpy(out->nonce, b + HDR_NONCE, ENV1_NONCE_LEN);
	memcpy(out->kc, b + HDR_KC, ENV1_HASH_LEN);
	out->ct_len = be32_get(b + HDR_CT_LEN);
	return ENV1_OK;
}

int
env1_header_parse(const uint8_t *env, size_t len, struct env1_header *out)
{
	int r;

	if (out == NULL || (env == NULL && len > 0))
		return ENV1_R_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if ((r = header_fields(env, len, out)) != ENV1_OK)
		goto fail;
	r = ENV1_R_CT_LEN;
	if (out->ct_len > ENV1_CT_MAX || out->ct_len != len - ENV1_HDR_LEN)
		goto fail;
	r = ENV1_R_TRUNCATED;
	if (out->ct_len < ENV1_CT_MIN)
		goto fail;
	return ENV1_OK;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

int
env1_header_decode(const uint8_t hdr[ENV1_HDR_LEN], struct env1_header *out)
{
	int r;

	if (out == NULL || hdr == NULL)
		return ENV1_R_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if ((r = header_fields(hdr, ENV1_HDR_LEN, out)) != ENV1_OK)
		goto fail;
	r = ENV1_R_CT_LEN;
	if (out->ct_len > ENV1_CT_MAX)
		goto fail;
	r = ENV1_R_TRUNCATED;
	if (out->ct_len < ENV1_CT_MIN)
		goto fail;
	return ENV1_OK;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

void
env1_tbs_encode(const struct env1_tbs *t, uint8_t b[ENV1_TBS_LEN])
{
	memcpy(b, DOMAIN_TBS, 16);
	b[TBS_VERSION] = t->version;
	b[TBS_SUITE] = t->suite;
	memcpy(b + TBS_MESSAGE_ID, t->message_id, ENV1_ID_LEN);
	be64_put(b + TBS_CREATED_AT, t->created_at);
	memcpy(b + TBS_SENDER, t->sender_rik, ENV1_KEY_LEN);
	memcpy(b + TBS_RECIPIENT, t->recipient_rik, ENV1_KEY_LEN);
	memcpy(b + TBS_HDR_HASH, t->hdr_hash, ENV1_HASH_LEN);
	memcpy(b + TBS_SIGNER, t->signer_dsk, ENV1_KEY_LEN);
	be16_put(b + TBS_MSG_TYPE, t->msg_type);
	memcpy(b + TBS_THREAD_ID, t->thread_id, ENV1_ID_LEN);
	be64_put(b + TBS_SEQ, t->seq);
	memcpy(b + TBS_PREV_HASH, t->prev_hash, ENV1_HASH_LEN);
	memcpy(b + TBS_IN_REPLY_TO, t->in_reply_to, ENV1_ID_LEN);
	memcpy(b + TBS_SALT, t->content_salt, ENV1_HASH_LEN);
	memcpy(b + TBS_CONTENT, t->content_hash, ENV1_HASH_LEN);
	be64_put(b + TBS_BODY_LEN, t->body_len);
}

int
env1_tbs_decode(const uint8_t b[ENV1_TBS_LEN], struct env1_tbs *t)
{
	memset(t, 0, sizeof(*t));
	/* Plaintext-derived: compared in constant time like the rest. */
	if (sodium_memcmp(b, DOMAIN_TBS, 16) != 0)
		return ENV1_R_DOMAIN;
	t->version = b[TBS_VERSION];
	t->suite = b[TBS_SUITE];
	memcpy(t->message_id, b + TBS_MESSAGE_ID, ENV1_ID_LEN);
	t->created_at = be64_get(b + TBS_CREATED_AT);
	memcpy(t->sender_rik, b + TBS_SENDER, ENV1_KEY_LEN);
	memcpy(t->recipient_rik, b + TBS_RECIPIENT, ENV1_KEY_LEN);
	memcpy(t->hdr_hash, b + TBS_HDR_HASH, ENV1_HASH_LEN);
	memcpy(t->signer_dsk, b + TBS_SIGNER, ENV1_KEY_LEN);
	t->msg_type = be16_get(b + TBS_MSG_TYPE);
	memcpy(t->thread_id, b + TBS_THREAD_ID, ENV1_ID_LEN);
	t->seq = be64_get(b + TBS_SEQ);
	memcpy(t->prev_hash, b + TBS_PREV_HASH, ENV1_HASH_LEN);
	memcpy(t->in_reply_to, b + TBS_IN_REPLY_TO, ENV1_ID_LEN);
	memcpy(t->content_salt, b + TBS_SALT, ENV1_HASH_LEN);
	memcpy(t->content_hash, b + TBS_CONTENT, ENV1_HASH_LEN);
	t->body_len = be64_get(b + TBS_BODY_LEN);
	return ENV1_OK;
}

/* --- Derived hashes --- */

/* BLAKE2b-256(label || a || b), label including its NUL. */
static void
hash2(const uint8_t *label, size_t label_len, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[ENV1_HASH_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, ENV1_HASH_LEN);
	crypto_generichash_update(&st, label, label_len);
	crypto_generichash_update(&st, a, alen);
	if (blen > 0)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, ENV1_HASH_LEN);
	/* The TBS holds content_salt, which is secret (2.4). */
	sodium_memzero(&st, sizeof(st));
}

void
env1_h_env(const uint8_t *env, size_t len, uint8_t out[ENV1_HASH_LEN])
{
	hash2(LABEL_ENV, sizeof(LABEL_ENV), env, len, NULL, 0, out);
}

void
env1_h_env_parts(const uint8_t hdr[ENV1_HDR_LEN], const uint8_t *ct, size_t ct_len,
    uint8_t out[ENV1_HASH_LEN])
{
	hash2(LABEL_ENV, sizeof(LABEL_ENV), hdr, ENV1_HDR_LEN, ct, ct_len, out);
}

void
env1_h_inner(const uint8_t tbs[ENV1_TBS_LEN], const uint8_t sig[ENV1_SIG_LEN],
    uint8_t out[ENV1_HASH_LEN])
{
	hash2(LABEL_INNER, sizeof(LABEL_INNER), tbs, ENV1_TBS_LEN, sig,
	    ENV1_SIG_LEN, out);
}

static void
hdr_hash(const uint8_t prefix[ENV1_HDR_PREFIX_LEN], uint8_t out[ENV1_HASH_LEN])
{
	hash2(LABEL_HDR, sizeof(LABEL_HDR), prefix, ENV1_HDR_PREFIX_LEN, NULL, 0,
	    out);
}

void
env1_semantic_digest(const struct env1_tbs *t, uint8_t out[ENV1_HASH_LEN])
{
	uint8_t b[ENV1_TBS_LEN];

	/* msg_type .. body_len are the tail of the TBS, in this order. */
	env1_tbs_encode(t, b);
	hash2(LABEL_SEMANTIC, sizeof(LABEL_SEMANTIC), b + TBS_MSG_TYPE,
	    ENV1_TBS_LEN - TBS_MSG_TYPE, NULL, 0, out);
	sodium_memzero(b, sizeof(b));
}

static void
content_hash(const uint8_t salt[ENV1_HASH_LEN], const uint8_t *body,
    size_t len, uint8_t out[ENV1_HASH_LEN])
{
	crypto_generichash(out, ENV1_HASH_LEN, len > 0 ? body : salt, len, salt,
	    ENV1_HASH_LEN);
}

/*
 * 2.5: k_root = BLAKE2b-256(key = ss, "ENV1/root\0" || hdr_prefix ||
 * spk_pub); k_enc and kc are subkey 1 of k_root under "ENV1_ENC" and
 * "ENV1_COM".  k_root lives only here and is wiped with the hash state.
 */
static void
key_schedule(const uint8_t ss[32], const uint8_t prefix[ENV1_HDR_PREFIX_LEN],
    const uint8_t spk_pub[ENV1_KEY_LEN], uint8_t k_enc[32], uint8_t kc[32])
{
	crypto_generichash_state st;
	uint8_t k_root[32];

	crypto_generichash_init(&st, ss, 32, sizeof(k_root));
	crypto_generichash_update(&st, LABEL_ROOT, sizeof(LABEL_ROOT));
	crypto_generichash_update(&st, prefix, ENV1_HDR_PREFIX_LEN);
	crypto_generichash_update(&st, spk_pub, ENV1_KEY_LEN);
	crypto_generichash_final(&st, k_root, sizeof(k_root));
	crypto_kdf_derive_from_key(k_enc, 32, 1, "ENV1_ENC", k_root);
	crypto_kdf_derive_from_key(kc, 32, 1, "ENV1_COM", k_root);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(k_root, sizeof(k_root));
}

/* --- Seal (2.6) --- */

void
env1_sealed_free(struct env1_sealed *s)
{
	if (s == NULL)
		return;
	free(s->env);
	sodium_memzero(s, sizeof(*s));         /* the TBS holds content_salt */
}

int
env1_seal(const struct env1_identity *me, const struct peerkeys *peer,
    const struct stmt_spk *spk, const struct env1_seal_params *p,
    uint64_t now, struct env1_sealed *out)
{
	struct env1_header hdr;
	struct env1_tbs tbs;
	uint8_t ss[32], k_enc[32];
	uint8_t *sec = NULL, *eph_sk, *inner, *env = NULL;
	size_t inner_len, ct_len, env_len;
	int r;

	if (me == NULL || me->dsk_sk == NULL || peer == NULL || spk == NULL ||
	    p == NULL || out == NULL || (p->body == NULL && p->body_len > 0))
		return ENV1_R_INVALID_ARG;
	if (p->body_len > ENV1_MAX_INLINE)
		return ENV1_R_BODY_LEN;
	if (p->seq == 0)
		return ENV1_R_INVALID_ARG;
	if (!env1_msg_type_known(p->msg_type))
		return ENV1_R_MSG_TYPE;
	/* Step 1: never encrypt to a prekey we cannot vouch for. */
	if ((r = peerkeys_validate_prekey(peer, spk, now)) != ENV1_OK)
		return r;

	inner_len = ENV1_INNER_OVERHEAD + p->body_len;
	ct_len = inner_len + ENV1_TAG_LEN;
	env_len = ENV1_HDR_LEN + ct_len;
	/* One guarded block: the ephemeral secret, then the plaintext. */
	sec = secret_alloc(32 + inner_len);
	env = malloc(env_len);
	if (sec == NULL || env == NULL) {
		r = ENV1_R_NOMEM;
		goto done;
	}
	eph_sk = sec;
	inner = sec + 32;
	if (p->eph_sk != NULL)
		memcpy(eph_sk, p->eph_sk, 32);
	else
		randombytes_buf(eph_sk, 32);

	/* Steps 4-5: the header prefix; kc is filled in once derived. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = ENV1_VERSION;
	hdr.suite = ENV1_SUITE_X25519;
	memcpy(hdr.message_id, p->message_id, ENV1_ID_LEN);
	hdr.created_at = p->created_at;
	hdr.expires_at = p->expires_at;
	memcpy(hdr.sender_rik, me->rik_pub, ENV1_KEY_LEN);
	memcpy(hdr.recipient_rik, peer->rik, ENV1_KEY_LEN);
	hdr.spk_id = spk->spk_id;
	hdr.enc_len = ENV1_ENC_LEN_SUITE1;
	if (crypto_scalarmult_base(hdr.enc, eph_sk) != 0) {
		r = ENV1_R_INVALID_ARG;         /* a zero test scalar */
		goto done;
	}
	if (p->nonce != NULL)
		memcpy(hdr.nonce, p->nonce, ENV1_NONCE_LEN);
	else
		randombytes_buf(hdr.nonce, ENV1_NONCE_LEN);
	hdr.ct_len = (uint32_t)ct_len;
	header_encode(&hdr, env);

	/* Steps 6-7. */
	if (crypto_scalarmult(ss, eph_sk, spk->spk_pub) != 0) {
		r = ENV1_R_PREKEY_POINT;
		goto done;
	}
	sodium_memzero(eph_sk, 32);
	key_schedule(ss, env, spk->spk_pub, k_enc, env + HDR_KC);

	/* Steps 3 and 8: the TBS and its signature, straight into the
	 * plaintext buffer, then the body once. */
	memset(&tbs, 0, sizeof(tbs));
	tbs.version = ENV1_VERSION;
	tbs.suite = ENV1_SUITE_X25519;
	memcpy(tbs.message_id, p->message_id, ENV1_ID_LEN);
	tbs.created_at = p->created_at;
	memcpy(tbs.sender_rik, me->rik_pub, ENV1_KEY_LEN);
	memcpy(tbs.recipient_rik, peer->rik, ENV1_KEY_LEN);
	hdr_hash(env, tbs.hdr_hash);
	memcpy(tbs.signer_dsk, me->dsk_pub, ENV1_KEY_LEN);
	tbs.msg_type = p->msg_type;
	memcpy(tbs.thread_id, p->thread_id, ENV1_ID_LEN);
	tbs.seq = p->seq;
	memcpy(tbs.prev_hash, p->prev_hash, ENV1_HASH_LEN);
	memcpy(tbs.in_reply_to, p->in_reply_to, ENV1_ID_LEN);
	memcpy(tbs.content_salt, p->content_salt, ENV1_HASH_LEN);
	content_hash(p->content_salt, p->body, p->body_len, tbs.content_hash);
	tbs.body_len = p->body_len;
	env1_tbs_encode(&tbs, inner);
	crypto_sign_detached(inner + ENV1_TBS_LEN, NULL, inner, ENV1_TBS_LEN,
	    me->dsk_sk);
	if (p->body_len > 0)
		memcpy(inner + ENV1_INNER_OVERHEAD, p->body, p->body_len);

	/* Steps 9-10: the ciphertext goes straight after the header. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(env + ENV1_HDR_LEN, NULL,
	    inner, inner_len, env, ENV1_HDR_LEN, NULL, hdr.nonce, k_enc);

	memset(out, 0, sizeof(*out));
	out->env = env;                 /* ownership passes to the caller */
	out->env_len = env_len;
	env1_h_env(env, env_len, out->h_env);
	memcpy(out->tbs, inner, ENV1_TBS_LEN);
	memcpy(out->sig, inner + ENV1_TBS_LEN, ENV1_SIG_LEN);
	env1_h_inner(out->tbs, out->sig, out->h_inner);
	env = NULL;
	r = ENV1_OK;
done:
	/* Step 11; secret_free wipes eph_sk and the plaintext. */
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(k_enc, sizeof(k_enc));
	sodium_memzero(&tbs, sizeof(tbs));
	secret_free(sec);
	free(env);
	return r;
}

/* --- Open (2.7) --- */

void
env1_opened_free(struct env1_opened *o)
{
	if (o == NULL)
		return;
	secret_free(o->inner);
	sodium_memzero(o, sizeof(*o));
}

/* Step 4: SKEW into the future, MAX_AGE into the past, expires_at. */
static int
time_window(const struct env1_header *h, const struct peerkeys *peer,
    uint64_t now)
{
	uint64_t max_age = peer->max_age_ms != 0 ? peer->max_age_ms :
	    ENV1_MAX_AGE_MS;

	/* Written as differences: no sum can overflow. */
	if (h->created_at > now && h->created_at - now > ENV1_SKEW_MS)
		return ENV1_R_FROM_FUTURE;
	if (now > h->created_at && now - h->created_at > max_age)
		return ENV1_R_TOO_OLD;
	if (h->expires_at != 0 && now > h->expires_at)
		return ENV1_R_EXPIRED;
	return ENV1_OK;
}

/* Step 11: the TBS repeats the header; compared in constant time since
 * one side is plaintext. */
static int
inner_matches(const uint8_t *tbs, const uint8_t *env)
{
	uint8_t hh[ENV1_HASH_LEN];
	int diff;

	diff = tbs[TBS_VERSION] ^ env[HDR_VERSION];
	diff |= tbs[TBS_SUITE] ^ env[HDR_SUITE];
	diff |= sodium_memcmp(tbs + TBS_MESSAGE_ID, env + HDR_MESSAGE_ID,
	    ENV1_ID_LEN + 8);
	diff |= sodium_memcmp(tbs + TBS_SENDER, env + HDR_SENDER,
	    2 * ENV1_KEY_LEN);
	if (diff != 0)
		return ENV1_R_INNER_MISMATCH;
	hdr_hash(env, hh);
	if (sodium_memcmp(hh, tbs + TBS_HDR_HASH, ENV1_HASH_LEN) != 0)
		return ENV1_R_HDR_HASH;
	return ENV1_OK;
}

/* Step 14, after the content hash: the body is of its signed type. */
static int
body_type_ok(const struct env1_open_ctx *ctx, uint16_t msg_type,
    const uint8_t *body, size_t len)
{
	struct receipt rc;

	if (!env1_msg_type_known(msg_type))
		return ENV1_R_MSG_TYPE;
	if (msg_type == ENV1_MSG_DELIVERY_RECEIPT)
		return receipt_decode(body, len, &rc) == ENV1_OK ? ENV1_OK :
		    ENV1_R_MSG_TYPE;
	/* Test documents are opaque bytes by definition. */
	if (msg_type == ENV1_MSG_TEST_DOCUMENT)
		return ENV1_OK;
	/* Every other type is a protobuf document the caller must check:
	 * without a checker the step cannot be done, so it fails closed. */
	if (ctx->check_body == NULL ||
	    ctx->check_body(ctx->arg, msg_type, body, len) != 0)
		return ENV1_R_MSG_TYPE;
	return ENV1_OK;
}

int
env1_open(const struct env1_open_ctx *ctx, const uint8_t *env, size_t len,
    struct env1_opened *out)
{
	struct env1_header hdr;
	struct env1_tbs tbs;
	const struct peerkeys *peer;
	const struct env1_prekey *pk;
	uint8_t h_env[ENV1_HASH_LEN], ss[32], k_enc[32], kc[32], ch[ENV1_HASH_LEN];
	uint8_t *inner = NULL;
	const uint8_t *body;
	size_t inner_len = 0, body_len;
	int r;

	if (out == NULL)
		return ENV1_R_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (ctx == NULL || ctx->own_rik == NULL || ctx->find_peer == NULL ||
	    ctx->find_prekey == NULL || (env == NULL && len > 0))
		return ENV1_R_INVALID_ARG;
	memset(&tbs, 0, sizeof(tbs));

	/* 1: exact lengths; nothing large is allocated before step 9. */
	if ((r = env1_header_parse(env, len, &hdr)) != ENV1_OK)
		goto done;
	/* 2: not for us: never try to decrypt. */
	if (sodium_memcmp(hdr.recipient_rik, ctx->own_rik, ENV1_KEY_LEN) != 0 &&
	    (ctx->old_rik == NULL ||
	    sodium_memcmp(hdr.recipient_rik, ctx->old_rik, ENV1_KEY_LEN) != 0)) {
		r = ENV1_R_WRONG_RECIPIENT;
		goto done;
	}
	/* 3: a pinned peer in good standing, and no suite downgrade. */
	if ((peer = ctx->find_peer(ctx->arg, hdr.sender_rik)) == NULL) {
		r = ENV1_R_UNKNOWN_SENDER;
		goto done;
	}
	if (peer->suspended ||
	    peerkeys_is_revoked(peer, peer->rik, STMT_REVOKE_RIK)) {
		r = ENV1_R_SENDER_SUSPENDED;
		goto done;
	}
	if (hdr.suite < peer->min_suite) {
		r = ENV1_R_SUITE;
		goto done;
	}
	/* 4 */
	if ((r = time_window(&hdr, peer, ctx->now)) != ENV1_OK)
		goto done;
	/* 5: byte-identical replay of an accepted envelope. */
	env1_h_env(env, len, h_env);
	if (ctx->is_replay != NULL &&
	    ctx->is_replay(ctx->arg, hdr.sender_rik, hdr.message_id, h_env)) {
		r = ENV1_R_DUPLICATE;
		goto done;
	}
	/* 6: the prekey must still hold its secret. */
	pk = ctx->find_prekey(ctx->arg, hdr.spk_id);
	if (pk == NULL || pk->sk == NULL || pk->stmt.spk_id != hdr.spk_id ||
	    pk->stmt.suite != hdr.suite) {
		r = ENV1_R_UNKNOWN_PREKEY;
		goto done;
	}
	if (ctx->now > pk->stmt.retain_until) {
		r = ENV1_R_PREKEY_EXPIRED;
		goto done;
	}
	/* 7 */
	if (crypto_scalarmult(ss, pk->sk, hdr.enc) != 0) {
		r = ENV1_R_BAD_POINT;
		goto done;
	}
	/* 8: the commitment before the AEAD ever runs. */
	key_schedule(ss, env, pk->stmt.spk_pub, k_enc, kc);
	if (sodium_memcmp(kc, hdr.kc, ENV1_HASH_LEN) != 0) {
		r = ENV1_R_KEY_COMMITMENT;
		goto done;
	}
	/* 9 */
	inner_len = hdr.ct_len - ENV1_TAG_LEN;
	if ((inner = secret_alloc(inner_len)) == NULL) {
		r = ENV1_R_NOMEM;
		goto done;
	}
	atomic_fetch_add_explicit(&aead_attempts, 1, memory_order_relaxed);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(inner, NULL, NULL,
	    env + ENV1_HDR_LEN, hdr.ct_len, env, ENV1_HDR_LEN, hdr.nonce,
	    k_enc) != 0) {
		r = ENV1_R_AEAD;
		goto done;
	}
	/* 10: ct_len <= ENV1_CT_MAX already bounds the body by MAX_INLINE. */
	body_len = inner_len - ENV1_INNER_OVERHEAD;
	body = inner + ENV1_INNER_OVERHEAD;
	if (be64_get(inner + TBS_BODY_LEN) != body_len ||
	    body_len > ENV1_MAX_INLINE) {
		r = ENV1_R_BODY_LEN;
		goto done;
	}
	/* 11 */
	if ((r = env1_tbs_decode(inner, &tbs)) != ENV1_OK ||
	    (r = inner_matches(inner, env)) != ENV1_OK)
		goto done;
	/* 12 */
	if ((r = peerkeys_check_signer(peer, tbs.signer_dsk, STMT_USAGE_MSG,
	    tbs.created_at)) != ENV1_OK)
		goto done;
	/* 13 */
	if (crypto_sign_verify_detached(inner + ENV1_TBS_LEN, inner, ENV1_TBS_LEN,
	    tbs.signer_dsk) != 0) {
		r = ENV1_R_SIGNATURE;
		goto done;
	}
	/* 14 */
	content_hash(tbs.content_salt, body, body_len, ch);
	if (sodium_memcmp(ch, tbs.content_hash, ENV1_HASH_LEN) != 0) {
		r = ENV1_R_CONTENT_HASH;
		goto done;
	}
	if ((r = body_type_ok(ctx, tbs.msg_type, body, body_len)) != ENV1_OK)
		goto done;

	out->hdr = hdr;
	out->tbs = tbs;
	memcpy(out->h_env, h_env, ENV1_HASH_LEN);
	env1_h_inner(inner, inner + ENV1_TBS_LEN, out->h_inner);
	env1_semantic_digest(&tbs, out->semantic);
	out->inner = inner;             /* ownership passes to the caller */
	out->inner_len = inner_len;
	out->body = body;
	out->body_len = body_len;
	inner = NULL;
done:
	/* 17: wipe what was derived; a refused plaintext never leaves. */
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(k_enc, sizeof(k_enc));
	sodium_memzero(kc, sizeof(kc));
	sodium_memzero(ch, sizeof(ch));
	sodium_memzero(&tbs, sizeof(tbs));
	secret_free(inner);
	if (r != ENV1_OK)
		sodium_memzero(out, sizeof(*out));
	return r;
}
