/*
 * memscan: a helper program for tests/integration/leaks.sh (not a test
 * itself).  Counts the occurrences of a string in the writable memory of
 * a running process (its heap, anonymous mappings, stacks), read through
 * /proc/PID/mem: what an attacker who got a core file or the process's
 * memory would find.  Needs the right to trace the process (root, or
 * CAP_SYS_PTRACE, when it is not dumpable).
 *
 *   memscan PID STRING    prints "found N"; exit 0 when N > 0, 1 when
 *                         N == 0, 2 when the memory cannot be read
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK   (1u << 20)

/* Occurrences of s in [lo, hi) of the process's memory behind fd; a
 * region that cannot be read (gone meanwhile) counts none. */
static unsigned long
scan_region(int fd, unsigned long lo, unsigned long hi, const char *s,
    size_t slen, char *buf)
{
	unsigned long n = 0, at = lo;

	while (at < hi) {
		size_t want = hi - at > CHUNK ? CHUNK : hi - at;
		ssize_t got = pread(fd, buf, want, (off_t)at);
		const char *p, *end;

		if (got <= 0)
			break;
		end = buf + got;
		for (p = buf; (p = memmem(p, (size_t)(end - p), s, slen)) != NULL;
		    p += slen)
			n++;
		/* A match across two chunks: step back by slen - 1. */
		if ((size_t)got == want && at + want < hi && want > slen)
			at += want - (slen - 1);
		else
			at += want;
	}
	return n;
}

int
main(int argc, char **argv)
{
	char path[64], line[512], perms[8], *buf;
	unsigned long lo, hi, n = 0;
	size_t slen;
	FILE *maps;
	int fd;

	if (argc != 3 || (slen = strlen(argv[2])) == 0) {
		fprintf(stderr, "usage: memscan PID STRING\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((fd = open(path, O_RDONLY)) < 0 || (buf = malloc(CHUNK)) == NULL) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		/* Writable memory only: the program's text and read-only data
		 * hold no input; [vvar] and [vsyscall] cannot be read. */
		if (perms[0] != 'r' || perms[1] != 'w' || strstr(line, "[v") != NULL)
			continue;
		n += scan_region(fd, lo, hi, argv[2], slen, buf);
	}
	fclose(maps);
	close(fd);
	free(buf);
	printf("found %lu\n", n);
	return n > 0 ? 0 : 1;
}
