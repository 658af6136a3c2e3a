/* Unit tests: what a recipient verifies of a partner's header
 * (daemon/rules/header.c, PROTOCOL.md 21.8).  A table of headers, each
 * breaking one rule of the basis, gives that rule's alert kind and words;
 * the valid ones around them pass, for an answer (the scope must be the
 * one we sent) and for a destination's document (it must name us).  Then
 * in_reply_to, the times a journey allows at their edges, the itinerary
 * compared by field names only, and no value of a document in a reason.
 * Documents are written as JSON (' for "). */
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
#include "daemon/rules/header.h"
#include "proto/refcat.h"

#define H               3600000ull
#define T0              1789948800000ull        /* 2026-09-21T00:00:00Z, the envelope's created_at */
#define CID             "0f0e0d0c0b0a09080706050403020100"
#define GIVEN           "'given_at': '2026-09-01T00:00:00Z'"

/* The JSON literal with ' turned into ", as a message of descriptor d. */
static ProtobufCMessage *
msg(const ProtobufCMessageDescriptor *d, const char *lit)
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
	if (docjson_to_pb(obj, d, &m, err, sizeof(err)) != 0)
		fail_msg("%s: %s", err, lit);
	json_decref(obj);
	free(s);
	return m;
}

/* The consent we recorded: gamma may answer under it. */
static void
sent_consent(struct consent *c)
{
	static const uint8_t id[16] = { 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
	    4, 3, 2, 1, 0 };

	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, sizeof(id));
	strcpy(c->recipients[0], "gamma");
	c->nrecipients = 1;
	c->steps = 0xfe;
	c->categories = REFCAT_BIT(3) | REFCAT_BIT(4) | REFCAT_BIT(6);
}

struct basis_case {
	const char     *name;
	int             answer;         /* 1: at the destination, step 2 */
	const char     *header;         /* CaseHeader JSON */
	uint32_t        carries;        /* categories of the document */
	enum header_breach want;
	const char     *words;          /* in why */
};

#define SCOPE(extra)    "{'consent': {'consent_id': '" CID "', " extra "}}"
#define ANS(extra)      SCOPE("'recipients': ['gamma'], 'steps': [1,2,3,4,5,6,7], " \
	"'categories': ['profile','travel'], 'method': 'oral', " GIVEN extra)
#define REQ(extra)      SCOPE("'recipients': ['alpha','beta'], 'steps': [1,2,5], " \
	"'categories': ['profile','travel'], 'method': 'oral', " GIVEN extra)
#define SAFE(a, b)      "{'safety': {'reason': 'synthetic risk', 'approved_by': '" a \
	"', 'second_approved_by': '" b "'}}"
#define PROF            REFCAT_BIT(1) | REFCAT_BIT(3)
#define HEALTH          REFCAT_BIT(4)

static const struct basis_case basis_cases[] = {
	{ "answer under our scope", 1, ANS(""), PROF, HEADER_OK, "" },
	{ "request naming us", 0, REQ(""), PROF, HEADER_OK, "" },
	{ "safety, two supervisors", 1, SAFE("sup-a", "sup-b"), PROF | HEALTH,
	    HEADER_OK, "" },
	{ "answer, unknown consent", 1, "{'consent': {'consent_id': "
	    "'00112233445566778899aabbccddeeff', 'recipients': ['gamma'], "
	    "'steps': [2], 'method': 'oral', " GIVEN "}}", REFCAT_BIT(1),
	    HEADER_UNKNOWN_CONSENT, "its consent_id is none this agency recorded" },
	{ "answer under the origin's own consent, naming us", 1, "{'consent': "
	    "{'consent_id': '00112233445566778899aabbccddeeff', 'recipients': "
	    "['alpha'], 'steps': [2], 'categories': ['profile'], 'method': 'oral', "
	    GIVEN "}}", PROF, HEADER_OK, "" },
	{ "answer under the origin's own consent, not covering", 1, "{'consent': "
	    "{'consent_id': '00112233445566778899aabbccddeeff', 'recipients': "
	    "['alpha'], 'steps': [2], 'method': 'oral', " GIVEN "}}", PROF,
	    HEADER_CATEGORIES, "it carries profile" },
	{ "answer, recipient added", 1, SCOPE("'recipients': ['gamma','beta'], "
	    "'steps': [2], 'method': 'oral', " GIVEN), REFCAT_BIT(1),
	    HEADER_RECIPIENTS, "names 2 recipients; the consent recorded here names 1" },
	{ "answer, recipient replaced", 1, SCOPE("'recipients': ['delta'], "
	    "'steps': [2], 'method': 'oral', " GIVEN), REFCAT_BIT(1),
	    HEADER_RECIPIENTS, "recipient 1 of its consent scope is not in the consent" },
	{ "answer, categories widened", 1, ANS(", 'categories': ['profile',"
	    "'security']"), PROF, HEADER_BASIS, "wider than the consent recorded "
	    "here (categories)" },
	{ "answer, step not covered", 1, SCOPE("'recipients': ['gamma'], "
	    "'steps': [1], 'method': 'oral', " GIVEN), REFCAT_BIT(1), HEADER_BASIS,
	    "does not cover step 2 (assistance confirmation)" },
	{ "answer carries health", 1, ANS(""), PROF | HEALTH, HEADER_CATEGORIES,
	    "it carries health, which its consent scope does not cover" },
	{ "request not naming us", 0, SCOPE("'recipients': ['beta'], 'steps': [1], "
	    "'method': 'oral', " GIVEN), REFCAT_BIT(1), HEADER_RECIPIENTS,
	    "does not name this agency (alpha)" },
	{ "request carries health", 0, REQ(""), PROF | HEALTH, HEADER_CATEGORIES,
	    "it carries health" },
	{ "consent id short", 0, "{'consent': {'consent_id': '0011', "
	    "'recipients': ['alpha'], 'steps': [1], 'method': 'oral', " GIVEN "}}",
	    REFCAT_BIT(1), HEADER_SCOPE, "consent_id is 2 bytes, not 16" },
	{ "no recipients", 0, SCOPE("'steps': [1], 'method': 'oral', " GIVEN),
	    REFCAT_BIT(1), HEADER_SCOPE, "names 0 recipients, not 1-16" },
	{ "recipient no agency id", 0, SCOPE("'recipients': ['alpha','Agency B'], "
	    "'steps': [1], 'method': 'oral', " GIVEN), REFCAT_BIT(1), HEADER_SCOPE,
	    "recipient 2 of its consent scope is not an agency id" },
	{ "no steps", 0, SCOPE("'recipients': ['alpha'], 'method': 'oral', " GIVEN),
	    REFCAT_BIT(1), HEADER_SCOPE, "names no step" },
	{ "no method", 0, SCOPE("'recipients': ['alpha'], 'steps': [1], " GIVEN),
	    REFCAT_BIT(1), HEADER_SCOPE, "does not say how consent was given" },
	{ "written, no form", 0, SCOPE("'recipients': ['alpha'], 'steps': [1], "
	    "'method': 'written', " GIVEN), REFCAT_BIT(1), HEADER_SCOPE,
	    "form_hash is 0 bytes, not 32" },
	{ "interpreted, no language", 0, SCOPE("'recipients': ['alpha'], "
	    "'steps': [1], 'method': 'oral_interpreted', " GIVEN), REFCAT_BIT(1),
	    HEADER_SCOPE, "names no language" },
	{ "not given", 0, SCOPE("'recipients': ['alpha'], 'steps': [1], "
	    "'method': 'oral'"), REFCAT_BIT(1), HEADER_SCOPE, "given_at is missing" },
	{ "given later", 0, SCOPE("'recipients': ['alpha'], 'steps': [1], "
	    "'method': 'oral', 'given_at': '2026-09-22T00:00:00Z'"), REFCAT_BIT(1),
	    HEADER_SCOPE, "given_at is after the document was sent" },
	{ "expires before given", 0, SCOPE("'recipients': ['alpha'], 'steps': [1], "
	    "'method': 'oral', " GIVEN ", 'expires_at': '2026-08-01T00:00:00Z'"),
	    REFCAT_BIT(1), HEADER_SCOPE, "expires (expires_at) before it was given" },
	{ "same approver", 1, SAFE("sup-a", "sup-a"), PROF, HEADER_SAME_APPROVER,
	    "approved twice by the same supervisor" },
	{ "one approver", 0, SAFE("sup-a", ""), PROF, HEADER_SAFETY,
	    "lacks second_approved_by" },
	{ "no reason", 0, "{'safety': {'approved_by': 'a', 'second_approved_by': "
	    "'b'}}", PROF, HEADER_SAFETY, "gives no reason" },
};

static void
test_basis_table(void **state)
{
	struct consent sent;
	struct header_ctx ctx;
	char why[256];

	(void)state;
	sent_consent(&sent);
	for (size_t i = 0; i < sizeof(basis_cases) / sizeof(basis_cases[0]); i++) {
		const struct basis_case *bc = &basis_cases[i];
		ProtobufCMessage *h = msg(&homeward__referral__case_header__descriptor,
		    bc->header);
		enum header_breach got;

		memset(&ctx, 0, sizeof(ctx));
		ctx.msg_type = bc->answer ? 2 : 1;
		ctx.answer = bc->answer;
		ctx.self = "alpha";
		ctx.sent = &sent;
		ctx.nsent = 1;
		ctx.categories = bc->carries;
		ctx.now = T0;
		why[0] = '\0';
		got = header_basis_check(&ctx, (const void *)h, why, sizeof(why));
		if (got != bc->want || strstr(why, bc->words) == NULL)
			fail_msg("%s: got %s (%s), wanted %s (%s)", bc->name,
			    header_breach_kind(got), why, header_breach_kind(bc->want),
			    bc->words);
		protobuf_c_message_free_unpacked(h, NULL);
	}
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_string_equal(header_breach_kind(HEADER_OK), "");
	assert_string_equal(header_breach_kind(HEADER_IN_REPLY_TO), "in_reply_to");
	assert_string_equal(header_breach_kind(HEADER_TIME), "implausible_time");
	assert_string_equal(header_breach_kind(HEADER_SAME_APPROVER),
	    "header_same_approver");
	assert_string_equal(header_breach_kind((enum header_breach)99), "");
}

static void
test_reply(void **state)
{
	struct header_reply r;
	char why[256];

	(void)state;
	assert_int_equal(header_answers(2), 1);
	assert_int_equal(header_answers(4), 3);
	assert_int_equal(header_answers(6), 5);
	assert_int_equal(header_answers(7), 0);
	assert_int_equal(header_answers(1), 0);
	memset(&r, 0, sizeof(r));
	r.zero = 1;
	assert_int_equal(header_reply_check(2, &r, why, sizeof(why)), HEADER_IN_REPLY_TO);
	assert_non_null(strstr(why, "it is all zeros"));
	assert_int_equal(header_reply_check(7, &r, why, sizeof(why)), HEADER_OK);
	assert_int_equal(header_reply_check(257, &r, why, sizeof(why)), HEADER_OK);
	memset(&r, 0, sizeof(r));               /* not ours */
	assert_int_equal(header_reply_check(4, &r, why, sizeof(why)), HEADER_IN_REPLY_TO);
	assert_non_null(strstr(why, "names no reintegration request"));
	r.ours = 1;
	r.msg_type = 3;
	assert_int_equal(header_reply_check(4, &r, why, sizeof(why)), HEADER_OK);
	r.msg_type = 1;                         /* the wrong one of ours */
	assert_int_equal(header_reply_check(4, &r, why, sizeof(why)), HEADER_IN_REPLY_TO);
	assert_int_equal(header_reply_check(2, &r, why, sizeof(why)), HEADER_OK);
	r.msg_type = 5;
	r.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL;
	assert_int_equal(header_reply_check(6, &r, why, sizeof(why)), HEADER_IN_REPLY_TO);
	assert_non_null(strstr(why, "names no final departure notification"));
	r.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL;
	assert_int_equal(header_reply_check(6, &r, why, sizeof(why)), HEADER_OK);
}

#define DEP     "2026-09-20T22:00:00Z"          /* T0 - 2 h */
#define ARR     "2026-09-21T02:00:00Z"          /* T0 + 2 h */
#define LEGS(d, a) "'legs': [{'mode': 'air', 'from_place': 'ABJ', " \
	"'to_place': 'BKO', 'departure': '" d "', 'arrival': '" a "'}]"

static enum header_breach
time_of(uint16_t t, const char *lit, const char *final_lit, char *why, size_t len)
{
	ProtobufCMessage *d = msg(refcat_descriptor(t), lit), *f = NULL;
	enum header_breach b;

	if (final_lit != NULL)
		f = msg(&homeward__referral__departure_notification__descriptor,
		    final_lit);
	why[0] = '\0';
	b = header_time_check(t, d, (const void *)f, T0, why, len);
	protobuf_c_message_free_unpacked(d, NULL);
	if (f != NULL)
		protobuf_c_message_free_unpacked(f, NULL);
	return b;
}

static void
test_times(void **state)
{
	const char *fin = "{'kind': 'final', " LEGS(DEP, ARR) "}";
	char why[256];

	(void)state;
	/* A final notice: up to 24 h ahead, not a second more. */
	assert_int_equal(time_of(5, "{'kind': 'final', " LEGS("2026-09-22T00:00:00Z",
	    "2026-09-22T02:00:00Z") "}", NULL, why, sizeof(why)), HEADER_OK);
	assert_int_equal(time_of(5, "{'kind': 'final', " LEGS("2026-09-22T00:00:01Z",
	    "2026-09-22T02:00:00Z") "}", NULL, why, sizeof(why)), HEADER_TIME);
	assert_non_null(strstr(why, "more than 24 h after it was sent"));
	/* A provisional one may be as far ahead as it likes. */
	assert_int_equal(time_of(5, "{'kind': 'provisional', " LEGS("2026-10-22T00:00:00Z",
	    "2026-10-22T02:00:00Z") "}", NULL, why, sizeof(why)), HEADER_OK);
	/* MET: between the departure and now, near the arrival. */
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '2026-09-21T00:00:00Z'}",
	    fin, why, sizeof(why)), HEADER_OK);
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '" DEP "'}",
	    fin, why, sizeof(why)), HEADER_OK);
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '2026-09-20T21:59:59Z'}",
	    fin, why, sizeof(why)), HEADER_TIME);
	assert_non_null(strstr(why, "before the first leg of the final departure"));
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '2026-09-21T00:10:00Z'}",
	    fin, why, sizeof(why)), HEADER_OK);        /* T0 + skew */
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '2026-09-21T00:10:01Z'}",
	    fin, why, sizeof(why)), HEADER_TIME);
	assert_non_null(strstr(why, "after the document was sent"));
	assert_int_equal(time_of(6, "{'outcome': 'met', 'arrived_at': '2026-09-20T23:00:00Z'}",
	    "{'kind': 'final', " LEGS("2026-09-20T22:00:00Z", "2026-09-22T00:00:00Z") "}",
	    why, sizeof(why)), HEADER_TIME);
	assert_non_null(strstr(why, "more than 24 h before the last leg's scheduled arrival"));
	/* Neither MET nor a time: nothing to check. */
	assert_int_equal(time_of(6, "{'outcome': 'delayed', 'expected_at': '2026-12-01T00:00:00Z'}",
	    fin, why, sizeof(why)), HEADER_OK);
	assert_int_equal(time_of(6, "{'outcome': 'met'}", fin, why, sizeof(why)), HEADER_OK);
	assert_int_equal(header_time_check(6, NULL, NULL, T0, why, sizeof(why)), HEADER_OK);
}

static void
test_itinerary(void **state)
{
	const ProtobufCMessageDescriptor *d =
	    &homeward__referral__departure_notification__descriptor;
	ProtobufCMessage *p, *f, *g;
	char buf[200], small[12];
	int changed;

	(void)state;
	p = msg(d, "{'kind': 'provisional', " LEGS(DEP, ARR) ", 'arrival_place': 'BKO'}");
	f = msg(d, "{'kind': 'final', " LEGS(DEP, ARR) ", 'arrival_place': 'BKO'}");
	g = msg(d, "{'kind': 'final', 'legs': [{'mode': 'road', 'from_place': 'ABJ', "
	    "'to_place': 'Synthetic Canary Zq', 'departure': '" DEP "', 'arrival': '"
	    "2026-09-21T05:00:00Z'}, {'mode': 'air'}], 'arrival_place': 'KAY'}");
	assert_int_equal(header_itinerary_diff((void *)p, (void *)f, &changed, buf,
	    sizeof(buf)), 0);
	assert_int_equal(changed, 0);
	assert_string_equal(buf, "");
	assert_int_equal(header_itinerary_diff((void *)p, (void *)g, &changed, buf,
	    sizeof(buf)), 0);
	assert_int_equal(changed, 1);
	assert_string_equal(buf, "legs 1 -> 2; leg 1: mode, to_place, arrival; "
	    "arrival_place");
	assert_null(strstr(buf, "Canary"));
	assert_int_equal(header_itinerary_diff((void *)p, (void *)g, &changed, small,
	    sizeof(small)), -ENOSPC);
	assert_int_equal(changed, 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	protobuf_c_message_free_unpacked(p, NULL);
	protobuf_c_message_free_unpacked(f, NULL);
	protobuf_c_message_free_unpacked(g, NULL);
}

/* No reason quotes a value of the header it judges. */
static void
test_no_value_in_why(void **state)
{
	struct consent sent;
	struct header_ctx ctx;
	ProtobufCMessage *h;
	char why[256];

	(void)state;
	sent_consent(&sent);
	memset(&ctx, 0, sizeof(ctx));
	ctx.msg_type = 2;
	ctx.answer = 1;
	ctx.self = "alpha";
	ctx.sent = &sent;
	ctx.nsent = 1;
	ctx.now = T0;
	h = msg(&homeward__referral__case_header__descriptor,
	    SAFE("Synthetic Canary Zq", "Synthetic Canary Zq"));
	assert_int_equal(header_basis_check(&ctx, (void *)h, why, sizeof(why)),
	    HEADER_SAME_APPROVER);
	assert_null(strstr(why, "Canary"));
	protobuf_c_message_free_unpacked(h, NULL);
	h = msg(&homeward__referral__case_header__descriptor,
	    SCOPE("'recipients': ['canary-zq'], 'steps': [2], 'method': 'oral', " GIVEN));
	assert_int_equal(header_basis_check(&ctx, (void *)h, why, sizeof(why)),
	    HEADER_RECIPIENTS);
	assert_null(strstr(why, "canary"));
	protobuf_c_message_free_unpacked(h, NULL);
	/* Withdrawals and headers without a basis are not this module's. */
	ctx.msg_type = 257;
	assert_int_equal(header_basis_check(&ctx, (void *)h, why, sizeof(why)),
	    HEADER_OK);
	ctx.msg_type = 2;
	assert_int_equal(header_basis_check(&ctx, NULL, why, sizeof(why)), HEADER_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basis_table),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_itinerary),
		cmocka_unit_test(test_no_value_in_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
