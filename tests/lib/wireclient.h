/*
 * A blocking client of the daemon-to-daemon wire for test tools: TCP with
 * short socket timeouts, an OpenSSL client handshake with an optional
 * certificate, and whole frames (proto/frame.h, proto/wire.h) read and
 * written.  Every wait is bounded by the connection's deadline, a safety
 * net against a hung test, never an assertion on timing.  The server is
 * not verified: tools use this to probe the daemon's side of the pin.
 *
 * Functions return 0, -ECONNRESET when the daemon closed (or refused the
 * handshake), -ETIMEDOUT when the deadline passed, or another negative
 * errno for a local failure.
 */
#ifndef HOMEWARD_TESTS_WIRECLIENT_H
#define HOMEWARD_TESTS_WIRECLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "common/tlscert.h"
#include "proto/wire.h"

struct wclient {
	int             fd;             /* -1: none */
	SSL_CTX        *ctx;
	SSL            *ssl;
	time_t          deadline;
};

/* A TCP connection to a numeric host and port, with send and receive
 * timeouts of one second so callers can watch their deadline. */
int wclient_tcp(const char *host, const char *port, int *fd);

/* "ip:port" of our end of fd, written as the daemon names the other end
 * of a connection in its log ("[ip]:port" for IPv6); "?" when unknown. */
void wclient_local_name(int fd, char *buf, size_t len);

/* What certificate the client shows; all NULL: none. */
struct wclient_id {
	const char             *crt_path;      /* PEM files */
	const char             *key_path;
	const struct tlscert   *fresh;         /* or one held in memory */
	int                     tls12;         /* offer TLS 1.2 only */
};

/* Connect and handshake; the deadline is now + deadline_s.  On any
 * return c can be given to wclient_close. */
int wclient_open(struct wclient *c, const char *host, const char *port,
    const struct wclient_id *id, unsigned deadline_s);
void wclient_close(struct wclient *c);         /* NULL ok; idempotent */
void wclient_set_deadline(struct wclient *c, unsigned seconds);

int wclient_read(struct wclient *c, uint8_t *buf, size_t len);
int wclient_write(struct wclient *c, const uint8_t *buf, size_t len);

/* One frame payload (*payload malloc'ed) up to FRAME_WIRE_MAX; -EMSGSIZE
 * when the daemon announces more. */
int wclient_read_frame(struct wclient *c, uint8_t **payload, size_t *len);
/* Encode f with the current version (wire_frame_encode) and send it. */
int wclient_send_frame(struct wclient *c, Homeward__Wire__Frame *f);
/* Hello{rik}; Frame{envelope}. */
int wclient_send_hello(struct wclient *c, const uint8_t rik[32]);
int wclient_send_envelope(struct wclient *c, const uint8_t *env, size_t len);

#endif
