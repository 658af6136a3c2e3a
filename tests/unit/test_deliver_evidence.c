/* Unit tests: evidence bundles for the operator (daemon/core/
 * deliver_evidence.c) from a real store on SQLite files: a sent message
 * alone, a sent message with the receipt the peer returned, a received
 * message with the receipt we sealed, each part as stored (header, TBS,
 * signature, body, ciphertext); -ENOENT for an unknown id, -EAGAIN for a
 * message not sealed yet, and -EBADMSG, with nothing handed out, when any
 * part does not decrypt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "keys/evidence.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "tests/lib/storefix.h"

struct world {
	struct storefix         fx;
	struct daemon           d;      /* only its store is used */
	uint8_t                 tid[ENV1_ID_LEN];
};

static int
setup(void **state)
{
	static struct world w;

	memset(&w, 0, sizeof(w));
	if (storefix_open(&w.fx, "evidence") != 0)
		return -1;
	w.d.store = w.fx.st;
	storefix_thread(&w.fx, w.tid);
	*state = &w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	storefix_remove(&w->fx);
	return 0;
}

static void
reopen(struct world *w)
{
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	w->d.store = w->fx.st;
}

/* "message_id = X'..'" for SQL. */
static const char *
where_id(const uint8_t id[ENV1_ID_LEN])
{
	static char     buf[128];
	char            hex[2 * ENV1_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), id, ENV1_ID_LEN);
	snprintf(buf, sizeof(buf), "message_id = X'%s'", hex);
	return buf;
}

/* A sealed outbox message; a receipt (msg_type 256) when receipt. */
static void
sealed(struct world *w, const char *body, int receipt, struct store_out *m)
{
	char sql[256];

	storefix_out(&w->fx, w->tid, body, m);
	if (receipt) {
		snprintf(sql, sizeof(sql), "UPDATE outbox SET msg_type = 256 WHERE %s",
		    where_id(m->message_id));
		assert_int_equal(storefix_sql(&w->fx, "data.db", sql), 0);
	}
	storefix_seal(&w->fx, m);
}

/* A ledger row whose evidence is a SignedMessage with this body. */
static void
received(struct world *w, uint64_t seq, const char *body, struct store_in *in)
{
	uint8_t hdr[ENV1_HDR_LEN], tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN], *rec;
	size_t  len;

	randombytes_buf(hdr, sizeof(hdr));
	randombytes_buf(tbs, sizeof(tbs));
	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(evidence_record_encode(hdr, tbs, sig, (const uint8_t *)body,
	    strlen(body), NULL, 0, &rec, &len), ENV1_OK);
	memset(in, 0, sizeof(*in));
	memcpy(in->sender_rik, w->fx.peer, ENV1_KEY_LEN);
	randombytes_buf(in->message_id, ENV1_ID_LEN);
	memcpy(in->thread_id, w->tid, ENV1_ID_LEN);
	in->seq = seq;
	in->state = IN_ACCEPTED;
	assert_int_equal(store_begin(w->fx.st), 0);
	assert_int_equal(store_in_insert(w->fx.st, in, rec, len), 0);
	assert_int_equal(store_commit(w->fx.st), 0);
	free(rec);
}

static Homeward__Keys__Evidence *
bundle_of(struct world *w, const uint8_t id[ENV1_ID_LEN])
{
	Homeward__Keys__Evidence *e;
	uint8_t *out = NULL;
	size_t len = 0;

	assert_int_equal(deliver_evidence(&w->d, id, &out, &len), 0);
	assert_non_null(out);
	e = homeward__keys__evidence__unpack(NULL, len, out);
	free(out);
	assert_non_null(e);
	assert_non_null(e->message);
	return e;
}

static void
test_not_there_or_not_sealed(void **state)
{
	struct world           *w = *state;
	struct store_out        m;
	uint8_t                 none[ENV1_ID_LEN], *out = NULL;
	size_t                  len = 0;

	randombytes_buf(none, sizeof(none));
	assert_int_equal(deliver_evidence(&w->d, none, &out, &len), -ENOENT);
	assert_null(out);
	storefix_out(&w->fx, w->tid, "waiting for a prekey", &m);
	assert_int_equal(deliver_evidence(&w->d, m.message_id, &out, &len), -EAGAIN);
	assert_null(out);
}

static void
test_sent_alone_and_with_receipt(void **state)
{
	struct world                   *w = *state;
	Homeward__Keys__Evidence       *e;
	struct store_out                m, got;
	struct store_in                 rcpt;
	uint8_t                        *env;
	size_t                          envlen;

	sealed(w, "a sent synthetic document", 0, &m);
	assert_int_equal(store_out_get(w->fx.st, m.message_id, &got), 0);
	assert_int_equal(store_out_envelope(w->fx.st, &got, &env, &envlen), 0);
	/* Sealed, no receipt yet: the message alone, as it was signed. */
	e = bundle_of(w, m.message_id);
	assert_null(e->receipt);
	assert_int_equal(e->message->header.len, ENV1_HDR_LEN);
	assert_memory_equal(e->message->header.data, env, ENV1_HDR_LEN);
	assert_int_equal(e->message->ciphertext.len, envlen - ENV1_HDR_LEN);
	assert_memory_equal(e->message->ciphertext.data, env + ENV1_HDR_LEN,
	    envlen - ENV1_HDR_LEN);
	assert_int_equal(e->message->tbs.len, ENV1_TBS_LEN);
	assert_int_equal(e->message->sig.len, ENV1_SIG_LEN);
	assert_int_equal(e->message->body.len, m.body_len);
	assert_memory_equal(e->message->body.data, "a sent synthetic document",
	    m.body_len);
	homeward__keys__evidence__free_unpacked(e, NULL);
	free(env);
	/* Delivered: the peer's receipt comes with it. */
	received(w, 1, "the peer's receipt", &rcpt);
	assert_int_equal(store_out_delivered(w->fx.st, m.message_id, rcpt.message_id,
	    9), 0);
	e = bundle_of(w, m.message_id);
	assert_non_null(e->receipt);
	assert_int_equal(e->receipt->body.len, strlen("the peer's receipt"));
	assert_memory_equal(e->receipt->body.data, "the peer's receipt",
	    e->receipt->body.len);
	homeward__keys__evidence__free_unpacked(e, NULL);
	/* A receipt the ledger no longer has: the message alone. */
	assert_int_equal(storefix_sql(&w->fx, "data.db", "DELETE FROM inbox"), 0);
	e = bundle_of(w, m.message_id);
	assert_null(e->receipt);
	homeward__keys__evidence__free_unpacked(e, NULL);
}

static void
test_received_with_our_receipt(void **state)
{
	struct world                   *w = *state;
	Homeward__Keys__Evidence       *e;
	struct store_in                 in;
	struct store_out                ours;
	char                            sql[320], hex[2 * ENV1_ID_LEN + 1];

	received(w, 1, "a received synthetic document", &in);
	/* Before our receipt is sealed: the message alone. */
	e = bundle_of(w, in.message_id);
	assert_null(e->receipt);
	assert_memory_equal(e->message->body.data, "a received synthetic document",
	    e->message->body.len);
	homeward__keys__evidence__free_unpacked(e, NULL);
	sealed(w, "our receipt", 1, &ours);
	sodium_bin2hex(hex, sizeof(hex), ours.message_id, ENV1_ID_LEN);
	snprintf(sql, sizeof(sql), "UPDATE inbox SET receipt_id = X'%s' WHERE %s",
	    hex, where_id(in.message_id));
	assert_int_equal(storefix_sql(&w->fx, "data.db", sql), 0);
	e = bundle_of(w, in.message_id);
	assert_non_null(e->receipt);
	assert_memory_equal(e->receipt->body.data, "our receipt",
	    e->receipt->body.len);
	homeward__keys__evidence__free_unpacked(e, NULL);
}

static void
test_parts_that_do_not_decrypt(void **state)
{
	struct world           *w = *state;
	struct store_out        a, b, c, ours;
	struct store_in         in, rcpt;
	uint8_t                *out = NULL;
	size_t                  len = 0;
	char                    sql[320], hex[2 * ENV1_ID_LEN + 1];

	sealed(w, "envelope damaged", 0, &a);
	sealed(w, "body damaged", 0, &b);
	sealed(w, "receipt damaged", 0, &c);
	received(w, 1, "its receipt", &rcpt);
	assert_int_equal(store_out_delivered(w->fx.st, c.message_id, rcpt.message_id,
	    9), 0);
	received(w, 2, "evidence damaged", &in);
	sealed(w, "our receipt, damaged", 1, &ours);
	sodium_bin2hex(hex, sizeof(hex), ours.message_id, ENV1_ID_LEN);
	snprintf(sql, sizeof(sql), "UPDATE inbox SET receipt_id = X'%s' WHERE seq = 1",
	    hex);
	assert_int_equal(storefix_sql(&w->fx, "data.db", sql), 0);
	storefix_close(&w->fx);
	assert_int_equal(storefix_flip(&w->fx, "data.db", "outbox", "envelope",
	    where_id(a.message_id)), 1);
	assert_int_equal(storefix_flip(&w->fx, "data.db", "outbox", "body",
	    where_id(b.message_id)), 1);
	assert_int_equal(storefix_flip(&w->fx, "data.db", "inbox", "evidence",
	    where_id(rcpt.message_id)), 1);
	assert_int_equal(storefix_flip(&w->fx, "data.db", "outbox", "signed",
	    where_id(ours.message_id)), 1);
	reopen(w);
	assert_int_equal(deliver_evidence(&w->d, a.message_id, &out, &len), -EBADMSG);
	assert_int_equal(deliver_evidence(&w->d, b.message_id, &out, &len), -EBADMSG);
	/* The message is fine, its receipt is not: no half bundle. */
	assert_int_equal(deliver_evidence(&w->d, c.message_id, &out, &len), -EBADMSG);
	assert_int_equal(deliver_evidence(&w->d, rcpt.message_id, &out, &len),
	    -EBADMSG);
	assert_null(out);
	/* A received message with nothing damaged and no receipt yet. */
	assert_int_equal(deliver_evidence(&w->d, in.message_id, &out, &len), 0);
	free(out);
	out = NULL;
	/* rcpt's evidence repaired (the same bit flipped back): it reads, but
	 * the receipt we sealed for it does not, and no half bundle comes. */
	assert_int_equal(storefix_flip(&w->fx, "data.db", "inbox", "evidence",
	    where_id(rcpt.message_id)), 1);
	assert_int_equal(deliver_evidence(&w->d, rcpt.message_id, &out, &len),
	    -EBADMSG);
	assert_null(out);
	assert_int_equal(deliver_evidence(&w->d, c.message_id, &out, &len), 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_there_or_not_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_alone_and_with_receipt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_received_with_our_receipt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts_that_do_not_decrypt, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_deliver_evidence");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
