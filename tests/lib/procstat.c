/*
 * Clocks and /proc readers (see procstat.h).  Figures of other processes
 * come from /proc/PID/stat and /proc/PID/status, which any process of the
 * same user may read; a process that is gone reads as -1 or 0, since
 * callers watch daemons that they are about to stop or have stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/procstat.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
procstat_mono(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

uint64_t
procstat_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double
procstat_thread_cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

void
procstat_nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* /proc/PID/stat into buf from the field after the command name (which
 * may hold spaces): the state letter first.  NULL when pid is gone. */
static const char *
stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0' || p[2] == '\0')
		return NULL;
	return p + 2;
}

double
procstat_cpu(pid_t pid)
{
	char buf[1024];
	const char *p;
	unsigned long long ut, st;

	if ((p = stat_fields(pid, buf, sizeof(buf))) == NULL ||
	    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

char
procstat_state(pid_t pid)
{
	char buf[1024];
	const char *p = stat_fields(pid, buf, sizeof(buf));

	return p != NULL ? *p : 0;
}

unsigned long
procstat_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long kib = 0;
	size_t flen = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kib = strtoul(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}
