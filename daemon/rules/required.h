/*
 * What each document of the procedure must say before it is sent
 * (docs/PROTOCOL.md 21.7): a request for assistance says who the person
 * is in broad terms (sex, age) and what help is needed, an acceptance who
 * meets her on arrival, a departure notice the itinerary, and so on.  The
 * sender checks it after the order rules and before the travel rules and
 * the consent gate, so that nothing that says too little to act on ever
 * reaches a partner.  What the travel rules check (escorts, zones, the
 * order of the legs, a qualified agency) is theirs, not repeated here.
 *
 * Pure: no I/O, no clock.
 */
#ifndef HOMEWARD_DAEMON_RULES_REQUIRED_H
#define HOMEWARD_DAEMON_RULES_REQUIRED_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define REQUIRED_FIELD_MAX      48

/* One thing the document does not say.  Gaps with the same `what` (a
 * pointer to a static string) belong together: "the person's profile
 * (profile.sex, profile.age or age_band)". */
struct required_gap {
	const char     *what;                   /* the operator's words */
	char            field[REQUIRED_FIELD_MAX]; /* where, in referral.proto's
						   names: "profile.sex",
						   "mode of leg 2" */
};

/*
 * The gaps of doc, the decoded document of msg_type (steps 1-7), in the
 * order of its fields; up to max are written to out (out may be NULL when
 * max is 0) and *n is how many there are, which may exceed max.  0, or
 * -EINVAL when msg_type is not a step, doc is NULL or of another type, or
 * n is NULL.  A string that is empty or only blanks says nothing.
 */
int required_find(uint16_t msg_type, const ProtobufCMessage *doc,
    struct required_gap *out, size_t max, size_t *n);

/*
 * The sender's check: 0 when doc says all its step needs; otherwise
 * -EPERM, with why naming every gap and the way forward, e.g. "a request
 * for assistance must say the person's profile (profile.sex) and what
 * assistance is needed (needs): add them to the document".  -EINVAL as
 * required_find, why saying so.  Field names only: never a value.
 */
int required_check(uint16_t msg_type, const ProtobufCMessage *doc, char *why,
    size_t whylen);

#endif
