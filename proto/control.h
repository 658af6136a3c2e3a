/*
 * The control protocol between homeward (the CLI) and homewardd
 * (proto/control.proto) on top of the framing: encode a Request or a
 * Response with the current version, decode one and check its version.
 * Both sides use the same functions, so a version mismatch is seen as such
 * on either end rather than as garbage.
 */
#ifndef HOMEWARD_PROTO_CONTROL_H
#define HOMEWARD_PROTO_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/control.pb-c.h"

#define CONTROL_PROTOCOL_VERSION        1

/* Decode one payload (without its length prefix): NULL with *err =
 * -EBADMSG when it does not parse, carries an invalid field number, has no
 * version or no kind (or a Response kind without its message), or
 * -EPROTONOSUPPORT on a version mismatch.  Decoded with the wiping
 * allocator (proto/pbwipe.h): free with control_request_free only. */
Homeward__Control__Request *control_request_decode(const uint8_t *payload,
    size_t len, int *err);
void control_request_free(Homeward__Control__Request *);       /* NULL ok */
/* The same checks; decoded with the wiping allocator too (answers carry
 * documents): free with control_response_free only. */
Homeward__Control__Response *control_response_decode(const uint8_t *payload,
    size_t len, int *err);
void control_response_free(Homeward__Control__Response *);     /* NULL ok */

/* Encode (the version is set here) as one complete length-prefixed frame
 * in *out (malloc'ed): 0, -EINVAL without a kind, -EMSGSIZE over
 * FRAME_CONTROL_MAX, -ENOMEM. */
int control_request_encode(Homeward__Control__Request *, uint8_t **out,
    size_t *outlen);
int control_response_encode(Homeward__Control__Response *, uint8_t **out,
    size_t *outlen);

/* "RESULT_OK" -> "ok", ...: for logs and --json output. */
const char *control_result_name(Homeward__Control__ResultCode);

#endif
