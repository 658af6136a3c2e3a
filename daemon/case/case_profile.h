/*
 * The person's profile in a case (case_profile.c, and case_update in
 * case.c): the sex, age and minority the travel and escort rules need, as
 * the case records it (case open, case update) and as the case's
 * documents last stated it (the request we sent, or the partner's latest
 * request to us).  A document we send must not contradict the case; the
 * travel rules take the more protective of the two.
 *
 * The values are personal data: they go to the operator who works the
 * case (control answers and refusals), never to the log or the audit
 * detail.
 */
#ifndef HOMEWARD_DAEMON_CASE_CASE_PROFILE_H
#define HOMEWARD_DAEMON_CASE_CASE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "daemon/case/case.h"
#include "daemon/rules/travel.h"
#include "proto/referral.pb-c.h"

#define CASE_ADULT_AGE          18

/* Fields of a profile, as bits: what differs, what an update changes. */
#define CASE_PF_SEX             0x1u
#define CASE_PF_AGE             0x2u
#define CASE_PF_MINOR           0x4u

/* What the rules read of a Profile. */
struct case_profile {
	int             stated;         /* a profile was recorded at all */
	int             sex;            /* Homeward__Referral__Sex; 0: not stated */
	uint32_t        age;            /* years; 0: not stated */
	int             age_band;       /* Homeward__Referral__AgeBand; 0: not stated */
	int             minor;          /* the flag as stated */
};

/* --- pure ------------------------------------------------------------------ */

/* An encoded Profile (len 0: none stated); -EBADMSG when it does not decode. */
int case_profile_decode(const uint8_t *raw, size_t len, struct case_profile *out);
/* NULL: none stated. */
void case_profile_from(const Homeward__Referral__Profile *, struct case_profile *out);
/* 1 a minor (the flag, an age under 18 or an age band under 18, whatever
 * else it says), 0 an adult (an age or band of 18 and over), -1 unknown. */
int case_profile_minor(const struct case_profile *);
/* "female", "male", "other"; NULL for not stated. */
const char *case_profile_sex_name(int sex);

/* Where a document's profile contradicts the case's: both state a value
 * and they differ.  0 when they agree; else -EPERM with why saying both
 * and the way forward (the case update that would agree with the
 * document, or correcting the document). */
int case_profile_compare(const struct case_profile *rec,
    const struct case_profile *doc, const char *code, char *why, size_t whylen);
/* The more protective of two profiles, for the travel rules (see the
 * comment at its definition). */
void case_profile_merge(const struct case_profile *a,
    const struct case_profile *b, struct case_profile *out);
void case_profile_person(const struct case_profile *, struct travel_person *out);

/* Set pf's fields named in fields (CASE_PF_*) from upd; age_band follows
 * age, and minor follows a new age unless it is named.  -EINVAL (why
 * says it) when the result would be a minor of 18 or more or an adult
 * under 18; *changed: the fields whose value changed. */
int case_profile_apply(Homeward__Referral__Profile *pf,
    const Homeward__Referral__Profile *upd, unsigned fields, unsigned *changed,
    char *why, size_t whylen);
/* "sex", "age", "minor" into CASE_PF_* bits; -EINVAL (why) for another
 * name or none. */
int case_profile_fields(char *const *names, size_t n, unsigned *fields,
    char *why, size_t whylen);
/* "sex, age" of the bits. */
void case_profile_fields_format(unsigned fields, char *buf, size_t len);

/* --- with the store ---------------------------------------------------- */

/* What the case records, what its documents last stated, and what the
 * travel rules take of the two. */
int case_profile_get(struct daemon *, const struct store_case *,
    struct case_profile *rec, struct case_profile *docs,
    struct case_profile *rules);
/* The person the travel rules check a departure of the case for. */
int case_profile_travel(struct daemon *, const struct store_case *,
    struct travel_person *out);
/* A document we are about to send: -EPERM (why) when its profile
 * contradicts the case's.  Only a request for assistance carries one. */
int case_profile_check(struct daemon *, const struct store_case *,
    uint16_t msg_type, const ProtobufCMessage *doc, char *why, size_t whylen);
/* A request for assistance queued (or held until consent lets it go),
 * or received from the partner (who knows her): its profile becomes what
 * the documents last stated.  In the open transaction; nothing for
 * other documents. */
int case_profile_keep(struct daemon *, const struct store_case *,
    uint16_t msg_type, const ProtobufCMessage *doc);

/* --- case.c ------------------------------------------------------------ */

/* Correct the case's profile: the fields named (CASE_PF_*) take upd's
 * values.  Open cases only; audited with the names of the fields that
 * changed (*changed; 0: it said that already, nothing written).  note
 * (may be empty) says when the documents sent still state otherwise. */
int case_update(struct daemon *, const struct case_actor *,
    const struct store_case *, const uint8_t *upd, size_t upd_len,
    unsigned fields, unsigned *changed, char *note, size_t notelen,
    char *why, size_t whylen);

#endif
