/*
 * wirepoke's modes on the sending pace and on receipts (envpace.h; the
 * modes are described at the top of tests/tools/wirepoke.c).  Each prints
 * what it saw as "MODE: ..." lines for tests/integration/wire_pace.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "common/hex.h"
#include "keys/receipt.h"
#include "keys/tool/tool.h"
#include "tests/lib/envpace.h"
#include "tests/lib/envpoke.h"

#define PACE_STALL_MS           3000    /* stall: not reading this long */
#define PACE_DRAIN_S            2       /* stall: then reading this long */
#define PACE_RATE               50000   /* slowacks: bytes read per second */
#define PACE_QUIET_MS           1500    /* slowacks: no envelope this long: done */
#define PACE_TAIL_S             20      /* slowacks: reading on at most this long */
#define PACE_LIMIT_S            120     /* slowacks, order: a safety net */
#define PACE_DUPS               1000    /* dupflood: copies of one envelope */
#define PACE_COPIES_MAX         4096    /* distinct envelopes counted */

struct pace {
	struct wclient         *c;
	const struct party     *me;
	const struct bundle    *to;
};

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const struct peerkeys *
pace_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	const struct pace *p = arg;

	return memcmp(p->to->keys.rik, rik, ENV1_KEY_LEN) == 0 ? &p->to->keys : NULL;
}

static const struct env1_prekey *
pace_find_prekey(void *arg, uint64_t spk_id)
{
	const struct pace *p = arg;

	return party_prekey(p->me, spk_id);
}

static int
pace_open(const struct pace *p, const uint8_t *env, size_t len,
    struct env1_opened *o)
{
	struct env1_open_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.own_rik = p->me->id.rik_pub;
	ctx.now = tool_now();
	ctx.find_peer = pace_find_peer;
	ctx.find_prekey = pace_find_prekey;
	ctx.arg = (void *)p;
	return env1_open(&ctx, env, len, o);
}

static void
pace_seal(const struct pace *p, const struct env1_seal_params *prm,
    struct env1_sealed *out)
{
	const struct stmt_spk *spk;
	uint64_t now = tool_now();
	int r;

	if ((r = peerkeys_choose_prekey(&p->to->keys, now, &spk)) != ENV1_OK ||
	    (r = env1_seal(&p->me->id, &p->to->keys, spk, prm, now, out)) != ENV1_OK)
		envpoke_die("seal: %s", env1_reason_name(r));
}

static void
pace_send(const struct pace *p, const char *mode, const uint8_t *env, size_t len)
{
	int rc;

	if ((rc = wclient_send_envelope(p->c, env, len)) != 0) {
		envpoke_end(mode, rc);
		exit(0);
	}
}

/* One frame: an envelope (*env, *len point into *f) or something else.
 * -ETIMEDOUT at the deadline; a close ends the program. */
static int
pace_read(const struct pace *p, const char *mode, Homeward__Wire__Frame **f,
    size_t *wire)
{
	uint8_t *buf;
	size_t n;
	int rc, err;

	if ((rc = wclient_read_frame(p->c, &buf, &n)) != 0) {
		/* A read cut by the deadline may look like a reset to
		 * OpenSSL: past the deadline, either is the end of it. */
		if (rc == -ETIMEDOUT || time(NULL) >= p->c->deadline)
			return -ETIMEDOUT;
		envpoke_end(mode, rc);
		exit(0);
	}
	if ((*f = wire_frame_decode(buf, n, &err)) == NULL)
		envpoke_die("the daemon sent a frame that does not decode");
	free(buf);
	*wire = n + 4;
	return 0;
}

static void
heartbeat(const struct pace *p, const char *mode)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	int rc;

	hb.sent_at = tool_now();
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &hb;
	if ((rc = wclient_send_frame(p->c, &f)) != 0) {
		envpoke_end(mode, rc);
		exit(0);
	}
}

/* --- copies per envelope ----------------------------------------------------- */

struct copies {
	uint8_t         id[PACE_COPIES_MAX][ENV1_ID_LEN];
	unsigned        n[PACE_COPIES_MAX];
	size_t          count, most;
	uint64_t        envelopes, bytes, needed;
};

/* Count a copy of the envelope env; 1 when it is the first. */
static int
copies_add(struct copies *cp, const uint8_t *env, size_t len)
{
	size_t i;

	cp->envelopes++;
	cp->bytes += len;
	if (len < 24)
		return 0;
	for (i = 0; i < cp->count; i++)
		if (memcmp(cp->id[i], env + 8, ENV1_ID_LEN) == 0)
			break;
	if (i == cp->count) {
		if (cp->count == PACE_COPIES_MAX)
			return 0;
		memcpy(cp->id[cp->count++], env + 8, ENV1_ID_LEN);
		cp->needed += len;
	}
	if (++cp->n[i] > cp->most)
		cp->most = cp->n[i];
	return cp->n[i] == 1;
}

static void
copies_say(const char *mode, const struct copies *cp)
{
	printf("%s: envelopes %llu distinct %zu bytes %llu needed %llu most-copies %zu\n",
	    mode, (unsigned long long)cp->envelopes, cp->count,
	    (unsigned long long)cp->bytes, (unsigned long long)cp->needed, cp->most);
}

/*
 * stall: a peer that stops reading (its receive buffer made small) for
 * PACE_STALL_MS, then reads for PACE_DRAIN_S whatever the daemon queued
 * meanwhile, and never receipts.  What it reads is bounded by the window
 * and by one queued copy per envelope, not by the retransmission timer.
 */
static void
run_stall(const struct pace *p, const char *mode)
{
	struct copies *cp = calloc(1, sizeof(*cp));
	Homeward__Wire__Frame *f;
	int small = 4096;
	size_t wire;

	if (cp == NULL)
		envpoke_die("out of memory");
	(void)setsockopt(p->c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* Not reading, but alive: the daemon closes a silent connection. */
	for (unsigned ms = 0; ms < PACE_STALL_MS; ms += 500) {
		heartbeat(p, mode);
		sleep_ms(500);
	}
	heartbeat(p, mode);
	wclient_set_deadline(p->c, PACE_DRAIN_S);
	while (pace_read(p, mode, &f, &wire) == 0) {
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE)
			copies_add(cp, f->envelope.data, f->envelope.len);
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	copies_say(mode, cp);
	free(cp);
}

/* --- slowacks: a slow reader that receipts ------------------------------------ */

/* Our chain in each thread: the receipts we sign are its positions. */
struct chains {
	struct {
		uint8_t         thread[ENV1_ID_LEN];
		uint64_t        seq;
		uint8_t         last[ENV1_HASH_LEN];
	}               v[PACE_COPIES_MAX];
	size_t          n;
};

/* The true receipt for o, at our next position in its thread. */
static void
send_receipt(const struct pace *p, struct chains *ch, const char *mode,
    const struct env1_opened *o)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	struct receipt r;
	uint8_t body[RECEIPT_BODY_LEN];
	uint64_t now = tool_now();
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (memcmp(ch->v[i].thread, o->tbs.thread_id, ENV1_ID_LEN) == 0)
			break;
	if (i == ch->n) {
		if (ch->n == PACE_COPIES_MAX)
			envpoke_die("too many threads");
		memset(&ch->v[ch->n], 0, sizeof(ch->v[0]));
		memcpy(ch->v[ch->n++].thread, o->tbs.thread_id, ENV1_ID_LEN);
	}
	receipt_for(o, now, now, &r);
	receipt_encode(&r, body);
	memset(&prm, 0, sizeof(prm));
	randombytes_buf(prm.message_id, ENV1_ID_LEN);
	randombytes_buf(prm.content_salt, ENV1_HASH_LEN);
	prm.created_at = now;
	prm.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(prm.thread_id, o->tbs.thread_id, ENV1_ID_LEN);
	prm.seq = ch->v[i].seq + 1;
	memcpy(prm.prev_hash, ch->v[i].last, ENV1_HASH_LEN);
	memcpy(prm.in_reply_to, o->hdr.message_id, ENV1_ID_LEN);
	prm.body = body;
	prm.body_len = sizeof(body);
	pace_seal(p, &prm, &sl);
	pace_send(p, mode, sl.env, sl.env_len);
	ch->v[i].seq++;
	memcpy(ch->v[i].last, sl.h_inner, ENV1_HASH_LEN);
	env1_sealed_free(&sl);
}

/*
 * slowacks=N: read at most PACE_RATE bytes a second (a slow line), and
 * receipt each document the first time it comes; after the N-th, read on
 * until no envelope came for PACE_QUIET_MS (what the daemon queued meanwhile
 * still crosses the line), PACE_TAIL_S at most.  Bytes read over the bytes
 * of one copy each is what the line carried over what it had to.
 */
static void
run_slowacks(const struct pace *p, const char *mode, unsigned long want)
{
	struct copies *cp = calloc(1, sizeof(*cp));
	struct chains *ch = calloc(1, sizeof(*ch));
	Homeward__Wire__Frame *f;
	struct env1_opened o;
	uint64_t start = ms_now(), done_at = 0, last_env = 0, wirebytes = 0;
	unsigned long docs = 0;
	size_t wire;
	int rc;

	if (cp == NULL || ch == NULL)
		envpoke_die("out of memory");
	wclient_set_deadline(p->c, PACE_LIMIT_S);
	while ((done_at == 0 || (ms_now() < last_env + PACE_QUIET_MS &&
	    ms_now() < done_at + PACE_TAIL_S * 1000)) &&
	    ms_now() < start + PACE_LIMIT_S * 1000) {
		if (done_at != 0)
			wclient_set_deadline(p->c, 1);
		if ((rc = pace_read(p, mode, &f, &wire)) != 0) {
			if (done_at != 0)
				break;
			continue;
		}
		wirebytes += wire;
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE)
			last_env = ms_now();
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    copies_add(cp, f->envelope.data, f->envelope.len) &&
		    pace_open(p, f->envelope.data, f->envelope.len, &o) == ENV1_OK) {
			if (o.tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT) {
				send_receipt(p, ch, mode, &o);
				if (++docs == want)
					done_at = ms_now();
			}
			env1_opened_free(&o);
		}
		homeward__wire__frame__free_unpacked(f, NULL);
		/* The line's pace: wait until these bytes would have passed. */
		if (wirebytes * 1000 / PACE_RATE > ms_now() - start)
			sleep_ms(wirebytes * 1000 / PACE_RATE - (ms_now() - start));
	}
	printf("%s: documents %lu of %lu\n", mode, docs, want);
	copies_say(mode, cp);
	free(ch);
	free(cp);
}

/* --- order: a document in a thread the moment we connect ------------------------ */

/*
 * order=THREAD: at once after Hello, a document at our position 1 of the
 * daemon's thread THREAD (32 hex digits); then every envelope the daemon
 * sends in that thread, documents and receipts alike, is a position of
 * its chain: print them in arrival order (first copies), until the
 * receipt for our document and every position before it came.
 */
static void
run_order(const struct pace *p, const char *mode, const char *thread_hex)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	Homeward__Wire__Frame *f;
	struct env1_opened o;
	uint64_t seen = 0, got_receipt = 0, pos[64];
	size_t npos = 0, wire;
	int ordered = 1;
	char body[96];

	memset(&prm, 0, sizeof(prm));
	if (strlen(thread_hex) != 2 * ENV1_ID_LEN ||
	    hex_decode(thread_hex, prm.thread_id, ENV1_ID_LEN) != 0)
		envpoke_die("order=THREAD: 32 hex digits");
	snprintf(body, sizeof(body), "wirepoke test document, mode %s", mode);
	randombytes_buf(prm.message_id, ENV1_ID_LEN);
	randombytes_buf(prm.content_salt, ENV1_HASH_LEN);
	prm.created_at = tool_now();
	prm.msg_type = ENV1_MSG_TEST_DOCUMENT;
	prm.seq = 1;
	prm.body = (const uint8_t *)body;
	prm.body_len = strlen(body);
	pace_seal(p, &prm, &sl);
	pace_send(p, mode, sl.env, sl.env_len);
	printf("%s: sent %s\n", mode, envpoke_hex(prm.message_id, ENV1_ID_LEN));
	wclient_set_deadline(p->c, 30);
	while (got_receipt == 0 || (seen & ((1ull << got_receipt) - 2)) !=
	    ((1ull << got_receipt) - 2)) {
		if (pace_read(p, mode, &f, &wire) != 0)
			break;
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    pace_open(p, f->envelope.data, f->envelope.len, &o) == ENV1_OK) {
			uint64_t s = o.tbs.seq;

			if (memcmp(o.tbs.thread_id, prm.thread_id, ENV1_ID_LEN) == 0 &&
			    s > 0 && s < 64 && !(seen & (1ull << s))) {
				if (npos < 64)
					pos[npos++] = s;
				if (seen & ~((1ull << s) - 1))
					ordered = 0;    /* a later one came first */
				seen |= 1ull << s;
				if (o.tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT &&
				    memcmp(o.tbs.in_reply_to, prm.message_id,
				    ENV1_ID_LEN) == 0)
					got_receipt = s;
			}
			env1_opened_free(&o);
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	printf("%s: positions", mode);
	for (size_t i = 0; i < npos; i++)
		printf("%s%llu", i ? "," : " ", (unsigned long long)pos[i]);
	printf("\n%s: %s\n", mode, got_receipt == 0 ? "no receipt" :
	    ordered ? "in order" : "out of order");
	env1_sealed_free(&sl);
}

/* --- receipts and envelopes the daemon must refuse ------------------------------ */

/*
 * Read until the receipt for (id, h_inner) comes.  On the way: a Refused
 * naming watch sets *refused; a receipt for dup (its first H_inner dup_h)
 * adds to *dups.  0, or -ETIMEDOUT.
 */
static int
await_receipt(const struct pace *p, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN], const uint8_t *watch, int *refused,
    const uint8_t *dup, const uint8_t *dup_h, unsigned *dups)
{
	Homeward__Wire__Frame *f;
	uint8_t rid[ENV1_ID_LEN];
	size_t wire;
	int done = 0;

	wclient_set_deadline(p->c, 30);
	while (!done) {
		if (pace_read(p, mode, &f, &wire) != 0)
			return -ETIMEDOUT;
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_REFUSED &&
		    watch != NULL && f->refused->message_id.len == ENV1_ID_LEN &&
		    memcmp(f->refused->message_id.data, watch, ENV1_ID_LEN) == 0)
			*refused = 1;
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE) {
			if (party_is_receipt(p->me, &p->to->keys, f->envelope.data,
			    f->envelope.len, id, h_inner, rid))
				done = 1;
			else if (dup != NULL && party_is_receipt(p->me, &p->to->keys,
			    f->envelope.data, f->envelope.len, dup, dup_h, rid))
				(*dups)++;
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	return 0;
}

/* A valid document in a new thread, sealed into out. */
static void
valid_doc(const struct pace *p, const char *mode, struct env1_seal_params *prm,
    char *body, size_t bodysz, struct env1_sealed *out)
{
	memset(prm, 0, sizeof(*prm));
	snprintf(body, bodysz, "wirepoke test document, mode %s", mode);
	randombytes_buf(prm->message_id, ENV1_ID_LEN);
	randombytes_buf(prm->thread_id, ENV1_ID_LEN);
	randombytes_buf(prm->content_salt, ENV1_HASH_LEN);
	prm->created_at = tool_now();
	prm->msg_type = ENV1_MSG_TEST_DOCUMENT;
	prm->seq = 1;
	prm->body = (const uint8_t *)body;
	prm->body_len = strlen(body);
	pace_seal(p, prm, out);
}

/* A valid document after the mode's envelopes: its receipt proves the
 * daemon decided on them (it decides in arrival order).  Refused frames
 * naming watch on the way set *refused. */
static void
barrier(const struct pace *p, const char *mode, const uint8_t *watch,
    int *refused)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	char body[96];

	valid_doc(p, "barrier", &prm, body, sizeof(body), &sl);
	pace_send(p, mode, sl.env, sl.env_len);
	if (await_receipt(p, mode, prm.message_id, sl.h_inner, watch, refused,
	    NULL, NULL, NULL) != 0)
		printf("%s: barrier timeout\n", mode);
	env1_sealed_free(&sl);
}

/* oversize-env: a record one byte over ENV1_ENVELOPE_MAX (under the frame
 * cap) whose fixed header fields are valid: refused, naming its id. */
static void
run_oversize(const struct pace *p, const char *mode)
{
	size_t len = ENV1_ENVELOPE_MAX + 1;
	uint8_t *env = calloc(1, len), id[ENV1_ID_LEN];
	uint32_t ct = (uint32_t)(len - ENV1_HDR_LEN);
	int refused = 0;

	if (env == NULL)
		envpoke_die("out of memory");
	memcpy(env, "ENV1", 4);
	env[4] = ENV1_VERSION;
	env[5] = ENV1_SUITE_X25519;
	randombytes_buf(id, sizeof(id));
	memcpy(env + 8, id, ENV1_ID_LEN);
	memcpy(env + 40, p->me->id.rik_pub, ENV1_KEY_LEN);
	memcpy(env + 72, p->to->keys.rik, ENV1_KEY_LEN);
	env[113] = ENV1_ENC_LEN_SUITE1;
	env[202] = (uint8_t)(ct >> 24);
	env[203] = (uint8_t)(ct >> 16);
	env[204] = (uint8_t)(ct >> 8);
	env[205] = (uint8_t)ct;
	printf("%s: sent %s (%zu bytes)\n", mode, envpoke_hex(id, ENV1_ID_LEN), len);
	pace_send(p, mode, env, len);
	free(env);
	barrier(p, mode, id, &refused);
	printf("%s: %s\n", mode, refused ? "received Refused" : "no Refused");
}

/* dupflood: a document, receipted; then PACE_DUPS copies of its envelope
 * back to back: the stored receipt comes again at most once a second. */
static void
run_dupflood(const struct pace *p, const char *mode)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	char body[96];
	unsigned dups = 0;
	int unused = 0;

	valid_doc(p, mode, &prm, body, sizeof(body), &sl);
	pace_send(p, mode, sl.env, sl.env_len);
	if (await_receipt(p, mode, prm.message_id, sl.h_inner, NULL, &unused,
	    NULL, NULL, NULL) != 0)
		envpoke_die("%s: no receipt for the first copy", mode);
	for (unsigned i = 0; i < PACE_DUPS; i++)
		pace_send(p, mode, sl.env, sl.env_len);
	{
		struct env1_seal_params bp;
		struct env1_sealed bs;
		char bb[96];

		valid_doc(p, "barrier", &bp, bb, sizeof(bb), &bs);
		pace_send(p, mode, bs.env, bs.env_len);
		if (await_receipt(p, mode, bp.message_id, bs.h_inner, NULL, &unused,
		    prm.message_id, sl.h_inner, &dups) != 0)
			printf("%s: barrier timeout\n", mode);
		env1_sealed_free(&bs);
	}
	printf("%s: receipts %u for %u duplicates\n", mode, dups, PACE_DUPS);
	env1_sealed_free(&sl);
}

/* Read until a document of the daemon's opens (it sends what we have not
 * receipted on every new connection). */
static void
catch_doc(const struct pace *p, const char *mode, struct env1_opened *o)
{
	Homeward__Wire__Frame *f;
	size_t wire;
	int done = 0;

	wclient_set_deadline(p->c, 30);
	while (!done) {
		if (pace_read(p, mode, &f, &wire) != 0)
			envpoke_die("%s: no document from the daemon", mode);
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    pace_open(p, f->envelope.data, f->envelope.len, o) == ENV1_OK) {
			if (o->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
				done = 1;
			else
				env1_opened_free(o);
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	printf("%s: caught %s\n", mode, envpoke_hex(o->hdr.message_id, ENV1_ID_LEN));
}

/* Our receipt for o at position seq (after prev) of its thread; a random
 * h_env when wrong_henv. */
static void
seal_receipt(const struct pace *p, const struct env1_opened *o, uint64_t seq,
    const uint8_t prev[ENV1_HASH_LEN], int wrong_henv, struct env1_seal_params *prm,
    uint8_t body[RECEIPT_BODY_LEN], struct env1_sealed *out)
{
	struct receipt r;
	uint64_t now = tool_now();

	receipt_for(o, now, now, &r);
	if (wrong_henv)
		randombytes_buf(r.h_env, ENV1_HASH_LEN);
	receipt_encode(&r, body);
	memset(prm, 0, sizeof(*prm));
	randombytes_buf(prm->message_id, ENV1_ID_LEN);
	randombytes_buf(prm->content_salt, ENV1_HASH_LEN);
	prm->created_at = now;
	prm->msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(prm->thread_id, o->tbs.thread_id, ENV1_ID_LEN);
	prm->seq = seq;
	memcpy(prm->prev_hash, prev, ENV1_HASH_LEN);
	memcpy(prm->in_reply_to, o->hdr.message_id, ENV1_ID_LEN);
	prm->body = body;
	prm->body_len = RECEIPT_BODY_LEN;
	pace_seal(p, prm, out);
}

/*
 * receipt-second: the daemon's next document receipted truly (our
 * position 1 of its thread), then a second receipt for it under another
 * id (position 2): refused.  receipt-henv: a receipt naming the right
 * H_inner but another H_env: refused.
 */
static void
run_receipts(const struct pace *p, const char *mode, int second)
{
	struct env1_seal_params prm;
	struct env1_sealed sl[2];
	struct env1_opened o;
	uint8_t body[RECEIPT_BODY_LEN], zero[ENV1_HASH_LEN];
	int refused = 0;

	memset(zero, 0, sizeof(zero));
	memset(sl, 0, sizeof(sl));
	catch_doc(p, mode, &o);
	seal_receipt(p, &o, 1, zero, !second, &prm, body, &sl[0]);
	printf("%s: sent %s\n", mode, envpoke_hex(prm.message_id, ENV1_ID_LEN));
	pace_send(p, mode, sl[0].env, sl[0].env_len);
	if (second) {
		barrier(p, mode, NULL, &refused);
		seal_receipt(p, &o, 2, sl[0].h_inner, 0, &prm, body, &sl[1]);
		printf("%s: sent %s\n", mode, envpoke_hex(prm.message_id, ENV1_ID_LEN));
		pace_send(p, mode, sl[1].env, sl[1].env_len);
	}
	barrier(p, mode, prm.message_id, &refused);
	printf("%s: %s\n", mode, refused ? "received Refused" : "no Refused");
	env1_opened_free(&o);
	env1_sealed_free(&sl[0]);
	env1_sealed_free(&sl[1]);
}

int
envpace_mode(struct wclient *c, const struct party *me, const struct bundle *to,
    const char *m)
{
	struct pace p = { c, me, to };

	if (strcmp(m, "stall") == 0)
		run_stall(&p, m);
	else if (strncmp(m, "slowacks=", 9) == 0)
		run_slowacks(&p, "slowacks", strtoul(m + 9, NULL, 10));
	else if (strncmp(m, "order=", 6) == 0)
		run_order(&p, "order", m + 6);
	else if (strcmp(m, "oversize-env") == 0)
		run_oversize(&p, m);
	else if (strcmp(m, "dupflood") == 0)
		run_dupflood(&p, m);
	else if (strcmp(m, "receipt-second") == 0 || strcmp(m, "receipt-henv") == 0)
		run_receipts(&p, m, strcmp(m, "receipt-second") == 0);
	else
		return 0;
	return 1;
}
