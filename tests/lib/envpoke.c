/*
 * wirepoke's envelopes (see envpoke.h; the modes are described at the top
 * of tests/tools/wirepoke.c).  Attacks on the opening of an envelope
 * (tests/integration/wire_faults.sh) and on the receiver's ledger and
 * thread order, docs/PROTOCOL.md 9.2 and 9.4 (ledger_faults.sh): each
 * mode seals what it needs with the agency's own keys, sends it, and waits
 * for the daemon's word on it, a Refused frame or a receipt.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "keys/receipt.h"
#include "keys/agencydir.h"
#include "keys/tool/tool.h"
#include "tests/lib/envpace.h"
#include "tests/lib/envpoke.h"
#include "tests/lib/party.h"

#define WP_OLD_MS       (22ull * 24 * 3600 * 1000)
#define WP_FUTURE_MS    (3600ull * 1000)

/* What the modes work with. */
struct sender {
	const struct envpoke_opts *o;
	struct party            me, other;
	struct bundle           to, other_to;
	int                     have_other_to;
	struct wclient          c;
};

void
envpoke_die(const char *fmt, ...)
{
	va_list ap;

	fputs("wirepoke: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

const char *
envpoke_hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 32 + 1];

	hex_encode(p, n > 32 ? 32 : n, buf);
	return buf;
}

void
envpoke_say_from(const char *what, int fd)
{
	char name[80];

	wclient_local_name(fd, name, sizeof(name));
	printf("%s: from %s\n", what, name);
}

void
envpoke_end(const char *what, int rc)
{
	if (rc == -ETIMEDOUT) {
		printf("%s: timeout\n", what);
		exit(1);
	}
	if (rc == -ECONNRESET) {
		printf("%s: closed by peer\n", what);
		return;
	}
	envpoke_die("%s: %s", what, strerror(-rc));
}

/* --- sealing and sending --------------------------------------------------- */

/* A synthetic TEST_DOCUMENT (never personal data) opening a new thread.
 * Its body is printed: the scripts look for it where it must not be. */
static void
doc_params(struct env1_seal_params *prm, const char *mode, uint64_t created_at,
    char *body, size_t bodysz)
{
	uint8_t rnd[8];

	randombytes_buf(rnd, sizeof(rnd));
	snprintf(body, bodysz, "wirepoke test document, mode %s, %s", mode,
	    envpoke_hex(rnd, sizeof(rnd)));
	memset(prm, 0, sizeof(*prm));
	randombytes_buf(prm->message_id, ENV1_ID_LEN);
	randombytes_buf(prm->thread_id, ENV1_ID_LEN);
	randombytes_buf(prm->content_salt, ENV1_HASH_LEN);
	prm->created_at = created_at;
	prm->msg_type = ENV1_MSG_TEST_DOCUMENT;
	prm->seq = 1;
	prm->body = (const uint8_t *)body;
	prm->body_len = strlen(body);
	printf("%s: body %s %s\n", mode, envpoke_hex(prm->message_id, ENV1_ID_LEN),
	    body);
}

/* The next document of prm's thread, in place: a new id, salt and body at
 * seq + 1, chained on prev (the H_inner of the one before it). */
static void
doc_next(struct env1_seal_params *prm, const uint8_t prev[ENV1_HASH_LEN],
    const char *mode, char *body, size_t bodysz)
{
	uint8_t         thread[ENV1_ID_LEN];
	uint64_t        seq = prm->seq + 1;

	memcpy(thread, prm->thread_id, ENV1_ID_LEN);
	doc_params(prm, mode, tool_now(), body, bodysz);
	memcpy(prm->thread_id, thread, ENV1_ID_LEN);
	prm->seq = seq;
	memcpy(prm->prev_hash, prev, ENV1_HASH_LEN);
}

static void
seal(const struct env1_identity *me, const struct peerkeys *to,
    const struct env1_seal_params *prm, struct env1_sealed *out)
{
	const struct stmt_spk *spk;
	uint64_t now = tool_now();
	int r;

	if ((r = peerkeys_choose_prekey(to, now, &spk)) != ENV1_OK ||
	    (r = env1_seal(me, to, spk, prm, now, out)) != ENV1_OK)
		envpoke_die("seal: %s", env1_reason_name(r));
}

/*
 * Wait for the daemon's answer about message id: a Refused naming it, or
 * its receipt.  Hello, Bundle, heartbeats and other envelopes are skipped.
 * Prints the outcome and returns 1 for a receipt, 0 for a Refused; a close
 * ends the program (nothing more can be asked).
 */
static int
await(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN])
{
	Homeward__Wire__Frame *f;
	uint8_t *p, rid[ENV1_ID_LEN];
	size_t n;
	int rc, err, done = 0, receipted = 0;

	wclient_set_deadline(&s->c, ENVPOKE_DEADLINE_S);
	while (!done) {
		if ((rc = wclient_read_frame(&s->c, &p, &n)) != 0) {
			envpoke_end(mode, rc);
			exit(0);
		}
		if ((f = wire_frame_decode(p, n, &err)) == NULL)
			envpoke_die("the daemon sent a frame that does not decode");
		free(p);
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_REFUSED &&
		    f->refused->message_id.len == ENV1_ID_LEN &&
		    memcmp(f->refused->message_id.data, id, ENV1_ID_LEN) == 0) {
			printf("%s: received Refused\n", mode);
			done = 1;
		} else if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    party_is_receipt(&s->me, &s->to.keys, f->envelope.data,
		    f->envelope.len, id, h_inner, rid)) {
			printf("%s: received receipt %s\n", mode,
			    envpoke_hex(rid, ENV1_ID_LEN));
			done = receipted = 1;
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	return receipted;
}

static void
connect_as(struct sender *s)
{
	struct wclient_id id;
	char crt[PATH_MAX], key[PATH_MAX];
	int rc;

	memset(&id, 0, sizeof(id));
	if (party_tls_paths(s->o->as, crt, key) != 0)
		envpoke_die("--as DIR of an agency is needed");
	id.crt_path = crt;
	id.key_path = key;
	rc = wclient_open(&s->c, s->o->host, s->o->port, &id, ENVPOKE_DEADLINE_S);
	if (rc == -ECONNRESET || rc == -ETIMEDOUT)
		envpoke_die("send: handshake: %s", strerror(-rc));
	if (rc != 0)
		envpoke_die("send: %s", strerror(-rc));
	envpoke_say_from("send", s->c.fd);
	if ((rc = wclient_send_hello(&s->c, s->me.id.rik_pub)) != 0) {
		envpoke_end("hello", rc);
		exit(1);
	}
}

/* Send the first len bytes of sealed envelope env (message id, total
 * bytes). */
static void
send_bytes(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const uint8_t *env, size_t len, size_t total)
{
	int rc;

	printf("%s: sent %s (%zu of %zu bytes)\n", mode, envpoke_hex(id, ENV1_ID_LEN),
	    len, total);
	if ((rc = wclient_send_envelope(&s->c, env, len)) != 0) {
		envpoke_end(mode, rc);
		exit(0);
	}
}

static void
send_env(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const struct env1_sealed *sl, size_t len)
{
	send_bytes(s, mode, id, sl->env, len, sl->env_len);
}

/* Send all of sl and wait for the answer. */
static void
send_and_await(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const struct env1_sealed *sl)
{
	send_env(s, mode, id, sl, sl->env_len);
	await(s, mode, id, sl->h_inner);
}

/* A new valid document, sealed, sent and answered. */
static void
send_valid(struct sender *s, const char *mode)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	char body[128];

	doc_params(&prm, mode, tool_now(), body, sizeof(body));
	seal(&s->me.id, &s->to.keys, &prm, &sl);
	send_and_await(s, mode, prm.message_id, &sl);
	env1_sealed_free(&sl);
}

static void
need_other(const struct sender *s, const char *mode)
{
	if (!s->other.loaded || !s->have_other_to)
		envpoke_die("mode %s needs --other, --other-pass and --other-bundle", mode);
}

/* --- opening what the daemon sends ------------------------------------------ */

/* What env1_open looks in: our prekeys; the daemon's agency the only peer. */
static const struct peerkeys *
open_find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	const struct sender *s = arg;

	return memcmp(s->to.keys.rik, rik, ENV1_KEY_LEN) == 0 ? &s->to.keys : NULL;
}

static const struct env1_prekey *
open_find_prekey(void *arg, uint64_t spk_id)
{
	const struct sender *s = arg;

	return party_prekey(&s->me, spk_id);
}

/* Read until the daemon sends a document (not a receipt) that opens: one
 * of its messages for us, sent again on every new connection until it is
 * receipted. */
static void
catch_doc(struct sender *s, const char *mode, struct env1_opened *o)
{
	Homeward__Wire__Frame *f;
	struct env1_open_ctx ctx;
	uint8_t *p;
	size_t n;
	int rc, err, done = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.own_rik = s->me.id.rik_pub;
	ctx.now = tool_now();
	ctx.find_peer = open_find_peer;
	ctx.find_prekey = open_find_prekey;
	ctx.arg = s;
	wclient_set_deadline(&s->c, ENVPOKE_DEADLINE_S);
	while (!done) {
		if ((rc = wclient_read_frame(&s->c, &p, &n)) != 0) {
			envpoke_end(mode, rc);
			exit(1);
		}
		if ((f = wire_frame_decode(p, n, &err)) == NULL)
			envpoke_die("the daemon sent a frame that does not decode");
		free(p);
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    env1_open(&ctx, f->envelope.data, f->envelope.len, o) == ENV1_OK) {
			if (o->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
				done = 1;
			else
				env1_opened_free(o);
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
	printf("%s: caught %s\n", mode, envpoke_hex(o->hdr.message_id, ENV1_ID_LEN));
}

/* --- the attacks on opening (wire_faults.sh) ------------------------------ */

/* Two cut copies of an envelope, then a flipped one as a barrier. */
static void
run_truncated(struct sender *s, struct env1_seal_params *prm, uint64_t now)
{
	struct env1_sealed sl, bar;
	char body[128];

	seal(&s->me.id, &s->to.keys, prm, &sl);
	send_env(s, "truncated", prm->message_id, &sl, 100);
	send_env(s, "truncated", prm->message_id, &sl, sl.env_len - 1);
	/* They carry no id to refuse, but the daemon decides in arrival
	 * order: a Refused for a later envelope means both were decided. */
	doc_params(prm, "truncated barrier", now, body, sizeof(body));
	seal(&s->me.id, &s->to.keys, prm, &bar);
	bar.env[ENV1_HDR_LEN + 40] ^= 0x04;
	send_and_await(s, "truncated barrier", prm->message_id, &bar);
	env1_sealed_free(&bar);
	env1_sealed_free(&sl);
}

/* The modes of wire_faults.sh. */
static void
open_mode(struct sender *s, const char *mode)
{
	struct env1_seal_params prm;
	struct env1_sealed sl, sl2;
	struct env1_identity mix;
	char body[128], body2[160];
	uint64_t now = tool_now();

	memset(&sl, 0, sizeof(sl));
	memset(&sl2, 0, sizeof(sl2));
	doc_params(&prm, mode, now, body, sizeof(body));
	if (strcmp(mode, "valid") == 0) {
		seal(&s->me.id, &s->to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "replay") == 0) {
		seal(&s->me.id, &s->to.keys, &prm, &sl);
		/* Back to back: perhaps in one batch, perhaps not. */
		send_env(s, mode, prm.message_id, &sl, sl.env_len);
		send_and_await(s, mode, prm.message_id, &sl);
		await(s, mode, prm.message_id, sl.h_inner);
		/* Once more on a new connection: the ledger, not the
		 * connection, recognises it. */
		wclient_close(&s->c);
		connect_as(s);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "flip") == 0) {
		seal(&s->me.id, &s->to.keys, &prm, &sl);
		sl.env[ENV1_HDR_LEN + 40] ^= 0x04;
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "forged") == 0 || strcmp(mode, "badsig") == 0) {
		need_other(s, mode);
		/* forged: our RIK, the other agency's DSK and certificate;
		 * badsig: our DSK named, the other's DSK secret signing. */
		mix = strcmp(mode, "forged") == 0 ? s->other.id : s->me.id;
		memcpy(mix.rik_pub, s->me.id.rik_pub, ENV1_KEY_LEN);
		mix.dsk_sk = s->other.id.dsk_sk;
		seal(&mix, &s->to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "wrongrcpt") == 0) {
		need_other(s, mode);
		seal(&s->me.id, &s->other_to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "unknownsender") == 0) {
		need_other(s, mode);
		seal(&s->other.id, &s->to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "future") == 0 || strcmp(mode, "old") == 0) {
		prm.created_at = strcmp(mode, "future") == 0 ? now + WP_FUTURE_MS :
		    now - WP_OLD_MS;
		seal(&s->me.id, &s->to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
	} else if (strcmp(mode, "truncated") == 0) {
		run_truncated(s, &prm, now);
	} else if (strcmp(mode, "equivocate") == 0) {
		seal(&s->me.id, &s->to.keys, &prm, &sl);
		send_and_await(s, mode, prm.message_id, &sl);
		/* The same id, thread and position; another body. */
		snprintf(body2, sizeof(body2), "%s, rewritten", body);
		prm.body = (const uint8_t *)body2;
		prm.body_len = strlen(body2);
		seal(&s->me.id, &s->to.keys, &prm, &sl2);
		send_and_await(s, mode, prm.message_id, &sl2);
	} else {
		envpoke_die("unknown mode %s", mode);
	}
	env1_sealed_free(&sl);
	env1_sealed_free(&sl2);
}

/* --- the attacks on the ledger and thread order (ledger_faults.sh) -------- */

/* The envelope gap holds back, for fill: its id and H_inner, then its
 * bytes. */
static void
state_save(const char *path, const uint8_t id[ENV1_ID_LEN],
    const struct env1_sealed *sl)
{
	uint8_t *buf;
	size_t len = ENV1_ID_LEN + ENV1_HASH_LEN + sl->env_len;
	int rc;

	if (path == NULL)
		envpoke_die("gap needs --state FILE");
	if ((buf = malloc(len)) == NULL)
		envpoke_die("out of memory");
	memcpy(buf, id, ENV1_ID_LEN);
	memcpy(buf + ENV1_ID_LEN, sl->h_inner, ENV1_HASH_LEN);
	memcpy(buf + ENV1_ID_LEN + ENV1_HASH_LEN, sl->env, sl->env_len);
	rc = fileio_write_atomic(path, buf, len, 0600, 1);
	free(buf);
	if (rc != 0)
		envpoke_die("%s: %s", path, strerror(-rc));
}

static void
run_fill(struct sender *s, const char *mode)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (s->o->state == NULL)
		envpoke_die("fill needs --state FILE");
	if ((rc = fileio_read(s->o->state, ENV1_ENVELOPE_MAX + 64, 0, &buf, &len)) != 0 ||
	    len <= ENV1_ID_LEN + ENV1_HASH_LEN)
		envpoke_die("%s: %s", s->o->state, rc != 0 ? strerror(-rc) : "too short");
	send_bytes(s, mode, buf, buf + ENV1_ID_LEN + ENV1_HASH_LEN,
	    len - ENV1_ID_LEN - ENV1_HASH_LEN, len - ENV1_ID_LEN - ENV1_HASH_LEN);
	await(s, mode, buf, buf + ENV1_ID_LEN);
	free(buf);
}

/*
 * A receipt for the first document the daemon sends us, in its thread at
 * position 1 of our chain.  matched: the true receipt, followed by a valid
 * document whose receipt proves ours was decided (a receipt is never
 * answered); otherwise its h_inner is random, and the daemon must refuse.
 */
static void
run_receipt(struct sender *s, const char *mode, int matched)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	struct env1_opened o;
	struct receipt r;
	uint8_t body[RECEIPT_BODY_LEN];
	uint64_t now = tool_now();

	catch_doc(s, mode, &o);
	receipt_for(&o, now, now, &r);
	if (!matched)
		randombytes_buf(r.h_inner, ENV1_HASH_LEN);
	receipt_encode(&r, body);
	memset(&prm, 0, sizeof(prm));
	randombytes_buf(prm.message_id, ENV1_ID_LEN);
	randombytes_buf(prm.content_salt, ENV1_HASH_LEN);
	prm.created_at = now;
	prm.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(prm.thread_id, o.tbs.thread_id, ENV1_ID_LEN);
	prm.seq = 1;
	memcpy(prm.in_reply_to, o.hdr.message_id, ENV1_ID_LEN);
	prm.body = body;
	prm.body_len = sizeof(body);
	env1_opened_free(&o);
	seal(&s->me.id, &s->to.keys, &prm, &sl);
	if (matched) {
		send_env(s, mode, prm.message_id, &sl, sl.env_len);
		send_valid(s, "barrier");
	} else {
		send_and_await(s, mode, prm.message_id, &sl);
	}
	env1_sealed_free(&sl);
}

/* --- a document of the procedure (doc) -------------------------------------- */

/* The thread doc sends in, kept in --state between runs: its id, the last
 * position we sent in it and that message's H_inner. */
#define DOC_STATE_LEN   (ENV1_ID_LEN + 8 + ENV1_HASH_LEN)

/*
 * The bytes of --body sealed as a document of --type, at the next position
 * of the thread in --state (a new thread when the file does not exist),
 * sent and answered; a receipt moves the state on.  The daemon receipts
 * whatever opens and fits the thread's order, whatever its case makes of
 * it: what the procedure did is for the script to ask.
 */
static void
run_doc(struct sender *s, const char *mode)
{
	struct env1_seal_params prm;
	struct env1_sealed sl;
	uint8_t *body, *st = NULL, out[DOC_STATE_LEN];
	size_t len, stlen = 0;
	int rc;

	if (s->o->body == NULL || s->o->msg_type == 0 ||
	    s->o->msg_type > UINT16_MAX || s->o->state == NULL)
		envpoke_die("doc needs --type N, --body FILE and --state FILE");
	if ((rc = fileio_read(s->o->body, ENV1_MAX_INLINE, 0, &body, &len)) != 0)
		envpoke_die("%s: %s", s->o->body, strerror(-rc));
	memset(&prm, 0, sizeof(prm));
	rc = fileio_read(s->o->state, DOC_STATE_LEN, 0, &st, &stlen);
	if (rc == 0 && stlen == DOC_STATE_LEN) {
		memcpy(prm.thread_id, st, ENV1_ID_LEN);
		prm.seq = be64_get(st + ENV1_ID_LEN) + 1;
		memcpy(prm.prev_hash, st + ENV1_ID_LEN + 8, ENV1_HASH_LEN);
	} else if (rc == -ENOENT) {
		randombytes_buf(prm.thread_id, ENV1_ID_LEN);
		prm.seq = 1;
	} else {
		envpoke_die("%s: not a thread's state", s->o->state);
	}
	free(st);
	randombytes_buf(prm.message_id, ENV1_ID_LEN);
	randombytes_buf(prm.content_salt, ENV1_HASH_LEN);
	prm.created_at = tool_now();
	prm.msg_type = (uint16_t)s->o->msg_type;
	if (s->o->reply_to != NULL && (strlen(s->o->reply_to) != 2 * ENV1_ID_LEN ||
	    sodium_hex2bin(prm.in_reply_to, ENV1_ID_LEN, s->o->reply_to,
	    2 * ENV1_ID_LEN, NULL, NULL, NULL) != 0))
		envpoke_die("--reply-to takes 32 hexadecimal digits");
	prm.body = body;
	prm.body_len = len;
	printf("%s: thread %s seq %llu type 0x%04x\n", mode,
	    envpoke_hex(prm.thread_id, ENV1_ID_LEN), (unsigned long long)prm.seq,
	    (unsigned)prm.msg_type);
	seal(&s->me.id, &s->to.keys, &prm, &sl);
	send_env(s, mode, prm.message_id, &sl, sl.env_len);
	if (await(s, mode, prm.message_id, sl.h_inner)) {
		memcpy(out, prm.thread_id, ENV1_ID_LEN);
		be64_put(out + ENV1_ID_LEN, prm.seq);
		memcpy(out + ENV1_ID_LEN + 8, sl.h_inner, ENV1_HASH_LEN);
		if ((rc = fileio_write_atomic(s->o->state, out, sizeof(out), 0600,
		    1)) != 0)
			envpoke_die("%s: %s", s->o->state, strerror(-rc));
	}
	env1_sealed_free(&sl);
	free(body);
}

static const char *const ledger_modes[] = {
	"reseal", "equivocate-seq", "gap", "fill", "badprev", "regress",
	"receipt-unmatched", "receipt",
};

static int
is_ledger_mode(const char *mode)
{
	for (size_t i = 0; i < sizeof(ledger_modes) / sizeof(ledger_modes[0]); i++)
		if (strcmp(mode, ledger_modes[i]) == 0)
			return 1;
	return 0;
}

/* The modes of ledger_faults.sh (is_ledger_mode). */
static void
ledger_mode(struct sender *s, const char *mode)
{
	struct env1_seal_params prm;
	struct env1_sealed sl[3];
	char body[3][128];
	uint8_t prev[ENV1_HASH_LEN];
	int i;

	if (strcmp(mode, "fill") == 0 || strncmp(mode, "receipt", 7) == 0) {
		if (strcmp(mode, "fill") == 0)
			run_fill(s, mode);
		else
			run_receipt(s, mode, strcmp(mode, "receipt") == 0);
		return;
	}
	memset(sl, 0, sizeof(sl));
	doc_params(&prm, mode, tool_now(), body[0], sizeof(body[0]));
	if (strcmp(mode, "reseal") == 0) {
		/* The same message in a new envelope: new ephemeral key,
		 * nonce, created_at and signature (2.10).  Its receipt is
		 * the stored one, naming the first envelope's H_inner. */
		seal(&s->me.id, &s->to.keys, &prm, &sl[0]);
		send_and_await(s, mode, prm.message_id, &sl[0]);
		prm.created_at = tool_now() + 1;
		seal(&s->me.id, &s->to.keys, &prm, &sl[1]);
		if (memcmp(sl[0].h_env, sl[1].h_env, ENV1_HASH_LEN) == 0 ||
		    memcmp(sl[0].sig, sl[1].sig, ENV1_SIG_LEN) == 0)
			envpoke_die("reseal: the second envelope is not new");
		send_env(s, mode, prm.message_id, &sl[1], sl[1].env_len);
		await(s, mode, prm.message_id, sl[0].h_inner);
	} else if (strcmp(mode, "equivocate-seq") == 0) {
		/* The same id again as the thread's valid next position. */
		seal(&s->me.id, &s->to.keys, &prm, &sl[0]);
		send_and_await(s, mode, prm.message_id, &sl[0]);
		prm.seq = 2;
		memcpy(prm.prev_hash, sl[0].h_inner, ENV1_HASH_LEN);
		prm.created_at = tool_now();
		seal(&s->me.id, &s->to.keys, &prm, &sl[1]);
		send_and_await(s, mode, prm.message_id, &sl[1]);
	} else if (strcmp(mode, "gap") == 0) {
		/* Positions 1 and 3 sent; 2, sealed in between so that 3
		 * chains on it, is kept in --state for fill. */
		printf("%s: thread %s\n", mode, envpoke_hex(prm.thread_id, ENV1_ID_LEN));
		for (i = 0; i < 3; i++) {
			if (i > 0)
				doc_next(&prm, sl[i - 1].h_inner, mode, body[i],
				    sizeof(body[i]));
			seal(&s->me.id, &s->to.keys, &prm, &sl[i]);
			if (i == 1)
				state_save(s->o->state, prm.message_id, &sl[i]);
			else
				send_and_await(s, mode, prm.message_id, &sl[i]);
		}
	} else if (strcmp(mode, "badprev") == 0) {
		/* Position 2 chained on something else than position 1. */
		seal(&s->me.id, &s->to.keys, &prm, &sl[0]);
		send_and_await(s, mode, prm.message_id, &sl[0]);
		randombytes_buf(prev, sizeof(prev));
		doc_next(&prm, prev, mode, body[1], sizeof(body[1]));
		seal(&s->me.id, &s->to.keys, &prm, &sl[1]);
		send_and_await(s, mode, prm.message_id, &sl[1]);
	} else if (strcmp(mode, "regress") == 0) {
		/* Positions 1 and 2, then a new id at position 1. */
		for (i = 0; i < 2; i++) {
			if (i > 0)
				doc_next(&prm, sl[i - 1].h_inner, mode, body[i],
				    sizeof(body[i]));
			seal(&s->me.id, &s->to.keys, &prm, &sl[i]);
			send_and_await(s, mode, prm.message_id, &sl[i]);
		}
		memset(prev, 0, sizeof(prev));
		doc_next(&prm, prev, mode, body[2], sizeof(body[2]));
		prm.seq = 1;
		seal(&s->me.id, &s->to.keys, &prm, &sl[2]);
		send_and_await(s, mode, prm.message_id, &sl[2]);
	}
	for (i = 0; i < 3; i++)
		env1_sealed_free(&sl[i]);
}

/* --- the command ------------------------------------------------------------ */

int
envpoke_send(const struct envpoke_opts *o)
{
	struct sender s;
	char *modes, *m, *save = NULL;

	if (o->to == NULL || o->mode == NULL)
		envpoke_die("send needs --to BUNDLE and --mode");
	memset(&s, 0, sizeof(s));
	s.o = o;
	if (o->as == NULL || o->pass == NULL ||
	    party_load(&s.me, o->as, o->pass) != 0)
		envpoke_die("send needs --as DIR and --pass FILE of a loadable agency");
	if (o->other != NULL && (o->other_pass == NULL ||
	    party_load(&s.other, o->other, o->other_pass) != 0))
		envpoke_die("--other needs --other-pass FILE of a loadable agency");
	if (agencydir_read_bundle(o->to, &s.to) != 0)
		envpoke_die("%s: not a bundle", o->to);
	if (o->other_bundle != NULL) {
		if (agencydir_read_bundle(o->other_bundle, &s.other_to) != 0)
			envpoke_die("%s: not a bundle", o->other_bundle);
		s.have_other_to = 1;
	}
	connect_as(&s);
	if ((modes = strdup(o->mode)) == NULL)
		envpoke_die("out of memory");
	for (m = strtok_r(modes, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
		if (envpace_mode(&s.c, &s.me, &s.to, m))
			continue;       /* tests/lib/envpace.c */
		else if (strcmp(m, "doc") == 0)
			run_doc(&s, m);
		else if (is_ledger_mode(m))
			ledger_mode(&s, m);
		else
			open_mode(&s, m);
	free(modes);
	wclient_close(&s.c);
	bundle_free(&s.other_to);
	bundle_free(&s.to);
	party_free(&s.other);
	party_free(&s.me);
	return 0;
}
