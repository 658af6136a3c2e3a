#!/bin/sh
# A pinned partner turned hostile (issue 11, items 4-6), against real
# daemons on 127.0.0.1.  wirepoke (tests/tools/wirepoke.c, its flood and
# send commands) plays the hostile partners gamma, delta and echo, which
# the daemons have pinned; beta is a good partner with a daemon of its own.
# Small caps and quotas come from each daemon's configuration.
#
#   1. strict (test_documents = no) refuses a partner's test documents
#      (0x7f00) with a Refused frame each, stores none of them, and says
#      so in ONE alert that counts them.
#   2. alpha ([quotas] peer_kb = 192): gamma floods it with test
#      documents; alpha stores up to the quota, suspends gamma and raises
#      ONE urgent alert naming gamma and peer_kb; beta's documents are
#      delivered all the same; `homeward peers resume gamma` lets gamma in
#      again.
#   3. alpha (new_cases_per_day = 4): delta sends 9 requests for
#      assistance, each for a case of its own: 4 cases are opened, then
#      delta is suspended with one urgent alert naming new_cases_per_day.
#   4. alpha (alerts_per_hour = 40): echo sends 20 documents that break
#      the order rules: ONE flow alert counts them all, with ONE audit
#      entry; 30 more reach the quota: echo is suspended.
#   5. small (max_data_mb = 1, reserve_kb = 320): gamma's flood stops
#      below the cap less the reserve, and the operator can still open a
#      case; then with reserve_kb = 0 the flood runs into the cap itself
#      (SQLite's "full"): every case key in keystore.db still has its
#      thread or case in data.db (none is left behind by a rolled-back
#      envelope).
# Synthetic data only.  Uses $BUILD (default build).
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
WP=$BUILD/tests/tools/wirepoke
CR=$BUILD/tests/tools/ctlraw
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$WP" "$CR"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 (the CLI) is needed" >&2; exit 1; }
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/quotas.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# pin AGENCY PEER: AGENCY pins PEER (whose daemon never runs).
pin() {
	hw "$1" peers import "$T/$2.bundle" --fingerprint "$(fingerprint_of "$2")" \
	    >/dev/null || fail "$1 cannot import $2"
}
# flood AGENCY AS ARGS...: wirepoke floods AGENCY as AS; its last line in
# $FLOODED ("sent S receipts R refused F unanswered U").
flood() {
	to=$1
	who=$2
	shift 2
	"$WP" flood 127.0.0.1 "$(port_of "$to")" --as "$T/$who" --pass "$T/$who.pass" \
	    --to "$T/$to.bundle" "$@" >"$T/flood.out" 2>&1 ||
	    { sed 's/^/    /' "$T/flood.out" >&2; fail "wirepoke flood $to as $who"; }
	FLOODED=$(sed -n 's/^flood: sent /sent /p' "$T/flood.out")
}
# count WORD: the number after WORD in $FLOODED.
count() { printf '%s\n' "$FLOODED" | sed -n "s/.* *$1 \([0-9]*\).*/\1/p"; }
sent() { printf '%s\n' "$FLOODED" | sed -n 's/^sent \([0-9]*\).*/\1/p'; }
suspended() {
	[ "$(hw "$1" peers --json | jq -r ".peers[] | select(.agency_id == \"$2\") | .suspended")" = true ]
}
# alerts_of AGENCY JQ-FILTER: the alerts (all of them) that FILTER selects.
alerts_of() { hw "$1" alerts --all --limit 10000 --json | jq -c "[.alerts[] | $2]"; }
sql() { sqlite3 "$T/$1.state/$2" "$3"; }
# Documents of the procedure (synthetic), "#####" numbered by wirepoke.
GID=0f0e0d0c0b0a09080706050403020100
CONSENT='"consent":{"consent_id":"'$GID'","recipients":["alpha"],"steps":[1,2,3,4,5,6,7],"categories":["profile","identity","travel"],"method":"oral","given_at":"2026-01-01T00:00:00Z"}'
REQ='"scenario":"police_or_ngo","profile":{"sex":"female","age":30},"needs":["shelter"]'

step "alpha, strict and small listen; beta dials alpha; gamma, delta and echo are played by wirepoke"
EXTRA_CONF='[quotas]
peer_kb = 192
new_threads_per_day = 1000
new_cases_per_day = 4
alerts_per_hour = 40' agency_new alpha listen
EXTRA_CONF='[daemon]
test_documents = no' agency_new strict listen
EXTRA_CONF='[daemon]
max_data_mb = 1
reserve_kb = 320
[quotas]
peer_kb = 0
new_threads_per_day = 0
alerts_per_hour = 0' agency_new small listen
agency_new beta
agency_new gamma
agency_new delta
agency_new echo
for a in alpha strict small beta; do agency_start "$a"; done
pair alpha beta
for h in gamma delta echo; do pin alpha "$h"; done
pin strict gamma
pin small gamma
wait_for 30 peer_connected alpha beta || fail "beta never connected to alpha"

# --- 1. test documents where they are off --------------------------------

step "strict refuses gamma's test documents, each with a Refused frame, in one alert"
flood strict gamma --count 40
[ "$(sent)" = 40 ] && [ "$(count receipts)" = 0 ] && [ "$(count refused)" = 40 ] ||
    { cat "$T/flood.out" >&2; fail "strict did not refuse the 40 test documents: $FLOODED"; }
[ "$(hw strict inbox --json | jq '.messages | length')" = 0 ] ||
    fail "strict stored a test document: $(hw strict inbox)"
[ "$(alerts_of strict 'select(.kind == "test_document") | [.peer, .count]')" = '[["gamma",40]]' ] ||
    fail "not one test_document alert counting 40: $(hw strict alerts --all)"
hw strict alerts --json | jq -r '.alerts[0].detail' | grep -q "test_documents = no" ||
    fail "the alert does not say why: $(hw strict alerts)"

# --- 2. the bytes a partner may make us store -------------------------------

step "gamma floods alpha past peer_kb: suspended, one urgent alert, beta still delivers"
flood alpha gamma --count 200 --len 3000
[ "$(count receipts)" -gt 20 ] && [ "$(count receipts)" -lt 200 ] ||
    { cat "$T/flood.out" >&2; fail "alpha stored not up to the quota: $FLOODED"; }
suspended alpha gamma || fail "gamma is not suspended: $(hw alpha peers)"
[ "$(alerts_of alpha 'select(.kind == "quota") | [.peer, .urgent, .count]')" = '[["gamma",true,1]]' ] ||
    fail "not one urgent quota alert naming gamma: $(hw alpha alerts --all)"
hw alpha alerts --json | jq -r '.alerts[] | select(.kind == "quota") | .detail' |
    grep -q "quota peer_kb = 192" || fail "the alert does not name the quota: $(hw alpha alerts)"
hw alpha audit list --limit 10000 --json | jq -e '[.audit[] | select(.action == "peer.quota")] | length == 1' \
    >/dev/null || fail "the suspension is not audited once"
# More from gamma: nothing stored, no second alert.
stored=$(hw alpha inbox --peer gamma --limit 10000 --json | jq '.messages | length')
flood alpha gamma --count 10
[ "$(count receipts)" = 0 ] || fail "a suspended gamma was receipted: $FLOODED"
[ "$(hw alpha inbox --peer gamma --limit 10000 --json | jq '.messages | length')" = "$stored" ] ||
    fail "alpha stored from a suspended gamma"
[ "$(alerts_of alpha 'select(.kind == "quota")' | jq length)" = 1 ] ||
    fail "a second quota alert: $(hw alpha alerts --all)"
printf 'synthetic document %s\n' 1 2 3 >"$T/doc"
for i in 1 2 3; do
	hw beta send --to alpha --type 0x7f00 --file "$T/doc" >/dev/null || fail "beta send $i"
done
wait_for 30 all_acked beta || fail "beta's documents were not delivered while gamma was suspended"
hw alpha peers resume gamma >/dev/null || fail "resume gamma"
flood alpha gamma --count 2
[ "$(count receipts)" = 2 ] || fail "a resumed gamma was not let in: $FLOODED"

# --- 3. new cases a day -------------------------------------------------------

step "delta's 9 requests for assistance: 4 cases, then suspended"
"$CR" encode 1 "{\"header\":{\"case_code\":\"FL-#####\",$CONSENT},$REQ}" "$T/req.pb" ||
    fail "encode the request"
flood alpha delta --count 9 --type 1 --body "$T/req.pb"
[ "$(count receipts)" = 4 ] ||
    { cat "$T/flood.out" >&2; fail "not 4 requests stored: $FLOODED"; }
[ "$(hw alpha case list --json | jq '[.cases[] | select(.home == "delta")] | length')" = 4 ] ||
    fail "not 4 cases from delta: $(hw alpha case list)"
suspended alpha delta || fail "delta is not suspended"
[ "$(alerts_of alpha 'select(.kind == "quota" and .peer == "delta") | .urgent')" = '[true]' ] ||
    fail "not one urgent quota alert naming delta: $(hw alpha alerts --all)"
hw alpha alerts --json | jq -r '.alerts[] | select(.kind == "quota" and .peer == "delta") | .detail' |
    grep -q "new_cases_per_day = 4" || fail "the alert does not name new_cases_per_day"

# --- 4. bad documents: one alert, one audit entry; then alerts_per_hour -----

step "echo's 20 bad documents are one flow alert and one audit entry"
audit0=$(hw alpha audit list --limit 10000 --json | jq '[.audit[] | select(.action == "alert")] | length')
"$CR" encode 3 "{\"header\":{\"case_code\":\"FL-#####\",$CONSENT}}" "$T/bad.pb" ||
    fail "encode the bad document"
flood alpha echo --count 20 --type 3 --body "$T/bad.pb"
[ "$(count receipts)" = 20 ] || fail "echo's documents not all receipted: $FLOODED"
[ "$(alerts_of alpha 'select(.kind == "flow" and .peer == "echo") | .count')" = '[20]' ] ||
    fail "not one flow alert counting 20: $(hw alpha alerts --all)"
audit1=$(hw alpha audit list --limit 10000 --json | jq '[.audit[] | select(.action == "alert")] | length')
[ "$audit1" = $((audit0 + 1)) ] || fail "$((audit1 - audit0)) audit entries for one alert"
suspended alpha echo && fail "echo suspended below its alerts_per_hour"
flood alpha echo --count 30 --type 3 --body "$T/bad.pb"
suspended alpha echo || fail "echo is not suspended at alerts_per_hour"
hw alpha alerts --json | jq -r '.alerts[] | select(.kind == "quota" and .peer == "echo") | .detail' |
    grep -q "alerts_per_hour = 40" || fail "the alert does not name alerts_per_hour"

# --- 5. the cap, the reserve, and keys without rows -------------------------

orphans() {
	keys=$(sql small keystore.db "SELECT hex(case_id) FROM case_keys ORDER BY 1")
	rows=$(sql small data.db "SELECT hex(thread_id) FROM threads UNION SELECT hex(case_id) FROM cases ORDER BY 1")
	printf '%s\n' "$keys" | grep -v '^$' | while read -r k; do
		printf '%s\n' "$rows" | grep -qx "$k" || echo "$k"
	done | wc -l
}
step "small keeps its reserve: the flood stops below it, the operator still writes"
flood small gamma --count 400 --len 3000
[ "$(count receipts)" -gt 50 ] && [ "$(count receipts)" -lt 400 ] ||
    { cat "$T/flood.out" >&2; fail "small did not stop at its cap less the reserve: $FLOODED"; }
used=$(sql small data.db "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)")
page=$(sql small data.db "PRAGMA page_size")
# The check is per message, before its rows are written: the last batch
# may reach a little into the reserve, never half of it.
[ $((used * page)) -le $(((1024 - 160) * 1024)) ] ||
    fail "small's data.db holds $((used * page)) bytes: the flood ate into its reserve"
grep -q "not stored: data.db is at max_data_mb less reserve_kb" "$T/small.log" ||
    fail "small does not say why it stores nothing more"
hw small case open QT-0001 --sex male --age 35 >/dev/null ||
    fail "the operator cannot open a case once partners filled small"
[ "$(orphans)" = 0 ] || fail "case keys without rows in small's keystore.db"

step "small with no reserve runs into the cap itself: no case key outlives its rows"
agency_stop small
conf_edit "$T/small.conf" 's/^reserve_kb = 320$/reserve_kb = 0/'
agency_start small
keys0=$(sql small keystore.db "SELECT count(*) FROM case_keys")
flood small gamma --count 400 --len 3000
[ "$(count receipts)" -lt 400 ] || fail "small stored past its cap: $FLOODED"
[ "$(orphans)" = 0 ] || fail "$(orphans) case keys without rows in small's keystore.db (before: $keys0)"
hw small status >/dev/null || fail "small stopped answering"

echo "quotas: all checks passed"
