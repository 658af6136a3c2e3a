/*
 * The travel and escort rules of a departure notification (see travel.h).
 * Each rule is one small function that reports what it finds; a rule
 * broken several times (two legs by road) is one finding, its first case,
 * with a count of the rest, because a supervisor waives rules, not cases.
 *
 * Local times come from the system tz database through glibc, which has no
 * per-call zone: travel_local_time points TZ at the zone for one
 * localtime_r and puts it back.  Zone names are checked against the
 * database first, since glibc quietly uses UTC for a zone it cannot load
 * and a misspelt zone would otherwise pass the daytime rule in UTC.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/rules/travel.h"

#define ZONE_NAME_MAX   128     /* the longest IANA name is about 32 */
#define ZONEINFO_DIR    "/usr/share/zoneinfo"
#define MS_PER_HOUR     (3600ull * 1000)
#define MS_PER_MIN      (60ull * 1000)

static const char *const rule_names[] = {
	[TRAVEL_LEGS] = "legs",
	[TRAVEL_ZONE] = "zone",
	[TRAVEL_DAYTIME] = "daytime",
	[TRAVEL_WORKDAY] = "workday",
	[TRAVEL_HOLIDAY] = "holiday",
	[TRAVEL_AIR] = "air",
	[TRAVEL_TRANSITS] = "transits",
	[TRAVEL_NOTICE] = "notice",
	[TRAVEL_ESCORT_MINOR] = "escort_minor",
	[TRAVEL_ESCORT_FEMALE] = "escort_female",
	[TRAVEL_MET_BY] = "met_by",
	[TRAVEL_FIT] = "fit_to_travel",
};
#define RULE_COUNT      (sizeof(rule_names) / sizeof(rule_names[0]))

static const char *const day_names[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

/* What the rules found: the first case of each rule, and how many more. */
struct findings {
	struct travel_finding *out;
	size_t          max;
	size_t          n;              /* rules broken */
	int             seen[RULE_COUNT];
	unsigned        more[RULE_COUNT];
};

void
travel_policy_default(struct travel_policy *p)
{
	p->earliest_hour = 6;
	p->latest_hour = 15;
	p->weekend_days = (1u << 0) | (1u << 6);
	p->max_transits = 1;
	p->min_notice_ms = 72 * MS_PER_HOUR;
	p->holidays = NULL;
	p->nholidays = 0;
}

const char *
travel_rule_name(enum travel_rule r)
{
	if ((unsigned)r == 0 || (unsigned)r >= RULE_COUNT)
		return NULL;
	return rule_names[r];
}

int
travel_rule_parse(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 1; i < RULE_COUNT; i++)
		if (strcmp(name, rule_names[i]) == 0)
			return (int)i;
	return 0;
}

/*
 * An IANA name: relative, components of letters, digits, '_', '-' and
 * '+' separated by single slashes.  No name in the database has a dot, so
 * refusing dots keeps out ".." and the database's own non-zone files
 * (zone.tab, tzdata.zi).
 */
static int
zone_name_ok(const char *zone)
{
	size_t len = strlen(zone);

	if (len == 0 || len >= ZONE_NAME_MAX || zone[0] == '/' ||
	    zone[len - 1] == '/' || strstr(zone, "//") != NULL)
		return 0;
	for (const char *p = zone; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '+' || *p == '/')
			continue;
		return 0;
	}
	return 1;
}

/*
 * The zone is a TZif file in the database glibc will read: $TZDIR as
 * glibc takes it (ignored in a setuid process, hence secure_getenv), else
 * the system directory.  The magic rules out regular files that are not
 * zones (leapseconds).
 */
static int
zone_check(const char *zone)
{
	const char *dir;
	char path[4096], magic[4];
	struct stat st;
	int fd, n, ok;

	if (zone == NULL || !zone_name_ok(zone))
		return -EINVAL;
	dir = secure_getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = ZONEINFO_DIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -EINVAL;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok ? 0 : -EINVAL;
}

/*
 * glibc reads the zone from TZ only, so TZ is set for one localtime_r and
 * restored (or unset) after it.  This touches the process environment:
 * correct only because the daemon is single-threaded, and no other code
 * may depend on TZ across a call.
 */
int
travel_local_time(const char *zone, uint64_t ms, struct tm *out)
{
	const char *cur;
	char *saved = NULL, tz[ZONE_NAME_MAX + 1];
	time_t t;
	int r = 0, had;

	if (out == NULL || zone_check(zone) != 0)
		return -EINVAL;
	t = (time_t)(ms / 1000);
	/* ':' makes glibc take the value as a file, never as a POSIX rule. */
	snprintf(tz, sizeof(tz), ":%s", zone);
	cur = getenv("TZ");
	had = cur != NULL;
	if (had && (saved = strdup(cur)) == NULL)
		return -ENOMEM;
	if (setenv("TZ", tz, 1) == -1) {
		r = -errno;
		goto done;
	}
	tzset();
	if (localtime_r(&t, out) == NULL)
		r = -EOVERFLOW;
	if ((had ? setenv("TZ", saved, 1) : unsetenv("TZ")) == -1 && r == 0)
		r = -errno;
	tzset();
done:
	free(saved);
	return r;
}

static void findings_add(struct findings *, enum travel_rule,
    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
findings_add(struct findings *f, enum travel_rule rule, const char *fmt, ...)
{
	va_list ap;

	if (f->seen[rule]) {
		f->more[rule]++;
		return;
	}
	f->seen[rule] = 1;
	if (f->n < f->max) {
		f->out[f->n].rule = rule;
		va_start(ap, fmt);
		vsnprintf(f->out[f->n].detail, sizeof(f->out[f->n].detail),
		    fmt, ap);
		va_end(ap);
	}
	f->n++;
}

/* " (and N more)" after each finding that stands for several cases,
 * cutting the detail short if it must to make room. */
static void
findings_finish(struct findings *f)
{
	size_t written = f->n < f->max ? f->n : f->max;

	for (size_t i = 0; i < written; i++) {
		struct travel_finding *tf = &f->out[i];
		char suffix[32];
		size_t len, slen;

		if (f->more[tf->rule] == 0)
			continue;
		slen = (size_t)snprintf(suffix, sizeof(suffix),
		    " (and %u more)", f->more[tf->rule]);
		len = strlen(tf->detail);
		if (len + slen >= sizeof(tf->detail))
			len = sizeof(tf->detail) - slen - 1;
		memcpy(tf->detail + len, suffix, slen + 1);
	}
}

static const char *
str(const char *s)
{
	return s == NULL ? "" : s;
}

/* "22:40 Saturday 2025-06-14 in Africa/Bamako", or in UTC when the zone
 * is not usable (its own finding says so). */
static int
fmt_when(const char *zone, uint64_t ms, char *buf, size_t sz)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	int r;

	r = travel_local_time(zone, ms, &tm);
	if (r == -EINVAL) {
		zone = "UTC";
		r = gmtime_r(&t, &tm) == NULL ? -EOVERFLOW : 0;
	}
	if (r != 0)
		return r;
	snprintf(buf, sz, "%02d:%02d %s %04d-%02d-%02d in %s", tm.tm_hour,
	    tm.tm_min, day_names[tm.tm_wday], tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, zone);
	return 0;
}

/* A zone as it may appear in a detail: untrusted text, so printable
 * ASCII only and short. */
static void
zone_quote(const char *zone, char *buf, size_t sz)
{
	size_t i;

	for (i = 0; zone[i] != '\0' && i + 1 < sz; i++)
		buf[i] = zone[i] >= 0x20 && zone[i] < 0x7f ? zone[i] : '?';
	buf[i] = '\0';
}

static int
check_legs(const Homeward__Referral__DepartureNotification *d,
    struct findings *f)
{
	char a[80], b[80];
	int r;

	if (d->n_legs == 0) {
		findings_add(f, TRAVEL_LEGS, "the itinerary has no legs");
		return 0;
	}
	for (size_t i = 0; i < d->n_legs; i++) {
		const Homeward__Referral__TravelLeg *l = d->legs[i];
		const Homeward__Referral__TravelLeg *next;

		if (l == NULL) {
			findings_add(f, TRAVEL_LEGS, "leg %zu is missing", i + 1);
			continue;
		}
		if (*str(l->from_place) == '\0' || *str(l->to_place) == '\0')
			findings_add(f, TRAVEL_LEGS,
			    "leg %zu has no place of departure or arrival",
			    i + 1);
		if (l->departure == 0 || l->arrival == 0)
			findings_add(f, TRAVEL_LEGS,
			    "leg %zu has no departure or arrival time", i + 1);
		else if (l->departure >= l->arrival) {
			if ((r = fmt_when(str(l->from_zone), l->departure, a,
			    sizeof(a))) != 0 || (r = fmt_when(str(l->to_zone),
			    l->arrival, b, sizeof(b))) != 0)
				return r;
			findings_add(f, TRAVEL_LEGS, "leg %zu departs %s, "
			    "not before it arrives %s", i + 1, a, b);
		}
		if (i + 1 == d->n_legs || (next = d->legs[i + 1]) == NULL)
			continue;
		if (next->departure != 0 && l->arrival != 0 &&
		    next->departure <= l->arrival) {
			if ((r = fmt_when(str(next->from_zone), next->departure,
			    a, sizeof(a))) != 0 || (r = fmt_when(str(l->to_zone),
			    l->arrival, b, sizeof(b))) != 0)
				return r;
			findings_add(f, TRAVEL_LEGS, "leg %zu departs %s, "
			    "not after leg %zu arrives %s", i + 2, a, i + 1, b);
		}
		if (strcmp(str(l->to_place), str(next->from_place)) != 0 ||
		    strcmp(str(l->to_zone), str(next->from_zone)) != 0)
			findings_add(f, TRAVEL_LEGS, "leg %zu does not start "
			    "where leg %zu ends (place or zone differ)", i + 2,
			    i + 1);
	}
	return 0;
}

static void
check_zone(struct findings *f, const char *zone, const char *what,
    size_t leg)
{
	char q[48], where[48];

	if (zone_check(zone) == 0)
		return;
	if (leg > 0)
		snprintf(where, sizeof(where), "leg %zu %s", leg, what);
	else
		snprintf(where, sizeof(where), "%s", what);
	if (*zone == '\0') {
		findings_add(f, TRAVEL_ZONE, "%s is empty", where);
		return;
	}
	zone_quote(zone, q, sizeof(q));
	findings_add(f, TRAVEL_ZONE, "%s \"%s\" is not in the tz database",
	    where, q);
}

static void
check_zones(const Homeward__Referral__DepartureNotification *d,
    const struct travel_ctx *ctx, struct findings *f)
{
	for (size_t i = 0; i < d->n_legs; i++) {
		if (d->legs[i] == NULL)
			continue;
		check_zone(f, str(d->legs[i]->from_zone), "from_zone", i + 1);
		check_zone(f, str(d->legs[i]->to_zone), "to_zone", i + 1);
	}
	/* A notice may leave its arrival_zone out when the receiving
	 * agency's zone stands in for it (check_arrival). */
	if (*str(d->arrival_zone) != '\0' || *str(ctx->receiving_zone) == '\0')
		check_zone(f, str(d->arrival_zone), "arrival_zone", 0);
	if (*str(ctx->receiving_zone) != '\0')
		check_zone(f, ctx->receiving_zone, "the receiving agency's zone",
		    0);
}

/*
 * Where the arrival's local time is taken: the notice's own arrival_zone
 * when it gives a usable one (the place she lands), else the receiving
 * agency's zone from its bundle.  which says so in the findings.
 */
static void
arrival_zone(const Homeward__Referral__DepartureNotification *d,
    const struct travel_ctx *ctx, const char **zone, const char **which)
{
	if (zone_check(str(d->arrival_zone)) == 0 ||
	    *str(ctx->receiving_zone) == '\0') {
		*zone = str(d->arrival_zone);
		*which = "arrival_zone";
	} else {
		*zone = ctx->receiving_zone;
		*which = "receiving agency's zone";
	}
}

static int
is_holiday(const struct travel_policy *p, const struct tm *tm)
{
	uint32_t day = (uint32_t)(tm->tm_year + 1900) * 10000 +
	    (uint32_t)(tm->tm_mon + 1) * 100 + (uint32_t)tm->tm_mday;

	for (size_t i = 0; i < p->nholidays; i++)
		if (p->holidays[i] == day)
			return 1;
	return 0;
}

/* Early in the day, on a working day and not on a public holiday of the
 * receiving country, where the person is received. */
static int
check_arrival(const Homeward__Referral__DepartureNotification *d,
    const struct travel_ctx *ctx, struct findings *f)
{
	const struct travel_policy *p = ctx->policy;
	const Homeward__Referral__TravelLeg *last;
	const char *zone, *which;
	char when[80];
	struct tm tm;
	unsigned sod;
	int r;

	if (d->n_legs == 0 || (last = d->legs[d->n_legs - 1]) == NULL ||
	    last->arrival == 0)
		return 0;
	arrival_zone(d, ctx, &zone, &which);
	/* An unusable zone is the zone rule's finding, not a guess in UTC. */
	if ((r = travel_local_time(zone, last->arrival, &tm)) == -EINVAL)
		return 0;
	if (r != 0 || (r = fmt_when(zone, last->arrival, when,
	    sizeof(when))) != 0)
		return r;
	sod = (unsigned)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	if (sod < p->earliest_hour * 3600 || sod >= p->latest_hour * 3600)
		findings_add(f, TRAVEL_DAYTIME, "arrives %s (%s); arrivals "
		    "must be %02u:00-%02u:00", when, which, p->earliest_hour,
		    p->latest_hour);
	if (p->weekend_days & (1u << tm.tm_wday))
		findings_add(f, TRAVEL_WORKDAY, "arrives %s (%s); arrivals "
		    "must be on a working day", when, which);
	if (is_holiday(p, &tm))
		findings_add(f, TRAVEL_HOLIDAY, "arrives %s (%s), a public "
		    "holiday of the receiving country; arrivals must be on a "
		    "working day", when, which);
	return 0;
}

static const char *
mode_name(int mode)
{
	switch (mode) {
	case HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_ROAD:
		return "by road";
	case HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_RAIL:
		return "by rail";
	case HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_SEA:
		return "by sea";
	default:
		return "by an unstated mode";
	}
}

static void
check_means(const Homeward__Referral__DepartureNotification *d,
    const struct travel_policy *p, struct findings *f)
{
	for (size_t i = 0; i < d->n_legs; i++) {
		const Homeward__Referral__TravelLeg *l = d->legs[i];

		if (l != NULL && l->mode != HOMEWARD__REFERRAL__TRAVEL_MODE__MODE_AIR)
			findings_add(f, TRAVEL_AIR, "leg %zu of %zu goes %s; "
			    "air travel is preferred", i + 1, d->n_legs,
			    mode_name(l->mode));
	}
	if (d->n_legs > 0 && d->n_legs - 1 > p->max_transits)
		findings_add(f, TRAVEL_TRANSITS, "%zu legs make %zu transit "
		    "point%s; at most %u allowed", d->n_legs, d->n_legs - 1,
		    d->n_legs == 2 ? "" : "s", p->max_transits);
}

/* Advance notice as soon as a provisional itinerary exists: early enough
 * before the first departure, and before any final notice. */
static int
check_notice(const Homeward__Referral__DepartureNotification *d,
    const struct travel_ctx *ctx, struct findings *f)
{
	const Homeward__Referral__TravelLeg *first;
	uint64_t min = ctx->policy->min_notice_ms, left;
	char when[80], need[32];
	int r;

	if (d->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL) {
		if (!ctx->provisional_sent)
			findings_add(f, TRAVEL_NOTICE, "final notice, but no "
			    "advance (provisional) notice was ever given");
		return 0;
	}
	if (d->n_legs == 0 || (first = d->legs[0]) == NULL ||
	    first->departure == 0)
		return 0;
	if (min % MS_PER_HOUR == 0)
		snprintf(need, sizeof(need), "%llu h",
		    (unsigned long long)(min / MS_PER_HOUR));
	else
		snprintf(need, sizeof(need), "%llu min",
		    (unsigned long long)((min + MS_PER_MIN - 1) / MS_PER_MIN));
	if (first->departure > ctx->now && first->departure - ctx->now >= min)
		return 0;
	if ((r = fmt_when(str(first->from_zone), first->departure, when,
	    sizeof(when))) != 0)
		return r;
	if (first->departure <= ctx->now) {
		findings_add(f, TRAVEL_NOTICE, "first departure %s has "
		    "passed; a provisional notice must come %s ahead", when,
		    need);
		return 0;
	}
	left = first->departure - ctx->now;
	findings_add(f, TRAVEL_NOTICE, "first departure %s is %lluh%02llu "
	    "away; a provisional notice must come %s ahead", when,
	    (unsigned long long)(left / MS_PER_HOUR),
	    (unsigned long long)(left % MS_PER_HOUR / MS_PER_MIN), need);
	return 0;
}

/* Seed 000: a minor travels escorted, a girl by a female escort. */
static void
check_escorts(const Homeward__Referral__DepartureNotification *d,
    const struct travel_person *who, struct findings *f)
{
	size_t n = 0, female = 0;

	for (size_t i = 0; i < d->n_escorts; i++) {
		if (d->escorts[i] == NULL)
			continue;
		n++;
		if (d->escorts[i]->gender == HOMEWARD__REFERRAL__SEX__SEX_FEMALE)
			female++;
	}
	if (!who->minor)
		return;
	if (n == 0)
		findings_add(f, TRAVEL_ESCORT_MINOR,
		    "a minor travels with no escort");
	if (who->sex == HOMEWARD__REFERRAL__SEX__SEX_FEMALE && female == 0)
		findings_add(f, TRAVEL_ESCORT_FEMALE, "a girl travels with "
		    "no female escort (%zu escort%s, none female)", n,
		    n == 1 ? "" : "s");
}

int
travel_check(const Homeward__Referral__DepartureNotification *d,
    const struct travel_ctx *ctx, struct travel_finding *out, size_t max,
    size_t *n)
{
	struct findings f;
	const struct travel_policy *p;
	int r;

	if (d == NULL || ctx == NULL || (p = ctx->policy) == NULL ||
	    n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	if (p->earliest_hour >= p->latest_hour || p->latest_hour > 24)
		return -EINVAL;
	if (p->nholidays > TRAVEL_HOLIDAYS_MAX ||
	    (p->nholidays > 0 && p->holidays == NULL))
		return -EINVAL;
	if (d->kind != HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_PROVISIONAL &&
	    d->kind != HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)
		return -EINVAL;
	if (d->n_legs > 0 && d->legs == NULL)
		return -EINVAL;
	if (d->n_escorts > 0 && d->escorts == NULL)
		return -EINVAL;

	memset(&f, 0, sizeof(f));
	f.out = out;
	f.max = max;
	/* In the order of enum travel_rule, so findings come out sorted. */
	if ((r = check_legs(d, &f)) != 0)
		return r;
	check_zones(d, ctx, &f);
	if ((r = check_arrival(d, ctx, &f)) != 0)
		return r;
	check_means(d, p, &f);
	if ((r = check_notice(d, ctx, &f)) != 0)
		return r;
	check_escorts(d, &ctx->person, &f);
	if (d->met_by == NULL || *str(d->met_by->agency_id) == '\0')
		findings_add(&f, TRAVEL_MET_BY, "no qualified agency is named "
		    "to meet the person on arrival");
	if (d->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL &&
	    !d->fit_to_travel)
		findings_add(&f, TRAVEL_FIT, "final notice without fitness "
		    "to travel");
	findings_finish(&f);
	*n = f.n;
	return 0;
}
