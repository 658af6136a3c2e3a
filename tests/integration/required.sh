#!/bin/sh
# What a document must say (docs/PROTOCOL.md 21.7) and what its free text
# carries (21.2), between real daemons on 127.0.0.1 (ci-abidjan refers,
# ml-bamako receives), through the real CLI:
#   - an empty request, and one with a sex alone, are refused before the
#     consent gate, naming every missing field and the way forward, and
#     leave nothing behind (no held document, no thread, no outbox row);
#   - other steps name theirs: a decline without reasons, a request for
#     more information that does not say which, a plan with no itinerary;
#   - a request that says enough goes;
#   - a confirmation asking for more information carries profile (its
#     information_needed is free text): held under a consent that covers
#     step 2 for travel only, released by one that covers profile.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/required.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# refused TEXT CMD...: exit 1, "homeward: TEXT" on stderr, nothing on stdout.
refused() {
	text=$1
	shift
	expect 1 "$@"
	says "homeward: $text"
	[ ! -s "$T/stdout" ] || { show; fail "a refusal printed on stdout: $*"; }
}
# field AGENCY CODE JQ [ARGS]: one field of `case show CODE ARGS --json`.
field() {
	agency=$1
	code=$2
	filter=$3
	shift 3
	hw "$agency" case show "$code" "$@" --json | jq -r "$filter"
}
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
# nothing_left AGENCY CODE: no held document, no thread, nothing queued.
nothing_left() {
	[ "$(field "$1" "$2" '[(.held | length), (.case.threads | length)] | @tsv')" = "0	0" ] ||
	    fail "a refusal left something in $2: $(hw "$1" case show "$2" --json)"
	[ "$(hw "$1" outbox --json | jq '.messages | length')" = 0 ] ||
	    fail "a refusal queued something: $(hw "$1" outbox)"
}

step "two agencies: ci-abidjan refers, ml-bamako receives"
agency_new ci-abidjan listen
TZONE=Africa/Bamako agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
IN=$T/input
mkdir -p "$IN"
printf '{}\n' >"$IN/empty.json"
printf '{ "profile": { "sex": "female" } }\n' >"$IN/sex-only.json"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 20 }, "needs": ["shelter"] }\n' \
    >"$IN/request.json"
printf '{ "information_needed": ["synthetic: travel document status"] }\n' >"$IN/info.json"

step "an empty request is refused before the gate, naming what it must say"
hw $DEST case open REQ-0001 --sex female --age 20 >/dev/null || fail "case open"
hw $DEST consent record REQ-0001 --to $ORIG --steps 1 --categories profile \
    --method oral >/dev/null || fail "consent REQ-0001"
refused "a request for assistance must say how the person came to be referred (scenario), the person's profile (profile.sex, profile.age or age_band) and what assistance is needed (needs): add them to the document" \
    hw $DEST request send REQ-0001 --to $ORIG --file "$IN/empty.json"
nothing_left $DEST REQ-0001
# The incident of issue 10: a sex alone went out as a request.
refused "a request for assistance must say how the person came to be referred (scenario), the person's profile (profile.age or age_band) and what assistance is needed (needs): add them to the document" \
    hw $DEST request send REQ-0001 --to $ORIG --file "$IN/sex-only.json"
expect 1 hw $DEST request send REQ-0001 --to $ORIG --file "$IN/empty.json" --json
jq -e '.state == "refused" and .result == "refused" and
    (.message | contains("(profile.sex, profile.age or age_band)"))' "$T/stdout" >/dev/null ||
    { show; fail "the refusal in JSON"; }
# Refused, not held: a consent covering everything changes nothing.
hw $DEST case open REQ-0002 --sex male --age 40 >/dev/null || fail "case open REQ-0002"
hw $DEST consent record REQ-0002 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent REQ-0002"
refused "a request for assistance must say how the person came to be referred (scenario)" \
    hw $DEST request send REQ-0002 --to $ORIG --file "$IN/empty.json"
nothing_left $DEST REQ-0002
nothing_left $DEST REQ-0001

step "a request that says enough goes"
expect 0 hw $DEST request send REQ-0001 --to $ORIG --file "$IN/request.json" --json
jq -e '.state == "queued"' "$T/stdout" >/dev/null || { show; fail "the request is not queued"; }
wait_for 20 has_case $ORIG REQ-0001 || fail "ml-bamako never saw REQ-0001"

step "the other steps name what they lack"
refused "an assistance confirmation that declines must say why the request is declined (reasons): add it to the document" \
    hw $ORIG request decline REQ-0001 --home $DEST
refused "an assistance confirmation that asks for more information must say what information is needed (information_needed): add it to the document" \
    hw $ORIG request more-info REQ-0001 --home $DEST --reason "synthetic"
refused "an assistance confirmation that accepts must say the qualified agency that will meet the person on arrival, and whom to contact there (meeting_agency.contact): add it to the document" \
    hw $ORIG request accept REQ-0001 --home $DEST --met-by-agency $ORIG
[ "$(field $ORIG REQ-0001 '[(.held | length), .case.threads[0].request] | @tsv' --home $DEST)" = "0	1" ] ||
    fail "a refused answer changed REQ-0001: $(hw $ORIG case show REQ-0001 --home $DEST --json)"

step "more information asked for carries profile: held until a consent covers it"
# The partner's own consent (the person consented at ml-bamako too) covers
# step 2 for travel, the consent received with the request only step 1.
hw $ORIG consent record REQ-0001 --home $DEST --to $DEST --steps 2 \
    --categories travel --method oral >/dev/null || fail "ml-bamako's consent"
expect 0 hw $ORIG request more-info REQ-0001 --home $DEST --file "$IN/info.json" --json
jq -e '.state == "held" and (.missing | contains("profile"))' "$T/stdout" >/dev/null ||
    { show; fail "information_needed went without a consent to profile"; }
[ "$(field $ORIG REQ-0001 '.held | length' --home $DEST)" = 1 ] || fail "not held"
expect 0 hw $ORIG consent record REQ-0001 --home $DEST --to $DEST --steps 2 \
    --categories profile --method oral
prints "released 1 held"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock case show REQ-0001 --json | jq -r '.case.threads[0].request')\" = 4 ]" ||
    fail "the request for more information never reached ci-abidjan"

echo "required: ok ($CHECKS checks)"
