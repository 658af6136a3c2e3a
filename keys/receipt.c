/*
 * Signed delivery receipts (crypto-env1.md 2.9).  A receipt is an ordinary
 * ENV1 message of type DELIVERY_RECEIPT whose body is this fixed 177-byte
 * layout, so a third party can read it without protobuf:
 *
 *   0  16  "ENV1 receipt v1\0"
 *  16  16  original message_id
 *  32  32  original sender_rik
 *  64  32  original recipient_rik (= the receipt's sender)
 *  96  32  H_env of the envelope as first accepted
 * 128  32  H_inner of the verified original
 * 160   8  received_at (ms, recipient clock)
 * 168   8  committed_at (ms, after the durable commit)
 * 176   1  status: 1 = verified and durably stored
 *
 * Only positive receipts exist: a signed refusal would be an oracle.
 */
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/receipt.h"

static const uint8_t DOMAIN_RECEIPT[16] = "ENV1 receipt v1\0";

void
receipt_encode(const struct receipt *r, uint8_t b[RECEIPT_BODY_LEN])
{
	memcpy(b, DOMAIN_RECEIPT, 16);
	memcpy(b + 16, r->message_id, ENV1_ID_LEN);
	memcpy(b + 32, r->sender_rik, ENV1_KEY_LEN);
	memcpy(b + 64, r->recipient_rik, ENV1_KEY_LEN);
	memcpy(b + 96, r->h_env, ENV1_HASH_LEN);
	memcpy(b + 128, r->h_inner, ENV1_HASH_LEN);
	be64_put(b + 160, r->received_at);
	be64_put(b + 168, r->committed_at);
	b[176] = r->status;
}

int
receipt_decode(const uint8_t *b, size_t len, struct receipt *r)
{
	memset(r, 0, sizeof(*r));
	if (b == NULL || len != RECEIPT_BODY_LEN ||
	    memcmp(b, DOMAIN_RECEIPT, 16) != 0 || b[176] != RECEIPT_STATUS_STORED)
		return ENV1_R_RECEIPT_BODY;
	memcpy(r->message_id, b + 16, ENV1_ID_LEN);
	memcpy(r->sender_rik, b + 32, ENV1_KEY_LEN);
	memcpy(r->recipient_rik, b + 64, ENV1_KEY_LEN);
	memcpy(r->h_env, b + 96, ENV1_HASH_LEN);
	memcpy(r->h_inner, b + 128, ENV1_HASH_LEN);
	r->received_at = be64_get(b + 160);
	r->committed_at = be64_get(b + 168);
	r->status = b[176];
	return ENV1_OK;
}

/*
 * The identities come from the verified TBS.  h_env is this envelope's:
 * for a retransmission the daemon re-sends the receipt it stored for the
 * first envelope rather than making a new one (2.7 step 15), which keeps
 * "H_env as first accepted" true.
 */
void
receipt_for(const struct env1_opened *o, uint64_t received_at,
    uint64_t committed_at, struct receipt *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->message_id, o->tbs.message_id, ENV1_ID_LEN);
	memcpy(r->sender_rik, o->tbs.sender_rik, ENV1_KEY_LEN);
	memcpy(r->recipient_rik, o->tbs.recipient_rik, ENV1_KEY_LEN);
	memcpy(r->h_env, o->h_env, ENV1_HASH_LEN);
	memcpy(r->h_inner, o->h_inner, ENV1_HASH_LEN);
	r->received_at = received_at;
	r->committed_at = committed_at;
	r->status = RECEIPT_STATUS_STORED;
}

/*
 * What this layer can see of 2.9: m was opened by env1_open (so it is a
 * valid ENV1 message from its header's sender); here its type, its body,
 * who it is addressed to, whose message it acknowledges, and that it is
 * signed by the agency the original was sent to.  Two things are the
 * daemon's, through its outbox: that h_inner names a message we sent
 * (ENV1_R_RECEIPT_UNMATCHED), and that this message was not itself a
 * receipt (ENV1_R_RECEIPT_FOR_RECEIPT) -- the body cannot say what type
 * the acknowledged message had.
 */
int
receipt_check(const struct env1_opened *m, const uint8_t own_rik[ENV1_KEY_LEN],
    struct receipt *out)
{
	struct receipt r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (m->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
		return ENV1_R_MSG_TYPE;
	if ((rc = receipt_decode(m->body, m->body_len, &r)) != ENV1_OK)
		return rc;
	/* The receipt, and the message it acknowledges, must both be ours. */
	if (memcmp(m->tbs.recipient_rik, own_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(r.sender_rik, own_rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_RECEIPT_ADDRESSEE;
	/* Only the original recipient can acknowledge delivery. */
	if (memcmp(r.recipient_rik, m->tbs.sender_rik, ENV1_KEY_LEN) != 0)
		return ENV1_R_RECEIPT_SIGNER;
	/* A receipt answers the message it names (2.9: in_reply_to). */
	if (memcmp(m->tbs.in_reply_to, r.message_id, ENV1_ID_LEN) != 0)
		return ENV1_R_RECEIPT_BODY;
	*out = r;
	return ENV1_OK;
}
