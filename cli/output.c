/*
 * Output helpers for homeward: errors on stderr prefixed "homeward: ",
 * times as ISO 8601 UTC (text) or ms integers (JSON), ids as lower-case
 * hex, durations for humans, and JSON through jansson (never written by
 * hand).  Stable key names matter to scripts: the JSON keys are the field
 * names of control.proto.  The referral procedure's commands show times
 * in the operator's local time zone and write RFC 3339 in JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/docjson.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "common/msgtype.h"

void
cli_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("homeward: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_warn_errno(int errnum, const char *fmt, ...)
{
	va_list ap;

	fputs("homeward: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errnum));
}

void
cli_time(uint64_t ms, char out[CLI_TIME_BUFLEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[24];

	/* A daemon's nonsense must still print. */
	if (ms / 1000 > 253402300799ull || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, CLI_TIME_BUFLEN, "@%llu", (unsigned long long)ms);
		return;
	}
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, CLI_TIME_BUFLEN, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

void
cli_localtime(uint64_t ms, char out[CLI_LOCALTIME_BUFLEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0) {
		snprintf(out, CLI_LOCALTIME_BUFLEN, "-");
		return;
	}
	if (ms / 1000 > 253402300799ull || localtime_r(&t, &tm) == NULL ||
	    strftime(out, CLI_LOCALTIME_BUFLEN, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(out, CLI_LOCALTIME_BUFLEN, "@%llu", (unsigned long long)ms);
}

void
cli_duration(uint64_t ms, char *out, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(out, len, "%llud %lluh", (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, len, "%lluh %llum", (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, len, "%llum %llus", (unsigned long long)(s / 60),
		    (unsigned long long)(s % 60));
	else
		snprintf(out, len, "%llus", (unsigned long long)s);
}

const char *
cli_hex(ProtobufCBinaryData b, char out[CLI_ID_BUFLEN])
{
	if (b.len == 0) {
		snprintf(out, CLI_ID_BUFLEN, "-");
		return out;
	}
	/* At most 32 bytes: ids and hashes; CLI_ID_BUFLEN holds that. */
	hex_encode(b.data, b.len < 32 ? b.len : 32, out);
	return out;
}

const char *
cli_msg_type_name(uint32_t type, char *buf, size_t len)
{
	if (type > 0xffff) {
		snprintf(buf, len, "0x%x", type);
		return buf;
	}
	/* One table of names, shared with homeward-keys. */
	return msgtype_name((uint16_t)type, buf, len);
}

/*
 * The columns a label takes on a terminal, for a translated one: its code
 * points, less the Arabic vowel marks (U+064B..U+065F) that sit on a
 * letter.  printf's %-16s counts bytes.
 */
static size_t
label_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		if (p[0] == 0xd9 && p[1] >= 0x8b && p[1] <= 0x9f)
			continue;
		w++;
	}
	return w;
}

int
cli_colw(int width, const char *s)
{
	return width + (int)(strlen(s) - label_width(s));
}

void
cli_kv(const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t w = label_width(key);

	printf("%s%*s ", key, w < 16 ? (int)(16 - w) : 0, "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

json_t *
cli_json_hex(ProtobufCBinaryData b)
{
	char *s;
	json_t *j;

	if (b.len == 0)
		return json_null();
	if ((s = malloc(2 * b.len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < b.len; i++)
		snprintf(s + 2 * i, 3, "%02x", b.data[i]);
	j = json_string(s);
	free(s);
	return j;
}

json_t *
cli_json_time(uint64_t ms)
{
	if (ms == 0)
		return json_null();
	return json_integer((json_int_t)ms);
}

json_t *
cli_json_rfc3339(uint64_t ms)
{
	char buf[DOCJSON_TIME_LEN];

	if (ms == 0)
		return json_null();
	/* Beyond year 9999 only a broken daemon: keep the number. */
	if (docjson_format_time(ms, buf, sizeof(buf)) != 0)
		return json_integer((json_int_t)(ms > INT64_MAX ? INT64_MAX : ms));
	return json_string(buf);
}

json_t *
cli_json_mask(uint32_t mask, const char *(*name)(uint32_t))
{
	json_t *arr;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (uint32_t b = 0; b < 32; b++) {
		const char *s;

		if ((mask & (1u << b)) == 0)
			continue;
		s = name(b);
		json_array_append_new(arr, strcmp(s, "?") == 0 ?
		    json_integer(b) : json_string(s));
	}
	return arr;
}

json_t *
cli_json_str(const char *s)
{
	return s == NULL || s[0] == '\0' ? json_null() : json_string(s);
}

int
cli_json_print(json_t *obj)
{
	char *s;

	if (obj == NULL) {
		cli_warnx(_("cannot build the JSON output"));
		return CLI_EXIT_FAIL;
	}
	s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL) {
		cli_warnx(_("cannot encode the JSON output"));
		return CLI_EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return CLI_EXIT_OK;
}
