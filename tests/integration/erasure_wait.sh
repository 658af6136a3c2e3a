#!/bin/sh
# Erasure does not wait forever for a partner that never sends a receipt
# (issue 11, item 7).  Real daemons on 127.0.0.1: ci-abidjan refers a case
# to ml-bamako, whose daemon is then stopped (first case) or suspended with
# SIGSTOP while connected (second case), so the request is never
# receipted.  The case is closed; retention ends (retention_ms); erasure
# waits erasure_wait_ms for the receipt, then erases the case anyway,
# drops the unconfirmed message and raises an erasure_unconfirmed alert
# naming the partner.  Third case: gamma (played by wirepoke, its daemon
# never runs) refers a case to ci-abidjan and withdraws consent;
# ci-abidjan's ErasureConfirmation is never receipted, and the case gamma
# referred is erased erasure_wait_ms later all the same, with the alert.
# Synthetic data only.  Uses $BUILD (default build).
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
CR=$BUILD/tests/tools/ctlraw
WP=$BUILD/tests/tools/wirepoke
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$CR" "$WP"; do
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

step "two agencies, paired; gamma pinned by ci-abidjan, played by wirepoke"
EXTRA_CONF=$PROC agency_new $DEST listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new $ORIG
agency_new gamma
agency_start $DEST
agency_start $ORIG
pair $DEST $ORIG
hw $DEST peers import "$T/gamma.bundle" --fingerprint "$(fingerprint_of gamma)" \
    >/dev/null || fail "$DEST cannot import gamma"
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

# alerted CODE PEER: one erasure_unconfirmed alert about CODE names PEER.
alerted() {
	hw $DEST alerts --all --json >"$T/alerts"
	jq -e --arg c "$1" --arg p "$2" '[.alerts[] | select(.kind ==
	    "erasure_unconfirmed" and .case_code == $c and .peer == $p and
	    (.detail | contains("never confirmed")))] | length == 1' "$T/alerts" \
	    >/dev/null || fail "no erasure_unconfirmed alert for $1: $(cat "$T/alerts")"
}

# check CODE: erased after retention and the whole wait, with the alert.
check() {
	wait_for 30 erased "$1" || fail "$1 is not erased: erasure still waits"
	closed=$(ms "$(audit_at "$1" case.close)")
	gone=$(ms "$(audit_at "$1" erase)")
	[ $((gone - closed)) -ge $((RETENTION + WAIT)) ] ||
	    fail "$1 erased $((gone - closed)) ms after closing: it did not wait"
	alerted "$1" $ORIG
	hw $DEST audit list "$1" --limit 10000 --json | jq -e '[.audit[] |
	    select(.action == "erase" and (.detail |
	    contains("erased without a partner")))] | length >= 1' >/dev/null ||
	    fail "the audit log does not say $1 was erased without a receipt"
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

step "gamma withdraws; our erasure confirmation is never receipted"
# poke TYPE JSON: wirepoke, as gamma, seals the document in one thread.
poke() {
	"$CR" encode "$1" "$2" "$T/doc.pb" || fail "encode $2"
	"$WP" send 127.0.0.1 "$(port_of $DEST)" --as "$T/gamma" --pass "$T/gamma.pass" \
	    --to "$T/$DEST.bundle" --mode doc --type "$1" --body "$T/doc.pb" \
	    --state "$T/g.thread" >"$T/poke.out" 2>&1 &&
	    grep -q "^doc: received receipt" "$T/poke.out" ||
	    { sed 's/^/    /' "$T/poke.out" >&2; fail "wirepoke doc $1"; }
}
GID=0f0e0d0c0b0a09080706050403020100
CONSENT='"consent":{"consent_id":"'$GID'","recipients":["'$DEST'"],"steps":[1,2,3,4,5,6,7],"categories":["profile","identity","travel"],"method":"oral","given_at":"2026-01-01T00:00:00Z"}'
poke 1 '{"header":{"case_code":"G-WAIT-3",'"$CONSENT"'},"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]}'
poke 257 '{"header":{"case_code":"G-WAIT-3"},"withdrawn_at":"2026-01-01T00:00:00Z","consent_id":"'$GID'"}'
[ "$(hw $DEST outbox --json | jq '[.messages[] | select(.msg_type == 258 and .peer == "gamma" and .state == "sealed")] | length')" = 1 ] ||
    fail "no erasure confirmation waits for gamma: $(hw $DEST outbox)"
withdrawn=$(($(date +%s%N) / 1000000))
wait_for 30 erased G-WAIT-3 || fail "G-WAIT-3 is not erased: erasure still waits"
[ $(($(date +%s%N) / 1000000 - withdrawn)) -ge "$WAIT" ] ||
    fail "G-WAIT-3 erased before erasure_wait_ms"
alerted G-WAIT-3 gamma
[ "$(hw $DEST outbox --json | jq '[.messages[] | select(.peer == "gamma" and (.state == "waiting" or .state == "sealed"))] | length')" = 0 ] ||
    { hw $DEST outbox >&2; fail "the unconfirmed erasure confirmation is still waiting"; }

echo "ok: erasure_wait"
