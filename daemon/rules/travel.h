/*
 * The travel and escort rules of the referral procedure (design.md
 * section 2, seeds 000 and 004), checked on a DepartureNotification when a
 * return is queued: arrive early in the day on a working day, not a public
 * holiday of the receiving country, in the local time of the arrival (the
 * notice's arrival_zone, else the receiving agency's zone), by air, with
 * few transit points, after an advance notice, met by a qualified agency;
 * a minor escorted, a girl by a female escort.  A plan that breaks a rule is refused unless a supervisor
 * waives that rule by name (travel_rule_name) with a reason.
 *
 * Pure: no I/O besides reading the tz database through libc, no clock (the
 * caller passes now).  Not thread-safe: local times are computed through
 * the process's TZ (see travel_local_time).
 */
#ifndef HOMEWARD_DAEMON_RULES_TRAVEL_H
#define HOMEWARD_DAEMON_RULES_TRAVEL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/referral.pb-c.h"

#define TRAVEL_HOLIDAYS_MAX     64

/* From the configuration, for one receiving agency (its own section, else
 * [travel]); travel_policy_default() fills these. */
struct travel_policy {
	unsigned        earliest_hour;  /* arrival local time >= this (6) */
	unsigned        latest_hour;    /* arrival local time < this (15):
					   "early in the day" */
	uint8_t         weekend_days;   /* bit per tm_wday (0 = Sunday):
					   Saturday and Sunday */
	unsigned        max_transits;   /* intermediate stops allowed (1) */
	uint64_t        min_notice_ms;  /* a provisional notice comes at least
					   this long before the first
					   departure (72 h) */
	/* Public holidays of the receiving country, as YYYYMMDD numbers
	 * (20270101), in any order; the caller's, at most
	 * TRAVEL_HOLIDAYS_MAX (none by default). */
	const uint32_t *holidays;
	size_t          nholidays;
};

void travel_policy_default(struct travel_policy *);

struct travel_person {
	int             minor;
	int             sex;            /* Homeward__Referral__Sex */
};

struct travel_ctx {
	const struct travel_policy *policy;
	struct travel_person person;
	/* IANA zone of the receiving agency (its bundle), e.g.
	 * "Africa/Bamako": the arrival's local time is in the notice's own
	 * arrival_zone when it gives a valid one, else in this zone. */
	const char     *receiving_zone;
	int             provisional_sent; /* an advance notice went out for
					     this case */
	uint64_t        now;            /* ms since the epoch */
};

enum travel_rule {
	TRAVEL_LEGS = 1,        /* legs present, ordered in time, chained */
	TRAVEL_ZONE,            /* every zone in the tz database */
	TRAVEL_DAYTIME,         /* arrival in [earliest, latest) local time */
	TRAVEL_WORKDAY,         /* arrival not on a weekend day */
	TRAVEL_HOLIDAY,         /* nor on a public holiday */
	TRAVEL_AIR,             /* every leg by air */
	TRAVEL_TRANSITS,        /* at most max_transits stops */
	TRAVEL_NOTICE,          /* advance notice, early enough */
	TRAVEL_ESCORT_MINOR,    /* a minor travels escorted */
	TRAVEL_ESCORT_FEMALE,   /* a girl by a female escort */
	TRAVEL_MET_BY,          /* met on arrival by an agency */
	TRAVEL_FIT,             /* fit to travel when departing */
};

#define TRAVEL_DETAIL_MAX       192

/* One broken rule.  The detail names the rule and the times involved, in
 * local time of the zone it names; never a person's or escort's name. */
struct travel_finding {
	enum travel_rule rule;
	char            detail[TRAVEL_DETAIL_MAX];
};

/*
 * Check a departure notification against ctx's policy.  Each broken rule
 * gives one finding, in the order of enum travel_rule; up to max of them
 * are written to out (out may be NULL when max is 0).  *n is the number of
 * rules broken, which may exceed max: 0 means the plan is fine.
 * Returns 0, or -EINVAL for a NULL argument, a policy with no valid
 * arrival hours or too many holidays, or a notice neither provisional nor
 * final; -ENOMEM or
 * -EOVERFLOW from travel_local_time.
 */
int travel_check(const Homeward__Referral__DepartureNotification *,
    const struct travel_ctx *, struct travel_finding *out, size_t max,
    size_t *n);

/* "legs", "zone", "daytime", "workday", "holiday", "air", "transits",
 * "notice", "escort_minor", "escort_female", "met_by", "fit_to_travel": the
 * names a supervisor's waiver lists.  NULL for a value outside the enum. */
const char *travel_rule_name(enum travel_rule);
/* The rule of that name, or 0 if unknown (or NULL). */
int travel_rule_parse(const char *name);

/*
 * Local time of an instant (ms since the epoch) in an IANA zone.  -EINVAL
 * for a zone that is not in the tz database ($TZDIR, else
 * /usr/share/zoneinfo): names must be relative, without "." components
 * or "..", and the file a TZif file, because glibc silently falls back to
 * UTC for a zone it cannot load.  -EOVERFLOW for an instant localtime
 * cannot represent; -ENOMEM.  Sets TZ for the call and restores it:
 * single-threaded callers only.
 */
int travel_local_time(const char *zone, uint64_t ms, struct tm *out);

#endif
