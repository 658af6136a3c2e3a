/*
 * A slow, distant line between two programs on 127.0.0.1, for the
 * benchmarks (tests/tools/linkemu.c, make bench-slowlink): a TCP proxy
 * that listens on a port, dials a target port for every connection it
 * accepts, and carries the bytes each way at a rate of its own, after a
 * one-way delay with jitter, with cuts on demand.
 *
 * The model: bytes read from one side wait in a bottleneck queue
 * (queue_max; the proxy stops reading that side while it is full, so the
 * sender feels the line through TCP), leave it at the direction's rate,
 * and reach the other side delay_ms +- jitter_ms later, in order.  The
 * proxy's own socket buffers are kept small (sockbuf) so that the
 * kernel does not hide megabytes of a "slow" line in loopback buffers.
 * A cut resets every connection (the bytes on the line are lost) and
 * resets new ones until the line is up again.
 */
#ifndef LINKEMU_H
#define LINKEMU_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* Directions: UP from the side that dialled to the target, DOWN back. */
#define LINKEMU_UP      0
#define LINKEMU_DOWN    1

struct linkemu_opts {
	uint64_t        rate[2];        /* bytes/s each way; 0: unlimited */
	uint32_t        delay_ms;       /* one way */
	uint32_t        jitter_ms;      /* +- uniformly around the delay */
	size_t          queue_max;      /* bytes waiting per direction */
	int             sockbuf;        /* SO_RCVBUF/SO_SNDBUF; 0: kernel's */
};

struct linkemu_stats {
	uint64_t        read[2];        /* taken from the sending side */
	uint64_t        carried[2];     /* put on the line (rate-limited) */
	uint64_t        delivered[2];   /* handed to the receiving side */
	uint64_t        lost;           /* queued or on the line at a cut */
	uint64_t        conns;          /* connections carried */
	uint64_t        refused;        /* connections reset while cut */
	uint64_t        open;           /* connections open now */
	int             down;           /* cut now */
};

struct linkemu;

/* Listen on 127.0.0.1:listen_port (0: a port the kernel picks) and carry
 * connections to 127.0.0.1:target_port.  0 or a negative errno. */
int     linkemu_start(uv_loop_t *loop, const struct linkemu_opts *o,
            uint16_t listen_port, uint16_t target_port, struct linkemu **out);
uint16_t linkemu_port(const struct linkemu *e);
/* down: reset every connection and refuse new ones; !down: up again. */
void    linkemu_cut(struct linkemu *e, int down);
void    linkemu_stats(const struct linkemu *e, struct linkemu_stats *out);
/* Close everything; the memory goes once the loop has run the handles'
 * close callbacks (run the loop until it has nothing left). */
void    linkemu_stop(struct linkemu *e);

#endif
