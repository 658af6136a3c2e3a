/*
 * The codes this office gives its cases (case.h): "code numbers in lieu of
 * names".  The characters are case_code_valid's; on top of them, the code
 * of a case we open follows this office's case_code_pattern (a POSIX
 * extended regular expression, homewardd.conf [procedure], matching the
 * whole code) or, without one, has at least one digit and at most one run
 * of three letters or more: "Aminata.Traore" and "Aminata.Traore.1985"
 * are names, not codes; "CI-ABJ-2026-0042" is a code.
 * Codes partners give their cases are theirs and only need the
 * characters.  The refusals never repeat the code: it may be a name.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/lang.h"
#include "daemon/case/case.h"
#include "daemon/core/core.h"

/* Runs of three letters or more: words, as a name has two of them. */
static unsigned
word_runs(const char *code)
{
	unsigned        runs = 0, len = 0;

	for (const char *s = code;; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
			len++;
			continue;
		}
		if (len >= 3)
			runs++;
		len = 0;
		if (*s == '\0')
			return runs;
	}
}

int
case_code_allowed(const struct daemon *d, const char *code, char *why,
    size_t whylen)
{
	const char     *pattern = d->cfg.case_code_pattern;
	regmatch_t      m;
	regex_t         re;
	int             rc;

	if (pattern[0] == '\0') {
		if (strpbrk(code, "0123456789") != NULL && word_runs(code) < 2)
			return 0;
		snprintf(why, whylen, _("that case code looks like a name: a case "
		    "code is a code number, with at least one digit and at most one "
		    "word (for example CI-ABJ-2026-0042); never the person's name"));
		return -EINVAL;
	}
	/* Checked when the configuration was read; compiled here, where it
	 * is used, so that no compiled pattern lives in struct config. */
	if (regcomp(&re, pattern, REG_EXTENDED) != 0) {
		snprintf(why, whylen, _("case_code_pattern in %s does not compile"),
		    d->cfg.path);
		return -EINVAL;
	}
	/* The whole code, not a part of it: "Aminata-CI-2024" is no code. */
	rc = regexec(&re, code, 1, &m, 0);
	regfree(&re);
	if (rc == 0 && m.rm_so == 0 && (size_t)m.rm_eo == strlen(code))
		return 0;
	snprintf(why, whylen, _("that case code does not follow this office's "
	    "pattern %.120s (case_code_pattern in %.120s): a case code is a code "
	    "number, never the person's name"), pattern, d->cfg.path);
	return -EINVAL;
}
