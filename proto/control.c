/*
 * The control protocol's codec (see control.h).  Both directions are
 * checked the same way as the wire's frames (wire.c): invalid field numbers
 * refuse the message, a missing version is garbage, and any other version
 * is reported as a mismatch before the kind is looked at, because a newer
 * peer may use a kind this version does not know.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/bytes.h"
#include "proto/control.h"
#include "proto/frame.h"
#include "proto/pbcheck.h"
#include "proto/pbwipe.h"

/* Shared by both decoders: the checks that do not depend on the type. */
static int
check_common(const ProtobufCMessage *m, uint32_t version)
{
	if (!pbcheck_unknown_fields(m) || version == 0)
		return -EBADMSG;
	if (version != CONTROL_PROTOCOL_VERSION)
		return -EPROTONOSUPPORT;
	return 0;
}

Homeward__Control__Request *
control_request_decode(const uint8_t *payload, size_t len, int *err)
{
	Homeward__Control__Request *r;

	*err = -EBADMSG;
	/* Requests carry documents: every field is wiped when freed. */
	if ((r = homeward__control__request__unpack(&pbwipe_allocator, len,
	    payload)) == NULL)
		return NULL;
	if ((*err = check_common(&r->base, r->version)) != 0)
		goto fail;
	if (r->kind_case == HOMEWARD__CONTROL__REQUEST__KIND__NOT_SET) {
		*err = -EBADMSG;
		goto fail;
	}
	return r;
fail:
	control_request_free(r);
	return NULL;
}

void
control_request_free(Homeward__Control__Request *r)
{
	if (r != NULL)
		homeward__control__request__free_unpacked(r, &pbwipe_allocator);
}

Homeward__Control__Response *
control_response_decode(const uint8_t *payload, size_t len, int *err)
{
	Homeward__Control__Response *r;

	*err = -EBADMSG;
	if ((r = homeward__control__response__unpack(&pbwipe_allocator, len,
	    payload)) == NULL)
		return NULL;
	if ((*err = check_common(&r->base, r->version)) != 0)
		goto fail;
	if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND__NOT_SET) {
		*err = -EBADMSG;
		goto fail;
	}
	return r;
fail:
	control_response_free(r);
	return NULL;
}

void
control_response_free(Homeward__Control__Response *r)
{
	if (r != NULL)
		homeward__control__response__free_unpacked(r, &pbwipe_allocator);
}

/* m as a length-prefixed frame; the caller has checked its kind. */
static int
pack_frame(const ProtobufCMessage *m, uint8_t **out, size_t *outlen)
{
	uint8_t *b;
	size_t n;

	n = protobuf_c_message_get_packed_size(m);
	if (n > FRAME_CONTROL_MAX)
		return -EMSGSIZE;
	if ((b = malloc(FRAME_HDR_LEN + n)) == NULL)
		return -ENOMEM;
	be32_put(b, (uint32_t)n);
	if (protobuf_c_message_pack(m, b + FRAME_HDR_LEN) != n) {
		free(b);
		return -EINVAL;
	}
	*out = b;
	*outlen = FRAME_HDR_LEN + n;
	return 0;
}

int
control_request_encode(Homeward__Control__Request *r, uint8_t **out,
    size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	/* Every kind of Request is a message: protobuf-c would dereference
	 * a NULL one while packing. */
	if (r->kind_case == HOMEWARD__CONTROL__REQUEST__KIND__NOT_SET ||
	    r->status == NULL)
		return -EINVAL;
	r->version = CONTROL_PROTOCOL_VERSION;
	return pack_frame(&r->base, out, outlen);
}

int
control_response_encode(Homeward__Control__Response *r, uint8_t **out,
    size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND__NOT_SET)
		return -EINVAL;
	/* The message kinds share one pointer in the union; evidence and
	 * backup chunks are bytes, where a NULL data with length 0 is fine. */
	if (r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE ||
	    r->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_BACKUP_CHUNK) {
		const ProtobufCBinaryData *b = r->kind_case ==
		    HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE ? &r->evidence :
		    &r->backup_chunk;

		if (b->data == NULL && b->len > 0)
			return -EINVAL;
	} else if (r->result == NULL)
		return -EINVAL;
	r->version = CONTROL_PROTOCOL_VERSION;
	return pack_frame(&r->base, out, outlen);
}

const char *
control_result_name(Homeward__Control__ResultCode code)
{
	switch (code) {
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_OK:
		return "ok";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_USAGE:
		return "usage";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_NOT_FOUND:
		return "not_found";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED:
		return "denied";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_REFUSED:
		return "refused";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_STORE:
		return "store";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_VERSION:
		return "version";
	case HOMEWARD__CONTROL__RESULT_CODE__RESULT_INTERNAL:
		return "internal";
	default:
		break;
	}
	return "unknown";
}
