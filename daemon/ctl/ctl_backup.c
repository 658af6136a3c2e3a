/*
 * homeward backup: both databases copied at one moment, encrypted under
 * the backup key (store_backup.c) and sent as backup_chunk frames while
 * they are made, then a Result with the file's length and SHA-256, which
 * the CLI checks against what it wrote.  Supervisors only; audited.
 *
 * The answer is queued whole before the loop goes on (the copies are taken
 * in this one callback, so that they agree): it holds the loop for as long
 * as encrypting the databases takes, and its size in memory until the CLI
 * has read it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/base/clock.h"
#include "daemon/base/log.h"
#include "daemon/ctl/ctl_int.h"
#include "daemon/store/audit.h"
#include "daemon/store/store_backup.h"

static int
send_chunk(const uint8_t *b, size_t len, void *arg)
{
	Response r = HOMEWARD__CONTROL__RESPONSE__INIT;

	r.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_BACKUP_CHUNK;
	r.backup_chunk.data = (uint8_t *)b;
	r.backup_chunk.len = len;
	return control_send(arg, &r);
}

void
ctl_backup(const struct ctl_call *call, const Request *rq)
{
	struct control_client          *cl = call->c;
	struct daemon                  *d = call->d;
	struct store_backup_info        info;
	char                            hex[2 * STORE_BACKUP_SHA_LEN + 1];
	char                            detail[160];
	int                             rc;

	(void)rq;
	if ((rc = store_backup(d->store, clock_now(), send_chunk, cl, &info)) != 0) {
		log_warnx("backup for uid %u failed: %s", (unsigned)call->uid,
		    strerror(-rc));
		if (rc == -EPIPE)
			control_result(cl, R(INTERNAL), "the backup was not sent "
			    "whole; nothing is kept: run the backup again");
		else
			control_result(cl, R(STORE), "cannot make the backup (%s): "
			    "free some space in the state directory %s and run it "
			    "again", strerror(-rc), d->cfg.state_dir);
		return;
	}
	for (size_t i = 0; i < STORE_BACKUP_SHA_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", info.sha256[i]);
	snprintf(detail, sizeof(detail), "%llu bytes, sha256 %s",
	    (unsigned long long)info.bytes, hex);
	if (audit_append(d->store, call->actor.name, AUDIT_BACKUP, NULL, NULL,
	    detail, clock_now()) != 0)
		log_warnx("backup: the audit entry could not be written");
	log_info("backup made for %s: %s", call->actor.name, detail);
	control_result(cl, R(OK), "backup made: %s", detail);
}
