/*
 * What a recipient checks of a partner's document before it applies it
 * (docs/PROTOCOL.md 21.8): the header's basis (a consent scope that is
 * whole, names us, covers the document's step and every category it
 * carries, and, for an answer, is the scope we sent; or a safety
 * exception two different supervisors approved), the envelope's
 * in_reply_to for an answer, and times a person's travel makes possible.
 * The sender checks all of it before it sends (21.4, 21.7); the
 * recipient verifies instead of trusting.  A breach is not a refusal of
 * the body (section 8) nor of the order (21.3): the document stays
 * receipted, is not applied, and the recipient raises the breach's alert
 * kind (header_breach_kind).
 *
 * Pure: no I/O, no SQL, no clock (the caller passes the times).  Reasons
 * name fields, steps and categories, never a value of the document.
 */
#ifndef HOMEWARD_DAEMON_RULES_HEADER_H
#define HOMEWARD_DAEMON_RULES_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/rules/consent.h"
#include "proto/referral.pb-c.h"

/* A FINAL departure notice is sent at most this long before its first
 * leg departs (it says she departed; the schedule may slip a little). */
#define HEADER_FINAL_AHEAD_MS   (24ull * 3600 * 1000)
/* MET: arrived_at at most this long before the last leg's scheduled
 * arrival (an early flight, a schedule in the wrong zone). */
#define HEADER_MET_EARLY_MS     (24ull * 3600 * 1000)
/* Clock skew allowed between agencies (PROTOCOL.md section 8, step 4):
 * given_at and arrived_at may be this far after the envelope's
 * created_at. */
#define HEADER_SKEW_MS          (10ull * 60 * 1000)

enum header_breach {
	HEADER_OK = 0,
	HEADER_SCOPE,           /* header_scope: a ConsentScope field missing
	                           or out of range */
	HEADER_SAFETY,          /* header_safety: no reason, or an approver
	                           missing */
	HEADER_SAME_APPROVER,   /* header_same_approver */
	HEADER_UNKNOWN_CONSENT, /* header_unknown_consent: an answer's scope
	                           is none we sent, nor names us */
	HEADER_RECIPIENTS,      /* header_recipients: rewritten, or not us */
	HEADER_BASIS,           /* header_basis: steps or categories widened,
	                           or the step not covered */
	HEADER_CATEGORIES,      /* header_categories: carries a category its
	                           basis does not cover */
	HEADER_IN_REPLY_TO,     /* in_reply_to: does not name the document
	                           answered */
	HEADER_TIME,            /* implausible_time */
};

/* "header_scope", ...: the alert kind of a breach; "" for HEADER_OK. */
const char *header_breach_kind(enum header_breach);

/*
 * A received ConsentScope is whole (PROTOCOL.md 21.1): consent_id 16
 * bytes; 1-16 recipients, each an agency id; 1 or more steps, each 1-7;
 * categories each 2-7; a method; form_hash 32 bytes when written;
 * language when interpreted; given_at set and not after now (+ skew);
 * expires_at 0 or after given_at.  HEADER_OK or HEADER_SCOPE with why.
 */
enum header_breach header_scope_check(const Homeward__Referral__ConsentScope *,
    uint64_t now, char *why, size_t whylen);

/* What the recipient knows when it checks a document's basis. */
struct header_ctx {
	uint16_t        msg_type;       /* 1-7 (others have no basis) */
	/* The document answers ours: steps 2, 4, 6, 7 received by the
	 * destination.  Its scope must then be one of sent[]. */
	int             answer;
	const char     *self;           /* our agency id */
	/* The consents this office recorded for the case that name the
	 * sender: the scopes the sender can answer under. */
	const struct consent *sent;
	size_t          nsent;
	uint32_t        categories;     /* what the document carries (refcat) */
	uint64_t        now;            /* the envelope's created_at */
};

/*
 * The header's basis (one of consent and safety; header_problem in the
 * daemon checks there is exactly one).  Under consent: the scope is whole;
 * for an answer whose consent_id is one of ctx->sent, its recipients are
 * that consent's (the same set), its steps and categories no wider;
 * any other scope (an answer under the origin's own record, a
 * destination's document) names ctx->self; it covers ctx->msg_type and every
 * category of ctx->categories.  Under the safety exception: a reason and
 * two different approvers.  HEADER_OK or the first breach, with why.
 */
enum header_breach header_basis_check(const struct header_ctx *,
    const Homeward__Referral__CaseHeader *, char *why, size_t whylen);

/* The type of document an answer of msg_type must name in the
 * envelope's in_reply_to: 1 for 2, 3 for 4, 5 (FINAL) for 6; 0 when
 * msg_type answers nothing. */
uint16_t header_answers(uint16_t msg_type);

/* What the recipient found under the envelope's in_reply_to. */
struct header_reply {
	int             zero;           /* in_reply_to is all zeros */
	int             ours;           /* a document this office sent in the
	                                   same thread */
	uint16_t        msg_type;       /* its type */
	int             kind;           /* a departure notice's DepartureKind */
};

/* An answer of msg_type names a document of ours of the type it answers
 * (a FINAL departure for an arrival confirmation).  HEADER_OK for a
 * msg_type that answers nothing. */
enum header_breach header_reply_check(uint16_t msg_type,
    const struct header_reply *, char *why, size_t whylen);

/*
 * Times a person's travel makes possible, against the envelope's
 * created_at (sent).  A FINAL DepartureNotification: its first leg
 * departs at most HEADER_FINAL_AHEAD_MS after sent.  A MET
 * ArrivalConfirmation, with final the FINAL notice it answers (NULL:
 * not checked): arrived_at not after sent + skew, not before the first
 * leg's departure, and not more than HEADER_MET_EARLY_MS before the last
 * leg's arrival.  HEADER_OK or HEADER_TIME with why.
 */
enum header_breach header_time_check(uint16_t msg_type, const ProtobufCMessage *doc,
    const Homeward__Referral__DepartureNotification *final, uint64_t sent,
    char *why, size_t whylen);

/*
 * What changed from the provisional itinerary to the final one, by name
 * only ("legs 1 -> 2; leg 1: departure, arrival; arrival_place"): *changed
 * says whether anything did.  0, or -ENOSPC when truncated (still
 * terminated).
 */
int header_itinerary_diff(const Homeward__Referral__DepartureNotification *prov,
    const Homeward__Referral__DepartureNotification *final, int *changed,
    char *buf, size_t len);

#endif
