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
