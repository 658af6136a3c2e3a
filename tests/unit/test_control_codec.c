/*
 * Unit tests: the control protocol's codec (proto/control.c): every kind
 * survives encode and decode in both directions, the version is checked
 * (a mismatch told apart from garbage), and malformed or oversized
 * messages are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "proto/control.h"
#include "proto/frame.h"

/* Encode r and decode the payload again; the frame's length prefix must
 * match. */
static Homeward__Control__Request *
request_roundtrip(Homeward__Control__Request *r)
{
	Homeward__Control__Request *d;
	uint8_t *buf;
	size_t len;
	int err;

	assert_int_equal(control_request_encode(r, &buf, &len), 0);
	assert_int_equal(r->version, CONTROL_PROTOCOL_VERSION);
	assert_int_equal(be32_get(buf), len - FRAME_HDR_LEN);
	d = control_request_decode(buf + FRAME_HDR_LEN, len - FRAME_HDR_LEN, &err);
	free(buf);
	assert_non_null(d);
	assert_int_equal(err, 0);
	assert_int_equal(d->kind_case, r->kind_case);
	return d;
}

static Homeward__Control__Response *
response_roundtrip(Homeward__Control__Response *r)
{
	Homeward__Control__Response *d;
	uint8_t *buf;
	size_t len;
	int err;

	assert_int_equal(control_response_encode(r, &buf, &len), 0);
	assert_int_equal(be32_get(buf), len - FRAME_HDR_LEN);
	d = control_response_decode(buf + FRAME_HDR_LEN, len - FRAME_HDR_LEN, &err);
	free(buf);
	assert_non_null(d);
	assert_int_equal(err, 0);
	assert_int_equal(d->kind_case, r->kind_case);
	return d;
}

static void
test_request_kinds(void **state)
{
	Homeward__Control__Request r = HOMEWARD__CONTROL__REQUEST__INIT, *d;
	Homeward__Control__StatusRequest st = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;
	Homeward__Control__PeerImport pi = HOMEWARD__CONTROL__PEER_IMPORT__INIT;
	Homeward__Control__PeerAction pa = HOMEWARD__CONTROL__PEER_ACTION__INIT;
	Homeward__Control__MessageShow ms = HOMEWARD__CONTROL__MESSAGE_SHOW__INIT;
	Homeward__Control__SendDocument sd = HOMEWARD__CONTROL__SEND_DOCUMENT__INIT;
	uint8_t bundle[300], id[16];

	(void)state;
	memset(bundle, 0xa5, sizeof(bundle));
	memset(id, 0x11, sizeof(id));

	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
	r.status = &st;
	d = request_roundtrip(&r);
	control_request_free(d);

	pi.bundle.data = bundle;
	pi.bundle.len = sizeof(bundle);
	pi.fingerprint = "12345 67890";
	pi.endpoint = "beta.example:7443";
	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEER_IMPORT;
	r.peer_import = &pi;
	d = request_roundtrip(&r);
	assert_int_equal(d->peer_import->bundle.len, sizeof(bundle));
	assert_memory_equal(d->peer_import->bundle.data, bundle, sizeof(bundle));
	assert_string_equal(d->peer_import->fingerprint, "12345 67890");
	assert_string_equal(d->peer_import->endpoint, "beta.example:7443");
	control_request_free(d);

	pa.agency_id = "beta";
	pa.action = HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_SUSPEND;
	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_PEER_ACTION;
	r.peer_action = &pa;
	d = request_roundtrip(&r);
	assert_string_equal(d->peer_action->agency_id, "beta");
	assert_int_equal(d->peer_action->action,
	    HOMEWARD__CONTROL__PEER_ACTION__ACTION__ACTION_SUSPEND);
	control_request_free(d);

	ms.direction = HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
	ms.message_id.data = id;
	ms.message_id.len = sizeof(id);
	ms.with_body = 1;
	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_SHOW;
	r.message_show = &ms;
	d = request_roundtrip(&r);
	assert_int_equal(d->message_show->with_body, 1);
	assert_int_equal(d->message_show->message_id.len, 16);
	control_request_free(d);

	sd.peer = "beta";
	sd.msg_type = 0x7f00;
	sd.body.data = bundle;
	sd.body.len = 10;
	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_SEND;
	r.send = &sd;
	d = request_roundtrip(&r);
	assert_int_equal(d->send->msg_type, 0x7f00);
	assert_int_equal(d->send->body.len, 10);
	control_request_free(d);
}

static void
test_response_kinds(void **state)
{
	Homeward__Control__Response r = HOMEWARD__CONTROL__RESPONSE__INIT, *d;
	Homeward__Control__Result res = HOMEWARD__CONTROL__RESULT__INIT;
	Homeward__Control__PeerInfo pi = HOMEWARD__CONTROL__PEER_INFO__INIT;
	uint8_t ev[40];

	(void)state;
	/* RESULT_OK with no message is an empty submessage: still a Result. */
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_RESULT;
	r.result = &res;
	d = response_roundtrip(&r);
	assert_non_null(d->result);
	assert_int_equal(d->result->code, HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK);
	control_response_free(d);

	res.code = HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND;
	res.message = "no peer beta";
	d = response_roundtrip(&r);
	assert_int_equal(d->result->code,
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND);
	assert_string_equal(d->result->message, "no peer beta");
	control_response_free(d);

	pi.agency_id = "beta";
	pi.verified = 1;
	pi.last_seen_at = 1767225600000ull;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_PEER;
	r.peer = &pi;
	d = response_roundtrip(&r);
	assert_string_equal(d->peer->agency_id, "beta");
	assert_int_equal(d->peer->verified, 1);
	assert_int_equal(d->peer->last_seen_at, 1767225600000ull);
	control_response_free(d);

	memset(ev, 0x42, sizeof(ev));
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE;
	r.evidence.data = ev;
	r.evidence.len = sizeof(ev);
	d = response_roundtrip(&r);
	assert_int_equal(d->evidence.len, sizeof(ev));
	assert_memory_equal(d->evidence.data, ev, sizeof(ev));
	control_response_free(d);
}

/* A Request packed as given, bypassing the encoder's version. */
static size_t
pack_raw(uint32_t version, int with_kind, uint8_t *buf)
{
	Homeward__Control__Request r = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__StatusRequest st = HOMEWARD__CONTROL__STATUS_REQUEST__INIT;

	r.version = version;
	if (with_kind) {
		r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_STATUS;
		r.status = &st;
	}
	return homeward__control__request__pack(&r, buf);
}

static void
test_version_checked(void **state)
{
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__Result res = HOMEWARD__CONTROL__RESULT__INIT;
	uint8_t buf[64];
	size_t n;
	int err;

	(void)state;
	n = pack_raw(2, 1, buf);
	assert_null(control_request_decode(buf, n, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);
	/* A newer version is a mismatch even with a kind we cannot see. */
	n = pack_raw(2, 0, buf);
	assert_null(control_request_decode(buf, n, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);
	/* No version at all is not one of ours. */
	n = pack_raw(0, 1, buf);
	assert_null(control_request_decode(buf, n, &err));
	assert_int_equal(err, -EBADMSG);

	resp.version = 3;
	resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_RESULT;
	resp.result = &res;
	n = homeward__control__response__pack(&resp, buf);
	assert_null(control_response_decode(buf, n, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);
}

static void
test_malformed_refused(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	/* version 1, then field number 0 (varint): protobuf-c keeps it. */
	static const uint8_t field0[] = { 0x08, 0x01, 0x52, 0x00, 0x00, 0x00 };
	/* version 1, status {} holding field 0. */
	static const uint8_t nested0[] = { 0x08, 0x01, 0x52, 0x02, 0x00, 0x00 };
	/* version 1, status {} : fine. */
	static const uint8_t fine[] = { 0x08, 0x01, 0x52, 0x00 };
	Homeward__Control__Request *r;
	uint8_t buf[16];
	size_t n;
	int err;

	(void)state;
	assert_null(control_request_decode(junk, sizeof(junk), &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(control_response_decode(junk, sizeof(junk), &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(control_request_decode(field0, sizeof(field0), &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(control_request_decode(nested0, sizeof(nested0), &err));
	assert_int_equal(err, -EBADMSG);
	r = control_request_decode(fine, sizeof(fine), &err);
	assert_non_null(r);
	assert_int_equal(err, 0);
	assert_int_equal(r->kind_case, HOMEWARD__CONTROL__REQUEST__KIND_STATUS);
	control_request_free(r);

	/* Version 1 and nothing asked. */
	n = pack_raw(1, 0, buf);
	assert_null(control_request_decode(buf, n, &err));
	assert_int_equal(err, -EBADMSG);
	/* The empty payload has neither. */
	assert_null(control_request_decode(buf, 0, &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(control_response_decode(buf, 0, &err));
	assert_int_equal(err, -EBADMSG);
}

static void
test_encode_refusals(void **state)
{
	Homeward__Control__Request r = HOMEWARD__CONTROL__REQUEST__INIT;
	Homeward__Control__Response resp = HOMEWARD__CONTROL__RESPONSE__INIT;
	Homeward__Control__SendDocument sd = HOMEWARD__CONTROL__SEND_DOCUMENT__INIT;
	uint8_t *buf, *big;
	size_t len;

	(void)state;
	assert_int_equal(control_request_encode(&r, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(control_response_encode(&resp, &buf, &len), -EINVAL);
	/* A kind without its message. */
	r.kind_case = HOMEWARD__CONTROL__REQUEST__KIND_SEND;
	assert_int_equal(control_request_encode(&r, &buf, &len), -EINVAL);
	resp.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_STATUS;
	assert_int_equal(control_response_encode(&resp, &buf, &len), -EINVAL);

	/* A document that does not fit one control frame. */
	assert_non_null(big = calloc(1, FRAME_CONTROL_MAX));
	sd.peer = "beta";
	sd.body.data = big;
	sd.body.len = FRAME_CONTROL_MAX;
	r.send = &sd;
	assert_int_equal(control_request_encode(&r, &buf, &len), -EMSGSIZE);
	assert_null(buf);
	assert_int_equal(len, 0);
	/* The largest document does. */
	sd.body.len = ENV1_MAX_INLINE;
	assert_int_equal(control_request_encode(&r, &buf, &len), 0);
	assert_true(len <= FRAME_HDR_LEN + FRAME_CONTROL_MAX);
	free(buf);
	free(big);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(control_result_name(
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK), "ok");
	assert_string_equal(control_result_name(
	    HOMEWARD__CONTROL__RESULT_CODE__RESULT_VERSION), "version");
	assert_string_equal(control_result_name(
	    (Homeward__Control__ResultCode)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_kinds),
		cmocka_unit_test(test_response_kinds),
		cmocka_unit_test(test_version_checked),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
