/*
 * The control room (daemon/ctl/): the operator's requests on the control
 * socket.
 *
 *   control.c    the socket: accept, SO_PEERCRED, framing, one request at
 *                a time per client, uids without a role refused, clients
 *                that do not read their answers held back
 *   ctl.c        the dispatch table: request kind -> roles -> handler
 *   ctl_daemon.c ctl_msgs.c ctl_case.c ctl_consent.c ctl_step.c
 *   ctl_alert.c ctl_backup.c
 *                the handlers, one file per subject
 *   ctl_request.c request ids: a submission sent again is answered from
 *                what it did the first time
 *   ctl_docgate.c which documents may be shown, by every request that
 *                shows one
 *   ctl_reply.c  records that handlers of several subjects send alike
 *   ctl_result.c results (store and case errors, roles) and look-ups
 *   ctl_int.h    what the ctl files share
 *
 * Inside the room calls go one way: ctl.c -> the handlers -> ctl_docgate.c
 * -> ctl_reply.c -> ctl_result.c, and all of them to control.c.
 *
 * May call: case/ (the procedure), core/ (delivery, peers), store/,
 * rules/, base/, and keys/ proto/ common/.  Nothing below calls up into
 * it: main.c hands ctl_handle to control_open and ctl_admit to
 * control_set_admit.
 */
#ifndef HOMEWARD_DAEMON_CTL_CTL_H
#define HOMEWARD_DAEMON_CTL_CTL_H

#include <sys/types.h>

#include "daemon/ctl/control.h"

/* control_handler for control_open; arg is the struct daemon. */
void ctl_handle(struct control_client *, uid_t uid,
    const Homeward__Control__Request *req, void *arg);
/* control_admit for control_set_admit: a uid with no role at all is
 * refused at accept. */
int ctl_admit(uid_t uid, void *arg, char *why, size_t whylen);

#endif
