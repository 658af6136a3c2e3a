/*
 * libFuzzer target: referral documents read from JSON (common/docjson.c),
 * which the operator writes in files and may well get wrong.  The first
 * byte picks the document type (low bits), the enum spelling of the way
 * back and whether JSON may hold NUL characters; the rest is the JSON.  A
 * refusal must be one of the documented errors with a message; a document
 * built must come back unchanged through docjson_from_pb and
 * docjson_to_pb.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/docjson.h"
#include "proto/referral.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCMessageDescriptor *const documents[] = {
	&homeward__referral__assistance_request__descriptor,
	&homeward__referral__assistance_confirmation__descriptor,
	&homeward__referral__reintegration_request__descriptor,
	&homeward__referral__reintegration_confirmation__descriptor,
	&homeward__referral__departure_notification__descriptor,
	&homeward__referral__arrival_confirmation__descriptor,
	&homeward__referral__follow_up_report__descriptor,
	&homeward__referral__consent_withdrawal__descriptor,
	&homeward__referral__erasure_confirmation__descriptor,
};

static uint8_t *
packed(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len + 1)) == NULL)
		abort();
	protobuf_c_message_pack(m, buf);
	return buf;
}

static void
round_trip(const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m,
    int flags)
{
	ProtobufCMessage *back;
	uint8_t *a, *b;
	size_t alen, blen;
	char err[256];
	json_t *j;

	if ((j = docjson_from_pb(m, flags)) == NULL)
		abort();
	if (docjson_to_pb(j, d, &back, err, sizeof(err)) != 0)
		abort();
	a = packed(m, &alen);
	b = packed(back, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
	protobuf_c_message_free_unpacked(back, NULL);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m;
	json_error_t jerr;
	char err[128];
	json_t *obj;
	int rc;

	if (size < 1)
		return 0;
	d = documents[(data[0] & 0x0f) % (sizeof(documents) / sizeof(documents[0]))];
	obj = json_loadb((const char *)data + 1, size - 1,
	    JSON_DECODE_ANY | (data[0] & 0x20 ? JSON_ALLOW_NUL : 0), &jerr);
	if (obj == NULL)
		return 0;
	rc = docjson_to_pb(obj, d, &m, err, sizeof(err));
	if (rc == 0) {
		if (m == NULL || m->descriptor != d)
			abort();
		round_trip(d, m, data[0] & 0x10 ? DOCJSON_ENUM_FULL : 0);
		protobuf_c_message_free_unpacked(m, NULL);
	} else if ((rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) ||
	    m != NULL || strchr(err, ':') == NULL)
		abort();
	json_decref(obj);
	return 0;
}
