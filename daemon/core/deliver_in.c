/*
 * The inbox (crypto-env1.md 2.9, 2.10): once per loop iteration for
 * everything that arrived (group commit): open (keys/envelope.c), then in
 * one transaction the ledger and thread order; a duplicate gets the
 * stored receipt, a gap is held, an equivocation or a broken chain is
 * refused and kept as an alert.  Only after that commit are receipts made
 * (with committed_at after the commit) in a second transaction, and sent.
 * A crash between the two is repaired when the sender retransmits: a
 * ledger row without its receipt gets one.  What the procedure must learn
 * goes up through d->events (core.h).
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
#include "daemon/store/store_case.h"
#include "keys/atrest.h"
#include "keys/evidence.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "proto/keys.pb-c.h"
#include "proto/refcat.h"

/* check_receipt: a receipt for a message delivered already. */
#define RECEIPT_SECOND  (-1)

/* How often a batch that a full store lost is run again, each time
 * without the envelopes of one more peer (batch_run). */
#define BATCH_TRIES     4
#define BATCH_SUSP_MAX  16      /* suspensions a batch can undo */

/* Ledger rows that need a receipt made (or re-sent) after the commit,
 * and what the batch left unstored (said once per batch, not once per
 * envelope: a flood must not flood the log too). */
struct rcptlist {
	struct {
		uint8_t rik[ENV1_KEY_LEN];
		uint8_t id[ENV1_ID_LEN];
	}              *v;
	size_t          n, cap;
	size_t          full;           /* no room: to be retransmitted */
	int             suspended;      /* a peer breached a quota */
	/* Peers suspended in this transaction (undone with it), and peers
	 * whose envelopes a retry of the batch leaves out (batch_run). */
	uint8_t         susp[BATCH_SUSP_MAX][ENV1_KEY_LEN];
	size_t          nsusp;
	uint8_t         skip[BATCH_TRIES][ENV1_KEY_LEN];
	size_t          nskip;
};

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

/* --- receiving ------------------------------------------------------------- */

static const struct peerkeys *
ctx_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	/* A partner's previous RIK too, for what it sealed before its RIK
	 * transition (PROTOCOL.md 4.4): its DSK is certified under both. */
	struct peer *p = peers_by_sender(arg, rik, clock_now());

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

/*
 * The message id a Refused may name (8, 9.4): the record holds a whole
 * header whose fixed fields are valid (step 1 up to enc_len), so that its
 * id is where section 5.1 puts it, even when its ct_len is wrong or the
 * record is too large.  NULL otherwise.
 */
static const uint8_t *
refusable_id(const uint8_t *env, size_t len)
{
	if (len < ENV1_HDR_LEN || memcmp(env, "ENV1", 4) != 0 ||
	    env[4] != ENV1_VERSION || env[5] != ENV1_SUITE_X25519 ||
	    env[6] != 0 || env[7] != 0 || env[112] != 0 ||
	    env[113] != ENV1_ENC_LEN_SUITE1)
		return NULL;
	return env + 8;
}

static void refuse(struct peer *, const uint8_t *, const char *);

/* An envelope over ENV1_ENVELOPE_MAX in a frame under the frame cap:
 * refused at once (step 1.8, bad_ct_len), never queued. */
static void
refuse_oversize(struct daemon *d, const uint8_t from[ENV1_KEY_LEN],
    const uint8_t *env, size_t len)
{
	struct peer *p = peers_by_rik(d, from);
	char why[80];

	if (p == NULL)
		return;
	snprintf(why, sizeof(why), "bad_ct_len (%zu bytes, over the %u-byte "
	    "maximum)", len, (unsigned)ENV1_ENVELOPE_MAX);
	refuse(p, refusable_id(env, len), why);
}

void
deliver_enqueue(struct daemon *d, const uint8_t from[ENV1_KEY_LEN],
    const uint8_t *env, size_t len)
{
	struct inbound *in;

	if (len > ENV1_ENVELOPE_MAX) {
		refuse_oversize(d, from, env, len);
		return;
	}
	if ((in = malloc(sizeof(*in) + len)) == NULL)
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
	const uint8_t  *old;
	int             reason;

	/* A receipt made for our previous RIK before the partner followed
	 * our transition (4.4) still acknowledges. */
	if ((reason = receipt_check(o, d->keys.id.rik_pub, &r)) != ENV1_OK &&
	    (old = keyring_old_rik(&d->keys, clock_now())) != NULL)
		reason = receipt_check(o, old, &r);
	if (reason != ENV1_OK)
		return reason;
	/* We seal a message once (9.4): its receipt names that envelope's
	 * H_env as well as its H_inner (section 10). */
	if (store_out_find_h_inner(d->store, r.h_inner, msg) != 0 ||
	    memcmp(msg->message_id, r.message_id, ENV1_ID_LEN) != 0 ||
	    memcmp(msg->peer_rik, o->hdr.sender_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(msg->thread_id, o->tbs.thread_id, ENV1_ID_LEN) != 0 ||
	    sodium_memcmp(msg->h_env, r.h_env, ENV1_HASH_LEN) != 0)
		return ENV1_R_RECEIPT_UNMATCHED;
	if (msg->msg_type == ENV1_MSG_DELIVERY_RECEIPT)
		return ENV1_R_RECEIPT_FOR_RECEIPT;
	/* A row marked delivered by a resync (9.5) has no receipt id yet:
	 * this is its first receipt here. */
	if (msg->state == OUT_DELIVERED && !sodium_is_zero(msg->receipt_id,
	    ENV1_ID_LEN))
		return RECEIPT_SECOND;
	return ENV1_OK;
}

/* A second receipt (another message id) for a message already delivered:
 * the recipient acknowledges a message once and re-sends that receipt
 * for duplicates (section 10), so this one is refused and alerted. */
static int
refuse_second_receipt(struct daemon *d, struct peer *p, struct inbound *in,
    const struct env1_opened *o, const struct store_out *acked)
{
	char detail[96];

	refuse(p, o->hdr.message_id, "second receipt for a delivered message");
	snprintf(detail, sizeof(detail), "second receipt for message %s, "
	    "delivered already", log_hex(acked->message_id, ENV1_ID_LEN));
	return alert_with(d, "receipt_second", o, in->env, in->len, detail);
}

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

/* A message id we have seen: a retransmission gets its receipt again, a
 * different content under the same id is equivocation.  *done when it was
 * one of those. */
static int
ledger_seen(struct daemon *d, struct peer *p, struct inbound *in,
    struct env1_opened *o, struct rcptlist *rl, int *done)
{
	struct store_in prev;
	int             rc;

	*done = 0;
	rc = store_in_get(d->store, o->hdr.sender_rik, o->hdr.message_id, &prev);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	*done = 1;
	if (memcmp(prev.semantic, o->semantic, ENV1_HASH_LEN) == 0) {
		log_debug("message %s: retransmission",
		    log_hex(o->hdr.message_id, ENV1_ID_LEN));
		if (o->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
			rcptlist_add(rl, o->hdr.sender_rik, o->hdr.message_id);
		return 0;
	}
	refuse(p, o->hdr.message_id, "equivocation");
	return alert_with(d, "equivocation", o, in->env, in->len,
	    "same message id, different content or position");
}

/* The message's thread (created on first sight) and where the message
 * stands in it: row->state IN_ACCEPTED (next in order) or IN_GAP_HELD.
 * *done when it was refused (thread of another peer, order, a second
 * message at a held position). */
static int
ledger_place(struct daemon *d, struct peer *p, struct inbound *in,
    struct env1_opened *o, struct store_thread *t, struct store_in *row,
    int *done)
{
	struct store_in prev;
	int             rc;

	*done = 1;
	rc = store_thread_get(d->store, o->tbs.thread_id, t);
	if (rc == -ENOENT) {
		if ((rc = store_thread_create(d->store, o->tbs.thread_id,
		    o->hdr.sender_rik, in->received_at)) != 0 ||
		    (rc = store_thread_get(d->store, o->tbs.thread_id, t)) != 0)
			return rc;
	} else if (rc != 0) {
		return rc;
	}
	if (memcmp(t->peer_rik, o->hdr.sender_rik, ENV1_KEY_LEN) != 0) {
		refuse(p, o->hdr.message_id, "thread of another peer");
		return alert_with(d, "thread_peer", o, in->env, in->len,
		    "thread belongs to another agency");
	}
	if (o->tbs.seq == t->in_seq + 1 &&
	    memcmp(o->tbs.prev_hash, t->in_last_h_inner, ENV1_HASH_LEN) == 0) {
		row->state = IN_ACCEPTED;
	} else if (o->tbs.seq > t->in_seq + 1) {
		/* One position, one message: a second id held at the same
		 * position is equivocation, not another gap. */
		if ((rc = store_in_held_at(d->store, t->thread_id, o->tbs.seq,
		    &prev)) == 0) {
			refuse(p, o->hdr.message_id, "equivocation (held position)");
			return alert_with(d, "equivocation", o, in->env, in->len,
			    "another message already holds this position");
		}
		if (rc != -ENOENT)
			return rc;
		row->state = IN_GAP_HELD;
	} else {
		refuse(p, o->hdr.message_id, "thread order");
		return alert_with(d, "thread_order", o, in->env, in->len,
		    o->tbs.seq <= t->in_seq ? "position already taken" :
		    "prev_hash does not match the thread");
	}
	*done = 0;
	return 0;
}

/* The ledger row, with the evidence record that proves it. */
static int
ledger_insert(struct daemon *d, struct inbound *in, struct env1_opened *o,
    struct store_in *row)
{
	uint8_t        *ev = NULL;
	size_t          evlen;
	int             rc;

	memcpy(row->sender_rik, o->hdr.sender_rik, ENV1_KEY_LEN);
	memcpy(row->message_id, o->hdr.message_id, ENV1_ID_LEN);
	memcpy(row->thread_id, o->tbs.thread_id, ENV1_ID_LEN);
	row->seq = o->tbs.seq;
	row->msg_type = o->tbs.msg_type;
	memcpy(row->h_env, o->h_env, ENV1_HASH_LEN);
	memcpy(row->h_inner, o->h_inner, ENV1_HASH_LEN);
	memcpy(row->prev_hash, o->tbs.prev_hash, ENV1_HASH_LEN);
	memcpy(row->in_reply_to, o->tbs.in_reply_to, ENV1_ID_LEN);
	memcpy(row->semantic, o->semantic, ENV1_HASH_LEN);
	row->created_at = o->hdr.created_at;
	row->received_at = in->received_at;
	row->body_len = o->body_len;
	if (o->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
		randombytes_buf(row->receipt_id, ENV1_ID_LEN);
	if (evidence_record_encode(in->env, o->inner, o->inner + ENV1_TBS_LEN, o->body,
	    o->body_len, in->env + ENV1_HDR_LEN, in->len - ENV1_HDR_LEN, &ev,
	    &evlen) != ENV1_OK)
		return -ENOMEM;
	rc = store_in_insert(d->store, row, ev, evlen);
	if (rc == 0)    /* as stored: sealed at rest */
		quota_stored(peers_by_rik(d, row->sender_rik),
		    evlen + ATREST_COL_OVERHEAD);
	sodium_memzero(ev, evlen);
	free(ev);
	return rc;
}

/* row is current: the procedure sees it, then held successors whose chain
 * now joins become current in turn, and our view of the peer's chain
 * moves on. */
static int
ledger_advance(struct daemon *d, struct peer *p, struct env1_opened *o,
    struct store_thread *t, const struct store_in *row)
{
	struct store_in prev;
	int             rc;

	if (row->msg_type != ENV1_MSG_DELIVERY_RECEIPT && d->events.document != NULL &&
	    (rc = d->events.document(d, p, row, o->body, o->body_len)) != 0)
		return rc;
	t->in_seq = row->seq;
	memcpy(t->in_last_h_inner, row->h_inner, ENV1_HASH_LEN);
	while (store_in_held_at(d->store, t->thread_id, t->in_seq + 1, &prev) == 0) {
		if (memcmp(prev.prev_hash, t->in_last_h_inner, ENV1_HASH_LEN) != 0) {
			/* The held successor does not chain on what filled
			 * the gap: it stays held, and says so. */
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
		t->in_seq = prev.seq;
		memcpy(t->in_last_h_inner, prev.h_inner, ENV1_HASH_LEN);
		log_info("message %s: gap filled, now current",
		    log_hex(prev.message_id, ENV1_ID_LEN));
	}
	/* Only our view of the peer's chain: the case flow above may have
	 * queued an answer in this thread (its out_seq moved). */
	return store_thread_put_in(d->store, t->thread_id, t->in_seq,
	    t->in_last_h_inner);
}

/* row waits for the positions before it: logged now; an alert only when
 * the gap outlasts gap_alert_ms (deliver_gap_alerts), since the missing
 * positions are usually a retransmission away. */
static int
ledger_gap(struct daemon *d, const struct store_thread *t,
    const struct store_in *row)
{
	(void)d;
	log_info("message %s: thread %s position %llu held: %llu is the last "
	    "in order", log_hex(row->message_id, ENV1_ID_LEN),
	    log_hex(row->thread_id, ENV1_ID_LEN), (unsigned long long)row->seq,
	    (unsigned long long)t->in_seq);
	return 0;
}

#define GAP_ALERTS_MAX  64      /* per check; the rest at the next */

void
deliver_gap_alerts(struct daemon *d)
{
	struct store_gap        v[GAP_ALERTS_MAX];
	uint64_t                now = clock_now();
	size_t                  n = 0;
	char                    detail[128];

	if (now < d->cfg.gap_alert_ms || store_alert_gaps_due(d->store,
	    now - d->cfg.gap_alert_ms, GAP_ALERTS_MAX, v, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(detail, sizeof(detail), "position %llu held for more than "
		    "%llu s: an earlier position never came",
		    (unsigned long long)v[i].seq,
		    (unsigned long long)(d->cfg.gap_alert_ms / 1000));
		if (store_alert_add(d->store, "gap", v[i].sender_rik, v[i].message_id,
		    v[i].thread_id, detail, NULL, 0, now) != 0)
			return;
		log_warnx("message %s: %s", log_hex(v[i].message_id, ENV1_ID_LEN),
		    detail);
	}
}

/* Test documents (0x7f00) only where test_documents = yes: refused like
 * an envelope that does not open (nothing stored, a Refused frame), and
 * said in one alert per partner that counts them (store_alerts.c). */
static int
refuse_test_document(struct daemon *d, struct peer *p, const struct env1_opened *o)
{
	char    detail[400];
	int     rc;

	refuse(p, o->hdr.message_id, "test document, and test_documents = no");
	snprintf(detail, sizeof(detail), "%.64s sends test documents (msg_type "
	    "0x7f00), refused here (test_documents = no): a test system may be "
	    "pinned by mistake; ask %.64s, and remove it (`homeward peers "
	    "remove`) if it is one", p->rec.agency_id, p->rec.agency_id);
	rc = store_alert_case_msg(d->store, "test_document", 0, o->hdr.sender_rik,
	    NULL, o->hdr.message_id, NULL, detail, clock_now());
	return rc < 0 ? rc : 0;
}

/* What may be stored of a new message at all: a test document where
 * they are off is refused; data.db at its cap less the reserve keeps
 * nothing new (the sender retransmits); a partner over its quota is
 * suspended (quota.c).  *done when it goes no further. */
static int
ledger_admit(struct daemon *d, struct peer *p, struct inbound *in,
    const struct env1_opened *o, struct rcptlist *rl, int *done)
{
	enum quota_verdict      v;
	int                     rc;

	*done = 1;
	if (o->tbs.msg_type == ENV1_MSG_TEST_DOCUMENT && !d->cfg.test_documents)
		return refuse_test_document(d, p, o);
	if ((rc = quota_admit(d, p, o, in->len, &v)) != 0)
		return rc;
	if (v == QUOTA_FULL)
		rl->full++;
	else if (v == QUOTA_BREACH) {
		rl->suspended = 1;
		if (rl->nsusp < BATCH_SUSP_MAX)
			memcpy(rl->susp[rl->nsusp++], p->rec.rik, ENV1_KEY_LEN);
	}
	*done = v != QUOTA_ADMIT;
	return 0;
}

/*
 * Step 15 for one opened envelope, in the open transaction.  Returns 0
 * (decided: accepted, held, duplicate or refused) or a store error that
 * aborts the batch.
 */
static int
ledger_one(struct daemon *d, struct peer *p, struct inbound *in,
    struct env1_opened *o, struct rcptlist *rl)
{
	struct store_in         row;
	struct store_thread     t;
	struct store_out        acked;
	int                     rc, reason, done;
	int                     is_receipt = o->tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT;
	int                     unmatched = 0;

	if ((rc = ledger_seen(d, p, in, o, rl, &done)) != 0 || done)
		return rc;
	/* A receipt is checked before anything is written for it. */
	if (is_receipt && (reason = check_receipt(d, o, &acked)) != ENV1_OK) {
		if (reason == RECEIPT_SECOND)
			return refuse_second_receipt(d, p, in, o, &acked);
		/* After our restore, the peer's receipt for a message we lost
		 * is still a position of its chain (9.5): kept, matched to
		 * nothing. */
		if (reason != ENV1_R_RECEIPT_UNMATCHED || !resync_tolerates(d, p)) {
			refuse(p, o->hdr.message_id, env1_reason_name(reason));
			return 0;
		}
		unmatched = 1;
	}
	if ((rc = ledger_admit(d, p, in, o, rl, &done)) != 0 || done)
		return rc;
	memset(&row, 0, sizeof(row));
	if ((rc = ledger_place(d, p, in, o, &t, &row, &done)) != 0 || done)
		return rc;
	if ((rc = ledger_insert(d, in, o, &row)) != 0)
		return rc;
	rc = row.state == IN_ACCEPTED ? ledger_advance(d, p, o, &t, &row) :
	    ledger_gap(d, &t, &row);
	if (rc != 0)
		return rc;
	if (is_receipt && unmatched)
		return 0;
	if (is_receipt) {
		rc = store_out_delivered(d->store, acked.message_id, row.message_id,
		    clock_now());
		if (rc == 0 && d->events.delivered != NULL)
			rc = d->events.delivered(d, &acked);
		if (rc == 0) {
			deliver_acked(p, &acked);
			log_debug("message %s delivered",
			    log_hex(acked.message_id, ENV1_ID_LEN));
		}
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
	ctx.old_rik = keyring_old_rik(&d->keys, ctx.now);
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
		refuse(p, refusable_id(in->env, in->len), env1_reason_name(r));
		return 0;
	}
	/* Sealed under the peer's previous RIK (4.4): its rows are the
	 * peer's, under the RIK it has now. */
	if (memcmp(o.hdr.sender_rik, in->from, ENV1_KEY_LEN) != 0 &&
	    peers_by_sender(d, o.hdr.sender_rik, ctx.now) == p)
		memcpy(o.hdr.sender_rik, p->rec.rik, ENV1_KEY_LEN);
	if (memcmp(o.hdr.sender_rik, in->from, ENV1_KEY_LEN) != 0) {
		refuse(p, o.hdr.message_id, "sent by another agency than the "
		    "connection's");
		env1_opened_free(&o);
		return 0;
	}
	/* One envelope's rows stand or fall alone: a case whose key is gone
	 * (erased) or does not open refuses that envelope, not the batch; a
	 * full data.db or keystore.db leaves it unstored, to be retransmitted,
	 * and the other envelopes of the batch (other partners') go on.
	 * Only a store that cannot write at all (-EIO, or a full store
	 * that lost the whole transaction) aborts the batch. */
	if ((rc = store_savepoint(d->store)) != 0) {
		env1_opened_free(&o);
		return rc;
	}
	nrl = rl->n;
	rc = ledger_one(d, p, in, &o, rl);
	if (rc == -ENOSPC) {
		rl->n = nrl;
		rl->full++;
		if (store_tx_alive(d->store)) {
			store_savepoint_rollback(d->store);
			rc = 0;
		}
	} else if (rc != 0 && rc != -EIO && rc != -ENOMEM) {
		store_savepoint_rollback(d->store);
		rl->n = nrl;
		deliver_rewalk(p);      /* a receipt taken back: its row unacked */
		refuse(p, o.hdr.message_id, "its case is erased or its key does "
		    "not open");
		rc = 0;
	} else if (rc == 0) {
		rc = store_savepoint_release(d->store);
	}
	env1_opened_free(&o);
	return rc;
}

static int
batch_skipped(const struct rcptlist *rl, const uint8_t rik[ENV1_KEY_LEN])
{
	for (size_t i = 0; i < rl->nskip; i++)
		if (memcmp(rl->skip[i], rik, ENV1_KEY_LEN) == 0)
			return 1;
	return 0;
}

/* The transaction of rl is gone: so are the suspensions it made, and
 * what it was to receipt. */
static void
batch_undo(struct daemon *d, struct rcptlist *rl)
{
	struct peer *p;

	quota_forget();
	for (size_t i = 0; i < rl->nsusp; i++)
		if ((p = peers_by_rik(d, rl->susp[i])) != NULL)
			p->rec.suspended = 0;
	rl->nsusp = 0;
	rl->n = 0;
	rl->full = 0;
	rl->suspended = 0;
}

/*
 * The batch in one transaction.  An envelope that finds the store full
 * is undone alone when SQLite kept the transaction; when SQLite rolled
 * all of it back (it may, on SQLITE_FULL), the batch runs again without
 * that envelope's peer, so that one partner filling the store never
 * costs the others their envelopes (its own are retransmitted).
 */
static int
batch_run(struct daemon *d, struct inbound *batch, struct rcptlist *rl)
{
	struct inbound *in, *failed;
	int             rc;

	for (;;) {
		if ((rc = store_begin(d->store)) != 0)
			return rc;
		for (in = batch, failed = NULL; in != NULL && rc == 0; in = in->next) {
			if (batch_skipped(rl, in->from))
				rl->full++;
			else if ((rc = inbound_one(d, in, rl)) != 0)
				failed = in;
		}
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
		if (rc == 0) {
			audit_anchor_sync(d->store);  /* the cases' audit entries */
			return 0;
		}
		batch_undo(d, rl);
		/* Receipts the lost attempt took out of the flight are
		 * unacknowledged again. */
		for (size_t i = 0; i < d->npeers; i++)
			deliver_rewalk(d->peers[i]);
		if (rc != -ENOSPC || failed == NULL || rl->nskip == BATCH_TRIES)
			return rc;
		memcpy(rl->skip[rl->nskip++], failed->from, ENV1_KEY_LEN);
	}
}

void
deliver_inbound_batch(struct daemon *d)
{
	struct inbound         *batch = d->in_head, *in, *next;
	struct rcptlist         rl;
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

	memset(&rl, 0, sizeof(rl));
	rc = batch_run(d, batch, &rl);
	for (in = batch; in != NULL; in = next) {
		next = in->next;
		free(in);
	}
	if (rl.full > 0)
		log_warnx("%zu message(s) not stored: data.db is at max_data_mb less "
		    "reserve_kb, or keystore.db at max_keys_mb; their senders "
		    "retransmit. Make room or raise the cap", rl.full);
	if (rc != 0) {
		/* Nothing of the batch counts; the senders will retransmit.
		 * Receipts in it took our rows out of the flight: walk again. */
		log_warnx("inbound batch of %zu not stored (%s); senders will "
		    "retransmit", n, strerror(-rc));
		for (size_t i = 0; i < d->npeers; i++)
			deliver_rewalk(d->peers[i]);
		goto out;
	}
	if (rl.n == 0)
		goto out;
	/* Receipts, after the commit above. */
	committed_at = clock_now();
	if ((rc = store_begin(d->store)) == 0) {
		for (size_t i = 0; i < rl.n && rc == 0; i++)
			rc = deliver_give_receipt(d, rl.v[i].rik, rl.v[i].id, committed_at, &sl);
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
	}
	if (rc != 0)
		log_warnx("receipts not stored (%s); they will be made on "
		    "retransmission", strerror(-rc));
	sendlist_flush(d, &sl, rc == 0);
out:
	/* A peer suspended for a quota: its links close once what it was
	 * given (the receipts above) has gone out. */
	if (rl.suspended)
		peers_relink(d);
	free(rl.v);
}
