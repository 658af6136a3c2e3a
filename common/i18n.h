/*
 * The operator's language (issue 13): every operator-facing string of
 * homeward and homeward-keys is written _("...") and looked up in the
 * "homeward" gettext catalogue for LANGUAGE / LC_MESSAGES.  JSON output,
 * logs and everything on the wire stay in English (language-neutral).
 */
#ifndef HOMEWARD_COMMON_I18N_H
#define HOMEWARD_COMMON_I18N_H

#include <libintl.h>

#define I18N_DOMAIN "homeward"

#define _(s)  gettext(s)
#define N_(s) (s)               /* marked for xgettext, translated later */

/*
 * Once, first thing in main: take LC_MESSAGES and LC_CTYPE from the
 * environment (never LC_NUMERIC or LC_TIME: the numbers and times the
 * programs print are parsed by scripts) and bind the catalogue.
 */
void i18n_init(void);

#endif
