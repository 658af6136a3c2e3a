/*
 * homeward's side of the control socket: connect, send one Request, read
 * Responses until the Result that ends every answer (control.proto).  When
 * the daemon cannot be reached, or its answer is cut short, the error says
 * what to do next.  Blocking I/O: the CLI does one thing at a time.
 * A request that changes something carries a random request id; when the
 * answer is lost it is sent once more with the same id (the daemon never
 * carries out one id twice), and when that fails too the command exits
 * CLI_EXIT_UNKNOWN: the operator checks the outbox before doing it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "common/i18n.h"
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
		cli_warnx(_("socket path %s is too long (at most %zu bytes)"), path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		cli_warn_errno(errno, _("socket"));
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
		cli_warnx(_("cannot reach homewardd: socket %s: %s (only its user and "
		    "group may connect: is this account in that group?)"), path,
		    strerror(e));
	else if (e == EAGAIN)
		cli_warnx(_("homewardd is busy: socket %s: %s (try again)"), path,
		    strerror(e));
	else
		cli_warnx(_("is homewardd running? socket %s: %s (give another "
		    "socket with -s PATH or $%s)"), path, strerror(e), CLI_SOCKET_ENV);
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
			cli_warn_errno(errno, _("cannot send the request to homewardd"));
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
				cli_warnx(_("homewardd sent a frame over the size cap"));
				return -1;
			}
			if (r < 0) {
				cli_warn_errno(-r, _("reading the answer"));
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
			cli_warnx(_("homewardd closed the connection before answering "
			    "(its log may say why)"));
			return -1;
		}
		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				cli_warnx(_("no answer from homewardd within %d s"),
				    CLI_ANSWER_TIMEOUT_S);
			else
				cli_warn_errno(errno, _("reading the answer from homewardd"));
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
		cli_warnx(_("homewardd sent more than %d records"), CLI_MAX_RESPONSES);
		return -1;
	}
	if ((d = realloc(ans->data, (ans->n + 1) * sizeof(*d))) == NULL) {
		cli_warnx(_("out of memory"));
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
		cli_warnx(_("homewardd refused the request (%s)"),
		    control_result_name(res->code));
	return CLI_EXIT_FAIL;
}

/* Requests that change something: each carries a request id, so that
 * the one retry after a lost answer commits nothing twice. */
static int
is_submission(Homeward__Control__Request__KindCase k)
{
	switch (k) {
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_IMPORT:
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_ACTION:
	case HOMEWARD__CONTROL__REQUEST__KIND_SEND:
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_OPEN:
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_CLOSE:
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_UPDATE:
	case HOMEWARD__CONTROL__REQUEST__KIND_CASE_OUTCOME:
	case HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_RECORD:
	case HOMEWARD__CONTROL__REQUEST__KIND_CONSENT_WITHDRAW:
	case HOMEWARD__CONTROL__REQUEST__KIND_STEP_SEND:
	case HOMEWARD__CONTROL__REQUEST__KIND_HELD_CANCEL:
	case HOMEWARD__CONTROL__REQUEST__KIND_APPROVE:
	case HOMEWARD__CONTROL__REQUEST__KIND_ALERT_ACK:
		return 1;
	default:
		return 0;
	}
}

/* The operator's language for the daemon's answers (control.proto
 * Request.language): LANGUAGE, else the locale of messages.  None when
 * the command prints JSON (cli_json_output, set by cli_getopt): JSON
 * output stays English whatever the language. */
int cli_json_output;

static char *
request_language(void)
{
	static const char *const vars[] = { "LANGUAGE", "LC_ALL",
	    "LC_MESSAGES", "LANG" };
	const char *v;

	if (cli_json_output)
		return (char *)"";
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0' &&
		    strlen(v) <= 128)
			return (char *)v;
	return (char *)"";
}

/* How one exchange ended, besides an answer. */
#define XCHG_UNSENT     (-1)    /* nothing reached the daemon (reported) */
#define XCHG_LOST       (-2)    /* sent; the answer was lost (reported) */
#define XCHG_BAD        (-3)    /* a malformed answer (reported) */

/* Connect, send the encoded request, read the answer: 0 with *ans, or one
 * of XCHG_*. */
static int
exchange(const struct cli_env *env, const uint8_t *enc, size_t enclen,
    uint8_t *buf, struct cli_answer *ans)
{
	Homeward__Control__Response *r;
	struct frame_reader rd;
	uint8_t *pl;
	size_t have = 0, plen;
	int fd, err, rc = XCHG_LOST;

	memset(ans, 0, sizeof(*ans));
	if ((fd = connect_daemon(env->socket)) < 0)
		return XCHG_UNSENT;
	frame_reader_init(&rd, FRAME_CONTROL_MAX);
	if (write_all(fd, enc, enclen) != 0)
		goto out;
	for (;;) {
		if (read_frame(fd, &rd, buf, 65536, &have, &pl, &plen) != 0)
			goto out;
		r = control_response_decode(pl, plen, &err);
		sodium_memzero(pl, plen);       /* answers carry documents */
		free(pl);
		rc = XCHG_BAD;
		if (r == NULL) {
			if (err == -EPROTONOSUPPORT)
				cli_warnx(_("homewardd speaks another version of the "
				    "control protocol than this homeward (%d): use the "
				    "homeward installed with it"), CONTROL_PROTOCOL_VERSION);
			else
				cli_warnx(_("homewardd sent a malformed answer"));
			goto out;
		}
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT) {
			ans->last = r;
			rc = 0;
			break;
		}
		if (answer_add(ans, r) != 0) {
			control_response_free(r);
			goto out;
		}
		rc = XCHG_LOST;
	}
out:
	close(fd);
	frame_reader_free(&rd);
	if (rc != 0)
		cli_answer_free(ans);
	return rc;
}

/* The daemon may be restarting (a supervisor brings it back): wait for
 * its socket a little before the one retry. */
static void
await_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	for (int i = 0; i < CLI_RETRY_WAIT_S * 10; i++) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(fd);
			return;
		}
		close(fd);
		usleep(100 * 1000);
	}
}

int
cli_call_any(const struct cli_env *env, Homeward__Control__Request *req,
    struct cli_answer *ans)
{
	uint8_t rid[16], *buf = NULL, *enc = NULL;
	size_t enclen = 0;
	int err, rc = CLI_EXIT_FAIL;

	memset(ans, 0, sizeof(*ans));
	req->language = request_language();
	if (is_submission(req->kind_case) && req->request_id.len == 0) {
		if (sodium_init() < 0) {
			cli_warnx(_("libsodium failed to initialise"));
			goto out;
		}
		randombytes_buf(rid, sizeof(rid));
		req->request_id.data = rid;
		req->request_id.len = sizeof(rid);
	}
	if ((err = control_request_encode(req, &enc, &enclen)) != 0) {
		if (err == -EMSGSIZE)
			cli_warnx(_("the request is too large for the control socket"));
		else
			cli_warn_errno(-err, _("cannot encode the request"));
		goto out;
	}
	if ((buf = malloc(65536)) == NULL) {
		cli_warnx(_("out of memory"));
		goto out;
	}
	err = exchange(env, enc, enclen, buf, ans);
	/* Sent with a request id, the same bytes again are safe: the daemon
	 * answers a request it carried out with what it did. */
	if (err == XCHG_LOST && req->request_id.len != 0) {
		cli_warnx(_("asking homewardd again whether it carried out the "
		    "request (request id kept: it is not done twice)"));
		await_socket(env->socket);
		err = exchange(env, enc, enclen, buf, ans);
		if (err == XCHG_UNSENT)
			err = XCHG_LOST;
	}
	if (err == 0)
		rc = CLI_EXIT_OK;
	else if (err == XCHG_LOST && req->request_id.len != 0) {
		cli_warnx(_("outcome unknown: homewardd may have carried out the "
		    "request before the connection was lost; check the outbox "
		    "(homeward outbox list) and held documents (homeward held) "
		    "before doing it again"));
		rc = CLI_EXIT_UNKNOWN;
	}
out:
	req->language = (char *)"";
	if (req->request_id.data == rid) {
		req->request_id.data = NULL;
		req->request_id.len = 0;
	}
	/* The request may carry a document, the read buffer parts of one. */
	if (buf != NULL)
		sodium_memzero(buf, 65536);
	if (enc != NULL)
		sodium_memzero(enc, enclen);
	free(buf);
	free(enc);
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
		control_response_free(ans->data[i]);
	free(ans->data);
	control_response_free(ans->last);
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
