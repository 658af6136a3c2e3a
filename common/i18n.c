/*
 * Catalogue binding for the operator's language (i18n.h).
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

/*
 * glibc ignores LANGUAGE while LC_MESSAGES is the C locale, the default
 * on a fresh machine and in CI, so "LANGUAGE=fr homeward --help" would
 * stay English.  C.UTF-8 is the C locale in every other respect but lets
 * LANGUAGE choose the catalogue; without it (not installed) the operator
 * gets English, as before.  An explicit LC_ALL=C, what scripts set for
 * output they parse, still means English.
 */
static void
messages_locale(void)
{
	const char *cur, *language, *all;

	cur = setlocale(LC_MESSAGES, "");
	language = getenv("LANGUAGE");
	all = getenv("LC_ALL");
	if (language == NULL || *language == '\0' ||
	    (all != NULL && *all != '\0'))
		return;
	if (cur == NULL || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)
		setlocale(LC_MESSAGES, "C.UTF-8");
}

void
i18n_init(void)
{
	const char *dir;

	messages_locale();
	setlocale(LC_CTYPE, "");
	/* Tests and an uninstalled build point at build/locale. */
	dir = getenv("HOMEWARD_LOCALEDIR");
	bindtextdomain(I18N_DOMAIN, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}

void
i18n_paragraphs(const char *text, FILE *f)
{
	const char *p = text, *end;
	char *para;
	size_t len;

	while (*p != '\0') {
		end = strstr(p, "\n\n");
		len = end != NULL ? (size_t)(end - p) + 1 : strlen(p);
		/* Out of memory: this paragraph in English. */
		if ((para = strndup(p, len)) != NULL) {
			fputs(gettext(para), f);
			free(para);
		} else
			fwrite(p, 1, len, f);
		if (end == NULL)
			break;
		fputc('\n', f);
		p = end + 2;
	}
}
