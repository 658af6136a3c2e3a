/*
 * Unit tests: signed delivery receipts (keys/receipt.c, crypto-env1.md
 * 2.9): the 177-byte body, receipt_for, a full A -> B -> A round, and
 * the sender-side checks this layer can make (negative test 22).  Matching
 * H_inner against the outbox, and so refusing a receipt for a receipt, is
 * the daemon's; the tests show what it is given to do that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/envelope.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

struct world {
	struct fixture_agency   a, b, c;
	struct peerkeys         a_sees_b, b_sees_a, c_sees_a;
	struct fixture_inbox    inbox_a;        /* A pins B and C */
	struct fixture_inbox    inbox_b;        /* B pins A */
	struct env1_open_ctx    ctx_a, ctx_b;
	uint8_t                 body[48];
	struct env1_sealed      msg;            /* A -> B */
	struct env1_opened      got;            /* B's view of it */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct env1_seal_params p;

	assert_non_null(w);
	fixture_agency_make(&w->a, "alpha", FIXTURE_NOW);
	fixture_agency_make(&w->b, "beta", FIXTURE_NOW);
	fixture_agency_make(&w->c, "gamma", FIXTURE_NOW);
	fixture_peerkeys(&w->b, &w->a_sees_b);
	fixture_peerkeys(&w->a, &w->b_sees_a);
	fixture_peerkeys(&w->a, &w->c_sees_a);
	fixture_inbox_init(&w->inbox_a, &w->a);
	fixture_inbox_pin(&w->inbox_a, &w->b);
	fixture_inbox_pin(&w->inbox_a, &w->c);
	fixture_inbox_init(&w->inbox_b, &w->b);
	fixture_inbox_pin(&w->inbox_b, &w->a);
	fixture_open_ctx(&w->inbox_a, FIXTURE_NOW + 2000, &w->ctx_a);
	fixture_open_ctx(&w->inbox_b, FIXTURE_NOW + 1000, &w->ctx_b);
	fixture_bytes("receipt/body", w->body, sizeof(w->body));
	fixture_seal_params(&p, "receipt/msg", ENV1_MSG_TEST_DOCUMENT, 1,
	    w->body, sizeof(w->body), FIXTURE_NOW);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW, &w->msg), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_b, w->msg.env, w->msg.env_len, &w->got),
	    ENV1_OK);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	env1_opened_free(&w->got);
	env1_sealed_free(&w->msg);
	fixture_inbox_free(&w->inbox_a);
	fixture_inbox_free(&w->inbox_b);
	peerkeys_clear(&w->a_sees_b);
	peerkeys_clear(&w->b_sees_a);
	peerkeys_clear(&w->c_sees_a);
	fixture_agency_free(&w->a);
	fixture_agency_free(&w->b);
	fixture_agency_free(&w->c);
	free(w);
	return 0;
}

/*
 * Seal a receipt body from `from` (whose view of A is `view`) to A, as a
 * reply to message_id in the original's thread, and open it as A.
 */
static void
receipt_to_a(struct world *w, const struct fixture_agency *from,
    const struct peerkeys *view, const struct receipt *r,
    const uint8_t in_reply_to[16], struct env1_sealed *s, struct env1_opened *o)
{
	struct env1_seal_params p;
	uint8_t body[RECEIPT_BODY_LEN];

	receipt_encode(r, body);
	fixture_seal_params(&p, "receipt/rcpt", ENV1_MSG_DELIVERY_RECEIPT, 1, body,
	    sizeof(body), FIXTURE_NOW + 1500);
	memcpy(p.thread_id, w->got.tbs.thread_id, 16);
	memcpy(p.in_reply_to, in_reply_to, 16);
	assert_int_equal(env1_seal(&from->id, view, &w->a.prekey.stmt, &p,
	    FIXTURE_NOW + 1500, s), ENV1_OK);
	assert_int_equal(env1_open(&w->ctx_a, s->env, s->env_len, o), ENV1_OK);
}

static void
expect_checked(const struct env1_opened *m, const uint8_t own[32], int reason)
{
	struct receipt r;

	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(receipt_check(m, own, &r), reason);
	if (reason != ENV1_OK)
		for (size_t i = 0; i < sizeof(r); i++)
			assert_int_equal(((uint8_t *)&r)[i], 0);
}

static void
test_body_layout(void **state)
{
	struct world *w = *state;
	struct receipt r, back;
	uint8_t b[RECEIPT_BODY_LEN + 1];

	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	receipt_encode(&r, b);
	assert_memory_equal(b, "ENV1 receipt v1\0", 16);
	assert_memory_equal(b + 16, w->msg.env + 8, 16);
	assert_memory_equal(b + 32, w->a.rik_pk, 32);
	assert_memory_equal(b + 64, w->b.rik_pk, 32);
	assert_memory_equal(b + 96, w->msg.h_env, 32);
	assert_memory_equal(b + 128, w->msg.h_inner, 32);
	assert_int_equal(b[167], (FIXTURE_NOW + 1000) & 0xff);
	assert_int_equal(b[175], (FIXTURE_NOW + 1001) & 0xff);
	assert_int_equal(b[176], RECEIPT_STATUS_STORED);
	assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN, &back), ENV1_OK);
	assert_int_equal(back.received_at, FIXTURE_NOW + 1000);
	assert_int_equal(back.committed_at, FIXTURE_NOW + 1001);
	assert_memory_equal(back.h_inner, w->msg.h_inner, 32);
	assert_memory_equal(back.message_id, w->got.hdr.message_id, 16);

	/* Length, domain and status are checked; anything else is data. */
	assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN - 1, &back), ENV1_R_RECEIPT_BODY);
	assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN + 1, &back), ENV1_R_RECEIPT_BODY);
	assert_int_equal(receipt_decode(b, 0, &back), ENV1_R_RECEIPT_BODY);
	assert_int_equal(receipt_decode(NULL, RECEIPT_BODY_LEN, &back), ENV1_R_RECEIPT_BODY);
	for (size_t i = 0; i < 16; i++) {
		b[i] ^= 0x01;
		assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN, &back),
		    ENV1_R_RECEIPT_BODY);
		b[i] ^= 0x01;
	}
	b[176] = 0;
	assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN, &back), ENV1_R_RECEIPT_BODY);
	b[176] = 2;
	assert_int_equal(receipt_decode(b, RECEIPT_BODY_LEN, &back), ENV1_R_RECEIPT_BODY);
}

/* The whole round: B acknowledges, A checks and can match its outbox. */
static void
test_roundtrip(void **state)
{
	struct world *w = *state;
	struct receipt r, out;
	struct env1_sealed s;
	struct env1_opened o;

	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	assert_int_equal(o.tbs.msg_type, ENV1_MSG_DELIVERY_RECEIPT);
	assert_int_equal(o.body_len, RECEIPT_BODY_LEN);
	assert_int_equal(receipt_check(&o, w->a.rik_pk, &out), ENV1_OK);
	assert_memory_equal(out.h_inner, w->msg.h_inner, 32);
	assert_memory_equal(out.h_env, w->msg.h_env, 32);
	assert_memory_equal(out.message_id, w->got.hdr.message_id, 16);
	assert_int_equal(out.committed_at, FIXTURE_NOW + 1001);
	env1_opened_free(&o);
	env1_sealed_free(&s);
}

/* 22: signed by an agency other than the original recipient. */
static void
test_22_wrong_signer(void **state)
{
	struct world *w = *state;
	struct receipt r;
	struct env1_sealed s;
	struct env1_opened o;

	/* C claims B's delivery (the body says B received it). */
	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	receipt_to_a(w, &w->c, &w->c_sees_a, &r, w->got.hdr.message_id, &s, &o);
	expect_checked(&o, w->a.rik_pk, ENV1_R_RECEIPT_SIGNER);
	env1_opened_free(&o);
	env1_sealed_free(&s);
	/* B's receipt whose original recipient_rik is not B (its signer). */
	memcpy(r.recipient_rik, w->c.rik_pk, 32);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	expect_checked(&o, w->a.rik_pk, ENV1_R_RECEIPT_SIGNER);
	env1_opened_free(&o);
	env1_sealed_free(&s);
}

/* 22: for a message another agency sent; addressed to another agency. */
static void
test_22_wrong_addressee(void **state)
{
	struct world *w = *state;
	struct receipt r;
	struct env1_sealed s;
	struct env1_opened o;

	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	memcpy(r.sender_rik, w->c.rik_pk, 32);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	expect_checked(&o, w->a.rik_pk, ENV1_R_RECEIPT_ADDRESSEE);
	env1_opened_free(&o);
	env1_sealed_free(&s);

	/* A receipt addressed to A, checked by C (misrouted to C's daemon):
	 * open refuses it first, and receipt_check on its own as well. */
	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	expect_checked(&o, w->c.rik_pk, ENV1_R_RECEIPT_ADDRESSEE);
	{
		struct fixture_inbox inbox_c;
		struct env1_open_ctx ctx;
		struct env1_opened o2;

		fixture_inbox_init(&inbox_c, &w->c);
		fixture_inbox_pin(&inbox_c, &w->b);
		fixture_open_ctx(&inbox_c, FIXTURE_NOW + 2000, &ctx);
		assert_int_equal(env1_open(&ctx, s.env, s.env_len, &o2),
		    ENV1_R_WRONG_RECIPIENT);
		assert_null(o2.inner);
		fixture_inbox_free(&inbox_c);
	}
	env1_opened_free(&o);
	env1_sealed_free(&s);
}

/* A receipt must answer the message it names (in_reply_to); a message of
 * another type is not a receipt; a malformed body never opens. */
static void
test_22_not_a_receipt(void **state)
{
	struct world *w = *state;
	struct receipt r;
	struct env1_sealed s;
	struct env1_opened o;
	uint8_t other[16];

	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	fixture_bytes("receipt/other-id", other, 16);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, other, &s, &o);
	expect_checked(&o, w->a.rik_pk, ENV1_R_RECEIPT_BODY);
	env1_opened_free(&o);
	env1_sealed_free(&s);
	/* B's view of A's message is an ASSISTANCE_REQUEST. */
	expect_checked(&w->got, w->b.rik_pk, ENV1_R_MSG_TYPE);
}

/*
 * 22, the daemon's half.  A receipt whose H_inner matches nothing sent,
 * and a receipt for a receipt, both pass here: what receipt_check hands
 * back (H_inner) is exactly what the outbox lookup needs to refuse them
 * (ENV1_R_RECEIPT_UNMATCHED, ENV1_R_RECEIPT_FOR_RECEIPT).
 */
static void
test_22_outbox_is_the_daemons(void **state)
{
	struct world *w = *state;
	struct receipt r, out, r2;
	struct env1_sealed s, s2;
	struct env1_opened o, o_b;
	struct env1_seal_params p;
	uint8_t body[RECEIPT_BODY_LEN];

	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	fixture_bytes("receipt/unknown-h-inner", r.h_inner, 32);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	assert_int_equal(receipt_check(&o, w->a.rik_pk, &out), ENV1_OK);
	assert_memory_not_equal(out.h_inner, w->msg.h_inner, 32);
	env1_opened_free(&o);
	env1_sealed_free(&s);

	/* B receipts A's message; A wrongly receipts B's receipt back. */
	receipt_for(&w->got, FIXTURE_NOW + 1000, FIXTURE_NOW + 1001, &r);
	receipt_to_a(w, &w->b, &w->b_sees_a, &r, w->got.hdr.message_id, &s, &o);
	receipt_for(&o, FIXTURE_NOW + 2000, FIXTURE_NOW + 2001, &r2);
	receipt_encode(&r2, body);
	fixture_seal_params(&p, "receipt/rr", ENV1_MSG_DELIVERY_RECEIPT, 2, body,
	    sizeof(body), FIXTURE_NOW + 2500);
	memcpy(p.in_reply_to, o.hdr.message_id, 16);
	assert_int_equal(env1_seal(&w->a.id, &w->a_sees_b, &w->b.prekey.stmt, &p,
	    FIXTURE_NOW + 2500, &s2), ENV1_OK);
	w->ctx_b.now = FIXTURE_NOW + 3000;
	assert_int_equal(env1_open(&w->ctx_b, s2.env, s2.env_len, &o_b), ENV1_OK);
	assert_int_equal(receipt_check(&o_b, w->b.rik_pk, &out), ENV1_OK);
	/* B's outbox finds its own receipt under this H_inner. */
	assert_memory_equal(out.h_inner, s.h_inner, 32);
	assert_memory_equal(out.h_inner, o.h_inner, 32);
	env1_opened_free(&o_b);
	env1_opened_free(&o);
	env1_sealed_free(&s2);
	env1_sealed_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_body_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_22_wrong_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_22_wrong_addressee, setup, teardown),
		cmocka_unit_test_setup_teardown(test_22_not_a_receipt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_22_outbox_is_the_daemons, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
