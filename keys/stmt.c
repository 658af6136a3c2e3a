/*
 * Fixed-layout signed statements (see stmt.h).  Signing and verifying use
 * pure single-part Ed25519 over the exact encoded body, so the bytes that
 * were signed are the bytes that are stored and sent.
 */
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/stmt.h"

static const uint8_t DOMAIN_CERT[16] = "ENV1 dsk cert v1";
static const uint8_t DOMAIN_SPK[16] = "ENV1 prekey v1\0\0";
static const uint8_t DOMAIN_REVOCATION[16] = "ENV1 revocation\0";
static const uint8_t DOMAIN_TRANSITION[16] = "ENV1 rik rotate\0";

/* --- DSK certificate: domain ver issuer dsk serial nb na usage --- */

static void
cert_body(const struct stmt_dsk_cert *c, uint8_t b[STMT_CERT_BODY_LEN])
{
	memcpy(b, DOMAIN_CERT, 16);
	b[16] = STMT_VERSION;
	memcpy(b + 17, c->issuer_rik, 32);
	memcpy(b + 49, c->dsk_pub, 32);
	be64_put(b + 81, c->serial);
	be64_put(b + 89, c->not_before);
	be64_put(b + 97, c->not_after);
	be16_put(b + 105, c->usage);
}

void
stmt_cert_encode(const struct stmt_dsk_cert *c, uint8_t out[STMT_CERT_LEN])
{
	cert_body(c, out);
	memcpy(out + STMT_CERT_BODY_LEN, c->sig, ENV1_SIG_LEN);
}

int
stmt_cert_decode(const uint8_t *b, size_t len, struct stmt_dsk_cert *c)
{
	if (len != STMT_CERT_LEN || memcmp(b, DOMAIN_CERT, 16) != 0 ||
	    b[16] != STMT_VERSION)
		return ENV1_R_MALFORMED;
	memcpy(c->issuer_rik, b + 17, 32);
	memcpy(c->dsk_pub, b + 49, 32);
	c->serial = be64_get(b + 81);
	c->not_before = be64_get(b + 89);
	c->not_after = be64_get(b + 97);
	c->usage = be16_get(b + 105);
	memcpy(c->sig, b + STMT_CERT_BODY_LEN, ENV1_SIG_LEN);
	return ENV1_OK;
}

int
stmt_cert_sign(struct stmt_dsk_cert *c, const uint8_t rik_sk[64])
{
	uint8_t body[STMT_CERT_BODY_LEN];

	cert_body(c, body);
	return crypto_sign_detached(c->sig, NULL, body, sizeof(body), rik_sk) == 0 ?
	    ENV1_OK : ENV1_R_INVALID_ARG;
}

int
stmt_cert_verify(const struct stmt_dsk_cert *c)
{
	uint8_t body[STMT_CERT_BODY_LEN];

	cert_body(c, body);
	return crypto_sign_verify_detached(c->sig, body, sizeof(body),
	    c->issuer_rik) == 0 ? ENV1_OK : ENV1_R_STMT_SIGNATURE;
}

int
stmt_cert_valid_at(const struct stmt_dsk_cert *c, uint64_t t)
{
	return t >= c->not_before && t <= c->not_after;
}

/* --- SPK statement: domain ver suite owner signer id nb na ru pk_len pk --- */

static void
spk_body(const struct stmt_spk *s, uint8_t b[STMT_SPK_BODY_LEN])
{
	memcpy(b, DOMAIN_SPK, 16);
	b[16] = STMT_VERSION;
	b[17] = s->suite;
	memcpy(b + 18, s->owner_rik, 32);
	memcpy(b + 50, s->signer_dsk, 32);
	be64_put(b + 82, s->spk_id);
	be64_put(b + 90, s->not_before);
	be64_put(b + 98, s->not_after);
	be64_put(b + 106, s->retain_until);
	be16_put(b + 114, ENV1_KEY_LEN);
	memcpy(b + 116, s->spk_pub, 32);
}

void
stmt_spk_encode(const struct stmt_spk *s, uint8_t out[STMT_SPK_LEN])
{
	spk_body(s, out);
	memcpy(out + STMT_SPK_BODY_LEN, s->sig, ENV1_SIG_LEN);
}

int
stmt_spk_decode(const uint8_t *b, size_t len, struct stmt_spk *s)
{
	/* Suite 2 statements (pk_len 1216) are well-formed but not ours yet. */
	if (len >= 18 && memcmp(b, DOMAIN_SPK, 16) == 0 && b[16] == STMT_VERSION &&
	    b[17] == ENV1_SUITE_XWING)
		return ENV1_R_SUITE;
	if (len != STMT_SPK_LEN || memcmp(b, DOMAIN_SPK, 16) != 0 ||
	    b[16] != STMT_VERSION)
		return ENV1_R_MALFORMED;
	if (b[17] != ENV1_SUITE_X25519)
		return ENV1_R_SUITE;
	if (be16_get(b + 114) != ENV1_KEY_LEN)
		return ENV1_R_MALFORMED;
	s->suite = b[17];
	memcpy(s->owner_rik, b + 18, 32);
	memcpy(s->signer_dsk, b + 50, 32);
	s->spk_id = be64_get(b + 82);
	s->not_before = be64_get(b + 90);
	s->not_after = be64_get(b + 98);
	s->retain_until = be64_get(b + 106);
	memcpy(s->spk_pub, b + 116, 32);
	memcpy(s->sig, b + STMT_SPK_BODY_LEN, ENV1_SIG_LEN);
	return ENV1_OK;
}

int
stmt_spk_sign(struct stmt_spk *s, const uint8_t dsk_sk[64])
{
	uint8_t body[STMT_SPK_BODY_LEN];

	spk_body(s, body);
	return crypto_sign_detached(s->sig, NULL, body, sizeof(body), dsk_sk) == 0 ?
	    ENV1_OK : ENV1_R_INVALID_ARG;
}

int
stmt_spk_verify(const struct stmt_spk *s)
{
	uint8_t body[STMT_SPK_BODY_LEN];

	spk_body(s, body);
	return crypto_sign_verify_detached(s->sig, body, sizeof(body),
	    s->signer_dsk) == 0 ? ENV1_OK : ENV1_R_STMT_SIGNATURE;
}

/* --- Revocation: domain ver issuer revoked kind revoked_at reason --- */

static void
revocation_body(const struct stmt_revocation *r, uint8_t b[STMT_REVOCATION_BODY_LEN])
{
	memcpy(b, DOMAIN_REVOCATION, 16);
	b[16] = STMT_VERSION;
	memcpy(b + 17, r->issuer_rik, 32);
	memcpy(b + 49, r->revoked_key, 32);
	b[81] = r->kind;
	be64_put(b + 82, r->revoked_at);
	b[90] = r->reason;
}

void
stmt_revocation_encode(const struct stmt_revocation *r, uint8_t out[STMT_REVOCATION_LEN])
{
	revocation_body(r, out);
	memcpy(out + STMT_REVOCATION_BODY_LEN, r->sig, ENV1_SIG_LEN);
}

int
stmt_revocation_decode(const uint8_t *b, size_t len, struct stmt_revocation *r)
{
	if (len != STMT_REVOCATION_LEN || memcmp(b, DOMAIN_REVOCATION, 16) != 0 ||
	    b[16] != STMT_VERSION)
		return ENV1_R_MALFORMED;
	if (b[81] < STMT_REVOKE_DSK || b[81] > STMT_REVOKE_SPK)
		return ENV1_R_MALFORMED;
	memcpy(r->issuer_rik, b + 17, 32);
	memcpy(r->revoked_key, b + 49, 32);
	r->kind = b[81];
	r->revoked_at = be64_get(b + 82);
	r->reason = b[90];
	memcpy(r->sig, b + STMT_REVOCATION_BODY_LEN, ENV1_SIG_LEN);
	return ENV1_OK;
}

int
stmt_revocation_sign(struct stmt_revocation *r, const uint8_t rik_sk[64])
{
	uint8_t body[STMT_REVOCATION_BODY_LEN];

	revocation_body(r, body);
	return crypto_sign_detached(r->sig, NULL, body, sizeof(body), rik_sk) == 0 ?
	    ENV1_OK : ENV1_R_INVALID_ARG;
}

int
stmt_revocation_verify(const struct stmt_revocation *r)
{
	uint8_t body[STMT_REVOCATION_BODY_LEN];

	revocation_body(r, body);
	return crypto_sign_verify_detached(r->sig, body, sizeof(body),
	    r->issuer_rik) == 0 ? ENV1_OK : ENV1_R_STMT_SIGNATURE;
}

/* --- RIK transition: domain ver old new effective_at; sig_old sig_new --- */

static void
transition_body(const struct stmt_transition *t, uint8_t b[STMT_TRANSITION_BODY_LEN])
{
	memcpy(b, DOMAIN_TRANSITION, 16);
	b[16] = STMT_VERSION;
	memcpy(b + 17, t->old_rik, 32);
	memcpy(b + 49, t->new_rik, 32);
	be64_put(b + 81, t->effective_at);
}

void
stmt_transition_encode(const struct stmt_transition *t, uint8_t out[STMT_TRANSITION_LEN])
{
	transition_body(t, out);
	memcpy(out + STMT_TRANSITION_BODY_LEN, t->sig_old, ENV1_SIG_LEN);
	memcpy(out + STMT_TRANSITION_BODY_LEN + ENV1_SIG_LEN, t->sig_new, ENV1_SIG_LEN);
}

int
stmt_transition_decode(const uint8_t *b, size_t len, struct stmt_transition *t)
{
	if (len != STMT_TRANSITION_LEN || memcmp(b, DOMAIN_TRANSITION, 16) != 0 ||
	    b[16] != STMT_VERSION)
		return ENV1_R_MALFORMED;
	memcpy(t->old_rik, b + 17, 32);
	memcpy(t->new_rik, b + 49, 32);
	t->effective_at = be64_get(b + 81);
	memcpy(t->sig_old, b + STMT_TRANSITION_BODY_LEN, ENV1_SIG_LEN);
	memcpy(t->sig_new, b + STMT_TRANSITION_BODY_LEN + ENV1_SIG_LEN, ENV1_SIG_LEN);
	return ENV1_OK;
}

int
stmt_transition_sign(struct stmt_transition *t, const uint8_t old_sk[64],
    const uint8_t new_sk[64])
{
	uint8_t body[STMT_TRANSITION_BODY_LEN];

	transition_body(t, body);
	if (crypto_sign_detached(t->sig_old, NULL, body, sizeof(body), old_sk) != 0 ||
	    crypto_sign_detached(t->sig_new, NULL, body, sizeof(body), new_sk) != 0)
		return ENV1_R_INVALID_ARG;
	return ENV1_OK;
}

int
stmt_transition_verify(const struct stmt_transition *t)
{
	uint8_t body[STMT_TRANSITION_BODY_LEN];

	transition_body(t, body);
	if (crypto_sign_verify_detached(t->sig_old, body, sizeof(body), t->old_rik) != 0 ||
	    crypto_sign_verify_detached(t->sig_new, body, sizeof(body), t->new_rik) != 0)
		return ENV1_R_STMT_SIGNATURE;
	return ENV1_OK;
}

int
stmt_cert_equal(const struct stmt_dsk_cert *a, const struct stmt_dsk_cert *b)
{
	uint8_t ea[STMT_CERT_LEN], eb[STMT_CERT_LEN];

	stmt_cert_encode(a, ea);
	stmt_cert_encode(b, eb);
	return memcmp(ea, eb, sizeof(ea)) == 0;
}

int
stmt_spk_equal(const struct stmt_spk *a, const struct stmt_spk *b)
{
	uint8_t ea[STMT_SPK_LEN], eb[STMT_SPK_LEN];

	stmt_spk_encode(a, ea);
	stmt_spk_encode(b, eb);
	return memcmp(ea, eb, sizeof(ea)) == 0;
}

int
stmt_revocation_equal(const struct stmt_revocation *a, const struct stmt_revocation *b)
{
	uint8_t ea[STMT_REVOCATION_LEN], eb[STMT_REVOCATION_LEN];

	stmt_revocation_encode(a, ea);
	stmt_revocation_encode(b, eb);
	return memcmp(ea, eb, sizeof(ea)) == 0;
}
