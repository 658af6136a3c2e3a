/*
 * Length-prefixed framing for the wire and the control socket (see
 * frame.h).  The reader is fed whatever a socket read returned, however the
 * bytes are split, and allocates a payload only once its announced length
 * has been checked against the connection's cap (imsg's MAX_IMSGSIZE rule).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "proto/frame.h"

void
frame_reader_init(struct frame_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
frame_reader_free(struct frame_reader *r)
{
	if (r == NULL)
		return;
	/* A payload cut short may hold part of a document. */
	if (r->buf != NULL)
		sodium_memzero(r->buf, r->got);
	free(r->buf);
	r->buf = NULL;
	r->hdr_got = r->need = r->got = 0;
}

/* Ready for the next frame; the payload buffer has been handed over. */
static void
reader_reset(struct frame_reader *r)
{
	r->buf = NULL;
	r->hdr_got = r->need = r->got = 0;
}

int
frame_reader_feed(struct frame_reader *r, const uint8_t *data, size_t len,
    size_t *consumed, uint8_t **payload, size_t *paylen)
{
	size_t used = 0, n;

	*consumed = 0;
	*payload = NULL;
	*paylen = 0;

	/* A refused length leaves the reader refusing: the stream has lost
	 * its framing and the connection must close. */
	if (r->hdr_got == FRAME_HDR_LEN && r->need > r->max)
		return -EMSGSIZE;

	if (r->hdr_got < FRAME_HDR_LEN) {
		n = FRAME_HDR_LEN - r->hdr_got;
		if (n > len)
			n = len;
		if (n > 0)
			memcpy(r->hdr + r->hdr_got, data, n);
		r->hdr_got += n;
		used += n;
		if (r->hdr_got < FRAME_HDR_LEN) {
			*consumed = used;
			return FRAME_MORE;
		}
		r->need = be32_get(r->hdr);
		r->got = 0;
		if (r->need > r->max) {
			*consumed = used;
			return -EMSGSIZE;
		}
		/* One byte for an empty payload, so a ready frame is never NULL. */
		if ((r->buf = malloc(r->need > 0 ? r->need : 1)) == NULL) {
			r->hdr_got -= n;
			return -ENOMEM;
		}
	}

	n = r->need - r->got;
	if (n > len - used)
		n = len - used;
	if (n > 0)
		memcpy(r->buf + r->got, data + used, n);
	r->got += n;
	used += n;
	*consumed = used;
	if (r->got < r->need)
		return FRAME_MORE;

	/* Ownership of the payload passes to the caller here. */
	*payload = r->buf;
	*paylen = r->need;
	reader_reset(r);
	return FRAME_READY;
}

int
frame_encode(const uint8_t *payload, size_t len, size_t max, uint8_t **out,
    size_t *outlen)
{
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (len > max || len > UINT32_MAX)
		return -EMSGSIZE;
	if ((b = malloc(FRAME_HDR_LEN + len)) == NULL)
		return -ENOMEM;
	be32_put(b, (uint32_t)len);
	if (len > 0)
		memcpy(b + FRAME_HDR_LEN, payload, len);
	*out = b;
	*outlen = FRAME_HDR_LEN + len;
	return 0;
}
