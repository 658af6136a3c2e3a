/*
 * The consent notice (pdf.h; seed 002 6.4.1 and 8.4): before she agrees,
 * what she is told, in her language and in plain words: who receives
 * what kind of information about her, at which step, why, how long it is
 * kept, that she may withdraw at any time and how, and what still happens
 * for her safety if she does (PROTOCOL 21.5, "Safety hold").  Made from
 * exactly the scope that will be recorded; the daemon checks that.
 */
#include <stdio.h>
#include <time.h>

#include "cli/pdf.h"

#define P(d, ...)       pdf_add((d), PDF_TEXT, __VA_ARGS__)
#define H(d, s)         pdf_add((d), PDF_HEADING, "%s", (s))

static void
who(struct pdf_doc *d, const struct pdf_lang *l, const struct cli_answer *ans,
    const struct pdf_notice_scope *sc)
{
	char label[256];

	H(d, pdf_tr(l, T_("Who receives your information")));
	for (size_t i = 0; i < sc->nto; i++)
		P(d, "\xe2\x80\xa2 %s", pdf_agency_label(ans, sc->to[i], label,
		    sizeof(label)));
	H(d, pdf_tr(l, T_("What we share")));
	for (int c = 2; c <= 7; c++)
		if (sc->categories & (1u << c))
			P(d, "\xe2\x80\xa2 %s", pdf_category_words(l, c));
	if (sc->categories == 0)
		P(d, "\xe2\x80\xa2 %s", pdf_tr(l, T_("Only the steps of your case, "
		    "no facts about you.")));
	P(d, pdf_tr(l, T_("We also share the steps of your case: dates, "
	    "decisions and your case number, %s. We never use your name for "
	    "it.")), sc->code);
	H(d, pdf_tr(l, T_("When we share it")));
	for (unsigned s = 1; s <= 7; s++)
		if (sc->steps & (1u << s))
			P(d, "\xe2\x80\xa2 %s", pdf_step_words(l, s));
	H(d, pdf_tr(l, T_("Why we share it")));
	P(d, "%s", pdf_tr(l, T_("So that they can prepare your return, meet you "
	    "when you arrive, keep you safe and help you afterwards. They may "
	    "use it only for that.")));
}

static void
rights(struct pdf_doc *d, const struct pdf_lang *l, const pdf_entry *self)
{
	char days[64];

	H(d, pdf_tr(l, T_("How long it is kept")));
	pdf_days(l, self->retention_ms, days, sizeof(days));
	P(d, pdf_tr(l, T_("We keep your information while we work on your case. "
	    "After your case is closed, we keep it for %s. Then it is "
	    "erased.")), days);
	P(d, "%s", pdf_tr(l, T_("The organisations that receive it keep it only "
	    "while they work on your case.")));
	H(d, pdf_tr(l, T_("You can change your mind")));
	P(d, "%s", pdf_tr(l, T_("You do not have to agree. If you do not agree, "
	    "we still help you.")));
	P(d, pdf_tr(l, T_("You can withdraw your agreement at any time, even "
	    "after you have signed. Tell your caseworker at %s, or any member "
	    "of our staff. You do not have to say why.")), self->name);
	P(d, "%s", pdf_tr(l, T_("Then we stop sharing. We ask the organisations "
	    "to erase what they received, and they confirm it to us.")));
	H(d, pdf_tr(l, T_("Your safety comes first")));
	P(d, "%s", pdf_tr(l, T_("If you withdraw while you are travelling home, "
	    "we still tell the organisation that meets you about your journey, "
	    "until you have arrived safely. This is only to keep you safe. After "
	    "that, your information is erased.")));
}

struct pdf_doc *
pdf_notice(const struct pdf_lang *l, const struct cli_answer *ans,
    const struct pdf_notice_scope *sc)
{
	const pdf_entry *self = pdf_find(ans, "agency", NULL);
	struct pdf_doc *d;
	char label[256], now[PDF_TIME_LEN];

	if (self == NULL)
		return NULL;
	pdf_agency_label(ans, self->peer, label, sizeof(label));
	if ((d = pdf_new(l, pdf_tr(l, T_("How your information is shared")),
	    label, sc->code)) == NULL)
		return NULL;
	P(d, pdf_tr(l, T_("%s helps you on your way home. To help you, we need "
	    "to share some information about you with other organisations. We "
	    "share it only if you agree.")), label);
	P(d, "%s", pdf_tr(l, T_("Please read this, or ask us to read it to you. "
	    "Ask us about anything that is not clear. You can have an "
	    "interpreter.")));
	who(d, l, ans, sc);
	rights(d, l, self);
	H(d, pdf_tr(l, T_("Your agreement")));
	P(d, "%s", pdf_tr(l, T_("I have read this notice, or it was read to me, "
	    "and I understood it. I agree that my information is shared as it "
	    "says.")));
	P(d, "%s: ______________________________    %s: ______________",
	    pdf_tr(l, T_("Signature")), pdf_tr(l, T_("Date")));
	pdf_time((uint64_t)time(NULL) * 1000, now);
	P(d, pdf_tr(l, T_("Made on %s. Times are in the time zone %s.")), now,
	    pdf_time_zone_name());
	return d;
}
