/*
 * The person's profile in a case (case_profile.h): decoding it, comparing
 * a document's with the case's, the more protective of the two for the
 * travel rules, applying an update, and keeping what the documents last
 * stated.  The comparisons are pure; the last few functions read and
 * write the store (cases.profile and cases.doc_profile, both under the
 * case key).  Values go to the operator only, never to the log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "daemon/case/case_profile.h"
#include "daemon/core/core.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"

#define SEX(x)          HOMEWARD__REFERRAL__SEX__SEX_##x
#define BAND(x)         HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_##x

/* --- reading a profile --------------------------------------------------- */

void
case_profile_from(const Homeward__Referral__Profile *pf, struct case_profile *out)
{
	memset(out, 0, sizeof(*out));
	if (pf == NULL)
		return;
	out->stated = 1;
	out->sex = pf->sex;
	out->age = pf->age;
	out->age_band = pf->age_band;
	out->minor = pf->minor;
}

int
case_profile_decode(const uint8_t *raw, size_t len, struct case_profile *out)
{
	Homeward__Referral__Profile *pf;

	case_profile_from(NULL, out);
	if (len == 0)
		return 0;
	if ((pf = homeward__referral__profile__unpack(&pbwipe_allocator, len,
	    raw)) == NULL)
		return -EBADMSG;
	case_profile_from(pf, out);
	homeward__referral__profile__free_unpacked(pf, &pbwipe_allocator);
	return 0;
}

int
case_profile_minor(const struct case_profile *p)
{
	if (p->minor || (p->age > 0 && p->age < CASE_ADULT_AGE) ||
	    p->age_band == BAND(UNDER_12) || p->age_band == BAND(12_TO_17))
		return 1;
	if (p->age >= CASE_ADULT_AGE || p->age_band >= BAND(18_TO_24))
		return 0;
	return -1;
}

const char *
case_profile_sex_name(int sex)
{
	switch (sex) {
	case SEX(FEMALE):
		return "female";
	case SEX(MALE):
		return "male";
	case SEX(OTHER):
		return "other";
	}
	return NULL;
}

static const char *
band_name(int band)
{
	switch (band) {
	case BAND(UNDER_12):
		return "under 12";
	case BAND(12_TO_17):
		return "12-17";
	case BAND(18_TO_24):
		return "18-24";
	case BAND(25_TO_39):
		return "25-39";
	case BAND(40_AND_OVER):
		return "40 and over";
	}
	return NULL;
}

static int
band_of(uint32_t age)
{
	if (age == 0)
		return 0;
	if (age < 12)
		return BAND(UNDER_12);
	if (age < CASE_ADULT_AGE)
		return BAND(12_TO_17);
	if (age < 25)
		return BAND(18_TO_24);
	if (age < 40)
		return BAND(25_TO_39);
	return BAND(40_AND_OVER);
}

/* --- a document against the case ---------------------------------------- */

static size_t
cat(char *buf, size_t len, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
cat(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (off >= len)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	return n < 0 ? off : off + (size_t)n;
}

/* "age 15 (a minor), sex female": what p says of the fields that differ. */
static void
describe(const struct case_profile *p, unsigned fields, char *buf, size_t len)
{
	const char *who;
	size_t      off = 0;
	int         m = case_profile_minor(p);

	buf[0] = '\0';
	who = m == 1 ? _("a minor") : m == 0 ? _("an adult") :
	    _("age not stated");
	if (fields & (CASE_PF_AGE | CASE_PF_MINOR)) {
		if (p->age > 0)
			off = cat(buf, len, off, _("age %u (%s)"), p->age, who);
		else if (band_name(p->age_band) != NULL)
			off = cat(buf, len, off, _("age %s (%s)"),
			    band_name(p->age_band), who);
		else
			off = cat(buf, len, off, "%s", who);
	}
	if (fields & CASE_PF_SEX) {
		off = cat(buf, len, off, "%s", off > 0 ? ", " : "");
		cat(buf, len, off, _("sex %s"), case_profile_sex_name(p->sex));
	}
}

/* The options of `homeward case update` that make the case say what the
 * document says; -1 when the document contradicts itself (an adult age
 * and the minor flag): then only the document can be corrected. */
static int
fix_options(const struct case_profile *rec, const struct case_profile *doc,
    unsigned fields, char *buf, size_t len)
{
	int     m = case_profile_minor(doc);
	size_t  off = 0;

	buf[0] = '\0';
	if (doc->minor && doc->age >= CASE_ADULT_AGE)
		return -1;
	if (doc->age > 0 && (fields & (CASE_PF_AGE | CASE_PF_MINOR)))
		off = cat(buf, len, off, " --age %u", doc->age);
	else if (fields & CASE_PF_MINOR) {
		/* Minority alone: an age the case holds must go with it. */
		off = cat(buf, len, off, " %s", m == 1 ? "--minor" : "--adult");
		if (rec->age > 0)
			off = cat(buf, len, off, " --age N");
	}
	if (fields & CASE_PF_SEX)
		cat(buf, len, off, " --sex %s", case_profile_sex_name(doc->sex));
	return 0;
}

int
case_profile_compare(const struct case_profile *rec,
    const struct case_profile *doc, const char *code, char *why, size_t whylen)
{
	char            said[96], recs[96], fix[64];
	unsigned        fields = 0;
	int             mr = case_profile_minor(rec), md = case_profile_minor(doc);

	if (rec->sex != 0 && doc->sex != 0 && rec->sex != doc->sex)
		fields |= CASE_PF_SEX;
	if (rec->age > 0 && doc->age > 0 && rec->age != doc->age)
		fields |= CASE_PF_AGE;
	if (mr >= 0 && md >= 0 && mr != md)
		fields |= CASE_PF_MINOR;
	if (fields == 0)
		return 0;
	describe(doc, fields, said, sizeof(said));
	describe(rec, fields, recs, sizeof(recs));
	if (fix_options(rec, doc, fields, fix, sizeof(fix)) != 0)
		snprintf(why, whylen, _("the document says %s; case %s says %s: "
		    "correct the document"), said, code, recs);
	else
		snprintf(why, whylen, _("the document says %s; case %s says %s: "
		    "correct the case with `homeward case update %s%s`%s, or the "
		    "document"), said, code, recs, code, fix,
		    strstr(fix, " N") != NULL ? _(" (N: the person's age)") : "");
	return -EPERM;
}

/*
 * The more protective of two profiles, for the travel rules (rules/
 * travel.c), which read two things of the person:
 *   - escort_minor: a minor travels escorted.  She is a minor if either
 *     says so: the flag, an age under 18 or an age band under 18.  Of
 *     two ages the lower is kept (the one that makes her a minor).
 *   - escort_female: a girl travels with a female escort.  It is the only
 *     rule that asks for an escort of her sex, so where the two differ
 *     and either says female, she is taken as female; otherwise the
 *     first's (the case's) sex stands, or the second's if it has none.
 * Nothing is lost by being wrong this way but an escort who was not
 * strictly needed; a supervisor may still waive a rule with a reason.
 */
void
case_profile_merge(const struct case_profile *a, const struct case_profile *b,
    struct case_profile *out)
{
	struct case_profile m;

	memset(&m, 0, sizeof(m));
	m.stated = a->stated || b->stated;
	m.minor = case_profile_minor(a) == 1 || case_profile_minor(b) == 1;
	if (a->age > 0 && (b->age == 0 || a->age <= b->age))
		m.age = a->age;
	else
		m.age = b->age;
	m.age_band = band_of(m.age);
	if (m.age_band == 0)
		m.age_band = a->age_band == 0 || (b->age_band != 0 &&
		    b->age_band < a->age_band) ? b->age_band : a->age_band;
	if (a->sex == SEX(FEMALE) || b->sex == SEX(FEMALE))
		m.sex = SEX(FEMALE);
	else
		m.sex = a->sex != 0 ? a->sex : b->sex;
	*out = m;
}

void
case_profile_person(const struct case_profile *p, struct travel_person *out)
{
	memset(out, 0, sizeof(*out));
	out->minor = case_profile_minor(p) == 1;
	out->sex = p->sex;
}

/* --- an update ------------------------------------------------------------ */

int
case_profile_apply(Homeward__Referral__Profile *pf,
    const Homeward__Referral__Profile *upd, unsigned fields, unsigned *changed,
    char *why, size_t whylen)
{
	Homeward__Referral__Profile     n = *pf;

	*changed = 0;
	if (fields & CASE_PF_SEX)
		n.sex = upd->sex;
	if (fields & CASE_PF_AGE) {
		n.age = upd->age;
		n.age_band = band_of(upd->age);
		/* A new age says whether she is a minor, unless told. */
		if (!(fields & CASE_PF_MINOR) && upd->age > 0)
			n.minor = upd->age < CASE_ADULT_AGE;
	}
	if (fields & CASE_PF_MINOR)
		n.minor = upd->minor;
	if (n.minor && n.age >= CASE_ADULT_AGE) {
		snprintf(why, whylen, _("the case says age %u: a minor is under %d; "
		    "give the age with --age too"), n.age, CASE_ADULT_AGE);
		return -EINVAL;
	}
	if (!n.minor && case_profile_minor(&(struct case_profile){ .age = n.age,
	    .age_band = n.age_band }) == 1) {
		char age[16];

		if (n.age > 0)
			snprintf(age, sizeof(age), "%u", n.age);
		else
			snprintf(age, sizeof(age), "%s", band_name(n.age_band));
		snprintf(why, whylen, _("the case says age %s: an adult is %d or "
		    "over; give the age with --age too"), age, CASE_ADULT_AGE);
		return -EINVAL;
	}
	if (n.sex != pf->sex)
		*changed |= CASE_PF_SEX;
	if (n.age != pf->age || n.age_band != pf->age_band)
		*changed |= CASE_PF_AGE;
	if (n.minor != pf->minor)
		*changed |= CASE_PF_MINOR;
	pf->sex = n.sex;
	pf->age = n.age;
	pf->age_band = n.age_band;
	pf->minor = n.minor;
	return 0;
}

static const struct {
	unsigned        bit;
	const char     *name;
} field_names[] = {
	{ CASE_PF_SEX, "sex" },
	{ CASE_PF_AGE, "age" },
	{ CASE_PF_MINOR, "minor" },
};
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]))

int
case_profile_fields(char *const *names, size_t n, unsigned *fields, char *why,
    size_t whylen)
{
	size_t k;

	*fields = 0;
	for (size_t i = 0; i < n; i++) {
		for (k = 0; k < NFIELDS; k++)
			if (names[i] != NULL && strcmp(names[i], field_names[k].name) == 0)
				break;
		if (k == NFIELDS) {
			snprintf(why, whylen, _("a profile's fields are sex, age and "
			    "minor"));
			return -EINVAL;
		}
		*fields |= field_names[k].bit;
	}
	if (*fields == 0) {
		snprintf(why, whylen, _("name what changes: --sex, --age, --minor or "
		    "--adult"));
		return -EINVAL;
	}
	return 0;
}

void
case_profile_fields_format(unsigned fields, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < NFIELDS; k++)
		if (fields & field_names[k].bit)
			off = cat(buf, len, off, "%s%s", off > 0 ? ", " : "",
			    field_names[k].name);
}

/* --- with the store -------------------------------------------------------- */

typedef int (*profile_read)(struct store *, const struct store_case *,
    uint8_t **, size_t *);

static int
load(struct daemon *d, const struct store_case *c, profile_read read,
    struct case_profile *out)
{
	uint8_t        *raw = NULL;
	size_t          len = 0;
	int             rc;

	case_profile_from(NULL, out);
	if ((rc = read(d->store, c, &raw, &len)) != 0)
		return rc;
	rc = case_profile_decode(raw, len, out);
	secret_free(raw);
	return rc;
}

int
case_profile_get(struct daemon *d, const struct store_case *c,
    struct case_profile *rec, struct case_profile *docs,
    struct case_profile *rules)
{
	int rc;

	if ((rc = load(d, c, store_case_profile, rec)) != 0 ||
	    (rc = load(d, c, store_case_doc_profile, docs)) != 0)
		return rc;
	case_profile_merge(rec, docs, rules);
	return 0;
}

int
case_profile_travel(struct daemon *d, const struct store_case *c,
    struct travel_person *out)
{
	struct case_profile rec, docs, rules;
	int                 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = case_profile_get(d, c, &rec, &docs, &rules)) != 0)
		return rc;
	case_profile_person(&rules, out);
	return 0;
}

static const Homeward__Referral__Profile *
doc_profile_of(uint16_t msg_type, const ProtobufCMessage *doc)
{
	if (msg_type != ENV1_MSG_ASSISTANCE_REQUEST || doc == NULL)
		return NULL;
	return ((const Homeward__Referral__AssistanceRequest *)doc)->profile;
}

int
case_profile_check(struct daemon *d, const struct store_case *c,
    uint16_t msg_type, const ProtobufCMessage *doc, char *why, size_t whylen)
{
	const Homeward__Referral__Profile      *pf;
	struct case_profile                     rec, said;
	int                                     rc;

	if ((pf = doc_profile_of(msg_type, doc)) == NULL)
		return 0;
	if ((rc = load(d, c, store_case_profile, &rec)) != 0)
		return rc;
	case_profile_from(pf, &said);
	return case_profile_compare(&rec, &said, c->code, why, whylen);
}

int
case_profile_keep(struct daemon *d, const struct store_case *c,
    uint16_t msg_type, const ProtobufCMessage *doc)
{
	Homeward__Referral__Profile      kept = HOMEWARD__REFERRAL__PROFILE__INIT;
	const Homeward__Referral__Profile *pf;
	uint8_t                          *raw;
	size_t                            len;
	int                               rc;

	if ((pf = doc_profile_of(msg_type, doc)) == NULL)
		return 0;
	/* Only what the rules read: the rest stays in the document. */
	kept.sex = pf->sex;
	kept.age = pf->age;
	kept.age_band = pf->age_band;
	kept.minor = pf->minor;
	/* Packed here, not by case_doc.c: this file calls no other of the
	 * room, so that any of them may ask it who is a minor. */
	if ((raw = secret_alloc(homeward__referral__profile__get_packed_size(
	    &kept) + 1)) == NULL)
		return -ENOMEM;
	len = homeward__referral__profile__pack(&kept, raw);
	rc = store_case_set_doc_profile(d->store, c, raw, len);
	secret_free(raw);
	return rc;
}
