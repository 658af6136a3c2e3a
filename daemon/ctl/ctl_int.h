/*
 * What the control handlers share (ctl.c: daemon, peers, messages;
 * ctl_case.c: the referral procedure).
 */
#ifndef HOMEWARD_DAEMON_CTL_INT_H
#define HOMEWARD_DAEMON_CTL_INT_H

#include "daemon/core/core.h"
#include "daemon/ctl/ctl.h"

/* A store failure as a result: "WHAT: the disk is full; nothing was
 * changed" and the like.  Returns control_result's value. */
int ctl_store_result(struct control_client *, int rc, const char *what);
/* 0 when uid holds one of roles; else answers RESULT_DENIED and -1. */
int ctl_need_role(struct control_client *, struct daemon *, uid_t uid,
    unsigned roles, const char *what);
/* The procedure's requests (ctl_case.c); 0 when req was one of them. */
int ctl_case_handle(struct control_client *, struct daemon *, uid_t uid,
    const Homeward__Control__Request *req);

#endif
