/* Unit tests: what a withdrawal does to a thread's rows
 * (daemon/store/store_withdraw.c) on a real SQLite store.  Documents not
 * sealed yet are cancelled by type and the ones left keep contiguous
 * positions right after the last sealed one (PROTOCOL.md 21.5: the
 * partner never waits for a position that will not come); sealed ones
 * are never touched; a later document takes the next free position; the
 * partner's newest withdrawal is found by type. */
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

#define STEP(t)         (1u << (t))

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "withdraw") != 0)
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

/* A waiting document of msg_type on the thread (committed). */
static void
queue(struct storefix *fx, const uint8_t tid[ENV1_ID_LEN], uint16_t msg_type,
    struct store_out *m)
{
	memset(m, 0, sizeof(*m));
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->peer_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->msg_type = msg_type;
	m->body_len = 4;
	m->created_at = 1000;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, m, (const uint8_t *)"body"), 0);
	assert_int_equal(store_commit(fx->st), 0);
}

static uint64_t
seq_of(struct storefix *fx, const struct store_out *m)
{
	struct store_out got;

	assert_int_equal(store_out_get(fx->st, m->message_id, &got), 0);
	return got.seq;
}

static void
test_unsealed_cancelled_without_a_gap(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        req, conf, dep, arr, wdr, next;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN];
	unsigned                n = 99;

	storefix_thread(fx, tid);
	queue(fx, tid, 1, &req);                /* 1: sealed, seen by the partner */
	storefix_seal(fx, &req);
	queue(fx, tid, 3, &conf);               /* 2: unsealed: cancelled */
	queue(fx, tid, 5, &dep);                /* 3: unsealed: kept (travel) */
	queue(fx, tid, 4, &arr);                /* 4: unsealed: cancelled */
	queue(fx, tid, ENV1_MSG_CONSENT_WITHDRAWAL, &wdr); /* 5: never a step */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_cancel_unsealed(fx->st, tid,
	    STEP(1) | STEP(3) | STEP(4), &n), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(n, 2);
	/* The sealed one is untouched; the rest close up behind it. */
	assert_int_equal(seq_of(fx, &req), 1);
	assert_int_equal(seq_of(fx, &dep), 2);
	assert_int_equal(seq_of(fx, &wdr), 3);
	assert_int_equal(store_out_get(fx->st, conf.message_id, &next), -ENOENT);
	assert_int_equal(store_out_get(fx->st, arr.message_id, &next), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.out_seq, 3);
	assert_int_equal(t.sealed_seq, 1);
	/* The next document takes the next free position. */
	queue(fx, tid, 7, &next);
	assert_int_equal(seq_of(fx, &next), 4);
	/* And the kept ones still seal in order. */
	storefix_seal(fx, &dep);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.sealed_seq, 2);
}

static void
test_nothing_to_cancel(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        req, dep;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN], none[ENV1_ID_LEN];
	unsigned                n = 99;

	storefix_thread(fx, tid);
	queue(fx, tid, 1, &req);
	storefix_seal(fx, &req);
	queue(fx, tid, 5, &dep);
	/* Every step but the departure: nothing changes, nothing renumbered. */
	assert_int_equal(store_out_cancel_unsealed(fx->st, tid, 0xfeu & ~STEP(5),
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(seq_of(fx, &dep), 2);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.out_seq, 2);
	/* A sealed document is never cancelled, whatever the mask says. */
	assert_int_equal(store_out_cancel_unsealed(fx->st, tid, STEP(1), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(seq_of(fx, &req), 1);
	/* A thread that does not exist has nothing to cancel. */
	randombytes_buf(none, sizeof(none));
	assert_int_equal(store_out_cancel_unsealed(fx->st, none, 0xfeu, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_withdrawal_found_by_type(void **state)
{
	struct storefix        *fx = *state;
	struct store_in         a, b;
	uint8_t                 tid[ENV1_ID_LEN], got[ENV1_ID_LEN];

	storefix_thread(fx, tid);
	assert_int_equal(store_in_last_of_type(fx->st, tid, ENV1_MSG_TEST_DOCUMENT,
	    got), -ENOENT);
	storefix_in(fx, tid, 1, IN_ACCEPTED, "evidence one", &a);
	storefix_in(fx, tid, 2, IN_ACCEPTED, "evidence two", &b);
	assert_int_equal(store_in_last_of_type(fx->st, tid, ENV1_MSG_TEST_DOCUMENT,
	    got), 0);
	assert_memory_equal(got, b.message_id, ENV1_ID_LEN);
	assert_int_equal(store_in_last_of_type(fx->st, tid,
	    ENV1_MSG_CONSENT_WITHDRAWAL, got), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unsealed_cancelled_without_a_gap,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdrawal_found_by_type, setup,
		    teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_withdraw");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
