/* Unit tests: the table of what is in flight to a peer (daemon/core/
 * flight.c): a copy's delay starts when it is written out, the window
 * counts queued and not-yet-due copies, receipts give round-trip samples
 * (not for copies sent twice) and grow the window, timeouts back off,
 * and re-sent receipts are limited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/core/flight.h"

static const uint8_t id1[ENV1_ID_LEN] = { 1 };
static const uint8_t id2[ENV1_ID_LEN] = { 2 };
static const uint8_t id3[ENV1_ID_LEN] = { 3 };

static void
test_delay_from_write(void **state)
{
	struct flight f;
	struct flight_ent *e;

	(void)state;
	flight_init(&f, 400, 3000, 64 << 10);
	e = flight_sent(&f, 10, id1, 1000, 5000);
	assert_non_null(e);
	assert_int_equal(f.unwritten, 1);
	/* Queued: no delay runs, however late it is. */
	assert_int_equal(flight_written(&f, 4999, 100000), 0);
	assert_int_equal(e->written_at, 0);
	assert_int_equal(flight_bytes(&f, 1000000), 1000);
	/* Written at 100000: due between 200 and 400 ms later. */
	assert_int_equal(flight_written(&f, 5000, 100000), 1);
	assert_int_equal(e->written_at, 100000);
	assert_true(e->due_at >= 100200 && e->due_at <= 100400);
	assert_int_equal(f.unwritten, 0);
	assert_true(f.unrecorded);
	assert_int_equal(flight_bytes(&f, 100100), 1000);
	assert_int_equal(flight_bytes(&f, 100400), 0);
	flight_free(&f);
}

static void
test_window(void **state)
{
	struct flight f;

	(void)state;
	flight_init(&f, 400, 3000, 64 << 10);
	/* One envelope always fits, however large. */
	assert_true(flight_room(&f, 100000, 0));
	assert_non_null(flight_sent(&f, 1, id1, 10000, 10000));
	assert_true(flight_room(&f, FLIGHT_WINDOW_MIN - 10000, 0));
	assert_false(flight_room(&f, FLIGHT_WINDOW_MIN - 10000 + 1, 0));
	/* A timely receipt: a sample, the window grows by its size. */
	flight_written(&f, 10000, 1000);
	assert_int_equal(flight_acked(&f, 1, 1300), 0);
	assert_int_equal(f.srtt, 300);
	assert_int_equal(f.window, FLIGHT_WINDOW_MIN + 10000);
	assert_int_equal(f.n, 0);
	assert_int_equal(flight_acked(&f, 1, 1400), -ENOENT);
	/* A timeout halves it, never below the minimum, and backs off. */
	flight_timeout(&f);
	assert_int_equal(f.window, FLIGHT_WINDOW_MIN);
	assert_int_equal(f.backoff, 1);
	flight_free(&f);
}

static void
test_karn(void **state)
{
	struct flight f;
	struct flight_ent *e;

	(void)state;
	flight_init(&f, 400, 3000, 64 << 10);
	e = flight_sent(&f, 7, id1, 500, 500);
	flight_written(&f, 500, 1000);
	e = flight_sent(&f, 7, id1, 500, 1000);      /* a second copy */
	assert_int_equal(e->copies, 2);
	assert_int_equal(f.unwritten, 1);
	flight_written(&f, 1000, 2000);
	/* Sent twice: no sample, the window stays. */
	assert_int_equal(flight_acked(&f, 7, 2100), 0);
	assert_int_equal(f.srtt, 0);
	assert_int_equal(f.window, FLIGHT_WINDOW_MIN);
	flight_free(&f);
}

static void
test_sorted(void **state)
{
	struct flight f;

	(void)state;
	flight_init(&f, 400, 3000, 64 << 10);
	flight_sent(&f, 30, id1, 1, 1);
	flight_sent(&f, 10, id2, 1, 2);
	flight_sent(&f, 20, id2, 1, 3);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.v[0].rowid, 10);
	assert_int_equal(f.v[2].rowid, 30);
	assert_non_null(flight_find(&f, 20));
	assert_null(flight_find(&f, 15));
	flight_reset(&f);
	assert_int_equal(f.n, 0);
	assert_null(flight_find(&f, 20));
	flight_free(&f);
}

static void
test_rereceipt(void **state)
{
	struct flight f;

	(void)state;
	flight_init(&f, 400, 3000, 64 << 10);
	/* The receipt first sent, then a duplicate: its second copy at once. */
	flight_rr_sent(&f, id1, 1000, 100);
	assert_true(flight_rr_allow(&f, id1, 1001));
	flight_rr_sent(&f, id1, 1001, 200);
	/* Later ones: not while queued, not within a second. */
	assert_false(flight_rr_allow(&f, id1, 5000));
	flight_written(&f, 200, 1002);
	assert_false(flight_rr_allow(&f, id1, 1500));
	assert_true(flight_rr_allow(&f, id1, 2001));
	/* Duplicates in one batch ask before any copy is handed over. */
	flight_rr_sent(&f, id2, 3000, 300);
	assert_true(flight_rr_allow(&f, id2, 3001));
	assert_false(flight_rr_allow(&f, id2, 3001));
	assert_false(flight_rr_allow(&f, id2, 9000));   /* pending, not sent */
	/* Another receipt is allowed. */
	assert_true(flight_rr_allow(&f, id3, 9001));
	flight_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_from_write),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_karn),
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_rereceipt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
