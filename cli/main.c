/*
 * homeward: the operator's CLI.  Until the delivery issue lands it only
 * answers --version and --help; commands speak to homewardd's control
 * socket.
 */
#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: homeward [--json] command [args]\n"
	    "  --version   print the version and exit\n"
	    "  --help      this text\n"
	    "No commands yet: they arrive with the daemon.\n");
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("homeward %s\n", HOMEWARD_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	}
	usage(stderr);
	return 2;
}
