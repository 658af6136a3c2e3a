#!/bin/sh
# Integration test of forward secrecy at rest (crypto-env1.md 5, test 17):
# an agency whose first prekey reaches its retain_until while its daemon
# runs.  The daemon deletes the secret through the shredding path: after
# the log says so, the wrapped secret's bytes are in neither keystore.db,
# nor its WAL, nor prekeys.dat; before, they were there.  Messages keep
# flowing on the newer prekeys, and the partner learns them from the
# bundle the daemon sends.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/prekeys.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

DAY=86400000
LEAD=${PREKEY_LEAD_S:-30}
now_ms=$(($(date +%s) * 1000))
# alpha's keys are made 29 days ago less LEAD seconds: its first prekey
# (valid 8 days, retained 21 more) is retained LEAD seconds from now.
INIT_NOW=$((now_ms - 29 * DAY + LEAD * 1000)) PREKEY_CHECK_MS=500 \
    agency_new alpha listen
agency_new beta listen

# The first entry of prekeys.dat: 13-byte header, then statement (212)
# and wrapped secret (72).
od -An -v -tx1 -j $((13 + 212)) -N 72 "$T/alpha/prekeys.dat" | tr -d ' \n' >"$T/wrapped.hex"
[ "$(wc -c <"$T/wrapped.hex")" = 144 ] || fail "cannot read the first prekey"
# has_bytes FILE: FILE holds the wrapped secret.
has_bytes() {
	[ -f "$1" ] || return 1
	od -An -v -tx1 "$1" | tr -d ' \n' | grep -q "$(cat "$T/wrapped.hex")"
}

step "alpha starts with a prekey that expires in about $LEAD s"
agency_start alpha
agency_start beta
has_bytes "$T/alpha.state/keystore.db" || has_bytes "$T/alpha.state/keystore.db-wal" ||
    fail "the prekey secret never reached the keystore"
pair alpha beta
wait_for 20 peer_connected alpha beta || fail "alpha and beta never connected"
head -c 1024 /dev/urandom >"$T/doc"
hw beta send --to alpha --type 0x7f00 --file "$T/doc" >/dev/null
wait_for 30 all_acked beta || fail "beta's message not receipted"

step "the secret is deleted at retain_until, from the keystore, its WAL and prekeys.dat"
wait_for $((LEAD + 30)) grep -q "expired prekey secret(s) deleted" "$T/alpha.log" ||
    fail "alpha never deleted its expired prekey"
for f in keystore.db keystore.db-wal; do
	! has_bytes "$T/alpha.state/$f" || fail "the deleted secret is still in $f"
done
! has_bytes "$T/alpha/prekeys.dat" || fail "the deleted secret is still in prekeys.dat"

step "messages still flow on the newer prekeys"
hw beta send --to alpha --type 0x7f00 --file "$T/doc" >/dev/null
wait_for 30 all_acked beta || fail "beta's message after the deletion not receipted"
[ "$(status_of alpha inbox_total)" = 2 ] || fail "alpha has $(status_of alpha inbox_total) messages"
agency_stop alpha
agency_stop beta
echo "prekeys: ok"
