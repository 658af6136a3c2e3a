/*
 * A pinned peer's verified keys (see peerkeys.h).  Signatures are checked
 * once, when a statement is added; lookups on the message path are plain
 * comparisons over a handful of entries.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/peerkeys.h"

void
peerkeys_init(struct peerkeys *p, const uint8_t rik[ENV1_KEY_LEN])
{
	memset(p, 0, sizeof(*p));
	memcpy(p->rik, rik, ENV1_KEY_LEN);
	p->min_suite = ENV1_SUITE_X25519;
}

void
peerkeys_clear(struct peerkeys *p)
{
	if (p == NULL)
		return;
	free(p->certs);
	free(p->prekeys);
	free(p->revocations);
	p->certs = NULL;
	p->prekeys = NULL;
	p->revocations = NULL;
	p->ncerts = p->nprekeys = p->nrevocations = 0;
}

/* Append one element to a growable array; the array is untouched on error. */
static int
append(void **arr, size_t *n, const void *elem, size_t size)
{
	void *grown;

	if (*n >= 4096)         /* a peer has a few certificates, not thousands */
		return ENV1_R_INVALID_ARG;
	grown = realloc(*arr, (*n + 1) * size);
	if (grown == NULL)
		return ENV1_R_NOMEM;
	memcpy((uint8_t *)grown + *n * size, elem, size);
	*arr = grown;
	(*n)++;
	return ENV1_OK;
}

int
peerkeys_add_cert(struct peerkeys *p, const struct stmt_dsk_cert *c)
{
	int r;

	if (memcmp(c->issuer_rik, p->rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_STMT_ISSUER;
	if ((r = stmt_cert_verify(c)) != ENV1_OK)
		return r;
	for (size_t i = 0; i < p->ncerts; i++)
		if (stmt_cert_equal(&p->certs[i], c))
			return ENV1_OK;
	return append((void **)&p->certs, &p->ncerts, c, sizeof(*c));
}

int
peerkeys_add_revocation(struct peerkeys *p, const struct stmt_revocation *rv)
{
	int r;

	if (memcmp(rv->issuer_rik, p->rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_STMT_ISSUER;
	if ((r = stmt_revocation_verify(rv)) != ENV1_OK)
		return r;
	for (size_t i = 0; i < p->nrevocations; i++)
		if (stmt_revocation_equal(&p->revocations[i], rv))
			return ENV1_OK;
	if ((r = append((void **)&p->revocations, &p->nrevocations, rv,
	    sizeof(*rv))) != ENV1_OK)
		return r;
	/* A RIK revoking itself is the kill switch: suspend until re-verified. */
	if (rv->kind == STMT_REVOKE_RIK &&
	    memcmp(rv->revoked_key, p->rik, ENV1_KEY_LEN) == 0)
		p->suspended = 1;
	return ENV1_OK;
}

int
peerkeys_is_revoked(const struct peerkeys *p, const uint8_t key[ENV1_KEY_LEN],
    uint8_t kind)
{
	for (size_t i = 0; i < p->nrevocations; i++)
		if (p->revocations[i].kind == kind &&
		    memcmp(p->revocations[i].revoked_key, key, ENV1_KEY_LEN) == 0)
			return 1;
	return 0;
}

int
peerkeys_check_signer(const struct peerkeys *p, const uint8_t dsk[ENV1_KEY_LEN],
    uint16_t usage, uint64_t created_at)
{
	int best = ENV1_R_CERT_UNKNOWN;

	if (peerkeys_is_revoked(p, dsk, STMT_REVOKE_DSK)) {
		/* Revoked DSKs are refused whatever their certificates say. */
		for (size_t i = 0; i < p->ncerts; i++)
			if (memcmp(p->certs[i].dsk_pub, dsk, ENV1_KEY_LEN) == 0)
				return ENV1_R_CERT_REVOKED;
		return ENV1_R_CERT_UNKNOWN;
	}
	for (size_t i = 0; i < p->ncerts; i++) {
		const struct stmt_dsk_cert *c = &p->certs[i];

		if (memcmp(c->dsk_pub, dsk, ENV1_KEY_LEN) != 0)
			continue;
		if ((c->usage & usage) != usage) {
			if (best == ENV1_R_CERT_UNKNOWN)
				best = ENV1_R_CERT_USAGE;
			continue;
		}
		if (!stmt_cert_valid_at(c, created_at)) {
			best = ENV1_R_CERT_VALIDITY;
			continue;
		}
		return ENV1_OK;
	}
	return best;
}

/* Low-order X25519 points give an all-zero product, which libsodium
 * reports as -1 whatever the scalar. */
static int
x25519_point_ok(const uint8_t pub[ENV1_KEY_LEN])
{
	static const uint8_t probe[32] = { 0x09, 0x48, 0x4f, 0x4d, 0x45 };
	uint8_t out[32];
	int ok = crypto_scalarmult(out, probe, pub) == 0;

	sodium_memzero(out, sizeof(out));
	return ok;
}

static int
prekey_known(const struct peerkeys *p, const struct stmt_spk *s)
{
	for (size_t i = 0; i < p->nprekeys; i++)
		if (stmt_spk_equal(&p->prekeys[i], s))
			return 1;
	return 0;
}

/* The parts of prekey validation that need no clock. */
static int
prekey_chain(const struct peerkeys *p, const struct stmt_spk *s)
{
	int r;

	if (memcmp(s->owner_rik, p->rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_PREKEY_OWNER;
	if ((r = stmt_spk_verify(s)) != ENV1_OK)
		return r;
	if (s->suite != ENV1_SUITE_X25519 || s->suite < p->min_suite)
		return ENV1_R_SUITE;
	/* The signer needs a PREKEY certificate valid when the prekey starts. */
	r = peerkeys_check_signer(p, s->signer_dsk, STMT_USAGE_PREKEY, s->not_before);
	if (r == ENV1_R_CERT_USAGE || r == ENV1_R_CERT_UNKNOWN)
		return ENV1_R_PREKEY_USAGE;
	if (r != ENV1_OK)
		return r == ENV1_R_CERT_REVOKED ? ENV1_R_PREKEY_REVOKED :
		    ENV1_R_PREKEY_VALIDITY;
	if (!x25519_point_ok(s->spk_pub))
		return ENV1_R_PREKEY_POINT;
	return ENV1_OK;
}

int
peerkeys_add_prekey(struct peerkeys *p, const struct stmt_spk *s)
{
	int r;

	if (prekey_known(p, s))
		return ENV1_OK;
	if ((r = prekey_chain(p, s)) != ENV1_OK)
		return r;
	return append((void **)&p->prekeys, &p->nprekeys, s, sizeof(*s));
}

int
peerkeys_validate_prekey(const struct peerkeys *p, const struct stmt_spk *s,
    uint64_t now)
{
	int r;

	/* Statements stored here were verified when added; others are not. */
	if (!prekey_known(p, s) && (r = prekey_chain(p, s)) != ENV1_OK)
		return r;
	if (memcmp(s->owner_rik, p->rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_PREKEY_OWNER;
	if (s->suite < p->min_suite)
		return ENV1_R_SUITE;
	if (peerkeys_is_revoked(p, s->spk_pub, STMT_REVOKE_SPK))
		return ENV1_R_PREKEY_REVOKED;
	if (peerkeys_is_revoked(p, s->signer_dsk, STMT_REVOKE_DSK))
		return ENV1_R_PREKEY_REVOKED;
	if (s->not_after < ENV1_PREKEY_MARGIN_MS || now < s->not_before ||
	    now > s->not_after - ENV1_PREKEY_MARGIN_MS)
		return ENV1_R_PREKEY_VALIDITY;
	return ENV1_OK;
}

int
peerkeys_choose_prekey(const struct peerkeys *p, uint64_t now,
    const struct stmt_spk **out)
{
	const struct stmt_spk *best = NULL;

	for (size_t i = 0; i < p->nprekeys; i++) {
		const struct stmt_spk *s = &p->prekeys[i];

		if (peerkeys_validate_prekey(p, s, now) != ENV1_OK)
			continue;
		if (best == NULL || s->not_before > best->not_before)
			best = s;
	}
	if (best == NULL)
		return ENV1_R_NO_PREKEY;
	*out = best;
	return ENV1_OK;
}
