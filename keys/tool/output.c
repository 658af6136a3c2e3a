/*
 * Messages and formatting for homeward-keys: errors on stderr prefixed
 * "homeward-keys: " (err/errx style, but returning so that secret memory is
 * freed on the way out), times as RFC 3339 UTC with milliseconds, spk ids,
 * the names of usages and revocations (hex and the names of message types
 * are in common/, shared with homeward), and JSON through jansson (never
 * hand-written).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/hex.h"
#include "common/i18n.h"
#include "keys/stmt.h"
#include "common/report.h"
#include "keys/tool/tool.h"

static int quiet;
static uint64_t fixed_now;

void
tool_set_quiet(int q)
{
	quiet = q;
}

void
tool_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("homeward-keys: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
tool_warn_errno(int errnum, const char *fmt, ...)
{
	va_list ap;

	fputs("homeward-keys: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errnum));
}

/* Progress for the operator on stderr, so stdout stays parseable. */
void
tool_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What shared code (keys/agencydir.c and the like) reports goes where the
 * tool's own messages go (common/report.h). */
void
tool_report_sink(enum report_level level, const char *msg)
{
	if (level == REPORT_PROBLEM)
		tool_warnx("%s", msg);
	else
		tool_info("%s", msg);
}

uint64_t
tool_now(void)
{
	struct timespec ts;

	if (fixed_now != 0)
		return fixed_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
tool_set_now(uint64_t ms)
{
	fixed_now = ms;
}

void
tool_time(uint64_t ms, char out[TOOL_TIME_BUFLEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[24];

	/* Far-future values (a forged certificate) must still print. */
	if (ms / 1000 > 253402300799ull || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, TOOL_TIME_BUFLEN, "@%llu", (unsigned long long)ms);
		return;
	}
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, TOOL_TIME_BUFLEN, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

int
tool_parse_spk_id(const char *s, uint64_t *out)
{
	uint8_t b[8];

	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	if (hex_decode(s, b, sizeof(b)) != 0)
		return -1;
	*out = 0;
	for (size_t i = 0; i < sizeof(b); i++)
		*out = *out << 8 | b[i];
	return 0;
}

const char *
tool_usage_name(uint16_t usage, char *buf, size_t len)
{
	static const struct {
		uint16_t        bit;
		const char     *name;
	} bits[] = {
		{ STMT_USAGE_MSG, "MSG" },
		{ STMT_USAGE_PREKEY, "PREKEY" },
		{ STMT_USAGE_RELAY_HOP, "RELAY_HOP" },
	};
	uint16_t rest = usage;
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if ((usage & bits[i].bit) == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off > 0 ? "|" : "", bits[i].name);
		rest &= (uint16_t)~bits[i].bit;
		if (off >= len)
			return buf;
	}
	if (rest != 0 || usage == 0)
		snprintf(buf + off, len - off, "%s0x%04x", off > 0 ? "|" : "", rest);
	return buf;
}

const char *
tool_revoke_kind_name(uint8_t kind)
{
	switch (kind) {
	case STMT_REVOKE_DSK:
		return "dsk";
	case STMT_REVOKE_RIK:
		return "rik";
	case STMT_REVOKE_SPK:
		return "spk";
	}
	return "unknown";
}

const char *
tool_revoke_reason_name(uint8_t reason)
{
	switch (reason) {
	case STMT_REASON_UNSPECIFIED:
		return "unspecified";
	case STMT_REASON_COMPROMISED:
		return "compromised";
	case STMT_REASON_SUPERSEDED:
		return "superseded";
	case STMT_REASON_RETIRED:
		return "retired";
	}
	return "unknown";
}

json_t *
tool_json_hex(const uint8_t *p, size_t n)
{
	char *s;
	json_t *j;

	if ((s = malloc(2 * n + 1)) == NULL)
		return NULL;
	hex_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

json_t *
tool_json_time(uint64_t ms)
{
	char t[TOOL_TIME_BUFLEN];

	tool_time(ms, t);
	return json_string(t);
}

int
tool_json_print(json_t *obj)
{
	char *s;

	if (obj == NULL) {
		tool_warnx(_("cannot build the JSON output"));
		return TOOL_EXIT_FAIL;
	}
	s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL) {
		tool_warnx(_("cannot encode the JSON output"));
		return TOOL_EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return TOOL_EXIT_OK;
}
