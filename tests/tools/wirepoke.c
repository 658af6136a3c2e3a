/*
 * wirepoke: a helper program for tests/integration/wire_faults.sh (not a
 * test itself).  It plays a broken or hostile peer against a daemon's
 * listener (tests/lib/wireclient.h) and prints what the daemon did, one
 * line per event, for the script to assert on:
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
 *       (--other-bundle's agency's bundle, answered by a heartbeat)
 *   wirepoke send HOST PORT --as DIR --pass FILE --to BUNDLE --mode M[,M..]
 *       [--other DIR --other-pass FILE --other-bundle BUNDLE]
 *       TLS and Hello as DIR's agency (its daemon.key opened with the
 *       passphrase in FILE), then envelopes for the agency of BUNDLE, one
 *       mode after the other on the same connection:
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
 *
 * Lines are "MODE: EVENT": "from ADDR" (our end, as the daemon logs it),
 * "sent ID (N of M bytes)", "received Refused", "received receipt ID", "closed by peer",
 * "accepted".  A receipt is reported only once opened with DIR's prekeys
 * and checked (receipt_check, the id and H_inner sent).  Exit 0 when the
 * exchange ran, whatever the daemon answered; 1 on a local failure or
 * when nothing came within WP_DEADLINE_S (a safety net against hangs).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <sodium.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "keys/envelope.h"
#include "keys/secret.h"
#include "keys/tool/agencydir.h"
#include "keys/tool/tool.h"
#include "proto/frame.h"
#include "proto/wire.h"
#include "tests/lib/party.h"
#include "tests/lib/wireclient.h"

#define WP_DEADLINE_S   30              /* one exchange may wait this long */
#define WP_OLD_MS       (22ull * 24 * 3600 * 1000)
#define WP_FUTURE_MS    (3600ull * 1000)

struct wp_opts {
	const char     *host, *port;
	const char     *cert, *key;
	const char     *as, *pass, *to;
	const char     *other, *other_pass, *other_bundle;
	const char     *mode, *kind;
	unsigned long   len;            /* 0: FRAME_WIRE_MAX + 1 */
	int             fresh, tls12, fill, no_hello;
};

/* What the send modes work with. */
struct sender {
	const struct wp_opts   *o;
	struct party            me, other;
	struct bundle           to, other_to;
	int                     have_other_to;
	struct wclient          c;
};

static void die(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
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

static const char *
hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 32 + 1];

	tool_hex(p, n > 32 ? 32 : n, buf);
	return buf;
}

/* --- the connection ------------------------------------------------------ */

/* Our address, as the daemon's log will name the connection. */
static void
say_from(const char *what, int fd)
{
	char name[80];

	wclient_local_name(fd, name, sizeof(name));
	printf("%s: from %s\n", what, name);
}

static void
wc_open(struct wclient *c, const struct wp_opts *o, const struct wclient_id *id,
    const char *what)
{
	int rc = wclient_open(c, o->host, o->port, id, WP_DEADLINE_S);

	if (rc == -ECONNRESET || rc == -ETIMEDOUT)
		die("%s: handshake: %s", what, strerror(-rc));
	if (rc != 0)
		die("%s: %s", what, strerror(-rc));
	say_from(what, c->fd);
}

/* The end of a conversation: the daemon closed, or nothing came in time
 * (a failure: the safety net caught a hang). */
static void
report_end(const char *what, int rc)
{
	if (rc == -ETIMEDOUT) {
		printf("%s: timeout\n", what);
		exit(1);
	}
	if (rc == -ECONNRESET) {
		printf("%s: closed by peer\n", what);
		return;
	}
	die("%s: %s", what, strerror(-rc));
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
	report_end(what, rc);
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
		die("--as DIR of an agency is needed");
	t->id.crt_path = t->crt;
	t->id.key_path = t->key;
}

/* The RIK in an agency directory's agency.pub. */
static void
rik_of(const char *dir, uint8_t rik[ENV1_KEY_LEN])
{
	if (dir == NULL || party_rik(dir, rik) != 0)
		die("%s: cannot load", dir != NULL ? dir : "(no directory)");
}

/* --- the connection attacks ---------------------------------------------- */

/* Plain TCP: connect, send buf, read until the daemon closes. */
static void
tcp_poke(const struct wp_opts *o, const char *what, const uint8_t *buf, size_t len)
{
	uint8_t in[4096];
	size_t got = 0;
	ssize_t n;
	time_t deadline = time(NULL) + WP_DEADLINE_S;
	int fd, rc;

	if ((rc = wclient_tcp(o->host, o->port, &fd)) != 0)
		die("connect: %s", strerror(-rc));
	say_from(what, fd);
	if (len > 0 && write(fd, buf, len) < 0 && errno != EPIPE && errno != ECONNRESET)
		die("write: %s", strerror(errno));
	while ((n = read(fd, in, sizeof(in))) != 0) {
		if (n > 0)
			got += (size_t)n;       /* a TLS alert, perhaps */
		else if (errno == ECONNRESET)
			break;
		else if ((errno != EAGAIN && errno != EINTR) || time(NULL) >= deadline)
			report_end(what, errno == EAGAIN || errno == EINTR ?
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
		die("--cert and --key go together");
	if (o->fresh && tlscert_generate("wirepoke", 1, &tc) != 0)
		die("tlscert_generate");
	id.crt_path = o->cert;
	id.key_path = o->key;
	id.fresh = o->fresh ? &tc : NULL;
	id.tls12 = o->tls12;
	rc = wclient_open(&c, o->host, o->port, &id, WP_DEADLINE_S);
	tlscert_clear(&tc);
	if (c.fd >= 0)
		say_from("tls", c.fd);
	if (rc == -ECONNRESET) {
		printf("tls: closed by peer (handshake failed)\n");
	} else if (rc != 0) {
		report_end("tls", rc);
	} else if ((rc = wclient_read_frame(&c, &p, &n)) == 0) {
		/* An accepted peer is greeted with a Hello at once. */
		free(p);
		printf("tls: accepted\n");
	} else {
		report_end("tls", rc);
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
		die("--len is at most %u", UINT32_MAX);
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
			die("out of memory");
		rc = wclient_write(&c, zeros, len);
		free(zeros);
	}
	printf("oversize: announced %lu bytes%s\n", len, o->fill ? " and sent them" : "");
	if (rc != 0)
		report_end("oversize", rc);
	else
		drain_until_closed(&c, "oversize");
	wclient_close(&c);
	return 0;
}

/*
 * Hello, another agency's bundle as if it were ours, then a heartbeat: a
 * connection's frames are handled in order, so its answer means the bundle
 * was decided.  A bundle is no protocol error: we close, not the daemon.
 */
static void
bundle_other(struct wclient *c, const struct wp_opts *o, const uint8_t rik[ENV1_KEY_LEN])
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
		die("bundle-other needs --other-bundle FILE");
	free(buf);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_BUNDLE;
	f.bundle = b;
	if ((rc = wclient_send_hello(c, rik)) == 0 && (rc = wclient_send_frame(c, &f)) == 0) {
		f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
		f.heartbeat = &hb;
		rc = wclient_send_frame(c, &f);
	}
	homeward__keys__bundle__free_unpacked(b, NULL);
	printf("bundle-other: sent\n");
	while (rc == 0 && !answered && (rc = wclient_read_frame(c, &p, &n)) == 0) {
		if ((in = wire_frame_decode(p, n, &err)) == NULL)
			die("the daemon sent a frame that does not decode");
		free(p);
		answered = in->kind_case == HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT &&
		    in->heartbeat->reply;
		homeward__wire__frame__free_unpacked(in, NULL);
	}
	if (rc != 0)
		report_end("bundle-other", rc);
	else
		printf("bundle-other: heartbeat answered\n");
}

static int
cmd_frame(const struct wp_opts *o)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	struct as_tls t;
	struct wclient c;
	uint8_t rik[ENV1_KEY_LEN], junk[64], *buf;
	size_t len;
	int rc;

	if (o->kind == NULL)
		die("--kind is needed");
	as_tls(o->as, &t);
	rik_of(strcmp(o->kind, "hello-other") == 0 ? o->other : o->as, rik);
	wc_open(&c, o, &t.id, o->kind);
	if (strcmp(o->kind, "prehello") == 0) {
		randombytes_buf(junk, sizeof(junk));
		rc = wclient_send_envelope(&c, junk, sizeof(junk));
	} else if (strcmp(o->kind, "hello-other") == 0) {
		rc = wclient_send_hello(&c, rik);
	} else if (strcmp(o->kind, "bundle-other") == 0) {
		bundle_other(&c, o, rik);
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
			die("out of memory");
		homeward__wire__frame__pack(&f, buf + FRAME_HDR_LEN);
		buf[0] = buf[1] = 0;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		if ((rc = wclient_send_hello(&c, rik)) == 0)
			rc = wclient_write(&c, buf, FRAME_HDR_LEN + len);
		free(buf);
	} else {
		die("unknown --kind %s", o->kind);
	}
	printf("%s: sent\n", o->kind);
	if (rc != 0)
		report_end(o->kind, rc);
	else
		drain_until_closed(&c, o->kind);
	wclient_close(&c);
	return 0;
}

/* --- envelopes ----------------------------------------------------------- */

/* A synthetic TEST_DOCUMENT (never personal data) opening a new thread. */
static void
doc_params(struct env1_seal_params *prm, const char *mode, uint64_t created_at,
    char *body, size_t bodysz)
{
	uint8_t rnd[8];

	randombytes_buf(rnd, sizeof(rnd));
	snprintf(body, bodysz, "wirepoke test document, mode %s, %s", mode,
	    hex(rnd, sizeof(rnd)));
	memset(prm, 0, sizeof(*prm));
	randombytes_buf(prm->message_id, ENV1_ID_LEN);
	randombytes_buf(prm->thread_id, ENV1_ID_LEN);
	randombytes_buf(prm->content_salt, ENV1_HASH_LEN);
	prm->created_at = created_at;
	prm->msg_type = ENV1_MSG_TEST_DOCUMENT;
	prm->seq = 1;
	prm->body = (const uint8_t *)body;
	prm->body_len = strlen(body);
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
		die("seal: %s", env1_reason_name(r));
}

/*
 * Wait for the daemon's answer about message id: a Refused naming it, or
 * its receipt.  Hello, Bundle, heartbeats and other envelopes are skipped.
 * Prints the outcome; a close ends the program (nothing more can be asked).
 */
static void
await(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const uint8_t h_inner[ENV1_HASH_LEN])
{
	Homeward__Wire__Frame *f;
	uint8_t *p, rid[ENV1_ID_LEN];
	size_t n;
	int rc, err, done = 0;

	wclient_set_deadline(&s->c, WP_DEADLINE_S);
	while (!done) {
		if ((rc = wclient_read_frame(&s->c, &p, &n)) != 0) {
			report_end(mode, rc);
			exit(0);
		}
		if ((f = wire_frame_decode(p, n, &err)) == NULL)
			die("the daemon sent a frame that does not decode");
		free(p);
		if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_REFUSED &&
		    f->refused->message_id.len == ENV1_ID_LEN &&
		    memcmp(f->refused->message_id.data, id, ENV1_ID_LEN) == 0) {
			printf("%s: received Refused\n", mode);
			done = 1;
		} else if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND_ENVELOPE &&
		    party_is_receipt(&s->me, &s->to.keys, f->envelope.data,
		    f->envelope.len, id, h_inner, rid)) {
			printf("%s: received receipt %s\n", mode, hex(rid, ENV1_ID_LEN));
			done = 1;
		}
		homeward__wire__frame__free_unpacked(f, NULL);
	}
}

static void
connect_as(struct sender *s)
{
	struct as_tls t;
	int rc;

	as_tls(s->o->as, &t);
	wc_open(&s->c, s->o, &t.id, "send");
	if ((rc = wclient_send_hello(&s->c, s->me.id.rik_pub)) != 0) {
		report_end("hello", rc);
		exit(1);
	}
}

/* Send the first len bytes of sealed envelope sl (message id). */
static void
send_env(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const struct env1_sealed *sl, size_t len)
{
	int rc;

	printf("%s: sent %s (%zu of %zu bytes)\n", mode, hex(id, ENV1_ID_LEN), len,
	    sl->env_len);
	if ((rc = wclient_send_envelope(&s->c, sl->env, len)) != 0) {
		report_end(mode, rc);
		exit(0);
	}
}

/* Send all of sl and wait for the answer. */
static void
send_and_await(struct sender *s, const char *mode, const uint8_t id[ENV1_ID_LEN],
    const struct env1_sealed *sl)
{
	send_env(s, mode, id, sl, sl->env_len);
	await(s, mode, id, sl->h_inner);
}

static void
need_other(const struct sender *s, const char *mode)
{
	if (!s->other.loaded || !s->have_other_to)
		die("mode %s needs --other, --other-pass and --other-bundle", mode);
}

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

static void
run_mode(struct sender *s, const char *mode)
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
		die("unknown mode %s", mode);
	}
	env1_sealed_free(&sl);
	env1_sealed_free(&sl2);
}

static int
cmd_send(const struct wp_opts *o)
{
	struct sender s;
	char *modes, *m, *save = NULL;

	if (o->to == NULL || o->mode == NULL)
		die("send needs --to BUNDLE and --mode");
	memset(&s, 0, sizeof(s));
	s.o = o;
	if (o->as == NULL || o->pass == NULL ||
	    party_load(&s.me, o->as, o->pass) != 0)
		die("send needs --as DIR and --pass FILE of a loadable agency");
	if (o->other != NULL && (o->other_pass == NULL ||
	    party_load(&s.other, o->other, o->other_pass) != 0))
		die("--other needs --other-pass FILE of a loadable agency");
	if (agencydir_read_bundle(o->to, &s.to) != 0)
		die("%s: not a bundle", o->to);
	if (o->other_bundle != NULL) {
		if (agencydir_read_bundle(o->other_bundle, &s.other_to) != 0)
			die("%s: not a bundle", o->other_bundle);
		s.have_other_to = 1;
	}
	connect_as(&s);
	if ((modes = strdup(o->mode)) == NULL)
		die("out of memory");
	for (m = strtok_r(modes, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
		run_mode(&s, m);
	free(modes);
	wclient_close(&s.c);
	bundle_free(&s.other_to);
	bundle_free(&s.to);
	party_free(&s.other);
	party_free(&s.me);
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
	{ NULL, 0, NULL, 0 },
};

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	/* The options of each command: the comment at the top of wirepoke.c. */
	fprintf(stderr, "usage: wirepoke garbage|silent|tls|oversize|frame|send "
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
		die("libsodium");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(&o);
	usage();
}
