/*
 * tests/vectors/referral.json (docs/PROTOCOL.md 17.5): referral documents
 * of every type with the data categories they carry (section 21.2), and
 * bodies a recipient must refuse (vecgen_refreject.c), so that another
 * implementation can check its category derivation and its body checks
 * against ours.
 *
 * Each document is written below as the JSON an operator would write
 * (common/docjson.h), with ' for " so that the literals stay readable; no
 * text in them holds an apostrophe.  Its body is protobuf-c's encoding of
 * it.  The categories are stated here by hand, read off referral.proto,
 * and the generator stops unless refcat_of_body derives exactly them; it
 * also stops unless the body renders back to the very JSON it came from.
 * Every value is synthetic and fixed: no randomness, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/docjson.h"
#include "proto/refcat.h"
#include "tests/vectors/vecgen.h"

struct doc {
	const char     *name;
	uint16_t        msg_type;
	const char     *categories;    /* as refcat_mask_format writes them */
	const char     *json;
};

/* The consent the rich documents of steps 1-7 are released under. */
#define CONSENT \
	"'consent': {'consent_id': '5eed0000000000000000000000000001', " \
	"'recipients': ['beta', 'gamma'], " \
	"'steps': ['assistance_request', 'assistance_confirmation', " \
	"'reintegration_request', 'reintegration_confirmation', " \
	"'departure_notification', 'arrival_confirmation', 'follow_up_report'], " \
	"'categories': ['identity', 'profile', 'health', 'security', 'travel', " \
	"'reintegration'], " \
	"'given_at': '2025-12-20T09:30:00Z', 'expires_at': '2026-12-20T00:00:00Z', " \
	"'method': 'oral_interpreted', 'language': 'fr', 'by_guardian': true, " \
	"'child_consulted': true, 'form_hash': " \
	"'5eed00000000000000000000000000000000000000000000000000000000f0f0'}"

/* Released without consent: safety was at issue (21.1). */
#define SAFETY \
	"'safety': {'reason': 'Synthetic: imminent risk, no time to consult', " \
	"'approved_by': 'supervisor.one', 'second_approved_by': 'supervisor.two', " \
	"'approved_at': '2026-01-02T08:00:00.250Z'}"

#define MEETING \
	"{'agency_id': 'alpha', 'name': 'Synthetic Agency Alpha', " \
	"'contact': 'Duty officer, +000 0000 0100'}"

static const struct doc DOCS[] = {
	/* 1 AssistanceRequest */
	{ "assistance_request_minimal", ENV1_MSG_ASSISTANCE_REQUEST, "case",
	    "{'header': {'case_code': 'SYN-AR-0001'}}" },
	{ "assistance_request_full", ENV1_MSG_ASSISTANCE_REQUEST,
	    "case,identity,profile,security,travel",
	    "{'header': {'case_code': 'SYN-AR-0002', " CONSENT "}, "
	    "'scenario': 'police_or_ngo', "
	    "'profile': {'sex': 'female', 'age': 16, 'age_band': '12_to_17', "
	    "'minor': true, 'nationality': 'XA', 'languages': ['fr', 'en'], "
	    "'interpreter_needed': true}, "
	    "'needs': ['shelter', 'medical', 'psychosocial', 'family_tracing'], "
	    "'security': {'risk': 'medium', 'cooperated_with_law_enforcement': true, "
	    "'notes': 'Synthetic note: travel with an escort.'}, "
	    "'proposed_return': {'earliest': '2026-02-01T00:00:00Z', "
	    "'latest': '2026-03-01T00:00:00Z'}, "
	    "'reply_by': '2026-01-15T00:00:00Z', "
	    "'identity': {'full_name': 'Synthetic Person A', "
	    "'date_of_birth': '2009-05-17', "
	    "'documents': [{'kind': 'passport', 'number': 'SYN000001', "
	    "'issuer': 'XA', 'expires': '2030-01-31'}, "
	    "{'kind': 'laissez-passer', 'number': 'SYN-LP-2', 'issuer': 'XB'}], "
	    "'family_contacts': [{'name': 'Synthetic Person B', "
	    "'relationship': 'mother', 'phone': '+000 0000 0001', "
	    "'address': '1 Synthetic Street, Example Town'}, "
	    "{'name': 'Synthetic Person C', 'relationship': 'brother'}]}}" },
	/* A set message field with nothing in it still carries its category. */
	{ "assistance_request_empty_security", ENV1_MSG_ASSISTANCE_REQUEST,
	    "case,security",
	    "{'header': {'case_code': 'SYN-AR-0003'}, 'security': {}}" },

	/* 2 AssistanceConfirmation */
	{ "assistance_confirmation_minimal", ENV1_MSG_ASSISTANCE_CONFIRMATION,
	    "case", "{'header': {'case_code': 'SYN-AC-0001'}}" },
	{ "assistance_confirmation_full", ENV1_MSG_ASSISTANCE_CONFIRMATION,
	    "case,profile,security,travel",
	    "{'header': {'case_code': 'SYN-AC-0002', " SAFETY "}, "
	    "'decision': 'accept', "
	    "'reasons': 'Synthetic reasons: the family assessment is positive.', "
	    "'meeting_agency': " MEETING ", 'family_assessment': 'return_safe', "
	    "'conditions': 'Synthetic condition: a medical check on arrival.', "
	    "'information_needed': ['school records', 'shelter contact']}" },
	/* Many fields, all procedure data: codes, ids, an enum, a consent
	 * that lists categories. */
	{ "assistance_confirmation_case_only", ENV1_MSG_ASSISTANCE_CONFIRMATION,
	    "case",
	    "{'header': {'case_code': 'SYN-AC-0003', " CONSENT "}, "
	    "'decision': 'accept', 'meeting_agency': {'agency_id': 'alpha'}}" },
	/* Free text is never procedure data (21.2): the information asked
	 * for is profile, the meeting contact travel. */
	{ "assistance_confirmation_free_text", ENV1_MSG_ASSISTANCE_CONFIRMATION,
	    "case,profile,travel",
	    "{'header': {'case_code': 'SYN-AC-0004', " CONSENT "}, "
	    "'decision': 'more_information', 'meeting_agency': " MEETING ", "
	    "'information_needed': ['travel document status']}" },

	/* 3 ReintegrationRequest */
	{ "reintegration_request_minimal", ENV1_MSG_REINTEGRATION_REQUEST, "case",
	    "{'header': {'case_code': 'SYN-RR-0001'}}" },
	{ "reintegration_request_full", ENV1_MSG_REINTEGRATION_REQUEST,
	    "case,health,reintegration",
	    "{'header': {'case_code': 'SYN-RR-0002', " CONSENT "}, "
	    "'wanted': ['education', 'vocational_training', 'housing'], "
	    "'assessment': 'Synthetic assessment: wishes to finish school.', "
	    "'preliminary_plan': 'Synthetic plan: school, then training.', "
	    "'health': {'discharge_summary': 'Synthetic summary: recovered.', "
	    "'referral_notes': 'Synthetic notes: continue counselling.'}, "
	    "'reply_by': '2026-02-01T12:00:00Z'}" },
	/* A health field inside a nested message, and nothing else. */
	{ "reintegration_request_health_only", ENV1_MSG_REINTEGRATION_REQUEST,
	    "case,health",
	    "{'header': {'case_code': 'SYN-RR-0003'}, "
	    "'health': {'referral_notes': 'Synthetic notes: weekly check.'}}" },

	/* 4 ReintegrationConfirmation */
	{ "reintegration_confirmation_minimal",
	    ENV1_MSG_REINTEGRATION_CONFIRMATION, "case",
	    "{'header': {'case_code': 'SYN-RC-0001'}}" },
	{ "reintegration_confirmation_full", ENV1_MSG_REINTEGRATION_CONFIRMATION,
	    "case,reintegration",
	    "{'header': {'case_code': 'SYN-RC-0002', " CONSENT "}, "
	    "'committed': [{'kind': 'education', 'provider': 'Synthetic School', "
	    "'from': '2026-03-01T00:00:00Z'}, "
	    "{'kind': 'vocational_training', "
	    "'provider': 'Synthetic Training Centre'}, "
	    "{'kind': 'psychosocial', 'provider': 'Synthetic Counselling', "
	    "'from': '2026-02-15T00:00:00Z'}], "
	    "'declined': [{'kind': 'housing', "
	    "'reason': 'Synthetic: the family provides housing.'}, "
	    "{'kind': 'income_generation'}]}" },
	/* An empty element of a repeated message field. */
	{ "reintegration_confirmation_empty_element",
	    ENV1_MSG_REINTEGRATION_CONFIRMATION, "case,reintegration",
	    "{'header': {'case_code': 'SYN-RC-0003'}, 'committed': [{}]}" },

	/* 5 DepartureNotification */
	{ "departure_notification_minimal", ENV1_MSG_DEPARTURE_NOTIFICATION,
	    "case", "{'header': {'case_code': 'SYN-DN-0001'}}" },
	{ "departure_notification_full", ENV1_MSG_DEPARTURE_NOTIFICATION,
	    "case,health,travel",
	    "{'header': {'case_code': 'SYN-DN-0002', " CONSENT "}, "
	    "'kind': 'final', "
	    "'legs': [{'mode': 'air', 'carrier': 'Synthetic Air', 'number': 'SY101', "
	    "'from_place': 'CDG', 'from_zone': 'Europe/Paris', 'to_place': 'IST', "
	    "'to_zone': 'Europe/Istanbul', 'departure': '2026-02-10T07:30:00Z', "
	    "'arrival': '2026-02-10T11:05:00Z'}, "
	    "{'mode': 'road', 'carrier': 'Synthetic Coaches', 'number': 'route 7', "
	    "'from_place': 'IST', 'from_zone': 'Europe/Istanbul', "
	    "'to_place': 'Example Town', 'to_zone': 'Europe/Istanbul', "
	    "'departure': '2026-02-10T13:00:00Z', "
	    "'arrival': '2026-02-10T18:45:00Z'}], "
	    "'arrival_place': 'Example Town', 'arrival_zone': 'Europe/Istanbul', "
	    "'escorts': [{'role': 'operational', 'gender': 'female', "
	    "'name': 'Synthetic Escort E', 'contact': '+000 0000 0200'}, "
	    "{'role': 'medical', 'gender': 'male'}], "
	    "'fit_to_travel': true, "
	    "'needs_during_travel': 'Synthetic: wheelchair at the airport.', "
	    "'met_by': " MEETING ", 'rules_waived': ['min_connection'], "
	    "'waiver_reason': 'Synthetic: the only flight of the week.', "
	    "'waived_by': 'supervisor.one'}" },
	/* A top-level health field alone. */
	{ "departure_notification_fit_only", ENV1_MSG_DEPARTURE_NOTIFICATION,
	    "case,health",
	    "{'header': {'case_code': 'SYN-DN-0003'}, 'kind': 'provisional', "
	    "'fit_to_travel': true}" },

	/* 6 ArrivalConfirmation */
	{ "arrival_confirmation_minimal", ENV1_MSG_ARRIVAL_CONFIRMATION, "case",
	    "{'header': {'case_code': 'SYN-AV-0001'}}" },
	{ "arrival_confirmation_full", ENV1_MSG_ARRIVAL_CONFIRMATION,
	    "case,travel,reintegration",
	    "{'header': {'case_code': 'SYN-AV-0002', " CONSENT "}, "
	    "'outcome': 'met', 'arrived_at': '2026-02-10T18:52:00Z', "
	    "'met_by': 'Synthetic Officer D', 'met_by_agency': 'alpha', "
	    "'next_steps': 'Synthetic: first visit in a week.'}" },
	/* Free text again: the safety exception's reason is security, what
	 * happens next reintegration. */
	{ "arrival_confirmation_not_arrived", ENV1_MSG_ARRIVAL_CONFIRMATION,
	    "case,security,reintegration",
	    "{'header': {'case_code': 'SYN-AV-0003', " SAFETY "}, "
	    "'outcome': 'not_arrived', "
	    "'next_steps': 'Synthetic: tracing started.'}" },

	/* Procedure data only. */
	{ "arrival_confirmation_case_only", ENV1_MSG_ARRIVAL_CONFIRMATION,
	    "case",
	    "{'header': {'case_code': 'SYN-AV-0004', " CONSENT "}, "
	    "'outcome': 'delayed', 'met_by_agency': 'alpha'}" },

	/* 7 FollowUpReport */
	{ "follow_up_report_minimal", ENV1_MSG_FOLLOW_UP_REPORT, "case",
	    "{'header': {'case_code': 'SYN-FU-0001'}}" },
	{ "follow_up_report_full", ENV1_MSG_FOLLOW_UP_REPORT,
	    "case,reintegration",
	    "{'header': {'case_code': 'SYN-FU-0002', " CONSENT "}, "
	    "'status': 'in_progress', "
	    "'report': 'Synthetic report: attends school, lives with family.', "
	    "'period_end': '2026-06-30T23:59:59.999Z'}" },

	/* 0x0101 ConsentWithdrawal and 0x0102 ErasureConfirmation: neither
	 * consent nor safety in the header (21.1). */
	{ "consent_withdrawal_minimal", ENV1_MSG_CONSENT_WITHDRAWAL, "case",
	    "{'header': {'case_code': 'SYN-CW-0001'}}" },
	{ "consent_withdrawal_full", ENV1_MSG_CONSENT_WITHDRAWAL, "case",
	    "{'header': {'case_code': 'SYN-CW-0002'}, "
	    "'withdrawn_at': '2026-03-03T10:00:00Z', "
	    "'consent_id': '5eed0000000000000000000000000001'}" },
	{ "erasure_confirmation_minimal", ENV1_MSG_ERASURE_CONFIRMATION, "case",
	    "{'header': {'case_code': 'SYN-EC-0001'}}" },
	{ "erasure_confirmation_full", ENV1_MSG_ERASURE_CONFIRMATION, "case",
	    "{'header': {'case_code': 'SYN-EC-0002'}, "
	    "'withdrawal_id': '5eed00000000000000000000000000aa', "
	    "'restricted_at': '2026-03-03T10:00:05Z', "
	    "'erased_at': '2026-03-03T10:02:00Z'}" },
};

/* The literal with ' turned into ", parsed. */
static json_t *
literal(const char *name, const char *lit)
{
	json_error_t err;
	json_t *obj;
	char *s;

	if ((s = strdup(lit)) == NULL)
		vg_die("out of memory");
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((obj = json_loads(s, 0, &err)) == NULL)
		vg_die("%s: bad JSON literal at column %d: %s", name, err.column,
		    err.text);
	free(s);
	return obj;
}

void
vg_doc_body(const char *name, uint16_t msg_type, const char *lit,
    uint8_t **body, size_t *len)
{
	const ProtobufCMessageDescriptor *d = refcat_descriptor(msg_type);
	ProtobufCMessage *m;
	json_t *obj = literal(name, lit);
	char err[256];

	if (d == NULL)
		vg_die("%s: msg_type %#x is not a document", name, msg_type);
	if (docjson_to_pb(obj, d, &m, err, sizeof(err)) != 0)
		vg_die("%s: %s", name, err);
	*len = protobuf_c_message_get_packed_size(m);
	/* One byte more, so that an empty body is not malloc(0). */
	if ((*body = malloc(*len + 1)) == NULL)
		vg_die("out of memory");
	if (protobuf_c_message_pack(m, *body) != *len)
		vg_die("%s: protobuf-c packs another length", name);
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(obj);
}

/* "a,b,c" as ["a", "b", "c"]; "" as []. */
static json_t *
name_array(const char *list)
{
	json_t *arr = json_array();
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		json_array_append_new(arr, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return arr;
}

static json_t *
emit_document(const struct doc *c)
{
	const ProtobufCMessageDescriptor *d = refcat_descriptor(c->msg_type);
	ProtobufCMessage *m;
	json_t *o = json_object(), *want = literal(c->name, c->json), *got;
	uint8_t *body;
	size_t len;
	uint32_t mask;
	char cats[128];

	vg_doc_body(c->name, c->msg_type, c->json, &body, &len);
	if (refcat_of_body(c->msg_type, body, len, &mask) != 0)
		vg_die("%s: refcat_of_body refuses it", c->name);
	if (refcat_mask_format(mask, cats, sizeof(cats)) != 0 ||
	    strcmp(cats, c->categories) != 0)
		vg_die("%s: carries %s, stated %s", c->name, cats, c->categories);
	if (refcat_check_body(NULL, c->msg_type, body, len) != 0)
		vg_die("%s: refcat_check_body refuses it", c->name);
	/* What the recipient shows is what the sender wrote. */
	if ((m = protobuf_c_message_unpack(d, NULL, len, body)) == NULL ||
	    (got = docjson_from_pb(m, 0)) == NULL)
		vg_die("%s: does not render", c->name);
	if (!json_equal(got, want)) {
		char *a = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

		vg_die("%s: renders as %s", c->name, a != NULL ? a : "?");
	}
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(want);

	vj_set_str(o, "name", c->name);
	vj_set_u64(o, "msg_type", c->msg_type);
	vj_set_hex(o, "body", body, len);
	json_object_set_new(o, "json", got);
	json_object_set_new(o, "categories", name_array(cats));
	free(body);
	return o;
}

/* Every document type, each at least twice, one of them header-only. */
static void
check_coverage(void)
{
	static const uint16_t types[] = { 1, 2, 3, 4, 5, 6, 7, 0x101, 0x102 };

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int n = 0, minimal = 0;

		for (size_t i = 0; i < sizeof(DOCS) / sizeof(DOCS[0]); i++) {
			if (DOCS[i].msg_type != types[t])
				continue;
			n++;
			/* Nothing but a header with a case code: no comma. */
			minimal |= strchr(DOCS[i].json, ',') == NULL &&
			    strstr(DOCS[i].json, "'case_code'") != NULL;
		}
		if (n < 2 || !minimal)
			vg_die("msg_type %#x: %d documents, minimal %d", types[t], n,
			    minimal);
	}
}

void
vg_referral(const char *dir)
{
	json_t *root = json_object(), *arr = json_array();
	char path[512];

	check_coverage();
	for (size_t i = 0; i < sizeof(DOCS) / sizeof(DOCS[0]); i++)
		json_array_append_new(arr, emit_document(&DOCS[i]));
	vj_set_str(root, "format", "homeward-referral-vectors");
	vj_set_u64(root, "version", 1);
	json_object_set_new(root, "documents", arr);
	vg_referral_rejects(root);
	vg_referral_header_rejects(root);
	snprintf(path, sizeof(path), "%s/referral.json", dir);
	if (vj_dump(root, path) != 0)
		vg_die("cannot write %s", path);
	json_decref(root);
}
