/*
 * wirepoke's modes on the sending pace and on receipts (tests/tools/
 * wirepoke.c lists them; tests/integration/wire_pace.sh runs them):
 * a peer that stops reading, a slow reader that receipts, a peer that
 * sends a document in a thread the moment it connects, and receipts and
 * envelopes that PROTOCOL.md 8, 9.4 and 10 refuse or rate-limit.
 */
#ifndef HOMEWARD_TESTS_ENVPACE_H
#define HOMEWARD_TESTS_ENVPACE_H

#include "keys/bundle.h"
#include "tests/lib/party.h"
#include "tests/lib/wireclient.h"

/* Run mode m on connection c (me: our agency, to: the daemon's bundle).
 * 1 when m is one of these modes (run), 0 when it is not. */
int envpace_mode(struct wclient *c, const struct party *me,
    const struct bundle *to, const char *m);

#endif
