/*
 * linkemu: a slow, distant line between two programs on 127.0.0.1 (the
 * model is in tests/lib/linkemu.h), for make bench-slowlink; not a test.
 *
 *   linkemu -t PORT [-l PORT] [-r B/S] [-u B/S] [-d B/S] [-D MS] [-J MS]
 *           [-q BYTES] [-b BYTES] [-x AT:LEN]... [-C] [-s FILE] [-p FILE]
 *
 *   -t PORT    the target, 127.0.0.1:PORT, dialled for every connection
 *   -l PORT    listen on 127.0.0.1:PORT (default 0: the kernel picks)
 *   -r B/S     the rate both ways, bytes/s (0, the default: unlimited);
 *              -u the rate up (dialler to target), -d down, alone
 *   -D MS      one-way delay; -J MS jitter around it (+-, order kept)
 *   -q BYTES   the bottleneck queue each way (32768)
 *   -b BYTES   SO_RCVBUF/SO_SNDBUF of the proxy's sockets (16384; 0:
 *              the kernel's, which let loopback buffer megabytes)
 *   -x AT:LEN  a cut AT seconds after the start, LEN seconds long
 *              (both may have decimals; up to 16 cuts)
 *   -C         start cut (SIGUSR1 brings the line up, SIGUSR2 cuts it)
 *   -s FILE    the counters, "name value" lines, rewritten every 0.2 s
 *              and at exit (written aside and renamed: never half read);
 *              "written" counts the rewrites: a reader that sees it grow
 *              has counters taken after it looked
 *   -p FILE    the port listened on, once listening
 *
 * SIGTERM or SIGINT: the counters once more, then exit 0.  Exit 1 when
 * it cannot listen, 2 on bad usage.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "tests/lib/linkemu.h"

#define MAX_CUTS        16
#define STATS_MS        200

struct cut {
	uv_timer_t      t;
	uint64_t        at_ms, len_ms;
	int             started;
};

static struct linkemu  *emu;
static const char      *stats_path;
static uv_timer_t       stats_timer;
static uv_signal_t      sigs[4];
static struct cut       cuts[MAX_CUTS];
static int              ncuts;
static unsigned long    written;

static void
usage(void)
{
	fprintf(stderr, "usage: linkemu -t PORT [-l PORT] [-r B/S] [-u B/S] "
	    "[-d B/S] [-D MS] [-J MS] [-q BYTES] [-b BYTES] [-x AT:LEN]... "
	    "[-C] [-s FILE] [-p FILE]\n");
	exit(2);
}

static uint64_t
num(const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || v > max)
		usage();
	return v;
}

static void
write_stats(void)
{
	struct linkemu_stats st;
	char tmp[4096];
	FILE *f;

	if (stats_path == NULL)
		return;
	linkemu_stats(emu, &st);
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "read_up %llu\nread_down %llu\n"
	    "carried_up %llu\ncarried_down %llu\n"
	    "delivered_up %llu\ndelivered_down %llu\n"
	    "lost %llu\nconns %llu\nrefused %llu\nopen %llu\ndown %d\n"
	    "written %lu\n",
	    (unsigned long long)st.read[0], (unsigned long long)st.read[1],
	    (unsigned long long)st.carried[0], (unsigned long long)st.carried[1],
	    (unsigned long long)st.delivered[0],
	    (unsigned long long)st.delivered[1],
	    (unsigned long long)st.lost, (unsigned long long)st.conns,
	    (unsigned long long)st.refused, (unsigned long long)st.open, st.down,
	    ++written);
	if (fclose(f) == 0)
		(void)rename(tmp, stats_path);
}

static void
on_stats(uv_timer_t *t)
{
	(void)t;
	write_stats();
}

static void
on_cut(uv_timer_t *t)
{
	struct cut *c = (struct cut *)t;

	if (!c->started) {
		c->started = 1;
		linkemu_cut(emu, 1);
		uv_timer_start(t, on_cut, c->len_ms, 0);
	} else {
		linkemu_cut(emu, 0);
	}
	write_stats();
}

static void
close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void)s;
	if (signum == SIGUSR1 || signum == SIGUSR2) {
		linkemu_cut(emu, signum == SIGUSR2);
		write_stats();
		return;
	}
	write_stats();
	linkemu_stop(emu);
	uv_walk(s->loop, close_all, NULL);
}

static void
parse_cut(const char *arg)
{
	double at, len;
	char tail;

	if (ncuts == MAX_CUTS ||
	    sscanf(arg, "%lf:%lf%c", &at, &len, &tail) != 2 || at < 0 || len <= 0)
		usage();
	cuts[ncuts].at_ms = (uint64_t)(at * 1000);
	cuts[ncuts].len_ms = (uint64_t)(len * 1000);
	ncuts++;
}

static void
start_timers(uv_loop_t *loop)
{
	static const int signums[4] = { SIGUSR1, SIGUSR2, SIGTERM, SIGINT };

	for (int i = 0; i < 4; i++) {
		uv_signal_init(loop, &sigs[i]);
		uv_signal_start(&sigs[i], on_signal, signums[i]);
	}
	for (int i = 0; i < ncuts; i++) {
		uv_timer_init(loop, &cuts[i].t);
		uv_timer_start(&cuts[i].t, on_cut, cuts[i].at_ms, 0);
	}
	uv_timer_init(loop, &stats_timer);
	uv_timer_start(&stats_timer, on_stats, STATS_MS, STATS_MS);
}

int
main(int argc, char **argv)
{
	struct linkemu_opts o = { .queue_max = 32768, .sockbuf = 16384 };
	const char *port_path = NULL;
	uint16_t listen_port = 0, target = 0;
	int ch, start_cut = 0, rc;
	uv_loop_t *loop = uv_default_loop();
	FILE *f;

	while ((ch = getopt(argc, argv, "t:l:r:u:d:D:J:q:b:x:Cs:p:")) != -1) {
		switch (ch) {
		case 't': target = (uint16_t)num(optarg, 65535); break;
		case 'l': listen_port = (uint16_t)num(optarg, 65535); break;
		case 'r': o.rate[0] = o.rate[1] = num(optarg, 1ull << 40); break;
		case 'u': o.rate[LINKEMU_UP] = num(optarg, 1ull << 40); break;
		case 'd': o.rate[LINKEMU_DOWN] = num(optarg, 1ull << 40); break;
		case 'D': o.delay_ms = (uint32_t)num(optarg, 600000); break;
		case 'J': o.jitter_ms = (uint32_t)num(optarg, 600000); break;
		case 'q': o.queue_max = (size_t)num(optarg, 1ull << 30); break;
		case 'b': o.sockbuf = (int)num(optarg, 1 << 26); break;
		case 'x': parse_cut(optarg); break;
		case 'C': start_cut = 1; break;
		case 's': stats_path = optarg; break;
		case 'p': port_path = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || target == 0 || o.queue_max == 0 ||
	    o.jitter_ms > o.delay_ms)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((rc = linkemu_start(loop, &o, listen_port, target, &emu)) != 0)
		errx(1, "127.0.0.1:%u: %s", listen_port, uv_strerror(rc));
	if (start_cut)
		linkemu_cut(emu, 1);
	start_timers(loop);
	write_stats();
	if (port_path != NULL) {
		if ((f = fopen(port_path, "w")) == NULL)
			err(1, "%s", port_path);
		fprintf(f, "%u\n", linkemu_port(emu));
		if (fclose(f) != 0)
			err(1, "%s", port_path);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
