/*
 * Does the consent notice she was given explain exactly the consent being
 * recorded (consent.h)?  Seed 002 6.4.1: data goes only after she was
 * told how and to whom; a notice for other agencies, steps or kinds of
 * data told her something else.  Pure: the caller parsed the notice.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/rules/consent.h"
#include "proto/notice.h"
#include "proto/refcat.h"

static int
named(const struct notice_head *h, const char *agency)
{
	for (size_t i = 0; i < h->nto; i++)
		if (strcmp(h->to[i], agency) == 0)
			return 1;
	return 0;
}

static int
recorded(const struct consent *c, const char *agency)
{
	for (size_t i = 0; i < c->nrecipients; i++)
		if (strncmp(c->recipients[i], agency, CONSENT_RECIPIENT_LEN) == 0)
			return 1;
	return 0;
}

/* "1,2,5" */
static void
steps_format(uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned s = 1; s <= 7 && off < len; s++)
		if (mask & (1u << s))
			off += (size_t)snprintf(buf + off, len - off, "%s%u",
			    off ? "," : "", s);
}

#define REDO "; make the notice for exactly this consent ('homeward consent " \
    "notice' with the same --to, --steps and --categories), explain it to " \
    "her, and record it with that notice"

int
consent_notice_matches(const struct notice_head *h, const char *code,
    const struct consent *c, char *why, size_t whylen)
{
	char have[128], want[128];

	if (strcmp(h->code, code) != 0) {
		snprintf(why, whylen, "the notice is for case %s, not %s" REDO,
		    h->code, code);
		return -1;
	}
	for (size_t i = 0; i < c->nrecipients; i++)
		if (!named(h, c->recipients[i])) {
			snprintf(why, whylen, "the notice does not name agency %s, "
			    "which this consent names" REDO, c->recipients[i]);
			return -1;
		}
	for (size_t i = 0; i < h->nto; i++)
		if (!recorded(c, h->to[i])) {
			snprintf(why, whylen, "the notice names agency %s, which this "
			    "consent does not" REDO, h->to[i]);
			return -1;
		}
	if (h->steps != c->steps) {
		steps_format(h->steps, have, sizeof(have));
		steps_format(c->steps, want, sizeof(want));
		snprintf(why, whylen, "the notice covers steps %s, this consent "
		    "steps %s" REDO, have, want);
		return -1;
	}
	if (h->categories != c->categories) {
		if (refcat_mask_format(h->categories, have, sizeof(have)) != 0)
			snprintf(have, sizeof(have), "0x%x", h->categories);
		if (refcat_mask_format(c->categories, want, sizeof(want)) != 0)
			snprintf(want, sizeof(want), "0x%x", c->categories);
		snprintf(why, whylen, "the notice covers the categories %s, this "
		    "consent %s" REDO, have[0] ? have : "none", want[0] ? want :
		    "none");
		return -1;
	}
	return 0;
}
