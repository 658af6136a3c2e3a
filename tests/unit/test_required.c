/* Unit tests: what each document must say (daemon/rules/required.c).  A
 * complete document of every step and every variant passes; a table of
 * documents each missing one thing is refused, naming that field in the
 * operator's words and saying what to do; the sentence lists several gaps
 * together, counts what it cannot show, and never quotes a value.
 * Documents are written as the JSON an operator writes (' for "). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/docjson.h"
#include "common/msgtype.h"
#include "daemon/rules/required.h"
#include "proto/refcat.h"

#define AR      ENV1_MSG_ASSISTANCE_REQUEST
#define AC      ENV1_MSG_ASSISTANCE_CONFIRMATION
#define RR      ENV1_MSG_REINTEGRATION_REQUEST
#define RC      ENV1_MSG_REINTEGRATION_CONFIRMATION
#define DN      ENV1_MSG_DEPARTURE_NOTIFICATION
#define AV      ENV1_MSG_ARRIVAL_CONFIRMATION
#define FU      ENV1_MSG_FOLLOW_UP_REPORT

#define CANARY  "Synthetic Canary Zq"

#define LEG1    "{'mode': 'air', 'from_place': 'ABJ', 'to_place': 'DKR', " \
	"'departure': '2026-02-10T06:00:00Z', 'arrival': '2026-02-10T08:30:00Z'}"
#define LEG2    "{'mode': 'air', 'from_place': 'DKR', 'to_place': 'BKO', " \
	"'departure': '2026-02-10T09:30:00Z', 'arrival': '2026-02-10T11:00:00Z'}"
#define MET_BY  "'met_by': {'agency_id': 'ml-bamako', 'contact': 'duty desk'}"

/* The JSON literal with ' turned into ", as the document of msg_type. */
static ProtobufCMessage *
doc(uint16_t msg_type, const char *lit)
{
	ProtobufCMessage *m = NULL;
	json_error_t jerr;
	json_t *obj;
	char err[256], *s;

	assert_non_null(s = strdup(lit));
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((obj = json_loads(s, 0, &jerr)) == NULL)
		fail_msg("bad JSON literal at column %d: %s", jerr.column, lit);
	if (docjson_to_pb(obj, refcat_descriptor(msg_type), &m, err,
	    sizeof(err)) != 0)
		fail_msg("%s: %s", err, lit);
	json_decref(obj);
	free(s);
	return m;
}

/* required_check's answer and sentence for a document. */
static int
check(uint16_t msg_type, const char *lit, char *why, size_t len)
{
	ProtobufCMessage *m = doc(msg_type, lit);
	int rc = required_check(msg_type, m, why, len);

	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

static const struct complete {
	uint16_t        msg_type;
	const char     *json;
} complete[] = {
	{ AR, "{'scenario': 'police_or_ngo', 'profile': {'sex': 'female', "
	    "'age': 16}, 'needs': ['shelter']}" },
	{ AR, "{'scenario': 'self_or_family', 'profile': {'sex': 'male', "
	    "'age_band': '25_to_39'}, 'needs': ['medical', 'legal']}" },
	{ AC, "{'decision': 'accept', 'meeting_agency': {'agency_id': "
	    "'ml-bamako', 'contact': 'duty desk'}}" },
	{ AC, "{'decision': 'decline', 'reasons': 'no shelter place'}" },
	{ AC, "{'decision': 'more_information', 'information_needed': "
	    "['', 'travel document status']}" },
	{ RR, "{'wanted': ['education']}" },
	{ RC, "{'committed': [{'kind': 'education'}]}" },
	{ RC, "{'declined': [{'kind': 'housing'}]}" },
	{ DN, "{'kind': 'provisional', 'legs': [" LEG1 "], "
	    "'arrival_place': 'DKR', " MET_BY "}" },
	{ DN, "{'kind': 'final', 'legs': [" LEG1 ", " LEG2 "], "
	    "'arrival_place': 'BKO', 'met_by': {'name': 'family, waived'}}" },
	{ AV, "{'outcome': 'met', 'arrived_at': '2026-02-10T11:20:00Z', "
	    "'met_by_agency': 'ml-bamako'}" },
	{ AV, "{'outcome': 'not_arrived'}" },
	{ AV, "{'outcome': 'delayed'}" },
	{ FU, "{'status': 'in_progress'}" },
};

static void
test_complete_documents_pass(void **state)
{
	char why[512];

	(void)state;
	for (size_t i = 0; i < sizeof(complete) / sizeof(complete[0]); i++) {
		ProtobufCMessage *m = doc(complete[i].msg_type, complete[i].json);
		size_t n = 99;

		strcpy(why, "unchanged");
		assert_int_equal(required_find(complete[i].msg_type, m, NULL, 0,
		    &n), 0);
		if (n != 0 || required_check(complete[i].msg_type, m, why,
		    sizeof(why)) != 0)
			fail_msg("%s: refused: %s", complete[i].json, why);
		assert_string_equal(why, "");
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* Each rule, broken alone: the field and the words it must name. */
static const struct broken {
	uint16_t        msg_type;
	const char     *json;
	const char     *says;          /* "words (field" as in the sentence */
} broken[] = {
	{ AR, "{'profile': {'sex': 'female', 'age': 16}, 'needs': ['shelter']}",
	    "how the person came to be referred (scenario)" },
	{ AR, "{'scenario': 'police_or_ngo', 'profile': {'age': 16}, "
	    "'needs': ['shelter']}", "the person's profile (profile.sex)" },
	{ AR, "{'scenario': 'police_or_ngo', 'profile': {'sex': 'female', "
	    "'minor': true}, 'needs': ['shelter']}",
	    "the person's profile (profile.age or age_band)" },
	{ AR, "{'scenario': 'police_or_ngo', 'profile': {'sex': 'female', "
	    "'age': 16}}", "what assistance is needed (needs)" },
	{ AC, "{'meeting_agency': {'agency_id': 'ml-bamako'}}",
	    "an assistance confirmation must say its decision (decision)" },
	{ AC, "{'decision': 'accept', 'meeting_agency': {'contact': 'desk'}}",
	    "that accepts must say the qualified agency that will meet the "
	    "person on arrival, and whom to contact there "
	    "(meeting_agency.agency_id)" },
	{ AC, "{'decision': 'accept', 'meeting_agency': {'agency_id': 'x'}}",
	    "(meeting_agency.contact)" },
	{ AC, "{'decision': 'decline', 'reasons': ' \\t '}",
	    "that declines must say why the request is declined (reasons)" },
	{ AC, "{'decision': 'more_information', 'reasons': 'see below'}",
	    "that asks for more information must say what information is "
	    "needed (information_needed)" },
	{ RR, "{'assessment': 'synthetic'}",
	    "a reintegration request must say the reintegration assistance "
	    "wanted (wanted)" },
	{ RC, "{}", "a reintegration confirmation must say the services "
	    "committed or the items declined (committed or declined)" },
	{ RC, "{'committed': [{'kind': 'education'}, {'provider': 'x'}]}",
	    "what each service or item is (kind of committed 2)" },
	{ RC, "{'declined': [{'reason': 'x'}]}", "(kind of declined 1)" },
	{ DN, "{'legs': [" LEG1 "], 'arrival_place': 'DKR', " MET_BY "}",
	    "a departure notification must say whether it is advance notice "
	    "or the departure (kind)" },
	{ DN, "{'kind': 'final', 'arrival_place': 'DKR', " MET_BY "}",
	    "the itinerary (legs)" },
	{ DN, "{'kind': 'final', 'legs': [" LEG1 ", {'from_place': 'DKR', "
	    "'to_place': 'BKO', 'departure': '2026-02-10T09:30:00Z', "
	    "'arrival': '2026-02-10T11:00:00Z'}], 'arrival_place': 'BKO', "
	    MET_BY "}", "each leg's mode, places and times (mode of leg 2)" },
	{ DN, "{'kind': 'final', 'legs': [{'mode': 'air', 'to_place': 'BKO', "
	    "'departure': '2026-02-10T09:30:00Z', "
	    "'arrival': '2026-02-10T11:00:00Z'}], 'arrival_place': 'BKO', "
	    MET_BY "}", "(from_place of leg 1)" },
	{ DN, "{'kind': 'final', 'legs': [{'mode': 'air', 'from_place': 'X', "
	    "'departure': '2026-02-10T09:30:00Z', "
	    "'arrival': '2026-02-10T11:00:00Z'}], 'arrival_place': 'BKO', "
	    MET_BY "}", "(to_place of leg 1)" },
	{ DN, "{'kind': 'final', 'legs': [{'mode': 'air', 'from_place': 'X', "
	    "'to_place': 'BKO', 'arrival': '2026-02-10T11:00:00Z'}], "
	    "'arrival_place': 'BKO', " MET_BY "}", "(departure of leg 1)" },
	{ DN, "{'kind': 'final', 'legs': [{'mode': 'air', 'from_place': 'X', "
	    "'to_place': 'BKO', 'departure': '2026-02-10T09:30:00Z'}], "
	    "'arrival_place': 'BKO', " MET_BY "}", "(arrival of leg 1)" },
	{ DN, "{'kind': 'provisional', 'legs': [" LEG1 "], " MET_BY "}",
	    "where the person arrives (arrival_place)" },
	{ DN, "{'kind': 'provisional', 'legs': [" LEG1 "], "
	    "'arrival_place': 'DKR'}", "who meets the person on arrival "
	    "(met_by)" },
	{ DN, "{'kind': 'provisional', 'legs': [" LEG1 "], "
	    "'arrival_place': 'DKR', 'met_by': {'name': ''}}", "(met_by)" },
	{ AV, "{'met_by': 'duty officer'}",
	    "an arrival confirmation must say the outcome (outcome)" },
	{ AV, "{'outcome': 'met', 'met_by_agency': 'ml-bamako'}",
	    "that the person was met must say when the person arrived and "
	    "which agency met them (arrived_at)" },
	{ AV, "{'outcome': 'met', 'arrived_at': '2026-02-10T11:20:00Z'}",
	    "(met_by_agency)" },
	{ FU, "{'report': 'synthetic'}",
	    "a follow-up report must say the reintegration status (status)" },
};

static void
test_each_rule_names_its_field(void **state)
{
	char why[512];

	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		if (check(broken[i].msg_type, broken[i].json, why,
		    sizeof(why)) != -EPERM)
			fail_msg("%s: not refused", broken[i].json);
		if (strstr(why, broken[i].says) == NULL ||
		    strstr(why, ": add it to the document") == NULL)
			fail_msg("%s: says \"%s\", not \"%s\"", broken[i].json,
			    why, broken[i].says);
	}
}

/* The brief's case: an empty request, every gap in one sentence. */
static void
test_empty_request_names_everything(void **state)
{
	char why[512];

	(void)state;
	assert_int_equal(check(AR, "{}", why, sizeof(why)), -EPERM);
	assert_string_equal(why, "a request for assistance must say how the "
	    "person came to be referred (scenario), the person's profile "
	    "(profile.sex, profile.age or age_band) and what assistance is "
	    "needed (needs): add them to the document");
	assert_int_equal(check(AR, "{'profile': {'sex': 'male'}}", why,
	    sizeof(why)), -EPERM);
	assert_string_equal(why, "a request for assistance must say how the "
	    "person came to be referred (scenario), the person's profile "
	    "(profile.age or age_band) and what assistance is needed (needs): "
	    "add them to the document");
}

/* A long itinerary with nothing in it: ten gaps named, the rest counted,
 * and the sentence fits the daemon's buffer. */
static void
test_many_gaps_counted(void **state)
{
	char why[512];
	size_t n = 0;
	ProtobufCMessage *m = doc(DN, "{'kind': 'final', 'legs': "
	    "[{}, {}, {}, {}], 'arrival_place': 'BKO', " MET_BY "}");
	struct required_gap g[3];

	(void)state;
	assert_int_equal(required_find(DN, m, g, 3, &n), 0);
	assert_int_equal(n, 20);
	assert_string_equal(g[0].field, "mode of leg 1");
	assert_string_equal(g[2].field, "to_place of leg 1");
	assert_ptr_equal(g[0].what, g[2].what);
	assert_int_equal(required_check(DN, m, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "(mode of leg 1, from_place of leg 1, "));
	assert_non_null(strstr(why, "arrival of leg 2) and 10 more: add "
	    "them to the document"));
	/* Too small a buffer: cut short, still a string. */
	assert_int_equal(required_check(DN, m, why, 16), -EPERM);
	assert_int_equal(strlen(why), 15);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Field names only: what the document does say is never repeated. */
static void
test_no_value_in_the_sentence(void **state)
{
	char why[512];

	(void)state;
	assert_int_equal(check(AR, "{'scenario': 'police_or_ngo', "
	    "'identity': {'full_name': '" CANARY "'}, 'profile': {'sex': "
	    "'female', 'nationality': 'XA'}}", why, sizeof(why)), -EPERM);
	assert_null(strstr(why, CANARY));
	assert_null(strstr(why, "XA"));
	assert_int_equal(check(AV, "{'outcome': 'met', 'met_by': '" CANARY
	    "', 'next_steps': '" CANARY "'}", why, sizeof(why)), -EPERM);
	assert_null(strstr(why, CANARY));
}

static void
test_bad_arguments(void **state)
{
	ProtobufCMessage *req = doc(AR, "{}");
	char why[128];
	size_t n;

	(void)state;
	assert_int_equal(required_find(AR, NULL, NULL, 0, &n), -EINVAL);
	assert_int_equal(required_find(AR, req, NULL, 0, NULL), -EINVAL);
	assert_int_equal(required_find(AR, req, NULL, 1, &n), -EINVAL);
	/* Not a step, or not the document of its type. */
	assert_int_equal(required_find(ENV1_MSG_CONSENT_WITHDRAWAL, req, NULL,
	    0, &n), -EINVAL);
	assert_int_equal(required_find(0, req, NULL, 0, &n), -EINVAL);
	assert_int_equal(required_check(AC, req, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the document is not a step of the procedure");
	assert_int_equal(required_check(AR, req, NULL, 0), -EINVAL);
	assert_int_equal(required_check(AR, req, why, 0), -EINVAL);
	protobuf_c_message_free_unpacked(req, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_documents_pass),
		cmocka_unit_test(test_each_rule_names_its_field),
		cmocka_unit_test(test_empty_request_names_everything),
		cmocka_unit_test(test_many_gaps_counted),
		cmocka_unit_test(test_no_value_in_the_sentence),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
