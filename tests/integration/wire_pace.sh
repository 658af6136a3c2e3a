#!/bin/sh
# Integration test of the sending pace, thread order on a new connection,
# and the receipts and envelopes a daemon refuses (docs/PROTOCOL.md 8,
# 9.4 and 10; issue 11, "The wire").  A real daemon, alpha (listening,
# inflight_kb = 64), and beta, paired; beta's daemon is then stopped and
# wirepoke (tests/tools/wirepoke.c, modes in tests/lib/envpace.c) plays
# beta over TLS with beta's own keys:
#
#   12a  an envelope one byte over ENV1_ENVELOPE_MAX (under the frame
#        cap): logged and refused with a Refused naming its id;
#   12b  1,000 copies of a receipted envelope back to back: the stored
#        receipt comes again at most a few times, not once per copy;
#   12c  a receipt with the right H_inner but another H_env: refused, the
#        message not delivered;
#   12d  a second receipt (another id) for a delivered message: refused
#        and alerted (receipt_second);
#   10a  beta stops reading for 3 s with 40 documents of 16 KB waiting:
#        what it then reads is bounded by the window and one queued copy
#        per envelope (before: every unacknowledged envelope again at each
#        retry delay, megabytes);
#   10b  beta reads at 50 KB/s and receipts each document: all 40 are
#        delivered, carrying at most 1.15 times their bytes;
#   11   beta connects and at once sends a document in a thread of alpha
#        whose positions 1 and 2 wait (2 behind a first flush page of 256
#        rows): alpha's receipt (position 3) comes after 1 and 2.
#
# Uses $BUILD (default build); works in its own temporary directory,
# removed on exit.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
WP=$BUILD/tests/tools/wirepoke
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$WP"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/wire_pace.XXXXXX")
. tests/integration/lib/agencies.sh
cleanup() {
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LOG=$T/alpha.log

run() {
	name=$1
	shift
	"$@" >"$T/$name.out" 2>&1 || { sed 's/^/    /' "$T/$name.out" >&2; fail "$name: $*"; }
}
has() {
	grep -q -- "$2" "$T/$1.out" ||
	    { sed 's/^/    /' "$T/$1.out" >&2; fail "$1: no '$2'"; }
}
# field NAME MODE KEY: the number after KEY on MODE's summary line.
field() {
	sed -n "s/^$2: .*\<$3 \([0-9]*\).*/\1/p" "$T/$1.out" | tail -n 1
}
sent_id() {
	sed -n "s/^$2: sent \([0-9a-f]*\).*/\1/p" "$T/$1.out" | sed -n "${3:-1}p"
}
mark() { MARK=$(wc -l <"$LOG"); }
since_mark() { tail -n "+$((MARK + 1))" "$LOG" | grep -q -- "$1"; }
logged() {
	wait_for 15 since_mark "$1" ||
	    { tail -n 20 "$LOG" | sed 's/^/    /' >&2; fail "alpha did not log '$1'"; }
}
out_state() { hw alpha outbox show "$1" --json | jq -r .state; }
peer_gone() { ! peer_connected "$1" "$2"; }
unacked_is() { [ "$(status_of alpha outbox_unacked)" = "$1" ]; }
# send_docs N FILE: N documents of FILE from alpha to beta, new threads.
send_docs() {
	i=0
	while [ "$i" -lt "$1" ]; do
		hw alpha send --to beta --type 0x7f00 --file "$2" >/dev/null ||
		    fail "alpha cannot send"
		i=$((i + 1))
	done
}

step "alpha listening, beta paired, then beta's daemon stopped"
EXTRA_CONF=$(printf 'inflight_kb = 64\ngap_alert_ms = 300')
agency_new alpha listen
EXTRA_CONF=
agency_new beta
agency_start alpha
agency_start beta
pair alpha beta
wait_for 30 peer_connected alpha beta || fail "beta never connected to alpha"
agency_stop beta
wait_for 30 peer_gone alpha beta || fail "alpha still sees beta connected"
PORT=$(port_of alpha)
SEND="send 127.0.0.1 $PORT --as $T/beta --pass $T/beta.pass --to $T/alpha.bundle"
printf 'synthetic wire_pace test document\n' >"$T/small"

step "12a: an envelope over ENV1_ENVELOPE_MAX is refused, naming its id"
mark
# shellcheck disable=SC2086
run oversize "$WP" $SEND --mode oversize-env
has oversize "^oversize-env: received Refused"
logged "envelope $(sent_id oversize oversize-env) from beta refused: bad_ct_len"

step "12b: duplicates get the stored receipt again, rate-limited"
# shellcheck disable=SC2086
run dupflood "$WP" $SEND --mode dupflood
has dupflood "^dupflood: receipts"
n=$(sed -n 's/^dupflood: receipts \([0-9]*\) .*/\1/p' "$T/dupflood.out")
[ "$n" -le 5 ] || fail "dupflood: $n receipts for 1000 duplicates"

step "12c: a receipt with the right H_inner and another H_env is refused"
hw alpha send --to beta --type 0x7f00 --file "$T/small" --json >"$T/x.json" ||
    fail "alpha cannot send"
x=$(jq -r .message_id "$T/x.json")
mark
# shellcheck disable=SC2086
run henv "$WP" $SEND --mode receipt-henv
has henv "^receipt-henv: caught $x"
has henv "^receipt-henv: received Refused"
logged "envelope $(sent_id henv receipt-henv) from beta refused: receipt_unmatched"
[ "$(out_state "$x")" = sealed ] || fail "receipt-henv: $x is '$(out_state "$x")'"

step "12d: a second receipt for a delivered message is refused and alerted"
alerts=$(status_of alpha alerts)
mark
# shellcheck disable=SC2086
run second "$WP" $SEND --mode receipt-second
has second "^receipt-second: caught $x"
has second "^receipt-second: received Refused"
[ "$(out_state "$x")" = delivered ] || fail "receipt-second: $x is '$(out_state "$x")'"
logged "envelope $(sent_id second receipt-second 2) from beta refused: second receipt"
logged "ALERT receipt_second"
[ "$(status_of alpha alerts)" = $((alerts + 1)) ] || fail "receipt-second: not one alert more"

step "10b: beta reads at 50 KB/s and receipts: each document about once"
head -c 16000 /dev/zero | tr '\0' 'w' >"$T/doc16"
send_docs 40 "$T/doc16"
# shellcheck disable=SC2086
run slowacks "$WP" $SEND --mode slowacks=40
has slowacks "^slowacks: documents 40 of 40"
bytes=$(field slowacks slowacks bytes)
needed=$(field slowacks slowacks needed)
echo "   $(grep '^slowacks: envelopes' "$T/slowacks.out")"
[ $((bytes * 100)) -le $((needed * 115)) ] ||
    fail "slowacks: $bytes bytes carried for $needed needed (over 1.15)"
wait_for 30 unacked_is 0 || fail "slowacks: alpha still waits for receipts"

step "10a: beta stops reading: one queued copy per envelope, the window"
send_docs 40 "$T/doc16"
# shellcheck disable=SC2086
run stall "$WP" $SEND --mode stall
has stall "^stall: envelopes"
bytes=$(field stall stall bytes)
echo "   $(grep '^stall: envelopes' "$T/stall.out")"
[ "$bytes" -le 600000 ] ||
    fail "stall: $bytes bytes queued for a peer that read nothing (40 x 16 KB waiting)"

step "11: a receipt of alpha never overtakes its earlier positions"
hw alpha send --to beta --type 0x7f00 --file "$T/small" --json >"$T/t.json" ||
    fail "alpha cannot send"
thread=$(jq -r .thread_id "$T/t.json")
# 260 rows behind position 1: position 2 is on the flush's second page.
send_docs 260 "$T/small"
hw alpha send --to beta --type 0x7f00 --file "$T/small" --thread "$thread" \
    >/dev/null || fail "alpha cannot send in $thread"
# shellcheck disable=SC2086
run order "$WP" $SEND --mode "order=$thread"
echo "   $(grep '^order: positions' "$T/order.out")"
has order "^order: in order"

step "alpha survived"
kill -0 "$(cat "$T/alpha.pid")" || fail "alpha is gone"
if grep -q "Sanitizer\|runtime error" "$LOG"; then
	fail "alpha's log shows a sanitizer report"
fi
agency_stop alpha
echo "wire_pace: ok"
