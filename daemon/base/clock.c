/*
 * The loop's clock and its wake-up (clock.h).
 */
#include <time.h>

#include "daemon/base/clock.h"

uint64_t
clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
idle_cb(uv_idle_t *h)
{
	(void)h;        /* its being active keeps the poll from blocking */
}

void
clock_wake(uv_idle_t *busy)
{
	if (!uv_is_active((uv_handle_t *)busy))
		uv_idle_start(busy, idle_cb);
}
