/* Unit tests: the request's language in the daemon's answers
 * (daemon/base/lang.c): which catalogue a language value picks, what is
 * refused, that only _() changes language (strerror, the process's own
 * gettext stay English) and that English comes back after a request.
 * The catalogues are tiny .mo files written here. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/base/lang.h"

static char dir[] = "/tmp/test_lang.XXXXXX";

/* A catalogue of two messages: the header, and "ok" said as ok. */
static void
write_mo(const char *lang, const char *ok)
{
	static const char header[] =
	    "Content-Type: text/plain; charset=UTF-8\n";
	const char     *orig[2] = { "", "ok" }, *tr[2] = { header, ok };
	char            path[PATH_MAX];
	uint32_t        head[7], tab[8], off;
	FILE           *f;

	snprintf(path, sizeof(path), "%s/%s", dir, lang);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES", dir, lang);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/homeward.mo", dir, lang);
	assert_non_null(f = fopen(path, "wb"));
	head[0] = 0x950412de;
	head[1] = 0;
	head[2] = 2;
	head[3] = sizeof(head);
	head[4] = sizeof(head) + 16;
	head[5] = 0;
	head[6] = sizeof(head) + 32;
	off = sizeof(head) + sizeof(tab);
	for (int i = 0; i < 2; i++) {
		tab[2 * i] = (uint32_t)strlen(orig[i]);
		tab[2 * i + 1] = off;
		off += tab[2 * i] + 1;
	}
	for (int i = 0; i < 2; i++) {
		tab[4 + 2 * i] = (uint32_t)strlen(tr[i]);
		tab[4 + 2 * i + 1] = off;
		off += tab[4 + 2 * i] + 1;
	}
	fwrite(head, sizeof(head), 1, f);
	fwrite(tab, sizeof(tab), 1, f);
	for (int i = 0; i < 2; i++)
		fwrite(orig[i], strlen(orig[i]) + 1, 1, f);
	for (int i = 0; i < 2; i++)
		fwrite(tr[i], strlen(tr[i]) + 1, 1, f);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	write_mo("fr", "d'accord");
	write_mo("pt_BR", "tudo bem");
	write_mo("pt", "está bem");
	setenv("HOMEWARD_LOCALEDIR", dir, 1);
	lang_init();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* What value answers "ok" in, and lang_begin's result. */
static const char *
answer(const char *value, int *rc)
{
	static char buf[64];

	*rc = lang_begin(value);
	snprintf(buf, sizeof(buf), "%s", _("ok"));
	lang_end();
	return buf;
}

static void
test_picks(void **state)
{
	static const struct {
		const char     *value;
		const char     *want;
	} rows[] = {
		{ "", "ok" },
		{ "fr", "d'accord" },
		{ "fr_FR.UTF-8", "d'accord" },
		{ "fr_CA.UTF-8@euro", "d'accord" },
		{ "de:fr:en", "d'accord" },             /* de: none installed */
		{ "en:fr", "ok" },                      /* English first */
		{ "en_GB", "ok" },
		{ "C", "ok" },
		{ "C.UTF-8", "ok" },
		{ "POSIX", "ok" },
		{ "pt_BR", "tudo bem" },                /* language_TERRITORY first */
		{ "pt_PT", "está bem" },                /* else the language */
		{ "pt", "está bem" },
		{ "de", "ok" },                         /* none installed */
		{ "FR", "ok" },                         /* a language is lower case */
		{ "fr-FR", "ok" },
		{ "xx:yy:zz:ab:cd:ef:gh:ij:fr", "ok" }, /* fr is the 9th: not looked at */
		{ "xx:yy:zz:ab:cd:ef:gh:fr", "d'accord" },
		{ "..:fr", "d'accord" },
		{ ":::fr", "d'accord" },
	};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_string_equal(answer(rows[i].value, &rc), rows[i].want);
		assert_int_equal(rc, 0);
	}
}

static void
test_refused(void **state)
{
	char    big[4097];
	const char *bad[] = { "../../etc", "fr/../../etc", "fr;rm", "fr\n",
	    "fr é", "%s%n", "fr es" };
	int     rc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(answer(bad[i], &rc), "ok");
		assert_int_equal(rc, -EINVAL);
	}
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(answer(big, &rc), "ok");
	assert_int_equal(rc, -EINVAL);
	/* At the bound, still looked at. */
	memset(big, ':', LANG_REQUEST_MAX);
	memcpy(big + LANG_REQUEST_MAX - 2, "fr", 2);
	big[LANG_REQUEST_MAX] = '\0';
	assert_int_equal(lang_begin(big), 0);
	lang_end();
	big[LANG_REQUEST_MAX] = ':';
	big[LANG_REQUEST_MAX + 1] = '\0';
	assert_int_equal(lang_begin(big), -EINVAL);
	lang_end();
}

/* Only _() is in the request's language: strerror, and gettext under the
 * process's locale, stay English; pause and end bring English back. */
static void
test_only_answers(void **state)
{
	char    e[128];

	(void)state;
	snprintf(e, sizeof(e), "%s", strerror(ENOENT));
	assert_int_equal(lang_begin("fr"), 0);
	assert_true(lang_active());
	assert_string_equal(_("ok"), "d'accord");
	assert_string_equal(strerror(ENOENT), e);
	assert_string_equal(dgettext(I18N_DOMAIN, "ok"), "ok");
	lang_pause();
	assert_false(lang_active());
	assert_string_equal(_("ok"), "ok");
	lang_resume();
	assert_string_equal(_("ok"), "d'accord");
	/* Another language the next request: nothing cached from this one. */
	lang_end();
	assert_false(lang_active());
	assert_string_equal(_("ok"), "ok");
	assert_int_equal(lang_begin("pt_BR"), 0);
	assert_string_equal(_("ok"), "tudo bem");
	lang_end();
	assert_int_equal(lang_begin("fr"), 0);
	assert_string_equal(_("ok"), "d'accord");
	lang_end();
	assert_string_equal(lang_ntext("ok", "oks", 2), "oks");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_picks),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_only_answers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
