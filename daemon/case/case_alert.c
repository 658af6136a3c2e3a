/*
 * Alerts of the procedure (case.h): stored with the case, audited, logged,
 * and passed to the configured alert_command, at most ALERT_SPAWN_MAX at
 * a time so that an alert storm cannot fork the machine to death.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"

/* Alert commands running at once, at most: an alert storm must not fork
 * the machine to death. */
#define ALERT_SPAWN_MAX         8

static unsigned alert_children;

struct alert_child {
	uv_process_t    proc;
};

static void
alert_child_closed(uv_handle_t *h)
{
	free(h->data);
	alert_children--;
}

static void
alert_child_exit(uv_process_t *proc, int64_t status, int sig)
{
	if (status != 0 || sig != 0)
		log_warnx("alert_command exited with %lld (signal %d)",
		    (long long)status, sig);
	uv_close((uv_handle_t *)proc, alert_child_closed);
}

/* Run alert_command with the alert in its environment; never blocks. */
static void
alert_spawn(struct daemon *d, const char *kind, int urgent, const char *agency,
    const char *case_code, const char *detail)
{
	uv_process_options_t    o;
	struct alert_child     *ch;
	char                    e_kind[64], e_urgent[32], e_peer[96], e_case[96],
	                        e_detail[320], e_agency[96];
	char                   *env[] = { e_kind, e_urgent, e_peer, e_case, e_detail,
	                            e_agency, (char *)"PATH=/usr/bin:/bin", NULL };
	char                   *args[] = { d->cfg.alert_command, NULL };
	int                     rc;

	if (d->cfg.alert_command[0] == '\0' || d->loop == NULL)
		return;
	if (alert_children >= ALERT_SPAWN_MAX) {
		log_warnx("alert_command not run for a %s alert: %u still running",
		    kind, alert_children);
		return;
	}
	snprintf(e_kind, sizeof(e_kind), "HOMEWARD_ALERT_KIND=%s", kind);
	snprintf(e_urgent, sizeof(e_urgent), "HOMEWARD_ALERT_URGENT=%d", urgent);
	snprintf(e_peer, sizeof(e_peer), "HOMEWARD_ALERT_PEER=%s", agency ? agency : "");
	snprintf(e_case, sizeof(e_case), "HOMEWARD_ALERT_CASE=%s",
	    case_code ? case_code : "");
	snprintf(e_detail, sizeof(e_detail), "HOMEWARD_ALERT_DETAIL=%s", detail);
	snprintf(e_agency, sizeof(e_agency), "HOMEWARD_AGENCY=%s", d->keys.agency_id);
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.file = d->cfg.alert_command;
	o.args = args;
	o.env = env;
	o.exit_cb = alert_child_exit;
	o.flags = UV_PROCESS_WINDOWS_HIDE;
	ch->proc.data = ch;
	if ((rc = uv_spawn(d->loop, &ch->proc, &o)) != 0) {
		log_warnx("alert_command %s: %s", d->cfg.alert_command, uv_strerror(rc));
		/* uv_spawn failed: the handle is initialised and must close. */
		alert_children++;
		uv_close((uv_handle_t *)&ch->proc, alert_child_closed);
		return;
	}
	alert_children++;
}

int
case_alert(struct daemon *d, const char *kind, int urgent, const uint8_t *peer_rik,
    const uint8_t *thread_id, const char *case_code, const char *detail)
{
	struct peer    *p = peer_rik != NULL ? peers_by_rik(d, peer_rik) : NULL;
	int             rc;

	rc = store_alert_case(d->store, kind, urgent, peer_rik, thread_id, case_code,
	    detail, clock_now());
	if (rc != 0)
		return rc;
	if ((rc = audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ALERT, case_code,
	    NULL, kind, clock_now())) != 0)
		return rc;
	log_warnx("%salert %s: case %s: %s", urgent ? "URGENT " : "", kind,
	    case_code ? case_code : "-", detail);
	alert_spawn(d, kind, urgent, p != NULL ? p->rec.agency_id : NULL, case_code,
	    detail);
	return 0;
}
