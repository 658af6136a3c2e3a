/*
 * The building blocks of build/vectorgen (tests/vectors/vectorgen.c): the
 * JSON shape of agencies, peers and seal inputs, and the emitters that
 * confirm an entry before it is written.  Every envelope is built twice,
 * by env1_seal and by tests/lib/rawenv.c (the specification written out
 * again), and the two must agree; every entry is then re-read through the
 * loaders the checker uses (tests/lib/vecjson.c) and opened, or refused
 * with exactly its stated reason.  A vector that cannot be confirmed is a
 * fatal error, never a file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"
#include "tests/vectors/vecgen.h"

void
vg_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vectorgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}



/* --- JSON pieces --- */

json_t *
vg_agency_json(const struct fixture_agency *a, int with_prekey)
{
	uint8_t cert[STMT_CERT_LEN], spk[STMT_SPK_LEN];
	json_t *o = json_object();

	stmt_cert_encode(&a->id.cert, cert);
	vj_set_str(o, "label", a->label);
	vj_set_hex(o, "rik_seed", a->rik_seed, 32);
	vj_set_hex(o, "rik_pub", a->rik_pk, 32);
	vj_set_hex(o, "dsk_seed", a->dsk_seed, 32);
	vj_set_hex(o, "dsk_pub", a->id.dsk_pub, 32);
	vj_set_hex(o, "dsk_cert", cert, sizeof(cert));
	if (with_prekey) {
		stmt_spk_encode(&a->prekey.stmt, spk);
		vj_set_hex(o, "spk", spk, sizeof(spk));
		vj_set_hex(o, "spk_secret", a->prekey.sk, 32);
	}
	return o;
}

json_t *
vg_peer_json(const struct fixture_agency *a)
{
	uint8_t cert[STMT_CERT_LEN], spk[STMT_SPK_LEN];
	json_t *o = json_object();

	stmt_cert_encode(&a->id.cert, cert);
	stmt_spk_encode(&a->prekey.stmt, spk);
	vj_set_hex(o, "rik", a->rik_pk, 32);
	vj_set_u64(o, "min_suite", ENV1_SUITE_X25519);
	vj_set_u64(o, "max_age_ms", 0);
	json_object_set_new(o, "certs", json_pack("[o]", vj_hex(cert, sizeof(cert))));
	json_object_set_new(o, "prekeys", json_pack("[o]", vj_hex(spk, sizeof(spk))));
	json_object_set_new(o, "revocations", json_array());
	return o;
}

void
vg_peer_add(json_t *peer, const char *what, const uint8_t *b, size_t n)
{
	json_array_append_new(json_object_get(peer, what), vj_hex(b, n));
}

json_t *
vg_prekey_json(const struct stmt_spk *s, const uint8_t sk[32])
{
	uint8_t spk[STMT_SPK_LEN];
	json_t *o = json_object();

	stmt_spk_encode(s, spk);
	vj_set_hex(o, "spk", spk, sizeof(spk));
	vj_set_hex(o, "spk_secret", sk, 32);
	return o;
}

json_t *
vg_recipient_json(const struct fixture_agency *a)
{
	json_t *o = json_object();

	vj_set_hex(o, "rik", a->rik_pk, 32);
	json_object_set_new(o, "prekeys", json_pack("[o]",
	    vg_prekey_json(&a->prekey.stmt, a->prekey.sk)));
	return o;
}

/* --- Messages --- */

void
vg_plan_init(struct plan *m, const char *label, const struct fixture_agency *from,
    const struct fixture_agency *to, const char *thread, uint64_t seq,
    const uint8_t *body, size_t body_len)
{
	char l[96];

	memset(m, 0, sizeof(*m));
	m->label = label;
	m->from = from;
	m->to = to;
	m->spk = &to->prekey.stmt;
	m->spk_sk = to->prekey.sk;
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	m->seq = seq;
	m->created_at = FIXTURE_NOW - 60000;
	m->now = FIXTURE_NOW;
	m->body = body;
	m->body_len = body_len;
	snprintf(l, sizeof(l), "vectors/%s/message_id", label);
	fixture_bytes(l, m->message_id, sizeof(m->message_id));
	snprintf(l, sizeof(l), "vectors/thread/%s", thread);
	fixture_bytes(l, m->thread_id, sizeof(m->thread_id));
	snprintf(l, sizeof(l), "vectors/%s/content_salt", label);
	fixture_bytes(l, m->content_salt, sizeof(m->content_salt));
	snprintf(l, sizeof(l), "vectors/%s/eph", label);
	fixture_bytes(l, m->eph_sk, sizeof(m->eph_sk));
	snprintf(l, sizeof(l), "vectors/%s/nonce", label);
	fixture_bytes(l, m->nonce, sizeof(m->nonce));
}

/* The raw builder's view of a plan: the fields a correct sealer writes. */
void
vg_plan_raw(const struct plan *m, struct raw_env *r)
{
	memset(r, 0, sizeof(*r));
	r->h.version = r->t.version = ENV1_VERSION;
	r->h.suite = r->t.suite = ENV1_SUITE_X25519;
	memcpy(r->h.message_id, m->message_id, 16);
	memcpy(r->t.message_id, m->message_id, 16);
	r->h.created_at = r->t.created_at = m->created_at;
	r->h.expires_at = m->expires_at;
	memcpy(r->h.sender_rik, m->from->rik_pk, 32);
	memcpy(r->t.sender_rik, m->from->rik_pk, 32);
	memcpy(r->h.recipient_rik, m->to->rik_pk, 32);
	memcpy(r->t.recipient_rik, m->to->rik_pk, 32);
	r->h.spk_id = m->spk->spk_id;
	r->h.enc_len = ENV1_ENC_LEN_SUITE1;
	memcpy(r->h.nonce, m->nonce, 24);
	memcpy(r->t.signer_dsk, m->from->id.dsk_pub, 32);
	r->t.msg_type = m->msg_type;
	memcpy(r->t.thread_id, m->thread_id, 16);
	r->t.seq = m->seq;
	memcpy(r->t.prev_hash, m->prev_hash, 32);
	memcpy(r->t.in_reply_to, m->in_reply_to, 16);
	memcpy(r->t.content_salt, m->content_salt, 32);
	memcpy(r->eph_sk, m->eph_sk, 32);
	memcpy(r->spk_pub, m->spk->spk_pub, 32);
	r->signer_sk = m->from->id.dsk_sk;
	r->body = m->body;
	r->body_len = m->body_len;
}

/* Every input of a seal, as the "envelopes" entries list them. */
void
vg_plan_inputs_json(const struct plan *m, json_t *o)
{
	json_t *rcpt = vg_agency_json(m->to, 0);
	uint8_t spk[STMT_SPK_LEN];

	stmt_spk_encode(m->spk, spk);
	vj_set_hex(rcpt, "spk", spk, sizeof(spk));
	vj_set_hex(rcpt, "spk_secret", m->spk_sk, 32);
	json_object_set_new(o, "sender", vg_agency_json(m->from, 0));
	json_object_set_new(o, "recipient", rcpt);
	vj_set_hex(o, "eph_secret", m->eph_sk, 32);
	vj_set_hex(o, "nonce", m->nonce, 24);
	vj_set_hex(o, "message_id", m->message_id, 16);
	vj_set_u64(o, "created_at", m->created_at);
	vj_set_u64(o, "expires_at", m->expires_at);
	vj_set_u64(o, "msg_type", m->msg_type);
	vj_set_hex(o, "thread_id", m->thread_id, 16);
	vj_set_u64(o, "seq", m->seq);
	vj_set_hex(o, "prev_hash", m->prev_hash, 32);
	vj_set_hex(o, "in_reply_to", m->in_reply_to, 16);
	vj_set_hex(o, "content_salt", m->content_salt, 32);
	vj_set_hex(o, "body", m->body, m->body_len);
	vj_set_u64(o, "now", m->now);
}

/* Seal an entry's inputs as the checker will: from the JSON alone. */
int
vg_seal_from_json(const json_t *e, struct env1_sealed *out)
{
	const json_t *rcpt = json_object_get(e, "recipient");
	struct env1_identity me;
	struct env1_seal_params p;
	struct peerkeys peer;
	struct stmt_spk spk;
	uint8_t *bufs[3], spkb[STMT_SPK_LEN], rik_seed[32], rik[32], sk[64];
	uint8_t cert[STMT_CERT_LEN];
	struct stmt_dsk_cert c;
	uint64_t now;
	int r;

	if (vj_identity_load(json_object_get(e, "sender"), &me) != ENV1_OK ||
	    vj_seal_params(e, &p, bufs) != ENV1_OK)
		vg_die("unreadable seal inputs");
	if (vj_get_hex(rcpt, "rik_seed", rik_seed, 32) != 0 ||
	    vj_get_hex(rcpt, "dsk_cert", cert, sizeof(cert)) != 0 ||
	    vj_get_hex(rcpt, "spk", spkb, sizeof(spkb)) != 0 ||
	    vj_get_u64(e, "now", &now) != 0 ||
	    stmt_cert_decode(cert, sizeof(cert), &c) != ENV1_OK ||
	    stmt_spk_decode(spkb, sizeof(spkb), &spk) != ENV1_OK)
		vg_die("unreadable recipient");
	crypto_sign_seed_keypair(rik, sk, rik_seed);
	peerkeys_init(&peer, rik);
	if (peerkeys_add_cert(&peer, &c) != ENV1_OK)
		vg_die("recipient certificate refused");
	r = env1_seal(&me, &peer, &spk, &p, now, out);
	peerkeys_clear(&peer);
	vj_identity_free(&me);
	for (int i = 0; i < 3; i++)
		free(bufs[i]);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

/* Open env as the recipient an entry describes; the reason. */
int
vg_open_as(const json_t *recipient, const json_t *peers, uint64_t now,
    const uint8_t *env, size_t len, struct env1_opened *out)
{
	struct vj_inbox in;
	struct env1_open_ctx ctx;
	int r;

	if ((r = vj_inbox_load(recipient, peers, &in)) != ENV1_OK)
		vg_die("recipient state refused: %s", env1_reason_name(r));
	vj_open_ctx(&in, now, &ctx);
	r = env1_open(&ctx, env, len, out);
	vj_inbox_free(&in);
	return r;
}

/*
 * One "envelopes" entry: raw and env1_seal must agree, the entry must
 * re-seal from its own fields, and the recipient must open it.
 */
json_t *
vg_emit_envelope(json_t *arr, const char *name, const char *desc,
    const struct plan *m, uint8_t h_inner[32])
{
	json_t *o = json_object(), *mid = json_object(), *peers;
	struct env1_sealed s;
	struct env1_opened op;
	struct raw_env r;
	int rc;

	vg_plan_raw(m, &r);
	if (raw_seal(&r) != 0)
		vg_die("%s: raw seal failed", name);
	vj_set_str(o, "name", name);
	vj_set_str(o, "description", desc);
	vg_plan_inputs_json(m, o);
	if ((rc = vg_seal_from_json(o, &s)) != ENV1_OK)
		vg_die("%s: env1_seal: %s", name, env1_reason_name(rc));
	if (s.env_len != r.env_len || memcmp(s.env, r.env, r.env_len) != 0 ||
	    memcmp(s.h_env, r.h_env, 32) != 0 ||
	    memcmp(s.h_inner, r.h_inner, 32) != 0)
		vg_die("%s: env1_seal and the specification disagree", name);

	vj_set_hex(mid, "enc", r.h.enc, 32);
	vj_set_hex(mid, "hdr_hash", r.hdr_hash, 32);
	vj_set_hex(mid, "content_hash", r.content_hash, 32);
	vj_set_hex(mid, "ss", r.ss, 32);
	vj_set_hex(mid, "k_root", r.k_root, 32);
	vj_set_hex(mid, "k_enc", r.k_enc, 32);
	vj_set_hex(mid, "kc", r.h.kc, 32);
	vj_set_hex(mid, "tbs", r.tbs, ENV1_TBS_LEN);
	vj_set_hex(mid, "sig", r.sig, ENV1_SIG_LEN);
	json_object_set_new(o, "intermediate", mid);
	vj_set_hex(o, "envelope", r.env, r.env_len);
	vj_set_hex(o, "h_env", r.h_env, 32);
	vj_set_hex(o, "h_inner", r.h_inner, 32);

	peers = json_pack("[o]", vg_peer_json(m->from));
	{
		json_t *rc_ = json_object();

		vj_set_hex(rc_, "rik", m->to->rik_pk, 32);
		json_object_set_new(rc_, "prekeys", json_pack("[o]",
		    vg_prekey_json(m->spk, m->spk_sk)));
		rc = vg_open_as(rc_, peers, m->now, r.env, r.env_len, &op);
		json_decref(rc_);
	}
	json_decref(peers);
	if (rc != ENV1_OK || op.body_len != m->body_len ||
	    (m->body_len > 0 && memcmp(op.body, m->body, m->body_len) != 0))
		vg_die("%s: does not open: %s", name, env1_reason_name(rc));
	env1_opened_free(&op);
	if (h_inner != NULL)
		memcpy(h_inner, r.h_inner, 32);
	env1_sealed_free(&s);
	raw_free(&r);
	json_array_append_new(arr, o);
	return o;
}

/* One "rejects" entry; confirmed before it is kept. */
void
vg_emit_reject(json_t *arr, const char *name, int test, const char *desc,
    const uint8_t *env, size_t len, json_t *recipient, json_t *peers,
    uint64_t now, int reason)
{
	json_t *o = json_object();
	struct env1_opened op;
	unsigned long before = env1_aead_attempts();
	int r;

	vj_set_str(o, "name", name);
	vj_set_u64(o, "test", (uint64_t)test);
	vj_set_str(o, "description", desc);
	vj_set_hex(o, "envelope", env, len);
	json_object_set_new(o, "recipient", recipient);
	json_object_set_new(o, "peers", peers);
	vj_set_u64(o, "now", now);
	vj_set_str(o, "reason", env1_reason_name(reason));
	r = vg_open_as(recipient, peers, now, env, len, &op);
	if (r != reason)
		vg_die("%s: expected %s, got %s", name, env1_reason_name(reason),
		    env1_reason_name(r));
	if (op.inner != NULL || op.body != NULL)
		vg_die("%s: plaintext after a refusal", name);
	if (reason == ENV1_R_KEY_COMMITMENT && env1_aead_attempts() != before)
		vg_die("%s: AEAD ran before the key commitment", name);
	json_array_append_new(arr, o);
}

/* A DSK from a label, certified by issuer (NULL: nobody). */
void
vg_make_dsk(const struct fixture_agency *issuer, const char *label, uint16_t usage,
    uint64_t not_before, uint64_t not_after, uint8_t pk[32], uint8_t sk[64],
    struct stmt_dsk_cert *c)
{
	uint8_t seed[32];

	fixture_bytes(label, seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memset(c, 0, sizeof(*c));
	if (issuer == NULL)
		return;
	memcpy(c->issuer_rik, issuer->rik_pk, 32);
	memcpy(c->dsk_pub, pk, 32);
	c->serial = 2;
	c->not_before = not_before;
	c->not_after = not_after;
	c->usage = usage;
	if (stmt_cert_sign(c, issuer->rik_sk) != ENV1_OK)
		vg_die("%s: cannot certify", label);
}

/* A certificate from issuer for an arbitrary 32-byte "key". */
void
vg_certify(const struct fixture_agency *issuer, const uint8_t key[32],
    uint8_t out[STMT_CERT_LEN])
{
	struct stmt_dsk_cert c;

	memset(&c, 0, sizeof(c));
	memcpy(c.issuer_rik, issuer->rik_pk, 32);
	memcpy(c.dsk_pub, key, 32);
	c.serial = 3;
	c.not_before = FIXTURE_NOW - 30 * FIXTURE_DAY;
	c.not_after = FIXTURE_NOW + 335 * FIXTURE_DAY;
	c.usage = STMT_USAGE_MSG;
	if (stmt_cert_sign(&c, issuer->rik_sk) != ENV1_OK)
		vg_die("cannot certify");
	stmt_cert_encode(&c, out);
}

/* One more prekey of a, signed by dsk_sk/dsk_pk (NULL: a's DSK). */
void
vg_make_prekey(const struct fixture_agency *a, uint64_t id, uint64_t not_before,
    uint64_t not_after, uint64_t retain_until, const uint8_t *dsk_sk,
    const uint8_t *dsk_pk, struct stmt_spk *s, uint8_t sk[32])
{
	char l[96];

	snprintf(l, sizeof(l), "vectors/%s/spk/%llu", a->label,
	    (unsigned long long)id);
	fixture_bytes(l, sk, 32);
	memset(s, 0, sizeof(*s));
	s->suite = ENV1_SUITE_X25519;
	memcpy(s->owner_rik, a->rik_pk, 32);
	memcpy(s->signer_dsk, dsk_pk != NULL ? dsk_pk : a->id.dsk_pub, 32);
	s->spk_id = id;
	s->not_before = not_before;
	s->not_after = not_after;
	s->retain_until = retain_until;
	crypto_scalarmult_base(s->spk_pub, sk);
	if (stmt_spk_sign(s, dsk_sk != NULL ? dsk_sk : a->id.dsk_sk) != ENV1_OK)
		vg_die("cannot sign a prekey");
}

void
vg_revocation(const struct fixture_agency *a, const uint8_t key[32], uint8_t kind,
    uint64_t at, uint8_t out[STMT_REVOCATION_LEN])
{
	struct stmt_revocation rv;

	memset(&rv, 0, sizeof(rv));
	memcpy(rv.issuer_rik, a->rik_pk, 32);
	memcpy(rv.revoked_key, key, 32);
	rv.kind = kind;
	rv.revoked_at = at;
	rv.reason = STMT_REASON_COMPROMISED;
	if (stmt_revocation_sign(&rv, a->rik_sk) != ENV1_OK)
		vg_die("cannot sign a revocation");
	stmt_revocation_encode(&rv, out);
}

json_t *
vg_peers(const struct fixture_agency *a, const struct fixture_agency *b)
{
	json_t *arr = json_array();

	if (a != NULL)
		json_array_append_new(arr, vg_peer_json(a));
	if (b != NULL)
		json_array_append_new(arr, vg_peer_json(b));
	return arr;
}
