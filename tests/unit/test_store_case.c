/* Unit tests: the procedure's rows (daemon/store/store_cases.c) on real SQLite
 * files: cases by code and home, the procedure state of threads, consent
 * records and their withdrawal, held documents with encrypted bodies and
 * safety reasons, alerts, and erasing a case: every key of it gone from
 * keystore.db and its WAL, its documents unreadable, the row kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "daemon/store/store_case.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

struct ctx {
	char            dir[64];
	uint8_t         ksk[ATREST_KEY_LEN];
	struct store   *st;
	uint8_t         peer[ENV1_KEY_LEN];
};

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	static struct ctx c;
	char *cause = NULL;

	memset(&c, 0, sizeof(c));
	snprintf(c.dir, sizeof(c.dir), "/tmp/homeward-case-XXXXXX");
	if (mkdtemp(c.dir) == NULL)
		return -1;
	randombytes_buf(c.ksk, sizeof(c.ksk));
	randombytes_buf(c.peer, sizeof(c.peer));
	if (store_open(c.dir, c.ksk, &c.st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : "?");
		free(cause);
		return -1;
	}
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	store_close(c->st);
	nftw(c->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
new_case(struct ctx *c, const char *code, const char *home, struct store_case *out)
{
	memset(out, 0, sizeof(*out));
	randombytes_buf(out->case_id, ENV1_ID_LEN);
	snprintf(out->code, sizeof(out->code), "%s", code);
	snprintf(out->home, sizeof(out->home), "%s", home);
	out->role = CASE_ROLE_DESTINATION;
	out->state = CASE_OPEN;
	out->opened_at = 1000;
	snprintf(out->opened_by, sizeof(out->opened_by), "alice");
	assert_int_equal(store_case_insert(c->st, out, (const uint8_t *)"prof", 4), 0);
}

static void
test_cases(void **state)
{
	struct ctx             *c = *state;
	struct store_case       a, b, got, dup;
	uint8_t                *prof;
	size_t                  len;

	new_case(c, "CI-1", "ci-abidjan", &a);
	new_case(c, "CI-1", "sn-dakar", &b);
	/* The same code at the same home is refused. */
	dup = a;
	randombytes_buf(dup.case_id, ENV1_ID_LEN);
	assert_int_equal(store_case_insert(c->st, &dup, NULL, 0), -EEXIST);
	/* By code alone it is ambiguous; the home picks. */
	assert_int_equal(store_case_get(c->st, "CI-1", NULL, &got), -EEXIST);
	assert_int_equal(store_case_get(c->st, "CI-1", "sn-dakar", &got), 0);
	assert_memory_equal(got.case_id, b.case_id, ENV1_ID_LEN);
	assert_int_equal(store_case_get(c->st, "CI-2", NULL, &got), -ENOENT);
	assert_int_equal(store_case_profile(c->st, &a, &prof, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(prof, "prof", 4);
	secret_free(prof);
	assert_int_equal(store_case_set_state(c->st, a.case_id, CASE_CLOSED, 5000), 0);
	assert_int_equal(store_case_get_id(c->st, a.case_id, &got), 0);
	assert_int_equal(got.state, CASE_CLOSED);
	assert_int_equal(got.closed_at, 5000);
	assert_string_equal(store_case_state_name(CASE_ERASING), "erasing");
	assert_int_equal(store_case_state_parse("restricted"), CASE_RESTRICTED);
	assert_int_equal(store_case_state_parse("nonsense"), 0);
}

static void
test_threads(void **state)
{
	struct ctx                     *c = *state;
	struct store_case               a;
	struct store_case_thread        t, got;

	new_case(c, "CI-3", "ci-abidjan", &a);
	memset(&t, 0, sizeof(t));
	randombytes_buf(t.thread_id, ENV1_ID_LEN);
	memcpy(t.case_id, a.case_id, ENV1_ID_LEN);
	memcpy(t.peer_rik, c->peer, ENV1_KEY_LEN);
	t.flow.request = FLOW_REQ_PENDING;
	t.flow.request_reply_by = 123456789012ull;
	t.flow.scheduled_arrival = 987654321098ull;
	t.alerted = CT_ALERT_ARRIVAL;
	assert_int_equal(store_ct_put(c->st, &t), 0);
	assert_int_equal(store_ct_get(c->st, t.thread_id, &got), 0);
	assert_memory_equal(&got.flow, &t.flow, sizeof(t.flow));
	assert_int_equal(got.alerted, CT_ALERT_ARRIVAL);
	assert_int_equal(store_ct_find(c->st, a.case_id, c->peer, &got), 0);
	t.flow.request = FLOW_REQ_ACCEPTED;
	assert_int_equal(store_ct_put(c->st, &t), 0);       /* replaces */
	assert_int_equal(store_ct_get(c->st, t.thread_id, &got), 0);
	assert_int_equal(got.flow.request, FLOW_REQ_ACCEPTED);
}

static void
test_consents(void **state)
{
	struct ctx             *c = *state;
	struct store_case       a;
	struct store_consent    sc, *v;
	uint8_t                *scope;
	size_t                  n, len;
	unsigned                w;

	new_case(c, "CI-4", "ci-abidjan", &a);
	memset(&sc, 0, sizeof(sc));
	memcpy(sc.case_id, a.case_id, ENV1_ID_LEN);
	for (int i = 0; i < 2; i++) {
		randombytes_buf(sc.c.id, ENV1_ID_LEN);
		snprintf(sc.c.recipients[0], sizeof(sc.c.recipients[0]), "ml-bamako");
		snprintf(sc.c.recipients[1], sizeof(sc.c.recipients[1]), "sn-dakar");
		sc.c.nrecipients = 2;
		sc.c.steps = 0xfe;
		sc.c.categories = 1u << 4;
		sc.c.expires_at = 99;
		sc.recorded_at = 10 + (uint64_t)i;
		sc.source = CONSENT_RECORDED;
		assert_int_equal(store_consent_insert(c->st, &sc,
		    (const uint8_t *)"scope", 5), 0);
	}
	assert_int_equal(store_consent_list(c->st, a.case_id, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].c.nrecipients, 2);
	assert_string_equal(v[0].c.recipients[1], "sn-dakar");
	assert_int_equal(v[1].c.steps, 0xfe);
	assert_int_equal(store_consent_scope(c->st, &v[0], &scope, &len), 0);
	assert_int_equal(len, 5);
	secret_free(scope);
	/* One withdrawn, then the rest; nothing left to withdraw. */
	assert_int_equal(store_consent_withdraw(c->st, a.case_id, v[0].c.id, 50, 0, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(store_consent_withdraw(c->st, a.case_id, NULL, 60, 0, &w), 0);
	assert_int_equal(w, 1);
	assert_int_equal(store_consent_withdraw(c->st, a.case_id, NULL, 70, 0, &w), 0);
	assert_int_equal(w, 0);
	free(v);
	assert_int_equal(store_consent_list(c->st, a.case_id, &v, &n), 0);
	assert_int_equal(v[0].c.withdrawn_at, 50);
	assert_int_equal(v[1].c.withdrawn_at, 60);
	free(v);
}

static int
count_cb(const struct store_held *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static void
test_held(void **state)
{
	struct ctx             *c = *state;
	struct store_case       a;
	struct store_held       h, got;
	uint8_t                *body;
	size_t                  len;
	char                   *safety;
	int                     n = 0;

	new_case(c, "CI-5", "ci-abidjan", &a);
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, a.case_id, ENV1_ID_LEN);
	memcpy(h.peer_rik, c->peer, ENV1_KEY_LEN);
	h.msg_type = 1;
	h.state = HELD_CONSENT;
	h.categories = 0x1c;
	snprintf(h.missing, sizeof(h.missing), "no consent covers health");
	assert_int_equal(store_held_insert(c->st, &h, (const uint8_t *)"doc", 3, NULL), 0);
	assert_int_equal(store_held_get(c->st, h.held_id, &got), 0);
	assert_string_equal(got.missing, h.missing);
	assert_int_equal(store_held_body(c->st, &got, &body, &len, &safety), 0);
	assert_int_equal(len, 3);
	assert_null(safety);
	secret_free(body);
	assert_int_equal(store_held_set_safety(c->st, &got, "synthetic threat"), 0);
	assert_int_equal(store_held_body(c->st, &got, &body, &len, &safety), 0);
	assert_string_equal(safety, "synthetic threat");
	secret_free(body);
	secret_free(safety);
	assert_int_equal(store_held_each(c->st, a.case_id, 0, count_cb, &n), 0);
	assert_int_equal(n, 1);
	got.state = HELD_RELEASED;
	randombytes_buf(got.message_id, ENV1_ID_LEN);
	assert_int_equal(store_held_update(c->st, &got), 0);
	n = 0;
	assert_int_equal(store_held_each(c->st, a.case_id, 0, count_cb, &n), 0);
	assert_int_equal(n, 0);         /* released: not held any more */
	n = 0;
	assert_int_equal(store_held_each(c->st, NULL, HELD_RELEASED, count_cb, &n), 0);
	assert_int_equal(n, 1);
}

/* The approvals' reasons are sealed under the case key and come back
 * apart; a draft replaced by a newer one names it. */
static void
test_held_reasons(void **state)
{
	struct ctx             *c = *state;
	struct store_case       a;
	struct store_held       h, got;
	char                   *first, *second, path[128];
	static const char       secret1[] = "synthetic reason Qwzx first";

	new_case(c, "CI-8", "ci-abidjan", &a);
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, a.case_id, ENV1_ID_LEN);
	memcpy(h.peer_rik, c->peer, ENV1_KEY_LEN);
	h.msg_type = 1;
	h.state = HELD_APPROVAL;
	assert_int_equal(store_held_insert(c->st, &h, (const uint8_t *)"doc", 3,
	    "threat"), 0);
	assert_int_equal(store_held_reasons(c->st, &h, &first, &second), 0);
	assert_null(first);
	assert_null(second);
	assert_int_equal(store_held_set_reason(c->st, &h, 1, secret1), 0);
	assert_int_equal(store_held_reasons(c->st, &h, &first, &second), 0);
	assert_string_equal(first, secret1);
	assert_null(second);
	secret_free(first);
	assert_int_equal(store_held_set_reason(c->st, &h, 2, "concur"), 0);
	assert_int_equal(store_held_reasons(c->st, &h, &first, &second), 0);
	assert_string_equal(first, secret1);
	assert_string_equal(second, "concur");
	secret_free(first);
	secret_free(second);
	assert_int_equal(store_held_set_reason(c->st, &h, 3, "x"), -EINVAL);
	/* Not in clear in data.db or its WAL. */
	snprintf(path, sizeof(path), "%s/data.db", c->dir);
	assert_false(storefix_file_has(path, secret1, strlen(secret1)));
	snprintf(path, sizeof(path), "%s/data.db-wal", c->dir);
	assert_false(storefix_file_has(path, secret1, strlen(secret1)));

	assert_int_equal(store_held_get(c->st, h.held_id, &got), 0);
	assert_true(sodium_is_zero(got.replaced_by, ENV1_ID_LEN));
	got.state = HELD_CANCELLED;
	randombytes_buf(got.replaced_by, ENV1_ID_LEN);
	assert_int_equal(store_held_update(c->st, &got), 0);
	assert_int_equal(store_held_get(c->st, h.held_id, &h), 0);
	assert_memory_equal(h.replaced_by, got.replaced_by, ENV1_ID_LEN);
	assert_int_equal(h.state, HELD_CANCELLED);

	memset(got.held_id, 0xee, ENV1_ID_LEN);
	assert_int_equal(store_held_set_reason(c->st, &got, 1, "x"), -ENOENT);

	/* Erasure takes the reasons with the body. */
	assert_int_equal(store_case_erase(c->st, a.case_id, "test", "withdrawn", 9), 0);
	assert_int_equal(store_held_reasons(c->st, &h, &first, &second), 0);
	assert_null(first);
	assert_null(second);
}

static void
wrapped_of(struct ctx *c, const uint8_t id[ENV1_ID_LEN], uint8_t out[ATREST_WRAPPED_LEN])
{
	char            path[128];
	sqlite3        *db;
	sqlite3_stmt   *s;

	snprintf(path, sizeof(path), "%s/keystore.db", c->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT wrapped_dek FROM case_keys "
	    "WHERE case_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, id, ENV1_ID_LEN, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), ATREST_WRAPPED_LEN);
	memcpy(out, sqlite3_column_blob(s, 0), ATREST_WRAPPED_LEN);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_erase(void **state)
{
	struct ctx                     *c = *state;
	struct store_case               a, got;
	struct store_case_thread        t;
	struct store_held               h, hg;
	uint8_t                         wcase[ATREST_WRAPPED_LEN];
	uint8_t                         wthread[ATREST_WRAPPED_LEN];
	uint8_t                        *body, *prof;
	size_t                          len;
	char                            path[128], *safety;

	new_case(c, "CI-6", "ci-abidjan", &a);
	memset(&t, 0, sizeof(t));
	randombytes_buf(t.thread_id, ENV1_ID_LEN);
	memcpy(t.case_id, a.case_id, ENV1_ID_LEN);
	memcpy(t.peer_rik, c->peer, ENV1_KEY_LEN);
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(store_thread_create(c->st, t.thread_id, c->peer, 1), 0);
	assert_int_equal(store_ct_put(c->st, &t), 0);
	assert_int_equal(store_commit(c->st), 0);
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, a.case_id, ENV1_ID_LEN);
	memcpy(h.peer_rik, c->peer, ENV1_KEY_LEN);
	h.msg_type = 3;
	h.state = HELD_CONSENT;
	assert_int_equal(store_held_insert(c->st, &h, (const uint8_t *)"doc", 3,
	    "reason"), 0);
	wrapped_of(c, a.case_id, wcase);
	wrapped_of(c, t.thread_id, wthread);

	assert_int_equal(store_case_erase(c->st, a.case_id, "test", "withdrawn", 9), 0);
	assert_int_equal(store_case_get_id(c->st, a.case_id, &got), 0);
	assert_int_equal(got.state, CASE_ERASED);
	assert_int_equal(got.erased_at, 9);
	/* The profile column is gone with the case. */
	assert_int_equal(store_case_profile(c->st, &got, &prof, &len), 0);
	assert_int_equal(len, 0);
	assert_null(prof);
	assert_int_equal(store_held_get(c->st, h.held_id, &hg), 0);
	assert_int_equal(hg.state, HELD_CANCELLED);
	assert_int_not_equal(store_held_body(c->st, &hg, &body, &len, &safety), 0);
	/* Neither key is in keystore.db or its WAL any more. */
	snprintf(path, sizeof(path), "%s/keystore.db", c->dir);
	assert_false(storefix_file_has(path, wcase, sizeof(wcase)));
	assert_false(storefix_file_has(path, wthread, sizeof(wthread)));
	snprintf(path, sizeof(path), "%s/keystore.db-wal", c->dir);
	assert_false(storefix_file_has(path, wcase, sizeof(wcase)));
	assert_false(storefix_file_has(path, wthread, sizeof(wthread)));
}

static int
alert_cb(const struct store_alert *a, void *arg)
{
	struct store_alert *out = arg;

	*out = *a;
	return 1;
}

static void
test_alerts(void **state)
{
	struct ctx             *c = *state;
	struct store_alert      a;

	assert_int_equal(store_alert_case(c->st, "arrival_overdue", 1, c->peer, NULL,
	    "CI-7", "arrival not confirmed", 77), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_alert_each(c->st, 0, 10, alert_cb, &a), 0);
	assert_string_equal(a.kind, "arrival_overdue");
	assert_int_equal(a.urgent, 1);
	assert_string_equal(a.case_code, "CI-7");
	assert_true(a.has_peer);
	assert_int_equal(store_alert_ack(c->st, a.id, "bob", 80), 0);
	assert_int_equal(store_alert_ack(c->st, a.id, "bob", 81), -ENOENT);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_alert_each(c->st, 0, 10, alert_cb, &a), 0);
	assert_int_equal(a.id, 0);      /* acknowledged: not listed */
	assert_int_equal(store_alert_each(c->st, 1, 10, alert_cb, &a), 0);
	assert_string_equal(a.acked_by, "bob");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
