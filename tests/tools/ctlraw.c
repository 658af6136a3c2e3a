/*
 * ctlraw: a helper program for tests/integration/rawctl.sh (not a test
 * itself).  It speaks homewardd's control protocol (proto/control.proto)
 * without the CLI's checks in front, so that a script can assert the
 * daemon's own refusals of requests the CLI never sends:
 *
 *   ctlraw SOCKET JSON [--extra HEX] [--fill FIELD.PATH=N]
 *       send one Request given as JSON (common/docjson.h: field names as
 *       in the .proto, a oneof member by its field name, enums by name,
 *       bytes as hex, times as RFC 3339 or ms); JSON may be @FILE.  The
 *       version is CONTROL_PROTOCOL_VERSION unless the JSON names one
 *       ("version": 0 or 2 is sent as it is).  --extra appends raw bytes
 *       (hex) to the encoded Request, e.g. a field of a newer kind;
 *       --fill sets the bytes field at FIELD.PATH (say
 *       step_send.document) to N zero bytes, beyond what JSON may hold.
 *       Prints each data Response as one line of JSON (without its
 *       version), then "result CODE_NAME: message" (RESULT_OK, ...).
 *       Exit 0 when the result is RESULT_OK, 1 for any other result or
 *       when the daemon closed without one ("closed: ..."), 2 on a local
 *       failure.
 *
 *   ctlraw flood SOCKET N WAIT
 *       send N Status requests on one connection without ever reading an
 *       answer (blocking writes), then wait up to WAIT seconds, still not
 *       reading, for the daemon to close the connection.  Prints "sent K
 *       of N", then "closed after MS ms" or "open after WAIT s".  Exit 0
 *       when the daemon closed it, 1 when it was still open.
 *
 *   ctlraw encode TYPE JSON [FILE]
 *       a referral message (proto/referral.proto) from JSON, as hex on
 *       stdout, or its raw bytes written to FILE: TYPE is scope
 *       (ConsentScope), profile, header (CaseHeader), safety
 *       (SafetyException) or a document's msg_type (1-7, 0x101, 0x102).
 *       For the bodies of StepSend and ConsentRecord, and for the
 *       documents wirepoke's doc mode seals.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/docjson.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "proto/control.h"
#include "proto/frame.h"
#include "proto/refcat.h"
#include "tests/lib/ctlclient.h"

#define JSON_FILE_MAX   (4u << 20)

static void die(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ctlraw: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: ctlraw SOCKET JSON|@FILE [--extra HEX] "
	    "[--fill FIELD.PATH=N]\n"
	    "       ctlraw flood SOCKET N WAIT\n"
	    "       ctlraw encode scope|profile|header|safety|MSG_TYPE "
	    "JSON|@FILE [FILE]\n");
	exit(2);
}

/* The JSON argument, or the file it names after '@'. */
static json_t *
load_json(const char *arg)
{
	json_error_t    e;
	json_t         *j;
	uint8_t        *buf = NULL;
	size_t          len;
	int             rc;

	if (arg[0] == '@') {
		if ((rc = fileio_read(arg + 1, JSON_FILE_MAX, 0, &buf, &len)) != 0)
			die("%s: %s", arg + 1, strerror(-rc));
		j = json_loadb((const char *)buf, len, 0, &e);
		free(buf);
	} else {
		j = json_loads(arg, 0, &e);
	}
	if (j == NULL || !json_is_object(j))
		die("not a JSON object: %s", j == NULL ? e.text : "(another value)");
	return j;
}

static ProtobufCMessage *
from_json(const json_t *j, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m;
	char err[512];

	if (docjson_to_pb(j, d, &m, err, sizeof(err)) != 0)
		die("%s: %s", d->name, err);
	return m;
}

/* --- encode ------------------------------------------------------------------ */

static const ProtobufCMessageDescriptor *
referral_type(const char *name)
{
	static const struct {
		const char                              *name;
		const ProtobufCMessageDescriptor        *d;
	} named[] = {
		{ "scope", &homeward__referral__consent_scope__descriptor },
		{ "profile", &homeward__referral__profile__descriptor },
		{ "header", &homeward__referral__case_header__descriptor },
		{ "safety", &homeward__referral__safety_exception__descriptor },
	};
	const ProtobufCMessageDescriptor *d;
	unsigned long t;
	char *end;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(name, named[i].name) == 0)
			return named[i].d;
	errno = 0;
	t = strtoul(name, &end, 0);
	if (errno != 0 || *end != '\0' || t > UINT16_MAX ||
	    (d = refcat_descriptor((uint16_t)t)) == NULL)
		die("%s: not scope, profile, header, safety or a document's msg_type",
		    name);
	return d;
}

static int
cmd_encode(int argc, char **argv)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage        *m;
	json_t                  *j;
	uint8_t                 *buf;
	char                    *hex;
	size_t                   len;
	int                      rc;

	if (argc != 4 && argc != 5)
		usage();
	d = referral_type(argv[2]);
	j = load_json(argv[3]);
	m = from_json(j, d);
	json_decref(j);
	len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(len + 1)) == NULL)
		die("out of memory");
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	if (argc == 5) {
		if ((rc = fileio_write_atomic(argv[4], buf, len, 0644, 1)) != 0)
			die("%s: %s", argv[4], strerror(-rc));
	} else {
		if ((hex = malloc(2 * len + 1)) == NULL)
			die("out of memory");
		hex_encode(buf, len, hex);
		printf("%s\n", hex);
		free(hex);
	}
	free(buf);
	return 0;
}

/* --- a request ----------------------------------------------------------------- */

/* Set the bytes field at path (names joined by '.') of m to n zero bytes. */
static void
fill_bytes(ProtobufCMessage *m, const char *spec)
{
	const ProtobufCFieldDescriptor *f = NULL;
	ProtobufCBinaryData    *bd;
	char                   *path, *eq, *name, *save = NULL, *end;
	unsigned long           n;

	if ((path = strdup(spec)) == NULL)
		die("out of memory");
	if ((eq = strchr(path, '=')) == NULL)
		die("--fill FIELD.PATH=N");
	*eq = '\0';
	errno = 0;
	n = strtoul(eq + 1, &end, 0);
	if (errno != 0 || *end != '\0' || n > FRAME_CONTROL_MAX)
		die("--fill: %s is no size", eq + 1);
	for (name = strtok_r(path, ".", &save); name != NULL;
	    name = strtok_r(NULL, ".", &save)) {
		if (f != NULL) {
			if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
			    f->label == PROTOBUF_C_LABEL_REPEATED)
				die("--fill: %s is not a message", f->name);
			m = *(ProtobufCMessage **)(void *)((char *)m + f->offset);
			if (m == NULL)
				die("--fill: %s is absent: give it in the JSON", f->name);
		}
		if ((f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
		    name)) == NULL)
			die("--fill: %s has no field %s", m->descriptor->name, name);
	}
	if (f == NULL || f->type != PROTOBUF_C_TYPE_BYTES ||
	    f->label == PROTOBUF_C_LABEL_REPEATED)
		die("--fill: %s is not a bytes field", spec);
	bd = (ProtobufCBinaryData *)(void *)((char *)m + f->offset);
	free(bd->data);         /* protobuf-c's default allocator is malloc */
	if ((bd->data = calloc(1, n ? n : 1)) == NULL)
		die("out of memory");
	bd->len = n;
	free(path);
}

/* The frame: length prefix, the packed Request, extra raw bytes. */
static uint8_t *
frame_of(const ProtobufCMessage *m, const uint8_t *extra, size_t nextra,
    size_t *len)
{
	size_t   n = protobuf_c_message_get_packed_size(m);
	uint8_t *b;

	if (n + nextra > FRAME_CONTROL_MAX)
		die("the request is over FRAME_CONTROL_MAX");
	if ((b = malloc(FRAME_HDR_LEN + n + nextra)) == NULL)
		die("out of memory");
	protobuf_c_message_pack(m, b + FRAME_HDR_LEN);
	if (nextra > 0)
		memcpy(b + FRAME_HDR_LEN + n, extra, nextra);
	n += nextra;
	b[0] = (uint8_t)(n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	*len = FRAME_HDR_LEN + n;
	return b;
}

static void
send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t k = send(fd, p, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("send: %s", k == 0 ? "closed" : strerror(errno));
		p += k;
		len -= (size_t)k;
	}
}

static void
print_response(const Homeward__Control__Response *r)
{
	json_t *j = docjson_from_pb(&r->base, 0);
	char   *s;

	if (j == NULL) {
		printf("(a response docjson cannot print)\n");
		return;
	}
	json_object_del(j, "version");
	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		die("out of memory");
	printf("%s\n", s);
	free(s);
	json_decref(j);
}

static const char *
code_name(int code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &homeward__control__result_code__descriptor, code);

	return v != NULL ? v->name : "RESULT_UNKNOWN";
}

static int
cmd_request(int argc, char **argv)
{
	Homeward__Control__Response    *r;
	Homeward__Control__Request     *rq;
	struct ctlclient                c;
	const char                     *extra_hex = NULL, *fill = NULL;
	uint8_t                        *extra = NULL, *frame;
	size_t                          nextra = 0, len;
	json_t                         *j;
	int                             rc, code;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--extra") == 0 && i + 1 < argc)
			extra_hex = argv[++i];
		else if (strcmp(argv[i], "--fill") == 0 && i + 1 < argc)
			fill = argv[++i];
		else
			usage();
	}
	if (extra_hex != NULL) {
		nextra = strlen(extra_hex) / 2;
		if (strlen(extra_hex) % 2 != 0 || (extra = malloc(nextra + 1)) == NULL ||
		    hex_decode(extra_hex, extra, nextra) != 0)
			die("--extra: not hex");
	}
	j = load_json(argv[2]);
	rq = (Homeward__Control__Request *)from_json(j,
	    &homeward__control__request__descriptor);
	if (json_object_get(j, "version") == NULL)
		rq->version = CONTROL_PROTOCOL_VERSION;
	json_decref(j);
	if (fill != NULL)
		fill_bytes(&rq->base, fill);
	frame = frame_of(&rq->base, extra, nextra, &len);
	homeward__control__request__free_unpacked(rq, NULL);
	free(extra);

	if ((rc = ctlclient_open(&c, argv[1])) != 0)
		die("%s: %s", argv[1], strerror(-rc));
	send_all(c.fd, frame, len);
	free(frame);
	for (;;) {
		if ((rc = ctlclient_response(&c, &r)) != 0) {
			printf("closed: %s\n", rc == -ECONNRESET ?
			    "the daemon closed the connection without a result" :
			    strerror(-rc));
			ctlclient_close(&c);
			return 1;
		}
		if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_RESULT)
			break;
		print_response(r);
		control_response_free(r);
	}
	code = r->result->code;
	printf("result %s: %s\n", code_name(code),
	    r->result->message != NULL ? r->result->message : "");
	control_response_free(r);
	ctlclient_close(&c);
	return code == HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK ? 0 : 1;
}

/* --- flood ------------------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether the daemon closed fd within wait_ms, without reading from it:
 * a hang-up shows as POLLRDHUP or POLLHUP, or as a write that fails. */
static int
closed_within(int fd, uint64_t wait_ms)
{
	uint64_t until = now_ms() + wait_ms;
	struct pollfd pf = { fd, POLLRDHUP, 0 };

	for (;;) {
		uint64_t t = now_ms();

		if (t >= until)
			return 0;
		if (poll(&pf, 1, (int)(until - t)) > 0 &&
		    (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
			return 1;
	}
}

static int
cmd_flood(int argc, char **argv)
{
	Homeward__Control__Request      rq = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest st = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	struct ctlclient                c;
	enum { BATCH = 1024 };
	uint8_t                        *one, *batch;
	unsigned long                   n, sent = 0, wait_s;
	size_t                          len;
	uint64_t                        t0;
	int                             rc, gone = 0;

	if (argc != 5)
		usage();
	n = strtoul(argv[3], NULL, 10);
	wait_s = strtoul(argv[4], NULL, 10);
	rq.version = CONTROL_PROTOCOL_VERSION;
	rq.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	rq.status = &st;
	one = frame_of(&rq.base, NULL, 0, &len);
	if ((batch = malloc(len * BATCH)) == NULL)
		die("out of memory");
	for (size_t i = 0; i < BATCH; i++)
		memcpy(batch + i * len, one, len);
	if ((rc = ctlclient_open(&c, argv[2])) != 0)
		die("%s: %s", argv[2], strerror(-rc));
	t0 = now_ms();
	while (sent < n && !gone) {
		unsigned long k = n - sent < BATCH ? n - sent : BATCH;
		const uint8_t *p = batch;
		size_t left = k * len;

		while (left > 0) {
			ssize_t w = send(c.fd, p, left, MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				gone = 1;
				break;
			}
			p += w;
			left -= (size_t)w;
		}
		sent += gone ? (k * len - left) / len : k;
	}
	printf("sent %lu of %lu\n", sent, n);
	gone = gone || closed_within(c.fd, wait_s * 1000);
	if (gone)
		printf("closed after %llu ms\n", (unsigned long long)(now_ms() - t0));
	else
		printf("open after %lu s\n", wait_s);
	rc = gone ? 0 : 1;
	free(one);
	free(batch);
	ctlclient_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "encode") == 0)
		return cmd_encode(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argc, argv);
	if (argc < 3)
		usage();
	return cmd_request(argc, argv);
}
