/* Unit tests: a store whose files are damaged below the rows (daemon/store/
 * store_msgs.c, store_peers.c, store_cases.c, store_held.c,
 * store_consents.c, store_alerts.c, store_keys.c, store_sql.c) on real
 * SQLite files edited behind its back: the tables of data.db or keystore.db
 * gone, or replaced by views whose every row fails when read (as a damaged
 * page fails).  Every call answers -EIO (never a crash, never a row made
 * up, never a callback, never an audit log said to be intact), an open
 * transaction is rolled back whole, and the other database keeps
 * working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/audit.h"
#include "daemon/store/store_audit.h"
#include "daemon/store/store_case.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static const char *const data_tables[] = {
	"peers", "threads", "outbox", "inbox", "alerts", "cases", "case_threads",
	"consents", "held", "audit",
};

/* What exists before the damage: a thread with a sealed message, a ledger
 * row, a case with a thread, a held document, a consent. */
struct world {
	struct storefix         fx;
	uint8_t                 tid[ENV1_ID_LEN];
	struct store_out        out;
	struct store_in         in;
	struct store_case       c;
	struct store_case_thread ct;
	struct store_held       held;
	struct store_consent    consent;
};

static int
setup(void **state)
{
	static struct world w;
	struct storefix *fx = &w.fx;

	memset(&w, 0, sizeof(w));
	if (storefix_open(fx, "broken") != 0)
		return -1;
	storefix_thread(fx, w.tid);
	storefix_out(fx, w.tid, "a synthetic body", &w.out);
	storefix_seal(fx, &w.out);
	storefix_in(fx, w.tid, 1, IN_ACCEPTED, "evidence", &w.in);
	randombytes_buf(w.c.case_id, ENV1_ID_LEN);
	strcpy(w.c.code, "CI-BRK-1");
	strcpy(w.c.home, "ci-abidjan");
	w.c.role = CASE_ROLE_DESTINATION;
	w.c.state = CASE_OPEN;
	memcpy(w.ct.thread_id, w.tid, ENV1_ID_LEN);
	memcpy(w.ct.case_id, w.c.case_id, ENV1_ID_LEN);
	memcpy(w.ct.peer_rik, fx->peer, ENV1_KEY_LEN);
	randombytes_buf(w.held.held_id, ENV1_ID_LEN);
	memcpy(w.held.case_id, w.c.case_id, ENV1_ID_LEN);
	w.held.state = HELD_CONSENT;
	randombytes_buf(w.consent.c.id, ENV1_ID_LEN);
	memcpy(w.consent.case_id, w.c.case_id, ENV1_ID_LEN);
	if (store_case_insert(fx->st, &w.c, (const uint8_t *)"p", 1) != 0 ||
	    store_ct_put(fx->st, &w.ct) != 0 ||
	    store_held_insert(fx->st, &w.held, (const uint8_t *)"d", 1, "s") != 0 ||
	    store_consent_insert(fx->st, &w.consent, (const uint8_t *)"c", 1) != 0 ||
	    store_alert_case(fx->st, "gap", 0, NULL, NULL, "CI-BRK-1", "x", 1) != 0)
		return -1;
	*state = &w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	storefix_remove(&w->fx);
	return 0;
}

/* Callbacks that must not run: nothing is read from a broken table. */
static int
no_out(const struct store_out *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static int
no_in(const struct store_in *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static int
no_case(const struct store_case *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
no_ct(const struct store_case_thread *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

static int
no_held(const struct store_held *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int
no_audit(const struct audit_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
no_alert(const struct store_alert *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

#define EIO_(call)      assert_int_equal((call), -EIO)

/* Every call that reads or writes data.db. */
static void
data_calls_fail(struct world *w)
{
	struct store           *st = w->fx.st;
	struct store_out        m = w->out, got;
	struct store_in         in = w->in, ingot;
	struct store_thread     t;
	struct store_counts     n;
	struct store_peer       p, *pv = (struct store_peer *)1;
	struct store_case       c;
	struct store_case_thread ct;
	struct store_held       h;
	struct store_consent   *cv = (struct store_consent *)1;
	uint8_t                 x[ENV1_HASH_LEN] = { 0 }, tbs[ENV1_TBS_LEN];
	uint8_t                 sig[ENV1_SIG_LEN], *blob = NULL, tid2[ENV1_ID_LEN];
	uint8_t                 mid[ENV1_ID_LEN];
	size_t                  len = 0, cnt = 0;
	uint64_t                u = 0;
	int64_t                 cursor = 0;
	unsigned                wn;
	char                   *safety = NULL;
	int                     calls = 0;

	memset(&p, 0, sizeof(p));
	memcpy(p.rik, w->fx.peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "beta");
	p.bundle = x;
	p.bundle_len = 1;
	randombytes_buf(tid2, sizeof(tid2));
	/* peers and threads */
	EIO_(store_peer_put(st, &p));
	EIO_(store_peer_delete(st, p.rik));
	EIO_(store_peer_list(st, &pv, &cnt));
	assert_null(pv);
	assert_int_equal(cnt, 0);
	EIO_(store_peer_unacked(st, p.rik, &u));
	EIO_(store_thread_get(st, w->tid, &t));
	EIO_(store_thread_create(st, tid2, w->fx.peer, 1));
	memset(&t, 0, sizeof(t));
	memcpy(t.thread_id, w->tid, ENV1_ID_LEN);
	EIO_(store_thread_put(st, &t));
	EIO_(store_thread_put_in(st, w->tid, 2, x));
	/* the outbox */
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	EIO_(store_out_insert(st, &m, (const uint8_t *)"b"));
	EIO_(store_out_get(st, w->out.message_id, &got));
	EIO_(store_out_find_h_inner(st, x, &got));
	EIO_(store_out_body(st, &w->out, &blob));
	EIO_(store_out_envelope(st, &w->out, &blob, &len));
	EIO_(store_out_signed(st, &w->out, tbs, sig));
	EIO_(store_out_sealed(st, w->out.message_id, x, 1, x, x, tbs, sig));
	EIO_(store_out_transmitted(st, w->out.message_id, 1, 2));
	EIO_(store_out_delivered(st, w->out.message_id, x, 3));
	EIO_(store_out_each_unacked(st, w->fx.peer, 0, &cursor, 10, no_out, &calls));
	EIO_(store_out_each_waiting(st, w->fx.peer, no_out, &calls));
	EIO_(store_out_list(st, NULL, -1, 0, 10, no_out, &calls));
	/* the ledger */
	randombytes_buf(in.message_id, ENV1_ID_LEN);
	EIO_(store_in_insert(st, &in, (const uint8_t *)"e", 1));
	EIO_(store_in_get(st, w->fx.peer, w->in.message_id, &ingot));
	EIO_(store_in_get_id(st, w->in.message_id, &ingot));
	EIO_(store_in_held_at(st, w->tid, 2, &ingot));
	EIO_(store_in_set_state(st, w->fx.peer, w->in.message_id, IN_GAP_HELD));
	EIO_(store_in_set_committed(st, w->fx.peer, w->in.message_id, 9));
	EIO_(store_in_evidence(st, &w->in, &blob, &len));
	EIO_(store_in_list(st, w->fx.peer, -1, 0, 10, no_in, &calls));
	EIO_(store_counts(st, &n));
	/* alerts */
	EIO_(store_alert_add(st, "gap", NULL, NULL, w->tid, "d", x, 1, 1));
	EIO_(store_alert_case(st, "gap", 1, NULL, NULL, "CI-BRK-1", "d", 1));
	EIO_(store_alert_each(st, 1, 10, no_alert, &calls));
	EIO_(store_alert_ack(st, 1, "bob", 2));
	/* cases, their threads, held documents, consents */
	c = w->c;
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	strcpy(c.code, "CI-BRK-2");
	EIO_(store_case_insert(st, &c, NULL, 0));
	EIO_(store_case_get(st, "CI-BRK-1", NULL, &c));
	EIO_(store_case_get_id(st, w->c.case_id, &c));
	EIO_(store_case_set_state(st, w->c.case_id, CASE_CLOSED, 5));
	EIO_(store_case_profile(st, &w->c, &blob, &len));
	EIO_(store_case_each(st, 0, no_case, &calls));
	EIO_(store_case_each_closed(st, 10, no_case, &calls));
	EIO_(store_case_unacked(st, w->c.case_id, &u));
	EIO_(store_case_erase(st, w->c.case_id, "test", "broken", 6));
	EIO_(store_ct_put(st, &w->ct));
	EIO_(store_ct_get(st, w->tid, &ct));
	EIO_(store_ct_find(st, w->c.case_id, w->fx.peer, &ct));
	EIO_(store_ct_each(st, NULL, no_ct, &calls));
	EIO_(store_ct_each(st, w->c.case_id, no_ct, &calls));
	h = w->held;
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	EIO_(store_held_insert(st, &h, (const uint8_t *)"d", 1, NULL));
	EIO_(store_held_get(st, w->held.held_id, &h));
	EIO_(store_held_body(st, &w->held, &blob, &len, &safety));
	assert_null(blob);
	assert_null(safety);
	EIO_(store_held_update(st, &w->held));
	EIO_(store_held_set_safety(st, &w->held, "s"));
	EIO_(store_held_each(st, NULL, 0, no_held, &calls));
	EIO_(store_consent_insert(st, &w->consent, (const uint8_t *)"c", 1));
	EIO_(store_consent_list(st, w->c.case_id, &cv, &cnt));
	assert_null(cv);
	EIO_(store_consent_scope(st, &w->consent, &blob, &len));
	EIO_(store_consent_withdraw(st, w->c.case_id, NULL, 7, 0, &wn));
	/* what a withdrawal does to a thread; alerts that reach people */
	EIO_(store_out_cancel_unsealed(st, w->tid, 0xfeu, &wn));
	EIO_(store_in_last_of_type(st, w->tid, ENV1_MSG_CONSENT_WITHDRAWAL, mid));
	{
		struct store_alert      av[2];
		struct store_gap        gv[2];
		size_t                  an = 9;
		unsigned                at = 9;

		EIO_(store_alert_pending(st, 10, 2, av, &an));
		EIO_(store_alert_notified(st, 1, 1, 10));
		EIO_(store_alert_attempts(st, 1, &at));
		EIO_(store_alert_quiet(st));
		EIO_(store_alert_gaps_due(st, 10, 2, gv, &an));
	}
	/* the audit log: nothing appended, nothing said to be intact */
	EIO_(audit_append(st, "alice", "case.open", "CI-BRK-1", NULL, NULL, 8));
	assert_false(store_in_tx(st));
	EIO_(audit_list(st, NULL, 0, 10, no_audit, &calls));
	{
		uint64_t        seq = 9, checked = 9, bad = 9;
		uint8_t         mac[AUDIT_MAC_LEN];
		const char     *why = "unset";

		EIO_(store_audit_tail(st, &seq, mac));
		EIO_(store_audit_mac_at(st, 1, mac));
		EIO_(audit_verify(st, &checked, &bad, &why));
		assert_null(why);
		EIO_(audit_anchor_sync(st));
	}
	assert_int_equal(calls, 0);
}

/* keystore.db still works meanwhile: prekeys go in and out. */
static void
keystore_still_works(struct world *w)
{
	struct store_spk        k, *v;
	uint8_t                 sk[ATREST_KEY_LEN];
	size_t                  n;
	unsigned                deleted;

	memset(&k, 0, sizeof(k));
	k.stmt.spk_id = 42;
	k.stmt.suite = ENV1_SUITE_X25519;
	k.stmt.retain_until = 10;
	randombytes_buf(sk, sizeof(sk));
	assert_int_equal(store_spk_wrap(w->fx.st, 42, sk, k.wrapped), 0);
	assert_int_equal(store_spk_put(w->fx.st, &k), 0);
	assert_int_equal(store_spk_list(w->fx.st, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	assert_int_equal(store_spk_expire(w->fx.st, 100, &deleted), 0);
	assert_int_equal(deleted, 1);
}

static void
test_data_tables_gone(void **state)
{
	struct world   *w = *state;
	char            sql[64];

	storefix_close(&w->fx);
	for (size_t i = 0; i < sizeof(data_tables) / sizeof(data_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DROP TABLE %s", data_tables[i]);
		assert_int_equal(storefix_sql(&w->fx, "data.db", sql), 0);
	}
	/* The schema version says there is nothing to migrate. */
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	data_calls_fail(w);
	keystore_still_works(w);
}

static void
test_data_rows_unreadable(void **state)
{
	struct world *w = *state;

	storefix_close(&w->fx);
	for (size_t i = 0; i < sizeof(data_tables) / sizeof(data_tables[0]); i++)
		storefix_poison(&w->fx, "data.db", data_tables[i]);
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	data_calls_fail(w);
	keystore_still_works(w);
}

/* Inside a transaction the failure rolls back what came before it. */
static void
test_failure_in_transaction(void **state)
{
	struct world           *w = *state;
	struct store_out        m, got;
	struct store_thread     t;

	storefix_close(&w->fx);
	storefix_poison(&w->fx, "data.db", "inbox");
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	storefix_out(&w->fx, w->tid, "second", &m);     /* the outbox is fine */
	m.body_len = 5;
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	assert_int_equal(store_begin(w->fx.st), 0);
	assert_int_equal(store_out_insert(w->fx.st, &m, (const uint8_t *)"third"), 0);
	EIO_(store_in_get_id(w->fx.st, w->in.message_id, &w->in));
	store_rollback(w->fx.st);
	assert_int_equal(store_out_get(w->fx.st, m.message_id, &got), -ENOENT);
	assert_int_equal(store_thread_get(w->fx.st, w->tid, &t), 0);
	assert_int_equal(t.out_seq, 2);
}

static void
keystore_calls_fail(struct world *w)
{
	struct store           *st = w->fx.st;
	struct store_spk        k, *v = (struct store_spk *)1;
	struct store_out        m = w->out;
	uint8_t                 sk[ATREST_KEY_LEN], *blob = NULL, tid2[ENV1_ID_LEN];
	size_t                  n = 9;
	unsigned                deleted = 9;

	memset(&k, 0, sizeof(k));
	k.stmt.spk_id = 43;
	randombytes_buf(sk, sizeof(sk));
	assert_int_equal(store_spk_wrap(st, 43, sk, k.wrapped), 0);
	EIO_(store_spk_put(st, &k));
	EIO_(store_spk_list(st, &v, &n));
	assert_null(v);
	assert_int_equal(n, 0);
	EIO_(store_spk_expire(st, 100, &deleted));
	assert_int_equal(deleted, 0);
	/* Case keys cannot be read, made or destroyed. */
	EIO_(store_out_body(st, &w->out, &blob));
	assert_null(blob);
	randombytes_buf(m.message_id, ENV1_ID_LEN);
	assert_int_equal(store_begin(st), 0);
	EIO_(store_out_insert(st, &m, (const uint8_t *)"b"));
	store_rollback(st);
	randombytes_buf(tid2, sizeof(tid2));
	EIO_(store_thread_create(st, tid2, w->fx.peer, 1));
	EIO_(store_case_shred(st, w->tid, "test", "broken", 8));
	EIO_(store_case_erase(st, w->c.case_id, "test", "broken", 8));
	/* The audit anchor cannot be read or moved; an entry appended in a
	 * transaction of its own stands (the anchor catches up later). */
	{
		uint64_t        seq, checked, bad;
		uint8_t         mac[AUDIT_MAC_LEN] = { 0 };
		const char     *why = "unset";
		int             moved = 7;

		EIO_(store_audit_anchor_get(st, &seq, mac));
		EIO_(store_audit_anchor_put(st, 1, mac, &moved));
		assert_int_equal(audit_append(st, "alice", "case.open", "CI-BRK-1",
		    NULL, NULL, 8), 0);
		EIO_(audit_anchor_sync(st));
		EIO_(audit_verify(st, &checked, &bad, &why));
		assert_null(why);
	}
}

static void
test_keystore_tables_gone(void **state)
{
	struct world           *w = *state;
	struct store_case       c;
	struct store_out        got;

	storefix_close(&w->fx);
	assert_int_equal(storefix_sql(&w->fx, "keystore.db", "DROP TABLE case_keys;"
	    "DROP TABLE spk_secrets; DROP TABLE shred_log; DROP TABLE audit_head"), 0);
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	keystore_calls_fail(w);
	/* The rows of data.db are all there, and the case is not erased. */
	assert_int_equal(store_case_get_id(w->fx.st, w->c.case_id, &c), 0);
	assert_int_equal(c.state, CASE_OPEN);
	assert_int_equal(store_out_get(w->fx.st, w->out.message_id, &got), 0);
}

static void
test_keystore_rows_unreadable(void **state)
{
	struct world           *w = *state;
	struct store_case       c;

	storefix_close(&w->fx);
	storefix_poison(&w->fx, "keystore.db", "case_keys");
	storefix_poison(&w->fx, "keystore.db", "spk_secrets");
	storefix_poison(&w->fx, "keystore.db", "audit_head");
	assert_int_equal(storefix_reopen(&w->fx, NULL), 0);
	keystore_calls_fail(w);
	assert_int_equal(store_case_get_id(w->fx.st, w->c.case_id, &c), 0);
	assert_int_equal(c.state, CASE_OPEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_tables_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_rows_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keystore_tables_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keystore_rows_unreadable, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	/* Every failure is logged as a warning: keep the output to failures. */
	log_init(0, LOG_LEVEL_WARN, "test_store_broken");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
