/* Unit tests: times in referral documents as JSON (common/docjson_time.c):
 * RFC 3339 parsed and formatted, against the C library's calendar, and
 * which fields are times.  All data is synthetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <time.h>

#include <cmocka.h>

#include "common/docjson.h"
#include "proto/control.pb-c.h"
#include "proto/referral.pb-c.h"

#define AR      &homeward__referral__assistance_request__descriptor
#define ACF     &homeward__referral__arrival_confirmation__descriptor
#define FU      &homeward__referral__follow_up_report__descriptor
#define EC      &homeward__referral__erasure_confirmation__descriptor

#define T_2026  UINT64_C(1796110200000)         /* 2026-12-01T07:30:00Z */

static void
test_parse_time(void **state)
{
	static const struct {
		const char     *s;
		int             rc;
		uint64_t        ms;
	} t[] = {
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2026-12-01T07:30:00Z", 0, T_2026 },
		{ "2026-12-01t07:30:00z", 0, T_2026 },
		{ "2026-12-01T07:30:00.250Z", 0, T_2026 + 250 },
		{ "2026-12-01T07:30:00.5Z", 0, T_2026 + 500 },
		{ "2026-12-01T07:30:00.1239999Z", 0, T_2026 + 123 },
		{ "2026-12-01T08:30:00+01:00", 0, T_2026 },
		{ "2026-12-01T02:00:00-05:30", 0, T_2026 },
		{ "2026-12-01T07:30:00-00:00", 0, T_2026 },
		{ "2026-12-02T06:31:00+23:01", 0, T_2026 },
		{ "2000-02-29T00:00:00Z", 0, UINT64_C(951782400000) },
		{ "2024-02-29T12:00:00Z", 0, UINT64_C(1709208000000) },
		{ "9999-12-31T23:59:59.999Z", 0, DOCJSON_TIME_MAX },
		{ "2023-02-29T00:00:00Z", -EINVAL, 0 },
		{ "2100-02-29T00:00:00Z", -EINVAL, 0 },
		{ "2026-04-31T00:00:00Z", -EINVAL, 0 },
		{ "2026-13-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-00-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-12-00T00:00:00Z", -EINVAL, 0 },
		{ "2026-12-01T24:00:00Z", -EINVAL, 0 },
		{ "2026-12-01T07:60:00Z", -EINVAL, 0 },
		{ "2026-12-31T23:59:60Z", -EINVAL, 0 },
		{ "2026-12-01T07:30:00+24:00", -EINVAL, 0 },
		{ "2026-12-01T07:30:00+01:60", -EINVAL, 0 },
		{ "2026-12-01T07:30:00+0100", -EINVAL, 0 },
		{ "2026-12-01T07:30:00", -EINVAL, 0 },
		{ "2026-12-01 07:30:00Z", -EINVAL, 0 },
		{ "2026-12-01T07:30Z", -EINVAL, 0 },
		{ "2026-12-01T07:30:00.Z", -EINVAL, 0 },
		{ "2026-12-01T07:30:00Z ", -EINVAL, 0 },
		{ " 2026-12-01T07:30:00Z", -EINVAL, 0 },
		{ "+2026-12-01T07:30:00Z", -EINVAL, 0 },
		{ "26-12-01T07:30:00Z", -EINVAL, 0 },
		{ "2026-12-01", -EINVAL, 0 },
		{ "1796110200000", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "1969-12-31T23:59:59.999Z", -ERANGE, 0 },
		{ "1970-01-01T00:30:00+01:00", -ERANGE, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ms = 42;
		int rc = docjson_parse_time(t[i].s, &ms);

		if (rc != t[i].rc || (rc == 0 && ms != t[i].ms))
			fail_msg("\"%s\": rc %d ms %llu", t[i].s, rc,
			    (unsigned long long)ms);
		if (rc != 0)
			assert_int_equal(ms, 42);
	}
	assert_int_equal(docjson_parse_time(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void
test_format_time(void **state)
{
	static const struct {
		uint64_t        ms;
		const char     *s;
	} t[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ T_2026, "2026-12-01T07:30:00Z" },
		{ T_2026 + 250, "2026-12-01T07:30:00.250Z" },
		{ UINT64_C(951782400000), "2000-02-29T00:00:00Z" },
		{ UINT64_C(951868799999), "2000-02-29T23:59:59.999Z" },
		{ DOCJSON_TIME_MAX, "9999-12-31T23:59:59.999Z" },
	};
	char buf[DOCJSON_TIME_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(docjson_format_time(t[i].ms, buf, sizeof(buf)), 0);
		assert_string_equal(buf, t[i].s);
	}
	assert_int_equal(strlen("9999-12-31T23:59:59.999Z") + 1, DOCJSON_TIME_LEN);
	assert_int_equal(docjson_format_time(DOCJSON_TIME_MAX + 1, buf,
	    sizeof(buf)), -ERANGE);
	assert_int_equal(docjson_format_time(UINT64_MAX, buf, sizeof(buf)),
	    -ERANGE);
	/* Exactly enough room, and one byte less. */
	assert_int_equal(docjson_format_time(T_2026, buf, 21), 0);
	assert_string_equal(buf, "2026-12-01T07:30:00Z");
	memcpy(buf, "untouched", 10);
	assert_int_equal(docjson_format_time(T_2026, buf, 20), -ENOSPC);
	assert_string_equal(buf, "untouched");
	assert_int_equal(docjson_format_time(T_2026 + 1, buf, 24), -ENOSPC);
}

/* Against the C library's calendar, over the years time_t reaches here,
 * and through parse again over the whole range. */
static void
test_time_against_gmtime(void **state)
{
	char buf[DOCJSON_TIME_LEN], want[DOCJSON_TIME_LEN];
	uint64_t ms, back;

	(void)state;
	for (ms = 0; ms <= DOCJSON_TIME_MAX; ms += UINT64_C(7777777777)) {
		time_t secs = (time_t)(ms / 1000);
		struct tm tm;

		assert_int_equal(docjson_format_time(ms, buf, sizeof(buf)), 0);
		assert_int_equal(docjson_parse_time(buf, &back), 0);
		assert_int_equal(back, ms);
		assert_non_null(gmtime_r(&secs, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		assert_memory_equal(buf, want, 19);
	}
}

static void
test_time_fields(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char     *name;
		int             is_time;
	} t[] = {
		{ AR, "reply_by", 1 },
		{ &homeward__referral__consent_scope__descriptor, "given_at", 1 },
		{ &homeward__referral__consent_scope__descriptor, "expires_at", 1 },
		{ &homeward__referral__return_window__descriptor, "earliest", 1 },
		{ &homeward__referral__return_window__descriptor, "latest", 1 },
		{ &homeward__referral__committed_service__descriptor, "from", 1 },
		{ &homeward__referral__travel_leg__descriptor, "departure", 1 },
		{ &homeward__referral__travel_leg__descriptor, "arrival", 1 },
		{ FU, "period_end", 1 },
		{ EC, "erased_at", 1 },
		{ &homeward__control__status__descriptor, "alerts", 0 },
		/* Names of times, but not uint64. */
		{ &homeward__referral__safety_exception__descriptor, "approved_by", 0 },
		{ &homeward__referral__identity_document__descriptor, "expires", 0 },
		{ &homeward__referral__profile__descriptor, "age", 0 },
		{ ACF, "met_by", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(t[i].d, t[i].name);

		assert_non_null(f);
		if (docjson_is_time_field(f) != t[i].is_time)
			fail_msg("%s: is_time %d", t[i].name, !t[i].is_time);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_time_against_gmtime),
		cmocka_unit_test(test_time_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
