/*
 * What the service manager and the service's user need from the daemon:
 * readiness, reload and stop notifications (systemd's sd_notify protocol;
 * nothing happens when no manager listens), and the check that the
 * daemon's user may hand the control socket to control_group.
 */
#ifndef HOMEWARD_DAEMON_BASE_SERVICE_H
#define HOMEWARD_DAEMON_BASE_SERVICE_H

#include <stddef.h>
#include <sys/types.h>

#define SERVICE_WHY_LEN         256

/* READY=1 with a one-line status; after a reload too. */
void service_ready(const char *status);
/* RELOADING=1 (SIGHUP) and STOPPING=1 (SIGTERM). */
void service_reloading(void);
void service_stopping(void);

/*
 * 0 when this process may give a file to group gid (root, its own group
 * or one of its supplementary groups; chown(2) allows nothing else); else
 * -EPERM and why names the group and the command that fixes it.
 */
int service_group_usable(gid_t gid, char why[SERVICE_WHY_LEN]);

#endif
