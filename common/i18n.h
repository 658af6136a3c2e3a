/*
 * The operator's language (issue 13): every operator-facing string of
 * homeward and homeward-keys is written _("...") and looked up in the
 * "homeward" gettext catalogue for LANGUAGE / LC_MESSAGES.  JSON output,
 * logs and everything on the wire stay in English (language-neutral).
 */
#ifndef HOMEWARD_COMMON_I18N_H
#define HOMEWARD_COMMON_I18N_H

#include <libintl.h>
#include <stdio.h>

#define I18N_DOMAIN "homeward"

#define _(s)  gettext(s)
/*
 * Marked for xgettext, translated where it is printed.  A bare literal, not
 * (s), so that marked paragraphs concatenate with others into one help
 * text ("A\n" "\n" B_HELP), which i18n_paragraphs() translates piece by piece.
 */
#define N_(s) s

/*
 * Once, first thing in main: take LC_MESSAGES and LC_CTYPE from the
 * environment (never LC_NUMERIC or LC_TIME: the numbers and times the
 * programs print are parsed by scripts) and bind the catalogue.
 */
void i18n_init(void);

/*
 * Print text to f paragraph by paragraph ("\n\n" between them), each
 * looked up on its own: a help text is put together from paragraphs
 * marked N_() one by one, so only they are in the catalogue.
 */
void i18n_paragraphs(const char *text, FILE *f);

#endif
