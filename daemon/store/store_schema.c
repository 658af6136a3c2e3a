/*
 * The schema of both databases: the numbered migrations of data.db and of
 * keystore.db, and the runner that brings each to the newest version at
 * open, one transaction per migration (store_int.h).
 */
#include <errno.h>
#include <stdio.h>

#include "daemon/base/log.h"
#include "daemon/store/store_int.h"

/* Numbered migrations: migration i brings user_version from i to i + 1.
 * Never edit one that has shipped; append. */
static const char *const data_migrations[] = {
	/* 1: peers, threads, outbox, inbox (ledger), alerts */
	"CREATE TABLE peers ("
	"  rik BLOB PRIMARY KEY,"
	"  agency_id TEXT NOT NULL UNIQUE,"
	"  endpoint TEXT NOT NULL DEFAULT '',"
	"  verified INTEGER NOT NULL,"
	"  suspended INTEGER NOT NULL DEFAULT 0,"
	"  imported_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL DEFAULT 0,"
	"  bundle BLOB NOT NULL);"
	"CREATE TABLE threads ("
	"  thread_id BLOB PRIMARY KEY,"
	"  peer_rik BLOB NOT NULL,"
	"  out_seq INTEGER NOT NULL DEFAULT 0,"
	"  sealed_seq INTEGER NOT NULL DEFAULT 0,"
	"  out_last_h_inner BLOB NOT NULL,"
	"  in_seq INTEGER NOT NULL DEFAULT 0,"
	"  in_last_h_inner BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id BLOB NOT NULL UNIQUE,"
	"  row_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  thread_id BLOB NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  in_reply_to BLOB NOT NULL,"
	"  content_salt BLOB NOT NULL,"
	"  body_len INTEGER NOT NULL,"
	"  body BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  envelope BLOB,"
	"  signed BLOB,"
	"  h_env BLOB,"
	"  h_inner BLOB,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  sent_at INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  delivered_at INTEGER NOT NULL DEFAULT 0,"
	"  receipt_id BLOB,"
	"  UNIQUE (thread_id, seq));"
	"CREATE INDEX outbox_by_peer ON outbox (peer_rik, state, id);"
	"CREATE INDEX outbox_by_h_inner ON outbox (h_inner);"
	"CREATE INDEX outbox_by_created ON outbox (created_at);"
	/* Partial indexes keep status cheap on a store of millions: only
	 * what is in flight, and documents (not receipts) for the counts. */
	"CREATE INDEX outbox_unacked ON outbox (created_at, state, msg_type, message_id) "
	"  WHERE state IN (0, 1) AND msg_type <> 256;"
	"CREATE TABLE inbox ("
	"  id INTEGER PRIMARY KEY,"
	"  sender_rik BLOB NOT NULL,"
	"  message_id BLOB NOT NULL,"
	"  row_id BLOB NOT NULL,"
	"  thread_id BLOB NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  h_env BLOB NOT NULL,"
	"  h_inner BLOB NOT NULL,"
	"  prev_hash BLOB NOT NULL,"
	"  in_reply_to BLOB NOT NULL,"
	"  semantic BLOB NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  committed_at INTEGER NOT NULL,"
	"  body_len INTEGER NOT NULL,"
	"  evidence BLOB NOT NULL,"
	"  receipt_id BLOB NOT NULL,"
	"  UNIQUE (sender_rik, message_id));"
	"CREATE INDEX inbox_by_id ON inbox (message_id);"
	"CREATE INDEX inbox_held ON inbox (thread_id, state, seq);"
	"CREATE INDEX inbox_by_created ON inbox (received_at);"
	"CREATE INDEX inbox_documents ON inbox (state, msg_type) WHERE msg_type <> 256;"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  peer_rik BLOB,"
	"  message_id BLOB,"
	"  thread_id BLOB,"
	"  detail TEXT NOT NULL,"
	"  evidence BLOB);",
	/* 2: the referral procedure (store_case.h) */
	"CREATE TABLE cases ("
	"  case_id BLOB PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  home TEXT NOT NULL,"
	"  role INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  opened_at INTEGER NOT NULL,"
	"  closed_at INTEGER NOT NULL DEFAULT 0,"
	"  erased_at INTEGER NOT NULL DEFAULT 0,"
	"  opened_by TEXT NOT NULL,"
	"  profile BLOB,"
	"  UNIQUE (home, code));"
	"CREATE INDEX cases_by_code ON cases (code);"
	"CREATE TABLE case_threads ("
	"  thread_id BLOB PRIMARY KEY,"
	"  case_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  request INTEGER NOT NULL, reintegration INTEGER NOT NULL,"
	"  departure INTEGER NOT NULL, arrival INTEGER NOT NULL,"
	"  withdrawn INTEGER NOT NULL, erasure_confirmed INTEGER NOT NULL,"
	"  request_reply_by INTEGER NOT NULL, reint_reply_by INTEGER NOT NULL,"
	"  scheduled_arrival INTEGER NOT NULL, followups INTEGER NOT NULL,"
	"  alerted INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (case_id, peer_rik));"
	"CREATE TABLE consents ("
	"  consent_id BLOB PRIMARY KEY,"
	"  case_id BLOB NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  steps INTEGER NOT NULL,"
	"  categories INTEGER NOT NULL,"
	"  given_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  withdrawn_at INTEGER NOT NULL DEFAULT 0,"
	"  recorded_by TEXT NOT NULL,"
	"  recorded_at INTEGER NOT NULL,"
	"  source INTEGER NOT NULL,"
	"  scope BLOB);"
	"CREATE INDEX consents_by_case ON consents (case_id);"
	"CREATE TABLE held ("
	"  id INTEGER PRIMARY KEY,"
	"  held_id BLOB NOT NULL UNIQUE,"
	"  case_id BLOB NOT NULL,"
	"  peer_rik BLOB NOT NULL,"
	"  msg_type INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  categories INTEGER NOT NULL,"
	"  missing TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  approved_by TEXT NOT NULL DEFAULT '',"
	"  released_at INTEGER NOT NULL DEFAULT 0,"
	"  message_id BLOB,"
	"  body BLOB,"
	"  safety BLOB);"
	"CREATE INDEX held_by_case ON held (case_id, state);"
	"ALTER TABLE alerts ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN case_code TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE alerts ADD COLUMN acked_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN acked_by TEXT NOT NULL DEFAULT '';"
	/* and the audit log (daemon/store/audit.h): append-only, each row's mac
	 * keyed from the KSK and chained to the previous row's. */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  case_code TEXT NOT NULL DEFAULT '',"
	"  message_id BLOB,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  prev BLOB NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE INDEX audit_by_case ON audit (case_code, seq);",
	/* 3: issue 10, her safety first.  A thread's arrival outcome recorded
	 * by a supervisor after a no-show, and when its urgent alert was last
	 * raised (it repeats until an outcome is recorded); the profile as the
	 * case's documents last stated it (encrypted under the case key), so
	 * the travel rules can take the more protective of it and the case's;
	 * the reasons of a safety exception's two approvals (encrypted under
	 * the case key) and the held document that replaced an older draft; a
	 * consent revoked because it was recorded in error (not the person's
	 * withdrawal). */
	"ALTER TABLE case_threads ADD COLUMN outcome INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE case_threads ADD COLUMN outcome_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE case_threads ADD COLUMN outcome_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE case_threads ADD COLUMN alerted_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE case_threads SET alerted = alerted | 8 WHERE arrival = 2;"
	"ALTER TABLE cases ADD COLUMN doc_profile BLOB;"
	"ALTER TABLE held ADD COLUMN first_reason BLOB;"
	"ALTER TABLE held ADD COLUMN second_reason BLOB;"
	"ALTER TABLE held ADD COLUMN replaced_by BLOB;"
	"ALTER TABLE consents ADD COLUMN in_error INTEGER NOT NULL DEFAULT 0;"
	/* Alerts reach people: alert_command runs for each (0 pending, 2
	 * done; alerts from before this migration count as done), retried
	 * until it succeeds; alerts of one kind from one peer about one case
	 * are counted in one row while it is unacknowledged. */
	"ALTER TABLE alerts ADD COLUMN notify INTEGER NOT NULL DEFAULT 2;"
	"ALTER TABLE alerts ADD COLUMN notify_attempts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN notify_next_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE alerts ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE alerts ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX alerts_pending ON alerts (notify, urgent, id);",
	/* 4: issue 11.  The control requests carried out (store_request.c):
	 * the CLI's request id, stored with what the request committed, and
	 * the ids of the messages and held documents it made; kept a week. */
	"CREATE TABLE requests ("
	"  request_id BLOB PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  out_ids BLOB NOT NULL,"
	"  held_ids BLOB NOT NULL);"
	"CREATE INDEX requests_by_at ON requests (at);",
	/* 5: what one partner takes, counted for its quotas (store_quota.c)
	 * without reading every row of the store. */
	"CREATE INDEX threads_by_peer ON threads (peer_rik, created_at);"
	"CREATE INDEX alerts_by_peer ON alerts (peer_rik, last_at);"
	"CREATE INDEX cases_by_opener ON cases (opened_by, opened_at);"
	"ALTER TABLE peers ADD COLUMN quota_from INTEGER NOT NULL DEFAULT 0;",
	/* 6: issue 12, after a restore (store_resync.h, PROTOCOL.md 9.5):
	 * which partners our chains must be re-synchronised with, and this
	 * store's instance nonce (also kept in a file beside it, so that a
	 * data.db put back from an older copy is told). */
	"ALTER TABLE peers ADD COLUMN resync INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE instance ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  nonce BLOB NOT NULL);",
	/* 7: issue 13, what she was told.  The language and SHA-256 of the
	 * consent notice she was given (homeward consent notice), recorded
	 * with her consent; '' and NULL for consents recorded without one. */
	"ALTER TABLE consents ADD COLUMN notice_language TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE consents ADD COLUMN notice_sha256 BLOB;",
};

static const char *const keys_migrations[] = {
	/* 1: crypto-env1.md 4.1 */
	"CREATE TABLE case_keys ("
	"  case_id BLOB PRIMARY KEY,"
	"  key_version INTEGER NOT NULL,"
	"  wrapped_dek BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE spk_secrets ("
	"  spk_id INTEGER PRIMARY KEY,"
	"  wrapped_sk BLOB NOT NULL,"
	"  statement BLOB NOT NULL,"
	"  retain_until INTEGER NOT NULL);"
	"CREATE TABLE shred_log ("
	"  case_id BLOB NOT NULL,"
	"  shredded_at INTEGER NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  reason TEXT NOT NULL);",
	/* 2: audit log anchor: the seq and mac of the newest audit entry
	 * known committed, kept apart from data.db so that deleting the log's
	 * tail there is seen.  One row. */
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL,"
	"  mac BLOB NOT NULL);"
	"INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, zeroblob(32));",
};

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt   *s;
	int             rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Bring db to the newest version, one transaction per migration. */
static int
migrate(struct store *st, sqlite3 *db, const char *const *steps, int nsteps,
    const char *name, char **cause)
{
	char    sql[64];
	int     v, rc;

	if ((rc = user_version(db, &v)) != 0) {
		if (asprintf(cause, "%s: cannot read its schema version", name) < 0)
			*cause = NULL;
		return rc;
	}
	if (v > nsteps) {
		if (asprintf(cause, "%s: schema version %d is newer than this "
		    "homewardd (%d): upgrade homewardd", name, v, nsteps) < 0)
			*cause = NULL;
		return -EPROTONOSUPPORT;
	}
	for (; v < nsteps; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = store_exec(st, db, "BEGIN IMMEDIATE", "migrate")) != 0 ||
		    (rc = store_exec(st, db, steps[v], "migrate")) != 0 ||
		    (rc = store_exec(st, db, sql, "migrate")) != 0 ||
		    (rc = store_exec(st, db, "COMMIT", "migrate")) != 0) {
			store_exec(st, db, "ROLLBACK", "migrate");
			if (asprintf(cause, "%s: migration %d failed", name, v + 1) < 0)
				*cause = NULL;
			return rc;
		}
		log_info("store: %s migrated to schema version %d", name, v + 1);
	}
	return 0;
}

#define NELEM(a)        ((int)(sizeof(a) / sizeof((a)[0])))

int
store_migrate(struct store *st, const char *dir, char **cause)
{
	int rc, data_v, keys_v;

	/* Databases that exist and are older than this program are copied
	 * first, both at the same point, so that an upgrade can be undone. */
	if (user_version(st->data, &data_v) == 0 &&
	    user_version(st->keys, &keys_v) == 0 &&
	    ((data_v > 0 && data_v < NELEM(data_migrations)) ||
	    (keys_v > 0 && keys_v < NELEM(keys_migrations))) &&
	    (rc = store_premigrate_copy(st, dir, data_v, keys_v, cause)) != 0)
		return rc;
	if ((rc = migrate(st, st->data, data_migrations, NELEM(data_migrations),
	    "data.db", cause)) != 0)
		return rc;
	return migrate(st, st->keys, keys_migrations, NELEM(keys_migrations),
	    "keystore.db", cause);
}
