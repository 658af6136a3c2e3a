/*
 * Checks protobuf-c leaves to us.  protobuf-c 1.4 keeps a field numbered 0
 * (which the protobuf encoding forbids) as an "unknown field" instead of
 * refusing the message, and then packs it into bytes it will not parse
 * again.  Every decoder of frames from outside runs this after unpacking.
 */
#ifndef HOMEWARD_PROTO_PBCHECK_H
#define HOMEWARD_PROTO_PBCHECK_H

#include <protobuf-c/protobuf-c.h>

/* 1 when m and every message inside it carry only unknown fields with a
 * valid field number (1 .. 2^29 - 1), else 0. */
int pbcheck_unknown_fields(const ProtobufCMessage *m);

/* One field of an encoding, as pbcheck_next_field reads it. */
struct pbcheck_field {
	uint64_t        number;
	unsigned        wire_type;
	const uint8_t  *value;          /* length-delimited (2), fixed (1, 5): the
	                                   bytes; varint (0): NULL */
	size_t          len;
};

/* Read the field at *p (before end) and step past it: 0, or -1 when the
 * bytes are not a field (truncated, a group, a bad varint). */
int pbcheck_next_field(const uint8_t **p, const uint8_t *end,
    struct pbcheck_field *);

/*
 * protobuf merges a singular field that occurs twice (the last scalar
 * wins), so two implementations reading the same signed bytes could
 * show different values.  Scans the top level of an encoding protobuf-c
 * has already accepted: the number of the first singular field of d
 * that occurs more than once, 0 when none does, -1 when buf does not
 * scan.  Unknown fields may repeat.
 */
int pbcheck_singular_once(const uint8_t *buf, size_t len,
    const ProtobufCMessageDescriptor *d);

#endif
