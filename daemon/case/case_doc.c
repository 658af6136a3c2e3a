/*
 * Documents as the procedure handles them (case_int.h): decoded with the
 * wiping allocator, their CaseHeader slot, packed into secret memory, and
 * the words the timeline uses for a step.  Calls nothing else in case/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/case/case_int.h"
#include "daemon/rules/flow.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"

ProtobufCMessage *
case_doc_unpack(uint16_t msg_type, const uint8_t *body, size_t len)
{
	const ProtobufCMessageDescriptor *desc = refcat_descriptor(msg_type);

	if (desc == NULL)
		return NULL;
	return protobuf_c_message_unpack(desc, &pbwipe_allocator, len, body);
}

/* Every document's field 1 is its CaseHeader. */
Homeward__Referral__CaseHeader **
case_doc_header(ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->descriptor != &homeward__referral__case_header__descriptor)
		fatalx("document %s has no case header", m->descriptor->name);
	return (Homeward__Referral__CaseHeader **)(void *)((char *)m + f->offset);
}

const char *
case_step_label(uint16_t msg_type, const ProtobufCMessage *doc)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;

	if (msg_type != ENV1_MSG_DEPARTURE_NOTIFICATION || doc == NULL)
		return flow_step_name(msg_type);
	return dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL ?
	    "departure notification (final)" :
	    "departure notification (provisional)";
}

void
case_rearm(struct store_case_thread *ct, uint16_t msg_type,
    const ProtobufCMessage *doc)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;

	if (msg_type == ENV1_MSG_ASSISTANCE_REQUEST)
		ct->alerted &= ~CT_ALERT_REQUEST;
	else if (msg_type == ENV1_MSG_REINTEGRATION_REQUEST)
		ct->alerted &= ~CT_ALERT_REINT;
	else if (msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION &&
	    dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)
		ct->alerted &= ~CT_ALERT_ARRIVAL;
}

int
case_doc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	if (n > ENV1_MAX_INLINE)
		return -EMSGSIZE;
	if ((*out = secret_alloc(n ? n : 1)) == NULL)
		return -ENOMEM;
	*len = protobuf_c_message_pack(m, *out);
	return 0;
}

void
case_doc_free(ProtobufCMessage *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, &pbwipe_allocator);
}
