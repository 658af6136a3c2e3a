/*
 * A blocking control-socket client for tools and benchmarks (see
 * ctlclient.h).  Plain send and recv on a Unix socket: the reading buffer
 * lives in the client so that answers that arrive together are taken one
 * at a time, and a caller polling many connections can see them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/lib/ctlclient.h"

#define R_OK_CODE       HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK

int
ctlclient_open(struct ctlclient *c, const char *path)
{
	struct sockaddr_un sun;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->result = R_OK_CODE;
	frame_reader_init(&c->rd, FRAME_CONTROL_MAX);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return rc;
}

void
ctlclient_close(struct ctlclient *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	frame_reader_free(&c->rd);
	frame_reader_init(&c->rd, FRAME_CONTROL_MAX);
	c->have = c->off = 0;
}

int
ctlclient_request(struct ctlclient *c, Homeward__Control__Request *req)
{
	uint8_t *enc, *p;
	size_t len;
	int rc;

	if ((rc = control_request_encode(req, &enc, &len)) != 0)
		return rc;
	for (p = enc; len > 0; ) {
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k == 0 ? -ECONNRESET : -errno;
			break;
		}
		p += k;
		len -= (size_t)k;
	}
	free(enc);
	return rc;
}

int
ctlclient_response(struct ctlclient *c, Homeward__Control__Response **out)
{
	uint8_t *pl;
	size_t used, plen;
	ssize_t k;
	int r, err;

	*out = NULL;
	for (;;) {
		if (c->off < c->have) {
			r = frame_reader_feed(&c->rd, c->buf + c->off,
			    c->have - c->off, &used, &pl, &plen);
			if (r < 0)
				return r;
			c->off += used;
			if (r == FRAME_READY) {
				*out = control_response_decode(pl, plen, &err);
				free(pl);
				return *out != NULL ? 0 : err;
			}
			continue;
		}
		k = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k == 0 ? -ECONNRESET : -errno;
		c->have = (size_t)k;
		c->off = 0;
	}
}

/* Keep what the daemon said in the Result that ended an answer. */
static int
take_result(struct ctlclient *c, const Homeward__Control__Result *res)
{
	c->result = res->code;
	snprintf(c->message, sizeof(c->message), "%s",
	    res->message != NULL ? res->message : "");
	return res->code == R_OK_CODE ? 0 : -EPROTO;
}

int
ctlclient_answer(struct ctlclient *c,
    void (*cb)(const Homeward__Control__Response *, void *), void *arg)
{
	Homeward__Control__Response *r;
	int rc;

	for (;;) {
		if ((rc = ctlclient_response(c, &r)) != 0)
			return rc;
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT) {
			rc = take_result(c, r->result);
			control_response_free(r);
			return rc;
		}
		if (cb != NULL)
			cb(r, arg);
		control_response_free(r);
	}
}

int
ctlclient_call(struct ctlclient *c, Homeward__Control__Request *req,
    void (*cb)(const Homeward__Control__Response *, void *), void *arg)
{
	int rc;

	if ((rc = ctlclient_request(c, req)) != 0)
		return rc;
	return ctlclient_answer(c, cb, arg);
}

int
ctlclient_buffered(const struct ctlclient *c)
{
	return c->off < c->have;
}

struct status_seen {
	struct ctlclient_status        *out;
	int                             seen;
};

static void
status_cb(const Homeward__Control__Response *r, void *arg)
{
	struct status_seen *s = arg;

	if (r->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_STATUS)
		return;
	s->out->outbox_unacked = r->status->outbox_unacked;
	s->out->inbox_total = r->status->inbox_total;
	s->out->peers_total = r->status->peers_total;
	s->out->peers_connected = r->status->peers_connected;
	s->seen = 1;
}

int
ctlclient_status(struct ctlclient *c, struct ctlclient_status *out)
{
	Homeward__Control__Request req = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest sr = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	struct status_seen s = { out, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	req.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	req.status = &sr;
	if ((rc = ctlclient_call(c, &req, status_cb, &s)) != 0)
		return rc;
	return s.seen ? 0 : -EPROTO;
}

const char *
ctlclient_strerror(struct ctlclient *c, int rc)
{
	if (rc == -EPROTO && c->result != R_OK_CODE)
		snprintf(c->why, sizeof(c->why), "daemon answered %s: %s",
		    control_result_name(c->result), c->message);
	else
		snprintf(c->why, sizeof(c->why), "%s", strerror(-rc));
	return c->why;
}
