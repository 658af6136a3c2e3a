/*
 * Links: the connections to peers (core.h).  Dialling with backoff,
 * accepting, the pin check, Hello and bundle exchange, heartbeats, and
 * sending frames.  Either side sends on any open connection; an agency
 * without a listener dials out and receives over the same connection.
 * What arrives goes to delivery through d->link_events.
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

static int
link_send(struct link *l, Homeward__Wire__Frame *f)
{
	uint8_t        *buf;
	size_t          len;
	int             rc;

	if ((rc = wire_frame_encode(f, &buf, &len)) != 0)
		return rc;
	/* wire_frame_encode adds the length prefix; conn_send adds its own. */
	rc = conn_send(l->conn, buf + 4, len - 4);
	free(buf);
	return rc;
}

static int
link_send_hello(struct link *l)
{
	Homeward__Wire__Frame   f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Hello   h = HOMEWARD__WIRE__HELLO__INIT;
	const struct stmt_transition *t = keyring_transition(&l->d->keys);
	uint8_t                 tr[STMT_TRANSITION_LEN];

	h.rik.data = l->d->keys.id.rik_pub;
	h.rik.len = ENV1_KEY_LEN;
	if (t != NULL) {
		/* A partner still pinned to the old RIK identifies us by it
		 * (PROTOCOL.md 16.4): it follows on this connection. */
		stmt_transition_encode(t, tr);
		h.transition.data = tr;
		h.transition.len = sizeof(tr);
	}
	h.software = (char *)"homewardd " HOMEWARD_VERSION;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HELLO;
	f.hello = &h;
	return link_send(l, &f);
}

static int
link_send_bundle(struct link *l)
{
	Homeward__Keys__Bundle *b;
	Homeward__Wire__Frame   f = HOMEWARD__WIRE__FRAME__INIT;
	int                     rc;

	b = homeward__keys__bundle__unpack(NULL, l->d->keys.bundle_len, l->d->keys.bundle);
	if (b == NULL)
		return -EINVAL;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_BUNDLE;
	f.bundle = b;
	rc = link_send(l, &f);
	homeward__keys__bundle__free_unpacked(b, NULL);
	return rc;
}

int
peer_send_envelope(struct peer *p, const uint8_t *env, size_t len)
{
	Homeward__Wire__Frame   f = HOMEWARD__WIRE__FRAME__INIT;
	int                     rc;

	if (p->link == NULL)
		return -ENOTCONN;
	if (p->blocked)
		return -ENOBUFS;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_ENVELOPE;
	f.envelope.data = (uint8_t *)env;
	f.envelope.len = len;
	rc = link_send(p->link, &f);
	if (rc == -ENOBUFS)
		p->blocked = 1;
	return rc;
}

int
peer_send_frame(struct peer *p, Homeward__Wire__Frame *f)
{
	return p->link != NULL ? link_send(p->link, f) : -ENOTCONN;
}

uint64_t
peer_send_mark(const struct peer *p)
{
	return p->link != NULL ? conn_flushed(p->link->conn) : 0;
}

int
peer_send_refused(struct peer *p, const uint8_t message_id[ENV1_ID_LEN])
{
	Homeward__Wire__Frame   f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Refused r = HOMEWARD__WIRE__REFUSED__INIT;

	if (p->link == NULL)
		return -ENOTCONN;
	r.message_id.data = (uint8_t *)message_id;
	r.message_id.len = ENV1_ID_LEN;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_REFUSED;
	f.refused = &r;
	return link_send(p->link, &f);
}

/* A bundle the peer sent: same identity, newer prekeys.  A rotated RIK
 * needs the operator (suspended until re-verified). */
static void
on_bundle(struct link *l, struct peer *p, const Homeward__Keys__Bundle *pb)
{
	struct daemon          *d = l->d;
	struct bundle           nb;
	struct store_peer       row;
	char                    why[BUNDLE_WHY_LEN];
	uint8_t                *buf;
	size_t                  len;
	int                     rotated = 0, rc;

	len = homeward__keys__bundle__get_packed_size(pb);
	if (len > BUNDLE_MAX_LEN || (buf = malloc(len)) == NULL)
		return;
	homeward__keys__bundle__pack(pb, buf);
	if (len == p->rec.bundle_len && memcmp(buf, p->rec.bundle, len) == 0) {
		free(buf);
		return;
	}
	if (bundle_parse(buf, len, &nb, why) != ENV1_OK) {
		log_warnx("peer %s: bundle refused: %s", p->rec.agency_id, why);
		free(buf);
		return;
	}
	if (bundle_check_identity(&nb, p->rec.rik, &p->b.keys, &rotated) != ENV1_OK ||
	    rotated || strcmp(nb.info.agency_id, p->rec.agency_id) != 0) {
		log_warnx("peer %s: bundle with another identity refused: import and "
		    "verify it by hand", p->rec.agency_id);
		store_alert_add(d->store, "identity", p->rec.rik, NULL, NULL,
		    "bundle with another identity", NULL, 0, clock_now());
		bundle_free(&nb);
		free(buf);
		return;
	}
	if (nb.info.issued_at < p->b.info.issued_at) {
		/* The peer runs an older agency.pub than the one imported
		 * here (PROTOCOL.md 16.4): the newer one stays. */
		log_warnx("peer %s: bundle older than the one we hold; kept ours",
		    p->rec.agency_id);
		bundle_free(&nb);
		free(buf);
		return;
	}
	if (peers_spki_owner(d, nb.info.tls_spki_sha256, p->rec.rik) != NULL) {
		log_warnx("peer %s: bundle claims another peer's TLS key; refused",
		    p->rec.agency_id);
		store_alert_add(d->store, "tls_key_claimed", p->rec.rik, NULL, NULL,
		    "bundle claims another peer's TLS key", NULL, 0, clock_now());
		bundle_free(&nb);
		free(buf);
		return;
	}
	if (!peer_bundle_keeps_revocations(&p->b, &nb)) {
		/* Each statement is signed alone: whoever holds the peer's keys
		 * could resend its bundle without the revocation of a stolen
		 * key.  A revocation, once known, is kept. */
		log_warnx("peer %s: bundle without a revocation we hold refused",
		    p->rec.agency_id);
		store_alert_add(d->store, "revocation_dropped", p->rec.rik, NULL, NULL,
		    "bundle without a known revocation", NULL, 0, clock_now());
		bundle_free(&nb);
		free(buf);
		return;
	}
	bundle_free(&nb);
	row = p->rec;
	row.bundle = buf;
	row.bundle_len = len;
	if ((rc = store_peer_put(d->store, &row)) != 0) {
		log_warnx("peer %s: cannot store its new bundle", p->rec.agency_id);
		free(buf);
		return;
	}
	free(buf);
	log_info("peer %s: bundle updated", p->rec.agency_id);
	if (peers_load(d) != 0)
		log_warnx("peer directory reload failed");
	daemon_wake(d);
}

static void hello_accepted(struct link *, struct peer *);

/* The bundle that follows a Hello under a new RIK (PROTOCOL.md 16.4): the
 * peer follows its transition, or the connection closes. */
static void
on_follow_bundle(struct link *l, struct peer *p, const Homeward__Keys__Bundle *pb)
{
	uint8_t        *buf;
	size_t          len;
	int             rc;

	if (sodium_memcmp(p->rec.rik, l->new_rik, ENV1_KEY_LEN) == 0) {
		/* Followed already, on another connection. */
		l->following = 0;
		hello_accepted(l, p);
		on_bundle(l, p, pb);
		return;
	}
	len = homeward__keys__bundle__get_packed_size(pb);
	if (len > BUNDLE_MAX_LEN || (buf = malloc(len)) == NULL) {
		conn_close(l->conn);
		return;
	}
	homeward__keys__bundle__pack(pb, buf);
	rc = peer_follow(l->d, p, l->new_rik, buf, len);
	free(buf);
	l->following = 0;
	if (rc != 0 || (p = peers_of_link(l)) == NULL) {
		conn_close(l->conn);
		return;
	}
	hello_accepted(l, p);
	daemon_wake(l->d);
}

static void
on_hello(struct link *l, struct peer *p, const Homeward__Wire__Hello *h)
{
	if (h->rik.len != ENV1_KEY_LEN ||
	    sodium_memcmp(h->rik.data, p->rec.rik, ENV1_KEY_LEN) != 0) {
		if (h->transition.len > 0) {
			if (peer_hello_transition(l, p, h->rik.data, h->rik.len,
			    h->transition.data, h->transition.len) != 0)
				conn_close(l->conn);
			return;
		}
		log_warnx("peer %s: Hello names another agency; closing",
		    p->rec.agency_id);
		conn_close(l->conn);
		return;
	}
	hello_accepted(l, p);
}

static void
hello_accepted(struct link *l, struct peer *p)
{
	l->hello = 1;
	p->down_since = 0;
	p->link = l;            /* the newest open connection carries our sends */
	p->blocked = 0;
	p->rec.last_seen_at = clock_now();
	backoff_reset(&p->dial_backoff);
	log_info("peer %s: connected (%s, %s)", p->rec.agency_id,
	    l->outbound ? "outbound" : "inbound", conn_peer_name(l->conn));
	if (l->d->link_events.peer_up != NULL)
		l->d->link_events.peer_up(l->d, p);
}

static void
on_heartbeat(struct link *l, const Homeward__Wire__Heartbeat *hb)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat       r = HOMEWARD__WIRE__HEARTBEAT__INIT;

	if (hb->reply)
		return;
	r.sent_at = clock_now();
	r.reply = 1;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &r;
	link_send(l, &f);
}

static struct peer *
peers_by_spki(struct daemon *d, const uint8_t spki[CONN_SPKI_LEN])
{
	struct peer *found = NULL;

	for (size_t i = 0; i < d->npeers; i++) {
		if (!peer_active(d->peers[i]) || sodium_memcmp(
		    d->peers[i]->b.info.tls_spki_sha256, spki, CONN_SPKI_LEN) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = d->peers[i];
	}
	return found;
}

/* --- connection callbacks ------------------------------------------------ */

/* An unknown key is worth a line (a partner whose key we have not
 * imported), but not one per connection: a stranger with any certificate
 * may repeat it at will.  The same key is told again after a minute; the
 * refusals in between are in the listener's summary (as "pin"). */
#define LINK_UNKNOWN_KEY_MS     60000

static void
log_unknown_key(struct conn *c, const uint8_t spki[CONN_SPKI_LEN])
{
	static uint8_t  last[CONN_SPKI_LEN];
	static uint64_t last_at;
	uint64_t        now = clock_now();

	if (last_at != 0 && now - last_at < LINK_UNKNOWN_KEY_MS &&
	    memcmp(last, spki, CONN_SPKI_LEN) == 0)
		return;
	memcpy(last, spki, CONN_SPKI_LEN);
	last_at = now;
	log_warnx("inbound %s: unknown TLS key %s; refused (import and verify "
	    "the partner's bundle if it is one; repeats are summarised)",
	    conn_peer_name(c), log_hex(spki, 8));
}

static int
cb_verify(struct conn *c, const uint8_t spki[CONN_SPKI_LEN], void *arg)
{
	struct link    *l = arg;
	struct peer    *p;

	(void)c;
	if (l->has_peer) {
		p = peers_of_link(l);
		if (p == NULL || sodium_memcmp(p->b.info.tls_spki_sha256, spki,
		    CONN_SPKI_LEN) != 0) {
			log_warnx("dial %s: the TLS key is not the one pinned for this "
			    "peer", conn_peer_name(c));
			return -1;
		}
	} else {
		p = peers_by_spki(l->d, spki);
		if (p == NULL) {
			log_unknown_key(c, spki);
			return -1;
		}
		memcpy(l->rik, p->rec.rik, ENV1_KEY_LEN);
		l->has_peer = 1;
	}
	if (!peer_active(p)) {
		log_warnx("peer %s: %s; connection refused", p->rec.agency_id,
		    p->rec.verified ? "suspended" : "fingerprint not verified");
		return -1;
	}
	return 0;
}

static void
cb_open(struct conn *c, void *arg)
{
	struct link *l = arg;

	(void)c;
	l->open = 1;
	conn_set_idle_timeout(l->conn, l->d->cfg.idle_timeout_ms);
	if (link_send_hello(l) != 0 || link_send_bundle(l) != 0) {
		log_warnx("%s: cannot send Hello", conn_peer_name(l->conn));
		conn_close(l->conn);
	}
}

static void
cb_frame(struct conn *c, const uint8_t *payload, size_t len, void *arg)
{
	struct link             *l = arg;
	struct peer             *p = peers_of_link(l);
	Homeward__Wire__Frame   *f;
	int                      err = 0;

	if (p == NULL) {
		conn_close(c);
		return;
	}
	if ((f = wire_frame_decode(payload, len, &err)) == NULL) {
		log_warnx("peer %s: %s; closing", p->rec.agency_id,
		    err == -EPROTONOSUPPORT ? "wire protocol version mismatch" :
		    "malformed frame");
		conn_close(c);
		return;
	}
	if (!l->hello && f->kind_case != HOMEWARD__WIRE__FRAME__KIND_HELLO) {
		log_warnx("peer %s: frame before Hello; closing", p->rec.agency_id);
		conn_close(c);
		goto out;
	}
	if (l->following && f->kind_case != HOMEWARD__WIRE__FRAME__KIND_BUNDLE &&
	    f->kind_case != HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT) {
		/* Nothing else until the peer has followed its new RIK. */
		log_warnx("peer %s: frame before the new RIK's bundle; closing",
		    p->rec.agency_id);
		conn_close(c);
		goto out;
	}
	switch (f->kind_case) {
	case HOMEWARD__WIRE__FRAME__KIND_HELLO:
		on_hello(l, p, f->hello);
		break;
	case HOMEWARD__WIRE__FRAME__KIND_ENVELOPE:
		if (l->d->link_events.envelope != NULL)
			l->d->link_events.envelope(l->d, p->rec.rik,
			    f->envelope.data, f->envelope.len);
		break;
	case HOMEWARD__WIRE__FRAME__KIND_BUNDLE:
		if (l->following)
			on_follow_bundle(l, p, f->bundle);
		else
			on_bundle(l, p, f->bundle);
		break;
	case HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT:
		on_heartbeat(l, f->heartbeat);
		break;
	case HOMEWARD__WIRE__FRAME__KIND_REFUSED:
		if (f->refused->message_id.len == ENV1_ID_LEN)
			log_warnx("peer %s refused message %s", p->rec.agency_id,
			    log_hex(f->refused->message_id.data, ENV1_ID_LEN));
		break;
	case HOMEWARD__WIRE__FRAME__KIND_RESYNC_REQUEST:
		if (l->d->link_events.resync_request != NULL &&
		    l->d->link_events.resync_request(l->d, p, f->resync_request) != 0)
			conn_close(c);          /* malformed: as a bad frame */
		break;
	case HOMEWARD__WIRE__FRAME__KIND_RESYNC_STATE:
		if (l->d->link_events.resync_state != NULL)
			l->d->link_events.resync_state(l->d, p, f->resync_state);
		break;
	default:
		break;
	}
out:
	homeward__wire__frame__free_unpacked(f, NULL);
}

static void
cb_drain(struct conn *c, void *arg)
{
	struct link    *l = arg;
	struct peer    *p = peers_of_link(l);

	(void)c;
	if (p != NULL && p->link == l) {
		p->blocked = 0;
		daemon_wake(l->d);
	}
}

/* Copies left our queue: their retransmission delay starts now. */
static void
cb_written(struct conn *c, uint64_t written, void *arg)
{
	struct link    *l = arg;
	struct peer    *p = peers_of_link(l);

	(void)c;
	if (p != NULL && p->link == l &&
	    flight_written(&p->fl, written, clock_now()) > 0)
		daemon_wake(l->d);
}

static void schedule_dial(struct peer *);
static void link_unlist(struct link *);

static void
cb_close(struct conn *c, enum conn_close_reason why, void *arg)
{
	struct link    *l = arg;
	struct daemon  *d = l->d;
	struct peer    *p = peers_of_link(l);

	(void)c;
	link_unlist(l);
	if (p != NULL) {
		if (l->hello)
			log_info("peer %s: disconnected (%s)", p->rec.agency_id,
			    conn_close_reason_name(why));
		else if (l->outbound)
			log_debug("peer %s: dial failed (%s)", p->rec.agency_id,
			    conn_close_reason_name(why));
		else if (why != CONN_CLOSE_LOCAL)
			/* An oversize frame or silence before Hello: say why
			 * (a local close has logged its own reason). */
			log_info("peer %s: inbound %s closed before Hello (%s)",
			    p->rec.agency_id, conn_peer_name(c),
			    conn_close_reason_name(why));
		if (l->outbound)
			p->dialing = 0;
	} else if (why != CONN_CLOSE_LOCAL) {
		/* A stranger: the listener's summary counts it. */
		log_debug("connection %s closed (%s)", conn_peer_name(c),
		    conn_close_reason_name(why));
	}
	free(l);
	peers_relink(d);
	if (p != NULL && p->link == NULL && p->down_since == 0)
		p->down_since = clock_now();    /* `homeward check` counts from here */
	if (p != NULL && p->link == NULL && !d->stopping)
		schedule_dial(p);
}

static const struct conn_cb link_cb = {
	.on_verify = cb_verify,
	.on_open = cb_open,
	.on_frame = cb_frame,
	.on_drain = cb_drain,
	.on_written = cb_written,
	.on_close = cb_close,
};

static struct link *
link_new(struct daemon *d)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->d = d;
	l->next = d->links;
	if (d->links != NULL)
		d->links->prev = l;
	d->links = l;
	return l;
}

static void
link_unlist(struct link *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		l->d->links = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
}

/* --- dialling and accepting ---------------------------------------------- */

static void
dial(struct peer *p)
{
	struct daemon  *d = p->d;
	struct link    *l;
	char            host[256];
	uint16_t        port;
	int             rc;

	if (d->stopping || p->dialing || p->link != NULL || !peer_active(p) ||
	    p->endpoint[0] == '\0')
		return;
	if (config_split_hostport(p->endpoint, host, sizeof(host), &port) != 0) {
		log_warnx("peer %s: bad endpoint %s", p->rec.agency_id, p->endpoint);
		return;
	}
	if ((l = link_new(d)) == NULL)
		return;
	memcpy(l->rik, p->rec.rik, ENV1_KEY_LEN);
	l->has_peer = 1;
	l->outbound = 1;
	if ((rc = conn_connect(d->loop, d->tls, host, port, &link_cb, l, &l->conn)) != 0) {
		log_warnx("peer %s: cannot dial %s: %s", p->rec.agency_id, p->endpoint,
		    uv_strerror(rc));
		link_unlist(l);
		free(l);
		schedule_dial(p);
		return;
	}
	p->dialing = 1;
}

static void
dial_timer_cb(uv_timer_t *t)
{
	dial(t->data);
}

static void
schedule_dial(struct peer *p)
{
	uint64_t delay;

	if (p->endpoint[0] == '\0' || !peer_active(p) || uv_is_active(
	    (uv_handle_t *)&p->dial_timer))
		return;
	delay = backoff_next(&p->dial_backoff, randombytes_random());
	log_debug("peer %s: redial in %llu ms", p->rec.agency_id,
	    (unsigned long long)delay);
	uv_timer_start(&p->dial_timer, dial_timer_cb, delay, 0);
}

void
peers_dial_all(struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (p->link == NULL && !p->dialing &&
		    !uv_is_active((uv_handle_t *)&p->dial_timer))
			dial(p);
	}
}

/* Accepted connections share the daemon as their callback argument; their
 * link is made at the pin check and found again by its conn. */
static struct link *
link_of(struct daemon *d, struct conn *c)
{
	for (struct link *l = d->links; l != NULL; l = l->next)
		if (l->conn == c)
			return l;
	return NULL;
}

static int
acb_verify(struct conn *c, const uint8_t spki[CONN_SPKI_LEN], void *arg)
{
	struct daemon  *d = arg;
	struct link    *l = link_new(d);

	if (l == NULL)
		return -1;
	l->conn = c;
	return cb_verify(c, spki, l);
}

static void
acb_open(struct conn *c, void *arg)
{
	struct link *l = link_of(arg, c);

	if (l != NULL)
		cb_open(c, l);
}

static void
acb_frame(struct conn *c, const uint8_t *payload, size_t len, void *arg)
{
	struct link *l = link_of(arg, c);

	if (l != NULL)
		cb_frame(c, payload, len, l);
}

static void
acb_drain(struct conn *c, void *arg)
{
	struct link *l = link_of(arg, c);

	if (l != NULL)
		cb_drain(c, l);
}

static void
acb_written(struct conn *c, uint64_t written, void *arg)
{
	struct link *l = link_of(arg, c);

	if (l != NULL)
		cb_written(c, written, l);
}

static void
acb_close(struct conn *c, enum conn_close_reason why, void *arg)
{
	struct link *l = link_of(arg, c);

	if (l != NULL) {
		cb_close(c, why, l);
		return;
	}
	/* One line per stranger would let strangers fill the disk: the
	 * listener's summary counts these (daemon/net/admit.c). */
	log_debug("inbound %s closed before identification (%s)",
	    conn_peer_name(c), conn_close_reason_name(why));
}

static const struct conn_cb accept_cb = {
	.on_verify = acb_verify,
	.on_open = acb_open,
	.on_frame = acb_frame,
	.on_drain = acb_drain,
	.on_written = acb_written,
	.on_close = acb_close,
};

/* The caps on strangers, as the daemon derived them from the descriptor
 * limit and the configuration (main.c). */
void
peers_listen_limits(struct daemon *d)
{
	struct conn_limits lim = {
		.max_unidentified = d->cfg.max_unidentified,
		.max_per_address = d->cfg.max_unidentified_per_address,
		.identify_ms = d->cfg.identify_timeout_ms,
		.summary_ms = d->cfg.unidentified_log_ms,
	};

	if (d->listener == NULL)
		return;
	conn_listener_set_limits(d->listener, &lim);
	log_info("unidentified connections: at most %u, %u per address, %llu ms "
	    "to identify", lim.max_unidentified, lim.max_per_address,
	    (unsigned long long)lim.identify_ms);
}

int
peers_listen(struct daemon *d, char **cause)
{
	int rc;

	*cause = NULL;
	if (d->cfg.listen_host[0] == '\0')
		return 0;
	rc = conn_listen(d->loop, d->tls, d->cfg.listen_host, d->cfg.listen_port,
	    &accept_cb, d, &d->listener);
	if (rc != 0) {
		if (asprintf(cause, "listen %s:%u: %s", d->cfg.listen_host,
		    d->cfg.listen_port, uv_strerror(rc)) < 0)
			*cause = NULL;
		return rc;
	}
	peers_listen_limits(d);
	log_info("listening on %s:%u", d->cfg.listen_host,
	    conn_listener_port(d->listener));
	return 0;
}

void
peers_heartbeat(struct daemon *d)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat       hb = HOMEWARD__WIRE__HEARTBEAT__INIT;

	hb.sent_at = clock_now();
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &hb;
	for (struct link *l = d->links; l != NULL; l = l->next)
		if (l->open && l->hello)
			link_send(l, &f);
}

void
peers_announce(struct daemon *d)
{
	for (struct link *l = d->links; l != NULL; l = l->next)
		if (l->open)
			link_send_bundle(l);
}

void
peers_close_all(struct daemon *d)
{
	for (struct link *l = d->links, *next; l != NULL; l = next) {
		next = l->next;
		conn_close(l->conn);
	}
	for (size_t i = 0; i < d->npeers; i++)
		uv_timer_stop(&d->peers[i]->dial_timer);
	conn_listener_close(d->listener);
	d->listener = NULL;
}
