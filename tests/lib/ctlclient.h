/*
 * A blocking client of homewardd's control socket for tools and
 * benchmarks, speaking as the CLI does (proto/control.h): connect to the
 * Unix socket, send a Request, read the Responses of its answer up to the
 * Result that ends it.  One request at a time per connection; a caller
 * that wants several in flight opens several connections and polls their
 * fds, asking ctlclient_buffered first whether a poll is needed at all.
 *
 * No timeouts: the callers are driven by a script that stops the daemons,
 * and cli/client.c is what people use.  Functions return 0 or a negative
 * errno: -ECONNRESET when the daemon closed, -EPROTO when it answered with
 * a Result other than OK (kept in the client: ctlclient_strerror says
 * which), or what proto/frame.h and proto/control.h return.
 */
#ifndef HOMEWARD_TESTS_CTLCLIENT_H
#define HOMEWARD_TESTS_CTLCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/frame.h"

struct ctlclient {
	int                     fd;             /* -1: not connected */
	struct frame_reader     rd;
	uint8_t                 buf[65536];     /* received, not yet framed */
	size_t                  have, off;
	Homeward__Control__ResultCode result;   /* of the last answer */
	char                    message[256];   /* its message, cut short */
	char                    why[320];       /* ctlclient_strerror's text */
};

/* The counters of a Status answer a driver waits on. */
struct ctlclient_status {
	uint64_t        outbox_unacked, inbox_total;
	uint32_t        peers_total, peers_connected;
};

/* Connect to the socket at path.  On any return c can be given to
 * ctlclient_close. */
int ctlclient_open(struct ctlclient *c, const char *path);
void ctlclient_close(struct ctlclient *c);     /* NULL ok; idempotent */

/* Send one request (the version is set by the encoder). */
int ctlclient_request(struct ctlclient *c, Homeward__Control__Request *req);
/* The next Response, reading (blocking) until one is complete; free it
 * with homeward__control__response__free_unpacked(r, NULL). */
int ctlclient_response(struct ctlclient *c, Homeward__Control__Response **out);
/* Read an answer to its Result: each data Response goes to cb, which must
 * not keep it (cb may be NULL).  0 when the Result is RESULT_OK. */
int ctlclient_answer(struct ctlclient *c,
    void (*cb)(const Homeward__Control__Response *, void *), void *arg);
/* ctlclient_request, then ctlclient_answer. */
int ctlclient_call(struct ctlclient *c, Homeward__Control__Request *req,
    void (*cb)(const Homeward__Control__Response *, void *), void *arg);

/* Whether received bytes wait to be read: the fd may not poll readable
 * although the next answer (or part of it) is already here. */
int ctlclient_buffered(const struct ctlclient *c);

/* A StatusRequest and the counters of its Status; -EPROTO when the answer
 * held none. */
int ctlclient_status(struct ctlclient *c, struct ctlclient_status *out);

/* What rc (from a call on c) means: the daemon's Result and message for
 * -EPROTO, strerror otherwise.  Valid until the next call on c. */
const char *ctlclient_strerror(struct ctlclient *c, int rc);

#endif
