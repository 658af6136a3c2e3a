/*
 * Service manager notifications and the control group check (service.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/base/log.h"
#include "daemon/base/service.h"

void
service_ready(const char *status)
{
	/* 0: no manager (or not systemd) listening, which is fine. */
	if (sd_notifyf(0, "READY=1\nSTATUS=%s", status) < 0)
		log_debug("service: readiness not notified");
}

void
service_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void
service_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

static int
in_groups(gid_t gid)
{
	gid_t *list;
	int n, found = 0;

	if (getegid() == gid)
		return 1;
	if ((n = getgroups(0, NULL)) <= 0)
		return 0;
	if ((list = calloc((size_t)n, sizeof(*list))) == NULL)
		return 0;
	if ((n = getgroups(n, list)) > 0)
		for (int i = 0; i < n && !found; i++)
			found = list[i] == gid;
	free(list);
	return found;
}

int
service_group_usable(gid_t gid, char why[SERVICE_WHY_LEN])
{
	const struct passwd *pw;
	const struct group *gr;

	if (geteuid() == 0 || in_groups(gid))
		return 0;
	pw = getpwuid(geteuid());
	gr = getgrgid(gid);
	snprintf(why, SERVICE_WHY_LEN, "control_group: user %s is not in group "
	    "%s, so it cannot give the control socket to that group; add it "
	    "(usermod -a -G %s %s) and start the daemon again",
	    pw != NULL ? pw->pw_name : "?", gr != NULL ? gr->gr_name : "?",
	    gr != NULL ? gr->gr_name : "GROUP", pw != NULL ? pw->pw_name : "USER");
	return -EPERM;
}
