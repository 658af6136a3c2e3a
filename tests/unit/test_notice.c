/*
 * Unit tests: the scope block of a consent notice (proto/notice.c) and
 * the rule that a notice explains exactly the consent recorded with it
 * (daemon/rules/consent_notice.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/rules/consent.h"
#include "proto/notice.h"

static const char good[] =
    "Homeward consent notice v1\n"
    "case: TEST-1301\n"
    "to: ml-bamako,sn-dakar\n"
    "steps: 1,2,5\n"
    "categories: identity,travel\n"
    "language: fr\n"
    "\n"
    "Comment vos informations sont partagées\n";

static void
parse_format_roundtrip(void **state)
{
	struct notice_head h;
	const char *why;
	char buf[1024];
	int n;

	(void)state;
	assert_int_equal(notice_head_parse(good, strlen(good), &h, &why), 0);
	assert_null(why);
	assert_string_equal(h.code, "TEST-1301");
	assert_int_equal(h.nto, 2);
	assert_string_equal(h.to[0], "ml-bamako");
	assert_string_equal(h.to[1], "sn-dakar");
	assert_int_equal(h.steps, (1u << 1) | (1u << 2) | (1u << 5));
	assert_int_equal(h.categories, (1u << 2) | (1u << 6));
	assert_string_equal(h.language, "fr");
	n = notice_head_format(&h, buf, sizeof(buf));
	assert_true(n > 0);
	assert_memory_equal(buf, good, (size_t)n);
	assert_int_equal(good[n - 1], '\n');
	assert_int_equal(good[n - 2], '\n');
	/* Too small a buffer: refused, never cut. */
	assert_int_equal(notice_head_format(&h, buf, 40), -1);
}

static void
malformed(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "does not start with" },
		{ "Homeward consent notice v2\n", "does not start with" },
		{ "Homeward consent notice v1\ncase TEST\n", "\"case: CODE\"" },
		{ "Homeward consent notice v1\ncase: T\nto: Bad_Id\n", "\"to: AGENCY" },
		{ "Homeward consent notice v1\ncase: T\nto: a\nsteps: 8\n", "\"steps:" },
		{ "Homeward consent notice v1\ncase: T\nto: a\nsteps: 1\n"
		  "categories: case\n", "\"categories:" },
		{ "Homeward consent notice v1\ncase: T\nto: a\nsteps: 1\n"
		  "categories: none\nlanguage: f r\n", "\"language: TAG\"" },
		{ "Homeward consent notice v1\ncase: T\nto: a\nsteps: 1\n"
		  "categories: none\nlanguage: fr\nmore\n", "empty line" },
		{ "Homeward consent notice v1\ncase: T\nto: a\nsteps: 1\n"
		  "categories: none\nlanguage: fr", "\"language: TAG\"" },
	};
	struct notice_head h;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(notice_head_parse(cases[i].text,
		    strlen(cases[i].text), &h, &why), -1);
		assert_non_null(strstr(why, cases[i].why));
	}
}

static void
consent_of(struct consent *c, const char *a, const char *b, uint32_t steps,
    uint32_t cats)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->recipients[0], sizeof(c->recipients[0]), "%s", a);
	c->nrecipients = 1;
	if (b != NULL) {
		snprintf(c->recipients[1], sizeof(c->recipients[1]), "%s", b);
		c->nrecipients = 2;
	}
	c->steps = steps;
	c->categories = cats;
}

static void
matches(void **state)
{
	struct notice_head h;
	struct consent c;
	const char *why;
	char msg[512];
	uint32_t steps = (1u << 1) | (1u << 2) | (1u << 5);
	uint32_t cats = (1u << 2) | (1u << 6);

	(void)state;
	assert_int_equal(notice_head_parse(good, strlen(good), &h, &why), 0);
	/* The same scope, recipients in another order. */
	consent_of(&c, "sn-dakar", "ml-bamako", steps, cats);
	assert_int_equal(consent_notice_matches(&h, "TEST-1301", &c, msg,
	    sizeof(msg)), 0);
	assert_int_equal(consent_notice_matches(&h, "TEST-1302", &c, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "for case TEST-1301, not TEST-1302"));
	assert_non_null(strstr(msg, "homeward consent notice"));
	consent_of(&c, "ml-bamako", NULL, steps, cats);
	assert_int_equal(consent_notice_matches(&h, "TEST-1301", &c, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "names agency sn-dakar, which this consent "
	    "does not"));
	consent_of(&c, "ml-bamako", "gh-accra", steps, cats);
	assert_int_equal(consent_notice_matches(&h, "TEST-1301", &c, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "does not name agency gh-accra"));
	consent_of(&c, "ml-bamako", "sn-dakar", steps | (1u << 6), cats);
	assert_int_equal(consent_notice_matches(&h, "TEST-1301", &c, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "steps 1,2,5, this consent steps 1,2,5,6"));
	consent_of(&c, "ml-bamako", "sn-dakar", steps, 0);
	assert_int_equal(consent_notice_matches(&h, "TEST-1301", &c, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "categories identity,travel, this consent "
	    "none"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_format_roundtrip),
		cmocka_unit_test(malformed),
		cmocka_unit_test(matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
