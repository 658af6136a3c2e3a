/*
 * Warnings before a certificate expires: ours (the TLS certificate every
 * link needs, the signing key's certificate every message needs) and each
 * partner's signing certificates.  An expired TLS certificate cuts every
 * link (PROTOCOL.md 16.1); an expired signing certificate makes every
 * message refused.  Each is warned of 60, 30 and 7 days ahead and once
 * expired, one alert per step, saying what to do; `homeward check` turns
 * the same figures into WARNING and CRITICAL.
 *
 * Our TLS certificate is renewed here first, with the same key, well
 * before the first warning: partners pin the key, not the certificate,
 * so the renewal needs neither the offline root key nor their operators.
 * A warning about it means the renewal keeps failing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tlscert.h"

#include "daemon/base/log.h"
#include "daemon/core/core.h"

#define DAY_MS          (86400ull * 1000)
/* Renewed this far ahead: two weeks of daily retries before the 60-day
 * warning. */
#define TLS_RENEW_AHEAD_MS      (75 * DAY_MS)

static const unsigned steps_days[] = { 60, 30, 7, 0 };

uint64_t
peer_sign_not_after(const struct peer *p, uint64_t now)
{
	const struct peerkeys  *k = &p->b.keys;
	uint64_t                latest = 0;

	for (size_t i = 0; i < k->ncerts; i++) {
		const struct stmt_dsk_cert *c = &k->certs[i];

		if ((c->usage & STMT_USAGE_MSG) == 0 || c->not_before > now ||
		    c->not_after < now ||
		    peerkeys_is_revoked(k, c->dsk_pub, STMT_REVOKE_DSK))
			continue;
		if (c->not_after > latest)
			latest = c->not_after;
	}
	return latest;
}

/* The step not_after is in at now: the index in steps_days, or -1 when
 * it is further away than the first. */
static int
step_of(uint64_t not_after, uint64_t now)
{
	int i = -1;

	for (size_t k = 0; k < sizeof(steps_days) / sizeof(steps_days[0]); k++)
		if (not_after <= now + steps_days[k] * DAY_MS)
			i = (int)k;
	return i;
}

static void
warn(struct daemon *d, const char *kind, const uint8_t *peer_rik,
    const char *what, const char *todo, uint64_t not_after, uint64_t now)
{
	char            when[32], detail[400];
	time_t          t = (time_t)(not_after / 1000);
	struct tm       tm;
	int             i, found = 0;

	if (not_after == 0 || (i = step_of(not_after, now)) < 0)
		return;
	/* Once per step: the step began steps_days[i] days before not_after. */
	if (store_alert_since(d->store, kind, peer_rik, not_after -
	    steps_days[i] * DAY_MS, &found) != 0 || found)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	if (not_after <= now)
		snprintf(detail, sizeof(detail), "%s expired on %s: %s", what, when,
		    todo);
	else
		snprintf(detail, sizeof(detail), "%s expires on %s (in %llu days): %s",
		    what, when, (unsigned long long)((not_after - now) / DAY_MS), todo);
	log_warnx("%s", detail);
	if (store_alert_add(d->store, kind, peer_rik, NULL, NULL, detail, NULL, 0,
	    now) != 0)
		log_warnx("expiry: alert not stored; will try again");
}

static void
tls_renew(struct daemon *d, uint64_t now)
{
	static uint64_t failed_at;      /* one try an hour after a failure */
	char            crt[PATH_MAX], key[PATH_MAX], *cause = NULL;
	int             rc;

	if (failed_at != 0 && now < failed_at + 3600 * 1000ull)
		return;
	failed_at = 0;
	if ((rc = keyring_tls_renew(&d->keys, now, TLS_RENEW_AHEAD_MS)) == 0)
		return;
	if (rc < 0) {
		failed_at = now;
		log_warnx("TLS certificate not renewed (%s); will try again in "
		    "an hour", strerror(-rc));
		return;
	}
	if (agencydir_path(d->keys.dir.dir, AGENCYDIR_TLS_CRT, crt) != 0 ||
	    agencydir_path(d->keys.dir.dir, AGENCYDIR_TLS_KEY, key) != 0 ||
	    conn_tls_reload(d->tls, crt, key, &cause) != 0) {
		log_warnx("TLS certificate renewed but not loaded (%s): restart "
		    "homewardd", cause != NULL ? cause : "path too long");
		free(cause);
		return;
	}
	log_info("TLS certificate renewed with the same key (partners' pins "
	    "unchanged), valid %d days", TLSCERT_DAYS);
}

void
expiry_check(struct daemon *d, uint64_t now)
{
	char what[128];

	if (d->tls != NULL)
		tls_renew(d, now);
	warn(d, "expiry_tls", NULL, "our TLS certificate (tls.crt)",
	    "every link to our partners fails after that, and homewardd could not "
	    "renew it: see its log (the agency directory must be writable)",
	    keyring_tls_not_after(&d->keys), now);
	warn(d, "expiry_dsk", NULL, "our signing key's certificate",
	    "partners refuse what we sign after that; certify a new key with the "
	    "offline root key (homeward-keys certify) and restart homewardd",
	    d->keys.id.cert.not_after, now);
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (!peer_active(p))
			continue;
		snprintf(what, sizeof(what), "the signing certificate of %s",
		    p->rec.agency_id);
		warn(d, "expiry_peer", p->rec.rik, what, "nothing it sends verifies "
		    "after that; ask its administrator to certify a new key "
		    "(homeward-keys certify)", peer_sign_not_after(p, now), now);
	}
}
