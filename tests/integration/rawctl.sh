#!/bin/sh
# What homewardd refuses by itself, where the real CLI never asks because
# it checks first, and what it makes of a partner's malformed or
# out-of-rule documents.  Real daemons on 127.0.0.1: alpha (listening) and
# beta (dialling it), paired; gamma is an agency alpha has pinned but whose
# daemon never runs: wirepoke (tests/tools/wirepoke.c, its doc mode) plays
# it, sealing documents made here.
#
#   1. ctlraw (tests/tools/ctlraw.c) sends alpha control requests the CLI
#      never would: versions and kinds it does not speak, requests without
#      their sub-messages, case codes empty or too long, steps of types 0,
#      8, 0x101, 0x7f00 and beyond 16 bits, documents that do not decode,
#      over-long ones and ones with their header filled, ids of the wrong
#      length (held, consent, message, thread, alert), peer actions and log
#      levels the CLI refuses, bundles it would not send, and consent
#      scopes failing each check of case_consent.c (scope_to_consent):
#      undecodable, a bad consent id, no or too many recipients, a
#      recipient that is no agency id, steps 0 and 8, no steps, categories
#      case, unspecified and 9, no method, a written consent without its
#      form's hash, an interpreted one without its language, an expiry in
#      the past, an id recorded already.  Each check asserts the result
#      code and the words of its message; where a refusal could change
#      something, that the case (and the outbox and audit log) did not.
#   2. gamma sends alpha documents of the procedure (docs/PROTOCOL.md 21.1,
#      21.3) that alpha stores and receipts but must not apply: a first
#      document that is not a request for assistance, a request with an
#      invalid case code or none, a header naming another case, a step
#      with both bases or neither, a withdrawal carrying a basis, steps out
#      of order, a request for a code gamma already uses in another thread,
#      a body that does not decode, a request whose consent has no id
#      (21.8; tests/integration/headers.sh has the rest of 21.8).  Each
#      asserts alpha's alert (kind and
#      words) and that the case is as it was; the valid documents around
#      them (a request under consent, one under the safety exception, a
#      withdrawal) assert what alpha did apply.
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
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/rawctl.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
CHECKS=0

show() { sed 's/^/    /' "$T/out" "$T/err" >&2; }

# raw WANT TEXT AGENCY JSON [OPTION...]: ctlraw sends JSON to AGENCY's
# daemon; its result is RESULT_WANT (WANT: ok, usage, not_found, refused,
# version, ...), its message holds TEXT (a fixed string), and ctlraw's
# exit status says so (0 for ok, else 1).  Output in $T/out.
raw() {
	want=RESULT_$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
	text=$2
	agency=$3
	shift 3
	set +e
	"$CR" "$T/$agency.sock" "$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	CHECKS=$((CHECKS + 1))
	line=$(grep '^result ' "$T/out" | tail -n 1)
	case $line in
	"result $want: "*) ;;
	*) show; fail "wanted $want ($text), got '$line': $1" ;;
	esac
	printf '%s\n' "$line" | grep -qF -- "$text" ||
	    { show; fail "the result lacks '$text': $1"; }
	if [ "$want" = RESULT_OK ]; then
		[ "$got" = 0 ] || { show; fail "ctlraw exited $got on ok"; }
	else
		[ "$got" = 1 ] || { show; fail "ctlraw exited $got on $want"; }
	fi
}
# enc TYPE JSON: a referral message as hex (ctlraw encode).
enc() { "$CR" encode "$1" "$2" || fail "encode $1 $2"; }
# stepreq CODE TYPE DOCHEX [PEER]: a StepSend request (to beta by default).
stepreq() {
	printf '{"step_send":{"ref":{"code":"%s"},"peer":"%s","msg_type":%s,"document":"%s"}}' \
	    "$1" "${4:-beta}" "$2" "$3"
}
# Documents saying what PROTOCOL.md 21.7 asks (synthetic): a request (its
# cases say the same of the person), a provisional plan.
REQ='{"scenario":"police_or_ngo","profile":{"sex":"male","age":35},"needs":["shelter"]}'
PLAN='{"kind":"provisional","legs":[{"mode":"air","from_place":"ABJ","to_place":"BKO","departure":"2030-01-09T06:00:00Z","arrival":"2030-01-09T09:00:00Z"}],"arrival_place":"BKO","met_by":{"agency_id":"beta"}}'
# consent CODE SCOPEHEX: a ConsentRecord request.
consentreq() {
	printf '{"consent_record":{"ref":{"code":"%s"},"scope":"%s"}}' "$1" "$2"
}

# snap AGENCY CODE FILE: what a refusal must leave as it was: the case
# (state, threads, consents, held messages, timeline), the outbox and the
# audit log, but for reads, alerts (a refused partner's document raises
# one) and receipts (it is receipted: delivery is not judgement).
# unchanged AGENCY CODE FILE: as FILE recorded it.
snap() {
	hw "$1" case show "$2" --json >"$T/snap.case" &&
	    hw "$1" outbox --limit 10000 --json >"$T/snap.out" &&
	    hw "$1" audit list --limit 10000 --json >"$T/snap.audit" ||
	    fail "snapshot of $2 at $1"
	{
		jq -S '.timeline |= map(select(.action != "read" and .action != "alert"))' \
		    "$T/snap.case"
		jq -c '[.messages[] | select(.msg_type != 256) | .message_id]' "$T/snap.out"
		jq -c '[.audit[] | select(.action != "read" and .action != "alert") |
		    [.seq, .action, .detail]]' "$T/snap.audit"
	} >"$3" || fail "snapshot of $2 at $1"
}
unchanged() {
	snap "$1" "$2" "$T/snap.now"
	diff -u "$3" "$T/snap.now" >&2 || fail "a refusal changed case $2 at $1"
}
field() { hw "$1" case show "$2" --json | jq -r "$3"; }
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
codes() { hw "$1" case list --json | jq -r '[.cases[].code] | sort | join(" ")'; }

step "alpha listens, beta dials it; gamma is pinned by alpha but played by wirepoke"
agency_new alpha listen
agency_new beta
agency_new gamma
agency_start alpha
agency_start beta
pair alpha beta
hw alpha peers import "$T/gamma.bundle" --fingerprint "$(fingerprint_of gamma)" \
    >/dev/null || fail "alpha cannot import gamma"
wait_for 30 peer_connected alpha beta || fail "beta never connected to alpha"
NOID=00112233445566778899aabbccddeeff
HASH31=$NOID$(printf '%s' "$NOID" | cut -c1-30)     # 31 bytes: no SHA-256
LONG=$(printf 'C%.0s' $(seq 49))        # one over CASE_CODE_MAX

# --- 1. the control protocol, bare ------------------------------------------

step "versions and kinds the daemon does not speak"
raw version "speaks version 1; use the homeward installed with it" \
    alpha '{"version":2,"status":{}}'
grep -q '^result RESULT_VERSION: control protocol version mismatch: homewardd ' "$T/out" ||
    { show; fail "the version mismatch is not named"; }
# No version at all, no kind, or only a kind of a newer homeward (field
# 99, an empty message): malformed, answered, and the connection closed.
# (The daemon's "unknown request; is homeward newer than homewardd?" in
# daemon/ctl/ctl.c is never reached: the codec refuses a Request without
# a kind it knows before the dispatch sees it.)
raw usage "malformed control request" alpha '{"version":0,"status":{}}'
raw usage "malformed control request" alpha '{}'
raw usage "malformed control request" alpha '{}' --extra 9a0600
# A newer field beside a kind we know is skipped, not refused.
raw ok "ok" alpha '{"status":{}}' --extra 9a0600
grep -q '"agency_id":"alpha"' "$T/out" || { show; fail "status without its data"; }

step "requests without their sub-messages"
for kind in case_show case_close consent_record consent_list consent_withdraw step_send; do
	raw usage "name the case by its code" alpha "{\"$kind\":{}}"
done
raw usage "a held id is 32 hexadecimal digits" alpha '{"approve":{}}'
raw usage "a message id is 32 hexadecimal digits" alpha '{"document_show":{}}'
raw usage "a message id is 32 hexadecimal digits" alpha '{"message_show":{}}'
raw usage "a message id is 32 hexadecimal digits" alpha '{"evidence_export":{}}'
raw usage "name the alert by its number" alpha '{"alert_ack":{}}'
raw not_found 'no peer ; `homeward peers` lists them' alpha '{"send":{}}'
raw not_found 'no peer ; `homeward peers` lists them' alpha '{"peer_action":{}}'
raw usage "log level must be warn, info or debug" alpha '{"log_level":{}}'
raw refused "bundle refused:" alpha '{"peer_import":{}}'
# Lists without a case list every case's.
raw ok "ok" alpha '{"held_list":{}}'
raw ok "ok" alpha '{"held_list":{"ref":{}}}'
raw ok "ok" alpha '{"audit_list":{"ref":{"code":""},"limit":20000}}'

step "case codes empty, too long or not a code"
for code in "" "$LONG" "TEST 0001" "TEST;0001"; do
	raw usage "a case code is 1-48 letters, digits, '-', '_', '.' or '/': a code number, never a name" \
	    alpha "{\"case_open\":{\"code\":\"$code\"}}"
	raw usage "a case code is 1-48 letters, digits, '-', '_', '.' or '/'" \
	    alpha "{\"case_show\":{\"ref\":{\"code\":\"$code\"}}}"
done
raw usage "a case code is 1-48 letters" alpha "{\"held_list\":{\"ref\":{\"code\":\"$LONG\"}}}"
raw usage "the profile does not decode" alpha '{"case_open":{"code":"RAW-0000","profile":"ffff"}}'
raw usage "a case state is open, restricted, closed, erasing or erased" \
    alpha '{"case_list":{"state":"bogus"}}'
[ -z "$(codes alpha)" ] || fail "a refused case open left a case: $(codes alpha)"
# 48 characters is a code.
CODE48=$(printf 'C%.0s' $(seq 47))1   # a code number has a digit
raw ok "case $CODE48 opened" alpha "{\"case_open\":{\"code\":\"$CODE48\"}}"
[ "$(codes alpha)" = "$CODE48" ] || fail "cases: $(codes alpha)"

step "steps the daemon does not send, documents that are no step's"
hw alpha case open RAW-0001 --sex female --age 30 >/dev/null || fail "case open RAW-0001"
snap alpha RAW-0001 "$T/snap.1"
for t in 0 8 0x0101 0x0102 0x7f00; do
	raw usage "steps are types 1-7; withdrawals and erasure confirmations are sent by the daemon" \
	    alpha "$(stepreq RAW-0001 $((t)) "")"
done
raw usage "a step is a type 1-7 and a document of at most 1048576 bytes" \
    alpha "$(stepreq RAW-0001 65537 "")"
raw usage "a step is a type 1-7 and a document of at most 1048576 bytes" \
    alpha "$(stepreq RAW-0001 1 "")" --fill step_send.document=1048577
raw usage "the document does not decode as a request for assistance" \
    alpha "$(stepreq RAW-0001 1 ffff)"
# It decodes, but with a field of no known category: the gate cannot
# classify it (proto/refcat.h), so it is no document either.
raw usage "the document does not decode as a reintegration request" \
    alpha "$(stepreq RAW-0001 3 f80501)"
raw usage "leave the document's header empty: the daemon fills it" \
    alpha "$(stepreq RAW-0001 1 "$(enc 1 '{"header":{"case_code":"RAW-0001"}}')")"
raw usage "leave the document's header empty: the daemon fills it" \
    alpha "$(stepreq RAW-0001 7 "$(enc 7 '{"header":{}}')")"
unchanged alpha RAW-0001 "$T/snap.1"
[ "$(field alpha RAW-0001 '.case.threads | length')" = 0 ] ||
    fail "a refused step opened a thread"

step "ids of the wrong length"
raw usage "a held id is 32 hexadecimal digits" alpha '{"approve":{"held_id":"0011","reason":"synthetic"}}'
raw usage "a consent id is 32 hexadecimal digits" \
    alpha '{"consent_withdraw":{"ref":{"code":"RAW-0001"},"consent_id":"0011223344"}}'
raw usage "a message id is 32 hexadecimal digits" alpha "{\"document_show\":{\"message_id\":\"${NOID}00\"}}"
raw usage "a message id is 32 hexadecimal digits" alpha '{"message_show":{"message_id":"00"}}'
raw usage "a message id is 32 hexadecimal digits" alpha '{"evidence_export":{"message_id":"0011"}}'
raw usage "name the alert by its number" alpha '{"alert_ack":{"id":"9223372036854775808"}}'
raw usage "thread and reply-to ids are 32 hexadecimal digits" \
    alpha '{"send":{"peer":"beta","msg_type":32512,"body":"00","thread_id":"0011"}}'
raw usage "thread and reply-to ids are 32 hexadecimal digits" \
    alpha '{"send":{"peer":"beta","msg_type":32512,"body":"00","in_reply_to":"00"}}'
raw usage "a document is at most 1048576 bytes" \
    alpha '{"send":{"peer":"beta","msg_type":32512,"body":""}}' --fill send.body=1048577
unchanged alpha RAW-0001 "$T/snap.1"
[ "$(status_of alpha outbox_unacked)" = 0 ] || fail "a refused send queued something"

step "peers and log levels as the CLI would never ask"
peers_now() {
	hw alpha peers --json |
	    jq -S '[.peers[] | {agency_id, fingerprint, endpoint, verified, suspended}]'
}
peers_now >"$T/peers.before"
raw usage "unknown peer action" alpha '{"peer_action":{"agency_id":"beta"}}'
raw refused "the confirmed fingerprint does not match beta's" \
    alpha '{"peer_action":{"agency_id":"beta","action":"verify"}}'
raw usage "log level must be warn, info or debug" alpha '{"log_level":{"level":"verbose"}}'
raw refused "bundle refused:" alpha '{"peer_import":{"bundle":"0a00ffff"}}'
GAMMA_HEX=$(od -An -v -tx1 "$T/gamma.bundle" | tr -d ' \n')
raw refused "the confirmed fingerprint is not this bundle's ($(fingerprint_of gamma))" \
    alpha "{\"peer_import\":{\"bundle\":\"$GAMMA_HEX\"}}"
peers_now | diff -u "$T/peers.before" - >&2 ||
    fail "a refused peer request changed the peers"

step "consent scopes that are no consent"
# A scope that covers everything but for what each check changes.
SCOPE_OK='"recipients":["beta"],"steps":[1,2,3,4,5,6,7],"categories":["identity","profile","health","security","travel","reintegration"]'
scope() { enc scope "{$SCOPE_OK,$1}"; }
snap alpha RAW-0001 "$T/snap.1"
raw usage "the consent scope does not decode" alpha "$(consentreq RAW-0001 ffff)"
raw usage "a consent id is 16 bytes" alpha "$(consentreq RAW-0001 "$(scope '"method":"oral","consent_id":"0011223344"')")"
raw usage "a consent names 1-16 recipient agencies" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"steps":[1],"method":"oral"}')")"
SEVENTEEN=$(for i in $(seq 17); do printf '"agency-%s",' "$i"; done)
raw usage "a consent names 1-16 recipient agencies" \
    alpha "$(consentreq RAW-0001 "$(enc scope "{\"recipients\":[${SEVENTEEN%,}],\"steps\":[1],\"method\":\"oral\"}")")"
raw usage "recipient 2 is not an agency id" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"recipients":["beta","Agency Beta!"],"steps":[1],"method":"oral"}')")"
raw usage "steps are 1-7" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"recipients":["beta"],"steps":[1,0],"method":"oral"}')")"
# Step 8 is no Step: protobuf-c keeps the number; appended as a field.
raw usage "steps are 1-7" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"recipients":["beta"],"method":"oral"}')1808")"
raw usage "a consent names the steps it covers" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"recipients":["beta"],"categories":["health"],"method":"oral"}')")"
for cat in '"case"' '"unspecified"'; do
	raw usage "categories are identity, profile, health, security, travel, reintegration" \
	    alpha "$(consentreq RAW-0001 "$(enc scope "{\"recipients\":[\"beta\"],\"steps\":[1],\"categories\":[\"health\",$cat],\"method\":\"oral\"}")")"
done
raw usage "categories are identity, profile, health, security, travel, reintegration" \
    alpha "$(consentreq RAW-0001 "$(enc scope '{"recipients":["beta"],"steps":[1],"method":"oral"}')2009")"
raw usage "say how the consent was given (written, oral, oral with an interpreter)" \
    alpha "$(consentreq RAW-0001 "$(scope '"method":"unspecified"')")"
raw usage "a written consent records the SHA-256 of the signed form (--form FILE)" \
    alpha "$(consentreq RAW-0001 "$(scope '"method":"written"')")"
raw usage "a written consent records the SHA-256 of the signed form" \
    alpha "$(consentreq RAW-0001 "$(scope "\"method\":\"written\",\"form_hash\":\"$HASH31\"")")"
raw usage "an interpreted consent names the language" \
    alpha "$(consentreq RAW-0001 "$(scope '"method":"oral_interpreted"')")"
raw usage "the consent's expiry is in the past" \
    alpha "$(consentreq RAW-0001 "$(scope '"method":"oral","expires_at":"2020-01-01T00:00:00Z"')")"
unchanged alpha RAW-0001 "$T/snap.1"
[ "$(field alpha RAW-0001 .case.consents)" = 0 ] || fail "a refused consent is in force"
# The same id twice: the first recorded, the second refused.
SCOPE_ID=$(scope "\"method\":\"written\",\"form_hash\":\"$NOID$NOID\",\"consent_id\":\"$NOID\"")
raw ok "consent recorded; 0 held document(s) released" alpha "$(consentreq RAW-0001 "$SCOPE_ID")"
grep -q "\"consent_id\":\"$NOID\"" "$T/out" || { show; fail "the consent recorded is not shown"; }
snap alpha RAW-0001 "$T/snap.1"
raw refused "consent 0011223344556677 is recorded already" alpha "$(consentreq RAW-0001 "$SCOPE_ID")"
unchanged alpha RAW-0001 "$T/snap.1"
raw ok "ok" alpha '{"consent_list":{"ref":{"code":"RAW-0001"}}}'
[ "$(grep -c '"consent"' "$T/out")" = 1 ] || { show; fail "not one consent listed"; }

step "a departure's waivers come with the request, not in the document"
hw alpha case open RAW-0002 --sex male --age 35 >/dev/null || fail "case open RAW-0002"
raw ok "consent recorded" alpha "$(consentreq RAW-0002 "$(scope '"method":"oral"')")"
C1=$(grep '^{"consent"' "$T/out" | jq -r .consent.consent_id)
raw ok "queued for beta" alpha "$(stepreq RAW-0002 1 "$(enc 1 "$REQ")")"
grep -q '"step":{"state":"queued"' "$T/out" || { show; fail "the request is not queued"; }
wait_for 30 has_case beta RAW-0002 || fail "beta never saw RAW-0002"
hw beta request accept RAW-0002 --home alpha --met-by-agency beta \
    --met-by-contact "duty desk" >/dev/null ||
    fail "beta cannot accept RAW-0002"
accepted() { [ "$(field alpha RAW-0002 '.case.threads[0].request')" = 2 ]; }
wait_for 30 accepted || fail "alpha never saw RAW-0002 accepted"
snap alpha RAW-0002 "$T/snap.2"
raw usage "waivers are given with --waive and --waiver-reason, not in the document" \
    alpha "$(stepreq RAW-0002 5 "$(enc 5 '{"kind":"provisional","rules_waived":["daytime"]}')")"
raw usage "waivers are given with --waive and --waiver-reason, not in the document" \
    alpha "$(stepreq RAW-0002 5 "$(enc 5 '{"kind":"provisional","waived_by":"someone"}')")"
raw usage "waiving a travel rule needs a supervisor and a reason (--waiver-reason)" \
    alpha "$(printf '{"step_send":{"ref":{"code":"RAW-0002"},"msg_type":5,"document":"%s","waive_rules":["daytime"]}}' \
    "$(enc 5 "$PLAN")")"
unchanged alpha RAW-0002 "$T/snap.2"

step "a consent withdrawn while another still names the partner tells it nothing"
raw ok "consent recorded" alpha "$(consentreq RAW-0002 "$(scope '"method":"oral","language":"fr"')")"
raw ok "1 consent(s) withdrawn; 0 partner agencies told to restrict and erase the case" \
    alpha "{\"consent_withdraw\":{\"ref\":{\"code\":\"RAW-0002\"},\"consent_id\":\"$C1\"}}"
[ "$(field alpha RAW-0002 '[.case.state, .case.consents, .case.threads[0].withdrawn] | @tsv')" = \
    "open	1	false" ] || fail "RAW-0002 after the withdrawal: $(hw alpha case show RAW-0002)"
[ "$(hw alpha outbox --json | jq '[.messages[] | select(.msg_type == 257)] | length')" = 0 ] ||
    fail "a withdrawal was sent to a partner still named: $(hw alpha outbox)"

step "a document held for consent is approved only with a reason"
hw alpha case open RAW-0003 --sex male --age 35 >/dev/null || fail "case open RAW-0003"
raw ok "held: no consent covers profile for agency beta at step 1 (request for assistance)" \
    alpha "$(stepreq RAW-0003 1 "$(enc 1 "$REQ")")"
HELD=$(grep '^{"step"' "$T/out" | jq -r .step.held_id)
snap alpha RAW-0003 "$T/snap.3"
raw usage "$HELD is held for consent; to send it under the safety exception give the reason (--reason)" \
    alpha "{\"approve\":{\"held_id\":\"$HELD\"}}"
unchanged alpha RAW-0003 "$T/snap.3"
[ "$(field alpha RAW-0003 '.held | map(.state) | join(",")')" = held ] ||
    fail "RAW-0003's held document: $(hw alpha held RAW-0003)"

# --- 2. a partner's documents -------------------------------------------------

ALPHA_PORT=$(port_of alpha)
# poke NAME TYPE BODYFILE [ANSWER]: wirepoke, as gamma, seals BODYFILE as
# a document of TYPE at the next position of thread NAME ($T/NAME.thread;
# a new thread the first time), and alpha answers with ANSWER: "receipt"
# (the default: stored, whatever its case makes of it) or "Refused" (not
# even stored).  Output in $T/poke.out, the message id in $POKED.
poke() {
	"$WP" send 127.0.0.1 "$ALPHA_PORT" --as "$T/gamma" --pass "$T/gamma.pass" \
	    --to "$T/alpha.bundle" --mode doc --type "$2" --body "$3" \
	    --state "$T/$1.thread" >"$T/poke.out" 2>&1 ||
	    { sed 's/^/    /' "$T/poke.out" >&2; fail "wirepoke doc $1 $2"; }
	grep -q "^doc: received ${4:-receipt}" "$T/poke.out" ||
	    { sed 's/^/    /' "$T/poke.out" >&2; fail "alpha did not answer $1 $2 with ${4:-receipt}"; }
	POKED=$(sed -n 's/^doc: sent \([0-9a-f]*\).*/\1/p' "$T/poke.out")
}
# doc NAME TYPE JSON: poke a document made from JSON.
doc() {
	"$CR" encode "$2" "$3" "$T/doc.pb" || fail "encode $3"
	poke "$1" "$2" "$T/doc.pb"
}
# alerted KIND TEXT: alpha raised one more alert, of KIND, saying TEXT,
# about the message just poked where the detail names one.  Alerts of one
# kind from one peer about one case are counted in one row: the count is
# the sum, the newest is the one changed last.
ALERTS=$(hw alpha alerts --json | jq '[.alerts[].count] | add // 0')
alerted() {
	CHECKS=$((CHECKS + 1))
	hw alpha alerts --json >"$T/alerts.json" || fail "alerts"
	n=$(jq '[.alerts[].count] | add // 0' "$T/alerts.json")
	[ "$n" = $((ALERTS + 1)) ] ||
	    { jq . "$T/alerts.json" >&2; fail "$n alerts, wanted $((ALERTS + 1)): $2"; }
	ALERTS=$n
	jq -r '.alerts | max_by(.last_at) | [.kind, .peer, .detail] | @tsv' \
	    "$T/alerts.json" >"$T/alert"
	[ "$(cut -f1 "$T/alert")" = "$1" ] && [ "$(cut -f2 "$T/alert")" = gamma ] &&
	    grep -qF -- "$2" "$T/alert" ||
	    { cat "$T/alert" >&2; fail "the newest alert is not $1 from gamma: $2"; }
}
no_alert() {
	CHECKS=$((CHECKS + 1))
	[ "$(hw alpha alerts --json | jq '[.alerts[].count] | add // 0')" = "$ALERTS" ] ||
	    { hw alpha alerts >&2; fail "an alert was raised: $1"; }
}
GID=0f0e0d0c0b0a09080706050403020100
CONSENT='"consent":{"consent_id":"'$GID'","recipients":["alpha"],"steps":[1,2,3,4,5,6,7],"categories":["profile","identity","travel"],"method":"oral","given_at":"2026-01-01T00:00:00Z"}'
# What PROTOCOL.md 21.7 asks of a request (a recipient alerts
# "incomplete" on one that lacks it, 21.8).
GREQ='"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]'
SAFETY='"safety":{"reason":"synthetic imminent risk","approved_by":"sup-a","second_approved_by":"sup-b","approved_at":"2026-01-01T00:00:00Z"}'

step "a case starts with a request for assistance carrying a valid case code"
doc t0 3 "{\"header\":{\"case_code\":\"G-0000\",$CONSENT}}"
alerted flow "message $POKED: a case starts with a request for assistance carrying a valid case code"
doc t1 1 "{\"header\":{\"case_code\":\"G 0001\",$CONSENT}}"
alerted flow "message $POKED: a case starts with a request for assistance carrying a valid case code"
doc t2 1 "{\"header\":{\"case_code\":\"$LONG\",$CONSENT}}"
alerted flow "a case starts with a request for assistance carrying a valid case code"
doc t3 1 '{"profile":{"sex":"female"}}'
alerted flow "a case starts with a request for assistance carrying a valid case code"
[ "$(codes alpha)" = "$CODE48 RAW-0001 RAW-0002 RAW-0003" ] || fail "cases at alpha: $(codes alpha)"
[ "$(hw alpha inbox --peer gamma --json | jq '[.messages[] | select(.state == "accepted")] | length')" = 4 ] ||
    fail "alpha did not keep what it receipted: $(hw alpha inbox --peer gamma)"

step "a request under consent opens a case referred to us"
doc g1 1 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT},$GREQ}"
REQ=$POKED
no_alert "a valid request"
[ "$(field alpha G-0001 '[.case.home, .case.role, .case.state, (.case.threads | length), .case.threads[0].request, .case.threads[0].peer] | @tsv')" = \
    "gamma	origin	open	1	1	gamma" ] || fail "G-0001: $(hw alpha case show G-0001)"
[ "$(field alpha G-0001 '.consents[0] | [.consent_id, .source, (.scope.steps | join(","))] | @tsv')" = \
    "$GID	received	request,confirmation,reintegration,reintegration-confirmation,departure,arrival,follow-up" ] ||
    fail "the received consent: $(hw alpha consent list G-0001)"
# The document shown is the one gamma sealed.
raw ok "ok" alpha "{\"document_show\":{\"message_id\":\"$REQ\"}}"
[ "$(grep '"document"' "$T/out" | jq -r '.document | [.direction, .case_code, .peer, .body] | @tsv')" = \
    "received	G-0001	gamma	$(od -An -v -tx1 "$T/doc.pb" | tr -d ' \n')" ] ||
    { show; fail "the received document"; }

step "a consent received without an id is refused; one with an id alpha holds is not kept"
# A scope without its id is not whole (PROTOCOL.md 21.1, 21.8): the
# request is receipted, not applied, and makes no case.
doc g4 1 "{\"header\":{\"case_code\":\"G-0004\",\"consent\":{\"recipients\":[\"alpha\"],\"steps\":[1,2],\"method\":\"oral\",\"given_at\":\"2026-01-01T00:00:00Z\"}},$GREQ}"
alerted header_scope "message $POKED not applied: its consent scope's consent_id is 0 bytes, not 16"
has_case alpha G-0004 && fail "a request whose consent has no id made a case"
# The id of RAW-0001's consent: the first record of an id stays, alone.
doc g5 1 "{\"header\":{\"case_code\":\"G-0005\",\"consent\":{\"consent_id\":\"$NOID\",\"recipients\":[\"alpha\"],\"steps\":[1,2],\"categories\":[\"profile\"],\"method\":\"oral\",\"given_at\":\"2026-01-01T00:00:00Z\"}},$GREQ}"
no_alert "a request whose consent id alpha holds"
[ "$(field alpha G-0005 '[.case.threads[0].summary, (.consents | length)] | @tsv')" = \
    "request pending	0" ] || fail "G-0005: $(hw alpha case show G-0005)"
[ "$(field alpha RAW-0001 '.consents | map(.source) | join(",")')" = recorded ] ||
    fail "RAW-0001's consent: $(hw alpha consent list RAW-0001)"

step "documents in the case's thread that do not keep its rules"
snap alpha G-0001 "$T/snap.g1"
doc g1 3 "{\"header\":{\"case_code\":\"G-0009\",$CONSENT}}"
alerted flow "message $POKED refused by the order rules: its header does not name case G-0001"
doc g1 3 '{"assessment":"synthetic"}'
alerted flow "refused by the order rules: its header does not name case G-0001"
doc g1 3 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT,$SAFETY}}"
alerted flow "refused by the order rules: a step carries exactly one basis, a consent or the safety exception"
doc g1 3 '{"header":{"case_code":"G-0001"}}'
alerted flow "refused by the order rules: a step carries exactly one basis, a consent or the safety exception"
doc g1 257 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}"
alerted flow "refused by the order rules: a withdrawal or erasure carries no basis"
doc g1 258 "{\"header\":{\"case_code\":\"G-0001\",$SAFETY}}"
alerted flow "refused by the order rules: a withdrawal or erasure carries no basis"
# Out of order: the request is not answered yet.
doc g1 3 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}"
alerted flow "step 2 (assistance confirmation) is missing: a reintegration request needs an accepted request for assistance"
doc g1 5 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT},\"kind\":\"provisional\"}"
alerted flow "step 2 (assistance confirmation) is missing: a departure notification needs an accepted request for assistance"
doc g1 1 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}"
alerted flow "the request for assistance sent earlier is still unanswered"
# The origin's steps are not gamma's to send.
doc g1 2 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT},\"decision\":\"accept\"}"
alerted flow "refused by the order rules: an assistance confirmation is sent by the origin agency, not by the destination"
doc g1 258 '{"header":{"case_code":"G-0001"}}'
alerted flow "refused by the order rules: no consent withdrawal to answer: an erasure confirmation answers a consent withdrawal"
# A body that is no document of its type, or one with a field of no
# known category (the gate could not classify it): refused when opened,
# so never stored (and the thread's next position stays free).
printf '\377\377\377' >"$T/junk.pb"
poke g1 1 "$T/junk.pb" Refused
no_alert "an undecodable document"
"$CR" encode 3 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}" "$T/doc.pb" &&
    printf '\370\005\001' >>"$T/doc.pb" || fail "encode"
poke g1 3 "$T/doc.pb" Refused
no_alert "a document with an unknown field"
hw alpha inbox --peer gamma --json | jq -e ".messages[] | select(.message_id == \"$POKED\")" \
    >/dev/null && fail "alpha stored a refused document"
unchanged alpha G-0001 "$T/snap.g1"
[ "$(field alpha G-0001 '.case.threads[0].summary')" = "request pending" ] ||
    fail "G-0001 moved: $(hw alpha case show G-0001)"

step "a code gamma already uses, in another thread"
doc g1b 1 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}"
alerted flow "message $POKED: gamma already has a case G-0001 in another thread"
unchanged alpha G-0001 "$T/snap.g1"

step "a request under the safety exception: applied, and said"
doc g2 1 "{\"header\":{\"case_code\":\"G-0002\",$SAFETY},$GREQ}"
alerted safety_exception "request for assistance from gamma was sent under the safety exception, without consent"
[ "$(field alpha G-0002 '[.case.role, .case.threads[0].summary, (.consents | length)] | @tsv')" = \
    "origin	request pending	0" ] || fail "G-0002: $(hw alpha case show G-0002)"

step "alpha answers: under the consent gamma sent, and only in gamma's thread"
# The consent received with the request covers alpha's answers to gamma
# (docs/PROTOCOL.md 21.4).
raw ok "queued for gamma" alpha "$(stepreq G-0001 2 "$(enc 2 '{"decision":"accept","reasons":"synthetic","meeting_agency":{"agency_id":"alpha","contact":"duty desk"}}')" gamma)"
grep -q '"step":{"state":"queued"' "$T/out" || { show; fail "the answer is not queued"; }
[ "$(field alpha G-0001 '.case.threads[0].summary')" = "request accepted" ] ||
    fail "G-0001 after the answer: $(hw alpha case show G-0001)"
# A case referred to us has one partner, the agency that referred it.
snap alpha G-0002 "$T/snap.g2"
raw not_found "case G-0002 has no thread with beta" \
    alpha "$(stepreq G-0002 2 "$(enc 2 '{"decision":"accept"}')" beta)"
unchanged alpha G-0002 "$T/snap.g2"

step "gamma withdraws consent: the case is restricted, erasure confirmed"
doc g1 257 "{\"header\":{\"case_code\":\"G-0001\"},\"withdrawn_at\":\"2026-01-01T00:00:00Z\",\"consent_id\":\"$NOID\"}"
WD=$POKED
alerted consent_withdrawn "message $WD: gamma withdrew consent: the thread with it is restricted and erased"
[ "$(field alpha G-0001 '[.case.state, .case.threads[0].withdrawn] | @tsv')" = "restricted	true" ] ||
    fail "G-0001 after the withdrawal: $(hw alpha case show G-0001)"
[ "$(hw alpha outbox --json | jq -r '[.messages[] | select(.msg_type == 258 and .peer == "gamma")] | length')" = 1 ] ||
    fail "no erasure confirmation for gamma: $(hw alpha outbox)"
hw alpha audit list --json | jq -e ".audit[] | select(.message_id == \"$WD\" and
    (.detail | contains(\"erasure confirmation queued: the thread is erased when it is receipted\")))" \
    >/dev/null || fail "the withdrawal is not in the audit log"
snap alpha G-0001 "$T/snap.g1"
# After it nothing but an erasure confirmation applies; a second
# withdrawal neither.
doc g1 257 '{"header":{"case_code":"G-0001"}}'
alerted flow "refused by the order rules: consent was withdrawn: the thread is restricted"
doc g1 1 "{\"header\":{\"case_code\":\"G-0001\",$CONSENT}}"
alerted flow "refused by the order rules: consent was withdrawn: the thread is restricted"
unchanged alpha G-0001 "$T/snap.g1"

step "lists beyond their cap are cut to it, not refused"
raw ok "ok" alpha '{"alert_list":{"all":true,"limit":20000}}'
[ "$(grep -c '^{"alert"' "$T/out")" = "$(hw alpha alerts --all --json | jq '.alerts | length')" ] ||
    { show; fail "not every alert listed"; }
raw ok "ok" alpha '{"message_list":{"direction":"in","peer":"gamma","limit":20000}}'
[ "$(grep -c '^{"message"' "$T/out")" = \
    "$(hw alpha inbox --peer gamma --json | jq '.messages | length')" ] ||
    { show; fail "not every message of gamma listed"; }

step "a request refused for its basis applies nothing to its thread"
doc g3 1 '{"header":{"case_code":"G-0003"}}'
alerted flow "refused by the order rules: a step carries exactly one basis, a consent or the safety exception"
# (The case itself is created before its header is checked, and stays
# without a thread: reported, not asserted here.)
if has_case alpha G-0003; then
	[ "$(field alpha G-0003 '.case.threads | length')" = 0 ] ||
	    fail "the refused request was applied: $(hw alpha case show G-0003)"
fi

# SIGTERM, not the trap's SIGKILL: a daemon that returns from main writes
# its coverage counters.
agency_stop beta
agency_stop alpha
echo "rawctl: $CHECKS checks passed"
