/*
 * Unit tests: the names homeward parses and prints for the referral
 * procedure (cli/refnames.c): steps, data categories, consent methods, sex,
 * case codes, the mask formatter and the msg_type -> document table.  The
 * Makefile links no cli/ object into unit tests, so the module's source is
 * compiled in here; it does no I/O and needs only libproto and libcommon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/refnames.c"

static const char *const step_names[] = {
	NULL, "request", "confirmation", "reintegration",
	"reintegration-confirmation", "departure", "arrival", "follow-up",
};

static const Homeward__Referral__Step step_values[] = {
	HOMEWARD__REFERRAL__STEP__STEP_UNSPECIFIED,
	HOMEWARD__REFERRAL__STEP__STEP_ASSISTANCE_REQUEST,
	HOMEWARD__REFERRAL__STEP__STEP_ASSISTANCE_CONFIRMATION,
	HOMEWARD__REFERRAL__STEP__STEP_REINTEGRATION_REQUEST,
	HOMEWARD__REFERRAL__STEP__STEP_REINTEGRATION_CONFIRMATION,
	HOMEWARD__REFERRAL__STEP__STEP_DEPARTURE_NOTIFICATION,
	HOMEWARD__REFERRAL__STEP__STEP_ARRIVAL_CONFIRMATION,
	HOMEWARD__REFERRAL__STEP__STEP_FOLLOW_UP_REPORT,
};

static void
test_steps_by_name_and_number(void **state)
{
	uint32_t m;
	char num[4];

	(void)state;
	for (uint32_t s = 1; s <= REFNAMES_STEP_MAX; s++) {
		m = 0;
		assert_int_equal(refnames_steps_parse(step_names[s], &m), 0);
		assert_int_equal(m, 1u << s);
		assert_string_equal(refnames_step_name(s), step_names[s]);
		/* A step is the msg_type of its document. */
		assert_int_equal(step_values[s], s);
		assert_non_null(refnames_doc_descriptor(s));
		snprintf(num, sizeof(num), "%u", s);
		m = 0;
		assert_int_equal(refnames_steps_parse(num, &m), 0);
		assert_int_equal(m, 1u << s);
	}
	assert_int_equal(refnames_steps_parse("all", &m), 0);
	assert_int_equal(m, REFNAMES_STEPS_ALL);
	assert_int_equal(refnames_steps_parse("1,departure,7", &m), 0);
	assert_int_equal(m, (1u << 1) | (1u << 5) | (1u << 7));
	assert_int_equal(refnames_steps_parse("request, arrival", &m), 0);
	assert_int_equal(m, (1u << 1) | (1u << 6));
	assert_string_equal(refnames_step_name(0), "?");
	assert_string_equal(refnames_step_name(8), "?");
}

static void
test_steps_refused(void **state)
{
	static const char *const bad[] = {
		"", "0", "8", "01x", "-1", "1,,2", "1,", ",1", " ", "1, ",
		"request,1", "1,1", "Request", "REQUEST", "all,1", "ALL",
		"followup", "12", "1;2", "reintegration-request", "4294967298",
	};
	uint32_t m = 0x5a5a;

	(void)state;
	assert_int_equal(refnames_steps_parse(NULL, &m), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (refnames_steps_parse(bad[i], &m) != -1)
			fail_msg("steps \"%s\" accepted", bad[i]);
		assert_int_equal(m, 0x5a5a);
	}
}

static void
test_categories(void **state)
{
	static const char *const names[] = { "identity", "profile", "health",
	    "security", "travel", "reintegration" };
	static const char *const bad[] = {
		"", "case", "identity,case", "2", "identity,identity", "Identity",
		"identity,", "all,identity", "unspecified", "?", "travel,,health",
	};
	uint32_t m, all = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(refnames_categories_parse(names[i], &m), 0);
		assert_int_equal(m, 1u << (i + 2));
		assert_string_equal(refnames_category_name((uint32_t)i + 2),
		    names[i]);
		all |= m;
	}
	assert_int_equal(all, REFNAMES_CATEGORIES_ALL);
	assert_int_equal(refnames_categories_parse("all", &m), 0);
	assert_int_equal(m, REFNAMES_CATEGORIES_ALL);
	assert_int_equal(refnames_categories_parse("travel,identity", &m), 0);
	assert_int_equal(m, (1u << HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_TRAVEL) |
	    (1u << HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY));
	/* Procedure data is named in output, never consented to. */
	assert_string_equal(refnames_category_name(
	    HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_CASE), "case");
	m = 7;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (refnames_categories_parse(bad[i], &m) != -1)
			fail_msg("categories \"%s\" accepted", bad[i]);
		assert_int_equal(m, 7);
	}
}

static void
test_method_and_sex(void **state)
{
	Homeward__Referral__ConsentMethod me = 0;
	Homeward__Referral__Sex sx = 0;

	(void)state;
	assert_int_equal(refnames_method_parse("written", &me), 0);
	assert_int_equal(me, HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN);
	assert_int_equal(refnames_method_parse("oral", &me), 0);
	assert_int_equal(me, HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL);
	assert_int_equal(refnames_method_parse("oral-interpreted", &me), 0);
	assert_int_equal(me,
	    HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED);
	assert_string_equal(refnames_method_name(me), "oral-interpreted");
	assert_string_equal(refnames_method_name(
	    HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_UNSPECIFIED), "?");
	assert_int_equal(refnames_method_parse("", &me), -1);
	assert_int_equal(refnames_method_parse("Written", &me), -1);
	assert_int_equal(refnames_method_parse("oral-", &me), -1);
	assert_int_equal(refnames_method_parse("interpreted", &me), -1);
	assert_int_equal(refnames_method_parse(NULL, &me), -1);

	assert_int_equal(refnames_sex_parse("female", &sx), 0);
	assert_int_equal(sx, HOMEWARD__REFERRAL__SEX__SEX_FEMALE);
	assert_int_equal(refnames_sex_parse("male", &sx), 0);
	assert_int_equal(sx, HOMEWARD__REFERRAL__SEX__SEX_MALE);
	assert_int_equal(refnames_sex_parse("other", &sx), 0);
	assert_int_equal(sx, HOMEWARD__REFERRAL__SEX__SEX_OTHER);
	assert_int_equal(refnames_sex_parse("f", &sx), -1);
	assert_int_equal(refnames_sex_parse("fem", &sx), -1);
	assert_int_equal(refnames_sex_parse("unspecified", &sx), -1);
	assert_int_equal(sx, HOMEWARD__REFERRAL__SEX__SEX_OTHER);
}

static void
test_case_code(void **state)
{
	char longest[REFNAMES_CASE_CODE_MAX + 2];

	(void)state;
	assert_int_equal(refnames_check_case_code("ABJ-2026-0042"), 0);
	assert_int_equal(refnames_check_case_code("ci/abj.2026_7"), 0);
	assert_int_equal(refnames_check_case_code("7"), 0);
	memset(longest, 'A', REFNAMES_CASE_CODE_MAX);
	longest[REFNAMES_CASE_CODE_MAX] = '\0';
	assert_int_equal(refnames_check_case_code(longest), 0);
	longest[REFNAMES_CASE_CODE_MAX] = 'A';
	longest[REFNAMES_CASE_CODE_MAX + 1] = '\0';
	assert_int_equal(refnames_check_case_code(longest), -1);
	assert_int_equal(refnames_check_case_code(""), -1);
	assert_int_equal(refnames_check_case_code(NULL), -1);
	assert_int_equal(refnames_check_case_code("Synthetic Person B"), -1);
	assert_int_equal(refnames_check_case_code("ABJ:1"), -1);
	assert_int_equal(refnames_check_case_code("caf\xc3\xa9"), -1);
	assert_int_equal(refnames_check_case_code("a\nb"), -1);
}

static void
test_mask_format(void **state)
{
	char buf[REFNAMES_LIST_BUFLEN], small[8];

	(void)state;
	assert_string_equal(refnames_mask_format(0, refnames_step_name, buf,
	    sizeof(buf)), "none");
	assert_string_equal(refnames_mask_format((1u << 1) | (1u << 7),
	    refnames_step_name, buf, sizeof(buf)), "request,follow-up");
	assert_string_equal(refnames_mask_format(REFNAMES_CATEGORIES_ALL | 2,
	    refnames_category_name, buf, sizeof(buf)),
	    "case,identity,profile,health,security,travel,reintegration");
	/* Bits without a name print as their number. */
	assert_string_equal(refnames_mask_format((1u << 4) | (1u << 9) | 1,
	    refnames_category_name, buf, sizeof(buf)), "0,health,9");
	/* The longest lists of names fit the buffer the header promises. */
	assert_true(strlen(refnames_mask_format(REFNAMES_STEPS_ALL,
	    refnames_step_name, buf, sizeof(buf))) < sizeof(buf) - 1);
	assert_string_equal(strrchr(buf, ','), ",follow-up");
	/* A short buffer is cut, never overrun. */
	refnames_mask_format(REFNAMES_STEPS_ALL, refnames_step_name, small,
	    sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "request", 7);
}

static void
test_doc_descriptors(void **state)
{
	static const struct {
		uint32_t        type;
		const char     *name;
	} docs[] = {
		{ 0x0001, "homeward.referral.AssistanceRequest" },
		{ 0x0002, "homeward.referral.AssistanceConfirmation" },
		{ 0x0003, "homeward.referral.ReintegrationRequest" },
		{ 0x0004, "homeward.referral.ReintegrationConfirmation" },
		{ 0x0005, "homeward.referral.DepartureNotification" },
		{ 0x0006, "homeward.referral.ArrivalConfirmation" },
		{ 0x0007, "homeward.referral.FollowUpReport" },
		{ 0x0101, "homeward.referral.ConsentWithdrawal" },
		{ 0x0102, "homeward.referral.ErasureConfirmation" },
	};
	static const uint32_t none[] = { 0, 8, 0x0100, 0x0103, 0x7f00, 0xffff,
	    0x10001 };
	const ProtobufCMessageDescriptor *d;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_non_null(d = refnames_doc_descriptor(docs[i].type));
		assert_string_equal(d->name, docs[i].name);
		/* The CLI checks the header is left out: every document has one. */
		assert_non_null(protobuf_c_message_descriptor_get_field_by_name(d,
		    "header"));
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_null(refnames_doc_descriptor(none[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps_by_name_and_number),
		cmocka_unit_test(test_steps_refused),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_method_and_sex),
		cmocka_unit_test(test_case_code),
		cmocka_unit_test(test_mask_format),
		cmocka_unit_test(test_doc_descriptors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
