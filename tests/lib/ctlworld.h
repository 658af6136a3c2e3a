/*
 * A control socket (daemon/ctl/control.c) for its unit tests: opened on a
 * libuv loop in the calling thread at a socket in a mkdtemp directory,
 * and a client thread that plays the CLI with blocking sockets (each
 * receive under a timeout, a safety net against hangs) and wakes the loop
 * when its scenario is over.  What the client thread finds wrong is kept
 * in w->failure for the test to assert in its own thread.  Nothing here
 * uses cmocka, so any test binary may link it.
 */
#ifndef HOMEWARD_TESTS_CTLWORLD_H
#define HOMEWARD_TESTS_CTLWORLD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <uv.h>

#include "daemon/ctl/control.h"

#define CTLWORLD_SAFETY_MS      30000   /* the loop gives up (a failure) after this */
#define CTLWORLD_TIMEOUT_S      10      /* on every blocking receive */

struct ctlworld {
	uv_loop_t               loop;
	uv_async_t              done;
	uv_timer_t              safety;
	char                    dir[64];
	char                    path[96];       /* dir/control.sock */
	struct control         *ctl;           /* NULL once a test closed it */
	void                  (*scenario)(struct ctlworld *);
	/* the handler's, written in the loop thread, read after the run */
	int                     handled;
	uid_t                   uid;
	int                     rc[4];          /* return codes a handler records */
	/* the client thread's, read after the run */
	char                    failure[256];
};

/* In the client thread: record the first failure and end the scenario. */
#define CTLWORLD_CHECK(w, cond) do {                                    \
	if (!(cond)) {                                                  \
		if ((w)->failure[0] == '\0')                            \
			snprintf((w)->failure, sizeof((w)->failure),    \
			    "line %d: %s (errno %d)", __LINE__, #cond, errno); \
		return;                                                 \
	}                                                               \
} while (0)

/* A world whose control (at w->path, group getgid()) calls handler with
 * the world as its argument; NULL on failure (said on stderr). */
struct ctlworld *ctlworld_new(control_handler handler);
/* Close the control and every handle, run the loop dry, remove the
 * directory: 0 when nothing was left on the loop. */
int ctlworld_free(struct ctlworld *);
/* Run scenario in a client thread against the loop: 0, or -1 with
 * w->failure saying what went wrong. */
int ctlworld_run(struct ctlworld *, void (*scenario)(struct ctlworld *));

/* What the tests' handlers answer to a status request, as a tiny daemon
 * would: a Status (agency "alpha", 3 peers) then Result OK "fine 42";
 * then one more control_send, refused, whose code goes to w->rc[0]. */
void ctlworld_answer_status(struct ctlworld *, struct control_client *);

/* --- the client's side: blocking sockets, as the CLI --- */

int ctlworld_connect(const char *path);                 /* fd or -1 */
int ctlworld_write(int fd, const uint8_t *p, size_t n); /* 0 or -1 */
/* Exactly n bytes: 0, 1 on EOF at the start, -1 otherwise. */
int ctlworld_read(int fd, uint8_t *p, size_t n);
/* The daemon closed the connection (EOF, or a reset when it had unread
 * input from us). */
int ctlworld_eof(int fd);
/* A request framed as the CLI frames it. */
int ctlworld_send_status(int fd);
int ctlworld_send_level(int fd, const char *level);
/* A payload framed as given (for what the encoder would refuse). */
int ctlworld_send_raw(int fd, const uint8_t *pl, size_t len);
/* The next response, decoded; NULL on EOF or error. */
Homeward__Control__Response *ctlworld_response(int fd);
/* The next response is a Result with this code: 0 or -1. */
int ctlworld_expect_result(int fd, Homeward__Control__ResultCode code);
/* The answer of ctlworld_answer_status to a status request already sent:
 * 0 or -1.  ctlworld_status_roundtrip sends the request first. */
int ctlworld_expect_status(int fd);
int ctlworld_status_roundtrip(int fd);

#endif
