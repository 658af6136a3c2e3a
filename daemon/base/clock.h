/*
 * The loop's clock and its wake-up, at the ground so that every room can
 * read the time and ask for work without calling up into main.c.
 */
#ifndef HOMEWARD_DAEMON_BASE_CLOCK_H
#define HOMEWARD_DAEMON_BASE_CLOCK_H

#include <stdint.h>

#include <uv.h>

/* Wall-clock milliseconds since the epoch: the time documents, deadlines
 * and the store speak. */
uint64_t clock_now(void);

/* Ask for one more turn of the loop's pump.  busy is an idle handle whose
 * being active keeps uv_run's poll from blocking, so the check handle that
 * runs the pump fires at the end of this iteration; the pump stops busy
 * when no work is left. */
void clock_wake(uv_idle_t *busy);

#endif
