/* Unit tests: referral documents through JSON text and back
 * (common/docjson.c), from messages filled field by field from their
 * descriptors: what comes back encodes byte for byte as what went in.
 * All data is synthetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/docjson.h"
#include "tests/unit/pbsame.h"
#include "proto/referral.pb-c.h"

#define AR      &homeward__referral__assistance_request__descriptor
#define AC      &homeward__referral__assistance_confirmation__descriptor
#define RR      &homeward__referral__reintegration_request__descriptor
#define RC      &homeward__referral__reintegration_confirmation__descriptor
#define DN      &homeward__referral__departure_notification__descriptor
#define ACF     &homeward__referral__arrival_confirmation__descriptor
#define FU      &homeward__referral__follow_up_report__descriptor
#define CW      &homeward__referral__consent_withdrawal__descriptor
#define EC      &homeward__referral__erasure_confirmation__descriptor

static const ProtobufCMessageDescriptor *const documents[] = {
	AR, AC, RR, RC, DN, ACF, FU, CW, EC,
};
#define NDOCS   (sizeof(documents) / sizeof(documents[0]))

/* Messages filled from their descriptors: every field set, random values
 * (enum values the enum defines), strings from a synthetic list. */
struct fill {
	uint64_t        rng;
	void           *blk[4096];
	size_t          n;
};

static uint64_t
rnd(struct fill *fl)
{
	fl->rng ^= fl->rng << 13;
	fl->rng ^= fl->rng >> 7;
	fl->rng ^= fl->rng << 17;
	return fl->rng;
}

static void *
fill_alloc(struct fill *fl, size_t size)
{
	void *p = calloc(1, size);

	assert_non_null(p);
	assert_true(fl->n < sizeof(fl->blk) / sizeof(fl->blk[0]));
	fl->blk[fl->n++] = p;
	return p;
}

static ProtobufCMessage *fill_message(struct fill *,
    const ProtobufCMessageDescriptor *);

static void
fill_value(struct fill *fl, const ProtobufCFieldDescriptor *f, void *dst)
{
	static const char *const strings[] = {
		"Test Person A", "Test Person B", "HW-TEST-0001", "",
		"agency-a.example", "Test \xc3\x87" "a\xc4\x9f\xc4\xb1 \xe2\x9c\x93",
		"two\nlines \"quoted\" \\ and\ttab",
	};
	const ProtobufCEnumDescriptor *e;
	ProtobufCBinaryData *bd;
	uint64_t r = rnd(fl);

	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)dst = (uint32_t)r;
		break;
	case PROTOBUF_C_TYPE_UINT64:
		switch (r % 4) {
		case 0:
			*(uint64_t *)dst = r % 100000;
			break;
		case 1:
			*(uint64_t *)dst = DOCJSON_TIME_MAX + r % 1000;
			break;
		case 2:
			*(uint64_t *)dst = r;
			break;
		default:
			*(uint64_t *)dst = r % (DOCJSON_TIME_MAX + 1);
		}
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)dst = r & 1;
		break;
	case PROTOBUF_C_TYPE_ENUM:
		e = f->descriptor;
		*(int32_t *)dst = e->values[r % e->n_values].value;
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(const char **)dst = strings[r % (sizeof(strings) / sizeof(strings[0]))];
		break;
	case PROTOBUF_C_TYPE_BYTES:
		bd = dst;
		bd->len = r % 33;
		bd->data = fill_alloc(fl, bd->len + 1);
		for (size_t i = 0; i < bd->len; i++)
			bd->data[i] = (uint8_t)rnd(fl);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)dst = fill_message(fl, f->descriptor);
		break;
	default:
		fail_msg("%s: a type the referral documents do not use", f->name);
	}
}

static ProtobufCMessage *
fill_message(struct fill *fl, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = fill_alloc(fl, d->sizeof_message);

	protobuf_c_message_init(d, m);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *base = (char *)m;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = 1 + rnd(fl) % 3, size;
			uint8_t *arr;

			switch (f->type) {
			case PROTOBUF_C_TYPE_ENUM:
				size = sizeof(int32_t);
				break;
			case PROTOBUF_C_TYPE_STRING:
				size = sizeof(char *);
				break;
			case PROTOBUF_C_TYPE_MESSAGE:
				size = sizeof(ProtobufCMessage *);
				break;
			default:
				fail_msg("%s: repeated type", f->name);
				return NULL;
			}
			arr = fill_alloc(fl, n * size);
			for (size_t j = 0; j < n; j++)
				fill_value(fl, f, arr + j * size);
			*(size_t *)(void *)(base + f->quantifier_offset) = n;
			*(void **)(void *)(base + f->offset) = arr;
		} else
			fill_value(fl, f, base + f->offset);
	}
	return m;
}

/* A filled message of type d, unpacked from its encoding as received
 * documents are. */
static ProtobufCMessage *
filled(const ProtobufCMessageDescriptor *d, uint64_t seed)
{
	struct fill *fl = calloc(1, sizeof(*fl));
	ProtobufCMessage *m;
	uint8_t *buf;
	size_t len;

	assert_non_null(fl);
	fl->rng = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	pbsame_packed(fill_message(fl, d), &buf, &len);
	assert_non_null(m = protobuf_c_message_unpack(d, NULL, len, buf));
	free(buf);
	for (size_t i = 0; i < fl->n; i++)
		free(fl->blk[i]);
	free(fl);
	return m;
}

static void
test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NDOCS; i++) {
		uint64_t seen = 0;

		assert_true(documents[i]->n_fields <= 64);
		for (uint64_t seed = 1; seed <= 40; seed++) {
			ProtobufCMessage *m = filled(documents[i], seed), *back;
			int flags = seed % 2 ? DOCJSON_ENUM_FULL : 0;
			json_t *j, *again;
			json_error_t jerr;
			char err[256];
			char *text;

			/* Through JSON text, as in a file. */
			assert_non_null(j = docjson_from_pb(m, flags));
			assert_non_null(text = json_dumps(j, JSON_COMPACT));
			assert_non_null(again = json_loads(text, 0, &jerr));
			if (docjson_to_pb(again, documents[i], &back, err,
			    sizeof(err)) != 0)
				fail_msg("%s seed %llu: %s", documents[i]->name,
				    (unsigned long long)seed, err);
			assert_same_message(back, m);
			for (unsigned k = 0; k < documents[i]->n_fields; k++)
				if (json_object_get(j, documents[i]->fields[k].name))
					seen |= UINT64_C(1) << k;
			protobuf_c_message_free_unpacked(back, NULL);
			protobuf_c_message_free_unpacked(m, NULL);
			json_decref(again);
			json_decref(j);
			free(text);
		}
		/* Populated: every field of the document was in some round. */
		assert_int_equal(seen, (UINT64_C(1) << documents[i]->n_fields) - 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
