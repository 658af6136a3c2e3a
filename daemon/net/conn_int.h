/*
 * Inside the connection module only (daemon/net/conn.c, listener.c, tls.c):
 * the OpenSSL context behind struct conn_tls, one SSL per connection over
 * two memory BIOs, the checks on a finished handshake, and the hand-over
 * of an accepted socket.  The rest of the daemon sees conn.h only.
 */
#ifndef HOMEWARD_DAEMON_NET_CONN_INT_H
#define HOMEWARD_DAEMON_NET_CONN_INT_H

#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "daemon/net/conn.h"

/* tls.c */

/* The context (still owned by the conn_tls; SSL_CTX_up_ref to keep it). */
SSL_CTX *conn_tls_ctx(const struct conn_tls *);

/* An SSL in the server or client role whose read and write BIOs are
 * memory BIOs it owns.  0 or -ENOMEM. */
int conn_tls_ssl_new(SSL_CTX *, int server, SSL **out);

/* After the handshake: TLS 1.3 was negotiated and the peer presented a
 * certificate; its SPKI SHA-256 into spki.  0 or -EPROTO. */
int conn_tls_peer_spki(const SSL *, uint8_t spki[CONN_SPKI_LEN]);

/* Log OpenSSL's error queue at debug level, tagged with the peer and
 * what was being done, and empty it. */
void conn_tls_log_errors(const char *peer, const char *what);

/* Our memory BIOs keep the capacity of the largest burst they carried;
 * an empty one that grew past what an idle connection may hold is
 * replaced by a fresh one. */
void conn_tls_trim_bios(SSL *);

/* admit.c: the unidentified connections of one listener (conn.h) */

#define ADMIT_KEY_LEN   16      /* IPv6, or IPv4 mapped into it */

struct admit;

int  admit_new(uv_loop_t *, struct admit **out);
void admit_set_limits(struct admit *, const struct conn_limits *);
uint64_t admit_identify_ms(const struct admit *);
unsigned admit_count(const struct admit *);
/* The source address of an accepted socket as a key; -1 if unknown. */
int  admit_key(int fd, uint8_t key[ADMIT_KEY_LEN]);
/* Take a slot for key: 0, or -1 over a cap (counted for the summary). */
int  admit_take(struct admit *, const uint8_t key[ADMIT_KEY_LEN]);
/* Give the slot back: identified, or closed before that for why. */
void admit_release(struct admit *, const uint8_t key[ADMIT_KEY_LEN],
    int identified, enum conn_close_reason why);
/* The listener is closing: no more takes; freed with the last slot. */
void admit_close(struct admit *);

/* conn.c */

/* A freshly accepted, non-blocking socket becomes a server-side
 * connection with cb and arg, holding the slot key of admit (taken by the
 * caller); the fd and the slot are the connection's (or released) in any
 * case.  Failures after the connection exists end in on_close. */
void conn_accept_fd(uv_loop_t *, SSL_CTX *, const struct conn_cb *,
    void *arg, int fd, struct admit *, const uint8_t key[ADMIT_KEY_LEN]);

#endif
