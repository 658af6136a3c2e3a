/*
 * What a recipient checks of a partner's header (see header.h): one
 * function per thing it can see, each returning the first breach with a
 * reason that names fields, steps and categories only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "daemon/rules/flow.h"
#include "daemon/rules/header.h"
#include "keys/bundle.h"
#include "proto/refcat.h"

#define CAT(x)          HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_##x
#define METHOD(x)       HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_##x
#define DEP(x)          HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_##x
#define STEP_BITS       0xfeu           /* steps 1-7 */

static const char *const kinds[] = {
	[HEADER_OK] = "",
	[HEADER_SCOPE] = "header_scope",
	[HEADER_SAFETY] = "header_safety",
	[HEADER_SAME_APPROVER] = "header_same_approver",
	[HEADER_UNKNOWN_CONSENT] = "header_unknown_consent",
	[HEADER_RECIPIENTS] = "header_recipients",
	[HEADER_BASIS] = "header_basis",
	[HEADER_CATEGORIES] = "header_categories",
	[HEADER_IN_REPLY_TO] = "in_reply_to",
	[HEADER_TIME] = "implausible_time",
};

const char *
header_breach_kind(enum header_breach b)
{
	if ((size_t)b >= sizeof(kinds) / sizeof(kinds[0]))
		return "";
	return kinds[b];
}

static enum header_breach breach(enum header_breach, char *, size_t,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static enum header_breach
breach(enum header_breach b, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return b;
}

static const char *
cat_name(unsigned c)
{
	static const char *const names[] = { "", "case", "identity", "profile",
	    "health", "security", "travel", "reintegration" };

	return c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

/* "identity, travel": the categories of mask. */
static void
cat_list(uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned c = CAT(IDENTITY); c <= CAT(REINTEGRATION); c++)
		if ((mask & REFCAT_BIT(c)) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? ", " : "", cat_name(c));
}

/* --- the consent scope ------------------------------------------------------- */

static enum header_breach
scope_lists(const Homeward__Referral__ConsentScope *s, char *why, size_t whylen)
{
	if (s->n_recipients == 0 || s->n_recipients > CONSENT_MAX_RECIPIENTS)
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope names "
		    "%zu recipients, not 1-%d"), s->n_recipients,
		    CONSENT_MAX_RECIPIENTS);
	for (size_t i = 0; i < s->n_recipients; i++)
		if (bundle_agency_id_problem(s->recipients[i]) != NULL)
			return breach(HEADER_SCOPE, why, whylen, _("recipient %zu of "
			    "its consent scope is not an agency id"), i + 1);
	if (s->n_steps == 0)
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope names "
		    "no step"));
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i] < 1 || s->steps[i] > 7)
			return breach(HEADER_SCOPE, why, whylen, _("step %zu of its "
			    "consent scope is not 1-7"), i + 1);
	for (size_t i = 0; i < s->n_categories; i++)
		if (s->categories[i] < CAT(IDENTITY) ||
		    s->categories[i] > CAT(REINTEGRATION))
			return breach(HEADER_SCOPE, why, whylen, _("category %zu of "
			    "its consent scope is not identity-reintegration (2-7)"),
			    i + 1);
	return HEADER_OK;
}

enum header_breach
header_scope_check(const Homeward__Referral__ConsentScope *s, uint64_t now,
    char *why, size_t whylen)
{
	enum header_breach b;

	if (s->consent_id.len != 16)
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope's "
		    "consent_id is %zu bytes, not 16"), s->consent_id.len);
	if ((b = scope_lists(s, why, whylen)) != HEADER_OK)
		return b;
	if (s->method == METHOD(UNSPECIFIED))
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope does "
		    "not say how consent was given (method)"));
	if (s->method == METHOD(WRITTEN) && s->form_hash.len != 32)
		return breach(HEADER_SCOPE, why, whylen, _("its written consent's "
		    "form_hash is %zu bytes, not 32"), s->form_hash.len);
	if (s->method == METHOD(ORAL_INTERPRETED) &&
	    (s->language == NULL || s->language[0] == '\0'))
		return breach(HEADER_SCOPE, why, whylen, _("its interpreted consent "
		    "names no language"));
	if (s->given_at == 0 || s->given_at > now + HEADER_SKEW_MS)
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope's "
		    "given_at is %s"), s->given_at == 0 ? "missing" :
		    "after the document was sent");
	if (s->expires_at != 0 && s->expires_at <= s->given_at)
		return breach(HEADER_SCOPE, why, whylen, _("its consent scope "
		    "expires (expires_at) before it was given (given_at)"));
	return HEADER_OK;
}

/* --- the basis --------------------------------------------------------------- */

static uint32_t
scope_steps(const Homeward__Referral__ConsentScope *s)
{
	uint32_t m = 0;

	for (size_t i = 0; i < s->n_steps; i++)
		m |= 1u << s->steps[i];
	return m;
}

static uint32_t
scope_categories(const Homeward__Referral__ConsentScope *s)
{
	uint32_t m = 0;

	for (size_t i = 0; i < s->n_categories; i++)
		m |= REFCAT_BIT(s->categories[i]);
	return m;
}

static int
names(const char *const *list, size_t n, const char *who)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], who) == 0)
			return 1;
	return 0;
}

static int
consent_names(const struct consent *c, const char *who)
{
	for (size_t i = 0; i < c->nrecipients; i++)
		if (strncmp(c->recipients[i], who, CONSENT_RECIPIENT_LEN) == 0)
			return 1;
	return 0;
}

/* An answer's scope is one we sent, not rewritten and no wider; or the
 * origin's own record, which names us (PROTOCOL.md 21.8). */
static enum header_breach
basis_is_ours(const struct header_ctx *ctx, const Homeward__Referral__ConsentScope *s,
    char *why, size_t whylen)
{
	const struct consent *c = NULL;

	for (size_t i = 0; i < ctx->nsent && c == NULL; i++)
		if (memcmp(ctx->sent[i].id, s->consent_id.data, 16) == 0)
			c = &ctx->sent[i];
	if (c == NULL && names((const char *const *)s->recipients,
	    s->n_recipients, ctx->self))
		return HEADER_OK;
	if (c == NULL)
		return breach(HEADER_UNKNOWN_CONSENT, why, whylen, _("its consent_id "
		    "is none this agency recorded for the case and its sender, "
		    "and its scope does not name this agency: an answer goes "
		    "under the scope it answers or one naming its recipient"));
	if (s->n_recipients != c->nrecipients)
		return breach(HEADER_RECIPIENTS, why, whylen, _("its consent scope "
		    "names %zu recipients; the consent recorded here names %zu"),
		    s->n_recipients, c->nrecipients);
	for (size_t i = 0; i < s->n_recipients; i++)
		if (!consent_names(c, s->recipients[i]))
			return breach(HEADER_RECIPIENTS, why, whylen, _("recipient %zu "
			    "of its consent scope is not in the consent recorded "
			    "here"), i + 1);
	if ((scope_steps(s) & ~c->steps) != 0 ||
	    (scope_categories(s) & ~c->categories) != 0)
		return breach(HEADER_BASIS, why, whylen, _("its consent scope is "
		    "wider than the consent recorded here (%s)"),
		    (scope_steps(s) & ~c->steps) != 0 ? "steps" : "categories");
	return HEADER_OK;
}

static enum header_breach
basis_consent(const struct header_ctx *ctx, const Homeward__Referral__ConsentScope *s,
    char *why, size_t whylen)
{
	enum header_breach      b;
	uint32_t                lack;
	char                    list[96];

	if ((b = header_scope_check(s, ctx->now, why, whylen)) != HEADER_OK)
		return b;
	if (ctx->answer) {
		if ((b = basis_is_ours(ctx, s, why, whylen)) != HEADER_OK)
			return b;
	} else if (!names((const char *const *)s->recipients, s->n_recipients,
	    ctx->self))
		return breach(HEADER_RECIPIENTS, why, whylen, _("its consent scope "
		    "does not name this agency (%s) among its recipients"),
		    ctx->self);
	if ((scope_steps(s) & (1u << ctx->msg_type)) == 0)
		return breach(HEADER_BASIS, why, whylen, _("its consent scope does "
		    "not cover step %u (%s)"), ctx->msg_type,
		    flow_step_name(ctx->msg_type));
	lack = ctx->categories & REFCAT_PERSONAL & ~scope_categories(s);
	if (lack != 0) {
		cat_list(lack, list, sizeof(list));
		return breach(HEADER_CATEGORIES, why, whylen, _("it carries %s, which "
		    "its consent scope does not cover"), list);
	}
	return HEADER_OK;
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static enum header_breach
basis_safety(const Homeward__Referral__SafetyException *x, char *why,
    size_t whylen)
{
	if (!blank(x->approved_by) && !blank(x->second_approved_by) &&
	    strcmp(x->approved_by, x->second_approved_by) == 0)
		return breach(HEADER_SAME_APPROVER, why, whylen, _("its safety "
		    "exception was approved twice by the same supervisor "
		    "(approved_by equals second_approved_by): it needs two"));
	if (blank(x->approved_by) || blank(x->second_approved_by))
		return breach(HEADER_SAFETY, why, whylen, _("its safety exception "
		    "lacks %s"), blank(x->approved_by) ? "approved_by" :
		    "second_approved_by");
	if (blank(x->reason))
		return breach(HEADER_SAFETY, why, whylen, _("its safety exception "
		    "gives no reason"));
	return HEADER_OK;
}

enum header_breach
header_basis_check(const struct header_ctx *ctx,
    const Homeward__Referral__CaseHeader *hdr, char *why, size_t whylen)
{
	if (ctx->msg_type < 1 || ctx->msg_type > 7 || hdr == NULL)
		return HEADER_OK;
	if (hdr->consent != NULL)
		return basis_consent(ctx, hdr->consent, why, whylen);
	if (hdr->safety != NULL)
		return basis_safety(hdr->safety, why, whylen);
	return HEADER_OK;
}

/* --- in_reply_to ------------------------------------------------------------- */

uint16_t
header_answers(uint16_t msg_type)
{
	switch (msg_type) {
	case 2: return 1;
	case 4: return 3;
	case 6: return 5;
	}
	return 0;
}

enum header_breach
header_reply_check(uint16_t msg_type, const struct header_reply *r, char *why,
    size_t whylen)
{
	uint16_t want = header_answers(msg_type);

	if (want == 0)
		return HEADER_OK;
	if (r->zero)
		return breach(HEADER_IN_REPLY_TO, why, whylen, _("an answer names the "
		    "%s%s it answers in in_reply_to; it is all zeros"),
		    want == 5 ? "final " : "", flow_step_name(want));
	if (!r->ours || r->msg_type != want ||
	    (want == 5 && r->kind != DEP(FINAL)))
		return breach(HEADER_IN_REPLY_TO, why, whylen, _("its in_reply_to "
		    "names no %s%s this agency sent in the thread"),
		    want == 5 ? "final " : "", flow_step_name(want));
	return HEADER_OK;
}

/* --- times ------------------------------------------------------------------- */

static enum header_breach
met_times(const Homeward__Referral__ArrivalConfirmation *a,
    const Homeward__Referral__DepartureNotification *final, uint64_t sent,
    char *why, size_t whylen)
{
	uint64_t first, last;

	if (a->arrived_at > sent + HEADER_SKEW_MS)
		return breach(HEADER_TIME, why, whylen, _("its arrived_at is after "
		    "the document was sent"));
	if (final == NULL || final->n_legs == 0)
		return HEADER_OK;
	first = final->legs[0]->departure;
	last = final->legs[final->n_legs - 1]->arrival;
	if (first != 0 && a->arrived_at < first)
		return breach(HEADER_TIME, why, whylen, _("its arrived_at is before "
		    "the first leg of the final departure departs"));
	if (last > a->arrived_at + HEADER_MET_EARLY_MS)
		return breach(HEADER_TIME, why, whylen, _("its arrived_at is more "
		    "than %llu h before the last leg's scheduled arrival"),
		    (unsigned long long)(HEADER_MET_EARLY_MS / 3600000));
	return HEADER_OK;
}

enum header_breach
header_time_check(uint16_t msg_type, const ProtobufCMessage *doc,
    const Homeward__Referral__DepartureNotification *final, uint64_t sent,
    char *why, size_t whylen)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;
	const Homeward__Referral__ArrivalConfirmation *ac = (const void *)doc;

	if (doc == NULL)
		return HEADER_OK;
	if (msg_type == 5 && doc->descriptor ==
	    &homeward__referral__departure_notification__descriptor &&
	    dn->kind == DEP(FINAL) && dn->n_legs > 0 &&
	    dn->legs[0]->departure > sent + HEADER_FINAL_AHEAD_MS)
		return breach(HEADER_TIME, why, whylen, _("a final departure notice "
		    "says she departed, but its first leg departs more than "
		    "%llu h after it was sent"),
		    (unsigned long long)(HEADER_FINAL_AHEAD_MS / 3600000));
	if (msg_type == 6 && doc->descriptor ==
	    &homeward__referral__arrival_confirmation__descriptor &&
	    ac->outcome == HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_MET &&
	    ac->arrived_at != 0)
		return met_times(ac, final, sent, why, whylen);
	return HEADER_OK;
}

/* --- the itinerary ----------------------------------------------------------- */

struct text {
	char           *buf;
	size_t          len, off;
	int             full;
};

static void text_add(struct text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->off, t->len - t->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->off) {
		t->full = 1;
		t->off = t->len - 1;
	} else
		t->off += (size_t)n;
}

static int
str_differ(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

/* The names of the fields of leg i that changed. */
static void
leg_diff(const Homeward__Referral__TravelLeg *a, const Homeward__Referral__TravelLeg *b,
    size_t i, struct text *t, int *changed)
{
	const char     *what[9];
	size_t          n = 0;

	if (a->mode != b->mode) what[n++] = "mode";
	if (str_differ(a->carrier, b->carrier)) what[n++] = "carrier";
	if (str_differ(a->number, b->number)) what[n++] = "number";
	if (str_differ(a->from_place, b->from_place)) what[n++] = "from_place";
	if (str_differ(a->from_zone, b->from_zone)) what[n++] = "from_zone";
	if (str_differ(a->to_place, b->to_place)) what[n++] = "to_place";
	if (str_differ(a->to_zone, b->to_zone)) what[n++] = "to_zone";
	if (a->departure != b->departure) what[n++] = "departure";
	if (a->arrival != b->arrival) what[n++] = "arrival";
	if (n == 0)
		return;
	text_add(t, "%sleg %zu:", *changed ? "; " : "", i + 1);
	for (size_t k = 0; k < n; k++)
		text_add(t, "%s %s", k ? "," : "", what[k]);
	*changed = 1;
}

int
header_itinerary_diff(const Homeward__Referral__DepartureNotification *p,
    const Homeward__Referral__DepartureNotification *f, int *changed, char *buf,
    size_t len)
{
	struct text     t = { buf, len, 0, 0 };
	size_t          common = p->n_legs < f->n_legs ? p->n_legs : f->n_legs;

	*changed = 0;
	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (p->n_legs != f->n_legs) {
		text_add(&t, "legs %zu -> %zu", p->n_legs, f->n_legs);
		*changed = 1;
	}
	for (size_t i = 0; i < common; i++)
		leg_diff(p->legs[i], f->legs[i], i, &t, changed);
	if (str_differ(p->arrival_place, f->arrival_place)) {
		text_add(&t, "%sarrival_place", *changed ? "; " : "");
		*changed = 1;
	}
	if (str_differ(p->arrival_zone, f->arrival_zone)) {
		text_add(&t, "%sarrival_zone", *changed ? "; " : "");
		*changed = 1;
	}
	return t.full ? -ENOSPC : 0;
}
