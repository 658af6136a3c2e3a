/*
 * What delivery asks of a peer's re-synchronisation (PROTOCOL.md 9.5,
 * resync.c): whether sealing for it waits, and whether a receipt of its
 * that matches nothing of ours is a position of its chain (we lost what
 * it acknowledges) rather than a refusal.
 */
#include "daemon/base/clock.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"
#include "daemon/store/store_resync.h"

int
resync_holds(struct daemon *d, struct peer *p)
{
	if (!p->rs.loaded) {
		if (store_resync_pending(d->store, p->rec.rik, &p->rs.pending) != 0)
			return 1;       /* unknown: hold, and read it again */
		p->rs.loaded = 1;
	}
	return p->rs.pending;
}

int
resync_tolerates(struct daemon *d, struct peer *p)
{
	return resync_holds(d, p) || clock_now() < p->rs.tolerate_until;
}
