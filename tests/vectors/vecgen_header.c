/*
 * The "header_rejects" of tests/vectors/referral.json (docs/PROTOCOL.md
 * 17.5, 21.8): documents whose body is valid but which a recipient must
 * not apply, because their header breaks what the sender must check: a
 * basis that is not the scope the recipient sent, or does not name it, or
 * does not cover the document; a safety exception one supervisor approved
 * twice; an answer whose in_reply_to does not name what it answers; times
 * no journey allows.  Each entry says what the recipient knows (its
 * agency id, its role, the consents it recorded, the document it sent
 * under in_reply_to) and the alert kind it raises.
 *
 * Each reject has a twin that differs from it only by the defect, and the
 * generator stops unless daemon/rules/header.c accepts the twin and gives
 * the reject exactly its stated kind.  Fixed synthetic data, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/rules/header.h"
#include "proto/refcat.h"
#include "tests/vectors/vecgen.h"

#define NOW             FIXTURE_NOW     /* every envelope's created_at */

/* The consent the destination (alpha) recorded and sent to gamma. */
#define SENT_ID         "5eed0000000000000000000000000002"
#define SENT_BODY(id, rcpt, steps, cats) \
	"{'consent_id': '" id "', 'recipients': [" rcpt "], 'steps': [" steps "], " \
	"'categories': [" cats "], 'given_at': '2025-12-20T09:30:00Z', " \
	"'method': 'oral'}"
#define SENT            SENT_BODY(SENT_ID, "'gamma'", "1,2,3,4,5,6,7", \
	"'profile','health','travel','reintegration'")
#define HDR(scope)      "'header': {'case_code': 'SYN-HD-0001', 'consent': " scope "}"
#define SAFE(a, b)      "'header': {'case_code': 'SYN-HD-0001', 'safety': {'reason': " \
	"'Synthetic: imminent risk', 'approved_by': '" a "', " \
	"'second_approved_by': '" b "', 'approved_at': '2025-12-31T23:00:00Z'}}"
#define ACCEPT          "'decision': 'accept', 'conditions': 'Synthetic condition', " \
	"'meeting_agency': {'agency_id': 'gamma', 'contact': 'Duty desk'}"
/* A gamma request's scope naming alpha (origin side). */
#define GSCOPE(id, rcpt, extra) "{'consent_id': '" id "', 'recipients': [" rcpt "], " \
	"'steps': [1,2,5,6], 'categories': ['profile','travel'], " \
	"'given_at': '2025-12-20T09:30:00Z'" extra "}"
#define GID             "5eed0000000000000000000000000003"
#define REQ             "'scenario': 'police_or_ngo', 'profile': {'sex': 'female', " \
	"'age': 30}, 'needs': ['shelter']"
/* Legs: departed 2 h before NOW, arriving 2 h after. */
#define LEG(d, a)       "'legs': [{'mode': 'air', 'from_place': 'ABJ', " \
	"'to_place': 'BKO', 'departure': '" d "', 'arrival': '" a "'}], " \
	"'arrival_place': 'BKO', 'met_by': {'agency_id': 'gamma'}"
#define FINAL_DOC       "{" HDR(SENT) ", 'kind': 'final', " \
	LEG("2025-12-31T22:00:00Z", "2026-01-01T02:00:00Z") "}"
#define PROV_DOC        "{" HDR(SENT) ", 'kind': 'provisional', " \
	LEG("2025-12-31T22:00:00Z", "2026-01-01T02:00:00Z") "}"
#define MET(at)         "'outcome': 'met', 'met_by_agency': 'gamma', 'arrived_at': '" at "'"

/* What the recipient sent under in_reply_to. */
enum answered { NONE, ZERO, REQUEST, FINAL, PROVISIONAL };

struct hcase {
	const char     *name;
	const char     *why;
	int             destination;    /* alpha referred the case: gamma answers */
	uint16_t        msg_type;
	const char     *doc, *twin;
	enum answered   reply, twin_reply;
	const char     *kind;
};

static const struct hcase CASES[] = {
	{ "answer_categories_not_covered", "its scope covers travel only; it "
	    "carries profile (conditions)", 1, 2,
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma'", "1,2,3,4,5,6,7", "'travel'")) ", " ACCEPT "}",
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma'", "1,2,3,4,5,6,7", "'profile','travel'")) ", " ACCEPT "}",
	    REQUEST, REQUEST, "header_categories" },
	{ "answer_recipients_rewritten", "beta added to the recipients alpha "
	    "recorded", 1, 2,
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma','beta'", "1,2,3,4,5,6,7",
	    "'profile','health','travel','reintegration'")) ", " ACCEPT "}",
	    "{" HDR(SENT) ", " ACCEPT "}", REQUEST, REQUEST, "header_recipients" },
	{ "answer_unknown_consent", "a consent_id alpha never recorded", 1, 2,
	    "{" HDR(SENT_BODY("5eed00000000000000000000000000ff", "'gamma'",
	    "1,2,3,4,5,6,7", "'profile','health','travel','reintegration'")) ", "
	    ACCEPT "}",
	    "{" HDR(SENT) ", " ACCEPT "}", REQUEST, REQUEST, "header_unknown_consent" },
	{ "answer_scope_widened", "security added to the categories alpha "
	    "recorded", 1, 2,
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma'", "1,2,3,4,5,6,7",
	    "'profile','health','security','travel','reintegration'")) ", " ACCEPT "}",
	    "{" HDR(SENT) ", " ACCEPT "}", REQUEST, REQUEST, "header_basis" },
	{ "answer_step_not_covered", "its scope narrowed to step 1; it is "
	    "step 2", 1, 2,
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma'", "1", "'profile','travel'")) ", " ACCEPT "}",
	    "{" HDR(SENT_BODY(SENT_ID, "'gamma'", "1,2", "'profile','travel'")) ", " ACCEPT "}",
	    REQUEST, REQUEST, "header_basis" },
	{ "answer_same_approver", "approved_by equals second_approved_by", 1, 2,
	    "{" SAFE("supervisor.one", "supervisor.one") ", " ACCEPT "}",
	    "{" SAFE("supervisor.one", "supervisor.two") ", " ACCEPT "}",
	    REQUEST, REQUEST, "header_same_approver" },
	{ "answer_one_approver", "second_approved_by empty", 1, 2,
	    "{" SAFE("supervisor.one", "") ", " ACCEPT "}",
	    "{" SAFE("supervisor.one", "supervisor.two") ", " ACCEPT "}",
	    REQUEST, REQUEST, "header_safety" },
	{ "answer_in_reply_to_zero", "in_reply_to all zeros", 1, 2,
	    "{" HDR(SENT) ", " ACCEPT "}", "{" HDR(SENT) ", " ACCEPT "}",
	    ZERO, REQUEST, "in_reply_to" },
	{ "answer_in_reply_to_not_ours", "in_reply_to names nothing alpha sent "
	    "in the thread", 1, 2,
	    "{" HDR(SENT) ", " ACCEPT "}", "{" HDR(SENT) ", " ACCEPT "}",
	    NONE, REQUEST, "in_reply_to" },
	{ "arrival_answers_provisional", "in_reply_to names the provisional "
	    "notice, not the final one", 1, 6,
	    "{" HDR(SENT) ", " MET("2026-01-01T00:00:00Z") "}",
	    "{" HDR(SENT) ", " MET("2026-01-01T00:00:00Z") "}",
	    PROVISIONAL, FINAL, "in_reply_to" },
	{ "arrival_met_before_departure", "arrived_at 1 s before the first leg "
	    "departs", 1, 6,
	    "{" HDR(SENT) ", " MET("2025-12-31T21:59:59Z") "}",
	    "{" HDR(SENT) ", " MET("2025-12-31T22:00:00Z") "}",
	    FINAL, FINAL, "implausible_time" },
	{ "arrival_met_in_future", "arrived_at 10 min 1 s after created_at", 1, 6,
	    "{" HDR(SENT) ", " MET("2026-01-01T00:10:01Z") "}",
	    "{" HDR(SENT) ", " MET("2026-01-01T00:10:00Z") "}",
	    FINAL, FINAL, "implausible_time" },
	{ "request_not_naming_us", "its scope names beta, not alpha", 0, 1,
	    "{'header': {'case_code': 'SYN-HD-0002', 'consent': "
	    GSCOPE(GID, "'beta'", ", 'method': 'oral'") "}, " REQ "}",
	    "{'header': {'case_code': 'SYN-HD-0002', 'consent': "
	    GSCOPE(GID, "'beta','alpha'", ", 'method': 'oral'") "}, " REQ "}",
	    NONE, NONE, "header_recipients" },
	{ "request_scope_no_method", "its scope does not say how consent was "
	    "given", 0, 1,
	    "{'header': {'case_code': 'SYN-HD-0003', 'consent': "
	    GSCOPE(GID, "'alpha'", "") "}, " REQ "}",
	    "{'header': {'case_code': 'SYN-HD-0003', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'oral'") "}, " REQ "}",
	    NONE, NONE, "header_scope" },
	{ "request_scope_short_id", "consent_id 15 bytes", 0, 1,
	    "{'header': {'case_code': 'SYN-HD-0004', 'consent': "
	    GSCOPE("5eed00000000000000000000000003", "'alpha'", ", 'method': 'oral'")
	    "}, " REQ "}",
	    "{'header': {'case_code': 'SYN-HD-0004', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'oral'") "}, " REQ "}",
	    NONE, NONE, "header_scope" },
	{ "request_written_without_form", "a written consent without form_hash",
	    0, 1,
	    "{'header': {'case_code': 'SYN-HD-0005', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'written'") "}, " REQ "}",
	    "{'header': {'case_code': 'SYN-HD-0005', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'written', 'form_hash': "
	    "'5eed00000000000000000000000000000000000000000000000000000000f0f0'")
	    "}, " REQ "}",
	    NONE, NONE, "header_scope" },
	{ "departure_final_days_ahead", "a final notice whose first leg departs "
	    "24 h and 1 s after created_at", 0, 5,
	    "{'header': {'case_code': 'SYN-HD-0006', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'oral'") "}, 'kind': 'final', "
	    LEG("2026-01-02T00:00:01Z", "2026-01-02T03:00:00Z") "}",
	    "{'header': {'case_code': 'SYN-HD-0006', 'consent': "
	    GSCOPE(GID, "'alpha'", ", 'method': 'oral'") "}, 'kind': 'final', "
	    LEG("2026-01-02T00:00:00Z", "2026-01-02T03:00:00Z") "}",
	    NONE, NONE, "implausible_time" },
};

static ProtobufCMessage *
unpack(const char *name, uint16_t t, const uint8_t *b, size_t n)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(refcat_descriptor(t), NULL,
	    n, b);

	if (m == NULL)
		vg_die("%s: does not decode", name);
	return m;
}

/* The header of a document: field 1, right after the base of every
 * document's struct (referral.proto). */
static Homeward__Referral__CaseHeader *
header_of(ProtobufCMessage *m)
{
	return ((Homeward__Referral__AssistanceConfirmation *)(void *)m)->header;
}

/* The consent alpha recorded, as rules/consent.h sees it, and as the
 * encoded ConsentScope (*enc malloc'ed) when enc is not NULL. */
static void
sent_consent(struct consent *c, uint8_t **enc, size_t *enclen)
{
	Homeward__Referral__ConsentScope *s;
	ProtobufCMessage *m;
	uint8_t *b;
	size_t n;

	/* docjson writes documents: the scope is taken from a header. */
	vg_doc_body("sent", 2, "{" HDR(SENT) "}", &b, &n);
	m = unpack("sent", 2, b, n);
	s = header_of(m)->consent;
	if (enc != NULL) {
		*enclen = protobuf_c_message_get_packed_size(&s->base);
		if ((*enc = malloc(*enclen + 1)) == NULL)
			vg_die("out of memory");
		protobuf_c_message_pack(&s->base, *enc);
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->id, s->consent_id.data, 16);
	for (size_t i = 0; i < s->n_recipients; i++)
		snprintf(c->recipients[i], sizeof(c->recipients[i]), "%s",
		    s->recipients[i]);
	c->nrecipients = s->n_recipients;
	for (size_t i = 0; i < s->n_steps; i++)
		c->steps |= 1u << s->steps[i];
	for (size_t i = 0; i < s->n_categories; i++)
		c->categories |= REFCAT_BIT(s->categories[i]);
	c->given_at = s->given_at;
	protobuf_c_message_free_unpacked(m, NULL);
	free(b);
}

/* The answered document's type, literal and kind. */
static const char *
answered_doc(enum answered a, uint16_t *t, int *kind)
{
	*kind = 0;
	switch (a) {
	case REQUEST:
		*t = 1;
		return "{" HDR(SENT) ", " REQ "}";
	case FINAL:
		*t = 5;
		*kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL;
		return FINAL_DOC;
	case PROVISIONAL:
		*t = 5;
		*kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL;
		return PROV_DOC;
	default:
		*t = 0;
		return NULL;
	}
}

/* The first breach, in the order of PROTOCOL.md 21.8. */
static enum header_breach
judge(const struct hcase *c, const char *lit, enum answered a, char *why,
    size_t whylen)
{
	struct consent sent;
	struct header_ctx ctx;
	struct header_reply r;
	ProtobufCMessage *m, *fin = NULL;
	enum header_breach b;
	const char *alit;
	uint8_t *body;
	size_t len;
	uint16_t at;
	int kind;

	vg_doc_body(c->name, c->msg_type, lit, &body, &len);
	m = unpack(c->name, c->msg_type, body, len);
	sent_consent(&sent, NULL, NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.msg_type = c->msg_type;
	ctx.answer = c->destination;
	ctx.self = "alpha";
	ctx.sent = c->destination ? &sent : NULL;
	ctx.nsent = c->destination ? 1 : 0;
	ctx.categories = refcat_of(m);
	ctx.now = NOW;
	b = header_basis_check(&ctx, header_of(m), why, whylen);
	alit = answered_doc(a, &at, &kind);
	memset(&r, 0, sizeof(r));
	r.zero = a == ZERO;
	r.ours = alit != NULL;
	r.msg_type = at;
	r.kind = kind;
	if (b == HEADER_OK && c->destination)
		b = header_reply_check(c->msg_type, &r, why, whylen);
	if (alit != NULL && at == 5) {
		uint8_t *fb;
		size_t fl;

		vg_doc_body(c->name, 5, alit, &fb, &fl);
		fin = unpack(c->name, 5, fb, fl);
		free(fb);
	}
	if (b == HEADER_OK)
		b = header_time_check(c->msg_type, m, (const void *)fin, NOW, why,
		    whylen);
	if (fin != NULL)
		protobuf_c_message_free_unpacked(fin, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	free(body);
	return b;
}

static json_t *
answered_json(const char *name, enum answered a)
{
	json_t *o;
	const char *lit;
	uint8_t *b;
	size_t n;
	uint16_t t;
	int kind;

	if ((lit = answered_doc(a, &t, &kind)) == NULL)
		return json_null();
	o = json_object();
	vg_doc_body(name, t, lit, &b, &n);
	vj_set_u64(o, "msg_type", t);
	vj_set_hex(o, "body", b, n);
	free(b);
	return o;
}

static json_t *
emit(const struct hcase *c)
{
	json_t *o = json_object(), *sent = json_array(), *rcpt = json_object();
	enum header_breach got;
	uint8_t *body, id[16];
	size_t len;
	char why[256];

	if ((got = judge(c, c->twin, c->twin_reply, why, sizeof(why))) != HEADER_OK)
		vg_die("%s: its twin is refused: %s (%s)", c->name,
		    header_breach_kind(got), why);
	got = judge(c, c->doc, c->reply, why, sizeof(why));
	if (strcmp(header_breach_kind(got), c->kind) != 0)
		vg_die("%s: %s (%s), stated %s", c->name, header_breach_kind(got),
		    why, c->kind);
	vg_doc_body(c->name, c->msg_type, c->doc, &body, &len);
	if (refcat_check_body(NULL, c->msg_type, body, len) != 0)
		vg_die("%s: its body is refused", c->name);
	vj_set_str(o, "name", c->name);
	vj_set_str(o, "why", c->why);
	vj_set_str(rcpt, "agency_id", "alpha");
	vj_set_str(rcpt, "role", c->destination ? "destination" : "origin");
	json_object_set_new(o, "recipient", rcpt);
	vj_set_str(o, "sender", "gamma");
	if (c->destination) {
		struct consent unused;
		uint8_t *sb;
		size_t sn;

		sent_consent(&unused, &sb, &sn);
		json_array_append_new(sent, vj_hex(sb, sn));
		free(sb);
	}
	json_object_set_new(o, "sent_consents", sent);
	vj_set_u64(o, "msg_type", c->msg_type);
	vj_set_hex(o, "body", body, len);
	vj_set_u64(o, "created_at", NOW);
	/* The id of what it answers: fixed; zeros for ZERO. */
	memset(id, 0, sizeof(id));
	if (c->reply != ZERO)
		memcpy(id, "\x5e\xed\0\0\0\0\0\0\0\0\0\0\0\0\0\xa1", 16);
	vj_set_hex(o, "in_reply_to", id, 16);
	json_object_set_new(o, "answered", answered_json(c->name, c->reply));
	vj_set_str(o, "alert", c->kind);
	free(body);
	return o;
}

void
vg_referral_header_rejects(json_t *root)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
		json_array_append_new(arr, emit(&CASES[i]));
	json_object_set_new(root, "header_rejects", arr);
}
