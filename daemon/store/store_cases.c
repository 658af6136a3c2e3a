/*
 * Rows of the referral procedure: cases, their threads' procedure state,
 * consent records, held documents and the procedure's alerts
 * (store_case.h).  Personal data (the profile, consent scopes, held
 * documents, safety reasons) is stored only as column blobs under the
 * case key; what stays in clear is what the gate and the deadlines need:
 * codes, agency ids, bit sets, times.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"
#include "keys/secret.h"

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

const char *
store_held_state_name(int state)
{
	switch (state) {
	case HELD_CONSENT:      return "held";
	case HELD_APPROVAL:     return "approval";
	case HELD_RELEASED:     return "released";
	case HELD_CANCELLED:    return "cancelled";
	}
	return "unknown";
}

static void
col_text(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t != NULL ? (const char *)t : "");
}

/* Step a statement expected to yield one row, filled by fill. */
static int
one_row(struct store *st, sqlite3_stmt *s, void (*fill)(sqlite3_stmt *, void *),
    void *out, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		fill(s, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, what);
	}
	sqlite3_reset(s);
	return rc;
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
	col_text(s, 1, c->code, sizeof(c->code));
	col_text(s, 2, c->home, sizeof(c->home));
	c->role = sqlite3_column_int(s, 3);
	c->state = sqlite3_column_int(s, 4);
	c->opened_at = (uint64_t)sqlite3_column_int64(s, 5);
	c->closed_at = (uint64_t)sqlite3_column_int64(s, 6);
	c->erased_at = (uint64_t)sqlite3_column_int64(s, 7);
	col_text(s, 8, c->opened_by, sizeof(c->opened_by));
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
	return one_row(st, s, case_fill, out, "case");
}

static const char sql_case_state[] =
    "UPDATE cases SET state = ?1, "
    "closed_at = CASE WHEN ?1 = 3 THEN ?2 ELSE closed_at END, "
    "erased_at = CASE WHEN ?1 = 4 THEN ?2 ELSE erased_at END, "
    "profile = CASE WHEN ?1 = 4 THEN NULL ELSE profile END "
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

static const char sql_case_profile[] = "SELECT profile FROM cases WHERE case_id = ?";

int
store_case_profile(struct store *st, const struct store_case *c,
    uint8_t **profile, size_t *len)
{
	sqlite3_stmt   *s;
	int             rc;

	*profile = NULL;
	*len = 0;
	if ((s = store_prep(st, st->data, sql_case_profile)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, c->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB)
		rc = store_open_col(st, "cases", "profile", c->case_id, c->case_id,
		    sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    profile, len);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = rc == SQLITE_ROW ? 0 : -ENOENT;
	else
		rc = store_err(st, st->data, rc, "case profile");
	sqlite3_reset(s);
	return rc;
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

/* --- erasure ------------------------------------------------------------- */

static const char sql_case_thread_ids[] =
    "SELECT thread_id FROM case_threads WHERE case_id = ?";
static const char sql_erase_held[] =
    "UPDATE held SET body = NULL, safety = NULL, "
    "state = CASE WHEN state IN (1, 2) THEN 4 ELSE state END WHERE case_id = ?";
static const char sql_erase_consents[] =
    "UPDATE consents SET scope = NULL WHERE case_id = ?";

int
store_case_erase(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const char *operator_name, const char *reason, uint64_t now)
{
	sqlite3_stmt   *s;
	uint8_t       (*tids)[ENV1_ID_LEN] = NULL, (*grown)[ENV1_ID_LEN];
	size_t          n = 0, cap = 0;
	int             rc;

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
	/* Keys first: once they are gone the ciphertext left in data.db is
	 * noise, whatever happens to the rows below. */
	rc = store_case_shred(st, case_id, operator_name, reason, now);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (memcmp(tids[i], case_id, ENV1_ID_LEN) != 0)
			rc = store_case_shred(st, tids[i], operator_name, reason, now);
	free(tids);
	if (rc != 0)
		return rc;
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

/* --- case threads ---------------------------------------------------------- */

#define CT_COLS "thread_id, case_id, peer_rik, request, reintegration, departure, " \
	"arrival, withdrawn, erasure_confirmed, request_reply_by, reint_reply_by, " \
	"scheduled_arrival, followups, alerted, updated_at"

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
}

static const char sql_ct_put[] =
    "INSERT OR REPLACE INTO case_threads (" CT_COLS ") "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
	return one_row(st, s, ct_fill, out, "case thread");
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
	return one_row(st, s, ct_fill, out, "case thread");
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
	if (case_id != NULL)
		sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
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

/* --- consents -------------------------------------------------------------- */

/* Recipients are agency ids (a-z, 0-9, '-'): kept as one comma-separated
 * text, split back into the fixed array of struct consent. */
static void
recipients_join(const struct consent *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nrecipients && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
		    c->recipients[i]);
}

static void
recipients_split(const char *s, struct consent *c)
{
	const char *p = s, *comma;
	size_t      n;

	c->nrecipients = 0;
	while (p != NULL && *p != '\0' && c->nrecipients < CONSENT_MAX_RECIPIENTS) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n >= sizeof(c->recipients[0]))
			n = sizeof(c->recipients[0]) - 1;
		memcpy(c->recipients[c->nrecipients], p, n);
		c->recipients[c->nrecipients][n] = '\0';
		c->nrecipients++;
		p = comma != NULL ? comma + 1 : NULL;
	}
}

static const char sql_consent_insert[] =
    "INSERT INTO consents (consent_id, case_id, recipients, steps, categories, "
    "given_at, expires_at, withdrawn_at, recorded_by, recorded_at, source, scope) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_consent_insert(struct store *st, const struct store_consent *sc,
    const uint8_t *scope, size_t scope_len)
{
	char            rcpt[CONSENT_MAX_RECIPIENTS * 65];
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "consents", "scope", sc->c.id, sc->case_id, 0,
	    scope, scope_len, &blob, &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_consent_insert)) == NULL) {
		free(blob);
		return -EIO;
	}
	recipients_join(&sc->c, rcpt, sizeof(rcpt));
	sqlite3_bind_blob(s, 1, sc->c.id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, sc->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, sc->c.steps);
	sqlite3_bind_int64(s, 5, sc->c.categories);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)sc->c.given_at);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)sc->c.expires_at);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)sc->c.withdrawn_at);
	sqlite3_bind_text(s, 9, sc->recorded_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)sc->recorded_at);
	sqlite3_bind_int(s, 11, sc->source);
	sqlite3_bind_blob(s, 12, blob, (int)bloblen, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "consent insert");
	free(blob);
	return rc;
}

static const char sql_consent_list[] =
    "SELECT consent_id, recipients, steps, categories, given_at, expires_at, "
    "withdrawn_at, recorded_by, recorded_at, source FROM consents "
    "WHERE case_id = ? ORDER BY recorded_at, rowid";

int
store_consent_list(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    struct store_consent **out, size_t *n)
{
	struct store_consent   *v = NULL, *grown, *c;
	sqlite3_stmt           *s;
	size_t                  cap = 0;
	int                     rc;

	*out = NULL;
	*n = 0;
	if ((s = store_prep(st, st->data, sql_consent_list)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			v = grown;
		}
		c = &v[(*n)++];
		memset(c, 0, sizeof(*c));
		memcpy(c->case_id, case_id, ENV1_ID_LEN);
		store_col_copy(s, 0, c->c.id, ENV1_ID_LEN);
		recipients_split((const char *)sqlite3_column_text(s, 1), &c->c);
		c->c.steps = (uint32_t)sqlite3_column_int64(s, 2);
		c->c.categories = (uint32_t)sqlite3_column_int64(s, 3);
		c->c.given_at = (uint64_t)sqlite3_column_int64(s, 4);
		c->c.expires_at = (uint64_t)sqlite3_column_int64(s, 5);
		c->c.withdrawn_at = (uint64_t)sqlite3_column_int64(s, 6);
		col_text(s, 7, c->recorded_by, sizeof(c->recorded_by));
		c->recorded_at = (uint64_t)sqlite3_column_int64(s, 8);
		c->source = sqlite3_column_int(s, 9);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(st, st->data, rc, "consents");
		goto fail;
	}
	sqlite3_reset(s);
	*out = v;
	return 0;
fail:
	sqlite3_reset(s);
	free(v);
	*n = 0;
	return rc;
}

static const char sql_consent_scope[] =
    "SELECT scope FROM consents WHERE consent_id = ?";

int
store_consent_scope(struct store *st, const struct store_consent *sc,
    uint8_t **scope, size_t *len)
{
	sqlite3_stmt   *s;
	int             rc;

	*scope = NULL;
	*len = 0;
	if ((s = store_prep(st, st->data, sql_consent_scope)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, sc->c.id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB)
		rc = store_open_col(st, "consents", "scope", sc->c.id, sc->case_id,
		    sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    scope, len);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = store_err(st, st->data, rc, "consent scope");
	sqlite3_reset(s);
	return rc;
}

static const char sql_consent_withdraw[] =
    "UPDATE consents SET withdrawn_at = ?1 WHERE case_id = ?2 AND withdrawn_at = 0 "
    "AND (?3 IS NULL OR consent_id = ?3)";

int
store_consent_withdraw(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const uint8_t *consent_id, uint64_t at, unsigned *n)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_consent_withdraw)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_blob(s, 2, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	if (consent_id != NULL)
		sqlite3_bind_blob(s, 3, consent_id, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	if ((rc = store_exec_stmt(st, st->data, s, "consent withdraw")) != 0)
		return rc;
	*n = (unsigned)sqlite3_changes(st->data);
	return 0;
}

/* --- held documents -------------------------------------------------------- */

#define HELD_COLS "held_id, case_id, peer_rik, msg_type, state, categories, " \
	"missing, created_at, created_by, approved_by, released_at, message_id"

static void
held_fill(sqlite3_stmt *s, void *arg)
{
	struct store_held *h = arg;

	memset(h, 0, sizeof(*h));
	store_col_copy(s, 0, h->held_id, ENV1_ID_LEN);
	store_col_copy(s, 1, h->case_id, ENV1_ID_LEN);
	store_col_copy(s, 2, h->peer_rik, ENV1_KEY_LEN);
	h->msg_type = (uint16_t)sqlite3_column_int(s, 3);
	h->state = sqlite3_column_int(s, 4);
	h->categories = (uint32_t)sqlite3_column_int64(s, 5);
	col_text(s, 6, h->missing, sizeof(h->missing));
	h->created_at = (uint64_t)sqlite3_column_int64(s, 7);
	col_text(s, 8, h->created_by, sizeof(h->created_by));
	col_text(s, 9, h->approved_by, sizeof(h->approved_by));
	h->released_at = (uint64_t)sqlite3_column_int64(s, 10);
	store_col_copy(s, 11, h->message_id, ENV1_ID_LEN);
}

static const char sql_held_insert[] =
    "INSERT INTO held (" HELD_COLS ", body, safety) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)";

int
store_held_insert(struct store *st, const struct store_held *h,
    const uint8_t *body, size_t len, const char *safety)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL, *sblob = NULL;
	size_t          bloblen = 0, sbloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "held", "body", h->held_id, h->case_id, 0,
	    body, len, &blob, &bloblen)) != 0)
		return rc;
	if (safety != NULL && (rc = store_seal_col(st, "held", "safety", h->held_id,
	    h->case_id, 0, (const uint8_t *)safety, strlen(safety), &sblob,
	    &sbloblen)) != 0)
		goto out;
	if ((s = store_prep(st, st->data, sql_held_insert)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_blob(s, 1, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h->case_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, h->peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, h->msg_type);
	sqlite3_bind_int(s, 5, h->state);
	sqlite3_bind_int64(s, 6, h->categories);
	sqlite3_bind_text(s, 7, h->missing, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)h->created_at);
	sqlite3_bind_text(s, 9, h->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, h->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, blob, (int)bloblen, SQLITE_STATIC);
	if (sblob != NULL)
		sqlite3_bind_blob(s, 12, sblob, (int)sbloblen, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 12);
	rc = store_exec_stmt(st, st->data, s, "held insert");
out:
	free(blob);
	free(sblob);
	return rc;
}

static const char sql_held_get[] = "SELECT " HELD_COLS " FROM held WHERE held_id = ?";

int
store_held_get(struct store *st, const uint8_t held_id[ENV1_ID_LEN],
    struct store_held *out)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_held_get)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, held_id, ENV1_ID_LEN, SQLITE_STATIC);
	return one_row(st, s, held_fill, out, "held");
}

static const char sql_held_body[] = "SELECT body, safety FROM held WHERE held_id = ?";

int
store_held_body(struct store *st, const struct store_held *h, uint8_t **body,
    size_t *len, char **safety)
{
	sqlite3_stmt   *s;
	uint8_t        *sp = NULL;
	size_t          slen = 0;
	int             rc;

	*body = NULL;
	*len = 0;
	*safety = NULL;
	if ((s = store_prep(st, st->data, sql_held_body)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, st->data, rc, "held body");
		goto out;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_BLOB) {
		rc = -ENOENT;           /* erased */
		goto out;
	}
	if ((rc = store_open_col(st, "held", "body", h->held_id, h->case_id,
	    sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), body,
	    len)) != 0)
		goto out;
	if (sqlite3_column_type(s, 1) == SQLITE_BLOB) {
		if ((rc = store_open_col(st, "held", "safety", h->held_id, h->case_id,
		    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), &sp,
		    &slen)) != 0)
			goto out;
		/* As a C string, in secret memory like the body. */
		if ((*safety = secret_alloc(slen + 1)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(*safety, sp, slen);
		(*safety)[slen] = '\0';
	}
out:
	sqlite3_reset(s);
	secret_free(sp);
	if (rc != 0) {
		secret_free(*body);
		*body = NULL;
		*len = 0;
	}
	return rc;
}

static const char sql_held_update[] =
    "UPDATE held SET state = ?, missing = ?, approved_by = ?, released_at = ?, "
    "message_id = ? WHERE held_id = ?";

int
store_held_update(struct store *st, const struct store_held *h)
{
	static const uint8_t    zero[ENV1_ID_LEN];
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_held_update)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, h->state);
	sqlite3_bind_text(s, 2, h->missing, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, h->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)h->released_at);
	if (memcmp(h->message_id, zero, ENV1_ID_LEN) != 0)
		sqlite3_bind_blob(s, 5, h->message_id, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_blob(s, 6, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	if ((rc = store_exec_stmt(st, st->data, s, "held update")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

static const char sql_held_each[] =
    "SELECT " HELD_COLS " FROM held WHERE (?1 IS NULL OR case_id = ?1) AND "
    "((?2 = 0 AND state IN (1, 2)) OR state = ?2) ORDER BY id";

int
store_held_each(struct store *st, const uint8_t *case_id, int state,
    store_held_cb cb, void *arg)
{
	struct store_held       h;
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_held_each)) == NULL)
		return -EIO;
	if (case_id != NULL)
		sqlite3_bind_blob(s, 1, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_int(s, 2, state);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		held_fill(s, &h);
		if ((rc = cb(&h, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "held");
}

/* --- alerts -------------------------------------------------------------- */

static const char sql_alert_case[] =
    "INSERT INTO alerts (at, kind, peer_rik, message_id, thread_id, detail, "
    "urgent, case_code) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)";

int
store_alert_case(struct store *st, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const char *case_code,
    const char *detail, uint64_t at)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql_alert_case)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	if (peer_rik != NULL)
		sqlite3_bind_blob(s, 3, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	if (thread_id != NULL)
		sqlite3_bind_blob(s, 4, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, urgent);
	sqlite3_bind_text(s, 7, case_code != NULL ? case_code : "", -1, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, "alert");
}

static const char sql_alert_each[] =
    "SELECT id, at, kind, urgent, peer_rik, message_id, case_code, detail, "
    "acked_at, acked_by FROM alerts WHERE ?1 OR acked_at = 0 "
    "ORDER BY id DESC LIMIT ?2";

int
store_alert_each(struct store *st, int all, unsigned limit, store_alert_cb cb,
    void *arg)
{
	struct store_alert      a;
	sqlite3_stmt           *s;
	int                     rc;

	if ((s = store_prep(st, st->data, sql_alert_each)) == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, all != 0);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		a.at = (uint64_t)sqlite3_column_int64(s, 1);
		col_text(s, 2, a.kind, sizeof(a.kind));
		a.urgent = sqlite3_column_int(s, 3);
		if ((a.has_peer = sqlite3_column_bytes(s, 4) == ENV1_KEY_LEN))
			store_col_copy(s, 4, a.peer_rik, ENV1_KEY_LEN);
		if ((a.has_message = sqlite3_column_bytes(s, 5) == ENV1_ID_LEN))
			store_col_copy(s, 5, a.message_id, ENV1_ID_LEN);
		col_text(s, 6, a.case_code, sizeof(a.case_code));
		col_text(s, 7, a.detail, sizeof(a.detail));
		a.acked_at = (uint64_t)sqlite3_column_int64(s, 8);
		col_text(s, 9, a.acked_by, sizeof(a.acked_by));
		if ((rc = cb(&a, arg)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, st->data, rc, "alerts");
}

static const char sql_alert_ack[] =
    "UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at = 0";

int
store_alert_ack(struct store *st, int64_t id, const char *by, uint64_t at)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_alert_ack)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, id);
	if ((rc = store_exec_stmt(st, st->data, s, "alert ack")) != 0)
		return rc;
	return sqlite3_changes(st->data) > 0 ? 0 : -ENOENT;
}

static const char sql_held_safety[] = "UPDATE held SET safety = ? WHERE held_id = ?";

int
store_held_set_safety(struct store *st, const struct store_held *h,
    const char *safety)
{
	sqlite3_stmt   *s;
	uint8_t        *blob = NULL;
	size_t          bloblen = 0;
	int             rc;

	if ((rc = store_seal_col(st, "held", "safety", h->held_id, h->case_id, 0,
	    (const uint8_t *)safety, strlen(safety), &blob, &bloblen)) != 0)
		return rc;
	if ((s = store_prep(st, st->data, sql_held_safety)) == NULL) {
		free(blob);
		return -EIO;
	}
	sqlite3_bind_blob(s, 1, blob, (int)bloblen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, h->held_id, ENV1_ID_LEN, SQLITE_STATIC);
	rc = store_exec_stmt(st, st->data, s, "held safety");
	free(blob);
	return rc;
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
