#!/bin/sh
# make demo: what Homeward does today, end to end, with two synthetic
# agencies in a temporary directory: a destination office ("demo-dest",
# Abidjan) and an origin partner behind NAT ("demo-origin", Bamako).
#
#   1. each creates its keys with homeward-keys init;
#   2. they exchange signed bundles and compare fingerprints and the
#      pairwise safety number, as two operators would by phone;
#   3. one ENV1 message goes from the office to the partner through the
#      real seal/open code, and the partner's signed receipt comes back
#      (tests/tools/mkevidence, until the daemons carry it);
#   4. an auditor verifies the proof of delivery from the two public
#      bundles alone, and sees a tampered copy refused.
#
# Synthetic passphrases in files: never do this with real keys.
set -eu
BUILD=${BUILD:-build}
KEYS=$BUILD/homeward-keys
MKEV=$BUILD/tests/tools/mkevidence

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/homeward-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

printf 'demo destination root passphrase\n' >"$T/dest.rik"
printf 'demo destination daemon passphrase\n' >"$T/dest.pass"
printf 'demo origin root passphrase\n' >"$T/origin.rik"
printf 'demo origin daemon passphrase\n' >"$T/origin.pass"

say "1. Each agency creates its keys (Argon2id: a few seconds each)"
"$KEYS" init --dir "$T/dest" --agency-id demo-dest \
    --name "Demo destination office" --country CI --time-zone Africa/Abidjan \
    --endpoint 127.0.0.1:7443 \
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

say "3. One sealed message and its signed receipt"
"$MKEV" "$T/dest" "$T/dest.pass" "$T/origin" "$T/origin.pass" \
    "$T/origin.bundle" "$T/evidence.pb" "$T/receipt.pb" >"$T/message-id"
echo "message id: $(cat "$T/message-id")"

say "4. An auditor checks the proof of delivery from the public bundles"
"$KEYS" verify-evidence "$T/evidence.pb" "$T/receipt.pb" \
    --sender "$T/dest.bundle" --recipient "$T/origin.bundle"
echo "-- the same evidence with one byte of the signed block changed:"
cp "$T/evidence.pb" "$T/tampered.pb"
# Offset 330 falls inside the 316-byte TBS, after the 206-byte header.
printf 'X' | dd of="$T/tampered.pb" bs=1 seek=330 conv=notrunc 2>/dev/null
if "$KEYS" verify-evidence "$T/tampered.pb" "$T/receipt.pb" \
    --sender "$T/dest.bundle" --recipient "$T/origin.bundle"; then
	echo "demo: a tampered proof was accepted" >&2
	exit 1
fi

say "Done: keys, bundles, fingerprints, a sealed message, a signed receipt, a verified proof"
