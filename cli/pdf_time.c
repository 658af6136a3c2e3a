/*
 * Times in a printed document (pdf.h): in the reader's zone, which the
 * document names, since a paper copy travels with her across borders.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "common/i18n.h"

static char zone_name[128] = "UTC";
/* In right-to-left text a time is isolated left to right (U+2066 ...
 * U+2069), or the bidi algorithm reorders "2026-12-06 09:30" around it. */
static int isolate;

void
pdf_time_isolate(int on)
{
	isolate = on;
}

/* The system's zone from /etc/localtime -> .../zoneinfo/Area/City. */
static void
system_zone(void)
{
	char link[PATH_MAX], *z;
	ssize_t n;

	if ((n = readlink("/etc/localtime", link, sizeof(link) - 1)) <= 0)
		return;
	link[n] = '\0';
	if ((z = strstr(link, "zoneinfo/")) != NULL)
		snprintf(zone_name, sizeof(zone_name), "%s", z + 9);
}

int
pdf_time_zone(const char *zone)
{
	char path[PATH_MAX];
	const char *tz = zone != NULL ? zone : getenv("TZ");

	if (tz == NULL || *tz == '\0') {
		system_zone();
		tzset();
		return 0;
	}
	if (*tz == ':')
		tz++;
	/* An unknown zone would silently be UTC: refuse it instead. */
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (strcmp(tz, "UTC") != 0 && (strstr(tz, "..") != NULL ||
	    access(path, R_OK) != 0)) {
		cli_warnx(_("'%s' is not a time zone this computer knows: give one "
		    "such as Africa/Abidjan or Europe/Paris (--tz)"), tz);
		return -1;
	}
	snprintf(zone_name, sizeof(zone_name), "%s", tz);
	if (setenv("TZ", tz, 1) != 0)
		return -1;
	tzset();
	return 0;
}

const char *
pdf_time_zone_name(void)
{
	return zone_name;
}

void
pdf_time(uint64_t ms, char out[PDF_TIME_LEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(out, PDF_TIME_LEN, isolate ? "\xe2\x81\xa6%Y-%m-%d %H:%M "
	    "%Z\xe2\x81\xa9" : "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(out, PDF_TIME_LEN, "-");
}
