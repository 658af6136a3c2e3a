/*
 * homeward's side of the control socket: connect, send one Request, read
 * Responses until the Result that ends every answer (control.proto).  When
 * the daemon cannot be reached, or its answer is cut short, the error says
 * what to do next.  Blocking I/O: the CLI does one thing at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "proto/frame.h"

static int
connect_daemon(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CLI_ANSWER_TIMEOUT_S, 0 };
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		cli_warnx("socket path %s is too long (at most %zu bytes)", path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		cli_warn_errno(errno, "socket");
		return -1;
	}
	/* A daemon that never answers must not hang a script forever. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EACCES || e == EPERM)
		cli_warnx("cannot reach homewardd: socket %s: %s (only its user and "
		    "group may connect: is this account in that group?)", path,
		    strerror(e));
	else if (e == EAGAIN)
		cli_warnx("homewardd is busy: socket %s: %s (try again)", path,
		    strerror(e));
	else
		cli_warnx("is homewardd running? socket %s: %s (give another "
		    "socket with -s PATH or $%s)", path, strerror(e), CLI_SOCKET_ENV);
	return -1;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			cli_warn_errno(errno, "cannot send the request to homewardd");
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read until one frame is complete: 0 with the payload, -1 (reported). */
static int
read_frame(int fd, struct frame_reader *rd, uint8_t *buf, size_t bufsz,
    size_t *have, uint8_t **pl, size_t *plen)
{
	for (;;) {
		size_t used;
		ssize_t k;
		int r;

		if (*have > 0) {
			r = frame_reader_feed(rd, buf, *have, &used, pl, plen);
			if (r == -EMSGSIZE) {
				cli_warnx("homewardd sent a frame over the size cap");
				return -1;
			}
			if (r < 0) {
				cli_warn_errno(-r, "reading the answer");
				return -1;
			}
			memmove(buf, buf + used, *have - used);
			*have -= used;
			if (r == FRAME_READY)
				return 0;
		}
		k = recv(fd, buf, bufsz, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0) {
			cli_warnx("homewardd closed the connection before answering "
			    "(its log may say why)");
			return -1;
		}
		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				cli_warnx("no answer from homewardd within %d s",
				    CLI_ANSWER_TIMEOUT_S);
			else
				cli_warn_errno(errno, "reading the answer from homewardd");
			return -1;
		}
		*have = (size_t)k;
	}
}

static int
answer_add(struct cli_answer *ans, Homeward__Control__Response *r)
{
	Homeward__Control__Response **d;

	if (ans->n >= CLI_MAX_RESPONSES) {
		cli_warnx("homewardd sent more than %d records", CLI_MAX_RESPONSES);
		return -1;
	}
	if ((d = realloc(ans->data, (ans->n + 1) * sizeof(*d))) == NULL) {
		cli_warnx("out of memory");
		return -1;
	}
	ans->data = d;
	ans->data[ans->n++] = r;
	return 0;
}

int
cli_result_report(const struct cli_answer *ans)
{
	const Homeward__Control__Result *res = ans->last->result;

	if (res->code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK)
		return CLI_EXIT_OK;
	if (res->message != NULL && res->message[0] != '\0')
		cli_warnx("%s", res->message);
	else
		cli_warnx("homewardd refused the request (%s)",
		    control_result_name(res->code));
	return CLI_EXIT_FAIL;
}

int
cli_call_any(const struct cli_env *env, Homeward__Control__Request *req,
    struct cli_answer *ans)
{
	Homeward__Control__Response *r;
	struct frame_reader rd;
	uint8_t *buf = NULL, *enc = NULL, *pl;
	size_t enclen, have = 0, plen;
	int fd = -1, err, rc = CLI_EXIT_FAIL;

	memset(ans, 0, sizeof(*ans));
	frame_reader_init(&rd, FRAME_CONTROL_MAX);
	if ((err = control_request_encode(req, &enc, &enclen)) != 0) {
		if (err == -EMSGSIZE)
			cli_warnx("the request is too large for the control socket");
		else
			cli_warn_errno(-err, "cannot encode the request");
		goto out;
	}
	if ((buf = malloc(65536)) == NULL) {
		cli_warnx("out of memory");
		goto out;
	}
	if ((fd = connect_daemon(env->socket)) < 0 ||
	    write_all(fd, enc, enclen) != 0)
		goto out;
	for (;;) {
		if (read_frame(fd, &rd, buf, 65536, &have, &pl, &plen) != 0)
			goto out;
		r = control_response_decode(pl, plen, &err);
		free(pl);
		if (r == NULL) {
			if (err == -EPROTONOSUPPORT)
				cli_warnx("homewardd speaks another version of the "
				    "control protocol than this homeward (%d): use the "
				    "homeward installed with it", CONTROL_PROTOCOL_VERSION);
			else
				cli_warnx("homewardd sent a malformed answer");
			goto out;
		}
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT) {
			ans->last = r;
			rc = CLI_EXIT_OK;
			break;
		}
		if (answer_add(ans, r) != 0) {
			homeward__control__response__free_unpacked(r, NULL);
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	frame_reader_free(&rd);
	free(buf);
	free(enc);
	if (rc != CLI_EXIT_OK)
		cli_answer_free(ans);
	return rc;
}

int
cli_call(const struct cli_env *env, Homeward__Control__Request *req,
    struct cli_answer *ans)
{
	int rc;

	if ((rc = cli_call_any(env, req, ans)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_result_report(ans)) != CLI_EXIT_OK)
		cli_answer_free(ans);
	return rc;
}

void
cli_answer_free(struct cli_answer *ans)
{
	if (ans == NULL)
		return;
	for (size_t i = 0; i < ans->n; i++)
		homeward__control__response__free_unpacked(ans->data[i], NULL);
	free(ans->data);
	homeward__control__response__free_unpacked(ans->last, NULL);
	memset(ans, 0, sizeof(*ans));
}

const Homeward__Control__Response *
cli_answer_find(const struct cli_answer *ans,
    Homeward__Control__Response__KindCase kind)
{
	for (size_t i = 0; i < ans->n; i++)
		if (ans->data[i]->kind_case == kind)
			return ans->data[i];
	return NULL;
}
