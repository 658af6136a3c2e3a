/*
 * The audit log (design.md 4): every consent, send, receipt, override,
 * read of case data by an operator, and erasure, appended to data.db in a
 * hash chain that `homeward audit verify` checks.
 *
 * Entry i carries mac_i = BLAKE2b-256 keyed with K_audit (kdf(1,
 * "HWAUDIT1", KSK)) over
 *
 *   "HWAUDIT1" || mac_{i-1} (32 zero bytes for i = 1) || u64be(seq) ||
 *   u64be(at) || for each of actor, action, case_code, message_id (0 or
 *   16 bytes), detail: u32be(len) || bytes
 *
 * Keyed, so someone who edits data.db with sqlite3 cannot recompute the
 * chain.  The anchor in keystore.db (audit_head: the seq and mac of the
 * newest entry known committed) is advanced only after a commit and
 * never moves back: it may lag by a crash but never leads, and it catches
 * rows deleted from the tail, which the chain alone cannot.
 *
 * What the anchor cannot catch: someone who can write keystore.db may set
 * it back to an older (seq, mac) and then delete the entries after it.
 */
#ifndef HOMEWARD_DAEMON_STORE_AUDIT_H
#define HOMEWARD_DAEMON_STORE_AUDIT_H

#include <stdint.h>

struct store;

/* Actions, chosen by the callers; free strings to the log itself. */
#define AUDIT_CASE_OPEN         "case.open"
#define AUDIT_CONSENT_RECORD    "consent.record"
#define AUDIT_CONSENT_WITHDRAW  "consent.withdraw"
#define AUDIT_SEND              "send"
#define AUDIT_HOLD              "hold"
#define AUDIT_RELEASE           "release"
#define AUDIT_RECEIVE           "receive"
#define AUDIT_RECEIPT           "receipt"
#define AUDIT_OVERRIDE          "override"
#define AUDIT_APPROVE           "approve"
#define AUDIT_READ              "read"
#define AUDIT_ERASE             "erase"
#define AUDIT_ALERT             "alert"
#define AUDIT_ALERT_ACK         "alert.ack"
#define AUDIT_CASE_CLOSE        "case.close"
#define AUDIT_CASE_UPDATE       "case.update"   /* detail: field names only */
#define AUDIT_CANCEL            "cancel"
#define AUDIT_HOLD_APPROVAL     "hold.approval"
#define AUDIT_OUTCOME           "arrival.outcome"
#define AUDIT_CASE_REOPEN       "case.reopen"
#define AUDIT_PEER_QUOTA        "peer.quota"    /* suspended: a quota breached */
#define AUDIT_BACKUP            "backup"        /* detail: bytes and sha256 */
#define AUDIT_RESTORE           "restore"       /* detail: bytes; erased again */
#define AUDIT_REPORT            "report"        /* case report or notice made:
                                                   detail: for whom */

#define AUDIT_MAC_LEN           32
#define AUDIT_ID_LEN            16
#define AUDIT_DOMAIN            "HWAUDIT1"

struct audit_entry {
	uint64_t        seq;                    /* 1, 2, ... without gaps */
	uint64_t        at;                     /* caller's clock (ms) */
	char            actor[64];              /* operator name or "daemon" */
	char            action[32];             /* AUDIT_* */
	char            case_code[64];          /* empty: no case */
	uint8_t         message_id[AUDIT_ID_LEN];
	int             has_message_id;
	char            detail[256];            /* ids and codes only */
	uint8_t         mac[AUDIT_MAC_LEN];
};

/* mac over the canonical encoding above, from e's fields (e->mac is not
 * read).  Pure: the store calls it with K_audit. */
void audit_mac(const uint8_t key[32], const uint8_t prev[AUDIT_MAC_LEN],
    const struct audit_entry *e, uint8_t out[AUDIT_MAC_LEN]);

/* Append in the caller's open data.db transaction if one is open
 * (store_in_tx), else in a transaction of its own.  In the caller's
 * transaction the anchor is the caller's to advance, with
 * audit_anchor_sync after store_commit returned; an own transaction
 * advances it here (a failure to is logged: the entry stands).
 *
 * actor and action must be non-empty; case_code, message_id and detail
 * may be NULL.  Strings are cut to the field sizes of struct audit_entry
 * (at a UTF-8 character boundary).  detail must never hold personal data:
 * ids, codes and counts only; the log outlives every case it names.
 * 0, -EINVAL, -ENOSPC, -EIO (store.h). */
int audit_append(struct store *, const char *actor, const char *action,
    const char *case_code, const uint8_t *message_id, const char *detail,
    uint64_t now);

/* Write the newest committed entry's seq and mac to the anchor.  It never
 * moves back, nor on from an entry that no longer has the anchor's mac
 * (-EBADMSG, logged: the log was cut, perhaps grown back since), so that
 * audit_verify keeps reporting it.  -EBUSY inside an open transaction:
 * the entry read might still be rolled back. */
int audit_anchor_sync(struct store *);

/* Verify the whole chain in seq order: seqs contiguous from 1, each row
 * well formed, its prev column equal to the previous mac, its mac
 * recomputed equal; then the anchor: its seq not beyond the last entry and
 * the mac there equal to its mac.
 *
 * 0: intact, *checked = the number of entries.  -EBADMSG: broken,
 * *checked = the entries before the break, *first_bad and *why:
 *   "sequence gap"          the first missing seq
 *   "malformed entry"       that entry (a column of the wrong type or size)
 *   "link mismatch"         that entry (its prev is not the previous mac)
 *   "mac mismatch"          that entry (edited, or not made with K_audit)
 *   "anchor mismatch"       the anchor's seq (that entry was replaced)
 *   "anchor beyond the end: entries deleted"
 *                           last seq + 1: entries from there to the
 *                           anchor's seq are gone
 *   "anchor missing"        0 (the audit_head row was deleted)
 * Other errors as store.h (*why NULL). */
int audit_verify(struct store *, uint64_t *checked, uint64_t *first_bad,
    const char **why);

/* The callback returns 0 to go on, 1 to stop, <0 to fail (returned). */
typedef int (*audit_cb)(const struct audit_entry *, void *arg);

/* Entries in seq order with seq > after, at most limit (0: 100),
 * case_code NULL for all.  Listing checks nothing: audit_verify does. */
int audit_list(struct store *, const char *case_code, uint64_t after,
    unsigned limit, audit_cb, void *arg);

#endif
