/*
 * The framing shared by the wire (daemon to daemon) and the control socket
 * (CLI to daemon): a 4-byte big-endian length, then one encoded protobuf.
 * The length is checked against the connection's cap before anything is
 * allocated; a frame over the cap is a protocol error that closes the
 * connection.
 */
#ifndef HOMEWARD_PROTO_FRAME_H
#define HOMEWARD_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define FRAME_HDR_LEN           4
/* Wire frames carry one envelope plus a little protobuf framing. */
#define FRAME_WIRE_MAX          (ENV1_ENVELOPE_MAX + 4096)
/* Control frames carry one document or one listing page. */
#define FRAME_CONTROL_MAX       (ENV1_MAX_INLINE + 65536)

enum frame_status {
	FRAME_MORE  = 0,        /* need more input */
	FRAME_READY = 1,        /* one payload complete */
};

struct frame_reader {
	size_t          max;            /* cap on a payload */
	uint8_t         hdr[FRAME_HDR_LEN];
	size_t          hdr_got;
	uint8_t        *buf;            /* payload being filled; owned */
	size_t          need;
	size_t          got;
};

void frame_reader_init(struct frame_reader *, size_t max);
void frame_reader_free(struct frame_reader *);  /* NULL ok */

/*
 * Consume up to len bytes.  Returns FRAME_READY with *payload (malloc'ed,
 * now the caller's) and *paylen when a frame completed, FRAME_MORE when all
 * input was taken, or -EMSGSIZE when the announced length exceeds max (the
 * reader is then unusable).  *consumed says how many bytes were used; call
 * again with the rest.
 */
int frame_reader_feed(struct frame_reader *, const uint8_t *data, size_t len,
    size_t *consumed, uint8_t **payload, size_t *paylen);

/* Length prefix + payload into a malloc'ed buffer; -EMSGSIZE over max. */
int frame_encode(const uint8_t *payload, size_t len, size_t max, uint8_t **out,
    size_t *outlen);

#endif
