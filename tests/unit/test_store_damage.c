/* Unit tests: column blobs that do not decrypt (daemon/store/store_keys.c
 * and the readers of store_msgs.c, store_peers.c, store_cases.c,
 * store_held.c, store_consents.c) on real SQLite files damaged with SQL
 * behind the store's back, then reopened.  A flipped bit in a body, an
 * envelope, a signature, evidence, a profile, a held document, its safety
 * reason or a consent scope; a blob moved to another row or case; a length
 * that does not match; a damaged, missing or foreign case key; a damaged
 * prekey row or peer bundle: each read answers -EBADMSG (never garbage,
 * never a crash) and hands back nothing, and the rows next to it still
 * read. */
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
#include "daemon/store/store_case.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "damage") != 0)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	storefix_remove(*state);
	return 0;
}

static void
reopen(struct storefix *fx)
{
	assert_int_equal(storefix_reopen(fx, NULL), 0);
}

/* "hex(message_id) = '...'" for the rows of one message. */
static const char *
where_id(const char *col, const uint8_t *id, size_t len)
{
	static char     buf[160];
	char            hex[2 * 64 + 1];

	sodium_bin2hex(hex, sizeof(hex), id, len);
	snprintf(buf, sizeof(buf), "%s = X'%s'", col, hex);
	return buf;
}

static void
test_outbox_blobs(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, b, got;
	uint8_t                 tid[ENV1_ID_LEN], tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN];
	uint8_t                *body = (uint8_t *)"not null", *env;
	size_t                  len;

	storefix_thread(fx, tid);
	storefix_out(fx, tid, "first synthetic document", &a);
	storefix_out(fx, tid, "second synthetic document", &b);
	storefix_seal(fx, &a);
	storefix_seal(fx, &b);
	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "data.db", "outbox", "body",
	    where_id("message_id", a.message_id, ENV1_ID_LEN)), 1);
	reopen(fx);
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	/* The envelope and signature of the same row are blobs of their own. */
	assert_int_equal(store_out_envelope(fx->st, &got, &env, &len), 0);
	free(env);
	assert_int_equal(store_out_signed(fx->st, &got, tbs, sig), 0);

	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "data.db", "outbox", "envelope",
	    where_id("message_id", a.message_id, ENV1_ID_LEN)), 1);
	assert_int_equal(storefix_flip(fx, "data.db", "outbox", "signed",
	    where_id("message_id", a.message_id, ENV1_ID_LEN)), 1);
	reopen(fx);
	assert_int_equal(store_out_envelope(fx->st, &got, &env, &len), -EBADMSG);
	assert_int_equal(store_out_signed(fx->st, &got, tbs, sig), -EBADMSG);
	/* The other message of the thread is untouched. */
	assert_int_equal(store_out_get(fx->st, b.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), 0);
	assert_memory_equal(body, "second synthetic document", got.body_len);
	secret_free(body);
	assert_int_equal(store_out_envelope(fx->st, &got, &env, &len), 0);
	assert_int_equal(len, STOREFIX_ENV_LEN);
	free(env);
}

static void
test_outbox_blob_moved_or_resized(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, b, other, got;
	uint8_t                 t1[ENV1_ID_LEN], t2[ENV1_ID_LEN];
	uint8_t                 tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN], *body = NULL;
	char                    sql[256], hex[2 * ENV1_ID_LEN + 1];

	storefix_thread(fx, t1);
	storefix_thread(fx, t2);
	storefix_out(fx, t1, "body of a", &a);
	storefix_out(fx, t1, "body of b", &b);
	storefix_out(fx, t2, "in another case", &other);
	storefix_seal(fx, &a);
	storefix_close(fx);
	/* A body one byte longer than it says: refused, not truncated. */
	assert_int_equal(storefix_sql(fx, "data.db", "UPDATE outbox SET body_len = "
	    "body_len + 1 WHERE seq = 2"), 0);
	/* A row moved to another thread: its blobs are bound to their case. */
	sodium_bin2hex(hex, sizeof(hex), t1, ENV1_ID_LEN);
	snprintf(sql, sizeof(sql), "UPDATE outbox SET thread_id = X'%s', seq = 99 "
	    "WHERE %s",
	    hex, where_id("message_id", other.message_id, ENV1_ID_LEN));
	assert_int_equal(storefix_sql(fx, "data.db", sql), 0);
	/* a's signature put where its envelope was (same case, other column). */
	snprintf(sql, sizeof(sql), "UPDATE outbox SET envelope = signed WHERE %s",
	    where_id("message_id", a.message_id, ENV1_ID_LEN));
	assert_int_equal(storefix_sql(fx, "data.db", sql), 0);
	reopen(fx);
	assert_int_equal(store_out_get(fx->st, b.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	assert_null(body);
	assert_int_equal(store_out_get(fx->st, other.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	assert_null(body);
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	{
		uint8_t *env;
		size_t   len;

		assert_int_equal(store_out_envelope(fx->st, &got, &env, &len),
		    -EBADMSG);
	}
	assert_int_equal(store_out_signed(fx->st, &got, tbs, sig), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), 0);
	secret_free(body);
}

static void
test_inbox_evidence(void **state)
{
	struct storefix        *fx = *state;
	struct store_in         a, b;
	uint8_t                 tid[ENV1_ID_LEN], *ev;
	size_t                  len;

	storefix_thread(fx, tid);
	storefix_in(fx, tid, 1, IN_ACCEPTED, "signed parts of one", &a);
	storefix_in(fx, tid, 2, IN_ACCEPTED, "signed parts of two", &b);
	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "data.db", "inbox", "evidence",
	    where_id("message_id", a.message_id, ENV1_ID_LEN)), 1);
	reopen(fx);
	assert_int_equal(store_in_evidence(fx->st, &a, &ev, &len), -EBADMSG);
	assert_int_equal(store_in_evidence(fx->st, &b, &ev, &len), 0);
	assert_int_equal(len, strlen("signed parts of two"));
	secret_free(ev);
}

/* The wrapped case key itself damaged, gone, or wrapped under another
 * agency's keystore key. */
static void
test_case_key_damaged_or_gone(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, b, c, got;
	struct store_in         in;
	uint8_t                 t1[ENV1_ID_LEN], t2[ENV1_ID_LEN], *body;
	struct store_thread     t;

	storefix_thread(fx, t1);
	storefix_thread(fx, t2);
	storefix_out(fx, t1, "under a damaged key", &a);
	storefix_out(fx, t2, "under a deleted key", &b);
	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "keystore.db", "case_keys", "wrapped_dek",
	    where_id("case_id", t1, ENV1_ID_LEN)), 1);
	reopen(fx);
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	/* Nothing more is written under a key that does not unwrap. */
	c = a;
	randombytes_buf(c.message_id, ENV1_ID_LEN);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &c, (const uint8_t *)"x"), -EBADMSG);
	store_rollback(fx->st);
	assert_int_equal(store_out_get(fx->st, c.message_id, &got), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, t1, &t), 0);
	assert_int_equal(t.out_seq, 1);

	/* A wrapped key of the wrong length is no key at all. */
	storefix_close(fx);
	assert_int_equal(storefix_sql(fx, "keystore.db",
	    "UPDATE case_keys SET wrapped_dek = X'00'"), 0);
	reopen(fx);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	/* A key deleted behind the store's back: reads are -EBADMSG, writes
	 * -ENOENT (no key is made again for an existing case). */
	storefix_close(fx);
	assert_int_equal(storefix_sql(fx, "keystore.db", "DELETE FROM case_keys"), 0);
	reopen(fx);
	assert_int_equal(store_out_get(fx->st, b.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	memset(&in, 0, sizeof(in));
	randombytes_buf(in.message_id, ENV1_ID_LEN);
	memcpy(in.sender_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(in.thread_id, t2, ENV1_ID_LEN);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_in_insert(fx->st, &in, (const uint8_t *)"e", 1), -ENOENT);
	store_rollback(fx->st);
	assert_int_equal(store_in_get(fx->st, fx->peer, in.message_id, &in), -ENOENT);
}

static void
test_foreign_keystore_key(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, got;
	struct store_spk        k, *v;
	uint8_t                 tid[ENV1_ID_LEN], ksk[ATREST_KEY_LEN];
	uint8_t                 sk[ATREST_KEY_LEN], back[ATREST_KEY_LEN], *body;
	size_t                  n;

	storefix_thread(fx, tid);
	storefix_out(fx, tid, "readable with the right key only", &a);
	memset(&k, 0, sizeof(k));
	k.stmt.spk_id = 0x5151;
	k.stmt.suite = ENV1_SUITE_X25519;
	k.stmt.retain_until = 1000;
	randombytes_buf(sk, sizeof(sk));
	assert_int_equal(store_spk_wrap(fx->st, k.stmt.spk_id, sk, k.wrapped), 0);
	assert_int_equal(store_spk_put(fx->st, &k), 0);
	/* Another agency's daemon key opening this state directory. */
	memcpy(ksk, fx->ksk, sizeof(ksk));
	randombytes_buf(fx->ksk, sizeof(fx->ksk));
	reopen(fx);
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	assert_int_equal(store_out_body(fx->st, &got, &body), -EBADMSG);
	assert_int_equal(store_spk_list(fx->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_spk_unwrap(fx->st, &v[0], back), -EBADMSG);
	free(v);
	/* Failed reads changed nothing: the right key reads it all. */
	memcpy(fx->ksk, ksk, sizeof(ksk));
	reopen(fx);
	assert_int_equal(store_out_body(fx->st, &got, &body), 0);
	assert_memory_equal(body, "readable with the right key only", got.body_len);
	secret_free(body);
	assert_int_equal(store_spk_list(fx->st, &v, &n), 0);
	assert_int_equal(store_spk_unwrap(fx->st, &v[0], back), 0);
	assert_memory_equal(back, sk, sizeof(sk));
	free(v);
}

static void
test_prekey_rows_damaged(void **state)
{
	struct storefix        *fx = *state;
	struct store_spk        k, *v = (struct store_spk *)1;
	uint8_t                 sk[ATREST_KEY_LEN], back[ATREST_KEY_LEN];
	size_t                  n = 9;

	memset(&k, 0, sizeof(k));
	k.stmt.spk_id = 0x7777;
	k.stmt.suite = ENV1_SUITE_X25519;
	k.stmt.retain_until = 1000;
	randombytes_buf(sk, sizeof(sk));
	assert_int_equal(store_spk_wrap(fx->st, k.stmt.spk_id, sk, k.wrapped), 0);
	assert_int_equal(store_spk_put(fx->st, &k), 0);
	/* A wrapped secret with a flipped bit does not unwrap. */
	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "keystore.db", "spk_secrets",
	    "wrapped_sk", "1"), 1);
	reopen(fx);
	assert_int_equal(store_spk_list(fx->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_spk_unwrap(fx->st, &v[0], back), -EBADMSG);
	free(v);
	/* A statement of the wrong length: the listing is refused whole. */
	assert_int_equal(storefix_sql(fx, "keystore.db",
	    "UPDATE spk_secrets SET statement = X'0102'"), 0);
	assert_int_equal(store_spk_list(fx->st, &v, &n), -EBADMSG);
	assert_null(v);
	assert_int_equal(n, 0);
	/* The right length, but not a prekey statement. */
	assert_int_equal(storefix_sql(fx, "keystore.db",
	    "UPDATE spk_secrets SET statement = zeroblob(212)"), 0);
	assert_int_equal(store_spk_list(fx->st, &v, &n), -EBADMSG);
	assert_null(v);
	assert_int_equal(storefix_sql(fx, "keystore.db",
	    "UPDATE spk_secrets SET wrapped_sk = X'00'"), 0);
	assert_int_equal(store_spk_list(fx->st, &v, &n), -EBADMSG);
	assert_null(v);
}

static void
test_peer_bundle_missing(void **state)
{
	struct storefix        *fx = *state;
	struct store_peer       p, *v = (struct store_peer *)1;
	size_t                  n = 9;
	static uint8_t          bundle[] = { 1, 2, 3, 4 };

	memset(&p, 0, sizeof(p));
	memcpy(p.rik, fx->peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "beta");
	p.bundle = bundle;
	p.bundle_len = sizeof(bundle);
	assert_int_equal(store_peer_put(fx->st, &p), 0);
	randombytes_buf(p.rik, ENV1_KEY_LEN);
	strcpy(p.agency_id, "gamma");
	assert_int_equal(store_peer_put(fx->st, &p), 0);
	/* A peer whose bundle is gone cannot be pinned: the directory is
	 * refused rather than loaded without it. */
	assert_int_equal(storefix_sql(fx, "data.db",
	    "UPDATE peers SET bundle = X'' WHERE agency_id = 'gamma'"), 0);
	assert_int_equal(store_peer_list(fx->st, &v, &n), -EBADMSG);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void
new_case(struct storefix *fx, const char *code, struct store_case *c)
{
	memset(c, 0, sizeof(*c));
	randombytes_buf(c->case_id, ENV1_ID_LEN);
	snprintf(c->code, sizeof(c->code), "%s", code);
	snprintf(c->home, sizeof(c->home), "ci-abidjan");
	snprintf(c->opened_by, sizeof(c->opened_by), "alice");
	c->role = CASE_ROLE_DESTINATION;
	c->state = CASE_OPEN;
	assert_int_equal(store_case_insert(fx->st, c, (const uint8_t *)"profile", 7), 0);
}

static void
test_case_rows_damaged(void **state)
{
	struct storefix        *fx = *state;
	struct store_case       a, b;
	struct store_held       h, h2;
	struct store_consent    sc, *v;
	uint8_t                *out = (uint8_t *)1;
	size_t                  len = 9, n;
	char                   *safety = (char *)1;

	new_case(fx, "CI-DMG-1", &a);
	new_case(fx, "CI-DMG-2", &b);
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, a.case_id, ENV1_ID_LEN);
	h.state = HELD_APPROVAL;
	assert_int_equal(store_held_insert(fx->st, &h, (const uint8_t *)"doc", 3,
	    "a synthetic reason"), 0);
	h2 = h;
	randombytes_buf(h2.held_id, ENV1_ID_LEN);
	assert_int_equal(store_held_insert(fx->st, &h2, (const uint8_t *)"doc2", 4,
	    "another reason"), 0);
	memset(&sc, 0, sizeof(sc));
	randombytes_buf(sc.c.id, ENV1_ID_LEN);
	memcpy(sc.case_id, a.case_id, ENV1_ID_LEN);
	sc.source = CONSENT_RECORDED;
	assert_int_equal(store_consent_insert(fx->st, &sc, (const uint8_t *)"scope",
	    5), 0);
	storefix_close(fx);
	assert_int_equal(storefix_flip(fx, "data.db", "cases", "profile",
	    where_id("case_id", a.case_id, ENV1_ID_LEN)), 1);
	assert_int_equal(storefix_flip(fx, "data.db", "held", "body",
	    where_id("held_id", h.held_id, ENV1_ID_LEN)), 1);
	assert_int_equal(storefix_flip(fx, "data.db", "held", "safety",
	    where_id("held_id", h2.held_id, ENV1_ID_LEN)), 1);
	assert_int_equal(storefix_flip(fx, "data.db", "consents", "scope", "1"), 1);
	reopen(fx);
	assert_int_equal(store_case_profile(fx->st, &a, &out, &len), -EBADMSG);
	assert_int_equal(len, 0);
	assert_int_equal(store_held_body(fx->st, &h, &out, &len, &safety), -EBADMSG);
	assert_null(out);
	assert_null(safety);
	/* A good body with a damaged safety reason: neither is handed out. */
	assert_int_equal(store_held_body(fx->st, &h2, &out, &len, &safety), -EBADMSG);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_null(safety);
	assert_int_equal(store_consent_list(fx->st, a.case_id, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_consent_scope(fx->st, &v[0], &out, &len), -EBADMSG);
	free(v);
	/* The other case still reads. */
	assert_int_equal(store_case_profile(fx->st, &b, &out, &len), 0);
	assert_int_equal(len, 7);
	secret_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_blob_moved_or_resized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_key_damaged_or_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keystore_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prekey_rows_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_bundle_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_rows_damaged, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	/* Each refusal is logged as a warning: keep the output to failures. */
	log_init(0, LOG_LEVEL_WARN, "test_store_damage");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
