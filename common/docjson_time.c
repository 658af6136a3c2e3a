/*
 * Times for docjson (docjson.h): RFC 3339 in UTC and ms since the epoch,
 * by calendar arithmetic alone (no time zone database, no time_t, nothing
 * that depends on TZ or the C library's range of years), and the rule
 * that says which uint64 fields hold a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/docjson.h"

#define MS_PER_DAY      INT64_C(86400000)

static int
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H.
 * Hinnant's days_from_civil): no time zone, no time_t, no libc. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Its inverse, for days >= 0. */
static void
civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

/* Exactly n decimal digits at *p. */
static int
digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (unsigned)(**p - '0');
	}
	return 0;
}

/* The character c (either case when it is a letter) at *p. */
static int
lit(const char **p, char c)
{
	char got = **p;

	if (got >= 'a' && got <= 'z')
		got = (char)(got - 'a' + 'A');
	if (got != c)
		return -1;
	(*p)++;
	return 0;
}

int
docjson_parse_time(const char *s, uint64_t *ms)
{
	unsigned y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0;
	const char *p = s;
	int64_t t, off = 0;

	if (s == NULL)
		return -EINVAL;
	if (digits(&p, 4, &y) || lit(&p, '-') || digits(&p, 2, &mo) ||
	    lit(&p, '-') || digits(&p, 2, &d) || lit(&p, 'T') ||
	    digits(&p, 2, &h) || lit(&p, ':') || digits(&p, 2, &mi) ||
	    lit(&p, ':') || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		unsigned scale = 100, n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			frac += (unsigned)(*p - '0') * scale;
			scale /= 10;
		}
		if (n == 0)
			return -EINVAL;
	}
	if (lit(&p, 'Z') != 0) {
		int sign = *p == '+' ? -1 : *p == '-' ? 1 : 0;

		if (sign == 0)
			return -EINVAL;
		p++;
		if (digits(&p, 2, &oh) || lit(&p, ':') || digits(&p, 2, &om))
			return -EINVAL;
		/* Local time is UTC plus the offset: take it back off. */
		off = sign * ((int64_t)oh * 60 + om) * 60000;
	}
	/* A leap second has no ms since the epoch. */
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac + off;
	if (t < 0)
		return -ERANGE;
	*ms = (uint64_t)t;
	return 0;
}

int
docjson_format_time(uint64_t ms, char *buf, size_t len)
{
	char tmp[DOCJSON_TIME_LEN];
	unsigned y, mo, d, rem_s, frac;
	int n;

	if (ms > DOCJSON_TIME_MAX)
		return -ERANGE;
	civil_from_days((int64_t)(ms / (uint64_t)MS_PER_DAY), &y, &mo, &d);
	rem_s = (unsigned)(ms % (uint64_t)MS_PER_DAY / 1000);
	frac = (unsigned)(ms % 1000);
	if (frac != 0)
		n = snprintf(tmp, sizeof(tmp), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		    y, mo, d, rem_s / 3600, rem_s / 60 % 60, rem_s % 60, frac);
	else
		n = snprintf(tmp, sizeof(tmp), "%04u-%02u-%02uT%02u:%02u:%02uZ",
		    y, mo, d, rem_s / 3600, rem_s / 60 % 60, rem_s % 60);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

int
docjson_is_time_field(const ProtobufCFieldDescriptor *f)
{
	static const char *const names[] = {
		"at", "by", "from", "arrival", "departure", "earliest", "latest",
		"period_end",
	};
	size_t len;

	if (f->type != PROTOBUF_C_TYPE_UINT64)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(f->name, names[i]) == 0)
			return 1;
	len = strlen(f->name);
	return len > 3 && (strcmp(f->name + len - 3, "_at") == 0 ||
	    strcmp(f->name + len - 3, "_by") == 0);
}
