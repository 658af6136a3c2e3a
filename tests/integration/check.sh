#!/bin/sh
# homeward check and the monitoring figures of homeward status (issue 12),
# between real daemons on 127.0.0.1: ci-abidjan listens, ml-bamako dials.
#   - all well: exit 0, "HOMEWARD OK";
#   - the partner stopped: WARNING, then CRITICAL past the bounds of
#     --unreachable, naming it; a document waiting for its receipt past
#     --unacked; the partner back: OK again;
#   - our certificates inside --expiry: WARNING, then CRITICAL;
#   - free disk space under --disk;
#   - an urgent alert (her arrival overdue): CRITICAL;
#   - the daemon down, or a usage error: UNKNOWN (3);
#   - status --json carries the figures, check --json the findings.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/check.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

A=ci-abidjan
B=ml-bamako
IN=$T/input
mkdir -p "$IN"
# check_is AGENCY EXIT ARGS...: homeward check exits so.
check_is() {
	who=$1 want=$2
	shift 2
	rc=0
	hw "$who" check "$@" >"$T/check.out" 2>"$T/check.err" || rc=$?
	[ "$rc" = "$want" ]
}
first_line() { head -1 "$T/check.out"; }

PROC=$(printf '[procedure]\ndeadline_check_ms = 200\narrival_grace_ms = 500\n')
step "two agencies, connected: OK"
EXTRA_CONF=$PROC agency_new $A listen
EXTRA_CONF=$PROC agency_new $B
for a in $A $B; do agency_start $a; done
pair $A $B
wait_for 20 peer_connected $A $B || fail "$B never connected"
check_is $A 0 || fail "not OK: $(cat "$T/check.out")"
case $(first_line) in
"HOMEWARD OK - "*"| urgent_alerts=0 outbox_unacked=0 disk_free="*) ;;
*) fail "first line: $(first_line)" ;;
esac
expect 0 hw $A status --json
for f in urgent_alerts open_alerts tls_not_after dsk_not_after data_bytes \
    disk_free_bytes; do
	jq -e ".$f != null" "$T/stdout" >/dev/null || fail "status --json lacks $f"
done
[ "$(jq -r .urgent_alerts "$T/stdout")" = 0 ] || fail "urgent alerts at the start"
expect 0 hw $A peers --json
jq -e '.peers[0].unreachable_since == null and .peers[0].dsk_not_after > 0' \
    "$T/stdout" >/dev/null || fail "peers --json: $(cat "$T/stdout")"

step "the partner stops: WARNING, then CRITICAL; a message waits for its receipt"
agency_stop $B
check_is $A 0 || fail "a partner gone a moment ago is not yet a problem"
wait_for 20 check_is $A 1 --unreachable 1s,1h || fail "no WARNING: $(cat "$T/check.out")"
case $(first_line) in
"HOMEWARD WARNING - $B unreachable for "*) ;;
*) fail "first line: $(first_line)" ;;
esac
wait_for 20 check_is $A 2 --unreachable 1s,2s || fail "no CRITICAL: $(cat "$T/check.out")"
grep -q "^critical: $B unreachable for" "$T/check.out" || fail "$(cat "$T/check.out")"
expect 0 hw $A peers --json
jq -e '.peers[0].unreachable_since > 0' "$T/stdout" >/dev/null || fail "no unreachable_since"
printf 'synthetic test document\n' >"$IN/test.bin"
expect 0 hw $A send --to $B --type 0x7f00 --file "$IN/test.bin"
wait_for 20 check_is $A 1 --unacked 1s,1h || fail "no unacked WARNING: $(cat "$T/check.out")"
grep -q "^warning: a message has waited .* for its receipt" "$T/check.out" ||
    fail "$(cat "$T/check.out")"
agency_start $B
wait_for 20 peer_connected $A $B || fail "$B never came back"
wait_for 20 check_is $A 0 --unacked 1s,1h || fail "not OK again: $(cat "$T/check.out")"

step "certificates inside --expiry; too little disk"
check_is $A 1 --expiry 400d,300d || fail "TLS expiry: $(cat "$T/check.out")"
grep -q "^warning: our TLS certificate expires in" "$T/check.out" || fail "$(cat "$T/check.out")"
check_is $A 2 --expiry 800d,400d || fail "expiry critical: $(cat "$T/check.out")"
grep -q "^critical: $B's signing certificate expires in" "$T/check.out" ||
    fail "the partner's certificate: $(cat "$T/check.out")"
check_is $A 1 --disk 999999999,0 || fail "disk: $(cat "$T/check.out")"
grep -q "^warning: .* MB left on the state directory's file system" "$T/check.out" ||
    fail "$(cat "$T/check.out")"

step "an urgent alert (her arrival overdue) is CRITICAL"
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
cat >"$IN/request.json" <<JSON
{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 },
  "needs": [ "shelter" ] }
JSON
cat >"$IN/plan.json" <<JSON
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(rfc3339 $((now - 1800)))", "arrival": "$(rfc3339 $((now + 1)))" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "male", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "$B", "name": "Agency $B", "contact": "duty officer" } }
JSON
thread_is() {
	[ "$(hw "$1" case show "$2" --json | jq -r ".case.threads[0].$3")" = "$4" ]
}
WAIVE="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"
expect 0 hw $A case open CI-CHECK-1 --sex male --age 30
expect 0 hw $A consent record CI-CHECK-1 --to $B --steps all --categories all --method oral
expect 0 hw $A request send CI-CHECK-1 --to $B --file "$IN/request.json"
wait_for 20 hw $B case show CI-CHECK-1 || fail "$B never saw the case"
expect 0 hw $B request accept CI-CHECK-1 --met-by-agency $B --met-by-contact "duty officer"
wait_for 20 thread_is $A CI-CHECK-1 request 2 || fail "no acceptance"
# shellcheck disable=SC2086
expect 0 hw $A departure plan CI-CHECK-1 --to $B --file "$IN/plan.json" $WAIVE
# shellcheck disable=SC2086
expect 0 hw $A departure depart CI-CHECK-1 --to $B --file "$IN/plan.json" $WAIVE
wait_for 30 check_is $A 2 || fail "no CRITICAL for the urgent alert: $(cat "$T/check.out")"
grep -q "^critical: 1 urgent alert(s) open" "$T/check.out" || fail "$(cat "$T/check.out")"
expect 0 hw $A status --json
[ "$(jq -r .urgent_alerts "$T/stdout")" -ge 1 ] || fail "status --json: no urgent alert"
expect 2 hw $A check --json
jq -e '.state == "CRITICAL" and .exit == 2 and
    ([.findings[] | select(.what == "urgent_alerts")] | length == 1)' "$T/stdout" \
    >/dev/null || fail "check --json: $(cat "$T/stdout")"

step "the daemon down, or a usage error: UNKNOWN"
check_is $A 3 --unreachable 1h || fail "usage error: exit $rc"
agency_stop $A
check_is $A 3 || fail "daemon down: exit $rc"
case $(first_line) in
"HOMEWARD UNKNOWN - homewardd did not answer") ;;
*) fail "first line: $(first_line)" ;;
esac

echo "check: all checks passed ($CHECKS CLI checks)"
