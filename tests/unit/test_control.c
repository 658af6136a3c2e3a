/*
 * Unit tests: the daemon's control socket (daemon/ctl/control.c) on a real
 * Unix socket in a mkdtemp directory (tests/lib/ctlworld.h: the libuv
 * loop in the test's main thread, a client thread playing the CLI).
 * Checked here: answers, the socket's mode, a live daemon and a stale
 * socket on the path, a plain file on it, frames over the cap, version
 * mismatches, garbage, the per-uid cap, a client vanishing mid-answer and
 * closing from a handler.  test_control_edges.c has the rest.
 */
#include <errno.h>
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
#include "tests/lib/ctlworld.h"

#define BIG_FRAMES      8               /* answers far larger than a socket buffer */
#define BIG_BODY        ENV1_MAX_INLINE

/* --- the handler: answers like a tiny daemon --- */

static void
handler(struct control_client *c, uid_t uid, const Homeward__Control__Request *req,
    void *arg)
{
	struct ctlworld *w = arg;
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__MessageInfo mi = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;
	const char *level;
	uint8_t *body;

	w->handled++;
	w->uid = uid;
	if (req->kind_case == HOMEWARD__CONTROL__REQUEST__KIND_STATUS) {
		ctlworld_answer_status(w, c);
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

/* A failure of the client thread, failed in the test's. */
#define CHECK(w, cond)  CTLWORLD_CHECK(w, cond)

static void
run(struct ctlworld *w, void (*scenario)(struct ctlworld *))
{
	if (ctlworld_run(w, scenario) != 0)
		fail_msg("%s", w->failure);
}

static int
setup(void **state)
{
	return (*state = ctlworld_new(handler)) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	/* Every handle closed and freed: nothing left on the loop. */
	return ctlworld_free(*state);
}

/* --- the tests --- */

static void
sc_pipelined(struct ctlworld *w)
{
	Homeward__Control__Response *r;
	int fd, results = 0, statuses = 0;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_status(fd) == 0 && ctlworld_send_status(fd) == 0);
	while (results < 2 && (r = ctlworld_response(fd)) != NULL) {
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT)
			results++;
		else if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_STATUS &&
		    statuses == results)
			statuses++;
		control_response_free(r);
	}
	close(fd);
	CHECK(w, results == 2 && statuses == 2);
}

static void
test_request_answered(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_pipelined);
	assert_int_equal(w->handled, 2);
	assert_int_equal(w->uid, getuid());
	assert_int_equal(w->rc[0], -EINVAL);
}

static void
test_socket_mode_and_group(void **state)
{
	struct ctlworld *w = *state;
	struct stat st;

	assert_int_equal(lstat(w->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getgid());
}

static void
sc_one_status(struct ctlworld *w)
{
	int fd;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_second_open_refused(void **state)
{
	struct ctlworld *w = *state;
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
	struct ctlworld *w = *state;
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
	struct ctlworld *w = *state;
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
	struct ctlworld *w = *state;
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
sc_oversize(struct ctlworld *w)
{
	uint8_t hdr[FRAME_HDR_LEN];
	int fd;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	be32_put(hdr, FRAME_CONTROL_MAX + 1);
	CHECK(w, ctlworld_write(fd, hdr, sizeof(hdr)) == 0);
	CHECK(w, ctlworld_eof(fd));
	close(fd);
	/* Only that client is gone. */
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_oversize_frame_closes(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_oversize);
	assert_int_equal(w->handled, 1);
}

static void
sc_version(struct ctlworld *w)
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
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_raw(fd, buf, n) == 0);
	CHECK(w, ctlworld_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_VERSION) == 0);
	/* The connection stays usable. */
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_version_mismatch_answered(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_version);
	/* Only the good request reached the handler. */
	assert_int_equal(w->handled, 1);
}

static void
sc_garbage(struct ctlworld *w)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	static const uint8_t no_kind[] = { 0x08, 0x01 };        /* version 1 only */
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	uint8_t both[64], *enc;
	size_t enclen;
	int fd, r;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_raw(fd, junk, sizeof(junk)) == 0);
	CHECK(w, ctlworld_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE) == 0);
	CHECK(w, ctlworld_eof(fd));
	close(fd);

	/* A request that parses but asks for nothing, and a good one after it
	 * in the same write (so that the daemon cannot have closed between
	 * the two): the second is not read. */
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	CHECK(w, control_request_encode(&req, &enc, &enclen) == 0);
	be32_put(both, sizeof(no_kind));
	memcpy(both + FRAME_HDR_LEN, no_kind, sizeof(no_kind));
	CHECK(w, enclen <= sizeof(both) - FRAME_HDR_LEN - sizeof(no_kind));
	memcpy(both + FRAME_HDR_LEN + sizeof(no_kind), enc, enclen);
	r = ctlworld_write(fd, both, FRAME_HDR_LEN + sizeof(no_kind) + enclen);
	free(enc);
	CHECK(w, r == 0);
	CHECK(w, ctlworld_expect_result(fd,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE) == 0);
	CHECK(w, ctlworld_eof(fd));
	close(fd);
}

static void
test_garbage_answered_and_closed(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_garbage);
	assert_int_equal(w->handled, 0);
}

static void
sc_cap(struct ctlworld *w)
{
	int fds[CONTROL_MAX_PER_UID], extra, k;

	for (k = 0; k < CONTROL_MAX_PER_UID; k++)
		CHECK(w, (fds[k] = ctlworld_connect(w->path)) >= 0);
	/* Accepted in order: the round trip on the last one proves all the
	 * earlier ones were accepted and counted. */
	CHECK(w, ctlworld_status_roundtrip(fds[CONTROL_MAX_PER_UID - 1]) == 0);
	CHECK(w, (extra = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_eof(extra));
	close(extra);
	CHECK(w, ctlworld_status_roundtrip(fds[0]) == 0);

	/* A closed connection frees its place.  The daemon sees the close
	 * before the next request on another connection, which was sent
	 * later. */
	close(fds[0]);
	CHECK(w, ctlworld_status_roundtrip(fds[1]) == 0);
	CHECK(w, (fds[0] = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(fds[0]) == 0);
	for (k = 0; k < CONTROL_MAX_PER_UID; k++)
		close(fds[k]);
}

static void
test_per_uid_cap(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_cap);
	assert_int_equal(w->handled, 4);
}

static void
sc_vanish(struct ctlworld *w)
{
	uint8_t hdr[FRAME_HDR_LEN];
	int fd;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_level(fd, "big") == 0);
	/* The first bytes of an answer several megabytes long, then gone. */
	CHECK(w, ctlworld_read(fd, hdr, sizeof(hdr)) == 0);
	CHECK(w, be32_get(hdr) > BIG_BODY);
	close(fd);
	/* The daemon carries on. */
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_client_vanishes_mid_answer(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_vanish);
	assert_int_equal(w->handled, 2);
}

static void
sc_close_from_handler(struct ctlworld *w)
{
	int fd, other;

	CHECK(w, (other = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(other) == 0);
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_level(fd, "close") == 0);
	/* The answer queued before the close may be cancelled with the
	 * connection; either way both clients see the end. */
	ctlworld_expect_result(fd, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK);
	CHECK(w, ctlworld_eof(fd));
	CHECK(w, ctlworld_eof(other));
	close(fd);
	close(other);
}

static void
test_close_with_clients(void **state)
{
	struct ctlworld *w = *state;

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
