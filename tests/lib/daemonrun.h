/*
 * Running homewardd from a benchmark: start it and time how long until it
 * answers on its control socket, stop it (whether or not it is our child),
 * and grow its store while it is stopped.  The layout is that of
 * tests/integration/lib/agencies.sh: DIR/NAME.conf, DIR/NAME.state,
 * DIR/NAME.sock and DIR/NAME.log.
 */
#ifndef HOMEWARD_TESTS_DAEMONRUN_H
#define HOMEWARD_TESTS_DAEMONRUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DAEMONRUN_WAIT_S        30      /* to start or stop: a safety net */
#define DAEMONRUN_FILL_CHUNK    100000  /* rows per fill transaction */
#define DAEMONRUN_WHY_LEN       256

/* What a start costs, in s from exec: to a control socket that accepts
 * (keys unlocked, store open, everything set up), to the first status
 * answer, and one status after that. */
struct daemonrun_startup {
	double          listening, answered, status;
	uint64_t        inbox_total;    /* as that last status counted */
};

/* Start hwd -f DIR/NAME.conf, its stderr appended to DIR/NAME.log, time
 * it, and leave it running: *pidp is the child.  0; -ECHILD when it
 * exited (*pidp is then -1); -ETIMEDOUT when it did not answer a status
 * within DAEMONRUN_WAIT_S (*pidp still runs); or fork's errno. */
int daemonrun_start(const char *hwd, const char *dir, const char *name,
    pid_t *pidp, struct daemonrun_startup *su);

/* SIGTERM our child pid and reap it. */
void daemonrun_stop_child(pid_t pid);
/* SIGTERM a daemon that is not our child and wait until it has exited:
 * 0, or -ETIMEDOUT after DAEMONRUN_WAIT_S. */
int daemonrun_stop_foreign(pid_t pid);

/*
 * Add about rows synthetic messages to NAME's stopped store, half
 * delivered outbox rows and half accepted inbox rows of its one peer, in
 * transactions of DAEMONRUN_FILL_CHUNK rows, stopping when the next one
 * would likely end past budget_s.  *done is the rows added, *secs the time
 * taken.  0, or -EIO with why saying what failed.
 */
int daemonrun_fill(const char *dir, const char *name, size_t rows,
    double budget_s, size_t *done, double *secs, char why[DAEMONRUN_WHY_LEN]);

#endif
