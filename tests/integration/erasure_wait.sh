#!/bin/sh
# Erasure does not wait forever for a partner that never sends a receipt
# (issue 11, item 7).  Real daemons on 127.0.0.1: ci-abidjan refers a case
# to ml-bamako, whose daemon is then stopped (first case) or suspended with
# SIGSTOP while connected (second case), so the request is never
# receipted.  The case is closed; retention ends (retention_ms); erasure
# waits erasure_wait_ms for the receipt, then erases the case anyway,
# drops the unconfirmed message and raises an erasure_unconfirmed alert
# naming the partner.  Synthetic data only.  Uses $BUILD (default build).
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/erasure_wait.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

RETENTION=1000
WAIT=3000
PROC="[procedure]
deadline_check_ms = 200
retention_ms = $RETENTION
erasure_wait_ms = $WAIT"
DEST=ci-abidjan
ORIG=ml-bamako

step "two agencies, paired"
EXTRA_CONF=$PROC agency_new $DEST listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new $ORIG
agency_start $DEST
agency_start $ORIG
pair $DEST $ORIG
peer_endpoint "$T/$ORIG.conf" $DEST "$(port_of $DEST)"
wait_for 20 peer_connected $ORIG $DEST || fail "$ORIG never connected"
cat >"$T/request.json" <<EOF
{ "scenario": "police_or_ngo",
  "profile": { "sex": "female", "age": 30, "nationality": "ML" },
  "needs": ["shelter"] }
EOF

# refer CODE: open CODE, record consent, send the request (queued).
refer() {
	hw $DEST case open "$1" --sex female --age 30 >/dev/null || fail "case open $1"
	hw $DEST consent record "$1" --to $ORIG --steps all --categories all \
	    --method oral >"$T/out" 2>&1 || fail "consent $1: $(cat "$T/out")"
	hw $DEST request send "$1" --to $ORIG --file "$T/request.json" --json \
	    >"$T/out" 2>&1 || fail "request $1: $(cat "$T/out")"
	[ "$(jq -r .state "$T/out")" = queued ] || fail "request $1: $(cat "$T/out")"
}
state_of() {
	hw $DEST case list --state "$2" --json |
	    jq -r ".cases[] | select(.code == \"$1\") | .state"
}
erased() { [ "$(state_of "$1" erased)" = erased ]; }
# audit_at CODE ACTION: when the case's first audit entry ACTION was written.
audit_at() {
	hw $DEST audit list "$1" --limit 10000 --json |
	    jq -r "[.audit[] | select(.action == \"$2\")][0].at"
}
ms() {  # RFC 3339 or ms to ms
	case $1 in
	*[!0-9]*) echo $(($(date -d "$1" +%s%N) / 1000000)) ;;
	*) echo "$1" ;;
	esac
}

# check CODE: erased after retention and the whole wait, with the alert.
check() {
	wait_for 30 erased "$1" || fail "$1 is not erased: erasure still waits"
	closed=$(ms "$(audit_at "$1" case.close)")
	gone=$(ms "$(audit_at "$1" erase)")
	[ $((gone - closed)) -ge $((RETENTION + WAIT)) ] ||
	    fail "$1 erased $((gone - closed)) ms after closing: it did not wait"
	hw $DEST alerts --all --json >"$T/alerts"
	jq -e --arg c "$1" --arg p $ORIG '[.alerts[] | select(.kind ==
	    "erasure_unconfirmed" and .case_code == $c and .peer == $p and
	    (.detail | contains("never confirmed")))] | length == 1' "$T/alerts" \
	    >/dev/null || fail "no erasure_unconfirmed alert for $1: $(cat "$T/alerts")"
}

step "the partner's daemon is stopped: the request is never receipted"
agency_stop $ORIG
refer CI-WAIT-1
hw $DEST case close CI-WAIT-1 >/dev/null || fail "case close"
check CI-WAIT-1
[ "$(status_of $DEST outbox_unacked)" = 0 ] ||
    fail "the unconfirmed message is still waiting"

step "the partner's daemon is suspended (SIGSTOP), connected: the same"
agency_start $ORIG
wait_for 20 peer_connected $ORIG $DEST || fail "$ORIG never connected again"
kill -STOP "$(cat "$T/$ORIG.pid")"
refer CI-WAIT-2
hw $DEST case close CI-WAIT-2 >/dev/null || fail "case close"
check CI-WAIT-2
kill -CONT "$(cat "$T/$ORIG.pid")"

echo "ok: erasure_wait"
