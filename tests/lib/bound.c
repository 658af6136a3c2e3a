/*
 * The bound of bench-delivery (see bound.h): crypto in-process on fixture
 * agencies, and durable commits through SQLite as the daemons' store makes
 * them.  Each figure is the best of BOUND_ROUNDS rounds, the least the
 * machine needed: the bound is what no implementation can beat.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "keys/envelope.h"
#include "tests/lib/bound.h"
#include "tests/lib/fixture.h"
#include "tests/lib/procstat.h"

#define CRYPTO_CALLS    300             /* per round */

struct crypto_ctx {
	struct fixture_agency   alpha, beta;
	struct peerkeys         beta_pinned;
	struct fixture_inbox    inbox;
	struct env1_open_ctx    octx;
	struct env1_seal_params params;
	uint8_t                 body[BOUND_BODY_LEN];
	struct env1_sealed      sealed;         /* one envelope to open */
	int                     failed;
};

static void
do_seal(struct crypto_ctx *b)
{
	struct env1_sealed s;

	if (env1_seal(&b->alpha.id, &b->beta_pinned, &b->beta.prekey.stmt,
	    &b->params, FIXTURE_NOW, &s) != ENV1_OK) {
		b->failed = 1;
		return;
	}
	env1_sealed_free(&s);
}

static void
do_open(struct crypto_ctx *b)
{
	struct env1_opened o;

	if (env1_open(&b->octx, b->sealed.env, b->sealed.env_len, &o) != ENV1_OK) {
		b->failed = 1;
		return;
	}
	env1_opened_free(&o);
}

/* Best thread CPU seconds per call over BOUND_ROUNDS rounds of n calls. */
static double
best_cpu(void (*fn)(struct crypto_ctx *), struct crypto_ctx *b, int n)
{
	double best = 1e9;

	for (int r = 0; r < BOUND_ROUNDS; r++) {
		double t0 = procstat_thread_cpu();

		for (int i = 0; i < n; i++)
			fn(b);
		double per = (procstat_thread_cpu() - t0) / n;
		if (per < best)
			best = per;
	}
	return best;
}

static int
bound_crypto(struct bound *bd, char why[BOUND_WHY_LEN])
{
	static struct crypto_ctx b;     /* large: not on the stack */
	int rc = 0;

	memset(&b, 0, sizeof(b));
	fixture_agency_make(&b.alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&b.beta, "beta", FIXTURE_NOW);
	fixture_peerkeys(&b.beta, &b.beta_pinned);
	fixture_inbox_init(&b.inbox, &b.beta);
	fixture_inbox_pin(&b.inbox, &b.alpha);
	fixture_open_ctx(&b.inbox, FIXTURE_NOW, &b.octx);
	randombytes_buf(b.body, sizeof(b.body));
	fixture_seal_params(&b.params, "bench", ENV1_MSG_TEST_DOCUMENT, 1, b.body,
	    sizeof(b.body), FIXTURE_NOW);
	if (env1_seal(&b.alpha.id, &b.beta_pinned, &b.beta.prekey.stmt,
	    &b.params, FIXTURE_NOW, &b.sealed) != ENV1_OK) {
		snprintf(why, BOUND_WHY_LEN, "env1_seal failed");
		rc = -EIO;
		goto out;
	}
	/* Interleaved, so drift in machine speed hits both. */
	bd->seal = best_cpu(do_seal, &b, CRYPTO_CALLS);
	bd->open = best_cpu(do_open, &b, CRYPTO_CALLS);
	if (b.failed) {
		snprintf(why, BOUND_WHY_LEN, "env1_seal or env1_open failed");
		rc = -EIO;
	}
	env1_sealed_free(&b.sealed);
out:
	fixture_inbox_free(&b.inbox);
	peerkeys_clear(&b.beta_pinned);
	fixture_agency_free(&b.alpha);
	fixture_agency_free(&b.beta);
	return rc;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Say why the last call on db failed: -EIO. */
static int
sql_fail(sqlite3 *db, const char *what, char why[BOUND_WHY_LEN])
{
	snprintf(why, BOUND_WHY_LEN, "sqlite: %s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	return -EIO;
}

static int
commit_round(sqlite3 *db, sqlite3_stmt *ins, char why[BOUND_WHY_LEN])
{
	uint8_t row[BOUND_BODY_LEN];

	for (int i = 0; i < BOUND_COMMITS; i++) {
		randombytes_buf(row, sizeof(row));
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return sql_fail(db, "BEGIN", why);
		sqlite3_bind_blob(ins, 1, row, sizeof(row), SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			sql_fail(db, "INSERT", why);
			sqlite3_reset(ins);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
		sqlite3_reset(ins);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return sql_fail(db, "COMMIT", why);
	}
	return 0;
}

/* Best and median wall seconds per commit. */
static int
bound_commit(struct bound *bd, const char *dir, char why[BOUND_WHY_LEN])
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	double per[BOUND_ROUNDS];
	int rc;

	snprintf(path, sizeof(path), "%s/bound.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		rc = sql_fail(db, "bound.db", why);
		goto out;
	}
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (body) VALUES (?)", -1, &ins,
	    NULL) != SQLITE_OK) {
		rc = sql_fail(db, "bound.db", why);
		goto out;
	}
	for (int r = 0; r < BOUND_ROUNDS; r++) {
		double t0 = procstat_mono();

		if ((rc = commit_round(db, ins, why)) != 0)
			goto out;
		per[r] = (procstat_mono() - t0) / BOUND_COMMITS;
	}
	qsort(per, BOUND_ROUNDS, sizeof(per[0]), dbl_cmp);
	bd->commit = per[0];
	bd->commit_median = per[BOUND_ROUNDS / 2];
	rc = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_close(db);
	unlink(path);
	return rc;
}

int
bound_measure(struct bound *bd, const char *dir, char why[BOUND_WHY_LEN])
{
	int rc;

	memset(bd, 0, sizeof(*bd));
	why[0] = '\0';
	if ((rc = bound_crypto(bd, why)) != 0 ||
	    (rc = bound_commit(bd, dir, why)) != 0)
		return rc;
	bd->per_msg = 2 * bd->seal + 2 * bd->open + 2 * bd->commit;
	bd->rate = 1 / bd->per_msg;
	return 0;
}
