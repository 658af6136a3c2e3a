/*
 * resyncpoke: a helper program for tests/integration/resync.sh (not a test
 * itself).  It plays a hostile partner's re-synchronisation frames
 * (PROTOCOL.md 9.5) against a daemon's listener, as the agency of DIR, and
 * prints what the daemon did, one line per event:
 *
 *   resyncpoke HOST PORT DIR unasked
 *       a ResyncState claiming far positions and a `done`, nobody having
 *       asked; then a heartbeat: "unasked: heartbeat answered" (ignored,
 *       the connection stays)
 *   resyncpoke HOST PORT DIR malformed
 *       a ResyncRequest with a 3-byte nonce: "malformed: closed by peer"
 *   resyncpoke HOST PORT DIR request
 *       a ResyncRequest claiming nothing: "request: state THREAD HELD" per
 *       thread, then "request: done"
 *   resyncpoke HOST PORT DIR flood N
 *       N requests back to back, then a heartbeat: "flood: A answered"
 *
 * Exit 0 when the exchange ran, whatever the daemon answered.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"
#include "proto/wire.h"
#include "tests/lib/envpoke.h"
#include "tests/lib/party.h"
#include "tests/lib/wireclient.h"

static int
send_heartbeat(struct wclient *c)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Heartbeat       hb = HOMEWARD__WIRE__HEARTBEAT__INIT;

	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &hb;
	return wclient_send_frame(c, &f);
}

static int
send_request(struct wclient *c, size_t nonce_len)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__ResyncRequest   rq = HOMEWARD__WIRE__RESYNC_REQUEST__INIT;
	uint8_t                         nonce[16];

	randombytes_buf(nonce, sizeof(nonce));
	rq.nonce.data = nonce;
	rq.nonce.len = nonce_len;
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_RESYNC_REQUEST;
	f.resync_request = &rq;
	return wclient_send_frame(c, &f);
}

static int
send_unasked(struct wclient *c)
{
	Homeward__Wire__Frame           f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__ResyncState     st = HOMEWARD__WIRE__RESYNC_STATE__INIT;
	uint8_t                         nonce[16], tid[16], h[32];
	int                             rc;

	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(tid, sizeof(tid));
	randombytes_buf(h, sizeof(h));
	st.nonce.data = nonce;
	st.nonce.len = sizeof(nonce);
	st.thread_id.data = tid;
	st.thread_id.len = sizeof(tid);
	st.held_seq = 1000;
	st.held_h_inner.data = h;
	st.held_h_inner.len = sizeof(h);
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_RESYNC_STATE;
	f.resync_state = &st;
	if ((rc = wclient_send_frame(c, &f)) != 0)
		return rc;
	memset(&st, 0, sizeof(st));
	homeward__wire__resync_state__init(&st);
	st.nonce.data = nonce;
	st.nonce.len = sizeof(nonce);
	st.done = 1;
	return wclient_send_frame(c, &f);
}

/* Read until a heartbeat reply (want_done 0) or n `done` states; print
 * the states when verbose.  *dones: the `done` states seen. */
static int
read_answers(struct wclient *c, const char *what, int verbose, unsigned want_done,
    unsigned *dones)
{
	Homeward__Wire__Frame  *in;
	uint8_t                *p;
	size_t                  n;
	int                     rc, err, stop = 0;

	*dones = 0;
	while (!stop && (rc = wclient_read_frame(c, &p, &n)) == 0) {
		if ((in = wire_frame_decode(p, n, &err)) == NULL)
			envpoke_die("the daemon sent a frame that does not decode");
		free(p);
		if (in->kind_case == HOMEWARD__WIRE__FRAME__KIND_RESYNC_STATE) {
			const Homeward__Wire__ResyncState *st = in->resync_state;

			if (st->done)
				(*dones)++;
			else if (verbose && st->thread_id.len == 16)
				printf("%s: state %s %llu\n", what, sodium_bin2hex(
				    (char[33]){ 0 }, 33, st->thread_id.data, 16),
				    (unsigned long long)st->held_seq);
			stop = want_done != 0 && *dones == want_done;
		} else if (in->kind_case == HOMEWARD__WIRE__FRAME__KIND_HEARTBEAT) {
			stop = want_done == 0 && in->heartbeat->reply;
		}
		homeward__wire__frame__free_unpacked(in, NULL);
	}
	return stop ? 0 : rc;
}

int
main(int argc, char **argv)
{
	struct wclient          c;
	struct wclient_id       id;
	char                    crt[PATH_MAX], key[PATH_MAX];
	uint8_t                 rik[32];
	const char             *what;
	unsigned long           flood = 0;
	unsigned                dones = 0;
	int                     rc;

	if (argc < 5 || sodium_init() < 0 || secret_init() != 0)
		envpoke_die("usage: resyncpoke HOST PORT DIR unasked|malformed|"
		    "request|flood N");
	what = argv[4];
	if (strcmp(what, "flood") == 0 && (argc < 6 ||
	    (flood = strtoul(argv[5], NULL, 10)) == 0 || flood > 1000))
		envpoke_die("flood needs a count (1 to 1000)");
	if (party_tls_paths(argv[3], crt, key) != 0 || party_rik(argv[3], rik) != 0)
		envpoke_die("%s: not an agency directory", argv[3]);
	memset(&id, 0, sizeof(id));
	id.crt_path = crt;
	id.key_path = key;
	if ((rc = wclient_open(&c, argv[1], argv[2], &id, ENVPOKE_DEADLINE_S)) != 0)
		envpoke_die("%s: %s", what, strerror(-rc));
	rc = wclient_send_hello(&c, rik);
	if (rc == 0 && strcmp(what, "unasked") == 0) {
		if ((rc = send_unasked(&c)) == 0 && (rc = send_heartbeat(&c)) == 0 &&
		    (rc = read_answers(&c, what, 0, 0, &dones)) == 0)
			printf("%s: heartbeat answered\n", what);
	} else if (rc == 0 && strcmp(what, "malformed") == 0) {
		if ((rc = send_request(&c, 3)) == 0)
			rc = read_answers(&c, what, 0, 0, &dones);
	} else if (rc == 0 && strcmp(what, "request") == 0) {
		if ((rc = send_request(&c, 16)) == 0 &&
		    (rc = read_answers(&c, what, 1, 1, &dones)) == 0)
			printf("%s: done\n", what);
	} else if (rc == 0 && strcmp(what, "flood") == 0) {
		for (unsigned long i = 0; i < flood && rc == 0; i++)
			rc = send_request(&c, 16);
		if (rc == 0 && (rc = send_heartbeat(&c)) == 0)
			rc = read_answers(&c, what, 0, 0, &dones);
		if (rc == 0)
			printf("%s: %u answered\n", what, dones);
	} else if (rc == 0) {
		envpoke_die("unknown kind %s", what);
	}
	if (rc != 0)
		envpoke_end(what, rc);
	wclient_close(&c);
	return 0;
}
