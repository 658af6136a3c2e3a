/*
 * The listener for daemon connections (conn.h).  It accepts with accept4
 * under a uv_poll_t on a socket of its own rather than uv_listen: when
 * descriptors run out it stops watching the socket for a while
 * (uv_poll_stop and a timer), so the loop does not spin on EMFILE and new
 * connections wait in the kernel's backlog meanwhile.  Each accepted
 * socket takes an admission slot (admit.c) and becomes a connection
 * through conn_accept_fd (conn.c); one over the caps is closed at once,
 * so the backlog keeps moving and partners are not queued behind
 * strangers.  The caps sit below the descriptor limit (derived by the
 * daemon), so EMFILE is for the rare case the rest of the daemon used
 * them up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "daemon/base/log.h"
#include "daemon/net/conn.h"
#include "daemon/net/conn_int.h"

#define LISTENER_PAUSE_MS       1000    /* accepting paused this long without descriptors */
#define LISTENER_BATCH          32      /* accepts per wake-up, so reads get their turn */
#define LISTENER_BACKLOG        128

struct conn_listener {
	uv_loop_t              *loop;
	SSL_CTX                *ctx;            /* our own reference */
	struct admit           *admit;          /* freed by itself after admit_close */
	struct conn_cb          cb;
	void                   *arg;
	int                     fd;
	uv_poll_t               poll;
	uv_timer_t              pause;
	unsigned                refs;
	int                     closing;
	uint16_t                port;
};

static void listener_readable_cb(uv_poll_t *, int, int);

static void
listener_resume_cb(uv_timer_t *t)
{
	struct conn_listener *l = t->data;

	if (!l->closing)
		uv_poll_start(&l->poll, UV_READABLE, listener_readable_cb);
}

static void
listener_pause(struct conn_listener *l)
{
	uv_poll_stop(&l->poll);
	uv_timer_start(&l->pause, listener_resume_cb, LISTENER_PAUSE_MS, 0);
}

static void
listener_readable_cb(uv_poll_t *p, int status, int events)
{
	struct conn_listener *l = p->data;
	uint8_t key[ADMIT_KEY_LEN];
	int fd;

	(void)events;
	if (status < 0) {
		log_warnx("listener: %s", uv_strerror(status));
		listener_pause(l);
		return;
	}
	for (int i = 0; i < LISTENER_BATCH && !l->closing; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (admit_key(fd, key) != 0 ||
			    admit_take(l->admit, key) != 0) {
				close(fd);      /* counted for the summary */
				continue;
			}
			conn_accept_fd(l->loop, l->ctx, &l->cb, l->arg, fd,
			    l->admit, key);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			log_warn("accept: pausing for %d ms", LISTENER_PAUSE_MS);
			listener_pause(l);
			return;
		default:
			log_warn("accept");
			return;
		}
	}
}

int
conn_listen(uv_loop_t *loop, struct conn_tls *tls, const char *host,
    uint16_t port, const struct conn_cb *cb, void *arg,
    struct conn_listener **out)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct conn_listener *l;
	int fd = -1, one = 1, rc;

	*out = NULL;
	if (loop == NULL || tls == NULL || host == NULL || cb == NULL ||
	    cb->on_verify == NULL || cb->on_close == NULL)
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0)
		sslen = sizeof(struct sockaddr_in);
	else if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0)
		sslen = sizeof(struct sockaddr_in6);
	else
		return -EINVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOMEM;
	if ((rc = admit_new(loop, &l->admit)) != 0) {
		free(l);
		return rc;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(fd, LISTENER_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		rc = -errno;
		goto fail;
	}
	if ((rc = uv_poll_init_socket(loop, &l->poll, fd)) != 0)
		goto fail;
	if (uv_timer_init(loop, &l->pause) != 0)
		fatalx("conn: uv_timer_init failed");
	l->poll.data = l->pause.data = l;
	l->refs = 2;
	l->loop = loop;
	l->ctx = conn_tls_ctx(tls);
	SSL_CTX_up_ref(l->ctx);
	l->cb = *cb;
	l->arg = arg;
	l->fd = fd;
	l->port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	if ((rc = uv_poll_start(&l->poll, UV_READABLE,
	    listener_readable_cb)) != 0) {
		conn_listener_close(l);         /* frees l in the close callbacks */
		return rc;
	}
	*out = l;
	return 0;
fail:
	if (fd != -1)
		close(fd);
	admit_close(l->admit);
	free(l);
	return rc;
}

static void
listener_handle_closed(uv_handle_t *h)
{
	struct conn_listener *l = h->data;

	if (--l->refs > 0)
		return;
	/* The socket outlives the poll handle watching it. */
	close(l->fd);
	SSL_CTX_free(l->ctx);
	free(l);
}

void
conn_listener_close(struct conn_listener *l)
{
	if (l == NULL || l->closing)
		return;
	l->closing = 1;
	/* Connections still unidentified keep it until they end. */
	admit_close(l->admit);
	l->admit = NULL;
	uv_close((uv_handle_t *)&l->poll, listener_handle_closed);
	uv_close((uv_handle_t *)&l->pause, listener_handle_closed);
}

uint16_t
conn_listener_port(const struct conn_listener *l)
{
	return l->port;
}

void
conn_listener_set_limits(struct conn_listener *l, const struct conn_limits *lim)
{
	if (l->admit != NULL)
		admit_set_limits(l->admit, lim);
}

unsigned
conn_listener_unidentified(const struct conn_listener *l)
{
	return l->admit != NULL ? admit_count(l->admit) : 0;
}
