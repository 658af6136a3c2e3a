/*
 * The control room (daemon/ctl/): the operator's requests on the control
 * socket.
 *
 *   control.c   the socket: accept, SO_PEERCRED, framing, one request at
 *               a time per client
 *   ctl.c       the dispatch table: request kind -> roles -> handler
 *   ctl_*.c     the handlers, one file per subject
 *
 * May call: case/ (the procedure), core/ (delivery, peers), store/,
 * rules/, base/, and keys/ proto/ common/.  Nothing below calls up into
 * it: main.c hands ctl_handle to control_open.
 */
#ifndef HOMEWARD_DAEMON_CTL_CTL_H
#define HOMEWARD_DAEMON_CTL_CTL_H

#include <sys/types.h>

#include "daemon/ctl/control.h"

/* control_handler for control_open; arg is the struct daemon. */
void ctl_handle(struct control_client *, uid_t uid,
    const Homeward__Control__Request *req, void *arg);

#endif
