/*
 * The ENV1 message types (the TBS msg_type, docs/PROTOCOL.md section 2),
 * seen by the crypto, which refuses an unknown type, by the referral schema
 * (proto/refcat.c), which checks a body against its type, and by the
 * programs, which show the types by name.
 */
#ifndef HOMEWARD_COMMON_MSGTYPE_H
#define HOMEWARD_COMMON_MSGTYPE_H

#include <stddef.h>
#include <stdint.h>

/* Message types (TBS msg_type). */
enum env1_msg_type {
	ENV1_MSG_ASSISTANCE_REQUEST             = 0x0001,
	ENV1_MSG_ASSISTANCE_CONFIRMATION        = 0x0002,
	ENV1_MSG_REINTEGRATION_REQUEST          = 0x0003,
	ENV1_MSG_REINTEGRATION_CONFIRMATION     = 0x0004,
	ENV1_MSG_DEPARTURE_NOTIFICATION         = 0x0005,
	ENV1_MSG_ARRIVAL_CONFIRMATION           = 0x0006,
	ENV1_MSG_FOLLOW_UP_REPORT               = 0x0007,
	ENV1_MSG_DELIVERY_RECEIPT               = 0x0100,
	ENV1_MSG_CONSENT_WITHDRAWAL             = 0x0101,
	ENV1_MSG_ERASURE_CONFIRMATION           = 0x0102,
	ENV1_MSG_TEST_DOCUMENT                  = 0x7f00, /* opaque test body, never personal data */
};

/*
 * "TEST_DOCUMENT", ... or "0x1234" in buf (at least 8 bytes): one table of
 * names for homeward and homeward-keys.
 */
const char *msgtype_name(uint16_t msg_type, char *buf, size_t len);

#endif
