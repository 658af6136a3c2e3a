/*
 * Unit tests: the referral vectors (tests/vectors/referral.json,
 * docs/PROTOCOL.md 17.5) against proto/refcat and common/docjson: every
 * document carries exactly its stated categories, is canonical (unpack
 * and pack give the same bytes) and is the encoding of its own "json";
 * every reject is refused by refcat_of_body and refcat_check_body; the
 * file covers every document type and every defect section 17.5 lists;
 * every header reject gives its alert kind under daemon/rules/header.c,
 * judged here from the entry alone, and every kind has one.
 * Run from the repository root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/docjson.h"
#include "daemon/rules/header.h"
#include "proto/refcat.h"
#include "tests/lib/vecjson.h"

#define REFERRAL_JSON   "tests/vectors/referral.json"

static int
setup(void **state)
{
	json_error_t err;
	json_t *root;

	if ((root = json_load_file(REFERRAL_JSON, 0, &err)) == NULL) {
		print_error("cannot load %s (line %d): %s\n", REFERRAL_JSON,
		    err.line, err.text);
		return -1;
	}
	*state = root;
	return 0;
}

static int
teardown(void **state)
{
	json_decref(*state);
	return 0;
}

static const json_t *
entries(const json_t *root, const char *key)
{
	const json_t *arr = json_object_get(root, key);

	assert_true(json_is_array(arr));
	assert_true(json_array_size(arr) > 0);
	return arr;
}

static uint16_t
msg_type_of(const json_t *e)
{
	uint64_t t;

	assert_int_equal(vj_get_u64(e, "msg_type", &t), 0);
	assert_true(t <= UINT16_MAX);
	return (uint16_t)t;
}

static void
test_format(void **state)
{
	const json_t *root = *state;
	uint64_t v;

	assert_string_equal(vj_get_str(root, "format"),
	    "homeward-referral-vectors");
	assert_int_equal(vj_get_u64(root, "version", &v), 0);
	assert_int_equal(v, 1);
}

/* The categories array, checked to be names in category order, as the
 * comma-separated list refcat_mask_format writes. */
static void
categories_list(const json_t *e, char *out, size_t len)
{
	const json_t *arr = json_object_get(e, "categories"), *c;
	size_t i, used = 0;
	int last = 0;

	assert_true(json_is_array(arr));
	out[0] = '\0';
	json_array_foreach(arr, i, c) {
		const char *name = json_string_value(c);
		int cat = refcat_parse(name);

		assert_true(cat > last);
		last = cat;
		assert_true(used + strlen(name) + 2 < len);
		if (used > 0)
			out[used++] = ',';
		strcpy(out + used, name);
		used += strlen(name);
	}
}

static void
test_documents(void **state)
{
	const json_t *arr = entries(*state, "documents"), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *name = vj_get_str(e, "name");
		uint16_t type = msg_type_of(e);
		const ProtobufCMessageDescriptor *d = refcat_descriptor(type);
		ProtobufCMessage *m, *back;
		json_t *shown;
		uint8_t *body, *again;
		size_t len;
		uint32_t mask = 0;
		char want[128], got[128], err[256];

		assert_non_null(name);
		assert_non_null(d);
		assert_int_equal(vj_get_hex_alloc(e, "body", &body, &len), 0);
		categories_list(e, want, sizeof(want));
		if (refcat_of_body(type, body, len, &mask) != 0)
			fail_msg("%s: refused", name);
		assert_int_equal(refcat_mask_format(mask, got, sizeof(got)), 0);
		if (strcmp(got, want) != 0)
			fail_msg("%s: carries %s, the file says %s", name, got, want);
		assert_int_equal(refcat_check_body(NULL, type, body, len), 0);

		/* Canonical: unpack then pack gives the body back. */
		m = protobuf_c_message_unpack(d, NULL, len, body);
		assert_non_null(m);
		assert_int_equal(protobuf_c_message_get_packed_size(m), len);
		assert_non_null(again = malloc(len + 1));
		assert_int_equal(protobuf_c_message_pack(m, again), len);
		assert_memory_equal(again, body, len);
		assert_int_equal(refcat_of(m), mask);

		/* "json" is what the body shows, and encodes to the body. */
		assert_non_null(shown = docjson_from_pb(m, 0));
		if (!json_equal(shown, json_object_get(e, "json")))
			fail_msg("%s: json is not what the body renders", name);
		if (docjson_to_pb(json_object_get(e, "json"), d, &back, err,
		    sizeof(err)) != 0)
			fail_msg("%s: json does not parse: %s", name, err);
		assert_int_equal(protobuf_c_message_get_packed_size(back), len);
		memset(again, 0, len);
		assert_int_equal(protobuf_c_message_pack(back, again), len);
		assert_memory_equal(again, body, len);

		protobuf_c_message_free_unpacked(back, NULL);
		protobuf_c_message_free_unpacked(m, NULL);
		json_decref(shown);
		free(again);
		free(body);
	}
}

static void
test_rejects(void **state)
{
	const json_t *arr = entries(*state, "rejects"), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *name = vj_get_str(e, "name");
		const char *why = vj_get_str(e, "why");
		uint16_t type = msg_type_of(e);
		uint32_t mask = 0xa5a5a5a5;
		uint8_t *body;
		size_t len;

		assert_non_null(name);
		assert_true(why != NULL && *why != '\0');
		assert_int_equal(vj_get_hex_alloc(e, "body", &body, &len), 0);
		if (refcat_of_body(type, body, len, &mask) != -EINVAL)
			fail_msg("%s: not refused", name);
		assert_int_equal(mask, 0xa5a5a5a5);
		if (refcat_check_body(NULL, type, body, len) == 0)
			fail_msg("%s: refcat_check_body accepts it", name);
		free(body);
	}
}

/* 1 when the entry of arr named name exists. */
static int
has_entry(const json_t *arr, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(vj_get_str(e, "name"), name) == 0)
			return 1;
	return 0;
}

/* Nine types, each twice or more, one of them a bare header with a case
 * code. */
static void
test_documents_cover_every_type(void **state)
{
	static const uint16_t types[] = { 1, 2, 3, 4, 5, 6, 7, 0x101, 0x102 };
	const json_t *arr = entries(*state, "documents"), *e;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		size_t i;
		int n = 0, minimal = 0;

		json_array_foreach(arr, i, e) {
			const json_t *doc = json_object_get(e, "json");
			const json_t *hdr = json_object_get(doc, "header");

			if (msg_type_of(e) != types[t])
				continue;
			n++;
			minimal |= json_object_size(doc) == 1 &&
			    json_object_size(hdr) == 1 &&
			    json_is_string(json_object_get(hdr, "case_code"));
		}
		if (n < 2 || !minimal)
			fail_msg("msg_type %#x: %d documents, minimal %d", types[t],
			    n, minimal);
	}
	/* The cases 17.5 names. */
	assert_true(has_entry(arr, "assistance_request_empty_security"));
	assert_true(has_entry(arr, "reintegration_request_health_only"));
	assert_true(has_entry(arr, "reintegration_confirmation_empty_element"));
	assert_true(has_entry(arr, "assistance_confirmation_case_only"));
	assert_true(has_entry(arr, "assistance_confirmation_free_text"));
	assert_true(has_entry(arr, "arrival_confirmation_case_only"));
	assert_true(has_entry(arr, "arrival_confirmation_not_arrived"));
}

static void
test_rejects_cover_every_defect(void **state)
{
	static const char *const want[] = {
		"unknown_field_top", "unknown_field_nested", "unknown_field_deep",
		"unknown_field_in_repeated", "field_number_zero",
		"field_number_zero_padded", "explicit_zero_uint64",
		"explicit_zero_enum", "explicit_false_nested",
		"explicit_empty_string", "scalar_field_twice",
		"string_field_twice", "message_field_twice",
		"fields_out_of_order", "padded_varint", "padded_key",
		"padded_length", "bool_not_0_or_1", "uint32_overflow",
		"unpacked_repeated_enum", "packed_run_split", "empty_packed_run",
		"nul_in_case_code", "nul_in_nested_string",
		"not_utf8_case_code", "not_utf8_surrogate",
		"truncated_last_byte", "truncated_varint", "length_past_end",
		"wrong_wire_type", "group_wire_type", "not_a_document_type",
	};
	const json_t *arr = entries(*state, "rejects");

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_entry(arr, want[i]))
			fail_msg("no reject %s", want[i]);
	assert_int_equal(json_array_size(arr), sizeof(want) / sizeof(want[0]));
}

/* A body one byte away from a document is refused: the reject check is
 * not vacuous.  (Appending field 99 to each document.) */
static void
test_documents_with_unknown_field_refused(void **state)
{
	const json_t *arr = entries(*state, "documents"), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		uint16_t type = msg_type_of(e);
		uint8_t *body, *b;
		size_t len;
		uint32_t mask;

		assert_int_equal(vj_get_hex_alloc(e, "body", &body, &len), 0);
		assert_non_null(b = malloc(len + 3));
		memcpy(b, body, len);
		b[len] = 0x98;          /* key: field 99, varint */
		b[len + 1] = 0x06;
		b[len + 2] = 0x01;
		assert_int_equal(refcat_of_body(type, b, len + 3, &mask), -EINVAL);
		assert_int_not_equal(refcat_check_body(NULL, type, b, len + 3), 0);
		free(b);
		free(body);
	}
}

/* --- header_rejects (PROTOCOL.md 21.8) ---------------------------------------- */

static ProtobufCMessage *
unpack_hex(const json_t *o, const char *key, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m;
	uint8_t *b;
	size_t n;

	assert_int_equal(vj_get_hex_alloc(o, key, &b, &n), 0);
	m = protobuf_c_message_unpack(d, NULL, n, b);
	assert_non_null(m);
	free(b);
	return m;
}

/* sent_consents[i] as the gate's struct consent. */
static void
consent_of(const json_t *hex, struct consent *c)
{
	Homeward__Referral__ConsentScope *s;
	json_t *o = json_object();

	json_object_set(o, "b", (json_t *)hex);
	s = (void *)unpack_hex(o, "b", &homeward__referral__consent_scope__descriptor);
	memset(c, 0, sizeof(*c));
	assert_int_equal(s->consent_id.len, 16);
	memcpy(c->id, s->consent_id.data, 16);
	assert_true(s->n_recipients <= CONSENT_MAX_RECIPIENTS);
	for (size_t i = 0; i < s->n_recipients; i++)
		snprintf(c->recipients[i], sizeof(c->recipients[i]), "%s",
		    s->recipients[i]);
	c->nrecipients = s->n_recipients;
	for (size_t i = 0; i < s->n_steps; i++)
		c->steps |= 1u << s->steps[i];
	for (size_t i = 0; i < s->n_categories; i++)
		c->categories |= REFCAT_BIT(s->categories[i]);
	protobuf_c_message_free_unpacked(&s->base, NULL);
	json_decref(o);
}

/* The entry judged as a recipient would: basis, in_reply_to, times. */
static const char *
judge_entry(const json_t *e)
{
	const json_t *rcpt = json_object_get(e, "recipient"), *ans, *sent, *h;
	struct consent consents[4];
	struct header_ctx ctx;
	struct header_reply r;
	ProtobufCMessage *m, *answered = NULL;
	enum header_breach b;
	uint8_t irt[16], zero[16] = { 0 };
	uint64_t at, t;
	char why[256];
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.msg_type = msg_type_of(e);
	ctx.self = vj_get_str(rcpt, "agency_id");
	ctx.answer = strcmp(vj_get_str(rcpt, "role"), "destination") == 0;
	sent = json_object_get(e, "sent_consents");
	assert_true(json_array_size(sent) <= 4);
	json_array_foreach(sent, i, h)
		consent_of(h, &consents[i]);
	ctx.sent = consents;
	ctx.nsent = json_array_size(sent);
	assert_int_equal(vj_get_u64(e, "created_at", &at), 0);
	ctx.now = at;
	m = unpack_hex(e, "body", refcat_descriptor(ctx.msg_type));
	ctx.categories = refcat_of(m);
	b = header_basis_check(&ctx,
	    ((Homeward__Referral__AssistanceRequest *)(void *)m)->header, why,
	    sizeof(why));
	memset(&r, 0, sizeof(r));
	assert_int_equal(vj_get_hex(e, "in_reply_to", irt, 16), 0);
	r.zero = memcmp(irt, zero, 16) == 0;
	if (json_is_object(ans = json_object_get(e, "answered"))) {
		assert_int_equal(vj_get_u64(ans, "msg_type", &t), 0);
		r.ours = 1;
		r.msg_type = (uint16_t)t;
		answered = unpack_hex(ans, "body", refcat_descriptor(r.msg_type));
		if (r.msg_type == 5)
			r.kind = ((Homeward__Referral__DepartureNotification *)
			    (void *)answered)->kind;
	}
	if (b == HEADER_OK && ctx.answer)
		b = header_reply_check(ctx.msg_type, &r, why, sizeof(why));
	if (b == HEADER_OK)
		b = header_time_check(ctx.msg_type, m, r.msg_type == 5 ?
		    (const void *)answered : NULL, at, why, sizeof(why));
	protobuf_c_message_free_unpacked(m, NULL);
	if (answered != NULL)
		protobuf_c_message_free_unpacked(answered, NULL);
	return header_breach_kind(b);
}

static void
test_header_rejects(void **state)
{
	static const char *const kinds[] = { "header_scope", "header_safety",
	    "header_same_approver", "header_unknown_consent", "header_recipients",
	    "header_basis", "header_categories", "in_reply_to",
	    "implausible_time" };
	const json_t *arr = entries(*state, "header_rejects"), *e;
	unsigned seen = 0;
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *name = vj_get_str(e, "name"), *want = vj_get_str(e, "alert");
		const char *got;
		uint8_t *body;
		size_t len;

		assert_non_null(name);
		assert_non_null(want);
		assert_true(vj_get_str(e, "why") != NULL);
		/* The body is a valid document: this is not section 8's refusal. */
		assert_int_equal(vj_get_hex_alloc(e, "body", &body, &len), 0);
		if (refcat_check_body(NULL, msg_type_of(e), body, len) != 0)
			fail_msg("%s: its body is refused", name);
		free(body);
		got = judge_entry(e);
		if (strcmp(got, want) != 0)
			fail_msg("%s: %s, wanted %s", name, *got ? got : "applied", want);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kinds[k], want) == 0)
				seen |= 1u << k;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!(seen & (1u << k)))
			fail_msg("no header reject of kind %s", kinds[k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_documents_cover_every_type),
		cmocka_unit_test(test_rejects_cover_every_defect),
		cmocka_unit_test(test_documents_with_unknown_field_refused),
		cmocka_unit_test(test_header_rejects),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
