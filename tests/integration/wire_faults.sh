#!/bin/sh
# Integration test of a daemon's wire under faults and attacks.  Two real
# daemons, alpha (listening) and beta (dialling out), are paired and
# connected; a third agency, mallory, has keys (homeward-keys init) that
# alpha never imported.  wirepoke (tests/tools/wirepoke.c) then attacks
# alpha's listener: bytes that are not TLS, silence, unknown or missing
# client certificates, TLS 1.2, frames over the cap, protocol violations,
# and, over TLS as beta with beta's own keys, envelopes that are forged,
# tampered with, misaddressed, stale, truncated, replayed or equivocating,
# and mallory's bundle passed off as beta's.
#
# For each: the connection is dropped or the envelope refused (a Refused
# frame naming it, no receipt), alpha's log says why, and nothing is
# stored: alpha's inbox rows, status inbox_total, the receipts in its
# outbox and its alerts are unchanged (a replay leaves exactly one row and
# gets the stored receipt again; an equivocation, and another agency's
# bundle sent as beta's, each add one alert).  Last,
# beta is still served: a real message beta -> alpha sent after the
# attacks is delivered and receipted, and beta never saw a refusal meant
# for the attacker.  Uses $BUILD (default build); works in its own
# temporary directory, removed on exit.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
WP=$BUILD/tests/tools/wirepoke
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$WP"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/wire_faults.XXXXXX")
. tests/integration/lib/agencies.sh
BG=""
cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null || true; done
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LOG=$T/alpha.log
CASES=0

# run NAME COMMAND...: keep its output in $T/NAME.out (shown on failure).
run() {
	name=$1
	shift
	"$@" >"$T/$name.out" 2>&1 || { sed 's/^/    /' "$T/$name.out" >&2; fail "$name: $*"; }
}
has() {
	grep -q -- "$2" "$T/$1.out" ||
	    { sed 's/^/    /' "$T/$1.out" >&2; fail "$1: no '$2'"; }
}
count() { grep -c -- "$2" "$T/$1.out" || true; }
# The address wirepoke connected from, as alpha's log names it.
from() { sed -n "s/^$2: from //p" "$T/$1.out" | head -n 1; }
# The id of the envelope a mode sent.
sent_id() { sed -n "s/^$2: sent \([0-9a-f]*\).*/\1/p" "$T/$1.out" | head -n 1; }

# mark: remember where alpha's log ends; logged PATTERN: alpha wrote a
# line matching PATTERN after the mark (waiting for it: the log may trail
# the connection's close by a moment).
mark() { MARK=$(wc -l <"$LOG"); }
since_mark() { tail -n "+$((MARK + 1))" "$LOG" | grep -q -- "$1"; }
logged() {
	wait_for 15 since_mark "$1" ||
	    { tail -n 20 "$LOG" | sed 's/^/    /' >&2; fail "alpha did not log '$1'"; }
}

# What no refused attack may change, as one line.
state() {
	printf '%s %s %s %s\n' \
	    "$(hw alpha inbox --json | jq '.messages | length')" \
	    "$(status_of alpha inbox_total)" \
	    "$(hw alpha outbox --json | jq '[.messages[] | select(.msg_type == 256)] | length')" \
	    "$(status_of alpha alerts)"
}
# unchanged CASE: one more fault case done, alpha's state as before it.
unchanged() {
	now=$(state)
	[ "$now" = "$BASE" ] || fail "$1: alpha's state moved from '$BASE' to '$now'"
	CASES=$((CASES + 1))
}

step "two daemons, alpha listening, beta dialling; mallory has keys only"
# Debug: why each stranger was closed is a debug line (at info the
# listener only summarises strangers, strangers.sh).
LOG_LEVEL=debug agency_new alpha listen
agency_new beta
agency_new mallory
agency_start alpha
agency_start beta
PORT=$(port_of alpha)
pair alpha beta
wait_for 30 peer_connected alpha beta || fail "beta never connected to alpha"
wait_for 30 peer_connected beta alpha || fail "beta does not see alpha"
BASE=$(state)
[ "$BASE" = "0 0 0 0" ] || fail "alpha starts with state '$BASE'"
AS_BETA="--as $T/beta"
SEND="send 127.0.0.1 $PORT $AS_BETA --pass $T/beta.pass --to $T/alpha.bundle
    --other $T/mallory --other-pass $T/mallory.pass --other-bundle $T/mallory.bundle"

step "silence, in the background: no ClientHello; TLS as beta but no Hello"
mark
SILENT_MARK=$MARK
"$WP" silent 127.0.0.1 "$PORT" >"$T/silent-tcp.out" 2>&1 &
BG="$BG $!"
S1=$!
"$WP" silent 127.0.0.1 "$PORT" $AS_BETA >"$T/silent-tls.out" 2>&1 &
BG="$BG $!"
S2=$!

step "bytes that are not TLS"
mark
run garbage "$WP" garbage 127.0.0.1 "$PORT"
has garbage "^garbage: closed by peer"
logged "inbound $(from garbage garbage) closed before identification (tls)"
unchanged garbage

step "TLS with certificates alpha does not pin: mallory's, a fresh one"
for who in mallory fresh; do
	mark
	if [ "$who" = fresh ]; then
		run "tls-$who" "$WP" tls 127.0.0.1 "$PORT" --fresh
	else
		run "tls-$who" "$WP" tls 127.0.0.1 "$PORT" \
		    --cert "$T/mallory/tls.crt" --key "$T/mallory/tls.key"
	fi
	has "tls-$who" "^tls: closed by peer"
	addr=$(from "tls-$who" tls)
	logged "inbound $addr: unknown TLS key [0-9a-f]*; refused"
	logged "connection $addr closed (pin)"
	unchanged "tls-$who"
done

step "TLS without a client certificate; TLS 1.2 with beta's own"
mark
run tls-none "$WP" tls 127.0.0.1 "$PORT"
has tls-none "^tls: closed by peer"
logged "inbound $(from tls-none tls) closed before identification (tls)"
unchanged tls-none
mark
run tls12 "$WP" tls 127.0.0.1 "$PORT" --tls12 \
    --cert "$T/beta/tls.crt" --key "$T/beta/tls.key"
has tls12 "^tls: closed by peer"
logged "inbound $(from tls12 tls) closed before identification (tls)"
unchanged tls12

step "control: TLS 1.3 with beta's certificate is accepted (the probe can tell)"
run tls-beta "$WP" tls 127.0.0.1 "$PORT" \
    --cert "$T/beta/tls.crt" --key "$T/beta/tls.key"
has tls-beta "^tls: accepted"

step "a frame announcing FRAME_WIRE_MAX + 1 bytes, after Hello and before it"
mark
run oversize "$WP" oversize 127.0.0.1 "$PORT" $AS_BETA
has oversize "^oversize: closed by peer"
logged "peer beta: connected (inbound, $(from oversize oversize))"
logged "peer beta: disconnected (frame)"
unchanged oversize
mark
run oversize-early "$WP" oversize 127.0.0.1 "$PORT" $AS_BETA --no-hello
has oversize-early "^oversize: closed by peer"
logged "peer beta: inbound $(from oversize-early oversize) closed before Hello (frame)"
unchanged oversize-early

step "a frame of exactly FRAME_WIRE_MAX bytes passes the cap, then fails to decode"
mark
run oversize-max "$WP" oversize 127.0.0.1 "$PORT" $AS_BETA --len max --fill
has oversize-max "^oversize: closed by peer"
logged "peer beta: malformed frame; closing"
since_mark "disconnected (frame)" && fail "a frame at the cap was refused as oversize"
unchanged oversize-max

step "protocol violations as beta"
for kind in prehello hello-other malformed version; do
	case $kind in
	prehello)       why="peer beta: frame before Hello; closing" ;;
	hello-other)    why="peer beta: Hello names another agency; closing" ;;
	malformed)      why="peer beta: malformed frame; closing" ;;
	version)        why="peer beta: wire protocol version mismatch; closing" ;;
	esac
	mark
	run "frame-$kind" "$WP" frame 127.0.0.1 "$PORT" $AS_BETA --kind "$kind" \
	    --other "$T/mallory"
	has "frame-$kind" "^$kind: closed by peer"
	logged "$why"
	unchanged "frame-$kind"
done

step "envelopes as beta that alpha must refuse"
mark
# shellcheck disable=SC2086
run envelopes "$WP" $SEND --mode flip,forged,badsig,wrongrcpt,unknownsender,future,old,truncated
for m in flip:aead forged:cert_unknown badsig:bad_signature \
    wrongrcpt:wrong_recipient unknownsender:unknown_sender \
    future:from_future old:too_old; do
	mode=${m%%:*}
	reason=${m#*:}
	id=$(sent_id envelopes "$mode")
	[ -n "$id" ] || fail "$mode: nothing sent"
	has envelopes "^$mode: received Refused"
	logged "envelope $id from beta refused: $reason"
	unchanged "$mode"
done
[ "$(count envelopes 'received receipt')" = 0 ] || fail "a refused envelope got a receipt"
# An envelope cut in its header carries no id: refused unnamed.  One cut
# by a byte has its whole header ("the header parsed", PROTOCOL.md 8): it
# is refused naming its id.  Then the barrier.
has envelopes "^truncated barrier: received Refused"
logged "envelope (unparsed) from beta refused: truncated"
unchanged truncated-header
logged "envelope $(sent_id envelopes truncated) from beta refused: bad_ct_len"
unchanged truncated-ciphertext

step "a replay: stored once, the same receipt three times"
# shellcheck disable=SC2086
run replay "$WP" $SEND --mode replay
[ "$(count replay '^replay: received receipt')" = 3 ] || fail "replay: not three receipts"
[ "$(sed -n 's/^replay: received receipt //p' "$T/replay.out" | sort -u | wc -l)" = 1 ] ||
    fail "replay: the receipts differ"
id=$(sent_id replay replay)
[ "$(hw alpha inbox --json | jq "[.messages[] | select(.message_id == \"$id\")] | length")" = 1 ] ||
    fail "replay: not exactly one inbox row"
BASE=$(state)
[ "$BASE" = "1 1 1 0" ] || fail "replay: alpha's state is '$BASE', wanted '1 1 1 0'"
CASES=$((CASES + 1))

step "an equivocation: the same id with another body, refused and kept as an alert"
mark
# shellcheck disable=SC2086
run equivocate "$WP" $SEND --mode equivocate
has equivocate "^equivocate: received receipt"
has equivocate "^equivocate: received Refused"
id=$(sent_id equivocate equivocate)
logged "envelope $id from beta refused: equivocation"
logged "ALERT equivocation: message $id"
BASE=$(state)
[ "$BASE" = "2 2 2 1" ] || fail "equivocate: alpha's state is '$BASE', wanted '2 2 2 1'"
CASES=$((CASES + 1))

step "mallory's bundle on beta's connection: refused, kept as an alert, beta's pin kept"
mark
run bundle-other "$WP" frame 127.0.0.1 "$PORT" $AS_BETA --kind bundle-other \
    --other-bundle "$T/mallory.bundle"
has bundle-other "^bundle-other: heartbeat answered"
logged "peer beta: bundle with another identity refused"
since_mark "bundle updated" && fail "bundle-other: alpha took mallory's bundle"
BASE=$(state)
[ "$BASE" = "2 2 2 2" ] || fail "bundle-other: alpha's state is '$BASE', wanted '2 2 2 2'"
[ "$(hw alpha peers --json | jq -r '.peers[] | select(.agency_id == "beta") | .fingerprint')" = \
    "$(fingerprint_of beta)" ] || fail "bundle-other: beta's pin changed"
CASES=$((CASES + 1))

step "silence ends in a timeout"
wait "$S1" || fail "silent-tcp: wirepoke failed"
wait "$S2" || fail "silent-tls: wirepoke failed"
BG=""
has silent-tcp "^silent: closed by peer"
has silent-tls "^silent: closed by peer"
MARK=$SILENT_MARK
logged "inbound $(from silent-tcp silent) closed before identification (timeout)"
logged "peer beta: inbound $(from silent-tls silent) closed before Hello (timeout)"
unchanged silent-tcp
unchanged silent-tls

step "beta is still served: a real message is delivered and receipted"
wait_for 30 peer_connected alpha beta || fail "beta is no longer connected"
printf 'synthetic wire_faults test document\n' >"$T/doc"
hw beta send --to alpha --type 0x7f00 --file "$T/doc" --json >"$T/send.json" ||
    fail "beta cannot send"
id=$(jq -r .message_id "$T/send.json")
wait_for 30 all_acked beta || fail "beta's message was never receipted"
[ "$(hw beta outbox --json | jq -r ".messages[] | select(.message_id == \"$id\") | .state")" = delivered ] ||
    fail "beta's message is not delivered"
[ "$(hw alpha inbox --json | jq -r ".messages[] | select(.message_id == \"$id\") | .state")" = accepted ] ||
    fail "alpha did not store beta's message"
[ "$(state)" = "3 3 3 2" ] || fail "alpha's state is '$(state)' after the real message"
if grep -q "refused message" "$T/beta.log"; then
	fail "beta received a refusal meant for the attacker"
fi

step "alpha survived"
kill -0 "$(cat "$T/alpha.pid")" || fail "alpha is gone"
if grep -q "Sanitizer\|runtime error" "$LOG"; then
	fail "alpha's log shows a sanitizer report"
fi
agency_stop beta
agency_stop alpha
echo "wire_faults: $CASES fault cases asserted"
