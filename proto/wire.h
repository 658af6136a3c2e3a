/*
 * The daemon-to-daemon protocol (proto/envelope.proto) on top of the
 * framing: encode a Frame with the current version, decode one and check
 * its version.
 */
#ifndef HOMEWARD_PROTO_WIRE_H
#define HOMEWARD_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.pb-c.h"

#define WIRE_PROTOCOL_VERSION   1

/* Decode one payload: NULL with *err = -EBADMSG when it does not parse or
 * has no kind, -EPROTONOSUPPORT on a version mismatch (reported as such).
 * Free with homeward__wire__frame__free_unpacked(f, NULL). */
Homeward__Wire__Frame *wire_frame_decode(const uint8_t *payload, size_t len, int *err);

/* Encode f (its version is set here) as a complete length-prefixed frame. */
int wire_frame_encode(Homeward__Wire__Frame *f, uint8_t **out, size_t *outlen);

#endif
