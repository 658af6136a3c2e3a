/*
 * The daemon's figures for monitoring, gathered in one place: what
 * `homeward status` and `homeward peers` answer (ctl/ctl_daemon.c) and
 * what the metrics file holds (metrics.c) are the same numbers, so a
 * dashboard and the operator never disagree.
 */
#include <string.h>

#include "daemon/core/core.h"

int
figures_daemon(struct daemon *d, struct daemon_figures *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = store_counts(d->store, &f->counts)) != 0 ||
	    (rc = store_health(d->store, &f->health)) != 0)
		return rc;
	f->now = clock_now();
	f->started_at = d->started_at;
	f->peers_total = (uint32_t)d->npeers;
	for (size_t i = 0; i < d->npeers; i++)
		f->peers_connected += peer_is_connected(d->peers[i]) != 0;
	f->tls_not_after = keyring_tls_not_after(&d->keys);
	f->dsk_not_after = d->keys.id.cert.not_after;
	return 0;
}

void
figures_peer(struct daemon *d, const struct peer *p, uint64_t now,
    struct peer_figures *f)
{
	const struct stmt_spk *spk;

	memset(f, 0, sizeof(*f));
	/* A count that cannot be read shows as 0, as it always has. */
	(void)store_peer_unacked(d->store, p->rec.rik, &f->outbox_unacked);
	f->connected = peer_is_connected(p) != 0;
	f->suspended = p->rec.suspended || p->b.keys.suspended;
	for (size_t k = 0; k < p->b.keys.nprekeys; k++) {
		spk = &p->b.keys.prekeys[k];
		if (peerkeys_validate_prekey(&p->b.keys, spk, now) != ENV1_OK)
			continue;
		f->valid_prekeys++;
		if (spk->not_after > f->prekey_not_after)
			f->prekey_not_after = spk->not_after;
	}
	f->dsk_not_after = peer_sign_not_after(p, now);
	f->unreachable_since = f->connected ? 0 : p->down_since;
}
