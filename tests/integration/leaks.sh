#!/bin/sh
# Where what a person said must not leak (issue 11 items 1-3), between real
# daemons on 127.0.0.1 (alpha refers, beta receives), through the real CLI:
#   - `evidence export` is a read like `document show`: audited under the
#     case's code, refused once the case is restricted or erased; an
#     auditor's evidence leaves the document out and still proves delivery
#     with homeward-keys verify-evidence; a supervisor's holds it;
#   - `outbox show --body` and `inbox show --body` follow the same rule and
#     audit under the case's code;
#   - the daemon's memory keeps no copy of a document that came in on the
#     control socket once it is sent; the CLI runs with core dumps off and
#     not dumpable.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/leaks.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
MEMSCAN=$BUILD/tests/tools/memscan
# no_copy_in_memory PID: the canary is nowhere in PID's writable memory.
# Under AddressSanitizer the process maps terabytes of shadow and reserved
# heap that reading through /proc takes hours for: the plain build checks.
no_copy_in_memory() {
	if sanitized; then
		echo "(memory scan skipped under AddressSanitizer)"
		return 0
	fi
	# The scan finds what is there: the path of the daemon's configuration.
	expect 0 "$MEMSCAN" "$1" "$T/alpha.conf"
	expect 1 "$MEMSCAN" "$1" "$CANARY"
	prints "found 0"
}
CASEWORKER=2931
AUDITOR=2932
IN=$T/input
DROP=$T/drop
mkdir -p "$IN"
mkdir -m 1777 "$DROP"
chmod 755 "$T"
# A name no document elsewhere holds: found in memory or a file, it came
# from this case.
CANARY="Canary Qzxv Wubbelfrost"

op() {
	uid=$1
	agency=$2
	shift 2
	as "$uid" "$HWCLI" -s "$T/$agency.sock" "$@"
}
refused() {
	text=$1
	shift
	expect 1 "$@"
	says "homeward: $text"
	[ ! -s "$T/stdout" ] || { show; fail "a refusal printed on stdout: $*"; }
}
# reads AGENCY CODE ACTOR DETAIL: the audit log of case CODE has a read by
# ACTOR whose detail is DETAIL.
reads() {
	hw "$1" audit list "$2" --json | jq -e --arg a "$3" --arg d "$4" \
	    '[.audit[] | select(.action == "read" and .actor == $a and
	    .case_code == "'"$2"'" and .detail == $d)] | length >= 1' >/dev/null ||
	    fail "no read of $2 by $3 ($4) in the audit log: $(hw "$1" audit list "$2")"
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
erased_at() {
	[ "$(hw "$1" case list --state erased --json |
	    jq -r ".cases[] | select(.code == \"$2\") | .state")" = erased ]
}
verify() {  # verify FILE: the evidence proves delivery from alpha to beta
	"$KEYS" verify-evidence "$1" --sender "$T/alpha.bundle" \
	    --recipient "$T/beta.bundle"
}

ROLES="[roles]
$CASEWORKER = caseworker
$AUDITOR = auditor"

step "alpha refers a case to beta; its request names her"
EXTRA_CONF=$ROLES agency_new alpha listen
EXTRA_CONF=$ROLES agency_new beta listen
agency_start alpha
agency_start beta
pair alpha beta
chmod 666 "$T"/*.sock
wait_for 20 peer_connected alpha beta || fail "beta never connected"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 24 }, "needs": ["shelter"], "identity": { "full_name": "%s" } }\n' \
    "$CANARY" >"$IN/req.json"
chmod 644 "$IN/req.json"
hw alpha case open TEST-L1 --sex female --age 24 >/dev/null || fail "case open"
hw alpha consent record TEST-L1 --to beta --steps all --categories all \
    --method oral >/dev/null || fail "consent"
expect 0 hw alpha request send TEST-L1 --to beta --file "$IN/req.json" --json
jq -e '.state != "held"' "$T/stdout" >/dev/null || { show; fail "the request was held"; }
wait_for 20 has_case beta TEST-L1 || fail "beta never saw TEST-L1"
wait_for 20 all_acked alpha || fail "the request was never receipted"
REQ=$(hw alpha outbox --json | jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')
IN1=$(hw beta inbox --json | jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')

step "the daemon's memory keeps no copy of the document it was given"
no_copy_in_memory "$(cat "$T/alpha.pid")"

step "the CLI runs with core dumps off and not dumpable"
# Stopped, the daemon leaves the CLI waiting for its answer.
kill -STOP "$(cat "$T/alpha.pid")"
# A simple command, so that $! is the CLI itself (setpriv execs it).
setpriv --reuid $CASEWORKER --regid $CASEWORKER --clear-groups \
    "$HWCLI" -s "$T/alpha.sock" status >/dev/null 2>&1 &
CLI=$!
wait_for 10 test -e "/proc/$CLI/limits"
sleep 0.2
lim=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$CLI/limits")
owner=$(stat -c %u "/proc/$CLI/status")
kill -CONT "$(cat "$T/alpha.pid")"
wait "$CLI" || fail "status as the caseworker"
[ "$lim" = "0 0" ] || fail "the CLI's core file size limit is $lim"
# /proc of a process that is not dumpable belongs to root.
[ "$owner" = 0 ] || fail "the CLI is dumpable (its /proc belongs to uid $owner)"

step "outbox and inbox show --body: read and audited under the case's code"
expect 0 hw alpha outbox show "$REQ" --body "$DROP/sent.pb"
grep -qF "$CANARY" "$DROP/sent.pb" || fail "outbox show --body wrote another document"
reads alpha TEST-L1 "$(id -un)" "message body"
expect 0 hw beta inbox show "$IN1" --body "$DROP/received.pb"
reads beta TEST-L1 "$(id -un)" "message body"

step "evidence export: a supervisor's holds the document, an auditor's does not"
expect 0 hw alpha evidence export "$REQ" -o "$DROP/ev.super" --json
jq -e '.document_included == true' "$T/stdout" >/dev/null || { show; fail "--json"; }
grep -qF "$CANARY" "$DROP/ev.super" || fail "the supervisor's evidence lacks the document"
expect 0 verify "$DROP/ev.super"
prints "verified: message $REQ"
reads alpha TEST-L1 "$(id -un)" "evidence exported, with the document"
expect 0 op $AUDITOR alpha evidence export "$REQ" -o "$DROP/ev.audit"
prints "without the document"
if grep -qF "$CANARY" "$DROP/ev.audit"; then fail "the auditor's evidence holds the document"; fi
expect 0 verify "$DROP/ev.audit"
prints "verified: message $REQ"
prints "the document is withheld from this evidence"
expect 0 "$KEYS" verify-evidence "$DROP/ev.audit" --sender "$T/alpha.bundle" \
    --recipient "$T/beta.bundle" --json
jq -e '.verified and .body_withheld' "$T/stdout" >/dev/null || { show; fail "verify --json"; }
reads alpha TEST-L1 "$AUDITOR" "evidence exported, without the document"
expect 0 op $AUDITOR beta evidence export "$IN1" -o "$DROP/ev.audit.b"
if grep -qF "$CANARY" "$DROP/ev.audit.b"; then fail "beta's auditor's evidence holds the document"; fi
expect 0 verify "$DROP/ev.audit.b"
reads beta TEST-L1 "$AUDITOR" "evidence exported, without the document"

step "her consent withdrawn: restricted at alpha, erased at beta; nothing shown"
expect 0 hw alpha consent withdraw TEST-L1
prints "the case is restricted"
wait_for 30 erased_at beta TEST-L1 || fail "beta did not erase TEST-L1"
for who in 0 $AUDITOR; do
	refused "case TEST-L1 is restricted: its documents are no longer shown" \
	    op $who alpha evidence export "$REQ" -o "$DROP/ev.after.$who"
	[ ! -e "$DROP/ev.after.$who" ] || fail "evidence written for a restricted case"
	refused "case TEST-L1 is erased: its documents are no longer shown" \
	    op $who beta evidence export "$IN1" -o "$DROP/ev.after.b.$who"
	[ ! -e "$DROP/ev.after.b.$who" ] || fail "evidence written for an erased case"
done
refused "case TEST-L1 is restricted: its documents are no longer shown" \
    hw alpha outbox show "$REQ" --body -
refused "case TEST-L1 is erased: its documents are no longer shown" \
    hw beta inbox show "$IN1" --body -
expect 0 hw alpha outbox show "$REQ"
no_copy_in_memory "$(cat "$T/alpha.pid")"
echo "leaks: $CHECKS checks passed"
