/* Unit tests: referral documents as JSON and back (common/docjson.c,
 * common/docjson_time.c).  Every document type has a good input whose
 * canonical form is spelled out, bad inputs whose errors must name the
 * path and never the value, and a round trip through JSON text from
 * messages filled, field by field, from their descriptors.  All data is
 * synthetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <math.h>
#include <time.h>

#include <cmocka.h>

#include "common/docjson.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "proto/control.pb-c.h"
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

#define T_2026  UINT64_C(1796110200000)         /* 2026-12-01T07:30:00Z */

static const ProtobufCMessageDescriptor *const documents[] = {
	AR, AC, RR, RC, DN, ACF, FU, CW, EC,
};
#define NDOCS   (sizeof(documents) / sizeof(documents[0]))

/* JSON written with ' for " (the tables stay readable), NULs allowed. */
static json_t *
J(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;
	json_t *v;

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("bad test JSON (%s): %s", jerr.text, s);
	free(s);
	return v;
}

static void
packed(const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	assert_non_null(*buf = malloc(*len + 1));
	assert_int_equal(protobuf_c_message_pack(m, *buf), *len);
}

static void
assert_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	uint8_t *pa, *pb;
	size_t la, lb;

	packed(a, &pa, &la);
	packed(b, &pb, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

static void
assert_json_equal(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		char *w = json_dumps(want, JSON_SORT_KEYS);

		fail_msg("JSON differs\n got: %s\nwant: %s", g, w);
	}
}

/* Times. */

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

/* Good documents, one or more of each type: what the operator writes, and
 * the canonical form docjson_from_pb gives back. */
static const struct good {
	const ProtobufCMessageDescriptor *d;
	const char     *in;
	const char     *out;            /* NULL: the same as in */
} goods[] = {
	{ AR,
	  "{'header':{'case_code':'HW-TEST-0001','consent':{"
	  "'consent_id':'00112233445566778899AABBCCDDEEFF',"
	  "'recipients':['agency-b.example'],"
	  "'steps':['STEP_ASSISTANCE_REQUEST','assistance_confirmation',3],"
	  "'categories':['identity','PROFILE'],"
	  "'given_at':'2026-11-30T09:00:00+01:00','expires_at':1796110200000,"
	  "'method':'Oral_Interpreted','language':'xx','by_guardian':false,"
	  "'child_consulted':true}},"
	  "'scenario':'police_or_ngo',"
	  "'profile':{'sex':'Female','age':24,'age_band':'18_to_24',"
	  "'minor':false,'nationality':'XX','languages':['xx','en'],"
	  "'interpreter_needed':true},"
	  "'needs':['shelter','ASSISTANCE_MEDICAL'],"
	  "'security':{'risk':'high','trafficker_aware':true,'notes':'Test note'},"
	  "'proposed_return':{'earliest':'2026-12-01T00:00:00Z',"
	  "'latest':'2026-12-15T00:00:00.500Z'},"
	  "'reply_by':'2026-11-25T12:00:00Z',"
	  "'identity':{'full_name':'Test Person A','date_of_birth':'2001-01-01',"
	  "'documents':[{'kind':'passport','number':'X0000001','issuer':'XX',"
	  "'expires':'2030-01-01'}],"
	  "'family_contacts':[{'name':'Test Person B','relationship':'sister',"
	  "'phone':'+000 0000','address':null}]}}",
	  "{'header':{'case_code':'HW-TEST-0001','consent':{"
	  "'consent_id':'00112233445566778899aabbccddeeff',"
	  "'recipients':['agency-b.example'],"
	  "'steps':['assistance_request','assistance_confirmation',"
	  "'reintegration_request'],"
	  "'categories':['identity','profile'],"
	  "'given_at':'2026-11-30T08:00:00Z','expires_at':'2026-12-01T07:30:00Z',"
	  "'method':'oral_interpreted','language':'xx','child_consulted':true}},"
	  "'scenario':'police_or_ngo',"
	  "'profile':{'sex':'female','age':24,'age_band':'18_to_24',"
	  "'nationality':'XX','languages':['xx','en'],"
	  "'interpreter_needed':true},"
	  "'needs':['shelter','medical'],"
	  "'security':{'risk':'high','trafficker_aware':true,'notes':'Test note'},"
	  "'proposed_return':{'earliest':'2026-12-01T00:00:00Z',"
	  "'latest':'2026-12-15T00:00:00.500Z'},"
	  "'reply_by':'2026-11-25T12:00:00Z',"
	  "'identity':{'full_name':'Test Person A','date_of_birth':'2001-01-01',"
	  "'documents':[{'kind':'passport','number':'X0000001','issuer':'XX',"
	  "'expires':'2030-01-01'}],"
	  "'family_contacts':[{'name':'Test Person B','relationship':'sister',"
	  "'phone':'+000 0000'}]}}" },
	{ AR, "{}", NULL },
	{ AR, "{'header':null,'profile':{'sex':0,'age':0},'needs':[]}",
	  "{'profile':{}}" },
	{ AC,
	  "{'decision':'accept','reasons':'Test reasons',"
	  "'meeting_agency':{'agency_id':'agency-a.example','name':'Test Agency',"
	  "'contact':'Test Staff A'},'family_assessment':'return_safe',"
	  "'conditions':'Test conditions','information_needed':['a','b']}",
	  NULL },
	{ AC, "{'decision':'DECISION_MORE_INFORMATION'}",
	  "{'decision':'more_information'}" },
	{ RR,
	  "{'wanted':['housing','vocational_training',7],"
	  "'assessment':'Test assessment','preliminary_plan':'Test plan',"
	  "'health':{'discharge_summary':'Test summary',"
	  "'referral_notes':'Test notes'},'reply_by':1796110200000}",
	  "{'wanted':['housing','vocational_training','livelihood'],"
	  "'assessment':'Test assessment','preliminary_plan':'Test plan',"
	  "'health':{'discharge_summary':'Test summary',"
	  "'referral_notes':'Test notes'},'reply_by':'2026-12-01T07:30:00Z'}" },
	{ RC,
	  "{'committed':[{'kind':'shelter','provider':'Test Provider',"
	  "'from':'2026-12-01T07:30:00Z'},{'kind':'legal'}],"
	  "'declined':[{'kind':'education','reason':'Test reason'}]}",
	  NULL },
	{ DN,
	  "{'kind':'provisional','legs':[{'mode':'air','carrier':'XX',"
	  "'number':'XX100','from_place':'AAA','from_zone':'Europe/Paris',"
	  "'to_place':'BBB','to_zone':'Africa/Lagos',"
	  "'departure':'2026-12-01T07:30:00Z','arrival':'2026-12-01T13:05:00Z'},"
	  "{'mode':'road','departure':'2026-12-01T15:00:00Z'}],"
	  "'arrival_place':'Test Town','arrival_zone':'Africa/Lagos',"
	  "'escorts':[{'role':'medical','gender':'male','name':'Test Staff B',"
	  "'contact':'+000 0001'}],'fit_to_travel':true,"
	  "'needs_during_travel':'Test needs',"
	  "'met_by':{'agency_id':'agency-a.example'},"
	  "'rules_waived':['night-arrival'],'waiver_reason':'Test waiver',"
	  "'waived_by':'Test Supervisor'}",
	  NULL },
	{ ACF,
	  "{'outcome':'met','arrived_at':'2026-12-01T14:05:00+01:00',"
	  "'met_by':'Test Staff C','met_by_agency':'agency-a.example',"
	  "'next_steps':'Test steps'}",
	  "{'outcome':'met','arrived_at':'2026-12-01T13:05:00Z',"
	  "'met_by':'Test Staff C','met_by_agency':'agency-a.example',"
	  "'next_steps':'Test steps'}" },
	{ FU,
	  "{'status':'in_progress','report':'Test report',"
	  "'period_end':'2027-03-31T23:59:59.999Z'}",
	  NULL },
	{ FU, "{'status':'REINTEGRATION_LOST_CONTACT'}",
	  "{'status':'lost_contact'}" },
	{ CW,
	  "{'header':{'case_code':'HW-TEST-0002','safety':{"
	  "'reason':'Test reason','approved_by':'Test Supervisor A',"
	  "'second_approved_by':'Test Supervisor B',"
	  "'approved_at':'2026-12-01T07:30:00Z'}},"
	  "'withdrawn_at':'2026-12-01T07:30:00.001Z','consent_id':'0a0B'}",
	  "{'header':{'case_code':'HW-TEST-0002','safety':{"
	  "'reason':'Test reason','approved_by':'Test Supervisor A',"
	  "'second_approved_by':'Test Supervisor B',"
	  "'approved_at':'2026-12-01T07:30:00Z'}},"
	  "'withdrawn_at':'2026-12-01T07:30:00.001Z','consent_id':'0a0b'}" },
	{ EC,
	  "{'withdrawal_id':'ffffffffffffffffffffffffffffffff',"
	  "'restricted_at':'1796110200000','erased_at':'2026-12-02T00:00:00Z'}",
	  "{'withdrawal_id':'ffffffffffffffffffffffffffffffff',"
	  "'restricted_at':'2026-12-01T07:30:00Z',"
	  "'erased_at':'2026-12-02T00:00:00Z'}" },
};

static void
test_good_documents(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		json_t *in = J(g->in), *want = J(g->out ? g->out : g->in), *got;
		ProtobufCMessage *m = NULL;
		char err[256] = "stale";
		int rc;

		rc = docjson_to_pb(in, g->d, &m, err, sizeof(err));
		if (rc != 0)
			fail_msg("good %zu: %d %s", i, rc, err);
		assert_string_equal(err, "");
		assert_ptr_equal(m->descriptor, g->d);
		assert_non_null(got = docjson_from_pb(m, 0));
		assert_json_equal(got, want);
		json_decref(got);
		json_decref(in);
		json_decref(want);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* The first good document, field by field in C. */
static void
test_values(void **state)
{
	Homeward__Referral__AssistanceRequest *r;
	ProtobufCMessage *m;
	json_t *in = J(goods[0].in), *full;
	const Homeward__Referral__ConsentScope *c;

	(void)state;
	assert_int_equal(docjson_to_pb(in, AR, &m, NULL, 0), 0);
	r = (Homeward__Referral__AssistanceRequest *)m;
	assert_string_equal(r->header->case_code, "HW-TEST-0001");
	c = r->header->consent;
	assert_int_equal(c->consent_id.len, 16);
	assert_int_equal(c->consent_id.data[0], 0x00);
	assert_int_equal(c->consent_id.data[10], 0xaa);
	assert_int_equal(c->consent_id.data[15], 0xff);
	assert_int_equal(c->n_steps, 3);
	assert_int_equal(c->steps[2], HOMEWARD__REFERRAL__STEP__STEP_REINTEGRATION_REQUEST);
	assert_int_equal(c->categories[1], HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_PROFILE);
	assert_int_equal(c->given_at, T_2026 - UINT64_C(84600000));
	assert_int_equal(c->expires_at, T_2026);
	assert_int_equal(c->method, HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED);
	assert_false(c->by_guardian);
	assert_true(c->child_consulted);
	assert_int_equal(r->profile->sex, HOMEWARD__REFERRAL__SEX__SEX_FEMALE);
	assert_int_equal(r->profile->age, 24);
	assert_int_equal(r->profile->age_band, HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_18_TO_24);
	assert_int_equal(r->n_needs, 2);
	assert_int_equal(r->needs[1], HOMEWARD__REFERRAL__ASSISTANCE_TYPE__ASSISTANCE_MEDICAL);
	assert_int_equal(r->proposed_return->latest, T_2026 + UINT64_C(1182600500));
	assert_string_equal(r->identity->family_contacts[0]->name, "Test Person B");
	assert_string_equal(r->identity->family_contacts[0]->address, "");
	/* Full enum names on request. */
	assert_non_null(full = docjson_from_pb(m, DOCJSON_ENUM_FULL));
	assert_string_equal(json_string_value(json_object_get(json_object_get(full,
	    "profile"), "sex")), "SEX_FEMALE");
	assert_string_equal(json_string_value(json_array_get(json_object_get(full,
	    "needs"), 0)), "ASSISTANCE_SHELTER");
	json_decref(full);
	json_decref(in);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Bad documents: the exact error, which holds the path and never the
 * offending value (secret). */
static const struct bad {
	const ProtobufCMessageDescriptor *d;
	const char     *in;
	int             rc;
	const char     *err;
	const char     *secret;
} bads[] = {
	{ AR, "{'profile':{'sex':'Test Person A'}}", -EINVAL,
	  "profile.sex: not a valid Sex (one of unspecified, female, male, other)",
	  "Test Person A" },
	{ AR, "{'profile':{'sex':99}}", -EINVAL,
	  "profile.sex: not a valid Sex (one of unspecified, female, male, other)",
	  "99" },
	{ AR, "{'profile':{'sex':'SEX_'}}", -EINVAL,
	  "profile.sex: not a valid Sex (one of unspecified, female, male, other)",
	  "SEX_'" },
	{ AR, "{'profile':{'age':-3}}", -EINVAL,
	  "profile.age: out of range (0 to 4294967295)", "-3" },
	{ AR, "{'profile':{'age':4294967296}}", -EINVAL,
	  "profile.age: out of range (0 to 4294967295)", "4294967296" },
	{ AR, "{'profile':{'age':'41'}}", -EINVAL,
	  "profile.age: not an integer", "41" },
	{ AR, "{'profile':{'age':41.5}}", -EINVAL,
	  "profile.age: not an integer", "41" },
	{ AR, "{'profile':{'minor':'yes'}}", -EINVAL,
	  "profile.minor: not true or false", "yes" },
	{ AR, "{'needs':['shelter','Test Person A']}", -EINVAL,
	  "needs[1]: not a valid AssistanceType (one of unspecified, shelter, "
	  "medical, psychosocial, legal, family_tracing, education, livelihood, "
	  "vocational_training, income_generation, housing, family_mediation)",
	  "Test Person A" },
	{ AR, "{'needs':[null]}", -EINVAL, NULL, NULL },
	{ AR, "{'needs':'shelter'}", -EINVAL, "needs: not an array", "shelter" },
	{ AR, "{'profile':'Test Person A'}", -EINVAL, "profile: not an object",
	  "Test Person A" },
	{ AR, "['Test Person A']", -EINVAL, "document: not an object",
	  "Test Person A" },
	{ AR, "{'identity':{'full_name':1234567}}", -EINVAL,
	  "identity.full_name: not a string", "1234567" },
	{ AR, "{'identity':{'full_name':'Test\\u0000Person A'}}", -EINVAL,
	  "identity.full_name: holds a NUL character", "Test" },
	{ AR, "{'identity':{'documents':[{'kind':'passport'},"
	  "{'number':'X0000009','expires':20300101}]}}", -EINVAL,
	  "identity.documents[1].expires: not a string", "20300101" },
	{ AR, "{'identity':{'famliy_contacts':[]}}", -EINVAL,
	  "identity.famliy_contacts: unknown field", NULL },
	{ AR, "{'pro\\u0001file\\u00e9':{}}", -EINVAL,
	  "pro?file??: unknown field", NULL },
	{ AR, "{'reply_by':'tomorrow'}", -EINVAL,
	  "reply_by: not a time (use 2026-12-01T07:30:00Z or ms)", "tomorrow" },
	{ AR, "{'reply_by':'2026-02-30T00:00:00Z'}", -EINVAL,
	  "reply_by: not a time (use 2026-12-01T07:30:00Z or ms)", "02-30" },
	{ AR, "{'reply_by':'1796110200000\\u0000'}", -EINVAL,
	  "reply_by: not a time (use 2026-12-01T07:30:00Z or ms)", "1796" },
	{ AR, "{'reply_by':'18446744073709551616'}", -EINVAL,
	  "reply_by: not a time (use 2026-12-01T07:30:00Z or ms)", "1844" },
	{ AR, "{'proposed_return':{'latest':-7}}", -EINVAL,
	  "proposed_return.latest: not a time (use 2026-12-01T07:30:00Z or ms)",
	  "-7" },
	{ AR, "{'header':{'consent':{'consent_id':'abc'}}}", -EINVAL,
	  "header.consent.consent_id: not a hex string (odd length)", "abc" },
	{ AR, "{'header':{'consent':{'consent_id':'zz00'}}}", -EINVAL,
	  "header.consent.consent_id: not a hex string", "zz00" },
	{ AR, "{'header':{'consent':{'steps':['assistance_request',8]}}}",
	  -EINVAL, NULL, NULL },
	{ AC, "{'decision':'accept','information_needed':['a',7]}", -EINVAL,
	  "information_needed[1]: not a string", NULL },
	{ AC, "{'family_assessment':'unsafe'}", -EINVAL,
	  "family_assessment: not a valid FamilyAssessmentOutcome (one of "
	  "unspecified, return_safe, return_not_safe, not_traced, pending)",
	  "unsafe" },
	{ RR, "{'health':{'discharge_summary':'x','extra':1}}", -EINVAL,
	  "health.extra: unknown field", NULL },
	{ RC, "{'committed':[{'kind':'housing','from':'next week'}]}", -EINVAL,
	  "committed[0].from: not a time (use 2026-12-01T07:30:00Z or ms)",
	  "next week" },
	{ DN, "{'legs':[{'mode':'air'},{'arrival':'2026-12-01 07:30'}]}",
	  -EINVAL,
	  "legs[1].arrival: not a time (use 2026-12-01T07:30:00Z or ms)",
	  "2026-12-01 07:30" },
	{ DN, "{'fit_to_travel':1}", -EINVAL,
	  "fit_to_travel: not true or false", NULL },
	{ DN, "{'escorts':[{'gender':'Test Person A'}]}", -EINVAL,
	  "escorts[0].gender: not a valid Sex (one of unspecified, female, "
	  "male, other)", "Test Person A" },
	{ ACF, "{'outcome':'ARRIVAL_MET','arrived_at':true}", -EINVAL,
	  "arrived_at: not a time (use 2026-12-01T07:30:00Z or ms)", NULL },
	{ FU, "{'status':'done'}", -EINVAL,
	  "status: not a valid ReintegrationStatus (one of status_unspecified, "
	  "in_progress, completed, discontinued, lost_contact)", "done" },
	{ CW, "{'withdrawn_at':1.5}", -EINVAL,
	  "withdrawn_at: not a time (use 2026-12-01T07:30:00Z or ms)", "1.5" },
	{ EC, "{'withdrawal_id':'0g'}", -EINVAL,
	  "withdrawal_id: not a hex string", "0g" },
	{ EC, "{'header':{'safety':{'approved_at':'2027-03-04T05:06:07'}}}",
	  -EINVAL, "header.safety.approved_at: not a time (use "
	  "2026-12-01T07:30:00Z or ms)", "2027-03-04" },
};

static void
test_bad_documents(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		ProtobufCMessage *m = (ProtobufCMessage *)&m;
		json_t *in = J(b->in);
		char err[512];
		int rc;

		rc = docjson_to_pb(in, b->d, &m, err, sizeof(err));
		if (rc != b->rc)
			fail_msg("bad %zu: rc %d (%s)", i, rc, err);
		assert_null(m);
		if (b->err != NULL && strcmp(err, b->err) != 0)
			fail_msg("bad %zu:\n got: %s\nwant: %s", i, err, b->err);
		if (b->secret != NULL && strstr(err, b->secret) != NULL)
			fail_msg("bad %zu: the value is in \"%s\"", i, err);
		assert_true(strlen(err) > 0);
		/* A short buffer holds the start of it; none is fine too. */
		assert_int_equal(docjson_to_pb(in, b->d, &m, err, 8), b->rc);
		assert_int_equal(strlen(err), 7);
		assert_int_equal(docjson_to_pb(in, b->d, &m, NULL, 0), b->rc);
		json_decref(in);
	}
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* One case of the limits: obj in, rc and err out. */
static void
limit(const ProtobufCMessageDescriptor *d, json_t *obj, int want,
    const char *want_err)
{
	ProtobufCMessage *m;
	char err[256];
	int rc = docjson_to_pb(obj, d, &m, err, sizeof(err));

	if (rc != want)
		fail_msg("rc %d, want %d (%s)", rc, want, err);
	if (want_err != NULL)
		assert_string_equal(err, want_err);
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(obj);
}

static void
test_limits(void **state)
{
	json_t *arr, *obj, *inner;
	char *s;

	(void)state;
	/* Arrays: 1000 elements, not 1001. */
	assert_non_null(arr = json_array());
	for (int i = 0; i < DOCJSON_ARRAY_MAX; i++)
		json_array_append_new(arr, json_string("agency-b.example"));
	limit(AR, json_pack("{s:{s:{s:O}}}", "header", "consent", "recipients",
	    arr), 0, NULL);
	json_array_append_new(arr, json_string("agency-b.example"));
	limit(AR, json_pack("{s:{s:{s:o}}}", "header", "consent", "recipients",
	    arr), -E2BIG, "header.consent.recipients: more than 1000 elements");

	/* Strings and bytes: 64 KiB, not a byte more. */
	s = repeat('A', DOCJSON_STRING_MAX);
	limit(AR, json_pack("{s:{s:s}}", "identity", "full_name", s), 0, NULL);
	free(s);
	s = repeat('A', DOCJSON_STRING_MAX + 1);
	limit(AR, json_pack("{s:{s:s}}", "identity", "full_name", s), -E2BIG,
	    "identity.full_name: longer than 65536 bytes");
	free(s);
	s = repeat('a', 2 * DOCJSON_STRING_MAX);
	limit(EC, json_pack("{s:s}", "withdrawal_id", s), 0, NULL);
	free(s);
	s = repeat('a', 2 * DOCJSON_STRING_MAX + 2);
	limit(EC, json_pack("{s:s}", "withdrawal_id", s), -E2BIG,
	    "withdrawal_id: longer than 65536 bytes");
	free(s);

	/* Depth: no referral document nests that deep, DescriptorProto does.
	 * 16 messages in all, then 17. */
	for (int depth = 16; depth <= 17; depth++) {
		assert_non_null(obj = json_pack("{s:s}", "name", "Leaf"));
		for (int i = 1; i < depth; i++) {
			assert_non_null(inner = json_pack("{s:[o]}", "nested_type",
			    obj));
			obj = inner;
		}
		limit(&google__protobuf__descriptor_proto__descriptor, obj,
		    depth == 16 ? 0 : -E2BIG, NULL);
	}

	/* An unknown key is shown cut short. */
	s = repeat('k', 100);
	obj = json_object();
	json_object_set_new(obj, s, json_true());
	memcpy(s + 48, "...: unknown field", 19);
	limit(AR, obj, -EINVAL, s);
	free(s);
}

/* Oneofs, proto2 optional and required fields, and the number types the
 * referral documents do not use, on other descriptors. */
static void
test_generic(void **state)
{
	ProtobufCMessage *m, *back;
	Homeward__Control__Request *rq;
	Homeward__Control__Response *rs;
	Homeward__Control__Status st = HOMEWARD__CONTROL__STATUS__INIT;
	Google__Protobuf__UninterpretedOption *uo;
	json_t *in, *out;
	char err[256];

	(void)state;
	in = J("{'version':1,'status':{}}");
	assert_int_equal(docjson_to_pb(in, &homeward__control__request__descriptor,
	    &m, err, sizeof(err)), 0);
	rq = (Homeward__Control__Request *)m;
	assert_int_equal(rq->kind_case, HOMEWARD__CONTROL__REQUEST__KIND_STATUS);
	assert_non_null(out = docjson_from_pb(m, 0));
	assert_json_equal(out, in);
	json_decref(out);
	json_decref(in);
	protobuf_c_message_free_unpacked(m, NULL);

	in = J("{'version':1,'status':{},'peers_list':{}}");
	assert_int_equal(docjson_to_pb(in, &homeward__control__request__descriptor,
	    &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "peers_list: another member of its oneof is set");
	json_decref(in);

	/* A oneof member at its default is still the member that is set. */
	in = J("{'evidence':''}");
	assert_int_equal(docjson_to_pb(in, &homeward__control__response__descriptor,
	    &m, err, sizeof(err)), 0);
	rs = (Homeward__Control__Response *)m;
	assert_int_equal(rs->kind_case, HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE);
	assert_non_null(out = docjson_from_pb(m, 0));
	assert_json_equal(out, in);
	json_decref(out);
	json_decref(in);
	protobuf_c_message_free_unpacked(m, NULL);

	/* uint64 beyond jansson's integers, a time beyond year 9999, and a
	 * time whose name does not say so ("now"). */
	st.alerts = UINT64_MAX;
	st.started_at = DOCJSON_TIME_MAX + 1;
	st.now = T_2026;
	assert_non_null(out = docjson_from_pb(&st.base, 0));
	in = J("{'started_at':253402300800000,'now':1796110200000,"
	    "'alerts':'18446744073709551615'}");
	assert_json_equal(out, in);
	assert_int_equal(docjson_to_pb(out, &homeward__control__status__descriptor,
	    &back, err, sizeof(err)), 0);
	assert_same_message(back, &st.base);
	protobuf_c_message_free_unpacked(back, NULL);
	json_decref(out);
	json_decref(in);

	/* proto2: has_ flags, required fields, doubles, negative int64. */
	in = J("{'name':[{'name_part':'a','is_extension':false}],"
	    "'positive_int_value':0,'negative_int_value':-9223372036854775808,"
	    "'double_value':'NaN','identifier_value':''}");
	assert_int_equal(docjson_to_pb(in,
	    &google__protobuf__uninterpreted_option__descriptor, &m, err,
	    sizeof(err)), 0);
	uo = (Google__Protobuf__UninterpretedOption *)m;
	assert_true(uo->has_positive_int_value);
	assert_int_equal(uo->positive_int_value, 0);
	assert_int_equal(uo->negative_int_value, INT64_MIN);
	assert_true(isnan(uo->double_value));
	assert_false(uo->name[0]->is_extension);
	assert_non_null(out = docjson_from_pb(m, 0));
	assert_json_equal(out, in);
	json_decref(out);
	json_decref(in);
	protobuf_c_message_free_unpacked(m, NULL);

	in = J("{'name':[{'name_part':'a'}]}");
	assert_int_equal(docjson_to_pb(in,
	    &google__protobuf__uninterpreted_option__descriptor, &m, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "name[0].is_extension: missing (required)");
	json_decref(in);

	in = J("{'double_value':'1.5'}");
	assert_int_equal(docjson_to_pb(in,
	    &google__protobuf__uninterpreted_option__descriptor, &m, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "double_value: not a number");
	json_decref(in);

	assert_int_equal(docjson_to_pb(NULL, AR, &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "document: not an object");
	assert_null(docjson_from_pb(NULL, 0));
}

/* What from_pb cannot write: a string that is not UTF-8; what to_pb
 * refuses although from_pb writes it: an enum number not defined. */
static void
test_from_pb_limits(void **state)
{
	Homeward__Referral__Identity id = HOMEWARD__REFERRAL__IDENTITY__INIT;
	Homeward__Referral__Profile pr = HOMEWARD__REFERRAL__PROFILE__INIT;
	char bad[] = "Test \xff Person";
	ProtobufCMessage *m;
	json_t *out;

	(void)state;
	id.full_name = bad;
	assert_null(docjson_from_pb(&id.base, 0));
	pr.sex = (Homeward__Referral__Sex)7;
	assert_non_null(out = docjson_from_pb(&pr.base, 0));
	assert_int_equal(json_integer_value(json_object_get(out, "sex")), 7);
	assert_int_equal(docjson_to_pb(out, &homeward__referral__profile__descriptor,
	    &m, NULL, 0), -EINVAL);
	json_decref(out);
}

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
	packed(fill_message(fl, d), &buf, &len);
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
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_time_against_gmtime),
		cmocka_unit_test(test_time_fields),
		cmocka_unit_test(test_good_documents),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_from_pb_limits),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
