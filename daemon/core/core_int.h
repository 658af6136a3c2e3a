/*
 * What the files of core/ share and nothing above uses: the directory's
 * view of links (peer.c, for link.c), and the outbox's send list and
 * sealing (deliver_out.c, for deliver_in.c and the pump in deliver.c).
 * The calls go one way: deliver.c -> deliver_in.c -> quota.c ->
 * deliver_give.c -> deliver_out.c -> deliver_pace.c -> link.c -> peer.c,
 * and flight.c below them all.
 */
#ifndef HOMEWARD_DAEMON_CORE_CORE_INT_H
#define HOMEWARD_DAEMON_CORE_CORE_INT_H

#include "daemon/core/core.h"
#include "proto/envelope.pb-c.h"

/* peer.c */
/* The peer of a link, if it still exists. */
struct peer *peers_of_link(struct link *);
/* Re-point every peer at its newest open link (after a link closes or the
 * directory is reloaded); links whose peer is gone or inactive close. */
void peers_relink(struct daemon *);
/*
 * A Hello under rik, not p's pinned RIK, carrying transition (PROTOCOL.md
 * 16.4): 0 when it is a valid transition from p's RIK to rik (l then
 * awaits the bundle under rik: l->following), or -1, logged, when the
 * connection must close.
 */
int peer_hello_transition(struct link *l, struct peer *p, const uint8_t *rik,
    size_t riklen, const uint8_t *transition, size_t tlen);
/*
 * p follows a RIK transition (PROTOCOL.md 4.4, 16.4): bundle (len bytes)
 * must verify, be under new_rik, carry a valid transition from p's
 * pinned RIK that it has not revoked, keep p's agency id and claim no
 * other peer's RIK or TLS key.  Then p's rows move to new_rik and the one
 * alert asking the operator to verify the new fingerprint is raised, in
 * one transaction; the links and the directory follow.  0, or a negative
 * errno with nothing changed and the reason logged.
 */
int peer_follow(struct daemon *, struct peer *p, const uint8_t new_rik[ENV1_KEY_LEN],
    const uint8_t *bundle, size_t len);

/* deliver_out.c */
/* A receipt of ours to send once the transaction that made it has
 * committed (documents go through the flush, deliver_pace.c). */
struct outgoing {
	uint8_t         rik[ENV1_KEY_LEN];
	uint8_t         id[ENV1_ID_LEN];        /* the receipt's message id */
	uint8_t         thread_id[ENV1_ID_LEN];
	uint8_t        *env;            /* malloc'ed */
	size_t          len;
};

struct sendlist {
	struct outgoing *v;
	size_t          n, cap;
};

/* Queue env (taken: freed by sendlist_flush), the sealed receipt m, for rik. */
void sendlist_add(struct sendlist *, const uint8_t rik[ENV1_KEY_LEN],
    const struct store_out *m, uint8_t *env, size_t len);
/* Send what the list holds when send is set (the transaction committed),
 * then free it. */
void sendlist_flush(struct daemon *, struct sendlist *, int send);
/* Seal m for p (its position committed): a document joins p's flush, a
 * receipt goes to sl; *sealed = 0 when p has no usable prekey yet (m
 * waits). */
int deliver_seal_one(struct daemon *, struct peer *, const struct store_out *m,
    struct sendlist *sl, int *sealed);
/* Seal what waits for every peer that may now have a prekey. */
void deliver_seal_pending(struct daemon *);

/* deliver_pace.c */
/* The next page of p's rows not yet sent on its link, as the window allows. */
size_t deliver_flush_page(struct daemon *, struct peer *);
/* Send thread_id's earlier positions not yet on p's link (before a
 * receipt of ours in it).  0, or -ENOBUFS / -ENOTCONN. */
int deliver_thread_first(struct daemon *, struct peer *,
    const uint8_t thread_id[ENV1_ID_LEN]);
/* Send again what is due on p's link. */
void deliver_retransmit(struct daemon *, struct peer *);
/* Record the copies written out since the last call in the outbox. */
void deliver_record_written(struct daemon *);
/* A receipt for acked committed. */
void deliver_acked(struct peer *, const struct store_out *acked);
/* Walk p's outbox again from the start (what is in flight is skipped). */
void deliver_rewalk(struct peer *);
/* quota.c */
struct env1_opened;
enum quota_verdict {
	QUOTA_ADMIT,            /* store it */
	QUOTA_FULL,             /* data.db is at its cap less the reserve:
	                           not stored, not refused (retransmitted) */
	QUOTA_BREACH,           /* the peer breached a quota: suspended now */
};
/* May the opened envelope o (len bytes) from p be stored?  In the open
 * transaction, before anything is written for it.  0 with *v, or a
 * store error. */
int quota_admit(struct daemon *, struct peer *, const struct env1_opened *o,
    size_t len, enum quota_verdict *v);
/* len more bytes of p's were stored (its ledger row's evidence). */
void quota_stored(const struct peer *, size_t len);
/* The batch was rolled back: what quota_stored counted is gone. */
void quota_forget(void);

/* deliver_give.c */
/* The receipt for ledger row (rik, id): made and sealed when absent, or its
 * stored envelope queued again (rate-limited).  In the open transaction. */
int deliver_give_receipt(struct daemon *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t id[ENV1_ID_LEN], uint64_t committed_at, struct sendlist *);

/* deliver_in.c */
/* Open, order and commit everything that arrived, then receipt it. */
void deliver_inbound_batch(struct daemon *);

/* resync.c: re-synchronisation after a restore (PROTOCOL.md 9.5). */
int peer_send_frame(struct peer *, Homeward__Wire__Frame *);
int resync_holds(struct daemon *, struct peer *);
int resync_tolerates(struct daemon *, struct peer *);

#endif
