/*
 * A control socket on a loop and a client thread against it, for the
 * control socket's unit tests (ctlworld.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/bytes.h"
#include "proto/control.h"
#include "proto/frame.h"
#include "tests/lib/ctlworld.h"

static void
on_done(uv_async_t *a)
{
	uv_stop(a->loop);
}

static void
on_safety(uv_timer_t *t)
{
	struct ctlworld *w = t->data;

	snprintf(w->failure, sizeof(w->failure), "the loop never heard back");
	uv_stop(t->loop);
}

struct ctlworld *
ctlworld_new(control_handler handler)
{
	struct ctlworld *w = calloc(1, sizeof(*w));
	const char *tmp = getenv("TMPDIR");
	char *cause = NULL;

	if (w == NULL)
		return NULL;
	snprintf(w->dir, sizeof(w->dir), "%s/ctl.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(w->dir) == NULL) {
		free(w);
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s/control.sock", w->dir);
	if (uv_loop_init(&w->loop) != 0 ||
	    uv_async_init(&w->loop, &w->done, on_done) != 0 ||
	    uv_timer_init(&w->loop, &w->safety) != 0)
		return NULL;
	w->safety.data = w;
	if (control_open(&w->loop, w->path, getgid(), handler, w, &w->ctl,
	    &cause) != 0) {
		fprintf(stderr, "control_open: %s\n", cause);
		free(cause);
		return NULL;
	}
	return w;
}

int
ctlworld_free(struct ctlworld *w)
{
	int r;

	control_close(w->ctl);
	uv_close((uv_handle_t *)&w->done, NULL);
	uv_close((uv_handle_t *)&w->safety, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&w->loop);
	unlink(w->path);
	rmdir(w->dir);
	free(w);
	return r == 0 ? 0 : -1;
}

static void *
client_thread(void *arg)
{
	struct ctlworld *w = arg;

	w->scenario(w);
	uv_async_send(&w->done);
	return NULL;
}

int
ctlworld_run(struct ctlworld *w, void (*scenario)(struct ctlworld *))
{
	pthread_t t;

	w->scenario = scenario;
	w->failure[0] = '\0';
	if (uv_timer_start(&w->safety, on_safety, CTLWORLD_SAFETY_MS, 0) != 0 ||
	    pthread_create(&t, NULL, client_thread, w) != 0) {
		snprintf(w->failure, sizeof(w->failure), "cannot start the client");
		return -1;
	}
	uv_run(&w->loop, UV_RUN_DEFAULT);
	pthread_join(t, NULL);
	uv_timer_stop(&w->safety);
	return w->failure[0] == '\0' ? 0 : -1;
}

void
ctlworld_answer_status(struct ctlworld *w, struct control_client *c)
{
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Status st = HOMEWARD__CONTROL__STATUS__INIT;

	st.agency_id = "alpha";
	st.peers_total = 3;
	resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
	resp.status = &st;
	if (control_send(c, &resp) != 0 ||
	    control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "fine %d",
	    42) != 0)
		snprintf(w->failure, sizeof(w->failure), "the status answer was "
		    "not queued");
	/* The request is over: more output is refused. */
	w->rc[0] = control_send(c, &resp);
}

int
ctlworld_connect(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CTLWORLD_TIMEOUT_S, 0 };
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
ctlworld_write(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
ctlworld_read(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = recv(fd, p + got, n - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 && got == 0)
			return 1;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

int
ctlworld_eof(int fd)
{
	uint8_t b;
	ssize_t k = recv(fd, &b, 1, 0);

	return k == 0 || (k < 0 && errno == ECONNRESET);
}

static int
send_request(int fd, Homeward__Control__Request *req)
{
	uint8_t *buf;
	size_t len;
	int r;

	if (control_request_encode(req, &buf, &len) != 0)
		return -1;
	r = ctlworld_write(fd, buf, len);
	free(buf);
	return r;
}

int
ctlworld_send_status(int fd)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	return send_request(fd, &req);
}

int
ctlworld_send_level(int fd, const char *level)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SetLogLevel ll = HOMEWARD__CONTROL__SET_LOG_LEVEL__INIT;

	ll.level = (char *)level;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL;
	req.log_level = &ll;
	return send_request(fd, &req);
}

int
ctlworld_send_raw(int fd, const uint8_t *pl, size_t len)
{
	uint8_t hdr[FRAME_HDR_LEN];

	be32_put(hdr, (uint32_t)len);
	if (ctlworld_write(fd, hdr, sizeof(hdr)) != 0)
		return -1;
	return len > 0 ? ctlworld_write(fd, pl, len) : 0;
}

Homeward__Control__Response *
ctlworld_response(int fd)
{
	uint8_t hdr[FRAME_HDR_LEN], *pl;
	Homeward__Control__Response *r;
	uint32_t n;
	int err;

	if (ctlworld_read(fd, hdr, sizeof(hdr)) != 0)
		return NULL;
	n = be32_get(hdr);
	if (n > FRAME_CONTROL_MAX || (pl = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	if (ctlworld_read(fd, pl, n) != 0) {
		free(pl);
		return NULL;
	}
	r = control_response_decode(pl, n, &err);
	free(pl);
	return r;
}

int
ctlworld_expect_result(int fd, Homeward__Control__ResultCode code)
{
	Homeward__Control__Response *r = ctlworld_response(fd);
	int ok;

	ok = r != NULL && r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT &&
	    r->result->code == code;
	control_response_free(r);
	return ok ? 0 : -1;
}

int
ctlworld_expect_status(int fd)
{
	Homeward__Control__Response *r;
	int ok;

	if ((r = ctlworld_response(fd)) == NULL)
		return -1;
	ok = r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_STATUS &&
	    strcmp(r->status->agency_id, "alpha") == 0 && r->status->peers_total == 3;
	control_response_free(r);
	if (!ok || (r = ctlworld_response(fd)) == NULL)
		return -1;
	ok = r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT &&
	    r->result->code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK &&
	    strcmp(r->result->message, "fine 42") == 0;
	control_response_free(r);
	return ok ? 0 : -1;
}

int
ctlworld_status_roundtrip(int fd)
{
	return ctlworld_send_status(fd) == 0 ? ctlworld_expect_status(fd) : -1;
}
