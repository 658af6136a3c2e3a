/*
 * homewardd: the agency daemon.  Until the delivery issue lands it only
 * answers --version and --help; the config, store and peers come next.
 */
#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: homewardd [-n] [-f config]\n"
	    "  -f config   configuration file (default /etc/homeward/homewardd.conf)\n"
	    "  -n          check the configuration and exit\n"
	    "  --version   print the version and exit\n"
	    "  --help      this text\n");
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("homewardd %s\n", HOMEWARD_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	}
	usage(stderr);
	fprintf(stderr, "homewardd: the daemon is not implemented in this version\n");
	return 2;
}
