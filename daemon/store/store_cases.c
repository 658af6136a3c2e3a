/*
 * Cases and their threads' procedure state (store_case.h): opening a case
 * with its profile under the case key, finding and listing cases, their
 * state, erasure (the keys shredded first, then what data.db still holds
 * of the case), and the case_threads rows the procedure and its deadlines
 * read.  Consents, held documents and alerts are store_consents.c's,
 * store_held.c's and store_alerts.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

static const char *const case_states[] = {
	NULL, "open", "restricted", "closed", "erased", "erasing"
};

const char *
store_case_state_name(int state)
{
	if (state < 1 || state > CASE_ERASING)
		return "unknown";
	return case_states[state];
}

int
store_case_state_parse(const char *s)
{
	for (int i = 1; i <= CASE_ERASING; i++)
		if (s != NULL && strcmp(s, case_states[i]) == 0)
			return i;
	return 0;
}

/* --- cases ----------------------------------------------------------------- */

#define CASE_COLS "case_id, code, home, role, state, opened_at, closed_at, " \
	"erased_at, opened_by"

static void
case_fill(sqlite3_stmt *s, void *arg)
{
	struct store_case *c = arg;

	memset(c, 0, sizeof(*c));
	store_col_copy(s, 0, c->case_id, ENV1_ID_LEN);
	store_col_text(s, 1, c->code, sizeof(c->code));
	store_col_text(s, 2, c->home, sizeof(c->home));
	c->role = sqlite3_column_int(s, 3);
	c->state = sqlite3_column_int(s, 4);
	c->opened_at = (uint64_t)sqlite3_column_int64(s, 5);
	c->closed_at = (uint64_t)sqlite3_column_int64(s, 6);
	c->erased_at = (uint64_t)sqlite3_column_int64(s, 7);
	store_col_text(s, 8, c->opened_by, sizeof(c->opened_by));
}

static const char sql_case_insert[] =
    "INSERT INTO cases (" CASE_COLS ", profile) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)";

int
store_case_insert(struct store *st, const struct store_case *c,
    const uint8_t *profile, size_t profile_len)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	/* The case key is made and committed here, before the row. */
	if ((rc = store_seal_col(st, "cases", "profile", c->case_id, c->case_id, 1,
	    profile != NULL ? profile : (const uint8_t *)"", profile_len, &blob,
	    &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_case_insert)) == NULL) {
		free(blob);
		return -EIO;
	}
	sqlite3_bind_blob(s, 1, c->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->home, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, c->role);
	sqlite3_bind_int(s, 5, c->state);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)c->opened_at);
	sqlite3_bind_text(s, 7, c->opened_by, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, blob, (int)bloblen, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "case insert");
	free(blob);
	return rc;
}

static const char sql_case_by_code[] =
    "SELECT " CASE_COLS " FROM cases WHERE code = ? AND (?2 = '' OR home = ?2) "
    "ORDER BY opened_at LIMIT 2";

int
store_case_get(struct store *st, const char *code, const char *home,
    struct store_case *out)
{
	sqlite3_stmt   *s;
	int             rc, n = 0;

	if ((s = store_prep(st, st->data, sql_case_by_code)) == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, home != NULL ? home : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ == 0)
			case_fill(s, out);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_err(st, st->data, rc, "case");
	return n == 0 ? -ENOENT : n > 1 ? -EEXIST : 0;
}

static const char sql_case_by_id[] =
    "SELECT " CASE_COLS " FROM cases WHERE case_id = ?";

int
store_case_get_id(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    struct store_case *out)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_case_by_id)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_one_row(st, s, case_fill, out, "case");
}

static const char sql_case_state[] =
    "UPDATE cases SET state = ?1, "
    "closed_at = CASE WHEN ?1 = 3 THEN ?2 ELSE closed_at END, "
    "erased_at = CASE WHEN ?1 = 4 THEN ?2 ELSE erased_at END, "
    "profile = CASE WHEN ?1 = 4 THEN NULL ELSE profile END, "
    "doc_profile = CASE WHEN ?1 = 4 THEN NULL ELSE doc_profile END "
    "WHERE case_id = ?3";

int
store_case_set_state(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    int state, uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_case_state)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	sqlite3_bind_blob(s, 3, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "case state")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

/* The two profiles of a case, each under the case key: the one the case
 * records (case open, case update; for a case referred to us, the
 * request's), and the one its documents last stated (doc_profile). */
static const char sql_case_profile[] = "SELECT profile FROM cases WHERE case_id = ?";
static const char sql_case_doc_profile[] =
    "SELECT doc_profile FROM cases WHERE case_id = ?";
static const char sql_case_set_profile[] =
    "UPDATE cases SET profile = ? WHERE case_id = ?";
static const char sql_case_set_doc_profile[] =
    "UPDATE cases SET doc_profile = ? WHERE case_id = ?";

static int
profile_get(struct store *st, const struct store_case *c, const char *sql,
    const char *column, uint8_t **profile, size_t *len)
{
	sqlite3_stmt   *s;
	int             rc;

	*profile = NULL;
	*len = 0;
	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, c->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB)
		rc = store_open_col(st, "cases", column, c->case_id, c->case_id,
		    sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    profile, len);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = rc == SQLITE_ROW ? 0 : -ENOENT;
	else
		rc = store_err(st, st->data, rc, "case profile");
	sqlite3_reset(s);
	return rc;
}

/* The case key exists already: the case row does. */
static int
profile_set(struct store *st, const struct store_case *c, const char *sql,
    const char *column, const uint8_t *profile, size_t len)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "cases", column, c->case_id, c->case_id, 0,
	    profile != NULL ? profile : (const uint8_t *)"", len, &blob,
	    &bloblen)) != 0)
		return rc == -ENOENT ? -EBADMSG : rc;
	if ((s = store_prep(st, st->data, sql)) == NULL) {
		free(blob);
		return -EIO;
	}
	sqlite3_bind_blob(s, 1, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, c->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "case profile");
	free(blob);
	if (rc == 0 && sqlite3_changes(st->data) == 0)
		rc = -ENOENT;
	return rc;
}

int
store_case_profile(struct store *st, const struct store_case *c,
    uint8_t **profile, size_t *len)
{
	return profile_get(st, c, sql_case_profile, "profile", profile, len);
}

int
store_case_set_profile(struct store *st, const struct store_case *c,
    const uint8_t *profile, size_t len)
{
	return profile_set(st, c, sql_case_set_profile, "profile", profile, len);
}

int
store_case_doc_profile(struct store *st, const struct store_case *c,
    uint8_t **profile, size_t *len)
{
	return profile_get(st, c, sql_case_doc_profile, "doc_profile", profile,
	    len);
}

int
store_case_set_doc_profile(struct store *st, const struct store_case *c,
    const uint8_t *profile, size_t len)
{
	return profile_set(st, c, sql_case_set_doc_profile, "doc_profile",
	    profile, len);
}

static int
case_walk(struct store *st, sqlite3_stmt *s, store_case_cb cb, void *arg)
{
	struct store_case       c;
	int                     rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		case_fill(s, &c);
		if ((rc = cb(&c, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "cases");
}

static const char sql_case_each[] =
    "SELECT " CASE_COLS " FROM cases WHERE (?1 = 0 AND state <> 4) OR state = ?1 "
    "ORDER BY opened_at";
static const char sql_case_closed[] =
    "SELECT " CASE_COLS " FROM cases WHERE state = 3 AND closed_at <= ? "
    "ORDER BY closed_at";

int
store_case_each(struct store *st, int state, store_case_cb cb, void *arg)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_case_each)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, state);
	return case_walk(st, s, cb, arg);
}

int
store_case_each_closed(struct store *st, uint64_t before, store_case_cb cb,
    void *arg)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_case_closed)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return case_walk(st, s, cb, arg);
}

static const char sql_case_unacked[] =
    "SELECT count(*) FROM outbox WHERE state IN (0, 1) AND thread_id IN "
    "(SELECT thread_id FROM case_threads WHERE case_id = ?)";

int
store_case_unacked(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    uint64_t *n)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_case_unacked)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_err(st, st->data, rc, "case unacked");
	}
	sqlite3_reset(s);
	return rc;
}

/* --- erasure ------------------------------------------------------------- */

static const char sql_case_thread_ids[] =
    "SELECT thread_id FROM case_threads WHERE case_id = ?";
static const char sql_erase_held[] =
    "UPDATE held SET body = NULL, safety = NULL, first_reason = NULL, "
    "second_reason = NULL, "
    "state = CASE WHEN state IN (1, 2) THEN 4 ELSE state END WHERE case_id = ?";
static const char sql_erase_consents[] =
    "UPDATE consents SET scope = NULL WHERE case_id = ?";

/* The ids of the case's threads (*tids malloc'ed). */
static int
case_thread_ids(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    uint8_t (**out)[ENV1_ID_LEN], size_t *count)
{
	sqlite3_stmt   *s;
	uint8_t       (*tids)[ENV1_ID_LEN] = NULL, (*grown)[ENV1_ID_LEN];
	size_t          n = 0, cap = 0;
	int             rc;

	*out = NULL;
	*count = 0;
	if ((s = store_prep(st, st->data, sql_case_thread_ids)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((grown = realloc(tids, cap * sizeof(*tids))) == NULL) {
				sqlite3_reset(s);
				free(tids);
				return -ENOMEM;
			}
			tids = grown;
		}
		store_col_copy(s, 0, tids[n++], ENV1_ID_LEN);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(tids);
		return store_err(st, st->data, rc, "case threads");
	}
	*out = tids;
	*count = n;
	return 0;
}

/* Destroy the case key and the key of every thread of the case. */
static int
case_keys_shred(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now)
{
	uint8_t       (*tids)[ENV1_ID_LEN];
	size_t          n;
	int             rc;

	if ((rc = case_thread_ids(st, case_id, &tids, &n)) != 0)
		return rc;
	rc = store_key_shred(st, case_id, operator_name, reason, now);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (memcmp(tids[i], case_id, ENV1_ID_LEN) != 0)
			rc = store_key_shred(st, tids[i], operator_name, reason, now);
	free(tids);
	return rc;
}

/* In one transaction of data.db: the held documents and consent scopes
 * dropped, the case marked erased. */
static int
case_rows_erase(struct store *st, const uint8_t case_id[ENV1_ID_LEN], uint64_t now)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((rc = store_begin(st)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_erase_held)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "erase held")) != 0)
		goto fail;
	if ((s = store_prep(st, st->data, sql_erase_consents)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "erase consents")) != 0 ||
	    (rc = store_case_set_state(st, case_id, CASE_ERASED, now)) != 0)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return rc;
}

int
store_case_erase(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now)
{
	int rc;

	/* The journal first, so that no restore brings the case back; then
	 * the keys: once they are gone the ciphertext left in data.db is
	 * noise, whatever happens to the rows below. */
	if ((rc = store_journal_note(st, STORE_ERASURE_CASE, case_id, NULL,
	    now)) != 0 ||
	    (rc = case_keys_shred(st, case_id, operator_name, reason, now)) != 0)
		return rc;
	return case_rows_erase(st, case_id, now);
}

int
store_case_keys_left(struct store *st, const uint8_t case_id[ENV1_ID_LEN])
{
	uint8_t       (*tids)[ENV1_ID_LEN];
	size_t          n;
	int             rc;

	if ((rc = store_key_present(st, case_id)) != 0)
		return rc;
	if ((rc = case_thread_ids(st, case_id, &tids, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = store_key_present(st, tids[i]);
	free(tids);
	return rc;
}

/* --- case threads ---------------------------------------------------------- */

#define CT_COLS "thread_id, case_id, peer_rik, request, reintegration, departure, " \
	"arrival, withdrawn, erasure_confirmed, request_reply_by, reint_reply_by, " \
	"scheduled_arrival, followups, alerted, updated_at, outcome, outcome_by, " \
	"outcome_at, alerted_at"

static void
ct_fill(sqlite3_stmt *s, void *arg)
{
	struct store_case_thread *t = arg;

	memset(t, 0, sizeof(*t));
	store_col_copy(s, 0, t->thread_id, ENV1_ID_LEN);
	store_col_copy(s, 1, t->case_id, ENV1_ID_LEN);
	store_col_copy(s, 2, t->peer_rik, ENV1_KEY_LEN);
	t->flow.request = sqlite3_column_int(s, 3);
	t->flow.reintegration = sqlite3_column_int(s, 4);
	t->flow.departure = sqlite3_column_int(s, 5);
	t->flow.arrival = sqlite3_column_int(s, 6);
	t->flow.withdrawn = sqlite3_column_int(s, 7);
	t->flow.erasure_confirmed = sqlite3_column_int(s, 8);
	t->flow.request_reply_by = (uint64_t)sqlite3_column_int64(s, 9);
	t->flow.reint_reply_by = (uint64_t)sqlite3_column_int64(s, 10);
	t->flow.scheduled_arrival = (uint64_t)sqlite3_column_int64(s, 11);
	t->flow.followups = (uint32_t)sqlite3_column_int64(s, 12);
	t->alerted = (uint32_t)sqlite3_column_int64(s, 13);
	t->updated_at = (uint64_t)sqlite3_column_int64(s, 14);
	t->outcome = sqlite3_column_int(s, 15);
	store_col_text(s, 16, t->outcome_by, sizeof(t->outcome_by));
	t->outcome_at = (uint64_t)sqlite3_column_int64(s, 17);
	t->alerted_at = (uint64_t)sqlite3_column_int64(s, 18);
}

static const char sql_ct_put[] =
    "INSERT OR REPLACE INTO case_threads (" CT_COLS ") "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_ct_put(struct store *st, const struct store_case_thread *t)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_ct_put)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, t->thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, t->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, t->peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, t->flow.request);
	sqlite3_bind_int(s, 5, t->flow.reintegration);
	sqlite3_bind_int(s, 6, t->flow.departure);
	sqlite3_bind_int(s, 7, t->flow.arrival);
	sqlite3_bind_int(s, 8, t->flow.withdrawn);
	sqlite3_bind_int(s, 9, t->flow.erasure_confirmed);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)t->flow.request_reply_by);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)t->flow.reint_reply_by);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)t->flow.scheduled_arrival);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)t->flow.followups);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)t->alerted);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)t->updated_at);
	sqlite3_bind_int(s, 16, t->outcome);
	sqlite3_bind_text(s, 17, t->outcome_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 18, (sqlite3_int64)t->outcome_at);
	sqlite3_bind_int64(s, 19, (sqlite3_int64)t->alerted_at);
	return store_exec_stmt(st, st->data, s, "case thread put");
}

static const char sql_ct_get[] =
    "SELECT " CT_COLS " FROM case_threads WHERE thread_id = ?";
static const char sql_ct_find[] =
    "SELECT " CT_COLS " FROM case_threads WHERE case_id = ? AND peer_rik = ?";

int
store_ct_get(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    struct store_case_thread *out)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_ct_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_one_row(st, s, ct_fill, out, "case thread");
}

int
store_ct_find(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const uint8_t peer_rik[ENV1_KEY_LEN], struct store_case_thread *out)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_ct_find)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	return store_one_row(st, s, ct_fill, out, "case thread");
}

static const char sql_ct_each[] =
    "SELECT " CT_COLS " FROM case_threads WHERE "
    "(?1 IS NULL AND case_id IN (SELECT case_id FROM cases WHERE state <> 4)) "
    "OR case_id = ?1 ORDER BY updated_at";

int
store_ct_each(struct store *st, const uint8_t *case_id, store_ct_cb cb, void *arg)
{
	struct store_case_thread        t;
	sqlite3_stmt                   *s;
	int                             rc;

	if ((s = store_prep(st, st->data, sql_ct_each)) == NULL)
		return -EIO;
	store_bind_blob_or_null(s, 1, case_id, ENV1_ID_LEN);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ct_fill(s, &t);
		if ((rc = cb(&t, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "case threads");
}
