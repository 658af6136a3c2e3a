/* Unit tests: the person's profile in a case (daemon/case/case_profile.c):
 * who is a minor, a document's profile against the case's (what differs,
 * what the refusal says and proposes), the more protective of two
 * profiles for the travel rules, an update applied to a profile, and the
 * names of its fields; then the two profile columns of a case in a real
 * store (daemon/store/store_cases.c): each under the case key, bound to
 * its column, replaced, and gone with the case.  Synthetic values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/case/case_profile.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

#define F               HOMEWARD__REFERRAL__SEX__SEX_FEMALE
#define M               HOMEWARD__REFERRAL__SEX__SEX_MALE
#define O               HOMEWARD__REFERRAL__SEX__SEX_OTHER
#define BAND(x)         HOMEWARD__REFERRAL__AGE_BAND__AGE_BAND_##x

/* A profile: sex, age, band, minor flag. */
static struct case_profile
pf(int sex, uint32_t age, int band, int minor)
{
	struct case_profile p = { 1, sex, age, band, minor };

	return p;
}

static const struct case_profile none = { 0, 0, 0, 0, 0 };

static void
test_minor(void **state)
{
	(void)state;
	assert_int_equal(case_profile_minor(&none), -1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, F, 0, 0, 0 }), -1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 15, 0, 0 }), 1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 17, 0, 0 }), 1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 18, 0, 0 }), 0);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 0, 0, 1 }), 1);
	/* A minor whatever else it says: the flag wins over an adult age. */
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 25, 0, 1 }), 1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 0,
	    BAND(UNDER_12), 0 }), 1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 0,
	    BAND(12_TO_17), 0 }), 1);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 0,
	    BAND(18_TO_24), 0 }), 0);
	assert_int_equal(case_profile_minor(&(struct case_profile){ 1, 0, 0,
	    BAND(40_AND_OVER), 0 }), 0);
}

/* One comparison: the case's profile, the document's, and what the
 * refusal says (NULL: they agree). */
struct cmp {
	struct case_profile     rec;
	struct case_profile     doc;
	const char             *why;
};

static void
test_compare(void **state)
{
	const struct cmp t[] = {
		/* Agreeing, or saying nothing against the other. */
		{ pf(F, 25, 0, 0), pf(F, 25, 0, 0), NULL },
		{ none, pf(F, 15, 0, 0), NULL },
		{ pf(F, 25, 0, 0), none, NULL },
		{ pf(0, 0, 0, 1), pf(F, 15, 0, 0), NULL },
		{ pf(F, 15, BAND(12_TO_17), 1), pf(F, 15, 0, 0), NULL },
		{ pf(0, 30, 0, 0), pf(F, 0, 0, 0), NULL },
		{ pf(F, 0, 0, 0), pf(0, 0, 0, 1), NULL },
		/* The flag left false by a document states nothing. */
		{ pf(0, 0, 0, 1), pf(0, 0, 0, 0), NULL },
		{ pf(0, 16, 0, 1), pf(0, 0, BAND(12_TO_17), 0), NULL },
		/* The report of issue 10: opened with --age 25, sent 15. */
		{ pf(F, 25, 0, 0), pf(F, 15, 0, 0),
		  "the document says age 15 (a minor); case CI-P-1 says age 25 "
		  "(an adult): correct the case with `homeward case update CI-P-1 "
		  "--age 15`, or the document" },
		{ pf(F, 16, 0, 1), pf(F, 17, 0, 0),
		  "the document says age 17 (a minor); case CI-P-1 says age 16 "
		  "(a minor): correct the case with `homeward case update CI-P-1 "
		  "--age 17`, or the document" },
		{ pf(F, 15, 0, 1), pf(F, 19, 0, 0),
		  "the document says age 19 (an adult); case CI-P-1 says age 15 "
		  "(a minor): correct the case with `homeward case update CI-P-1 "
		  "--age 19`, or the document" },
		{ pf(F, 30, 0, 0), pf(M, 30, 0, 0),
		  "the document says sex male; case CI-P-1 says sex female: "
		  "correct the case with `homeward case update CI-P-1 --sex male`, "
		  "or the document" },
		{ pf(F, 30, 0, 0), pf(O, 14, 0, 1),
		  "the document says age 14 (a minor), sex other; case CI-P-1 says "
		  "age 30 (an adult), sex female: correct the case with `homeward "
		  "case update CI-P-1 --age 14 --sex other`, or the document" },
		/* Minority without an age: the case's age must go too. */
		{ pf(0, 30, 0, 0), pf(0, 0, 0, 1),
		  "the document says a minor; case CI-P-1 says age 30 (an adult): "
		  "correct the case with `homeward case update CI-P-1 --minor --age "
		  "N` (N: the person's age), or the document" },
		{ pf(0, 30, 0, 0), pf(0, 0, BAND(12_TO_17), 0),
		  "the document says age 12-17 (a minor); case CI-P-1 says age 30 "
		  "(an adult): correct the case with `homeward case update CI-P-1 "
		  "--minor --age N` (N: the person's age), or the document" },
		{ pf(0, 0, 0, 1), pf(0, 0, BAND(18_TO_24), 0),
		  "the document says age 18-24 (an adult); case CI-P-1 says a "
		  "minor: correct the case with `homeward case update CI-P-1 "
		  "--adult`, or the document" },
		/* A document that contradicts itself is corrected itself. */
		{ pf(0, 25, 0, 0), pf(0, 25, 0, 1),
		  "the document says age 25 (a minor); case CI-P-1 says age 25 (an "
		  "adult): correct the document" },
	};
	char why[CASE_WHY_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		why[0] = '\0';
		rc = case_profile_compare(&t[i].rec, &t[i].doc, "CI-P-1", why,
		    sizeof(why));
		if (t[i].why == NULL) {
			if (rc != 0)
				fail_msg("case %zu: refused: %s", i, why);
			continue;
		}
		assert_int_equal(rc, -EPERM);
		assert_string_equal(why, t[i].why);
	}
}

/* A refusal cut short by a small buffer is still a string. */
static void
test_compare_short(void **state)
{
	struct case_profile rec = pf(F, 25, 0, 0), doc = pf(M, 15, 0, 0);
	char why[24];

	(void)state;
	memset(why, 'x', sizeof(why));
	assert_int_equal(case_profile_compare(&rec, &doc, "CI-P-1", why,
	    sizeof(why)), -EPERM);
	assert_int_equal(strlen(why), sizeof(why) - 1);
}

static void
test_merge(void **state)
{
	struct case_profile     out, a, b;
	struct travel_person    tp;

	(void)state;
	/* Nothing stated: an adult of no stated sex, as the rules saw before. */
	case_profile_merge(&none, &none, &out);
	assert_int_equal(out.stated, 0);
	case_profile_person(&out, &tp);
	assert_int_equal(tp.minor, 0);
	assert_int_equal(tp.sex, 0);

	/* The case said 25, the request 15: the lower age, a minor. */
	a = pf(F, 25, BAND(25_TO_39), 0);
	b = pf(F, 15, 0, 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.age, 15);
	assert_int_equal(out.age_band, BAND(12_TO_17));
	assert_int_equal(out.minor, 1);
	case_profile_person(&out, &tp);
	assert_int_equal(tp.minor, 1);
	assert_int_equal(tp.sex, F);
	/* Either way round. */
	case_profile_merge(&b, &a, &out);
	assert_int_equal(out.age, 15);
	assert_int_equal(out.minor, 1);

	/* A minor by the flag of one and an adult age of the other. */
	a = pf(0, 0, 0, 1);
	b = pf(0, 30, 0, 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.minor, 1);
	assert_int_equal(out.age, 30);

	/* A band alone makes her a minor; the lower band is kept. */
	a = pf(0, 0, BAND(25_TO_39), 0);
	b = pf(0, 0, BAND(12_TO_17), 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.minor, 1);
	assert_int_equal(out.age_band, BAND(12_TO_17));
	case_profile_merge(&b, &none, &out);
	assert_int_equal(out.age_band, BAND(12_TO_17));

	/* Sex: female if either says so (the female escort rule), else the
	 * case's, else the document's. */
	a = pf(M, 0, 0, 1);
	b = pf(F, 0, 0, 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.sex, F);
	case_profile_merge(&b, &a, &out);
	assert_int_equal(out.sex, F);
	a = pf(M, 0, 0, 0);
	b = pf(O, 0, 0, 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.sex, M);
	case_profile_merge(&none, &b, &out);
	assert_int_equal(out.sex, O);
	assert_int_equal(out.stated, 1);

	/* Two adults stay adults. */
	a = pf(F, 30, 0, 0);
	b = pf(F, 19, 0, 0);
	case_profile_merge(&a, &b, &out);
	assert_int_equal(out.minor, 0);
	assert_int_equal(out.age, 19);
	case_profile_person(&out, &tp);
	assert_int_equal(tp.minor, 0);
}

static void
test_apply(void **state)
{
	Homeward__Referral__Profile     p = HOMEWARD__REFERRAL__PROFILE__INIT;
	Homeward__Referral__Profile     u = HOMEWARD__REFERRAL__PROFILE__INIT;
	char                            why[CASE_WHY_LEN];
	unsigned                        changed;

	(void)state;
	p.sex = F;
	p.age = 25;
	p.age_band = BAND(25_TO_39);
	p.nationality = "CI";
	/* A new age says she is a minor. */
	u.age = 15;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_AGE, &changed, why,
	    sizeof(why)), 0);
	assert_int_equal(changed, CASE_PF_AGE | CASE_PF_MINOR);
	assert_int_equal(p.age, 15);
	assert_int_equal(p.age_band, BAND(12_TO_17));
	assert_true(p.minor);
	assert_int_equal(p.sex, F);
	assert_string_equal(p.nationality, "CI");
	/* The same again changes nothing. */
	u.minor = 1;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_AGE | CASE_PF_MINOR,
	    &changed, why, sizeof(why)), 0);
	assert_int_equal(changed, 0);
	/* --adult with an age under 18; --minor with one over. */
	u.minor = 0;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_MINOR, &changed,
	    why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the case says age 15: an adult is 18 or over; "
	    "give the age with --age too");
	assert_int_equal(changed, 0);
	assert_true(p.minor);
	u.age = 30;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_AGE, &changed, why,
	    sizeof(why)), 0);
	assert_int_equal(changed, CASE_PF_AGE | CASE_PF_MINOR);
	assert_false(p.minor);
	u.minor = 1;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_MINOR, &changed,
	    why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the case says age 30: a minor is under 18; "
	    "give the age with --age too");
	assert_int_equal(p.age, 30);
	/* A band alone is an age too. */
	p.age = 0;
	p.age_band = BAND(12_TO_17);
	p.minor = 1;
	u.minor = 0;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_MINOR, &changed,
	    why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the case says age 12-17: an adult is 18 or "
	    "over; give the age with --age too");
	/* Sex only. */
	u.sex = M;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_SEX, &changed, why,
	    sizeof(why)), 0);
	assert_int_equal(changed, CASE_PF_SEX);
	assert_int_equal(p.sex, M);
	assert_true(p.minor);
	/* An explicit --minor with a new age under 18 is no contradiction. */
	u.age = 16;
	u.minor = 1;
	assert_int_equal(case_profile_apply(&p, &u, CASE_PF_AGE | CASE_PF_MINOR,
	    &changed, why, sizeof(why)), 0);
	assert_int_equal(changed, CASE_PF_AGE);
	assert_int_equal(p.age_band, BAND(12_TO_17));
}

static void
test_fields(void **state)
{
	char           *all[] = { "sex", "age", "minor" }, *bad[] = { "sex", "name" };
	char            why[CASE_WHY_LEN], buf[32];
	unsigned        f;

	(void)state;
	assert_int_equal(case_profile_fields(all, 3, &f, why, sizeof(why)), 0);
	assert_int_equal(f, CASE_PF_SEX | CASE_PF_AGE | CASE_PF_MINOR);
	assert_int_equal(case_profile_fields(all + 1, 1, &f, why, sizeof(why)), 0);
	assert_int_equal(f, CASE_PF_AGE);
	assert_int_equal(case_profile_fields(bad, 2, &f, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "a profile's fields are sex, age and minor");
	assert_int_equal(case_profile_fields(NULL, 0, &f, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "--adult"));
	case_profile_fields_format(CASE_PF_AGE | CASE_PF_MINOR, buf, sizeof(buf));
	assert_string_equal(buf, "age, minor");
	case_profile_fields_format(CASE_PF_SEX, buf, sizeof(buf));
	assert_string_equal(buf, "sex");
	case_profile_fields_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void
test_decode(void **state)
{
	Homeward__Referral__Profile     p = HOMEWARD__REFERRAL__PROFILE__INIT;
	struct case_profile             out;
	uint8_t                         buf[64];
	size_t                          n;

	(void)state;
	assert_int_equal(case_profile_decode(NULL, 0, &out), 0);
	assert_int_equal(out.stated, 0);
	assert_int_equal(case_profile_minor(&out), -1);
	p.sex = F;
	p.age = 15;
	p.nationality = "ML";
	n = homeward__referral__profile__pack(&p, buf);
	assert_int_equal(case_profile_decode(buf, n, &out), 0);
	assert_int_equal(out.stated, 1);
	assert_int_equal(out.sex, F);
	assert_int_equal(out.age, 15);
	assert_int_equal(case_profile_minor(&out), 1);
	/* A length running past the end does not decode. */
	buf[0] = 0x2a;          /* field 5, length-delimited */
	buf[1] = 0x7f;
	assert_int_equal(case_profile_decode(buf, 4, &out), -EBADMSG);
	assert_int_equal(out.stated, 0);
	assert_string_equal(case_profile_sex_name(F), "female");
	assert_string_equal(case_profile_sex_name(M), "male");
	assert_string_equal(case_profile_sex_name(O), "other");
	assert_null(case_profile_sex_name(0));
	assert_null(case_profile_sex_name(9));
}

/* cases.profile and cases.doc_profile: sealed under the case key for their
 * own column, replaced in place, emptied when the case is erased. */
static void
test_store_columns(void **state)
{
	static const uint8_t    doc[] = "synthetic doc profile 15";
	struct storefix         fx;
	struct store_case       c, other;
	uint8_t                *raw;
	size_t                  len;

	(void)state;
	assert_int_equal(storefix_open(&fx, "profile"), 0);
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	snprintf(c.code, sizeof(c.code), "CI-P-1");
	snprintf(c.home, sizeof(c.home), "ci-abidjan");
	c.role = CASE_ROLE_DESTINATION;
	c.state = CASE_OPEN;
	assert_int_equal(store_case_insert(fx.st, &c, (const uint8_t *)"case 25",
	    7), 0);
	/* Nothing stated by documents yet. */
	assert_int_equal(store_case_doc_profile(fx.st, &c, &raw, &len), 0);
	assert_int_equal(len, 0);
	assert_null(raw);
	assert_int_equal(store_case_set_doc_profile(fx.st, &c, doc, sizeof(doc)), 0);
	assert_int_equal(store_case_doc_profile(fx.st, &c, &raw, &len), 0);
	assert_int_equal(len, sizeof(doc));
	assert_memory_equal(raw, doc, sizeof(doc));
	secret_free(raw);
	assert_int_equal(storefix_file_has(storefix_path(&fx, "data.db"), doc,
	    sizeof(doc) - 1), 0);
	assert_int_equal(storefix_file_has(storefix_path(&fx, "data.db-wal"), doc,
	    sizeof(doc) - 1), 0);
	/* The update replaces the case's own, not the documents'. */
	assert_int_equal(store_case_set_profile(fx.st, &c, (const uint8_t *)"case 15",
	    7), 0);
	assert_int_equal(store_case_profile(fx.st, &c, &raw, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(raw, "case 15", 7);
	secret_free(raw);
	assert_int_equal(store_case_doc_profile(fx.st, &c, &raw, &len), 0);
	assert_memory_equal(raw, doc, sizeof(doc));
	secret_free(raw);
	/* One column's blob does not open as the other's. */
	assert_int_equal(storefix_sql(&fx, "data.db", "UPDATE cases SET profile = "
	    "doc_profile"), 0);
	assert_int_equal(store_case_profile(fx.st, &c, &raw, &len), -EBADMSG);
	assert_null(raw);
	/* A case that is not there. */
	other = c;
	randombytes_buf(other.case_id, ENV1_ID_LEN);
	assert_int_not_equal(store_case_set_doc_profile(fx.st, &other, doc,
	    sizeof(doc)), 0);
	assert_int_equal(store_case_doc_profile(fx.st, &other, &raw, &len), -ENOENT);
	/* Erased: both gone with the row kept. */
	assert_int_equal(store_case_set_state(fx.st, c.case_id, CASE_ERASED, 9), 0);
	assert_int_equal(storefix_int(&fx, "data.db", "SELECT count(*) FROM cases "
	    "WHERE profile IS NULL AND doc_profile IS NULL"), 1);
	assert_int_equal(store_case_doc_profile(fx.st, &c, &raw, &len), 0);
	assert_int_equal(len, 0);
	storefix_remove(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minor),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_short),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_store_columns),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
