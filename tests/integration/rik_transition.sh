#!/bin/sh
# Integration test of the RIK transition (PROTOCOL.md 4.4, 16.4; issue 12):
# alpha hands its identity to a new root key with `homeward-keys rotate-rik`
# and restarts; beta, which pinned alpha's old RIK, follows on the next
# connection without importing anything: the same threads go on both
# ways, a message beta sealed to alpha's old identity while alpha was down
# is delivered after, and so is one alpha sealed under its old RIK; one
# alert asks beta's operator to verify the new fingerprint, and
# `homeward peers` shows it.  A Hello whose transition is signed only by
# the new key, or names another pinned peer's RIK, is refused and the pins
# stay.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
WP=$BUILD/tests/tools/wirepoke
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$WP"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/rik_transition.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# peer_fp NAME PEER: the fingerprint NAME shows for PEER.
peer_fp() {
	hw "$1" peers --json | jq -r ".peers[] | select(.agency_id == \"$2\") | .fingerprint"
}
# alerts_of NAME KIND: how many alerts of KIND NAME holds (counted ones
# count as one row each time they were raised).
alerts_of() {
	hw "$1" alerts --all --json | jq "[.alerts[] | select(.kind == \"$2\") | .count // 1] | add // 0"
}
inbox_total() { status_of "$1" inbox_total; }
# send FROM TO [THREAD]: a test document; prints "message_id thread_id".
send() {
	hw "$1" send --to "$2" --type 0x7f00 --file "$T/doc" ${3:+--thread "$3"} --json |
	    jq -r '"\(.message_id) \(.thread_id)"'
}
inbox_is() { [ "$(inbox_total "$1")" = "$2" ]; }

head -c 512 /dev/urandom >"$T/doc"
agency_new alpha listen
agency_new beta listen
agency_new gamma
agency_start alpha
agency_start beta
agency_start gamma
pair alpha beta
pair beta gamma
OLD_FP=$(fingerprint_of alpha)

step "paired: one thread each way"
set -- $(send beta alpha)
B_THREAD=$2
set -- $(send alpha beta)
A_THREAD=$2
wait_for 30 all_acked beta || fail "beta's first message not receipted"
wait_for 30 all_acked alpha || fail "alpha's first message not receipted"
[ "$(peer_fp beta alpha)" = "$OLD_FP" ] || fail "beta does not show alpha's fingerprint"

step "alpha certifies a new DSK first: its prekeys stay those of the older one"
agency_stop alpha
"$KEYS" certify --dir "$T/alpha" --rik-passphrase-file "$T/alpha.rik" \
    --passphrase-file "$T/alpha.pass" >"$T/certify.out" 2>&1 ||
    { cat "$T/certify.out" >&2; fail "certify"; }
agency_start alpha
wait_for 30 peer_connected beta alpha || fail "beta did not reconnect to alpha"
set -- $(send alpha beta "$A_THREAD")
wait_for 30 all_acked alpha || fail "alpha's message under its new DSK not receipted"

step "in flight across the rotation: alpha seals one under its old RIK while beta is down, beta one to alpha's old RIK while alpha is down"
agency_stop beta
send alpha beta "$A_THREAD" >/dev/null
wait_for 10 sh -c "[ \"\$($HWCLI -s $T/alpha.sock outbox --peer beta --state sealed --json | jq '.messages | length')\" = 1 ]" ||
    fail "alpha did not seal its message under its old RIK"
agency_stop alpha
agency_start beta
send beta alpha "$B_THREAD" >/dev/null
wait_for 10 sh -c "[ \"\$($HWCLI -s $T/beta.sock outbox --peer alpha --state sealed --json | jq '.messages | length')\" = 1 ]" ||
    fail "beta did not seal its message to alpha's old identity"

step "alpha rotates its RIK with homeward-keys rotate-rik"
printf 'synthetic new root passphrase of alpha\n' >"$T/alpha.rik2"
"$KEYS" rotate-rik --dir "$T/alpha" --rik-passphrase-file "$T/alpha.rik" \
    --new-rik-passphrase-file "$T/alpha.rik2" --passphrase-file "$T/alpha.pass" \
    --json >"$T/rotate.json" 2>"$T/rotate.err" ||
    { cat "$T/rotate.err" >&2; fail "rotate-rik"; }
NEW_FP=$(jq -r .fingerprint "$T/rotate.json")
[ "$NEW_FP" = "$(fingerprint_of alpha)" ] || fail "agency.pub does not carry the new RIK"
[ "$NEW_FP" != "$OLD_FP" ] || fail "the fingerprint did not change"
[ "$(jq -r .prekeys_dropped "$T/rotate.json")" -gt 0 ] ||
    fail "rotate-rik kept prekeys of the older DSK"
ASIDE=$(jq -r .previous_rik_key "$T/rotate.json")
[ -f "$ASIDE" ] && [ "$(stat -c %a "$ASIDE")" = 600 ] ||
    fail "the old rik.key is not kept aside with mode 0600"
"$KEYS" inspect "$T/alpha/agency.pub" >"$T/inspect.out" 2>&1 ||
    { cat "$T/inspect.out" >&2; fail "the new agency.pub does not verify"; }

step "alpha restarts; beta follows without re-import"
agency_start alpha
wait_for 30 peer_connected beta alpha || fail "beta did not reconnect to alpha"
[ "$(peer_fp beta alpha)" = "$NEW_FP" ] ||
    fail "beta shows $(peer_fp beta alpha) for alpha, not the new fingerprint"
grep -q "peer alpha: followed its RIK transition" "$T/beta.log" ||
    fail "beta did not log the transition"
[ "$(alerts_of beta rik_transition)" = 1 ] ||
    fail "beta raised $(alerts_of beta rik_transition) transition alerts, not one"
hw beta alerts --json | jq -r '.alerts[] | select(.kind == "rik_transition") | .detail' |
    grep -q "$NEW_FP" || fail "the alert does not name the new fingerprint"

step "the messages sealed before the rotation are delivered after, both ways"
wait_for 30 all_acked beta || fail "beta's pre-rotation message not receipted"
wait_for 30 all_acked alpha || fail "alpha's message sealed under its old RIK not receipted"
inbox_is alpha 2 || fail "alpha holds $(inbox_total alpha) messages, not 2"
inbox_is beta 3 || fail "beta holds $(inbox_total beta) messages, not 3"

step "the same threads go on, both ways"
send beta alpha "$B_THREAD" >/dev/null
send alpha beta "$A_THREAD" >/dev/null
set -- $(send alpha beta)
wait_for 30 all_acked beta || fail "beta's message after the rotation not receipted"
wait_for 30 all_acked alpha || fail "alpha's messages after the rotation not receipted"
inbox_is alpha 3 || fail "alpha holds $(inbox_total alpha) messages, not 3"
inbox_is beta 5 || fail "beta holds $(inbox_total beta) messages, not 5"

step "a restart of either side raises no second alert"
agency_stop alpha
agency_start alpha
agency_stop beta
agency_start beta
wait_for 30 peer_connected beta alpha || fail "beta did not reconnect after restarts"
send beta alpha "$B_THREAD" >/dev/null
wait_for 30 all_acked beta || fail "beta's message after the restarts not receipted"
[ "$(alerts_of beta rik_transition)" = 1 ] || fail "the transition alert was raised again"

step "a transition signed only by the new key is refused; the pin stays"
: >"$T/wp.log"
"$WP" frame 127.0.0.1 "$(port_of beta)" --as "$T/alpha" --kind hello-forged \
    >"$T/forged.out" 2>&1 || { cat "$T/forged.out" >&2; fail "wirepoke"; }
grep -q "^hello-forged: closed by peer" "$T/forged.out" ||
    { cat "$T/forged.out" >&2; fail "beta did not close the forged Hello"; }
wait_for 10 grep -q "Hello under a new RIK with a transition refused (stmt_signature)" \
    "$T/beta.log" || fail "beta did not log the forged transition"
[ "$(peer_fp beta alpha)" = "$NEW_FP" ] || fail "the forged transition moved the pin"

step "a transition to another pinned peer's RIK is refused; the pin stays"
"$WP" frame 127.0.0.1 "$(port_of beta)" --as "$T/alpha" --kind hello-hijack \
    --other "$T/gamma" >"$T/hijack.out" 2>&1 || { cat "$T/hijack.out" >&2; fail "wirepoke"; }
grep -q "^hello-hijack: closed by peer" "$T/hijack.out" ||
    { cat "$T/hijack.out" >&2; fail "beta did not close the hijacking Hello"; }
wait_for 10 grep -q "peer alpha: Hello with a transition to the RIK of peer gamma refused" \
    "$T/beta.log" || fail "beta did not log the hijack"
[ "$(peer_fp beta alpha)" = "$NEW_FP" ] || fail "the hijack moved alpha's pin"
[ "$(peer_fp beta gamma)" = "$(fingerprint_of gamma)" ] || fail "the hijack moved gamma's pin"
send beta alpha "$B_THREAD" >/dev/null
wait_for 30 all_acked beta || fail "the link does not work after the refused Hellos"

agency_stop alpha
agency_stop beta
agency_stop gamma
echo "rik_transition: ok"
