/* Unit tests: the audit log (daemon/store/audit.c, daemon/store/store_audit.c) on real
 * SQLite files in a temporary directory.  The tampering is done the way an
 * intruder with the files would do it: a second SQLite connection editing
 * data.db or keystore.db underneath the open store. */
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

#include "daemon/store/audit.h"
#include "daemon/base/log.h"
#include "daemon/store/store.h"
#include "keys/secret.h"

struct ctx {
	char            dir[64];
	uint8_t         ksk[ATREST_KEY_LEN];
	struct store   *st;
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
	snprintf(c.dir, sizeof(c.dir), "/tmp/homeward-audit-XXXXXX");
	if (mkdtemp(c.dir) == NULL)
		return -1;
	randombytes_buf(c.ksk, sizeof(c.ksk));
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

/* A second connection to one of the store's files. */
static sqlite3 *
db_open(struct ctx *c, const char *name)
{
	char     path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
db_exec(struct ctx *c, const char *name, const char *sql)
{
	sqlite3 *db = db_open(c, name);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t
db_int(struct ctx *c, const char *name, const char *sql)
{
	sqlite3         *db = db_open(c, name);
	sqlite3_stmt    *s;
	int64_t          v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* n entries: alternating cases, every third with a message id. */
static void
append_n(struct ctx *c, int n)
{
	uint8_t id[16];
	char    detail[64];

	for (int i = 0; i < n; i++) {
		randombytes_buf(id, sizeof(id));
		snprintf(detail, sizeof(detail), "step=%d", i);
		assert_int_equal(audit_append(c->st, "alice", AUDIT_SEND,
		    i % 2 ? "HW-B" : "HW-A", i % 3 == 0 ? id : NULL, detail,
		    1000 + (uint64_t)i), 0);
	}
}

static void
expect_broken(struct ctx *c, uint64_t bad, const char *why)
{
	uint64_t        checked, first_bad;
	const char     *w;

	assert_int_equal(audit_verify(c->st, &checked, &first_bad, &w), -EBADMSG);
	assert_string_equal(w, why);
	assert_int_equal(first_bad, bad);
	assert_true(checked < (bad == 0 ? UINT64_MAX : bad));
}

static void
expect_intact(struct ctx *c, uint64_t n)
{
	uint64_t        checked = 0, first_bad = 99;
	const char     *w = "x";

	assert_int_equal(audit_verify(c->st, &checked, &first_bad, &w), 0);
	assert_int_equal(checked, n);
	assert_null(w);
}

struct collect {
	struct audit_entry      e[200];
	unsigned                n;
};

static int
collect_cb(const struct audit_entry *e, void *arg)
{
	struct collect *l = arg;

	assert_true(l->n < 200);
	l->e[l->n++] = *e;
	return 0;
}

/* The mac of entry seq, as the store lists it. */
static void
entry_mac(struct ctx *c, uint64_t seq, uint8_t mac[32])
{
	struct collect *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_int_equal(audit_list(c->st, NULL, seq - 1, 1, collect_cb, l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->e[0].seq, seq);
	memcpy(mac, l->e[0].mac, 32);
	free(l);
}

/* The anchor row, read or written underneath the store. */
static uint64_t
anchor_get(struct ctx *c, uint8_t mac[32])
{
	sqlite3         *db = db_open(c, "keystore.db");
	sqlite3_stmt    *s;
	uint64_t         seq;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, mac FROM audit_head",
	    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	seq = (uint64_t)sqlite3_column_int64(s, 0);
	assert_int_equal(sqlite3_column_bytes(s, 1), 32);
	memcpy(mac, sqlite3_column_blob(s, 1), 32);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return seq;
}

static void
anchor_set(struct ctx *c, uint64_t seq, const uint8_t mac[32])
{
	sqlite3         *db = db_open(c, "keystore.db");
	sqlite3_stmt    *s;

	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit_head SET seq = ?, "
	    "mac = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(s, 2, mac, 32, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The encoding of audit.h, built by hand: pins the format. */
static void
test_mac_encoding(void **state)
{
	struct audit_entry      e;
	uint8_t                 key[32], prev[32], want[32], got[32], buf[256];
	size_t                  n = 0;
	static const struct { const char *s; size_t len; } f[] = {
		{ "op", 2 }, { "send", 4 }, { "HW-1", 4 }, { NULL, 16 }, { "d=1", 3 },
	};

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	memset(prev, 0xaa, sizeof(prev));
	memset(&e, 0, sizeof(e));
	e.seq = 0x0102030405060708ull;
	e.at = 0x1112131415161718ull;
	strcpy(e.actor, "op");
	strcpy(e.action, "send");
	strcpy(e.case_code, "HW-1");
	memset(e.message_id, 0x55, 16);
	e.has_message_id = 1;
	strcpy(e.detail, "d=1");
	memcpy(buf, "HWAUDIT1", 8);
	n = 8;
	memcpy(buf + n, prev, 32);
	n += 32;
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(e.seq >> (56 - 8 * i));
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(e.at >> (56 - 8 * i));
	for (size_t i = 0; i < 5; i++) {
		buf[n++] = 0;
		buf[n++] = 0;
		buf[n++] = 0;
		buf[n++] = (uint8_t)f[i].len;
		memcpy(buf + n, f[i].s != NULL ? (const void *)f[i].s : e.message_id,
		    f[i].len);
		n += f[i].len;
	}
	crypto_generichash(want, 32, buf, n, key, 32);
	audit_mac(key, prev, &e, got);
	assert_memory_equal(got, want, 32);
	/* Without a message id its length is 0, not 16 zero bytes. */
	e.has_message_id = 0;
	audit_mac(key, prev, &e, got);
	assert_memory_not_equal(got, want, 32);
	/* Every input counts: the key, the link, the time. */
	e.has_message_id = 1;
	key[0] ^= 1;
	audit_mac(key, prev, &e, got);
	assert_memory_not_equal(got, want, 32);
	key[0] ^= 1;
	prev[31] ^= 1;
	audit_mac(key, prev, &e, got);
	assert_memory_not_equal(got, want, 32);
}

static void
test_append_verify_list(void **state)
{
	struct ctx             *c = *state;
	struct collect         *l = calloc(1, sizeof(*l));
	char                    longs[400], actor[80];
	uint8_t                 mac[32], amac[32];

	assert_non_null(l);
	expect_intact(c, 0);
	assert_int_equal(audit_append(c->st, "", AUDIT_READ, NULL, NULL, NULL, 1), -EINVAL);
	assert_int_equal(audit_append(c->st, "bob", NULL, NULL, NULL, NULL, 1), -EINVAL);
	append_n(c, 100);
	expect_intact(c, 100);
	/* The anchor followed every append made outside a transaction. */
	assert_int_equal(anchor_get(c, amac), 100);
	entry_mac(c, 100, mac);
	assert_memory_equal(mac, amac, 32);

	/* Listing: one case, in order, paged. */
	assert_int_equal(audit_list(c->st, "HW-B", 0, 10, collect_cb, l), 0);
	assert_int_equal(l->n, 10);
	for (unsigned i = 0; i < l->n; i++) {
		assert_string_equal(l->e[i].case_code, "HW-B");
		assert_int_equal(l->e[i].seq, 2 + 2 * i);
		assert_int_equal(l->e[i].has_message_id, (l->e[i].seq - 1) % 3 == 0);
	}
	l->n = 0;
	assert_int_equal(audit_list(c->st, "HW-B", 20, 0, collect_cb, l), 0);
	assert_int_equal(l->n, 40);
	assert_int_equal(l->e[0].seq, 22);
	assert_string_equal(l->e[0].detail, "step=21");
	assert_string_equal(l->e[0].action, AUDIT_SEND);
	assert_int_equal(l->e[0].at, 1021);

	/* Cut to the fields: detail at 255 bytes, a name at a character. */
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	memset(actor, 'a', sizeof(actor) - 1);
	actor[sizeof(actor) - 1] = '\0';
	memcpy(actor + 62, "\xc3\xa9", 2);      /* an e-acute over the edge */
	append_n(c, 50);
	assert_int_equal(audit_append(c->st, actor, AUDIT_READ, longs, NULL, longs, 9), 0);
	l->n = 0;
	assert_int_equal(audit_list(c->st, NULL, 0, 0, collect_cb, l), 0);
	assert_int_equal(l->n, 100);    /* limit 0: 100 */
	l->n = 0;
	assert_int_equal(audit_list(c->st, NULL, 150, 5, collect_cb, l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(strlen(l->e[0].detail), 255);
	assert_int_equal(strlen(l->e[0].case_code), 63);
	assert_int_equal(strlen(l->e[0].actor), 62);
	expect_intact(c, 151);
	free(l);
}

static void
test_edited_entry(void **state)
{
	struct ctx *c = *state;

	append_n(c, 100);
	db_exec(c, "data.db", "UPDATE audit SET detail = 'step=0' WHERE seq = 37");
	expect_broken(c, 37, "mac mismatch");
	/* Put back, it verifies again: the check is of the content. */
	db_exec(c, "data.db", "UPDATE audit SET detail = 'step=36' WHERE seq = 37");
	expect_intact(c, 100);
	/* An edit that reads back the same through a C string or a field
	 * cut is still an edit. */
	db_exec(c, "data.db", "UPDATE audit SET detail = detail || char(0) || 'more' "
	    "WHERE seq = 12");
	expect_broken(c, 12, "malformed entry");
	db_exec(c, "data.db", "UPDATE audit SET detail = 'step=11' WHERE seq = 12");
	db_exec(c, "data.db", "UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 5");
	expect_broken(c, 5, "malformed entry");
	db_exec(c, "data.db", "UPDATE audit SET actor = 'alice' WHERE seq = 5");
	db_exec(c, "data.db", "UPDATE audit SET prev = zeroblob(32) WHERE seq = 70");
	expect_broken(c, 70, "link mismatch");
}

static void
test_deleted_entries(void **state)
{
	struct ctx *c = *state;

	append_n(c, 100);
	db_exec(c, "data.db", "DELETE FROM audit WHERE seq = 50");
	expect_broken(c, 50, "sequence gap");
}

static void
test_deleted_tail(void **state)
{
	struct ctx *c = *state;

	append_n(c, 100);
	db_exec(c, "data.db", "DELETE FROM audit WHERE seq > 90");
	expect_broken(c, 91, "anchor beyond the end: entries deleted");
	/* The daemon goes on logging; the anchor never moves back, and when
	 * the log reaches it again the entry there is not the one it knew,
	 * so it stays there however long the log grows. */
	append_n(c, 10);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 100);
	expect_broken(c, 100, "anchor mismatch");
	append_n(c, 5);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 100);
	assert_int_equal(audit_anchor_sync(c->st), -EBADMSG);
	expect_broken(c, 100, "anchor mismatch");
}

/* Edit entry k and re-chain everything after it with key, as someone with
 * data.db would. */
static void
rechain(struct ctx *c, uint64_t k, const uint8_t key[32])
{
	sqlite3         *db = db_open(c, "data.db");
	sqlite3_stmt    *s, *u;
	struct audit_entry e;
	uint8_t          prev[32];
	char             sql[128];

	snprintf(sql, sizeof(sql), "BEGIN; UPDATE audit SET detail = 'forged' "
	    "WHERE seq = %llu", (unsigned long long)k);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, at, actor, action, "
	    "case_code, message_id, detail, prev FROM audit WHERE seq >= ? "
	    "ORDER BY seq", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit SET prev = ?, mac = ? "
	    "WHERE seq = ?", -1, &u, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)k);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(s, 7), 32);
	do {
		memset(&e, 0, sizeof(e));
		e.seq = (uint64_t)sqlite3_column_int64(s, 0);
		e.at = (uint64_t)sqlite3_column_int64(s, 1);
		snprintf(e.actor, sizeof(e.actor), "%s", sqlite3_column_text(s, 2));
		snprintf(e.action, sizeof(e.action), "%s", sqlite3_column_text(s, 3));
		snprintf(e.case_code, sizeof(e.case_code), "%s", sqlite3_column_text(s, 4));
		if ((e.has_message_id = sqlite3_column_type(s, 5) == SQLITE_BLOB))
			memcpy(e.message_id, sqlite3_column_blob(s, 5), 16);
		snprintf(e.detail, sizeof(e.detail), "%s", sqlite3_column_text(s, 6));
		audit_mac(key, prev, &e, e.mac);
		sqlite3_bind_blob(u, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 2, e.mac, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 3, (sqlite3_int64)e.seq);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, e.mac, 32);
	} while (sqlite3_step(s) == SQLITE_ROW);
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_rehashed_without_key(void **state)
{
	struct ctx     *c = *state;
	uint8_t         wrong[32], right[32], mac[32];

	append_n(c, 100);
	randombytes_buf(wrong, sizeof(wrong));
	rechain(c, 37, wrong);
	expect_broken(c, 37, "mac mismatch");
	/* The control: with the key derived from the KSK as store.c does, the
	 * same forgery passes the chain, and only the anchor in keystore.db
	 * still sees it; moved there too, nothing does.  So the key is what
	 * stops the forger above. */
	assert_int_equal(crypto_kdf_derive_from_key(right, 32, 1, "HWAUDIT1",
	    c->ksk), 0);
	rechain(c, 37, right);
	expect_broken(c, 100, "anchor mismatch");
	entry_mac(c, 100, mac);
	anchor_set(c, 100, mac);
	expect_intact(c, 100);
}

static void
test_transaction_rollback(void **state)
{
	struct ctx     *c = *state;
	struct collect *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	append_n(c, 5);
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(audit_append(c->st, "bob", AUDIT_ERASE, "HW-A", NULL,
	    "", 7), 0);
	/* Inside the caller's transaction the anchor waits for the commit. */
	assert_int_equal(audit_anchor_sync(c->st), -EBUSY);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 5);
	store_rollback(c->st);
	assert_int_equal(audit_list(c->st, NULL, 0, 0, collect_cb, l), 0);
	assert_int_equal(l->n, 5);
	expect_intact(c, 5);
	assert_int_equal(audit_anchor_sync(c->st), 0);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 5);

	/* Committed: the anchor lags (allowed) until synced. */
	assert_int_equal(store_begin(c->st), 0);
	assert_int_equal(audit_append(c->st, "bob", AUDIT_ERASE, "HW-A", NULL,
	    "", 8), 0);
	assert_int_equal(audit_append(c->st, "bob", AUDIT_ALERT, "HW-A", NULL,
	    "", 8), 0);
	assert_int_equal(store_commit(c->st), 0);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 5);
	expect_intact(c, 7);
	assert_int_equal(audit_anchor_sync(c->st), 0);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"), 7);
	expect_intact(c, 7);
	free(l);
}

static void
test_reopen_continues(void **state)
{
	struct ctx     *c = *state;
	uint8_t         other[ATREST_KEY_LEN];
	char           *cause = NULL;

	append_n(c, 10);
	store_close(c->st);
	assert_int_equal(store_open(c->dir, c->ksk, &c->st, &cause), 0);
	expect_intact(c, 10);
	append_n(c, 10);
	expect_intact(c, 20);
	/* Another KSK: another K_audit, and nothing verifies. */
	store_close(c->st);
	randombytes_buf(other, sizeof(other));
	assert_int_equal(store_open(c->dir, other, &c->st, &cause), 0);
	expect_broken(c, 1, "mac mismatch");
}

static void
test_anchor_lag_and_loss(void **state)
{
	struct ctx     *c = *state;
	uint8_t         mac50[32], mac60[32];

	append_n(c, 60);
	entry_mac(c, 50, mac50);
	assert_int_equal(anchor_get(c, mac60), 60);
	/* A crash between a commit and its anchor: behind is fine, and the
	 * next sync catches up. */
	anchor_set(c, 50, mac50);
	expect_intact(c, 60);
	assert_int_equal(audit_anchor_sync(c->st), 0);
	assert_int_equal(anchor_get(c, mac50), 60);
	expect_intact(c, 60);
	/* An anchor whose mac is not the entry's at its seq. */
	anchor_set(c, 50, mac60);
	expect_broken(c, 50, "anchor mismatch");
	db_exec(c, "keystore.db", "DELETE FROM audit_head");
	expect_broken(c, 0, "anchor missing");
	assert_int_equal(audit_anchor_sync(c->st), -EBADMSG);
}

static void
test_disk_full(void **state)
{
	struct ctx     *c = *state;
	char            detail[256];
	int64_t         pages;
	uint64_t        n = 10;
	int             rc = 0;

	append_n(c, 10);
	pages = db_int(c, "data.db", "PRAGMA page_count");
	assert_int_equal(store_set_max_pages(c->st, (uint32_t)pages), 0);
	memset(detail, 'z', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	for (int i = 0; i < 10000 && rc == 0; i++) {
		rc = audit_append(c->st, "carol", AUDIT_READ, "HW-C", NULL, detail, 5);
		if (rc == 0)
			n++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(n > 10);
	expect_intact(c, n);
	assert_int_equal(db_int(c, "keystore.db", "SELECT seq FROM audit_head"),
	    (int64_t)n);
	assert_int_equal(store_set_max_pages(c->st, 1u << 30), 0);
	assert_int_equal(audit_append(c->st, "carol", AUDIT_READ, "HW-C", NULL,
	    detail, 6), 0);
	expect_intact(c, n + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_encoding),
		cmocka_unit_test_setup_teardown(test_append_verify_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehashed_without_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchor_lag_and_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_audit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
