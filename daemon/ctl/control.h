/*
 * The control socket: a Unix socket the operator's CLI talks to with
 * control.proto (proto/control.proto) over the shared framing
 * (FRAME_CONTROL_MAX).  Refuses to start if a live daemon answers on the
 * path, removes a stale socket, binds under a umask then sets mode 0660,
 * learns each client's uid with SO_PEERCRED and caps connections per uid.
 * A client that sends without reading its answers is read no further once
 * 1 MiB of answers waits for it, and closed when that lasts 10 s.
 * Requests are handed to the owner's handler one at a time per client; the
 * handler answers with control_send (data) and finishes with exactly one
 * control_result.  The process must ignore SIGPIPE: libuv writes to a CLI
 * that may have gone.
 */
#ifndef HOMEWARD_DAEMON_CONTROL_H
#define HOMEWARD_DAEMON_CONTROL_H

#include <sys/types.h>

#include <uv.h>

#include "proto/control.pb-c.h"

#define CONTROL_MAX_PER_UID     16

struct control;
struct control_client;

/* Called once per decoded request (version already checked: a mismatch
 * is answered RESULT_VERSION without calling it).  req is freed after the
 * handler returns, so the handler must finish (control_result) before
 * returning or copy what it needs. */
typedef void (*control_handler)(struct control_client *, uid_t uid,
    const Homeward__Control__Request *req, void *arg);

/* Whether uid may use the socket at all, asked once per connection: 0
 * yes; otherwise why not in why (for the operator: what to do), and the
 * connection's first request is answered RESULT_DENIED with it, its other
 * input never read, and it is closed. */
typedef int (*control_admit)(uid_t uid, void *arg, char *why, size_t whylen);

/* 0 or a negative errno with *cause (malloc'ed) saying what failed, e.g.
 * "another homewardd is running on PATH". */
int control_open(uv_loop_t *, const char *path, gid_t group, control_handler,
    void *arg, struct control **out, char **cause);
/* Ask admit (with control_open's arg) at each accept; NULL admits all. */
void control_set_admit(struct control *, control_admit);
/* Close the listener and every client, unlink the socket. */
void control_close(struct control *);           /* NULL ok */

/* A data response (version set here); 0 or a negative errno. */
int control_send(struct control_client *, Homeward__Control__Response *);
/* The final response of a request. */
int control_result(struct control_client *, Homeward__Control__ResultCode code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
