/*
 * A TLS peer played with OpenSSL directly over a blocking socket in a
 * thread, for what daemon/net/conn.c will not do itself: TLS 1.2 only, no
 * certificate, announcing a frame over the cap, reading nothing until
 * told.  Results are read after tlspeer_join.  No verification of the
 * other end (the tests check the daemon's side).  Setup failures abort.
 */
#ifndef HOMEWARD_TESTS_TLSPEER_H
#define HOMEWARD_TESTS_TLSPEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TLSPEER_TIMEOUT_S       60      /* socket timeouts: a safety net only */
#define TLSPEER_SLOW_FRAME      65536
#define TLSPEER_SLOW_FRAMES     256     /* 16 MiB: four times CONN_HIGH_WATER */

enum tlspeer_mode {
	TLSPEER_HANDSHAKE,      /* client: the handshake, then close */
	TLSPEER_OVERSIZE,       /* client: announce FRAME_WIRE_MAX + 1, read to the end */
	TLSPEER_SLOW_READER,    /* client: read nothing until tlspeer_go, then
	                         * TLSPEER_SLOW_FRAMES frames, then close_notify */
	TLSPEER_SERVER,         /* server on tlspeer_listen's socket: the handshake */
};

struct tlspeer {
	enum tlspeer_mode       mode;
	SSL_CTX                *ctx;
	uint16_t                port;
	int                     lfd;            /* TLSPEER_SERVER */
	int                     go[2];          /* TLSPEER_SLOW_READER */
	pthread_t               th;
	/* results */
	int                     handshake_ok;
	int                     closed;         /* 1: close_notify, 2: another end */
	size_t                  got;            /* slow reader: frames as expected */
	int                     bad;
};

/* TLSPEER_SERVER only, before tlspeer_start: listen on 127.0.0.1, any
 * port; the port is returned. */
uint16_t tlspeer_listen(struct tlspeer *);
/* Start the thread: a client of 127.0.0.1:port, or the server.  crt/key
 * NULL: no certificate.  version: TLS1_2_VERSION or TLS1_3_VERSION. */
void tlspeer_start(struct tlspeer *, enum tlspeer_mode, const char *crt,
    const char *key, int version, uint16_t port);
/* TLSPEER_SLOW_READER: start reading now. */
void tlspeer_go(struct tlspeer *);
void tlspeer_join(struct tlspeer *);

/* The n-th frame the slow reader expects: 8-byte sequence number, then a
 * pattern. */
void tlspeer_slow_frame(uint64_t seq, uint8_t p[TLSPEER_SLOW_FRAME]);

#endif
