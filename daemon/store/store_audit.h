/*
 * What audit.c asks of the store (store_audit.c): the audit table's rows in
 * data.db, the anchor in keystore.db and the MAC key.  The chain itself is
 * audit.c's; nothing here computes or checks a mac.
 */
#ifndef HOMEWARD_DAEMON_STORE_STORE_AUDIT_H
#define HOMEWARD_DAEMON_STORE_STORE_AUDIT_H

#include <stdint.h>

#include "daemon/store/audit.h"

struct store;

/* K_audit (32 bytes, secret memory owned by the store). */
const uint8_t *store_audit_key(const struct store *);

/* The newest row: its seq and mac; seq 0 and a zero mac when empty. */
int store_audit_tail(struct store *, uint64_t *seq, uint8_t mac[AUDIT_MAC_LEN]);
/* The mac of entry seq: -ENOENT when there is none. */
int store_audit_mac_at(struct store *, uint64_t seq, uint8_t mac[AUDIT_MAC_LEN]);
/* Insert e (seq, mac and all) with its prev, in the open transaction.
 * -EEXIST when e->seq is taken. */
int store_audit_insert(struct store *, const struct audit_entry *e,
    const uint8_t prev[AUDIT_MAC_LEN]);

/* One row as read.  malformed: a column of the wrong type or size (a text
 * too long for its field or holding a NUL, a blob of the wrong length);
 * e is then filled as far as it goes, and prev may be zero. */
typedef int (*store_audit_cb)(const struct audit_entry *e,
    const uint8_t prev[AUDIT_MAC_LEN], int malformed, void *arg);
/* Rows in seq order with seq > after, at most limit (0: no limit),
 * case_code NULL for all.  The callback returns 0, 1 (stop) or <0. */
int store_audit_each(struct store *, const char *case_code, uint64_t after,
    unsigned limit, store_audit_cb, void *arg);

/* The anchor: -ENOENT when its row is gone. */
int store_audit_anchor_get(struct store *, uint64_t *seq,
    uint8_t mac[AUDIT_MAC_LEN]);
/* Move the anchor to (seq, mac) if it is behind seq; *moved says whether. */
int store_audit_anchor_put(struct store *, uint64_t seq,
    const uint8_t mac[AUDIT_MAC_LEN], int *moved);

#endif
