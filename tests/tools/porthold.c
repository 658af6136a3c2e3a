/*
 * porthold: a helper program for tests/integration/ports.sh (not a test
 * itself).  It plays "another program on the machine" that holds the
 * ports a daemon of the suite wants:
 *
 *   porthold PORT...
 *       bind and listen on 127.0.0.1:PORT for each PORT (0: a port the
 *       kernel chooses), print the ports held on one line, then hold them
 *       until killed
 *
 * It listens but never accepts: a daemon that dialled a held port instead
 * of its partner's would see its connection stall, never a partner.
 * SO_REUSEADDR, as homewardd sets it, so that a port a daemon has just
 * left (its connections in TIME_WAIT) can be taken; a listening socket
 * still keeps homewardd from binding it.  Exit 1 when a port cannot be
 * held (the message names it), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
hold(const char *arg, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned long v;
	char *end;
	int fd, one = 1;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v > 65535) {
		fprintf(stderr, "porthold: not a port: %s\n", arg);
		exit(2);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)v);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		fprintf(stderr, "porthold: 127.0.0.1:%s: %s\n", arg, strerror(errno));
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return 0;
}

int
main(int argc, char **argv)
{
	uint16_t port;

	if (argc < 2) {
		fprintf(stderr, "usage: porthold PORT...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (hold(argv[i], &port) != 0)
			return 1;
		printf("%s%u", i > 1 ? " " : "", port);
	}
	printf("\n");
	if (fflush(stdout) != 0)
		return 1;
	/* The sockets stay open until a signal ends the process. */
	for (;;)
		pause();
}
