/*
 * Plain words for the person (pdf.h): what each kind of data and each
 * step of the procedure means, in short sentences without the
 * procedure's jargon, looked up in her language (pdf_tr).  English is the
 * msgid; po-notice/ holds the translations.
 */
#include <stdio.h>
#include <string.h>

#include "cli/pdf.h"
#include "proto/referral.pb-c.h"

static const char *const category_words[] = {
	[2] = T_("Who you are: your name, date of birth and identity papers."),
	[3] = T_("Basic facts about you, such as your age, sex and language."),
	[4] = T_("Your health, and the care you need."),
	[5] = T_("Your safety: risks to you and how to protect you."),
	[6] = T_("Your journey home: dates, flights and who meets you."),
	[7] = T_("Your life after you return: a place to live, work, school "
	    "and support."),
};

static const char *const category_names[] = {
	[2] = T_("identity"),
	[3] = T_("basic facts"),
	[4] = T_("health"),
	[5] = T_("safety"),
	[6] = T_("journey"),
	[7] = T_("life after return"),
};

static const char *const step_words[] = {
	[1] = T_("When we ask them to help you."),
	[2] = T_("When they answer whether they can help you."),
	[3] = T_("When we ask for help with your new life at home."),
	[4] = T_("When they say what help they can give you."),
	[5] = T_("When we tell them about your journey."),
	[6] = T_("When they tell us that you arrived."),
	[7] = T_("When they tell us how you are doing after your return."),
};

static const char *const doc_names[] = {
	[1] = T_("request for help"),
	[2] = T_("answer to the request for help"),
	[3] = T_("request for help with your life at home"),
	[4] = T_("answer about help with your life at home"),
	[5] = T_("notice of your journey"),
	[6] = T_("confirmation of your arrival"),
	[7] = T_("news after your return"),
};

const char *
pdf_category_words(const struct pdf_lang *l, int c)
{
	return c >= 2 && c <= 7 ? pdf_tr(l, category_words[c]) : "?";
}

const char *
pdf_category_name(const struct pdf_lang *l, int c)
{
	return c >= 2 && c <= 7 ? pdf_tr(l, category_names[c]) : "?";
}

const char *
pdf_categories(const struct pdf_lang *l, uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 2; c <= 7 && off < len; c++)
		if (mask & (1u << c))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? ", " : "", pdf_category_name(l, c));
	if (off == 0)
		snprintf(buf, len, "%s", pdf_tr(l, T_("only the steps of the "
		    "procedure, no facts about you")));
	return buf;
}

const char *
pdf_step_words(const struct pdf_lang *l, unsigned step)
{
	return step >= 1 && step <= 7 ? pdf_tr(l, step_words[step]) : "?";
}

const char *
pdf_doc_name(const struct pdf_lang *l, unsigned msg_type)
{
	if (msg_type >= 1 && msg_type <= 7)
		return pdf_tr(l, doc_names[msg_type]);
	if (msg_type == 0x101)
		return pdf_tr(l, T_("withdrawal of consent"));
	if (msg_type == 0x102)
		return pdf_tr(l, T_("confirmation of erasure"));
	return pdf_tr(l, T_("other message"));
}

static const struct {
	const char *name, *words;
} decisions[] = {
	{ "DECISION_ACCEPT", T_("accepted") },
	{ "DECISION_DECLINE", T_("declined") },
	{ "DECISION_MORE_INFORMATION", T_("more information asked") },
	{ "ARRIVAL_MET", T_("arrived and met") },
	{ "ARRIVAL_NOT_ARRIVED", T_("did not arrive") },
	{ "ARRIVAL_DELAYED", T_("delayed") },
};

const char *
pdf_decision(const struct pdf_lang *l, const char *name)
{
	for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
		if (strcmp(name, decisions[i].name) == 0)
			return pdf_tr(l, decisions[i].words);
	return NULL;
}

void
pdf_days(const struct pdf_lang *l, uint64_t ms, char *buf, size_t len)
{
	unsigned long long days = (ms + 86399999ull) / 86400000ull;

	snprintf(buf, len, pdf_tr(l, T_("%llu days")), days);
}

/* --- what the daemon answered --- */

const pdf_entry *
pdf_find(const struct cli_answer *ans, const char *kind, const char *agency)
{
	const pdf_entry *e;

	for (size_t i = 0; i < ans->n; i++) {
		if (ans->data[i]->kind_case !=
		    HOMEWARD__CONTROL__RESPONSE__KIND_REPORT_ENTRY)
			continue;
		e = ans->data[i]->report_entry;
		if (strcmp(e->kind, kind) != 0)
			continue;
		if (strcmp(kind, "agency") != 0 ||
		    (agency == NULL ? e->self : strcmp(e->peer, agency) == 0))
			return e;
	}
	return NULL;
}

const char *
pdf_agency_label(const struct cli_answer *ans, const char *id, char *buf,
    size_t len)
{
	const pdf_entry *e = pdf_find(ans, "agency", id);

	if (e == NULL || e->name[0] == '\0')
		snprintf(buf, len, "%s", id);
	else if (e->country[0] != '\0')
		snprintf(buf, len, "%s (%s)", e->name, e->country);
	else
		snprintf(buf, len, "%s", e->name);
	return buf;
}

const Homeward__Control__ConsentInfo *
pdf_consent(const struct cli_answer *ans, ProtobufCBinaryData id)
{
	const Homeward__Control__ConsentInfo *c;

	for (size_t i = 0; i < ans->n; i++) {
		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_CONSENT)
			continue;
		c = ans->data[i]->consent;
		if (id.len > 0 && c->consent_id.len == id.len &&
		    memcmp(c->consent_id.data, id.data, id.len) == 0)
			return c;
	}
	return NULL;
}
