/*
 * The "rejects" of tests/vectors/referral.json (docs/PROTOCOL.md 17.5):
 * document bodies a recipient MUST refuse (section 21.1), written byte by
 * byte here, since protobuf-c never writes most of them.
 *
 * Each reject comes with a twin that differs from it only by the defect
 * and that refcat_of_body accepts, so that a refusal cannot come from some
 * other slip in the bytes; and the generator checks the defect is the one
 * stated: that the body does not decode, or decodes with unknown fields
 * and nothing else wrong (protobuf-c packs it back to the same bytes), or
 * decodes to a message whose encoding is exactly the twin.  The helpers
 * are themselves checked: a document they write must be byte for byte
 * what protobuf-c packs from the same document (as docjson).
 *
 * The protobuf encoding in brief: a field is a key, varint(number << 3 |
 * wire type), then a varint (wire type 0) or a varint length and that many
 * bytes (wire type 2: strings, bytes, messages, packed repeated scalars).
 * Varints are little-endian groups of 7 bits, the high bit set on every
 * byte but the last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pbcheck.h"
#include "proto/refcat.h"
#include "tests/vectors/vecgen.h"

#define WT_VARINT       0
#define WT_LEN          2
#define WT_SGROUP       3

#define NOW             FIXTURE_NOW
#define DAY             FIXTURE_DAY

/* Field numbers of referral.proto used below. */
#define DOC_HEADER      1       /* every document */
#define HDR_CASE_CODE   1
#define HDR_CONSENT     2
#define CS_CONSENT_ID   1
#define CS_RECIPIENTS   2
#define CS_STEPS        3
#define CS_GIVEN_AT     5
#define CS_METHOD       7
#define AR_SCENARIO     2
#define AR_PROFILE      3
#define AR_NEEDS        4
#define AR_REPLY_BY     7
#define AR_IDENTITY     8
#define PR_SEX          1
#define PR_AGE          2
#define PR_MINOR        4
#define PR_LANGUAGES    6
#define ID_FULL_NAME    1
#define ID_DOCUMENTS    3
#define IDD_KIND        1
#define IDD_NUMBER      2
#define AC_REASONS      3
#define DN_LEGS         3
#define LEG_MODE        1

/* A body being written by hand. */
struct pb {
	uint8_t         b[512];
	size_t          n;
};

static void
pb_byte(struct pb *p, uint8_t c)
{
	if (p->n >= sizeof(p->b))
		vg_die("hand encoding too long");
	p->b[p->n++] = c;
}

static void
pb_raw(struct pb *p, const void *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_byte(p, ((const uint8_t *)v)[i]);
}

static void
pb_varint(struct pb *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		pb_byte(p, (uint8_t)(v | 0x80));
	pb_byte(p, (uint8_t)v);
}

/* v in pad bytes more than it needs: the last byte keeps its continuation
 * bit, then 0x80 bytes and a final 0x00 (value bits all zero). */
static void
pb_varint_padded(struct pb *p, uint64_t v, int pad)
{
	for (; v >= 0x80; v >>= 7)
		pb_byte(p, (uint8_t)(v | 0x80));
	pb_byte(p, (uint8_t)(v | 0x80));
	for (int i = 1; i < pad; i++)
		pb_byte(p, 0x80);
	pb_byte(p, 0x00);
}

static void
pb_key(struct pb *p, uint32_t field, int wt)
{
	pb_varint(p, (uint64_t)field << 3 | (uint64_t)wt);
}

static void
pb_uint(struct pb *p, uint32_t field, uint64_t v)
{
	pb_key(p, field, WT_VARINT);
	pb_varint(p, v);
}

static void
pb_bytes(struct pb *p, uint32_t field, const void *v, size_t n)
{
	pb_key(p, field, WT_LEN);
	pb_varint(p, n);
	pb_raw(p, v, n);
}

static void
pb_str(struct pb *p, uint32_t field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

static void
pb_msg(struct pb *p, uint32_t field, const struct pb *sub)
{
	pb_bytes(p, field, sub->b, sub->n);
}

/* A packed repeated varint field (what proto3 requires of repeated enums). */
static void
pb_packed(struct pb *p, uint32_t field, const uint64_t *v, size_t n)
{
	struct pb run = { .n = 0 };

	for (size_t i = 0; i < n; i++)
		pb_varint(&run, v[i]);
	pb_msg(p, field, &run);
}

/* A CaseHeader holding only case_code. */
static void
header(struct pb *p, const char *code)
{
	memset(p, 0, sizeof(*p));
	pb_str(p, HDR_CASE_CODE, code);
}

/* A document holding only such a header. */
static void
doc_min(struct pb *p, const char *code)
{
	struct pb h;

	header(&h, code);
	memset(p, 0, sizeof(*p));
	pb_msg(p, DOC_HEADER, &h);
}

static const uint8_t CONSENT_ID[16] = {
	0x5e, 0xed, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
};

#define GIVEN_AT        (NOW - 12 * DAY + 34200000)     /* 2025-12-20T09:30Z */
#define REPLY_BY        (NOW + 14 * DAY)                /* 2026-01-15T00:00Z */

/*
 * An AssistanceRequest with nesting, repeated strings and messages, packed
 * enums, bytes and times, written by hand; it must equal protobuf-c's
 * encoding of REF_JSON.
 */
static void
ar_ref(struct pb *p, int with_identity)
{
	static const uint64_t steps[] = { 1, 2 }, needs[] = { 1, 2 };
	struct pb h, cs, pr, id, dd;

	memset(&cs, 0, sizeof(cs));
	pb_bytes(&cs, CS_CONSENT_ID, CONSENT_ID, sizeof(CONSENT_ID));
	pb_str(&cs, CS_RECIPIENTS, "beta");
	pb_str(&cs, CS_RECIPIENTS, "gamma");
	pb_packed(&cs, CS_STEPS, steps, 2);
	pb_uint(&cs, CS_GIVEN_AT, GIVEN_AT);
	pb_uint(&cs, CS_METHOD, 2);
	header(&h, "SYN-AR-0100");
	pb_msg(&h, HDR_CONSENT, &cs);
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_SEX, 1);
	pb_uint(&pr, PR_AGE, 16);
	pb_str(&pr, PR_LANGUAGES, "fr");
	pb_str(&pr, PR_LANGUAGES, "en");
	memset(&dd, 0, sizeof(dd));
	pb_str(&dd, IDD_KIND, "passport");
	pb_str(&dd, IDD_NUMBER, "SYN000001");
	memset(&id, 0, sizeof(id));
	pb_str(&id, ID_FULL_NAME, "Synthetic Person A");
	pb_msg(&id, ID_DOCUMENTS, &dd);

	memset(p, 0, sizeof(*p));
	pb_msg(p, DOC_HEADER, &h);
	pb_uint(p, AR_SCENARIO, 2);
	pb_msg(p, AR_PROFILE, &pr);
	pb_packed(p, AR_NEEDS, needs, 2);
	pb_uint(p, AR_REPLY_BY, REPLY_BY);
	if (with_identity)
		pb_msg(p, AR_IDENTITY, &id);
}

static const char REF_JSON[] =
	"{'header': {'case_code': 'SYN-AR-0100', 'consent': {"
	"'consent_id': '5eed0000000000000000000000000001', "
	"'recipients': ['beta', 'gamma'], "
	"'steps': ['assistance_request', 'assistance_confirmation'], "
	"'given_at': '2025-12-20T09:30:00Z', 'method': 'oral_interpreted'}}, "
	"'scenario': 'police_or_ngo', "
	"'profile': {'sex': 'female', 'age': 16, 'languages': ['fr', 'en']}, "
	"'needs': ['shelter', 'medical'], 'reply_by': '2026-01-15T00:00:00Z', "
	"'identity': {'full_name': 'Synthetic Person A', "
	"'documents': [{'kind': 'passport', 'number': 'SYN000001'}]}}";

/* The hand encoder against protobuf-c. */
static void
check_helpers(void)
{
	struct pb p;
	uint8_t *body;
	size_t len;

	ar_ref(&p, 1);
	vg_doc_body("reject helpers", ENV1_MSG_ASSISTANCE_REQUEST, REF_JSON,
	    &body, &len);
	if (len != p.n || memcmp(body, p.b, len) != 0)
		vg_die("the hand encoding and protobuf-c disagree");
	free(body);
}

enum defect {
	DEFECT_DECODE,          /* protobuf-c does not decode it */
	DEFECT_UNKNOWN,         /* decodes, canonical, with unknown fields */
	DEFECT_NONCANON,        /* decodes to a message encoded as the twin */
	DEFECT_TYPE,            /* not a document type; the twin's type is */
	DEFECT_FIELD_ZERO,      /* decodes with an unknown field numbered 0 */
	DEFECT_UTF8,            /* decodes, canonical, a string not UTF-8 */
};

static void
emit(json_t *arr, const char *name, uint16_t msg_type, enum defect defect,
    const struct pb *bad, uint16_t twin_type, const struct pb *twin,
    const char *why)
{
	const ProtobufCMessageDescriptor *d = refcat_descriptor(msg_type);
	ProtobufCMessage *m = NULL;
	uint8_t again[sizeof(bad->b)];
	uint32_t mask = 0xa5a5a5a5;
	size_t n = 0;
	json_t *o;

	if (refcat_of_body(msg_type, bad->b, bad->n, &mask) != -EINVAL ||
	    mask != 0xa5a5a5a5)
		vg_die("%s: refcat_of_body does not refuse it", name);
	if (refcat_check_body(NULL, msg_type, bad->b, bad->n) == 0)
		vg_die("%s: refcat_check_body accepts it", name);
	if (refcat_of_body(twin_type, twin->b, twin->n, &mask) != 0)
		vg_die("%s: its twin is refused too", name);
	if (d != NULL && (m = protobuf_c_message_unpack(d, NULL, bad->n,
	    bad->b)) != NULL) {
		if (defect == DEFECT_FIELD_ZERO && pbcheck_unknown_fields(m))
			vg_die("%s: no field numbered 0", name);
		if ((n = protobuf_c_message_get_packed_size(m)) > sizeof(again))
			vg_die("%s: decodes to something long", name);
		protobuf_c_message_pack(m, again);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	switch (defect) {
	case DEFECT_DECODE:
		if (d == NULL || m != NULL)
			vg_die("%s: decodes", name);
		break;
	case DEFECT_UNKNOWN:
	case DEFECT_UTF8:
		if (m == NULL || n != bad->n || memcmp(again, bad->b, n) != 0)
			vg_die("%s: decodes to something else", name);
		break;
	case DEFECT_NONCANON:
		if (m == NULL || n != twin->n || memcmp(again, twin->b, n) != 0)
			vg_die("%s: does not decode to its twin", name);
		break;
	case DEFECT_FIELD_ZERO:
		if (m == NULL)
			vg_die("%s: does not decode", name);
		break;
	case DEFECT_TYPE:
		if (d != NULL || refcat_descriptor(twin_type) == NULL ||
		    twin->n != bad->n || memcmp(twin->b, bad->b, bad->n) != 0)
			vg_die("%s: not just the type", name);
		break;
	}
	o = json_object();
	vj_set_str(o, "name", name);
	vj_set_u64(o, "msg_type", msg_type);
	vj_set_hex(o, "body", bad->b, bad->n);
	vj_set_str(o, "why", why);
	json_array_append_new(arr, o);
}

/* Unknown fields, at every depth: the gate cannot classify them. */
static void
unknown_fields(json_t *arr)
{
	struct pb bad, twin, h, cs, leg;

	doc_min(&twin, "SYN-RJ-0001");
	bad = twin;
	pb_uint(&bad, 99, 1);
	emit(arr, "unknown_field_top", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_UNKNOWN, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "field 99 (varint 1) in the AssistanceRequest itself: "
	    "AssistanceRequest has no field 99");

	header(&h, "SYN-RJ-0002");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	pb_str(&h, 15, "x");
	memset(&bad, 0, sizeof(bad));
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "unknown_field_nested", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_UNKNOWN, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "field 15 (string \"x\") inside header: CaseHeader has no field 15");

	memset(&cs, 0, sizeof(cs));
	pb_bytes(&cs, CS_CONSENT_ID, CONSENT_ID, sizeof(CONSENT_ID));
	header(&h, "SYN-RJ-0003");
	pb_msg(&h, HDR_CONSENT, &cs);
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	pb_uint(&cs, 12, 7);
	header(&h, "SYN-RJ-0003");
	pb_msg(&h, HDR_CONSENT, &cs);
	memset(&bad, 0, sizeof(bad));
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "unknown_field_deep", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_UNKNOWN, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "field 12 (varint 7) in header.consent, three messages deep: "
	    "ConsentScope has no field 12");

	doc_min(&twin, "SYN-RJ-0004");
	memset(&leg, 0, sizeof(leg));
	pb_uint(&leg, LEG_MODE, 1);
	pb_msg(&twin, DN_LEGS, &leg);
	pb_msg(&twin, DN_LEGS, &leg);
	doc_min(&bad, "SYN-RJ-0004");
	pb_msg(&bad, DN_LEGS, &leg);
	pb_str(&leg, 20, "Synthetic Person A");
	pb_msg(&bad, DN_LEGS, &leg);
	emit(arr, "unknown_field_in_repeated", ENV1_MSG_DEPARTURE_NOTIFICATION,
	    DEFECT_UNKNOWN, &bad, ENV1_MSG_DEPARTURE_NOTIFICATION, &twin,
	    "field 20 (a name) in the second of two legs: TravelLeg has no "
	    "field 20");

	/* Field number 0, which protobuf forbids: protobuf-c refuses the key
	 * 00 but keeps the same key padded (80 00) as an unknown field. */
	doc_min(&twin, "SYN-RJ-0005");
	bad = twin;
	pb_uint(&bad, 0, 1);
	emit(arr, "field_number_zero", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "a field numbered 0 (key 00, varint 1), which protobuf forbids");
	bad = twin;
	pb_varint_padded(&bad, 0, 1);
	pb_varint(&bad, 1);
	emit(arr, "field_number_zero_padded", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_FIELD_ZERO, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "a field numbered 0 with its key padded (80 00, varint 1); "
	    "protobuf-c keeps it as an unknown field");
}

/* Encodings protobuf-c accepts but would never write: the body is not the
 * encoding of what it decodes to (21.1). */
static void
explicit_defaults(json_t *arr)
{
	struct pb bad, twin, pr;

	doc_min(&twin, "SYN-RJ-0010");
	bad = twin;
	pb_uint(&bad, AR_REPLY_BY, 0);
	emit(arr, "explicit_zero_uint64", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "reply_by = 0 written out (38 00): a proto3 field holding its "
	    "default is not encoded");

	doc_min(&twin, "SYN-RJ-0011");
	bad = twin;
	pb_uint(&bad, AR_SCENARIO, 0);
	emit(arr, "explicit_zero_enum", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "scenario = SCENARIO_UNSPECIFIED (0) written out (10 00)");

	doc_min(&twin, "SYN-RJ-0012");
	bad = twin;
	memset(&pr, 0, sizeof(pr));
	pb_msg(&twin, AR_PROFILE, &pr);
	pb_uint(&pr, PR_MINOR, 0);
	pb_msg(&bad, AR_PROFILE, &pr);
	emit(arr, "explicit_false_nested", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "profile.minor = false written out (1a 02 20 00); the canonical "
	    "form is an empty profile (1a 00), which still carries profile");

	doc_min(&twin, "SYN-RJ-0013");
	bad = twin;
	pb_str(&bad, AC_REASONS, "");
	emit(arr, "explicit_empty_string", ENV1_MSG_ASSISTANCE_CONFIRMATION,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_CONFIRMATION, &twin,
	    "reasons = \"\" written out (1a 00)");
}

static void
repeated_and_order(json_t *arr)
{
	struct pb bad, twin, h, pr;

	doc_min(&twin, "SYN-RJ-0020");
	bad = twin;
	pb_uint(&twin, AR_REPLY_BY, REPLY_BY);
	pb_uint(&bad, AR_REPLY_BY, REPLY_BY - DAY);
	pb_uint(&bad, AR_REPLY_BY, REPLY_BY);
	emit(arr, "scalar_field_twice", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "reply_by twice; a decoder keeps the last, the first is lost");

	header(&h, "SYN-RJ-0021");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	pb_str(&h, HDR_CASE_CODE, "SYN-RJ-0021");
	memset(&bad, 0, sizeof(bad));
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "string_field_twice", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header.case_code twice, same value");

	/* The protobuf rules merge the two occurrences; protobuf-c 1.4 keeps
	 * the last one alone (the twin).  Refused either way. */
	doc_min(&twin, "SYN-RJ-0022");
	bad = twin;
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_SEX, 1);
	pb_msg(&bad, AR_PROFILE, &pr);
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_AGE, 16);
	pb_msg(&bad, AR_PROFILE, &pr);
	pb_msg(&twin, AR_PROFILE, &pr);
	emit(arr, "message_field_twice", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "profile twice, {sex} then {age}: protobuf merges them, "
	    "protobuf-c 1.4 keeps only the last");

	header(&h, "SYN-RJ-0023");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	pb_uint(&twin, AR_REPLY_BY, REPLY_BY);
	memset(&bad, 0, sizeof(bad));
	pb_uint(&bad, AR_REPLY_BY, REPLY_BY);
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "fields_out_of_order", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "reply_by (7) before header (1): fields go in number order");
}

static void
varints(json_t *arr)
{
	static const uint64_t needs[] = { 1, 2 };
	struct pb bad, twin, h, pr;

	doc_min(&twin, "SYN-RJ-0030");
	bad = twin;
	pb_uint(&twin, AR_REPLY_BY, REPLY_BY);
	pb_key(&bad, AR_REPLY_BY, WT_VARINT);
	pb_varint_padded(&bad, REPLY_BY, 1);
	emit(arr, "padded_varint", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "reply_by's varint one byte longer than needed (last byte 0x80 "
	    "then 0x00)");

	header(&h, "SYN-RJ-0031");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	memset(&bad, 0, sizeof(bad));
	pb_varint_padded(&bad, DOC_HEADER << 3 | WT_LEN, 1);
	pb_varint(&bad, h.n);
	pb_raw(&bad, h.b, h.n);
	emit(arr, "padded_key", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header's key written 8a 00 instead of 0a");

	memset(&bad, 0, sizeof(bad));
	pb_key(&bad, DOC_HEADER, WT_LEN);
	pb_varint_padded(&bad, h.n, 2);
	pb_raw(&bad, h.b, h.n);
	emit(arr, "padded_length", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header's length in three bytes instead of one");

	doc_min(&twin, "SYN-RJ-0032");
	bad = twin;
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_MINOR, 1);
	pb_msg(&twin, AR_PROFILE, &pr);
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_MINOR, 2);
	pb_msg(&bad, AR_PROFILE, &pr);
	emit(arr, "bool_not_0_or_1", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "profile.minor encoded as 2: decodes as true, which is written 1");

	doc_min(&twin, "SYN-RJ-0033");
	bad = twin;
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_AGE, 16);
	pb_msg(&twin, AR_PROFILE, &pr);
	memset(&pr, 0, sizeof(pr));
	pb_uint(&pr, PR_AGE, (UINT64_C(1) << 32) + 16);
	pb_msg(&bad, AR_PROFILE, &pr);
	emit(arr, "uint32_overflow", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "profile.age (uint32) encoded as 2^32 + 16: a decoder keeps the "
	    "low 32 bits, 16");

	/* Repeated enums of proto3 are packed: one length-delimited run. */
	doc_min(&twin, "SYN-RJ-0034");
	bad = twin;
	pb_packed(&twin, AR_NEEDS, needs, 2);
	pb_uint(&bad, AR_NEEDS, 1);
	pb_uint(&bad, AR_NEEDS, 2);
	emit(arr, "unpacked_repeated_enum", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "needs [shelter, medical] as two varint fields (20 01 20 02) "
	    "instead of one packed run (22 02 01 02)");

	doc_min(&bad, "SYN-RJ-0034");
	pb_packed(&bad, AR_NEEDS, needs, 1);
	pb_packed(&bad, AR_NEEDS, needs + 1, 1);
	emit(arr, "packed_run_split", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "needs [shelter, medical] as two packed runs (22 01 01 22 01 02)");

	doc_min(&twin, "SYN-RJ-0035");
	bad = twin;
	pb_packed(&bad, AR_NEEDS, needs, 0);
	emit(arr, "empty_packed_run", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "needs as an empty packed run (22 00): an empty repeated field is "
	    "not encoded");
}

/* Text after a NUL: protobuf-c's strings are C strings, so it would cut
 * them there and the walk would never see the rest. */
static void
embedded_nul(json_t *arr)
{
	static const char code[] = "SYN-RJ-0040\0Synthetic Person A";
	static const char name[] = "Synthetic\0Person A";
	struct pb bad, twin, h, id;

	header(&h, "SYN-RJ-0040");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	memset(&h, 0, sizeof(h));
	pb_bytes(&h, HDR_CASE_CODE, code, sizeof(code) - 1);
	memset(&bad, 0, sizeof(bad));
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "nul_in_case_code", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header.case_code \"SYN-RJ-0040\", NUL, then a name: would carry "
	    "identity in a case field");

	doc_min(&twin, "SYN-RJ-0041");
	bad = twin;
	memset(&id, 0, sizeof(id));
	pb_str(&id, ID_FULL_NAME, "Synthetic");
	pb_msg(&twin, AR_IDENTITY, &id);
	memset(&id, 0, sizeof(id));
	pb_bytes(&id, ID_FULL_NAME, name, sizeof(name) - 1);
	pb_msg(&bad, AR_IDENTITY, &id);
	emit(arr, "nul_in_nested_string", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_NONCANON, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "identity.full_name \"Synthetic\", NUL, \"Person A\"");
}

/* Strings that are not UTF-8 (proto3 requires it; protobuf-c does not
 * check): a recipient could store them and never show them. */
static void
not_utf8(json_t *arr)
{
	static const char code[] = "SYN-RJ-0050-\xff\xfe";
	static const char name[] = "Synthetic \xed\xa0\x80 Person";    /* a surrogate */
	struct pb bad, twin, h, id;

	header(&h, "SYN-RJ-0050");
	memset(&twin, 0, sizeof(twin));
	pb_msg(&twin, DOC_HEADER, &h);
	memset(&h, 0, sizeof(h));
	pb_bytes(&h, HDR_CASE_CODE, code, sizeof(code) - 1);
	memset(&bad, 0, sizeof(bad));
	pb_msg(&bad, DOC_HEADER, &h);
	emit(arr, "not_utf8_case_code", ENV1_MSG_ASSISTANCE_REQUEST, DEFECT_UTF8,
	    &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header.case_code ends in the bytes ff fe: not UTF-8");

	doc_min(&twin, "SYN-RJ-0051");
	bad = twin;
	memset(&id, 0, sizeof(id));
	pb_str(&id, ID_FULL_NAME, "Synthetic Person");
	pb_msg(&twin, AR_IDENTITY, &id);
	memset(&id, 0, sizeof(id));
	pb_bytes(&id, ID_FULL_NAME, name, sizeof(name) - 1);
	pb_msg(&bad, AR_IDENTITY, &id);
	emit(arr, "not_utf8_surrogate", ENV1_MSG_ASSISTANCE_REQUEST, DEFECT_UTF8,
	    &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "identity.full_name holds ed a0 80, an encoded surrogate: not UTF-8");
}

/* Bodies that are not a document at all. */
static void
undecodable(json_t *arr)
{
	struct pb bad, twin, h;

	ar_ref(&twin, 1);
	bad = twin;
	bad.n--;
	emit(arr, "truncated_last_byte", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "a document with nested and repeated fields, its last byte cut "
	    "off (identity's length runs past the end)");

	ar_ref(&bad, 0);
	bad.n--;
	ar_ref(&twin, 0);
	emit(arr, "truncated_varint", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "the same document without identity, cut inside reply_by's varint");

	header(&h, "SYN-RJ-0050");
	doc_min(&twin, "SYN-RJ-0050");
	memset(&bad, 0, sizeof(bad));
	pb_key(&bad, DOC_HEADER, WT_LEN);
	pb_varint(&bad, h.n + 1);
	pb_raw(&bad, h.b, h.n);
	emit(arr, "length_past_end", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "header's length one more than the bytes left");

	doc_min(&twin, "SYN-RJ-0051");
	bad = twin;
	pb_key(&bad, AR_REPLY_BY, WT_LEN);
	pb_varint(&bad, 1);
	pb_byte(&bad, 0x01);
	emit(arr, "wrong_wire_type", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "reply_by (uint64) with wire type 2, length 1 (3a 01 01)");

	doc_min(&twin, "SYN-RJ-0052");
	bad = twin;
	pb_key(&bad, 15, WT_SGROUP);
	pb_key(&bad, 15, WT_SGROUP + 1);
	emit(arr, "group_wire_type", ENV1_MSG_ASSISTANCE_REQUEST,
	    DEFECT_DECODE, &bad, ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "an (unknown) field 15 as a group (wire types 3 and 4), which "
	    "proto3 does not have");

	doc_min(&bad, "SYN-RJ-0053");
	twin = bad;
	emit(arr, "not_a_document_type", 0x0008, DEFECT_TYPE, &bad,
	    ENV1_MSG_ASSISTANCE_REQUEST, &twin,
	    "a valid AssistanceRequest body under msg_type 0x0008, which "
	    "names no document");
}

void
vg_referral_rejects(json_t *root)
{
	json_t *arr = json_array();

	check_helpers();
	unknown_fields(arr);
	explicit_defaults(arr);
	repeated_and_order(arr);
	varints(arr);
	embedded_nul(arr);
	not_utf8(arr);
	undecodable(arr);
	json_object_set_new(root, "rejects", arr);
}
