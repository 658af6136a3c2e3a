/*
 * Referral documents (proto/referral.proto) as JSON, for the operator who
 * writes them in files and reads received ones.  protobuf-c has no JSON
 * mapping, so this one is driven by the message descriptors alone and
 * works for any proto3 (or proto2) message, oneofs included.
 *
 * The mapping, both ways:
 *   field names      as in the .proto (snake_case); unknown names refused
 *   null             the field is absent
 *   bool             true / false
 *   32-bit integers  JSON integers, range-checked
 *   int64            JSON integers
 *   uint64           a JSON integer, a decimal string (needed above
 *                    2^63 - 1), or an RFC 3339 time converted to ms since
 *                    the epoch: "2026-12-01T07:30:00Z", "...:00.250Z",
 *                    "...:00+01:00" (digits below the ms are dropped)
 *   float, double    JSON numbers; "NaN", "Infinity", "-Infinity"
 *   enum             the value's full name ("SEX_FEMALE"), or the name
 *                    without the prefix all values of the enum share
 *                    ("female"), either case-insensitively, or the number
 *                    of a value the enum defines
 *   string           JSON string without NUL characters
 *   bytes            hex, either case; "" is empty
 *   message          JSON object
 *   repeated         JSON array (elements may not be null)
 *
 * docjson_from_pb writes times as RFC 3339 UTC strings for uint64 fields
 * whose name says they are one (docjson_is_time_field); every other
 * uint64 as a number.
 */
#ifndef HOMEWARD_COMMON_DOCJSON_H
#define HOMEWARD_COMMON_DOCJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Limits on input, each refused with -E2BIG: messages nested deeper than
 * DOCJSON_DEPTH_MAX (the document itself is depth 1), arrays longer than
 * DOCJSON_ARRAY_MAX, strings and decoded bytes longer than
 * DOCJSON_STRING_MAX. */
#define DOCJSON_DEPTH_MAX       16
#define DOCJSON_ARRAY_MAX       1000
#define DOCJSON_STRING_MAX      65536

/* docjson_from_pb: enums by their full name ("SEX_FEMALE") instead of the
 * short lower-case one ("female"). */
#define DOCJSON_ENUM_FULL       0x01

/* The longest time docjson_format_time writes, NUL included:
 * "9999-12-31T23:59:59.999Z". */
#define DOCJSON_TIME_LEN        25
/* The last ms docjson_format_time can write (9999-12-31T23:59:59.999Z). */
#define DOCJSON_TIME_MAX        UINT64_C(253402300799999)

/*
 * Build a message of type d from the JSON object obj.  On success, 0 and
 * *out, which the caller frees with protobuf_c_message_free_unpacked(*out,
 * NULL) (it is an unpacked message, allocated by protobuf-c's default
 * allocator).  On failure *out is NULL and:
 *   -EINVAL  unknown field, wrong type, unknown enum value, not a time,
 *            integer out of range, two members of one oneof, a proto2
 *            required field missing;
 *   -E2BIG   beyond a limit above;
 *   -ENOMEM
 * and err (if errlen > 0) holds the JSON path and what was expected, e.g.
 * "legs[1].arrival: not a time (use 2026-12-01T07:30:00Z or ms)", or
 * "document: ..." for the object itself.  err never holds a value from
 * obj (it may be personal data); it holds an unknown key, cut short and
 * with anything but printable ASCII replaced by '?'.
 */
int docjson_to_pb(const json_t *obj, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out, char *err, size_t errlen);

/*
 * The JSON object for m: its present fields only (a proto3 field holding
 * its default is absent; a oneof member or proto2 optional field that is
 * set is present), in field-number order, enums as the short lower-case
 * name (DOCJSON_ENUM_FULL: the full name; a number the enum does not
 * define: the number), times as docjson_format_time writes them (as ms
 * beyond year 9999), bytes as lower-case hex, uint64 beyond 2^63 - 1 as
 * decimal strings.  Unknown fields of m are left out.  Other flag bits are
 * ignored.  NULL when out of memory, when a string is not valid UTF-8 (it
 * cannot be JSON) or when m nests deeper than DOCJSON_DEPTH_MAX.
 *
 * docjson_to_pb(docjson_from_pb(m)) is m again, unknown fields and enum
 * numbers the enum does not define aside.
 */
json_t *docjson_from_pb(const ProtobufCMessage *m, int flags);

/*
 * 1 when f is a uint64 field holding a time: its name is "at", "by",
 * "from", "arrival", "departure", "earliest", "latest" or "period_end",
 * or ends in "_at" or "_by" (reply_by, expires_at, ...).  Else 0.
 */
int docjson_is_time_field(const ProtobufCFieldDescriptor *f);

/*
 * An RFC 3339 time, "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" ('t' and
 * 'z' also accepted), as ms since the epoch in *ms; digits of the fraction
 * below the ms are dropped.  0, -EINVAL (not such a time, or a leap
 * second) or -ERANGE (before 1970-01-01T00:00:00Z).
 */
int docjson_parse_time(const char *s, uint64_t *ms);

/*
 * ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" before the Z
 * when ms is not a whole second.  0, -ERANGE (beyond DOCJSON_TIME_MAX) or
 * -ENOSPC (len below what it needs; DOCJSON_TIME_LEN always suffices).
 */
int docjson_format_time(uint64_t ms, char *buf, size_t len);

#endif
