/*
 * Unit tests: the control socket's edges (daemon/ctl/control.c) on a real
 * Unix socket in a mkdtemp directory (tests/lib/ctlworld.h): exactly one
 * Result per request; answers to a client of a control closed meanwhile
 * refused (-ENOTCONN), never queued; a request trickled in byte by byte
 * answered once whole; input behind a request that closed the control not
 * read; a CLI that stops reading mid-answer dropped while the daemon goes
 * on; and socket paths or a group the socket cannot have, refused with a
 * cause that says why and no socket left behind.
 */
#include <errno.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/ctl/control.h"
#include "proto/control.h"
#include "tests/lib/ctlworld.h"

#define CHECK(w, cond)  CTLWORLD_CHECK(w, cond)

/* rc[] slots the handler fills. */
enum { RC_SECOND_RESULT = 1, RC_SEND_CLOSED = 2, RC_RESULT_CLOSED = 3 };

static void
handler(struct control_client *c, uid_t uid, const Homeward__Control__Request *req,
    void *arg)
{
	struct ctlworld *w = arg;
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Status st = HOMEWARD__CONTROL__STATUS__INIT;
	const char *level;

	w->handled++;
	w->uid = uid;
	if (req->kind_case == HOMEWARD__CONTROL__REQUEST__KIND_STATUS) {
		ctlworld_answer_status(w, c);
		return;
	}
	level = req->kind_case == HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL ?
	    req->log_level->level : "";
	if (strcmp(level, "twice") == 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "one");
		w->rc[RC_SECOND_RESULT] = control_result(c,
		    HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "two");
		return;
	}
	if (strcmp(level, "shut") == 0) {
		/* The control closed while this request is being answered. */
		control_close(w->ctl);
		w->ctl = NULL;
		st.agency_id = "alpha";
		resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
		resp.status = &st;
		w->rc[RC_SEND_CLOSED] = control_send(c, &resp);
		w->rc[RC_RESULT_CLOSED] = control_result(c,
		    HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "late");
		return;
	}
	if (strcmp(level, "close") == 0) {
		control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK, "bye");
		control_close(w->ctl);
		w->ctl = NULL;
		return;
	}
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE, "level?");
}

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
	return ctlworld_free(*state);
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
sc_twice(struct ctlworld *w)
{
	Homeward__Control__Response *r;
	int fd, ok;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_level(fd, "twice") == 0);
	CHECK(w, (r = ctlworld_response(fd)) != NULL);
	ok = r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT &&
	    strcmp(r->result->message, "one") == 0;
	control_response_free(r);
	CHECK(w, ok);
	/* The next frame answers the next request: no "two" in between. */
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_one_result_per_request(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_twice);
	assert_int_equal(w->rc[RC_SECOND_RESULT], -EINVAL);
	assert_int_equal(w->handled, 2);
}

static void
sc_shut(struct ctlworld *w)
{
	int fd;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_send_level(fd, "shut") == 0);
	/* Nothing comes: the connection just ends. */
	CHECK(w, ctlworld_eof(fd));
	close(fd);
}

static void
test_answer_after_close_refused(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_shut);
	assert_null(w->ctl);
	assert_int_equal(w->rc[RC_SEND_CLOSED], -ENOTCONN);
	assert_int_equal(w->rc[RC_RESULT_CLOSED], -ENOTCONN);
	assert_int_equal(access(w->path, F_OK), -1);
}

static void
sc_trickle(struct ctlworld *w)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	uint8_t *buf;
	size_t len, i;
	int fd;

	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	CHECK(w, control_request_encode(&req, &buf, &len) == 0);
	if ((fd = ctlworld_connect(w->path)) < 0)
		free(buf);
	CHECK(w, fd >= 0);
	/* One byte at a time, each given the time to arrive alone. */
	for (i = 0; i < len && ctlworld_write(fd, buf + i, 1) == 0; i++)
		nanosleep(&pause, NULL);
	free(buf);
	CHECK(w, i == len);
	CHECK(w, ctlworld_expect_status(fd) == 0);
	close(fd);
}

static void
test_trickled_request_answered(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_trickle);
	assert_int_equal(w->handled, 1);
}

static void
sc_close_then_more(struct ctlworld *w)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__SetLogLevel ll = HOMEWARD__CONTROL__SET_LOG_LEVEL__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	uint8_t *a = NULL, *b = NULL, both[256];
	size_t alen = 0, blen = 0;
	int fd, ok;

	ll.level = "close";
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL;
	req.log_level = &ll;
	ok = control_request_encode(&req, &a, &alen) == 0;
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	ok = ok && control_request_encode(&req, &b, &blen) == 0 &&
	    alen + blen <= sizeof(both);
	if (ok) {
		memcpy(both, a, alen);
		memcpy(both + alen, b, blen);
	}
	free(a);
	free(b);
	CHECK(w, ok);
	/* Both in one write: the second is in the buffer the daemon holds
	 * when the first closes the control. */
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_write(fd, both, alen + blen) == 0);
	/* "bye" may be cancelled with the connection; the end is certain. */
	ctlworld_expect_result(fd, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK);
	CHECK(w, ctlworld_eof(fd));
	close(fd);
}

static void
test_input_after_close_not_read(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_close_then_more);
	assert_null(w->ctl);
	assert_int_equal(w->handled, 1);
}

static void
sc_stops_reading(struct ctlworld *w)
{
	struct pollfd pfd;
	int fd;

	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	/* A CLI still connected that will read nothing more: its reading
	 * end shut, the daemon's answer cannot be written. */
	CHECK(w, shutdown(fd, SHUT_RD) == 0);
	CHECK(w, ctlworld_send_status(fd) == 0);
	pfd.fd = fd;
	pfd.events = 0;
	pfd.revents = 0;
	CHECK(w, poll(&pfd, 1, CTLWORLD_TIMEOUT_S * 1000) == 1);
	CHECK(w, (pfd.revents & POLLHUP) != 0);
	close(fd);
	/* The daemon dropped that client and carries on. */
	CHECK(w, (fd = ctlworld_connect(w->path)) >= 0);
	CHECK(w, ctlworld_status_roundtrip(fd) == 0);
	close(fd);
}

static void
test_client_stops_reading(void **state)
{
	struct ctlworld *w = *state;

	run(w, sc_stops_reading);
	assert_int_equal(w->handled, 2);
}

static void
test_paths_refused(void **state)
{
	struct ctlworld *w = *state;
	struct control *ctl = (struct control *)1;
	char *cause = NULL, file[128], path[160];
	FILE *f;

	/* A parent that is a file: the check itself fails, and says so. */
	snprintf(file, sizeof(file), "%s/plain", w->dir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/control.sock", file);
	assert_int_equal(control_open(&w->loop, path, (gid_t)-1, handler, w, &ctl,
	    &cause), -ENOTDIR);
	assert_null(ctl);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "cannot check"));
	assert_non_null(strstr(cause, path));
	free(cause);
	unlink(file);
	/* A directory that does not exist: nothing answers, binding fails. */
	snprintf(path, sizeof(path), "%s/missing/control.sock", w->dir);
	assert_int_equal(control_open(&w->loop, path, (gid_t)-1, handler, w, &ctl,
	    &cause), -ENOENT);
	assert_non_null(strstr(cause, "cannot bind"));
	free(cause);
	/* An empty path, and a caller that wants no cause. */
	assert_int_equal(control_open(&w->loop, "", (gid_t)-1, handler, w, &ctl,
	    &cause), -ENAMETOOLONG);
	assert_non_null(strstr(cause, "empty"));
	free(cause);
	assert_int_equal(control_open(&w->loop, NULL, (gid_t)-1, handler, w, &ctl,
	    NULL), -ENAMETOOLONG);
	assert_null(ctl);
	/* The first control still answers. */
	run(w, sc_one_status);
	assert_int_equal(w->handled, 1);
}

/* In a child that may not give a file to group 0 (root drops to nobody):
 * 0 when control_open refused and left no socket, else the failing line. */
static int
group_refused(const char *dir)
{
	uv_loop_t loop;
	struct control *ctl = NULL;
	char path[128], *cause = NULL;

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return __LINE__;
	if (uv_loop_init(&loop) != 0)
		return __LINE__;
	snprintf(path, sizeof(path), "%.100s/group.sock", dir);
	if (control_open(&loop, path, 0, handler, NULL, &ctl, &cause) != -EPERM ||
	    ctl != NULL)
		return __LINE__;
	if (cause == NULL || strstr(cause, "cannot give") == NULL ||
	    strstr(cause, "to group 0") == NULL)
		return __LINE__;
	free(cause);
	if (access(path, F_OK) == 0)
		return __LINE__;
	return uv_loop_close(&loop) == 0 ? 0 : __LINE__;
}

static void
test_group_refused(void **state)
{
	struct ctlworld *w = *state;
	char dir[128];
	pid_t pid;
	int status;

	if (geteuid() != 0 && getegid() == 0)
		skip();         /* a member of group 0 may give it */
	snprintf(dir, sizeof(dir), "%.100s/open", w->dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(chmod(w->dir, 0755), 0);
	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		exit(group_refused(dir));       /* exit, not _exit: gcov counts */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("the check at line %d failed", WEXITSTATUS(status));
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_result_per_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_after_close_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trickled_request_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_after_close_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_stops_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_refused, setup, teardown),
	};

	/* Writing to a CLI that has gone raises SIGPIPE; homewardd ignores
	 * it, and so must this stand-in for it. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
