/*
 * The language of a printed document (pdf.h): the "homeward-notice"
 * catalogue of the language asked for with --language, looked up with
 * gettext.  What she reads must not depend on how the operator's
 * terminal is set, so each lookup names her language itself: LANGUAGE
 * set to her catalogue under a C.UTF-8 messages locale (glibc ignores
 * LANGUAGE under "C") for the one dgettext call, then the operator's
 * LANGUAGE again, so the CLI's own messages stay in the operator's
 * language.  glibc's _nl_msg_cat_cntr is bumped at each change, as the
 * gettext manual says a program that changes LANGUAGE must.
 */
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "common/i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

#define DOMAIN          "homeward-notice"

extern int _nl_msg_cat_cntr;

/* Languages written right to left (primary subtags). */
static const char *const rtl_langs[] = { "ar", "fa", "he", "ps", "ur", "yi" };

/* 0 when dir holds lang's catalogue, else -ENOENT. */
static int
catalogue(const char *dir, const char *lang)
{
	char            path[PATH_MAX];
	struct stat     sb;

	if (snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/%s.mo", dir, lang,
	    DOMAIN) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &sb) != 0)
		return -errno;
	return S_ISREG(sb.st_mode) ? 0 : -ENOENT;
}

/* l->cat's catalogue bound and a locale to look it up under. */
static int
lang_bind(struct pdf_lang *l, const char *dir)
{
	const char *op = getenv("LANGUAGE");

	if (bindtextdomain(DOMAIN, dir) == NULL ||
	    bind_textdomain_codeset(DOMAIN, "UTF-8") == NULL)
		return -ENOMEM;
	if ((l->loc = newlocale(LC_MESSAGES_MASK, "C.UTF-8", (locale_t)0)) ==
	    (locale_t)0)
		return -errno;
	if (op != NULL && (l->operator_language = strdup(op)) == NULL) {
		freelocale(l->loc);
		l->loc = (locale_t)0;
		return -ENOMEM;
	}
	return 0;
}

int
pdf_lang_load(struct pdf_lang *l, const char *tag)
{
	const char *dir = getenv("HOMEWARD_LOCALEDIR");
	char lang[PDF_LANG_LEN], *dash;
	int rc;

	memset(l, 0, sizeof(*l));
	if (strlen(tag) >= sizeof(l->tag))
		return -1;
	snprintf(l->tag, sizeof(l->tag), "%s", tag);
	if (dir == NULL || *dir == '\0')
		dir = LOCALEDIR;
	/* pt-BR is catalogue pt_BR, else pt. */
	snprintf(lang, sizeof(lang), "%s", tag);
	if ((dash = strchr(lang, '-')) != NULL)
		*dash = '_';
	for (size_t i = 0; i < sizeof(rtl_langs) / sizeof(rtl_langs[0]); i++)
		if (strncmp(lang, rtl_langs[i], 2) == 0 &&
		    (lang[2] == '\0' || lang[2] == '_'))
			l->rtl = 1;
	pdf_time_isolate(l->rtl);
	if (strcmp(lang, "en") == 0 || strncmp(lang, "en_", 3) == 0)
		return 0;
	if ((rc = catalogue(dir, lang)) == -ENOENT && dash != NULL) {
		*dash = '\0';
		rc = catalogue(dir, lang);
	}
	if (rc == 0 && (rc = lang_bind(l, dir)) == 0) {
		snprintf(l->cat, sizeof(l->cat), "%s", lang);
		return 0;
	}
	if (rc == -ENOENT)
		cli_warnx(_("there is no translation into '%s' of the notices and "
		    "reports: use --language en, fr, ar, es or pt (or add "
		    "po-notice/%s.po)"), tag, lang);
	else
		cli_warn_errno(-rc, _("cannot read the catalogue for '%s' in %s"),
		    tag, dir);
	return -1;
}

void
pdf_lang_free(struct pdf_lang *l)
{
	if (l->loc != (locale_t)0)
		freelocale(l->loc);
	l->loc = (locale_t)0;
	free(l->operator_language);
	l->operator_language = NULL;
	l->cat[0] = '\0';
}

const char *
pdf_tr(const struct pdf_lang *l, const char *msgid)
{
	locale_t        was;
	const char     *t;

	if (l->cat[0] == '\0' || l->loc == (locale_t)0)
		return msgid;
	was = uselocale(l->loc);
	if (setenv("LANGUAGE", l->cat, 1) != 0) {
		uselocale(was);
		return msgid;
	}
	++_nl_msg_cat_cntr;
	t = dgettext(DOMAIN, msgid);
	if (l->operator_language != NULL)
		(void)setenv("LANGUAGE", l->operator_language, 1);
	else
		(void)unsetenv("LANGUAGE");
	++_nl_msg_cat_cntr;
	uselocale(was);
	return t;
}
