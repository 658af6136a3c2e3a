/*
 * The envelope half of wirepoke (tests/tools/wirepoke.c, its send
 * command), apart so that each file stays readable: as one agency, over
 * TLS and Hello on a daemon's listener, seal crafted envelopes for it and
 * report what it answered, one line per event ("MODE: EVENT") for an
 * integration script to assert on.  The modes are listed at the top of
 * wirepoke.c.  A test tool: a local failure prints why and ends the
 * program (exit 1), as do the helpers below.
 */
#ifndef HOMEWARD_TESTS_ENVPOKE_H
#define HOMEWARD_TESTS_ENVPOKE_H

#include <stddef.h>
#include <stdint.h>

#include "tests/lib/wireclient.h"

#define ENVPOKE_DEADLINE_S      30      /* one exchange may wait this long */

struct envpoke_opts {
	const char     *host, *port;
	const char     *as, *pass, *to;            /* agency dir, passfile, bundle */
	const char     *other, *other_pass, *other_bundle;
	const char     *mode;                      /* M[,M...] */
	const char     *state;                     /* gap writes it, fill reads it;
	                                              doc: the thread's state */
	const char     *body;                      /* doc: the document's file */
	unsigned long   msg_type;                  /* doc: its msg_type */
	const char     *reply_to;                  /* doc: in_reply_to, 32 hex
	                                              digits; NULL: zeros */
};

/* Run every mode of o->mode in order on one connection; 0. */
int envpoke_send(const struct envpoke_opts *o);

/* Shared with wirepoke's connection attacks. */
void envpoke_die(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Up to 32 bytes as hex, in a static buffer (one use per statement). */
const char *envpoke_hex(const uint8_t *p, size_t n);
/* "WHAT: from ADDR": our end, as the daemon's log names the connection. */
void envpoke_say_from(const char *what, int fd);
/* The end of a conversation: "WHAT: closed by peer" when the daemon
 * closed; a timeout (the safety net caught a hang) or a local error ends
 * the program with status 1. */
void envpoke_end(const char *what, int rc);

#endif
