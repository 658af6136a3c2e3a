/* Unit tests: the store's side of the re-synchronisation after a restore
 * (daemon/store/store_resync.c, PROTOCOL.md 9.5) on real SQLite files:
 * the per-peer flag, the instance nonce that tells a data.db put back,
 * waiting rows the partner holds marked delivered, the chain moved past
 * what the partner holds with the waiting rows renumbered after it, and
 * the answering side's lists and re-queueing. */
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
#include "daemon/store/store.h"
#include "daemon/store/store_resync.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static int
setup(void **state)
{
	static struct storefix   fx;
	struct store_peer        p;
	static uint8_t           bundle[1] = { 1 };

	if (storefix_open(&fx, "resync") != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	memcpy(p.rik, fx.peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "ci-resync");
	p.verified = 1;
	p.bundle = bundle;
	p.bundle_len = sizeof(bundle);
	if (store_peer_put(fx.st, &p) != 0)
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
test_flag(void **state)
{
	struct storefix        *fx = *state;
	int                     pending;

	assert_int_equal(store_resync_pending(fx->st, fx->peer, &pending), 0);
	assert_false(pending);
	assert_int_equal(store_resync_mark_all(fx->st), 0);
	assert_int_equal(store_resync_pending(fx->st, fx->peer, &pending), 0);
	assert_true(pending);
	/* It survives a restart: the daemon reads it at its first seal. */
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(store_resync_pending(fx->st, fx->peer, &pending), 0);
	assert_true(pending);
	assert_int_equal(store_resync_clear(fx->st, fx->peer), 0);
	assert_int_equal(store_resync_pending(fx->st, fx->peer, &pending), 0);
	assert_false(pending);
}

static void
test_instance(void **state)
{
	struct storefix        *fx = *state;
	int                     restored, pending;
	char                    copy[512];

	/* First start: nothing to compare with. */
	assert_int_equal(store_resync_instance(fx->st, fx->dir, &restored), 0);
	assert_false(restored);
	assert_int_equal(store_resync_instance(fx->st, fx->dir, &restored), 0);
	assert_false(restored);
	/* A copy of data.db taken while stopped, put back after a start. */
	storefix_close(fx);
	snprintf(copy, sizeof(copy), "cp %s/data.db %s/data.db.copy", fx->dir, fx->dir);
	assert_int_equal(system(copy), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(store_resync_instance(fx->st, fx->dir, &restored), 0);
	assert_false(restored);
	storefix_close(fx);
	snprintf(copy, sizeof(copy), "mv %s/data.db.copy %s/data.db && rm -f "
	    "%s/data.db-wal %s/data.db-shm", fx->dir, fx->dir, fx->dir, fx->dir);
	assert_int_equal(system(copy), 0);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(store_resync_instance(fx->st, fx->dir, &restored), 0);
	assert_true(restored);
	assert_int_equal(store_resync_pending(fx->st, fx->peer, &pending), 0);
	assert_true(pending);
	/* The next start sees the nonce it wrote. */
	assert_int_equal(store_resync_instance(fx->st, fx->dir, &restored), 0);
	assert_false(restored);
}

static void
held_of(const struct store_out *m, struct store_resync_held *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->message_id, m->message_id, ENV1_ID_LEN);
	h->msg_type = m->msg_type;
	randombytes_buf(h->h_env, ENV1_HASH_LEN);
	randombytes_buf(h->h_inner, ENV1_HASH_LEN);
}

/* Positions 1 sealed; 2, 3 and 4 waiting.  The partner holds up to 3, of
 * which 2 is our waiting row and 3 a message we lost: 2 is delivered, our
 * chain moves to 3, and 3 and 4 (waiting) become 4 and 5. */
static void
test_forward(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m1, m2, m3, m4, got;
	struct store_thread     t;
	struct store_resync_held h2, lost;
	uint8_t                 tid[ENV1_ID_LEN], h[ENV1_HASH_LEN];
	int                     found;

	storefix_thread(fx, tid);
	storefix_out(fx, tid, "one", &m1);
	storefix_seal(fx, &m1);
	storefix_out(fx, tid, "two", &m2);
	storefix_out(fx, tid, "three", &m3);
	storefix_out(fx, tid, "four", &m4);
	held_of(&m2, &h2);
	randombytes_buf(&lost, sizeof(lost));
	lost.msg_type = 0x7f00;
	randombytes_buf(h, sizeof(h));

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_resync_mark_held(fx->st, fx->peer, tid, &h2, 77,
	    &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(store_resync_mark_held(fx->st, fx->peer, tid, &lost, 77,
	    &found), 0);
	assert_int_equal(found, 0);
	/* A sealed row is left to its receipt. */
	held_of(&m1, &lost);
	assert_int_equal(store_resync_mark_held(fx->st, fx->peer, tid, &lost, 77,
	    &found), 0);
	assert_int_equal(found, 2);
	assert_int_equal(store_resync_forward(fx->st, fx->peer, tid, 3, h, 77), 0);
	assert_int_equal(store_commit(fx->st), 0);

	assert_int_equal(store_out_get(fx->st, m2.message_id, &got), 0);
	assert_int_equal(got.state, OUT_DELIVERED);
	assert_memory_equal(got.h_inner, h2.h_inner, ENV1_HASH_LEN);
	assert_memory_equal(got.h_env, h2.h_env, ENV1_HASH_LEN);
	assert_true(sodium_is_zero(got.receipt_id, ENV1_ID_LEN));
	assert_int_equal(store_out_find_h_inner(fx->st, h2.h_inner, &got), 0);
	assert_memory_equal(got.message_id, m2.message_id, ENV1_ID_LEN);
	/* Its receipt, when it comes, fills the receipt id, once. */
	{
		uint8_t rid[ENV1_ID_LEN];

		randombytes_buf(rid, sizeof(rid));
		assert_int_equal(store_begin(fx->st), 0);
		assert_int_equal(store_out_delivered(fx->st, m2.message_id, rid, 80), 0);
		assert_int_equal(store_out_delivered(fx->st, m2.message_id, rid, 81),
		    -ENOENT);
		assert_int_equal(store_commit(fx->st), 0);
		assert_int_equal(store_out_get(fx->st, m2.message_id, &got), 0);
		assert_memory_equal(got.receipt_id, rid, ENV1_ID_LEN);
		assert_int_equal(got.state, OUT_DELIVERED);
	}
	assert_int_equal(store_out_get(fx->st, m3.message_id, &got), 0);
	assert_int_equal(got.state, OUT_WAITING);
	assert_int_equal(got.seq, 4);
	assert_int_equal(store_out_get(fx->st, m4.message_id, &got), 0);
	assert_int_equal(got.seq, 5);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.sealed_seq, 3);
	assert_int_equal(t.out_seq, 5);
	assert_memory_equal(t.out_last_h_inner, h, ENV1_HASH_LEN);
	/* Only forward: an older position changes nothing. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_resync_forward(fx->st, fx->peer, tid, 2, h2.h_inner,
	    78), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.sealed_seq, 3);
	/* Another peer's thread is not moved. */
	{
		uint8_t other[ENV1_KEY_LEN];

		randombytes_buf(other, sizeof(other));
		assert_int_equal(store_begin(fx->st), 0);
		assert_int_equal(store_resync_forward(fx->st, other, tid, 9, h, 79),
		    -EPERM);
		store_rollback(fx->st);
	}
}

/* A thread we do not know is created at the position the partner holds. */
static void
test_forward_unknown_thread(void **state)
{
	struct storefix        *fx = *state;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN], h[ENV1_HASH_LEN];

	randombytes_buf(tid, sizeof(tid));
	randombytes_buf(h, sizeof(h));
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_resync_forward(fx->st, fx->peer, tid, 2, h, 5), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.sealed_seq, 2);
	assert_int_equal(t.out_seq, 2);
	assert_memory_equal(t.peer_rik, fx->peer, ENV1_KEY_LEN);
}

/* The answering side: our threads in a range, the peer's messages held
 * in order above a position, our delivered documents unacknowledged
 * again. */
static void
test_answer(void **state)
{
	struct storefix                *fx = *state;
	struct store_resync_thread      v[4];
	struct store_resync_held        held[4];
	struct store_resync_claim       cl[4];
	struct store_in                 in1, in2, in3;
	struct store_out                m1, m2, got;
	uint8_t                         tid[ENV1_ID_LEN], rid[ENV1_ID_LEN];
	uint64_t                        n64;
	size_t                          n;
	int                             more;

	storefix_thread(fx, tid);
	storefix_in(fx, tid, 1, IN_ACCEPTED, "e1", &in1);
	storefix_in(fx, tid, 2, IN_ACCEPTED, "e2", &in2);
	storefix_in(fx, tid, 4, IN_GAP_HELD, "e4", &in3);
	assert_int_equal(store_thread_put_in(fx->st, tid, 2, in2.h_inner), 0);
	storefix_out(fx, tid, "a", &m1);
	storefix_seal(fx, &m1);
	storefix_out(fx, tid, "b", &m2);
	storefix_seal(fx, &m2);
	randombytes_buf(rid, sizeof(rid));
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_delivered(fx->st, m1.message_id, rid, 9), 0);
	assert_int_equal(store_out_delivered(fx->st, m2.message_id, rid, 9), 0);
	assert_int_equal(store_commit(fx->st), 0);

	assert_int_equal(store_resync_threads(fx->st, fx->peer, NULL, NULL, v, 4,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].in_seq, 2);
	assert_int_equal(v[0].own_seq, 2);
	assert_memory_equal(v[0].in_last_h_inner, in2.h_inner, ENV1_HASH_LEN);
	assert_int_equal(store_resync_threads(fx->st, fx->peer, tid, NULL, v, 4,
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_resync_claims(fx->st, fx->peer, NULL, cl, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cl[0].sent_seq, 2);
	assert_int_equal(cl[0].received_seq, 2);

	/* Held in order above 0: 1 and 2, not the gap-held 4; cut at one. */
	assert_int_equal(store_resync_held_list(fx->st, fx->peer, tid, 0, held, 4,
	    &n, &more), 0);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_memory_equal(held[1].message_id, in2.message_id, ENV1_ID_LEN);
	assert_memory_equal(held[1].h_env, in2.h_env, ENV1_HASH_LEN);
	assert_int_equal(store_resync_held_list(fx->st, fx->peer, tid, 0, held, 1,
	    &n, &more), 0);
	assert_int_equal(n, 1);
	assert_true(more);

	/* The requester holds our position 1: 2 goes again. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_resync_requeue(fx->st, fx->peer, tid, 1, &n64), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(n64, 1);
	assert_int_equal(store_out_get(fx->st, m1.message_id, &got), 0);
	assert_int_equal(got.state, OUT_DELIVERED);
	assert_int_equal(store_out_get(fx->st, m2.message_id, &got), 0);
	assert_int_equal(got.state, OUT_SEALED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_unknown_thread, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_resync");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
