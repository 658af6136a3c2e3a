#!/bin/sh
# A submission sent twice is carried out once (issue 11, item 13).  The CLI
# gives every request that changes something a random request id
# (control.proto Request.request_id); the daemon stores it in the same
# transaction as what the request committed and answers the same id again
# with what it did then.  Real daemons on 127.0.0.1: alpha (listening) and
# beta (dialling it), paired.
#
#   1. ctlraw sends alpha the same test document twice with one request
#      id, as the CLI's retry does after the daemon died between its commit
#      and its answer: the second answer names the same message, the
#      outbox holds one, and beta receives one.  The same for a case
#      opened twice (the second is no "exists" refusal but the first
#      outcome) and a step (a request for assistance) sent twice, and a
#      request id used again for another kind of request is refused.
#   2. The CLI when the daemon dies mid-request: alpha is stopped
#      (SIGSTOP), `homeward send` is started, alpha is killed: the CLI's
#      one retry finds no daemon, and it exits 3 ("outcome unknown: check
#      the outbox").  Then the same with alpha started again while the
#      CLI waits for it: the retry is answered and the CLI exits 0.
# Synthetic data only.  Uses $BUILD (default build).
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
CR=$BUILD/tests/tools/ctlraw
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$CR"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/idempotent.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
CLI_PID=
cleanup() {
	[ -z "$CLI_PID" ] || kill -KILL "$CLI_PID" 2>/dev/null || true
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# cli_waiting PID: the CLI PID has sent its request and waits for the
# answer (blocked reading its socket).
cli_waiting() {
	grep -q unix_stream "/proc/$1/wchan" 2>/dev/null
}

# raw AGENCY JSON: ctlraw's output in $T/out, its exit status in $got.
raw() {
	set +e
	"$CR" "$T/$1.sock" "$2" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	CHECKS=$((CHECKS + 1))
}
result() { grep '^result ' "$T/out" | tail -n 1; }
out_count() { hw "$1" outbox --json | jq '[.messages[] | select(.msg_type == 32512)] | length'; }
in_count() { hw "$1" inbox --json | jq '[.messages[] | select(.msg_type == 32512)] | length'; }

RETRY_WAIT=10   # CLI_RETRY_WAIT_S

step "two daemons, paired"
agency_new alpha listen
agency_new beta
agency_start alpha
agency_start beta
pair alpha beta
peer_endpoint "$T/beta.conf" alpha "$(port_of alpha)"
wait_for 20 peer_connected beta alpha || fail "beta did not connect to alpha"

step "1. the same send twice with one request id: one message"
RID=5eed0000000000000000000000000001
SEND='{"request_id":"'$RID'","send":{"peer":"beta","msg_type":32512,"body":"6f6e6365"}}'
raw alpha "$SEND"
[ "$got" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "the first send failed"; }
first=$(grep '"message"' "$T/out" | jq -r .message.message_id)
[ -n "$first" ] && [ "$first" != null ] || { cat "$T/out" >&2; fail "no message id"; }
raw alpha "$SEND"
[ "$got" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "the second send failed"; }
result | grep -qF "already done" || { cat "$T/out" >&2; fail "the second answer is not the first outcome"; }
second=$(grep '"message"' "$T/out" | jq -r .message.message_id)
[ "$second" = "$first" ] || fail "the second answer names $second, the first $first"
[ "$(out_count alpha)" = 1 ] || fail "alpha's outbox holds $(out_count alpha) test documents"
wait_for 20 all_acked alpha || fail "the message was not receipted"
[ "$(in_count beta)" = 1 ] || fail "beta received $(in_count beta) test documents"
grep -qF "request $RID carried out before" "$T/alpha.log" ||
    fail "alpha's log does not say it answered again"

step "1. a case opened twice with one request id: the first outcome"
RID2=5eed0000000000000000000000000002
OPEN='{"request_id":"'$RID2'","case_open":{"code":"CI-IDEM-1"}}'
raw alpha "$OPEN"
[ "$got" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "case open failed"; }
raw alpha "$OPEN"
[ "$got" = 0 ] && result | grep -qF "already done" ||
    { cat "$T/out" >&2; fail "the second case open was not answered with the first"; }
[ "$(hw alpha case list --json | jq '[.cases[] | select(.code == "CI-IDEM-1")] | length')" = 1 ] ||
    fail "the case is there more than once"
raw alpha '{"request_id":"'$RID2'","send":{"peer":"beta","msg_type":32512,"body":"00"}}'
[ "$got" = 1 ] && result | grep -qF "was used for another request" ||
    { cat "$T/out" >&2; fail "a request id used for another kind was not refused"; }
[ "$(out_count alpha)" = 1 ] || fail "the refused request queued something"
raw alpha '{"request_id":"00","send":{"peer":"beta","msg_type":32512,"body":"00"}}'
[ "$got" = 1 ] && result | grep -qF "a request id is 16 bytes" ||
    { cat "$T/out" >&2; fail "a short request id was not refused"; }

step "1. a step sent twice with one request id: one request for assistance"
hw alpha case open CI-IDEM-2 --sex female --age 30 >/dev/null || fail "case open"
hw alpha consent record CI-IDEM-2 --to beta --steps all --categories all \
    --method oral >/dev/null || fail "consent"
DOC=$("$CR" encode 1 '{"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]}') ||
    fail "encode the request"
RID3=5eed0000000000000000000000000003
STEP='{"request_id":"'$RID3'","step_send":{"ref":{"code":"CI-IDEM-2"},"peer":"beta","msg_type":1,"document":"'$DOC'"}}'
raw alpha "$STEP"
[ "$got" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "the first step failed"; }
first=$(grep '"step"' "$T/out" | jq -r '.step | [.state, .message_id] | @tsv')
raw alpha "$STEP"
[ "$got" = 0 ] && result | grep -qF "already done" ||
    { cat "$T/out" >&2; fail "the second step was not answered with the first"; }
second=$(grep '"step"' "$T/out" | jq -r '.step | [.state, .message_id] | @tsv')
[ "$second" = "$first" ] || fail "the second step answer is '$second', the first '$first'"
case $first in queued*) ;; *) fail "the step was not queued: $first" ;; esac
wait_for 20 all_acked alpha || fail "the request was not receipted"
[ "$(hw beta inbox --json | jq '[.messages[] | select(.msg_type == 1)] | length')" = 1 ] ||
    fail "beta received $(hw beta inbox --json | jq '[.messages[] | select(.msg_type == 1)] | length') requests"

step "2. the daemon dies mid-request and stays down: exit 3"
printf 'synthetic test document\n' >"$T/doc"
kill -STOP "$(cat "$T/alpha.pid")"
"$HWCLI" -s "$T/alpha.sock" send --to beta --type 0x7f00 --file "$T/doc" \
    >"$T/stdout" 2>"$T/stderr" &
CLI_PID=$!
# The request waits in the socket: alpha, stopped, does not read it.
wait_for 10 cli_waiting "$CLI_PID" || fail "the CLI did not send its request"
agency_kill alpha
set +e
wait "$CLI_PID"
got=$?
set -e
CLI_PID=
CHECKS=$((CHECKS + 1))
[ "$got" = 3 ] || { show; fail "homeward send exited $got, wanted 3"; }
says "asking homewardd again"
says "outcome unknown"
says "homeward outbox list"

step "2. the daemon dies mid-request and comes back: the retry is answered"
agency_start alpha
kill -STOP "$(cat "$T/alpha.pid")"
"$HWCLI" -s "$T/alpha.sock" send --to beta --type 0x7f00 --file "$T/doc" \
    --json >"$T/stdout" 2>"$T/stderr" &
CLI_PID=$!
wait_for 10 cli_waiting "$CLI_PID" || fail "the CLI did not send its request"
agency_kill alpha
start=$(date +%s)
agency_start alpha
echo "   alpha back in $(($(date +%s) - start)) s (the CLI waits $RETRY_WAIT s)"
set +e
wait "$CLI_PID"
got=$?
set -e
CLI_PID=
CHECKS=$((CHECKS + 1))
[ "$got" = 0 ] || { show; fail "homeward send exited $got after the daemon came back, wanted 0"; }
says "asking homewardd again"
id=$(jq -r .message_id "$T/stdout")
[ "$(hw alpha outbox show "$id" --json | jq -r .message_id)" = "$id" ] ||
    fail "the retried send's message is not in the outbox"
[ "$(out_count alpha)" = 2 ] || fail "alpha's outbox holds $(out_count alpha) test documents, wanted 2"

echo "ok: idempotent ($CHECKS checks)"
