/* Unit tests: referral documents as JSON and back (common/docjson.c).
 * Every document type has a good input whose canonical form is spelled
 * out, and bad inputs whose errors must name the path and never the value;
 * the limits, the generic field kinds and what from_pb cannot write.  The
 * times are in test_docjson_time.c, the round trip of filled messages in
 * test_docjson_roundtrip.c.  All data is synthetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <math.h>

#include <cmocka.h>

#include "common/docjson.h"
#include "tests/unit/pbsame.h"
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
assert_json_equal(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		char *w = json_dumps(want, JSON_SORT_KEYS);

		fail_msg("JSON differs\n got: %s\nwant: %s", g, w);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_documents),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_from_pb_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
