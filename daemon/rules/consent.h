/*
 * The consent gate's decision (design.md section 4): may a message go to
 * this recipient at this step, carrying these data categories, and if
 * not, what exactly is missing.  Pure: no I/O, no SQL, no clock (the
 * caller passes now).  The store loads the consents of the case; the
 * outbox holds or releases on the verdict.
 */
#ifndef HOMEWARD_DAEMON_RULES_CONSENT_H
#define HOMEWARD_DAEMON_RULES_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#define CONSENT_MAX_RECIPIENTS  16
#define CONSENT_RECIPIENT_LEN   64      /* with its terminating NUL */

struct consent {
	uint8_t         id[16];
	/* Agency ids; an entry not terminated within its 64 bytes matches
	 * nothing. */
	char            recipients[CONSENT_MAX_RECIPIENTS][CONSENT_RECIPIENT_LEN];
	size_t          nrecipients;
	uint32_t        steps;          /* bit (1u << step), Step 1..7 */
	uint32_t        categories;     /* bit (1u << category), DataCategory 2..7 */
	uint64_t        given_at;       /* recorded, not checked */
	uint64_t        expires_at;     /* 0 = no expiry; expired when now >= it */
	uint64_t        withdrawn_at;   /* 0 = in force */
};

struct consent_need {
	const char     *recipient;      /* agency id */
	unsigned        step;           /* Step 1..7 */
	uint32_t        categories;     /* the categories the message carries */
	uint64_t        now;            /* ms */
};

struct consent_verdict {
	int             covered;        /* 1: released under consent_id */
	uint8_t         consent_id[16];
	/* consent_id names a consent: the one covering, or the closest. */
	int             named;
	/* When not covered, what the closest consent lacks: */
	int             no_consent;     /* the case has no consent in force at all */
	int             recipient_missing, step_missing, expired, withdrawn;
	uint32_t        categories_missing;
};

/*
 * One consent must cover the recipient, the step and every category the
 * message carries (CATEGORY_CASE, bit 1, needs no coverage; a bit of no
 * known category is never covered).  Among consents that cover, the first
 * is named.  Otherwise the closest is described: the one lacking fewest
 * things (each of recipient, step, expiry, withdrawal and every category
 * counts one), an in-force one on a tie, the first on a further tie.
 * Consents are never combined: two covering half each do not cover.
 */
void consent_decide(const struct consent *, size_t n,
    const struct consent_need *, struct consent_verdict *);

/*
 * What the verdict means, for the operator: "released under consent
 * <hex>", or "held: no consent covers health for agency ml-bamako-ngo at
 * step 3 (reintegration request); ...".  0, or -ENOSPC when truncated
 * (buf is still terminated).
 */
int consent_explain(const struct consent_verdict *,
    const struct consent_need *, char *buf, size_t len);

/*
 * The safety exception (seed 002, 8.4): two different supervisors and a
 * reason.  0 when approver_a and approver_b are both non-empty and differ
 * and reason is not blank; -EPERM otherwise, with why.
 */
int consent_safety_check(const char *approver_a, const char *approver_b,
    const char *reason, char *why, size_t whylen);

/*
 * consent_notice.c: whether the consent notice she was given (its scope
 * block, proto/notice.h) explains exactly this consent of case code: the
 * same case, the same agencies, steps and categories.  0, or -1 with why
 * saying what differs and what to do.
 */
struct notice_head;
int consent_notice_matches(const struct notice_head *, const char *code,
    const struct consent *, char *why, size_t whylen);

#endif
