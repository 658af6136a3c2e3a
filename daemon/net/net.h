/*
 * The network room (daemon/net/): TLS 1.3 connections over libuv, and
 * nothing about who is at the other end.
 *
 *   conn.h      one connection: handshake through memory BIOs, the pin
 *               asked of the owner (on_verify), framed payloads both ways,
 *               idle and handshake timeouts, backpressure
 *   listener    accepting (listener.c), the TLS context (tls.c), the caps
 *               on unidentified connections and their summary line
 *               (admit.c), the names of close reasons (reason.c)
 *   backoff.h   exponential backoff with full jitter, for redialling and
 *               retransmitting
 *
 * May call: base/ and common/, proto/ (framing).  Knows no struct daemon,
 * no peer, no store: core/link.c owns the connections and decides what
 * they mean.
 */
#ifndef HOMEWARD_DAEMON_NET_NET_H
#define HOMEWARD_DAEMON_NET_NET_H

#include "daemon/net/backoff.h"
#include "daemon/net/conn.h"

#endif
