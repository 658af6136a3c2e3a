/*
 * The post office's pump (core.h): after each poll, the inbound batch,
 * then what waits to be sealed, then the procedure's due work, then the
 * flushes; and the timer's retransmissions.  deliver_in.c is the inbox,
 * deliver_out.c the outbox, deliver_pace.c what goes on each link when.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"
#include "daemon/store/audit.h"
#include "keys/evidence.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "proto/refcat.h"

int
deliver_has_work(const struct daemon *d)
{
	if (d->in_head != NULL || d->case_due)
		return 1;
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer *p = d->peers[i];

		if (p->seal_pending && peer_active(p))
			return 1;
		if (p->flushing && p->link != NULL && !p->blocked && !p->window_full)
			return 1;
	}
	return 0;
}

void
deliver_pump(struct daemon *d)
{
	/* Everything read in this loop iteration, DAEMON_BATCH_MAX per
	 * transaction: the queue never outgrows one iteration's reads. */
	while (d->in_head != NULL)
		deliver_inbound_batch(d);
	deliver_seal_pending(d);
	if (d->case_due) {
		/* An erasure became due (its confirmation was receipted). */
		d->case_due = 0;
		if (d->events.due != NULL)
			d->events.due(d);
	}
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (p->flushing && p->link != NULL && !p->blocked && !p->window_full)
			deliver_flush_page(d, p);
	}
}

void
deliver_tick(struct daemon *d)
{
	/* The copies written out meanwhile, in one transaction a tick: the
	 * outbox's attempts are for the operator, not worth a commit per
	 * write. */
	deliver_record_written(d);
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		p->seal_pending = 1;
		/* Copies whose delay passed no longer count: room again. */
		p->window_full = 0;
		if (p->link != NULL && !p->blocked)
			deliver_retransmit(d, p);
	}
	daemon_wake(d);
}
