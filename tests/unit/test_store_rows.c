/* Unit tests: the store's row contracts (daemon/store/store_msgs.c,
 * store_peers.c, store_cases.c, store_alerts.c, store_held.c) on real
 * SQLite files: -ENOENT for rows that are not there (and nothing written
 * for them), -EEXIST for rows that are, state changes that happen once,
 * the iterations' contract (a callback returns 0 to go on, 1 to stop, < 0
 * to fail with that error), their filters, paging cursor and order, the
 * counts, and the names of states. */
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

	if (storefix_open(&fx, "rows") != 0)
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

/* What an iteration saw, and what its callback answers after how many. */
struct seen {
	int             n;
	int             stop_at;        /* answer `answer` at this call (1-based) */
	int             answer;
	uint64_t        seq[16];
	int64_t         ids[16];
};

static int
see_out(const struct store_out *m, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->seq[s->n] = m->seq;
		s->ids[s->n] = m->rowid;
	}
	return ++s->n == s->stop_at ? s->answer : 0;
}

static int
see_in(const struct store_in *m, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = m->seq;
	return ++s->n == s->stop_at ? s->answer : 0;
}

static void
test_missing_rows(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m, got;
	struct store_in         in;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN], none[ENV1_ID_LEN], h[ENV1_HASH_LEN];
	uint8_t                 tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN], *p = NULL;
	size_t                  len;

	randombytes_buf(none, sizeof(none));
	randombytes_buf(h, sizeof(h));
	memset(tbs, 0, sizeof(tbs));
	memset(sig, 0, sizeof(sig));
	/* A message on a thread that does not exist: refused, no row. */
	memset(&m, 0, sizeof(m));
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	memcpy(m.thread_id, none, ENV1_ID_LEN);
	m.body_len = 1;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &m, (const uint8_t *)"x"), -ENOENT);
	store_rollback(fx->st);
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, none, &t), -ENOENT);
	memset(&t, 0, sizeof(t));
	memcpy(t.thread_id, none, ENV1_ID_LEN);
	assert_int_equal(store_thread_put(fx->st, &t), -ENOENT);
	assert_int_equal(store_thread_put_in(fx->st, none, 3, h), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, none, &t), -ENOENT);
	/* Rows of the outbox that are not there. */
	assert_int_equal(store_out_find_h_inner(fx->st, h, &got), -ENOENT);
	assert_int_equal(store_out_body(fx->st, &m, &p), -ENOENT);
	assert_int_equal(store_out_sealed(fx->st, m.message_id, h, 1, h, h, tbs, sig),
	    -ENOENT);
	assert_int_equal(store_out_delivered(fx->st, m.message_id, none, 5), -ENOENT);
	/* ... and of the ledger. */
	assert_int_equal(store_in_get(fx->st, fx->peer, none, &in), -ENOENT);
	assert_int_equal(store_in_get_id(fx->st, none, &in), -ENOENT);
	memset(&in, 0, sizeof(in));
	memcpy(in.sender_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(in.message_id, none, ENV1_ID_LEN);
	assert_int_equal(store_in_evidence(fx->st, &in, &p, &len), -ENOENT);
	/* A thread exists once. */
	storefix_thread(fx, tid);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_thread_create(fx->st, tid, fx->peer, 2), -EEXIST);
	store_rollback(fx->st);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_memory_equal(t.peer_rik, fx->peer, ENV1_KEY_LEN);
}

static void
test_outbox_life(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m, r, got;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN], rid[ENV1_ID_LEN], *env;
	uint8_t                 tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN], h[ENV1_HASH_LEN];
	size_t                  len;
	uint64_t                unacked;

	storefix_thread(fx, tid);
	storefix_out(fx, tid, "a document", &m);
	/* Not sealed yet: no envelope, no signature, and not deliverable. */
	assert_int_equal(store_out_envelope(fx->st, &m, &env, &len), -ENOENT);
	assert_int_equal(store_out_signed(fx->st, &m, tbs, sig), -ENOENT);
	randombytes_buf(rid, sizeof(rid));
	assert_int_equal(store_out_delivered(fx->st, m.message_id, rid, 5), -ENOENT);
	assert_int_equal(store_peer_unacked(fx->st, fx->peer, &unacked), 0);
	assert_int_equal(unacked, 1);
	storefix_seal(fx, &m);
	assert_int_equal(store_out_transmitted(fx->st, m.message_id, 100, 200), 0);
	assert_int_equal(store_out_transmitted(fx->st, m.message_id, 300, 400), 0);
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), 0);
	assert_int_equal(got.state, OUT_SEALED);
	assert_int_equal(got.attempts, 2);
	assert_int_equal(got.sent_at, 300);
	assert_int_equal(got.next_attempt_at, 400);
	/* Delivered once; a second receipt for it changes nothing. */
	assert_int_equal(store_out_delivered(fx->st, m.message_id, rid, 500), 0);
	assert_int_equal(store_out_delivered(fx->st, m.message_id, h, 600), -ENOENT);
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), 0);
	assert_int_equal(got.state, OUT_DELIVERED);
	assert_int_equal(got.delivered_at, 500);
	assert_memory_equal(got.receipt_id, rid, ENV1_ID_LEN);
	assert_int_equal(store_peer_unacked(fx->st, fx->peer, &unacked), 0);
	assert_int_equal(unacked, 0);
	/* A receipt we seal is a state of its own: nothing acknowledges it. */
	storefix_out(fx, tid, "receipt", &r);
	assert_int_equal(storefix_sql(fx, "data.db", "UPDATE outbox SET msg_type = 256 "
	    "WHERE seq = 2"), 0);
	storefix_seal(fx, &r);
	assert_int_equal(store_out_get(fx->st, r.message_id, &got), 0);
	assert_int_equal(got.state, OUT_RECEIPT);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.sealed_seq, 2);
	/* The peer's side of the chain moves alone. */
	randombytes_buf(h, sizeof(h));
	assert_int_equal(store_thread_put_in(fx->st, tid, 7, h), 0);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.in_seq, 7);
	assert_memory_equal(t.in_last_h_inner, h, ENV1_HASH_LEN);
	assert_int_equal(t.out_seq, 2);
	assert_string_equal(store_out_state_name(OUT_WAITING), "waiting");
	assert_string_equal(store_out_state_name(OUT_SEALED), "sealed");
	assert_string_equal(store_out_state_name(OUT_DELIVERED), "delivered");
	assert_string_equal(store_out_state_name(OUT_RECEIPT), "receipt");
	assert_string_equal(store_out_state_name(9), "unknown");
	assert_string_equal(store_in_state_name(IN_ACCEPTED), "accepted");
	assert_string_equal(store_in_state_name(IN_GAP_HELD), "gap_held");
	assert_string_equal(store_in_state_name(0), "unknown");
}

static void
test_unacked_paging(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m[5];
	struct seen             s;
	uint8_t                 tid[ENV1_ID_LEN], other[ENV1_KEY_LEN];
	int64_t                 cursor = 0;

	storefix_thread(fx, tid);
	for (int i = 0; i < 5; i++) {
		storefix_out(fx, tid, "unacked", &m[i]);
		storefix_seal(fx, &m[i]);
		assert_int_equal(store_out_transmitted(fx->st, m[i].message_id, 1,
		    100 * (uint64_t)(i + 1)), 0);
	}
	/* Pages of two, in insertion order, the cursor carried over. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 2,
	    see_out, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(cursor, s.ids[1]);
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 2,
	    see_out, &s), 0);
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 2,
	    see_out, &s), 0);
	assert_int_equal(s.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(s.seq[i], (uint64_t)i + 1);
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 2,
	    see_out, &s), 0);
	assert_int_equal(s.n, 5);
	/* Only those due by 250. */
	memset(&s, 0, sizeof(s));
	cursor = 0;
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 250, &cursor, 10,
	    see_out, &s), 0);
	assert_int_equal(s.n, 2);
	/* 1 stops early without an error; < 0 is the error. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	s.answer = 1;
	cursor = 0;
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 10,
	    see_out, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(cursor, s.ids[2]);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	s.answer = -ECANCELED;
	cursor = 0;
	assert_int_equal(store_out_each_unacked(fx->st, fx->peer, 0, &cursor, 10,
	    see_out, &s), -ECANCELED);
	assert_int_equal(s.n, 2);
	/* Another peer has none. */
	randombytes_buf(other, sizeof(other));
	memset(&s, 0, sizeof(s));
	cursor = 0;
	assert_int_equal(store_out_each_unacked(fx->st, other, 0, &cursor, 10,
	    see_out, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(cursor, 0);
}

static void
test_waiting_and_lists(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m[4];
	struct store_in         in[3];
	struct seen             s;
	uint8_t                 tid[ENV1_ID_LEN];

	storefix_thread(fx, tid);
	for (int i = 0; i < 4; i++)
		storefix_out(fx, tid, "waiting", &m[i]);
	storefix_seal(fx, &m[0]);
	assert_int_equal(storefix_sql(fx, "data.db", "UPDATE outbox SET created_at = "
	    "1000 + seq"), 0);
	/* Waiting ones in position order; stop and failure as promised. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_out_each_waiting(fx->st, fx->peer, see_out, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 2);
	assert_int_equal(s.seq[2], 4);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.answer = 1;
	assert_int_equal(store_out_each_waiting(fx->st, fx->peer, see_out, &s), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	s.answer = -EPIPE;
	assert_int_equal(store_out_each_waiting(fx->st, fx->peer, see_out, &s), -EPIPE);
	assert_int_equal(s.n, 2);
	/* The listing: newest first, by state, before a time, limited. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_out_list(fx->st, NULL, -1, 0, 10, see_out, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.seq[0], 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_out_list(fx->st, fx->peer, OUT_SEALED, 0, 10, see_out,
	    &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_out_list(fx->st, NULL, -1, 1003, 1, see_out, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 2);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.answer = -EINTR;
	assert_int_equal(store_out_list(fx->st, NULL, -1, 0, 10, see_out, &s), -EINTR);

	/* The inbox listing leaves receipts out. */
	storefix_in(fx, tid, 1, IN_ACCEPTED, "one", &in[0]);
	storefix_in(fx, tid, 3, IN_GAP_HELD, "three", &in[1]);
	storefix_in(fx, tid, 4, IN_GAP_HELD, "four", &in[2]);
	assert_int_equal(storefix_sql(fx, "data.db", "UPDATE inbox SET msg_type = 256 "
	    "WHERE seq = 4"), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_in_list(fx->st, NULL, -1, 0, 10, see_in, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_in_list(fx->st, fx->peer, IN_ACCEPTED, 0, 10, see_in,
	    &s), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.answer = 1;
	assert_int_equal(store_in_list(fx->st, NULL, -1, 0, 10, see_in, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	s.answer = -E2BIG;
	assert_int_equal(store_in_list(fx->st, NULL, -1, 0, 10, see_in, &s), -E2BIG);
	/* A held position changes state once; committed_at is set apart. */
	assert_int_equal(store_in_set_state(fx->st, fx->peer, in[1].message_id,
	    IN_ACCEPTED), 0);
	assert_int_equal(store_in_set_committed(fx->st, fx->peer, in[1].message_id,
	    77), 0);
	assert_int_equal(store_in_get_id(fx->st, in[1].message_id, &in[0]), 0);
	assert_int_equal(in[0].state, IN_ACCEPTED);
	assert_int_equal(in[0].committed_at, 77);
	assert_int_equal(store_in_held_at(fx->st, tid, 3, &in[0]), -ENOENT);
}

static int
see_alert(const struct store_alert *a, void *arg)
{
	struct store_alert *out = arg;

	*out = *a;
	return 1;
}

static void
test_alerts_with_evidence(void **state)
{
	struct storefix        *fx = *state;
	struct store_alert      a;
	struct store_counts     n;
	uint8_t                 tid[ENV1_ID_LEN], mid[ENV1_ID_LEN];
	static const char       canary[] = "CANARY-evidence-Qx81-synthetic";

	storefix_thread(fx, tid);
	randombytes_buf(mid, sizeof(mid));
	/* Evidence of a case with a key is kept encrypted under it. */
	assert_int_equal(store_alert_add(fx->st, "equivocation", fx->peer, mid, tid,
	    "two messages at one position", (const uint8_t *)canary,
	    strlen(canary), 50), 0);
	assert_int_equal(storefix_int(fx, "data.db", "SELECT length(evidence) > 30 "
	    "FROM alerts"), 1);
	storefix_close(fx);
	assert_false(storefix_file_has(storefix_path(fx, "data.db"), canary,
	    strlen(canary)));
	assert_false(storefix_file_has(storefix_path(fx, "data.db-wal"), canary,
	    strlen(canary)));
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	/* An alert without evidence or peer. */
	assert_int_equal(store_alert_add(fx->st, "identity", NULL, NULL, NULL,
	    "certificate changed", NULL, 0, 60), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_alert_each(fx->st, 0, 10, see_alert, &a), 0);
	assert_string_equal(a.kind, "identity");
	assert_false(a.has_peer);
	assert_false(a.has_message);
	assert_int_equal(store_alert_each(fx->st, 0, 1, see_alert, &a), 0);
	assert_int_equal(store_alert_each(fx->st, 1, 0, see_alert, &a), 0);
	assert_int_equal(store_counts(fx->st, &n), 0);
	assert_int_equal(n.alerts, 2);
	/* The older one names its message. */
	assert_int_equal(store_alert_ack(fx->st, a.id, "bob", 61), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_alert_each(fx->st, 0, 10, see_alert, &a), 0);
	assert_string_equal(a.kind, "equivocation");
	assert_true(a.has_peer);
	assert_true(a.has_message);
	assert_memory_equal(a.message_id, mid, ENV1_ID_LEN);
	assert_int_equal(store_alert_ack(fx->st, 999, "bob", 62), -ENOENT);
}

static int
see_case(const struct store_case *c, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = c->opened_at;
	return ++s->n == s->stop_at ? s->answer : 0;
}

static int
see_ct(const struct store_case_thread *t, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = t->updated_at;
	return ++s->n == s->stop_at ? s->answer : 0;
}

static void
test_case_walks(void **state)
{
	struct storefix                *fx = *state;
	struct store_case               c[3], got;
	struct store_case_thread        ct;
	struct store_out                m;
	struct seen                     s;
	uint8_t                        *prof;
	size_t                          len;
	uint64_t                        n;

	for (int i = 0; i < 3; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		randombytes_buf(c[i].case_id, ENV1_ID_LEN);
		snprintf(c[i].code, sizeof(c[i].code), "CI-ROW-%d", i);
		strcpy(c[i].home, "ci-abidjan");
		c[i].role = CASE_ROLE_DESTINATION;
		c[i].state = CASE_OPEN;
		c[i].opened_at = 10 + (uint64_t)i;
		assert_int_equal(store_case_insert(fx->st, &c[i], NULL, 0), 0);
	}
	/* A case opened without a profile has an empty one. */
	assert_int_equal(store_case_profile(fx->st, &c[0], &prof, &len), 0);
	assert_int_equal(len, 0);
	secret_free(prof);
	assert_int_equal(store_case_set_state(fx->st, c[1].case_id, CASE_CLOSED, 100), 0);
	assert_int_equal(store_case_set_state(fx->st, c[2].case_id, CASE_CLOSED, 300), 0);
	/* Unknown ids and codes. */
	randombytes_buf(got.case_id, ENV1_ID_LEN);
	assert_int_equal(store_case_set_state(fx->st, got.case_id, CASE_CLOSED, 1),
	    -ENOENT);
	assert_int_equal(store_case_get_id(fx->st, got.case_id, &got), -ENOENT);
	assert_int_equal(store_case_profile(fx->st, &got, &prof, &len), -ENOENT);
	assert_null(prof);
	assert_int_equal(store_case_get(fx->st, "CI-ROW-0", "sn-dakar", &got), -ENOENT);
	/* Every case, those in a state, those closed before a time. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_case_each(fx->st, 0, see_case, &s), 0);
	assert_int_equal(s.n, 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_case_each(fx->st, CASE_CLOSED, see_case, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 11);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_case_each_closed(fx->st, 200, see_case, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 11);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.answer = 1;
	assert_int_equal(store_case_each(fx->st, 0, see_case, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	s.answer = -ENOEXEC;
	assert_int_equal(store_case_each_closed(fx->st, 1000, see_case, &s), -ENOEXEC);
	/* Threads of a case: documents not yet receipted are counted. */
	memset(&ct, 0, sizeof(ct));
	storefix_thread(fx, ct.thread_id);
	memcpy(ct.case_id, c[0].case_id, ENV1_ID_LEN);
	memcpy(ct.peer_rik, fx->peer, ENV1_KEY_LEN);
	ct.updated_at = 5;
	assert_int_equal(store_ct_put(fx->st, &ct), 0);
	assert_int_equal(store_case_unacked(fx->st, c[0].case_id, &n), 0);
	assert_int_equal(n, 0);
	storefix_out(fx, ct.thread_id, "pending", &m);
	assert_int_equal(store_case_unacked(fx->st, c[0].case_id, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_case_unacked(fx->st, c[1].case_id, &n), 0);
	assert_int_equal(n, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_ct_each(fx->st, NULL, see_ct, &s), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.answer = 1;
	assert_int_equal(store_ct_each(fx->st, c[0].case_id, see_ct, &s), 0);
	s.n = 0;
	s.answer = -ESTALE;
	assert_int_equal(store_ct_each(fx->st, c[0].case_id, see_ct, &s), -ESTALE);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_ct_each(fx->st, c[1].case_id, see_ct, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_ct_get(fx->st, c[1].case_id, &ct), -ENOENT);
	assert_int_equal(store_ct_find(fx->st, c[1].case_id, fx->peer, &ct), -ENOENT);
	/* An erased case leaves the walks of live cases and its threads. */
	assert_int_equal(store_case_erase(fx->st, c[0].case_id, "test", "done", 400), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_case_each(fx->st, 0, see_case, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_ct_each(fx->st, NULL, see_ct, &s), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(store_case_state_name(0), "unknown");
	assert_string_equal(store_case_state_name(CASE_ERASED), "erased");
	assert_int_equal(store_case_state_parse(NULL), 0);
}

static int
see_held(const struct store_held *h, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = h->created_at;
	return ++s->n == s->stop_at ? s->answer : 0;
}

static void
test_held_and_consents(void **state)
{
	struct storefix        *fx = *state;
	struct store_case       c;
	struct store_held       h, got;
	struct store_consent    sc, *v;
	struct seen             s;
	uint8_t                *body = NULL, *scope;
	size_t                  len, n;
	char                   *safety = NULL;
	unsigned                w;

	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	strcpy(c.code, "CI-HELD-1");
	strcpy(c.home, "ci-abidjan");
	c.state = CASE_OPEN;
	assert_int_equal(store_case_insert(fx->st, &c, NULL, 0), 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.case_id, c.case_id, ENV1_ID_LEN);
	for (int i = 0; i < 3; i++) {
		randombytes_buf(h.held_id, ENV1_ID_LEN);
		h.state = i == 2 ? HELD_APPROVAL : HELD_CONSENT;
		h.created_at = 20 + (uint64_t)i;
		assert_int_equal(store_held_insert(fx->st, &h, (const uint8_t *)"doc",
		    3, NULL), 0);
	}
	/* The same held id twice. */
	assert_int_equal(store_held_insert(fx->st, &h, (const uint8_t *)"doc", 3, NULL),
	    -EEXIST);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_each(fx->st, c.case_id, HELD_APPROVAL, see_held,
	    &s), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	s.answer = 1;
	assert_int_equal(store_held_each(fx->st, NULL, 0, see_held, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[1], 21);
	s.n = 0;
	s.answer = -EDOM;
	assert_int_equal(store_held_each(fx->st, NULL, 0, see_held, &s), -EDOM);
	/* Unknown held documents. */
	randombytes_buf(got.held_id, ENV1_ID_LEN);
	memcpy(got.case_id, c.case_id, ENV1_ID_LEN);
	assert_int_equal(store_held_get(fx->st, got.held_id, &got), -ENOENT);
	assert_int_equal(store_held_update(fx->st, &got), -ENOENT);
	assert_int_equal(store_held_body(fx->st, &got, &body, &len, &safety), -ENOENT);
	assert_null(body);
	/* A held document of a case without a key cannot be stored. */
	randombytes_buf(got.case_id, ENV1_ID_LEN);
	assert_int_equal(store_held_insert(fx->st, &got, (const uint8_t *)"d", 1, NULL),
	    -ENOENT);
	assert_int_equal(store_held_set_safety(fx->st, &got, "reason"), -ENOENT);
	/* Consents: a scope dropped at erasure is gone (-ENOENT), the record
	 * stays; a consent of a case without a key cannot be stored. */
	memset(&sc, 0, sizeof(sc));
	randombytes_buf(sc.c.id, ENV1_ID_LEN);
	memcpy(sc.case_id, c.case_id, ENV1_ID_LEN);
	assert_int_equal(store_consent_insert(fx->st, &sc, (const uint8_t *)"s", 1), 0);
	assert_int_equal(store_consent_insert(fx->st, &sc, (const uint8_t *)"s", 1),
	    -EEXIST);
	assert_int_equal(store_consent_withdraw(fx->st, c.case_id, sc.c.id, 5, 1, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(store_consent_withdraw(fx->st, c.case_id, sc.c.id, 6, 0, &w), 0);
	assert_int_equal(w, 0);
	/* Revoked as recorded in error, and listed so. */
	assert_int_equal(store_consent_list(fx->st, c.case_id, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].in_error, 1);
	assert_int_equal(v[0].c.withdrawn_at, 5);
	free(v);
	assert_int_equal(store_case_erase(fx->st, c.case_id, "test", "done", 9), 0);
	assert_int_equal(store_consent_list(fx->st, c.case_id, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].c.withdrawn_at, 5);
	assert_int_equal(store_consent_scope(fx->st, &v[0], &scope, &len), -ENOENT);
	free(v);
	assert_int_equal(store_held_get(fx->st, h.held_id, &got), 0);
	assert_int_equal(store_held_body(fx->st, &got, &body, &len, &safety), -ENOENT);
	randombytes_buf(sc.case_id, ENV1_ID_LEN);
	randombytes_buf(sc.c.id, ENV1_ID_LEN);
	assert_int_equal(store_consent_insert(fx->st, &sc, (const uint8_t *)"s", 1),
	    -ENOENT);
	assert_string_equal(store_held_state_name(HELD_CONSENT), "held");
	assert_string_equal(store_held_state_name(HELD_APPROVAL), "approval");
	assert_string_equal(store_held_state_name(HELD_RELEASED), "released");
	assert_string_equal(store_held_state_name(HELD_CANCELLED), "cancelled");
	assert_string_equal(store_held_state_name(0), "unknown");
}

/* More cases than the key cache holds: every key is found again in
 * keystore.db, and no case reads another's. */
static void
test_many_cases(void **state)
{
	struct storefix        *fx = *state;
	enum { N = 40 };
	static uint8_t          tid[N][ENV1_ID_LEN];
	static struct store_out m[N];
	uint8_t                *body;
	char                    text[32];

	for (int i = 0; i < N; i++) {
		storefix_thread(fx, tid[i]);
		snprintf(text, sizeof(text), "document of case %02d", i);
		storefix_out(fx, tid[i], text, &m[i]);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			snprintf(text, sizeof(text), "document of case %02d", i);
			assert_int_equal(store_out_body(fx->st, &m[i], &body), 0);
			assert_memory_equal(body, text, m[i].body_len);
			secret_free(body);
		}
	/* Shredding one leaves its neighbours in the cache readable. */
	assert_int_equal(store_case_shred(fx->st, tid[N - 1], "test", "done", 1), 0);
	assert_int_equal(store_out_body(fx->st, &m[N - 1], &body), -EBADMSG);
	assert_int_equal(store_out_body(fx->st, &m[N - 2], &body), 0);
	secret_free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_life, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unacked_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_and_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_with_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_walks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_and_consents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_cases, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_rows");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
