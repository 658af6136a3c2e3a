/*
 * The receipts we give (PROTOCOL.md 10, 9.4 receiver step 5): made after
 * the ledger commit, in a second transaction, for each ledger row that
 * needs one, as the next position of our own chain in its thread; a
 * duplicate's stored receipt is queued again, under the rate limit of
 * flight.h.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"
#include "keys/receipt.h"

/* The receipt for ledger row (rik, id): made and sealed when absent, or its
 * stored envelope queued again.  In the open transaction. */
int
deliver_give_receipt(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t id[ENV1_ID_LEN], uint64_t committed_at, struct sendlist *sl)
{
	struct store_in         in;
	struct store_out        m;
	struct receipt          r;
	struct peer            *p = peers_by_rik(d, rik);
	uint8_t                 body[RECEIPT_BODY_LEN];
	uint8_t                *env;
	size_t                  len;
	int                     rc, sealed;

	if (p == NULL)
		return 0;
	if ((rc = store_in_get(d->store, rik, id, &in)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (in.msg_type == ENV1_MSG_DELIVERY_RECEIPT)
		return 0;               /* no receipt for a receipt */
	rc = store_out_get(d->store, in.receipt_id, &m);
	if (rc == 0) {
		if (m.state != OUT_RECEIPT || !peer_is_connected(p))
			return 0;       /* still waiting for a prekey */
		/* A duplicate: the stored receipt again, under flight.h's
		 * limit (the second copy at once, later ones once per
		 * FLIGHT_RERECEIPT_MS and never while one is queued). */
		if (!flight_rr_allow(&p->fl, m.message_id, clock_now())) {
			log_debug("message %s: receipt not re-sent (rate limit)",
			    log_hex(id, ENV1_ID_LEN));
			return 0;
		}
		if ((rc = store_out_envelope(d->store, &m, &env, &len)) != 0)
			/* An erased case's receipt cannot be read again:
			 * that one is not resent, the others are. */
			return rc == -ENOENT || rc == -EBADMSG ? 0 : rc;
		sendlist_add(sl, rik, &m, env, len);
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	if (in.committed_at == 0) {
		in.committed_at = committed_at;
		if ((rc = store_in_set_committed(d->store, rik, id, committed_at)) != 0)
			return rc;
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.message_id, in.message_id, ENV1_ID_LEN);
	memcpy(r.sender_rik, rik, ENV1_KEY_LEN);
	memcpy(r.recipient_rik, d->keys.id.rik_pub, ENV1_KEY_LEN);
	memcpy(r.h_env, in.h_env, ENV1_HASH_LEN);
	memcpy(r.h_inner, in.h_inner, ENV1_HASH_LEN);
	r.received_at = in.received_at;
	r.committed_at = in.committed_at;
	r.status = RECEIPT_STATUS_STORED;
	receipt_encode(&r, body);

	memset(&m, 0, sizeof(m));
	memcpy(m.message_id, in.receipt_id, ENV1_ID_LEN);
	memcpy(m.peer_rik, rik, ENV1_KEY_LEN);
	memcpy(m.thread_id, in.thread_id, ENV1_ID_LEN);
	m.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(m.in_reply_to, in.message_id, ENV1_ID_LEN);
	randombytes_buf(m.content_salt, ENV1_HASH_LEN);
	m.body_len = RECEIPT_BODY_LEN;
	m.created_at = clock_now();
	if ((rc = store_out_insert(d->store, &m, body)) != 0)
		return rc;
	return deliver_seal_one(d, p, &m, sl, &sealed);
}
