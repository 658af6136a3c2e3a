/*
 * Catalogue binding for the operator's language (i18n.h).
 */
#include <locale.h>
#include <stdlib.h>

#include "common/i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

void
i18n_init(void)
{
	const char *dir;

	setlocale(LC_MESSAGES, "");
	setlocale(LC_CTYPE, "");
	/* Tests and an uninstalled build point at build/locale. */
	dir = getenv("HOMEWARD_LOCALEDIR");
	bindtextdomain(I18N_DOMAIN, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}
