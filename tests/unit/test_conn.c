/*
 * Unit tests: daemon connections (daemon/net/conn.c, listener.c, tls.c) over
 * real sockets on 127.0.0.1 with real TLS, both ends in one loop: frames
 * both ways, pins refused on either side, a peer that is not TLS, the idle
 * timeout, failed connects, conn_close from inside every callback, running
 * out of descriptors, arguments refused (and an IPv6 listener).  Peers played with OpenSSL directly are in
 * test_conn_tls.c.  Every run waits on events; the watchdog only turns a
 * hang into a failure, and every test ends with no handle left in the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "daemon/net/conn.h"
#include "daemon/base/log.h"
#include "proto/frame.h"
#include "tests/lib/connenv.h"

#define ALPHA   CONNENV_ALPHA
#define BETA    CONNENV_BETA
#define MALLORY CONNENV_MALLORY

static struct connenv_ids ids;

static int
group_setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_DEBUG, "test_conn");
	connenv_ids_make(&ids);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	connenv_ids_free(&ids);
	return 0;
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
send_all_frames(struct connenv_side *s, struct conn *c)
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
echo_frame(struct connenv_side *s, struct conn *c, const uint8_t *p, size_t len)
{
	if (frame_check(s->frames - 1, p, len) != 0)
		s->bad_frames++;
	assert_int_equal(conn_send(c, p, len), 0);
}

static void
check_echo(struct connenv_side *s, struct conn *c, const uint8_t *p, size_t len)
{
	if (frame_check(s->frames - 1, p, len) != 0)
		s->bad_frames++;
	if (s->frames == NFRAMES)
		conn_close(c);
}

static void
test_exchange(void **state)
{
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.frame_hook = echo_frame;
	e.cli.open_hook = send_all_frames;
	e.cli.frame_hook = check_echo;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(conn_send(e.cli.c, (const uint8_t *)"x", 1), -ENOTCONN);
	assert_non_null(strstr(conn_peer_name(e.cli.c), "127.0.0.1"));
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);

	/* Each side saw the other's real key and accepted it. */
	assert_memory_equal(e.srv.seen, ids.spki[BETA], CONN_SPKI_LEN);
	assert_memory_equal(e.cli.seen, ids.spki[ALPHA], CONN_SPKI_LEN);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.srv.outbound, 0);
	assert_int_equal(e.cli.outbound, 1);
	/* Everything arrived, in order, both ways. */
	assert_int_equal(e.srv.frames, NFRAMES);
	assert_int_equal(e.srv.bad_frames, 0);
	assert_int_equal(e.cli.frames, NFRAMES);
	assert_int_equal(e.cli.bad_frames, 0);
	assert_int_equal(connenv_finish(&e), 0);
	/* The client closed; the server saw its close_notify. */
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_EOF);
}

static void
send_one(struct connenv_side *s, struct conn *c)
{
	(void)s;
	(void)conn_send(c, (const uint8_t *)"hello", 5);
}

/* The client does not pin the server's key: it stops before its Finished. */
static void
test_pin_refused_by_client(void **state)
{
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.open_hook = send_one;
	connenv_dial(&e, &ids, BETA, ids.spki[MALLORY], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.cli.verified, 1);
	assert_memory_equal(e.cli.seen, ids.spki[ALPHA], CONN_SPKI_LEN);
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
	struct connenv e;

	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, server_pin);
	e.cli.open_hook = send_one;
	connenv_dial(&e, &ids, client, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.srv.verified, 1);
	assert_memory_equal(e.srv.seen, ids.spki[client], CONN_SPKI_LEN);
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
	pin_refused_by_server(BETA, ids.spki[MALLORY]);
}

/* A client with a certificate of its own making (another key). */
static void
test_unknown_client_refused(void **state)
{
	(void)state;
	pin_refused_by_server(MALLORY, ids.spki[BETA]);
}

static int
garbage_then_good_done(const struct connenv *e)
{
	return e->srv.nclosed >= 2 && e->cli.nclosed >= 1;
}

/* Plain text instead of a ClientHello; the listener then serves a real
 * client as if nothing had happened. */
static void
test_garbage_then_good_client(void **state)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	struct connenv e;
	int fd;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	/* The kernel completes the TCP handshake from the backlog. */
	assert_true((fd = connenv_tcp_connect(e.port)) != -1);
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), sizeof(junk) - 1);
	assert_int_equal(connenv_run(&e, connenv_srv_closed), 0);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
	assert_int_equal(e.srv.verified, 0);
	close(fd);

	e.cli.open_hook = send_one;
	e.srv.close_in = CONNENV_IN_FRAME;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, garbage_then_good_done), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.srv.nclosed, 2);
	assert_int_equal(e.srv.verified, 1);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.srv.frames, 1);
	assert_int_equal(e.srv.reasons[1], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.nclosed, 1);
}

static void
short_idle(struct connenv_side *s, struct conn *c)
{
	(void)s;
	conn_set_idle_timeout(c, 200);
}

static void
test_idle_timeout(void **state)
{
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.open_hook = short_idle;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TIMEOUT);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_EOF);
}

static void
connect_refused(const char *host)
{
	struct connenv e;
	uint16_t port;
	int fd;

	fd = connenv_closed_port(&port);
	connenv_init(&e);
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], host, port);
	assert_int_equal(connenv_run(&e, connenv_cli_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
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
	struct connenv e;

	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], host, e.port);
	conn_close(e.cli.c);
	conn_close(e.cli.c);
	assert_int_equal(connenv_run(&e, connenv_cli_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
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
send_three(struct connenv_side *s, struct conn *c)
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
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.close_in = CONNENV_IN_FRAME;
	e.cli.open_hook = send_three;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.srv.frames, 1);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.cli.nclosed, 1);
}

static void
test_close_in_verify(void **state)
{
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.close_in = CONNENV_IN_VERIFY;
	e.cli.open_hook = send_three;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
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
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.open_hook = send_three;
	e.cli.close_in = CONNENV_IN_OPEN;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	assert_int_equal(e.cli.opened, 1);
	assert_int_equal(e.cli.frames, 0);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_LOCAL);
	assert_int_equal(e.srv.nclosed, 1);
}

static void
send_errors(struct connenv_side *s, struct conn *c)
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
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.cli.open_hook = send_errors;
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);
	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
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
	struct connenv e;
	int logp[2], saved, fd;

	(void)state;
	memset(&m, 0, sizeof(m));
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.close_in = CONNENV_IN_FRAME;
	e.cli.open_hook = send_one;
	assert_int_equal(pipe2(logp, O_CLOEXEC | O_NONBLOCK), 0);
	assert_true((saved = dup(2)) != -1);
	assert_int_equal(uv_poll_init(&e.loop, &logpoll, logp[0]), 0);
	logpoll.data = &m;
	assert_int_equal(uv_poll_start(&logpoll, UV_READABLE, emfile_log_cb), 0);
	assert_int_equal(dup2(logp[1], 2), 2);
	/* The client's socket exists before the table fills up. */
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", e.port);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &m.old), 0);
	low = m.old;
	low.rlim_cur = (rlim_t)max_open_fd() + 16;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while ((fd = dup(0)) != -1) {
		assert_true(m.nfill < (int)(sizeof(m.fill) / sizeof(m.fill[0])));
		m.fill[m.nfill++] = fd;
	}
	assert_int_equal(errno, EMFILE);

	assert_int_equal(connenv_run(&e, connenv_both_closed), 0);
	uv_close((uv_handle_t *)&logpoll, NULL);
	assert_int_equal(connenv_finish(&e), 0);
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
test_argument_errors(void **state)
{
	struct conn_cb nocb = connenv_cb;
	struct conn_listener *l2;
	struct conn *c;
	struct connenv e;

	(void)state;
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], "127.0.0.1",
	    e.port, &connenv_cb, &e.srv, &l2), -EADDRINUSE);
	assert_null(l2);
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], "localhost", 0,
	    &connenv_cb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_connect(&e.loop, ids.tls[BETA], "", e.port,
	    &connenv_cb, &e.cli, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(conn_connect(&e.loop, ids.tls[BETA], "127.0.0.1", 0,
	    &connenv_cb, &e.cli, &c), -EINVAL);
	nocb.on_verify = NULL;
	assert_int_equal(conn_connect(&e.loop, ids.tls[BETA], "127.0.0.1",
	    e.port, &nocb, &e.cli, &c), -EINVAL);
	nocb = connenv_cb;
	nocb.on_close = NULL;
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], "127.0.0.1", 0,
	    &nocb, &e.srv, &l2), -EINVAL);
	nocb = connenv_cb;
	nocb.on_verify = NULL;
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], "127.0.0.1", 0,
	    &nocb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_listen(NULL, ids.tls[ALPHA], "127.0.0.1", 0,
	    &connenv_cb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_listen(&e.loop, NULL, "127.0.0.1", 0,
	    &connenv_cb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], NULL, 0,
	    &connenv_cb, &e.srv, &l2), -EINVAL);
	assert_int_equal(conn_listen(&e.loop, ids.tls[ALPHA], "127.0.0.1", 0,
	    NULL, &e.srv, &l2), -EINVAL);
	assert_null(l2);
	/* An IPv6 address listens too, on a port of the kernel's choosing
	 * (where the machine has IPv6 at all). */
	if (conn_listen(&e.loop, ids.tls[ALPHA], "::1", 0, &connenv_cb, &e.srv,
	    &l2) == 0) {
		assert_int_not_equal(conn_listener_port(l2), 0);
		assert_int_not_equal(conn_listener_port(l2), e.port);
		conn_listener_close(l2);
	}
	assert_string_equal(conn_close_reason_name(CONN_CLOSE_PIN), "pin");
	assert_int_equal(connenv_finish(&e), 0);
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
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_refused_by_name),
		cmocka_unit_test(test_close_while_connecting),
		cmocka_unit_test(test_close_in_frame),
		cmocka_unit_test(test_close_in_verify),
		cmocka_unit_test(test_close_in_open),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_out_of_descriptors),
		cmocka_unit_test(test_argument_errors),
	};

	/* A peer that goes away mid-write must not kill the process; the
	 * daemon ignores SIGPIPE the same way. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
