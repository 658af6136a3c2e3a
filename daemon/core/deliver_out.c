/*
 * The outbox (crypto-env1.md 2.6 to 2.8): a document's ids, salt and
 * thread position are committed before it is sealed; it is sealed once,
 * in thread order (prev_hash is the H_inner of the message before it),
 * and the same envelope is sent again until a receipt arrives, so the
 * hash chain never forks.  A message whose peer has no valid prekey
 * waits, with its position, until a bundle brings one.  When and how
 * often an envelope goes on the wire is deliver_pace.c's.
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
#include "daemon/store/audit.h"
#include "keys/evidence.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "proto/refcat.h"

void
sendlist_add(struct sendlist *sl, const uint8_t rik[ENV1_KEY_LEN],
    const struct store_out *m, uint8_t *env, size_t len)
{
	if (sl->n == sl->cap) {
		size_t ncap = sl->cap ? sl->cap * 2 : 16;
		struct outgoing *nv = realloc(sl->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			/* Not sent now: the peer's retransmission asks again. */
			free(env);
			return;
		}
		sl->v = nv;
		sl->cap = ncap;
	}
	memcpy(sl->v[sl->n].rik, rik, ENV1_KEY_LEN);
	memcpy(sl->v[sl->n].id, m->message_id, ENV1_ID_LEN);
	memcpy(sl->v[sl->n].thread_id, m->thread_id, ENV1_ID_LEN);
	sl->v[sl->n].env = env;
	sl->v[sl->n].len = len;
	sl->n++;
}

void
sendlist_flush(struct daemon *d, struct sendlist *sl, int send)
{
	for (size_t i = 0; i < sl->n; i++) {
		struct outgoing *o = &sl->v[i];
		struct peer *p = send ? peers_by_rik(d, o->rik) : NULL;

		/* A receipt is a position of our chain in its thread: the
		 * earlier ones not yet sent on this link go first (9.4). */
		if (p != NULL && p->flushing && deliver_thread_first(d, p, o->thread_id) != 0)
			p = NULL;
		if (p != NULL && peer_send_envelope(p, o->env, o->len) == 0)
			flight_rr_sent(&p->fl, o->id, clock_now(), peer_send_mark(p));
		free(o->env);
	}
	free(sl->v);
	memset(sl, 0, sizeof(*sl));
}

/* --- sealing --------------------------------------------------------------- */

/* A document was sealed: it goes out through the flush, in row order
 * behind whatever of p's has not gone on this link yet, never ahead of it
 * (9.4).  A row below the cursor (sealed late) moves the cursor back: the
 * rows in flight are skipped on the way. */
static int
flush_from(struct daemon *d, struct peer *p, const struct store_out *m)
{
	struct store_out        row;
	int64_t                 rowid = m->rowid;
	int                     rc;

	if (rowid == 0) {
		if ((rc = store_out_get(d->store, m->message_id, &row)) != 0)
			return rc;
		rowid = row.rowid;
	}
	if (rowid - 1 < p->flush_cursor)
		p->flush_cursor = rowid - 1;
	p->flushing = 1;
	daemon_wake(d);
	return 0;
}

/*
 * Seal m if it is next in its thread and the peer has a valid prekey; in
 * the open transaction.  A document joins p's flush (deliver_pace.c sends
 * it, in row order); a receipt's envelope goes to sl when p is connected.
 * 0 (sealed, or must keep waiting: *sealed says which) or a store error.
 */
int
deliver_seal_one(struct daemon *d, struct peer *p, const struct store_out *m,
    struct sendlist *sl, int *sealed)
{
	struct store_thread     t;
	struct env1_seal_params prm;
	struct env1_sealed      out;
	const struct stmt_spk  *spk;
	uint8_t                *body = NULL;
	uint64_t                now = clock_now();
	int                     rc, r;

	*sealed = 0;
	if ((rc = store_thread_get(d->store, m->thread_id, &t)) != 0)
		return rc;
	if (t.sealed_seq + 1 != m->seq)
		return 0;               /* an earlier one waits */
	if (resync_holds(d, p))
		return 0;               /* our chain may be behind the peer's (9.5) */
	if (peerkeys_choose_prekey(&p->b.keys, now, &spk) != ENV1_OK) {
		log_debug("peer %s: no valid prekey; message %s waits",
		    p->rec.agency_id, log_hex(m->message_id, ENV1_ID_LEN));
		return 0;
	}
	if ((rc = store_out_body(d->store, m, &body)) != 0)
		return rc;
	memset(&prm, 0, sizeof(prm));
	memcpy(prm.message_id, m->message_id, ENV1_ID_LEN);
	prm.created_at = now;
	prm.msg_type = m->msg_type;
	memcpy(prm.thread_id, m->thread_id, ENV1_ID_LEN);
	prm.seq = m->seq;
	memcpy(prm.prev_hash, t.out_last_h_inner, ENV1_HASH_LEN);
	memcpy(prm.in_reply_to, m->in_reply_to, ENV1_ID_LEN);
	memcpy(prm.content_salt, m->content_salt, ENV1_HASH_LEN);
	prm.body = body;
	prm.body_len = (size_t)m->body_len;
	r = env1_seal(&d->keys.id, &p->b.keys, spk, &prm, now, &out);
	secret_free(body);
	if (r != ENV1_OK) {
		log_warnx("message %s: seal refused: %s",
		    log_hex(m->message_id, ENV1_ID_LEN), env1_reason_name(r));
		return 0;
	}
	rc = store_out_sealed(d->store, m->message_id, out.env, out.env_len,
	    out.h_env, out.h_inner, out.tbs, out.sig);
	if (rc != 0) {
		env1_sealed_free(&out);
		return rc;
	}
	*sealed = 1;
	if (m->msg_type != ENV1_MSG_DELIVERY_RECEIPT)
		rc = flush_from(d, p, m);
	else if (peer_is_connected(p)) {
		sendlist_add(sl, p->rec.rik, m, out.env, out.env_len);
		out.env = NULL;
	}
	env1_sealed_free(&out);
	return rc;
}

struct seal_walk {
	struct daemon  *d;
	struct peer    *p;
	struct sendlist *sl;
	int             rc;
};

static int
seal_walk_cb(const struct store_out *m, void *arg)
{
	struct seal_walk       *w = arg;
	int                     sealed;

	if ((w->rc = deliver_seal_one(w->d, w->p, m, w->sl, &sealed)) != 0)
		return -1;
	return 0;
}

/* Seal every waiting message of p that can be, in the open transaction. */
static int
seal_waiting(struct daemon *d, struct peer *p, struct sendlist *sl)
{
	struct seal_walk w = { d, p, sl, 0 };
	int rc;

	rc = store_out_each_waiting(d->store, p->rec.rik, seal_walk_cb, &w);
	return w.rc != 0 ? w.rc : rc;
}

void
deliver_seal_pending(struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer    *p = d->peers[i];
		struct sendlist sl = { NULL, 0, 0 };
		int             rc;

		if (!p->seal_pending || !peer_active(p))
			continue;
		p->seal_pending = 0;
		if ((rc = store_begin(d->store)) != 0)
			return;
		rc = seal_waiting(d, p, &sl);
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
		sendlist_flush(d, &sl, rc == 0);
	}
}

/* --- submission ------------------------------------------------------------ */

int
deliver_submit(struct daemon *d, struct peer *p, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    const uint8_t in_reply_to[ENV1_ID_LEN], uint8_t message_id[ENV1_ID_LEN],
    uint8_t thread_out[ENV1_ID_LEN])
{
	static const uint8_t    zero[ENV1_ID_LEN];
	struct store_thread     t;
	struct store_out        m;
	struct sendlist         sl = { NULL, 0, 0 };
	int                     rc, sealed;

	if (!peer_active(p))
		return -EPERM;
	if (len > ENV1_MAX_INLINE)
		return -EMSGSIZE;
	memset(&m, 0, sizeof(m));
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if (memcmp(thread_id, zero, ENV1_ID_LEN) == 0) {
		randombytes_buf(m.thread_id, ENV1_ID_LEN);
		rc = store_thread_create(d->store, m.thread_id, p->rec.rik, clock_now());
	} else {
		memcpy(m.thread_id, thread_id, ENV1_ID_LEN);
		rc = store_thread_get(d->store, thread_id, &t);
		if (rc == 0 && memcmp(t.peer_rik, p->rec.rik, ENV1_KEY_LEN) != 0)
			rc = -EPERM;
	}
	if (rc != 0)
		goto fail;
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	memcpy(m.peer_rik, p->rec.rik, ENV1_KEY_LEN);
	m.msg_type = msg_type;
	memcpy(m.in_reply_to, in_reply_to, ENV1_ID_LEN);
	randombytes_buf(m.content_salt, ENV1_HASH_LEN);
	m.body_len = len;
	m.created_at = clock_now();
	if ((rc = store_out_insert(d->store, &m, body)) != 0 ||
	    (rc = deliver_seal_one(d, p, &m, &sl, &sealed)) != 0)
		goto fail;
	if ((rc = store_commit(d->store)) != 0) {
		sendlist_flush(d, &sl, 0);
		return rc;
	}
	sendlist_flush(d, &sl, 1);
	memcpy(message_id, m.message_id, ENV1_ID_LEN);
	memcpy(thread_out, m.thread_id, ENV1_ID_LEN);
	log_info("message %s queued for %s (thread %s, position %llu%s)",
	    log_hex(m.message_id, ENV1_ID_LEN), p->rec.agency_id,
	    log_hex(m.thread_id, ENV1_ID_LEN), (unsigned long long)m.seq,
	    sealed ? "" : ", waiting for a prekey");
	return 0;
fail:
	store_rollback(d->store);
	sendlist_flush(d, &sl, 0);
	return rc;
}

int
deliver_queue(struct daemon *d, struct peer *p, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    int new_thread, uint8_t message_id[ENV1_ID_LEN])
{
	return deliver_queue_reply(d, p, msg_type, body, len, thread_id, new_thread,
	    NULL, message_id);
}

int
deliver_queue_reply(struct daemon *d, struct peer *p, uint16_t msg_type,
    const uint8_t *body, size_t len, const uint8_t thread_id[ENV1_ID_LEN],
    int new_thread, const uint8_t *in_reply_to, uint8_t message_id[ENV1_ID_LEN])
{
	struct store_thread     t;
	struct store_out        m;
	int                     rc;

	/* Withdrawals and erasure confirmations wait for a suspended peer
	 * (sealing waits for peer_active); documents do not queue for it. */
	if (!peer_active(p) && msg_type != ENV1_MSG_CONSENT_WITHDRAWAL &&
	    msg_type != ENV1_MSG_ERASURE_CONFIRMATION)
		return -EPERM;
	if (len > ENV1_MAX_INLINE)
		return -EMSGSIZE;
	if (new_thread)
		rc = store_thread_create(d->store, thread_id, p->rec.rik, clock_now());
	else if ((rc = store_thread_get(d->store, thread_id, &t)) == 0 &&
	    memcmp(t.peer_rik, p->rec.rik, ENV1_KEY_LEN) != 0)
		rc = -EPERM;
	if (rc != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	memcpy(m.thread_id, thread_id, ENV1_ID_LEN);
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	memcpy(m.peer_rik, p->rec.rik, ENV1_KEY_LEN);
	m.msg_type = msg_type;
	if (in_reply_to != NULL)
		memcpy(m.in_reply_to, in_reply_to, ENV1_ID_LEN);
	randombytes_buf(m.content_salt, ENV1_HASH_LEN);
	m.body_len = len;
	m.created_at = clock_now();
	if ((rc = store_out_insert(d->store, &m, body)) != 0)
		return rc;
	memcpy(message_id, m.message_id, ENV1_ID_LEN);
	log_info("message %s queued for %s (thread %s, position %llu)",
	    log_hex(m.message_id, ENV1_ID_LEN), p->rec.agency_id,
	    log_hex(m.thread_id, ENV1_ID_LEN), (unsigned long long)m.seq);
	return 0;
}

void
deliver_kick(struct daemon *d, struct peer *p)
{
	p->seal_pending = 1;
	daemon_wake(d);
}
