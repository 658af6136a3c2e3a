/* Unit tests: the travel and escort rules of a departure notification
 * (daemon/rules/travel.c), from a table of plans each broken in one way, and
 * local times in real zones of the system tz database.  Every instant is
 * fixed; nothing reads the clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "daemon/rules/travel.h"

#define HOUR            (3600ull * 1000)
#define DAY             (24 * HOUR)
#define ESCORT_NAME     "Aminata Keita"
#define ESCORT_CONTACT  "+223 70 00 00 00"
#define RULE(r)         (1u << (r))

/* A return to Bamako by air through Dakar: a girl, escorted by a woman,
 * arriving 10:00 on Tuesday 2025-06-10, announced twenty days ahead. */
struct plan {
	Homeward__Referral__DepartureNotification d;
	Homeward__Referral__TravelLeg legs[4];
	Homeward__Referral__TravelLeg *legp[4];
	char            places[5][8];
	Homeward__Referral__Escort esc[2];
	Homeward__Referral__Escort *escp[2];
	Homeward__Referral__MeetingAgency met;
	struct travel_policy policy;
	struct travel_ctx ctx;
};

/* "2025-06-14 22:40" in UTC, as ms since the epoch. */
static uint64_t
utc(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	return (uint64_t)timegm(&tm) * 1000;
}

/* n legs by air, two hours each with an hour between, the last one
 * arriving at arrive in zone; the first leaves Paris, the others Dakar. */
static void
plan_legs(struct plan *p, size_t n, uint64_t arrive, char *zone)
{
	Homeward__Referral__TravelLeg init = HOMEWARD__REFERRAL__TRAVEL_LEG__INIT;

	for (size_t i = 0; i <= n; i++)
		snprintf(p->places[i], sizeof(p->places[i]), "P%zu", i);
	for (size_t i = 0; i < n; i++) {
		Homeward__Referral__TravelLeg *l = &p->legs[i];

		*l = init;
		l->mode = HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_AIR;
		l->from_place = p->places[i];
		l->to_place = p->places[i + 1];
		l->from_zone = i == 0 ? "Europe/Paris" : "Africa/Dakar";
		l->to_zone = i + 1 == n ? zone : "Africa/Dakar";
		l->arrival = arrive - (n - 1 - i) * 3 * HOUR;
		l->departure = l->arrival - 2 * HOUR;
		p->legp[i] = l;
	}
	p->d.n_legs = n;
	p->d.legs = p->legp;
	p->d.arrival_zone = zone;
	p->ctx.receiving_zone = zone;
	p->ctx.now = p->legs[0].departure - 20 * DAY;
}

static void
plan_good(struct plan *p, uint64_t arrive, char *zone)
{
	Homeward__Referral__DepartureNotification d =
	    HOMEWARD__REFERRAL__DEPARTURE_NOTIFICATION__INIT;
	Homeward__Referral__Escort e = HOMEWARD__REFERRAL__ESCORT__INIT;
	Homeward__Referral__MeetingAgency m =
	    HOMEWARD__REFERRAL__MEETING_AGENCY__INIT;

	memset(p, 0, sizeof(*p));
	p->d = d;
	p->d.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL;
	p->d.arrival_place = "Bamako";
	p->d.fit_to_travel = 1;
	for (size_t i = 0; i < 2; i++) {
		p->esc[i] = e;
		p->esc[i].role = HOMEWARD__REFERRAL__ESCORT_ROLE__ESCORT_OPERATIONAL;
		p->esc[i].gender = HOMEWARD__REFERRAL__SEX__SEX_FEMALE;
		p->esc[i].name = ESCORT_NAME;
		p->esc[i].contact = ESCORT_CONTACT;
		p->escp[i] = &p->esc[i];
	}
	p->d.n_escorts = 1;
	p->d.escorts = p->escp;
	p->met = m;
	p->met.agency_id = "ml-bamako-shelter";
	p->d.met_by = &p->met;
	travel_policy_default(&p->policy);
	p->ctx.policy = &p->policy;
	p->ctx.person.minor = 1;
	p->ctx.person.sex = HOMEWARD__REFERRAL__SEX__SEX_FEMALE;
	plan_legs(p, 2, arrive, zone);
}

/* The edits, one way of breaking (or not breaking) a rule each. */
static void boy(struct plan *p) { p->ctx.person.sex = HOMEWARD__REFERRAL__SEX__SEX_MALE; }
static void adult(struct plan *p) { p->ctx.person.minor = 0; }
static void no_escort(struct plan *p) { p->d.n_escorts = 0; }
static void male_escort(struct plan *p) { p->esc[0].gender = HOMEWARD__REFERRAL__SEX__SEX_MALE; }
static void boy_unescorted(struct plan *p) { boy(p); no_escort(p); }
static void boy_male_escort(struct plan *p) { boy(p); male_escort(p); }
static void woman_unescorted(struct plan *p) { adult(p); no_escort(p); }
static void man_and_woman(struct plan *p) { male_escort(p); p->d.n_escorts = 2; }
static void road(struct plan *p) { p->legs[0].mode = HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_ROAD; }
static void unstated(struct plan *p) { p->legs[1].mode = HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_UNSPECIFIED; }
static void direct(struct plan *p) { plan_legs(p, 1, p->legs[1].arrival, "Africa/Bamako"); }
static void three_legs(struct plan *p) { plan_legs(p, 3, p->legs[1].arrival, "Africa/Bamako"); }
static void mars(struct plan *p) { p->legs[1].to_zone = "Mars/Olympus"; p->d.arrival_zone = "Mars/Olympus"; }
static void dotdot(struct plan *p) { p->legs[0].from_zone = "../etc"; }
static void empty_zone(struct plan *p) { p->legs[0].from_zone = ""; }
static void receiving_mars(struct plan *p) { p->ctx.receiving_zone = "Mars/Olympus"; }
static void no_legs(struct plan *p) { p->d.n_legs = 0; }
static void unchained(struct plan *p) { p->legs[1].departure = p->legs[0].arrival - HOUR; }
static void touching(struct plan *p) { p->legs[1].departure = p->legs[0].arrival; }
static void backwards(struct plan *p) { p->legs[0].departure = p->legs[0].arrival + HOUR; }
static void elsewhere(struct plan *p) { p->legs[1].from_place = "XYZ"; }
static void no_time(struct plan *p) { p->legs[0].departure = 0; }
static void no_met_by(struct plan *p) { p->d.met_by = NULL; }
static void met_by_empty(struct plan *p) { p->met.agency_id = ""; }
static void final(struct plan *p) { p->d.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL; p->ctx.now = p->legs[0].departure + HOUR; }
static void final_announced(struct plan *p) { final(p); p->ctx.provisional_sent = 1; }
static void final_unfit(struct plan *p) { final_announced(p); p->d.fit_to_travel = 0; }
static void provisional_unfit(struct plan *p) { p->d.fit_to_travel = 0; }
static void notice_48h(struct plan *p) { p->ctx.now = p->legs[0].departure - 48 * HOUR; }
static void notice_72h(struct plan *p) { p->ctx.now = p->legs[0].departure - 72 * HOUR; }
static void notice_after(struct plan *p) { p->ctx.now = p->legs[0].departure + 1; }
static void no_transits(struct plan *p) { p->policy.max_transits = 0; }
static void friday_weekend(struct plan *p) { p->policy.weekend_days = (1u << 5) | (1u << 6); }
static void everything(struct plan *p) { road(p); no_escort(p); }
/* Public holidays: Tuesday 2025-06-10 in Bamako, and a day that is
 * Wednesday in Ho Chi Minh City while still Tuesday in Bamako. */
static const uint32_t holidays[] = { 20250101, 20250610, 20251225 };
static const uint32_t holiday_hcmc[] = { 20250611 };
static void holiday(struct plan *p) { p->policy.holidays = holidays; p->policy.nholidays = 3; }
static void holiday_weekend(struct plan *p) { static const uint32_t sat[] = { 20250614 }; p->policy.holidays = sat; p->policy.nholidays = 1; }
static void hcmc_holiday(struct plan *p) { p->policy.holidays = holiday_hcmc; p->policy.nholidays = 1; }
/* The notice lands in Ho Chi Minh City; the receiving agency sits in
 * Bamako: the arrival's own zone decides. */
static void lands_hcmc(struct plan *p) { p->legs[1].to_zone = "Asia/Ho_Chi_Minh"; p->d.arrival_zone = "Asia/Ho_Chi_Minh"; }
static void lands_hcmc_holiday(struct plan *p) { lands_hcmc(p); hcmc_holiday(p); }
/* No arrival_zone: the receiving agency's zone stands in, and no zone
 * finding; neither: the zone rule. */
static void no_arrival_zone(struct plan *p) { p->d.arrival_zone = ""; }
static void no_zone_at_all(struct plan *p) { p->d.arrival_zone = NULL; p->ctx.receiving_zone = ""; }
/* A misspelt arrival_zone: its own finding, and the hours are taken in
 * the receiving agency's zone rather than guessed. */
static void arrival_mars(struct plan *p) { p->d.arrival_zone = "Mars/Olympus"; }

static const struct row {
	const char     *name;
	const char     *arrive;         /* UTC; NULL: 2025-06-10 10:00 */
	char           *zone;           /* receiving; NULL: Africa/Bamako */
	void          (*edit)(struct plan *);
	unsigned        want;           /* RULE() of each rule broken */
} rows[] = {
	{ "good plan", NULL, NULL, NULL, 0 },
	{ "direct flight", NULL, NULL, direct, 0 },
	/* Bamako is UTC+0 all year. */
	{ "06:00 is early enough", "2025-06-10 06:00", NULL, NULL, 0 },
	{ "05:59 is too early", "2025-06-10 05:59", NULL, NULL, RULE(TRAVEL_DAYTIME) },
	{ "14:59 is in time", "2025-06-10 14:59", NULL, NULL, 0 },
	{ "15:00 is too late", "2025-06-10 15:00", NULL, NULL, RULE(TRAVEL_DAYTIME) },
	{ "at night", "2025-06-10 22:40", NULL, NULL, RULE(TRAVEL_DAYTIME) },
	{ "Saturday", "2025-06-14 10:00", NULL, NULL, RULE(TRAVEL_WORKDAY) },
	{ "Sunday", "2025-06-15 10:00", NULL, NULL, RULE(TRAVEL_WORKDAY) },
	{ "Saturday night", "2025-06-14 22:40", NULL, NULL,
	    RULE(TRAVEL_DAYTIME) | RULE(TRAVEL_WORKDAY) },
	{ "another weekend", "2025-06-14 10:00", NULL, friday_weekend, RULE(TRAVEL_WORKDAY) },
	{ "another weekend, Friday", "2025-06-13 10:00", NULL, friday_weekend, RULE(TRAVEL_WORKDAY) },
	{ "another weekend, Sunday", "2025-06-15 10:00", NULL, friday_weekend, 0 },
	/* Ho Chi Minh City is UTC+7: the local day is not the UTC day. */
	{ "Sunday UTC, Monday 06:30 local", "2025-06-15 23:30", "Asia/Ho_Chi_Minh", NULL, 0 },
	{ "Friday UTC, Saturday 06:00 local", "2025-06-13 23:00", "Asia/Ho_Chi_Minh", NULL,
	    RULE(TRAVEL_WORKDAY) },
	{ "08:30 UTC, 15:30 local", "2025-06-10 08:30", "Asia/Ho_Chi_Minh", NULL,
	    RULE(TRAVEL_DAYTIME) },
	/* Paris: the same UTC time of day on either side of a change. */
	{ "Paris, before spring DST", "2025-03-28 04:30", "Europe/Paris", NULL,
	    RULE(TRAVEL_DAYTIME) },
	{ "Paris, after spring DST", "2025-03-31 04:30", "Europe/Paris", NULL, 0 },
	{ "Paris, before autumn DST", "2025-10-24 13:30", "Europe/Paris", NULL,
	    RULE(TRAVEL_DAYTIME) },
	{ "Paris, after autumn DST", "2025-10-27 13:30", "Europe/Paris", NULL, 0 },
	{ "a leg by road", NULL, NULL, road, RULE(TRAVEL_AIR) },
	{ "a leg of no mode", NULL, NULL, unstated, RULE(TRAVEL_AIR) },
	{ "two transits", NULL, NULL, three_legs, RULE(TRAVEL_TRANSITS) },
	{ "one transit, none allowed", NULL, NULL, no_transits, RULE(TRAVEL_TRANSITS) },
	{ "unknown zone", NULL, NULL, mars, RULE(TRAVEL_ZONE) },
	{ "zone outside the database", NULL, NULL, dotdot, RULE(TRAVEL_ZONE) },
	{ "empty zone", NULL, NULL, empty_zone, RULE(TRAVEL_ZONE) },
	{ "unknown receiving zone", NULL, NULL, receiving_mars, RULE(TRAVEL_ZONE) },
	{ "no legs", NULL, NULL, no_legs, RULE(TRAVEL_LEGS) },
	{ "legs not chained", NULL, NULL, unchained, RULE(TRAVEL_LEGS) },
	{ "no time to change", NULL, NULL, touching, RULE(TRAVEL_LEGS) },
	{ "arrives before it departs", NULL, NULL, backwards, RULE(TRAVEL_LEGS) },
	{ "legs not joined", NULL, NULL, elsewhere, RULE(TRAVEL_LEGS) },
	{ "no departure time", NULL, NULL, no_time, RULE(TRAVEL_LEGS) },
	{ "a boy unescorted", NULL, NULL, boy_unescorted, RULE(TRAVEL_ESCORT_MINOR) },
	{ "a girl unescorted", NULL, NULL, no_escort,
	    RULE(TRAVEL_ESCORT_MINOR) | RULE(TRAVEL_ESCORT_FEMALE) },
	{ "a girl with a man", NULL, NULL, male_escort, RULE(TRAVEL_ESCORT_FEMALE) },
	{ "a girl with a man and a woman", NULL, NULL, man_and_woman, 0 },
	{ "a boy with a man", NULL, NULL, boy_male_escort, 0 },
	{ "a woman unescorted", NULL, NULL, woman_unescorted, 0 },
	{ "final, announced", NULL, NULL, final_announced, 0 },
	{ "final, never announced", NULL, NULL, final, RULE(TRAVEL_NOTICE) },
	{ "provisional, 48 h ahead", NULL, NULL, notice_48h, RULE(TRAVEL_NOTICE) },
	{ "provisional, 72 h ahead", NULL, NULL, notice_72h, 0 },
	{ "provisional, after departure", NULL, NULL, notice_after, RULE(TRAVEL_NOTICE) },
	{ "met by nobody", NULL, NULL, no_met_by, RULE(TRAVEL_MET_BY) },
	{ "met by no agency", NULL, NULL, met_by_empty, RULE(TRAVEL_MET_BY) },
	{ "final, not fit", NULL, NULL, final_unfit, RULE(TRAVEL_FIT) },
	{ "provisional, not fit yet", NULL, NULL, provisional_unfit, 0 },
	{ "a public holiday", NULL, NULL, holiday, RULE(TRAVEL_HOLIDAY) },
	{ "the day after a holiday", "2025-06-11 10:00", NULL, holiday, 0 },
	{ "a holiday on a weekend day", "2025-06-14 10:00", NULL, holiday_weekend,
	    RULE(TRAVEL_WORKDAY) | RULE(TRAVEL_HOLIDAY) },
	{ "a holiday, at night", "2025-06-10 22:40", NULL, holiday,
	    RULE(TRAVEL_DAYTIME) | RULE(TRAVEL_HOLIDAY) },
	/* 2025-06-10 23:30 UTC: Wednesday 06:30 in Ho Chi Minh City. */
	{ "holiday in the arrival's zone", "2025-06-10 23:30", NULL,
	    lands_hcmc_holiday, RULE(TRAVEL_HOLIDAY) },
	{ "not a holiday in the arrival's zone", "2025-06-10 23:30", NULL,
	    lands_hcmc, 0 },
	{ "17:00 where she lands, 10:00 at the agency", "2025-06-10 10:00", NULL,
	    lands_hcmc, RULE(TRAVEL_DAYTIME) },
	{ "Bamako's day, HCMC's holiday, receiving zone only",
	    "2025-06-10 23:30", NULL, hcmc_holiday, RULE(TRAVEL_DAYTIME) },
	{ "no arrival_zone: the receiving zone", "2025-06-10 22:40", NULL,
	    no_arrival_zone, RULE(TRAVEL_DAYTIME) },
	{ "no arrival_zone, 17:00 at the agency", NULL, "Asia/Ho_Chi_Minh",
	    no_arrival_zone, RULE(TRAVEL_DAYTIME) },
	{ "no zone at all", NULL, NULL, no_zone_at_all, RULE(TRAVEL_ZONE) },
	{ "arrival_zone misspelt", "2025-06-10 22:40", NULL, arrival_mars,
	    RULE(TRAVEL_ZONE) | RULE(TRAVEL_DAYTIME) },
	{ "Saturday night by road, unescorted", "2025-06-14 22:40", NULL, everything,
	    RULE(TRAVEL_DAYTIME) | RULE(TRAVEL_WORKDAY) | RULE(TRAVEL_AIR) |
	    RULE(TRAVEL_ESCORT_MINOR) | RULE(TRAVEL_ESCORT_FEMALE) },
};

static void
plan_row(struct plan *p, const struct row *r)
{
	plan_good(p, utc(r->arrive != NULL ? r->arrive : "2025-06-10 10:00"),
	    r->zone != NULL ? r->zone : "Africa/Bamako");
	if (r->edit != NULL)
		r->edit(p);
}

/* Every row breaks exactly the rules it says, once each, in enum order;
 * no detail names the escort. */
static void
test_table(void **state)
{
	struct travel_finding out[16];
	struct plan p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned got = 0;
		int last = 0;

		plan_row(&p, &rows[i]);
		memset(out, 0, sizeof(out));
		assert_int_equal(travel_check(&p.d, &p.ctx, out, 16, &n), 0);
		for (size_t j = 0; j < n && j < 16; j++) {
			print_message("%s: %s: %s\n", rows[i].name,
			    travel_rule_name(out[j].rule), out[j].detail);
			assert_true((int)out[j].rule > last);
			last = (int)out[j].rule;
			got |= RULE(out[j].rule);
			assert_true(strlen(out[j].detail) > 0);
			assert_null(strstr(out[j].detail, "Aminata"));
			assert_null(strstr(out[j].detail, ESCORT_CONTACT));
		}
		if (got != rows[i].want)
			fail_msg("%s: rules 0x%x, want 0x%x", rows[i].name,
			    got, rows[i].want);
		assert_int_equal(n, (size_t)__builtin_popcount(rows[i].want));
	}
}

/* The single finding of a plan, checked whole. */
static void
one_finding(struct plan *p, enum travel_rule rule, char *detail, size_t sz)
{
	struct travel_finding out[4];
	size_t n;

	assert_int_equal(travel_check(&p->d, &p->ctx, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].rule, rule);
	snprintf(detail, sz, "%s", out[0].detail);
}

static void
test_details(void **state)
{
	struct plan p;
	char d[TRAVEL_DETAIL_MAX];
	size_t n;

	(void)state;
	plan_good(&p, utc("2025-06-10 22:40"), "Africa/Bamako");
	one_finding(&p, TRAVEL_DAYTIME, d, sizeof(d));
	assert_string_equal(d, "arrives 22:40 Tuesday 2025-06-10 in "
	    "Africa/Bamako (arrival_zone); arrivals must be 06:00-15:00");

	/* Saturday in Ho Chi Minh City while still Friday in UTC. */
	plan_good(&p, utc("2025-06-13 23:00"), "Asia/Ho_Chi_Minh");
	one_finding(&p, TRAVEL_WORKDAY, d, sizeof(d));
	assert_string_equal(d, "arrives 06:00 Saturday 2025-06-14 in "
	    "Asia/Ho_Chi_Minh (arrival_zone); arrivals must be on a working "
	    "day");

	/* No arrival zone: the receiving agency's, and the detail says so. */
	plan_good(&p, utc("2025-06-10 10:00"), "Asia/Ho_Chi_Minh");
	p.d.arrival_zone = "";
	one_finding(&p, TRAVEL_DAYTIME, d, sizeof(d));
	assert_string_equal(d, "arrives 17:00 Tuesday 2025-06-10 in "
	    "Asia/Ho_Chi_Minh (receiving agency's zone); arrivals must be "
	    "06:00-15:00");
	p.d.arrival_zone = NULL;
	one_finding(&p, TRAVEL_DAYTIME, d, sizeof(d));
	assert_non_null(strstr(d, "(receiving agency's zone)"));
	/* No receiving zone: the arrival zone. */
	p.d.arrival_zone = "Asia/Ho_Chi_Minh";
	p.ctx.receiving_zone = NULL;
	one_finding(&p, TRAVEL_DAYTIME, d, sizeof(d));
	assert_non_null(strstr(d, "in Asia/Ho_Chi_Minh (arrival_zone)"));

	/* The arrival's own zone wins over the receiving agency's. */
	plan_good(&p, utc("2025-06-10 10:00"), "Asia/Ho_Chi_Minh");
	p.ctx.receiving_zone = "Africa/Bamako";
	one_finding(&p, TRAVEL_DAYTIME, d, sizeof(d));
	assert_non_null(strstr(d, "17:00 Tuesday 2025-06-10 in "
	    "Asia/Ho_Chi_Minh (arrival_zone)"));
	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	p.ctx.receiving_zone = "Asia/Ho_Chi_Minh";
	n = 9;
	assert_int_equal(travel_check(&p.d, &p.ctx, NULL, 0, &n), 0);
	assert_int_equal(n, 0);

	/* A holiday names the day, the zone and whose holiday it is. */
	plan_good(&p, utc("2027-01-01 09:00"), "Africa/Bamako");
	p.ctx.now = p.legs[0].departure - 20 * DAY;
	p.policy.holidays = (const uint32_t[]){ 20261225, 20270101 };
	p.policy.nholidays = 2;
	one_finding(&p, TRAVEL_HOLIDAY, d, sizeof(d));
	assert_string_equal(d, "arrives 09:00 Friday 2027-01-01 in "
	    "Africa/Bamako (arrival_zone), a public holiday of the receiving "
	    "country; arrivals must be on a working day");
	assert_string_equal(travel_rule_name(TRAVEL_HOLIDAY), "holiday");
	/* Without an arrival_zone, in the receiving agency's. */
	p.d.arrival_zone = "";
	one_finding(&p, TRAVEL_HOLIDAY, d, sizeof(d));
	assert_non_null(strstr(d, "09:00 Friday 2027-01-01 in Africa/Bamako "
	    "(receiving agency's zone), a public holiday"));

	/* Two legs by road: one finding, counting the other. */
	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	p.legs[0].mode = HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_ROAD;
	p.legs[1].mode = HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_SEA;
	one_finding(&p, TRAVEL_AIR, d, sizeof(d));
	assert_string_equal(d, "leg 1 of 2 goes by road; air travel is "
	    "preferred (and 1 more)");

	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	p.ctx.now = p.legs[0].departure - 40 * HOUR - 30 * 60 * 1000;
	one_finding(&p, TRAVEL_NOTICE, d, sizeof(d));
	/* Leg 1 leaves Paris at 05:00 UTC, 07:00 CEST. */
	assert_string_equal(d, "first departure 07:00 Tuesday 2025-06-10 in "
	    "Europe/Paris is 40h30 away; a provisional notice must come "
	    "72 h ahead");

	/* A missing time is one case, not also a chain broken in 1970. */
	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	p.legs[1].departure = 0;
	one_finding(&p, TRAVEL_LEGS, d, sizeof(d));
	assert_string_equal(d, "leg 2 has no departure or arrival time");

	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	p.legs[1].to_zone = "Mars/Olympus\n";
	p.d.arrival_zone = "Mars/Olympus\n";
	one_finding(&p, TRAVEL_ZONE, d, sizeof(d));
	assert_string_equal(d, "leg 2 to_zone \"Mars/Olympus?\" is not in "
	    "the tz database (and 1 more)");
}

/* Fewer slots than findings: the count is whole, the slots are in
 * order, and nothing past max is written. */
static void
test_truncated(void **state)
{
	struct travel_finding out[3];
	struct plan p;
	size_t n;

	(void)state;
	plan_row(&p, &rows[sizeof(rows) / sizeof(rows[0]) - 1]);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(out[0].rule, TRAVEL_DAYTIME);
	assert_int_equal(out[1].rule, TRAVEL_WORKDAY);
	for (size_t i = 0; i < sizeof(out[2]); i++)
		assert_int_equal(((unsigned char *)&out[2])[i], 0x5a);
	n = 0;
	assert_int_equal(travel_check(&p.d, &p.ctx, NULL, 0, &n), 0);
	assert_int_equal(n, 5);
}

static void
test_invalid(void **state)
{
	struct travel_finding out[2];
	struct plan p;
	size_t n;

	(void)state;
	plan_good(&p, utc("2025-06-10 10:00"), "Africa/Bamako");
	assert_int_equal(travel_check(NULL, &p.ctx, out, 2, &n), -EINVAL);
	assert_int_equal(travel_check(&p.d, NULL, out, 2, &n), -EINVAL);
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, NULL), -EINVAL);
	assert_int_equal(travel_check(&p.d, &p.ctx, NULL, 2, &n), -EINVAL);
	p.ctx.policy = NULL;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
	p.ctx.policy = &p.policy;
	p.policy.earliest_hour = 15;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
	p.policy.earliest_hour = 6;
	p.policy.latest_hour = 25;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
	p.policy.latest_hour = 24;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), 0);
	assert_int_equal(n, 0);
	/* Holidays: a count without dates, or more than the cap. */
	p.policy.nholidays = 1;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
	p.policy.holidays = (const uint32_t[TRAVEL_HOLIDAYS_MAX + 1]){ 0 };
	p.policy.nholidays = TRAVEL_HOLIDAYS_MAX + 1;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
	p.policy.nholidays = TRAVEL_HOLIDAYS_MAX;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), 0);
	p.d.kind = HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_UNSPECIFIED;
	assert_int_equal(travel_check(&p.d, &p.ctx, out, 2, &n), -EINVAL);
}

static void
test_rule_names(void **state)
{
	static const char *names[] = { "legs", "zone", "daytime", "workday",
	    "holiday", "air", "transits", "notice", "escort_minor",
	    "escort_female", "met_by", "fit_to_travel" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(travel_rule_name((enum travel_rule)(i + 1)),
		    names[i]);
		assert_int_equal(travel_rule_parse(names[i]), (int)(i + 1));
	}
	assert_int_equal(TRAVEL_FIT, 12);
	assert_null(travel_rule_name((enum travel_rule)0));
	assert_null(travel_rule_name((enum travel_rule)13));
	assert_int_equal(travel_rule_parse("fit"), 0);
	assert_int_equal(travel_rule_parse("Air"), 0);
	assert_int_equal(travel_rule_parse(""), 0);
	assert_int_equal(travel_rule_parse(NULL), 0);
}

static void
test_local_time(void **state)
{
	static const struct {
		const char     *zone;
		const char     *at;
		int             hour, wday;
		long            gmtoff;
	} rows_lt[] = {
		{ "Africa/Bamako", "2025-06-14 22:40", 22, 6, 0 },
		{ "Asia/Ho_Chi_Minh", "2025-06-13 23:00", 6, 6, 7 * 3600 },
		{ "Europe/Paris", "2025-03-30 00:59", 1, 0, 3600 },
		{ "Europe/Paris", "2025-03-30 01:00", 3, 0, 7200 },
		{ "America/Argentina/Buenos_Aires", "2025-06-10 12:00", 9, 2, -3 * 3600 },
		{ "Etc/GMT+5", "2025-06-10 12:00", 7, 2, -5 * 3600 },
	};
	static const char *bad[] = { "Mars/Olympus", "../etc", "../etc/passwd",
	    "/usr/share/zoneinfo/Europe/Paris", "Europe/../Europe/Paris",
	    "Europe/./Paris", "Europe//Paris", "Europe/Paris/", "Europe", "",
	    "zone.tab", "leapseconds", "Europe/Paris ", "UTC\n" };
	struct tm tm;

	(void)state;
	for (size_t i = 0; i < sizeof(rows_lt) / sizeof(rows_lt[0]); i++) {
		assert_int_equal(travel_local_time(rows_lt[i].zone,
		    utc(rows_lt[i].at), &tm), 0);
		assert_int_equal(tm.tm_hour, rows_lt[i].hour);
		assert_int_equal(tm.tm_wday, rows_lt[i].wday);
		assert_int_equal(tm.tm_gmtoff, rows_lt[i].gmtoff);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (travel_local_time(bad[i], 0, &tm) != -EINVAL)
			fail_msg("zone \"%s\" accepted", bad[i]);
	assert_int_equal(travel_local_time(NULL, 0, &tm), -EINVAL);
	assert_int_equal(travel_local_time("UTC", 0, NULL), -EINVAL);
}

/* TZ is the caller's again after each call, set or unset. */
static void
test_tz_restored(void **state)
{
	struct tm tm;

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	assert_int_equal(travel_local_time("Africa/Bamako", 0, &tm), 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	assert_int_equal(travel_local_time("Mars/Olympus", 0, &tm), -EINVAL);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	/* The process's own local time is Tokyo's again. */
	assert_non_null(localtime_r(&(time_t){ 0 }, &tm));
	assert_int_equal(tm.tm_hour, 9);

	assert_int_equal(unsetenv("TZ"), 0);
	/* In 1970 Saigon was UTC+8: a recent instant. */
	assert_int_equal(travel_local_time("Asia/Ho_Chi_Minh",
	    utc("2025-06-10 00:00"), &tm), 0);
	assert_int_equal(tm.tm_hour, 7);
	assert_null(getenv("TZ"));
}

/* The database is $TZDIR's when it is set, for glibc and the check alike. */
static void
test_tzdir(void **state)
{
	char dir[] = "/tmp/test_travel.XXXXXX", sub[64], link[96];
	struct tm tm;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/Test", dir);
	snprintf(link, sizeof(link), "%s/Zone", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink("/usr/share/zoneinfo/Asia/Ho_Chi_Minh", link), 0);

	assert_int_equal(travel_local_time("Test/Zone", 0, &tm), -EINVAL);
	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_int_equal(travel_local_time("Test/Zone",
	    utc("2025-06-10 00:00"), &tm), 0);
	assert_int_equal(tm.tm_hour, 7);
	assert_int_equal(travel_local_time("Africa/Bamako", 0, &tm), -EINVAL);
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(travel_local_time("Africa/Bamako", 0, &tm), 0);

	assert_int_equal(unlink(link), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_tzdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
