/*
 * libFuzzer target: the referral documents as the consent gate and
 * env1_open's body check see them (proto/refcat.c).  The first two bytes
 * are the msg_type (big-endian), the rest the body.
 *
 * A body refcat_of_body accepts must be exactly protobuf-c's encoding of
 * what it decodes to, carry only categories DataCategory declares, and
 * give the same categories again when re-packed and re-read.  A body it
 * refuses but protobuf-c decodes must, once re-packed, be accepted with
 * the categories of the decoded message, unless that message holds unknown
 * fields.  Nothing may crash or leak.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/env1.h"
#include "proto/refcat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VALID_MASK      (REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_CASE) | \
			 REFCAT_PERSONAL)

/* Unknown fields anywhere in m (its own walk, independent of refcat.c). */
static int
has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	if (m->n_unknown_fields > 0)
		return 1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
			    *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (has_unknown(v[j]))
					return 1;
		} else {
			const ProtobufCMessage *sub =
			    *(ProtobufCMessage *const *)(base + f->offset);

			if (sub != NULL && has_unknown(sub))
				return 1;
		}
	}
	return 0;
}

/* Pack m; abort on a short pack.  *len set, result malloc'ed. */
static uint8_t *
repack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len + 1)) == NULL)
		abort();
	if (protobuf_c_message_pack(m, buf) != *len)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m;
	const uint8_t *body;
	uint8_t *again;
	uint16_t msg_type;
	uint32_t mask = 0, mask2 = 0;
	size_t len, againlen;
	int rc, rc2;

	if (size < 2)
		return 0;
	msg_type = (uint16_t)(data[0] << 8 | data[1]);
	body = data + 2;
	len = size - 2;

	rc = refcat_of_body(msg_type, body, len, &mask);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (refcat_check_body(NULL, msg_type, body, len) != (rc == 0 ||
	    msg_type == ENV1_MSG_DELIVERY_RECEIPT ||
	    msg_type == ENV1_MSG_TEST_DOCUMENT ? 0 : -1))
		abort();
	if ((d = refcat_descriptor(msg_type)) == NULL) {
		if (rc == 0)
			abort();
		return 0;
	}
	m = protobuf_c_message_unpack(d, NULL, len, body);
	if (rc == 0 && m == NULL)
		abort();
	if (m == NULL)
		return 0;

	again = repack(m, &againlen);
	if (rc == 0) {
		if ((mask & ~VALID_MASK) != 0 || mask != refcat_of(m))
			abort();
		if (againlen != len || (len > 0 && memcmp(again, body, len) != 0))
			abort();
	}
	rc2 = refcat_of_body(msg_type, again, againlen, &mask2);
	if (has_unknown(m)) {
		if (rc == 0 || rc2 == 0)
			abort();
	} else if (rc2 != 0) {
		/* Only a string that is not UTF-8 survives decoding and
		 * re-encoding and is still refused: then so is the original. */
		if (rc == 0)
			abort();
	} else if (mask2 != refcat_of(m) || (rc == 0 && mask2 != mask))
		abort();
	free(again);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
