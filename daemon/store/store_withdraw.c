/*
 * What a withdrawal does to a thread's rows (store_case.h): documents not
 * sealed yet are cancelled without leaving a hole in the thread's order,
 * and the partner's withdrawal is found again when its erasure is
 * confirmed later (after the arrival of a person on her way).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_case.h"
#include "daemon/store/store_int.h"

static const char sql_unsealed[] =
    "SELECT message_id, msg_type FROM outbox WHERE thread_id = ? AND state = 0 "
    "ORDER BY seq";
static const char sql_out_drop[] = "DELETE FROM outbox WHERE message_id = ?";
static const char sql_out_renumber[] =
    "UPDATE outbox SET seq = ? WHERE message_id = ?";

struct unsealed {
	uint8_t         message_id[ENV1_ID_LEN];
	int             msg_type;
};

/* The thread's unsealed documents in order (*out malloc'ed). */
static int
unsealed_list(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    struct unsealed **out, size_t *count)
{
	struct unsealed        *v = NULL, *grown;
	sqlite3_stmt           *s;
	size_t                  n = 0, cap = 0;
	int                     rc;

	*out = NULL;
	*count = 0;
	if ((s = store_prep(st, st->data, sql_unsealed)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_reset(s);
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		store_col_copy(s, 0, v[n].message_id, ENV1_ID_LEN);
		v[n++].msg_type = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(st, st->data, rc, "unsealed documents");
	}
	*out = v;
	*count = n;
	return 0;
}

static int
out_by_id(struct store *st, const char *sql, const uint8_t id[ENV1_ID_LEN],
    int with_seq, uint64_t seq, const char *what)
{
	sqlite3_stmt *s;

	if ((s = store_prep(st, st->data, sql)) == NULL)
		return -EIO;
	if (with_seq) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
		sqlite3_bind_blob(s, 2, id, ENV1_ID_LEN, SQLITE_STATIC);
	} else
		sqlite3_bind_blob(s, 1, id, ENV1_ID_LEN, SQLITE_STATIC);
	return store_exec_stmt(st, st->data, s, what);
}

int
store_out_cancel_unsealed(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    uint32_t cancel, unsigned *n)
{
	struct store_thread     t;
	struct unsealed        *v;
	size_t                  count;
	uint64_t                next;
	int                     rc;

	*n = 0;
	if ((rc = store_thread_get(st, thread_id, &t)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if ((rc = unsealed_list(st, thread_id, &v, &count)) != 0)
		return rc;
	/* Sealing goes in order, so every unsealed document comes after the
	 * last sealed one: positions from sealed_seq + 1 on are free to give
	 * again.  Ascending order keeps (thread_id, seq) unique throughout. */
	next = t.sealed_seq + 1;
	for (size_t i = 0; i < count && rc == 0; i++) {
		int type = v[i].msg_type;

		if (type < 0 || type >= 32 || !(cancel & (1u << type))) {
			rc = out_by_id(st, sql_out_renumber, v[i].message_id, 1, next++,
			    "outbox renumber");
			continue;
		}
		if ((rc = out_by_id(st, sql_out_drop, v[i].message_id, 0, 0,
		    "outbox cancel")) == 0)
			(*n)++;
	}
	free(v);
	if (rc != 0 || *n == 0)
		return rc;
	t.out_seq = next - 1;
	return store_thread_put(st, &t);
}

static const char sql_in_last_of_type[] =
    "SELECT message_id FROM inbox WHERE thread_id = ? AND msg_type = ? "
    "AND seq < ? ORDER BY seq DESC LIMIT 1";

int
store_in_last_of_type(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint8_t message_id[ENV1_ID_LEN])
{
	return store_in_last_before(st, thread_id, msg_type, INT64_MAX, message_id);
}

int
store_in_last_before(struct store *st, const uint8_t thread_id[ENV1_ID_LEN],
    uint16_t msg_type, uint64_t before_seq, uint8_t message_id[ENV1_ID_LEN])
{
	sqlite3_stmt   *s;
	int             rc;

	if ((s = store_prep(st, st->data, sql_in_last_of_type)) == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, thread_id, ENV1_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, msg_type);
	sqlite3_bind_int64(s, 3, before_seq > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)before_seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_col_copy(s, 0, message_id, ENV1_ID_LEN);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = store_err(st, st->data, rc, "inbox by type");
	sqlite3_reset(s);
	return rc;
}
