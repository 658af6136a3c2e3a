/*
 * The travel sections of homewardd.conf (config_travel.h).  A partner's
 * section is [travel "AGENCY"]: libinih hands over the whole text between
 * the brackets, and cuts it at 49 bytes (its MAX_SECTION), so an id too
 * long for that shows as a section without its closing quote and is
 * refused rather than read as another agency's.
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strnum.h"
#include "daemon/base/config_travel.h"

#define SECTION_PREFIX  "travel \""
#define INIH_SECTION    50      /* libinih's MAX_SECTION, with the NUL */
#define ID_MAX          (INIH_SECTION - 1 - (sizeof(SECTION_PREFIX) - 1) - 1)

static const char *const weekdays[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

void
config_travel_defaults(struct config_travel *t)
{
	memset(t, 0, sizeof(*t));
	t->earliest_hour = 6;
	t->latest_hour = 15;
	t->weekend = (1u << 0) | (1u << 6);
	t->max_transits = 1;
	t->min_notice_ms = 72ull * 3600 * 1000;
}

int
config_travel_section(const char *section)
{
	return strcmp(section, "travel") == 0 ||
	    strncmp(section, "travel ", 7) == 0 ||
	    strncmp(section, "travel.", 7) == 0;
}

/* "sat,sun" into a bit per tm_wday. */
static int
parse_weekend(const char *v, uint8_t *out)
{
	char            buf[64], *tok, *save = NULL;
	uint8_t         bits = 0;
	size_t          n = strlen(v);
	int             i;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n + 1);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		for (i = 0; i < 7 && strcasecmp(tok, weekdays[i]) != 0; i++)
			;
		if (i == 7)
			return -1;
		bits |= (uint8_t)(1u << i);
	}
	*out = bits;
	return 0;
}

/* "2027-01-01", a day of the Gregorian calendar, into 20270101. */
static int
parse_date(const char *s, uint32_t *out)
{
	static const unsigned mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (unsigned)strtoul(s, NULL, 10);
	m = (unsigned)strtoul(s + 5, NULL, 10);
	d = (unsigned)strtoul(s + 8, NULL, 10);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*out = y * 10000 + m * 100 + d;
	return 0;
}

/*
 * A line of dates.  The first holidays line of a section starts its list
 * (replacing what it would inherit); further lines, or libinih's indented
 * continuation lines, add to it, since one line holds 199 bytes.  An empty
 * value is an empty list: no holidays for this partner.
 */
static int
parse_holidays(struct config_travel *t, const char *label, const char *v,
    char *why, size_t whylen)
{
	char            buf[INI_MAX_LINE + 1], *tok, *save = NULL;
	size_t          n = strlen(v);
	uint32_t        day;
	size_t          i;

	if (!(t->set & CONFIG_TRAVEL_HOLIDAYS))
		t->nholidays = 0;
	t->set |= CONFIG_TRAVEL_HOLIDAYS;
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n + 1);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (parse_date(tok, &day) != 0) {
			/* A line cut by libinih ends in part of a date. */
			snprintf(why, whylen, "holidays: \"%.16s\" is not a date; "
			    "write YYYY-MM-DD, separated by commas%s", tok,
			    n + 16 >= INI_MAX_LINE ? " (a line holds 199 "
			    "characters: go on with another holidays line)" : "");
			return -1;
		}
		for (i = 0; i < t->nholidays && t->holidays[i] != day; i++)
			;
		if (i < t->nholidays)
			continue;
		if (t->nholidays == CONFIG_HOLIDAYS_MAX) {
			snprintf(why, whylen, "holidays: more than %d dates in "
			    "[%s]; list only the coming ones", CONFIG_HOLIDAYS_MAX,
			    label);
			return -1;
		}
		t->holidays[t->nholidays++] = day;
	}
	return 0;
}

static int
set_hour(struct config_travel *t, const char *name, const char *value)
{
	uint64_t v;

	if (strnum_u64(value, 0, 24, &v) != 0)
		return -1;
	if (name[0] == 'e') {
		t->earliest_hour = (unsigned)v;
		t->set |= CONFIG_TRAVEL_EARLIEST;
	} else {
		t->latest_hour = (unsigned)v;
		t->set |= CONFIG_TRAVEL_LATEST;
	}
	return 0;
}

/* One key of a travel section; label is the section's name as written. */
static int
travel_key(struct config_travel *t, const char *label, const char *name,
    const char *value, char *why, size_t whylen)
{
	uint64_t v;

	if (strcmp(name, "earliest_hour") == 0 || strcmp(name, "latest_hour") == 0) {
		if (set_hour(t, name, value) != 0) {
			snprintf(why, whylen, "%s must be an hour, 0-24", name);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "max_transits") == 0) {
		if (strnum_u64(value, 0, 16, &v) != 0) {
			snprintf(why, whylen, "%s must be 0-16", name);
			return -1;
		}
		t->max_transits = (unsigned)v;
		t->set |= CONFIG_TRAVEL_TRANSITS;
		return 0;
	}
	if (strcmp(name, "weekend") == 0) {
		if (parse_weekend(value, &t->weekend) != 0) {
			snprintf(why, whylen, "weekend must list days as "
			    "sun,mon,tue,wed,thu,fri,sat");
			return -1;
		}
		t->set |= CONFIG_TRAVEL_WEEKEND;
		return 0;
	}
	if (strcmp(name, "min_notice_ms") == 0) {
		if (strnum_u64(value, 1, 30ull * 24 * 3600 * 1000,
		    &t->min_notice_ms) != 0) {
			snprintf(why, whylen, "%s must be a positive number of "
			    "milliseconds", name);
			return -1;
		}
		t->set |= CONFIG_TRAVEL_NOTICE;
		return 0;
	}
	if (strcmp(name, "holidays") == 0)
		return parse_holidays(t, label, value, why, whylen);
	snprintf(why, whylen, "unknown key %s in [%s]", name, label);
	return -1;
}

/* The agency id of a partner's section: 1 to 63 of a-z, 0-9 and '-', as
 * in its bundle (keys/bundle.c). */
static int
agency_id_ok(const char *s, size_t n)
{
	if (n == 0 || n >= CONFIG_AGENCY_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* The partner section named by section, added on first sight. */
static struct config_travel *
partner(struct config *cfg, const char *section, char *why, size_t whylen)
{
	const char     *id = section + sizeof(SECTION_PREFIX) - 1;
	size_t          len = strlen(section), n;
	struct config_travel *p;

	if (strncmp(section, SECTION_PREFIX, sizeof(SECTION_PREFIX) - 1) != 0 ||
	    len < sizeof(SECTION_PREFIX) || section[len - 1] != '"') {
		if (len >= INIH_SECTION - 1 && strncmp(section, SECTION_PREFIX,
		    sizeof(SECTION_PREFIX) - 1) == 0)
			snprintf(why, whylen, "section [%s...]: an agency id in a "
			    "section name has at most %zu characters", section,
			    (size_t)ID_MAX);
		else
			snprintf(why, whylen, "unknown section [%s]; a partner's "
			    "travel rules go in [travel \"AGENCY\"]", section);
		return NULL;
	}
	n = len - sizeof(SECTION_PREFIX);
	if (!agency_id_ok(id, n)) {
		snprintf(why, whylen, "section [%s]: an agency id is 1 to 63 of "
		    "a-z, 0-9 and '-', as `homeward peers` shows it", section);
		return NULL;
	}
	for (size_t i = 0; i < cfg->npartners; i++)
		if (strncmp(cfg->partners[i].agency_id, id, n) == 0 &&
		    cfg->partners[i].agency_id[n] == '\0')
			return &cfg->partners[i];
	p = realloc(cfg->partners, (cfg->npartners + 1) * sizeof(*p));
	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	cfg->partners = p;
	p += cfg->npartners++;
	memset(p, 0, sizeof(*p));
	memcpy(p->agency_id, id, n);
	return p;
}

int
config_travel_entry(struct config *cfg, const char *section, const char *name,
    const char *value, char *why, size_t whylen)
{
	struct config_travel *t = &cfg->travel;

	if (strcmp(section, "travel") != 0 &&
	    (t = partner(cfg, section, why, whylen)) == NULL)
		return -1;
	return travel_key(t, section, name, value, why, whylen);
}

static int
hours_ok(const struct config_travel *t, const char *label, char *why,
    size_t whylen)
{
	if (t->earliest_hour < t->latest_hour)
		return 0;
	snprintf(why, whylen, "[%s] earliest_hour %u is not before latest_hour "
	    "%u: no arrival could be planned; set latest_hour above "
	    "earliest_hour", label, t->earliest_hour, t->latest_hour);
	return -1;
}

int
config_travel_finish(struct config *cfg, char *why, size_t whylen)
{
	const struct config_travel *all = &cfg->travel;
	char label[CONFIG_AGENCY_ID_LEN + 16];

	if (hours_ok(all, "travel", why, whylen) != 0)
		return -1;
	for (size_t i = 0; i < cfg->npartners; i++) {
		struct config_travel *p = &cfg->partners[i];

		if (!(p->set & CONFIG_TRAVEL_EARLIEST))
			p->earliest_hour = all->earliest_hour;
		if (!(p->set & CONFIG_TRAVEL_LATEST))
			p->latest_hour = all->latest_hour;
		if (!(p->set & CONFIG_TRAVEL_WEEKEND))
			p->weekend = all->weekend;
		if (!(p->set & CONFIG_TRAVEL_TRANSITS))
			p->max_transits = all->max_transits;
		if (!(p->set & CONFIG_TRAVEL_NOTICE))
			p->min_notice_ms = all->min_notice_ms;
		if (!(p->set & CONFIG_TRAVEL_HOLIDAYS)) {
			memcpy(p->holidays, all->holidays, sizeof(p->holidays));
			p->nholidays = all->nholidays;
		}
		snprintf(label, sizeof(label), "travel \"%s\"", p->agency_id);
		if (hours_ok(p, label, why, whylen) != 0)
			return -1;
	}
	return 0;
}

const struct config_travel *
config_travel_for(const struct config *cfg, const char *agency_id)
{
	if (agency_id != NULL)
		for (size_t i = 0; i < cfg->npartners; i++)
			if (strcmp(cfg->partners[i].agency_id, agency_id) == 0)
				return &cfg->partners[i];
	return &cfg->travel;
}
