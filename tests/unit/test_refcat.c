/*
 * Unit tests: data categories of the referral documents (proto/refcat.c)
 * and the table the build generates from referral.proto's options.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/msgtype.h"
#include "proto/control.pb-c.h"
#include "proto/refcat.h"
#include "proto/refcat_table.h"

#define CAT(x)  HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_##x
#define BIT(x)  REFCAT_BIT(CAT(x))
#define DESC(m) (&homeward__referral__##m##__descriptor)
#define FUR     ENV1_MSG_FOLLOW_UP_REPORT

static const uint16_t documents[] = {
	ENV1_MSG_ASSISTANCE_REQUEST, ENV1_MSG_ASSISTANCE_CONFIRMATION,
	ENV1_MSG_REINTEGRATION_REQUEST, ENV1_MSG_REINTEGRATION_CONFIRMATION,
	ENV1_MSG_DEPARTURE_NOTIFICATION, ENV1_MSG_ARRIVAL_CONFIRMATION,
	ENV1_MSG_FOLLOW_UP_REPORT, ENV1_MSG_CONSENT_WITHDRAWAL,
	ENV1_MSG_ERASURE_CONFIRMATION,
};
#define NDOCS   (sizeof(documents) / sizeof(documents[0]))

/* The highest value DataCategory declares. */
static int
category_max(void)
{
	const ProtobufCEnumDescriptor *e = DESC(data_category);
	int max = 0;

	for (unsigned i = 0; i < e->n_values; i++)
		if (e->values[i].value > max)
			max = e->values[i].value;
	return max;
}

#define SEEN_MAX        64

struct seen {
	const ProtobufCMessageDescriptor *d[SEEN_MAX];
	size_t          n;
	size_t          nfields;        /* of the distinct messages */
};

/* Check every field of d and of every message below it, once each. */
static void
check_fields(const ProtobufCMessageDescriptor *d, int max, struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->d[i] == d)
			return;
	assert_true(s->n < SEEN_MAX);
	s->d[s->n++] = d;
	s->nfields += d->n_fields;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		int cat = refcat_field(d, f->id);

		if (cat <= 0 || cat > max)
			fail_msg("%s.%s: category %d", d->name, f->name, cat);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			check_fields(f->descriptor, max, s);
	}
}

static void
test_every_field_has_a_category(void **state)
{
	int max = category_max();
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(max, CAT(REINTEGRATION));
	for (size_t i = 0; i < NDOCS; i++) {
		const ProtobufCMessageDescriptor *d =
		    refcat_descriptor(documents[i]);

		assert_non_null(d);
		assert_int_equal(strncmp(d->name, "homeward.referral.", 18), 0);
		check_fields(d, max, &s);
	}
	/* Every message of referral.proto is part of a document, so the
	 * generated table holds exactly the fields reached, sorted. */
	assert_int_equal(s.nfields, refcat_table_len);
	for (size_t i = 0; i < refcat_table_len; i++) {
		assert_true(refcat_table[i].category > 0);
		assert_true((int)refcat_table[i].category <= max);
		if (i > 0)
			assert_true(strcmp(refcat_table[i - 1].message,
			    refcat_table[i].message) < 0 ||
			    (strcmp(refcat_table[i - 1].message,
			    refcat_table[i].message) == 0 &&
			    refcat_table[i - 1].field < refcat_table[i].field));
	}
}

/*
 * Free text is never CATEGORY_CASE (PROTOCOL.md 21.2): an operator may
 * type a name anywhere there is text.  The strings that are procedure data
 * are codes, ids and names the daemon fills or checks, and only these.
 */
static const char *const case_strings[] = {
	"homeward.referral.ArrivalConfirmation.met_by_agency",
	"homeward.referral.CaseHeader.case_code",
	"homeward.referral.ConsentScope.language",
	"homeward.referral.ConsentScope.recipients",
	"homeward.referral.DepartureNotification.rules_waived",
	"homeward.referral.DepartureNotification.waived_by",
	"homeward.referral.MeetingAgency.agency_id",
	"homeward.referral.SafetyException.approved_by",
	"homeward.referral.SafetyException.second_approved_by",
};

static void
check_strings(const ProtobufCMessageDescriptor *d, struct seen *s)
{
	char name[160];

	for (size_t i = 0; i < s->n; i++)
		if (s->d[i] == d)
			return;
	assert_true(s->n < SEEN_MAX);
	s->d[s->n++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		int listed = 0;

		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			check_strings(f->descriptor, s);
		if (f->type != PROTOBUF_C_TYPE_STRING ||
		    refcat_field(d, f->id) != CAT(CASE))
			continue;
		snprintf(name, sizeof(name), "%s.%s", d->name, f->name);
		for (size_t j = 0; j < sizeof(case_strings) /
		    sizeof(case_strings[0]); j++)
			listed |= strcmp(name, case_strings[j]) == 0;
		if (!listed)
			fail_msg("%s: free text classified case", name);
	}
}

static void
test_free_text_never_case(void **state)
{
	struct seen s = { 0 };

	(void)state;
	for (size_t i = 0; i < NDOCS; i++)
		check_strings(refcat_descriptor(documents[i]), &s);
	/* The fields issue 10 reclassified, by their topic. */
	assert_int_equal(refcat_field(DESC(assistance_confirmation), 7),
	    CAT(PROFILE));
	assert_int_equal(refcat_field(DESC(arrival_confirmation), 4),
	    CAT(TRAVEL));
	assert_int_equal(refcat_field(DESC(arrival_confirmation), 6),
	    CAT(REINTEGRATION));
	assert_int_equal(refcat_field(DESC(departure_notification), 11),
	    CAT(TRAVEL));
	assert_int_equal(refcat_field(DESC(meeting_agency), 2), CAT(TRAVEL));
	assert_int_equal(refcat_field(DESC(meeting_agency), 3), CAT(TRAVEL));
	assert_int_equal(refcat_field(DESC(safety_exception), 1),
	    CAT(SECURITY));
}

static void
test_descriptor_and_field_lookup(void **state)
{
	static const uint16_t not_documents[] = {
		0x0000, 0x0008, ENV1_MSG_DELIVERY_RECEIPT, 0x0103,
		ENV1_MSG_TEST_DOCUMENT, 0xffff,
	};

	(void)state;
	assert_ptr_equal(refcat_descriptor(ENV1_MSG_REINTEGRATION_REQUEST),
	    &homeward__referral__reintegration_request__descriptor);
	assert_ptr_equal(refcat_descriptor(ENV1_MSG_ERASURE_CONFIRMATION),
	    &homeward__referral__erasure_confirmation__descriptor);
	for (size_t i = 0; i < sizeof(not_documents) / sizeof(not_documents[0]);
	    i++)
		assert_null(refcat_descriptor(not_documents[i]));

	assert_int_equal(refcat_field(DESC(assistance_request), 8),
	    CAT(IDENTITY));
	assert_int_equal(refcat_field(DESC(reintegration_request), 5),
	    CAT(HEALTH));
	assert_int_equal(refcat_field(DESC(departure_notification), 7),
	    CAT(HEALTH));
	assert_int_equal(refcat_field(DESC(profile), 1),
	    CAT(PROFILE));
	assert_int_equal(refcat_field(DESC(assistance_request), 99), 0);
	assert_int_equal(refcat_field(&homeward__control__request__descriptor, 1), 0);
	assert_int_equal(refcat_field(NULL, 1), 0);
}

/* Pack m, check refcat_of_body agrees with refcat_of and return the mask. */
static uint32_t
body_mask(uint16_t msg_type, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	uint32_t mask = 0xdeadbeef;

	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), len);
	assert_int_equal(refcat_of_body(msg_type, buf, len, &mask), 0);
	assert_int_equal(mask, refcat_of(m));
	assert_int_equal(refcat_check_body(NULL, msg_type, buf, len), 0);
	free(buf);
	return mask;
}

static void
test_empty_documents_carry_nothing(void **state)
{
	uint32_t mask = 0xdeadbeef;

	(void)state;
	for (size_t i = 0; i < NDOCS; i++) {
		mask = 0xdeadbeef;
		assert_int_equal(refcat_of_body(documents[i], NULL, 0, &mask), 0);
		assert_int_equal(mask, 0);
	}
	assert_int_equal(refcat_of(NULL), 0);
}

static void
test_assistance_request(void **state)
{
	Homeward__Referral__AssistanceRequest ar =
	    HOMEWARD__REFERRAL__ASSISTANCE_REQUEST__INIT;
	Homeward__Referral__CaseHeader h =
	    HOMEWARD__REFERRAL__CASE_HEADER__INIT;
	Homeward__Referral__ConsentScope cs =
	    HOMEWARD__REFERRAL__CONSENT_SCOPE__INIT;
	Homeward__Referral__Profile p =
	    HOMEWARD__REFERRAL__PROFILE__INIT;
	Homeward__Referral__Identity id =
	    HOMEWARD__REFERRAL__IDENTITY__INIT;
	Homeward__Referral__IdentityDocument doc =
	    HOMEWARD__REFERRAL__IDENTITY_DOCUMENT__INIT;
	Homeward__Referral__IdentityDocument *docs[1] = { &doc };
	Homeward__Referral__DataCategory cats[2] = { CAT(HEALTH), CAT(IDENTITY) };
	Homeward__Referral__AssistanceType needs[1] = {
		HOMEWARD__REFERRAL__ASSISTANCE_TYPE__ASSISTANCE_SHELTER
	};
	const uint16_t t = ENV1_MSG_ASSISTANCE_REQUEST;

	(void)state;
	/* The header is procedure data, whatever the consent it names lists. */
	h.case_code = "HW-2024-0001";
	ar.header = &h;
	assert_int_equal(body_mask(t, &ar.base), BIT(CASE));
	h.consent = &cs;
	cs.categories = cats;
	cs.n_categories = 2;
	assert_int_equal(body_mask(t, &ar.base), BIT(CASE));

	/* A profile with only the sex set. */
	p.sex = HOMEWARD__REFERRAL__SEX__SEX_FEMALE;
	ar.profile = &p;
	assert_int_equal(body_mask(t, &ar.base), BIT(CASE) | BIT(PROFILE));

	/* Without the header, only the profile. */
	ar.header = NULL;
	assert_int_equal(body_mask(t, &ar.base), BIT(PROFILE));

	/* An empty profile is still a profile sent. */
	p.sex = 0;
	assert_int_equal(body_mask(t, &ar.base), BIT(PROFILE));
	ar.profile = NULL;

	/* Zero scalars and an empty repeated field are not sent. */
	ar.scenario = 0;
	ar.reply_by = 0;
	ar.needs = needs;
	ar.n_needs = 0;
	assert_int_equal(body_mask(t, &ar.base), 0);
	ar.n_needs = 1;
	assert_int_equal(body_mask(t, &ar.base), BIT(PROFILE));
	ar.n_needs = 0;
	ar.reply_by = 1700000000000ull;
	assert_int_equal(body_mask(t, &ar.base), BIT(CASE));
	ar.reply_by = 0;

	/* Identity through a repeated message two levels down. */
	doc.number = "X1234567";
	id.documents = docs;
	id.n_documents = 1;
	ar.identity = &id;
	assert_int_equal(body_mask(t, &ar.base), BIT(IDENTITY));
}

static void
test_nested_health(void **state)
{
	Homeward__Referral__ReintegrationRequest rr =
	    HOMEWARD__REFERRAL__REINTEGRATION_REQUEST__INIT;
	Homeward__Referral__HealthSummary hs =
	    HOMEWARD__REFERRAL__HEALTH_SUMMARY__INIT;
	Homeward__Referral__DepartureNotification dn =
	    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
	Homeward__Referral__TravelLeg leg =
	    HOMEWARD__REFERRAL__TRAVEL_LEG__INIT;
	Homeward__Referral__TravelLeg *legs[1] = { &leg };

	(void)state;
	hs.referral_notes = "needs follow-up";
	rr.health = &hs;
	assert_int_equal(body_mask(ENV1_MSG_REINTEGRATION_REQUEST, &rr.base),
	    BIT(HEALTH));
	rr.assessment = "";             /* empty: not sent */
	rr.preliminary_plan = "plan";
	assert_int_equal(body_mask(ENV1_MSG_REINTEGRATION_REQUEST, &rr.base),
	    BIT(HEALTH) | BIT(REINTEGRATION));

	/* Repeated messages: none sent carries nothing, an empty one its
	 * field's category. */
	dn.legs = legs;
	dn.n_legs = 0;
	assert_int_equal(body_mask(ENV1_MSG_DEPARTURE_NOTIFICATION, &dn.base), 0);
	dn.n_legs = 1;
	assert_int_equal(body_mask(ENV1_MSG_DEPARTURE_NOTIFICATION, &dn.base),
	    BIT(TRAVEL));
	dn.fit_to_travel = 1;
	assert_int_equal(body_mask(ENV1_MSG_DEPARTURE_NOTIFICATION, &dn.base),
	    BIT(TRAVEL) | BIT(HEALTH));
}

/* Oneofs (none in referral.proto yet): only the member set counts.  The
 * control protocol has no categories, so a present field there is
 * unclassified and the walk fails closed. */
static void
test_oneof_and_fail_closed(void **state)
{
	Homeward__Control__Response r = HOMEWARD__CONTROL__RESPONSE__INIT;
	uint8_t junk[4] = { 1, 2, 3, 4 };

	(void)state;
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND__NOT_SET;
	r.evidence.len = sizeof(junk);
	r.evidence.data = junk;
	assert_int_equal(refcat_of(&r.base), 0);
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_RESULT;
	r.result = NULL;
	assert_int_equal(refcat_of(&r.base), 0);
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE;
	r.evidence.len = 0;
	r.evidence.data = NULL;
	assert_int_equal(refcat_of(&r.base), REFCAT_PERSONAL);
	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND__NOT_SET;
	r.version = 1;
	assert_int_equal(refcat_of(&r.base), REFCAT_PERSONAL);
}

static void
test_unknown_fields_refused(void **state)
{
	/* FollowUpReport { period_end = 5, field 15 = 1 } */
	static const uint8_t top[] = { 0x20, 0x05, 0x78, 0x01 };
	/* FollowUpReport { header = CaseHeader { case_code "A", field 9 = 0 } } */
	static const uint8_t nested[] = { 0x0a, 0x05, 0x0a, 0x01, 'A', 0x48, 0x00 };
	/* The same without the unknown field decodes. */
	static const uint8_t known[] = { 0x0a, 0x03, 0x0a, 0x01, 'A' };
	Homeward__Referral__FollowUpReport fr =
	    HOMEWARD__REFERRAL__FOLLOW_UP_REPORT__INIT;
	ProtobufCMessageUnknownField uf = {
		15, PROTOBUF_C_WIRE_TYPE_VARINT, 1, (uint8_t *)"\x01"
	};
	uint32_t mask = 0xdeadbeef;

	(void)state;
	assert_int_equal(refcat_of_body(FUR, top, sizeof(top), &mask),
	    -EINVAL);
	assert_int_equal(refcat_of_body(FUR, nested, sizeof(nested), &mask),
	    -EINVAL);
	assert_int_equal(mask, 0xdeadbeef);
	assert_int_equal(refcat_check_body(NULL, FUR, nested,
	    sizeof(nested)), -1);
	assert_int_equal(refcat_of_body(FUR, known, sizeof(known), &mask), 0);
	assert_int_equal(mask, BIT(CASE));

	/* In memory: what cannot be classified counts as everything. */
	fr.period_end = 5;
	fr.base.n_unknown_fields = 1;
	fr.base.unknown_fields = &uf;
	assert_int_equal(refcat_of(&fr.base), BIT(CASE) | REFCAT_PERSONAL);
}

static void
test_garbage_refused(void **state)
{
	static const struct {
		const uint8_t  *b;
		size_t          len;
	} bad[] = {
		{ (const uint8_t *)"\xff\xff\xff\xff", 4 },
		{ (const uint8_t *)"\x20", 1 },                 /* no value */
		{ (const uint8_t *)"\x20\x80", 2 },             /* truncated varint */
		{ (const uint8_t *)"\x0a\x05\x0a", 3 },         /* length past the end */
		{ (const uint8_t *)"\x08\x01", 2 },             /* header as a varint */
		{ (const uint8_t *)"\x00\x01", 2 },             /* field number 0 */
	};
	/* Decodes, but is not what protobuf-c encodes: a string cut at its
	 * NUL, an explicit zero, a field twice, a padded varint. */
	static const struct {
		const uint8_t  *b;
		size_t          len;
	} noncanonical[] = {
		{ (const uint8_t *)"\x1a\x07\x00secret", 9 },   /* report "\0secret" */
		{ (const uint8_t *)"\x1a\x03x\x00y", 5 },
		{ (const uint8_t *)"\x20\x00", 2 },
		{ (const uint8_t *)"\x20\x01\x20\x02", 4 },
		{ (const uint8_t *)"\x20\x81\x00", 3 },
	};
	uint32_t mask = 0xdeadbeef;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(refcat_of_body(FUR, bad[i].b,
		    bad[i].len, &mask), -EINVAL);
		assert_int_equal(refcat_check_body(NULL, ENV1_MSG_FOLLOW_UP_REPORT,
		    bad[i].b, bad[i].len), -1);
	}
	for (size_t i = 0; i < sizeof(noncanonical) / sizeof(noncanonical[0]); i++)
		assert_int_equal(refcat_of_body(ENV1_MSG_FOLLOW_UP_REPORT,
		    noncanonical[i].b, noncanonical[i].len, &mask), -EINVAL);
	assert_int_equal(mask, 0xdeadbeef);
	/* The canonical form of the last one is accepted. */
	assert_int_equal(refcat_of_body(ENV1_MSG_FOLLOW_UP_REPORT,
	    (const uint8_t *)"\x20\x01", 2, &mask), 0);
	assert_int_equal(mask, BIT(CASE));

	/* Not documents. */
	assert_int_equal(refcat_of_body(ENV1_MSG_DELIVERY_RECEIPT, NULL, 0, &mask), -EINVAL);
	assert_int_equal(refcat_of_body(ENV1_MSG_TEST_DOCUMENT, NULL, 0, &mask), -EINVAL);
	assert_int_equal(refcat_of_body(0x0008, NULL, 0, &mask), -EINVAL);
}

static void
test_check_body(void **state)
{
	static const uint8_t junk[] = { 0xff, 0x00, 0x13 };

	(void)state;
	assert_int_equal(refcat_check_body(NULL, ENV1_MSG_TEST_DOCUMENT, junk, sizeof(junk)), 0);
	assert_int_equal(refcat_check_body(NULL, ENV1_MSG_DELIVERY_RECEIPT, junk, sizeof(junk)), 0);
	assert_int_equal(refcat_check_body(NULL, ENV1_MSG_CONSENT_WITHDRAWAL, NULL, 0), 0);
	assert_int_equal(refcat_check_body(NULL, ENV1_MSG_CONSENT_WITHDRAWAL, junk, sizeof(junk)), -1);
	assert_int_equal(refcat_check_body(NULL, 0x0008, NULL, 0), -1);
	assert_int_equal(refcat_check_body(NULL, 0x0000, NULL, 0), -1);
}

static void
test_names(void **state)
{
	const ProtobufCEnumDescriptor *e = DESC(data_category);
	uint32_t all = 0;

	(void)state;
	for (unsigned i = 0; i < e->n_values; i++) {
		int c = e->values[i].value;

		if (c == 0) {
			assert_null(refcat_name(0));
			continue;
		}
		assert_non_null(refcat_name(c));
		assert_int_equal(refcat_parse(refcat_name(c)), c);
		all |= REFCAT_BIT(c);
	}
	assert_int_equal(REFCAT_PERSONAL, all & ~BIT(CASE));
	assert_string_equal(refcat_name(CAT(CASE)), "case");
	assert_string_equal(refcat_name(CAT(REINTEGRATION)), "reintegration");
	assert_null(refcat_name(-1));
	assert_null(refcat_name(category_max() + 1));
	assert_int_equal(refcat_parse("Health"), 0);
	assert_int_equal(refcat_parse(""), 0);
	assert_int_equal(refcat_parse("health,travel"), 0);
	assert_int_equal(refcat_parse(NULL), 0);
}

static void
test_mask_format(void **state)
{
	const char *every =
	    "case,identity,profile,health,security,travel,reintegration";
	char buf[128];
	char small[12];

	(void)state;
	assert_int_equal(refcat_mask_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(refcat_mask_format(BIT(HEALTH) | BIT(CASE), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "case,health");
	assert_int_equal(refcat_mask_format(BIT(CASE) | REFCAT_PERSONAL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, every);

	/* "case,health" is 11 bytes: it fits in 12, not in 11. */
	assert_int_equal(refcat_mask_format(BIT(HEALTH) | BIT(CASE), small, 12), 0);
	assert_string_equal(small, "case,health");
	assert_int_equal(refcat_mask_format(BIT(HEALTH) | BIT(CASE), small, 11), -ENOSPC);
	assert_string_equal(small, "");
	assert_int_equal(refcat_mask_format(0, small, 0), -ENOSPC);

	assert_int_equal(refcat_mask_format(REFCAT_BIT(0), buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(refcat_mask_format(BIT(CASE) | (1u << 31), buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_has_a_category),
		cmocka_unit_test(test_free_text_never_case),
		cmocka_unit_test(test_descriptor_and_field_lookup),
		cmocka_unit_test(test_empty_documents_carry_nothing),
		cmocka_unit_test(test_assistance_request),
		cmocka_unit_test(test_nested_health),
		cmocka_unit_test(test_oneof_and_fail_closed),
		cmocka_unit_test(test_unknown_fields_refused),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_check_body),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mask_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
