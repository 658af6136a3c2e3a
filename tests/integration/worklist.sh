#!/bin/sh
# What waits for an operator, between real daemons on 127.0.0.1
# (ci-abidjan refers, ml-bamako receives), through the real CLI in text and
# --json: `homeward worklist` in its sections (held for consent, awaiting a
# second supervisor, queued without a receipt, unanswered, overdue) on both
# sides of a case, with due times; `held`; `alerts` with their
# acknowledgement; deadlines of the request, the reintegration request and
# the arrival raising alerts (an alert_command that fails or is missing
# loses none); a no-show; closed cases and withdrawn consents leaving the
# worklist; an expired consent no longer counted in force; `audit list`
# and `audit verify --json`.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC                          # due times are printed in local time
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/worklist.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

AUDITOR=2921
SUPERVISOR2=2922
IN=$T/input
mkdir -p "$IN"
chmod 755 "$T"

# json FILTER: the last stdout satisfies the jq FILTER.
json() {
	jq -e "$1" "$T/stdout" >/dev/null || { show; fail "not true of the JSON: $1"; }
}
# section HEADING TEXT...: the worklist's section HEADING (last stdout) has
# a line with every TEXT.
section() {
	heading=$1
	shift
	awk -v h="$heading:" '$0 == h { on = 1; next } /^$/ { on = 0 } on' \
	    "$T/stdout" >"$T/section"
	for text in "$@"; do
		grep -F -- "$text" "$T/section" >"$T/section.next" ||
		    { show; fail "section $heading has no line with: $*"; }
		mv "$T/section.next" "$T/section"
	done
}
no_section() {
	if grep -qxF -- "$1:" "$T/stdout"; then show; fail "section $1 is shown"; fi
}
# work AGENCY: its worklist, text in $T/stdout.  work_json AGENCY: JSON.
work() { expect 0 hw "$1" worklist; }
work_json() { expect 0 hw "$1" worklist --json; }

thread_is() {  # thread_is AGENCY CODE FIELD VALUE
	[ "$(hw "$1" case show "$2" --json | jq -r ".case.threads[0].$3")" = "$4" ]
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
# alert_of AGENCY KIND CODE: that alert, unacknowledged, as JSON.
alert_of() {
	hw "$1" alerts --json |
	    jq -e ".alerts[] | select(.kind == \"$2\" and .case_code == \"$3\")"
}
out_id() {  # out_id AGENCY TYPE: the newest outbox message of TYPE
	hw "$1" outbox --json | jq -r "[.messages[] | select(.msg_type == $2)][0].message_id"
}
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# plan FILE DEPARTURE ARRIVAL (epoch seconds): an itinerary to Bamako.
plan() {
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(rfc3339 "$2")", "arrival": "$(rfc3339 "$3")" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "male", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "ml-bamako", "name": "Agency ml-bamako", "contact": "duty officer" } }
EOF
}
WAIVE="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"

# ci-abidjan's alert_command records each alert and fails; ml-bamako's
# does not exist.  Neither loses an alert.
cat >"$T/alert.sh" <<EOF
#!/bin/sh
env | grep '^HOMEWARD_' | sort >>"$T/alerts.out"
echo -- >>"$T/alerts.out"
exit 3
EOF
chmod 755 "$T/alert.sh"
proc() {  # proc ALERT_COMMAND: the [procedure] and [roles] of both agencies
	printf '[procedure]\ndeadline_check_ms = 200\narrival_grace_ms = 500\n'
	printf 'alert_command = %s\n[roles]\n%s = auditor\n%s = supervisor\n' \
	    "$1" $AUDITOR $SUPERVISOR2
}

step "two agencies: ci-abidjan refers, ml-bamako receives"
EXTRA_CONF=$(proc "$T/alert.sh") agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$(proc "$T/no-such-command") agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
# A request and a reintegration request saying what PROTOCOL.md 21.7 asks;
# the cases that send the request say the same of the person (a request
# contradicting its case is refused).
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req.json"
printf '{ "wanted": ["education"] }\n' >"$IN/reint.json"
printf 'opaque synthetic bytes\n' >"$IN/opaque"
chmod 644 "$IN"/*

step "nothing waits yet: said in text, empty in JSON"
for a in $DEST $ORIG; do
	work "$a"
	prints "nothing waiting"
	work_json "$a"
	json '.work == []'
	expect 0 hw "$a" held
	prints "no held messages"
	expect 0 hw "$a" held --json
	json '.held == []'
	expect 0 hw "$a" alerts
	prints "no unacknowledged alerts"
	expect 0 hw "$a" alerts --all
	prints "no alerts"
	expect 0 hw "$a" alerts --json
	json '.alerts == []'
done

step "held for consent, and awaiting a second supervisor"
hw $DEST case open TEST-0201 --sex male --age 30 >/dev/null
hw $DEST case open TEST-0202 --sex male --age 30 >/dev/null
HELD1=$(hw $DEST request send TEST-0201 --to $ORIG --file "$IN/req.json" \
    --reply-by 2030-01-15T12:00:00Z --json | jq -r .held_id)
HELD2=$(hw $DEST request send TEST-0202 --to $ORIG --file "$IN/req.json" \
    --safety-reason "synthetic imminent threat" --json | jq -r .held_id)
work $DEST
section "Held for consent" TEST-0201 $ORIG ASSISTANCE_REQUEST "no consent covers profile for agency $ORIG at step 1" "$HELD1"
section "Awaiting a second supervisor" TEST-0202 $ORIG ASSISTANCE_REQUEST \
    "safety exception: two different supervisors must approve" "$HELD2"
no_section "Queued (no receipt yet)"
work_json $DEST
json "[.work[] | [.kind, .case_code, .case_home, .peer, .msg_type_name, .id, .due]] ==
    [[\"held\", \"TEST-0201\", \"$DEST\", \"$ORIG\", \"ASSISTANCE_REQUEST\", \"$HELD1\", null],
     [\"approval\", \"TEST-0202\", \"$DEST\", \"$ORIG\", \"ASSISTANCE_REQUEST\", \"$HELD2\", null]]"
expect 0 as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" worklist --json
json '[.work[].kind] == ["held", "approval"]'
expect 0 hw $DEST held --json
json "[.held[] | [.held_id, .state, .case_code]] ==
    [[\"$HELD1\", \"held\", \"TEST-0201\"], [\"$HELD2\", \"approval\", \"TEST-0202\"]]"
expect 0 hw $DEST held TEST-0202
prints "$HELD2"
prints "two different supervisors must approve"
if grep -qF "$HELD1" "$T/stdout"; then show; fail "held TEST-0202 lists TEST-0201's"; fi
work $ORIG
prints "nothing waiting"

step "queued until the partner's receipt; a test document is not work"
agency_stop $ORIG
expect 0 hw $DEST consent record TEST-0201 --to $ORIG --steps all --categories all --method oral
prints "released 1 held message"
REQ1=$(out_id $DEST 1)
TESTDOC=$(hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/opaque" --json | jq -r .message_id)
work $DEST
no_section "Held for consent"
section "Queued (no receipt yet)" TEST-0201 $ORIG ASSISTANCE_REQUEST "sent, no receipt yet" "$REQ1"
section "Unanswered" TEST-0201 "the request for assistance awaits its answer, due 2030-01-15 12:00"
work_json $DEST
json "[.work[] | select(.kind == \"queued\") | .id] == [\"$REQ1\"]"
json ".work[] | select(.kind == \"unanswered\" and .case_code == \"TEST-0201\") |
    .due == \"2030-01-15T12:00:00Z\" and .id == null"
if grep -qF "$TESTDOC" "$T/stdout"; then show; fail "a test document is on the worklist"; fi
agency_start $ORIG
wait_for 30 all_acked $DEST || fail "the request was never receipted"
work $DEST
no_section "Queued (no receipt yet)"
section "Unanswered" TEST-0201 "awaits its answer"
wait_for 20 has_case $ORIG TEST-0201 || fail "ml-bamako never saw TEST-0201"
work $ORIG
section "Unanswered" TEST-0201 $DEST ASSISTANCE_REQUEST \
    "we must answer the request for assistance, due 2030-01-15 12:00"
work_json $ORIG
json "[.work[] | [.kind, .case_code, .case_home, .peer]] ==
    [[\"unanswered\", \"TEST-0201\", \"$DEST\", \"$DEST\"]]"

step "a request not answered in time: overdue on both sides, an alert on both"
hw $DEST case open TEST-0203 --sex male --age 30 >/dev/null
hw $DEST consent record TEST-0203 --to $ORIG --steps all --categories all --method oral >/dev/null
hw $DEST request send TEST-0203 --to $ORIG --file "$IN/req.json" \
    --reply-by $(($(date +%s) * 1000 + 1500)) >/dev/null || fail "request TEST-0203"
wait_for 20 has_case $ORIG TEST-0203 || fail "ml-bamako never saw TEST-0203"
wait_for 20 alert_of $DEST reply_overdue TEST-0203 || fail "no reply_overdue at ci-abidjan"
wait_for 20 alert_of $ORIG reply_overdue TEST-0203 || fail "no reply_overdue at ml-bamako"
alert_of $DEST reply_overdue TEST-0203 >"$T/stdout"
json ".urgent == false and .peer == \"$ORIG\" and
    (.detail | startswith(\"the answer to the request for assistance from $ORIG was due \"))"
alert_of $ORIG reply_overdue TEST-0203 >"$T/stdout"
json ".peer == \"$DEST\" and
    (.detail | startswith(\"the answer to the request for assistance to $DEST was due \"))"
work $DEST
section "Overdue" TEST-0203 $ORIG "the request for assistance awaits its answer, due"
section "Unanswered" TEST-0201
work $ORIG
section "Overdue" TEST-0203 "we must answer the request for assistance"
expect 0 hw $DEST alerts
prints "reply_overdue  case TEST-0203  $ORIG  the answer to the request for assistance"
prints "(acknowledge one with 'homeward alerts ack ID')"
ran() { grep -qxF "HOMEWARD_ALERT_CASE=TEST-0203" "$T/alerts.out"; }
wait_for 20 ran || fail "ci-abidjan's alert_command did not run"
grep -qxF "HOMEWARD_ALERT_KIND=reply_overdue" "$T/alerts.out" ||
    fail "alert_command: $(cat "$T/alerts.out")"
grep -qxF "HOMEWARD_ALERT_PEER=$ORIG" "$T/alerts.out" || fail "alert_command: no peer"
wait_for 20 grep -qF "alert_command exited with 3" "$T/$DEST.log" ||
    fail "a failing alert_command is not logged"
wait_for 20 grep -qF "alert_command $T/no-such-command: no such file or directory" \
    "$T/$ORIG.log" || fail "a missing alert_command is not logged"

step "the answer clears the request; a late reintegration request is overdue"
hw $ORIG request accept TEST-0201 --met-by-agency $ORIG \
    --met-by-contact "duty officer" >/dev/null || fail "accept TEST-0201"
wait_for 20 thread_is $DEST TEST-0201 request 2 || fail "the acceptance never arrived"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0201" and .kind != "queued")] == []'
hw $DEST reintegration request TEST-0201 --to $ORIG --file "$IN/reint.json" \
    --reply-by $(($(date +%s) * 1000 + 1500)) >/dev/null || fail "reintegration TEST-0201"
wait_for 20 thread_is $ORIG TEST-0201 reintegration 1 || fail "the reintegration request never arrived"
wait_for 20 alert_of $DEST reply_overdue TEST-0201 || fail "no reintegration reply_overdue"
alert_of $DEST reply_overdue TEST-0201 >"$T/stdout"
json '.detail | startswith("the answer to the reintegration request from ml-bamako was due ")'
work $DEST
section "Overdue" TEST-0201 REINTEGRATION_REQUEST "the reintegration request awaits its confirmation"
wait_for 20 alert_of $ORIG reply_overdue TEST-0201 || fail "no reintegration reply_overdue at ml-bamako"
work $ORIG
section "Overdue" TEST-0201 REINTEGRATION_REQUEST "we must confirm the reintegration request"
printf '{ "committed": [ { "kind": "psychosocial", "provider": "synthetic provider" } ] }\n' \
    >"$IN/reint-confirm.json"
chmod 644 "$IN/reint-confirm.json"
hw $ORIG reintegration confirm TEST-0201 --file "$IN/reint-confirm.json" >/dev/null ||
    fail "reintegration confirm"
work_json $ORIG
json '[.work[] | select(.case_code == "TEST-0201" and .kind != "queued")] == []'
wait_for 20 thread_is $DEST TEST-0201 reintegration 2 || fail "the confirmation never arrived"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0201" and .kind != "queued")] == []'

step "a departure: the arrival awaits its confirmation, then is confirmed"
NOW=$(date +%s)
# Departed an hour ago (a final notice says she left: PROTOCOL.md 21.8),
# arriving in 20 h.
plan "$IN/far.json" $((NOW - 3600)) $((NOW + 72000))
chmod 644 "$IN/far.json"
# shellcheck disable=SC2086
hw $DEST departure plan TEST-0201 --file "$IN/far.json" $WAIVE >/dev/null || fail "plan TEST-0201"
# shellcheck disable=SC2086
hw $DEST departure depart TEST-0201 --file "$IN/far.json" $WAIVE >/dev/null ||
    fail "depart TEST-0201"
DUE=$(rfc3339 $((NOW + 72000)) | sed 's/Z$/.500Z/')   # the arrival and its grace
work_json $DEST
json "[.work[] | select(.case_code == \"TEST-0201\" and .kind != \"queued\")] | length == 1 and
    (.[0] | .kind == \"unanswered\" and
    .msg_type_name == \"DEPARTURE_NOTIFICATION\" and .due == \"$DUE\" and
    .what == \"the arrival awaits its confirmation\")"
wait_for 20 thread_is $ORIG TEST-0201 departure 2 || fail "the departure never arrived"
work $ORIG
section "Unanswered" TEST-0201 DEPARTURE_NOTIFICATION "meet the person and confirm the arrival, due"
hw $ORIG arrival confirm TEST-0201 --met-by "duty officer" --met-by-agency $ORIG >/dev/null ||
    fail "arrival confirm"
work_json $ORIG
json '[.work[] | select(.case_code == "TEST-0201" and .kind != "queued")] == []'
wait_for 20 thread_is $DEST TEST-0201 arrival 1 || fail "the arrival never reached ci-abidjan"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0201" and .kind != "queued")] == []'

step "an arrival not confirmed in time is urgent; a no-show is an urgent alert"
hw $ORIG request accept TEST-0203 --met-by-agency $ORIG \
    --met-by-contact "duty officer" >/dev/null || fail "accept TEST-0203"
wait_for 20 thread_is $DEST TEST-0203 request 2 || fail "TEST-0203's acceptance"
NOW=$(date +%s)
plan "$IN/soon.json" $((NOW - 3600)) $((NOW + 1))
chmod 644 "$IN/soon.json"
# shellcheck disable=SC2086
hw $DEST departure plan TEST-0203 --file "$IN/soon.json" $WAIVE >/dev/null || fail "plan TEST-0203"
# shellcheck disable=SC2086
hw $DEST departure depart TEST-0203 --file "$IN/soon.json" $WAIVE >/dev/null ||
    fail "depart TEST-0203"
wait_for 20 alert_of $DEST arrival_overdue TEST-0203 || fail "no arrival_overdue alert"
alert_of $DEST arrival_overdue TEST-0203 >"$T/stdout"
json ".urgent == true and (.detail | contains(\"the person may be missing; call $ORIG now\"))"
work $DEST
section "Overdue" TEST-0203 DEPARTURE_NOTIFICATION "URGENT: her arrival is overdue: call $ORIG"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0203" and .kind != "queued") | .kind] == ["arrival_overdue"]'
expect 0 hw $DEST alerts
prints "URGENT arrival_overdue  case TEST-0203  $ORIG"
wait_for 20 thread_is $ORIG TEST-0203 departure 2 || fail "TEST-0203's departure"
expect 0 hw $ORIG arrival no-show TEST-0203 --next-steps "synthetic: family contacted"
wait_for 20 alert_of $DEST no_show TEST-0203 || fail "no no_show alert"
alert_of $DEST no_show TEST-0203 >"$T/stdout"
json ".urgent == true and (.detail | contains(\"$ORIG reports the person did not arrive\"))"
# A no-show stays on both worklists until a supervisor of each records
# what became of her (safety.sh plays that story through).
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0203" and .kind != "queued") | .kind] == ["no_show"]'
work_json $ORIG
json '[.work[] | select(.case_code == "TEST-0203" and .kind != "queued") | .kind] == ["no_show"]'
chmod 666 "$T"/*.sock
for a in $DEST $ORIG; do
	as $SUPERVISOR2 "$HWCLI" -s "$T/$a.sock" case outcome TEST-0203 \
	    --outcome located >/dev/null ||
	    fail "outcome TEST-0203 at $a"
done
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0203" and .kind != "queued")] == []'

step "alerts: limited, acknowledged one by one, then only in --all"
expect 0 hw $DEST alerts --limit 1 --json
json '.alerts | length == 1'
expect 0 hw $DEST alerts --json
N=$(jq '.alerts | length' "$T/stdout")
[ "$N" -ge 4 ] || { show; fail "ci-abidjan has $N alerts, wanted 4 or more"; }
for id in $(jq -r '.alerts[].id' "$T/stdout"); do
	expect 0 hw $DEST alerts ack "$id" --json
	json ".id == $id"
done
expect 0 hw $DEST alerts
prints "no unacknowledged alerts"
expect 0 hw $DEST alerts --all --json
json "(.alerts | length) == $N and ([.alerts[] | select(.acked_by != \"root\")] == [])"
expect 0 hw $DEST alerts --all
prints "(acknowledged "
prints " by root)"
hw $DEST audit list --json |
    jq -e "[.audit[] | select(.action == \"alert.ack\")] | length == $N" >/dev/null ||
    fail "the acknowledgements are not all audited: $(hw $DEST audit list --json | jq -c '[.audit[].action]')"

step "a withdrawn consent and a closed case leave the worklist"
hw $DEST case open TEST-0204 --sex male --age 30 >/dev/null
hw $DEST consent record TEST-0204 --to $ORIG --steps all --categories all --method oral >/dev/null
hw $DEST request send TEST-0204 --to $ORIG --file "$IN/req.json" >/dev/null
wait_for 20 has_case $ORIG TEST-0204 || fail "ml-bamako never saw TEST-0204"
work $DEST
section "Unanswered" TEST-0204 "the request for assistance awaits its answer"
hw $DEST consent withdraw TEST-0204 >/dev/null || fail "withdraw TEST-0204"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0204" and .kind != "queued")] == []'
hw $DEST case close TEST-0202 >/dev/null || fail "close TEST-0202"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0202")] == []'
hw $DEST case open TEST-0205 --sex male --age 30 >/dev/null
hw $DEST consent record TEST-0205 --to $ORIG --steps all --categories all --method oral >/dev/null
hw $DEST request send TEST-0205 --to $ORIG --file "$IN/req.json" >/dev/null
REQ5=$(out_id $DEST 1)
work $DEST
section "Unanswered" TEST-0205 "the request for assistance awaits its answer"
hw $DEST case close TEST-0205 >/dev/null || fail "close TEST-0205"
work_json $DEST
json '[.work[] | select(.case_code == "TEST-0205" and .kind != "queued")] == []'
# A closed case's documents are still shown until it is erased.
expect 0 hw $DEST document show "$REQ5" --json
json '.case_code == "TEST-0205" and .direction == "sent"'
expect 0 hw $DEST held --json
json '.held == []'
wait_for 30 all_acked $DEST || fail "the withdrawal was never receipted"
work $DEST
prints "nothing waiting"
wait_for 30 sh -c "$HWCLI -s $T/$ORIG.sock case list --state erased --json | jq -e '.cases[] | select(.code == \"TEST-0204\")'" ||
    fail "ml-bamako did not erase TEST-0204"
wait_for 30 all_acked $ORIG || fail "ml-bamako still waits for receipts"
work_json $ORIG
json '[.work[] | select(.case_code == "TEST-0204")] == []'

step "a consent that expires no longer counts as in force"
hw $DEST case open TEST-0206 --sex female --age 44 >/dev/null
hw $DEST consent record TEST-0206 --to $ORIG --steps all --categories all --method oral \
    --expires 2099-01-01T00:00:00Z >/dev/null || fail "consent TEST-0206 (lasting)"
hw $DEST consent record TEST-0206 --to $ORIG --steps 1 --categories profile --method oral \
    --expires $(($(date +%s) * 1000 + 4000)) >/dev/null || fail "consent TEST-0206 (brief)"
in_force() { [ "$(hw $DEST case show TEST-0206 --json | jq .case.consents)" = "$1" ]; }
in_force 2 || fail "two consents in force: $(hw $DEST case show TEST-0206 --json | jq .case)"
wait_for 20 in_force 1 || fail "the expired consent still counts"
expect 0 hw $DEST case list --json
json '.cases[] | select(.code == "TEST-0206") | .consents == 1'

step "the audit log: a page of it, one case's, and its verification"
expect 0 hw $DEST audit list --after 2 --limit 3 --json
json '[.audit[].seq] == [3, 4, 5]'
expect 0 hw $DEST audit list TEST-0203 --json
json '(.audit | length) > 0 and ([.audit[] | select(.case_code != "TEST-0203")] == [])'
expect 0 hw $DEST audit list TEST-0203
prints "SEQ"
prints "TEST-0203"
expect 0 as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" audit verify --json
json '.intact == true and .checked > 0 and .first_bad == null'
expect 0 hw $DEST audit verify
prints "audit log intact: "

# SIGTERM, not the trap's SIGKILL: a daemon that returns from main writes
# its coverage counters (make coverage).
for a in ci-abidjan ml-bamako; do agency_stop $a; done
echo "worklist: ok ($CHECKS checks)"
