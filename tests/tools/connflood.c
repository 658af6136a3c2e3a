/*
 * connflood: a helper program for tests/integration/strangers.sh (not a
 * test itself).  It plays strangers on a daemon's port: many TCP
 * connections that never identify themselves.
 *
 *   connflood [-b ADDR] [-n N] [-w MS] [-p | -H] HOST PORT
 *       open N connections (default 100) to HOST:PORT (numeric IPv4) from
 *       ADDR (default: any), each saying nothing; with -p the first 5
 *       bytes of a TLS record (a ClientHello that never comes); with -H a
 *       whole TLS 1.3 ClientHello (recorded from openssl s_client 3.0,
 *       the same bytes each time), after which it stalls: the daemon
 *       answers and keeps its handshake state.  Then watch them for MS ms
 *       (default 1000) and print one line:
 *           opened O open K closed C failed F
 *       (closed: the daemon closed it; failed: the connect did not
 *       complete).  Then hold the open ones until SIGTERM or SIGINT, and
 *       print the line again with what happened meanwhile.
 *
 * Plain sockets and poll(2): nothing of the daemon's code, so what it
 * measures is what a stranger sees.  Exit 0, 1 on a setup error (the
 * message says which), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, OPEN, CLOSED, FAILED };

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: connflood [-b ADDR] [-n N] [-w MS] [-p | -H] HOST PORT\n");
	exit(2);
}

static long
number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
open_one(const struct sockaddr_in *to, const char *bind_addr)
{
	struct sockaddr_in from;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (bind_addr != NULL) {
		memset(&from, 0, sizeof(from));
		from.sin_family = AF_INET;
		if (inet_pton(AF_INET, bind_addr, &from.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&from, sizeof(from)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One pass over every connection: connects completed, closes seen. */
static void
watch(struct pollfd *pfd, enum state *st, int n, int ms, int partial)
{
	static const unsigned char header[5] = { 0x16, 0x03, 0x01, 0x02, 0x00 };
	static const unsigned char hello[] = {
	0x16, 0x03, 0x01, 0x00, 0xdc, 0x01, 0x00, 0x00, 0xd8, 0x03, 0x03, 0xca,
	0x3e, 0xe7, 0x58, 0x41, 0x70, 0xe6, 0x55, 0x11, 0x8e, 0x41, 0xe6, 0x29,
	0x42, 0x14, 0xce, 0xa6, 0xe1, 0x88, 0xb3, 0xc4, 0xf3, 0x53, 0xc3, 0xcd,
	0xf6, 0x77, 0xc8, 0x30, 0xdf, 0xa7, 0x43, 0x20, 0xd2, 0xb7, 0xbe, 0x4f,
	0x94, 0xa3, 0x3b, 0x55, 0x5e, 0xeb, 0xd5, 0x77, 0x3d, 0x72, 0x21, 0xdf,
	0x4c, 0xd3, 0x28, 0x5a, 0x27, 0xf5, 0xc1, 0xaa, 0xc0, 0x47, 0xf0, 0x81,
	0x47, 0x28, 0x5c, 0xbb, 0x00, 0x08, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0x00, 0xff, 0x01, 0x00, 0x00, 0x87, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00,
	0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17,
	0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02,
	0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00,
	0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x1e, 0x00, 0x1c, 0x04, 0x03,
	0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
	0x06, 0x01, 0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04, 0x00, 0x2d, 0x00,
	0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00,
	0x20, 0x3f, 0xff, 0x53, 0xe0, 0x5d, 0xc1, 0x39, 0x4d, 0xfd, 0x10, 0xc2,
	0x7c, 0x28, 0x62, 0x05, 0x44, 0xec, 0xd3, 0xd3, 0x06, 0x40, 0x79, 0x70,
	0xb9, 0x7d, 0xd4, 0x31, 0x20, 0x82, 0x5c, 0x26, 0x34
	};
	char buf[512];
	int err;
	socklen_t len;

	for (int i = 0; i < n; i++)
		pfd[i].events = st[i] == CONNECTING ? POLLOUT :
		    st[i] == OPEN ? POLLIN : 0;
	if (poll(pfd, (nfds_t)n, ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (st[i] == CONNECTING) {
			len = sizeof(err);
			if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1 || err != 0) {
				st[i] = FAILED;
				continue;
			}
			st[i] = OPEN;
			if (partial == 1)
				(void)write(pfd[i].fd, header, sizeof(header));
			else if (partial == 2)
				(void)write(pfd[i].fd, hello, sizeof(hello));
			continue;
		}
		if (st[i] == OPEN) {
			ssize_t r = read(pfd[i].fd, buf, sizeof(buf));

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				st[i] = CLOSED;
		}
	}
}

static void
report(const enum state *st, int n)
{
	int c[4] = { 0, 0, 0, 0 };

	for (int i = 0; i < n; i++)
		c[st[i]]++;
	printf("opened %d open %d closed %d failed %d\n", n, c[OPEN],
	    c[CLOSED], c[FAILED] + c[CONNECTING]);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in to;
	struct pollfd *pfd;
	enum state *st;
	const char *bind_addr = NULL;
	long n = 100, wait_ms = 1000;
	long long until;
	int ch, partial = 0;

	while ((ch = getopt(argc, argv, "b:n:w:pH")) != -1) {
		switch (ch) {
		case 'b': bind_addr = optarg; break;
		case 'n': n = number(optarg, 1, 100000); break;
		case 'w': wait_ms = number(optarg, 0, 3600000); break;
		case 'p': partial = 1; break;
		case 'H': partial = 2; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)number(argv[optind + 1], 1, 65535));
	if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if ((pfd = calloc((size_t)n, sizeof(*pfd))) == NULL ||
	    (st = calloc((size_t)n, sizeof(*st))) == NULL) {
		fprintf(stderr, "connflood: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if ((pfd[i].fd = open_one(&to, bind_addr)) == -1) {
			fprintf(stderr, "connflood: connection %ld: %s\n", i + 1,
			    strerror(errno));
			return 1;
		}
		/* Let the daemon keep up, as a patient attacker would: the
		 * kernel's backlog (128) must not overflow, or connections
		 * this side thinks open would never reach the daemon. */
		if (i % 32 == 31) {
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
			watch(pfd, st, (int)i + 1, 0, partial);
		}
	}
	until = now_ms() + wait_ms;
	while (now_ms() < until && !stop)
		watch(pfd, st, (int)n, (int)(until - now_ms()), partial);
	report(st, (int)n);
	/* Hold until told (SIGTERM). */
	while (!stop)
		watch(pfd, st, (int)n, 200, partial);
	/* The signal may have cut a poll short: closes that had already
	 * arrived are counted before the report. */
	watch(pfd, st, (int)n, 0, partial);
	report(st, (int)n);
	return 0;
}
