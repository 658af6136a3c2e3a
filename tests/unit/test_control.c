/*
 * Unit tests: the daemon's control socket (daemon/control.c) on a real
 * Unix socket in a mkdtemp directory.  The libuv loop runs in the test's
 * main thread; a client thread plays the CLI with blocking sockets (with a
 * receive timeout as a safety net against hangs) and wakes the loop with
 * uv_async_send when its scenario is over.  Failures seen by the client
 * thread are recorded and asserted in the main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "daemon/ctl/control.h"
#include "proto/control.h"
#include "proto/frame.h"

#define BIG_FRAMES      8               /* answers far larger than a socket buffer */
#define BIG_BODY        ENV1_MAX_INLINE
#define SAFETY_MS       30000           /* the loop gives up (a failure) after this */
#define CLIENT_TIMEOUT  10              /* s, on every blocking receive */

struct world {
	uv_loop_t               loop;
	uv_async_t              done;
	uv_timer_t              safety;
	char                    dir[64];
	char                    path[96];
	struct control         *ctl;
	void                  (*scenario)(struct world *);
	/* written by the handler (loop thread), read after the join */
	int                     handled;
	uid_t                   uid;
	int                     send_after_result;
	/* written by the client thread, read after the join */
	char                    failure[256];
};

/* --- the handler: answers like a tiny daemon --- */

static void
handler(struct control_client *c, uid_t uid, const Homeward__Control__Request *req,
    void *arg)
{
	struct world *w = arg;
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Status st = HOMEWARD__CONTROL__STATUS__INIT;
	Homeward__Control__MessageInfo mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	const char *level;
	uint8_t *body;

	w->handled++;
	w->uid = uid;
	if (req->kind_case == HOMEWARD__CONTROL__REQUEST__KIND_STATUS) {
		st.agency_id = "alpha";
		st.peers_total = 3;
		resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
		resp.status = &st;
		assert_int_equal(control_send(c, &resp), 0);
		assert_int_equal(control_result(c,
		    HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "fine %d", 42), 0);
		/* The request is over: more output is refused. */
		w->send_after_result = control_send(c, &resp);
		return;
	}
	if (req->kind_case != HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE, "no");
		return;
	}
	level = req->log_level->level;
	if (strcmp(level, "big") == 0) {
		/* Answers the client will not wait for. */
		assert_non_null(body = calloc(1, BIG_BODY));
		mi.body.data = body;
		mi.body.len = BIG_BODY;
		resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE;
		resp.message = &mi;
		for (int i = 0; i < BIG_FRAMES; i++)
			control_send(c, &resp);
		free(body);
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "sent");
		return;
	}
	if (strcmp(level, "close") == 0) {
		/* The owner shuts the control socket down from a handler. */
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "bye");
		control_close(w->ctl);
		w->ctl = NULL;
		return;
	}
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE, "level?");
}

/* --- the client thread's side: blocking sockets --- */

#define CHECK(w, cond) do {                                             \
	if (!(cond)) {                                                  \
		if ((w)->failure[0] == '\0')                            \
			snprintf((w)->failure, sizeof((w)->failure),    \
			    "line %d: %s (errno %d)", __LINE__, #cond, errno); \
		return;                                                 \
	}                                                               \
} while (0)

static int
cl_connect(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CLIENT_TIMEOUT, 0 };
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

static int
cl_write(int fd, const uint8_t *p, size_t n)
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

/* Exactly n bytes: 0, 1 on EOF at the start, -1 otherwise. */
static int
cl_read(int fd, uint8_t *p, size_t n)
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

/* The daemon closed the connection (EOF, or a reset when we had unread
 * input on its side). */
static int
cl_eof(int fd)
{
	uint8_t b;
	ssize_t k = recv(fd, &b, 1, 0);

	return k == 0 || (k < 0 && errno == ECONNRESET);
}

static int
cl_send_status(int fd)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	uint8_t *buf;
	size_t len;
	int r;

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	if (control_request_encode(&req, &buf, &len) != 0)
		return -1;
	r = cl_write(fd, buf, len);
	free(buf);
	return r;
}

static int
cl_send_level(int fd, const char *level)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SetLogLevel ll = HOMEWARD__CONTROL__SET_LOG_LEVEL__INIT;
	uint8_t *buf;
	size_t len;
	int r;

	ll.level = (char *)level;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL;
	req.log_level = &ll;
	if (control_request_encode(&req, &buf, &len) != 0)
		return -1;
	r = cl_write(fd, buf, len);
	free(buf);
	return r;
}

/* One response frame, decoded; NULL on EOF or error. */
static Homeward__Control__Response *
cl_response(int fd)
{
	uint8_t hdr[FRAME_HDR_LEN], *pl;
	Homeward__Control__Response *r;
	uint32_t n;
	int err;

	if (cl_read(fd, hdr, sizeof(hdr)) != 0)
		return NULL;
	n = be32_get(hdr);
	if (n > FRAME_CONTROL_MAX || (pl = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	if (cl_read(fd, pl, n) != 0) {
		free(pl);
		return NULL;
	}
	r = control_response_decode(pl, n, &err);
	free(pl);
	return r;
}

/* The Result that ends an answer has this code; 0 or -1. */
static int
cl_expect_result(int fd, Homeward__Control__ResultCode code)
{
	Homeward__Control__Response *r = cl_response(fd);
	int ok;

	ok = r != NULL && r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT &&
	    r->result->code == code;
	homeward__control__response__free_unpacked(r, NULL);
	return ok ? 0 : -1;
}

/* A full status exchange: the Status, then Result OK "fine 42". */
static int
cl_status_roundtrip(int fd)
{
	Homeward__Control__Response *r;
	int ok;

	if (cl_send_status(fd) != 0 || (r = cl_response(fd)) == NULL)
		return -1;
	ok = r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_STATUS &&
	    strcmp(r->status->agency_id, "alpha") == 0 && r->status->peers_total == 3;
	homeward__control__response__free_unpacked(r, NULL);
	if (!ok || (r = cl_response(fd)) == NULL)
		return -1;
	ok = r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT &&
	    r->result->code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK &&
	    strcmp(r->result->message, "fine 42") == 0;
	homeward__control__response__free_unpacked(r, NULL);
	return ok ? 0 : -1;
}

/* An encoded payload framed as given (for frames our encoder refuses). */
static int
cl_send_raw(int fd, const uint8_t *pl, size_t len)
{
	uint8_t hdr[FRAME_HDR_LEN];

	be32_put(hdr, (uint32_t)len);
	if (cl_write(fd, hdr, sizeof(hdr)) != 0)
		return -1;
	return len > 0 ? cl_write(fd, pl, len) : 0;
}

/* --- running a scenario against the loop --- */

static void *
client_thread(void *arg)
{
	struct world *w = arg;

	w->scenario(w);
	uv_async_send(&w->done);
	return NULL;
}

static void
on_done(uv_async_t *a)
{
	uv_stop(a->loop);
}

static void
on_safety(uv_timer_t *t)
{
	struct world *w = t->data;

	snprintf(w->failure, sizeof(w->failure), "the loop never heard back");
	uv_stop(t->loop);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char *cause = NULL;

	if (w == NULL)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "%s/ctl.XXXXXX",
	    getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 32 ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(w->dir) == NULL)
		return -1;
	snprintf(w->path, sizeof(w->path), "%s/control.sock", w->dir);
	if (uv_loop_init(&w->loop) != 0 ||
	    uv_async_init(&w->loop, &w->done, on_done) != 0 ||
	    uv_timer_init(&w->loop, &w->safety) != 0)
		return -1;
	w->safety.data = w;
	if (control_open(&w->loop, w->path, getgid(), handler, w, &w->ctl,
	    &cause) != 0) {
		fprintf(stderr, "control_open: %s\n", cause);
		free(cause);
		return -1;
	}
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	int r;

	control_close(w->ctl);
	uv_close((uv_handle_t *)&w->done, NULL);
	uv_close((uv_handle_t *)&w->safety, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	/* Every handle closed and freed: nothing left on the loop. */
	r = uv_loop_close(&w->loop);
	unlink(w->path);
	rmdir(w->dir);
	free(w);
	return r == 0 ? 0 : -1;
}

static void
run(struct world *w, void (*scenario)(struct world *))
{
	pthread_t t;

	w->scenario = scenario;
	w->failure[0] = '\0';
	assert_int_equal(uv_timer_start(&w->safety, on_safety, SAFETY_MS, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, client_thread, w), 0);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	assert_int_equal(pthread_join(t, NULL), 0);
	uv_timer_stop(&w->safety);
	if (w->failure[0] != '\0')
		fail_msg("%s", w->failure);
}

/* --- the tests --- */

static void
sc_pipelined(struct world *w)
{
	Homeward__Control__Response *r;
	int fd, results = 0, statuses = 0;

	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_send_status(fd) == 0 && cl_send_status(fd) == 0);
	while (results < 2 && (r = cl_response(fd)) != NULL) {
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT)
			results++;
		else if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_STATUS &&
		    statuses == results)
			statuses++;
		homeward__control__response__free_unpacked(r, NULL);
	}
	close(fd);
	CHECK(w, results == 2 && statuses == 2);
}

static void
test_request_answered(void **state)
{
	struct world *w = *state;

	run(w, sc_pipelined);
	assert_int_equal(w->handled, 2);
	assert_int_equal(w->uid, getuid());
	assert_int_equal(w->send_after_result, -EINVAL);
}

static void
test_socket_mode_and_group(void **state)
{
	struct world *w = *state;
	struct stat st;

	assert_int_equal(lstat(w->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getgid());
}

static void
sc_one_status(struct world *w)
{
	int fd;

	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_second_open_refused(void **state)
{
	struct world *w = *state;
	struct control *again = NULL;
	char *cause = NULL;

	assert_int_equal(control_open(&w->loop, w->path, (gid_t)-1, handler, w,
	    &again, &cause), -EADDRINUSE);
	assert_null(again);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "another homewardd is running on"));
	assert_non_null(strstr(cause, w->path));
	free(cause);
	/* The first one is untouched and still answers. */
	run(w, sc_one_status);
	assert_int_equal(w->handled, 1);
}

static void
test_stale_socket_replaced(void **state)
{
	struct world *w = *state;
	struct sockaddr_un sun;
	char *cause = NULL;
	int fd;

	/* A socket file nobody listens on, as a crashed daemon leaves it. */
	control_close(w->ctl);
	w->ctl = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", w->path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(access(w->path, F_OK), 0);

	assert_int_equal(control_open(&w->loop, w->path, (gid_t)-1, handler, w,
	    &w->ctl, &cause), 0);
	assert_null(cause);
	run(w, sc_one_status);
	assert_int_equal(w->handled, 1);
}

static void
test_not_a_socket_left_alone(void **state)
{
	struct world *w = *state;
	struct control *ctl = NULL;
	char *cause = NULL, path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plain", w->dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("keep me\n", f);
	fclose(f);
	assert_int_equal(control_open(&w->loop, path, (gid_t)-1, handler, w,
	    &ctl, &cause), -EEXIST);
	assert_null(ctl);
	assert_non_null(strstr(cause, "not a socket"));
	free(cause);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

static void
test_path_too_long(void **state)
{
	struct world *w = *state;
	struct control *ctl = NULL;
	char *cause = NULL, path[200];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(control_open(&w->loop, path, (gid_t)-1, handler, w,
	    &ctl, &cause), -ENAMETOOLONG);
	assert_null(ctl);
	assert_non_null(cause);
	free(cause);
}

static void
sc_oversize(struct world *w)
{
	uint8_t hdr[FRAME_HDR_LEN];
	int fd;

	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	be32_put(hdr, FRAME_CONTROL_MAX + 1);
	CHECK(w, cl_write(fd, hdr, sizeof(hdr)) == 0);
	CHECK(w, cl_eof(fd));
	close(fd);
	/* Only that client is gone. */
	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_oversize_frame_closes(void **state)
{
	struct world *w = *state;

	run(w, sc_oversize);
	assert_int_equal(w->handled, 1);
}

static void
sc_version(struct world *w)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	uint8_t buf[64];
	size_t n;
	int fd;

	/* What a newer homeward would send; control_request_encode would
	 * set version 1. */
	req.version = CONTROL_PROTOCOL_VERSION + 1;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	n = homeward__control__request__pack(&req, buf);
	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_send_raw(fd, buf, n) == 0);
	CHECK(w, cl_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_VERSION) == 0);
	/* The connection stays usable. */
	CHECK(w, cl_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_version_mismatch_answered(void **state)
{
	struct world *w = *state;

	run(w, sc_version);
	/* Only the good request reached the handler. */
	assert_int_equal(w->handled, 1);
}

static void
sc_garbage(struct world *w)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	static const uint8_t no_kind[] = { 0x08, 0x01 };        /* version 1 only */
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	uint8_t both[64], *enc;
	size_t enclen;
	int fd, r;

	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_send_raw(fd, junk, sizeof(junk)) == 0);
	CHECK(w, cl_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE) == 0);
	CHECK(w, cl_eof(fd));
	close(fd);

	/* A request that parses but asks for nothing, and a good one after it
	 * in the same write (so that the daemon cannot have closed between
	 * the two): the second is not read. */
	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	CHECK(w, control_request_encode(&req, &enc, &enclen) == 0);
	be32_put(both, sizeof(no_kind));
	memcpy(both + FRAME_HDR_LEN, no_kind, sizeof(no_kind));
	CHECK(w, enclen <= sizeof(both) - FRAME_HDR_LEN - sizeof(no_kind));
	memcpy(both + FRAME_HDR_LEN + sizeof(no_kind), enc, enclen);
	r = cl_write(fd, both, FRAME_HDR_LEN + sizeof(no_kind) + enclen);
	free(enc);
	CHECK(w, r == 0);
	CHECK(w, cl_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE) == 0);
	CHECK(w, cl_eof(fd));
	close(fd);
}

static void
test_garbage_answered_and_closed(void **state)
{
	struct world *w = *state;

	run(w, sc_garbage);
	assert_int_equal(w->handled, 0);
}

static void
sc_cap(struct world *w)
{
	int fds[CONTROL_MAX_PER_UID], extra, k;

	for (k = 0; k < CONTROL_MAX_PER_UID; k++)
		CHECK(w, (fds[k] = cl_connect(w->path)) >= 0);
	/* Accepted in order: the round trip on the last one proves all the
	 * earlier ones were accepted and counted. */
	CHECK(w, cl_status_roundtrip(fds[CONTROL_MAX_PER_UID - 1]) == 0);
	CHECK(w, (extra = cl_connect(w->path)) >= 0);
	CHECK(w, cl_eof(extra));
	close(extra);
	CHECK(w, cl_status_roundtrip(fds[0]) == 0);

	/* A closed connection frees its place.  The daemon sees the close
	 * before the next request on another connection, which was sent
	 * later. */
	close(fds[0]);
	CHECK(w, cl_status_roundtrip(fds[1]) == 0);
	CHECK(w, (fds[0] = cl_connect(w->path)) >= 0);
	CHECK(w, cl_status_roundtrip(fds[0]) == 0);
	for (k = 0; k < CONTROL_MAX_PER_UID; k++)
		close(fds[k]);
}

static void
test_per_uid_cap(void **state)
{
	struct world *w = *state;

	run(w, sc_cap);
	assert_int_equal(w->handled, 4);
}

static void
sc_vanish(struct world *w)
{
	uint8_t hdr[FRAME_HDR_LEN];
	int fd;

	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_send_level(fd, "big") == 0);
	/* The first bytes of an answer several megabytes long, then gone. */
	CHECK(w, cl_read(fd, hdr, sizeof(hdr)) == 0);
	CHECK(w, be32_get(hdr) > BIG_BODY);
	close(fd);
	/* The daemon carries on. */
	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_client_vanishes_mid_answer(void **state)
{
	struct world *w = *state;

	run(w, sc_vanish);
	assert_int_equal(w->handled, 2);
}

static void
sc_close_from_handler(struct world *w)
{
	int fd, other;

	CHECK(w, (other = cl_connect(w->path)) >= 0);
	CHECK(w, cl_status_roundtrip(other) == 0);
	CHECK(w, (fd = cl_connect(w->path)) >= 0);
	CHECK(w, cl_send_level(fd, "close") == 0);
	/* The answer queued before the close may be cancelled with the
	 * connection; either way both clients see the end. */
	cl_expect_result(fd, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK);
	CHECK(w, cl_eof(fd));
	CHECK(w, cl_eof(other));
	close(fd);
	close(other);
}

static void
test_close_with_clients(void **state)
{
	struct world *w = *state;

	run(w, sc_close_from_handler);
	assert_null(w->ctl);
	/* control_close removed the socket. */
	assert_int_equal(access(w->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_and_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_answered_and_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_uid_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_vanishes_mid_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_clients, setup, teardown),
	};

	/* Writing to a CLI that has gone raises SIGPIPE; homewardd ignores
	 * it, and so must this stand-in for it. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
