/*
 * The store's side of the re-synchronisation after a restore (PROTOCOL.md
 * 9.5, daemon/core/resync.c): the per-peer "resync pending" flag, the
 * store instance nonce that tells a copied-back data.db, and the queries
 * and updates of both roles (the restored agency that asks, the partner
 * that answers).
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_RESYNC_H
#define HOMEWARD_DAEMON_STORE_STORE_RESYNC_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"

struct store;

/* Mark every peer "resync pending" (after a restore; autocommits). */
int store_resync_mark_all(struct store *);
/* *pending: the peer's flag. */
int store_resync_pending(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    int *pending);
/* Clear the peer's flag (autocommits when no transaction is open). */
int store_resync_clear(struct store *, const uint8_t rik[ENV1_KEY_LEN]);

/*
 * The instance nonce: a fresh one at every start, kept in data.db and in
 * dir/STORE_INSTANCE_FILE.  *restored = 1 when both existed and differ
 * (data.db was put back from an older copy): every peer is then marked.
 */
#define STORE_INSTANCE_FILE     "data.db.instance"
int store_resync_instance(struct store *, const char *dir, int *restored);

/* --- the restored side ------------------------------------------------- */

struct store_resync_claim {
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        sent_seq;       /* our chain: last sealed */
	uint64_t        received_seq;   /* the peer's chain: last in order */
};

/* Our threads with peer whose id is above after (NULL: all), by id, at
 * most max. */
int store_resync_claims(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t *after, struct store_resync_claim *v, size_t max, size_t *n);

/* One position of our chain the peer holds (ResyncHeld). */
struct store_resync_held {
	uint8_t         message_id[ENV1_ID_LEN];
	uint16_t        msg_type;
	uint8_t         h_env[ENV1_HASH_LEN];
	uint8_t         h_inner[ENV1_HASH_LEN];
};

/* A waiting (never sealed here) outbox row of peer in thread with this id
 * becomes delivered, with the hashes the peer holds and the id of its
 * receipt if our ledger has it already (else none yet: the receipt, when
 * it comes again, fills it).  *found: 1 it was
 * waiting and is marked, 2 it exists in another state (its receipt will
 * come), 0 no such row (lost here).  In the open transaction. */
int store_resync_mark_held(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], const struct store_resync_held *,
    uint64_t at, int *found);
/* Our chain moves to position seq with H_inner h: the thread's sealed_seq
 * and out_last_h_inner, and the rows still waiting renumbered after seq in
 * their order (out_seq follows).  Only forward; in the open transaction.
 * The thread is created when unknown. */
int store_resync_forward(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t seq,
    const uint8_t h[ENV1_HASH_LEN], uint64_t now);
/* Our case code of thread ("" when none). */
int store_resync_case_code(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    char *code, size_t len);

/* --- the answering side ------------------------------------------------ */

struct store_resync_thread {
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        own_seq;        /* our chain: last sealed */
	uint64_t        in_seq;         /* the requester's chain in order */
	uint8_t         in_last_h_inner[ENV1_HASH_LEN];
};

/* Our threads with peer in (after, upto] (NULL: no bound), by id, at most
 * max. */
int store_resync_threads(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t *after, const uint8_t *upto, struct store_resync_thread *v,
    size_t max, size_t *n);
/* The peer's messages of thread held in order above position from, by
 * position, at most max; *more when there are others. */
int store_resync_held_list(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from,
    struct store_resync_held *v, size_t max, size_t *n, int *more);
/* Our delivered documents of thread for peer above position from whose
 * envelope we hold are unacknowledged again (the peer lost them: they are
 * retransmitted and receipted anew); *n how many.  In the open
 * transaction. */
int store_resync_requeue(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from, uint64_t *n);
/* Our receipts of thread for peer above position from, by position, at
 * most max (message ids). */
int store_resync_receipts(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], uint64_t from,
    uint8_t (*ids)[ENV1_ID_LEN], size_t max, size_t *n);

#endif
