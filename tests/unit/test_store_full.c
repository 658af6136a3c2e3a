/* Unit tests: data.db under its size cap (daemon/store/store.c,
 * store_set_max_mb and store_set_max_pages) on real SQLite files.  A write
 * that does not fit is refused with -ENOSPC and leaves nothing half
 * written: no row, no advanced thread position, no gap in positions once
 * space returns; a full batch leaves nothing of the batch, while an item
 * failing for its own reason is undone alone; the cap is lifted by 0 and a
 * cap past SQLite's largest is clamped.  A case key made for rows that
 * are rolled back (the whole transaction, or the item's savepoint) leaves
 * keystore.db with them, and one left by a crash between the two commits
 * goes at the next open. */
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

#define BIG     (64 * 1024)

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "full") != 0)
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

/* One message of BIG bytes in its own transaction: 0 or the error of the
 * insert or of the commit (rolled back either way). */
static int
try_big(struct storefix *fx, const uint8_t tid[ENV1_ID_LEN], const uint8_t *body,
    struct store_out *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->peer_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	m->body_len = BIG;
	assert_int_equal(store_begin(fx->st), 0);
	if ((rc = store_out_insert(fx->st, m, body)) != 0) {
		store_rollback(fx->st);
		return rc;
	}
	return store_commit(fx->st);
}

static void
test_cap_refuses_whole_message(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        m, got;
	struct store_thread     t;
	struct store_counts     n;
	uint8_t                 tid[ENV1_ID_LEN], *body, *back;
	uint8_t                 ids[64][ENV1_ID_LEN];
	int                     rc = 0, stored = 0;

	storefix_thread(fx, tid);
	/* One megabyte: a handful of 64 KiB bodies fit, not sixty-four. */
	assert_int_equal(store_set_max_mb(fx->st, 1), 0);
	assert_non_null(body = malloc(BIG));
	randombytes_buf(body, BIG);
	while (stored < 64 && (rc = try_big(fx, tid, body, &m)) == 0)
		memcpy(ids[stored++], m.message_id, ENV1_ID_LEN);
	assert_int_equal(rc, -ENOSPC);
	assert_true(stored > 0 && stored < 16);
	assert_false(store_in_tx(fx->st));
	/* The refused message left no row and did not move the thread. */
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.out_seq, (uint64_t)stored);
	assert_int_equal(store_counts(fx->st, &n), 0);
	assert_int_equal(n.out_waiting, (uint64_t)stored);
	/* What was stored before is intact. */
	assert_int_equal(store_out_get(fx->st, ids[stored - 1], &got), 0);
	assert_int_equal(got.seq, (uint64_t)stored);
	assert_int_equal(store_out_body(fx->st, &got, &back), 0);
	assert_memory_equal(back, body, BIG);
	secret_free(back);
	/* Refused again while full, the same way. */
	assert_int_equal(try_big(fx, tid, body, &m), -ENOSPC);

	/* 0 lifts the cap: the next message takes the next position, with
	 * no gap where the refused ones were. */
	assert_int_equal(store_set_max_mb(fx->st, 0), 0);
	assert_int_equal(try_big(fx, tid, body, &m), 0);
	assert_int_equal(store_out_get(fx->st, m.message_id, &got), 0);
	assert_int_equal(got.seq, (uint64_t)stored + 1);
	free(body);
}

static void
test_cap_refuses_ledger_row(void **state)
{
	struct storefix        *fx = *state;
	struct store_in         m, got;
	struct store_counts     before, after;
	uint8_t                 tid[ENV1_ID_LEN], *ev;
	int                     rc = 0;

	storefix_thread(fx, tid);
	assert_int_equal(store_set_max_pages(fx->st, 1), 0);   /* as full as it is */
	assert_int_equal(store_counts(fx->st, &before), 0);
	assert_non_null(ev = calloc(1, BIG));
	memset(&m, 0, sizeof(m));
	memcpy(m.sender_rik, fx->peer, ENV1_KEY_LEN);
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	memcpy(m.thread_id, tid, ENV1_ID_LEN);
	m.seq = 1;
	m.state = IN_ACCEPTED;
	assert_int_equal(store_begin(fx->st), 0);
	rc = store_in_insert(fx->st, &m, ev, BIG);
	if (rc == 0)
		rc = store_commit(fx->st);
	else
		store_rollback(fx->st);
	assert_int_equal(rc, -ENOSPC);
	/* Not in the ledger: the sender will send it again and it will be
	 * new then, not a duplicate. */
	assert_int_equal(store_in_get(fx->st, fx->peer, m.message_id, &got), -ENOENT);
	assert_int_equal(store_counts(fx->st, &after), 0);
	assert_int_equal(after.in_total, before.in_total);
	/* An alert does not fit either, and says so. */
	assert_int_equal(store_alert_add(fx->st, "gap", fx->peer, m.message_id,
	    tid, "a gap", ev, BIG, 9), -ENOSPC);
	assert_int_equal(store_counts(fx->st, &after), 0);
	assert_int_equal(after.alerts, before.alerts);
	/* Megabytes past SQLite's largest page count are clamped, not
	 * wrapped round to a tiny cap. */
	assert_int_equal(store_set_max_mb(fx->st, 1ull << 40), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_in_insert(fx->st, &m, ev, BIG), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_in_get(fx->st, fx->peer, m.message_id, &got), 0);
	free(ev);
}

/* A batch is one transaction with a savepoint per item.  An item that
 * does not fit cannot be undone alone: SQLite rolls the whole transaction
 * back on SQLITE_FULL.  The store says -ENOSPC, and after the caller's
 * rollback (what deliver_in.c does) nothing of the batch is left. */
static void
test_full_batch_leaves_nothing(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, b, got;
	struct store_thread     t;
	struct store_counts     n;
	uint8_t                 tid[ENV1_ID_LEN], *body;

	storefix_thread(fx, tid);
	assert_non_null(body = calloc(1, 4 * BIG));
	memset(&a, 0, sizeof(a));
	randombytes_buf(a.message_id, ENV1_ID_LEN);
	memcpy(a.peer_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(a.thread_id, tid, ENV1_ID_LEN);
	a.msg_type = ENV1_MSG_TEST_DOCUMENT;
	b = a;
	randombytes_buf(b.message_id, ENV1_ID_LEN);
	a.body_len = 10;
	b.body_len = 4 * BIG;
	assert_int_equal(store_set_max_pages(fx->st, 1), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &a, body), 0);
	assert_int_equal(store_savepoint_release(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &b, body), -ENOSPC);
	store_rollback(fx->st);
	assert_false(store_in_tx(fx->st));
	/* Neither the item that fitted nor the one that did not. */
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), -ENOENT);
	assert_int_equal(store_out_get(fx->st, b.message_id, &got), -ENOENT);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.out_seq, 0);
	assert_int_equal(store_counts(fx->st, &n), 0);
	assert_int_equal(n.out_waiting, 0);
	/* The batch done again, once it fits, starts at position 1. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &a, body), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	assert_int_equal(got.seq, 1);
	free(body);
}

/* An item that fails for its own reasons (here a message id already
 * stored) is undone alone; the rest of the batch commits. */
static void
test_batch_undoes_only_the_item(void **state)
{
	struct storefix        *fx = *state;
	struct store_out        a, dup, c, got;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN];

	storefix_thread(fx, tid);
	storefix_out(fx, tid, "first", &a);
	dup = a;
	c = a;
	randombytes_buf(c.message_id, ENV1_ID_LEN);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &dup, (const uint8_t *)"first"),
	    -EEXIST);
	store_savepoint_rollback(fx->st);
	assert_true(store_in_tx(fx->st));
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &c, (const uint8_t *)"first"), 0);
	assert_int_equal(store_savepoint_release(fx->st), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_out_get(fx->st, c.message_id, &got), 0);
	assert_int_equal(got.seq, 2);
	assert_int_equal(store_thread_get(fx->st, tid, &t), 0);
	assert_int_equal(t.out_seq, 2);
	/* A rollback outside a transaction does nothing. */
	store_rollback(fx->st);
	assert_false(store_in_tx(fx->st));
	assert_int_equal(store_out_get(fx->st, a.message_id, &got), 0);
	assert_int_equal(got.seq, 1);
}

static long long
keys_in(struct storefix *fx)
{
	return storefix_int(fx, "keystore.db", "SELECT count(*) FROM case_keys");
}

static void
test_keys_go_with_their_rows(void **state)
{
	struct storefix        *fx = *state;
	struct store_thread     t;
	uint8_t                 a[ENV1_ID_LEN], b[ENV1_ID_LEN], c[ENV1_ID_LEN];
	long long               before = keys_in(fx);

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	randombytes_buf(c, sizeof(c));
	/* The whole transaction rolled back. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_thread_create(fx->st, a, fx->peer, 1), 0);
	assert_int_equal(keys_in(fx), before + 1);
	store_rollback(fx->st);
	assert_int_equal(keys_in(fx), before);
	/* One item's savepoint rolled back, the other kept. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_thread_create(fx->st, b, fx->peer, 1), 0);
	assert_int_equal(store_savepoint_release(fx->st), 0);
	assert_int_equal(store_savepoint(fx->st), 0);
	assert_int_equal(store_thread_create(fx->st, c, fx->peer, 1), 0);
	store_savepoint_rollback(fx->st);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(keys_in(fx), before + 1);
	assert_int_equal(store_thread_get(fx->st, b, &t), 0);
	assert_int_equal(store_thread_get(fx->st, c, &t), -ENOENT);
	/* A crash between the commits: the key is there, its row is not. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_thread_create(fx->st, a, fx->peer, 1), 0);
	storefix_close(fx);
	assert_int_equal(keys_in(fx), before + 2);
	assert_int_equal(storefix_reopen(fx, NULL), 0);
	assert_int_equal(keys_in(fx), before + 1);
	assert_int_equal(store_thread_get(fx->st, b, &t), 0);
}

static void
test_cap_refuses_case(void **state)
{
	struct storefix        *fx = *state;
	struct store_case       c, got;
	uint8_t                *profile, *back;
	size_t                  len;

	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	snprintf(c.code, sizeof(c.code), "CI-FULL-1");
	snprintf(c.home, sizeof(c.home), "ci-abidjan");
	snprintf(c.opened_by, sizeof(c.opened_by), "alice");
	c.role = CASE_ROLE_DESTINATION;
	c.state = CASE_OPEN;
	assert_non_null(profile = malloc(BIG));
	randombytes_buf(profile, BIG);
	assert_int_equal(store_set_max_pages(fx->st, 1), 0);
	assert_int_equal(store_case_insert(fx->st, &c, profile, BIG), -ENOSPC);
	assert_int_equal(store_case_get(fx->st, "CI-FULL-1", NULL, &got), -ENOENT);
	assert_int_equal(store_case_get_id(fx->st, c.case_id, &got), -ENOENT);
	/* Tried again once there is room: the key made the first time is
	 * used, and the profile reads back. */
	assert_int_equal(store_set_max_mb(fx->st, 0), 0);
	assert_int_equal(store_case_insert(fx->st, &c, profile, BIG), 0);
	assert_int_equal(store_case_get(fx->st, "CI-FULL-1", "ci-abidjan", &got), 0);
	assert_int_equal(store_case_profile(fx->st, &got, &back, &len), 0);
	assert_int_equal(len, BIG);
	assert_memory_equal(back, profile, BIG);
	secret_free(back);
	free(profile);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cap_refuses_whole_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_refuses_ledger_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_batch_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_undoes_only_the_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_refuses_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_go_with_their_rows, setup,
		    teardown),
	};

	if (secret_init() != 0)
		return 1;
	/* The refusals are logged as warnings: keep the output to failures. */
	log_init(0, LOG_LEVEL_WARN, "test_store_full");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
