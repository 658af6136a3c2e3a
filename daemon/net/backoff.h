/*
 * Exponential backoff with full jitter for redialling peers and
 * retransmitting: the n-th delay is uniform in [min, min(max, min * 2^n)].
 * Pure: the caller supplies the randomness, so tests are exact.
 */
#ifndef HOMEWARD_DAEMON_NET_BACKOFF_H
#define HOMEWARD_DAEMON_NET_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint64_t        min_ms;
	uint64_t        max_ms;
	unsigned        attempt;        /* failures since the last success */
};

void backoff_init(struct backoff *, uint64_t min_ms, uint64_t max_ms);
/* The next delay; rnd is a uniform 32-bit random number. */
uint64_t backoff_next(struct backoff *, uint32_t rnd);
void backoff_reset(struct backoff *);

#endif
