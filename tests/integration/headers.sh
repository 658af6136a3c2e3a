#!/bin/sh
# A partner's header is verified, not trusted (docs/PROTOCOL.md 21.8).
# alpha is a real daemon on 127.0.0.1; gamma is an agency alpha has pinned
# but whose daemon never runs: wirepoke (tests/tools/wirepoke.c, its doc
# mode, real ENV1 and TLS) plays it, sealing documents made here.
#
#   1. alpha refers D-0001 to gamma (alpha the destination): gamma's
#      answers under a scope narrower than what they carry, with its
#      recipients rewritten, with a consent id alpha never recorded, wider
#      than alpha's consent, not covering their step, under a safety
#      exception one supervisor approved twice, with in_reply_to all zeros
#      or naming another document; arrival confirmations MET before the
#      departure, days before the scheduled arrival, after they were sent,
#      or answering the provisional notice.  alpha itself refuses to send
#      a final notice for a leg ten days ahead.
#   2. gamma refers cases to alpha (alpha the origin): requests whose scope
#      does not name alpha, does not cover step 1 or the profile they
#      carry, lacks its method or its id; under a safety exception one
#      supervisor approved twice or one lacking its second approver; a
#      final departure notice for a leg ten days ahead.  A final itinerary
#      that differs from the provisional one, and a request that lacks
#      what 21.7 asks of its sender, are applied, and said.
#
# Each breach: receipted by alpha (delivery is not judgement), not applied
# (the thread's state, or the absence of a case, unchanged), and alpha's
# newest alert is of the breach's kind, from gamma, with the message id.
# Each valid document after them is applied without an alert.
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
command -v xxd >/dev/null || { echo "FAIL: xxd is missing" >&2; exit 1; }
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/headers.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
CHECKS=0
IN=$T/input
mkdir -p "$IN"

step "alpha listens; gamma is pinned by alpha but played by wirepoke"
agency_new alpha listen
agency_new gamma
agency_start alpha
hw alpha peers import "$T/gamma.bundle" --fingerprint "$(fingerprint_of gamma)" \
    >/dev/null || fail "alpha cannot import gamma"
ALPHA_PORT=$(port_of alpha)
NOID=00112233445566778899aabbccddeeff
NOW=$(date +%s)
at() { date -u -d "@$((NOW + $1))" +%Y-%m-%dT%H:%M:%SZ; }  # at SECONDS-FROM-NOW

# poke NAME TYPE BODYFILE [REPLYTO]: wirepoke, as gamma, seals BODYFILE as
# a document of TYPE at the next position of thread NAME ($T/NAME.thread;
# a new thread the first time), in reply to REPLYTO (hex; none: zeros),
# and alpha must receipt it.  The message id in $POKED.
poke() {
	"$WP" send 127.0.0.1 "$ALPHA_PORT" --as "$T/gamma" --pass "$T/gamma.pass" \
	    --to "$T/alpha.bundle" --mode doc --type "$2" --body "$3" \
	    --state "$T/$1.thread" ${4:+--reply-to "$4"} >"$T/poke.out" 2>&1 ||
	    { sed 's/^/    /' "$T/poke.out" >&2; fail "wirepoke doc $1 $2"; }
	CHECKS=$((CHECKS + 1))
	grep -q "^doc: received receipt" "$T/poke.out" ||
	    { sed 's/^/    /' "$T/poke.out" >&2; fail "alpha did not receipt $1 $2"; }
	POKED=$(sed -n 's/^doc: sent \([0-9a-f]*\).*/\1/p' "$T/poke.out")
}
# doc NAME TYPE JSON [REPLYTO]: poke a document made from JSON.
doc() {
	"$CR" encode "$2" "$3" "$T/doc.pb" || fail "encode $3"
	poke "$1" "$2" "$T/doc.pb" "${4:-}"
}
# alerted KIND TEXT: alpha raised exactly one more alert, of KIND, from
# gamma, naming the message just poked (message_id and detail) and TEXT.
# Alerts of one kind from one partner about one case are counted in one
# row (store_alerts.c), which names the newest message: the counts add
# up, and the row last raised is the one to read.
ALERTS=0
alerted() {
	CHECKS=$((CHECKS + 1))
	hw alpha alerts --json >"$T/alerts.json" || fail "alerts"
	n=$(jq '[.alerts[].count] | add // 0' "$T/alerts.json")
	[ "$n" = $((ALERTS + 1)) ] ||
	    { jq . "$T/alerts.json" >&2; fail "$n alerts, wanted $((ALERTS + 1)): $1 $2"; }
	ALERTS=$n
	jq -r '.alerts | max_by(.last_at) | [.kind, .peer, .message_id, .detail] | @tsv' \
	    "$T/alerts.json" >"$T/alert"
	[ "$(cut -f1-3 "$T/alert")" = "$1	gamma	$POKED" ] &&
	    grep -qF -- "message $POKED" "$T/alert" && grep -qF -- "$2" "$T/alert" ||
	    { cat "$T/alert" >&2; fail "the newest alert is not $1 from gamma about $POKED: $2"; }
}
no_alert() {
	CHECKS=$((CHECKS + 1))
	[ "$(hw alpha alerts --json | jq '[.alerts[].count] | add // 0')" = "$ALERTS" ] ||
	    { hw alpha alerts >&2; fail "an alert was raised: $1"; }
}
# received: alpha stored and receipted the message just poked.
received() {
	CHECKS=$((CHECKS + 1))
	hw alpha inbox --peer gamma --json | jq -e ".messages[] |
	    select(.message_id == \"$POKED\" and .state == \"accepted\")" >/dev/null ||
	    fail "alpha did not keep $POKED: $(hw alpha inbox --peer gamma)"
}
field() { hw alpha case show "$1" --json | jq -r "$2"; }
has_case() { hw alpha case show "$1" >/dev/null 2>&1; }
# refused KIND TEXT CODE FIELD VALUE: the breach's alert, receipted, and
# the thread's FIELD of CODE still VALUE (CODE "-": no case was made of
# the request just poked, whose code is FIELD).
refused() {
	alerted "$1" "$2"
	received
	CHECKS=$((CHECKS + 1))
	if [ "$3" = - ]; then
		! has_case "$4" || fail "a refused request made case $4: $(hw alpha case show "$4")"
	else
		[ "$(field "$3" ".case.threads[0].$4")" = "$5" ] ||
		    fail "$1 was applied: $(hw alpha case show "$3" --json | jq -c '.case.threads[0]')"
	fi
}

# --- 1. alpha refers a case to gamma: gamma's answers -------------------------

step "alpha refers D-0001 to gamma under a consent naming it"
hw alpha case open D-0001 --sex female --age 30 >/dev/null || fail "case open D-0001"
hw alpha consent record D-0001 --to gamma --steps all \
    --categories profile,health,travel,reintegration --method oral --json >"$T/consent.json" ||
    fail "consent record D-0001"
# As the wire has it: steps by number, nothing null.
SCOPE=$(jq -c '.consent.scope | .steps = [1,2,3,4,5,6,7] |
    with_entries(select(.value != null))' "$T/consent.json")
printf '{"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]}\n' \
    >"$IN/req.json"
hw alpha request send D-0001 --to gamma --file "$IN/req.json" --json >"$T/out" ||
    fail "request send: $(cat "$T/out")"
REQ=$(jq -r .message_id "$T/out")
[ "$(jq -r .state "$T/out")" = queued ] || fail "the request is not queued: $(cat "$T/out")"
TH=$(field D-0001 '.case.threads[0].thread_id')
# gamma's own chain in alpha's thread starts at position 1.
printf '%s%016x%064x' "$TH" 0 0 | xxd -r -p >"$T/d1.thread"

# hdr SCOPE-JQ: a header under alpha's scope as changed by the jq filter.
hdr() {
	printf '"header":{"case_code":"D-0001","consent":%s}' \
	    "$(printf '%s' "$SCOPE" | jq -c "$1")"
}
ACCEPT='"decision":"accept","conditions":"synthetic","meeting_agency":{"agency_id":"gamma","contact":"duty desk"}'

step "answers whose basis is not the scope alpha sent: not applied"
doc d1 2 "{$(hdr '.categories = ["travel"]'),$ACCEPT}" "$REQ"
refused header_categories "it carries profile, which its consent scope does not cover" \
    D-0001 request 1
doc d1 2 "{$(hdr '.recipients += ["beta"]'),$ACCEPT}" "$REQ"
refused header_recipients "its consent scope names 2 recipients; the consent recorded here names 1" \
    D-0001 request 1
doc d1 2 "{$(hdr '.recipients = ["delta"]'),$ACCEPT}" "$REQ"
refused header_recipients "recipient 1 of its consent scope is not in the consent recorded here" \
    D-0001 request 1
doc d1 2 "{$(hdr ".consent_id = \"$NOID\""),$ACCEPT}" "$REQ"
refused header_unknown_consent "its consent_id is none this agency recorded for the case" \
    D-0001 request 1
doc d1 2 "{$(hdr '.categories += ["security"]'),$ACCEPT}" "$REQ"
refused header_basis "its consent scope is wider than the consent recorded here (categories)" \
    D-0001 request 1
doc d1 2 "{$(hdr '.steps = [1]'),$ACCEPT}" "$REQ"
refused header_basis "its consent scope does not cover step 2 (assistance confirmation)" \
    D-0001 request 1
doc d1 2 "{$(hdr 'del(.method)'),$ACCEPT}" "$REQ"
refused header_scope "its consent scope does not say how consent was given (method)" \
    D-0001 request 1
doc d1 2 "{\"header\":{\"case_code\":\"D-0001\",\"safety\":{\"reason\":\"synthetic risk\",\"approved_by\":\"sup-a\",\"second_approved_by\":\"sup-a\",\"approved_at\":\"$(at -60)\"}},$ACCEPT}" "$REQ"
refused header_same_approver "approved twice by the same supervisor" D-0001 request 1

step "answers that do not name the request they answer: not applied"
doc d1 2 "{$(hdr .),$ACCEPT}"
refused in_reply_to "an answer names the request for assistance it answers in in_reply_to; it is all zeros" \
    D-0001 request 1
doc d1 2 "{$(hdr .),$ACCEPT}" "$NOID"
refused in_reply_to "its in_reply_to names no request for assistance this agency sent in the thread" \
    D-0001 request 1

step "the answer under alpha's scope, naming the request: applied"
doc d1 2 "{$(hdr .),$ACCEPT}" "$REQ"
no_alert "a valid acceptance"
received
[ "$(field D-0001 '.case.threads[0].request')" = 2 ] ||
    fail "the acceptance was not applied: $(hw alpha case show D-0001)"

step "alpha notifies the departure; gamma's arrival confirmations"
# plan FILE DEP ARR MODE (seconds from now): an itinerary met by gamma.
plan() {
	cat >"$1" <<EOF
{ "legs": [ { "mode": "$4", "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(at "$2")", "arrival": "$(at "$3")" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "female", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "gamma", "contact": "duty desk" } }
EOF
}
# A ten-day voyage that left an hour ago.
plan "$IN/voyage.json" -3600 864000 sea
W="--waive notice,daytime,workday,air --waiver-reason synthetic"
# shellcheck disable=SC2086
hw alpha departure plan D-0001 --to gamma --file "$IN/voyage.json" $W >/dev/null ||
    fail "departure plan D-0001"
# shellcheck disable=SC2086
hw alpha departure depart D-0001 --to gamma --file "$IN/voyage.json" $W >/dev/null ||
    fail "departure depart D-0001"
hw alpha outbox --json >"$T/outbox.json"
PROV=$(jq -r '[.messages[] | select(.msg_type == 5)][-1].message_id' "$T/outbox.json")
FINAL=$(jq -r '[.messages[] | select(.msg_type == 5)][0].message_id' "$T/outbox.json")
[ "$PROV" != "$FINAL" ] || fail "two departure notices, one id: $PROV"
[ "$(field D-0001 '.case.threads[0].departure')" = 2 ] || fail "D-0001 did not depart"
MET='"outcome":"met","met_by_agency":"gamma"'
doc d1 6 "{$(hdr .),$MET,\"arrived_at\":\"$(at -7200)\"}" "$FINAL"
refused implausible_time "its arrived_at is before the first leg of the final departure departs" \
    D-0001 arrival 0
doc d1 6 "{$(hdr .),$MET,\"arrived_at\":\"$(at 0)\"}" "$FINAL"
refused implausible_time "its arrived_at is more than 24 h before the last leg's scheduled arrival" \
    D-0001 arrival 0
doc d1 6 "{$(hdr .),$MET,\"arrived_at\":\"$(at 172800)\"}" "$FINAL"
refused implausible_time "its arrived_at is after the document was sent" D-0001 arrival 0
doc d1 6 "{$(hdr .),\"outcome\":\"delayed\",\"expected_at\":\"$(at 864000)\"}" "$PROV"
refused in_reply_to "its in_reply_to names no final departure notification this agency sent" \
    D-0001 arrival 0
doc d1 6 "{$(hdr .),\"outcome\":\"delayed\",\"expected_at\":\"$(at 864000)\"}" "$FINAL"
no_alert "a delayed arrival answering the final departure"
[ "$(field D-0001 '.case.threads[0].arrival')" = 3 ] ||
    fail "the delayed arrival was not applied: $(hw alpha case show D-0001)"

step "alpha itself sends no final notice for a leg ten days ahead"
plan "$IN/ahead.json" 864000 867600 air
CHECKS=$((CHECKS + 1))
# shellcheck disable=SC2086
if hw alpha departure depart D-0001 --to gamma --file "$IN/ahead.json" $W \
    >"$T/out" 2>&1; then
	fail "alpha sent a final notice for a leg ten days ahead"
fi
grep -qF "its first leg departs more than 24 h after it was sent: send the final notice once she has departed (until then, \`homeward departure plan\`)" \
    "$T/out" || fail "the refusal does not say why and what next: $(cat "$T/out")"

# --- 2. gamma refers cases to alpha: its requests and departures -------------

step "requests whose basis does not let them reach alpha: no case"
GID=0f0e0d0c0b0a09080706050403020100
GSCOPE='{"consent_id":"'$GID'","recipients":["alpha"],"steps":[1,2,5,6],"categories":["profile","travel"],"method":"oral","given_at":"'$(at -86400)'"}'
# greq CODE SCOPE-JQ: a request of case CODE under gamma's scope as
# changed by the jq filter.
greq() {
	printf '{"header":{"case_code":"%s","consent":%s},"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]}' \
	    "$1" "$(printf '%s' "$GSCOPE" | jq -c "$2")"
}
doc g1 1 "$(greq G-0001 '.recipients = ["beta"]')"
refused header_recipients "its consent scope does not name this agency (alpha) among its recipients" \
    - G-0001
doc g2 1 "$(greq G-0002 '.steps = [2]')"
refused header_basis "its consent scope does not cover step 1 (request for assistance)" - G-0002
doc g3 1 "$(greq G-0003 '.categories = ["travel"]')"
refused header_categories "it carries profile, which its consent scope does not cover" - G-0003
doc g4 1 "$(greq G-0004 'del(.consent_id)')"
refused header_scope "its consent scope's consent_id is 0 bytes, not 16" - G-0004
doc g5 1 "$(greq G-0005 '.given_at = "'"$(at 86400)"'"')"
refused header_scope "its consent scope's given_at is after the document was sent" - G-0005
doc g6 1 "$(greq G-0006 '.method = "written"')"
refused header_scope "its written consent's form_hash is 0 bytes, not 32" - G-0006
SAFE='"reason":"synthetic imminent risk","approved_at":"'$(at -60)'"'
doc g7 1 "{\"header\":{\"case_code\":\"G-0007\",\"safety\":{$SAFE,\"approved_by\":\"sup-a\",\"second_approved_by\":\"sup-a\"}},\"profile\":{\"sex\":\"female\"}}"
refused header_same_approver "approved twice by the same supervisor" - G-0007
doc g8 1 "{\"header\":{\"case_code\":\"G-0008\",\"safety\":{$SAFE,\"approved_by\":\"sup-a\"}},\"profile\":{\"sex\":\"female\"}}"
refused header_safety "its safety exception lacks second_approved_by" - G-0008

step "a valid request; alpha's answer names it"
doc g9 1 "$(greq G-0009 .)"
GREQ=$POKED
no_alert "a valid request"
[ "$(field G-0009 '[.case.role, .case.threads[0].request] | @tsv')" = "origin	1" ] ||
    fail "G-0009: $(hw alpha case show G-0009)"
hw alpha request accept G-0009 --home gamma --met-by-agency alpha \
    --met-by-contact "duty desk" >/dev/null || fail "alpha cannot accept G-0009"
CHECKS=$((CHECKS + 1))
[ "$(hw alpha outbox --json | jq -r '.messages[] | select(.msg_type == 2) | .in_reply_to')" = "$GREQ" ] ||
    fail "alpha's acceptance does not name the request: $(hw alpha outbox --json)"

step "a request that lacks what its sender must say: applied, and said"
doc g10 1 "{\"header\":{\"case_code\":\"G-0010\",\"consent\":$GSCOPE},\"profile\":{\"sex\":\"female\"}}"
alerted incomplete "was applied but lacks what PROTOCOL.md 21.7 requires (scenario, profile.age or age_band, needs)"
received
[ "$(field G-0010 '.case.threads[0].request')" = 1 ] || fail "G-0010 was not applied"

step "a final departure for a leg ten days ahead: not applied"
leg() {  # leg DEP ARR (seconds from now)
	printf '"legs":[{"mode":"air","from_place":"ABJ","from_zone":"Africa/Abidjan","to_place":"BKO","to_zone":"Africa/Bamako","departure":"%s","arrival":"%s"}],"arrival_place":"BKO","met_by":{"agency_id":"alpha"}' \
	    "$(at "$1")" "$(at "$2")"
}
GH="\"header\":{\"case_code\":\"G-0009\",\"consent\":$GSCOPE}"
doc g9 5 "{$GH,\"kind\":\"provisional\",$(leg 259200 270000)}"
no_alert "a provisional notice"
[ "$(field G-0009 '.case.threads[0].departure')" = 1 ] || fail "the provisional notice was not applied"
doc g9 5 "{$GH,\"kind\":\"final\",$(leg 864000 874800)}"
refused implausible_time "its first leg departs more than 24 h after it was sent" \
    G-0009 departure 1

step "a final itinerary that differs from the provisional one: applied, and said"
doc g9 5 "{$GH,\"kind\":\"final\",$(leg -3600 7200)}"
alerted itinerary_changed "the final itinerary from gamma differs from the provisional one (leg 1: departure, arrival)"
received
[ "$(field G-0009 '.case.threads[0].departure')" = 2 ] ||
    fail "the final departure was not applied: $(hw alpha case show G-0009)"
[ "$(jq -r '.alerts[0].urgent' "$T/alerts.json")" = false ] ||
    fail "itinerary_changed is urgent"

step "every alert of a partner's document names it"
hw alpha alerts --json | jq -e '[.alerts[] | select(.peer == "gamma" and .message_id == null)] | length == 0' \
    >/dev/null || fail "an alert about gamma's documents without its message id: $(hw alpha alerts)"

agency_stop alpha
echo "headers: $CHECKS checks passed"
