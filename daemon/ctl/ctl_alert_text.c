/*
 * The alerts' text in the operator's language (issue 13).  What is stored
 * is language-neutral: the kind, the case code, the partner, the message
 * id, and an English detail (the log's and alert_command's words).  When
 * a request asks for another language, the listing says each kind in that
 * language, with what to do next, and keeps the recorded detail after it
 * (ids, dates, field names).  A request in English, and every request of
 * a command printing JSON (the CLI sends no language then), gets the
 * stored detail unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/ctl/ctl_int.h"

struct alert_text {
	const char     *kind;
	const char     *text;
};

/* TRANSLATORS: the alerts homewardd lists (`homeward alerts`); the case
 * code and the partner agency are printed next to them. */
static const struct alert_text texts[] = {
	{ "reply_overdue", N_("the partner's answer is overdue: call its duty "
	    "contact (homeward peers show) and ask when it answers") },
	{ "arrival_overdue", N_("her arrival is overdue: call the partner now; if "
	    "she is missing, a supervisor records what became of her (homeward "
	    "case outcome)") },
	{ "no_show", N_("the person did not arrive and may be missing: call the "
	    "partner now, then a supervisor records what became of her "
	    "(homeward case outcome)") },
	{ "withdrawn_in_transit", N_("consent was withdrawn while she travels: "
	    "meet her as planned and confirm her arrival; erasure follows it") },
	{ "withdrawal_not_sent", N_("consent was withdrawn, but a partner that "
	    "received data of this case is no longer a peer: tell it by other "
	    "means to erase what it received") },
	{ "consent_withdrawn", N_("the partner withdrew consent: the thread with "
	    "it is restricted and erased; nothing more is sent to it in this "
	    "case") },
	{ "erasure_unconfirmed", N_("the partner has not confirmed the erasure of "
	    "the case data: call it and ask it to erase them") },
	{ "declined", N_("the partner declined the request for assistance: read "
	    "its reasons, then refer her elsewhere or close the case") },
	{ "more_information", N_("the partner asks for more information: send the "
	    "request for assistance again with it") },
	{ "safety_exception", N_("the partner sent a document under the safety "
	    "exception, without consent: check why with the partner") },
	{ "itinerary_changed", N_("the partner changed her itinerary: read the new "
	    "one (homeward document show) before her arrival") },
	{ "incomplete", N_("a document from the partner lacks what the protocol "
	    "requires: ask the partner for what is missing") },
	{ "flow", N_("a document from the partner was refused by the order of the "
	    "procedure: ask the partner to send a corrected one") },
	{ "document", N_("a document from the partner could not be read: ask the "
	    "partner to send it again") },
	{ "test_document", N_("the partner sent a test document: nothing to do "
	    "for a case") },
	{ "quota", N_("the partner reached its quota and is suspended: call it to "
	    "learn why, then resume it (homeward peers resume) or raise the "
	    "quota") },
	{ "identity", N_("the partner sent a bundle with another identity: import "
	    "and verify it by hand") },
	{ "tls_key_claimed", N_("the partner's bundle claims another partner's TLS "
	    "key: it was refused; call the partner") },
	{ "revocation_dropped", N_("the partner's bundle drops a key revocation we "
	    "hold: it was refused; call the partner") },
	{ "expiry_tls", N_("our TLS certificate expires soon or has expired: renew "
	    "it") },
	{ "expiry_dsk", N_("our signing key's certificate expires soon or has "
	    "expired: renew it with homeward-keys") },
	{ "expiry_peer", N_("the partner's certificate expires soon or has "
	    "expired: ask the partner for its new bundle") },
	{ "equivocation", N_("the partner signed two different messages with the "
	    "same id: keep the evidence (homeward evidence export) and call the "
	    "partner") },
	{ "receipt_second", N_("the partner sent a second, different receipt for "
	    "a message: keep the evidence and call the partner") },
	{ "thread_peer", N_("a message names a thread of another partner: keep "
	    "the evidence and call the partner") },
	{ "thread_order", N_("messages of a thread arrived out of order: check "
	    "with the partner what is missing") },
	{ "gap", N_("a message from the partner is missing: ask the partner to "
	    "send it again") },
	{ "header_scope", N_("a document's consent scope is malformed: ask the "
	    "partner to send a corrected one") },
	{ "header_safety", N_("a document's safety exception lacks a reason or an "
	    "approver: ask the partner to send a corrected one") },
	{ "header_same_approver", N_("a document's safety exception was approved "
	    "by the one who asked for it: ask the partner to send a corrected "
	    "one") },
	{ "header_unknown_consent", N_("a document cites a consent we do not know: "
	    "ask the partner to send a corrected one") },
	{ "header_recipients", N_("a document's recipients were changed or do not "
	    "name us: ask the partner to send a corrected one") },
	{ "header_basis", N_("a document goes beyond the consent it cites: ask the "
	    "partner to send a corrected one") },
	{ "header_categories", N_("a document carries information its consent "
	    "does not cover: ask the partner to send a corrected one") },
	{ "in_reply_to", N_("a document answers a message that does not exist: "
	    "ask the partner to send a corrected one") },
	{ "implausible_time", N_("a document carries an implausible time: ask the "
	    "partner to check its clock and send a corrected one") },
};

const char *
ctl_alert_text(const char *kind, const char *detail, char *buf, size_t len)
{
	if (!lang_active())
		return detail;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].kind, kind) == 0) {
			/* TRANSLATORS: an alert: its text, then the detail as
			 * recorded (in English: ids, dates, field names). */
			snprintf(buf, len, _("%s (recorded: %s)"), _(texts[i].text),
			    detail);
			return buf;
		}
	return detail;
}
