/*
 * libFuzzer target: the control protocol's decoders (proto/control.c),
 * which read what any local user allowed on the socket sends (requests, in
 * the daemon) and what the daemon answers (responses, in the CLI).  The
 * input is one payload, decoded as both.  A decoded message must have a
 * kind and survive encode and decode again; a refusal must say garbage or
 * version mismatch and nothing else.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/control.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
request(const uint8_t *data, size_t size)
{
	Homeward__Control__Request *r, *again, copy;
	uint8_t *enc;
	size_t enclen;
	int err;

	if ((r = control_request_decode(data, size, &err)) == NULL) {
		if (err != -EBADMSG && err != -EPROTONOSUPPORT)
			abort();
		return;
	}
	if (err != 0 || r->kind_case == HOMEWARD__CONTROL__REQUEST__KIND__NOT_SET)
		abort();
	copy = *r;
	if (control_request_encode(&copy, &enc, &enclen) != 0)
		abort();
	again = control_request_decode(enc + FRAME_HDR_LEN, enclen - FRAME_HDR_LEN,
	    &err);
	if (again == NULL || again->kind_case != r->kind_case)
		abort();
	control_request_free(again);
	control_request_free(r);
	free(enc);
}

static void
response(const uint8_t *data, size_t size)
{
	Homeward__Control__Response *r, *again, copy;
	uint8_t *enc;
	size_t enclen;
	int err;

	if ((r = control_response_decode(data, size, &err)) == NULL) {
		if (err != -EBADMSG && err != -EPROTONOSUPPORT)
			abort();
		return;
	}
	if (err != 0 || r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND__NOT_SET)
		abort();
	copy = *r;
	if (control_response_encode(&copy, &enc, &enclen) != 0)
		abort();
	again = control_response_decode(enc + FRAME_HDR_LEN, enclen - FRAME_HDR_LEN,
	    &err);
	if (again == NULL || again->kind_case != r->kind_case)
		abort();
	control_response_free(again);
	control_response_free(r);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	response(data, size);
	return 0;
}
