/* Unit tests: guarded secret memory and its per-class cache (keys/secret.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys/secret.h"

static int
all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static void
test_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 32, 496, 497, 4096, 65520, 65521,
	    (1u << 20) + 396 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = secret_alloc(sizes[i]);

		assert_non_null(p);
		memset(p, 0xa5, sizes[i]);
		secret_free(p);
	}
	secret_free(NULL);
}

static void
test_reused_region_is_wiped(void **state)
{
	uint8_t *p, *q;

	(void)state;
	p = secret_alloc(1000);
	assert_non_null(p);
	memset(p, 0x5a, 1000);
	secret_free(p);
	/* The next allocation of the class takes the cached region back. */
	q = secret_alloc(900);
	assert_ptr_equal(q, p);
	assert_true(all_zero(q, 1000));
	secret_free(q);
}

static void
test_dup(void **state)
{
	const uint8_t src[40] = "forty bytes of synthetic key material..";
	uint8_t *p;

	(void)state;
	p = secret_dup(src, sizeof(src));
	assert_non_null(p);
	assert_memory_equal(p, src, sizeof(src));
	secret_free(p);
}

static void
test_cache_overflow_frees(void **state)
{
	uint8_t *p[40];

	(void)state;
	/* More regions of one class than the cache keeps: the rest go back
	 * to libsodium; nothing leaks or double-frees (ASan runs this). */
	for (size_t i = 0; i < 40; i++)
		assert_non_null(p[i] = secret_alloc(64));
	for (size_t i = 0; i < 40; i++)
		secret_free(p[i]);
	for (size_t i = 0; i < 40; i++)
		assert_non_null(p[i] = secret_alloc(64));
	for (size_t i = 0; i < 40; i++)
		secret_free(p[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_reused_region_is_wiped),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_cache_overflow_frees),
	};

	if (secret_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
