/* Unit tests: the consent gate's decision and its explanation
 * (daemon/rules/consent.c).  A table of cases with the operator's words, the
 * safety exception, and a property test: 100,000 random consent sets
 * against a brute-force oracle written here from the rule alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/rules/consent.h"

#define B(x)            (1u << (x))
#define CASE            B(1)
#define IDENTITY        B(2)
#define PROFILE         B(3)
#define HEALTH          B(4)
#define SECURITY        B(5)
#define TRAVEL          B(6)
#define REINTEGRATION   B(7)
#define ALL_CATS        (IDENTITY | PROFILE | HEALTH | SECURITY | TRAVEL | \
                         REINTEGRATION)
#define ALL_STEPS       (B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7))

#define NOW             1700000000000ull
#define BAMAKO          "ml-bamako-ngo"
#define ABIDJAN         "ci-abidjan-iom"

static struct consent
mk(uint8_t id0, const char *recipient, uint32_t steps, uint32_t cats)
{
	struct consent c;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 16; i++)
		c.id[i] = (uint8_t)(id0 + i);
	if (recipient != NULL) {
		snprintf(c.recipients[0], sizeof(c.recipients[0]), "%s", recipient);
		c.nrecipients = 1;
	}
	c.steps = steps;
	c.categories = cats;
	c.given_at = NOW - 86400000;
	return c;
}

static void
check(const struct consent *cs, size_t n, const char *recipient,
    unsigned step, uint32_t cats, int want_covered, const char *want_text)
{
	struct consent_need need = { recipient, step, cats, NOW };
	struct consent_verdict v;
	char text[512];

	consent_decide(cs, n, &need, &v);
	assert_int_equal(consent_explain(&v, &need, text, sizeof(text)), 0);
	if (v.covered != want_covered)
		fail_msg("covered %d, want %d: %s", v.covered, want_covered, text);
	if (want_text != NULL)
		assert_string_equal(text, want_text);
}

static void
test_table(void **state)
{
	struct consent c[3];

	(void)state;
	/* Health missing: held, and told so; added: released. */
	c[0] = mk(1, BAMAKO, B(1) | B(3), IDENTITY | PROFILE | SECURITY);
	check(c, 1, BAMAKO, 3, CASE | PROFILE | HEALTH, 0,
	    "held: no consent covers health for agency ml-bamako-ngo at step 3 "
	    "(reintegration request); consent 01020304 lacks health; record a "
	    "consent that includes them");
	c[0].categories |= HEALTH;
	check(c, 1, BAMAKO, 3, CASE | PROFILE | HEALTH, 1,
	    "released under consent 0102030405060708090a0b0c0d0e0f10");

	/* A consent for one agency never releases to another. */
	check(c, 1, ABIDJAN, 3, CASE | PROFILE, 0,
	    "held: no consent covers profile for agency ci-abidjan-iom at step "
	    "3 (reintegration request); consent 01020304 lacks agency "
	    "ci-abidjan-iom; record a consent that includes them");
	check(c, 1, "ml-bamako", 3, PROFILE, 0, NULL);
	check(c, 1, "ml-bamako-ngo2", 3, PROFILE, 0, NULL);
	check(c, 1, "", 3, PROFILE, 0, NULL);
	check(c, 1, NULL, 3, PROFILE, 0, NULL);

	/* Expired at expires_at exactly, in force a millisecond before. */
	c[0].expires_at = NOW;
	check(c, 1, BAMAKO, 3, PROFILE, 0,
	    "held: no consent covers profile for agency ml-bamako-ngo at step 3 "
	    "(reintegration request); consent 01020304 expired; the case has "
	    "no consent in force: record a new one that includes them");
	c[0].expires_at = NOW + 1;
	check(c, 1, BAMAKO, 3, PROFILE, 1, NULL);

	/* Withdrawn. */
	c[0].withdrawn_at = NOW - 1;
	check(c, 1, BAMAKO, 1, PROFILE | HEALTH | TRAVEL, 0,
	    "held: no consent covers travel for agency ml-bamako-ngo at step 1 "
	    "(request for assistance); consent 01020304 was withdrawn and lacks "
	    "travel; the case has no consent in force: only a new consent the "
	    "person gives can release it");
	c[0].withdrawn_at = 0;
	c[0].expires_at = 0;

	/* Step missing. */
	check(c, 1, BAMAKO, 5, PROFILE, 0,
	    "held: no consent covers profile for agency ml-bamako-ngo at step 5 "
	    "(departure notification); consent 01020304 lacks step 5; record a "
	    "consent that includes them");
	for (unsigned s = 0; s < 40; s++)
		check(c, 1, BAMAKO, s, 0, s == 1 || s == 3, NULL);
	c[0].steps = 0xffffffffu;       /* bits of no step cover nothing */
	check(c, 1, BAMAKO, 0, 0, 0, NULL);
	check(c, 1, BAMAKO, 8, 0, 0, NULL);
	check(c, 1, BAMAKO, 31, 0, 0, NULL);
	c[0].steps = B(1) | B(3);

	/* A message of case data only still needs recipient and step. */
	c[1] = mk(0x20, ABIDJAN, ALL_STEPS, 0);
	check(c + 1, 1, BAMAKO, 2, CASE, 0,
	    "held: no consent covers this message for agency ml-bamako-ngo at "
	    "step 2 (assistance confirmation); consent 20212223 lacks agency "
	    "ml-bamako-ngo; record a consent that includes them");
	check(c + 1, 1, ABIDJAN, 2, CASE, 1, NULL);
	check(c + 1, 1, ABIDJAN, 2, 0, 1, NULL);

	/* Two consents each covering half do not combine. */
	c[0] = mk(0x40, BAMAKO, ALL_STEPS, IDENTITY | PROFILE);
	c[1] = mk(0x50, BAMAKO, ALL_STEPS, HEALTH | TRAVEL);
	check(c, 2, BAMAKO, 5, IDENTITY | HEALTH, 0, NULL);
	check(c, 2, BAMAKO, 5, IDENTITY | PROFILE, 1, NULL);
	check(c, 2, BAMAKO, 5, HEALTH | TRAVEL, 1, NULL);

	/* A bit of no known category is never covered, even if "given". */
	c[0].categories |= B(8) | B(0);
	check(c, 1, BAMAKO, 5, B(8), 0,
	    "held: no consent covers category 8 for agency ml-bamako-ngo at "
	    "step 5 (departure notification); consent 40414243 lacks category "
	    "8; record a consent that includes them");
	check(c, 1, BAMAKO, 5, B(0), 0, NULL);

	/* No consent at all. */
	check(c, 0, BAMAKO, 3, HEALTH | REINTEGRATION, 0,
	    "held: no consent covers health, reintegration for agency "
	    "ml-bamako-ngo at step 3 (reintegration request); the case has no "
	    "consent; record one that includes them");
}

/* Which consent the explanation names: fewest missing, in force first. */
static void
test_closest(void **state)
{
	struct consent c[3];
	struct consent_need need = { BAMAKO, 3, HEALTH | TRAVEL, NOW };
	struct consent_verdict v;

	(void)state;
	c[0] = mk(0x10, ABIDJAN, B(1), 0);              /* lacks 4 things */
	c[1] = mk(0x20, BAMAKO, B(3), HEALTH);          /* lacks travel */
	c[2] = mk(0x30, BAMAKO, B(3), ALL_CATS);        /* expired */
	c[2].expires_at = NOW - 1;
	consent_decide(c, 3, &need, &v);
	assert_int_equal(v.covered, 0);
	assert_int_equal(v.named, 1);
	assert_int_equal(v.no_consent, 0);
	/* A tie of one thing each: the one in force. */
	assert_int_equal(v.consent_id[0], 0x20);
	assert_int_equal(v.categories_missing, TRAVEL);
	assert_int_equal(v.expired, 0);

	/* Fewest missing wins over in force. */
	c[1].categories = 0;
	consent_decide(c, 3, &need, &v);
	assert_int_equal(v.consent_id[0], 0x30);
	assert_int_equal(v.expired, 1);
	assert_int_equal(v.categories_missing, 0);
	assert_int_equal(v.no_consent, 0);

	/* Nothing in force at all. */
	c[0].withdrawn_at = NOW;
	c[1].expires_at = 1;
	consent_decide(c, 3, &need, &v);
	assert_int_equal(v.no_consent, 1);

	/* Covered: the first covering consent, nothing reported missing. */
	c[1] = mk(0x60, BAMAKO, B(3), ALL_CATS);
	c[2] = mk(0x70, BAMAKO, B(3), ALL_CATS);
	consent_decide(c, 3, &need, &v);
	assert_int_equal(v.covered, 1);
	assert_int_equal(v.consent_id[0], 0x60);
	assert_int_equal(v.no_consent + v.recipient_missing + v.step_missing +
	    v.expired + v.withdrawn, 0);
	assert_int_equal(v.categories_missing, 0);
}

/* Slots that are full, or not terminated, or beyond nrecipients. */
static void
test_recipients(void **state)
{
	struct consent c = mk(1, NULL, ALL_STEPS, ALL_CATS);
	char text[16];
	struct consent_need need = { BAMAKO, 1, HEALTH, NOW };
	struct consent_verdict v;

	(void)state;
	for (int i = 0; i < CONSENT_MAX_RECIPIENTS; i++)
		snprintf(c.recipients[i], sizeof(c.recipients[i]), "agency-%d", i);
	c.nrecipients = CONSENT_MAX_RECIPIENTS;
	snprintf(c.recipients[15], sizeof(c.recipients[15]), "%s", BAMAKO);
	check(&c, 1, BAMAKO, 1, HEALTH, 1, NULL);
	c.nrecipients = 15;                     /* the slot is not counted */
	check(&c, 1, BAMAKO, 1, HEALTH, 0, NULL);
	c.nrecipients = 1000;                   /* clamped, no overread */
	check(&c, 1, BAMAKO, 1, HEALTH, 1, NULL);
	/* 64 bytes without a terminator match nothing, not even a prefix. */
	memset(c.recipients[15], 'a', sizeof(c.recipients[15]));
	check(&c, 1, "aaaa", 1, HEALTH, 0, NULL);
	/* 63 characters: the longest id that fits. */
	c.recipients[15][63] = '\0';
	check(&c, 1, c.recipients[15], 1, HEALTH, 1, NULL);

	/* A short buffer: truncated, terminated, and said so. */
	consent_decide(&c, 1, &need, &v);
	assert_int_equal(consent_explain(&v, &need, text, sizeof(text)), -ENOSPC);
	assert_string_equal(text, "held: no consen");
	assert_int_equal(consent_explain(&v, &need, text, 0), -ENOSPC);
}

static void
test_safety(void **state)
{
	static const struct {
		const char *a, *b, *reason, *want;
	} rows[] = {
		{ "amina", "jean", "trafficker located the family", NULL },
		{ "amina", "", "reason", "a safety exception needs two "
		    "supervisors: the second approval is missing" },
		{ "amina", NULL, "reason", "a safety exception needs two "
		    "supervisors: the second approval is missing" },
		{ "", "jean", "reason", "a safety exception needs two "
		    "supervisors: the first approval is missing" },
		{ NULL, NULL, "reason", "a safety exception needs two "
		    "supervisors: the first approval is missing" },
		{ "amina", "amina", "reason", "a safety exception needs two "
		    "different supervisors: the same one approved twice" },
		{ "amina", "jean", "", "a safety exception needs a reason" },
		{ "amina", "jean", NULL, "a safety exception needs a reason" },
		{ "amina", "jean", " \t\n", "a safety exception needs a reason" },
		{ "amina", "Amina", "x", NULL },        /* Unix names: distinct */
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = consent_safety_check(rows[i].a, rows[i].b,
		    rows[i].reason, why, sizeof(why));

		if (rows[i].want == NULL) {
			assert_int_equal(rc, 0);
			assert_string_equal(why, "");
		} else {
			assert_int_equal(rc, -EPERM);
			assert_string_equal(why, rows[i].want);
		}
	}
	assert_int_equal(consent_safety_check("a", "a", "r", NULL, 0), -EPERM);
}

/* ---- Property test ---- */

#define ITERATIONS      100000

static const char *const pool[] = { BAMAKO, ABIDJAN, "a", "b" };

struct rng {
	uint8_t         buf[2048];
	size_t          pos;
};

static uint32_t
rnd(struct rng *r, uint32_t bound)
{
	uint32_t v;

	if (r->pos + 4 > sizeof(r->buf))
		fail_msg("generator ran out of bytes");
	memcpy(&v, r->buf + r->pos, 4);
	r->pos += 4;
	return bound == 0 ? v : v % bound;
}

/* The rule, stated once more, the long way. */
static int
oracle_recipient(const struct consent *c, const char *r)
{
	if (r == NULL || *r == '\0')
		return 0;
	for (size_t i = 0; i < c->nrecipients && i < CONSENT_MAX_RECIPIENTS; i++)
		if (strnlen(c->recipients[i], 64) < 64 &&
		    strcmp(c->recipients[i], r) == 0)
			return 1;
	return 0;
}

static int
oracle_step(const struct consent *c, unsigned step)
{
	return step >= 1 && step <= 7 && ((c->steps >> step) & 1) == 1;
}

static uint32_t
oracle_cats_missing(const struct consent *c, uint32_t cats)
{
	uint32_t missing = 0;

	for (unsigned cat = 0; cat < 32; cat++) {
		if (cat == 1 || ((cats >> cat) & 1) == 0)
			continue;
		if (cat < 2 || cat > 7 || ((c->categories >> cat) & 1) == 0)
			missing |= 1u << cat;
	}
	return missing;
}

static int
oracle_expired(const struct consent *c, uint64_t now)
{
	return c->expires_at != 0 && !(now < c->expires_at);
}

static unsigned
oracle_lacking(const struct consent *c, const struct consent_need *n)
{
	unsigned k = 0;
	uint32_t m = oracle_cats_missing(c, n->categories);

	k += !oracle_recipient(c, n->recipient);
	k += !oracle_step(c, n->step);
	k += oracle_expired(c, n->now);
	k += c->withdrawn_at != 0;
	for (; m != 0; m >>= 1)
		k += m & 1;
	return k;
}

static uint32_t
bits(struct rng *r, unsigned nbits, unsigned one_in)
{
	uint32_t v = 0;

	for (unsigned b = 0; b < nbits; b++)
		if (rnd(r, one_in) == 0)
			v |= 1u << b;
	return v;
}

static size_t
generate(struct rng *r, struct consent *cs, struct consent_need *need)
{
	size_t n = rnd(r, 5);

	for (size_t i = 0; i < n; i++) {
		struct consent *c = &cs[i];

		memset(c, 0, sizeof(*c));
		for (size_t j = 0; j < sizeof(c->id); j++)
			c->id[j] = (uint8_t)rnd(r, 256);
		c->id[0] = (uint8_t)i;  /* unique within the set */
		c->nrecipients = rnd(r, 4);
		for (size_t j = 0; j < c->nrecipients; j++)
			snprintf(c->recipients[j], 64, "%s", pool[rnd(r, 4)]);
		if (c->nrecipients > 0 && rnd(r, 16) == 0)
			memset(c->recipients[0], 'a', 64);
		/* Most bits set: covering sets must occur often. */
		c->steps = ~bits(r, 10, 8) & 0x3ffu;
		c->categories = ~bits(r, 10, 8) & 0x3ffu;
		c->expires_at = rnd(r, 2) == 0 ? 0 : NOW - 2 + rnd(r, 5);
		c->withdrawn_at = rnd(r, 8) == 0 ? NOW - rnd(r, 1000) : 0;
	}
	need->recipient = rnd(r, 32) == 0 ? "" : pool[rnd(r, 4)];
	need->step = rnd(r, 16) < 14 ? 1 + rnd(r, 7) : rnd(r, 12);
	need->categories = bits(r, 8, 4) | (rnd(r, 16) == 0 ? B(8 + rnd(r, 3)) : 0);
	need->now = NOW;
	return n;
}

static void
test_property(void **state)
{
	uint8_t seed[randombytes_SEEDBYTES], iseed[randombytes_SEEDBYTES];
	char hex[2 * randombytes_SEEDBYTES + 1], text[1024];
	const char *env = getenv("HOMEWARD_TEST_SEED");
	struct consent cs[5];
	struct consent_need need;
	struct consent_verdict v;
	struct rng r;
	unsigned covered = 0, held = 0;

	(void)state;
	memcpy(seed, "homeward consent property seed 1", sizeof(seed));
	if (env != NULL && sodium_hex2bin(seed, sizeof(seed), env, strlen(env),
	    NULL, NULL, NULL) != 0)
		fail_msg("HOMEWARD_TEST_SEED: 64 hex digits");
	sodium_bin2hex(hex, sizeof(hex), seed, sizeof(seed));
	print_message("property seed %s (set HOMEWARD_TEST_SEED to repeat)\n", hex);

	for (uint32_t it = 0; it < ITERATIONS; it++) {
		size_t n, named = 5;
		int want = 0, any_in_force = 0;
		unsigned fewest = 99;

		memcpy(iseed, seed, sizeof(seed));
		for (int b = 0; b < 4; b++)
			iseed[28 + b] ^= (uint8_t)(it >> (8 * b));
		randombytes_buf_deterministic(r.buf, sizeof(r.buf), iseed);
		r.pos = 0;
		n = generate(&r, cs, &need);
		for (size_t i = 0; i < n; i++) {
			unsigned k = oracle_lacking(&cs[i], &need);

			want |= k == 0;
			if (k < fewest)
				fewest = k;
			any_in_force |= !oracle_expired(&cs[i], need.now) &&
			    cs[i].withdrawn_at == 0;
		}

		consent_decide(cs, n, &need, &v);
		if (v.covered != want)
			fail_msg("iteration %u: covered %d, oracle %d", it,
			    v.covered, want);
		for (size_t i = 0; i < n; i++)
			if (memcmp(cs[i].id, v.consent_id, 16) == 0)
				named = i;
		assert_int_equal(v.named, n > 0);
		if (n > 0 && named == 5)
			fail_msg("iteration %u: the named consent is not in the set", it);
		if (v.covered) {
			const struct consent *c = &cs[named];

			covered++;
			assert_true(oracle_recipient(c, need.recipient));
			assert_true(oracle_step(c, need.step));
			assert_int_equal(oracle_cats_missing(c, need.categories), 0);
			assert_false(oracle_expired(c, need.now));
			assert_int_equal(c->withdrawn_at, 0);
			/* No category the named consent lacks, known or not. */
			for (unsigned cat = 0; cat < 32; cat++)
				if (cat != 1 && (need.categories >> cat & 1) &&
				    !(cat >= 2 && cat <= 7 &&
				    (c->categories >> cat & 1)))
					fail_msg("iteration %u: released with "
					    "category %u not consented", it, cat);
		} else {
			held++;
			assert_int_equal(v.no_consent, !any_in_force);
			if (n > 0) {
				const struct consent *c = &cs[named];

				/* What it reports is what that consent lacks. */
				assert_int_equal(v.recipient_missing,
				    !oracle_recipient(c, need.recipient));
				assert_int_equal(v.step_missing,
				    !oracle_step(c, need.step));
				assert_int_equal(v.expired,
				    oracle_expired(c, need.now));
				assert_int_equal(v.withdrawn, c->withdrawn_at != 0);
				assert_int_equal(v.categories_missing,
				    oracle_cats_missing(c, need.categories));
				/* And it is a closest one. */
				assert_int_equal(oracle_lacking(c, &need), fewest);
			}
		}
		assert_int_equal(consent_explain(&v, &need, text, sizeof(text)), 0);
		assert_true(strncmp(text, v.covered ? "released under consent " :
		    "held: no consent covers ", v.covered ? 23 : 24) == 0);
	}
	print_message("%u covered, %u held\n", covered, held);
	/* The generator exercises both answers well. */
	assert_true(covered > ITERATIONS / 10);
	assert_true(held > ITERATIONS / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_safety),
		cmocka_unit_test(test_property),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
