/*
 * A store in a temporary directory for the store's unit tests, and SQL on
 * its files behind its back (storefix.h).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "tests/lib/storefix.h"

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "storefix: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

int
storefix_open(struct storefix *fx, const char *tag)
{
	char *cause = NULL;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/homeward-%s-XXXXXX", tag);
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	randombytes_buf(fx->ksk, sizeof(fx->ksk));
	randombytes_buf(fx->peer, sizeof(fx->peer));
	if (store_open(fx->dir, fx->ksk, &fx->st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause != NULL ? cause : "?");
		free(cause);
		return -1;
	}
	return 0;
}

int
storefix_reopen(struct storefix *fx, char **cause)
{
	char   *c = NULL;
	int     rc;

	storefix_close(fx);
	rc = store_open(fx->dir, fx->ksk, &fx->st, &c);
	if (cause != NULL)
		*cause = c;
	else
		free(c);
	return rc;
}

void
storefix_close(struct storefix *fx)
{
	store_close(fx->st);
	fx->st = NULL;
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

void
storefix_remove(struct storefix *fx)
{
	storefix_close(fx);
	if (fx->dir[0] != '\0')
		nftw(fx->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	fx->dir[0] = '\0';
}

const char *
storefix_path(const struct storefix *fx, const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	return path;
}

static sqlite3 *
raw_open(const struct storefix *fx, const char *db)
{
	sqlite3 *h;

	if (sqlite3_open_v2(storefix_path(fx, db), &h, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK)
		die("open", db);
	sqlite3_busy_timeout(h, 5000);
	return h;
}

int
storefix_sql(const struct storefix *fx, const char *db, const char *sql)
{
	sqlite3 *h = raw_open(fx, db);
	int      rc = sqlite3_exec(h, sql, NULL, NULL, NULL);

	sqlite3_close(h);
	return rc;
}

long long
storefix_int(const struct storefix *fx, const char *db, const char *sql)
{
	sqlite3        *h = raw_open(fx, db);
	sqlite3_stmt   *s;
	long long       v = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h), sql);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

int
storefix_flip(const struct storefix *fx, const char *db, const char *table,
    const char *column, const char *where)
{
	sqlite3        *h = raw_open(fx, db);
	sqlite3_stmt   *sel, *upd;
	char            sql[256];
	int             n = 0;

	snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM %s WHERE %s", column,
	    table, where);
	if (sqlite3_prepare_v2(h, sql, -1, &sel, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h), sql);
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE rowid = ?", table,
	    column);
	if (sqlite3_prepare_v2(h, sql, -1, &upd, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h), sql);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		int             len = sqlite3_column_bytes(sel, 1);
		uint8_t        *b;

		if (len <= 0)
			continue;
		if ((b = malloc((size_t)len)) == NULL)
			die("malloc", NULL);
		memcpy(b, sqlite3_column_blob(sel, 1), (size_t)len);
		b[len / 2] ^= 0x10;
		sqlite3_bind_blob(upd, 1, b, len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		if (sqlite3_step(upd) != SQLITE_DONE)
			die(sqlite3_errmsg(h), "flip");
		sqlite3_reset(upd);
		free(b);
		n++;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_close(h);
	return n;
}

void
storefix_poison(const struct storefix *fx, const char *db, const char *table)
{
	sqlite3        *h = raw_open(fx, db);
	sqlite3_stmt   *s;
	char            sql[4096];
	size_t          off;
	int             n = 0;

	off = (size_t)snprintf(sql, sizeof(sql), "DROP TABLE %s; CREATE VIEW %s AS "
	    "SELECT ", table, table);
	if (sqlite3_prepare_v2(h, "SELECT name FROM pragma_table_info(?)", -1, &s,
	    NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h), "table_info");
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && off < sizeof(sql))
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
		    "%sabs(-9223372036854775807 - 1) AS %s", n++ ? ", " : "",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (n == 0 || off >= sizeof(sql) - 2)
		die("poison", table);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(h), sql);
	sqlite3_close(h);
}

void
storefix_thread(struct storefix *fx, uint8_t tid[ENV1_ID_LEN])
{
	randombytes_buf(tid, ENV1_ID_LEN);
	if (store_begin(fx->st) != 0 ||
	    store_thread_create(fx->st, tid, fx->peer, 1) != 0 ||
	    store_commit(fx->st) != 0)
		die("thread", NULL);
}

void
storefix_out(struct storefix *fx, const uint8_t tid[ENV1_ID_LEN], const char *body,
    struct store_out *m)
{
	memset(m, 0, sizeof(*m));
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->peer_rik, fx->peer, ENV1_KEY_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	m->body_len = strlen(body);
	m->created_at = 1000;
	if (store_begin(fx->st) != 0 ||
	    store_out_insert(fx->st, m, (const uint8_t *)body) != 0 ||
	    store_commit(fx->st) != 0)
		die("outbox insert", NULL);
}

void
storefix_seal(struct storefix *fx, const struct store_out *m)
{
	uint8_t env[STOREFIX_ENV_LEN], h_env[ENV1_HASH_LEN], h_inner[ENV1_HASH_LEN];
	uint8_t tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN];

	randombytes_buf(env, sizeof(env));
	randombytes_buf(h_env, sizeof(h_env));
	randombytes_buf(h_inner, sizeof(h_inner));
	randombytes_buf(tbs, sizeof(tbs));
	randombytes_buf(sig, sizeof(sig));
	if (store_begin(fx->st) != 0 ||
	    store_out_sealed(fx->st, m->message_id, env, sizeof(env), h_env,
	    h_inner, tbs, sig) != 0 ||
	    store_commit(fx->st) != 0)
		die("seal", NULL);
}

void
storefix_in(struct storefix *fx, const uint8_t tid[ENV1_ID_LEN], uint64_t seq,
    int state, const char *evidence, struct store_in *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->sender_rik, fx->peer, ENV1_KEY_LEN);
	randombytes_buf(m->message_id, ENV1_ID_LEN);
	memcpy(m->thread_id, tid, ENV1_ID_LEN);
	m->seq = seq;
	m->msg_type = ENV1_MSG_TEST_DOCUMENT;
	randombytes_buf(m->h_inner, ENV1_HASH_LEN);
	m->state = state;
	m->received_at = 5 + seq;
	randombytes_buf(m->receipt_id, ENV1_ID_LEN);
	if (store_begin(fx->st) != 0 ||
	    store_in_insert(fx->st, m, (const uint8_t *)evidence,
	    strlen(evidence)) != 0 ||
	    store_commit(fx->st) != 0)
		die("inbox insert", NULL);
}

int
storefix_file_has(const char *path, const void *needle, size_t n)
{
	FILE    *f = fopen(path, "rb");
	uint8_t  buf[1 << 16];
	size_t   got, keep = 0;
	int      found = 0;

	if (f == NULL)
		return 0;
	/* Overlapping windows so that a needle across two reads is seen. */
	while (!found && (got = fread(buf + keep, 1, sizeof(buf) - keep, f)) > 0) {
		got += keep;
		for (size_t i = 0; i + n <= got && !found; i++)
			found = memcmp(buf + i, needle, n) == 0;
		keep = got >= n ? n - 1 : got;
		memmove(buf, buf + got - keep, keep);
	}
	fclose(f);
	return found;
}
