#!/bin/sh
# The person's profile in a case (issue 10, item 4), through the real CLI
# between real daemons on 127.0.0.1 (ci-abidjan refers, ml-bamako
# receives):
#   - a request for assistance whose profile contradicts the case's is
#     refused, naming the difference and the way forward, and changes
#     nothing;
#   - `case update` corrects the case (caseworkers and supervisors, not
#     auditors), audited with the names of the fields only; then the same
#     request goes;
#   - `case show` (text and --json) shows the profile to a caseworker, and
#     to an auditor only that there is one;
#   - the travel rules take the more protective of the case's profile and
#     what its latest request stated: a plan with no escort for the (now)
#     minor is refused; at the origin, the partner's later request with
#     another profile counts too;
#   - a case that is not open is not corrected.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/profile.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

CASEWORKER=2931
AUDITOR=2932
IN=$T/input                     # files the operators give the CLI
mkdir -p "$IN"
chmod 755 "$T"

op() {  # op UID AGENCY ARGS...: the CLI as operator UID
	uid=$1
	agency=$2
	shift 2
	as "$uid" "$HWCLI" -s "$T/$agency.sock" "$@"
}
# refused TEXT CMD...: exit 1, "homeward: TEXT" on stderr, nothing on stdout.
refused() {
	text=$1
	shift
	expect 1 "$@"
	says "homeward: $text"
	[ ! -s "$T/stdout" ] || { show; fail "a refusal printed on stdout: $*"; }
}
field() {  # field AGENCY CODE JQ: one field of `case show CODE --json`
	hw "$1" case show "$2" --json | jq -c "$3"
}
request_is() {  # request_is AGENCY CODE STATE: the thread's request state
	[ "$(field "$1" "$2" '.case.threads[0].request')" = "$3" ]
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
outbox_n() { hw "$1" outbox --json | jq '.messages | length'; }
updates() {  # updates AGENCY: the details of the case.update audit entries
	hw "$1" audit list --limit 10000 --json |
	    jq -c '[.audit[] | select(.action == "case.update") | [.case_code, .detail]]'
}

step "two agencies: ci-abidjan refers, ml-bamako receives"
PROC="[roles]
$CASEWORKER = caseworker
$AUDITOR = auditor"
EXTRA_CONF=$PROC agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new ml-bamako listen
for a in ci-abidjan ml-bamako; do agency_start $a; done
pair ci-abidjan ml-bamako
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako

request() {  # request FILE SEX AGE: a request for assistance stating them
	cat >"$1" <<EOF
{ "scenario": "police_or_ngo",
  "profile": { "sex": "$2", "age": $3, "nationality": "ML" },
  "needs": ["shelter"] }
EOF
	chmod 644 "$1"
}
request "$IN/req15.json" female 15
request "$IN/req19.json" female 19
request "$IN/req16.json" female 16

step "a request saying 15 in a case of 25 is refused, naming both and the way out"
hw $DEST case open CI-PROF-1 --sex female --age 25 >/dev/null || fail "case open"
hw $DEST consent record CI-PROF-1 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent CI-PROF-1"
refused 'the document says age 15 (a minor); case CI-PROF-1 says age 25 (an adult): correct the case with `homeward case update CI-PROF-1 --age 15`, or the document' \
    op $CASEWORKER $DEST request send CI-PROF-1 --to $ORIG --file "$IN/req15.json"
[ "$(outbox_n $DEST)" = 0 ] || fail "a refused request was queued: $(hw $DEST outbox)"
[ "$(hw $DEST held CI-PROF-1 --json | jq '.held | length')" = 0 ] ||
    fail "a refused request was held"
[ "$(field $DEST CI-PROF-1 '.case.threads | length')" = 0 ] ||
    fail "a refused request started a thread: $(hw $DEST case show CI-PROF-1)"
request "$IN/req-male.json" male 25
refused 'the document says sex male; case CI-PROF-1 says sex female: correct the case with `homeward case update CI-PROF-1 --sex male`, or the document' \
    op $CASEWORKER $DEST request send CI-PROF-1 --to $ORIG --file "$IN/req-male.json"

step "case update: an auditor may not; contradictions are refused"
refused "correcting a case needs the role caseworker or supervisor" \
    op $AUDITOR $DEST case update CI-PROF-1 --age 15
expect 2 op $CASEWORKER $DEST case update CI-PROF-1
says "say what changes"
expect 2 op $CASEWORKER $DEST case update CI-PROF-1 --minor --adult
says "--minor and --adult contradict each other"
expect 2 op $CASEWORKER $DEST case update CI-PROF-1 --age 15 --adult
says "--adult and --age 15 contradict each other"
refused "the case says age 25: a minor is under 18; give the age with --age too" \
    op $CASEWORKER $DEST case update CI-PROF-1 --minor
[ "$(updates $DEST)" = "[]" ] || fail "a refused update was audited: $(updates $DEST)"

step "a caseworker corrects the case: audited by field, never by value"
expect 0 op $CASEWORKER $DEST case update CI-PROF-1 --age 15 --minor
prints "case CI-PROF-1 corrected: age, minor"
prints "female, age 15, a minor"
[ "$(updates $DEST)" = '[["CI-PROF-1","profile corrected: age, minor"]]' ] ||
    fail "the update's audit entry: $(updates $DEST)"
expect 0 op $CASEWORKER $DEST case update CI-PROF-1 --age 15 --json
jq -e '.result == "case CI-PROF-1 says that already; nothing changed" and
    .case.profile.age == 15' "$T/stdout" >/dev/null || { show; fail "a repeated update"; }
[ "$(updates $DEST | jq length)" = 1 ] || fail "an update that changed nothing was audited"
refused "the case says age 15: an adult is 18 or over; give the age with --age too" \
    op $CASEWORKER $DEST case update CI-PROF-1 --adult
if grep -q "age 15\|age 25" "$T/$DEST.log"; then fail "the daemon logged the profile"; fi

step "the same request now goes"
expect 0 op $CASEWORKER $DEST request send CI-PROF-1 --to $ORIG --file "$IN/req15.json" --json
jq -e '.state == "queued"' "$T/stdout" >/dev/null || { show; fail "the request did not go"; }
wait_for 20 has_case $ORIG CI-PROF-1 || fail "ml-bamako never saw CI-PROF-1"

step "case show: the profile to a caseworker, only that there is one to an auditor"
expect 0 op $CASEWORKER $DEST case show CI-PROF-1
prints "female, age 15, a minor"
prints "a minor: escorted, by a female escort"
expect 0 op $CASEWORKER $DEST case show CI-PROF-1 --json
[ "$(jq -c .case.profile "$T/stdout")" = \
    '{"recorded":true,"withheld":false,"sex":"female","age":15,"minor":true,"travel":{"minor":true,"sex":"female"},"documents_differ":false}' ] ||
    { show; fail "case show --json: the profile"; }
expect 0 op $AUDITOR $DEST case show CI-PROF-1
prints "recorded (not shown to your role)"
if grep -q "female\|age 15\|a minor\|escort" "$T/stdout"; then show; fail "an auditor saw the profile"; fi
expect 0 op $AUDITOR $DEST case show CI-PROF-1 --json
[ "$(jq -c .case.profile "$T/stdout")" = '{"recorded":true,"withheld":true}' ] ||
    { show; fail "case show --json: an auditor's view of the profile"; }
if grep -q "female\|\"age\"\|\"minor\"" "$T/stdout"; then show; fail "an auditor saw the profile (json)"; fi
hw $DEST case open CI-PROF-0 >/dev/null || fail "case open CI-PROF-0"
expect 0 op $AUDITOR $DEST case show CI-PROF-0 --json
[ "$(jq -c .case.profile "$T/stdout")" = '{"recorded":false,"withheld":true}' ] ||
    { show; fail "an auditor's view of a case without a profile"; }
expect 0 op $CASEWORKER $DEST case show CI-PROF-0
prints "none recorded"

step "ml-bamako accepts; a plan with no escort for the minor is refused"
hw $ORIG request accept CI-PROF-1 --met-by-agency ml-bamako \
    --met-by-contact "duty officer" >/dev/null || fail "accept CI-PROF-1"
wait_for 20 request_is $DEST CI-PROF-1 2 || fail "the acceptance never reached ci-abidjan"
DEP=$(date -u -d "next wednesday + 7 days 05:00" +%Y-%m-%dT%H:%M:%SZ)
ARR=$(date -u -d "next wednesday + 7 days 09:00" +%Y-%m-%dT%H:%M:%SZ)
plan() {  # plan FILE ESCORTS
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$DEP", "arrival": "$ARR" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ $2 ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "ml-bamako", "name": "Agency ml-bamako", "contact": "duty officer" } }
EOF
	chmod 644 "$1"
}
plan "$IN/alone.json" ""
plan "$IN/escorted.json" '{ "role": "operational", "gender": "female", "contact": "escort desk" }'
refused "the travel plan breaks the rules: a minor travels with no escort (escort_minor)" \
    op $CASEWORKER $DEST departure plan CI-PROF-1 --file "$IN/alone.json"
says "(escort_female)"
[ "$(field $DEST CI-PROF-1 '.case.threads[0].departure')" = 0 ] || fail "a refused plan moved the thread"
expect 0 op $CASEWORKER $DEST departure plan CI-PROF-1 --file "$IN/escorted.json"

step "the travel rules take what the latest request said too"
hw $DEST case open CI-PROF-2 --sex female >/dev/null || fail "case open CI-PROF-2"
hw $DEST consent record CI-PROF-2 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent CI-PROF-2"
expect 0 op $CASEWORKER $DEST request send CI-PROF-2 --to $ORIG --file "$IN/req19.json"
[ "$(field $DEST CI-PROF-2 '[.case.profile.minor, .case.profile.travel.minor]')" = "[false,false]" ] ||
    fail "CI-PROF-2 after a request saying 19: $(hw $DEST case show CI-PROF-2)"
wait_for 20 has_case $ORIG CI-PROF-2 || fail "ml-bamako never saw CI-PROF-2"
[ "$(field $ORIG CI-PROF-2 '[.case.profile.age, .case.profile.travel.minor]')" = "[19,false]" ] ||
    fail "CI-PROF-2 at ml-bamako: $(hw $ORIG case show CI-PROF-2)"
printf '{ "information_needed": ["synthetic: the age"] }\n' >"$IN/info.json"
hw $ORIG request more-info CI-PROF-2 --file "$IN/info.json" >"$T/out" 2>&1 ||
    fail "more-info CI-PROF-2: $(cat "$T/out")"
wait_for 20 request_is $DEST CI-PROF-2 4 || fail "the question never reached ci-abidjan"
expect 0 op $CASEWORKER $DEST request send CI-PROF-2 --to $ORIG --file "$IN/req16.json"
[ "$(field $DEST CI-PROF-2 '[.case.profile.minor, .case.profile.travel.minor, .case.profile.documents_differ]')" = "[false,true,false]" ] ||
    fail "CI-PROF-2 after a request saying 16: $(hw $DEST case show CI-PROF-2)"
expect 0 hw $DEST case show CI-PROF-2
prints "a minor: escorted, by a female escort (as the latest request for assistance states)"

step "at the origin, the partner's later request counts: it knows her"
wait_for 20 request_is $ORIG CI-PROF-2 1 || fail "the second request never reached ml-bamako"
[ "$(field $ORIG CI-PROF-2 '[.case.profile.age, .case.profile.minor, .case.profile.travel.minor, .case.profile.documents_differ]')" = "[19,false,true,true]" ] ||
    fail "CI-PROF-2 at ml-bamako after the second request: $(hw $ORIG case show CI-PROF-2 --json)"
expect 0 hw $ORIG case update CI-PROF-2 --age 16
prints "case CI-PROF-2 corrected: age, minor"
[ "$(field $ORIG CI-PROF-2 '[.case.profile.age, .case.profile.minor, .case.profile.documents_differ]')" = "[16,true,false]" ] ||
    fail "CI-PROF-2 at ml-bamako, corrected: $(hw $ORIG case show CI-PROF-2 --json)"

step "a closed case is not corrected"
hw $DEST case close CI-PROF-2 >/dev/null || fail "case close CI-PROF-2"
refused "case CI-PROF-2 is closed: its profile no longer changes, and it is erased when retention ends; if the person is referred again, open a new case" \
    op $CASEWORKER $DEST case update CI-PROF-2 --age 16
[ "$(updates $DEST | jq length)" = 1 ] || fail "a refused update was audited: $(updates $DEST)"

step "the audit logs name fields, never values"
for a in $DEST $ORIG; do
	updates $a | jq -e 'all(.[]; .[1] | test("^profile corrected: [a-z, ]+$"))' >/dev/null ||
	    fail "$a: $(updates $a)"
done
hw $DEST audit verify >/dev/null || fail "the audit chain of $DEST"

echo "profile: all $CHECKS checks passed"
