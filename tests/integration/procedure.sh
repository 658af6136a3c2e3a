#!/bin/sh
# The referral procedure between real daemons on 127.0.0.1: a destination
# office (ci-abidjan) and two origin partners (ml-bamako, sn-dakar).
#   - one case through all six steps, the request held for lack of consent
#     and released when consent is recorded; a consent for sn-dakar never
#     releases to ml-bamako; health held until the consent includes it;
#   - every out-of-order step refused, naming the missing step; an expired
#     or withdrawn consent holds;
#   - travel plans arriving at night, on a weekend, or with a girl escorted
#     by a man refused; a supervisor's waiver accepted and recorded;
#   - an operator without the role refused; the safety exception needs two
#     different supervisors;
#   - withdrawal reaching two partners, both erasure confirmations back,
#     the erased case's key gone from keystore.db and its WAL;
#   - a reply-by and an arrival deadline raising alerts across a restart,
#     passed to alert_command;
#   - a closed case erased after retention; an edited audit log detected;
#   - a canary name planted in a document appears in no log and no file
#     the daemons wrote (only inside encrypted columns).
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/procedure.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# Operators other than the daemon's own uid (which holds every role).
AUDITOR=2901
SUPERVISOR2=2902
SUPERVISOR1=2903
CANARY="Zyxqwv Canarybird"
IN=$T/input                     # documents we write: not the daemons' files
mkdir -p "$IN"
chmod 755 "$T"

cat >"$T/alert.sh" <<EOF
#!/bin/sh
env | grep '^HOMEWARD_ALERT_' | sort >>"$T/alerts.out"
echo -- >>"$T/alerts.out"
EOF
chmod 755 "$T/alert.sh"

PROC="[procedure]
deadline_check_ms = 200
arrival_grace_ms = 500
retention_ms = 1500
alert_command = $T/alert.sh
[roles]
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

step "a case: the request is held for lack of consent"
hw $DEST case open CI-0001 --sex female --age 16 --minor >/dev/null ||
    fail "case open"
if hw $DEST case open CI-0001 >/dev/null 2>&1; then fail "a second CI-0001 opened"; fi
cat >"$IN/request.json" <<EOF
{ "scenario": "police_or_ngo",
  "profile": { "sex": "female", "age": 16, "minor": true, "nationality": "ML",
               "languages": ["bm"], "interpreter_needed": true },
  "needs": ["shelter", "psychosocial", "family_tracing"],
  "security": { "risk": "medium", "trafficker_aware": true },
  "identity": { "full_name": "$CANARY" } }
EOF
hw $DEST request send CI-0001 --to $ORIG --file "$IN/request.json" --json >"$T/out" ||
    fail "request send: $(cat "$T/out")"
[ "$(jq -r .state "$T/out")" = held ] || fail "request not held: $(cat "$T/out")"
jq -r .missing "$T/out" | grep -q "no consent" || fail "missing: $(jq -r .missing "$T/out")"
[ "$(hw $DEST held CI-0001 --json | jq '.held | length')" = 1 ] || fail "held list"

step "a consent for sn-dakar does not release to ml-bamako"
hw $DEST consent record CI-0001 --to sn-dakar --steps all --categories all \
    --method oral --guardian --child-consulted >"$T/out" || fail "consent sn-dakar: $(cat "$T/out")"
[ "$(hw $DEST held CI-0001 --json | jq '.held | length')" = 1 ] || fail "released to the wrong agency"
hw $DEST held CI-0001 --json | jq -r '.held[0].missing' | grep -q ml-bamako ||
    fail "missing does not name ml-bamako"

step "a minor's consent needs a guardian; identity missing keeps it held"
printf 'scan of a signed consent form (synthetic)\n' >"$IN/form.pdf"
if hw $DEST consent record CI-0001 --to $ORIG --steps all \
    --categories profile,security --method written --form "$IN/form.pdf" >"$T/out" 2>&1; then
	fail "a minor's consent without a guardian was recorded"
fi
grep -q guardian "$T/out" || fail "unclear refusal: $(cat "$T/out")"
hw $DEST consent record CI-0001 --to $ORIG --steps all --categories profile,security \
    --method written --form "$IN/form.pdf" --guardian --child-consulted >"$T/out" ||
    fail "consent: $(cat "$T/out")"
[ "$(hw $DEST held CI-0001 --json | jq '.held | length')" = 1 ] || fail "released without identity"
hw $DEST held CI-0001 --json | jq -r '.held[0].missing' | grep -q identity ||
    fail "missing does not name identity: $(hw $DEST held CI-0001 --json)"

step "a consent covering identity releases the request at once"
hw $DEST consent record CI-0001 --to $ORIG --steps all \
    --categories identity,profile,security,travel,reintegration \
    --method written --form "$IN/form.pdf" --guardian --child-consulted >"$T/out" ||
    fail "consent: $(cat "$T/out")"
[ "$(hw $DEST held CI-0001 --json | jq '.held | length')" = 0 ] || fail "still held"
case_state() { hw "$1" case show "$2" --json | jq -r ".case.threads[0].$3"; }
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$ORIG.sock case list --json | jq '.cases | length')\" = 1 ]" ||
    fail "ml-bamako never saw the case"
[ "$(hw $ORIG case list --json | jq -r '.cases[0].role')" = origin ] || fail "origin role"

step "out-of-order steps are refused, naming the missing step"
hw $DEST case open CI-0002 --sex male --age 30 >/dev/null
printf '{}\n' >"$IN/empty.json"
# req SEX AGE: the file of a request saying what PROTOCOL.md 21.7 asks.
req() {
	printf '{ "scenario": "police_or_ngo", "profile": { "sex": "%s", "age": %s }, "needs": ["shelter"] }\n' \
	    "$1" "$2" >"$IN/req-$1-$2.json"
	echo "$IN/req-$1-$2.json"
}
if hw $DEST reintegration request CI-0002 --to $ORIG --file "$IN/empty.json" >"$T/out" 2>&1; then
	fail "a reintegration request before any request was accepted"
fi
grep -qi "request for assistance" "$T/out" || fail "unclear: $(cat "$T/out")"
if hw $DEST departure plan CI-0002 --to $ORIG --file "$IN/empty.json" >"$T/out" 2>&1; then
	fail "a departure before any request was accepted"
fi
if hw $ORIG arrival confirm CI-0001 >"$T/out" 2>&1; then
	fail "an arrival confirmed before any departure"
fi
grep -q "is missing" "$T/out" || fail "unclear: $(cat "$T/out")"
if hw $DEST request send CI-0001 --to $ORIG --file "$IN/request.json" >"$T/out" 2>&1; then
	fail "a second request while the first is pending"
fi

step "an expired consent, and a withdrawn one, hold"
hw $DEST case open CI-0007 --sex male --age 33 >/dev/null
hw $DEST consent record CI-0007 --to $ORIG --steps all --categories all --method oral \
    --expires $(($(date +%s) * 1000 + 1000)) >/dev/null || fail "consent CI-0007"
sleep 1.2
hw $DEST request send CI-0007 --to $ORIG --file "$(req male 33)" --json >"$T/out" ||
    fail "request CI-0007"
[ "$(jq -r .state "$T/out")" = held ] || fail "sent under an expired consent"
jq -r .missing "$T/out" | grep -q expired || fail "missing: $(jq -r .missing "$T/out")"
hw $DEST case open CI-0008 --sex male --age 33 >/dev/null
hw $DEST consent record CI-0008 --to $ORIG --steps 2 --categories all --method oral >/dev/null
hw $DEST consent withdraw CI-0008 >/dev/null || fail "withdraw CI-0008"
if hw $DEST request send CI-0008 --to $ORIG --file "$(req male 33)" >"$T/out" 2>&1; then
	grep -q held "$T/out" || fail "sent under a withdrawn consent: $(cat "$T/out")"
fi

step "ml-bamako accepts; the reintegration request is held for health"
hw $ORIG request accept CI-0001 --met-by-agency ml-bamako \
    --met-by-contact "duty officer" >"$T/out" || fail "accept: $(cat "$T/out")"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock case show CI-0001 --json | jq -r '.case.threads[] | select(.peer == \"$ORIG\") | .request')\" = 2 ]" ||
    fail "the acceptance never reached ci-abidjan"
cat >"$IN/reint.json" <<EOF
{ "wanted": ["medical", "psychosocial", "education"],
  "assessment": "synthetic assessment",
  "health": { "discharge_summary": "synthetic discharge summary" } }
EOF
hw $DEST reintegration request CI-0001 --to $ORIG --file "$IN/reint.json" --json >"$T/out" ||
    fail "reintegration: $(cat "$T/out")"
[ "$(jq -r .state "$T/out")" = held ] || fail "health not held: $(cat "$T/out")"
jq -r .missing "$T/out" | grep -q health || fail "missing: $(jq -r .missing "$T/out")"
hw $DEST consent record CI-0001 --to $ORIG --steps all --categories all \
    --method written --form "$IN/form.pdf" --guardian --child-consulted >"$T/out" ||
    fail "consent with health"
[ "$(hw $DEST held CI-0001 --json | jq '.held | length')" = 0 ] || fail "health still held"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$ORIG.sock case show CI-0001 --json | jq -r '.case.threads[0].reintegration')\" = 1 ]" ||
    fail "the reintegration request never arrived"
cat >"$IN/reint-confirm.json" <<EOF
{ "committed": [ { "kind": "psychosocial", "provider": "synthetic provider" } ] }
EOF
hw $ORIG reintegration confirm CI-0001 --file "$IN/reint-confirm.json" >"$T/out" ||
    fail "reintegration confirm: $(cat "$T/out")"

step "travel plans breaking the rules are refused"
ARR_OK=$(date -u -d "next wednesday + 7 days 09:00" +%Y-%m-%dT%H:%M:%SZ)
DEP_OK=$(date -u -d "next wednesday + 7 days 05:00" +%Y-%m-%dT%H:%M:%SZ)
ARR_NIGHT=$(date -u -d "next wednesday + 7 days 23:00" +%Y-%m-%dT%H:%M:%SZ)
DEP_NIGHT=$(date -u -d "next wednesday + 7 days 20:00" +%Y-%m-%dT%H:%M:%SZ)
ARR_SAT=$(date -u -d "next saturday + 7 days 10:00" +%Y-%m-%dT%H:%M:%SZ)
DEP_SAT=$(date -u -d "next saturday + 7 days 07:00" +%Y-%m-%dT%H:%M:%SZ)
plan() {  # plan FILE DEP ARR ESCORT_GENDER KIND
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$2", "arrival": "$3" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "$4", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "ml-bamako", "name": "Agency ml-bamako", "contact": "duty officer" } }
EOF
}
plan "$IN/night.json" "$DEP_NIGHT" "$ARR_NIGHT" female
plan "$IN/weekend.json" "$DEP_SAT" "$ARR_SAT" female
plan "$IN/male.json" "$DEP_OK" "$ARR_OK" male
plan "$IN/good.json" "$DEP_OK" "$ARR_OK" female
for bad in night:daytime weekend:workday male:escort_female; do
	f=${bad%%:*}
	rule=${bad#*:}
	if hw $DEST departure plan CI-0001 --to $ORIG --file "$IN/$f.json" >"$T/out" 2>&1; then
		fail "the $f plan was accepted"
	fi
	grep -q "$rule" "$T/out" || fail "the $f plan: no $rule in: $(cat "$T/out")"
done
if as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" departure plan CI-0001 --to $ORIG \
    --file "$IN/weekend.json" --waive workday --waiver-reason "synthetic" >"$T/out" 2>&1; then
	fail "an auditor waived a travel rule"
fi

step "advance notice, then the final departure"
hw $DEST departure plan CI-0001 --to $ORIG --file "$IN/good.json" >"$T/out" ||
    fail "provisional: $(cat "$T/out")"
# A final notice says she departed: its first leg left at most 24 h
# later (PROTOCOL.md 21.8), so it is not the plan of next week.
now=$(date +%s)
plan "$IN/gone.json" "$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
    "$(date -u -d "@$((now + 3600))" +%Y-%m-%dT%H:%M:%SZ)" female
hw $DEST departure depart CI-0001 --to $ORIG --file "$IN/gone.json" \
    --waive notice,daytime,workday --waiver-reason synthetic >"$T/out" ||
    fail "final: $(cat "$T/out")"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$ORIG.sock case show CI-0001 --json | jq -r '.case.threads[0].departure')\" = 2 ]" ||
    fail "the final departure never arrived"

step "arrival confirmed; a second confirmation refused; follow-up"
hw $ORIG arrival confirm CI-0001 --met-by "duty officer" --met-by-agency ml-bamako \
    --handed-over-to parent \
    >"$T/out" || fail "arrival: $(cat "$T/out")"
if hw $ORIG arrival confirm CI-0001 >"$T/out" 2>&1; then fail "arrival confirmed twice"; fi
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock case show CI-0001 --json | jq -r '.case.threads[] | select(.peer == \"$ORIG\") | .arrival')\" = 1 ]" ||
    fail "the arrival confirmation never reached ci-abidjan"
printf '{ "status": "in_progress", "report": "synthetic follow-up" }\n' >"$IN/followup.json"
hw $ORIG followup send CI-0001 --file "$IN/followup.json" >"$T/out" || fail "followup: $(cat "$T/out")"
hw $DEST case show CI-0001 >"$T/timeline" || fail "case show"
for what in "request for assistance" "assistance confirmation" "reintegration request" \
    "departure notification" "arrival confirmation"; do
	grep -q "$what" "$T/timeline" || fail "timeline lacks $what"
done

step "roles: an auditor cannot send, read documents or open cases"
if as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" case open CI-0009 >"$T/out" 2>&1; then
	fail "an auditor opened a case"
fi
grep -q "role" "$T/out" || fail "unclear: $(cat "$T/out")"
as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" audit verify >/dev/null || fail "an auditor cannot verify"
mid=$(hw $DEST outbox --json | jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')
if as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" document show "$mid" >"$T/out" 2>&1; then
	fail "an auditor read a document"
fi
hw $DEST document show "$mid" --json >"$IN/doc.json" || fail "document show"
jq -e '.document.profile.minor == true' "$IN/doc.json" >/dev/null || fail "document: $(cat "$IN/doc.json")"
hw $DEST audit list --json | jq -r '.audit[].action' | grep -q '^read$' ||
    fail "the read was not audited"

step "opaque test documents are off unless a test system turns them on"
sed -i 's/^test_documents = yes/test_documents = no/' "$T/$DEST.conf"
kill -HUP "$(cat "$T/$DEST.pid")"
printf 'opaque\n' >"$IN/opaque"
wait_for 10 sh -c "! $HWCLI -s $T/$DEST.sock send --to $ORIG --type 0x7f00 --file $IN/opaque >$T/out 2>&1" ||
    fail "a test document went with test_documents = no"
grep -q "consent gate" "$T/out" || fail "unclear: $(cat "$T/out")"

step "the safety exception needs two different supervisors"
hw $DEST case open CI-0003 --sex male --age 25 >/dev/null
hw $DEST request send CI-0003 --to $ORIG --file "$(req male 25)" \
    --safety-reason "synthetic imminent threat" --json >"$T/out" || fail "safety: $(cat "$T/out")"
[ "$(jq -r .state "$T/out")" = approval ] || fail "not awaiting approval: $(cat "$T/out")"
held=$(jq -r .held_id "$T/out")
# homewardd's own uid is not a person: it never counts as a supervisor.
if hw $DEST approve "$held" --reason "synthetic: concur" >"$T/out" 2>&1; then fail "the daemon's uid approved"; fi
grep -q "homewardd's own account" "$T/out" || fail "unclear: $(cat "$T/out")"
as $SUPERVISOR1 "$HWCLI" -s "$T/$DEST.sock" approve "$held" --reason "synthetic: concur" >"$T/out" 2>&1 ||
    fail "first approval: $(cat "$T/out")"
if as $SUPERVISOR1 "$HWCLI" -s "$T/$DEST.sock" approve "$held" --reason "synthetic: concur" >"$T/out" 2>&1; then
	fail "the same supervisor approved twice"
fi
grep -q "second, different supervisor" "$T/out" || fail "unclear: $(cat "$T/out")"
if as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" approve "$held" --reason "synthetic: concur" >"$T/out" 2>&1; then
	fail "an auditor approved"
fi
as $SUPERVISOR2 "$HWCLI" -s "$T/$DEST.sock" approve "$held" --reason "synthetic: concur" --json >"$T/out" ||
    fail "second approval: $(cat "$T/out")"
[ "$(jq -r ".step.state // .state" "$T/out")" = queued ] || fail "not sent: $(cat "$T/out")"
wait_for 20 sh -c "$HWCLI -s $T/$ORIG.sock alerts --json | jq -e '.alerts[] | select(.kind == \"safety_exception\" and .case_code == \"CI-0003\")'" ||
    fail "ml-bamako was not told of the safety exception"

step "withdrawal reaches two partners; both confirm; their keys are gone"
hw $DEST case open CI-0004 --sex female --age 30 >/dev/null
hw $DEST consent record CI-0004 --to $ORIG,sn-dakar --steps all --categories all \
    --method oral >/dev/null || fail "consent CI-0004"
hw $DEST request send CI-0004 --to $ORIG --file "$(req female 30)" >/dev/null || fail "req 1"
hw $DEST request send CI-0004 --to sn-dakar --file "$(req female 30)" >/dev/null || fail "req 2"
for a in $ORIG sn-dakar; do
	wait_for 20 sh -c "$HWCLI -s $T/$a.sock case show CI-0004 >/dev/null 2>&1" ||
	    fail "$a never saw CI-0004"
done
tid=$(hw sn-dakar case show CI-0004 --json | jq -r '.case.threads[0].thread_id')
wrapped=$(sqlite3 "$T/sn-dakar.state/keystore.db" \
    "SELECT lower(hex(wrapped_dek)) FROM case_keys WHERE case_id = X'$tid'")
[ -n "$wrapped" ] || fail "no case key for thread $tid at sn-dakar"
hw $DEST consent withdraw CI-0004 >"$T/out" || fail "withdraw: $(cat "$T/out")"
grep -q "2 partner" "$T/out" || fail "withdrawal did not reach two partners: $(cat "$T/out")"
confirmed() {
	[ "$(hw $DEST case show CI-0004 --json | jq '[.case.threads[] | select(.erasure_confirmed)] | length')" = 2 ]
}
wait_for 30 confirmed || fail "erasure confirmations: $(hw $DEST case show CI-0004 --json)"
for a in $ORIG sn-dakar; do
	wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$a.sock case list --state erased --json | jq -r '.cases[] | select(.code == \"CI-0004\") | .state')\" = erased ]" ||
	    fail "$a did not erase CI-0004"
done
# Every withdrawal and confirmation was receipted: nothing is retransmitted
# forever into an erased case.
wait_for 30 all_acked $DEST || fail "ci-abidjan still waits for receipts: $(hw $DEST outbox --state sealed)"
wait_for 30 all_acked sn-dakar || fail "sn-dakar still waits for receipts"
for f in "$T/sn-dakar.state/keystore.db" "$T/sn-dakar.state/keystore.db-wal"; do
	[ -f "$f" ] || continue
	if od -An -v -tx1 "$f" | tr -d ' \n' | grep -q "$wrapped"; then
		fail "the erased case key is still in $(basename "$f")"
	fi
done

step "deadlines raise alerts, across a restart, through alert_command"
hw $DEST case open CI-0005 --sex male --age 40 >/dev/null
hw $DEST consent record CI-0005 --to $ORIG --steps all --categories all --method oral >/dev/null
agency_stop $ORIG       # nobody answers
soon=$(($(date +%s) * 1000 + 1500))
hw $DEST request send CI-0005 --to $ORIG --file "$(req male 40)" --reply-by "$soon" \
    >/dev/null || fail "request CI-0005"
agency_stop $DEST
sleep 2
agency_start $DEST
overdue() { hw $DEST alerts --json | jq -e '.alerts[] | select(.kind == "reply_overdue" and .case_code == "CI-0005")'; }
wait_for 20 overdue || fail "no reply_overdue alert after the restart"
wait_for 20 grep -q 'HOMEWARD_ALERT_KIND=reply_overdue' "$T/alerts.out" ||
    fail "alert_command did not run"
agency_start $ORIG

step "an arrival not confirmed in time raises an urgent alert"
hw $DEST case open CI-0006 --sex male --age 40 >/dev/null
hw $DEST consent record CI-0006 --to $ORIG --steps all --categories all --method oral >/dev/null
hw $DEST request send CI-0006 --to $ORIG --file "$(req male 40)" >/dev/null
wait_for 20 sh -c "$HWCLI -s $T/$ORIG.sock case show CI-0006 >/dev/null 2>&1" || fail "CI-0006"
hw $ORIG request accept CI-0006 --met-by-agency ml-bamako \
    --met-by-contact "duty officer" >/dev/null || fail "accept CI-0006"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock case show CI-0006 --json | jq -r '.case.threads[0].request')\" = 2 ]" ||
    fail "CI-0006 acceptance"
now=$(date +%s)
plan "$IN/soon.json" "$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
    "$(date -u -d "@$((now + 1))" +%Y-%m-%dT%H:%M:%SZ)" female
W="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"
hw $DEST departure plan CI-0006 --to $ORIG --file "$IN/soon.json" $W >/dev/null ||
    fail "provisional CI-0006"
hw $DEST departure depart CI-0006 --to $ORIG --file "$IN/soon.json" $W >/dev/null ||
    fail "final CI-0006"
arrival_overdue() { hw $DEST alerts --json | jq -e '.alerts[] | select(.kind == "arrival_overdue" and .urgent and .case_code == "CI-0006")'; }
wait_for 30 arrival_overdue || fail "no urgent arrival_overdue alert"

step "a closed case is erased when retention ends"
if as $AUDITOR "$HWCLI" -s "$T/$DEST.sock" case close CI-0002 >/dev/null 2>&1; then
	fail "an auditor closed a case"
fi
hw $DEST case close CI-0002 >/dev/null || fail "case close"
erased() { [ "$(hw $DEST case list --state erased --json | jq -r '.cases[] | select(.code == "CI-0002") | .state')" = erased ]; }
wait_for 20 erased || fail "CI-0002 not erased after retention"
hw $DEST audit list CI-0002 --json | jq -e '.audit[] | select(.action == "erase")' >/dev/null ||
    fail "the erasure is not in the audit log"

step "the audit log verifies, and an edit is detected"
hw $DEST audit verify >/dev/null || fail "audit verify on an intact log"
agency_stop $DEST
sqlite3 "$T/$DEST.state/data.db" "UPDATE audit SET detail = 'edited' WHERE seq = 3"
agency_start $DEST
if hw $DEST audit verify >"$T/out" 2>&1; then fail "an edited audit log verified"; fi
grep -q "3" "$T/out" || fail "the broken link is not named: $(cat "$T/out")"

step "the canary appears in no log and no file the daemons wrote"
for a in ci-abidjan ml-bamako sn-dakar; do agency_stop $a; done
if grep -rl "$CANARY" "$T" --exclude-dir=input >"$T/canary" 2>/dev/null; then
	fail "the canary name is in: $(cat "$T/canary")"
fi
grep -rl "Canarybird" "$T" --exclude-dir=input >/dev/null 2>&1 && fail "canary fragment found"
echo "procedure: ok"
