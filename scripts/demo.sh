#!/bin/sh
# make demo: what Homeward does today, end to end, with two synthetic
# agencies in a temporary directory: a destination office ("demo-dest",
# Abidjan) and an origin partner behind NAT ("demo-origin", Bamako).
#
#   1. each creates its keys with homeward-keys init;
#   2. they exchange signed bundles and compare fingerprints and the
#      pairwise safety number, as two operators would by phone;
#   3. each starts homewardd on 127.0.0.1 (the partner has no listener:
#      it dials out) and imports the other's bundle;
#   4. a synthetic test document goes from the office to the partner, and
#      the partner's signed receipt comes back;
#   5. an auditor verifies the proof of delivery from the two public
#      bundles alone, and sees a tampered copy refused;
#   6. both daemons stop cleanly.
#
# Synthetic passphrases in files: never do this with real keys.
set -eu
BUILD=${BUILD:-build}
KEYS=$BUILD/homeward-keys
HWD=$BUILD/homewardd
HW=$BUILD/homeward
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
conf dest "listen = 127.0.0.1:$PORT" >"$T/dest.conf"
conf origin "" >"$T/origin.conf"
"$HWD" -f "$T/dest.conf" 2>"$T/dest.log" &
echo $! >"$T/dest.pid"
"$HWD" -f "$T/origin.conf" 2>"$T/origin.log" &
echo $! >"$T/origin.pid"
wait_for() { i=0; until "$@" >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || return 1; sleep 0.1; done; }
wait_for "$HW" -s "$T/dest.sock" status || { cat "$T/dest.log"; exit 1; }
wait_for "$HW" -s "$T/origin.sock" status || { cat "$T/origin.log"; exit 1; }
echo "-- each operator imports the other's bundle, typing the fingerprint read out by phone:"
"$HW" -s "$T/dest.sock" peers import "$T/origin.bundle" \
    --fingerprint "$("$KEYS" fingerprint --dir "$T/origin" --json | sed -n 's/.*"fingerprint": "\([0-9 ]*\)".*/\1/p')"
"$HW" -s "$T/origin.sock" peers import "$T/dest.bundle" \
    --fingerprint "$("$KEYS" fingerprint --dir "$T/dest" --json | sed -n 's/.*"fingerprint": "\([0-9 ]*\)".*/\1/p')"
connected() { "$HW" -s "$T/dest.sock" status | grep -q "peers *1 connected"; }
wait_for connected || { echo "the daemons did not connect" >&2; exit 1; }
"$HW" -s "$T/dest.sock" peers

say "4. The office sends a (synthetic, opaque) test document; the partner's receipt returns"
printf 'synthetic test document: no personal data\n' >"$T/document"
"$HW" -s "$T/dest.sock" send --to demo-origin --type 0x7f00 --file "$T/document" \
    --json >"$T/sent.json"
ID=$(sed -n 's/.*"message_id": "\([0-9a-f]*\)".*/\1/p' "$T/sent.json")
acked() { "$HW" -s "$T/dest.sock" status | grep -q "outbox *0 unacknowledged"; }
wait_for acked || { echo "no receipt came back" >&2; exit 1; }
"$HW" -s "$T/dest.sock" outbox
"$HW" -s "$T/origin.sock" inbox
"$HW" -s "$T/dest.sock" evidence export "$ID" -o "$T/evidence.pb"

say "5. An auditor checks the proof of delivery from the public bundles"
"$KEYS" verify-evidence "$T/evidence.pb" \
    --sender "$T/dest.bundle" --recipient "$T/origin.bundle"
echo "-- the same evidence with one byte of the signed block changed:"
cp "$T/evidence.pb" "$T/tampered.pb"
# Offset 340 falls inside the 316-byte TBS, after the 206-byte header and
# the record's framing.
printf 'X' | dd of="$T/tampered.pb" bs=1 seek=340 conv=notrunc 2>/dev/null
if "$KEYS" verify-evidence "$T/tampered.pb" \
    --sender "$T/dest.bundle" --recipient "$T/origin.bundle"; then
	echo "demo: a tampered proof was accepted" >&2
	exit 1
fi

say "6. Both daemons stop cleanly"
kill -TERM "$(cat "$T/dest.pid")" "$(cat "$T/origin.pid")"
wait
rm -f "$T"/*.pid
say "Done: keys, bundles, fingerprints, two daemons, a delivered message, a signed receipt, a verified proof"
