/*
 * One TLS 1.3 connection over a libuv TCP handle (conn.h); the listener
 * that accepts them is in listener.c.
 *
 * Bytes read from the socket go into the SSL's read BIO and the handshake
 * or SSL_read runs until OpenSSL wants more; whatever OpenSSL leaves in the
 * write BIO is handed to uv_write at once, so "queued" is the ciphertext
 * given to libuv whose write callback has not come yet.
 *
 * Owner callbacks may close the connection: after each one the closing
 * flag is checked and nothing more is done.  Closing is a state, not an
 * event: it stops reading and the timers, says goodbye on the wire where
 * that means something, lets queued output drain for a bounded time, then
 * closes the three libuv handles.  on_close runs from the last close
 * callback, never from inside a call by the owner, and the memory goes
 * right after it.
 *
 * Memory: a connection holds no buffer of its own while it waits.  Reads
 * land in one loop-wide buffer and are handed to OpenSSL before the read
 * callback returns; decrypted records land in another and are copied out
 * by the frame reader before conn_pump returns (conn_pump is never
 * re-entered: owners are called from it but nothing they may call reads).
 * An accepted connection gets its SSL only when its first TLS record (a
 * ClientHello, CONN_FIRST_MAX at most) is complete: until then a stranger
 * costs the handles and the bytes it sent, not the 40 KB or so of an SSL
 * with its buffers; OpenSSL releases its record buffers between records
 * (SSL_MODE_RELEASE_BUFFERS, tls.c) and our memory BIOs are trimmed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "common/bytes.h"
#include "daemon/base/log.h"
#include "daemon/net/conn.h"
#include "daemon/net/conn_int.h"
#include "proto/frame.h"

#define CONN_LINGER_MS          2000    /* queued output may drain this long on close */
#define CONN_READ_BUF           65536
#define CONN_RECORD             16384   /* TLS plaintext record maximum */
#define CONN_NAME_MAX           (INET6_ADDRSTRLEN + 16)
#define CONN_TLS_HDR            5       /* type, version, length of a TLS record */
#define CONN_FIRST_MAX          8192    /* the first record we take (a ClientHello) */

struct conn {
	uv_tcp_t                tcp;
	SSL_CTX                *ctx;            /* accepted: our reference until the SSL exists */
	struct admit           *admit;          /* accepted: the slot held until identified */
	uint8_t                 admit_key[ADMIT_KEY_LEN];
	uint64_t                identify_ms;
	uint8_t                *first;          /* accepted: the first record so far */
	size_t                  first_len;
	uv_timer_t              timer;          /* connect and handshake, then linger */
	uv_timer_t              idle;
	uv_connect_t            connect_req;
	uv_getaddrinfo_t        gai_req;
	uv_shutdown_t           shutdown_req;
	struct conn_cb          cb;
	void                   *arg;
	SSL                    *ssl;
	struct frame_reader     fr;
	uint64_t                idle_ms;
	size_t                  queued;         /* given to uv_write, callback not yet come */
	uint64_t                flushed;        /* bytes ever given to uv_write */
	uint64_t                written;        /* of those, bytes whose write completed */
	unsigned                writes;         /* uv_write requests outstanding */
	unsigned                refs;           /* handles not closed yet + a pending lookup */
	int                     outbound;
	int                     connected;      /* TCP is up */
	int                     handshaken;
	int                     open;           /* the owner accepted the peer */
	int                     want_drain;     /* conn_send refused: on_drain owed */
	int                     resolving;
	int                     closing;
	int                     handles_closing;
	enum conn_close_reason  reason;
	char                    peer[CONN_NAME_MAX];
};

/* Shared by every connection of the loop (see the top of the file). */
static uint8_t conn_rbuf[CONN_READ_BUF];
static uint8_t conn_plain[CONN_RECORD];
static int conn_pumping;

/* One uv_write: the request and the ciphertext it carries. */
struct conn_write {
	uv_write_t              req;            /* first: the callback gets this */
	struct conn            *c;
	size_t                  len;
	uint8_t                 data[];
};

static void conn_write_cb(uv_write_t *, int);

static int
conn_cb_ok(const struct conn_cb *cb)
{
	return cb != NULL && cb->on_verify != NULL && cb->on_close != NULL;
}

static void
conn_set_name(struct conn *c, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		uv_ip4_name(in, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s:%u", ip,
		    ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		uv_ip6_name(in6, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip,
		    ntohs(in6->sin6_port));
	}
}

/* A connection with its three handles initialised, nothing started, and
 * its SSL (outbound) or a reference to the context to make it from
 * (accepted).  From here on it ends only through conn_shut. */
static int
conn_new(uv_loop_t *loop, SSL_CTX *ctx, const struct conn_cb *cb, void *arg,
    int outbound, struct conn **out)
{
	struct conn *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if (!outbound) {
		SSL_CTX_up_ref(ctx);
		c->ctx = ctx;
	} else if ((rc = conn_tls_ssl_new(ctx, 0, &c->ssl)) != 0) {
		free(c);
		return rc;
	}
	if ((rc = uv_tcp_init(loop, &c->tcp)) != 0) {
		SSL_free(c->ssl);
		SSL_CTX_free(c->ctx);
		free(c);
		return rc;
	}
	/* Cannot fail on Unix; a failure would leave a handle to close. */
	if (uv_timer_init(loop, &c->timer) != 0 ||
	    uv_timer_init(loop, &c->idle) != 0)
		fatalx("conn: uv_timer_init failed");
	c->tcp.data = c->timer.data = c->idle.data = c;
	c->connect_req.data = c->gai_req.data = c->shutdown_req.data = c;
	c->refs = 3;
	c->cb = *cb;
	c->arg = arg;
	c->outbound = outbound;
	c->idle_ms = CONN_IDLE_MS_DEFAULT;
	c->identify_ms = CONN_HANDSHAKE_MS;
	frame_reader_init(&c->fr, FRAME_WIRE_MAX);
	snprintf(c->peer, sizeof(c->peer), "?");
	*out = c;
	return 0;
}

/* The last reference is gone: tell the owner, then free. */
static void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	/* The descriptor is closed by now: the slot may go to another. */
	if (c->admit != NULL)
		admit_release(c->admit, c->admit_key, 0, c->reason);
	c->cb.on_close(c, c->reason, c->arg);
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	free(c->first);
	frame_reader_free(&c->fr);
	free(c);
}

static void
conn_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void
conn_close_handles(struct conn *c)
{
	if (c->handles_closing)
		return;
	c->handles_closing = 1;
	/* Pending connect, write and shutdown requests get their callbacks
	 * (UV_ECANCELED) before the close callback. */
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

static void
conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	conn_close_handles(req->data);
}

static void
conn_linger_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	log_debug("%s: %zu bytes not delivered before close", c->peer,
	    c->queued);
	conn_close_handles(c);
}

/* Everything in the write BIO to one uv_write.  0 or a negative errno. */
static int
conn_flush(struct conn *c)
{
	struct conn_write *w;
	BIO *wbio;
	size_t n;
	uv_buf_t buf;
	int rc;

	if (c->ssl == NULL || (n = BIO_ctrl_pending(wbio =
	    SSL_get_wbio(c->ssl))) == 0)
		return 0;
	if (n > INT32_MAX || (w = malloc(sizeof(*w) + n)) == NULL)
		return -ENOMEM;
	if (BIO_read(wbio, w->data, (int)n) != (int)n) {
		free(w);
		return -EIO;
	}
	conn_tls_trim_bios(c->ssl);
	w->c = c;
	w->len = n;
	buf = uv_buf_init((char *)w->data, (unsigned int)n);
	if ((rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1,
	    conn_write_cb)) != 0) {
		free(w);
		return rc;
	}
	c->queued += n;
	c->flushed += n;
	c->writes++;
	return 0;
}

/*
 * The one way a connection ends.  What goes on the wire first: after the
 * owner accepted the peer, a close_notify for our own reasons; a TLS
 * failure leaves OpenSSL's alert in the write BIO; a handshake the owner
 * refused is not completed (our unsent Finished is dropped).
 */
static void
conn_shut(struct conn *c, enum conn_close_reason why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->reason = why;
	log_debug("%s: closing (%s)", c->peer, conn_close_reason_name(why));
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	uv_timer_stop(&c->idle);
	if (c->resolving)
		uv_cancel((uv_req_t *)&c->gai_req);

	if (c->handshaken && !c->open)
		(void)BIO_reset(SSL_get_wbio(c->ssl));
	else if (c->open && (why == CONN_CLOSE_LOCAL ||
	    why == CONN_CLOSE_FRAME || why == CONN_CLOSE_TIMEOUT)) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	ERR_clear_error();
	if (!c->connected || why == CONN_CLOSE_IO) {
		conn_close_handles(c);
		return;
	}
	(void)conn_flush(c);
	if (c->writes > 0 && uv_shutdown(&c->shutdown_req,
	    (uv_stream_t *)&c->tcp, conn_shutdown_cb) == 0) {
		uv_timer_start(&c->timer, conn_linger_cb, CONN_LINGER_MS, 0);
		return;
	}
	conn_close_handles(c);
}

static void
conn_tls_failed(struct conn *c, const char *what)
{
	conn_tls_log_errors(c->peer, what);
	conn_shut(c, CONN_CLOSE_TLS);
}

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct conn_write *w = (struct conn_write *)req;
	struct conn *c = w->c;
	size_t w_len = w->len;

	c->queued -= w->len;
	c->writes--;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("%s: write: %s", c->peer, uv_strerror(status));
		conn_shut(c, CONN_CLOSE_IO);
		return;
	}
	/* Writes on a stream complete in order: everything up to here has
	 * left our queue (the owner paces retransmission on it). */
	c->written += w_len;
	if (c->cb.on_written != NULL)
		c->cb.on_written(c, c->written, c->arg);
	if (c->closing)
		return;
	if (c->want_drain && c->queued < CONN_LOW_WATER) {
		c->want_drain = 0;
		if (c->cb.on_drain != NULL)
			c->cb.on_drain(c, c->arg);
	}
}

static int
conn_write_all(struct conn *c, const uint8_t *p, size_t len)
{
	size_t done = 0;

	ERR_clear_error();
	/* Memory BIOs never push back: all of it or a fatal error. */
	return SSL_write_ex(c->ssl, p, len, &done) == 1 && done == len ? 0 : -1;
}

/* Payloads to the owner.  0, or -1 when the connection is closing. */
static int
conn_deliver(struct conn *c, const uint8_t *p, size_t n)
{
	uint8_t *payload;
	size_t used, len;
	int r;

	while (n > 0) {
		r = frame_reader_feed(&c->fr, p, n, &used, &payload, &len);
		if (r < 0) {
			log_debug("%s: frame refused: %s", c->peer, strerror(-r));
			conn_shut(c, r == -EMSGSIZE ? CONN_CLOSE_FRAME :
			    CONN_CLOSE_IO);
			return -1;
		}
		p += used;
		n -= used;
		if (r == FRAME_READY) {
			if (c->cb.on_frame != NULL)
				c->cb.on_frame(c, payload, len, c->arg);
			free(payload);
			if (c->closing)
				return -1;
		}
	}
	return 0;
}

/* The handshake is done: ask the owner about the key.  0 or -1 (closing). */
static int
conn_accept_peer(struct conn *c)
{
	uint8_t spki[CONN_SPKI_LEN];
	int r;

	if (conn_tls_peer_spki(c->ssl, spki) != 0) {
		conn_tls_failed(c, "peer certificate");
		return -1;
	}
	r = c->cb.on_verify(c, spki, c->arg);
	if (c->closing)
		return -1;
	if (r != 0) {
		log_debug("%s: key %s not pinned", c->peer, log_hex(spki, 8));
		conn_shut(c, CONN_CLOSE_PIN);
		return -1;
	}
	c->open = 1;
	if (c->admit != NULL) {
		admit_release(c->admit, c->admit_key, 1, CONN_CLOSE_LOCAL);
		c->admit = NULL;
	}
	/* Only now our last handshake message may go. */
	if (conn_flush(c) != 0) {
		conn_shut(c, CONN_CLOSE_IO);
		return -1;
	}
	if (c->cb.on_open != NULL)
		c->cb.on_open(c, c->arg);
	return c->closing ? -1 : 0;
}

/* Run the handshake or SSL_read on what the read BIO holds, until
 * OpenSSL needs more bytes from the peer. */
static void
conn_pump_once(struct conn *c)
{
	int n;

	if (!c->handshaken) {
		ERR_clear_error();
		if ((n = SSL_do_handshake(c->ssl)) != 1) {
			if (SSL_get_error(c->ssl, n) != SSL_ERROR_WANT_READ)
				conn_tls_failed(c, "handshake");
			else if (conn_flush(c) != 0)
				conn_shut(c, CONN_CLOSE_IO);
			return;
		}
		c->handshaken = 1;
		uv_timer_stop(&c->timer);
		if (conn_accept_peer(c) != 0)
			return;
	}
	for (;;) {
		ERR_clear_error();
		n = SSL_read(c->ssl, conn_plain, sizeof(conn_plain));
		if (n > 0) {
			if (conn_deliver(c, conn_plain, (size_t)n) != 0)
				return;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			/* Post-handshake messages may have left a reply. */
			if (conn_flush(c) != 0)
				conn_shut(c, CONN_CLOSE_IO);
			else
				conn_tls_trim_bios(c->ssl);
			return;
		case SSL_ERROR_ZERO_RETURN:
			conn_shut(c, CONN_CLOSE_EOF);
			return;
		default:
			conn_tls_failed(c, "read");
			return;
		}
	}
}

static void
conn_pump(struct conn *c)
{
	if (conn_pumping)
		fatalx("conn: conn_pump re-entered");
	conn_pumping = 1;
	conn_pump_once(c);
	conn_pumping = 0;
}

static void
conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	/* libuv hands the buffer back through read_cb before it asks any
	 * handle again, and read_cb gives it all to OpenSSL. */
	(void)h;
	(void)suggested;
	*buf = uv_buf_init((char *)conn_rbuf, sizeof(conn_rbuf));
}

static void
conn_idle_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	log_debug("%s: nothing received for %llu ms", c->peer,
	    (unsigned long long)c->idle_ms);
	conn_shut(c, CONN_CLOSE_TIMEOUT);
}

/*
 * An accepted connection's bytes until its first TLS record is complete;
 * then its SSL, holding them all.  A client sends nothing after its
 * ClientHello before the server answers, so more than one record's worth
 * is not TLS as we speak it.  1: the SSL exists; 0: wait; -1: closing.
 */
static int
conn_first_record(struct conn *c, const uint8_t *p, size_t n)
{
	uint8_t *nb;
	size_t want;

	if (c->first_len + n > CONN_TLS_HDR + CONN_FIRST_MAX) {
		log_debug("%s: first TLS record over %d bytes", c->peer,
		    CONN_FIRST_MAX);
		conn_shut(c, CONN_CLOSE_TLS);
		return -1;
	}
	if ((nb = realloc(c->first, c->first_len + n)) == NULL) {
		conn_shut(c, CONN_CLOSE_IO);
		return -1;
	}
	memcpy(nb + c->first_len, p, n);
	c->first = nb;
	c->first_len += n;
	if (c->first_len < CONN_TLS_HDR)
		return 0;
	/* 22: a handshake record. */
	want = CONN_TLS_HDR + ((size_t)c->first[3] << 8 | c->first[4]);
	if (c->first[0] != 22 || want > CONN_TLS_HDR + CONN_FIRST_MAX) {
		log_debug("%s: not a TLS ClientHello we take", c->peer);
		conn_shut(c, CONN_CLOSE_TLS);
		return -1;
	}
	if (c->first_len < want)
		return 0;
	if (conn_tls_ssl_new(c->ctx, 1, &c->ssl) != 0 ||
	    BIO_write(SSL_get_rbio(c->ssl), c->first, (int)c->first_len) !=
	    (int)c->first_len) {
		ERR_clear_error();
		conn_shut(c, CONN_CLOSE_IO);
		return -1;
	}
	free(c->first);
	c->first = NULL;
	c->first_len = 0;
	return 1;
}

static void
conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (c->closing || nread == 0)
		return;
	if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("%s: read: %s", c->peer, uv_strerror((int)nread));
		conn_shut(c, nread == UV_EOF ? CONN_CLOSE_EOF : CONN_CLOSE_IO);
		return;
	}
	if (c->idle_ms > 0)
		uv_timer_start(&c->idle, conn_idle_cb, c->idle_ms, 0);
	if (c->ssl == NULL) {
		if (conn_first_record(c, (const uint8_t *)buf->base,
		    (size_t)nread) == 1)
			conn_pump(c);
		return;
	}
	if (BIO_write(SSL_get_rbio(c->ssl), buf->base, (int)nread) != nread) {
		ERR_clear_error();
		conn_shut(c, CONN_CLOSE_IO);
		return;
	}
	conn_pump(c);
}

static void
conn_handshake_timeout_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	log_debug("%s: %s not finished in %llu ms", c->peer,
	    c->connected ? "handshake" : "connect",
	    (unsigned long long)c->identify_ms);
	conn_shut(c, c->connected ? CONN_CLOSE_TIMEOUT : CONN_CLOSE_CONNECT);
}

/* TCP is up (accepted or connected): read, and as the client speak first. */
static void
conn_start(struct conn *c)
{
	int rc;

	c->connected = 1;
	if ((rc = uv_tcp_nodelay(&c->tcp, 1)) != 0)
		log_debug("%s: TCP_NODELAY: %s", c->peer, uv_strerror(rc));
	if (c->idle_ms > 0)
		uv_timer_start(&c->idle, conn_idle_cb, c->idle_ms, 0);
	if ((rc = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
	    conn_read_cb)) != 0) {
		log_debug("%s: read: %s", c->peer, uv_strerror(rc));
		conn_shut(c, CONN_CLOSE_IO);
		return;
	}
	if (c->outbound)
		conn_pump(c);
}

static void
conn_connect_cb(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->closing)
		return;
	if (status < 0) {
		log_debug("%s: connect: %s", c->peer, uv_strerror(status));
		conn_shut(c, CONN_CLOSE_CONNECT);
		return;
	}
	conn_start(c);
}

static void
conn_dial(struct conn *c, const struct sockaddr *sa)
{
	int rc;

	conn_set_name(c, sa);
	if ((rc = uv_tcp_connect(&c->connect_req, &c->tcp, sa,
	    conn_connect_cb)) != 0) {
		log_debug("%s: connect: %s", c->peer, uv_strerror(rc));
		conn_shut(c, CONN_CLOSE_CONNECT);
	}
}

static void
conn_gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct conn *c = req->data;

	c->resolving = 0;
	if (!c->closing) {
		if (status < 0 || res == NULL) {
			log_debug("%s: resolve: %s", c->peer, uv_strerror(status));
			conn_shut(c, CONN_CLOSE_CONNECT);
		} else
			conn_dial(c, res->ai_addr);
	}
	uv_freeaddrinfo(res);
	conn_unref(c);          /* the lookup's reference: may free c */
}

int
conn_connect(uv_loop_t *loop, struct conn_tls *tls, const char *host,
    uint16_t port, const struct conn_cb *cb, void *arg, struct conn **out)
{
	struct sockaddr_storage ss;
	struct addrinfo hints;
	struct conn *c;
	char service[8];
	int rc;

	*out = NULL;
	if (loop == NULL || tls == NULL || host == NULL || host[0] == '\0' ||
	    port == 0 || !conn_cb_ok(cb))
		return -EINVAL;
	if ((rc = conn_new(loop, conn_tls_ctx(tls), cb, arg, 1, &c)) != 0)
		return rc;
	/* From here every failure is reported through on_close. */
	*out = c;
	snprintf(c->peer, sizeof(c->peer), "%.*s:%u", INET6_ADDRSTRLEN, host,
	    port);
	uv_timer_start(&c->timer, conn_handshake_timeout_cb, c->identify_ms, 0);
	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0) {
		conn_dial(c, (struct sockaddr *)&ss);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", port);
	if ((rc = uv_getaddrinfo(loop, &c->gai_req, conn_gai_cb, host, service,
	    &hints)) != 0) {
		log_debug("%s: resolve: %s", c->peer, uv_strerror(rc));
		conn_shut(c, CONN_CLOSE_CONNECT);
		return 0;
	}
	c->resolving = 1;
	c->refs++;
	return 0;
}

int
conn_send(struct conn *c, const uint8_t *payload, size_t len)
{
	uint8_t first[CONN_RECORD];
	size_t n;

	if (c->closing || !c->open)
		return -ENOTCONN;
	if (len > FRAME_WIRE_MAX)
		return -EMSGSIZE;
	if (c->queued > CONN_HIGH_WATER) {
		c->want_drain = 1;
		return -ENOBUFS;
	}
	/* The prefix shares the first record with the payload's start. */
	n = len < sizeof(first) - FRAME_HDR_LEN ? len :
	    sizeof(first) - FRAME_HDR_LEN;
	be32_put(first, (uint32_t)len);
	if (n > 0)
		memcpy(first + FRAME_HDR_LEN, payload, n);
	if (conn_write_all(c, first, FRAME_HDR_LEN + n) != 0 ||
	    (len > n && conn_write_all(c, payload + n, len - n) != 0)) {
		conn_tls_failed(c, "write");
		return -EIO;
	}
	if (conn_flush(c) != 0) {
		conn_shut(c, CONN_CLOSE_IO);
		return -EIO;
	}
	return 0;
}

size_t
conn_queued(const struct conn *c)
{
	return c->queued;
}

uint64_t
conn_flushed(const struct conn *c)
{
	return c->flushed;
}

void
conn_close(struct conn *c)
{
	if (c != NULL)
		conn_shut(c, CONN_CLOSE_LOCAL);
}

void
conn_set_idle_timeout(struct conn *c, uint64_t ms)
{
	c->idle_ms = ms;
	if (c->closing || !c->connected)
		return;
	if (ms == 0)
		uv_timer_stop(&c->idle);
	else
		uv_timer_start(&c->idle, conn_idle_cb, ms, 0);
}

void
conn_set_arg(struct conn *c, void *arg)
{
	c->arg = arg;
}

int
conn_is_outbound(const struct conn *c)
{
	return c->outbound;
}

const char *
conn_peer_name(const struct conn *c)
{
	return c->peer;
}

void
conn_accept_fd(uv_loop_t *loop, SSL_CTX *ctx, const struct conn_cb *cb,
    void *arg, int fd, struct admit *admit, const uint8_t key[ADMIT_KEY_LEN])
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct conn *c;
	int rc;

	if ((rc = conn_new(loop, ctx, cb, arg, 0, &c)) != 0) {
		close(fd);
		admit_release(admit, key, 0, CONN_CLOSE_IO);
		return;
	}
	/* From here the slot goes back in conn_unref. */
	c->admit = admit;
	memcpy(c->admit_key, key, ADMIT_KEY_LEN);
	c->identify_ms = admit_identify_ms(admit);
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0)
		conn_set_name(c, (struct sockaddr *)&ss);
	if ((rc = uv_tcp_open(&c->tcp, fd)) != 0) {
		log_debug("%s: accept: %s", c->peer, uv_strerror(rc));
		close(fd);
		conn_shut(c, CONN_CLOSE_IO);
		return;
	}
	uv_timer_start(&c->timer, conn_handshake_timeout_cb, c->identify_ms, 0);
	conn_start(c);
}
