/*
 * The codes this office gives its cases (case.h): "code numbers in lieu of
 * names".  The characters are case_code_valid's; on top of them, the code
 * of a case we open follows this office's case_code_pattern (a POSIX
 * extended regular expression, homewardd.conf [procedure]) or, without
 * one, has at least one digit: "Aminata.Traore" is a name, not a code.
 * Codes partners give their cases are theirs and only need the
 * characters.  The refusals never repeat the code: it may be a name.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "daemon/case/case.h"
#include "daemon/core/core.h"

int
case_code_allowed(const struct daemon *d, const char *code, char *why,
    size_t whylen)
{
	const char     *pattern = d->cfg.case_code_pattern;
	regex_t         re;
	int             rc;

	if (pattern[0] == '\0') {
		if (strpbrk(code, "0123456789") != NULL)
			return 0;
		snprintf(why, whylen, "that case code looks like a name: a case "
		    "code is a code number, with at least one digit (for example "
		    "CI-2026-0042); never the person's name");
		return -EINVAL;
	}
	/* Checked when the configuration was read; compiled here, where it
	 * is used, so that no compiled pattern lives in struct config. */
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		snprintf(why, whylen, "case_code_pattern in %s does not compile",
		    d->cfg.path);
		return -EINVAL;
	}
	rc = regexec(&re, code, 0, NULL, 0);
	regfree(&re);
	if (rc == 0)
		return 0;
	snprintf(why, whylen, "that case code does not follow this office's "
	    "pattern %.120s (case_code_pattern in %.120s): a case code is a code "
	    "number, never the person's name", pattern, d->cfg.path);
	return -EINVAL;
}
