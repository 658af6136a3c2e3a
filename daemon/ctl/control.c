/*
 * The control socket (see control.h), after smtpd's and bgpd's control.c:
 * a Unix socket only the daemon's user and group can reach, the peer's uid
 * learnt from the kernel on accept, a cap on connections per uid so one
 * operator's runaway script cannot starve the others, and requests handed
 * to the owner one at a time, each ending in exactly one Result.
 *
 * Ownership: struct control and every struct control_client belong to this
 * module.  Their memory is released only in libuv close callbacks, so a
 * client that disappears while its answer is being written, or a
 * control_close from inside a handler, leaves nothing dangling.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/ctl/control.h"
#include "daemon/base/log.h"
#include "daemon/base/lang.h"
#include "proto/control.h"
#include "proto/frame.h"

#define CONTROL_BACKLOG         16
#define CONTROL_READ_BUF        65536
/* Answers queued to one client: over HIGH its input is no longer read
 * (a client that sends without reading cannot make the daemon hold its
 * answers without bound); at LOW reading resumes; a client that has not
 * read its answers down to LOW within STALL_MS is closed. */
#define CONTROL_QUEUE_HIGH      (1024 * 1024)
#define CONTROL_QUEUE_LOW       (256 * 1024)
#define CONTROL_STALL_MS        10000
#define CONTROL_SWEEP_MS        1000
/* Refusals of uids without a role: one log line per uid and minute. */
#define CONTROL_DENY_LOG_MS     60000

struct control_client {
	uv_pipe_t                       pipe;
	struct control                 *ctl;
	TAILQ_ENTRY(control_client)     entry;          /* while not closing */
	uid_t                           uid;
	struct frame_reader             rd;
	unsigned                        pending;        /* writes not yet completed */
	size_t                          queued;         /* their bytes */
	uint64_t                        paused_at;      /* ms; 0: reading */
	uint8_t                        *held;           /* input read, not yet fed */
	size_t                          held_len;
	int                             paused;         /* reading stopped (HIGH) */
	int                             denied;         /* no role: one answer */
	char                            deny_why[160];
	int                             in_request;     /* answer not finished */
	int                             closing;
	int                             close_when_flushed;
};

struct control {
	uv_loop_t                      *loop;
	uv_pipe_t                       listener;
	char                           *path;
	dev_t                           dev;            /* of the socket we bound */
	ino_t                           ino;
	control_handler                 handler;
	control_admit                   admit;
	void                           *arg;
	TAILQ_HEAD(, control_client)    clients;
	uv_timer_t                      sweep;          /* stalled clients */
	uid_t                           deny_uid;       /* last refusal logged */
	uint64_t                        deny_at;
	unsigned                        deny_quiet;     /* refusals not logged */
	unsigned                        handles;        /* open libuv handles */
	int                             closing;
	uint8_t                         rbuf[CONTROL_READ_BUF];
};

struct control_write {
	uv_write_t              req;
	struct control_client  *c;
	uint8_t                *buf;
	size_t                  len;
};

static void client_close(struct control_client *);
static void client_resume(struct control_client *);
static void on_alloc(uv_handle_t *, size_t, uv_buf_t *);
static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);

/* --- memory: released when the last handle has closed --- */

static void
ctl_release(struct control *ctl)
{
	if (--ctl->handles > 0 || !ctl->closing)
		return;
	free(ctl->path);
	free(ctl);
}

/* The listener's and the sweep timer's. */
static void
on_listener_closed(uv_handle_t *h)
{
	ctl_release(h->data);
}

static void
on_client_closed(uv_handle_t *h)
{
	struct control_client *c = h->data;
	struct control *ctl = c->ctl;

	/* A request cut short or not yet fed may hold a document. */
	if (c->rd.buf != NULL)
		sodium_memzero(c->rd.buf, c->rd.got);
	frame_reader_free(&c->rd);
	if (c->held != NULL)
		sodium_memzero(c->held, c->held_len);
	free(c->held);
	free(c);
	ctl_release(ctl);
}

/* Idempotent.  The client leaves the list at once, so it no longer counts
 * against its uid's cap; its queued writes are cancelled by libuv and
 * complete (with UV_ECANCELED) before on_client_closed. */
static void
client_close(struct control_client *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	TAILQ_REMOVE(&c->ctl->clients, c, entry);
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

/* --- output --- */

/* Every second while a client is paused: one that has not read its
 * answers down to CONTROL_QUEUE_LOW for CONTROL_STALL_MS is closed, and
 * its answers with it. */
static void
on_sweep(uv_timer_t *t)
{
	struct control *ctl = t->data;
	struct control_client *c, *next;
	uint64_t now = uv_now(ctl->loop);
	int over = 0;

	for (c = TAILQ_FIRST(&ctl->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->paused_at == 0)
			continue;
		if (now - c->paused_at < CONTROL_STALL_MS) {
			over = 1;
			continue;
		}
		log_warnx("control: uid %u has not read %zu bytes of answers for "
		    "%d s, closing", (unsigned)c->uid, c->queued,
		    CONTROL_STALL_MS / 1000);
		client_close(c);
	}
	if (!over)
		uv_timer_stop(t);
}

static void
on_written(uv_write_t *req, int status)
{
	struct control_write *w = req->data;
	struct control_client *c = w->c;

	/* Answers may carry documents and evidence: wiped, not just freed. */
	sodium_memzero(w->buf, w->len);
	free(w->buf);
	c->pending--;
	c->queued -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		/* The CLI went away mid-answer: nothing to tell it. */
		log_debug("control: uid %u: write: %s", (unsigned)c->uid,
		    uv_strerror(status));
		client_close(c);
		return;
	}
	if (c->close_when_flushed && c->pending == 0)
		client_close(c);
	else if (c->paused && c->queued <= CONTROL_QUEUE_LOW)
		client_resume(c);
}

/* Queue one encoded frame; the buffer is ours from here on. */
static int
client_queue(struct control_client *c, uint8_t *buf, size_t len)
{
	struct control_write *w;
	uv_buf_t b;
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		sodium_memzero(buf, len);
		free(buf);
		return -ENOMEM;
	}
	w->c = c;
	w->buf = buf;
	w->len = len;
	w->req.data = w;
	b = uv_buf_init((char *)buf, (unsigned)len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1,
	    on_written)) != 0) {
		log_debug("control: uid %u: write: %s", (unsigned)c->uid,
		    uv_strerror(r));
		sodium_memzero(buf, len);
		free(buf);
		free(w);
		client_close(c);
		return r;
	}
	c->pending++;
	c->queued += len;
	return 0;
}

int
control_send(struct control_client *c, Homeward__Control__Response *resp)
{
	uint8_t *buf;
	size_t len;
	int r;

	if (!c->in_request)
		return -EINVAL;
	if (c->closing)
		return -ENOTCONN;
	if ((r = control_response_encode(resp, &buf, &len)) != 0)
		return r;
	return client_queue(c, buf, len);
}

int
control_result(struct control_client *c, Homeward__Control__ResultCode code,
    const char *fmt, ...)
{
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Result res = HOMEWARD__CONTROL__RESULT__INIT;
	char msg[512];
	va_list ap;
	int r;

	if (!c->in_request)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res.code = code;
	res.message = msg;
	resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_RESULT;
	resp.result = &res;
	r = control_send(c, &resp);
	/* The request is over whether or not the answer could be queued. */
	c->in_request = 0;
	return r;
}

/* --- input --- */

/* One complete payload.  Input from the CLI is untrusted: anything wrong
 * with it gets an answer, never an abort. */
static void
client_request(struct control_client *c, const uint8_t *pl, size_t len)
{
	struct control *ctl = c->ctl;
	Homeward__Control__Request *req;
	int err, kind;

	c->in_request = 1;
	if (c->denied) {
		/* Refused at accept: this one answer, then the connection ends
		 * (the rest of its input is never read). */
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED,
		    "%s", c->deny_why);
		c->close_when_flushed = 1;
		return;
	}
	req = control_request_decode(pl, len, &err);
	if (err == -EPROTONOSUPPORT) {
		log_warnx("control: uid %u speaks another control protocol version",
		    (unsigned)c->uid);
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_VERSION,
		    _("control protocol version mismatch: homewardd %s speaks "
		    "version %d; use the homeward installed with it"),
		    HOMEWARD_VERSION, CONTROL_PROTOCOL_VERSION);
		return;
	}
	if (req == NULL) {
		log_warnx("control: uid %u: malformed request, closing",
		    (unsigned)c->uid);
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE,
		    _("malformed control request"));
		c->close_when_flushed = 1;
		if (!c->closing && c->pending == 0)
			client_close(c);
		return;
	}
	kind = (int)req->kind_case;
	/* The answer in the operator's language, and only the answer:
	 * English again before anything else runs (lang.h). */
	if (lang_begin(req->language) != 0)
		log_debug("control: uid %u: language value refused (%zu bytes); "
		    "answering in English", (unsigned)c->uid,
		    strnlen(req->language, LANG_REQUEST_MAX + 1));
	ctl->handler(c, c->uid, req, ctl->arg);
	lang_end();
	control_request_free(req);
	if (c->in_request) {
		/* The handler broke its contract (control.h). */
		log_warnx("control: request kind %d left unanswered", kind);
		assert(!"control handler returned without control_result");
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_INTERNAL,
		    _("internal error: the request was not answered"));
	}
}

/* Whether input may be fed on: not after a request closed the client,
 * ended its session, or queued more answers than it reads. */
static int
client_may_feed(const struct control_client *c)
{
	return !c->closing && !c->close_when_flushed &&
	    c->queued <= CONTROL_QUEUE_HIGH;
}

/* Feed input to the frame reader, one request at a time, while the client
 * may be fed; returns the bytes used, or -1 when the client was closed. */
static ssize_t
client_feed(struct control_client *c, const uint8_t *p, size_t len)
{
	size_t left = len;

	while (left > 0 && client_may_feed(c)) {
		uint8_t *pl;
		size_t used, plen;
		int r;

		r = frame_reader_feed(&c->rd, p, left, &used, &pl, &plen);
		if (r < 0) {
			log_warnx("control: uid %u: %s, closing", (unsigned)c->uid,
			    r == -EMSGSIZE ? "frame over the cap" : "out of memory");
			client_close(c);
			return -1;
		}
		p += used;
		left -= used;
		if (r == FRAME_READY) {
			client_request(c, pl, plen);
			/* Requests carry documents: wiped, not just freed. */
			sodium_memzero(pl, plen);
			free(pl);
		}
	}
	return (ssize_t)(len - left);
}

/* Input that was read but not fed: kept (a copy) until the client has
 * read enough of its answers, and reading stops meanwhile. */
static void
client_pause(struct control_client *c, const uint8_t *p, size_t len)
{
	struct control *ctl = c->ctl;

	uv_read_stop((uv_stream_t *)&c->pipe);
	c->paused = 1;
	/* The stall clock runs until the client has read its answers down
	 * to CONTROL_QUEUE_LOW (client_resume). */
	c->paused_at = uv_now(ctl->loop);
	if (!uv_is_active((uv_handle_t *)&ctl->sweep))
		uv_timer_start(&ctl->sweep, on_sweep, CONTROL_SWEEP_MS,
		    CONTROL_SWEEP_MS);
	if (len == 0 || c->close_when_flushed)
		return;
	if ((c->held = malloc(len)) == NULL) {
		log_warnx("control: uid %u: out of memory, closing",
		    (unsigned)c->uid);
		client_close(c);
		return;
	}
	memcpy(c->held, p, len);
	c->held_len = len;
}

/* The client has read its answers down to CONTROL_QUEUE_LOW: what was
 * held is fed, then reading resumes unless it paused again. */
static void
client_resume(struct control_client *c)
{
	uint8_t *held = c->held;
	size_t len = c->held_len;
	ssize_t used = 0;
	int r;

	c->held = NULL;
	c->held_len = 0;
	c->paused = 0;
	c->paused_at = 0;
	if (held != NULL)
		used = client_feed(c, held, len);
	if (used >= 0 && !c->closing &&
	    ((size_t)used < len || !client_may_feed(c)))
		client_pause(c, held + used, len - (size_t)used);
	if (held != NULL)
		sodium_memzero(held, len);
	free(held);
	if (c->closing || c->paused || c->close_when_flushed)
		return;
	if ((r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read)) != 0) {
		log_warnx("control: read: %s", uv_strerror(r));
		client_close(c);
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct control_client *c = h->data;

	(void)suggested;
	/* One buffer per control is enough: on_read consumes it before
	 * returning, and the loop runs one callback at a time. */
	*buf = uv_buf_init((char *)c->ctl->rbuf, sizeof(c->ctl->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct control_client *c = s->data;
	const uint8_t *p = (const uint8_t *)buf->base;
	ssize_t used;

	if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("control: uid %u: read: %s", (unsigned)c->uid,
			    uv_strerror((int)nread));
		client_close(c);
		return;
	}
	used = client_feed(c, p, (size_t)nread);
	/* Input after a malformed or refused request is not read: the client
	 * is done.  Input beyond what its unread answers allow waits. */
	if (used >= 0 && !c->closing &&
	    ((size_t)used < (size_t)nread || !client_may_feed(c)))
		client_pause(c, p + used, (size_t)nread - (size_t)used);
	/* The shared buffer held requests, documents among them. */
	if (nread > 0)
		sodium_memzero(buf->base, (size_t)nread);
}

/* --- accepting --- */

static unsigned
uid_connections(const struct control *ctl, uid_t uid)
{
	const struct control_client *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &ctl->clients, entry)
		if (c->uid == uid)
			n++;
	return n;
}

static int
peer_uid(uv_pipe_t *p, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0)
		return -EBADF;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return -errno;
	if (len != sizeof(cr))
		return -EINVAL;
	*uid = cr.uid;
	return 0;
}

/* A uid the owner does not admit: one line per uid and minute, however
 * often it connects, saying how many refusals went unlogged. */
static void
deny_log(struct control *ctl, uid_t uid)
{
	uint64_t now = uv_now(ctl->loop);

	if (ctl->deny_at != 0 && uid == ctl->deny_uid &&
	    now - ctl->deny_at < CONTROL_DENY_LOG_MS) {
		ctl->deny_quiet++;
		return;
	}
	log_warnx("control: uid %u has no role: each of its connections gets "
	    "one refusal and is closed (%u refusal(s) since the last line)",
	    (unsigned)uid, ctl->deny_quiet);
	ctl->deny_uid = uid;
	ctl->deny_at = now;
	ctl->deny_quiet = 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct control_client *c;
	int r;

	if (status < 0) {
		log_warnx("control: accept: %s", uv_strerror(status));
		return;
	}
	/* The pending connection must be taken even when it is refused, or
	 * libuv stops watching the listener. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("control: calloc");
	c->ctl = ctl;
	c->pipe.data = c;
	frame_reader_init(&c->rd, FRAME_CONTROL_MAX);
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	ctl->handles++;
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	if ((r = uv_accept(server, (uv_stream_t *)&c->pipe)) != 0) {
		log_warnx("control: accept: %s", uv_strerror(r));
		client_close(c);
		return;
	}
	if ((r = peer_uid(&c->pipe, &c->uid)) != 0) {
		log_warnx("control: peer credentials: %s", strerror(-r));
		client_close(c);
		return;
	}
	/* This client is already in the list: more than the cap is refused. */
	if (uid_connections(ctl, c->uid) > CONTROL_MAX_PER_UID) {
		log_warnx("control: uid %u has %d connections already, refusing",
		    (unsigned)c->uid, CONTROL_MAX_PER_UID);
		client_close(c);
		return;
	}
	if (ctl->admit != NULL &&
	    ctl->admit(c->uid, ctl->arg, c->deny_why, sizeof(c->deny_why)) != 0) {
		c->denied = 1;
		deny_log(ctl, c->uid);
	}
	if ((r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read)) != 0) {
		log_warnx("control: read: %s", uv_strerror(r));
		client_close(c);
		return;
	}
	log_debug("control: uid %u connected", (unsigned)c->uid);
}

/* --- opening and closing --- */

static int
set_cause(char **cause, int err, const char *fmt, ...)
{
	va_list ap;

	if (cause != NULL) {
		va_start(ap, fmt);
		if (vasprintf(cause, fmt, ap) < 0)
			*cause = NULL;
		va_end(ap);
	}
	return err;
}

/*
 * Is a daemon answering on path?  A connect that succeeds means yes; one
 * refused means a socket nobody listens on (left by a crash), which is
 * removed.  Anything that is not a socket is left alone and refused.
 */
static int
probe_path(const struct sockaddr_un *sun, char **cause)
{
	struct stat st;
	int fd, r, e;

	/* Non-blocking: a live daemon with a full backlog answers EAGAIN
	 * instead of holding our start-up. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return set_cause(cause, -errno, "socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN)
		return set_cause(cause, -EADDRINUSE,
		    "another homewardd is running on %s", sun->sun_path);
	if (e == ENOENT)
		return 0;
	if (e != ECONNREFUSED)
		return set_cause(cause, -e, "cannot check %s: %s", sun->sun_path,
		    strerror(e));
	if (lstat(sun->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return set_cause(cause, -errno, "cannot check %s: %s",
		    sun->sun_path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return set_cause(cause, -EEXIST, "%s exists and is not a socket: "
		    "remove it or choose another control socket", sun->sun_path);
	if (unlink(sun->sun_path) != 0 && errno != ENOENT)
		return set_cause(cause, -errno, "cannot remove the stale socket "
		    "%s: %s", sun->sun_path, strerror(errno));
	log_info("control: removed the stale socket %s", sun->sun_path);
	return 0;
}

/* A listening socket at path: bound under a umask so that it is never
 * reachable by others, then given its final mode and group. */
static int
bind_socket(const struct sockaddr_un *sun, gid_t group, struct stat *st,
    char **cause)
{
	mode_t old;
	int fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return set_cause(cause, -errno, "socket: %s", strerror(errno));
	old = umask(0117);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (r != 0) {
		r = set_cause(cause, -errno, "cannot bind %s: %s", sun->sun_path,
		    strerror(errno));
		close(fd);
		return r;
	}
	if (chmod(sun->sun_path, 0660) != 0) {
		r = set_cause(cause, -errno, "chmod %s: %s", sun->sun_path,
		    strerror(errno));
		goto fail;
	}
	if (group != (gid_t)-1 && chown(sun->sun_path, (uid_t)-1, group) != 0) {
		r = set_cause(cause, -errno, "cannot give %s to group %u: %s",
		    sun->sun_path, (unsigned)group, strerror(errno));
		goto fail;
	}
	if (listen(fd, CONTROL_BACKLOG) != 0 || lstat(sun->sun_path, st) != 0) {
		r = set_cause(cause, -errno, "listen on %s: %s", sun->sun_path,
		    strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(sun->sun_path);
	return r;
}

int
control_open(uv_loop_t *loop, const char *path, gid_t group,
    control_handler handler, void *arg, struct control **out, char **cause)
{
	struct sockaddr_un sun;
	struct control *ctl = NULL;
	struct stat st;
	int fd = -1, r;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path == NULL || path[0] == '\0' ||
	    strlen(path) >= sizeof(sun.sun_path))
		return set_cause(cause, -ENAMETOOLONG, "control socket path %s is "
		    "empty or longer than %zu bytes", path != NULL ? path : "",
		    sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path));
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = strdup(path)) == NULL) {
		r = set_cause(cause, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = probe_path(&sun, cause)) != 0)
		goto fail;
	if ((fd = bind_socket(&sun, group, &st, cause)) < 0) {
		r = fd;
		goto fail;
	}
	ctl->loop = loop;
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	ctl->handler = handler;
	ctl->arg = arg;
	TAILQ_INIT(&ctl->clients);

	/* From here the listener is a libuv handle: on failure it is closed
	 * and ctl released in its close callback. */
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	uv_timer_init(loop, &ctl->sweep);
	ctl->sweep.data = ctl;
	ctl->handles = 2;
	if ((r = uv_pipe_open(&ctl->listener, fd)) != 0)
		close(fd);              /* not adopted by the handle */
	else
		r = uv_listen((uv_stream_t *)&ctl->listener, CONTROL_BACKLOG,
		    on_connection);
	if (r != 0) {
		set_cause(cause, r, "listen on %s: %s", path, uv_strerror(r));
		unlink(path);
		ctl->closing = 1;
		uv_close((uv_handle_t *)&ctl->sweep, on_listener_closed);
		uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
		return r;
	}
	log_debug("control: listening on %s", path);
	*out = ctl;
	return 0;
fail:
	if (ctl != NULL)
		free(ctl->path);
	free(ctl);
	return r;
}

void
control_close(struct control *ctl)
{
	struct stat st;

	if (ctl == NULL || ctl->closing)
		return;
	ctl->closing = 1;
	while (!TAILQ_EMPTY(&ctl->clients))
		client_close(TAILQ_FIRST(&ctl->clients));
	/* Only our own socket: a file put there since is not ours to remove. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->sweep, on_listener_closed);
	uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
}

void
control_set_admit(struct control *ctl, control_admit admit)
{
	ctl->admit = admit;
}
