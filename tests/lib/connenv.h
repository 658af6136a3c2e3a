/*
 * A loop with a listener and a dialler for tests of daemon connections
 * (daemon/net/conn.c): TLS identities generated with tlscert into a temporary
 * directory, one callback set that counts what each end saw, and loop
 * helpers that wait on events, with a watchdog that turns a hang into a
 * failure.  Setup failures abort (tests only).
 */
#ifndef HOMEWARD_TESTS_CONNENV_H
#define HOMEWARD_TESTS_CONNENV_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/net/conn.h"

#define CONNENV_WATCHDOG_MS     60000   /* no test waits this long */

/* Two agencies and a stranger with a key of its own. */
enum { CONNENV_ALPHA, CONNENV_BETA, CONNENV_MALLORY, CONNENV_NIDS };

struct connenv_ids {
	char                    dir[64];
	char                    crt[CONNENV_NIDS][128];        /* tls.crt, 0644 */
	char                    key[CONNENV_NIDS][128];        /* tls.key, 0600 */
	uint8_t                 spki[CONNENV_NIDS][CONN_SPKI_LEN];
	struct conn_tls        *tls[CONNENV_NIDS];
};

void connenv_ids_make(struct connenv_ids *);
/* Frees the contexts and removes the directory with all in it. */
void connenv_ids_free(struct connenv_ids *);

/* Where a side calls conn_close itself. */
enum { CONNENV_IN_NONE, CONNENV_IN_VERIFY, CONNENV_IN_OPEN, CONNENV_IN_FRAME };

struct connenv;

/* One end: the dialled connection, or every connection the listener
 * accepted (they share the listener's arg). */
struct connenv_side {
	struct connenv         *env;
	const uint8_t          *pin;            /* the one key accepted; NULL: none */
	int                     close_in;
	void                  (*open_hook)(struct connenv_side *, struct conn *);
	void                  (*frame_hook)(struct connenv_side *, struct conn *,
	                            const uint8_t *, size_t);
	void                  (*drain_hook)(struct connenv_side *, struct conn *);
	struct conn            *c;              /* the latest, until it closes */
	uint8_t                 seen[CONN_SPKI_LEN];   /* the key last offered */
	int                     verified, opened, drained, outbound;
	size_t                  frames, bad_frames;
	int                     nclosed;
	enum conn_close_reason  reasons[8];     /* the first eight, in order */
	/* free for the test */
	size_t                  sent;
	int                     enobufs;
	void                   *data;
};

struct connenv {
	uv_loop_t               loop;
	uv_timer_t              watchdog;
	int                     timed_out;
	struct conn_listener   *l;
	uint16_t                port;
	struct connenv_side     srv, cli;
};

extern const struct conn_cb connenv_cb;

void connenv_init(struct connenv *);
/* Listen on 127.0.0.1, any port, as identity who, accepting pin. */
void connenv_listen(struct connenv *, const struct connenv_ids *, int who,
    const uint8_t *pin);
/* Dial host:port as identity who, accepting pin (e->cli.c is set). */
void connenv_dial(struct connenv *, const struct connenv_ids *, int who,
    const uint8_t *pin, const char *host, uint16_t port);
/* Run until done(e) holds: 0, or -ETIMEDOUT when the watchdog fired. */
int connenv_run(struct connenv *, int (*done)(const struct connenv *));
/* Close the listener, let every close callback run, close the loop:
 * 0, -ETIMEDOUT, or -EBUSY when a handle is left. */
int connenv_finish(struct connenv *);

int connenv_both_closed(const struct connenv *);
int connenv_cli_closed(const struct connenv *);
int connenv_srv_closed(const struct connenv *);

/* A blocking TCP connection to 127.0.0.1:port, or -1. */
int connenv_tcp_connect(uint16_t port);
/* A socket bound on 127.0.0.1 but not listening: connecting to *port is
 * refused while it stays open.  Aborts on failure. */
int connenv_closed_port(uint16_t *port);

#endif
