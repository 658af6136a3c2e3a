/*
 * The metrics file (metrics_file in homewardd.conf): the figures of
 * `homeward status` and of each partner, in Prometheus' text exposition
 * format 0.0.4, for node exporter's textfile collector, which serves
 * every *.prom file of its directory.  Rewritten atomically (a temporary
 * file in the same directory, fsync, rename: the collector never reads
 * half a file) at start and every minute.  Partners are named by agency
 * id only, never anything about a person.  A file that cannot be written
 * is logged once an hour and never stops the daemon: monitoring sees the
 * file grow stale (node_textfile_mtime_seconds).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"

#define METRICS_PERIOD_MS       60000
#define METRICS_WARN_MS         (3600ull * 1000)

static void
head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* A time or an age given in ms, in seconds as Prometheus wants them. */
static void
gauge_s(FILE *f, const char *name, const char *help, uint64_t ms)
{
	head(f, name, help);
	fprintf(f, "%s %llu.%03u\n", name, (unsigned long long)(ms / 1000),
	    (unsigned)(ms % 1000));
}

/* One sample per partner; which figure: 0 connected, 1 unreachable since,
 * 2 unacknowledged, 3 certificate expiry.  Agency ids are [a-z0-9-]
 * (checked on import), so the label needs no escaping. */
static void
per_peer(FILE *f, struct daemon *d, const struct peer_figures *pf, int which,
    const char *name, const char *help)
{
	head(f, name, help);
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer_figures *p = &pf[i];
		uint64_t v;

		v = which == 0 ? (uint64_t)p->connected : which == 1 ?
		    p->unreachable_since : which == 2 ? p->outbox_unacked :
		    p->dsk_not_after;
		fprintf(f, "%s{agency=\"%s\"} ", name, d->peers[i]->rec.agency_id);
		if (which == 1 || which == 3)
			fprintf(f, "%llu.%03u\n", (unsigned long long)(v / 1000),
			    (unsigned)(v % 1000));
		else
			fprintf(f, "%llu\n", (unsigned long long)v);
	}
}

static void
render(FILE *f, struct daemon *d, const struct daemon_figures *x,
    const struct peer_figures *pf)
{
	const struct store_counts *n = &x->counts;
	const struct store_health *h = &x->health;

	gauge_s(f, "homeward_start_time_seconds", "When homewardd started, "
	    "seconds since the epoch.", x->started_at);
	gauge(f, "homeward_peers", "Partner agencies pinned.", x->peers_total);
	gauge(f, "homeward_peers_connected", "Partner agencies connected now.",
	    x->peers_connected);
	per_peer(f, d, pf, 0, "homeward_peer_connected",
	    "1 while the partner is connected.");
	per_peer(f, d, pf, 1, "homeward_peer_unreachable_since_seconds",
	    "No connection to the partner since then, seconds since the epoch; "
	    "0 while connected.");
	per_peer(f, d, pf, 2, "homeward_peer_outbox_unacked",
	    "Our messages to the partner without its receipt.");
	per_peer(f, d, pf, 3, "homeward_peer_cert_expiry_seconds",
	    "When the partner's last valid signing certificate expires, seconds "
	    "since the epoch; 0: it has none.");
	gauge(f, "homeward_outbox_unacked", "Messages sent or waiting, without "
	    "their receipt.", n->out_unacked);
	gauge(f, "homeward_outbox_waiting", "Messages not yet sealed: no usable "
	    "prekey of the partner.", n->out_waiting);
	gauge_s(f, "homeward_outbox_oldest_unacked_age_seconds", "Age of the "
	    "oldest message without its receipt; 0: none.",
	    n->oldest_unacked_at != 0 && x->now > n->oldest_unacked_at ?
	    x->now - n->oldest_unacked_at : 0);
	gauge(f, "homeward_inbox_gap_held", "Received messages held back by a "
	    "gap in their thread.", n->in_gap_held);
	gauge(f, "homeward_alerts_open", "Alerts not acknowledged.",
	    h->open_alerts);
	gauge(f, "homeward_alerts_urgent_open", "Urgent alerts not acknowledged "
	    "(a person may be missing).", h->urgent_alerts);
	gauge_s(f, "homeward_tls_cert_expiry_seconds", "When our TLS "
	    "certificate expires, seconds since the epoch.", x->tls_not_after);
	gauge_s(f, "homeward_dsk_cert_expiry_seconds", "When our signing key's "
	    "certificate expires, seconds since the epoch.", x->dsk_not_after);
	gauge(f, "homeward_data_bytes", "Bytes data.db holds.", h->data_bytes);
	gauge(f, "homeward_data_max_bytes", "The cap on data.db (max_data_mb) "
	    "in bytes; 0: none.", h->data_max_bytes);
	gauge(f, "homeward_disk_free_bytes", "Bytes free to homewardd on "
	    "data.db's file system.", h->disk_free_bytes);
}

/* The file's contents in *out (malloc'ed); 0 or a negative errno. */
static int
metrics_text(struct daemon *d, char **out, size_t *len)
{
	struct daemon_figures   x;
	struct peer_figures    *pf;
	FILE                   *f;
	int                     rc;

	*out = NULL;
	if ((rc = figures_daemon(d, &x)) != 0)
		return rc;
	if ((pf = calloc(d->npeers + 1, sizeof(*pf))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < d->npeers; i++)
		figures_peer(d, d->peers[i], x.now, &pf[i]);
	if ((f = open_memstream(out, len)) == NULL) {
		free(pf);
		return -errno;
	}
	render(f, d, &x, pf);
	rc = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	free(pf);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void
metrics_write(struct daemon *d)
{
	const char     *path = d->cfg.metrics_file;
	char           *text;
	size_t          len;
	uint64_t        now = clock_now();
	int             rc;

	/* 0644: node exporter runs as another user; the file names agencies
	 * and counts, nothing about a person. */
	if ((rc = metrics_text(d, &text, &len)) == 0) {
		rc = fileio_write_atomic(path, text, len, 0644, 1);
		free(text);
	}
	if (rc == 0) {
		if (d->metrics_warned_at != 0)
			log_info("metrics_file %s: written again", path);
		d->metrics_warned_at = 0;
		return;
	}
	if (d->metrics_warned_at != 0 && now - d->metrics_warned_at < METRICS_WARN_MS)
		return;
	d->metrics_warned_at = now != 0 ? now : 1;
	log_warnx("metrics_file %s: cannot write it (%s): homewardd's user must "
	    "be able to create files in its directory (under systemd, list the "
	    "directory in ReadWritePaths=); trying every minute, said again in "
	    "an hour", path, strerror(-rc));
}

static void
metrics_cb(uv_timer_t *h)
{
	metrics_write(h->data);
}

void
metrics_start(struct daemon *d)
{
	/* The timer is initialised once, at the first start; a reload only
	 * re-arms it for the file the configuration now names. */
	if (d->metrics.loop == NULL) {
		uv_timer_init(d->loop, &d->metrics);
		d->metrics.data = d;
	}
	uv_timer_stop(&d->metrics);
	d->metrics_warned_at = 0;
	if (d->cfg.metrics_file[0] == '\0')
		return;
	metrics_write(d);
	uv_timer_start(&d->metrics, metrics_cb, METRICS_PERIOD_MS,
	    METRICS_PERIOD_MS);
}

void
metrics_stop(struct daemon *d)
{
	if (d->metrics.loop == NULL)
		return;
	uv_timer_stop(&d->metrics);
	if (!uv_is_closing((uv_handle_t *)&d->metrics))
		uv_close((uv_handle_t *)&d->metrics, NULL);
}
