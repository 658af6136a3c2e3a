/*
 * The core room (daemon/core/): homewardd's state and the post office.
 *
 *   core.h     struct daemon, its peers and links, and the hooks through
 *              which the rooms above learn what happened
 *   peer.c     the peer directory in memory
 *   flight.c   per peer, what is sent and unacknowledged on its link
 *   link.c     connections to peers (dial, accept, pin, Hello, bundles,
 *              heartbeats) and sending frames
 *   deliver.c  the pump: batched per loop iteration (group commit)
 *   deliver_in.c   the inbox: open, ledger and thread order in one
 *              transaction
 *   quota.c    what one partner may take: bytes, threads, cases, alerts
 *   deliver_give.c the receipts we give, after the ledger commit
 *   deliver_out.c  the outbox: submit, seal in thread order
 *   deliver_pace.c what goes on a link and when: flush in order, a
 *              window of bytes in flight, retransmission
 *   deliver_evidence.c  evidence bundles of sent and received messages
 *   keyring.c  the daemon's private keys: one owner, signs and opens on
 *              request
 *   expiry.c   warnings before a certificate of ours or a partner's expires
 *   figures.c  the figures for monitoring: status, peers, the metrics file
 *   metrics.c  the metrics file for Prometheus' node exporter (metrics_file)
 *   resync.c   after a restore: asking a partner what it holds of our
 *              chains, and answering a restored partner (PROTOCOL.md 9.5)
 *   resync_hold.c  what delivery asks of it: sealing waits, a receipt
 *              for a message we lost is still a position
 *
 * May call: net/ (connections), store/ (ledger, peers, audit), rules/,
 * base/ (log, clock, config), and keys/ proto/ common/.  Never case/ or
 * ctl/: what the procedure must learn (a document became current, a
 * receipt arrived, something fell due) goes through struct
 * deliver_events, which main.c points at case/.  Inside the room the
 * files call one way (core_int.h): deliver.c -> deliver_in.c -> quota.c ->
 * deliver_give.c -> deliver_out.c -> deliver_pace.c -> link.c -> peer.c,
 * flight.c below them all; link.c hands what arrives to delivery through
 * struct link_events.  metrics.c -> figures.c -> expiry.c, keyring.c,
 * peer.c: nothing in the room calls them.  resync.c (link_events'
 * peer_up and the resync frames) calls deliver_pace.c and link.c;
 * deliver_in.c and deliver_out.c call resync_hold.c, which calls only
 * the store.
 *
 * One libuv loop, one thread.  struct daemon has one instance, owned by
 * main.c; the parts receive it explicitly.
 */
#ifndef HOMEWARD_DAEMON_CORE_CORE_H
#define HOMEWARD_DAEMON_CORE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/base/clock.h"
#include "daemon/base/config.h"
#include "daemon/core/flight.h"
#include "daemon/core/keyring.h"
#include "daemon/net/backoff.h"
#include "daemon/net/conn.h"
#include "daemon/store/store.h"
#include "keys/bundle.h"

/* Largest batch of inbound envelopes committed in one transaction. */
#define DAEMON_BATCH_MAX        512
/* Unacknowledged messages sent per page when a connection opens. */
#define DAEMON_FLUSH_PAGE       256

struct daemon;
struct peer;
struct control;
struct store_in;
struct store_out;

/* What the procedure learns from delivery (set by main.c to case/'s
 * handlers; each may be NULL).  document and delivered run inside the
 * inbound batch's transaction: a non-zero return rolls the batch back. */
struct deliver_events {
	/* A received document became current in its thread (in order). */
	int   (*document)(struct daemon *, struct peer *, const struct store_in *,
	          const uint8_t *body, size_t len);
	/* A receipt for one of our documents was stored. */
	int   (*delivered)(struct daemon *, const struct store_out *acked);
	/* Deadlines, retention, erasures: by timer, and after a pump that
	 * set d->case_due. */
	void  (*due)(struct daemon *);
};

/* What a connection tells the post office (set by main.c to deliver.c's
 * functions), so that link.c never calls into its caller. */
struct Homeward__Wire__ResyncRequest;
struct Homeward__Wire__ResyncState;

struct link_events {
	/* An envelope arrived from the peer whose RIK is from (copy it). */
	void  (*envelope)(struct daemon *, const uint8_t from[ENV1_KEY_LEN],
	          const uint8_t *env, size_t len);
	/* A connection to p opened: resend what is unacknowledged. */
	void  (*peer_up)(struct daemon *, struct peer *);
	/* Re-synchronisation frames (PROTOCOL.md 9.5); a request that is
	 * not 0 closes the connection. */
	int   (*resync_request)(struct daemon *, struct peer *,
	          const struct Homeward__Wire__ResyncRequest *);
	void  (*resync_state)(struct daemon *, struct peer *,
	          const struct Homeward__Wire__ResyncState *);
};

/* One pinned peer agency. */
/* A peer's re-synchronisation after a restore (resync.c, PROTOCOL.md
 * 9.5): as the restored side that asks, and as the partner that answers. */
struct resync_peer {
	int             loaded;         /* pending was read from the store */
	int             pending;        /* our chains may be behind the peer's */
	int             asked;          /* a request is out on this link */
	int             again;          /* an answer was cut: ask once more */
	int             last_page;      /* the request out is the last page */
	uint8_t         nonce[16];      /* the request's; answers echo it */
	uint8_t         upto[16];       /* the request's last thread */
	uint64_t        asked_at;       /* ms: when it went */
	uint64_t        tolerate_until; /* ms: unmatched receipts are positions */
	uint64_t        window_at;      /* ms: start of the answering minute */
	unsigned        answered;       /* requests answered in that minute */
};

struct peer {
	struct daemon          *d;
	struct store_peer       rec;            /* the directory row */
	struct bundle           b;              /* rec.bundle parsed and verified */
	char                    endpoint[256];  /* effective: config, row, bundle */
	struct link            *link;           /* where we send: the newest open one */
	int                     dialing;        /* an outbound connection is opening */
	struct backoff          dial_backoff;
	uv_timer_t              dial_timer;
	int                     dial_timer_init;
	int                     blocked;        /* conn_send said -ENOBUFS */
	int                     flushing;       /* rows past flush_cursor to send */
	int64_t                 flush_cursor;   /* rows up to it went on this link */
	int                     seal_pending;   /* waiting messages may be sealable */
	uint64_t                down_since;     /* ms: no connection since; 0 while connected */
	int                     window_full;    /* flushing waits for room (flight) */
	struct flight           fl;             /* sent on the link, unacknowledged */
	struct resync_peer      rs;             /* after a restore (resync.c) */
};

/* One connection's link to the daemon.  It names its peer by RIK, not by
 * pointer: the directory may be reloaded while connections live. */
struct link {
	struct daemon          *d;
	struct conn            *conn;
	struct link            *prev, *next;   /* daemon's list of links */
	int                     has_peer;       /* rik is known (pin checked) */
	uint8_t                 rik[ENV1_KEY_LEN];
	int                     outbound;
	int                     open;           /* TLS done, pin accepted */
	int                     hello;          /* the peer's Hello was received */
	int                     following;      /* its Hello named new_rik with a valid
	                                           transition: its bundle is awaited */
	uint8_t                 new_rik[ENV1_KEY_LEN];
};

/* An envelope received, waiting for the next batch. */
struct inbound {
	struct inbound         *next;
	uint8_t                 from[ENV1_KEY_LEN];     /* the connection's peer */
	uint64_t                received_at;
	size_t                  len;
	uint8_t                 env[];
};

struct daemon {
	uv_loop_t              *loop;
	struct deliver_events   events;         /* up to the procedure */
	struct link_events      link_events;    /* from connections to delivery */
	struct config           cfg;
	struct store           *store;
	struct keyring          keys;
	struct conn_tls        *tls;
	struct conn_listener   *listener;
	struct control         *control;
	struct peer           **peers;
	size_t                  npeers;
	struct link            *links;
	struct inbound         *in_head, **in_tail;
	size_t                  in_count;
	uv_check_t              pump;           /* runs batches after each poll */
	uv_idle_t               busy;           /* keeps poll from blocking while work waits */
	uv_timer_t              tick;           /* retransmission, dialling */
	uv_timer_t              heartbeat;
	uv_timer_t              prekeys;
	uv_timer_t              deadlines;      /* events.due */
	uv_timer_t              metrics;        /* metrics.c: every minute */
	uint64_t                metrics_warned_at;      /* last write failure logged */
	int                     case_due;       /* run events.due after this pump */
	uv_signal_t             sig_term, sig_int, sig_hup;
	uint64_t                started_at;
	int                     stopping;
};

/* Ask for a pump run at the end of this loop iteration (base/clock.h). */
static inline void
daemon_wake(struct daemon *d)
{
	clock_wake(&d->busy);
}

/* peer.c */
int peers_load(struct daemon *);                /* from the store; replaces the table */
void peers_free(struct daemon *);
struct peer *peers_by_rik(struct daemon *, const uint8_t rik[ENV1_KEY_LEN]);
/* The peer with this RIK, or the one whose bundle carries a transition
 * from it, while envelopes sealed under that old RIK may still arrive
 * (effective_at + ENV1_MAX_AGE_MS, PROTOCOL.md 4.4); NULL otherwise. */
struct peer *peers_by_sender(struct daemon *, const uint8_t rik[ENV1_KEY_LEN],
    uint64_t now);
struct peer *peers_by_agency(struct daemon *, const char *agency_id);
/* A peer other than except_rik pinned to this TLS key, or NULL. */
struct peer *peers_spki_owner(struct daemon *, const uint8_t spki[32],
    const uint8_t except_rik[ENV1_KEY_LEN]);
int peers_listen(struct daemon *, char **cause);
/* The caps on unidentified connections from d->cfg to the listener (at
 * listen, and again on reload). */
void peers_listen_limits(struct daemon *);
void peers_dial_all(struct daemon *);
void peers_heartbeat(struct daemon *);
void peers_close_all(struct daemon *);
/* Send our bundle on every open connection (after a prekey rotation). */
void peers_announce(struct daemon *);
int peer_is_connected(const struct peer *);
/* 0, -ENOTCONN (no open connection), -ENOBUFS (blocked: wait for drain). */
int peer_send_envelope(struct peer *, const uint8_t *env, size_t len);
/* conn_flushed() of p's link after a send (flight.h marks); 0 without one. */
uint64_t peer_send_mark(const struct peer *);
int peer_send_refused(struct peer *, const uint8_t message_id[ENV1_ID_LEN]);
/* Usable for sending to and receiving from. */
int peer_active(const struct peer *);
/* How to reach the partner's duty officer (its bundle's duty_contact, at
 * most 64 bytes), "" when its bundle gives none. */
const char *peer_duty_contact(const struct peer *);
/* Whether nb holds every revocation old holds (a bundle may add, never
 * drop one). */
int peer_bundle_keeps_revocations(const struct bundle *old, const struct bundle *nb);

/* deliver.c */
/* Queue a received envelope for the next batch (copied). */
void deliver_enqueue(struct daemon *, const uint8_t from[ENV1_KEY_LEN],
    const uint8_t *env, size_t len);
/* The batch: inbound envelopes, waiting seals, flushes. */
void deliver_pump(struct daemon *);
int deliver_has_work(const struct daemon *);
/* A connection to p opened: resend everything unacknowledged. */
void deliver_peer_up(struct daemon *, struct peer *);
/* resync.c (PROTOCOL.md 9.5): link_events.peer_up (asks first when the
 * peer is "resync pending", then deliver_peer_up), and the frames. */
void resync_peer_up(struct daemon *, struct peer *);
int resync_on_request(struct daemon *, struct peer *,
    const struct Homeward__Wire__ResyncRequest *);
void resync_on_state(struct daemon *, struct peer *,
    const struct Homeward__Wire__ResyncState *);
/* Ask again where an answer is overdue (main.c's tick). */
void resync_tick(struct daemon *);
/* Retransmit what is due, seal what waits. */
void deliver_tick(struct daemon *);
/* Alert the gaps held longer than gap_alert_ms (each once). */
void deliver_gap_alerts(struct daemon *);
/* Accept a document into the outbox (committed when this returns 0) and
 * send it when possible.  thread_id all zero: a new thread. */
int deliver_submit(struct daemon *, struct peer *, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    const uint8_t in_reply_to[ENV1_ID_LEN], uint8_t message_id[ENV1_ID_LEN],
    uint8_t thread_out[ENV1_ID_LEN]);
/* The same for the procedure, inside the caller's open transaction, so
 * that the case's state, the audit log and the outbox commit together:
 * the row waits (unsealed) until deliver_kick after the commit.
 * new_thread: create thread_id with p (its key committed first). */
int deliver_queue(struct daemon *, struct peer *, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    int new_thread, uint8_t message_id[ENV1_ID_LEN]);
/* The same naming the document answered (in_reply_to; NULL: none). */
int deliver_queue_reply(struct daemon *, struct peer *, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    int new_thread, const uint8_t *in_reply_to, uint8_t message_id[ENV1_ID_LEN]);
void deliver_kick(struct daemon *, struct peer *);
/* deliver_evidence.c: the evidence bundle (an encoded Evidence) of a sent
 * or received message; -ENOENT, -EAGAIN (not sealed yet) or a store error. */
int deliver_evidence(struct daemon *, const uint8_t message_id[ENV1_ID_LEN],
    uint8_t **out, size_t *outlen);
/* The same without the message's body (body_withheld, PROTOCOL.md 15):
 * delivery stays provable, the document is not in it. */
int deliver_evidence_withheld(struct daemon *,
    const uint8_t message_id[ENV1_ID_LEN], uint8_t **out, size_t *outlen);

/* expiry.c: warn (alert and log) 60, 30 and 7 days before and once a
 * certificate of ours or a partner's signing certificate expires; each
 * step once.  Run at start and with the deadlines. */
void expiry_check(struct daemon *, uint64_t now);
/* The latest not_after of the peer's message-signing certificates valid
 * at now (not revoked); 0 when it has none. */
uint64_t peer_sign_not_after(const struct peer *, uint64_t now);

/* figures.c: what monitoring reads, gathered once for the control
 * socket's status and peer list and for the metrics file. */
struct daemon_figures {
	uint64_t                now;            /* ms */
	uint64_t                started_at;     /* ms */
	uint32_t                peers_total;
	uint32_t                peers_connected;
	struct store_counts     counts;         /* outbox, inbox, alerts */
	struct store_health     health;         /* open alerts, data.db, disk */
	uint64_t                tls_not_after;  /* ms: our TLS certificate */
	uint64_t                dsk_not_after;  /* ms: our signing certificate */
};
struct peer_figures {
	uint64_t                outbox_unacked;
	uint32_t                valid_prekeys;
	uint64_t                prekey_not_after;       /* ms; 0 = none usable */
	uint64_t                dsk_not_after;  /* ms; 0 = no valid certificate */
	uint64_t                unreachable_since;      /* ms; 0 while connected */
	int                     connected;
	int                     suspended;
};
/* 0 or a store error. */
int figures_daemon(struct daemon *, struct daemon_figures *);
void figures_peer(struct daemon *, const struct peer *, uint64_t now,
    struct peer_figures *);

/* metrics.c: when metrics_file is set, the figures are written there, in
 * Prometheus' text format, at start and every minute, atomically; a
 * failure is logged once an hour and never stops the daemon.
 * metrics_start at start and after a reload (the file may have changed),
 * metrics_stop at shutdown. */
void metrics_start(struct daemon *);
void metrics_stop(struct daemon *);

#endif
