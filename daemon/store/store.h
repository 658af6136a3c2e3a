/*
 * The room daemon/store/.  It owns every SQL statement of the daemon, both
 * of its databases (data.db and keystore.db), their schema and numbered
 * migrations, and the audit chain (audit.h): nothing outside this room
 * speaks SQL or opens either file.
 *
 * It may call daemon/base/ (log, clock, config), daemon/rules/ (for the
 * types its rows carry), keys/ (at-rest encryption: column blobs, wrapped
 * keys) and common/; nothing above it (daemon/core, daemon/case,
 * daemon/ctl call into it; daemon/net does not know it).
 *
 * Its files, each calling only those listed after it:
 *   store_erasures.c the erasure journal replayed (store_backup.h)
 *   audit.c          the audit chain: its mac, appending, the anchor,
 *                    verification (audit.h)
 *   store_backup.c   backup files and their restore (store_backup.h)
 *   store_resync.c   peers marked for resync after a restore
 *                    (store_resync.h)
 *   store_cases.c    cases, erasure, case threads (store_case.h)
 *   store_consents.c consent records (store_case.h)
 *   store_report.c   a thread's message ids for case reports (store_case.h)
 *   store_held.c     held documents (store_case.h)
 *   store_alerts.c   the alerts table (store.h, store_case.h)
 *   store_msgs.c     outbox, inbox, counts
 *   store_peers.c    peers, thread chains
 *   store_unacked.c  a case's messages no receipt confirmed (erasure)
 *   store_resync.c   after a restore: the per-peer flag, the instance
 *                    nonce, both sides' rows (store_resync.h)
 *   store_audit.c    the audit table's rows and anchor (store_audit.h)
 *   store.c          open, close, size limit, transactions
 *   store_request.c  control request ids, written by store.c's commit
 *   store_schema.c   the migrations of both databases
 *   store_keys.c     keystore.db: case keys, shredding, prekey secrets
 *   store_journal.c  the erasure journal's file: a record before each
 *                    erasure (store_int.h)
 *   store_sql.c      statement cache, errors, column readers (store_int.h)
 */
/*
 * The daemon's store: the only module that speaks SQL (crypto-env1.md 4).
 *
 *   data.db      peers, threads, the outbox, the inbox (the receiver's
 *                ledger), alerts.  Sensitive columns (bodies, envelopes,
 *                evidence) are column blobs under the case key of their
 *                thread (keys/atrest.h); ids, hashes, positions and states
 *                are cleartext for routing and dedup.
 *   keystore.db  case_keys (wrapped per-case DEKs), spk_secrets (our
 *                wrapped prekey secrets), shred_log.  secure_delete on, and
 *                the WAL truncated after every deletion, so a destroyed key
 *                survives in neither the file nor its WAL.
 *
 * Both run in WAL mode with synchronous=FULL: a row counts only after its
 * COMMIT returned.  Writes to data.db happen between store_begin and
 * store_commit (one transaction per batch: group commit); a failed commit
 * is rolled back whole, and the caller treats the batch as never done.
 * A case key is created and committed in keystore.db before any data.db
 * row that needs it, so a crash never leaves ciphertext without its key.
 *
 * Functions return 0, -ENOENT (no such row), -EEXIST, -ENOSPC (disk or
 * page limit full), -EIO (any other SQLite failure, logged with the
 * statement) or -EBADMSG (a blob that does not decrypt: never ignored).
 * Thread ids double as case ids for the at-rest keys until the procedure
 * gives cases their own ids.
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_H
#define HOMEWARD_DAEMON_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/atrest.h"
#include "keys/env1.h"
#include "keys/stmt.h"

struct store;

/* Open (creating when absent) dir/data.db and dir/keystore.db and run the
 * migrations.  ksk: the keystore key from daemon.key (copied into secret
 * memory; the wrapping keys are derived here).  *cause malloc'ed on error. */
int store_open(const char *dir, const uint8_t ksk[ATREST_KEY_LEN],
    struct store **out, char **cause);
void store_close(struct store *);               /* NULL ok */

/* Cap data.db at this many pages (PRAGMA max_page_count): the operator's
 * quota, and how the tests show what a full disk does. */
int store_set_max_pages(struct store *, uint32_t pages);
/* The same cap in megabytes (0: the largest SQLite allows). */
int store_set_max_mb(struct store *, uint64_t mb);

int store_begin(struct store *);                /* BEGIN IMMEDIATE on data.db */
int store_commit(struct store *);               /* -ENOSPC/-EIO: rolled back */
void store_rollback(struct store *);            /* no-op outside a transaction */
int store_in_tx(const struct store *);
/* The open transaction still stands (SQLite may roll all of it back on
 * a full disk, where it usually rolls back only the statement). */
int store_tx_alive(const struct store *);
/* A savepoint inside the open transaction, for one item of a batch: an
 * item that fails alone is undone alone. */
int store_savepoint(struct store *);
int store_savepoint_release(struct store *);
void store_savepoint_rollback(struct store *);

/* --- control requests (store_request.c) ------------------------------- */

/* The CLI's id of one submission (control.proto Request.request_id). */
#define STORE_REQUEST_ID_LEN    16

/* From here until store_request_disarm, every commit of data.db that
 * writes more than the audit log also records request id, in the same
 * transaction, with the ids of the outbox and held rows it inserted. */
void store_request_arm(struct store *, const uint8_t id[STORE_REQUEST_ID_LEN],
    uint32_t kind, uint64_t now);
void store_request_disarm(struct store *);

/* A request already carried out: its kind (the Request's oneof case), when,
 * and the ids (STORE_REQUEST_ID_LEN each) of the messages it queued and of
 * the documents it held.  Free with store_request_clear. */
struct store_request {
	uint32_t        kind;
	uint64_t        at;
	uint8_t        *out_ids;
	size_t          nout;
	uint8_t        *held_ids;
	size_t          nheld;
};

/* -ENOENT when the id is unknown (never seen, or collected). */
int store_request_get(struct store *, const uint8_t id[STORE_REQUEST_ID_LEN],
    struct store_request *out);
void store_request_clear(struct store_request *);
/* Forget the requests carried out before this time (ms). */
int store_request_collect(struct store *, uint64_t before);

/* --- peers ------------------------------------------------------------ */

struct store_peer {
	uint8_t         rik[ENV1_KEY_LEN];
	char            agency_id[64];
	char            endpoint[256];          /* empty: the bundle's */
	int             verified;
	int             suspended;
	uint64_t        imported_at;
	uint64_t        last_seen_at;
	uint64_t        quota_from;             /* its quotas count from then
	                                           (resumed); read only */
	uint8_t        *bundle;                 /* encoded Bundle, malloc'ed */
	size_t          bundle_len;
};

void store_peer_clear(struct store_peer *);     /* frees bundle; NULL ok */
/* Insert or replace by rik (-EEXIST when agency_id belongs to another rik).
 * Autocommits when no transaction is open. */
int store_peer_put(struct store *, const struct store_peer *);
int store_peer_delete(struct store *, const uint8_t rik[ENV1_KEY_LEN]);
/*
 * A peer followed a RIK transition (PROTOCOL.md 4.4, 16.4): its row and
 * every row that names it by RIK (threads, outbox, inbox, alerts, case
 * threads, held documents) move from old_rik to new_rik, and its bundle
 * becomes the new one; its verified flag stays.  In the open transaction
 * (the caller's, so that all of it commits or none).  -ENOENT when no peer
 * has old_rik, -EEXIST when a peer already has new_rik.
 */
int store_peer_rekey(struct store *, const uint8_t old_rik[ENV1_KEY_LEN],
    const uint8_t new_rik[ENV1_KEY_LEN], const uint8_t *bundle, size_t bundle_len);
/* Every peer, ordered by agency id; *out malloc'ed array. */
int store_peer_list(struct store *, struct store_peer **out, size_t *n);
void store_peer_list_free(struct store_peer *, size_t n);
/* Messages of this peer not yet receipted (outbox, documents only). */
int store_peer_unacked(struct store *, const uint8_t rik[ENV1_KEY_LEN], uint64_t *n);
/* Suspend the peer (store_quota.c: a quota breached); in the open
 * transaction. */
int store_peer_suspend(struct store *, const uint8_t rik[ENV1_KEY_LEN]);

/* --- quotas (store_quota.c) ------------------------------------------- */

/* What one partner takes: the bytes of its ledger rows, the threads it
 * opened and the cases its requests opened in the last day, the alerts its
 * messages raised in the last hour (an aggregated alert counts each
 * time). */
struct store_use {
	uint64_t        bytes;
	uint64_t        threads_day;
	uint64_t        cases_day;
	uint64_t        alerts_hour;
};
#define STORE_USE_BYTES         1u
#define STORE_USE_THREADS       2u
#define STORE_USE_CASES         4u
#define STORE_USE_ALERTS        8u
/* The counts asked for in what (STORE_USE_* bits), nothing from before
 * from (ms; the peer's quota_from); opened_by is the cases' opened_by of
 * that partner ("peer AGENCY"). */
int store_peer_use(struct store *, const uint8_t rik[ENV1_KEY_LEN],
    const char *opened_by, uint64_t now, uint64_t from, unsigned what,
    struct store_use *);
/* Bytes data.db holds (free pages not counted) and its cap. */
void store_data_room(struct store *, uint64_t *used, uint64_t *max);
/* Cap keystore.db (0: the largest SQLite allows). */
int store_set_max_keys_mb(struct store *, uint64_t mb);

/* --- threads ------------------------------------------------------------ */

/* Both hash chains of a thread with one peer: ours (what we sign) and the
 * peer's (what we accepted in order). */
struct store_thread {
	uint8_t         thread_id[ENV1_ID_LEN];
	uint8_t         peer_rik[ENV1_KEY_LEN];
	uint64_t        out_seq;                /* last position we assigned */
	uint64_t        sealed_seq;             /* last position we sealed */
	uint8_t         out_last_h_inner[ENV1_HASH_LEN];
	uint64_t        in_seq;                 /* peer's last in-order position */
	uint8_t         in_last_h_inner[ENV1_HASH_LEN];
};

int store_thread_get(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    struct store_thread *out);
/* Create a thread row (in the open transaction) and its case key
 * (committed in keystore.db first). */
int store_thread_create(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    const uint8_t peer_rik[ENV1_KEY_LEN], uint64_t now);
int store_thread_put(struct store *, const struct store_thread *);
/* The peer's side of the chain alone (in_seq, in_last_h_inner). */
int store_thread_put_in(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t in_seq, const uint8_t in_last_h_inner[ENV1_HASH_LEN]);

/* --- outbox ------------------------------------------------------------ */

enum store_out_state {
	OUT_WAITING   = 0,      /* positions persisted, not sealed yet (no prekey) */
	OUT_SEALED    = 1,      /* sealed, awaiting its receipt */
	OUT_DELIVERED = 2,      /* receipt verified and stored */
	OUT_RECEIPT   = 3,      /* a receipt we sealed: nothing acknowledges it */
};

const char *store_out_state_name(int state);

struct store_out {
	uint8_t         message_id[ENV1_ID_LEN];
	uint8_t         peer_rik[ENV1_KEY_LEN];
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;
	uint16_t        msg_type;
	uint8_t         in_reply_to[ENV1_ID_LEN];
	uint8_t         content_salt[ENV1_HASH_LEN];
	uint64_t        body_len;
	uint64_t        created_at;
	int             state;
	uint8_t         h_env[ENV1_HASH_LEN];   /* set once sealed */
	uint8_t         h_inner[ENV1_HASH_LEN];
	uint32_t        attempts;
	uint64_t        sent_at;
	uint64_t        next_attempt_at;
	uint64_t        delivered_at;
	uint8_t         receipt_id[ENV1_ID_LEN];        /* the receipt's message id */
	int64_t         rowid;                  /* insertion order, for paging */
};

/* Insert a new message (state OUT_WAITING) with its body, in the open
 * transaction: m->seq is assigned here from the thread (out_seq + 1) and
 * the thread updated.  Everything else is the caller's. */
int store_out_insert(struct store *, struct store_out *m, const uint8_t *body);
int store_out_get(struct store *, const uint8_t message_id[ENV1_ID_LEN],
    struct store_out *out);
/* The body, decrypted into secret memory (secret_free). */
int store_out_body(struct store *, const struct store_out *, uint8_t **body);
/* Record a seal: envelope, TBS and signature stored (encrypted), state
 * sealed (or OUT_RECEIPT for a receipt), and the thread's chain advanced:
 * sealed_seq = m->seq, out_last_h_inner = h_inner. */
int store_out_sealed(struct store *, const uint8_t message_id[ENV1_ID_LEN],
    const uint8_t *env, size_t env_len, const uint8_t h_env[ENV1_HASH_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN], const uint8_t tbs[ENV1_TBS_LEN],
    const uint8_t sig[ENV1_SIG_LEN]);
/* The stored envelope (malloc'ed: it is ciphertext already). */
int store_out_envelope(struct store *, const struct store_out *, uint8_t **env,
    size_t *len);
/* TBS and signature as sealed. */
int store_out_signed(struct store *, const struct store_out *,
    uint8_t tbs[ENV1_TBS_LEN], uint8_t sig[ENV1_SIG_LEN]);
/* A transmission: attempts + 1, sent_at, next_attempt_at. */
int store_out_transmitted(struct store *, const uint8_t message_id[ENV1_ID_LEN],
    uint64_t sent_at, uint64_t next_attempt_at);
/* The receipt arrived (in the open transaction). */
int store_out_delivered(struct store *, const uint8_t message_id[ENV1_ID_LEN],
    const uint8_t receipt_id[ENV1_ID_LEN], uint64_t at);
int store_out_find_h_inner(struct store *, const uint8_t h_inner[ENV1_HASH_LEN],
    struct store_out *out);

/* Iterate: the callback returns 0 to go on, 1 to stop, <0 to fail. */
typedef int (*store_out_cb)(const struct store_out *, void *arg);
/* Sealed messages for peer awaiting a receipt with rowid > *cursor,
 * in insertion order, at most limit; due_before != 0 keeps only those
 * whose next_attempt_at <= due_before.  *cursor advances. */
int store_out_each_unacked(struct store *, const uint8_t peer_rik[ENV1_KEY_LEN],
    uint64_t due_before, int64_t *cursor, unsigned limit, store_out_cb, void *arg);
/* Waiting (unsealed) messages for peer in (thread, seq) order. */
int store_out_each_waiting(struct store *, const uint8_t peer_rik[ENV1_KEY_LEN],
    store_out_cb, void *arg);
/* store_outq.c: the sealed, unacknowledged messages of thread_id for peer
 * after outbox row `after`, in row order (cb's non-zero stops; negative
 * is returned). */
typedef int (*store_outq_cb)(int64_t rowid, const uint8_t message_id[ENV1_ID_LEN],
    void *arg);
int store_out_thread_unacked(struct store *, const uint8_t peer_rik[ENV1_KEY_LEN],
    const uint8_t thread_id[ENV1_ID_LEN], int64_t after, store_outq_cb, void *arg);

/* --- inbox: the ledger ------------------------------------------------- */

enum store_in_state {
	IN_ACCEPTED = 1,        /* in order: the current state of its thread */
	IN_GAP_HELD = 2,        /* stored, waiting for an earlier position */
};

const char *store_in_state_name(int state);

struct store_in {
	uint8_t         sender_rik[ENV1_KEY_LEN];
	uint8_t         message_id[ENV1_ID_LEN];
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;
	uint16_t        msg_type;
	uint8_t         h_env[ENV1_HASH_LEN];
	uint8_t         h_inner[ENV1_HASH_LEN];
	uint8_t         prev_hash[ENV1_HASH_LEN];
	uint8_t         in_reply_to[ENV1_ID_LEN];
	uint8_t         semantic[ENV1_HASH_LEN];
	int             state;
	uint64_t        created_at;             /* sender's clock */
	uint64_t        received_at;
	uint64_t        committed_at;
	uint64_t        body_len;
	uint8_t         receipt_id[ENV1_ID_LEN];        /* our receipt; zero for receipts */
};

int store_in_get(struct store *, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], struct store_in *out);
/* By message id alone (ids are random: the sender is a filter for the
 * ledger, not needed to find a row). */
int store_in_get_id(struct store *, const uint8_t message_id[ENV1_ID_LEN],
    struct store_in *out);
/* Insert a ledger row with its evidence (an encoded SignedMessage,
 * encrypted here under the thread's case key), in the open transaction.
 * -EEXIST when (sender, message_id) exists (UNIQUE). */
int store_in_insert(struct store *, const struct store_in *,
    const uint8_t *evidence, size_t evidence_len);
int store_in_set_state(struct store *, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], int state);
/* committed_at, once the commit of the row has returned (the receipt
 * carries it). */
int store_in_set_committed(struct store *, const uint8_t sender_rik[ENV1_KEY_LEN],
    const uint8_t message_id[ENV1_ID_LEN], uint64_t at);
/* The held message of thread at position seq, if any. */
int store_in_held_at(struct store *, const uint8_t thread_id[ENV1_ID_LEN],
    uint64_t seq, struct store_in *out);
/* The evidence record, decrypted (secret memory, secret_free). */
int store_in_evidence(struct store *, const struct store_in *, uint8_t **ev,
    size_t *len);

/* --- listings and counts for the operator ------------------------------ */

struct store_counts {
	uint64_t        out_unacked;            /* documents sealed or waiting, no receipt */
	uint64_t        out_waiting;
	uint64_t        oldest_unacked_at;
	uint8_t         oldest_unacked_id[ENV1_ID_LEN];
	uint64_t        in_total;
	uint64_t        in_gap_held;
	uint64_t        alerts;
};

int store_counts(struct store *, struct store_counts *);

/* Figures for monitoring, and whether a warning was given (store_health.c). */
struct store_health {
	uint64_t        open_alerts;            /* not acknowledged */
	uint64_t        urgent_alerts;          /* urgent ones among them */
	uint64_t        oldest_urgent_at;       /* ms; 0 = none */
	uint64_t        data_bytes;             /* data.db pages in use */
	uint64_t        data_max_bytes;         /* its cap; 0 = none */
	uint64_t        disk_free_bytes;        /* left on its file system */
};

int store_health(struct store *, struct store_health *);
/* *found: an alert of this kind about this peer (NULL: about none) was
 * raised at or after since, acknowledged or not. */
int store_alert_since(struct store *, const char *kind, const uint8_t *peer_rik,
    uint64_t since, int *found);

/* Newest first, created_at < before (0: no bound), at most limit; peer
 * NULL for all, state -1 for all.  The inbox listing leaves out receipts
 * (they are the outbox's delivery state), the outbox listing keeps them. */
int store_out_list(struct store *, const uint8_t *peer_rik, int state,
    uint64_t before, unsigned limit, store_out_cb, void *arg);
typedef int (*store_in_cb)(const struct store_in *, void *arg);
int store_in_list(struct store *, const uint8_t *peer_rik, int state,
    uint64_t before, unsigned limit, store_in_cb, void *arg);

/* --- alerts -------------------------------------------------------------- */

/* kind: "equivocation", "thread_order", "gap", ...; detail names ids only.
 * evidence (may be NULL) is kept encrypted when thread_id names a case with
 * a key, in clear otherwise (it is signed public metadata then). */
int store_alert_add(struct store *, const char *kind, const uint8_t *peer_rik,
    const uint8_t *message_id, const uint8_t *thread_id, const char *detail,
    const uint8_t *evidence, size_t evidence_len, uint64_t at);
/* Every alert runs alert_command until it succeeds (store_case.h has the
 * rows: store_alert_pending, store_alert_notified).  Without a command,
 * mark every pending alert done. */
int store_alert_quiet(struct store *);

/* The lowest position held in a thread for an earlier one since before
 * `before`, not yet alerted (gap_alert_ms): one alert per gap, not per
 * message held behind it. */
struct store_gap {
	uint8_t         sender_rik[ENV1_KEY_LEN];
	uint8_t         message_id[ENV1_ID_LEN];
	uint8_t         thread_id[ENV1_ID_LEN];
	uint64_t        seq;
};
int store_alert_gaps_due(struct store *, uint64_t before, unsigned limit,
    struct store_gap *out, size_t *n);

/* --- keystore: our prekey secrets --------------------------------------- */

struct store_spk {
	struct stmt_spk stmt;
	uint8_t         wrapped[ATREST_WRAPPED_LEN];
};

/* Insert unless present (committed at once in keystore.db). */
int store_spk_put(struct store *, const struct store_spk *);
int store_spk_list(struct store *, struct store_spk **out, size_t *n);
/* Unwrap a prekey secret into sk (secret memory, 32 bytes). */
int store_spk_unwrap(struct store *, const struct store_spk *, uint8_t *sk);
/* Wrap a fresh secret for spk_id. */
int store_spk_wrap(struct store *, uint64_t spk_id, const uint8_t *sk,
    uint8_t wrapped[ATREST_WRAPPED_LEN]);
/* Delete the secrets whose retain_until has passed, through the shredding
 * path (secure_delete, WAL truncated); *deleted counts them. */
int store_spk_expire(struct store *, uint64_t now, unsigned *deleted);

/* Destroy a case's key (crypto-shredding, crypto-env1.md 4.3): the row is
 * deleted, the WAL truncated, the cached key wiped; every read of the case
 * fails afterwards.  The erasure journal records it first (one thread's
 * key: a restore must not bring it back; store_backup.h). */
int store_case_shred(struct store *, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now);

#endif
