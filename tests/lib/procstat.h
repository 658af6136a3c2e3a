/*
 * Clocks and /proc readers for benchmarks and tools: what this process
 * spends, and what the daemons it drives (other processes, often not its
 * children) spend and hold.  Linux only, as the daemons are.
 */
#ifndef HOMEWARD_TESTS_PROCSTAT_H
#define HOMEWARD_TESTS_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in seconds. */
double procstat_mono(void);
/* The daemons' clock (clock_now): ms since the epoch. */
uint64_t procstat_wall_ms(void);
/* CPU seconds of the calling thread. */
double procstat_thread_cpu(void);
/* Sleep s seconds, through signals. */
void procstat_nap(double s);

/* utime + stime of pid in seconds; -1 when it is gone. */
double procstat_cpu(pid_t pid);
/* The state letter of pid ('Z' for a zombie); 0 when it is gone. */
char procstat_state(pid_t pid);
/* A "Vm...:" line of /proc/PID/status ("VmRSS", "VmHWM") in KiB; 0 when
 * absent or pid is gone. */
unsigned long procstat_kib(pid_t pid, const char *field);

#endif
