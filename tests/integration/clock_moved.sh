#!/bin/sh
# A link survives its certificates' expiry (issue 12): ci-abidjan and
# ml-bamako are paired and deliver; then both daemons start again with
# their clocks 380 days ahead (libfaketime), when both TLS certificates
# (365 days) have expired and the signing certificates (395 days) have 15
# days left.  Each renews its TLS certificate with the same key at start,
# so the pins hold; prekeys are renewed and announced; a document goes
# both ways; each warns that its signing certificate expires within 30
# days.  Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/clock_moved.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

FT=
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
    /usr/lib/*/faketime/libfaketime.so.1; do
	[ -f "$f" ] && { FT=$f; break; }
done
[ -n "$FT" ] || fail "libfaketime is missing (Debian package faketime: scripts/deps.sh)"

A=ci-abidjan
B=ml-bamako
delivered() { [ "$(hw "$1" status --json | jq .outbox_unacked)" = 0 ]; }
alerts_of() {
	hw "$1" alerts --all --json | jq "[.alerts[] | select(.kind == \"$2\")] | length"
}
has_alert() { [ "$(alerts_of "$1" "$2")" -ge 1 ]; }
printf 'synthetic\n' >"$T/doc.bin"

step "paired and delivering, today"
PROC=$(printf '[procedure]\ndeadline_check_ms = 200\n')
EXTRA_CONF=$PROC agency_new $A listen
EXTRA_CONF=$PROC agency_new $B
for a in $A $B; do agency_start $a; done
pair $A $B
wait_for 20 peer_connected $A $B || fail "$B never connected"
expect 0 hw $A send --to $B --type 0x7f00 --file "$T/doc.bin"
wait_for 20 delivered $A || fail "not delivered today"

step "380 days later: both TLS certificates have expired"
for a in $A $B; do agency_stop $a; done
# Only the daemons live in the future; the CLI keeps today's clock.
LD_PRELOAD=$FT
FAKETIME=+380d
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export LD_PRELOAD FAKETIME ASAN_OPTIONS
for a in $A $B; do agency_start $a; done
unset LD_PRELOAD FAKETIME
for a in $A $B; do
	grep -q "TLS certificate renewed with the same key" "$T/$a.log" ||
	    fail "$a did not renew its TLS certificate"
done
wait_for 30 peer_connected $A $B || fail "the link did not survive: $(tail -5 "$T/$B.log")"
expect 0 hw $A send --to $B --type 0x7f00 --file "$T/doc.bin"
expect 0 hw $B send --to $A --type 0x7f00 --file "$T/doc.bin"
wait_for 30 delivered $A || fail "$A's document not delivered"
wait_for 30 delivered $B || fail "$B's document not delivered"
for a in $A $B; do
	wait_for 10 has_alert $a expiry_dsk || fail "$a did not warn of its signing certificate"
done

echo "clock_moved: all checks passed ($CHECKS CLI checks)"
