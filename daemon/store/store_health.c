/*
 * The store's figures for monitoring (`homeward status`, `homeward
 * check`): open alerts and open urgent alerts, how full data.db is
 * against its cap, and the free space left on its file system; and
 * whether a warning was already given (so each is given once).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "daemon/store/store_int.h"

static const char sql_open_alerts[] =
    "SELECT count(*), coalesce(sum(urgent), 0), "
    "coalesce(min(CASE WHEN urgent THEN at END), 0) "
    "FROM alerts WHERE acked_at = 0";

/* One integer pragma of data.db; 0 when it cannot be read. */
static uint64_t
pragma_u64(struct store *st, const char *sql)
{
	sqlite3_stmt   *s;
	uint64_t        v = 0;

	if (sqlite3_prepare_v2(st->data, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
disk_free(struct store *st, struct store_health *h)
{
	const char     *db = sqlite3_db_filename(st->data, "main");
	char            dir[PATH_MAX];
	struct statvfs  v;

	if (db == NULL || db[0] == '\0' || strlen(db) >= sizeof(dir))
		return;
	strcpy(dir, db);
	/* What an unprivileged writer may still use: the daemon's share. */
	if (statvfs(dirname(dir), &v) == 0)
		h->disk_free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
}

int
store_health(struct store *st, struct store_health *h)
{
	sqlite3_stmt   *s;
	uint64_t        page, max_pages;
	int             rc;

	memset(h, 0, sizeof(*h));
	if ((s = store_prep(st, st->data, sql_open_alerts)) == NULL)
		return -EIO;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		h->open_alerts = (uint64_t)sqlite3_column_int64(s, 0);
		h->urgent_alerts = (uint64_t)sqlite3_column_int64(s, 1);
		h->oldest_urgent_at = (uint64_t)sqlite3_column_int64(s, 2);
		rc = 0;
	} else {
		rc = store_err(st, st->data, rc, "health");
	}
	sqlite3_reset(s);
	if (rc != 0)
		return rc;
	page = pragma_u64(st, "PRAGMA page_size");
	h->data_bytes = page * (pragma_u64(st, "PRAGMA page_count") -
	    pragma_u64(st, "PRAGMA freelist_count"));
	max_pages = pragma_u64(st, "PRAGMA max_page_count");
	/* 0xfffffffe pages is SQLite's "no cap" (store_set_max_mb(0)). */
	h->data_max_bytes = max_pages >= 0xfffffffeu ? 0 : page * max_pages;
	disk_free(st, h);
	return 0;
}

static const char sql_alert_since[] =
    "SELECT count(*) FROM alerts WHERE kind = ?1 AND peer_rik IS ?2 AND at >= ?3";

int
store_alert_since(struct store *st, const char *kind, const uint8_t *peer_rik,
    uint64_t since, int *found)
{
	sqlite3_stmt   *s;
	int             rc;

	*found = 0;
	if ((s = store_prep(st, st->data, sql_alert_since)) == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	if (peer_rik != NULL)
		sqlite3_bind_blob(s, 2, peer_rik, ENV1_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)since);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*found = sqlite3_column_int64(s, 0) > 0;
		rc = 0;
	} else {
		rc = store_err(st, st->data, rc, "alert since");
	}
	sqlite3_reset(s);
	return rc;
}
