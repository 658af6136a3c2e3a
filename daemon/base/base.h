/*
 * The ground room (daemon/base/): what every other room stands on.
 *
 *   log.h      the one logging API (stderr or syslog; case codes and
 *              message ids only, never a person's data)
 *   clock.h    the loop's clock and its wake-up
 *   config.h   homewardd.conf, parsed with libinih, and the roles
 *   config_travel.h  the [travel] and [travel "AGENCY"] sections
 *   lang.h     the operator's language of the answers (_()), per request;
 *              the process locale and the log stay English
 *   service.h  readiness for the service manager (sd_notify), and whether
 *              the daemon's user may use control_group
 *
 * May call: nothing in daemon/; common/ and the libraries.  Whatever a room
 * needs from the loop's top (the time, a pump run) it finds here, never in
 * main.c.
 */
#ifndef HOMEWARD_DAEMON_BASE_BASE_H
#define HOMEWARD_DAEMON_BASE_BASE_H

#include "daemon/base/clock.h"
#include "daemon/base/config.h"
#include "daemon/base/log.h"

#endif
