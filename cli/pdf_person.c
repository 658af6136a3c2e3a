/*
 * Her copy of the case report (pdf.h; seed 002 7.2.3: copies of her
 * records, in a language she understands): what was sent about her, to
 * whom, when and under which of her consents (and the notice she was
 * given), and what was erased, in plain words.  Nothing but procedure
 * data: the kinds of information, never the information.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/pdf.h"
#include "common/msgtype.h"
#include "proto/referral.pb-c.h"

#define P(d, ...)       pdf_add((d), PDF_TEXT, __VA_ARGS__)
#define H(d, s)         pdf_add((d), PDF_HEADING, "%s", (s))

typedef Homeward__Control__ConsentInfo consent_info;

static int
is_entry(const struct cli_answer *ans, size_t i, const char *kind)
{
	return ans->data[i]->kind_case ==
	    HOMEWARD__CONTROL__RESPONSE__KIND_REPORT_ENTRY &&
	    strcmp(ans->data[i]->report_entry->kind, kind) == 0;
}

/* The agencies of a consent's scope, by name. */
static void
scope_agencies(const struct cli_answer *ans,
    const Homeward__Referral__ConsentScope *s, char *buf, size_t len)
{
	char label[256];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_recipients && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "; " : "",
		    pdf_agency_label(ans, s->recipients[i], label, sizeof(label)));
}

static void
one_consent(struct pdf_doc *d, const struct pdf_lang *l,
    const struct cli_answer *ans, const consent_info *c)
{
	Homeward__Referral__ConsentScope *s;
	char t[PDF_TIME_LEN], to[1024], cats[512], hex[65];
	uint32_t mask = 0;

	s = homeward__referral__consent_scope__unpack(NULL, c->scope.len,
	    c->scope.data);
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_categories; i++)
		mask |= 1u << s->categories[i];
	pdf_time(s->given_at, t);
	scope_agencies(ans, s, to, sizeof(to));
	P(d, pdf_tr(l, T_("Your agreement of %s: to %s, about: %s.")), t, to,
	    pdf_categories(l, mask, cats, sizeof(cats)));
	pdf_time(c->withdrawn_at, t);
	if (c->withdrawn_at != 0 && c->in_error)
		P(d, pdf_tr(l, T_("Cancelled on %s: it was recorded by mistake.")), t);
	else if (c->withdrawn_at != 0)
		P(d, pdf_tr(l, T_("You withdrew it on %s.")), t);
	else
		P(d, "%s", pdf_tr(l, T_("It is still in force.")));
	if (c->notice_sha256.len == 32) {
		for (size_t i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", c->notice_sha256.data[i]);
		P(d, pdf_tr(l, T_("You were given a written notice in the language "
		    "'%s' before you agreed.")), c->notice_language);
		pdf_add(d, PDF_SMALL, "%s %s", pdf_tr(l, T_("Notice SHA-256:")), hex);
	}
	homeward__referral__consent_scope__free_unpacked(s, NULL);
}

static void
consents(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	int any = 0;

	H(d, pdf_tr(l, T_("Your agreements")));
	for (size_t i = 0; i < ans->n; i++)
		if (ans->data[i]->kind_case == HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT) {
			one_consent(d, l, ans, ans->data[i]->consent);
			any = 1;
		}
	if (!any)
		P(d, "%s", pdf_tr(l, T_("No agreement of yours is recorded.")));
}

static void
one_sent(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans,
    const pdf_entry *e)
{
	const consent_info *c;
	Homeward__Referral__ConsentScope *s;
	char t[PDF_TIME_LEN], label[256], cats[512];

	pdf_time(e->at, t);
	P(d, pdf_tr(l, T_("%s: %s, sent to %s.")), t, pdf_doc_name(l, e->msg_type),
	    pdf_agency_label(ans, e->peer, label, sizeof(label)));
	if (e->withheld) {
		P(d, "%s", pdf_tr(l, T_("What it said about you is erased.")));
	} else {
		P(d, pdf_tr(l, T_("Information about you: %s.")),
		    pdf_categories(l, e->categories, cats, sizeof(cats)));
		if (e->safety)
			P(d, "%s", pdf_tr(l, T_("It was sent without your agreement, "
			    "because your safety was at risk. Two supervisors "
			    "decided it.")));
		else if ((c = pdf_consent(ans, e->consent_id)) != NULL &&
		    (s = homeward__referral__consent_scope__unpack(NULL,
		    c->scope.len, c->scope.data)) != NULL) {
			pdf_time(s->given_at, t);
			P(d, pdf_tr(l, T_("It was sent with your agreement of %s.")), t);
			homeward__referral__consent_scope__free_unpacked(s, NULL);
		}
	}
	if (e->receipt_at != 0) {
		pdf_time(e->receipt_at, t);
		P(d, pdf_tr(l, T_("They confirmed receiving it on %s.")), t);
	}
}

static void
sent(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *e;
	int any = 0;

	H(d, pdf_tr(l, T_("What we sent about you")));
	for (size_t i = 0; i < ans->n; i++) {
		if (!is_entry(ans, i, "document"))
			continue;
		e = ans->data[i]->report_entry;
		if (strcmp(e->direction, "sent") != 0 || e->msg_type < 1 ||
		    e->msg_type > 7)
			continue;
		one_sent(d, l, ans, e);
		any = 1;
	}
	if (!any)
		P(d, "%s", pdf_tr(l, T_("Nothing has been sent about you.")));
}

static void
erased(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *e;
	char t[PDF_TIME_LEN], label[256];
	int any = 0;

	H(d, pdf_tr(l, T_("What was erased")));
	for (size_t i = 0; i < ans->n; i++) {
		if (!is_entry(ans, i, "document") && !is_entry(ans, i, "thread"))
			continue;
		e = ans->data[i]->report_entry;
		pdf_time(e->at, t);
		pdf_agency_label(ans, e->peer, label, sizeof(label));
		if (strcmp(e->kind, "thread") == 0) {
			if (e->erased && ++any)
				P(d, pdf_tr(l, T_("We erased what %s sent us about "
				    "you.")), label);
			if (e->withdrawn && e->safety_hold && ++any)
				P(d, pdf_tr(l, T_("While you travel, %s keeps what it "
				    "needs to meet you. Then it erases it.")), label);
		} else if (e->msg_type == ENV1_MSG_CONSENT_WITHDRAWAL &&
		    strcmp(e->direction, "sent") == 0 && ++any) {
			P(d, pdf_tr(l, T_("%s: we asked %s to stop and to erase what "
			    "it received about you.")), t, label);
		} else if (e->msg_type == ENV1_MSG_ERASURE_CONFIRMATION &&
		    strcmp(e->direction, "received") == 0 && ++any) {
			P(d, pdf_tr(l, T_("%s: %s confirmed that it erased what it "
			    "received about you.")), t, label);
		}
	}
	if (!any)
		P(d, "%s", pdf_tr(l, T_("Nothing has been erased.")));
}

struct pdf_doc *
pdf_person(const struct pdf_lang *l, const struct cli_answer *ans)
{
	const pdf_entry *self = pdf_find(ans, "agency", NULL);
	const pdf_entry *kase = pdf_find(ans, "case", NULL);
	struct pdf_doc *d;
	char label[256], now[PDF_TIME_LEN];

	if (self == NULL || kase == NULL)
		return NULL;
	pdf_agency_label(ans, self->peer, label, sizeof(label));
	if ((d = pdf_new(l, pdf_tr(l, T_("What was shared about you")), label,
	    kase->detail)) == NULL)
		return NULL;
	pdf_time((uint64_t)time(NULL) * 1000, now);
	P(d, pdf_tr(l, T_("This is your copy from %s. It says what we sent about "
	    "you, to whom and when, with which of your agreements, and what was "
	    "erased. It names the kinds of information, not the information "
	    "itself.")), label);
	P(d, pdf_tr(l, T_("Made on %s. Times are in the time zone %s.")), now,
	    pdf_time_zone_name());
	consents(d, l, ans);
	sent(d, l, ans);
	erased(d, l, ans);
	return d;
}
