/*
 * Names of the referral procedure for homeward's options and output
 * (refnames.h).  One table per enum, so that what an operator may type and
 * what the CLI prints cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "cli/refnames.h"
#include "common/msgtype.h"
#include "common/strnum.h"

struct name {
	uint32_t        value;
	const char     *name;
};

static const struct name steps[] = {
	{ HOMEWARD__REFERRAL__STEP__STEP_ASSISTANCE_REQUEST, "request" },
	{ HOMEWARD__REFERRAL__STEP__STEP_ASSISTANCE_CONFIRMATION, "confirmation" },
	{ HOMEWARD__REFERRAL__STEP__STEP_REINTEGRATION_REQUEST, "reintegration" },
	{ HOMEWARD__REFERRAL__STEP__STEP_REINTEGRATION_CONFIRMATION,
	  "reintegration-confirmation" },
	{ HOMEWARD__REFERRAL__STEP__STEP_DEPARTURE_NOTIFICATION, "departure" },
	{ HOMEWARD__REFERRAL__STEP__STEP_ARRIVAL_CONFIRMATION, "arrival" },
	{ HOMEWARD__REFERRAL__STEP__STEP_FOLLOW_UP_REPORT, "follow-up" },
};

/* "case" is printed (a message carries procedure data) but never parsed:
 * a consent does not cover it, it needs none. */
static const struct name categories[] = {
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_CASE, "case" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY, "identity" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_PROFILE, "profile" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_HEALTH, "health" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_SECURITY, "security" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_TRAVEL, "travel" },
	{ HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_REINTEGRATION,
	  "reintegration" },
};

static const struct name methods[] = {
	{ HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN, "written" },
	{ HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL, "oral" },
	{ HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED,
	  "oral-interpreted" },
};

static const struct name sexes[] = {
	{ HOMEWARD__REFERRAL__SEX__SEX_FEMALE, "female" },
	{ HOMEWARD__REFERRAL__SEX__SEX_MALE, "male" },
	{ HOMEWARD__REFERRAL__SEX__SEX_OTHER, "other" },
};

#define NELEM(a)        (sizeof(a) / sizeof((a)[0]))

static int
lookup(const struct name *t, size_t n, const char *s, size_t len,
    uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && strncmp(t[i].name, s, len) == 0) {
			*out = t[i].value;
			return 0;
		}
	return -1;
}

static const char *
name_of(const struct name *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return "?";
}

/* One item of a list, spaces around it dropped: a step's number or name,
 * or a category's name.  0 or -1. */
static int
item_parse(const char *s, size_t len, int numbers, const struct name *t,
    size_t n, uint32_t first, uint32_t *out)
{
	char num[4];
	uint64_t v;

	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len == 0)
		return -1;
	if (numbers && s[0] >= '0' && s[0] <= '9') {
		if (len >= sizeof(num))
			return -1;
		memcpy(num, s, len);
		num[len] = '\0';
		if (strnum_u64(num, 1, REFNAMES_STEP_MAX, &v) != 0)
			return -1;
		*out = (uint32_t)v;
		return 0;
	}
	if (lookup(t, n, s, len, out) != 0 || *out < first)
		return -1;
	return 0;
}

static int
list_parse(const char *list, int numbers, const struct name *t, size_t n,
    uint32_t first, uint32_t all, uint32_t *mask)
{
	const char *p = list, *comma;
	uint32_t m = 0, v;

	if (list == NULL || list[0] == '\0')
		return -1;
	if (strcmp(list, "all") == 0) {
		*mask = all;
		return 0;
	}
	for (;;) {
		comma = strchr(p, ',');
		if (item_parse(p, comma != NULL ? (size_t)(comma - p) : strlen(p),
		    numbers, t, n, first, &v) != 0)
			return -1;
		if ((m & (1u << v)) != 0)
			return -1;
		m |= 1u << v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*mask = m;
	return 0;
}

int
refnames_steps_parse(const char *list, uint32_t *mask)
{
	return list_parse(list, 1, steps, NELEM(steps), 1, REFNAMES_STEPS_ALL,
	    mask);
}

int
refnames_categories_parse(const char *list, uint32_t *mask)
{
	return list_parse(list, 0, categories, NELEM(categories),
	    HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY,
	    REFNAMES_CATEGORIES_ALL, mask);
}

int
refnames_method_parse(const char *s, Homeward__Referral__ConsentMethod *out)
{
	uint32_t v;

	if (s == NULL || lookup(methods, NELEM(methods), s, strlen(s), &v) != 0)
		return -1;
	*out = (Homeward__Referral__ConsentMethod)v;
	return 0;
}

int
refnames_sex_parse(const char *s, Homeward__Referral__Sex *out)
{
	uint32_t v;

	if (s == NULL || lookup(sexes, NELEM(sexes), s, strlen(s), &v) != 0)
		return -1;
	*out = (Homeward__Referral__Sex)v;
	return 0;
}

int
refnames_check_case_code(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > REFNAMES_CASE_CODE_MAX)
		return -1;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_./", *s) != NULL))
			return -1;
	return 0;
}

const char *
refnames_step_name(uint32_t step)
{
	return name_of(steps, NELEM(steps), step);
}

const char *
refnames_category_name(uint32_t category)
{
	return name_of(categories, NELEM(categories), category);
}

const char *
refnames_method_name(Homeward__Referral__ConsentMethod m)
{
	return name_of(methods, NELEM(methods), (uint32_t)m);
}

const char *
refnames_mask_format(uint32_t mask, const char *(*name)(uint32_t), char *buf,
    size_t len)
{
	size_t off = 0;
	int k;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (mask == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (uint32_t b = 0; b < 32 && off < len; b++) {
		const char *s;

		if ((mask & (1u << b)) == 0)
			continue;
		s = name(b);
		if (strcmp(s, "?") == 0)
			k = snprintf(buf + off, len - off, "%s%u", off > 0 ? "," : "", b);
		else
			k = snprintf(buf + off, len - off, "%s%s", off > 0 ? "," : "", s);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	return buf;
}

const ProtobufCMessageDescriptor *
refnames_doc_descriptor(uint32_t msg_type)
{
	switch (msg_type) {
	case ENV1_MSG_ASSISTANCE_REQUEST:
		return &homeward__referral__assistance_request__descriptor;
	case ENV1_MSG_ASSISTANCE_CONFIRMATION:
		return &homeward__referral__assistance_confirmation__descriptor;
	case ENV1_MSG_REINTEGRATION_REQUEST:
		return &homeward__referral__reintegration_request__descriptor;
	case ENV1_MSG_REINTEGRATION_CONFIRMATION:
		return &homeward__referral__reintegration_confirmation__descriptor;
	case ENV1_MSG_DEPARTURE_NOTIFICATION:
		return &homeward__referral__departure_notification__descriptor;
	case ENV1_MSG_ARRIVAL_CONFIRMATION:
		return &homeward__referral__arrival_confirmation__descriptor;
	case ENV1_MSG_FOLLOW_UP_REPORT:
		return &homeward__referral__follow_up_report__descriptor;
	case ENV1_MSG_CONSENT_WITHDRAWAL:
		return &homeward__referral__consent_withdrawal__descriptor;
	case ENV1_MSG_ERASURE_CONFIRMATION:
		return &homeward__referral__erasure_confirmation__descriptor;
	default:
		break;
	}
	return NULL;
}
