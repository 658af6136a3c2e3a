/*
 * Messages as JSON and back, driven by protobuf-c descriptors alone (see
 * docjson.h for the mapping).
 *
 * docjson_to_pb builds the message in an arena of its own, packs it and
 * returns protobuf-c's unpacking of the bytes: what the caller gets is an
 * ordinary unpacked message, which protobuf_c_message_free_unpacked is
 * written for, rather than a hand-built one that would have to match its
 * rules on defaults and ownership forever.  An error leaves nothing
 * behind: the arena goes in one piece.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/docjson.h"
#include "common/hex.h"
#include "common/strnum.h"

#define PATH_LEN        512
#define KEY_SHOW_MAX    48      /* of an unknown key, in an error */
#define ENUM_NAME_LEN   128     /* short enum names longer than this: the full name */
#define TIME_HINT       "not a time (use 2026-12-01T07:30:00Z or ms)"

/* The state of one docjson_to_pb: every allocation of the build, and the
 * JSON path of the value being converted, for errors. */
struct build {
	void          **blk;
	size_t          nblk;
	size_t          capblk;
	int             depth;
	char            path[PATH_LEN];
	size_t          pathlen;
	char           *err;
	size_t          errlen;
};

/* Enums. */

static int
ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = *a >= 'a' && *a <= 'z' ? *a - 'a' + 'A' : *a;
		int cb = *b >= 'a' && *b <= 'z' ? *b - 'a' + 'A' : *b;

		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

/* The length of the prefix every value name of e starts with, up to and
 * including an '_', leaving every name at least one character. */
static size_t
enum_prefix_len(const ProtobufCEnumDescriptor *e)
{
	const char *first;
	size_t len;

	if (e->n_values == 0)
		return 0;
	first = e->values[0].name;
	len = strlen(first);
	for (unsigned i = 0; i < e->n_values; i++) {
		const char *name = e->values[i].name;
		size_t k, n = strlen(name);

		for (k = 0; k < len && k < n && first[k] == name[k]; k++)
			;
		len = k < n ? k : n - (n > 0);
	}
	while (len > 0 && first[len - 1] != '_')
		len--;
	return len;
}

static const ProtobufCEnumValue *
enum_by_name(const ProtobufCEnumDescriptor *e, const char *s)
{
	size_t pre = enum_prefix_len(e);

	for (unsigned i = 0; i < e->n_values; i++)
		if (ascii_casecmp(e->values[i].name, s) == 0 ||
		    ascii_casecmp(e->values[i].name + pre, s) == 0)
			return &e->values[i];
	return NULL;
}

/* Building. */

static int
fail(struct build *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct build *b, int rc, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	if (b->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(b->err, b->errlen, "%s: %s",
	    b->pathlen > 0 ? b->path : "document", what);
	return rc;
}

/* Append to the path (cut at PATH_LEN); the old length, for path_pop. */
static size_t
path_add(struct build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
path_add(struct build *b, const char *fmt, ...)
{
	size_t old = b->pathlen, room = sizeof(b->path) - old;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->path + old, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	b->pathlen = (size_t)n >= room ? sizeof(b->path) - 1 : old + (size_t)n;
	return old;
}

static size_t
path_field(struct build *b, const char *name)
{
	return path_add(b, "%s%s", b->pathlen > 0 ? "." : "", name);
}

static void
path_pop(struct build *b, size_t old)
{
	b->pathlen = old;
	b->path[old] = '\0';
}

/* A zeroed block owned by the build. */
static void *
arena_alloc(struct build *b, size_t size)
{
	void *p;

	if (b->nblk == b->capblk) {
		size_t cap = b->capblk == 0 ? 32 : b->capblk * 2;
		void **blk = reallocarray(b->blk, cap, sizeof(*blk));

		if (blk == NULL)
			return NULL;
		b->blk = blk;
		b->capblk = cap;
	}
	if ((p = calloc(1, size > 0 ? size : 1)) == NULL)
		return NULL;
	b->blk[b->nblk++] = p;
	return p;
}

static void
arena_free(struct build *b)
{
	for (size_t i = 0; i < b->nblk; i++)
		free(b->blk[i]);
	free(b->blk);
	b->blk = NULL;
	b->nblk = b->capblk = 0;
}

static size_t
type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int32_t);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return sizeof(uint32_t);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* A JSON string holding no NUL (protobuf-c strings end at the first). */
static const char *
json_cstr(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

static int
int_to_pb(struct build *b, const json_t *v, json_int_t min, json_int_t max,
    json_int_t *out)
{
	if (!json_is_integer(v))
		return fail(b, -EINVAL, "not an integer");
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return fail(b, -EINVAL, "out of range (%lld to %lld)",
		    (long long)min, (long long)max);
	return 0;
}

/* A JSON integer, a decimal string or a time. */
static int
u64_to_pb(struct build *b, const ProtobufCFieldDescriptor *f, const json_t *v,
    uint64_t *out)
{
	const char *hint = docjson_is_time_field(f) ? TIME_HINT :
	    "not an unsigned integer (or a time such as 2026-12-01T07:30:00Z)";
	const char *s;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return fail(b, -EINVAL, "%s", hint);
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if ((s = json_cstr(v)) == NULL)
		return fail(b, -EINVAL, "%s", hint);
	if (strnum_u64(s, 0, UINT64_MAX, out) == 0 ||
	    docjson_parse_time(s, out) == 0)
		return 0;
	return fail(b, -EINVAL, "%s", hint);
}

static int
real_to_pb(struct build *b, const json_t *v, double max, double *out)
{
	const char *s;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		if (*out > max || *out < -max)
			return fail(b, -EINVAL, "out of range");
		return 0;
	}
	if ((s = json_cstr(v)) == NULL)
		return fail(b, -EINVAL, "not a number");
	if (strcmp(s, "NaN") == 0)
		*out = NAN;
	else if (strcmp(s, "Infinity") == 0)
		*out = INFINITY;
	else if (strcmp(s, "-Infinity") == 0)
		*out = -INFINITY;
	else
		return fail(b, -EINVAL, "not a number");
	return 0;
}

static int
enum_to_pb(struct build *b, const ProtobufCEnumDescriptor *e, const json_t *v,
    int32_t *out)
{
	const ProtobufCEnumValue *ev = NULL;
	char names[200];
	size_t pre, used = 0;
	const char *s;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n >= INT32_MIN && n <= INT32_MAX)
			ev = protobuf_c_enum_descriptor_get_value(e, (int)n);
	} else if ((s = json_cstr(v)) != NULL)
		ev = enum_by_name(e, s);
	if (ev != NULL) {
		*out = ev->value;
		return 0;
	}
	/* Say what would do: the short names, as far as they fit. */
	pre = enum_prefix_len(e);
	names[0] = '\0';
	for (unsigned i = 0; i < e->n_values && used < sizeof(names); i++) {
		int n = snprintf(names + used, sizeof(names) - used, "%s%s",
		    i > 0 ? ", " : "", e->values[i].name + pre);

		used += n > 0 ? (size_t)n : 0;
	}
	for (char *p = names; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return fail(b, -EINVAL, "not a valid %s (one of %s)", e->short_name,
	    names);
}

/* A JSON string holding no NUL, copied into the arena. */
static int
string_to_pb(struct build *b, const json_t *v, char **out)
{
	const char *s;
	size_t len;

	if ((s = json_cstr(v)) == NULL)
		return fail(b, -EINVAL, json_is_string(v) ?
		    "holds a NUL character" : "not a string");
	if ((len = strlen(s)) > DOCJSON_STRING_MAX)
		return fail(b, -E2BIG, "longer than %d bytes", DOCJSON_STRING_MAX);
	if ((*out = arena_alloc(b, len + 1)) == NULL)
		return fail(b, -ENOMEM, "out of memory");
	memcpy(*out, s, len + 1);
	return 0;
}

/* A hex string, decoded into the arena. */
static int
bytes_to_pb(struct build *b, const json_t *v, ProtobufCBinaryData *bd)
{
	const char *s;
	size_t len;

	if ((s = json_cstr(v)) == NULL)
		return fail(b, -EINVAL, "not a hex string");
	if ((len = strlen(s)) / 2 > DOCJSON_STRING_MAX)
		return fail(b, -E2BIG, "longer than %d bytes", DOCJSON_STRING_MAX);
	if (strspn(s, "0123456789abcdefABCDEF") != len)
		return fail(b, -EINVAL, "not a hex string");
	if (len % 2 != 0)
		return fail(b, -EINVAL, "not a hex string (odd length)");
	if (len == 0)
		return 0;
	if ((bd->data = arena_alloc(b, len / 2)) == NULL)
		return fail(b, -ENOMEM, "out of memory");
	if (hex_decode(s, bd->data, len / 2) != 0)
		return fail(b, -EINVAL, "not a hex string");
	bd->len = len / 2;
	return 0;
}

static int build_message(struct build *, const ProtobufCMessageDescriptor *,
    const json_t *, ProtobufCMessage **);

/* One value of field f (an element, for a repeated field) into dst. */
static int
value_to_pb(struct build *b, const ProtobufCFieldDescriptor *f,
    const json_t *v, void *dst)
{
	json_int_t n;
	double r;
	int rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if ((rc = int_to_pb(b, v, INT32_MIN, INT32_MAX, &n)) == 0)
			*(int32_t *)dst = (int32_t)n;
		return rc;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if ((rc = int_to_pb(b, v, 0, UINT32_MAX, &n)) == 0)
			*(uint32_t *)dst = (uint32_t)n;
		return rc;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if ((rc = int_to_pb(b, v, INT64_MIN, INT64_MAX, &n)) == 0)
			*(int64_t *)dst = (int64_t)n;
		return rc;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return u64_to_pb(b, f, v, dst);
	case PROTOBUF_C_TYPE_FLOAT:
		if ((rc = real_to_pb(b, v, FLT_MAX, &r)) == 0)
			*(float *)dst = (float)r;
		return rc;
	case PROTOBUF_C_TYPE_DOUBLE:
		return real_to_pb(b, v, DBL_MAX, dst);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return fail(b, -EINVAL, "not true or false");
		*(protobuf_c_boolean *)dst = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return enum_to_pb(b, f->descriptor, v, dst);
	case PROTOBUF_C_TYPE_STRING:
		return string_to_pb(b, v, dst);
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_to_pb(b, v, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return build_message(b, f->descriptor, v, dst);
	}
	return fail(b, -EINVAL, "has a type docjson does not know");
}

static int
field_to_pb(struct build *b, ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, const json_t *v)
{
	char *base = (char *)m;
	size_t n, size;
	uint8_t *arr;
	int rc;

	if (json_is_null(v))
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (!json_is_array(v))
			return fail(b, -EINVAL, "not an array");
		if ((n = json_array_size(v)) > DOCJSON_ARRAY_MAX)
			return fail(b, -E2BIG, "more than %d elements",
			    DOCJSON_ARRAY_MAX);
		if (n == 0)
			return 0;
		size = type_size(f->type);
		if ((arr = arena_alloc(b, n * size)) == NULL)
			return fail(b, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			size_t old = path_add(b, "[%zu]", i);

			rc = value_to_pb(b, f, json_array_get(v, i), arr + i * size);
			path_pop(b, old);
			if (rc != 0)
				return rc;
		}
		*(size_t *)(void *)(base + f->quantifier_offset) = n;
		*(void **)(void *)(base + f->offset) = arr;
		return 0;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = (uint32_t *)(void *)(base + f->quantifier_offset);

		if (*which != 0)
			return fail(b, -EINVAL, "another member of its oneof is set");
		if ((rc = value_to_pb(b, f, v, base + f->offset)) == 0)
			*which = f->id;
		return rc;
	}
	if ((rc = value_to_pb(b, f, v, base + f->offset)) != 0)
		return rc;
	/* proto2 optional scalars say they are set in has_<name>. */
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(void *)(base + f->quantifier_offset) = 1;
	return 0;
}

/* An unknown key in a path: printable ASCII only, cut short. */
static size_t
path_unknown(struct build *b, const char *key, size_t klen)
{
	char show[KEY_SHOW_MAX + 4];
	size_t i;

	for (i = 0; i < klen && i < KEY_SHOW_MAX; i++)
		show[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	if (klen > KEY_SHOW_MAX) {
		memcpy(show + i, "...", 3);
		i += 3;
	}
	show[i] = '\0';
	return path_field(b, show);
}

static int
build_message(struct build *b, const ProtobufCMessageDescriptor *d,
    const json_t *obj, ProtobufCMessage **out)
{
	ProtobufCMessage *m;
	size_t old;
	void *it;
	int rc = 0;

	if (!json_is_object(obj))
		return fail(b, -EINVAL, "not an object");
	if (b->depth >= DOCJSON_DEPTH_MAX)
		return fail(b, -E2BIG, "nested deeper than %d messages",
		    DOCJSON_DEPTH_MAX);
	if ((m = arena_alloc(b, d->sizeof_message)) == NULL)
		return fail(b, -ENOMEM, "out of memory");
	protobuf_c_message_init(d, m);
	b->depth++;
	/* jansson's iterators take a non-const object; they do not change it. */
	for (it = json_object_iter((json_t *)obj); it != NULL;
	    it = json_object_iter_next((json_t *)obj, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		const ProtobufCFieldDescriptor *f = NULL;

		if (klen == strlen(key))
			f = protobuf_c_message_descriptor_get_field_by_name(d, key);
		if (f == NULL) {
			old = path_unknown(b, key, klen);
			rc = fail(b, -EINVAL, "unknown field");
			path_pop(b, old);
			goto out;
		}
		old = path_field(b, f->name);
		rc = field_to_pb(b, m, f, json_object_iter_value(it));
		path_pop(b, old);
		if (rc != 0)
			goto out;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const json_t *v = json_object_get(obj, f->name);

		if (f->label == PROTOBUF_C_LABEL_REQUIRED &&
		    (v == NULL || json_is_null(v))) {
			old = path_field(b, f->name);
			rc = fail(b, -EINVAL, "missing (required)");
			path_pop(b, old);
			goto out;
		}
	}
	*out = m;
 out:
	b->depth--;
	return rc;
}

int
docjson_to_pb(const json_t *obj, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out, char *err, size_t errlen)
{
	struct build b;
	ProtobufCMessage *m = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	memset(&b, 0, sizeof(b));
	b.err = err;
	b.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	*out = NULL;
	if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return fail(&b, -EINVAL, "no message descriptor");
	if ((rc = build_message(&b, d, obj, &m)) != 0)
		goto out;
	len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		rc = fail(&b, -ENOMEM, "out of memory");
		goto out;
	}
	protobuf_c_message_pack(m, buf);
	/* Bytes we just packed only fail to unpack for want of memory. */
	if ((*out = protobuf_c_message_unpack(d, NULL, len, buf)) == NULL)
		rc = fail(&b, -ENOMEM, "out of memory");
 out:
	free(buf);
	arena_free(&b);
	return rc;
}

/* From messages. */

static int
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *q = base + f->quantifier_offset;
	const void *p = base + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)q > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)q == f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const void *ptr = *(const void *const *)p;

		if (ptr == NULL)
			return 0;
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
			return ptr != f->default_value;
		if (f->label == PROTOBUF_C_LABEL_NONE &&
		    f->type == PROTOBUF_C_TYPE_STRING)
			return *(const char *)ptr != '\0';
		return 1;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return *(const protobuf_c_boolean *)q;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	/* proto3: present when not the default. */
	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p != 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p != 0;
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	default:
		break;
	}
	for (size_t i = 0; i < type_size(f->type); i++)
		if (((const uint8_t *)p)[i] != 0)
			return 1;
	return 0;
}

static json_t *
u64_to_json(const ProtobufCFieldDescriptor *f, uint64_t v)
{
	char buf[DOCJSON_TIME_LEN];

	if (docjson_is_time_field(f) && docjson_format_time(v, buf, sizeof(buf)) == 0)
		return json_string(buf);
	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	/* Beyond a JSON integer of jansson's. */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *
real_to_json(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

static json_t *
enum_to_json(const ProtobufCEnumDescriptor *e, int32_t v, int flags)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(e, v);
	char name[ENUM_NAME_LEN];
	const char *s;
	size_t len;

	if (ev == NULL)
		return json_integer(v);
	s = ev->name + enum_prefix_len(e);
	if ((flags & DOCJSON_ENUM_FULL) || (len = strlen(s)) >= sizeof(name))
		return json_string(ev->name);
	for (size_t i = 0; i <= len; i++)
		name[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	return json_string(name);
}

static json_t *
hex_to_json(const ProtobufCBinaryData *bd)
{
	static const char xd[] = "0123456789abcdef";
	json_t *v;
	char *hex;

	if ((hex = malloc(bd->len * 2 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < bd->len; i++) {
		hex[2 * i] = xd[bd->data[i] >> 4];
		hex[2 * i + 1] = xd[bd->data[i] & 0xf];
	}
	v = json_stringn(hex, bd->len * 2);
	free(hex);
	return v;
}

static json_t *message_to_json(const ProtobufCMessage *, int, int);

static json_t *
value_to_json(const ProtobufCFieldDescriptor *f, const void *p, int flags,
    int depth)
{
	const ProtobufCMessage *sub;
	const char *s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return u64_to_json(f, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return real_to_json(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return real_to_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_to_json(f->descriptor, *(const int32_t *)p, flags);
	case PROTOBUF_C_TYPE_STRING:
		s = *(const char *const *)p;
		return json_string(s != NULL ? s : "");
	case PROTOBUF_C_TYPE_BYTES:
		return hex_to_json(p);
	case PROTOBUF_C_TYPE_MESSAGE:
		sub = *(const ProtobufCMessage *const *)p;
		return sub != NULL ? message_to_json(sub, flags, depth + 1) :
		    json_object();
	}
	return NULL;
}

static json_t *
message_to_json(const ProtobufCMessage *m, int flags, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	json_t *obj, *v;

	if (depth > DOCJSON_DEPTH_MAX || (obj = json_object()) == NULL)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!field_present(m, f))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(const void *)(base +
			    f->quantifier_offset);
			const uint8_t *arr = *(const uint8_t *const *)(const void *)
			    (base + f->offset);

			if ((v = json_array()) == NULL)
				goto fail;
			for (size_t j = 0; j < n; j++)
				if (json_array_append_new(v, value_to_json(f,
				    arr + j * type_size(f->type), flags, depth)) != 0) {
					json_decref(v);
					goto fail;
				}
		} else
			v = value_to_json(f, base + f->offset, flags, depth);
		/* json_object_set_new takes v, NULL included. */
		if (json_object_set_new(obj, f->name, v) != 0)
			goto fail;
	}
	return obj;
 fail:
	json_decref(obj);
	return NULL;
}

json_t *
docjson_from_pb(const ProtobufCMessage *m, int flags)
{
	if (m == NULL || m->descriptor == NULL ||
	    m->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return NULL;
	return message_to_json(m, flags, 1);
}
