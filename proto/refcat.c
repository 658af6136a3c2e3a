/*
 * Data categories of the referral documents (see refcat.h): the lookup in
 * the generated table, the walk that derives what a message carries, and
 * the body check env1_open runs on every document.
 *
 * The walk uses only the protobuf-c runtime descriptors (offsets, labels,
 * types), so a field added to referral.proto is classified as soon as it
 * has its option, without code here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/msgtype.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"
#include "proto/refcat_table.h"

/* referral.proto nests three deep (AssistanceRequest.header.consent). */
#define DEPTH_MAX       16

#define CAT(x)  HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_##x

static const char *const names[] = {
	[CAT(CASE)] = "case",
	[CAT(IDENTITY)] = "identity",
	[CAT(PROFILE)] = "profile",
	[CAT(HEALTH)] = "health",
	[CAT(SECURITY)] = "security",
	[CAT(TRAVEL)] = "travel",
	[CAT(REINTEGRATION)] = "reintegration",
};
#define NNAMES  ((int)(sizeof(names) / sizeof(names[0])))

struct walk {
	uint32_t        mask;
	int             unknown;        /* unknown fields somewhere */
	int             unclassified;   /* a present field without a category,
					 * or nesting too deep */
	int		bad_utf8;	/* a string that is not UTF-8 */
};

#define DOC(name)       (&homeward__referral__##name##__descriptor)

const ProtobufCMessageDescriptor *
refcat_descriptor(uint16_t msg_type)
{
	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		return DOC(assistance_request);
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		return DOC(assistance_confirmation);
	case ENV1_MSG_REINTEGRATION_REQUEST:
		return DOC(reintegration_request);
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		return DOC(reintegration_confirmation);
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		return DOC(departure_notification);
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		return DOC(arrival_confirmation);
	case ENV1_MSG_FOLLOW_UP_REPORT:
		return DOC(follow_up_report);
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		return DOC(consent_withdrawal);
	case ENV1_MSG_ERASURE_CONFIRMATION:
		return DOC(erasure_confirmation);
	default:
		return NULL;
	}
}

static int
entry_cmp(const void *key, const void *elt)
{
	const struct refcat_entry *a = key, *b = elt;
	int c = strcmp(a->message, b->message);

	if (c != 0)
		return c;
	return a->field < b->field ? -1 : a->field > b->field;
}

int
refcat_field(const ProtobufCMessageDescriptor *d, uint32_t field_number)
{
	struct refcat_entry key;
	const struct refcat_entry *e;

	if (d == NULL || d->name == NULL)
		return 0;
	key.message = d->name;
	key.field = field_number;
	e = bsearch(&key, refcat_table, refcat_table_len,
	    sizeof(refcat_table[0]), entry_cmp);
	return e != NULL ? (int)e->category : 0;
}

/* A pointer member (string or message) that protobuf-c would not encode. */
static int
null_or_default(const ProtobufCFieldDescriptor *f, const void *member)
{
	const void *p = *(const void *const *)member;

	return p == NULL || p == f->default_value;
}

/* A proto3 field without a has_ flag is absent when it holds its type's
 * zero (protobuf-c's field_is_zeroish). */
static int
zeroish(const ProtobufCFieldDescriptor *f, const void *member)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)member == 0;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return *(const uint32_t *)member == 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)member == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)member == 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)member == 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)member;

		return s == NULL || *s == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)member)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)member == NULL;
	}
	return 0;       /* a type we do not know: count it */
}

/* Whether protobuf-c would encode f of the message at base (the rules of
 * protobuf_c_message_get_packed_size). */
static int
present(const ProtobufCFieldDescriptor *f, const char *base)
{
	const void *member = base + f->offset;
	const void *quantifier = base + f->quantifier_offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)quantifier > 0;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	/* A oneof member that is not the one set holds another member's
	 * value at the same offset. */
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)quantifier != f->id)
			return 0;
		if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
		    f->type == PROTOBUF_C_TYPE_STRING)
			return !null_or_default(f, member);
		return 1;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
		    f->type == PROTOBUF_C_TYPE_STRING)
			return !null_or_default(f, member);
		return *(const protobuf_c_boolean *)quantifier != 0;
	}
	return !zeroish(f, member);
}

/* Proto3 strings are UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF); protobuf-c does not check, and a document we
 * could store but never show must not be accepted. */
static int
utf8_valid(const unsigned char *p)
{
	while (*p != '\0') {
		unsigned c = *p, n, cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (unsigned k = 1; k <= n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += n + 1;
	}
	return 1;
}

static void
check_strings(const ProtobufCFieldDescriptor *f, const char *member,
    const char *base, struct walk *w)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + f->quantifier_offset);
		char *const *v = *(char *const *const *)member;

		for (size_t j = 0; j < n; j++)
			if (v[j] != NULL && !utf8_valid((const unsigned char *)v[j]))
				w->bad_utf8 = 1;
		return;
	}
	if (*(char *const *)member != NULL &&
	    !utf8_valid(*(const unsigned char *const *)member))
		w->bad_utf8 = 1;
}

static void
walk(const ProtobufCMessage *m, int depth, struct walk *w)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	if (depth > DEPTH_MAX) {
		w->unclassified = 1;
		return;
	}
	if (m->n_unknown_fields > 0)
		w->unknown = 1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *member;
		int cat;

		if (!present(f, base))
			continue;
		if ((cat = refcat_field(d, f->id)) > 0)
			w->mask |= REFCAT_BIT(cat);
		else
			w->unclassified = 1;
		member = base + f->offset;
		if (f->type == PROTOBUF_C_TYPE_STRING)
			check_strings(f, member, base, w);
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
			    *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
			    *(ProtobufCMessage *const *const *)member;

			for (size_t j = 0; j < n; j++)
				if (v[j] != NULL)
					walk(v[j], depth + 1, w);
			continue;
		}
		walk(*(ProtobufCMessage *const *)member, depth + 1, w);
	}
}

uint32_t
refcat_of(const ProtobufCMessage *msg)
{
	struct walk w = { 0 };

	if (msg == NULL)
		return 0;
	walk(msg, 0, &w);
	if (w.unknown || w.unclassified)
		w.mask |= REFCAT_PERSONAL;
	return w.mask;
}

/* 0 when body is byte for byte the encoding of m, -EINVAL when not,
 * -ENOMEM. */
static int
canonical(const ProtobufCMessage *m, const uint8_t *body, size_t len)
{
	uint8_t *again;
	int rc;

	if (protobuf_c_message_get_packed_size(m) != len)
		return -EINVAL;
	if (len == 0)
		return 0;
	if ((again = malloc(len)) == NULL)
		return -ENOMEM;
	rc = protobuf_c_message_pack(m, again) == len &&
	    memcmp(again, body, len) == 0 ? 0 : -EINVAL;
	sodium_memzero(again, len);     /* it is the document, in clear */
	free(again);
	return rc;
}

int
refcat_of_body(uint16_t msg_type, const uint8_t *body, size_t len,
    uint32_t *mask)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m = NULL;
	struct walk w = { 0 };
	int rc;

	if ((d = refcat_descriptor(msg_type)) == NULL ||
	    (body == NULL && len > 0)) {
		rc = -EINVAL;
		goto out;
	}
	if ((m = protobuf_c_message_unpack(d, &pbwipe_allocator, len,
	    body)) == NULL) {
		rc = -EINVAL;
		goto out;
	}
	walk(m, 0, &w);
	if (w.unknown || w.bad_utf8) {
		rc = -EINVAL;
		goto out;
	}
	if ((rc = canonical(m, body, len)) != 0)
		goto out;
	if (w.unclassified)
		w.mask |= REFCAT_PERSONAL;
	*mask = w.mask;
out:
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, &pbwipe_allocator);
	return rc;
}

const char *
refcat_name(int category)
{
	if (category <= 0 || category >= NNAMES)
		return NULL;
	return names[category];
}

int
refcat_parse(const char *name)
{
	if (name == NULL)
		return 0;
	for (int c = 1; c < NNAMES; c++)
		if (strcmp(name, names[c]) == 0)
			return c;
	return 0;
}

int
refcat_mask_format(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;
	int rc = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (int c = 0; c < 32; c++) {
		const char *name;
		size_t n;

		if ((mask & REFCAT_BIT(c)) == 0)
			continue;
		if ((name = refcat_name(c)) == NULL) {
			rc = -EINVAL;
			goto out;
		}
		n = strlen(name) + (used > 0);
		if (n >= len - used) {
			rc = -ENOSPC;
			goto out;
		}
		if (used > 0)
			buf[used++] = ',';
		memcpy(buf + used, name, strlen(name) + 1);
		used += strlen(name);
	}
out:
	if (rc != 0)
		buf[0] = '\0';
	return rc;
}

int
refcat_check_body(void *arg, uint16_t msg_type, const uint8_t *body,
    size_t len)
{
	uint32_t mask;

	(void)arg;
	if (msg_type == ENV1_MSG_DELIVERY_RECEIPT ||
	    msg_type == ENV1_MSG_TEST_DOCUMENT)
		return 0;
	return refcat_of_body(msg_type, body, len, &mask) == 0 ? 0 : -1;
}
