/* homeward-keys: placeholder until the tool lands. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("homeward-keys %s\n", HOMEWARD_VERSION);
		return 0;
	}
	printf("usage: homeward-keys command\n");
	return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
