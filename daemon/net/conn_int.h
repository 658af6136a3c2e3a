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

/* conn.c */

/* A freshly accepted, non-blocking socket becomes a server-side
 * connection with cb and arg; the fd is the connection's (or closed) in
 * any case.  Failures after the connection exists end in on_close. */
void conn_accept_fd(uv_loop_t *, SSL_CTX *, const struct conn_cb *,
    void *arg, int fd);

#endif
