/*
 * After a restore: every peer marked "resync pending", so that each
 * thread is brought back in step with the partner without an operator
 * (docs/PROTOCOL.md: after a restore we may have sent positions we no
 * longer know).  The restore (daemon/main.c, homewardd --restore) calls
 * store_resync_mark_all once the restored store is open and the erasure
 * journal replayed; the links then run the resync when they come up.
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_RESYNC_H
#define HOMEWARD_DAEMON_STORE_STORE_RESYNC_H

#include "daemon/store/store.h"

/* Mark every peer resync pending, in one transaction of data.db.
 * 0 or a negative errno (store.h); nothing marked on failure. */
int store_resync_mark_all(struct store *);

#endif
