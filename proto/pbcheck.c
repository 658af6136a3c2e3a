/* Checks protobuf-c leaves to us (see pbcheck.h). */
#include <stddef.h>
#include <stdint.h>

#include "proto/pbcheck.h"

#define FIELD_NUMBER_MAX        ((1u << 29) - 1)
#define DEPTH_MAX               16      /* our schemas nest 3 deep */

static int
check(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > DEPTH_MAX)
		return 0;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0 ||
		    m->unknown_fields[i].tag > FIELD_NUMBER_MAX)
			return 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
			    *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (!check(v[j], depth + 1))
					return 0;
			continue;
		}
		/* A oneof member that is not the one set holds another
		 * member's value at the same offset: skip it. */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		const ProtobufCMessage *sub =
		    *(ProtobufCMessage *const *)(base + f->offset);
		if (sub != NULL && !check(sub, depth + 1))
			return 0;
	}
	return 1;
}

int
pbcheck_unknown_fields(const ProtobufCMessage *m)
{
	return m != NULL && check(m, 0);
}

static int
scan_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
	}
	return -1;
}

int
pbcheck_next_field(const uint8_t **p, const uint8_t *end,
    struct pbcheck_field *f)
{
	uint64_t key, v;

	if (scan_varint(p, end, &key) != 0)
		return -1;
	f->number = key >> 3;
	f->wire_type = (unsigned)(key & 7);
	f->value = NULL;
	f->len = 0;
	switch (f->wire_type) {
	case 0:
		return scan_varint(p, end, &v);
	case 1:
	case 5:
		v = f->wire_type == 1 ? 8 : 4;
		break;
	case 2:
		if (scan_varint(p, end, &v) != 0)
			return -1;
		break;
	default:
		return -1;      /* groups: none in our schemas */
	}
	if (v > (uint64_t)(end - *p))
		return -1;
	f->value = *p;
	f->len = (size_t)v;
	*p += v;
	return 0;
}

int
pbcheck_singular_once(const uint8_t *buf, size_t len,
    const ProtobufCMessageDescriptor *d)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t seen = 0;      /* our singular fields are numbered below 64 */
	struct pbcheck_field f;

	while (p < end) {
		const ProtobufCFieldDescriptor *fd;

		if (pbcheck_next_field(&p, end, &f) != 0)
			return -1;
		if (f.number == 0 || f.number >= 64 ||
		    (fd = protobuf_c_message_descriptor_get_field(d,
		    (unsigned)f.number)) == NULL ||
		    fd->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		if (seen & (UINT64_C(1) << f.number))
			return (int)f.number;
		seen |= UINT64_C(1) << f.number;
	}
	return 0;
}
