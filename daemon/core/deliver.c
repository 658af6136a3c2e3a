/*
 * The outbox and the inbox (crypto-env1.md 2.6 to 2.10).
 *
 * Sending: a document's ids, salt and thread position are committed before
 * it is sealed; it is sealed once, in thread order (prev_hash is the
 * H_inner of the message before it), and the same envelope is sent again
 * until a receipt arrives, so the hash chain never forks.  A message whose
 * peer has no valid prekey waits, with its position, until a bundle brings
 * one.
 *
 * Receiving, once per loop iteration for everything that arrived (group
 * commit): open (keys/envelope.c), then in one transaction the ledger and
 * thread order; a duplicate gets the stored receipt, a gap is held, an
 * equivocation or a broken chain is refused and kept as an alert.  Only
 * after that commit are receipts made (with committed_at after the commit)
 * in a second transaction, and sent.  A crash between the two is repaired
 * when the sender retransmits: a ledger row without its receipt gets one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/core/core.h"
#include "daemon/base/log.h"
#include "keys/evidence.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "proto/refcat.h"

/* Something to send once the transaction that made it has committed. */
struct outgoing {
	uint8_t         rik[ENV1_KEY_LEN];
	uint8_t        *env;            /* malloc'ed */
	size_t          len;
};

struct sendlist {
	struct outgoing *v;
	size_t          n, cap;
};

/* Ledger rows that need a receipt made (or re-sent) after the commit. */
struct rcptlist {
	struct {
		uint8_t rik[ENV1_KEY_LEN];
		uint8_t id[ENV1_ID_LEN];
	}              *v;
	size_t          n, cap;
};

static void
sendlist_add(struct sendlist *sl, const uint8_t rik[ENV1_KEY_LEN], uint8_t *env,
    size_t len)
{
	if (sl->n == sl->cap) {
		size_t ncap = sl->cap ? sl->cap * 2 : 16;
		struct outgoing *nv = realloc(sl->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			/* Not sent now: the retransmission timer will. */
			free(env);
			return;
		}
		sl->v = nv;
		sl->cap = ncap;
	}
	memcpy(sl->v[sl->n].rik, rik, ENV1_KEY_LEN);
	sl->v[sl->n].env = env;
	sl->v[sl->n].len = len;
	sl->n++;
}

static void
sendlist_flush(struct daemon *d, struct sendlist *sl, int send)
{
	for (size_t i = 0; i < sl->n; i++) {
		struct peer *p = send ? peers_by_rik(d, sl->v[i].rik) : NULL;

		if (p != NULL)
			peer_send_envelope(p, sl->v[i].env, sl->v[i].len);
		free(sl->v[i].env);
	}
	free(sl->v);
	memset(sl, 0, sizeof(*sl));
}

static void
rcptlist_add(struct rcptlist *rl, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t id[ENV1_ID_LEN])
{
	if (rl->n == rl->cap) {
		size_t ncap = rl->cap ? rl->cap * 2 : 16;
		void *nv = realloc(rl->v, ncap * sizeof(*rl->v));

		if (nv == NULL)
			return;         /* the retransmission will ask again */
		rl->v = nv;
		rl->cap = ncap;
	}
	memcpy(rl->v[rl->n].rik, rik, ENV1_KEY_LEN);
	memcpy(rl->v[rl->n].id, id, ENV1_ID_LEN);
	rl->n++;
}

/* The delay before the next transmission of a message sent attempts
 * times: exponential, capped, with jitter in [1/2, 1]. */
static uint64_t
retry_delay(const struct daemon *d, uint32_t attempts)
{
	uint64_t        base = d->cfg.retry_min_ms;
	unsigned        shift = attempts > 0 ? attempts - 1 : 0;

	if (shift > 20)
		shift = 20;
	base <<= shift;
	if (base > d->cfg.retry_max_ms)
		base = d->cfg.retry_max_ms;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2 + 1));
}

/* --- sealing --------------------------------------------------------------- */

/*
 * Seal m if it is next in its thread and the peer has a valid prekey; in
 * the open transaction.  The envelope goes to sl when it should be sent now.
 * 0 (sealed, or must keep waiting: *sealed says which) or a store error.
 */
static int
seal_one(struct daemon *d, struct peer *p, const struct store_out *m,
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
	if (rc == 0 && m->msg_type != ENV1_MSG_DELIVERY_RECEIPT && peer_is_connected(p))
		rc = store_out_transmitted(d->store, m->message_id, now,
		    now + retry_delay(d, 1));
	if (rc != 0) {
		env1_sealed_free(&out);
		return rc;
	}
	*sealed = 1;
	if (peer_is_connected(p)) {
		sendlist_add(sl, p->rec.rik, out.env, out.env_len);
		out.env = NULL;
	}
	env1_sealed_free(&out);
	return 0;
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

	if ((w->rc = seal_one(w->d, w->p, m, w->sl, &sealed)) != 0)
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

/* --- receipts we give -------------------------------------------------------- */

/* The receipt for ledger row (rik, id): made and sealed when absent, or its
 * stored envelope queued again.  In the open transaction. */
static int
give_receipt(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN],
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
		if ((rc = store_out_envelope(d->store, &m, &env, &len)) != 0)
			/* An erased case's receipt cannot be read again:
			 * that one is not resent, the others are. */
			return rc == -ENOENT || rc == -EBADMSG ? 0 : rc;
		sendlist_add(sl, rik, env, len);
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
	return seal_one(d, p, &m, sl, &sealed);
}

/* --- receiving ------------------------------------------------------------- */

static const struct peerkeys *
ctx_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	struct peer *p = peers_by_rik(arg, rik);

	return p != NULL && peer_active(p) ? &p->b.keys : NULL;
}

static const struct env1_prekey *
ctx_find_prekey(void *arg, uint64_t spk_id)
{
	struct daemon *d = arg;

	return keyring_find_prekey(&d->keys, spk_id);
}

static int
ctx_is_replay(void *arg, const uint8_t rik[ENV1_KEY_LEN],
    const uint8_t id[ENV1_ID_LEN], const uint8_t h_env[ENV1_HASH_LEN])
{
	struct daemon  *d = arg;
	struct store_in in;

	return store_in_get(d->store, rik, id, &in) == 0 &&
	    memcmp(in.h_env, h_env, ENV1_HASH_LEN) == 0;
}

void
deliver_enqueue(struct daemon *d, const uint8_t from[ENV1_KEY_LEN],
    const uint8_t *env, size_t len)
{
	struct inbound *in;

	if (len > ENV1_ENVELOPE_MAX || (in = malloc(sizeof(*in) + len)) == NULL)
		return;
	in->next = NULL;
	memcpy(in->from, from, ENV1_KEY_LEN);
	in->received_at = clock_now();
	in->len = len;
	memcpy(in->env, env, len);
	*d->in_tail = in;
	d->in_tail = &in->next;
	d->in_count++;
	daemon_wake(d);
}

static void
refuse(struct peer *p, const uint8_t *id, const char *why)
{
	log_warnx("envelope %s from %s refused: %s", id != NULL ?
	    log_hex(id, ENV1_ID_LEN) : "(unparsed)", p->rec.agency_id, why);
	if (id != NULL)
		peer_send_refused(p, id);
}

/* Alert with the refused message's signed parts as evidence. */
static int
alert_with(struct daemon *d, const char *kind, const struct env1_opened *o,
    const uint8_t *env, size_t len, const char *detail)
{
	uint8_t        *ev = NULL;
	size_t          evlen = 0;
	int             rc;

	if (evidence_record_encode(env, o->inner, o->inner + ENV1_TBS_LEN, o->body,
	    o->body_len, env + ENV1_HDR_LEN, len - ENV1_HDR_LEN, &ev, &evlen) != ENV1_OK)
		ev = NULL;
	rc = store_alert_add(d->store, kind, o->hdr.sender_rik, o->hdr.message_id,
	    o->tbs.thread_id, detail, ev, evlen, clock_now());
	if (ev != NULL)
		sodium_memzero(ev, evlen);      /* it holds the body */
	free(ev);
	log_warnx("ALERT %s: message %s thread %s: %s", kind,
	    log_hex(o->hdr.message_id, ENV1_ID_LEN), log_hex(o->tbs.thread_id,
	    ENV1_ID_LEN), detail);
	return rc;
}

/* A verified receipt for one of our messages: checks of 2.9 beyond
 * receipt_check.  0 with *msg set, or a reason. */
static int
check_receipt(struct daemon *d, const struct env1_opened *o, struct store_out *msg)
{
	struct receipt  r;
	int             reason;

	if ((reason = receipt_check(o, d->keys.id.rik_pub, &r)) != ENV1_OK)
		return reason;
	if (store_out_find_h_inner(d->store, r.h_inner, msg) != 0 ||
	    memcmp(msg->message_id, r.message_id, ENV1_ID_LEN) != 0 ||
	    memcmp(msg->peer_rik, o->hdr.sender_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(msg->thread_id, o->tbs.thread_id, ENV1_ID_LEN) != 0)
		return ENV1_R_RECEIPT_UNMATCHED;
	if (msg->msg_type == ENV1_MSG_DELIVERY_RECEIPT)
		return ENV1_R_RECEIPT_FOR_RECEIPT;
	return ENV1_OK;
}

/*
 * Step 15 for one opened envelope, in the open transaction.  Returns 0
 * (decided: accepted, held, duplicate or refused) or a store error that
 * aborts the batch.
 */
/* A held document became current: its case sees it now, in order.  Its
 * body is in its evidence record. */
static int
promoted_to_case(struct daemon *d, struct peer *p, const struct store_in *m)
{
	Homeward__Keys__SignedMessage  *sm;
	uint8_t                        *ev = NULL;
	size_t                          evlen = 0;
	int                             rc;

	if (m->msg_type == ENV1_MSG_DELIVERY_RECEIPT)
		return 0;
	if ((rc = store_in_evidence(d->store, m, &ev, &evlen)) != 0)
		return rc;
	if ((sm = homeward__keys__signed_message__unpack(NULL, evlen, ev)) == NULL) {
		secret_free(ev);
		return -EBADMSG;
	}
	rc = d->events.document == NULL ? 0 :
	    d->events.document(d, p, m, sm->body.data, sm->body.len);
	sodium_memzero(sm->body.data, sm->body.len);
	homeward__keys__signed_message__free_unpacked(sm, NULL);
	secret_free(ev);
	return rc;
}

static int
ledger_one(struct daemon *d, struct peer *p, struct inbound *in,
    struct env1_opened *o, struct rcptlist *rl)
{
	struct store_in         row, prev;
	struct store_thread     t;
	struct store_out        acked;
	uint8_t                *ev = NULL;
	size_t                  evlen;
	int                     rc, reason, is_receipt;

	is_receipt = o->tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT;
	rc = store_in_get(d->store, o->hdr.sender_rik, o->hdr.message_id, &prev);
	if (rc == 0) {
		if (memcmp(prev.semantic, o->semantic, ENV1_HASH_LEN) == 0) {
			log_debug("message %s: retransmission",
			    log_hex(o->hdr.message_id, ENV1_ID_LEN));
			if (!is_receipt)
				rcptlist_add(rl, o->hdr.sender_rik, o->hdr.message_id);
			return 0;
		}
		refuse(p, o->hdr.message_id, "equivocation");
		return alert_with(d, "equivocation", o, in->env, in->len,
		    "same message id, different content or position");
	}
	if (rc != -ENOENT)
		return rc;

	/* A receipt is checked before anything is written for it. */
	if (is_receipt && (reason = check_receipt(d, o, &acked)) != ENV1_OK) {
		refuse(p, o->hdr.message_id, env1_reason_name(reason));
		return 0;
	}
	rc = store_thread_get(d->store, o->tbs.thread_id, &t);
	if (rc == -ENOENT) {
		if ((rc = store_thread_create(d->store, o->tbs.thread_id,
		    o->hdr.sender_rik, in->received_at)) != 0 ||
		    (rc = store_thread_get(d->store, o->tbs.thread_id, &t)) != 0)
			return rc;
	} else if (rc != 0) {
		return rc;
	}
	if (memcmp(t.peer_rik, o->hdr.sender_rik, ENV1_KEY_LEN) != 0) {
		refuse(p, o->hdr.message_id, "thread of another peer");
		return alert_with(d, "thread_peer", o, in->env, in->len,
		    "thread belongs to another agency");
	}

	memset(&row, 0, sizeof(row));
	if (o->tbs.seq == t.in_seq + 1 &&
	    memcmp(o->tbs.prev_hash, t.in_last_h_inner, ENV1_HASH_LEN) == 0) {
		row.state = IN_ACCEPTED;
	} else if (o->tbs.seq > t.in_seq + 1) {
		/* One position, one message: a second id held at the same
		 * position is equivocation, not another gap. */
		if ((rc = store_in_held_at(d->store, t.thread_id, o->tbs.seq,
		    &prev)) == 0) {
			refuse(p, o->hdr.message_id, "equivocation (held position)");
			return alert_with(d, "equivocation", o, in->env, in->len,
			    "another message already holds this position");
		}
		if (rc != -ENOENT)
			return rc;
		row.state = IN_GAP_HELD;
	} else {
		refuse(p, o->hdr.message_id, "thread order");
		return alert_with(d, "thread_order", o, in->env, in->len,
		    o->tbs.seq <= t.in_seq ? "position already taken" :
		    "prev_hash does not match the thread");
	}

	memcpy(row.sender_rik, o->hdr.sender_rik, ENV1_KEY_LEN);
	memcpy(row.message_id, o->hdr.message_id, ENV1_ID_LEN);
	memcpy(row.thread_id, o->tbs.thread_id, ENV1_ID_LEN);
	row.seq = o->tbs.seq;
	row.msg_type = o->tbs.msg_type;
	memcpy(row.h_env, o->h_env, ENV1_HASH_LEN);
	memcpy(row.h_inner, o->h_inner, ENV1_HASH_LEN);
	memcpy(row.prev_hash, o->tbs.prev_hash, ENV1_HASH_LEN);
	memcpy(row.in_reply_to, o->tbs.in_reply_to, ENV1_ID_LEN);
	memcpy(row.semantic, o->semantic, ENV1_HASH_LEN);
	row.created_at = o->hdr.created_at;
	row.received_at = in->received_at;
	row.body_len = o->body_len;
	if (!is_receipt)
		randombytes_buf(row.receipt_id, ENV1_ID_LEN);
	if (evidence_record_encode(in->env, o->inner, o->inner + ENV1_TBS_LEN, o->body,
	    o->body_len, in->env + ENV1_HDR_LEN, in->len - ENV1_HDR_LEN, &ev,
	    &evlen) != ENV1_OK)
		return -ENOMEM;
	rc = store_in_insert(d->store, &row, ev, evlen);
	sodium_memzero(ev, evlen);
	free(ev);
	if (rc != 0)
		return rc;

	if (row.state == IN_ACCEPTED) {
		if (!is_receipt && d->events.document != NULL &&
		    (rc = d->events.document(d, p, &row, o->body, o->body_len)) != 0)
			return rc;
		t.in_seq = row.seq;
		memcpy(t.in_last_h_inner, row.h_inner, ENV1_HASH_LEN);
		/* Held successors whose chain now joins become current. */
		while (store_in_held_at(d->store, t.thread_id, t.in_seq + 1, &prev) == 0) {
			if (memcmp(prev.prev_hash, t.in_last_h_inner, ENV1_HASH_LEN) != 0) {
				/* The held successor does not chain on what
				 * filled the gap: it stays held, and says so. */
				if ((rc = store_alert_add(d->store, "thread_order",
				    prev.sender_rik, prev.message_id, prev.thread_id,
				    "held message does not chain on the filled gap",
				    NULL, 0, clock_now())) != 0)
					return rc;
				break;
			}
			if ((rc = store_in_set_state(d->store, prev.sender_rik,
			    prev.message_id, IN_ACCEPTED)) != 0 ||
			    (rc = promoted_to_case(d, p, &prev)) != 0)
				return rc;
			t.in_seq = prev.seq;
			memcpy(t.in_last_h_inner, prev.h_inner, ENV1_HASH_LEN);
			log_info("message %s: gap filled, now current",
			    log_hex(prev.message_id, ENV1_ID_LEN));
		}
		/* Only our view of the peer's chain: the case flow above may
		 * have queued an answer in this thread (its out_seq moved). */
		if ((rc = store_thread_put_in(d->store, t.thread_id, t.in_seq,
		    t.in_last_h_inner)) != 0)
			return rc;
	} else {
		char detail[96];

		snprintf(detail, sizeof(detail), "position %llu held: %llu is the "
		    "last in order", (unsigned long long)row.seq,
		    (unsigned long long)t.in_seq);
		if ((rc = store_alert_add(d->store, "gap", row.sender_rik,
		    row.message_id, row.thread_id, detail, NULL, 0, clock_now())) != 0)
			return rc;
		log_warnx("message %s: thread %s %s", log_hex(row.message_id,
		    ENV1_ID_LEN), log_hex(row.thread_id, ENV1_ID_LEN), detail);
	}
	if (is_receipt) {
		rc = store_out_delivered(d->store, acked.message_id, row.message_id,
		    clock_now());
		if (rc == 0 && d->events.delivered != NULL)
			rc = d->events.delivered(d, &acked);
		if (rc == 0)
			log_debug("message %s delivered",
			    log_hex(acked.message_id, ENV1_ID_LEN));
		return rc == -ENOENT ? 0 : rc;
	}
	log_debug("message %s from %s accepted", log_hex(row.message_id, ENV1_ID_LEN),
	    p->rec.agency_id);
	rcptlist_add(rl, row.sender_rik, row.message_id);
	return 0;
}

/* Open one envelope and run the ledger step; a store error aborts. */
static int
inbound_one(struct daemon *d, struct inbound *in, struct rcptlist *rl)
{
	struct env1_open_ctx    ctx;
	struct env1_opened      o;
	struct env1_header      hdr;
	struct peer            *p = peers_by_rik(d, in->from);
	size_t                  nrl;
	int                     r, rc;

	if (p == NULL || !peer_active(p))
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.own_rik = d->keys.id.rik_pub;
	ctx.now = clock_now();
	ctx.find_peer = ctx_find_peer;
	ctx.find_prekey = ctx_find_prekey;
	ctx.is_replay = ctx_is_replay;
	ctx.check_body = refcat_check_body;
	ctx.arg = d;
	r = env1_open(&ctx, in->env, in->len, &o);
	if (r == ENV1_R_DUPLICATE) {
		if (env1_header_parse(in->env, in->len, &hdr) == ENV1_OK &&
		    memcmp(hdr.sender_rik, in->from, ENV1_KEY_LEN) == 0)
			rcptlist_add(rl, hdr.sender_rik, hdr.message_id);
		return 0;
	}
	if (r != ENV1_OK) {
		int parsed = env1_header_parse(in->env, in->len, &hdr) == ENV1_OK;

		refuse(p, parsed ? hdr.message_id : NULL, env1_reason_name(r));
		return 0;
	}
	if (memcmp(o.hdr.sender_rik, in->from, ENV1_KEY_LEN) != 0) {
		refuse(p, o.hdr.message_id, "sent by another agency than the "
		    "connection's");
		env1_opened_free(&o);
		return 0;
	}
	/* One envelope's rows stand or fall alone: a case whose key is gone
	 * (erased) or does not open refuses that envelope, not the batch.
	 * Only a store that cannot write (-ENOSPC, -EIO) aborts the batch. */
	if ((rc = store_savepoint(d->store)) != 0) {
		env1_opened_free(&o);
		return rc;
	}
	nrl = rl->n;
	rc = ledger_one(d, p, in, &o, rl);
	if (rc != 0 && rc != -EIO && rc != -ENOSPC && rc != -ENOMEM) {
		store_savepoint_rollback(d->store);
		rl->n = nrl;
		refuse(p, o.hdr.message_id, "its case is erased or its key does "
		    "not open");
		rc = 0;
	} else if (rc == 0) {
		rc = store_savepoint_release(d->store);
	}
	env1_opened_free(&o);
	return rc;
}

static void
inbound_batch(struct daemon *d)
{
	struct inbound         *batch = d->in_head, *in, *next;
	struct rcptlist         rl = { NULL, 0, 0 };
	struct sendlist         sl = { NULL, 0, 0 };
	size_t                  n = 0;
	uint64_t                committed_at;
	int                     rc = 0;

	/* Take at most DAEMON_BATCH_MAX; the rest waits for the next round. */
	for (in = batch; in != NULL && n + 1 < DAEMON_BATCH_MAX; in = in->next)
		n++;
	if (in != NULL) {
		d->in_head = in->next;
		in->next = NULL;
		if (d->in_head == NULL)
			d->in_tail = &d->in_head;
		n++;
	} else {
		d->in_head = NULL;
		d->in_tail = &d->in_head;
	}
	d->in_count -= n;

	if ((rc = store_begin(d->store)) == 0) {
		for (in = batch; in != NULL && rc == 0; in = in->next)
			rc = inbound_one(d, in, &rl);
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
		if (rc == 0)
			audit_anchor_sync(d->store);  /* the cases' audit entries */
	}
	for (in = batch; in != NULL; in = next) {
		next = in->next;
		free(in);
	}
	if (rc != 0) {
		/* Nothing of the batch counts; the senders will retransmit. */
		log_warnx("inbound batch of %zu not stored (%s); senders will "
		    "retransmit", n, strerror(-rc));
		free(rl.v);
		return;
	}
	if (rl.n == 0) {
		free(rl.v);
		return;
	}
	/* Receipts, after the commit above. */
	committed_at = clock_now();
	if ((rc = store_begin(d->store)) == 0) {
		for (size_t i = 0; i < rl.n && rc == 0; i++)
			rc = give_receipt(d, rl.v[i].rik, rl.v[i].id, committed_at, &sl);
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
	}
	if (rc != 0)
		log_warnx("receipts not stored (%s); they will be made on "
		    "retransmission", strerror(-rc));
	sendlist_flush(d, &sl, rc == 0);
	free(rl.v);
}

/* --- retransmission and flushing ------------------------------------------- */

struct resend {
	struct daemon  *d;
	struct peer    *p;
	struct store_out *v;
	size_t          n, cap;
};

static int
resend_collect(const struct store_out *m, void *arg)
{
	struct resend *r = arg;

	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct store_out *nv = realloc(r->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return 1;
		r->v = nv;
		r->cap = ncap;
	}
	r->v[r->n++] = *m;
	return 0;
}

/* Send a page of p's unacknowledged messages (all of them when flushing,
 * the due ones otherwise) and record the transmissions.  Returns the
 * number sent. */
static size_t
resend_page(struct daemon *d, struct peer *p, int flushing)
{
	struct resend   r = { d, p, NULL, 0, 0 };
	uint64_t        now = clock_now();
	int64_t         cursor = flushing ? p->flush_cursor : 0;
	size_t          sent = 0, i;
	int             rc;

	rc = store_out_each_unacked(d->store, p->rec.rik, flushing ? 0 : now, &cursor,
	    DAEMON_FLUSH_PAGE, resend_collect, &r);
	if (rc != 0 || r.n == 0) {
		if (flushing && rc == 0)
			p->flushing = 0;
		free(r.v);
		return 0;
	}
	for (i = 0; i < r.n; i++) {
		uint8_t *env;
		size_t  len;

		if (store_out_envelope(d->store, &r.v[i], &env, &len) != 0) {
			/* Unreadable (logged): skip it, do not spin on it. */
			if (flushing)
				p->flush_cursor = r.v[i].rowid;
			continue;
		}
		rc = peer_send_envelope(p, env, len);
		free(env);
		if (rc != 0)
			break;
		if (flushing)
			p->flush_cursor = r.v[i].rowid;
		r.v[sent++] = r.v[i];   /* keep the sent ones at the front */
	}
	if (sent > 0 && store_begin(d->store) == 0) {
		for (size_t k = 0; k < sent; k++)
			if (store_out_transmitted(d->store, r.v[k].message_id, now,
			    now + retry_delay(d, r.v[k].attempts + 1)) != 0)
				break;
		if (store_commit(d->store) != 0)
			log_warnx("transmissions not recorded; they will repeat");
	}
	if (flushing && i == r.n && r.n < DAEMON_FLUSH_PAGE)
		p->flushing = 0;
	if (!flushing && sent > 0)
		log_info("peer %s: %zu message(s) retransmitted", p->rec.agency_id, sent);
	free(r.v);
	return sent;
}

void
deliver_peer_up(struct daemon *d, struct peer *p)
{
	p->flushing = 1;
	p->flush_cursor = 0;
	p->seal_pending = 1;
	daemon_wake(d);
}

static void
seal_pending_peers(struct daemon *d)
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

int
deliver_has_work(const struct daemon *d)
{
	if (d->in_head != NULL || d->case_due)
		return 1;
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer *p = d->peers[i];

		if (p->seal_pending && peer_active(p))
			return 1;
		if (p->flushing && p->link != NULL && !p->blocked)
			return 1;
	}
	return 0;
}

void
deliver_pump(struct daemon *d)
{
	/* Everything read in this loop iteration, DAEMON_BATCH_MAX per
	 * transaction: the queue never outgrows one iteration's reads. */
	while (d->in_head != NULL)
		inbound_batch(d);
	seal_pending_peers(d);
	if (d->case_due) {
		/* An erasure became due (its confirmation was receipted). */
		d->case_due = 0;
		if (d->events.due != NULL)
			d->events.due(d);
	}
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (p->flushing && p->link != NULL && !p->blocked)
			resend_page(d, p, 1);
	}
}

void
deliver_tick(struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		p->seal_pending = 1;
		if (p->link != NULL && !p->blocked && !p->flushing)
			resend_page(d, p, 0);
	}
	daemon_wake(d);
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
	    (rc = seal_one(d, p, &m, &sl, &sealed)) != 0)
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
