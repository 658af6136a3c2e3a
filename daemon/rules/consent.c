/*
 * The consent gate's decision and its explanation (see consent.h).
 *
 * The rule is deliberately narrow: one consent, as the person gave it,
 * must cover everything about the message.  Two consents each covering
 * part are never combined: the person agreed to each scope as a whole,
 * not to their union.  Anything the code does not recognise (a category
 * or step bit outside the schema, an agency id not terminated in its
 * slot) counts as not covered, so an unknown never leaks.
 *
 * Only steps 1..7 are gated.  A consent withdrawal and an erasure
 * confirmation carry case data only and must go whatever the consents
 * say; the caller does not ask.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "daemon/rules/consent.h"
#include "daemon/rules/flow.h"

#define CAT_CASE_BIT    (1u << 1)
#define CAT_KNOWN       0xfcu           /* DataCategory 2..7 */
#define STEP_FIRST      1
#define STEP_LAST       7

/* Until refcat_name exists; indexed by DataCategory. */
static const char *const category_names[] = {
	NULL, "case", "identity", "profile", "health", "security", "travel",
	"reintegration",
};

struct lack {
	int             recipient, step, expired, withdrawn;
	uint32_t        categories;
};

static int
recipient_listed(const struct consent *c, const char *recipient)
{
	size_t n = c->nrecipients;

	if (recipient == NULL || recipient[0] == '\0')
		return 0;
	if (n > CONSENT_MAX_RECIPIENTS)
		n = CONSENT_MAX_RECIPIENTS;
	for (size_t i = 0; i < n; i++) {
		if (memchr(c->recipients[i], '\0', CONSENT_RECIPIENT_LEN) == NULL)
			continue;
		if (strcmp(c->recipients[i], recipient) == 0)
			return 1;
	}
	return 0;
}

static unsigned
popcount32(uint32_t v)
{
	unsigned n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* What c lacks for need, and how many things that is. */
static unsigned
assess(const struct consent *c, const struct consent_need *need,
    struct lack *l)
{
	l->recipient = !recipient_listed(c, need->recipient);
	l->step = !(need->step >= STEP_FIRST && need->step <= STEP_LAST &&
	    (c->steps & (1u << need->step)) != 0);
	l->expired = c->expires_at != 0 && need->now >= c->expires_at;
	l->withdrawn = c->withdrawn_at != 0;
	l->categories = need->categories & ~CAT_CASE_BIT &
	    ~(c->categories & CAT_KNOWN);
	return (unsigned)(l->recipient + l->step + l->expired + l->withdrawn) +
	    popcount32(l->categories);
}

void
consent_decide(const struct consent *consents, size_t n,
    const struct consent_need *need, struct consent_verdict *v)
{
	struct lack l, best_l = { 0 };
	unsigned count, best_count = 0;
	size_t best = n;
	int in_force, best_in_force = 0;

	memset(v, 0, sizeof(*v));
	v->no_consent = 1;
	for (size_t i = 0; i < n; i++) {
		count = assess(&consents[i], need, &l);
		if (count == 0) {
			v->covered = 1;
			v->named = 1;
			v->no_consent = 0;
			memcpy(v->consent_id, consents[i].id, sizeof(v->consent_id));
			return;
		}
		in_force = !l.expired && !l.withdrawn;
		if (in_force)
			v->no_consent = 0;
		if (best == n || count < best_count ||
		    (count == best_count && in_force && !best_in_force)) {
			best = i;
			best_count = count;
			best_in_force = in_force;
			best_l = l;
		}
	}
	if (best == n) {
		/* Nothing at all: everything is missing. */
		v->recipient_missing = 1;
		v->step_missing = 1;
		v->categories_missing = need->categories & ~CAT_CASE_BIT;
		return;
	}
	v->named = 1;
	memcpy(v->consent_id, consents[best].id, sizeof(v->consent_id));
	v->recipient_missing = best_l.recipient;
	v->step_missing = best_l.step;
	v->expired = best_l.expired;
	v->withdrawn = best_l.withdrawn;
	v->categories_missing = best_l.categories;
}

struct line {
	char           *buf;
	size_t          len, pos;
	int             truncated;
};

static void
line_add(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->pos, l->len - l->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->len - l->pos) {
		l->truncated = 1;
		return;
	}
	l->pos += (size_t)n;
}

/* "identity, health", or "category 9" for a bit of no known category. */
static void
add_categories(struct line *l, uint32_t cats)
{
	int first = 1;

	for (unsigned c = 0; c < 32; c++) {
		if ((cats & (1u << c)) == 0)
			continue;
		if (c < sizeof(category_names) / sizeof(category_names[0]) &&
		    category_names[c] != NULL)
			line_add(l, "%s%s", first ? "" : ", ", category_names[c]);
		else
			line_add(l, "%scategory %u", first ? "" : ", ", c);
		first = 0;
	}
}

static const char *
step_name(unsigned step)
{
	if (step < STEP_FIRST || step > STEP_LAST)
		return "no step of the procedure";
	return flow_step_name((uint16_t)step);
}

int
consent_explain(const struct consent_verdict *v,
    const struct consent_need *need, char *buf, size_t len)
{
	struct line l = { buf, len, 0, 0 };
	char cats[512], lacking[640];
	struct line c = { cats, sizeof(cats), 0, 0 };
	struct line k = { lacking, sizeof(lacking), 0, 0 };
	const char *r = need->recipient != NULL && need->recipient[0] != '\0' ?
	    need->recipient : "(none)";
	uint32_t what;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	cats[0] = lacking[0] = '\0';
	if (v->covered) {
		line_add(&l, "%s", _("released under consent "));
		for (size_t i = 0; i < sizeof(v->consent_id); i++)
			line_add(&l, "%02x", v->consent_id[i]);
		return l.truncated ? -ENOSPC : 0;
	}

	/* What the message carries that no consent covers, or all of it. */
	what = v->categories_missing != 0 ? v->categories_missing :
	    need->categories & ~CAT_CASE_BIT;
	if (what != 0)
		add_categories(&c, what);
	else
		line_add(&c, "%s", _("this message"));
	/* "held: " is the state, said by whoever shows it (case_gate takes
	 * it off): never translated. */
	line_add(&l, "held: ");
	/* TRANSLATORS: why a document is held: the categories it carries
	 * (identity, health, ... as the protocol names them), the agency,
	 * the step's number and name. */
	line_add(&l, _("no consent covers %s for agency %s at step %u (%s)"),
	    cats, r, need->step, step_name(need->step));

	if (!v->named) {
		line_add(&l, "%s", _("; the case has no consent; record one that "
		    "includes them"));
		return l.truncated || c.truncated ? -ENOSPC : 0;
	}

	line_add(&l, _("; consent %02x%02x%02x%02x"), v->consent_id[0],
	    v->consent_id[1], v->consent_id[2], v->consent_id[3]);
	if (v->withdrawn && v->expired)
		line_add(&l, "%s", _(" was withdrawn and expired"));
	else if (v->withdrawn)
		line_add(&l, "%s", _(" was withdrawn"));
	else if (v->expired)
		line_add(&l, "%s", _(" expired"));
	/* What the consent lacks: "agency X, step N, health". */
	if (v->recipient_missing)
		line_add(&k, _("agency %s"), r);
	if (v->step_missing) {
		line_add(&k, "%s", k.pos > 0 ? ", " : "");
		line_add(&k, _("step %u"), need->step);
	}
	if (v->categories_missing != 0) {
		line_add(&k, "%s", k.pos > 0 ? ", " : "");
		add_categories(&k, v->categories_missing);
	}
	if (k.pos > 0)
		line_add(&l, v->withdrawn || v->expired ? _(" and lacks %s") :
		    _(" lacks %s"), lacking);

	if (v->no_consent && v->withdrawn)
		line_add(&l, "%s", _("; the case has no consent in force: only a "
		    "new consent the person gives can release it"));
	else if (v->no_consent)
		line_add(&l, "%s", _("; the case has no consent in force: record a "
		    "new one that includes them"));
	else
		line_add(&l, "%s", _("; record a consent that includes them"));
	return l.truncated || c.truncated || k.truncated ? -ENOSPC : 0;
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int
refuse(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		(void)snprintf(why, whylen, "%s", msg);
	return -EPERM;
}

int
consent_safety_check(const char *approver_a, const char *approver_b,
    const char *reason, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (approver_a == NULL || approver_a[0] == '\0')
		return refuse(why, whylen, _("a safety exception needs two "
		    "supervisors: the first approval is missing"));
	if (approver_b == NULL || approver_b[0] == '\0')
		return refuse(why, whylen, _("a safety exception needs two "
		    "supervisors: the second approval is missing"));
	if (strcmp(approver_a, approver_b) == 0)
		return refuse(why, whylen, _("a safety exception needs two "
		    "different supervisors: the same one approved twice"));
	if (blank(reason))
		return refuse(why, whylen, _("a safety exception needs a reason"));
	return 0;
}
