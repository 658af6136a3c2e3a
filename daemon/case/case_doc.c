/*
 * Documents as the procedure handles them (case_int.h): decoded with the
 * wiping allocator, their CaseHeader slot, packed into secret memory, and
 * the words the timeline uses for a step.  Calls nothing else in case/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	const Homeward__Referral__AssistanceConfirmation *ac = (const void *)doc;
	const Homeward__Referral__ArrivalConfirmation *ar = (const void *)doc;

	if (doc == NULL)
		return flow_step_name(msg_type);
	switch (msg_type) {
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		return dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL ?
		    "departure notification (final)" :
		    "departure notification (provisional)";
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		/* The decision is what the reader needs: say it. */
		switch (ac->decision) {
		case HOMEWARD__REFERRAL__DECISION__DECISION_ACCEPT:
			return "assistance confirmation (accepted)";
		case HOMEWARD__REFERRAL__DECISION__DECISION_DECLINE:
			return "assistance confirmation (declined)";
		case HOMEWARD__REFERRAL__DECISION__DECISION_MORE_INFORMATION:
			return "assistance confirmation (more information requested)";
		default:
			break;
		}
		break;
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		switch (ar->outcome) {
		case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET:
			return "arrival confirmation (met)";
		case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED:
			return "arrival confirmation (did not arrive)";
		case HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED:
			return "arrival confirmation (delayed)";
		default:
			break;
		}
		break;
	}
	return flow_step_name(msg_type);
}

void
case_time_text(uint64_t ms, char *buf, size_t len)
{
	time_t          t = (time_t)(ms / 1000);
	struct tm       tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC",
	    &tm) == 0)
		snprintf(buf, len, "%llu ms", (unsigned long long)ms);
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
	else if ((msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION &&
	    dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL) ||
	    (msg_type == ENV1_MSG_ARRIVAL_CONFIRMATION &&
	    ((const Homeward__Referral__ArrivalConfirmation *)doc)->outcome ==
	    HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_DELAYED)) {
		/* A new journey, or a known delay: awaited afresh, and what a
		 * supervisor recorded of the last one is not this one's. */
		ct->alerted &= ~(CT_ALERT_ARRIVAL | CT_ALERT_NO_SHOW);
		ct->alerted_at = 0;
		ct->outcome = 0;
		ct->outcome_by[0] = '\0';
		ct->outcome_at = 0;
	}
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
