/*
 * Unit tests: third-party verification of delivery evidence
 * (keys/evidence.c).  Real messages are sealed with env1_seal and opened
 * with env1_open; the evidence is built from the opened parts and checked
 * against the two agencies' bundles, then each piece is tampered with and
 * the refusal's reason and sentence are asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/bundle.h"
#include "keys/envelope.h"
#include "keys/evidence.h"
#include "keys/fingerprint.h"
#include "keys/receipt.h"
#include "proto/keys.pb-c.h"
#include "tests/lib/fixture.h"

#define T0      FIXTURE_NOW     /* created_at of the message */

struct world {
	struct fixture_agency   a, b, c;        /* alpha sends, beta receives, gamma */
	struct bundle           ba, bb, bc;
	struct peerkeys         a_sees_b, b_sees_a, c_sees_a, b_sees_c;
	struct fixture_inbox    inbox_a, inbox_b;
	struct env1_open_ctx    ctx_a, ctx_b;
	uint8_t                 body[48];
	struct env1_sealed      msg;            /* alpha -> beta */
	struct env1_opened      got;            /* beta's view of it */
	uint8_t                 rbody[RECEIPT_BODY_LEN];
	struct env1_sealed      rcpt;           /* beta -> alpha */
	struct env1_opened      rgot;           /* alpha's view of it */
};

/* The parts of one signed message, editable before encoding. */
struct parts {
	uint8_t         hdr[ENV1_HDR_LEN];
	uint8_t         tbs[ENV1_TBS_LEN];
	uint8_t         sig[ENV1_SIG_LEN];
	uint8_t         body[512];
	size_t          body_len;
	const uint8_t  *ct;
	size_t          ct_len;
};

static void
make_bundle(struct fixture_agency *a, const struct stmt_dsk_cert *cert,
    const struct stmt_revocation *revs, size_t nrevs, struct bundle *out)
{
	struct agency_info ai;
	struct bundle_parts p;
	uint8_t *info, sig[64], *buf;
	size_t infolen, len;
	char why[BUNDLE_WHY_LEN];

	memset(&ai, 0, sizeof(ai));
	snprintf(ai.agency_id, sizeof(ai.agency_id), "%s", a->label);
	snprintf(ai.name, sizeof(ai.name), "Agency %s (synthetic)", a->label);
	snprintf(ai.country, sizeof(ai.country), "DE");
	snprintf(ai.time_zone, sizeof(ai.time_zone), "Europe/Berlin");
	memcpy(ai.rik, a->rik_pk, 32);
	ai.issued_at = T0;
	assert_int_equal(bundle_sign_agency(&ai, a->rik_sk, &info, &infolen, sig), ENV1_OK);
	memset(&p, 0, sizeof(p));
	p.agency_info = info;
	p.agency_info_len = infolen;
	p.agency_sig = sig;
	p.certs = cert != NULL ? cert : &a->id.cert;
	p.ncerts = 1;
	p.prekeys = &a->prekey.stmt;
	p.nprekeys = 1;
	p.revocations = revs;
	p.nrevocations = nrevs;
	assert_int_equal(bundle_build(a->rik_pk, &p, &buf, &len), ENV1_OK);
	assert_int_equal(bundle_parse(buf, len, out, why), ENV1_OK);
	free(buf);
	free(info);
}

/* A receipt body for w->got, edited by the caller, sealed by signer to
 * to (whose prekey is used) with msg_type, in thread (as 2.9 requires: the
 * original's). */
static void
seal_receipt(struct fixture_agency *signer, struct fixture_agency *to,
    const struct receipt *rc, uint16_t msg_type, const uint8_t *thread,
    const char *label, uint8_t body[RECEIPT_BODY_LEN], struct env1_sealed *out)
{
	struct env1_seal_params p;
	struct peerkeys pk;

	receipt_encode(rc, body);
	fixture_seal_params(&p, label, msg_type, 1, body, RECEIPT_BODY_LEN, T0 + 1000);
	memcpy(p.thread_id, thread, ENV1_ID_LEN);
	/* A label ending in "/noreply" leaves in_reply_to zero. */
	if (strstr(label, "/noreply") == NULL)
		memcpy(p.in_reply_to, rc->message_id, ENV1_ID_LEN);
	fixture_peerkeys(to, &pk);
	assert_int_equal(env1_seal(&signer->id, &pk, &to->prekey.stmt, &p, T0 + 1000,
	    out), ENV1_OK);
	peerkeys_clear(&pk);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct env1_seal_params p;
	struct receipt rc;

	assert_non_null(w);
	fixture_agency_make(&w->a, "alpha", T0);
	fixture_agency_make(&w->b, "beta", T0);
	fixture_agency_make(&w->c, "gamma", T0);
	make_bundle(&w->a, NULL, NULL, 0, &w->ba);
	make_bundle(&w->b, NULL, NULL, 0, &w->bb);
	make_bundle(&w->c, NULL, NULL, 0, &w->bc);
	fixture_peerkeys(&w->b, &w->a_sees_b);
	fixture_inbox_init(&w->inbox_a, &w->a);
	fixture_inbox_pin(&w->inbox_a, &w->b);
	fixture_inbox_init(&w->inbox_b, &w->b);
	fixture_inbox_pin(&w->inbox_b, &w->a);
	fixture_open_ctx(&w->inbox_a, T0 + 2000, &w->ctx_a);
	fixture_open_ctx(&w->inbox_b, T0 + 1000, &w->ctx_b);

	fixture_bytes("evidence/body", w->body, sizeof(w->body));
	fixture_seal_params(&p, "evidence/msg", ENV1_MSG_TEST_DOCUMENT, 1, w->body,
	    sizeof(w->body), T0);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p, T0,
	    &w->msg), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, w->msg.env, w->msg.env_len, &w->got),
	    ENV1_OK);

	receipt_for(&w->got, T0 + 1000, T0 + 1001, &rc);
	seal_receipt(&w->b, &w->a, &rc, ENV1_MSG_DELIVERY_RECEIPT,
	    w->got.tbs.thread_id, "evidence/rcpt",
	    w->rbody, &w->rcpt);
	assert_int_equal(env1_open(&w->ctx_a, w->rcpt.env, w->rcpt.env_len, &w->rgot),
	    ENV1_OK);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	env1_opened_free(&w->got);
	env1_opened_free(&w->rgot);
	env1_sealed_free(&w->msg);
	env1_sealed_free(&w->rcpt);
	fixture_inbox_free(&w->inbox_a);
	fixture_inbox_free(&w->inbox_b);
	peerkeys_clear(&w->a_sees_b);
	bundle_free(&w->ba);
	bundle_free(&w->bb);
	bundle_free(&w->bc);
	fixture_agency_free(&w->a);
	fixture_agency_free(&w->b);
	fixture_agency_free(&w->c);
	free(w);
	return 0;
}

/* Parts of a signed message: the envelope's header (and ciphertext), and
 * the TBS, signature and body as opened by the recipient or kept by the
 * sender. */
static void
parts_of(const struct env1_sealed *s, const uint8_t *tbs, const uint8_t *sig,
    const uint8_t *body, size_t len, int with_ct, struct parts *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->hdr, s->env, ENV1_HDR_LEN);
	memcpy(p->tbs, tbs, ENV1_TBS_LEN);
	memcpy(p->sig, sig, ENV1_SIG_LEN);
	assert_true(len <= sizeof(p->body));
	memcpy(p->body, body, len);
	p->body_len = len;
	if (with_ct) {
		p->ct = s->env + ENV1_HDR_LEN;
		p->ct_len = s->env_len - ENV1_HDR_LEN;
	}
}

#define parts_opened(s, o, ct, p) \
	parts_of(s, (o)->inner, (o)->inner + ENV1_TBS_LEN, (o)->body, (o)->body_len, ct, p)
#define parts_sealed(s, body, len, ct, p) \
	parts_of(s, (s)->tbs, (s)->sig, body, len, ct, p)

static void
encode(const struct parts *p, uint8_t **out, size_t *outlen)
{
	assert_int_equal(evidence_record_encode(p->hdr, p->tbs, p->sig, p->body,
	    p->body_len, p->ct, p->ct_len, out, outlen), ENV1_OK);
}

/* Verify message parts m with optional receipt parts r; expect reason and,
 * on refusal, exactly this sentence with a zeroed report. */
static void
expect(const struct parts *m, const struct parts *r, const struct bundle *snd,
    const struct bundle *rcv, int reason, const char *why_want,
    struct evidence_report *rep)
{
	struct evidence_report local;
	uint8_t *mb, *rb = NULL;
	size_t ml, rl = 0;
	char why[EVIDENCE_WHY_LEN];

	if (rep == NULL)
		rep = &local;
	encode(m, &mb, &ml);
	if (r != NULL)
		encode(r, &rb, &rl);
	memset(rep, 0x5a, sizeof(*rep));
	assert_int_equal(evidence_verify(mb, ml, rb, rl, snd, rcv, rep, why), reason);
	if (reason == ENV1_OK) {
		assert_string_equal(why, "");
	} else {
		struct evidence_report zero;

		memset(&zero, 0, sizeof(zero));
		assert_string_equal(why, why_want);
		assert_memory_equal(rep, &zero, sizeof(zero));
	}
	free(mb);
	free(rb);
}

static const char *
kid(const uint8_t key[32], char buf[FP_KEYID_BUFLEN])
{
	fp_key_id(key, buf);
	return buf;
}

static void
test_message_alone(void **state)
{
	struct world *w = *state;
	struct evidence_report rep;
	struct parts m;

	/* The opened inner parts are exactly what the sender signed. */
	assert_memory_equal(w->got.inner, w->msg.tbs, ENV1_TBS_LEN);
	assert_memory_equal(w->got.inner + ENV1_TBS_LEN, w->msg.sig, ENV1_SIG_LEN);
	parts_opened(&w->msg, &w->got, 0, &m);
	expect(&m, NULL, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.msg_type, ENV1_MSG_TEST_DOCUMENT);
	assert_memory_equal(rep.message_id, w->got.tbs.message_id, ENV1_ID_LEN);
	assert_memory_equal(rep.thread_id, w->got.tbs.thread_id, ENV1_ID_LEN);
	assert_int_equal(rep.created_at, T0);
	assert_int_equal(rep.seq, 1);
	assert_memory_equal(rep.h_inner, w->msg.h_inner, ENV1_HASH_LEN);
	assert_int_equal(rep.h_env_known, 0);
	assert_int_equal(rep.receipted, 0);
	assert_int_equal(rep.receipt_h_env_matches, -1);
}

static void
test_message_with_ct_and_receipt(void **state)
{
	struct world *w = *state;
	struct evidence_report rep;
	struct parts m, r;
	uint8_t *mb, *rb, *eb;
	size_t ml, rl, el;
	char why[EVIDENCE_WHY_LEN];

	parts_opened(&w->msg, &w->got, 1, &m);
	parts_opened(&w->rcpt, &w->rgot, 1, &r);
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.h_env_known, 1);
	assert_memory_equal(rep.h_env, w->msg.h_env, ENV1_HASH_LEN);
	assert_int_equal(rep.receipted, 1);
	assert_int_equal(rep.received_at, T0 + 1000);
	assert_int_equal(rep.committed_at, T0 + 1001);
	assert_int_equal(rep.receipt_h_env_matches, 1);

	/* The same as one Evidence record, with and without its receipt. */
	encode(&m, &mb, &ml);
	encode(&r, &rb, &rl);
	assert_int_equal(evidence_bundle_encode(mb, ml, rb, rl, &eb, &el), ENV1_OK);
	assert_int_equal(evidence_verify(eb, el, NULL, 0, &w->ba, &w->bb, &rep, why),
	    ENV1_OK);
	assert_int_equal(rep.receipted, 1);
	assert_int_equal(rep.receipt_h_env_matches, 1);
	/* A receipt inside and another beside it is ambiguous. */
	assert_int_equal(evidence_verify(eb, el, rb, rl, &w->ba, &w->bb, &rep, why),
	    ENV1_R_INVALID_ARG);
	assert_string_equal(why, "evidence: carries a receipt and another was given");
	free(eb);
	assert_int_equal(evidence_bundle_encode(mb, ml, NULL, 0, &eb, &el), ENV1_OK);
	assert_int_equal(evidence_verify(eb, el, NULL, 0, &w->ba, &w->bb, &rep, why),
	    ENV1_OK);
	assert_int_equal(rep.receipted, 0);
	free(eb);
	free(mb);
	free(rb);
}

/* An auditor's evidence: the body withheld, delivery still proven by the
 * signed content hash; a withheld body that is there, a withheld receipt
 * body, or a TBS length the header does not match are refused. */
static void
test_body_withheld(void **state)
{
	struct world *w = *state;
	struct evidence_report rep;
	struct parts m, r;
	uint8_t *mb, *rb, *wb, *eb;
	size_t ml, rl, wl, el;
	char why[EVIDENCE_WHY_LEN];
	Homeward__Keys__SignedMessage *sm;

	parts_opened(&w->msg, &w->got, 1, &m);
	parts_opened(&w->rcpt, &w->rgot, 1, &r);
	encode(&m, &mb, &ml);
	encode(&r, &rb, &rl);
	assert_int_equal(evidence_record_withhold(mb, ml, &wb, &wl), ENV1_OK);
	sm = homeward__keys__signed_message__unpack(NULL, wl, wb);
	assert_non_null(sm);
	assert_true(sm->body_withheld);
	assert_int_equal(sm->body.len, 0);
	assert_int_equal(sm->ciphertext.len, m.ct_len);
	homeward__keys__signed_message__free_unpacked(sm, NULL);
	assert_null(memmem(wb, wl, w->body, 16));
	assert_int_equal(evidence_bundle_encode(wb, wl, rb, rl, &eb, &el), ENV1_OK);
	assert_int_equal(evidence_verify(eb, el, NULL, 0, &w->ba, &w->bb, &rep, why),
	    ENV1_OK);
	assert_int_equal(rep.receipted, 1);
	assert_int_equal(rep.body_withheld, 1);
	assert_int_equal(rep.receipt_h_env_matches, 1);
	assert_memory_equal(rep.h_inner, w->msg.h_inner, ENV1_HASH_LEN);
	free(eb);
	/* Without its ciphertext, ct_len is checked against the TBS's length. */
	m.ct = NULL;
	m.ct_len = 0;
	free(mb);
	free(wb);
	encode(&m, &mb, &ml);
	assert_int_equal(evidence_record_withhold(mb, ml, &wb, &wl), ENV1_OK);
	assert_int_equal(evidence_verify(wb, wl, rb, rl, &w->ba, &w->bb, &rep, why),
	    ENV1_OK);
	assert_int_equal(rep.body_withheld, 1);
	assert_int_equal(rep.receipt_h_env_matches, -1);
	free(wb);
	/* A receipt's body is what it proves: never withheld. */
	assert_int_equal(evidence_record_withhold(rb, rl, &wb, &wl), ENV1_OK);
	assert_int_equal(evidence_verify(mb, ml, wb, wl, &w->ba, &w->bb, &rep, why),
	    ENV1_R_RECEIPT_BODY);
	assert_string_equal(why, "receipt: its body is withheld, and it is what a "
	    "receipt proves");
	free(wb);
	/* Withheld, yet there. */
	sm = homeward__keys__signed_message__unpack(NULL, ml, mb);
	assert_non_null(sm);
	sm->body_withheld = 1;
	wl = homeward__keys__signed_message__get_packed_size(sm);
	assert_non_null(wb = malloc(wl));
	homeward__keys__signed_message__pack(sm, wb);
	homeward__keys__signed_message__free_unpacked(sm, NULL);
	assert_int_equal(evidence_verify(wb, wl, NULL, 0, &w->ba, &w->bb, &rep, why),
	    ENV1_R_MALFORMED);
	assert_string_equal(why, "message: body withheld but 48 bytes of it present");
	free(wb);
	free(mb);
	free(rb);
}

static void
test_retransmission_receipt(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p;
	struct env1_sealed first, again;
	struct env1_opened o;
	struct evidence_report rep;
	struct receipt rc;
	struct env1_sealed rs;
	uint8_t eph[32], nonce[24], rbody[RECEIPT_BODY_LEN];
	struct parts m, r;

	/*
	 * A retransmission in a new envelope has a new ephemeral key, so a new
	 * hdr_hash, TBS and H_inner: the receipt for the first envelope is not
	 * evidence for it (the recipient re-sends the stored receipt, which
	 * matches the first).
	 */
	fixture_seal_params(&p, "evidence/msg", ENV1_MSG_TEST_DOCUMENT, 1, w->body,
	    sizeof(w->body), T0);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p, T0,
	    &again), ENV1_OK);
	assert_memory_not_equal(again.h_inner, w->msg.h_inner, ENV1_HASH_LEN);
	parts_sealed(&again, w->body, sizeof(w->body), 1, &m);
	parts_opened(&w->rcpt, &w->rgot, 0, &r);
	expect(&m, &r, &w->ba, &w->bb, ENV1_R_RECEIPT_UNMATCHED,
	    "receipt: H_inner does not match the message", NULL);
	env1_sealed_free(&again);

	/*
	 * The same signed message under another nonce (nonce and kc are not
	 * in hdr_prefix): same H_inner, another H_env.  The receipt names the
	 * envelope first accepted; the mismatch is reported, not refused.
	 */
	fixture_bytes("evidence/eph", eph, sizeof(eph));
	fixture_bytes("evidence/nonce1", nonce, sizeof(nonce));
	p.eph_sk = eph;
	p.nonce = nonce;
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p, T0,
	    &first), ENV1_OK);
	fixture_bytes("evidence/nonce2", nonce, sizeof(nonce));
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p, T0,
	    &again), ENV1_OK);
	assert_memory_equal(again.h_inner, first.h_inner, ENV1_HASH_LEN);
	assert_memory_not_equal(again.h_env, first.h_env, ENV1_HASH_LEN);
	assert_int_equal(env1_open(&w->ctx_b, first.env, first.env_len, &o), ENV1_OK);
	receipt_for(&o, T0 + 1000, T0 + 1001, &rc);
	seal_receipt(&w->b, &w->a, &rc, ENV1_MSG_DELIVERY_RECEIPT, o.tbs.thread_id,
	    "evidence/rcpt1",
	    rbody, &rs);
	parts_sealed(&rs, rbody, RECEIPT_BODY_LEN, 0, &r);
	parts_sealed(&first, w->body, sizeof(w->body), 1, &m);
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipt_h_env_matches, 1);
	parts_sealed(&again, w->body, sizeof(w->body), 1, &m);
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipted, 1);
	assert_int_equal(rep.receipt_h_env_matches, 0);
	assert_memory_equal(rep.h_env, again.h_env, ENV1_HASH_LEN);
	/* Without the ciphertext it cannot be told. */
	m.ct = NULL;
	m.ct_len = 0;
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipt_h_env_matches, -1);
	env1_opened_free(&o);
	env1_sealed_free(&first);
	env1_sealed_free(&again);
	env1_sealed_free(&rs);
}

static void
test_tamper_body_and_sig(void **state)
{
	struct world *w = *state;
	char want[EVIDENCE_WHY_LEN], id[FP_KEYID_BUFLEN];
	struct parts m;

	parts_opened(&w->msg, &w->got, 0, &m);
	m.body[7] ^= 0x20;
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_CONTENT_HASH,
	    "message: body does not match content_hash", NULL);

	parts_opened(&w->msg, &w->got, 0, &m);
	m.body_len--;
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_CT_LEN,
	    "message: header ct_len does not match 396 + the body length", NULL);
	parts_opened(&w->msg, &w->got, 1, &m);
	m.body_len--;
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_BODY_LEN,
	    "message: body is 47 bytes but the TBS says 48", NULL);

	/* The signature: one bit, or all zero. */
	parts_opened(&w->msg, &w->got, 0, &m);
	m.sig[40] ^= 0x80;
	snprintf(want, sizeof(want), "message: signature does not verify under DSK %s",
	    kid(w->a.id.dsk_pub, id));
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_SIGNATURE, want, NULL);
	memset(m.sig, 0, sizeof(m.sig));
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_SIGNATURE, want, NULL);
}

static void
test_tamper_tbs(void **state)
{
	static const struct {
		size_t          off;
		int             reason;
		const char     *why;
	} cases[] = {
		{ 0, ENV1_R_DOMAIN, "message: TBS does not start with \"ENV1 message sig\"" },
		{ 16, ENV1_R_INNER_MISMATCH, "message: TBS version differs from the header" },
		{ 17, ENV1_R_INNER_MISMATCH, "message: TBS suite differs from the header" },
		{ 20, ENV1_R_INNER_MISMATCH, "message: TBS message_id differs from the header" },
		{ 41, ENV1_R_INNER_MISMATCH, "message: TBS created_at differs from the header" },
		{ 50, ENV1_R_INNER_MISMATCH, "message: TBS sender_rik differs from the header" },
		{ 80, ENV1_R_INNER_MISMATCH, "message: TBS recipient_rik differs from the header" },
		{ 110, ENV1_R_HDR_HASH, "message: hdr_hash does not match the header" },
		{ 171, ENV1_R_SIGNATURE, NULL },        /* msg_type */
		{ 180, ENV1_R_SIGNATURE, NULL },        /* thread_id */
		{ 195, ENV1_R_SIGNATURE, NULL },        /* seq */
		{ 250, ENV1_R_SIGNATURE, NULL },        /* content_salt */
		{ 300, ENV1_R_SIGNATURE, NULL },        /* content_hash */
		{ 315, ENV1_R_BODY_LEN, "message: body is 48 bytes but the TBS says 49" },
	};
	struct world *w = *state;
	char want[EVIDENCE_WHY_LEN], id[FP_KEYID_BUFLEN];
	struct parts m;

	snprintf(want, sizeof(want), "message: signature does not verify under DSK %s",
	    kid(w->a.id.dsk_pub, id));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parts_opened(&w->msg, &w->got, 0, &m);
		m.tbs[cases[i].off] ^= 0x01;
		expect(&m, NULL, &w->ba, &w->bb, cases[i].reason,
		    cases[i].why != NULL ? cases[i].why : want, NULL);
	}

	/* Another signer_dsk: no certificate from alpha's RIK for it. */
	parts_opened(&w->msg, &w->got, 0, &m);
	memcpy(m.tbs + 138, w->b.id.dsk_pub, 32);
	snprintf(want, sizeof(want),
	    "message: DSK %s has no certificate from the sender's RIK",
	    kid(w->b.id.dsk_pub, id));
	expect(&m, NULL, &w->ba, &w->bb, ENV1_R_CERT_UNKNOWN, want, NULL);
}

static void
test_tamper_header(void **state)
{
	static const struct {
		size_t          off;
		int             reason;
		const char     *why;
	} cases[] = {
		{ 0, ENV1_R_MAGIC, "message: header refused (not an ENV1 envelope (magic))" },
		{ 4, ENV1_R_VERSION, "message: header refused (unsupported version)" },
		{ 7, ENV1_R_FLAGS, "message: header refused (flags must be zero)" },
		{ 9, ENV1_R_INNER_MISMATCH, "message: TBS message_id differs from the header" },
		{ 30, ENV1_R_INNER_MISMATCH, "message: TBS created_at differs from the header" },
		{ 39, ENV1_R_HDR_HASH, "message: hdr_hash does not match the header" },
		{ 100, ENV1_R_INNER_MISMATCH, "message: TBS recipient_rik differs from the header" },
		{ 111, ENV1_R_HDR_HASH, "message: hdr_hash does not match the header" },
		{ 120, ENV1_R_HDR_HASH, "message: hdr_hash does not match the header" },
		{ 205, ENV1_R_CT_LEN, "message: header ct_len does not match 396 + the body length" },
	};
	struct world *w = *state;
	struct evidence_report rep;
	struct parts m, r;
	uint8_t ct[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parts_opened(&w->msg, &w->got, 0, &m);
		m.hdr[cases[i].off] ^= 0x01;
		expect(&m, NULL, &w->ba, &w->bb, cases[i].reason, cases[i].why, NULL);
	}
	/*
	 * nonce and kc are outside hdr_prefix, so outside the signature: a
	 * verifier without keys cannot refuse them, but H_env changes and
	 * no longer matches what the recipient receipted.
	 */
	parts_opened(&w->msg, &w->got, 1, &m);
	parts_opened(&w->rcpt, &w->rgot, 0, &r);
	m.hdr[150] ^= 0x01;
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipt_h_env_matches, 0);
	/* Likewise a ciphertext byte; a ciphertext of another length is
	 * refused. */
	parts_opened(&w->msg, &w->got, 1, &m);
	m.ct = ct;
	assert_true(m.ct_len <= sizeof(ct));
	memcpy(ct, w->msg.env + ENV1_HDR_LEN, m.ct_len);
	ct[3] ^= 0x01;
	expect(&m, &r, &w->ba, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipt_h_env_matches, 0);
	m.ct_len--;
	expect(&m, &r, &w->ba, &w->bb, ENV1_R_CT_LEN,
	    "message: header ct_len does not match the ciphertext length", NULL);
}

enum edit {
	EDIT_NONE, EDIT_H_INNER, EDIT_SENDER, EDIT_RECIPIENT, EDIT_H_ENV, EDIT_NO_REPLY,
	EDIT_THREAD
};

/* A receipt by signer to `to` whose body is beta's receipt, edited. */
static void
crafted_receipt(struct world *w, struct fixture_agency *signer,
    struct fixture_agency *to, uint16_t msg_type, enum edit e, struct parts *r,
    struct env1_sealed *s, uint8_t *body)
{
	struct receipt rc;
	uint8_t thread[ENV1_ID_LEN];

	receipt_for(&w->got, T0 + 1000, T0 + 1001, &rc);
	memcpy(thread, w->got.tbs.thread_id, ENV1_ID_LEN);
	if (e == EDIT_THREAD)
		thread[0] ^= 1;
	else if (e == EDIT_H_INNER)
		rc.h_inner[0] ^= 1;
	else if (e == EDIT_SENDER)
		memcpy(rc.sender_rik, w->c.rik_pk, 32);
	else if (e == EDIT_RECIPIENT)
		memcpy(rc.recipient_rik, w->c.rik_pk, 32);
	else if (e == EDIT_H_ENV)
		rc.h_env[31] ^= 1;
	seal_receipt(signer, to, &rc, msg_type, thread, e == EDIT_NO_REPLY ?
	    "evidence/noreply" : "evidence/crafted", body, s);
	parts_sealed(s, body, RECEIPT_BODY_LEN, 0, r);
}

/* The message with a crafted receipt: expect reason and why. */
static void
receipt_case(struct world *w, struct fixture_agency *signer,
    struct fixture_agency *to, uint16_t msg_type, enum edit e, int reason,
    const char *why, struct evidence_report *rep)
{
	struct env1_sealed s;
	uint8_t body[RECEIPT_BODY_LEN];
	struct parts m, r;

	parts_opened(&w->msg, &w->got, 1, &m);
	crafted_receipt(w, signer, to, msg_type, e, &r, &s, body);
	expect(&m, &r, &w->ba, &w->bb, reason, why, rep);
	env1_sealed_free(&s);
}

static void
test_receipt_body(void **state)
{
	const uint16_t rt = ENV1_MSG_DELIVERY_RECEIPT;
	struct world *w = *state;
	struct evidence_report rep;

	receipt_case(w, &w->b, &w->a, rt, EDIT_H_INNER, ENV1_R_RECEIPT_UNMATCHED,
	    "receipt: H_inner does not match the message", NULL);
	receipt_case(w, &w->b, &w->a, rt, EDIT_SENDER, ENV1_R_RECEIPT_ADDRESSEE,
	    "receipt: original sender_rik is not the message's sender", NULL);
	receipt_case(w, &w->b, &w->a, rt, EDIT_RECIPIENT, ENV1_R_RECEIPT_SIGNER,
	    "receipt: original recipient_rik is not the receipt's signer", NULL);
	receipt_case(w, &w->b, &w->a, rt, EDIT_NO_REPLY, ENV1_R_RECEIPT_BODY,
	    "receipt: in_reply_to does not name the acknowledged message", NULL);
	receipt_case(w, &w->b, &w->a, rt, EDIT_THREAD, ENV1_R_RECEIPT_UNMATCHED,
	    "receipt: thread_id is not the message's thread", NULL);
	/* The right body under another message type. */
	receipt_case(w, &w->b, &w->a, ENV1_MSG_TEST_DOCUMENT, EDIT_NONE,
	    ENV1_R_MSG_TYPE, "receipt: msg_type 0x7f00 is not DELIVERY_RECEIPT "
	    "(0x0100)", NULL);
	/* Another H_env: reported, not refused. */
	receipt_case(w, &w->b, &w->a, rt, EDIT_H_ENV, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipted, 1);
	assert_int_equal(rep.receipt_h_env_matches, 0);
}

static void
test_receipt_for_another_message(void **state)
{
	struct world *w = *state;
	struct env1_seal_params p;
	struct env1_sealed other, s;
	struct env1_opened o;
	struct receipt rc;
	uint8_t body[RECEIPT_BODY_LEN];
	struct parts m, r;

	fixture_seal_params(&p, "evidence/other", ENV1_MSG_TEST_DOCUMENT, 2, w->body,
	    sizeof(w->body), T0);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p, T0,
	    &other), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, other.env, other.env_len, &o), ENV1_OK);
	receipt_for(&o, T0 + 1000, T0 + 1001, &rc);
	seal_receipt(&w->b, &w->a, &rc, ENV1_MSG_DELIVERY_RECEIPT, o.tbs.thread_id,
	    "evidence/other-r",
	    body, &s);
	parts_opened(&w->msg, &w->got, 0, &m);
	parts_sealed(&s, body, RECEIPT_BODY_LEN, 0, &r);
	expect(&m, &r, &w->ba, &w->bb, ENV1_R_RECEIPT_UNMATCHED,
	    "receipt: names another message_id", NULL);
	env1_opened_free(&o);
	env1_sealed_free(&other);
	env1_sealed_free(&s);
}

static void
test_wrong_parties(void **state)
{
	const uint16_t rt = ENV1_MSG_DELIVERY_RECEIPT;
	struct world *w = *state;
	char want[EVIDENCE_WHY_LEN], id[FP_KEYID_BUFLEN];
	struct parts m, r;

	/* Signed by a third agency, with beta's body word for word. */
	snprintf(want, sizeof(want), "receipt: sender_rik %s is not the recipient "
	    "bundle's RIK", kid(w->c.rik_pk, id));
	receipt_case(w, &w->c, &w->a, rt, EDIT_NONE, ENV1_R_RECEIPT_SIGNER, want, NULL);
	/* Signed by beta but addressed to gamma. */
	snprintf(want, sizeof(want), "receipt: recipient_rik %s is not the sender "
	    "bundle's RIK", id);
	receipt_case(w, &w->b, &w->c, rt, EDIT_NONE, ENV1_R_RECEIPT_ADDRESSEE, want,
	    NULL);
	/* Bundles swapped or wrong. */
	parts_opened(&w->msg, &w->got, 0, &m);
	parts_opened(&w->rcpt, &w->rgot, 0, &r);
	snprintf(want, sizeof(want), "message: sender_rik %s is not the sender "
	    "bundle's RIK", kid(w->a.rik_pk, id));
	expect(&m, &r, &w->bb, &w->ba, ENV1_R_UNKNOWN_SENDER, want, NULL);
	snprintf(want, sizeof(want), "message: recipient_rik %s is not the recipient "
	    "bundle's RIK", kid(w->b.rik_pk, id));
	expect(&m, &r, &w->ba, &w->bc, ENV1_R_WRONG_RECIPIENT, want, NULL);
	/* The receipt given as the message and the message as its receipt. */
	snprintf(want, sizeof(want), "message: sender_rik %s is not the sender "
	    "bundle's RIK", kid(w->b.rik_pk, id));
	expect(&r, &m, &w->ba, &w->bb, ENV1_R_UNKNOWN_SENDER, want, NULL);
	/* A receipt for a receipt. */
	expect(&r, &m, &w->bb, &w->ba, ENV1_R_RECEIPT_FOR_RECEIPT,
	    "message: is itself a receipt, and receipts are never acknowledged", NULL);
}

static void
revocation(struct fixture_agency *a, const uint8_t key[32], uint8_t kind,
    uint64_t at, struct stmt_revocation *rv)
{
	memset(rv, 0, sizeof(*rv));
	memcpy(rv->issuer_rik, a->rik_pk, 32);
	memcpy(rv->revoked_key, key, 32);
	rv->kind = kind;
	rv->revoked_at = at;
	rv->reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(rv, a->rik_sk), ENV1_OK);
}

static void
test_dsk_revoked_before_and_after(void **state)
{
	struct world *w = *state;
	struct stmt_revocation rv;
	struct bundle late, early, at, rik;
	char want[EVIDENCE_WHY_LEN], id[FP_KEYID_BUFLEN];
	struct parts m, r;
	struct evidence_report rep;

	parts_opened(&w->msg, &w->got, 0, &m);
	parts_opened(&w->rcpt, &w->rgot, 0, &r);

	/* Revoked after the receipt was committed (T0 + 1001): the receipt,
	 * signed by the other agency, dates the message before the
	 * revocation, so it stays valid evidence (env1_open would now refuse
	 * a new envelope signed by that DSK). */
	revocation(&w->a, w->a.id.dsk_pub, STMT_REVOKE_DSK, T0 + 2000, &rv);
	make_bundle(&w->a, NULL, &rv, 1, &late);
	assert_int_equal(peerkeys_check_signer(&late.keys, w->a.id.dsk_pub,
	    STMT_USAGE_MSG, T0), ENV1_R_CERT_REVOKED);
	expect(&m, &r, &late, &w->bb, ENV1_OK, NULL, &rep);
	assert_int_equal(rep.receipted, 1);
	/* Without the receipt nothing but the signer's own clock dates it:
	 * a thief with the DSK could backdate, so it is refused. */
	snprintf(want, sizeof(want), "message: DSK %s was revoked at %llu, and no "
	    "receipt shows the message was accepted before", kid(w->a.id.dsk_pub, id),
	    (unsigned long long)(T0 + 2000));
	expect(&m, NULL, &late, &w->bb, ENV1_R_CERT_REVOKED, want, NULL);

	/* Revoked after created_at (T0 + 1) but before the receipt's commit:
	 * exactly the backdating case, refused. */
	revocation(&w->a, w->a.id.dsk_pub, STMT_REVOKE_DSK, T0 + 1, &rv);
	make_bundle(&w->a, NULL, &rv, 1, &early);
	snprintf(want, sizeof(want), "message: DSK %s was revoked at %llu, and the "
	    "receipt was committed after that", id, (unsigned long long)(T0 + 1));
	expect(&m, &r, &early, &w->bb, ENV1_R_CERT_REVOKED, want, NULL);
	/* At the very millisecond of the commit: refused too. */
	revocation(&w->a, w->a.id.dsk_pub, STMT_REVOKE_DSK, T0 + 1001, &rv);
	make_bundle(&w->a, NULL, &rv, 1, &at);
	snprintf(want, sizeof(want), "message: DSK %s was revoked at %llu, and the "
	    "receipt was committed after that", id, (unsigned long long)(T0 + 1001));
	expect(&m, &r, &at, &w->bb, ENV1_R_CERT_REVOKED, want, NULL);

	/* The sending agency's RIK revoked itself before the commit. */
	revocation(&w->a, w->a.rik_pk, STMT_REVOKE_RIK, T0 - 1, &rv);
	make_bundle(&w->a, NULL, &rv, 1, &rik);
	snprintf(want, sizeof(want), "message: the signing agency's RIK revoked itself "
	    "at %llu, and the receipt was committed after that",
	    (unsigned long long)(T0 - 1));
	expect(&m, &r, &rik, &w->bb, ENV1_R_SENDER_SUSPENDED, want, NULL);
	bundle_free(&late);
	bundle_free(&early);
	bundle_free(&at);
	bundle_free(&rik);

	/* The receipt's signer: beta's DSK revoked before the receipt. */
	revocation(&w->b, w->b.id.dsk_pub, STMT_REVOKE_DSK, T0 + 999, &rv);
	make_bundle(&w->b, NULL, &rv, 1, &early);
	snprintf(want, sizeof(want), "receipt: DSK %s was revoked at %llu, and the "
	    "receipt was created after that", kid(w->b.id.dsk_pub, id),
	    (unsigned long long)(T0 + 999));
	expect(&m, &r, &w->ba, &early, ENV1_R_CERT_REVOKED, want, NULL);
	bundle_free(&early);
}

static void
test_certificate_usage_and_validity(void **state)
{
	struct world *w = *state;
	struct stmt_dsk_cert c;
	struct bundle b;
	char want[EVIDENCE_WHY_LEN], id[FP_KEYID_BUFLEN];
	struct parts m;

	parts_opened(&w->msg, &w->got, 0, &m);
	kid(w->a.id.dsk_pub, id);

	c = w->a.id.cert;
	c.usage = STMT_USAGE_PREKEY;
	assert_int_equal(stmt_cert_sign(&c, w->a.rik_sk), ENV1_OK);
	make_bundle(&w->a, &c, NULL, 0, &b);
	snprintf(want, sizeof(want), "message: DSK %s is not certified for MSG usage", id);
	expect(&m, NULL, &b, &w->bb, ENV1_R_CERT_USAGE, want, NULL);
	bundle_free(&b);

	c = w->a.id.cert;
	c.not_after = T0 - 1;
	assert_int_equal(stmt_cert_sign(&c, w->a.rik_sk), ENV1_OK);
	make_bundle(&w->a, &c, NULL, 0, &b);
	snprintf(want, sizeof(want), "message: DSK %s has no certificate valid at "
	    "created_at %llu", id, (unsigned long long)T0);
	expect(&m, NULL, &b, &w->bb, ENV1_R_CERT_VALIDITY, want, NULL);
	bundle_free(&b);
}

static void
test_malformed_records(void **state)
{
	struct world *w = *state;
	struct evidence_report rep;
	char why[EVIDENCE_WHY_LEN];
	uint8_t *mb, *big, junk[4] = { 0xff, 0xff, 0xff, 0xff };
	size_t ml;
	struct parts m;

	assert_int_equal(evidence_verify(junk, sizeof(junk), NULL, 0, &w->ba, &w->bb,
	    &rep, why), ENV1_R_MALFORMED);
	assert_string_equal(why, "evidence: neither a SignedMessage nor an Evidence");
	assert_non_null(big = calloc(1, EVIDENCE_MAX_LEN + 1));
	assert_int_equal(evidence_verify(big, EVIDENCE_MAX_LEN + 1, NULL, 0, &w->ba,
	    &w->bb, &rep, why), ENV1_R_MALFORMED);
	assert_non_null(strstr(why, "over the limit"));
	free(big);

	parts_opened(&w->msg, &w->got, 0, &m);
	encode(&m, &mb, &ml);
	assert_int_equal(evidence_verify(mb, ml, junk, sizeof(junk), &w->ba, &w->bb,
	    &rep, why), ENV1_R_MALFORMED);
	assert_string_equal(why, "receipt: not a SignedMessage");
	/* Record version 2: 08 02 instead of 08 01. */
	assert_int_equal(mb[0], 0x08);
	mb[1] = 2;
	assert_int_equal(evidence_verify(mb, ml, NULL, 0, &w->ba, &w->bb, &rep, why),
	    ENV1_R_VERSION);
	assert_string_equal(why, "message: record version 2, expected 1");
	/* A header one byte short: 12 ce 01 (field 2, 206 bytes) -> 205. */
	mb[1] = 1;
	assert_true(mb[2] == 0x12 && mb[3] == 0xce && mb[4] == 0x01);
	mb[3] = 0xcd;
	memmove(mb + 5 + 205, mb + 5 + 206, ml - (5 + 206));
	assert_int_equal(evidence_verify(mb, ml - 1, NULL, 0, &w->ba, &w->bb, &rep,
	    why), ENV1_R_MALFORMED);
	assert_string_equal(why, "message: header is 205 bytes, expected 206");
	free(mb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_alone),
		cmocka_unit_test(test_message_with_ct_and_receipt),
		cmocka_unit_test(test_retransmission_receipt),
		cmocka_unit_test(test_body_withheld),
		cmocka_unit_test(test_tamper_body_and_sig),
		cmocka_unit_test(test_tamper_tbs),
		cmocka_unit_test(test_tamper_header),
		cmocka_unit_test(test_receipt_body),
		cmocka_unit_test(test_receipt_for_another_message),
		cmocka_unit_test(test_wrong_parties),
		cmocka_unit_test(test_dsk_revoked_before_and_after),
		cmocka_unit_test(test_certificate_usage_and_validity),
		cmocka_unit_test(test_malformed_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
