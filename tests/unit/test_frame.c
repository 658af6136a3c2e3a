/*
 * Unit tests: length-prefixed framing (proto/frame.c) and the versioned
 * wire frames on top of it (proto/wire.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"
#include "proto/wire.h"

/* Three frames back to back: 5 bytes, empty, 300 bytes. */
static uint8_t stream[3 * FRAME_HDR_LEN + 5 + 0 + 300];
static const size_t frame_lens[3] = { 5, 0, 300 };

static uint8_t
payload_byte(size_t frame, size_t i)
{
	return (uint8_t)(frame * 71 + i * 13 + 1);
}

static int
setup(void **state)
{
	size_t o = 0;

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		uint8_t *enc;
		uint8_t pl[300];
		size_t enclen;

		for (size_t i = 0; i < frame_lens[f]; i++)
			pl[i] = payload_byte(f, i);
		if (frame_encode(pl, frame_lens[f], 1024, &enc, &enclen) != 0)
			return -1;
		memcpy(stream + o, enc, enclen);
		o += enclen;
		free(enc);
	}
	return o == sizeof(stream) ? 0 : -1;
}

/* Feed stream[from..to) completely, checking each payload that completes
 * against the expected frames; *nframes counts them. */
static void
feed_range(struct frame_reader *r, size_t from, size_t to, size_t *nframes)
{
	while (from < to) {
		uint8_t *pl;
		size_t used, plen;
		int rc = frame_reader_feed(r, stream + from, to - from, &used, &pl, &plen);

		assert_true(rc == FRAME_MORE || rc == FRAME_READY);
		assert_true(used <= to - from);
		from += used;
		if (rc == FRAME_MORE) {
			assert_null(pl);
			assert_int_equal(from, to);
			continue;
		}
		assert_true(*nframes < 3);
		assert_non_null(pl);
		assert_int_equal(plen, frame_lens[*nframes]);
		for (size_t i = 0; i < plen; i++)
			assert_int_equal(pl[i], payload_byte(*nframes, i));
		free(pl);
		(*nframes)++;
	}
}

static void
test_several_frames_in_one_buffer(void **state)
{
	struct frame_reader r;
	size_t n = 0;

	(void)state;
	frame_reader_init(&r, 1024);
	feed_range(&r, 0, sizeof(stream), &n);
	assert_int_equal(n, 3);
	assert_null(r.buf);
	frame_reader_free(&r);
}

static void
test_split_at_every_byte_boundary(void **state)
{
	(void)state;
	for (size_t k = 0; k <= sizeof(stream); k++) {
		struct frame_reader r;
		size_t n = 0;

		frame_reader_init(&r, 1024);
		feed_range(&r, 0, k, &n);
		feed_range(&r, k, sizeof(stream), &n);
		assert_int_equal(n, 3);
		frame_reader_free(&r);
	}
}

static void
test_one_byte_at_a_time(void **state)
{
	struct frame_reader r;
	size_t n = 0;

	(void)state;
	frame_reader_init(&r, 1024);
	for (size_t i = 0; i < sizeof(stream); i++)
		feed_range(&r, i, i + 1, &n);
	assert_int_equal(n, 3);
	frame_reader_free(&r);
}

static void
test_header_split(void **state)
{
	struct frame_reader r;
	uint8_t *pl;
	size_t used, plen;

	(void)state;
	frame_reader_init(&r, 1024);
	/* Two header bytes, then one, then the last with the whole payload. */
	assert_int_equal(frame_reader_feed(&r, stream, 2, &used, &pl, &plen), FRAME_MORE);
	assert_int_equal(used, 2);
	assert_null(r.buf);     /* nothing allocated before the length is known */
	assert_int_equal(frame_reader_feed(&r, stream + 2, 1, &used, &pl, &plen), FRAME_MORE);
	assert_int_equal(used, 1);
	assert_int_equal(frame_reader_feed(&r, stream + 3, 6, &used, &pl, &plen),
	    FRAME_READY);
	assert_int_equal(used, 6);
	assert_int_equal(plen, 5);
	assert_int_equal(pl[0], payload_byte(0, 0));
	free(pl);
	frame_reader_free(&r);
}

static void
test_empty_feed(void **state)
{
	struct frame_reader r;
	uint8_t *pl = (uint8_t *)&r;
	size_t used = 99, plen = 99;

	(void)state;
	frame_reader_init(&r, 16);
	assert_int_equal(frame_reader_feed(&r, NULL, 0, &used, &pl, &plen), FRAME_MORE);
	assert_int_equal(used, 0);
	assert_null(pl);
	assert_int_equal(plen, 0);
	frame_reader_free(&r);
}

static void
test_zero_length_payload(void **state)
{
	static const uint8_t empty[4] = { 0, 0, 0, 0 };
	struct frame_reader r;
	uint8_t *pl;
	size_t used, plen = 99;

	(void)state;
	frame_reader_init(&r, 16);
	assert_int_equal(frame_reader_feed(&r, empty, 4, &used, &pl, &plen), FRAME_READY);
	assert_int_equal(used, 4);
	assert_non_null(pl);
	assert_int_equal(plen, 0);
	free(pl);
	frame_reader_free(&r);
}

static void
test_oversized_refused_before_allocating(void **state)
{
	static const uint8_t big[8] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4 };
	static const uint8_t over[4] = { 0, 0, 0, 17 };
	static const uint8_t exact[4] = { 0, 0, 0, 16 };
	struct frame_reader r;
	uint8_t *pl;
	size_t used, plen;

	(void)state;
	frame_reader_init(&r, 16);
	assert_int_equal(frame_reader_feed(&r, big, sizeof(big), &used, &pl, &plen),
	    -EMSGSIZE);
	assert_int_equal(used, 4);
	assert_null(pl);
	assert_null(r.buf);
	/* The reader stays refused: the stream has lost its framing. */
	assert_int_equal(frame_reader_feed(&r, big + 4, 4, &used, &pl, &plen), -EMSGSIZE);
	assert_int_equal(used, 0);
	frame_reader_free(&r);

	/* max + 1 is refused, max is accepted. */
	frame_reader_init(&r, 16);
	assert_int_equal(frame_reader_feed(&r, over, 4, &used, &pl, &plen), -EMSGSIZE);
	assert_null(r.buf);
	frame_reader_free(&r);
	frame_reader_init(&r, 16);
	assert_int_equal(frame_reader_feed(&r, exact, 4, &used, &pl, &plen), FRAME_MORE);
	assert_non_null(r.buf);
	frame_reader_free(&r);  /* frees the partial payload */
	assert_null(r.buf);
	frame_reader_free(NULL);
}

static void
test_encode_cap(void **state)
{
	uint8_t pl[17] = { 0 };
	uint8_t *out = (uint8_t *)pl;
	size_t outlen = 99;

	(void)state;
	assert_int_equal(frame_encode(pl, 17, 16, &out, &outlen), -EMSGSIZE);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_int_equal(frame_encode(pl, 16, 16, &out, &outlen), 0);
	assert_int_equal(outlen, 20);
	assert_int_equal(out[3], 16);
	free(out);
	assert_int_equal(frame_encode(NULL, 0, 16, &out, &outlen), 0);
	assert_int_equal(outlen, 4);
	free(out);
}

/* --- wire frames --- */

/* Encode f, read it back through a frame reader, decode. */
static Homeward__Wire__Frame *
wire_roundtrip(Homeward__Wire__Frame *f)
{
	struct frame_reader r;
	Homeward__Wire__Frame *g;
	uint8_t *enc, *pl;
	size_t enclen, used, plen;
	int err = 1;

	assert_int_equal(wire_frame_encode(f, &enc, &enclen), 0);
	assert_int_equal(f->version, WIRE_PROTOCOL_VERSION);
	frame_reader_init(&r, FRAME_WIRE_MAX);
	assert_int_equal(frame_reader_feed(&r, enc, enclen, &used, &pl, &plen), FRAME_READY);
	assert_int_equal(used, enclen);
	g = wire_frame_decode(pl, plen, &err);
	assert_non_null(g);
	assert_int_equal(err, 0);
	free(pl);
	free(enc);
	frame_reader_free(&r);
	return g;
}

static void
test_wire_kinds_roundtrip(void **state)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT, *g;
	Homeward__Wire__Hello hello = HOMEWARD__WIRE__HELLO__INIT;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	Homeward__Wire__Refused ref = HOMEWARD__WIRE__REFUSED__INIT;
	Homeward__Keys__Bundle b = HOMEWARD__KEYS__BUNDLE__INIT;
	uint8_t rik[32], env[700], id[16];

	(void)state;
	memset(rik, 0xa1, sizeof(rik));
	memset(env, 0x5e, sizeof(env));
	memset(id, 0x1d, sizeof(id));

	hello.rik.data = rik;
	hello.rik.len = sizeof(rik);
	hello.software = "homewardd 0.1.0";
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HELLO;
	f.hello = &hello;
	g = wire_roundtrip(&f);
	assert_int_equal(g->kind_case, HOMEWARD__WIRE__FRAME__KIND_HELLO);
	assert_int_equal(g->hello->rik.len, 32);
	assert_memory_equal(g->hello->rik.data, rik, 32);
	assert_string_equal(g->hello->software, "homewardd 0.1.0");
	homeward__wire__frame__free_unpacked(g, NULL);

	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_ENVELOPE;
	f.envelope.data = env;
	f.envelope.len = sizeof(env);
	g = wire_roundtrip(&f);
	assert_int_equal(g->kind_case, HOMEWARD__WIRE__FRAME__KIND_ENVELOPE);
	assert_int_equal(g->envelope.len, sizeof(env));
	assert_memory_equal(g->envelope.data, env, sizeof(env));
	homeward__wire__frame__free_unpacked(g, NULL);

	hb.sent_at = 1767225600000ull;
	hb.reply = 1;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &hb;
	g = wire_roundtrip(&f);
	assert_int_equal(g->kind_case, HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT);
	assert_int_equal(g->heartbeat->sent_at, 1767225600000ull);
	assert_true(g->heartbeat->reply);
	homeward__wire__frame__free_unpacked(g, NULL);

	ref.message_id.data = id;
	ref.message_id.len = sizeof(id);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_REFUSED;
	f.refused = &ref;
	g = wire_roundtrip(&f);
	assert_int_equal(g->kind_case, HOMEWARD__WIRE__FRAME__KIND_REFUSED);
	assert_memory_equal(g->refused->message_id.data, id, 16);
	homeward__wire__frame__free_unpacked(g, NULL);

	b.version = 1;
	b.rik.data = rik;
	b.rik.len = sizeof(rik);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_BUNDLE;
	f.bundle = &b;
	g = wire_roundtrip(&f);
	assert_int_equal(g->kind_case, HOMEWARD__WIRE__FRAME__KIND_BUNDLE);
	assert_int_equal(g->bundle->version, 1);
	assert_memory_equal(g->bundle->rik.data, rik, 32);
	homeward__wire__frame__free_unpacked(g, NULL);
}

static void
test_wire_version_mismatch(void **state)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat hb = HOMEWARD__WIRE__HEARTBEAT__INIT;
	uint8_t buf[64];
	size_t n;
	int err = 0;

	(void)state;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &hb;
	f.version = WIRE_PROTOCOL_VERSION + 1;
	n = homeward__wire__frame__pack(&f, buf);
	assert_null(wire_frame_decode(buf, n, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);

	/* A newer version with a kind we do not know: still a version error. */
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND__NOT_SET;
	n = homeward__wire__frame__pack(&f, buf);
	assert_null(wire_frame_decode(buf, n, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);

	/* No version at all is not one of our frames. */
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.version = 0;
	n = homeward__wire__frame__pack(&f, buf);
	assert_null(wire_frame_decode(buf, n, &err));
	assert_int_equal(err, -EBADMSG);
}

static void
test_wire_malformed(void **state)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Refused ref = HOMEWARD__WIRE__REFUSED__INIT;
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t id[16] = { 0 }, buf[64];
	uint8_t *out = buf;
	size_t n, outlen = 9;
	int err = 0;

	(void)state;
	assert_null(wire_frame_decode(junk, sizeof(junk), &err));
	assert_int_equal(err, -EBADMSG);

	/* Version but no kind. */
	f.version = WIRE_PROTOCOL_VERSION;
	n = homeward__wire__frame__pack(&f, buf);
	err = 0;
	assert_null(wire_frame_decode(buf, n, &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(wire_frame_decode(NULL, 0, &err));
	assert_int_equal(err, -EBADMSG);
	/* Nor does the encoder send one. */
	assert_int_equal(wire_frame_encode(&f, &out, &outlen), -EINVAL);
	assert_null(out);
	assert_int_equal(outlen, 0);

	/* Truncated: every proper prefix of a valid frame is refused. */
	ref.message_id.data = id;
	ref.message_id.len = sizeof(id);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_REFUSED;
	f.refused = &ref;
	n = homeward__wire__frame__pack(&f, buf);
	for (size_t k = 1; k < n; k++) {
		Homeward__Wire__Frame *g = wire_frame_decode(buf, k, &err);

		/* The prefix holding the version alone parses, but has no
		 * kind; every other prefix cuts a field. */
		assert_null(g);
		assert_int_equal(err, -EBADMSG);
	}
}

/* Found by fuzz_frame: protobuf-c keeps a field numbered 0 (here inside
 * a Heartbeat, tag varint 80 00) as an unknown field and then packs bytes
 * it will not parse back.  Such frames are malformed. */
static void
test_wire_field_number_zero(void **state)
{
	static const uint8_t nested[] = { 0x08, 0x01, 0x2a, 0x09, 0x08, 0x80, 0x08,
	    0x80, 0x00, 0xb7, 0x33, 0x10, 0x01 };
	static const uint8_t top[] = { 0x08, 0x01, 0x2a, 0x00, 0x00, 0x05 };
	static const uint8_t fine[] = { 0x08, 0x01, 0x2a, 0x02, 0x10, 0x01,
	    0xf8, 0x01, 0x07 };     /* unknown field 31: kept, harmless */
	Homeward__Wire__Frame *f;
	int err;

	(void)state;
	assert_null(wire_frame_decode(nested, sizeof(nested), &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(wire_frame_decode(top, sizeof(top), &err));
	assert_int_equal(err, -EBADMSG);
	f = wire_frame_decode(fine, sizeof(fine), &err);
	assert_non_null(f);
	assert_int_equal(err, 0);
	homeward__wire__frame__free_unpacked(f, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_frames_in_one_buffer),
		cmocka_unit_test(test_split_at_every_byte_boundary),
		cmocka_unit_test(test_one_byte_at_a_time),
		cmocka_unit_test(test_header_split),
		cmocka_unit_test(test_empty_feed),
		cmocka_unit_test(test_zero_length_payload),
		cmocka_unit_test(test_oversized_refused_before_allocating),
		cmocka_unit_test(test_encode_cap),
		cmocka_unit_test(test_wire_kinds_roundtrip),
		cmocka_unit_test(test_wire_version_mismatch),
		cmocka_unit_test(test_wire_malformed),
		cmocka_unit_test(test_wire_field_number_zero),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
