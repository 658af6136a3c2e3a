/*
 * Starting, timing, stopping and filling homewardd for benchmarks (see
 * daemonrun.h).  The start is timed from fork to a control socket that
 * accepts and answers: what an operator waits for after a restart.  The
 * fill writes the store's tables directly while the daemon is stopped,
 * with a recursive CTE in SQLite itself, since a million rows through the
 * daemon would take longer than the benchmark is meant to.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "keys/env1.h"
#include "tests/lib/ctlclient.h"
#include "tests/lib/daemonrun.h"
#include "tests/lib/procstat.h"

/* Until a control socket at sock answers two statuses: 0, or -1 when it
 * does not (yet). */
static int
time_status(const char *sock, double t0, struct daemonrun_startup *su)
{
	static struct ctlclient c;      /* 64 KiB buffer: not on the stack */
	struct ctlclient_status s;
	double t;
	int rc;

	if (ctlclient_open(&c, sock) != 0) {
		ctlclient_close(&c);
		return -1;
	}
	if (su->listening == 0)
		su->listening = procstat_mono() - t0;
	rc = ctlclient_status(&c, &s);
	t = procstat_mono();
	if (rc == 0) {
		su->answered = t - t0;
		rc = ctlclient_status(&c, &s);
		su->status = procstat_mono() - t;
		su->inbox_total = s.inbox_total;
	}
	ctlclient_close(&c);
	return rc == 0 ? 0 : -1;
}

int
daemonrun_start(const char *hwd, const char *dir, const char *name,
    pid_t *pidp, struct daemonrun_startup *su)
{
	char conf[4096], log[4096], sock[4096];
	double t0;
	pid_t pid;
	int st;

	memset(su, 0, sizeof(*su));
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);
	t0 = procstat_mono();
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(hwd, hwd, "-f", conf, (char *)NULL);
		_exit(127);
	}
	*pidp = pid;
	while (procstat_mono() - t0 < DAEMONRUN_WAIT_S) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*pidp = -1;
			return -ECHILD;
		}
		if (time_status(sock, t0, su) == 0)
			return 0;
		procstat_nap(0.002);
	}
	return -ETIMEDOUT;
}

void
daemonrun_stop_child(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int
daemonrun_stop_foreign(pid_t pid)
{
	double t0 = procstat_mono();

	kill(pid, SIGTERM);
	while (procstat_mono() - t0 < DAEMONRUN_WAIT_S) {
		char st = procstat_state(pid);

		if (st == 0 || st == 'Z' || st == 'X')
			return 0;
		procstat_nap(0.01);
	}
	return -ETIMEDOUT;
}

/* Small random blobs where the schema wants bytes: nothing reads them at
 * start.  ?1..?2 number the rows, ?3 is the peer, ?4 the thread, ?5 the
 * first timestamp. */
static const char out_sql[] =
    "INSERT INTO outbox (message_id, row_id, peer_rik, thread_id, seq, "
    "msg_type, in_reply_to, content_salt, body_len, body, created_at, state, "
    "envelope, signed, h_env, h_inner, attempts, sent_at, delivered_at, "
    "receipt_id) WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 "
    "FROM c WHERE i < ?2) SELECT randomblob(16), randomblob(16), ?3, ?4, i, "
    "32512, zeroblob(16), randomblob(32), 1024, randomblob(64), ?5 + i, 2, "
    "randomblob(64), randomblob(64), randomblob(32), randomblob(32), 1, "
    "?5 + i, ?5 + i + 5, randomblob(16) FROM c";
static const char in_sql[] =
    "INSERT INTO inbox (sender_rik, message_id, row_id, thread_id, seq, "
    "msg_type, h_env, h_inner, prev_hash, in_reply_to, semantic, state, "
    "created_at, received_at, committed_at, body_len, evidence, receipt_id) "
    "WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM c "
    "WHERE i < ?2) SELECT ?3, randomblob(16), randomblob(16), ?4, i, 32512, "
    "randomblob(32), randomblob(32), randomblob(32), zeroblob(16), "
    "randomblob(32), 1, ?5 + i, ?5 + i, ?5 + i, 1024, randomblob(64), "
    "randomblob(16) FROM c";

/* One transaction: rows first .. first + DAEMONRUN_FILL_CHUNK / 2 - 1 of
 * each statement. */
static int
fill_chunk(sqlite3 *db, sqlite3_stmt *ins[2], size_t first)
{
	size_t half = DAEMONRUN_FILL_CHUNK / 2;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	for (int k = 0; k < 2; k++) {
		sqlite3_bind_int64(ins[k], 1, (int64_t)first);
		sqlite3_bind_int64(ins[k], 2, (int64_t)(first + half - 1));
		if (sqlite3_step(ins[k]) != SQLITE_DONE) {
			sqlite3_reset(ins[k]);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
		sqlite3_reset(ins[k]);
	}
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -EIO;
}

static void
store_why(char why[DAEMONRUN_WHY_LEN], const char *dir, const char *name,
    const char *what)
{
	snprintf(why, DAEMONRUN_WHY_LEN, "%s/%s.state/data.db: %s", dir, name, what);
}

int
daemonrun_fill(const char *dir, const char *name, size_t rows,
    double budget_s, size_t *done, double *secs, char why[DAEMONRUN_WHY_LEN])
{
	char path[4096];
	uint8_t rik[ENV1_KEY_LEN], thread[2][ENV1_ID_LEN];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL, *ins[2] = { NULL, NULL };
	double t0 = procstat_mono();
	/* Long ago: these rows are older than anything the run sent. */
	int64_t at0 = (int64_t)procstat_wall_ms() - 400ll * 86400 * 1000;
	int rc = -EIO;

	*done = 0;
	why[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s.state/data.db", dir, name);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA cache_size = -262144; "
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT rik FROM peers LIMIT 1", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_bytes(s, 0) != ENV1_KEY_LEN) {
		store_why(why, dir, name, "no peer to file the messages under");
		goto out;
	}
	memcpy(rik, sqlite3_column_blob(s, 0), ENV1_KEY_LEN);
	sqlite3_finalize(s);
	s = NULL;
	randombytes_buf(thread, sizeof(thread));
	if (sqlite3_prepare_v2(db, out_sql, -1, &ins[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, in_sql, -1, &ins[1], NULL) != SQLITE_OK)
		goto fail;
	for (int k = 0; k < 2; k++) {
		sqlite3_bind_blob(ins[k], 3, rik, ENV1_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(ins[k], 4, thread[k], ENV1_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(ins[k], 5, at0);
	}
	while (*done < rows) {
		double el = procstat_mono() - t0;

		/* Stop before a chunk would run past the budget. */
		if (*done > 0 && el + el / (double)(*done / DAEMONRUN_FILL_CHUNK) >
		    budget_s)
			break;
		if (fill_chunk(db, ins, *done / 2 + 1) != 0)
			goto fail;
		*done += DAEMONRUN_FILL_CHUNK;
	}
	rc = 0;
	goto out;
fail:
	store_why(why, dir, name, db != NULL ? sqlite3_errmsg(db) : "out of memory");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(ins[0]);
	sqlite3_finalize(ins[1]);
	/* The close may write the WAL back: it counts in the time. */
	if (sqlite3_close(db) != SQLITE_OK && rc == 0) {
		store_why(why, dir, name, "cannot close");
		rc = -EIO;
	}
	*secs = procstat_mono() - t0;
	return rc;
}
