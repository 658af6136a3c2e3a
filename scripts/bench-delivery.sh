#!/bin/sh
# make bench, after bench-crypto: delivery between two real daemons.  Two
# synthetic agencies in a temporary directory (tests/integration/lib), their
# daemons on 127.0.0.1 with the production retry timings and log level warn,
# paired; then build/bench_delivery drives them over their control sockets
# and prints the table.  It restarts beta itself for the startup figure, so
# beta's first process has exited by the time the daemons are stopped here.
# A benchmark, not a test: not part of `make test`.
set -eu

BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/hw-bench.XXXXXX")
LOG_LEVEL=warn
RETRY_MIN_MS=2000
RETRY_MAX_MS=300000
. ./tests/integration/lib/agencies.sh

cleanup() {
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

agency_new alpha listen
agency_new beta listen
agency_start alpha
agency_start beta
pair alpha beta
wait_for 30 peer_connected alpha beta || fail "alpha did not connect to beta"
wait_for 30 peer_connected beta alpha || fail "beta did not connect to alpha"

rc=0
"$BUILD/bench_delivery" -a "$T/alpha.sock" -A "$(cat "$T/alpha.pid")" \
    -b "$T/beta.sock" -B "$(cat "$T/beta.pid")" -d "$T" -x "$HWD" \
    ${BENCH_N:+-n "$BENCH_N"} ${BENCH_ROWS:+-r "$BENCH_ROWS"} || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "bench-delivery: the benchmark could not run; the daemons' logs:" >&2
	tail -20 "$T/alpha.log" "$T/beta.log" >&2 || true
fi
agency_stop alpha
agency_stop beta
exit "$rc"
