/*
 * Unit tests: daemon connections (daemon/conn.c, daemon/tls.c) over real
 * sockets on 127.0.0.1 with real TLS.  Two daemons' worth of identities
 * (alpha, beta) and a stranger (mallory) are generated with tlscert into a
 * temporary directory.  A listener and a dialler share one loop; peers our
 * module cannot play (TLS 1.2 only, a sender of oversized frames, a reader
 * that stalls) are plain OpenSSL over blocking sockets in a thread.
 *
 * Every loop run waits on events; a watchdog timer only turns a hang into
 * a failure.  Each test ends by closing everything and checking that
 * uv_loop_close finds no handle left.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "keys/be.h"
#include "proto/frame.h"

#define WATCHDOG_MS     60000   /* a hang fails the test; no test waits this long */
#define RAW_TIMEOUT_S   60      /* the same for the OpenSSL threads' sockets */

enum { ALPHA, BETA, MALLORY, NIDS };
static const char *const names[NIDS] = { "alpha", "beta", "mallory" };

/* Apart from fx: gcc's -Wrestrict cannot tell the members apart. */
static char fxdir[64];

static struct {
	char                    crt[NIDS][128];
	char                    key[NIDS][128];
	uint8_t                 spki[NIDS][CONN_SPKI_LEN];
	struct conn_tls        *tls[NIDS];
} fx;

/* Where conn_close is called from, for the re-entrancy tests. */
enum { IN_NONE, IN_VERIFY, IN_OPEN, IN_FRAME };

struct env;

/* One end: the dialled connection, or every connection the listener
 * accepted (they share the listener's arg). */
struct side {
	struct env             *env;
	const uint8_t          *pin;            /* the one key accepted; NULL: none */
	int                     close_in;
	void                  (*open_hook)(struct side *, struct conn *);
	void                  (*frame_hook)(struct side *, struct conn *,
	                            const uint8_t *, size_t);
	void                  (*drain_hook)(struct side *, struct conn *);
	struct conn            *c;
	uint8_t                 seen[CONN_SPKI_LEN];
	int                     verified, opened, drained, outbound;
	size_t                  frames, bad_frames;
	int                     nclosed;
	enum conn_close_reason  reasons[8];
	/* test state */
	size_t                  sent;
	int                     enobufs;
	int                     go_fd;
};

struct env {
	uv_loop_t               loop;
	uv_timer_t              watchdog;
	int                     timed_out;
	struct conn_listener   *l;
	uint16_t                port;
	struct side             srv, cli;
};

static int
rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int
group_setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_DEBUG, "test_conn");
	snprintf(fxdir, sizeof(fxdir), "/tmp/homeward-conn-XXXXXX");
	if (mkdtemp(fxdir) == NULL)
		return -1;
	for (int i = 0; i < NIDS; i++) {
		struct tlscert t;
		char *cause = NULL;

		snprintf(fx.crt[i], sizeof(fx.crt[i]), "%s/%s.crt", fxdir, names[i]);
		snprintf(fx.key[i], sizeof(fx.key[i]), "%s/%s.key", fxdir, names[i]);
		if (tlscert_generate(names[i], TLSCERT_DAYS, &t) != 0)
			return -1;
		memcpy(fx.spki[i], t.spki_sha256, CONN_SPKI_LEN);
		if (fileio_write_atomic(fx.crt[i], t.crt_pem, t.crt_len, 0644, 0) ||
		    fileio_write_atomic(fx.key[i], t.key_pem, t.key_len, 0600, 0)) {
			tlscert_clear(&t);
			return -1;
		}
		tlscert_clear(&t);
		if (conn_tls_new(fx.crt[i], fx.key[i], &fx.tls[i], &cause) != 0) {
			fprintf(stderr, "conn_tls_new: %s\n", cause);
			free(cause);
			return -1;
		}
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NIDS; i++)
		conn_tls_free(fx.tls[i]);
	return nftw(fxdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The callbacks both ends use. */

static int
side_verify(struct conn *c, const uint8_t spki[CONN_SPKI_LEN], void *arg)
{
	struct side *s = arg;

	s->verified++;
	s->c = c;
	memcpy(s->seen, spki, CONN_SPKI_LEN);
	if (s->close_in == IN_VERIFY)
		conn_close(c);
	return s->pin != NULL && memcmp(spki, s->pin, CONN_SPKI_LEN) == 0 ? 0 : -1;
}

static void
side_open(struct conn *c, void *arg)
{
	struct side *s = arg;

	s->opened++;
	s->c = c;
	s->outbound = conn_is_outbound(c);
	if (s->close_in == IN_OPEN)
		conn_close(c);
	if (s->open_hook != NULL)
		s->open_hook(s, c);
}

static void
side_frame(struct conn *c, const uint8_t *p, size_t len, void *arg)
{
	struct side *s = arg;

	s->frames++;
	if (s->frame_hook != NULL)
		s->frame_hook(s, c, p, len);
	if (s->close_in == IN_FRAME)
		conn_close(c);
}

static void
side_drain(struct conn *c, void *arg)
{
	struct side *s = arg;

	s->drained++;
	if (s->drain_hook != NULL)
		s->drain_hook(s, c);
}

static void
side_close(struct conn *c, enum conn_close_reason why, void *arg)
{
	struct side *s = arg;

	if (s->nclosed < 8)
		s->reasons[s->nclosed] = why;
	s->nclosed++;
	if (s->c == c)
		s->c = NULL;
}

static const struct conn_cb side_cb = {
	.on_verify = side_verify,
	.on_open = side_open,
	.on_frame = side_frame,
	.on_drain = side_drain,
	.on_close = side_close,
};

/* The loop. */

static void
watchdog_cb(uv_timer_t *t)
{
	struct env *e = t->data;

	e->timed_out = 1;
	uv_stop(&e->loop);
}

static void
env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(uv_loop_init(&e->loop), 0);
	assert_int_equal(uv_timer_init(&e->loop, &e->watchdog), 0);
	e->watchdog.data = e;
	assert_int_equal(uv_timer_start(&e->watchdog, watchdog_cb, WATCHDOG_MS, 0), 0);
	e->srv.env = e->cli.env = e;
	e->srv.go_fd = e->cli.go_fd = -1;
}

static void
env_listen(struct env *e, int who, const uint8_t *pin)
{
	e->srv.pin = pin;
	assert_int_equal(conn_listen(&e->loop, fx.tls[who], "127.0.0.1", 0,
	    &side_cb, &e->srv, &e->l), 0);
	e->port = conn_listener_port(e->l);
	assert_int_not_equal(e->port, 0);
}

static void
env_dial(struct env *e, int who, const uint8_t *pin, const char *host,
    uint16_t port)
{
	e->cli.pin = pin;
	assert_int_equal(conn_connect(&e->loop, fx.tls[who], host, port,
	    &side_cb, &e->cli, &e->cli.c), 0);
	assert_non_null(e->cli.c);
}

/* Run the loop until done(e) holds. */
static void
env_run(struct env *e, int (*done)(const struct env *))
{
	while (!done(e)) {
		assert_false(e->timed_out);
		uv_run(&e->loop, UV_RUN_ONCE);
	}
}

/* Close what is left, let every close callback run, check none is left
 * (the watchdog stays armed but no longer keeps the loop alive). */
static void
env_finish(struct env *e)
{
	conn_listener_close(e->l);
	e->l = NULL;
	uv_unref((uv_handle_t *)&e->watchdog);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	assert_false(e->timed_out);
	uv_close((uv_handle_t *)&e->watchdog, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop), 0);
}

static int
both_closed(const struct env *e)
{
	return e->srv.nclosed >= 1 && e->cli.nclosed >= 1;
}

static int
cli_closed(const struct env *e)
{
	return e->cli.nclosed >= 1;
}

static int
srv_closed(const struct env *e)
{
	return e->srv.nclosed >= 1;
}

/* Frames with content that says which frame they are. */

#define NFRAMES         1002

static size_t
frame_len(size_t i)
{
	if (i == 0)
		return FRAME_WIRE_MAX;          /* the cap itself passes */
	if (i == 1)
		return 0;
	return 1 + (i * 37) % 300;
}

static void
frame_fill(size_t i, uint8_t *p, size_t len)
{
	for (size_t j = 0; j < len; j++)
		p[j] = (uint8_t)(i * 131 + j * 7);
}

static int
frame_check(size_t i, const uint8_t *p, size_t len)
{
	if (len != frame_len(i))
		return -1;
	for (size_t j = 0; j < len; j++)
		if (p[j] != (uint8_t)(i * 131 + j * 7))
			return -1;
	return 0;
}

static void
send_all_frames(struct side *s, struct conn *c)
{
	uint8_t *p = malloc(FRAME_WIRE_MAX);

	assert_non_null(p);
	for (size_t i = 0; i < NFRAMES; i++) {
		frame_fill(i, p, frame_len(i));
		assert_int_equal(conn_send(c, p, frame_len(i)), 0);
	}
	s->sent = NFRAMES;
	free(p);
}

static void
echo_frame(struct side *s, struct conn *c, const uint8_t *p, size_t len)
{
	if (frame_check(s->frames - 1, p, len) != 0)
		s->bad_frames++;
	assert_int_equal(conn_send(c, p, len), 0);
}

static void
check_echo(struct side *s, struct conn *c, const uint8_t *p, size_t len)
{
	if (frame_check(s->frames - 1, p, len) != 0)
		s->bad_frames++;
	if (s->frames == NFRAMES)
		conn_close(c);
}

static void
test_exchange(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.frame_hook = echo_frame;
	e.cli.open_hook = send_all_frames;
	e.cli.frame_hook = check_echo;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(conn_send(e.cli.c, (const uint8_t *)"x", 1), -ENOTCONN);
	assert_non_null(strstr(conn_peer_name(e.cli.c), "127.0.0.1"));
	env_run(&e, both_closed);

	/* Each side saw the other's real key and accepted it. */
	assert_memory_equal(e.srv.seen, fx.spki[BETA], CONN_SPKI_LEN);
	assert_memory_equal(e.cli.seen, fx.spki[ALPHA], CONN_SPKI_LEN);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.srv.outbound, 0);
	assert_int_equal(e.cli.outbound, 1);
	/* Everything arrived, in order, both ways. */
	assert_int_equal(e.srv.frames, NFRAMES);
	assert_int_equal(e.srv.bad_frames, 0);
	assert_int_equal(e.cli.frames, NFRAMES);
	assert_int_equal(e.cli.bad_frames, 0);
	env_finish(&e);
	/* The client closed; the server saw its close_notify. */
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_EOF);
}

static void
send_one(struct side *s, struct conn *c)
{
	(void)s;
	(void)conn_send(c, (const uint8_t *)"hello", 5);
}

/* The client does not pin the server's key: it stops before its Finished. */
static void
test_pin_refused_by_client(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.open_hook = send_one;
	env_dial(&e, BETA, fx.spki[MALLORY], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.cli.verified, 1);
	assert_memory_equal(e.cli.seen, fx.spki[ALPHA], CONN_SPKI_LEN);
	assert_int_equal(e.cli.opened, 0);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_PIN);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_not_equal(e.srv.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.opened, 0);
	assert_int_equal(e.cli.frames + e.srv.frames, 0);
}

/* The server does not pin the client's key.  In TLS 1.3 the client is
 * done first and may already send: nothing reaches the server's owner. */
static void
pin_refused_by_server(int client, const uint8_t *server_pin)
{
	struct env e;

	env_init(&e);
	env_listen(&e, ALPHA, server_pin);
	e.cli.open_hook = send_one;
	env_dial(&e, client, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.srv.verified, 1);
	assert_memory_equal(e.srv.seen, fx.spki[client], CONN_SPKI_LEN);
	assert_int_equal(e.srv.opened, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_PIN);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_not_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.frames + e.srv.frames, 0);
}

static void
test_pin_refused_by_server(void **state)
{
	(void)state;
	pin_refused_by_server(BETA, fx.spki[MALLORY]);
}

/* A client with a certificate of its own making (another key). */
static void
test_unknown_client_refused(void **state)
{
	(void)state;
	pin_refused_by_server(MALLORY, fx.spki[BETA]);
}

static int
garbage_then_good_done(const struct env *e)
{
	return e->srv.nclosed >= 2 && e->cli.nclosed >= 1;
}

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Plain text instead of a ClientHello; the listener then serves a real
 * client as if nothing had happened. */
static void
test_garbage_then_good_client(void **state)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	struct env e;
	int fd;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	/* The kernel completes the TCP handshake from the backlog. */
	assert_true((fd = tcp_connect(e.port)) != -1);
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), sizeof(junk) - 1);
	env_run(&e, srv_closed);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
	assert_int_equal(e.srv.verified, 0);
	close(fd);

	e.cli.open_hook = send_one;
	e.srv.close_in = IN_FRAME;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, garbage_then_good_done);
	env_finish(&e);
	assert_int_equal(e.srv.nclosed, 2);
	assert_int_equal(e.srv.verified, 1);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.srv.frames, 1);
	assert_int_equal(e.srv.reasons[1], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.nclosed, 1);
}

/*
 * Peers played with OpenSSL directly, over a blocking socket in a thread.
 * Results are only read after pthread_join.
 */
enum raw_mode {
	RAW_HANDSHAKE,          /* client: handshake only */
	RAW_OVERSIZE,           /* client: announce a frame over the cap */
	RAW_SLOW_READER,        /* client: read nothing until told, then all */
	RAW_SERVER,             /* server: handshake only */
};

#define SLOW_FRAME      65536
#define SLOW_FRAMES     256     /* 16 MiB: four times the high-water mark */

struct raw {
	enum raw_mode           mode;
	SSL_CTX                *ctx;
	uint16_t                port;
	int                     lfd;            /* RAW_SERVER: listening */
	int                     go[2];          /* RAW_SLOW_READER: "read now" */
	pthread_t               th;
	int                     handshake_ok;
	int                     closed;         /* 1: close_notify; 2: otherwise */
	size_t                  got;
	int                     bad;
};

static SSL_CTX *
raw_ctx(int server, int who, int version)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	assert_non_null(ctx);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, version), 1);
	if (who < 0)                    /* a client without a certificate */
		return ctx;
	assert_int_equal(SSL_CTX_use_certificate_file(ctx, fx.crt[who],
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, fx.key[who],
	    SSL_FILETYPE_PEM), 1);
	return ctx;
}

static int
raw_read_full(SSL *ssl, uint8_t *p, size_t n)
{
	size_t got;

	while (n > 0) {
		if (SSL_read_ex(ssl, p, n, &got) != 1)
			return -1;
		p += got;
		n -= got;
	}
	return 0;
}

static int
raw_until_close(SSL *ssl)
{
	uint8_t buf[4096];
	size_t got;

	while (SSL_read_ex(ssl, buf, sizeof(buf), &got) == 1)
		continue;
	return SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN ? 1 : 2;
}

static void
slow_frame_fill(uint64_t seq, uint8_t *p)
{
	be64_put(p, seq);
	for (size_t j = 8; j < SLOW_FRAME; j++)
		p[j] = (uint8_t)(seq * 131 + j * 7);
}

static void
raw_slow_read(struct raw *r, SSL *ssl)
{
	uint8_t hdr[FRAME_HDR_LEN], *p, *want;
	char go;

	if (read(r->go[0], &go, 1) != 1) {
		r->bad++;
		return;
	}
	p = malloc(SLOW_FRAME);
	want = malloc(SLOW_FRAME);
	if (p == NULL || want == NULL) {
		r->bad++;
		goto out;
	}
	for (r->got = 0; r->got < SLOW_FRAMES; r->got++) {
		slow_frame_fill(r->got, want);
		if (raw_read_full(ssl, hdr, sizeof(hdr)) != 0 ||
		    be32_get(hdr) != SLOW_FRAME ||
		    raw_read_full(ssl, p, SLOW_FRAME) != 0 ||
		    memcmp(p, want, SLOW_FRAME) != 0) {
			r->bad++;
			break;
		}
	}
	(void)SSL_shutdown(ssl);
out:
	free(p);
	free(want);
}

static void *
raw_main(void *arg)
{
	struct raw *r = arg;
	struct timeval tv = { RAW_TIMEOUT_S, 0 };
	uint8_t hdr[FRAME_HDR_LEN];
	SSL *ssl;
	int fd;

	if (r->mode == RAW_SERVER)
		fd = accept(r->lfd, NULL, NULL);
	else
		fd = tcp_connect(r->port);
	if (fd == -1)
		return NULL;
	/* A safety net against a hang, not a timed assertion. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(r->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto out;
	if (r->mode == RAW_SERVER)
		r->handshake_ok = SSL_accept(ssl) == 1;
	else
		r->handshake_ok = SSL_connect(ssl) == 1;
	if (!r->handshake_ok)
		goto out;
	switch (r->mode) {
	case RAW_OVERSIZE:
		be32_put(hdr, FRAME_WIRE_MAX + 1);
		if (SSL_write(ssl, hdr, sizeof(hdr)) == sizeof(hdr))
			r->closed = raw_until_close(ssl);
		break;
	case RAW_SLOW_READER:
		raw_slow_read(r, ssl);
		break;
	default:
		break;
	}
out:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void
raw_start(struct raw *r, enum raw_mode mode, int who, int version,
    uint16_t port)
{
	r->mode = mode;
	r->port = port;
	r->ctx = raw_ctx(mode == RAW_SERVER, who, version);
	assert_int_equal(pthread_create(&r->th, NULL, raw_main, r), 0);
}

static void
raw_join(struct raw *r)
{
	assert_int_equal(pthread_join(r->th, NULL), 0);
	SSL_CTX_free(r->ctx);
}

static void
test_oversize_frame(void **state)
{
	struct env e;
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	raw_start(&r, RAW_OVERSIZE, BETA, TLS1_3_VERSION, e.port);
	env_run(&e, srv_closed);
	env_finish(&e);
	raw_join(&r);
	assert_true(r.handshake_ok);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.srv.frames, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_FRAME);
	/* A close_notify went out before the socket closed. */
	assert_int_equal(r.closed, 1);
}

static void
test_tls12_client_refused(void **state)
{
	struct env e;
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	raw_start(&r, RAW_HANDSHAKE, BETA, TLS1_2_VERSION, e.port);
	env_run(&e, srv_closed);
	env_finish(&e);
	raw_join(&r);
	assert_false(r.handshake_ok);
	assert_int_equal(e.srv.verified, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
}

static void
test_client_without_certificate(void **state)
{
	struct env e;
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	raw_start(&r, RAW_HANDSHAKE, -1, TLS1_3_VERSION, e.port);
	env_run(&e, srv_closed);
	env_finish(&e);
	raw_join(&r);
	assert_int_equal(e.srv.verified, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
}

static void
test_tls12_server_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct env e;
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((r.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1);
	assert_int_equal(bind(r.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(r.lfd, 1), 0);
	assert_int_equal(getsockname(r.lfd, (struct sockaddr *)&sin, &len), 0);
	env_init(&e);
	raw_start(&r, RAW_SERVER, ALPHA, TLS1_2_VERSION, 0);
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", ntohs(sin.sin_port));
	env_run(&e, cli_closed);
	env_finish(&e);
	raw_join(&r);
	close(r.lfd);
	assert_false(r.handshake_ok);
	assert_int_equal(e.cli.verified, 0);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_TLS);
}

/* Send 64 KiB frames until refused; on the first refusal let the reader
 * start.  Runs from on_open and again from every on_drain. */
static void
slow_fill(struct side *s, struct conn *c)
{
	uint8_t *p = malloc(SLOW_FRAME);
	int rc;

	assert_non_null(p);
	while (s->sent < SLOW_FRAMES) {
		slow_frame_fill(s->sent, p);
		if ((rc = conn_send(c, p, SLOW_FRAME)) == -ENOBUFS) {
			assert_true(conn_queued(c) > CONN_HIGH_WATER);
			if (s->enobufs++ == 0)
				assert_int_equal(write(s->go_fd, "g", 1), 1);
			break;
		}
		assert_int_equal(rc, 0);
		s->sent++;
	}
	free(p);
}

static void
test_backpressure(void **state)
{
	struct env e;
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pipe(r.go), 0);
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.open_hook = slow_fill;
	e.srv.drain_hook = slow_fill;
	e.srv.go_fd = r.go[1];
	raw_start(&r, RAW_SLOW_READER, BETA, TLS1_3_VERSION, e.port);
	/* The reader closes once it has every frame. */
	env_run(&e, srv_closed);
	env_finish(&e);
	raw_join(&r);
	close(r.go[0]);
	close(r.go[1]);
	assert_true(e.srv.enobufs >= 1);
	assert_true(e.srv.drained >= 1);
	assert_int_equal(e.srv.sent, SLOW_FRAMES);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.got, SLOW_FRAMES);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_EOF);
}

static void
short_idle(struct side *s, struct conn *c)
{
	(void)s;
	conn_set_idle_timeout(c, 200);
}

static void
test_idle_timeout(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.open_hook = short_idle;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TIMEOUT);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_EOF);
}

/* A port bound but not listening: connections to it are refused, and no
 * other process can start listening there meanwhile. */
static int
closed_port(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
connect_refused(const char *host)
{
	struct env e;
	uint16_t port;
	int fd;

	fd = closed_port(&port);
	env_init(&e);
	env_dial(&e, BETA, fx.spki[ALPHA], host, port);
	env_run(&e, cli_closed);
	env_finish(&e);
	close(fd);
	/* Exactly once, even after the loop ran dry. */
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_CONNECT);
	assert_int_equal(e.cli.verified, 0);
}

static void
test_connect_refused(void **state)
{
	(void)state;
	connect_refused("127.0.0.1");
}

static void
test_connect_refused_by_name(void **state)
{
	(void)state;
	connect_refused("localhost");
}

/* The owner gives up before the connection exists (during the connect,
 * during the name lookup): on_close once, nothing else. */
static void
close_while_connecting(const char *host)
{
	struct env e;

	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	env_dial(&e, BETA, fx.spki[ALPHA], host, e.port);
	conn_close(e.cli.c);
	conn_close(e.cli.c);
	env_run(&e, cli_closed);
	env_finish(&e);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.verified, 0);
	assert_int_equal(e.srv.opened, 0);
}

static void
test_close_while_connecting(void **state)
{
	(void)state;
	close_while_connecting("127.0.0.1");
	close_while_connecting("localhost");
}

static void
send_three(struct side *s, struct conn *c)
{
	(void)s;
	for (int i = 0; i < 3; i++)
		assert_int_equal(conn_send(c, (const uint8_t *)"abc", 3), 0);
}

/* conn_close from inside a callback: nothing more is delivered, and
 * on_close comes once, later. */
static void
test_close_in_frame(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.close_in = IN_FRAME;
	e.cli.open_hook = send_three;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.srv.frames, 1);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.nclosed, 1);
}

static void
test_close_in_verify(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.close_in = IN_VERIFY;
	e.cli.open_hook = send_three;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.srv.verified, 1);
	assert_int_equal(e.srv.opened, 0);
	assert_int_equal(e.srv.frames, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.nclosed, 1);
}

static void
test_close_in_open(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.open_hook = send_three;
	e.cli.close_in = IN_OPEN;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.cli.frames, 0);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.nclosed, 1);
}

static void
send_errors(struct side *s, struct conn *c)
{
	uint8_t *big = calloc(1, FRAME_WIRE_MAX + 1);
	size_t queued = conn_queued(c);     /* our Finished, perhaps */

	(void)s;
	assert_non_null(big);
	assert_int_equal(conn_send(c, big, FRAME_WIRE_MAX + 1), -EMSGSIZE);
	free(big);
	assert_int_equal(conn_queued(c), queued);
	conn_close(c);
	assert_int_equal(conn_send(c, (const uint8_t *)"x", 1), -ENOTCONN);
	conn_close(c);
}

static void
test_send_errors(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.cli.open_hook = send_errors;
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);
	env_run(&e, both_closed);
	env_finish(&e);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.frames, 0);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_EOF);
}

/*
 * Out of descriptors: the listener must not spin on EMFILE but pause and
 * then serve the waiting connection.  The fd table is filled under a
 * lowered RLIMIT_NOFILE; the moment to give the descriptors back is the
 * listener's own log line (stderr into a pipe), not a guess at timing.
 */
struct emfile {
	int                     fill[1024];
	int                     nfill;
	int                     paused;
	struct rlimit           old;
	char                    tail[256];
};

static void
emfile_release(struct emfile *m)
{
	while (m->nfill > 0)
		close(m->fill[--m->nfill]);
	setrlimit(RLIMIT_NOFILE, &m->old);
}

static void
emfile_log_cb(uv_poll_t *p, int status, int events)
{
	static const char marker[] = "accept: pausing";
	struct emfile *m = p->data;
	size_t have;
	uv_os_fd_t fd;
	ssize_t n;

	(void)status;
	(void)events;
	assert_int_equal(uv_fileno((uv_handle_t *)p, &fd), 0);
	for (;;) {
		have = strlen(m->tail);
		if ((n = read(fd, m->tail + have, sizeof(m->tail) - have - 1)) <= 0)
			return;
		m->tail[have + (size_t)n] = '\0';
		if (!m->paused && strstr(m->tail, marker) != NULL) {
			m->paused = 1;
			emfile_release(m);
		}
		/* Keep only what could be the start of a split marker. */
		have = strlen(m->tail);
		if (have >= sizeof(marker))
			memmove(m->tail, m->tail + have - (sizeof(marker) - 1),
			    sizeof(marker));
	}
}

static int
max_open_fd(void)
{
	int fd, max = 2;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			max = fd;
	return max;
}

static void
test_out_of_descriptors(void **state)
{
	static struct emfile m;
	struct rlimit low;
	uv_poll_t logpoll;
	struct env e;
	int logp[2], saved, fd;

	(void)state;
	memset(&m, 0, sizeof(m));
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	e.srv.close_in = IN_FRAME;
	e.cli.open_hook = send_one;
	assert_int_equal(pipe2(logp, O_CLOEXEC | O_NONBLOCK), 0);
	assert_true((saved = dup(2)) != -1);
	assert_int_equal(uv_poll_init(&e.loop, &logpoll, logp[0]), 0);
	logpoll.data = &m;
	assert_int_equal(uv_poll_start(&logpoll, UV_READABLE, emfile_log_cb), 0);
	assert_int_equal(dup2(logp[1], 2), 2);
	/* The client's socket exists before the table fills up. */
	env_dial(&e, BETA, fx.spki[ALPHA], "127.0.0.1", e.port);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &m.old), 0);
	low = m.old;
	low.rlim_cur = (rlim_t)max_open_fd() + 16;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while ((fd = dup(0)) != -1) {
		assert_true(m.nfill < (int)(sizeof(m.fill) / sizeof(m.fill[0])));
		m.fill[m.nfill++] = fd;
	}
	assert_int_equal(errno, EMFILE);

	env_run(&e, both_closed);
	uv_close((uv_handle_t *)&logpoll, NULL);
	env_finish(&e);
	dup2(saved, 2);
	close(saved);
	close(logp[0]);
	close(logp[1]);
	if (!m.paused)
		emfile_release(&m);
	assert_true(m.paused);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.srv.frames, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.cli.nclosed, 1);
}

static void
test_tls_new_errors(void **state)
{
	struct conn_tls *t;
	char path[2][160], *cause;
	uint8_t *key;
	size_t len;

	(void)state;
	snprintf(path[0], sizeof(path[0]), "%s/open.key", fxdir);
	snprintf(path[1], sizeof(path[1]), "%s/junk.crt", fxdir);
	assert_int_equal(fileio_read(fx.key[ALPHA], 65536, 1, &key, &len), 0);
	assert_int_equal(fileio_write_atomic(path[0], key, len, 0644, 0), 0);
	free(key);
	assert_int_equal(fileio_write_atomic(path[1], "junk\n", 5, 0644, 0), 0);

	assert_int_equal(conn_tls_new("/nonexistent/tls.crt", fx.key[ALPHA],
	    &t, &cause), -ENOENT);
	assert_null(t);
	assert_non_null(cause);
	free(cause);
	/* Someone else's key with our certificate. */
	assert_int_equal(conn_tls_new(fx.crt[ALPHA], fx.key[BETA], &t, &cause),
	    -EINVAL);
	assert_null(t);
	assert_non_null(strstr(cause, "does not match"));
	free(cause);
	/* A key others may read is not used. */
	assert_int_equal(conn_tls_new(fx.crt[ALPHA], path[0], &t, &cause),
	    -EPERM);
	free(cause);
	assert_int_equal(conn_tls_new(path[1], fx.key[ALPHA], &t, &cause),
	    -EINVAL);
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
	/* And the good pair loads. */
	assert_int_equal(conn_tls_new(fx.crt[ALPHA], fx.key[ALPHA], &t, &cause), 0);
	assert_non_null(t);
	assert_null(cause);
	conn_tls_free(t);
	conn_tls_free(NULL);
	unlink(path[0]);
	unlink(path[1]);
}

static void
test_argument_errors(void **state)
{
	struct conn_cb nocb = side_cb;
	struct conn_listener *l2;
	struct conn *c;
	struct env e;

	(void)state;
	env_init(&e);
	env_listen(&e, ALPHA, fx.spki[BETA]);
	assert_int_equal(conn_listen(&e.loop, fx.tls[ALPHA], "127.0.0.1",
	    e.port, &side_cb, &e.srv, &l2), -EADDRINUSE);
	assert_null(l2);
	assert_int_equal(conn_listen(&e.loop, fx.tls[ALPHA], "localhost", 0,
	    &side_cb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_connect(&e.loop, fx.tls[BETA], "", e.port,
	    &side_cb, &e.cli, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(conn_connect(&e.loop, fx.tls[BETA], "127.0.0.1", 0,
	    &side_cb, &e.cli, &c), -EINVAL);
	nocb.on_verify = NULL;
	assert_int_equal(conn_connect(&e.loop, fx.tls[BETA], "127.0.0.1",
	    e.port, &nocb, &e.cli, &c), -EINVAL);
	nocb = side_cb;
	nocb.on_close = NULL;
	assert_int_equal(conn_listen(&e.loop, fx.tls[ALPHA], "127.0.0.1", 0,
	    &nocb, &e.srv, &l2), -EINVAL);
	assert_string_equal(conn_close_reason_name(CONN_CLOSE_PIN), "pin");
	env_finish(&e);
	assert_int_equal(e.cli.nclosed + e.srv.nclosed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_pin_refused_by_client),
		cmocka_unit_test(test_pin_refused_by_server),
		cmocka_unit_test(test_unknown_client_refused),
		cmocka_unit_test(test_garbage_then_good_client),
		cmocka_unit_test(test_oversize_frame),
		cmocka_unit_test(test_tls12_client_refused),
		cmocka_unit_test(test_tls12_server_refused),
		cmocka_unit_test(test_client_without_certificate),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_refused_by_name),
		cmocka_unit_test(test_close_while_connecting),
		cmocka_unit_test(test_close_in_frame),
		cmocka_unit_test(test_close_in_verify),
		cmocka_unit_test(test_close_in_open),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_out_of_descriptors),
		cmocka_unit_test(test_tls_new_errors),
		cmocka_unit_test(test_argument_errors),
	};

	/* A peer that goes away mid-write must not kill the process; the
	 * daemon ignores SIGPIPE the same way. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
