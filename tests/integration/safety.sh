#!/bin/sh
# Her safety first (issue 10), played between real daemons on 127.0.0.1:
# ci-abidjan refers, ml-bamako and sn-dakar receive.  Each story goes
# through the real CLI as operators would:
#   - a withdrawal by the referring agency before departure: the partner
#     erases and confirms at once; a new consent reopens the case;
#   - a withdrawal by the referring agency while she travels, in a case
#     with two partners: urgent alerts on both sides, the arrival deadline
#     kept, the travel plan still readable, the arrival still confirmed,
#     then the erasure; the other partner's thread untouched;
#   - a withdrawal by the receiving agency while she travels: only that
#     thread is restricted, our case stays open, the arrival deadline
#     fires, the arrival is still confirmed under the withdrawn consent;
#   - a withdrawal after she arrived: no alarm, erasure at once;
#   - a consent revoked as recorded in error: the case stays open;
#   - a no-show through to its outcome: on both worklists, the urgent
#     alert repeating until a supervisor records what became of her;
#   - a delay with a new expected time: no alarm before it;
#   - a decline and a request for more information, seen at the
#     referring agency (alert, worklist, timeline).
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/safety.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

SUPERVISOR=2941
CASEWORKER=2942
IN=$T/input
mkdir -p "$IN"
chmod 755 "$T"

DEST=ci-abidjan
ORIG=ml-bamako
ORIG2=sn-dakar

# sup AGENCY ARGS...: the CLI as a supervisor (not the daemon's own uid).
sup() {
	agency=$1
	shift
	as $SUPERVISOR "$HWCLI" -s "$T/$agency.sock" "$@"
}
# field AGENCY CODE FILTER: jq FILTER of `case show CODE --json`.
field() { hw "$1" case show "$2" --json | jq -r "$3"; }
# thread AGENCY CODE PEER FIELD: a field of the case's thread with PEER.
thread() {
	hw "$1" case show "$2" --json |
	    jq -r ".case.threads[] | select(.peer == \"$3\") | .$4"
}
thread_is() { [ "$(thread "$1" "$2" "$3" "$4")" = "$5" ]; }
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
state_is() { [ "$(field "$1" "$2" .case.state 2>/dev/null)" = "$3" ]; }
# alerts_of AGENCY KIND CODE: how many alerts of KIND the case has.
alerts_of() {
	hw "$1" alerts --all --json |
	    jq "[.alerts[] | select(.kind == \"$2\" and .case_code == \"$3\")] | length"
}
alerted() { [ "$(alerts_of "$1" "$2" "$3")" -ge "${4:-1}" ]; }
alert_json() {
	hw "$1" alerts --all --json |
	    jq "[.alerts[] | select(.kind == \"$2\" and .case_code == \"$3\")][0]"
}
# work_kinds AGENCY CODE: the case's worklist kinds, queued left out.
work_kinds() {
	hw "$1" worklist --json |
	    jq -c "[.work[] | select(.case_code == \"$2\" and .kind != \"queued\") | .kind]"
}
work_is() { [ "$(work_kinds "$1" "$2")" = "$3" ]; }
# in_id AGENCY CODE TYPE: the newest document of TYPE received in the case.
in_id() {
	tid=$(hw "$1" case show "$2" --json | jq -r '.case.threads[0].thread_id')
	hw "$1" inbox --json | jq -r "[.messages[] | select(.thread_id == \"$tid\" and
	    .msg_type == $3)][0].message_id"
}
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# plan FILE DEPARTURE ARRIVAL PEER (epoch seconds): an itinerary.
plan() {
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(rfc3339 "$2")", "arrival": "$(rfc3339 "$3")" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "male", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "$4", "name": "Agency $4", "contact": "duty officer" } }
EOF
	chmod 644 "$1"
}
WAIVE="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"

# open_case CODE PEER...: a case with one consent per partner, a request
# to each, accepted by each.
open_case() {
	code=$1
	shift
	hw $DEST case open "$code" --sex male --age 30 >/dev/null || fail "open $code"
	for p in "$@"; do
		hw $DEST consent record "$code" --to "$p" --steps all --categories all \
		    --method oral >/dev/null || fail "consent $code $p"
		hw $DEST request send "$code" --to "$p" --file "$IN/request.json" \
		    >/dev/null || fail "request $code $p"
		wait_for 20 has_case "$p" "$code" || fail "$p never saw $code"
		hw "$p" request accept "$code" --met-by-agency "$p" \
		    --met-by-contact "duty officer" >/dev/null || fail "accept $code at $p"
		wait_for 20 thread_is $DEST "$code" "$p" request 2 ||
		    fail "$code: $p's acceptance never arrived"
	done
}
# depart CODE PEER ARRIVAL_IN_SECONDS: advance notice, then departed.
depart() {
	now=$(date +%s)
	plan "$IN/plan-$1.json" $((now - 1800)) $((now + $3)) "$2"
	# shellcheck disable=SC2086
	hw $DEST departure plan "$1" --to "$2" --file "$IN/plan-$1.json" $WAIVE \
	    >/dev/null || fail "plan $1"
	# shellcheck disable=SC2086
	hw $DEST departure depart "$1" --to "$2" --file "$IN/plan-$1.json" $WAIVE \
	    >/dev/null || fail "depart $1"
	wait_for 20 thread_is "$2" "$1" "$DEST" departure 2 ||
	    fail "$1: the departure never reached $2"
}
consent_of() {  # consent_of CODE PEER: the id of the consent naming PEER
	hw $DEST consent list "$1" --json |
	    jq -r ".consents[] | select(.scope.recipients == [\"$2\"]) | .consent_id"
}

proc() {
	printf '[procedure]\ndeadline_check_ms = 200\narrival_grace_ms = 500\n'
	printf 'urgent_repeat_ms = 1500\n%s[roles]\n%s = supervisor\n%s = caseworker\n' \
	    "${1:-}" $SUPERVISOR $CASEWORKER
}
# ci-abidjan's alert_command fails the first time it is run for an alert
# and succeeds the next: no alert may be lost.
{
	echo '#!/bin/sh'
	echo "log=$T/alerts.out"
	echo 'if grep -qx "failed $HOMEWARD_ALERT_ID" "$log" 2>/dev/null; then'
	echo '	echo "paged $HOMEWARD_ALERT_ID $HOMEWARD_ALERT_KIND" >>"$log"'
	echo '	exit 0'
	echo 'fi'
	echo 'echo "failed $HOMEWARD_ALERT_ID" >>"$log"'
	echo 'exit 1'
} >"$T/alert.sh"
chmod 755 "$T/alert.sh"

step "three agencies: ci-abidjan refers, ml-bamako and sn-dakar receive"
EXTRA_CONF=$(proc "alert_command = $T/alert.sh
") agency_new $DEST listen
TZONE=Africa/Bamako EXTRA_CONF=$(proc) agency_new $ORIG listen
TZONE=Africa/Dakar EXTRA_CONF=$(proc) agency_new $ORIG2 listen
for a in $DEST $ORIG $ORIG2; do agency_start $a; done
pair $DEST $ORIG
pair $DEST $ORIG2
chmod 666 "$T"/*.sock
wait_for 20 peer_connected $DEST $ORIG || fail "$ORIG never connected"
wait_for 20 peer_connected $DEST $ORIG2 || fail "$ORIG2 never connected"
cat >"$IN/request.json" <<'EOF'
{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 },
  "needs": [ "shelter", "psychosocial" ] }
EOF
chmod 644 "$IN"/*

step "a case code is a code number, never a name"
expect 1 hw $DEST case open Test.Person --sex male --age 30
says "that case code looks like a name: a case code is a code number"
if grep -qF "Test.Person" "$T/stderr" "$T/$DEST.log"; then fail "the name was repeated"; fi

step "withdrawn before departure: erased at once; a new consent reopens the case"
open_case SAFE-1 $ORIG
expect 0 hw $DEST consent withdraw SAFE-1
prints "1 consent(s) withdrawn; 1 partner agency told to restrict and erase"
prints "the case is restricted (a new consent reopens it)"
wait_for 20 state_is $ORIG SAFE-1 erased || fail "SAFE-1 not erased at $ORIG"
wait_for 20 thread_is $DEST SAFE-1 $ORIG erasure_confirmed true ||
    fail "SAFE-1: no erasure confirmation"
[ "$(alerts_of $DEST withdrawn_in_transit SAFE-1)" = 0 ] ||
    fail "an urgent alert for a person who is not travelling"
[ "$(alerts_of $ORIG consent_withdrawn SAFE-1)" = 1 ] ||
    fail "$ORIG was not told by an alert: $(hw $ORIG alerts)"
state_is $DEST SAFE-1 restricted || fail "SAFE-1 not restricted at $DEST"
hw $DEST consent record SAFE-1 --to $ORIG2 --steps all --categories all \
    --method oral >/dev/null || fail "a new consent after the withdrawal"
state_is $DEST SAFE-1 open || fail "SAFE-1 not reopened: $(field $DEST SAFE-1 .case.state)"
hw $DEST audit list SAFE-1 --json | jq -e '.audit[] | select(.action == "case.reopen")' \
    >/dev/null || fail "the reopening is not audited"

step "withdrawn while she travels (by us): her arrival stays awaited on both sides"
open_case SAFE-2 $ORIG $ORIG2
depart SAFE-2 $ORIG 3600
ARRIVAL=$(thread $DEST SAFE-2 $ORIG scheduled_arrival)
[ "$ARRIVAL" != null ] || fail "SAFE-2 has no scheduled arrival"
expect 0 hw $DEST consent withdraw SAFE-2 "$(consent_of SAFE-2 $ORIG)"
prints "URGENT: she is travelling: her arrival deadline stays armed"
alerted $DEST withdrawn_in_transit SAFE-2 || fail "no urgent alert at $DEST"
alert_json $DEST withdrawn_in_transit SAFE-2 >"$T/stdout"
jq -e '.urgent == true' "$T/stdout" >/dev/null || fail "not urgent at $DEST"
wait_for 20 alerted $ORIG withdrawn_in_transit SAFE-2 || fail "no urgent alert at $ORIG"
# The other partner's thread and our case: untouched.
state_is $DEST SAFE-2 open || fail "SAFE-2 is $(field $DEST SAFE-2 .case.state)"
thread_is $DEST SAFE-2 $ORIG2 withdrawn false || fail "$ORIG2's thread was withdrawn"
# The deadline is still armed on both sides, and the plan still readable.
thread_is $DEST SAFE-2 $ORIG scheduled_arrival "$ARRIVAL" || fail "deadline dropped at $DEST"
wait_for 20 thread_is $ORIG SAFE-2 $DEST withdrawn true || fail "not withdrawn at $ORIG"
thread_is $ORIG SAFE-2 $DEST scheduled_arrival "$ARRIVAL" || fail "deadline dropped at $ORIG"
thread_is $ORIG SAFE-2 $DEST safety_hold true || fail "no safety hold at $ORIG"
[ "$(work_kinds $ORIG SAFE-2)" = '["unanswered"]' ] ||
    fail "SAFE-2 left $ORIG's worklist: $(work_kinds $ORIG SAFE-2)"
expect 0 hw $ORIG document show "$(in_id $ORIG SAFE-2 5)"
prints "BKO"
state_is $ORIG SAFE-2 restricted || fail "SAFE-2 not restricted at $ORIG"
expect 1 hw $ORIG document show "$(in_id $ORIG SAFE-2 1)"
says "no longer shown"
# She arrives and is met: then, and only then, the partner erases.
hw $ORIG arrival confirm SAFE-2 --met-by "duty officer" --met-by-agency $ORIG \
    >/dev/null || fail "arrival after the withdrawal"
wait_for 20 thread_is $DEST SAFE-2 $ORIG arrival 1 || fail "the arrival never came"
wait_for 20 state_is $ORIG SAFE-2 erased || fail "SAFE-2 not erased at $ORIG after arrival"
wait_for 20 thread_is $DEST SAFE-2 $ORIG erasure_confirmed true ||
    fail "SAFE-2: no erasure confirmation"
state_is $DEST SAFE-2 open || fail "SAFE-2 at $DEST: $(field $DEST SAFE-2 .case.state)"

step "withdrawn while she travels (by the partner): only its thread, deadline fires"
open_case SAFE-3 $ORIG $ORIG2
depart SAFE-3 $ORIG 4
expect 0 hw $ORIG consent withdraw SAFE-3
prints "URGENT: she is travelling"
alerted $ORIG withdrawn_in_transit SAFE-3 || fail "no urgent alert at $ORIG"
wait_for 20 thread_is $DEST SAFE-3 $ORIG withdrawn true || fail "no withdrawal at $DEST"
alerted $DEST withdrawn_in_transit SAFE-3 || fail "no urgent alert at $DEST"
state_is $DEST SAFE-3 open || fail "our case SAFE-3 was restricted by the partner"
thread_is $DEST SAFE-3 $ORIG2 withdrawn false || fail "$ORIG2's thread was touched"
hw $DEST consent list SAFE-3 --json | jq -e '[.consents[] | select(.state == "in force")] |
    length == 2' >/dev/null || fail "the partner withdrew our consents: $(hw $DEST consent list SAFE-3)"
wait_for 20 alerted $DEST arrival_overdue SAFE-3 || fail "the arrival deadline did not fire"
wait_for 20 alerted $ORIG arrival_overdue SAFE-3 || fail "no arrival_overdue at $ORIG"
# Her arrival still goes, under the consent that covered it before.
hw $ORIG arrival confirm SAFE-3 --met-by "duty officer" --met-by-agency $ORIG \
    >/dev/null || fail "arrival confirmation after our own withdrawal"
wait_for 20 thread_is $DEST SAFE-3 $ORIG arrival 1 || fail "SAFE-3's arrival never came"
wait_for 20 thread_is $DEST SAFE-3 $ORIG erased true ||
    fail "what $ORIG sent was not erased at $DEST"
wait_for 20 thread_is $ORIG SAFE-3 $DEST erasure_confirmed true ||
    fail "$DEST did not confirm the erasure"
state_is $DEST SAFE-3 open || fail "SAFE-3 at $DEST is $(field $DEST SAFE-3 .case.state)"

step "withdrawn after she arrived: no alarm, erased at once"
open_case SAFE-4 $ORIG
depart SAFE-4 $ORIG 3600
hw $ORIG arrival confirm SAFE-4 --met-by "duty officer" --met-by-agency $ORIG \
    >/dev/null || fail "arrival SAFE-4"
wait_for 20 thread_is $DEST SAFE-4 $ORIG arrival 1 || fail "SAFE-4's arrival never came"
expect 0 hw $DEST consent withdraw SAFE-4
wait_for 20 state_is $ORIG SAFE-4 erased || fail "SAFE-4 not erased at $ORIG"
[ "$(alerts_of $DEST withdrawn_in_transit SAFE-4)" = 0 ] || fail "an alarm after her arrival"

step "a minor met on arrival is handed over to someone, and it is said to whom"
hw $DEST case open SAFE-10 --sex male --age 15 --minor >/dev/null || fail "open SAFE-10"
hw $DEST consent record SAFE-10 --to $ORIG --steps all --categories all --method oral \
    --guardian --child-consulted >/dev/null || fail "consent SAFE-10"
cat >"$IN/minor.json" <<'EOF'
{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 15, "minor": true },
  "needs": [ "shelter" ] }
EOF
chmod 644 "$IN/minor.json"
hw $DEST request send SAFE-10 --to $ORIG --file "$IN/minor.json" >/dev/null ||
    fail "request SAFE-10"
wait_for 20 has_case $ORIG SAFE-10 || fail "$ORIG never saw SAFE-10"
hw $ORIG request accept SAFE-10 --met-by-agency $ORIG --met-by-contact "duty officer" \
    >/dev/null || fail "accept SAFE-10"
wait_for 20 thread_is $DEST SAFE-10 $ORIG request 2 || fail "SAFE-10's acceptance"
depart SAFE-10 $ORIG 3600
expect 1 hw $ORIG arrival confirm SAFE-10 --met-by "duty officer" --met-by-agency $ORIG
says "case SAFE-10 is a minor's: say to whom she was handed over on arrival"
expect 0 hw $ORIG arrival confirm SAFE-10 --met-by "duty officer" --met-by-agency $ORIG \
    --handed-over-to child-protection
wait_for 20 thread_is $DEST SAFE-10 $ORIG arrival 1 || fail "SAFE-10's arrival"
expect 0 hw $DEST document show "$(in_id $DEST SAFE-10 6)"
prints "child_protection"

step "a consent recorded in error is revoked; the case stays open"
hw $DEST case open SAFE-5 --sex male --age 30 >/dev/null
hw $DEST consent record SAFE-5 --to $ORIG --steps all --categories all --method oral \
    >/dev/null
expect 2 hw $DEST consent withdraw SAFE-5 --recorded-in-error
says "--recorded-in-error revokes one consent"
expect 0 hw $DEST consent withdraw SAFE-5 "$(consent_of SAFE-5 $ORIG)" --recorded-in-error
prints "revoked as recorded in error"
state_is $DEST SAFE-5 open || fail "SAFE-5 restricted by a mistake"
[ "$(hw $DEST consent list SAFE-5 --json | jq -r '.consents[0].state')" = \
    "revoked (recorded in error)" ] || fail "consent list: $(hw $DEST consent list SAFE-5)"
hw $DEST audit list SAFE-5 --json | jq -e '.audit[] | select(.action ==
    "consent.withdraw") | .detail | contains("revoked: recorded in error")' \
    >/dev/null || fail "the revocation is not audited as a mistake"

step "a no-show: on both worklists, alarmed again and again until an outcome"
open_case SAFE-6 $ORIG
depart SAFE-6 $ORIG 3600
expect 0 hw $ORIG arrival no-show SAFE-6 --next-steps "synthetic: family contacted"
alerted $ORIG no_show SAFE-6 || fail "no no_show alert at $ORIG, who reported it"
wait_for 20 alerted $DEST no_show SAFE-6 || fail "no no_show alert at $DEST"
work_is $DEST SAFE-6 '["no_show"]' || fail "SAFE-6 at $DEST: $(work_kinds $DEST SAFE-6)"
work_is $ORIG SAFE-6 '["no_show"]' || fail "SAFE-6 at $ORIG: $(work_kinds $ORIG SAFE-6)"
expect 0 hw $DEST worklist
prints "URGENT: did not arrive, outcome not recorded"
wait_for 20 alerted $DEST no_show SAFE-6 2 || fail "the no-show alert did not repeat"
alert_json $DEST no_show SAFE-6 | jq -e '.urgent and (.detail | startswith("STILL UNSETTLED"))' \
    >/dev/null || fail "the repeat does not say it is still unsettled"
expect 1 as $CASEWORKER "$HWCLI" -s "$T/$DEST.sock" case outcome SAFE-6 --outcome located
says "recording what became of a person who did not arrive needs the role supervisor"
expect 2 sup $DEST case outcome SAFE-6
says "--outcome"
expect 1 sup $DEST case outcome SAFE-6 --outcome lost
says "the outcome is one of located, with_authorities, reported_missing, did_not_travel"
expect 0 sup $DEST case outcome SAFE-6 --outcome with_authorities
prints "outcome with_authorities recorded"
work_is $DEST SAFE-6 '[]' || fail "SAFE-6 still on $DEST's worklist"
work_is $ORIG SAFE-6 '["no_show"]' || fail "the outcome is $ORIG's to record too"
thread_is $DEST SAFE-6 $ORIG outcome with_authorities || fail "outcome not shown"
N=$(alerts_of $DEST no_show SAFE-6)
sleep 3         # three repeat intervals: nothing more may come
[ "$(alerts_of $DEST no_show SAFE-6)" = "$N" ] || fail "the alert repeats after the outcome"
expect 1 sup $DEST case outcome SAFE-6 --outcome located
says "awaits no outcome"
hw $DEST audit list SAFE-6 --json | jq -e '.audit[] | select(.action ==
    "arrival.outcome" and .detail == "arrival outcome recorded: with_authorities")' \
    >/dev/null || fail "the outcome is not audited"

step "a delay with its new time: no alarm before it"
open_case SAFE-7 $ORIG
depart SAFE-7 $ORIG 2
expect 2 hw $ORIG arrival delayed SAFE-7
says "--expected is required"
LATER=$(($(date +%s) + 7200))
expect 0 hw $ORIG arrival delayed SAFE-7 --expected "$(rfc3339 $LATER)" \
    --next-steps "synthetic: the flight was cancelled"
wait_for 20 thread_is $DEST SAFE-7 $ORIG arrival 3 || fail "the delay never came"
[ "$(thread $DEST SAFE-7 $ORIG scheduled_arrival)" = "$(rfc3339 $LATER)" ] ||
    fail "the deadline did not move: $(thread $DEST SAFE-7 $ORIG scheduled_arrival)"
sleep 3         # the first arrival time and its grace have passed
[ "$(alerts_of $DEST arrival_overdue SAFE-7)" = 0 ] || fail "alarmed for a known delay"
[ "$(alerts_of $ORIG arrival_overdue SAFE-7)" = 0 ] || fail "alarmed at $ORIG for a known delay"
hw $DEST case show SAFE-7 | grep -qF "arrival confirmation (delayed)" ||
    fail "the timeline does not say delayed"

step "a decline and a request for more information are seen where she was referred from"
hw $DEST case open SAFE-8 --sex male --age 30 >/dev/null
hw $DEST case open SAFE-9 --sex male --age 30 >/dev/null
for code in SAFE-8 SAFE-9; do
	hw $DEST consent record $code --to $ORIG --steps all --categories all \
	    --method oral >/dev/null
	hw $DEST request send $code --to $ORIG --file "$IN/request.json" >/dev/null
	wait_for 20 has_case $ORIG $code || fail "$ORIG never saw $code"
done
printf '{ "information_needed": [ "synthetic: the travel document" ] }\n' >"$IN/more.json"
chmod 644 "$IN/more.json"
hw $ORIG request decline SAFE-8 --reason "synthetic: no shelter place" >/dev/null ||
    fail "decline"
hw $ORIG request more-info SAFE-9 --file "$IN/more.json" >/dev/null || fail "more-info"
wait_for 20 alerted $DEST declined SAFE-8 || fail "no alert for the decline"
wait_for 20 alerted $DEST more_information SAFE-9 || fail "no alert for more information"
alert_json $DEST declined SAFE-8 | jq -e '.detail | contains("refer her elsewhere or close the case")' \
    >/dev/null || fail "the decline alert says no next step"
work_is $DEST SAFE-8 '["declined"]' || fail "SAFE-8: $(work_kinds $DEST SAFE-8)"
work_is $DEST SAFE-9 '["more_information"]' || fail "SAFE-9: $(work_kinds $DEST SAFE-9)"
expect 0 hw $DEST worklist
prints "Answered: decide what next"
hw $DEST case show SAFE-8 | grep -qF "assistance confirmation (declined)" ||
    fail "the timeline does not show the decision"
# Sending the request again with what was asked clears the item.
hw $DEST request send SAFE-9 --to $ORIG --file "$IN/request.json" >/dev/null ||
    fail "the request again"
work_is $DEST SAFE-9 '["unanswered"]' || fail "SAFE-9 after resending: $(work_kinds $DEST SAFE-9)"

step "every alert reached alert_command, retried after a failure"
all_paged() {
	for id in $(hw $DEST alerts --all --json | jq -r '.alerts[].id'); do
		grep -q "^paged $id " "$T/alerts.out" 2>/dev/null || return 1
	done
}
wait_for 60 all_paged || fail "alerts never paged: $(cat "$T/alerts.out")"
grep -q "^paged [0-9]* withdrawn_in_transit$" "$T/alerts.out" ||
    fail "the urgent withdrawal alert was not paged"
grep -qF "alert_command exited with 1 (signal 0); it runs again later" "$T/$DEST.log" ||
    fail "a failed alert_command is not logged"

echo "safety: ok ($CHECKS checks)"
