/*
 * wirepoke: a helper program for tests/integration/wire_faults.sh and
 * ledger_faults.sh (not a test itself).  It plays a broken or hostile
 * peer against a daemon's listener (tests/lib/wireclient.h) and prints
 * what the daemon did, one line per event, for the scripts to assert on:
 *
 *   wirepoke garbage HOST PORT
 *       bytes that are not TLS
 *   wirepoke tls HOST PORT [--cert CRT --key KEY | --fresh] [--tls12]
 *       a handshake with that certificate (none, a fresh self-signed one,
 *       or a TLS 1.2 offer), then "closed by peer" or "accepted"
 *   wirepoke silent HOST PORT [--as DIR]
 *       connect (and with --as, finish TLS as DIR's agency) and say
 *       nothing, until the daemon gives up on us
 *   wirepoke oversize HOST PORT --as DIR [--len N|max] [--fill] [--no-hello]
 *       TLS as DIR's agency, then a frame announcing N bytes (default
 *       FRAME_WIRE_MAX + 1, "max": exactly the cap); --fill sends the N
 *       bytes (zeros, which are no Frame) as well
 *   wirepoke frame HOST PORT --as DIR --kind KIND [--other DIR]
 *       [--other-bundle FILE]
 *       TLS as DIR's agency, then: prehello (an envelope before Hello),
 *       hello-other (a Hello naming --other's RIK), malformed (a payload
 *       that is no Frame), version (a Frame of version 2), bundle-other
 *       or bundle (--other-bundle, another agency's bundle or an old one
 *       of DIR's, as DIR's own; answered by a heartbeat), hello-forged
 *       (a Hello under a fresh RIK with a transition from DIR's signed
 *       only by that new key: PROTOCOL.md 4.4 wants both), hello-hijack
 *       (the same, to --other's RIK)
 *   wirepoke send HOST PORT --as DIR --pass FILE --to BUNDLE --mode M[,M..]
 *       [--other DIR --other-pass FILE --other-bundle BUNDLE] [--state FILE]
 *       [--type N --body FILE]
 *       TLS and Hello as DIR's agency (its daemon.key opened with the
 *       passphrase in FILE), then envelopes for the agency of BUNDLE, one
 *       mode after the other on the same connection (tests/lib/envpoke.c):
 *         valid          a correct TEST_DOCUMENT in a new thread (seq 1)
 *         replay         one envelope three times: twice back to back,
 *                        then on a new connection
 *         flip           a bit of the ciphertext flipped
 *         forged         DIR's RIK in the header, signed by --other's DSK
 *         badsig         DIR's DSK named, signed with --other's DSK secret
 *         wrongrcpt      sealed for --other-bundle's agency
 *         unknownsender  --other's own envelope, over DIR's connection
 *         future, old    created an hour ahead, 22 days ago
 *         truncated      cut in the header, then by one byte, followed by
 *                        a flipped envelope whose Refused proves the two
 *                        were processed (they have no id to refuse)
 *         equivocate     a valid envelope, then another body under its id
 *       and against the ledger and thread order (PROTOCOL.md 9.2, 9.4):
 *         reseal         a valid envelope, then the same message sealed
 *                        again (new ephemeral key, nonce, created_at and
 *                        signature)
 *         equivocate-seq a valid envelope at position 1, then its id at
 *                        position 2, chained on it
 *         gap            a new thread's positions 1 and 3; 2, which 3
 *                        chains on, is written to --state FILE
 *         fill           the envelope in --state FILE
 *         badprev        positions 1, then 2 with a random prev_hash
 *         regress        positions 1 and 2, then a new id at position 1
 *         receipt-unmatched
 *                        a receipt, at position 1 of its thread, for the
 *                        first document the agency of BUNDLE sends us,
 *                        naming a random H_inner
 *         receipt        the true receipt for it, then a valid document
 *                        ("barrier") whose receipt shows ours was decided
 *       and on the sending pace and receipts (wire_pace.sh,
 *       tests/lib/envpace.c):
 *         stall          read nothing for 3 s (a small receive buffer,
 *                        heartbeats kept), then read for 2 s: "stall:
 *                        envelopes N distinct D bytes B needed U
 *                        most-copies M"
 *         slowacks=N     read at 50 KB/s, receipt each document once,
 *                        after the N-th read on until 1.5 s without an
 *                        envelope (20 s at most): the same summary
 *         order=THREAD   at once a document at our position 1 of the
 *                        daemon's THREAD, then its positions in that
 *                        thread in arrival order: "in order" or not
 *         oversize-env   a record one byte over ENV1_ENVELOPE_MAX with a
 *                        valid fixed header: "received Refused" or not
 *         dupflood       a document, then 1,000 copies of it: "receipts K
 *                        for 1000 duplicates"
 *         receipt-henv   a receipt for the daemon's next document with
 *                        its H_inner and another H_env
 *         receipt-second its true receipt, then a second one (another
 *                        id): "received Refused" or not
 *       and a document of the procedure (rawctl.sh):
 *         doc            the bytes of --body FILE sealed as --type N at the
 *                        next position of the thread kept in --state FILE
 *                        (a new thread when FILE does not exist; a receipt
 *                        moves it on): "doc: thread ID seq N type T";
 *                        --reply-to ID sets its in_reply_to
 *
 *   wirepoke flood HOST PORT --as DIR --pass FILE --to BUNDLE --count N
 *       [--len BYTES] [--type N --body FILE]
 *       TLS and Hello as DIR's agency, then N documents, each opening a
 *       thread of its own (a hostile partner filling the store): test
 *       documents of BYTES bytes of synthetic text (default 100), or
 *       --body FILE as --type N, every "#####" in it replaced by the
 *       document's number (00001, ...) so that each request names a case
 *       of its own.  Sent FLOOD_WINDOW at a time; after each window the
 *       answers are read until each has one or the daemon is silent for
 *       FLOOD_QUIET_S (a suspended partner is not answered); a window with
 *       no answer at all, or a close, ends the flood.  Last line:
 *       "flood: sent S receipts R refused F unanswered U".
 *
 * Lines are "MODE: EVENT": "from ADDR" (our end, as the daemon logs it),
 * "body ID TEXT" (a document's synthetic body), "sent ID (N of M bytes)",
 * "received Refused", "received receipt ID", "caught ID" (a document the
 * daemon sent us), "thread ID", "closed by peer", "accepted".  A receipt
 * is reported only once opened with DIR's prekeys and checked
 * (receipt_check, the id and H_inner sent).  Exit 0 when the exchange
 * ran, whatever the daemon answered; 1 on a local failure or when nothing
 * came within ENVPOKE_DEADLINE_S (a safety net against hangs).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "keys/envelope.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/tool/tool.h"
#include "proto/frame.h"
#include "proto/wire.h"
#include "tests/lib/envpoke.h"
#include "tests/lib/party.h"
#include "tests/lib/wireclient.h"

struct wp_opts {
	const char     *host, *port;
	const char     *cert, *key;
	const char     *as, *pass, *to;
	const char     *other, *other_pass, *other_bundle;
	const char     *mode, *kind, *state, *body, *reply_to;
	unsigned long   len;            /* 0: FRAME_WIRE_MAX + 1 */
	unsigned long   msg_type;       /* doc */
	unsigned long   count;          /* flood */
	int             fresh, tls12, fill, no_hello;
};

/* --- the connection ------------------------------------------------------ */

static void
wc_open(struct wclient *c, const struct wp_opts *o, const struct wclient_id *id,
    const char *what)
{
	int rc = wclient_open(c, o->host, o->port, id, ENVPOKE_DEADLINE_S);

	if (rc == -ECONNRESET || rc == -ETIMEDOUT)
		envpoke_die("%s: handshake: %s", what, strerror(-rc));
	if (rc != 0)
		envpoke_die("%s: %s", what, strerror(-rc));
	envpoke_say_from(what, c->fd);
}

/* Skip whatever the daemon sends until it closes. */
static void
drain_until_closed(struct wclient *c, const char *what)
{
	uint8_t *p;
	size_t n;
	int rc;

	while ((rc = wclient_read_frame(c, &p, &n)) == 0)
		free(p);
	envpoke_end(what, rc);
}

/* --- agencies ------------------------------------------------------------ */

/* TLS as the agency of dir: its tls.crt and tls.key. */
struct as_tls {
	char                    crt[PATH_MAX], key[PATH_MAX];
	struct wclient_id       id;
};

static void
as_tls(const char *dir, struct as_tls *t)
{
	memset(t, 0, sizeof(*t));
	if (dir == NULL || party_tls_paths(dir, t->crt, t->key) != 0)
		envpoke_die("--as DIR of an agency is needed");
	t->id.crt_path = t->crt;
	t->id.key_path = t->key;
}

/* The RIK in an agency directory's agency.pub. */
static void
rik_of(const char *dir, uint8_t rik[ENV1_KEY_LEN])
{
	if (dir == NULL || party_rik(dir, rik) != 0)
		envpoke_die("%s: cannot load", dir != NULL ? dir : "(no directory)");
}

/* --- the connection attacks ---------------------------------------------- */

/* Plain TCP: connect, send buf, read until the daemon closes. */
static void
tcp_poke(const struct wp_opts *o, const char *what, const uint8_t *buf, size_t len)
{
	uint8_t in[4096];
	size_t got = 0;
	ssize_t n;
	time_t deadline = time(NULL) + ENVPOKE_DEADLINE_S;
	int fd, rc;

	if ((rc = wclient_tcp(o->host, o->port, &fd)) != 0)
		envpoke_die("connect: %s", strerror(-rc));
	envpoke_say_from(what, fd);
	if (len > 0 && write(fd, buf, len) < 0 && errno != EPIPE && errno != ECONNRESET)
		envpoke_die("write: %s", strerror(errno));
	while ((n = read(fd, in, sizeof(in))) != 0) {
		if (n > 0)
			got += (size_t)n;       /* a TLS alert, perhaps */
		else if (errno == ECONNRESET)
			break;
		else if ((errno != EAGAIN && errno != EINTR) || time(NULL) >= deadline)
			envpoke_end(what, errno == EAGAIN || errno == EINTR ?
			    -ETIMEDOUT : -errno);
	}
	close(fd);
	printf("%s: closed by peer (%zu bytes received)\n", what, got);
}

static int
cmd_garbage(const struct wp_opts *o)
{
	uint8_t buf[4096];

	/* Nothing TLS expects: an HTTP request, then noise. */
	memcpy(buf, "GET / HTTP/1.0\r\n\r\n", 18);
	randombytes_buf(buf + 18, sizeof(buf) - 18);
	tcp_poke(o, "garbage", buf, sizeof(buf));
	return 0;
}

static int
cmd_silent(const struct wp_opts *o)
{
	struct as_tls t;
	struct wclient c;

	if (o->as == NULL) {
		/* TCP only: the daemon waits for a ClientHello in vain. */
		tcp_poke(o, "silent", NULL, 0);
		return 0;
	}
	/* TLS done, then no Hello and nothing else. */
	as_tls(o->as, &t);
	wc_open(&c, o, &t.id, "silent");
	drain_until_closed(&c, "silent");
	wclient_close(&c);
	return 0;
}

static int
cmd_tls(const struct wp_opts *o)
{
	struct wclient_id id;
	struct tlscert tc;
	struct wclient c;
	uint8_t *p;
	size_t n;
	int rc;

	memset(&id, 0, sizeof(id));
	memset(&tc, 0, sizeof(tc));
	if ((o->cert == NULL) != (o->key == NULL))
		envpoke_die("--cert and --key go together");
	if (o->fresh && tlscert_generate("wirepoke", 1, &tc) != 0)
		envpoke_die("tlscert_generate");
	id.crt_path = o->cert;
	id.key_path = o->key;
	id.fresh = o->fresh ? &tc : NULL;
	id.tls12 = o->tls12;
	rc = wclient_open(&c, o->host, o->port, &id, ENVPOKE_DEADLINE_S);
	tlscert_clear(&tc);
	if (c.fd >= 0)
		envpoke_say_from("tls", c.fd);
	if (rc == -ECONNRESET) {
		printf("tls: closed by peer (handshake failed)\n");
	} else if (rc != 0) {
		envpoke_end("tls", rc);
	} else if ((rc = wclient_read_frame(&c, &p, &n)) == 0) {
		/* An accepted peer is greeted with a Hello at once. */
		free(p);
		printf("tls: accepted\n");
	} else {
		envpoke_end("tls", rc);
	}
	wclient_close(&c);
	return 0;
}

static int
cmd_oversize(const struct wp_opts *o)
{
	struct as_tls t;
	struct wclient c;
	uint8_t rik[ENV1_KEY_LEN], hdr[FRAME_HDR_LEN], *zeros;
	unsigned long len = o->len ? o->len : (unsigned long)FRAME_WIRE_MAX + 1;
	int rc = 0;

	if (len > UINT32_MAX)
		envpoke_die("--len is at most %u", UINT32_MAX);
	as_tls(o->as, &t);
	rik_of(o->as, rik);
	wc_open(&c, o, &t.id, "oversize");
	if (!o->no_hello)
		rc = wclient_send_hello(&c, rik);
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (rc == 0)
		rc = wclient_write(&c, hdr, sizeof(hdr));
	if (rc == 0 && o->fill) {
		if ((zeros = calloc(1, len)) == NULL)
			envpoke_die("out of memory");
		rc = wclient_write(&c, zeros, len);
		free(zeros);
	}
	printf("oversize: announced %lu bytes%s\n", len, o->fill ? " and sent them" : "");
	if (rc != 0)
		envpoke_end("oversize", rc);
	else
		drain_until_closed(&c, "oversize");
	wclient_close(&c);
	return 0;
}

/*
 * Hello, a bundle as if it were our current one (another agency's, or an
 * old one of ours), then a heartbeat: a connection's frames are handled in
 * order, so its answer means the bundle was decided.  A bundle is no protocol error: we close, not the daemon.
 */
static void
bundle_other(struct wclient *c, const struct wp_opts *o, const uint8_t rik[ENV1_KEY_LEN],
    const char *what)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT, *in;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	Homeward__Keys__Bundle *b;
	uint8_t *buf, *p;
	size_t len, n;
	int rc, err, answered = 0;

	if (o->other_bundle == NULL ||
	    fileio_read(o->other_bundle, BUNDLE_MAX_LEN, 0, &buf, &len) != 0 ||
	    (b = homeward__keys__bundle__unpack(NULL, len, buf)) == NULL)
		envpoke_die("%s needs --other-bundle FILE", what);
	free(buf);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_BUNDLE;
	f.bundle = b;
	if ((rc = wclient_send_hello(c, rik)) == 0 && (rc = wclient_send_frame(c, &f)) == 0) {
		f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
		f.heartbeat = &hb;
		rc = wclient_send_frame(c, &f);
	}
	homeward__keys__bundle__free_unpacked(b, NULL);
	printf("%s: sent\n", what);
	while (rc == 0 && !answered && (rc = wclient_read_frame(c, &p, &n)) == 0) {
		if ((in = wire_frame_decode(p, n, &err)) == NULL)
			envpoke_die("the daemon sent a frame that does not decode");
		free(p);
		answered = in->kind_case == HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT &&
		    in->heartbeat->reply;
		homeward__wire__frame__free_unpacked(in, NULL);
	}
	if (rc != 0)
		envpoke_end(what, rc);
	else
		printf("%s: heartbeat answered\n", what);
}

/* Hello under a fresh RIK (or claim), "transition" from rik signed by
 * the fresh key alone. */
static int
hello_forged(struct wclient *c, const uint8_t rik[ENV1_KEY_LEN], const uint8_t *claim)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Hello h = HOMEWARD__WIRE__HELLO__INIT;
	struct stmt_transition t;
	uint8_t sk[64], enc[STMT_TRANSITION_LEN];

	memset(&t, 0, sizeof(t));
	crypto_sign_keypair(t.new_rik, sk);
	memcpy(t.old_rik, rik, ENV1_KEY_LEN);
	t.effective_at = (uint64_t)time(NULL) * 1000;
	if (stmt_transition_sign(&t, sk, sk) != ENV1_OK)
		envpoke_die("cannot sign");
	if (claim != NULL)
		memcpy(t.new_rik, claim, ENV1_KEY_LEN);
	stmt_transition_encode(&t, enc);
	h.rik.data = t.new_rik;
	h.rik.len = ENV1_KEY_LEN;
	h.transition.data = enc;
	h.transition.len = sizeof(enc);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HELLO;
	f.hello = &h;
	return wclient_send_frame(c, &f);
}

static int
cmd_frame(const struct wp_opts *o)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	struct as_tls t;
	struct wclient c;
	uint8_t rik[ENV1_KEY_LEN], other[ENV1_KEY_LEN], junk[64], *buf;
	size_t len;
	int rc;

	if (o->kind == NULL)
		envpoke_die("--kind is needed");
	as_tls(o->as, &t);
	rik_of(strcmp(o->kind, "hello-other") == 0 ? o->other : o->as, rik);
	wc_open(&c, o, &t.id, o->kind);
	if (strcmp(o->kind, "prehello") == 0) {
		randombytes_buf(junk, sizeof(junk));
		rc = wclient_send_envelope(&c, junk, sizeof(junk));
	} else if (strcmp(o->kind, "hello-other") == 0) {
		rc = wclient_send_hello(&c, rik);
	} else if (strcmp(o->kind, "hello-forged") == 0) {
		rc = hello_forged(&c, rik, NULL);
	} else if (strcmp(o->kind, "hello-hijack") == 0) {
		rik_of(o->other, other);
		rc = hello_forged(&c, rik, other);
	} else if (strcmp(o->kind, "bundle-other") == 0 ||
	    strcmp(o->kind, "bundle") == 0) {
		bundle_other(&c, o, rik, o->kind);
		wclient_close(&c);
		return 0;
	} else if (strcmp(o->kind, "malformed") == 0) {
		/* A length-prefixed payload no protobuf parser takes. */
		memset(junk, 0xff, sizeof(junk));
		junk[0] = junk[1] = junk[2] = 0;
		junk[3] = sizeof(junk) - FRAME_HDR_LEN;
		if ((rc = wclient_send_hello(&c, rik)) == 0)
			rc = wclient_write(&c, junk, sizeof(junk));
	} else if (strcmp(o->kind, "version") == 0) {
		/* wire_frame_encode sets the current version: pack by hand. */
		f.version = WIRE_PROTOCOL_VERSION + 1;
		f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
		f.heartbeat = &hb;
		len = homeward__wire__frame__get_packed_size(&f);
		if ((buf = malloc(FRAME_HDR_LEN + len)) == NULL)
			envpoke_die("out of memory");
		homeward__wire__frame__pack(&f, buf + FRAME_HDR_LEN);
		buf[0] = buf[1] = 0;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		if ((rc = wclient_send_hello(&c, rik)) == 0)
			rc = wclient_write(&c, buf, FRAME_HDR_LEN + len);
		free(buf);
	} else {
		envpoke_die("unknown --kind %s", o->kind);
	}
	printf("%s: sent\n", o->kind);
	if (rc != 0)
		envpoke_end(o->kind, rc);
	else
		drain_until_closed(&c, o->kind);
	wclient_close(&c);
	return 0;
}

static int
cmd_send(const struct wp_opts *o)
{
	struct envpoke_opts eo;

	memset(&eo, 0, sizeof(eo));
	eo.host = o->host;
	eo.port = o->port;
	eo.as = o->as;
	eo.pass = o->pass;
	eo.to = o->to;
	eo.other = o->other;
	eo.other_pass = o->other_pass;
	eo.other_bundle = o->other_bundle;
	eo.mode = o->mode;
	eo.state = o->state;
	eo.body = o->body;
	eo.msg_type = o->msg_type;
	eo.reply_to = o->reply_to;
	return envpoke_send(&eo);
}

/* --- flood -------------------------------------------------------------- */

#define FLOOD_WINDOW    32
#define FLOOD_QUIET_S   3

struct flood {
	struct party            me;
	struct bundle           to;
	struct wclient          c;
	uint8_t                *body;           /* --body, or synthetic text */
	size_t                  body_len;
	uint16_t                msg_type;
	uint8_t                 id[FLOOD_WINDOW][ENV1_ID_LEN];
	uint8_t                 h_inner[FLOOD_WINDOW][ENV1_HASH_LEN];
	int                     answered[FLOOD_WINDOW];
	unsigned long           sent, receipts, refused;
	int                     closed;
};

/* Document number k: a new thread, its body numbered; sent, id kept in
 * slot i. */
static void
flood_send_one(struct flood *f, unsigned long k, size_t i)
{
	struct env1_seal_params prm;
	const struct stmt_spk *spk;
	struct env1_sealed sl;
	uint8_t *body;
	char num[8];
	int r;

	if ((body = malloc(f->body_len + 1)) == NULL)
		envpoke_die("out of memory");
	memcpy(body, f->body, f->body_len);
	snprintf(num, sizeof(num), "%05lu", k % 100000);
	for (size_t j = 0; j + 5 <= f->body_len; j++)
		if (memcmp(body + j, "#####", 5) == 0)
			memcpy(body + j, num, 5);
	memset(&prm, 0, sizeof(prm));
	randombytes_buf(prm.message_id, ENV1_ID_LEN);
	randombytes_buf(prm.thread_id, ENV1_ID_LEN);
	randombytes_buf(prm.content_salt, ENV1_HASH_LEN);
	prm.created_at = tool_now();
	prm.msg_type = f->msg_type;
	prm.seq = 1;
	prm.body = body;
	prm.body_len = f->body_len;
	if ((r = peerkeys_choose_prekey(&f->to.keys, prm.created_at, &spk)) != ENV1_OK ||
	    (r = env1_seal(&f->me.id, &f->to.keys, spk, &prm, prm.created_at,
	    &sl)) != ENV1_OK)
		envpoke_die("seal: %s", env1_reason_name(r));
	free(body);
	memcpy(f->id[i], prm.message_id, ENV1_ID_LEN);
	memcpy(f->h_inner[i], sl.h_inner, ENV1_HASH_LEN);
	f->answered[i] = 0;
	if (wclient_send_envelope(&f->c, sl.env, sl.env_len) != 0)
		f->closed = 1;
	else
		f->sent++;
	env1_sealed_free(&sl);
}

/* One frame's answer to slots [0, n): 1 when it answered one. */
static int
flood_answer(struct flood *f, Homeward__Wire__Frame *fr, size_t n)
{
	uint8_t rid[ENV1_ID_LEN];

	for (size_t i = 0; i < n; i++) {
		if (f->answered[i])
			continue;
		if (fr->kind_case == HOMEWARD__WIRE__FRAME__KIND_REFUSED &&
		    fr->refused->message_id.len == ENV1_ID_LEN &&
		    memcmp(fr->refused->message_id.data, f->id[i], ENV1_ID_LEN) == 0) {
			f->refused++;
			return f->answered[i] = 1;
		}
		if (fr->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    party_is_receipt(&f->me, &f->to.keys, fr->envelope.data,
		    fr->envelope.len, f->id[i], f->h_inner[i], rid)) {
			f->receipts++;
			return f->answered[i] = 1;
		}
	}
	return 0;
}

/* Read answers to slots [0, n) until all came or the daemon is quiet;
 * how many came. */
static size_t
flood_read(struct flood *f, size_t n)
{
	Homeward__Wire__Frame *fr;
	uint8_t *p;
	size_t len, got = 0;
	int rc, err;

	wclient_set_deadline(&f->c, FLOOD_QUIET_S);
	while (got < n && !f->closed) {
		if ((rc = wclient_read_frame(&f->c, &p, &len)) != 0) {
			if (rc != -ETIMEDOUT)
				f->closed = 1;
			break;
		}
		if ((fr = wire_frame_decode(p, len, &err)) == NULL)
			envpoke_die("the daemon sent a frame that does not decode");
		free(p);
		if (flood_answer(f, fr, n)) {
			got++;
			wclient_set_deadline(&f->c, FLOOD_QUIET_S);
		}
		homeward__wire__frame__free_unpacked(fr, NULL);
	}
	return got;
}

static void
flood_body(struct flood *f, const struct wp_opts *o)
{
	int rc;

	if (o->body != NULL) {
		if (o->msg_type == 0 || o->msg_type > UINT16_MAX)
			envpoke_die("flood --body needs --type N");
		if ((rc = fileio_read(o->body, ENV1_MAX_INLINE, 0, &f->body,
		    &f->body_len)) != 0)
			envpoke_die("%s: %s", o->body, strerror(-rc));
		f->msg_type = (uint16_t)o->msg_type;
		return;
	}
	f->body_len = o->len != 0 ? o->len : 100;
	if (f->body_len > ENV1_MAX_INLINE || (f->body = malloc(f->body_len)) == NULL)
		envpoke_die("--len: at most %d bytes", ENV1_MAX_INLINE);
	/* Synthetic text, never personal data. */
	for (size_t i = 0; i < f->body_len; i++)
		f->body[i] = (uint8_t)("wirepoke flood "[i % 15]);
	f->msg_type = ENV1_MSG_TEST_DOCUMENT;
}

static int
cmd_flood(const struct wp_opts *o)
{
	struct flood    f;
	struct as_tls   t;
	unsigned long   k = 0, unanswered = 0;
	size_t          n, got;
	int             rc;

	memset(&f, 0, sizeof(f));
	if (o->to == NULL || o->count == 0 || o->pass == NULL)
		envpoke_die("flood needs --as DIR, --pass FILE, --to BUNDLE and --count N");
	as_tls(o->as, &t);
	if (party_load(&f.me, o->as, o->pass) != 0)
		envpoke_die("%s: cannot load", o->as);
	if (agencydir_read_bundle(o->to, &f.to) != 0)
		envpoke_die("%s: not a bundle", o->to);
	flood_body(&f, o);
	wc_open(&f.c, o, &t.id, "flood");
	if ((rc = wclient_send_hello(&f.c, f.me.id.rik_pub)) != 0)
		envpoke_end("flood", rc);
	while (k < o->count && !f.closed) {
		for (n = 0; n < FLOOD_WINDOW && k < o->count && !f.closed; n++)
			flood_send_one(&f, ++k, n);
		got = flood_read(&f, n);
		unanswered += n - got;
		if (got == 0)
			break;          /* suspended, or full: no use going on */
	}
	if (f.closed)
		printf("flood: closed by peer\n");
	printf("flood: sent %lu receipts %lu refused %lu unanswered %lu\n", f.sent,
	    f.receipts, f.refused, unanswered);
	wclient_close(&f.c);
	free(f.body);
	bundle_free(&f.to);
	party_free(&f.me);
	return 0;
}

/* --- main ---------------------------------------------------------------- */

static const struct option long_opts[] = {
	{ "cert", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "fresh", no_argument, NULL, 'F' },
	{ "tls12", no_argument, NULL, '2' },
	{ "as", required_argument, NULL, 'a' },
	{ "pass", required_argument, NULL, 'p' },
	{ "to", required_argument, NULL, 't' },
	{ "other", required_argument, NULL, 'o' },
	{ "other-pass", required_argument, NULL, 'P' },
	{ "other-bundle", required_argument, NULL, 'B' },
	{ "mode", required_argument, NULL, 'm' },
	{ "kind", required_argument, NULL, 'K' },
	{ "len", required_argument, NULL, 'l' },
	{ "fill", no_argument, NULL, 'f' },
	{ "no-hello", no_argument, NULL, 'n' },
	{ "state", required_argument, NULL, 's' },
	{ "type", required_argument, NULL, 'T' },
	{ "body", required_argument, NULL, 'b' },
	{ "reply-to", required_argument, NULL, 'r' },
	{ "count", required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	/* The options of each command: the comment at the top of wirepoke.c. */
	fprintf(stderr, "usage: wirepoke garbage|silent|tls|oversize|frame|send|flood "
	    "HOST PORT [options]\n");
	exit(2);
}

static unsigned long
parse_len(const char *s)
{
	unsigned long v;
	char *end;

	if (strcmp(s, "max") == 0)
		return FRAME_WIRE_MAX;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v == 0)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct wp_opts *);
	} cmds[] = {
		{ "garbage", cmd_garbage }, { "silent", cmd_silent },
		{ "tls", cmd_tls }, { "oversize", cmd_oversize },
		{ "frame", cmd_frame }, { "send", cmd_send },
		{ "flood", cmd_flood },
	};
	struct wp_opts o;
	int c;

	if (argc < 4)
		usage();
	memset(&o, 0, sizeof(o));
	/* argv[1] is the command: getopt sees it as the program name. */
	while ((c = getopt_long(argc - 1, argv + 1, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case 'F': o.fresh = 1; break;
		case '2': o.tls12 = 1; break;
		case 'a': o.as = optarg; break;
		case 'p': o.pass = optarg; break;
		case 't': o.to = optarg; break;
		case 'o': o.other = optarg; break;
		case 'P': o.other_pass = optarg; break;
		case 'B': o.other_bundle = optarg; break;
		case 'm': o.mode = optarg; break;
		case 'K': o.kind = optarg; break;
		case 'l': o.len = parse_len(optarg); break;
		case 'f': o.fill = 1; break;
		case 'n': o.no_hello = 1; break;
		case 's': o.state = optarg; break;
		case 'T': o.msg_type = parse_len(optarg); break;
		case 'b': o.body = optarg; break;
		case 'r': o.reply_to = optarg; break;
		case 'N': o.count = parse_len(optarg); break;
		default: usage();
		}
	}
	if (argc - 1 - optind != 2)
		usage();
	o.host = argv[1 + optind];
	o.port = argv[2 + optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (secret_init() != 0)
		envpoke_die("libsodium");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(&o);
	usage();
}
