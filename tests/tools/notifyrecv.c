/*
 * notifyrecv: a helper program for tests/integration/install.sh (not a
 * test itself).  It plays systemd's side of the sd_notify protocol:
 *
 *   notifyrecv PATH
 *       bind a datagram socket at PATH (the daemon's NOTIFY_SOCKET) and
 *       print every message received, one line per assignment
 *       ("READY=1"), flushed at once, until a STOPPING=1 arrives or the
 *       program is killed
 *
 * Exit 1 when the socket cannot be bound, 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n;
	int fd, stop = 0;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notifyrecv PATH\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("notifyrecv");
		return 1;
	}
	while (!stop && (n = recv(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[n] = '\0';
		/* Assignments are separated by newlines already. */
		printf("%s%s", buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
		fflush(stdout);
		stop = strstr(buf, "STOPPING=1") != NULL;
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
