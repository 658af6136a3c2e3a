#!/bin/sh
# Integration test: the suite's daemons start although another program
# holds the ports they were given (tests/integration/lib/agencies.sh:
# agency_start moves a daemon whose port is taken and tells its partners).
# porthold (tests/tools/porthold.c) plays the other program.
#   1. the ports alpha and beta are given first are held: each starts on
#      another one, and they connect and deliver both ways although each
#      bundle names the held port;
#   2. gamma, made after they moved, dials alpha where it is;
#   3. beta restarts while another program holds the port it had: it
#      moves again, alpha (running) follows, and what alpha queued
#      meanwhile is delivered.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
PH=$BUILD/tests/tools/porthold
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$PH"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/ports.XXXXXX")
. tests/integration/lib/agencies.sh
HOLDERS=""
cleanup() {
	for p in $HOLDERS; do kill "$p" 2>/dev/null || true; done
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# hold NAME PORT...: porthold holds PORT... (0: one the kernel chooses)
# until the end; the ports held are in $T/NAME.held.
hold() {
	out=$T/$1.held
	shift
	"$PH" "$@" >"$out" 2>&1 &
	HOLDERS="$HOLDERS $!"
	wait_for 10 test -s "$out" || fail "porthold did not start"
	grep -q '^[0-9 ]*$' "$out" || fail "porthold: $(cat "$out")"
}

# endpoint_is NAME PEER PORT: NAME's daemon dials PEER at 127.0.0.1:PORT.
endpoint_is() {
	[ "$(hw "$1" peers --json |
	    jq -r ".peers[] | select(.agency_id == \"$2\") | .endpoint")" = "127.0.0.1:$3" ]
}

# moved NAME HELD: NAME met HELD taken, and listens on another port.
moved() {
	grep -q "listen 127.0.0.1:$2: address already in use" "$T/$1.log" ||
	    fail "$1 did not try the held port $2"
	[ "$(port_of "$1")" != "$2" ] || fail "$1 still has the held port $2"
	grep -q "listening on 127.0.0.1:$(port_of "$1")\$" "$T/$1.log" ||
	    fail "$1 does not listen on $(port_of "$1")"
}

head -c 1024 /dev/urandom >"$T/doc"
# send FROM TO: one test document.
send() {
	hw "$1" send --to "$2" --type 0x7f00 --file "$T/doc" >/dev/null ||
	    fail "send $1 -> $2"
}

step "the ports alpha and beta are given first are held by another program"
hold first 0 0
# shellcheck disable=SC2046
set -- $(cat "$T/first.held")
PORT_FIRST="$1 $2"
agency_new alpha listen
agency_new beta listen
if [ "$(port_of alpha)" != "$1" ] || [ "$(port_of beta)" != "$2" ]; then
	fail "alpha and beta were not given the held ports first"
fi
agency_start alpha
agency_start beta
moved alpha "$1"
moved beta "$2"
pair alpha beta
wait_for 10 endpoint_is beta alpha "$(port_of alpha)" ||
    fail "beta does not dial alpha where it moved"
wait_for 10 endpoint_is alpha beta "$(port_of beta)" ||
    fail "alpha does not dial beta where it moved"
wait_for 30 peer_connected alpha beta || fail "alpha and beta never connected"
send alpha beta
send beta alpha
wait_for 30 all_acked alpha || fail "alpha's message not receipted"
wait_for 30 all_acked beta || fail "beta's message not receipted"

step "gamma, made after they moved, dials alpha where it is"
agency_new gamma
agency_start gamma
pair gamma alpha
endpoint_is gamma alpha "$(port_of alpha)" || fail "gamma dials alpha's held port"
wait_for 30 peer_connected gamma alpha || fail "gamma never connected to alpha"
send gamma alpha
wait_for 30 all_acked gamma || fail "gamma's message not receipted"

step "beta restarts while another program holds its port"
old=$(port_of beta)
agency_stop beta
hold again "$old"
send alpha beta
agency_start beta
moved beta "$old"
wait_for 10 endpoint_is alpha beta "$(port_of beta)" ||
    fail "alpha did not follow beta to its new port"
wait_for 30 all_acked alpha || fail "alpha's message to the restarted beta not receipted"
[ "$(status_of beta inbox_total)" = 2 ] || fail "beta has $(status_of beta inbox_total) messages, not 2"

for a in alpha beta gamma; do agency_stop $a; done
echo "ports: alpha and beta started past $(($(grep -c "address already in use" "$T/alpha.log") + $(grep -c "address already in use" "$T/beta.log"))) ports held by another program"
