/*
 * Signed delivery receipts (crypto-env1.md 2.9): the fixed 177-byte body,
 * and the sender-side checks on an opened receipt message.
 */
#ifndef HOMEWARD_KEYS_RECEIPT_H
#define HOMEWARD_KEYS_RECEIPT_H

#include <stdint.h>

#include "keys/envelope.h"

#define RECEIPT_BODY_LEN        177
#define RECEIPT_STATUS_STORED   1

struct receipt {
	uint8_t         message_id[ENV1_ID_LEN];        /* original */
	uint8_t         sender_rik[ENV1_KEY_LEN];       /* original sender */
	uint8_t         recipient_rik[ENV1_KEY_LEN];    /* original recipient = receipt signer */
	uint8_t         h_env[ENV1_HASH_LEN];           /* as first accepted */
	uint8_t         h_inner[ENV1_HASH_LEN];
	uint64_t        received_at;
	uint64_t        committed_at;
	uint8_t         status;
};

void receipt_encode(const struct receipt *, uint8_t out[RECEIPT_BODY_LEN]);
/* ENV1_OK or ENV1_R_RECEIPT_BODY (length, domain, status). */
int receipt_decode(const uint8_t *body, size_t len, struct receipt *);

/* The receipt body for a message we opened and committed. */
void receipt_for(const struct env1_opened *original, uint64_t received_at,
    uint64_t committed_at, struct receipt *out);

/*
 * Sender-side checks (2.9) on an opened message m of type DELIVERY_RECEIPT:
 * its body decodes; receipt.sender_rik == own_rik; receipt.recipient_rik ==
 * m's sender (the signer is the original recipient); m is addressed to us;
 * m's in_reply_to is the receipt's message_id.  ENV1_OK with *out filled,
 * or ENV1_R_MSG_TYPE (m is not a receipt), ENV1_R_RECEIPT_BODY,
 * ENV1_R_RECEIPT_ADDRESSEE or ENV1_R_RECEIPT_SIGNER with *out zeroed.
 * Matching H_inner against the outbox is the caller's (ENV1_R_RECEIPT_*),
 * and so is refusing a receipt for a receipt: only the outbox knows the
 * acknowledged message's type.
 */
int receipt_check(const struct env1_opened *m, const uint8_t own_rik[ENV1_KEY_LEN],
    struct receipt *out);

#endif
