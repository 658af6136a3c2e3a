#!/bin/sh
# Warnings before a certificate expires (issue 12), between real daemons
# on 127.0.0.1.  ml-bamako's keys were made 340 days ago, so its signing
# key's certificate (395 days) has 55 days left:
#   - ml-bamako warns of its own certificate, ci-abidjan of its partner's:
#     one alert each, naming the date and what to do, in the log too;
#   - a restart does not warn again (once per step: 60, 30, 7 days, expired);
#   - homeward check: OK with the default bounds (30d,7d), WARNING with
#     --expiry 60d,7d, naming the partner;
#   - status and peers show the expiries;
#   - our TLS certificate with 10 days left is renewed at start with the
#     same key: no warning, a year of validity, the partner reconnects
#     with the pin it holds and delivers.
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/expiry.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

A=ci-abidjan
B=ml-bamako
# alerts_of AGENCY KIND: how many alerts of that kind, acknowledged or not.
alerts_of() {
	hw "$1" alerts --all --json | jq "[.alerts[] | select(.kind == \"$2\")] | length"
}
alerts_are() { [ "$(alerts_of "$1" "$2")" = "$3" ]; }
detail_of() {
	hw "$1" alerts --all --json | jq -r "[.alerts[] | select(.kind == \"$2\")][0].detail"
}

step "a partner whose signing certificate has 55 days left"
PROC=$(printf "[procedure]\ndeadline_check_ms = 200\n")
EXTRA_CONF=$PROC agency_new $A listen
INIT_NOW=$(( ($(date +%s) - 340 * 86400) * 1000 )) EXTRA_CONF=$PROC agency_new $B
for a in $A $B; do agency_start $a; done
pair $A $B
wait_for 20 peer_connected $A $B || fail "$B never connected"
wait_for 10 alerts_are $A expiry_peer 1 ||
    fail "$A: expiry_peer alerts: $(alerts_of $A expiry_peer)"
D=$(detail_of $A expiry_peer)
case $D in
"the signing certificate of $B expires on "*" (in 5"?" days): nothing it sends verifies after that; ask its administrator to certify a new key (homeward-keys certify)") ;;
*) fail "$A's alert: $D" ;;
esac
wait_for 10 alerts_are $B expiry_dsk 1 || fail "$B does not warn of its own certificate"
case $(detail_of $B expiry_dsk) in
"our signing key's certificate expires on "*"homeward-keys certify"*) ;;
*) fail "$B's alert: $(detail_of $B expiry_dsk)" ;;
esac
grep -q "our signing key's certificate expires on" "$T/$B.log" || fail "not in $B's log"
[ "$(alerts_of $A expiry_tls)" = 0 ] || fail "$A warned of a TLS certificate with a year left"
[ "$(alerts_of $A expiry_dsk)" = 0 ] || fail "$A warned of its own fresh certificate"

step "a restart does not warn again"
agency_stop $A
agency_start $A
agency_stop $B
agency_start $B
wait_for 20 peer_connected $A $B || fail "$B never reconnected"
[ "$(alerts_of $A expiry_peer)" = 1 ] || fail "$A warned again: $(alerts_of $A expiry_peer)"
[ "$(alerts_of $B expiry_dsk)" = 1 ] || fail "$B warned again"

step "homeward check and the figures"
expect 0 hw $A check
expect 1 hw $A check --expiry 60d,7d
prints "HOMEWARD WARNING - $B's signing certificate expires in"
expect 0 hw $A peers --json
NA=$(jq ".peers[0].dsk_not_after" "$T/stdout")
NOW=$(( $(date +%s) * 1000 ))
[ $(( (NA - NOW) / 86400000 )) -ge 54 ] && [ $(( (NA - NOW) / 86400000 )) -le 55 ] ||
    fail "dsk_not_after $NA is not 55 days away"
expect 0 hw $B status --json
[ "$(jq .dsk_not_after "$T/stdout")" = "$NA" ] || fail "$B's own expiry differs"
[ "$(jq '.tls_not_after > 0' "$T/stdout")" = true ] || fail "no tls_not_after"

step "our TLS certificate with 10 days left is renewed, same key, and links go on"
agency_stop $A
openssl req -x509 -new -key "$T/$A/tls.key" -days 10 -subj "/CN=$A" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" \
    -out "$T/short.crt" 2>"$T/openssl.err" || { cat "$T/openssl.err"; fail "openssl"; }
cp "$T/short.crt" "$T/$A/tls.crt"
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | od -An -tx1 | tr -d ' \n'; }
OLD_SPKI=$(spki "$T/$A/tls.crt")
agency_start $A
grep -q "TLS certificate renewed with the same key" "$T/$A.log" || fail "not renewed"
[ "$(spki "$T/$A/tls.crt")" = "$OLD_SPKI" ] || fail "the renewal changed the key"
cmp -s "$T/short.crt" "$T/$A/tls.crt" && fail "tls.crt is still the short one"
expect 0 hw $A status --json
LEFT=$(( ($(jq .tls_not_after "$T/stdout") - $(date +%s) * 1000) / 86400000 ))
[ "$LEFT" -ge 363 ] || fail "the renewed certificate has $LEFT days"
[ "$(alerts_of $A expiry_tls)" = 0 ] || fail "a warning although it was renewed"
# The partner dials the renewed listener: the pin it holds still matches.
agency_stop $B
agency_start $B
wait_for 20 peer_connected $A $B || fail "$B did not reconnect to the renewed certificate"
printf 'synthetic\n' >"$T/doc.bin"
expect 0 hw $B send --to $A --type 0x7f00 --file "$T/doc.bin"
delivered() { [ "$(hw $B status --json | jq .outbox_unacked)" = 0 ]; }
wait_for 20 delivered || fail "nothing delivered after the renewal"

echo "expiry: all checks passed ($CHECKS CLI checks)"
