/*
 * The daemon's own requests: its status, the peer directory (list,
 * import a partner's bundle, verify, suspend, resume, remove) and the
 * log level.  Any role may look; supervisors change (ctl.c's table).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "daemon/ctl/ctl_int.h"
#include "daemon/base/log.h"
#include "keys/fingerprint.h"

void
ctl_status(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *c = call->c;
	struct daemon                  *d = call->d;
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Status       s = HOMEWARD__CONTROL__STATUS__INIT;
	struct daemon_figures           f;
	char                            listen[128] = "";
	int                             rc;

	(void)rq;
	/* The same figures as the metrics file's (core/figures.c). */
	if ((rc = figures_daemon(d, &f)) != 0) {
		ctl_store_result(c, rc, "status");
		return;
	}
	s.agency_id = d->keys.agency_id;
	s.fingerprint = d->keys.fingerprint;
	s.software = (char *)"homewardd " HOMEWARD_VERSION;
	s.started_at = f.started_at;
	s.now = f.now;
	s.peers_total = f.peers_total;
	s.peers_connected = f.peers_connected;
	s.outbox_unacked = f.counts.out_unacked;
	s.outbox_waiting = f.counts.out_waiting;
	s.oldest_unacked_at = f.counts.oldest_unacked_at;
	if (f.counts.oldest_unacked_at != 0) {
		s.oldest_unacked_id.data = f.counts.oldest_unacked_id;
		s.oldest_unacked_id.len = ENV1_ID_LEN;
	}
	s.inbox_total = f.counts.in_total;
	s.inbox_gap_held = f.counts.in_gap_held;
	s.alerts = f.counts.alerts;
	s.open_alerts = f.health.open_alerts;
	s.urgent_alerts = f.health.urgent_alerts;
	s.oldest_urgent_at = f.health.oldest_urgent_at;
	s.data_bytes = f.health.data_bytes;
	s.data_max_bytes = f.health.data_max_bytes;
	s.disk_free_bytes = f.health.disk_free_bytes;
	s.tls_not_after = f.tls_not_after;
	s.dsk_not_after = f.dsk_not_after;
	if (d->listener != NULL)
		snprintf(listen, sizeof(listen), "%s:%u", d->cfg.listen_host,
		    conn_listener_port(d->listener));
	s.listen = listen;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
	r.status = &s;
	control_send(c, &r);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("ok"));
}

/* One peer as the CLI shows it: the directory's row and bundle, and the
 * figures monitoring reads (core/figures.c).  control_send's result. */
static int
peer_send(struct control_client *c, struct daemon *d, const struct peer *p,
    uint64_t now)
{
	Response                        r = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__PeerInfo     pi = HOMEWARD__CONTROL__PEER_INFO__INIT;
	char                            fp[FP_DISPLAY_BUFLEN];
	struct peer_figures             f;

	figures_peer(d, p, now, &f);
	fp_display(p->rec.rik, fp);
	pi.agency_id = (char *)p->rec.agency_id;
	pi.name = (char *)p->b.info.name;
	pi.country = (char *)p->b.info.country;
	pi.time_zone = (char *)p->b.info.time_zone;
	pi.duty_contact = (char *)peer_duty_contact(p);
	pi.endpoint = (char *)p->endpoint;
	pi.fingerprint = fp;
	pi.rik.data = (uint8_t *)p->rec.rik;
	pi.rik.len = ENV1_KEY_LEN;
	pi.verified = p->rec.verified;
	pi.suspended = f.suspended;
	pi.connected = f.connected;
	pi.imported_at = p->rec.imported_at;
	pi.last_seen_at = p->rec.last_seen_at;
	pi.outbox_unacked = f.outbox_unacked;
	pi.valid_prekeys = f.valid_prekeys;
	pi.prekey_not_after = f.prekey_not_after;
	pi.dsk_not_after = f.dsk_not_after;
	pi.unreachable_since = f.unreachable_since;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_PEER;
	r.peer = &pi;
	return control_send(c, &r);
}

void
ctl_peers_list(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *c = call->c;
	struct daemon          *d = call->d;
	uint64_t                now = clock_now();

	(void)rq;
	for (size_t i = 0; i < d->npeers; i++)
		if (peer_send(c, d, d->peers[i], now) != 0)
			break;
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("ok"));
}

/* What refuses a parsed bundle: a fingerprint the operator did not
 * confirm, our own bundle, a bad endpoint, another identity or TLS key
 * under the same name, a lost revocation.  Answers the refusal itself and
 * returns -1; else 0, with *known the peer this bundle updates (or NULL). */
static int
import_check(struct control_client *c, struct daemon *d,
    const Homeward__Control__PeerImport *req, const struct bundle *b,
    struct peer **known)
{
	struct peer    *existing;
	char            fp[FP_DISPLAY_BUFLEN], host[256];
	uint16_t        port;

	fp_display(b->keys.rik, fp);
	if (req->fingerprint == NULL || strcmp(req->fingerprint, fp) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("the confirmed fingerprint is not this bundle's (%s): compare it "
		    "with the partner again, out of band"), fp);
		return -1;
	}
	if (sodium_memcmp(b->keys.rik, d->keys.id.rik_pub, ENV1_KEY_LEN) == 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("this is our own agency's bundle"));
		return -1;
	}
	if (req->endpoint != NULL && req->endpoint[0] != '\0' &&
	    (config_split_hostport(req->endpoint, host, sizeof(host), &port) != 0 ||
	    port == 0)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("endpoint must be host:port"));
		return -1;
	}
	if ((existing = peers_by_agency(d, b->info.agency_id)) != NULL &&
	    memcmp(existing->rec.rik, b->keys.rik, ENV1_KEY_LEN) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("agency %s is already pinned to another identity; a new root key "
		    "needs a transition, or remove the peer first"), b->info.agency_id);
		return -1;
	}
	if (peers_spki_owner(d, b->info.tls_spki_sha256, b->keys.rik) != NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("this bundle's TLS key is pinned for another peer: refused"));
		return -1;
	}
	/* Re-importing a known agency (same root key) updates its bundle: it
	 * keeps the operator's state and every revocation already held. */
	*known = peers_by_rik(d, b->keys.rik);
	if (*known != NULL && !peer_bundle_keeps_revocations(&(*known)->b, b)) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("this bundle of %s lacks a revocation already recorded: it is "
		    "older than what we hold, or was altered"), b->info.agency_id);
		return -1;
	}
	return 0;
}

void
ctl_peer_import(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *c = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__PeerImport *req = rq->peer_import;
	struct bundle           b;
	struct store_peer       row;
	struct peer            *existing = NULL, *p;
	char                    why[BUNDLE_WHY_LEN];
	int                     rc;

	if (bundle_parse(req->bundle.data, req->bundle.len, &b, why) != ENV1_OK) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
		    _("bundle refused: %s"), why);
		return;
	}
	if (import_check(c, d, req, &b, &existing) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	if (existing != NULL) {
		row = existing->rec;
		row.bundle = NULL;
		row.bundle_len = 0;
	}
	memcpy(row.rik, b.keys.rik, ENV1_KEY_LEN);
	snprintf(row.agency_id, sizeof(row.agency_id), "%s", b.info.agency_id);
	if (req->endpoint != NULL && req->endpoint[0] != '\0')
		snprintf(row.endpoint, sizeof(row.endpoint), "%s", req->endpoint);
	row.verified = 1;
	row.imported_at = clock_now();
	row.bundle = req->bundle.data;
	row.bundle_len = req->bundle.len;
	if ((rc = store_peer_put(d->store, &row)) != 0) {
		ctl_store_result(c, rc, "peer import");
		goto out;
	}
	if ((rc = peers_load(d)) != 0) {
		ctl_store_result(c, rc, "peer directory reload");
		goto out;
	}
	log_info("peer %s imported (fingerprint verified by the operator)",
	    b.info.agency_id);
	peers_dial_all(d);
	/* The peer as imported: `homeward peers import` shows it. */
	if ((p = peers_by_agency(d, b.info.agency_id)) != NULL)
		(void)peer_send(c, d, p, clock_now());
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK,
	    _("peer %s imported"), b.info.agency_id);
out:
	bundle_free(&b);
}

void
ctl_peer_action(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *c = call->c;
	struct daemon          *d = call->d;
	const Homeward__Control__PeerAction *req = rq->peer_action;
	struct peer            *p;
	struct store_peer       row;
	char                    fp[FP_DISPLAY_BUFLEN];
	uint64_t                unacked = 0;
	int                     rc;

	if (req->agency_id == NULL || (p = peers_by_agency(d, req->agency_id)) == NULL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND,
		    _("no peer %s; `homeward peers` lists them"),
		    req->agency_id ? req->agency_id : "");
		return;
	}
	row = p->rec;
	switch (req->action) {
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_VERIFY:
		fp_display(p->rec.rik, fp);
		if (req->fingerprint == NULL || strcmp(req->fingerprint, fp) != 0) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
			    _("the confirmed fingerprint does not match %s's"),
			    p->rec.agency_id);
			return;
		}
		row.verified = 1;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_SUSPEND:
		row.suspended = 1;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_RESUME:
		row.suspended = 0;
		break;
	case HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_REMOVE:
		if (store_peer_unacked(d->store, p->rec.rik, &unacked) == 0 && unacked) {
			control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED,
			    _("%s has %llu message(s) without a receipt; suspend it "
			    "instead"), p->rec.agency_id, (unsigned long long)unacked);
			return;
		}
		rc = store_peer_delete(d->store, p->rec.rik);
		goto reload;
	default:
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("unknown peer action"));
		return;
	}
	rc = store_peer_put(d->store, &row);
reload:
	if (rc != 0) {
		ctl_store_result(c, rc, "peer update");
		return;
	}
	if ((rc = peers_load(d)) != 0) {
		ctl_store_result(c, rc, "peer directory reload");
		return;
	}
	peers_dial_all(d);
	log_info("peer %s: operator action %d", req->agency_id, (int)req->action);
	/* The peer afterwards (the table was reloaded: look it up again);
	 * none after remove. */
	if ((p = peers_by_agency(d, req->agency_id)) != NULL)
		(void)peer_send(c, d, p, clock_now());
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, _("ok"));
}

void
ctl_log_level(const struct ctl_call *call, const Request *rq)
{
	struct control_client  *c = call->c;
	enum log_level          lvl;

	if (rq->log_level->level == NULL ||
	    log_level_parse(rq->log_level->level, &lvl) != 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("log level must be warn, info or debug"));
		return;
	}
	log_setlevel(lvl);
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK,
	    _("log level %s"), rq->log_level->level);
}
