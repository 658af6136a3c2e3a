/*
 * The case report for the office's paper file (pdf.h): the case, its
 * consents (with the notice each was given under), the partners and where
 * each thread stands, every document with the receipt and the
 * fingerprints that prove it, the decisions, and the timeline from the
 * audit log.  What the reader's role may not read the daemon left out;
 * the report says so where it did.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/pdf.h"
#include "cli/refnames.h"

#define P(d, ...)       pdf_add((d), PDF_TEXT, __VA_ARGS__)
#define S(d, ...)       pdf_add((d), PDF_SMALL, __VA_ARGS__)
#define H(d, s)         pdf_add((d), PDF_HEADING, "%s", (s))

typedef Homeward__Control__ConsentInfo consent_info;

static const pdf_entry *
entry_at(const struct cli_answer *ans, size_t i, const char *kind)
{
	if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_REPORT_ENTRY ||
	    strcmp(ans->data[i]->report_entry->kind, kind) != 0)
		return NULL;
	return ans->data[i]->report_entry;
}

static const char *
hex(ProtobufCBinaryData b, char out[CLI_ID_BUFLEN])
{
	return cli_hex(b, out);
}

static void
the_case(struct pdf_doc *d, const struct pdf_lang *l, const pdf_entry *k)
{
	char t[PDF_TIME_LEN];

	H(d, pdf_tr(l, T_("The case")));
	pdf_time(k->at, t);
	P(d, pdf_tr(l, T_("Case number: %s. Opened on %s.")), k->detail, t);
	P(d, "%s", strcmp(k->role, "destination") == 0 ?
	    pdf_tr(l, T_("We referred the person to a partner agency.")) :
	    pdf_tr(l, T_("A partner agency referred the person to us.")));
	P(d, pdf_tr(l, T_("State: %s.")), strcmp(k->state, "open") == 0 ?
	    pdf_tr(l, T_("open")) : strcmp(k->state, "restricted") == 0 ?
	    pdf_tr(l, T_("restricted: consent withdrawn")) :
	    strcmp(k->state, "closed") == 0 ? pdf_tr(l, T_("closed")) : k->state);
}

static void
one_consent(struct pdf_doc *d, const struct pdf_lang *l, const consent_info *c)
{
	Homeward__Referral__ConsentScope *s;
	char t[PDF_TIME_LEN], id[CLI_ID_BUFLEN], cats[512], steps[128], to[1100];
	uint32_t mask = 0, smask = 0;

	S(d, "%s %s", pdf_tr(l, T_("Consent")), hex(c->consent_id, id));
	pdf_time(c->recorded_at, t);
	P(d, pdf_tr(l, T_("Recorded on %s by %s (%s).")), t, c->recorded_by,
	    c->source);
	s = c->scope.len > 0 ? homeward__referral__consent_scope__unpack(NULL,
	    c->scope.len, c->scope.data) : NULL;
	if (s == NULL) {
		P(d, "%s", pdf_tr(l, T_("Its scope is not shown to your role.")));
	} else {
		for (size_t i = 0; i < s->n_categories; i++)
			mask |= 1u << s->categories[i];
		for (size_t i = 0; i < s->n_steps; i++)
			smask |= 1u << s->steps[i];
		pdf_time(s->given_at, t);
		P(d, pdf_tr(l, T_("Given on %s (%s).")), t,
		    refnames_method_name(s->method));
		to[0] = '\0';
		for (size_t i = 0, off = 0; i < s->n_recipients && off < sizeof(to);
		    i++)
			off += (size_t)snprintf(to + off, sizeof(to) - off, "%s%s",
			    i ? ", " : "", s->recipients[i]);
		P(d, pdf_tr(l, T_("To: %s.")), to);
		P(d, pdf_tr(l, T_("Steps: %s. Information: %s.")),
		    refnames_mask_format(smask, refnames_step_name, steps,
		    sizeof(steps)), pdf_categories(l, mask, cats, sizeof(cats)));
		homeward__referral__consent_scope__free_unpacked(s, NULL);
	}
	pdf_time(c->withdrawn_at, t);
	if (c->withdrawn_at != 0)
		P(d, c->in_error ? pdf_tr(l, T_("Revoked on %s: recorded in "
		    "error.")) : pdf_tr(l, T_("Withdrawn by the person on %s.")), t);
	if (c->notice_sha256.len > 0)
		S(d, "%s: %s, SHA-256 %s", pdf_tr(l, T_("Notice")),
		    c->notice_language, hex(c->notice_sha256, id));
	else
		P(d, "%s", pdf_tr(l, T_("No consent notice is recorded with it.")));
}

static void
partners(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *e;
	char label[256];

	H(d, pdf_tr(l, T_("Partner agencies")));
	for (size_t i = 0; i < ans->n; i++) {
		if ((e = entry_at(ans, i, "thread")) == NULL)
			continue;
		P(d, "%s \xe2\x80\x94 %s", e->peer, pdf_agency_label(ans, e->peer,
		    label, sizeof(label)));
		S(d, "%s %s", pdf_tr(l, T_("Key fingerprint")), e->signer_fingerprint);
		S(d, "%s", e->detail);
		if (e->withdrawn)
			P(d, "%s", pdf_tr(l, T_("Consent withdrawn in this thread.")));
		if (e->erased)
			P(d, "%s", pdf_tr(l, T_("What the partner sent is erased.")));
		if (e->safety_hold)
			P(d, "%s", pdf_tr(l, T_("Safety hold: she is travelling and "
			    "her arrival is not settled.")));
	}
}

static void
one_doc(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans,
    const pdf_entry *e)
{
	char t[PDF_TIME_LEN], id[CLI_ID_BUFLEN], label[256], cats[512];
	const char *dec;

	pdf_time(e->at, t);
	pdf_agency_label(ans, e->peer, label, sizeof(label));
	P(d, strcmp(e->direction, "sent") == 0 ? pdf_tr(l, T_("%s: %s sent to "
	    "%s.")) : pdf_tr(l, T_("%s: %s received from %s.")), t,
	    pdf_doc_name(l, e->msg_type), label);
	if (e->withheld)
		P(d, "%s", pdf_tr(l, T_("Its categories and basis are not shown "
		    "(your role, or erased).")));
	else if (e->msg_type >= 1 && e->msg_type <= 7)
		P(d, "%s: %s. %s", pdf_tr(l, T_("Information")), pdf_categories(l,
		    e->categories, cats, sizeof(cats)), e->safety ?
		    pdf_tr(l, T_("Under the safety exception.")) : "");
	if (!e->withheld && e->consent_id.len > 0)
		S(d, "%s %s", pdf_tr(l, T_("Under consent")), hex(e->consent_id, id));
	if (e->detail[0] != '\0' && (dec = pdf_decision(l, e->detail)) != NULL)
		P(d, pdf_tr(l, T_("Decision: %s.")), dec);
	S(d, "%s %s", pdf_tr(l, T_("Message")), hex(e->message_id, id));
	if (e->fingerprint.len > 0)
		S(d, "%s %s", pdf_tr(l, T_("Document SHA-256")), hex(e->fingerprint, id));
	if (e->receipt_id.len > 0) {
		pdf_time(e->receipt_at, t);
		S(d, "%s %s (%s)", pdf_tr(l, T_("Receipt")), hex(e->receipt_id, id), t);
	} else {
		P(d, "%s", pdf_tr(l, T_("No receipt yet.")));
	}
}

static void
documents(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *e;
	int any = 0;

	H(d, pdf_tr(l, T_("Documents and receipts")));
	for (size_t i = 0; i < ans->n; i++)
		if ((e = entry_at(ans, i, "document")) != NULL) {
			one_doc(d, l, ans, e);
			any = 1;
		}
	if (!any)
		P(d, "%s", pdf_tr(l, T_("No document was sent or received.")));
}

/* Decisions: the answers that carry one, and the people's decisions the
 * audit log records. */
static void
decisions(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	static const char *const acts[] = { "approve", "override",
	    "arrival.outcome", "case.close", "case.reopen", "consent.withdraw" };
	const Homeward__Control__AuditEntry *a;
	const pdf_entry *e;
	const char *dec;
	char t[PDF_TIME_LEN], label[256];

	H(d, pdf_tr(l, T_("Decisions")));
	for (size_t i = 0; i < ans->n; i++) {
		if ((e = entry_at(ans, i, "document")) != NULL &&
		    (dec = pdf_decision(l, e->detail)) != NULL) {
			pdf_time(e->at, t);
			P(d, "%s: %s \xe2\x80\x94 %s (%s)", t, pdf_doc_name(l,
			    e->msg_type), dec, pdf_agency_label(ans, e->peer,
			    label, sizeof(label)));
		}
		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
			continue;
		a = ans->data[i]->audit;
		for (size_t k = 0; k < sizeof(acts) / sizeof(acts[0]); k++)
			if (strcmp(a->action, acts[k]) == 0) {
				pdf_time(a->at, t);
				S(d, "%s  %s  %s  %s", t, a->actor, a->action, a->detail);
			}
	}
}

static void
timeline(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	const Homeward__Control__AuditEntry *a;
	char t[PDF_TIME_LEN];

	H(d, pdf_tr(l, T_("Timeline")));
	for (size_t i = 0; i < ans->n; i++) {
		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
			continue;
		a = ans->data[i]->audit;
		pdf_time(a->at, t);
		S(d, "%s  %s  %s  %s", t, a->actor, a->action, a->detail);
	}
}

struct pdf_doc *
pdf_file(const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *self = pdf_find(ans, "agency", NULL);
	const pdf_entry *kase = pdf_find(ans, "case", NULL);
	struct pdf_doc *d;
	char label[256], now[PDF_TIME_LEN];
	int any = 0;

	if (self == NULL || kase == NULL)
		return NULL;
	pdf_agency_label(ans, self->peer, label, sizeof(label));
	if ((d = pdf_new(l, pdf_tr(l, T_("Case file report")), label,
	    kase->detail)) == NULL)
		return NULL;
	pdf_time((uint64_t)time(NULL) * 1000, now);
	P(d, pdf_tr(l, T_("Made on %s for the file of %s. Times are in the time "
	    "zone %s.")), now, label, pdf_time_zone_name());
	the_case(d, l, kase);
	H(d, pdf_tr(l, T_("Consents")));
	for (size_t i = 0; i < ans->n; i++)
		if (ans->data[i]->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT) {
			one_consent(d, l, ans->data[i]->consent);
			any = 1;
		}
	if (!any)
		P(d, "%s", pdf_tr(l, T_("No consent is recorded.")));
	partners(d, l, ans);
	documents(d, l, ans);
	decisions(d, l, ans);
	timeline(d, l, ans);
	return d;
}
