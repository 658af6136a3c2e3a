/*
 * The names of the ENV1 message types, as homeward and homeward-keys print
 * them (the upper-case names of docs/PROTOCOL.md section 2).
 */
#include <stdio.h>

#include "common/msgtype.h"

static const struct {
	uint16_t        type;
	const char     *name;
} msg_types[] = {
	{ ENV1_MSG_ASSISTANCE_REQUEST, "ASSISTANCE_REQUEST" },
	{ ENV1_MSG_ASSISTANCE_CONFIRMATION, "ASSISTANCE_CONFIRMATION" },
	{ ENV1_MSG_REINTEGRATION_REQUEST, "REINTEGRATION_REQUEST" },
	{ ENV1_MSG_REINTEGRATION_CONFIRMATION, "REINTEGRATION_CONFIRMATION" },
	{ ENV1_MSG_DEPARTURE_NOTIFICATION, "DEPARTURE_NOTIFICATION" },
	{ ENV1_MSG_ARRIVAL_CONFIRMATION, "ARRIVAL_CONFIRMATION" },
	{ ENV1_MSG_FOLLOW_UP_REPORT, "FOLLOW_UP_REPORT" },
	{ ENV1_MSG_DELIVERY_RECEIPT, "DELIVERY_RECEIPT" },
	{ ENV1_MSG_CONSENT_WITHDRAWAL, "CONSENT_WITHDRAWAL" },
	{ ENV1_MSG_ERASURE_CONFIRMATION, "ERASURE_CONFIRMATION" },
	{ ENV1_MSG_TEST_DOCUMENT, "TEST_DOCUMENT" },
};

const char *
msgtype_name(uint16_t msg_type, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++)
		if (msg_types[i].type == msg_type)
			return msg_types[i].name;
	snprintf(buf, len, "0x%04x", msg_type);
	return buf;
}
