#!/bin/sh
# Integration test of homeward-keys: two synthetic agencies (alpha, beta)
# made with init, then every command against them, with the refusals an
# operator must see: a non-empty directory, a wrong passphrase (no file
# changed), a key file others can read, a corrupted bundle (the field is
# named), a passphrase on the command line (a usage error), and evidence
# that is tampered with, checked against the wrong bundles, or paired with
# another message's receipt.  Uses the binaries in $BUILD (default build);
# works in its own temporary directory, removed on exit.
#
# Argon2id for a RIK key file takes 1 GiB and seconds: RIK operations are
# kept to seven (two inits, one certify, two revocations, two contacts).
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
KEYS=$BUILD/homeward-keys
MKEV=$BUILD/tests/tools/mkevidence
for bin in "$KEYS" "$MKEV"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/keys_tool.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# expect STATUS COMMAND...: run it, keep stdout and stderr in $T/out.
expect() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>&1
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		sed 's/^/    /' "$T/out" >&2
		fail "exit status $got, wanted $want: $*"
	fi
}
has() {
	grep -q -- "$1" "$T/out" || { sed 's/^/    /' "$T/out" >&2; fail "output lacks '$1'"; }
}
lacks() {
	if grep -q -- "$1" "$T/out"; then
		sed 's/^/    /' "$T/out" >&2
		fail "output shows '$1'"
	fi
}
count() { grep -c -- "$1" "$T/out" || true; }
mode() {
	m=$(stat -c %a "$1")
	[ "$m" = "$2" ] || fail "$1 has mode $m, wanted $2"
}
# Flip the low bit of the byte at offset $2 of file $1.
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
byte() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
offset() { grep -obUa -- "$2" "$1" | head -n 1 | cut -d: -f1; }
sums() { (cd "$1" && sha256sum -- * | sort); }

printf 'alpha rik passphrase, synthetic\n' >"$T/alpha.rik"
printf 'alpha daemon passphrase, synthetic\n' >"$T/alpha.pass"
printf 'beta rik passphrase, synthetic\nbeta daemon passphrase, synthetic\n' >"$T/beta.both"
printf 'beta daemon passphrase, synthetic\n' >"$T/beta.pass"
printf 'not the passphrase\n' >"$T/wrong.pass"
A=$T/alpha
B=$T/beta

step "version, usage, help"
expect 0 "$KEYS" --version
has "homeward-keys "
expect 2 "$KEYS"
has "usage: homeward-keys"
expect 2 "$KEYS" no-such-command
expect 0 "$KEYS" init --help
has "MOVE IT OFFLINE"

step "a passphrase is never taken from the command line"
expect 2 "$KEYS" rotate-prekeys --dir "$A" --passphrase s3cret-on-argv
has "unknown option --passphrase"
lacks "s3cret-on-argv"
expect 2 "$KEYS" inspect --passphrase=s3cret-on-argv "$T/alpha.rik"
lacks "s3cret-on-argv"
expect 2 "$KEYS" init --dir "$A" --agency-id alpha --name "Alpha Agency" \
    --country CI --time-zone Africa/Abidjan --passphrase s3cret-on-argv
lacks "s3cret-on-argv"
[ ! -e "$A" ] || fail "a refused init left $A behind"

step "init alpha (passphrase files) and beta (one descriptor, no endpoint, --json)"
expect 0 "$KEYS" init --dir "$A" --agency-id alpha --name "Alpha Agency" \
    --country CI --time-zone Africa/Abidjan --endpoint alpha.example:7443 \
    --duty-contact "+225 27 00 00 00 (duty officer)" \
    --rik-passphrase-file "$T/alpha.rik" --passphrase-file "$T/alpha.pass"
has "fingerprint"
has "duty contact +225 27 00 00 00 (duty officer)"
has "Move $A/rik.key offline"
expect 0 "$KEYS" init --dir "$B" --agency-id beta --name "Beta Agency" \
    --country GH --time-zone Africa/Accra --json \
    --rik-passphrase-fd 3 --passphrase-fd 3 3<"$T/beta.both"
has '"agency_id": "beta"'
has '"fingerprint"'

step "init refuses a non-empty directory, a bad zone, and writes nothing"
mkdir "$T/full"
: >"$T/full/keep"
expect 1 "$KEYS" init --dir "$T/full" --agency-id gamma --name "Gamma Agency" \
    --country SN --time-zone Africa/Dakar \
    --rik-passphrase-file "$T/alpha.rik" --passphrase-file "$T/alpha.pass"
has "not empty"
[ "$(ls -A "$T/full")" = keep ] || fail "init wrote into a non-empty directory"
expect 1 "$KEYS" init --dir "$A" --agency-id alpha --name "Alpha Agency" \
    --country CI --time-zone Africa/Abidjan \
    --rik-passphrase-file "$T/alpha.rik" --passphrase-file "$T/alpha.pass"
has "not empty"
expect 2 "$KEYS" init --dir "$T/gamma" --agency-id gamma --name "Gamma Agency" \
    --country SN --time-zone Africa/Nowhere \
    --rik-passphrase-file "$T/alpha.rik" --passphrase-file "$T/alpha.pass"
has "time zone"
[ ! -e "$T/gamma" ] || fail "a refused init created $T/gamma"
expect 2 "$KEYS" init --dir "$T/gamma" --agency-id gamma --name "Gamma Agency" \
    --country SN --time-zone Africa/Dakar --duty-contact "$(printf '+221\t33')" \
    --rik-passphrase-file "$T/alpha.rik" --passphrase-file "$T/alpha.pass"
has "duty contact: contains a control character; give a phone number"
[ ! -e "$T/gamma" ] || fail "a refused init created $T/gamma"

step "no key file is readable by others"
for d in "$A" "$B"; do
	mode "$d" 700
	for f in rik.key daemon.key tls.key prekeys.dat; do mode "$d/$f" 600; done
	for f in agency.pub tls.crt; do mode "$d/$f" 644; done
	[ "$(ls -A "$d" | tr '\n' ' ')" = "agency.pub daemon.key prekeys.dat rik.key tls.crt tls.key " ] ||
	    fail "unexpected files in $d: $(ls -A "$d")"
done

step "export, and refuse to overwrite without --force"
expect 0 "$KEYS" export --dir "$A" -o "$T/alpha.bundle"
expect 0 "$KEYS" export --dir "$B" -o "$T/beta.bundle"
mode "$T/alpha.bundle" 644
expect 1 "$KEYS" export --dir "$A" -o "$T/alpha.bundle"
has "use --force"
expect 0 "$KEYS" export --dir "$A" -o "$T/alpha.bundle" --force

step "fingerprint and safety number agree from both sides"
expect 0 "$KEYS" fingerprint --dir "$A" --peer "$T/beta.bundle"
fp_a=$(sed -n 's/^fingerprint  *//p' "$T/out")
sn_a=$(sed -n 's/^safety number  *//p' "$T/out")
expect 0 "$KEYS" fingerprint --dir "$B" --peer "$T/alpha.bundle"
sn_b=$(sed -n 's/^safety number  *//p' "$T/out")
[ -n "$sn_a" ] && [ "$sn_a" = "$sn_b" ] || fail "safety numbers differ: '$sn_a' / '$sn_b'"
[ "$(printf '%s' "$sn_a" | tr -d ' ' | wc -c)" -eq 80 ] || fail "safety number is not 80 digits"
expect 0 "$KEYS" fingerprint "$T/alpha.bundle"
has "fingerprint  *$fp_a"
has "env1-rik:"
expect 0 "$KEYS" fingerprint --json --dir "$B" --peer "$T/alpha.bundle"
has "\"safety_number\": \"$sn_a\""

step "inspect each other's bundles"
expect 0 "$KEYS" inspect "$T/beta.bundle"
has "all signatures verify"
has "agency       beta"
has "Africa/Accra"
has "dials out"
has "prekeys      4"
expect 0 "$KEYS" inspect --json "$T/alpha.bundle"
has '"endpoint": "alpha.example:7443"'

step "the duty contact: shown, checked, changed only with the RIK"
expect 0 "$KEYS" inspect "$T/alpha.bundle"
has "duty contact +225 27 00 00 00 (duty officer)"
expect 0 "$KEYS" inspect "$T/beta.bundle"
has "duty contact (none: set one with homeward-keys contact)"
expect 0 "$KEYS" contact --help
has "E.164"
expect 2 "$KEYS" contact --dir "$B" --duty-contact "$(printf '+233 30\n000 0000')"
has "duty contact: contains a control character"
expect 2 "$KEYS" contact --dir "$B" \
    --duty-contact "+233 30 000 0000 (duty officer, any hour of the day, ask for the case desk)"
has "duty contact: longer than 64 bytes"
expect 2 "$KEYS" contact --dir "$B"
has "--duty-contact are required"
expect 0 "$KEYS" fingerprint --dir "$B"
fp_b=$(sed -n 's/^fingerprint  *//p' "$T/out")
sums "$B" >"$T/sums.before"
expect 1 "$KEYS" contact --dir "$B" --duty-contact "+233 30 000 0000" \
    --rik-passphrase-file "$T/wrong.pass"
has "wrong passphrase"
sums "$B" | cmp -s - "$T/sums.before" || fail "a refused contact changed $B"
expect 0 "$KEYS" contact --dir "$B" --duty-contact "+233 30 000 0000" \
    --rik-passphrase-fd 3 3<"$T/beta.both"
has "duty contact of beta set to \"+233 30 000 0000\"; $B/agency.pub re-signed"
has "homeward-keys export --dir $B"
# The same value again needs no RIK (no passphrase is asked for).
expect 0 "$KEYS" contact --json --dir "$B" --duty-contact "+233 30 000 0000" </dev/null
has '"changed": false'
expect 0 "$KEYS" inspect --json "$B/agency.pub"
has '"duty_contact": "+233 30 000 0000"'
expect 0 "$KEYS" fingerprint --dir "$B"
has "fingerprint  *$fp_b"
expect 0 "$KEYS" export --dir "$B" -o "$T/beta.bundle" --force
expect 0 "$KEYS" inspect "$T/beta.bundle"
has "duty contact +233 30 000 0000"
has "prekeys      4"

step "inspect names the field of a corrupted bundle"
cert=$(offset "$T/alpha.bundle" "ENV1 dsk cert v1")
[ -n "$cert" ] || fail "no certificate found in the bundle"
# Bundle field 5 (dsk_certs, 171 bytes): tag 0x2a, length 0xab 0x01; the
# 64-byte agency_sig (field 4) ends right before it.
[ "$(byte "$T/alpha.bundle" $((cert - 3)))" -eq 42 ] &&
    [ "$(byte "$T/alpha.bundle" $((cert - 2)))" -eq 171 ] ||
    fail "unexpected bundle layout around the certificate"
cp "$T/alpha.bundle" "$T/bad-sig.bundle"
flip "$T/bad-sig.bundle" $((cert - 3 - 20))
expect 1 "$KEYS" inspect "$T/bad-sig.bundle"
has "agency_sig"
cp "$T/alpha.bundle" "$T/bad-cert.bundle"
flip "$T/bad-cert.bundle" $((cert + 100))
expect 1 "$KEYS" inspect "$T/bad-cert.bundle"
has "dsk_certs\[0\]"
expect 1 "$KEYS" fingerprint "$T/bad-cert.bundle"
has "dsk_certs\[0\]"

step "inspect key files and prekeys.dat without printing secrets"
expect 0 "$KEYS" inspect "$A/rik.key"
has "Argon2id"
has "memlimit 1024 MiB"
expect 0 "$KEYS" inspect "$A/daemon.key" --passphrase-file "$T/alpha.pass"
has "daemon key file"
has "serial 1"
has "keystore key present"
expect 0 "$KEYS" inspect "$A/prekeys.dat"
has "4 prekey(s)"
expect 1 "$KEYS" inspect "$A/tls.crt"
has "not a key file"

step "a wrong passphrase is refused and changes nothing"
sums "$A" >"$T/sums.before"
expect 1 "$KEYS" rotate-prekeys --dir "$A" --ahead 6 --passphrase-file "$T/wrong.pass"
has "wrong passphrase"
expect 1 "$KEYS" certify --dir "$A" --passphrase-file "$T/wrong.pass" \
    --rik-passphrase-file "$T/alpha.rik"
has "wrong passphrase"
sums "$A" >"$T/sums.after"
cmp -s "$T/sums.before" "$T/sums.after" || fail "a refused command changed files"

step "a key file readable by others is refused"
chmod 644 "$A/daemon.key"
expect 1 "$KEYS" rotate-prekeys --dir "$A" --passphrase-file "$T/alpha.pass"
has "readable by group or others"
expect 1 "$KEYS" inspect "$A/daemon.key"
has "readable by group or others"
chmod 600 "$A/daemon.key"
chmod 644 "$T/alpha.pass"
expect 1 "$KEYS" rotate-prekeys --dir "$A" --passphrase-file "$T/alpha.pass"
has "passphrase file"
chmod 600 "$T/alpha.pass"
sums "$A" >"$T/sums.after"
cmp -s "$T/sums.before" "$T/sums.after" || fail "a refused command changed files"

step "rotate-prekeys keeps N ahead and deletes secrets past retention"
expect 0 "$KEYS" rotate-prekeys --dir "$A" --passphrase-file "$T/alpha.pass"
has "4 usable prekey(s)"
[ "$(count "added prekey")" -eq 0 ] || fail "rotate-prekeys added prekeys needlessly"
expect 0 "$KEYS" rotate-prekeys --dir "$A" --ahead 6 --passphrase-file "$T/alpha.pass"
[ "$(count "added prekey")" -eq 2 ] || fail "--ahead 6 did not add 2 prekeys"
mode "$A/prekeys.dat" 600
# 40 days on (hidden --now, tests only), the first two prekeys (retained
# until 29 and 36 days) are gone; a copy keeps alpha usable today.
cp -Rp "$A" "$T/alpha-later"
later=$(( ($(date +%s) + 40 * 86400) * 1000 ))
expect 0 "$KEYS" --now "$later" rotate-prekeys --dir "$T/alpha-later" \
    --passphrase-file "$T/alpha.pass"
[ "$(count "deleted prekey")" -eq 2 ] || fail "expected 2 prekeys deleted"
[ "$(count "added prekey")" -eq 3 ] || fail "expected 3 prekeys added"
expect 0 "$KEYS" inspect "$T/alpha-later/prekeys.dat"
has "7 prekey(s)"

step "certify a new DSK, revoke the old one"
expect 0 "$KEYS" certify --dir "$A" --rik-passphrase-file "$T/alpha.rik" \
    --passphrase-file "$T/alpha.pass"
has "serial 2"
old_dsk=$(sed -n 's/.*--dsk \([0-9a-f]\{64\}\) .*/\1/p' "$T/out")
[ -n "$old_dsk" ] || fail "certify did not name the old DSK"
mode "$A/daemon.key" 600
expect 0 "$KEYS" inspect "$A/daemon.key" --passphrase-file "$T/alpha.pass"
has "serial 2"
expect 0 "$KEYS" revoke --dir "$A" --dsk "$old_dsk" --reason superseded \
    --rik-passphrase-file "$T/alpha.rik"
has "revoked dsk $old_dsk (superseded)"
expect 1 "$KEYS" revoke --dir "$A" --dsk "$old_dsk" \
    --rik-passphrase-file "$T/alpha.rik"
has "already revoked"
expect 0 "$KEYS" inspect "$A/agency.pub"
has "certificates 2"
has "revocations  1"
has "revoked dsk $old_dsk"
has "REVOKED"
# The old DSK's prekeys no longer count: four new ones from the new DSK.
expect 0 "$KEYS" rotate-prekeys --dir "$A" --passphrase-file "$T/alpha.pass"
[ "$(count "added prekey")" -eq 4 ] || fail "expected 4 prekeys from the new DSK"
cp "$T/alpha.bundle" "$T/alpha-old.bundle"
expect 0 "$KEYS" export --dir "$A" -o "$T/alpha.bundle" --force
expect 0 "$KEYS" inspect "$T/alpha.bundle"
has "prekeys      4"
has "certificates 2"

step "revoke a future prekey of beta"
expect 0 "$KEYS" inspect "$B/prekeys.dat"
spk=$(grep '(future)' "$T/out" | tail -n 1 | awk '{print $2}')
[ -n "$spk" ] || fail "no future prekey in beta's prekeys.dat"
expect 0 "$KEYS" revoke --json --dir "$B" --spk "$spk" --reason retired \
    --rik-passphrase-fd 3 3<"$T/beta.both"
has '"kind": "spk"'
has '"reason": "retired"'
has '"prekey_secret_deleted": true'
expect 0 "$KEYS" inspect "$B/prekeys.dat"
has "3 prekey(s)"
lacks "$spk"
expect 0 "$KEYS" export --json --dir "$B" -o "$T/beta.bundle" --force
has '"prekeys": 3'
has '"revocations": 1'
expect 0 "$KEYS" inspect "$T/beta.bundle"
has "prekeys      3"
has "revoked spk"

step "evidence of a delivered message verifies"
"$MKEV" "$A" "$T/alpha.pass" "$B" "$T/beta.pass" "$T/beta.bundle" \
    "$T/ev1.pb" "$T/rc1.pb" "$T/ev1-full.pb" >"$T/mid1" || fail "mkevidence failed"
mid1=$(cat "$T/mid1")
expect 0 "$KEYS" verify-evidence "$T/ev1.pb" "$T/rc1.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has "^verified: message $mid1 (TEST_DOCUMENT) from alpha \[[0-9a-f]\{16\}\] to beta \[[0-9a-f]\{16\}\], created 20"
has "receipt signed by beta"
expect 0 "$KEYS" verify-evidence "$T/ev1-full.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has "^verified: message $mid1"
expect 0 "$KEYS" verify-evidence --json "$T/ev1.pb" "$T/rc1.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has '"verified": true'
expect 1 "$KEYS" verify-evidence "$T/ev1.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has "authentic: message $mid1"
has "delivery not proven"
expect 0 "$KEYS" inspect "$T/ev1-full.pb"
has "evidence with a receipt"
has "TEST_DOCUMENT"

step "evidence that does not prove what it claims is refused"
cp "$T/ev1.pb" "$T/ev1-tampered.pb"
body=$(offset "$T/ev1-tampered.pb" "homeward test document")
[ -n "$body" ] || fail "no body found in the evidence"
flip "$T/ev1-tampered.pb" $((body + 3))
expect 1 "$KEYS" verify-evidence "$T/ev1-tampered.pb" "$T/rc1.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has "^evidence does not verify: message: body does not match content_hash"
echo "   tampered body: $(cat "$T/out")"
expect 1 "$KEYS" verify-evidence "$T/ev1.pb" "$T/rc1.pb" \
    --sender "$T/beta.bundle" --recipient "$T/alpha.bundle"
has "^evidence does not verify: message: sender_rik .* is not the sender bundle's RIK"
echo "   swapped bundles: $(cat "$T/out")"
# alpha's bundle from before certify lacks the DSK that signed.
expect 1 "$KEYS" verify-evidence "$T/ev1.pb" "$T/rc1.pb" \
    --sender "$T/alpha-old.bundle" --recipient "$T/beta.bundle"
has "^evidence does not verify: message: DSK .* has no certificate"
echo "   outdated sender bundle: $(cat "$T/out")"
"$MKEV" "$A" "$T/alpha.pass" "$B" "$T/beta.pass" "$T/beta.bundle" \
    "$T/ev2.pb" "$T/rc2.pb" >"$T/mid2" || fail "mkevidence failed"
[ "$(cat "$T/mid2")" != "$mid1" ] || fail "two messages share an id"
expect 1 "$KEYS" verify-evidence "$T/ev1.pb" "$T/rc2.pb" \
    --sender "$T/alpha.bundle" --recipient "$T/beta.bundle"
has "^evidence does not verify: receipt: names another message_id"
echo "   another message's receipt: $(cat "$T/out")"

step "nothing partial left behind"
if ls -A "$T" | grep -q '\.init-'; then fail "init left a temporary directory"; fi
for d in "$A" "$B"; do
	[ "$(ls -A "$d" | tr '\n' ' ')" = "agency.pub daemon.key prekeys.dat rik.key tls.crt tls.key " ] ||
	    fail "unexpected files in $d: $(ls -A "$d")"
done

echo "keys_tool: all checks passed"
