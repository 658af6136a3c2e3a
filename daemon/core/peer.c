/*
 * The peer directory in memory (core.h): the store's rows with their
 * verified bundles, looked up by RIK, agency or TLS key, reloaded on
 * SIGHUP with the connection state carried over, and each peer pointed at
 * its newest open link.  The links themselves are link.c's.
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
#include "proto/wire.h"

/* --- the directory ------------------------------------------------------- */

static void
peer_free(struct peer *p)
{
	store_peer_clear(&p->rec);
	bundle_free(&p->b);
	flight_free(&p->fl);
	free(p);
}

static void
dial_timer_closed(uv_handle_t *h)
{
	peer_free(h->data);
}

/* The memory goes once the timer handle has closed. */
static void
peer_release(struct peer *p)
{
	if (p->dial_timer_init) {
		uv_timer_stop(&p->dial_timer);
		uv_close((uv_handle_t *)&p->dial_timer, dial_timer_closed);
	} else {
		peer_free(p);
	}
}

static int
peer_from_row(struct daemon *d, struct store_peer *row, struct peer **out)
{
	struct peer    *p;
	char            why[BUNDLE_WHY_LEN];
	const char     *ep;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->d = d;
	p->down_since = clock_now();
	p->rec = *row;
	memset(row, 0, sizeof(*row));   /* the bundle bytes are p's now */
	if (bundle_parse(p->rec.bundle, p->rec.bundle_len, &p->b, why) != ENV1_OK) {
		log_warnx("peer %s: stored bundle refused: %s", p->rec.agency_id, why);
		peer_free(p);
		return -EBADMSG;
	}
	if ((ep = config_endpoint(&d->cfg, p->rec.agency_id)) != NULL)
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
	else if (p->rec.endpoint[0] != '\0')
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", p->rec.endpoint);
	else
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", p->b.info.endpoint);
	if (p->rec.suspended)
		p->b.keys.suspended = 1;
	backoff_init(&p->dial_backoff, d->cfg.dial_min_ms, d->cfg.dial_max_ms);
	if (uv_timer_init(d->loop, &p->dial_timer) != 0) {
		peer_free(p);
		return -ENOMEM;
	}
	p->dial_timer.data = p;
	p->dial_timer_init = 1;
	p->seal_pending = 1;
	flight_init(&p->fl, d->cfg.retry_min_ms, d->cfg.retry_max_ms,
	    (uint64_t)d->cfg.inflight_kb << 10);
	*out = p;
	return 0;
}

int
peer_active(const struct peer *p)
{
	return p->rec.verified && !p->rec.suspended && !p->b.keys.suspended;
}

/* The partner's duty contact from its verified bundle (PROTOCOL.md 14.5),
 * "" when it gave none: what an urgent alert tells the operator to call. */
const char *
peer_duty_contact(const struct peer *p)
{
	return p->b.info.duty_contact;
}

int
peer_is_connected(const struct peer *p)
{
	return p->link != NULL;
}

struct peer *
peers_by_rik(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN])
{
	for (size_t i = 0; i < d->npeers; i++)
		if (memcmp(d->peers[i]->rec.rik, rik, ENV1_KEY_LEN) == 0)
			return d->peers[i];
	return NULL;
}

struct peer *
peers_by_sender(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN], uint64_t now)
{
	struct peer *p;

	if ((p = peers_by_rik(d, rik)) != NULL)
		return p;
	for (size_t i = 0; i < d->npeers; i++) {
		p = d->peers[i];
		for (size_t j = 0; j < p->b.ntransitions; j++) {
			const struct stmt_transition *t = &p->b.transitions[j];

			/* bundle_parse checked new_rik == the bundle's rik and
			 * both signatures. */
			if (memcmp(t->old_rik, rik, ENV1_KEY_LEN) == 0 &&
			    now <= t->effective_at + ENV1_MAX_AGE_MS)
				return p;
		}
	}
	return NULL;
}

struct peer *
peers_by_agency(struct daemon *d, const char *agency_id)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i]->rec.agency_id, agency_id) == 0)
			return d->peers[i];
	return NULL;
}

/* The one active peer pinned to this TLS key; NULL when none, or when two
 * claim it (import and bundle updates refuse that, but a refusal here
 * costs nothing). */
struct peer *
peers_spki_owner(struct daemon *d, const uint8_t spki[CONN_SPKI_LEN],
    const uint8_t except_rik[ENV1_KEY_LEN])
{
	for (size_t i = 0; i < d->npeers; i++)
		if (memcmp(d->peers[i]->rec.rik, except_rik, ENV1_KEY_LEN) != 0 &&
		    sodium_memcmp(d->peers[i]->b.info.tls_spki_sha256, spki,
		    CONN_SPKI_LEN) == 0)
			return d->peers[i];
	return NULL;
}

/* The peer of a link, if it still exists. */
struct peer *
peers_of_link(struct link *l)
{
	return l->has_peer ? peers_by_rik(l->d, l->rik) : NULL;
}

/* Re-point every peer at its newest open link (after a link closes or the
 * directory is reloaded); links whose peer is gone or inactive close. */
void
peers_relink(struct daemon *d)
{
	struct link **was;

	if ((was = calloc(d->npeers + 1, sizeof(*was))) == NULL)
		fatal("relink");
	for (size_t i = 0; i < d->npeers; i++) {
		was[i] = d->peers[i]->link;
		d->peers[i]->link = NULL;
	}
	for (struct link *l = d->links, *next; l != NULL; l = next) {
		struct peer *p = peers_of_link(l);

		next = l->next;
		if (l->has_peer && (p == NULL || !peer_active(p))) {
			conn_close(l->conn);
			continue;
		}
		if (p != NULL && l->open && l->hello && p->link == NULL)
			p->link = l;
	}
	/* A peer now sending on another connection starts afresh there: the
	 * old one's backpressure does not apply, and what was queued on it
	 * may be lost, so everything unacknowledged goes again. */
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (p->link != was[i] && p->link != NULL && was[i] != NULL) {
			p->blocked = 0;
			if (d->link_events.peer_up != NULL)
				d->link_events.peer_up(d, p);
		}
	}
	free(was);
}

int
peers_load(struct daemon *d)
{
	struct store_peer      *rows;
	struct peer           **np;
	size_t                  n, nn = 0;
	int                     rc;

	if ((rc = store_peer_list(d->store, &rows, &n)) != 0)
		return rc;
	if ((np = calloc(n + 1, sizeof(*np))) == NULL) {
		store_peer_list_free(rows, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (peer_from_row(d, &rows[i], &np[nn]) == 0)
			nn++;
	store_peer_list_free(rows, n);
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *old = d->peers[i];

		/* Carry the connection state over to the new record. */
		for (size_t j = 0; j < nn; j++) {
			if (memcmp(np[j]->rec.rik, old->rec.rik, ENV1_KEY_LEN) != 0)
				continue;
			np[j]->dialing = old->dialing;
			np[j]->dial_backoff = old->dial_backoff;
			np[j]->blocked = old->blocked;
			np[j]->flushing = old->flushing;
			np[j]->flush_cursor = old->flush_cursor;
			np[j]->window_full = old->window_full;
			np[j]->link = old->link;
			np[j]->down_since = old->down_since;
			np[j]->rs = old->rs;
			/* The table moves: the old record's is emptied. */
			flight_free(&np[j]->fl);
			np[j]->fl = old->fl;
			memset(&old->fl, 0, sizeof(old->fl));
		}
		peer_release(old);
	}
	free(d->peers);
	d->peers = np;
	d->npeers = nn;
	peers_relink(d);
	return 0;
}

void
peers_free(struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		peer_release(d->peers[i]);
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}

/* --- RIK transitions ----------------------------------------------------- */

int
peer_hello_transition(struct link *l, struct peer *p, const uint8_t *rik,
    size_t riklen, const uint8_t *transition, size_t tlen)
{
	struct peer *owner;
	int r = ENV1_R_MALFORMED;

	/* One partner cannot take another's identity, however it is signed. */
	if (riklen == ENV1_KEY_LEN && (owner = peers_by_rik(l->d, rik)) != NULL) {
		log_warnx("peer %s: Hello with a transition to the RIK of peer %s "
		    "refused; closing", p->rec.agency_id, owner->rec.agency_id);
		return -1;
	}
	if (riklen == ENV1_KEY_LEN)
		r = bundle_check_transition(transition, tlen, p->rec.rik, &p->b.keys,
		    rik);
	if (r != ENV1_OK) {
		log_warnx("peer %s: Hello under a new RIK with a transition refused "
		    "(%s); closing", p->rec.agency_id, env1_reason_name(r));
		return -1;
	}
	memcpy(l->new_rik, rik, ENV1_KEY_LEN);
	l->following = 1;
	l->hello = 1;
	log_info("peer %s: Hello under a new RIK %s with a valid transition; "
	    "awaiting its bundle", p->rec.agency_id, log_hex(rik, 8));
	return 0;
}

/* Whether nb may replace p's bundle under its new RIK; the reason logged. */
static int
follow_allowed(struct daemon *d, struct peer *p, const uint8_t new_rik[ENV1_KEY_LEN],
    const struct bundle *nb)
{
	int rotated = 0;

	if (memcmp(nb->keys.rik, new_rik, ENV1_KEY_LEN) != 0 ||
	    bundle_check_identity(nb, p->rec.rik, &p->b.keys, &rotated) != ENV1_OK ||
	    !rotated) {
		log_warnx("peer %s: bundle without a valid transition from the "
		    "pinned RIK; refused", p->rec.agency_id);
		return 0;
	}
	if (strcmp(nb->info.agency_id, p->rec.agency_id) != 0) {
		log_warnx("peer %s: new RIK's bundle names agency %s; refused",
		    p->rec.agency_id, nb->info.agency_id);
		return 0;
	}
	/* One partner cannot take another's identity or TLS key. */
	if (peers_by_rik(d, new_rik) != NULL ||
	    peers_spki_owner(d, nb->info.tls_spki_sha256, p->rec.rik) != NULL) {
		log_warnx("peer %s: transition to a RIK or TLS key pinned for "
		    "another peer; refused", p->rec.agency_id);
		store_alert_add(d->store, "identity", p->rec.rik, NULL, NULL,
		    "RIK transition to another peer's identity refused", NULL, 0,
		    clock_now());
		return 0;
	}
	return 1;
}

/* The rows move and the alert is raised in one transaction. */
static int
follow_commit(struct daemon *d, struct peer *p, const uint8_t new_rik[ENV1_KEY_LEN],
    const uint8_t *bundle, size_t len)
{
	char detail[384], fp[FP_DISPLAY_BUFLEN];
	int rc;

	fp_display(new_rik, fp);
	snprintf(detail, sizeof(detail), "%s moved to a new root identity %s: "
	    "verify this fingerprint with the partner out of band; if it differs, "
	    "run 'homeward peers suspend %s'", p->rec.agency_id, fp, p->rec.agency_id);
	/* Frames arrive from the loop, never inside a batch's transaction;
	 * if one ever did, the peer follows on its next connection. */
	if (store_in_tx(d->store))
		return -EBUSY;
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_peer_rekey(d->store, p->rec.rik, new_rik, bundle, len)) != 0 ||
	    (rc = store_alert_add(d->store, "rik_transition", new_rik, NULL, NULL,
	    detail, NULL, 0, clock_now())) != 0) {
		store_rollback(d->store);
		return rc;
	}
	return store_commit(d->store);
}

int
peer_follow(struct daemon *d, struct peer *p, const uint8_t new_rik[ENV1_KEY_LEN],
    const uint8_t *bundle, size_t len)
{
	struct bundle   nb;
	char            why[BUNDLE_WHY_LEN];
	uint8_t         old[ENV1_KEY_LEN];
	int             rc;

	if (bundle_parse(bundle, len, &nb, why) != ENV1_OK) {
		log_warnx("peer %s: new RIK's bundle refused: %s", p->rec.agency_id, why);
		return -EBADMSG;
	}
	rc = follow_allowed(d, p, new_rik, &nb) ? 0 : -EPERM;
	bundle_free(&nb);
	if (rc != 0)
		return rc;
	if ((rc = follow_commit(d, p, new_rik, bundle, len)) != 0) {
		log_warnx("peer %s: cannot store its new RIK (%s)", p->rec.agency_id,
		    strerror(-rc));
		return rc;
	}
	/* The record and its links are renamed before the reload, so that
	 * the connection state carries over (peers_load matches by RIK). */
	memcpy(old, p->rec.rik, ENV1_KEY_LEN);
	memcpy(p->rec.rik, new_rik, ENV1_KEY_LEN);
	for (struct link *l = d->links; l != NULL; l = l->next)
		if (l->has_peer && memcmp(l->rik, old, ENV1_KEY_LEN) == 0)
			memcpy(l->rik, new_rik, ENV1_KEY_LEN);
	log_warnx("peer %s: followed its RIK transition to %s; the operator must "
	    "verify the new fingerprint out of band", p->rec.agency_id,
	    log_hex(new_rik, 8));
	if ((rc = peers_load(d)) != 0)
		log_warnx("peer directory reload failed");
	return 0;
}

/* --- frames -------------------------------------------------------------- */

int
peer_bundle_keeps_revocations(const struct bundle *old, const struct bundle *nb)
{
	for (size_t i = 0; i < old->keys.nrevocations; i++) {
		int found = 0;

		for (size_t j = 0; j < nb->keys.nrevocations && !found; j++)
			found = stmt_revocation_equal(&old->keys.revocations[i],
			    &nb->keys.revocations[j]);
		if (!found)
			return 0;
	}
	return 1;
}
