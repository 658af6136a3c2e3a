/*
 * Passphrases for homeward-keys.  They come from a prompt on /dev/tty (echo
 * off; asked twice when a key file is created), from a file
 * (--passphrase-file, which must not be readable by group or others) or
 * from a file descriptor (--passphrase-fd N, read up to the first newline
 * so one descriptor can carry several passphrases, one per line).  Never
 * from the command line or the environment: there is no option for that.
 * The passphrase lands in secret memory, its trailing newline stripped; an
 * empty one is refused.
 */
#ifndef HOMEWARD_KEYS_PASSPHRASE_H
#define HOMEWARD_KEYS_PASSPHRASE_H

#include <stddef.h>

#define PASSPHRASE_MAX          1024

/* Where one passphrase comes from; neither set means the terminal. */
struct passphrase_src {
	const char     *file;
	int             fd;             /* -1: none */
};

void passphrase_src_init(struct passphrase_src *);
/* Set from an option value; 0, or -1 (bad descriptor number, or both a
 * file and a descriptor given) with a usage message printed. */
int passphrase_src_file(struct passphrase_src *, const char *path);
int passphrase_src_fd(struct passphrase_src *, const char *number);

/*
 * Get the passphrase for what ("daemon key file", "RIK key file").
 * confirm asks twice on a prompt.  On success *pass is secret_alloc'ed and
 * NUL-terminated, *len excludes the NUL; free with secret_free.  0, or -1
 * with the reason printed.
 */
int passphrase_get(const struct passphrase_src *, const char *what, int confirm,
    char **pass, size_t *len);

#endif
