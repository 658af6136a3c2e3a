/* Unit tests: exponential backoff with full jitter (daemon/net/backoff.c),
 * exact values from a table and from a 128-bit reference computation. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/net/backoff.h"

/* The definition, computed wide: min + floor(rnd * (top - min + 1) / 2^32)
 * with top = min(max, min * 2^n). */
static uint64_t
reference(uint64_t min, uint64_t max, unsigned n, uint32_t rnd)
{
	unsigned __int128 top = min;

	for (unsigned i = 0; i < n && top <= max; i++)
		top <<= 1;
	if (top > max)
		top = max;
	return min + (uint64_t)(((top - min + 1) * rnd) >> 32);
}

static void
test_table(void **state)
{
	static const struct {
		uint32_t        rnd;
		uint64_t        want[9];
	} rows[] = {
		/* The floor, always. */
		{ 0, { 100, 100, 100, 100, 100, 100, 100, 100, 100 } },
		/* The ceiling: min * 2^n until max. */
		{ UINT32_MAX, { 100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000 } },
		/* Half way: min + (top - min + 1) / 2, rounded down. */
		{ 1u << 31, { 100, 150, 250, 450, 850, 1650, 3250, 5050, 5050 } },
	};
	struct backoff b;

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		backoff_init(&b, 100, 10000);
		for (unsigned n = 0; n < 9; n++) {
			assert_int_equal(b.attempt, n);
			assert_int_equal(backoff_next(&b, rows[r].rnd),
			    rows[r].want[n]);
		}
	}
}

static void
test_reset_and_attempts(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 500, 60000);
	for (int i = 0; i < 5; i++)
		(void)backoff_next(&b, UINT32_MAX);
	assert_int_equal(b.attempt, 5);
	assert_int_equal(backoff_next(&b, UINT32_MAX), 500u << 5);
	backoff_reset(&b);
	assert_int_equal(b.attempt, 0);
	assert_int_equal(backoff_next(&b, UINT32_MAX), 500);
	assert_int_equal(backoff_next(&b, UINT32_MAX), 1000);

	/* The counter stops at its maximum instead of wrapping to 0. */
	b.attempt = UINT_MAX;
	assert_int_equal(backoff_next(&b, UINT32_MAX), 60000);
	assert_int_equal(b.attempt, UINT_MAX);
}

static void
test_degenerate_bounds(void **state)
{
	struct backoff b;

	(void)state;
	/* max below min: the interval is just min. */
	backoff_init(&b, 1000, 10);
	assert_int_equal(b.max_ms, 1000);
	for (int i = 0; i < 70; i++)
		assert_int_equal(backoff_next(&b, UINT32_MAX), 1000);
	/* min 0 never grows. */
	backoff_init(&b, 0, 1000);
	for (int i = 0; i < 70; i++)
		assert_int_equal(backoff_next(&b, UINT32_MAX), 0);
	/* min == max. */
	backoff_init(&b, 7, 7);
	for (int i = 0; i < 70; i++)
		assert_int_equal(backoff_next(&b, 12345), 7);
	/* Fields set by hand with max < min: still min, no wrap-around. */
	b.min_ms = 50;
	b.max_ms = 10;
	b.attempt = 3;
	assert_int_equal(backoff_next(&b, UINT32_MAX), 50);
}

/* min * 2^n overflows 64 bits long before n reaches 64: the shift must
 * not wrap, and the scaling must not overflow for a span of 2^64 - 1. */
static void
test_no_overflow(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 1ull << 62, UINT64_MAX);
	assert_int_equal(backoff_next(&b, 0), 1ull << 62);
	assert_int_equal(backoff_next(&b, UINT32_MAX),
	    (1ull << 63) - (1ull << 30));
	assert_int_equal(backoff_next(&b, UINT32_MAX),
	    UINT64_MAX - (1ull << 32) + (1ull << 30) + 1);
	for (int i = 0; i < 100; i++)
		assert_true(backoff_next(&b, UINT32_MAX) >= 1ull << 62);

	backoff_init(&b, 1, UINT64_MAX);
	b.attempt = 64;
	assert_int_equal(backoff_next(&b, UINT32_MAX),
	    reference(1, UINT64_MAX, 64, UINT32_MAX));
	backoff_init(&b, 0, UINT64_MAX);
	assert_int_equal(backoff_next(&b, UINT32_MAX), 0);
}

/* Many bounds, attempts and random numbers against the wide reference. */
static void
test_against_reference(void **state)
{
	static const uint64_t mins[] = { 1, 3, 100, 1000, 65537, 1ull << 31,
	    (1ull << 40) + 5, 1ull << 63 };
	static const uint64_t maxs[] = { 1, 1000, 60000, 3600000, 1ull << 33,
	    1ull << 62, UINT64_MAX - 1, UINT64_MAX };
	static const uint32_t rnds[] = { 0, 1, 2, 12345, 1u << 31,
	    0x9e3779b9u, UINT32_MAX - 1, UINT32_MAX };
	struct backoff b;

	(void)state;
	for (size_t i = 0; i < sizeof(mins) / sizeof(mins[0]); i++)
	for (size_t j = 0; j < sizeof(maxs) / sizeof(maxs[0]); j++) {
		if (maxs[j] < mins[i])
			continue;
		for (size_t k = 0; k < sizeof(rnds) / sizeof(rnds[0]); k++) {
			backoff_init(&b, mins[i], maxs[j]);
			for (unsigned n = 0; n < 70; n++) {
				uint64_t got = backoff_next(&b, rnds[k]);

				assert_int_equal(got, reference(mins[i],
				    maxs[j], n, rnds[k]));
				assert_true(got >= mins[i] && got <= maxs[j]);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reset_and_attempts),
		cmocka_unit_test(test_degenerate_bounds),
		cmocka_unit_test(test_no_overflow),
		cmocka_unit_test(test_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
