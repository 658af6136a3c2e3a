/* Unit tests: the daemon's store (daemon/store*.c) on real SQLite files in
 * a temporary directory: migrations, thread positions, encrypted columns,
 * the ledger's uniqueness, a full database, and shredding that leaves no
 * key bytes in keystore.db or its WAL. */
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

#include "daemon/base/log.h"
#include "daemon/store/store.h"
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
	snprintf(c.dir, sizeof(c.dir), "/tmp/homeward-store-XXXXXX");
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
new_thread(struct ctx *c, uint8_t tid[ENV1_ID_LEN])
{
	randombytes_buf(tid, ENV1_ID_LEN);
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(store_thread_create(c->st, tid, c->peer, 1), 0);
	assert_int_equal(store_commit(c->st), 0);
}

static void
out_message(struct ctx *c, const uint8_t tid[ENV1_ID_LEN], const char *body,
    struct store_out *m)
{
	memset(m, 0, sizeof(*m));
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->peer_rik, c->peer, ENV1_KEY_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	m->body_len = strlen(body);
	m->created_at = 1000;
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(store_out_insert(c->st, m, (const uint8_t *)body), 0);
	assert_int_equal(store_commit(c->st), 0);
}

static void
test_reopen_and_version(void **state)
{
	struct ctx     *c = *state;
	char            path[128], *cause = NULL;
	sqlite3        *db;

	store_close(c->st);
	assert_int_equal(store_open(c->dir, c->ksk, &c->st, &cause), 0);
	store_close(c->st);
	c->st = NULL;
	/* A database from a newer homewardd is refused, and says so. */
	snprintf(path, sizeof(path), "%s/data.db", c->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(c->dir, c->ksk, &c->st, &cause), -EPROTONOSUPPORT);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	assert_null(c->st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(store_open(c->dir, c->ksk, &c->st, &cause), 0);
}

static void
test_positions_and_chain(void **state)
{
	struct ctx             *c = *state;
	struct store_out        a, b, got;
	struct store_thread     t;
	uint8_t                 tid[ENV1_ID_LEN], h[ENV1_HASH_LEN], tbs[ENV1_TBS_LEN];
	uint8_t                 sig[ENV1_SIG_LEN], tbs2[ENV1_TBS_LEN], sig2[ENV1_SIG_LEN];
	uint8_t                *body, *env;
	size_t                  envlen;
	static const uint8_t    fake_env[300] = { 1, 2, 3 };

	new_thread(c, tid);
	out_message(c, tid, "first synthetic document", &a);
	out_message(c, tid, "second", &b);
	assert_int_equal(a.seq, 1);
	assert_int_equal(b.seq, 2);
	assert_int_equal(store_out_get(c->st, b.message_id, &got), 0);
	assert_int_equal(got.state, OUT_WAITING);
	assert_int_equal(store_out_body(c->st, &got, &body), 0);
	assert_memory_equal(body, "second", 6);
	secret_free(body);

	randombytes_buf(h, sizeof(h));
	randombytes_buf(tbs, sizeof(tbs));
	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(store_out_sealed(c->st, a.message_id, fake_env,
	    sizeof(fake_env), h, h, tbs, sig), 0);
	assert_int_equal(store_commit(c->st), 0);
	assert_int_equal(store_thread_get(c->st, tid, &t), 0);
	assert_int_equal(t.out_seq, 2);
	assert_int_equal(t.sealed_seq, 1);
	assert_memory_equal(t.out_last_h_inner, h, ENV1_HASH_LEN);
	assert_int_equal(store_out_get(c->st, a.message_id, &got), 0);
	assert_int_equal(got.state, OUT_SEALED);
	assert_int_equal(store_out_envelope(c->st, &got, &env, &envlen), 0);
	assert_int_equal(envlen, sizeof(fake_env));
	assert_memory_equal(env, fake_env, envlen);
	free(env);
	assert_int_equal(store_out_signed(c->st, &got, tbs2, sig2), 0);
	assert_memory_equal(tbs2, tbs, sizeof(tbs));
	assert_memory_equal(sig2, sig, sizeof(sig));
	assert_int_equal(store_out_find_h_inner(c->st, h, &got), 0);
	assert_memory_equal(got.message_id, a.message_id, ENV1_ID_LEN);
}

static void
test_bodies_encrypted_and_bound(void **state)
{
	struct ctx             *c = *state;
	struct store_out        a, b;
	uint8_t                 tid[ENV1_ID_LEN], *body;
	char                    path[128], sql[256];
	sqlite3                *db;
	static const char       canary[] = "CANARY-Zq7-synthetic-name";

	new_thread(c, tid);
	out_message(c, tid, canary, &a);
	out_message(c, tid, "another body, same length....", &b);
	store_close(c->st);
	c->st = NULL;
	snprintf(path, sizeof(path), "%s/data.db", c->dir);
	assert_false(storefix_file_has(path, canary, strlen(canary)));
	snprintf(path, sizeof(path), "%s/data.db-wal", c->dir);
	assert_false(storefix_file_has(path, canary, strlen(canary)));
	/* Swap the two bodies: each is bound to its own row id. */
	snprintf(path, sizeof(path), "%s/data.db", c->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE outbox SET body = (SELECT body FROM outbox "
	    "WHERE seq = 2) WHERE seq = 1");
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	{
		char *cause = NULL;
		assert_int_equal(store_open(c->dir, c->ksk, &c->st, &cause), 0);
	}
	a.body_len = strlen("another body, same length....");
	assert_int_equal(store_out_body(c->st, &a, &body), -EBADMSG);
	assert_int_equal(store_out_body(c->st, &b, &body), 0);
	secret_free(body);
}

static void
in_row(struct ctx *c, const uint8_t tid[ENV1_ID_LEN], uint64_t seq, int state_,
    struct store_in *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->sender_rik, c->peer, ENV1_KEY_LEN);
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->seq = seq;
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	randombytes_buf(m->h_inner, ENV1_HASH_LEN);
	m->state = state_;
	m->received_at = 5;
	randombytes_buf(m->receipt_id, ENV1_ID_LEN);
}

static void
test_ledger_unique_and_held(void **state)
{
	struct ctx             *c = *state;
	struct store_in         a, b, got;
	struct store_counts     n;
	uint8_t                 tid[ENV1_ID_LEN], *ev;
	size_t                  evlen;
	static const uint8_t    evidence[] = "signed parts";

	new_thread(c, tid);
	in_row(c, tid, 1, IN_ACCEPTED, &a);
	in_row(c, tid, 3, IN_GAP_HELD, &b);
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(store_in_insert(c->st, &a, evidence, sizeof(evidence)), 0);
	assert_int_equal(store_in_insert(c->st, &b, evidence, sizeof(evidence)), 0);
	assert_int_equal(store_in_insert(c->st, &a, evidence, sizeof(evidence)), -EEXIST);
	assert_int_equal(store_commit(c->st), 0);
	assert_int_equal(store_in_get(c->st, c->peer, a.message_id, &got), 0);
	assert_memory_equal(got.h_inner, a.h_inner, ENV1_HASH_LEN);
	assert_int_equal(store_in_held_at(c->st, tid, 3, &got), 0);
	assert_memory_equal(got.message_id, b.message_id, ENV1_ID_LEN);
	assert_int_equal(store_in_held_at(c->st, tid, 2, &got), -ENOENT);
	assert_int_equal(store_in_evidence(c->st, &a, &ev, &evlen), 0);
	assert_int_equal(evlen, sizeof(evidence));
	assert_memory_equal(ev, evidence, evlen);
	secret_free(ev);
	assert_int_equal(store_counts(c->st, &n), 0);
	assert_int_equal(n.in_total, 2);
	assert_int_equal(n.in_gap_held, 1);
}

static void
test_full_database(void **state)
{
	struct ctx             *c = *state;
	struct store_out        m;
	struct store_counts     before, after;
	uint8_t                 tid[ENV1_ID_LEN], *big;
	int                     rc = 0;

	new_thread(c, tid);
	assert_int_equal(store_counts(c->st, &before), 0);
	assert_int_equal(store_set_max_pages(c->st, 40), 0);
	big = calloc(1, 64 * 1024);
	assert_non_null(big);
	/* Fill until it refuses: the refused transaction leaves nothing. */
	for (int i = 0; i < 64 && rc == 0; i++) {
		memset(&m, 0, sizeof(m));
		randombytes_buf(m.message_id, ENV1_ID_LEN);
		memcpy(m.peer_rik, c->peer, ENV1_KEY_LEN);
		memcpy(m.thread_id, tid, ENV1_ID_LEN);
		m.msg_type = ENV1_MSG_TEST_DOCUMENT;
		m.body_len = 64 * 1024;
		assert_int_equal(store_begin(c->st), 0);
		rc = store_out_insert(c->st, &m, big);
		if (rc == 0)
			rc = store_commit(c->st);
		else
			store_rollback(c->st);
	}
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(store_out_get(c->st, m.message_id, &m), -ENOENT);
	assert_int_equal(store_counts(c->st, &after), 0);
	/* Space returns: writing works again. */
	assert_int_equal(store_set_max_pages(c->st, 1u << 30), 0);
	out_message(c, tid, "after", &m);
	assert_int_equal(store_counts(c->st, &after), 0);
	assert_true(after.out_waiting > before.out_waiting);
	free(big);
}

/* The wrapped DEK of a case, read straight from keystore.db. */
static void
wrapped_dek(struct ctx *c, const uint8_t tid[ENV1_ID_LEN], uint8_t out[ATREST_WRAPPED_LEN])
{
	char            path[128];
	sqlite3        *db;
	sqlite3_stmt   *s;

	snprintf(path, sizeof(path), "%s/keystore.db", c->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT wrapped_dek FROM case_keys "
	    "WHERE case_id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, tid, ENV1_ID_LEN, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), ATREST_WRAPPED_LEN);
	memcpy(out, sqlite3_column_blob(s, 0), ATREST_WRAPPED_LEN);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_shred_leaves_no_key(void **state)
{
	struct ctx             *c = *state;
	struct store_out        m;
	uint8_t                 tid[ENV1_ID_LEN], w[ATREST_WRAPPED_LEN], *body;
	char                    db[128], wal[128];

	new_thread(c, tid);
	out_message(c, tid, "to be erased", &m);
	wrapped_dek(c, tid, w);
	snprintf(db, sizeof(db), "%s/keystore.db", c->dir);
	snprintf(wal, sizeof(wal), "%s/keystore.db-wal", c->dir);
	assert_true(storefix_file_has(db, w, sizeof(w)) ||
	    storefix_file_has(wal, w, sizeof(w)));
	assert_int_equal(store_case_shred(c->st, tid, "test", "withdrawal", 7), 0);
	assert_false(storefix_file_has(db, w, sizeof(w)));
	assert_false(storefix_file_has(wal, w, sizeof(w)));
	assert_int_equal(store_out_body(c->st, &m, &body), -EBADMSG);
}

static void
test_prekey_expiry_leaves_no_secret(void **state)
{
	struct ctx             *c = *state;
	struct store_spk        old, cur, *v;
	uint8_t                 sk[ATREST_KEY_LEN], back[ATREST_KEY_LEN];
	char                    db[128], wal[128];
	size_t                  n;
	unsigned                deleted;

	memset(&old, 0, sizeof(old));
	memset(&cur, 0, sizeof(cur));
	old.stmt.spk_id = 0x1111;
	old.stmt.suite = ENV1_SUITE_X25519;
	old.stmt.retain_until = 100;
	cur.stmt.spk_id = 0x2222;
	cur.stmt.suite = ENV1_SUITE_X25519;
	cur.stmt.retain_until = 1000;
	randombytes_buf(sk, sizeof(sk));
	assert_int_equal(store_spk_wrap(c->st, old.stmt.spk_id, sk, old.wrapped), 0);
	assert_int_equal(store_spk_wrap(c->st, cur.stmt.spk_id, sk, cur.wrapped), 0);
	assert_int_equal(store_spk_put(c->st, &old), 0);
	assert_int_equal(store_spk_put(c->st, &cur), 0);
	assert_int_equal(store_spk_put(c->st, &cur), 0);        /* idempotent */
	/* The same secret signed again (a RIK transition) replaces the
	 * statement; another secret under a held id changes nothing. */
	cur.stmt.owner_rik[0] = 1;
	assert_int_equal(store_spk_put(c->st, &cur), 0);
	cur.stmt.owner_rik[0] = 2;
	cur.wrapped[0] ^= 1;
	assert_int_equal(store_spk_put(c->st, &cur), 0);
	cur.wrapped[0] ^= 1;
	assert_int_equal(store_spk_list(c->st, &v, &n), 0);
	assert_int_equal(v[1].stmt.owner_rik[0], 1);
	free(v);
	assert_int_equal(store_spk_list(c->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_spk_unwrap(c->st, &v[0], back), 0);
	assert_memory_equal(back, sk, sizeof(sk));
	free(v);
	snprintf(db, sizeof(db), "%s/keystore.db", c->dir);
	snprintf(wal, sizeof(wal), "%s/keystore.db-wal", c->dir);
	assert_int_equal(store_spk_expire(c->st, 500, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_false(storefix_file_has(db, old.wrapped, sizeof(old.wrapped)));
	assert_false(storefix_file_has(wal, old.wrapped, sizeof(old.wrapped)));
	assert_int_equal(store_spk_list(c->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].stmt.spk_id, 0x2222);
	free(v);
}

static void
test_peers(void **state)
{
	struct ctx             *c = *state;
	struct store_peer       p, q, *v;
	size_t                  n;
	static uint8_t          bundle[] = { 9, 9, 9 };

	memset(&p, 0, sizeof(p));
	memcpy(p.rik, c->peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "beta");
	p.verified = 1;
	p.bundle = bundle;
	p.bundle_len = sizeof(bundle);
	assert_int_equal(store_peer_put(c->st, &p), 0);
	p.suspended = 1;
	assert_int_equal(store_peer_put(c->st, &p), 0);         /* update */
	q = p;
	randombytes_buf(q.rik, ENV1_KEY_LEN);
	assert_int_equal(store_peer_put(c->st, &q), -EEXIST);   /* same id, other key */
	assert_int_equal(store_peer_list(c->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].suspended, 1);
	assert_int_equal(v[0].bundle_len, sizeof(bundle));
	store_peer_list_free(v, n);
	assert_int_equal(store_peer_delete(c->st, p.rik), 0);
	assert_int_equal(store_peer_delete(c->st, p.rik), -ENOENT);
}

/* A peer's RIK transition moves its row and every row naming it. */
static void
test_peer_rekey(void **state)
{
	struct ctx             *c = *state;
	struct store_peer       p, g, *v;
	struct store_thread     t;
	struct store_out        m;
	uint8_t                 tid[ENV1_ID_LEN], nrik[ENV1_KEY_LEN];
	static uint8_t          bundle[] = { 9, 9, 9 }, nbundle[] = { 7, 7, 7, 7 };
	uint64_t                n;
	size_t                  np;

	memset(&p, 0, sizeof(p));
	memcpy(p.rik, c->peer, ENV1_KEY_LEN);
	strcpy(p.agency_id, "beta");
	p.verified = 1;
	p.bundle = bundle;
	p.bundle_len = sizeof(bundle);
	assert_int_equal(store_peer_put(c->st, &p), 0);
	g = p;
	strcpy(g.agency_id, "gamma");
	randombytes_buf(g.rik, ENV1_KEY_LEN);
	assert_int_equal(store_peer_put(c->st, &g), 0);
	new_thread(c, tid);
	out_message(c, tid, "synthetic", &m);
	randombytes_buf(nrik, sizeof(nrik));
	/* Only inside the caller's transaction. */
	assert_int_equal(store_peer_rekey(c->st, p.rik, nrik, nbundle, sizeof(nbundle)),
	    -EINVAL);
	assert_int_equal(store_begin(c->st), 0);
	/* Another peer's RIK is not taken; an unknown peer is not moved. */
	assert_int_equal(store_peer_rekey(c->st, p.rik, g.rik, nbundle, sizeof(nbundle)),
	    -EEXIST);
	assert_int_equal(store_peer_rekey(c->st, nrik, nrik, nbundle, sizeof(nbundle)),
	    -ENOENT);
	assert_int_equal(store_peer_rekey(c->st, p.rik, nrik, nbundle, sizeof(nbundle)), 0);
	assert_int_equal(store_commit(c->st), 0);
	assert_int_equal(store_thread_get(c->st, tid, &t), 0);
	assert_memory_equal(t.peer_rik, nrik, ENV1_KEY_LEN);
	assert_int_equal(store_peer_unacked(c->st, nrik, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_peer_unacked(c->st, p.rik, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_peer_list(c->st, &v, &np), 0);
	assert_int_equal(np, 2);
	assert_string_equal(v[0].agency_id, "beta");
	assert_memory_equal(v[0].rik, nrik, ENV1_KEY_LEN);
	assert_int_equal(v[0].verified, 1);
	assert_int_equal(v[0].bundle_len, sizeof(nbundle));
	assert_memory_equal(v[1].rik, g.rik, ENV1_KEY_LEN);
	store_peer_list_free(v, np);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reopen_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions_and_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_encrypted_and_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_unique_and_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_leaves_no_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prekey_expiry_leaves_no_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_rekey, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
