/*
 * Data categories of the referral documents (proto/referral.proto).
 *
 * Every field of referral.proto declares a category with the
 * `(homeward.referral.category)` option; the build reads them into a table
 * (proto/gen/refcat_gen.c) and fails on a field without one.  From a
 * document this module derives the set of categories it actually carries,
 * which a consent must cover before the document is released
 * (docs/PROTOCOL.md section 21).
 *
 * A field counts when it is present, which is exactly when protobuf-c
 * would encode it: a proto3 scalar or enum other than 0 (false, 0.0), a
 * non-empty string or bytes, a repeated field with at least one element, a
 * non-NULL message (even an empty one), a oneof member that is the one set,
 * a proto2 optional whose has_ flag is set.  A present field adds its own
 * category; a present message field adds its own and, recursively, those
 * of the fields present inside it (every element of a repeated one).
 *
 * Categories are bits of a uint32_t mask: REFCAT_BIT(c).
 */
#ifndef HOMEWARD_PROTO_REFCAT_H
#define HOMEWARD_PROTO_REFCAT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/referral.pb-c.h"

/* The bit of category c, a Homeward__Referral__DataCategory value. */
#define REFCAT_BIT(c)   (1u << (c))

/* Every category that describes the person: all but CASE (procedure
 * data) and UNSPECIFIED (never on a field). */
#define REFCAT_PERSONAL \
	(REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY) | \
	 REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_PROFILE) | \
	 REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_HEALTH) | \
	 REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_SECURITY) | \
	 REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_TRAVEL) | \
	 REFCAT_BIT(HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_REINTEGRATION))

/* The document a msg_type carries (0x0001..0x0007, 0x0101, 0x0102; the
 * table in referral.proto's header), or NULL for any other type,
 * receipts (0x0100) and test documents (0x7f00) included. */
const ProtobufCMessageDescriptor *refcat_descriptor(uint16_t msg_type);

/* The category of field field_number of message d, or 0 when d is not a
 * message of referral.proto or has no such field. */
int refcat_field(const ProtobufCMessageDescriptor *d, uint32_t field_number);

/*
 * The categories msg carries (see the top of this file); 0 for NULL.  It
 * fails closed: a present field without a category, unknown fields, or
 * nesting deeper than any referral message add REFCAT_PERSONAL, since what
 * cannot be classified may be anything.
 */
uint32_t refcat_of(const ProtobufCMessage *msg);

/*
 * Decode body as the document of msg_type and set *mask to the categories
 * it carries.  0, or -EINVAL (and *mask untouched) when msg_type is not a
 * document, the body does not decode, carries unknown fields at any depth
 * (the gate cannot classify what it does not know), or is not the encoding
 * protobuf-c gives the message it decodes to (a string with a NUL inside,
 * which protobuf-c cuts short, would carry text the walk never sees), or
 * -ENOMEM.
 */
int refcat_of_body(uint16_t msg_type, const uint8_t *body, size_t len,
    uint32_t *mask);

/* "case", "identity", "profile", "health", "security", "travel",
 * "reintegration"; NULL for any other value. */
const char *refcat_name(int category);
/* The inverse of refcat_name; 0 for NULL or an unknown name. */
int refcat_parse(const char *name);

/*
 * The names of the categories in mask, in category order, separated by
 * commas ("identity,health"; "" for 0), NUL-terminated in buf.  0,
 * -EINVAL when mask has a bit without a name, -ENOSPC when buf is too
 * small; on error buf holds "" (when len > 0).
 */
int refcat_mask_format(uint32_t mask, char *buf, size_t len);

/*
 * An env1_open_ctx.check_body (keys/envelope.h); arg is unused.  0 when
 * body is acceptable as msg_type: a document refcat_of_body accepts, or a
 * receipt (0x0100, checked by env1_open itself) or a test document
 * (0x7f00, opaque).  -1 otherwise, unknown types included.
 */
int refcat_check_body(void *arg, uint16_t msg_type, const uint8_t *body,
    size_t len);

#endif
