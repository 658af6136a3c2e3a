#!/bin/sh
# make demo: Homeward end to end, with two synthetic agencies in a
# temporary directory: a destination office ("demo-dest", Abidjan) and an
# origin partner behind NAT ("demo-origin", Bamako).
#
#   1. each creates its keys with homeward-keys init;
#   2. they exchange signed bundles and compare fingerprints and the
#      pairwise safety number, as two operators would by phone;
#   3. each starts homewardd on 127.0.0.1 (the partner has no listener:
#      it dials out) and imports the other's bundle;
#   4. one synthetic case walks the six steps of the procedure: the request
#      for assistance held for lack of consent and released when the
#      guardian's consent is recorded; its confirmation; the reintegration
#      request and its confirmation; the provisional and the final
#      departure notice with a female escort; the arrival confirmation;
#   5. both timelines; an auditor verifies a signed receipt from the public
#      bundles alone, and each audit log's hash chain;
#   6. both daemons stop cleanly.
#
# Synthetic passphrases in files: never do this with real keys.
set -eu
BUILD=${BUILD:-build}
KEYS=$BUILD/homeward-keys
HWD=$BUILD/homewardd
HW=$BUILD/homeward
# The office's port; if another program holds it, the office takes another
# (step 3).
PORT=${DEMO_PORT:-17443}

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/homeward-demo.XXXXXX")
stop_all() {
	for p in "$T"/*.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap stop_all EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

printf 'demo destination root passphrase\n' >"$T/dest.rik"
printf 'demo destination daemon passphrase\n' >"$T/dest.pass"
printf 'demo origin root passphrase\n' >"$T/origin.rik"
printf 'demo origin daemon passphrase\n' >"$T/origin.pass"

say "1. Each agency creates its keys (Argon2id: a few seconds each)"
"$KEYS" init --dir "$T/dest" --agency-id demo-dest \
    --name "Demo destination office" --country CI --time-zone Africa/Abidjan \
    --endpoint 127.0.0.1:$PORT \
    --rik-passphrase-file "$T/dest.rik" --passphrase-file "$T/dest.pass"
"$KEYS" init --dir "$T/origin" --agency-id demo-origin \
    --name "Demo origin partner" --country ML --time-zone Africa/Bamako \
    --rik-passphrase-file "$T/origin.rik" --passphrase-file "$T/origin.pass"

say "2. They exchange signed bundles and compare fingerprints out of band"
"$KEYS" export --dir "$T/dest" -o "$T/dest.bundle"
"$KEYS" export --dir "$T/origin" -o "$T/origin.bundle"
echo "-- the partner inspects the office's bundle:"
"$KEYS" inspect "$T/dest.bundle"
echo "-- the safety number, read aloud by both operators (it must match):"
"$KEYS" fingerprint --dir "$T/dest" --peer "$T/origin.bundle"
"$KEYS" fingerprint --dir "$T/origin" --peer "$T/dest.bundle"

say "3. Each starts its daemon; the office listens, the partner (behind NAT) dials out"
conf() {
	cat <<CONF
[agency]
dir = $T/$1
passphrase_file = $T/$1.pass
[daemon]
state_dir = $T/$1.state
control_socket = $T/$1.sock
log_level = warn
$2
[delivery]
retry_min_ms = 1000
dial_min_ms = 200
dial_max_ms = 2000
CONF
}
wait_for() { i=0; until "$@" >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || return 1; sleep 0.1; done; }
# dest_up: the office's daemon answers, or has exited.
dest_up() { "$HW" -s "$T/dest.sock" status || ! kill -0 "$(cat "$T/dest.pid")"; }
conf origin "" >"$T/origin.conf"
# If another program holds PORT, the office listens on another one (a
# random one below the kernel's ephemeral range, 20 tries at most); its
# bundle still names PORT, so the partner imports it with --endpoint, as
# an operator would for an office that moved.
ENDPOINT=
tries=1
while :; do
	conf dest "listen = 127.0.0.1:$PORT" >"$T/dest.conf"
	"$HWD" -f "$T/dest.conf" 2>"$T/dest.log" &
	echo $! >"$T/dest.pid"
	wait_for dest_up || { cat "$T/dest.log"; exit 1; }
	"$HW" -s "$T/dest.sock" status >/dev/null 2>&1 && break
	wait "$(cat "$T/dest.pid")" || true
	if [ "$tries" -ge 20 ] || ! grep -q "address already in use" "$T/dest.log"; then
		cat "$T/dest.log"
		exit 1
	fi
	old=$PORT
	PORT=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 10000))
	echo "-- 127.0.0.1:$old is taken by another program: the office listens on $PORT"
	ENDPOINT="--endpoint 127.0.0.1:$PORT"
	tries=$((tries + 1))
done
"$HWD" -f "$T/origin.conf" 2>"$T/origin.log" &
echo $! >"$T/origin.pid"
wait_for "$HW" -s "$T/origin.sock" status || { cat "$T/origin.log"; exit 1; }
echo "-- each operator imports the other's bundle, typing the fingerprint read out by phone:"
"$HW" -s "$T/dest.sock" peers import "$T/origin.bundle" \
    --fingerprint "$("$KEYS" fingerprint --dir "$T/origin" --json | sed -n 's/.*"fingerprint": "\([0-9 ]*\)".*/\1/p')"
# shellcheck disable=SC2086
"$HW" -s "$T/origin.sock" peers import "$T/dest.bundle" $ENDPOINT \
    --fingerprint "$("$KEYS" fingerprint --dir "$T/dest" --json | sed -n 's/.*"fingerprint": "\([0-9 ]*\)".*/\1/p')"
connected() { "$HW" -s "$T/dest.sock" status | grep -q "peers *1 connected"; }
wait_for connected || { echo "the daemons did not connect" >&2; exit 1; }
"$HW" -s "$T/dest.sock" peers

say "4. One synthetic case through the six steps of the procedure"
D() { printf '\n$ homeward %s      [office]\n' "$*"; "$HW" -s "$T/dest.sock" "$@"; }
O() { printf '\n$ homeward %s      [partner]\n' "$*"; "$HW" -s "$T/origin.sock" "$@"; }
# The case's state with the other agency, one number of `case show --json`.
state_of() {
	"$HW" -s "$T/$1.sock" case show DEMO-0001 --json 2>/dev/null |
	    jq -r ".case.threads[0].$2 // 0"
}
until_state() {
	i=0
	until [ "$(state_of "$1" "$2")" = "$3" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "demo: the case never reached $2 = $3 at $1" >&2; exit 1; }
		sleep 0.1
	done
}
mkdir "$T/docs"
ARR=$(date -u -d "next wednesday + 7 days 09:00" +%Y-%m-%dT%H:%M:%SZ)
DEP=$(date -u -d "next wednesday + 7 days 05:30" +%Y-%m-%dT%H:%M:%SZ)
cat >"$T/docs/request.json" <<EOF
{ "scenario": "police_or_ngo",
  "profile": { "sex": "female", "age": 17, "minor": true, "nationality": "ML",
               "languages": ["bm", "fr"], "interpreter_needed": true },
  "needs": ["shelter", "psychosocial", "family_tracing", "education"],
  "security": { "risk": "medium", "trafficker_aware": false } }
EOF
cat >"$T/docs/reintegration.json" <<EOF
{ "wanted": ["psychosocial", "education", "vocational_training"],
  "assessment": "synthetic assessment: wishes to finish school",
  "preliminary_plan": "synthetic plan: shelter for two weeks, then family" }
EOF
cat >"$T/docs/reintegration-confirm.json" <<EOF
{ "committed": [ { "kind": "psychosocial", "provider": "demo partner counsellor" },
                 { "kind": "education", "provider": "demo partner school programme" } ] }
EOF
cat >"$T/docs/itinerary.json" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$DEP", "arrival": "$ARR" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "female", "contact": "demo escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "demo-origin", "name": "Demo origin partner",
              "contact": "demo duty officer" } }
EOF
# The final notice is sent once she has left (PROTOCOL.md 21.8): the demo
# cannot wait a week, so its flight is brought forward to today, and a
# supervisor waives the rules today's times may break, with the reason.
FDEP=$(date -u -d "1 hour ago" +%Y-%m-%dT%H:%M:%SZ)
FARR=$(date -u -d "3 hours" +%Y-%m-%dT%H:%M:%SZ)
sed -e "s/$DEP/$FDEP/" -e "s/$ARR/$FARR/" "$T/docs/itinerary.json" \
    >"$T/docs/itinerary-final.json"
printf 'synthetic scan of a signed consent form\n' >"$T/docs/form.pdf"

echo "-- the office opens the case under a code number, never a name"
D case open DEMO-0001 --sex female --age 17 --minor
echo "-- step 1, notification of a request for assistance: no consent is recorded yet"
D request send DEMO-0001 --to demo-origin --file "$T/docs/request.json"
D held
echo "-- the guardian's written consent is recorded (the girl was consulted): the request goes"
D consent record DEMO-0001 --to demo-origin --steps all \
    --categories profile,security,health,travel,reintegration --method written \
    --form "$T/docs/form.pdf" --guardian --child-consulted
until_state origin request 1
echo "-- step 2, the partner confirms and names who will meet her on arrival"
O request accept DEMO-0001 --met-by-agency demo-origin --met-by-contact "demo duty officer"
until_state dest request 2
echo "-- steps 3 and 4, the reintegration request and its confirmation"
D reintegration request DEMO-0001 --file "$T/docs/reintegration.json"
until_state origin reintegration 1
O reintegration confirm DEMO-0001 --file "$T/docs/reintegration-confirm.json"
until_state dest reintegration 2
echo "-- step 5, advance notice as soon as an itinerary exists (air, daytime, a working day, a female escort), then the departure (brought forward to today: a supervisor waives the rules that breaks, with the reason)"
D departure plan DEMO-0001 --file "$T/docs/itinerary.json"
until_state origin departure 1
D departure depart DEMO-0001 --file "$T/docs/itinerary-final.json" \
    --waive notice,daytime,workday,holiday \
    --waiver-reason "demo: the flight was brought forward to today"
until_state origin departure 2
echo "-- step 6, the partner meets her on arrival, hands her over to her family, and confirms it"
O arrival confirm DEMO-0001 --met-by "demo duty officer" --met-by-agency demo-origin \
    --handed-over-to family
until_state dest arrival 1
acked() { "$HW" -s "$T/dest.sock" status | grep -q "outbox *0 unacknowledged" &&
    "$HW" -s "$T/origin.sock" status | grep -q "outbox *0 unacknowledged"; }
wait_for acked || { echo "demo: receipts did not all return" >&2; exit 1; }

say "5. The case's timeline on both sides, and what an auditor checks"
D case show DEMO-0001
O case show DEMO-0001
ID=$("$HW" -s "$T/dest.sock" outbox --json |
    jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')
"$HW" -s "$T/dest.sock" evidence export "$ID" -o "$T/evidence.pb"
echo "-- the partner's signed receipt of the request, checked from the two public bundles alone:"
"$KEYS" verify-evidence "$T/evidence.pb" \
    --sender "$T/dest.bundle" --recipient "$T/origin.bundle"
echo "-- each audit log's hash chain:"
D audit verify
O audit verify

say "6. Both daemons stop cleanly"
kill -TERM "$(cat "$T/dest.pid")" "$(cat "$T/origin.pid")"
wait
rm -f "$T"/*.pid
say "Done: verified fingerprints, one case through the six steps under recorded consent, signed receipts, intact audit logs"
