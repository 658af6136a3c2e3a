#!/bin/sh
# Held drafts under control and approvals that leave a trace, between real
# daemons on 127.0.0.1 (ci-abidjan refers, ml-bamako receives), through the
# real CLI:
#   - `held show`: the document, its state and what is missing, an audited
#     read naming the held id; refused to an auditor (need to know) and
#     once the case is closed;
#   - `held cancel`: cancelled, gone from the worklist, audited with the
#     reason's hash only;
#   - a newer draft of a step replaces the older held one, and the consent
#     releases the newest, never the older;
#   - the safety exception: homewardd's own uid never approves (and
#     `homewardd -n` warns when [roles] names it), each approval needs a
#     reason, kept encrypted and shown by `held show`, audited by hash;
#     two supervisors read it first; the same one never approves twice;
#   - ml-bamako answers a request received under the safety exception on
#     that basis;
#   - `alerts ack` audited with the alert's number and kind.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/held.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

CASEWORKER=2931
AUDITOR=2932
SUP1=2933
SUP2=2934
IN=$T/input
mkdir -p "$IN"
chmod 755 "$T"

op() {  # op UID AGENCY ARGS...: the CLI as operator UID
	uid=$1
	agency=$2
	shift 2
	as "$uid" "$HWCLI" -s "$T/$agency.sock" "$@"
}
json() {
	jq -e "$1" "$T/stdout" >/dev/null || { show; fail "not true of the JSON: $1"; }
}
# audited AGENCY CODE ACTION DETAIL: the case's audit trail has that entry.
audited() {
	hw "$1" audit list "$2" --limit 10000 --json | jq -e --arg a "$3" --arg d "$4" \
	    '[.audit[] | select(.action == $a and .detail == $d)] | length >= 1' \
	    >/dev/null || fail "no audit entry $3 '$4' in $2: $(hw "$1" audit list "$2")"
}
tag() {  # tag TEXT: the first 8 bytes of its SHA-256, as the audit keeps it
	printf '%s' "$1" | sha256sum | cut -c1-16
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }

ROLES="[roles]
$CASEWORKER = caseworker
$AUDITOR = auditor
$SUP1 = supervisor
$SUP2 = supervisor"

step "two agencies: ci-abidjan refers, ml-bamako receives"
EXTRA_CONF=$ROLES agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$ROLES agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
# req NAME SEX AGE NEEDS: a complete request for assistance (PROTOCOL.md
# 21.7) whose profile matches the case's.
req() {
	printf '{ "scenario": "police_or_ngo", "profile": { "sex": "%s", "age": %s },\n' \
	    "$2" "$3" >"$IN/$1.json"
	printf '  "needs": [ %s ] }\n' "$4" >>"$IN/$1.json"
}
req draft1 female 24 '"shelter"'
req full1 female 24 '"shelter", "medical"'
req draft2 male 29 '"shelter"'
req draft3 male 31 '"shelter"'
req full4 female 19 '"shelter", "medical"'
req draft5 male 40 '"shelter"'
chmod 644 "$IN"/*

step "homewardd -n warns when [roles] names its own account"
cp "$T/$DEST.conf" "$T/self.conf"
printf '[roles]\n%s = supervisor\n' "$(id -un)" >>"$T/self.conf"
expect 0 "$HWD" -n -f "$T/self.conf"
says "homewardd's own account"
says "never counts as a supervisor"
expect 0 "$HWD" -n -f "$T/$DEST.conf"
if grep -q "own account" "$T/stderr"; then show; fail "warned without cause"; fi

step "a newer draft replaces the older held one"
hw $DEST case open HW-0001 --sex female --age 24 >/dev/null
expect 0 hw $DEST request send HW-0001 --to $ORIG --file "$IN/draft1.json" --json
OLD=$(jq -r .held_id "$T/stdout")
expect 0 hw $DEST request send HW-0001 --to $ORIG --file "$IN/full1.json"
prints "replaces held document $OLD (cancelled)"
expect 0 hw $DEST held HW-0001 --json
json '.held | length == 1'
NEW=$(jq -r '.held[0].held_id' "$T/stdout")
[ "$NEW" != "$OLD" ] || fail "the newer draft has the older id"
audited $DEST HW-0001 cancel "held $OLD replaced by held $NEW"
expect 0 hw $DEST request send HW-0001 --to $ORIG --file "$IN/full1.json" --json
json ".replaces == \"$NEW\""
NEW2=$(jq -r .held_id "$T/stdout")

step "held show: the document and what is missing, an audited read"
expect 0 op $CASEWORKER $DEST held show "$OLD" --json
json ".state == \"cancelled\" and .replaced_by == \"$NEW\" and .case_code == \"HW-0001\" and
    .document.header.case_code == \"HW-0001\" and (.document.needs == [\"shelter\"])"
expect 0 op $CASEWORKER $DEST held show "$NEW2"
prints "$NEW2"
prints "HW-0001  ASSISTANCE_REQUEST to $ORIG  held"
prints "missing: no consent covers profile for agency $ORIG"
prints '"shelter"'
prints "case state"
audited $DEST HW-0001 read "held document $NEW2"
expect 1 op $AUDITOR $DEST held show "$NEW2"
says "reading a held document (case data: need to know) needs the role caseworker or supervisor"
[ ! -s "$T/stdout" ] || { show; fail "an auditor was shown something"; }
expect 2 hw $DEST held show 1234
says "a held id is 32 hex digits"

step "the consent releases the newest draft, never an older one"
expect 0 hw $DEST consent record HW-0001 --to $ORIG --steps all --categories all --method oral
prints "released 1 held message"
expect 0 hw $DEST held show "$NEW2" --json
json '.state == "released" and (.message_id | length == 32)'
MID=$(jq -r .message_id "$T/stdout")
expect 0 hw $DEST document show "$MID"
prints '"shelter"'
prints '"medical"'
for h in "$OLD" "$NEW"; do
	expect 0 hw $DEST held show "$h" --json
	json '.state == "cancelled" and .message_id == null'
done
[ "$(hw $DEST outbox --json | jq '[.messages[] | select(.msg_type == 1)] | length')" = 1 ] ||
    fail "more than the newest draft went: $(hw $DEST outbox)"

step "held cancel: gone from the worklist, audited by the reason's hash"
hw $DEST case open HW-0002 --sex male --age 29 >/dev/null
H2=$(hw $DEST request send HW-0002 --to $ORIG --file "$IN/draft2.json" --json | jq -r .held_id)
expect 0 hw $DEST worklist
prints "$H2"
expect 0 op $CASEWORKER $DEST held cancel "$H2" --reason "synthetic: plans changed"
prints "held document $H2 cancelled: it will not be sent"
expect 0 hw $DEST worklist
if grep -qF "$H2" "$T/stdout"; then show; fail "the worklist still shows $H2"; fi
audited $DEST HW-0002 cancel "held $H2 cancelled; reason sha256 $(tag "synthetic: plans changed")"
hw $DEST audit list HW-0002 --json | grep -q "plans changed" &&
    fail "the reason's words are in the audit log"
expect 1 hw $DEST held cancel "$H2"
says "$H2 is cancelled already: nothing to cancel"
expect 1 op $AUDITOR $DEST held cancel "$H2"
says "cancelling a held document needs the role caseworker or supervisor"

step "held show refused once the case is closed"
hw $DEST case open HW-0003 --sex male --age 31 >/dev/null
H3=$(hw $DEST request send HW-0003 --to $ORIG --file "$IN/draft3.json" --json | jq -r .held_id)
hw $DEST case close HW-0003 >/dev/null || fail "close HW-0003"
expect 1 hw $DEST held show "$H3"
says "case HW-0003 is closed: its held documents are no longer shown"

step "the safety exception: read, then approved by two supervisors with reasons"
hw $DEST case open HW-0004 --sex female --age 19 >/dev/null
expect 0 hw $DEST request send HW-0004 --to $ORIG --file "$IN/full4.json" \
    --safety-reason "synthetic imminent threat" --json
json '.state == "approval"'
H4=$(jq -r .held_id "$T/stdout")
# homewardd's own uid (the one running this script) is not a person.
expect 1 hw $DEST approve "$H4" --reason "synthetic: by the daemon's account"
says "is homewardd's own account, not a person: it never counts as a supervisor"
expect 0 hw $DEST held show "$H4" --json
json '.approved_by == null and .state == "approval"'
expect 2 op $SUP1 $DEST approve "$H4"
says "--reason is required"
expect 0 op $SUP1 $DEST held show "$H4"
prints "safety reason    synthetic imminent threat"
prints '"shelter"'
audited $DEST HW-0004 read "held document $H4"
expect 0 op $SUP1 $DEST approve "$H4" --reason "synthetic: first supervisor concurs"
prints "awaiting a second supervisor: held id $H4"
if grep -q "without reading" "$T/stdout"; then show; fail "SUP1 read it first"; fi
expect 1 op $SUP1 $DEST approve "$H4" --reason "synthetic: again"
says "$SUP1 approved it already: the safety exception needs a second, different supervisor"
expect 0 op $SUP2 $DEST held show "$H4"
prints "1st approval     $SUP1: synthetic: first supervisor concurs"
expect 0 op $SUP2 $DEST approve "$H4" --reason "synthetic: second supervisor concurs" --json
json '.step.state == "queued"'
expect 0 op $SUP2 $DEST held show "$H4" --json
json ".state == \"released\" and .safety_reason == \"synthetic imminent threat\" and
    .approved_by == \"$SUP1\" and .first_reason == \"synthetic: first supervisor concurs\" and
    .second_approved_by == \"$SUP2\" and .second_reason == \"synthetic: second supervisor concurs\""
audited $DEST HW-0004 approve "first approval of held $H4; reason sha256 $(tag "synthetic: first supervisor concurs")"
audited $DEST HW-0004 approve "second approval of held $H4; reason sha256 $(tag "synthetic: second supervisor concurs")"
hw $DEST audit list HW-0004 --json | grep -q "supervisor concurs" &&
    fail "an approval's words are in the audit log"
for f in "$T/$DEST.state"/data.db*; do
	if grep -qF "supervisor concurs" "$f"; then fail "an approval's reason is in clear in $f"; fi
done

step "approving without reading is allowed, and said"
hw $DEST case open HW-0005 --sex male --age 40 >/dev/null
H5=$(hw $DEST request send HW-0005 --to $ORIG --file "$IN/draft5.json" \
    --safety-reason "synthetic threat" --json | jq -r .held_id)
expect 0 op $SUP2 $DEST approve "$H5" --reason "synthetic: concur"
prints "you approved without reading it: \`homeward held show $H5\` shows the document and the reason"

step "ml-bamako answers the request received under the safety exception on that basis"
wait_for 20 has_case $ORIG HW-0004 || fail "ml-bamako never saw HW-0004"
expect 0 hw $ORIG request accept HW-0004 --met-by-agency ml-bamako --met-by-contact "duty officer"
prints "queued: message"
prints "sent under the partner's safety exception: no consent covers it"
answered() {
	hw $DEST alerts --json | jq -e '.alerts[] | select(.kind == "safety_exception" and
	    .case_code == "HW-0004" and (.detail | contains("assistance confirmation")))'
}
wait_for 20 answered || fail "ci-abidjan never got the answer: $(hw $DEST alerts)"

step "alerts ack: audited with the alert's number and kind"
ALERT=$(hw $DEST alerts --json | jq -r '[.alerts[] | select(.case_code == "HW-0004")][0].id')
expect 0 hw $DEST alerts ack "$ALERT"
audited $DEST HW-0004 alert.ack "alert $ALERT (safety_exception) acknowledged"

printf 'held.sh: %d checks passed\n' "$CHECKS"
