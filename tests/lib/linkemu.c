/*
 * The line emulator (linkemu.h): one pair of sockets per connection, two
 * directions per pair, one timer for the whole line that moves bytes
 * from each direction's queue onto the line at its rate and off the line
 * when their delay is over.
 *
 * Every byte read sits in the direction's list of chunks until it has
 * been written to the other side: "waiting" bytes have not left yet,
 * "inflight" ones are on the line, described by hops (so many bytes,
 * arriving at such a time).  Nothing is copied between the two stages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/lib/linkemu.h"

#define TICK_MS         2       /* the line's clock */
#define READ_LEN        16384
#define BURST_MIN       1500    /* bytes a line may send at once after idling */

struct chunk {
	struct chunk   *next;
	size_t          len, off;       /* off: bytes already written out */
	uint8_t         data[];
};

/* Bytes on the line, arriving together. */
struct hop {
	struct hop     *next;
	size_t          len;
	double          at;             /* ms, uv_hrtime's clock */
};

struct pair;

struct dir {
	struct pair    *p;
	int             idx;            /* reads side[idx], writes side[1-idx] */
	struct chunk   *head, *tail;
	size_t          waiting, inflight;
	struct hop     *hhead, *htail;
	double          credit;         /* bytes the rate allows now */
	double          last_ms, last_at;
	int             reading, eof, shut;
};

struct pair {
	struct linkemu *e;
	struct pair    *next, *prev;
	uv_tcp_t        side[2];        /* 0: accepted, 1: to the target */
	uv_connect_t    creq;
	uv_shutdown_t   sreq[2];
	struct dir      d[2];
	int             connected, closing, nclosed, nshut;
};

struct write_req {
	uv_write_t      req;
	struct dir     *d;
	uint8_t         data[];
};

struct linkemu {
	uv_loop_t              *loop;
	struct linkemu_opts     o;
	uv_tcp_t                listener;
	uv_timer_t              tick;
	uint16_t                port, target;
	struct pair            *pairs;
	struct linkemu_stats    st;
	int                     stopping, handles;
};

static double
now_ms(void)
{
	return (double)uv_hrtime() / 1e6;
}

static void
free_if_done(struct linkemu *e)
{
	if (e->stopping && e->handles == 0 && e->pairs == NULL)
		free(e);
}

static void
dir_free(struct dir *d)
{
	struct chunk *c;
	struct hop *h;

	while ((c = d->head) != NULL) {
		d->head = c->next;
		free(c);
	}
	while ((h = d->hhead) != NULL) {
		d->hhead = h->next;
		free(h);
	}
	d->tail = NULL;
	d->htail = NULL;
}

static void
pair_closed(uv_handle_t *h)
{
	struct pair *p = h->data;
	struct linkemu *e = p->e;

	if (++p->nclosed < 2)
		return;
	dir_free(&p->d[0]);
	dir_free(&p->d[1]);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		e->pairs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	e->st.open--;
	free(p);
	free_if_done(e);
}

/* reset: RST to both sides (a cut), else an orderly close. */
static void
pair_close(struct pair *p, int reset)
{
	if (p->closing)
		return;
	p->closing = 1;
	for (int i = 0; i < 2; i++) {
		uv_handle_t *h = (uv_handle_t *)&p->side[i];

		/* close_reset refuses a socket being shut down: close it. */
		if (!reset || (i == 1 && !p->connected) ||
		    uv_tcp_close_reset(&p->side[i], pair_closed) != 0)
			uv_close(h, pair_closed);
	}
}

static void
write_done(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct pair *p = w->d->p;

	free(w);
	if (status < 0)
		pair_close(p, 1);
}

/* Write the next len bytes of the list to the other side. */
static int
deliver(struct dir *d, size_t len)
{
	struct pair *p = d->p;
	struct write_req *w;
	size_t done = 0;
	uv_buf_t buf;

	if ((w = malloc(sizeof(*w) + len)) == NULL)
		return -ENOMEM;
	w->d = d;
	while (done < len) {
		struct chunk *c = d->head;
		size_t n = c->len - c->off;

		if (n > len - done)
			n = len - done;
		memcpy(w->data + done, c->data + c->off, n);
		c->off += n;
		done += n;
		if (c->off == c->len) {
			d->head = c->next;
			if (d->head == NULL)
				d->tail = NULL;
			free(c);
		}
	}
	d->inflight -= len;
	p->e->st.delivered[d->idx] += len;
	buf = uv_buf_init((char *)w->data, (unsigned int)len);
	if (uv_write(&w->req, (uv_stream_t *)&p->side[1 - d->idx], &buf, 1,
	    write_done) != 0) {
		free(w);
		return -EIO;
	}
	return 0;
}

/* Put n waiting bytes on the line. */
static int
launch(struct dir *d, size_t n, double now)
{
	struct linkemu *e = d->p->e;
	double at = now + e->o.delay_ms;
	struct hop *h;

	if (e->o.jitter_ms != 0)
		at += ((double)rand() / RAND_MAX * 2.0 - 1.0) * e->o.jitter_ms;
	if (at < d->last_at)            /* a line keeps the order */
		at = d->last_at;
	if (at < now)
		at = now;
	if ((h = malloc(sizeof(*h))) == NULL)
		return -ENOMEM;
	h->next = NULL;
	h->len = n;
	h->at = at;
	if (d->htail != NULL)
		d->htail->next = h;
	else
		d->hhead = h;
	d->htail = h;
	d->last_at = at;
	d->waiting -= n;
	d->inflight += n;
	e->st.carried[d->idx] += n;
	return 0;
}

static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void on_alloc(uv_handle_t *, size_t, uv_buf_t *);

static void
shut_done(uv_shutdown_t *req, int status)
{
	struct pair *p = req->data;

	if (status < 0 || ++p->nshut == 2)
		pair_close(p, status < 0);
}

/* Move what the clock allows: onto the line, off it, the reading and
 * the end of the direction.  0 or a negative errno (the pair goes). */
static int
pump(struct dir *d, double now)
{
	struct pair *p = d->p;
	struct linkemu *e = p->e;
	uint64_t rate = e->o.rate[d->idx];
	uv_stream_t *dst = (uv_stream_t *)&p->side[1 - d->idx];
	size_t n = d->waiting;
	struct hop *h;

	if (rate != 0) {
		double cap = (double)rate * TICK_MS * 4 / 1000;

		if (cap < BURST_MIN)
			cap = BURST_MIN;
		d->credit += (now - d->last_ms) * (double)rate / 1000;
		if (d->credit > cap)
			d->credit = cap;
		if ((double)n > d->credit)
			n = (size_t)d->credit;
	}
	d->last_ms = now;
	/* The far side not reading: the line waits for it. */
	if (uv_stream_get_write_queue_size(dst) > e->o.queue_max)
		n = 0;
	if (n > 0) {
		if (launch(d, n, now) != 0)
			return -ENOMEM;
		if (rate != 0)
			d->credit -= (double)n;
	}
	while ((h = d->hhead) != NULL && h->at <= now) {
		d->hhead = h->next;
		if (d->hhead == NULL)
			d->htail = NULL;
		if (deliver(d, h->len) != 0) {
			free(h);
			return -EIO;
		}
		free(h);
	}
	if (!d->reading && !d->eof && d->waiting < e->o.queue_max) {
		if (uv_read_start((uv_stream_t *)&p->side[d->idx], on_alloc,
		    on_read) != 0)
			return -EIO;
		d->reading = 1;
	}
	if (d->eof && !d->shut && d->waiting == 0 && d->inflight == 0) {
		d->shut = 1;
		p->sreq[d->idx].data = p;
		if (uv_shutdown(&p->sreq[d->idx], dst, shut_done) != 0)
			return -EIO;
	}
	return 0;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(READ_LEN);
	buf->len = buf->base != NULL ? READ_LEN : 0;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct pair *p = s->data;
	struct dir *d = &p->d[s == (uv_stream_t *)&p->side[0] ? 0 : 1];
	struct chunk *c;

	if (nread > 0 && (c = malloc(sizeof(*c) + (size_t)nread)) != NULL) {
		c->next = NULL;
		c->len = (size_t)nread;
		c->off = 0;
		memcpy(c->data, buf->base, c->len);
		if (d->tail != NULL)
			d->tail->next = c;
		else
			d->head = c;
		d->tail = c;
		d->waiting += c->len;
		p->e->st.read[d->idx] += c->len;
	} else if (nread > 0) {
		nread = UV_ENOMEM;
	}
	free(buf->base);
	if (nread == UV_EOF) {
		d->eof = 1;
	} else if (nread < 0) {
		pair_close(p, 1);
		return;
	}
	if (d->eof || d->waiting >= p->e->o.queue_max) {
		uv_read_stop(s);
		d->reading = 0;
	}
	if (nread != 0 && pump(d, now_ms()) != 0)
		pair_close(p, 1);
}

static void
on_tick(uv_timer_t *t)
{
	struct linkemu *e = t->data;
	double now = now_ms();
	struct pair *p, *next;

	for (p = e->pairs; p != NULL; p = next) {
		next = p->next;
		if (!p->connected || p->closing)
			continue;
		if (pump(&p->d[0], now) != 0 || pump(&p->d[1], now) != 0)
			pair_close(p, 1);
	}
}

static void
set_bufs(uv_handle_t *h, int size)
{
	uv_os_fd_t fd;

	if (size <= 0 || uv_fileno(h, &fd) != 0)
		return;
	/* Best effort: the kernel's sizes only make the line look faster. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct pair *p = req->data;
	double now = now_ms();

	if (p->closing)
		return;
	if (status < 0) {
		pair_close(p, 0);
		return;
	}
	p->connected = 1;
	for (int i = 0; i < 2; i++) {
		p->d[i].last_ms = now;
		if (pump(&p->d[i], now) != 0) {
			pair_close(p, 1);
			return;
		}
	}
}

static void
refuse_closed(uv_handle_t *h)
{
	free(h);
}

/* A connection that came during a cut: reset at once. */
static void
refuse(struct linkemu *e, uv_stream_t *server)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	if (t == NULL || uv_tcp_init(e->loop, t) != 0) {
		free(t);
		return;
	}
	e->st.refused++;
	if (uv_accept(server, (uv_stream_t *)t) == 0)
		uv_tcp_close_reset(t, refuse_closed);
	else
		uv_close((uv_handle_t *)t, refuse_closed);
}

static int
pair_open(struct linkemu *e, uv_stream_t *server)
{
	struct sockaddr_in sin;
	struct pair *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->e = e;
	for (int i = 0; i < 2; i++) {
		p->d[i].p = p;
		p->d[i].idx = i;
	}
	if (uv_tcp_init_ex(e->loop, &p->side[1], AF_INET) != 0) {
		free(p);
		refuse(e, server);      /* take it off the backlog */
		return -EIO;
	}
	uv_tcp_init(e->loop, &p->side[0]);
	p->side[0].data = p->side[1].data = p->creq.data = p;
	if ((p->next = e->pairs) != NULL)
		p->next->prev = p;
	e->pairs = p;
	e->st.open++;
	e->st.conns++;
	if (uv_accept(server, (uv_stream_t *)&p->side[0]) != 0) {
		pair_close(p, 0);
		return -EIO;
	}
	uv_tcp_nodelay(&p->side[0], 1);
	uv_tcp_nodelay(&p->side[1], 1);
	set_bufs((uv_handle_t *)&p->side[1], e->o.sockbuf);
	uv_ip4_addr("127.0.0.1", e->target, &sin);
	if (uv_tcp_connect(&p->creq, &p->side[1], (struct sockaddr *)&sin,
	    on_connected) != 0) {
		pair_close(p, 0);
		return -EIO;
	}
	return 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct linkemu *e = server->data;

	if (status < 0)
		return;
	if (e->st.down)
		refuse(e, server);
	else
		(void)pair_open(e, server);
}

static void
handle_closed(uv_handle_t *h)
{
	struct linkemu *e = h->data;

	e->handles--;
	free_if_done(e);
}

int
linkemu_start(uv_loop_t *loop, const struct linkemu_opts *o,
    uint16_t listen_port, uint16_t target_port, struct linkemu **out)
{
	struct sockaddr_in sin;
	int len = sizeof(sin), rc;
	struct linkemu *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->loop = loop;
	e->o = *o;
	if (e->o.queue_max == 0)
		e->o.queue_max = 32768;
	e->target = target_port;
	uv_ip4_addr("127.0.0.1", listen_port, &sin);
	if ((rc = uv_tcp_init_ex(loop, &e->listener, AF_INET)) != 0) {
		free(e);
		return rc;
	}
	e->listener.data = e;
	e->handles++;
	/* Accepted sockets inherit the listener's buffer sizes. */
	set_bufs((uv_handle_t *)&e->listener, e->o.sockbuf);
	if ((rc = uv_tcp_bind(&e->listener, (struct sockaddr *)&sin, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&e->listener, 64, on_connection)) != 0 ||
	    (rc = uv_tcp_getsockname(&e->listener, (struct sockaddr *)&sin,
	    &len)) != 0) {
		e->stopping = 1;
		uv_close((uv_handle_t *)&e->listener, handle_closed);
		return rc;
	}
	e->port = ntohs(sin.sin_port);
	uv_timer_init(loop, &e->tick);
	e->tick.data = e;
	e->handles++;
	uv_timer_start(&e->tick, on_tick, TICK_MS, TICK_MS);
	*out = e;
	return 0;
}

uint16_t
linkemu_port(const struct linkemu *e)
{
	return e->port;
}

void
linkemu_cut(struct linkemu *e, int down)
{
	e->st.down = down;
	if (!down)
		return;
	for (struct pair *p = e->pairs; p != NULL; p = p->next) {
		if (p->closing)
			continue;
		e->st.lost += p->d[0].waiting + p->d[0].inflight +
		    p->d[1].waiting + p->d[1].inflight;
		pair_close(p, 1);
	}
}

void
linkemu_stats(const struct linkemu *e, struct linkemu_stats *out)
{
	*out = e->st;
}

void
linkemu_stop(struct linkemu *e)
{
	e->stopping = 1;
	for (struct pair *p = e->pairs; p != NULL; p = p->next)
		pair_close(p, 1);
	uv_close((uv_handle_t *)&e->tick, handle_closed);
	uv_close((uv_handle_t *)&e->listener, handle_closed);
}
