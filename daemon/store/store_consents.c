/*
 * Consent records (store_case.h): what the gate reads in clear (the
 * recipients, steps, categories and times of struct consent) and the full
 * ConsentScope, a column blob under the case key; listing a case's
 * consents and withdrawing them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

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
    "given_at, expires_at, withdrawn_at, recorded_by, recorded_at, source, scope, "
    "notice_language, notice_sha256) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
	sqlite3_bind_text(s, 13, sc->notice_language, -1, SQLITE_STATIC);
	if (sc->has_notice)
		sqlite3_bind_blob(s, 14, sc->notice_sha256, STORE_SHA256_LEN,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 14);
	rc = store_exec_stmt(st, st->data, s, "consent insert");
	free(blob);
	return rc;
}

static const char sql_consent_list[] =
    "SELECT consent_id, recipients, steps, categories, given_at, expires_at, "
    "withdrawn_at, recorded_by, recorded_at, source, in_error, notice_language, "
    "notice_sha256 FROM consents "
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
		store_col_text(s, 7, c->recorded_by, sizeof(c->recorded_by));
		c->recorded_at = (uint64_t)sqlite3_column_int64(s, 8);
		c->source = sqlite3_column_int(s, 9);
		c->in_error = sqlite3_column_int(s, 10);
		store_col_text(s, 11, c->notice_language, sizeof(c->notice_language));
		c->has_notice = sqlite3_column_bytes(s, 12) == STORE_SHA256_LEN;
		if (c->has_notice)
			store_col_copy(s, 12, c->notice_sha256, STORE_SHA256_LEN);
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
    "UPDATE consents SET withdrawn_at = ?1, in_error = ?4 WHERE case_id = ?2 "
    "AND withdrawn_at = 0 AND (?3 IS NULL OR consent_id = ?3)";

int
store_consent_withdraw(struct store *st, const uint8_t case_id[ENV1_ID_LEN],
    const uint8_t *consent_id, uint64_t at, int in_error, unsigned *n)
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_consent_withdraw)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
	sqlite3_bind_int(s, 4, in_error != 0);
	sqlite3_bind_blob(s, 2, case_id, ENV1_ID_LEN, SQLITE_STATIC);
	store_bind_blob_or_null(s, 3, consent_id, ENV1_ID_LEN);
	if ((rc = store_exec_stmt(st, st->data, s, "consent withdraw")) != 0)
		return rc;
	*n = (unsigned)sqlite3_changes(st->data);
	return 0;
}
