/*
 * A case's messages for its reports (store_case.h, homeward case report):
 * the ids of what was sent and received in one thread, in thread order,
 * receipts left out (a receipt is shown with what it proves).
 */
#include <errno.h>
#include <string.h>

#include "common/msgtype.h"
#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

static const char sql_report_out[] =
    "SELECT message_id FROM outbox WHERE thread_id = ? AND msg_type <> ? "
    "ORDER BY seq, id";
static const char sql_report_in[] =
    "SELECT message_id FROM inbox WHERE thread_id = ? AND msg_type <> ? "
    "ORDER BY seq, rowid";

int
store_thread_messages(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    int received, store_msg_id_cb cb, void *arg)
{
	uint8_t         id[ENV1_ID_LEN];
	sqlite3_stmt   *s;
	int             rc, crc = 0;

	if ((s = store_prep(st, st->data, received ? sql_report_in :
	    sql_report_out)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, ENV1_MSG_DELIVERY_RECEIPT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_col_copy(s, 0, id, sizeof(id));
		if ((crc = cb(id, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crc = store_err(st, st->data, rc, "thread messages");
	sqlite3_reset(s);
	return crc < 0 ? crc : 0;
}
