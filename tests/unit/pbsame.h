/*
 * Two protobuf-c messages are the same when their encodings are: the
 * assertion the docjson tests share (header-only, because tests/lib is
 * linked into the test tools too, which have no cmocka).
 */
#ifndef HOMEWARD_TESTS_UNIT_PBSAME_H
#define HOMEWARD_TESTS_UNIT_PBSAME_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <protobuf-c/protobuf-c.h>

static inline void
pbsame_packed(const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	assert_non_null(*buf = malloc(*len + 1));
	assert_int_equal(protobuf_c_message_pack(m, *buf), *len);
}

static inline void
assert_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	uint8_t *pa, *pb;
	size_t la, lb;

	pbsame_packed(a, &pa, &la);
	pbsame_packed(b, &pb, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

#endif
