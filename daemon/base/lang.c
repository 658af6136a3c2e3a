/*
 * The request's language for _() (lang.h).  glibc's gettext reads
 * LANGUAGE only when the locale of LC_MESSAGES is not "C", so a lookup
 * runs under a per-thread "C.UTF-8" locale (uselocale) while LANGUAGE
 * names the request's language; the process locale stays "C", where
 * gettext ignores LANGUAGE and every other lookup (strerror in a log
 * line) stays English.  LANGUAGE changes only when a request asks for
 * another language than the last one, and then _nl_msg_cat_cntr is
 * incremented, as the gettext manual says a program changing LANGUAGE at
 * run time must, so that no translation cached for the previous language
 * is returned.
 *
 * LANGUAGE only ever holds the name of an installed catalogue (checked
 * with stat), never what a client sent: gettext keeps an entry for every
 * language name it was asked to look in, so client-chosen names would
 * grow the daemon without bound.
 */
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/base/lang.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

#define LANG_ENTRIES_MAX        8       /* entries of a LANGUAGE list looked at */
#define LANG_NAME_MAX           8       /* "ll" / "lll" / "ll_TT" */

/* glibc's catalogue generation counter (the gettext manual, "Being a
 * gettext grok"). */
extern int _nl_msg_cat_cntr;

static locale_t lang_locale;            /* C.UTF-8 for LC_MESSAGES, or 0 */
static char     lang_dir[PATH_MAX];
static char     lang_set[LANG_NAME_MAX];        /* LANGUAGE as last set */
static char     lang_now[LANG_NAME_MAX];        /* this request's, or "" */
static int      lang_paused;            /* lang_pause depth */

void
lang_init(void)
{
	const char *dir = getenv("HOMEWARD_LOCALEDIR");

	if (dir == NULL || *dir == '\0')
		dir = LOCALEDIR;
	if (strlen(dir) >= sizeof(lang_dir))
		return;                 /* no catalogue: English */
	memcpy(lang_dir, dir, strlen(dir) + 1);
	bindtextdomain(I18N_DOMAIN, lang_dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	lang_locale = newlocale(LC_MESSAGES_MASK, "C.UTF-8", (locale_t)0);
	/* The variable exists from now on: later changes replace its value
	 * in place.  Ignored by gettext under the process's "C" locale. */
	setenv("LANGUAGE", "", 1);
}

/* 1 when name's catalogue is installed. */
static int
lang_installed(const char *name)
{
	char            path[PATH_MAX + 64];
	struct stat     sb;

	if (snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/%s.mo", lang_dir,
	    name, I18N_DOMAIN) >= (int)sizeof(path))
		return 0;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * One entry of the list ("fr", "fr_FR.UTF-8@euro", "pt_BR"): its
 * language, then language_TERRITORY, checked to be letters only, so
 * that nothing from the client but [a-z]{2,3}(_[A-Z]{2})? reaches a path.
 * 1 with out set, 0 for none installed, -1 for English ("en", "C").
 */
static int
lang_entry(const char *e, size_t n, char out[LANG_NAME_MAX])
{
	char            ll[4], full[LANG_NAME_MAX];
	size_t          i = 0;

	if ((n == 1 && e[0] == 'C') || (n >= 2 && strncmp(e, "C.", 2) == 0) ||
	    (n == 5 && strncmp(e, "POSIX", 5) == 0))
		return -1;
	while (i < n && i < 3 && e[i] >= 'a' && e[i] <= 'z') {
		ll[i] = e[i];
		i++;
	}
	if (i < 2 || (i < n && e[i] != '_' && e[i] != '.' && e[i] != '@'))
		return 0;
	ll[i] = '\0';
	if (strcmp(ll, "en") == 0)
		return -1;
	if (i + 3 <= n && e[i] == '_' && e[i + 1] >= 'A' && e[i + 1] <= 'Z' &&
	    e[i + 2] >= 'A' && e[i + 2] <= 'Z') {
		snprintf(full, sizeof(full), "%s_%c%c", ll, e[i + 1], e[i + 2]);
		if (lang_installed(full)) {
			memcpy(out, full, strlen(full) + 1);
			return 1;
		}
	}
	if (!lang_installed(ll))
		return 0;
	memcpy(out, ll, strlen(ll) + 1);
	return 1;
}

int
lang_begin(const char *requested)
{
	const char     *p = requested, *colon;
	char            pick[LANG_NAME_MAX] = "";
	size_t          len;
	int             r = 0;

	lang_now[0] = '\0';
	if (requested == NULL || *requested == '\0' || lang_locale == (locale_t)0)
		return 0;
	len = strnlen(requested, LANG_REQUEST_MAX + 1);
	if (len > LANG_REQUEST_MAX ||
	    strspn(requested, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@:.-") != len)
		return -EINVAL;
	for (int i = 0; i < LANG_ENTRIES_MAX && r == 0 && *p != '\0'; i++) {
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		r = lang_entry(p, len, pick);
		p += len + (colon != NULL);
	}
	if (r != 1)
		return 0;
	if (strcmp(pick, lang_set) != 0) {
		if (setenv("LANGUAGE", pick, 1) != 0)
			return 0;
		memcpy(lang_set, pick, sizeof(lang_set));
		++_nl_msg_cat_cntr;
	}
	memcpy(lang_now, pick, sizeof(lang_now));
	return 0;
}

void
lang_end(void)
{
	lang_now[0] = '\0';
	lang_paused = 0;
}

void
lang_pause(void)
{
	lang_paused++;
}

void
lang_resume(void)
{
	if (lang_paused > 0)
		lang_paused--;
}

int
lang_active(void)
{
	return lang_now[0] != '\0' && !lang_paused;
}

const char *
lang_text(const char *msgid)
{
	locale_t        prev;
	const char     *t;

	if (!lang_active())
		return msgid;
	prev = uselocale(lang_locale);
	t = dgettext(I18N_DOMAIN, msgid);
	uselocale(prev);
	return t;
}

const char *
lang_ntext(const char *one, const char *many, unsigned long n)
{
	locale_t        prev;
	const char     *t;

	if (!lang_active())
		return n == 1 ? one : many;
	prev = uselocale(lang_locale);
	t = dngettext(I18N_DOMAIN, one, many, n);
	uselocale(prev);
	return t;
}
