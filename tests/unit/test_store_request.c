/* Unit tests: request ids (daemon/store/store_request.c).  An armed
 * request's commit records the id with the ids of the outbox rows it
 * inserted, in the same transaction; a rollback records nothing; a
 * transaction that wrote only the audit log records nothing; a second
 * commit of the same request adds its ids; old ids are collected. */
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
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "request") != 0)
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
test_commit_records_ids(void **state)
{
	struct storefix        *fx = *state;
	struct store_request    r;
	struct store_out        m1, m2;
	uint8_t                 id[STORE_REQUEST_ID_LEN], tid[ENV1_ID_LEN];

	storefix_thread(fx, tid);
	randombytes_buf(id, sizeof(id));
	assert_int_equal(store_request_get(fx->st, id, &r), -ENOENT);

	store_request_arm(fx->st, id, 17, 5000);
	storefix_out(fx, tid, "first", &m1);
	storefix_out(fx, tid, "second", &m2);    /* a second commit adds */
	store_request_disarm(fx->st);

	assert_int_equal(store_request_get(fx->st, id, &r), 0);
	assert_int_equal(r.kind, 17);
	assert_int_equal(r.at, 5000);
	assert_int_equal(r.nout, 2);
	assert_int_equal(r.nheld, 0);
	assert_memory_equal(r.out_ids, m1.message_id, ENV1_ID_LEN);
	assert_memory_equal(r.out_ids + ENV1_ID_LEN, m2.message_id, ENV1_ID_LEN);
	store_request_clear(&r);

	/* Collected once old. */
	assert_int_equal(store_request_collect(fx->st, 5000), 0);
	assert_int_equal(store_request_get(fx->st, id, &r), 0);
	store_request_clear(&r);
	assert_int_equal(store_request_collect(fx->st, 5001), 0);
	assert_int_equal(store_request_get(fx->st, id, &r), -ENOENT);
}

static void
test_rollback_and_audit_only(void **state)
{
	struct storefix        *fx = *state;
	struct store_request    r;
	struct store_out        m;
	uint8_t                 id[STORE_REQUEST_ID_LEN], tid[ENV1_ID_LEN];

	storefix_thread(fx, tid);
	randombytes_buf(id, sizeof(id));
	store_request_arm(fx->st, id, 37, 1000);
	/* Rolled back: nothing of it is recorded. */
	memset(&m, 0, sizeof(m));
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	memcpy(m.peer_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(m.thread_id, tid, ENV1_ID_LEN);
	m.msg_type = ENV1_MSG_TEST_DOCUMENT;
	m.body_len = 1;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_insert(fx->st, &m, (const uint8_t *)"x"), 0);
	store_rollback(fx->st);
	/* An audited refusal: nothing recorded either. */
	assert_int_equal(audit_append(fx->st, "op", AUDIT_READ, "CI-REQ-1", NULL,
	    "refused", 1000), 0);
	assert_int_equal(store_request_get(fx->st, id, &r), -ENOENT);
	/* What commits next is recorded, without the rolled-back row. */
	storefix_out(fx, tid, "kept", &m);
	store_request_disarm(fx->st);
	assert_int_equal(store_request_get(fx->st, id, &r), 0);
	assert_int_equal(r.nout, 1);
	assert_memory_equal(r.out_ids, m.message_id, ENV1_ID_LEN);
	store_request_clear(&r);
	/* Disarmed: later commits record nothing. */
	randombytes_buf(id, sizeof(id));
	storefix_out(fx, tid, "not a request", &m);
	assert_int_equal(store_request_get(fx->st, id, &r), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_records_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_and_audit_only, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_request");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
