/*
 * Reading passphrases (see passphrase.h).  Every byte goes straight into
 * secret memory; nothing is echoed, logged or kept after use.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "keys/secret.h"
#include "keys/passphrase.h"
#include "common/report.h"
#include "common/strnum.h"

/* Room for "\r\n" and one byte more, so that an over-long passphrase is
 * seen as such, and for the NUL. */
#define PASSPHRASE_READ         (PASSPHRASE_MAX + 3)
#define PASSPHRASE_BUF          (PASSPHRASE_READ + 1)

/* Set by a signal during a prompt: the read stops and the signal is
 * re-raised once the terminal is restored. */
static volatile sig_atomic_t got_signal;

void
passphrase_src_init(struct passphrase_src *s)
{
	s->file = NULL;
	s->fd = -1;
}

int
passphrase_src_file(struct passphrase_src *s, const char *path)
{
	if (s->fd >= 0 || s->file != NULL) {
		reportx("give a passphrase file or a descriptor, once");
		return -1;
	}
	s->file = path;
	return 0;
}

int
passphrase_src_fd(struct passphrase_src *s, const char *number)
{
	uint64_t fd;

	if (s->fd >= 0 || s->file != NULL) {
		reportx("give a passphrase file or a descriptor, once");
		return -1;
	}
	if (strnum_u64(number, 0, 65535, &fd) != 0) {
		reportx("passphrase descriptor must be a number");
		return -1;
	}
	s->fd = (int)fd;
	return 0;
}

/*
 * Read from fd into buf (cap bytes) until EOF or a full buffer, or until
 * the first newline when stop_at_newline (byte by byte, so nothing after
 * it is consumed).  Returns the number of bytes (cap: too long), or -1.
 */
static ssize_t
read_secret(int fd, char *buf, size_t cap, int stop_at_newline)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap) {
		r = read(fd, buf + n, stop_at_newline ? 1 : cap - n);
		if (r < 0 && errno == EINTR && !got_signal)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (stop_at_newline && buf[n - 1] == '\n')
			break;
	}
	return (ssize_t)n;
}

/* Strip one trailing "\n" or "\r\n"; refuse empty, NUL bytes and inner
 * newlines (a file of several lines is a mistake, not a passphrase). */
static int
finish(char *buf, size_t *len, const char *what, const char *from)
{
	size_t n = *len;

	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > PASSPHRASE_MAX) {
		reportx("%s passphrase from %s: longer than %d bytes", what, from,
		    PASSPHRASE_MAX);
		return -1;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL || memchr(buf, '\n', n) != NULL) {
		reportx("%s passphrase from %s: more than one line, or a NUL byte",
		    what, from);
		return -1;
	}
	if (n == 0) {
		reportx("%s passphrase from %s is empty: refused", what, from);
		return -1;
	}
	*len = n;
	return 0;
}

static int
from_file(const char *path, const char *what, char *buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		report_errno(errno, "cannot open the %s passphrase file %s", what, path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		report_errno(errno, "%s", path);
		close(fd);
		return -1;
	}
	/* A pipe (<(...)) is fine; a regular file must be private. */
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		reportx("passphrase file %s is accessible by group or others "
		    "(chmod 600 it)", path);
		close(fd);
		return -1;
	}
	n = read_secret(fd, buf, PASSPHRASE_READ, 0);
	if (n < 0)
		report_errno(errno, "cannot read %s", path);
	close(fd);
	if (n < 0)
		return -1;
	*len = (size_t)n;
	return finish(buf, len, what, path);
}

static int
from_fd(int fd, const char *what, char *buf, size_t *len)
{
	char from[32];
	ssize_t n;

	snprintf(from, sizeof(from), "descriptor %d", fd);
	n = read_secret(fd, buf, PASSPHRASE_READ, 1);
	if (n < 0) {
		report_errno(errno, "cannot read the %s passphrase from %s",
		    what, from);
		return -1;
	}
	*len = (size_t)n;
	return finish(buf, len, what, from);
}

static void
on_signal(int signo)
{
	got_signal = signo;
}

static const int prompt_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP };
#define NSIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/*
 * One line from the terminal with echo off.  A signal interrupts the read
 * (no SA_RESTART); the terminal is restored first, then the signal is
 * delivered again with its old disposition.
 */
static int
prompt_once(int tty, const char *prompt, char *buf, size_t *len)
{
	struct sigaction sa, old[NSIGNALS];
	struct termios saved, quiet_tio;
	ssize_t n;
	int rc = -1, restore = 0;

	if (write(tty, prompt, strlen(prompt)) < 0)
		return -1;
	if (tcgetattr(tty, &saved) == 0) {
		quiet_tio = saved;
		quiet_tio.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet_tio.c_lflag |= ICANON;
		restore = tcsetattr(tty, TCSAFLUSH, &quiet_tio) == 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);

	n = got_signal ? -1 : read_secret(tty, buf, PASSPHRASE_READ, 1);
	if (n >= 0) {
		*len = (size_t)n;
		rc = 0;
	}
	if (restore)
		tcsetattr(tty, TCSAFLUSH, &saved);
	(void)!write(tty, "\n", 1);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	if (got_signal)
		raise(got_signal);
	return rc;
}

static int
from_prompt(const char *what, int confirm, char *buf, size_t *len)
{
	char prompt[96], *again = NULL;
	size_t againlen = 0;
	int tty, rc = -1;

	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		/* Name the options of the key asked for: the root key has
		 * its own. */
		reportx("no terminal to ask for the %s passphrase: use "
		    "--%spassphrase-file or --%spassphrase-fd", what,
		    strncmp(what, "RIK", 3) == 0 ? "rik-" : "",
		    strncmp(what, "RIK", 3) == 0 ? "rik-" : "");
		return -1;
	}
	snprintf(prompt, sizeof(prompt), "%s passphrase: ", what);
	if (prompt_once(tty, prompt, buf, len) != 0) {
		reportx("cannot read the %s passphrase from the terminal", what);
		goto out;
	}
	if (finish(buf, len, what, "the terminal") != 0)
		goto out;
	if (confirm) {
		if ((again = secret_alloc(PASSPHRASE_BUF)) == NULL) {
			reportx("out of secret memory");
			goto out;
		}
		snprintf(prompt, sizeof(prompt), "%s passphrase, again: ", what);
		if (prompt_once(tty, prompt, again, &againlen) != 0 ||
		    finish(again, &againlen, what, "the terminal") != 0)
			goto out;
		if (againlen != *len || sodium_memcmp(again, buf, *len) != 0) {
			reportx("the two %s passphrases differ", what);
			goto out;
		}
	}
	rc = 0;
out:
	secret_free(again);
	close(tty);
	return rc;
}

int
passphrase_get(const struct passphrase_src *src, const char *what, int confirm,
    char **pass, size_t *len)
{
	char *buf;
	size_t n = 0;
	int rc;

	*pass = NULL;
	*len = 0;
	if ((buf = secret_alloc(PASSPHRASE_BUF)) == NULL) {
		reportx("out of secret memory");
		return -1;
	}
	if (src->file != NULL)
		rc = from_file(src->file, what, buf, &n);
	else if (src->fd >= 0)
		rc = from_fd(src->fd, what, buf, &n);
	else
		rc = from_prompt(what, confirm, buf, &n);
	if (rc != 0) {
		secret_free(buf);
		return -1;
	}
	*pass = buf;
	*len = n;
	return 0;
}
