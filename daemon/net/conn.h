/*
 * One TLS 1.3 connection between two daemons, over a libuv TCP handle,
 * with OpenSSL driven through memory BIOs.  Both sides present
 * certificates; nothing is trusted through a CA: after the handshake the
 * owner is asked (on_verify) whether the SHA-256 of the peer certificate's
 * SubjectPublicKeyInfo is one it pins.  Frames in both directions are the
 * shared framing of proto/frame.h with the cap FRAME_WIRE_MAX; a frame over
 * the cap, bytes that are not TLS, a handshake that does not finish in time
 * or a peer that stays silent past the idle timeout close the connection.
 *
 * Ownership: a struct conn belongs to this module.  The owner learns of its
 * end once, through on_close, after which the pointer is invalid (the
 * memory is released in the libuv close callback).
 */
#ifndef HOMEWARD_DAEMON_NET_CONN_H
#define HOMEWARD_DAEMON_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define CONN_SPKI_LEN           32
#define CONN_HANDSHAKE_MS       10000   /* TLS and the pin check must be done by then */
#define CONN_IDLE_MS_DEFAULT    60000   /* nothing received for this long: close */
#define CONN_HIGH_WATER         (4u << 20)      /* queued bytes: conn_send refuses above */
#define CONN_LOW_WATER          (1u << 20)      /* on_drain when back below */

/* Why a connection ended (on_close), for the log. */
enum conn_close_reason {
	CONN_CLOSE_LOCAL = 0,           /* conn_close() by the owner */
	CONN_CLOSE_EOF,                 /* the peer closed */
	CONN_CLOSE_IO,                  /* socket error */
	CONN_CLOSE_TLS,                 /* handshake or record failure, not TLS 1.3, no certificate */
	CONN_CLOSE_PIN,                 /* on_verify refused the peer's key */
	CONN_CLOSE_FRAME,               /* a frame over the cap */
	CONN_CLOSE_TIMEOUT,             /* handshake or idle timeout */
	CONN_CLOSE_CONNECT,             /* outbound connect failed */
};

const char *conn_close_reason_name(enum conn_close_reason);

struct conn;
struct conn_listener;

/* Our TLS identity and settings: TLS 1.3 only, no tickets, no early data,
 * a certificate required from the peer (any self-signed one; the pin is
 * checked by on_verify). */
struct conn_tls;

/* cert_pem and key_pem are file paths (tls.crt, tls.key of the agency
 * directory).  0 or a negative errno, with *cause (malloc'ed, caller
 * frees) saying what failed. */
int conn_tls_new(const char *cert_path, const char *key_path,
    struct conn_tls **out, char **cause);
void conn_tls_free(struct conn_tls *);          /* NULL ok */
/* Load the certificate and key again (a renewed certificate): new
 * connections use them, open ones keep theirs.  On failure nothing
 * changes; 0 or a negative errno with *cause as conn_tls_new. */
int conn_tls_reload(struct conn_tls *, const char *cert_path,
    const char *key_path, char **cause);

struct conn_cb {
	/* Handshake done: accept the peer whose certificate key hashes to
	 * spki?  0 accepts, anything else closes with CONN_CLOSE_PIN. */
	int  (*on_verify)(struct conn *, const uint8_t spki[CONN_SPKI_LEN], void *arg);
	/* Accepted: frames may flow. */
	void (*on_open)(struct conn *, void *arg);
	/* One complete frame payload (without its length prefix); valid only
	 * during the call.  The owner may call conn_close from here. */
	void (*on_frame)(struct conn *, const uint8_t *payload, size_t len, void *arg);
	/* Queued output fell below CONN_LOW_WATER after conn_send refused. */
	void (*on_drain)(struct conn *, void *arg);
	/* A write completed: the first `written` bytes ever queued (compare
	 * conn_flushed() after a conn_send) have left our queue.  May be
	 * NULL.  The owner may call conn_close from here. */
	void (*on_written)(struct conn *, uint64_t written, void *arg);
	/* Called exactly once per conn (also for a failed connect); the conn
	 * is gone when it returns. */
	void (*on_close)(struct conn *, enum conn_close_reason, void *arg);
};

/* Listen on host:port (numeric IPv4 or IPv6).  Each accepted connection
 * gets cb and arg.  0 or a negative errno (-EADDRINUSE, ...). */
int conn_listen(uv_loop_t *, struct conn_tls *, const char *host, uint16_t port,
    const struct conn_cb *, void *arg, struct conn_listener **out);
/* Stop accepting; established connections stay. */
void conn_listener_close(struct conn_listener *);       /* NULL ok */
/* The bound port (useful with port 0). */
uint16_t conn_listener_port(const struct conn_listener *);

/*
 * Strangers: a connection the listener accepted is "unidentified" until
 * the owner accepts its pinned key (on_verify returns 0).  Until then it
 * holds one of a bounded number of slots, globally and per source
 * address; over either cap the listener accepts and closes at once (the
 * kernel's backlog must not fill, or partners wait behind strangers).
 * What was refused or closed before identification is logged as one
 * summary line per interval, never one line per connection.
 */
#define CONN_SUMMARY_MS         60000

struct conn_limits {
	unsigned        max_unidentified;       /* 0: no cap */
	unsigned        max_per_address;        /* 0: no cap */
	uint64_t        identify_ms;            /* accept to pin accepted; 0: CONN_HANDSHAKE_MS */
	uint64_t        summary_ms;             /* 0: CONN_SUMMARY_MS */
};

/* Applies to connections accepted from now on. */
void conn_listener_set_limits(struct conn_listener *, const struct conn_limits *);
/* Unidentified connections open now. */
unsigned conn_listener_unidentified(const struct conn_listener *);

/* Dial host:port (numeric or a name resolved with uv_getaddrinfo).
 * Returns 0 with *out set (the conn exists until on_close), or a negative
 * errno and no callback.  A failed connect ends in on_close with
 * CONN_CLOSE_CONNECT. */
int conn_connect(uv_loop_t *, struct conn_tls *, const char *host, uint16_t port,
    const struct conn_cb *, void *arg, struct conn **out);

/* Queue one payload: the length prefix is added here.  0, -EMSGSIZE over
 * FRAME_WIRE_MAX, -ENOBUFS when more than CONN_HIGH_WATER is queued (the
 * owner waits for on_drain), -ENOTCONN before on_open or after close. */
int conn_send(struct conn *, const uint8_t *payload, size_t len);
size_t conn_queued(const struct conn *);
/* Bytes ever queued on the connection (ciphertext): after conn_send, the
 * mark that on_written must reach for that payload to have been written. */
uint64_t conn_flushed(const struct conn *);

/* Close (idempotent); on_close follows with CONN_CLOSE_LOCAL unless the
 * connection was already closing. */
void conn_close(struct conn *);

/* Nothing received for ms: close with CONN_CLOSE_TIMEOUT; 0 disables. */
void conn_set_idle_timeout(struct conn *, uint64_t ms);

void conn_set_arg(struct conn *, void *arg);
int conn_is_outbound(const struct conn *);
/* "ip:port" of the other end, for the log. */
const char *conn_peer_name(const struct conn *);

#endif
