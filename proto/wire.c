/*
 * The daemon-to-daemon frames (proto/envelope.proto) over the framing of
 * frame.c.  The version is checked on every frame and a mismatch is told
 * apart from garbage, so an operator sees "peer speaks another version"
 * rather than "peer sends junk" (tmux's protocol version, smtpd's
 * IMSG_VERSION).
 */
#include <errno.h>
#include <stdlib.h>

#include "common/bytes.h"
#include "proto/frame.h"
#include "proto/pbcheck.h"
#include "proto/wire.h"

Homeward__Wire__Frame *
wire_frame_decode(const uint8_t *payload, size_t len, int *err)
{
	Homeward__Wire__Frame *f;

	*err = -EBADMSG;
	if ((f = homeward__wire__frame__unpack(NULL, len, payload)) == NULL)
		return NULL;
	if (!pbcheck_unknown_fields(&f->base))
		goto fail;
	/* No version at all (0 is proto3's absent) is not one of our frames;
	 * any other mismatch is checked before the kind, because a newer peer
	 * may send a kind this version cannot see. */
	if (f->version == 0)
		goto fail;
	if (f->version != WIRE_PROTOCOL_VERSION) {
		*err = -EPROTONOSUPPORT;
		goto fail;
	}
	if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND__NOT_SET)
		goto fail;
	*err = 0;
	return f;
fail:
	homeward__wire__frame__free_unpacked(f, NULL);
	return NULL;
}

int
wire_frame_encode(Homeward__Wire__Frame *f, uint8_t **out, size_t *outlen)
{
	uint8_t *b;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (f->kind_case == HOMEWARD__WIRE__FRAME__KIND__NOT_SET)
		return -EINVAL;
	f->version = WIRE_PROTOCOL_VERSION;
	n = homeward__wire__frame__get_packed_size(f);
	if (n > FRAME_WIRE_MAX)
		return -EMSGSIZE;
	if ((b = malloc(FRAME_HDR_LEN + n)) == NULL)
		return -ENOMEM;
	be32_put(b, (uint32_t)n);
	if (homeward__wire__frame__pack(f, b + FRAME_HDR_LEN) != n) {
		free(b);
		return -EINVAL;
	}
	*out = b;
	*outlen = FRAME_HDR_LEN + n;
	return 0;
}
