/*
 * Exponential backoff with full jitter (see backoff.h).  Everything is
 * integer arithmetic on the caller's random number, so a table of inputs
 * gives exact outputs; the shift and the scaling are written so that no
 * value of min, max or attempt can overflow.
 */
#include <limits.h>
#include <stdint.h>

#include "daemon/net/backoff.h"

void
backoff_init(struct backoff *b, uint64_t min_ms, uint64_t max_ms)
{
	b->min_ms = min_ms;
	/* A ceiling under the floor would make the interval empty. */
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->attempt = 0;
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

/* min * 2^n, or max when that is larger than max (or not representable). */
static uint64_t
ceiling(uint64_t min, uint64_t max, unsigned n)
{
	if (min == 0)
		return 0;
	if (n >= 64 || min > (max >> n))
		return max;
	return min << n;
}

/*
 * floor(rnd * (span + 1) / 2^32): rnd spread evenly over [0, span].  The
 * product is split at bit 32 of span so that neither half overflows, even
 * for span = UINT64_MAX.
 */
static uint64_t
scale(uint64_t span, uint32_t rnd)
{
	uint64_t hi = span >> 32, lo = span & 0xffffffffu;

	return hi * rnd + (((lo + 1) * rnd) >> 32);
}

uint64_t
backoff_next(struct backoff *b, uint32_t rnd)
{
	uint64_t top;

	top = ceiling(b->min_ms, b->max_ms, b->attempt);
	if (top < b->min_ms)             /* fields set by hand, max < min */
		top = b->min_ms;
	if (b->attempt < UINT_MAX)
		b->attempt++;
	return b->min_ms + scale(top - b->min_ms, rnd);
}
