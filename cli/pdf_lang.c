/*
 * The language of a printed document (pdf.h): the "homeward-notice"
 * catalogue of the language asked for with --language, read from its .mo
 * file directly.  gettext would pick the catalogue from the operator's
 * locale (and ignores LANGUAGE under the C locale); what she reads must
 * not depend on how the operator's terminal is set.
 *
 * A .mo file (GNU gettext manual, "The Format of GNU MO Files"): a
 * header of 32-bit words (magic, revision, count, offset of the
 * originals' table, offset of the translations' table), then tables of
 * (length, offset) pairs; msgfmt sorts the originals, so a lookup is a
 * binary search.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pdf.h"
#include "common/fileio.h"
#include "common/i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

#define MO_MAGIC        0x950412deu
#define MO_SWAPPED      0xde120495u
#define MO_MAX          (4u << 20)
#define DOMAIN          "homeward-notice"

/* Languages written right to left (primary subtags). */
static const char *const rtl_langs[] = { "ar", "fa", "he", "ps", "ur", "yi" };

static uint32_t
word(const struct pdf_lang *l, size_t off)
{
	uint32_t v;

	memcpy(&v, l->mo + off, 4);
	return l->swap ? __builtin_bswap32(v) : v;
}

/* The string of table entry i at table offset tab, or NULL when the file
 * says something impossible. */
static const char *
entry(const struct pdf_lang *l, uint32_t tab, uint32_t i)
{
	size_t at = (size_t)tab + (size_t)i * 8;
	uint32_t len, off;

	if (at + 8 > l->len)
		return NULL;
	len = word(l, at);
	off = word(l, at + 4);
	if ((size_t)off + len >= l->len || l->mo[off + len] != '\0')
		return NULL;
	return (const char *)l->mo + off;
}

static int
mo_check(struct pdf_lang *l)
{
	uint32_t magic;

	if (l->len < 20)
		return -1;
	memcpy(&magic, l->mo, 4);
	if (magic != MO_MAGIC && magic != MO_SWAPPED)
		return -1;
	l->swap = magic == MO_SWAPPED;
	l->n = word(l, 8);
	l->orig = word(l, 12);
	l->trans = word(l, 16);
	if ((size_t)l->orig + (size_t)l->n * 8 > l->len ||
	    (size_t)l->trans + (size_t)l->n * 8 > l->len)
		return -1;
	return 0;
}

/* dir/LANG/LC_MESSAGES/homeward-notice.mo for lang: 0, -ENOENT, or -1. */
static int
mo_read(struct pdf_lang *l, const char *dir, const char *lang)
{
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/" DOMAIN ".mo", dir,
	    lang) >= (int)sizeof(path))
		return -ENOENT;
	if ((rc = fileio_read(path, MO_MAX, 0, &l->mo, &l->len)) != 0)
		return rc;
	if (mo_check(l) != 0) {
		cli_warnx(_("%s is not a message catalogue: reinstall homeward"),
		    path);
		free(l->mo);
		l->mo = NULL;
		return -1;
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
	if ((rc = mo_read(l, dir, lang)) == -ENOENT && dash != NULL) {
		*dash = '\0';
		rc = mo_read(l, dir, lang);
	}
	if (rc == -ENOENT)
		cli_warnx(_("there is no translation into '%s' of the notices and "
		    "reports: use --language en, fr, ar, es or pt (or add "
		    "po-notice/%s.po)"), tag, lang);
	else if (rc != 0 && rc != -1)
		cli_warn_errno(-rc, _("cannot read the catalogue for '%s' in %s"),
		    tag, dir);
	return rc == 0 ? 0 : -1;
}

void
pdf_lang_free(struct pdf_lang *l)
{
	free(l->mo);
	l->mo = NULL;
}

const char *
pdf_tr(const struct pdf_lang *l, const char *msgid)
{
	uint32_t lo = 0, hi;
	const char *s, *t;
	int cmp;

	if (l->mo == NULL)
		return msgid;
	hi = l->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((s = entry(l, l->orig, mid)) == NULL)
			return msgid;
		if ((cmp = strcmp(msgid, s)) == 0) {
			t = entry(l, l->trans, mid);
			return t != NULL && *t != '\0' ? t : msgid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}
