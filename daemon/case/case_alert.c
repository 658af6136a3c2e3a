/*
 * Alerts that reach people (case.h).  Every alert, of the procedure or of
 * the protocol (stored by core/), runs the configured alert_command once
 * it is committed: urgent ones first, then the oldest; a command that
 * fails or cannot start is retried later, with a growing delay, until it
 * succeeds: an alert is never dropped.  At most ALERT_SPAWN_MAX commands
 * run at once, so that an alert storm cannot fork the machine to death;
 * the others wait their turn in the store.  A command still running after
 * ALERT_COMMAND_TIMEOUT_MS is killed and counts as failed: a paging script
 * hung on a dead network must not hold a slot for good.  Alerts of one kind from one
 * partner about one case are counted in one row (store_alerts.c), so a
 * flood pages once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"

#define ALERT_SPAWN_MAX         8
#define ALERT_RETRY_MIN_MS      5000ull
#define ALERT_RETRY_MAX_MS      (15ull * 60 * 1000)
#define ALERT_COMMAND_TIMEOUT_MS 60000

/* Freed when both handles are closed. */
struct alert_child {
	uv_process_t    proc;
	uv_timer_t      timer;
	struct daemon  *d;
	int64_t         id;
	int             closing;        /* handles still to close */
};

/* The ids whose command runs now: never started twice at once. */
static int64_t          running[ALERT_SPAWN_MAX];
static unsigned         alert_children;

static int
is_running(int64_t id)
{
	for (unsigned i = 0; i < ALERT_SPAWN_MAX; i++)
		if (running[i] == id)
			return 1;
	return 0;
}

static void
set_running(int64_t from, int64_t to)
{
	for (unsigned i = 0; i < ALERT_SPAWN_MAX; i++)
		if (running[i] == from) {
			running[i] = to;
			return;
		}
}

/* Done, or the next attempt after a delay that doubles up to a cap. */
static void
alert_result(struct daemon *d, int64_t id, int done)
{
	unsigned        attempts = 0;
	uint64_t        delay = ALERT_RETRY_MIN_MS;

	if (!done && store_alert_attempts(d->store, id, &attempts) == 0)
		for (unsigned i = 0; i < attempts && delay < ALERT_RETRY_MAX_MS; i++)
			delay *= 2;
	if (delay > ALERT_RETRY_MAX_MS)
		delay = ALERT_RETRY_MAX_MS;
	if (store_alert_notified(d->store, id, done, clock_now() + delay) != 0)
		log_warnx("alert %lld: its alert_command result is not recorded; "
		    "it may run again", (long long)id);
}

static void
alert_child_closed(uv_handle_t *h)
{
	struct alert_child *ch = h->data;
	struct daemon *d = ch->d;

	if (--ch->closing > 0)
		return;
	set_running(ch->id, 0);
	alert_children--;
	free(ch);
	/* A slot is free: the next alert waiting may go (unless stopping:
	 * the loop's own handles are closed then). */
	if (!d->stopping) {
		d->case_due = 1;
		daemon_wake(d);
	}
}

static void
alert_child_exit(uv_process_t *proc, int64_t status, int sig)
{
	struct alert_child *ch = proc->data;

	if (status != 0 || sig != 0)
		log_warnx("alert %lld: alert_command exited with %lld (signal %d); "
		    "it runs again later", (long long)ch->id, (long long)status, sig);
	alert_result(ch->d, ch->id, status == 0 && sig == 0);
	ch->closing = 2;
	uv_close((uv_handle_t *)&ch->timer, alert_child_closed);
	uv_close((uv_handle_t *)proc, alert_child_closed);
}

/* Still running: kill it; its exit is the failure that retries it. */
static void
alert_child_timeout(uv_timer_t *t)
{
	struct alert_child *ch = t->data;

	log_warnx("alert %lld: alert_command still running after %d s: killed",
	    (long long)ch->id, ALERT_COMMAND_TIMEOUT_MS / 1000);
	(void)uv_process_kill(&ch->proc, SIGKILL);
}

/* Run alert_command with the alert in its environment; never blocks. */
static void
alert_spawn(struct daemon *d, const struct store_alert *a)
{
	uv_process_options_t    o;
	struct alert_child     *ch;
	struct peer            *p = a->has_peer ? peers_by_rik(d, a->peer_rik) : NULL;
	char                    e_kind[64], e_urgent[32], e_peer[96], e_case[96],
	                        e_detail[600], e_agency[96], e_id[48], e_count[48];
	char                   *env[] = { e_kind, e_urgent, e_peer, e_case, e_detail,
	                            e_agency, e_id, e_count,
	                            (char *)"PATH=/usr/bin:/bin", NULL };
	char                   *args[] = { d->cfg.alert_command, NULL };
	int                     rc;

	snprintf(e_kind, sizeof(e_kind), "HOMEWARD_ALERT_KIND=%s", a->kind);
	snprintf(e_urgent, sizeof(e_urgent), "HOMEWARD_ALERT_URGENT=%d", a->urgent);
	snprintf(e_peer, sizeof(e_peer), "HOMEWARD_ALERT_PEER=%s",
	    p != NULL ? p->rec.agency_id : "");
	snprintf(e_case, sizeof(e_case), "HOMEWARD_ALERT_CASE=%s", a->case_code);
	snprintf(e_detail, sizeof(e_detail), "HOMEWARD_ALERT_DETAIL=%s", a->detail);
	snprintf(e_agency, sizeof(e_agency), "HOMEWARD_AGENCY=%s", d->keys.agency_id);
	snprintf(e_id, sizeof(e_id), "HOMEWARD_ALERT_ID=%lld", (long long)a->id);
	snprintf(e_count, sizeof(e_count), "HOMEWARD_ALERT_COUNT=%u",
	    a->count ? a->count : 1);
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return;
	ch->d = d;
	ch->id = a->id;
	memset(&o, 0, sizeof(o));
	o.file = d->cfg.alert_command;
	o.args = args;
	o.env = env;
	o.exit_cb = alert_child_exit;
	o.flags = UV_PROCESS_WINDOWS_HIDE;
	ch->proc.data = ch;
	ch->timer.data = ch;
	if (uv_timer_init(d->loop, &ch->timer) != 0) {
		free(ch);
		return;
	}
	set_running(0, a->id);
	alert_children++;
	ch->closing = 2;
	if ((rc = uv_spawn(d->loop, &ch->proc, &o)) != 0) {
		log_warnx("alert %lld: alert_command %s: %s; it runs again later",
		    (long long)a->id, d->cfg.alert_command, uv_strerror(rc));
		alert_result(d, a->id, 0);
		/* uv_spawn failed: the handle is initialised and must close. */
		uv_close((uv_handle_t *)&ch->timer, alert_child_closed);
		uv_close((uv_handle_t *)&ch->proc, alert_child_closed);
		return;
	}
	(void)uv_timer_start(&ch->timer, alert_child_timeout,
	    ALERT_COMMAND_TIMEOUT_MS, 0);
	/* The child keeps the loop alive until it exits; its timer need not. */
	uv_unref((uv_handle_t *)&ch->timer);
}

void
case_alert_notify(struct daemon *d)
{
	struct store_alert      v[2 * ALERT_SPAWN_MAX];
	size_t                  n = 0;

	if (d->cfg.alert_command[0] == '\0') {
		(void)store_alert_quiet(d->store);
		return;
	}
	if (d->loop == NULL || alert_children >= ALERT_SPAWN_MAX)
		return;
	/* Those running now may be among the first: ask for enough. */
	if (store_alert_pending(d->store, clock_now(), ALERT_SPAWN_MAX +
	    alert_children, v, &n) != 0)
		return;
	for (size_t i = 0; i < n && alert_children < ALERT_SPAWN_MAX; i++)
		if (!is_running(v[i].id))
			alert_spawn(d, &v[i]);
}

int
case_alert(struct daemon *d, const char *kind, int urgent, const uint8_t *peer_rik,
    const uint8_t *thread_id, const char *case_code, const char *detail)
{
	return case_alert_msg(d, kind, urgent, peer_rik, thread_id, NULL, case_code,
	    detail);
}

int
case_alert_msg(struct daemon *d, const char *kind, int urgent,
    const uint8_t *peer_rik, const uint8_t *thread_id, const uint8_t *message_id,
    const char *case_code, const char *detail)
{
	int rc;

	rc = store_alert_case_msg(d->store, kind, urgent, peer_rik, thread_id,
	    message_id, case_code, detail, clock_now());
	if (rc < 0)
		return rc;
	if (rc == 1) {
		/* Counted into an earlier alert (store_alerts.c): its audit
		 * entry and its page stand for this one too. */
		log_debug("alert %s: case %s: counted: %s", kind,
		    case_code ? case_code : "-", detail);
		return 0;
	}
	if ((rc = audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_ALERT, case_code,
	    message_id, kind, clock_now())) != 0)
		return rc;
	log_warnx("%salert %s: case %s: %s", urgent ? "URGENT " : "", kind,
	    case_code ? case_code : "-", detail);
	/* The command runs once the alert is committed (case_tick). */
	d->case_due = 1;
	daemon_wake(d);
	return 0;
}
