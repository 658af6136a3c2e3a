#!/bin/sh
# Per-partner travel rules (issue 10, item 8), between real daemons on
# 127.0.0.1: ci-abidjan sends people home to ml-bamako and sn-dakar, and
# its homewardd.conf gives each partner its own working week and public
# holidays ([travel "AGENCY"]).  Played through the real CLI:
#   - a section naming an agency that is not a pinned peer is warned
#     about at start and on SIGHUP, and no more once the peer is imported;
#   - the same plan, arriving on a Tuesday that is a public holiday in
#     Mali, is refused for ml-bamako (naming the date, the zone and the
#     rule) and accepted for sn-dakar; one arriving on a Friday, sn-dakar's
#     weekend, the other way round;
#   - the arrival's local time is in the notice's arrival_zone, else in
#     the receiving agency's zone, and the refusal says which;
#   - a supervisor's waiver of "holiday" lets the plan go, and the
#     partner sees it; a caseworker's does not;
#   - a holiday added to the file counts after SIGHUP.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/travel_rules.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

SUPERVISOR=2951
CASEWORKER=2952
IN=$T/input
mkdir -p "$IN"
chmod 755 "$T"

DEST=ci-abidjan
ML=ml-bamako
SN=sn-dakar

sup() { as $SUPERVISOR "$HWCLI" -s "$T/$DEST.sock" "$@"; }
cw() { as $CASEWORKER "$HWCLI" -s "$T/$DEST.sock" "$@"; }
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
thread() {
	hw "$1" case show "$2" --json |
	    jq -r ".case.threads[] | select(.peer == \"$3\") | .$4"
}
thread_is() { [ "$(thread "$1" "$2" "$3" "$4")" = "$5" ]; }

# Days far enough ahead for the advance notice (72 h): a Tuesday (the
# holiday), the Friday after it, and the Tuesday after that.
i=10
while [ "$(date -u -d "+$i days" +%u)" != 2 ]; do i=$((i + 1)); done
TUE=$(date -u -d "+$i days" +%Y-%m-%d)
FRI=$(date -u -d "$TUE +3 days" +%Y-%m-%d)
TUE2=$(date -u -d "$TUE +7 days" +%Y-%m-%d)
# Not a holiday anywhere: the lists are not one value for all.
OTHER=$(date -u -d "$TUE +1 day" +%Y-%m-%d)

# plan FILE DAY PEER [ZONE]: leaves Abidjan 06:00 UTC on DAY, lands 09:00
# UTC (09:00 in Bamako and Dakar); ZONE the notice's arrival_zone ("" for
# none; default the partner's).
plan() {
	zone=${4-Africa/Bamako}
	if [ -n "$zone" ]; then
		az="\"arrival_zone\": \"$zone\","
		tz=$zone
	else
		az=
		tz=Africa/Bamako
	fi
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "DST", "to_zone": "$tz",
              "departure": "${2}T06:00:00Z", "arrival": "${2}T09:00:00Z" } ],
  "arrival_place": "DST", $az
  "escorts": [ { "role": "operational", "gender": "male", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "$3", "name": "Agency $3", "contact": "duty officer" } }
EOF
	chmod 644 "$1"
}

# open_case CODE PEER...: consent, request and acceptance with each.
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

# reloaded N: the daemon logged "configuration reloaded" N times.
reloaded() { [ "$(grep -c 'configuration reloaded' "$T/$DEST.log")" -ge "$1" ]; }
hup() {
	n=$(($(grep -c 'configuration reloaded' "$T/$DEST.log" || true) + 1))
	from=$(($(wc -l <"$T/$DEST.log") + 1))
	kill -HUP "$(cat "$T/$DEST.pid")"
	wait_for 20 reloaded "$n" || fail "$DEST did not reload"
	tail -n "+$from" "$T/$DEST.log" >"$T/reload.log"
}

step "ci-abidjan's rules: ml-bamako keeps Saturday and Sunday and a holiday; sn-dakar rests on Friday and Saturday"
EXTRA_CONF=$(printf '%s\n' "[roles]" "$SUPERVISOR = supervisor" \
    "$CASEWORKER = caseworker" "[travel]" "holidays = $OTHER" \
    "[travel \"$ML\"]" "holidays = 2020-01-01," "  $TUE" \
    "[travel \"$SN\"]" "weekend = fri,sat" "holidays =" \
    "[travel \"gh-accra\"]" "earliest_hour = 7") agency_new $DEST listen
TZONE=Africa/Bamako agency_new $ML listen
TZONE=Africa/Dakar agency_new $SN listen
expect 0 "$HWD" -n -f "$T/$DEST.conf"
prints "configuration OK"
for a in $DEST $ML $SN; do agency_start $a; done
grep -q "\[travel \"gh-accra\"\] names no pinned peer" "$T/$DEST.log" ||
    fail "no warning for gh-accra: $(cat "$T/$DEST.log")"
grep -q "\[travel \"$ML\"\] names no pinned peer" "$T/$DEST.log" ||
    fail "no warning for $ML before it was imported"
pair $DEST $ML
pair $DEST $SN
chmod 666 "$T"/*.sock
wait_for 20 peer_connected $DEST $ML || fail "$ML never connected"
wait_for 20 peer_connected $DEST $SN || fail "$SN never connected"
hup
grep -q "\[travel \"gh-accra\"\] names no pinned peer" "$T/reload.log" ||
    fail "no warning for gh-accra on reload"
! grep -q "\[travel \"$ML\"\]\|\[travel \"$SN\"\]" "$T/reload.log" ||
    fail "a warning for an imported peer: $(cat "$T/reload.log")"
cat >"$IN/request.json" <<'EOF'
{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 },
  "needs": [ "shelter", "psychosocial" ] }
EOF
chmod 644 "$IN"/*
open_case TRAV-1 $ML $SN
open_case TRAV-2 $ML $SN

step "arriving on Tuesday $TUE: a public holiday for $ML, a working day for $SN"
plan "$IN/tue-ml.json" "$TUE" $ML
plan "$IN/tue-sn.json" "$TUE" $SN Africa/Dakar
expect 1 hw $DEST departure plan TRAV-1 --to $ML --file "$IN/tue-ml.json"
says "arrives 09:00 Tuesday $TUE in Africa/Bamako (arrival_zone), a public holiday of the receiving country"
says "(holiday)"
says "--waive RULE"
expect 0 hw $DEST departure plan TRAV-1 --to $SN --file "$IN/tue-sn.json"
wait_for 20 thread_is $SN TRAV-1 $DEST departure 1 || fail "the plan never reached $SN"

step "no arrival_zone: the receiving agency's zone, and the refusal says so"
plan "$IN/tue-ml-nozone.json" "$TUE" $ML ""
expect 1 hw $DEST departure plan TRAV-1 --to $ML --file "$IN/tue-ml-nozone.json"
says "in Africa/Bamako (receiving agency's zone), a public holiday"

step "arriving on Friday $FRI: sn-dakar's weekend, a working day for ml-bamako"
plan "$IN/fri-ml.json" "$FRI" $ML
plan "$IN/fri-sn.json" "$FRI" $SN Africa/Dakar
expect 1 hw $DEST departure plan TRAV-2 --to $SN --file "$IN/fri-sn.json"
says "arrives 09:00 Friday $FRI in Africa/Dakar (arrival_zone); arrivals must be on a working day (workday)"
if grep -q "(holiday)" "$T/stderr"; then fail "sn-dakar has no holidays"; fi
expect 0 hw $DEST departure plan TRAV-2 --to $ML --file "$IN/fri-ml.json"

step "the holiday waived: by a supervisor with a reason, not by a caseworker"
expect 1 cw departure plan TRAV-1 --to $ML --file "$IN/tue-ml.json" \
    --waive holiday --waiver-reason "synthetic: the shelter opens that day"
says "waiving a travel rule needs a supervisor"
expect 0 sup departure plan TRAV-1 --to $ML --file "$IN/tue-ml.json" \
    --waive holiday --waiver-reason "synthetic: the shelter opens that day"
wait_for 20 thread_is $ML TRAV-1 $DEST departure 1 || fail "the waived plan never reached $ML"
tid=$(hw $ML case show TRAV-1 --json | jq -r '.case.threads[0].thread_id')
mid=$(hw $ML inbox --json | jq -r "[.messages[] | select(.thread_id == \"$tid\" and
    .msg_type == 5)][0].message_id")
expect 0 hw $ML document show "$mid"
prints "holiday"
prints "the shelter opens that day"

step "a holiday added for $SN counts after SIGHUP"
printf '[travel "%s"]\nholidays = %s\n' $SN "$TUE2" >>"$T/$DEST.conf"
open_case TRAV-3 $SN
plan "$IN/tue2-sn.json" "$TUE2" $SN Africa/Dakar
hup
expect 1 hw $DEST departure plan TRAV-3 --to $SN --file "$IN/tue2-sn.json"
says "arrives 09:00 Tuesday $TUE2 in Africa/Dakar (arrival_zone), a public holiday"
# A file the daemon refuses on SIGHUP keeps the rules it had.
cp "$T/$DEST.conf" "$T/$DEST.conf.good"
printf '[travel "%s"]\nholidays = %s-02-30\n' $SN "${TUE2%%-*}" >>"$T/$DEST.conf"
kill -HUP "$(cat "$T/$DEST.pid")"
wait_for 20 grep -q "reload refused: .*holidays: \"${TUE2%%-*}-02-30\" is not a date" \
    "$T/$DEST.log" || fail "a bad date was not refused on reload"
expect 1 hw $DEST departure plan TRAV-3 --to $SN --file "$IN/tue2-sn.json"
says "a public holiday"
cp "$T/$DEST.conf.good" "$T/$DEST.conf"

printf 'travel_rules.sh: %d checks passed\n' "$CHECKS"
