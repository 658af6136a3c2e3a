/* Deterministic synthetic agencies for tests (see fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"
#include "tests/lib/fixture.h"

static void
die(const char *what)
{
	fprintf(stderr, "fixture: %s\n", what);
	abort();
}

void
fixture_bytes(const char *label, uint8_t *out, size_t len)
{
	uint8_t block[64];
	uint64_t counter = 0;

	while (len > 0) {
		crypto_generichash_state st;
		size_t n = len < sizeof(block) ? len : sizeof(block);
		uint8_t ctr[8];

		/* Little-endian whatever the host, so vectors regenerate alike. */
		for (size_t i = 0; i < sizeof(ctr); i++)
			ctr[i] = (uint8_t)(counter >> (8 * i));
		crypto_generichash_init(&st, NULL, 0, sizeof(block));
		crypto_generichash_update(&st, (const uint8_t *)"homeward fixture", 16);
		crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
		crypto_generichash_update(&st, ctr, sizeof(ctr));
		crypto_generichash_final(&st, block, sizeof(block));
		memcpy(out, block, n);
		out += n;
		len -= n;
		counter++;
	}
}

static void
labelled(const struct fixture_agency *a, const char *what, uint8_t *out, size_t len)
{
	char l[96];

	snprintf(l, sizeof(l), "%s/%s", a->label, what);
	fixture_bytes(l, out, len);
}

void
fixture_agency_prekey(struct fixture_agency *a, uint64_t spk_id,
    uint64_t not_before, uint64_t not_after, uint64_t retain_until)
{
	struct stmt_spk *s = &a->prekey.stmt;
	char what[32];

	if (a->prekey.sk == NULL && (a->prekey.sk = secret_alloc(32)) == NULL)
		die("secret_alloc");
	snprintf(what, sizeof(what), "spk/%llu", (unsigned long long)spk_id);
	labelled(a, what, a->prekey.sk, 32);
	memset(s, 0, sizeof(*s));
	s->suite = ENV1_SUITE_X25519;
	memcpy(s->owner_rik, a->rik_pk, 32);
	memcpy(s->signer_dsk, a->id.dsk_pub, 32);
	s->spk_id = spk_id;
	s->not_before = not_before;
	s->not_after = not_after;
	s->retain_until = retain_until;
	crypto_scalarmult_base(s->spk_pub, a->prekey.sk);
	if (stmt_spk_sign(s, a->id.dsk_sk) != ENV1_OK)
		die("stmt_spk_sign");
}

void
fixture_agency_make(struct fixture_agency *a, const char *label, uint64_t now)
{
	struct stmt_dsk_cert *c = &a->id.cert;

	if (sodium_init() < 0)
		die("sodium_init");
	memset(a, 0, sizeof(*a));
	snprintf(a->label, sizeof(a->label), "%s", label);
	a->rik_sk = secret_alloc(64);
	a->rik_seed = secret_alloc(32);
	a->dsk_seed = secret_alloc(32);
	a->id.dsk_sk = secret_alloc(64);
	if (!a->rik_sk || !a->rik_seed || !a->dsk_seed || !a->id.dsk_sk)
		die("secret_alloc");
	labelled(a, "rik", a->rik_seed, 32);
	labelled(a, "dsk", a->dsk_seed, 32);
	crypto_sign_seed_keypair(a->rik_pk, a->rik_sk, a->rik_seed);
	crypto_sign_seed_keypair(a->id.dsk_pub, a->id.dsk_sk, a->dsk_seed);
	memcpy(a->id.rik_pub, a->rik_pk, 32);

	memcpy(c->issuer_rik, a->rik_pk, 32);
	memcpy(c->dsk_pub, a->id.dsk_pub, 32);
	c->serial = 1;
	c->not_before = now - 30 * FIXTURE_DAY;
	c->not_after = now + 335 * FIXTURE_DAY;
	c->usage = STMT_USAGE_MSG | STMT_USAGE_PREKEY;
	if (stmt_cert_sign(c, a->rik_sk) != ENV1_OK)
		die("stmt_cert_sign");

	fixture_agency_prekey(a, 1, now - FIXTURE_DAY, now + 7 * FIXTURE_DAY,
	    now + 28 * FIXTURE_DAY);
}

void
fixture_agency_free(struct fixture_agency *a)
{
	if (a == NULL)
		return;
	secret_free(a->rik_sk);
	secret_free(a->rik_seed);
	secret_free(a->dsk_seed);
	secret_free(a->id.dsk_sk);
	secret_free(a->prekey.sk);
	memset(a, 0, sizeof(*a));
}

void
fixture_peerkeys(const struct fixture_agency *a, struct peerkeys *out)
{
	peerkeys_init(out, a->rik_pk);
	if (peerkeys_add_cert(out, &a->id.cert) != ENV1_OK)
		die("peerkeys_add_cert");
	if (peerkeys_add_prekey(out, &a->prekey.stmt) != ENV1_OK)
		die("peerkeys_add_prekey");
}

void
fixture_bundle(const struct fixture_agency *a, struct bundle *out)
{
	struct agency_info ai;
	struct bundle_parts p;
	uint8_t *info, sig[ENV1_SIG_LEN], *buf;
	size_t infolen, len;
	char why[BUNDLE_WHY_LEN];

	memset(&ai, 0, sizeof(ai));
	snprintf(ai.agency_id, sizeof(ai.agency_id), "%s", a->label);
	snprintf(ai.name, sizeof(ai.name), "Synthetic agency %s", a->label);
	snprintf(ai.country, sizeof(ai.country), "ZZ");
	snprintf(ai.time_zone, sizeof(ai.time_zone), "Etc/UTC");
	memcpy(ai.rik, a->rik_pk, ENV1_KEY_LEN);
	ai.issued_at = a->id.cert.not_before;
	if (bundle_sign_agency(&ai, a->rik_sk, &info, &infolen, sig) != ENV1_OK)
		die("bundle_sign_agency");
	memset(&p, 0, sizeof(p));
	p.agency_info = info;
	p.agency_info_len = infolen;
	p.agency_sig = sig;
	p.certs = &a->id.cert;
	p.ncerts = 1;
	p.prekeys = &a->prekey.stmt;
	p.nprekeys = 1;
	if (bundle_build(a->rik_pk, &p, &buf, &len) != ENV1_OK)
		die("bundle_build");
	if (bundle_parse(buf, len, out, why) != ENV1_OK)
		die(why);
	free(buf);
	free(info);
}

void
fixture_inbox_init(struct fixture_inbox *in, const struct fixture_agency *me)
{
	memset(in, 0, sizeof(*in));
	in->me = me;
}

void
fixture_inbox_pin(struct fixture_inbox *in, const struct fixture_agency *a)
{
	if (in->npeers == sizeof(in->peers) / sizeof(in->peers[0]))
		die("too many peers");
	fixture_peerkeys(a, &in->peers[in->npeers++]);
}

void
fixture_inbox_free(struct fixture_inbox *in)
{
	for (size_t i = 0; i < in->npeers; i++)
		peerkeys_clear(&in->peers[i]);
	in->npeers = 0;
}

static const struct peerkeys *
inbox_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	struct fixture_inbox *in = arg;

	for (size_t i = 0; i < in->npeers; i++)
		if (memcmp(in->peers[i].rik, rik, ENV1_KEY_LEN) == 0)
			return &in->peers[i];
	return NULL;
}

static const struct env1_prekey *
inbox_find_prekey(void *arg, uint64_t spk_id)
{
	struct fixture_inbox *in = arg;

	if (in->prekey_deleted || in->me->prekey.stmt.spk_id != spk_id)
		return NULL;
	return &in->me->prekey;
}

void
fixture_open_ctx(struct fixture_inbox *in, uint64_t now, struct env1_open_ctx *out)
{
	memset(out, 0, sizeof(*out));
	out->own_rik = in->me->rik_pk;
	out->now = now;
	out->find_peer = inbox_find_peer;
	out->find_prekey = inbox_find_prekey;
	out->arg = in;
}

void
fixture_seal_params(struct env1_seal_params *p, const char *label,
    uint16_t msg_type, uint64_t seq, const uint8_t *body, size_t body_len,
    uint64_t created_at)
{
	char l[96];

	memset(p, 0, sizeof(*p));
	snprintf(l, sizeof(l), "%s/message_id", label);
	fixture_bytes(l, p->message_id, sizeof(p->message_id));
	snprintf(l, sizeof(l), "%s/thread_id", label);
	fixture_bytes(l, p->thread_id, sizeof(p->thread_id));
	snprintf(l, sizeof(l), "%s/content_salt", label);
	fixture_bytes(l, p->content_salt, sizeof(p->content_salt));
	p->created_at = created_at;
	p->expires_at = 0;
	p->msg_type = msg_type;
	p->seq = seq;
	p->body = body;
	p->body_len = body_len;
}
