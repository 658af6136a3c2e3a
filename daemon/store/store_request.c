/*
 * Control requests already carried out (store.h, "control requests"): the
 * request id the CLI chose, stored in the same transaction as what the
 * request committed, with the ids of the outbox and held rows it inserted,
 * so that the same request sent again is answered from here and commits
 * nothing twice.
 *
 * While a request is armed, SQLite's update hook on data.db notes the
 * rowids of what each transaction inserts into outbox and held (the hook
 * may run no SQL); store_commit calls store_request_commit just before
 * COMMIT, which turns them into message and held ids and writes the
 * request's row.  A transaction that only appended to the audit log (a
 * refusal that was audited) records nothing: sent again, the request runs
 * again, which is what a refusal should do.  Calls only store_sql.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_int.h"

static void
rowid_add(struct store_req_rows *r, sqlite3_int64 rowid)
{
	sqlite3_int64 *grown;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i] == rowid)
			return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		if ((grown = realloc(r->v, r->cap * sizeof(*grown))) == NULL) {
			/* Not recorded: the replay would lack this id.  Say so
			 * at commit rather than lose the request row. */
			r->lost = 1;
			return;
		}
		r->v = grown;
	}
	r->v[r->n++] = rowid;
}

static void
update_hook(void *arg, int op, const char *db, const char *table,
    sqlite3_int64 rowid)
{
	struct store_req *rq = arg;

	(void)db;
	if (strcmp(table, "audit") == 0 || strcmp(table, "requests") == 0)
		return;
	rq->changed = 1;
	if (op != SQLITE_INSERT)
		return;
	if (strcmp(table, "outbox") == 0)
		rowid_add(&rq->out, rowid);
	else if (strcmp(table, "held") == 0)
		rowid_add(&rq->held, rowid);
}

static void
rows_reset(struct store_req *rq)
{
	rq->out.n = 0;
	rq->held.n = 0;
	rq->changed = 0;
}

void
store_request_arm(struct store *st, const uint8_t id[STORE_REQUEST_ID_LEN],
    uint32_t kind, uint64_t now)
{
	struct store_req *rq = &st->req;

	memcpy(rq->id, id, STORE_REQUEST_ID_LEN);
	rq->kind = kind;
	rq->at = now;
	rq->armed = 1;
	rows_reset(rq);
	sqlite3_update_hook(st->data, update_hook, rq);
}

void
store_request_disarm(struct store *st)
{
	struct store_req *rq = &st->req;

	if (st->data != NULL)
		sqlite3_update_hook(st->data, NULL, NULL);
	rq->armed = 0;
	rows_reset(rq);
	free(rq->out.v);
	free(rq->held.v);
	memset(&rq->out, 0, sizeof(rq->out));
	memset(&rq->held, 0, sizeof(rq->held));
}

void
store_request_rolled_back(struct store *st)
{
	rows_reset(&st->req);
}

static const char sql_out_id[] = "SELECT message_id FROM outbox WHERE id = ?";
static const char sql_held_id[] = "SELECT held_id FROM held WHERE id = ?";

/* The ids of the rows inserted, concatenated into *ids (malloc'ed). */
static int
rows_ids(struct store *st, const char *sql, const struct store_req_rows *r,
    uint8_t **ids, size_t *len)
{
	sqlite3_stmt   *s;
	int             rc;

	*len = 0;
	if ((*ids = malloc(r->n * STORE_REQUEST_ID_LEN + 1)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		if ((s = store_prep(st, st->data, sql)) == NULL)
			return -EIO;
		sqlite3_bind_int64(s, 1, r->v[i]);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_bytes(s, 0) == STORE_REQUEST_ID_LEN) {
			memcpy(*ids + *len, sqlite3_column_blob(s, 0),
			    STORE_REQUEST_ID_LEN);
			*len += STORE_REQUEST_ID_LEN;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_err(st, st->data, rc, "request ids");
	}
	return 0;
}

/* One row per request; a request that commits twice (its handler runs
 * two transactions) appends the second's ids to the first's. */
static const char sql_req_put[] =
    "INSERT INTO requests (request_id, kind, at, out_ids, held_ids) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (request_id) DO UPDATE SET "
    "out_ids = out_ids || ?4, held_ids = held_ids || ?5";

int
store_request_commit(struct store *st)
{
	struct store_req       *rq = &st->req;
	sqlite3_stmt           *s;
	uint8_t                *out = NULL, *held = NULL;
	size_t                  outlen = 0, heldlen = 0;
	int                     rc;

	if (!rq->armed || !rq->changed)
		return 0;
	if (rq->out.lost || rq->held.lost)
		return -ENOMEM;
	if ((rc = rows_ids(st, sql_out_id, &rq->out, &out, &outlen)) != 0 ||
	    (rc = rows_ids(st, sql_held_id, &rq->held, &held, &heldlen)) != 0)
		goto out;
	if ((s = store_prep(st, st->data, sql_req_put)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_blob(s, 1, rq->id, STORE_REQUEST_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, rq->kind);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)rq->at);
	sqlite3_bind_blob(s, 4, out, (int)outlen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, held, (int)heldlen, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "request");
	rows_reset(rq);
out:
	free(out);
	free(held);
	return rc;
}

static const char sql_req_get[] =
    "SELECT kind, at, out_ids, held_ids FROM requests WHERE request_id = ?";

static int
blob_dup(sqlite3_stmt *s, int col, uint8_t **p, size_t *n)
{
	size_t len = (size_t)sqlite3_column_bytes(s, col);

	len -= len % STORE_REQUEST_ID_LEN;
	*n = len / STORE_REQUEST_ID_LEN;
	if ((*p = malloc(len + 1)) == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(*p, sqlite3_column_blob(s, col), len);
	return 0;
}

int
store_request_get(struct store *st, const uint8_t id[STORE_REQUEST_ID_LEN],
    struct store_request *out)
{
	sqlite3_stmt   *s;
	int             rc;

	memset(out, 0, sizeof(*out));
	if ((s = store_prep(st, st->data, sql_req_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, id, STORE_REQUEST_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->kind = (uint32_t)sqlite3_column_int64(s, 0);
		out->at = (uint64_t)sqlite3_column_int64(s, 1);
		if ((rc = blob_dup(s, 2, &out->out_ids, &out->nout)) == 0)
			rc = blob_dup(s, 3, &out->held_ids, &out->nheld);
	} else
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc,
		    "request");
	sqlite3_reset(s);
	if (rc != 0)
		store_request_clear(out);
	return rc;
}

void
store_request_clear(struct store_request *r)
{
	free(r->out_ids);
	free(r->held_ids);
	memset(r, 0, sizeof(*r));
}

static const char sql_req_collect[] = "DELETE FROM requests WHERE at < ?";

int
store_request_collect(struct store *st, uint64_t before)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_req_collect)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return store_exec_stmt(st, st->data, s, "collect requests");
}
