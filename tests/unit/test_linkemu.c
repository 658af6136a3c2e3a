/* Unit tests: the line emulator of the benchmarks (tests/lib/linkemu.c)
 * over a local echo server in the same loop: the rate holds both ways
 * (never faster than the line; slower only on a loaded machine), the
 * delay is there, the bytes come back intact and counted; a cut resets
 * the connection and refuses new ones until the line is up. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "tests/lib/linkemu.h"

#define PAYLOAD         40000
#define RATE            40000   /* bytes/s each way: about a second */
#define DELAY_MS        40
#define JITTER_MS       10

struct client {
	uv_tcp_t        t;
	uv_connect_t    c;
	uv_write_t      w;
	uint8_t        *sent, *got;
	size_t          len, n;
	uint64_t        t0, first, last;
	int             status;         /* 0 until read ends: 1 all, <0 error */
};

static uv_tcp_t echo_srv;

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(hint);
	buf->len = hint;
}

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static void
echo_written(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void
echo_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	uv_write_t *w;
	uv_buf_t out;

	if (n <= 0) {
		free(buf->base);
		if (n < 0 && !uv_is_closing((uv_handle_t *)s))
			uv_close((uv_handle_t *)s, free_handle);
		return;
	}
	w = malloc(sizeof(*w));
	w->data = buf->base;
	out = uv_buf_init(buf->base, (unsigned int)n);
	uv_write(w, s, &out, 1, echo_written);
}

static void
echo_accept(uv_stream_t *srv, int status)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	assert_int_equal(status, 0);
	uv_tcp_init(srv->loop, t);
	assert_int_equal(uv_accept(srv, (uv_stream_t *)t), 0);
	uv_read_start((uv_stream_t *)t, on_alloc, echo_read);
}

static uint16_t
echo_start(uv_loop_t *loop)
{
	struct sockaddr_in sin;
	int len = sizeof(sin);

	uv_tcp_init(loop, &echo_srv);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_tcp_bind(&echo_srv, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&echo_srv, 8, echo_accept), 0);
	uv_tcp_getsockname(&echo_srv, (struct sockaddr *)&sin, &len);
	return ntohs(sin.sin_port);
}

static void
client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *c = s->data;

	if (n > 0) {
		if (c->n == 0)
			c->first = uv_hrtime();
		assert_true(c->n + (size_t)n <= c->len);
		memcpy(c->got + c->n, buf->base, (size_t)n);
		c->n += (size_t)n;
		c->last = uv_hrtime();
		if (c->n == c->len)
			c->status = 1;
	} else if (n < 0) {
		c->status = c->n == c->len ? 1 : (int)n;
	}
	free(buf->base);
	if (c->status != 0)
		uv_read_stop(s);
}

static void
client_written(uv_write_t *w, int status)
{
	(void)w;
	(void)status;
}

static void
client_connected(uv_connect_t *req, int status)
{
	struct client *c = req->data;
	uv_buf_t buf = uv_buf_init((char *)c->sent, (unsigned int)c->len);

	if (status < 0) {
		c->status = status;
		return;
	}
	c->t0 = uv_hrtime();
	uv_read_start((uv_stream_t *)&c->t, on_alloc, client_read);
	uv_write(&c->w, (uv_stream_t *)&c->t, &buf, 1, client_written);
}

static void
client_start(uv_loop_t *loop, struct client *c, uint16_t port, size_t len)
{
	struct sockaddr_in sin;

	memset(c, 0, sizeof(*c));
	c->len = len;
	c->sent = malloc(len);
	c->got = malloc(len);
	for (size_t i = 0; i < len; i++)
		c->sent[i] = (uint8_t)(i * 7 + i / 251);
	uv_tcp_init(loop, &c->t);
	c->t.data = c->c.data = c;
	uv_ip4_addr("127.0.0.1", port, &sin);
	uv_tcp_connect(&c->c, &c->t, (struct sockaddr *)&sin, client_connected);
}

static void
client_closed(uv_handle_t *h)
{
	((struct client *)h->data)->status = 2;
}

/* Closed before the struct is used again. */
static void
client_end(uv_loop_t *loop, struct client *c)
{
	c->status = 0;
	uv_close((uv_handle_t *)&c->t, client_closed);
	while (c->status != 2)
		uv_run(loop, UV_RUN_ONCE);
	free(c->sent);
	free(c->got);
}

/* Run the loop until the client's read has ended. */
static void
run_until(uv_loop_t *loop, struct client *c)
{
	uint64_t limit = uv_hrtime() + 20ull * 1000000000;

	while (c->status == 0 && uv_hrtime() < limit)
		uv_run(loop, UV_RUN_ONCE);
}

static void
finish(uv_loop_t *loop, struct linkemu *e)
{
	linkemu_stop(e);
	uv_close((uv_handle_t *)&echo_srv, NULL);
	while (uv_run(loop, UV_RUN_NOWAIT) != 0)
		;
	assert_int_equal(uv_loop_close(loop), 0);
}

static void
test_rate_and_delay(void **state)
{
	struct linkemu_opts o = { .rate = { RATE, RATE }, .delay_ms = DELAY_MS,
	    .jitter_ms = JITTER_MS, .queue_max = 8192, .sockbuf = 16384 };
	struct linkemu_stats st;
	struct linkemu *e;
	struct client c;
	uv_loop_t loop;
	double secs, first_ms;

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(linkemu_start(&loop, &o, 0, echo_start(&loop), &e), 0);
	client_start(&loop, &c, linkemu_port(e), PAYLOAD);
	run_until(&loop, &c);
	assert_int_equal(c.status, 1);
	assert_memory_equal(c.got, c.sent, PAYLOAD);
	secs = (double)(c.last - c.t0) / 1e9;
	first_ms = (double)(c.first - c.t0) / 1e6;
	/* Never faster than the line (less the first burst), and at most
	 * a few times slower on a machine busy with other work. */
	assert_true(secs >= (PAYLOAD - 3000.0) / RATE);
	assert_true(secs < 8.0 * PAYLOAD / RATE);
	assert_true(first_ms >= 2.0 * (DELAY_MS - JITTER_MS));
	linkemu_stats(e, &st);
	assert_int_equal(st.carried[LINKEMU_UP], PAYLOAD);
	assert_int_equal(st.carried[LINKEMU_DOWN], PAYLOAD);
	assert_int_equal(st.delivered[LINKEMU_DOWN], PAYLOAD);
	assert_int_equal(st.conns, 1);
	client_end(&loop, &c);
	finish(&loop, e);
}

static void
test_cut(void **state)
{
	struct linkemu_opts o = { .queue_max = 8192 };
	struct linkemu_stats st;
	struct linkemu *e;
	struct client c;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(linkemu_start(&loop, &o, 0, echo_start(&loop), &e), 0);
	/* Up, unlimited: an echo. */
	client_start(&loop, &c, linkemu_port(e), 1000);
	run_until(&loop, &c);
	assert_int_equal(c.status, 1);
	client_end(&loop, &c);
	/* Cut: a new connection is reset without a byte. */
	linkemu_cut(e, 1);
	client_start(&loop, &c, linkemu_port(e), 1000);
	run_until(&loop, &c);
	assert_true(c.status < 0);
	assert_int_equal(c.n, 0);
	client_end(&loop, &c);
	/* Up again. */
	linkemu_cut(e, 0);
	client_start(&loop, &c, linkemu_port(e), 1000);
	run_until(&loop, &c);
	assert_int_equal(c.status, 1);
	client_end(&loop, &c);
	linkemu_stats(e, &st);
	assert_int_equal(st.conns, 2);
	assert_int_equal(st.refused, 1);
	finish(&loop, e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_and_delay),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
