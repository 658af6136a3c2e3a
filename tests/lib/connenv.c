/* A loop, identities and counting callbacks for connection tests (see
 * connenv.h). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/tlscert.h"
#include "daemon/net/conn.h"
#include "tests/lib/connenv.h"

static const char *const names[CONNENV_NIDS] = { "alpha", "beta", "mallory" };

static void
die(const char *what)
{
	fprintf(stderr, "connenv: %s\n", what);
	abort();
}

void
connenv_ids_make(struct connenv_ids *ids)
{
	char dir[sizeof(ids->dir)];

	memset(ids, 0, sizeof(*ids));
	snprintf(dir, sizeof(dir), "/tmp/homeward-conn-XXXXXX");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	memcpy(ids->dir, dir, sizeof(dir));
	for (int i = 0; i < CONNENV_NIDS; i++) {
		struct tlscert t;
		char *cause = NULL;

		snprintf(ids->crt[i], sizeof(ids->crt[i]), "%s/%s.crt", dir, names[i]);
		snprintf(ids->key[i], sizeof(ids->key[i]), "%s/%s.key", dir, names[i]);
		if (tlscert_generate(names[i], TLSCERT_DAYS, &t) != 0)
			die("tlscert_generate");
		memcpy(ids->spki[i], t.spki_sha256, CONN_SPKI_LEN);
		if (fileio_write_atomic(ids->crt[i], t.crt_pem, t.crt_len, 0644, 0) ||
		    fileio_write_atomic(ids->key[i], t.key_pem, t.key_len, 0600, 0))
			die("writing the certificate or the key");
		tlscert_clear(&t);
		if (conn_tls_new(ids->crt[i], ids->key[i], &ids->tls[i], &cause) != 0) {
			fprintf(stderr, "connenv: conn_tls_new: %s\n", cause);
			abort();
		}
	}
}

static int
rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

void
connenv_ids_free(struct connenv_ids *ids)
{
	for (int i = 0; i < CONNENV_NIDS; i++)
		conn_tls_free(ids->tls[i]);
	if (ids->dir[0] != '\0')
		nftw(ids->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	memset(ids, 0, sizeof(*ids));
}

/* The callbacks both ends use. */

static int
side_verify(struct conn *c, const uint8_t spki[CONN_SPKI_LEN], void *arg)
{
	struct connenv_side *s = arg;

	s->verified++;
	s->c = c;
	memcpy(s->seen, spki, CONN_SPKI_LEN);
	if (s->close_in == CONNENV_IN_VERIFY)
		conn_close(c);
	return s->pin != NULL && memcmp(spki, s->pin, CONN_SPKI_LEN) == 0 ? 0 : -1;
}

static void
side_open(struct conn *c, void *arg)
{
	struct connenv_side *s = arg;

	s->opened++;
	s->c = c;
	s->outbound = conn_is_outbound(c);
	if (s->close_in == CONNENV_IN_OPEN)
		conn_close(c);
	if (s->open_hook != NULL)
		s->open_hook(s, c);
}

static void
side_frame(struct conn *c, const uint8_t *p, size_t len, void *arg)
{
	struct connenv_side *s = arg;

	s->frames++;
	if (s->frame_hook != NULL)
		s->frame_hook(s, c, p, len);
	if (s->close_in == CONNENV_IN_FRAME)
		conn_close(c);
}

static void
side_drain(struct conn *c, void *arg)
{
	struct connenv_side *s = arg;

	s->drained++;
	if (s->drain_hook != NULL)
		s->drain_hook(s, c);
}

static void
side_close(struct conn *c, enum conn_close_reason why, void *arg)
{
	struct connenv_side *s = arg;

	if (s->nclosed < 8)
		s->reasons[s->nclosed] = why;
	s->nclosed++;
	if (s->c == c)
		s->c = NULL;
}

const struct conn_cb connenv_cb = {
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
	struct connenv *e = t->data;

	e->timed_out = 1;
	uv_stop(&e->loop);
}

void
connenv_init(struct connenv *e)
{
	memset(e, 0, sizeof(*e));
	if (uv_loop_init(&e->loop) != 0 ||
	    uv_timer_init(&e->loop, &e->watchdog) != 0)
		die("uv_loop_init");
	e->watchdog.data = e;
	uv_timer_start(&e->watchdog, watchdog_cb, CONNENV_WATCHDOG_MS, 0);
	e->srv.env = e->cli.env = e;
}

void
connenv_listen(struct connenv *e, const struct connenv_ids *ids, int who,
    const uint8_t *pin)
{
	e->srv.pin = pin;
	if (conn_listen(&e->loop, ids->tls[who], "127.0.0.1", 0, &connenv_cb,
	    &e->srv, &e->l) != 0)
		die("conn_listen");
	if ((e->port = conn_listener_port(e->l)) == 0)
		die("conn_listener_port");
}

void
connenv_dial(struct connenv *e, const struct connenv_ids *ids, int who,
    const uint8_t *pin, const char *host, uint16_t port)
{
	e->cli.pin = pin;
	if (conn_connect(&e->loop, ids->tls[who], host, port, &connenv_cb,
	    &e->cli, &e->cli.c) != 0 || e->cli.c == NULL)
		die("conn_connect");
}

int
connenv_run(struct connenv *e, int (*done)(const struct connenv *))
{
	while (!done(e)) {
		if (e->timed_out)
			return -ETIMEDOUT;
		uv_run(&e->loop, UV_RUN_ONCE);
	}
	return 0;
}

/* The watchdog stays armed through the last run but no longer keeps the
 * loop alive by itself. */
int
connenv_finish(struct connenv *e)
{
	conn_listener_close(e->l);
	e->l = NULL;
	uv_unref((uv_handle_t *)&e->watchdog);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&e->watchdog, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (e->timed_out)
		return -ETIMEDOUT;
	return uv_loop_close(&e->loop) == 0 ? 0 : -EBUSY;
}

int
connenv_both_closed(const struct connenv *e)
{
	return e->srv.nclosed >= 1 && e->cli.nclosed >= 1;
}

int
connenv_cli_closed(const struct connenv *e)
{
	return e->cli.nclosed >= 1;
}

int
connenv_srv_closed(const struct connenv *e)
{
	return e->srv.nclosed >= 1;
}

static void
loopback(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int
connenv_tcp_connect(uint16_t port)
{
	struct sockaddr_in sin;
	int fd;

	loopback(&sin, port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
connenv_closed_port(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	loopback(&sin, 0);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("a bound socket");
	*port = ntohs(sin.sin_port);
	return fd;
}
