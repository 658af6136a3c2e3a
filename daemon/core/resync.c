/*
 * Re-synchronisation after a restore (PROTOCOL.md 9.5).  An agency whose
 * databases came back from an older copy may have sealed positions of its
 * chains that it no longer knows, and lost what its partners sent since.
 * While a peer is "resync pending" nothing is sealed for it; on each new
 * link we ask (ResyncRequest, pages of at most RESYNC_CLAIMS claims) and
 * the partner answers per thread (ResyncState): what it holds of our
 * chain, which we skip to; what it sent us beyond what we hold, which it
 * sends again.  The partner is authenticated, not trusted: what it says
 * moves only our chains with it, and a lie only makes our next messages
 * ones it refuses itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/msgtype.h"
#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/core/core.h"
#include "daemon/core/core_int.h"
#include "daemon/store/store_case.h"
#include "daemon/store/store_resync.h"

#define RESYNC_CLAIMS           256     /* claims in one request */
#define RESYNC_HELD             256     /* held positions in one state */
#define RESYNC_THREADS          256     /* states answering one request */
#define RESYNC_ANSWER_BYTES     (1u << 20)      /* then cut: asked on */
#define RESYNC_ANSWER_MS        30000   /* an answer silent so long: ask again */
#define RESYNC_RECEIPTS         256     /* our receipts re-sent per thread */
#define RESYNC_PER_MIN          32      /* requests answered a minute */
#define RESYNC_AHEAD_MAX        1000000 /* positions a state may skip */
#define RESYNC_TOLERATE_MS      (3600ull * 1000)
#define RESYNC_NONCE            16
#define RESYNC_CODE_MAX         64

/* --- the restored side: asking ---------------------------------------- */

/* One page of claims: our threads with p above after (NULL: from the
 * first), by id. */
static int
send_page(struct daemon *d, struct peer *p, const uint8_t *after)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__ResyncRequest   rq = HOMEWARD__WIRE__RESYNC_REQUEST__INIT;
	Homeward__Wire__ResyncClaim     cl[RESYNC_CLAIMS], *clp[RESYNC_CLAIMS];
	struct store_resync_claim      *v;
	uint8_t                         a[ENV1_ID_LEN];
	size_t                          n;
	int                             rc;

	p->rs.asked_at = clock_now();   /* a failure is retried from then too */
	if ((v = calloc(RESYNC_CLAIMS, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (after != NULL)
		memcpy(a, after, ENV1_ID_LEN);
	if ((rc = store_resync_claims(d->store, p->rec.rik, after != NULL ? a : NULL,
	    v, RESYNC_CLAIMS, &n)) != 0) {
		free(v);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		homeward__wire__resync_claim__init(&cl[i]);
		cl[i].thread_id.data = v[i].thread_id;
		cl[i].thread_id.len = ENV1_ID_LEN;
		cl[i].sent_seq = v[i].sent_seq;
		cl[i].received_seq = v[i].received_seq;
		clp[i] = &cl[i];
	}
	rq.nonce.data = p->rs.nonce;
	rq.nonce.len = RESYNC_NONCE;
	rq.n_claims = n;
	rq.claims = clp;
	if (after != NULL) {
		rq.after.data = a;
		rq.after.len = ENV1_ID_LEN;
	}
	/* A full page ends at its last thread; a short one covers the rest. */
	p->rs.last_page = n < RESYNC_CLAIMS;
	if (!p->rs.last_page) {
		memcpy(p->rs.upto, v[n - 1].thread_id, ENV1_ID_LEN);
		rq.upto.data = p->rs.upto;
		rq.upto.len = ENV1_ID_LEN;
	}
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_RESYNC_REQUEST;
	f.resync_request = &rq;
	rc = peer_send_frame(p, &f);
	free(v);
	p->rs.asked = rc == 0;
	return rc;
}

static void
ask(struct daemon *d, struct peer *p)
{
	randombytes_buf(p->rs.nonce, RESYNC_NONCE);
	p->rs.again = 0;
	if (send_page(d, p, NULL) != 0)
		log_warnx("peer %s: cannot ask for re-synchronisation now; asking "
		    "again in %d s", p->rec.agency_id, RESYNC_ANSWER_MS / 1000);
	else
		log_info("peer %s: restored from a backup: asking what it holds "
		    "of our threads", p->rec.agency_id);
}

void
resync_peer_up(struct daemon *d, struct peer *p)
{
	deliver_peer_up(d, p);
	p->rs.asked = 0;
	if (resync_holds(d, p) && p->link != NULL)
		ask(d, p);
}

/* The answer to our last page came: the rest of a cut answer, the next
 * page, or the end. */
static void
answered(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncState *st)
{
	uint8_t after[ENV1_ID_LEN];

	if (st->more && st->thread_id.len == ENV1_ID_LEN) {
		/* The partner cut its answer after this thread: ask on from
		 * there (it names a thread it answered, so we move forward). */
		memcpy(after, st->thread_id.data, ENV1_ID_LEN);
		if (send_page(d, p, after) != 0)
			p->rs.asked = 0;
		return;
	}
	if (!p->rs.last_page) {
		memcpy(after, p->rs.upto, ENV1_ID_LEN);
		if (send_page(d, p, after) != 0)
			p->rs.asked = 0;
		return;
	}
	p->rs.asked = 0;
	if (p->rs.again) {
		/* A thread was further ahead than one answer lists. */
		ask(d, p);
		return;
	}
	if (store_resync_clear(d->store, p->rec.rik) != 0) {
		log_warnx("peer %s: re-synchronised, but the flag is not cleared; "
		    "it runs again at the next connection", p->rec.agency_id);
		return;
	}
	p->rs.pending = 0;
	p->rs.tolerate_until = clock_now() + RESYNC_TOLERATE_MS;
	log_info("peer %s: re-synchronised after the restore", p->rec.agency_id);
	p->seal_pending = 1;            /* what waited for it is sealed now */
	daemon_wake(d);
}

void
resync_tick(struct daemon *d)
{
	uint64_t now = clock_now();

	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = d->peers[i];

		if (!p->rs.pending || p->link == NULL)
			continue;
		if (now - p->rs.asked_at >= RESYNC_ANSWER_MS) {
			if (p->rs.asked)
				log_warnx("peer %s: no complete answer to our "
				    "re-synchronisation request; asking again",
				    p->rec.agency_id);
			ask(d, p);
		}
	}
}

/* The case code to name: ours, else the partner's (printable only). */
static void
case_code(struct daemon *d, const Homeward__Wire__ResyncState *st,
    const uint8_t tid[ENV1_ID_LEN], char code[RESYNC_CODE_MAX + 1])
{
	size_t i;

	if (store_resync_case_code(d->store, tid, code, RESYNC_CODE_MAX + 1) == 0 &&
	    code[0] != '\0')
		return;
	for (i = 0; st->case_code != NULL && st->case_code[i] != '\0' &&
	    i < RESYNC_CODE_MAX; i++)
		code[i] = st->case_code[i] > 0x20 && st->case_code[i] < 0x7f ?
		    st->case_code[i] : '?';
	code[i] = '\0';
}

/* Documents of ours the partner holds and we lost: a person decides. */
static int
alert_lost(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncState *st,
    const uint8_t tid[ENV1_ID_LEN], unsigned lost, int departure)
{
	char    code[RESYNC_CODE_MAX + 1], detail[512];

	case_code(d, st, tid, code);
	snprintf(detail, sizeof(detail), "%u document(s) sent to %s in case %s "
	    "after the backup this agency was restored from are held by %s but "
	    "lost here%s; ask %s for copies and bring the case up to date",
	    lost, p->rec.agency_id, code[0] ? code : "(unknown)", p->rec.agency_id,
	    departure ? ": a departure notification among them, so her "
	    "arrival deadline is not known here" : "", p->rec.agency_id);
	log_warnx("ALERT resync_lost: thread %s: %s", log_hex(tid, ENV1_ID_LEN),
	    detail);
	return store_alert_case(d->store, "resync_lost", departure, p->rec.rik,
	    tid, code, detail, clock_now());
}

/* The held list as the store's rows; 0, or -EBADMSG when malformed. */
static int
held_rows(const Homeward__Wire__ResyncState *st, struct store_resync_held *h)
{
	for (size_t i = 0; i < st->n_held; i++) {
		const Homeward__Wire__ResyncHeld *e = st->held[i];

		if (e->message_id.len != ENV1_ID_LEN || e->h_env.len != ENV1_HASH_LEN ||
		    e->h_inner.len != ENV1_HASH_LEN || e->msg_type > 0xffff)
			return -EBADMSG;
		memcpy(h[i].message_id, e->message_id.data, ENV1_ID_LEN);
		h[i].msg_type = (uint16_t)e->msg_type;
		memcpy(h[i].h_env, e->h_env.data, ENV1_HASH_LEN);
		memcpy(h[i].h_inner, e->h_inner.data, ENV1_HASH_LEN);
	}
	return 0;
}

/*
 * One thread's state, in one transaction: our waiting rows it holds are
 * delivered, the ones we lost are counted, and our chain skips to the
 * last position it holds (or the last listed one, when the list was cut).
 */
static int
apply_state(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncState *st,
    const struct store_resync_held *h, unsigned *lost, int *departure)
{
	struct store_thread     t;
	uint64_t                sent = 0, to;
	const uint8_t          *tid = st->thread_id.data, *hash;
	int                     rc, found;

	rc = store_thread_get(d->store, tid, &t);
	if (rc == 0 && memcmp(t.peer_rik, p->rec.rik, ENV1_KEY_LEN) != 0)
		return -EPERM;
	if (rc == 0)
		sent = t.sealed_seq;
	else if (rc != -ENOENT)
		return rc;
	if (st->held_seq <= sent)
		return 0;               /* it is not ahead of us */
	if (st->held_seq - sent > RESYNC_AHEAD_MAX ||
	    st->n_held != (st->more ? RESYNC_HELD : st->held_seq - sent) ||
	    st->held_h_inner.len != ENV1_HASH_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < st->n_held; i++) {
		if ((rc = store_resync_mark_held(d->store, p->rec.rik, tid, &h[i],
		    clock_now(), &found)) != 0)
			return rc;
		if (found == 0 && h[i].msg_type != ENV1_MSG_DELIVERY_RECEIPT) {
			(*lost)++;
			*departure |= h[i].msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION;
		}
	}
	to = st->more ? sent + RESYNC_HELD : st->held_seq;
	hash = st->more ? h[RESYNC_HELD - 1].h_inner : st->held_h_inner.data;
	if ((rc = store_resync_forward(d->store, p->rec.rik, tid, to, hash,
	    clock_now())) != 0)
		return rc;
	log_info("peer %s: thread %s: our chain moves from position %llu to %llu "
	    "(sealed before the restore)", p->rec.agency_id, log_hex(tid,
	    ENV1_ID_LEN), (unsigned long long)sent, (unsigned long long)to);
	return 0;
}

static void
on_thread(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncState *st)
{
	struct store_resync_held       *h;
	unsigned                        lost = 0;
	int                             departure = 0, rc;

	if (st->thread_id.len != ENV1_ID_LEN || st->n_held > RESYNC_HELD) {
		log_warnx("peer %s: malformed re-synchronisation state ignored",
		    p->rec.agency_id);
		return;
	}
	if ((h = calloc(st->n_held + 1, sizeof(*h))) == NULL)
		return;
	if ((rc = held_rows(st, h)) == 0 && (rc = store_begin(d->store)) == 0) {
		rc = apply_state(d, p, st, h, &lost, &departure);
		if (rc == 0 && lost > 0)
			rc = alert_lost(d, p, st, st->thread_id.data, lost, departure);
		if (rc == 0)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
	}
	free(h);
	if (rc == 0 && st->more)
		p->rs.again = 1;
	if (rc != 0)
		log_warnx("peer %s: thread %s: re-synchronisation state not applied "
		    "(%s)", p->rec.agency_id, log_hex(st->thread_id.data,
		    ENV1_ID_LEN), strerror(-rc));
}

void
resync_on_state(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncState *st)
{
	/* Only an answer to our request counts: anything else is ignored
	 * (a partner cannot move our chains unasked). */
	if (!p->rs.asked || st->nonce.len != RESYNC_NONCE ||
	    sodium_memcmp(st->nonce.data, p->rs.nonce, RESYNC_NONCE) != 0) {
		log_debug("peer %s: unasked re-synchronisation state ignored",
		    p->rec.agency_id);
		return;
	}
	p->rs.asked_at = clock_now();   /* it progresses: not overdue */
	if (st->done)
		answered(d, p, st);
	else
		on_thread(d, p, st);
}

/* --- the partner's side: answering ------------------------------------ */

static int
request_valid(const Homeward__Wire__ResyncRequest *rq)
{
	if (rq->nonce.len != RESYNC_NONCE || rq->n_claims > RESYNC_CLAIMS ||
	    (rq->after.len != 0 && rq->after.len != ENV1_ID_LEN) ||
	    (rq->upto.len != 0 && rq->upto.len != ENV1_ID_LEN))
		return 0;
	for (size_t i = 0; i < rq->n_claims; i++)
		if (rq->claims[i]->thread_id.len != ENV1_ID_LEN)
			return 0;
	return 1;
}

static const Homeward__Wire__ResyncClaim *
claim_of(const Homeward__Wire__ResyncRequest *rq, const uint8_t tid[ENV1_ID_LEN])
{
	for (size_t i = 0; i < rq->n_claims; i++)
		if (memcmp(rq->claims[i]->thread_id.data, tid, ENV1_ID_LEN) == 0)
			return rq->claims[i];
	return NULL;
}

/* Our receipts in the thread beyond what the requester holds, sent now
 * (nothing acknowledges them, so no flush sends them again); *n and
 * *bytes grow by what went. */
static int
resend_receipts(struct daemon *d, struct peer *p, const uint8_t tid[ENV1_ID_LEN],
    uint64_t from, uint64_t *n, size_t *bytes)
{
	uint8_t                 (*ids)[ENV1_ID_LEN];
	struct store_out        m;
	uint8_t                *env;
	size_t                  k, len;
	int                     rc;

	if ((ids = calloc(RESYNC_RECEIPTS, ENV1_ID_LEN)) == NULL)
		return -ENOMEM;
	rc = store_resync_receipts(d->store, p->rec.rik, tid, from, ids,
	    RESYNC_RECEIPTS, &k);
	for (size_t i = 0; i < k && rc == 0; i++) {
		if (store_out_get(d->store, ids[i], &m) != 0 ||
		    store_out_envelope(d->store, &m, &env, &len) != 0)
			continue;       /* an erased case's: not readable */
		if ((rc = peer_send_envelope(p, env, len)) == 0) {
			(*n)++;
			*bytes += len;
		}
		free(env);
	}
	free(ids);
	return rc;
}

static int
send_state(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncRequest *rq,
    const struct store_resync_thread *t, struct store_resync_held *h,
    size_t *bytes)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__ResyncState     st = HOMEWARD__WIRE__RESYNC_STATE__INIT;
	Homeward__Wire__ResyncHeld      e[RESYNC_HELD], *ep[RESYNC_HELD];
	const Homeward__Wire__ResyncClaim *c = claim_of(rq, t->thread_id);
	char                            code[RESYNC_CODE_MAX + 1];
	size_t                          n;
	int                             more, rc;

	if ((rc = store_resync_held_list(d->store, p->rec.rik, t->thread_id,
	    c != NULL ? c->sent_seq : 0, h, RESYNC_HELD, &n, &more)) != 0 ||
	    (rc = resend_receipts(d, p, t->thread_id, c != NULL ?
	    c->received_seq : 0, &st.resent, bytes)) != 0 ||
	    (rc = store_resync_case_code(d->store, t->thread_id, code,
	    sizeof(code))) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		homeward__wire__resync_held__init(&e[i]);
		e[i].message_id.data = h[i].message_id;
		e[i].message_id.len = ENV1_ID_LEN;
		e[i].msg_type = h[i].msg_type;
		e[i].h_env.data = h[i].h_env;
		e[i].h_env.len = ENV1_HASH_LEN;
		e[i].h_inner.data = h[i].h_inner;
		e[i].h_inner.len = ENV1_HASH_LEN;
		ep[i] = &e[i];
	}
	st.nonce = rq->nonce;
	st.thread_id.data = (uint8_t *)t->thread_id;
	st.thread_id.len = ENV1_ID_LEN;
	st.held_seq = t->in_seq;
	st.held_h_inner.data = (uint8_t *)t->in_last_h_inner;
	st.held_h_inner.len = ENV1_HASH_LEN;
	st.n_held = n;
	st.held = ep;
	st.more = more;
	st.own_seq = t->own_seq;
	st.case_code = code;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_RESYNC_STATE;
	f.resync_state = &st;
	*bytes += homeward__wire__resync_state__get_packed_size(&st);
	return peer_send_frame(p, &f);
}

/* Our delivered documents beyond what the requester holds, in every
 * thread answered, are unacknowledged again (one transaction): the flush
 * sends them and the requester receipts them anew. */
static int
requeue_all(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncRequest *rq,
    const struct store_resync_thread *v, size_t n, uint64_t *docs)
{
	const Homeward__Wire__ResyncClaim *c;
	uint64_t                        k;
	int                             rc;

	*docs = 0;
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		c = claim_of(rq, v[i].thread_id);
		rc = store_resync_requeue(d->store, p->rec.rik, v[i].thread_id,
		    c != NULL ? c->received_seq : 0, &k);
		*docs += k;
	}
	if (rc == 0)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

/* Rate: at most RESYNC_PER_MIN requests of one peer a minute are
 * answered; the others are ignored (the requester asks again when its
 * answer is overdue). */
static int
rate_ok(struct peer *p)
{
	uint64_t now = clock_now();

	if (now - p->rs.window_at >= 60000) {
		p->rs.window_at = now;
		p->rs.answered = 0;
	}
	if (p->rs.answered == RESYNC_PER_MIN)
		log_warnx("peer %s: more than %d re-synchronisation requests a "
		    "minute; the others are ignored", p->rec.agency_id, RESYNC_PER_MIN);
	return p->rs.answered++ < RESYNC_PER_MIN;
}

/* The thread states, at most RESYNC_ANSWER_BYTES of them (and of the
 * receipts sent again); *cut: the last thread answered when cut short. */
static int
answer(struct daemon *d, struct peer *p, const Homeward__Wire__ResyncRequest *rq,
    const struct store_resync_thread *v, size_t n, const uint8_t **cut)
{
	struct store_resync_held       *h;
	size_t                          bytes = 0;
	int                             rc = 0;

	*cut = NULL;
	if ((h = calloc(RESYNC_HELD, sizeof(*h))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (bytes >= RESYNC_ANSWER_BYTES) {
			*cut = v[i - 1].thread_id;
			break;
		}
		rc = send_state(d, p, rq, &v[i], h, &bytes);
	}
	free(h);
	/* A full page of threads may not be all the range holds. */
	if (rc == 0 && *cut == NULL && n == RESYNC_THREADS)
		*cut = v[n - 1].thread_id;
	return rc;
}

int
resync_on_request(struct daemon *d, struct peer *p,
    const Homeward__Wire__ResyncRequest *rq)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__ResyncState     done = HOMEWARD__WIRE__RESYNC_STATE__INIT;
	struct store_resync_thread     *v;
	const uint8_t                  *cut = NULL;
	uint64_t                        docs = 0;
	size_t                          n = 0;
	int                             rc;

	if (!request_valid(rq)) {
		log_warnx("peer %s: malformed re-synchronisation request; closing",
		    p->rec.agency_id);
		return -EBADMSG;
	}
	if (!rate_ok(p))
		return 0;
	if ((v = calloc(RESYNC_THREADS, sizeof(*v))) == NULL)
		return 0;
	rc = store_resync_threads(d->store, p->rec.rik, rq->after.len ?
	    rq->after.data : NULL, rq->upto.len ? rq->upto.data : NULL, v,
	    RESYNC_THREADS, &n);
	if (rc == 0)
		rc = requeue_all(d, p, rq, v, n, &docs);
	if (rc == 0)
		rc = answer(d, p, rq, v, n, &cut);
	if (rc == 0) {
		done.nonce = rq->nonce;
		done.done = 1;
		if (cut != NULL) {
			done.more = 1;
			done.thread_id.data = (uint8_t *)cut;
			done.thread_id.len = ENV1_ID_LEN;
		}
		f.kind_case = HOMEWARD__WIRE__FRAME__KIND_RESYNC_STATE;
		f.resync_state = &done;
		rc = peer_send_frame(p, &f);
	}
	if (rc != 0)
		/* No `done`: the requester asks again when it is overdue. */
		log_warnx("peer %s: re-synchronisation answer incomplete (%s)",
		    p->rec.agency_id, strerror(-rc));
	else
		log_info("peer %s: restored from a backup: told it what we hold "
		    "of %zu thread(s), %llu document(s) to send again",
		    p->rec.agency_id, n, (unsigned long long)docs);
	free(v);
	deliver_rewalk(p);              /* the documents sent again */
	daemon_wake(d);
	return 0;
}
