#!/bin/sh
# The partner's duty contact (issue 10), between real daemons on
# 127.0.0.1: ci-abidjan refers, ml-bamako receives.  ml-bamako adds a duty
# contact to its bundle with `homeward-keys contact` (the RIK signs it);
# its daemon reads agency.pub again on SIGHUP and the new bundle reaches
# ci-abidjan over their session; `homeward peers` shows it there.  Then
# the alarms that tell an operator to call the partner say how:
#   - her arrival is overdue: ci-abidjan's urgent alert and worklist item
#     name ml-bamako's duty contact; ml-bamako's own alert names
#     ci-abidjan, which gave none, without an empty "()";
#   - a no-show reported by ml-bamako: ci-abidjan's urgent alert names it.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/contact.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

IN=$T/input
mkdir -p "$IN"

DEST=ci-abidjan
ORIG=ml-bamako
PHONE="+223 20 00 00 00, duty officer"

has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
# thread AGENCY CODE PEER FIELD: a field of the case's thread with PEER.
thread() {
	hw "$1" case show "$2" --json |
	    jq -r ".case.threads[] | select(.peer == \"$3\") | .$4"
}
thread_is() { [ "$(thread "$1" "$2" "$3" "$4")" = "$5" ]; }
# alert_detail AGENCY KIND CODE: the detail of the newest such alert.
alert_detail() {
	hw "$1" alerts --all --json |
	    jq -r "[.alerts[] | select(.kind == \"$2\" and .case_code == \"$3\")][0].detail // empty"
}
alerted() { [ -n "$(alert_detail "$1" "$2" "$3")" ]; }
# work_what AGENCY CODE KIND: what the worklist says to do.
work_what() {
	hw "$1" worklist --json |
	    jq -r "[.work[] | select(.case_code == \"$2\" and .kind == \"$3\")][0].what // empty"
}
# peer_contact AGENCY PEER: the duty contact AGENCY holds for PEER.
peer_contact() {
	hw "$1" peers --json |
	    jq -r ".peers[] | select(.agency_id == \"$2\") | .duty_contact"
}
contact_is() { [ "$(peer_contact "$1" "$2")" = "$3" ]; }
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
}
WAIVE="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"

# open_case CODE: a consent, a request to ml-bamako, its acceptance.
open_case() {
	hw $DEST case open "$1" --sex male --age 30 >/dev/null || fail "open $1"
	hw $DEST consent record "$1" --to $ORIG --steps all --categories all \
	    --method oral >/dev/null || fail "consent $1"
	hw $DEST request send "$1" --to $ORIG --file "$IN/request.json" \
	    >/dev/null || fail "request $1"
	wait_for 20 has_case $ORIG "$1" || fail "$ORIG never saw $1"
	hw $ORIG request accept "$1" --met-by-agency $ORIG \
	    --met-by-contact "duty officer" >/dev/null || fail "accept $1"
	wait_for 20 thread_is $DEST "$1" $ORIG request 2 ||
	    fail "$1: the acceptance never arrived"
}
# depart CODE ARRIVAL_IN_SECONDS: advance notice, then departed.
depart() {
	now=$(date +%s)
	plan "$IN/plan-$1.json" $((now - 1800)) $((now + $2)) $ORIG
	# shellcheck disable=SC2086
	hw $DEST departure plan "$1" --to $ORIG --file "$IN/plan-$1.json" $WAIVE \
	    >/dev/null || fail "plan $1"
	# shellcheck disable=SC2086
	hw $DEST departure depart "$1" --to $ORIG --file "$IN/plan-$1.json" $WAIVE \
	    >/dev/null || fail "depart $1"
	wait_for 20 thread_is $ORIG "$1" $DEST departure 2 ||
	    fail "$1: the departure never reached $ORIG"
}

PROC=$(printf '[procedure]\ndeadline_check_ms = 200\narrival_grace_ms = 500\nurgent_repeat_ms = 600000\n')

step "two agencies, neither with a duty contact yet"
EXTRA_CONF=$PROC agency_new $DEST listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new $ORIG listen
for a in $DEST $ORIG; do agency_start $a; done
pair $DEST $ORIG
wait_for 20 peer_connected $DEST $ORIG || fail "$ORIG never connected"
cat >"$IN/request.json" <<'EOF'
{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 },
  "needs": [ "shelter", "psychosocial" ] }
EOF
contact_is $DEST $ORIG "" || fail "a duty contact before one was set: $(peer_contact $DEST $ORIG)"
expect 0 hw $DEST peers
prints "DUTY CONTACT"

step "ml-bamako sets its duty contact; ci-abidjan learns it over the session"
FP=$(fingerprint_of $ORIG)
cp "$T/$ORIG/agency.pub" "$T/$ORIG.pub.old"
expect 0 "$KEYS" contact --dir "$T/$ORIG" --duty-contact "$PHONE" \
    --rik-passphrase-file "$T/$ORIG.rik"
prints "duty contact of $ORIG set to \"$PHONE\""
[ "$(fingerprint_of $ORIG)" = "$FP" ] || fail "the contact changed the fingerprint"
kill -HUP "$(cat "$T/$ORIG.pid")"
wait_for 20 contact_is $DEST $ORIG "$PHONE" ||
    fail "$DEST never learnt the contact: '$(peer_contact $DEST $ORIG)'"
expect 0 hw $DEST peers
prints "$PHONE"
contact_is $ORIG $DEST "" || fail "$DEST has no contact, yet $ORIG shows one"
# A daemon that goes back to its older agency.pub (restored by hand) sends
# an older bundle: ci-abidjan keeps the newer one (PROTOCOL.md 16.4).
cp "$T/$ORIG/agency.pub" "$T/$ORIG.pub.new"
cp "$T/$ORIG.pub.old" "$T/$ORIG/agency.pub"
kill -HUP "$(cat "$T/$ORIG.pid")"
wait_for 20 grep -q "peer $ORIG: bundle older than the one we hold" "$T/$DEST.log" ||
    fail "$DEST took or ignored silently an older bundle"
contact_is $DEST $ORIG "$PHONE" || fail "an older bundle replaced the newer one"
cp "$T/$ORIG.pub.new" "$T/$ORIG/agency.pub"
kill -HUP "$(cat "$T/$ORIG.pid")"
# The bundle exported now carries it too, and a re-import keeps it.
"$KEYS" export --dir "$T/$ORIG" -o "$T/$ORIG.bundle" --force >/dev/null 2>&1 ||
    fail "export $ORIG"
expect 0 "$KEYS" inspect "$T/$ORIG.bundle"
prints "duty contact $PHONE"

step "her arrival is overdue: the alert and the worklist say how to call"
open_case CI-CONTACT-1
depart CI-CONTACT-1 1
wait_for 20 alerted $DEST arrival_overdue CI-CONTACT-1 ||
    fail "no arrival_overdue alert at $DEST"
D=$(alert_detail $DEST arrival_overdue CI-CONTACT-1)
case $D in
*"call $ORIG now ($PHONE), then a supervisor"*) ;;
*) fail "the alert does not say how to call $ORIG: $D" ;;
esac
W=$(work_what $DEST CI-CONTACT-1 arrival_overdue)
case $W in
*"call $ORIG ($PHONE); if she is missing"*) ;;
*) fail "the worklist does not say how to call $ORIG: '$W'" ;;
esac
wait_for 20 alerted $ORIG arrival_overdue CI-CONTACT-1 ||
    fail "no arrival_overdue alert at $ORIG"
D=$(alert_detail $ORIG arrival_overdue CI-CONTACT-1)
case $D in
*"call $DEST now, then a supervisor"*) ;;
*) fail "$ORIG's alert about $DEST, which has no contact: $D" ;;
esac
if grep -q '()' "$T/$DEST.log" "$T/$ORIG.log"; then fail "an empty contact was quoted"; fi

step "a no-show: the urgent alert says how to call the partner that reported it"
open_case CI-CONTACT-2
depart CI-CONTACT-2 3600
expect 0 hw $ORIG arrival no-show CI-CONTACT-2 --next-steps "synthetic: family contacted"
wait_for 20 alerted $DEST no_show CI-CONTACT-2 || fail "no no_show alert at $DEST"
D=$(alert_detail $DEST no_show CI-CONTACT-2)
case $D in
*"call $ORIG now ($PHONE), then a supervisor"*) ;;
*) fail "the no-show alert does not say how to call $ORIG: $D" ;;
esac
grep -qF "call $ORIG now ($PHONE)" "$T/$DEST.log" ||
    fail "the urgent alert in $DEST's log lacks the contact"

echo "contact: all checks passed ($CHECKS CLI checks)"
