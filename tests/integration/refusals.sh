#!/bin/sh
# What homewardd refuses through the real CLI, between real daemons on
# 127.0.0.1 (ci-abidjan refers; ml-bamako and sn-dakar receive): every
# check asserts the exit status (1: the daemon refused) and the words of
# the refusal on stderr, and where a refusal could have changed something,
# that it did not (the case, its consents, held messages, timeline, the
# outbox and the audit log are as they were).
#   - operators without a role, or without the role a request needs (and
#     what an auditor may read: never a document or a consent's scope);
#   - unknown cases, held ids, consents, alerts, messages and peers;
#   - a case code two agencies use, without --home;
#   - steps refused before the gate: no partner or two, an unknown,
#     suspended or removed peer, waivers where they do not belong or by a
#     caseworker, an unknown travel rule, a plan that says too little
#     (PROTOCOL.md 21.7), a plan breaking the rules;
#   - closed, restricted and erased cases;
#   - the safety exception: the same supervisor twice, a suspended peer,
#     a document no longer held, a document the order rules now refuse;
#   - a withdrawal cancelling the documents it held;
#   - alerts acknowledged once;
#   - peers: our own bundle, a bad endpoint, another identity under a
#     known agency id, a wrong fingerprint, a removal with messages in
#     flight.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/refusals.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# Operators other than the daemon's own uid (which holds every role).
CASEWORKER=2911
AUDITOR=2912
SUPERVISOR2=2913
NOBODY=2914                     # in no [roles]
SUPERVISOR1=2915
IN=$T/input                     # files we give the CLI, readable by them all
mkdir -p "$IN"
chmod 755 "$T"

# op UID AGENCY ARGS...: the CLI as operator UID against AGENCY's daemon.
op() {
	uid=$1
	agency=$2
	shift 2
	as "$uid" "$HWCLI" -s "$T/$agency.sock" "$@"
}

# refused TEXT CMD...: exit 1, TEXT on stderr after "homeward: ", nothing
# on stdout.
refused() {
	text=$1
	shift
	expect 1 "$@"
	says "homeward: $text"
	[ ! -s "$T/stdout" ] || { show; fail "a refusal printed on stdout: $*"; }
}
# denied UID AGENCY WHAT ROLE ARGS...: refused for want of ROLE, naming
# where roles are given.
denied() {
	uid=$1
	agency=$2
	what=$3
	role=$4
	shift 4
	refused "$what needs the role $role; ask an administrator to add you under [roles] in $T/$agency.conf" \
	    op "$uid" "$agency" "$@"
}

# snap AGENCY CODE FILE: what a refusal must leave as it was: the case
# (state, threads, consents, held messages, timeline but for reads), the
# outbox's messages and the audit log but for reads.
snap() {
	hw "$1" case show "$2" --json >"$T/snap.case" &&
	    hw "$1" outbox --limit 10000 --json >"$T/snap.out" &&
	    hw "$1" audit list --limit 10000 --json >"$T/snap.audit" ||
	    fail "snapshot of $2 at $1"
	{
		jq -S '.timeline |= map(select(.action != "read"))' "$T/snap.case"
		jq -c '[.messages[].message_id]' "$T/snap.out"
		jq -c '[.audit[] | select(.action != "read") | [.seq, .action, .detail]]' \
		    "$T/snap.audit"
	} >"$3" || fail "snapshot of $2 at $1"
}
# unchanged AGENCY CODE FILE: as FILE recorded it.
unchanged() {
	snap "$1" "$2" "$T/snap.now"
	diff -u "$3" "$T/snap.now" >&2 || fail "a refusal changed case $2 at $1"
}

# field AGENCY CODE JQ [ARGS]: one field of `case show CODE ARGS --json`.
field() {
	agency=$1
	code=$2
	filter=$3
	shift 3
	hw "$agency" case show "$code" "$@" --json | jq -r "$filter"
}
# thread_is AGENCY CODE PEER FIELD VALUE: the case's thread with PEER.
thread_is() {
	[ "$(field "$1" "$2" ".case.threads[] | select(.peer == \"$3\") | .$4")" = "$5" ]
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
erased_at() {
	[ "$(hw "$1" case list --state erased --json |
	    jq -r ".cases[] | select(.code == \"$2\") | .state")" = erased ]
}
out_id() {  # out_id AGENCY TYPE: the newest outbox message of TYPE
	hw "$1" outbox --json | jq -r "[.messages[] | select(.msg_type == $2)][0].message_id"
}

PROC="[roles]
$CASEWORKER = caseworker
$AUDITOR = auditor
$SUPERVISOR1 = supervisor
$SUPERVISOR2 = supervisor"

step "three agencies: ci-abidjan refers, ml-bamako and sn-dakar receive"
EXTRA_CONF=$PROC agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new ml-bamako listen
TZONE=Africa/Dakar EXTRA_CONF=$PROC agency_new sn-dakar
for a in ci-abidjan ml-bamako sn-dakar; do agency_start $a; done
pair ci-abidjan ml-bamako
pair ci-abidjan sn-dakar
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
wait_for 20 peer_connected sn-dakar ci-abidjan || fail "sn-dakar never connected"
DEST=ci-abidjan
ORIG=ml-bamako
printf '{}\n' >"$IN/empty.json"
# A request saying what PROTOCOL.md 21.7 asks (the cases that send it say
# the same of the person: a request contradicting its case is refused),
# and a plan saying it too that arrives at night.
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req.json"
cat >"$IN/night.json" <<EOF
{ "legs": [ { "mode": "air", "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(date -u -d "next wednesday + 7 days 20:00" +%Y-%m-%dT%H:%M:%SZ)",
              "arrival": "$(date -u -d "next wednesday + 7 days 23:00" +%Y-%m-%dT%H:%M:%SZ)" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "met_by": { "agency_id": "ml-bamako", "contact": "duty officer" } }
EOF
printf 'opaque synthetic bytes\n' >"$IN/opaque"
cp "$T/$ORIG.bundle" "$IN/$ORIG.bundle"
chmod 644 "$IN"/*
DROP=$T/drop                    # where operators of other uids write files
mkdir -m 1777 "$DROP"
NOID=00112233445566778899aabbccddeeff   # no message, held document or consent

step "a case sent with consent: TEST-0001"
hw $DEST case open TEST-0001 --sex male --age 30 >/dev/null || fail "case open"
hw $DEST consent record TEST-0001 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent TEST-0001"
hw $DEST request send TEST-0001 --to $ORIG --file "$IN/req.json" >/dev/null ||
    fail "request TEST-0001"
wait_for 20 has_case $ORIG TEST-0001 || fail "ml-bamako never saw TEST-0001"
wait_for 20 all_acked $DEST || fail "the request was never receipted"
REQ1=$(out_id $DEST 1)

hw $DEST case open TEST-0006 --sex male --age 30 >/dev/null
hw $DEST request send TEST-0006 --to sn-dakar --file "$IN/req.json" >/dev/null ||
    fail "request TEST-0006"

step "an operator in no [roles] is refused everything, told which uid and file"
for cmd in status "case list" worklist "audit verify"; do
	# shellcheck disable=SC2086
	refused "uid $NOBODY has no role in $T/$DEST.conf" op $NOBODY $DEST $cmd
done

step "each request names the role it needs and where roles are given"
snap $DEST TEST-0001 "$T/snap.1"
denied $AUDITOR $DEST "opening a case" "caseworker or supervisor" case open TEST-0901
denied $CASEWORKER $DEST "closing a case" supervisor case close TEST-0001
denied $AUDITOR $DEST "recording consent" "caseworker or supervisor" \
    consent record TEST-0001 --to sn-dakar --steps all --categories all --method oral
denied $AUDITOR $DEST "withdrawing consent" "caseworker or supervisor" \
    consent withdraw TEST-0001
denied $AUDITOR $DEST "sending a document" "caseworker or supervisor" \
    request send TEST-0001 --to sn-dakar --file "$IN/req.json"
denied $CASEWORKER $DEST approving supervisor approve $NOID --reason "synthetic"
denied $AUDITOR $DEST "acknowledging an alert" "caseworker or supervisor" alerts ack 1
denied $CASEWORKER $DEST "verifying the audit log" "supervisor or auditor" audit verify
denied $CASEWORKER $DEST "reading the audit log" "supervisor or auditor" audit list
denied $AUDITOR $DEST "reading a document" "caseworker or supervisor" document show "$REQ1"
denied $AUDITOR $DEST "reading a document" "caseworker or supervisor" \
    outbox show "$REQ1" --body -
denied $CASEWORKER $DEST "exporting evidence" "supervisor or auditor" \
    evidence export "$REQ1" -o "$IN/evidence"
[ ! -e "$IN/evidence" ] || fail "evidence written after a refusal"
denied $AUDITOR $DEST sending "caseworker or supervisor" \
    send --to $ORIG --type 0x7f00 --file "$IN/opaque"
denied $CASEWORKER $DEST "importing a peer" supervisor \
    peers import "$IN/$ORIG.bundle" --fingerprint "$(fingerprint_of $ORIG)" --json
denied $CASEWORKER $DEST "changing a peer" supervisor peers suspend $ORIG
denied $CASEWORKER $DEST "changing the log level" supervisor log-level debug
unchanged $DEST TEST-0001 "$T/snap.1"
hw $DEST case list --json | jq -e '[.cases[].code] | index("TEST-0901") == null' >/dev/null ||
    fail "a refused case open left a case: $(hw $DEST case list)"
[ "$(hw $DEST peers --json | jq -r ".peers[] | select(.agency_id == \"$ORIG\") | .suspended")" = false ] ||
    fail "a caseworker suspended a peer"

step "what an auditor and a caseworker may read; an auditor sees no consent scope"
for cmd in "case show TEST-0001" "consent list TEST-0001" "held TEST-0001" worklist \
    alerts "audit verify" "audit list TEST-0001" "outbox show $REQ1"; do
	# shellcheck disable=SC2086
	expect 0 op $AUDITOR $DEST $cmd
done
expect 0 op $AUDITOR $DEST consent list TEST-0001 --json
jq -e '.consents | length == 1' "$T/stdout" >/dev/null || { show; fail "auditor: consents"; }
if grep -qF "$ORIG" "$T/stdout"; then show; fail "an auditor saw whom the consent names"; fi
expect 0 op $CASEWORKER $DEST consent list TEST-0001 --json
jq -e ".consents[0].scope.recipients == [\"$ORIG\"]" "$T/stdout" >/dev/null ||
    { show; fail "a caseworker does not see the consent's scope"; }
expect 0 op $CASEWORKER $DEST document show "$REQ1" --json
prints '"case_code": "TEST-0001"'
expect 0 op $CASEWORKER $DEST outbox show "$REQ1" --body -
[ -s "$T/stdout" ] || fail "outbox show --body - wrote no document"
hw $DEST audit list TEST-0001 --json |
    jq -e '[.audit[] | select(.action == "read" and .actor == "2911")] | length >= 2' \
    >/dev/null || fail "the caseworker's reads were not audited"
expect 0 op $AUDITOR $DEST evidence export "$REQ1" -o "$DROP/evidence.pb"
[ -s "$DROP/evidence.pb" ] || fail "the auditor's evidence export wrote nothing"
IN1=$(hw $ORIG inbox --json | jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')
expect 0 hw $ORIG inbox show "$IN1" --body "$DROP/request.pb"
expect 0 hw $DEST outbox show "$REQ1" --body "$DROP/sent.pb"
cmp -s "$DROP/request.pb" "$DROP/sent.pb" || fail "the document received is not the one sent"
expect 0 hw $DEST outbox --peer $ORIG --json
jq -e "[.messages[].peer] | unique == [\"$ORIG\"]" "$T/stdout" >/dev/null ||
    { show; fail "outbox --peer"; }

step "unknown cases, ids, consents, alerts, messages and peers: named, with where to look"
for cmd in "case show" "case close" "held" "consent list" "consent withdraw"; do
	# shellcheck disable=SC2086
	refused 'no case TEST-0404; `homeward case list` lists them' hw $DEST $cmd TEST-0404
done
refused 'no case TEST-0404; `homeward case list` lists them' \
    hw $DEST consent record TEST-0404 --to $ORIG --steps all --categories all --method oral
refused 'no case TEST-0404; `homeward case list` lists them' \
    hw $DEST request send TEST-0404 --to $ORIG --file "$IN/req.json"
refused "no held document $NOID; \`homeward held\` lists them" \
    hw $DEST approve $NOID --reason "synthetic"
refused "case TEST-0001 has no such consent in force" \
    hw $DEST consent withdraw TEST-0001 $NOID
refused 'no unacknowledged alert 999999; `homeward alerts` lists them' \
    hw $DEST alerts ack 999999
for cmd in "document show" "outbox show" "inbox show"; do
	# shellcheck disable=SC2086
	refused "no message $NOID" hw $DEST $cmd $NOID
done
refused "no message $NOID" hw $DEST evidence export $NOID -o "$IN/evidence"
[ ! -e "$IN/evidence" ] || fail "evidence written for no message"
for cmd in suspend resume remove; do
	refused 'no peer no-such-peer; `homeward peers` lists them' \
	    hw $DEST peers $cmd no-such-peer
done
refused 'no peer no-such-peer; `homeward peers` lists them' \
    hw $DEST peers verify no-such-peer --fingerprint "$(fingerprint_of $ORIG)"
refused 'no peer no-such-peer; `homeward peers` lists them' \
    hw $DEST send --to no-such-peer --type 0x7f00 --file "$IN/opaque"
refused 'no peer no-such-peer; `homeward peers` lists them' \
    hw $DEST request send TEST-0001 --to no-such-peer --file "$IN/req.json"
refused "no peer no-such-peer" hw $DEST outbox --peer no-such-peer
refused "unknown state bogus; outbox states: waiting, sealed, delivered, receipt" \
    hw $DEST outbox --state bogus
refused "unknown state bogus; inbox states: accepted, gap_held" \
    hw $DEST inbox --state bogus
refused "no such thread" \
    hw $DEST send --to $ORIG --type 0x7f00 --thread $NOID --file "$IN/opaque"
refused "send carries only opaque test documents (type 0x7f00); the procedure's documents go with \`homeward request send\`" \
    hw $DEST send --to $ORIG --type 1 --file "$IN/opaque"
unchanged $DEST TEST-0001 "$T/snap.1"

step "a document that is no case's is not shown as one"
TESTDOC=$(hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/opaque" --json | jq -r .message_id)
refused "message $TESTDOC is not a document of a case" hw $DEST document show "$TESTDOC"
wait_for 20 all_acked $DEST || fail "the test document was never receipted"

step "log levels: a supervisor changes it; a level the daemon does not know is a usage error"
expect 0 hw $DEST log-level debug
prints "log level debug"
expect 0 op $SUPERVISOR2 $DEST log-level info --json
jq -e '.level == "info"' "$T/stdout" >/dev/null || { show; fail "log-level --json"; }
expect 2 hw $DEST log-level verbose
says "the level is warn, info or debug"

step "a case code two agencies use needs --home"
hw $ORIG case open TEST-0001 --sex female --age 25 >/dev/null ||
    fail "ml-bamako cannot open its own TEST-0001"
hw $ORIG case list --json >"$T/cases.before"
AMBIG='case code TEST-0001 is used by two agencies; name the one you mean with --home AGENCY'
for cmd in "case show" "case close" "held" "consent list" "consent withdraw" \
    "request accept"; do
	# shellcheck disable=SC2086
	refused "$AMBIG" hw $ORIG $cmd TEST-0001
done
refused "$AMBIG" hw $ORIG consent record TEST-0001 --to $DEST --steps all \
    --categories all --method oral
refused 'no case TEST-0001 of sn-dakar; `homeward case list` lists them' \
    hw $ORIG case show TEST-0001 --home sn-dakar
hw $ORIG case list --json | diff -u "$T/cases.before" - >&2 ||
    fail "a refusal changed ml-bamako's cases"
[ "$(field $ORIG TEST-0001 .case.role --home $DEST)" = origin ] ||
    fail "--home ci-abidjan is not the referred case"
[ "$(field $ORIG TEST-0001 .case.role --home $ORIG)" = destination ] ||
    fail "--home ml-bamako is not ml-bamako's own case"
expect 0 hw $ORIG request accept TEST-0001 --home $DEST --met-by-agency $ORIG \
    --met-by-contact "duty officer" --json
jq -e '.state == "queued"' "$T/stdout" >/dev/null || { show; fail "accept with --home"; }
wait_for 20 thread_is $DEST TEST-0001 $ORIG request 2 ||
    fail "the acceptance never reached ci-abidjan"

step "steps refused before the gate: partners, waivers, travel rules, suspended peers"
hw $DEST case open TEST-0002 --sex male --age 30 >/dev/null
snap $DEST TEST-0002 "$T/snap.2"
refused "case TEST-0002 has no partner agency: name the recipient with --to AGENCY" \
    hw $DEST request send TEST-0002 --file "$IN/req.json"
refused "travel rules apply to departures only" \
    hw $DEST request send TEST-0002 --to $ORIG --file "$IN/req.json" \
    --waive daytime --waiver-reason "synthetic"
unchanged $DEST TEST-0002 "$T/snap.2"
wait_for 20 all_acked $DEST || fail "the acceptance's receipt"
snap $DEST TEST-0001 "$T/snap.1"
refused "unknown travel rule no-such-rule" \
    hw $DEST departure plan TEST-0001 --to $ORIG --file "$IN/night.json" \
    --waive no-such-rule --waiver-reason "synthetic"
refused "waiving a travel rule needs a supervisor" \
    op $CASEWORKER $DEST departure plan TEST-0001 --to $ORIG --file "$IN/night.json" \
    --waive daytime --waiver-reason "synthetic"
refused "a departure notification must say the itinerary (legs), where the person arrives (arrival_place) and who meets the person on arrival (met_by): add them to the document" \
    hw $DEST departure plan TEST-0001 --file "$IN/empty.json"
refused "the travel plan breaks the rules: arrives 23:00 " \
    hw $DEST departure plan TEST-0001 --file "$IN/night.json"
says "Change the plan, or a supervisor accepts the risk with --waive RULE --waiver-reason TEXT"
hw $DEST peers suspend $ORIG >/dev/null || fail "suspend"
refused "peer $ORIG is suspended or unverified" \
    hw $DEST reintegration request TEST-0001 --file "$IN/empty.json"
refused "peer $ORIG is suspended or unverified" \
    hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/opaque"
hw $DEST peers resume $ORIG >/dev/null || fail "resume"
unchanged $DEST TEST-0001 "$T/snap.1"
thread_is $DEST TEST-0001 $ORIG departure 0 || fail "a refused plan moved the thread"

step "a closed case takes nothing more, and what it held is cancelled"
hw $DEST case open TEST-0003 --sex male --age 30 >/dev/null
HELD3=$(hw $DEST request send TEST-0003 --to $ORIG --file "$IN/req.json" --json |
    jq -r .held_id)
expect 0 hw $DEST case close TEST-0003
prints "closed case TEST-0003"
[ "$(hw $DEST held TEST-0003 --json | jq '.held | length')" = 0 ] ||
    fail "a closed case still holds a document"
snap $DEST TEST-0003 "$T/snap.3"
refused "case TEST-0003 is closed already" hw $DEST case close TEST-0003
refused "case TEST-0003 is closed" hw $DEST consent record TEST-0003 --to $ORIG \
    --steps all --categories all --method oral
refused "case TEST-0003 is closed: nothing more is sent" \
    hw $DEST request send TEST-0003 --to $ORIG --file "$IN/req.json"
refused "$HELD3 is cancelled: nothing to approve" \
    hw $DEST approve "$HELD3" --reason "synthetic"
refused "case TEST-0003 has no such consent in force" hw $DEST consent withdraw TEST-0003
unchanged $DEST TEST-0003 "$T/snap.3"
[ "$(field $DEST TEST-0003 .case.state)" = closed ] || fail "TEST-0003 not closed"

step "the safety exception: not twice by one supervisor, not to a suspended peer"
hw $DEST case open TEST-0004 --sex male --age 30 >/dev/null
HELD4=$(hw $DEST request send TEST-0004 --to $ORIG --file "$IN/req.json" --json |
    jq -r .held_id)
# A document held for consent goes under the safety exception once a
# supervisor approves it, with the reason.
# homewardd's own uid is not a person: never a supervisor.
refused "uid $(id -u) is homewardd's own account, not a person: it never counts as a supervisor. Approve as your own user, named under [roles]" \
    hw $DEST approve "$HELD4" --reason "synthetic imminent threat"
expect 0 op $SUPERVISOR1 $DEST approve "$HELD4" --reason "synthetic imminent threat"
prints "awaiting a second supervisor: held id $HELD4"
hw $DEST held TEST-0004 --json | jq -e '.held[0] | .state == "approval" and .approved_by == "'$SUPERVISOR1'"' \
    >/dev/null || fail "first approval: $(hw $DEST held TEST-0004 --json)"
snap $DEST TEST-0004 "$T/snap.4"
refused "$SUPERVISOR1 approved it already: the safety exception needs a second, different supervisor" \
    op $SUPERVISOR1 $DEST approve "$HELD4" --reason "synthetic"
hw $DEST peers suspend $ORIG >/dev/null || fail "suspend"
refused "its peer is suspended or gone: it stays held" \
    op $SUPERVISOR2 $DEST approve "$HELD4" --reason "synthetic: concur"
hw $DEST peers resume $ORIG >/dev/null || fail "resume"
unchanged $DEST TEST-0004 "$T/snap.4"
expect 0 op $SUPERVISOR2 $DEST approve "$HELD4" --reason "synthetic: concur" --json
jq -e '.step.state == "queued" and .held_id == "'"$HELD4"'"' "$T/stdout" >/dev/null ||
    { show; fail "second approval"; }
refused "$HELD4 is released: nothing to approve" \
    op $SUPERVISOR2 $DEST approve "$HELD4" --reason "synthetic"
wait_for 20 has_case $ORIG TEST-0004 || fail "ml-bamako never saw TEST-0004"

step "a newer draft replaces the held one: the older is never approved or sent"
# Two drafts of one step to one partner: the newer (here under the safety
# exception) replaces the older, which the order rules would refuse once
# the newer went.  (The gate's own cancellation of a document the order
# rules refuse on release is now reached only by drafts held before
# drafts replaced each other.)
hw $DEST case open TEST-0007 --sex male --age 30 >/dev/null
HELD7=$(hw $DEST request send TEST-0007 --to $ORIG --file "$IN/req.json" --json |
    jq -r .held_id)
expect 0 hw $DEST request send TEST-0007 --to $ORIG --file "$IN/req.json" \
    --safety-reason "synthetic imminent threat"
prints "replaces held document $HELD7 (cancelled)"
SAFE7=$(hw $DEST held TEST-0007 --json | jq -r '.held[0].held_id')
[ "$(hw $DEST held TEST-0007 --json | jq '.held | length')" = 1 ] && [ "$SAFE7" != "$HELD7" ] ||
    fail "TEST-0007 holds: $(hw $DEST held TEST-0007)"
snap $DEST TEST-0007 "$T/snap.7"
refused "$HELD7 is cancelled: nothing to approve" \
    op $SUPERVISOR2 $DEST approve "$HELD7" --reason "synthetic: concur"
unchanged $DEST TEST-0007 "$T/snap.7"
op $SUPERVISOR1 $DEST approve "$SAFE7" --reason "synthetic: concur" >/dev/null ||
    fail "the first approval of TEST-0007"
op $SUPERVISOR2 $DEST approve "$SAFE7" --reason "synthetic: concur" >/dev/null ||
    fail "the second approval of TEST-0007"
# A consent recorded now releases nothing: the older draft is gone.
expect 0 hw $DEST consent record TEST-0007 --to $ORIG --steps all --categories all \
    --method oral
prints "released 0 held messages"
hw $DEST audit list TEST-0007 --json | jq -e '.audit[] | select(.action == "cancel") |
    .detail == "held '"$HELD7"' replaced by held '"$SAFE7"'"' \
    >/dev/null || fail "the replacement is not audited: $(hw $DEST audit list TEST-0007)"
TID7=$(field $DEST TEST-0007 '.case.threads[0].thread_id')
[ "$(hw $DEST outbox --json | jq "[.messages[] | select(.thread_id == \"$TID7\")] | length")" = 1 ] ||
    fail "the replaced draft was queued: $(hw $DEST outbox)"

step "a withdrawal cancels what it held, and safety exceptions awaiting approval"
hw $DEST case open TEST-0009 --sex male --age 30 >/dev/null
hw $DEST consent record TEST-0009 --to $ORIG --steps all --categories profile \
    --method oral >/dev/null || fail "consent TEST-0009"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 }, "needs": ["shelter"], "identity": { "full_name": "Test Person Nine" } }\n' \
    >"$IN/identity.json"
chmod 644 "$IN/identity.json"
expect 0 hw $DEST request send TEST-0009 --to $ORIG --file "$IN/identity.json" --json
jq -e '.state == "held" and (.missing | contains("identity"))' "$T/stdout" >/dev/null ||
    { show; fail "TEST-0009's request not held for identity"; }
SAFE9=$(hw $DEST request send TEST-0009 --to sn-dakar --file "$IN/req.json" \
    --safety-reason "synthetic imminent threat" --json | jq -r .held_id)
expect 0 hw $DEST consent withdraw TEST-0009
prints "1 consent(s) withdrawn; 0 partner agencies told to restrict and erase the case; 0 queued document(s) cancelled; the case is restricted (a new consent reopens it)"
[ "$(field $DEST TEST-0009 .case.state)" = restricted ] || fail "TEST-0009 not restricted"
hw $DEST held TEST-0009 --json | jq -e '.held == []' >/dev/null ||
    fail "held after the withdrawal: $(hw $DEST held TEST-0009)"
hw $DEST audit list TEST-0009 --json | jq -e --arg s "$SAFE9" '[.audit[] |
    select(.action == "cancel") | .detail] | length == 2 and
    any(. == "held document \($s) cancelled: consent withdrawn")' >/dev/null ||
    fail "the cancellations are not audited"
snap $DEST TEST-0009 "$T/snap.9"
refused "$SAFE9 is cancelled: nothing to approve" \
    op $SUPERVISOR2 $DEST approve "$SAFE9" --reason "synthetic: concur"
unchanged $DEST TEST-0009 "$T/snap.9"

step "an alert is acknowledged once, by someone with the role"
safety_alert() {
	hw $ORIG alerts --json | jq -e '.alerts[] | select(.kind == "safety_exception" and .case_code == "TEST-0004")'
}
wait_for 20 safety_alert || fail "no safety_exception alert at ml-bamako"
ALERT=$(safety_alert | jq -r .id)
denied $AUDITOR $ORIG "acknowledging an alert" "caseworker or supervisor" alerts ack "$ALERT"
expect 0 op $CASEWORKER $ORIG alerts ack "$ALERT"
prints "acknowledged alert $ALERT"
refused "no unacknowledged alert $ALERT; \`homeward alerts\` lists them" \
    hw $ORIG alerts ack "$ALERT"
if safety_alert >/dev/null; then fail "an acknowledged alert is still listed"; fi
hw $ORIG alerts --all --json |
    jq -e ".alerts[] | select(.id == $ALERT) | .acked_by == \"2911\"" >/dev/null ||
    fail "alerts --all: $(hw $ORIG alerts --all --json)"

step "withdrawn consent: the thread, the restricted case and the partner's erased one"
hw $DEST case open TEST-0005 --sex male --age 30 >/dev/null
CONSENT_ML=$(hw $DEST consent record TEST-0005 --to $ORIG --steps all --categories all \
    --method oral --json | jq -r .consent.consent_id)
hw $DEST consent record TEST-0005 --to sn-dakar --steps all --categories all \
    --method oral >/dev/null || fail "consent sn-dakar"
hw $DEST request send TEST-0005 --to $ORIG --file "$IN/req.json" >/dev/null
hw $DEST request send TEST-0005 --to sn-dakar --file "$IN/req.json" >/dev/null
REQ5=$(out_id $DEST 1)
wait_for 20 has_case $ORIG TEST-0005 || fail "ml-bamako never saw TEST-0005"
wait_for 20 has_case sn-dakar TEST-0005 || fail "sn-dakar never saw TEST-0005"
wait_for 20 all_acked $DEST || fail "TEST-0005's requests were never receipted"
refused "case TEST-0005 has more than one partner agency: name the recipient with --to AGENCY" \
    hw $DEST departure plan TEST-0005 --file "$IN/empty.json"
expect 0 hw $DEST consent withdraw TEST-0005 "$CONSENT_ML"
prints "1 consent(s) withdrawn; 1 partner agency told to restrict and erase the case"
refused "case TEST-0005 has no such consent in force" \
    hw $DEST consent withdraw TEST-0005 "$CONSENT_ML"
refused "consent for $ORIG was withdrawn in case TEST-0005" \
    hw $DEST departure plan TEST-0005 --to $ORIG --file "$IN/empty.json"
wait_for 30 erased_at $ORIG TEST-0005 || fail "ml-bamako did not erase TEST-0005"
snap $ORIG TEST-0005 "$T/snap.5o"
refused "case TEST-0005 is erased: nothing more is sent" \
    hw $ORIG request accept TEST-0005 --met-by-agency $ORIG
refused "case TEST-0005 is erased" hw $ORIG consent withdraw TEST-0005
refused "case TEST-0005 is erased" hw $ORIG consent record TEST-0005 --to $DEST \
    --steps all --categories all --method oral
refused "case TEST-0005 is erased already" hw $ORIG case close TEST-0005
unchanged $ORIG TEST-0005 "$T/snap.5o"
expect 0 hw $ORIG case show TEST-0005 --json
jq -e '.case.state == "erased" and .consents == [] and .held == []' "$T/stdout" >/dev/null ||
    { show; fail "an erased case shows its consents or held documents"; }
TID5=$(field $ORIG TEST-0005 '.case.threads[0].thread_id')
IN5=$(hw $ORIG inbox --json |
    jq -r ".messages[] | select(.thread_id == \"$TID5\" and .msg_type == 1) | .message_id")
[ -n "$IN5" ] || fail "no request of TEST-0005 in ml-bamako's inbox"
refused "case TEST-0005 is erased: its documents are no longer shown" \
    hw $ORIG document show "$IN5"
expect 0 hw $DEST consent withdraw TEST-0005
[ "$(field $DEST TEST-0005 .case.state)" = restricted ] || fail "TEST-0005 not restricted"
# sn-dakar erases and confirms; its confirmation, and our receipt for it,
# must not land between the two snapshots.
confirmed5() {
	c=$(hw $DEST inbox --json | jq -r --arg t "$(field $DEST TEST-0005 \
	    '.case.threads[] | select(.peer == "sn-dakar") | .thread_id')" \
	    '[.messages[] | select(.thread_id == $t and .msg_type == 258)][0].message_id // empty')
	[ -n "$c" ] && hw $DEST outbox --limit 10000 --json |
	    jq -e --arg c "$c" '[.messages[] | select(.in_reply_to == $c)] | length == 1' >/dev/null
}
wait_for 30 erased_at sn-dakar TEST-0005 || fail "sn-dakar did not erase TEST-0005"
wait_for 30 confirmed5 || fail "sn-dakar's erasure confirmation never reached $DEST"
snap $DEST TEST-0005 "$T/snap.5"
refused "case TEST-0005 is restricted: nothing more is sent" \
    hw $DEST departure plan TEST-0005 --to sn-dakar --file "$IN/empty.json"
refused "case TEST-0005 is restricted: its documents are no longer shown" \
    hw $DEST document show "$REQ5"
unchanged $DEST TEST-0005 "$T/snap.5"
# Her new consent reopens it (safety.sh plays the rest of that story).
hw $DEST consent record TEST-0005 --to sn-dakar --steps all --categories all \
    --method oral >/dev/null || fail "a new consent after the withdrawal"
[ "$(field $DEST TEST-0005 .case.state)" = open ] || fail "TEST-0005 not reopened"

step "peers: our own bundle, a bad endpoint, another identity, a wrong fingerprint"
peers_now() {
	hw $DEST peers --json |
	    jq -S '[.peers[] | {agency_id, fingerprint, endpoint, verified, suspended}]'
}
peers_now >"$T/peers.before"
expect 1 hw $DEST peers import "$T/$DEST.bundle" --fingerprint "$(fingerprint_of $DEST)"
says "homeward: this is our own agency's bundle"
for ep in 127.0.0.1:0 host:port; do
	expect 1 hw $DEST peers import "$T/$ORIG.bundle" --fingerprint "$(fingerprint_of $ORIG)" \
	    --endpoint "$ep"
	says "homeward: endpoint must be host:port"
done
mkdir "$T/other"
# Another key set under the same agency id, made where its files do not
# clash with the real ml-bamako's.
(T=$T/other; agency_new $ORIG) || fail "a second key set for ml-bamako"
OTHER_FP=$("$KEYS" fingerprint --dir "$T/other/$ORIG" --json | jq -r .fingerprint)
expect 1 hw $DEST peers import "$T/other/$ORIG.bundle" --fingerprint "$OTHER_FP"
says "homeward: agency $ORIG is already pinned to another identity; a new root key needs a transition, or remove the peer first"
refused "the confirmed fingerprint does not match $ORIG's" \
    hw $DEST peers verify $ORIG --fingerprint "$OTHER_FP"
peers_now | diff -u "$T/peers.before" - >&2 || fail "a refused import changed the peers"
expect 0 hw $DEST peers verify $ORIG --fingerprint "$(fingerprint_of $ORIG)"
EP=127.0.0.1:$(port_of $ORIG)
expect 0 hw $DEST peers import "$T/$ORIG.bundle" --fingerprint "$(fingerprint_of $ORIG)" \
    --endpoint "$EP" --json
[ "$(hw $DEST peers --json | jq -r ".peers[] | select(.agency_id == \"$ORIG\") | [.endpoint, .verified] | @tsv")" = \
    "$EP	true" ] || fail "re-import with --endpoint: $(hw $DEST peers)"

step "a peer with messages in flight is not removed"
wait_for 30 all_acked $DEST || fail "TEST-0005's withdrawal was never receipted"
agency_stop sn-dakar
hw $DEST send --to sn-dakar --type 0x7f00 --file "$IN/opaque" >/dev/null ||
    fail "send to sn-dakar"
refused "sn-dakar has 1 message(s) without a receipt; suspend it instead" \
    hw $DEST peers remove sn-dakar
peers_now | diff -u "$T/peers.before" - >&2 || fail "a refused removal changed the peers"
agency_start sn-dakar
wait_for 30 all_acked $DEST || fail "the message to sn-dakar was never receipted"
expect 0 hw $DEST peers remove sn-dakar
if hw $DEST peers --json | jq -e '.peers[] | select(.agency_id == "sn-dakar")' >/dev/null; then
	fail "sn-dakar still a peer after its removal"
fi
refused "the partner of case TEST-0006 is no longer a peer" \
    hw $DEST request send TEST-0006 --file "$IN/req.json"
refused 'no peer sn-dakar; `homeward peers` lists them' \
    hw $DEST request send TEST-0006 --to sn-dakar --file "$IN/req.json"

# SIGTERM, not the trap's SIGKILL: a daemon that returns from main writes
# its coverage counters (make coverage).
for a in ci-abidjan ml-bamako sn-dakar; do agency_stop $a; done
echo "refusals: ok ($CHECKS checks)"
